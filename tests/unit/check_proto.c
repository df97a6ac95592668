/* The protocol codec: request decoding, field access, reply encoding. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "proto.h"

static int
parse(const char *s, struct proto_request *req, struct proto_error *err)
{
	return (proto_request_parse(s, strlen(s), req, err));
}

START_TEST(test_proto_parse_minimal_request)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"verb\":\"hello\"}", &req, &err), 0);
	ck_assert_str_eq(req.verb, "hello");
	ck_assert_ptr_null(req.id);
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_keeps_string_and_number_ids)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"id\":\"x-1\",\"verb\":\"status\"}", &req,
			     &err),
	    0);
	ck_assert_str_eq(json_object_get_string(req.id), "x-1");
	proto_request_clear(&req);
	ck_assert_int_eq(parse("{\"id\":42,\"verb\":\"status\"}", &req, &err),
	    0);
	ck_assert_int_eq(json_object_get_int(req.id), 42);
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_garbage)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("hello there", &req, &err), -1);
	ck_assert_str_eq(err.code, PROTO_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err.message, "not valid JSON"));
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_array)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("[1,2,3]", &req, &err), -1);
	ck_assert_str_eq(err.code, PROTO_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err.message, "array"));
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_invalid_utf8)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"verb\":\"h\xc3\x28llo\"}", &req, &err), -1);
	ck_assert_str_eq(err.code, PROTO_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err.message, "UTF-8 (byte 10)"));
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_nul_byte)
{
	struct proto_request req;
	struct proto_error   err;
	const char	     line[] = "{\"verb\":\"a\0b\"}";

	ck_assert_int_eq(proto_request_parse(line, sizeof(line) - 1, &req,
			     &err),
	    -1);
	ck_assert_ptr_nonnull(strstr(err.message, "NUL byte at offset 10"));
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_trailing_data)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"verb\":\"hello\"} {}", &req, &err), -1);
	ck_assert_str_eq(err.code, PROTO_E_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err.message, "at byte 17"));
	proto_request_clear(&req);
	/* A CRLF client's carriage return is not trailing data. */
	ck_assert_int_eq(parse("{\"verb\":\"hello\"}\r", &req, &err), 0);
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_missing_verb_names_the_field)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"id\":7}", &req, &err), -1);
	ck_assert_str_eq(err.code, PROTO_E_BAD_FIELD);
	ck_assert_str_eq(err.field, "verb");
	/* The id is still known, so the error reply can echo it. */
	ck_assert_int_eq(json_object_get_int(req.id), 7);
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_mistyped_verb_names_the_type)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"verb\":5}", &req, &err), -1);
	ck_assert_str_eq(err.field, "verb");
	ck_assert_ptr_nonnull(strstr(err.message, "must be a string, not int"));
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_object_id)
{
	struct proto_request req;
	struct proto_error   err;

	ck_assert_int_eq(parse("{\"id\":{},\"verb\":\"hello\"}", &req, &err),
	    -1);
	ck_assert_str_eq(err.field, "id");
	ck_assert_ptr_null(req.id);
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_deep_nesting)
{
	struct proto_request req;
	struct proto_error   err;
	char		     line[256];
	int		     i, n = 0;

	n += snprintf(line + n, sizeof(line) - (size_t)n,
	    "{\"verb\":\"x\",\"a\":");
	for (i = 0; i < 40; i++)
		line[n++] = '[';
	for (i = 0; i < 40; i++)
		line[n++] = ']';
	line[n++] = '}';
	line[n] = '\0';
	ck_assert_int_eq(parse(line, &req, &err), -1);
	ck_assert_str_eq(err.code, PROTO_E_BAD_REQUEST);
	proto_request_clear(&req);
}
END_TEST

START_TEST(test_proto_parse_rejects_oversized_line)
{
	struct proto_request req;
	struct proto_error   err;
	char		    *line = calloc(1, PROTO_LINE_MAX + 1);

	memset(line, ' ', PROTO_LINE_MAX);
	ck_assert_int_eq(proto_request_parse(line, PROTO_LINE_MAX, &req, &err),
	    -1);
	ck_assert_str_eq(err.code, PROTO_E_TOO_LARGE);
	free(line);
}
END_TEST

START_TEST(test_proto_get_int_enforces_type_and_range)
{
	struct json_object *o;
	struct proto_error  err;
	long long	    n = -1;

	o = json_tokener_parse("{\"port\":80,\"big\":70000,\"s\":\"80\"}");
	ck_assert_int_eq(proto_get_int(o, "port", 1, 1, 65535, &n, &err), 0);
	ck_assert_int_eq(n, 80);
	ck_assert_int_eq(proto_get_int(o, "big", 1, 1, 65535, &n, &err), -1);
	ck_assert_str_eq(err.field, "big");
	ck_assert_ptr_nonnull(strstr(err.message, "outside 1..65535"));
	ck_assert_int_eq(proto_get_int(o, "s", 1, 1, 65535, &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "not string"));
	n = 9;
	ck_assert_int_eq(proto_get_int(o, "absent", 0, 1, 2, &n, &err), 1);
	ck_assert_int_eq(n, 9);
	ck_assert_int_eq(proto_get_int(o, "absent", 1, 1, 2, &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.message, "is required"));
	json_object_put(o);
}
END_TEST

START_TEST(test_proto_get_string_rejects_embedded_nul)
{
	struct json_object *o;
	struct proto_error  err;
	const char	   *s;

	o = json_tokener_parse("{\"name\":\"a\\u0000b\"}");
	ck_assert_int_eq(proto_get_string(o, "name", 1, &s, &err), -1);
	ck_assert_str_eq(err.field, "name");
	json_object_put(o);
}
END_TEST

START_TEST(test_proto_error_reply_echoes_id_and_field)
{
	struct json_object *id, *reply;
	struct proto_error  err;
	char		   *line;

	id = json_object_new_string("q1");
	proto_error_set(&err, PROTO_E_BAD_FIELD, "port", "port %d bad", 0);
	reply = proto_reply_error(id, &err);
	line = proto_serialize(reply, NULL);
	ck_assert_str_eq(line,
	    "{\"id\":\"q1\",\"ok\":false,\"error\":"
	    "{\"code\":\"bad-field\",\"message\":\"port 0 bad\","
	    "\"field\":\"port\"}}\n");
	free(line);
	json_object_put(reply);
	json_object_put(id);
}
END_TEST

START_TEST(test_proto_serialize_escapes_newlines_and_controls)
{
	struct json_object *o;
	char		   *line;
	size_t		    len;

	o = json_object_new_object();
	json_object_object_add(o, "t", json_object_new_string("a\nb\x01/"));
	line = proto_serialize(o, &len);
	ck_assert_str_eq(line, "{\"t\":\"a\\nb\\u0001/\"}\n");
	ck_assert_uint_eq(len, strlen(line));
	ck_assert_ptr_eq(strchr(line, '\n'), line + len - 1);
	free(line);
	json_object_put(o);
}
END_TEST

START_TEST(test_proto_utf8_rejects_overlong_and_surrogates)
{
	ck_assert_int_eq(proto_utf8_invalid("\xc0\xaf", 2), 0);
	ck_assert_int_eq(proto_utf8_invalid("ab\xed\xa0\x80", 5), 2);
	ck_assert_int_eq(proto_utf8_invalid("\xf4\x90\x80\x80", 4), 0);
	ck_assert_int_eq(proto_utf8_invalid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10),
	    -1);
	ck_assert_int_eq(proto_utf8_invalid("\xe2\x82", 2), 0);
}
END_TEST

START_TEST(test_proto_utf8_nonchar)
{
	ck_assert_int_eq(proto_utf8_nonchar("a\xef\xbf\xbe", 4), 1);
	ck_assert_int_eq(proto_utf8_nonchar("ab\xef\xbf\xbf", 5), 2);
	ck_assert_int_eq(proto_utf8_nonchar("\xef\xb7\x90", 3), 0);
	ck_assert_int_eq(proto_utf8_nonchar("\xef\xb7\xaf", 3), 0);
	ck_assert_int_eq(proto_utf8_nonchar("\xf4\x8f\xbf\xbf", 4), 0);
	ck_assert_int_eq(proto_utf8_nonchar("\xf3\xbf\xbf\xbe", 4), 0);
	/* Neighbours that are ordinary characters. */
	ck_assert_int_eq(proto_utf8_nonchar("\xef\xb7\x8f\xef\xb7\xb0", 6), -1);
	ck_assert_int_eq(proto_utf8_nonchar("\xef\xbf\xbd\xf0\x9f\x98\x80", 7),
	    -1);
	ck_assert_int_eq(proto_utf8_nonchar("caf\xc3\xa9", 5), -1);
}
END_TEST

/* The reader on one text: 0 and the value's JSON, or -1 and why. */
static int
rd(const char *s, char *out, size_t size)
{
	struct json_object *o;
	const char	   *why;
	size_t		    end;

	if (proto_json_read(s, strlen(s), 16, &o, &end, &why) == -1) {
		ck_assert_ptr_null(o);
		snprintf(out, size, "%s at %zu", why, end);
		return (-1);
	}
	ck_assert_uint_eq(end, strlen(s));
	snprintf(out, size, "%s",
	    o == NULL ?
		"null" :
		json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return (0);
}

START_TEST(test_json_read_values)
{
	char b[256];

	ck_assert_int_eq(rd(" { \"a\" : [ 1 , -2 , true , false , null ] } ", b,
			     sizeof(b)),
	    0);
	ck_assert_str_eq(b, "{\"a\":[1,-2,true,false,null]}");
	/* Escapes, a surrogate pair, and a key given twice: the last. */
	ck_assert_int_eq(rd("{\"k\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9"
			    "\\ud83d\\ude00\",\"d\":1,\"d\":2}",
			     b, sizeof(b)),
	    0);
	ck_assert_str_eq(b,
	    "{\"k\":\"\\\"\\\\/\\b\\f\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\","
	    "\"d\":2}");
	/* Integers to int64's ends, above them uint64, and doubles. */
	ck_assert_int_eq(rd("[-9223372036854775808,9223372036854775807,"
			    "18446744073709551615,-0,1.5e3,-0.25]",
			     b, sizeof(b)),
	    0);
	ck_assert_str_eq(b,
	    "[-9223372036854775808,9223372036854775807,"
	    "18446744073709551615,0,1.5e3,-0.25]");
	ck_assert_int_eq(rd("null", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "null");
	ck_assert_int_eq(rd("[\"a\\u0000b\"]", b, sizeof(b)), 0);
	ck_assert_str_eq(b, "[\"a\\u0000b\"]");
}
END_TEST

START_TEST(test_json_read_refuses_what_rfc8259_does)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "[1,]", "an unexpected character at 3" },
		{ "{\"a\":1,}", "expected a key in quotes at 7" },
		{ "{a:1}", "expected a key in quotes at 1" },
		{ "{\"a\" 1}", "expected ':' after a key at 5" },
		{ "[1 2]", "expected ',' or ']' at 3" },
		{ "{\"a\":1 \"b\"}", "expected ',' or '}' at 7" },
		{ "[01]", "a number has no leading zeros at 1" },
		{ "[-01]", "a number has no leading zeros at 2" },
		{ "[1.]", "a fraction needs a digit at 3" },
		{ "[.5]", "an unexpected character at 1" },
		{ "[-]", "a number needs a digit at 2" },
		{ "[1e]", "an exponent needs a digit at 3" },
		{ "[18446744073709551616]", "an integer out of range at 1" },
		{ "[-9223372036854775809]", "an integer out of range at 1" },
		{ "[1e999]", "a number out of range at 1" },
		{ "[NaN]", "NaN and Infinity are not JSON at 1" },
		{ "[-Infinity]", "NaN and Infinity are not JSON at 2" },
		{ "[tru]", "an unexpected character at 4" },
		{ "[\"\\x\"]", "an unknown escape at 3" },
		{ "[\"\\u12g4\"]", "a \\u escape needs four hex digits at 6" },
		{ "[\"\\ud800\"]", "a high surrogate with no low one at 8" },
		{ "[\"\\ud800\\u0041\"]",
		    "a high surrogate with no low one at 8" },
		{ "[\"\\udc00\"]", "a low surrogate with no high one at 2" },
		{ "[\"a\x01\"]",
		    "a control character in a string must be "
		    "escaped at 3" },
		{ "{\"a\\u0000\":1}", "a key holds a NUL character at 1" },
		{ "{\"a\":[1,{\"b\":", "incomplete at end of line at 13" },
		{ "[\"abc", "incomplete at end of line at 5" },
		{ "", "incomplete at end of line at 0" },
		{ "'a'", "an unexpected character at 0" },
		{ "[1]/*c*/", NULL }, /* the caller sees the trailing bytes */
	};
	char   b[256], expect[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bad[i].why == NULL)
			continue;
		snprintf(expect, sizeof(expect), "%s", bad[i].why);
		ck_assert_msg(rd(bad[i].text, b, sizeof(b)) == -1,
		    "%s was taken as %s", bad[i].text, b);
		ck_assert_msg(strcmp(b, expect) == 0, "%s: \"%s\", not \"%s\"",
		    bad[i].text, b, expect);
	}
}
END_TEST

START_TEST(test_json_read_depth_is_json_cs)
{
	char line[64], b[256];
	int  i, n;

	/* 16 arrays, empty: the innermost is at depth 15 (the limit). */
	for (n = 0, i = 0; i < 16; i++)
		line[n++] = '[';
	for (i = 0; i < 16; i++)
		line[n++] = ']';
	line[n] = '\0';
	ck_assert_int_eq(rd(line, b, sizeof(b)), 0);
	/* A member in the innermost: depth 16, refused where it starts. */
	for (n = 0, i = 0; i < 16; i++)
		line[n++] = '[';
	line[n++] = '1';
	for (i = 0; i < 16; i++)
		line[n++] = ']';
	line[n] = '\0';
	ck_assert_int_eq(rd(line, b, sizeof(b)), -1);
	ck_assert_str_eq(b, "nested too deep at 16");
}
END_TEST

START_TEST(test_json_read_stops_at_the_count)
{
	struct json_object *o;
	const char	   *why;
	size_t		    end;

	/* The bytes past the count are never read: here they would close it. */
	ck_assert_int_eq(proto_json_read("[\"ab\"]", 4, 16, &o, &end, &why),
	    -1);
	ck_assert_str_eq(why, "incomplete at end of line");
	ck_assert_int_eq(proto_json_read("12345", 3, 16, &o, &end, &why), 0);
	ck_assert_uint_eq(end, 3);
	ck_assert_int_eq(json_object_get_int(o), 123);
	json_object_put(o);
}
END_TEST

/* proto_text against json-c's own serializer, byte for byte. */
static void
same_text(struct json_object *o)
{
	const char *mine, *theirs;
	size_t	    n, m;

	mine = proto_text(o, &n);
	theirs = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &m);
	ck_assert_msg(n == m && memcmp(mine, theirs, n) == 0 && mine[n] == '\0',
	    "proto_text %s, json-c %s", mine, theirs);
}

START_TEST(test_proto_text_is_json_cs_text)
{
	struct json_object *o, *a, *in;
	char		    all[130];
	int		    c;

	/* Every byte json-c escapes, and some it does not. */
	for (c = 1; c < 128; c++)
		all[c - 1] = (char)c;
	memcpy(all + 127, "\xc3\xa9", 3);
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string("r\"1/\\"));
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "no", json_object_new_boolean(0));
	json_object_object_add(o, "null", NULL);
	json_object_object_add(o, all, json_object_new_string(all));
	json_object_object_add(o, "nul", json_object_new_string_len("a\0b", 3));
	json_object_object_add(o, "min", json_object_new_int64(INT64_MIN));
	json_object_object_add(o, "max", json_object_new_int64(INT64_MAX));
	json_object_object_add(o, "u64",
	    json_object_new_uint64(UINT64_MAX - 1));
	json_object_object_add(o, "zero", json_object_new_int(0));
	json_object_object_add(o, "half", json_object_new_double(0.5));
	json_object_object_add(o, "third", json_object_new_double(1.0 / 3));
	json_object_object_add(o, "big", json_object_new_double(1e300));
	json_object_object_add(o, "text", json_object_new_double_s(2, "2.00"));
	a = json_object_new_array();
	json_object_array_add(a, json_object_new_int(-7));
	json_object_array_add(a, NULL);
	json_object_array_add(a, json_object_new_array());
	json_object_array_add(a, json_object_new_object());
	in = json_object_new_object();
	json_object_object_add(in, "deep", json_object_new_string("\x1f"));
	json_object_array_add(a, in);
	json_object_object_add(o, "list", a);
	json_object_object_add(o, "empty", json_object_new_string(""));
	same_text(o);
	same_text(a);
	same_text(json_object_get(in));
	json_object_put(in);
	json_object_put(o);
}
END_TEST

START_TEST(test_proto_raw_is_written_as_it_is)
{
	struct json_object *o, *raw, *in;
	const char	   *t;
	size_t		    n;

	const char *text = "{\"name\":\"x\",\"port\":1}";

	raw = proto_raw_new(text, strlen(text));
	ck_assert_ptr_nonnull(raw);
	ck_assert_ptr_nonnull(proto_raw_text(raw, &n));
	ck_assert_uint_eq(n, strlen(text));
	in = json_object_new_int(3);
	ck_assert_ptr_null(proto_raw_text(in, &n));
	json_object_put(in);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "instance", raw);
	t = proto_text(o, &n);
	ck_assert_str_eq(t,
	    "{\"ok\":true,\"instance\":{\"name\":\"x\",\"port\":1}}");
	ck_assert_uint_eq(n, strlen(t));
	same_text(o); /* json-c writes it the same through its serializer */
	json_object_put(o);
}
END_TEST

/*
 * proto_resolve_scan takes a resolve in its usual shape, and nothing
 * else: every line it declines goes the whole way, so a decline is never
 * wrong, but a take must read what the decoder reads.
 */
START_TEST(test_resolve_scan_takes_the_usual_shape_only)
{
	static const char *const takes[] = {
		"{\"verb\":\"resolve\",\"name\":\"web 1\",\"type\":\"_http._tcp\"}",
		" {\t\"type\" : \"_http._tcp\" , \"name\":\"web 1\", "
		"\"verb\":\"resolve\" } \r",
		"{\"id\":-12,\"verb\":\"resolve\",\"name\":\"web 1\","
		"\"type\":\"_http._tcp\"}",
		"{\"id\":0,\"verb\":\"resolve\",\"name\":\"web 1\","
		"\"type\":\"_http._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"web 1\",\"type\":\"_http._tcp\","
		"\"domain\":\"site\",\"id\":\"a/b 1\"}",
	};
	static const char *const declines[] = {
		/* other verbs, other fields, another shape */
		"{\"verb\":\"pick\",\"name\":\"w\",\"type\":\"_http._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_http._tcp\","
		"\"wait_ms\":10}",
		"{\"verb\":\"resolve\",\"fullname\":\"w._http._tcp.local\"}",
		"{\"verb\":\"resolve\",\"name\":\"w\"}",
		"{\"verb\":\"resolve\",\"type\":\"_http._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":null,\"type\":\"_http._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_http._tcp\","
		"\"domain\":null}",
		"[\"verb\",\"resolve\"]",
		"{\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_http._tcp\"",
		"{\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_http._tcp\"}x",
		"{\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_http._tcp\",}",
		/* a key twice: the decoder keeps the last */
		"{\"verb\":\"resolve\",\"name\":\"w\",\"name\":\"v\","
		"\"type\":\"_http._tcp\"}",
		/* escapes, bytes over 0x7e, control bytes */
		"{\"verb\":\"resolve\",\"name\":\"w\\u0031\",\"type\":\"_t._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"w\\\\1\",\"type\":\"_t._tcp\"}",
		"{\"v\\u0065rb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"caf\xc3\xa9\",\"type\":\"_t._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"w\x7f\",\"type\":\"_t._tcp\"}",
		"{\"verb\":\"resolve\",\"name\":\"w\t\",\"type\":\"_t._tcp\"}",
		/* ids that would not be written back as they came */
		"{\"id\":-0,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"id\":007,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"id\":1.5,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"id\":1e3,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"id\":1234567890123456,\"verb\":\"resolve\",\"name\":\"w\","
		"\"type\":\"_t._tcp\"}",
		"{\"id\":true,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"id\":null,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
		"{\"id\":-,\"verb\":\"resolve\",\"name\":\"w\",\"type\":\"_t._tcp\"}",
	};
	struct proto_resolve r;
	struct proto_request req;
	struct proto_error   err;
	char		     longname[PROTO_SCAN_STR_MAX + 64];
	const char	    *id;
	size_t		     k, n;

	for (k = 0; k < sizeof(takes) / sizeof(takes[0]); k++) {
		ck_assert_msg(proto_resolve_scan(takes[k], strlen(takes[k]),
				  &r) == 1,
		    "declined %s", takes[k]);
		ck_assert_int_eq(proto_request_parse(takes[k], strlen(takes[k]),
				     &req, &err),
		    0);
		ck_assert_str_eq(r.name, "web 1");
		ck_assert_str_eq(r.type, "_http._tcp");
		ck_assert_int_eq(r.has_domain, k == 4);
		if (r.has_domain)
			ck_assert_str_eq(r.domain, "site");
		ck_assert_int_eq(r.id != NULL, req.id != NULL);
		if (req.id != NULL) {
			id = proto_text(req.id, &n);
			ck_assert_uint_eq(n, r.id_len);
			ck_assert(memcmp(id, r.id, n) == 0);
		}
		proto_request_clear(&req);
	}
	for (k = 0; k < sizeof(declines) / sizeof(declines[0]); k++)
		ck_assert_msg(proto_resolve_scan(declines[k],
				  strlen(declines[k]), &r) == 0,
		    "took %s", declines[k]);
	/* A string too long for the scan's buffers goes the whole way. */
	memset(longname, 'a', sizeof(longname));
	n = (size_t)snprintf(longname, sizeof(longname),
	    "{\"verb\":\"resolve\",\"type\":\"_t._tcp\",\"name\":\"%0*d\"}",
	    PROTO_SCAN_STR_MAX, 0);
	ck_assert_int_eq(proto_resolve_scan(longname, n, &r), 0);
	n = (size_t)snprintf(longname, sizeof(longname),
	    "{\"verb\":\"resolve\",\"type\":\"_t._tcp\",\"name\":\"%0*d\"}",
	    PROTO_SCAN_STR_MAX - 1, 0);
	ck_assert_int_eq(proto_resolve_scan(longname, n, &r), 1);
	ck_assert_uint_eq(strlen(r.name), PROTO_SCAN_STR_MAX - 1);
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc = tcase_create("codec");

	tcase_add_test(tc, test_proto_parse_minimal_request);
	tcase_add_test(tc, test_proto_parse_keeps_string_and_number_ids);
	tcase_add_test(tc, test_proto_parse_rejects_garbage);
	tcase_add_test(tc, test_proto_parse_rejects_array);
	tcase_add_test(tc, test_proto_parse_rejects_invalid_utf8);
	tcase_add_test(tc, test_proto_parse_rejects_nul_byte);
	tcase_add_test(tc, test_proto_parse_rejects_trailing_data);
	tcase_add_test(tc, test_proto_parse_missing_verb_names_the_field);
	tcase_add_test(tc, test_proto_parse_mistyped_verb_names_the_type);
	tcase_add_test(tc, test_proto_parse_rejects_object_id);
	tcase_add_test(tc, test_proto_parse_rejects_deep_nesting);
	tcase_add_test(tc, test_proto_parse_rejects_oversized_line);
	tcase_add_test(tc, test_proto_get_int_enforces_type_and_range);
	tcase_add_test(tc, test_proto_get_string_rejects_embedded_nul);
	tcase_add_test(tc, test_proto_error_reply_echoes_id_and_field);
	tcase_add_test(tc, test_proto_serialize_escapes_newlines_and_controls);
	tcase_add_test(tc, test_proto_utf8_rejects_overlong_and_surrogates);
	tcase_add_test(tc, test_proto_utf8_nonchar);
	tcase_add_test(tc, test_json_read_values);
	tcase_add_test(tc, test_proto_text_is_json_cs_text);
	tcase_add_test(tc, test_proto_raw_is_written_as_it_is);
	tcase_add_test(tc, test_json_read_refuses_what_rfc8259_does);
	tcase_add_test(tc, test_json_read_depth_is_json_cs);
	tcase_add_test(tc, test_json_read_stops_at_the_count);
	tcase_add_test(tc, test_resolve_scan_takes_the_usual_shape_only);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(proto_suite)
