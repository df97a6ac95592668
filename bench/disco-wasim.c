/*
 * disco-wasim: the traffic of N discod agents to an etcd cluster, from
 * one process (issue 23's 100-agent simulation, doc/performance.md).
 *
 *	disco-wasim -e endpoints -n agents [-s records] [-l ttl]
 *	    [-c changes] [-r rate] [-d seconds] [-p prefix]
 *
 * Each agent does what src/widearea.c does, with the same code for the
 * calls and the same records: grant a lease, put its records with it, read
 * the prefix, watch it from the revision after, renew the lease every
 * TTL/3.  Agent i uses endpoint i mod M (what a site that spreads its
 * hosts over its members gets).  Then, one step after another:
 *
 *  1. start: every lease, put, range and watch, until every watch holds
 *     every agent's records;
 *  2. steady: D seconds of renewals only: requests a second from the
 *     agents, and what etcd counted meanwhile (its /metrics, every member);
 *  3. changes: C changes of one record (its port and TXT), R a second,
 *     each by the next agent: to how many watches each came (the fan-out),
 *     how soon after its put was sent (every watch, and the last), and
 *     the watch bytes each cost;
 *  4. revoke: agent 0's lease revoked (what discod does when it stops):
 *     its records gone from every watch, how soon;
 *  5. expire: agent 1 stops renewing (a discod killed -9): its records
 *     gone from every watch, how long after its last renewal.
 *
 * Every wait is bounded; on a failure it says which step and exits 1.
 * Every lease is revoked at the end, so nothing is left in etcd.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "discod.h"

#define WASIM_TYPE "_wasim._tcp"

struct agent {
	unsigned int	 idx;
	const char	*ep;
	char		 host[32];
	long long	 lease;
	unsigned int	 puts_left;
	int		 watching;
	int		 renewing;
	struct timespec	 renewed; /* its last renewal's answer */
	struct etcd_req *watch;
	struct event	*renew;
	unsigned char	*known; /* a bit per record of every agent */
	size_t		 nknown;
};

/* An event a watch received, for the steps that time them. */
struct receipt {
	long long    mod_revision;
	uint64_t     at_ns;
	unsigned int agent; /* whose record */
	int	     deleted;
};

static struct {
	struct event_base *base;
	struct etcd_opts   opts;
	char		 **eps;
	unsigned int	   neps;
	struct agent	  *agents;
	unsigned int	   n, s, ttl;
	const char	  *prefix;
	char		   range[512]; /* "key":..,"range_end":.. */
	const char	  *step;
	int		   failed;
	/* counted in every step */
	unsigned long long requests, renewals, lost, watch_bytes, events;
	/* step 3 to 5 */
	int		recording;
	struct receipt *rc;
	size_t		nrc, rcsize;
	unsigned int	changes, changes_sent, changes_done;
	unsigned int	watches; /* open */
	uint64_t       *change_ns;
	long long      *change_rev;
	struct event   *tick;
} sim;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

static void __attribute__((format(printf, 1, 2))) sim_fail(const char *fmt, ...)
{
	va_list ap;

	if (sim.failed++ == 0) {
		fprintf(stderr, "disco-wasim: %s: ", sim.step);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	event_base_loopbreak(sim.base);
}

static void
sim_key(char *key, size_t size, unsigned int a, unsigned int r)
{
	char host[32], name[32];

	snprintf(host, sizeof(host), "sim-%u", a);
	snprintf(name, sizeof(name), "svc-%u", r);
	if (wa_key_make(key, size, sim.prefix, host, WASIM_TYPE, name) == -1)
		fatalx("key too long");
}

/* Agent a's record r as discod writes it; version v in its port and TXT. */
static char *
sim_value(unsigned int a, unsigned int r, unsigned int v, size_t *len)
{
	struct wa_record rec;
	const char	*err;
	char		 txt[64];
	char		*value;

	memset(&rec, 0, sizeof(rec));
	snprintf(rec.name, sizeof(rec.name), "svc-%u", r);
	strlcpy(rec.type, WASIM_TYPE, sizeof(rec.type));
	snprintf(rec.host, sizeof(rec.host), "sim-%u.local", a);
	rec.port = 10000 + v % 50000;
	snprintf(txt, sizeof(txt), "path=/api/v1");
	txt_add(&rec.txt, (const unsigned char *)txt, strlen(txt), &err);
	snprintf(txt, sizeof(txt), "version=%u", v);
	txt_add(&rec.txt, (const unsigned char *)txt, strlen(txt), &err);
	rec.addrs[0].family = AF_INET;
	rec.addrs[0].addr[0] = 10;
	rec.addrs[0].addr[1] = 99;
	rec.addrs[0].addr[2] = (unsigned char)(a >> 8);
	rec.addrs[0].addr[3] = (unsigned char)a;
	rec.naddrs = 1;
	value = wa_value_make(&rec, len);
	wa_record_clear(&rec);
	return (value);
}

/* A POST of etcd's JSON API, counted. */
static struct etcd_req *
sim_post(struct agent *ag, const char *path, const char *body,
    etcd_line_cb line, etcd_done_cb cb, void *arg)
{
	struct etcd_req *r;

	sim.requests++;
	r = etcd_post(&sim.opts, ag->ep, path, body, line != NULL ? 0 : 60000,
	    line, cb, arg);
	if (r == NULL)
		fatalx("%s%s: URL too long", ag->ep, path);
	return (r);
}

static void sim_put(struct agent *, unsigned int, unsigned int, etcd_done_cb,
    void *);

/* The agent index and record of a key of the prefix, or -1. */
static int
sim_parse_key(const char *key, size_t len, unsigned int *a, unsigned int *r)
{
	struct wa_key k;
	const char   *why;

	if (wa_key_parse(key, len, sim.prefix, &k, &why) == -1 ||
	    sscanf(k.host, "sim-%u", a) != 1 ||
	    sscanf(k.name, "svc-%u", r) != 1 || *a >= sim.n || *r >= sim.s)
		return (-1);
	return (0);
}

static void
sim_know(struct agent *ag, unsigned int a, unsigned int r, int on)
{
	size_t bit = (size_t)a * sim.s + r;
	int    was = (ag->known[bit / 8] >> (bit % 8)) & 1;

	if (on && !was) {
		ag->known[bit / 8] |= (unsigned char)(1 << (bit % 8));
		ag->nknown++;
	} else if (!on && was) {
		ag->known[bit / 8] &= (unsigned char)~(1 << (bit % 8));
		ag->nknown--;
	}
}

static int
sim_watch_line(struct etcd_req *req, const char *line, size_t len, void *arg)
{
	struct agent   *ag = arg;
	struct wa_watch w;
	struct receipt *rc;
	uint64_t	at = now_ns();
	unsigned int	a, r;
	char		err[256];
	size_t		k;

	sim.watch_bytes += len;
	if (wa_watch_parse(line, len, 200000, &w, err, sizeof(err)) == -1) {
		sim_fail("agent %u's watch: %s", ag->idx, err);
		return (-1);
	}
	if (w.canceled)
		sim_fail("agent %u's watch canceled", ag->idx);
	if (w.created && !ag->watching) {
		ag->watching = 1;
		sim.watches++;
	}
	for (k = 0; k < w.nevents; k++) {
		if (sim_parse_key(w.events[k].key, w.events[k].keylen, &a,
			&r) == -1)
			continue;
		sim.events++;
		sim_know(ag, a, r, !w.events[k].deleted);
		if (!sim.recording)
			continue;
		if (sim.nrc == sim.rcsize) {
			sim.rcsize = sim.rcsize ? sim.rcsize * 2 : 4096;
			sim.rc = xreallocarray(sim.rc, sim.rcsize,
			    sizeof(*sim.rc));
		}
		rc = &sim.rc[sim.nrc++];
		rc->mod_revision = w.events[k].mod_revision;
		rc->at_ns = at;
		rc->agent = a;
		rc->deleted = w.events[k].deleted;
	}
	wa_kvs_free(w.events, w.nevents);
	return (0);
}

static void
sim_watch_ended(struct etcd_req *r, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	struct agent *ag = arg;

	ag->watch = NULL;
	sim_fail("agent %u's watch ended: %s", ag->idx, ok ? "by etcd" : why);
}

static void
sim_range_done(struct etcd_req *req, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	struct agent   *ag = arg;
	struct wa_range rr;
	unsigned int	a, r;
	char		err[256], wbody[1024];
	size_t		k;

	if (!ok) {
		sim_fail("agent %u's range: %s", ag->idx, why);
		return;
	}
	if (wa_range_parse(body, len, 200000, &rr, err, sizeof(err)) == -1) {
		sim_fail("agent %u's range: %s", ag->idx, err);
		return;
	}
	for (k = 0; k < rr.nkvs; k++)
		if (sim_parse_key(rr.kvs[k].key, rr.kvs[k].keylen, &a, &r) == 0)
			sim_know(ag, a, r, 1);
	snprintf(wbody, sizeof(wbody),
	    "{\"create_request\":{%s,\"start_revision\":\"%lld\"}}", sim.range,
	    rr.header.revision + 1);
	wa_kvs_free(rr.kvs, rr.nkvs);
	ag->watch = sim_post(ag, "/v3/watch", wbody, sim_watch_line,
	    sim_watch_ended, ag);
}

static void
sim_start_put_done(struct etcd_req *req, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	struct agent *ag = arg;
	char	      rbody[600];

	if (!ok) {
		sim_fail("agent %u's put: %s", ag->idx, why);
		return;
	}
	if (--ag->puts_left > 0)
		return;
	snprintf(rbody, sizeof(rbody), "{%s}", sim.range);
	sim_post(ag, "/v3/kv/range", rbody, NULL, sim_range_done, ag);
}

static void
sim_renew_done(struct etcd_req *req, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	struct agent *ag = arg;
	long long     id, ttl;
	char	      err[256];

	if (!ok || wa_lease_parse(body, len, &id, &ttl, err, sizeof(err)) == -1)
		sim_fail("agent %u's renewal: %s", ag->idx, ok ? err : why);
	else if (ttl <= 0)
		sim.lost++;
	else
		clock_gettime(CLOCK_MONOTONIC, &ag->renewed);
}

static void
sim_renew(evutil_socket_t fd, short what, void *arg)
{
	struct agent *ag = arg;
	char	      body[64];

	if (!ag->renewing)
		return;
	snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", ag->lease);
	sim.renewals++;
	sim_post(ag, "/v3/lease/keepalive", body, NULL, sim_renew_done, ag);
}

static void
sim_grant_done(struct etcd_req *req, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	struct agent  *ag = arg;
	struct timeval tv;
	long long      ttl;
	char	       err[256];
	unsigned int   r;

	if (!ok ||
	    wa_lease_parse(body, len, &ag->lease, &ttl, err, sizeof(err)) ==
		-1) {
		sim_fail("agent %u's lease: %s", ag->idx, ok ? err : why);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ag->renewed);
	ag->renewing = 1;
	tv.tv_sec = sim.ttl / 3;
	tv.tv_usec = (sim.ttl % 3) * 1000000 / 3;
	ag->renew = event_new(sim.base, -1, EV_PERSIST, sim_renew, ag);
	if (ag->renew == NULL || event_add(ag->renew, &tv) == -1)
		fatalx("event_add");
	ag->puts_left = sim.s;
	for (r = 0; r < sim.s; r++)
		sim_put(ag, r, 0, sim_start_put_done, ag);
}

static void
sim_put(struct agent *ag, unsigned int r, unsigned int v, etcd_done_cb cb,
    void *arg)
{
	char   key[WA_KEY_MAX], lease[32], *value, *k64, *v64, *body;
	size_t vlen, blen;

	sim_key(key, sizeof(key), ag->idx, r);
	value = sim_value(ag->idx, r, v, &vlen);
	k64 = wa_b64(key, strlen(key));
	v64 = wa_b64(value, vlen);
	snprintf(lease, sizeof(lease), "%lld", ag->lease);
	blen = strlen(k64) + strlen(v64) + 64;
	body = xmalloc(blen);
	snprintf(body, blen,
	    "{\"key\":\"%s\",\"value\":\"%s\",\"lease\":\"%s\"}", k64, v64,
	    lease);
	sim_post(ag, "/v3/kv/put", body, NULL, cb, arg);
	free(body);
	free(k64);
	free(v64);
	free(value);
}

/* Run the loop until done() holds or seconds pass; 0 when it held. */
/* Where the agents are, when a step takes too long. */
static void
sim_progress(void)
{
	unsigned int a, leased = 0, written = 0, watching = 0, all = 0;
	size_t	     least = SIZE_MAX;

	for (a = 0; a < sim.n; a++) {
		leased += sim.agents[a].lease != 0;
		written += sim.agents[a].lease != 0 &&
		    sim.agents[a].puts_left == 0;
		watching += sim.agents[a].watching;
		all += sim.agents[a].nknown == (size_t)sim.n * sim.s;
		if (sim.agents[a].nknown < least)
			least = sim.agents[a].nknown;
	}
	fprintf(stderr,
	    "disco-wasim: %u agents: %u with a lease, %u with their records "
	    "written, %u watching, %u holding all %u records (the fewest: "
	    "%zu); %u requests in flight\n",
	    sim.n, leased, written, watching, all, sim.n * sim.s, least,
	    etcd_requests());
}

static void
sim_wake(evutil_socket_t fd, short what, void *arg)
{
}

static int
sim_until(int (*done)(void), unsigned int seconds, const char *step)
{
	uint64_t deadline = now_ns() + (uint64_t)seconds * 1000000000;

	sim.step = step;
	while (!sim.failed && !done()) {
		if (now_ns() >= deadline) {
			sim_progress();
			sim_fail("not done within %u s", seconds);
			break;
		}
		event_base_loop(sim.base, EVLOOP_ONCE);
	}
	return (sim.failed ? -1 : 0);
}

static int
sim_everyone_knows_all(void)
{
	unsigned int a;

	for (a = 0; a < sim.n; a++)
		if (!sim.agents[a].watching ||
		    sim.agents[a].nknown != (size_t)sim.n * sim.s)
			return (0);
	return (1);
}

static int sim_steady_over;
static int
sim_steady_done(void)
{
	return (sim_steady_over);
}

static void
sim_steady_end(evutil_socket_t fd, short what, void *arg)
{
	sim_steady_over = 1;
}

/* Metrics: the sum of NAME's values (with labels containing FILTER). */
struct metrics {
	double proposals, puts, deletes, keepalives, sent, received, watchers;
};

static size_t
sim_metrics_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct proto_buf *b = arg;

	proto_buf_grow(b, size * nmemb);
	memcpy(b->p + b->len, data, size * nmemb);
	b->len += size * nmemb;
	b->p[b->len] = '\0';
	return (size * nmemb);
}

static double
sim_metric(const char *text, const char *name, const char *filter)
{
	const char *p, *eol, *v;
	size_t	    nlen = strlen(name);
	double	    sum = 0;

	for (p = text; *p != '\0'; p = *eol ? eol + 1 : eol) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		if (strncmp(p, name, nlen) != 0 ||
		    (p[nlen] != ' ' && p[nlen] != '{'))
			continue;
		if ((v = memchr(p, ' ', (size_t)(eol - p))) == NULL)
			continue;
		if (filter != NULL &&
		    (memmem(p, (size_t)(v - p), filter, strlen(filter)) ==
			NULL))
			continue;
		sum += strtod(v + 1, NULL);
	}
	return (sum);
}

/* Every member's counters (max for what each member does alike). */
static void
sim_scrape(struct metrics *m)
{
	struct proto_buf b;
	CURL		*easy;
	char		 url[1024];
	double		 v;
	unsigned int	 e;

	memset(m, 0, sizeof(*m));
	for (e = 0; e < sim.neps; e++) {
		memset(&b, 0, sizeof(b));
		snprintf(url, sizeof(url), "%s/metrics", sim.eps[e]);
		if ((easy = curl_easy_init()) == NULL)
			fatalx("curl_easy_init");
		curl_easy_setopt(easy, CURLOPT_URL, url);
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 5000L);
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
		    sim_metrics_write);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, &b);
		if (sim.opts.ca != NULL)
			curl_easy_setopt(easy, CURLOPT_CAINFO, sim.opts.ca);
		if (curl_easy_perform(easy) != CURLE_OK)
			fatalx("%s: no metrics", url);
		curl_easy_cleanup(easy);
		if (b.p == NULL)
			fatalx("%s: no metrics", url);
		v = sim_metric(b.p, "etcd_server_proposals_committed_total",
		    NULL);
		if (v > m->proposals)
			m->proposals = v;
		v = sim_metric(b.p, "etcd_mvcc_put_total", NULL);
		if (v > m->puts)
			m->puts = v;
		v = sim_metric(b.p, "etcd_mvcc_delete_total", NULL);
		if (v > m->deletes)
			m->deletes = v;
		m->keepalives += sim_metric(b.p,
		    "grpc_server_msg_received_total",
		    "grpc_method=\"LeaseKeepAlive\"");
		m->sent += sim_metric(b.p,
		    "etcd_network_client_grpc_sent_bytes_total", NULL);
		m->received += sim_metric(b.p,
		    "etcd_network_client_grpc_received_bytes_total", NULL);
		m->watchers += sim_metric(b.p,
		    "etcd_debugging_mvcc_watcher_total", NULL);
		free(b.p);
	}
}

static void
sim_change_put_done(struct etcd_req *req, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	unsigned int	 c = (unsigned int)(uintptr_t)arg;
	struct wa_header h;
	char		 err[256];

	if (!ok || wa_answer_parse(body, len, &h, err, sizeof(err)) == -1) {
		sim_fail("change %u's put: %s", c, ok ? err : why);
		return;
	}
	sim.change_rev[c] = h.revision;
	sim.changes_done++;
}

static void
sim_change(evutil_socket_t fd, short what, void *arg)
{
	unsigned int  c = sim.changes_sent;
	struct agent *ag;

	if (c >= sim.changes) {
		event_del(sim.tick);
		return;
	}
	/* agents 0 and 1 are kept for steps 4 and 5: skip them */
	ag = &sim.agents[sim.n > 2 ? 2 + c % (sim.n - 2) : c % sim.n];
	sim.change_ns[c] = now_ns();
	sim.changes_sent++;
	sim_put(ag, 0, c + 1, sim_change_put_done, (void *)(uintptr_t)c);
}

static int
sim_changes_seen(void)
{
	return (sim.changes_done == sim.changes &&
	    sim.nrc >= (size_t)sim.changes * sim.watches);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static double
pct_ms(uint64_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return (0);
	i = (size_t)(q * (double)(n - 1) + 0.5);
	return ((double)v[i] / 1e6);
}

/* Receipts of deletes of agent a's records. */
static size_t
sim_deletes_of(unsigned int a, uint64_t *last)
{
	size_t k, n = 0;

	*last = 0;
	for (k = 0; k < sim.nrc; k++)
		if (sim.rc[k].deleted && sim.rc[k].agent == a) {
			n++;
			if (sim.rc[k].at_ns > *last)
				*last = sim.rc[k].at_ns;
		}
	return (n);
}

static unsigned int sim_gone_agent;
static int
sim_gone_everywhere(void)
{
	uint64_t last;

	return (sim_deletes_of(sim_gone_agent, &last) >=
	    (size_t)sim.s * sim.watches);
}

/* Agent a stops: no renewals, its watch closed (as discod's end does). */
static void
sim_stop_agent(unsigned int a)
{
	struct agent *ag = &sim.agents[a];

	ag->renewing = 0;
	if (ag->watch != NULL) {
		etcd_cancel(ag->watch);
		ag->watch = NULL;
		sim.watches--;
	}
}

static void
sim_revoke_done(struct etcd_req *req, int ok, long http, const char *body,
    size_t len, const char *why, void *arg)
{
	if (!ok)
		sim_fail("revoke: %s", why);
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: disco-wasim -e endpoints -n agents [-s records] [-l ttl] "
	    "[-c changes]\n"
	    "           [-r rate] [-d seconds] [-p prefix] [-C ca]\n");
	exit(2);
}

static unsigned int
number(const char *s, const char *what, unsigned int lo, unsigned int hi)
{
	char	     *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "disco-wasim: %s: %u to %u\n", what, lo, hi);
		exit(2);
	}
	return ((unsigned int)v);
}

int
main(int argc, char **argv)
{
	struct metrics m0, m1, m2, m3;
	struct rlimit  rl;
	struct timeval tv;
	struct event  *end, *wake;
	const char    *endpoints = NULL;
	char	      *copy, *w, *save, *k64, *e64, endkey[WA_PREFIX_MAX + 1];
	char	       body[64];
	unsigned int   a, c, rate = 10, seconds = 20;
	uint64_t       t0, t1, last, *lat, *lastlat;
	size_t	       k, nlat, plen, elen;
	double	       dt;
	int	       ch;

	sim.n = 100;
	sim.s = 5;
	sim.ttl = 5;
	sim.changes = 100;
	sim.prefix = "/disco-wasim/";
	while ((ch = getopt(argc, argv, "C:c:d:e:l:n:p:r:s:")) != -1) {
		switch (ch) {
		case 'C':
			sim.opts.ca = optarg;
			break;
		case 'c':
			sim.changes = number(optarg, "-c", 1, 100000);
			break;
		case 'd':
			seconds = number(optarg, "-d", 1, 3600);
			break;
		case 'e':
			endpoints = optarg;
			break;
		case 'l':
			sim.ttl = number(optarg, "-l", 2, 3600);
			break;
		case 'n':
			sim.n = number(optarg, "-n", 3, 10000);
			break;
		case 'p':
			sim.prefix = optarg;
			break;
		case 'r':
			rate = number(optarg, "-r", 1, 10000);
			break;
		case 's':
			sim.s = number(optarg, "-s", 1, 1000);
			break;
		default:
			usage();
		}
	}
	if (endpoints == NULL || optind != argc ||
	    wa_prefix_invalid(sim.prefix) != NULL)
		usage();
	log_init(1, 0);
	signal(SIGPIPE, SIG_IGN);
	/* a watch and a call or two per agent, each a socket */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	copy = xstrdup(endpoints);
	for (w = strtok_r(copy, " ,", &save); w != NULL;
	     w = strtok_r(NULL, " ,", &save)) {
		sim.eps = xreallocarray(sim.eps, sim.neps + 1,
		    sizeof(*sim.eps));
		sim.eps[sim.neps++] = xstrdup(w);
	}
	free(copy);
	if (sim.neps == 0)
		usage();
	sim.opts.connect_timeout_ms = 2000;
	if ((sim.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	etcd_init(sim.base);
	/* the loop wakes at least every 100 ms: every wait ends in time */
	tv.tv_sec = 0;
	tv.tv_usec = 100000;
	if ((wake = event_new(sim.base, -1, EV_PERSIST, sim_wake, NULL)) ==
		NULL ||
	    event_add(wake, &tv) == -1)
		fatalx("event_add");
	etcd_connections_max(0); /* each agent its own, as N discods */
	plen = strlen(sim.prefix);
	elen = wa_range_end(sim.prefix, plen, endkey);
	k64 = wa_b64(sim.prefix, plen);
	e64 = wa_b64(endkey, elen);
	snprintf(sim.range, sizeof(sim.range),
	    "\"key\":\"%s\",\"range_end\":\"%s\"", k64, e64);
	free(k64);
	free(e64);
	sim.agents = xcalloc(sim.n, sizeof(*sim.agents));
	sim.change_ns = xcalloc(sim.changes, sizeof(*sim.change_ns));
	sim.change_rev = xcalloc(sim.changes, sizeof(*sim.change_rev));
	printf("disco-wasim: %u agents, %u records each, lease TTL %u s, "
	       "%u endpoints\n",
	    sim.n, sim.s, sim.ttl, sim.neps);

	/* 1. start */
	sim_scrape(&m0);
	t0 = now_ns();
	for (a = 0; a < sim.n; a++) {
		struct agent *ag = &sim.agents[a];

		ag->idx = a;
		ag->ep = sim.eps[a % sim.neps];
		ag->known = xcalloc(((size_t)sim.n * sim.s + 7) / 8, 1);
		snprintf(body, sizeof(body), "{\"TTL\":%u}", sim.ttl);
		sim_post(ag, "/v3/lease/grant", body, NULL, sim_grant_done, ag);
	}
	if (sim_until(sim_everyone_knows_all, 120, "start") == -1)
		return (1);
	t1 = now_ns();
	dt = (double)(t1 - t0) / 1e9;
	sim_scrape(&m1);
	printf("start: %u leases, %u puts, %u ranges, %u watches: every "
	       "watch held all %u records %.0f ms after the first call "
	       "(%llu requests, %.0f/s; %llu watch events); etcd: %.0f "
	       "proposals committed, %.0f puts\n",
	    sim.n, sim.n * sim.s, sim.n, sim.n, sim.n * sim.s, dt * 1e3,
	    sim.requests, (double)sim.requests / dt, sim.events,
	    m1.proposals - m0.proposals, m1.puts - m0.puts);

	/* 2. steady */
	sim.requests = sim.renewals = 0;
	t0 = now_ns();
	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	if ((end = evtimer_new(sim.base, sim_steady_end, NULL)) == NULL ||
	    evtimer_add(end, &tv) == -1)
		fatalx("evtimer_add");
	if (sim_until(sim_steady_done, seconds + 10, "steady") == -1)
		return (1);
	dt = (double)(now_ns() - t0) / 1e9;
	sim_scrape(&m2);
	printf("steady %.0f s: agents sent %.1f requests/s (%.1f renewals/s, "
	       "%llu leases lost); etcd: %.1f proposals committed/s, %.1f "
	       "puts/s, %.1f keepalives received/s, %.0f gRPC bytes out/s, "
	       "%.0f in/s, %.0f watchers\n",
	    dt, (double)sim.requests / dt, (double)sim.renewals / dt, sim.lost,
	    (m2.proposals - m1.proposals) / dt, (m2.puts - m1.puts) / dt,
	    (m2.keepalives - m1.keepalives) / dt, (m2.sent - m1.sent) / dt,
	    (m2.received - m1.received) / dt, m2.watchers);

	/* 3. changes */
	sim.recording = 1;
	sim.watch_bytes = 0;
	tv.tv_sec = 0;
	tv.tv_usec = 1000000 / rate;
	if ((sim.tick = event_new(sim.base, -1, EV_PERSIST, sim_change,
		 NULL)) == NULL ||
	    event_add(sim.tick, &tv) == -1)
		fatalx("event_add");
	if (sim_until(sim_changes_seen, sim.changes / rate + 30, "changes") ==
	    -1)
		return (1);
	sim_scrape(&m3);
	lat = xcalloc(sim.nrc, sizeof(*lat));
	lastlat = xcalloc(sim.changes, sizeof(*lastlat));
	nlat = 0;
	for (k = 0; k < sim.nrc; k++) {
		for (c = 0; c < sim.changes; c++)
			if (sim.change_rev[c] == sim.rc[k].mod_revision)
				break;
		if (c == sim.changes || sim.rc[k].deleted)
			continue;
		lat[nlat] = sim.rc[k].at_ns - sim.change_ns[c];
		if (lat[nlat] > lastlat[c])
			lastlat[c] = lat[nlat];
		nlat++;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	qsort(lastlat, sim.changes, sizeof(*lastlat), cmp_u64);
	printf("changes: %u at %u/s, each a put by one agent: %.1f watch "
	       "events per change (%u watches); put sent -> event at a watch "
	       "p50 %.1f ms, p99 %.1f ms; at the last watch p50 %.1f ms, max "
	       "%.1f ms; %.0f watch bytes per change (%.0f per watch); etcd "
	       "sent %.0f gRPC bytes per change\n",
	    sim.changes, rate, (double)nlat / sim.changes, sim.n,
	    pct_ms(lat, nlat, 0.5), pct_ms(lat, nlat, 0.99),
	    pct_ms(lastlat, sim.changes, 0.5),
	    pct_ms(lastlat, sim.changes, 1.0),
	    (double)sim.watch_bytes / sim.changes,
	    (double)sim.watch_bytes / sim.changes / sim.n,
	    (m3.sent - m2.sent) / sim.changes);
	free(lat);
	free(lastlat);

	/* 4. revoke: agent 0 stops as discod does */
	sim.nrc = 0;
	sim_gone_agent = 0;
	sim_stop_agent(0);
	snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}", sim.agents[0].lease);
	t0 = now_ns();
	sim_post(&sim.agents[0], "/v3/lease/revoke", body, NULL,
	    sim_revoke_done, NULL);
	if (sim_until(sim_gone_everywhere, 30, "revoke") == -1)
		return (1);
	sim_deletes_of(0, &last);
	printf("revoke: agent 0's lease revoked (its %u records): %zu delete "
	       "events at %u watches, the last had them %.1f ms after the "
	       "revoke was sent\n",
	    sim.s, sim_deletes_of(0, &last), sim.watches,
	    (double)(last - t0) / 1e6);

	/* 5. expire: agent 1 killed -9 */
	sim_gone_agent = 1;
	sim_stop_agent(1);
	if (sim_until(sim_gone_everywhere, sim.ttl + 30, "expire") == -1)
		return (1);
	sim_deletes_of(1, &last);
	t0 = (uint64_t)sim.agents[1].renewed.tv_sec * 1000000000 +
	    (uint64_t)sim.agents[1].renewed.tv_nsec;
	printf("expire: agent 1 stopped renewing: its %u records gone from "
	       "every watch %.0f ms after its last renewal (TTL %u s)\n",
	    sim.s, (double)(last - t0) / 1e6, sim.ttl);

	/* the rest revoked: nothing left in etcd */
	sim.step = "end";
	for (a = 2; a < sim.n; a++) {
		sim_stop_agent(a);
		snprintf(body, sizeof(body), "{\"ID\":\"%lld\"}",
		    sim.agents[a].lease);
		if (etcd_post_wait(&sim.opts, sim.agents[a].ep,
			"/v3/lease/revoke", body, 5000) == -1)
			fprintf(stderr,
			    "disco-wasim: agent %u's revoke failed\n", a);
	}
	return (sim.failed ? 1 : 0);
}
