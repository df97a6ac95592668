/*
 * Wide-area records: what one host's announcements look like in etcd, and
 * what etcd's v3 JSON API answers (doc/wide-area.md).  No sockets, no
 * HTTP: the daemon's wide-area code (src/widearea.c) sends and receives,
 * this file makes and reads the bytes.  Everything read here comes from
 * the network and is checked as LAN data is: a value that is not exactly
 * a valid record is refused whole, with the reason.
 *
 * A record's key is PREFIX HOST "/" TYPE "/" NAME, NAME with '%', '/' and
 * control bytes %-escaped; its value is one JSON object:
 *
 *	{"v":1,"name":"web","type":"_http._tcp","host":"a.local",
 *	 "port":80,"txt":["base64",...],"subtypes":["_x"],
 *	 "addresses":["192.0.2.1","2001:db8::1"]}
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json.h>

#include "core.h"
#include "proto.h"

#define WA_JSON_DEPTH 8 /* etcd's answers nest 4 deep, records 2 */

const char *
wa_host_id_invalid(const char *id)
{
	size_t n = strlen(id), k;

	if (n == 0 || n > WA_HOST_ID_MAX)
		return ("must be 1 to 63 characters");
	for (k = 0; k < n; k++) {
		if (!isalnum((unsigned char)id[k]) &&
		    strchr("-_.", id[k]) == NULL)
			return ("may hold only letters, digits, '-', '_' and "
				"'.'");
	}
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return ("may not be \".\" or \"..\"");
	return (NULL);
}

const char *
wa_prefix_invalid(const char *prefix)
{
	size_t n = strlen(prefix), k;

	if (n == 0 || n > WA_PREFIX_MAX)
		return ("must be 1 to 128 bytes");
	if (prefix[n - 1] != '/')
		return ("must end with '/'");
	for (k = 0; k < n; k++) {
		if ((unsigned char)prefix[k] < 0x20 || prefix[k] == 0x7f)
			return ("may not hold control characters");
	}
	return (NULL);
}

/* PREFIX HOST/TYPE/NAME; -1 when it does not fit. */
int
wa_key_make(char *buf, size_t size, const char *prefix, const char *host,
    const char *type, const char *name)
{
	size_t	       at;
	int	       n;
	unsigned char *s;

	n = snprintf(buf, size, "%s%s/%s/", prefix, host, type);
	if (n < 0 || (size_t)n >= size)
		return (-1);
	at = (size_t)n;
	for (s = (unsigned char *)(uintptr_t)name; *s != '\0'; s++) {
		if (*s == '%' || *s == '/' || *s < 0x20 || *s == 0x7f) {
			if (at + 4 > size)
				return (-1);
			snprintf(buf + at, 4, "%%%02X", *s);
			at += 3;
		} else {
			if (at + 2 > size)
				return (-1);
			buf[at++] = (char)*s;
		}
	}
	buf[at] = '\0';
	return (0);
}

static int
wa_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * A key under the prefix, split into host, type and name (unescaped).
 * -1 with *why for a key that is not one a disco host writes.
 */
int
wa_key_parse(const char *key, size_t len, const char *prefix, struct wa_key *k,
    const char **why)
{
	size_t	    plen = strlen(prefix), i, n;
	const char *p, *end = key + len, *slash;
	int	    hi, lo, c;

	memset(k, 0, sizeof(*k));
	*why = NULL;
	if (len < plen || memcmp(key, prefix, plen) != 0) {
		*why = "outside the prefix";
		return (-1);
	}
	if (memchr(key, '\0', len) != NULL) {
		*why = "a NUL byte in the key";
		return (-1);
	}
	p = key + plen;
	if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL ||
	    (n = (size_t)(slash - p)) >= sizeof(k->host)) {
		*why = "no host part";
		return (-1);
	}
	memcpy(k->host, p, n);
	k->host[n] = '\0';
	if (wa_host_id_invalid(k->host) != NULL) {
		*why = "an invalid host part";
		return (-1);
	}
	p = slash + 1;
	if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL ||
	    (n = (size_t)(slash - p)) >= sizeof(k->type)) {
		*why = "no type part";
		return (-1);
	}
	memcpy(k->type, p, n);
	k->type[n] = '\0';
	if (service_type_invalid(k->type) != NULL) {
		*why = "an invalid type part";
		return (-1);
	}
	for (p = slash + 1, i = 0; p < end; p++) {
		if (i + 1 >= sizeof(k->name)) {
			*why = "a name too long";
			return (-1);
		}
		if (*p == '/') {
			*why = "a '/' in the name part";
			return (-1);
		}
		if (*p == '%') {
			if (end - p < 3 || (hi = wa_hex(p[1])) == -1 ||
			    (lo = wa_hex(p[2])) == -1 || (hi == 0 && lo == 0)) {
				*why = "a bad %-escape in the name part";
				return (-1);
			}
			/*
			 * Only what wa_key_make() escapes, as it writes it:
			 * one name has one key, so no host holds two records
			 * of one name under two spellings.
			 */
			c = hi << 4 | lo;
			if ((c != '%' && c != '/' && c >= 0x20 && c != 0x7f) ||
			    (p[1] >= 'a' && p[1] <= 'f') ||
			    (p[2] >= 'a' && p[2] <= 'f')) {
				*why = "a needless or lower-case %-escape in "
				       "the name part";
				return (-1);
			}
			k->name[i++] = (char)c;
			p += 2;
		} else
			k->name[i++] = *p;
	}
	k->name[i] = '\0';
	if (i == 0 || service_name_invalid(k->name) != NULL) {
		*why = "an invalid name part";
		return (-1);
	}
	return (0);
}

void
wa_record_clear(struct wa_record *r)
{
	size_t k;

	txt_clear(&r->txt);
	for (k = 0; k < r->nsubtypes; k++)
		free(r->subtypes[k]);
	memset(r, 0, sizeof(*r));
}

/* The value of a record, as JSON text to free. */
char *
wa_value_make(const struct wa_record *r, size_t *lenp)
{
	struct json_object *o, *a;
	char		    b64[TXT_STRING_MAX * 2], text[INET6_ADDRSTRLEN];
	char		   *s;
	size_t		    k;

	o = json_object_new_object();
	json_object_object_add(o, "v", json_object_new_int(1));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "type", json_object_new_string(r->type));
	json_object_object_add(o, "host", json_object_new_string(r->host));
	json_object_object_add(o, "port", json_object_new_int((int)r->port));
	a = json_object_new_array();
	for (k = 0; k < r->txt.n; k++) {
		if (b64_ntop(r->txt.v[k].data, r->txt.v[k].len, b64,
			sizeof(b64)) == -1)
			b64[0] = '\0';
		json_object_array_add(a, json_object_new_string(b64));
	}
	json_object_object_add(o, "txt", a);
	a = json_object_new_array();
	for (k = 0; k < r->nsubtypes; k++)
		json_object_array_add(a,
		    json_object_new_string(r->subtypes[k]));
	json_object_object_add(o, "subtypes", a);
	a = json_object_new_array();
	for (k = 0; k < r->naddrs; k++) {
		inet_ntop(r->addrs[k].family, r->addrs[k].addr, text,
		    sizeof(text));
		json_object_array_add(a, json_object_new_string(text));
	}
	json_object_object_add(o, "addresses", a);
	s = proto_serialize(o, lenp);
	json_object_put(o);
	return (s);
}

/* "field "F": why", or why alone; -1. */
static int
wa_fail(char *err, size_t size, const char *field, const char *why)
{
	if (field != NULL)
		snprintf(err, size, "field \"%s\": %s", field, why);
	else
		snprintf(err, size, "%s", why);
	return (-1);
}

/*
 * A JSON string whose C string is all of it: a \u0000 would cut it short,
 * and what was read would not be what was written.
 */
static int
wa_is_string(struct json_object *v)
{
	return (json_object_is_type(v, json_type_string) &&
	    strlen(json_object_get_string(v)) ==
		(size_t)json_object_get_string_len(v));
}

static const char *
wa_string(struct json_object *o, const char *key, size_t max)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !wa_is_string(v) ||
	    (size_t)json_object_get_string_len(v) > max)
		return (NULL);
	return (json_object_get_string(v));
}

static struct json_object *
wa_array(struct json_object *o, const char *key, size_t max)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return (NULL);
	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > max)
		return (NULL);
	return (v);
}

/*
 * A record's value, checked as a registration is: the name, type,
 * subtypes and TXT strings by the same rules, the port, every address a
 * unicast one.  -1 with a reason in err.
 */
int
wa_value_parse(const char *text, size_t len, struct wa_record *r, char *err,
    size_t errsize)
{
	struct json_object *o, *v, *a, *item;
	const char	   *s, *why;
	unsigned char	    buf[TXT_STRING_MAX + 3];
	size_t		    end, k, n;
	int		    blen;
	int64_t		    port;

	memset(r, 0, sizeof(*r));
	if (len > WA_VALUE_MAX)
		return (wa_fail(err, errsize, NULL, "value over 16384 bytes"));
	if (proto_json_read(text, len, WA_JSON_DEPTH, &o, &end, &why) == -1 ||
	    end != len) {
		json_object_put(o);
		return (wa_fail(err, errsize, NULL,
		    why != NULL ? why : "text after the JSON object"));
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return (wa_fail(err, errsize, NULL, "not a JSON object"));
	}
	if (!json_object_object_get_ex(o, "v", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != 1) {
		json_object_put(o);
		return (wa_fail(err, errsize, "v", "not 1"));
	}
	if ((s = wa_string(o, "name", SERVICE_NAME_MAX)) == NULL ||
	    service_name_invalid(s) != NULL) {
		json_object_put(o);
		return (wa_fail(err, errsize, "name", "not a service name"));
	}
	strlcpy(r->name, s, sizeof(r->name));
	if ((s = wa_string(o, "type", sizeof(r->type) - 1)) == NULL ||
	    service_type_invalid(s) != NULL) {
		json_object_put(o);
		return (wa_fail(err, errsize, "type", "not a service type"));
	}
	strlcpy(r->type, s, sizeof(r->type));
	if ((s = wa_string(o, "host", sizeof(r->host) - 1)) == NULL ||
	    config_domain_invalid(s) != NULL) {
		json_object_put(o);
		return (wa_fail(err, errsize, "host", "not a host name"));
	}
	strlcpy(r->host, s, sizeof(r->host));
	if (!json_object_object_get_ex(o, "port", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    (port = json_object_get_int64(v)) < 0 || port > 65535) {
		json_object_put(o);
		return (wa_fail(err, errsize, "port", "not 0 to 65535"));
	}
	r->port = (unsigned int)port;
	if ((a = wa_array(o, "txt", TXT_STRINGS_MAX)) != NULL) {
		n = json_object_array_length(a);
		for (k = 0; k < n; k++) {
			item = json_object_array_get_idx(a, k);
			if (!wa_is_string(item) ||
			    json_object_get_string_len(item) >
				(TXT_STRING_MAX + 2) / 3 * 4 ||
			    (blen = b64_pton(json_object_get_string(item), buf,
				 sizeof(buf))) < 0 ||
			    blen > TXT_STRING_MAX ||
			    txt_add(&r->txt, buf, (size_t)blen, &why) == -1) {
				json_object_put(o);
				wa_record_clear(r);
				return (wa_fail(err, errsize, "txt",
				    "a string that is not a base64 TXT string"));
			}
		}
	} else if (json_object_object_get_ex(o, "txt", &v)) {
		json_object_put(o);
		return (wa_fail(err, errsize, "txt", "not an array"));
	}
	if ((a = wa_array(o, "subtypes", SERVICE_SUBTYPES_MAX)) != NULL) {
		n = json_object_array_length(a);
		for (k = 0; k < n; k++) {
			item = json_object_array_get_idx(a, k);
			if (!wa_is_string(item) ||
			    service_subtype_invalid(
				json_object_get_string(item)) != NULL) {
				json_object_put(o);
				wa_record_clear(r);
				return (wa_fail(err, errsize, "subtypes",
				    "not a subtype label"));
			}
			r->subtypes[r->nsubtypes++] =
			    xstrdup(json_object_get_string(item));
		}
	} else if (json_object_object_get_ex(o, "subtypes", &v)) {
		json_object_put(o);
		wa_record_clear(r);
		return (wa_fail(err, errsize, "subtypes",
		    "not an array of at most 16"));
	}
	if ((a = wa_array(o, "addresses", WA_ADDRS_MAX)) == NULL ||
	    (n = json_object_array_length(a)) == 0) {
		json_object_put(o);
		wa_record_clear(r);
		return (wa_fail(err, errsize, "addresses",
		    "not an array of 1 to 8 addresses"));
	}
	for (k = 0; k < n; k++) {
		item = json_object_array_get_idx(a, k);
		s = wa_is_string(item) ? json_object_get_string(item) : "";
		if (inet_pton(AF_INET, s, r->addrs[k].addr) == 1)
			r->addrs[k].family = AF_INET;
		else if (inet_pton(AF_INET6, s, r->addrs[k].addr) == 1)
			r->addrs[k].family = AF_INET6;
		if (r->addrs[k].family == 0 ||
		    wa_addr_unusable(r->addrs[k].family, r->addrs[k].addr)) {
			json_object_put(o);
			wa_record_clear(r);
			return (wa_fail(err, errsize, "addresses",
			    "not a unicast address a remote host can reach"));
		}
		r->naddrs++;
	}
	json_object_put(o);
	return (0);
}

/*
 * Addresses a host elsewhere cannot use: unspecified, loopback,
 * multicast, broadcast, link-local (no interface to scope it), mapped.
 */
int
wa_addr_unusable(int family, const unsigned char *a)
{
	static const unsigned char zero[10];

	if (family == AF_INET) {
		return (a[0] == 0 || a[0] == 127 || a[0] >= 224 ||
		    (a[0] == 169 && a[1] == 254));
	}
	if (memcmp(a, zero, 10) == 0) /* ::, ::1, mapped, compatible */
		return (1);
	return (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80));
}

/* An int64 as etcd's gateway writes it: a string of digits, or a number. */
static int
wa_int64(struct json_object *o, const char *key, long long *out)
{
	struct json_object *v;
	const char	   *s;
	char		   *end;
	long long	    n;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return (0); /* proto3 leaves zero out */
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return (0);
	}
	if (!json_object_is_type(v, json_type_string))
		return (-1);
	s = json_object_get_string(v);
	if (*s == '\0' || strlen(s) > 20)
		return (-1);
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0)
		return (-1);
	*out = n;
	return (0);
}

/* base64 bytes of a field into a new string (NUL added); -1 if not. */
static int
wa_bytes(struct json_object *o, const char *key, size_t max, char **out,
    size_t *lenp)
{
	struct json_object *v;
	size_t		    n;
	int		    got;

	*out = NULL;
	*lenp = 0;
	if (!json_object_object_get_ex(o, key, &v)) {
		*out = xstrdup(""); /* proto3: empty bytes are left out */
		return (0);
	}
	if (!json_object_is_type(v, json_type_string) ||
	    (n = (size_t)json_object_get_string_len(v)) > (max + 2) / 3 * 4)
		return (-1);
	*out = xmalloc(n / 4 * 3 + 4);
	if ((got = b64_pton(json_object_get_string(v), (unsigned char *)*out,
		 n / 4 * 3 + 3)) < 0) {
		free(*out);
		*out = NULL;
		return (-1);
	}
	(*out)[got] = '\0';
	*lenp = (size_t)got;
	return (0);
}

void
wa_kvs_free(struct wa_kv *kvs, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++) {
		free(kvs[k].key);
		free(kvs[k].value);
	}
	free(kvs);
}

/*
 * One mvccpb.KeyValue.  -1 when it is not one (the answer is broken);
 * a value too big or not base64 is kept as the key's fault alone
 * (kv->bad), so that one hostile record costs only itself.
 */
static int
wa_kv_read(struct json_object *o, struct wa_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	/*
	 * A key of any length etcd holds: a long one is no key a disco host
	 * writes, which wa_key_parse says; failing here would fail the whole
	 * answer, every record with it, for one host's key.
	 */
	if (!json_object_is_type(o, json_type_object) ||
	    wa_bytes(o, "key", INT_MAX, &kv->key, &kv->keylen) == -1 ||
	    kv->keylen == 0) {
		free(kv->key);
		memset(kv, 0, sizeof(*kv));
		return (-1);
	}
	/* (the text's length bounds the bytes only to a multiple of 3) */
	if (wa_bytes(o, "value", WA_VALUE_MAX, &kv->value, &kv->valuelen) ==
		-1 ||
	    kv->valuelen > WA_VALUE_MAX) {
		free(kv->value);
		kv->bad = "a value over 16384 bytes, or not base64";
		kv->value = xstrdup("");
		kv->valuelen = 0;
	}
	if (wa_int64(o, "create_revision", &kv->create_revision) == -1 ||
	    wa_int64(o, "mod_revision", &kv->mod_revision) == -1 ||
	    wa_int64(o, "lease", &kv->lease) == -1) {
		free(kv->key);
		free(kv->value);
		memset(kv, 0, sizeof(*kv));
		return (-1);
	}
	return (0);
}

static struct json_object *
wa_read_object(const char *text, size_t len, char *err, size_t errsize)
{
	struct json_object *o;
	const char	   *why;
	size_t		    end;

	if (proto_json_read(text, len, WA_JSON_DEPTH, &o, &end, &why) == -1 ||
	    end != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errsize, "not a JSON object: %s",
		    why != NULL ? why : "text after it");
		return (NULL);
	}
	return (o);
}

/* An error etcd's gateway answers with: {"error": ..., "code": N}. */
static int
wa_etcd_error(struct json_object *o, char *err, size_t errsize)
{
	struct json_object *v;
	const char	   *msg;

	if (!json_object_object_get_ex(o, "error", &v) &&
	    !json_object_object_get_ex(o, "message", &v))
		return (0);
	/* a stream's error is an object: {"error": {"message": ...}} */
	if (json_object_is_type(v, json_type_object) &&
	    !json_object_object_get_ex(v, "message", &v))
		v = NULL;
	msg = v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) :
	    "(no message)";
	snprintf(err, errsize, "etcd: %.200s", msg);
	return (-1);
}

/* The header's revision: every answer of etcd has one. */
static int
wa_header(struct json_object *o, struct wa_header *h, char *err, size_t errsize)
{
	struct json_object *v;

	memset(h, 0, sizeof(*h));
	if (!json_object_object_get_ex(o, "header", &v) ||
	    !json_object_is_type(v, json_type_object) ||
	    wa_int64(v, "revision", &h->revision) == -1 || h->revision < 0) {
		snprintf(err, errsize, "no valid header");
		return (-1);
	}
	return (0);
}

/*
 * A RangeResponse: its revision, whether there are more, and the keys,
 * each checked to be bytes within bounds (what they mean is for
 * wa_key_parse and wa_value_parse).  At most max keys.
 */
int
wa_range_parse(const char *text, size_t len, size_t max, struct wa_range *rr,
    char *err, size_t errsize)
{
	struct json_object *o, *a;
	long long	    more;
	size_t		    n, k;

	memset(rr, 0, sizeof(*rr));
	if ((o = wa_read_object(text, len, err, errsize)) == NULL)
		return (-1);
	if (wa_etcd_error(o, err, errsize) == -1 ||
	    wa_header(o, &rr->header, err, errsize) == -1) {
		json_object_put(o);
		return (-1);
	}
	if (wa_int64(o, "count", &more) == -1) {
		json_object_put(o);
		snprintf(err, errsize, "count: not an integer");
		return (-1);
	}
	rr->count = more;
	if (json_object_object_get_ex(o, "more", &a))
		rr->more = json_object_get_boolean(a);
	if (json_object_object_get_ex(o, "kvs", &a)) {
		if (!json_object_is_type(a, json_type_array) ||
		    (n = json_object_array_length(a)) > max) {
			json_object_put(o);
			snprintf(err, errsize,
			    "kvs: not an array of at most %zu", max);
			return (-1);
		}
		rr->kvs = xcalloc(n == 0 ? 1 : n, sizeof(*rr->kvs));
		for (k = 0; k < n; k++) {
			if (wa_kv_read(json_object_array_get_idx(a, k),
				&rr->kvs[k]) == -1) {
				wa_kvs_free(rr->kvs, rr->nkvs);
				rr->kvs = NULL;
				rr->nkvs = 0;
				json_object_put(o);
				snprintf(err, errsize, "kvs[%zu]: invalid", k);
				return (-1);
			}
			rr->nkvs++;
		}
	}
	json_object_put(o);
	return (0);
}

/*
 * One line of a watch stream: {"result": WatchResponse} or an error.
 * Events come out as keys: a PUT with its value, a DELETE without.
 */
int
wa_watch_parse(const char *text, size_t len, size_t max, struct wa_watch *w,
    char *err, size_t errsize)
{
	struct json_object *top, *o, *a, *e, *v;
	const char	   *type;
	size_t		    n, k;

	memset(w, 0, sizeof(*w));
	if ((top = wa_read_object(text, len, err, errsize)) == NULL)
		return (-1);
	if (wa_etcd_error(top, err, errsize) == -1) {
		json_object_put(top);
		return (-1);
	}
	if (!json_object_object_get_ex(top, "result", &o) ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(top);
		snprintf(err, errsize, "no result");
		return (-1);
	}
	if (wa_header(o, &w->header, err, errsize) == -1) {
		json_object_put(top);
		return (-1);
	}
	if (wa_int64(o, "compact_revision", &w->compact_revision) == -1) {
		json_object_put(top);
		snprintf(err, errsize, "compact_revision: not an integer");
		return (-1);
	}
	if (json_object_object_get_ex(o, "created", &v))
		w->created = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "canceled", &v))
		w->canceled = json_object_get_boolean(v);
	if (!json_object_object_get_ex(o, "events", &a)) {
		json_object_put(top);
		return (0);
	}
	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) > max) {
		json_object_put(top);
		snprintf(err, errsize, "events: not an array of at most %zu",
		    max);
		return (-1);
	}
	w->events = xcalloc(n == 0 ? 1 : n, sizeof(*w->events));
	for (k = 0; k < n; k++) {
		e = json_object_array_get_idx(a, k);
		type = "PUT";
		if (!json_object_is_type(e, json_type_object) ||
		    (json_object_object_get_ex(e, "type", &v) &&
			(!json_object_is_type(v, json_type_string) ||
			    (strcmp(type = json_object_get_string(v), "PUT") !=
				    0 &&
				strcmp(type, "DELETE") != 0))) ||
		    !json_object_object_get_ex(e, "kv", &v) ||
		    wa_kv_read(v, &w->events[k]) == -1) {
			wa_kvs_free(w->events, w->nevents);
			w->events = NULL;
			w->nevents = 0;
			json_object_put(top);
			snprintf(err, errsize, "events[%zu]: invalid", k);
			return (-1);
		}
		w->events[k].deleted = strcmp(type, "DELETE") == 0;
		w->nevents++;
	}
	json_object_put(top);
	return (0);
}

/*
 * A LeaseGrantResponse or one LeaseKeepAliveResponse (wrapped in
 * "result" by the gateway's stream): the lease and its TTL left, 0 or
 * less when etcd no longer has the lease.
 */
int
wa_lease_parse(const char *text, size_t len, long long *id, long long *ttl,
    char *err, size_t errsize)
{
	struct json_object *top, *o, *v;
	struct wa_header    h;

	*id = *ttl = 0;
	if ((top = wa_read_object(text, len, err, errsize)) == NULL)
		return (-1);
	o = top;
	if (json_object_object_get_ex(top, "result", &v) &&
	    json_object_is_type(v, json_type_object))
		o = v;
	if (wa_etcd_error(top, err, errsize) == -1 ||
	    wa_header(o, &h, err, errsize) == -1 ||
	    wa_int64(o, "ID", id) == -1 || wa_int64(o, "TTL", ttl) == -1) {
		json_object_put(top);
		if (err[0] == '\0')
			snprintf(err, errsize, "ID or TTL: not an integer");
		return (-1);
	}
	json_object_put(top);
	return (0);
}

/* Any other answer: its header, or the error it carries. */
int
wa_answer_parse(const char *text, size_t len, struct wa_header *h, char *err,
    size_t errsize)
{
	struct json_object *o;

	if ((o = wa_read_object(text, len, err, errsize)) == NULL)
		return (-1);
	if (wa_etcd_error(o, err, errsize) == -1 ||
	    wa_header(o, h, err, errsize) == -1) {
		json_object_put(o);
		return (-1);
	}
	json_object_put(o);
	return (0);
}

/* An AuthenticateResponse's token, at most size - 1 bytes. */
int
wa_token_parse(const char *text, size_t len, char *token, size_t size,
    char *err, size_t errsize)
{
	struct json_object *o;
	const char	   *s;
	size_t		    k;

	if ((o = wa_read_object(text, len, err, errsize)) == NULL)
		return (-1);
	if (wa_etcd_error(o, err, errsize) == -1 ||
	    (s = wa_string(o, "token", size - 1)) == NULL || *s == '\0') {
		json_object_put(o);
		if (err[0] == '\0')
			snprintf(err, errsize, "no token");
		return (-1);
	}
	for (k = 0; s[k] != '\0'; k++) {
		/* it goes into an HTTP header */
		if ((unsigned char)s[k] <= 0x20 || s[k] == 0x7f) {
			json_object_put(o);
			snprintf(err, errsize, "a token with a control byte");
			return (-1);
		}
	}
	strlcpy(token, s, size);
	json_object_put(o);
	return (0);
}

/* base64 of bytes into a new string: keys and values in requests. */
char *
wa_b64(const void *data, size_t len)
{
	char *s = xmalloc((len + 2) / 3 * 4 + 1);

	if (b64_ntop(data, len, s, (len + 2) / 3 * 4 + 1) == -1)
		s[0] = '\0';
	return (s);
}

/*
 * The end of the range of every key that starts with prefix: the prefix
 * with its last byte that is not 0xff incremented (etcd's rule).
 */
size_t
wa_range_end(const char *prefix, size_t len, char *out)
{
	memcpy(out, prefix, len);
	while (len > 0) {
		if ((unsigned char)out[len - 1] < 0xff) {
			out[len - 1]++;
			return (len);
		}
		len--;
	}
	out[0] = '\0'; /* every key: "\0" */
	return (1);
}
