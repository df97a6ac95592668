/* Selection policies on hand-made instances. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

static struct instance	inst[4];
static struct instance *cand[4];

static void
setup(void)
{
	static char names[4][8];
	const char *why;
	char	    w[16];
	int	    k;

	memset(inst, 0, sizeof(inst));
	for (k = 0; k < 4; k++) {
		snprintf(names[k], sizeof(names[k]), "i%d", k);
		inst[k].name = names[k];
		inst[k].type = (char *)"_t._tcp";
		inst[k].domain = (char *)"local";
		inst[k].resolved = 1;
		snprintf(w, sizeof(w), "weight=%d", k); /* 0, 1, 2, 3 */
		txt_add(&inst[k].txt, (unsigned char *)w, strlen(w), &why);
		cand[k] = &inst[k];
	}
}

static void
teardown(void)
{
	int k;

	for (k = 0; k < 4; k++)
		txt_clear(&inst[k].txt);
}

START_TEST(test_policy_weighted_follows_txt_weights_exactly)
{
	int	 count[4] = { 0 };
	uint32_t r;

	/* Every residue of the 6 units of weight once: exact shares. */
	for (r = 0; r < 6000; r++)
		count[policy_pick(POLICY_WEIGHTED, cand, 4, NULL, NULL, r) -
		    inst]++;
	ck_assert_int_eq(count[0], 0);
	ck_assert_int_eq(count[1], 1000);
	ck_assert_int_eq(count[2], 2000);
	ck_assert_int_eq(count[3], 3000);
}
END_TEST

START_TEST(test_policy_weighted_lowest_priority_wins)
{
	const char *why;

	txt_add(&inst[3].txt, (const unsigned char *)"priority=1", 10, &why);
	txt_add(&inst[2].txt, (const unsigned char *)"priority=1", 10, &why);
	txt_add(&inst[1].txt, (const unsigned char *)"priority=1", 10, &why);
	ck_assert_ptr_eq(policy_pick(POLICY_WEIGHTED, cand, 4, NULL, NULL,
			     12345),
	    &inst[0]);
}
END_TEST

START_TEST(test_policy_round_robin_cycles)
{
	unsigned long cursor = 0;
	int	      k;

	for (k = 0; k < 8; k++)
		ck_assert_ptr_eq(policy_pick(POLICY_ROUND_ROBIN, cand, 4, NULL,
				     &cursor, 0),
		    &inst[k % 4]);
}
END_TEST

START_TEST(test_policy_sticky_moves_only_keys_of_a_removed_instance)
{
	struct instance *before[200], *after;
	char		 key[16];
	int		 k, moved = 0;

	for (k = 0; k < 200; k++) {
		snprintf(key, sizeof(key), "user-%d", k);
		before[k] = policy_pick(POLICY_STICKY, cand, 4, key, NULL, 0);
		ck_assert_ptr_eq(policy_pick(POLICY_STICKY, cand, 4, key, NULL,
				     99),
		    before[k]);
	}
	/* Drop i3: only keys that were on i3 may move. */
	for (k = 0; k < 200; k++) {
		snprintf(key, sizeof(key), "user-%d", k);
		after = policy_pick(POLICY_STICKY, cand, 3, key, NULL, 0);
		if (before[k] != &inst[3])
			ck_assert_ptr_eq(after, before[k]);
		else
			moved++;
	}
	ck_assert_int_gt(moved, 20); /* about a quarter were there */
}
END_TEST

START_TEST(test_policy_names_round_trip)
{
	enum policy p;

	ck_assert_int_eq(policy_from_name("round-robin", &p), 0);
	ck_assert_str_eq(policy_name(p), "round-robin");
	ck_assert_int_eq(policy_from_name("fastest", &p), -1);
}
END_TEST

/* A fixed-seed xorshift32: the orderings below are the same every run. */
static uint32_t order_state;

static uint32_t
order_rnd(void)
{
	order_state ^= order_state << 13;
	order_state ^= order_state >> 17;
	order_state ^= order_state << 5;
	return (order_state);
}

START_TEST(test_policy_order_puts_lower_priorities_first_always)
{
	struct instance *v[4];
	int		 k, j;

	order_state = 2463534242U;
	inst[0].priority = 3;
	inst[1].priority = 1;
	inst[2].priority = 2;
	inst[3].priority = 1;
	for (k = 0; k < 1000; k++) {
		memcpy(v, cand, sizeof(v));
		policy_order(v, 4, order_rnd);
		for (j = 1; j < 4; j++)
			ck_assert_uint_le(policy_priority(v[j - 1]),
			    policy_priority(v[j]));
		ck_assert_ptr_eq(v[2], &inst[2]);
		ck_assert_ptr_eq(v[3], &inst[0]);
	}
}
END_TEST

/*
 * RFC 2782: within a priority, an instance comes first with a chance
 * proportional to its weight.  1:3:6 over 20000 orderings is 2000, 6000
 * and 12000 first places; a binomial's deviation there is at most 70, so
 * a margin of 500 fails only when the order is wrong.
 */
START_TEST(test_policy_order_first_place_follows_weights)
{
	struct instance *v[3];
	int		 first[3] = { 0 }, k;

	order_state = 88172645U;
	inst[0].weight = 1;
	inst[1].weight = 3;
	inst[2].weight = 6;
	for (k = 0; k < 20000; k++) {
		memcpy(v, cand, sizeof(v));
		policy_order(v, 3, order_rnd);
		first[v[0] - inst]++;
		ck_assert(v[1] != v[0] && v[2] != v[0] && v[2] != v[1]);
	}
	ck_assert_int_ge(first[0], 1500);
	ck_assert_int_le(first[0], 2500);
	ck_assert_int_ge(first[1], 5500);
	ck_assert_int_le(first[1], 6500);
	ck_assert_int_ge(first[2], 11500);
	ck_assert_int_le(first[2], 12500);
}
END_TEST

START_TEST(test_policy_order_never_puts_weight_0_before_a_weighted_one)
{
	struct instance *v[4];
	int		 k, seen_first = 0;

	/* i0 has weight 0, i1..i3 weights 1..3 (TXT). */
	order_state = 123456789U;
	for (k = 0; k < 2000; k++) {
		memcpy(v, cand, sizeof(v));
		policy_order(v, 4, order_rnd);
		ck_assert_ptr_eq(v[3], &inst[0]);
	}
	/* Alone in a better priority it still comes first. */
	inst[1].priority = inst[2].priority = inst[3].priority = 5;
	for (k = 0; k < 100; k++) {
		memcpy(v, cand, sizeof(v));
		policy_order(v, 4, order_rnd);
		seen_first += v[0] == &inst[0];
	}
	ck_assert_int_eq(seen_first, 100);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_policy_weighted_follows_txt_weights_exactly);
	tcase_add_test(tc, test_policy_weighted_lowest_priority_wins);
	tcase_add_test(tc, test_policy_round_robin_cycles);
	tcase_add_test(tc,
	    test_policy_sticky_moves_only_keys_of_a_removed_instance);
	tcase_add_test(tc, test_policy_names_round_trip);
	tcase_add_test(tc,
	    test_policy_order_puts_lower_priorities_first_always);
	tcase_add_test(tc, test_policy_order_first_place_follows_weights);
	tcase_add_test(tc,
	    test_policy_order_never_puts_weight_0_before_a_weighted_one);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(policy_suite)
