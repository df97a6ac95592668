/*
 * Wide-area records (discocore/widearea.c): keys and values as discod
 * writes them to etcd, and etcd's v3 JSON gateway answers as etcd 3.4
 * writes them (int64 fields as strings, proto3 zero values left out,
 * uint64 member ids above INT64_MAX).  Everything read here comes from
 * the network: each refusal is checked for its reason, and a refused
 * value must leave nothing to free.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

#define PREFIX "/disco/"

/* etcd 3.4's header: cluster and member ids above INT64_MAX. */
#define HDR(rev)                                                               \
	"\"header\":{\"cluster_id\":\"14841639068965178418\","                 \
	"\"member_id\":\"18408318910534170270\",\"revision\":\"" rev "\","     \
	"\"raft_term\":\"2\"}"

/* "/disco/h1/_http._tcp/web" and "/disco/h1/_http._tcp/old" in base64. */
#define KEY_WEB "L2Rpc2NvL2gxL19odHRwLl90Y3Avd2Vi"
#define KEY_OLD "L2Rpc2NvL2gxL19odHRwLl90Y3Avb2xk"
/* A record's value, as discod writes it (with its newline), in base64. */
#define VALUE_WEB                                                              \
	"eyJ2IjoxLCJuYW1lIjoid2ViIiwidHlwZSI6Il9odHRwLl90Y3AiLCJob3N0Ijoi"     \
	"aDEuZXhhbXBsZSIsInBvcnQiOjgwLCJ0eHQiOlsiY0dGMGFEMHYiXSwic3VidHlw"     \
	"ZXMiOltdLCJhZGRyZXNzZXMiOlsiMTkyLjAuMi4xMCJdfQo="

/* Strings joined into a new one; the list ends with END. */
#define END ((const char *)NULL)

static char *
join(const char *first, ...)
{
	va_list	    ap;
	const char *s;
	size_t	    n = 0;
	char	   *out;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		n += strlen(s);
	va_end(ap);
	out = xmalloc(n + 1);
	out[0] = '\0';
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		strlcat(out, s, n + 1);
	va_end(ap);
	return (out);
}

/* ---- keys ---- */

static int
key_parse(const char *key, struct wa_key *k, const char **why)
{
	return (wa_key_parse(key, strlen(key), PREFIX, k, why));
}

/* A name made into a key and read back; the key's name part is want. */
static void
key_round_trip(const char *name, const char *want)
{
	char	      key[WA_KEY_MAX + 1];
	struct wa_key k;
	const char   *why = "unset";

	ck_assert_int_eq(wa_key_make(key, sizeof(key), PREFIX, "host-1",
			     "_http._tcp", name),
	    0);
	ck_assert_str_eq(key + strlen(PREFIX "host-1/_http._tcp/"), want);
	ck_assert_int_eq(strncmp(key, PREFIX "host-1/_http._tcp/",
			     strlen(PREFIX "host-1/_http._tcp/")),
	    0);
	ck_assert_msg(key_parse(key, &k, &why) == 0, "%s: %s", key, why);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(k.host, "host-1");
	ck_assert_str_eq(k.type, "_http._tcp");
	ck_assert_str_eq(k.name, name);
}

START_TEST(test_key_round_trips_slash_percent_space_and_utf8)
{
	key_round_trip("web", "web");
	key_round_trip("a/b", "a%2Fb");
	key_round_trip("100% sure", "100%25 sure");
	key_round_trip("two  words ", "two  words ");
	key_round_trip("x%2Fy", "x%252Fy"); /* a literal escape stays one */
	key_round_trip("caf\xc3\xa9 \xe2\x98\x95", "caf\xc3\xa9 \xe2\x98\x95");
	key_round_trip("//%%", "%2F%2F%25%25");
}
END_TEST

START_TEST(test_key_escapes_control_bytes_which_names_never_hold)
{
	char	      key[WA_KEY_MAX + 1];
	struct wa_key k;
	const char   *why;

	ck_assert_int_eq(wa_key_make(key, sizeof(key), PREFIX, "h",
			     "_http._tcp",
			     "a\x01"
			     "b\x7f\x1f"),
	    0);
	ck_assert_str_eq(key, PREFIX "h/_http._tcp/a%01b%7F%1F");
	/*
	 * The escape decodes (else the reason would be the escape's), but a
	 * service name holds no control byte: no host writes such a key.
	 */
	ck_assert_int_eq(key_parse(key, &k, &why), -1);
	ck_assert_str_eq(why, "an invalid name part");
	/*
	 * One name, one key: an escape wa_key_make() would not write (of a
	 * byte that needs none, or in lower case) is refused, so no host
	 * holds two records of one name.
	 */
	ck_assert_int_eq(key_parse(PREFIX "h/_http._tcp/%41", &k, &why), -1);
	ck_assert_str_eq(why,
	    "a needless or lower-case %-escape in the name part");
	ck_assert_int_eq(key_parse(PREFIX "h/_http._tcp/a%2fb", &k, &why), -1);
	ck_assert_int_eq(key_parse(PREFIX "h/_http._tcp/a%2Fb%25", &k, &why),
	    0);
	ck_assert_str_eq(k.name, "a/b%");
}
END_TEST

START_TEST(test_key_make_fails_when_the_buffer_is_short)
{
	const char *want = PREFIX "h/_http._tcp/a%2F";
	char	    key[64];
	size_t	    n = strlen(want);

	ck_assert_int_eq(wa_key_make(key, n + 1, PREFIX, "h", "_http._tcp",
			     "a/"),
	    0);
	ck_assert_str_eq(key, want);
	ck_assert_int_eq(wa_key_make(key, n, PREFIX, "h", "_http._tcp", "a/"),
	    -1);
	ck_assert_int_eq(wa_key_make(key, n - 1, PREFIX, "h", "_http._tcp",
			     "a/"),
	    -1);
	ck_assert_int_eq(wa_key_make(key, n - 2, PREFIX, "h", "_http._tcp",
			     "a/"),
	    -1);
	/* the head alone does not fit */
	ck_assert_int_eq(wa_key_make(key, 8, PREFIX, "h", "_http._tcp", "a"),
	    -1);
	ck_assert_int_eq(wa_key_make(key, strlen(PREFIX "h/_http._tcp/a") + 1,
			     PREFIX, "h", "_http._tcp", "a"),
	    0);
	ck_assert_int_eq(wa_key_make(key, strlen(PREFIX "h/_http._tcp/a"),
			     PREFIX, "h", "_http._tcp", "a"),
	    -1);
}
END_TEST

static void
key_refused(const char *key, size_t len, const char *want)
{
	struct wa_key k;
	const char   *why = NULL;

	ck_assert_msg(wa_key_parse(key, len, PREFIX, &k, &why) == -1,
	    "key \"%s\" was read", key);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strcmp(why, want) == 0, "key \"%s\": \"%s\", not \"%s\"",
	    key, why, want);
}

#define REFUSED(key, want) key_refused(key, strlen(key), want)

START_TEST(test_key_parse_refuses_with_a_reason)
{
	char	      name[80], key[160];
	struct wa_key k;
	const char   *why;

	REFUSED("/other/h/_http._tcp/web", "outside the prefix");
	REFUSED("/disc", "outside the prefix");
	REFUSED("/DISCO/h/_http._tcp/web", "outside the prefix");
	key_refused(PREFIX "h/_http._tcp/we\0b",
	    sizeof(PREFIX "h/_http._tcp/we\0b") - 1, "a NUL byte in the key");
	REFUSED(PREFIX "h/_http._tcp/web%zz",
	    "a bad %-escape in the name part");
	REFUSED(PREFIX "h/_http._tcp/%00web",
	    "a bad %-escape in the name part");
	REFUSED(PREFIX "h/_http._tcp/web%4", "a bad %-escape in the name part");
	REFUSED(PREFIX "h/_http._tcp/web%", "a bad %-escape in the name part");
	REFUSED(PREFIX "h/_http._tcp/web%g0",
	    "a bad %-escape in the name part");
	REFUSED(PREFIX "h/_http._tcp/a/b", "a '/' in the name part");
	REFUSED(PREFIX "h/_http._tcp/web/", "a '/' in the name part");
	REFUSED(PREFIX "bad host/_http._tcp/web", "an invalid host part");
	REFUSED(PREFIX "../_http._tcp/web", "an invalid host part");
	REFUSED(PREFIX "/_http._tcp/web", "an invalid host part");
	REFUSED(PREFIX "h", "no host part");
	REFUSED(PREFIX, "no host part");
	REFUSED(PREFIX "h/_http._tcp", "no type part");
	REFUSED(PREFIX "h/http/web", "an invalid type part");
	REFUSED(PREFIX "h/_http._sctp/web", "an invalid type part");
	REFUSED(PREFIX "h//web", "an invalid type part");
	REFUSED(PREFIX "h/_http._tcp/", "an invalid name part");
	REFUSED(PREFIX "h/_http._tcp/\xff", "an invalid name part");
	/* a host of 64 characters does not fit its part */
	memset(name, 'h', 64);
	name[64] = '\0';
	snprintf(key, sizeof(key), PREFIX "%s/_http._tcp/web", name);
	REFUSED(key, "no host part");
	name[63] = '\0';
	snprintf(key, sizeof(key), PREFIX "%s/_http._tcp/web", name);
	ck_assert_int_eq(key_parse(key, &k, &why), 0);
	ck_assert_str_eq(k.host, name);
	/* a name of 64 bytes is too long; 63 are fine, escaped or not */
	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(key, sizeof(key), PREFIX "h/_http._tcp/%s", name);
	REFUSED(key, "a name too long");
	name[63] = '\0';
	snprintf(key, sizeof(key), PREFIX "h/_http._tcp/%s", name);
	ck_assert_int_eq(key_parse(key, &k, &why), 0);
	ck_assert_str_eq(k.name, name);
}
END_TEST

START_TEST(test_key_parse_reads_len_bytes_not_the_string)
{
	const char   *key = PREFIX "h/_http._tcp/webEXTRA";
	struct wa_key k;
	const char   *why;
	char	      name[80], buf[160];

	ck_assert_int_eq(wa_key_parse(key, strlen(key) - 5, PREFIX, &k, &why),
	    0);
	ck_assert_str_eq(k.name, "web");
	/* the escape's digits past len are not read */
	key = PREFIX "h/_http._tcp/web%2F";
	key_refused(key, strlen(key) - 1, "a bad %-escape in the name part");
	/* the bound is on the name unescaped: 62 bytes and one escape fit */
	memset(name, 'n', 62);
	strlcpy(name + 62, "%2F", sizeof(name) - 62);
	snprintf(buf, sizeof(buf), PREFIX "h/_http._tcp/%s", name);
	ck_assert_int_eq(key_parse(buf, &k, &why), 0);
	ck_assert_uint_eq(strlen(k.name), 63);
	ck_assert_int_eq(k.name[62], '/');
	memset(name, 'n', 63);
	strlcpy(name + 63, "%2F", sizeof(name) - 63);
	snprintf(buf, sizeof(buf), PREFIX "h/_http._tcp/%s", name);
	key_refused(buf, strlen(buf), "a name too long");
}
END_TEST

START_TEST(test_host_id_invalid_edges)
{
	char id[80];

	ck_assert_ptr_null(wa_host_id_invalid("a"));
	ck_assert_ptr_null(wa_host_id_invalid("host-1"));
	ck_assert_ptr_null(wa_host_id_invalid("h_2.Example"));
	ck_assert_ptr_null(wa_host_id_invalid("..."));
	ck_assert_ptr_null(wa_host_id_invalid(".a"));
	memset(id, 'x', 63);
	id[63] = '\0';
	ck_assert_ptr_null(wa_host_id_invalid(id));
	id[63] = 'x';
	id[64] = '\0';
	ck_assert_str_eq(wa_host_id_invalid(id), "must be 1 to 63 characters");
	ck_assert_str_eq(wa_host_id_invalid(""), "must be 1 to 63 characters");
	ck_assert_str_eq(wa_host_id_invalid("."), "may not be \".\" or \"..\"");
	ck_assert_str_eq(wa_host_id_invalid(".."),
	    "may not be \".\" or \"..\"");
	ck_assert_ptr_nonnull(wa_host_id_invalid("a b"));
	ck_assert_ptr_nonnull(wa_host_id_invalid("a/b"));
	ck_assert_ptr_nonnull(wa_host_id_invalid("a%b"));
	ck_assert_ptr_nonnull(wa_host_id_invalid("a:b"));
	ck_assert_ptr_nonnull(wa_host_id_invalid("\xc3\xa4"));
	ck_assert_ptr_nonnull(wa_host_id_invalid("a\tb"));
}
END_TEST

START_TEST(test_prefix_invalid_edges)
{
	char p[140];

	ck_assert_ptr_null(wa_prefix_invalid("/"));
	ck_assert_ptr_null(wa_prefix_invalid("/disco/"));
	ck_assert_ptr_null(wa_prefix_invalid("disco/"));
	ck_assert_ptr_null(wa_prefix_invalid("/a b/\xc3\xa9/"));
	memset(p, 'p', 127);
	p[127] = '/';
	p[128] = '\0';
	ck_assert_ptr_null(wa_prefix_invalid(p));
	p[128] = '/';
	p[129] = '\0';
	ck_assert_str_eq(wa_prefix_invalid(p), "must be 1 to 128 bytes");
	ck_assert_str_eq(wa_prefix_invalid(""), "must be 1 to 128 bytes");
	ck_assert_str_eq(wa_prefix_invalid("/disco"), "must end with '/'");
	ck_assert_str_eq(wa_prefix_invalid("/dis\tco/"),
	    "may not hold control characters");
	ck_assert_str_eq(wa_prefix_invalid("/dis\x7f/"),
	    "may not hold control characters");
	ck_assert_str_eq(wa_prefix_invalid("/d\nx/"),
	    "may not hold control characters");
}
END_TEST

/* ---- values ---- */

/* Nothing to free (its name, type and host may hold what was read). */
static void
assert_record_empty(const struct wa_record *r)
{
	size_t k;

	ck_assert_ptr_null(r->txt.v);
	ck_assert_uint_eq(r->txt.n, 0);
	ck_assert_uint_eq(r->txt.total, 0);
	ck_assert_uint_eq(r->nsubtypes, 0);
	for (k = 0; k < SERVICE_SUBTYPES_MAX; k++)
		ck_assert_ptr_null(r->subtypes[k]);
	ck_assert_uint_eq(r->naddrs, 0);
}

static void
txt_put(struct wa_record *r, const void *data, size_t len)
{
	const char *why;

	ck_assert_int_eq(txt_add(&r->txt, data, len, &why), 0);
}

static void
addr_put(struct wa_record *r, int family, const char *text)
{
	r->addrs[r->naddrs].family = family;
	ck_assert_int_eq(inet_pton(family, text, r->addrs[r->naddrs].addr), 1);
	r->naddrs++;
}

static void
assert_records_equal(const struct wa_record *a, const struct wa_record *b)
{
	size_t k;

	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->type, b->type);
	ck_assert_str_eq(a->host, b->host);
	ck_assert_uint_eq(a->port, b->port);
	ck_assert(txt_equal(&a->txt, &b->txt));
	ck_assert_uint_eq(a->nsubtypes, b->nsubtypes);
	for (k = 0; k < a->nsubtypes; k++)
		ck_assert_str_eq(a->subtypes[k], b->subtypes[k]);
	ck_assert_uint_eq(a->naddrs, b->naddrs);
	for (k = 0; k < a->naddrs; k++) {
		ck_assert_int_eq(a->addrs[k].family, b->addrs[k].family);
		ck_assert_mem_eq(a->addrs[k].addr, b->addrs[k].addr, 16);
	}
}

START_TEST(test_value_round_trip)
{
	struct wa_record r, back;
	char		*text, err[256] = "";
	size_t		 len;

	memset(&r, 0, sizeof(r));
	strlcpy(r.name, "Web server \xe2\x98\x95 \"1\"/2", sizeof(r.name));
	strlcpy(r.type, "_http._tcp", sizeof(r.type));
	strlcpy(r.host, "a.example", sizeof(r.host));
	r.port = 8080;
	txt_put(&r, "path=/", 6);
	txt_put(&r, "bin=\0\xff\x01", 7);
	txt_put(&r, "flag", 4);
	r.subtypes[r.nsubtypes++] = xstrdup("_printer");
	r.subtypes[r.nsubtypes++] = xstrdup("color \xc3\xa9");
	addr_put(&r, AF_INET, "192.0.2.1");
	addr_put(&r, AF_INET6, "2001:db8::1");

	text = wa_value_make(&r, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_eq(len, strlen(text));
	/* TXT strings go as base64, so that every byte survives */
	ck_assert_ptr_nonnull(strstr(text, "\"cGF0aD0v\""));
	ck_assert_ptr_nonnull(strstr(text, "\"YmluPQD/AQ==\""));
	ck_assert_ptr_nonnull(strstr(text, "\"v\":1"));
	ck_assert_msg(wa_value_parse(text, len, &back, err, sizeof(err)) == 0,
	    "%s: %s", text, err);
	assert_records_equal(&r, &back);
	ck_assert_uint_eq(back.txt.v[1].len, 7);
	ck_assert_mem_eq(back.txt.v[1].data, "bin=\0\xff\x01", 7);
	ck_assert_uint_eq(back.addrs[0].family, AF_INET);
	ck_assert_uint_eq(back.addrs[1].family, AF_INET6);
	free(text);
	wa_record_clear(&back);

	/* the bounds of the port, no TXT, no subtypes, eight addresses */
	wa_record_clear(&r);
	strlcpy(r.name, "n", sizeof(r.name));
	strlcpy(r.type, "_ipp._udp", sizeof(r.type));
	strlcpy(r.host, "h.", sizeof(r.host));
	r.port = 65535;
	addr_put(&r, AF_INET, "10.0.0.1");
	addr_put(&r, AF_INET, "198.51.100.7");
	addr_put(&r, AF_INET, "223.255.255.254");
	addr_put(&r, AF_INET6, "fd00::1");
	addr_put(&r, AF_INET6, "2001:db8:ffff::ffff");
	addr_put(&r, AF_INET6, "fec0::1");
	addr_put(&r, AF_INET6, "64:ff9b::c000:201");
	addr_put(&r, AF_INET6, "2001:db8::2");
	text = wa_value_make(&r, &len);
	ck_assert_int_eq(wa_value_parse(text, len, &back, err, sizeof(err)), 0);
	assert_records_equal(&r, &back);
	free(text);
	wa_record_clear(&back);
	r.port = 0;
	text = wa_value_make(&r, &len);
	ck_assert_int_eq(wa_value_parse(text, len, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.port, 0);
	free(text);
	wa_record_clear(&back);
	wa_record_clear(&r);
}
END_TEST

START_TEST(test_value_parse_reads_the_documented_form)
{
	const char *text = "{\"v\":1,\"name\":\"web\",\"type\":\"_http._tcp\","
			   "\"host\":\"a.local\",\"port\":80,"
			   "\"txt\":[\"cGF0aD0v\",\"ZmxhZw==\"],"
			   "\"subtypes\":[\"_x\"],"
			   "\"addresses\":[\"192.0.2.1\",\"2001:db8::1\"]}";
	struct wa_record r;
	char		 err[256] = "";
	unsigned char	 a6[16];

	ck_assert_int_eq(wa_value_parse(text, strlen(text), &r, err,
			     sizeof(err)),
	    0);
	ck_assert_str_eq(r.name, "web");
	ck_assert_str_eq(r.type, "_http._tcp");
	ck_assert_str_eq(r.host, "a.local");
	ck_assert_uint_eq(r.port, 80);
	ck_assert_uint_eq(r.txt.n, 2);
	ck_assert_uint_eq(r.txt.v[0].len, 6);
	ck_assert_mem_eq(r.txt.v[0].data, "path=/", 6);
	ck_assert_mem_eq(r.txt.v[1].data, "flag", 4);
	ck_assert_uint_eq(r.nsubtypes, 1);
	ck_assert_str_eq(r.subtypes[0], "_x");
	ck_assert_uint_eq(r.naddrs, 2);
	ck_assert_int_eq(r.addrs[0].family, AF_INET);
	ck_assert_mem_eq(r.addrs[0].addr, "\xc0\x00\x02\x01", 4);
	ck_assert_int_eq(r.addrs[1].family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	ck_assert_mem_eq(r.addrs[1].addr, a6, 16);
	wa_record_clear(&r);
	assert_record_empty(&r);

	/* txt and subtypes may be left out; keys in any order; blanks */
	text = " { \"addresses\" : [ \"192.0.2.1\" ] , \"port\" : 1 ,"
	       " \"host\" : \"h\" , \"type\" : \"_a._udp\" , \"name\" : \"n\" ,"
	       " \"v\" : 1 }\r\n";
	ck_assert_int_eq(wa_value_parse(text, strlen(text), &r, err,
			     sizeof(err)),
	    0);
	ck_assert_uint_eq(r.txt.n, 0);
	ck_assert_uint_eq(r.nsubtypes, 0);
	ck_assert_uint_eq(r.port, 1);
	wa_record_clear(&r);
}
END_TEST

/* A good value with one field set to json (left out when NULL). */
static char *
value_with(const char *field, const char *json)
{
	static const char *const fields[][2] = {
		{ "v", "1" },
		{ "name", "\"web\"" },
		{ "type", "\"_http._tcp\"" },
		{ "host", "\"a.example\"" },
		{ "port", "80" },
		{ "txt", "[\"cGF0aD0v\",\"ZmxhZw==\"]" },
		{ "subtypes", "[\"_printer\",\"_color\"]" },
		{ "addresses", "[\"192.0.2.1\",\"2001:db8::1\"]" },
	};
	char  *out = xstrdup("{"), *next;
	size_t k;
	int    first = 1;

	for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		const char *v = fields[k][1];

		if (strcmp(fields[k][0], field) == 0) {
			if (json == NULL)
				continue;
			v = json;
		}
		next = join(out, first ? "" : ",", "\"", fields[k][0], "\":", v,
		    END);
		free(out);
		out = next;
		first = 0;
	}
	next = join(out, "}", END);
	free(out);
	return (next);
}

/* A value refused, err holding want; nothing left to free. */
static void
value_refused_text(const char *text, size_t len, const char *want)
{
	struct wa_record r;
	char		 err[256] = "";

	memset(&r, 0xa5, sizeof(r)); /* what a caller's stack may hold */
	ck_assert_msg(wa_value_parse(text, len, &r, err, sizeof(err)) == -1,
	    "read: %.300s", text);
	ck_assert_msg(strstr(err, want) != NULL, "%.300s: \"%s\", not \"%s\"",
	    text, err, want);
	assert_record_empty(&r);
}

static void
field_refused(const char *field, const char *json)
{
	char *text = value_with(field, json), want[64];

	snprintf(want, sizeof(want), "field \"%s\"", field);
	value_refused_text(text, strlen(text), want);
	free(text);
}

static void
field_read(const char *field, const char *json)
{
	char		*text = value_with(field, json), err[256] = "";
	struct wa_record r;

	ck_assert_msg(wa_value_parse(text, strlen(text), &r, err,
			  sizeof(err)) == 0,
	    "%s: %s", text, err);
	wa_record_clear(&r);
	free(text);
}

START_TEST(test_value_refuses_what_is_not_one_json_object)
{
	char *text = value_with("", NULL), *more;

	field_read("", NULL); /* the base value is good */
	value_refused_text("", 0, "incomplete");
	value_refused_text("{", 1, "incomplete");
	value_refused_text("hello", 5, "an unexpected character");
	value_refused_text("{\"v\":1,}", 8, "expected a key");
	more = join(text, "x", END);
	value_refused_text(more, strlen(more), "text after the JSON object");
	free(more);
	more = join(text, text, END);
	value_refused_text(more, strlen(more), "text after the JSON object");
	free(more);
	value_refused_text("[1]", 3, "not a JSON object");
	value_refused_text("1", 1, "not a JSON object");
	value_refused_text("\"v\"", 3, "not a JSON object");
	value_refused_text("null", 4, "not a JSON object");
	/* a NUL byte ends nothing: len counts */
	value_refused_text(text, strlen(text) + 1,
	    "text after the JSON object");
	/* eight levels at most */
	value_refused_text("{\"x\":[[[[[[[[1]]]]]]]]}", 23, "nested too deep");
	free(text);
}
END_TEST

START_TEST(test_value_refuses_v_name_type_host)
{
	char name[80];

	field_refused("v", "2");
	field_refused("v", "0");
	field_refused("v", "\"1\"");
	field_refused("v", "1.0");
	field_refused("v", "true");
	field_refused("v", "18446744073709551615"); /* a uint64 */
	field_refused("v", NULL);
	field_refused("name", "\"\"");
	field_refused("name", "\"a\\u0001b\"");
	field_refused("name", "\"a\\u007f\"");
	field_refused("name", "\"\xff\"");
	field_refused("name", "\"\\ufdd0\"");
	field_refused("name", "1");
	field_refused("name", "null");
	field_refused("name", NULL);
	memset(name, 'n', 66);
	memcpy(name, "\"", 1);
	memcpy(name + 64, "\"", 2); /* 63 bytes */
	field_read("name", name);
	memcpy(name + 64, "n\"", 3); /* 64 bytes */
	field_refused("name", name);
	field_read("name", "\"caf\xc3\xa9 / 100%\"");
	field_refused("type", "\"_http._sctp\"");
	field_refused("type", "\"http._tcp\"");
	field_refused("type", "\"_http\"");
	field_refused("type", "\"_1._tcp\"");
	field_refused("type", "[]");
	field_refused("type", NULL);
	field_read("type", "\"_HTTP._tcp\"");
	field_refused("host", "\"a b\"");
	field_refused("host", "\"local\"");
	field_refused("host", "\"\"");
	field_refused("host", "\"a..b\"");
	field_refused("host", "\"a/b\"");
	field_refused("host", "1");
	field_refused("host", NULL);
	field_read("host", "\"h-1.example.\"");
}
END_TEST

START_TEST(test_value_refuses_a_port_out_of_range)
{
	field_refused("port", "-1");
	field_refused("port", "65536");
	field_refused("port", "4294967376"); /* 80 + 2^32 */
	field_refused("port", "18446744073709551615");
	field_refused("port", "\"80\"");
	field_refused("port", "80.0");
	field_refused("port", "null");
	field_refused("port", NULL);
	field_read("port", "0");
	field_read("port", "65535");
}
END_TEST

START_TEST(test_value_refuses_bad_txt)
{
	unsigned char bytes[300];
	char	     *b64, *json;
	size_t	      k;

	field_refused("txt", "\"cGF0aD0v\"");
	field_refused("txt", "{}");
	field_refused("txt", "null");
	field_refused("txt", "[\"not base64!\"]");
	field_refused("txt", "[\"cGF0aD0\"]"); /* cut short */
	field_refused("txt", "[\"cGF0aD0v\",1]");
	field_refused("txt", "[\"\"]");	    /* an empty string */
	field_refused("txt", "[\"PXg=\"]"); /* "=x": no key */
	field_refused("txt", "[\"cGF0aD0v\",\"UEFUSD0=\"]"); /* path, PATH= */
	field_refused("txt", "[[\"cGF0aD0v\"]]");
	field_read("txt", "[]");
	field_read("txt", NULL);
	/* 255 bytes are one TXT string, 256 are not */
	memset(bytes, 'k', sizeof(bytes));
	bytes[1] = '=';
	bytes[2] = 0;
	b64 = wa_b64(bytes, 255);
	json = join("[\"", b64, "\"]", END);
	field_read("txt", json);
	free(b64);
	free(json);
	b64 = wa_b64(bytes, 256);
	json = join("[\"", b64, "\"]", END);
	field_refused("txt", json);
	free(b64);
	free(json);
	/* 128 strings at most */
	json = xstrdup("[");
	for (k = 0; k < 129; k++) {
		char kv[8], *next;

		snprintf(kv, sizeof(kv), "k%zu", k);
		b64 = wa_b64(kv, strlen(kv));
		next = join(json, k > 0 ? "," : "", "\"", b64, "\"", END);
		free(b64);
		free(json);
		json = next;
		if (k == 127) {
			next = join(json, "]", END);
			field_read("txt", next);
			free(next);
		}
	}
	b64 = join(json, "]", END);
	field_refused("txt", b64);
	free(b64);
	free(json);
}
END_TEST

START_TEST(test_value_refuses_bad_subtypes)
{
	char  *json, *next;
	size_t k;

	field_refused("subtypes", "[\"_a.b\"]");
	field_refused("subtypes", "[\"\"]");
	field_refused("subtypes", "[\"_a\\u0001\"]");
	field_refused("subtypes", "[\"_ok\",1]");
	field_refused("subtypes", "\"_printer\"");
	field_refused("subtypes", "{}");
	field_read("subtypes", "[]");
	field_read("subtypes", NULL);
	json = xstrdup("[");
	for (k = 0; k < 17; k++) {
		char s[8];

		snprintf(s, sizeof(s), "_s%zu", k);
		next = join(json, k > 0 ? "," : "", "\"", s, "\"", END);
		free(json);
		json = next;
		if (k == 15) { /* sixteen: as many as a registration has */
			next = join(json, "]", END);
			field_read("subtypes", next);
			free(next);
		}
	}
	next = join(json, "]", END);
	field_refused("subtypes", next);
	free(next);
	free(json);
}
END_TEST

START_TEST(test_value_refuses_addresses_a_remote_host_cannot_use)
{
	static const char *const bad[] = { "127.0.0.1", "::1", "::ffff:1.2.3.4",
		"::1.2.3.4", "::", "fe80::1", "febf::1", "ff02::fb",
		"224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"0.0.0.0", "0.1.2.3", "169.254.1.1", "not an ip",
		"192.0.2.1/24", "fe80::1%eth0", "1.2.3", "", "192.0.2.01" };
	char			 json[64], *many, *next;
	size_t			 k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		snprintf(json, sizeof(json), "[\"192.0.2.1\",\"%s\"]", bad[k]);
		field_refused("addresses", json);
	}
	field_refused("addresses", "[]");
	field_refused("addresses", "[1]");
	field_refused("addresses", "[null]");
	field_refused("addresses", "\"192.0.2.1\"");
	field_refused("addresses", NULL);
	field_read("addresses", "[\"10.1.2.3\",\"169.255.0.1\",\"fec0::1\"]");
	many = xstrdup("[");
	for (k = 1; k <= 9; k++) {
		snprintf(json, sizeof(json), "%s\"192.0.2.%zu\"",
		    k > 1 ? "," : "", k);
		next = join(many, json, END);
		free(many);
		many = next;
		if (k == 8) {
			next = join(many, "]", END);
			field_read("addresses", next);
			free(next);
		}
	}
	next = join(many, "]", END);
	field_refused("addresses", next);
	free(next);
	free(many);
}
END_TEST

START_TEST(test_value_over_the_limit_is_refused_unread)
{
	char		*base = value_with("", NULL), *text;
	size_t		 n = strlen(base);
	struct wa_record r;
	char		 err[256] = "";

	/* the base value padded with blanks to WA_VALUE_MAX: still read */
	text = xmalloc(WA_VALUE_MAX + 2);
	memcpy(text, base, n);
	memset(text + n, ' ', WA_VALUE_MAX + 1 - n);
	ck_assert_int_eq(wa_value_parse(text, WA_VALUE_MAX, &r, err,
			     sizeof(err)),
	    0);
	wa_record_clear(&r);
	value_refused_text(text, WA_VALUE_MAX + 1, "value over 16384 bytes");
	free(text);
	free(base);
}
END_TEST

/* A string holding \u0000 is not what its C string says: refused. */
START_TEST(test_value_refuses_strings_holding_a_nul)
{
	field_refused("name", "\"web\\u0000x\"");
	field_refused("type", "\"_http._tcp\\u0000\"");
	field_refused("host", "\"a.example\\u0000.evil\"");
	field_refused("txt", "[\"cGF0aD0v\\u0000AAAA\"]");
	field_refused("subtypes", "[\"_a\\u0000.b\"]");
	field_refused("addresses", "[\"192.0.2.1\\u0000junk\"]");
}
END_TEST

START_TEST(test_addr_unusable)
{
	static const char *const usable[] = { "192.0.2.1", "10.0.0.1",
		"1.0.0.0", "126.255.255.255", "128.0.0.1", "169.253.0.1",
		"223.255.255.255", "2001:db8::1", "fd00::1", "fec0::1",
		"::2:0:0:1", "fe7f::1" };
	static const char *const unusable[] = { "0.0.0.0", "0.255.255.255",
		"127.0.0.1", "127.255.255.255", "169.254.0.0", "224.0.0.0",
		"255.255.255.255", "::", "::1", "::ffff:192.0.2.1",
		"::192.0.2.1", "fe80::", "febf:ffff::1", "ff00::", "ff05::2" };
	unsigned char		 a[16];
	size_t			 k;
	int			 af;

	for (k = 0; k < sizeof(usable) / sizeof(usable[0]); k++) {
		memset(a, 0, sizeof(a));
		af = strchr(usable[k], ':') != NULL ? AF_INET6 : AF_INET;
		ck_assert_int_eq(inet_pton(af, usable[k], a), 1);
		ck_assert_msg(!wa_addr_unusable(af, a), "%s", usable[k]);
	}
	for (k = 0; k < sizeof(unusable) / sizeof(unusable[0]); k++) {
		memset(a, 0, sizeof(a));
		af = strchr(unusable[k], ':') != NULL ? AF_INET6 : AF_INET;
		ck_assert_int_eq(inet_pton(af, unusable[k], a), 1);
		ck_assert_msg(wa_addr_unusable(af, a), "%s", unusable[k]);
	}
}
END_TEST

/* ---- etcd's answers ---- */

static int
range(const char *text, size_t max, struct wa_range *rr, char *err,
    size_t errsize)
{
	err[0] = '\0';
	return (wa_range_parse(text, strlen(text), max, rr, err, errsize));
}

START_TEST(test_range_reads_etcd_34_answers)
{
	const char *text =
	    "{" HDR("16") ",\"kvs\":[{\"key\":\"" KEY_WEB "\","
			  "\"create_revision\":\"12\",\"mod_revision\":\"15\","
			  "\"version\":\"2\",\"value\":\"" VALUE_WEB "\","
			  "\"lease\":\"7587862072907036419\"},"
			  "{\"key\":\"" KEY_OLD "\",\"create_revision\":\"3\","
			  "\"mod_revision\":\"3\",\"version\":\"1\"}],"
			  "\"count\":\"2\"}";
	struct wa_range	 rr;
	struct wa_record r;
	char		 err[256];

	ck_assert_msg(range(text, 100, &rr, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(rr.header.revision, 16);
	ck_assert_int_eq(rr.count, 2);
	ck_assert_int_eq(rr.more, 0);
	ck_assert_uint_eq(rr.nkvs, 2);
	ck_assert_str_eq(rr.kvs[0].key, "/disco/h1/_http._tcp/web");
	ck_assert_uint_eq(rr.kvs[0].keylen, 24);
	ck_assert_int_eq(rr.kvs[0].create_revision, 12);
	ck_assert_int_eq(rr.kvs[0].mod_revision, 15);
	ck_assert_int_eq(rr.kvs[0].lease, 7587862072907036419LL);
	ck_assert_int_eq(rr.kvs[0].deleted, 0);
	ck_assert_ptr_null(rr.kvs[0].bad);
	ck_assert_uint_eq(rr.kvs[0].valuelen, strlen(rr.kvs[0].value));
	ck_assert_int_eq(wa_value_parse(rr.kvs[0].value, rr.kvs[0].valuelen, &r,
			     err, sizeof(err)),
	    0);
	ck_assert_str_eq(r.host, "h1.example");
	wa_record_clear(&r);
	/* proto3 leaves an empty value and a zero lease out */
	ck_assert_str_eq(rr.kvs[1].key, "/disco/h1/_http._tcp/old");
	ck_assert_str_eq(rr.kvs[1].value, "");
	ck_assert_uint_eq(rr.kvs[1].valuelen, 0);
	ck_assert_int_eq(rr.kvs[1].lease, 0);
	ck_assert_ptr_null(rr.kvs[1].bad);
	wa_kvs_free(rr.kvs, rr.nkvs);

	/* an empty range: no "kvs", no "count" */
	ck_assert_int_eq(range("{" HDR("4") "}", 100, &rr, err, sizeof(err)),
	    0);
	ck_assert_int_eq(rr.header.revision, 4);
	ck_assert_uint_eq(rr.nkvs, 0);
	ck_assert_int_eq(rr.count, 0);
	wa_kvs_free(rr.kvs, rr.nkvs);

	/* a limited range: "more", and the count of all of them */
	text = "{" HDR("20") ",\"kvs\":[{\"key\":\"" KEY_WEB "\","
			     "\"mod_revision\":\"5\",\"value\":\"" VALUE_WEB
			     "\"}],"
			     "\"more\":true,\"count\":\"3\"}";
	ck_assert_int_eq(range(text, 1, &rr, err, sizeof(err)), 0);
	ck_assert_int_eq(rr.more, 1);
	ck_assert_int_eq(rr.count, 3);
	ck_assert_uint_eq(rr.nkvs, 1);
	wa_kvs_free(rr.kvs, rr.nkvs);

	/* int64s as JSON numbers read too */
	text = "{\"header\":{\"revision\":16,"
	       "\"member_id\":18408318910534170270},\"count\":1,"
	       "\"kvs\":[{\"key\":\"" KEY_WEB "\",\"mod_revision\":7}]}";
	ck_assert_msg(range(text, 100, &rr, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(rr.header.revision, 16);
	ck_assert_int_eq(rr.kvs[0].mod_revision, 7);
	wa_kvs_free(rr.kvs, rr.nkvs);
}
END_TEST

START_TEST(test_range_keeps_a_bad_value_as_its_keys_fault)
{
	unsigned char  *big = xmalloc(WA_VALUE_MAX + 1);
	char	       *b64, *text, err[256];
	struct wa_range rr;

	memset(big, 'x', WA_VALUE_MAX + 1);
	/* one byte over */
	b64 = wa_b64(big, WA_VALUE_MAX + 1);
	text = join("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_OLD "\","
				 "\"value\":\"",
	    b64,
	    "\"},{\"key\":\"" KEY_WEB "\",\"value\":\"!!!!\"},"
	    "{\"key\":\"" KEY_WEB "\",\"value\":\"" VALUE_WEB "\"}],"
	    "\"count\":\"3\"}",
	    END);
	free(b64);
	ck_assert_msg(range(text, 100, &rr, err, sizeof(err)) == 0, "%s", err);
	free(text);
	ck_assert_uint_eq(rr.nkvs, 3);
	ck_assert_str_eq(rr.kvs[0].key, "/disco/h1/_http._tcp/old");
	ck_assert_ptr_nonnull(rr.kvs[0].bad);
	ck_assert_str_eq(rr.kvs[0].value, "");
	ck_assert_uint_eq(rr.kvs[0].valuelen, 0);
	ck_assert_ptr_nonnull(rr.kvs[1].bad);
	ck_assert_str_eq(rr.kvs[1].value, "");
	ck_assert_ptr_null(rr.kvs[2].bad);
	ck_assert_uint_gt(rr.kvs[2].valuelen, 0);
	wa_kvs_free(rr.kvs, rr.nkvs);

	/* exactly WA_VALUE_MAX bytes are a value */
	b64 = wa_b64(big, WA_VALUE_MAX);
	text = join("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_OLD "\","
				 "\"value\":\"",
	    b64, "\"}]}", END);
	free(b64);
	ck_assert_int_eq(range(text, 100, &rr, err, sizeof(err)), 0);
	free(text);
	ck_assert_ptr_null(rr.kvs[0].bad);
	ck_assert_uint_eq(rr.kvs[0].valuelen, WA_VALUE_MAX);
	ck_assert_int_eq(rr.kvs[0].value[WA_VALUE_MAX], '\0');
	wa_kvs_free(rr.kvs, rr.nkvs);
	free(big);
}
END_TEST

/*
 * A key longer than any a disco host writes (etcd takes keys of any
 * length) is refused by itself, by wa_key_parse: it does not fail the
 * answer, and with it every other host's records.
 */
START_TEST(test_range_keeps_an_overlong_key_for_wa_key_parse_to_refuse)
{
	char	       *key = xmalloc(2001), *b64, *text, err[256];
	struct wa_range rr;
	struct wa_watch w;
	struct wa_key	k;
	const char     *why;

	memset(key, 'n', 2000);
	memcpy(key, PREFIX "h1/_http._tcp/", strlen(PREFIX "h1/_http._tcp/"));
	key[2000] = '\0';
	b64 = wa_b64(key, 2000);
	text = join("{" HDR("9") ",\"kvs\":[{\"key\":\"", b64,
	    "\",\"value\":\"" VALUE_WEB "\"},{\"key\":\"" KEY_WEB "\","
	    "\"value\":\"" VALUE_WEB "\"}],\"count\":\"2\"}",
	    END);
	ck_assert_msg(range(text, 100, &rr, err, sizeof(err)) == 0, "%s", err);
	free(text);
	ck_assert_uint_eq(rr.nkvs, 2);
	ck_assert_uint_eq(rr.kvs[0].keylen, 2000);
	ck_assert_str_eq(rr.kvs[0].key, key);
	ck_assert_int_eq(wa_key_parse(rr.kvs[0].key, rr.kvs[0].keylen, PREFIX,
			     &k, &why),
	    -1);
	ck_assert_str_eq(why, "a name too long");
	ck_assert_int_eq(wa_key_parse(rr.kvs[1].key, rr.kvs[1].keylen, PREFIX,
			     &k, &why),
	    0);
	wa_kvs_free(rr.kvs, rr.nkvs);
	/* and its deletion, in a watch */
	text = join("{\"result\":{" HDR("10") ",\"events\":[{\"type\":"
					      "\"DELETE\",\"kv\":{\"key\":\"",
	    b64, "\",\"mod_revision\":\"10\"}}]}}", END);
	err[0] = '\0';
	ck_assert_msg(wa_watch_parse(text, strlen(text), 100, &w, err,
			  sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(w.nevents, 1);
	ck_assert_int_eq(w.events[0].deleted, 1);
	ck_assert_uint_eq(w.events[0].keylen, 2000);
	wa_kvs_free(w.events, w.nevents);
	free(text);
	free(b64);
	free(key);
}
END_TEST

static void
range_refused(const char *text, size_t max, const char *want)
{
	struct wa_range rr;
	char		err[256];

	memset(&rr, 0xa5, sizeof(rr));
	ck_assert_msg(range(text, max, &rr, err, sizeof(err)) == -1,
	    "read: %.300s", text);
	ck_assert_msg(strstr(err, want) != NULL, "%.300s: \"%s\", not \"%s\"",
	    text, err, want);
	ck_assert_ptr_null(rr.kvs);
	ck_assert_uint_eq(rr.nkvs, 0);
}

START_TEST(test_range_refuses_a_broken_answer)
{
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_WEB "\"},"
				   "{\"value\":\"" VALUE_WEB "\"}]}",
	    100, "kvs[1]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_WEB "\"},"
				   "{\"key\":\"L2Rp!!!!\"}]}",
	    100, "kvs[1]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":\"\"}]}", 100,
	    "kvs[0]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":7}]}", 100,
	    "kvs[0]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":[\"" KEY_WEB "\"]}", 100,
	    "kvs[0]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_WEB "\","
				   "\"mod_revision\":\"x\"}]}",
	    100, "kvs[0]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_WEB "\","
				   "\"lease\":\"18446744073709551615\"}]}",
	    100, "kvs[0]: invalid");
	range_refused("{" HDR("9") ",\"kvs\":{}}", 100, "kvs: not an array");
	range_refused("{" HDR("9") ",\"kvs\":[{\"key\":\"" KEY_WEB "\"},"
				   "{\"key\":\"" KEY_OLD "\"}]}",
	    1, "kvs: not an array of at most 1");
	range_refused("{" HDR("9") ",\"count\":\"many\"}", 100,
	    "count: not an integer");
	range_refused("{\"error\":\"etcdserver: permission denied\","
		      "\"code\":5,\"message\":\"etcdserver: permission "
		      "denied\"}",
	    100, "etcd: etcdserver: permission denied");
	range_refused("{\"error\":\"etcdserver: no such key\",\"code\":5}", 100,
	    "etcd: etcdserver: no such key");
	range_refused("{\"kvs\":[]}", 100, "no valid header");
	range_refused("{\"header\":[]}", 100, "no valid header");
	range_refused("{\"header\":{\"revision\":\"-1\"}}", 100,
	    "no valid header");
	range_refused("{\"header\":{\"revision\":\"16x\"}}", 100,
	    "no valid header");
	range_refused("{\"header\":{\"revision\":\"\"}}", 100,
	    "no valid header");
	range_refused("{\"header\":{\"revision\":1.5}}", 100,
	    "no valid header");
	range_refused("{\"header\":{\"revision\":\"123456789012345678901\"}}",
	    100, "no valid header");
	range_refused("[]", 100, "not a JSON object");
	range_refused("<html>", 100, "not a JSON object");
	range_refused("{" HDR("9") "} {}", 100, "not a JSON object");
	range_refused("", 100, "not a JSON object");
}
END_TEST

static int
watch(const char *text, size_t max, struct wa_watch *w, char *err,
    size_t errsize)
{
	err[0] = '\0';
	return (wa_watch_parse(text, strlen(text), max, w, err, errsize));
}

START_TEST(test_watch_reads_created_events_and_compaction)
{
	struct wa_watch w;
	char		err[256];
	const char     *text;

	text = "{\"result\":{" HDR("4") ",\"created\":true}}";
	ck_assert_msg(watch(text, 100, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(w.created, 1);
	ck_assert_int_eq(w.canceled, 0);
	ck_assert_int_eq(w.header.revision, 4);
	ck_assert_int_eq(w.compact_revision, 0);
	ck_assert_uint_eq(w.nevents, 0);
	wa_kvs_free(w.events, w.nevents);

	/* a PUT has no "type" (proto3: zero), a DELETE only key and rev */
	text = "{\"result\":{" HDR(
	    "9") ",\"events\":[{\"kv\":{\"key\":\"" KEY_WEB
		 "\",\"create_revision\":\"8\",\"mod_revision\":\"9\","
		 "\"version\":\"2\",\"value\":\"" VALUE_WEB "\","
		 "\"lease\":\"7587862072907036419\"}},"
		 "{\"type\":\"DELETE\",\"kv\":{\"key\":\"" KEY_OLD "\","
		 "\"mod_revision\":\"9\"}},"
		 "{\"type\":\"PUT\",\"kv\":{\"key\":\"" KEY_OLD "\"}}]}}";
	ck_assert_msg(watch(text, 100, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(w.created, 0);
	ck_assert_int_eq(w.header.revision, 9);
	ck_assert_uint_eq(w.nevents, 3);
	ck_assert_int_eq(w.events[0].deleted, 0);
	ck_assert_str_eq(w.events[0].key, "/disco/h1/_http._tcp/web");
	ck_assert_int_eq(w.events[0].create_revision, 8);
	ck_assert_int_eq(w.events[0].mod_revision, 9);
	ck_assert_int_eq(w.events[0].lease, 7587862072907036419LL);
	ck_assert_uint_gt(w.events[0].valuelen, 0);
	ck_assert_int_eq(w.events[1].deleted, 1);
	ck_assert_str_eq(w.events[1].key, "/disco/h1/_http._tcp/old");
	ck_assert_int_eq(w.events[1].mod_revision, 9);
	ck_assert_int_eq(w.events[1].create_revision, 0);
	ck_assert_str_eq(w.events[1].value, "");
	ck_assert_ptr_null(w.events[1].bad);
	ck_assert_int_eq(w.events[2].deleted, 0);
	wa_kvs_free(w.events, w.nevents);

	/* compacted: a header without a revision, canceled */
	text = "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"member_id\":"
	       "\"2\",\"raft_term\":\"2\"},\"canceled\":true,"
	       "\"compact_revision\":\"9\"}}";
	ck_assert_msg(watch(text, 100, &w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(w.canceled, 1);
	ck_assert_int_eq(w.compact_revision, 9);
	ck_assert_int_eq(w.header.revision, 0);
	ck_assert_uint_eq(w.nevents, 0);
	wa_kvs_free(w.events, w.nevents);

	/* an empty events array is no event */
	text = "{\"result\":{" HDR("5") ",\"events\":[]}}";
	ck_assert_int_eq(watch(text, 100, &w, err, sizeof(err)), 0);
	ck_assert_uint_eq(w.nevents, 0);
	wa_kvs_free(w.events, w.nevents);
}
END_TEST

static void
watch_refused(const char *text, size_t max, const char *want)
{
	struct wa_watch w;
	char		err[256];

	memset(&w, 0xa5, sizeof(w));
	ck_assert_msg(watch(text, max, &w, err, sizeof(err)) == -1,
	    "read: %.300s", text);
	ck_assert_msg(strstr(err, want) != NULL, "%.300s: \"%s\", not \"%s\"",
	    text, err, want);
	ck_assert_ptr_null(w.events);
	ck_assert_uint_eq(w.nevents, 0);
}

START_TEST(test_watch_refuses_errors_and_unknown_events)
{
	watch_refused("{\"error\":{\"grpc_code\":14,\"http_code\":503,"
		      "\"message\":\"etcdserver: no leader\","
		      "\"http_status\":\"Service Unavailable\"}}",
	    100, "etcd: etcdserver: no leader");
	watch_refused("{\"error\":{\"grpc_code\":14}}", 100,
	    "etcd: (no message)");
	watch_refused("{\"result\":{" HDR("9") ",\"events\":[{\"kv\":{\"key\":"
					       "\"" KEY_WEB "\"}},"
					       "{\"type\":\"UPDATE\",\"kv\":{"
					       "\"key\":\"" KEY_WEB "\"}}]}}",
	    100, "events[1]: invalid");
	watch_refused("{\"result\":{" HDR("9") ",\"events\":[{\"type\":1,"
					       "\"kv\":{\"key\":\"" KEY_WEB
					       "\"}}]}}",
	    100, "events[0]: invalid");
	watch_refused("{\"result\":{" HDR("9") ",\"events\":[{\"type\":"
					       "\"DELETE\"}]}}",
	    100, "events[0]: invalid");
	watch_refused("{\"result\":{" HDR("9") ",\"events\":[{\"kv\":{\"key\":"
					       "\"" KEY_WEB
					       "\"}},{\"kv\":{\"key\""
					       ":\"" KEY_OLD "\"}}]}}",
	    1, "events: not an array of at most 1");
	watch_refused("{\"result\":{" HDR("9") ",\"events\":{}}}", 100,
	    "events: not an array");
	watch_refused("{\"result\":{" HDR("9") ",\"compact_revision\":\"x\"}}",
	    100, "compact_revision: not an integer");
	watch_refused("{" HDR("9") ",\"created\":true}", 100, "no result");
	watch_refused("{\"result\":[]}", 100, "no result");
	watch_refused("{\"result\":{\"created\":true}}", 100,
	    "no valid header");
	watch_refused("{\"result\":{" HDR("4") "}}\n{}", 100,
	    "not a JSON object");
}
END_TEST

static int
lease(const char *text, long long *id, long long *ttl, char *err,
    size_t errsize)
{
	err[0] = '\0';
	return (wa_lease_parse(text, strlen(text), id, ttl, err, errsize));
}

START_TEST(test_lease_reads_grant_and_keepalive)
{
	long long id = -1, ttl = -1;
	char	  err[256];

	ck_assert_int_eq(lease("{" HDR("3") ",\"ID\":\"887950453883137797\","
					    "\"TTL\":\"5\"}",
			     &id, &ttl, err, sizeof(err)),
	    0);
	ck_assert_int_eq(id, 887950453883137797LL);
	ck_assert_int_eq(ttl, 5);
	id = ttl = -1;
	ck_assert_int_eq(
	    lease("{\"result\":{" HDR("3") ",\"ID\":"
					   "\"887950453883137797\","
					   "\"TTL\":\"5\"}}",
		&id, &ttl, err, sizeof(err)),
	    0);
	ck_assert_int_eq(id, 887950453883137797LL);
	ck_assert_int_eq(ttl, 5);
	/* a lease etcd no longer has: no TTL (proto3's zero) */
	id = ttl = -1;
	ck_assert_int_eq(
	    lease("{\"result\":{" HDR("3") ",\"ID\":"
					   "\"887950453883137797\"}}",
		&id, &ttl, err, sizeof(err)),
	    0);
	ck_assert_int_eq(id, 887950453883137797LL);
	ck_assert_int_eq(ttl, 0);
	/* the ID and TTL as JSON numbers */
	ck_assert_int_eq(lease("{" HDR("3") ",\"ID\":887950453883137797,"
					    "\"TTL\":5}",
			     &id, &ttl, err, sizeof(err)),
	    0);
	ck_assert_int_eq(id, 887950453883137797LL);
	ck_assert_int_eq(ttl, 5);
	/* an expired one as etcd 3.4 writes it: TTL -1 */
	ck_assert_int_eq(lease("{" HDR("3") ",\"ID\":\"1\",\"TTL\":\"-1\"}",
			     &id, &ttl, err, sizeof(err)),
	    0);
	ck_assert_int_eq(ttl, -1);
}
END_TEST

START_TEST(test_lease_refuses_errors_and_what_is_not_a_lease)
{
	long long id, ttl;
	char	  err[256];

	ck_assert_int_eq(lease("{\"error\":\"etcdserver: requested lease not "
			       "found\",\"code\":5}",
			     &id, &ttl, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "etcd: etcdserver: requested lease not found");
	ck_assert_int_eq(lease("{\"error\":{\"grpc_code\":14,\"message\":"
			       "\"etcdserver: no leader\"}}",
			     &id, &ttl, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "no leader"));
	ck_assert_int_eq(lease("{" HDR("3") ",\"ID\":\"x\",\"TTL\":\"5\"}", &id,
			     &ttl, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "ID or TTL: not an integer");
	ck_assert_int_eq(lease("{" HDR("3") ",\"ID\":\"1\",\"TTL\":true}", &id,
			     &ttl, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "ID or TTL: not an integer");
	ck_assert_int_eq(lease("{\"ID\":\"1\",\"TTL\":\"5\"}", &id, &ttl, err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "no valid header");
	ck_assert_int_eq(lease("5", &id, &ttl, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a JSON object"));
}
END_TEST

static int
token(const char *text, char *tok, size_t size, char *err, size_t errsize)
{
	err[0] = '\0';
	return (wa_token_parse(text, strlen(text), tok, size, err, errsize));
}

START_TEST(test_token_read_and_refused)
{
	char tok[32], err[256];

	ck_assert_int_eq(token("{" HDR("1") ",\"token\":\"HtNmEVkdAgKC."
					    "42\"}",
			     tok, sizeof(tok), err, sizeof(err)),
	    0);
	ck_assert_str_eq(tok, "HtNmEVkdAgKC.42");
	/* as long as the buffer holds, and no longer */
	ck_assert_int_eq(
	    token("{\"token\":\"0123456789012345678901234567890\"}", tok,
		sizeof(tok), err, sizeof(err)),
	    0);
	ck_assert_uint_eq(strlen(tok), 31);
	ck_assert_int_eq(
	    token("{\"token\":\"01234567890123456789012345678901\"}", tok,
		sizeof(tok), err, sizeof(err)),
	    -1);
	ck_assert_int_eq(token("{" HDR("1") "}", tok, sizeof(tok), err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "no token");
	ck_assert_int_eq(token("{\"token\":\"\"}", tok, sizeof(tok), err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "no token");
	ck_assert_int_eq(token("{\"token\":5}", tok, sizeof(tok), err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "no token");
	ck_assert_int_eq(token("{\"token\":\"ab cd\"}", tok, sizeof(tok), err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "a token with a control byte");
	ck_assert_int_eq(token("{\"token\":\"ab\\r\\nX-Evil: 1\"}", tok,
			     sizeof(tok), err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "a token with a control byte");
	ck_assert_int_eq(token("{\"token\":\"ab\\u007f\"}", tok, sizeof(tok),
			     err, sizeof(err)),
	    -1);
	ck_assert_int_eq(token("{\"token\":\"ab\\u0001\"}", tok, sizeof(tok),
			     err, sizeof(err)),
	    -1);
	ck_assert_int_eq(token("{\"token\":\"ab\\u0000cd\"}", tok, sizeof(tok),
			     err, sizeof(err)),
	    -1);
	ck_assert_int_eq(token("{\"error\":\"etcdserver: authentication "
			       "failed, invalid user ID or password\","
			       "\"code\":3}",
			     tok, sizeof(tok), err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "authentication failed"));
}
END_TEST

START_TEST(test_answer_reads_the_header_or_the_error)
{
	struct wa_header h;
	char		 err[256] = "";
	const char	*text = "{" HDR("77") "}";

	ck_assert_int_eq(wa_answer_parse(text, strlen(text), &h, err,
			     sizeof(err)),
	    0);
	ck_assert_int_eq(h.revision, 77);
	text = "{\"error\":\"etcdserver: permission denied\",\"code\":7}";
	ck_assert_int_eq(wa_answer_parse(text, strlen(text), &h, err,
			     sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "etcd: etcdserver: permission denied");
}
END_TEST

START_TEST(test_range_end)
{
	char out[16];

	memset(out, 'z', sizeof(out));
	ck_assert_uint_eq(wa_range_end("/disco/", 7, out), 7);
	ck_assert_mem_eq(out, "/disco0", 7);
	ck_assert_uint_eq(wa_range_end("a\xff\xff", 3, out), 1);
	ck_assert_mem_eq(out, "b", 1);
	ck_assert_uint_eq(wa_range_end("ab\xfe\xff", 4, out), 3);
	ck_assert_mem_eq(out, "ab\xff", 3);
	ck_assert_uint_eq(wa_range_end("a\x7f", 2, out), 2);
	ck_assert_mem_eq(out, "a\x80", 2);
	/* every key: "\0" */
	ck_assert_uint_eq(wa_range_end("\xff\xff\xff", 3, out), 1);
	ck_assert_int_eq(out[0], '\0');
	ck_assert_uint_eq(wa_range_end("", 0, out), 1);
	ck_assert_int_eq(out[0], '\0');
}
END_TEST

START_TEST(test_b64)
{
	char *s;

	s = wa_b64("", 0);
	ck_assert_str_eq(s, "");
	free(s);
	s = wa_b64("A", 1);
	ck_assert_str_eq(s, "QQ==");
	free(s);
	s = wa_b64("bin=\0\xff\x01", 7);
	ck_assert_str_eq(s, "YmluPQD/AQ==");
	free(s);
	s = wa_b64("/disco/h1/_http._tcp/web", 24);
	ck_assert_str_eq(s, KEY_WEB);
	free(s);
}
END_TEST

static Suite *
widearea_suite(void)
{
	Suite *s = suite_create("widearea");
	TCase *tc = tcase_create("widearea");

	tcase_add_test(tc, test_key_round_trips_slash_percent_space_and_utf8);
	tcase_add_test(tc,
	    test_key_escapes_control_bytes_which_names_never_hold);
	tcase_add_test(tc, test_key_make_fails_when_the_buffer_is_short);
	tcase_add_test(tc, test_key_parse_refuses_with_a_reason);
	tcase_add_test(tc, test_key_parse_reads_len_bytes_not_the_string);
	tcase_add_test(tc, test_host_id_invalid_edges);
	tcase_add_test(tc, test_prefix_invalid_edges);
	tcase_add_test(tc, test_value_round_trip);
	tcase_add_test(tc, test_value_parse_reads_the_documented_form);
	tcase_add_test(tc, test_value_refuses_what_is_not_one_json_object);
	tcase_add_test(tc, test_value_refuses_v_name_type_host);
	tcase_add_test(tc, test_value_refuses_a_port_out_of_range);
	tcase_add_test(tc, test_value_refuses_bad_txt);
	tcase_add_test(tc, test_value_refuses_bad_subtypes);
	tcase_add_test(tc,
	    test_value_refuses_addresses_a_remote_host_cannot_use);
	tcase_add_test(tc, test_value_over_the_limit_is_refused_unread);
	tcase_add_test(tc, test_value_refuses_strings_holding_a_nul);
	tcase_add_test(tc, test_addr_unusable);
	tcase_add_test(tc, test_range_reads_etcd_34_answers);
	tcase_add_test(tc, test_range_keeps_a_bad_value_as_its_keys_fault);
	tcase_add_test(tc,
	    test_range_keeps_an_overlong_key_for_wa_key_parse_to_refuse);
	tcase_add_test(tc, test_range_refuses_a_broken_answer);
	tcase_add_test(tc, test_watch_reads_created_events_and_compaction);
	tcase_add_test(tc, test_watch_refuses_errors_and_unknown_events);
	tcase_add_test(tc, test_lease_reads_grant_and_keepalive);
	tcase_add_test(tc, test_lease_refuses_errors_and_what_is_not_a_lease);
	tcase_add_test(tc, test_token_read_and_refused);
	tcase_add_test(tc, test_answer_reads_the_header_or_the_error);
	tcase_add_test(tc, test_range_end);
	tcase_add_test(tc, test_b64);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(widearea_suite)
