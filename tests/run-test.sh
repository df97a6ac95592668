#!/bin/bash
# How make check runs a shell test: exit status 77 is automake's "skipped";
# the test has already printed its "1..0 # SKIP" line for the TAP driver,
# which would otherwise count the status as an error.
#
# Every test is bounded, as a backstop for a wait a test forgot to bound:
# DISCO_TEST_TIMEOUT seconds (900 by default), then SIGTERM (a lab test's
# trap takes its lab down), and SIGKILL 60 s later.  A test stopped this
# way fails, and says why.
#
# Its time goes last in its log ("# took N s"): tools/test.sh lists the
# slowest, CI's time being a budget.
limit=${DISCO_TEST_TIMEOUT:-900}
start=$SECONDS
timeout --kill-after=60 "$limit" "${BASH:-bash}" "$@"
rc=$?
echo "# took $((SECONDS - start)) s"
case $rc in
77) exit 0 ;;
124 | 137)
	echo "not ok - $* did not end within $limit s (DISCO_TEST_TIMEOUT): stopped"
	echo "Bail out! $* timed out after $limit s"
	;;
esac
exit "$rc"
