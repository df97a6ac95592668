/*
 * The connection to avahi-daemon over D-Bus.
 *
 * The client is made with AVAHI_CLIENT_NO_FAIL, so it waits for a missing
 * avahi-daemon (CONNECTING) and follows it across restarts by itself.  When
 * D-Bus itself goes away the client fails for good; it is then freed and a
 * new one made after a back-off.  discod keeps serving from what it knows
 * throughout; the hooks tell announce and browse when to start again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <avahi-common/domain.h>
#include <avahi-common/error.h>

#include "discod.h"

static struct {
	struct event_base *base;
	struct apoll	  *apoll;
	AvahiClient	  *client;
	enum avahi_state   state;
	time_t		   since; /* CLOCK_MONOTONIC seconds */
	unsigned int	   outages;
	int		   up; /* hooks told up() */
	char		   host[AVAHI_DOMAIN_NAME_MAX];
	char		   error[128];
	struct event	  *retry;
	unsigned int	   retry_delay; /* the last wait, seconds */
	unsigned int	   retry_max;
	TAILQ_HEAD(, avahi_hook) hooks;
} av;

static void avahi_connect(void);

static time_t
avahi_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
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

static void
avahi_set_state(enum avahi_state state)
{
	if (state == av.state)
		return;
	log_info("avahi: %s -> %s%s%s", avahi_state_name(av.state),
	    avahi_state_name(state),
	    av.error[0] != '\0' && state != AVAHI_STATE_RUNNING ? ": " : "",
	    state != AVAHI_STATE_RUNNING ? av.error : "");
	if (av.state == AVAHI_STATE_RUNNING)
		av.outages++;
	av.state = state;
	av.since = avahi_now();
	if (state == AVAHI_STATE_RUNNING)
		notify_status("avahi running, host %s", av.host);
	else
		notify_status("avahi %s", avahi_state_name(state));
}

static void
avahi_hooks_up(AvahiClient *c)
{
	struct avahi_hook *h, *next;

	if (av.up)
		return;
	av.up = 1;
	TAILQ_FOREACH_SAFE(h, &av.hooks, entry, next) {
		if (h->up != NULL)
			h->up(c, h->arg);
	}
}

static void
avahi_hooks_down(void)
{
	struct avahi_hook *h, *next;

	if (!av.up)
		return;
	av.up = 0;
	TAILQ_FOREACH_SAFE(h, &av.hooks, entry, next) {
		if (h->down != NULL)
			h->down(h->arg);
	}
}

static void
avahi_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	if (av.client != NULL) {
		avahi_client_free(av.client);
		av.client = NULL;
	}
	avahi_connect();
}

/* Drop the client (never from inside its own callback) and try again. */
static void
avahi_schedule_retry(void)
{
	struct timeval tv;

	avahi_set_state(AVAHI_STATE_DISCONNECTED);
	tv.tv_sec = backoff_next(&av.retry_delay, av.retry_max);
	tv.tv_usec = 0;
	log_info("avahi: reconnecting in %u s", av.retry_delay);
	evtimer_add(av.retry, &tv);
}

static void
avahi_client_cb(AvahiClient *c, AvahiClientState state, void *arg)
{
	const char *host;

	/* The first call comes from inside avahi_client_new(). */
	av.client = c;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		if ((host = avahi_client_get_host_name_fqdn(c)) != NULL)
			strlcpy(av.host, host, sizeof(av.host));
		av.error[0] = '\0';
		av.retry_delay = 0;
		avahi_set_state(AVAHI_STATE_RUNNING);
		avahi_hooks_up(c);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
		av.error[0] = '\0';
		avahi_set_state(AVAHI_STATE_REGISTERING);
		avahi_hooks_down();
		break;
	case AVAHI_CLIENT_S_COLLISION:
		strlcpy(av.error, "host name collision", sizeof(av.error));
		avahi_set_state(AVAHI_STATE_COLLISION);
		avahi_hooks_down();
		break;
	case AVAHI_CLIENT_CONNECTING:
		strlcpy(av.error, "avahi-daemon is not running",
		    sizeof(av.error));
		avahi_set_state(AVAHI_STATE_CONNECTING);
		avahi_hooks_down();
		break;
	case AVAHI_CLIENT_FAILURE:
		strlcpy(av.error, avahi_strerror(avahi_client_errno(c)),
		    sizeof(av.error));
		avahi_set_state(AVAHI_STATE_FAILURE);
		avahi_hooks_down();
		/*
		 * Only D-Bus going away (or a daemon that refuses us) ends up
		 * here with NO_FAIL: this client is finished.
		 */
		avahi_schedule_retry();
		break;
	}
}

static void
avahi_connect(void)
{
	AvahiClient *c;
	int	     error;

	c = avahi_client_new(apoll_get(av.apoll), AVAHI_CLIENT_NO_FAIL,
	    avahi_client_cb, NULL, &error);
	if (c == NULL) {
		strlcpy(av.error, avahi_strerror(error), sizeof(av.error));
		log_warnx("avahi: cannot connect: %s", av.error);
		avahi_schedule_retry();
		return;
	}
	if (av.retry != NULL && evtimer_pending(av.retry, NULL))
		return; /* failed inside avahi_client_new */
	av.client = c;
}

void
avahi_start(struct event_base *base, unsigned int retry_max)
{
	av.base = base;
	av.retry_max = retry_max;
	av.retry_delay = 0;
	av.state = AVAHI_STATE_DISCONNECTED;
	av.since = avahi_now();
	if (av.hooks.tqh_last == NULL)
		TAILQ_INIT(&av.hooks);
	av.apoll = apoll_new(base);
	av.retry = evtimer_new(base, avahi_retry_cb, NULL);
	avahi_connect();
}

void
avahi_stop(void)
{
	avahi_hooks_down();
	if (av.retry != NULL) {
		event_free(av.retry);
		av.retry = NULL;
	}
	if (av.client != NULL) {
		avahi_client_free(av.client);
		av.client = NULL;
	}
	apoll_free(av.apoll);
	av.apoll = NULL;
}

void
avahi_hook_add(struct avahi_hook *h)
{
	if (av.hooks.tqh_last == NULL)
		TAILQ_INIT(&av.hooks);
	TAILQ_INSERT_TAIL(&av.hooks, h, entry);
	if (av.up && h->up != NULL)
		h->up(av.client, h->arg);
}

void
avahi_hook_remove(struct avahi_hook *h)
{
	TAILQ_REMOVE(&av.hooks, h, entry);
}

enum avahi_state
avahi_state(void)
{
	return (av.state);
}

AvahiClient *
avahi_client(void)
{
	return (av.state == AVAHI_STATE_RUNNING ? av.client : NULL);
}

const char *
avahi_host_name(void)
{
	return (av.host[0] != '\0' ? av.host : NULL);
}

time_t
avahi_state_since(void)
{
	return (avahi_now() - av.since);
}

unsigned int
avahi_outages(void)
{
	return (av.outages);
}

const char *
avahi_last_error(void)
{
	return (av.error[0] != '\0' ? av.error : NULL);
}
