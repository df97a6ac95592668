/*
 * Browse the LAN: every service type (RFC 6763 9, service type
 * enumeration), or the configured ones, on every interface and protocol,
 * and resolve each instance into the cache.
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
 * no longer advertised, with nothing left in the cache, is dropped after
 * a minute) and each subtype a client names gets one (subtypes-max on
 * demand at most, subtypes-per-uid for each user but root, freed after
 * ten idle minutes unless a watch holds them; [browse] subtypes are kept
 * for good).  So neither can use up avahi-daemon's objects and stop this
 * host's announcements.
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

/* One (instance, interface, protocol) to resolve. */
struct bpath {
	TAILQ_ENTRY(bpath)    queue;
	struct instance	     *inst;
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

/* Expiry: how often it runs, and how long idle browsers are kept. */
#define BROWSE_EXPIRE_SECS	 60
#define BROWSE_TYPE_IDLE_SECS	 60
#define BROWSE_SUBTYPE_IDLE_SECS 600

struct btype {
	TAILQ_ENTRY(btype)   entry;
	char		    *type;
	AvahiServiceBrowser *b;
	int		     configured; /* [browse] types: kept for good */
	unsigned int	     seen;	 /* advertised on this many links */
	time_t		     idle;	 /* when seen fell to 0 */
};

/* A subtype browser, "_label._sub._type", and the instances it sees. */
struct bsub {
	TAILQ_ENTRY(bsub)    entry;
	char		    *label;
	char		    *type;
	AvahiServiceBrowser *b;
	int		     ready;	 /* ALL_FOR_NOW seen */
	int		     configured; /* [browse] subtypes: kept for good */
	uid_t		     uid;	 /* who asked first, on demand */
	unsigned int	     holds;	 /* watches that filter on it */
	time_t		     used;	 /* last asked for */
	TAILQ_HEAD(, bsubm) members;
};

struct bsubm {
	TAILQ_ENTRY(bsubm) entry;
	char		  *name;
	char		  *domain;
	int		   ifindex;
	AvahiProtocol	   proto;
};

static struct {
	struct event_base	*base;
	const struct config	*conf;
	struct cache		*cache;
	AvahiServiceTypeBrowser *tb;
	TAILQ_HEAD(, btype) types;
	TAILQ_HEAD(, bsub)  subs;
	TAILQ_HEAD(, bpath) queue;
	TAILQ_HEAD(, bpath) failed; /* waiting to be tried again */
	struct event	 *retry;
	struct event	 *expire; /* idle browsers */
	unsigned int	  ntypes;
	unsigned int	  nsubs_demand;	 /* subtypes browsed on demand */
	unsigned long	  types_dropped; /* past types-max */
	time_t		  dropped_logged;
	struct event	 *pause; /* no resolver started till then */
	int		  paused;
	unsigned int	  pause_secs; /* the last pause */
	unsigned int	  resolving;  /* in flight */
	unsigned int	  open;	      /* kept open */
	unsigned long	  resolved;   /* answers, all time */
	unsigned long	  failures;
	struct avahi_hook hook;
} br;

static void browse_resolve_next(void);

static int
browse_family(AvahiProtocol proto)
{
	return (proto == AVAHI_PROTO_INET6 ? AF_INET6 : AF_INET);
}

static int
browse_word_in(const char *list, const char *word)
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
browse_protocol(void)
{
	const char *p = br.conf->browse_protocols;

	if (p != NULL && strcmp(p, "ipv4") == 0)
		return (AVAHI_PROTO_INET);
	if (p != NULL && strcmp(p, "ipv6") == 0)
		return (AVAHI_PROTO_INET6);
	return (AVAHI_PROTO_UNSPEC);
}

static void
bpath_free(struct bpath *bp)
{
	if (bp->state == BPATH_QUEUED)
		TAILQ_REMOVE(&br.queue, bp, queue);
	else if (bp->state == BPATH_FAILED)
		TAILQ_REMOVE(&br.failed, bp, queue);
	if (bp->r != NULL) {
		avahi_service_resolver_free(bp->r);
		if (bp->state == BPATH_RESOLVING)
			br.resolving--;
		else if (bp->state == BPATH_OPEN)
			br.open--;
	}
	free(bp);
}

/* Failed paths whose wait is over go back to the queue. */
static void
browse_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bpath   *bp, *next;
	struct timespec now;
	struct timeval	tv = { 1, 0 };
	int		moved = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	TAILQ_FOREACH_SAFE(bp, &br.failed, queue, next) {
		if (bp->retry_at.tv_sec > now.tv_sec ||
		    (bp->retry_at.tv_sec == now.tv_sec &&
			bp->retry_at.tv_nsec > now.tv_nsec))
			continue;
		TAILQ_REMOVE(&br.failed, bp, queue);
		bp->state = BPATH_QUEUED;
		bp->tries = 0;
		TAILQ_INSERT_TAIL(&br.queue, bp, queue);
		moved = 1;
	}
	if (!TAILQ_EMPTY(&br.failed))
		evtimer_add(br.retry, &tv);
	if (moved)
		browse_resolve_next();
}

/*
 * A path that could not be resolved (the peer did not answer, or Avahi
 * or D-Bus were too busy to start a resolver) is tried again later: 1 s,
 * then doubling up to a minute, until it resolves or the peer withdraws
 * the instance.  Never given up on: a registration on a busy peer would
 * otherwise be missing from this cache for good.
 */
static void
browse_failed(struct bpath *bp)
{
	struct timeval tv = { 1, 0 };

	bp->state = BPATH_FAILED;
	clock_gettime(CLOCK_MONOTONIC, &bp->retry_at);
	bp->retry_at.tv_sec += backoff_next(&bp->retry_secs, BROWSE_RETRY_MAX);
	TAILQ_INSERT_TAIL(&br.failed, bp, queue);
	if (br.retry == NULL)
		br.retry = evtimer_new(br.base, browse_retry_cb, NULL);
	if (!evtimer_pending(br.retry, NULL))
		evtimer_add(br.retry, &tv);
}

static void
browse_pause_cb(evutil_socket_t fd, short what, void *arg)
{
	br.paused = 0;
	browse_resolve_next();
}

/*
 * Avahi refused a resolver with none of ours in flight to wait for, or
 * for a reason other than its object limit: a D-Bus call that timed out
 * means avahi-daemon is swamped, and every further call would hold
 * discod's loop as long again.  Start none for 1 s, then 2, 4 ... up to a
 * minute while it goes on; the queue keeps its order.
 */
static void
browse_pause(int err)
{
	struct timeval tv;

	backoff_next(&br.pause_secs, BROWSE_RETRY_MAX);
	log_warnx("browse: Avahi refused a resolver: %s; starting none for "
		  "%u s",
	    avahi_strerror(err), br.pause_secs);
	br.paused = 1;
	if (br.pause == NULL)
		br.pause = evtimer_new(br.base, browse_pause_cb, NULL);
	tv.tv_sec = br.pause_secs;
	tv.tv_usec = 0;
	evtimer_add(br.pause, &tv);
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
browse_resolver_cb(AvahiServiceResolver *r, AvahiIfIndex iface,
    AvahiProtocol proto, AvahiResolverEvent event, const char *name,
    const char *type, const char *domain, const char *host,
    const AvahiAddress *a, uint16_t port, AvahiStringList *txtl,
    AvahiLookupResultFlags flags, void *arg)
{
	struct bpath *bp = arg;
	struct txt    txt = { 0 };
	int	      was = bp->state;

	if (event == AVAHI_RESOLVER_FAILURE) {
		br.failures++;
		log_debug("browse: resolving \"%s\" %s: %s", name, type,
		    avahi_strerror(avahi_client_errno(avahi_client())));
		avahi_service_resolver_free(r);
		bp->r = NULL;
		if (was == BPATH_RESOLVING)
			br.resolving--;
		else if (was == BPATH_OPEN)
			br.open--;
		if (++bp->tries < BROWSE_TRIES) {
			bp->state = BPATH_QUEUED;
			TAILQ_INSERT_TAIL(&br.queue, bp, queue);
		} else
			browse_failed(bp);
		browse_resolve_next();
		return;
	}
	browse_txt(txtl, &txt, name, type);
	br.resolved++;
	bp->retry_secs = 0;
	cache_resolved(br.cache, bp->inst, bp->ifindex,
	    browse_family(bp->proto), host, port, &txt,
	    a->proto == AVAHI_PROTO_INET6 ? (const void *)&a->data.ipv6 :
					    (const void *)&a->data.ipv4);
	txt_clear(&txt);
	if (was != BPATH_RESOLVING)
		return; /* an open resolver reporting a change */
	br.resolving--;
	if (br.open < br.conf->resolvers_max) {
		bp->state = BPATH_OPEN;
		br.open++;
	} else {
		avahi_service_resolver_free(r);
		bp->r = NULL;
		bp->state = BPATH_DONE;
	}
	browse_resolve_next();
}

/* Start queued resolutions while there is room. */
static void
browse_resolve_next(void)
{
	AvahiClient  *client;
	struct bpath *bp;

	if (br.paused || (client = avahi_client()) == NULL)
		return;
	while (br.resolving < br.conf->resolve_concurrency &&
	    (bp = TAILQ_FIRST(&br.queue)) != NULL) {
		TAILQ_REMOVE(&br.queue, bp, queue);
		/* aprotocol = proto: the address is of the family browsed. */
		bp->r = avahi_service_resolver_new(client, bp->ifindex,
		    bp->proto, bp->inst->name, bp->inst->type, bp->inst->domain,
		    bp->proto, 0, browse_resolver_cb, bp);
		if (bp->r == NULL) {
			int err = avahi_client_errno(client);

			br.failures++;
			bp->state = BPATH_QUEUED;
			TAILQ_INSERT_HEAD(&br.queue, bp, queue);
			if (err != AVAHI_ERR_TOO_MANY_OBJECTS ||
			    br.resolving == 0) {
				browse_pause(err);
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
			    bp->inst->name, bp->inst->type, avahi_strerror(err),
			    br.resolving);
			break;
		}
		br.pause_secs = 0;
		bp->state = BPATH_RESOLVING;
		br.resolving++;
	}
}

static void
browse_service_cb(AvahiServiceBrowser *b, AvahiIfIndex iface,
    AvahiProtocol proto, AvahiBrowserEvent event, const char *name,
    const char *type, const char *domain, AvahiLookupResultFlags flags,
    void *arg)
{
	struct instance	  *inst;
	struct cache_path *p;
	struct bpath	  *bp;
	char		   ifname[IF_NAMESIZE];
	size_t		   k;
	int		   is_new;

	switch (event) {
	case AVAHI_BROWSER_NEW:
		if (if_indextoname((unsigned int)iface, ifname) == NULL)
			ifname[0] = '\0';
		if (br.conf->browse_interfaces != NULL &&
		    !browse_word_in(br.conf->browse_interfaces, ifname))
			return;
		inst = cache_seen(br.cache, name, type, domain, iface, ifname,
		    browse_family(proto),
		    (flags & AVAHI_LOOKUP_RESULT_LOCAL) != 0, &is_new);
		if (!is_new)
			return;
		bp = xcalloc(1, sizeof(*bp));
		bp->inst = inst;
		bp->ifindex = iface;
		bp->proto = proto;
		bp->state = BPATH_QUEUED;
		for (k = 0; k < inst->npaths; k++) {
			p = &inst->paths[k];
			if (p->ifindex == iface &&
			    p->family == browse_family(proto))
				p->browse = bp;
		}
		TAILQ_INSERT_TAIL(&br.queue, bp, queue);
		browse_resolve_next();
		break;
	case AVAHI_BROWSER_REMOVE:
		if ((inst = cache_find(br.cache, name, type, domain)) == NULL)
			return;
		for (k = 0; k < inst->npaths; k++) {
			p = &inst->paths[k];
			if (p->ifindex == iface &&
			    p->family == browse_family(proto)) {
				if (p->browse != NULL)
					bpath_free(p->browse);
				p->browse = NULL;
				break;
			}
		}
		cache_lost(br.cache, inst, iface, browse_family(proto));
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
}

static time_t
browse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

static struct btype *
browse_type_find(const char *type)
{
	struct btype *t;

	TAILQ_FOREACH(t, &br.types, entry) {
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
browse_type_add(AvahiClient *client, const char *type, int configured)
{
	struct btype *t;
	time_t	      now;

	if ((t = browse_type_find(type)) != NULL) {
		if (!configured)
			t->seen++;
		return;
	}
	if (!configured && br.ntypes >= br.conf->browse_types_max) {
		br.types_dropped++;
		now = browse_now();
		if (br.dropped_logged == 0 ||
		    now - br.dropped_logged >= BROWSE_EXPIRE_SECS) {
			log_warnx("browse: not browsing %s: %u types browsed "
				  "(types-max), %lu left out so far",
			    type, br.ntypes, br.types_dropped);
			br.dropped_logged = now;
		}
		return;
	}
	t = xcalloc(1, sizeof(*t));
	t->type = xstrdup(type);
	t->configured = configured;
	t->seen = configured ? 0 : 1;
	t->b = avahi_service_browser_new(client, AVAHI_IF_UNSPEC,
	    browse_protocol(), type, br.conf->browse_domain, 0,
	    browse_service_cb, NULL);
	if (t->b == NULL)
		log_warnx("browse: cannot browse %s: %s", type,
		    avahi_strerror(avahi_client_errno(client)));
	else
		log_debug("browse: browsing %s", type);
	TAILQ_INSERT_TAIL(&br.types, t, entry);
	br.ntypes++;
}

static void
browse_type_free(struct btype *t)
{
	TAILQ_REMOVE(&br.types, t, entry);
	if (t->b != NULL)
		avahi_service_browser_free(t->b);
	free(t->type);
	free(t);
	br.ntypes--;
}

/*
 * Service type enumeration: a type is browsed from its first
 * advertisement and may be dropped once no link advertises it (see
 * browse_expire).
 */
static void
browse_type_cb(AvahiServiceTypeBrowser *b, AvahiIfIndex iface,
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
		browse_type_add(avahi_service_type_browser_get_client(b), type,
		    0);
	} else if (event == AVAHI_BROWSER_REMOVE) {
		if ((t = browse_type_find(type)) != NULL && t->seen > 0 &&
		    --t->seen == 0)
			t->idle = browse_now();
	} else if (event == AVAHI_BROWSER_FAILURE)
		log_warnx("browse: service type enumeration: %s",
		    avahi_strerror(avahi_client_errno(
			avahi_service_type_browser_get_client(b))));
}

static void
browse_sub_cb(AvahiServiceBrowser *b, AvahiIfIndex iface, AvahiProtocol proto,
    AvahiBrowserEvent event, const char *name, const char *type,
    const char *domain, AvahiLookupResultFlags flags, void *arg)
{
	struct bsub  *sb = arg;
	struct bsubm *m;

	if (event == AVAHI_BROWSER_ALL_FOR_NOW ||
	    event == AVAHI_BROWSER_FAILURE) {
		sb->ready = 1;
		pending_retry(); /* a list waiting for this subtype */
		return;
	}
	TAILQ_FOREACH(m, &sb->members, entry) {
		if (m->ifindex == iface && m->proto == proto &&
		    strcasecmp(m->name, name) == 0 &&
		    strcasecmp(m->domain, domain) == 0)
			break;
	}
	if (event == AVAHI_BROWSER_NEW && m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->name = xstrdup(name);
		m->domain = xstrdup(domain);
		m->ifindex = iface;
		m->proto = proto;
		TAILQ_INSERT_TAIL(&sb->members, m, entry);
	} else if (event == AVAHI_BROWSER_REMOVE && m != NULL) {
		TAILQ_REMOVE(&sb->members, m, entry);
		free(m->name);
		free(m->domain);
		free(m);
	}
}

static void
browse_sub_start(AvahiClient *client, struct bsub *sb)
{
	char full[SERVICE_SUBTYPE_NAME_MAX];

	if (service_subtype_name(full, sizeof(full), sb->label, sb->type) ==
	    -1) {
		log_warnx("browse: subtype %s of %s: name too long", sb->label,
		    sb->type);
		return;
	}
	sb->b = avahi_service_browser_new(client, AVAHI_IF_UNSPEC,
	    browse_protocol(), full, br.conf->browse_domain, 0, browse_sub_cb,
	    sb);
	if (sb->b == NULL)
		log_warnx("browse: cannot browse %s: %s", full,
		    avahi_strerror(avahi_client_errno(client)));
}

static struct bsub *
browse_sub_find(const char *label, const char *type)
{
	struct bsub *sb;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (strcasecmp(sb->label, label) == 0 &&
		    strcasecmp(sb->type, type) == 0)
			return (sb);
	}
	return (NULL);
}

static void browse_sub_clear(struct bsub *);

static void
browse_sub_free(struct bsub *sb)
{
	browse_sub_clear(sb);
	TAILQ_REMOVE(&br.subs, sb, entry);
	if (!sb->configured)
		br.nsubs_demand--;
	free(sb->label);
	free(sb->type);
	free(sb);
}

/* Room for one more subtype on demand: the longest idle one goes. */
static int
browse_sub_evict(void)
{
	struct bsub *sb, *lru = NULL;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (!sb->configured && sb->holds == 0 &&
		    (lru == NULL || sb->used < lru->used))
			lru = sb;
	}
	if (lru == NULL)
		return (-1);
	log_info("browse: no longer browsing subtype %s of %s (subtypes-max)",
	    lru->label, lru->type);
	browse_sub_free(lru);
	return (0);
}

static struct bsub *
browse_sub_new(const char *label, const char *type, int configured, uid_t uid)
{
	struct bsub *sb;
	AvahiClient *client;

	sb = xcalloc(1, sizeof(*sb));
	sb->label = xstrdup(label);
	sb->type = xstrdup(type);
	sb->configured = configured;
	sb->uid = uid;
	sb->used = browse_now();
	TAILQ_INIT(&sb->members);
	TAILQ_INSERT_TAIL(&br.subs, sb, entry);
	if (!configured)
		br.nsubs_demand++;
	if ((client = avahi_client()) != NULL)
		browse_sub_start(client, sb);
	return (sb);
}

/*
 * Browse a subtype a client asked for (list, pick, watch), from now on:
 * DNS-SD cannot list a type's subtypes, so each is browsed on demand.
 * Each user but root may have subtypes-per-uid of them browsed, and all
 * clients together subtypes-max (the longest idle is dropped for a new
 * one); -1 with err set when neither allows one more.
 */
int
browse_subtype_want(const char *label, const char *type, uid_t uid,
    struct proto_error *err)
{
	struct bsub *sb;
	unsigned int mine = 0;

	if ((sb = browse_sub_find(label, type)) != NULL) {
		sb->used = browse_now();
		return (0);
	}
	if (uid != 0) {
		TAILQ_FOREACH(sb, &br.subs, entry) {
			if (!sb->configured && sb->uid == uid)
				mine++;
		}
		if (mine >= br.conf->browse_subtypes_per_uid) {
			proto_error_set(err, PROTO_E_DENIED, "subtype",
			    "uid %ld has %u subtypes browsed on demand "
			    "(subtypes-per-uid): ask for this one in "
			    "[browse] subtypes",
			    (long)uid, mine);
			return (-1);
		}
	}
	if (br.nsubs_demand >= br.conf->browse_subtypes_max &&
	    browse_sub_evict() == -1) {
		proto_error_set(err, PROTO_E_UNAVAILABLE, "subtype",
		    "%u subtypes are browsed and watched (subtypes-max)",
		    br.nsubs_demand);
		return (-1);
	}
	browse_sub_new(label, type, 0, uid);
	return (0);
}

/* A watch filters on the subtype: keep browsing it while it does. */
void
browse_subtype_hold(const char *label, const char *type)
{
	struct bsub *sb;

	if ((sb = browse_sub_find(label, type)) != NULL)
		sb->holds++;
}

void
browse_subtype_release(const char *label, const char *type)
{
	struct bsub *sb;

	if ((sb = browse_sub_find(label, type)) != NULL && sb->holds > 0) {
		sb->holds--;
		sb->used = browse_now();
	}
}

/*
 * Every BROWSE_EXPIRE_SECS: drop the browsers of types no longer
 * advertised whose instances have all gone, and of subtypes nobody asked
 * for in ten minutes.
 */
static void
browse_expire(evutil_socket_t fd, short what, void *arg)
{
	struct btype *t, *tn;
	struct bsub  *sb, *sn;
	time_t	      now = browse_now();

	TAILQ_FOREACH_SAFE(t, &br.types, entry, tn) {
		if (t->configured || t->seen > 0 ||
		    now - t->idle < BROWSE_TYPE_IDLE_SECS ||
		    cache_first_of_type(br.cache, t->type) != NULL)
			continue;
		log_debug("browse: %s is no longer advertised", t->type);
		browse_type_free(t);
	}
	TAILQ_FOREACH_SAFE(sb, &br.subs, entry, sn) {
		if (!sb->configured && sb->holds == 0 &&
		    now - sb->used >= BROWSE_SUBTYPE_IDLE_SECS)
			browse_sub_free(sb);
	}
}

/* Has the subtype's browser reported what it found so far? */
int
browse_subtype_ready(const char *label, const char *type)
{
	struct bsub *sb;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (strcasecmp(sb->label, label) == 0 &&
		    strcasecmp(sb->type, type) == 0)
			return (sb->ready);
	}
	return (0);
}

int
browse_has_subtype(const struct instance *i, const char *label)
{
	struct bsub  *sb;
	struct bsubm *m;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (strcasecmp(sb->label, label) != 0 ||
		    strcasecmp(sb->type, i->type) != 0)
			continue;
		TAILQ_FOREACH(m, &sb->members, entry) {
			if (strcasecmp(m->name, i->name) == 0 &&
			    strcasecmp(m->domain, i->domain) == 0)
				return (1);
		}
	}
	return (0);
}

static void
browse_sub_clear(struct bsub *sb)
{
	struct bsubm *m;

	if (sb->b != NULL) {
		avahi_service_browser_free(sb->b);
		sb->b = NULL;
	}
	sb->ready = 0;
	while ((m = TAILQ_FIRST(&sb->members)) != NULL) {
		TAILQ_REMOVE(&sb->members, m, entry);
		free(m->name);
		free(m->domain);
		free(m);
	}
}

/* Avahi runs (again): rebuild the cache from scratch. */
static void
browse_avahi_up(AvahiClient *client, void *arg)
{
	char	    *copy, *w, *save = NULL, *sub;
	struct bsub *sb;

	cache_clear(br.cache); /* watchers get "resync" */
	if (br.conf->browse_subtypes != NULL) {
		copy = xstrdup(br.conf->browse_subtypes);
		for (w = strtok_r(copy, " \t", &save); w != NULL;
		     w = strtok_r(NULL, " \t", &save)) {
			if ((sub = strstr(w, "._sub.")) == NULL)
				continue;
			*sub = '\0';
			if ((sb = browse_sub_find(w, sub + 6)) == NULL)
				browse_sub_new(w, sub + 6, 1, 0);
			else if (!sb->configured) {
				sb->configured = 1;
				br.nsubs_demand--;
			}
		}
		free(copy);
		save = NULL;
	}
	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (sb->b == NULL)
			browse_sub_start(client, sb);
	}
	if (br.conf->browse_types != NULL) {
		copy = xstrdup(br.conf->browse_types);
		for (w = strtok_r(copy, " \t", &save); w != NULL;
		     w = strtok_r(NULL, " \t", &save))
			browse_type_add(client, w, 1);
		free(copy);
		return;
	}
	br.tb = avahi_service_type_browser_new(client, AVAHI_IF_UNSPEC,
	    browse_protocol(), br.conf->browse_domain, 0, browse_type_cb, NULL);
	if (br.tb == NULL)
		log_warnx("browse: cannot enumerate service types: %s",
		    avahi_strerror(avahi_client_errno(client)));
}

/*
 * Avahi is gone: free every Avahi object, keep the cache to answer from
 * until Avahi is back.
 */
static void
browse_avahi_down(void *arg)
{
	struct instance *i;
	struct btype	*t;
	struct bsub	*sb;
	size_t		 k;

	for (i = cache_first_of_type(br.cache, NULL); i != NULL;
	     i = cache_next(br.cache, i)) {
		for (k = 0; k < i->npaths; k++) {
			if (i->paths[k].browse != NULL)
				bpath_free(i->paths[k].browse);
			i->paths[k].browse = NULL;
		}
	}
	while ((t = TAILQ_FIRST(&br.types)) != NULL)
		browse_type_free(t);
	if (br.tb != NULL) {
		avahi_service_type_browser_free(br.tb);
		br.tb = NULL;
	}
	TAILQ_FOREACH(sb, &br.subs, entry)
		browse_sub_clear(sb);
	br.resolving = br.open = 0;
	if (br.pause != NULL)
		evtimer_del(br.pause);
	br.paused = 0;
	br.pause_secs = 0;
}

void
browse_init(struct event_base *base, const struct config *conf,
    struct cache *cache)
{
	br.base = base;
	br.conf = conf;
	br.cache = cache;
	TAILQ_INIT(&br.types);
	TAILQ_INIT(&br.subs);
	TAILQ_INIT(&br.queue);
	TAILQ_INIT(&br.failed);
	br.hook.up = browse_avahi_up;
	br.hook.down = browse_avahi_down;
	avahi_hook_add(&br.hook);
	br.expire = event_new(base, -1, EV_PERSIST, browse_expire, NULL);
	if (br.expire == NULL ||
	    event_add(br.expire, &(struct timeval){ BROWSE_EXPIRE_SECS, 0 }) ==
		-1)
		fatalx("%s: cannot start the expiry timer", __func__);
}

void
browse_shutdown(void)
{
	struct bsub *sb;

	browse_avahi_down(NULL);
	while ((sb = TAILQ_FIRST(&br.subs)) != NULL)
		browse_sub_free(sb);
	avahi_hook_remove(&br.hook);
	if (br.expire != NULL) {
		event_free(br.expire);
		br.expire = NULL;
	}
	if (br.retry != NULL) {
		event_free(br.retry);
		br.retry = NULL;
	}
	if (br.pause != NULL) {
		event_free(br.pause);
		br.pause = NULL;
	}
}

struct json_object *
browse_status_json(void)
{
	struct json_object *o = json_object_new_object();
	unsigned int	    queued = 0, retrying = 0;
	struct bpath	   *bp;

	TAILQ_FOREACH(bp, &br.queue, queue)
		queued++;
	TAILQ_FOREACH(bp, &br.failed, queue)
		retrying++;
	json_object_object_add(o, "types_browsed",
	    json_object_new_int((int)br.ntypes));
	json_object_object_add(o, "types_left_out",
	    json_object_new_int64((int64_t)br.types_dropped));
	json_object_object_add(o, "subtypes_on_demand",
	    json_object_new_int((int)br.nsubs_demand));
	json_object_object_add(o, "instances",
	    json_object_new_int((int)br.cache->count));
	json_object_object_add(o, "unresolved",
	    json_object_new_int((int)(br.cache->total - br.cache->count)));
	json_object_object_add(o, "resolving",
	    json_object_new_int((int)br.resolving));
	json_object_object_add(o, "queued", json_object_new_int((int)queued));
	json_object_object_add(o, "retrying",
	    json_object_new_int((int)retrying));
	json_object_object_add(o, "paused", json_object_new_boolean(br.paused));
	json_object_object_add(o, "resolvers_open",
	    json_object_new_int((int)br.open));
	json_object_object_add(o, "resolutions",
	    json_object_new_int64((int64_t)br.resolved));
	json_object_object_add(o, "failures",
	    json_object_new_int64((int64_t)br.failures));
	return (o);
}
