/*
 * Fuzz target: the request reader (common/json-read.c) against json-c's
 * own tokener, strict, with the same depth.  On every input that could
 * reach it (UTF-8, no NUL byte, as proto_request_parse checks first):
 * what the reader accepts json-c accepts, as an equal value, and what
 * json-c accepts the reader accepts too, except where the reader is
 * stricter on purpose (its header says where).  Whatever the bytes, no
 * crash, no read past the count, no leak.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"

#define DEPTH 16

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The reader's refusals that json-c may not share. */
static int
stricter(const char *why)
{
	static const char *const ok[] = {
		"a low surrogate with no high one", /* json-c: U+FFFD */
		"a high surrogate with no low one",
		"a key holds a NUL character",
		"a number out of range",	 /* json-c: 1e999 is inf */
		"an integer out of range",	 /* json-c: saturates */
		"a number has no leading zeros", /* json-c: -01 is -1 */
		"a fraction needs a digit",	 /* json-c: 1. is 1.0 */
		"a number needs a digit",	 /* json-c: -.1 is -0.1 */
		"an exponent needs a digit",
		"NaN and Infinity are not JSON", /* json-c takes them */
		"a control character in a string must be escaped",
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(why, ok[i]) == 0)
			return (1);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok;
	struct json_object  *mine, *theirs;
	const char	    *why, *s = (const char *)data;
	char		    *copy;
	size_t		     end, end2;
	int		     rc, jok;

	if (size >= PROTO_LINE_MAX)
		return (0);
	rc = proto_json_read(s, size, DEPTH, &mine, &end, &why);
	if (rc == 0 && end > size)
		abort();
	if (rc == -1 && (mine != NULL || why == NULL || end > size))
		abort();
	if (memchr(s, '\0', size) != NULL ||
	    proto_utf8_invalid(s, size) != -1 || size > INT32_MAX) {
		json_object_put(mine);
		return (0);
	}
	/* A new tokener each time: a reset one keeps a pending surrogate. */
	if ((tok = json_tokener_new_ex(DEPTH)) == NULL)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/*
	 * json-c waits for the byte after a number at the top ("1" is
	 * json_tokener_continue): a blank after the text ends it and means
	 * nothing else.
	 */
	if ((copy = malloc(size + 1)) == NULL)
		abort();
	memcpy(copy, s, size);
	copy[size] = ' ';
	theirs = json_tokener_parse_ex(tok, copy, (int)size + 1);
	free(copy);
	/* Accepted: a value, then nothing but blanks. */
	jok = json_tokener_get_error(tok) == json_tokener_success;
	for (end2 = json_tokener_get_parse_end(tok); jok && end2 < size; end2++)
		jok = strchr(" \t\n\r", s[end2]) != NULL;
	json_tokener_free(tok);
	if (rc == 0 && end == size) {
		if (!jok || !json_object_equal(mine, theirs))
			abort();
	} else if (jok && (rc == 0 || !stricter(why)))
		abort();
	json_object_put(mine);
	json_object_put(theirs);
	return (0);
}
