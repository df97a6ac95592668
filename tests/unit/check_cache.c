/* The instance cache: merging paths, resolution, events and filters. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

static struct cache c;
static int	    nev[4];
static char	    last_name[64];
static int	    memos_freed;
static char	    order[8];

static void
on_event(struct cache *cc, enum cache_event_kind kind, struct instance *i,
    void *arg)
{
	nev[kind]++;
	strlcpy(last_name, i != NULL ? i->name : "", sizeof(last_name));
}

/* A second listener: notes its letter, to show the order of the hooks. */
static void
on_event_note(struct cache *cc, enum cache_event_kind kind, struct instance *i,
    void *arg)
{
	strlcat(order, arg, sizeof(order));
}

static void
memo_free(void *memo)
{
	ck_assert_ptr_eq(memo, &memos_freed);
	memos_freed++;
}

static struct cache_hook hook = { .event = on_event };

static void
setup(void)
{
	cache_init(&c, memo_free);
	cache_hook_add(&c, &hook);
	memset(nev, 0, sizeof(nev));
	memos_freed = 0;
	order[0] = '\0';
}

static void
teardown(void)
{
	cache_destroy(&c);
}

static void
txt1(struct txt *t, const char *s)
{
	const char *why;

	memset(t, 0, sizeof(*t));
	ck_assert_int_eq(txt_add(t, (const unsigned char *)s, strlen(s), &why),
	    0);
}

static struct instance *
seen(const char *name, int ifindex, int family)
{
	int is_new;

	return (cache_seen(&c, name, "_demo._tcp", "local", ifindex, "eth0",
	    family, 0, &is_new));
}

START_TEST(test_cache_unresolved_instance_raises_no_event)
{
	seen("A", 2, AF_INET);
	ck_assert_uint_eq(c.total, 1);
	ck_assert_uint_eq(c.count, 0);
	ck_assert_int_eq(nev[CACHE_ADD], 0);
}
END_TEST

START_TEST(test_cache_first_resolution_adds_then_changes_update)
{
	struct instance *i;
	char		 text[CACHE_ADDR_TEXT_MAX];
	struct txt	 t;
	struct in_addr	 a4;

	i = seen("A", 2, AF_INET);
	inet_pton(AF_INET, "198.51.100.2", &a4);
	txt1(&t, "k=1");
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
	ck_assert_uint_eq(c.count, 1);
	ck_assert_str_eq(cache_path_text(&i->paths[0], text, sizeof(text)),
	    "198.51.100.2");
	/* The same answer again: confirmed, no event. */
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	ck_assert_int_eq(nev[CACHE_UPDATE], 0);
	txt_clear(&t);
	txt1(&t, "k=2");
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);
	ck_assert_uint_eq(i->index, c.index);
	txt_clear(&t);
}
END_TEST

/* The wide area's addresses come together: one "add" with all of them. */
START_TEST(test_cache_hold_makes_one_event_of_several_paths)
{
	struct instance *i;
	struct txt	 t = { 0 };
	struct in_addr	 a4, b4;

	inet_pton(AF_INET, "198.51.100.2", &a4);
	inet_pton(AF_INET, "198.51.100.3", &b4);
	/* without cache_hold: "add" with the first path, then "update" */
	i = seen("A", -1, AF_INET);
	cache_resolved(&c, i, -1, AF_INET, "a.site", 80, &t, &a4);
	i = seen("A", -2, AF_INET);
	cache_resolved(&c, i, -2, AF_INET, "a.site", 80, &t, &b4);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);

	memset(nev, 0, sizeof(nev));
	cache_hold(&c);
	i = seen("B", -1, AF_INET);
	cache_resolved(&c, i, -1, AF_INET, "b.site", 80, &t, &a4);
	i = seen("B", -2, AF_INET);
	cache_resolved(&c, i, -2, AF_INET, "b.site", 80, &t, &b4);
	ck_assert_int_eq(nev[CACHE_ADD] + nev[CACHE_UPDATE], 0);
	cache_release(&c);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
	ck_assert_int_eq(nev[CACHE_UPDATE], 0);
	ck_assert_str_eq(last_name, "B");
	ck_assert_uint_eq(i->index, c.index);
	ck_assert_int_eq(i->paths[0].resolved && i->paths[1].resolved, 1);

	/* held changes of an instance seen before: one "update" */
	memset(nev, 0, sizeof(nev));
	cache_hold(&c);
	cache_resolved(&c, i, -1, AF_INET, "b.site", 81, &t, &b4);
	cache_resolved(&c, i, -2, AF_INET, "b.site", 81, &t, &a4);
	cache_release(&c);
	ck_assert_int_eq(nev[CACHE_ADD], 0);
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);

	/* another instance's event raises the held one first, in order */
	memset(nev, 0, sizeof(nev));
	cache_hold(&c);
	cache_resolved(&c, i, -1, AF_INET, "b.site", 82, &t, &b4);
	ck_assert_int_eq(nev[CACHE_UPDATE], 0);
	i = seen("C", -1, AF_INET);
	cache_resolved(&c, i, -1, AF_INET, "c.site", 80, &t, &a4);
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);
	ck_assert_str_eq(last_name, "B");
	cache_release(&c);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
	ck_assert_str_eq(last_name, "C");

	/* a held instance removed: its "add", then its "remove" */
	memset(nev, 0, sizeof(nev));
	cache_hold(&c);
	i = seen("D", -1, AF_INET);
	cache_resolved(&c, i, -1, AF_INET, "d.site", 80, &t, &a4);
	ck_assert_int_eq(cache_lost(&c, i, -1, AF_INET), 1);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
	ck_assert_int_eq(nev[CACHE_REMOVE], 1);
	cache_release(&c);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
}
END_TEST

START_TEST(test_cache_link_local_ipv6_carries_its_scope)
{
	struct instance *i;
	char		 text[CACHE_ADDR_TEXT_MAX];
	struct txt	 t = { 0 };
	struct in6_addr	 a6;

	i = seen("A", 3, AF_INET6);
	inet_pton(AF_INET6, "fe80::1", &a6);
	cache_resolved(&c, i, 3, AF_INET6, "b.local", 80, &t, &a6);
	ck_assert_str_eq(cache_path_text(&i->paths[0], text, sizeof(text)),
	    "fe80::1%eth0");
}
END_TEST

START_TEST(test_cache_instance_leaves_with_its_last_path)
{
	struct instance *i;
	struct txt	 t = { 0 };
	struct in_addr	 a4 = { 0 };
	struct in6_addr	 a6 = IN6ADDR_LOOPBACK_INIT;

	i = seen("A", 2, AF_INET);
	seen("A", 2, AF_INET6);
	ck_assert_uint_eq(i->npaths, 2);
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	cache_resolved(&c, i, 2, AF_INET6, "b.local", 80, &t, &a6);
	ck_assert_int_eq(cache_lost(&c, i, 2, AF_INET), 0);
	ck_assert_int_eq(nev[CACHE_UPDATE], 2); /* v6 address, then v4 gone */
	ck_assert_int_eq(cache_lost(&c, i, 2, AF_INET6), 1);
	ck_assert_int_eq(nev[CACHE_REMOVE], 1);
	ck_assert_str_eq(last_name, "A");
	ck_assert_ptr_null(cache_find(&c, "A", "_demo._tcp", "local"));
	ck_assert_uint_eq(c.total, 0);
}
END_TEST

START_TEST(test_cache_remove_unknown_path_is_noop)
{
	struct instance *i = seen("A", 2, AF_INET);

	ck_assert_int_eq(cache_lost(&c, i, 9, AF_INET), 0);
	ck_assert_uint_eq(c.total, 1);
}
END_TEST

START_TEST(test_cache_names_compare_without_case)
{
	seen("Printer", 2, AF_INET);
	ck_assert_ptr_nonnull(cache_find(&c, "printer", "_DEMO._tcp", "LOCAL"));
	seen("PRINTER", 2, AF_INET);
	ck_assert_uint_eq(c.total, 1);
}
END_TEST

/*
 * Lookups go through the hash table beside the tree: every instance is
 * found, in any case, while the table grows and after others leave, and
 * one that left is not; and parts whose bytes run together alike
 * ("x" "_ab._tcp" "local", "x" "_ab._tc" "plocal") are not taken for one
 * another.
 */
START_TEST(test_cache_find_by_hash_holds_through_growth_and_removal)
{
	struct instance *i;
	char		 name[32], upper[32];
	int		 is_new, k, j;

	for (k = 0; k < 1000; k++) {
		snprintf(name, sizeof(name), "Host-%d", k);
		cache_seen(&c, name, k % 2 ? "_a._tcp" : "_b._udp", "local", 1,
		    "e", AF_INET, 0, &is_new);
		ck_assert_int_eq(is_new, 1);
	}
	ck_assert_uint_eq(c.total, 1000);
	for (k = 0; k < 1000; k++) {
		snprintf(name, sizeof(name), "host-%d", k);
		for (j = 0; name[j] != '\0'; j++)
			upper[j] = (char)toupper((unsigned char)name[j]);
		upper[j] = '\0';
		ck_assert_ptr_nonnull(i = cache_find(&c, upper,
					  k % 2 ? "_A._TCP" : "_B._udp",
					  "Local"));
		ck_assert_str_eq(i->name + 5, name + 5);
		ck_assert_ptr_null(cache_find(&c, name,
		    k % 2 ? "_b._udp" : "_a._tcp", "local"));
	}
	for (k = 0; k < 1000; k += 2) {
		snprintf(name, sizeof(name), "Host-%d", k);
		i = cache_find(&c, name, "_b._udp", "local");
		ck_assert_ptr_nonnull(i);
		ck_assert_int_eq(cache_lost(&c, i, 1, AF_INET), 1);
	}
	ck_assert_uint_eq(c.total, 500);
	for (k = 0; k < 1000; k++) {
		snprintf(name, sizeof(name), "Host-%d", k);
		i = cache_find(&c, name, k % 2 ? "_a._tcp" : "_b._udp",
		    "local");
		ck_assert_int_eq(i != NULL, k % 2);
	}
	cache_seen(&c, "x", "_ab._tcp", "local", 1, "e", AF_INET, 0, &is_new);
	ck_assert_ptr_null(cache_find(&c, "x", "_ab._tc", "plocal"));
	ck_assert_ptr_null(cache_find(&c, "x_", "ab._tcp", "local"));
}
END_TEST

START_TEST(test_cache_type_iteration_stays_in_type)
{
	struct instance *i;
	int		 is_new, n = 0;

	cache_seen(&c, "x", "_a._tcp", "local", 1, "e", AF_INET, 0, &is_new);
	seen("B", 1, AF_INET);
	seen("A", 1, AF_INET);
	cache_seen(&c, "y", "_z._tcp", "local", 1, "e", AF_INET, 0, &is_new);
	for (i = cache_first_of_type(&c, "_demo._tcp");
	     i != NULL && strcmp(i->type, "_demo._tcp") == 0;
	     i = cache_next(&c, i))
		n++;
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(cache_first_of_type(&c, "_demo._tcp")->name, "A");
	ck_assert_ptr_null(cache_first_of_type(&c, "_none._tcp"));
}
END_TEST

START_TEST(test_cache_clear_tells_watchers_to_resync)
{
	seen("A", 2, AF_INET);
	cache_clear(&c);
	ck_assert_int_eq(nev[CACHE_RESYNC], 1);
	ck_assert_uint_eq(c.total, 0);
}
END_TEST

/*
 * Avahi starting again clears what it found, not what the wide area
 * brought: the domain kept stays, counted and findable, and watchers
 * get one resync.
 */
START_TEST(test_cache_clear_keep_keeps_one_domain)
{
	struct instance *i;
	struct txt	 txt = { 0 };
	unsigned char	 a4[4] = { 192, 0, 2, 1 };
	int		 is_new;

	i = seen("A", 2, AF_INET);
	cache_resolved(&c, i, 2, AF_INET, "a.local", 80, &txt, a4);
	i = cache_seen(&c, "A", "_demo._tcp", "site", -1, "", AF_INET, 0,
	    &is_new);
	cache_resolved(&c, i, -1, AF_INET, "a.site", 80, &txt, a4);
	cache_seen(&c, "B", "_demo._tcp", "Site", -1, "", AF_INET, 0, &is_new);
	ck_assert_uint_eq(c.total, 3);
	ck_assert_uint_eq(c.count, 2);
	cache_clear_keep(&c, "site");
	ck_assert_int_eq(nev[CACHE_RESYNC], 1);
	ck_assert_uint_eq(c.total, 2);
	ck_assert_uint_eq(c.count, 1);
	ck_assert_ptr_null(cache_find(&c, "A", "_demo._tcp", "local"));
	ck_assert_ptr_nonnull(cache_find(&c, "A", "_demo._tcp", "site"));
	ck_assert_ptr_nonnull(cache_find(&c, "B", "_demo._tcp", "site"));
	cache_clear_keep(&c, NULL);
	ck_assert_uint_eq(c.total, 0);
	ck_assert_uint_eq(c.count, 0);
}
END_TEST

START_TEST(test_cache_hooks_hear_each_event_in_the_order_added)
{
	static char	  la[] = "a", lb[] = "b";
	struct cache_hook a = { .event = on_event_note, .arg = la };
	struct cache_hook b = { .event = on_event_note, .arg = lb };
	struct instance	 *i;
	struct txt	  t = { 0 };
	struct in_addr	  a4;

	cache_hook_add(&c, &a);
	cache_hook_add(&c, &b);
	i = seen("A", 2, AF_INET);
	inet_pton(AF_INET, "198.51.100.2", &a4);
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	ck_assert_int_eq(nev[CACHE_ADD], 1);
	ck_assert_str_eq(order, "ab");
}
END_TEST

START_TEST(test_cache_drops_the_memo_on_every_change)
{
	struct instance *i;
	struct txt	 t;
	struct in_addr	 a4;

	i = seen("A", 2, AF_INET);
	inet_pton(AF_INET, "198.51.100.2", &a4);
	txt1(&t, "k=1");
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	i->memo = &memos_freed;
	/* Reachable already: nothing changed, the memo stays. */
	cache_set_reachable(&c, i, 1);
	ck_assert_int_eq(memos_freed, 0);
	ck_assert_ptr_eq(i->memo, &memos_freed);
	cache_set_reachable(&c, i, 0);
	ck_assert_int_eq(memos_freed, 1);
	ck_assert_ptr_null(i->memo);
	i->memo = &memos_freed;
	/* Confirmed: last_confirmed, which the memo shows, changed. */
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	ck_assert_int_eq(memos_freed, 2);
	i->memo = &memos_freed;
	cache_lost(&c, i, 2, AF_INET); /* its last path: it goes */
	ck_assert_int_eq(memos_freed, 3);
	txt_clear(&t);
}
END_TEST

/* The prober's verdict on one address: an update, once, and a new text. */
START_TEST(test_cache_silent_path_is_an_update_once)
{
	struct instance *i;
	struct txt	 t = { 0 };
	struct in_addr	 a4 = { 0 };
	struct in6_addr	 a6 = IN6ADDR_LOOPBACK_INIT;

	i = seen("A", 2, AF_INET);
	seen("A", 3, AF_INET6);
	cache_resolved(&c, i, 2, AF_INET, "b.local", 80, &t, &a4);
	cache_resolved(&c, i, 3, AF_INET6, "b.local", 80, &t, &a6);
	nev[CACHE_UPDATE] = 0;
	i->memo = &memos_freed;
	ck_assert(cache_path_usable(&i->paths[1]));
	cache_set_path_silent(&c, i, 1, 1);
	ck_assert(!cache_path_usable(&i->paths[1]));
	ck_assert(cache_path_usable(&i->paths[0]));
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);
	ck_assert_int_eq(memos_freed, 1);
	cache_set_path_silent(&c, i, 1, 1);
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);
	cache_set_path_silent(&c, i, 7, 1); /* no such path */
	ck_assert_int_eq(nev[CACHE_UPDATE], 1);
	cache_set_path_silent(&c, i, 1, 0);
	ck_assert(cache_path_usable(&i->paths[1]));
	ck_assert_int_eq(nev[CACHE_UPDATE], 2);
	/* The prober's whole verdict: one update however much turned. */
	{
		const unsigned char one[2] = { 0, 1 }, none[2] = { 0, 0 };

		nev[CACHE_UPDATE] = 0;
		cache_set_liveness(&c, i, 1, one);
		ck_assert_int_eq(nev[CACHE_UPDATE], 1);
		cache_set_liveness(&c, i, 0, none); /* both turn */
		ck_assert_int_eq(nev[CACHE_UPDATE], 2);
		ck_assert(i->unreachable && cache_path_usable(&i->paths[1]));
		cache_set_liveness(&c, i, 0, none);
		cache_set_liveness(&c, i, 0, NULL);
		ck_assert_int_eq(nev[CACHE_UPDATE], 2);
		cache_set_liveness(&c, i, 1, NULL);
		ck_assert_int_eq(nev[CACHE_UPDATE], 3);
		ck_assert(!i->unreachable);
	}
	/* Lost while silent: the other path keeps its own state. */
	cache_set_path_silent(&c, i, 0, 1);
	ck_assert_int_eq(cache_lost(&c, i, 3, AF_INET6), 0);
	ck_assert_int_eq(i->paths[0].family, AF_INET);
	ck_assert(!cache_path_usable(&i->paths[0]));
}
END_TEST

START_TEST(test_cache_txt_filters)
{
	struct instance *i = seen("A", 2, AF_INET);
	const char	*why;

	txt_add(&i->txt, (const unsigned char *)"Role=web", 8, &why);
	txt_add(&i->txt, (const unsigned char *)"flag", 4, &why);
	txt_add(&i->txt, (const unsigned char *)"empty=", 6, &why);
	ck_assert(cache_txt_match(i, "role=web"));
	ck_assert(!cache_txt_match(i, "role=Web"));
	ck_assert(!cache_txt_match(i, "role=we"));
	ck_assert(cache_txt_match(i, "role"));
	ck_assert(cache_txt_match(i, "flag"));
	ck_assert(!cache_txt_match(i, "flag=1"));
	ck_assert(cache_txt_match(i, "empty="));
	ck_assert(!cache_txt_match(i, "fla"));
	ck_assert(!cache_txt_match(i, "missing"));
}
END_TEST

/*
 * cache_ntop6 writes what inet_ntop writes: every pattern of zero and
 * non-zero groups (each run of zeros, ties, the ends), with groups of one
 * to four hex digits, and the forms with a dotted tail.
 */
START_TEST(test_cache_ntop6_is_inet_ntop)
{
	static const unsigned int vals[] = { 1, 0xf, 0x10, 0xab, 0x100, 0xfff,
		0x1000, 0xbeef, 0xffff };
	unsigned char		  a[16];
	char	     mine[INET6_ADDRSTRLEN], libc[INET6_ADDRSTRLEN];
	unsigned int mask, g, v, n = 0;
	int	     tail;

	for (mask = 0; mask < 256; mask++) {
		for (v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			for (tail = 0; tail < 4; tail++) {
				for (g = 0; g < 8; g++) {
					unsigned int w = (mask >> g & 1) ?
					    vals[(v + g) % 9] :
					    0;

					a[2 * g] = (unsigned char)(w >> 8);
					a[2 * g + 1] = (unsigned char)w;
				}
				if (tail == 1) { /* ::ffff:a.b.c.d and kin */
					a[10] = a[11] = 0xff;
				} else if (tail == 2) { /* ::1 and ::a.b.c.d */
					a[14] = 0;
					a[15] = 1;
				} else if (tail == 3) {
					a[12] = 192, a[13] = 0, a[14] = 2,
					a[15] = 1;
				}
				cache_ntop6(a, mine);
				ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a,
				    libc, sizeof(libc)));
				ck_assert_msg(strcmp(mine, libc) == 0,
				    "%s, inet_ntop %s", mine, libc);
				n++;
			}
		}
	}
	ck_assert_uint_eq(n, 256 * 9 * 4);
}
END_TEST

static Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cache_unresolved_instance_raises_no_event);
	tcase_add_test(tc,
	    test_cache_first_resolution_adds_then_changes_update);
	tcase_add_test(tc, test_cache_hold_makes_one_event_of_several_paths);
	tcase_add_test(tc, test_cache_link_local_ipv6_carries_its_scope);
	tcase_add_test(tc, test_cache_instance_leaves_with_its_last_path);
	tcase_add_test(tc, test_cache_remove_unknown_path_is_noop);
	tcase_add_test(tc, test_cache_names_compare_without_case);
	tcase_add_test(tc,
	    test_cache_find_by_hash_holds_through_growth_and_removal);
	tcase_add_test(tc, test_cache_type_iteration_stays_in_type);
	tcase_add_test(tc, test_cache_clear_tells_watchers_to_resync);
	tcase_add_test(tc, test_cache_clear_keep_keeps_one_domain);
	tcase_add_test(tc, test_cache_txt_filters);
	tcase_add_test(tc, test_cache_hooks_hear_each_event_in_the_order_added);
	tcase_add_test(tc, test_cache_drops_the_memo_on_every_change);
	tcase_add_test(tc, test_cache_ntop6_is_inet_ntop);
	tcase_add_test(tc, test_cache_silent_path_is_an_update_once);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(cache_suite)
