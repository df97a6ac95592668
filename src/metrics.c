/*
 * Metrics in the Prometheus text format (version 0.0.4): what an operator
 * needs to see of a running discod without reading code.  The same text
 * is served by the metrics verb (discoctl metrics) and, when [metrics]
 * listen is set, over HTTP at /metrics.
 *
 * Two kinds of figures.  Counters kept here, bumped where things happen:
 * requests by verb and result with their time on the loop, clients
 * dropped by reason, health checks by kind and outcome.  And what status
 * already reports (Avahi, browsing, liveness, DNS, the cache): read from
 * status_json() as the scrape comes, so status and metrics never
 * disagree.  Labels are bounded: verbs, results, reasons, kinds and
 * states are fixed sets; nothing is labelled by instance, peer or type.
 *
 * The HTTP side is small on purpose.  It answers GET (and HEAD) of
 * /metrics and nothing else, each connection is closed after one answer,
 * and every resource is capped: METRICS_CONNS connections at once (a new
 * one past that is closed at once), METRICS_REQUEST_MAX bytes of request
 * head, METRICS_DEADLINE seconds from accept to the last byte sent, so
 * that neither garbage, a huge header nor a slowloris can hold more.
 * libevent's evhttp (2.1) has neither a connection cap nor a whole
 * request deadline (its timeouts restart with every byte), which is why
 * it is not used here.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "discod.h"

#define METRICS_CONNS	   16
#define METRICS_DEADLINE   5 /* seconds */
#define METRICS_LISTEN_MAX 16

/* Request results: ok, answered later, or an error code. */
static const char *const metrics_results[] = { "ok", "deferred",
	PROTO_E_BAD_REQUEST, PROTO_E_BAD_FIELD, PROTO_E_UNKNOWN_VERB,
	PROTO_E_TOO_LARGE, PROTO_E_NOT_FOUND, PROTO_E_DENIED,
	PROTO_E_UNAVAILABLE, PROTO_E_INTERNAL };
#define METRICS_RESULTS (sizeof(metrics_results) / sizeof(metrics_results[0]))

/* Upper bounds of the request time histogram, in seconds. */
static const double metrics_bounds[] = { 0.00001, 0.000025, 0.00005, 0.0001,
	0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1 };
#define METRICS_BUCKETS (sizeof(metrics_bounds) / sizeof(metrics_bounds[0]))

static const char *const metrics_drop_names[] = {
	[METRICS_DROP_SLOW] = "not_reading",
	[METRICS_DROP_OVERSIZED] = "oversized_request",
	[METRICS_DROP_ERROR] = "socket_error",
	[METRICS_DROP_LIMIT] = "connection_limit",
};

static const char *const metrics_check_kinds[] = {
	[CHECK_NONE] = "none",
	[CHECK_TCP] = "tcp",
	[CHECK_HTTP] = "http",
	[CHECK_EXEC] = "exec",
	[CHECK_TTL] = "ttl",
};
#define METRICS_KINDS                                                          \
	(sizeof(metrics_check_kinds) / sizeof(metrics_check_kinds[0]))

struct metrics_conn {
	TAILQ_ENTRY(metrics_conn) entry;
	struct bufferevent	 *bev;
	struct event		 *deadline;
	int			  answered;
	int			  closing; /* the client sent its FIN */
	size_t			  seen;	   /* of its head, searched */
};

static struct {
	/* Per verb (the last row: unknown verbs) and result. */
	unsigned long long *requests; /* [verb][result] */
	unsigned long long *buckets;  /* [verb][bucket], not cumulative */
	double		   *seconds;  /* [verb] */
	size_t		    nverbs;
	unsigned long long  accepted;
	unsigned long long  drops[METRICS_DROPS];
	unsigned long long  checks[METRICS_KINDS][2]; /* failed, passed */
	unsigned long long  turns[METRICS_KINDS];     /* healthy <-> not */
	double		    started;		      /* epoch seconds */
	/* HTTP */
	struct event_base *base;
	struct event	  *ev[METRICS_LISTEN_MAX];
	int		   fd[METRICS_LISTEN_MAX];
	size_t		   nfd;
	TAILQ_HEAD(, metrics_conn) conns;
	unsigned int	   nconns;
	unsigned long long scrapes, http_refused, http_bad;
} m;

void
metrics_init_counters(void)
{
	free(m.requests);
	free(m.buckets);
	free(m.seconds);
	m.nverbs = verb_count() + 1;
	m.requests = xcalloc(m.nverbs * METRICS_RESULTS, sizeof(*m.requests));
	m.buckets = xcalloc(m.nverbs * (METRICS_BUCKETS + 1),
	    sizeof(*m.buckets));
	m.seconds = xcalloc(m.nverbs, sizeof(*m.seconds));
	m.started = clock_wall();
}

/* One request answered (verb: its index, verb_count() if unknown). */
void
metrics_request(size_t verb, const char *result, double secs)
{
	size_t r, b;

	if (m.requests == NULL)
		return;
	if (verb >= m.nverbs)
		verb = m.nverbs - 1;
	for (r = 0; r < METRICS_RESULTS; r++) {
		if (strcmp(metrics_results[r], result) == 0)
			break;
	}
	if (r == METRICS_RESULTS)
		r = METRICS_RESULTS - 1; /* internal */
	m.requests[verb * METRICS_RESULTS + r]++;
	for (b = 0; b < METRICS_BUCKETS && secs > metrics_bounds[b]; b++)
		;
	m.buckets[verb * (METRICS_BUCKETS + 1) + b]++;
	m.seconds[verb] += secs;
}

void
metrics_client_accepted(void)
{
	m.accepted++;
}

void
metrics_client_dropped(enum metrics_drop why)
{
	if (why < METRICS_DROPS)
		m.drops[why]++;
}

void
metrics_check(int kind, int passed, int turned)
{
	if (kind < 0 || (size_t)kind >= METRICS_KINDS)
		return;
	m.checks[kind][passed != 0]++;
	if (turned)
		m.turns[kind]++;
}

/* ---- the text ------------------------------------------------------- */

static void
metrics_family(struct evbuffer *b, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
	    type);
}

/* A label value as the format wants it: \\, \" and \n escaped. */
static void
metrics_label_value(struct evbuffer *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static void
metrics_value(struct evbuffer *b, double v)
{
	char buf[64];

	if (v == (double)(long long)v && v < 9e15 && v > -9e15)
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
	else
		snprintf(buf, sizeof(buf), "%.9g", v);
	evbuffer_add_printf(b, " %s\n", buf);
}

/* name{k="v"} value, with no label when k is NULL. */
static void
metrics_sample(struct evbuffer *b, const char *name, const char *k,
    const char *v, double value)
{
	evbuffer_add_printf(b, "%s", name);
	if (k != NULL && v != NULL) {
		evbuffer_add_printf(b, "{%s=\"", k);
		metrics_label_value(b, v);
		evbuffer_add(b, "\"}", 2);
	}
	metrics_value(b, value);
}

/* A number at a path of the status object ("avahi.stalls"), or 0. */
static double
metrics_status(struct json_object *st, const char *path)
{
	struct json_object *o = st;
	char		    part[64];
	const char	   *dot;
	size_t		    len;

	while (o != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (len >= sizeof(part))
			return (0);
		memcpy(part, path, len);
		part[len] = '\0';
		if (!json_object_object_get_ex(o, part, &o))
			return (0);
		path += len + (dot != NULL);
	}
	if (o == NULL)
		return (0);
	if (json_object_is_type(o, json_type_boolean))
		return (json_object_get_boolean(o) ? 1 : 0);
	return (json_object_get_double(o));
}

/*
 * Figures read from status: a metric each (or one sample of a labelled
 * family: the rows of a family follow each other).
 */
static const struct metrics_row {
	const char *name;
	const char *type;
	const char *help;
	const char *label; /* NULL: no label */
	const char *value;
	const char *path;
	double	    scale;
} metrics_rows[] = {
	{ "disco_clients_connected", "gauge",
	    "Control socket connections open now.", NULL, NULL,
	    "counts.clients", 1 },
	{ "disco_avahi_responsive", "gauge",
	    "1 unless a call to avahi-daemon has been waiting too long.", NULL,
	    NULL, "avahi.responsive", 1 },
	{ "disco_avahi_stalled_seconds", "gauge",
	    "How long the oldest call to avahi-daemon has waited.", NULL, NULL,
	    "avahi.stalled_ms", 0.001 },
	{ "disco_avahi_stalls_total", "counter",
	    "Times a call to avahi-daemon waited past the stall threshold.",
	    NULL, NULL, "avahi.stalls", 1 },
	{ "disco_avahi_longest_stall_seconds", "gauge",
	    "The longest wait for avahi-daemon seen.", NULL, NULL,
	    "avahi.longest_stall_ms", 0.001 },
	{ "disco_avahi_outages_total", "counter",
	    "Times the connection to avahi-daemon was lost.", NULL, NULL,
	    "avahi.outages", 1 },
	{ "disco_avahi_calls_queued", "gauge",
	    "Requests waiting for the Avahi thread.", NULL, NULL,
	    "avahi.queued", 1 },
	{ "disco_avahi_resolvers", "gauge", "Service resolvers, by state.",
	    "state", "open", "browse.resolvers_open", 1 },
	{ "disco_avahi_resolvers", NULL, NULL, "state", "resolving",
	    "browse.resolving", 1 },
	{ "disco_avahi_resolvers", NULL, NULL, "state", "queued",
	    "browse.queued", 1 },
	{ "disco_avahi_resolvers", NULL, NULL, "state", "retrying",
	    "browse.retrying", 1 },
	{ "disco_avahi_resolutions_total", "counter",
	    "Service resolutions Avahi completed.", NULL, NULL,
	    "browse.resolutions", 1 },
	{ "disco_avahi_resolve_failures_total", "counter",
	    "Service resolutions that failed.", NULL, NULL, "browse.failures",
	    1 },
	{ "disco_browse_types", "gauge", "Service types browsed.", NULL, NULL,
	    "browse.types_browsed", 1 },
	{ "disco_browse_types_left_out_total", "counter",
	    "Service types not browsed for the types-max cap.", NULL, NULL,
	    "browse.types_left_out", 1 },
	{ "disco_browse_subtypes_on_demand", "gauge",
	    "Subtype browsers started for clients.", NULL, NULL,
	    "browse.subtypes_on_demand", 1 },
	{ "disco_browse_paused", "gauge",
	    "1 while browsing waits for Avahi to catch up.", NULL, NULL,
	    "browse.paused", 1 },
	{ "disco_liveness_probing", "gauge", "1 when the liveness prober runs.",
	    NULL, NULL, "liveness.probing", 1 },
	{ "disco_liveness_queries_total", "counter",
	    "Liveness queries sent to peers.", NULL, NULL,
	    "liveness.queries_sent", 1 },
	{ "disco_liveness_answers_total", "counter",
	    "Liveness queries peers answered.", NULL, NULL, "liveness.answers",
	    1 },
	{ "disco_peers", "gauge",
	    "Peer addresses the prober watches (one per host, family and "
	    "link), by state.",
	    "state", "reachable", "liveness.reachable", 1 },
	{ "disco_peers", NULL, NULL, "state", "unreachable",
	    "liveness.unreachable", 1 },
	{ "disco_dns_queries_total", "counter",
	    "DNS queries received, by transport.", "transport", "udp",
	    "dns.queries_udp", 1 },
	{ "disco_dns_queries_total", NULL, NULL, "transport", "tcp",
	    "dns.queries_tcp", 1 },
	{ "disco_dns_responses_total", "counter",
	    "DNS responses sent, by RCODE.", "rcode", "noerror",
	    "dns.rcodes.noerror", 1 },
	{ "disco_dns_responses_total", NULL, NULL, "rcode", "formerr",
	    "dns.rcodes.formerr", 1 },
	{ "disco_dns_responses_total", NULL, NULL, "rcode", "servfail",
	    "dns.rcodes.servfail", 1 },
	{ "disco_dns_responses_total", NULL, NULL, "rcode", "nxdomain",
	    "dns.rcodes.nxdomain", 1 },
	{ "disco_dns_responses_total", NULL, NULL, "rcode", "notimp",
	    "dns.rcodes.notimp", 1 },
	{ "disco_dns_responses_total", NULL, NULL, "rcode", "refused",
	    "dns.rcodes.refused", 1 },
	{ "disco_dns_truncated_total", "counter",
	    "DNS answers truncated for UDP.", NULL, NULL, "dns.truncated", 1 },
	{ "disco_dns_dropped_total", "counter",
	    "DNS packets dropped unanswered (malformed or not a query).", NULL,
	    NULL, "dns.dropped", 1 },
	{ "disco_dns_tcp_clients", "gauge", "DNS TCP connections open now.",
	    NULL, NULL, "dns.tcp_clients", 1 },
	{ "disco_dns_tcp_refused_total", "counter",
	    "DNS TCP connections refused for tcp-clients-max.", NULL, NULL,
	    "dns.tcp_refused", 1 },
	{ "process_resident_memory_bytes", "gauge",
	    "Resident memory of discod.", NULL, NULL, "rss_kib", 1024 },
};

/* The cache's instances by what answers make of them. */
static void
metrics_cache(struct evbuffer *b)
{
	struct instance		*i;
	unsigned long		 n[4] = { 0 };
	static const char *const names[] = { "answered", "unreachable",
		"hidden", "unresolved" };
	size_t			 k;

	for (i = cache_first_of_type(&discod->cache, NULL); i != NULL;
	     i = cache_next(&discod->cache, i)) {
		if (i->hidden)
			n[2]++;
		else if (!i->resolved)
			n[3]++;
		else if (i->unreachable)
			n[1]++;
		else
			n[0]++;
	}
	metrics_family(b, "disco_cache_instances", "gauge",
	    "Instances in the cache, by state: answered (resolved, shown, "
	    "reachable), unreachable, hidden, unresolved.");
	for (k = 0; k < 4; k++)
		metrics_sample(b, "disco_cache_instances", "state", names[k],
		    (double)n[k]);
	metrics_family(b, "disco_cache_events_total", "counter",
	    "Cache events (add, update, remove) since start.");
	metrics_sample(b, "disco_cache_events_total", NULL, NULL,
	    (double)discod->cache.index);
}

static void
metrics_requests(struct evbuffer *b)
{
	unsigned long long cum;
	size_t		   v, r, k;
	char		   le[32];
	const char	  *name;

	metrics_family(b, "disco_requests_total", "counter",
	    "Requests on the control socket, by verb and result (ok, "
	    "deferred: answered later, or the error code).");
	for (v = 0; v < m.nverbs; v++) {
		name = v < m.nverbs - 1 ? verb_at(v)->name : "unknown";
		for (r = 0; r < METRICS_RESULTS; r++) {
			if (m.requests[v * METRICS_RESULTS + r] == 0)
				continue;
			evbuffer_add_printf(b,
			    "disco_requests_total{verb=\"%s\",result=\"%s\"}",
			    name, metrics_results[r]);
			metrics_value(b,
			    (double)m.requests[v * METRICS_RESULTS + r]);
		}
	}
	metrics_family(b, "disco_request_duration_seconds", "histogram",
	    "Time a request took on discod's loop, from its line read to "
	    "its reply queued.");
	for (v = 0; v < m.nverbs; v++) {
		name = v < m.nverbs - 1 ? verb_at(v)->name : "unknown";
		cum = 0;
		for (k = 0; k <= METRICS_BUCKETS; k++) {
			cum += m.buckets[v * (METRICS_BUCKETS + 1) + k];
			if (k < METRICS_BUCKETS)
				snprintf(le, sizeof(le), "%g",
				    metrics_bounds[k]);
			else
				strlcpy(le, "+Inf", sizeof(le));
			evbuffer_add_printf(b,
			    "disco_request_duration_seconds_bucket"
			    "{verb=\"%s\",le=\"%s\"}",
			    name, le);
			metrics_value(b, (double)cum);
		}
		evbuffer_add_printf(b,
		    "disco_request_duration_seconds_sum{verb=\"%s\"}", name);
		metrics_value(b, m.seconds[v]);
		evbuffer_add_printf(b,
		    "disco_request_duration_seconds_count{verb=\"%s\"}", name);
		metrics_value(b, (double)cum);
	}
}

static void
metrics_clients(struct evbuffer *b)
{
	size_t k;

	metrics_family(b, "disco_clients_accepted_total", "counter",
	    "Control socket connections accepted.");
	metrics_sample(b, "disco_clients_accepted_total", NULL, NULL,
	    (double)m.accepted);
	metrics_family(b, "disco_clients_dropped_total", "counter",
	    "Control socket clients discod closed, by reason.");
	for (k = 0; k < METRICS_DROPS; k++)
		metrics_sample(b, "disco_clients_dropped_total", "reason",
		    metrics_drop_names[k], (double)m.drops[k]);
}

static void
metrics_checks(struct evbuffer *b)
{
	size_t k;

	metrics_family(b, "disco_checks_total", "counter",
	    "Health checks run, by kind and result.");
	for (k = 1; k < METRICS_KINDS; k++) {
		evbuffer_add_printf(b,
		    "disco_checks_total{kind=\"%s\",result=\"passed\"}",
		    metrics_check_kinds[k]);
		metrics_value(b, (double)m.checks[k][1]);
		evbuffer_add_printf(b,
		    "disco_checks_total{kind=\"%s\",result=\"failed\"}",
		    metrics_check_kinds[k]);
		metrics_value(b, (double)m.checks[k][0]);
	}
	metrics_family(b, "disco_check_transitions_total", "counter",
	    "Health checks that turned healthy or unhealthy, by kind.");
	for (k = 1; k < METRICS_KINDS; k++)
		metrics_sample(b, "disco_check_transitions_total", "kind",
		    metrics_check_kinds[k], (double)m.turns[k]);
}

/* Registrations by origin and state; watches. */
static void
metrics_registrations(struct evbuffer *b)
{
	unsigned int		 counts[2][ANNOUNCE_STATES], watchers;
	unsigned long long	 sent, dropped;
	static const char *const origins[] = { "file", "client" };
	char			 labels[96];
	int			 o, st;

	announce_counts(counts);
	metrics_family(b, "disco_registrations", "gauge",
	    "Services this host announces, by origin (file, client) and "
	    "state (waiting, probing, established, failed, unhealthy).");
	for (o = 0; o < 2; o++) {
		for (st = 0; st < ANNOUNCE_STATES; st++) {
			snprintf(labels, sizeof(labels),
			    "{origin=\"%s\",state=\"%s\"}", origins[o],
			    announce_state_text(st));
			evbuffer_add_printf(b, "disco_registrations%s", labels);
			metrics_value(b, counts[o][st]);
		}
	}
	watch_stats(&watchers, &sent, &dropped);
	metrics_family(b, "disco_watchers", "gauge", "Watch streams open.");
	metrics_sample(b, "disco_watchers", NULL, NULL, watchers);
	metrics_family(b, "disco_watch_events_total", "counter",
	    "Events sent to watchers.");
	metrics_sample(b, "disco_watch_events_total", NULL, NULL, (double)sent);
	metrics_family(b, "disco_watchers_dropped_total", "counter",
	    "Watches ended because discod dropped their client for not "
	    "reading its events (client-output-max).");
	metrics_sample(b, "disco_watchers_dropped_total", NULL, NULL,
	    (double)dropped);
}

/* The whole text, as a scrape or the metrics verb gets it. */
void
metrics_render(struct evbuffer *b)
{
	struct json_object	 *st = status_json();
	const struct metrics_row *row;
	size_t			  k, s;
	const char		 *state;
	static const char *const  states[] = { "disconnected", "connecting",
		 "registering", "running", "collision", "failure" };

	metrics_family(b, "disco_build_info", "gauge",
	    "Always 1; the version is its label.");
	metrics_sample(b, "disco_build_info", "version", PACKAGE_VERSION, 1);
	metrics_family(b, "process_start_time_seconds", "gauge",
	    "When discod started, in seconds since the epoch.");
	metrics_sample(b, "process_start_time_seconds", NULL, NULL,
	    (double)(long long)m.started);
	metrics_requests(b);
	metrics_clients(b);
	metrics_cache(b);
	metrics_checks(b);
	metrics_registrations(b);

	state = json_object_get_string(json_object_object_get(
	    json_object_object_get(st, "avahi"), "state"));
	metrics_family(b, "disco_avahi_state", "gauge",
	    "1 for the state discod's Avahi client is in, 0 for the others.");
	for (s = 0; s < sizeof(states) / sizeof(states[0]); s++)
		metrics_sample(b, "disco_avahi_state", "state", states[s],
		    state != NULL && strcmp(state, states[s]) == 0);
	for (k = 0; k < sizeof(metrics_rows) / sizeof(metrics_rows[0]); k++) {
		row = &metrics_rows[k];
		if (row->type != NULL)
			metrics_family(b, row->name, row->type, row->help);
		metrics_sample(b, row->name, row->label, row->value,
		    metrics_status(st, row->path) * row->scale);
	}
	metrics_family(b, "disco_metrics_http_requests_total", "counter",
	    "Requests on the metrics HTTP port, by result.");
	metrics_sample(b, "disco_metrics_http_requests_total", "result",
	    "scraped", (double)m.scrapes);
	metrics_sample(b, "disco_metrics_http_requests_total", "result", "bad",
	    (double)m.http_bad);
	metrics_sample(b, "disco_metrics_http_requests_total", "result",
	    "refused", (double)m.http_refused);
	json_object_put(st);
}

/* ---- HTTP ----------------------------------------------------------- */

static void
metrics_conn_free(struct metrics_conn *mc)
{
	TAILQ_REMOVE(&m.conns, mc, entry);
	m.nconns--;
	bufferevent_free(mc->bev);
	event_free(mc->deadline);
	free(mc);
}

static void
metrics_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	metrics_conn_free(arg);
}

static void
metrics_answer(struct metrics_conn *mc, const char *status, int head,
    struct evbuffer *body)
{
	struct evbuffer *out = bufferevent_get_output(mc->bev);
	size_t		 len = body != NULL ? evbuffer_get_length(body) : 0;

	evbuffer_add_printf(out,
	    "HTTP/1.1 %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n\r\n",
	    status,
	    body != NULL ? "text/plain; version=0.0.4; charset=utf-8" :
			   "text/plain; charset=utf-8",
	    len);
	if (body != NULL && !head)
		evbuffer_add_buffer(out, body);
	mc->answered = 1;
}

/* An error answer: its status line is its body too. */
static void
metrics_refuse(struct metrics_conn *mc, const char *status)
{
	struct evbuffer *out = bufferevent_get_output(mc->bev);

	m.http_bad++;
	evbuffer_add_printf(out,
	    "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
	    status, strlen(status) + 1, status);
	mc->answered = 1;
}

/* A subsequence of len bytes in buf, or NULL. */
static const char *
metrics_find(const char *buf, size_t len, const char *what)
{
	size_t n = strlen(what), k;

	for (k = 0; k + n <= len; k++) {
		if (memcmp(buf + k, what, n) == 0)
			return (buf + k);
	}
	return (NULL);
}

/*
 * What to answer a request head, of which len bytes came so far: 0 while
 * more is needed, else an HTTP status: 200 for GET (or HEAD, *head set)
 * of /metrics (a query string ignored), 400 for what is not an HTTP/1.x
 * request line, 405 for another method, 404 for another path, 431 past
 * METRICS_REQUEST_MAX bytes without the head's end.  Headers are read to
 * find that end and are otherwise ignored.  *seen: how far an earlier
 * call found no end (0 at first), so that a head sent a byte at a time
 * is searched once, not once per byte.  fuzz_metrics_http feeds it
 * anything.
 */
int
metrics_http_route(const char *buf, size_t len, size_t *seen, int *head)
{
	char	    line[METRICS_REQUEST_MAX + 1], *p, *method, *target;
	char	   *version, *q;
	const char *end, *eol;
	size_t	    n;

	*head = 0;
	n = *seen > 3 && *seen <= len ? *seen - 3 : 0; /* an end may span */
	if ((end = metrics_find(buf + n, len - n, "\r\n\r\n")) == NULL)
		end = metrics_find(buf + n, len - n, "\n\n");
	if (end == NULL) {
		*seen = len;
		return (len > METRICS_REQUEST_MAX ? 431 : 0);
	}
	if ((size_t)(end - buf) > METRICS_REQUEST_MAX)
		return (431);
	eol = memchr(buf, '\n', len); /* not NULL: end holds one */
	n = (size_t)(eol - buf);
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (memchr(buf, '\0', n) != NULL)
		return (400);
	memcpy(line, buf, n);
	line[n] = '\0';
	p = line;
	method = strsep(&p, " ");
	target = strsep(&p, " ");
	version = p;
	if (method == NULL || target == NULL || version == NULL ||
	    strncmp(version, "HTTP/1.", 7) != 0 || strchr(version, ' '))
		return (400);
	*head = strcmp(method, "HEAD") == 0;
	if (!*head && strcmp(method, "GET") != 0)
		return (405);
	if ((q = strchr(target, '?')) != NULL)
		*q = '\0';
	if (strcmp(target, "/metrics") != 0)
		return (404);
	return (200);
}

static void
metrics_read_cb(struct bufferevent *bev, void *arg)
{
	struct metrics_conn *mc = arg;
	struct evbuffer	    *in = bufferevent_get_input(bev);
	struct evbuffer	    *body;
	size_t		     len = evbuffer_get_length(in);
	int		     head, status;

	if (mc->answered) {
		evbuffer_drain(in, len);
		return;
	}
	/* At most METRICS_REQUEST_MAX + 1 bytes: the read watermark. */
	status = metrics_http_route((const char *)evbuffer_pullup(in, -1), len,
	    &mc->seen, &head);
	switch (status) {
	case 0:
		return;
	case 200:
		m.scrapes++;
		if ((body = evbuffer_new()) == NULL)
			fatalx("%s: evbuffer_new", __func__);
		metrics_render(body);
		metrics_answer(mc, "200 OK", head, body);
		evbuffer_free(body);
		break;
	case 404:
		metrics_refuse(mc, "404 Not Found");
		break;
	case 405:
		metrics_refuse(mc, "405 Method Not Allowed");
		break;
	case 431:
		metrics_refuse(mc, "431 Request Header Fields Too Large");
		break;
	default:
		metrics_refuse(mc, "400 Bad Request");
		break;
	}
	evbuffer_drain(in, len);
}

/*
 * The answer is out: say so with a FIN, and read (and drop) what the
 * client still sends until it closes too, or the deadline.  Closing with
 * unread bytes would send a reset, which may destroy the answer before
 * the client reads it.
 */
static void
metrics_write_cb(struct bufferevent *bev, void *arg)
{
	struct metrics_conn *mc = arg;

	if (!mc->answered ||
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (mc->closing) /* the client has closed its side already */
		metrics_conn_free(mc);
	else
		(void)shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void
metrics_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct metrics_conn *mc = arg;

	/* A client that half-closed after its request still gets it. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) &&
	    mc->answered &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		bufferevent_disable(bev, EV_READ);
		mc->closing = 1;
		return;
	}
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		metrics_conn_free(mc);
}

static void
metrics_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval	     deadline = { METRICS_DEADLINE, 0 };
	struct metrics_conn *mc;
	int		     fd, k;

	(void)what;
	(void)arg;
	for (k = 0; k < 16; k++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("metrics: accept");
			return;
		}
		if (m.nconns >= METRICS_CONNS) {
			m.http_refused++;
			close(fd);
			continue;
		}
		mc = xcalloc(1, sizeof(*mc));
		mc->bev = bufferevent_socket_new(m.base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
		mc->deadline = evtimer_new(m.base, metrics_deadline_cb, mc);
		if (mc->bev == NULL || mc->deadline == NULL ||
		    evtimer_add(mc->deadline, &deadline) == -1)
			fatalx("%s: out of memory", __func__);
		bufferevent_setcb(mc->bev, metrics_read_cb, metrics_write_cb,
		    metrics_event_cb, mc);
		bufferevent_setwatermark(mc->bev, EV_READ, 0,
		    METRICS_REQUEST_MAX + 1);
		bufferevent_enable(mc->bev, EV_READ);
		TAILQ_INSERT_TAIL(&m.conns, mc, entry);
		m.nconns++;
	}
}

/*
 * Listen on [metrics] listen (TCP, each address).  An address that
 * cannot be had is logged and skipped, as for DNS.
 */
void
metrics_init(struct event_base *base, const struct config *conf)
{
	struct sockaddr_storage ss;
	unsigned int		len;
	char		       *copy, *w, *save = NULL;
	int			fd, on = 1;

	m.base = base;
	TAILQ_INIT(&m.conns);
	if (conf->metrics_listen == NULL)
		return;
	copy = xstrdup(conf->metrics_listen);
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if (config_listen_parse(w, &ss, &len) == -1 ||
		    m.nfd == METRICS_LISTEN_MAX)
			continue;
		fd = socket(ss.ss_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1 ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
			-1 ||
		    (ss.ss_family == AF_INET6 &&
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on)) == -1) ||
		    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
		    listen(fd, 16) == -1) {
			log_warn("metrics: cannot listen on %s", w);
			if (fd != -1)
				close(fd);
			continue;
		}
		m.fd[m.nfd] = fd;
		m.ev[m.nfd] = event_new(base, fd, EV_READ | EV_PERSIST,
		    metrics_accept_cb, NULL);
		if (m.ev[m.nfd] == NULL || event_add(m.ev[m.nfd], NULL) == -1)
			fatalx("%s: event", __func__);
		m.nfd++;
		log_info("metrics: serving /metrics on %s", w);
	}
	free(copy);
}

void
metrics_shutdown(void)
{
	struct metrics_conn *mc;

	while ((mc = TAILQ_FIRST(&m.conns)) != NULL)
		metrics_conn_free(mc);
	while (m.nfd > 0) {
		m.nfd--;
		event_free(m.ev[m.nfd]);
		close(m.fd[m.nfd]);
	}
}
