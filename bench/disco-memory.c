/*
 * disco-memory: what discod's cache and its index keep per instance, at
 * any K, in seconds (make bench fills discod's cache over real mDNS,
 * which for 10000 instances takes Avahi half an hour).
 *
 *	disco-memory [-k count] [-t txt-strings]
 *
 * Fills a cache (the same code discod runs) with K instances of one type,
 * each seen on IPv4 and IPv6 and resolved with TXT strings "n=I" (and
 * more), first without the index and then with it, and prints the heap
 * bytes (mallinfo2) per instance for each: the cache alone (the
 * baseline), the index's pools and TXT postings, the round-robin and
 * sticky rings once a pick has made them, and the reply texts' budget
 * spread over K.  Heap bytes, not the resident set: make bench reads
 * discod's RSS, which also holds Avahi's resolvers and the event ring.
 */
#include "config.h"

#include <netinet/in.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "fill.h"

#define TYPE "_bench._tcp"

static size_t
heap(void)
{
	return (mallinfo2().uordblks);
}

int
main(int argc, char **argv)
{
	struct cache	  c;
	struct cindex	  x;
	struct cache_hook hook = { .event = cindex_event, .arg = &x };
	unsigned int	  k = 10000, ntxt = 1;
	size_t		  h0, h1, h2, h3;
	int		  ch;

	while ((ch = getopt(argc, argv, "k:t:")) != -1) {
		switch (ch) {
		case 'k':
			k = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 't':
			ntxt = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			fprintf(stderr,
			    "usage: disco-memory [-k count] "
			    "[-t txt-strings]\n");
			return (2);
		}
	}
	if (k == 0 || ntxt == 0)
		return (2);

	/* The baseline: the cache alone. */
	cache_init(&c, NULL);
	h0 = heap();
	bench_fill(&c, TYPE, k, ntxt);
	h1 = heap();
	cache_destroy(&c);

	/* The same with the index, then its rings. */
	cache_init(&c, NULL);
	cindex_init(&x);
	cache_hook_add(&c, &hook);
	h2 = heap();
	bench_fill(&c, TYPE, k, ntxt);
	h3 = heap();
	(void)cindex_pick(&x, TYPE, 0, POLICY_STICKY, "key", 0);
	(void)cindex_pick(&x, TYPE, 0, POLICY_ROUND_ROBIN, NULL, 0);
	printf(
	    "K=%u, %u TXT string(s) each: cache %zu bytes an instance; "
	    "index +%zu; round-robin and sticky rings +%zu; reply texts "
	    "at most +%zu (512 KiB, INSTANCE_MEMO_BYTES, over K); in all %zu\n",
	    k, ntxt, (h1 - h0) / k, (h3 - h2 - (h1 - h0)) / k,
	    (heap() - h3) / k, (size_t)(512 * 1024) / k,
	    (heap() - h2) / k + (size_t)(512 * 1024) / k);
	cache_destroy(&c);
	cindex_clear(&x);
	return (0);
}
