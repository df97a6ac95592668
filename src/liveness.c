/*
 * Liveness of peers: a host that vanishes without a goodbye (its
 * avahi-daemon killed, its link cut) leaves its records in every mDNS
 * cache for up to 75 minutes (RFC 6762 10: PTR TTL 4500 s).  discod asks
 * each peer host directly instead: once per interval it sends the host
 * one legacy unicast query (RFC 6762 6.7: an ordinary DNS query from a
 * port other than 5353, to port 5353) for its own address record, which
 * any live responder answers at once.
 *
 * A host silent for unreachable-ms has its instances marked unreachable
 * (no longer picked or resolved); silent for remove-ms, they are removed
 * for watchers and list.  An answer brings them back.  The cost is one
 * query and one answer per peer host per interval, unicast, whatever the
 * number of instances: doc/liveness.md has the figures.
 *
 * What a peer says is not trusted (discocore/probe.c has the rules): an
 * answer counts only if it answers the question asked, and only addresses
 * on-link for the interface an instance was seen on are probed, so that a
 * hostile A record cannot aim discod's queries off the link.  An instance
 * with no such address (off-link, or IPv6 only) is not probed at all: its
 * liveness is left to Avahi and its records' TTLs, and any verdict of ours
 * on it is dropped.  A flood of datagrams on the socket is read at most
 * RX_BURST at a time, so it cannot hold the loop.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "discod.h"

#define MDNS_PORT    5353
#define QUERIES_KEPT 16	 /* a late answer to any of these counts */
#define CHECK_MS     250 /* how often silence is looked at */
#define RX_BURST     64	 /* datagrams read per wakeup at most */
/*
 * The interfaces' addresses are read again this often, and sooner (but
 * not more often than IFADDRS_RETRY_MS) when a peer's address was not
 * on-link or a query could not be sent: an address may have come or gone.
 */
#define IFADDRS_MS	 30000
#define IFADDRS_RETRY_MS 2000

struct peer {
	TAILQ_ENTRY(peer) entry;
	struct in_addr	  addr;
	char		 *host;		     /* its name, e.g. "b.local" */
	uint16_t	  qid[QUERIES_KEPT]; /* the last queries' */
	unsigned int	  nq;		     /* queries sent */
	long long	  last_sent;	     /* ms, monotonic */
	long long	  unanswered;	     /* ms, monotonic: when the first
						   query since the last answer
						   went out; 0: none */
	int		  unreachable;
	int		  removed;
	int		  seen; /* mark for the sweep */
};

static struct {
	struct event_base   *base;
	const struct config *conf;
	struct cache	    *cache;
	int		     fd;
	struct event	    *rx;
	struct event	    *tick;
	TAILQ_HEAD(, peer) peers;
	unsigned int	     npeers;
	unsigned long	     sent;
	unsigned long	     answers;
	struct probe_ifaddr *ifs; /* this host's IPv4 prefixes */
	size_t		     nifs;
	int		     ifs_read; /* ever */
	int		     ifs_stale;
	long long	     ifs_when; /* ms, monotonic */
} lv = { .fd = -1 };

static long long
liveness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Read this host's IPv4 prefixes again, when due.  A failure keeps the
 * last ones read.
 */
static void
liveness_ifaddrs(long long now)
{
	struct ifaddrs	    *ifa, *a;
	struct probe_ifaddr *ifs = NULL;
	size_t		     n = 0, cap = 0;
	char		     name[IF_NAMESIZE], *colon;
	unsigned int	     ifindex;

	if (lv.ifs_read &&
	    now - lv.ifs_when < (lv.ifs_stale ? IFADDRS_RETRY_MS : IFADDRS_MS))
		return;
	lv.ifs_read = 1;
	lv.ifs_when = now;
	lv.ifs_stale = 0;
	if (getifaddrs(&ifa) == -1) {
		log_warn("liveness: getifaddrs");
		return;
	}
	for (a = ifa; a != NULL; a = a->ifa_next) {
		if (a->ifa_addr == NULL || a->ifa_addr->sa_family != AF_INET ||
		    a->ifa_netmask == NULL || !(a->ifa_flags & IFF_UP))
			continue;
		/* An alias ("eth0:1") is its interface's. */
		strlcpy(name, a->ifa_name, sizeof(name));
		if ((colon = strchr(name, ':')) != NULL)
			*colon = '\0';
		if ((ifindex = if_nametoindex(name)) == 0)
			continue;
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			ifs = xreallocarray(ifs, cap, sizeof(*ifs));
		}
		ifs[n].ifindex = (int)ifindex;
		ifs[n].addr =
		    ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr;
		ifs[n].mask =
		    ((struct sockaddr_in *)a->ifa_netmask)->sin_addr.s_addr;
		/* On a point-to-point link the peer is what is on-link. */
		if ((a->ifa_flags & IFF_POINTOPOINT) &&
		    a->ifa_dstaddr != NULL &&
		    a->ifa_dstaddr->sa_family == AF_INET) {
			ifs[n].addr = ((struct sockaddr_in *)a->ifa_dstaddr)
					  ->sin_addr.s_addr;
			ifs[n].mask = 0xffffffff;
		}
		n++;
	}
	freeifaddrs(ifa);
	free(lv.ifs);
	lv.ifs = ifs;
	lv.nifs = n;
}

/*
 * The IPv4 address an instance was resolved to that may be probed: the
 * first one on-link for the interface it was seen on, if any.
 */
static const struct cache_path *
liveness_v4(const struct instance *i)
{
	const struct cache_path *p;
	uint32_t		 addr;
	size_t			 k;

	for (k = 0; k < i->npaths; k++) {
		p = &i->paths[k];
		if (!p->resolved || p->family != AF_INET)
			continue;
		memcpy(&addr, p->addr, sizeof(addr));
		if (probe_onlink(lv.ifs, lv.nifs, p->ifindex, addr))
			return (p);
	}
	return (NULL);
}

/* Has the instance a resolved IPv4 address, on-link or not? */
static int
liveness_has_v4(const struct instance *i)
{
	size_t k;

	for (k = 0; k < i->npaths; k++) {
		if (i->paths[k].resolved && i->paths[k].family == AF_INET)
			return (1);
	}
	return (0);
}

/* Apply a peer's state to every instance that lives on it. */
static void
liveness_apply(struct peer *p)
{
	struct cache		*c = lv.cache;
	struct instance		*i, *next;
	const struct cache_path *path;

	for (i = cache_first_of_type(c, NULL); i != NULL; i = next) {
		next = cache_next(c, i);
		if (i->local || (path = liveness_v4(i)) == NULL ||
		    memcmp(path->addr, &p->addr, 4) != 0)
			continue;
		cache_set_reachable(c, i, !p->unreachable);
		cache_set_hidden(c, i, p->removed);
	}
}

/*
 * Was qid one of the peer's recent queries?  A host busy announcing
 * thousands of services may answer seconds late, after the next query
 * went out: a late answer still proves it alive.
 */
static int
liveness_asked(const struct peer *p, uint16_t qid)
{
	unsigned int k, n = p->nq < QUERIES_KEPT ? p->nq : QUERIES_KEPT;

	for (k = 0; k < n; k++) {
		if (p->qid[k] == qid)
			return (1);
	}
	return (0);
}

static void
liveness_rx(evutil_socket_t fd, short what, void *arg)
{
	struct sockaddr_in sin;
	socklen_t	   slen;
	unsigned char	   buf[1500];
	struct peer	  *p;
	ssize_t		   n;
	uint16_t	   qid;
	int		   k;

	/* Level-triggered: what is left wakes the loop again. */
	for (k = 0; k < RX_BURST; k++) {
		slen = sizeof(sin);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sin,
		    &slen);
		if (n == -1)
			return;
		/* From a peer's port 5353, to one of its recent queries. */
		if (n < NS_HFIXEDSZ || slen != sizeof(sin) ||
		    sin.sin_family != AF_INET ||
		    ntohs(sin.sin_port) != MDNS_PORT)
			continue;
		qid = (uint16_t)(buf[0] << 8 | buf[1]);
		TAILQ_FOREACH(p, &lv.peers, entry) {
			if (p->addr.s_addr == sin.sin_addr.s_addr)
				break;
		}
		if (p == NULL || !liveness_asked(p, qid) ||
		    !probe_reply_valid(buf, (size_t)n, p->host, ns_t_a, qid))
			continue;
		lv.answers++;
		p->unanswered = 0;
		if (p->unreachable || p->removed) {
			struct journal_fields jf = { NULL, NULL, p->host, 0 };

			journal_event(JOURNAL_PEER_BACK, LOG_INFO, &jf,
			    "liveness: %s (%s) answers again", p->host,
			    inet_ntoa(p->addr));
			p->unreachable = p->removed = 0;
			liveness_apply(p);
		}
	}
}

static struct peer *
liveness_peer(const struct cache_path *path, const char *host)
{
	struct peer *p;

	TAILQ_FOREACH(p, &lv.peers, entry) {
		if (memcmp(&p->addr, path->addr, 4) == 0)
			return (p);
	}
	p = xcalloc(1, sizeof(*p));
	memcpy(&p->addr, path->addr, 4);
	p->host = xstrdup(host);
	TAILQ_INSERT_TAIL(&lv.peers, p, entry);
	lv.npeers++;
	return (p);
}

static void
liveness_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cache		*c = lv.cache;
	struct instance		*i, *inext;
	const struct cache_path *path;
	struct peer		*p, *next;
	struct sockaddr_in	 sin;
	unsigned char		 q[300];
	long long		 now = liveness_now(), silent;
	size_t			 n;
	uint16_t		 qid;

	/*
	 * Answers first: when the loop was held up (a slow Avahi call), the
	 * answers that came meanwhile are waiting, and they count.
	 */
	liveness_rx(lv.fd, EV_READ, NULL);
	liveness_ifaddrs(now);

	/*
	 * The peers are the hosts of the remote instances in the cache, at
	 * an address on-link where they were seen.  An instance without one
	 * is Avahi's to judge: a verdict of ours from before (its address
	 * was on-link then) no longer holds.
	 */
	TAILQ_FOREACH(p, &lv.peers, entry)
		p->seen = 0;
	for (i = cache_first_of_type(c, NULL); i != NULL; i = inext) {
		inext = cache_next(c, i);
		if (i->local || !i->resolved || i->host == NULL)
			continue;
		if ((path = liveness_v4(i)) == NULL) {
			if (liveness_has_v4(i))
				lv.ifs_stale = 1;
			cache_set_reachable(c, i, 1);
			cache_set_hidden(c, i, 0);
			continue;
		}
		liveness_peer(path, i->host)->seen = 1;
	}
	TAILQ_FOREACH_SAFE(p, &lv.peers, entry, next) {
		if (!p->seen) {
			TAILQ_REMOVE(&lv.peers, p, entry);
			lv.npeers--;
			free(p->host);
			free(p);
			continue;
		}
		/*
		 * Silence runs from the first query left unanswered, not from
		 * the last answer: if discod itself was held up and sent
		 * nothing, the peer was not silent.
		 */
		silent = p->unanswered != 0 ? now - p->unanswered : 0;
		if (!p->unreachable &&
		    silent >= (long long)lv.conf->liveness_unreachable_ms) {
			struct journal_fields jf = { NULL, NULL, p->host, 0 };

			journal_event(JOURNAL_PEER_UNREACHABLE, LOG_WARNING,
			    &jf,
			    "liveness: %s (%s) silent for %lld ms: its "
			    "instances are unreachable",
			    p->host, inet_ntoa(p->addr), silent);
			p->unreachable = 1;
			liveness_apply(p);
		}
		if (!p->removed &&
		    silent >= (long long)lv.conf->liveness_remove_ms) {
			log_info("liveness: %s (%s) silent for %lld ms: its "
				 "instances are removed",
			    p->host, inet_ntoa(p->addr), silent);
			p->removed = 1;
			liveness_apply(p);
		}
		/* Half a check early still counts as on time. */
		if (p->nq > 0 &&
		    now - p->last_sent <
			(long long)lv.conf->liveness_interval_ms - CHECK_MS / 2)
			continue;
		qid = (uint16_t)arc4random();
		if ((n = probe_query(q, sizeof(q), qid, p->host, ns_t_a)) == 0)
			continue;
		p->last_sent = now;
		p->qid[p->nq++ % QUERIES_KEPT] = qid;
		if (p->unanswered == 0)
			p->unanswered = now;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(MDNS_PORT);
		sin.sin_addr = p->addr;
		if (sendto(lv.fd, q, n, 0, (struct sockaddr *)&sin,
			sizeof(sin)) == -1) {
			log_debug("liveness: sendto %s: %s", inet_ntoa(p->addr),
			    strerror(errno));
			lv.ifs_stale = 1;
		} else
			lv.sent++;
	}
}

void
liveness_init(struct event_base *base, const struct config *conf,
    struct cache *cache)
{
	struct timeval tv;
	unsigned int   ms;

	lv.base = base;
	lv.conf = conf;
	lv.cache = cache;
	TAILQ_INIT(&lv.peers);
	if (!conf->liveness)
		return;
	lv.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lv.fd == -1) {
		log_warn("liveness: socket");
		return;
	}
	lv.rx = event_new(base, lv.fd, EV_READ | EV_PERSIST, liveness_rx, NULL);
	lv.tick = event_new(base, -1, EV_PERSIST, liveness_tick, NULL);
	/*
	 * Queries go out once per interval, but silence is looked at more
	 * often, so that a verdict comes when its threshold passes, not up
	 * to an interval later.
	 */
	ms = conf->liveness_interval_ms < CHECK_MS ?
	    conf->liveness_interval_ms :
	    CHECK_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (lv.rx == NULL || lv.tick == NULL || event_add(lv.rx, NULL) == -1 ||
	    event_add(lv.tick, &tv) == -1)
		fatalx("%s: cannot start the prober", __func__);
}

void
liveness_shutdown(void)
{
	struct peer *p;

	if (lv.rx != NULL)
		event_free(lv.rx);
	if (lv.tick != NULL)
		event_free(lv.tick);
	lv.rx = lv.tick = NULL;
	if (lv.fd != -1)
		close(lv.fd);
	lv.fd = -1;
	while ((p = TAILQ_FIRST(&lv.peers)) != NULL) {
		TAILQ_REMOVE(&lv.peers, p, entry);
		free(p->host);
		free(p);
	}
	lv.npeers = 0;
	free(lv.ifs);
	lv.ifs = NULL;
	lv.nifs = 0;
	lv.ifs_read = 0;
}

struct json_object *
liveness_status_json(void)
{
	struct json_object *o = json_object_new_object();
	struct peer	   *p;
	int		    unreachable = 0;

	TAILQ_FOREACH(p, &lv.peers, entry)
		unreachable += p->unreachable;
	json_object_object_add(o, "probing",
	    json_object_new_boolean(lv.fd != -1));
	json_object_object_add(o, "interval_ms",
	    json_object_new_int((int)lv.conf->liveness_interval_ms));
	json_object_object_add(o, "peers", json_object_new_int((int)lv.npeers));
	json_object_object_add(o, "unreachable",
	    json_object_new_int(unreachable));
	json_object_object_add(o, "reachable",
	    json_object_new_int((int)lv.npeers - unreachable));
	json_object_object_add(o, "queries_sent",
	    json_object_new_int64((int64_t)lv.sent));
	json_object_object_add(o, "answers",
	    json_object_new_int64((int64_t)lv.answers));
	return (o);
}
