/* The main() every Check suite shares: TAP on stdout for automake. */
#ifndef CHECK_MAIN_H
#define CHECK_MAIN_H

#include <stdlib.h>

#include <check.h>

/* clang-format off */
#define CHECK_MAIN(suite_fn)						\
int									\
main(void)								\
{									\
	SRunner	*sr = srunner_create(suite_fn());			\
	int	 failed;						\
									\
	srunner_set_tap(sr, "-");					\
	srunner_run_all(sr, CK_SILENT);					\
	failed = srunner_ntests_failed(sr);				\
	srunner_free(sr);						\
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);		\
}
/* clang-format on */

#endif
