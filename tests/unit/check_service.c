/* Service descriptions: validation (RFC 6763) and the .dnssd parser. */
#include "config.h"

#include <sys/utsname.h>

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

static struct config_errors errors;

static struct service_def *
parse(const char *text, int *nerr)
{
	struct service_def *def;
	FILE		   *f;

	TAILQ_INIT(&errors);
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	ck_assert_ptr_nonnull(f);
	*nerr = service_file_parse(f, "t.dnssd", &def, &errors);
	fclose(f);
	return (def);
}

static const char *
first_error(void)
{
	return (TAILQ_EMPTY(&errors) ? "" : TAILQ_FIRST(&errors)->text);
}

static void
teardown(void)
{
	config_errors_clear(&errors);
}

static int
txt_is(const struct txt *txt, size_t i, const char *s, size_t len)
{
	return (i < txt->n && txt->v[i].len == len &&
	    memcmp(txt->v[i].data, s, len) == 0);
}

START_TEST(test_service_parses_a_resolved_style_file)
{
	struct service_def *def;
	int		    n;

	def = parse("# comment\n; comment\n[Service]\n"
		    "Name=%H's printer\nType=_ipp._tcp\nSubType=_universal\n"
		    "SubType=_color\nPort=631\nPriority=10\nWeight=5\n"
		    "TxtText=txtvers=1 \"ty=Office Printer\" note=a\\sb flag\n"
		    "TxtText=rp=x\nTxtData=pdl=AAEC\n",
	    &n);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_nonnull(def);
	ck_assert_str_eq(def->name, "%H's printer");
	ck_assert_str_eq(def->type, "_ipp._tcp");
	ck_assert_uint_eq(def->nsubtypes, 2);
	ck_assert_str_eq(def->subtypes[1], "_color");
	ck_assert_uint_eq(def->port, 631);
	ck_assert_uint_eq(def->priority, 10);
	ck_assert_uint_eq(def->weight, 5);
	ck_assert_uint_eq(def->txt.n, 6);
	ck_assert(txt_is(&def->txt, 0, "txtvers=1", 9));
	ck_assert(txt_is(&def->txt, 1, "ty=Office Printer", 17));
	ck_assert(txt_is(&def->txt, 2, "note=a b", 8));
	ck_assert(txt_is(&def->txt, 3, "flag", 4));
	ck_assert(txt_is(&def->txt, 4, "rp=x", 4));
	ck_assert(txt_is(&def->txt, 5, "pdl=\0\1\2", 7));
	service_def_free(def);
}
END_TEST

START_TEST(test_service_empty_assignment_resets_lists)
{
	struct service_def *def;
	int		    n;

	def = parse(
	    "[Service]\nName=x\nType=_a._tcp\nPort=1\n"
	    "TxtText=a=1 b=2\nTxtText=\nTxtText=c=3\nSubType=_s\nSubType=\n",
	    &n);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(def->txt.n, 1);
	ck_assert(txt_is(&def->txt, 0, "c=3", 3));
	ck_assert_uint_eq(def->nsubtypes, 0);
	service_def_free(def);
}
END_TEST

START_TEST(test_service_continuation_lines_join_and_keep_numbers)
{
	struct service_def *def;
	int		    n;

	def = parse("[Service]\nName=Long \\\n Name\nType=_a._tcp\n"
		    "Port=99999\n",
	    &n);
	ck_assert_int_eq(n, 1);
	ck_assert_ptr_null(def);
	ck_assert_str_eq(first_error(),
	    "t.dnssd:5: [Service] Port=: "
	    "\"99999\" is not a number from 1 to 65535");
}
END_TEST

START_TEST(test_service_inline_semicolon_is_data_not_comment)
{
	struct service_def *def;
	int		    n;

	def = parse("[Service]\nName=a ; b\nType=_a._tcp\nPort=1\n", &n);
	ck_assert_int_eq(n, 0);
	ck_assert_str_eq(def->name, "a ; b");
	service_def_free(def);
}
END_TEST

START_TEST(test_service_check_section_is_kept_with_lines)
{
	struct service_def *def;
	int		    n;

	def = parse("[Service]\nName=x\nType=_a._tcp\nPort=1\n[Check]\n"
		    "Type=tcp\nInterval=5\n[X-Vendor]\nAnything=goes\n",
	    &n);
	ck_assert_int_eq(n, 0);
	ck_assert_uint_eq(def->ncheck, 2);
	ck_assert_str_eq(def->check[1].key, "Interval");
	ck_assert_str_eq(def->check[1].value, "5");
	ck_assert_int_eq(def->check[1].line, 7);
	service_def_free(def);
}
END_TEST

START_TEST(test_service_check_spec_from_the_section)
{
	struct service_def *def;
	int		    n;

	def = parse("[Service]\nName=x\nType=_a._tcp\nPort=8080\n[Check]\n"
		    "Type=exec\nCommand=/bin/test -e \"/run/my file\"\n"
		    "Interval=500ms\nTimeout=0.2s\nFall=5\n",
	    &n);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_nonnull(def->spec);
	ck_assert_int_eq(def->spec->type, CHECK_EXEC);
	ck_assert_str_eq(def->spec->argv[2], "/run/my file");
	ck_assert_ptr_null(def->spec->argv[3]);
	ck_assert_uint_eq(def->spec->interval_ms, 500);
	ck_assert_uint_eq(def->spec->timeout_ms, 200);
	ck_assert_uint_eq(def->spec->rise, 2); /* default */
	ck_assert_uint_eq(def->spec->fall, 5);
	ck_assert_str_eq(def->spec->host, "127.0.0.1");
	service_def_free(def);
	teardown();
	ck_assert_ptr_null(parse("[Service]\nName=x\nType=_a._tcp\nPort=1\n"
				 "[Check]\nType=tcp\nInterval=1s\nTimeout=2s\n",
	    &n));
	ck_assert_str_eq(first_error(),
	    "t.dnssd: [Check] Timeout= is longer "
	    "than Interval=");
}
END_TEST

START_TEST(test_check_fields_have_a_file_and_a_wire_spelling)
{
	const struct check_field *f = check_field_find("StartPeriod", 0);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(check_field_find("start_period", 1), f);
	ck_assert_ptr_null(check_field_find("start_period", 0));
	ck_assert_ptr_null(check_field_find("StartPeriod", 1));
	ck_assert_ptr_null(check_field_find("Bogus", 0));
}
END_TEST

START_TEST(test_check_spec_set_takes_text_and_says_what_is_wrong)
{
	struct check_spec *c = check_spec_new();
	char		   why[160];
	char		 **argv;
	size_t		   k;

	ck_assert_int_eq(check_spec_set(c, check_field_find("rise", 1), "3",
			     why, sizeof(why)),
	    0);
	ck_assert_uint_eq(c->rise, 3);
	ck_assert_int_eq(check_spec_set(c, check_field_find("Rise", 0), "0",
			     why, sizeof(why)),
	    -1);
	ck_assert_str_eq(why, "\"0\" is not a number from 1 to 100");
	ck_assert_uint_eq(c->rise, 3); /* a bad value changes nothing */
	ck_assert_int_eq(check_spec_set(c, check_field_find("port", 1), "-1",
			     why, sizeof(why)),
	    -1);
	ck_assert_int_eq(check_spec_set(c, check_field_find("host", 1),
			     "localhost", why, sizeof(why)),
	    -1);
	ck_assert_str_eq(why, "\"localhost\" is not an IPv4 or IPv6 address");
	ck_assert_int_eq(check_spec_set(c, check_field_find("interval", 1),
			     "1.5s", why, sizeof(why)),
	    0);
	ck_assert_uint_eq(c->interval_ms, 1500);
	/* Words are taken over whatever the outcome: 65 are too many. */
	argv = xcalloc(66, sizeof(*argv));
	for (k = 0; k < 65; k++)
		argv[k] = xstrdup("w");
	ck_assert_int_eq(check_spec_set_argv(c, argv, 65, why, sizeof(why)),
	    -1);
	ck_assert_ptr_null(c->argv);
	ck_assert_ptr_nonnull(check_spec_finish(c, 1));
	ck_assert_str_eq(check_spec_finish(c, 1), "type is missing");
	ck_assert_str_eq(check_spec_finish(c, 0), "Type= is missing");
	check_spec_free(c);
}
END_TEST

/*
 * Issue 15, finding 2: libevent without a DNS base resolves a URL's host
 * with a blocking getaddrinfo() in discod's loop.  A URL's host is a
 * numeric address or localhost; anything else is refused when the check
 * is read, and its request target is never cut.
 */
START_TEST(test_check_url_host_must_be_numeric)
{
	struct check_spec	 *c = check_spec_new();
	const struct check_field *url = check_field_find("url", 1);
	char			  why[160], host[64], *big;

	ck_assert_int_eq(check_spec_set(c, url, "http://example.com/health",
			     why, sizeof(why)),
	    -1);
	ck_assert_str_eq(why,
	    "host \"example.com\" is not an IPv4 or IPv6 address or "
	    "localhost (no name lookups)");
	ck_assert_ptr_null(c->url);
	ck_assert_int_eq(check_spec_set(c, url, "http://10.0.0.1.nip.io:80/",
			     why, sizeof(why)),
	    -1);
	ck_assert_int_eq(check_spec_set(c, url, "http://a@127.0.0.1/", why,
			     sizeof(why)),
	    -1);
	ck_assert_int_eq(check_spec_set(c, url, "http://[::1/", why,
			     sizeof(why)),
	    -1);
	ck_assert_int_eq(check_spec_set(c, url, "http://:80/", why,
			     sizeof(why)),
	    -1);
	ck_assert_int_eq(check_spec_set(c, url, "http://localhost:8080/x?y",
			     why, sizeof(why)),
	    0);
	ck_assert_int_eq(check_spec_set(c, url, "http://[::1]:8080/", why,
			     sizeof(why)),
	    0);
	ck_assert_int_eq(check_spec_set(c, url, "http://192.0.2.1", why,
			     sizeof(why)),
	    0);
	ck_assert_int_eq(check_url_host("http://localhost/", host, sizeof(host),
			     why, sizeof(why)),
	    0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(check_url_host("http://[fe80::1]:1/", host,
			     sizeof(host), why, sizeof(why)),
	    0);
	ck_assert_str_eq(host, "fe80::1");
	/* Longer than 1 KiB: refused, not cut. */
	big = xmalloc(1100);
	memset(big, 'a', 1099);
	memcpy(big, "http://127.0.0.1/", 17);
	big[1099] = '\0';
	ck_assert_int_eq(check_spec_set(c, url, big, why, sizeof(why)), -1);
	ck_assert_str_eq(why, "is longer than 1024 bytes");
	free(big);
	check_spec_free(c);
}
END_TEST

/* Issue 15, finding 9: which targets count as loopback for users. */
START_TEST(test_check_loopback_targets)
{
	ck_assert(check_host_loopback("127.0.0.1"));
	ck_assert(check_host_loopback("127.255.0.9"));
	ck_assert(check_host_loopback("::1"));
	ck_assert(check_host_loopback("::ffff:127.0.0.1"));
	ck_assert(!check_host_loopback("128.0.0.1"));
	ck_assert(!check_host_loopback("198.51.100.1"));
	ck_assert(!check_host_loopback("::ffff:10.0.0.1"));
	ck_assert(!check_host_loopback("::2"));
	ck_assert(!check_host_loopback("0.0.0.0"));
	ck_assert(!check_host_loopback("localhost")); /* not numeric */
}
END_TEST

START_TEST(test_service_missing_keys_are_named)
{
	int n;

	ck_assert_ptr_null(parse("[Service]\nName=x\n", &n));
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(first_error(), "t.dnssd: [Service] Type= is missing");
}
END_TEST

START_TEST(test_service_nul_byte_is_refused)
{
	struct service_def *def;
	FILE		   *f;
	const char	    text[] = "[Service]\nName=a\0b\nType=_a._tcp\n"
				     "Port=1\n";
	int		    n;

	TAILQ_INIT(&errors);
	f = fmemopen((void *)(uintptr_t)text, sizeof(text) - 1, "r");
	n = service_file_parse(f, "t.dnssd", &def, &errors);
	fclose(f);
	ck_assert_int_eq(n, 2); /* the bad line, and so Name= is missing */
	ck_assert_ptr_nonnull(strstr(first_error(), "t.dnssd:2: line longer"));
}
END_TEST

START_TEST(test_service_name_rules)
{
	char name[80];

	ck_assert_ptr_null(service_name_invalid("Printer. With dots"));
	ck_assert_ptr_null(service_name_invalid("caf\xc3\xa9 \xe2\x98\x95"));
	memset(name, 'x', 63);
	name[63] = '\0';
	ck_assert_ptr_null(service_name_invalid(name));
	name[63] = 'x';
	name[64] = '\0';
	ck_assert_ptr_nonnull(service_name_invalid(name));
	ck_assert_ptr_nonnull(service_name_invalid(""));
	ck_assert_ptr_nonnull(service_name_invalid("tab\there"));
	ck_assert_ptr_nonnull(service_name_invalid("bad \xc3"));
	/* Valid UTF-8, but noncharacters Avahi will not unescape. */
	ck_assert_ptr_nonnull(service_name_invalid("web \xef\xbf\xbe"));
	ck_assert_ptr_nonnull(service_name_invalid("\xef\xb7\x90 web"));
	ck_assert_ptr_null(service_name_invalid("web \xef\xbf\xbd"));
}
END_TEST

START_TEST(test_service_type_rules)
{
	ck_assert_ptr_null(service_type_invalid("_http._tcp"));
	ck_assert_ptr_null(service_type_invalid("_x-y2._udp"));
	ck_assert_ptr_nonnull(service_type_invalid("http._tcp"));
	ck_assert_ptr_nonnull(service_type_invalid("_http._sctp"));
	ck_assert_ptr_nonnull(service_type_invalid("_http"));
	ck_assert_ptr_nonnull(service_type_invalid("_123._tcp"));
	ck_assert_ptr_nonnull(service_type_invalid("_-ab._tcp"));
	ck_assert_ptr_nonnull(service_type_invalid("_a--b._tcp"));
	ck_assert_ptr_nonnull(service_type_invalid("_abcdefghijklmnop._tcp"));
	ck_assert_ptr_nonnull(service_type_invalid("_a.b._tcp"));
}
END_TEST

START_TEST(test_txt_rules)
{
	struct txt    txt = { 0 };
	const char   *why;
	unsigned char big[300];

	ck_assert_int_eq(txt_add(&txt, (const unsigned char *)"a=1", 3, &why),
	    0);
	ck_assert_int_eq(txt_add(&txt, (const unsigned char *)"flag", 4, &why),
	    0);
	ck_assert_int_eq(txt_add(&txt, (const unsigned char *)"A=2", 3, &why),
	    -1);
	ck_assert_str_eq(why, "TXT key appears twice (RFC 6763 6.4)");
	ck_assert_int_eq(txt_add(&txt, (const unsigned char *)"=v", 2, &why),
	    -1);
	ck_assert_int_eq(txt_add(&txt, (const unsigned char *)"k\x01=v", 4,
			     &why),
	    -1);
	memset(big, 'v', sizeof(big));
	memcpy(big, "b=", 2);
	ck_assert_int_eq(txt_add(&txt, big, 255, &why), 0);
	ck_assert_int_eq(txt_add(&txt, (const unsigned char *)"c=", 2, &why),
	    0);
	memcpy(big, "d=", 2);
	ck_assert_int_eq(txt_add(&txt, big, 256, &why), -1);
	ck_assert_uint_eq(txt.n, 4);
	ck_assert_uint_eq(txt.total, 4 + 5 + 256 + 3);
	txt_clear(&txt);
}
END_TEST

START_TEST(test_service_name_expansion)
{
	char out[64];

	ck_assert_int_eq(service_name_expand("Web on %H", "lab-a.local", out,
			     sizeof(out)),
	    0);
	ck_assert_str_eq(out, "Web on lab-a");
	ck_assert_int_eq(service_name_expand("100%%", NULL, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "100%");
	ck_assert_int_eq(service_name_expand("%H%H%H%H", "0123456789abcdef",
			     out, 40),
	    -1);
	ck_assert_ptr_nonnull(service_name_template_invalid("%q"));
	ck_assert_ptr_nonnull(service_name_template_invalid("end %"));
	ck_assert_ptr_null(service_name_template_invalid("%H %m %v %%"));
}
END_TEST

/* %v is the kernel release, %m the machine ID (empty without one). */
START_TEST(test_service_name_kernel_release_and_machine_id)
{
	struct utsname u;
	char	       out[300], want[300], id[128] = "";
	FILE	      *f;

	ck_assert_int_eq(uname(&u), 0);
	ck_assert_int_eq(service_name_expand("k %v.", NULL, out, sizeof(out)),
	    0);
	snprintf(want, sizeof(want), "k %s.", u.release);
	ck_assert_str_eq(out, want);
	if ((f = fopen("/etc/machine-id", "r")) != NULL) {
		if (fgets(id, sizeof(id), f) == NULL)
			id[0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		fclose(f);
	}
	ck_assert_int_eq(service_name_expand("m %m.", NULL, out, sizeof(out)),
	    0);
	snprintf(want, sizeof(want), "m %s.", id);
	ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(test_service_same_but_txt_spots_txt_only_changes)
{
	struct service_def *a, *b;
	int		    n;

	a = parse("[Service]\nName=x\nType=_a._tcp\nPort=1\nTxtText=k=1\n", &n);
	teardown();
	b = parse("[Service]\nName=x\nType=_a._tcp\nPort=1\nTxtText=k=2\n", &n);
	ck_assert(service_def_same_but_txt(a, b));
	ck_assert(!txt_equal(&a->txt, &b->txt));
	b->port = 2;
	ck_assert(!service_def_same_but_txt(a, b));
	service_def_free(a);
	service_def_free(b);
}
END_TEST

static Suite *
service_suite(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("service");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_service_parses_a_resolved_style_file);
	tcase_add_test(tc, test_service_empty_assignment_resets_lists);
	tcase_add_test(tc,
	    test_service_continuation_lines_join_and_keep_numbers);
	tcase_add_test(tc, test_service_inline_semicolon_is_data_not_comment);
	tcase_add_test(tc, test_service_check_section_is_kept_with_lines);
	tcase_add_test(tc, test_service_check_spec_from_the_section);
	tcase_add_test(tc, test_check_fields_have_a_file_and_a_wire_spelling);
	tcase_add_test(tc,
	    test_check_spec_set_takes_text_and_says_what_is_wrong);
	tcase_add_test(tc, test_check_url_host_must_be_numeric);
	tcase_add_test(tc, test_check_loopback_targets);
	tcase_add_test(tc, test_service_missing_keys_are_named);
	tcase_add_test(tc, test_service_nul_byte_is_refused);
	tcase_add_test(tc, test_service_name_rules);
	tcase_add_test(tc, test_service_type_rules);
	tcase_add_test(tc, test_txt_rules);
	tcase_add_test(tc, test_service_name_expansion);
	tcase_add_test(tc, test_service_name_kernel_release_and_machine_id);
	tcase_add_test(tc, test_service_same_but_txt_spots_txt_only_changes);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(service_suite)
