/*
 * The resolved instance cache: every service instance the browser has
 * seen, keyed by (type, name, domain) and merged across the interfaces and
 * protocols it was seen on.  Plain data in, plain data out: browse.c feeds
 * it, the verbs read it, and a callback reports each add, update and
 * remove with a rising index for watchers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core.h"

/* DNS names compare without regard to ASCII case (RFC 6762 16). */
static int
instance_cmp(struct instance *a, struct instance *b)
{
	int rc;

	/* Types and domains are shared strings: the same one, equal. */
	if (a->type != b->type && (rc = strcasecmp(a->type, b->type)) != 0)
		return (rc);
	if ((rc = strcasecmp(a->name, b->name)) != 0)
		return (rc);
	return (a->domain == b->domain ? 0 : strcasecmp(a->domain, b->domain));
}

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(instance_tree, instance, entry, instance_cmp)

const char *
cache_event_name(enum cache_event_kind kind)
{
	switch (kind) {
	case CACHE_ADD:
		return ("add");
	case CACHE_UPDATE:
		return ("update");
	case CACHE_REMOVE:
		return ("remove");
	case CACHE_RESYNC:
		return ("resync");
	}
	return ("unknown");
}

/*
 * Strings that many instances share (their type, domain, host) are kept
 * once, counted: 10000 instances of a type hold one copy of it.
 */
struct cache_str {
	struct cache_str *next;
	uint64_t	  hash;
	unsigned long	  refs;
	char		  s[];
};

static uint64_t
cache_str_hash(const char *s)
{
	return (core_hash_mix(core_hash_bytes(CORE_HASH_START, s, strlen(s))));
}

/* The shared copy of s, if one is held; s itself if not. */
static const char *
cache_str_find(struct cache *c, const char *s)
{
	uint64_t	  h;
	struct cache_str *cs;

	if (c->nstrbuckets == 0)
		return (s);
	h = cache_str_hash(s);
	for (cs = c->strs[h & (c->nstrbuckets - 1)]; cs != NULL;
	     cs = cs->next) {
		if (cs->hash == h && strcmp(cs->s, s) == 0)
			return (cs->s);
	}
	return (s);
}

static char *
cache_str_get(struct cache *c, const char *s)
{
	uint64_t	  h = cache_str_hash(s);
	struct cache_str *cs, **nb, *next;
	size_t		  k, len, nnb;

	if (c->nstrbuckets > 0) {
		for (cs = c->strs[h & (c->nstrbuckets - 1)]; cs != NULL;
		     cs = cs->next) {
			if (cs->hash == h && strcmp(cs->s, s) == 0) {
				cs->refs++;
				return (cs->s);
			}
		}
	}
	if (c->nstrs >= c->nstrbuckets) {
		nnb = c->nstrbuckets == 0 ? 64 : c->nstrbuckets * 2;
		nb = xcalloc(nnb, sizeof(*nb));
		for (k = 0; k < c->nstrbuckets; k++) {
			for (cs = c->strs[k]; cs != NULL; cs = next) {
				next = cs->next;
				cs->next = nb[cs->hash & (nnb - 1)];
				nb[cs->hash & (nnb - 1)] = cs;
			}
		}
		free(c->strs);
		c->strs = nb;
		c->nstrbuckets = nnb;
	}
	len = strlen(s);
	cs = xmalloc(sizeof(*cs) + len + 1);
	memcpy(cs->s, s, len + 1);
	cs->hash = h;
	cs->refs = 1;
	cs->next = c->strs[h & (c->nstrbuckets - 1)];
	c->strs[h & (c->nstrbuckets - 1)] = cs;
	c->nstrs++;
	return (cs->s);
}

static void
cache_str_put(struct cache *c, char *s)
{
	struct cache_str *cs, **pp;

	if (s == NULL)
		return;
	cs = (struct cache_str *)(void *)(s - offsetof(struct cache_str, s));
	if (--cs->refs > 0)
		return;
	for (pp = &c->strs[cs->hash & (c->nstrbuckets - 1)]; *pp != cs;
	     pp = &(*pp)->next)
		;
	*pp = cs->next;
	c->nstrs--;
	free(cs);
}

/*
 * Instances by name, type and domain in a hash table beside the tree: a
 * lookup reads one or two instances, where the tree's walk reads about
 * log2(n) of them and their names, each a cache miss once the cache is
 * bigger than the CPU's (doc/performance.md).  Hashed folded to lower
 * case, as strcasecmp compares them (discod keeps the C locale).
 */
static uint32_t
cache_key_hash(const char *name, const char *type, const char *domain)
{
	const char *parts[3] = { type, name, domain };
	uint64_t    h = CORE_HASH_START;
	const char *p;
	size_t	    k;

	for (k = 0; k < 3; k++) {
		for (p = parts[k]; *p != '\0'; p++) {
			h ^= (unsigned char)(*p >= 'A' && *p <= 'Z' ?
				*p - 'A' + 'a' :
				*p);
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff; /* no byte of a string: where one ends */
		h *= 0x100000001b3ULL;
	}
	return ((uint32_t)core_hash_mix(h));
}

static void
cache_byname_add(struct cache *c, struct instance *i)
{
	struct instance **nb, *j, *next;
	size_t		  k, nnb;

	if (c->total >= c->nbuckets) {
		nnb = c->nbuckets == 0 ? 64 : c->nbuckets * 2;
		nb = xcalloc(nnb, sizeof(*nb));
		for (k = 0; k < c->nbuckets; k++) {
			for (j = c->byname[k]; j != NULL; j = next) {
				next = j->hnext;
				j->hnext = nb[j->hash & (nnb - 1)];
				nb[j->hash & (nnb - 1)] = j;
			}
		}
		free(c->byname);
		c->byname = nb;
		c->nbuckets = nnb;
	}
	i->hash = cache_key_hash(i->name, i->type, i->domain);
	i->hnext = c->byname[i->hash & (c->nbuckets - 1)];
	c->byname[i->hash & (c->nbuckets - 1)] = i;
}

static void
cache_byname_remove(struct cache *c, struct instance *i)
{
	struct instance **pp;

	for (pp = &c->byname[i->hash & (c->nbuckets - 1)]; *pp != i;
	     pp = &(*pp)->hnext)
		;
	*pp = i->hnext;
}

/* Whatever the daemon made of the instance is out of date. */
static void
instance_changed(struct cache *c, struct instance *i)
{
	if (i->memo != NULL && c->memo_free != NULL)
		c->memo_free(i->memo);
	i->memo = NULL;
}

static void
cache_raise(struct cache *c, enum cache_event_kind kind, struct instance *i)
{
	struct cache_hook *h;

	c->index++;
	if (i != NULL) {
		i->index = c->index;
		instance_changed(c, i);
	}
	TAILQ_FOREACH(h, &c->hooks, entry)
		h->event(c, kind, i, h->arg);
}

static void
cache_emit(struct cache *c, enum cache_event_kind kind, struct instance *i)
{
	struct instance *held = c->held;
	int		 waits = kind == CACHE_ADD || kind == CACHE_UPDATE;

	if (held != NULL && (held != i || !waits)) {
		/* another event: what waits goes first */
		c->held = NULL;
		cache_raise(c, c->held_kind, held);
	}
	if (c->holding && i != NULL && waits) {
		/* an "add" then "update"s are one "add" */
		if (c->held == NULL)
			c->held_kind = kind;
		c->held = i;
		instance_changed(c, i);
		return;
	}
	cache_raise(c, kind, i);
}

/*
 * Changes that come together as one event: from cache_hold to
 * cache_release, one instance's "add" and "update"s wait, and
 * cache_release raises one ("add" if the first was).  The wide area
 * resolves all of a record's addresses at once, and a watcher should not
 * see an "add" with the first address, then an "update" with the rest.
 * Any other event (another instance's, a removal) raises the waiting one
 * first, so the order of events holds; another instance's then waits.
 */
void
cache_hold(struct cache *c)
{
	c->holding = 1;
}

void
cache_release(struct cache *c)
{
	struct instance *held = c->held;

	c->holding = 0;
	c->held = NULL;
	if (held != NULL)
		cache_raise(c, c->held_kind, held);
}

/* memo_free: how to drop an instance's memo (NULL: it has none). */
void
cache_init(struct cache *c, void (*memo_free)(void *))
{
	memset(c, 0, sizeof(*c));
	RB_INIT(&c->tree);
	TAILQ_INIT(&c->hooks);
	c->memo_free = memo_free;
}

void
cache_hook_add(struct cache *c, struct cache_hook *h)
{
	TAILQ_INSERT_TAIL(&c->hooks, h, entry);
}

static void
instance_free(struct cache *c, struct instance *i)
{
	if (c->held == i)
		c->held = NULL; /* gone unseen: nothing to raise */
	instance_changed(c, i);
	cache_byname_remove(c, i);
	free(i->name);
	cache_str_put(c, i->type);
	cache_str_put(c, i->domain);
	cache_str_put(c, i->host);
	txt_clear(&i->txt);
	free(i->paths);
	free(i);
}

static void
cache_remove(struct cache *c, struct instance *i)
{
	RB_REMOVE(instance_tree, &c->tree, i);
	c->total--;
	if (i->resolved) {
		c->count--;
		if (!i->hidden) /* a hidden one was removed already */
			cache_emit(c, CACHE_REMOVE, i);
	}
	instance_free(c, i);
}

/* Forget everything (Avahi went away): watchers are told to resync. */
void
cache_clear(struct cache *c)
{
	cache_clear_keep(c, NULL);
}

/*
 * Every instance gone but those of the domain keep (NULL: none kept):
 * what Avahi found goes when Avahi starts again, what the wide area
 * brought stays.  Watchers get one "resync".
 */
void
cache_clear_keep(struct cache *c, const char *keep)
{
	struct instance *i, *next;

	for (i = RB_MIN(instance_tree, &c->tree); i != NULL; i = next) {
		next = RB_NEXT(instance_tree, &c->tree, i);
		if (keep != NULL && strcasecmp(i->domain, keep) == 0)
			continue;
		RB_REMOVE(instance_tree, &c->tree, i);
		c->total--;
		if (i->resolved)
			c->count--;
		instance_free(c, i);
	}
	cache_emit(c, CACHE_RESYNC, NULL);
}

/* The end: free every instance, telling no one. */
void
cache_destroy(struct cache *c)
{
	struct instance *i;

	while ((i = RB_MIN(instance_tree, &c->tree)) != NULL) {
		RB_REMOVE(instance_tree, &c->tree, i);
		instance_free(c, i);
	}
	c->count = c->total = 0;
	TAILQ_INIT(&c->hooks);
	free(c->strs); /* every string went with its last instance */
	c->strs = NULL;
	c->nstrbuckets = c->nstrs = 0;
	free(c->byname);
	c->byname = NULL;
	c->nbuckets = 0;
}

struct instance *
cache_find(struct cache *c, const char *name, const char *type,
    const char *domain)
{
	struct instance *i;
	uint32_t	 h;

	if (c->nbuckets == 0)
		return (NULL);
	h = cache_key_hash(name, type, domain);
	/* The shared strings, so that most comparisons are of pointers. */
	type = cache_str_find(c, type);
	domain = cache_str_find(c, domain);
	for (i = c->byname[h & (c->nbuckets - 1)]; i != NULL; i = i->hnext) {
		if (i->hash == h &&
		    (i->type == type || strcasecmp(i->type, type) == 0) &&
		    strcasecmp(i->name, name) == 0 &&
		    (i->domain == domain || strcasecmp(i->domain, domain) == 0))
			return (i);
	}
	return (NULL);
}

/* The first instance of a type (in name order), or of any type for NULL. */
struct instance *
cache_first_of_type(struct cache *c, const char *type)
{
	struct instance key, *i;

	if (type == NULL)
		return (RB_MIN(instance_tree, &c->tree));
	memset(&key, 0, sizeof(key));
	key.type = (char *)type;
	key.name = (char *)"";
	key.domain = (char *)"";
	i = RB_NFIND(instance_tree, &c->tree, &key);
	if (i != NULL && strcasecmp(i->type, type) != 0)
		return (NULL);
	return (i);
}

struct instance *
cache_next(struct cache *c, struct instance *i)
{
	return (RB_NEXT(instance_tree, &c->tree, i));
}

static struct cache_path *
cache_path_find(struct instance *i, int ifindex, int family)
{
	size_t k;

	for (k = 0; k < i->npaths; k++) {
		if (i->paths[k].ifindex == ifindex &&
		    i->paths[k].family == family)
			return (&i->paths[k]);
	}
	return (NULL);
}

/*
 * The browser sees an instance on an interface and family.  Returns it
 * (new or known); *is_new tells whether that path is new, so the caller
 * knows to resolve it.
 */
struct instance *
cache_seen(struct cache *c, const char *name, const char *type,
    const char *domain, int ifindex, const char *ifname, int family, int local,
    int *is_new)
{
	struct instance	  *i;
	struct cache_path *p;

	*is_new = 0;
	if ((i = cache_find(c, name, type, domain)) == NULL) {
		i = xcalloc(1, sizeof(*i));
		i->name = xstrdup(name);
		i->type = cache_str_get(c, type);
		i->domain = cache_str_get(c, domain);
		i->first_seen = clock_wall();
		RB_INSERT(instance_tree, &c->tree, i);
		cache_byname_add(c, i);
		c->total++;
	}
	instance_changed(c, i);
	if (local)
		i->local = 1;
	i->last_confirmed = clock_wall();
	if ((p = cache_path_find(i, ifindex, family)) == NULL) {
		i->paths = xreallocarray(i->paths, i->npaths + 1,
		    sizeof(*i->paths));
		p = &i->paths[i->npaths++];
		memset(p, 0, sizeof(*p));
		p->ifindex = ifindex;
		p->family = family;
		strlcpy(p->ifname, ifname != NULL ? ifname : "",
		    sizeof(p->ifname));
		*is_new = 1;
	}
	return (i);
}

/*
 * The browser lost an instance on one interface and family.  Returns 1
 * when that was its last path and the instance is gone (and freed).
 */
int
cache_lost(struct cache *c, struct instance *i, int ifindex, int family)
{
	struct cache_path *p;
	int		   had;

	if ((p = cache_path_find(i, ifindex, family)) == NULL)
		return (0);
	instance_changed(c, i);
	had = p->resolved;
	*p = i->paths[--i->npaths];
	if (i->npaths == 0) {
		cache_remove(c, i);
		return (1);
	}
	if (had && i->resolved) {
		i->last_changed = clock_wall();
		cache_emit(c, CACHE_UPDATE, i);
	}
	return (0);
}

/*
 * An IPv6 address as inet_ntop(3) writes it (RFC 5952: the longest run of
 * two or more zero groups as "::", the first of equal runs; the last 32
 * bits dotted for ::ffff:0:0/96 and ::/96 but for ::1 and ::), without the
 * sprintf per group that makes inet_ntop cost as much as the rest of an
 * instance's text.  out holds INET6_ADDRSTRLEN bytes.  check_cache holds
 * it to inet_ntop.
 */
void
cache_ntop6(const unsigned char *a, char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int	  w[8];
	int		  i, best = -1, bestlen = 0, cur = -1, curlen = 0, sh;
	char		 *o = out;

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i] == 0) {
			if (cur == -1)
				cur = i, curlen = 0;
			if (++curlen > bestlen)
				best = cur, bestlen = curlen;
		} else
			cur = -1;
	}
	if (bestlen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best != -1 && i >= best && i < best + bestlen) {
			if (i == best)
				*o++ = ':';
			continue;
		}
		if (i != 0)
			*o++ = ':';
		if (i == 6 && best == 0 &&
		    (bestlen == 6 || (bestlen == 5 && w[5] == 0xffff))) {
			inet_ntop(AF_INET, a + 12, o, INET_ADDRSTRLEN);
			return;
		}
		for (sh = 12; sh > 0 && (w[i] >> sh) == 0; sh -= 4)
			;
		for (; sh >= 0; sh -= 4)
			*o++ = hex[w[i] >> sh & 0xf];
	}
	if (best != -1 && best + bestlen == 8)
		*o++ = ':';
	*o = '\0';
}

/*
 * A path's address as text (at least CACHE_ADDR_TEXT_MAX bytes), made
 * when asked rather than kept: a link-local IPv6 address carries its
 * scope, as it means nothing without it.
 */
const char *
cache_path_text(const struct cache_path *p, char *text, size_t size)
{
	char   buf[INET6_ADDRSTRLEN];
	size_t n, k;
	int    b;

	if (!p->resolved) {
		text[0] = '\0';
		return (text);
	}
	if (p->family == AF_INET && size >= INET_ADDRSTRLEN) {
		/* Dotted quad by hand: inet_ntop goes through sprintf. */
		for (n = 0, b = 0; b < 4; b++) {
			if (b > 0)
				text[n++] = '.';
			k = p->addr[b];
			if (k >= 100)
				text[n++] = (char)('0' + k / 100);
			if (k >= 10)
				text[n++] = (char)('0' + k / 10 % 10);
			text[n++] = (char)('0' + k % 10);
		}
		text[n] = '\0';
		return (text);
	}
	if (p->family == AF_INET6)
		cache_ntop6(p->addr, buf);
	else if (inet_ntop(p->family, p->addr, buf, sizeof(buf)) == NULL) {
		text[0] = '\0';
		return (text);
	}
	n = strlcpy(text, buf, size);
	if (p->family == AF_INET6 && p->addr[0] == 0xfe &&
	    (p->addr[1] & 0xc0) == 0x80 && p->ifname[0] != '\0' &&
	    n + 2 < size) {
		text[n++] = '%';
		strlcpy(text + n, p->ifname, size - n);
	}
	return (text);
}

/*
 * A resolver found (or found again) the instance on one path.  The first
 * resolution raises "add"; a change of host, port, TXT or address raises
 * "update"; a confirmation without change only refreshes last_confirmed.
 */
void
cache_resolved(struct cache *c, struct instance *i, int ifindex, int family,
    const char *host, unsigned int port, const struct txt *txt,
    const void *addr)
{
	struct cache_path *p;
	int		   changed = 0, first = !i->resolved;
	size_t		   alen = family == AF_INET6 ? 16 : 4;

	instance_changed(c, i);
	i->last_confirmed = clock_wall();
	if ((p = cache_path_find(i, ifindex, family)) == NULL)
		return; /* lost meanwhile */
	if (!p->resolved || memcmp(p->addr, addr, alen) != 0) {
		memcpy(p->addr, addr, alen);
		p->resolved = 1;
		changed = 1;
	}
	if (i->host == NULL || strcasecmp(i->host, host) != 0) {
		cache_str_put(c, i->host);
		i->host = cache_str_get(c, host);
		changed = 1;
	}
	if (i->port != port) {
		i->port = port;
		changed = 1;
	}
	if (!txt_equal(&i->txt, txt)) {
		txt_clear(&i->txt);
		txt_copy(&i->txt, txt);
		changed = 1;
	}
	if (!changed)
		return;
	i->last_changed = i->last_confirmed;
	if (i->hidden)
		return; /* shown again, with this, when it answers */
	if (first) {
		i->resolved = 1;
		c->count++;
		cache_emit(c, CACHE_ADD, i);
	} else
		cache_emit(c, CACHE_UPDATE, i);
}

/*
 * A TXT filter: "key" matches an instance that has the key (with or
 * without a value), "key=value" one whose value is exactly that.  Keys
 * compare without regard to case (RFC 6763 6.4).
 */
int
cache_txt_match(const struct instance *i, const char *filter)
{
	const char *eq = strchr(filter, '=');
	size_t	    klen = eq != NULL ? (size_t)(eq - filter) : strlen(filter);
	size_t	    k, vlen;
	const unsigned char *d;

	for (k = 0; k < i->txt.n; k++) {
		d = i->txt.v[k].data;
		if (i->txt.v[k].len < klen ||
		    strncasecmp((const char *)d, filter, klen) != 0 ||
		    (i->txt.v[k].len > klen && d[klen] != '='))
			continue;
		if (eq == NULL)
			return (1);
		vlen = strlen(eq + 1);
		return (i->txt.v[k].len == klen + 1 + vlen &&
		    memcmp(d + klen + 1, eq + 1, vlen) == 0);
	}
	return (0);
}

/*
 * The liveness prober's verdict on an instance's host.  Unreachable
 * instances stay listed (marked) but are no longer picked or resolved.
 */
void
cache_set_reachable(struct cache *c, struct instance *i, int reachable)
{
	cache_set_liveness(c, i, reachable, NULL);
}

/*
 * The liveness prober's whole verdict on an instance at once: reachable
 * or not, and which of its addresses are silent (silent[k] for path k;
 * NULL leaves them as they are).  One update event for all of it, so
 * that watchers of a host's thousand instances get a thousand events per
 * turn, not one per address and another for reachability.
 */
void
cache_set_liveness(struct cache *c, struct instance *i, int reachable,
    const unsigned char *silent)
{
	size_t k;
	int    paths = 0;

	for (k = 0; silent != NULL && k < i->npaths; k++) {
		if (i->paths[k].silent == !!silent[k])
			continue;
		i->paths[k].silent = !!silent[k];
		paths |= i->paths[k].resolved;
	}
	if (i->unreachable == !reachable && !paths)
		return;
	instance_changed(c, i);
	if (i->unreachable != !reachable) {
		i->unreachable = !reachable;
		i->unreachable_since = reachable ? 0 : clock_wall();
	}
	i->last_changed = clock_wall();
	if (i->resolved && !i->hidden)
		cache_emit(c, CACHE_UPDATE, i);
}

/*
 * The liveness prober's verdict on one address (path k) of an instance
 * whose host still answers at another: a silent one is left out of the
 * instance's addresses until it answers again.
 */
void
cache_set_path_silent(struct cache *c, struct instance *i, size_t k, int silent)
{
	struct cache_path *p;

	if (k >= i->npaths || i->paths[k].silent == !!silent)
		return;
	p = &i->paths[k];
	instance_changed(c, i);
	p->silent = !!silent;
	if (!p->resolved || !i->resolved || i->hidden)
		return;
	i->last_changed = clock_wall();
	cache_emit(c, CACHE_UPDATE, i);
}

/*
 * Hide an instance whose host stayed silent: watchers see it removed and
 * list leaves it out; if its host answers again it is shown (added) again.
 */
void
cache_set_hidden(struct cache *c, struct instance *i, int hidden)
{
	if (i->hidden == hidden || !i->resolved)
		return;
	if (hidden)
		cache_emit(c, CACHE_REMOVE, i);
	i->hidden = hidden;
	if (!hidden)
		cache_emit(c, CACHE_ADD, i);
}

/*
 * A wide-area instance whose source (etcd) is out of reach: kept, and
 * marked in every answer until it is in reach again.
 */
void
cache_set_stale(struct cache *c, struct instance *i, int stale)
{
	if (i->stale == !!stale)
		return;
	instance_changed(c, i);
	i->stale = !!stale;
	if (i->resolved && !i->hidden)
		cache_emit(c, CACHE_UPDATE, i);
}
