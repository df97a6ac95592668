/*
 * Indexes over the cache, kept up to date by its events, so that pick and
 * list answer in time that does not grow with the instances of a type.
 *
 * Per type, three pools of candidates (any family, IPv4, IPv6): the
 * instances that pick may choose (resolved, shown, reachable).  A pool
 * holds its instances by SRV priority class; each class is a dense array
 * with a Fenwick tree of weights over it, so a weighted choice (RFC 2782)
 * is a descent of that tree.  Random is one array access.  Round-robin
 * and sticky use rings: points on a 32-bit circle, held sorted in chunks
 * (a two-level array: finding a point is two binary searches, adding or
 * removing one moves at most a chunk).  Round-robin walks a ring of one
 * point per instance, so its order does not change as others come and
 * go.  Sticky is consistent hashing: IX_VNODES points per instance, a key
 * goes to the owner of the first point at or after its hash, so adding
 * one instance to n moves about 1/(n+1) of the keys, all to it.  Both
 * rings are made the first time a pool is asked for them.
 *
 * And postings for TXT filters: for each (type, key) and (type,
 * key=value) the shown instances whose TXT has it (the first occurrence
 * of a key, RFC 6763 6.4), so list with a selective filter costs what it
 * returns.
 *
 * Plain data: the index learns of instances only through
 * cindex_event(), a cache hook.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

#define IX_NONE	  UINT32_MAX
#define IX_CHUNK  128 /* points per ring chunk */
#define IX_KEYMAX 512 /* type, TXT key and value, as a posting's key */

enum {
	IX_ANY,
	IX_V4,
	IX_V6,
	IX_POOLS
};

/*
 * A point on a ring: 8 bytes, as sticky keeps IX_VNODES of them for each
 * instance.  The member is known by its number in the index's table.
 * Points with one hash are ordered by instance name and domain on the
 * sticky ring (what policy_pick() does, the same on every host), by
 * member number on round-robin's.
 */
struct ix_point {
	uint32_t h;
	uint32_t id;
};

struct ix_chunk {
	uint32_t	n;
	struct ix_point p[IX_CHUNK];
};

struct ix_ring {
	struct ix_chunk **c;
	size_t		  nc, cap;
	size_t		  n;	  /* points */
	int		  byname; /* ties by name (sticky), else by id */
};

struct ix_member;

struct ix_class {
	unsigned int	   prio;
	struct ix_member **v;
	uint64_t	  *fw; /* Fenwick tree of weights, 1-based */
	uint64_t	   total;
	uint32_t	   n, cap;
};

struct ix_pool {
	struct ix_class *cls; /* sorted by priority */
	size_t		 ncls;
	size_t		 n;
	struct ix_ring	*rr;
	struct ix_point	 rr_last; /* round-robin's last answer */
	int		 rr_started;
	struct ix_ring	*sticky;
};

/* A chained hash table's entry, first in each of its structs. */
struct ix_bucket {
	struct ix_bucket *next;
	uint64_t	  hash;
};

struct ix_type {
	struct ix_bucket b;
	struct ix_pool	 pool[IX_POOLS];
	char		 name[]; /* lower case */
};

struct ix_posting;

/* Where a member sits in a posting: one per posting it is in. */
struct ix_ref {
	struct ix_posting *p;
	uint32_t	   pos;
};

struct ix_member {
	struct instance *i;
	struct ix_type	*t;
	struct ix_ref	*refs;
	uint32_t	 pos[IX_POOLS]; /* in its class of each pool */
	uint32_t	 nrefs;
	uint32_t	 id; /* in the index's table, as its points name it */
	unsigned int	 prio, weight;
};

/* A posting's entry: a member and which of its refs points back here. */
struct ix_entry {
	struct ix_member *m;
	uint32_t	  ref;
};

/*
 * The members whose TXT has one key or key=value.  A posting is known by
 * its key's 64-bit hash alone: two keys that collide share one, and as
 * every caller checks each instance it gets, a collision costs checks,
 * never a wrong answer.  One entry (a value one instance has) is held in
 * place.
 */
struct ix_posting {
	struct ix_bucket b;
	uint32_t	 n, cap;
	union {
		struct ix_entry	 one; /* cap 1 */
		struct ix_entry *v;   /* cap > 1 */
	} e;
};

static struct ix_entry *
ix_entries(struct ix_posting *p)
{
	return (p->cap > 1 ? p->e.v : &p->e.one);
}

static uint64_t
ix_hash(const void *p, size_t len)
{
	return (core_hash_mix(core_hash_bytes(CORE_HASH_START, p, len)));
}

static void
ix_table_grow(struct ix_bucket ***tab, size_t *nb, size_t n)
{
	struct ix_bucket **old = *tab, **nt, *b, *next;
	size_t		   k, nnb;

	if (n < *nb)
		return;
	nnb = *nb == 0 ? 64 : *nb * 2;
	nt = xcalloc(nnb, sizeof(*nt));
	for (k = 0; k < *nb; k++) {
		for (b = old[k]; b != NULL; b = next) {
			next = b->next;
			b->next = nt[b->hash & (nnb - 1)];
			nt[b->hash & (nnb - 1)] = b;
		}
	}
	free(old);
	*tab = nt;
	*nb = nnb;
}

/* Link b (its hash set) into a table of *n entries, growing it first. */
static void
ix_table_add(struct ix_bucket ***tab, size_t *nb, size_t *n,
    struct ix_bucket *b)
{
	ix_table_grow(tab, nb, *n);
	b->next = (*tab)[b->hash & (*nb - 1)];
	(*tab)[b->hash & (*nb - 1)] = b;
	(*n)++;
}

/* ---- rings ---------------------------------------------------------- */

/*
 * Order two points of a ring.  A point whose id is IX_NONE (a key looked
 * up) comes before every point with its hash.  Only live members' points
 * are compared by name.
 */
static int
ix_point_cmp(const struct cindex *x, const struct ix_ring *r,
    const struct ix_point *a, const struct ix_point *b)
{
	const struct instance *ia, *ib;
	int		       d;

	if (a->h != b->h)
		return (a->h < b->h ? -1 : 1);
	if (a->id == b->id)
		return (0);
	if (a->id == IX_NONE || b->id == IX_NONE)
		return (a->id == IX_NONE ? -1 : 1);
	if (r->byname) {
		ia = x->mem[a->id]->i;
		ib = x->mem[b->id]->i;
		if ((d = policy_tie(ia, ib)) != 0)
			return (d);
	}
	return (a->id < b->id ? -1 : 1);
}

/* The chunk that holds or would hold p: the last whose first is <= p. */
static size_t
ix_ring_chunk(const struct cindex *x, const struct ix_ring *r,
    const struct ix_point *p)
{
	size_t lo = 0, hi = r->nc, mid;

	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ix_point_cmp(x, r, &r->c[mid]->p[0], p) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return (lo);
}

/* The first place in a chunk whose point is >= p (after: > p). */
static uint32_t
ix_chunk_lower(const struct cindex *x, const struct ix_ring *r,
    const struct ix_chunk *c, const struct ix_point *p, int after)
{
	uint32_t lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ix_point_cmp(x, r, &c->p[mid], p) < !!after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

static void
ix_ring_insert(const struct cindex *x, struct ix_ring *r,
    const struct ix_point *p)
{
	struct ix_chunk *c, *half;
	size_t		 k;
	uint32_t	 at;

	if (r->nc == 0) {
		r->c = xreallocarray(r->c, 1, sizeof(*r->c));
		r->cap = 1;
		r->c[0] = xcalloc(1, sizeof(**r->c));
		r->nc = 1;
	}
	k = ix_ring_chunk(x, r, p);
	c = r->c[k];
	if (c->n == IX_CHUNK) { /* split it in two */
		if (r->nc == r->cap) {
			r->cap *= 2;
			r->c = xreallocarray(r->c, r->cap, sizeof(*r->c));
		}
		half = xmalloc(sizeof(*half));
		half->n = IX_CHUNK / 2;
		memcpy(half->p, c->p + IX_CHUNK / 2,
		    (IX_CHUNK / 2) * sizeof(*c->p));
		c->n = IX_CHUNK / 2;
		memmove(r->c + k + 2, r->c + k + 1,
		    (r->nc - k - 1) * sizeof(*r->c));
		r->c[k + 1] = half;
		r->nc++;
		if (ix_point_cmp(x, r, &half->p[0], p) <= 0)
			c = half;
	}
	at = ix_chunk_lower(x, r, c, p, 0);
	memmove(c->p + at + 1, c->p + at, (c->n - at) * sizeof(*c->p));
	c->p[at] = *p;
	c->n++;
	r->n++;
}

static void
ix_ring_remove(const struct cindex *x, struct ix_ring *r,
    const struct ix_point *p)
{
	struct ix_chunk *c;
	size_t		 k;
	uint32_t	 at;

	if (r->nc == 0)
		return;
	k = ix_ring_chunk(x, r, p);
	c = r->c[k];
	at = ix_chunk_lower(x, r, c, p, 0);
	if (at == c->n || c->p[at].h != p->h || c->p[at].id != p->id)
		return; /* not there: nothing to do */
	memmove(c->p + at, c->p + at + 1, (c->n - at - 1) * sizeof(*c->p));
	c->n--;
	r->n--;
	if (c->n == 0) {
		free(c);
		memmove(r->c + k, r->c + k + 1,
		    (r->nc - k - 1) * sizeof(*r->c));
		r->nc--;
	}
}

/*
 * The first point >= p (after: > p), wrapping round to the first of all.
 */
static const struct ix_point *
ix_ring_next(const struct cindex *x, const struct ix_ring *r,
    const struct ix_point *p, int after)
{
	const struct ix_chunk *c;
	size_t		       k;
	uint32_t	       at;

	if (r->n == 0)
		return (NULL);
	k = ix_ring_chunk(x, r, p);
	c = r->c[k];
	at = ix_chunk_lower(x, r, c, p, after);
	if (at < c->n)
		return (&c->p[at]);
	if (k + 1 < r->nc)
		return (&r->c[k + 1]->p[0]);
	return (&r->c[0]->p[0]);
}

static void
ix_ring_free(struct ix_ring *r)
{
	size_t k;

	if (r == NULL)
		return;
	for (k = 0; k < r->nc; k++)
		free(r->c[k]);
	free(r->c);
	free(r);
}

/*
 * A member's point v: 0 to IX_VNODES - 1 on the sticky ring, IX_VNODES
 * on round-robin's.
 */
static struct ix_point
ix_point_of(const struct ix_member *m, unsigned int v)
{
	struct ix_point p = { .h = policy_point(m->i, v), .id = m->id };

	return (p);
}

/* Put a member's points on the pool's rings, or take them off (op). */
static void
ix_rings_change(const struct cindex *x, struct ix_pool *pl, struct ix_member *m,
    void (*op)(const struct cindex *, struct ix_ring *,
	const struct ix_point *))
{
	struct ix_point p;
	unsigned int	v;

	if (pl->rr != NULL) {
		p = ix_point_of(m, IX_VNODES);
		op(x, pl->rr, &p);
	}
	if (pl->sticky != NULL) {
		for (v = 0; v < IX_VNODES; v++) {
			p = ix_point_of(m, v);
			op(x, pl->sticky, &p);
		}
	}
}

/* ---- priority classes and their Fenwick trees ----------------------- */

static void
ix_fw_add(struct ix_class *c, uint32_t pos, int64_t delta)
{
	size_t k;

	for (k = (size_t)pos + 1; k <= c->cap; k += k & (~k + 1))
		c->fw[k] += (uint64_t)delta;
	c->total += (uint64_t)delta;
}

/* The position whose weight span holds r (0 <= r < total). */
static uint32_t
ix_fw_find(const struct ix_class *c, uint64_t r)
{
	size_t pos = 0, step;

	for (step = 1; step * 2 <= c->cap; step *= 2)
		;
	for (; step > 0; step /= 2) {
		if (pos + step <= c->cap && c->fw[pos + step] <= r) {
			pos += step;
			r -= c->fw[pos];
		}
	}
	return ((uint32_t)pos);
}

static struct ix_class *
ix_class_get(struct ix_pool *pl, unsigned int prio, int make)
{
	size_t lo = 0, hi = pl->ncls, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pl->cls[mid].prio < prio)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pl->ncls && pl->cls[lo].prio == prio)
		return (&pl->cls[lo]);
	if (!make)
		return (NULL);
	pl->cls = xreallocarray(pl->cls, pl->ncls + 1, sizeof(*pl->cls));
	memmove(pl->cls + lo + 1, pl->cls + lo,
	    (pl->ncls - lo) * sizeof(*pl->cls));
	memset(&pl->cls[lo], 0, sizeof(pl->cls[lo]));
	pl->cls[lo].prio = prio;
	pl->ncls++;
	return (&pl->cls[lo]);
}

static void
ix_pool_add(const struct cindex *x, struct ix_pool *pl, int which,
    struct ix_member *m)
{
	struct ix_class *c = ix_class_get(pl, m->prio, 1);
	uint32_t	 k;

	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 4 : c->cap * 2;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
		free(c->fw);
		c->fw = xcalloc((size_t)c->cap + 1, sizeof(*c->fw));
		c->total = 0;
		for (k = 0; k < c->n; k++)
			ix_fw_add(c, k, c->v[k]->weight);
	}
	m->pos[which] = c->n;
	c->v[c->n++] = m;
	ix_fw_add(c, m->pos[which], m->weight);
	pl->n++;
	ix_rings_change(x, pl, m, ix_ring_insert);
}

static void
ix_pool_remove(const struct cindex *x, struct ix_pool *pl, int which,
    struct ix_member *m)
{
	struct ix_class	 *c = ix_class_get(pl, m->prio, 0);
	struct ix_member *last;
	uint32_t	  at = m->pos[which];

	if (c == NULL || at >= c->n || c->v[at] != m)
		return; /* not in it */
	ix_rings_change(x, pl, m, ix_ring_remove);
	ix_fw_add(c, at, -(int64_t)m->weight);
	last = c->v[--c->n];
	if (last != m) {
		ix_fw_add(c, c->n, -(int64_t)last->weight);
		c->v[at] = last;
		last->pos[which] = at;
		ix_fw_add(c, at, last->weight);
	}
	m->pos[which] = IX_NONE;
	pl->n--;
	if (c->n == 0) {
		free(c->v);
		free(c->fw);
		memmove(c, c + 1,
		    (pl->ncls - (size_t)(c - pl->cls) - 1) * sizeof(*c));
		pl->ncls--;
	}
}

static void
ix_pool_clear(struct ix_pool *pl)
{
	size_t k;

	for (k = 0; k < pl->ncls; k++) {
		free(pl->cls[k].v);
		free(pl->cls[k].fw);
	}
	free(pl->cls);
	ix_ring_free(pl->rr);
	ix_ring_free(pl->sticky);
	memset(pl, 0, sizeof(*pl));
}

/* ---- types ---------------------------------------------------------- */

static size_t
ix_lower(char *dst, size_t size, const char *src, size_t len)
{
	size_t k;

	if (len > size)
		len = size;
	for (k = 0; k < len; k++) {
		dst[k] = src[k];
		if (dst[k] >= 'A' && dst[k] <= 'Z')
			dst[k] = (char)(dst[k] - 'A' + 'a');
	}
	return (len);
}

static struct ix_type *
ix_type_get(struct cindex *x, const char *type, int make)
{
	char		  buf[IX_KEYMAX];
	size_t		  len = ix_lower(buf, sizeof(buf), type, strlen(type));
	uint64_t	  h = ix_hash(buf, len);
	struct ix_bucket *b;
	struct ix_type	 *t;

	if (x->ntypebuckets > 0) {
		for (b = x->types[h & (x->ntypebuckets - 1)]; b != NULL;
		     b = b->next) {
			t = (struct ix_type *)b;
			if (b->hash == h && strlen(t->name) == len &&
			    memcmp(t->name, buf, len) == 0)
				return (t);
		}
	}
	if (!make)
		return (NULL);
	t = xcalloc(1, sizeof(*t) + len + 1);
	memcpy(t->name, buf, len);
	t->b.hash = h;
	ix_table_add(&x->types, &x->ntypebuckets, &x->ntypes, &t->b);
	return (t);
}

/* ---- TXT postings --------------------------------------------------- */

/* A posting's key: type, NUL, lower-case key, and "=value" if any. */
static size_t
ix_posting_key(char *buf, const struct ix_type *t, const char *key, size_t klen,
    const void *value, size_t vlen, int has_value)
{
	size_t tl = strlen(t->name), n;

	if (tl + 1 + klen + 1 + vlen > IX_KEYMAX)
		return (0);
	memcpy(buf, t->name, tl + 1);
	n = tl + 1 + ix_lower(buf + tl + 1, klen, key, klen);
	if (has_value) {
		buf[n++] = '=';
		memcpy(buf + n, value, vlen);
		n += vlen;
	}
	return (n);
}

static struct ix_posting *
ix_posting_get(struct cindex *x, const char *key, size_t len, int make)
{
	uint64_t	   h = ix_hash(key, len);
	struct ix_bucket  *b;
	struct ix_posting *p;

	if (x->npostbuckets > 0) {
		for (b = x->posts[h & (x->npostbuckets - 1)]; b != NULL;
		     b = b->next) {
			if (b->hash == h)
				return ((struct ix_posting *)b);
		}
	}
	if (!make)
		return (NULL);
	p = xcalloc(1, sizeof(*p));
	p->cap = 1;
	p->b.hash = h;
	ix_table_add(&x->posts, &x->npostbuckets, &x->nposts, &p->b);
	return (p);
}

static void
ix_posting_drop(struct cindex *x, struct ix_posting *p)
{
	struct ix_bucket **pp;

	pp = &x->posts[p->b.hash & (x->npostbuckets - 1)];
	while (*pp != &p->b)
		pp = &(*pp)->next;
	*pp = p->b.next;
	x->nposts--;
	if (p->cap > 1)
		free(p->e.v);
	free(p);
}

/* Append m to p, unless m is its last entry already (a repeated key). */
static int
ix_posting_append(struct ix_member *m, struct ix_posting *p)
{
	struct ix_entry *v = ix_entries(p), *nv;

	if (p->n > 0 && v[p->n - 1].m == m)
		return (0);
	if (p->n == p->cap) {
		nv = xreallocarray(p->cap > 1 ? p->e.v : NULL, p->cap * 2,
		    sizeof(*nv));
		if (p->cap == 1)
			nv[0] = p->e.one;
		p->e.v = v = nv;
		p->cap *= 2;
	}
	m->refs[m->nrefs].p = p;
	m->refs[m->nrefs].pos = p->n;
	v[p->n].m = m;
	v[p->n].ref = m->nrefs++;
	p->n++;
	return (1);
}

/* 1 when a TXT string before the k-th has the key d (klen bytes). */
static int
ix_key_before(const struct txt *txt, size_t k, const char *d, size_t klen)
{
	const char *e, *q;
	size_t	    j, el;

	for (j = 0; j < k; j++) {
		e = (const char *)txt->v[j].data;
		q = memchr(e, '=', txt->v[j].len);
		el = q != NULL ? (size_t)(q - e) : txt->v[j].len;
		if (el == klen && strncasecmp(e, d, klen) == 0)
			return (1);
	}
	return (0);
}

static void
ix_postings_add(struct cindex *x, struct ix_member *m)
{
	const struct txt *txt = &m->i->txt;
	char		  buf[IX_KEYMAX];
	const char	 *d, *eq;
	size_t		  k, klen, n;

	m->refs = xreallocarray(NULL, txt->n * 2 + 1, sizeof(*m->refs));
	m->nrefs = 0;
	for (k = 0; k < txt->n; k++) {
		d = (const char *)txt->v[k].data;
		eq = memchr(d, '=', txt->v[k].len);
		klen = eq != NULL ? (size_t)(eq - d) : txt->v[k].len;
		if (memchr(d, '\0', klen) != NULL ||
		    (n = ix_posting_key(buf, m->t, d, klen, NULL, 0, 0)) == 0)
			continue;
		/*
		 * Only a key's first occurrence counts (RFC 6763 6.4): m is
		 * the last entry of its key's posting if it had it before
		 * (or if two keys' hashes collide: then it goes on).
		 */
		if (!ix_posting_append(m, ix_posting_get(x, buf, n, 1)) &&
		    ix_key_before(txt, k, d, klen))
			continue;
		if (eq != NULL &&
		    (n = ix_posting_key(buf, m->t, d, klen, eq + 1,
			 txt->v[k].len - klen - 1, 1)) > 0)
			ix_posting_append(m, ix_posting_get(x, buf, n, 1));
	}
	if (m->nrefs == 0) {
		free(m->refs);
		m->refs = NULL;
	} else
		m->refs = xreallocarray(m->refs, m->nrefs, sizeof(*m->refs));
}

static void
ix_postings_remove(struct cindex *x, struct ix_member *m)
{
	struct ix_posting *p;
	struct ix_entry	  *v, *last;
	uint32_t	   k, at;

	for (k = 0; k < m->nrefs; k++) {
		p = m->refs[k].p;
		at = m->refs[k].pos;
		v = ix_entries(p);
		last = &v[--p->n];
		if (at != p->n) {
			v[at] = *last;
			last->m->refs[last->ref].pos = at;
		}
		if (p->n == 0)
			ix_posting_drop(x, p);
	}
	free(m->refs);
	m->refs = NULL;
	m->nrefs = 0;
}

/* ---- members -------------------------------------------------------- */

static int
ix_has_family(const struct instance *i, int family)
{
	size_t k;

	for (k = 0; k < i->npaths; k++) {
		if (cache_path_usable(&i->paths[k]) &&
		    i->paths[k].family == family)
			return (1);
	}
	return (0);
}

static void
ix_member_out(struct cindex *x, struct ix_member *m)
{
	int k;

	for (k = 0; k < IX_POOLS; k++) {
		if (m->pos[k] != IX_NONE)
			ix_pool_remove(x, &m->t->pool[k], k, m);
	}
	ix_postings_remove(x, m);
	x->mem[m->id] = NULL;
	if (x->nfree == x->freecap) {
		x->freecap = x->freecap == 0 ? 16 : x->freecap * 2;
		x->freeid = xreallocarray(x->freeid, x->freecap,
		    sizeof(*x->freeid));
	}
	x->freeid[x->nfree++] = m->id;
	m->i->ixm = NULL;
	free(m);
}

/* A number for a new member: a freed one, or the next. */
static uint32_t
ix_member_id(struct cindex *x)
{
	if (x->nfree > 0)
		return (x->freeid[--x->nfree]);
	if (x->nmem == x->memcap) {
		x->memcap = x->memcap == 0 ? 64 : x->memcap * 2;
		x->mem = xreallocarray(x->mem, x->memcap, sizeof(*x->mem));
	}
	return (x->nmem++);
}

static void
ix_member_in(struct cindex *x, struct instance *i)
{
	struct ix_member *m = xcalloc(1, sizeof(*m));
	int		  k;

	m->i = i;
	m->t = ix_type_get(x, i->type, 1);
	m->prio = policy_priority(i);
	m->weight = policy_weight(i);
	for (k = 0; k < IX_POOLS; k++)
		m->pos[k] = IX_NONE;
	m->id = ix_member_id(x);
	x->mem[m->id] = m;
	i->ixm = m;
	ix_postings_add(x, m);
	if (i->unreachable)
		return;
	ix_pool_add(x, &m->t->pool[IX_ANY], IX_ANY, m);
	if (ix_has_family(i, AF_INET))
		ix_pool_add(x, &m->t->pool[IX_V4], IX_V4, m);
	if (ix_has_family(i, AF_INET6))
		ix_pool_add(x, &m->t->pool[IX_V6], IX_V6, m);
}

void
cindex_init(struct cindex *x)
{
	memset(x, 0, sizeof(*x));
}

/* Forget everything (the cache was cleared: its instances are gone). */
void
cindex_clear(struct cindex *x)
{
	struct ix_bucket *b, *bn;
	struct ix_type	 *t;
	size_t		  k;
	int		  j;

	for (k = 0; k < x->nmem; k++) {
		if (x->mem[k] != NULL) {
			free(x->mem[k]->refs);
			free(x->mem[k]);
		}
	}
	free(x->mem);
	free(x->freeid);
	for (k = 0; k < x->ntypebuckets; k++) {
		for (b = x->types[k]; b != NULL; b = bn) {
			bn = b->next;
			t = (struct ix_type *)b;
			for (j = 0; j < IX_POOLS; j++)
				ix_pool_clear(&t->pool[j]);
			free(t);
		}
	}
	for (k = 0; k < x->npostbuckets; k++) {
		for (b = x->posts[k]; b != NULL; b = bn) {
			bn = b->next;
			if (((struct ix_posting *)b)->cap > 1)
				free(((struct ix_posting *)b)->e.v);
			free(b);
		}
	}
	free(x->types);
	free(x->posts);
	cindex_init(x);
}

/*
 * The cache hook.  An instance is in the index while it is shown (from
 * add to remove); in the pools while also reachable.  Any update puts it
 * in again, as its priority, weight, TXT, addresses or reachability may
 * have changed.
 */
void
cindex_event(struct cache *c, enum cache_event_kind kind, struct instance *i,
    void *arg)
{
	struct cindex *x = arg;

	(void)c;
	switch (kind) {
	case CACHE_RESYNC:
		/*
		 * The cache has freed its instances already: drop every
		 * member without reading them, then take what is left.
		 */
		cindex_clear(x);
		cindex_rebuild(x, c);
		return;
	case CACHE_REMOVE:
		if (i->ixm != NULL)
			ix_member_out(x, i->ixm);
		return;
	case CACHE_ADD:
	case CACHE_UPDATE:
		if (i->ixm != NULL)
			ix_member_out(x, i->ixm);
		if (i->resolved && !i->hidden)
			ix_member_in(x, i);
		return;
	}
}

/* Index every shown instance of the cache (after a clear). */
void
cindex_rebuild(struct cindex *x, struct cache *c)
{
	struct instance *i;

	for (i = cache_first_of_type(c, NULL); i != NULL;
	     i = cache_next(c, i)) {
		i->ixm = NULL;
		if (i->resolved && !i->hidden)
			ix_member_in(x, i);
	}
}

/* ---- queries -------------------------------------------------------- */

static struct ix_pool *
ix_pool_of(struct cindex *x, const char *type, int family)
{
	struct ix_type *t = ix_type_get(x, type, 0);

	if (t == NULL)
		return (NULL);
	return (&t->pool[family == AF_INET ? IX_V4 :
		family == AF_INET6	   ? IX_V6 :
					     IX_ANY]);
}

/* How many instances of a type pick may choose from (family 0: any). */
size_t
cindex_candidates(struct cindex *x, const char *type, int family)
{
	struct ix_pool *pl = ix_pool_of(x, type, family);

	return (pl != NULL ? pl->n : 0);
}

struct ix_sort {
	const struct cindex  *x;
	const struct ix_ring *r;
};

static int
ix_point_qcmp(const void *a, const void *b, void *arg)
{
	const struct ix_sort *s = arg;

	return (ix_point_cmp(s->x, s->r, a, b));
}

/*
 * A pool's ring, made the first time it is asked for: its points sorted
 * and packed into full chunks (inserting them one by one would leave the
 * chunks about 70% full).
 */
static struct ix_ring *
ix_ring_make(const struct cindex *x, struct ix_pool *pl, int sticky)
{
	struct ix_ring	*r = xcalloc(1, sizeof(*r));
	struct ix_sort	 how = { x, r };
	struct ix_point *pts;
	size_t		 k, n = 0, per = sticky ? IX_VNODES : 1;
	uint32_t	 j;
	unsigned int	 v;

	r->byname = sticky;
	pts = xreallocarray(NULL, pl->n > 0 ? pl->n * per : 1, sizeof(*pts));
	for (k = 0; k < pl->ncls; k++) {
		for (j = 0; j < pl->cls[k].n; j++) {
			if (!sticky) {
				pts[n++] = ix_point_of(pl->cls[k].v[j],
				    IX_VNODES);
				continue;
			}
			for (v = 0; v < IX_VNODES; v++)
				pts[n++] = ix_point_of(pl->cls[k].v[j], v);
		}
	}
	qsort_r(pts, n, sizeof(*pts), ix_point_qcmp, &how);
	r->cap = r->nc = (n + IX_CHUNK - 1) / IX_CHUNK;
	r->c = xreallocarray(NULL, r->cap > 0 ? r->cap : 1, sizeof(*r->c));
	for (k = 0; k < r->nc; k++) {
		r->c[k] = xmalloc(sizeof(**r->c));
		r->c[k]->n = (uint32_t)(n - k * IX_CHUNK < IX_CHUNK ?
			n - k * IX_CHUNK :
			IX_CHUNK);
		memcpy(r->c[k]->p, pts + k * IX_CHUNK,
		    r->c[k]->n * sizeof(*pts));
	}
	if (r->cap == 0)
		r->cap = 1;
	r->n = n;
	free(pts);
	return (r);
}

/*
 * Pick one instance of a type (and family, 0 for either) by a policy,
 * from the pools: what policy_pick() would choose among the same
 * candidates, in O(log n).  NULL when there is none.
 */
struct instance *
cindex_pick(struct cindex *x, const char *type, int family, enum policy p,
    const char *key, uint32_t rnd)
{
	struct ix_pool	      *pl = ix_pool_of(x, type, family);
	struct ix_class	      *c;
	const struct ix_point *pt;
	struct ix_point	       q;
	size_t		       k;
	uint32_t	       r;

	if (pl == NULL || pl->n == 0)
		return (NULL);
	switch (p) {
	case POLICY_RANDOM:
		r = rnd % (uint32_t)pl->n;
		for (k = 0; r >= pl->cls[k].n; k++)
			r -= pl->cls[k].n;
		return (pl->cls[k].v[r]->i);
	case POLICY_ROUND_ROBIN:
		if (pl->rr == NULL)
			pl->rr = ix_ring_make(x, pl, 0);
		if (!pl->rr_started) {
			q.h = 0;
			q.id = IX_NONE;
		} else /* just past the last answer */
			q = pl->rr_last;
		pt = ix_ring_next(x, pl->rr, &q, pl->rr_started);
		pl->rr_last = *pt;
		pl->rr_started = 1;
		return (x->mem[pt->id]->i);
	case POLICY_STICKY:
		if (pl->sticky == NULL)
			pl->sticky = ix_ring_make(x, pl, 1);
		q.h = policy_key_point(key);
		q.id = IX_NONE;
		return (x->mem[ix_ring_next(x, pl->sticky, &q, 0)->id]->i);
	case POLICY_WEIGHTED:
		break;
	}
	c = &pl->cls[0]; /* the lowest priority */
	if (c->total == 0)
		return (c->v[rnd % c->n]->i);
	return (c->v[ix_fw_find(c, rnd % c->total)]->i);
}

/*
 * The shown instances of a type whose TXT may pass one filter ("key" or
 * "key=value": every one that does, and in the rare case of a hash
 * collision others, so the caller checks each), in no order: *np of them,
 * valid until the cache changes.  Returns -1 when the filter cannot be
 * looked up (then walk the type).
 */
int
cindex_txt(struct cindex *x, const char *type, const char *filter,
    struct instance ***out, size_t *np)
{
	struct ix_type	  *t = ix_type_get(x, type, 0);
	struct ix_posting *p;
	const char	  *eq = strchr(filter, '=');
	char		   buf[IX_KEYMAX];
	size_t klen = eq != NULL ? (size_t)(eq - filter) : strlen(filter), n, k;

	*out = NULL;
	*np = 0;
	if (t == NULL)
		return (0);
	n = ix_posting_key(buf, t, filter, klen, eq != NULL ? eq + 1 : NULL,
	    eq != NULL ? strlen(eq + 1) : 0, eq != NULL);
	if (n == 0)
		return (-1);
	if ((p = ix_posting_get(x, buf, n, 0)) == NULL)
		return (0);
	*out = xreallocarray(NULL, p->n, sizeof(**out));
	for (k = 0; k < p->n; k++)
		(*out)[k] = ix_entries(p)[k].m->i;
	*np = p->n;
	return (0);
}

/* How many shown instances of a type pass a TXT filter (-1: unknown). */
long
cindex_txt_count(struct cindex *x, const char *type, const char *filter)
{
	struct ix_type	  *t = ix_type_get(x, type, 0);
	struct ix_posting *p;
	const char	  *eq = strchr(filter, '=');
	char		   buf[IX_KEYMAX];
	size_t klen = eq != NULL ? (size_t)(eq - filter) : strlen(filter), n;

	if (t == NULL)
		return (0);
	n = ix_posting_key(buf, t, filter, klen, eq != NULL ? eq + 1 : NULL,
	    eq != NULL ? strlen(eq + 1) : 0, eq != NULL);
	if (n == 0)
		return (-1);
	p = ix_posting_get(x, buf, n, 0);
	return (p != NULL ? (long)p->n : 0);
}
