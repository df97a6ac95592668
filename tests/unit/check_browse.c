/*
 * TXT records from the network, as the resolver hands them over: Avahi's
 * string list (built by prepending, so in reverse wire order) through
 * browse_txt.
 */
#include "config.h"

#include <string.h>

#include <avahi-common/strlst.h>
#include <check.h>

#include "check_main.h"
#include "discod.h"

/* A list as Avahi makes it from these strings in wire order. */
static AvahiStringList *
wire(const char *const *s, size_t n)
{
	AvahiStringList *l = NULL;
	size_t		 i;

	for (i = 0; i < n; i++)
		l = avahi_string_list_add_arbitrary(l, (const uint8_t *)s[i],
		    strlen(s[i]));
	return (l);
}

static int
has(const struct txt *t, size_t i, const char *s)
{
	return (i < t->n && t->v[i].len == strlen(s) &&
	    memcmp(t->v[i].data, s, t->v[i].len) == 0);
}

START_TEST(test_browse_txt_keeps_wire_order)
{
	const char	*s[] = { "a=1", "b=2", "c" };
	AvahiStringList *l = wire(s, 3);
	struct txt	 t = { 0 };

	browse_txt(l, &t, "x", "_x._tcp");
	ck_assert_uint_eq(t.n, 3);
	ck_assert(has(&t, 0, "a=1") && has(&t, 1, "b=2") && has(&t, 2, "c"));
	txt_clear(&t);
	avahi_string_list_free(l);
}
END_TEST

START_TEST(test_browse_txt_first_of_a_repeated_key_counts)
{
	const char	*s[] = { "Key=first", "x=1", "KEY=second", "key" };
	AvahiStringList *l = wire(s, 4);
	struct txt	 t = { 0 };

	browse_txt(l, &t, "x", "_x._tcp");
	ck_assert_uint_eq(t.n, 2);
	ck_assert(has(&t, 0, "Key=first") && has(&t, 1, "x=1"));
	txt_clear(&t);
	avahi_string_list_free(l);
}
END_TEST

START_TEST(test_browse_txt_drops_bad_strings_one_by_one)
{
	const char *s[] = { "=novalue", "ok=1", "ta\tb=1", "", "v=\x01\xff" };
	AvahiStringList *l = wire(s, 5);
	struct txt	 t = { 0 };

	browse_txt(l, &t, "x", "_x._tcp");
	ck_assert_uint_eq(t.n, 2);
	ck_assert(has(&t, 0, "ok=1") && has(&t, 1, "v=\x01\xff"));
	txt_clear(&t);
	avahi_string_list_free(l);
}
END_TEST

static Suite *
browse_suite(void)
{
	Suite *s = suite_create("browse");
	TCase *tc = tcase_create("txt");

	tcase_add_test(tc, test_browse_txt_keeps_wire_order);
	tcase_add_test(tc, test_browse_txt_first_of_a_repeated_key_counts);
	tcase_add_test(tc, test_browse_txt_drops_bad_strings_one_by_one);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(browse_suite)
