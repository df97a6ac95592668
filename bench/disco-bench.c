/*
 * disco-bench: what a client of discod feels, next to the floor no agent
 * can beat.  Built by make, never installed; bench/run.sh drives it in the
 * lab and doc/performance.md records what it printed.
 *
 *	disco-bench load -s socket -t type -k count [-p prefix] [-c clients]
 *	    [-n requests] [-V verbs] [-C client-cpu,server-cpu] [-R]
 *	    [-I rounds]
 *	disco-bench idle -s socket -P pid [-n connections]
 *	disco-bench watch -s socket [-t type] [-n count] [-w seconds]
 *	disco-bench probe -s socket | -E -n name -t type [-i interval-ms]
 *	    [-w seconds] [-d domain] [-v]
 *	disco-bench stamp
 *	disco-bench dns -a address -p port -n name -q qtype [-c clients]
 *	    [-r requests] [-E echo-port]
 *	disco-bench udpecho -a address -p port [-w seconds]
 *
 * load: each of N client threads has its own connection and sends one
 * request at a time (a round trip, as an application waiting for its
 * answer does).  Verbs (-V): resolve (a different instance each time),
 * pick (weighted), pick-rr, pick-random, pick-sticky (a different key
 * each time), list (with a TXT filter that one instance passes),
 * list-all (every instance of the type: its bytes a second are printed),
 * resolve-whole (resolve with "wait_ms":0, a field verb_resolve_fast does
 * not take: the whole request path, for comparison).
 * The same run measures a bare Unix-socket echo server forked from this
 * program: one poll(2) loop that writes every line back, which is all a
 * local agent could do without doing any work.  With -I ROUNDS, each
 * verb's requests go in ROUNDS rounds (fewer if a round would be under
 * 200 requests a client) that alternate with as many rounds
 * to the echo server (each verb's row follows its own echo row), so that
 * a change in the machine's speed during the run, which on a shared
 * virtual machine moves the echo's own p50 by half from one second to
 * the next, falls on both alike.  With -R, after resolve,
 * a second echo server answers each line with as many bytes as resolve's
 * replies had on average: the floor for an answer of that size.
 *
 * probe: what one application feels while something else goes on (a
 * cache filling, avahi-daemon or D-Bus hung): one resolve of a known
 * instance every interval, one at a time, a reply later than 5 s counted
 * as lost; on SIGTERM or SIGINT, or after -w seconds, one summary line.
 * With -v, also "slow: sent TIME latency_us US OUTCOME" for every request
 * over 100 ms (TIME: the wall clock when it was sent).  With -E instead
 * of -s, the same requests go to an echo server it forks: the floor, run
 * beside the real probe, shows what the machine's load alone costs.
 *
 * dns: the same for discod's DNS interface: each of N client threads has
 * its own UDP socket and one query outstanding.  Its floor is udpecho, a
 * UDP server that returns every datagram as it came; with -E, dns runs
 * the same query stream against the echo on that port first (same
 * address), and prints its figures against the echo's as load does.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sched.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES (64 << 20) /* a list of 10000 instances: ~6 MB */
#define CLIENTS_MAX    4096
#define DNS_NAME_MAX   255  /* bytes on the wire, RFC 1035 */
#define DNS_QUERY_MAX  512  /* ours: a header and one question */
#define DNS_TIMEOUT_MS 1000 /* a query not answered by then is lost */

#define PROBE_TIMEOUT_NS 5000000000ULL /* a reply later than this is lost */
#define PROBE_SLOW_NS	 100000000ULL  /* over_100ms, and what -v prints */

struct conn {
	int    fd;
	char  *buf;
	size_t len; /* bytes in buf */
	size_t size;
};

struct load {
	const char  *socket;
	const char  *type;
	const char  *prefix;
	const char  *verb; /* resolve, pick, list or echo */
	unsigned int instances;
	unsigned int clients;
	unsigned int per_client;
	unsigned int first; /* the first request's number (-I's rounds) */
	/* dns: where to send, and the query (its id is set per query). */
	struct sockaddr_storage addr;
	socklen_t		addrlen;
	unsigned char		query[DNS_QUERY_MAX];
	size_t			qlen;
};

struct worker {
	struct load	  *load;
	unsigned int	   index;
	uint64_t	  *lat_ns;
	unsigned int	   done;
	unsigned int	   failed;
	uint64_t	   bytes; /* of the replies */
	char		   first_error[256];
	pthread_barrier_t *start;
};

struct result {
	uint64_t     p50, p90, p99, max; /* ns */
	double	     rate;		 /* requests per second */
	uint64_t     bytes;		 /* of the replies */
	unsigned int requests;
	unsigned int failed;
};

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: disco-bench load -s socket -t type -k count [-p prefix] "
	    "[-c clients]\n"
	    "           [-n requests] [-V verbs] [-C client-cpu,server-cpu] [-R]\n"
	    "           [-I rounds]\n"
	    "       disco-bench idle -s socket -P pid [-n connections]\n"
	    "       disco-bench watch -s socket [-t type] [-n count] "
	    "[-w seconds]\n"
	    "       disco-bench probe -s socket | -E -n name -t type "
	    "[-i interval-ms]\n"
	    "           [-w seconds] [-d domain] [-v]\n"
	    "       disco-bench stamp\n"
	    "       disco-bench dns -a address -p port -n name -q qtype "
	    "[-c clients]\n"
	    "           [-r requests] [-E echo-port]\n"
	    "       disco-bench udpecho -a address -p port [-w seconds]\n");
	exit(2);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "disco-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static uint64_t
now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec);
}

static unsigned long
number(const char *s, const char *what, unsigned long max)
{
	char	     *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v > max)
		die("%s: \"%s\" is not a number from 1 to %lu", what, s, max);
	return (v);
}

static int
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un sun;

	memset(c, 0, sizeof(*c));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strcpy(sun.sun_path, path);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(c->fd);
		c->fd = -1;
		return (-1);
	}
	c->size = 4096;
	if ((c->buf = malloc(c->size)) == NULL)
		die("out of memory");
	return (0);
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int
conn_send(struct conn *c, const char *line, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(c->fd, line, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		line += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * A whole line in the buffer, as conn_line returns it: 1, or 0 when there
 * is none yet and the buffer has room for more; -1 when it has no room.
 */
static int
conn_buffered(struct conn *c, char **line, size_t *consumed)
{
	char *nl;

	if (*consumed > 0) {
		memmove(c->buf, c->buf + *consumed, c->len - *consumed);
		c->len -= *consumed;
		*consumed = 0;
	}
	if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
		*nl = '\0';
		*line = c->buf;
		*consumed = (size_t)(nl - c->buf) + 1;
		return (1);
	}
	if (c->len == c->size) {
		if (c->size >= LINE_MAX_BYTES) {
			errno = EMSGSIZE;
			return (-1);
		}
		c->size *= 2;
		if ((c->buf = realloc(c->buf, c->size)) == NULL)
			die("out of memory");
	}
	return (0);
}

/*
 * The next line from the connection, without its newline, in *line (valid
 * until the next call).  Consumes the previous line first.
 */
static int
conn_line(struct conn *c, char **line, size_t *consumed)
{
	ssize_t n;
	int	rc;

	for (;;) {
		if ((rc = conn_buffered(c, line, consumed)) != 0)
			return (rc == 1 ? 0 : -1);
		n = read(c->fd, c->buf + c->len, c->size - c->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return (-1);
		}
		c->len += (size_t)n;
	}
}

static void
ns_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
}

static volatile sig_atomic_t probe_stop; /* SIGINT or SIGTERM came */

static void
probe_signal(int sig)
{
	(void)sig;
	probe_stop = 1;
}

/*
 * conn_line, but giving up at deadline (CLOCK_MONOTONIC) with ETIMEDOUT,
 * or with EINTR once a signal stopped the probe.  The caller blocks the
 * probe's signals; they are let in only while this waits, with mask.
 */
static int
conn_line_by(struct conn *c, char **line, size_t *consumed, uint64_t deadline,
    const sigset_t *mask)
{
	struct pollfd	pfd;
	struct timespec ts;
	uint64_t	now;
	ssize_t		n;
	int		rc;

	for (;;) {
		if ((rc = conn_buffered(c, line, consumed)) != 0)
			return (rc == 1 ? 0 : -1);
		if (probe_stop) {
			errno = EINTR;
			return (-1);
		}
		if ((now = now_ns(CLOCK_MONOTONIC)) >= deadline) {
			errno = ETIMEDOUT;
			return (-1);
		}
		ns_timespec(deadline - now, &ts);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if ((rc = ppoll(&pfd, 1, &ts, mask)) == -1 && errno != EINTR)
			return (-1);
		if (rc <= 0)
			continue; /* the top looks at the signal and the time */
		n = read(c->fd, c->buf + c->len, c->size - c->len);
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return (-1);
		}
		c->len += (size_t)n;
	}
}

/* The request a worker sends as its I-th, into buf. */
static size_t
request_line(const struct load *l, unsigned int worker, unsigned int i,
    char *buf, size_t size)
{
	unsigned int n;
	int	     len;

	n = (worker * 7919 + i) % l->instances + 1;
	if (strcmp(l->verb, "pick") == 0)
		len = snprintf(buf, size,
		    "{\"verb\":\"pick\",\"type\":\"%s\"}\n", l->type);
	else if (strcmp(l->verb, "pick-rr") == 0)
		len = snprintf(buf, size,
		    "{\"verb\":\"pick\",\"type\":\"%s\","
		    "\"policy\":\"round-robin\"}\n",
		    l->type);
	else if (strcmp(l->verb, "pick-random") == 0)
		len = snprintf(buf, size,
		    "{\"verb\":\"pick\",\"type\":\"%s\","
		    "\"policy\":\"random\"}\n",
		    l->type);
	else if (strcmp(l->verb, "pick-sticky") == 0)
		len = snprintf(buf, size,
		    "{\"verb\":\"pick\",\"type\":\"%s\","
		    "\"policy\":\"sticky\",\"key\":\"user-%u-%u\"}\n",
		    l->type, worker, i);
	else if (strcmp(l->verb, "list-all") == 0)
		len = snprintf(buf, size,
		    "{\"verb\":\"list\",\"type\":\"%s\"}\n", l->type);
	else if (strcmp(l->verb, "list") == 0)
		len = snprintf(buf, size,
		    "{\"verb\":\"list\",\"type\":\"%s\","
		    "\"txt\":[\"n=%u\"]}\n",
		    l->type, n);
	else if (strcmp(l->verb, "resolve-whole") == 0)
		/* A field the fast way does not take: the whole way. */
		len = snprintf(buf, size,
		    "{\"verb\":\"resolve\",\"name\":"
		    "\"%s%u\",\"type\":\"%s\",\"wait_ms\":0}\n",
		    l->prefix, n, l->type);
	else /* resolve; also what the echo server gets */
		len = snprintf(buf, size,
		    "{\"verb\":\"resolve\",\"name\":"
		    "\"%s%u\",\"type\":\"%s\"}\n",
		    l->prefix, n, l->type);
	if (len < 0 || (size_t)len >= size)
		die("request too long");
	return ((size_t)len);
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct load   *l = w->load;
	struct conn    c;
	char	       req[1024], *line;
	size_t	       len, consumed = 0;
	uint64_t       t0;
	unsigned int   i;
	int	       echo = strcmp(l->verb, "echo") == 0;

	if (conn_open(&c, l->socket) == -1)
		die("%s: %s", l->socket, strerror(errno));
	pthread_barrier_wait(w->start);
	for (i = 0; i < l->per_client; i++) {
		len = request_line(l, w->index, l->first + i, req, sizeof(req));
		t0 = now_ns(CLOCK_MONOTONIC);
		if (conn_send(&c, req, len) == -1 ||
		    conn_line(&c, &line, &consumed) == -1)
			die("%s: request %u: %s", l->socket, i,
			    strerror(errno));
		w->lat_ns[w->done++] = now_ns(CLOCK_MONOTONIC) - t0;
		w->bytes += strlen(line) + 1;
		if (!echo && strstr(line, "\"ok\":true") == NULL) {
			if (w->failed++ == 0)
				snprintf(w->first_error, sizeof(w->first_error),
				    "%s", line);
		}
	}
	conn_close(&c);
	return (NULL);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static uint64_t
percentile(const uint64_t *v, size_t n, unsigned int pct)
{
	size_t i;

	i = (n * pct + 99) / 100;
	return (v[i == 0 ? 0 : i - 1]);
}

/* Latencies gathered over one or more runs, and what they cost. */
struct samples {
	uint64_t    *v;
	size_t	     n;
	uint64_t     elapsed, bytes; /* ns, reply bytes */
	unsigned int failed;
};

/* One run of l's clients, its latencies added to s. */
static void
load_collect(struct load *l, struct samples *s, void *(*run)(void *))
{
	pthread_barrier_t start;
	struct worker	 *w;
	pthread_t	 *t;
	uint64_t	 *all, t0;
	unsigned int	  i, j;

	w = calloc(l->clients, sizeof(*w));
	t = calloc(l->clients, sizeof(*t));
	all = calloc((size_t)l->clients * l->per_client, sizeof(*all));
	s->v = realloc(s->v,
	    (s->n + (size_t)l->clients * l->per_client) * sizeof(*s->v));
	if (w == NULL || t == NULL || all == NULL || s->v == NULL)
		die("out of memory");
	pthread_barrier_init(&start, NULL, l->clients + 1);
	for (i = 0; i < l->clients; i++) {
		w[i].load = l;
		w[i].index = i;
		w[i].start = &start;
		w[i].lat_ns = all + (size_t)i * l->per_client;
		if (pthread_create(&t[i], NULL, run, &w[i]) != 0)
			die("pthread_create failed");
	}
	pthread_barrier_wait(&start);
	t0 = now_ns(CLOCK_MONOTONIC);
	for (i = 0; i < l->clients; i++)
		pthread_join(t[i], NULL);
	s->elapsed += now_ns(CLOCK_MONOTONIC) - t0;
	pthread_barrier_destroy(&start);

	for (i = 0; i < l->clients; i++) {
		for (j = 0; j < w[i].done; j++)
			s->v[s->n++] = w[i].lat_ns[j];
		if (w[i].failed > 0 && s->failed == 0)
			fprintf(stderr, "disco-bench: %s: a failed reply: %s\n",
			    l->verb, w[i].first_error);
		s->failed += w[i].failed;
		s->bytes += w[i].bytes;
	}
	free(all);
	free(t);
	free(w);
}

/* The figures of what s gathered; s is emptied. */
static void
samples_result(struct samples *s, struct result *r)
{
	memset(r, 0, sizeof(*r));
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	r->requests = (unsigned int)s->n;
	r->failed = s->failed;
	r->bytes = s->bytes;
	if (s->n > 0) { /* dns: every query may have been lost */
		r->p50 = percentile(s->v, s->n, 50);
		r->p90 = percentile(s->v, s->n, 90);
		r->p99 = percentile(s->v, s->n, 99);
		r->max = s->v[s->n - 1];
	}
	r->rate = s->elapsed > 0 ? (double)s->n * 1e9 / (double)s->elapsed : 0;
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void
load_run(struct load *l, struct result *r, void *(*run)(void *))
{
	struct samples s = { 0 };

	load_collect(l, &s, run);
	samples_result(&s, r);
}

/*
 * The echo server's answer to each line: the line itself, or, when this
 * is not 0, a line of this many bytes (the size of a reply).
 */
static size_t echo_reply_size;

/* The echo server: one poll(2) loop writing every line back. */
static void __attribute__((noreturn)) echo_serve(int lfd)
{
	struct pollfd *pfd;
	struct conn   *cs;
	size_t	       n = 1, i, off;
	ssize_t	       r;
	char	      *nl;

	char *sized = NULL;

	pfd = calloc(CLIENTS_MAX + 1, sizeof(*pfd));
	cs = calloc(CLIENTS_MAX + 1, sizeof(*cs));
	if (pfd == NULL || cs == NULL)
		_exit(1);
	if (echo_reply_size > 0) {
		if ((sized = malloc(echo_reply_size)) == NULL)
			_exit(1);
		memset(sized, 'x', echo_reply_size - 1);
		sized[echo_reply_size - 1] = '\n';
	}
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, n, -1) == -1) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if ((pfd[0].revents & POLLIN) && n <= CLIENTS_MAX) {
			int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (fd != -1) {
				pfd[n].fd = fd;
				pfd[n].events = POLLIN;
				cs[n].fd = fd;
				cs[n].size = 4096;
				cs[n].len = 0;
				if ((cs[n].buf = malloc(cs[n].size)) == NULL)
					_exit(1);
				n++;
			}
		}
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			r = read(cs[i].fd, cs[i].buf + cs[i].len,
			    cs[i].size - cs[i].len);
			if (r <= 0) {
				close(cs[i].fd);
				free(cs[i].buf);
				cs[i] = cs[n - 1];
				pfd[i] = pfd[n - 1];
				n--;
				i--;
				continue;
			}
			cs[i].len += (size_t)r;
			off = 0;
			while ((nl = memchr(cs[i].buf + off, '\n',
				    cs[i].len - off)) != NULL) {
				size_t len = (size_t)(nl - cs[i].buf) + 1 - off;

				if ((sized != NULL ?
					    conn_send(&cs[i], sized,
						echo_reply_size) :
					    conn_send(&cs[i], cs[i].buf + off,
						len)) == -1)
					break;
				off += len;
			}
			memmove(cs[i].buf, cs[i].buf + off, cs[i].len - off);
			cs[i].len -= off;
			if (cs[i].len == cs[i].size)
				cs[i].len = 0; /* no line this long */
		}
	}
}

/* Keep the calling process (and what it forks) to one CPU; -1: any. */
static void
pin_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		die("CPU %d: %s", cpu, strerror(errno));
}

static pid_t
echo_start(char *path, size_t size, int cpu)
{
	struct sockaddr_un sun;
	const char	  *tmp;
	char		   dir[PATH_MAX];
	pid_t		   pid;
	int		   fd;

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/disco-bench.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));
	if ((size_t)snprintf(path, size, "%s/echo.sock", dir) >= size)
		die("%s: path too long", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		die("%s: path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 1024) == -1)
		die("echo server %s: %s", path, strerror(errno));
	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		pin_cpu(cpu);
		echo_serve(fd);
	}
	close(fd);
	return (pid);
}

static void
echo_stop(pid_t pid, const char *path)
{
	char dir[PATH_MAX], *slash;

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	unlink(path);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		rmdir(dir);
	}
}

static void
raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void
result_print(const char *verb, const struct load *l, const struct result *r,
    const struct result *echo)
{
	printf("%-11s %7u %6u %8u %8.1f %8.1f %8.1f %8.1f %9.0f", verb,
	    l->clients, l->instances, r->requests, r->p50 / 1e3, r->p90 / 1e3,
	    r->p99 / 1e3, r->max / 1e3, r->rate);
	if (echo != NULL)
		printf(" %8.2f %8.2f", (double)r->p50 / (double)echo->p50,
		    r->rate / echo->rate);
	else
		printf(" %8s %8s", "-", "-");
	if (r->failed > 0)
		printf("  FAILED %u", r->failed);
	printf("\n");
	fflush(stdout);
}

static int
cmd_load(int argc, char **argv)
{
	struct load   l;
	struct result echo, r;
	const char   *clients = "1,8,32,256",
		   *verbs = "resolve,pick,pick-rr,pick-random,pick-sticky,list";
	char	     *list, *cl, *vl, *save1, *save2, echo_path[PATH_MAX];
	unsigned long total = 20000;
	pid_t	      echo_pid;
	int	      ch, failed = 0, client_cpu = -1, server_cpu = -1;
	int	      sized_echo = 0;
	unsigned int  rounds = 1, k;

	memset(&l, 0, sizeof(l));
	l.prefix = "bench-";
	while ((ch = getopt(argc, argv, "C:c:I:k:n:p:Rs:t:V:")) != -1) {
		switch (ch) {
		case 'I':
			rounds = (unsigned int)number(optarg, "-I", 1000);
			break;
		case 'R':
			sized_echo = 1;
			break;
		case 'C':
			if (sscanf(optarg, "%d,%d", &client_cpu, &server_cpu) !=
				2 ||
			    client_cpu < 0 || server_cpu < 0)
				die("-C: \"%s\" is not client-cpu,server-cpu",
				    optarg);
			break;
		case 'c':
			clients = optarg;
			break;
		case 'k':
			l.instances = (unsigned int)number(optarg, "-k",
			    10000000);
			break;
		case 'n':
			total = number(optarg, "-n", 10000000);
			break;
		case 'p':
			l.prefix = optarg;
			break;
		case 's':
			l.socket = optarg;
			break;
		case 't':
			l.type = optarg;
			break;
		case 'V':
			verbs = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || l.socket == NULL || l.type == NULL ||
	    l.instances == 0)
		usage();
	raise_nofile(CLIENTS_MAX * 2 + 64);
	echo_pid = echo_start(echo_path, sizeof(echo_path), server_cpu);
	pin_cpu(client_cpu);

	printf("%-11s %7s %6s %8s %8s %8s %8s %8s %9s %8s %8s\n", "verb",
	    "clients", "K", "requests", "p50_us", "p90_us", "p99_us", "max_us",
	    "req/s", "p50/echo", "rate/echo");
	if ((list = strdup(clients)) == NULL)
		die("out of memory");
	for (cl = strtok_r(list, ",", &save1); cl != NULL;
	     cl = strtok_r(NULL, ",", &save1)) {
		char *vcopy;

		l.clients = (unsigned int)number(cl, "-c", CLIENTS_MAX);
		l.per_client = (unsigned int)(total / l.clients);
		if (l.per_client < 20)
			l.per_client = 20;
		l.verb = "echo";
		if (rounds == 1) {
			const char *sock = l.socket;

			l.socket = echo_path;
			load_run(&l, &echo, worker_run);
			l.socket = sock;
			result_print("echo", &l, &echo, NULL);
		}
		if ((vcopy = strdup(verbs)) == NULL)
			die("out of memory");
		for (vl = strtok_r(vcopy, ",", &save2); vl != NULL;
		     vl = strtok_r(NULL, ",", &save2)) {
			if (strcmp(vl, "resolve") != 0 &&
			    strcmp(vl, "resolve-whole") != 0 &&
			    strcmp(vl, "pick") != 0 &&
			    strcmp(vl, "pick-rr") != 0 &&
			    strcmp(vl, "pick-random") != 0 &&
			    strcmp(vl, "pick-sticky") != 0 &&
			    strcmp(vl, "list") != 0 &&
			    strcmp(vl, "list-all") != 0)
				die("-V: unknown verb \"%s\"", vl);
			l.verb = vl;
			if (rounds == 1)
				load_run(&l, &r, worker_run);
			else {
				/*
				 * -I: the verb's requests and as many to the
				 * echo server in alternate rounds, so that
				 * both see the same moments of the machine.
				 */
				struct samples se = { 0 }, sv = { 0 };
				const char    *sock = l.socket;
				unsigned int   per = l.per_client;

				l.per_client = per / rounds > 0 ? per / rounds :
								  1;
				for (k = 0; k < rounds; k++) {
					l.first = k * l.per_client;
					l.verb = "echo";
					l.socket = echo_path;
					load_collect(&l, &se, worker_run);
					l.verb = vl;
					l.socket = sock;
					load_collect(&l, &sv, worker_run);
				}
				l.per_client = per;
				l.first = 0;
				samples_result(&se, &echo);
				samples_result(&sv, &r);
				result_print("echo", &l, &echo, NULL);
			}
			result_print(vl, &l, &r, &echo);
			if (strcmp(vl, "list-all") == 0 && r.requests > 0)
				printf(
				    "# list-all: %.0f bytes a reply, %.1f MB/s "
				    "out of discod\n",
				    (double)r.bytes / r.requests,
				    (double)r.bytes / r.requests * r.rate /
					1e6);
			if (r.failed > 0)
				failed = 1;
			/*
			 * -R: the floor for an answer of resolve's size, an
			 * echo server that answers each line with as many
			 * bytes (the row "echo-BYTES", its ratios to echo).
			 */
			if (sized_echo && strcmp(vl, "resolve") == 0 &&
			    r.requests > 0) {
				struct result sr;
				char	      sized_path[PATH_MAX], row[32];
				const char   *verb = l.verb, *sock = l.socket;
				pid_t	      sized_pid;

				echo_reply_size = (size_t)((double)r.bytes /
					r.requests +
				    0.5);
				sized_pid = echo_start(sized_path,
				    sizeof(sized_path), server_cpu);
				echo_reply_size = 0;
				l.verb = "echo";
				l.socket = sized_path;
				load_run(&l, &sr, worker_run);
				l.verb = verb;
				l.socket = sock;
				snprintf(row, sizeof(row), "echo-%.0f",
				    (double)r.bytes / r.requests);
				result_print(row, &l, &sr, &echo);
				echo_stop(sized_pid, sized_path);
			}
		}
		free(vcopy);
	}
	free(list);
	echo_stop(echo_pid, echo_path);
	return (failed);
}

static long
rss_bytes(pid_t pid)
{
	char  path[64], line[256];
	FILE *f;
	long  kb = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	if (kb < 0)
		die("%s: no VmRSS", path);
	return (kb * 1024);
}

/* Open N connections that each said hello, and what they cost discod. */
static int
cmd_idle(int argc, char **argv)
{
	struct conn  *cs;
	const char   *socket = NULL;
	const char    hello[] = "{\"verb\":\"hello\"}\n";
	unsigned long n = 1000, i;
	long	      before, after;
	pid_t	      pid = 0;
	char	     *line;
	size_t	      consumed;
	int	      ch;

	while ((ch = getopt(argc, argv, "n:P:s:")) != -1) {
		switch (ch) {
		case 'n':
			n = number(optarg, "-n", 1000000);
			break;
		case 'P':
			pid = (pid_t)number(optarg, "-P", INT_MAX);
			break;
		case 's':
			socket = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || socket == NULL || pid == 0)
		usage();
	raise_nofile(n + 64);
	if ((cs = calloc(n, sizeof(*cs))) == NULL)
		die("out of memory");
	before = rss_bytes(pid);
	for (i = 0; i < n; i++) {
		consumed = 0;
		if (conn_open(&cs[i], socket) == -1 ||
		    conn_send(&cs[i], hello, sizeof(hello) - 1) == -1 ||
		    conn_line(&cs[i], &line, &consumed) == -1)
			die("connection %lu: %s", i + 1, strerror(errno));
		if (strstr(line, "\"ok\":true") == NULL)
			die("connection %lu: %s", i + 1, line);
		/* An idle client keeps no buffer of its own here. */
		free(cs[i].buf);
		cs[i].buf = NULL;
	}
	after = rss_bytes(pid);
	printf("idle connections %lu: discod RSS %ld -> %ld kB, %.0f bytes "
	       "per connection\n",
	    n, before / 1024, after / 1024,
	    (double)(after - before) / (double)n);
	for (i = 0; i < n; i++)
		conn_close(&cs[i]);
	free(cs);
	return (0);
}

static void
print_stamped(const char *line)
{
	printf("%llu %s\n", (unsigned long long)(now_ns(CLOCK_REALTIME) / 1000),
	    line);
	fflush(stdout);
}

/*
 * Watch TYPE and print each line with the wall clock in microseconds;
 * with -n, stop once COUNT distinct instances have been added.
 */
static int
cmd_watch(int argc, char **argv)
{
	struct conn   c;
	const char   *socket = NULL, *type = NULL;
	char	      req[512], *line;
	size_t	      consumed = 0;
	unsigned long count = 0, seen = 0, wait_s = 0;
	int	      ch;

	while ((ch = getopt(argc, argv, "n:s:t:w:")) != -1) {
		switch (ch) {
		case 'n':
			count = number(optarg, "-n", 10000000);
			break;
		case 's':
			socket = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'w':
			wait_s = number(optarg, "-w", 86400);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || socket == NULL)
		usage();
	if (wait_s > 0)
		alarm((unsigned int)wait_s);
	if (conn_open(&c, socket) == -1)
		die("%s: %s", socket, strerror(errno));
	if (type != NULL)
		snprintf(req, sizeof(req),
		    "{\"verb\":\"watch\",\"type\":\"%s\"}\n", type);
	else
		snprintf(req, sizeof(req), "{\"verb\":\"watch\"}\n");
	if (conn_send(&c, req, strlen(req)) == -1)
		die("%s: %s", socket, strerror(errno));
	for (;;) {
		if (conn_line(&c, &line, &consumed) == -1) {
			/* Dropped, or discod gone: say so, the count stops. */
			fprintf(stderr, "disco-bench: watch: %s\n",
			    strerror(errno));
			break;
		}
		if (strstr(line, "\"ok\":") != NULL) {
			if (strstr(line, "\"ok\":true") == NULL)
				die("watch: %s", line);
			print_stamped("snapshot");
			continue;
		}
		if (strstr(line, "\"event\":\"add\"") != NULL)
			seen++;
		print_stamped(line);
		if (count > 0 && seen >= count)
			break;
	}
	conn_close(&c);
	return (0);
}

/* What the probe has seen so far. */
struct probe {
	uint64_t    *lat_ns; /* one per request counted */
	size_t	     n;
	size_t	     size;
	unsigned int ok;
	unsigned int not_found;
	unsigned int errors;
	unsigned int slow; /* over PROBE_SLOW_NS */
	int	     verbose;
	int	     echo; /* the floor: an echo server's line is the reply */
	char	     first_error[256];
};

/* S as a JSON string, quotes included, in out. */
static const char *
json_quote(const char *s, char *out, size_t size)
{
	const unsigned char *p;
	size_t		     len = 0;

	out[len++] = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (size - len < 8)
			die("\"%s\": too long", s);
		if (*p == '"' || *p == '\\') {
			out[len++] = '\\';
			out[len++] = (char)*p;
		} else if (*p < 0x20)
			len += (size_t)snprintf(out + len, size - len,
			    "\\u%04x", *p);
		else
			out[len++] = (char)*p;
	}
	out[len++] = '"';
	out[len] = '\0';
	return (out);
}

/*
 * One resolve on c, connecting it first when the last one was lost, and
 * its outcome counted.  A reply later than PROBE_TIMEOUT_NS is an error
 * and costs the connection (a late reply would be taken for the next
 * one's); a request that a signal interrupts is not counted.
 */
static void
probe_once(struct probe *p, struct conn *c, const char *socket, const char *req,
    size_t *consumed, const sigset_t *mask)
{
	struct timespec wall;
	const char     *outcome;
	char	       *line = NULL;
	uint64_t	t0, lat;
	int		rc, error = 0;

	clock_gettime(CLOCK_REALTIME, &wall);
	t0 = now_ns(CLOCK_MONOTONIC);
	if (c->fd == -1 && conn_open(c, socket) == -1)
		rc = -1;
	else if ((rc = conn_send(c, req, strlen(req))) == 0) {
		/* Skip events: lines without "ok". */
		while ((rc = conn_line_by(c, &line, consumed,
			    t0 + PROBE_TIMEOUT_NS, mask)) == 0 &&
		    !p->echo && strstr(line, "\"ok\":") == NULL)
			;
	}
	if (rc == -1 && (error = errno) == EINTR)
		return;
	lat = now_ns(CLOCK_MONOTONIC) - t0;
	if (rc == -1) {
		if (error == ETIMEDOUT && lat < PROBE_TIMEOUT_NS)
			lat = PROBE_TIMEOUT_NS;
		outcome = error == ETIMEDOUT ? "no reply within 5 s" :
					       strerror(error);
		if (p->errors++ == 0)
			snprintf(p->first_error, sizeof(p->first_error), "%s",
			    outcome);
		conn_close(c);
		*consumed = 0;
	} else if (p->echo || strstr(line, "\"ok\":true") != NULL) {
		outcome = "ok";
		p->ok++;
	} else if (strstr(line, "\"code\":\"not-found\"") != NULL) {
		outcome = "not-found";
		p->not_found++;
	} else {
		outcome = "error";
		if (p->errors++ == 0)
			snprintf(p->first_error, sizeof(p->first_error), "%s",
			    line);
	}
	if (p->n == p->size) {
		p->size = p->size == 0 ? 4096 : p->size * 2;
		if ((p->lat_ns = reallocarray(p->lat_ns, p->size,
			 sizeof(*p->lat_ns))) == NULL)
			die("out of memory");
	}
	p->lat_ns[p->n++] = lat;
	if (lat > PROBE_SLOW_NS) {
		p->slow++;
		if (p->verbose)
			printf("slow: sent %lld.%06ld latency_us %.1f %s\n",
			    (long long)wall.tv_sec, wall.tv_nsec / 1000,
			    lat / 1e3, outcome);
	}
}

static void
probe_print(struct probe *p)
{
	uint64_t p50 = 0, p99 = 0, max = 0;

	if (p->n > 0) {
		qsort(p->lat_ns, p->n, sizeof(*p->lat_ns), cmp_u64);
		p50 = percentile(p->lat_ns, p->n, 50);
		p99 = percentile(p->lat_ns, p->n, 99);
		max = p->lat_ns[p->n - 1];
	}
	if (p->errors > 0)
		fprintf(stderr, "disco-bench: probe: the first error: %s\n",
		    p->first_error);
	printf("probe: resolves %zu ok %u not_found %u errors %u p50_us %.1f "
	       "p99_us %.1f max_us %.1f over_100ms %u\n",
	    p->n, p->ok, p->not_found, p->errors, p50 / 1e3, p99 / 1e3,
	    max / 1e3, p->slow);
}

/*
 * Resolve NAME of TYPE every interval for -w seconds (until a signal
 * without it): one request at a time; the next at the first tick after
 * the reply, so that a late reply never makes requests bunch up.
 */
static int
cmd_probe(int argc, char **argv)
{
	struct probe	 p;
	struct conn	 c;
	struct sigaction sa;
	struct timespec	 ts;
	sigset_t	 block, mask;
	const char	*socket = NULL, *name = NULL, *type = NULL;
	const char	*domain = NULL;
	char		 req[2048], qn[512], qt[512], qd[512];
	char		 echo_path[PATH_MAX];
	pid_t		 echo_pid = -1;
	size_t		 consumed = 0;
	uint64_t	 interval = 20000000, start, end = 0, next, now, until;
	unsigned long	 wait_s = 0;
	int		 ch, len;

	memset(&p, 0, sizeof(p));
	while ((ch = getopt(argc, argv, "Ed:i:n:s:t:vw:")) != -1) {
		switch (ch) {
		case 'E':
			p.echo = 1;
			break;
		case 'd':
			domain = optarg;
			break;
		case 'i':
			interval = (uint64_t)number(optarg, "-i", 3600000) *
			    1000000;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			socket = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'v':
			p.verbose = 1;
			break;
		case 'w':
			wait_s = number(optarg, "-w", 86400);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || name == NULL || type == NULL ||
	    (socket == NULL && !p.echo))
		usage();
	if (p.echo) {
		/* The same requests to a bare echo server of our own. */
		echo_pid = echo_start(echo_path, sizeof(echo_path), -1);
		socket = echo_path;
	}
	if (domain != NULL)
		json_quote(domain, qd, sizeof(qd));
	len = snprintf(req, sizeof(req),
	    "{\"verb\":\"resolve\",\"name\":%s,\"type\":%s%s%s}\n",
	    json_quote(name, qn, sizeof(qn)), json_quote(type, qt, sizeof(qt)),
	    domain != NULL ? ",\"domain\":" : "", domain != NULL ? qd : "");
	if (len < 0 || (size_t)len >= sizeof(req))
		die("request too long");

	/* The signals get in only while the probe waits (ppoll). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (conn_open(&c, socket) == -1)
		die("%s: %s", socket, strerror(errno));

	start = next = now_ns(CLOCK_MONOTONIC);
	if (wait_s > 0)
		end = start + (uint64_t)wait_s * 1000000000;
	while (!probe_stop) {
		now = now_ns(CLOCK_MONOTONIC);
		if (end != 0 && now >= end)
			break;
		if (now < next) {
			until = end != 0 && end < next ? end : next;
			ns_timespec(until - now, &ts);
			ppoll(NULL, 0, &ts, &mask);
			continue;
		}
		probe_once(&p, &c, socket, req, &consumed, &mask);
		now = now_ns(CLOCK_MONOTONIC);
		next = start + ((now - start) / interval + 1) * interval;
	}
	conn_close(&c);
	if (echo_pid != -1)
		echo_stop(echo_pid, echo_path);
	probe_print(&p);
	free(p.lat_ns);
	return (0);
}

/* Prefix every line of standard input with the wall clock. */
static int
cmd_stamp(void)
{
	char   *line = NULL;
	size_t	size = 0;
	ssize_t n;

	while ((n = getline(&line, &size, stdin)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		print_stamped(line);
	}
	free(line);
	return (0);
}

/* An address and port as -a and -p give them (numeric only). */
static void
udp_address(const char *addr, const char *port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *res;
	int		rc;

	number(port, "-p", 65535);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(addr, port, &hints, &res)) != 0)
		die("%s port %s: %s", addr, port, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

static const struct {
	const char *name;
	uint16_t    type;
} dns_types[] = {
	{ "A", 1 },
	{ "SOA", 6 },
	{ "PTR", 12 },
	{ "TXT", 16 },
	{ "AAAA", 28 },
	{ "SRV", 33 },
	{ "ANY", 255 },
};

/*
 * A query for NAME (dotted, no escapes) and QTYPE (a name above or a
 * number), class IN, no recursion wanted, id 0: a header and one question
 * in wire form, built by hand so that the echo gets the same bytes.
 */
static size_t
dns_query(const char *name, const char *qtype, unsigned char *q, size_t size)
{
	const char   *p = name, *dot;
	size_t	      len = 12, k;
	unsigned long type = 0;

	if (size < 12 + DNS_NAME_MAX + 4)
		die("dns: query buffer too small");
	memset(q, 0, 12);
	q[5] = 1; /* qdcount */
	if (strcmp(name, ".") != 0) {
		while (*p != '\0') {
			if ((dot = strchr(p, '.')) == NULL)
				dot = p + strlen(p);
			if (dot == p || dot - p > 63 ||
			    len - 12 + 1 + (size_t)(dot - p) + 1 > DNS_NAME_MAX)
				die("-n: \"%s\" is not a DNS name", name);
			q[len++] = (unsigned char)(dot - p);
			memcpy(q + len, p, (size_t)(dot - p));
			len += (size_t)(dot - p);
			p = *dot == '.' ? dot + 1 : dot;
		}
	}
	q[len++] = 0;
	for (k = 0; k < sizeof(dns_types) / sizeof(dns_types[0]); k++)
		if (strcasecmp(qtype, dns_types[k].name) == 0)
			type = dns_types[k].type;
	if (type == 0)
		type = number(qtype, "-q", 65535);
	q[len++] = (unsigned char)(type >> 8);
	q[len++] = (unsigned char)type;
	q[len++] = 0;
	q[len++] = 1; /* IN */
	return (len);
}

/*
 * Is this the answer to the query with id?  From the echo: the query's
 * own bytes.  From discod: a reply (QR) without error and with answers.
 * -1 for another id (a late answer to a query given up on).
 */
static int
dns_reply_ok(const struct load *l, const unsigned char *q,
    const unsigned char *r, size_t n, int echo)
{
	if (n < 12 || r[0] != q[0] || r[1] != q[1])
		return (-1);
	if (echo)
		return (n == l->qlen && memcmp(r, q, n) == 0);
	return ((r[2] & 0x80) != 0 && (r[3] & 0x0f) == 0 &&
	    (r[6] != 0 || r[7] != 0));
}

/* One client: its own socket, one query outstanding. */
static void *
worker_dns(void *arg)
{
	struct worker *w = arg;
	struct load   *l = w->load;
	struct pollfd  pfd;
	unsigned char  q[DNS_QUERY_MAX], r[65536];
	uint64_t       t0, waited;
	unsigned int   i;
	ssize_t	       n;
	int	       fd, ok, echo = strcmp(l->verb, "echo") == 0;

	if ((fd = socket(l->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) ==
		-1 ||
	    connect(fd, (struct sockaddr *)&l->addr, l->addrlen) == -1)
		die("dns: socket: %s", strerror(errno));
	memcpy(q, l->query, l->qlen);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pthread_barrier_wait(w->start);
	for (i = 0; i < l->per_client; i++) {
		/* A different id for each query of each client. */
		q[0] = (unsigned char)((w->index * 7919 + i) >> 8);
		q[1] = (unsigned char)(w->index * 7919 + i);
		t0 = now_ns(CLOCK_MONOTONIC);
		if (send(fd, q, l->qlen, 0) == -1)
			die("dns: query %u: send: %s", i, strerror(errno));
		ok = -1;
		while (ok == -1) {
			waited = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
			if (waited >= DNS_TIMEOUT_MS ||
			    poll(&pfd, 1, (int)(DNS_TIMEOUT_MS - waited)) < 1)
				break;
			if ((n = recv(fd, r, sizeof(r), 0)) == -1) {
				if (errno == EINTR)
					continue;
				die("dns: query %u: recv: %s", i,
				    strerror(errno));
			}
			ok = dns_reply_ok(l, q, r, (size_t)n, echo);
		}
		if (ok == 1) {
			w->lat_ns[w->done++] = now_ns(CLOCK_MONOTONIC) - t0;
			continue;
		}
		if (w->failed++ == 0)
			snprintf(w->first_error, sizeof(w->first_error), "%s",
			    ok == -1 ? "no answer within 1 s" :
				       "a reply with an error or no answer");
	}
	close(fd);
	return (NULL);
}

static void
dns_result_print(const char *target, const struct load *l,
    const struct result *r, const struct result *echo)
{
	printf("%-8s %7u %8u %8.1f %8.1f %8.1f %8.1f %9.0f", target, l->clients,
	    r->requests, r->p50 / 1e3, r->p90 / 1e3, r->p99 / 1e3, r->max / 1e3,
	    r->rate);
	if (echo != NULL && echo->p50 > 0 && echo->rate > 0)
		printf(" %8.2f %8.2f", (double)r->p50 / (double)echo->p50,
		    r->rate / echo->rate);
	else
		printf(" %8s %8s", "-", "-");
	if (r->failed > 0)
		printf("  FAILED %u", r->failed);
	printf("\n");
	fflush(stdout);
}

/*
 * Query NAME QTYPE at ADDRESS:PORT from each number of clients of -c; with
 * -E, the echo at ADDRESS:ECHO-PORT first, as the floor.
 */
static int
cmd_dns(int argc, char **argv)
{
	struct load   l;
	struct result r, echo;
	const char   *addr = NULL, *port = NULL, *name = NULL, *qtype = NULL;
	const char   *echo_port = NULL, *clients = "1,8,32";
	struct sockaddr_storage dns_addr;
	socklen_t		dns_len;
	char		       *list, *cl, *save;
	unsigned long		total = 20000;
	int			ch, failed = 0;

	memset(&l, 0, sizeof(l));
	while ((ch = getopt(argc, argv, "a:c:E:n:p:q:r:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'c':
			clients = optarg;
			break;
		case 'E':
			echo_port = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'q':
			qtype = optarg;
			break;
		case 'r':
			total = number(optarg, "-r", 10000000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || addr == NULL || port == NULL || name == NULL ||
	    qtype == NULL)
		usage();
	udp_address(addr, port, &dns_addr, &dns_len);
	l.qlen = dns_query(name, qtype, l.query, sizeof(l.query));
	raise_nofile(CLIENTS_MAX * 2 + 64);

	printf("%-8s %7s %8s %8s %8s %8s %8s %9s %8s %8s\n", "target",
	    "clients", "queries", "p50_us", "p90_us", "p99_us", "max_us",
	    "query/s", "p50/echo", "rate/echo");
	if ((list = strdup(clients)) == NULL)
		die("out of memory");
	for (cl = strtok_r(list, ",", &save); cl != NULL;
	     cl = strtok_r(NULL, ",", &save)) {
		l.clients = (unsigned int)number(cl, "-c", CLIENTS_MAX);
		l.per_client = (unsigned int)(total / l.clients);
		if (l.per_client < 20)
			l.per_client = 20;
		if (echo_port != NULL) {
			l.verb = "echo";
			udp_address(addr, echo_port, &l.addr, &l.addrlen);
			load_run(&l, &echo, worker_dns);
			dns_result_print("echo", &l, &echo, NULL);
			if (echo.failed > 0)
				failed = 1;
		}
		l.verb = "dns";
		l.addr = dns_addr;
		l.addrlen = dns_len;
		load_run(&l, &r, worker_dns);
		dns_result_print("dns", &l, &r,
		    echo_port != NULL ? &echo : NULL);
		if (r.failed > 0)
			failed = 1;
	}
	free(list);
	return (failed);
}

/* The UDP echo: every datagram back to its sender, as it came. */
static int
cmd_udpecho(int argc, char **argv)
{
	struct sockaddr_storage ss, from;
	socklen_t		len, flen;
	const char	       *addr = NULL, *port = NULL;
	unsigned char		buf[65536];
	unsigned long		wait_s = 0;
	ssize_t			n;
	int			ch, fd;

	while ((ch = getopt(argc, argv, "a:p:w:")) != -1) {
		switch (ch) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'w':
			wait_s = number(optarg, "-w", 86400);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || addr == NULL || port == NULL)
		usage();
	udp_address(addr, port, &ss, &len);
	if ((fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1)
		die("udpecho %s port %s: %s", addr, port, strerror(errno));
	if (wait_s > 0)
		alarm((unsigned int)wait_s);
	for (;;) {
		flen = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &flen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("udpecho: recvfrom: %s", strerror(errno));
		}
		/* A full socket buffer loses it, as it would a real reply. */
		sendto(fd, buf, (size_t)n, MSG_DONTWAIT,
		    (struct sockaddr *)&from, flen);
	}
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	argc--;
	argv++;
	if (strcmp(argv[0], "load") == 0)
		return (cmd_load(argc, argv));
	if (strcmp(argv[0], "idle") == 0)
		return (cmd_idle(argc, argv));
	if (strcmp(argv[0], "watch") == 0)
		return (cmd_watch(argc, argv));
	if (strcmp(argv[0], "probe") == 0)
		return (cmd_probe(argc, argv));
	if (strcmp(argv[0], "stamp") == 0)
		return (cmd_stamp());
	if (strcmp(argv[0], "dns") == 0)
		return (cmd_dns(argc, argv));
	if (strcmp(argv[0], "udpecho") == 0)
		return (cmd_udpecho(argc, argv));
	usage();
}
