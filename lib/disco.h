/*
 * libdisco: talk to the local disco agent (discod) over its Unix socket.
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative DISCO_E* code on failure; disco_strerror() names the code.  The
 * library never exits, never prints and never raises SIGPIPE.
 *
 * Threads: a handle may be used by one thread at a time; separate handles
 * are independent.
 */
#ifndef DISCO_H
#define DISCO_H

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes, all negative. */
#define DISCO_ESYSTEM		-1	/* a system call failed: see errno */
#define DISCO_EUNREACHABLE	-2	/* no agent answers on the socket */
#define DISCO_ETIMEOUT		-3	/* no reply within the timeout */
#define DISCO_EPROTOCOL		-4	/* the agent's reply is not protocol v1 */
#define DISCO_ENOMEM		-5	/* out of memory */
#define DISCO_EINVAL		-6	/* a bad argument */
#define DISCO_ECLOSED		-7	/* the agent closed the connection */
#define DISCO_EINTR		-8	/* a signal arrived while waiting */

/* An open connection to the agent. */
struct disco;

/*
 * Connect to the agent.  path is the socket; NULL means $DISCO_SOCKET, or
 * when that is unset the path configured at build time.  On success *dp
 * holds a handle to pass to disco_close().
 */
int		 disco_open(struct disco **dp, const char *path);

/* Close a handle; NULL is allowed. */
void		 disco_close(struct disco *d);

/* The socket path disco_open(NULL) would use. */
const char	*disco_default_socket(void);

/* The handle's socket descriptor, for poll(2) and friends. */
int		 disco_fd(const struct disco *d);

/*
 * Send one request (a JSON object on one line, the trailing newline
 * optional) and wait at most timeout_ms milliseconds (-1: no limit) for
 * its reply line.  On success *reply holds that line, without its newline,
 * in memory the caller frees with free(3).
 */
int		 disco_call(struct disco *d, const char *request, char **reply,
		    int timeout_ms);

/*
 * Besides replies, the agent sends events on a connection: lines with an
 * "event" field and no "ok" (for example "renamed" when a registration's
 * name was taken on the network, "expired" when its lease ran out).
 * disco_call() keeps events that arrive while it waits for a reply; this
 * returns the oldest one, waiting at most timeout_ms (-1: no limit, 0: do
 * not wait) for one to arrive.  On success *event holds the line, which
 * the caller frees.  Returns DISCO_ETIMEOUT when none came, DISCO_EINTR
 * when a signal interrupted the wait.
 */
int		 disco_event_next(struct disco *d, char **event,
		    int timeout_ms);

/* A static English description of a DISCO_E* code. */
const char	*disco_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
