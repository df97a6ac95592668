/*
 * register through discod's control path (issue 25): what discod.conf's
 * [announce] limits do to it, and the request's forms that only the lab
 * saw before: TXT as an object, subtypes and their bounds.  The agent
 * runs without Avahi (check_agent.h): registrations wait for it, which
 * is all these need.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "check_agent.h"
#include "check_main.h"
#include "discod.h"

/* Send a request, return the reply line (the only line expected). */
static const char *
request(int fd, const char *line)
{
	send_line(fd, line);
	return (drain(fd));
}

/* A client of another user than root. */
static int
client_of(uid_t uid)
{
	struct client *c;
	int	       sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX,
			     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	    0);
	ck_assert_ptr_nonnull(c = control_adopt(sv[0]));
	c->uid = uid;
	return (sv[1]);
}

/* register NAME of _t._tcp with EXTRA (",..." or ""); the reply. */
static const char *
reg(int fd, const char *name, const char *extra)
{
	char line[1024];

	snprintf(line, sizeof(line),
	    "{\"verb\":\"register\",\"name\":\"%s\",\"type\":\"_t._tcp\","
	    "\"port\":80%s}",
	    name, extra);
	return (request(fd, line));
}

static int
accepted(const char *reply)
{
	return (strstr(reply, "\"ok\":true") != NULL);
}

static void
tune_limits(struct config *conf)
{
	conf->registrations_per_uid = 2;
	conf->ttl_max = 60;
}

/*
 * registrations-per-uid = 2: a user's third registration is refused and
 * says why; root is not counted; another user has a count of their own;
 * a registration withdrawn frees its place.
 */
START_TEST(test_registrations_per_uid_bounds_each_user)
{
	const char *r;
	int	    u1, u2, root, id = 0;

	agent_up_with(tune_limits);
	u1 = client_of(1000);
	u2 = client_of(1001);
	root = client_new();
	ck_assert(accepted(reg(u1, "One", "")));
	r = reg(u1, "Two", "");
	ck_assert(accepted(r));
	ck_assert_int_eq(sscanf(strstr(r, "\"registration\":{\"id\":") + 21,
			     "%d", &id),
	    1);
	r = reg(u1, "Three", "");
	ck_assert_msg(!accepted(r), "a third registration: %s", r);
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"permission-denied\""));
	ck_assert_ptr_nonnull(strstr(r, "registrations-per-uid"));
	ck_assert_ptr_nonnull(strstr(r, "uid 1000"));
	/* Another user, and root, are not held by uid 1000's count. */
	ck_assert(accepted(reg(u2, "Other", "")));
	ck_assert(accepted(reg(root, "Root 1", "")));
	ck_assert(accepted(reg(root, "Root 2", "")));
	ck_assert(accepted(reg(root, "Root 3", "")));
	/* One withdrawn: room for one more, not two. */
	{
		char line[96];

		snprintf(line, sizeof(line),
		    "{\"verb\":\"unregister\",\"registration\":%d}", id);
		ck_assert(accepted(request(u1, line)));
	}
	ck_assert(accepted(reg(u1, "Three", "")));
	ck_assert(!accepted(reg(u1, "Four", "")));
	close(u1);
	close(u2);
	close(root);
	spin();
}
END_TEST

/* ttl-max = 60: a lease up to it is taken, one over it names the field. */
START_TEST(test_ttl_max_bounds_the_lease)
{
	const char *r;
	int	    fd;

	agent_up_with(tune_limits);
	fd = client_new();
	r = reg(fd, "At max", ",\"ttl\":60");
	ck_assert_msg(accepted(r), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\"ttl\":60"));
	r = reg(fd, "Over max", ",\"ttl\":61");
	ck_assert_msg(!accepted(r), "ttl 61 over ttl-max 60: %s", r);
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"bad-field\""));
	ck_assert_ptr_nonnull(strstr(r, "\"field\":\"ttl\""));
	/* The default (86400) is the bound without the key. */
	close(fd);
	spin();
}
END_TEST

START_TEST(test_ttl_max_default_is_a_day)
{
	int fd;

	agent_up_with(NULL);
	fd = client_new();
	ck_assert(accepted(reg(fd, "A day", ",\"ttl\":86400")));
	ck_assert(!accepted(reg(fd, "Over a day", ",\"ttl\":86401")));
	close(fd);
	spin();
}
END_TEST

/*
 * txt as an object: each key=value string, true a boolean key; what
 * the reply and services carry is the array form.  A value of any other
 * JSON type names its field.
 */
START_TEST(test_register_txt_as_an_object)
{
	const char *r;
	int	    fd;

	agent_up_with(NULL);
	fd = client_new();
	r = reg(fd, "Obj", ",\"txt\":{\"path\":\"/x\",\"tls\":true}");
	ck_assert_msg(accepted(r), "%s", r);
	ck_assert_msg(strstr(r, "\"txt\":[\"path=/x\",\"tls\"]") != NULL, "%s",
	    r);
	r = request(fd, "{\"verb\":\"services\"}");
	ck_assert_msg(strstr(r, "\"txt\":[\"path=/x\",\"tls\"]") != NULL, "%s",
	    r);
	r = reg(fd, "Bad obj", ",\"txt\":{\"n\":5}");
	ck_assert_msg(!accepted(r), "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"bad-field\""));
	ck_assert_ptr_nonnull(strstr(r, "\"field\":\"txt"));
	r = reg(fd, "Dup obj", ",\"txt\":{\"k\":\"1\",\"K\":\"2\"}");
	ck_assert_msg(!accepted(r), "a key twice regardless of case: %s", r);
	close(fd);
	spin();
}
END_TEST

/*
 * subtypes: kept in order in the reply and services; 16 are taken, 17
 * are not; a label that is not one (RFC 6763 section 7.1: 1 to 63 bytes,
 * no dot; an underscore is usual, not required) names its field.
 */
START_TEST(test_register_subtypes_and_their_bounds)
{
	char	    many[512];
	const char *r;
	size_t	    len;
	int	    fd, k;

	agent_up_with(NULL);
	fd = client_new();
	r = reg(fd, "Sub", ",\"subtypes\":[\"_printer\",\"_scan\"]");
	ck_assert_msg(accepted(r), "%s", r);
	ck_assert_ptr_nonnull(strstr(r,
	    "\"subtypes\":[\"_printer\",\"_scan\"]"));
	ck_assert_ptr_nonnull(strstr(request(fd, "{\"verb\":\"services\"}"),
	    "\"subtypes\":[\"_printer\",\"_scan\"]"));
	for (k = 16; k <= 17; k++) {
		len = (size_t)snprintf(many, sizeof(many), ",\"subtypes\":[");
		for (int j = 0; j < k; j++)
			len += (size_t)snprintf(many + len, sizeof(many) - len,
			    "%s\"_s%d\"", j ? "," : "", j);
		snprintf(many + len, sizeof(many) - len, "]");
		r = reg(fd, k == 16 ? "Sixteen" : "Seventeen", many);
		if (k == 16)
			ck_assert_msg(accepted(r), "16 subtypes: %s", r);
		else {
			ck_assert_msg(!accepted(r), "17 subtypes: %s", r);
			ck_assert_ptr_nonnull(strstr(r,
			    "\"field\":\"subtypes"));
		}
	}
	ck_assert(accepted(reg(fd, "Plain sub",
	    ",\"subtypes\":[\"printer\"]")));
	{
		static const char *bad[] = { "\"\"", "\"_a.b\"",
			"\"_0123456789012345678901234567890123456789012345678901"
			"234567890123\"" };

		for (k = 0; k < 3; k++) {
			snprintf(many, sizeof(many),
			    ",\"subtypes\":[\"_ok\",%s]", bad[k]);
			r = reg(fd, "Bad sub", many);
			ck_assert_msg(!accepted(r), "subtype %s: %s", bad[k],
			    r);
			ck_assert_ptr_nonnull(strstr(r,
			    "\"field\":\"subtypes[1]\""));
		}
	}
	close(fd);
	spin();
}
END_TEST

/*
 * A service file's registration is changed by its file: unregister and
 * renew of it, even by root, are refused and say so; it stays.
 */
START_TEST(test_file_registration_is_not_withdrawn_over_the_socket)
{
	char	    path[sizeof(agent_dir) + 32], line[96];
	const char *r, *p;
	FILE	   *f;
	int	    fd, id = 0;

	agent_up_with(NULL);
	snprintf(path, sizeof(path), "%s/web.dnssd", agent_dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("[Service]\nName=From a file\nType=_http._tcp\nPort=80\n", f);
	ck_assert_int_eq(fclose(f), 0);
	fd = client_new();
	r = request(fd, "{\"verb\":\"reload\"}");
	ck_assert_msg(strstr(r, "\"services\":1") != NULL, "%s", r);
	r = request(fd, "{\"verb\":\"services\"}");
	ck_assert_ptr_nonnull(p = strstr(r, "{\"id\":"));
	ck_assert_int_eq(sscanf(p + 6, "%d", &id), 1);
	ck_assert_ptr_nonnull(strstr(r, "\"origin\":{\"file\":"));
	snprintf(line, sizeof(line),
	    "{\"verb\":\"unregister\",\"registration\":%d}", id);
	r = request(fd, line);
	ck_assert_msg(!accepted(r), "unregister of a file's: %s", r);
	ck_assert_ptr_nonnull(strstr(r, "\"code\":\"permission-denied\""));
	ck_assert_ptr_nonnull(strstr(r, "change the file and reload"));
	snprintf(line, sizeof(line), "{\"verb\":\"renew\",\"registration\":%d}",
	    id);
	ck_assert(!accepted(request(fd, line)));
	ck_assert_ptr_nonnull(strstr(request(fd, "{\"verb\":\"services\"}"),
	    "\"From a file\""));
	unlink(path);
	close(fd);
	spin();
}
END_TEST

/*
 * services shows a lease's ttl, what is left of it, and persist; a
 * registration without a lease shows none of them.  status counts the
 * registrations, and hello says the version.
 */
START_TEST(test_services_show_the_lease_and_status_counts_it)
{
	const char *r;
	char	    want[64];
	int	    fd;

	agent_up_with(NULL);
	fd = client_new();
	ck_assert(accepted(reg(fd, "Leased", ",\"ttl\":30,\"persist\":true")));
	ck_assert(accepted(reg(fd, "Plain", "")));
	r = request(fd, "{\"verb\":\"services\"}");
	ck_assert_msg(strstr(r, "\"name\":\"Leased\"") != NULL, "%s", r);
	ck_assert_ptr_nonnull(strstr(strstr(r, "\"name\":\"Leased\""),
	    "\"ttl\":30,\"lease_remaining\":30,\"persist\":true"));
	r = strstr(r, "\"name\":\"Plain\"");
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_null(strstr(r, "\"ttl\""));
	ck_assert_ptr_null(strstr(r, "\"persist\""));
	r = request(fd, "{\"verb\":\"status\"}");
	ck_assert_msg(strstr(r, "\"services\":2") != NULL, "%s", r);
	snprintf(want, sizeof(want), "\"version\":\"%s\"", PACKAGE_VERSION);
	r = request(fd, "{\"verb\":\"hello\"}");
	ck_assert_msg(strstr(r, want) != NULL, "hello: %s", r);
	close(fd);
	spin();
}
END_TEST

/* Write a service file into the agent's services directory. */
static void
file_write(const char *rel, const char *text)
{
	char  path[sizeof(agent_dir) + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", agent_dir, rel);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * At a reload, a file with errors keeps its earlier version announced
 * (and is counted in errors); drop-in directories (NAME.dnssd.d/) are
 * not read.
 */
START_TEST(test_reload_keeps_a_broken_file_and_reads_no_dropins)
{
	char	    dir[sizeof(agent_dir) + 32];
	const char *r;
	int	    fd, e0 = -1, e1 = -1;

	agent_up_with(NULL);
	fd = client_new();
	file_write("web.dnssd",
	    "[Service]\nName=Kept\nType=_http._tcp\nPort=80\n");
	snprintf(dir, sizeof(dir), "%s/web.dnssd.d", agent_dir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	file_write("web.dnssd.d/port.conf", "[Service]\nPort=81\n");
	/* (The harness has no discod.conf: a reload counts that as one.) */
	r = request(fd, "{\"verb\":\"reload\"}");
	ck_assert_msg(strstr(r, "\"services\":1") != NULL, "%s", r);
	ck_assert_ptr_nonnull(strstr(r, "\"errors\":"));
	ck_assert_int_eq(sscanf(strstr(r, "\"errors\":") + 9, "%d", &e0), 1);
	r = request(fd, "{\"verb\":\"services\"}");
	ck_assert_msg(strstr(r, "\"name\":\"Kept\"") != NULL &&
		strstr(r, "\"port\":80") != NULL,
	    "the drop-in's port 81 must not count: %s", r);
	file_write("web.dnssd",
	    "[Service]\nName=Kept\nType=_http._tcp\nPort=0\n");
	r = request(fd, "{\"verb\":\"reload\"}");
	ck_assert_int_eq(sscanf(strstr(r, "\"errors\":") + 9, "%d", &e1), 1);
	ck_assert_msg(e1 == e0 + 1, "errors %d then %d: %s", e0, e1, r);
	r = request(fd, "{\"verb\":\"services\"}");
	ck_assert_msg(strstr(r, "\"name\":\"Kept\"") != NULL &&
		strstr(r, "\"port\":80") != NULL,
	    "the earlier version stays: %s", r);
	close(fd);
	spin();
}
END_TEST

static Suite *
register_suite(void)
{
	Suite *s = suite_create("register");
	TCase *t = tcase_create("limits");

	tcase_add_test(t, test_registrations_per_uid_bounds_each_user);
	tcase_add_test(t, test_ttl_max_bounds_the_lease);
	tcase_add_test(t, test_ttl_max_default_is_a_day);
	tcase_add_test(t, test_register_txt_as_an_object);
	tcase_add_test(t, test_register_subtypes_and_their_bounds);
	tcase_add_test(t,
	    test_file_registration_is_not_withdrawn_over_the_socket);
	tcase_add_test(t, test_services_show_the_lease_and_status_counts_it);
	tcase_add_test(t, test_reload_keeps_a_broken_file_and_reads_no_dropins);
	tcase_set_timeout(t, 30);
	suite_add_tcase(s, t);
	return (s);
}

CHECK_MAIN(register_suite)
