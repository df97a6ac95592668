/*
 * The resolve queue of src/avahi-browse.c: concurrency, resolvers kept
 * open, retries after failures, pauses when Avahi refuses a resolver, and
 * instances withdrawn while they wait.  The suite builds avahi-browse.c
 * itself against a mock of avahi-client and of avahi.c's thread glue
 * (below, the only Avahi this suite has): the mock records every
 * resolver started and freed, refuses resolvers on demand, hands the
 * test the browser's callback to feed events through, and keeps what
 * would have gone to the main loop.  libavahi-common, libevent and the
 * core are the real ones.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <check.h>

#include "check_main.h"
#include "discod.h"

#define SVC_TYPE "_http._tcp"

/* The mock: Avahi's objects as the suite sees them. */
struct AvahiClient {
	int error;
};

struct AvahiServiceResolver {
	char			    *name;
	char			    *type;
	char			    *domain;
	AvahiIfIndex		     ifindex;
	AvahiProtocol		     proto;
	AvahiServiceResolverCallback cb;
	void			    *arg;
	int			     freed;
};

struct AvahiServiceBrowser {
	char			   *type;
	AvahiServiceBrowserCallback cb;
	void			   *arg;
	int			    freed;
};

struct AvahiServiceTypeBrowser {
	int freed;
};

#define MOCK_RESOLVERS_MAX 64
#define MOCK_BROWSERS_MAX  8

static struct {
	struct AvahiClient	     client;
	struct AvahiServiceResolver *r[MOCK_RESOLVERS_MAX]; /* as started */
	unsigned int		     nr;
	unsigned int		     calls;   /* resolver_new, refused too */
	unsigned int		     refused; /* of them */
	int			     refuse;  /* this error ... */
	unsigned int		     nrefuse; /* ... for so many calls */
	unsigned int		     objects_max; /* live resolvers; 0: any */
	struct AvahiServiceBrowser  *b[MOCK_BROWSERS_MAX];
	unsigned int		     nb;
	TAILQ_HEAD(mock_msgs, avahi_msg) posted;
	struct avahi_browse_stats	 st; /* as last published */
	struct event_base		*stop_on_start;
} mock;

static unsigned int
mock_live(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < mock.nr; i++)
		n += !mock.r[i]->freed;
	return (n);
}

AvahiServiceResolver *
avahi_service_resolver_new(AvahiClient *client, AvahiIfIndex ifindex,
    AvahiProtocol proto, const char *name, const char *type, const char *domain,
    AvahiProtocol aproto, AvahiLookupFlags flags,
    AvahiServiceResolverCallback cb, void *arg)
{
	struct AvahiServiceResolver *r;

	ck_assert_ptr_eq(client, &mock.client);
	mock.calls++;
	if (mock.nrefuse > 0) {
		mock.nrefuse--;
		mock.refused++;
		client->error = mock.refuse;
		return (NULL);
	}
	if (mock.objects_max > 0 && mock_live() >= mock.objects_max) {
		mock.refused++;
		client->error = AVAHI_ERR_TOO_MANY_OBJECTS;
		return (NULL);
	}
	ck_assert_uint_lt(mock.nr, MOCK_RESOLVERS_MAX);
	r = xcalloc(1, sizeof(*r));
	r->name = xstrdup(name);
	r->type = xstrdup(type);
	r->domain = xstrdup(domain);
	r->ifindex = ifindex;
	r->proto = proto;
	r->cb = cb;
	r->arg = arg;
	mock.r[mock.nr++] = r;
	if (mock.stop_on_start != NULL)
		event_base_loopbreak(mock.stop_on_start);
	return (r);
}

/* Kept till teardown, so the suite can tell what was freed. */
int
avahi_service_resolver_free(AvahiServiceResolver *r)
{
	ck_assert_msg(!r->freed, "resolver of %s freed twice", r->name);
	r->freed = 1;
	return (0);
}

AvahiClient *
avahi_service_resolver_get_client(AvahiServiceResolver *r)
{
	return (&mock.client);
}

AvahiServiceBrowser *
avahi_service_browser_new(AvahiClient *client, AvahiIfIndex ifindex,
    AvahiProtocol proto, const char *type, const char *domain,
    AvahiLookupFlags flags, AvahiServiceBrowserCallback cb, void *arg)
{
	struct AvahiServiceBrowser *b;

	ck_assert_uint_lt(mock.nb, MOCK_BROWSERS_MAX);
	b = xcalloc(1, sizeof(*b));
	b->type = xstrdup(type);
	b->cb = cb;
	b->arg = arg;
	mock.b[mock.nb++] = b;
	return (b);
}

int
avahi_service_browser_free(AvahiServiceBrowser *b)
{
	ck_assert(!b->freed);
	b->freed = 1;
	return (0);
}

AvahiClient *
avahi_service_browser_get_client(AvahiServiceBrowser *b)
{
	return (&mock.client);
}

/* Only without [browse] types, which every case here sets. */
AvahiServiceTypeBrowser *
avahi_service_type_browser_new(AvahiClient *client, AvahiIfIndex ifindex,
    AvahiProtocol proto, const char *domain, AvahiLookupFlags flags,
    AvahiServiceTypeBrowserCallback cb, void *arg)
{
	ck_abort_msg("type enumeration started with [browse] types set");
	return (NULL);
}

int
avahi_service_type_browser_free(AvahiServiceTypeBrowser *tb)
{
	ck_abort_msg("no type browser to free");
	return (0);
}

AvahiClient *
avahi_service_type_browser_get_client(AvahiServiceTypeBrowser *tb)
{
	return (&mock.client);
}

int
avahi_client_errno(AvahiClient *client)
{
	return (client->error);
}

/* src/avahi.c's side, on the Avahi thread. */
AvahiClient *
avahi_client(void)
{
	return (&mock.client);
}

void
avahi_post(struct avahi_msg *m)
{
	TAILQ_INSERT_TAIL(&mock.posted, m, entry);
}

void
avahi_stats_publish(const struct avahi_browse_stats *st)
{
	mock.st = *st;
}

/* The suite. */
static struct config	  conf;
static struct event_base *base;

/* Browse SVC_TYPE as a config file with these lines under [browse] says. */
static void
start(const char *browse)
{
	struct config_errors errors;
	char		     text[512];
	FILE		    *f;

	snprintf(text, sizeof(text), "[browse]\ntypes = " SVC_TYPE "\n%s",
	    browse);
	config_defaults(&conf);
	TAILQ_INIT(&errors);
	f = fmemopen(text, strlen(text), "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(config_parse(f, "test.conf", &conf, &errors), 0);
	fclose(f);

	memset(&mock, 0, sizeof(mock));
	TAILQ_INIT(&mock.posted);
	ck_assert_ptr_nonnull(base = event_base_new());
	avahi_browse_init(base, &conf);
	avahi_browse_up(&mock.client);
	ck_assert_uint_eq(mock.nb, 1);
	ck_assert_str_eq(mock.b[0]->type, SVC_TYPE);
}

static void
teardown(void)
{
	struct avahi_msg *m;
	unsigned int	  i;

	avahi_browse_down();
	avahi_browse_shutdown();
	for (i = 0; i < mock.nr; i++) {
		ck_assert(mock.r[i]->freed);
		free(mock.r[i]->name);
		free(mock.r[i]->type);
		free(mock.r[i]->domain);
		free(mock.r[i]);
	}
	for (i = 0; i < mock.nb; i++) {
		free(mock.b[i]->type);
		free(mock.b[i]);
	}
	while ((m = TAILQ_FIRST(&mock.posted)) != NULL) {
		TAILQ_REMOVE(&mock.posted, m, entry);
		avahi_msg_free(m);
	}
	event_base_free(base);
	config_clear(&conf);
}

/* The browser reports an instance on lo, IPv4. */
static void
browser_event(AvahiBrowserEvent event, const char *name)
{
	struct AvahiServiceBrowser *b = mock.b[0];

	b->cb(b, 1, AVAHI_PROTO_INET, event, name, SVC_TYPE, "local", 0,
	    b->arg);
}

static struct AvahiServiceResolver *
resolver_of(const char *name)
{
	unsigned int i;

	for (i = 0; i < mock.nr; i++) {
		if (!mock.r[i]->freed && strcmp(mock.r[i]->name, name) == 0)
			return (mock.r[i]);
	}
	ck_abort_msg("no resolver open for %s", name);
	return (NULL);
}

static void
resolver_event(const char *name, AvahiResolverEvent event)
{
	struct AvahiServiceResolver *r = resolver_of(name);
	AvahiAddress		     a = { .proto = AVAHI_PROTO_INET };

	a.data.ipv4.address = htonl(0x7f000001);
	if (event == AVAHI_RESOLVER_FAILURE)
		mock.client.error = AVAHI_ERR_TIMEOUT;
	r->cb(r, r->ifindex, r->proto, event, r->name, r->type, r->domain,
	    "host.local", &a, 8080, NULL, 0, r->arg);
}

static void
found(const char *name)
{
	resolver_event(name, AVAHI_RESOLVER_FOUND);
}

static void
failed(const char *name)
{
	resolver_event(name, AVAHI_RESOLVER_FAILURE);
}

/* Names, space separated: of resolvers started, or of those not freed. */
static const char *
resolvers(int live)
{
	static char  s[1024];
	unsigned int i;

	s[0] = '\0';
	for (i = 0; i < mock.nr; i++) {
		if (live && mock.r[i]->freed)
			continue;
		if (s[0] != '\0')
			strlcat(s, " ", sizeof(s));
		strlcat(s, mock.r[i]->name, sizeof(s));
	}
	return (s);
}

static const char *
started(void)
{
	return (resolvers(0));
}

static const char *
live(void)
{
	return (resolvers(1));
}

/* Names of the messages of a kind posted to the main loop, in order. */
static const char *
posted(enum avahi_msg_kind kind)
{
	static char	  s[1024];
	struct avahi_msg *m;

	s[0] = '\0';
	TAILQ_FOREACH(m, &mock.posted, entry) {
		if (m->kind != kind)
			continue;
		if (s[0] != '\0')
			strlcat(s, " ", sizeof(s));
		strlcat(s, m->name, sizeof(s));
	}
	return (s);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(base);
}

/*
 * Run the loop for ms milliseconds, or (stop) till a resolver starts if
 * sooner; the seconds it ran.
 */
static double
run(long ms, int stop)
{
	struct event  *deadline;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	double	       t0 = now();

	ck_assert_ptr_nonnull(deadline = evtimer_new(base, deadline_cb, NULL));
	ck_assert_int_eq(evtimer_add(deadline, &tv), 0);
	mock.stop_on_start = stop ? base : NULL;
	ck_assert_int_eq(event_base_dispatch(base), 0);
	mock.stop_on_start = NULL;
	event_free(deadline);
	return (now() - t0);
}

START_TEST(test_abrowse_resolves_at_most_concurrency_at_once_in_order)
{
	char	     name[16];
	unsigned int i;

	start("resolve-concurrency = 3\nresolvers-max = 0\n");
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "i%u", i);
		browser_event(AVAHI_BROWSER_NEW, name);
	}
	browser_event(AVAHI_BROWSER_NEW, "i1"); /* a path seen twice */
	ck_assert_str_eq(posted(AVAHI_MSG_SEEN), "i0 i1 i2 i3 i4 i5 i6 i7");
	ck_assert_str_eq(started(), "i0 i1 i2");
	ck_assert_uint_eq(mock.st.resolving, 3);
	ck_assert_uint_eq(mock.st.queued, 5);

	found("i0");
	ck_assert_str_eq(started(), "i0 i1 i2 i3");
	ck_assert_str_eq(live(), "i1 i2 i3");
	/* Out of order: the next one still comes from the queue's head. */
	found("i2");
	ck_assert_str_eq(started(), "i0 i1 i2 i3 i4");
	ck_assert_str_eq(live(), "i1 i3 i4");
	ck_assert_uint_eq(mock.st.resolving, 3);
	ck_assert_uint_eq(mock.st.queued, 3);

	found("i1");
	ck_assert_str_eq(live(), "i3 i4 i5");
	found("i3");
	ck_assert_str_eq(live(), "i4 i5 i6");
	found("i4");
	ck_assert_str_eq(live(), "i5 i6 i7");
	ck_assert_uint_eq(mock.st.queued, 0);
	found("i5");
	ck_assert_str_eq(live(), "i6 i7");
	ck_assert_uint_eq(mock.st.resolving, 2);
	found("i6");
	found("i7");
	ck_assert_str_eq(started(), "i0 i1 i2 i3 i4 i5 i6 i7");
	ck_assert_str_eq(live(), "");
	ck_assert_uint_eq(mock.calls, 8);
	ck_assert_str_eq(posted(AVAHI_MSG_RESOLVED), "i0 i2 i1 i3 i4 i5 i6 i7");
	ck_assert_uint_eq(mock.st.resolving, 0);
	ck_assert_uint_eq(mock.st.resolutions, 8);
	ck_assert_uint_eq(mock.st.failures, 0);
}
END_TEST

START_TEST(test_abrowse_resolved_message_carries_what_was_found)
{
	struct avahi_msg *m;

	start("resolve-concurrency = 1\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	found("i0");
	m = TAILQ_LAST(&mock.posted, mock_msgs);
	ck_assert_int_eq(m->kind, AVAHI_MSG_RESOLVED);
	ck_assert_str_eq(m->name, "i0");
	ck_assert_str_eq(m->type, SVC_TYPE);
	ck_assert_str_eq(m->domain, "local");
	ck_assert_str_eq(m->host, "host.local");
	ck_assert_uint_eq(m->port, 8080);
	ck_assert_int_eq(m->ifindex, 1);
	ck_assert_int_eq(m->family, AF_INET);
	ck_assert_mem_eq(m->addr, "\x7f\x00\x00\x01", 4);
	/* CLEAR first (browse_up), then SEEN, then RESOLVED. */
	ck_assert_int_eq(TAILQ_FIRST(&mock.posted)->kind, AVAHI_MSG_CLEAR);
}
END_TEST

START_TEST(test_abrowse_frees_every_resolver_with_resolvers_max_0)
{
	start("resolve-concurrency = 3\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	browser_event(AVAHI_BROWSER_NEW, "i1");
	found("i0");
	ck_assert(mock.r[0]->freed);
	ck_assert_str_eq(live(), "i1");
	found("i1");
	ck_assert_str_eq(live(), "");
	ck_assert_uint_eq(mock.st.open, 0);
	ck_assert_uint_eq(mock.st.resolving, 0);
}
END_TEST

START_TEST(test_abrowse_keeps_the_first_resolvers_max_open)
{
	start("resolve-concurrency = 3\nresolvers-max = 2\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	browser_event(AVAHI_BROWSER_NEW, "i1");
	browser_event(AVAHI_BROWSER_NEW, "i2");
	browser_event(AVAHI_BROWSER_NEW, "i3");
	browser_event(AVAHI_BROWSER_NEW, "i4");
	found("i0");
	ck_assert_uint_eq(mock.st.open, 1);
	ck_assert_uint_eq(mock.st.resolving, 3);
	found("i1");
	ck_assert_uint_eq(mock.st.open, 2);
	found("i2");
	found("i3");
	found("i4");
	ck_assert_str_eq(started(), "i0 i1 i2 i3 i4");
	ck_assert_str_eq(live(), "i0 i1");
	ck_assert_uint_eq(mock.st.open, 2);
	ck_assert_uint_eq(mock.st.resolving, 0);
	ck_assert_uint_eq(mock.st.resolutions, 5);

	/* An open resolver reports a change: posted, nothing started. */
	found("i1");
	ck_assert_str_eq(posted(AVAHI_MSG_RESOLVED), "i0 i1 i2 i3 i4 i1");
	ck_assert_str_eq(live(), "i0 i1");
	ck_assert_uint_eq(mock.calls, 5);

	/* Withdrawn: its resolver is freed, and open counts it no more. */
	browser_event(AVAHI_BROWSER_REMOVE, "i0");
	ck_assert(mock.r[0]->freed);
	ck_assert_uint_eq(mock.st.open, 1);
	ck_assert_str_eq(posted(AVAHI_MSG_LOST), "i0");
}
END_TEST

/*
 * Fail i0's resolver BROWSE_TRIES (3) times in a row: queued again and
 * started at once after the first two, left to wait after the third.
 */
static void
fail_three_times(unsigned int before)
{
	failed("i0");
	ck_assert_uint_eq(mock.nr, before + 2);
	ck_assert_uint_eq(mock.st.retrying, 0);
	failed("i0");
	ck_assert_uint_eq(mock.nr, before + 3);
	failed("i0");
	ck_assert_uint_eq(mock.nr, before + 3);
	ck_assert_str_eq(live(), "");
	ck_assert_uint_eq(mock.st.retrying, 1);
	ck_assert_uint_eq(mock.st.queued, 0);
	ck_assert_uint_eq(mock.st.resolving, 0);
}

START_TEST(test_abrowse_retries_a_failing_path_after_1_then_2_s)
{
	double secs;

	start("resolve-concurrency = 3\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	ck_assert_uint_eq(mock.nr, 1);

	fail_three_times(0);
	ck_assert_uint_eq(mock.st.failures, 3);
	/* Other paths are not held up by it. */
	browser_event(AVAHI_BROWSER_NEW, "i1");
	ck_assert_str_eq(live(), "i1");
	found("i1");
	secs = run(2000, 1);
	ck_assert_msg(secs > 0.9 && secs < 1.5, "retried after %.2f s", secs);
	ck_assert_str_eq(started(), "i0 i0 i0 i1 i0");
	ck_assert_uint_eq(mock.st.retrying, 0);
	ck_assert_uint_eq(mock.st.resolving, 1);

	/* Three tries again, then a wait twice as long. */
	fail_three_times(4);
	secs = run(3000, 1);
	ck_assert_msg(secs > 1.9 && secs < 2.5, "retried after %.2f s", secs);
	ck_assert_uint_eq(mock.nr, 8);
	ck_assert_uint_eq(mock.st.retrying, 0);
	found("i0");
	ck_assert_str_eq(posted(AVAHI_MSG_RESOLVED), "i1 i0");
	ck_assert_uint_eq(mock.st.failures, 6);
}
END_TEST

START_TEST(test_abrowse_waits_for_in_flight_when_avahi_has_no_objects_left)
{
	start("resolve-concurrency = 3\nresolvers-max = 0\n");
	mock.objects_max = 2; /* Avahi's objects-per-client-max, here */
	browser_event(AVAHI_BROWSER_NEW, "i0");
	browser_event(AVAHI_BROWSER_NEW, "i1");
	browser_event(AVAHI_BROWSER_NEW, "i2");
	ck_assert_str_eq(started(), "i0 i1");
	ck_assert_uint_eq(mock.refused, 1);
	ck_assert_int_eq(mock.st.paused, 0);
	ck_assert_uint_eq(mock.st.queued, 1);
	/* Tried again at each event, refused, still no pause. */
	browser_event(AVAHI_BROWSER_NEW, "i3");
	ck_assert_uint_eq(mock.refused, 2);
	ck_assert_int_eq(mock.st.paused, 0);
	ck_assert_uint_eq(mock.st.queued, 2);

	found("i0");
	ck_assert_str_eq(started(), "i0 i1 i2");
	ck_assert_uint_eq(mock.st.queued, 1);
	found("i1");
	ck_assert_str_eq(started(), "i0 i1 i2 i3");
	found("i2");
	found("i3");
	ck_assert_uint_eq(mock.st.queued, 0);
	ck_assert_int_eq(mock.st.paused, 0);
	ck_assert_uint_eq(mock.st.failures, mock.refused);
	ck_assert_str_eq(posted(AVAHI_MSG_RESOLVED), "i0 i1 i2 i3");
}
END_TEST

START_TEST(test_abrowse_pauses_when_avahi_has_no_objects_and_none_in_flight)
{
	start("resolve-concurrency = 3\nresolvers-max = 1\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	found("i0"); /* kept open: not in flight */
	ck_assert_uint_eq(mock.st.open, 1);
	mock.refuse = AVAHI_ERR_TOO_MANY_OBJECTS;
	mock.nrefuse = 1;
	browser_event(AVAHI_BROWSER_NEW, "i1");
	ck_assert_uint_eq(mock.refused, 1);
	ck_assert_int_eq(mock.st.paused, 1);
	browser_event(AVAHI_BROWSER_NEW, "i2");
	ck_assert_uint_eq(mock.calls, 2);
	ck_assert_uint_eq(mock.st.queued, 2);
	ck_assert_str_eq(started(), "i0");
}
END_TEST

START_TEST(test_abrowse_pauses_1_s_when_avahi_times_out_then_keeps_order)
{
	double secs;

	start("resolve-concurrency = 3\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	browser_event(AVAHI_BROWSER_NEW, "i1");
	mock.refuse = AVAHI_ERR_TIMEOUT;
	mock.nrefuse = 1;
	browser_event(AVAHI_BROWSER_NEW, "i2");
	ck_assert_uint_eq(mock.refused, 1);
	ck_assert_int_eq(mock.st.paused, 1);
	ck_assert_uint_eq(mock.st.failures, 1);

	/* Nothing starts while paused, whatever happens. */
	browser_event(AVAHI_BROWSER_NEW, "i3");
	found("i0");
	ck_assert_uint_eq(mock.st.resolving, 1);
	ck_assert_uint_eq(mock.st.queued, 2);
	ck_assert_uint_eq(mock.calls, 3);
	secs = run(2000, 1);
	ck_assert_msg(secs > 0.9 && secs < 1.5, "resumed after %.2f s", secs);
	ck_assert_int_eq(mock.st.paused, 0);
	ck_assert_str_eq(started(), "i0 i1 i2 i3");
	ck_assert_uint_eq(mock.st.resolving, 3);
	ck_assert_uint_eq(mock.st.queued, 0);
}
END_TEST

START_TEST(test_abrowse_never_resolves_a_queued_path_withdrawn)
{
	start("resolve-concurrency = 1\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	browser_event(AVAHI_BROWSER_NEW, "i1");
	browser_event(AVAHI_BROWSER_NEW, "i2");
	ck_assert_uint_eq(mock.st.queued, 2);
	browser_event(AVAHI_BROWSER_REMOVE, "i1");
	ck_assert_uint_eq(mock.st.queued, 1);
	ck_assert_str_eq(posted(AVAHI_MSG_LOST), "i1");
	ck_assert_str_eq(live(), "i0");
	found("i0");
	ck_assert_str_eq(started(), "i0 i2");
	found("i2");
	ck_assert_str_eq(started(), "i0 i2");
	ck_assert_str_eq(posted(AVAHI_MSG_RESOLVED), "i0 i2");
	/* Unknown: nothing to say. */
	browser_event(AVAHI_BROWSER_REMOVE, "i1");
	ck_assert_str_eq(posted(AVAHI_MSG_LOST), "i1");
}
END_TEST

START_TEST(test_abrowse_frees_the_resolver_of_a_path_withdrawn)
{
	start("resolve-concurrency = 1\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	browser_event(AVAHI_BROWSER_NEW, "i1");
	browser_event(AVAHI_BROWSER_REMOVE, "i0");
	ck_assert(mock.r[0]->freed);
	ck_assert_str_eq(posted(AVAHI_MSG_LOST), "i0");
	/* Its room in flight goes to the next. */
	ck_assert_str_eq(started(), "i0 i1");
	ck_assert_str_eq(live(), "i1");
	ck_assert_uint_eq(mock.st.resolving, 1);
	found("i1");
	ck_assert_str_eq(posted(AVAHI_MSG_RESOLVED), "i1");
	ck_assert_uint_eq(mock.st.resolving, 0);
}
END_TEST

START_TEST(test_abrowse_forgets_a_retrying_path_withdrawn)
{
	start("resolve-concurrency = 1\nresolvers-max = 0\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	failed("i0");
	failed("i0");
	failed("i0");
	ck_assert_uint_eq(mock.st.retrying, 1);
	browser_event(AVAHI_BROWSER_REMOVE, "i0");
	ck_assert_uint_eq(mock.st.retrying, 0);
	ck_assert_str_eq(posted(AVAHI_MSG_LOST), "i0");
	ck_assert_uint_eq(mock.nr, 3);
}
END_TEST

/*
 * BROWSE_TRIES counts failures in a row: a path whose resolver fails now
 * and then, with answers in between, is tried again at once each time
 * and never left to wait.  The published figures follow an open
 * resolver's change at once.
 */
START_TEST(test_abrowse_counts_failures_in_a_row_only)
{
	int k;

	start("resolve-concurrency = 3\nresolvers-max = 1\n");
	browser_event(AVAHI_BROWSER_NEW, "i0");
	found("i0");
	ck_assert_uint_eq(mock.st.open, 1);
	for (k = 0; k < 4; k++) {
		failed("i0"); /* queued again, started at once */
		ck_assert_str_eq(live(), "i0");
		ck_assert_uint_eq(mock.st.retrying, 0);
		found("i0");
	}
	ck_assert_uint_eq(mock.nr, 5);
	ck_assert_uint_eq(mock.st.failures, 4);
	ck_assert_uint_eq(mock.st.resolutions, 5);
	found("i0"); /* a change reported by the open resolver */
	ck_assert_uint_eq(mock.st.resolutions, 6);
}
END_TEST

static Suite *
abrowse_suite(void)
{
	Suite *s = suite_create("abrowse");
	TCase *tc;

	tc = tcase_create("queue");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc,
	    test_abrowse_resolves_at_most_concurrency_at_once_in_order);
	tcase_add_test(tc,
	    test_abrowse_resolved_message_carries_what_was_found);
	tcase_add_test(tc,
	    test_abrowse_frees_every_resolver_with_resolvers_max_0);
	tcase_add_test(tc, test_abrowse_keeps_the_first_resolvers_max_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc,
	    test_abrowse_retries_a_failing_path_after_1_then_2_s);
	tcase_add_test(tc,
	    test_abrowse_waits_for_in_flight_when_avahi_has_no_objects_left);
	tcase_add_test(tc,
	    test_abrowse_pauses_when_avahi_has_no_objects_and_none_in_flight);
	tcase_add_test(tc,
	    test_abrowse_pauses_1_s_when_avahi_times_out_then_keeps_order);
	suite_add_tcase(s, tc);

	tc = tcase_create("withdrawn");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_abrowse_never_resolves_a_queued_path_withdrawn);
	tcase_add_test(tc, test_abrowse_frees_the_resolver_of_a_path_withdrawn);
	tcase_add_test(tc, test_abrowse_forgets_a_retrying_path_withdrawn);
	tcase_add_test(tc, test_abrowse_counts_failures_in_a_row_only);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(abrowse_suite)
