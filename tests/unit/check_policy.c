/* Selection policies on hand-made instances. */
#include "config.h"

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
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(policy_suite)
