/*
 * Request decoding and reply encoding for protocol v1.  Knows nothing of
 * Avahi or sockets: bytes in, JSON objects out.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
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

/*
 * The common shape of a resolve request, read a byte at a time without an
 * object made: {"verb":"resolve","name":N,"type":T}, with "domain" and
 * "id" if wanted, in any order, blanks between tokens.  Strings are
 * printable ASCII without escapes and shorter than PROTO_SCAN_STR_MAX; an
 * id is such a string or an integer of at most 15 digits, without a
 * leading zero or "-0", so that it is written back as it came.  Anything
 * else (another field, an escape, a byte over 0x7e, null, a key twice)
 * returns 0: the request goes the whole way, proto_request_parse.  1 when
 * it matched; the whole way reads the same request from the same line
 * (fuzz_resolve_scan and check_proto hold it to that).
 */
static const char *
ps_blank(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return (p);
}

/* A string without escapes at p ('"'), its bytes in *s and *n. */
static const char *
ps_string(const char *p, const char *end, const char **s, size_t *n)
{
	const char *q;

	if (p >= end || *p != '"')
		return (NULL);
	for (q = ++p; q < end && *q != '"'; q++) {
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e ||
		    *q == '\\')
			return (NULL);
	}
	if (q >= end || q - p >= PROTO_SCAN_STR_MAX)
		return (NULL);
	*s = p;
	*n = (size_t)(q - p);
	return (q + 1);
}

int
proto_resolve_scan(const char *line, size_t len, struct proto_resolve *r)
{
	static const char *const keys[] = { "verb", "name", "type", "domain",
		"id" };
	char	   *dst[] = { NULL, r->name, r->type, r->domain, NULL };
	const char *p = line, *end = line + len, *k, *v, *q;
	size_t	    kn, vn, j;
	unsigned    seen = 0;

	r->has_domain = 0;
	r->id = NULL;
	r->id_len = 0;
	p = ps_blank(p, end);
	if (p >= end || *p++ != '{')
		return (0);
	for (;;) {
		p = ps_blank(p, end);
		if ((p = ps_string(p, end, &k, &kn)) == NULL)
			return (0);
		for (j = 0; j < 5; j++) {
			if (strlen(keys[j]) == kn &&
			    memcmp(keys[j], k, kn) == 0)
				break;
		}
		if (j == 5 || (seen & (1U << j)))
			return (0);
		seen |= 1U << j;
		p = ps_blank(p, end);
		if (p >= end || *p++ != ':')
			return (0);
		p = ps_blank(p, end);
		if (j == 4 && p < end && *p != '"') {
			/* An integer id: -?(0|[1-9][0-9]{0,14}), not -0. */
			q = p;
			if (q < end && *q == '-')
				q++;
			v = q;
			while (q < end && *q >= '0' && *q <= '9')
				q++;
			vn = (size_t)(q - v);
			if (vn == 0 || vn > 15 ||
			    (*v == '0' && (vn > 1 || v != p)))
				return (0);
			if (q < end && (*q == '.' || *q == 'e' || *q == 'E'))
				return (0);
			r->id = p;
			r->id_len = (size_t)(q - p);
			p = q;
		} else {
			q = p;
			if ((p = ps_string(p, end, &v, &vn)) == NULL)
				return (0);
			if (j == 0 && (vn != 7 || memcmp(v, "resolve", 7) != 0))
				return (0);
			if (j == 4) {
				r->id = q;
				r->id_len = (size_t)(p - q);
			} else if (dst[j] != NULL) {
				memcpy(dst[j], v, vn);
				dst[j][vn] = '\0';
			}
		}
		p = ps_blank(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p >= end || *p++ != '}')
			return (0);
		break;
	}
	if (ps_blank(p, end) != end || (seen & 7) != 7)
		return (0);
	r->has_domain = (seen & 8) != 0;
	return (1);
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

/*
 * Text that is already JSON, as an object: serialized, it writes the text
 * as it is.  An instance's text is made once and kept (src/instance-json.c);
 * a reply holding it costs a copy, not a walk of 30 objects.
 */
struct proto_raw {
	size_t len;
	char   text[];
};

static int
proto_raw_serialize(struct json_object *o, struct printbuf *pb, int level,
    int flags)
{
	const struct proto_raw *r = json_object_get_userdata(o);

	return (printbuf_memappend(pb, r->text, (int)r->len));
}

static void
proto_raw_free(struct json_object *o, void *r)
{
	free(r);
}

struct json_object *
proto_raw_new(const char *text, size_t len)
{
	struct json_object *o;
	struct proto_raw   *r;

	if (len > INT32_MAX || (r = malloc(sizeof(*r) + len + 1)) == NULL)
		return (NULL);
	r->len = len;
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	if ((o = json_object_new_int(0)) == NULL) {
		free(r);
		return (NULL);
	}
	json_object_set_serializer(o, proto_raw_serialize, r, proto_raw_free);
	return (o);
}

/*
 * The text of a raw object, or NULL.  Only raw objects are integers with
 * user data: json-c gives user data to no integer of its own.
 */
const char *
proto_raw_text(struct json_object *o, size_t *lenp)
{
	const struct proto_raw *r;

	if (!json_object_is_type(o, json_type_int) ||
	    (r = json_object_get_userdata(o)) == NULL)
		return (NULL);
	*lenp = r->len;
	return (r->text);
}

/* Room for n more bytes and a NUL after them; abort when there is none. */
void
proto_buf_grow(struct proto_buf *b, size_t n)
{
	size_t cap;
	char  *p;

	for (cap = b->cap > 0 ? b->cap : 1024; cap - b->len <= n;)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		abort();
	b->p = p;
	b->cap = cap;
}

static void
pt_add(struct proto_buf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n)
		proto_buf_grow(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/*
 * A JSON string of n bytes as json-c writes it with
 * JSON_C_TO_STRING_NOSLASHESCAPE: the same escapes, \u00XX in lower case
 * for the other control characters, everything else as it is.
 */
void
proto_buf_str(struct proto_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t		  i, run = 0;
	char		  esc[6] = { '\\', 'u', '0', '0' };
	unsigned char	  ch;

	pt_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		pt_add(b, s + run, i - run);
		run = i + 1;
		switch (ch) {
		case '"':
			pt_add(b, "\\\"", 2);
			break;
		case '\\':
			pt_add(b, "\\\\", 2);
			break;
		case '\b':
			pt_add(b, "\\b", 2);
			break;
		case '\f':
			pt_add(b, "\\f", 2);
			break;
		case '\n':
			pt_add(b, "\\n", 2);
			break;
		case '\r':
			pt_add(b, "\\r", 2);
			break;
		case '\t':
			pt_add(b, "\\t", 2);
			break;
		default:
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 0xf];
			pt_add(b, esc, 6);
		}
	}
	pt_add(b, s + run, n - run);
	pt_add(b, "\"", 1);
}

static void
pt_value(struct proto_buf *b, struct json_object *o)
{
	const char *s;
	char	    num[24];
	size_t	    n, k, len;
	int	    first = 1;
	int64_t	    v;

	switch (json_object_get_type(o)) {
	case json_type_null:
		pt_add(b, "null", 4);
		return;
	case json_type_boolean:
		if (json_object_get_boolean(o))
			pt_add(b, "true", 4);
		else
			pt_add(b, "false", 5);
		return;
	case json_type_int:
		if ((s = proto_raw_text(o, &len)) != NULL) {
			pt_add(b, s, len);
			return;
		}
		/* INT64_MAX is also what an unsigned one above it reads as. */
		if ((v = json_object_get_int64(o)) == INT64_MAX)
			n = (size_t)snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)json_object_get_uint64(o));
		else
			n = (size_t)snprintf(num, sizeof(num), "%lld",
			    (long long)v);
		pt_add(b, num, n);
		return;
	case json_type_string:
		proto_buf_str(b, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		return;
	case json_type_object: {
		pt_add(b, "{", 1);
		json_object_object_foreach(o, key, val)
		{
			if (!first)
				pt_add(b, ",", 1);
			first = 0;
			proto_buf_str(b, key, strlen(key));
			pt_add(b, ":", 1);
			pt_value(b, val);
		}
		pt_add(b, "}", 1);
		return;
	}
	case json_type_array:
		pt_add(b, "[", 1);
		n = json_object_array_length(o);
		for (k = 0; k < n; k++) {
			if (k > 0)
				pt_add(b, ",", 1);
			pt_value(b, json_object_array_get_idx(o, k));
		}
		pt_add(b, "]", 1);
		return;
	case json_type_double:
	default:
		/* Rare in replies: json-c's own digits. */
		s = json_object_to_json_string_length(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
		pt_add(b, s, len);
		return;
	}
}

/*
 * An object as one line of JSON, the same bytes as json-c's
 * json_object_to_json_string_length(JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE) writes, without the print buffer json-c
 * allocates and grows in each object it serializes.  The text is valid
 * until the next call; a buffer grown past 256 KiB (a long list) is let
 * go then.
 */
const char *
proto_text(struct json_object *o, size_t *lenp)
{
	static __thread struct proto_buf b;

	if (b.cap > 256 * 1024) {
		free(b.p);
		memset(&b, 0, sizeof(b));
	}
	b.len = 0;
	pt_value(&b, o);
	pt_add(&b, "", 1);
	*lenp = b.len - 1;
	return (b.p);
}
