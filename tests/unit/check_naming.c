/*
 * Names in the disco domain (naming.c) and the DNS answers built on them
 * (dns_answer in dns.c), against a cache filled by hand: queries are made
 * with ldns as a resolver would make them, and the replies read back.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <ldns/ldns.h>

#include "check_main.h"
#include "discod.h"

static struct cache c;

/* One resolved path of an instance. */
static struct instance *
add(const char *name, const char *type, const char *host, int ifindex,
    const char *addr, const char *txt)
{
	struct instance *i;
	struct txt	 t = { 0 };
	unsigned char	 a[16];
	const char	*why;
	int		 family, is_new;

	family = strchr(addr, ':') != NULL ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(family, addr, a), 1);
	if (txt != NULL)
		ck_assert_int_eq(txt_add(&t, (const unsigned char *)txt,
				     strlen(txt), &why),
		    0);
	i = cache_seen(&c, name, type, "local", ifindex, "eth0", family, 0,
	    &is_new);
	cache_resolved(&c, i, ifindex, family, host, 80, &t, a);
	txt_clear(&t);
	return (i);
}

/*
 * Two types.  h1 has Web One (IPv4, IPv6, link-local IPv6) and Web Three
 * (the same IPv4 address); Big's TXT is too large for plain UDP; Gone
 * stopped answering and Secret is hidden.
 */
static void
setup(void)
{
	struct instance *i;
	char		 big[201];
	struct txt	 t = { 0 };
	const char	*why;
	int		 k;

	log_init(1, 0);
	log_setverbose(-1);
	cache_init(&c, NULL);
	add("Web One", "_http._tcp", "h1.local", 2, "192.0.2.1", "path=/");
	add("Web One", "_http._tcp", "h1.local", 2, "2001:db8::1", "path=/");
	add("Web One", "_http._tcp", "h1.local", 3, "fe80::1", "path=/");
	add("Web.Two", "_http._tcp", "h2.local", 2, "192.0.2.2", NULL);
	add("Web Three", "_http._tcp", "h1.local", 2, "192.0.2.1", NULL);
	i = add("Big", "_http._tcp", "h6.local", 2, "192.0.2.6", NULL);
	for (k = 0; k < 10; k++) {
		memset(big, 'a' + k, 200);
		big[1] = '=';
		ck_assert_int_eq(txt_add(&t, (unsigned char *)big, 200, &why),
		    0);
	}
	cache_resolved(&c, i, 2, AF_INET, "h6.local", 80, &t, i->paths[0].addr);
	txt_clear(&t);
	add("Printer", "_ipp._tcp", "h3.local", 2, "192.0.2.3", NULL);
	i = add("Gone", "_ipp._tcp", "h4.local", 2, "192.0.2.4", NULL);
	cache_set_reachable(&c, i, 0);
	i = add("Secret", "_ipp._tcp", "h5.local", 2, "192.0.2.5", NULL);
	cache_set_hidden(&c, i, 1);
	add("Resolver", "_domain._udp", "h2.local", 2, "192.0.2.2", NULL);
}

static void
teardown(void)
{
	cache_destroy(&c);
}

/* naming_parse of a dotted name under domain; -2 when it does not split. */
static int
parse(const char *domain, const char *name, struct naming_query *q)
{
	struct naming_label l[NAMING_LABELS_MAX];
	size_t		    n;

	if (naming_split(name, l, NAMING_LABELS_MAX, &n) == -1)
		return (-2);
	return (naming_parse(domain, l, n, q));
}

static enum naming_kind
kind(const char *name)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco", name, &q), 0);
	return (q.kind);
}

/* A name of labels given one by one: they may hold dots. */
static int
parse_labels(const char *const *v, struct naming_query *q)
{
	struct naming_label l[8];
	size_t		    n;

	for (n = 0; v[n] != NULL; n++) {
		l[n].data = (const unsigned char *)v[n];
		l[n].len = strlen(v[n]);
	}
	return (naming_parse("disco", l, n, q));
}

START_TEST(test_naming_split_allows_one_final_dot)
{
	struct naming_label l[8];
	size_t		    n;

	ck_assert_int_eq(naming_split("a.bc.", l, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(l[1].len, 2);
	ck_assert_int_eq(memcmp(l[1].data, "bc", 2), 0);
	ck_assert_int_eq(naming_split("a.bc..", l, 8, &n), -1);
}
END_TEST

START_TEST(test_naming_split_rejects_empty_labels_and_names)
{
	struct naming_label l[8];
	size_t		    n;

	ck_assert_int_eq(naming_split("a..b", l, 8, &n), -1);
	ck_assert_int_eq(naming_split(".a", l, 8, &n), -1);
	ck_assert_int_eq(naming_split("", l, 8, &n), -1);
	ck_assert_int_eq(naming_split(".", l, 8, &n), -1);
	ck_assert_int_eq(naming_split("a.b.c", l, 2, &n), -1);
}
END_TEST

START_TEST(test_naming_split_takes_63_byte_labels_not_64)
{
	struct naming_label l[8];
	char		    name[80];
	size_t		    n;

	memset(name, 'x', 63);
	strlcpy(name + 63, ".disco", sizeof(name) - 63);
	ck_assert_int_eq(naming_split(name, l, 8, &n), 0);
	ck_assert_uint_eq(l[0].len, 63);
	memset(name, 'x', 64);
	strlcpy(name + 64, ".disco", sizeof(name) - 64);
	ck_assert_int_eq(naming_split(name, l, 8, &n), -1);
}
END_TEST

START_TEST(test_naming_split_takes_253_byte_names_not_254)
{
	struct naming_label l[8];
	char		    name[300];
	size_t		    n;

	/* 63.63.63.61: 253 bytes. */
	memset(name, 'x', 253);
	name[63] = name[127] = name[191] = '.';
	name[253] = '\0';
	ck_assert_int_eq(naming_split(name, l, 8, &n), 0);
	ck_assert_uint_eq(n, 4);
	name[253] = '.'; /* a final dot is not counted */
	name[254] = '\0';
	ck_assert_int_eq(naming_split(name, l, 8, &n), 0);
	name[253] = 'x'; /* 254 */
	ck_assert_int_eq(naming_split(name, l, 8, &n), -1);
}
END_TEST

START_TEST(test_naming_parse_knows_apex_and_empty_non_terminals)
{
	ck_assert_int_eq(kind("disco"), NAMING_APEX);
	ck_assert_int_eq(kind("disco."), NAMING_APEX);
	ck_assert_int_eq(kind("_tcp.disco"), NAMING_EMPTY);
	ck_assert_int_eq(kind("_udp.disco"), NAMING_EMPTY);
	ck_assert_int_eq(kind("service.disco"), NAMING_EMPTY);
	ck_assert_int_eq(kind("tcp.service.disco"), NAMING_EMPTY);
	ck_assert_int_eq(kind("udp.service.disco"), NAMING_EMPTY);
	ck_assert_int_eq(kind("_dns-sd._udp.disco"), NAMING_EMPTY);
	ck_assert_int_eq(kind("_sub._http._tcp.disco"), NAMING_EMPTY);
}
END_TEST

START_TEST(test_naming_parse_reads_hosts_types_and_subtypes)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco", "h1.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_HOST);
	ck_assert_str_eq(q.label, "h1");
	ck_assert_int_eq(parse("disco", "_http._tcp.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_TYPE);
	ck_assert_str_eq(q.type, "_http._tcp");
	ck_assert_int_eq(parse("disco", "_printer._sub._ipp._tcp.disco", &q),
	    0);
	ck_assert_int_eq(q.kind, NAMING_SUBTYPE);
	ck_assert_str_eq(q.label, "_printer");
	ck_assert_str_eq(q.type, "_ipp._tcp");
	ck_assert_int_eq(kind("_services._dns-sd._udp.disco"), NAMING_TYPES);
}
END_TEST

START_TEST(test_naming_parse_instance_label_may_hold_spaces_and_dots)
{
	const char *v[] = { "My Web.Site v2", "_http", "_tcp", "disco", NULL };
	struct naming_query q;

	ck_assert_int_eq(parse_labels(v, &q), 0);
	ck_assert_int_eq(q.kind, NAMING_INSTANCE);
	ck_assert_str_eq(q.name, "My Web.Site v2");
	ck_assert_str_eq(q.type, "_http._tcp");
}
END_TEST

START_TEST(test_naming_parse_service_names_default_to_tcp)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco", "http.service.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_SERVICE);
	ck_assert_str_eq(q.type, "_http._tcp");
	ck_assert_int_eq(parse("disco", "http.tcp.service.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_SERVICE);
	ck_assert_str_eq(q.type, "_http._tcp");
	ck_assert_int_eq(parse("disco", "domain.udp.service.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_SERVICE);
	ck_assert_str_eq(q.type, "_domain._udp");
}
END_TEST

START_TEST(test_naming_parse_takes_a_domain_of_several_labels)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco.example", "disco.example", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_APEX);
	ck_assert_int_eq(parse("disco.example", "_http._tcp.disco.example", &q),
	    0);
	ck_assert_int_eq(q.kind, NAMING_TYPE);
	ck_assert_int_eq(parse("disco.example", "h1.disco.example.", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_HOST);
	ck_assert_int_eq(parse("disco.example", "_http._tcp.disco", &q), -1);
	ck_assert_int_eq(parse("disco.example", "example", &q), -1);
}
END_TEST

/* RFC 4343: DNS names compare without regard to case. */
START_TEST(test_naming_parse_ignores_case)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco", "DISCO", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_APEX);
	ck_assert_int_eq(parse("disco", "_HTTP._TCP.Disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_TYPE);
	ck_assert_int_eq(parse("disco", "HTTP.Service.DISCO", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_SERVICE);
	ck_assert_int_eq(parse("disco", "Domain.UDP.Service.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_SERVICE);
	ck_assert_int_eq(strcasecmp(q.type, "_domain._udp"), 0);
	ck_assert_int_eq(parse("disco", "_Services._DNS-SD._UDP.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_TYPES);
	ck_assert_int_eq(parse("disco", "_TCP.disco", &q), 0);
	ck_assert_int_eq(q.kind, NAMING_EMPTY);
}
END_TEST

START_TEST(test_naming_parse_refuses_names_outside_the_domain)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco", "example.com", &q), -1);
	ck_assert_int_eq(parse("disco", "disco.com", &q), -1);
	ck_assert_int_eq(parse("disco", "xdisco", &q), -1);
	ck_assert_int_eq(parse("disco", "com", &q), -1);
}
END_TEST

START_TEST(test_naming_parse_invalid_types_are_no_name)
{
	ck_assert_int_eq(kind("_http._sctp.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("_waytoolongservicename._tcp.disco"),
	    NAMING_NONE);
	ck_assert_int_eq(kind("_-http._tcp.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("_123._tcp.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("http._tcp.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("_http.service.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("http.sctp.service.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("_host.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("printer._sub._ipp._tcp.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("a.b.c.d.e.disco"), NAMING_NONE);
	ck_assert_int_eq(kind("Name._bad_._tcp.disco"), NAMING_NONE);
}
END_TEST

static struct naming_query
query(const char *name)
{
	struct naming_query q;

	ck_assert_int_eq(parse("disco", name, &q), 0);
	return (q);
}

static int
exists(const char *name)
{
	struct naming_query q = query(name);

	return (naming_exists(&c, &q));
}

START_TEST(test_naming_exists_only_for_usable_instances)
{
	const char	   *v[] = { "Web One", "_http", "_tcp", "disco", NULL };
	struct naming_query q;

	ck_assert(exists("disco"));
	ck_assert(exists("_tcp.disco"));
	ck_assert(exists("_services._dns-sd._udp.disco"));
	ck_assert(exists("_http._tcp.disco"));
	ck_assert(exists("http.service.disco"));
	ck_assert(exists("h1.disco"));
	ck_assert(!exists("_ftp._tcp.disco"));
	ck_assert(!exists("nosuch.disco"));
	ck_assert(!exists("_host.disco"));
	/* Unreachable and hidden: as if gone. */
	ck_assert(!exists("h4.disco"));
	ck_assert(!exists("h5.disco"));
	ck_assert_int_eq(parse_labels(v, &q), 0);
	ck_assert(naming_exists(&c, &q));
	v[0] = "Gone";
	v[1] = "_ipp";
	ck_assert_int_eq(parse_labels(v, &q), 0);
	ck_assert(!naming_exists(&c, &q));
	v[0] = "Secret";
	ck_assert_int_eq(parse_labels(v, &q), 0);
	ck_assert(!naming_exists(&c, &q));
}
END_TEST

START_TEST(test_naming_instances_leave_out_unreachable_and_hidden)
{
	struct naming_query q = query("_ipp._tcp.disco");
	struct instance	  **v;
	size_t		    n;

	n = naming_instances(&c, &q, &v);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->name, "Printer");
	free(v);
	q = query("_http._tcp.disco");
	n = naming_instances(&c, &q, &v);
	ck_assert_uint_eq(n, 4);
	free(v);
}
END_TEST

START_TEST(test_naming_instances_list_each_type_once)
{
	struct naming_query q = query("_services._dns-sd._udp.disco");
	struct instance	  **v;
	size_t		    n;

	n = naming_instances(&c, &q, &v);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(v[0]->type, "_domain._udp");
	ck_assert_str_eq(v[1]->type, "_http._tcp");
	ck_assert_str_eq(v[2]->type, "_ipp._tcp");
	free(v);
}
END_TEST

START_TEST(test_naming_instances_of_a_host_and_one_instance)
{
	const char *name[] = { "web one", "_HTTP", "_tcp", "disco", NULL };
	struct naming_query q = query("h1.disco");
	struct instance	  **v;
	size_t		    n;

	n = naming_instances(&c, &q, &v);
	ck_assert_uint_eq(n, 2); /* Web One, Web Three */
	free(v);
	ck_assert_int_eq(parse_labels(name, &q), 0);
	n = naming_instances(&c, &q, &v);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(v[0]->name, "Web One");
	free(v);
}
END_TEST

START_TEST(test_naming_host_label_drops_the_browse_domain)
{
	struct instance i = { .host = (char *)"h1.local",
		.domain = (char *)"local" };
	char		h[NAMING_LABEL_MAX + 1];

	naming_host_label(&i, h, sizeof(h));
	ck_assert_str_eq(h, "h1");
	i.host = (char *)"H1.LOCAL";
	naming_host_label(&i, h, sizeof(h));
	ck_assert_str_eq(h, "H1");
	i.host = (char *)"h1.example.org";
	naming_host_label(&i, h, sizeof(h));
	ck_assert_str_eq(h, "h1");
	i.host = (char *)"h1";
	naming_host_label(&i, h, sizeof(h));
	ck_assert_str_eq(h, "h1");
}
END_TEST

static int
has_addr(const struct naming_addr *a, size_t n, const char *text)
{
	unsigned char b[16];
	int	      family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
	size_t	      k;

	inet_pton(family, text, b);
	for (k = 0; k < n; k++)
		if (a[k].family == family &&
		    memcmp(a[k].addr, b, family == AF_INET ? 4 : 16) == 0)
			return (1);
	return (0);
}

START_TEST(test_naming_addresses_of_a_service_each_once_by_family)
{
	struct naming_query q = query("http.service.disco");
	struct naming_addr  a[16];
	size_t		    n;

	n = naming_addresses(&c, &q, AF_INET, 0, a, 16);
	ck_assert_uint_eq(n, 3); /* 192.0.2.1 of two instances, once */
	ck_assert(has_addr(a, n, "192.0.2.1") && has_addr(a, n, "192.0.2.2") &&
	    has_addr(a, n, "192.0.2.6"));
	n = naming_addresses(&c, &q, AF_INET6, 0, a, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert(has_addr(a, n, "2001:db8::1"));
	n = naming_addresses(&c, &q, 0, 0, a, 16);
	ck_assert_uint_eq(n, 4);
	n = naming_addresses(&c, &q, AF_INET, 0, a, 2);
	ck_assert_uint_eq(n, 2);
}
END_TEST

START_TEST(test_naming_addresses_link_local_only_when_scoped)
{
	struct naming_query q = query("h1.disco");
	struct naming_addr  a[16];
	size_t		    n, k;

	n = naming_addresses(&c, &q, AF_INET6, 0, a, 16);
	ck_assert_uint_eq(n, 1);
	ck_assert(!has_addr(a, n, "fe80::1"));
	n = naming_addresses(&c, &q, AF_INET6, 1, a, 16);
	ck_assert_uint_eq(n, 2);
	ck_assert(has_addr(a, n, "fe80::1"));
	for (k = 0; k < n; k++)
		if (has_addr(&a[k], 1, "fe80::1"))
			ck_assert_int_eq(a[k].ifindex, 3);
	n = naming_addresses(&c, &q, AF_INET, 1, a, 16);
	ck_assert_uint_eq(n, 1); /* two instances, one address */
}
END_TEST

START_TEST(test_naming_addresses_leave_out_unreachable_and_hidden)
{
	struct naming_query q = query("ipp.service.disco");
	struct naming_addr  a[16];

	ck_assert_uint_eq(naming_addresses(&c, &q, 0, 1, a, 16), 1);
	ck_assert(has_addr(a, 1, "192.0.2.3"));
	q = query("h4.disco");
	ck_assert_uint_eq(naming_addresses(&c, &q, 0, 1, a, 16), 0);
	q = query("_ipp._tcp.disco"); /* a type has no addresses */
	ck_assert_uint_eq(naming_addresses(&c, &q, 0, 1, a, 16), 0);
}
END_TEST

/* An address the prober gets no answer at (its host answers at another). */
START_TEST(test_naming_addresses_leave_out_silent_addresses)
{
	struct naming_query q = query("h1.disco");
	struct naming_addr  a[16];
	struct instance *i = cache_find(&c, "Web One", "_http._tcp", "local");
	size_t		 n, k;

	ck_assert_ptr_nonnull(i);
	for (k = 0; k < i->npaths && i->paths[k].family != AF_INET6; k++)
		;
	ck_assert_uint_lt(k, i->npaths);
	cache_set_path_silent(&c, i, k, 1);
	n = naming_addresses(&c, &q, AF_INET6, 1, a, 16);
	ck_assert(!has_addr(a, n, "2001:db8::1"));
	ck_assert(has_addr(a, n, "fe80::1"));
	q = query("http.service.disco");
	ck_assert_uint_eq(naming_addresses(&c, &q, AF_INET6, 0, a, 16), 0);
	cache_set_path_silent(&c, i, k, 0);
	ck_assert_uint_eq(naming_addresses(&c, &q, AF_INET6, 0, a, 16), 1);
}
END_TEST

/* dns_answer end to end: queries made and replies read by ldns. */

static struct dns_answer_ctx ctx;

static void
dns_setup(void)
{
	setup();
	memset(&ctx, 0, sizeof(ctx));
	ctx.cache = &c;
	ctx.domain = "disco";
	ctx.ttl = 5;
	ctx.loopback = 1;
}

/* The wire form of a query; edns: -1 none, else its version. */
static unsigned char *
make_query(const char *name, ldns_rr_type type, int edns, size_t *len)
{
	ldns_pkt *p;
	uint8_t	 *w;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, type,
			     LDNS_RR_CLASS_IN, LDNS_RD),
	    LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0x1234);
	if (edns >= 0) {
		ldns_pkt_set_edns_udp_size(p, 1232);
		ldns_pkt_set_edns_version(p, (uint8_t)edns);
	}
	ck_assert_int_eq(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return (w);
}

/* Ask, and parse the reply (which must echo the id). */
static ldns_pkt *
ask_edns(const char *name, ldns_rr_type type, int edns, size_t *replylen)
{
	unsigned char *q, *out;
	size_t	       qlen, outlen;
	ldns_pkt      *r;

	q = make_query(name, type, edns, &qlen);
	ck_assert_int_eq(dns_answer(&ctx, q, qlen, &out, &outlen), 0);
	ck_assert_int_eq(ldns_wire2pkt(&r, out, outlen), LDNS_STATUS_OK);
	ck_assert(ldns_pkt_qr(r));
	ck_assert_uint_eq(ldns_pkt_id(r), 0x1234);
	if (replylen != NULL)
		*replylen = outlen;
	free(q);
	free(out);
	return (r);
}

static ldns_pkt *
ask(const char *name, ldns_rr_type type)
{
	return (ask_edns(name, type, -1, NULL));
}

/* The number of records of a type in a section. */
static size_t
count(const ldns_pkt *p, ldns_pkt_section s, ldns_rr_type type)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(p, s);
	size_t	      k, n = 0;

	for (k = 0; k < ldns_rr_list_rr_count(l); k++)
		if (ldns_rr_get_type(ldns_rr_list_rr(l, k)) == type)
			n++;
	ldns_rr_list_deep_free(l);
	return (n);
}

START_TEST(test_dns_unknown_name_is_nxdomain_with_the_soa)
{
	ldns_pkt *r = ask("nosuch.disco.", LDNS_RR_TYPE_A);

	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	ck_assert(ldns_pkt_aa(r));
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ck_assert_uint_eq(count(r, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA),
	    1);
	ldns_pkt_free(r);
	r = ask("h4.disco.", LDNS_RR_TYPE_A); /* unreachable only */
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_name_without_that_type_is_nodata_with_the_soa)
{
	ldns_pkt *r = ask("_http._tcp.disco.", LDNS_RR_TYPE_A);

	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ck_assert_uint_eq(count(r, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA),
	    1);
	ldns_pkt_free(r);
	r = ask("_tcp.disco.", LDNS_RR_TYPE_PTR); /* empty non-terminal */
	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ck_assert_uint_eq(count(r, LDNS_SECTION_AUTHORITY, LDNS_RR_TYPE_SOA),
	    1);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_name_outside_the_domain_is_refused)
{
	ldns_pkt *r = ask("example.com.", LDNS_RR_TYPE_A);

	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ck_assert(!ldns_pkt_aa(r));
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_garbage_is_formerr_and_a_reply_is_not_answered)
{
	/* A header that promises a question, then bytes that are none. */
	unsigned char  q[] = { 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
		 0x00, 0x00, 0x00, 0x00, 0x3f, 'x', 'y' };
	unsigned char *out;
	size_t	       outlen;

	ck_assert_int_eq(dns_answer(&ctx, q, sizeof(q), &out, &outlen), 0);
	ck_assert_uint_eq(outlen, 12);
	ck_assert_int_eq(out[0], 0xab);
	ck_assert_int_eq(out[1], 0xcd);
	ck_assert(out[2] & 0x80);
	ck_assert_int_eq(out[3] & 0x0f, LDNS_RCODE_FORMERR);
	free(out);
	ck_assert_int_eq(dns_answer(&ctx, q, 5, &out, &outlen), -1);
	q[2] |= 0x80; /* QR: a reply, never answered */
	ck_assert_int_eq(dns_answer(&ctx, q, sizeof(q), &out, &outlen), -1);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_dns_edns_version_1_is_badvers)
{
	ldns_pkt *r = ask_edns("http.service.disco.", LDNS_RR_TYPE_A, 1, NULL);

	ck_assert(ldns_pkt_edns(r));
	ck_assert_int_eq(ldns_pkt_edns_extended_rcode(r), 1); /* 16: BADVERS */
	ck_assert_int_eq(ldns_pkt_get_rcode(r), 0);
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	r = ask_edns("http.service.disco.", LDNS_RR_TYPE_A, 0, NULL);
	ck_assert(ldns_pkt_edns(r));
	ck_assert_int_eq(ldns_pkt_edns_extended_rcode(r), 0);
	ck_assert_uint_eq(ldns_pkt_ancount(r), 3);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_udp_answer_too_big_sets_tc_and_tcp_carries_it)
{
	size_t	  len;
	ldns_pkt *r = ask_edns("Big._http._tcp.disco.", LDNS_RR_TYPE_TXT, -1,
	    &len);

	ck_assert(ldns_pkt_tc(r));
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ck_assert_uint_le(len, 512);
	ldns_pkt_free(r);
	/* EDNS0 lets 1232 bytes through: still too few for 2 KB. */
	r = ask_edns("Big._http._tcp.disco.", LDNS_RR_TYPE_TXT, 0, &len);
	ck_assert(ldns_pkt_tc(r));
	ldns_pkt_free(r);
	ctx.tcp = 1;
	r = ask_edns("Big._http._tcp.disco.", LDNS_RR_TYPE_TXT, -1, &len);
	ck_assert(!ldns_pkt_tc(r));
	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT), 1);
	ck_assert_uint_gt(len, 2000);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_udp_reply_to_another_host_is_at_most_three_queries)
{
	size_t	  qlen, len;
	uint8_t	 *q = make_query("_http._tcp.disco.", LDNS_RR_TYPE_PTR, -1,
	     &qlen);
	ldns_pkt *r;

	free(q);
	ctx.loopback = 0;
	r = ask_edns("_http._tcp.disco.", LDNS_RR_TYPE_PTR, -1, &len);
	ck_assert_uint_le(len, 3 * qlen);
	ldns_pkt_free(r);
	r = ask_edns("h1.disco.", LDNS_RR_TYPE_A, -1, &len);
	ck_assert(!ldns_pkt_tc(r));
	ck_assert_uint_eq(ldns_pkt_ancount(r), 1);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_srv_target_addresses_are_added_once)
{
	ldns_pkt     *r = ask("http.service.disco.", LDNS_RR_TYPE_SRV);
	ldns_rr_list *add;
	ldns_rdf     *h1;
	size_t	      k, a = 0, aaaa = 0;

	ck_assert_int_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_SRV), 4);
	ck_assert_int_eq(ldns_str2rdf_dname(&h1, "h1.disco."), LDNS_STATUS_OK);
	add = ldns_pkt_additional(r);
	for (k = 0; k < ldns_rr_list_rr_count(add); k++) {
		if (ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(add, k)),
			h1) != 0)
			continue;
		if (ldns_rr_get_type(ldns_rr_list_rr(add, k)) == LDNS_RR_TYPE_A)
			a++;
		else if (ldns_rr_get_type(ldns_rr_list_rr(add, k)) ==
		    LDNS_RR_TYPE_AAAA)
			aaaa++;
	}
	/* Web One and Web Three share 192.0.2.1; fe80::1 has no scope. */
	ck_assert_uint_eq(a, 1);
	ck_assert_uint_eq(aaaa, 1);
	ldns_rdf_deep_free(h1);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_ptr_names_keep_a_dot_inside_the_instance_label)
{
	ldns_pkt      *r = ask("_http._tcp.disco.", LDNS_RR_TYPE_PTR);
	ldns_rr_list  *an = ldns_pkt_answer(r);
	const uint8_t *d;
	size_t	       k, found = 0;

	ck_assert_uint_eq(ldns_rr_list_rr_count(an), 4);
	for (k = 0; k < ldns_rr_list_rr_count(an); k++) {
		d = ldns_rdf_data(ldns_rr_rdf(ldns_rr_list_rr(an, k), 0));
		if (d[0] == 7 && memcmp(d + 1, "Web.Two", 7) == 0)
			found++;
	}
	ck_assert_uint_eq(found, 1);
	ldns_pkt_free(r);
}
END_TEST

START_TEST(test_dns_addresses_and_any_are_answered)
{
	ldns_pkt *r = ask("HTTP.SERVICE.DISCO.", LDNS_RR_TYPE_A);

	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_A), 3);
	ldns_pkt_free(r);
	r = ask("h1.disco.", LDNS_RR_TYPE_AAAA);
	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_AAAA), 1);
	ldns_pkt_free(r);
	r = ask("Web\\ One._http._tcp.disco.", LDNS_RR_TYPE_TXT);
	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_TXT), 1);
	ldns_pkt_free(r);
	r = ask("disco.", LDNS_RR_TYPE_SOA);
	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_SOA), 1);
	ldns_pkt_free(r);
	/* RFC 8482: a small HINFO rather than everything. */
	r = ask("_http._tcp.disco.", LDNS_RR_TYPE_ANY);
	ck_assert_uint_eq(ldns_pkt_ancount(r), 1);
	ck_assert_uint_eq(count(r, LDNS_SECTION_ANSWER, LDNS_RR_TYPE_HINFO), 1);
	ldns_pkt_free(r);
}
END_TEST

/* Many instances of _bk._tcp on one host, each with its own address. */
static void
add_many(int n)
{
	struct instance *i;
	struct txt	 t = { 0 };
	unsigned char	 a[4] = { 10, 0, 0, 0 };
	char		 name[32];
	int		 k, is_new;

	for (k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "bk-%d", k);
		a[2] = (unsigned char)(k >> 8);
		a[3] = (unsigned char)k;
		i = cache_seen(&c, name, "_bk._tcp", "local", 2, "eth0",
		    AF_INET, 0, &is_new);
		cache_resolved(&c, i, 2, AF_INET, "many.local", 80, &t, a);
	}
}

/*
 * Thousands of SRV records of one host: the additional section is
 * bounded (no quadratic search for duplicates: seconds of a stalled
 * loop before), and over TCP the answers that fit in 64 KiB go out
 * rather than an empty TC reply no client can retry.
 */
START_TEST(test_dns_many_instances_over_tcp_answer_what_fits_quickly)
{
	struct timespec t0, t1;
	ldns_pkt       *r;
	size_t		len;

	add_many(5000);
	ctx.tcp = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = ask_edns("bk.service.disco.", LDNS_RR_TYPE_SRV, -1, &len);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_le((t1.tv_sec - t0.tv_sec) * 1000 +
		(t1.tv_nsec - t0.tv_nsec) / 1000000,
	    1000);
	ck_assert(!ldns_pkt_tc(r));
	ck_assert_uint_gt(ldns_pkt_ancount(r), 1000);
	ck_assert_uint_le(ldns_pkt_arcount(r), 64);
	ck_assert_uint_le(len, 65535);
	ldns_pkt_free(r);
	r = ask_edns("many.disco.", LDNS_RR_TYPE_A, -1, &len);
	ck_assert(!ldns_pkt_tc(r));
	ck_assert_uint_gt(ldns_pkt_ancount(r), 3000);
	ck_assert_uint_le(len, 65535);
	ldns_pkt_free(r);
	/* Over UDP: TC, so that the client asks again over TCP. */
	ctx.tcp = 0;
	r = ask_edns("many.disco.", LDNS_RR_TYPE_A, 0, &len);
	ck_assert(ldns_pkt_tc(r));
	ck_assert_uint_eq(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
}
END_TEST

static Suite *
naming_suite(void)
{
	Suite *s = suite_create("naming");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_naming_split_allows_one_final_dot);
	tcase_add_test(tc, test_naming_split_rejects_empty_labels_and_names);
	tcase_add_test(tc, test_naming_split_takes_63_byte_labels_not_64);
	tcase_add_test(tc, test_naming_split_takes_253_byte_names_not_254);
	tcase_add_test(tc,
	    test_naming_parse_knows_apex_and_empty_non_terminals);
	tcase_add_test(tc, test_naming_parse_reads_hosts_types_and_subtypes);
	tcase_add_test(tc,
	    test_naming_parse_instance_label_may_hold_spaces_and_dots);
	tcase_add_test(tc, test_naming_parse_service_names_default_to_tcp);
	tcase_add_test(tc, test_naming_parse_takes_a_domain_of_several_labels);
	tcase_add_test(tc, test_naming_parse_ignores_case);
	tcase_add_test(tc, test_naming_parse_refuses_names_outside_the_domain);
	tcase_add_test(tc, test_naming_parse_invalid_types_are_no_name);
	tcase_add_test(tc, test_naming_host_label_drops_the_browse_domain);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_naming_exists_only_for_usable_instances);
	tcase_add_test(tc,
	    test_naming_instances_leave_out_unreachable_and_hidden);
	tcase_add_test(tc, test_naming_instances_list_each_type_once);
	tcase_add_test(tc, test_naming_instances_of_a_host_and_one_instance);
	tcase_add_test(tc,
	    test_naming_addresses_of_a_service_each_once_by_family);
	tcase_add_test(tc, test_naming_addresses_link_local_only_when_scoped);
	tcase_add_test(tc,
	    test_naming_addresses_leave_out_unreachable_and_hidden);
	suite_add_tcase(s, tc);

	tc = tcase_create("dns");
	tcase_add_checked_fixture(tc, dns_setup, teardown);
	tcase_add_test(tc, test_dns_unknown_name_is_nxdomain_with_the_soa);
	tcase_add_test(tc,
	    test_dns_name_without_that_type_is_nodata_with_the_soa);
	tcase_add_test(tc, test_dns_name_outside_the_domain_is_refused);
	tcase_add_test(tc,
	    test_dns_garbage_is_formerr_and_a_reply_is_not_answered);
	tcase_add_test(tc, test_dns_edns_version_1_is_badvers);
	tcase_add_test(tc,
	    test_dns_udp_answer_too_big_sets_tc_and_tcp_carries_it);
	tcase_add_test(tc,
	    test_dns_udp_reply_to_another_host_is_at_most_three_queries);
	tcase_add_test(tc, test_dns_srv_target_addresses_are_added_once);
	tcase_add_test(tc,
	    test_dns_ptr_names_keep_a_dot_inside_the_instance_label);
	tcase_add_test(tc, test_dns_addresses_and_any_are_answered);
	tcase_add_test(tc, test_naming_addresses_leave_out_silent_addresses);
	tcase_add_test(tc,
	    test_dns_many_instances_over_tcp_answer_what_fits_quickly);
	suite_add_tcase(s, tc);
	return (s);
}

CHECK_MAIN(naming_suite)
