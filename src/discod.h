/*
 * discod: the per-host disco agent.  One libevent loop drives the Avahi
 * client and serves the control socket.
 */
#ifndef DISCOD_H
#define DISCOD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>
#include <sys/socket.h>

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

#include "log.h"
#include "proto.h"
#include "xmalloc.h"

#ifndef DISCO_SOCKET_PATH
#define DISCO_SOCKET_PATH	"/run/disco/discod.sock"
#endif
#ifndef DISCO_SERVICES_DIR
#define DISCO_SERVICES_DIR	"/etc/disco/services"
#endif
#ifndef DISCO_CONF_PATH
#define DISCO_CONF_PATH		"/etc/disco/discod.conf"
#endif

/* access.c: who may register what ([access] in discod.conf). */
struct access_principal {
	int		 group;		/* id is a gid, else a uid */
	unsigned int	 id;
};

struct access_rule {
	char		*type;		/* restrict-type's; NULL for register */
	struct access_principal *who;
	size_t		 nwho;
	int		 line;
};

struct access_creds {
	uid_t		 uid;
	gid_t		 gid;
	const gid_t	*groups;	/* supplementary */
	size_t		 ngroups;
};

/* conf.c: discod.conf, an INI file. */
struct config {
	char		*socket_path;
	char		*socket_group;		/* NULL: the daemon's own group */
	mode_t		 socket_mode;
	unsigned int	 max_clients;
	size_t		 client_output_max;	/* bytes queued to one client */
	unsigned int	 avahi_retry_max;	/* seconds between reconnects */
	char		*services_dir;		/* .dnssd files */
	unsigned int	 registrations_per_uid;
	unsigned int	 ttl_max;		/* longest lease, seconds */
	char		*browse_types;		/* space separated; NULL: all */
	char		*browse_interfaces;	/* space separated; NULL: all */
	char		*browse_protocols;	/* ipv4, ipv6 or any */
	char		*browse_domain;		/* NULL: Avahi's default */
	char		*browse_subtypes;	/* label._sub._type ... */
	unsigned int	 resolvers_max;		/* kept open for changes */
	unsigned int	 resolve_concurrency;	/* in flight at once */
	int		 liveness;		/* probe peers: 1 yes, 0 no */
	unsigned int	 liveness_interval_ms;
	unsigned int	 liveness_unreachable_ms;
	unsigned int	 liveness_remove_ms;
	struct access_rule access_register;	/* nwho 0: anyone */
	struct access_rule *access_types;	/* restrict-type rules */
	size_t		 naccess_types;
};

int	 access_rule_parse(const char *, int, int, struct access_rule *,
	    char *, size_t);
void	 access_rule_clear(struct access_rule *);
int	 access_may_register(const struct config *,
	    const struct access_creds *, const char *, char *, size_t);

struct config_error {
	TAILQ_ENTRY(config_error) entry;
	char		*text;			/* "file:line: message" */
};
TAILQ_HEAD(config_errors, config_error);

void	 config_defaults(struct config *);
void	 config_clear(struct config *);
int	 config_parse(FILE *, const char *, struct config *,
	    struct config_errors *);
int	 config_load(const char *, struct config *, struct config_errors *);
void	 config_errors_clear(struct config_errors *);
void	 config_error_add(struct config_errors *, const char *, int,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	 config_error_addv(struct config_errors *, const char *, int,
	    const char *, va_list) __attribute__((format(printf, 4, 0)));

/* service.c: what one announcement says, validated (no Avahi here). */
#define SERVICE_NAME_MAX	63	/* bytes of UTF-8, RFC 6763 4.1.1 */
#define SERVICE_SUBTYPES_MAX	16
#define TXT_STRING_MAX		255	/* RFC 6763 6.1 */
#define TXT_TOTAL_MAX		8900	/* RFC 6763 6.2 */
#define TXT_STRINGS_MAX		128

struct txt_string {
	unsigned char	*data;
	size_t		 len;
};

struct txt {
	struct txt_string *v;
	size_t		 n;
	size_t		 total;		/* bytes on the wire, length bytes too */
};

struct check_setting {
	char		*key;
	char		*value;
	int		 line;
};

/* A health check, from [Check] or a register request's "check". */
enum check_type {
	CHECK_NONE,
	CHECK_TCP,		/* connect to host:port */
	CHECK_HTTP,		/* GET url: 2xx or 3xx, optional body text */
	CHECK_EXEC,		/* run argv: exit 0 */
	CHECK_TTL,		/* the client renews: the lease is the check */
};

struct check_spec {
	enum check_type	 type;
	unsigned int	 interval_ms;
	unsigned int	 timeout_ms;
	unsigned int	 rise;		/* passes in a row to turn healthy */
	unsigned int	 fall;		/* failures in a row to turn unhealthy */
	unsigned int	 start_period_ms;	/* failures do not count */
	char		*host;		/* tcp: numeric address */
	unsigned int	 port;		/* tcp: 0 = the service's port */
	char		*url;		/* http */
	char		*expect;	/* http: body must contain it */
	char		**argv;		/* exec */
	int		 drop_privileges;	/* exec as run_uid:run_gid */
	uid_t		 run_uid;
	gid_t		 run_gid;
};

struct service_def {
	char		*name;		/* may hold specifiers (%H) for files */
	char		*type;		/* _name._tcp or _name._udp */
	char		*subtypes[SERVICE_SUBTYPES_MAX];
	size_t		 nsubtypes;
	unsigned int	 port;
	unsigned int	 priority;
	unsigned int	 weight;
	struct txt	 txt;
	struct check_setting *check;	/* the [Check] section, kept */
	size_t		 ncheck;
	struct check_spec *spec;	/* what it says, or NULL */
};

const char	*service_name_invalid(const char *);
const char	*service_type_invalid(const char *);
const char	*service_subtype_invalid(const char *);
const char	*txt_string_invalid(const unsigned char *, size_t);
const char	*service_name_template_invalid(const char *);
int		 service_name_expand(const char *, const char *, char *,
		    size_t);
int		 txt_add(struct txt *, const unsigned char *, size_t,
		    const char **);
void		 txt_clear(struct txt *);
int		 txt_equal(const struct txt *, const struct txt *);
void		 txt_copy(struct txt *, const struct txt *);
struct service_def *service_def_new(void);
void		 service_def_free(struct service_def *);
int		 service_def_same_but_txt(const struct service_def *,
		    const struct service_def *);
int		 service_file_parse(FILE *, const char *, struct service_def **,
		    struct config_errors *);
int		 service_dir_list(const char *, char ***);
const char	*check_type_name(enum check_type);
int		 check_type_parse(const char *, enum check_type *);
void		 check_spec_defaults(struct check_spec *);
const char	*check_spec_finish(struct check_spec *);
void		 check_spec_free(struct check_spec *);
int		 check_duration_parse(const char *, unsigned int *);
int		 service_split_words(const char *, char ***);
void		 service_dir_free(char **);

/* cache.c: resolved instances seen on the LAN (no Avahi, no sockets). */
#define CACHE_IFNAME_MAX	16

/* Where the browser sees an instance: one interface and protocol. */
struct cache_path {
	int		 ifindex;
	char		 ifname[CACHE_IFNAME_MAX];
	int		 family;	/* AF_INET or AF_INET6 */
	int		 resolved;
	unsigned char	 addr[16];	/* in that family */
	char		 text[64];	/* printable, with %ifname scope */
	void		*browse;	/* browse.c's resolver state */
};

struct instance {
	RB_ENTRY(instance) entry;
	char		*name;
	char		*type;
	char		*domain;
	char		*host;
	unsigned int	 port;
	unsigned int	 priority;
	unsigned int	 weight;
	struct txt	 txt;
	struct cache_path *paths;
	size_t		 npaths;
	int		 local;		/* announced by this host */
	int		 resolved;	/* host, port and TXT known */
	int		 unreachable;	/* its host stopped answering */
	double		 unreachable_since;
	int		 hidden;	/* gone for watchers and list */
	double		 first_seen;	/* seconds since the epoch */
	double		 last_changed;
	double		 last_confirmed;
	unsigned long long index;	/* event index of the last change */
	void		*browse;	/* browse.c's per-instance state */
	struct json_object *json;	/* instance_json()'s memo: cache.c
					   drops it on every change */
};

enum cache_event_kind {
	CACHE_ADD,
	CACHE_UPDATE,
	CACHE_REMOVE,
	CACHE_RESYNC,		/* everything may have changed */
};

RB_HEAD(instance_tree, instance);

struct cache {
	struct instance_tree	 tree;
	unsigned int		 count;		/* resolved ones */
	unsigned int		 total;
	unsigned long long	 index;		/* of the last event */
	void			(*event)(struct cache *, enum cache_event_kind,
				    const struct instance *, void *);
	void			*arg;
};

const char	*cache_event_name(enum cache_event_kind);
void		 cache_init(struct cache *);
void		 cache_clear(struct cache *);
struct instance	*cache_find(struct cache *, const char *, const char *,
		    const char *);
struct instance	*cache_first_of_type(struct cache *, const char *);
struct instance	*cache_next(struct cache *, struct instance *);
struct instance	*cache_seen(struct cache *, const char *, const char *,
		    const char *, int, const char *, int, int, int *);
int		 cache_lost(struct cache *, struct instance *, int, int);
void		 cache_resolved(struct cache *, struct instance *, int, int,
		    const char *, unsigned int, const struct txt *,
		    const void *);
void		 cache_remove(struct cache *, struct instance *);
int		 cache_txt_match(const struct instance *, const char *);
void		 cache_set_reachable(struct cache *, struct instance *, int);
void		 cache_set_hidden(struct cache *, struct instance *, int);

/* policy.c: how pick chooses one instance (no Avahi, no sockets). */
enum policy {
	POLICY_WEIGHTED,	/* RFC 2782 priority, then weight */
	POLICY_ROUND_ROBIN,
	POLICY_RANDOM,
	POLICY_STICKY,		/* rendezvous hashing on a key */
};

const char	*policy_name(enum policy);
int		 policy_from_name(const char *, enum policy *);
unsigned int	 policy_priority(const struct instance *);
unsigned int	 policy_weight(const struct instance *);
struct instance	*policy_pick(enum policy, struct instance **, size_t,
		    const char *, unsigned long *, uint32_t);

/* apoll.c: Avahi's poll API on libevent. */
struct apoll;
struct apoll	*apoll_new(struct event_base *);
const AvahiPoll	*apoll_get(struct apoll *);
void		 apoll_free(struct apoll *);

/* avahi.c: the connection to avahi-daemon. */
enum avahi_state {
	AVAHI_STATE_DISCONNECTED,	/* no client (D-Bus gone), retrying */
	AVAHI_STATE_CONNECTING,		/* waiting for avahi-daemon */
	AVAHI_STATE_REGISTERING,
	AVAHI_STATE_RUNNING,
	AVAHI_STATE_COLLISION,
	AVAHI_STATE_FAILURE,
};

/*
 * What announce and browse hook in: up() when the server reaches RUNNING
 * (first time and after every outage: announce and browse anew), down()
 * when the client is lost (every Avahi object is already invalid).
 */
struct avahi_hook {
	void	(*up)(AvahiClient *, void *);
	void	(*down)(void *);
	void	 *arg;
	TAILQ_ENTRY(avahi_hook) entry;
};

void		 avahi_start(struct event_base *, unsigned int);
void		 avahi_stop(void);
void		 avahi_hook_add(struct avahi_hook *);
void		 avahi_hook_remove(struct avahi_hook *);
enum avahi_state avahi_state(void);
const char	*avahi_state_name(enum avahi_state);
AvahiClient	*avahi_client(void);
const char	*avahi_host_name(void);
time_t		 avahi_state_since(void);
unsigned int	 avahi_outages(void);
const char	*avahi_last_error(void);

/* control.c: the control socket and its clients. */
#define CLIENT_DEAD	0x1	/* lost: freed from the loop, touch nothing */
#define CLIENT_WAITING	0x2	/* a deferred reply is due: read no further */

struct client {
	TAILQ_ENTRY(client) entry;
	unsigned long	 id;
	int		 flags;
	struct bufferevent *bev;
	pid_t		 pid;
	uid_t		 uid;
	gid_t		 gid;
	gid_t		*groups;	/* supplementary, SO_PEERGROUPS */
	size_t		 ngroups;
	time_t		 connected;
	unsigned long	 requests;
	int		 resume_pending;
};

int	 control_open(const struct config *);
void	 control_client_resume(struct client *);
void	 control_send_later(struct client *, struct json_object *);
void	 control_start(struct event_base *, const struct config *);
void	 control_close(void);
void	 control_send_line(struct client *, const char *, size_t);
void	 control_reply(struct client *, struct json_object *);
void	 control_client_lost(struct client *, const char *);
struct client *control_adopt(int);
unsigned int control_client_count(void);

/* announce.c: this host's announcements, from files and from clients. */
enum announce_state {
	ANNOUNCE_WAITING,	/* for Avahi to run */
	ANNOUNCE_PROBING,	/* committed, name being probed (RFC 6762 8.1) */
	ANNOUNCE_ESTABLISHED,
	ANNOUNCE_FAILED,	/* Avahi refused it: see error */
	ANNOUNCE_UNHEALTHY,	/* its check fails: withdrawn */
};

struct announcement {
	TAILQ_ENTRY(announcement) entry;
	unsigned long	 id;
	struct service_def *def;
	char		*path;		/* from a .dnssd file, or NULL */
	struct client	*owner;		/* registering client while connected */
	unsigned long	 owner_id;
	pid_t		 pid;
	uid_t		 uid;
	char		*name;		/* requested, specifiers expanded */
	char		*final_name;	/* after collisions */
	unsigned int	 renames;
	enum announce_state state;
	char		 error[128];
	AvahiEntryGroup	*group;
	unsigned int	 ttl;		/* lease in seconds, 0: none */
	int		 persist;	/* outlives its connection */
	struct timespec	 expires;
	struct event	*lease;
	struct health	*health;	/* NULL: no check, always announced */
	struct event	*retry;		/* after a failure that may pass */
	unsigned int	 retry_secs;	/* the last wait, doubled each time */
};

void	 announce_init(struct event_base *, const struct config *);
void	 announce_shutdown(void);
int	 announce_load_files(const char *);
struct announcement *announce_register(struct client *, struct service_def *,
	    unsigned int, int, struct proto_error *);
int	 announce_unregister(struct client *, unsigned long,
	    struct proto_error *);
int	 announce_renew(struct client *, unsigned long, struct proto_error *);
void	 announce_client_lost(struct client *);
struct json_object *announce_json(const struct announcement *);
struct json_object *announce_list_json(void);
unsigned int announce_count(void);
const char *announce_state_name(enum announce_state);
struct json_object *txt_to_json(const struct txt *);

/* browse.c: browse the LAN and keep the cache resolved. */
void	 browse_init(struct event_base *, const struct config *);
void	 browse_shutdown(void);
struct cache *browse_cache(void);
void	 browse_txt(AvahiStringList *, struct txt *, const char *,
	    const char *);
int	 browse_subtype_want(const char *, const char *);
int	 browse_has_subtype(const struct instance *, const char *);
int	 browse_subtype_ready(const char *, const char *);
struct json_object *browse_status_json(void);

/* liveness.c: is a peer's responder still there? */
void	 liveness_init(struct event_base *, const struct config *);
void	 liveness_shutdown(void);
struct json_object *liveness_status_json(void);

/* watch.c: the watch verb's streams, and instances as JSON. */
#define INSTANCE_FILTER_TXT_MAX	16

struct instance_filter {
	const char	*type;		/* NULL: every type */
	const char	*subtype;	/* NULL: any; else a label like _printer */
	const char	*txt[INSTANCE_FILTER_TXT_MAX];
	size_t		 ntxt;
	int		 family;	/* 0: either */
	const char	*interface;	/* NULL: any */
};

struct json_object *instance_json(const struct instance *);
struct json_object *instance_list_json(struct cache *,
	    const struct instance_filter *);
int	 instance_filter_parse(struct json_object *, struct instance_filter *,
	    int, struct proto_error *);
int	 instance_filter_match(const struct instance_filter *,
	    const struct instance *);
void	 watch_cache_event(struct cache *, enum cache_event_kind,
	    const struct instance *, void *);
void	 watch_client_lost(struct client *);

struct verb;

/* pending.c: requests that wait (wait_ms) for an instance to appear. */
#define PENDING_WAIT_MAX	60000	/* ms */

int	 pending_add(struct client *, const struct verb *,
	    struct proto_request *, long long);
void	 pending_retry(void);
void	 pending_client_lost(struct client *);

/* health.c: checks that gate announcements. */
struct health;
extern int	 health_inert;
struct health	*health_new(struct announcement *, const struct check_spec *);
void		 health_free(struct health *);
int		 health_ok(const struct health *);
struct json_object *health_json(const struct health *);
void		 announce_health_changed(struct announcement *, int,
		    const char *);

/* verb.c: the protocol verbs, one file each. */
#define VERB_PRIV	0x1	/* root only */

/* What a verb's handler returns. */
#define VERB_DONE	0	/* reply filled in: send it */
#define VERB_ERROR	-1	/* err filled in: send an error */
#define VERB_DEFERRED	1	/* the verb replies later by itself */
#define VERB_SENT	2	/* the verb has sent its reply itself */

struct verb {
	const char	*name;
	int		 flags;
	int		(*exec)(struct client *, struct proto_request *,
			    struct json_object *, struct proto_error *);
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

const struct verb *verb_find(const char *);
struct json_object *verb_dispatch(struct client *, struct proto_request *);

/* notify.c: systemd's notification protocol (no-ops without systemd). */
void	 notify_ready(void);
void	 notify_status(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 notify_stopping(void);
void	 notify_reloading(void);
void	 notify_watchdog_start(struct event_base *);

/* discod.c */
struct discod {
	struct event_base *base;
	struct config	 conf;
	const char	*conf_path;
	struct timespec	 started;		/* CLOCK_MONOTONIC */
};
extern struct discod *discod;

double	 discod_uptime(void);
int	 discod_reload(void);
long	 discod_rss_kib(void);

#endif
