/*
 * The liveness prober's rules (discocore/probe.c): the query it sends,
 * which replies prove a peer alive, and which addresses it may probe.
 * Replies are built here byte by byte, as a peer on the LAN could send
 * them; interface prefixes are given as lists, not read from this machine.
 */
#include "config.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <string.h>

#include <check.h>

#include "check_main.h"
#include "core.h"

#define QID 0x1234

/* A message as a peer sends it; the fields the tests vary. */
struct msg {
	uint16_t    id;
	uint16_t    flags;
	int	    qd; /* questions, each qname */
	const char *qname;
	uint16_t    qtype, qclass;
	int	    an;	   /* answers, each aname */
	const char *aname; /* NULL: a pointer to the question's name */
	uint16_t    atype, aclass, rdlen;
};

/* What avahi-daemon sends for "b.local A" (RFC 6762 6.7): QR and AA. */
static const struct msg good = { QID, 0x8400, 1, "b.local", ns_t_a, ns_c_in, 1,
	NULL, ns_t_a, ns_c_in, 4 };

static size_t
build(unsigned char *buf, size_t len, const struct msg *m)
{
	static const unsigned char rdata[16] = { 198, 51, 100, 2 };
	unsigned char		  *p = buf;
	int			   k, n;

	memset(buf, 0, len);
	NS_PUT16(m->id, p);
	NS_PUT16(m->flags, p);
	NS_PUT16(m->qd, p);
	NS_PUT16(m->an, p);
	NS_PUT16(0, p);
	NS_PUT16(0, p);
	for (k = 0; k < m->qd; k++) {
		n = dn_comp(m->qname, p, (int)(len - (size_t)(p - buf)), NULL,
		    NULL);
		ck_assert_int_gt(n, 0);
		p += n;
		NS_PUT16(m->qtype, p);
		NS_PUT16(m->qclass, p);
	}
	for (k = 0; k < m->an; k++) {
		if (m->aname == NULL) {
			*p++ = 0xc0;
			*p++ = NS_HFIXEDSZ;
		} else {
			n = dn_comp(m->aname, p, (int)(len - (size_t)(p - buf)),
			    NULL, NULL);
			ck_assert_int_gt(n, 0);
			p += n;
		}
		NS_PUT16(m->atype, p);
		NS_PUT16(m->aclass, p);
		NS_PUT32(10, p); /* TTL: legacy unicast caps it at 10 s */
		NS_PUT16(m->rdlen, p);
		ck_assert_uint_le(m->rdlen, sizeof(rdata));
		memcpy(p, rdata, m->rdlen);
		p += m->rdlen;
	}
	return ((size_t)(p - buf));
}

static int
valid(const struct msg *m)
{
	unsigned char buf[512];
	size_t	      n = build(buf, sizeof(buf), m);

	return (probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
}

START_TEST(test_probe_query_asks_for_the_host_a_record)
{
	unsigned char buf[300];
	const char    want[] = "\x12\x34\0\0\0\1\0\0\0\0\0\0"
			       "\1b\5local\0\0\1\0\1";

	ck_assert_uint_eq(probe_query(buf, sizeof(buf), QID, "b.local", ns_t_a),
	    sizeof(want) - 1);
	ck_assert_mem_eq(buf, want, sizeof(want) - 1);
}
END_TEST

START_TEST(test_probe_query_refuses_what_is_no_domain_name)
{
	unsigned char buf[300];
	char	      label[70];

	memset(label, 'x', 64);
	strlcpy(label + 64, ".local", sizeof(label) - 64);
	ck_assert_uint_eq(probe_query(buf, sizeof(buf), QID, label, ns_t_a), 0);
	ck_assert_uint_eq(probe_query(buf, sizeof(buf), QID, "a..b", ns_t_a),
	    0);
	ck_assert_uint_eq(probe_query(buf, sizeof(buf), QID, "", ns_t_a), 0);
	ck_assert_uint_eq(probe_query(buf, 20, QID, "b.local", ns_t_a), 0);
}
END_TEST

START_TEST(test_probe_reply_answering_the_question_counts)
{
	struct msg m = good;

	ck_assert(valid(&m));
	m.aname = "B.Local"; /* uncompressed, and names ignore case */
	ck_assert(valid(&m));
	m.aclass = 0x8000 | ns_c_in; /* the mDNS cache-flush bit */
	ck_assert(valid(&m));
}
END_TEST

START_TEST(test_probe_reply_to_another_id_does_not_count)
{
	struct msg m = good;

	m.id = QID + 1;
	ck_assert(!valid(&m));
}
END_TEST

START_TEST(test_probe_reply_needs_qr_opcode_query_and_noerror)
{
	struct msg m = good;

	m.flags = 0x0400; /* QR clear: a query, e.g. ours reflected */
	ck_assert(!valid(&m));
	m.flags = 0x8400 | (ns_o_notify << 11);
	ck_assert(!valid(&m));
	m.flags = 0x8400 | ns_r_nxdomain;
	ck_assert(!valid(&m));
	m.flags = 0x8400 | ns_r_refused;
	ck_assert(!valid(&m));
}
END_TEST

START_TEST(test_probe_reply_must_echo_the_question_asked)
{
	struct msg m = good;

	m.qname = m.aname = "c.local";
	ck_assert(!valid(&m));
	m = good;
	m.qtype = m.atype = ns_t_aaaa;
	m.rdlen = 16;
	ck_assert(!valid(&m));
	m = good;
	m.qclass = m.aclass = ns_c_chaos;
	ck_assert(!valid(&m));
	m = good;
	m.qd = 0;
	m.aname = "b.local";
	ck_assert(!valid(&m));
	m = good;
	m.qd = 2;
	m.aname = "b.local";
	ck_assert(!valid(&m));
}
END_TEST

START_TEST(test_probe_reply_without_an_answer_for_the_name_does_not_count)
{
	struct msg m = good;

	m.an = 0;
	ck_assert(!valid(&m));
	m = good;
	m.aname = "c.local";
	ck_assert(!valid(&m));
	m = good;
	m.atype = ns_t_txt;
	ck_assert(!valid(&m));
	m = good;
	m.rdlen = 5; /* no A record */
	ck_assert(!valid(&m));
}
END_TEST

START_TEST(test_probe_reply_header_alone_does_not_count)
{
	unsigned char buf[NS_HFIXEDSZ] = { QID >> 8, QID & 0xff, 0x84, 0 };

	ck_assert(!probe_reply_valid(buf, sizeof(buf), "b.local", ns_t_a, QID));
	buf[7] = 1; /* ANCOUNT 1, but nothing follows */
	ck_assert(!probe_reply_valid(buf, sizeof(buf), "b.local", ns_t_a, QID));
}
END_TEST

START_TEST(test_probe_reply_cut_short_anywhere_does_not_count)
{
	unsigned char buf[512];
	size_t	      n = build(buf, sizeof(buf), &good), k;

	ck_assert(probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
	for (k = 0; k < n; k++)
		ck_assert_msg(!probe_reply_valid(buf, k, "b.local", ns_t_a,
				  QID),
		    "a reply cut to %zu of %zu bytes counted", k, n);
}
END_TEST

START_TEST(test_probe_reply_counting_more_records_than_it_holds_fails)
{
	unsigned char buf[512];
	size_t	      n = build(buf, sizeof(buf), &good);

	buf[7] = 2; /* ANCOUNT 2, one answer there */
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
}
END_TEST

START_TEST(test_probe_reply_with_a_compression_loop_does_not_count)
{
	unsigned char buf[512];
	size_t	      n = build(buf, sizeof(buf), &good), an = n - 16;

	/* The answer's name points at itself. */
	buf[an] = 0xc0;
	buf[an + 1] = (unsigned char)an;
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
	/* Two names that point at each other: question and answer. */
	memcpy(buf,
	    "\x12\x34\x84\0\0\1\0\1\0\0\0\0"
	    "\1b\xc0\x14\0\1\0\1"
	    "\xc0\x0c\0\1\0\1\0\0\0\x0a\0\4\xc6\x33\x64\2",
	    36);
	ck_assert(!probe_reply_valid(buf, 36, "b.local", ns_t_a, QID));
	/* The same message without the loop counts ("b" then the root). */
	buf[14] = 0;
	memmove(buf + 15, buf + 16, 20);
	ck_assert(probe_reply_valid(buf, 35, "b", ns_t_a, QID));
	/* A pointer past the end. */
	n = build(buf, sizeof(buf), &good);
	buf[an + 1] = 0xff;
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
}
END_TEST

/* Avahi escapes a host name's dots and bytes; both sides must agree. */
START_TEST(test_probe_escaped_host_names_round_trip)
{
	const char   *hosts[] = { "my\\.host.local", "caf\xc3\xa9.local",
		  "sp\\032ace.local" };
	unsigned char buf[512];
	size_t	      k, n;

	for (k = 0; k < sizeof(hosts) / sizeof(hosts[0]); k++) {
		n = probe_query(buf, sizeof(buf), QID, hosts[k], ns_t_a);
		ck_assert_uint_gt(n, 0);
		buf[2] |= 0x84;
		buf[7] = 1;
		memcpy(buf + n, "\xc0\x0c\0\1\0\1\0\0\0\x0a\0\4\xc6\x33\x64\2",
		    16);
		ck_assert_msg(probe_reply_valid(buf, n + 16, hosts[k], ns_t_a,
				  QID),
		    "%s", hosts[k]);
		ck_assert(!probe_reply_valid(buf, n + 16, "b.local", ns_t_a,
		    QID));
	}
	/* "my\.host" is one label, not two. */
	n = probe_query(buf, sizeof(buf), QID, "my\\.host.local", ns_t_a);
	ck_assert_int_eq(buf[NS_HFIXEDSZ], 7);
}
END_TEST

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return (a.s_addr);
}

START_TEST(test_probe_onlink_only_in_the_interface_prefix)
{
	struct probe_ifaddr ifs[] = {
		{ 2, ip("192.168.1.10"), ip("255.255.255.0") },
		{ 3, ip("10.0.0.1"), ip("255.0.0.0") },
	};

	ck_assert(probe_onlink(ifs, 2, 2, ip("192.168.1.77")));
	ck_assert(probe_onlink(ifs, 2, 3, ip("10.200.3.4")));
	/* Off-link: the hostile A record of the finding. */
	ck_assert(!probe_onlink(ifs, 2, 2, ip("203.0.113.7")));
	ck_assert(!probe_onlink(ifs, 2, 2, ip("192.168.2.77")));
	ck_assert(!probe_onlink(ifs, 2, 2, ip("8.8.8.8")));
	/* On-link for another interface than the one it was seen on. */
	ck_assert(!probe_onlink(ifs, 2, 2, ip("10.200.3.4")));
	ck_assert(!probe_onlink(ifs, 2, 3, ip("192.168.1.77")));
	ck_assert(!probe_onlink(ifs, 2, 9, ip("192.168.1.77")));
	ck_assert(!probe_onlink(NULL, 0, 2, ip("192.168.1.77")));
}
END_TEST

START_TEST(test_probe_onlink_never_network_or_broadcast)
{
	struct probe_ifaddr ifs[] = {
		{ 2, ip("192.168.1.10"), ip("255.255.255.0") },
	};

	ck_assert(!probe_onlink(ifs, 1, 2, ip("192.168.1.0")));
	ck_assert(!probe_onlink(ifs, 1, 2, ip("192.168.1.255")));
	ck_assert(probe_onlink(ifs, 1, 2, ip("192.168.1.1")));
	ck_assert(probe_onlink(ifs, 1, 2, ip("192.168.1.254")));
}
END_TEST

START_TEST(test_probe_onlink_point_to_point_and_odd_masks)
{
	struct probe_ifaddr ifs[] = {
		{ 2, ip("198.51.100.0"), ip("255.255.255.254") }, /* /31 */
		{ 4, ip("192.0.2.9"), ip("255.255.255.255") },	  /* peer */
		{ 5, ip("192.0.2.20"), 0 },			  /* no mask */
	};

	ck_assert(probe_onlink(ifs, 3, 2, ip("198.51.100.0")));
	ck_assert(probe_onlink(ifs, 3, 2, ip("198.51.100.1")));
	ck_assert(!probe_onlink(ifs, 3, 2, ip("198.51.100.2")));
	ck_assert(probe_onlink(ifs, 3, 4, ip("192.0.2.9")));
	ck_assert(!probe_onlink(ifs, 3, 4, ip("192.0.2.10")));
	ck_assert(!probe_onlink(ifs, 3, 5, ip("192.0.2.20")));
	ck_assert(!probe_onlink(ifs, 3, 5, ip("203.0.113.7")));
}
END_TEST

/* Over IPv6 the prober asks for "host AAAA": 16 bytes of address. */
START_TEST(test_probe_reply_to_an_aaaa_query_needs_an_aaaa_record)
{
	struct msg    m = good;
	unsigned char buf[512];
	size_t	      n;

	/* The header, "\1b\5local\0", then type AAAA, class IN. */
	ck_assert_uint_eq(probe_query(buf, sizeof(buf), QID, "b.local",
			      ns_t_aaaa),
	    NS_HFIXEDSZ + 9 + NS_QFIXEDSZ);
	ck_assert_int_eq(buf[NS_HFIXEDSZ + 9], 0);
	ck_assert_int_eq(buf[NS_HFIXEDSZ + 10], ns_t_aaaa);
	ck_assert_int_eq(buf[NS_HFIXEDSZ + 12], ns_c_in);
	m.qtype = m.atype = ns_t_aaaa;
	m.rdlen = 16;
	n = build(buf, sizeof(buf), &m);
	ck_assert(probe_reply_valid(buf, n, "b.local", ns_t_aaaa, QID));
	/* Not an answer to the A question, nor an A record to AAAA. */
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
	m.atype = ns_t_a;
	n = build(buf, sizeof(buf), &m);
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_aaaa, QID));
	/* An AAAA record of the wrong length is none. */
	m.atype = ns_t_aaaa;
	m.rdlen = 4;
	n = build(buf, sizeof(buf), &m);
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_aaaa, QID));
	m.rdlen = 15;
	n = build(buf, sizeof(buf), &m);
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_aaaa, QID));
	/* And an A record of 16 bytes none for A. */
	m.qtype = m.atype = ns_t_a;
	m.rdlen = 16;
	n = build(buf, sizeof(buf), &m);
	ck_assert(!probe_reply_valid(buf, n, "b.local", ns_t_a, QID));
}
END_TEST

static struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return (a);
}

static void
ifaddr6(struct probe_ifaddr6 *f, int ifindex, const char *addr,
    unsigned int plen)
{
	struct in6_addr a = ip6(addr);

	f->ifindex = ifindex;
	memcpy(f->addr, &a, 16);
	f->plen = plen;
}

static int
onlink6(const struct probe_ifaddr6 *ifs, size_t n, int ifindex,
    const char *addr)
{
	struct in6_addr a = ip6(addr);

	return (probe_onlink6(ifs, n, ifindex, a.s6_addr));
}

START_TEST(test_probe_onlink6_prefixes_and_link_local)
{
	struct probe_ifaddr6 ifs[5];

	ifaddr6(&ifs[0], 2, "2001:db8:9::1", 64);
	ifaddr6(&ifs[1], 2, "fe80::1", 64);
	ifaddr6(&ifs[2], 3, "fd12:3456:789a:1::1", 56);
	ifaddr6(&ifs[3], 4, "2001:db8:ff::1", 128); /* no prefix */
	ifaddr6(&ifs[4], 5, "2001:db8:77::1", 0);   /* no mask */

	ck_assert(onlink6(ifs, 5, 2, "2001:db8:9::2"));
	ck_assert(onlink6(ifs, 5, 2, "2001:db8:9:0:ffff:ffff:ffff:ffff"));
	ck_assert(onlink6(ifs, 5, 3, "fd12:3456:789a:ff::99"));
	/* Off-link: another prefix, or another interface's. */
	ck_assert(!onlink6(ifs, 5, 2, "2001:db8:a::2"));
	ck_assert(!onlink6(ifs, 5, 2, "2001:db8:9:1::2"));
	ck_assert(!onlink6(ifs, 5, 3, "2001:db8:9::2"));
	ck_assert(!onlink6(ifs, 5, 2, "fd12:3456:789a:1::2"));
	ck_assert(!onlink6(ifs, 5, 3, "fd12:3456:789b::2"));
	ck_assert(!onlink6(ifs, 5, 2, "2606:4700::1111"));
	/* A /128 is itself only; no mask, nothing. */
	ck_assert(onlink6(ifs, 5, 4, "2001:db8:ff::1"));
	ck_assert(!onlink6(ifs, 5, 4, "2001:db8:ff::2"));
	ck_assert(!onlink6(ifs, 5, 5, "2001:db8:77::2"));
	/* Link-local: on-link for any interface with IPv6, with its scope. */
	ck_assert(onlink6(ifs, 5, 2, "fe80::2"));
	ck_assert(onlink6(ifs, 5, 3, "fe80::dead:beef"));
	ck_assert(onlink6(ifs, 5, 3, "febf::1"));  /* fe80::/10 */
	ck_assert(!onlink6(ifs, 5, 9, "fe80::2")); /* no such interface */
	ck_assert(!onlink6(NULL, 0, 2, "fe80::2"));
	ck_assert(!onlink6(ifs, 5, 2, "fec0::1")); /* site-local: not /10 */
}
END_TEST

START_TEST(test_probe_onlink6_never_what_is_no_peer)
{
	struct probe_ifaddr6 ifs[3];

	ifaddr6(&ifs[0], 2, "2001:db8:9::1", 64);
	ifaddr6(&ifs[1], 2, "::", 0);
	ifaddr6(&ifs[2], 2, "::ffff:198.51.100.1", 96);

	/* Subnet-Router anycast: all host bits 0. */
	ck_assert(!onlink6(ifs, 3, 2, "2001:db8:9::"));
	ck_assert(onlink6(ifs, 3, 2, "2001:db8:9::1"));
	ck_assert(!onlink6(ifs, 3, 2, "ff02::fb")); /* mDNS group */
	ck_assert(!onlink6(ifs, 3, 2, "ff02::1"));
	ck_assert(!onlink6(ifs, 3, 2, "::"));
	ck_assert(!onlink6(ifs, 3, 2, "::1"));
	ck_assert(!onlink6(ifs, 3, 2, "::ffff:198.51.100.2"));
	ck_assert(!onlink6(ifs, 3, 2, "::198.51.100.2"));
}
END_TEST

START_TEST(test_probe_onlink6_point_to_point_prefixes)
{
	struct probe_ifaddr6 ifs[1];

	/* RFC 6164: a /127 has no anycast address; both ends are peers. */
	ifaddr6(&ifs[0], 7, "2001:db8:1::", 127);
	ck_assert(onlink6(ifs, 1, 7, "2001:db8:1::"));
	ck_assert(onlink6(ifs, 1, 7, "2001:db8:1::1"));
	ck_assert(!onlink6(ifs, 1, 7, "2001:db8:1::2"));
	/* An odd length: /61 holds 2001:db8:0:8::/61 to ...:f:... */
	ifaddr6(&ifs[0], 7, "2001:db8:0:8::1", 61);
	ck_assert(onlink6(ifs, 1, 7, "2001:db8:0:f::1"));
	ck_assert(!onlink6(ifs, 1, 7, "2001:db8:0:7::1"));
	ck_assert(!onlink6(ifs, 1, 7, "2001:db8:0:10::1"));
}
END_TEST

static Suite *
liveness_suite(void)
{
	Suite *s = suite_create("liveness");
	TCase *tc = tcase_create("liveness");

	tcase_add_test(tc, test_probe_query_asks_for_the_host_a_record);
	tcase_add_test(tc, test_probe_query_refuses_what_is_no_domain_name);
	tcase_add_test(tc, test_probe_reply_answering_the_question_counts);
	tcase_add_test(tc, test_probe_reply_to_another_id_does_not_count);
	tcase_add_test(tc, test_probe_reply_needs_qr_opcode_query_and_noerror);
	tcase_add_test(tc, test_probe_reply_must_echo_the_question_asked);
	tcase_add_test(tc,
	    test_probe_reply_without_an_answer_for_the_name_does_not_count);
	tcase_add_test(tc, test_probe_reply_header_alone_does_not_count);
	tcase_add_test(tc, test_probe_reply_cut_short_anywhere_does_not_count);
	tcase_add_test(tc,
	    test_probe_reply_counting_more_records_than_it_holds_fails);
	tcase_add_test(tc,
	    test_probe_reply_with_a_compression_loop_does_not_count);
	tcase_add_test(tc, test_probe_escaped_host_names_round_trip);
	tcase_add_test(tc, test_probe_onlink_only_in_the_interface_prefix);
	tcase_add_test(tc, test_probe_onlink_never_network_or_broadcast);
	tcase_add_test(tc, test_probe_onlink_point_to_point_and_odd_masks);
	tcase_add_test(tc,
	    test_probe_reply_to_an_aaaa_query_needs_an_aaaa_record);
	tcase_add_test(tc, test_probe_onlink6_prefixes_and_link_local);
	tcase_add_test(tc, test_probe_onlink6_never_what_is_no_peer);
	tcase_add_test(tc, test_probe_onlink6_point_to_point_prefixes);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(liveness_suite)
