/*
 * A watch's filter holds for every event, not only the snapshot: discod's
 * control path runs for real (a socketpair adopted as a client, Avahi
 * absent, as fuzz_dispatch runs it), the test changes the cache as the
 * browser would, and reads what each watcher is sent.  An instance that
 * starts matching is an add, one that stops matching a remove, a change
 * to one that matches neither before nor after is not sent.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <avahi-common/domain.h>
#include <resolv.h>

#include "check_agent.h"
#include "check_main.h"
#include "discod.h"

static void
agent_up(void)
{
	agent_up_with(NULL);
}

/* Count of lines in s holding both a and b. */
static int
lines_with(const char *s, const char *a, const char *b)
{
	const char *e;
	char	    line[8192];
	int	    n = 0;
	size_t	    len;

	for (; *s != '\0'; s = *e == '\0' ? e : e + 1) {
		if ((e = strchr(s, '\n')) == NULL)
			e = s + strlen(s);
		len = (size_t)(e - s) < sizeof(line) - 1 ? (size_t)(e - s) :
							   sizeof(line) - 1;
		memcpy(line, s, len);
		line[len] = '\0';
		if (strstr(line, a) != NULL && (b == NULL || strstr(line, b)))
			n++;
	}
	return (n);
}

/* Instance name of _t._tcp resolved on ifindex 2 (family) with TXT s. */
static struct instance *
resolve2(const char *name, int family, const char *txtstr, const char *more)
{
	struct instance *i;
	struct txt	 t = { 0 };
	const char	*why;
	unsigned char	 addr[16];
	int		 is_new;

	if (txtstr != NULL)
		ck_assert_int_eq(txt_add(&t, (const unsigned char *)txtstr,
				     strlen(txtstr), &why),
		    0);
	if (more != NULL)
		ck_assert_int_eq(txt_add(&t, (const unsigned char *)more,
				     strlen(more), &why),
		    0);
	i = cache_seen(&discod->cache, name, "_t._tcp", "local", 2, "eth0",
	    family, 0, &is_new);
	if (family == AF_INET)
		inet_pton(AF_INET, "198.51.100.9", addr);
	else
		inet_pton(AF_INET6, "2001:db8::9", addr);
	cache_resolved(&discod->cache, i, 2, family, "h.local", 80, &t, addr);
	txt_clear(&t);
	return (i);
}

static struct instance *
resolve(const char *name, int family, const char *txtstr)
{
	return (resolve2(name, family, txtstr, NULL));
}

START_TEST(test_watch_filters_hold_for_every_event)
{
	struct instance *a, *b;
	int		 web, v6, all;
	const char	*s;

	agent_up();
	web = client_new();
	v6 = client_new();
	all = client_new();
	send_line(web,
	    "{\"verb\":\"watch\",\"type\":\"_t._tcp\","
	    "\"txt\":[\"role=web\"]}");
	send_line(v6,
	    "{\"verb\":\"watch\",\"type\":\"_t._tcp\","
	    "\"family\":\"ipv6\"}");
	send_line(all, "{\"verb\":\"watch\",\"type\":\"_t._tcp\"}");
	drain(web), drain(v6), drain(all);

	/* A matches neither filter: only the plain watch hears of it. */
	a = resolve("A", AF_INET, "role=db");
	ck_assert_int_eq(lines_with(drain(web), "\"event\"", NULL), 0);
	ck_assert_int_eq(lines_with(drain(v6), "\"event\"", NULL), 0);
	ck_assert_int_eq(lines_with(drain(all), "\"event\":\"add\"",
			     "\"name\":\"A\""),
	    1);

	/* B matches role=web: an add for that watch. */
	b = resolve("B", AF_INET, "role=web");
	ck_assert_int_eq(lines_with(drain(web), "\"event\":\"add\"",
			     "\"name\":\"B\""),
	    1);
	ck_assert_int_eq(lines_with(drain(v6), "\"event\"", NULL), 0);
	drain(all);

	/* A's TXT turns to role=web: an update in the cache, an add here. */
	a = resolve("A", AF_INET, "role=web");
	s = drain(web);
	ck_assert_int_eq(lines_with(s, "\"event\":\"add\"", "\"name\":\"A\""),
	    1);
	ck_assert_int_eq(lines_with(s, "\"event\"", NULL), 1);
	ck_assert_int_eq(lines_with(drain(all), "\"event\":\"update\"",
			     "\"name\":\"A\""),
	    1);

	/* B's TXT turns to role=db: it stops matching, a remove. */
	b = resolve("B", AF_INET, "role=db");
	s = drain(web);
	ck_assert_int_eq(lines_with(s, "\"event\":\"remove\"",
			     "\"name\":\"B\""),
	    1);
	ck_assert_int_eq(lines_with(s, "\"event\"", NULL), 1);
	drain(all);

	/* B changes again and still does not match: nothing. */
	b = resolve("B", AF_INET, "role=cache");
	ck_assert_int_eq(lines_with(drain(web), "\"event\"", NULL), 0);
	ck_assert_int_eq(lines_with(drain(all), "\"event\":\"update\"",
			     "\"name\":\"B\""),
	    1);

	/* A still matches and changes: an update. */
	a = resolve2("A", AF_INET, "role=web", "v=2");
	ck_assert_int_eq(lines_with(drain(web), "\"event\":\"update\"",
			     "\"name\":\"A\""),
	    1);

	/* B gains an IPv6 address: it starts matching family ipv6. */
	b = resolve("B", AF_INET6, "role=cache");
	ck_assert_int_eq(lines_with(drain(v6), "\"event\":\"add\"",
			     "\"name\":\"B\""),
	    1);
	drain(web);
	drain(all);

	/* ... and loses it: a remove there, an update for the plain watch. */
	cache_lost(&discod->cache, b, 2, AF_INET6);
	ck_assert_int_eq(lines_with(drain(v6), "\"event\":\"remove\"",
			     "\"name\":\"B\""),
	    1);
	ck_assert_int_eq(lines_with(drain(all), "\"event\":\"update\"",
			     "\"name\":\"B\""),
	    1);

	/* A goes from the cache: a remove for the watch that held it. */
	cache_lost(&discod->cache, a, 2, AF_INET);
	ck_assert_int_eq(lines_with(drain(web), "\"event\":\"remove\"",
			     "\"name\":\"A\""),
	    1);
	ck_assert_int_eq(lines_with(drain(v6), "\"event\"", NULL), 0);

	/* A narrow watch that comes back with "since" gets a snapshot. */
	send_line(web,
	    "{\"verb\":\"watch\",\"type\":\"_t._tcp\","
	    "\"txt\":[\"role=web\"],\"since\":1}");
	s = drain(web);
	ck_assert_int_eq(lines_with(s, "\"resync\":true", "\"instances\""), 1);
	close(web);
	close(v6);
	close(all);
	spin();
}
END_TEST

/* Send a request, return the reply line (the only line expected). */
static const char *
ask(int fd, const char *line)
{
	send_line(fd, line);
	return (drain(fd));
}

/*
 * A resolve in its usual shape is answered by verb_resolve_fast; the same
 * request with a field it does not take ("wait_ms":0) goes the whole way.
 * The two replies are the same bytes, for every shape of id, blanks,
 * case and domain; and what the fast way declines (not found, unreachable,
 * the lookup socket's rules) is answered as before.
 */
/* shape with its "%s" replaced by extra, into out. */
static void
shape_fill(char *out, size_t size, const char *shape, const char *extra)
{
	const char *at = strstr(shape, "%s");

	ck_assert_ptr_nonnull(at);
	ck_assert_int_lt(snprintf(out, size, "%.*s%s%s", (int)(at - shape),
			     shape, extra, at + 2),
	    (int)size);
}

START_TEST(test_resolve_fast_is_the_whole_way)
{
	static const char *const shapes[] = {
		"{\"verb\":\"resolve\",\"name\":\"I0\",\"type\":\"_t._tcp\"%s}",
		"{\"id\":7,\"verb\":\"resolve\",\"name\":\"I0\","
		"\"type\":\"_t._tcp\"%s}",
		"{\"verb\":\"resolve\",\"name\":\"i0\",\"type\":\"_T._TCP\","
		"\"domain\":\"LOCAL\",\"id\":\"a/b c\"%s}",
		" { \"type\" : \"_t._tcp\" ,\t\"id\":-15, \"name\":\"I1\","
		"\"verb\":\"resolve\" %s} ",
		"{\"verb\":\"resolve\",\"name\":\"I2\",\"type\":\"_t._tcp\","
		"\"id\":0%s}",
	};
	char		 fast[4096], whole[4096], req[512];
	struct instance *i2;
	int		 fd;
	size_t		 k;

	agent_up();
	fd = client_new();
	resolve2("I0", AF_INET, "role=web", "path=/x\"y");
	resolve("I1", AF_INET6, NULL);
	resolve("I2", AF_INET, "n=2");
	for (k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		shape_fill(req, sizeof(req), shapes[k], "");
		snprintf(fast, sizeof(fast), "%s", ask(fd, req));
		shape_fill(req, sizeof(req), shapes[k], ",\"wait_ms\":0");
		snprintf(whole, sizeof(whole), "%s", ask(fd, req));
		ck_assert_int_eq(lines_with(fast, "\"ok\":true", NULL), 1);
		ck_assert_str_eq(fast, whole);
	}
	ck_assert_ptr_nonnull(strstr(fast,
	    "{\"id\":0,\"ok\":true,"
	    "\"instance\":{\"name\":\"I2\""));
	/* Unreachable, then gone: the whole way's not-found, the same. */
	ck_assert_ptr_nonnull(i2 = cache_find(&discod->cache, "I2", "_t._tcp",
				  "local"));
	cache_set_reachable(&discod->cache, i2, 0);
	shape_fill(req, sizeof(req), shapes[4], "");
	snprintf(fast, sizeof(fast), "%s", ask(fd, req));
	ck_assert_ptr_nonnull(strstr(fast, "\"code\":\"not-found\""));
	shape_fill(req, sizeof(req), shapes[4], ",\"wait_ms\":0");
	ck_assert_str_eq(fast, ask(fd, req));
	ck_assert_ptr_nonnull(
	    strstr(ask(fd,
		       "{\"verb\":\"resolve\",\"name\":\"I9\","
		       "\"type\":\"_t._tcp\"}"),
		"\"code\":\"not-found\""));
	close(fd);
	spin();
}
END_TEST

/*
 * resolve with wait_ms, issue 25's "a successful wait_ms": asked before
 * the instance exists, answered the moment the cache has it (no reply
 * before, one after); one that never comes gets not-found, and not
 * before its wait_ms.
 */
START_TEST(test_resolve_waits_for_an_instance)
{
	struct timespec t0, t1;
	const char     *s;
	double		ms;
	int		fd, k;

	agent_up();
	fd = client_new();
	send_line(fd,
	    "{\"id\":1,\"verb\":\"resolve\",\"name\":\"Late\","
	    "\"type\":\"_t._tcp\",\"wait_ms\":10000}");
	ck_assert_str_eq(drain(fd), "");
	resolve("Late", AF_INET, "n=1");
	s = drain(fd);
	ck_assert_int_eq(lines_with(s, "\"id\":1", "\"ok\":true"), 1);
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"Late\""));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_line(fd,
	    "{\"id\":2,\"verb\":\"resolve\",\"name\":\"Never\","
	    "\"type\":\"_t._tcp\",\"wait_ms\":200}");
	for (k = 0, s = ""; k < 300 && *s == '\0'; k++) {
		usleep(10000);
		s = drain(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_int_eq(lines_with(s, "\"id\":2", "\"code\":\"not-found\""),
	    1);
	/* (Timers start from the loop's cached time: a few ms early.) */
	ck_assert_msg(ms >= 180, "not-found after %.0f ms of 200", ms);
	close(fd);
	spin();
}
END_TEST

/*
 * The interface filter of list and pick: an instance on eth1 only, one
 * on eth0 only; each filter answers with its own, an unknown interface
 * with none (and pick with not-found).
 */
START_TEST(test_list_and_pick_filter_by_interface)
{
	struct instance *i;
	struct txt	 t = { 0 };
	unsigned char	 addr[4] = { 198, 51, 100, 10 };
	const char	*s;
	int		 fd, k, is_new;

	agent_up();
	fd = client_new();
	resolve("On0", AF_INET, NULL); /* eth0, ifindex 2 */
	i = cache_seen(&discod->cache, "On1", "_t._tcp", "local", 3, "eth1",
	    AF_INET, 0, &is_new);
	cache_resolved(&discod->cache, i, 3, AF_INET, "h1.local", 81, &t, addr);
	s = ask(fd,
	    "{\"verb\":\"list\",\"type\":\"_t._tcp\","
	    "\"interface\":\"eth1\"}");
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"On1\""));
	ck_assert_ptr_null(strstr(s, "\"name\":\"On0\""));
	s = ask(fd,
	    "{\"verb\":\"list\",\"type\":\"_t._tcp\","
	    "\"interface\":\"eth0\"}");
	ck_assert_ptr_nonnull(strstr(s, "\"name\":\"On0\""));
	ck_assert_ptr_null(strstr(s, "\"name\":\"On1\""));
	s = ask(fd,
	    "{\"verb\":\"list\",\"type\":\"_t._tcp\","
	    "\"interface\":\"eth9\"}");
	ck_assert_int_eq(lines_with(s, "\"ok\":true", NULL), 1);
	ck_assert_ptr_null(strstr(s, "\"name\":\"On"));
	for (k = 0; k < 10; k++) {
		s = ask(fd,
		    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
		    "\"policy\":\"random\",\"interface\":\"eth1\"}");
		ck_assert_ptr_nonnull(strstr(s, "\"name\":\"On1\""));
	}
	s = ask(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
	    "\"interface\":\"eth9\"}");
	ck_assert_ptr_nonnull(strstr(s, "\"code\":\"not-found\""));
	close(fd);
	spin();
}
END_TEST

/*
 * status says what it is: this build's version and protocol, its pid, an
 * uptime that grows, Avahi's state with its since and error (Avahi is
 * absent here), browse's paused flag and the prober's figures.
 */
START_TEST(test_status_says_what_it_is)
{
	struct json_object *o, *v, *av;
	double		    up1, up2;
	int		    fd;

	agent_up();
	fd = client_new();
	ck_assert_ptr_nonnull(o = json_tokener_parse(ask(fd,
				  "{\"verb\":\"status\"}")));
	ck_assert(json_object_object_get_ex(o, "version", &v));
	ck_assert_str_eq(json_object_get_string(v), PACKAGE_VERSION);
	ck_assert(json_object_object_get_ex(o, "protocol", &v));
	ck_assert_int_eq(json_object_get_int(v), DISCO_PROTO_VERSION);
	ck_assert(json_object_object_get_ex(o, "pid", &v));
	ck_assert_int_eq(json_object_get_int(v), (int)getpid());
	ck_assert(json_object_object_get_ex(o, "uptime", &v));
	up1 = json_object_get_double(v);
	ck_assert(up1 >= 0 && up1 < 60);
	ck_assert(json_object_object_get_ex(o, "avahi", &av));
	ck_assert(json_object_object_get_ex(av, "state", &v));
	ck_assert_str_ne(json_object_get_string(v), "running");
	ck_assert(json_object_object_get_ex(av, "since", &v));
	ck_assert(json_object_get_int64(v) > 0);
	ck_assert(json_object_object_get_ex(o, "browse", &v));
	ck_assert(json_object_object_get_ex(v, "paused", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(json_object_object_get_ex(o, "liveness", &v));
	ck_assert(json_object_object_get_ex(v, "queries_sent", &v));
	ck_assert_int_eq(json_object_get_int(v), 0); /* the prober is off */
	json_object_put(o);
	usleep(50000);
	ck_assert_ptr_nonnull(o = json_tokener_parse(ask(fd,
				  "{\"verb\":\"status\"}")));
	ck_assert(json_object_object_get_ex(o, "uptime", &v));
	up2 = json_object_get_double(v);
	ck_assert_msg(up2 >= up1 + 0.04, "uptime %.3f then %.3f", up1, up2);
	json_object_put(o);
	close(fd);
	spin();
}
END_TEST

/* Lines fd is sent within ms milliseconds, until one holds want. */
static const char *
wait_for_line(int fd, const char *want, int ms)
{
	static char all[65536];
	size_t	    len = 0;
	int	    k;

	all[0] = '\0';
	for (k = 0; k < ms / 10 && strstr(all, want) == NULL; k++) {
		usleep(10000);
		len += (size_t)snprintf(all + len, sizeof(all) - len, "%s",
		    drain(fd));
		if (len >= sizeof(all) - 1)
			break;
	}
	return (all);
}

/*
 * status counts the cache: instances resolved (counts.instances and
 * browse.instances) and seen but not yet resolved (browse.unresolved),
 * and follows a removal.
 */
START_TEST(test_status_counts_the_cache)
{
	struct json_object *o, *v;
	int		    fd, is_new;

	agent_up();
	fd = client_new();
	resolve("A", AF_INET, NULL);
	resolve("B", AF_INET6, NULL);
	cache_seen(&discod->cache, "C", "_t._tcp", "local", 2, "eth0", AF_INET,
	    0, &is_new); /* seen, not resolved */
	ck_assert_ptr_nonnull(o = json_tokener_parse(ask(fd,
				  "{\"verb\":\"status\"}")));
	ck_assert(json_object_object_get_ex(o, "counts", &v));
	ck_assert(json_object_object_get_ex(v, "instances", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(o, "browse", &v));
	ck_assert(json_object_object_get_ex(v, "instances", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(o, "browse", &v));
	ck_assert(json_object_object_get_ex(v, "unresolved", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	json_object_put(o);
	resolve("C", AF_INET, NULL);
	ck_assert_ptr_nonnull(o = json_tokener_parse(ask(fd,
				  "{\"verb\":\"status\"}")));
	ck_assert(json_object_object_get_ex(o, "browse", &v));
	ck_assert(json_object_object_get_ex(v, "instances", &v));
	ck_assert_int_eq(json_object_get_int(v), 3);
	ck_assert(json_object_object_get_ex(o, "browse", &v));
	ck_assert(json_object_object_get_ex(v, "unresolved", &v));
	ck_assert_int_eq(json_object_get_int(v), 0);
	json_object_put(o);
	close(fd);
	spin();
}
END_TEST

/*
 * A lease (issue 25: "the expired event"): renewed, a registration with
 * ttl 1 outlives its first second; not renewed, it is withdrawn and its
 * client hears "expired" with its id, about a second after the last
 * renew, and it is gone from services.
 */
#define REG_ID "\"registration\":{\"id\":"
START_TEST(test_lease_expires_without_renew)
{
	struct timespec t0, t1;
	const char     *s, *r;
	char		req[128], want[64];
	double		ms;
	int		fd, id = 0;

	agent_up();
	fd = client_new();
	send_line(fd,
	    "{\"id\":1,\"verb\":\"register\",\"name\":\"Leased\","
	    "\"type\":\"_http._tcp\",\"port\":8000,\"ttl\":1}");
	s = wait_for_line(fd, "\"ok\":", 2000);
	ck_assert_int_eq(lines_with(s, "\"id\":1", "\"ok\":true"), 1);
	ck_assert_ptr_nonnull(r = strstr(s, REG_ID));
	ck_assert_int_eq(sscanf(r + strlen(REG_ID), "%d", &id), 1);
	snprintf(req, sizeof(req), "{\"verb\":\"renew\",\"registration\":%d}",
	    id);
	usleep(600000);
	ck_assert_int_eq(lines_with(ask(fd, req), "\"ok\":true", NULL), 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	usleep(600000); /* 1.2 s after register: alive, thanks to renew */
	ck_assert_ptr_nonnull(strstr(ask(fd, "{\"verb\":\"services\"}"),
	    "\"Leased\""));
	snprintf(want, sizeof(want), "\"event\":\"expired\"");
	s = wait_for_line(fd, want, 3000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	snprintf(want, sizeof(want), "\"id\":%d", id);
	ck_assert_int_eq(lines_with(s, "\"event\":\"expired\"", want), 1);
	ck_assert_msg(ms >= 900 && ms < 2500, "expired %.0f ms after renew",
	    ms);
	ck_assert_ptr_null(strstr(ask(fd, "{\"verb\":\"services\"}"),
	    "\"Leased\""));
	close(fd);
	spin();
}
END_TEST

/*
 * pick's reply and refusals (issue 25): the policy it used (weighted
 * when none is named) and its candidates; no type, an unknown policy,
 * sticky without a key and a wait over 60 s each name their field.  An
 * unreachable instance: list marks it (reachable false, the time since),
 * resolve and pick do not return it, and once it answers again the marks
 * go.
 */
START_TEST(test_pick_replies_and_refusals)
{
	struct instance *b;
	const char	*s;
	double		 since = 0, now = (double)time(NULL);
	int		 fd, k;

	agent_up();
	fd = client_new();
	resolve("A", AF_INET, "role=web");
	b = resolve("B", AF_INET, "role=web");
	s = ask(fd, "{\"verb\":\"pick\",\"type\":\"_t._tcp\"}");
	ck_assert_msg(strstr(s, "\"policy\":\"weighted\"") != NULL, "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "\"candidates\":2"));
	s = ask(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
	    "\"policy\":\"round-robin\"}");
	ck_assert_ptr_nonnull(strstr(s, "\"policy\":\"round-robin\""));
	s = ask(fd, "{\"verb\":\"pick\",\"policy\":\"random\"}");
	ck_assert_msg(strstr(s, "\"field\":\"type\"") != NULL, "no type: %s",
	    s);
	s = ask(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
	    "\"policy\":\"nearest\"}");
	ck_assert_msg(strstr(s, "\"field\":\"policy\"") != NULL, "%s", s);
	s = ask(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
	    "\"policy\":\"sticky\"}");
	ck_assert_msg(strstr(s, "\"field\":\"key\"") != NULL,
	    "sticky without key: %s", s);
	s = ask(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
	    "\"wait_ms\":60001}");
	ck_assert_msg(strstr(s, "\"field\":\"wait_ms\"") != NULL, "%s", s);
	s = ask(fd,
	    "{\"verb\":\"resolve\",\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"wait_ms\":60001}");
	ck_assert_msg(strstr(s, "\"field\":\"wait_ms\"") != NULL, "%s", s);

	cache_set_reachable(&discod->cache, b, 0);
	s = ask(fd, "{\"verb\":\"list\",\"type\":\"_t._tcp\"}");
	ck_assert_msg(lines_with(s, "\"name\":\"B\"", "\"reachable\":false") ==
		1,
	    "%s", s);
	ck_assert_ptr_nonnull(strstr(s, "\"unreachable_since\":"));
	ck_assert_int_eq(sscanf(strstr(s, "\"unreachable_since\":") + 20, "%lf",
			     &since),
	    1);
	ck_assert_msg(since >= now - 5 && since <= now + 5,
	    "unreachable_since %f, now %f", since, now);
	s = ask(fd,
	    "{\"verb\":\"resolve\",\"name\":\"B\",\"type\":\"_t._tcp\"}");
	ck_assert_msg(strstr(s, "\"code\":\"not-found\"") != NULL,
	    "resolve of an unreachable instance: %s", s);
	for (k = 0; k < 20; k++) {
		s = ask(fd,
		    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
		    "\"policy\":\"random\"}");
		ck_assert_ptr_nonnull(strstr(s, "\"candidates\":1"));
		ck_assert_ptr_nonnull(strstr(s, "\"name\":\"A\""));
	}
	cache_set_reachable(&discod->cache, b, 1);
	s = ask(fd,
	    "{\"verb\":\"resolve\",\"name\":\"B\",\"type\":\"_t._tcp\"}");
	ck_assert_msg(strstr(s, "\"ok\":true") != NULL, "%s", s);
	ck_assert_ptr_null(strstr(s, "unreachable_since"));
	ck_assert_ptr_null(strstr(s, "\"reachable\":false"));
	close(fd);
	spin();
}
END_TEST

/*
 * pick and list through the control path answer from the index: a TXT
 * filter lists in name order what a walk would, unreachable instances
 * are listed but never picked, a family keeps to its addresses, and
 * sticky keeps a key on one instance.
 */
START_TEST(test_pick_and_list_answer_from_the_index)
{
	struct instance *c5;
	const char	*s, *first;
	char		 name[8], txt[16], req[256];
	int		 fd, k;

	agent_up();
	fd = client_new();
	for (k = 9; k >= 0; k--) { /* made out of order */
		snprintf(name, sizeof(name), "I%d", k);
		snprintf(txt, sizeof(txt), "role=%s", k % 2 ? "db" : "web");
		resolve(name, k < 5 ? AF_INET : AF_INET6, txt);
	}
	s = ask(fd,
	    "{\"verb\":\"list\",\"type\":\"_T._tcp\","
	    "\"txt\":[\"ROLE=web\"]}");
	ck_assert_int_eq(lines_with(s, "\"ok\":true", NULL), 1);
	ck_assert_ptr_nonnull(first = strstr(s, "\"name\":\"I0\""));
	for (k = 2; k <= 8; k += 2) {
		snprintf(name, sizeof(name), "\"I%d\"", k);
		ck_assert_ptr_nonnull(strstr(s, name));
		ck_assert(strstr(s, name) > first); /* in name order */
		first = strstr(s, name);
	}
	ck_assert_ptr_null(strstr(s, "\"I1\""));
	/* C5 unreachable: listed, marked, never picked */
	ck_assert_ptr_nonnull(c5 = cache_find(&discod->cache, "I5", "_t._tcp",
				  "local"));
	cache_set_reachable(&discod->cache, c5, 0);
	s = ask(fd,
	    "{\"verb\":\"list\",\"type\":\"_t._tcp\","
	    "\"txt\":[\"role=db\"]}");
	ck_assert_ptr_nonnull(strstr(s, "\"I5\""));
	for (k = 0; k < 200; k++) {
		snprintf(req, sizeof(req),
		    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
		    "\"policy\":\"%s\",\"key\":\"k%d\"%s}",
		    k % 3 == 0	   ? "random" :
			k % 3 == 1 ? "round-robin" :
				     "sticky",
		    k, k % 2 ? ",\"txt\":[\"role=db\"]" : "");
		s = ask(fd, req);
		ck_assert_int_eq(lines_with(s, "\"ok\":true", NULL), 1);
		ck_assert_ptr_null(strstr(s, "\"I5\""));
	}
	/* IPv6 only: I5..I9, I5 out: 4 candidates, none of I0..I4 */
	for (k = 0; k < 50; k++) {
		s = ask(fd,
		    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
		    "\"family\":\"ipv6\",\"policy\":\"random\"}");
		ck_assert_ptr_nonnull(strstr(s, "\"candidates\":4"));
		ck_assert_ptr_null(strstr(s, "\"I0\""));
		ck_assert_ptr_null(strstr(s, "\"I4\""));
	}
	/* The same key, the same instance, with or without a TXT filter. */
	s = ask(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
	    "\"policy\":\"sticky\",\"key\":\"user-1\"}");
	first = strstr(s, "\"name\":");
	ck_assert_ptr_nonnull(first);
	snprintf(req, sizeof(req), "%.12s", first);
	for (k = 0; k < 10; k++) {
		s = ask(fd,
		    "{\"verb\":\"pick\",\"type\":\"_t._tcp\","
		    "\"policy\":\"sticky\",\"key\":\"user-1\"}");
		ck_assert_ptr_nonnull(strstr(s, req));
	}
	close(fd);
	spin();
}
END_TEST

/*
 * The reply texts kept for instances stay within their budget however
 * many instances are asked for, and an instance whose text went is
 * answered as before.
 */
START_TEST(test_instance_texts_stay_within_their_budget)
{
	char	    name[16], txt[16], req[256], want[64];
	const char *s;
	int	    fd, k;

	agent_up();
	fd = client_new();
	for (k = 0; k < 6000; k++) {
		snprintf(name, sizeof(name), "m%d", k);
		snprintf(txt, sizeof(txt), "n=%d", k);
		resolve(name, AF_INET, txt);
	}
	for (k = 0; k < 6000; k++) {
		snprintf(req, sizeof(req),
		    "{\"verb\":\"resolve\",\"name\":\"m%d\","
		    "\"type\":\"_t._tcp\"}",
		    k);
		s = ask(fd, req);
		snprintf(want, sizeof(want), "\"n=%d\"", k);
		ck_assert_ptr_nonnull(strstr(s, want));
		ck_assert_uint_le(instance_json_memo_bytes(),
		    INSTANCE_MEMO_BYTES);
	}
	ck_assert_uint_gt(instance_json_memo_bytes(), INSTANCE_MEMO_BYTES / 2);
	/* m0's text went long ago: asked again, the same answer */
	s = ask(fd,
	    "{\"verb\":\"resolve\",\"name\":\"m0\","
	    "\"type\":\"_t._tcp\"}");
	ck_assert_ptr_nonnull(strstr(s, "\"n=0\""));
	ck_assert_ptr_nonnull(strstr(s, "198.51.100.9"));
	/* and a change to one without its text is no trouble */
	resolve("m1", AF_INET, "n=one");
	s = ask(fd,
	    "{\"verb\":\"resolve\",\"name\":\"m1\","
	    "\"type\":\"_t._tcp\"}");
	ck_assert_ptr_nonnull(strstr(s, "\"n=one\""));
	close(fd);
	spin();
}
END_TEST

/*
 * The oracle for instance_json_text(): the instance as a json-c tree,
 * printed as json-c prints it (the way discod made its texts before).
 */
static struct json_object *
reference_txt(const struct txt *txt)
{
	struct json_object *arr = json_object_new_array(), *o;
	char		    b64[TXT_STRING_MAX * 2];
	size_t		    i, j;
	int		    plain;

	for (i = 0; i < txt->n; i++) {
		plain = proto_utf8_invalid((const char *)txt->v[i].data,
			    txt->v[i].len) == -1;
		for (j = 0; plain && j < txt->v[i].len; j++)
			plain = txt->v[i].data[j] >= 0x20 &&
			    txt->v[i].data[j] != 0x7f;
		if (plain) {
			json_object_array_add(arr,
			    json_object_new_string_len(
				(const char *)txt->v[i].data,
				(int)txt->v[i].len));
			continue;
		}
		if (b64_ntop(txt->v[i].data, txt->v[i].len, b64, sizeof(b64)) ==
		    -1)
			b64[0] = '\0';
		o = json_object_new_object();
		json_object_object_add(o, "base64",
		    json_object_new_string(b64));
		json_object_array_add(arr, o);
	}
	return (arr);
}

static char *
reference_text(const struct instance *i)
{
	struct json_object *o = json_object_new_object(), *addrs, *a;
	char		    full[1024], text[CACHE_ADDR_TEXT_MAX], *r;
	size_t		    k;

	json_object_object_add(o, "name", json_object_new_string(i->name));
	json_object_object_add(o, "type", json_object_new_string(i->type));
	json_object_object_add(o, "domain", json_object_new_string(i->domain));
	if (avahi_service_name_join(full, sizeof(full), i->name, i->type,
		i->domain) == 0)
		json_object_object_add(o, "fullname",
		    json_object_new_string(full));
	json_object_object_add(o, "host",
	    i->host != NULL ? json_object_new_string(i->host) : NULL);
	json_object_object_add(o, "port", json_object_new_int((int)i->port));
	json_object_object_add(o, "priority",
	    json_object_new_int((int)i->priority));
	json_object_object_add(o, "weight",
	    json_object_new_int((int)i->weight));
	json_object_object_add(o, "txt", reference_txt(&i->txt));
	addrs = json_object_new_array();
	for (k = 0; k < i->npaths; k++) {
		if (!i->paths[k].resolved)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "address",
		    json_object_new_string(cache_path_text(&i->paths[k], text,
			sizeof(text))));
		json_object_object_add(a, "family",
		    json_object_new_string(i->paths[k].family == AF_INET6 ?
			    "ipv6" :
			    "ipv4"));
		json_object_object_add(a, "interface",
		    i->paths[k].ifname[0] != '\0' ?
			json_object_new_string(i->paths[k].ifname) :
			NULL);
		json_object_array_add(addrs, a);
	}
	json_object_object_add(o, "addresses", addrs);
	json_object_object_add(o, "local", json_object_new_boolean(i->local));
	json_object_object_add(o, "reachable",
	    json_object_new_boolean(!i->unreachable));
	if (i->unreachable)
		json_object_object_add(o, "unreachable_since",
		    json_object_new_double(i->unreachable_since));
	if (i->stale)
		json_object_object_add(o, "stale", json_object_new_boolean(1));
	json_object_object_add(o, "first_seen",
	    json_object_new_double(i->first_seen));
	json_object_object_add(o, "last_changed",
	    json_object_new_double(i->last_changed));
	json_object_object_add(o, "last_confirmed",
	    json_object_new_double(i->last_confirmed));
	json_object_object_add(o, "index",
	    json_object_new_int64((int64_t)i->index));
	r = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return (r);
}

static uint32_t xs = 88172645;

static uint32_t
xrand(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 17;
	xs ^= xs << 5;
	return (xs);
}

/* n random bytes, none NUL, some of them what JSON must escape. */
static void
random_bytes(char *buf, size_t n)
{
	static const char nasty[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\xff.";
	size_t		  k;

	for (k = 0; k < n; k++)
		buf[k] = xrand() % 3 == 0 ?
		    nasty[xrand() % (sizeof(nasty) - 1)] :
		    (char)(xrand() % 255 + 1);
	buf[n] = '\0';
}

/* The text discod writes is json-c's text for the same instance. */
START_TEST(test_instance_text_is_what_json_c_prints)
{
	struct instance	    i;
	struct cache_path   paths[3];
	struct txt	    txt;
	char		    name[64], host[64], ifn[CACHE_IFNAME_MAX], tb[40];
	char		   *mine, *ref;
	const char	   *why;
	size_t		    len, k, n;
	int		    round;
	static const double when[] = { 0, 5, 1733150000.25, 1e300, -2.5,
		1733150000, 0.1, 123456789012345678.0 };

	for (round = 0; round < 5000; round++) {
		memset(&i, 0, sizeof(i));
		memset(&txt, 0, sizeof(txt));
		random_bytes(name, xrand() % 63 + 1);
		random_bytes(host, xrand() % 40 + 1);
		random_bytes(ifn, xrand() % (sizeof(ifn) - 1));
		i.name = name;
		i.type = (char *)(round % 2 ? "_t._tcp" : "_x-y._udp");
		i.domain = (char *)"local";
		i.host = round % 7 == 0 ? NULL : host;
		i.port = xrand() % 65536;
		i.priority = xrand() % 3;
		i.weight = xrand() % 70000;
		for (n = xrand() % 4, k = 0; k < n; k++) {
			random_bytes(tb, xrand() % 30 + 1);
			(void)txt_add(&txt, (unsigned char *)tb, strlen(tb),
			    &why);
		}
		i.txt = txt;
		i.npaths = xrand() % 4;
		for (k = 0; k < i.npaths; k++) {
			memset(&paths[k], 0, sizeof(paths[k]));
			paths[k].family = xrand() % 2 ? AF_INET : AF_INET6;
			paths[k].resolved = xrand() % 4 != 0;
			paths[k].addr[0] = xrand() % 2 ? 0xfe : 0x20;
			paths[k].addr[1] = 0x80;
			paths[k].addr[15] = (unsigned char)xrand();
			/* a wide-area address has no interface */
			strlcpy(paths[k].ifname, xrand() % 5 != 0 ? ifn : "",
			    sizeof(paths[k].ifname));
		}
		i.paths = paths;
		i.local = (int)(xrand() % 2);
		i.unreachable = (int)(xrand() % 2);
		i.unreachable_since = when[xrand() % 8];
		i.stale = (int)(xrand() % 3 == 0);
		i.first_seen = when[xrand() % 8];
		i.last_changed = when[xrand() % 8] + (xrand() % 1000) / 7.0;
		i.last_confirmed = (double)xrand() / 3.0;
		i.index = ((unsigned long long)xrand() << 20) + xrand();
		mine = instance_json_text(&i, &len);
		ref = reference_text(&i);
		ck_assert_str_eq(mine, ref);
		ck_assert_uint_eq(len, strlen(ref));
		free(mine);
		free(ref);
		txt_clear(&txt);
	}
}
END_TEST

/*
 * The times in instance texts are printed without printf (a third of the
 * text's cost): the digits must be what "%.17g" gives, for every kind of
 * value: times now and in 50 years, with micro- and nanoseconds, exact
 * halves (where rounding goes to even), integers, values next to powers
 * of ten (where a carry adds a digit), and the fallback's range.
 */
START_TEST(test_instance_times_print_as_printf_does)
{
	char		    mine[64], ref[64];
	double		    v;
	long		    k;
	int		    j;
	static const double edge[] = { 1, 9.999999999999999, 9.9999999999999991,
		10, 99999999999999.99, 999999999999999.9, 1e15, 0.5, 2.5,
		1733150000.25, 1733150000.125, 1.0005, 1.00000000000000005,
		4503599627370495.5, 123456789.98765432, -1733150000.75, -0.25,
		0, 1e-7, 1e300 };

	for (j = 0; j < (int)(sizeof(edge) / sizeof(edge[0])); j++) {
		instance_json_double(mine, sizeof(mine), edge[j]);
		snprintf(ref, sizeof(ref), "%.17g", edge[j]);
		ck_assert_str_eq(mine, ref);
	}
	for (k = 0; k < 3000000; k++) {
		switch (k % 6) {
		case 0: /* a time, to the microsecond */
			v = 1.7e9 + (double)(xrand() % 1000000000) / 1e6;
			break;
		case 1: /* a time as clock_gettime gives it */
			v = 1.7e9 + (double)xrand() + (double)xrand() / 1e9;
			break;
		case 2: /* any magnitude in range, any bits */
			v = ldexp((double)(((unsigned long long)xrand() << 21) ^
				      xrand()) +
				    1,
				(int)(xrand() % 50) - 52) *
			    1.0;
			if (v < 1)
				v += 1;
			break;
		case 3: /* exact halves and quarters at every scale */
			v = ldexp((double)(xrand() % 100000) + 0.5,
			    (int)(xrand() % 40) - 10);
			break;
		case 4: /* next to a power of ten */
			v = nextafter(pow(10, (double)(xrand() % 16)),
			    xrand() % 2 ? 0 : 1e300);
			break;
		default: /* negative ones */
			v = -(double)xrand() / 7.0;
			break;
		}
		instance_json_double(mine, sizeof(mine), v);
		snprintf(ref, sizeof(ref), "%.17g", v);
		ck_assert_msg(strcmp(mine, ref) == 0, "%a: %s, printf %s", v,
		    mine, ref);
	}
}
END_TEST

static Suite *
watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *t = tcase_create("filters");

	tcase_add_test(t, test_watch_filters_hold_for_every_event);
	tcase_add_test(t, test_pick_and_list_answer_from_the_index);
	tcase_add_test(t, test_pick_replies_and_refusals);
	tcase_add_test(t, test_instance_texts_stay_within_their_budget);
	tcase_add_test(t, test_instance_text_is_what_json_c_prints);
	tcase_add_test(t, test_instance_times_print_as_printf_does);
	tcase_add_test(t, test_resolve_fast_is_the_whole_way);
	tcase_add_test(t, test_resolve_waits_for_an_instance);
	tcase_add_test(t, test_list_and_pick_filter_by_interface);
	tcase_add_test(t, test_status_says_what_it_is);
	tcase_add_test(t, test_status_counts_the_cache);
	tcase_add_test(t, test_lease_expires_without_renew);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return (s);
}

CHECK_MAIN(watch_suite)
