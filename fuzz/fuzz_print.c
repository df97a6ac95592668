/*
 * Fuzz target: discoctl's printers, which show what the agent relays from
 * the LAN and from other users' commands.  The first byte picks the
 * locale (C.UTF-8 or C) and the quoting; the rest goes through
 * print_escape() as it is and, when it parses as a JSON object, through
 * every printer as a reply and as an event.  Whatever the bytes, the
 * output must hold no control character but the newline ending a
 * printer's line, no C1 control and only strict UTF-8 (ASCII in C), and
 * print_escape() must take the columns it says it takes.
 */
#include "config.h"

#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <json-c/json.h>

#include "discoctl.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Abort unless the len bytes at s could not drive a terminal. */
static void
check_safe(const char *s, size_t len, int utf8, int newlines)
{
	mbstate_t st;
	wchar_t	  wc;
	size_t	  i = 0, n;

	memset(&st, 0, sizeof(st));
	while (i < len) {
		if (s[i] == '\n' && newlines) {
			i++;
			continue;
		}
		if (!utf8) {
			if ((unsigned char)s[i] < 0x20 ||
			    (unsigned char)s[i] > 0x7e)
				abort();
			i++;
			continue;
		}
		n = mbrtowc(&wc, s + i, len - i, &st);
		if (n == 0 || n == (size_t)-1 || n == (size_t)-2)
			abort();
		if (wc < 0x20 || (wc >= 0x7f && wc <= 0x9f))
			abort(); /* C0, DEL, C1 */
		if (wc == 0x061c || wc == 0x200e || wc == 0x200f ||
		    (wc >= 0x202a && wc <= 0x202e) ||
		    (wc >= 0x2066 && wc <= 0x2069))
			abort(); /* bidirectional formatting */
		i += n;
	}
}

static void
print_all(struct json_object *o, const char *line, int flags)
{
	struct json_object *inst = NULL;

	/* Colors are escape sequences by design: not here. */
	print_flags(flags & (PRINT_NO_HEADER | PRINT_LONG));
	json_object_object_get_ex(o, "instance", &inst);
	print_status(o);
	print_services(o);
	print_types(o);
	print_list(o, flags & 1);
	print_picked(o);
	print_resolved(o);
	print_watch_snapshot(o);
	print_watch_event(0, line);
	print_event(0, line);
	print_error(o);
	print_registered(o);
	print_addr(inst, (flags & 2) ? "ipv6" : NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *o;
	const char	   *s = (const char *)data + 1;
	char		   *buf = NULL, *line;
	size_t		    len = 0, n;
	FILE		   *fp;
	int		    utf8, cols;

	if (size == 0)
		return (0);
	n = size - 1;
	utf8 = data[0] & 1;
	if (setlocale(LC_CTYPE, utf8 ? "C.UTF-8" : "C") == NULL)
		abort();
	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	print_init(fp, fp);
	cols = print_escape(fp, s, n, data[0] & 2);
	fflush(fp);
	if (print_escape(NULL, s, n, data[0] & 2) != cols ||
	    (!utf8 && (size_t)cols != len))
		abort();
	check_safe(buf, len, utf8, 0);
	fclose(fp);
	free(buf);
	/* Each printer, on a copy that ends in NUL as a line would. */
	if ((line = malloc(n + 1)) == NULL)
		abort();
	memcpy(line, s, n);
	line[n] = '\0';
	if ((o = json_tokener_parse(line)) != NULL &&
	    json_object_is_type(o, json_type_object)) {
		buf = NULL;
		if ((fp = open_memstream(&buf, &len)) == NULL)
			abort();
		print_init(fp, fp);
		print_all(o, line, data[0] >> 2);
		fclose(fp);
		check_safe(buf, len, utf8, 1);
		free(buf);
	}
	json_object_put(o);
	free(line);
	return (0);
}
