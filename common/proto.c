/*
 * Request decoding and reply encoding for protocol v1.  Knows nothing of
 * Avahi or sockets: bytes in, JSON objects out.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* Deepest nesting accepted in a request. */
#define PROTO_DEPTH_MAX 16

void
proto_error_set(struct proto_error *err, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	strlcpy(err->field, field != NULL ? field : "", sizeof(err->field));
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

/*
 * The code point at p[*i] in strict UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), moving *i past it; -1 when the
 * bytes there are not one.
 */
int
proto_utf8_next(const unsigned char *p, size_t len, size_t *i,
    unsigned int *cpp)
{
	size_t	     n, k;
	unsigned int cp, min;

	if (p[*i] < 0x80) {
		*cpp = p[(*i)++];
		return (0);
	}
	if ((p[*i] & 0xe0) == 0xc0) {
		n = 1;
		cp = p[*i] & 0x1f;
		min = 0x80;
	} else if ((p[*i] & 0xf0) == 0xe0) {
		n = 2;
		cp = p[*i] & 0x0f;
		min = 0x800;
	} else if ((p[*i] & 0xf8) == 0xf0) {
		n = 3;
		cp = p[*i] & 0x07;
		min = 0x10000;
	} else
		return (-1);
	if (len - *i <= n)
		return (-1);
	for (k = 1; k <= n; k++) {
		if ((p[*i + k] & 0xc0) != 0x80)
			return (-1);
		cp = (cp << 6) | (p[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return (-1);
	*i += n + 1;
	*cpp = cp;
	return (0);
}

/* The offset of the first byte that is not strict UTF-8, or -1. */
int
proto_utf8_invalid(const char *s, size_t len)
{
	size_t	     i = 0, at;
	unsigned int cp;

	while (i < len) {
		at = i;
		if (proto_utf8_next((const unsigned char *)s, len, &i, &cp) ==
		    -1)
			return ((int)at);
	}
	return (-1);
}

/*
 * The offset of the first Unicode noncharacter (U+FDD0..U+FDEF and the
 * last two code points of every plane), or of the first byte that is not
 * UTF-8, or -1.  Avahi's label unescaping refuses noncharacters, so a
 * service name holding one would be announced but could not be resolved
 * by any Avahi peer.
 */
int
proto_utf8_nonchar(const char *s, size_t len)
{
	size_t	     i = 0, at;
	unsigned int cp;

	while (i < len) {
		at = i;
		if (proto_utf8_next((const unsigned char *)s, len, &i, &cp) ==
			-1 ||
		    (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
			return ((int)at);
	}
	return (-1);
}

static const char *
proto_type_name(struct json_object *o)
{
	return (json_type_to_name(json_object_get_type(o)));
}

int
proto_request_parse(const char *line, size_t len, struct proto_request *req,
    struct proto_error *err)
{
	struct json_object *obj, *v;
	const char	   *why;
	size_t		    end;
	int		    bad;

	memset(req, 0, sizeof(*req));
	if (len >= PROTO_LINE_MAX) {
		proto_error_set(err, PROTO_E_TOO_LARGE, NULL,
		    "request of %zu bytes exceeds the %d byte limit", len,
		    PROTO_LINE_MAX - 1);
		return (-1);
	}
	if (memchr(line, '\0', len) != NULL) {
		proto_error_set(err, PROTO_E_BAD_REQUEST, NULL,
		    "request holds a NUL byte at offset %zu",
		    (size_t)((const char *)memchr(line, '\0', len) - line));
		return (-1);
	}
	if ((bad = proto_utf8_invalid(line, len)) != -1) {
		proto_error_set(err, PROTO_E_BAD_REQUEST, NULL,
		    "request is not valid UTF-8 (byte %d)", bad);
		return (-1);
	}

	/* Trailing blanks (a CRLF client's carriage return) are not data. */
	while (len > 0 && strchr(" \t\r", line[len - 1]) != NULL)
		len--;
	if (proto_json_read(line, len, PROTO_DEPTH_MAX, &obj, &end, &why) ==
	    -1) {
		proto_error_set(err, PROTO_E_BAD_REQUEST, NULL,
		    "request is not valid JSON: %s at byte %zu", why, end);
		return (-1);
	}
	if (end < len) {
		json_object_put(obj);
		proto_error_set(err, PROTO_E_BAD_REQUEST, NULL,
		    "trailing data after the JSON object at byte %zu", end);
		return (-1);
	}
	if (!json_object_is_type(obj, json_type_object)) {
		proto_error_set(err, PROTO_E_BAD_REQUEST, NULL,
		    "request must be a JSON object, not %s",
		    proto_type_name(obj));
		json_object_put(obj);
		return (-1);
	}
	req->obj = obj;

	if (json_object_object_get_ex(obj, "id", &v)) {
		switch (json_object_get_type(v)) {
		case json_type_null:
		case json_type_int:
		case json_type_double:
		case json_type_string:
			req->id = v;
			break;
		default:
			proto_error_set(err, PROTO_E_BAD_FIELD, "id",
			    "field \"id\" must be a string or a number, not %s",
			    proto_type_name(v));
			return (-1);
		}
	}
	if (proto_get_string(obj, "verb", 1, &req->verb, err) == -1)
		return (-1);
	return (0);
}

void
proto_request_clear(struct proto_request *req)
{
	json_object_put(req->obj);
	memset(req, 0, sizeof(*req));
}

/*
 * Field accessors.  Each returns 0 with the value stored, 1 when an optional
 * field is absent (the output is left untouched), -1 with err set when the
 * field is missing but required or has the wrong type or range.
 */
static int
proto_field(struct json_object *obj, const char *field, int required,
    struct json_object **v, struct proto_error *err)
{
	if (!json_object_object_get_ex(obj, field, v) ||
	    json_object_is_type(*v, json_type_null)) {
		if (required) {
			proto_error_set(err, PROTO_E_BAD_FIELD, field,
			    "field \"%s\" is required", field);
			return (-1);
		}
		return (1);
	}
	return (0);
}

int
proto_get_string(struct json_object *obj, const char *field, int required,
    const char **out, struct proto_error *err)
{
	struct json_object *v;
	int		    rc;

	if ((rc = proto_field(obj, field, required, &v, err)) != 0)
		return (rc);
	if (!json_object_is_type(v, json_type_string)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "field \"%s\" must be a string, not %s", field,
		    proto_type_name(v));
		return (-1);
	}
	if ((size_t)json_object_get_string_len(v) !=
	    strlen(json_object_get_string(v))) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "field \"%s\" holds a NUL character", field);
		return (-1);
	}
	*out = json_object_get_string(v);
	return (0);
}

int
proto_get_int(struct json_object *obj, const char *field, int required,
    long long min, long long max, long long *out, struct proto_error *err)
{
	struct json_object *v;
	long long	    n;
	int		    rc;

	if ((rc = proto_field(obj, field, required, &v, err)) != 0)
		return (rc);
	if (!json_object_is_type(v, json_type_int)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "field \"%s\" must be an integer, not %s", field,
		    proto_type_name(v));
		return (-1);
	}
	n = json_object_get_int64(v);
	if (n < min || n > max) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "field \"%s\" is %lld, outside %lld..%lld", field, n, min,
		    max);
		return (-1);
	}
	*out = n;
	return (0);
}

int
proto_get_bool(struct json_object *obj, const char *field, int required,
    int *out, struct proto_error *err)
{
	struct json_object *v;
	int		    rc;

	if ((rc = proto_field(obj, field, required, &v, err)) != 0)
		return (rc);
	if (!json_object_is_type(v, json_type_boolean)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "field \"%s\" must be true or false, not %s", field,
		    proto_type_name(v));
		return (-1);
	}
	*out = json_object_get_boolean(v);
	return (0);
}

/* A successful reply that echoes the request's id (which may be NULL). */
struct json_object *
proto_reply_new(struct json_object *id)
{
	struct json_object *reply;

	if ((reply = json_object_new_object()) == NULL)
		return (NULL);
	if (id != NULL)
		json_object_object_add(reply, "id", json_object_get(id));
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	return (reply);
}

struct json_object *
proto_reply_error(struct json_object *id, const struct proto_error *err)
{
	struct json_object *reply, *e;

	if ((reply = json_object_new_object()) == NULL)
		return (NULL);
	if ((e = json_object_new_object()) == NULL) {
		json_object_put(reply);
		return (NULL);
	}
	json_object_object_add(reply, "id",
	    id != NULL ? json_object_get(id) : NULL);
	json_object_object_add(reply, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "code", json_object_new_string(err->code));
	json_object_object_add(e, "message",
	    json_object_new_string(err->message));
	if (err->field[0] != '\0')
		json_object_object_add(e, "field",
		    json_object_new_string(err->field));
	json_object_object_add(reply, "error", e);
	return (reply);
}

/*
 * One line of JSON with its newline, in a buffer the caller frees.  json-c
 * escapes every control character, so the text never holds a raw newline.
 */
char *
proto_serialize(struct json_object *obj, size_t *lenp)
{
	const char *s;
	size_t	    len;
	char	   *line;

	s = json_object_to_json_string_length(obj,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL || (line = malloc(len + 2)) == NULL)
		return (NULL);
	memcpy(line, s, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	if (lenp != NULL)
		*lenp = len + 1;
	return (line);
}
