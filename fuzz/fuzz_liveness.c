/*
 * Fuzz target: what any host on the LAN can send to the liveness
 * prober's socket.  The input is a reply to "b.local A" whose id is its
 * own first two bytes (so that every input gets past the id): it must
 * never crash the validator, and one that counts must be a response with
 * opcode QUERY and rcode NOERROR.  The input is also a host name: a query
 * built for it must not count as its own answer, and the answer avahi-
 * daemon would send (the question echoed, an A record pointing at its
 * name) must.
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

static void
check_reply(const uint8_t *data, size_t size)
{
	uint16_t qid;

	if (size < 2)
		return;
	qid = (uint16_t)(data[0] << 8 | data[1]);
	if (!probe_reply_valid(data, size, "b.local", ns_t_a, qid))
		return;
	/* A header, a question (a pointer at least), an A record. */
	if (size < NS_HFIXEDSZ + 2 + NS_QFIXEDSZ + 2 + NS_RRFIXEDSZ + 4 ||
	    !(data[2] & 0x80) || (data[2] & 0x78) != 0 || (data[3] & 0x0f) != 0)
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
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_reply(data, size);
	check_round_trip(data, size);
	return (0);
}
