/*
 * Health checks that gate announcements.  A service with a check is
 * announced only while it is healthy: Rise passes in a row turn it
 * healthy (announced), Fall failures in a row unhealthy (withdrawn, peers
 * receive goodbyes).  Failures in the first StartPeriod do not count.
 *
 * Nothing here blocks the loop: tcp checks connect without blocking, http
 * checks use libevent's evhttp, exec checks run as a process group with
 * their output read from a pipe and are killed as a group at Timeout; the
 * loop reaps every child on SIGCHLD.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "discod.h"

#define HEALTH_OUTPUT_MAX 512 /* bytes of output kept */

struct health {
	TAILQ_ENTRY(health)	 entry;
	struct announcement	*a;
	const struct check_spec *spec; /* the announcement's */
	int			 healthy;
	unsigned int		 passes;   /* in a row */
	unsigned int		 failures; /* in a row */
	unsigned long		 checks;
	double			 last_change; /* epoch seconds, 0: never */
	struct timespec		 started;
	char			 output[HEALTH_OUTPUT_MAX];
	size_t			 outlen;
	struct event		*tick;	  /* next check */
	struct event		*timeout; /* the running one's deadline */
	int			 running;
	/* tcp */
	int	      fd;
	struct event *io;
	/* http */
	struct evhttp_connection *conn;
	/* exec */
	pid_t	      pid;
	int	      pipe;
	struct event *pipe_ev;
};

static struct {
	struct event_base *base;
	TAILQ_HEAD(, health) list;
	struct event *sigchld;
} hl;

static void health_schedule(struct health *, unsigned int);

/*
 * Make the len bytes at s UTF-8, as a JSON string must be (RFC 8259
 * section 8.1): a command may print any bytes, and the cut at
 * HEALTH_OUTPUT_MAX may split a character.  Each byte that is not UTF-8
 * becomes '?'.  Controls stay: JSON escapes them, and clients that show
 * the output must escape them too (discoctl does).
 */
static void
health_utf8(char *s, size_t len)
{
	size_t i = 0;
	int    bad;

	while (i < len && (bad = proto_utf8_invalid(s + i, len - i)) != -1) {
		s[i + (size_t)bad] = '?';
		i += (size_t)bad + 1;
	}
}

static void
health_output(struct health *h, const char *s)
{
	strlcpy(h->output, s, sizeof(h->output));
	h->outlen = strlen(h->output);
}

/* End the running check, whatever its kind, and free its resources. */
static void
health_stop_probe(struct health *h)
{
	if (h->timeout != NULL)
		event_del(h->timeout);
	if (h->io != NULL) {
		event_free(h->io);
		h->io = NULL;
	}
	if (h->fd != -1) {
		close(h->fd);
		h->fd = -1;
	}
	if (h->conn != NULL) {
		evhttp_connection_free(h->conn); /* cancels its request */
		h->conn = NULL;
	}
	if (h->pipe_ev != NULL) {
		event_free(h->pipe_ev);
		h->pipe_ev = NULL;
	}
	if (h->pipe != -1) {
		close(h->pipe);
		h->pipe = -1;
	}
	if (h->pid > 0) {
		/*
		 * Still running: kill its session's group (the child's own
		 * until its setsid(), which may not have run yet); SIGCHLD
		 * reaps it.
		 */
		if (kill(-h->pid, SIGKILL) == -1 && errno == ESRCH)
			kill(h->pid, SIGKILL);
		h->pid = 0;
	}
	h->running = 0;
}

/* One check's result: count it, maybe change the gate, schedule the next. */
static void
health_result(struct health *h, int pass, const char *why)
{
	struct timespec now;
	long long	age_ms;
	int		was = h->healthy;

	health_stop_probe(h);
	h->checks++;
	if (why != NULL)
		health_output(h, why);
	health_utf8(h->output, h->outlen);
	clock_gettime(CLOCK_MONOTONIC, &now);
	age_ms = (now.tv_sec - h->started.tv_sec) * 1000LL +
	    (now.tv_nsec - h->started.tv_nsec) / 1000000;
	if (pass) {
		h->passes++;
		h->failures = 0;
		if (!h->healthy && h->passes >= h->spec->rise)
			h->healthy = 1;
	} else if (age_ms >= (long long)h->spec->start_period_ms) {
		h->failures++;
		h->passes = 0;
		if (h->healthy && h->failures >= h->spec->fall)
			h->healthy = 0;
	}
	if (h->healthy != was) {
		h->last_change = clock_wall();
		log_info("health: \"%s\" %s is %s (%s check: %s)",
		    h->a->final_name, h->a->def->type,
		    h->healthy ? "healthy" : "unhealthy",
		    check_type_name(h->spec->type), h->output);
		announce_health_changed(h->a, h->healthy, h->output);
	}
	health_schedule(h, h->spec->interval_ms);
}

static void
health_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	char	       buf[64];

	snprintf(buf, sizeof(buf), "timed out after %u ms",
	    h->spec->timeout_ms);
	health_result(h, 0, buf);
}

static void
health_tcp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	socklen_t      len = sizeof(int);
	int	       err = 0;
	char	       buf[128];

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err == 0)
		health_result(h, 1, "connected");
	else {
		snprintf(buf, sizeof(buf), "connect: %s", strerror(err));
		health_result(h, 0, buf);
	}
}

static void
health_tcp(struct health *h)
{
	struct sockaddr_storage ss;
	struct sockaddr_in     *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6    *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		slen;
	unsigned int		port;
	char			buf[128];

	port = h->spec->port != 0 ? h->spec->port : h->a->def->port;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, h->spec->host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		slen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, h->spec->host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		slen = sizeof(*sin6);
	} else {
		health_result(h, 0, "bad host");
		return;
	}
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (h->fd == -1) {
		snprintf(buf, sizeof(buf), "socket: %s", strerror(errno));
		health_result(h, 0, buf);
		return;
	}
	if (connect(h->fd, (struct sockaddr *)&ss, slen) == 0) {
		health_result(h, 1, "connected");
		return;
	}
	if (errno != EINPROGRESS) {
		snprintf(buf, sizeof(buf), "connect: %s", strerror(errno));
		health_result(h, 0, buf);
		return;
	}
	h->io = event_new(hl.base, h->fd, EV_WRITE, health_tcp_cb, h);
	event_add(h->io, NULL);
}

static void
health_http_cb(struct evhttp_request *req, void *arg)
{
	struct health	*h = arg;
	struct evbuffer *body;
	char		 buf[HEALTH_OUTPUT_MAX], out[HEALTH_OUTPUT_MAX], *found;
	size_t		 n;
	int		 code;

	if (!h->running)
		return;
	if (req == NULL ||
	    (code = evhttp_request_get_response_code(req)) == 0) {
		health_result(h, 0, "no HTTP response");
		return;
	}
	body = evhttp_request_get_input_buffer(req);
	n = evbuffer_get_length(body);
	if (n > sizeof(buf) - 64)
		n = sizeof(buf) - 64;
	n = (size_t)evbuffer_copyout(body, buf, n);
	buf[n] = '\0';
	found = h->spec->expect == NULL ? buf : strstr(buf, h->spec->expect);
	snprintf(out, sizeof(out), "HTTP %d: %.400s", code, buf);
	health_result(h, code >= 200 && code < 400 && found != NULL, out);
}

static void
health_http(struct health *h)
{
	struct evhttp_uri     *uri;
	struct evhttp_request *req;
	const char	      *host, *path, *query;
	char		       target[1024];
	int		       port;

	if ((uri = evhttp_uri_parse(h->spec->url)) == NULL ||
	    (host = evhttp_uri_get_host(uri)) == NULL) {
		evhttp_uri_free(uri);
		health_result(h, 0, "bad URL");
		return;
	}
	/* No resolver in the loop: localhost means the loopback address. */
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	port = evhttp_uri_get_port(uri);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	snprintf(target, sizeof(target), "%s%s%s",
	    path != NULL && *path != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	h->conn = evhttp_connection_base_new(hl.base, NULL, host,
	    (uint16_t)(port > 0 ? port : 80));
	req = evhttp_request_new(health_http_cb, h);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host",
	    evhttp_uri_get_host(uri));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
	    "close");
	evhttp_uri_free(uri);
	if (h->conn == NULL ||
	    evhttp_make_request(h->conn, req, EVHTTP_REQ_GET, target) == -1)
		health_result(h, 0, "cannot send the HTTP request");
}

static void
health_pipe_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	char	       buf[256];
	ssize_t	       n;

	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		event_del(h->pipe_ev);
		return;
	}
	/* Keep the first HEALTH_OUTPUT_MAX - 1 bytes; drain the rest. */
	if (h->outlen + 1 < sizeof(h->output)) {
		if ((size_t)n > sizeof(h->output) - 1 - h->outlen)
			n = (ssize_t)(sizeof(h->output) - 1 - h->outlen);
		memcpy(h->output + h->outlen, buf, (size_t)n);
		h->outlen += (size_t)n;
		h->output[h->outlen] = '\0';
	}
}

static void
health_exec(struct health *h)
{
	struct sigaction sa;
	sigset_t	 all, old;
	int		 p[2], sig;
	pid_t		 pid;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		health_result(h, 0, "pipe failed");
		return;
	}
	/*
	 * The child starts with every signal blocked: until it has reset
	 * them, libevent's handlers (which write to discod's own signal
	 * socketpair) are its too, and a signal from the check's user
	 * there would reach discod as its own SIGTERM.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	if ((pid = fork()) == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(p[0]);
		close(p[1]);
		health_result(h, 0, "fork failed");
		return;
	}
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		for (sig = 1; sig < NSIG; sig++)
			sigaction(sig, &sa, NULL); /* fails for KILL, STOP */
		setsid(); /* its own session and group, killed as one */
		dup2(p[1], STDOUT_FILENO);
		dup2(p[1], STDERR_FILENO);
		if (p[1] > STDERR_FILENO)
			close(p[1]);
		if (h->spec->drop_privileges && h->spec->run_uid != 0 &&
		    (setgroups(0, NULL) == -1 ||
			setgid(h->spec->run_gid) == -1 ||
			setuid(h->spec->run_uid) == -1)) {
			dprintf(STDERR_FILENO, "cannot run as uid %ld: %s\n",
			    (long)h->spec->run_uid, strerror(errno));
			_exit(126);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
		execvp(h->spec->argv[0], h->spec->argv);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	h->pid = pid;
	h->pipe = p[0];
	h->output[0] = '\0';
	h->outlen = 0;
	h->pipe_ev = event_new(hl.base, h->pipe, EV_READ | EV_PERSIST,
	    health_pipe_cb, h);
	event_add(h->pipe_ev, NULL);
}

/* Reap every child; a check whose command ended gets its result. */
static void
health_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct health *h;
	pid_t	       pid;
	int	       status;
	char	       out[HEALTH_OUTPUT_MAX + 32];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		TAILQ_FOREACH(h, &hl.list, entry) {
			if (h->pid == pid)
				break;
		}
		if (h == NULL)
			continue; /* killed at its timeout, or not ours */
		h->pid = 0;
		if (h->pipe_ev != NULL) /* the last of the output */
			health_pipe_cb(h->pipe, EV_READ, h);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			health_result(h, 1, NULL);
		else {
			if (WIFEXITED(status))
				snprintf(out, sizeof(out), "exit %d: %s",
				    WEXITSTATUS(status), h->output);
			else
				snprintf(out, sizeof(out), "signal %d: %s",
				    WTERMSIG(status), h->output);
			health_result(h, 0, out);
		}
	}
}

static void
health_tick(evutil_socket_t fd, short what, void *arg)
{
	struct health *h = arg;
	struct timeval tv;

	if (h->running)
		return;
	h->running = 1;
	tv.tv_sec = h->spec->timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(h->spec->timeout_ms % 1000) * 1000;
	evtimer_add(h->timeout, &tv);
	switch (h->spec->type) {
	case CHECK_TCP:
		health_tcp(h);
		break;
	case CHECK_HTTP:
		health_http(h);
		break;
	case CHECK_EXEC:
		health_exec(h);
		break;
	case CHECK_TTL:
	case CHECK_NONE:
		health_result(h, 1, "lease");
		break;
	}
}

static void
health_schedule(struct health *h, unsigned int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(h->tick, &tv);
}

void
health_init(struct event_base *base)
{
	hl.base = base;
	TAILQ_INIT(&hl.list);
	hl.sigchld = evsignal_new(hl.base, SIGCHLD, health_sigchld, NULL);
	if (hl.sigchld == NULL || event_add(hl.sigchld, NULL) == -1)
		fatalx("%s: cannot watch SIGCHLD", __func__);
}

/* Set by fuzzers: checks are made but never run (no process, no packet). */
int health_inert;

/* Start checking an announcement; it starts unhealthy (not announced). */
struct health *
health_new(struct announcement *a, const struct check_spec *spec)
{
	struct health *h;

	h = xcalloc(1, sizeof(*h));
	h->a = a;
	h->spec = spec;
	h->fd = h->pipe = -1;
	health_output(h, "not checked yet");
	clock_gettime(CLOCK_MONOTONIC, &h->started);
	h->tick = evtimer_new(hl.base, health_tick, h);
	h->timeout = evtimer_new(hl.base, health_timeout_cb, h);
	TAILQ_INSERT_TAIL(&hl.list, h, entry);
	if (spec->type == CHECK_TTL) {
		h->healthy = 1; /* the lease decides */
		health_output(h, "lease");
	} else if (!health_inert)
		health_schedule(h, 0); /* first check at once */
	return (h);
}

void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	health_stop_probe(h);
	event_free(h->tick);
	event_free(h->timeout);
	TAILQ_REMOVE(&hl.list, h, entry);
	free(h);
}

int
health_ok(const struct health *h)
{
	return (h == NULL || h->healthy);
}

struct json_object *
health_json(const struct health *h)
{
	struct json_object *o = json_object_new_object();
	char		    out[HEALTH_OUTPUT_MAX];

	json_object_object_add(o, "check",
	    json_object_new_string(check_type_name(h->spec->type)));
	json_object_object_add(o, "healthy",
	    json_object_new_boolean(h->healthy));
	json_object_object_add(o, "passes",
	    json_object_new_int((int)h->passes));
	json_object_object_add(o, "failures",
	    json_object_new_int((int)h->failures));
	json_object_object_add(o, "checks",
	    json_object_new_int64((int64_t)h->checks));
	/* A running check's output so far is not made UTF-8 yet. */
	memcpy(out, h->output, h->outlen);
	health_utf8(out, h->outlen);
	json_object_object_add(o, "output",
	    json_object_new_string_len(out, (int)h->outlen));
	json_object_object_add(o, "last_change",
	    h->last_change > 0 ? json_object_new_double(h->last_change) : NULL);
	return (o);
}
