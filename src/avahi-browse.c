/*
 * Browsers and resolvers, on the Avahi thread: every service type (RFC
 * 6763 9, service type enumeration), or the configured ones, on every
 * interface and protocol, each instance resolved, and the subtypes the
 * main loop asks for.  What they find goes to the main loop as messages
 * (browse.c feeds the cache from them); nothing here touches the cache.
 *
 * The scaling trap: avahi-daemon allows one client 1024 objects
 * (objects-per-client-max), and a resolver kept open per instance runs out
 * at about a thousand.  So resolution here is a bounded queue: at most
 * resolve-concurrency resolvers are in flight, and at most resolvers-max
 * are kept open after their first answer (they report TXT, port and
 * address changes as they happen).  The rest are freed once answered; a
 * change to one of those instances is seen when it is announced anew.
 * doc/browse.md has the figures and the avahi settings that raise the
 * ceiling.
 *
 * Browsers are objects too, and both the LAN and local users choose how
 * many: each advertised type gets one (types-max of them at most; a type
 * no longer advertised, with no instance left, is dropped after a minute)
 * and each subtype the main loop asks for gets one (browse.c enforces
 * subtypes-max and subtypes-per-uid).  So neither can use up
 * avahi-daemon's objects and stop this host's announcements.
 */
#include "config.h"

#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>

#include "discod.h"

enum bpath_state {
	BPATH_QUEUED,
	BPATH_RESOLVING,
	BPATH_OPEN, /* answered, resolver kept for changes */
	BPATH_DONE, /* answered, resolver freed */
	BPATH_FAILED,
};

struct btype;

/* One (instance, interface, protocol) seen, and its resolution. */
struct bpath {
	RB_ENTRY(bpath)	      entry;
	TAILQ_ENTRY(bpath)    queue;
	struct btype	     *t;
	char		     *name;
	char		     *type;
	char		     *domain;
	int		      ifindex;
	AvahiProtocol	      proto;
	enum bpath_state      state;
	unsigned int	      tries;
	AvahiServiceResolver *r;
	struct timespec	      retry_at;	  /* when FAILED */
	unsigned int	      retry_secs; /* the last wait */
};

/* Resolver failures in a row before a path waits to be tried again. */
#define BROWSE_TRIES 3

/* Waits before resolving a failed path again: 1 s, doubling up to this. */
#define BROWSE_RETRY_MAX 60

/* Expiry: how often it runs, and how long idle type browsers are kept. */
#define BROWSE_EXPIRE_SECS    60
#define BROWSE_TYPE_IDLE_SECS 60

struct btype {
	TAILQ_ENTRY(btype)   entry;
	char		    *type;
	AvahiServiceBrowser *b;
	int		     configured; /* [browse] types: kept for good */
	unsigned int	     seen;	 /* advertised on this many links */
	time_t		     idle;	 /* when seen fell to 0 */
	unsigned int	     npaths;
};

/* A subtype browser, "_label._sub._type", wanted by the main loop. */
struct bsub {
	TAILQ_ENTRY(bsub)    entry;
	TAILQ_ENTRY(bsub)    work;
	int		     queued;
	char		    *label;
	char		    *type;
	int		     on; /* wanted; else freed at its turn */
	AvahiServiceBrowser *b;
};

static int
bpath_cmp(struct bpath *a, struct bpath *b)
{
	int d;

	if (a->ifindex != b->ifindex)
		return (a->ifindex < b->ifindex ? -1 : 1);
	if (a->proto != b->proto)
		return (a->proto < b->proto ? -1 : 1);
	if ((d = strcasecmp(a->name, b->name)) != 0)
		return (d);
	if ((d = strcasecmp(a->type, b->type)) != 0)
		return (d);
	return (strcasecmp(a->domain, b->domain));
}

RB_HEAD(bpath_tree, bpath);
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(bpath_tree, bpath, entry, bpath_cmp)

static struct {
	const struct config	*conf;
	AvahiServiceTypeBrowser *tb;
	struct bpath_tree	 paths;
	TAILQ_HEAD(, btype) types;
	TAILQ_HEAD(, bsub)  subs;
	TAILQ_HEAD(, bsub)  subwork;
	TAILQ_HEAD(, bpath) queue;
	TAILQ_HEAD(, bpath) failed; /* waiting to be tried again */
	struct event		 *retry;
	struct event		 *expire; /* idle browsers */
	struct event		 *pause;  /* no resolver started till then */
	time_t			  dropped_logged;
	unsigned int		  pause_secs; /* the last pause */
	struct avahi_browse_stats st;
} ab;

static void browse_resolve_next(void);

static int
abrowse_family(AvahiProtocol proto)
{
	return (proto == AVAHI_PROTO_INET6 ? AF_INET6 : AF_INET);
}

static time_t
abrowse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static void
abrowse_stats(void)
{
	struct bpath *bp;

	ab.st.queued = ab.st.retrying = 0;
	TAILQ_FOREACH(bp, &ab.queue, queue)
		ab.st.queued++;
	TAILQ_FOREACH(bp, &ab.failed, queue)
		ab.st.retrying++;
	avahi_stats_publish(&ab.st);
}

static int
abrowse_word_in(const char *list, const char *word)
{
	const char *p = list;
	size_t	    n = strlen(word);

	if (list == NULL)
		return (1);
	while ((p = strstr(p, word)) != NULL) {
		if ((p == list || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == '\t'))
			return (1);
		p += n;
	}
	return (0);
}

static AvahiProtocol
abrowse_protocol(void)
{
	const char *p = ab.conf->browse_protocols;

	if (p != NULL && strcmp(p, "ipv4") == 0)
		return (AVAHI_PROTO_INET);
	if (p != NULL && strcmp(p, "ipv6") == 0)
		return (AVAHI_PROTO_INET6);
	return (AVAHI_PROTO_UNSPEC);
}

static struct avahi_msg *
abrowse_msg(enum avahi_msg_kind kind, const struct bpath *bp)
{
	struct avahi_msg *m;

	m = avahi_msg_new(kind);
	m->name = xstrdup(bp->name);
	m->type = xstrdup(bp->type);
	m->domain = xstrdup(bp->domain);
	m->ifindex = bp->ifindex;
	m->family = abrowse_family(bp->proto);
	return (m);
}

static void
bpath_free(struct bpath *bp)
{
	if (bp->state == BPATH_QUEUED)
		TAILQ_REMOVE(&ab.queue, bp, queue);
	else if (bp->state == BPATH_FAILED)
		TAILQ_REMOVE(&ab.failed, bp, queue);
	if (bp->r != NULL) {
		avahi_service_resolver_free(bp->r);
		if (bp->state == BPATH_RESOLVING)
			ab.st.resolving--;
		else if (bp->state == BPATH_OPEN)
			ab.st.open--;
	}
	RB_REMOVE(bpath_tree, &ab.paths, bp);
	bp->t->npaths--;
	free(bp->name);
	free(bp->type);
	free(bp->domain);
	free(bp);
}

/* Failed paths whose wait is over go back to the queue. */
static void
abrowse_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bpath   *bp, *next;
	struct timespec now;
	struct timeval	tv = { 1, 0 };
	int		moved = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	TAILQ_FOREACH_SAFE(bp, &ab.failed, queue, next) {
		if (bp->retry_at.tv_sec > now.tv_sec ||
		    (bp->retry_at.tv_sec == now.tv_sec &&
			bp->retry_at.tv_nsec > now.tv_nsec))
			continue;
		TAILQ_REMOVE(&ab.failed, bp, queue);
		bp->state = BPATH_QUEUED;
		bp->tries = 0;
		TAILQ_INSERT_TAIL(&ab.queue, bp, queue);
		moved = 1;
	}
	if (!TAILQ_EMPTY(&ab.failed))
		evtimer_add(ab.retry, &tv);
	if (moved)
		browse_resolve_next();
	abrowse_stats();
}

/*
 * A path that could not be resolved (the peer did not answer, or Avahi
 * or D-Bus were too busy to start a resolver) is tried again later: 1 s,
 * then doubling up to a minute, until it resolves or the peer withdraws
 * the instance.  Never given up on: a registration on a busy peer would
 * otherwise be missing from the cache for good.
 */
static void
abrowse_failed(struct bpath *bp)
{
	struct timeval tv = { 1, 0 };

	bp->state = BPATH_FAILED;
	clock_gettime(CLOCK_MONOTONIC, &bp->retry_at);
	bp->retry_at.tv_sec += backoff_next(&bp->retry_secs, BROWSE_RETRY_MAX);
	TAILQ_INSERT_TAIL(&ab.failed, bp, queue);
	if (!evtimer_pending(ab.retry, NULL))
		evtimer_add(ab.retry, &tv);
}

static void
abrowse_pause_cb(evutil_socket_t fd, short what, void *arg)
{
	ab.st.paused = 0;
	browse_resolve_next();
	abrowse_stats();
}

/*
 * Avahi refused a resolver with none of ours in flight to wait for, or
 * for a reason other than its object limit: a D-Bus call that timed out
 * means avahi-daemon is swamped, and every further call would hold this
 * thread as long again (and the announcements queued behind it).  Start
 * none for 1 s, then 2, 4 ... up to a minute while it goes on; the queue
 * keeps its order.
 */
static void
abrowse_pause(int err)
{
	struct timeval tv;

	backoff_next(&ab.pause_secs, BROWSE_RETRY_MAX);
	log_warnx("browse: Avahi refused a resolver: %s; starting none for "
		  "%u s",
	    avahi_strerror(err), ab.pause_secs);
	ab.st.paused = 1;
	tv.tv_sec = ab.pause_secs;
	tv.tv_usec = 0;
	evtimer_add(ab.pause, &tv);
}

/*
 * TXT from the network is untrusted: strings that break RFC 6763's rules
 * are dropped, one by one, never the instance.  Avahi's list holds the
 * strings in reverse; they are taken in their order on the wire, so that
 * of a key given twice the first counts (RFC 6763 6.4).
 */
void
browse_txt(AvahiStringList *txtl, struct txt *txt, const char *name,
    const char *type)
{
	AvahiStringList *l, **wire;
	const char	*why;
	size_t		 i, n = 0;

	for (l = txtl; l != NULL; l = avahi_string_list_get_next(l))
		n++;
	if (n == 0)
		return;
	wire = xreallocarray(NULL, n, sizeof(*wire));
	for (l = txtl, i = n; l != NULL; l = avahi_string_list_get_next(l))
		wire[--i] = l;
	for (i = 0; i < n; i++) {
		if (txt_add(txt, avahi_string_list_get_text(wire[i]),
			avahi_string_list_get_size(wire[i]), &why) == -1)
			log_debug("browse: \"%s\" %s: TXT string dropped: %s",
			    name, type, why);
	}
	free(wire);
}

static void
abrowse_resolver_cb(AvahiServiceResolver *r, AvahiIfIndex iface,
    AvahiProtocol proto, AvahiResolverEvent event, const char *name,
    const char *type, const char *domain, const char *host,
    const AvahiAddress *a, uint16_t port, AvahiStringList *txtl,
    AvahiLookupResultFlags flags, void *arg)
{
	struct bpath	 *bp = arg;
	struct avahi_msg *m;
	int		  was = bp->state;

	if (event == AVAHI_RESOLVER_FAILURE) {
		ab.st.failures++;
		log_debug("browse: resolving \"%s\" %s: %s", name, type,
		    avahi_strerror(avahi_client_errno(
			avahi_service_resolver_get_client(r))));
		avahi_service_resolver_free(r);
		bp->r = NULL;
		if (was == BPATH_RESOLVING)
			ab.st.resolving--;
		else if (was == BPATH_OPEN)
			ab.st.open--;
		if (++bp->tries < BROWSE_TRIES) {
			bp->state = BPATH_QUEUED;
			TAILQ_INSERT_TAIL(&ab.queue, bp, queue);
		} else
			abrowse_failed(bp);
		browse_resolve_next();
		abrowse_stats();
		return;
	}
	m = abrowse_msg(AVAHI_MSG_RESOLVED, bp);
	browse_txt(txtl, &m->txt, name, type);
	m->host = xstrdup(host);
	m->port = port;
	if (a->proto == AVAHI_PROTO_INET6)
		memcpy(m->addr, &a->data.ipv6, 16);
	else
		memcpy(m->addr, &a->data.ipv4, 4);
	avahi_post(m);
	ab.st.resolutions++;
	bp->retry_secs = 0;
	bp->tries = 0; /* BROWSE_TRIES counts failures in a row */
	if (was != BPATH_RESOLVING) {
		abrowse_stats(); /* an open resolver reporting a change */
		return;
	}
	ab.st.resolving--;
	if (ab.st.open < ab.conf->resolvers_max) {
		bp->state = BPATH_OPEN;
		ab.st.open++;
	} else {
		avahi_service_resolver_free(r);
		bp->r = NULL;
		bp->state = BPATH_DONE;
	}
	browse_resolve_next();
	abrowse_stats();
}

/* Start queued resolutions while there is room. */
static void
browse_resolve_next(void)
{
	AvahiClient  *client;
	struct bpath *bp;

	if (ab.st.paused || (client = avahi_client()) == NULL)
		return;
	while (ab.st.resolving < ab.conf->resolve_concurrency &&
	    (bp = TAILQ_FIRST(&ab.queue)) != NULL) {
		TAILQ_REMOVE(&ab.queue, bp, queue);
		/* aprotocol = proto: the address is of the family browsed. */
		bp->r = avahi_service_resolver_new(client, bp->ifindex,
		    bp->proto, bp->name, bp->type, bp->domain, bp->proto, 0,
		    abrowse_resolver_cb, bp);
		if (bp->r == NULL) {
			int err = avahi_client_errno(client);

			ab.st.failures++;
			bp->state = BPATH_QUEUED;
			TAILQ_INSERT_HEAD(&ab.queue, bp, queue);
			if (err != AVAHI_ERR_TOO_MANY_OBJECTS ||
			    ab.st.resolving == 0) {
				abrowse_pause(err);
				break;
			}
			/*
			 * Avahi's object limit: this one waits at the head of
			 * the queue for a resolver in flight to finish, so the
			 * concurrency shrinks to what Avahi allows.  Flow
			 * control, not worth a warning each time.
			 */
			log_debug("browse: cannot resolve \"%s\" %s: %s; "
				  "waiting for one of %u in flight",
			    bp->name, bp->type, avahi_strerror(err),
			    ab.st.resolving);
			break;
		}
		ab.pause_secs = 0;
		bp->state = BPATH_RESOLVING;
		ab.st.resolving++;
	}
}

static void
abrowse_service_cb(AvahiServiceBrowser *b, AvahiIfIndex iface,
    AvahiProtocol proto, AvahiBrowserEvent event, const char *name,
    const char *type, const char *domain, AvahiLookupResultFlags flags,
    void *arg)
{
	struct btype	 *t = arg;
	struct bpath	  key = { 0 }, *bp;
	struct avahi_msg *m;
	char		  ifname[IF_NAMESIZE];

	key.name = (char *)name;
	key.type = (char *)type;
	key.domain = (char *)domain;
	key.ifindex = iface;
	key.proto = proto;
	switch (event) {
	case AVAHI_BROWSER_NEW:
		if (if_indextoname((unsigned int)iface, ifname) == NULL)
			ifname[0] = '\0';
		if (ab.conf->browse_interfaces != NULL &&
		    !abrowse_word_in(ab.conf->browse_interfaces, ifname))
			return;
		if (RB_FIND(bpath_tree, &ab.paths, &key) != NULL)
			return;
		bp = xcalloc(1, sizeof(*bp));
		bp->name = xstrdup(name);
		bp->type = xstrdup(type);
		bp->domain = xstrdup(domain);
		bp->ifindex = iface;
		bp->proto = proto;
		bp->t = t;
		t->npaths++;
		bp->state = BPATH_QUEUED;
		RB_INSERT(bpath_tree, &ab.paths, bp);
		m = abrowse_msg(AVAHI_MSG_SEEN, bp);
		strlcpy(m->ifname, ifname, sizeof(m->ifname));
		m->local = (flags & AVAHI_LOOKUP_RESULT_LOCAL) != 0;
		avahi_post(m);
		TAILQ_INSERT_TAIL(&ab.queue, bp, queue);
		browse_resolve_next();
		break;
	case AVAHI_BROWSER_REMOVE:
		if ((bp = RB_FIND(bpath_tree, &ab.paths, &key)) == NULL)
			return;
		avahi_post(abrowse_msg(AVAHI_MSG_LOST, bp));
		bpath_free(bp);
		browse_resolve_next();
		break;
	case AVAHI_BROWSER_FAILURE:
		log_warnx("browse: %s: %s", type,
		    avahi_strerror(avahi_client_errno(
			avahi_service_browser_get_client(b))));
		break;
	case AVAHI_BROWSER_CACHE_EXHAUSTED:
	case AVAHI_BROWSER_ALL_FOR_NOW:
		break;
	}
	abrowse_stats();
}

static struct btype *
abrowse_type_find(const char *type)
{
	struct btype *t;

	TAILQ_FOREACH(t, &ab.types, entry) {
		if (strcasecmp(t->type, type) == 0)
			return (t);
	}
	return (NULL);
}

/*
 * Browse a type: a configured one always, one the LAN advertises while
 * fewer than types-max are browsed.
 */
static void
abrowse_type_add(AvahiClient *client, const char *type, int configured)
{
	struct btype *t;
	time_t	      now;

	if ((t = abrowse_type_find(type)) != NULL) {
		if (!configured)
			t->seen++;
		return;
	}
	if (!configured && ab.st.types >= ab.conf->browse_types_max) {
		ab.st.types_dropped++;
		now = abrowse_now();
		if (ab.dropped_logged == 0 ||
		    now - ab.dropped_logged >= BROWSE_EXPIRE_SECS) {
			log_warnx("browse: not browsing %s: %u types browsed "
				  "(types-max), %lu left out so far",
			    type, ab.st.types, ab.st.types_dropped);
			ab.dropped_logged = now;
		}
		return;
	}
	t = xcalloc(1, sizeof(*t));
	t->type = xstrdup(type);
	t->configured = configured;
	t->seen = configured ? 0 : 1;
	t->b = avahi_service_browser_new(client, AVAHI_IF_UNSPEC,
	    abrowse_protocol(), type, ab.conf->browse_domain, 0,
	    abrowse_service_cb, t);
	if (t->b == NULL)
		log_warnx("browse: cannot browse %s: %s", type,
		    avahi_strerror(avahi_client_errno(client)));
	else
		log_debug("browse: browsing %s", type);
	TAILQ_INSERT_TAIL(&ab.types, t, entry);
	ab.st.types++;
}

/* Only with no path left: they point at it. */
static void
abrowse_type_free(struct btype *t)
{
	TAILQ_REMOVE(&ab.types, t, entry);
	if (t->b != NULL)
		avahi_service_browser_free(t->b);
	free(t->type);
	free(t);
	ab.st.types--;
}

/*
 * Service type enumeration: a type is browsed from its first
 * advertisement and may be dropped once no link advertises it (see
 * abrowse_expire).
 */
static void
abrowse_type_cb(AvahiServiceTypeBrowser *b, AvahiIfIndex iface,
    AvahiProtocol proto, AvahiBrowserEvent event, const char *type,
    const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	struct btype *t;

	if (event == AVAHI_BROWSER_NEW) {
		if (service_type_invalid(type) != NULL) {
			log_debug("browse: ignoring service type \"%.64s\"",
			    type);
			return;
		}
		abrowse_type_add(avahi_service_type_browser_get_client(b), type,
		    0);
	} else if (event == AVAHI_BROWSER_REMOVE) {
		if ((t = abrowse_type_find(type)) != NULL && t->seen > 0 &&
		    --t->seen == 0)
			t->idle = abrowse_now();
	} else if (event == AVAHI_BROWSER_FAILURE)
		log_warnx("browse: service type enumeration: %s",
		    avahi_strerror(avahi_client_errno(
			avahi_service_type_browser_get_client(b))));
	abrowse_stats();
}

static void
abrowse_sub_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
    AvahiBrowserEvent event, const char *name, const char *type,
    const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	struct bsub	 *sb = arg;
	struct avahi_msg *m;

	switch (event) {
	case AVAHI_BROWSER_ALL_FOR_NOW:
	case AVAHI_BROWSER_FAILURE:
		m = avahi_msg_new(AVAHI_MSG_SUB_READY);
		break;
	case AVAHI_BROWSER_NEW:
		m = avahi_msg_new(AVAHI_MSG_SUB_NEW);
		break;
	case AVAHI_BROWSER_REMOVE:
		m = avahi_msg_new(AVAHI_MSG_SUB_REMOVE);
		break;
	default:
		return;
	}
	m->label = xstrdup(sb->label);
	m->type = xstrdup(sb->type);
	if (name != NULL)
		m->name = xstrdup(name);
	if (domain != NULL)
		m->domain = xstrdup(domain);
	m->ifindex = iface;
	m->family = abrowse_family(proto);
	avahi_post(m);
}

static void
abrowse_sub_start(AvahiClient *client, struct bsub *sb)
{
	char full[SERVICE_SUBTYPE_NAME_MAX];

	if (service_subtype_name(full, sizeof(full), sb->label, sb->type) ==
	    -1) {
		log_warnx("browse: subtype %s of %s: name too long", sb->label,
		    sb->type);
		return;
	}
	sb->b = avahi_service_browser_new(client, AVAHI_IF_UNSPEC,
	    abrowse_protocol(), full, ab.conf->browse_domain, 0, abrowse_sub_cb,
	    sb);
	if (sb->b == NULL) {
		log_warnx("browse: cannot browse %s: %s", full,
		    avahi_strerror(avahi_client_errno(client)));
		/* Nothing will come: do not keep a list waiting. */
		abrowse_sub_cb(NULL, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
		    AVAHI_BROWSER_FAILURE, NULL, NULL, NULL, 0, sb);
	}
}

static struct bsub *
abrowse_sub_find(const char *label, const char *type)
{
	struct bsub *sb;

	TAILQ_FOREACH(sb, &ab.subs, entry) {
		if (strcasecmp(sb->label, label) == 0 &&
		    strcasecmp(sb->type, type) == 0)
			return (sb);
	}
	return (NULL);
}

static void
abrowse_sub_queue(struct bsub *sb)
{
	if (sb->queued)
		return;
	sb->queued = 1;
	TAILQ_INSERT_TAIL(&ab.subwork, sb, work);
}

/* The main loop wants a subtype browsed, or no longer. */
void
avahi_browse_subtype_msg(struct avahi_msg *m)
{
	struct bsub *sb;

	if ((sb = abrowse_sub_find(m->label, m->type)) == NULL) {
		if (!m->on) {
			avahi_msg_free(m);
			return;
		}
		sb = xcalloc(1, sizeof(*sb));
		sb->label = xstrdup(m->label);
		sb->type = xstrdup(m->type);
		TAILQ_INSERT_TAIL(&ab.subs, sb, entry);
	}
	sb->on = m->on;
	abrowse_sub_queue(sb);
	avahi_msg_free(m);
}

static void
abrowse_sub_free(struct bsub *sb)
{
	if (sb->b != NULL)
		avahi_service_browser_free(sb->b);
	if (sb->queued)
		TAILQ_REMOVE(&ab.subwork, sb, work);
	TAILQ_REMOVE(&ab.subs, sb, entry);
	free(sb->label);
	free(sb->type);
	free(sb);
}

/* Start or stop one subtype browser; 1 if there may be more. */
int
avahi_browse_work(void)
{
	struct bsub *sb;
	AvahiClient *client;

	if ((sb = TAILQ_FIRST(&ab.subwork)) == NULL)
		return (0);
	TAILQ_REMOVE(&ab.subwork, sb, work);
	sb->queued = 0;
	if (!sb->on)
		abrowse_sub_free(sb);
	else if (sb->b == NULL && (client = avahi_client()) != NULL)
		abrowse_sub_start(client, sb);
	return (!TAILQ_EMPTY(&ab.subwork));
}

/* Every BROWSE_EXPIRE_SECS: drop the browsers of types gone quiet. */
static void
abrowse_expire(evutil_socket_t fd, short what, void *arg)
{
	struct btype *t, *tn;
	time_t	      now = abrowse_now();

	TAILQ_FOREACH_SAFE(t, &ab.types, entry, tn) {
		if (t->configured || t->seen > 0 ||
		    now - t->idle < BROWSE_TYPE_IDLE_SECS || t->npaths > 0)
			continue;
		log_debug("browse: %s is no longer advertised", t->type);
		abrowse_type_free(t);
	}
	abrowse_stats();
}

/* Avahi runs (again): browse from scratch. */
void
avahi_browse_up(AvahiClient *client)
{
	struct bsub *sb;
	char	    *copy, *w, *save = NULL;

	avahi_post(avahi_msg_new(AVAHI_MSG_CLEAR));
	TAILQ_FOREACH(sb, &ab.subs, entry)
		abrowse_sub_queue(sb);
	if (ab.conf->browse_types != NULL) {
		copy = xstrdup(ab.conf->browse_types);
		for (w = strtok_r(copy, " \t", &save); w != NULL;
		     w = strtok_r(NULL, " \t", &save))
			abrowse_type_add(client, w, 1);
		free(copy);
	} else {
		ab.tb = avahi_service_type_browser_new(client, AVAHI_IF_UNSPEC,
		    abrowse_protocol(), ab.conf->browse_domain, 0,
		    abrowse_type_cb, NULL);
		if (ab.tb == NULL)
			log_warnx("browse: cannot enumerate service types: %s",
			    avahi_strerror(avahi_client_errno(client)));
	}
	abrowse_stats();
}

/* Avahi is gone: free every Avahi object; the main loop keeps its cache. */
void
avahi_browse_down(void)
{
	struct bpath *bp;
	struct btype *t;
	struct bsub  *sb;

	while ((bp = RB_MIN(bpath_tree, &ab.paths)) != NULL)
		bpath_free(bp);
	while ((t = TAILQ_FIRST(&ab.types)) != NULL)
		abrowse_type_free(t);
	if (ab.tb != NULL) {
		avahi_service_type_browser_free(ab.tb);
		ab.tb = NULL;
	}
	TAILQ_FOREACH(sb, &ab.subs, entry) {
		if (sb->b != NULL) {
			avahi_service_browser_free(sb->b);
			sb->b = NULL;
		}
	}
	ab.st.resolving = ab.st.open = 0;
	evtimer_del(ab.pause);
	ab.st.paused = 0;
	ab.pause_secs = 0;
	abrowse_stats();
}

void
avahi_browse_init(struct event_base *base, const struct config *conf)
{
	ab.conf = conf;
	RB_INIT(&ab.paths);
	TAILQ_INIT(&ab.types);
	TAILQ_INIT(&ab.subs);
	TAILQ_INIT(&ab.subwork);
	TAILQ_INIT(&ab.queue);
	TAILQ_INIT(&ab.failed);
	ab.retry = evtimer_new(base, abrowse_retry_cb, NULL);
	ab.pause = evtimer_new(base, abrowse_pause_cb, NULL);
	ab.expire = event_new(base, -1, EV_PERSIST, abrowse_expire, NULL);
	if (ab.retry == NULL || ab.pause == NULL || ab.expire == NULL ||
	    event_add(ab.expire, &(struct timeval){ BROWSE_EXPIRE_SECS, 0 }) ==
		-1)
		fatalx("%s: cannot start the browse timers", __func__);
}

void
avahi_browse_shutdown(void)
{
	struct bsub *sb;

	while ((sb = TAILQ_FIRST(&ab.subs)) != NULL)
		abrowse_sub_free(sb);
	event_free(ab.expire);
	event_free(ab.retry);
	event_free(ab.pause);
	ab.expire = ab.retry = ab.pause = NULL;
}
