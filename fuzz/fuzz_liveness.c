/*
 * Fuzz target: what any host on the LAN can send to the liveness
 * prober's sockets.  The input is a reply to "b.local A" and to "b.local
 * AAAA" whose id is its own first two bytes (so that every input gets
 * past the id): it must never crash the validator, and one that counts
 * must be a response with opcode QUERY and rcode NOERROR, long enough for
 * its record.  The input is also a host name: a query built for it must
 * not count as its own answer, and the answer avahi-daemon would send
 * (the question echoed, an A or AAAA record pointing at its name) must.
 * Its first 16 bytes are also an IPv6 address from a peer's AAAA record:
 * probe_onlink6 may let the prober send to it only if it is on the link.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* An answer to the question at offset 12: "b.local" A 198.51.100.2. */
static const unsigned char answer[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 10, 0,
	4, 198, 51, 100, 2 };

/* An answer to the question at offset 12: "b.local" AAAA 2001:db8:9::2. */
static const unsigned char answer6[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 10,
	0, 16, 0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static void
check_reply_of(const uint8_t *data, size_t size, uint16_t qtype, size_t rdlen)
{
	uint16_t qid;

	if (size < 2)
		return;
	qid = (uint16_t)(data[0] << 8 | data[1]);
	if (!probe_reply_valid(data, size, "b.local", qtype, qid))
		return;
	/* A header, a question (a pointer at least), the record. */
	if (size < NS_HFIXEDSZ + 2 + NS_QFIXEDSZ + 2 + NS_RRFIXEDSZ + rdlen ||
	    !(data[2] & 0x80) || (data[2] & 0x78) != 0 || (data[3] & 0x0f) != 0)
		abort();
}

static void
check_reply(const uint8_t *data, size_t size)
{
	check_reply_of(data, size, ns_t_a, 4);
	check_reply_of(data, size, ns_t_aaaa, 16);
}

/*
 * This host: eth0 (2) with 2001:db8:9::1/64 and fe80::1/64, eth1 (3) with
 * fd00:1:2::1/48.  An address on-link must be in one of them (link-local:
 * on an interface that has IPv6), never multicast or in ::/80.
 */
static void
check_onlink6(const uint8_t *data, size_t size)
{
	static const struct probe_ifaddr6 ifs[] = {
		{ 2, { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1 }, 64 },
		{ 2, { 0xfe, 0x80, [15] = 1 }, 64 },
		{ 3, { 0xfd, 0, 0, 1, 0, 2, [15] = 1 }, 48 },
	};
	static const unsigned char zero[10];
	const unsigned char	  *a = data;
	int			   ifindex, ll;

	if (size < 17)
		return;
	ifindex = data[16] % 5; /* 0 to 4: 2 and 3 exist */
	if (!probe_onlink6(ifs, 3, ifindex, a))
		return;
	ll = a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
	if (a[0] == 0xff || memcmp(a, zero, sizeof(zero)) == 0 ||
	    (ifindex != 2 && ifindex != 3))
		abort();
	if (!ll && ifindex == 2 && memcmp(a, ifs[0].addr, 8) != 0)
		abort();
	if (!ll && ifindex == 3 && memcmp(a, ifs[2].addr, 6) != 0)
		abort();
}

static void
check_round_trip(const uint8_t *data, size_t size)
{
	unsigned char buf[NS_PACKETSZ];
	char	      host[NS_MAXDNAME];
	size_t	      n;

	if (size >= sizeof(host))
		size = sizeof(host) - 1;
	memcpy(host, data, size);
	host[size] = '\0';
	if ((n = probe_query(buf, sizeof(buf) - sizeof(answer), 0x1234, host,
		 ns_t_a)) == 0)
		return;
	if (probe_reply_valid(buf, n, host, ns_t_a, 0x1234))
		abort(); /* a query is no answer */
	buf[2] |= 0x84;
	if (probe_reply_valid(buf, n, host, ns_t_a, 0x1234))
		abort(); /* nor is a response without an answer */
	buf[7] = 1;
	memcpy(buf + n, answer, sizeof(answer));
	if (!probe_reply_valid(buf, n + sizeof(answer), host, ns_t_a, 0x1234))
		abort();
	if (probe_reply_valid(buf, n + sizeof(answer), host, ns_t_aaaa,
		0x1234) ||
	    probe_reply_valid(buf, n + sizeof(answer), host, ns_t_a, 0x1235))
		abort();
	/* The same over IPv6: "host AAAA", answered with an AAAA record. */
	if ((n = probe_query(buf, sizeof(buf) - sizeof(answer6), 0x1234, host,
		 ns_t_aaaa)) == 0)
		return; /* 12 bytes more of answer leave less room */
	buf[2] |= 0x84;
	buf[7] = 1;
	memcpy(buf + n, answer6, sizeof(answer6));
	if (!probe_reply_valid(buf, n + sizeof(answer6), host, ns_t_aaaa,
		0x1234) ||
	    probe_reply_valid(buf, n + sizeof(answer6), host, ns_t_a, 0x1234))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply(data, size);
	check_round_trip(data, size);
	check_onlink6(data, size);
	return (0);
}
