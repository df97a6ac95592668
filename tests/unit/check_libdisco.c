/*
 * libdisco against a live discod (tests/lab/libdisco.sh runs this inside a
 * lab host, with DISCO_SOCKET set and b publishing "Lib One" and "Lib Two"
 * of _libtest._tcp), and against stand-in agents for the error paths.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "check_main.h"
#include "disco.h"

static struct disco	*d;

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
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

START_TEST(test_libdisco_status_is_a_json_reply)
{
	char	*json;

	ck_assert_int_eq(disco_status(d, &json, 2000), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"ok\":true"));
	ck_assert_ptr_nonnull(strstr(json, "\"avahi\":{\"state\":\"running\""));
	free(json);
}
END_TEST

START_TEST(test_libdisco_types_include_the_published_type)
{
	char	**types;
	size_t	  n, k;
	int	  found = 0;

	ck_assert_int_eq(disco_types(d, &types, &n, 2000), 0);
	for (k = 0; k < n; k++)
		found |= strcmp(types[k], "_libtest._tcp") == 0;
	ck_assert(found);
	disco_types_free(types, n);
}
END_TEST

START_TEST(test_libdisco_list_and_filter)
{
	struct disco_instance	*insts;
	const char		*flt[] = { "weight=3", NULL };
	size_t			 n;

	ck_assert_int_eq(disco_list(d, "_libtest._tcp", NULL, &insts, &n,
	    2000), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(insts[0].host, "lab-b.local");
	ck_assert_uint_gt(insts[0].naddresses, 0);
	disco_instances_free(insts, n);
	ck_assert_int_eq(disco_list(d, "_libtest._tcp", flt, &insts, &n,
	    2000), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(insts[0].name, "Lib Two");
	ck_assert_uint_eq(insts[0].port, 5202);
	disco_instances_free(insts, n);
}
END_TEST

START_TEST(test_libdisco_resolve_known_and_unknown)
{
	struct disco_instance	*inst;
	size_t			 k;
	int			 bin = 0;

	ck_assert_int_eq(disco_resolve(d, "Lib One", "_libtest._tcp", &inst,
	    2000), 0);
	ck_assert_uint_eq(inst->port, 5201);
	/* TXT bytes arrive exactly, a control byte included. */
	for (k = 0; k < inst->ntxt; k++)
		bin |= inst->txt_len[k] == 3 &&
		    memcmp(inst->txt[k], "b=\x01", 3) == 0;
	ck_assert(bin);
	disco_instance_free(inst);
	ck_assert_int_eq(disco_resolve(d, "Nobody", "_libtest._tcp", &inst,
	    2000), DISCO_ENOTFOUND);
	ck_assert_ptr_null(inst);
}
END_TEST

START_TEST(test_libdisco_pick_sticky_is_stable)
{
	struct disco_instance	*a, *b;

	ck_assert_int_eq(disco_pick(d, "_libtest._tcp", "sticky", "k1", NULL,
	    0, &a, 2000), 0);
	ck_assert_int_eq(disco_pick(d, "_libtest._tcp", "sticky", "k1", NULL,
	    0, &b, 2000), 0);
	ck_assert_str_eq(a->name, b->name);
	disco_instance_free(a);
	disco_instance_free(b);
	ck_assert_int_eq(disco_pick(d, "_libtest._tcp", "sticky", NULL, NULL,
	    0, &a, 2000), DISCO_EREJECTED);
}
END_TEST

START_TEST(test_libdisco_pick_wait_times_out_as_not_found)
{
	struct disco_instance	*a;
	long long		 t0 = now_ms();

	ck_assert_int_eq(disco_pick(d, "_never._tcp", NULL, NULL, NULL, 300,
	    &a, 3000), DISCO_ENOTFOUND);
	ck_assert_int_ge(now_ms() - t0, 250);
}
END_TEST

static int	watch_adds;

static void
watch_cb(enum disco_event_kind kind, const struct disco_instance *inst,
    void *arg)
{
	if (kind == DISCO_EVENT_ADD && strcmp(inst->name, "Lib Local") == 0)
		watch_adds++;
}

START_TEST(test_libdisco_register_watch_unregister)
{
	struct disco		*w;
	struct disco_instance	*snap, *inst;
	struct pollfd		 pfd;
	const char		*txt[] = { "role=test", NULL };
	char			*final;
	size_t			 n;
	long			 id;
	int			 i, rc;

	ck_assert_int_eq(disco_open(&w, NULL), 0);
	ck_assert_int_eq(disco_watch(w, "_libtest._tcp", &snap, &n, 2000), 0);
	ck_assert_uint_eq(n, 2);
	disco_instances_free(snap, n);

	ck_assert_int_eq(disco_register(d, "Lib Local", "_libtest._tcp", 5299,
	    txt, 30, &id, &final, 2000), 0);
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
	    2000), 0);
	ck_assert(inst->local);
	disco_instance_free(inst);
	ck_assert_int_eq(disco_unregister(d, id, 2000), 0);
	ck_assert_int_eq(disco_renew(d, id, 2000), DISCO_ENOTFOUND);
	ck_assert_int_eq(disco_register(d, "x", "tcp", 1, NULL, 0, &id, NULL,
	    2000), DISCO_EREJECTED);
	disco_close(w);
}
END_TEST

START_TEST(test_libdisco_getaddrinfo_fills_ports)
{
	struct addrinfo	hints, *res, *ai;
	int		n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	ck_assert_int_eq(disco_getaddrinfo("_libtest._tcp", &hints, &res), 0);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		ck_assert_int_eq(ai->ai_family, AF_INET);
		ck_assert_int_eq(ai->ai_socktype, SOCK_STREAM);
		ck_assert(ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port) ==
		    5201 || ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port)
		    == 5202);
		n++;
	}
	ck_assert_int_eq(n, 2);
	disco_freeaddrinfo(res);
	ck_assert_int_eq(disco_getaddrinfo("Lib One._nope._tcp.local", NULL,
	    &res), DISCO_ENOTFOUND);
	ck_assert_int_eq(disco_getaddrinfo("Lib One._libtest._tcp.local",
	    NULL, &res), 0);
	ck_assert_ptr_nonnull(res);
	disco_freeaddrinfo(res);
}
END_TEST

/* Error paths, against stand-ins and nothing. */

START_TEST(test_libdisco_no_agent_fails_at_once)
{
	struct disco	*x;
	long long	 t0 = now_ms();

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
	struct sockaddr_un	sun;
	char			buf[256];
	int			lfd, fd;
	pid_t			pid;

	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	if ((pid = fork()) == 0) {
		alarm(10);	/* never outlive the test */
		fd = accept(lfd, NULL, NULL);
		if (read(fd, buf, sizeof(buf)) <= 0)
			_exit(0);
		if (close_after_read)
			_exit(0);	/* "killed" mid-call */
		pause();		/* never answers */
		_exit(0);
	}
	close(lfd);
	return (pid);
}

START_TEST(test_libdisco_timeout_is_honoured)
{
	struct disco	*x;
	char		*reply, path[64];
	long long	 t0;
	pid_t		 pid;

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
	struct disco	*x;
	char		*reply, path[64];
	pid_t		 pid;

	snprintf(path, sizeof(path), "/tmp/libdisco-gone.%d", getpid());
	pid = fake_agent(path, 1);
	ck_assert_int_eq(disco_open(&x, path), 0);
	ck_assert_int_eq(disco_call(x, "{\"verb\":\"hello\"}", &reply, -1),
	    DISCO_ECLOSED);
	ck_assert_ptr_null(reply);
	disco_close(x);
	waitpid(pid, NULL, 0);
	unlink(path);
}
END_TEST

static Suite *
libdisco_suite(void)
{
	Suite	*s = suite_create("libdisco");
	TCase	*live = tcase_create("live");
	TCase	*errs = tcase_create("errors");

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
	tcase_add_test(errs, test_libdisco_no_agent_fails_at_once);
	tcase_add_test(errs, test_libdisco_timeout_is_honoured);
	tcase_add_test(errs, test_libdisco_agent_gone_mid_call_is_an_error);
	suite_add_tcase(s, live);
	suite_add_tcase(s, errs);
	return (s);
}

CHECK_MAIN(libdisco_suite)
