/*
 * libdisco: talk to the local disco agent (discod) over its Unix socket.
 *
 * Every function returns 0 (or a non-negative count) on success and a
 * negative DISCO_E* code on failure; disco_strerror() names the code.  The
 * library never exits, never prints and never raises SIGPIPE.
 *
 * Threads: a handle may be used by one thread at a time; separate handles
 * are independent.
 *
 * ABI: libdisco.so.1, its symbols versioned (DISCO_1).  Structures the
 * library hands out (struct disco_instance, struct disco_event) may gain
 * fields in their reserved space without a new soname.  Structures the
 * application fills in (struct disco_service, struct disco_query) are
 * passed with their size (the macros below add sizeof): a library newer
 * than the program reads the fields the program knew and takes the rest
 * as zero.
 */
#ifndef DISCO_H
#define DISCO_H

/*
 * The public header keeps its hand layout (aligned names, comments that
 * span lines): clang-format 14 would split the error table.
 */
/* clang-format off */

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct addrinfo;

/* Error codes, all negative. */
#define DISCO_ESYSTEM		-1	/* a system call failed: see errno */
#define DISCO_EUNREACHABLE	-2	/* no agent answers on the socket */
#define DISCO_ETIMEOUT		-3	/* no reply within the timeout */
#define DISCO_EPROTOCOL		-4	/* the agent's reply is not v1 */
#define DISCO_ENOMEM		-5	/* out of memory */
#define DISCO_EINVAL		-6	/* a bad argument */
#define DISCO_ECLOSED		-7	/* the agent closed the connection */
#define DISCO_EINTR		-8	/* a signal arrived while waiting */
#define DISCO_ENOTFOUND		-9	/* no such instance, or none matches */
#define DISCO_EDENIED		-10	/* the agent refused: not allowed;
					   from disco_open(): the socket's
					   permissions keep this user out
					   (errno EACCES) */
#define DISCO_EREJECTED		-11	/* the agent refused the request as
					   malformed (a bad name, type, port):
					   disco_last_error() says which field */

/*
 * Flags for disco_open_flags().  By default a handle is resilient: when
 * the connection to the agent drops (discod restarted, upgraded, killed),
 * the handle connects again (at once, then with back-off from 100 ms to
 * 5 s), registers again everything disco_register() and
 * disco_register_service() registered on it (same name, type, port, TXT,
 * subtypes, lease, check), watches again what disco_watch() watched, and
 * says so with events: DISCO_EVENT_DISCONNECTED, then (for a watch)
 * DISCO_EVENT_RESYNC and the new snapshot as DISCO_EVENT_ADD, then
 * DISCO_EVENT_RECONNECTED.  A call that finds the connection gone
 * connects again within its timeout and is sent once more.  Requests
 * sent with disco_call() are not registered again.
 */
#define DISCO_OPEN_NO_RECONNECT	0x1	/* a dropped connection stays an
					   error (DISCO_ECLOSED) */

/* An open connection to the agent. */
struct disco;

/*
 * Connect to the agent.  path is the socket; NULL means $DISCO_SOCKET, or
 * when that is unset the path configured at build time.  On success *dp
 * holds a handle to pass to disco_close().  When the agent's listen queue
 * is full (it is stuck, or flooded by clients), wait at most 5 seconds
 * for room, then fail with DISCO_ETIMEOUT.
 */
int		 disco_open(struct disco **dp, const char *path);

/*
 * disco_open(), waiting at most timeout_ms milliseconds (-1: no limit,
 * 0: not at all) for room in the agent's listen queue.
 */
int		 disco_open_timeout(struct disco **dp, const char *path,
		    int timeout_ms);

/*
 * disco_open_timeout() with flags (DISCO_OPEN_*, or 0 for the defaults
 * disco_open() uses).
 */
int		 disco_open_flags(struct disco **dp, const char *path,
		    int timeout_ms, unsigned int flags);

/* Close a handle; NULL is allowed. */
void		 disco_close(struct disco *d);

/* The socket path disco_open(NULL) would use. */
const char	*disco_default_socket(void);

/*
 * The handle's descriptor, for poll(2) and friends: readable when events
 * wait for disco_dispatch().  A resilient handle keeps the number across
 * reconnections (dup2(2)), but the file behind it changes: while the
 * agent is away it is a timer that turns readable when the next try is
 * due.  poll(2) and select(2) need nothing; an epoll(7) user adds the
 * descriptor again after DISCO_EVENT_DISCONNECTED and
 * DISCO_EVENT_RECONNECTED (epoll drops a file that is closed).
 */
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
 *
 * A handle keeps at most 1024 events, and 1 MiB of them, between two
 * calls of this: the library drops those that come past that, and
 * returns in their place the line {"event":"resync","dropped":N} (N of
 * them lost, and no "index", unlike the agent's resync): forget what the
 * events told you and ask again (list, services); disco_dispatch() calls
 * its callback with DISCO_EVENT_RESYNC for it.
 */
int		 disco_event_next(struct disco *d, char **event,
		    int timeout_ms);

/* One address of an instance. */
struct disco_address {
	int		 family;	/* AF_INET or AF_INET6 */
	char		*address;	/* text, link-local IPv6 with %scope */
	char		*interface;	/* where it was seen, e.g. "eth0" */
};

/*
 * A service instance from the agent's cache.  The library allocates these
 * (in arrays too): fields are added in place of reserved[], never
 * elsewhere.
 */
struct disco_instance {
	char			*name;		/* "My Printer" */
	char			*type;		/* "_ipp._tcp" */
	char			*domain;	/* "local" */
	char			*host;		/* "printer.local" */
	unsigned int		 port;
	char			**txt;		/* TXT strings, raw bytes,
						   each followed by a NUL */
	size_t			*txt_len;	/* their lengths (NULs too) */
	size_t			 ntxt;
	struct disco_address	*addresses;
	size_t			 naddresses;
	int			 local;		/* announced by this host */
	/* 0 when the host stopped answering the agent's liveness queries
	   (doc/liveness.md): disco_pick() and disco_getaddrinfo() skip it */
	int			 reachable;
	double			 unreachable_since; /* epoch seconds, or 0 */
	char			*fullname;	/* "My\\.Printer._ipp._tcp.local" */
	/* 1 when it came from the wide area (doc/wide-area.md) and the
	   agent has not been able to refresh it from etcd lately */
	int			 stale;
	int			 reserved_int;
	void			*reserved[7];
};

/* Free one instance, or an array of n; NULL is allowed. */
void		 disco_instance_free(struct disco_instance *inst);
void		 disco_instances_free(struct disco_instance *insts, size_t n);

/*
 * The agent's cache, each call waiting at most timeout_ms (-1: no limit).
 * txt filters are NULL-terminated arrays of "key" (present) or
 * "key=value"; NULL for none.
 */

/* The instance name of type (in domain "local"), into *inst. */
int		 disco_resolve(struct disco *d, const char *name,
		    const char *type, struct disco_instance **inst,
		    int timeout_ms);

/* Every instance of type passing the filters: *insts holds *n of them. */
int		 disco_list(struct disco *d, const char *type,
		    const char *const *txt, struct disco_instance **insts,
		    size_t *n, int timeout_ms);

/*
 * One instance of type, chosen by policy ("weighted" when NULL,
 * "round-robin", "random", or "sticky" with key).  wait_ms > 0 waits that
 * long for a first instance to appear.
 */
int		 disco_pick(struct disco *d, const char *type,
		    const char *policy, const char *key,
		    const char *const *txt, int wait_ms,
		    struct disco_instance **inst, int timeout_ms);

/* The service types in the cache: *types holds *n strings. */
int		 disco_types(struct disco *d, char ***types, size_t *n,
		    int timeout_ms);
void		 disco_types_free(char **types, size_t n);

/* The agent's status reply, as one line of JSON the caller frees. */
int		 disco_status(struct disco *d, char **json, int timeout_ms);

/*
 * Announce a service for as long as the handle is open (ttl 0) or with a
 * lease of ttl seconds that disco_renew() extends.  txt is a
 * NULL-terminated array of "key=value" or "key" strings, or NULL.  On
 * success *id holds the registration number; *final_name, when not NULL,
 * the name announced (the caller frees it).
 */
int		 disco_register(struct disco *d, const char *name,
		    const char *type, unsigned int port,
		    const char *const *txt, unsigned int ttl, long *id,
		    char **final_name, int timeout_ms);
int		 disco_renew(struct disco *d, long id, int timeout_ms);
int		 disco_unregister(struct disco *d, long id, int timeout_ms);

/* One TXT string as bytes: "key=" and any value, NULs included. */
struct disco_txt {
	const void		*data;
	size_t			 len;
};

/*
 * What disco_register_service() announces.  Set the fields you need and
 * leave the others zero (initialise it with { 0 } or designated
 * initialisers).  Fields are added at the end; the macro passes the size
 * the program was built with.
 */
struct disco_service {
	const char		*name;		/* "My Printer" */
	const char		*type;		/* "_ipp._tcp" */
	unsigned int		 port;		/* 1 to 65535 */
	/* NULL-terminated "key=value" or "key" strings, or NULL */
	const char *const	*txt;
	/* NULL-terminated labels such as "_printer" (16 at most), or NULL */
	const char *const	*subtypes;
	unsigned int		 ttl;		/* lease in seconds, extended by
						   disco_renew(); 0: none */
	/* With ttl: keep the registration after the handle closes, until
	   its lease runs out. */
	int			 persist;
	/* TXT strings as bytes (binary values), after those of txt */
	const struct disco_txt	*txt_bytes;
	size_t			 ntxt_bytes;
	/*
	 * A health check (disco.dnssd(5), [Check]): the service is
	 * announced only while it passes.  check is "tcp", "http", "exec"
	 * or "ttl"; NULL: none.  Zero fields take the agent's defaults.
	 */
	const char		*check;
	const char		*check_host;	/* tcp: numeric address */
	unsigned int		 check_port;	/* tcp: port */
	const char		*check_url;	/* http: http://127.0.0.1:80/x */
	const char		*check_expect;	/* http: text the body holds */
	const char *const	*check_command;	/* exec: argv, NULL-ended; runs
						   with the client's uid */
	unsigned int		 check_interval_ms;
	unsigned int		 check_timeout_ms;
	unsigned int		 check_start_period_ms;
	unsigned int		 check_rise;	/* passes in a row to turn up */
	unsigned int		 check_fall;	/* failures in a row to turn
						   down */
};

/*
 * Announce svc, as disco_register() does, with its subtypes, binary TXT,
 * health check and persistence too.  On success *id holds the
 * registration number; *final_name, when final_name is not NULL, the name
 * announced (the caller frees it).  svc_size is sizeof(*svc) as the
 * program knows it: call it through the macro.
 */
int		 disco_register_service_sized(struct disco *d,
		    const struct disco_service *svc, size_t svc_size,
		    long *id, char **final_name, int timeout_ms);
#define disco_register_service(d, svc, id, final_name, timeout_ms) \
	disco_register_service_sized((d), (svc), sizeof(*(svc)), (id), \
	    (final_name), (timeout_ms))

/*
 * Which instances disco_list_query() and disco_pick_query() consider.
 * type is required; every other field NULL (0) means no filter.  Leave
 * unused fields zero: fields may be added at the end.
 */
struct disco_query {
	const char		*type;		/* "_ipp._tcp" */
	const char		*subtype;	/* a label such as "_printer" */
	const char		*family;	/* "ipv4" or "ipv6": only
						   instances with an address of
						   that family (each comes with
						   all its addresses) */
	const char		*interface;	/* only instances with an
						   address seen there, e.g.
						   "eth0" */
	/* NULL-terminated "key" (present) or "key=value" filters */
	const char *const	*txt;
	/* For disco_pick_query() only: */
	const char		*policy;	/* as for disco_pick(); NULL:
						   "weighted" */
	const char		*key;		/* for policy "sticky" */
	int			 wait_ms;	/* > 0: wait that long for a
						   first instance */
	/* Added later (zero in older programs, as for any field): */
	const char		*domain;	/* "local" (the link's) or the
						   wide area's; NULL: both */
	const char		*prefer;	/* pick: "local" prefers the
						   link's instances */
};

/*
 * Every instance passing q's filters: *insts holds *n of them.  q_size is
 * sizeof(*q) as the program knows it: call these through the macros.
 */
int		 disco_list_query_sized(struct disco *d,
		    const struct disco_query *q, size_t q_size,
		    struct disco_instance **insts, size_t *n, int timeout_ms);
#define disco_list_query(d, q, insts, n, timeout_ms) \
	disco_list_query_sized((d), (q), sizeof(*(q)), (insts), (n), \
	    (timeout_ms))

/* One instance passing q's filters, chosen by q->policy, into *inst. */
int		 disco_pick_query_sized(struct disco *d,
		    const struct disco_query *q, size_t q_size,
		    struct disco_instance **inst, int timeout_ms);
#define disco_pick_query(d, q, inst, timeout_ms) \
	disco_pick_query_sized((d), (q), sizeof(*(q)), (inst), (timeout_ms))

/*
 * The instance of full name fullname, its dots in the instance part
 * escaped ("My\.Printer._ipp._tcp.local"), into *inst.
 */
int		 disco_resolve_fullname(struct disco *d, const char *fullname,
		    struct disco_instance **inst, int timeout_ms);

/*
 * This host's announcements (from service files and from clients, with
 * their state, origin, lease and health), as the agent's reply: one line
 * of JSON the caller frees.
 */
int		 disco_services(struct disco *d, char **json, int timeout_ms);

/*
 * Make the agent reread its configuration and service files, as SIGHUP
 * does; only root may (DISCO_EDENIED for others).  On success *services,
 * when not NULL, holds the number of announcements now, and *errors, when
 * not NULL, the number of files that had errors (the agent logs them).
 */
int		 disco_reload(struct disco *d, size_t *services,
		    size_t *errors, int timeout_ms);

/*
 * The reply line, as the agent sent it (without its newline), to the
 * request the latest call on d made, whether the agent accepted it or
 * refused it (the line then holds the agent's error code and message);
 * NULL when that call got no reply, and after disco_call(), which hands
 * its reply to the caller; a call refusing its arguments (DISCO_EINVAL)
 * sends nothing and may leave the line of an earlier call.  For programs
 * that show or keep the agent's own words.  The string belongs to d: it
 * is valid until the next call on d or disco_close().
 */
const char	*disco_last_reply(const struct disco *d);

/*
 * Why the latest call on d failed, in the agent's words when it refused
 * the request: *code its error code ("bad-field", "not-found",
 * "permission-denied", ...), *field the request field at fault (NULL when
 * it names none, e.g. "txt[0]", "check.url"), *message its message.  For
 * a failure of the library's own (a timeout, the agent gone, a system
 * call) *code is NULL and *message says what happened (with strerror(3)
 * for DISCO_ESYSTEM).  Returns the DISCO_E* code of that call (0: it
 * succeeded, and the strings are NULL).  Pointers may be NULL; strings
 * belong to d until its next call.
 */
int		 disco_last_error(const struct disco *d, const char **code,
		    const char **field, const char **message);

/*
 * Watch: after disco_watch() succeeds, the handle streams changes to the
 * instances of type (every type for NULL); *snapshot, when not NULL, holds
 * the *n instances present now.  Then poll disco_fd() for reading and call
 * disco_dispatch(), which calls cb once for each event that has arrived,
 * without blocking.  A handle may watch several types (each disco_watch()
 * adds one), register and make calls too: events that arrive during a
 * call are kept for the next dispatch.
 */
enum disco_event_kind {
	DISCO_EVENT_ADD,
	DISCO_EVENT_UPDATE,
	DISCO_EVENT_REMOVE,
	DISCO_EVENT_RESYNC,	/* forget what you hold; list again */
	/* Registration events (disco_dispatch_events() only): */
	DISCO_EVENT_ESTABLISHED,	/* announced under name */
	DISCO_EVENT_RENAMED,	/* the name was taken: now name */
	DISCO_EVENT_FAILED,	/* Avahi refused it (error, retry) */
	DISCO_EVENT_HEALTH,	/* its check turned (healthy, output) */
	DISCO_EVENT_EXPIRED,	/* its lease ran out: withdrawn */
	/* The handle's connection (disco_dispatch_events() only): */
	DISCO_EVENT_DISCONNECTED,	/* the agent went away */
	DISCO_EVENT_RECONNECTED,	/* back, registrations restored */
};
typedef void	(*disco_watch_cb)(enum disco_event_kind kind,
		    const struct disco_instance *inst, void *arg);

int		 disco_watch(struct disco *d, const char *type,
		    struct disco_instance **snapshot, size_t *n,
		    int timeout_ms);
/* Returns the number of events dispatched, or a DISCO_E* code. */
int		 disco_dispatch(struct disco *d, disco_watch_cb cb, void *arg);

/*
 * An event, typed: only the fields of its kind are set, the others are 0
 * or NULL.  The library allocates it; fields are added in place of
 * reserved[].  Pointers are valid during the callback only.
 */
struct disco_event {
	enum disco_event_kind		 kind;
	/* add, update, remove: the instance */
	const struct disco_instance	*instance;
	/* Registration events: the number disco_register() gave (kept
	   across reconnections, though the agent's own number changes) */
	long				 registration;
	const char			*name;		/* established, renamed:
							   the name announced */
	const char			*old_name;	/* renamed */
	const char			*error;		/* failed: Avahi's reason */
	int				 retry;		/* failed: seconds to the
							   next try, -1: none */
	int				 healthy;	/* health */
	const char			*output;	/* health: the check's
							   last result */
	size_t				 restored;	/* reconnected: the
							   registrations made
							   again */
	size_t				 lost;		/* reconnected: those the
							   agent refused (each
							   also a failed event) */
	size_t				 dropped;	/* resync: events the
							   library dropped */
	void				*reserved[8];
};
typedef void	(*disco_event_cb)(const struct disco_event *ev, void *arg);

/*
 * disco_dispatch() for every kind of event: watch changes, registration
 * events and the connection's.  Any handle may use it (one that
 * registers, watches, or both); it never blocks.  Returns the number of
 * events dispatched, or a DISCO_E* code.
 */
int		 disco_dispatch_events(struct disco *d, disco_event_cb cb,
		    void *arg);

/*
 * Like getaddrinfo(3), from the agent: name_or_type is a service type
 * ("_http._tcp": every instance disco_pick() could choose, so none whose
 * host stopped answering, in pick order: lowest priority first, then
 * weighted at random) or an instance's full name
 * ("My\.Printer._ipp._tcp.local").  hints may be NULL or set ai_family,
 * ai_socktype and ai_protocol.  Every address comes with its port, and
 * link-local IPv6 with its scope.  *res is freed with disco_freeaddrinfo.
 * Connects to the default socket ($DISCO_SOCKET or the built-in path) and
 * waits at most 5 seconds.
 */
int		 disco_getaddrinfo(const char *name_or_type,
		    const struct addrinfo *hints, struct addrinfo **res);
void		 disco_freeaddrinfo(struct addrinfo *res);

/* A static English description of a DISCO_E* code. */
const char	*disco_strerror(int code);

#ifdef __cplusplus
}
#endif

/* clang-format on */
#endif
