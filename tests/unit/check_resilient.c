/*
 * libdisco's resilient handles, typed events, the agent's errors and the
 * sized structs, against a scripted stand-in agent: a child process that
 * takes connections one after the other, checks each request against
 * what it expects, answers, and closes the connection when its script
 * for it ends (an agent killed and started again).  Every request it
 * reads goes back to the test through a pipe, one per line.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "check_main.h"
#include "disco.h"

/* One step of a connection's script; a NULL expect ends it. */
struct step {
	const char *expect; /* a request holding this comes next */
	const char *send;   /* then these lines (NULL: none) */
};

struct agent {
	pid_t pid;
	int   req_fd; /* the requests seen, one per line */
	char  path[64];
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
read_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	char   c;

	while (len + 1 < size && read(fd, &c, 1) == 1) {
		if (c == '\n') {
			buf[len] = '\0';
			return (0);
		}
		buf[len++] = c;
	}
	return (-1);
}

/* Run the scripts, one per connection (NULL-ended), in a child. */
static void
agent_start(struct agent *a, const char *name, const struct step *const *conns,
    int last_waits)
{
	struct sockaddr_un sun;
	const struct step *st;
	char		   buf[8192];
	int		   lfd, fd, p[2], k;

	snprintf(a->path, sizeof(a->path), "/tmp/libdisco-%s.%d", name,
	    getpid());
	unlink(a->path);
	ck_assert_int_eq(pipe(p), 0);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, a->path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 4), 0);
	if ((a->pid = fork()) == 0) {
		alarm(15); /* never outlive the test */
		close(p[0]);
		for (k = 0; conns[k] != NULL; k++) {
			if ((fd = accept(lfd, NULL, NULL)) == -1)
				_exit(1);
			for (st = conns[k]; st->expect != NULL; st++) {
				if (read_line(fd, buf, sizeof(buf)) == -1)
					break;
				if (strstr(buf, st->expect) == NULL)
					dprintf(p[1], "UNEXPECTED ");
				dprintf(p[1], "%s\n", buf);
				if (st->send != NULL)
					dprintf(fd, "%s\n", st->send);
			}
			if (conns[k + 1] == NULL && last_waits) {
				while (read(fd, buf, sizeof(buf)) > 0)
					; /* until the client closes */
			}
			close(fd);
		}
		/* Gone for good: connecting is refused from now on. */
		close(lfd);
		_exit(0);
	}
	close(p[1]);
	close(lfd);
	a->req_fd = p[0];
}

/* The requests the agent saw, after it ended. */
static void
agent_done(struct agent *a, char *buf, size_t size)
{
	ssize_t n, len = 0;

	if (a->pid > 0)
		waitpid(a->pid, NULL, 0);
	while ((n = read(a->req_fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(a->req_fd);
	unlink(a->path);
}

/* The nth line (from 0) of text, into line. */
static void
nth_line(const char *text, int n, char *line, size_t size)
{
	const char *e;

	for (; n > 0 && text != NULL; n--)
		if ((text = strchr(text, '\n')) != NULL)
			text++;
	ck_assert_ptr_nonnull(text);
	e = strchr(text, '\n');
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_lt((size_t)(e - text), size);
	memcpy(line, text, (size_t)(e - text));
	line[e - text] = '\0';
}

/* Typed events as a test sees them: kinds in order, and a few fields. */
struct seen {
	enum disco_event_kind kind[32];
	int		      n;
	char		      names[32][64];
	long		      registration[32];
	size_t		      restored, lost;
};

static void
seen_cb(const struct disco_event *ev, void *arg)
{
	struct seen *s = arg;

	if (s->n == 32)
		return;
	s->kind[s->n] = ev->kind;
	s->registration[s->n] = ev->registration;
	s->names[s->n][0] = '\0';
	if (ev->instance != NULL)
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s",
		    ev->instance->name);
	else if (ev->name != NULL)
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", ev->name);
	if (ev->kind == DISCO_EVENT_RECONNECTED) {
		s->restored = ev->restored;
		s->lost = ev->lost;
	}
	s->n++;
}

/* Poll and dispatch until kind has been seen, for at most ms. */
static int
dispatch_until(struct disco *x, struct seen *s, enum disco_event_kind kind,
    int ms)
{
	struct pollfd pfd;
	long long     end = now_ms() + ms;
	int	      k;

	while (now_ms() < end) {
		for (k = 0; k < s->n; k++)
			if (s->kind[k] == kind)
				return (1);
		pfd.fd = disco_fd(x);
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) > 0 &&
		    disco_dispatch_events(x, seen_cb, s) < 0)
			return (0);
	}
	return (0);
}

#define INST(name)                                                             \
	"{\"name\":\"" name "\",\"type\":\"_dep._tcp\",\"domain\":\"local\","  \
	"\"port\":80,\"txt\":[],\"addresses\":[]}"

START_TEST(test_restart_restores_registration_and_watch)
{
	static const struct step c1[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":true,\"registration\":{\"id\":7,\"final_name\":"
		    "\"Svc\"}}" },
		{ "\"verb\":\"watch\"",
		    "{\"ok\":true,\"instances\":[" INST("Dep One") "]}" },
		{ NULL, NULL },
	};
	static const struct step c2[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":true,\"registration\":{\"id\":3,\"final_name\":"
		    "\"Svc\"}}" },
		{ "\"verb\":\"watch\"",
		    "{\"ok\":true,\"instances\":[" INST("Dep One") "," INST(
			"Dep Two") "]}\n"
				   "{\"event\":\"established\",\"id\":3,"
				   "\"name\":\"Svc\"}" },
		{ "\"verb\":\"renew\",\"registration\":3", "{\"ok\":true}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, c2, NULL };
	static const struct disco_txt	bytes[] = { { "k=\0\1", 4 } };
	const char		       *cmd[] = { "/bin/true", NULL };
	struct disco_service		svc = { 0 };
	struct disco_instance	       *snap;
	struct seen			s = { 0 };
	struct agent			a;
	struct disco		       *x;
	char				seen[16384], l0[4096], l2[4096];
	size_t				n;
	long				id;
	int				fd;

	agent_start(&a, "restart", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	fd = disco_fd(x);
	svc.name = "Svc";
	svc.type = "_svc._tcp";
	svc.port = 4100;
	svc.ttl = 30;
	svc.txt_bytes = bytes;
	svc.ntxt_bytes = 1;
	svc.check = "exec";
	svc.check_command = cmd;
	svc.check_interval_ms = 1500;
	ck_assert_int_eq(disco_register_service(x, &svc, &id, NULL, 2000), 0);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(disco_watch(x, "_dep._tcp", &snap, &n, 2000), 0);
	ck_assert_uint_eq(n, 1);
	disco_instances_free(snap, n);
	/* The agent goes; the handle comes back by itself. */
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_RECONNECTED, 3000));
	ck_assert_int_eq(disco_fd(x), fd); /* the same number to poll */
	ck_assert_int_ge(s.n, 5);
	ck_assert_int_eq(s.kind[0], DISCO_EVENT_DISCONNECTED);
	ck_assert_int_eq(s.kind[1], DISCO_EVENT_RESYNC);
	ck_assert_int_eq(s.kind[2], DISCO_EVENT_ADD);
	ck_assert_str_eq(s.names[2], "Dep One");
	ck_assert_int_eq(s.kind[3], DISCO_EVENT_ADD);
	ck_assert_str_eq(s.names[3], "Dep Two");
	ck_assert_int_eq(s.kind[4], DISCO_EVENT_RECONNECTED);
	ck_assert_uint_eq(s.restored, 1);
	ck_assert_uint_eq(s.lost, 0);
	/* The agent's events carry its new number; the application's is 7. */
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_ESTABLISHED, 3000));
	ck_assert_int_eq(s.registration[s.n - 1], 7);
	ck_assert_str_eq(s.names[s.n - 1], "Svc");
	ck_assert_int_eq(disco_renew(x, 7, 2000), 0);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "UNEXPECTED"));
	/* Registered again with exactly the same request, check and bytes. */
	nth_line(seen, 0, l0, sizeof(l0));
	nth_line(seen, 2, l2, sizeof(l2));
	ck_assert_str_eq(l0, l2);
	ck_assert_ptr_nonnull(strstr(l0, "{\"base64\":\"az0AAQ==\"}"));
	ck_assert_ptr_nonnull(strstr(l0, "\"check\":{\"type\":\"exec\""));
	ck_assert_ptr_nonnull(strstr(l0, "\"interval\":\"1500ms\""));
	ck_assert_ptr_nonnull(strstr(l0, "\"command\":[\"\\/bin\\/true\"]"));
	nth_line(seen, 1, l0, sizeof(l0));
	nth_line(seen, 3, l2, sizeof(l2));
	ck_assert_str_eq(l0, l2);
}
END_TEST

START_TEST(test_renew_alone_brings_the_registration_back)
{
	static const struct step c1[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":true,\"registration\":{\"id\":7,\"final_name\":"
		    "\"Beat\"}}" },
		{ NULL, NULL },
	};
	static const struct step c2[] = {
		{ "\"ttl\":30",
		    "{\"ok\":true,\"registration\":{\"id\":4,\"final_name\":"
		    "\"Beat\"}}" },
		{ "\"verb\":\"renew\",\"registration\":4", "{\"ok\":true}" },
		{ "\"verb\":\"unregister\",\"registration\":4",
		    "{\"ok\":true}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, c2, NULL };
	struct agent			a;
	struct disco		       *x;
	struct pollfd			pfd;
	char				seen[8192];
	long				id;

	agent_start(&a, "renew", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_register(x, "Beat", "_beat._tcp", 9, NULL, 30,
			     &id, NULL, 2000),
	    0);
	/* The agent closes; this program never reads events, only renews. */
	pfd.fd = disco_fd(x);
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
	ck_assert_int_eq(disco_renew(x, id, 2000), 0);
	ck_assert_int_eq(disco_unregister(x, id, 2000), 0);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "UNEXPECTED"));
	ck_assert_ptr_nonnull(strstr(seen, "\"registration\":4"));
}
END_TEST

/*
 * An event that came behind a reply, and that the program has not taken
 * yet, is not lost when the next call finds the connection gone: it is
 * dispatched, before "disconnected".
 */
START_TEST(test_an_event_behind_a_reply_outlives_the_connection)
{
	static const struct step c1[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":true,\"registration\":{\"id\":7,\"final_name\":"
		    "\"Beat\"}}\n"
		    "{\"event\":\"health\",\"id\":7,\"healthy\":false,"
		    "\"output\":\"down\"}" },
		{ NULL, NULL },
	};
	static const struct step c2[] = {
		{ "\"ttl\":30",
		    "{\"ok\":true,\"registration\":{\"id\":4,\"final_name\":"
		    "\"Beat\"}}" },
		{ "\"verb\":\"renew\",\"registration\":4", "{\"ok\":true}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, c2, NULL };
	struct agent			a;
	struct disco		       *x;
	struct pollfd			pfd;
	struct seen			s = { 0 };
	char				seen[8192];
	long				id;

	agent_start(&a, "behind", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_register(x, "Beat", "_beat._tcp", 9, NULL, 30,
			     &id, NULL, 2000),
	    0);
	pfd.fd = disco_fd(x);
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1); /* the agent closed */
	ck_assert_int_eq(disco_renew(x, id, 2000), 0);
	ck_assert_int_ge(disco_dispatch_events(x, seen_cb, &s), 2);
	ck_assert_int_eq(s.kind[0], DISCO_EVENT_HEALTH);
	ck_assert_int_eq(s.registration[0], id);
	ck_assert_int_eq(s.kind[1], DISCO_EVENT_DISCONNECTED);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "UNEXPECTED"));
}
END_TEST

START_TEST(test_agent_gone_for_good_is_unreachable_within_the_timeout)
{
	static const struct step	c1[] = { { NULL, NULL } };
	static const struct step *const conns[] = { c1, NULL };
	struct seen			s = { 0 };
	struct agent			a;
	struct disco		       *x;
	const char		       *code, *message;
	char				seen[256], *reply;
	long long			t0;

	agent_start(&a, "gone", conns, 0);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	waitpid(a.pid, NULL,
	    0); /* closed the connection, and listens no more */
	t0 = now_ms();
	ck_assert_int_eq(disco_call(x, "{\"verb\":\"hello\"}", &reply, 300),
	    DISCO_EUNREACHABLE);
	ck_assert_int_lt(now_ms() - t0, 1500);
	/* The application hears that the connection dropped. */
	ck_assert_int_ge(disco_dispatch_events(x, seen_cb, &s), 1);
	ck_assert_int_eq(s.kind[0], DISCO_EVENT_DISCONNECTED);
	/* A typed call says why, in the library's words. */
	ck_assert_int_eq(disco_renew(x, 1, 200), DISCO_EUNREACHABLE);
	ck_assert_int_eq(disco_last_error(x, &code, NULL, &message),
	    DISCO_EUNREACHABLE);
	ck_assert_ptr_null(code);
	ck_assert_str_eq(message, "the disco agent is not running");
	disco_close(x);
	a.pid = 0;
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

START_TEST(test_no_reconnect_flag_keeps_the_error)
{
	static const struct step c1[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":true,\"registration\":{\"id\":7,\"final_name\":"
		    "\"X\"}}" },
		{ NULL, NULL },
	};
	static const struct step	c2[] = { { "", "{\"ok\":true}" },
		       { NULL, NULL } };
	static const struct step *const conns[] = { c1, c2, NULL };
	struct agent			a;
	struct disco		       *x;
	struct pollfd			pfd;
	char				seen[8192];
	long				id;

	agent_start(&a, "noreconnect", conns, 0);
	ck_assert_int_eq(disco_open_flags(&x, a.path, 2000, 0x100),
	    DISCO_EINVAL);
	ck_assert_int_eq(disco_open_flags(&x, a.path, 2000,
			     DISCO_OPEN_NO_RECONNECT),
	    0);
	ck_assert_int_eq(disco_register(x, "X", "_x._tcp", 9, NULL, 30, &id,
			     NULL, 2000),
	    0);
	pfd.fd = disco_fd(x);
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 3000), 1);
	ck_assert_int_eq(disco_renew(x, id, 2000), DISCO_ECLOSED);
	disco_close(x);
	/* The second connection was never made: free the agent from it. */
	ck_assert_int_eq(disco_open_flags(&x, a.path, 2000,
			     DISCO_OPEN_NO_RECONNECT),
	    0);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "renew"));
}
END_TEST

START_TEST(test_typed_registration_events)
{
	static const struct step c1[] = {
		{ "\"verb\":\"status\"",
		    "{\"event\":\"established\",\"id\":5,\"name\":\"A\"}\n"
		    "{\"event\":\"renamed\",\"id\":5,\"old_name\":\"A\","
		    "\"name\":\"A #2\"}\n"
		    "{\"event\":\"failed\",\"id\":5,\"error\":\"Too many\","
		    "\"retry\":2}\n"
		    "{\"event\":\"failed\",\"id\":5,\"error\":\"Bad\","
		    "\"retry\":null}\n"
		    "{\"event\":\"health\",\"id\":5,\"healthy\":false,"
		    "\"output\":\"HTTP 503\"}\n"
		    "{\"event\":\"from-the-future\",\"id\":5}\n"
		    "{\"event\":\"expired\",\"id\":5}\n"
		    "{\"ok\":true}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, NULL };
	struct agent			a;
	struct disco		       *x;
	char			       *json, seen[4096];
	struct seen			s = { 0 };

	agent_start(&a, "typed", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_status(x, &json, 2000), 0);
	free(json);
	/* An event of a kind this library does not know is skipped. */
	ck_assert_int_eq(disco_dispatch_events(x, seen_cb, &s), 6);
	ck_assert_int_eq(s.kind[0], DISCO_EVENT_ESTABLISHED);
	ck_assert_str_eq(s.names[0], "A");
	ck_assert_int_eq(s.registration[0], 5);
	ck_assert_int_eq(s.kind[1], DISCO_EVENT_RENAMED);
	ck_assert_str_eq(s.names[1], "A #2");
	ck_assert_int_eq(s.kind[2], DISCO_EVENT_FAILED);
	ck_assert_int_eq(s.kind[3], DISCO_EVENT_FAILED);
	ck_assert_int_eq(s.kind[4], DISCO_EVENT_HEALTH);
	ck_assert_int_eq(s.kind[5], DISCO_EVENT_EXPIRED);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

/* The fields of one event line, as disco_dispatch_events() gives them. */
static struct disco_event one_ev;
static char		  one_text[3][64];

static void
one_cb(const struct disco_event *ev, void *arg)
{
	one_ev = *ev;
	snprintf(one_text[0], sizeof(one_text[0]), "%s",
	    ev->old_name != NULL ? ev->old_name : "-");
	snprintf(one_text[1], sizeof(one_text[1]), "%s",
	    ev->error != NULL ? ev->error : "-");
	snprintf(one_text[2], sizeof(one_text[2]), "%s",
	    ev->output != NULL ? ev->output : "-");
}

static const struct {
	const char *line;
	int	    rc; /* of disco_dispatch_events() */
	int	    retry, healthy;
	const char *text[3];
} event_lines[] = {
	{ "{\"event\":\"renamed\",\"id\":5,\"old_name\":\"A\",\"name\":\"B\"}",
	    1, -1, 0, { "A", "-", "-" } },
	{ "{\"event\":\"failed\",\"id\":5,\"error\":\"Too many\",\"retry\":2}",
	    1, 2, 0, { "-", "Too many", "-" } },
	{ "{\"event\":\"failed\",\"id\":5,\"error\":\"E\",\"retry\":null}", 1,
	    -1, 0, { "-", "E", "-" } },
	{ "{\"event\":\"failed\",\"id\":5,\"error\":\"E\",\"retry\":"
	  "99999999999}",
	    1, 86400, 0, { "-", "E", "-" } },
	{ "{\"event\":\"health\",\"id\":5,\"healthy\":true,\"output\":\"ok\"}",
	    1, -1, 1, { "-", "-", "ok" } },
	/* Malformed: a protocol error, never a NULL handed on. */
	{ "{\"event\":\"health\",\"id\":5,\"output\":\"x\"}", DISCO_EPROTOCOL,
	    0, 0, { 0 } },
	{ "{\"event\":\"failed\",\"id\":5}", DISCO_EPROTOCOL, 0, 0, { 0 } },
	{ "{\"event\":\"established\",\"id\":\"5\",\"name\":\"A\"}",
	    DISCO_EPROTOCOL, 0, 0, { 0 } },
	{ "{\"event\":\"renamed\",\"id\":5}", DISCO_EPROTOCOL, 0, 0, { 0 } },
	{ "{\"event\":\"add\",\"instance\":7}", DISCO_EPROTOCOL, 0, 0, { 0 } },
	{ "{\"event\":\"reconnected\",\"restored\":-1}", DISCO_EPROTOCOL, 0, 0,
	    { 0 } },
};

START_TEST(test_event_fields_and_malformed_events)
{
	struct step c1[] = { { "\"verb\":\"status\"", NULL }, { NULL, NULL } };
	const struct step *conns[] = { c1, NULL };
	struct agent	   a;
	struct disco	  *x;
	char		  *json, send[512], seen[4096];
	int		   k;

	snprintf(send, sizeof(send), "%s\n{\"ok\":true}", event_lines[_i].line);
	c1[0].send = send;
	agent_start(&a, "fields", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_status(x, &json, 2000), 0);
	free(json);
	memset(&one_ev, 0, sizeof(one_ev));
	ck_assert_int_eq(disco_dispatch_events(x, one_cb, NULL),
	    event_lines[_i].rc);
	if (event_lines[_i].rc == 1) {
		ck_assert_int_eq(one_ev.registration, 5);
		ck_assert_int_eq(one_ev.retry, event_lines[_i].retry);
		ck_assert_int_eq(one_ev.healthy, event_lines[_i].healthy);
		for (k = 0; k < 3; k++)
			ck_assert_str_eq(one_text[k], event_lines[_i].text[k]);
	}
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

START_TEST(test_last_error_is_the_agents)
{
	static const struct step c1[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":false,\"error\":{\"code\":\"bad-field\","
		    "\"field\":\"check.url\",\"message\":\"check.url must be "
		    "http://\"}}" },
		{ "\"verb\":\"status\"", "{\"ok\":true}" },
		{ "\"verb\":\"renew\"",
		    "{\"ok\":false,\"error\":{\"code\":\"bad-field\","
		    "\"field\":\"registration\",\"message\":\"no\"}}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, NULL };
	struct disco_instance	       *inst;
	struct disco_service		svc = { 0 };
	struct agent			a;
	struct disco		       *x;
	const char		       *code, *field, *message;
	char			       *json, seen[4096];
	long				id;

	agent_start(&a, "lasterr", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	svc.name = "S";
	svc.type = "_s._tcp";
	svc.port = 1;
	svc.check = "http";
	svc.check_url = "ftp://x";
	ck_assert_int_eq(disco_register_service(x, &svc, &id, NULL, 2000),
	    DISCO_EREJECTED);
	ck_assert_int_eq(disco_last_error(x, &code, &field, &message),
	    DISCO_EREJECTED);
	ck_assert_str_eq(code, "bad-field");
	ck_assert_str_eq(field, "check.url");
	ck_assert_str_eq(message, "check.url must be http://");
	/* A success clears it. */
	ck_assert_int_eq(disco_status(x, &json, 2000), 0);
	free(json);
	ck_assert_int_eq(disco_last_error(x, &code, &field, &message), 0);
	ck_assert_ptr_null(code);
	ck_assert_ptr_null(message);
	ck_assert_int_eq(disco_last_error(NULL, NULL, NULL, NULL),
	    DISCO_EINVAL);
	/* Bad arguments: nothing sent, and the error says so. */
	ck_assert_int_eq(disco_renew(x, 1, 2000), DISCO_EREJECTED);
	ck_assert_int_eq(disco_resolve(x, NULL, "_t._tcp", &inst, 0),
	    DISCO_EINVAL);
	ck_assert_int_eq(disco_last_error(x, &code, NULL, &message),
	    DISCO_EINVAL);
	ck_assert_ptr_null(code);
	ck_assert_str_eq(message, "invalid argument");
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_nonnull(strstr(seen, "\"url\":\"ftp:\\/\\/x\""));
}
END_TEST

START_TEST(test_sized_structs_read_only_what_the_program_knew)
{
	static const struct step c1[] = {
		{ "\"verb\":\"register\"",
		    "{\"ok\":true,\"registration\":{\"id\":1,\"final_name\":"
		    "\"Old\"}}" },
		{ "\"verb\":\"list\"", "{\"ok\":true,\"instances\":[]}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, NULL };
	struct disco_service		svc = { 0 };
	struct disco_query		q = { 0 };
	struct disco_instance	       *insts;
	struct agent			a;
	struct disco		       *x;
	char				seen[4096];
	size_t				n;
	long				id;

	agent_start(&a, "sized", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	svc.name = "Old";
	svc.type = "_o._tcp";
	svc.port = 1;
	svc.check = "tcp"; /* past what an older program's struct held */
	/* A program built when the struct ended at persist. */
	ck_assert_int_eq(disco_register_service_sized(x, &svc,
			     offsetof(struct disco_service, persist) +
				 sizeof(int),
			     &id, NULL, 2000),
	    0);
	ck_assert_int_eq(disco_register_service_sized(x, &svc, 8, &id, NULL,
			     2000),
	    DISCO_EINVAL);
	q.type = "_o._tcp";
	ck_assert_int_eq(disco_list_query(x, &q, &insts, &n, 2000), 0);
	ck_assert_int_eq(disco_list_query_sized(x, &q, 4, &insts, &n, 2000),
	    DISCO_EINVAL);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "check"));
}
END_TEST

START_TEST(test_binary_txt_over_255_bytes_is_refused)
{
	static char		      big[256];
	static const struct disco_txt bytes[] = { { big, sizeof(big) } };
	struct disco_service	      svc = { 0 };
	struct disco		     *x = NULL;
	long			      id;

	svc.name = "S";
	svc.type = "_s._tcp";
	svc.port = 1;
	svc.txt_bytes = bytes;
	svc.ntxt_bytes = 1;
	/* Refused before anything is sent: no agent needed. */
	ck_assert_int_eq(disco_register_service(x, &svc, &id, NULL, 0),
	    DISCO_EINVAL);
	svc.txt_bytes = NULL;
	ck_assert_int_eq(disco_register_service(x, &svc, &id, NULL, 0),
	    DISCO_EINVAL);
}
END_TEST

START_TEST(test_getaddrinfo_skips_unreachable_instances)
{
	static const struct step c1[] = {
		{ "\"verb\":\"list\"",
		    "{\"ok\":true,\"instances\":[{\"name\":\"Dark\",\"type\":"
		    "\"_t._tcp\",\"domain\":\"local\",\"port\":1001,"
		    "\"reachable\":false,\"unreachable_since\":1795891200.5,"
		    "\"addresses\":[{\"family\":\"ipv4\",\"address\":"
		    "\"127.0.0.1\"}]},{\"name\":\"Lit\",\"type\":\"_t._tcp\","
		    "\"domain\":\"local\",\"port\":1002,\"reachable\":true,"
		    "\"addresses\":[{\"family\":\"ipv4\",\"address\":"
		    "\"127.0.0.2\"}]}]}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, NULL };
	struct addrinfo		       *res;
	struct agent			a;
	char				seen[4096];

	agent_start(&a, "gai", conns, 1);
	ck_assert_int_eq(setenv("DISCO_SOCKET", a.path, 1), 0);
	ck_assert_int_eq(disco_getaddrinfo("_t._tcp", NULL, &res), 0);
	ck_assert_ptr_nonnull(res);
	ck_assert_ptr_null(res->ai_next);
	ck_assert_int_eq(ntohs(((struct sockaddr_in *)res->ai_addr)->sin_port),
	    1002);
	disco_freeaddrinfo(res);
	unsetenv("DISCO_SOCKET");
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

START_TEST(test_instances_carry_reachable_and_fullname)
{
	static const struct step c1[] = {
		{ "\"verb\":\"list\"",
		    "{\"ok\":true,\"instances\":[{\"name\":\"Dark\",\"type\":"
		    "\"_t._tcp\",\"domain\":\"local\",\"fullname\":"
		    "\"Dark._t._tcp.local\",\"reachable\":false,"
		    "\"unreachable_since\":1795891200.5},{\"name\":\"Old\","
		    "\"type\":\"_t._tcp\",\"domain\":\"local\"}]}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, NULL };
	struct disco_instance	       *insts;
	struct agent			a;
	struct disco		       *x;
	char				seen[4096];
	size_t				n;

	agent_start(&a, "fields", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_list(x, "_t._tcp", NULL, &insts, &n, 2000), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(insts[0].reachable, 0);
	ck_assert(insts[0].unreachable_since > 1795891200.0);
	ck_assert_str_eq(insts[0].fullname, "Dark._t._tcp.local");
	/* An agent that says nothing of it: reachable, as pick would. */
	ck_assert_int_eq(insts[1].reachable, 1);
	ck_assert_ptr_null(insts[1].fullname);
	disco_instances_free(insts, n);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

/* The requests an agent saw that hold needle. */
static int
count_of(const char *text, const char *needle)
{
	int n = 0;

	while ((text = strstr(text, needle)) != NULL) {
		n++;
		text += strlen(needle);
	}
	return (n);
}

#define REG_OK(id)                                                             \
	"{\"ok\":true,\"registration\":{\"id\":" #id ",\"final_name\":"        \
	"\"S\"}}"

START_TEST(test_refused_again_is_a_failed_event)
{
	static const struct step c1[] = { { "register", REG_OK(7) },
		{ NULL, NULL } };
	static const struct step c2[] = {
		{ "register",
		    "{\"ok\":false,\"error\":{\"code\":\"permission-denied\","
		    "\"field\":\"name\",\"message\":\"name reserved\"}}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, c2, NULL };
	struct seen			s = { 0 };
	struct agent			a;
	struct disco		       *x;
	char				seen[4096];
	long				id;

	agent_start(&a, "refused", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_register(x, "S", "_s._tcp", 1, NULL, 0, &id,
			     NULL, 2000),
	    0);
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_RECONNECTED, 3000));
	ck_assert_int_eq(s.n, 3);
	ck_assert_int_eq(s.kind[0], DISCO_EVENT_DISCONNECTED);
	ck_assert_int_eq(s.kind[1], DISCO_EVENT_FAILED);
	ck_assert_int_eq(s.registration[1], 7);
	ck_assert_uint_eq(s.restored, 0);
	ck_assert_uint_eq(s.lost, 1);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

START_TEST(test_garbage_on_a_new_connection_is_tried_again)
{
	static const struct step	c1[] = { { "register", REG_OK(7) },
		       { NULL, NULL } };
	static const struct step	c2[] = { { "register", "not json" },
		       { NULL, NULL } };
	static const struct step	c3[] = { { "register", REG_OK(5) },
		       { "\"registration\":5", "{\"ok\":true}" }, { NULL, NULL } };
	static const struct step *const conns[] = { c1, c2, c3, NULL };
	struct seen			s = { 0 };
	struct agent			a;
	struct disco		       *x;
	char				seen[4096];
	long				id;
	int				k, down = 0;

	agent_start(&a, "garbage", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_register(x, "S", "_s._tcp", 1, NULL, 30, &id,
			     NULL, 2000),
	    0);
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_RECONNECTED, 4000));
	for (k = 0; k < s.n; k++)
		down += s.kind[k] == DISCO_EVENT_DISCONNECTED;
	ck_assert_int_eq(down, 1);
	ck_assert_uint_eq(s.restored, 1);
	ck_assert_int_eq(disco_renew(x, id, 2000), 0);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_int_eq(count_of(seen, "\"verb\":\"register\""), 3);
	ck_assert_ptr_null(strstr(seen, "UNEXPECTED"));
}
END_TEST

START_TEST(test_persistent_registration_is_renewed_not_made_twice)
{
	static const struct step c1[] = { { "\"persist\":true", REG_OK(7) },
		{ NULL, NULL } };
	/* A dropped connection, not a restart: the agent still holds it. */
	static const struct step c2[] = {
		{ "{\"verb\":\"renew\",\"registration\":7}", "{\"ok\":true}" },
		{ "{\"verb\":\"renew\",\"registration\":7}", "{\"ok\":true}" },
		{ NULL, NULL },
	};
	/* A restart: the agent forgot it, so it is made again. */
	static const struct step c3[] = {
		{ "{\"verb\":\"renew\",\"registration\":7}",
		    "{\"ok\":false,\"error\":{\"code\":\"not-found\","
		    "\"message\":\"no registration 7\"}}" },
		{ "\"persist\":true", REG_OK(2) },
		{ "{\"verb\":\"renew\",\"registration\":2}", "{\"ok\":true}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, c2, c3, NULL };
	struct disco_service		svc = { 0 };
	struct seen			s = { 0 };
	struct agent			a;
	struct disco		       *x;
	char				seen[4096];
	long				id;

	agent_start(&a, "persist", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	svc.name = "S";
	svc.type = "_s._tcp";
	svc.port = 1;
	svc.ttl = 60;
	svc.persist = 1;
	ck_assert_int_eq(disco_register_service(x, &svc, &id, NULL, 2000), 0);
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_RECONNECTED, 3000));
	ck_assert_int_eq(disco_renew(x, id, 2000), 0);
	memset(&s, 0, sizeof(s));
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_RECONNECTED, 3000));
	ck_assert_int_eq(disco_renew(x, id, 2000), 0);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "UNEXPECTED"));
	ck_assert_int_eq(count_of(seen, "\"verb\":\"register\""), 2);
}
END_TEST

START_TEST(test_a_socket_this_user_may_not_use_is_denied)
{
	static const struct step	c1[] = { { NULL, NULL } };
	static const struct step *const conns[] = { c1, NULL };
	struct agent			a;
	struct disco		       *x = NULL;
	char				seen[256];
	pid_t				pid;
	int				status;

	agent_start(&a, "denied", conns, 0);
	ck_assert_int_eq(chmod(a.path, 0600), 0);
	/* As another user than the socket's (root passes any mode). */
	if ((pid = fork()) == 0) {
		if (geteuid() == 0 &&
		    (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		errno = 0;
		if (disco_open(&x, a.path) != DISCO_EDENIED)
			_exit(1);
		_exit(errno == EACCES && x == NULL ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_str_eq(disco_strerror(DISCO_EDENIED),
	    "the disco agent does not allow this");
	/* Free the agent from its one connection. */
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
}
END_TEST

START_TEST(test_every_watch_is_made_again_after_one_resync)
{
	static const struct step c1[] = {
		{ "\"type\":\"_dep._tcp\"",
		    "{\"ok\":true,\"instances\":[" INST("Dep One") "]}" },
		{ "\"type\":\"_other._tcp\"",
		    "{\"ok\":true,\"instances\":[]}" },
		{ "\"type\":\"_dep._tcp\"",
		    "{\"ok\":true,\"instances\":[" INST("Dep One") "]}" },
		{ NULL, NULL },
	};
	static const struct step c2[] = {
		{ "\"type\":\"_dep._tcp\"",
		    "{\"ok\":true,\"instances\":[" INST("Dep One") "]}" },
		{ "\"type\":\"_other._tcp\"",
		    "{\"ok\":true,\"instances\":[" INST("Other") "]}" },
		{ NULL, NULL },
	};
	static const struct step *const conns[] = { c1, c2, NULL };
	struct seen			s = { 0 };
	struct agent			a;
	struct disco		       *x;
	char				seen[8192];

	agent_start(&a, "watches", conns, 1);
	ck_assert_int_eq(disco_open(&x, a.path), 0);
	ck_assert_int_eq(disco_watch(x, "_dep._tcp", NULL, NULL, 2000), 0);
	ck_assert_int_eq(disco_watch(x, "_other._tcp", NULL, NULL, 2000), 0);
	/* The same watch twice is one to make again. */
	ck_assert_int_eq(disco_watch(x, "_dep._tcp", NULL, NULL, 2000), 0);
	ck_assert(dispatch_until(x, &s, DISCO_EVENT_RECONNECTED, 3000));
	ck_assert_int_eq(s.n, 5);
	ck_assert_int_eq(s.kind[0], DISCO_EVENT_DISCONNECTED);
	ck_assert_int_eq(s.kind[1], DISCO_EVENT_RESYNC);
	ck_assert_str_eq(s.names[2], "Dep One");
	ck_assert_str_eq(s.names[3], "Other");
	ck_assert_int_eq(s.kind[4], DISCO_EVENT_RECONNECTED);
	disco_close(x);
	agent_done(&a, seen, sizeof(seen));
	ck_assert_ptr_null(strstr(seen, "UNEXPECTED"));
}
END_TEST

static Suite *
resilient_suite(void)
{
	Suite *s = suite_create("resilient");
	TCase *t = tcase_create("resilient");

	tcase_set_timeout(t, 20);
	tcase_add_test(t, test_restart_restores_registration_and_watch);
	tcase_add_test(t, test_renew_alone_brings_the_registration_back);
	tcase_add_test(t,
	    test_agent_gone_for_good_is_unreachable_within_the_timeout);
	tcase_add_test(t, test_no_reconnect_flag_keeps_the_error);
	tcase_add_test(t, test_typed_registration_events);
	tcase_add_loop_test(t, test_event_fields_and_malformed_events, 0,
	    sizeof(event_lines) / sizeof(event_lines[0]));
	tcase_add_test(t, test_last_error_is_the_agents);
	tcase_add_test(t, test_sized_structs_read_only_what_the_program_knew);
	tcase_add_test(t, test_binary_txt_over_255_bytes_is_refused);
	tcase_add_test(t, test_getaddrinfo_skips_unreachable_instances);
	tcase_add_test(t, test_instances_carry_reachable_and_fullname);
	tcase_add_test(t, test_refused_again_is_a_failed_event);
	tcase_add_test(t, test_every_watch_is_made_again_after_one_resync);
	tcase_add_test(t, test_a_socket_this_user_may_not_use_is_denied);
	tcase_add_test(t, test_an_event_behind_a_reply_outlives_the_connection);
	tcase_add_test(t, test_garbage_on_a_new_connection_is_tried_again);
	tcase_add_test(t,
	    test_persistent_registration_is_renewed_not_made_twice);
	suite_add_tcase(s, t);
	return (s);
}

CHECK_MAIN(resilient_suite)
