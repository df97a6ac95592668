/*
 * The cache's index (index.c): its pools and TXT postings must say what a
 * walk of the cache says, through every kind of change, and its pick
 * policies must choose as policy_pick() does over the same candidates.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

#define TYPE "_t._tcp"

static struct cache	 c;
static struct cindex	 x;
static struct cache_hook hook = { .event = cindex_event, .arg = &x };
static uint32_t		 rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return (rng_state);
}

static void
setup(void)
{
	cache_init(&c, NULL);
	cindex_init(&x);
	cache_hook_add(&c, &hook);
	rng_state = 2463534242U;
}

static void
teardown(void)
{
	cache_destroy(&c);
	cindex_clear(&x);
}

/*
 * TXT from strings separated by '|' ("" for none), as they come: a key
 * may repeat (txt_add would refuse it, a peer need not).
 */
static void
mktxt(struct txt *t, const char *spec)
{
	char   buf[256], *s, *p;
	size_t len;

	memset(t, 0, sizeof(*t));
	strlcpy(buf, spec, sizeof(buf));
	for (s = buf; (p = strsep(&s, "|")) != NULL;) {
		if (*p == '\0')
			continue;
		len = strlen(p);
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n].data = xmalloc(len);
		memcpy(t->v[t->n].data, p, len);
		t->v[t->n++].len = len;
		t->total += len + 1;
	}
}

/* An instance of type on interface 2 with IPv4 and/or IPv6, resolved. */
static struct instance *
put(const char *type, const char *name, int v4, int v6, const char *txtspec)
{
	struct instance *i = NULL;
	struct txt	 t;
	unsigned char	 a4[4] = { 192, 0, 2, 1 };
	unsigned char	 a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	int		 is_new;

	mktxt(&t, txtspec);
	if (v4) {
		i = cache_seen(&c, name, type, "local", 2, "eth0", AF_INET, 0,
		    &is_new);
		cache_resolved(&c, i, 2, AF_INET, "h.local", 80, &t, a4);
	}
	if (v6) {
		i = cache_seen(&c, name, type, "local", 2, "eth0", AF_INET6, 0,
		    &is_new);
		cache_resolved(&c, i, 2, AF_INET6, "h.local", 80, &t, a6);
	}
	txt_clear(&t);
	return (i);
}

static void
drop(struct instance *i)
{
	while (i->npaths > 1)
		cache_lost(&c, i, i->paths[0].ifindex, i->paths[0].family);
	cache_lost(&c, i, i->paths[0].ifindex, i->paths[0].family);
}

/* The candidates pick would walk: shown, resolved, reachable, of family. */
static size_t
scan(const char *type, int family, struct instance **out, size_t max)
{
	struct instance *i;
	size_t		 n = 0, k;
	int		 ok;

	for (i = cache_first_of_type(&c, type); i != NULL;
	     i = cache_next(&c, i)) {
		if (strcasecmp(i->type, type) != 0)
			break;
		if (!i->resolved || i->hidden || i->unreachable)
			continue;
		for (k = 0, ok = family == 0; k < i->npaths && !ok; k++)
			ok = i->paths[k].resolved &&
			    i->paths[k].family == family;
		if (ok && n < max)
			out[n++] = i;
	}
	return (n);
}

static int
cmp_ptr(const void *a, const void *b)
{
	uintptr_t x1 = (uintptr_t) * (void *const *)a;
	uintptr_t y1 = (uintptr_t) * (void *const *)b;

	return (x1 < y1 ? -1 : x1 > y1);
}

/* The TXT posting of filter holds exactly the shown instances it passes. */
static void
assert_posting(const char *type, const char *filter)
{
	struct instance *want[512], **got, *i;
	size_t		 nw = 0, ng, k;

	for (i = cache_first_of_type(&c, type); i != NULL;
	     i = cache_next(&c, i)) {
		if (strcasecmp(i->type, type) != 0)
			break;
		if (i->resolved && !i->hidden && cache_txt_match(i, filter))
			want[nw++] = i;
	}
	ck_assert_int_eq(cindex_txt(&x, type, filter, &got, &ng), 0);
	ck_assert_msg(ng == nw, "%s: %zu in the index, %zu in the cache",
	    filter, ng, nw);
	ck_assert_int_eq(cindex_txt_count(&x, type, filter), (long)nw);
	qsort(want, nw, sizeof(*want), cmp_ptr);
	if (ng > 0)
		qsort(got, ng, sizeof(*got), cmp_ptr);
	for (k = 0; k < nw; k++)
		ck_assert_ptr_eq(got[k], want[k]);
	free(got);
}

/* Every pool and posting agrees with the cache; sticky agrees too. */
static void
assert_index(const char **filters, size_t nfilters)
{
	static const int fams[] = { 0, AF_INET, AF_INET6 };
	struct instance *cand[512];
	char		 key[32];
	size_t		 n, k, f;

	for (f = 0; f < 3; f++) {
		n = scan(TYPE, fams[f], cand, 512);
		ck_assert_uint_eq(cindex_candidates(&x, TYPE, fams[f]), n);
		if (n == 0) {
			ck_assert_ptr_null(cindex_pick(&x, TYPE, fams[f],
			    POLICY_WEIGHTED, NULL, rng()));
			continue;
		}
		for (k = 0; k < 8; k++) {
			snprintf(key, sizeof(key), "key-%u", rng());
			ck_assert_ptr_eq(cindex_pick(&x, TYPE, fams[f],
					     POLICY_STICKY, key, 0),
			    policy_pick(POLICY_STICKY, cand, n, key, NULL, 0));
		}
	}
	for (k = 0; k < nfilters; k++)
		assert_posting(TYPE, filters[k]);
}

START_TEST(test_index_follows_every_change_of_the_cache)
{
	static const char *vals[] = { "role=web", "role=db", "role", "ROLE=web",
		"zone=a", "zone=b", "weight=3", "priority=1", "flag",
		"role=web|role=db", "role=db|role=web", "" };
	static const char *filters[] = { "role", "role=web", "role=db",
		"Role=web", "zone", "zone=a", "zone=b", "flag", "weight",
		"nothing", "role=" };
	struct instance	  *live[64] = { NULL };
	char		   name[32], spec[128];
	int		   step, k, op;

	for (step = 0; step < 3000; step++) {
		k = (int)(rng() % 64);
		op = (int)(rng() % 8);
		snprintf(name, sizeof(name), "inst %d", k);
		snprintf(spec, sizeof(spec), "%s|%s", vals[rng() % 12],
		    vals[rng() % 12]);
		if (live[k] == NULL || op == 0) {
			/* new, or its TXT and families change */
			live[k] = put(TYPE, name, (int)(rng() % 4) != 0,
			    (int)(rng() % 2), spec);
			if (live[k] == NULL) /* neither family */
				live[k] = put(TYPE, name, 1, 0, spec);
		} else if (op == 1) {
			drop(live[k]);
			live[k] = NULL;
		} else if (op == 2 || op == 3) {
			cache_set_reachable(&c, live[k], op == 3);
		} else if (op == 4 || op == 5) {
			cache_set_hidden(&c, live[k], op == 4);
		} else if (op == 6 && live[k]->npaths > 1) {
			/* one family goes */
			cache_lost(&c, live[k], live[k]->paths[0].ifindex,
			    live[k]->paths[0].family);
		} else {
			put("_other._tcp", name, 1, 1, spec);
		}
		if (step % 10 == 0)
			assert_index(filters,
			    sizeof(filters) / sizeof(*filters));
	}
	assert_index(filters, sizeof(filters) / sizeof(*filters));
	/* Avahi went away: everything is forgotten, then filled again. */
	cache_clear(&c);
	ck_assert_uint_eq(cindex_candidates(&x, TYPE, 0), 0);
	assert_posting(TYPE, "role");
	put(TYPE, "after", 1, 0, "role=web");
	ck_assert_uint_eq(cindex_candidates(&x, TYPE, 0), 1);
	assert_posting(TYPE, "role=web");
}
END_TEST

START_TEST(test_index_weighted_follows_weights_and_lowest_priority)
{
	int		 count[4] = { 0 };
	struct instance *i[4], *hi;
	uint32_t	 r;
	char		 name[8], spec[32];
	int		 k;

	for (k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "w%d", k);
		snprintf(spec, sizeof(spec), "weight=%d", k);
		i[k] = put(TYPE, name, 1, 0, spec);
	}
	hi = put(TYPE, "backup", 1, 0, "priority=5|weight=50");
	/* Every residue of the 6 units of weight once: exact shares. */
	for (r = 0; r < 6000; r++) {
		struct instance *p = cindex_pick(&x, TYPE, 0, POLICY_WEIGHTED,
		    NULL, r);

		ck_assert_ptr_ne(p, hi);
		for (k = 0; k < 4; k++)
			count[k] += p == i[k];
	}
	ck_assert_int_eq(count[0], 0);
	ck_assert_int_eq(count[1], 1000);
	ck_assert_int_eq(count[2], 2000);
	ck_assert_int_eq(count[3], 3000);
	/* The weight changes (a TXT update): the shares follow. */
	put(TYPE, "w0", 1, 0, "weight=6");
	memset(count, 0, sizeof(count));
	for (r = 0; r < 12000; r++) {
		struct instance *p = cindex_pick(&x, TYPE, 0, POLICY_WEIGHTED,
		    NULL, r);

		for (k = 0; k < 4; k++)
			count[k] += p == i[k];
	}
	ck_assert_int_eq(count[0], 6000);
	ck_assert_int_eq(count[3], 3000);
	/* The priority-0 class gone: the backup is all there is. */
	for (k = 0; k < 4; k++)
		cache_set_reachable(&c, i[k], 0);
	ck_assert_ptr_eq(cindex_pick(&x, TYPE, 0, POLICY_WEIGHTED, NULL, 7),
	    hi);
	/* Back, all at weight 0 but one: */
	for (k = 0; k < 4; k++)
		cache_set_reachable(&c, i[k], 1);
	ck_assert_ptr_ne(cindex_pick(&x, TYPE, 0, POLICY_WEIGHTED, NULL, 7),
	    hi);
}
END_TEST

START_TEST(test_index_all_weights_zero_is_uniform)
{
	int		 count[5] = { 0 };
	struct instance *i[5];
	uint32_t	 r;
	char		 name[8];
	int		 k;

	for (k = 0; k < 5; k++) {
		snprintf(name, sizeof(name), "z%d", k);
		i[k] = put(TYPE, name, 1, 0, "");
	}
	for (r = 0; r < 5000; r++) {
		struct instance *p = cindex_pick(&x, TYPE, 0, POLICY_WEIGHTED,
		    NULL, r);

		for (k = 0; k < 5; k++)
			count[k] += p == i[k];
	}
	for (k = 0; k < 5; k++)
		ck_assert_int_eq(count[k], 1000);
	memset(count, 0, sizeof(count));
	for (r = 0; r < 5000; r++) {
		struct instance *p = cindex_pick(&x, TYPE, 0, POLICY_RANDOM,
		    NULL, r);

		for (k = 0; k < 5; k++)
			count[k] += p == i[k];
	}
	for (k = 0; k < 5; k++)
		ck_assert_int_eq(count[k], 1000);
}
END_TEST

/* n picks give each of n instances once; a newcomer joins the cycle. */
START_TEST(test_index_round_robin_is_a_stable_ring)
{
	struct instance *seen[40], *p, *first[40];
	char		 name[16];
	int		 k, j, n = 30, times;

	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "rr%d", k);
		put(TYPE, name, 1, 1, "");
	}
	for (k = 0; k < n; k++)
		first[k] = cindex_pick(&x, TYPE, 0, POLICY_ROUND_ROBIN, NULL,
		    0);
	for (times = 0; times < 3; times++) {
		for (k = 0; k < n; k++) {
			seen[k] = cindex_pick(&x, TYPE, 0, POLICY_ROUND_ROBIN,
			    NULL, 0);
			ck_assert_ptr_eq(seen[k], first[k]); /* same order */
		}
	}
	for (k = 0; k < n; k++)
		for (j = k + 1; j < n; j++)
			ck_assert_ptr_ne(first[k], first[j]);
	/* One more: the next cycle has the 30 in their order, and it. */
	p = put(TYPE, "rr-new", 1, 0, "");
	for (k = 0, j = 0; k <= n; k++) {
		seen[k] = cindex_pick(&x, TYPE, 0, POLICY_ROUND_ROBIN, NULL, 0);
		if (seen[k] == p)
			continue;
		ck_assert_ptr_eq(seen[k], first[j]);
		j++;
	}
	ck_assert_int_eq(j, n);
	/* The IPv6 pool has its own ring, without the IPv4-only one. */
	for (k = 0; k < 2 * n; k++)
		ck_assert_ptr_ne(cindex_pick(&x, TYPE, AF_INET6,
				     POLICY_ROUND_ROBIN, NULL, 0),
		    p);
}
END_TEST

/*
 * Consistent hashing: an instance added to n takes about 1/(n+1) of the
 * keys, all from others, and no key moves between the others; one that
 * goes gives away only its own.  No instance holds far more than its
 * share.
 */
START_TEST(test_index_sticky_moves_about_one_nth_of_the_keys)
{
	enum {
		N = 100,
		KEYS = 20000
	};
	static struct instance *before[KEYS];
	struct instance	       *after, *added, *gone;
	int			load[N + 1] = { 0 };
	struct instance	       *inst[N + 1];
	char			name[16], key[24];
	int			k, j, moved = 0, max = 0;

	for (k = 0; k < N; k++) {
		snprintf(name, sizeof(name), "node-%d", k);
		inst[k] = put(TYPE, name, 1, 0, "");
	}
	for (k = 0; k < KEYS; k++) {
		snprintf(key, sizeof(key), "user-%d", k);
		before[k] = cindex_pick(&x, TYPE, 0, POLICY_STICKY, key, 0);
		for (j = 0; j < N; j++)
			load[j] += before[k] == inst[j];
	}
	for (j = 0; j < N; j++)
		max = load[j] > max ? load[j] : max;
	/* 16 points each: the busiest has less than 2.5 times its share */
	ck_assert_int_lt(max, 5 * KEYS / N / 2);

	added = put(TYPE, "node-new", 1, 0, "");
	for (k = 0; k < KEYS; k++) {
		snprintf(key, sizeof(key), "user-%d", k);
		after = cindex_pick(&x, TYPE, 0, POLICY_STICKY, key, 0);
		if (after != before[k]) {
			ck_assert_ptr_eq(after, added);
			moved++;
		}
	}
	/* about KEYS / 101 = 198 */
	ck_assert_int_gt(moved, KEYS / (N + 1) / 3);
	ck_assert_int_lt(moved, 3 * KEYS / (N + 1));

	drop(added);
	gone = inst[7];
	drop(gone);
	for (k = 0, moved = 0; k < KEYS; k++) {
		snprintf(key, sizeof(key), "user-%d", k);
		after = cindex_pick(&x, TYPE, 0, POLICY_STICKY, key, 0);
		ck_assert_ptr_ne(after, gone);
		if (before[k] != gone)
			ck_assert_ptr_eq(after, before[k]);
		else
			moved++;
	}
	ck_assert_int_eq(moved, load[7]);
}
END_TEST

/* A point of the sticky ring and the name it is of. */
struct named_point {
	uint32_t h;
	int	 n;
};

static int
named_point_cmp(const void *a, const void *b)
{
	const struct named_point *p = a, *q = b;

	if (p->h != q->h)
		return (p->h < q->h ? -1 : 1);
	return (p->n - q->n);
}

/*
 * Points are 32 bits, so two instances' points fall together now and
 * then (a few times among 10000 instances).  Such a tie goes to the lower
 * name, in the index as in the scan, whichever instance came first.
 */
START_TEST(test_index_sticky_ties_go_to_the_lower_name)
{
	enum {
		NAMES = 20000
	};
	struct named_point *pts;
	struct instance	    probe, *lo, *hi, *cand[2];
	char		    a[24], b[24], key[24];
	uint32_t	    tie = 0, kp, d, best;
	int		    k, v, n = 0, found = 0, keyed = 0;

	pts = xreallocarray(NULL, (size_t)NAMES * IX_VNODES, sizeof(*pts));
	memset(&probe, 0, sizeof(probe));
	probe.domain = (char *)"local";
	for (k = 0; k < NAMES; k++) {
		snprintf(a, sizeof(a), "tie-%d", k);
		probe.name = a;
		for (v = 0; v < IX_VNODES; v++) {
			pts[n].h = policy_point(&probe, (unsigned int)v);
			pts[n++].n = k;
		}
	}
	qsort(pts, (size_t)n, sizeof(*pts), named_point_cmp);
	for (k = 1; k < n && !found; k++) {
		if (pts[k].h == pts[k - 1].h && pts[k].n != pts[k - 1].n) {
			snprintf(a, sizeof(a), "tie-%d", pts[k - 1].n);
			snprintf(b, sizeof(b), "tie-%d", pts[k].n);
			tie = pts[k].h;
			found = 1;
		}
	}
	free(pts);
	ck_assert_msg(found, "no two of %d names share a point", NAMES);

	/* The higher name first: it has the lower member number. */
	if (strcmp(a, b) < 0) {
		hi = put(TYPE, b, 1, 0, "");
		lo = put(TYPE, a, 1, 0, "");
	} else {
		hi = put(TYPE, a, 1, 0, "");
		lo = put(TYPE, b, 1, 0, "");
	}
	cand[0] = hi;
	cand[1] = lo;
	for (k = 0; k < 100000 && keyed < 20; k++) {
		snprintf(key, sizeof(key), "key-%d", k);
		kp = policy_key_point(key);
		best = UINT32_MAX;
		for (v = 0; v < IX_VNODES; v++) {
			d = policy_point(lo, (unsigned int)v) - kp;
			best = d < best ? d : best;
			d = policy_point(hi, (unsigned int)v) - kp;
			best = d < best ? d : best;
		}
		if (best != tie - kp)
			continue; /* the tied point is not this key's */
		keyed++;
		ck_assert_ptr_eq(cindex_pick(&x, TYPE, 0, POLICY_STICKY, key,
				     0),
		    lo);
		ck_assert_ptr_eq(policy_pick(POLICY_STICKY, cand, 2, key, NULL,
				     0),
		    lo);
	}
	ck_assert_int_eq(keyed, 20);
}
END_TEST

START_TEST(test_index_txt_postings_take_a_key_once_and_ignore_case)
{
	struct instance **v;
	size_t		  n;

	put(TYPE, "a", 1, 0, "Role=web|role=db|zone");
	put("_T._TCP", "b", 1, 0, "role=db");
	ck_assert_int_eq(cindex_txt(&x, TYPE, "ROLE=web", &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->name, "a");
	free(v);
	/* the second role is not a's: b alone has role=db */
	ck_assert_int_eq(cindex_txt(&x, "_t._Tcp", "role=db", &v, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->name, "b");
	free(v);
	/* values compare exactly */
	ck_assert_int_eq(cindex_txt(&x, TYPE, "role=WEB", &v, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cindex_txt_count(&x, TYPE, "zone"), 1);
	ck_assert_int_eq(cindex_txt_count(&x, TYPE, "zone="), 0);
	ck_assert_int_eq(cindex_txt_count(&x, "_none._tcp", "zone"), 0);
}
END_TEST

static Suite *
index_suite(void)
{
	Suite *s = suite_create("index");
	TCase *tc = tcase_create("index");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_index_follows_every_change_of_the_cache);
	tcase_add_test(tc,
	    test_index_weighted_follows_weights_and_lowest_priority);
	tcase_add_test(tc, test_index_all_weights_zero_is_uniform);
	tcase_add_test(tc, test_index_round_robin_is_a_stable_ring);
	tcase_add_test(tc, test_index_sticky_moves_about_one_nth_of_the_keys);
	tcase_add_test(tc, test_index_sticky_ties_go_to_the_lower_name);
	tcase_add_test(tc,
	    test_index_txt_postings_take_a_key_once_and_ignore_case);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(index_suite)
