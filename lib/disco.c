/*
 * libdisco's connection and framing: one request line out, one reply
 * line back, with a timeout.  No allocation failure aborts: every error
 * is returned.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "disco.h"
#include "private.h"
#include "proto.h"

/*
 * How long disco_open() waits for room in the agent's listen queue
 * (disco_open_timeout() takes its own bound).
 */
#define DISCO_OPEN_TIMEOUT_MS 5000

/* The longest pause between two connect() tries on a full queue. */
#define DISCO_CONNECT_PAUSE_MAX_MS 64

static int disco_take_line(struct disco *, char **);
static int disco_is_event(const char *);

/*
 * The events disco_call() keeps while it waits for its reply: at most
 * DISCO_EVENTS_MAX lines and DISCO_EVENTS_BYTES_MAX bytes of them, so an
 * agent that floods events (a hostile one, or a busy watch on a handle
 * that also makes calls) cannot grow the application's memory without
 * bound.  Events past the cap are dropped, and one line
 * {"event":"resync","dropped":N} stands where they were: the application
 * learns that it lost events and must list again, as after the agent's
 * own resync (disco.h, libdisco(3)).
 */
#define DISCO_EVENTS_MAX       1024
#define DISCO_EVENTS_BYTES_MAX (1024 * 1024)
#define DISCO_RESYNC_LINE_MAX  64

const char *
disco_default_socket(void)
{
	return (DISCO_SOCKET_PATH);
}

/* Milliseconds on the monotonic clock, for deadlines. */
long long
lib_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Wait for fd to be ready for events until the deadline (-1: forever).
 * A signal ends the wait with DISCO_EINTR only when intr is set.
 */
static int
lib_wait(int fd, short events, long long deadline, int intr)
{
	struct pollfd pfd;
	long long     left;
	int	      rc;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		left = -1;
		if (deadline >= 0) {
			left = deadline - lib_now_ms();
			if (left < 0)
				left = 0;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return (0);
		if (rc == 0)
			return (DISCO_ETIMEOUT);
		if (errno != EINTR)
			return (DISCO_ESYSTEM);
		if (intr)
			return (DISCO_EINTR);
	}
}

/* Close fd, keeping the errno that made us give it up. */
static void
disco_close_fd(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/*
 * Connect fd (non-blocking) to sun before the deadline (-1: none).
 *
 * A blocking connect() to a Unix socket whose listen queue is full waits
 * until the agent accepts, with no bound: an agent that is stuck, or
 * flooded by other clients, would hang disco_open() past any timeout.
 * Non-blocking, Linux fails at once with EAGAIN and starts nothing, and
 * poll() cannot tell when the queue has room, so connect() is tried
 * again after a pause that doubles up to DISCO_CONNECT_PAUSE_MAX_MS.
 * Where connect() starts the connection instead (EINPROGRESS, or EINTR
 * after it began), poll() for writing waits for it and SO_ERROR says how
 * it ended.
 */
static int
disco_connect(int fd, const struct sockaddr_un *sun, long long deadline)
{
	socklen_t len;
	long long left;
	int	  pause_ms = 1, err, rc;

	for (;;) {
		if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ==
		    0)
			return (0);
		err = errno;
		if (err == EISCONN)
			return (0);
		if (err == EAGAIN || err == EWOULDBLOCK) {
			left = deadline >= 0 ? deadline - lib_now_ms() :
					       pause_ms;
			if (left <= 0)
				return (DISCO_ETIMEOUT);
			(void)poll(NULL, 0,
			    (int)(left < pause_ms ? left : pause_ms));
			if (pause_ms < DISCO_CONNECT_PAUSE_MAX_MS)
				pause_ms *= 2;
			continue;
		}
		if (err == EINPROGRESS || err == EALREADY || err == EINTR) {
			if ((rc = lib_wait(fd, POLLOUT, deadline, 0)) != 0)
				return (rc);
			len = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) ==
			    -1)
				return (DISCO_ESYSTEM);
			if (err == 0)
				return (0);
		}
		errno = err;
		if (err == ENOENT || err == ECONNREFUSED || err == ENOTSOCK)
			return (DISCO_EUNREACHABLE);
		/* The socket's mode or group keeps this user out. */
		if (err == EACCES || err == EPERM)
			return (DISCO_EDENIED);
		return (DISCO_ESYSTEM);
	}
}

int
disco_open(struct disco **dp, const char *path)
{
	return (disco_open_timeout(dp, path, DISCO_OPEN_TIMEOUT_MS));
}

/* A connected socket to path before the deadline, into *fdp. */
static int
disco_socket(const char *path, long long deadline, int *fdp)
{
	struct sockaddr_un sun;
	int		   fd, flags, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return (DISCO_EINVAL);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		 0)) == -1)
		return (DISCO_ESYSTEM);
	if ((rc = disco_connect(fd, &sun, deadline)) != 0) {
		disco_close_fd(fd);
		return (rc);
	}
	/* Blocking again, as applications that poll disco_fd() knew it. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		disco_close_fd(fd);
		return (DISCO_ESYSTEM);
	}
	*fdp = fd;
	return (0);
}

int
disco_open_timeout(struct disco **dp, const char *path, int timeout_ms)
{
	return (disco_open_flags(dp, path, timeout_ms, 0));
}

int
disco_open_flags(struct disco **dp, const char *path, int timeout_ms,
    unsigned int flags)
{
	struct disco *d;
	long long     deadline = -1;
	int	      fd, rc;

	if (dp == NULL)
		return (DISCO_EINVAL);
	*dp = NULL;
	if ((flags & ~(unsigned int)DISCO_OPEN_NO_RECONNECT) != 0)
		return (DISCO_EINVAL);
	if (timeout_ms >= 0)
		deadline = lib_now_ms() + timeout_ms;
	if (path == NULL && (path = getenv("DISCO_SOCKET")) == NULL)
		path = DISCO_SOCKET_PATH;
	if ((rc = disco_socket(path, deadline, &fd)) != 0)
		return (rc);
	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (d->path = strdup(path)) == NULL) {
		free(d);
		close(fd);
		return (DISCO_ENOMEM);
	}
	d->fd = fd;
	d->flags = flags;
	d->connected = 1;
	d->events_tail = &d->events;
	*dp = d;
	return (0);
}

/*
 * The connection dropped: keep the descriptor's number, with a timer
 * behind it that turns readable when the next try to connect is due, so
 * an application polling disco_fd() wakes up for it and neither spins on
 * a dead socket nor waits forever.  The bytes of a half line go.
 */
void
lib_disconnected(struct disco *d)
{
	struct itimerspec its;
	char		 *line;
	int		  tfd;

	if (!d->connected)
		return;
	/*
	 * Events that came behind the last reply and were not taken yet
	 * (a registration's health or expiry, say) are kept, before the
	 * news of the outage; a stray reply has no one to go to.
	 */
	while (disco_take_line(d, &line) == 1) {
		if (disco_is_event(line) == 1)
			(void)lib_event_push(d, line);
		else
			free(line);
	}
	d->connected = 0;
	d->backoff_ms = 0;
	d->off = d->len = d->seen = 0;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 1; /* at once: the first try is not delayed */
	if ((tfd = timerfd_create(CLOCK_MONOTONIC,
		 TFD_CLOEXEC | TFD_NONBLOCK)) != -1) {
		(void)timerfd_settime(tfd, 0, &its, NULL);
		if (dup3(tfd, d->fd, O_CLOEXEC) != -1)
			d->timer = 1;
		close(tfd);
	}
	if (!d->timer)
		shutdown(d->fd, SHUT_RDWR); /* still readable: POLLHUP */
	/* Once per outage: a new connection lost while restoring is not news. */
	if (!d->told_down) {
		d->told_down = 1;
		lib_event_push(d, strdup("{\"event\":\"disconnected\"}"));
	}
}

/* The next try to connect after a failed one: back-off, 100 ms to 5 s. */
static void
disco_retry_later(struct disco *d)
{
	struct itimerspec its;

	d->backoff_ms = d->backoff_ms == 0 ? LIB_BACKOFF_MIN_MS :
					     d->backoff_ms * 2;
	if (d->backoff_ms > LIB_BACKOFF_MAX_MS)
		d->backoff_ms = LIB_BACKOFF_MAX_MS;
	d->retry_at = lib_now_ms() + d->backoff_ms;
	if (d->timer) {
		memset(&its, 0, sizeof(its));
		its.it_value.tv_sec = d->backoff_ms / 1000;
		its.it_value.tv_nsec = (long)(d->backoff_ms % 1000) * 1000000;
		(void)timerfd_settime(d->fd, 0, &its, NULL);
	}
}

/*
 * Connect again, trying until the deadline (-1: none, or now: once) with
 * the handle's back-off between tries, then restore what the handle
 * registered and watched (lib_restore()).  The new socket takes the
 * descriptor's number.
 */
int
lib_reconnect(struct disco *d, long long deadline)
{
	uint64_t  ticks;
	long long left;
	int	  fd, rc;

	if (d->connected)
		return (0);
	for (;;) {
		/* The timer's count is not needed, only its reset. */
		if (d->timer && read(d->fd, &ticks, sizeof(ticks)) == -1)
			ticks = 0;
		if ((left = d->retry_at - lib_now_ms()) > 0) {
			if (deadline >= 0 && lib_now_ms() + left > deadline)
				return (DISCO_EUNREACHABLE);
			(void)poll(NULL, 0, (int)left);
		}
		rc = disco_socket(d->path, deadline, &fd);
		if (rc == 0) {
			if (dup3(fd, d->fd, O_CLOEXEC) == -1) {
				disco_close_fd(fd);
				rc = DISCO_ESYSTEM;
			} else {
				close(fd);
				d->timer = 0;
				d->connected = 1;
				/* Its own budget: a dispatch has none. */
				if ((rc = lib_restore(d,
					 lib_now_ms() + LIB_RESTORE_WAIT_MS)) ==
				    0) {
					d->backoff_ms = 0;
					d->told_down = 0;
					return (0);
				}
				/* Gone again while restoring. */
				lib_disconnected(d);
			}
		}
		if (rc == DISCO_ENOMEM || rc == DISCO_EINVAL)
			return (rc);
		disco_retry_later(d);
		if (deadline >= 0 && d->retry_at > deadline)
			return (DISCO_EUNREACHABLE);
	}
}

void
disco_close(struct disco *d)
{
	struct lib_line *ev;

	if (d == NULL)
		return;
	while ((ev = d->events) != NULL) {
		d->events = ev->next;
		free(ev->line);
		free(ev);
	}
	close(d->fd);
	lib_forget(d);
	free(d->path);
	free(d->buf);
	free(d->reply);
	free(d);
}

int
disco_fd(const struct disco *d)
{
	return (d != NULL ? d->fd : -1);
}

static int
disco_send(struct disco *d, const char *buf, size_t len, long long deadline)
{
	ssize_t n;
	int	rc;

	if (!d->connected)
		return (DISCO_ECLOSED);
	while (len > 0) {
		n = send(d->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return (DISCO_ECLOSED);
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return (DISCO_ESYSTEM);
			if ((rc = lib_wait(d->fd, POLLOUT, deadline, 0)) != 0)
				return (rc);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Take one complete line out of the receive buffer, if there is one.
 * Lines are taken by moving off, and bytes already searched are not
 * searched again: a burst of many short lines, or one long line arriving
 * in pieces, costs time in proportion to its bytes, so a hostile agent
 * cannot make the application spin (a memmove() per line was quadratic).
 */
static int
disco_take_line(struct disco *d, char **line)
{
	char  *start, *nl;
	size_t n;

	if (d->len == d->seen)
		return (0); /* (and buf may still be NULL) */
	start = d->buf + d->off;
	if ((nl = memchr(start + d->seen, '\n', d->len - d->seen)) == NULL) {
		d->seen = d->len;
		return (0);
	}
	n = (size_t)(nl - start);
	if ((*line = malloc(n + 1)) == NULL)
		return (DISCO_ENOMEM);
	memcpy(*line, start, n);
	(*line)[n] = '\0';
	d->off += n + 1;
	d->len -= n + 1;
	d->seen = 0;
	if (d->len == 0)
		d->off = 0;
	return (1);
}

static int
disco_recv_line(struct disco *d, char **line, long long deadline, int intr)
{
	char   *p;
	ssize_t n;
	int	rc;

	for (;;) {
		if ((rc = disco_take_line(d, line)) != 0)
			return (rc < 0 ? rc : 0);
		if (!d->connected)
			return (DISCO_ECLOSED);
		if (d->len >= PROTO_LINE_MAX * 64)
			return (DISCO_EPROTOCOL); /* a runaway line */
		/* The rest of a line to the front, once per recv(). */
		if (d->off > 0) {
			memmove(d->buf, d->buf + d->off, d->len);
			d->off = 0;
		}
		if (d->size - d->len < 4096) {
			p = realloc(d->buf, d->size + 65536);
			if (p == NULL)
				return (DISCO_ENOMEM);
			d->buf = p;
			d->size += 65536;
		}
		n = recv(d->fd, d->buf + d->len, d->size - d->len,
		    MSG_DONTWAIT);
		if (n == 0)
			return (DISCO_ECLOSED);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET)
				return (DISCO_ECLOSED);
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return (DISCO_ESYSTEM);
			if ((rc = lib_wait(d->fd, POLLIN, deadline, intr)) != 0)
				return (rc);
			continue;
		}
		d->len += (size_t)n;
	}
}

/* 1 for an event line, 0 for a reply, DISCO_EPROTOCOL for neither. */
static int
disco_is_event(const char *line)
{
	struct json_object *o, *v;
	int		    rc = DISCO_EPROTOCOL;

	if ((o = json_tokener_parse(line)) == NULL)
		return (DISCO_EPROTOCOL);
	if (json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "ok", &v))
			rc = 0;
		else if (json_object_object_get_ex(o, "event", &v))
			rc = 1;
	}
	json_object_put(o);
	return (rc);
}

static void
disco_event_append(struct disco *d, struct lib_line *ev)
{
	*d->events_tail = ev;
	d->events_tail = &ev->next;
}

/* Keep the event line (consumed) for disco_event_next(), within the cap. */
static int
disco_event_keep(struct disco *d, char *line)
{
	struct lib_line *ev;
	size_t		 len = strlen(line);

	if (d->nevents < DISCO_EVENTS_MAX &&
	    len <= DISCO_EVENTS_BYTES_MAX - d->events_bytes) {
		if ((ev = calloc(1, sizeof(*ev))) == NULL) {
			free(line);
			return (DISCO_ENOMEM);
		}
		ev->line = line;
		disco_event_append(d, ev);
		d->nevents++;
		d->events_bytes += len;
		d->lost = NULL;
		return (0);
	}
	free(line);
	if (d->lost == NULL) {
		if ((ev = calloc(1, sizeof(*ev))) == NULL ||
		    (ev->line = malloc(DISCO_RESYNC_LINE_MAX)) == NULL) {
			free(ev);
			return (DISCO_ENOMEM);
		}
		disco_event_append(d, ev);
		d->lost = ev;
	}
	d->lost->dropped++;
	snprintf(d->lost->line, DISCO_RESYNC_LINE_MAX,
	    "{\"event\":\"resync\",\"dropped\":%zu}", d->lost->dropped);
	return (0);
}

/*
 * Queue an event line (consumed; NULL: out of memory, a lost event) as
 * the application will read it: registration numbers as it knows them.
 */
int
lib_event_push(struct disco *d, char *line)
{
	if (line == NULL)
		return (disco_event_keep(d, strdup("{\"event\":\"resync\"}")));
	if ((line = lib_event_filter(d, line)) == NULL)
		return (0);
	return (disco_event_keep(d, line));
}

/* 1 when a dropped connection is to be made again. */
static int
disco_resilient(const struct disco *d)
{
	return (!(d->flags & DISCO_OPEN_NO_RECONNECT) && !d->restoring);
}

/*
 * Send request (len bytes, no newline) on the connection as it is and
 * wait until the deadline for its reply; events that come first are
 * queued.
 */
int
lib_call_once(struct disco *d, const char *request, size_t len, char **reply,
    long long deadline)
{
	char *line;
	int   rc;

	*reply = NULL;
	if ((rc = disco_send(d, request, len, deadline)) != 0 ||
	    (rc = disco_send(d, "\n", 1, deadline)) != 0)
		return (rc);
	for (;;) {
		if ((rc = disco_recv_line(d, &line, deadline, 0)) != 0)
			return (rc);
		if ((rc = disco_is_event(line)) < 0) {
			free(line);
			return (rc);
		}
		if (rc == 0) {
			*reply = line;
			return (0);
		}
		if ((rc = lib_event_push(d, line)) != 0)
			return (rc);
	}
}

/*
 * Make sure d is connected before the deadline: on a resilient handle,
 * connect again (and restore) when the connection dropped.
 */
int
lib_ensure(struct disco *d, long long deadline)
{
	if (d->connected)
		return (0);
	if (!disco_resilient(d))
		return (DISCO_ECLOSED);
	return (lib_reconnect(d, deadline));
}

/*
 * How long a call waits for the agent to come back: its own deadline,
 * and at most LIB_RECONNECT_WAIT_MS when it has none (a call does not
 * hang for an agent that is gone; an event wait may, as it was asked).
 */
long long
lib_reconnect_deadline(long long deadline)
{
	long long cap = lib_now_ms() + LIB_RECONNECT_WAIT_MS;

	return (deadline < 0 || deadline > cap ? cap : deadline);
}

/*
 * After a call failed with rc: 1 when the connection dropped on a
 * resilient handle that has now given it up (the call is to be made
 * again, once, after lib_ensure()).
 */
int
lib_retry(struct disco *d, int rc)
{
	if (rc != DISCO_ECLOSED || !disco_resilient(d))
		return (0);
	lib_disconnected(d);
	return (1);
}

int
disco_call(struct disco *d, const char *request, char **reply, int timeout_ms)
{
	return (lib_call(d, request, reply, timeout_ms, 1));
}

/*
 * disco_call(), and when retry is set, on a resilient handle whose
 * connection dropped, connect again and send the request once more.
 */
int
lib_call(struct disco *d, const char *request, char **reply, int timeout_ms,
    int retry)
{
	long long deadline = -1;
	size_t	  len;
	int	  rc, tries;

	if (d == NULL || request == NULL || reply == NULL)
		return (DISCO_EINVAL);
	*reply = NULL;
	lib_reply_keep(d, NULL);
	len = strlen(request);
	if (len > 0 && request[len - 1] == '\n')
		len--;
	if (len == 0 || memchr(request, '\n', len) != NULL)
		return (DISCO_EINVAL);
	if (timeout_ms >= 0)
		deadline = lib_now_ms() + timeout_ms;
	for (tries = 0;; tries++) {
		if ((rc = lib_ensure(d, lib_reconnect_deadline(deadline))) != 0)
			return (rc);
		rc = lib_call_once(d, request, len, reply, deadline);
		if (!retry || tries > 0 || !lib_retry(d, rc))
			return (rc);
	}
}

/* Keep line (NULL: none) as d's last reply, for disco_last_reply(). */
void
lib_reply_keep(struct disco *d, char *line)
{
	free(d->reply);
	d->reply = line;
}

const char *
disco_last_reply(const struct disco *d)
{
	return (d != NULL ? d->reply : NULL);
}

/* Replace s with a copy of v (NULL: none); out of memory leaves NULL. */
static void
disco_set_string(char **s, const char *v)
{
	free(*s);
	*s = v != NULL ? strdup(v) : NULL;
}

/*
 * What disco_last_error() reports: the latest call's code and, when the
 * agent refused it, the agent's code, field and message; else a message
 * of the library's own.
 */
void
lib_error_set(struct disco *d, int rc, const char *code, const char *field,
    const char *message)
{
	char buf[256];
	int  saved = errno;

	d->err = rc;
	disco_set_string(&d->err_code, code);
	disco_set_string(&d->err_field, field);
	if (rc != 0 && message == NULL) {
		if (rc == DISCO_ESYSTEM)
			snprintf(buf, sizeof(buf), "%s: %s", disco_strerror(rc),
			    strerror(saved));
		else
			snprintf(buf, sizeof(buf), "%s", disco_strerror(rc));
		message = buf;
	}
	disco_set_string(&d->err_message, rc != 0 ? message : NULL);
	errno = saved;
}

int
disco_last_error(const struct disco *d, const char **code, const char **field,
    const char **message)
{
	if (code != NULL)
		*code = d != NULL ? d->err_code : NULL;
	if (field != NULL)
		*field = d != NULL ? d->err_field : NULL;
	if (message != NULL)
		*message = d != NULL ? d->err_message : NULL;
	return (d != NULL ? d->err : DISCO_EINVAL);
}

int
disco_event_next(struct disco *d, char **event, int timeout_ms)
{
	struct lib_line *ev;
	long long	 deadline = -1;
	char		*line;
	int		 rc;

	if (d == NULL || event == NULL)
		return (DISCO_EINVAL);
	*event = NULL;
	if ((ev = d->events) != NULL) {
		d->events = ev->next;
		if (d->events == NULL)
			d->events_tail = &d->events;
		if (ev == d->lost)
			d->lost = NULL;
		if (ev->dropped == 0) {
			d->nevents--;
			d->events_bytes -= strlen(ev->line);
		}
		*event = ev->line;
		free(ev);
		return (0);
	}
	if (timeout_ms >= 0)
		deadline = lib_now_ms() + timeout_ms;
	for (;;) {
		if (!d->connected) {
			/* Resilient: connect again, or wait for the next try. */
			rc = lib_ensure(d, deadline);
			if (d->events != NULL)
				return (disco_event_next(d, event, 0));
			if (rc != 0)
				return (rc == DISCO_EUNREACHABLE ?
					DISCO_ETIMEOUT :
					rc);
			continue;
		}
		rc = disco_recv_line(d, &line, deadline, 1);
		if (rc != 0 && lib_retry(d, rc)) {
			/* One try at once; the event says it dropped. */
			(void)lib_ensure(d, lib_now_ms());
			return (disco_event_next(d, event, 0));
		}
		if (rc != 0)
			return (rc);
		if ((rc = disco_is_event(line)) == 1) {
			if ((line = lib_event_filter(d, line)) == NULL)
				continue;
			*event = line;
			return (0);
		}
		free(line);
		if (rc < 0)
			return (rc);
		/* A reply nobody waits for: not ours to keep. */
	}
}

const char *
disco_strerror(int code)
{
	switch (code) {
	case 0:
		return ("success");
	case DISCO_ESYSTEM:
		return ("system error");
	case DISCO_EUNREACHABLE:
		return ("the disco agent is not running");
	case DISCO_ETIMEOUT:
		return ("timed out waiting for the disco agent");
	case DISCO_EPROTOCOL:
		return ("the disco agent's reply does not follow the protocol");
	case DISCO_ENOMEM:
		return ("out of memory");
	case DISCO_EINVAL:
		return ("invalid argument");
	case DISCO_ECLOSED:
		return ("the disco agent closed the connection");
	case DISCO_EINTR:
		return ("interrupted by a signal");
	case DISCO_ENOTFOUND:
		return ("no such service instance");
	case DISCO_EDENIED:
		return ("the disco agent does not allow this");
	case DISCO_EREJECTED:
		return ("the disco agent rejected the request as malformed");
	}
	return ("unknown error");
}
