/*
 * The liveness prober's rules, apart from its sockets (src/liveness.c
 * sends and receives): the query it sends, which replies count as an
 * answer, and which addresses it may send to.  Plain data in, plain data
 * out, so that unit tests and a fuzzer reach them without a network.
 *
 * A reply counts only when it is a DNS response to the query we sent
 * (RFC 6762 6.7: a legacy unicast reply repeats the question) that
 * answers it: a datagram from the right address and port with a known id
 * is not enough, as anything on the LAN can send one.  The DNS wire
 * format is read with libresolv's ns_* parser, never by hand.
 *
 * Only addresses on-link for the interface an instance was seen on are
 * probed: an A record is whatever a peer says it is, and probing an
 * off-link one would let any LAN host make discod send queries anywhere.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>
#include <strings.h>

#include "core.h"

/*
 * The mDNS top bit of a class: unicast-response in a question, cache-flush
 * in a record (RFC 6762 5.4, 10.2); neither changes what is asked.
 */
#define MDNS_CLASS_MASK 0x7fff

/*
 * The query for host's record of type qtype, id qid, into buf: its length,
 * or 0 when it does not fit or host is no domain name.  The name goes
 * through libresolv as the reply's does (Avahi's "\." and "\DDD" escapes
 * included), so both sides mean the same labels.
 */
size_t
probe_query(unsigned char *buf, size_t len, uint16_t qid, const char *host,
    uint16_t qtype)
{
	unsigned char *p = buf + NS_HFIXEDSZ;
	int	       n;

	if (len < NS_HFIXEDSZ + NS_QFIXEDSZ + 1 || len > NS_MAXMSG ||
	    host[0] == '\0')
		return (0);
	memset(buf, 0, NS_HFIXEDSZ);
	buf[0] = qid >> 8;
	buf[1] = qid & 0xff;
	buf[5] = 1; /* QDCOUNT: one question; flags and the rest 0 */
	n = dn_comp(host, p, (int)(len - NS_HFIXEDSZ - NS_QFIXEDSZ), NULL,
	    NULL);
	if (n <= 0)
		return (0);
	p += n;
	NS_PUT16(qtype, p);
	NS_PUT16(ns_c_in, p);
	return ((size_t)(p - buf));
}

/* Is rr a record (or question) for name (canonical) of type qtype, in IN? */
static int
probe_rr_is(const ns_rr *rr, const char *name, uint16_t qtype)
{
	return (ns_rr_type(*rr) == qtype &&
	    (ns_rr_class(*rr) & MDNS_CLASS_MASK) == ns_c_in &&
	    strcasecmp(ns_rr_name(*rr), name) == 0);
}

/*
 * Is msg (len bytes) an answer to our query qid for host's qtype record?
 * It must be a response (QR set, opcode QUERY, rcode NOERROR) with that id,
 * whose only question is ours and which holds a record of that name and
 * type (an A record of 4 bytes for type A, an AAAA record of 16 for type
 * AAAA).  A message that does not parse
 * whole, compression pointers included, is none.
 */
int
probe_reply_valid(const unsigned char *msg, size_t len, const char *host,
    uint16_t qtype, uint16_t qid)
{
	ns_msg	      m;
	ns_rr	      rr;
	unsigned char wire[NS_MAXCDNAME];
	char	      name[NS_MAXDNAME];
	int	      k, an;

	if (len < NS_HFIXEDSZ || len > NS_MAXMSG ||
	    ns_initparse(msg, (int)len, &m) == -1)
		return (0);
	if (ns_msg_id(m) != qid || !ns_msg_getflag(m, ns_f_qr) ||
	    ns_msg_getflag(m, ns_f_opcode) != ns_o_query ||
	    ns_msg_getflag(m, ns_f_rcode) != ns_r_noerror ||
	    ns_msg_count(m, ns_s_qd) != 1 ||
	    (an = ns_msg_count(m, ns_s_an)) == 0)
		return (0);
	/*
	 * The reply's names come out of ns_parserr in libresolv's canonical
	 * presentation form (no final dot; bytes other than printable ASCII
	 * as \DDD); ours is brought to that form, so that they compare as
	 * strings, ASCII case ignored (RFC 4343).
	 */
	if (ns_name_pton(host, wire, sizeof(wire)) == -1 ||
	    ns_name_ntop(wire, name, sizeof(name)) == -1)
		return (0);
	if (ns_parserr(&m, ns_s_qd, 0, &rr) == -1 ||
	    !probe_rr_is(&rr, name, qtype))
		return (0);
	for (k = 0; k < an; k++) {
		if (ns_parserr(&m, ns_s_an, k, &rr) == -1)
			return (0);
		if (probe_rr_is(&rr, name, qtype) &&
		    (qtype != ns_t_a || ns_rr_rdlen(rr) == NS_INADDRSZ) &&
		    (qtype != ns_t_aaaa || ns_rr_rdlen(rr) == NS_IN6ADDRSZ))
			return (1);
	}
	return (0);
}

/*
 * May addr (IPv4, network order) be probed as a peer seen on interface
 * ifindex?  Only if it lies in one of that interface's prefixes (ifs, n
 * of them), and is neither that prefix's network nor its broadcast
 * address; an entry with a /32 mask (a point-to-point peer) matches its
 * own address only, and one with no mask at all matches nothing.
 */
int
probe_onlink(const struct probe_ifaddr *ifs, size_t n, int ifindex,
    uint32_t addr)
{
	uint32_t mask, host;
	size_t	 k;

	for (k = 0; k < n; k++) {
		mask = ifs[k].mask;
		if (ifs[k].ifindex != ifindex || mask == 0 ||
		    (addr & mask) != (ifs[k].addr & mask))
			continue;
		host = ntohl(addr & ~mask);
		/* /31 (RFC 3021) and /32 have no network or broadcast. */
		if (ntohl(~mask) > 1 && (host == 0 || host == ntohl(~mask)))
			continue;
		return (1);
	}
	return (0);
}

/*
 * May addr (IPv6) be probed as a peer seen on interface ifindex?  A
 * link-local address (fe80::/10) is on-link for any interface that has
 * IPv6 (it is sent to with that interface as its scope); any other only
 * if it lies in one of that interface's prefixes (ifs, n of them), and is
 * not the prefix's Subnet-Router anycast address (all host bits zero, RFC
 * 4291 2.6.1) unless the prefix is /127 or /128 (RFC 6164).  Never the
 * unspecified or loopback address, a multicast one, or an IPv4-mapped or
 * -compatible one (::/96, ::ffff:0:0/96): those are no peer on the link.
 */
int
probe_onlink6(const struct probe_ifaddr6 *ifs, size_t n, int ifindex,
    const unsigned char *addr)
{
	static const unsigned char zero[10];
	unsigned int		   plen, b, host_zero;
	size_t			   k;
	int			   linklocal;

	if (addr[0] == 0xff || memcmp(addr, zero, 10) == 0)
		return (0); /* multicast; ::/80 holds ::, ::1 and both ::/96 */
	linklocal = addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
	for (k = 0; k < n; k++) {
		if (ifs[k].ifindex != ifindex)
			continue;
		if (linklocal)
			return (1);
		plen = ifs[k].plen;
		if (plen == 0 || plen > 128)
			continue;
		/* The first plen bits equal, and are the host bits all 0? */
		for (b = 0; b < plen; b++) {
			if ((addr[b / 8] ^ ifs[k].addr[b / 8]) &
			    (0x80 >> (b % 8)))
				break;
		}
		if (b < plen)
			continue;
		for (host_zero = 1; b < 128; b++) {
			if (addr[b / 8] & (0x80 >> (b % 8)))
				host_zero = 0;
		}
		if (host_zero && plen < 127)
			continue;
		return (1);
	}
	return (0);
}
