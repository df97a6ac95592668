/*
 * Health-check specs: the one parser behind a .dnssd file's [Check]
 * section and a register request's "check" object.  Both hand it key and
 * value pairs; only the spelling of the keys differs (Interval= in a
 * file, "interval" on the wire).  A new check field is a row in
 * check_fields[] and a case in check_spec_set().
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

static const struct check_field check_fields[] = {
	{ CHECK_F_TYPE, "Type", "type", CHECK_V_TEXT },
	{ CHECK_F_INTERVAL, "Interval", "interval", CHECK_V_DURATION },
	{ CHECK_F_TIMEOUT, "Timeout", "timeout", CHECK_V_DURATION },
	{ CHECK_F_START_PERIOD, "StartPeriod", "start_period",
	    CHECK_V_DURATION },
	{ CHECK_F_RISE, "Rise", "rise", CHECK_V_NUMBER },
	{ CHECK_F_FALL, "Fall", "fall", CHECK_V_NUMBER },
	{ CHECK_F_HOST, "Host", "host", CHECK_V_TEXT },
	{ CHECK_F_PORT, "Port", "port", CHECK_V_NUMBER },
	{ CHECK_F_URL, "URL", "url", CHECK_V_TEXT },
	{ CHECK_F_EXPECT, "Expect", "expect", CHECK_V_TEXT },
	{ CHECK_F_COMMAND, "Command", "command", CHECK_V_ARGV },
};
#define CHECK_FIELDS (sizeof(check_fields) / sizeof(check_fields[0]))

/* Longest Command= / "command": words, not counting the NULL. */
#define CHECK_ARGV_MAX 64
/* Longest URL=: the request target goes out whole or not at all. */
#define CHECK_URL_MAX 1024

/* A field by its key, in a file's spelling or the wire's; NULL if none. */
const struct check_field *
check_field_find(const char *key, int wire)
{
	size_t i;

	for (i = 0; i < CHECK_FIELDS; i++) {
		if (strcmp(wire ? check_fields[i].wire : check_fields[i].file,
			key) == 0)
			return (&check_fields[i]);
	}
	return (NULL);
}

const char *
check_type_name(enum check_type t)
{
	switch (t) {
	case CHECK_NONE:
		return ("none");
	case CHECK_TCP:
		return ("tcp");
	case CHECK_HTTP:
		return ("http");
	case CHECK_EXEC:
		return ("exec");
	case CHECK_TTL:
		return ("ttl");
	}
	return ("unknown");
}

static int
check_type_parse(const char *s, enum check_type *t)
{
	if (strcmp(s, "tcp") == 0)
		*t = CHECK_TCP;
	else if (strcmp(s, "http") == 0)
		*t = CHECK_HTTP;
	else if (strcmp(s, "exec") == 0)
		*t = CHECK_EXEC;
	else if (strcmp(s, "ttl") == 0)
		*t = CHECK_TTL;
	else
		return (-1);
	return (0);
}

/* "5" or "5s" seconds, "500ms", "1.5s"; at most a day. */
static int
check_duration_parse(const char *s, unsigned int *ms)
{
	char  *end;
	double v;

	if (!isdigit((unsigned char)*s))
		return (-1);
	v = strtod(s, &end);
	if (strcmp(end, "ms") == 0)
		;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		v *= 1000;
	else
		return (-1);
	if (v < 1 || v > 86400000)
		return (-1);
	*ms = (unsigned int)v;
	return (0);
}

struct check_spec *
check_spec_new(void)
{
	struct check_spec *c = xcalloc(1, sizeof(*c));

	c->interval_ms = 10000;
	c->timeout_ms = 2000;
	c->rise = 2;
	c->fall = 3;
	return (c);
}

static void
check_argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

void
check_spec_free(struct check_spec *c)
{
	if (c == NULL)
		return;
	free(c->host);
	free(c->url);
	free(c->expect);
	check_argv_free(c->argv);
	free(c);
}

/*
 * The host of an http:// URL as a numeric address (localhost as
 * 127.0.0.1), into host; -1 with why set when it has none.  A name would
 * need a lookup, and discod makes none in its loop.
 */
int
check_url_host(const char *url, char *host, size_t hostlen, char *why,
    size_t len)
{
	unsigned char addr[16];
	const char   *p, *end;
	size_t	      n;

	if (strncmp(url, "http://", 7) != 0) {
		snprintf(why, len, "\"%.64s\" is not an http:// URL", url);
		return (-1);
	}
	p = url + 7;
	end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(end - p)) != NULL) {
		snprintf(why, len, "\"%.64s\" has user information", url);
		return (-1);
	}
	if (*p == '[') {
		p++;
		n = strcspn(p, "]");
		if (p + n >= end) {
			snprintf(why, len, "\"%.64s\": no ] after [", url);
			return (-1);
		}
	} else
		n = strcspn(p, ":/?#");
	if (n == 9 && strncmp(p, "localhost", 9) == 0)
		p = "127.0.0.1", n = 9;
	if (n == 0 || n >= hostlen) {
		snprintf(why, len, "\"%.64s\" has no valid host", url);
		return (-1);
	}
	memcpy(host, p, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1) {
		snprintf(why, len,
		    "host \"%.64s\" is not an IPv4 or IPv6 address or "
		    "localhost (no name lookups)",
		    host);
		return (-1);
	}
	return (0);
}

/* Whether a numeric address is on loopback: 127/8, ::1, ::ffff:127/104. */
int
check_host_loopback(const char *host)
{
	unsigned char		   a[16];
	static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0xff, 0xff };
	static const unsigned char one[16] = { [15] = 1 };

	if (inet_pton(AF_INET, host, a) == 1)
		return (a[0] == 127);
	if (inet_pton(AF_INET6, host, a) != 1)
		return (0);
	if (memcmp(a, one, 16) == 0)
		return (1);
	return (memcmp(a, v4mapped, 12) == 0 && a[12] == 127);
}

/*
 * Where a tcp or http check connects, as a numeric address; NULL for
 * other kinds.  The spec is finished (host is set).
 */
const char *
check_spec_target(const struct check_spec *c, char *buf, size_t len)
{
	char why[128];

	if (c->type == CHECK_TCP)
		return (c->host);
	if (c->type == CHECK_HTTP && c->url != NULL &&
	    check_url_host(c->url, buf, len, why, sizeof(why)) == 0)
		return (buf);
	return (NULL);
}

static int
check_number(const char *value, unsigned int min, unsigned int max,
    unsigned int *out, char *why, size_t len)
{
	unsigned long n;
	char	     *end;

	n = strtoul(value, &end, 10);
	if (!isdigit((unsigned char)*value) || *end != '\0' || n < min ||
	    n > max) {
		snprintf(why, len, "\"%.64s\" is not a number from %u to %u",
		    value, min, max);
		return (-1);
	}
	*out = (unsigned int)n;
	return (0);
}

/*
 * Set one field from its text (a CHECK_V_ARGV field takes its words
 * through check_spec_set_argv).  On error, why says what is wrong with
 * the value, to follow the caller's name for the field.
 */
int
check_spec_set(struct check_spec *c, const struct check_field *f,
    const char *value, char *why, size_t len)
{
	unsigned char addr[16];
	unsigned int *ms, *n;
	char	      host[64];

	switch (f->id) {
	case CHECK_F_TYPE:
		if (check_type_parse(value, &c->type) == -1) {
			snprintf(why, len,
			    "\"%.64s\" is not tcp, http, exec "
			    "or ttl",
			    value);
			return (-1);
		}
		return (0);
	case CHECK_F_INTERVAL:
	case CHECK_F_TIMEOUT:
	case CHECK_F_START_PERIOD:
		ms = f->id == CHECK_F_INTERVAL ? &c->interval_ms :
		    f->id == CHECK_F_TIMEOUT   ? &c->timeout_ms :
						 &c->start_period_ms;
		if (check_duration_parse(value, ms) == -1) {
			snprintf(why, len,
			    "\"%.64s\" is not a duration (5, 5s, "
			    "500ms)",
			    value);
			return (-1);
		}
		return (0);
	case CHECK_F_RISE:
	case CHECK_F_FALL:
		n = f->id == CHECK_F_RISE ? &c->rise : &c->fall;
		return (check_number(value, 1, 100, n, why, len));
	case CHECK_F_PORT:
		return (check_number(value, 1, 65535, &c->port, why, len));
	case CHECK_F_HOST:
		/* Numeric only: a name would need a lookup in the loop. */
		if (inet_pton(AF_INET, value, addr) != 1 &&
		    inet_pton(AF_INET6, value, addr) != 1) {
			snprintf(why, len,
			    "\"%.64s\" is not an IPv4 or IPv6 "
			    "address",
			    value);
			return (-1);
		}
		free(c->host);
		c->host = xstrdup(value);
		return (0);
	case CHECK_F_URL:
		if (strlen(value) > CHECK_URL_MAX) {
			snprintf(why, len, "is longer than %d bytes",
			    CHECK_URL_MAX);
			return (-1);
		}
		if (check_url_host(value, host, sizeof(host), why, len) == -1)
			return (-1);
		free(c->url);
		c->url = xstrdup(value);
		return (0);
	case CHECK_F_EXPECT:
		free(c->expect);
		c->expect = xstrdup(value);
		return (0);
	case CHECK_F_COMMAND:
		break;
	}
	snprintf(why, len, "takes a list of words");
	return (-1);
}

/*
 * The command of an exec check: argv (n words) is taken over, whatever
 * the outcome.  A later command replaces an earlier one.
 */
int
check_spec_set_argv(struct check_spec *c, char **argv, size_t n, char *why,
    size_t len)
{
	if (n == 0 || n > CHECK_ARGV_MAX) {
		check_argv_free(argv);
		snprintf(why, len, "must hold 1 to %d words", CHECK_ARGV_MAX);
		return (-1);
	}
	check_argv_free(c->argv);
	c->argv = argv;
	return (0);
}

/*
 * What only the whole spec can show; NULL when it is complete.  Keys are
 * named as in a file (wire 0) or on the wire.
 */
const char *
check_spec_finish(struct check_spec *c, int wire)
{
	if (c->type == CHECK_NONE)
		return (wire ? "type is missing" : "Type= is missing");
	if (c->type == CHECK_HTTP && c->url == NULL)
		return (wire ? "an http check needs url" :
			       "an http check needs URL=");
	if (c->type == CHECK_EXEC && c->argv == NULL)
		return (wire ? "an exec check needs command" :
			       "an exec check needs Command=");
	if (c->timeout_ms > c->interval_ms)
		return (wire ? "timeout is longer than interval" :
			       "Timeout= is longer than Interval=");
	if (c->host == NULL)
		c->host = xstrdup("127.0.0.1");
	return (NULL);
}
