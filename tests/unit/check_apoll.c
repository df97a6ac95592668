/* The AvahiPoll adapter, on a real libevent base. */
#include "config.h"

#include <sys/time.h>

#include <string.h>
#include <unistd.h>

#include <avahi-common/timeval.h>
#include <check.h>

#include "check_main.h"
#include "discod.h"

static struct event_base *base;
static struct apoll	 *ap;
static const AvahiPoll	 *api;
static int		  fds[2];

static void
setup(void)
{
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ap = apoll_new(base);
	api = apoll_get(ap);
	ck_assert_int_eq(pipe(fds), 0);
}

static void
teardown(void)
{
	apoll_free(ap);
	event_base_free(base);
	close(fds[0]);
	close(fds[1]);
}

/* Run the loop until nothing is pending or a second passes. */
static void
run(void)
{
	struct timeval tv = { 1, 0 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct seen {
	int		calls;
	AvahiWatchEvent events;
	int		free_self;
	int		stop_after;
	AvahiWatch     *w;
};

static void
watch_cb(AvahiWatch *w, int fd, AvahiWatchEvent events, void *arg)
{
	struct seen *s = arg;
	char	     c;

	s->calls++;
	s->events = events;
	ck_assert_int_eq(api->watch_get_events(w), events);
	if (events & AVAHI_WATCH_IN)
		ck_assert_int_eq(read(fd, &c, 1), 1);
	if (s->free_self) {
		api->watch_free(w);
		s->w = NULL;
	} else if (s->calls >= s->stop_after)
		event_base_loopbreak(base);
}

START_TEST(test_apoll_watch_reports_readable_fd)
{
	struct seen s = { .stop_after = 1 };

	s.w = api->watch_new(api, fds[0], AVAHI_WATCH_IN, watch_cb, &s);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	run();
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.events, AVAHI_WATCH_IN);
	api->watch_free(s.w);
}
END_TEST

START_TEST(test_apoll_watch_update_to_none_silences_it)
{
	struct seen s = { .stop_after = 1 };

	s.w = api->watch_new(api, fds[0], AVAHI_WATCH_IN, watch_cb, &s);
	api->watch_update(s.w, 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	run();
	ck_assert_int_eq(s.calls, 0);
	api->watch_update(s.w, AVAHI_WATCH_IN);
	run();
	ck_assert_int_eq(s.calls, 1);
	api->watch_free(s.w);
}
END_TEST

START_TEST(test_apoll_watch_out_on_writable_fd)
{
	struct seen s = { .stop_after = 1 };

	s.w = api->watch_new(api, fds[1], AVAHI_WATCH_OUT, watch_cb, &s);
	run();
	ck_assert_int_eq(s.calls, 1);
	ck_assert_int_eq(s.events, AVAHI_WATCH_OUT);
	api->watch_free(s.w);
}
END_TEST

START_TEST(test_apoll_watch_may_free_itself_in_its_callback)
{
	struct seen s = { .free_self = 1 };

	s.w = api->watch_new(api, fds[0], AVAHI_WATCH_IN, watch_cb, &s);
	ck_assert_int_eq(write(fds[1], "xy", 2), 2);
	run();
	/* Freed in the first call: the second byte never wakes it. */
	ck_assert_int_eq(s.calls, 1);
	ck_assert_ptr_null(s.w);
}
END_TEST

struct tick {
	int	       calls;
	int	       free_self;
	int	       rearm;
	struct timeval when;
};

static void
timeout_cb(AvahiTimeout *t, void *arg)
{
	struct tick   *k = arg;
	struct timeval tv;

	k->calls++;
	gettimeofday(&k->when, NULL);
	if (k->free_self)
		api->timeout_free(t);
	else if (k->rearm && k->calls < 3) {
		avahi_elapse_time(&tv, 10, 0);
		api->timeout_update(t, &tv);
	}
}

START_TEST(test_apoll_timeout_fires_at_its_absolute_time)
{
	struct tick    k = { 0 };
	struct timeval start, tv;
	AvahiTimeout  *t;

	gettimeofday(&start, NULL);
	avahi_elapse_time(&tv, 50, 0);
	t = api->timeout_new(api, &tv, timeout_cb, &k);
	run();
	ck_assert_int_eq(k.calls, 1);
	ck_assert_int_ge(avahi_timeval_diff(&k.when, &start), 45000);
	api->timeout_free(t);
}
END_TEST

START_TEST(test_apoll_timeout_in_the_past_fires_at_once)
{
	struct tick    k = { 0 };
	struct timeval tv;
	AvahiTimeout  *t;

	gettimeofday(&tv, NULL);
	tv.tv_sec -= 10;
	t = api->timeout_new(api, &tv, timeout_cb, &k);
	run();
	ck_assert_int_eq(k.calls, 1);
	api->timeout_free(t);
}
END_TEST

START_TEST(test_apoll_timeout_null_is_disabled_until_updated)
{
	struct tick    k = { 0 };
	struct timeval tv;
	AvahiTimeout  *t;

	t = api->timeout_new(api, NULL, timeout_cb, &k);
	run();
	ck_assert_int_eq(k.calls, 0);
	avahi_elapse_time(&tv, 5, 0);
	api->timeout_update(t, &tv);
	run();
	ck_assert_int_eq(k.calls, 1);
	/* Disabling a pending timeout stops it. */
	avahi_elapse_time(&tv, 5, 0);
	api->timeout_update(t, &tv);
	api->timeout_update(t, NULL);
	run();
	ck_assert_int_eq(k.calls, 1);
	api->timeout_free(t);
}
END_TEST

START_TEST(test_apoll_timeout_may_rearm_in_its_callback)
{
	struct tick    k = { .rearm = 1 };
	struct timeval tv;
	AvahiTimeout  *t;

	avahi_elapse_time(&tv, 1, 0);
	t = api->timeout_new(api, &tv, timeout_cb, &k);
	run();
	ck_assert_int_eq(k.calls, 3);
	api->timeout_free(t);
}
END_TEST

START_TEST(test_apoll_timeout_may_free_itself_in_its_callback)
{
	struct tick    k = { .free_self = 1 };
	struct timeval tv;

	avahi_elapse_time(&tv, 1, 0);
	api->timeout_new(api, &tv, timeout_cb, &k);
	run();
	ck_assert_int_eq(k.calls, 1);
}
END_TEST

static Suite *
apoll_suite(void)
{
	Suite *s = suite_create("apoll");
	TCase *tc = tcase_create("poll");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_apoll_watch_reports_readable_fd);
	tcase_add_test(tc, test_apoll_watch_update_to_none_silences_it);
	tcase_add_test(tc, test_apoll_watch_out_on_writable_fd);
	tcase_add_test(tc, test_apoll_watch_may_free_itself_in_its_callback);
	tcase_add_test(tc, test_apoll_timeout_fires_at_its_absolute_time);
	tcase_add_test(tc, test_apoll_timeout_in_the_past_fires_at_once);
	tcase_add_test(tc, test_apoll_timeout_null_is_disabled_until_updated);
	tcase_add_test(tc, test_apoll_timeout_may_rearm_in_its_callback);
	tcase_add_test(tc, test_apoll_timeout_may_free_itself_in_its_callback);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(apoll_suite)
