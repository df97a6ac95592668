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

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "discod.h"

#define HEALTH_OUTPUT_MAX 512 /* bytes of output kept */
/*
 * An HTTP check reads at most this much of a response: a server that
 * sends more (or endlessly) fails the check, and discod's memory stays
 * bounded whoever wrote the server.
 */
#define HEALTH_HTTP_HEADERS_MAX (16 * 1024)
#define HEALTH_HTTP_BODY_MAX	(64 * 1024)
/* The environment of an exec check: nothing of discod's own. */
#define HEALTH_EXEC_PATH                                                       \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
	char			 sofar[HEALTH_OUTPUT_MAX]; /* exec's, running */
	size_t			 sofarlen;
	struct event		*tick;	  /* next check */
	struct event		*timeout; /* the running one's deadline */
	int			 running;
	/* tcp */
	int	      fd;
	struct event *io;
	/* http */
	struct evhttp_connection *conn;
	int			  http_too_long; /* past the caps */
	int			  client;	 /* a socket client's: capped */
	/* exec */
	pid_t	      pid;
	int	      pipe;
	struct event *pipe_ev;
};

static struct {
	struct event_base   *base;
	const struct config *conf;
	TAILQ_HEAD(, health) list;
	struct event *sigchld;
	unsigned int  running_clients; /* clients' checks running */
	int	      devnull;	       /* an exec check's stdin */
} hl = { .devnull = -1 };

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
	if (h->running && h->client)
		hl.running_clients--;
	h->running = 0;
}

/*
 * A check that could not run for want of a resource (descriptors,
 * processes, memory): not the service's fault, so it counts neither way.
 * The gate stays as it is and the check runs again at its next interval.
 */
static void
health_skip(struct health *h, const char *what, int err)
{
	health_stop_probe(h);
	log_warnx("health: \"%s\" %s: check not run: %s: %s", h->a->final_name,
	    h->a->def->type, what, strerror(err));
	health_schedule(h, h->spec->interval_ms);
}

/* Errors that say the host, not the service, is short of something. */
static int
health_resource_error(int err)
{
	return (err == EMFILE || err == ENFILE || err == ENOMEM ||
	    err == EAGAIN || err == ENOBUFS);
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
	metrics_check((int)h->spec->type, pass, h->healthy != was);
	if (h->healthy != was) {
		h->last_change = clock_wall();
		struct journal_fields jf = { h->a->final_name, h->a->def->type,
			NULL, h->a->pid };

		journal_event(JOURNAL_CHECK_TURNED,
		    h->healthy ? LOG_INFO : LOG_WARNING, &jf,
		    "health: \"%s\" %s is %s (%s check: %s)", h->a->final_name,
		    h->a->def->type, h->healthy ? "healthy" : "unhealthy",
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
		if (health_resource_error(errno)) {
			health_skip(h, "socket", errno);
			return;
		}
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

/* Why libevent gave up on the request, kept for the result. */
static void
health_http_error_cb(enum evhttp_request_error err, void *arg)
{
	struct health *h = arg;

	if (err == EVREQ_HTTP_DATA_TOO_LONG)
		h->http_too_long = 1;
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
	if (h->http_too_long) {
		snprintf(out, sizeof(out),
		    "HTTP response larger than %d bytes of headers or %d of "
		    "body",
		    HEALTH_HTTP_HEADERS_MAX, HEALTH_HTTP_BODY_MAX);
		health_result(h, 0, out);
		return;
	}
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
	if (code >= 200 && code < 400 && found == NULL)
		/* Say why a good status failed: the text is not there. */
		snprintf(out, sizeof(out), "HTTP %d without \"%.64s\": %.320s",
		    code, h->spec->expect, buf);
	else
		snprintf(out, sizeof(out), "HTTP %d: %.400s", code, buf);
	health_result(h, code >= 200 && code < 400 && found != NULL, out);
}

/*
 * GET the check's URL.  Its host is numeric (or "localhost"), as the
 * spec's parser made sure: libevent without a DNS base would look a name
 * up with a blocking getaddrinfo() inside the loop.
 */
static void
health_http(struct health *h)
{
	struct evhttp_uri     *uri;
	struct evhttp_request *req;
	const char	      *host, *path, *query;
	char		      *target, addr[INET6_ADDRSTRLEN + 2];
	unsigned char	       bin[16];
	size_t		       len;
	int		       port;

	if ((uri = evhttp_uri_parse(h->spec->url)) == NULL ||
	    (host = evhttp_uri_get_host(uri)) == NULL) {
		evhttp_uri_free(uri);
		health_result(h, 0, "bad URL");
		return;
	}
	len = strlen(host);
	if (strcmp(host, "localhost") == 0)
		strlcpy(addr, "127.0.0.1", sizeof(addr));
	else if (len > 2 && len < sizeof(addr) && host[0] == '[' &&
	    host[len - 1] == ']') {
		memcpy(addr, host + 1, len - 2); /* libevent keeps [] */
		addr[len - 2] = '\0';
	} else
		strlcpy(addr, host, sizeof(addr));
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1) {
		evhttp_uri_free(uri);
		health_result(h, 0, "URL host is not a numeric address");
		return;
	}
	port = evhttp_uri_get_port(uri);
	path = evhttp_uri_get_path(uri);
	query = evhttp_uri_get_query(uri);
	xasprintf(&target, "%s%s%s", path != NULL && *path != '\0' ? path : "/",
	    query != NULL ? "?" : "", query != NULL ? query : "");
	h->http_too_long = 0;
	h->conn = evhttp_connection_base_new(hl.base, NULL, addr,
	    (uint16_t)(port > 0 ? port : 80));
	if (h->conn == NULL) {
		evhttp_uri_free(uri);
		free(target);
		health_skip(h, "evhttp_connection_base_new", ENOMEM);
		return;
	}
	evhttp_connection_set_max_headers_size(h->conn,
	    HEALTH_HTTP_HEADERS_MAX);
	evhttp_connection_set_max_body_size(h->conn, HEALTH_HTTP_BODY_MAX);
	req = evhttp_request_new(health_http_cb, h);
	evhttp_request_set_error_cb(req, health_http_error_cb);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", host);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Connection",
	    "close");
	if (evhttp_make_request(h->conn, req, EVHTTP_REQ_GET, target) == -1)
		health_result(h, 0, "cannot send the HTTP request");
	evhttp_uri_free(uri);
	free(target);
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
	if (h->sofarlen + 1 < sizeof(h->sofar)) {
		if ((size_t)n > sizeof(h->sofar) - 1 - h->sofarlen)
			n = (ssize_t)(sizeof(h->sofar) - 1 - h->sofarlen);
		memcpy(h->sofar + h->sofarlen, buf, (size_t)n);
		h->sofarlen += (size_t)n;
		h->sofar[h->sofarlen] = '\0';
	}
}

/*
 * Close every descriptor above stderr: an exec check must hold nothing of
 * discod's (the control socket, clients' connections, other checks'
 * sockets, which libevent does not open close-on-exec).
 */
static void
health_close_from(int lowfd)
{
#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned int)lowfd, ~0U, 0) == 0)
		return;
#endif
	long max = sysconf(_SC_OPEN_MAX), fd;

	for (fd = lowfd; fd < (max > 0 ? max : 65536); fd++)
		close((int)fd);
}

/* Drop every capability: ambient, then effective, permitted, inheritable. */
static int
health_drop_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
		0 };
	struct __user_cap_data_struct	data[_LINUX_CAPABILITY_U32S_3];

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) /* EINVAL: a kernel without ambient sets */
		return (-1);
	memset(data, 0, sizeof(data));
	return ((int)syscall(SYS_capset, &hdr, data));
}

/*
 * The exec check's child, between fork() and execve(): only
 * async-signal-safe calls.  It becomes a session of its own (killed as one
 * group), with default signal handlers, /dev/null for stdin, the pipe for
 * stdout and stderr, no other descriptor, a clean environment and limits,
 * then the check's user, and no capabilities.
 */
static void __attribute__((noreturn))
health_child(const struct health *h, int out, const sigset_t *mask)
{
	static char	 path[] = HEALTH_EXEC_PATH, lang[] = "LC_ALL=C.UTF-8";
	static char	*env[] = { path, lang, NULL };
	extern char    **environ;
	struct sigaction sa;
	struct rlimit	 rl;
	int		 sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* fails for KILL, STOP */
	setsid();
	if (dup2(hl.devnull, STDIN_FILENO) == -1 ||
	    dup2(out, STDOUT_FILENO) == -1 || dup2(out, STDERR_FILENO) == -1)
		_exit(126);
	health_close_from(STDERR_FILENO + 1);
	/* No core files; CPU for the timeout and a second. */
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);
	rl.rlim_cur = rl.rlim_max = h->spec->timeout_ms / 1000 + 2;
	setrlimit(RLIMIT_CPU, &rl);
	if (h->spec->drop_privileges && h->spec->run_uid != 0 &&
	    (setgroups(0, NULL) == -1 || setgid(h->spec->run_gid) == -1 ||
		setuid(h->spec->run_uid) == -1)) {
		dprintf(STDERR_FILENO, "cannot run as uid %ld: %s\n",
		    (long)h->spec->run_uid, strerror(errno));
		_exit(126);
	}
	/*
	 * discod may hold capabilities without being root (the unit runs
	 * it as its own user with CAP_SETUID, CAP_SETGID and CAP_KILL as
	 * ambient capabilities).  A change between two non-zero uids keeps
	 * them, and execve() would hand them to the command: drop them all.
	 */
	if (getuid() != 0 && health_drop_caps() == -1) {
		dprintf(STDERR_FILENO, "cannot drop capabilities: %s\n",
		    strerror(errno));
		_exit(126);
	}
	environ = env;
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(h->spec->argv[0], h->spec->argv);
	dprintf(STDERR_FILENO, "%s: %s\n", h->spec->argv[0], strerror(errno));
	_exit(127);
}

static void
health_exec(struct health *h)
{
	sigset_t all, old;
	int	 p[2];
	pid_t	 pid;

	if (hl.devnull == -1 &&
	    (hl.devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) == -1) {
		health_skip(h, "/dev/null", errno);
		return;
	}
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		health_skip(h, "pipe", errno);
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
		int err = errno;

		sigprocmask(SIG_SETMASK, &old, NULL);
		close(p[0]);
		close(p[1]);
		health_skip(h, "fork", err);
		return;
	}
	if (pid == 0)
		health_child(h, p[1], &old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	h->pid = pid;
	h->pipe = p[0];
	/* The last result's output stays shown until this one ends. */
	h->sofar[0] = '\0';
	h->sofarlen = 0;
	h->pipe_ev = event_new(hl.base, h->pipe, EV_READ | EV_PERSIST,
	    health_pipe_cb, h);
	event_add(h->pipe_ev, NULL);
}

/*
 * Reap every child; a check whose command ended gets its result.  The
 * exited child is first looked at without reaping it (WNOWAIT): while it
 * is a zombie its pid, the id of its process group, cannot be reused, so
 * whatever it left running in that group can be killed safely.
 */
static void
health_sigchld(evutil_socket_t sig, short what, void *arg)
{
	struct health *h;
	siginfo_t      si;
	pid_t	       pid;
	int	       status;
	char	       out[HEALTH_OUTPUT_MAX + 32];

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			break;
		pid = si.si_pid;
		TAILQ_FOREACH(h, &hl.list, entry) {
			if (h->pid == pid)
				break;
		}
		if (h != NULL)
			kill(-pid, SIGKILL); /* its leftovers */
		if (waitpid(pid, &status, 0) != pid)
			break;
		if (h == NULL)
			continue; /* killed at its timeout, or not ours */
		h->pid = 0;
		if (h->pipe_ev != NULL) /* the last of the output */
			health_pipe_cb(h->pipe, EV_READ, h);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			health_result(h, 1, h->sofar);
		else {
			if (WIFEXITED(status))
				snprintf(out, sizeof(out), "exit %d: %s",
				    WEXITSTATUS(status), h->sofar);
			else
				snprintf(out, sizeof(out), "signal %d: %s",
				    WTERMSIG(status), h->sofar);
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
	/*
	 * Users' checks share a cap on how many run at once, so that no
	 * user can hold every descriptor or process slot discod has; a
	 * check over the cap waits (it is neither passed nor failed).
	 */
	if (h->client && h->spec->type != CHECK_TTL &&
	    hl.running_clients >= hl.conf->checks_running_max) {
		health_schedule(h, 100 + arc4random_uniform(100));
		return;
	}
	h->running = 1;
	if (h->client)
		hl.running_clients++;
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
health_init(struct event_base *base, const struct config *conf)
{
	hl.base = base;
	hl.conf = conf;
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
	h->client = a->path == NULL && a->uid != 0;
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
	json_object_object_add(o, "output",
	    json_object_new_string_len(h->output, (int)h->outlen));
	json_object_object_add(o, "last_change",
	    h->last_change > 0 ? json_object_new_double(h->last_change) : NULL);
	return (o);
}
