/*
 * Instances and TXT records as JSON, as replies and events carry them
 * (doc/protocol.md).
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-common/domain.h>

#include "discod.h"

/*
 * TXT strings as JSON: a string when the bytes are UTF-8 without control
 * characters, else {"base64": "..."} so no byte is lost or breaks framing.
 */
struct json_object *
txt_to_json(const struct txt *txt)
{
	struct json_object *arr, *o;
	char		    b64[TXT_STRING_MAX * 2];
	size_t		    i, j;
	int		    plain;

	arr = json_object_new_array();
	for (i = 0; i < txt->n; i++) {
		plain = proto_utf8_invalid((const char *)txt->v[i].data,
			    txt->v[i].len) == -1;
		for (j = 0; plain && j < txt->v[i].len; j++) {
			if (txt->v[i].data[j] < 0x20 ||
			    txt->v[i].data[j] == 0x7f)
				plain = 0;
		}
		if (plain) {
			json_object_array_add(arr,
			    json_object_new_string_len(
				(const char *)txt->v[i].data,
				(int)txt->v[i].len));
			continue;
		}
		o = json_object_new_object();
		if (b64_ntop(txt->v[i].data, txt->v[i].len, b64, sizeof(b64)) ==
		    -1)
			b64[0] = '\0';
		json_object_object_add(o, "base64",
		    json_object_new_string(b64));
		json_object_array_add(arr, o);
	}
	return (arr);
}

/*
 * An instance's text, written directly: the reply text of every instance
 * that is asked for is made here, so it costs what copying the strings
 * costs rather than a tree of json-c objects (about 30 allocations).  The
 * output is what json-c prints for the same object with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE: the same
 * escapes, numbers and field order (check_watch compares them).
 */

/*
 * The text is written into one buffer kept from call to call (discod's
 * loop is its only user), so that making a text allocates nothing but
 * its copy.
 */
static struct proto_buf jt_scratch;

static inline void
jt_add(struct proto_buf *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap)
		proto_buf_grow(t, n);
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void
jt_lit(struct proto_buf *t, const char *s)
{
	jt_add(t, s, strlen(s));
}

/*
 * "key": after a comma unless first.  Keys are plain ASCII names: no
 * escape is needed, none is looked for.
 */
static void
jt_key(struct proto_buf *t, const char *key)
{
	size_t n = strlen(key);

	if (t->len + n + 4 > t->cap)
		proto_buf_grow(t, n + 4);
	if (t->len > 0 && t->p[t->len - 1] != '{' && t->p[t->len - 1] != '[')
		t->p[t->len++] = ',';
	t->p[t->len++] = '"';
	memcpy(t->p + t->len, key, n);
	t->len += n;
	t->p[t->len++] = '"';
	t->p[t->len++] = ':';
}

static void
jt_kstr(struct proto_buf *t, const char *key, const char *s)
{
	jt_key(t, key);
	if (s == NULL)
		jt_lit(t, "null");
	else
		proto_buf_str(t, s, strlen(s));
}

static void
jt_kint(struct proto_buf *t, const char *key, long long v)
{
	char		   buf[32];
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v :
				       (unsigned long long)v;
	size_t		   k = sizeof(buf);

	jt_key(t, key);
	do { /* what %lld prints, without printf */
		buf[--k] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u > 0);
	if (v < 0)
		buf[--k] = '-';
	jt_add(t, buf + k, sizeof(buf) - k);
}

/*
 * What snprintf's "%.17g" prints for v, in buf (at least 32 bytes).  The
 * times of every instance (seconds since the epoch) go through here, and
 * glibc's printf takes about 600 ns for each: a third of an instance's
 * text.  For 1 <= |v| < 1e15 (fixed notation, 17 significant digits) the
 * digits are made with integer arithmetic on v's exact binary value,
 * rounded half to even as printf does; anything else goes to snprintf.
 * check_watch compares the two over millions of values.
 */
void
instance_json_double(char *buf, size_t size, double v)
{
	unsigned __int128  num, q, r, half;
	unsigned long long m, ip, p10 = 1, d;
	char		   digits[40];
	int		   e, x, f, k, n, neg = v < 0, shift;
	double		   a = neg ? -v : v;

	if (!(a >= 1 && a < 1e15) || size < 32) {
		snprintf(buf, size, "%.17g", v);
		return;
	}
	ip = (unsigned long long)a; /* exact: a < 2^53 */
	for (x = 0; ip >= 10; ip /= 10)
		x++;
	f = 16 - x; /* fractional digits */
	m = (unsigned long long)ldexp(frexp(a, &e), 53);
	shift = 53 - e; /* a = m / 2^shift, 0 <= shift <= 52 */
	for (k = 0; k < f; k++)
		p10 *= 10;
	num = (unsigned __int128)m * p10;
	q = num >> shift;
	if (shift > 0) {
		r = num & (((unsigned __int128)1 << shift) - 1);
		half = (unsigned __int128)1 << (shift - 1);
		if (r > half || (r == half && (q & 1)))
			q++;
	}
	/* 17 digits, or 18 when rounding carried into a new one */
	n = 0;
	d = (unsigned long long)q; /* < 10^18 */
	do {
		digits[n++] = (char)('0' + (int)(d % 10));
		d /= 10;
	} while (d > 0);
	if (n == 18) { /* 10^17: one integer digit more, one fraction less */
		x++;
		f--;
		memmove(digits, digits + 1, (size_t)--n);
	}
	k = 0;
	if (neg)
		buf[k++] = '-';
	while (n > f) /* the integer digits, most significant first */
		buf[k++] = digits[--n];
	while (n > 0 && digits[0] == '0') { /* %g drops trailing zeros */
		memmove(digits, digits + 1, (size_t)--n);
		f--;
	}
	if (n > 0) {
		buf[k++] = '.';
		while (n > 0)
			buf[k++] = digits[--n];
	}
	buf[k] = '\0';
}

/* A double as json-c prints one: %.17g, and ".0" if that has no point. */
static void
jt_kdouble(struct proto_buf *t, const char *key, double v)
{
	char buf[64];

	jt_key(t, key);
	if (isnan(v)) {
		jt_lit(t, "NaN");
		return;
	}
	if (isinf(v)) {
		jt_lit(t, v > 0 ? "Infinity" : "-Infinity");
		return;
	}
	instance_json_double(buf, sizeof(buf), v);
	if ((isdigit((unsigned char)buf[0]) ||
		(buf[0] == '-' && isdigit((unsigned char)buf[1]))) &&
	    strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL)
		strlcat(buf, ".0", sizeof(buf));
	jt_lit(t, buf);
}

/* TXT strings as txt_to_json() makes them. */
static void
jt_txt(struct proto_buf *t, const struct txt *txt)
{
	char   b64[TXT_STRING_MAX * 2];
	size_t i, j;
	int    plain;

	jt_key(t, "txt");
	jt_add(t, "[", 1);
	for (i = 0; i < txt->n; i++) {
		if (i > 0)
			jt_add(t, ",", 1);
		plain = proto_utf8_invalid((const char *)txt->v[i].data,
			    txt->v[i].len) == -1;
		for (j = 0; plain && j < txt->v[i].len; j++) {
			if (txt->v[i].data[j] < 0x20 ||
			    txt->v[i].data[j] == 0x7f)
				plain = 0;
		}
		if (plain) {
			proto_buf_str(t, (const char *)txt->v[i].data,
			    txt->v[i].len);
			continue;
		}
		if (b64_ntop(txt->v[i].data, txt->v[i].len, b64, sizeof(b64)) ==
		    -1)
			b64[0] = '\0';
		jt_add(t, "{", 1);
		jt_kstr(t, "base64", b64);
		jt_add(t, "}", 1);
	}
	jt_add(t, "]", 1);
}

/*
 * What avahi_service_name_join() makes of an instance's name, type and
 * domain, without its work on the type and domain for every text: their
 * part ("_http._tcp.local", checked and normalized by Avahi) is kept for
 * the last pair asked, which is nearly always the pair asked next.  The
 * name is checked and escaped as Avahi does (check_watch compares the
 * texts with Avahi's join).  -1 when Avahi would refuse them.
 */
static int
jt_fullname(char *out, size_t size, const struct instance *i)
{
	static char type[AVAHI_DOMAIN_NAME_MAX], domain[AVAHI_DOMAIN_NAME_MAX];
	static char suffix[AVAHI_DOMAIN_NAME_MAX];
	static int  suffix_ok = -1; /* -1: none kept */
	char	   *e = out;
	size_t	    left = size;

	if (suffix_ok == -1 || strcmp(type, i->type) != 0 ||
	    strcmp(domain, i->domain) != 0) {
		if (strlcpy(type, i->type, sizeof(type)) >= sizeof(type) ||
		    strlcpy(domain, i->domain, sizeof(domain)) >=
			sizeof(domain)) {
			suffix_ok = -1;
			return (-1);
		}
		suffix_ok = avahi_service_name_join(suffix, sizeof(suffix),
				NULL, i->type, i->domain) == 0;
	}
	if (!suffix_ok || !avahi_is_valid_service_name(i->name) ||
	    avahi_escape_label(i->name, strlen(i->name), &e, &left) == NULL ||
	    left < 2)
		return (-1);
	*e++ = '.';
	left--;
	if (strlcpy(e, suffix, left) >= left)
		return (-1);
	return (0);
}

/* The instance's text, in jt_scratch until the next call. */
static const char *
instance_json_write(const struct instance *i, size_t *lenp)
{
	struct proto_buf t = jt_scratch;
	char		 full[AVAHI_DOMAIN_NAME_MAX];
	char		 text[CACHE_ADDR_TEXT_MAX];
	size_t		 k;
	int		 first = 1;

	jt_add(&t, "{", 1);
	jt_kstr(&t, "name", i->name);
	jt_kstr(&t, "type", i->type);
	jt_kstr(&t, "domain", i->domain);
	if (jt_fullname(full, sizeof(full), i) == 0)
		jt_kstr(&t, "fullname", full);
	jt_kstr(&t, "host", i->host);
	jt_kint(&t, "port", (int)i->port);
	jt_kint(&t, "priority", (int)i->priority);
	jt_kint(&t, "weight", (int)i->weight);
	jt_txt(&t, &i->txt);
	jt_key(&t, "addresses");
	jt_add(&t, "[", 1);
	for (k = 0; k < i->npaths; k++) {
		if (!cache_path_usable(&i->paths[k]))
			continue;
		if (!first)
			jt_add(&t, ",", 1);
		first = 0;
		jt_add(&t, "{", 1);
		jt_kstr(&t, "address",
		    cache_path_text(&i->paths[k], text, sizeof(text)));
		jt_kstr(&t, "family",
		    i->paths[k].family == AF_INET6 ? "ipv6" : "ipv4");
		jt_kstr(&t, "interface",
		    i->paths[k].ifname[0] != '\0' ? i->paths[k].ifname : NULL);
		jt_add(&t, "}", 1);
	}
	jt_add(&t, "]", 1);
	jt_key(&t, "local");
	jt_lit(&t, i->local ? "true" : "false");
	jt_key(&t, "reachable");
	jt_lit(&t, !i->unreachable ? "true" : "false");
	if (i->unreachable)
		jt_kdouble(&t, "unreachable_since", i->unreachable_since);
	if (i->stale) {
		jt_key(&t, "stale");
		jt_lit(&t, "true");
	}
	jt_kdouble(&t, "first_seen", i->first_seen);
	jt_kdouble(&t, "last_changed", i->last_changed);
	jt_kdouble(&t, "last_confirmed", i->last_confirmed);
	jt_kint(&t, "index", (long long)i->index);
	jt_add(&t, "}", 1);
	t.p[t.len] = '\0';
	jt_scratch = t;
	jt_scratch.len = 0;
	*lenp = t.len;
	return (t.p);
}

/* The instance's text, to free; its length in *lenp. */
char *
instance_json_text(const struct instance *i, size_t *lenp)
{
	const char *s = instance_json_write(i, lenp);
	char	   *p = xmalloc(*lenp + 1);

	memcpy(p, s, *lenp + 1);
	return (p);
}

/*
 * The texts kept, most recently used first, and their bytes (the text
 * and what holds it): at most INSTANCE_MEMO_BYTES, so that a cache of
 * 10000 instances that clients have all asked for does not keep 10000
 * texts (about 450 to 750 bytes each); the instances asked for most keep
 * theirs.
 */

struct instance_memo {
	TAILQ_ENTRY(instance_memo) entry;
	struct instance		  *i;
	struct json_object	  *o;
	size_t			   bytes;
};
static TAILQ_HEAD(instance_memo_list,
    instance_memo) memos = TAILQ_HEAD_INITIALIZER(memos);
static size_t	   memo_bytes;

/*
 * An instance as JSON, for a reply or an event: made and serialized once
 * per change of the instance (the cache drops the memo), then shared.  The
 * object is a placeholder whose serializer writes the text; it is only
 * ever serialized, never read field by field.
 */
struct json_object *
instance_json(struct instance *i)
{
	struct json_object   *o;
	struct instance_memo *m;
	const char	     *text;
	size_t		      len, bytes;

	if ((m = i->memo) != NULL) {
		if (m != TAILQ_FIRST(&memos)) {
			TAILQ_REMOVE(&memos, m, entry);
			TAILQ_INSERT_HEAD(&memos, m, entry);
		}
		return (json_object_get(m->o));
	}
	text = instance_json_write(i, &len);
	bytes = sizeof(size_t) + len + 1 +
	    sizeof(*m); /* as proto_raw_new holds it */
	if ((o = proto_raw_new(text, len)) == NULL)
		fatalx("%s: out of memory", __func__);
	/* Room for it: the least recently used texts go. */
	while ((m = TAILQ_LAST(&memos, instance_memo_list)) != NULL &&
	    memo_bytes + bytes > INSTANCE_MEMO_BYTES) {
		m->i->memo = NULL;
		instance_json_memo_free(m);
	}
	m = xmalloc(sizeof(*m));
	m->i = i;
	m->o = o;
	m->bytes = bytes;
	memo_bytes += bytes;
	TAILQ_INSERT_HEAD(&memos, m, entry);
	i->memo = m;
	return (json_object_get(o));
}

/* The cache's memo_free: an instance changed or went, or room is needed. */
void
instance_json_memo_free(void *memo)
{
	struct instance_memo *m = memo;

	if (m == NULL)
		return;
	TAILQ_REMOVE(&memos, m, entry);
	memo_bytes -= m->bytes;
	json_object_put(m->o);
	free(m);
}

/* The bytes of reply text kept (a unit test's view of the budget). */
size_t
instance_json_memo_bytes(void)
{
	return (memo_bytes);
}
