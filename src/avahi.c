/*
 * The Avahi thread, and the two queues between it and the main loop.
 *
 * Every avahi-client call that creates, changes or frees an object is a
 * synchronous D-Bus round trip, and libdbus waits up to 25 s for an
 * answer.  While avahi-daemon or the bus is slow or hung (SIGSTOP, a swap
 * storm, a daemon swamped by a peer's thousands of services), a loop that
 * made those calls would answer nobody.  So the main loop never makes
 * one: this thread owns the AvahiClient and every Avahi object, and runs
 * them on an event base of its own (apoll.c, avahi-group.c,
 * avahi-browse.c).  The main loop keeps the cache, the verbs, the socket,
 * DNS, health checks and liveness, and never waits for this thread.
 *
 * They share nothing but this file's queue state, under one mutex that is
 * never held across a call to Avahi: the main loop sends what it wants
 * (an announcement's desired state, a subtype to browse) and the thread
 * sends what Avahi reports (its state, entry group states, instances seen,
 * lost and resolved).  Each message is a heap object that its receiver
 * frees; an eventfd wakes the receiver when its queue turns non-empty.
 * Each side reads a bounded batch per wake-up, so neither floods the
 * other's loop.
 *
 * The client is made with AVAHI_CLIENT_NO_FAIL, so it waits for a missing
 * avahi-daemon and follows it across restarts by itself.  When D-Bus
 * itself goes away the client fails for good; it is then freed and a new
 * one made after a back-off.
 *
 * A hung avahi-daemon is seen from the main loop: the thread beats every
 * AVAHI_BEAT_MS between two calls, and a beat older than AVAHI_STALL_MS
 * means a call has been outstanding that long.  status and the log say
 * so, and requests that would wait for Avahi (a register's reply, a
 * subtype's first answer) do not.  doc/avahi.md has the design.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <avahi-common/domain.h>
#include <avahi-common/error.h>

#include "discod.h"

#define AVAHI_BEAT_MS	 100
#define AVAHI_STALL_MS	 1000
#define AVAHI_BATCH	 256 /* messages handled per wake-up */
#define AVAHI_WORK_BATCH 16  /* Avahi calls' worth of work per turn */
#define AVAHI_JOIN_SECS	 10  /* stop: goodbyes, then leave without */

TAILQ_HEAD(avahi_msgq, avahi_msg);

/* Shared by both threads, under lock; never held across an Avahi call. */
static struct {
	pthread_mutex_t	  lock;
	struct avahi_msgq to_thread;
	struct avahi_msgq to_main;
	unsigned int	  ntothread;
	unsigned int	  backlog;   /* wishes taken in, not applied */
	int		  fd_thread; /* eventfd: to_thread turned non-empty */
	int		  fd_main;   /* eventfd: to_main turned non-empty */
	long long	  beat;	     /* ms, monotonic: the thread's last */
	int		  done;	     /* the thread has finished */
	unsigned int	  retry_max;
	struct avahi_browse_stats stats;
} aq = { .lock = PTHREAD_MUTEX_INITIALIZER, .fd_thread = -1, .fd_main = -1 };

/* The main loop's. */
static struct {
	struct event_base   *base;
	const struct config *conf;
	struct event	    *rx;
	struct event	    *watchdog;
	pthread_t	     thread;
	int		     started;
	enum avahi_state     state;
	time_t		     since; /* CLOCK_MONOTONIC seconds */
	unsigned int	     outages;
	int		     up; /* hooks told up() */
	char		     host[AVAHI_DOMAIN_NAME_MAX];
	char		     error[128];
	long long	     stall_start; /* ms; 0: responsive */
	unsigned int	     stalls;
	long long	     stall_longest; /* ms */
	TAILQ_HEAD(, avahi_hook) hooks;
} am;

/* The Avahi thread's. */
static struct {
	struct event_base *base;
	struct apoll	  *apoll;
	AvahiClient	  *client;
	enum avahi_state   state;
	struct event	  *rx;
	struct event	  *work;
	struct event	  *beat;
	struct event	  *retry;
	unsigned int	   retry_delay;
	int		   stopping;
} at;

static void avahi_connect(void);

static long long
avahi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
avahi_wake(int fd)
{
	uint64_t one = 1;

	while (write(fd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

static void
avahi_drain_fd(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == -1 && errno == EINTR)
		;
}

/* Take up to max messages off a queue; 1 when some are left. */
static int
avahi_take(int to_main, struct avahi_msg **batch, size_t max, size_t *n)
{
	struct avahi_msgq *q = to_main ? &aq.to_main : &aq.to_thread;
	struct avahi_msg  *m;
	int		   left;

	*n = 0;
	pthread_mutex_lock(&aq.lock);
	while (*n < max && (m = TAILQ_FIRST(q)) != NULL) {
		TAILQ_REMOVE(q, m, entry);
		if (!to_main)
			aq.ntothread--;
		batch[(*n)++] = m;
	}
	left = !TAILQ_EMPTY(q);
	pthread_mutex_unlock(&aq.lock);
	return (left);
}

/*
 * Main loop: hand a message to the Avahi thread (it takes the message).
 * Without a thread (the fuzzers run the daemon without one) it is dropped.
 */
void
avahi_send(struct avahi_msg *m)
{
	int was_empty;

	if (!am.started) {
		avahi_msg_free(m);
		return;
	}
	pthread_mutex_lock(&aq.lock);
	was_empty = TAILQ_EMPTY(&aq.to_thread);
	TAILQ_INSERT_TAIL(&aq.to_thread, m, entry);
	aq.ntothread++;
	pthread_mutex_unlock(&aq.lock);
	if (was_empty)
		avahi_wake(aq.fd_thread);
}

/* Avahi thread: hand a message to the main loop. */
void
avahi_post(struct avahi_msg *m)
{
	int was_empty;

	pthread_mutex_lock(&aq.lock);
	was_empty = TAILQ_EMPTY(&aq.to_main);
	TAILQ_INSERT_TAIL(&aq.to_main, m, entry);
	pthread_mutex_unlock(&aq.lock);
	if (was_empty)
		avahi_wake(aq.fd_main);
}

/* Avahi thread: the browse counters status shows. */
void
avahi_stats_publish(const struct avahi_browse_stats *s)
{
	pthread_mutex_lock(&aq.lock);
	aq.stats = *s;
	pthread_mutex_unlock(&aq.lock);
}

void
avahi_stats_get(struct avahi_browse_stats *s)
{
	pthread_mutex_lock(&aq.lock);
	*s = aq.stats;
	pthread_mutex_unlock(&aq.lock);
}

const char *
avahi_state_name(enum avahi_state state)
{
	switch (state) {
	case AVAHI_STATE_DISCONNECTED:
		return ("disconnected");
	case AVAHI_STATE_CONNECTING:
		return ("connecting");
	case AVAHI_STATE_REGISTERING:
		return ("registering");
	case AVAHI_STATE_RUNNING:
		return ("running");
	case AVAHI_STATE_COLLISION:
		return ("collision");
	case AVAHI_STATE_FAILURE:
		return ("failure");
	}
	return ("unknown");
}

/* ---- The Avahi thread ---- */

/* Avahi thread: the client, while it runs; NULL otherwise. */
AvahiClient *
avahi_client(void)
{
	return (at.state == AVAHI_STATE_RUNNING ? at.client : NULL);
}

/* Tell the main loop; start or stop everything on the way in or out. */
static void
avahi_thread_state(enum avahi_state state, const char *error)
{
	struct avahi_msg *m;
	enum avahi_state  was = at.state;
	const char	 *host;

	if (state == was && state != AVAHI_STATE_RUNNING)
		return;
	at.state = state;
	m = avahi_msg_new(AVAHI_MSG_STATE);
	m->state = state;
	if (error != NULL)
		strlcpy(m->text, error, sizeof(m->text));
	if (state == AVAHI_STATE_RUNNING && at.client != NULL &&
	    (host = avahi_client_get_host_name_fqdn(at.client)) != NULL)
		m->host = xstrdup(host);
	avahi_post(m);
	if (was == AVAHI_STATE_RUNNING && state != AVAHI_STATE_RUNNING) {
		avahi_group_down();
		avahi_browse_down();
	} else if (state == AVAHI_STATE_RUNNING && was != state) {
		avahi_browse_up(at.client);
		avahi_group_up();
		event_active(at.work, EV_TIMEOUT, 0);
	}
}

static void
avahi_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	if (at.client != NULL) {
		avahi_client_free(at.client);
		at.client = NULL;
	}
	avahi_connect();
}

/* Drop the client (never from inside its own callback) and try again. */
static void
avahi_schedule_retry(const char *error)
{
	struct timeval tv;
	unsigned int   max;

	avahi_thread_state(AVAHI_STATE_DISCONNECTED, error);
	pthread_mutex_lock(&aq.lock);
	max = aq.retry_max;
	pthread_mutex_unlock(&aq.lock);
	tv.tv_sec = backoff_next(&at.retry_delay, max);
	tv.tv_usec = 0;
	log_info("avahi: reconnecting in %u s", at.retry_delay);
	evtimer_add(at.retry, &tv);
}

static void
avahi_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	/* The first call comes from inside avahi_client_new(). */
	at.client = c;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		at.retry_delay = 0;
		avahi_thread_state(AVAHI_STATE_RUNNING, NULL);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
		avahi_thread_state(AVAHI_STATE_REGISTERING, NULL);
		break;
	case AVAHI_CLIENT_S_COLLISION:
		avahi_thread_state(AVAHI_STATE_COLLISION,
		    "host name collision");
		break;
	case AVAHI_CLIENT_CONNECTING:
		avahi_thread_state(AVAHI_STATE_CONNECTING,
		    "avahi-daemon is not running");
		break;
	case AVAHI_CLIENT_FAILURE:
		avahi_thread_state(AVAHI_STATE_FAILURE,
		    avahi_strerror(avahi_client_errno(c)));
		/*
		 * Only D-Bus going away (or a daemon that refuses us) ends up
		 * here with NO_FAIL: this client is finished.
		 */
		avahi_schedule_retry(avahi_strerror(avahi_client_errno(c)));
		break;
	}
}

static void
avahi_connect(void)
{
	AvahiClient *c;
	int	     error;

	c = avahi_client_new(apoll_get(at.apoll), AVAHI_CLIENT_NO_FAIL,
	    avahi_client_cb, NULL, &error);
	if (c == NULL) {
		log_warnx("avahi: cannot connect: %s", avahi_strerror(error));
		avahi_schedule_retry(avahi_strerror(error));
		return;
	}
	if (evtimer_pending(at.retry, NULL))
		return; /* failed inside avahi_client_new */
	at.client = c;
}

static void
avahi_beat_cb(evutil_socket_t fd, short what, void *arg)
{
	pthread_mutex_lock(&aq.lock);
	aq.beat = avahi_now_ms();
	pthread_mutex_unlock(&aq.lock);
}

static void
avahi_backlog_publish(void)
{
	pthread_mutex_lock(&aq.lock);
	aq.backlog = avahi_group_backlog();
	pthread_mutex_unlock(&aq.lock);
}

/*
 * What the main loop asked for, taken in: cheap, no Avahi call.  The
 * calls are made by avahi_work_cb, a few at a time, against the latest
 * wishes: an announcement changed twice while Avahi was hung is
 * published once, as it is now.
 */
static void
avahi_thread_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct avahi_msg *batch[AVAHI_BATCH];
	size_t		  i, n;
	int		  left;

	avahi_drain_fd(aq.fd_thread);
	left = avahi_take(0, batch, AVAHI_BATCH, &n);
	for (i = 0; i < n; i++) {
		switch (batch[i]->kind) {
		case AVAHI_MSG_GROUP:
			avahi_group_msg(batch[i]);
			break;
		case AVAHI_MSG_SUBTYPE:
			avahi_browse_subtype_msg(batch[i]);
			break;
		case AVAHI_MSG_STOP:
			at.stopping = 1;
			avahi_msg_free(batch[i]);
			break;
		default:
			avahi_msg_free(batch[i]);
			break;
		}
	}
	avahi_backlog_publish();
	if (left)
		event_active(at.rx, EV_READ, 0);
	event_active(at.work, EV_TIMEOUT, 0);
}

static void
avahi_thread_finish(void)
{
	avahi_group_down();
	avahi_group_shutdown();
	avahi_browse_down();
	avahi_browse_shutdown();
	if (at.client != NULL) {
		avahi_client_free(at.client);
		at.client = NULL;
	}
	event_base_loopbreak(at.base);
}

/* A few Avahi calls' worth of what is wanted, then back to the loop. */
static void
avahi_work_cb(evutil_socket_t fd, short what, void *arg)
{
	int i, more = 0;

	for (i = 0; i < AVAHI_WORK_BATCH; i++) {
		more = avahi_group_work();
		more = avahi_browse_work() || more;
		avahi_backlog_publish();
		if (!more)
			break;
	}
	if (more) {
		event_active(at.work, EV_TIMEOUT, 0);
		return;
	}
	if (at.stopping)
		avahi_thread_finish();
}

static void *
avahi_thread_main(void *arg)
{
	at.base = arg;
	at.state = AVAHI_STATE_DISCONNECTED;
	at.apoll = apoll_new(at.base);
	at.retry = evtimer_new(at.base, avahi_retry_cb, NULL);
	at.work = event_new(at.base, -1, 0, avahi_work_cb, NULL);
	at.rx = event_new(at.base, aq.fd_thread, EV_READ | EV_PERSIST,
	    avahi_thread_rx_cb, NULL);
	at.beat = event_new(at.base, -1, EV_PERSIST, avahi_beat_cb, NULL);
	avahi_browse_init(at.base, am.conf);
	if (at.retry == NULL || at.work == NULL || at.rx == NULL ||
	    at.beat == NULL || event_add(at.rx, NULL) == -1 ||
	    event_add(at.beat, &(struct timeval){ 0, AVAHI_BEAT_MS * 1000 }) ==
		-1)
		fatalx("%s: cannot set up the Avahi thread's events", __func__);
	avahi_connect();
	event_base_dispatch(at.base);

	event_free(at.beat);
	event_free(at.rx);
	event_free(at.work);
	event_free(at.retry);
	apoll_free(at.apoll);
	event_base_free(at.base);
	pthread_mutex_lock(&aq.lock);
	aq.done = 1;
	pthread_mutex_unlock(&aq.lock);
	avahi_wake(aq.fd_main);
	return (NULL);
}

/* ---- The main loop ---- */

static time_t
avahi_now(void)
{
	return ((time_t)(avahi_now_ms() / 1000));
}

static void
avahi_hooks_up(void)
{
	struct avahi_hook *h, *next;

	if (am.up)
		return;
	am.up = 1;
	TAILQ_FOREACH_SAFE(h, &am.hooks, entry, next) {
		if (h->up != NULL)
			h->up(h->arg);
	}
}

static void
avahi_hooks_down(void)
{
	struct avahi_hook *h, *next;

	if (!am.up)
		return;
	am.up = 0;
	TAILQ_FOREACH_SAFE(h, &am.hooks, entry, next) {
		if (h->down != NULL)
			h->down(h->arg);
	}
}

static void
avahi_main_state(struct avahi_msg *m)
{
	enum avahi_state state = m->state;

	if (m->host != NULL)
		strlcpy(am.host, m->host, sizeof(am.host));
	strlcpy(am.error, m->text, sizeof(am.error));
	if (state != am.state) {
		log_info("avahi: %s -> %s%s%s", avahi_state_name(am.state),
		    avahi_state_name(state),
		    am.error[0] != '\0' && state != AVAHI_STATE_RUNNING ? ": " :
									  "",
		    state != AVAHI_STATE_RUNNING ? am.error : "");
		if (am.state == AVAHI_STATE_RUNNING)
			am.outages++;
		am.state = state;
		am.since = avahi_now();
	}
	if (state == AVAHI_STATE_RUNNING) {
		notify_status("avahi running, host %s", am.host);
		avahi_hooks_up();
	} else {
		notify_status("avahi %s", avahi_state_name(state));
		avahi_hooks_down();
	}
}

static void
avahi_main_rx_cb(evutil_socket_t fd, short what, void *arg)
{
	struct avahi_msg *batch[AVAHI_BATCH];
	size_t		  i, n;
	int		  left;

	avahi_drain_fd(aq.fd_main);
	left = avahi_take(1, batch, AVAHI_BATCH, &n);
	for (i = 0; i < n; i++) {
		switch (batch[i]->kind) {
		case AVAHI_MSG_STATE:
			avahi_main_state(batch[i]);
			break;
		case AVAHI_MSG_GROUP_STATE:
			announce_avahi_msg(batch[i]);
			break;
		case AVAHI_MSG_CLEAR:
		case AVAHI_MSG_SEEN:
		case AVAHI_MSG_LOST:
		case AVAHI_MSG_RESOLVED:
		case AVAHI_MSG_SUB_NEW:
		case AVAHI_MSG_SUB_REMOVE:
		case AVAHI_MSG_SUB_READY:
			browse_avahi_msg(batch[i]);
			break;
		default:
			break;
		}
		avahi_msg_free(batch[i]);
	}
	if (left)
		event_active(am.rx, EV_READ, 0);
}

/* How long the thread's current call has been outstanding, ms; 0: none. */
static long long
avahi_stalled_ms(void)
{
	long long beat, age;

	pthread_mutex_lock(&aq.lock);
	beat = aq.beat;
	pthread_mutex_unlock(&aq.lock);
	age = avahi_now_ms() - beat;
	return (age >= AVAHI_STALL_MS ? age : 0);
}

/* Is the Avahi thread stuck in a call? Log the turns. */
static void
avahi_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	long long stalled = avahi_stalled_ms(), took;

	if (stalled > 0 && am.stall_start == 0) {
		am.stall_start = avahi_now_ms() - stalled;
		am.stalls++;
		log_warnx("avahi: avahi-daemon or D-Bus has not answered for "
			  "%lld ms: answering from the cache, registrations "
			  "wait",
		    stalled);
	} else if (stalled == 0 && am.stall_start != 0) {
		took = avahi_now_ms() - am.stall_start;
		if (took > am.stall_longest)
			am.stall_longest = took;
		am.stall_start = 0;
		log_info("avahi: the call to avahi-daemon returned (answered "
			 "or timed out) after about %lld ms",
		    took);
	}
}

/* Has the thread work waiting (a reply would wait behind it)? */
int
avahi_busy(void)
{
	int busy;

	pthread_mutex_lock(&aq.lock);
	busy = aq.ntothread > 0 || aq.backlog > 0;
	pthread_mutex_unlock(&aq.lock);
	return (busy);
}

/* Is Avahi answering, as far as the main loop can tell without asking? */
int
avahi_responsive(void)
{
	return (am.started && avahi_stalled_ms() == 0);
}

void
avahi_start(struct event_base *base, const struct config *conf)
{
	struct event_base *tbase;
	sigset_t	   all, old;
	int		   rc;

	am.base = base;
	am.conf = conf;
	am.state = AVAHI_STATE_DISCONNECTED;
	am.since = avahi_now();
	if (am.hooks.tqh_last == NULL)
		TAILQ_INIT(&am.hooks);
	TAILQ_INIT(&aq.to_thread);
	TAILQ_INIT(&aq.to_main);
	aq.retry_max = conf->avahi_retry_max;
	aq.beat = avahi_now_ms();
	aq.done = 0;
	if ((aq.fd_thread = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    (aq.fd_main = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1)
		fatal("%s: eventfd", __func__);
	am.rx = event_new(base, aq.fd_main, EV_READ | EV_PERSIST,
	    avahi_main_rx_cb, NULL);
	am.watchdog = event_new(base, -1, EV_PERSIST, avahi_watchdog_cb, NULL);
	if (am.rx == NULL || am.watchdog == NULL ||
	    event_add(am.rx, NULL) == -1 ||
	    event_add(am.watchdog,
		&(struct timeval){ 0, AVAHI_STALL_MS * 1000 / 4 }) == -1)
		fatalx("%s: cannot watch the Avahi thread", __func__);
	if ((tbase = event_base_new()) == NULL)
		fatalx("%s: event_base_new failed", __func__);
	/* Signals are the main loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&am.thread, NULL, avahi_thread_main, tbase);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errno = rc;
		fatal("%s: pthread_create", __func__);
	}
	am.started = 1;
}

/*
 * Stop the thread: it withdraws what it announced (peers get goodbyes)
 * and frees the client.  A hung avahi-daemon is not waited for past
 * AVAHI_JOIN_SECS: the thread is left blocked and the process exits
 * without the goodbyes (peers' caches expire the records).
 */
void
avahi_stop(void)
{
	struct timespec	  ts;
	struct avahi_msg *m;
	int		  rc;

	avahi_hooks_down();
	if (!am.started)
		return;
	avahi_send(avahi_msg_new(AVAHI_MSG_STOP));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += AVAHI_JOIN_SECS;
	if ((rc = pthread_timedjoin_np(am.thread, NULL, &ts)) != 0) {
		log_warnx("avahi: avahi-daemon did not answer in %d s: "
			  "stopping without goodbyes",
		    AVAHI_JOIN_SECS);
		am.started = 0;
		return; /* the thread still owns its objects */
	}
	am.started = 0;
	event_free(am.rx);
	event_free(am.watchdog);
	am.rx = am.watchdog = NULL;
	while ((m = TAILQ_FIRST(&aq.to_main)) != NULL) {
		TAILQ_REMOVE(&aq.to_main, m, entry);
		avahi_msg_free(m);
	}
	while ((m = TAILQ_FIRST(&aq.to_thread)) != NULL) {
		TAILQ_REMOVE(&aq.to_thread, m, entry);
		avahi_msg_free(m);
	}
	close(aq.fd_thread);
	close(aq.fd_main);
	aq.fd_thread = aq.fd_main = -1;
}

void
avahi_set_retry_max(unsigned int secs)
{
	pthread_mutex_lock(&aq.lock);
	aq.retry_max = secs;
	pthread_mutex_unlock(&aq.lock);
}

void
avahi_hook_add(struct avahi_hook *h)
{
	if (am.hooks.tqh_last == NULL)
		TAILQ_INIT(&am.hooks);
	TAILQ_INSERT_TAIL(&am.hooks, h, entry);
	if (am.up && h->up != NULL)
		h->up(h->arg);
}

void
avahi_hook_remove(struct avahi_hook *h)
{
	TAILQ_REMOVE(&am.hooks, h, entry);
}

enum avahi_state
avahi_state(void)
{
	return (am.state);
}

const char *
avahi_host_name(void)
{
	return (am.host[0] != '\0' ? am.host : NULL);
}

time_t
avahi_state_since(void)
{
	return (avahi_now() - am.since);
}

unsigned int
avahi_outages(void)
{
	return (am.outages);
}

const char *
avahi_last_error(void)
{
	return (am.error[0] != '\0' ? am.error : NULL);
}

/* status's "avahi": the client's state and the thread's. */
struct json_object *
avahi_status_json(void)
{
	struct json_object *o = json_object_new_object();
	const char	   *error;
	long long	    stalled = avahi_stalled_ms();
	unsigned int	    queued;

	pthread_mutex_lock(&aq.lock);
	queued = aq.ntothread;
	pthread_mutex_unlock(&aq.lock);
	json_object_object_add(o, "state",
	    json_object_new_string(avahi_state_name(am.state)));
	json_object_object_add(o, "since",
	    json_object_new_int64((int64_t)avahi_state_since()));
	json_object_object_add(o, "outages", json_object_new_int64(am.outages));
	if ((error = avahi_last_error()) != NULL &&
	    am.state != AVAHI_STATE_RUNNING)
		json_object_object_add(o, "error",
		    json_object_new_string(error));
	json_object_object_add(o, "responsive",
	    json_object_new_boolean(am.started && stalled == 0));
	json_object_object_add(o, "stalled_ms",
	    json_object_new_int64(am.started ? stalled : 0));
	json_object_object_add(o, "stalls", json_object_new_int64(am.stalls));
	json_object_object_add(o, "longest_stall_ms",
	    json_object_new_int64(am.stall_longest));
	json_object_object_add(o, "queued", json_object_new_int64(queued));
	return (o);
}
