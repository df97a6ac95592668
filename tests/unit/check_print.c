/*
 * discoctl's printers against hostile replies: names, host names, TXT and
 * check output that carry terminal escape sequences, controls and bytes
 * that are not UTF-8 must reach the terminal as visible escapes, and
 * columns must stay aligned (discoctl(1), OUTPUT).
 */
#include "config.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <json-c/json.h>

#include "check_main.h"
#include "discoctl.h"

static FILE  *out, *err;
static char  *outbuf, *errbuf;
static size_t outlen, errlen;

static void
setup_locale(const char *locale)
{
	out = open_memstream(&outbuf, &outlen);
	err = open_memstream(&errbuf, &errlen);
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(setlocale(LC_CTYPE, locale));
	setenv("TZ", "UTC", 1); /* dates as the tests spell them */
	tzset();
	print_init(out, err);
	print_flags(0);
}

static void
setup_utf8(void)
{
	setup_locale("C.UTF-8");
}

static void
setup_ascii(void)
{
	setup_locale("C");
}

static void
teardown(void)
{
	fclose(out);
	fclose(err);
	free(outbuf);
	free(errbuf);
}

/* What the printers wrote to out so far. */
static const char *
output(void)
{
	fflush(out);
	return (outbuf);
}

static const char *
errors(void)
{
	fflush(err);
	return (errbuf);
}

/* s through print_escape(), and the columns it says it took. */
static const char *
escaped(const char *s, size_t len, int quote, int *cols)
{
	*cols = print_escape(out, s, len, quote);
	return (output());
}

static struct json_object *
reply(const char *json)
{
	struct json_object *o;

	ck_assert_ptr_nonnull(o = json_tokener_parse(json));
	return (o);
}

/*
 * Nothing in s can drive a terminal: no C0 control but newline, no DEL,
 * no C1 control (as UTF-8 or as a byte), and all of it strict UTF-8.
 */
static void
assert_terminal_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		     i, n;

	for (i = 0; p[i] != '\0'; i += n) {
		ck_assert_msg(p[i] >= 0x20 || p[i] == '\n',
		    "raw control 0x%02x at %zu in \"%s\"", p[i], i, s);
		ck_assert_msg(p[i] != 0x7f, "raw DEL at %zu in \"%s\"", i, s);
		if (p[i] < 0x80) {
			n = 1;
			continue;
		}
		ck_assert_msg(!(p[i] == 0xc2 && p[i + 1] >= 0x80 &&
				  p[i + 1] <= 0x9f),
		    "raw C1 control U+%04X at %zu in \"%s\"", p[i + 1], i, s);
		if ((p[i] & 0xe0) == 0xc0)
			n = 2;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 3;
		else if ((p[i] & 0xf8) == 0xf0)
			n = 4;
		else
			ck_abort_msg("byte 0x%02x at %zu is not UTF-8", p[i],
			    i);
		ck_assert_int_eq(mblen(s + i, n), (int)n);
	}
}

/* A string that tries everything: clear screen, CR, BEL, C1 CSI, 0xff. */
#define HOSTILE_JSON  "\\u001b[2J\\r\\u0007\\u009b31m\\u007f\xff\xfe"
#define HOSTILE_SHOWN "\\x1b[2J\\r\\x07\\u009b31m\\x7f\\xff\\xfe"

START_TEST(test_escape_shows_controls_and_sequences_as_escapes)
{
	const char s[] = "a\x1b[2J\r\n\t\x07\x7f\xc2\x9b"
			 "b\\";
	int	   cols;

	ck_assert_str_eq(escaped(s, sizeof(s) - 1, 0, &cols),
	    "a\\x1b[2J\\r\\n\\t\\x07\\x7f\\u009bb\\\\");
	ck_assert_int_eq(cols, (int)strlen(output()));
}
END_TEST

START_TEST(test_escape_shows_each_byte_that_is_not_utf8)
{
	/* Truncated, stray continuation, overlong, surrogate, too high. */
	const char s[] = "\xc3|\x80|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80";
	int	   cols;

	ck_assert_str_eq(escaped(s, sizeof(s) - 1, 0, &cols),
	    "\\xc3|\\x80|\\xc0\\xaf|\\xed\\xa0\\x80|"
	    "\\xf4\\x90\\x80\\x80");
	ck_assert_int_eq(cols, (int)strlen(output()));
}
END_TEST

START_TEST(test_escape_keeps_printable_utf8_and_counts_its_columns)
{
	int cols;

	ck_assert_str_eq(escaped("Café ☕", strlen("Café ☕"), 0, &cols),
	    "Café ☕");
	ck_assert_int_eq(cols, 7); /* the cup is a wide character */
}
END_TEST

START_TEST(test_escape_shows_bidi_overrides_and_nul)
{
	const char s[] = "evil\xe2\x80\xae"
			 "txt.exe\0hidden";
	int	   cols;

	ck_assert_str_eq(escaped(s, sizeof(s) - 1, 0, &cols),
	    "evil\\u202etxt.exe\\x00hidden");
	ck_assert_int_eq(cols, (int)strlen(output()));
}
END_TEST

START_TEST(test_escape_quotes_only_when_asked)
{
	int cols;

	escaped("say \"hi\"", 8, 0, &cols);
	escaped("|say \"hi\"", 9, 1, &cols);
	ck_assert_str_eq(output(), "say \"hi\"|say \\\"hi\\\"");
}
END_TEST

START_TEST(test_escape_outside_utf8_locale_shows_non_ascii_as_code_points)
{
	int cols;

	/* A Latin-1 terminal would read the 0x9b in U+00DB's UTF-8 as CSI. */
	ck_assert_str_eq(escaped("Café Û 😀", strlen("Café Û 😀"), 0, &cols),
	    "Caf\\u00e9 \\u00db \\U0001f600");
	ck_assert_int_eq(cols, (int)strlen(output()));
}
END_TEST

START_TEST(test_list_from_a_hostile_peer_is_escaped_and_aligned)
{
	struct json_object *r;
	const char	   *want;

	r = reply("{\"ok\":true,\"instances\":["
		  "{\"name\":\"a" HOSTILE_JSON "\",\"type\":\"_x._tcp\","
		  "\"domain\":\"local\",\"host\":\"h\\u001b]0;t\\u0007\","
		  "\"port\":80,\"addresses\":[{\"address\":\"10.0.0.1\\r\"}],"
		  "\"txt\":[\"k=\\\"v\\u001b[5m\",{\"base64\":\"AAE=\"}]},"
		  "{\"name\":\"Café ☕\",\"type\":\"_x._tcp\","
		  "\"domain\":\"local\",\"host\":\"b.local\",\"port\":81,"
		  "\"addresses\":[],\"txt\":[]}]}");
	print_list(r, 0);
	json_object_put(r);
	assert_terminal_safe(output());
	/*
	 * Each column as wide as its widest cell as the terminal shows it
	 * (escapes as printed; the cup is two columns wide), PORT to the
	 * right, the header over its own column.
	 */
	want = "NAME                                 HOST           PORT  "
	       "ADDRESSES   TXT\n"
	       "a" HOSTILE_SHOWN "  h\\x1b]0;t\\x07    80  10.0.0.1\\r  "
	       "\"k=\\\"v\\x1b[5m\" base64:AAE=\n"
	       "Café ☕                              b.local          81  -"
	       "           -\n";
	ck_assert_str_eq(output(), want);
}
END_TEST

START_TEST(test_services_escape_the_check_output_of_another_user)
{
	struct json_object *r;

	r = reply(
	    "{\"ok\":true,\"services\":[{\"id\":3,"
	    "\"state\":\"established\",\"name\":\"Web\","
	    "\"final_name\":\"Web \\u001b[8m#2\",\"renamed\":true,"
	    "\"type\":\"_http._tcp\",\"port\":80,"
	    "\"origin\":{\"file\":\"/etc/disco/services/w\\u001b.dnssd\"},"
	    "\"health\":{\"check\":\"exec\",\"healthy\":false,"
	    "\"passes\":0,\"failures\":3,\"last_change\":12,"
	    "\"output\":\"down\\r\\u001b[2K\\u001b]0;owned\\u0007"
	    "\\u009b1A" HOSTILE_JSON "\\n\"}}]}");
	print_services(r);
	json_object_put(r);
	assert_terminal_safe(output());
	ck_assert_str_eq(output(),
	    "ID  STATE        NAME                     TYPE        PORT  LEASE  "
	    "ORIGIN\n"
	    " 3  established  Web \\x1b[8m#2 (was Web)  _http._tcp    80  -      "
	    "/etc/disco/services/w\\x1b.dnssd\n"
	    "check of 3 (exec): unhealthy, 0 pass(es) and 3 failure(s) in a "
	    "row, last change 1970-01-01 00:00:12: "
	    "down\\r\\x1b[2K\\x1b]0;owned\\x07\\u009b1A" HOSTILE_SHOWN "\\n\n");
}
END_TEST

START_TEST(test_status_types_and_resolve_escape_what_the_agent_says)
{
	struct json_object *r;

	r = reply("{\"ok\":true,\"version\":\"1\\u001b[c\",\"protocol\":1,"
		  "\"pid\":9,\"uptime\":5,\"avahi\":{\"state\":\"failure\","
		  "\"since\":2,\"outages\":1,\"error\":\"e" HOSTILE_JSON "\"},"
		  "\"host\":\"h" HOSTILE_JSON "\",\"counts\":{\"services\":0,"
		  "\"instances\":0,\"clients\":1},\"rss_kib\":10}");
	print_status(r);
	json_object_put(r);
	r = reply("{\"ok\":true,\"types\":[{\"type\":\"_x" HOSTILE_JSON
		  "\",\"instances\":2}]}");
	print_types(r);
	json_object_put(r);
	r = reply("{\"ok\":true,\"instance\":{\"name\":\"n" HOSTILE_JSON
		  "\",\"type\":\"_x._tcp\",\"fullname\":\"f" HOSTILE_JSON
		  "\",\"domain\":\"local\",\"host\":\"h" HOSTILE_JSON
		  "\",\"port\":1,\"addresses\":[{\"address\":\"a" HOSTILE_JSON
		  "\"}],\"txt\":[\"t" HOSTILE_JSON "\"],\"local\":false}}");
	print_resolved(r);
	print_picked(r);
	json_object_put(r);
	assert_terminal_safe(output());
	ck_assert_ptr_nonnull(strstr(output(), "host       h" HOSTILE_SHOWN));
	ck_assert_ptr_nonnull(strstr(output(), "1 outage(s): e" HOSTILE_SHOWN));
	ck_assert_ptr_nonnull(strstr(output(),
	    "_x" HOSTILE_SHOWN "          2\n"));
	ck_assert_ptr_nonnull(strstr(output(), "txt        \"t" HOSTILE_SHOWN));
}
END_TEST

/* Every counter group of status gets its lines, memory in human units. */
START_TEST(test_status_shows_every_counter_group)
{
	struct json_object *r;

	r = reply("{\"ok\":true,\"version\":\"1\",\"protocol\":1,\"pid\":9,"
		  "\"uptime\":5,\"avahi\":{\"state\":\"running\",\"since\":2,"
		  "\"outages\":0},\"host\":\"h\",\"counts\":{\"services\":1,"
		  "\"instances\":41,\"clients\":3},"
		  "\"browse\":{\"types_browsed\":12,\"types_left_out\":0,"
		  "\"subtypes_on_demand\":2,\"instances\":41,\"unresolved\":4,"
		  "\"resolving\":1,\"queued\":5,\"retrying\":2,"
		  "\"paused\":false,\"resolvers_open\":6,"
		  "\"resolutions\":300,\"failures\":7},"
		  "\"liveness\":{\"probing\":true,\"interval_ms\":1000,"
		  "\"peers\":8,\"unreachable\":1,\"reachable\":7,"
		  "\"queries_sent\":900,\"answers\":880},"
		  "\"dns\":{\"domain\":\"disco\",\"sockets\":4,"
		  "\"queries_udp\":120,\"queries_tcp\":3,\"rcodes\":"
		  "{\"noerror\":100,\"formerr\":1,\"servfail\":0,"
		  "\"nxdomain\":20,\"notimp\":0,\"refused\":2},\"nodata\":5,"
		  "\"badvers\":0,\"truncated\":1,\"dropped\":9,"
		  "\"tcp_clients\":1,\"tcp_refused\":0},\"rss_kib\":4608}");
	print_status(r);
	json_object_put(r);
	ck_assert_ptr_nonnull(strstr(output(),
	    "browse     12 type(s), 0 left out, 2 subtype(s) on demand; 41 "
	    "instance(s), 4 unresolved\n"
	    "           resolvers: 6 open, 1 resolving, 5 queued, 2 retrying; "
	    "300 resolution(s), 7 failure(s)\n"));
	ck_assert_ptr_nonnull(strstr(output(),
	    "liveness   probing every 1s: 8 peer(s), 1 unreachable; 900 "
	    "queries, 880 answers\n"));
	ck_assert_ptr_nonnull(strstr(output(),
	    "dns        disco on 4 socket(s): 120 UDP and 3 TCP queries, 1 TCP "
	    "client(s) now, 0 refused\n"
	    "           answers: 100 noerror (5 nodata), 20 nxdomain, 2 "
	    "refused, 1 formerr, 0 servfail, 0 notimp; 1 truncated, 9 "
	    "dropped\n"));
	ck_assert_ptr_nonnull(strstr(output(), "memory     4.5 MiB\n"));
}
END_TEST

START_TEST(test_events_and_errors_are_escaped)
{
	struct json_object *r;

	print_watch_event(0,
	    "{\"event\":\"add" HOSTILE_JSON "\",\"index\":1,\"instance\":"
	    "{\"name\":\"n" HOSTILE_JSON "\",\"type\":\"_x._tcp\","
	    "\"domain\":\"local\",\"host\":\"h\",\"port\":1}}");
	print_event(0,
	    "{\"event\":\"renamed\",\"id\":1,\"old_name\":\"o" HOSTILE_JSON
	    "\",\"name\":\"n\\\"" HOSTILE_JSON "\"}");
	print_event(0,
	    "{\"event\":\"health\",\"id\":1,\"healthy\":false,"
	    "\"output\":\"" HOSTILE_JSON "\"}");
	r = reply("{\"ok\":true,\"registration\":{\"id\":4,\"final_name\":"
		  "\"p" HOSTILE_JSON "\",\"type\":\"_x._tcp\",\"port\":80,"
		  "\"state\":\"failed\",\"error\":\"e" HOSTILE_JSON "\"}}");
	print_registered(r);
	json_object_put(r);
	r = reply("{\"ok\":false,\"error\":{\"code\":\"x" HOSTILE_JSON
		  "\",\"message\":\"m" HOSTILE_JSON "\"}}");
	print_error(r);
	json_object_put(r);
	assert_terminal_safe(output());
	assert_terminal_safe(errors());
	ck_assert_ptr_nonnull(strstr(output(),
	    "renamed: \"o" HOSTILE_SHOWN
	    "\" was taken, now \"n\\\"" HOSTILE_SHOWN "\"\n"));
	ck_assert_str_eq(errors(),
	    "discoctl: m" HOSTILE_SHOWN " (x" HOSTILE_SHOWN ")\n");
}
END_TEST

START_TEST(test_list_long_every_type_no_header_and_color)
{
	struct json_object *r;
	size_t		    start;

	r = reply("{\"ok\":true,\"instances\":[{\"name\":\"A\",\"type\":"
		  "\"_a._tcp\",\"host\":\"a.local\",\"port\":1,\"reachable\":"
		  "false,\"addresses\":[{\"address\":\"10.0.0.1\",\"family\":"
		  "\"ipv4\",\"interface\":\"eth0\"},{\"address\":"
		  "\"fe80::1%eth0\",\"family\":\"ipv6\",\"interface\":"
		  "\"eth0\"}],\"txt\":[\"k=v\"]},{\"name\":\"Bee\",\"type\":"
		  "\"_bee._udp\",\"host\":\"b.local\",\"port\":65535,"
		  "\"addresses\":[],\"txt\":[]}]}");
	print_flags(PRINT_LONG);
	print_list(r, 1);
	ck_assert_str_eq(output(),
	    "NAME             TYPE       HOST      PORT  ADDRESS       FAMILY  "
	    "INTERFACE  TXT\n"
	    "A (unreachable)  _a._tcp    a.local      1  10.0.0.1      ipv4    "
	    "eth0       \"k=v\"\n"
	    "A (unreachable)  _a._tcp    a.local      1  fe80::1%eth0  ipv6    "
	    "eth0       \"k=v\"\n"
	    "Bee              _bee._udp  b.local  65535  -             -       "
	    "-          -\n");
	start = strlen(output());
	print_flags(PRINT_NO_HEADER | PRINT_COLOR);
	print_list(r, 0);
	json_object_put(r);
	/* No header; the unreachable mark in red, nothing else colored. */
	ck_assert_str_eq(output() + start,
	    "\033[31mA (unreachable)\033[0m  a.local      1  10.0.0.1,"
	    "fe80::1%eth0  \"k=v\"\n"
	    "Bee              b.local  65535  -                      -\n");
}
END_TEST

START_TEST(test_addr_prefers_a_routable_address_and_refuses_junk)
{
	struct json_object *r, *inst;

	r = reply("{\"instance\":{\"port\":80,\"addresses\":["
		  "{\"address\":\"fe80::1%eth0\",\"family\":\"ipv6\"},"
		  "{\"address\":\"$(reboot)\",\"family\":\"ipv4\"},"
		  "{\"address\":\"2001:db8::2\",\"family\":\"ipv6\"},"
		  "{\"address\":\"192.0.2.7\",\"family\":\"ipv4\"}]}}");
	json_object_object_get_ex(r, "instance", &inst);
	ck_assert_int_eq(print_addr(inst, NULL), 0);
	ck_assert_int_eq(print_addr(inst, "ipv4"), 0);
	ck_assert_int_eq(print_addr(inst, "ipv9"), -1);
	ck_assert_str_eq(output(), "2001:db8::2 80\n192.0.2.7 80\n");
	json_object_put(r);
	r = reply("{\"instance\":{\"port\":\"80;x\",\"addresses\":["
		  "{\"address\":\"192.0.2.7\",\"family\":\"ipv4\"}]}}");
	json_object_object_get_ex(r, "instance", &inst);
	ck_assert_int_eq(print_addr(inst, NULL), -1);
	json_object_put(r);
}
END_TEST

START_TEST(test_registration_events_in_words)
{
	char buf[32];

	ck_assert_int_eq(print_event(0,
			     "{\"event\":\"established\","
			     "\"id\":3,\"name\":\"W\"}"),
	    'e');
	ck_assert_int_eq(print_event(0,
			     "{\"event\":\"failed\",\"id\":3,"
			     "\"error\":\"Local name collision\","
			     "\"retry\":4}"),
	    'f');
	ck_assert_int_eq(print_event(0,
			     "{\"event\":\"health\",\"id\":3,"
			     "\"healthy\":false,\"output\":\"HTTP "
			     "503\"}"),
	    0);
	ck_assert_int_eq(print_event(0, "{\"event\":\"expired\",\"id\":3}"),
	    'x');
	ck_assert_str_eq(output(),
	    "registration 3: established as \"W\"\n"
	    "registration 3: failed: Local name collision; trying again in "
	    "4s\n"
	    "registration 3: check fails: HTTP 503 (withdrawn)\n"
	    "registration 3: the lease ran out without a renew: withdrawn\n");
	/* -j: the line as it came, and still what it was. */
	ck_assert_int_eq(print_event(1, "{\"event\":\"expired\",\"id\":3}"),
	    'x');
	print_duration(buf, sizeof(buf), 11520.3);
	ck_assert_str_eq(buf, "3h12m");
	print_duration(buf, sizeof(buf), 90061);
	ck_assert_str_eq(buf, "1d01h");
	print_date(buf, sizeof(buf), 1795891200.5);
	ck_assert_str_eq(buf, "2026-11-28 18:40:00");
	/* Values no clock holds (the fuzzer's 1.8e19) print as no date. */
	print_date(buf, sizeof(buf), 1.8446744073709552e19);
	ck_assert_str_eq(buf, "-");
	print_date(buf, sizeof(buf), -1);
	ck_assert_str_eq(buf, "-");
	print_date(buf, sizeof(buf), NAN);
	ck_assert_str_eq(buf, "-");
	print_duration(buf, sizeof(buf), 1e300);
	ck_assert_str_eq(buf, "36500d00h");
	print_duration(buf, sizeof(buf), NAN);
	ck_assert_str_eq(buf, "0s");
}
END_TEST

static Suite *
print_suite(void)
{
	Suite *s = suite_create("print");
	TCase *utf8 = tcase_create("utf8");
	TCase *ascii = tcase_create("ascii");

	tcase_add_checked_fixture(utf8, setup_utf8, teardown);
	tcase_add_test(utf8,
	    test_escape_shows_controls_and_sequences_as_escapes);
	tcase_add_test(utf8, test_escape_shows_each_byte_that_is_not_utf8);
	tcase_add_test(utf8,
	    test_escape_keeps_printable_utf8_and_counts_its_columns);
	tcase_add_test(utf8, test_escape_shows_bidi_overrides_and_nul);
	tcase_add_test(utf8, test_escape_quotes_only_when_asked);
	tcase_add_test(utf8,
	    test_list_from_a_hostile_peer_is_escaped_and_aligned);
	tcase_add_test(utf8,
	    test_services_escape_the_check_output_of_another_user);
	tcase_add_test(utf8,
	    test_status_types_and_resolve_escape_what_the_agent_says);
	tcase_add_test(utf8, test_events_and_errors_are_escaped);
	tcase_add_test(utf8, test_status_shows_every_counter_group);
	tcase_add_test(utf8, test_list_long_every_type_no_header_and_color);
	tcase_add_test(utf8,
	    test_addr_prefers_a_routable_address_and_refuses_junk);
	tcase_add_test(utf8, test_registration_events_in_words);
	suite_add_tcase(s, utf8);
	tcase_add_checked_fixture(ascii, setup_ascii, teardown);
	tcase_add_test(ascii,
	    test_escape_outside_utf8_locale_shows_non_ascii_as_code_points);
	suite_add_tcase(s, ascii);
	return (s);
}

CHECK_MAIN(print_suite)
