/*
 * Time: the wall clock that instances and checks report, and the waits
 * that grow after each failure.
 */
#include "config.h"

#include <time.h>

#include "core.h"

/* Seconds since the epoch, as reported to clients. */
double
clock_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/*
 * The next wait after a failure, in seconds: 1, then doubling up to max.
 * *secs holds the last wait (0: none yet); a success sets it back to 0.
 */
unsigned int
backoff_next(unsigned int *secs, unsigned int max)
{
	if (*secs == 0)
		*secs = 1;
	else if ((*secs *= 2) > max)
		*secs = max;
	return (*secs);
}
