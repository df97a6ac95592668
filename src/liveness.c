/*
 * Liveness of peers: a host that vanishes without a goodbye (its
 * avahi-daemon killed, its link cut) leaves its records in every mDNS
 * cache for up to 75 minutes (RFC 6762 10: PTR TTL 4500 s).  discod asks
 * each peer host directly instead: once per interval it sends each
 * address the host was resolved to one legacy unicast query (RFC 6762
 * 6.7: an ordinary DNS query from a port other than 5353, to port 5353)
 * for its own address record of that family (A over IPv4, AAAA over
 * IPv6), which any live responder answers at once.  A link-local IPv6
 * address is sent to on the interface the instance was seen on.
 *
 * An address silent for unreachable-ms is unreachable; an instance is
 * unreachable (no longer picked or resolved) when every address of it
 * that is probed is, and removed for watchers and list when every one has
 * been silent for remove-ms.  So a dual-stack host, or one seen on two
 * links, stays in answers while any of its addresses answers: clients
 * connect with whichever works (Happy Eyeballs, or the next address), and
 * one family's or one link's outage is not the host's death.  An answer
 * brings them back.  The cost is one query and one answer per peer
 * address per interval, unicast, whatever the number of instances:
 * doc/liveness.md has the figures.
 *
 * What a peer says is not trusted (discocore/probe.c has the rules): an
 * answer counts only if it answers the question asked, and only addresses
 * on-link for the interface an instance was seen on are probed, so that a
 * hostile A or AAAA record cannot aim discod's queries off the link.  An
 * instance with no such address is not probed at all: its liveness is
 * left to Avahi and its records' TTLs, and any verdict of ours on it is
 * dropped.  Over IPv4 an answer must come from the address asked; over
 * IPv6 from the same link (avahi-daemon answers a query sent to its
 * link-local address from its global one).  A flood of datagrams on a
 * socket is read at most RX_BURST at a time, so it cannot hold the loop.
 */
#include "config.h"

#include <sys/socket.h>

#include <sys/tree.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

/* One address of a peer host, on one interface: what is probed. */
struct peer {
	RB_ENTRY(peer) entry;
	int	       family; /* AF_INET or AF_INET6 */
	int	       ifindex;
	unsigned char  addr[16]; /* an IPv4 one in the first 4, then 0 */
	char	       text[CACHE_ADDR_TEXT_MAX]; /* for the log */
	char	      *host;			  /* its name, e.g. "b.local" */
	uint16_t       qid[QUERIES_KEPT];	  /* the last queries' */
	unsigned int   nq;			  /* queries sent */
	long long      last_sent;		  /* ms, monotonic */
	long long      unanswered; /* ms, monotonic: when the first
						query since the last answer
						went out; 0: none */
	int	       unreachable;
	int	       removed;
	int	       news; /* NEWS_*: turned so this tick, not yet told */
	int	       seen; /* mark for the sweep */
};

#define NEWS_UNREACHABLE 0x1
#define NEWS_REMOVED	 0x2

static int
peer_cmp(const struct peer *a, const struct peer *b)
{
	if (a->family != b->family)
		return (a->family < b->family ? -1 : 1);
	if (a->ifindex != b->ifindex)
		return (a->ifindex < b->ifindex ? -1 : 1);
	return (memcmp(a->addr, b->addr, sizeof(a->addr)));
}

RB_HEAD(peer_tree, peer);
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(peer_tree, peer, entry, peer_cmp)

static struct {
	struct event_base    *base;
	const struct config  *conf;
	struct cache	     *cache;
	int		      fd4, fd6;
	struct event	     *rx4, *rx6;
	struct event	     *tick;
	struct peer_tree      peers;
	unsigned int	      npeers;
	unsigned long	      sent;
	unsigned long	      answers;
	struct probe_ifaddr  *ifs4; /* this host's IPv4 prefixes */
	size_t		      nifs4;
	struct probe_ifaddr6 *ifs6; /* and its IPv6 ones */
	size_t		      nifs6;
	int		      ifs_read; /* ever */
	int		      ifs_stale;
	long long	      ifs_when; /* ms, monotonic */
} lv = { .fd4 = -1, .fd6 = -1 };

static long long
liveness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* The prefix length of an IPv6 netmask (its leading one bits). */
static unsigned int
liveness_plen(const struct in6_addr *mask)
{
	unsigned int n = 0, b;

	for (b = 0; b < 128; b++) {
		if (!(mask->s6_addr[b / 8] & (0x80 >> (b % 8))))
			break;
		n++;
	}
	return (n);
}

static void
liveness_ifaddr4(const struct ifaddrs *a, unsigned int ifindex,
    struct probe_ifaddr **ifs, size_t *n, size_t *cap)
{
	struct probe_ifaddr *f;

	if (*n == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		*ifs = xreallocarray(*ifs, *cap, sizeof(**ifs));
	}
	f = &(*ifs)[(*n)++];
	f->ifindex = (int)ifindex;
	f->addr = ((const struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr;
	f->mask = ((const struct sockaddr_in *)a->ifa_netmask)->sin_addr.s_addr;
	/* On a point-to-point link the peer is what is on-link. */
	if ((a->ifa_flags & IFF_POINTOPOINT) && a->ifa_dstaddr != NULL &&
	    a->ifa_dstaddr->sa_family == AF_INET) {
		f->addr = ((const struct sockaddr_in *)a->ifa_dstaddr)
			      ->sin_addr.s_addr;
		f->mask = 0xffffffff;
	}
}

static void
liveness_ifaddr6(const struct ifaddrs *a, unsigned int ifindex,
    struct probe_ifaddr6 **ifs, size_t *n, size_t *cap)
{
	struct probe_ifaddr6 *f;

	if (*n == *cap) {
		*cap = *cap == 0 ? 8 : *cap * 2;
		*ifs = xreallocarray(*ifs, *cap, sizeof(**ifs));
	}
	f = &(*ifs)[(*n)++];
	f->ifindex = (int)ifindex;
	memcpy(f->addr, &((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr,
	    16);
	f->plen = liveness_plen(
	    &((const struct sockaddr_in6 *)a->ifa_netmask)->sin6_addr);
	if ((a->ifa_flags & IFF_POINTOPOINT) && a->ifa_dstaddr != NULL &&
	    a->ifa_dstaddr->sa_family == AF_INET6) {
		memcpy(f->addr,
		    &((const struct sockaddr_in6 *)a->ifa_dstaddr)->sin6_addr,
		    16);
		f->plen = 128;
	}
}

/*
 * Read this host's IPv4 and IPv6 prefixes again, when due.  A failure
 * keeps the last ones read.
 */
static void
liveness_ifaddrs(long long now)
{
	struct ifaddrs	     *ifa, *a;
	struct probe_ifaddr  *ifs4 = NULL;
	struct probe_ifaddr6 *ifs6 = NULL;
	size_t		      n4 = 0, cap4 = 0, n6 = 0, cap6 = 0;
	char		      name[IF_NAMESIZE], *colon;
	unsigned int	      ifindex;

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
		if (a->ifa_addr == NULL || a->ifa_netmask == NULL ||
		    !(a->ifa_flags & IFF_UP) ||
		    (a->ifa_addr->sa_family != AF_INET &&
			a->ifa_addr->sa_family != AF_INET6))
			continue;
		/* An alias ("eth0:1") is its interface's. */
		strlcpy(name, a->ifa_name, sizeof(name));
		if ((colon = strchr(name, ':')) != NULL)
			*colon = '\0';
		if ((ifindex = if_nametoindex(name)) == 0)
			continue;
		if (a->ifa_addr->sa_family == AF_INET)
			liveness_ifaddr4(a, ifindex, &ifs4, &n4, &cap4);
		else
			liveness_ifaddr6(a, ifindex, &ifs6, &n6, &cap6);
	}
	freeifaddrs(ifa);
	free(lv.ifs4);
	lv.ifs4 = ifs4;
	lv.nifs4 = n4;
	free(lv.ifs6);
	lv.ifs6 = ifs6;
	lv.nifs6 = n6;
}

/* May this resolved address of an instance be probed? */
static int
liveness_probed(const struct cache_path *p)
{
	uint32_t addr;

	if (!p->resolved)
		return (0);
	if (p->family == AF_INET) {
		memcpy(&addr, p->addr, sizeof(addr));
		return (probe_onlink(lv.ifs4, lv.nifs4, p->ifindex, addr));
	}
	return (p->family == AF_INET6 &&
	    probe_onlink6(lv.ifs6, lv.nifs6, p->ifindex, p->addr));
}

/* The key of the peer at path's address, in *key. */
static void
liveness_key(const struct cache_path *p, struct peer *key)
{
	key->family = p->family;
	key->ifindex = p->ifindex;
	memset(key->addr, 0, sizeof(key->addr));
	memcpy(key->addr, p->addr, p->family == AF_INET ? 4 : 16);
}

/*
 * The verdict on an instance from its probed addresses: unreachable when
 * every one is, hidden when every one has been silent long enough to be
 * removed.  While some answer, those that do not are left out of its
 * addresses (a link of two down, a family cut); when none does, the
 * instance as a whole is marked and its addresses stay as they were.  An
 * address not probed yet (seen since the last tick) counts as answering;
 * with none probed at all, the verdict is Avahi's alone.
 */
static void
liveness_verdict(struct instance *i)
{
	const struct peer *p;
	struct peer	   key;
	unsigned char	   stack[16] = { 0 }, *silent;
	size_t		   k, n = 0, unreachable = 0, removed = 0;

	silent = i->npaths <= sizeof(stack) ? stack : xcalloc(i->npaths, 1);
	for (k = 0; k < i->npaths; k++) {
		silent[k] = 0;
		if (!liveness_probed(&i->paths[k]))
			continue;
		n++;
		liveness_key(&i->paths[k], &key);
		if ((p = RB_FIND(peer_tree, &lv.peers, &key)) == NULL)
			continue;
		silent[k] = p->unreachable != 0;
		unreachable += silent[k];
		removed += p->removed != 0;
	}
	/* Silent addresses leave the answers only while another answers. */
	for (k = 0; k < i->npaths && unreachable == n; k++)
		silent[k] = 0;
	cache_set_liveness(lv.cache, i, n == 0 || unreachable < n, silent);
	if (silent != stack)
		free(silent);
	cache_set_hidden(lv.cache, i, n > 0 && removed == n);
}

/* Has the instance an address probed as peer p? */
static int
liveness_has(const struct instance *i, const struct peer *p)
{
	struct peer key;
	size_t	    k;

	for (k = 0; k < i->npaths; k++) {
		if (!i->paths[k].resolved || i->paths[k].family != p->family ||
		    i->paths[k].ifindex != p->ifindex)
			continue;
		liveness_key(&i->paths[k], &key);
		if (memcmp(key.addr, p->addr, sizeof(key.addr)) == 0)
			return (1);
	}
	return (0);
}

/* Apply a change of peer p's state to every instance at its address. */
static void
liveness_apply(const struct peer *p)
{
	struct cache	*c = lv.cache;
	struct instance *i, *next;

	for (i = cache_first_of_type(c, NULL); i != NULL; i = next) {
		next = cache_next(c, i);
		if (!i->local && liveness_has(i, p))
			liveness_verdict(i);
	}
}

/*
 * Is any other address of p's host (same name) still answering?  Then the
 * host is not unreachable, whatever this address does.
 */
static int
liveness_host_answers(const struct peer *p)
{
	struct peer *q;

	RB_FOREACH(q, peer_tree, &lv.peers) {
		if (q != p && !q->unreachable &&
		    strcasecmp(q->host, p->host) == 0)
			return (1);
	}
	return (0);
}

/* Has every address of p's host been silent long enough to be removed? */
static int
liveness_host_removed(const struct peer *p)
{
	struct peer *q;

	RB_FOREACH(q, peer_tree, &lv.peers) {
		if (!q->removed && strcasecmp(q->host, p->host) == 0)
			return (0);
	}
	return (1);
}

/*
 * Tell what turned this tick, once per host: the journal hears of a host
 * that stopped answering at every address; an address silent while
 * another of its host answers is only logged.
 */
static void
liveness_tell(long long now)
{
	struct peer *p, *q;
	long long    silent;

	RB_FOREACH(p, peer_tree, &lv.peers) {
		if (p->news == 0)
			continue;
		silent = p->unanswered != 0 ? now - p->unanswered : 0;
		if ((p->news & NEWS_UNREACHABLE) && liveness_host_answers(p))
			log_info("liveness: %s does not answer at %s; it "
				 "does at another address",
			    p->host, p->text);
		else if (p->news & NEWS_UNREACHABLE) {
			struct journal_fields jf = { NULL, NULL, p->host, 0 };

			journal_event(JOURNAL_PEER_UNREACHABLE, LOG_WARNING,
			    &jf,
			    "liveness: %s (%s) silent for %lld ms: its "
			    "instances are unreachable",
			    p->host, p->text, silent);
		}
		if ((p->news & NEWS_REMOVED) && liveness_host_removed(p))
			log_info("liveness: %s (%s) silent for %lld ms: its "
				 "instances are removed",
			    p->host, p->text, silent);
		/* The host's other addresses that turned too: told. */
		RB_FOREACH(q, peer_tree, &lv.peers) {
			if (q != p && strcasecmp(q->host, p->host) == 0)
				q->news &= ~p->news;
		}
		p->news = 0;
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

/* Does msg (n bytes) answer one of p's recent queries? */
static int
liveness_answers(const struct peer *p, const unsigned char *msg, size_t n,
    uint16_t qid)
{
	return (liveness_asked(p, qid) &&
	    probe_reply_valid(msg, n, p->host,
		p->family == AF_INET ? ns_t_a : ns_t_aaaa, qid));
}

/*
 * The peer an answer from (family, addr) that came in on ifindex is for:
 * the peer at that address on that link; else over IPv4 one at that
 * address on another link (two links on one subnet), over IPv6 any peer
 * on that link whose query it answers (a responder may answer from
 * another of its addresses than the one asked).
 */
static struct peer *
liveness_answered(int family, const unsigned char *addr, int ifindex,
    const unsigned char *msg, size_t n, uint16_t qid)
{
	struct peer key, *p;
	size_t	    k;

	memset(&key, 0, sizeof(key));
	key.family = family;
	key.ifindex = ifindex;
	memcpy(key.addr, addr, family == AF_INET ? 4 : 16);
	if ((p = RB_FIND(peer_tree, &lv.peers, &key)) != NULL &&
	    liveness_answers(p, msg, n, qid))
		return (p);
	if (family == AF_INET) {
		/* At that address on another interface: a lookup for each. */
		for (k = 0; k < lv.nifs4; k++) {
			if (lv.ifs4[k].ifindex == ifindex)
				continue;
			key.ifindex = lv.ifs4[k].ifindex;
			if ((p = RB_FIND(peer_tree, &lv.peers, &key)) != NULL &&
			    liveness_answers(p, msg, n, qid))
				return (p);
		}
		return (NULL);
	}
	/* The peers on that link, in order: from the lowest address on. */
	memset(key.addr, 0, sizeof(key.addr));
	for (p = RB_NFIND(peer_tree, &lv.peers, &key);
	     p != NULL && p->family == AF_INET6 && p->ifindex == ifindex;
	     p = RB_NEXT(peer_tree, &lv.peers, p)) {
		if (liveness_answers(p, msg, n, qid))
			return (p);
	}
	return (NULL);
}

/* Peer p answered: it is alive, and so are its instances. */
static void
liveness_alive(struct peer *p)
{
	lv.answers++;
	p->unanswered = 0;
	if (p->unreachable || p->removed) {
		struct journal_fields jf = { NULL, NULL, p->host, 0 };

		/* The host is back if it answered at no address before. */
		if (liveness_host_answers(p))
			log_info("liveness: %s answers at %s again", p->host,
			    p->text);
		else
			journal_event(JOURNAL_PEER_BACK, LOG_INFO, &jf,
			    "liveness: %s (%s) answers again", p->host,
			    p->text);
		p->unreachable = p->removed = 0;
		p->news = 0;
		liveness_apply(p);
	}
}

/*
 * Read one datagram from fd into buf: its length, or -1 when there is
 * none.  The sender is in *family, addr and *port, the interface it came
 * in on (0 when unknown) in *ifindex.
 */
static ssize_t
liveness_recv(int fd, unsigned char *buf, size_t size, int *family,
    unsigned char *addr, unsigned int *port, int *ifindex)
{
	struct sockaddr_storage ss;
	struct msghdr		msg;
	struct iovec		iov;
	struct cmsghdr	       *cm;
	union {
		struct cmsghdr hdr;
		unsigned char  buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		     CMSG_SPACE(sizeof(struct in_pktinfo))];
	} control;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = buf;
	iov.iov_len = size;
	msg.msg_name = &ss;
	msg.msg_namelen = sizeof(ss);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control.buf;
	msg.msg_controllen = sizeof(control.buf);
	if ((n = recvmsg(fd, &msg, 0)) == -1)
		return (-1);
	*family = ss.ss_family;
	*ifindex = 0;
	if (ss.ss_family == AF_INET &&
	    msg.msg_namelen == sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		memcpy(addr, &sin->sin_addr, 4);
		*port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6 &&
	    msg.msg_namelen == sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		memcpy(addr, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
		*ifindex = (int)sin6->sin6_scope_id;
	} else {
		*family = AF_UNSPEC;
		return (n);
	}
	/* The interface it came in on, from IP_PKTINFO or IPV6_PKTINFO. */
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		struct in_pktinfo  pi;
		struct in6_pktinfo pi6;

		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			*ifindex = pi.ipi_ifindex;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(cm), sizeof(pi6));
			*ifindex = (int)pi6.ipi6_ifindex;
		}
	}
	return (n);
}

static void
liveness_rx(evutil_socket_t fd, short what, void *arg)
{
	unsigned char buf[1500], addr[16];
	struct peer  *p;
	ssize_t	      n;
	unsigned int  port;
	uint16_t      qid;
	int	      k, family, ifindex;

	/* Level-triggered: what is left wakes the loop again. */
	for (k = 0; k < RX_BURST; k++) {
		if ((n = liveness_recv(fd, buf, sizeof(buf), &family, addr,
			 &port, &ifindex)) == -1)
			return;
		/* From a peer's port 5353, to one of its recent queries. */
		if (n < NS_HFIXEDSZ || port != MDNS_PORT ||
		    (family != AF_INET && family != AF_INET6))
			continue;
		/* Over IPv6, from an address on the link it came in on. */
		if (family == AF_INET6 &&
		    (ifindex == 0 ||
			!probe_onlink6(lv.ifs6, lv.nifs6, ifindex, addr)))
			continue;
		qid = (uint16_t)(buf[0] << 8 | buf[1]);
		p = liveness_answered(family, addr, ifindex, buf, (size_t)n,
		    qid);
		if (p != NULL)
			liveness_alive(p);
	}
}

static struct peer *
liveness_peer(const struct cache_path *path, const char *host)
{
	struct peer key, *p;

	liveness_key(path, &key);
	if ((p = RB_FIND(peer_tree, &lv.peers, &key)) != NULL) {
		/*
		 * The host was renamed (Avahi's "b-2.local" after a conflict):
		 * ask for the name it answers to now, or it would be found
		 * silent.
		 */
		if (strcasecmp(p->host, host) != 0) {
			free(p->host);
			p->host = xstrdup(host);
		}
		return (p);
	}
	p = xcalloc(1, sizeof(*p));
	liveness_key(path, p);
	cache_path_text(path, p->text, sizeof(p->text));
	p->host = xstrdup(host);
	RB_INSERT(peer_tree, &lv.peers, p);
	lv.npeers++;
	return (p);
}

static void
liveness_peer_free(struct peer *p)
{
	RB_REMOVE(peer_tree, &lv.peers, p);
	lv.npeers--;
	free(p->host);
	free(p);
}

/* Send peer p its next query. */
static void
liveness_send(struct peer *p, long long now)
{
	struct sockaddr_storage ss;
	socklen_t		slen;
	unsigned char		q[300];
	size_t			n;
	uint16_t		qid;
	int			fd;

	qid = (uint16_t)arc4random();
	if ((n = probe_query(q, sizeof(q), qid, p->host,
		 p->family == AF_INET ? ns_t_a : ns_t_aaaa)) == 0)
		return;
	p->last_sent = now;
	p->qid[p->nq++ % QUERIES_KEPT] = qid;
	if (p->unanswered == 0)
		p->unanswered = now;
	memset(&ss, 0, sizeof(ss));
	if (p->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(MDNS_PORT);
		memcpy(&sin->sin_addr, p->addr, 4);
		slen = sizeof(*sin);
		fd = lv.fd4;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(MDNS_PORT);
		memcpy(&sin6->sin6_addr, p->addr, 16);
		/* A link-local address means nothing without its link. */
		if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
			sin6->sin6_scope_id = (uint32_t)p->ifindex;
		slen = sizeof(*sin6);
		fd = lv.fd6;
	}
	if (fd == -1 ||
	    sendto(fd, q, n, 0, (struct sockaddr *)&ss, slen) == -1) {
		log_debug("liveness: sendto %s: %s", p->text,
		    fd == -1 ? "no socket" : strerror(errno));
		lv.ifs_stale = 1;
	} else
		lv.sent++;
}

/* Has peer p been silent long enough for a verdict? */
static void
liveness_judge(struct peer *p, long long now)
{
	long long silent;

	/*
	 * Silence runs from the first query left unanswered, not from the
	 * last answer: if discod itself was held up and sent nothing, the
	 * peer was not silent.
	 */
	silent = p->unanswered != 0 ? now - p->unanswered : 0;
	if (!p->unreachable &&
	    silent >= (long long)lv.conf->liveness_unreachable_ms) {
		p->unreachable = 1;
		p->news |= NEWS_UNREACHABLE;
		liveness_apply(p);
	}
	if (!p->removed && silent >= (long long)lv.conf->liveness_remove_ms) {
		p->removed = 1;
		p->news |= NEWS_REMOVED;
		liveness_apply(p);
	}
}

static void
liveness_tick(evutil_socket_t fd, short what, void *arg)
{
	struct cache	*c = lv.cache;
	struct instance *i, *inext;
	struct peer	*p, *next;
	long long	 now = liveness_now();
	size_t		 k, nprobed, naddr;

	/*
	 * Answers first: when the loop was held up (a slow Avahi call), the
	 * answers that came meanwhile are waiting, and they count.
	 */
	if (lv.fd4 != -1)
		liveness_rx(lv.fd4, EV_READ, NULL);
	if (lv.fd6 != -1)
		liveness_rx(lv.fd6, EV_READ, NULL);
	liveness_ifaddrs(now);

	/*
	 * The peers are the addresses of the remote instances in the cache
	 * that are on-link where they were seen.  An instance without one
	 * is Avahi's to judge: a verdict of ours from before (its address
	 * was on-link then) no longer holds.
	 */
	RB_FOREACH(p, peer_tree, &lv.peers)
		p->seen = 0;
	for (i = cache_first_of_type(c, NULL); i != NULL; i = inext) {
		inext = cache_next(c, i);
		if (i->local || !i->resolved || i->host == NULL)
			continue;
		for (k = 0, nprobed = 0, naddr = 0; k < i->npaths; k++) {
			naddr += i->paths[k].resolved != 0;
			if (!liveness_probed(&i->paths[k]))
				continue;
			liveness_peer(&i->paths[k], i->host)->seen = 1;
			nprobed++;
		}
		if (nprobed == 0 && naddr > 0)
			lv.ifs_stale = 1;
		liveness_verdict(i);
	}
	RB_FOREACH_SAFE(p, peer_tree, &lv.peers, next) {
		if (!p->seen) {
			liveness_peer_free(p);
			continue;
		}
		liveness_judge(p, now);
		/* Half a check early still counts as on time. */
		if (p->nq > 0 &&
		    now - p->last_sent <
			(long long)lv.conf->liveness_interval_ms - CHECK_MS / 2)
			continue;
		liveness_send(p, now);
	}
	liveness_tell(now);
}

/* A socket of family for the prober, its reads on the loop in *ev. */
static int
liveness_socket(int family, struct event **ev)
{
	int fd, on = 1;

	if ((fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		 0)) == -1) {
		log_warn("liveness: %s socket",
		    family == AF_INET ? "IPv4" : "IPv6");
		return (-1);
	}
	/* Which interface an answer came in on. */
	if ((family == AF_INET &&
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) ==
		    -1) ||
	    (family == AF_INET6 &&
		(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ==
			-1 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on,
			sizeof(on)) == -1))) {
		log_warn("liveness: socket options");
		close(fd);
		return (-1);
	}
	*ev = event_new(lv.base, fd, EV_READ | EV_PERSIST, liveness_rx, NULL);
	if (*ev == NULL || event_add(*ev, NULL) == -1)
		fatalx("%s: cannot start the prober", __func__);
	return (fd);
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
	RB_INIT(&lv.peers);
	if (!conf->liveness)
		return;
	/* A host without IPv6 (or IPv4) probes over the other family. */
	lv.fd4 = liveness_socket(AF_INET, &lv.rx4);
	lv.fd6 = liveness_socket(AF_INET6, &lv.rx6);
	if (lv.fd4 == -1 && lv.fd6 == -1)
		return;
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
	if (lv.tick == NULL || event_add(lv.tick, &tv) == -1)
		fatalx("%s: cannot start the prober", __func__);
}

void
liveness_shutdown(void)
{
	struct peer *p;

	if (lv.rx4 != NULL)
		event_free(lv.rx4);
	if (lv.rx6 != NULL)
		event_free(lv.rx6);
	if (lv.tick != NULL)
		event_free(lv.tick);
	lv.rx4 = lv.rx6 = lv.tick = NULL;
	if (lv.fd4 != -1)
		close(lv.fd4);
	if (lv.fd6 != -1)
		close(lv.fd6);
	lv.fd4 = lv.fd6 = -1;
	while ((p = RB_MIN(peer_tree, &lv.peers)) != NULL)
		liveness_peer_free(p);
	free(lv.ifs4);
	free(lv.ifs6);
	lv.ifs4 = NULL;
	lv.ifs6 = NULL;
	lv.nifs4 = lv.nifs6 = 0;
	lv.ifs_read = 0;
}

struct json_object *
liveness_status_json(void)
{
	struct json_object *o = json_object_new_object();
	struct peer	   *p;
	int		    unreachable = 0, v6 = 0;

	RB_FOREACH(p, peer_tree, &lv.peers) {
		unreachable += p->unreachable;
		v6 += p->family == AF_INET6;
	}
	json_object_object_add(o, "probing",
	    json_object_new_boolean(lv.fd4 != -1 || lv.fd6 != -1));
	json_object_object_add(o, "interval_ms",
	    json_object_new_int((int)lv.conf->liveness_interval_ms));
	json_object_object_add(o, "peers", json_object_new_int((int)lv.npeers));
	json_object_object_add(o, "peers_ipv6", json_object_new_int(v6));
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
