/*
 * What discod.c gives the rest of the daemon, for tests and fuzz targets
 * that link the daemon's library without its main(): the state, and
 * stand-ins (named as such) for the uptime, memory and reload helpers.
 */
#include "config.h"

#include "discod.h"

static struct discod	 fuzz_discod;
struct discod		*discod = &fuzz_discod;

double
discod_uptime(void)
{
	return (0);
}

long
discod_rss_kib(void)
{
	return (0);
}

/* Stand-in: a fuzzed client is never root, and reload is root's. */
int
discod_reload(void)
{
	return (0);
}
