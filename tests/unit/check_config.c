/* discod.conf parsing, from in-memory files. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

static struct config	    conf;
static struct config_errors errors;

static int
parse(const char *text)
{
	FILE *f;
	int   n;

	config_defaults(&conf);
	TAILQ_INIT(&errors);
	f = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
	ck_assert_ptr_nonnull(f);
	n = config_parse(f, "test.conf", &conf, &errors);
	fclose(f);
	return (n);
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
	config_clear(&conf);
}

START_TEST(test_config_empty_file_gives_defaults)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_str_eq(conf.socket_path, DISCO_SOCKET_PATH);
	ck_assert_uint_eq(conf.socket_mode, 0660);
	ck_assert_uint_eq(conf.max_clients, 1024);
	/* configure's --with-disco-group, "disco" unless told otherwise */
	if (DISCO_SOCKET_GROUP[0] != '\0')
		ck_assert_str_eq(conf.socket_group, DISCO_SOCKET_GROUP);
	else
		ck_assert_ptr_null(conf.socket_group);
}
END_TEST

START_TEST(test_config_reads_every_key)
{
	ck_assert_int_eq(parse("# comment\n[control]\n"
			       "socket = /tmp/x.sock\nsocket-group = disco\n"
			       "socket-mode = 0600\nmax-clients = 10\n"
			       "client-output-max = 2M ; inline comment\n"
			       "[avahi]\nretry-max = 5\n"),
	    0);
	ck_assert_str_eq(conf.socket_path, "/tmp/x.sock");
	ck_assert_str_eq(conf.socket_group, "disco");
	ck_assert_uint_eq(conf.socket_mode, 0600);
	ck_assert_uint_eq(conf.max_clients, 10);
	ck_assert_uint_eq(conf.client_output_max, 2 * 1024 * 1024);
	ck_assert_uint_eq(conf.avahi_retry_max, 5);
}
END_TEST

/* Issue 15, findings 6 and 9: the limits on clients and their checks. */
START_TEST(test_config_client_limits)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_uint_eq(conf.max_clients_per_uid, 64);
	ck_assert_uint_eq(conf.check_interval_min_ms, 1000);
	ck_assert_uint_eq(conf.check_timeout_max_ms, 60000);
	ck_assert_uint_eq(conf.checks_running_max, 32);
	ck_assert_str_eq(conf.check_targets, "loopback");
	ck_assert_uint_eq(conf.browse_types_max, 256);
	ck_assert_uint_eq(conf.browse_subtypes_max, 64);
	ck_assert_uint_eq(conf.browse_subtypes_per_uid, 8);
	teardown();
	ck_assert_int_eq(parse("[browse]\ntypes-max = 10\nsubtypes-max = 0\n"
			       "subtypes-per-uid = 0\n"),
	    0);
	ck_assert_uint_eq(conf.browse_types_max, 10);
	ck_assert_uint_eq(conf.browse_subtypes_max, 0);
	ck_assert_uint_eq(conf.browse_subtypes_per_uid, 0);
	teardown();
	ck_assert_int_eq(parse("[browse]\ntypes-max = 0\n"), 1);
	teardown();
	ck_assert_int_eq(parse("[control]\nmax-clients-per-uid = 3\n"
			       "[health]\nclient-interval-min-ms = 5\n"
			       "client-timeout-max-ms = 500\n"
			       "client-running-max = 2\n"
			       "[access]\nregister = root\n"
			       "check-targets = none\n"),
	    0);
	ck_assert_uint_eq(conf.max_clients_per_uid, 3);
	ck_assert_uint_eq(conf.check_interval_min_ms, 5);
	ck_assert_uint_eq(conf.check_timeout_max_ms, 500);
	ck_assert_uint_eq(conf.checks_running_max, 2);
	ck_assert_str_eq(conf.check_targets, "none");
	teardown();
	ck_assert_int_eq(parse("[access]\ncheck-targets = everywhere\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: [access] check-targets: \"everywhere\" is not "
	    "loopback, any or none");
	ck_assert_str_eq(conf.check_targets, "loopback");
	teardown();
	ck_assert_int_eq(parse("[access]\nservices-visible = some\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: [access] services-visible: \"some\" is not own or all");
	ck_assert_str_eq(conf.services_visible, "own");
	teardown();
	ck_assert_int_eq(parse("[access]\nnonsense = 1\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: [access] nonsense: unknown key");
	teardown();
	ck_assert_int_eq(parse("[health]\nclient-running-max = 0\n"), 1);
}
END_TEST

START_TEST(test_config_unknown_key_names_file_line_and_key)
{
	ck_assert_int_eq(parse("[control]\n\nsokcet = /x\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:3: [control] sokcet: "
	    "unknown key");
}
END_TEST

START_TEST(test_config_unknown_section_is_an_error)
{
	ck_assert_int_eq(parse("[contrl]\nsocket = /x\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: [contrl]: unknown "
	    "section");
}
END_TEST

START_TEST(test_config_key_outside_section_is_an_error)
{
	ck_assert_int_eq(parse("socket = /x\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:1: socket: key outside "
	    "any section");
}
END_TEST

START_TEST(test_config_bad_values_keep_defaults)
{
	ck_assert_int_eq(parse("[control]\nmax-clients = lots\n"
			       "socket = relative.sock\nsocket-mode = 0999\n"
			       "client-output-max = 1\n"),
	    4);
	ck_assert_uint_eq(conf.max_clients, 1024);
	ck_assert_str_eq(conf.socket_path, DISCO_SOCKET_PATH);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: [control] max-clients: "
	    "\"lots\" is not a number");
}
END_TEST

START_TEST(test_config_out_of_range_number_is_an_error)
{
	ck_assert_int_eq(parse("[control]\nmax-clients = 0\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: [control] max-clients: "
	    "0 is outside 1..1000000");
	teardown();
	ck_assert_int_eq(parse("[control]\nmax-clients = "
			       "99999999999999999999999\n"),
	    1);
}
END_TEST

START_TEST(test_config_mode_without_owner_rw_is_refused)
{
	ck_assert_int_eq(parse("[control]\nsocket-mode = 0066\n"), 1);
	ck_assert_uint_eq(conf.socket_mode, 0660);
}
END_TEST

START_TEST(test_config_key_set_twice_is_an_error)
{
	ck_assert_int_eq(parse("[control]\nmax-clients = 5\n"
			       "max-clients = 6\n"),
	    1);
	ck_assert_str_eq(first_error(),
	    "test.conf:3: [control] max-clients: "
	    "set twice (first on line 2)");
}
END_TEST

START_TEST(test_config_syntax_error_names_the_line)
{
	ck_assert_int_eq(parse("[control]\nmax-clients 5\n"), 1);
	ck_assert_str_eq(first_error(),
	    "test.conf:2: syntax error: expected "
	    "\"[section]\" or \"key = value\"");
}
END_TEST

START_TEST(test_config_long_line_is_refused_not_split)
{
	char text[600];
	int  n;

	n = snprintf(text, sizeof(text), "[control]\nsocket = /");
	memset(text + n, 'a', 400);
	strcpy(text + n + 400, "\nmax-clients = 3\n");
	ck_assert_int_eq(parse(text), 1);
	ck_assert_ptr_nonnull(strstr(first_error(),
	    "test.conf:2: line "
	    "longer than"));
	/* The line after it is still read, with the right number. */
	ck_assert_uint_eq(conf.max_clients, 3);
}
END_TEST

START_TEST(test_config_every_error_is_reported_in_one_pass)
{
	struct config_error *e;
	int		     n = 0;

	ck_assert_int_eq(parse("[control]\na = 1\nb = 2\n[x]\nc = 3\n"), 3);
	TAILQ_FOREACH(e, &errors, entry)
		n++;
	ck_assert_int_eq(n, 3);
}
END_TEST

/* [wide-area]: off by default; every key read; its defaults. */
START_TEST(test_config_wide_area_keys)
{
	ck_assert_int_eq(parse(""), 0);
	ck_assert_ptr_null(conf.wa_endpoints);
	ck_assert_str_eq(conf.wa_prefix, "/disco/");
	ck_assert_str_eq(conf.wa_domain, "site");
	ck_assert_uint_eq(conf.wa_lease_ttl, 5);
	ck_assert_uint_eq(conf.wa_timeout_ms, 2000);
	ck_assert_uint_eq(conf.wa_read_page, 1000);
	teardown();
	ck_assert_int_eq(parse("[wide-area]\n"
			       "endpoints = http://192.0.2.1:2379, "
			       "https://etcd.example:2379\n"
			       "prefix = /sd/\ndomain = Corp.Example\n"
			       "host = web-1.dc2\nlease-ttl = 10\n"
			       "timeout-ms = 500\nread-page = 50\n"
			       "ca = /etc/ca.pem\n"
			       "cert = /etc/c.pem\nkey = /etc/k.pem\n"
			       "user = disco-web1\npassword-file = /etc/pw\n"
			       "publish = _http._tcp _ssh._tcp\n"
			       "import = _http._tcp\n"
			       "addresses = 192.0.2.10 2001:db8::10\n"),
	    0);
	ck_assert_str_eq(conf.wa_endpoints,
	    "http://192.0.2.1:2379, https://etcd.example:2379");
	ck_assert_str_eq(conf.wa_prefix, "/sd/");
	ck_assert_str_eq(conf.wa_domain, "corp.example");
	ck_assert_str_eq(conf.wa_host, "web-1.dc2");
	ck_assert_uint_eq(conf.wa_lease_ttl, 10);
	ck_assert_uint_eq(conf.wa_timeout_ms, 500);
	ck_assert_uint_eq(conf.wa_read_page, 50);
	ck_assert_str_eq(conf.wa_key, "/etc/k.pem");
	ck_assert_str_eq(conf.wa_user, "disco-web1");
	ck_assert_str_eq(conf.wa_publish, "_http._tcp _ssh._tcp");
	ck_assert_str_eq(conf.wa_addresses, "192.0.2.10 2001:db8::10");
}
END_TEST

/* Each bad [wide-area] value: its line, its key, why. */
START_TEST(test_config_wide_area_bad_values)
{
	static const struct {
		const char *text, *error;
	} cases[] = {
		{ "endpoints = etcd:2379",
		    "\"etcd:2379\" is not http://HOST:PORT or https://HOST:PORT" },
		{ "endpoints = http://192.0.2.1:2379/v3",
		    "is not http://HOST:PORT" },
		{ "endpoints = http://user@192.0.2.1:2379",
		    "is not http://HOST:PORT" },
		{ "endpoints = ,", "endpoints: is empty" },
		{ "prefix = /disco", "must end with '/'" },
		{ "host = a/b", "may hold only letters" },
		{ "host = ..", "may not be" },
		{ "domain = local", "is mDNS's own domain" },
		{ "lease-ttl = 1", "outside 2..3600" },
		{ "timeout-ms = 99", "outside 100..60000" },
		{ "read-page = 0", "outside 1..10000" },
		{ "read-page = 10001", "outside 1..10000" },
		{ "addresses = 127.0.0.1", "is not an address other hosts" },
		{ "addresses = fe80::1", "is not an address other hosts" },
		{ "addresses = example.com", "is not a numeric IPv4 or IPv6" },
		{ "publish = http", "publish:" },
		{ "ca = relative.pem", "is not an absolute path" },
		{ "user = disco", "[wide-area] user: needs password-file too" },
		{ "key = /k.pem", "[wide-area] key: needs cert too" },
	};
	char   text[256];
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		snprintf(text, sizeof(text), "[wide-area]\n%s\n",
		    cases[k].text);
		ck_assert_msg(parse(text) == 1, "%s: not one error",
		    cases[k].text);
		ck_assert_msg(strstr(first_error(), "test.conf:2: ") ==
			first_error(),
		    "%s: %s", cases[k].text, first_error());
		ck_assert_msg(strstr(first_error(), cases[k].error) != NULL,
		    "%s: %s", cases[k].text, first_error());
		teardown();
	}
}
END_TEST

START_TEST(test_access_root_may_always_register)
{
	struct access_creds cr = { 0, 0, NULL, 0 };
	char		    why[160];

	ck_assert_int_eq(parse("[access]\nregister = 1000\n"
			       "restrict-type = _ssh._tcp 1000\n"),
	    0);
	ck_assert_int_eq(access_may_register(&conf, &cr, "_ssh._tcp", why,
			     sizeof(why)),
	    1);
}
END_TEST

START_TEST(test_access_register_names_users_and_groups)
{
	gid_t		    groups[] = { 50, 4242 };
	struct access_creds listed = { 1000, 1000, NULL, 0 };
	struct access_creds by_group = { 2000, 2000, groups, 2 };
	struct access_creds by_primary = { 3000, 4242, NULL, 0 };
	struct access_creds other = { 3001, 3001, groups, 1 };
	char		    why[160];

	ck_assert_int_eq(parse("[access]\nregister = 1000 @4242\n"), 0);
	ck_assert_int_eq(access_may_register(&conf, &listed, "_a._tcp", why,
			     sizeof(why)),
	    1);
	ck_assert_int_eq(access_may_register(&conf, &by_group, "_a._tcp", why,
			     sizeof(why)),
	    1);
	ck_assert_int_eq(access_may_register(&conf, &by_primary, "_a._tcp", why,
			     sizeof(why)),
	    1);
	ck_assert_int_eq(access_may_register(&conf, &other, "_a._tcp", why,
			     sizeof(why)),
	    0);
	ck_assert_str_eq(why,
	    "uid 3001 may not register services "
	    "([access] register)");
}
END_TEST

START_TEST(test_access_restricted_type_compares_without_case)
{
	struct access_creds user = { 1000, 1000, NULL, 0 };
	struct access_creds admin = { 1001, 1001, NULL, 0 };
	char		    why[160];

	ck_assert_int_eq(parse("[access]\nrestrict-type = _ssh._tcp 1001\n"),
	    0);
	ck_assert_int_eq(access_may_register(&conf, &user, "_SSH._tcp", why,
			     sizeof(why)),
	    0);
	ck_assert_ptr_nonnull(strstr(why, "restrict-type"));
	ck_assert_int_eq(access_may_register(&conf, &admin, "_ssh._tcp", why,
			     sizeof(why)),
	    1);
	ck_assert_int_eq(access_may_register(&conf, &user, "_http._tcp", why,
			     sizeof(why)),
	    1);
}
END_TEST

START_TEST(test_access_unknown_user_is_an_error_with_its_line)
{
	ck_assert_int_eq(parse("[access]\n\nregister = no-such-user-at-all\n"),
	    1);
	ck_assert_str_eq(first_error(),
	    "test.conf:3: [access] register: "
	    "no user \"no-such-user-at-all\"");
	ck_assert_uint_eq(conf.access_register.nwho, 0);
}
END_TEST

/*
 * Ids past 0xfffffffe are not numbers but names no user has: where long
 * is 32 bits, the old parser wrapped them to small ids ("4294967296" to
 * root, "4294967299" to uid 3).
 */
START_TEST(test_access_id_past_32_bits_is_refused_not_wrapped)
{
	static const char *const too_big[] = { "4294967295", "4294967296",
		"4294967299", "99999999999", "42949672950",
		"18446744073709551616" };
	char			 text[128], want[128];
	size_t			 k;

	for (k = 0; k < sizeof(too_big) / sizeof(too_big[0]); k++) {
		snprintf(text, sizeof(text), "[access]\nregister = %s\n",
		    too_big[k]);
		ck_assert_int_eq(parse(text), 1);
		snprintf(want, sizeof(want),
		    "test.conf:2: [access] register: no user \"%s\"",
		    too_big[k]);
		ck_assert_str_eq(first_error(), want);
		ck_assert_uint_eq(conf.access_register.nwho, 0);
		teardown();
		snprintf(text, sizeof(text), "[access]\nregister = @%s\n",
		    too_big[k]);
		ck_assert_int_eq(parse(text), 1);
		snprintf(want, sizeof(want),
		    "test.conf:2: [access] register: no group \"%s\"",
		    too_big[k]);
		ck_assert_str_eq(first_error(), want);
		teardown();
	}
}
END_TEST

START_TEST(test_access_id_up_to_4294967294_is_a_number)
{
	ck_assert_int_eq(parse("[access]\nregister = 4294967294 429496730 "
			       "@429496729 0\n"),
	    0);
	ck_assert_uint_eq(conf.access_register.nwho, 4);
	ck_assert_uint_eq(conf.access_register.who[0].id, 4294967294U);
	ck_assert_uint_eq(conf.access_register.who[1].id, 429496730U);
	ck_assert_int_eq(conf.access_register.who[2].group, 1);
	ck_assert_uint_eq(conf.access_register.who[2].id, 429496729U);
	ck_assert_uint_eq(conf.access_register.who[3].id, 0);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_config_empty_file_gives_defaults);
	tcase_add_test(tc, test_config_reads_every_key);
	tcase_add_test(tc, test_config_client_limits);
	tcase_add_test(tc, test_config_unknown_key_names_file_line_and_key);
	tcase_add_test(tc, test_config_unknown_section_is_an_error);
	tcase_add_test(tc, test_config_key_outside_section_is_an_error);
	tcase_add_test(tc, test_config_bad_values_keep_defaults);
	tcase_add_test(tc, test_config_out_of_range_number_is_an_error);
	tcase_add_test(tc, test_config_mode_without_owner_rw_is_refused);
	tcase_add_test(tc, test_config_key_set_twice_is_an_error);
	tcase_add_test(tc, test_config_syntax_error_names_the_line);
	tcase_add_test(tc, test_config_long_line_is_refused_not_split);
	tcase_add_test(tc, test_config_every_error_is_reported_in_one_pass);
	tcase_add_test(tc, test_config_wide_area_keys);
	tcase_add_test(tc, test_config_wide_area_bad_values);
	tcase_add_test(tc, test_access_root_may_always_register);
	tcase_add_test(tc, test_access_register_names_users_and_groups);
	tcase_add_test(tc, test_access_restricted_type_compares_without_case);
	tcase_add_test(tc, test_access_unknown_user_is_an_error_with_its_line);
	tcase_add_test(tc, test_access_id_past_32_bits_is_refused_not_wrapped);
	tcase_add_test(tc, test_access_id_up_to_4294967294_is_a_number);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(config_suite)
