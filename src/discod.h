/*
 * discod: the per-host disco agent.  One libevent loop drives the Avahi
 * client and serves the control socket.
 */
#ifndef DISCOD_H
#define DISCOD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/tree.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/strlst.h>
#include <avahi-common/watch.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "core.h"
#include "proto.h"

/*
 * The Avahi thread (avahi.c, avahi-group.c, avahi-browse.c, apoll.c):
 * every avahi-client call is a D-Bus round trip that may block for 25 s,
 * so none is made on the main loop.  The thread owns the AvahiClient and
 * every Avahi object; the main loop owns everything else.  They exchange
 * struct avahi_msg over two queues (doc/avahi.md).  Functions marked
 * (thread) are called on the Avahi thread only, the others on the main
 * loop only.
 */

/* apoll.c: Avahi's poll API on libevent (thread). */
struct apoll;
struct apoll	*apoll_new(struct event_base *);
const AvahiPoll *apoll_get(struct apoll *);
void		 apoll_free(struct apoll *);

enum avahi_state {
	AVAHI_STATE_DISCONNECTED, /* no client (D-Bus gone), retrying */
	AVAHI_STATE_CONNECTING,	  /* waiting for avahi-daemon */
	AVAHI_STATE_REGISTERING,
	AVAHI_STATE_RUNNING,
	AVAHI_STATE_COLLISION,
	AVAHI_STATE_FAILURE,
};

enum avahi_msg_kind {
	/* To the Avahi thread. */
	AVAHI_MSG_GROUP,   /* an announcement as it should be; def NULL:
			      forget it */
	AVAHI_MSG_SUBTYPE, /* browse label._sub.type (on), or stop */
	AVAHI_MSG_STOP,	   /* withdraw everything and finish */
	/* To the main loop. */
	AVAHI_MSG_STATE,       /* the client's: state, host, text */
	AVAHI_MSG_GROUP_STATE, /* id, gen, state, error, name in use */
	AVAHI_MSG_CLEAR,       /* browsing starts anew: forget what it saw */
	AVAHI_MSG_SEEN,	       /* an instance on one path (ifindex, family) */
	AVAHI_MSG_LOST,
	AVAHI_MSG_RESOLVED, /* host, port, txt, addr */
	AVAHI_MSG_SUB_NEW,  /* a subtype browser's findings */
	AVAHI_MSG_SUB_REMOVE,
	AVAHI_MSG_SUB_READY, /* its first complete answer */
};

/* One message; its receiver owns it, strings and all. */
struct avahi_msg {
	TAILQ_ENTRY(avahi_msg) entry;
	enum avahi_msg_kind    kind;
	unsigned long	       id;    /* GROUP*: the announcement */
	unsigned long	       gen;   /* GROUP*: which wish */
	int		       on;    /* GROUP: announce now; SUBTYPE: browse */
	int		       anew;  /* GROUP: renames start over */
	int		       state; /* STATE, GROUP_STATE */
	int		       error; /* an Avahi error code */
	struct service_def    *def;
	char		      *name; /* an instance; GROUP_STATE: in use */
	char		      *type;
	char		      *domain;
	char		      *label; /* SUB*, SUBTYPE */
	char		      *host;  /* STATE, RESOLVED */
	char		       ifname[CACHE_IFNAME_MAX];
	int		       ifindex;
	int		       family;
	int		       local;
	unsigned int	       port;
	struct txt	       txt;
	unsigned char	       addr[16];
	char		       text[128]; /* STATE: the error */
};

/* What status shows of the thread's browsing. */
struct avahi_browse_stats {
	unsigned int  types;
	unsigned long types_dropped;
	unsigned int  resolving;
	unsigned int  queued;
	unsigned int  retrying;
	unsigned int  open;
	unsigned long resolutions;
	unsigned long failures;
	int	      paused;
};

/*
 * What announce and browse hook in (main loop): up() when the server
 * reaches RUNNING, down() when the client is lost.
 */
struct avahi_hook {
	void (*up)(void *);
	void (*down)(void *);
	void		       *arg;
	TAILQ_ENTRY(avahi_hook) entry;
};

/* avahi-msg.c: what the queues carry. */
struct avahi_msg *avahi_msg_new(enum avahi_msg_kind);
void		  avahi_msg_free(struct avahi_msg *);

/* avahi.c: the thread and the queues. */
void		    avahi_start(struct event_base *, const struct config *);
void		    avahi_stop(void);
void		    avahi_send(struct avahi_msg *);
void		    avahi_hook_add(struct avahi_hook *);
void		    avahi_hook_remove(struct avahi_hook *);
enum avahi_state    avahi_state(void);
const char	   *avahi_state_name(enum avahi_state);
const char	   *avahi_host_name(void);
time_t		    avahi_state_since(void);
unsigned int	    avahi_outages(void);
const char	   *avahi_last_error(void);
int		    avahi_responsive(void);
int		    avahi_busy(void);
void		    avahi_set_retry_max(unsigned int);
void		    avahi_stats_get(struct avahi_browse_stats *);
struct json_object *avahi_status_json(void);
/* (thread) */
AvahiClient *avahi_client(void);
void	     avahi_post(struct avahi_msg *);
void	     avahi_stats_publish(const struct avahi_browse_stats *);

/* avahi-group.c: entry groups (thread). */
void	     avahi_group_msg(struct avahi_msg *);
int	     avahi_group_work(void);
unsigned int avahi_group_backlog(void);
void	     avahi_group_up(void);
void	     avahi_group_down(void);
void	     avahi_group_shutdown(void);

/* avahi-browse.c: browsers and resolvers (thread). */
void avahi_browse_init(struct event_base *, const struct config *);
void avahi_browse_shutdown(void);
void avahi_browse_up(AvahiClient *);
void avahi_browse_down(void);
void avahi_browse_subtype_msg(struct avahi_msg *);
int  avahi_browse_work(void);
void browse_txt(AvahiStringList *, struct txt *, const char *, const char *);

/* control.c: the control socket and its clients. */
#define CLIENT_DEAD    0x1  /* lost: freed from the loop, touch nothing */
#define CLIENT_WAITING 0x2  /* a deferred reply is due: read no further */
#define CLIENT_LOOKUP  0x8  /* on the lookup socket: hello and lookup only */
#define CLIENT_SLOW    0x20 /* dropped for not reading its replies */

struct client {
	TAILQ_ENTRY(client) entry;
	unsigned long	    id;
	int		    flags;
	struct bufferevent *bev; /* its replies; requests come through: */
	struct event	   *rev; /* the socket turned readable */
	struct evbuffer	   *in;	 /* what it sent that is not yet a line */
	pid_t		    pid;
	uid_t		    uid;
	gid_t		    gid;
	gid_t		   *groups; /* supplementary, SO_PEERGROUPS */
	size_t		    ngroups;
	time_t		    connected;
	unsigned long	    requests;
	int		    resume_pending;
};

int	       control_open(const struct config *);
void	       control_client_resume(struct client *);
void	       control_send_later(struct client *, struct json_object *);
void	       control_start(struct event_base *, const struct config *);
void	       control_close(void);
void	       control_send_line(struct client *, const char *, size_t);
void	       control_reply(struct client *, struct json_object *);
struct client *control_adopt(int);
unsigned int   control_client_count(void);
void	       control_lookup_domain(const char *);

/* announce.c: this host's announcements, from files and from clients. */
enum announce_state {
	ANNOUNCE_WAITING, /* for Avahi to run */
	ANNOUNCE_PROBING, /* committed, name being probed (RFC 6762 8.1) */
	ANNOUNCE_ESTABLISHED,
	ANNOUNCE_FAILED,    /* Avahi refused it: see error */
	ANNOUNCE_UNHEALTHY, /* its check fails: withdrawn */
};

struct announcement {
	TAILQ_ENTRY(announcement) entry;
	unsigned long		  id;
	struct service_def	 *def;
	char			 *path; /* from a .dnssd file, or NULL */
	struct client	   *owner;	/* registering client while connected */
	pid_t		    pid;
	uid_t		    uid;
	char		   *name;	/* requested, specifiers expanded */
	char		   *final_name; /* after collisions */
	unsigned int	    renames;
	enum announce_state state;
	char		    error[128];
	unsigned long	    gen;	 /* of the last wish sent */
	struct client	   *waiter;	 /* a register's reply waits */
	struct json_object *waiter_id;	 /* its request's id */
	struct event	   *reply_timer; /* ANNOUNCE_REPLY_WAIT_MS */
	int		    quick;	 /* Avahi was free when it registered */
	unsigned int	    ttl;	 /* lease in seconds, 0: none */
	int		    persist;	 /* outlives its connection */
	struct timespec	    expires;
	struct event	   *lease;
	struct health	   *health;	/* NULL: no check, always announced */
	struct event	   *retry;	/* after a failure that may pass */
	unsigned int	    retry_secs; /* the last wait, doubled each time */
};

void		     announce_init(struct event_base *, const struct config *);
void		     announce_shutdown(void);
int		     announce_load_files(const char *);
struct announcement *announce_register(struct client *, struct service_def *,
    unsigned int, int, struct proto_error *);
int  announce_unregister(struct client *, unsigned long, struct proto_error *);
int  announce_renew(struct client *, unsigned long, struct proto_error *);
void announce_client_lost(struct client *);
struct json_object *announce_json(const struct announcement *);
int		    announce_reply_later(struct announcement *, struct client *,
		    struct json_object *);
void		    announce_avahi_msg(struct avahi_msg *);
struct json_object *announce_list_json(const struct client *);
unsigned int	    announce_count(void);
#define ANNOUNCE_STATES 5
void	    announce_counts(unsigned int[2][ANNOUNCE_STATES]);
const char *announce_state_text(int);

/* browse.c: browse the LAN and keep the cache resolved. */
void browse_init(struct event_base *, const struct config *, struct cache *);
void browse_shutdown(void);
void browse_avahi_msg(struct avahi_msg *);
int  browse_subtype_want(const char *, const char *, uid_t,
     struct proto_error *);
void browse_subtype_hold(const char *, const char *);
void browse_subtype_release(const char *, const char *);
int  browse_has_subtype(const struct instance *, const char *);
int  browse_subtype_ready(const char *, const char *);
struct json_object *browse_status_json(void);

/* liveness.c: is a peer's responder still there? */
void liveness_init(struct event_base *, const struct config *, struct cache *);
void liveness_shutdown(void);
struct json_object *liveness_status_json(void);

/* instance-json.c: instances and TXT records as JSON. */
#define INSTANCE_MEMO_BYTES (512 * 1024) /* reply texts kept, at most */
struct json_object *instance_json(struct instance *);
void		    instance_json_memo_free(void *);
size_t		    instance_json_memo_bytes(void);
char		   *instance_json_text(const struct instance *, size_t *);
void		    instance_json_double(char *, size_t, double);
struct json_object *txt_to_json(const struct txt *);

/* filter.c: the filters list, pick and watch share. */
#define INSTANCE_FILTER_TXT_MAX 16

struct instance_filter {
	const char *type;    /* NULL: every type */
	const char *subtype; /* NULL: any; else a label like _printer */
	const char *txt[INSTANCE_FILTER_TXT_MAX];
	size_t	    ntxt;
	int	    family;    /* 0: either */
	const char *interface; /* NULL: any */
	const char *domain;    /* NULL: any ("local", or the wide area's) */
};

int instance_filter_parse(struct json_object *, struct instance_filter *, int,
    struct proto_error *);
struct instance	   *instance_filter_next(struct cache *,
       const struct instance_filter *, struct instance *);
struct json_object *instance_list_json(struct cache *,
    const struct instance_filter *);
void		    instance_filter_copy(struct instance_filter *,
		   const struct instance_filter *);
void		    instance_filter_clear(struct instance_filter *);
int		    instance_filter_passes(const struct instance_filter *,
		    const struct instance *);
int		    instance_filter_narrow(const struct instance_filter *);
int instance_filter_indexed(struct cindex *, const struct instance_filter *,
    struct instance ***, size_t *);

/* naming.c: names in the disco domain, for DNS and the lookup verb. */
#define NAMING_LABEL_MAX  63
#define NAMING_LABELS_MAX 128

enum naming_kind {
	NAMING_NONE,	 /* in the domain, but no such name: NXDOMAIN */
	NAMING_APEX,	 /* the domain itself */
	NAMING_EMPTY,	 /* _tcp.D, service.D...: exists, no records */
	NAMING_TYPES,	 /* _services._dns-sd._udp.D */
	NAMING_TYPE,	 /* _http._tcp.D */
	NAMING_SUBTYPE,	 /* _printer._sub._http._tcp.D */
	NAMING_INSTANCE, /* Name._http._tcp.D */
	NAMING_SERVICE,	 /* http.service.D: addresses */
	NAMING_HOST,	 /* host.D: addresses */
};

struct naming_label {
	const unsigned char *data;
	size_t		     len;
};

struct naming_query {
	enum naming_kind kind;
	char		 type[NAMING_LABEL_MAX * 2 + 2];
	char		 label[NAMING_LABEL_MAX + 1]; /* subtype, host */
	char		 name[NAMING_LABEL_MAX + 1];  /* instance */
};

struct naming_addr {
	int	      family;
	unsigned char addr[16];
	int	      ifindex;
};

int    naming_split(const char *, struct naming_label *, size_t, size_t *);
int    naming_parse(const char *, const struct naming_label *, size_t,
       struct naming_query *);
void   naming_host_label(const struct instance *, char *, size_t);
int    naming_linklocal(const struct cache_path *);
size_t naming_instances(struct cache *, const struct naming_query *,
    struct instance ***);
int    naming_exists(struct cache *, const struct naming_query *);
size_t naming_addresses(struct cache *, const struct naming_query *, int, int,
    struct naming_addr *, size_t);

/* dns.c: the DNS interface, answered from the cache. */
#define DNS_UID ((uid_t)65534) /* whom DNS clients' subtypes count for */

struct dns_answer_ctx {
	struct cache *cache;
	const char   *domain;
	unsigned int  ttl;
	int	      tcp;	/* else UDP: truncate to the client's size */
	int	      loopback; /* the client is on this host */
	void (*subtype_want)(const char *, const char *); /* or NULL */
};

int  dns_answer(const struct dns_answer_ctx *, const unsigned char *, size_t,
     unsigned char **, size_t *);
void dns_init(struct event_base *, const struct config *, struct cache *);
void dns_shutdown(void);
struct json_object *dns_status_json(void);

/* watch.c: the watch verb's streams. */
void watch_init(struct cache *);
int  watch_start(struct client *, const struct instance_filter *, long long,
     struct json_object *, struct proto_error *);
void watch_client_lost(struct client *);
void watch_stats(unsigned int *, unsigned long long *, unsigned long long *);

struct verb;

/* A request as a verb runs it: the decoded line, and which run this is. */
enum request_run {
	REQUEST_FIRST,
	REQUEST_AGAIN, /* after waiting: may wait on */
	REQUEST_LAST,  /* the wait is over: answer now */
};

struct request {
	struct proto_request msg;
	enum request_run     run;
};

/* pending.c: requests that wait (wait_ms) for an instance to appear. */
#define PENDING_WAIT_MAX 60000 /* ms */

void pending_init(struct event_base *, struct cache *);
int  pending_add(struct client *, const struct verb *, struct request *,
     long long);
void pending_retry(void);
void pending_client_lost(struct client *);

/* health.c: checks that gate announcements. */
struct health;
extern int     health_inert;
void	       health_init(struct event_base *, const struct config *);
struct health *health_new(struct announcement *, const struct check_spec *);
void	       health_free(struct health *);
int	       health_ok(const struct health *);
struct json_object *health_json(const struct health *);
void announce_health_changed(struct announcement *, int, const char *);

/* verb.c: the protocol verbs, one file each. */
#define VERB_PRIV 0x1 /* root only */

/* What a verb's handler returns. */
#define VERB_DONE     0	 /* reply filled in: send it */
#define VERB_ERROR    -1 /* err filled in: send an error */
#define VERB_DEFERRED 1	 /* the verb replies later by itself */
#define VERB_SENT     2	 /* the verb has sent its reply itself */

struct verb {
	const char *name;
	int	    flags;
	int (*exec)(struct client *, struct request *, struct json_object *,
	    struct proto_error *);
};

extern const struct verb verb_hello;
extern const struct verb verb_status;
extern const struct verb verb_register;
extern const struct verb verb_unregister;
extern const struct verb verb_renew;
extern const struct verb verb_services;
extern const struct verb verb_reload;
extern const struct verb verb_types;
extern const struct verb verb_list;
extern const struct verb verb_resolve;
extern const struct verb verb_watch;
extern const struct verb verb_pick;
extern const struct verb verb_lookup;
extern const struct verb verb_metrics;

struct json_object *verb_dispatch(struct client *, struct request *);
size_t		    verb_count(void);
size_t		    verb_index(const struct verb *);
void		    verb_count_done(const struct verb *, const char *,
		   const struct timespec *);
int		    verb_resolve_fast(struct client *, const char *, size_t);
const struct verb  *verb_at(size_t);
struct json_object *status_json(void);

/* metrics.c: Prometheus metrics, over HTTP and the metrics verb. */
enum metrics_drop {
	METRICS_DROP_SLOW,	/* not reading its replies */
	METRICS_DROP_OVERSIZED, /* a request over the line limit */
	METRICS_DROP_ERROR,	/* its socket failed */
	METRICS_DROP_LIMIT,	/* refused: too many connections */
	METRICS_DROPS
};

struct evbuffer;

void metrics_init_counters(void);
void metrics_init(struct event_base *, const struct config *);
void metrics_shutdown(void);
void metrics_request(size_t, const char *, double);
void metrics_client_accepted(void);
void metrics_client_dropped(enum metrics_drop);
void metrics_check(int, int, int);
void metrics_render(struct evbuffer *);
#define METRICS_REQUEST_MAX 8192 /* bytes of an HTTP request head */
int metrics_http_route(const char *, size_t, size_t *, int *);

/* journal.c: key events with structured fields for the journal. */
enum journal_kind {
	JOURNAL_ANNOUNCED,
	JOURNAL_WITHDRAWN,
	JOURNAL_RENAMED,
	JOURNAL_CHECK_TURNED,
	JOURNAL_PEER_UNREACHABLE,
	JOURNAL_PEER_BACK,
	JOURNAL_CLIENT_DROPPED,
};

struct journal_fields {
	const char *service; /* DISCO_SERVICE: an instance name */
	const char *type;    /* DISCO_TYPE */
	const char *peer;    /* DISCO_PEER: a host name */
	pid_t	    client_pid;
};

int  journal_active(void);
void journal_reset(void);
void journal_event(enum journal_kind, int, const struct journal_fields *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

/* notify.c: systemd's notification protocol (no-ops without systemd). */
void notify_ready(void);
void notify_status(const char *, ...) __attribute__((format(printf, 1, 2)));
void notify_stopping(void);
void notify_reloading(void);
void notify_watchdog_start(struct event_base *);

/* etcd.c: POSTs to etcd's v3 JSON API on the loop (libcurl multi). */
#define ETCD_BODY_MAX (64 * 1024 * 1024) /* a unary call's answer */
#define ETCD_LINE_MAX (8 * 1024 * 1024)	 /* one line of a stream */

struct etcd_req;
struct etcd_opts {
	const char  *ca, *cert, *key; /* TLS files, or NULL */
	char	     token[512];      /* from authenticate, or "" */
	unsigned int connect_timeout_ms;
};
typedef int (*etcd_line_cb)(struct etcd_req *, const char *, size_t, void *);
typedef void (*etcd_done_cb)(struct etcd_req *, int, long, const char *, size_t,
    const char *, void *);

void		 etcd_init(struct event_base *);
void		 etcd_shutdown(void);
void		 etcd_connections_max(long);
struct etcd_req *etcd_post(const struct etcd_opts *, const char *, const char *,
    const char *, long, etcd_line_cb, etcd_done_cb, void *);
void		 etcd_cancel(struct etcd_req *);
int etcd_post_wait(const struct etcd_opts *, const char *, const char *,
    const char *, long);
unsigned int etcd_requests(void);

/* widearea.c: announcements shared through etcd ([wide-area]). */
void widearea_init(struct event_base *, const struct config *, struct cache *);
void widearea_shutdown(void);
void widearea_announce(unsigned long, const char *, const struct service_def *,
    int);
int  widearea_has_subtype(const struct instance *, const char *);
struct json_object *widearea_status_json(void);
unsigned int	    widearea_published(void);
int		    widearea_stale(void);
const char	   *widearea_domain(void);

/* agent.c: the agent as a whole (main() is in discod.c). */
struct discod {
	struct event_base *base;
	struct config	   conf;
	const char	  *conf_path;
	const char	  *socket_override; /* -s */
	struct timespec	   started;	    /* CLOCK_MONOTONIC */
	struct cache	   cache;
	struct cindex	   index; /* of the cache, for pick and list */
};
extern struct discod *discod;

void   discod_start(void);
void   discod_stop(void);
int    discod_read_config(const char *, int, struct config *,
       struct config_errors *);
void   discod_print_errors(struct config_errors *);
double discod_uptime(void);
int    discod_reload(void);
long   discod_rss_kib(void);

#endif
