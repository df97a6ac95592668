/*
 * discod.conf: an INI file read with libinih.  Every key is a row in
 * config_keys[]; unknown sections and keys, bad values and keys set twice
 * are errors that name the file and the line.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "core.h"

enum config_type {
	CONFIG_PATH,   /* an absolute path */
	CONFIG_NAME,   /* a user or group name */
	CONFIG_MODE,   /* octal permission bits */
	CONFIG_UINT,   /* an integer in [min, max] */
	CONFIG_SIZE,   /* bytes with an optional K, M or G suffix */
	CONFIG_WORDS,  /* words from a list, space separated */
	CONFIG_STRING, /* any text */
	CONFIG_LISTEN, /* address:port pairs, or none */
	CONFIG_DOMAIN, /* a DNS name */
	CONFIG_URLS,   /* http:// or https:// URLs */
	CONFIG_ADDRS,  /* numeric IPv4 or IPv6 addresses */
	CONFIG_HOSTID, /* a host's id in wide-area keys */
	CONFIG_PREFIX, /* a wide-area key prefix */
};

struct config_key {
	const char	  *section;
	const char	  *name;
	enum config_type   type;
	size_t		   offset;
	unsigned long long min;
	unsigned long long max;
};

#define OFF(f) offsetof(struct config, f)

static const struct config_key config_keys[] = {
	{ "control", "socket", CONFIG_PATH, OFF(socket_path), 0, 0 },
	{ "control", "lookup-socket", CONFIG_PATH, OFF(lookup_socket_path), 0,
	    0 },
	{ "control", "socket-group", CONFIG_NAME, OFF(socket_group), 0, 0 },
	{ "control", "socket-mode", CONFIG_MODE, OFF(socket_mode), 0, 0 },
	{ "control", "max-clients", CONFIG_UINT, OFF(max_clients), 1, 1000000 },
	{ "control", "max-clients-per-uid", CONFIG_UINT,
	    OFF(max_clients_per_uid), 1, 1000000 },
	{ "control", "client-output-max", CONFIG_SIZE, OFF(client_output_max),
	    65536, 1ULL << 30 },
	{ "avahi", "retry-max", CONFIG_UINT, OFF(avahi_retry_max), 1, 3600 },
	{ "announce", "services-dir", CONFIG_PATH, OFF(services_dir), 0, 0 },
	{ "announce", "registrations-per-uid", CONFIG_UINT,
	    OFF(registrations_per_uid), 1, 100000 },
	{ "announce", "ttl-max", CONFIG_UINT, OFF(ttl_max), 1, 604800 },
	{ "browse", "types", CONFIG_WORDS, OFF(browse_types), 0, 0 },
	{ "browse", "interfaces", CONFIG_WORDS, OFF(browse_interfaces), 0, 0 },
	{ "browse", "protocols", CONFIG_WORDS, OFF(browse_protocols), 0, 0 },
	{ "browse", "domain", CONFIG_STRING, OFF(browse_domain), 0, 0 },
	{ "browse", "subtypes", CONFIG_STRING, OFF(browse_subtypes), 0, 0 },
	{ "liveness", "probe", CONFIG_UINT, OFF(liveness), 0, 1 },
	{ "liveness", "interval-ms", CONFIG_UINT, OFF(liveness_interval_ms),
	    100, 60000 },
	{ "liveness", "unreachable-ms", CONFIG_UINT,
	    OFF(liveness_unreachable_ms), 200, 600000 },
	{ "liveness", "remove-ms", CONFIG_UINT, OFF(liveness_remove_ms), 200,
	    3600000 },
	{ "browse", "resolvers-max", CONFIG_UINT, OFF(resolvers_max), 0,
	    100000 },
	{ "browse", "resolve-concurrency", CONFIG_UINT,
	    OFF(resolve_concurrency), 1, 1000 },
	{ "browse", "types-max", CONFIG_UINT, OFF(browse_types_max), 1,
	    100000 },
	{ "browse", "subtypes-max", CONFIG_UINT, OFF(browse_subtypes_max), 0,
	    100000 },
	{ "browse", "subtypes-per-uid", CONFIG_UINT,
	    OFF(browse_subtypes_per_uid), 0, 100000 },
	{ "health", "client-interval-min-ms", CONFIG_UINT,
	    OFF(check_interval_min_ms), 1, 3600000 },
	{ "health", "client-timeout-max-ms", CONFIG_UINT,
	    OFF(check_timeout_max_ms), 1, 86400000 },
	{ "health", "client-running-max", CONFIG_UINT, OFF(checks_running_max),
	    1, 10000 },
	{ "access", "check-targets", CONFIG_WORDS, OFF(check_targets), 0, 0 },
	{ "access", "services-visible", CONFIG_WORDS, OFF(services_visible), 0,
	    0 },
	{ "dns", "listen", CONFIG_LISTEN, OFF(dns_listen), 0, 0 },
	{ "metrics", "listen", CONFIG_LISTEN, OFF(metrics_listen), 0, 0 },
	{ "dns", "domain", CONFIG_DOMAIN, OFF(dns_domain), 0, 0 },
	{ "dns", "ttl", CONFIG_UINT, OFF(dns_ttl), 0, 3600 },
	{ "dns", "tcp-clients-max", CONFIG_UINT, OFF(dns_tcp_clients_max), 1,
	    100000 },
	{ "wide-area", "endpoints", CONFIG_URLS, OFF(wa_endpoints), 0, 0 },
	{ "wide-area", "prefix", CONFIG_PREFIX, OFF(wa_prefix), 0, 0 },
	{ "wide-area", "domain", CONFIG_DOMAIN, OFF(wa_domain), 0, 0 },
	{ "wide-area", "host", CONFIG_HOSTID, OFF(wa_host), 0, 0 },
	{ "wide-area", "lease-ttl", CONFIG_UINT, OFF(wa_lease_ttl), 2, 3600 },
	{ "wide-area", "timeout-ms", CONFIG_UINT, OFF(wa_timeout_ms), 100,
	    60000 },
	{ "wide-area", "read-page", CONFIG_UINT, OFF(wa_read_page), 1, 10000 },
	{ "wide-area", "ca", CONFIG_PATH, OFF(wa_ca), 0, 0 },
	{ "wide-area", "cert", CONFIG_PATH, OFF(wa_cert), 0, 0 },
	{ "wide-area", "key", CONFIG_PATH, OFF(wa_key), 0, 0 },
	{ "wide-area", "user", CONFIG_NAME, OFF(wa_user), 0, 0 },
	{ "wide-area", "password-file", CONFIG_PATH, OFF(wa_password_file), 0,
	    0 },
	{ "wide-area", "publish", CONFIG_WORDS, OFF(wa_publish), 0, 0 },
	{ "wide-area", "import", CONFIG_WORDS, OFF(wa_import), 0, 0 },
	{ "wide-area", "addresses", CONFIG_ADDRS, OFF(wa_addresses), 0, 0 },
};
#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

struct config_parser {
	FILE		     *f;
	const char	     *fname;
	int		      line;
	int		      long_line; /* line number, or 0 */
	int		      seen[CONFIG_NKEYS];
	int		      seen_register;
	struct config	     *conf;
	struct config_errors *errors;
	int		      nerrors;
};

/* Append "file:line: message" (or "file: message" for line 0) to errors. */
void
config_error_addv(struct config_errors *errors, const char *fname, int line,
    const char *fmt, va_list ap)
{
	struct config_error *e;
	char		    *msg;

	if (errors == NULL)
		return;
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	e = xcalloc(1, sizeof(*e));
	if (line > 0)
		xasprintf(&e->text, "%s:%d: %s", fname, line,
		    msg != NULL ? msg : "error");
	else
		xasprintf(&e->text, "%s: %s", fname,
		    msg != NULL ? msg : "error");
	TAILQ_INSERT_TAIL(errors, e, entry);
	free(msg);
}

void
config_error_add(struct config_errors *errors, const char *fname, int line,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	config_error_addv(errors, fname, line, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
config_error(struct config_parser *p, int line, const char *fmt, ...)
{
	va_list ap;

	p->nerrors++;
	va_start(ap, fmt);
	config_error_addv(p->errors, p->fname, line, fmt, ap);
	va_end(ap);
}

static int config_parse_number(const char *, unsigned long long *, int);

/*
 * One listen address: "192.0.2.1:53" or "[2001:db8::1]:53", numeric only
 * (a name would need a resolver before the agent can answer names).
 */
int
config_listen_parse(const char *w, struct sockaddr_storage *ss,
    unsigned int *len)
{
	struct sockaddr_in  *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char		     host[INET6_ADDRSTRLEN + 1];
	const char	    *colon, *start = w;
	unsigned long long   port;
	size_t		     hlen;
	int		     used;

	memset(ss, 0, sizeof(*ss));
	if (*w == '[') {
		start = w + 1;
		if ((colon = strstr(start, "]:")) == NULL)
			return (-1);
		hlen = (size_t)(colon - start);
		colon++;
	} else {
		if ((colon = strrchr(w, ':')) == NULL)
			return (-1);
		hlen = (size_t)(colon - w);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return (-1);
	memcpy(host, start, hlen);
	host[hlen] = '\0';
	used = config_parse_number(colon + 1, &port, 10);
	if (used <= 0 || colon[1 + used] != '\0' || port == 0 || port > 65535)
		return (-1);
	if (*w != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
		return (0);
	}
	if (*w == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
		return (0);
	}
	return (-1);
}

/* Why a domain name cannot be the disco domain, or NULL when it can. */
const char *
config_domain_invalid(const char *d)
{
	size_t	    len = strlen(d), label = 0;
	const char *c;

	if (len > 0 && d[len - 1] == '.')
		len--;
	if (len == 0)
		return ("is empty");
	if (len > DNS_DOMAIN_MAX)
		return ("is too long (128 bytes at most)");
	for (c = d; c < d + len; c++) {
		if (*c == '.') {
			if (label == 0)
				return ("has an empty label");
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*c) && *c != '-')
			return ("may hold letters, digits, '-' and '.' only");
		if (++label > 63)
			return ("has a label longer than 63 bytes");
	}
	if (strcasecmp(d, "local") == 0 || strcasecmp(d, "local.") == 0)
		return ("is mDNS's own domain: disco answers from its cache "
			"under a domain of its own");
	return (NULL);
}

void
config_defaults(struct config *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->socket_path = xstrdup(DISCO_SOCKET_PATH);
	/* The group sysusers.d makes (configure --with-disco-group). */
	conf->socket_group = DISCO_SOCKET_GROUP[0] != '\0' ?
	    xstrdup(DISCO_SOCKET_GROUP) :
	    NULL;
	conf->socket_mode = 0660;
	conf->max_clients = 1024;
	conf->max_clients_per_uid = 64;
	conf->client_output_max = 1024 * 1024;
	conf->avahi_retry_max = 30;
	conf->services_dir = xstrdup(DISCO_SERVICES_DIR);
	conf->registrations_per_uid = 256;
	conf->ttl_max = 86400;
	conf->browse_protocols = xstrdup("any");
	conf->resolvers_max = 512;
	conf->resolve_concurrency = 32;
	conf->browse_types_max = 256;
	conf->browse_subtypes_max = 64;
	conf->browse_subtypes_per_uid = 8;
	conf->liveness = 1;
	conf->liveness_interval_ms = 1000;
	conf->liveness_unreachable_ms = 3500;
	conf->liveness_remove_ms = 7500;
	conf->check_interval_min_ms = 1000;
	conf->check_timeout_max_ms = 60000;
	conf->checks_running_max = 32;
	conf->check_targets = xstrdup("loopback");
	conf->services_visible = xstrdup("own");
	conf->dns_listen = xstrdup(DNS_LISTEN_DEFAULT);
	conf->dns_domain = xstrdup(DNS_DOMAIN_DEFAULT);
	conf->dns_ttl = 5;
	conf->dns_tcp_clients_max = 64;
	conf->wa_prefix = xstrdup("/disco/");
	conf->wa_domain = xstrdup("site");
	conf->wa_lease_ttl = 5;
	conf->wa_timeout_ms = 2000;
	conf->wa_read_page = 1000;
}

void
config_clear(struct config *conf)
{
	free(conf->socket_path);
	free(conf->lookup_socket_path);
	free(conf->dns_listen);
	free(conf->metrics_listen);
	free(conf->dns_domain);
	free(conf->socket_group);
	free(conf->services_dir);
	free(conf->browse_types);
	free(conf->browse_interfaces);
	free(conf->browse_protocols);
	free(conf->browse_domain);
	free(conf->browse_subtypes);
	free(conf->check_targets);
	free(conf->services_visible);
	free(conf->wa_endpoints);
	free(conf->wa_prefix);
	free(conf->wa_domain);
	free(conf->wa_host);
	free(conf->wa_ca);
	free(conf->wa_cert);
	free(conf->wa_key);
	free(conf->wa_user);
	free(conf->wa_password_file);
	free(conf->wa_publish);
	free(conf->wa_import);
	free(conf->wa_addresses);
	access_rule_clear(&conf->access_register);
	while (conf->naccess_types > 0)
		access_rule_clear(&conf->access_types[--conf->naccess_types]);
	free(conf->access_types);
	memset(conf, 0, sizeof(*conf));
}

void
config_errors_clear(struct config_errors *errors)
{
	struct config_error *e;

	while ((e = TAILQ_FIRST(errors)) != NULL) {
		TAILQ_REMOVE(errors, e, entry);
		free(e->text);
		free(e);
	}
}

static int
config_parse_number(const char *value, unsigned long long *out, int base)
{
	char		  *end;
	unsigned long long n;

	if (*value == '\0' || !isdigit((unsigned char)*value))
		return (-1);
	errno = 0;
	n = strtoull(value, &end, base);
	if (errno != 0)
		return (-1);
	*out = n;
	return ((int)(end - value));
}

/*
 * [wide-area] values: endpoints as http:// or https://HOST:PORT URLs
 * (16 at most, no path), addresses numeric, a host id and a prefix as
 * keys hold them.
 */
static int
config_check_wide_area(struct config_parser *p, const struct config_key *k,
    const char *value)
{
	char	     *copy, *w, *save = NULL, *host;
	unsigned char addr[16];
	const char   *why = NULL;
	unsigned int  nw = 0;

	if (k->type == CONFIG_HOSTID)
		why = wa_host_id_invalid(value);
	else if (k->type == CONFIG_PREFIX)
		why = wa_prefix_invalid(value);
	if (why != NULL) {
		config_error(p, p->line, "[%s] %s: \"%.60s\" %s", k->section,
		    k->name, value, why);
		return (-1);
	}
	if (k->type != CONFIG_URLS && k->type != CONFIG_ADDRS)
		return (0);
	copy = xstrdup(value);
	for (w = strtok_r(copy, " \t,", &save); w != NULL && why == NULL;
	     w = strtok_r(NULL, " \t,", &save)) {
		if (++nw > 16)
			why = "more than 16";
		else if (k->type == CONFIG_ADDRS) {
			if (inet_pton(AF_INET, w, addr) == 1) {
				if (wa_addr_unusable(AF_INET, addr))
					why = "is not an address other hosts "
					      "can reach";
			} else if (inet_pton(AF_INET6, w, addr) == 1) {
				if (wa_addr_unusable(AF_INET6, addr))
					why = "is not an address other hosts "
					      "can reach";
			} else
				why = "is not a numeric IPv4 or IPv6 address";
		} else {
			host = strncmp(w, "http://", 7) == 0 ? w + 7 :
			    strncmp(w, "https://", 8) == 0   ? w + 8 :
							       NULL;
			if (host == NULL || *host == '\0' || *host == '/' ||
			    strchr(host, '/') != NULL || strlen(w) > 256 ||
			    strpbrk(w, "?#@") != NULL)
				why = "is not http://HOST:PORT or "
				      "https://HOST:PORT";
		}
		if (why != NULL)
			config_error(p, p->line, "[%s] %s: \"%.60s\" %s",
			    k->section, k->name, w, why);
	}
	free(copy);
	if (nw == 0 && why == NULL) {
		why = "is empty";
		config_error(p, p->line, "[%s] %s: %s", k->section, k->name,
		    why);
	}
	return (why != NULL ? -1 : 0);
}

static int
config_set(struct config_parser *p, const struct config_key *k,
    const char *value)
{
	char		  *field = (char *)p->conf + k->offset;
	struct sockaddr_un sun;
	unsigned long long n, mult = 1;
	const char	  *c;
	int		   used;

	switch (k->type) {
	case CONFIG_PATH:
		if (value[0] != '/') {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not an "
			    "absolute path",
			    k->section, k->name, value);
			return (-1);
		}
		if ((k->offset == OFF(socket_path) ||
			k->offset == OFF(lookup_socket_path)) &&
		    strlen(value) >= sizeof(sun.sun_path)) {
			config_error(p, p->line,
			    "[%s] %s: path longer than "
			    "a socket address holds (%zu bytes)",
			    k->section, k->name, sizeof(sun.sun_path) - 1);
			return (-1);
		}
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return (0);
	case CONFIG_NAME:
		for (c = value; *c != '\0'; c++) {
			if (!isalnum((unsigned char)*c) &&
			    strchr("_-.", *c) == NULL)
				break;
		}
		if (*value == '\0' || *c != '\0' || strlen(value) > 32) {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not a "
			    "valid group name",
			    k->section, k->name, value);
			return (-1);
		}
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return (0);
	case CONFIG_WORDS:
		if (strcmp(k->name, "types") == 0 ||
		    strcmp(k->name, "publish") == 0 ||
		    strcmp(k->name, "import") == 0) {
			char	   *copy = xstrdup(value), *w, *save = NULL;
			const char *why = NULL;

			for (w = strtok_r(copy, " \t", &save);
			     w != NULL && why == NULL;
			     w = strtok_r(NULL, " \t", &save))
				why = service_type_invalid(w);
			free(copy);
			if (why != NULL) {
				config_error(p, p->line, "[%s] %s: %s",
				    k->section, k->name, why);
				return (-1);
			}
		} else if (strcmp(k->name, "check-targets") == 0 &&
		    strcmp(value, "loopback") != 0 &&
		    strcmp(value, "any") != 0 && strcmp(value, "none") != 0) {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not loopback, any or none",
			    k->section, k->name, value);
			return (-1);
		} else if (strcmp(k->name, "services-visible") == 0 &&
		    strcmp(value, "own") != 0 && strcmp(value, "all") != 0) {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not own or all", k->section,
			    k->name, value);
			return (-1);
		} else if (strcmp(k->name, "protocols") == 0 &&
		    strcmp(value, "ipv4") != 0 && strcmp(value, "ipv6") != 0 &&
		    strcmp(value, "any") != 0) {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not ipv4, "
			    "ipv6 or any",
			    k->section, k->name, value);
			return (-1);
		}
		/* FALLTHROUGH */
	case CONFIG_STRING:
		free(*(char **)(void *)field);
		*(char **)(void *)field = *value != '\0' ? xstrdup(value) :
							   NULL;
		return (0);
	case CONFIG_LISTEN: {
		char		       *copy, *w, *save = NULL;
		struct sockaddr_storage ss;
		unsigned int		len, nw = 0;
		int			bad = 0;

		if (strcmp(value, "none") == 0 || *value == '\0') {
			free(*(char **)(void *)field);
			*(char **)(void *)field = NULL;
			return (0);
		}
		copy = xstrdup(value);
		for (w = strtok_r(copy, " \t", &save); w != NULL && !bad;
		     w = strtok_r(NULL, " \t", &save)) {
			if (++nw > 16 || config_listen_parse(w, &ss, &len)) {
				config_error(p, p->line,
				    "[%s] %s: \"%.60s\" is not ADDRESS:PORT "
				    "(a numeric IPv4 address, or IPv6 in "
				    "brackets, and a port 1-65535; 16 at most)",
				    k->section, k->name, w);
				bad = 1;
			}
		}
		free(copy);
		if (bad)
			return (-1);
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return (0);
	}
	case CONFIG_DOMAIN: {
		const char *why;
		char	   *d, *q;

		if ((why = config_domain_invalid(value)) != NULL) {
			config_error(p, p->line, "[%s] %s: \"%.60s\" %s",
			    k->section, k->name, value, why);
			return (-1);
		}
		d = xstrdup(value);
		for (q = d; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
		if (q > d && q[-1] == '.')
			q[-1] = '\0';
		free(*(char **)(void *)field);
		*(char **)(void *)field = d;
		return (0);
	}
	case CONFIG_URLS:
	case CONFIG_ADDRS:
	case CONFIG_HOSTID:
	case CONFIG_PREFIX:
		if (config_check_wide_area(p, k, value) == -1)
			return (-1);
		free(*(char **)(void *)field);
		*(char **)(void *)field = xstrdup(value);
		return (0);
	case CONFIG_MODE:
		used = config_parse_number(value, &n, 8);
		if (used <= 0 || value[used] != '\0' || n > 0777 ||
		    (n & 0600) != 0600) {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not an "
			    "octal mode from 0600 to 0777",
			    k->section, k->name, value);
			return (-1);
		}
		*(mode_t *)(void *)field = (mode_t)n;
		return (0);
	case CONFIG_UINT:
	case CONFIG_SIZE:
		used = config_parse_number(value, &n, 10);
		if (used > 0 && k->type == CONFIG_SIZE) {
			switch (value[used]) {
			case 'K':
			case 'k':
				mult = 1024;
				used++;
				break;
			case 'M':
			case 'm':
				mult = 1024 * 1024;
				used++;
				break;
			case 'G':
			case 'g':
				mult = 1024 * 1024 * 1024;
				used++;
				break;
			}
		}
		if (used <= 0 || value[used] != '\0') {
			config_error(p, p->line,
			    "[%s] %s: \"%s\" is not a "
			    "number%s",
			    k->section, k->name, value,
			    k->type == CONFIG_SIZE ?
				" (optionally with K, M or G)" :
				"");
			return (-1);
		}
		if (n > k->max / mult || n * mult < k->min) {
			config_error(p, p->line,
			    "[%s] %s: %s is outside "
			    "%llu..%llu",
			    k->section, k->name, value, k->min, k->max);
			return (-1);
		}
		n *= mult;
		if (k->type == CONFIG_UINT)
			*(unsigned int *)(void *)field = (unsigned int)n;
		else
			*(size_t *)(void *)field = (size_t)n;
		return (0);
	}
	return (-1);
}

/*
 * [access]: register once, restrict-type as often as needed.  Returns 0
 * for any other key, which the table has.
 */
static int
config_access(struct config_parser *p, const char *name, const char *value)
{
	struct access_rule rule;
	char		   why[128];
	int		   is_type = strcmp(name, "restrict-type") == 0;
	size_t		   k;

	if (!is_type && strcmp(name, "register") != 0)
		return (0);
	if (!is_type && p->seen_register != 0) {
		config_error(p, p->line,
		    "[access] register: set twice (first "
		    "on line %d)",
		    p->seen_register);
		return (1);
	}
	if (access_rule_parse(value, is_type, p->line, &rule, why,
		sizeof(why)) == -1) {
		config_error(p, p->line, "[access] %s: %s", name, why);
		return (1);
	}
	if (!is_type) {
		p->seen_register = p->line;
		access_rule_clear(&p->conf->access_register);
		p->conf->access_register = rule;
		return (1);
	}
	for (k = 0; k < p->conf->naccess_types; k++) {
		if (strcasecmp(p->conf->access_types[k].type, rule.type) != 0)
			continue;
		config_error(p, p->line,
		    "[access] restrict-type: %s has a "
		    "rule already (line %d)",
		    rule.type, p->conf->access_types[k].line);
		access_rule_clear(&rule);
		return (1);
	}
	p->conf->access_types = xreallocarray(p->conf->access_types,
	    p->conf->naccess_types + 1, sizeof(*p->conf->access_types));
	p->conf->access_types[p->conf->naccess_types++] = rule;
	return (1);
}

static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct config_parser	*p = arg;
	const struct config_key *k;
	size_t			 i;
	int			 known_section = 0;

	if (strcmp(section, "access") == 0 && config_access(p, name, value))
		return (1);
	for (i = 0; i < CONFIG_NKEYS; i++) {
		k = &config_keys[i];
		if (strcmp(k->section, section) != 0)
			continue;
		known_section = 1;
		if (strcmp(k->name, name) != 0)
			continue;
		if (p->seen[i] != 0) {
			config_error(p, p->line,
			    "[%s] %s: set twice (first "
			    "on line %d)",
			    section, name, p->seen[i]);
			return (1);
		}
		p->seen[i] = p->line;
		config_set(p, k, value);
		return (1);
	}
	if (*section == '\0')
		config_error(p, p->line, "%s: key outside any section", name);
	else if (!known_section)
		config_error(p, p->line, "[%s]: unknown section", section);
	else
		config_error(p, p->line, "[%s] %s: unknown key", section, name);
	return (1); /* keep going: report every error in one pass */
}

/*
 * inih's line reader.  Counting lines here gives the handler its line
 * number; a line longer than inih's buffer is refused rather than split.
 */
static char *
config_reader(char *str, int num, void *arg)
{
	struct config_parser *p = arg;
	int		      c, n = 0, overflow = 0;

	while ((c = getc(p->f)) != EOF) {
		if (n < num - 1)
			str[n++] = (char)c;
		else
			overflow = 1;
		if (c == '\n')
			break;
	}
	if (n == 0 && c == EOF)
		return (NULL);
	p->line++;
	if (overflow) {
		config_error(p, p->line, "line longer than %d bytes", num - 2);
		n = 0;
		str[n++] = '\n';
	}
	str[n] = '\0';
	return (str);
}

/* The line a key was set on, 0 if it was not. */
static int
config_seen(const struct config_parser *p, const char *section,
    const char *name)
{
	size_t i;

	for (i = 0; i < CONFIG_NKEYS; i++) {
		if (strcmp(config_keys[i].section, section) == 0 &&
		    strcmp(config_keys[i].name, name) == 0)
			return (p->seen[i]);
	}
	return (0);
}

/* Keys that go together: a user and its password, a cert and its key. */
static void
config_check_pairs(struct config_parser *p)
{
	static const char *pairs[][2] = { { "user", "password-file" },
		{ "cert", "key" } };
	size_t		   k;
	int		   a, b;

	for (k = 0; k < sizeof(pairs) / sizeof(pairs[0]); k++) {
		a = config_seen(p, "wide-area", pairs[k][0]);
		b = config_seen(p, "wide-area", pairs[k][1]);
		if ((a == 0) != (b == 0))
			config_error(p, a != 0 ? a : b,
			    "[wide-area] %s: needs %s too",
			    pairs[k][a != 0 ? 0 : 1], pairs[k][a != 0 ? 1 : 0]);
	}
}

/*
 * Parse an open stream into conf (which holds defaults or earlier values).
 * Returns the number of errors, each appended to errors when not NULL.
 */
int
config_parse(FILE *f, const char *fname, struct config *conf,
    struct config_errors *errors)
{
	struct config_parser p;
	int		     rc;

	memset(&p, 0, sizeof(p));
	p.f = f;
	p.fname = fname;
	p.conf = conf;
	p.errors = errors;
	rc = ini_parse_stream(config_reader, &p, config_handler, &p);
	if (rc > 0)
		config_error(&p, rc,
		    "syntax error: expected \"[section]\" "
		    "or \"key = value\"");
	else if (rc < 0)
		config_error(&p, 0, "cannot parse: out of memory");
	if (ferror(f))
		config_error(&p, 0, "read error: %s", strerror(errno));
	config_check_pairs(&p);
	return (p.nerrors);
}

int
config_load(const char *path, struct config *conf, struct config_errors *errors)
{
	struct config_parser p;
	FILE		    *f;
	int		     n;

	if ((f = fopen(path, "r")) == NULL) {
		memset(&p, 0, sizeof(p));
		p.fname = path;
		p.errors = errors;
		config_error(&p, 0, "%s", strerror(errno));
		return (-1);
	}
	n = config_parse(f, path, conf, errors);
	fclose(f);
	return (n);
}
