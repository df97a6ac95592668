/*
 * Beyond one link: this host's announcements written to an etcd cluster,
 * and every other host's read back into the cache as instances of the
 * wide-area domain ([wide-area] in discod.conf, doc/wide-area.md).
 *
 * One session at a time, with one member (an endpoint): a lease (granted,
 * then kept alive every third of its TTL), this host's records put with
 * it, and one watch on the prefix.  When a call fails the session moves
 * to the next endpoint and keeps its lease if etcd still has it, so that
 * a member going down changes nothing another host sees.  When every
 * endpoint has failed in turn the imported instances are kept but marked
 * stale, until a session is back and has read the prefix again.
 *
 * Records: doc/wide-area.md and discocore/widearea.c.  The lease ends a
 * dead discod's records within its TTL; a live one deletes what it
 * withdraws at once, and revokes its lease when it stops.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/tree.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "discod.h"

/* Puts and deletes in flight at once. */
#define WA_INFLIGHT_MAX 32
/* Keys one range or one watch message may bring. */
#define WA_KEYS_MAX 200000
/* Waits between rounds of failed endpoints: 250 ms, doubling, to 5 s. */
#define WA_RETRY_MIN_MS 250
#define WA_RETRY_MAX_MS 5000

/* One of this host's records: an announcement, or a key to delete. */
struct wa_pub {
	TAILQ_ENTRY(wa_pub) entry;
	unsigned long	    ann; /* the announcement, 0 once withdrawn */
	char		   *key;
	char		   *value; /* NULL: to be deleted */
	size_t		    vlen;
	unsigned long	    gen;  /* of the content */
	unsigned long	    sent; /* the content etcd has, or has in flight */
	struct etcd_req	   *req;
};

/* One record of another host, from etcd. */
struct wa_imp {
	RB_ENTRY(wa_imp) by_key;
	RB_ENTRY(wa_imp) by_name;
	char		*key;
	struct wa_key	 k;
	struct wa_record rec;
	long long	 create_rev;
	int		 active; /* in the cache (oldest of its name) */
	int		 seen;	 /* in the last full read */
};

static int
wa_imp_key_cmp(const struct wa_imp *a, const struct wa_imp *b)
{
	return (strcmp(a->key, b->key));
}

static int
wa_imp_name_cmp(const struct wa_imp *a, const struct wa_imp *b)
{
	int c;

	if ((c = strcasecmp(a->rec.type, b->rec.type)) != 0 ||
	    (c = strcasecmp(a->rec.name, b->rec.name)) != 0)
		return (c);
	if (a->create_rev != b->create_rev)
		return (a->create_rev < b->create_rev ? -1 : 1);
	return (strcmp(a->key, b->key));
}

RB_HEAD(wa_key_tree, wa_imp);
RB_HEAD(wa_name_tree, wa_imp);
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(wa_key_tree, wa_imp, by_key, wa_imp_key_cmp)
RB_GENERATE_STATIC(wa_name_tree, wa_imp, by_name, wa_imp_name_cmp)

enum wa_state {
	WA_OFF,
	WA_CONNECTING, /* authenticating, or getting a lease */
	WA_UP,	       /* a lease: records kept, the prefix watched */
	WA_WAITING,    /* every endpoint failed: a retry is due */
};

static struct {
	struct event_base   *base;
	const struct config *conf;
	struct cache	    *cache;
	enum wa_state	     state;
	struct etcd_opts     opts;
	char		   **endpoints;
	size_t		     nendpoints, ep;
	unsigned int	     failed;   /* endpoints failed in a row */
	unsigned int	     reauths;  /* tokens refused in a row */
	unsigned int	     retry_ms; /* the last wait between rounds */
	char		     host[WA_HOST_ID_MAX + 1];
	char		     password[256];
	/* "key":...,"range_end":...: every key under the prefix */
	char		 prefix_range[2 * (WA_PREFIX_MAX + 3) / 3 * 4 + 32];
	char		 range_end64[(WA_PREFIX_MAX + 3) / 3 * 4 + 1];
	long long	 read_rev;  /* of a read in pages, from its first */
	char		*read_from; /* the next page's first key, base64 */
	long long	 lease;
	long long	 watch_rev; /* the next revision to watch */
	int		 synced;    /* the prefix read: answers current */
	int		 stale;	    /* imported instances marked stale */
	struct etcd_req *call;	    /* auth, lease or range */
	struct etcd_req *keepalive;
	struct etcd_req *watch;
	struct event	*timer; /* keepalive or retry */
	unsigned int	 inflight;
	TAILQ_HEAD(, wa_pub) pubs;
	struct wa_key_tree  imps;
	struct wa_name_tree names;
	unsigned int	    nimps, nactive;
	unsigned long long  pages; /* of the prefix, read */
	/* for status and metrics */
	unsigned long long puts, deletes, events, rejected, conflicts;
	unsigned long long failovers, resyncs, leases, logins;
	double		   since; /* of the state */
	char		   error[256];
} wa = { .state = WA_OFF };

static void wa_connect(void);
static void wa_sync(void);
static void wa_import_start(void);

static const char *
wa_state_name(enum wa_state s)
{
	switch (s) {
	case WA_OFF:
		return ("off");
	case WA_CONNECTING:
		return ("connecting");
	case WA_UP:
		return ("up");
	case WA_WAITING:
		return ("unreachable");
	}
	return ("unknown");
}

static void
wa_set_state(enum wa_state s)
{
	if (wa.state != s)
		wa.since = clock_wall();
	wa.state = s;
}

static const char *
wa_endpoint(void)
{
	return (wa.endpoints[wa.ep]);
}

/* Does a [wide-area] publish or import list take this type? */
static int
wa_type_listed(const char *list, const char *type)
{
	char *copy, *w, *save = NULL;
	int   found = 0;

	if (list == NULL)
		return (1);
	copy = xstrdup(list);
	for (w = strtok_r(copy, " \t", &save); w != NULL && !found;
	     w = strtok_r(NULL, " \t", &save))
		found = strcasecmp(w, type) == 0;
	free(copy);
	return (found);
}

/* ---- the imported records, in the cache ---- */

/* The index of a wide-area address path: one per address, from -1 down. */
#define WA_IFINDEX(k) (-1 - (int)(k))

static void
wa_cache_remove(struct wa_imp *m)
{
	struct instance *i;

	if ((i = cache_find(wa.cache, m->rec.name, m->rec.type,
		 wa.conf->wa_domain)) == NULL)
		return;
	while (i != NULL && i->npaths > 0) {
		if (cache_lost(wa.cache, i, i->paths[i->npaths - 1].ifindex,
			i->paths[i->npaths - 1].family))
			i = NULL; /* its last path: removed */
	}
}

/* Put an active record's instance in the cache, or bring it up to date. */
static void
wa_cache_put(struct wa_imp *m)
{
	struct instance	     *i;
	const struct wa_addr *a;
	size_t		      k;
	int		      is_new, idx;

	cache_hold(wa.cache); /* one event for all the record's addresses */
	i = cache_find(wa.cache, m->rec.name, m->rec.type, wa.conf->wa_domain);
	/* paths whose address is gone or of another family */
	for (k = i != NULL ? i->npaths : 0; i != NULL && k-- > 0;) {
		idx = -1 - i->paths[k].ifindex;
		if (idx >= 0 && (size_t)idx < m->rec.naddrs &&
		    m->rec.addrs[idx].family == i->paths[k].family)
			continue;
		if (cache_lost(wa.cache, i, i->paths[k].ifindex,
			i->paths[k].family))
			i = NULL;
	}
	for (k = 0; k < m->rec.naddrs; k++) {
		a = &m->rec.addrs[k];
		i = cache_seen(wa.cache, m->rec.name, m->rec.type,
		    wa.conf->wa_domain, WA_IFINDEX(k), "", a->family, 0,
		    &is_new);
		cache_resolved(wa.cache, i, WA_IFINDEX(k), a->family,
		    m->rec.host, m->rec.port, &m->rec.txt, a->addr);
	}
	if (i != NULL)
		cache_set_stale(wa.cache, i, wa.stale);
	cache_release(wa.cache);
}

/* The oldest record of a name is the one shown; the others wait. */
static void
wa_name_settle(const char *type, const char *name)
{
	struct wa_imp key, *m, *first;

	memset(&key, 0, sizeof(key));
	strlcpy(key.rec.type, type, sizeof(key.rec.type));
	strlcpy(key.rec.name, name, sizeof(key.rec.name));
	key.create_rev = LLONG_MIN;
	key.key = (char *)(uintptr_t) "";
	first = RB_NFIND(wa_name_tree, &wa.names, &key);
	if (first == NULL || strcasecmp(first->rec.type, type) != 0 ||
	    strcasecmp(first->rec.name, name) != 0)
		return; /* none left: its removal did the cache's part */
	if (first->active) {
		wa_cache_put(first);
		return;
	}
	for (m = RB_NEXT(wa_name_tree, &wa.names, first);
	     m != NULL && strcasecmp(m->rec.type, type) == 0 &&
	     strcasecmp(m->rec.name, name) == 0;
	     m = RB_NEXT(wa_name_tree, &wa.names, m)) {
		if (m->active) {
			m->active = 0;
			wa.nactive--;
			wa_cache_remove(m);
		}
	}
	first->active = 1;
	wa.nactive++;
	wa_cache_put(first);
}

static void
wa_imp_free(struct wa_imp *m)
{
	char type[sizeof(m->rec.type)], name[sizeof(m->rec.name)];
	int  active = m->active;

	RB_REMOVE(wa_key_tree, &wa.imps, m);
	RB_REMOVE(wa_name_tree, &wa.names, m);
	wa.nimps--;
	if (active) {
		wa.nactive--;
		wa_cache_remove(m);
	}
	strlcpy(type, m->rec.type, sizeof(type));
	strlcpy(name, m->rec.name, sizeof(name));
	wa_record_clear(&m->rec);
	free(m->key);
	free(m);
	if (active)
		wa_name_settle(type, name); /* the next oldest, if any */
}

static struct wa_imp *
wa_imp_find(const char *key)
{
	struct wa_imp k;

	memset(&k, 0, sizeof(k));
	k.key = (char *)(uintptr_t)key;
	return (RB_FIND(wa_key_tree, &wa.imps, &k));
}

static void
wa_reject(const char *key, const char *why)
{
	wa.rejected++;
	/* a hostile writer could flood the journal: the first few only */
	if (wa.rejected <= 10 || wa.rejected % 1000 == 0)
		log_warnx("wide-area: key \"%.200s\" refused (%llu so far): "
			  "%s",
		    key, wa.rejected, why);
}

/*
 * A key this host once wrote and holds no more (a discod restarted):
 * deleted, so nothing is left over.
 */
static void
wa_leftover(const char *key)
{
	struct wa_pub *p;

	TAILQ_FOREACH(p, &wa.pubs, entry) {
		if (strcmp(p->key, key) == 0)
			return;
	}
	p = xcalloc(1, sizeof(*p));
	p->key = xstrdup(key);
	p->gen = 1;
	TAILQ_INSERT_TAIL(&wa.pubs, p, entry);
	log_info("wide-area: deleting \"%s\", left by an earlier discod", key);
}

/* A key's new value (or its deletion, value NULL), from etcd. */
static void
wa_import_kv(const struct wa_kv *kv, int full)
{
	struct wa_imp	*m;
	struct wa_key	 k;
	struct wa_record rec;
	const char	*why;
	char		 err[256];

	if (wa_key_parse(kv->key, kv->keylen, wa.conf->wa_prefix, &k, &why) ==
	    -1) {
		if (!kv->deleted)
			wa_reject(kv->key, why);
		return;
	}
	if (strcmp(k.host, wa.host) == 0) {
		if (full && !kv->deleted)
			wa_leftover(kv->key);
		return; /* ours: never imported */
	}
	m = wa_imp_find(kv->key);
	if (kv->deleted) {
		if (m != NULL)
			wa_imp_free(m);
		return;
	}
	if (!wa_type_listed(wa.conf->wa_import, k.type)) {
		if (m != NULL)
			wa_imp_free(m);
		return;
	}
	if (kv->bad != NULL)
		snprintf(err, sizeof(err), "%s", kv->bad);
	if (kv->bad != NULL ||
	    wa_value_parse(kv->value, kv->valuelen, &rec, err, sizeof(err)) ==
		-1) {
		wa_reject(kv->key, err);
		if (m != NULL)
			wa_imp_free(m); /* what it said no longer holds */
		return;
	}
	if (strcmp(rec.name, k.name) != 0 ||
	    strcasecmp(rec.type, k.type) != 0) {
		wa_reject(kv->key, "the value's name or type is not the key's");
		wa_record_clear(&rec);
		if (m != NULL)
			wa_imp_free(m);
		return;
	}
	if (m == NULL && wa.nimps >= WA_KEYS_MAX) {
		/* a writer gone wild must not take every host's memory */
		wa_reject(kv->key,
		    "the site has more records than discod "
		    "keeps (200000)");
		wa_record_clear(&rec);
		return;
	}
	if (m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->key = xstrdup(kv->key);
		m->k = k;
		m->rec = rec;
		m->create_rev = kv->create_revision;
		RB_INSERT(wa_key_tree, &wa.imps, m);
		RB_INSERT(wa_name_tree, &wa.names, m);
		wa.nimps++;
	} else {
		wa_record_clear(&m->rec);
		m->rec = rec; /* the same name and type: the key holds them */
	}
	m->seen = 1;
	/* a second host with this name: the older record keeps it */
	wa_name_settle(m->rec.type, m->rec.name);
	if (!m->active) {
		wa.conflicts++;
		if (wa.conflicts <= 10)
			log_warnx("wide-area: \"%s\" of %s is published by "
				  "two hosts; %s's waits while the older one "
				  "lives",
			    m->rec.name, m->rec.type, m->k.host);
	}
}

/* Every imported instance marked stale, or no longer. */
static void
wa_mark_stale(int stale)
{
	struct wa_imp	*m;
	struct instance *i;

	if (wa.stale == stale)
		return;
	wa.stale = stale;
	RB_FOREACH(m, wa_key_tree, &wa.imps) {
		if (m->active &&
		    (i = cache_find(wa.cache, m->rec.name, m->rec.type,
			 wa.conf->wa_domain)) != NULL)
			cache_set_stale(wa.cache, i, stale);
	}
	if (stale)
		log_warnx("wide-area: every etcd endpoint failed (%s); %u "
			  "instances kept, marked stale",
		    wa.error, wa.nactive);
	else
		log_info("wide-area: etcd in reach again; instances current");
}

/* ---- the session ---- */

static void wa_fail(const char *, const char *);

/* A call whose answer made no sense: what it was, in the log. */
static void
wa_fail_answer(const char *what, const char *why, const char *body, size_t len)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "%s; the answer (%zu bytes) begins: %.120s",
	    why, len, body);
	wa_fail(what, msg);
}

static void
wa_cancel_all(void)
{
	struct wa_pub *p;

	etcd_cancel(wa.call);
	etcd_cancel(wa.keepalive);
	etcd_cancel(wa.watch);
	wa.call = wa.keepalive = wa.watch = NULL;
	TAILQ_FOREACH(p, &wa.pubs, entry) {
		if (p->req != NULL) {
			etcd_cancel(p->req);
			p->req = NULL;
			p->sent = 0; /* unknown: sent again */
		}
	}
	wa.inflight = 0;
	if (wa.timer != NULL)
		evtimer_del(wa.timer);
}

static void
wa_timer_after(unsigned int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(wa.timer, &tv);
}

/*
 * A call failed: the next endpoint, at once; after a whole round of
 * failures, a wait (doubling) and the imported instances marked stale.
 */
static void
wa_fail(const char *what, const char *why)
{
	snprintf(wa.error, sizeof(wa.error), "%s: %s: %s", wa_endpoint(), what,
	    why);
	log_info("wide-area: %s", wa.error);
	wa_cancel_all();
	wa.synced = 0;
	wa.ep = (wa.ep + 1) % wa.nendpoints;
	wa.failovers++;
	if (++wa.failed < wa.nendpoints) {
		wa_connect();
		return;
	}
	wa.failed = 0;
	wa_mark_stale(1);
	wa.retry_ms = wa.retry_ms == 0	      ? WA_RETRY_MIN_MS :
	    wa.retry_ms * 2 > WA_RETRY_MAX_MS ? WA_RETRY_MAX_MS :
						wa.retry_ms * 2;
	wa_set_state(WA_WAITING);
	/*
	 * Half the wait at random: hosts that lost etcd together (a quorum
	 * lost) come back spread out, not all reading the prefix at once.
	 */
	wa_timer_after(wa.retry_ms / 2 +
	    arc4random_uniform(wa.retry_ms / 2 + 1));
}

/*
 * A call refused with 401: the token expired (etcd's --auth-token-ttl,
 * 5 minutes idle by default, and keepalives do not refresh it).  Log in
 * again on the same endpoint, keeping the lease; a token refused again
 * at once is a failure like any other.
 */
static void
wa_failed(const char *what, long http, const char *why)
{
	if (http == 401 && wa.conf->wa_user != NULL && wa.reauths++ < 2) {
		log_info("wide-area: %s: %s: token refused; authenticating "
			 "again",
		    wa_endpoint(), what);
		wa_cancel_all();
		wa.synced = 0;
		wa_connect();
		return;
	}
	wa_fail(what, why);
}

static void
wa_keepalive_due(void)
{
	wa_timer_after(wa.conf->wa_lease_ttl * 1000 / 3);
}

/* The session holds a lease: records written, the prefix read. */
static void
wa_up(void)
{
	struct wa_pub *p;

	wa_set_state(WA_UP);
	wa.failed = 0;
	wa.retry_ms = 0;
	wa.error[0] = '\0';
	TAILQ_FOREACH(p, &wa.pubs, entry)
		p->sent = 0; /* etcd may not have it: sent again */
	wa_keepalive_due();
	wa_sync();
	wa_import_start();
}

static void
wa_lease_granted(struct etcd_req *r, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	long long id, ttl;
	char	  err[256] = "";

	wa.call = NULL;
	if (!ok) {
		wa_failed("lease grant", http, why);
		return;
	}
	if (wa_lease_parse(body, len, &id, &ttl, err, sizeof(err)) == -1 ||
	    id == 0 || ttl <= 0) {
		wa_fail_answer("lease grant", err[0] != '\0' ? err : "no lease",
		    body, len);
		return;
	}
	wa.lease = id;
	wa.leases++;
	log_info("wide-area: lease %llx (%llds) from %s",
	    (unsigned long long)id, ttl, wa_endpoint());
	wa_up();
}

static void
wa_lease_grant(void)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"TTL\":%u}", wa.conf->wa_lease_ttl);
	wa.lease = 0;
	if ((wa.call = etcd_post(&wa.opts, wa_endpoint(), "/v3/lease/grant",
		 body, (long)wa.conf->wa_timeout_ms, NULL, wa_lease_granted,
		 NULL)) == NULL)
		wa_fail("lease grant", "URL too long");
}

static void
wa_keepalive_done(struct etcd_req *r, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	long long id, ttl;
	char	  err[256] = "";
	int	  connecting = arg != NULL;

	wa.keepalive = NULL;
	if (!ok) {
		wa_fail("lease keepalive", why);
		return;
	}
	if (wa_lease_parse(body, len, &id, &ttl, err, sizeof(err)) == -1) {
		wa_fail_answer("lease keepalive", err, body, len);
		return;
	}
	if (ttl <= 0) {
		/* expired: our records went with it; write them anew */
		log_warnx("wide-area: lease %llx expired at etcd; a new one",
		    (unsigned long long)wa.lease);
		wa_cancel_all();
		wa_set_state(WA_CONNECTING);
		wa_lease_grant();
		return;
	}
	if (connecting) /* a new endpoint, the lease still held */
		wa_up();
	else
		wa_keepalive_due();
}

static void
wa_keepalive_send(int connecting)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", wa.lease);
	if ((wa.keepalive = etcd_post(&wa.opts, wa_endpoint(),
		 "/v3/lease/keepalive", body, (long)wa.conf->wa_timeout_ms,
		 NULL, wa_keepalive_done,
		 connecting ? (void *)(uintptr_t)1 : NULL)) == NULL)
		wa_fail("lease keepalive", "URL too long");
}

/* The lease this host held, if etcd still has it (a failover); else one. */
static void
wa_lease_get(void)
{
	if (wa.lease != 0)
		wa_keepalive_send(1);
	else
		wa_lease_grant();
}

static void
wa_authenticated(struct etcd_req *r, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	char err[256] = "";

	wa.call = NULL;
	if (!ok) {
		wa_fail("authenticate", why);
		return;
	}
	if (wa_token_parse(body, len, wa.opts.token, sizeof(wa.opts.token), err,
		sizeof(err)) == -1) {
		wa_fail_answer("authenticate", err, body, len);
		return;
	}
	wa.logins++;
	wa_lease_get();
}

/*
 * A session with the current endpoint: a token if a user is set, then
 * the lease kept (a failover) or a new one.
 */
static void
wa_connect(void)
{
	struct json_object *o;
	size_t		    len;
	char		   *body;

	wa_set_state(WA_CONNECTING);
	wa.opts.token[0] = '\0';
	if (wa.conf->wa_user != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "name",
		    json_object_new_string(wa.conf->wa_user));
		json_object_object_add(o, "password",
		    json_object_new_string(wa.password));
		body = proto_serialize(o, &len);
		json_object_put(o);
		wa.call = etcd_post(&wa.opts, wa_endpoint(),
		    "/v3/auth/authenticate", body, (long)wa.conf->wa_timeout_ms,
		    NULL, wa_authenticated, NULL);
		explicit_bzero(body, len);
		free(body);
		if (wa.call == NULL)
			wa_fail("authenticate", "URL too long");
		return;
	}
	wa_lease_get();
}

static void
wa_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	switch (wa.state) {
	case WA_UP:
		if (wa.keepalive == NULL)
			wa_keepalive_send(0);
		break;
	case WA_WAITING:
		wa_connect();
		break;
	default:
		break;
	}
}

/* ---- this host's records ---- */

static void wa_pub_done(struct etcd_req *, int, long, const char *, size_t,
    const char *, void *);

static void
wa_pub_free(struct wa_pub *p)
{
	TAILQ_REMOVE(&wa.pubs, p, entry);
	free(p->key);
	free(p->value);
	free(p);
}

static void
wa_pub_send(struct wa_pub *p)
{
	struct json_object *o;
	char		   *k64, *v64, lease[32], *body;
	size_t		    len;

	o = json_object_new_object();
	k64 = wa_b64(p->key, strlen(p->key));
	json_object_object_add(o, "key", json_object_new_string(k64));
	free(k64);
	if (p->value != NULL) {
		v64 = wa_b64(p->value, p->vlen);
		json_object_object_add(o, "value", json_object_new_string(v64));
		free(v64);
		snprintf(lease, sizeof(lease), "%lld", wa.lease);
		json_object_object_add(o, "lease",
		    json_object_new_string(lease));
	}
	body = proto_serialize(o, &len);
	json_object_put(o);
	p->sent = p->gen;
	p->req = etcd_post(&wa.opts, wa_endpoint(),
	    p->value != NULL ? "/v3/kv/put" : "/v3/kv/deleterange", body,
	    (long)wa.conf->wa_timeout_ms, NULL, wa_pub_done, p);
	free(body);
	if (p->req != NULL)
		wa.inflight++;
}

static void
wa_pub_done(struct etcd_req *r, int ok, long http, const char *body, size_t len,
    const char *why, void *arg)
{
	struct wa_pub	*p = arg;
	struct wa_header h;
	char		 err[256] = "";

	p->req = NULL;
	wa.inflight--;
	if (!ok || wa_answer_parse(body, len, &h, err, sizeof(err)) == -1) {
		p->sent = 0;
		wa_failed(p->value != NULL ? "put" : "delete", ok ? 0 : http,
		    ok ? err : why);
		return;
	}
	wa.reauths = 0;
	if (p->value != NULL)
		wa.puts++;
	else
		wa.deletes++;
	if (p->value == NULL && p->ann == 0 && p->sent == p->gen)
		wa_pub_free(p); /* deleted, and nothing since */
	wa_sync();
}

/* Send what etcd does not have yet, WA_INFLIGHT_MAX at a time. */
static void
wa_sync(void)
{
	struct wa_pub *p, *next;

	if (wa.state != WA_UP)
		return;
	TAILQ_FOREACH_SAFE(p, &wa.pubs, entry, next) {
		if (wa.inflight >= WA_INFLIGHT_MAX)
			break;
		if (p->req != NULL || p->sent == p->gen)
			continue;
		wa_pub_send(p);
		if (wa.state != WA_UP)
			break;
	}
}

static struct wa_pub *
wa_pub_find(unsigned long ann)
{
	struct wa_pub *p;

	TAILQ_FOREACH(p, &wa.pubs, entry) {
		if (p->ann == ann)
			return (p);
	}
	return (NULL);
}

/* A pub becomes a deletion of its key (its announcement withdrawn). */
static void
wa_pub_withdraw(struct wa_pub *p)
{
	p->ann = 0;
	free(p->value);
	p->value = NULL;
	p->vlen = 0;
	p->gen++;
}

/*
 * This host's addresses for other hosts: [wide-area] addresses, or each
 * up interface's addresses that another subnet can reach.
 */
static size_t
wa_host_addrs(struct wa_addr *out, size_t max)
{
	struct ifaddrs *ifa, *a;
	char	       *copy, *w, *save = NULL;
	size_t		n = 0;

	if (wa.conf->wa_addresses != NULL) {
		copy = xstrdup(wa.conf->wa_addresses);
		for (w = strtok_r(copy, " \t,", &save); w != NULL && n < max;
		     w = strtok_r(NULL, " \t,", &save)) {
			if (inet_pton(AF_INET, w, out[n].addr) == 1)
				out[n++].family = AF_INET;
			else if (inet_pton(AF_INET6, w, out[n].addr) == 1)
				out[n++].family = AF_INET6;
		}
		free(copy);
		return (n);
	}
	if (getifaddrs(&ifa) == -1) {
		log_warn("wide-area: getifaddrs");
		return (0);
	}
	for (a = ifa; a != NULL && n < max; a = a->ifa_next) {
		if (a->ifa_addr == NULL || !(a->ifa_flags & IFF_UP) ||
		    (a->ifa_flags & IFF_LOOPBACK))
			continue;
		if (a->ifa_addr->sa_family == AF_INET) {
			memcpy(out[n].addr,
			    &((struct sockaddr_in *)(void *)a->ifa_addr)
				 ->sin_addr,
			    4);
			out[n].family = AF_INET;
		} else if (a->ifa_addr->sa_family == AF_INET6) {
			memcpy(out[n].addr,
			    &((struct sockaddr_in6 *)(void *)a->ifa_addr)
				 ->sin6_addr,
			    16);
			out[n].family = AF_INET6;
		} else
			continue;
		if (!wa_addr_unusable(out[n].family, out[n].addr))
			n++;
	}
	freeifaddrs(ifa);
	return (n);
}

/*
 * An announcement is on the LAN (on) or not: the same in etcd.  Called
 * by announce.c at each change of what it wants announced.
 */
void
widearea_announce(unsigned long id, const char *name,
    const struct service_def *def, int on)
{
	struct wa_pub	*p = NULL;
	struct wa_record rec;
	char		 key[WA_KEY_MAX], *value;
	size_t		 k, vlen;

	if (wa.state == WA_OFF)
		return;
	p = wa_pub_find(id);
	if (!on || !wa_type_listed(wa.conf->wa_publish, def->type) ||
	    wa_key_make(key, sizeof(key), wa.conf->wa_prefix, wa.host,
		def->type, name) == -1) {
		if (p != NULL)
			wa_pub_withdraw(p);
		wa_sync();
		return;
	}
	if (p != NULL && strcmp(p->key, key) != 0) {
		wa_pub_withdraw(p); /* renamed: the old key goes */
		p = NULL;
	}
	memset(&rec, 0, sizeof(rec));
	strlcpy(rec.name, name, sizeof(rec.name));
	strlcpy(rec.type, def->type, sizeof(rec.type));
	snprintf(rec.host, sizeof(rec.host), "%s.%s", wa.host,
	    wa.conf->wa_domain);
	rec.port = def->port;
	rec.txt = def->txt; /* borrowed */
	for (k = 0; k < def->nsubtypes; k++)
		rec.subtypes[k] = def->subtypes[k];
	rec.nsubtypes = def->nsubtypes;
	rec.naddrs = wa_host_addrs(rec.addrs, WA_ADDRS_MAX);
	if (rec.naddrs == 0) {
		log_warnx("wide-area: no address to publish %s of %s with",
		    name, def->type);
		if (p != NULL)
			wa_pub_withdraw(p);
		wa_sync();
		return;
	}
	if (p == NULL) {
		TAILQ_FOREACH(p, &wa.pubs, entry) {
			if (strcmp(p->key, key) == 0)
				break; /* a deletion of it, still pending */
		}
		if (p == NULL) {
			p = xcalloc(1, sizeof(*p));
			p->key = xstrdup(key);
			TAILQ_INSERT_TAIL(&wa.pubs, p, entry);
		}
		p->ann = id;
	}
	value = wa_value_make(&rec, &vlen);
	if (p->value != NULL && p->vlen == vlen &&
	    memcmp(p->value, value, vlen) == 0) {
		free(value); /* the same again (Avahi back): nothing to write */
		return;
	}
	free(p->value);
	p->value = value;
	p->vlen = vlen;
	p->gen++;
	wa_sync();
}

/* ---- the import: one read of the prefix, then one watch ---- */

static int
wa_watch_line(struct etcd_req *r, const char *line, size_t len, void *arg)
{
	struct wa_watch w;
	char		err[256] = "";
	size_t		k;

	if (wa_watch_parse(line, len, WA_KEYS_MAX, &w, err, sizeof(err)) ==
	    -1) {
		wa.watch = NULL;
		wa_fail("watch", err);
		return (-1);
	}
	if (w.canceled) {
		wa.watch = NULL;
		if (w.compact_revision > 0) {
			/* what we missed is compacted away: read it all */
			log_info("wide-area: watch from revision %lld "
				 "compacted (to %lld): reading the prefix "
				 "again",
			    wa.watch_rev, w.compact_revision);
			wa.watch_rev = 0;
			wa.resyncs++;
			wa_import_start();
		} else if (memmem(line, len, "invalid auth token", 18) != NULL)
			wa_failed("watch", 401, "canceled: invalid auth token");
		else
			wa_fail("watch", "canceled by etcd");
		return (-1);
	}
	for (k = 0; k < w.nevents; k++) {
		wa.events++;
		wa_import_kv(&w.events[k], 0);
		if (w.events[k].mod_revision >= wa.watch_rev)
			wa.watch_rev = w.events[k].mod_revision + 1;
	}
	if (w.header.revision >= wa.watch_rev)
		wa.watch_rev = w.header.revision + 1;
	wa_kvs_free(w.events, w.nevents);
	if (w.created && !wa.synced) {
		wa.synced = 1;
		wa_mark_stale(0);
	}
	return (0);
}

static void
wa_watch_ended(struct etcd_req *r, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	wa.watch = NULL;
	wa_fail("watch", ok ? "ended by etcd" : why);
}

static void
wa_watch_start(void)
{
	char body[1024];

	snprintf(body, sizeof(body),
	    "{\"create_request\":{%s,\"start_revision\":\"%lld\"}}",
	    wa.prefix_range, wa.watch_rev);
	if ((wa.watch = etcd_post(&wa.opts, wa_endpoint(), "/v3/watch", body, 0,
		 wa_watch_line, wa_watch_ended, NULL)) == NULL)
		wa_fail("watch", "URL too long");
}

static void wa_range_done(struct etcd_req *, int, long, const char *, size_t,
    const char *, void *);

/*
 * One page of the prefix (read-page keys): the first from the prefix's
 * start, the next ones from after the last key read, at the revision of
 * the first, so that the pages show one moment of the store.
 */
static void
wa_range_send(void)
{
	char body[2 * WA_KEY_MAX + 512];

	if (wa.read_from == NULL)
		snprintf(body, sizeof(body), "{%s,\"limit\":\"%u\"}",
		    wa.prefix_range, wa.conf->wa_read_page);
	else
		snprintf(body, sizeof(body),
		    "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":\"%u\","
		    "\"revision\":\"%lld\"}",
		    wa.read_from, wa.range_end64, wa.conf->wa_read_page,
		    wa.read_rev);
	if ((wa.call = etcd_post(&wa.opts, wa_endpoint(), "/v3/kv/range", body,
		 (long)wa.conf->wa_timeout_ms * 4, NULL, wa_range_done,
		 NULL)) == NULL)
		wa_fail("range", "URL too long");
}

static void
wa_range_done(struct etcd_req *r, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	struct wa_range rr;
	struct wa_imp  *m, *next;
	char		err[256] = "", *last;
	size_t		k;

	wa.call = NULL;
	if (!ok) {
		wa_failed("range", http, why);
		return;
	}
	if (wa_range_parse(body, len, WA_KEYS_MAX, &rr, err, sizeof(err)) ==
	    -1) {
		wa_fail_answer("range", err, body, len);
		return;
	}
	wa.pages++;
	for (k = 0; k < rr.nkvs; k++)
		wa_import_kv(&rr.kvs[k], 1);
	if (rr.more && rr.nkvs > 0) {
		/* the next page: after the last key, at the first's revision */
		if (wa.read_rev == 0)
			wa.read_rev = rr.header.revision;
		last = xmalloc(rr.kvs[rr.nkvs - 1].keylen + 1);
		memcpy(last, rr.kvs[rr.nkvs - 1].key,
		    rr.kvs[rr.nkvs - 1].keylen);
		last[rr.kvs[rr.nkvs - 1].keylen] = '\0';
		free(wa.read_from);
		wa.read_from = wa_b64(last, rr.kvs[rr.nkvs - 1].keylen + 1);
		free(last);
		wa_kvs_free(rr.kvs, rr.nkvs);
		wa_range_send();
		return;
	}
	if (wa.read_rev != 0)
		rr.header.revision = wa.read_rev; /* what the pages show */
	wa.read_rev = 0;
	free(wa.read_from);
	wa.read_from = NULL;
	/* what is no longer there was deleted while we did not watch */
	for (m = RB_MIN(wa_key_tree, &wa.imps); m != NULL; m = next) {
		next = RB_NEXT(wa_key_tree, &wa.imps, m);
		if (!m->seen)
			wa_imp_free(m);
	}
	wa_kvs_free(rr.kvs, rr.nkvs);
	wa.reauths = 0; /* (keepalives take no token: they prove nothing) */
	wa.watch_rev = rr.header.revision + 1;
	wa.synced = 1;
	wa_mark_stale(0);
	wa_sync(); /* leftovers to delete */
	wa_watch_start();
}

/*
 * Read the prefix, then watch it from the revision read; or, when a
 * watch ran before (a failover) and answers are current, resume it where
 * it stopped.
 */
static void
wa_import_start(void)
{
	struct wa_imp *m;

	/*
	 * Stale: read it all, which only a quorum answers (a watch is
	 * served by a member alone, and a leader cut off from the others
	 * may still renew leases for an election timeout).
	 */
	if (wa.watch_rev > 0 && !wa.stale) {
		wa_watch_start();
		return;
	}
	RB_FOREACH(m, wa_key_tree, &wa.imps)
		m->seen = 0;
	wa.read_rev = 0;
	free(wa.read_from);
	wa.read_from = NULL;
	wa_range_send();
}

/* ---- the module ---- */

/* Has a wide-area instance this subtype?  (-1: not a wide-area one.) */
int
widearea_has_subtype(const struct instance *i, const char *label)
{
	struct wa_imp key, *m;
	size_t	      k;

	if (wa.conf == NULL || wa.state == WA_OFF ||
	    strcasecmp(i->domain, wa.conf->wa_domain) != 0)
		return (-1);
	memset(&key, 0, sizeof(key));
	strlcpy(key.rec.type, i->type, sizeof(key.rec.type));
	strlcpy(key.rec.name, i->name, sizeof(key.rec.name));
	key.create_rev = LLONG_MIN;
	key.key = (char *)(uintptr_t) "";
	for (m = RB_NFIND(wa_name_tree, &wa.names, &key);
	     m != NULL && strcasecmp(m->rec.type, i->type) == 0 &&
	     strcasecmp(m->rec.name, i->name) == 0;
	     m = RB_NEXT(wa_name_tree, &wa.names, m)) {
		if (!m->active)
			continue;
		for (k = 0; k < m->rec.nsubtypes; k++) {
			if (strcasecmp(m->rec.subtypes[k], label) == 0)
				return (1);
		}
	}
	return (0);
}

static int
wa_read_password(const char *path)
{
	FILE  *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		log_warn("wide-area: %s", path);
		return (-1);
	}
	n = fread(wa.password, 1, sizeof(wa.password) - 1, f);
	fclose(f);
	wa.password[n] = '\0';
	wa.password[strcspn(wa.password, "\r\n")] = '\0';
	return (0);
}

void
widearea_init(struct event_base *base, const struct config *conf,
    struct cache *cache)
{
	char  *copy, *w, *save = NULL, end[WA_PREFIX_MAX + 1], *k64, *e64;
	size_t plen, elen;

	TAILQ_INIT(&wa.pubs);
	RB_INIT(&wa.imps);
	RB_INIT(&wa.names);
	wa.conf = conf;
	if (conf->wa_endpoints == NULL)
		return;
	wa.base = base;
	wa.cache = cache;
	if (conf->wa_host != NULL)
		strlcpy(wa.host, conf->wa_host, sizeof(wa.host));
	else if (gethostname(wa.host, sizeof(wa.host)) == -1 ||
	    wa_host_id_invalid(wa.host) != NULL) {
		log_warnx("wide-area: the host name \"%s\" is not a host id: "
			  "set [wide-area] host; wide area off",
		    wa.host);
		return;
	}
	if (conf->wa_password_file != NULL &&
	    wa_read_password(conf->wa_password_file) == -1) {
		log_warnx("wide-area: no password; wide area off");
		return;
	}
	plen = strlen(conf->wa_prefix);
	elen = wa_range_end(conf->wa_prefix, plen, end);
	k64 = wa_b64(conf->wa_prefix, plen);
	e64 = wa_b64(end, elen);
	snprintf(wa.prefix_range, sizeof(wa.prefix_range),
	    "\"key\":\"%s\",\"range_end\":\"%s\"", k64, e64);
	strlcpy(wa.range_end64, e64, sizeof(wa.range_end64));
	free(k64);
	free(e64);
	copy = xstrdup(conf->wa_endpoints);
	for (w = strtok_r(copy, " \t,", &save); w != NULL;
	     w = strtok_r(NULL, " \t,", &save)) {
		wa.endpoints = xreallocarray(wa.endpoints, wa.nendpoints + 1,
		    sizeof(*wa.endpoints));
		wa.endpoints[wa.nendpoints++] = xstrdup(w);
	}
	free(copy);
	wa.opts.ca = conf->wa_ca;
	wa.opts.cert = conf->wa_cert;
	wa.opts.key = conf->wa_key;
	wa.opts.connect_timeout_ms = conf->wa_timeout_ms;
	etcd_init(base);
	if ((wa.timer = evtimer_new(base, wa_timer_cb, NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	log_info("wide-area: host %s, %zu etcd endpoint(s), prefix %s, domain "
		 "%s, lease %us",
	    wa.host, wa.nendpoints, conf->wa_prefix, conf->wa_domain,
	    conf->wa_lease_ttl);
	wa_connect();
}

/*
 * Stopping: the lease revoked, which deletes every record of this host
 * at once.  The one call that waits, bounded by timeout-ms: the loop is
 * ending anyway.
 */
void
widearea_shutdown(void)
{
	struct wa_pub *p;
	struct wa_imp *m;
	char	       body[64];

	if (wa.state == WA_OFF)
		return;
	wa_cancel_all();
	if (wa.lease != 0) {
		snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", wa.lease);
		if (etcd_post_wait(&wa.opts, wa_endpoint(), "/v3/lease/revoke",
			body, (long)wa.conf->wa_timeout_ms) == -1)
			log_info("wide-area: lease revoke failed: its records "
				 "go within %us",
			    wa.conf->wa_lease_ttl);
	}
	while ((p = TAILQ_FIRST(&wa.pubs)) != NULL)
		wa_pub_free(p);
	while ((m = RB_MIN(wa_key_tree, &wa.imps)) != NULL) {
		RB_REMOVE(wa_key_tree, &wa.imps, m);
		RB_REMOVE(wa_name_tree, &wa.names, m);
		wa_record_clear(&m->rec);
		free(m->key);
		free(m);
	}
	while (wa.nendpoints > 0)
		free(wa.endpoints[--wa.nendpoints]);
	free(wa.endpoints);
	free(wa.read_from);
	event_free(wa.timer);
	etcd_shutdown();
	explicit_bzero(wa.password, sizeof(wa.password));
	memset(&wa, 0, sizeof(wa));
	wa.state = WA_OFF;
}

struct json_object *
widearea_status_json(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "state",
	    json_object_new_string(wa_state_name(wa.state)));
	if (wa.state == WA_OFF)
		return (o);
	json_object_object_add(o, "host", json_object_new_string(wa.host));
	json_object_object_add(o, "domain",
	    json_object_new_string(wa.conf->wa_domain));
	json_object_object_add(o, "endpoint",
	    json_object_new_string(wa_endpoint()));
	json_object_object_add(o, "since", json_object_new_double(wa.since));
	json_object_object_add(o, "stale", json_object_new_boolean(wa.stale));
	json_object_object_add(o, "published",
	    json_object_new_int64((int64_t)widearea_published()));
	json_object_object_add(o, "imported",
	    json_object_new_int64((int64_t)wa.nactive));
	json_object_object_add(o, "conflicts",
	    json_object_new_int64((int64_t)(wa.nimps - wa.nactive)));
	json_object_object_add(o, "rejected",
	    json_object_new_int64((int64_t)wa.rejected));
	json_object_object_add(o, "puts",
	    json_object_new_int64((int64_t)wa.puts));
	json_object_object_add(o, "deletes",
	    json_object_new_int64((int64_t)wa.deletes));
	json_object_object_add(o, "events",
	    json_object_new_int64((int64_t)wa.events));
	json_object_object_add(o, "failovers",
	    json_object_new_int64((int64_t)wa.failovers));
	json_object_object_add(o, "resyncs",
	    json_object_new_int64((int64_t)wa.resyncs));
	json_object_object_add(o, "leases",
	    json_object_new_int64((int64_t)wa.leases));
	json_object_object_add(o, "logins",
	    json_object_new_int64((int64_t)wa.logins));
	json_object_object_add(o, "pages",
	    json_object_new_int64((int64_t)wa.pages));
	json_object_object_add(o, "revision",
	    json_object_new_int64(wa.watch_rev > 0 ? wa.watch_rev - 1 : 0));
	if (wa.error[0] != '\0')
		json_object_object_add(o, "error",
		    json_object_new_string(wa.error));
	return (o);
}

/* This host's records etcd holds or is being sent. */
unsigned int
widearea_published(void)
{
	struct wa_pub *p;
	unsigned int   n = 0;

	TAILQ_FOREACH(p, &wa.pubs, entry)
		n += p->value != NULL;
	return (n);
}

int
widearea_stale(void)
{
	return (wa.stale);
}

/* The wide area's domain while it runs, else NULL. */
const char *
widearea_domain(void)
{
	return (wa.state != WA_OFF ? wa.conf->wa_domain : NULL);
}
