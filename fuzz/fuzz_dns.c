/*
 * Fuzz target: a DNS query from anyone who can reach [dns] listen,
 * through dns_answer() against a cache built once: two types, IPv4 and
 * IPv6 paths (one link-local), TXT, one instance too big for a plain UDP
 * reply, one unreachable and one hidden.  The input's first byte picks
 * the context (bit 0: TCP, bit 1: a client on this host, bit 2: the
 * domain "disco.example" rather than "disco"); the rest is the packet.
 *
 * Every reply must be one a resolver can use and no amplifier: at least
 * a header, QR set, the query's id, within the size the transport allows
 * (UDP: 512, or the client's EDNS0 size up to 1232; to another host also
 * no more than three times the query, unless the bare header and
 * question are larger), parsed back by ldns, its question the query's
 * byte for byte and its answers for that name.  A violation aborts.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "discod.h"

#define FUZZ_UDP_PLAIN 512
#define FUZZ_UDP_EDNS  1232

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

static struct cache fuzz_cache;

/* One path of an instance, resolved: its host, port, TXT and address. */
static struct instance *
fuzz_add(const char *name, const char *type, const char *host, int ifindex,
    const char *addr, const char *const *txt)
{
	struct instance *i;
	struct txt	 t = { 0 };
	unsigned char	 a[16];
	const char	*why;
	int		 family, is_new;

	family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(family, addr, a) != 1)
		abort();
	for (; txt != NULL && *txt != NULL; txt++)
		if (txt_add(&t, (const unsigned char *)*txt, strlen(*txt),
			&why) == -1)
			abort();
	i = cache_seen(&fuzz_cache, name, type, "local", ifindex, "eth0",
	    family, 0, &is_new);
	cache_resolved(&fuzz_cache, i, ifindex, family, host, 80, &t, a);
	txt_clear(&t);
	return (i);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *web[] = { "path=/", "weight=3", NULL };
	static const char *two[] = { "priority=2", NULL };
	static const char *big[21];
	static char	   bigs[20][201];
	struct instance	  *i;
	int		   k;

	log_init(1, 0);
	log_setverbose(-1);
	cache_init(&fuzz_cache, NULL);
	fuzz_add("Web One", "_http._tcp", "h1.local", 2, "192.0.2.1", web);
	fuzz_add("Web One", "_http._tcp", "h1.local", 2, "2001:db8::1", web);
	fuzz_add("Web One", "_http._tcp", "h1.local", 3, "fe80::1", web);
	fuzz_add("Web.Two", "_http._tcp", "h2.local", 2, "192.0.2.2", two);
	fuzz_add("Web Three", "_http._tcp", "h1.local", 2, "192.0.2.1", NULL);
	for (k = 0; k < 20; k++) {
		memset(bigs[k], 'a' + k, 200);
		bigs[k][1] = '=';
		big[k] = bigs[k];
	}
	fuzz_add("Big", "_http._tcp", "h6.local", 2, "192.0.2.6", big);
	fuzz_add("Printer", "_ipp._tcp", "h3.local", 2, "192.0.2.3", NULL);
	fuzz_add("Printer", "_ipp._tcp", "h3.local", 2, "2001:db8::3", NULL);
	i = fuzz_add("Gone", "_ipp._tcp", "h4.local", 2, "192.0.2.4", NULL);
	cache_set_reachable(&fuzz_cache, i, 0);
	i = fuzz_add("Secret", "_ipp._tcp", "h5.local", 2, "192.0.2.5", NULL);
	cache_set_hidden(&fuzz_cache, i, 1);
	fuzz_add("Resolver", "_domain._udp", "h2.local", 2, "192.0.2.2", NULL);
	return (0);
}

/* Bytes of the header and question alone, as a TC reply carries them. */
static size_t
fuzz_tc_size(const ldns_pkt *qp)
{
	size_t size = LDNS_HEADER_SIZE;

	if (qp == NULL)
		return (size);
	if (ldns_pkt_qdcount(qp) == 1)
		size += ldns_rdf_size(ldns_rr_owner(
			    ldns_rr_list_rr(ldns_pkt_question(qp), 0))) +
		    4;
	if (ldns_pkt_edns(qp))
		size += 11; /* OPT: root, type, class, ttl, rdlength */
	return (size);
}

/* Two names, byte for byte: a resolver may check the case it sent. */
static int
fuzz_same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return (ldns_rdf_size(a) == ldns_rdf_size(b) &&
	    memcmp(ldns_rdf_data(a), ldns_rdf_data(b), ldns_rdf_size(a)) == 0);
}

/*
 * A reply with a question asks the query's, as written; its answers are
 * all for that name (disco has no CNAME) and come only with NOERROR.
 */
static void
fuzz_check_answer(const ldns_pkt *qp, const ldns_pkt *rp)
{
	const ldns_rdf *qname;
	size_t		k;

	if (ldns_pkt_qdcount(rp) == 0) {
		if (ldns_pkt_ancount(rp) != 0)
			abort();
		return;
	}
	if (qp == NULL || ldns_pkt_qdcount(rp) != 1 ||
	    ldns_pkt_qdcount(qp) != 1)
		abort();
	qname = ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(qp), 0));
	if (!fuzz_same_name(qname,
		ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(rp), 0))))
		abort();
	if (ldns_pkt_ancount(rp) > 0 &&
	    ldns_pkt_get_rcode(rp) != LDNS_RCODE_NOERROR)
		abort();
	for (k = 0; k < ldns_pkt_ancount(rp); k++)
		if (!fuzz_same_name(qname,
			ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(rp), k))))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_answer_ctx ctx = { 0 };
	ldns_pkt	     *qp = NULL, *rp = NULL;
	const uint8_t	     *q;
	unsigned char	     *out;
	size_t		      qlen, outlen, limit, tc;
	int		      rc;

	if (size < 1)
		return (0);
	ctx.cache = &fuzz_cache;
	ctx.tcp = data[0] & 1;
	ctx.loopback = (data[0] & 2) != 0;
	ctx.domain = (data[0] & 4) ? "disco.example" : "disco";
	ctx.ttl = 5;
	q = data + 1;
	qlen = size - 1;

	rc = dns_answer(&ctx, q, qlen, &out, &outlen);
	if (qlen < LDNS_HEADER_SIZE || (q[2] & 0x80) != 0) {
		if (rc != -1 || out != NULL)
			abort(); /* never answer a reply */
		return (0);
	}
	if (rc != 0 || out == NULL)
		abort(); /* a query always has an answer */
	if (ldns_wire2pkt(&qp, q, qlen) != LDNS_STATUS_OK)
		qp = NULL;

	if (outlen < LDNS_HEADER_SIZE || (out[2] & 0x80) == 0 ||
	    out[0] != q[0] || out[1] != q[1])
		abort();
	if (ctx.tcp)
		limit = 65535;
	else {
		limit = FUZZ_UDP_PLAIN;
		if (qp != NULL && ldns_pkt_edns(qp) &&
		    ldns_pkt_edns_udp_size(qp) > limit)
			limit = ldns_pkt_edns_udp_size(qp) < FUZZ_UDP_EDNS ?
			    ldns_pkt_edns_udp_size(qp) :
			    FUZZ_UDP_EDNS;
		if (!ctx.loopback) {
			tc = fuzz_tc_size(qp);
			if (limit > 3 * qlen)
				limit = 3 * qlen > tc ? 3 * qlen : tc;
		}
	}
	if (outlen > limit)
		abort();
	if (ldns_wire2pkt(&rp, out, outlen) != LDNS_STATUS_OK)
		abort();
	fuzz_check_answer(qp, rp);
	ldns_pkt_free(rp);
	ldns_pkt_free(qp);
	free(out);
	return (0);
}
