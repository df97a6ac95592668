/*
 * libdisco against stand-in agents, for the error paths, a hostile agent
 * and the requests the typed calls send (make check), and against a live
 * discod: with DISCO_SOCKET set, as tests/lab/libdisco.sh runs this inside
 * a lab host with b publishing "Lib One" and "Lib Two" of _libtest._tcp.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "check_main.h"
#include "disco.h"

static struct disco *d;

static void
setup(void)
{
	ck_assert_int_eq(disco_open(&d, NULL), 0);
}

static void
teardown(void)
{
	disco_close(d);
	d = NULL;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

START_TEST(test_libdisco_status_is_a_json_reply)
{
	char *json;

	ck_assert_int_eq(disco_status(d, &json, 2000), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"ok\":true"));
	ck_assert_ptr_nonnull(strstr(json, "\"avahi\":{\"state\":\"running\""));
	free(json);
}
END_TEST

START_TEST(test_libdisco_types_include_the_published_type)
{
	char **types;
	size_t n, k;
	int    found = 0;

	ck_assert_int_eq(disco_types(d, &types, &n, 2000), 0);
	for (k = 0; k < n; k++)
		found |= strcmp(types[k], "_libtest._tcp") == 0;
	ck_assert(found);
	disco_types_free(types, n);
}
END_TEST

START_TEST(test_libdisco_list_and_filter)
{
	struct disco_instance *insts;
	const char	      *flt[] = { "weight=3", NULL };
	size_t		       n;

	ck_assert_int_eq(disco_list(d, "_libtest._tcp", NULL, &insts, &n, 2000),
	    0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(insts[0].host, "lab-b.local");
	ck_assert_uint_gt(insts[0].naddresses, 0);
	disco_instances_free(insts, n);
	ck_assert_int_eq(disco_list(d, "_libtest._tcp", flt, &insts, &n, 2000),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(insts[0].name, "Lib Two");
	ck_assert_uint_eq(insts[0].port, 5202);
	disco_instances_free(insts, n);
}
END_TEST

START_TEST(test_libdisco_resolve_known_and_unknown)
{
	struct disco_instance *inst;
	size_t		       k;
	int		       bin = 0;

	ck_assert_int_eq(disco_resolve(d, "Lib One", "_libtest._tcp", &inst,
			     2000),
	    0);
	ck_assert_uint_eq(inst->port, 5201);
	/* TXT bytes arrive exactly, a control byte included. */
	for (k = 0; k < inst->ntxt; k++)
		bin |= inst->txt_len[k] == 3 &&
		    memcmp(inst->txt[k], "b=\x01", 3) == 0;
	ck_assert(bin);
	disco_instance_free(inst);
	ck_assert_int_eq(disco_resolve(d, "Nobody", "_libtest._tcp", &inst,
			     2000),
	    DISCO_ENOTFOUND);
	ck_assert_ptr_null(inst);
}
END_TEST

START_TEST(test_libdisco_pick_sticky_is_stable)
{
	struct disco_instance *a, *b;

	ck_assert_int_eq(disco_pick(d, "_libtest._tcp", "sticky", "k1", NULL, 0,
			     &a, 2000),
	    0);
	ck_assert_int_eq(disco_pick(d, "_libtest._tcp", "sticky", "k1", NULL, 0,
			     &b, 2000),
	    0);
	ck_assert_str_eq(a->name, b->name);
	disco_instance_free(a);
	disco_instance_free(b);
	ck_assert_int_eq(disco_pick(d, "_libtest._tcp", "sticky", NULL, NULL, 0,
			     &a, 2000),
	    DISCO_EREJECTED);
}
END_TEST

START_TEST(test_libdisco_pick_wait_times_out_as_not_found)
{
	struct disco_instance *a;
	long long	       t0 = now_ms();

	ck_assert_int_eq(disco_pick(d, "_never._tcp", NULL, NULL, NULL, 300, &a,
			     3000),
	    DISCO_ENOTFOUND);
	ck_assert_int_ge(now_ms() - t0, 250);
}
END_TEST

static int watch_adds;

static void
watch_cb(enum disco_event_kind kind, const struct disco_instance *inst,
    void *arg)
{
	if (kind == DISCO_EVENT_ADD && strcmp(inst->name, "Lib Local") == 0)
		watch_adds++;
}

START_TEST(test_libdisco_register_watch_unregister)
{
	struct disco	      *w;
	struct disco_instance *snap, *inst;
	struct pollfd	       pfd;
	const char	      *txt[] = { "role=test", NULL };
	char		      *final;
	size_t		       n;
	long		       id;
	int		       i, rc;

	ck_assert_int_eq(disco_open(&w, NULL), 0);
	ck_assert_int_eq(disco_watch(w, "_libtest._tcp", &snap, &n, 2000), 0);
	ck_assert_uint_eq(n, 2);
	disco_instances_free(snap, n);

	ck_assert_int_eq(disco_register(d, "Lib Local", "_libtest._tcp", 5299,
			     txt, 30, &id, &final, 2000),
	    0);
	ck_assert_str_eq(final, "Lib Local");
	free(final);
	ck_assert_int_eq(disco_renew(d, id, 2000), 0);
	/* The watcher's fd becomes readable; dispatch runs the callback. */
	for (i = 0; i < 100 && watch_adds == 0; i++) {
		pfd.fd = disco_fd(w);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) > 0) {
			rc = disco_dispatch(w, watch_cb, NULL);
			ck_assert_int_ge(rc, 0);
		}
	}
	ck_assert_int_eq(watch_adds, 1);
	ck_assert_int_eq(disco_resolve(d, "Lib Local", "_libtest._tcp", &inst,
			     2000),
	    0);
	ck_assert(inst->local);
	disco_instance_free(inst);
	ck_assert_int_eq(disco_unregister(d, id, 2000), 0);
	ck_assert_int_eq(disco_renew(d, id, 2000), DISCO_ENOTFOUND);
	ck_assert_int_eq(disco_register(d, "x", "tcp", 1, NULL, 0, &id, NULL,
			     2000),
	    DISCO_EREJECTED);
	disco_close(w);
}
END_TEST

START_TEST(test_libdisco_getaddrinfo_fills_ports)
{
	struct addrinfo hints, *res, *ai;
	int		n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	ck_assert_int_eq(disco_getaddrinfo("_libtest._tcp", &hints, &res), 0);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		ck_assert_int_eq(ai->ai_family, AF_INET);
		ck_assert_int_eq(ai->ai_socktype, SOCK_STREAM);
		ck_assert(
		    ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port) ==
			5201 ||
		    ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port) ==
			5202);
		n++;
	}
	ck_assert_int_eq(n, 2);
	disco_freeaddrinfo(res);
	ck_assert_int_eq(disco_getaddrinfo("Lib One._nope._tcp.local", NULL,
			     &res),
	    DISCO_ENOTFOUND);
	ck_assert_int_eq(disco_getaddrinfo("Lib One._libtest._tcp.local", NULL,
			     &res),
	    0);
	ck_assert_ptr_nonnull(res);
	disco_freeaddrinfo(res);
}
END_TEST

/* Error paths, against stand-ins and nothing. */

START_TEST(test_libdisco_no_agent_fails_at_once)
{
	struct disco *x;
	long long     t0 = now_ms();

	ck_assert_int_eq(disco_open(&x, "/nonexistent/disco.sock"),
	    DISCO_EUNREACHABLE);
	ck_assert_ptr_null(x);
	ck_assert_int_lt(now_ms() - t0, 100);
	ck_assert_str_eq(disco_strerror(DISCO_EUNREACHABLE),
	    "the disco agent is not running");
}
END_TEST

/* A stand-in agent: accepts, reads one request, then does what it's told. */
static pid_t
fake_agent(const char *path, int close_after_read)
{
	struct sockaddr_un sun;
	char		   buf[256];
	int		   lfd, fd;
	pid_t		   pid;

	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	if ((pid = fork()) == 0) {
		alarm(10); /* never outlive the test */
		fd = accept(lfd, NULL, NULL);
		if (read(fd, buf, sizeof(buf)) <= 0)
			_exit(0);
		if (close_after_read)
			_exit(0); /* "killed" mid-call */
		pause();	  /* never answers */
		_exit(0);
	}
	close(lfd);
	return (pid);
}

START_TEST(test_libdisco_timeout_is_honoured)
{
	struct disco *x;
	char	     *reply, path[64];
	long long     t0;
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-silent.%d", getpid());
	pid = fake_agent(path, 0);
	ck_assert_int_eq(disco_open(&x, path), 0);
	t0 = now_ms();
	ck_assert_int_eq(disco_call(x, "{\"verb\":\"hello\"}", &reply, 300),
	    DISCO_ETIMEOUT);
	ck_assert_int_ge(now_ms() - t0, 290);
	ck_assert_int_lt(now_ms() - t0, 2000);
	disco_close(x);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(path);
}
END_TEST

START_TEST(test_libdisco_agent_gone_mid_call_is_an_error)
{
	struct disco *x;
	char	     *reply, path[64];
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-gone.%d", getpid());
	pid = fake_agent(path, 1);
	/* Opted out of reconnecting (check_resilient.c has the default). */
	ck_assert_int_eq(disco_open_flags(&x, path, 5000,
			     DISCO_OPEN_NO_RECONNECT),
	    0);
	ck_assert_int_eq(disco_call(x, "{\"verb\":\"hello\"}", &reply, -1),
	    DISCO_ECLOSED);
	ck_assert_ptr_null(reply);
	disco_close(x);
	waitpid(pid, NULL, 0);
	unlink(path);
}
END_TEST

/*
 * A stand-in agent for the typed calls: it answers one request with reply
 * and hands the request line to the test through *req_fd.
 */
static pid_t
canned_agent(const char *path, const char *reply, int *req_fd)
{
	struct sockaddr_un sun;
	char		   buf[4096], c;
	size_t		   len = 0;
	int		   lfd, fd, p[2];
	pid_t		   pid;

	unlink(path);
	ck_assert_int_eq(pipe(p), 0);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	if ((pid = fork()) == 0) {
		alarm(10); /* never outlive the test */
		close(p[0]);
		fd = accept(lfd, NULL, NULL);
		while (len < sizeof(buf) && read(fd, &c, 1) == 1 && c != '\n')
			buf[len++] = c;
		if (write(p[1], buf, len) != (ssize_t)len ||
		    write(fd, reply, strlen(reply)) != (ssize_t)strlen(reply) ||
		    write(fd, "\n", 1) != 1)
			_exit(1);
		close(p[1]);
		while (read(fd, &c, 1) == 1)
			; /* until the client closes */
		_exit(0);
	}
	close(p[1]);
	close(lfd);
	*req_fd = p[0];
	return (pid);
}

/* The request the canned agent received, into buf. */
static void
canned_request(int req_fd, char *buf, size_t size)
{
	ssize_t n, len = 0;

	while ((n = read(req_fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(req_fd);
}

static void
canned_done(struct disco *x, pid_t pid, const char *path)
{
	disco_close(x);
	waitpid(pid, NULL, 0);
	unlink(path);
}

START_TEST(test_libdisco_register_service_sends_subtypes_ttl_and_persist)
{
	const char	    *reply = "{\"ok\":true,\"registration\":"
				     "{\"id\":7,\"final_name\":\"Svc (2)\"}}";
	const char	    *txt[] = { "k=v", NULL };
	const char	    *subtypes[] = { "_a", "_b", NULL };
	struct disco_service svc = { 0 };
	struct disco	    *x;
	char		     path[64], req[4096], *final;
	long		     id;
	int		     fd;
	pid_t		     pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-reg.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	svc.name = "Svc";
	svc.type = "_svc._tcp";
	svc.port = 4100;
	svc.txt = txt;
	svc.subtypes = subtypes;
	svc.ttl = 30;
	svc.persist = 1;
	ck_assert_int_eq(disco_register_service(x, &svc, &id, &final, 2000), 0);
	canned_request(fd, req, sizeof(req));
	ck_assert_ptr_nonnull(strstr(req, "\"verb\":\"register\""));
	ck_assert_ptr_nonnull(strstr(req, "\"name\":\"Svc\""));
	ck_assert_ptr_nonnull(strstr(req, "\"port\":4100"));
	ck_assert_ptr_nonnull(strstr(req, "\"ttl\":30"));
	ck_assert_ptr_nonnull(strstr(req, "\"persist\":true"));
	ck_assert_ptr_nonnull(strstr(req, "\"txt\":[\"k=v\"]"));
	ck_assert_ptr_nonnull(strstr(req, "\"subtypes\":[\"_a\",\"_b\"]"));
	ck_assert_int_eq(id, 7);
	ck_assert_str_eq(final, "Svc (2)");
	ck_assert_str_eq(disco_last_reply(x), reply);
	free(final);
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_list_query_sends_every_filter)
{
	const char *reply =
	    "{\"ok\":true,\"instances\":[{\"name\":"
	    "\"A\",\"type\":\"_t._tcp\",\"domain\":\"local\",\"host\":"
	    "\"a.local\",\"port\":80,\"txt\":[\"k=v\"],\"addresses\":"
	    "[{\"family\":\"ipv6\",\"address\":\"fe80::1%lo\","
	    "\"interface\":\"lo\"}]},{\"name\":\"W\",\"type\":\"_t._tcp\","
	    "\"domain\":\"site\",\"host\":\"w.site\",\"port\":81,"
	    "\"addresses\":[{\"family\":\"ipv4\",\"address\":"
	    "\"192.0.2.7\",\"interface\":null}],\"stale\":true}]}";
	const char	      *txt[] = { "k", NULL };
	struct disco_query     q = { 0 };
	struct disco_instance *insts;
	struct disco	      *x;
	char		       path[64], req[4096];
	size_t		       n;
	int		       fd;
	pid_t		       pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-list.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	q.type = "_t._tcp";
	q.subtype = "_s";
	q.family = "ipv6";
	q.interface = "lo";
	q.txt = txt;
	q.policy = "random"; /* pick only: list does not send it */
	q.domain = "site";
	q.prefer = "local"; /* pick only */
	ck_assert_int_eq(disco_list_query(x, &q, &insts, &n, 2000), 0);
	canned_request(fd, req, sizeof(req));
	ck_assert_ptr_nonnull(strstr(req, "\"verb\":\"list\""));
	ck_assert_ptr_nonnull(strstr(req, "\"type\":\"_t._tcp\""));
	ck_assert_ptr_nonnull(strstr(req, "\"subtype\":\"_s\""));
	ck_assert_ptr_nonnull(strstr(req, "\"family\":\"ipv6\""));
	ck_assert_ptr_nonnull(strstr(req, "\"interface\":\"lo\""));
	ck_assert_ptr_nonnull(strstr(req, "\"txt\":[\"k\"]"));
	ck_assert_ptr_nonnull(strstr(req, "\"domain\":\"site\""));
	ck_assert_ptr_null(strstr(req, "policy"));
	ck_assert_ptr_null(strstr(req, "prefer"));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(insts[0].name, "A");
	ck_assert_int_eq(insts[0].addresses[0].family, AF_INET6);
	ck_assert_int_eq(insts[0].stale, 0);
	/* a wide-area instance: no interface, and stale */
	ck_assert_str_eq(insts[1].domain, "site");
	ck_assert_ptr_null(insts[1].addresses[0].interface);
	ck_assert_int_eq(insts[1].stale, 1);
	disco_instances_free(insts, n);
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_pick_query_sends_policy_key_and_wait)
{
	const char *reply = "{\"ok\":true,\"instance\":{\"name\":\"B\","
			    "\"type\":\"_t._tcp\",\"domain\":\"local\"}}";

	struct disco_query     q = { 0 };
	struct disco_instance *inst;
	struct disco	      *x;
	char		       path[64], req[4096];
	int		       fd;
	pid_t		       pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-pick.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	q.type = "_t._tcp";
	q.policy = "sticky";
	q.key = "user-1";
	q.wait_ms = 250;
	q.prefer = "local";
	ck_assert_int_eq(disco_pick_query(x, &q, &inst, 2000), 0);
	canned_request(fd, req, sizeof(req));
	ck_assert_ptr_nonnull(strstr(req, "\"verb\":\"pick\""));
	ck_assert_ptr_nonnull(strstr(req, "\"policy\":\"sticky\""));
	ck_assert_ptr_nonnull(strstr(req, "\"key\":\"user-1\""));
	ck_assert_ptr_nonnull(strstr(req, "\"wait_ms\":250"));
	ck_assert_ptr_nonnull(strstr(req, "\"prefer\":\"local\""));
	ck_assert_ptr_null(strstr(req, "family"));
	ck_assert_ptr_null(strstr(req, "txt"));
	ck_assert_str_eq(inst->name, "B");
	disco_instance_free(inst);
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_refusal_is_kept_as_the_last_reply)
{
	const char *reply =
	    "{\"id\":null,\"ok\":false,\"error\":"
	    "{\"code\":\"not-found\",\"message\":\"no instance\"}}";
	struct disco_instance *inst;
	struct disco	      *x;
	char		       path[64], req[4096];
	int		       fd;
	pid_t		       pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-refused.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_ptr_null(disco_last_reply(x));
	ck_assert_int_eq(disco_resolve_fullname(x, "A\\.B._t._tcp.local", &inst,
			     2000),
	    DISCO_ENOTFOUND);
	ck_assert_ptr_null(inst);
	canned_request(fd, req, sizeof(req));
	ck_assert_ptr_nonnull(strstr(req, "\"verb\":\"resolve\""));
	ck_assert_ptr_nonnull(strstr(req,
	    "\"fullname\":\"A\\\\.B._t._tcp.local\""));
	ck_assert_str_eq(disco_last_reply(x), reply);
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_reload_reads_its_counts)
{
	const char   *reply = "{\"ok\":true,\"errors\":1,\"services\":2}";
	struct disco *x;
	char	      path[64], req[4096];
	size_t	      services, errors;
	int	      fd;
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-reload.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_reload(x, &services, &errors, 2000), 0);
	canned_request(fd, req, sizeof(req));
	ck_assert_str_eq(req, "{\"verb\":\"reload\"}");
	ck_assert_uint_eq(services, 2);
	ck_assert_uint_eq(errors, 1);
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_services_returns_the_reply)
{
	const char   *reply = "{\"ok\":true,\"services\":[]}";
	struct disco *x;
	char	      path[64], req[4096], *json;
	int	      fd;
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-services.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_services(x, &json, 2000), 0);
	canned_request(fd, req, sizeof(req));
	ck_assert_str_eq(req, "{\"verb\":\"services\"}");
	ck_assert_str_eq(json, reply);
	free(json);
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_new_calls_refuse_bad_arguments)
{
	struct disco_service   svc = { 0 };
	struct disco_query     q = { 0 };
	struct disco_instance *inst, *insts;
	size_t		       n;
	long		       id;

	ck_assert_int_eq(disco_register_service(NULL,
			     (struct disco_service *)NULL, &id, NULL, 0),
	    DISCO_EINVAL);
	svc.name = "x";
	svc.type = "_x._tcp";
	svc.port = 65536;
	ck_assert_int_eq(disco_register_service(NULL, &svc, &id, NULL, 0),
	    DISCO_EINVAL);
	ck_assert_int_eq(disco_list_query(NULL, (struct disco_query *)NULL,
			     &insts, &n, 0),
	    DISCO_EINVAL);
	ck_assert_int_eq(disco_list_query(NULL, &q, &insts, &n, 0),
	    DISCO_EINVAL);
	q.type = "_x._tcp";
	q.wait_ms = -1;
	ck_assert_int_eq(disco_pick_query(NULL, &q, &inst, 0), DISCO_EINVAL);
	ck_assert_int_eq(disco_resolve_fullname(NULL, NULL, &inst, 0),
	    DISCO_EINVAL);
	ck_assert_int_eq(disco_reload(NULL, NULL, NULL, 0), DISCO_EINVAL);
	ck_assert_int_eq(disco_services(NULL, NULL, 0), DISCO_EINVAL);
	ck_assert_ptr_null(disco_last_reply(NULL));
}
END_TEST

/*
 * A hostile or broken agent: replies that are JSON but not what the
 * protocol says.  Each must be DISCO_EPROTOCOL, never a crash.
 */
enum hostile_call {
	HOSTILE_RESOLVE,
	HOSTILE_LIST,
	HOSTILE_TYPES,
	HOSTILE_REGISTER,
	HOSTILE_DISPATCH,
};

static const struct hostile_reply {
	enum hostile_call call;
	const char	 *reply;
} hostile_replies[] = {
	/* The finding: strcmp() on the NULL a null code gives. */
	{ HOSTILE_RESOLVE, "{\"ok\":false,\"error\":{\"code\":null}}" },
	{ HOSTILE_RESOLVE, "{\"ok\":false,\"error\":{\"code\":5}}" },
	{ HOSTILE_RESOLVE, "{\"ok\":false,\"error\":\"not-found\"}" },
	{ HOSTILE_RESOLVE, "{\"ok\":false}" },
	{ HOSTILE_RESOLVE, "{\"ok\":\"yes\",\"instance\":{}}" },
	{ HOSTILE_RESOLVE, "{\"ok\":null}" },
	{ HOSTILE_RESOLVE, "{\"ok\":true,\"instance\":[]}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":null,\"type\":\"_t._tcp\","
	    "\"domain\":\"local\"}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"host\":7}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"port\":\"80\"}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"port\":70000}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"local\":\"no\"}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"txt\":\"k=v\"}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"txt\":[\"k=v\",null]}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"txt\":[{\"base64\":null}]}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"txt\":[{\"base64\":\"!!\"}]}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"addresses\":{}}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"addresses\":[\"10.0.0.1\"]}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"addresses\":[{\"address\":\"10.0.0.1\","
	    "\"family\":4}]}}" },
	{ HOSTILE_RESOLVE,
	    "{\"ok\":true,\"instance\":{\"name\":\"A\",\"type\":\"_t._tcp\","
	    "\"domain\":\"local\",\"addresses\":[{\"address\":null}]}}" },
	{ HOSTILE_LIST, "{\"ok\":true,\"instances\":null}" },
	{ HOSTILE_LIST, "{\"ok\":true,\"instances\":[null]}" },
	{ HOSTILE_LIST, "{\"ok\":true,\"instances\":{\"name\":\"A\"}}" },
	{ HOSTILE_TYPES, "{\"ok\":true,\"types\":[{\"type\":null}]}" },
	{ HOSTILE_TYPES, "{\"ok\":true,\"types\":[\"_t._tcp\"]}" },
	{ HOSTILE_REGISTER,
	    "{\"ok\":true,\"registration\":{\"id\":\"7\","
	    "\"final_name\":\"A\"}}" },
	{ HOSTILE_REGISTER,
	    "{\"ok\":true,\"registration\":{\"id\":7,\"final_name\":null}}" },
	{ HOSTILE_REGISTER, "{\"ok\":true,\"registration\":[7]}" },
	/* Events after the watch's reply, read by disco_dispatch(). */
	{ HOSTILE_DISPATCH, "{\"ok\":true}\n{\"event\":null}" },
	{ HOSTILE_DISPATCH, "{\"ok\":true}\n{\"event\":\"add\"}" },
	{ HOSTILE_DISPATCH,
	    "{\"ok\":true}\n{\"event\":\"add\",\"instance\":\"A\"}" },
	{ HOSTILE_DISPATCH,
	    "{\"ok\":true}\n{\"event\":\"remove\",\"instance\":{\"name\":"
	    "\"A\",\"type\":null,\"domain\":\"local\"}}" },
};

static void
hostile_cb(enum disco_event_kind kind, const struct disco_instance *inst,
    void *arg)
{
	ck_abort_msg("a malformed event reached the callback");
}

START_TEST(test_libdisco_malformed_reply_is_a_protocol_error)
{
	const struct hostile_reply *h = &hostile_replies[_i];
	struct disco_instance	   *inst = NULL, *insts = NULL;
	struct disco		   *x;
	struct pollfd		    pfd;
	char			    path[64], req[4096], **types = NULL;
	char			   *final = NULL;
	size_t			    n = 0;
	long			    id;
	int			    fd, rc = 0;
	pid_t			    pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-hostile.%d", getpid());
	pid = canned_agent(path, h->reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	switch (h->call) {
	case HOSTILE_RESOLVE:
		rc = disco_resolve(x, "A", "_t._tcp", &inst, 2000);
		ck_assert_ptr_null(inst);
		break;
	case HOSTILE_LIST:
		rc = disco_list(x, "_t._tcp", NULL, &insts, &n, 2000);
		ck_assert_ptr_null(insts);
		ck_assert_uint_eq(n, 0);
		break;
	case HOSTILE_TYPES:
		rc = disco_types(x, &types, &n, 2000);
		ck_assert_ptr_null(types);
		ck_assert_uint_eq(n, 0);
		break;
	case HOSTILE_REGISTER:
		rc = disco_register(x, "A", "_t._tcp", 80, NULL, 0, &id, &final,
		    2000);
		ck_assert_ptr_null(final);
		break;
	case HOSTILE_DISPATCH:
		ck_assert_int_eq(disco_watch(x, NULL, NULL, NULL, 2000), 0);
		pfd.fd = disco_fd(x);
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, 200); /* the event may be read already */
		rc = disco_dispatch(x, hostile_cb, NULL);
		break;
	}
	ck_assert_msg(rc == DISCO_EPROTOCOL, "reply %s: %d (%s)", h->reply, rc,
	    disco_strerror(rc));
	canned_request(fd, req, sizeof(req));
	canned_done(x, pid, path);
}
END_TEST

/*
 * TXT bytes that are not text come as base64.  Decoded, they were not
 * NUL-terminated, yet disco_getaddrinfo() read "priority=" and "weight="
 * with strtoul(), into whatever followed in the heap.
 */
START_TEST(test_libdisco_base64_txt_is_nul_terminated)
{
	const char *reply =
	    "{\"ok\":true,\"instances\":[{\"name\":\"A\",\"type\":"
	    "\"_t._tcp\",\"domain\":\"local\",\"port\":1,\"txt\":"
	    "[{\"base64\":\"cHJpb3JpdHk9MQ==\"},{\"base64\":\"Yj0B\"},"
	    "{\"base64\":\"\"}]}]}";
	struct disco_instance *insts;
	struct disco	      *x;
	char		       path[64], req[4096];
	size_t		       n;
	int		       fd;
	pid_t		       pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-b64.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_list(x, "_t._tcp", NULL, &insts, &n, 2000), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(insts[0].ntxt, 3);
	ck_assert_uint_eq(insts[0].txt_len[0], 10);
	ck_assert_mem_eq(insts[0].txt[0], "priority=1", 11);
	ck_assert_uint_eq(insts[0].txt_len[1], 3);
	ck_assert_mem_eq(insts[0].txt[1], "b=\x01", 4);
	ck_assert_uint_eq(insts[0].txt_len[2], 0);
	ck_assert_mem_eq(insts[0].txt[2], "", 1);
	disco_instances_free(insts, n);
	canned_request(fd, req, sizeof(req));
	canned_done(x, pid, path);
}
END_TEST

/* A base64 "priority=1" ranks before a plain "priority=2". */
START_TEST(test_libdisco_getaddrinfo_reads_base64_priority)
{
	const char *reply =
	    "{\"ok\":true,\"instances\":[{\"name\":\"Two\",\"type\":"
	    "\"_t._tcp\",\"domain\":\"local\",\"port\":1002,\"txt\":"
	    "[\"priority=2\"],\"addresses\":[{\"family\":\"ipv4\","
	    "\"address\":\"127.0.0.2\"}]},{\"name\":\"One\",\"type\":"
	    "\"_t._tcp\",\"domain\":\"local\",\"port\":1001,\"txt\":"
	    "[{\"base64\":\"cHJpb3JpdHk9MQ==\"}],\"addresses\":[{\"family\":"
	    "\"ipv4\",\"address\":\"127.0.0.1\"}]}]}";
	struct addrinfo *res;
	char		 path[64], req[4096];
	int		 fd;
	pid_t		 pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-gai.%d", getpid());
	pid = canned_agent(path, reply, &fd);
	ck_assert_int_eq(setenv("DISCO_SOCKET", path, 1), 0);
	ck_assert_int_eq(disco_getaddrinfo("_t._tcp", NULL, &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert_ptr_nonnull(res->ai_next);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port),
	    1001);
	ck_assert_int_eq(
	    ntohs(((struct sockaddr_in *)res->ai_next->ai_addr)->sin_port),
	    1002);
	disco_freeaddrinfo(res);
	canned_request(fd, req, sizeof(req));
	waitpid(pid, NULL, 0);
	unlink(path);
}
END_TEST

/*
 * A listening socket at path that nobody accepts on, its queue full: a
 * stuck agent.  The connections that filled it go to conns (*nconns).
 */
static int
full_backlog(const char *path, int *conns, size_t max, size_t *nconns)
{
	struct sockaddr_un sun;
	int		   lfd, fd;

	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 0), 0);
	for (*nconns = 0; *nconns < max; (*nconns)++) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			ck_assert_int_eq(errno, EAGAIN);
			close(fd);
			return (lfd);
		}
		conns[*nconns] = fd;
	}
	ck_abort_msg("the listen queue never filled");
	return (-1);
}

static void
full_backlog_done(int lfd, int *conns, size_t nconns, const char *path)
{
	while (nconns > 0)
		close(conns[--nconns]);
	close(lfd);
	unlink(path);
}

START_TEST(test_libdisco_open_on_a_full_backlog_times_out)
{
	struct disco *x;
	char	      path[64];
	long long     t0;
	size_t	      n;
	int	      lfd, conns[64];

	snprintf(path, sizeof(path), "/tmp/libdisco-full.%d", getpid());
	lfd = full_backlog(path, conns, 64, &n);
	t0 = now_ms();
	ck_assert_int_eq(disco_open_timeout(&x, path, 300), DISCO_ETIMEOUT);
	ck_assert_ptr_null(x);
	ck_assert_int_ge(now_ms() - t0, 290);
	ck_assert_int_lt(now_ms() - t0, 1500);
	t0 = now_ms();
	ck_assert_int_eq(disco_open_timeout(&x, path, 0), DISCO_ETIMEOUT);
	ck_assert_int_lt(now_ms() - t0, 100);
	full_backlog_done(lfd, conns, n, path);
}
END_TEST

/* disco_open() has no timeout argument, yet it must not hang. */
START_TEST(test_libdisco_open_gives_up_on_a_full_backlog_in_5s)
{
	struct disco *x;
	char	      path[64];
	long long     t0;
	size_t	      n;
	int	      lfd, conns[64];

	snprintf(path, sizeof(path), "/tmp/libdisco-full5.%d", getpid());
	lfd = full_backlog(path, conns, 64, &n);
	t0 = now_ms();
	ck_assert_int_eq(disco_open(&x, path), DISCO_ETIMEOUT);
	ck_assert_ptr_null(x);
	ck_assert_int_ge(now_ms() - t0, 4900);
	ck_assert_int_lt(now_ms() - t0, 7000);
	full_backlog_done(lfd, conns, n, path);
}
END_TEST

/* A queue that the agent drains in time: the connection is made. */
START_TEST(test_libdisco_open_waits_for_room_in_the_backlog)
{
	struct disco *x;
	char	      path[64];
	long long     t0;
	size_t	      n;
	int	      lfd, conns[64];
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-drain.%d", getpid());
	lfd = full_backlog(path, conns, 64, &n);
	if ((pid = fork()) == 0) {
		alarm(10); /* never outlive the test */
		usleep(300 * 1000);
		for (;;)
			close(accept(lfd, NULL, NULL));
	}
	t0 = now_ms();
	ck_assert_int_eq(disco_open_timeout(&x, path, 3000), 0);
	ck_assert_int_ge(now_ms() - t0, 250);
	ck_assert_int_lt(now_ms() - t0, 2000);
	ck_assert_int_ge(disco_fd(x), 0);
	disco_close(x);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	full_backlog_done(lfd, conns, n, path);
}
END_TEST

/*
 * An agent that sends nevents event lines of about size bytes each before
 * its reply to reload: the events disco_call() must keep for later.
 */
static char *
flood_reply(size_t nevents, size_t size)
{
	char  *buf, *p;
	size_t k, pad = size > 40 ? size - 40 : 0;

	ck_assert_ptr_nonnull(buf = malloc(nevents * (pad + 48) + 64));
	for (p = buf, k = 0; k < nevents; k++) {
		p += sprintf(p,
		    "{\"event\":\"health\",\"id\":%zu,\"output\":\"", k);
		memset(p, 'x', pad);
		p += pad;
		p += sprintf(p, "\"}\n");
	}
	strcpy(p, "{\"ok\":true,\"errors\":0,\"services\":1}");
	return (buf);
}

/* Every event the handle kept: how many, their bytes, the resync line. */
static void
flood_drain(struct disco *x, size_t *kept, size_t *bytes, size_t *dropped)
{
	char  *ev;
	size_t id;

	*kept = *bytes = *dropped = 0;
	while (disco_event_next(x, &ev, 0) == 0) {
		if (sscanf(ev, "{\"event\":\"resync\",\"dropped\":%zu}",
			dropped) == 1) {
			free(ev);
			/* The line stands where the loss was: last here. */
			ck_assert_int_eq(disco_event_next(x, &ev, 0),
			    DISCO_ETIMEOUT);
			break;
		}
		/* The kept ones are the oldest, in order. */
		ck_assert_int_eq(sscanf(ev, "{\"event\":\"health\",\"id\":%zu",
				     &id),
		    1);
		ck_assert_uint_eq(id, *kept);
		(*kept)++;
		*bytes += strlen(ev);
		free(ev);
	}
}

START_TEST(test_libdisco_event_flood_during_a_call_is_capped)
{
	struct disco *x;
	char	      path[64], req[4096], *reply;
	size_t	      services, kept, bytes, dropped;
	int	      fd;
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-flood.%d", getpid());
	reply = flood_reply(20000, 0);
	pid = canned_agent(path, reply, &fd);
	free(reply);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_reload(x, &services, NULL, 5000), 0);
	ck_assert_uint_eq(services, 1);
	flood_drain(x, &kept, &bytes, &dropped);
	ck_assert_uint_eq(kept, 1024);
	ck_assert_uint_eq(dropped, 20000 - 1024);
	canned_request(fd, req, sizeof(req));
	canned_done(x, pid, path);
}
END_TEST

START_TEST(test_libdisco_event_flood_is_capped_in_bytes)
{
	struct disco *x;
	char	      path[64], req[4096], *reply;
	size_t	      kept, bytes, dropped;
	int	      fd;
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-floodb.%d", getpid());
	reply = flood_reply(64, 60000); /* 3.8 MB */
	pid = canned_agent(path, reply, &fd);
	free(reply);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_reload(x, NULL, NULL, 5000), 0);
	flood_drain(x, &kept, &bytes, &dropped);
	ck_assert_uint_le(bytes, 1024 * 1024);
	ck_assert_uint_ge(kept, 16);
	ck_assert_uint_eq(kept + dropped, 64);
	canned_request(fd, req, sizeof(req));
	canned_done(x, pid, path);
}
END_TEST

/* The resync line reaches a watcher's callback as DISCO_EVENT_RESYNC. */
static int flood_resyncs;

static void
flood_cb(enum disco_event_kind kind, const struct disco_instance *inst,
    void *arg)
{
	if (kind == DISCO_EVENT_RESYNC)
		flood_resyncs++;
}

START_TEST(test_libdisco_dropped_events_dispatch_as_resync)
{
	struct disco *x;
	char	      path[64], req[4096], *reply;
	int	      fd;
	pid_t	      pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-floodd.%d", getpid());
	reply = flood_reply(1500, 0);
	pid = canned_agent(path, reply, &fd);
	free(reply);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_reload(x, NULL, NULL, 5000), 0);
	/* "health" is not for watchers: only the resync is dispatched. */
	ck_assert_int_eq(disco_dispatch(x, flood_cb, NULL), 1);
	ck_assert_int_eq(flood_resyncs, 1);
	canned_request(fd, req, sizeof(req));
	canned_done(x, pid, path);
}
END_TEST

/* The cases against a live discod, as tests/lab/libdisco.sh sets it up. */
static TCase *
libdisco_live_tcase(void)
{
	TCase *live = tcase_create("live");

	tcase_add_checked_fixture(live, setup, teardown);
	tcase_set_timeout(live, 20);
	tcase_add_test(live, test_libdisco_status_is_a_json_reply);
	tcase_add_test(live, test_libdisco_types_include_the_published_type);
	tcase_add_test(live, test_libdisco_list_and_filter);
	tcase_add_test(live, test_libdisco_resolve_known_and_unknown);
	tcase_add_test(live, test_libdisco_pick_sticky_is_stable);
	tcase_add_test(live, test_libdisco_pick_wait_times_out_as_not_found);
	tcase_add_test(live, test_libdisco_getaddrinfo_fills_ports);
	/* Last: its registration lingers a moment after it is withdrawn. */
	tcase_add_test(live, test_libdisco_register_watch_unregister);
	return (live);
}

static Suite *
libdisco_suite(void)
{
	Suite *s = suite_create("libdisco");
	TCase *errs = tcase_create("errors");
	TCase *reqs = tcase_create("requests");
	TCase *hostile = tcase_create("hostile");

	/*
	 * Only the lab has an agent that publishes what "live" expects (and
	 * a TCase made but not added to the suite would leak).
	 */
	if (getenv("DISCO_SOCKET") != NULL)
		suite_add_tcase(s, libdisco_live_tcase());
	tcase_add_test(errs, test_libdisco_no_agent_fails_at_once);
	tcase_add_test(errs, test_libdisco_timeout_is_honoured);
	tcase_add_test(errs, test_libdisco_agent_gone_mid_call_is_an_error);
	tcase_add_test(reqs,
	    test_libdisco_register_service_sends_subtypes_ttl_and_persist);
	tcase_add_test(reqs, test_libdisco_list_query_sends_every_filter);
	tcase_add_test(reqs,
	    test_libdisco_pick_query_sends_policy_key_and_wait);
	tcase_add_test(reqs, test_libdisco_refusal_is_kept_as_the_last_reply);
	tcase_add_test(reqs, test_libdisco_reload_reads_its_counts);
	tcase_add_test(reqs, test_libdisco_services_returns_the_reply);
	tcase_add_test(reqs, test_libdisco_new_calls_refuse_bad_arguments);
	tcase_set_timeout(hostile, 15);
	tcase_add_test(hostile, test_libdisco_open_on_a_full_backlog_times_out);
	tcase_add_test(hostile,
	    test_libdisco_open_gives_up_on_a_full_backlog_in_5s);
	tcase_add_test(hostile,
	    test_libdisco_open_waits_for_room_in_the_backlog);
	tcase_add_test(hostile,
	    test_libdisco_event_flood_during_a_call_is_capped);
	tcase_add_test(hostile, test_libdisco_event_flood_is_capped_in_bytes);
	tcase_add_test(hostile,
	    test_libdisco_dropped_events_dispatch_as_resync);
	tcase_add_test(hostile, test_libdisco_base64_txt_is_nul_terminated);
	tcase_add_test(hostile,
	    test_libdisco_getaddrinfo_reads_base64_priority);
	tcase_add_loop_test(hostile,
	    test_libdisco_malformed_reply_is_a_protocol_error, 0,
	    sizeof(hostile_replies) / sizeof(hostile_replies[0]));
	suite_add_tcase(s, errs);
	suite_add_tcase(s, reqs);
	suite_add_tcase(s, hostile);
	return (s);
}

CHECK_MAIN(libdisco_suite)
