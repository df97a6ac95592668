/*
 * Avahi's poll abstraction (AvahiPoll) on a libevent base, so that the
 * Avahi client runs in discod's one loop.  Debian does not package
 * avahi-libevent; when configure finds it, this file wraps it instead.
 *
 * Avahi may free a watch or a timeout from inside its own callback.  The
 * callback is the last thing run with the object, and libevent allows an
 * event to be freed from its own callback, so freeing at once is safe.
 */
#include "config.h"

#include <sys/time.h>

#include <stdlib.h>

#include <avahi-common/timeval.h>
#include <event2/event.h>

#include "discod.h"

#ifdef HAVE_AVAHI_LIBEVENT
#include <avahi-libevent/libevent-watch.h>

struct apoll {
	AvahiLibeventPoll *p;
};

struct apoll *
apoll_new(struct event_base *base)
{
	struct apoll *ap;

	ap = xcalloc(1, sizeof(*ap));
	if ((ap->p = avahi_libevent_poll_new(base)) == NULL)
		fatalx("%s: avahi_libevent_poll_new failed", __func__);
	return (ap);
}

const AvahiPoll *
apoll_get(struct apoll *ap)
{
	return (avahi_libevent_poll_get(ap->p));
}

void
apoll_free(struct apoll *ap)
{
	if (ap == NULL)
		return;
	avahi_libevent_poll_free(ap->p);
	free(ap);
}

#else

struct apoll {
	AvahiPoll	   api; /* first: Avahi hands it back to us */
	struct event_base *base;
};

struct AvahiWatch {
	struct apoll	  *ap;
	struct event	  *ev;
	int		   fd;
	AvahiWatchEvent	   events;  /* asked for */
	AvahiWatchEvent	   revents; /* seen in the last callback */
	AvahiWatchCallback cb;
	void		  *userdata;
};

struct AvahiTimeout {
	struct apoll	    *ap;
	struct event	    *ev;
	AvahiTimeoutCallback cb;
	void		    *userdata;
};

static short
apoll_to_libevent(AvahiWatchEvent events)
{
	short what = 0;

	if (events & AVAHI_WATCH_IN)
		what |= EV_READ;
	if (events & AVAHI_WATCH_OUT)
		what |= EV_WRITE;
	return (what);
}

static void
apoll_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiWatch     *w = arg;
	AvahiWatchEvent revents = 0;

	if (what & EV_READ)
		revents |= AVAHI_WATCH_IN;
	if (what & EV_WRITE)
		revents |= AVAHI_WATCH_OUT;
	w->revents = revents;
	w->cb(w, fd, revents, w->userdata); /* may free w */
}

static void
apoll_watch_arm(AvahiWatch *w)
{
	short what = apoll_to_libevent(w->events);

	if (w->ev != NULL) {
		event_del(w->ev);
		event_free(w->ev);
		w->ev = NULL;
	}
	if (what == 0)
		return;
	w->ev = event_new(w->ap->base, w->fd, what | EV_PERSIST, apoll_watch_cb,
	    w);
	if (w->ev == NULL || event_add(w->ev, NULL) == -1)
		fatalx("%s: cannot add a watch on fd %d", __func__, w->fd);
}

static AvahiWatch *
apoll_watch_new(const AvahiPoll *api, int fd, AvahiWatchEvent events,
    AvahiWatchCallback cb, void *userdata)
{
	AvahiWatch *w;

	w = xcalloc(1, sizeof(*w));
	w->ap = api->userdata;
	w->fd = fd;
	w->events = events;
	w->cb = cb;
	w->userdata = userdata;
	apoll_watch_arm(w);
	return (w);
}

static void
apoll_watch_update(AvahiWatch *w, AvahiWatchEvent events)
{
	if (events == w->events && (w->ev != NULL || events == 0))
		return;
	w->events = events;
	apoll_watch_arm(w);
}

static AvahiWatchEvent
apoll_watch_get_events(AvahiWatch *w)
{
	return (w->revents);
}

static void
apoll_watch_free(AvahiWatch *w)
{
	if (w->ev != NULL) {
		event_del(w->ev);
		event_free(w->ev);
	}
	free(w);
}

static void
apoll_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	AvahiTimeout *t = arg;

	t->cb(t, t->userdata); /* may free t */
}

/* Avahi's times are absolute, from gettimeofday(); libevent's relative. */
static void
apoll_timeout_arm(AvahiTimeout *t, const struct timeval *tv)
{
	struct timeval rel;
	AvahiUsec      usec;

	event_del(t->ev);
	if (tv == NULL)
		return;
	usec = -avahi_age(tv);
	if (usec < 0)
		usec = 0;
	rel.tv_sec = (time_t)(usec / 1000000);
	rel.tv_usec = (suseconds_t)(usec % 1000000);
	if (event_add(t->ev, &rel) == -1)
		fatalx("%s: cannot add a timeout", __func__);
}

static AvahiTimeout *
apoll_timeout_new(const AvahiPoll *api, const struct timeval *tv,
    AvahiTimeoutCallback cb, void *userdata)
{
	AvahiTimeout *t;

	t = xcalloc(1, sizeof(*t));
	t->ap = api->userdata;
	t->cb = cb;
	t->userdata = userdata;
	if ((t->ev = evtimer_new(t->ap->base, apoll_timeout_cb, t)) == NULL)
		fatalx("%s: evtimer_new failed", __func__);
	apoll_timeout_arm(t, tv);
	return (t);
}

static void
apoll_timeout_update(AvahiTimeout *t, const struct timeval *tv)
{
	apoll_timeout_arm(t, tv);
}

static void
apoll_timeout_free(AvahiTimeout *t)
{
	event_del(t->ev);
	event_free(t->ev);
	free(t);
}

struct apoll *
apoll_new(struct event_base *base)
{
	struct apoll *ap;

	ap = xcalloc(1, sizeof(*ap));
	ap->base = base;
	ap->api.userdata = ap;
	ap->api.watch_new = apoll_watch_new;
	ap->api.watch_update = apoll_watch_update;
	ap->api.watch_get_events = apoll_watch_get_events;
	ap->api.watch_free = apoll_watch_free;
	ap->api.timeout_new = apoll_timeout_new;
	ap->api.timeout_update = apoll_timeout_update;
	ap->api.timeout_free = apoll_timeout_free;
	return (ap);
}

const AvahiPoll *
apoll_get(struct apoll *ap)
{
	return (&ap->api);
}

/* Every watch and timeout must be freed (by Avahi) before this. */
void
apoll_free(struct apoll *ap)
{
	free(ap);
}

#endif /* HAVE_AVAHI_LIBEVENT */
