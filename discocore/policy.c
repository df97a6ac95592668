/*
 * Selection policies for pick: plain data in (candidate instances), one
 * instance out.  No Avahi, no sockets.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

const char *
policy_name(enum policy p)
{
	switch (p) {
	case POLICY_WEIGHTED:
		return ("weighted");
	case POLICY_ROUND_ROBIN:
		return ("round-robin");
	case POLICY_RANDOM:
		return ("random");
	case POLICY_STICKY:
		return ("sticky");
	}
	return ("unknown");
}

int
policy_from_name(const char *s, enum policy *p)
{
	if (strcmp(s, "weighted") == 0)
		*p = POLICY_WEIGHTED;
	else if (strcmp(s, "round-robin") == 0)
		*p = POLICY_ROUND_ROBIN;
	else if (strcmp(s, "random") == 0)
		*p = POLICY_RANDOM;
	else if (strcmp(s, "sticky") == 0)
		*p = POLICY_STICKY;
	else
		return (-1);
	return (0);
}

/* A TXT key's value as a number 0..65535, or def when absent or bad. */
static unsigned int
policy_txt_uint(const struct instance *i, const char *key, unsigned int def)
{
	size_t		     k, klen = strlen(key), n;
	unsigned int	     v;
	const unsigned char *d;

	for (k = 0; k < i->txt.n; k++) {
		d = i->txt.v[k].data;
		n = i->txt.v[k].len;
		if (n <= klen + 1 || d[klen] != '=' ||
		    strncasecmp((const char *)d, key, klen) != 0)
			continue;
		for (v = 0, d += klen + 1, n -= klen + 1; n > 0; d++, n--) {
			if (*d < '0' || *d > '9' || v > 6553)
				return (def);
			v = v * 10 + (*d - '0');
		}
		return (v <= 65535 ? v : def);
	}
	return (def);
}

/*
 * SRV priority and weight (RFC 2782).  Avahi neither publishes nor
 * reports them (always 0), so TXT "priority" and "weight" stand in when
 * the SRV values are zero.
 */
unsigned int
policy_priority(const struct instance *i)
{
	return (i->priority != 0 ? i->priority :
				   policy_txt_uint(i, "priority", 0));
}

unsigned int
policy_weight(const struct instance *i)
{
	return (i->weight != 0 ? i->weight : policy_txt_uint(i, "weight", 0));
}

/* 64-bit FNV-1a over len bytes, on from h (CORE_HASH_START first). */
uint64_t
core_hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char *d = p;

	while (len-- > 0) {
		h ^= *d++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* splitmix64's finish: every bit of h spread over all of them. */
uint64_t
core_hash_mix(uint64_t h)
{
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (h);
}

/* Three strings, each ended by a separator byte, hashed and mixed. */
static uint64_t
policy_hash(const char *a, const char *b, const char *c)
{
	const char *parts[3] = { a, b, c };
	uint64_t    h = CORE_HASH_START;
	size_t	    k;

	for (k = 0; k < 3; k++) {
		h = core_hash_bytes(h, parts[k], strlen(parts[k]));
		h = core_hash_bytes(h, "\xff", 1); /* separator */
	}
	return (core_hash_mix(h));
}

/*
 * Sticky's consistent hashing: each instance owns IX_VNODES points on a
 * 32-bit circle (from its name and domain: the same on every host), and a
 * key goes to the owner of the first point at or after the key's own;
 * points that fall together are ordered by policy_tie().  32 bits keep
 * the index's ring small (index.c); with 16 points for each of 10000
 * instances, two fall together a few times.  policy_point(i, IX_VNODES)
 * is round-robin's ring point for i.
 */
uint32_t
policy_point(const struct instance *i, unsigned int v)
{
	char vs[16];

	snprintf(vs, sizeof(vs), "#%u", v);
	return ((uint32_t)(policy_hash(i->name, i->domain, vs) >> 32));
}

uint32_t
policy_key_point(const char *key)
{
	return ((uint32_t)(policy_hash(key, "", "") >> 32));
}

/* Two instances whose points fall together: by name, then domain. */
int
policy_tie(const struct instance *a, const struct instance *b)
{
	int d;

	if ((d = strcmp(a->name, b->name)) != 0)
		return (d < 0 ? -1 : 1);
	d = strcmp(a->domain, b->domain);
	return (d < 0 ? -1 : d > 0);
}

/*
 * Pick one of n candidates (n > 0, in cache order).  rnd is a uniform
 * random 32-bit number; *cursor is the round-robin position kept by the
 * caller per type; key is the sticky key.  O(n): the cache's index
 * (index.c) answers a pick over a whole type in O(log n), and sticky
 * answers the same there as here.
 */
/* A candidate's SRV priority and weight, read once per pick. */
struct policy_rank {
	unsigned int prio;
	unsigned int weight;
};

struct instance *
policy_pick(enum policy p, struct instance **cand, size_t n, const char *key,
    unsigned long *cursor, uint32_t rnd)
{
	struct instance	   *best = NULL;
	struct policy_rank *pw;
	unsigned int	    minprio = UINT32_MAX, total = 0;
	uint32_t	    h, besth = 0, kp;
	size_t		    k, nzero = 0;
	unsigned int	    v;

	switch (p) {
	case POLICY_RANDOM:
		return (cand[rnd % n]);
	case POLICY_ROUND_ROBIN:
		return (cand[(*cursor)++ % n]);
	case POLICY_STICKY:
		/*
		 * The nearest point at or after the key's, clockwise; on a
		 * tie the lower name, as the index's ring orders them.
		 */
		kp = policy_key_point(key);
		for (k = 0; k < n; k++) {
			for (v = 0; v < IX_VNODES; v++) {
				h = policy_point(cand[k], v) - kp;
				if (best == NULL || h < besth ||
				    (h == besth &&
					policy_tie(cand[k], best) < 0)) {
					best = cand[k];
					besth = h;
				}
			}
		}
		return (best);
	case POLICY_WEIGHTED:
		break;
	}
	/*
	 * RFC 2782: the lowest priority, then by weight within it.  Each
	 * candidate's priority and weight (maybe from TXT) are read once.
	 */
	pw = xreallocarray(NULL, n, sizeof(*pw));
	for (k = 0; k < n; k++) {
		pw[k].prio = policy_priority(cand[k]);
		if (pw[k].prio < minprio)
			minprio = pw[k].prio;
	}
	for (k = 0; k < n; k++) {
		pw[k].weight = pw[k].prio == minprio ? policy_weight(cand[k]) :
						       0;
		if (pw[k].prio != minprio)
			continue;
		total += pw[k].weight;
		if (pw[k].weight == 0)
			nzero++;
	}
	if (total == 0) { /* all weights zero: uniform */
		rnd %= (uint32_t)nzero;
		for (k = 0; k < n && best == NULL; k++) {
			if (pw[k].prio == minprio && rnd-- == 0)
				best = cand[k];
		}
	} else {
		rnd %= total;
		for (k = 0; k < n && best == NULL; k++) {
			if (pw[k].prio != minprio)
				continue;
			if (rnd < pw[k].weight)
				best = cand[k];
			else
				rnd -= pw[k].weight;
		}
	}
	free(pw);
	if (best == NULL)
		best = cand[0]; /* not reached */
	return (best);
}

/* One candidate of policy_order(): its priority and its place in it. */
struct policy_slot {
	struct instance *i;
	unsigned int	 prio;
	double		 key; /* smaller first */
};

static int
policy_slot_cmp(const void *a, const void *b)
{
	const struct policy_slot *x = a, *y = b;

	if (x->prio != y->prio)
		return (x->prio < y->prio ? -1 : 1);
	if (x->key != y->key)
		return (x->key < y->key ? -1 : 1);
	return (0);
}

/*
 * Put n candidates in the order RFC 2782 tells a client to try them: by
 * priority, and within one priority in a random order where an instance
 * comes first with a chance proportional to its weight (weighted sampling
 * without replacement: each draws -ln(u)/weight and the smallest goes
 * first).  Weight 0 comes after every weighted instance of its priority,
 * as policy_pick() only chooses one when all are 0.  O(n log n).
 */
void
policy_order(struct instance **cand, size_t n, uint32_t (*rnd)(void))
{
	struct policy_slot *s;
	unsigned int	    w;
	uint64_t	    x, z;
	double		    u;
	size_t		    k;

	if (n < 2)
		return;
	/*
	 * One draw from rnd seeds the rest: libbsd's arc4random() asks the
	 * kernel for the pid on every call (fork safety), which was 80% of
	 * a DNS answer for 1000 instances.  The draws only order candidates.
	 */
	x = (uint64_t)rnd() << 32 | rnd();
	s = xreallocarray(NULL, n, sizeof(*s));
	for (k = 0; k < n; k++) {
		s[k].i = cand[k];
		s[k].prio = policy_priority(cand[k]);
		w = policy_weight(cand[k]);
		/* splitmix64, its top 53 bits: u in (0, 1) */
		z = (x += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		u = ((double)(z >> 11) + 1.0) / 9007199254740993.0;
		s[k].key = -log(u) / (w != 0 ? w : 1);
		if (w == 0)
			s[k].key += 1e12; /* after every weighted one */
	}
	qsort(s, n, sizeof(*s), policy_slot_cmp);
	for (k = 0; k < n; k++)
		cand[k] = s[k].i;
	free(s);
}
