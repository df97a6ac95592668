/*
 * Names in the disco domain: what the DNS interface and the lookup verb
 * (the NSS module's) answer, from the cache only.  Both go through here,
 * so the two can never disagree.
 *
 * Under the domain D (default "disco"):
 *   D                          the apex: SOA
 *   _services._dns-sd._udp.D   PTR to every type (RFC 6763 section 9)
 *   _http._tcp.D               PTR to its instances; SRV of each (RFC 2782)
 *   _printer._sub._http._tcp.D PTR to the instances of a subtype
 *   Name._http._tcp.D          SRV and TXT of one instance
 *   http.service.D             the addresses of the instances of _http._tcp
 *   http.udp.service.D         the same for _http._udp (tcp. is allowed)
 *   host.D                     a peer's addresses (host.local on mDNS)
 * Empty non-terminals (_tcp.D, service.D, ...) exist with no records.
 *
 * An instance is answered only when resolved, not hidden and reachable:
 * one whose check fails is withdrawn by its host and so never here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discod.h"

static int
naming_label_is(const struct naming_label *l, const char *s)
{
	return (l->len == strlen(s) &&
	    strncasecmp((const char *)l->data, s, l->len) == 0);
}

/* A label copied out as a C string; -1 when it holds a NUL or is long. */
static int
naming_label_copy(const struct naming_label *l, char *out, size_t size)
{
	if (l->len == 0 || l->len >= size ||
	    memchr(l->data, '\0', l->len) != NULL)
		return (-1);
	memcpy(out, l->data, l->len);
	out[l->len] = '\0';
	return (0);
}

/*
 * "_http" and "_tcp": the type "_http._tcp" when it is a valid one, in
 * lower case: DNS names compare without regard to case (RFC 4343), and
 * the type's rules (service_type_invalid) want "._tcp" as written.
 */
static int
naming_type(const struct naming_label *svc, const struct naming_label *proto,
    int underscored, char *out, size_t size)
{
	char   name[64], pr[8];
	size_t k;

	if (naming_label_copy(svc, name, sizeof(name)) == -1 ||
	    naming_label_copy(proto, pr, sizeof(pr)) == -1)
		return (-1);
	for (k = 0; name[k] != '\0'; k++)
		name[k] = (char)tolower((unsigned char)name[k]);
	for (k = 0; pr[k] != '\0'; k++)
		pr[k] = (char)tolower((unsigned char)pr[k]);
	if (underscored)
		snprintf(out, size, "%s.%s", name, pr);
	else if (name[0] == '_')
		return (-1);
	else
		snprintf(out, size, "_%s._%s", name, pr);
	return (service_type_invalid(out) == NULL ? 0 : -1);
}

/*
 * Split a dotted name (no escapes: host and service names have none)
 * into labels.  A final dot is allowed.  -1 for an empty label or a name
 * longer than DNS allows.
 */
int
naming_split(const char *name, struct naming_label *l, size_t max, size_t *n)
{
	const char *p = name, *dot;
	size_t	    len = strlen(name);

	*n = 0;
	if (len > 0 && name[len - 1] == '.')
		len--;
	/* Past the final dot, another is an empty last label: "a.b..". */
	if (len == 0 || len > 253 || name[len - 1] == '.')
		return (-1);
	while (p < name + len) {
		if ((dot = memchr(p, '.', (size_t)(name + len - p))) == NULL)
			dot = name + len;
		if (dot == p || dot - p > 63 || *n == max)
			return (-1);
		l[*n].data = (const unsigned char *)p;
		l[*n].len = (size_t)(dot - p);
		(*n)++;
		p = dot + 1;
	}
	return (0);
}

/*
 * What a name asks for.  Returns 0 with q filled in (kind NAMING_NONE for
 * a name in the domain that cannot exist), -1 for a name outside it.
 */
int
naming_parse(const char *domain, const struct naming_label *l, size_t n,
    struct naming_query *q)
{
	struct naming_label d[DNS_DOMAIN_MAX / 2 + 1];
	size_t		    nd, k, rel;
	char		    dl[64];

	memset(q, 0, sizeof(*q));
	q->kind = NAMING_NONE;
	if (naming_split(domain, d, sizeof(d) / sizeof(d[0]), &nd) == -1 ||
	    n < nd)
		return (-1);
	rel = n - nd;
	for (k = 0; k < nd; k++) {
		if (naming_label_copy(&d[k], dl, sizeof(dl)) == -1 ||
		    !naming_label_is(&l[rel + k], dl))
			return (-1);
	}
	switch (rel) {
	case 0:
		q->kind = NAMING_APEX;
		break;
	case 1:
		if (naming_label_is(&l[0], "_tcp") ||
		    naming_label_is(&l[0], "_udp") ||
		    naming_label_is(&l[0], "service"))
			q->kind = NAMING_EMPTY;
		else if (l[0].data[0] != '_' &&
		    naming_label_copy(&l[0], q->label, sizeof(q->label)) == 0)
			q->kind = NAMING_HOST;
		break;
	case 2:
		if (naming_label_is(&l[1], "service")) {
			if (naming_label_is(&l[0], "tcp") ||
			    naming_label_is(&l[0], "udp"))
				q->kind = NAMING_EMPTY;
			else if (naming_type(&l[0],
				     &(struct naming_label){
					 (const unsigned char *)"tcp", 3 },
				     0, q->type, sizeof(q->type)) == 0)
				q->kind = NAMING_SERVICE;
		} else if (naming_label_is(&l[0], "_dns-sd") &&
		    naming_label_is(&l[1], "_udp"))
			q->kind = NAMING_EMPTY;
		else if (naming_type(&l[0], &l[1], 1, q->type,
			     sizeof(q->type)) == 0)
			q->kind = NAMING_TYPE;
		break;
	case 3:
		if (naming_label_is(&l[2], "service")) {
			if ((naming_label_is(&l[1], "tcp") ||
				naming_label_is(&l[1], "udp")) &&
			    naming_type(&l[0], &l[1], 0, q->type,
				sizeof(q->type)) == 0)
				q->kind = NAMING_SERVICE;
		} else if (naming_label_is(&l[0], "_services") &&
		    naming_label_is(&l[1], "_dns-sd") &&
		    naming_label_is(&l[2], "_udp"))
			q->kind = NAMING_TYPES;
		else if (naming_type(&l[1], &l[2], 1, q->type,
			     sizeof(q->type)) == -1)
			break;
		else if (naming_label_is(&l[0], "_sub"))
			q->kind = NAMING_EMPTY;
		else if (naming_label_copy(&l[0], q->name, sizeof(q->name)) ==
		    0)
			q->kind = NAMING_INSTANCE;
		break;
	case 4:
		if (naming_label_is(&l[1], "_sub") && l[0].data[0] == '_' &&
		    naming_label_copy(&l[0], q->label, sizeof(q->label)) == 0 &&
		    service_subtype_invalid(q->label) == NULL &&
		    naming_type(&l[2], &l[3], 1, q->type, sizeof(q->type)) == 0)
			q->kind = NAMING_SUBTYPE;
		break;
	}
	return (0);
}

/* An instance the names answer for. */
static int
naming_usable(const struct instance *i)
{
	return (i->resolved && !i->hidden && !i->unreachable);
}

/* The peer's host label: "b" for "b.local" (its browse domain). */
void
naming_host_label(const struct instance *i, char *out, size_t size)
{
	size_t hl = strlen(i->host), dl = strlen(i->domain);
	size_t len = hl;

	if (hl > dl + 1 && i->host[hl - dl - 1] == '.' &&
	    strcasecmp(i->host + hl - dl, i->domain) == 0)
		len = hl - dl - 1;
	else if (strchr(i->host, '.') != NULL)
		len = (size_t)(strchr(i->host, '.') - i->host);
	if (len >= size)
		len = size - 1;
	memcpy(out, i->host, len);
	out[len] = '\0';
}

static size_t naming_collect(struct cache *, const struct naming_query *,
    struct instance ***, int);

static int
naming_host_is(const struct instance *i, const char *label)
{
	char h[NAMING_LABEL_MAX + 1];

	naming_host_label(i, h, sizeof(h));
	return (strcasecmp(h, label) == 0);
}

/*
 * The instances a name stands for: a type's, a subtype's, one instance,
 * a service name's (in the order RFC 2782 says to try them: by priority,
 * then weighted random), or those on a host.  The array is the caller's
 * to free.
 */
size_t
naming_instances(struct cache *c, const struct naming_query *q,
    struct instance ***out)
{
	size_t n;

	n = naming_collect(c, q, out, 0);
	if (q->kind == NAMING_SERVICE)
		policy_order(*out, n, arc4random);
	return (n);
}

/* The instances of naming_instances(), unordered; only one when first. */
static size_t
naming_collect(struct cache *c, const struct naming_query *q,
    struct instance ***out, int first)
{
	struct instance **v = NULL, *i;
	size_t		  n = 0, size = 0;

	*out = NULL;
	switch (q->kind) {
	case NAMING_TYPE:
	case NAMING_SUBTYPE:
	case NAMING_INSTANCE:
	case NAMING_SERVICE:
		i = cache_first_of_type(c, q->type);
		break;
	case NAMING_HOST:
	case NAMING_TYPES:
		i = cache_first_of_type(c, NULL);
		break;
	default:
		return (0);
	}
	for (; i != NULL; i = cache_next(c, i)) {
		if (q->kind != NAMING_HOST && q->kind != NAMING_TYPES &&
		    strcasecmp(i->type, q->type) != 0)
			break;
		if (!naming_usable(i))
			continue;
		if ((q->kind == NAMING_SUBTYPE &&
			!browse_has_subtype(i, q->label)) ||
		    (q->kind == NAMING_INSTANCE &&
			strcasecmp(i->name, q->name) != 0) ||
		    (q->kind == NAMING_HOST && !naming_host_is(i, q->label)))
			continue;
		/* Types: the first instance of each stands for it. */
		if (q->kind == NAMING_TYPES && n > 0 &&
		    strcasecmp(v[n - 1]->type, i->type) == 0)
			continue;
		if (n == size) {
			size = size == 0 ? 16 : size * 2;
			v = xreallocarray(v, size, sizeof(*v));
		}
		v[n++] = i;
		if (q->kind == NAMING_INSTANCE || first)
			break;
	}
	*out = v;
	return (n);
}

/* Does the name exist (NODATA rather than NXDOMAIN when it has no data)? */
int
naming_exists(struct cache *c, const struct naming_query *q)
{
	struct instance **v;
	size_t		  n;

	switch (q->kind) {
	case NAMING_NONE:
		return (0);
	case NAMING_APEX:
	case NAMING_EMPTY:
	case NAMING_TYPES:
		return (1);
	default:
		break;
	}
	n = naming_collect(c, q, &v, 1);
	free(v);
	return (n > 0);
}

/* fe80::/10, read from bytes (no cast to a more aligned in6_addr). */
int
naming_linklocal(const struct cache_path *p)
{
	return (p->family == AF_INET6 && p->addr[0] == 0xfe &&
	    (p->addr[1] & 0xc0) == 0x80);
}

static int
naming_addr_seen(const struct naming_addr *a, size_t n,
    const struct cache_path *p)
{
	size_t k, len = p->family == AF_INET ? 4 : 16;

	for (k = 0; k < n; k++) {
		if (a[k].family == p->family &&
		    memcmp(a[k].addr, p->addr, len) == 0)
			return (1);
	}
	return (0);
}

/*
 * The addresses of a service or host name, in the instances' order,
 * each once: family AF_INET, AF_INET6 or 0 for both.  IPv6 link-local
 * addresses need their interface to be of use: scoped 0 leaves them out
 * (DNS has no way to carry a scope), scoped 1 keeps them with ifindex.
 */
size_t
naming_addresses(struct cache *c, const struct naming_query *q, int family,
    int scoped, struct naming_addr *out, size_t max)
{
	struct instance	       **v;
	const struct cache_path *p;
	size_t			 n, k, j, got = 0;

	if (q->kind != NAMING_SERVICE && q->kind != NAMING_HOST)
		return (0);
	n = naming_instances(c, q, &v);
	for (k = 0; k < n && got < max; k++) {
		for (j = 0; j < v[k]->npaths && got < max; j++) {
			p = &v[k]->paths[j];
			if (!cache_path_usable(p) ||
			    (family != 0 && p->family != family) ||
			    (p->family == AF_INET6 && !scoped &&
				naming_linklocal(p)) ||
			    naming_addr_seen(out, got, p))
				continue;
			out[got].family = p->family;
			memcpy(out[got].addr, p->addr, sizeof(out[got].addr));
			out[got].ifindex = p->ifindex;
			got++;
		}
	}
	free(v);
	return (got);
}
