/*
 * The bench's population: instances bench-1 ... bench-K of one type,
 * TXT "n=I" (and ntxt - 1 more strings), each resolved on IPv4 and IPv6
 * at interface 2, as the bench's peers announce them.  For disco-memory
 * and disco-agent, which put them into a cache without Avahi.
 */
#ifndef BENCH_FILL_H
#define BENCH_FILL_H

#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "core.h"

static void
bench_fill(struct cache *c, const char *type, unsigned int k, unsigned int ntxt)
{
	unsigned char	 a4[4] = { 198, 51, 100, 2 };
	unsigned char	 a6[16] = { 0xfe, 0x80, [15] = 2 };
	char		 name[32], s[32];
	const char	*why;
	struct txt	 txt;
	struct instance *i;
	unsigned int	 n, j;
	int		 is_new;

	for (n = 1; n <= k; n++) {
		memset(&txt, 0, sizeof(txt));
		snprintf(name, sizeof(name), "bench-%u", n);
		snprintf(s, sizeof(s), "n=%u", n);
		(void)txt_add(&txt, (unsigned char *)s, strlen(s), &why);
		for (j = 1; j < ntxt; j++) {
			snprintf(s, sizeof(s), "k%u=v%u", j, n % 7);
			(void)txt_add(&txt, (unsigned char *)s, strlen(s),
			    &why);
		}
		i = cache_seen(c, name, type, "local", 2, "eth0", AF_INET, 0,
		    &is_new);
		cache_resolved(c, i, 2, AF_INET, "peer.local", 7000, &txt, a4);
		i = cache_seen(c, name, type, "local", 2, "eth0", AF_INET6, 0,
		    &is_new);
		cache_resolved(c, i, 2, AF_INET6, "peer.local", 7000, &txt, a6);
		txt_clear(&txt);
	}
}

#endif
