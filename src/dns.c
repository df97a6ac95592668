/*
 * The DNS interface: programs that only know DNS (dig, haproxy,
 * Prometheus, systemd-resolved's forwarding) ask discod for the names in
 * its domain (naming.c) over UDP and TCP, by default on loopback only.
 * Answers come from the cache and nothing is ever forwarded: a name
 * outside the domain is REFUSED.  Packets are parsed and built by ldns.
 *
 * Limits: a query is at most DNS_QUERY_MAX bytes; a UDP reply fits the
 * client's size (512, or its EDNS0 size up to 1232) and, to a client that
 * is not on this host, three times its query (no amplification: a bigger
 * answer sets TC and the client asks again over TCP, which a spoofed
 * source cannot); tcp-clients-max connections, each closed after
 * DNS_TCP_IDLE seconds without a query and when its replies pile up.
 * A TCP reply too big for its 64 KiB frame keeps the answers that fit
 * (in the order given: RFC 2782's for service names), as TCP has no
 * retry.  At most DNS_ADDITIONAL_MAX additional records: they are
 * optional, and a type of thousands of instances on one host must not
 * cost a quadratic search for duplicates.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <ldns/ldns.h>

#include "discod.h"

#define DNS_QUERY_MAX	   4096	  /* bytes: no sane question is larger */
#define DNS_UDP_PLAIN	   512	  /* RFC 1035 */
#define DNS_UDP_EDNS_MAX   1232	  /* no fragments (DNS flag day 2020) */
#define DNS_AMPLIFY	   3	  /* UDP reply/query, to other hosts */
#define DNS_UDP_BURST	   64	  /* datagrams read in one wake-up */
#define DNS_TCP_IDLE	   10	  /* seconds without a query */
#define DNS_TCP_OUTPUT_MAX 131072 /* queued replies: stop reading */
#define DNS_LISTEN_MAX	   16
#define DNS_ANSWERS_MAX	   4096 /* records in one answer (TCP: 64 KiB) */
#define DNS_ADDITIONAL_MAX 64	/* address records of SRV targets */

struct dns_conn {
	TAILQ_ENTRY(dns_conn) entry;
	struct bufferevent   *bev;
};

static struct {
	struct event_base   *base;
	const struct config *conf;
	struct cache	    *cache;
	int		     fd[DNS_LISTEN_MAX * 2];
	struct event	    *ev[DNS_LISTEN_MAX * 2];
	int		     tcp[DNS_LISTEN_MAX * 2]; /* a listener */
	size_t		     nfd;
	struct event	    *pause; /* accept back-off: out of descriptors */
	unsigned int	     nconns;
	TAILQ_HEAD(, dns_conn) conns;
	/* Counters, for status. */
	unsigned long long queries_udp;
	unsigned long long queries_tcp;
	unsigned long long rcodes[6]; /* NOERROR..REFUSED */
	unsigned long long nodata;
	unsigned long long badvers; /* EDNS version > 0 (RFC 6891) */
	unsigned long long truncated;
	unsigned long long dropped;
	unsigned long long tcp_refused;
} dns = { .conns = TAILQ_HEAD_INITIALIZER(dns.conns) };

/* A domain name being built, in wire format. */
struct dns_name {
	unsigned char b[LDNS_MAX_DOMAINLEN + 1];
	size_t	      len;
	int	      bad;
};

static void
dns_name_label(struct dns_name *n, const void *data, size_t len)
{
	if (n->bad || len == 0 || len > 63 || n->len + 1 + len + 1 > 255) {
		n->bad = 1;
		return;
	}
	n->b[n->len++] = (unsigned char)len;
	memcpy(n->b + n->len, data, len);
	n->len += len;
}

static void
dns_name_str(struct dns_name *n, const char *s)
{
	dns_name_label(n, s, strlen(s));
}

/* The domain's labels, then the root: an ldns dname, or NULL. */
static ldns_rdf *
dns_name_finish(struct dns_name *n, const char *domain)
{
	const char *p = domain, *dot;

	while (*p != '\0') {
		if ((dot = strchr(p, '.')) == NULL)
			dot = p + strlen(p);
		dns_name_label(n, p, (size_t)(dot - p));
		p = *dot == '.' ? dot + 1 : dot;
	}
	if (n->bad)
		return (NULL);
	n->b[n->len++] = 0;
	return (ldns_dname_new_frm_data((uint16_t)n->len, n->b));
}

/* "_http._tcp" as two labels. */
static void
dns_name_type(struct dns_name *n, const char *type)
{
	const char *dot = strchr(type, '.');

	if (dot == NULL) {
		n->bad = 1;
		return;
	}
	dns_name_label(n, type, (size_t)(dot - type));
	dns_name_str(n, dot + 1);
}

static ldns_rdf *
dns_instance_name(const struct instance *i, const char *domain)
{
	struct dns_name n = { .len = 0 };

	dns_name_str(&n, i->name);
	dns_name_type(&n, i->type);
	return (dns_name_finish(&n, domain));
}

static ldns_rdf *
dns_host_name(const struct instance *i, const char *domain)
{
	struct dns_name n = { .len = 0 };
	char		h[NAMING_LABEL_MAX + 1];

	naming_host_label(i, h, sizeof(h));
	dns_name_str(&n, h);
	return (dns_name_finish(&n, domain));
}

/* A record of the answer: owner (taken), type, ttl. */
static ldns_rr *
dns_rr(ldns_rdf *owner, ldns_rr_type type, unsigned int ttl)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, ttl);
	return (rr);
}

static void
dns_push(ldns_pkt *p, ldns_pkt_section s, ldns_rr *rr)
{
	if (!ldns_pkt_push_rr(p, s, rr))
		ldns_rr_free(rr);
}

/*
 * The address records of SRV targets already in the additional section:
 * two instances on one host name one target, whose addresses go once.
 * (ldns_pkt_safe_push_rr compares each record with every other in wire
 * form: seconds for 4096 SRV records on one host.)
 */
struct dns_extra {
	size_t n;
	struct {
		char	      host[NAMING_LABEL_MAX + 1];
		int	      family;
		unsigned char addr[16];
	} v[DNS_ADDITIONAL_MAX];
};

static int
dns_extra_add(struct dns_extra *x, const char *host,
    const struct cache_path *cp)
{
	size_t k, len = cp->family == AF_INET ? 4 : 16;

	for (k = 0; k < x->n; k++) {
		if (x->v[k].family == cp->family &&
		    memcmp(x->v[k].addr, cp->addr, len) == 0 &&
		    strcasecmp(x->v[k].host, host) == 0)
			return (0);
	}
	if (x->n == DNS_ADDITIONAL_MAX)
		return (0);
	strlcpy(x->v[x->n].host, host, sizeof(x->v[x->n].host));
	x->v[x->n].family = cp->family;
	memcpy(x->v[x->n].addr, cp->addr, len);
	x->n++;
	return (1);
}

static void
dns_soa(const struct dns_answer_ctx *ctx, ldns_pkt *p, ldns_pkt_section s)
{
	struct dns_name n = { .len = 0 }, m = { .len = 0 };
	ldns_rr	       *rr;

	rr = dns_rr(dns_name_finish(&n, ctx->domain), LDNS_RR_TYPE_SOA,
	    ctx->ttl);
	ldns_rr_push_rdf(rr, ldns_rdf_clone(ldns_rr_owner(rr)));
	dns_name_str(&m, "hostmaster");
	ldns_rr_push_rdf(rr, dns_name_finish(&m, ctx->domain));
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
		(uint32_t)ctx->cache->index));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 3600));
	ldns_rr_push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 600));
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, 86400));
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD, ctx->ttl));
	dns_push(p, s, rr);
}

/* A and AAAA of an instance's own addresses, as additional records. */
static void
dns_addresses_of(const struct dns_answer_ctx *ctx, ldns_pkt *p,
    const struct instance *i, const ldns_rdf *owner, struct dns_extra *x)
{
	const struct cache_path *cp;
	ldns_rr			*rr;
	char			 h[NAMING_LABEL_MAX + 1];
	size_t			 k;

	naming_host_label(i, h, sizeof(h));
	for (k = 0; k < i->npaths; k++) {
		cp = &i->paths[k];
		if (!cache_path_usable(cp) || naming_linklocal(cp) ||
		    !dns_extra_add(x, h, cp))
			continue;
		rr = dns_rr(ldns_rdf_clone(owner),
		    cp->family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA,
		    ctx->ttl);
		ldns_rr_push_rdf(rr,
		    ldns_rdf_new_frm_data(cp->family == AF_INET ?
			    LDNS_RDF_TYPE_A :
			    LDNS_RDF_TYPE_AAAA,
			cp->family == AF_INET ? 4 : 16, cp->addr));
		dns_push(p, LDNS_SECTION_ADDITIONAL, rr);
	}
}

static void
dns_srv(const struct dns_answer_ctx *ctx, ldns_pkt *p, const ldns_rdf *owner,
    const struct instance *i, struct dns_extra *x)
{
	ldns_rr	    *rr;
	ldns_rdf    *target;
	unsigned int w;

	if ((target = dns_host_name(i, ctx->domain)) == NULL)
		return;
	rr = dns_rr(ldns_rdf_clone(owner), LDNS_RR_TYPE_SRV, ctx->ttl);
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		(uint16_t)policy_priority(i)));
	/*
	 * Weight 0 (Avahi never carries one, and no TXT weight was given)
	 * goes out as 1: some clients take 0 as "send nothing" (haproxy
	 * drains such a server), where pick treats all-zero as all equal.
	 */
	w = policy_weight(i);
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
		(uint16_t)(w != 0 ? w : 1)));
	ldns_rr_push_rdf(rr,
	    ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, (uint16_t)i->port));
	ldns_rr_push_rdf(rr, ldns_rdf_clone(target));
	dns_push(p, LDNS_SECTION_ANSWER, rr);
	dns_addresses_of(ctx, p, i, target, x);
	ldns_rdf_deep_free(target);
}

static void
dns_txt(const struct dns_answer_ctx *ctx, ldns_pkt *p, const ldns_rdf *owner,
    const struct instance *i)
{
	unsigned char s[TXT_STRING_MAX + 1];
	ldns_rr	     *rr;
	size_t	      k;

	rr = dns_rr(ldns_rdf_clone(owner), LDNS_RR_TYPE_TXT, ctx->ttl);
	for (k = 0; k < i->txt.n; k++) {
		if (i->txt.v[k].len > TXT_STRING_MAX)
			continue;
		s[0] = (unsigned char)i->txt.v[k].len;
		memcpy(s + 1, i->txt.v[k].data, i->txt.v[k].len);
		ldns_rr_push_rdf(rr,
		    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR,
			i->txt.v[k].len + 1, s));
	}
	if (ldns_rr_rd_count(rr) == 0) { /* RFC 6763 6.1: one empty string */
		s[0] = 0;
		ldns_rr_push_rdf(rr,
		    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 1, s));
	}
	dns_push(p, LDNS_SECTION_ANSWER, rr);
}

static void
dns_ptr(const struct dns_answer_ctx *ctx, ldns_pkt *p, const ldns_rdf *owner,
    ldns_rdf *target)
{
	ldns_rr *rr;

	if (target == NULL)
		return;
	rr = dns_rr(ldns_rdf_clone(owner), LDNS_RR_TYPE_PTR, ctx->ttl);
	ldns_rr_push_rdf(rr, target);
	dns_push(p, LDNS_SECTION_ANSWER, rr);
}

/* The answer section for a name that exists; the count pushed. */
static size_t
dns_records(const struct dns_answer_ctx *ctx, ldns_pkt *p,
    const struct naming_query *q, const ldns_rdf *owner, ldns_rr_type t)
{
	struct instance	  **v = NULL;
	struct naming_addr *a;
	struct dns_extra    x = { .n = 0 };
	struct dns_name	    n;
	ldns_rr		   *rr;
	size_t		    nv = 0, na, k;
	int		    family;

	switch (q->kind) {
	case NAMING_APEX:
		if (t == LDNS_RR_TYPE_SOA)
			dns_soa(ctx, p, LDNS_SECTION_ANSWER);
		break;
	case NAMING_TYPES:
		if (t != LDNS_RR_TYPE_PTR)
			break;
		nv = naming_instances(ctx->cache, q, &v);
		for (k = 0; k < nv && k < DNS_ANSWERS_MAX; k++) {
			memset(&n, 0, sizeof(n));
			dns_name_type(&n, v[k]->type);
			dns_ptr(ctx, p, owner,
			    dns_name_finish(&n, ctx->domain));
		}
		break;
	case NAMING_TYPE:
	case NAMING_SUBTYPE:
		if (t == LDNS_RR_TYPE_SRV) {
			/* RFC 2782's _service._proto.name: every instance. */
			nv = naming_instances(ctx->cache, q, &v);
			policy_order(v, nv, arc4random);
			for (k = 0; k < nv && k < DNS_ANSWERS_MAX; k++)
				dns_srv(ctx, p, owner, v[k], &x);
			break;
		}
		if (t != LDNS_RR_TYPE_PTR)
			break;
		nv = naming_instances(ctx->cache, q, &v);
		for (k = 0; k < nv && k < DNS_ANSWERS_MAX; k++)
			dns_ptr(ctx, p, owner,
			    dns_instance_name(v[k], ctx->domain));
		break;
	case NAMING_INSTANCE:
		if (t != LDNS_RR_TYPE_SRV && t != LDNS_RR_TYPE_TXT)
			break;
		if ((nv = naming_instances(ctx->cache, q, &v)) == 0)
			break;
		if (t == LDNS_RR_TYPE_SRV)
			dns_srv(ctx, p, owner, v[0], &x);
		else
			dns_txt(ctx, p, owner, v[0]);
		break;
	case NAMING_SERVICE:
	case NAMING_HOST:
		if (t == LDNS_RR_TYPE_SRV && q->kind == NAMING_SERVICE) {
			nv = naming_instances(ctx->cache, q, &v);
			for (k = 0; k < nv && k < DNS_ANSWERS_MAX; k++)
				dns_srv(ctx, p, owner, v[k], &x);
			break;
		}
		if (t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA)
			break;
		family = t == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
		a = xreallocarray(NULL, DNS_ANSWERS_MAX, sizeof(*a));
		na = naming_addresses(ctx->cache, q, family, 0, a,
		    DNS_ANSWERS_MAX);
		for (k = 0; k < na; k++) {
			rr = dns_rr(ldns_rdf_clone(owner), t, ctx->ttl);
			ldns_rr_push_rdf(rr,
			    ldns_rdf_new_frm_data(family == AF_INET ?
				    LDNS_RDF_TYPE_A :
				    LDNS_RDF_TYPE_AAAA,
				family == AF_INET ? 4 : 16, a[k].addr));
			dns_push(p, LDNS_SECTION_ANSWER, rr);
		}
		free(a);
		break;
	default:
		break;
	}
	free(v);
	return (ldns_pkt_ancount(p));
}

/* The labels of a dname (ldns checked its wire form). */
static size_t
dns_labels(const ldns_rdf *name, struct naming_label *l, size_t max)
{
	const unsigned char *d = ldns_rdf_data(name);
	size_t		     size = ldns_rdf_size(name), pos = 0, n = 0;

	while (pos < size && d[pos] != 0 && n < max) {
		if (pos + 1 + d[pos] > size)
			return (0);
		l[n].data = d + pos + 1;
		l[n].len = d[pos];
		n++;
		pos += 1 + d[pos];
	}
	return (n);
}

/* A header-only reply for a query ldns cannot parse. */
static int
dns_header_only(const unsigned char *q, unsigned int rcode, unsigned char **out,
    size_t *outlen)
{
	unsigned char *r = xcalloc(1, LDNS_HEADER_SIZE);

	r[0] = q[0];
	r[1] = q[1];
	r[2] = (unsigned char)(0x80 | (q[2] & 0x78)); /* QR, the opcode */
	r[3] = (unsigned char)rcode;
	*out = r;
	*outlen = LDNS_HEADER_SIZE;
	return (0);
}

/*
 * Over TCP, answers from the end until the reply fits: a client cannot
 * ask again any other way.  Each round cuts by the mean record's size
 * and a little more, so few rounds do.
 */
static int
dns_wire_trim(ldns_pkt *resp, size_t limit, uint8_t **w, size_t *size)
{
	ldns_rr_list *an = ldns_pkt_answer(resp);
	size_t	      n = ldns_rr_list_rr_count(an), keep;

	if (*size > limit)
		dns.truncated++;
	while (*size > limit && n > 0) {
		keep = n * limit / *size;
		keep = keep > n / 64 + 1 ? keep - n / 64 - 1 : 0;
		while (n > keep) {
			ldns_rr_free(ldns_rr_list_pop_rr(an));
			n--;
		}
		ldns_pkt_set_ancount(resp, (uint16_t)n);
		free(*w);
		*w = NULL;
		if (ldns_pkt2wire(w, resp, size) != LDNS_STATUS_OK)
			return (-1);
	}
	return (*size <= limit ? 0 : -1);
}

/*
 * The reply as bytes within limit: additional records go, then (UDP)
 * every answer with TC set, or (TCP) the answers that do not fit.
 */
static int
dns_wire(ldns_pkt *resp, size_t limit, int tcp, unsigned char **out,
    size_t *outlen)
{
	uint8_t *w = NULL;
	size_t	 size = 0;

	if (ldns_pkt2wire(&w, resp, &size) != LDNS_STATUS_OK)
		return (-1);
	if (size <= limit)
		goto done;
	free(w);
	ldns_rr_list_deep_free(ldns_pkt_additional(resp));
	ldns_pkt_set_additional(resp, ldns_rr_list_new());
	ldns_pkt_set_arcount(resp, 0);
	if (ldns_pkt2wire(&w, resp, &size) != LDNS_STATUS_OK)
		return (-1);
	if (size <= limit ||
	    (tcp && dns_wire_trim(resp, limit, &w, &size) == 0))
		goto done;
	free(w);
	ldns_rr_list_deep_free(ldns_pkt_answer(resp));
	ldns_pkt_set_answer(resp, ldns_rr_list_new());
	ldns_pkt_set_ancount(resp, 0);
	ldns_rr_list_deep_free(ldns_pkt_authority(resp));
	ldns_pkt_set_authority(resp, ldns_rr_list_new());
	ldns_pkt_set_nscount(resp, 0);
	ldns_pkt_set_tc(resp, 1);
	dns.truncated++;
	if (ldns_pkt2wire(&w, resp, &size) != LDNS_STATUS_OK)
		return (-1);
done:
	*out = w;
	*outlen = size;
	return (0);
}

/*
 * Answer one query (its bytes, from UDP or one TCP frame).  Returns 0
 * with the reply in *out (the caller frees it), or -1 to send nothing
 * (not a query: replying to a reply could loop).
 */
int
dns_answer(const struct dns_answer_ctx *ctx, const unsigned char *q,
    size_t qlen, unsigned char **out, size_t *outlen)
{
	struct naming_label l[NAMING_LABELS_MAX];
	struct naming_query nq;
	ldns_pkt	   *query = NULL, *resp = NULL;
	ldns_rr		   *question;
	ldns_rr_type	    t;
	size_t		    limit, n;
	int		    rc = -1, exists;

	*out = NULL;
	*outlen = 0;
	if (qlen < LDNS_HEADER_SIZE || (q[2] & 0x80) != 0)
		return (-1);
	if (qlen > DNS_QUERY_MAX ||
	    ldns_wire2pkt(&query, q, qlen) != LDNS_STATUS_OK) {
		dns.rcodes[LDNS_RCODE_FORMERR]++;
		return (dns_header_only(q, LDNS_RCODE_FORMERR, out, outlen));
	}
	resp = ldns_pkt_new();
	ldns_pkt_set_id(resp, ldns_pkt_id(query));
	ldns_pkt_set_qr(resp, 1);
	ldns_pkt_set_opcode(resp, ldns_pkt_get_opcode(query));
	ldns_pkt_set_rd(resp, ldns_pkt_rd(query));
	limit = ctx->tcp ? 65535 : DNS_UDP_PLAIN;
	if (ldns_pkt_edns(query)) {
		ldns_pkt_set_edns_udp_size(resp, DNS_UDP_EDNS_MAX);
		if (!ctx->tcp && ldns_pkt_edns_udp_size(query) > limit)
			limit = ldns_pkt_edns_udp_size(query) <
				DNS_UDP_EDNS_MAX ?
			    ldns_pkt_edns_udp_size(query) :
			    DNS_UDP_EDNS_MAX;
		/* ldns writes an OPT record only when it has something. */
		ldns_pkt_set_edns_do(resp, ldns_pkt_edns_do(query));
		if (ldns_pkt_edns_version(query) > 0) {
			ldns_pkt_set_edns_extended_rcode(resp, 1); /* BADVERS */
			dns.badvers++;
			goto reply;
		}
	}
	if (!ctx->tcp && !ctx->loopback && limit > qlen * DNS_AMPLIFY)
		limit = qlen * DNS_AMPLIFY;
	if (ldns_pkt_get_opcode(query) != LDNS_PACKET_QUERY) {
		ldns_pkt_set_rcode(resp, LDNS_RCODE_NOTIMPL);
		goto reply;
	}
	if (ldns_pkt_qdcount(query) != 1) {
		ldns_pkt_set_rcode(resp, LDNS_RCODE_FORMERR);
		goto reply;
	}
	question = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	ldns_pkt_push_rr(resp, LDNS_SECTION_QUESTION, ldns_rr_clone(question));
	t = ldns_rr_get_type(question);
	n = dns_labels(ldns_rr_owner(question), l, NAMING_LABELS_MAX);
	if ((ldns_rr_get_class(question) != LDNS_RR_CLASS_IN &&
		ldns_rr_get_class(question) != LDNS_RR_CLASS_ANY) ||
	    naming_parse(ctx->domain, l, n, &nq) == -1) {
		ldns_pkt_set_rcode(resp, LDNS_RCODE_REFUSED);
		goto reply;
	}
	ldns_pkt_set_aa(resp, 1);
	if (nq.kind == NAMING_SUBTYPE && ctx->subtype_want != NULL)
		ctx->subtype_want(nq.label, nq.type);
	exists = naming_exists(ctx->cache, &nq);
	if (exists && t == LDNS_RR_TYPE_ANY) {
		/* RFC 8482: one small record rather than everything. */
		ldns_rr *rr = dns_rr(ldns_rdf_clone(ldns_rr_owner(question)),
		    LDNS_RR_TYPE_HINFO, ctx->ttl);
		ldns_rr_push_rdf(rr,
		    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 8, "\007RFC8482"));
		ldns_rr_push_rdf(rr,
		    ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, 1, "\0"));
		dns_push(resp, LDNS_SECTION_ANSWER, rr);
	} else if (exists &&
	    dns_records(ctx, resp, &nq, ldns_rr_owner(question), t) > 0)
		;
	else {
		if (!exists)
			ldns_pkt_set_rcode(resp, LDNS_RCODE_NXDOMAIN);
		else
			dns.nodata++;
		/* RFC 2308: the SOA says how long the absence holds. */
		dns_soa(ctx, resp, LDNS_SECTION_AUTHORITY);
	}
reply:
	if (ldns_pkt_get_rcode(resp) < 6 &&
	    ldns_pkt_edns_extended_rcode(resp) == 0)
		dns.rcodes[ldns_pkt_get_rcode(resp)]++;
	rc = dns_wire(resp, limit, ctx->tcp, out, outlen);
	ldns_pkt_free(resp);
	ldns_pkt_free(query);
	return (rc);
}

/* A subtype asked over DNS is browsed from then on, within the limits. */
static void
dns_subtype_want(const char *label, const char *type)
{
	struct proto_error err;

	if (browse_subtype_want(label, type, DNS_UID, &err) == -1)
		log_debug("dns: subtype %s of %s: %s", label, type,
		    err.message);
}

/* The answer context of the running agent. */
static void
dns_ctx(struct dns_answer_ctx *ctx, int tcp, int loopback)
{
	ctx->cache = dns.cache;
	ctx->domain = dns.conf->dns_domain;
	ctx->ttl = dns.conf->dns_ttl;
	ctx->tcp = tcp;
	ctx->loopback = loopback;
	ctx->subtype_want = dns_subtype_want;
}

static int
dns_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in  *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		return ((ntohl(sin->sin_addr.s_addr) >> 24) == 127);
	if (ss->ss_family == AF_INET6)
		return (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) &&
			sin6->sin6_addr.s6_addr[12] == 127));
	return (0);
}

static void
dns_udp_read(evutil_socket_t fd, short what, void *arg)
{
	struct dns_answer_ctx	ctx;
	struct sockaddr_storage ss;
	socklen_t		slen;
	unsigned char		buf[DNS_QUERY_MAX + 1], *out;
	size_t			outlen;
	ssize_t			n;
	int			i;

	for (i = 0; i < DNS_UDP_BURST; i++) {
		slen = sizeof(ss);
		n = recvfrom(fd, buf, sizeof(buf), MSG_TRUNC,
		    (struct sockaddr *)&ss, &slen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("%s: recvfrom", __func__);
			return;
		}
		dns.queries_udp++;
		dns_ctx(&ctx, 0, dns_loopback(&ss));
		/* MSG_TRUNC: n is the datagram's length, maybe > buf. */
		if (dns_answer(&ctx, buf,
			(size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf), &out,
			&outlen) == -1) {
			dns.dropped++;
			continue;
		}
		if (sendto(fd, out, outlen, MSG_DONTWAIT,
			(struct sockaddr *)&ss, slen) == -1)
			log_debug("dns: sendto: %s", strerror(errno));
		free(out);
	}
}

static void
dns_conn_free(struct dns_conn *dc)
{
	TAILQ_REMOVE(&dns.conns, dc, entry);
	dns.nconns--;
	bufferevent_free(dc->bev);
	free(dc);
}

/* Answer every whole query queued on a connection, while replies fit. */
static void
dns_tcp_read(struct bufferevent *bev, void *arg)
{
	struct dns_conn	     *dc = arg;
	struct evbuffer	     *in = bufferevent_get_input(bev);
	struct evbuffer	     *outb = bufferevent_get_output(bev);
	struct dns_answer_ctx ctx;
	unsigned char	      hdr[2], *q, *out;
	size_t		      len, outlen;

	while (evbuffer_get_length(outb) < DNS_TCP_OUTPUT_MAX) {
		if (evbuffer_copyout(in, hdr, 2) != 2)
			break;
		len = (size_t)hdr[0] << 8 | hdr[1];
		if (len < LDNS_HEADER_SIZE || len > DNS_QUERY_MAX) {
			log_debug("dns: tcp query of %zu bytes: closing", len);
			dns.dropped++;
			dns_conn_free(dc);
			return;
		}
		if (evbuffer_get_length(in) < 2 + len)
			break;
		evbuffer_drain(in, 2);
		q = xmalloc(len);
		evbuffer_remove(in, q, len);
		dns.queries_tcp++;
		dns_ctx(&ctx, 1, 1);
		if (dns_answer(&ctx, q, len, &out, &outlen) == 0) {
			hdr[0] = (unsigned char)(outlen >> 8);
			hdr[1] = (unsigned char)outlen;
			evbuffer_add(outb, hdr, 2);
			evbuffer_add(outb, out, outlen);
			free(out);
		} else
			dns.dropped++;
		free(q);
	}
	/* Replies pile up: read again once they are written. */
	if (evbuffer_get_length(outb) >= DNS_TCP_OUTPUT_MAX)
		bufferevent_disable(bev, EV_READ);
}

static void
dns_tcp_write(struct bufferevent *bev, void *arg)
{
	if (!(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		dns_tcp_read(bev, arg);
	}
}

static void
dns_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	dns_conn_free(arg); /* EOF, error or idle */
}

/* Stop (1) or resume (0) accepting TCP connections on every listener. */
static void
dns_accept_pause(int stop)
{
	struct timeval tv = { 1, 0 };
	size_t	       k;

	for (k = 0; k < dns.nfd; k++) {
		if (!dns.tcp[k])
			continue;
		if (stop)
			event_del(dns.ev[k]);
		else
			event_add(dns.ev[k], NULL);
	}
	if (stop)
		evtimer_add(dns.pause, &tv);
}

static void
dns_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	dns_accept_pause(0);
}

static void
dns_tcp_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval	 idle = { DNS_TCP_IDLE, 0 };
	struct dns_conn *dc;
	int		 fd, i;

	for (i = 0; i < DNS_UDP_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Stop accepting for a second, not spin. */
				log_warn("dns: accept");
				dns_accept_pause(1);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept", __func__);
			return;
		}
		if (dns.nconns >= dns.conf->dns_tcp_clients_max) {
			dns.tcp_refused++;
			close(fd);
			continue;
		}
		dc = xcalloc(1, sizeof(*dc));
		dc->bev = bufferevent_socket_new(dns.base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		if (dc->bev == NULL)
			fatalx("%s: bufferevent_socket_new", __func__);
		bufferevent_setcb(dc->bev, dns_tcp_read, dns_tcp_write,
		    dns_tcp_event, dc);
		bufferevent_set_timeouts(dc->bev, &idle, &idle);
		bufferevent_enable(dc->bev, EV_READ);
		TAILQ_INSERT_TAIL(&dns.conns, dc, entry);
		dns.nconns++;
	}
}

/* One socket of one listen address; -1 when it cannot be had. */
static int
dns_listen_one(const char *word, const struct sockaddr_storage *ss,
    unsigned int len, int tcp)
{
	int fd, on = 1;

	fd = socket(ss->ss_family,
	    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("dns: %s: socket", word);
		return (-1);
	}
	if ((tcp &&
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
		    -1) ||
	    (ss->ss_family == AF_INET6 &&
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) ==
		    -1) ||
	    bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    (tcp && listen(fd, 64) == -1)) {
		log_warn("dns: cannot listen on %s (%s)", word,
		    tcp ? "tcp" : "udp");
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Listen on [dns] listen: UDP and TCP on each address.  An address that
 * cannot be had (no IPv6 on this host, a port taken) is logged and
 * skipped: the agent's other answers do not depend on it.
 */
void
dns_init(struct event_base *base, const struct config *conf,
    struct cache *cache)
{
	struct sockaddr_storage ss;
	unsigned int		len;
	char		       *copy, *w, *save = NULL;
	int			tcp, fd;

	dns.base = base;
	dns.conf = conf;
	dns.cache = cache;
	if ((dns.pause = evtimer_new(base, dns_accept_resume, NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	if (conf->dns_listen == NULL)
		return;
	copy = xstrdup(conf->dns_listen);
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if (config_listen_parse(w, &ss, &len) == -1 ||
		    dns.nfd + 2 > sizeof(dns.fd) / sizeof(dns.fd[0]))
			continue;
		for (tcp = 0; tcp <= 1; tcp++) {
			if ((fd = dns_listen_one(w, &ss, len, tcp)) == -1)
				continue;
			dns.fd[dns.nfd] = fd;
			dns.tcp[dns.nfd] = tcp;
			dns.ev[dns.nfd] = event_new(base, fd,
			    EV_READ | EV_PERSIST,
			    tcp ? dns_tcp_accept : dns_udp_read, NULL);
			if (dns.ev[dns.nfd] == NULL ||
			    event_add(dns.ev[dns.nfd], NULL) == -1)
				fatalx("%s: event", __func__);
			dns.nfd++;
			if (tcp)
				log_info("dns: answering %s on %s (udp, tcp)",
				    conf->dns_domain, w);
		}
	}
	free(copy);
}

void
dns_shutdown(void)
{
	struct dns_conn *dc;

	while ((dc = TAILQ_FIRST(&dns.conns)) != NULL)
		dns_conn_free(dc);
	while (dns.nfd > 0) {
		dns.nfd--;
		event_free(dns.ev[dns.nfd]);
		close(dns.fd[dns.nfd]);
	}
	if (dns.pause != NULL)
		event_free(dns.pause);
	dns.pause = NULL;
}

struct json_object *
dns_status_json(void)
{
	static const char  *names[] = { "noerror", "formerr", "servfail",
		 "nxdomain", "notimp", "refused" };
	struct json_object *o = json_object_new_object(), *r;
	size_t		    k;

	json_object_object_add(o, "domain",
	    json_object_new_string(dns.conf != NULL ? dns.conf->dns_domain :
						      ""));
	json_object_object_add(o, "sockets", json_object_new_int((int)dns.nfd));
	json_object_object_add(o, "queries_udp",
	    json_object_new_int64((int64_t)dns.queries_udp));
	json_object_object_add(o, "queries_tcp",
	    json_object_new_int64((int64_t)dns.queries_tcp));
	r = json_object_new_object();
	for (k = 0; k < 6; k++)
		json_object_object_add(r, names[k],
		    json_object_new_int64((int64_t)dns.rcodes[k]));
	json_object_object_add(o, "rcodes", r);
	json_object_object_add(o, "nodata",
	    json_object_new_int64((int64_t)dns.nodata));
	json_object_object_add(o, "badvers",
	    json_object_new_int64((int64_t)dns.badvers));
	json_object_object_add(o, "truncated",
	    json_object_new_int64((int64_t)dns.truncated));
	json_object_object_add(o, "dropped",
	    json_object_new_int64((int64_t)dns.dropped));
	json_object_object_add(o, "tcp_clients",
	    json_object_new_int((int)dns.nconns));
	json_object_object_add(o, "tcp_refused",
	    json_object_new_int64((int64_t)dns.tcp_refused));
	return (o);
}
