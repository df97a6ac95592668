/*
 * The control socket: a Unix stream socket that speaks protocol v1 (see
 * common/proto.h and doc/protocol.md) to local clients.
 *
 * Every limit is enforced here: request line length (PROTO_LINE_MAX), the
 * number of clients (max-clients), and the bytes queued to one client
 * (client-output-max).  A client that sends requests but never reads its
 * replies is dropped once its queue passes that limit, so it can neither
 * stall the loop nor grow discod's memory without bound.
 *
 * A client is never freed where it is lost: control_client_lost() marks it
 * dead and the loop frees it later, so a callback may lose its own client.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "discod.h"

/*
 * Root's reserve: clients of uid 0 are let in up to this many beyond
 * max-clients, so that users holding every slot cannot lock root out.
 */
#define CONTROL_ROOT_RESERVE 16
/* Connections accepted in one go before the loop serves others. */
#define CONTROL_ACCEPT_BURST 64
#define CONTROL_READ_SIZE    4096 /* bytes a read(2) may take */
#define CONTROL_BACKLOG	     128  /* connections not yet accepted */

/*
 * The lookup socket: names in the disco domain for any local user (the NSS
 * module), beside the control socket; only hello and lookup are served on
 * it, and its clients count against the same limits.
 */
static struct {
	int	      fd;
	char	     *path;
	char	     *link; /* the domain, as a symlink's target */
	struct event *ev;
} lk = { .fd = -1 };

static struct {
	int		     fd;
	int		     activated; /* from systemd: do not unlink */
	char		    *path;
	struct event	    *ev;
	struct event	    *pause; /* accept back-off */
	struct event_base   *base;
	const struct config *conf;
	unsigned long	     next_id;
	unsigned int	     nclients;
	TAILQ_HEAD(, client) clients;
} ctl = { .fd = -1 };

#define CLIENT_CLOSING 0x4 /* flush the output, then close */

static void control_client_read(struct client *);
static void control_lookup_open(const struct config *);

static int
control_path_probe(const char *path)
{
	struct sockaddr_un sun;
	struct stat	   sb;
	int		   fd, rc;

	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return (0);
		log_warn("%s: %s", __func__, path);
		return (-1);
	}
	if (!S_ISSOCK(sb.st_mode)) {
		log_warnx("%s: %s exists and is not a socket", __func__, path);
		return (-1);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("%s: socket", __func__);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		log_warnx("%s: another discod is answering on %s", __func__,
		    path);
		return (-1);
	}
	if (errno != ECONNREFUSED) {
		log_warn("%s: connect %s", __func__, path);
		return (-1);
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("%s: unlink %s", __func__, path);
		return (-1);
	}
	return (0);
}

/*
 * The socket's directory: made 0755 when missing, whatever the umask (the
 * socket's own mode says who may connect; the directory must let them
 * reach it).  An existing one must be owned by discod's user and writable
 * by nobody else: whoever may write there may remove the socket and bind
 * one of their own, taking discod's clients' registrations and answering
 * their queries with the instances of their choice.
 */
static int
control_dir_check(const char *path)
{
	struct stat sb;
	char	   *copy, *dir;
	int	    rc = -1;

	copy = xstrdup(path);
	dir = dirname(copy); /* copy, or a static "." */
	if (mkdir(dir, 0755) == 0) {
		if (chmod(dir, 0755) == -1) {
			log_warn("%s: chmod %s", __func__, dir);
			goto out;
		}
	} else if (errno != EEXIST) {
		log_warn("%s: mkdir %s", __func__, dir);
		goto out;
	}
	if (stat(dir, &sb) == -1) {
		log_warn("%s: %s", __func__, dir);
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_warnx("%s: %s is not a directory", __func__, dir);
		goto out;
	}
	if (sb.st_uid != geteuid()) {
		log_warnx(
		    "%s: %s is owned by uid %ld, not by discod's uid %ld: "
		    "its owner could replace the socket",
		    __func__, dir, (long)sb.st_uid, (long)geteuid());
		goto out;
	}
	if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		log_warnx("%s: %s is writable by group or others (mode %04o): "
			  "they could replace the socket",
		    __func__, dir, (unsigned int)(sb.st_mode & 07777));
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return (rc);
}

#ifdef HAVE_SYSTEMD
/*
 * Under socket activation systemd made the socket: socket-mode and
 * socket-group cannot apply.  Say so when they differ from what it has,
 * rather than leave an operator believing them.
 */
static void
control_activated_check(int fd, const struct config *conf)
{
	struct sockaddr_un sun;
	socklen_t	   len = sizeof(sun);
	struct stat	   sb;
	struct group	  *gr = NULL;

	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_path[0] == '\0' || stat(sun.sun_path, &sb) == -1)
		return;
	if (conf->socket_group != NULL)
		gr = getgrnam(conf->socket_group);
	if ((sb.st_mode & 0777) != conf->socket_mode ||
	    (gr != NULL && gr->gr_gid != sb.st_gid))
		log_warnx("socket-mode %04o and socket-group %s do not apply "
			  "to %s, made by systemd with mode %04o and gid %ld: "
			  "set SocketMode= and SocketGroup= in discod.socket",
		    (unsigned int)conf->socket_mode,
		    conf->socket_group != NULL ? conf->socket_group : "(none)",
		    sun.sun_path, (unsigned int)(sb.st_mode & 0777),
		    (long)sb.st_gid);
}
#endif

/*
 * Open the listening socket: the one systemd passed, or a new one at the
 * configured path with the configured mode and group.  The mode is set by
 * the umask at bind time, so the socket is never reachable with wider
 * permissions, not even for an instant.
 */
int
control_open(const struct config *conf)
{
	struct sockaddr_un sun;
	struct group	  *gr = NULL;
	mode_t		   old;
	int		   fd;

#ifdef HAVE_SYSTEMD
	int n;

	if ((n = sd_listen_fds(1)) > 0) {
		fd = SD_LISTEN_FDS_START;
		if (n > 1 ||
		    sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
			log_warnx("%s: systemd passed %d sockets, expected one "
				  "listening Unix stream socket",
			    __func__, n);
			return (-1);
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
			log_warn("%s: fcntl", __func__);
			return (-1);
		}
		ctl.fd = fd;
		ctl.activated = 1;
		log_info("listening on the socket passed by systemd");
		control_activated_check(fd, conf);
		control_lookup_open(conf);
		return (0);
	}
#endif
	if (strlen(conf->socket_path) >= sizeof(sun.sun_path)) {
		log_warnx("%s: socket path too long: %s", __func__,
		    conf->socket_path);
		return (-1);
	}
	if (conf->socket_group != NULL &&
	    (gr = getgrnam(conf->socket_group)) == NULL) {
		/*
		 * The built-in default may not exist where discod runs from
		 * a build: root's group then, and a word on how to fix it.
		 */
		if (strcmp(conf->socket_group, DISCO_SOCKET_GROUP) != 0) {
			log_warnx("%s: socket-group %s: no such group",
			    __func__, conf->socket_group);
			return (-1);
		}
		log_warnx("socket-group %s: no such group, so only root may "
			  "use %s: make it (systemd-sysusers, or groupadd "
			  "--system %s) and restart discod",
		    conf->socket_group, conf->socket_path, conf->socket_group);
	}
	if (control_dir_check(conf->socket_path) == -1 ||
	    control_path_probe(conf->socket_path) == -1)
		return (-1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("%s: socket", __func__);
		return (-1);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, conf->socket_path, sizeof(sun.sun_path));
	old = umask(~conf->socket_mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("%s: bind %s", __func__, conf->socket_path);
		close(fd);
		return (-1);
	}
	umask(old);
	if (gr != NULL && chown(conf->socket_path, (uid_t)-1, gr->gr_gid) == -1)
		log_warn("%s: chown %s", __func__, conf->socket_path);
	if (chmod(conf->socket_path, conf->socket_mode) == -1)
		log_warn("%s: chmod %s", __func__, conf->socket_path);
	if (listen(fd, CONTROL_BACKLOG) == -1) {
		log_warn("%s: listen", __func__);
		close(fd);
		unlink(conf->socket_path);
		return (-1);
	}
	ctl.fd = fd;
	ctl.path = xstrdup(conf->socket_path);
	log_info("listening on %s", conf->socket_path);
	control_lookup_open(conf);
	return (0);
}

/* The lookup socket's path: configured, or beside the control socket. */
static char *
control_lookup_path(const struct config *conf, const char *name)
{
	char *copy, *path;

	if (conf->lookup_socket_path != NULL &&
	    strcmp(name, "lookup.sock") == 0)
		return (xstrdup(conf->lookup_socket_path));
	if (conf->lookup_socket_path != NULL)
		copy = xstrdup(conf->lookup_socket_path);
	else
		copy = xstrdup(conf->socket_path);
	xasprintf(&path, "%s/%s", dirname(copy), name);
	free(copy);
	return (path);
}

/*
 * Tell the NSS module which domain is ours without a round trip: a
 * symlink whose target is the domain, beside the lookup socket, replaced
 * atomically.  The module reads it with one readlink(2) per lookup and
 * connects only for names in the domain.
 */
void
control_lookup_domain(const char *domain)
{
	char *tmp;

	if (lk.link == NULL)
		return;
	xasprintf(&tmp, "%s.new", lk.link);
	(void)unlink(tmp);
	if (symlink(domain, tmp) == -1 || rename(tmp, lk.link) == -1) {
		log_warn("%s: %s", __func__, lk.link);
		(void)unlink(tmp);
	}
	free(tmp);
}

/*
 * Open the lookup socket (mode 0666: anyone may ask for a name).  Failing
 * is not fatal: the control socket and the DNS interface still serve.
 */
static void
control_lookup_open(const struct config *conf)
{
	struct sockaddr_un sun;
	mode_t		   old;
	char		  *path;
	int		   fd;

	path = control_lookup_path(conf, "lookup.sock");
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    strcmp(path, conf->socket_path) == 0 ||
	    control_dir_check(path) == -1 || control_path_probe(path) == -1) {
		log_warnx("%s: no lookup socket at %s: names are not served "
			  "to the NSS module",
		    __func__, path);
		free(path);
		return;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		 0)) == -1) {
		log_warn("%s: socket", __func__);
		free(path);
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	old = umask(0111);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, CONTROL_BACKLOG) == -1) {
		umask(old);
		log_warn("%s: %s", __func__, path);
		close(fd);
		free(path);
		return;
	}
	umask(old);
	if (chmod(path, 0666) == -1)
		log_warn("%s: chmod %s", __func__, path);
	lk.fd = fd;
	lk.path = path;
	lk.link = control_lookup_path(conf, "domain");
	log_info("lookups on %s", path);
}

unsigned int
control_client_count(void)
{
	return (ctl.nclients);
}

static void
control_client_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	struct timeval tv = { 0, 0 };

	if (c->resume_pending) { /* let the resume see it dead first */
		event_base_once(ctl.base, -1, EV_TIMEOUT,
		    control_client_free_cb, c, &tv);
		return;
	}
	event_free(c->rev);
	evbuffer_free(c->in);
	bufferevent_free(c->bev);
	free(c->groups);
	free(c);
}

static void
control_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	event_add(ctl.ev, NULL);
	if (lk.ev != NULL)
		event_add(lk.ev, NULL);
}

/* Lose a client: from now on every callback ignores it. */
static void
control_client_lost(struct client *c, const char *why)
{
	struct timeval tv = { 0, 0 };

	if (c->flags & CLIENT_DEAD)
		return;
	c->flags |= CLIENT_DEAD;
	if (why != NULL)
		log_info("client %lu (pid %ld, uid %ld): %s", c->id,
		    (long)c->pid, (long)c->uid, why);
	TAILQ_REMOVE(&ctl.clients, c, entry);
	ctl.nclients--;
	announce_client_lost(c);
	watch_client_lost(c);
	pending_client_lost(c);
	event_del(c->rev);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	if (event_base_once(ctl.base, -1, EV_TIMEOUT, control_client_free_cb, c,
		&tv) == -1)
		fatalx("%s: event_base_once", __func__);
	if (ctl.pause != NULL && evtimer_pending(ctl.pause, NULL)) {
		/* A slot is free again: stop backing off. */
		event_del(ctl.pause);
		control_resume_cb(-1, 0, NULL);
	}
}

/*
 * Send one line (text and its newline) to a client: straight to the
 * socket when nothing is queued before it, which spares the reply a trip
 * through the loop; whatever does not fit is queued.  A client that is
 * not reading is dropped once its queue passes client-output-max.
 */
void
control_send_line(struct client *c, const char *text, size_t len)
{
	struct evbuffer *out;
	struct iovec	 iov[2];
	struct msghdr	 msg;
	ssize_t		 n = 0;

	if (c->flags & CLIENT_DEAD)
		return;
	out = bufferevent_get_output(c->bev);
	if (evbuffer_get_length(out) == 0) {
		iov[0].iov_base = (void *)(uintptr_t)text;
		iov[0].iov_len = len;
		iov[1].iov_base = (void *)(uintptr_t) "\n";
		iov[1].iov_len = 1;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = 2;
		/* Errors other than a full socket come back from the queue. */
		if ((n = sendmsg(bufferevent_getfd(c->bev), &msg,
			 MSG_NOSIGNAL | MSG_DONTWAIT)) == -1)
			n = 0;
		if ((size_t)n == len + 1)
			return;
	}
	if ((size_t)n < len &&
	    evbuffer_add(out, text + n, len - (size_t)n) == -1)
		fatalx("%s: evbuffer_add", __func__);
	if (evbuffer_add(out, "\n", 1) == -1)
		fatalx("%s: evbuffer_add", __func__);
	if (evbuffer_get_length(out) > ctl.conf->client_output_max) {
		struct journal_fields jf = { NULL, NULL, NULL, c->pid };

		journal_event(JOURNAL_CLIENT_DROPPED, LOG_WARNING, &jf,
		    "client %lu (pid %ld): %zu bytes of replies unread, over "
		    "client-output-max",
		    c->id, (long)c->pid, evbuffer_get_length(out));
		metrics_client_dropped(METRICS_DROP_SLOW);
		c->flags |= CLIENT_SLOW;
		control_client_lost(c, "dropped: not reading its replies");
	}
}

/* Serialize and send one reply or event. */
void
control_reply(struct client *c, struct json_object *reply)
{
	const char *text;
	size_t	    len;

	if (c->flags & CLIENT_DEAD)
		return;
	text = proto_text(reply, &len);
	control_send_line(c, text, len);
}

struct control_later {
	unsigned long	    id;
	struct json_object *msg;
};

static void
control_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_later *l = arg;
	struct client	     *c;

	TAILQ_FOREACH(c, &ctl.clients, entry) {
		if (c->id == l->id) {
			control_reply(c, l->msg);
			break;
		}
	}
	json_object_put(l->msg);
	free(l);
}

/*
 * Send msg to a client from the loop, not from here: sending may lose the
 * client (a full queue), and losing it frees what the caller is in the
 * middle of (its registrations, their checks, their Avahi groups).  A
 * client gone meanwhile is simply not found.  Takes a reference to msg.
 */
void
control_send_later(struct client *c, struct json_object *msg)
{
	struct control_later *l;
	struct timeval	      tv = { 0, 0 };

	l = xcalloc(1, sizeof(*l));
	l->id = c->id;
	l->msg = json_object_get(msg);
	if (event_base_once(ctl.base, -1, EV_TIMEOUT, control_later_cb, l,
		&tv) == -1)
		fatalx("%s: event_base_once", __func__);
}

static void
control_client_error(struct client *c, struct json_object *id,
    const struct proto_error *err)
{
	struct json_object *reply;

	if ((reply = proto_reply_error(id, err)) == NULL)
		fatalx("%s: out of memory", __func__);
	control_reply(c, reply);
	json_object_put(reply);
}

static void
control_client_line(struct client *c, const char *line, size_t len)
{
	struct request	    req = { .run = REQUEST_FIRST };
	struct proto_error  err;
	struct json_object *reply;

	c->requests++;
	if (verb_resolve_fast(c, line, len))
		return;
	if (proto_request_parse(line, len, &req.msg, &err) == -1) {
		log_debug("client %lu: %s", c->id, err.message);
		control_client_error(c, req.msg.id, &err);
		proto_request_clear(&req.msg);
		return;
	}
	if ((reply = verb_dispatch(c, &req)) != NULL) {
		control_reply(c, reply);
		json_object_put(reply);
	}
	proto_request_clear(&req.msg);
}

static int
control_line_blank(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (strchr(" \t\r", line[i]) == NULL)
			return (0);
	}
	return (1);
}

/* Answer an oversized request line, then close once the answer is out. */
static void
control_client_too_large(struct client *c)
{
	struct proto_error err;

	proto_error_set(&err, PROTO_E_TOO_LARGE, NULL,
	    "request line longer than %d bytes: closing", PROTO_LINE_MAX - 1);
	control_client_error(c, NULL, &err);
	log_warnx("client %lu (pid %ld): request line over %d bytes: closing",
	    c->id, (long)c->pid, PROTO_LINE_MAX - 1);
	c->flags |= CLIENT_CLOSING;
	event_del(c->rev);
}

/* Take the complete lines a client has sent, as far as it may go on. */
static void
control_client_read(struct client *c)
{
	struct evbuffer	   *in = c->in;
	struct evbuffer_ptr eol;
	const char	   *line;
	size_t		    len, eol_len;

	while (!(c->flags & (CLIENT_DEAD | CLIENT_WAITING | CLIENT_CLOSING))) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) < PROTO_LINE_MAX)
				break;
			control_client_too_large(c);
			break;
		}
		len = (size_t)eol.pos;
		if (len >= PROTO_LINE_MAX) {
			/* A whole line arrived in one read: same rule. */
			evbuffer_drain(in, evbuffer_get_length(in));
			control_client_too_large(c);
			break;
		}
		/* The line in place: contiguous, parsed, then drained. */
		line = (const char *)evbuffer_pullup(in,
		    (ev_ssize_t)(len + eol_len));
		if (line == NULL)
			fatalx("%s: evbuffer_pullup", __func__);
		if (!control_line_blank(line, len))
			control_client_line(c, line, len);
		evbuffer_drain(in, len + eol_len);
	}
	if ((c->flags & (CLIENT_DEAD | CLIENT_CLOSING)) == CLIENT_CLOSING &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
		metrics_client_dropped(METRICS_DROP_OVERSIZED);
		control_client_lost(c, "closed after an oversized request");
	}
	/* Read again once what is held is under a line's limit. */
	if (!(c->flags & (CLIENT_DEAD | CLIENT_CLOSING)) &&
	    evbuffer_get_length(in) < PROTO_LINE_MAX &&
	    !event_pending(c->rev, EV_READ, NULL))
		event_add(c->rev, NULL);
}

/*
 * The socket is readable: one read(2) into the input buffer, then the
 * lines.  Not bufferevent's reading, which asks the kernel with
 * ioctl(FIONREAD) how much there is before each read: a fourth system
 * call per request, where an echo server makes three (doc/performance.md).
 */
static void
control_client_readable(evutil_socket_t fd, short what, void *arg)
{
	struct client	     *c = arg;
	struct evbuffer_iovec v;
	ssize_t		      n;

	if (c->flags & (CLIENT_DEAD | CLIENT_CLOSING))
		return;
	if (evbuffer_reserve_space(c->in, CONTROL_READ_SIZE, &v, 1) < 1)
		fatalx("%s: evbuffer_reserve_space", __func__);
	if ((n = read(fd, v.iov_base, v.iov_len)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		metrics_client_dropped(METRICS_DROP_ERROR);
		control_client_lost(c, strerror(errno));
		return;
	}
	if (n == 0) {
		control_client_lost(c, NULL);
		return;
	}
	v.iov_len = (size_t)n;
	if (evbuffer_commit_space(c->in, &v, 1) == -1)
		fatalx("%s: evbuffer_commit_space", __func__);
	control_client_read(c);
	/* Stop reading once a line could no longer be within the limit. */
	if (!(c->flags & CLIENT_DEAD) &&
	    evbuffer_get_length(c->in) >= PROTO_LINE_MAX)
		event_del(c->rev);
}

static void
control_client_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	if (!(c->flags & CLIENT_DEAD))
		control_client_read(c);
	c->resume_pending = 0;
}

/*
 * A deferred reply was sent: read the requests that queued up behind it,
 * from the loop rather than from inside whatever sent the reply.
 */
void
control_client_resume(struct client *c)
{
	struct timeval tv = { 0, 0 };

	c->flags &= ~CLIENT_WAITING;
	if (c->flags & CLIENT_DEAD || c->resume_pending)
		return;
	c->resume_pending = 1;
	if (event_base_once(ctl.base, -1, EV_TIMEOUT, control_client_resume_cb,
		c, &tv) == -1)
		fatalx("%s: event_base_once", __func__);
}

static void
control_client_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	if ((c->flags & (CLIENT_DEAD | CLIENT_CLOSING)) == CLIENT_CLOSING) {
		metrics_client_dropped(METRICS_DROP_OVERSIZED);
		control_client_lost(c, "closed after an oversized request");
	}
}

static void
control_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	if (c->flags & CLIENT_DEAD)
		return;
	if (what & BEV_EVENT_EOF)
		control_client_lost(c, NULL);
	else if (what & BEV_EVENT_ERROR) {
		metrics_client_dropped(METRICS_DROP_ERROR);
		control_client_lost(c, strerror(EVUTIL_SOCKET_ERROR()));
	}
}

static void
control_refuse(int fd, const char *why)
{
	struct proto_error  err;
	struct json_object *reply;
	char		   *line;
	size_t		    len;

	metrics_client_dropped(METRICS_DROP_LIMIT);
	proto_error_set(&err, PROTO_E_UNAVAILABLE, NULL, "%s", why);
	if ((reply = proto_reply_error(NULL, &err)) != NULL &&
	    (line = proto_serialize(reply, &len)) != NULL) {
		/* Best effort on a fresh socket: its buffer is empty. */
		if (send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) == -1)
			log_debug("%s: send: %s", __func__, strerror(errno));
		free(line);
	}
	json_object_put(reply);
	close(fd);
}

/* The peer's supplementary groups, for [access] rules that name groups. */
static void
control_peer_groups(struct client *c, int fd)
{
#ifdef SO_PEERGROUPS
	socklen_t len = 16 * sizeof(gid_t);

	for (;;) {
		c->groups = xreallocarray(c->groups, len, 1);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, c->groups,
			&len) == 0) {
			c->ngroups = len / sizeof(gid_t);
			return;
		}
		if (errno != ERANGE || len > 65536 * sizeof(gid_t))
			break;
	}
	log_debug("%s: SO_PEERGROUPS: %s", __func__, strerror(errno));
#endif
	free(c->groups);
	c->groups = NULL;
	c->ngroups = 0;
}

/*
 * Take a connected socket as a client (accept(2) gave it, or a fuzzer's
 * socketpair).  Returns the client, or NULL when it was refused.
 */
/* Clients connected with this uid. */
static unsigned int
control_uid_count(uid_t uid)
{
	struct client *c;
	unsigned int   n = 0;

	TAILQ_FOREACH(c, &ctl.clients, entry) {
		if (c->uid == uid && !(c->flags & CLIENT_DEAD))
			n++;
	}
	return (n);
}

/*
 * Take a connected socket as a client (accept(2) gave it, or a fuzzer's
 * socketpair).  Returns the client, or NULL when it was refused: past
 * max-clients (root has a reserve beyond it) or past max-clients-per-uid
 * (root has no such limit).
 */
struct client *
control_adopt(int fd)
{
	struct client *c;
	struct ucred   cred;
	socklen_t      len = sizeof(cred);
	unsigned int   mine;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("%s: SO_PEERCRED", __func__);
		cred.pid = -1;
		cred.uid = (uid_t)-1;
		cred.gid = (gid_t)-1;
	}
	if (ctl.nclients >= ctl.conf->max_clients +
		(cred.uid == 0 ? CONTROL_ROOT_RESERVE : 0)) {
		log_warnx("%s: refusing a client of uid %ld: %u clients "
			  "connected (max-clients)",
		    __func__, (long)cred.uid, ctl.nclients);
		control_refuse(fd, "too many clients: try again later");
		return (NULL);
	}
	if (cred.uid != 0 &&
	    (mine = control_uid_count(cred.uid)) >=
		ctl.conf->max_clients_per_uid) {
		log_warnx("%s: refusing a client: uid %ld has %u connections "
			  "(max-clients-per-uid)",
		    __func__, (long)cred.uid, mine);
		control_refuse(fd, "too many connections from this user");
		return (NULL);
	}
	c = xcalloc(1, sizeof(*c));
	c->id = ++ctl.next_id;
	c->connected = time(NULL);
	c->pid = cred.pid;
	c->uid = cred.uid;
	c->gid = cred.gid;
	control_peer_groups(c, fd);
	c->bev = bufferevent_socket_new(ctl.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		fatalx("%s: bufferevent_socket_new", __func__);
	bufferevent_setcb(c->bev, NULL, control_client_write,
	    control_client_event, c);
	bufferevent_disable(c->bev, EV_READ);
	if ((c->in = evbuffer_new()) == NULL)
		fatalx("%s: evbuffer_new", __func__);
	c->rev = event_new(ctl.base, fd, EV_READ | EV_PERSIST,
	    control_client_readable, c);
	if (c->rev == NULL || event_add(c->rev, NULL) == -1)
		fatalx("%s: event_new", __func__);
	TAILQ_INSERT_TAIL(&ctl.clients, c, entry);
	ctl.nclients++;
	metrics_client_accepted();
	log_debug("client %lu: connected (pid %ld, uid %ld)", c->id,
	    (long)c->pid, (long)c->uid);
	return (c);
}

static void
control_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval tv = { 1, 0 };
	struct client *c;
	int	       fd, i;

	for (i = 0; i < CONTROL_ACCEPT_BURST; i++) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: back off a second. */
				log_warn("%s: accept", __func__);
				event_del(ctl.ev);
				if (lk.ev != NULL)
					event_del(lk.ev);
				evtimer_add(ctl.pause, &tv);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept", __func__);
			return;
		}
		if ((c = control_adopt(fd)) != NULL && arg == &lk)
			c->flags |= CLIENT_LOOKUP;
	}
}

void
control_start(struct event_base *base, const struct config *conf)
{
	ctl.base = base;
	ctl.conf = conf;
	TAILQ_INIT(&ctl.clients);
	ctl.ev = event_new(base, ctl.fd, EV_READ | EV_PERSIST, control_accept,
	    NULL);
	ctl.pause = evtimer_new(base, control_resume_cb, NULL);
	if (ctl.ev == NULL || ctl.pause == NULL ||
	    event_add(ctl.ev, NULL) == -1)
		fatalx("%s: cannot watch the control socket", __func__);
	if (lk.fd != -1) {
		lk.ev = event_new(base, lk.fd, EV_READ | EV_PERSIST,
		    control_accept, &lk);
		if (lk.ev == NULL || event_add(lk.ev, NULL) == -1)
			fatalx("%s: cannot watch the lookup socket", __func__);
	}
}

void
control_close(void)
{
	struct client *c;

	while ((c = TAILQ_FIRST(&ctl.clients)) != NULL)
		control_client_lost(c, NULL);
	if (ctl.ev != NULL) {
		event_free(ctl.ev);
		ctl.ev = NULL;
	}
	if (ctl.pause != NULL) {
		event_free(ctl.pause);
		ctl.pause = NULL;
	}
	if (ctl.fd != -1) {
		close(ctl.fd);
		ctl.fd = -1;
	}
	if (ctl.path != NULL && !ctl.activated)
		unlink(ctl.path);
	free(ctl.path);
	ctl.path = NULL;
	if (lk.ev != NULL)
		event_free(lk.ev);
	lk.ev = NULL;
	if (lk.fd != -1) {
		close(lk.fd);
		unlink(lk.path);
		if (lk.link != NULL)
			unlink(lk.link);
	}
	lk.fd = -1;
	free(lk.path);
	free(lk.link);
	lk.path = lk.link = NULL;
}
