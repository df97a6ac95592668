/*
 * A strict JSON reader (RFC 8259) for request lines, building json-c
 * objects.  json-c's tokener is made for text that comes in pieces: it
 * walks a state machine a byte at a time, copies every token through a
 * print buffer and switches the thread's locale for each parse.  A
 * request is one whole line already in memory, already checked to be
 * UTF-8 with no NUL byte (proto_request_parse), so one recursive pass
 * over its bytes is enough, and strings without escapes go from the line
 * to their object in one copy.
 *
 * What it accepts is RFC 8259's grammar and nothing else: no comments,
 * no trailing commas, no leading zeros, no NaN; a control character in a
 * string must be escaped; a \u escape of a surrogate must be half of a
 * pair.  Integers are int64 (and uint64 above INT64_MAX, as json-c
 * makes them); one outside both is refused, not rounded.  A key that
 * would hold a NUL character (\u0000) is refused: json-c's keys are C
 * strings.  Nesting is bounded by the caller's depth (json-c's meaning:
 * a depth of 16 allows 15 open objects and arrays).  fuzz/fuzz_json
 * holds it to json-c's own tokener on every input.
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct jr {
	const char *p;	 /* the text */
	size_t	    len; /* its length */
	size_t	    at;	 /* the next byte */
	int	    depth;
	int	    depth_max;
	const char *why; /* what went wrong at at */
};

static int jr_value(struct jr *, struct json_object **);

/* Refused at r->at; "incomplete" when the text ended there. */
static int
jr_fail(struct jr *r, const char *why)
{
	if (r->at >= r->len)
		why = "incomplete at end of line";
	r->why = why;
	return (-1);
}

/* Refused for why, wherever the text ends ("1." is not incomplete). */
static int
jr_refuse(struct jr *r, const char *why)
{
	r->why = why;
	return (-1);
}

static void
jr_blank(struct jr *r)
{
	while (r->at < r->len) {
		switch (r->p[r->at]) {
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			r->at++;
			continue;
		}
		break;
	}
}

static int
jr_hex4(struct jr *r, unsigned int *out)
{
	unsigned int v = 0, d;
	int	     k;
	char	     ch;

	for (k = 0; k < 4; k++) {
		if (r->at >= r->len)
			return (jr_fail(r, NULL));
		ch = r->p[r->at];
		if (ch >= '0' && ch <= '9')
			d = (unsigned int)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned int)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned int)(ch - 'A' + 10);
		else
			return (jr_fail(r,
			    "a \\u escape needs four hex digits"));
		v = v << 4 | d;
		r->at++;
	}
	*out = v;
	return (0);
}

static size_t
jr_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return (3);
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return (4);
}

/*
 * The string whose opening quote is at r->at: its bytes, unescaped, in
 * *sp and *np.  Without escapes they are the line's own (*freep NULL);
 * with them, a buffer the caller frees (*freep).
 */
static int
jr_string(struct jr *r, const char **sp, size_t *np, char **freep)
{
	size_t	     start = ++r->at, o;
	unsigned int cp, lo;
	char	    *buf, ch;

	*freep = NULL;
	for (;;) {
		if (r->at >= r->len)
			return (jr_fail(r, NULL));
		ch = r->p[r->at];
		if (ch == '"') {
			*sp = r->p + start;
			*np = r->at - start;
			r->at++;
			return (0);
		}
		if (ch == '\\')
			break;
		if ((unsigned char)ch < 0x20)
			return (jr_fail(r,
			    "a control character in a string must be escaped"));
		r->at++;
	}

	/* Escapes: unescaped, the text is never longer than the source. */
	if ((buf = malloc(r->len - start + 1)) == NULL)
		return (jr_fail(r, "out of memory"));
	o = r->at - start;
	memcpy(buf, r->p + start, o);
	for (;;) {
		if (r->at >= r->len)
			break;
		ch = r->p[r->at];
		if (ch == '"') {
			r->at++;
			*sp = buf;
			*np = o;
			*freep = buf;
			return (0);
		}
		if ((unsigned char)ch < 0x20) {
			free(buf);
			return (jr_fail(r,
			    "a control character in a string must be escaped"));
		}
		if (ch != '\\') {
			buf[o++] = ch;
			r->at++;
			continue;
		}
		if (++r->at >= r->len)
			break;
		ch = r->p[r->at++];
		switch (ch) {
		case '"':
		case '\\':
		case '/':
			buf[o++] = ch;
			continue;
		case 'b':
			buf[o++] = '\b';
			continue;
		case 'f':
			buf[o++] = '\f';
			continue;
		case 'n':
			buf[o++] = '\n';
			continue;
		case 'r':
			buf[o++] = '\r';
			continue;
		case 't':
			buf[o++] = '\t';
			continue;
		case 'u':
			break;
		default:
			r->at--;
			free(buf);
			return (jr_fail(r, "an unknown escape"));
		}
		if (jr_hex4(r, &cp) == -1) {
			free(buf);
			return (-1);
		}
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			r->at -= 6;
			free(buf);
			return (jr_fail(r, "a low surrogate with no high one"));
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (r->len - r->at < 2 || r->p[r->at] != '\\' ||
			    r->p[r->at + 1] != 'u') {
				free(buf);
				return (jr_fail(r,
				    "a high surrogate with no low one"));
			}
			r->at += 2;
			if (jr_hex4(r, &lo) == -1) {
				free(buf);
				return (-1);
			}
			if (lo < 0xdc00 || lo > 0xdfff) {
				r->at -= 6;
				free(buf);
				return (jr_fail(r,
				    "a high surrogate with no low one"));
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		/* Six or twelve bytes of escape make at most four. */
		o += jr_utf8(buf + o, cp);
	}
	free(buf);
	return (jr_fail(r, NULL));
}

/* The C locale for strtod, whatever the program's locale is. */
static locale_t	      jr_c;
static pthread_once_t jr_c_once = PTHREAD_ONCE_INIT;

static void
jr_c_make(void)
{
	jr_c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

static locale_t
jr_c_locale(void)
{
	pthread_once(&jr_c_once, jr_c_make);
	return (jr_c);
}

static int
jr_number(struct jr *r, struct json_object **out)
{
	size_t	 start = r->at, digits;
	int	 neg = 0, frac = 0;
	uint64_t u = 0;
	double	 d;
	char	 text[64], *t, *end;
	locale_t c;

	if (r->p[r->at] == '-') {
		neg = 1;
		if (++r->at < r->len && r->p[r->at] == 'I')
			return (jr_refuse(r, "NaN and Infinity are not JSON"));
	}
	digits = r->at;
	while (r->at < r->len && r->p[r->at] >= '0' && r->p[r->at] <= '9')
		r->at++;
	if (r->at == digits)
		return (jr_refuse(r, "a number needs a digit"));
	if (r->p[digits] == '0' && r->at - digits > 1) {
		r->at = digits;
		return (jr_refuse(r, "a number has no leading zeros"));
	}
	if (r->at < r->len && r->p[r->at] == '.') {
		frac = 1;
		digits = ++r->at;
		while (r->at < r->len && r->p[r->at] >= '0' &&
		    r->p[r->at] <= '9')
			r->at++;
		if (r->at == digits)
			return (jr_refuse(r, "a fraction needs a digit"));
	}
	if (r->at < r->len && (r->p[r->at] == 'e' || r->p[r->at] == 'E')) {
		frac = 1;
		r->at++;
		if (r->at < r->len &&
		    (r->p[r->at] == '+' || r->p[r->at] == '-'))
			r->at++;
		digits = r->at;
		while (r->at < r->len && r->p[r->at] >= '0' &&
		    r->p[r->at] <= '9')
			r->at++;
		if (r->at == digits)
			return (jr_refuse(r, "an exponent needs a digit"));
	}

	if (!frac) {
		for (digits = start + (size_t)neg; digits < r->at; digits++) {
			if (u > (UINT64_MAX - (uint64_t)(r->p[digits] - '0')) /
				10) {
				r->at = start;
				return (jr_refuse(r,
				    "an integer out of range"));
			}
			u = u * 10 + (uint64_t)(r->p[digits] - '0');
		}
		if (neg) {
			if (u > (uint64_t)INT64_MAX + 1) {
				r->at = start;
				return (jr_refuse(r,
				    "an integer out of range"));
			}
			*out = json_object_new_int64(u ==
				    (uint64_t)INT64_MAX + 1 ?
				INT64_MIN :
				-(int64_t)u);
		} else if (u > (uint64_t)INT64_MAX)
			*out = json_object_new_uint64(u);
		else
			*out = json_object_new_int64((int64_t)u);
		return (*out == NULL ? jr_fail(r, "out of memory") : 0);
	}

	/* strtod wants a C string; a long number gets a buffer of its own. */
	t = text;
	if ((c = jr_c_locale()) == (locale_t)0 ||
	    (r->at - start >= sizeof(text) &&
		(t = malloc(r->at - start + 1)) == NULL))
		return (jr_refuse(r, "out of memory"));
	memcpy(t, r->p + start, r->at - start);
	t[r->at - start] = '\0';
	d = strtod_l(t, &end, c);
	if (*end != '\0' || !isfinite(d)) {
		if (t != text)
			free(t);
		r->at = start;
		return (jr_refuse(r, "a number out of range"));
	}
	*out = json_object_new_double_s(d, t);
	if (t != text)
		free(t);
	return (*out == NULL ? jr_refuse(r, "out of memory") : 0);
}

static int
jr_word(struct jr *r, const char *w, size_t n)
{
	if (r->len - r->at < n || memcmp(r->p + r->at, w, n) != 0) {
		while (n > 0 && r->at < r->len && r->p[r->at] == *w) {
			r->at++;
			w++;
			n--;
		}
		return (jr_fail(r, "an unexpected character"));
	}
	r->at += n;
	return (0);
}

static int
jr_object(struct jr *r, struct json_object **out)
{
	struct json_object *o, *v;
	const char	   *k;
	char		   *kfree, kbuf[128], *key;
	size_t		    kn, kat;
	int		    rc;

	if ((o = json_object_new_object()) == NULL)
		return (jr_fail(r, "out of memory"));
	r->at++;
	jr_blank(r);
	if (r->at < r->len && r->p[r->at] == '}') {
		r->at++;
		*out = o;
		return (0);
	}
	for (;;) {
		if (r->at >= r->len || r->p[r->at] != '"') {
			json_object_put(o);
			return (jr_fail(r, "expected a key in quotes"));
		}
		kat = r->at;
		if (jr_string(r, &k, &kn, &kfree) == -1) {
			json_object_put(o);
			return (-1);
		}
		if (memchr(k, '\0', kn) != NULL) {
			free(kfree);
			json_object_put(o);
			r->at = kat;
			return (jr_fail(r, "a key holds a NUL character"));
		}
		if (kfree != NULL)
			key = kfree; /* room for the NUL: see jr_string */
		else if (kn < sizeof(kbuf))
			key = kbuf;
		else if ((key = kfree = malloc(kn + 1)) == NULL) {
			json_object_put(o);
			return (jr_fail(r, "out of memory"));
		}
		memmove(key, k, kn);
		key[kn] = '\0';
		jr_blank(r);
		if (r->at >= r->len || r->p[r->at] != ':') {
			free(kfree);
			json_object_put(o);
			return (jr_fail(r, "expected ':' after a key"));
		}
		r->at++;
		jr_blank(r);
		r->depth++;
		rc = jr_value(r, &v);
		r->depth--;
		if (rc == -1) {
			free(kfree);
			json_object_put(o);
			return (-1);
		}
		/* A key given twice keeps its last value, as json-c does. */
		if (json_object_object_add(o, key, v) != 0) {
			json_object_put(v);
			free(kfree);
			json_object_put(o);
			return (jr_fail(r, "out of memory"));
		}
		free(kfree);
		jr_blank(r);
		if (r->at < r->len && r->p[r->at] == ',') {
			r->at++;
			jr_blank(r);
			continue;
		}
		if (r->at < r->len && r->p[r->at] == '}') {
			r->at++;
			*out = o;
			return (0);
		}
		json_object_put(o);
		return (jr_fail(r, "expected ',' or '}'"));
	}
}

static int
jr_array(struct jr *r, struct json_object **out)
{
	struct json_object *a, *v;
	int		    rc;

	if ((a = json_object_new_array()) == NULL)
		return (jr_fail(r, "out of memory"));
	r->at++;
	jr_blank(r);
	if (r->at < r->len && r->p[r->at] == ']') {
		r->at++;
		*out = a;
		return (0);
	}
	for (;;) {
		r->depth++;
		rc = jr_value(r, &v);
		r->depth--;
		if (rc == -1) {
			json_object_put(a);
			return (-1);
		}
		if (json_object_array_add(a, v) != 0) {
			json_object_put(v);
			json_object_put(a);
			return (jr_fail(r, "out of memory"));
		}
		jr_blank(r);
		if (r->at < r->len && r->p[r->at] == ',') {
			r->at++;
			jr_blank(r);
			continue;
		}
		if (r->at < r->len && r->p[r->at] == ']') {
			r->at++;
			*out = a;
			return (0);
		}
		json_object_put(a);
		return (jr_fail(r, "expected ',' or ']'"));
	}
}

static int
jr_value(struct jr *r, struct json_object **out)
{
	const char *s;
	char	   *sfree;
	size_t	    n;

	*out = NULL;
	if (r->at >= r->len)
		return (jr_fail(r, NULL));
	/* json-c's depth: the top value is at 0, a member one deeper. */
	if (r->depth > r->depth_max - 1)
		return (jr_fail(r, "nested too deep"));
	switch (r->p[r->at]) {
	case '{':
		return (jr_object(r, out));
	case '[':
		return (jr_array(r, out));
	case '"':
		if (jr_string(r, &s, &n, &sfree) == -1)
			return (-1);
		*out = json_object_new_string_len(s, (int)n);
		free(sfree);
		return (*out == NULL ? jr_fail(r, "out of memory") : 0);
	case 't':
		if (jr_word(r, "true", 4) == -1)
			return (-1);
		*out = json_object_new_boolean(1);
		return (*out == NULL ? jr_fail(r, "out of memory") : 0);
	case 'f':
		if (jr_word(r, "false", 5) == -1)
			return (-1);
		*out = json_object_new_boolean(0);
		return (*out == NULL ? jr_fail(r, "out of memory") : 0);
	case 'n':
		return (jr_word(r, "null", 4));
	case 'N':
	case 'I':
		return (jr_refuse(r, "NaN and Infinity are not JSON"));
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return (jr_number(r, out));
	default:
		return (jr_fail(r, "an unexpected character"));
	}
}

int
proto_json_read(const char *text, size_t len, int depth_max,
    struct json_object **out, size_t *endp, const char **whyp)
{
	struct jr r = { text, len, 0, 0, depth_max, NULL };

	*out = NULL;
	jr_blank(&r);
	if (jr_value(&r, out) == -1) {
		*endp = r.at;
		*whyp = r.why;
		return (-1);
	}
	jr_blank(&r);
	*endp = r.at;
	*whyp = NULL;
	return (0);
}
