/*
 * The core of disco: the logic that knows neither Avahi nor libevent nor
 * sockets.  The cache, pick policies, RFC 6763 rules and .dnssd files,
 * health-check specs, discod.conf and its access rules, the liveness
 * prober's rules, back-off, logging and the x* allocators.  Plain data
 * in, plain data out: the daemon, the unit tests and the fuzzers link it
 * (libdiscocore).
 *
 * Its compile line has no Avahi and no libevent flags, so a core file that
 * includes either's header does not build: keep it that way.
 */
#ifndef DISCO_CORE_H
#define DISCO_CORE_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "xmalloc.h"

#ifndef DISCO_SOCKET_PATH
#define DISCO_SOCKET_PATH "/run/disco/discod.sock"
#endif
#ifndef DISCO_SERVICES_DIR
#define DISCO_SERVICES_DIR "/etc/disco/services"
#endif
#ifndef DISCO_CONF_PATH
#define DISCO_CONF_PATH "/etc/disco/discod.conf"
#endif

/* clock.c: the wall clock, and waits that grow after failures. */
double	     clock_wall(void);
unsigned int backoff_next(unsigned int *, unsigned int);

/* access.c: who may register what ([access] in discod.conf). */
struct access_principal {
	int	     group; /* id is a gid, else a uid */
	unsigned int id;
};

struct access_rule {
	char			*type; /* restrict-type's; NULL for register */
	struct access_principal *who;
	size_t			 nwho;
	int			 line;
};

struct access_creds {
	uid_t	     uid;
	gid_t	     gid;
	const gid_t *groups; /* supplementary */
	size_t	     ngroups;
};

/* conf.c: discod.conf, an INI file. */
struct config {
	char		   *socket_path;
	char		   *lookup_socket_path; /* NULL: beside socket_path */
	char		   *socket_group; /* NULL: the daemon's own group */
	mode_t		    socket_mode;
	unsigned int	    max_clients;
	unsigned int	    max_clients_per_uid; /* root: not counted */
	size_t		    client_output_max; /* bytes queued to one client */
	unsigned int	    avahi_retry_max;   /* seconds between reconnects */
	char		   *services_dir;      /* .dnssd files */
	unsigned int	    registrations_per_uid;
	unsigned int	    ttl_max;	       /* longest lease, seconds */
	char		   *browse_types;      /* space separated; NULL: all */
	char		   *browse_interfaces; /* space separated; NULL: all */
	char		   *browse_protocols;  /* ipv4, ipv6 or any */
	char		   *browse_domain;     /* NULL: Avahi's default */
	char		   *browse_subtypes;   /* label._sub._type ... */
	unsigned int	    resolvers_max;     /* kept open for changes */
	unsigned int	    browse_types_max;  /* from the LAN */
	unsigned int	    browse_subtypes_max; /* on demand, all clients */
	unsigned int	    browse_subtypes_per_uid; /* on demand, not root */
	unsigned int	    resolve_concurrency;     /* in flight at once */
	int		    liveness; /* probe peers: 1 yes, 0 no */
	unsigned int	    liveness_interval_ms;
	unsigned int	    liveness_unreachable_ms;
	unsigned int	    liveness_remove_ms;
	unsigned int	    check_interval_min_ms; /* clients' checks */
	unsigned int	    check_timeout_max_ms;
	unsigned int	    checks_running_max; /* clients' at once */
	char		   *check_targets;	/* loopback, any or none */
	char		   *services_visible;	/* own or all, to users */
	struct access_rule  access_register;	/* nwho 0: anyone */
	struct access_rule *access_types;	/* restrict-type rules */
	size_t		    naccess_types;
	char		   *dns_listen;	    /* "addr:port ...", NULL: none */
	char		   *metrics_listen; /* HTTP /metrics, NULL: none */
	char		   *dns_domain;	    /* lower case, no final dot */
	unsigned int	    dns_ttl;	    /* seconds, every answer */
	unsigned int	    dns_tcp_clients_max;
	char		   *wa_endpoints;  /* etcd URLs; NULL: no wide area */
	char		   *wa_prefix;	   /* of every key, ends with '/' */
	char		   *wa_domain;	   /* of imported instances */
	char		   *wa_host;	   /* this host's id in keys */
	unsigned int	    wa_lease_ttl;  /* seconds */
	unsigned int	    wa_timeout_ms; /* one call to etcd */
	unsigned int	    wa_read_page;  /* keys per read of the prefix */
	char		   *wa_ca, *wa_cert, *wa_key; /* TLS files */
	char		   *wa_user, *wa_password_file;
	char		   *wa_publish, *wa_import; /* types; NULL: all */
	char		   *wa_addresses; /* published; NULL: the host's */
};

int  access_rule_parse(const char *, int, int, struct access_rule *, char *,
     size_t);
void access_rule_clear(struct access_rule *);
int  access_may_register(const struct config *, const struct access_creds *,
     const char *, char *, size_t);

struct config_error {
	TAILQ_ENTRY(config_error) entry;
	char			 *text; /* "file:line: message" */
};
TAILQ_HEAD(config_errors, config_error);

/* The [dns] defaults: loopback only, a port no other daemon takes. */
#define DNS_LISTEN_DEFAULT "127.0.0.1:8653 [::1]:8653"
#define DNS_DOMAIN_DEFAULT "disco"
#define DNS_DOMAIN_MAX	   128 /* bytes, dotted, without the final dot */

struct sockaddr_storage;
int	    config_listen_parse(const char *, struct sockaddr_storage *,
	    unsigned int *);
const char *config_domain_invalid(const char *);

void config_defaults(struct config *);
void config_clear(struct config *);
int config_parse(FILE *, const char *, struct config *, struct config_errors *);
int config_load(const char *, struct config *, struct config_errors *);
void config_errors_clear(struct config_errors *);
void config_error_add(struct config_errors *, const char *, int, const char *,
    ...) __attribute__((format(printf, 4, 5)));
void config_error_addv(struct config_errors *, const char *, int, const char *,
    va_list) __attribute__((format(printf, 4, 0)));

/* service.c: what one announcement says, validated (no Avahi here). */
#define SERVICE_NAME_MAX     63 /* bytes of UTF-8, RFC 6763 4.1.1 */
#define SERVICE_SUBTYPES_MAX 16
#define TXT_STRING_MAX	     255  /* RFC 6763 6.1 */
#define TXT_TOTAL_MAX	     8900 /* RFC 6763 6.2 */
#define TXT_STRINGS_MAX	     128
/* "_label._sub._type": a label (63 bytes), "._sub.", a type. */
#define SERVICE_SUBTYPE_NAME_MAX 128

struct txt_string {
	unsigned char *data;
	size_t	       len;
};

struct txt {
	struct txt_string *v;
	size_t		   n;
	size_t		   total; /* bytes on the wire, length bytes too */
};

struct check_setting {
	char *key;
	char *value;
	int   line;
};

/* A health check, from [Check] or a register request's "check". */
enum check_type {
	CHECK_NONE,
	CHECK_TCP,  /* connect to host:port */
	CHECK_HTTP, /* GET url: 2xx or 3xx, optional body text */
	CHECK_EXEC, /* run argv: exit 0 */
	CHECK_TTL,  /* the client renews: the lease is the check */
};

struct check_spec {
	enum check_type type;
	unsigned int	interval_ms;
	unsigned int	timeout_ms;
	unsigned int	rise; /* passes in a row to turn healthy */
	unsigned int	fall; /* failures in a row to turn unhealthy */
	unsigned int	start_period_ms; /* failures do not count */
	char	       *host;		 /* tcp: numeric address */
	unsigned int	port;		 /* tcp: 0 = the service's port */
	char	       *url;		 /* http */
	char	       *expect;		 /* http: body must contain it */
	char	      **argv;		 /* exec */
	int		drop_privileges; /* exec as run_uid:run_gid */
	uid_t		run_uid;
	gid_t		run_gid;
};

/* check.c: the fields of a spec, as a file and the wire spell them. */
enum check_field_id {
	CHECK_F_TYPE,
	CHECK_F_INTERVAL,
	CHECK_F_TIMEOUT,
	CHECK_F_START_PERIOD,
	CHECK_F_RISE,
	CHECK_F_FALL,
	CHECK_F_HOST,
	CHECK_F_PORT,
	CHECK_F_URL,
	CHECK_F_EXPECT,
	CHECK_F_COMMAND,
};

enum check_value {
	CHECK_V_TEXT,
	CHECK_V_DURATION, /* seconds, or text such as "5s", "500ms" */
	CHECK_V_NUMBER,
	CHECK_V_ARGV, /* words */
};

struct check_field {
	enum check_field_id id;
	const char	   *file; /* [Check] Key= */
	const char	   *wire; /* "check": {"key": ...} */
	enum check_value    value;
};

const struct check_field *check_field_find(const char *, int);
const char		 *check_type_name(enum check_type);
struct check_spec	 *check_spec_new(void);
void			  check_spec_free(struct check_spec *);
int check_spec_set(struct check_spec *, const struct check_field *,
    const char *, char *, size_t);
int check_spec_set_argv(struct check_spec *, char **, size_t, char *, size_t);
const char *check_spec_finish(struct check_spec *, int);
int	    check_url_host(const char *, char *, size_t, char *, size_t);
int	    check_host_loopback(const char *);
const char *check_spec_target(const struct check_spec *, char *, size_t);

struct service_def {
	char		     *name; /* may hold specifiers (%H) for files */
	char		     *type; /* _name._tcp or _name._udp */
	char		     *subtypes[SERVICE_SUBTYPES_MAX];
	size_t		      nsubtypes;
	unsigned int	      port;
	unsigned int	      priority;
	unsigned int	      weight;
	struct txt	      txt;
	struct check_setting *check; /* the [Check] section, kept */
	size_t		      ncheck;
	struct check_spec    *spec; /* what it says, or NULL */
};

const char *service_name_invalid(const char *);
const char *service_type_invalid(const char *);
const char *service_subtype_invalid(const char *);
const char *txt_string_invalid(const unsigned char *, size_t);
const char *service_name_template_invalid(const char *);
int	    service_name_expand(const char *, const char *, char *, size_t);
int	    txt_add(struct txt *, const unsigned char *, size_t, const char **);
void	    txt_clear(struct txt *);
int	    txt_equal(const struct txt *, const struct txt *);
void	    txt_copy(struct txt *, const struct txt *);
struct service_def *service_def_new(void);
struct service_def *service_def_copy(const struct service_def *);
void		    service_def_free(struct service_def *);
int		    service_def_same_but_txt(const struct service_def *,
		    const struct service_def *);
int  service_file_parse(FILE *, const char *, struct service_def **,
     struct config_errors *);
int  service_subtype_name(char *, size_t, const char *, const char *);
int  service_file_load(const char *, struct service_def **,
     struct config_errors *);
int  service_dir_list(const char *, char ***);
void service_dir_free(char **);

/* cache.c: resolved instances seen on the LAN (no Avahi, no sockets). */
#define CACHE_IFNAME_MAX 16

/* Where the browser sees an instance: one interface and protocol. */
struct cache_path {
	int	      ifindex;
	char	      ifname[CACHE_IFNAME_MAX];
	int	      family; /* AF_INET or AF_INET6 */
	int	      resolved;
	int	      silent; /* the prober's: no answer here, but elsewhere */
	unsigned char addr[16]; /* in that family */
};

/*
 * May a client be given this address?  Resolved, and not silent: an
 * address the liveness prober gets no answer at while the host answers
 * at another (one link of two down, one family cut) is left out.
 */
static inline int
cache_path_usable(const struct cache_path *p)
{
	return (p->resolved && !p->silent);
}

/* The longest address text: IPv6, '%', an interface name, NUL. */
#define CACHE_ADDR_TEXT_MAX (46 + 1 + CACHE_IFNAME_MAX)

struct ix_member;

struct instance {
	RB_ENTRY(instance) entry;
	struct instance	  *hnext; /* the next in its bucket of cache->byname */
	char		  *name;
	char		  *type;
	char		  *domain;
	char		  *host;
	unsigned int	   port;
	unsigned int	   priority;
	unsigned int	   weight;
	struct txt	   txt;
	struct cache_path *paths;
	size_t		   npaths;
	int		   local;	/* announced by this host */
	int		   resolved;	/* host, port and TXT known */
	int		   unreachable; /* its host stopped answering */
	uint32_t	   hash; /* of name, type and domain, case folded */
	double		   unreachable_since;
	int		   hidden;     /* gone for watchers and list */
	int		   stale;      /* wide area: etcd out of reach, kept */
	double		   first_seen; /* seconds since the epoch */
	double		   last_changed;
	double		   last_confirmed;
	unsigned long long index; /* event index of the last change */
	struct ix_member  *ixm;	  /* its place in the index (index.c) */
	void		  *memo;  /* the daemon's rendering of it:
					   dropped (cache->memo_free) on
					   every change */
};

enum cache_event_kind {
	CACHE_ADD,
	CACHE_UPDATE,
	CACHE_REMOVE,
	CACHE_RESYNC, /* everything may have changed */
};

RB_HEAD(instance_tree, instance);

struct cache;
struct cache_str;

/*
 * Who hears of the cache's changes: hooks added in main, called in the
 * order they were added.  The cache never knows who listens.
 */
struct cache_hook {
	void (*event)(struct cache *, enum cache_event_kind, struct instance *,
	    void *);
	void		       *arg;
	TAILQ_ENTRY(cache_hook) entry;
};

struct cache {
	struct instance_tree tree;
	unsigned int	     count; /* resolved ones */
	unsigned int	     total;
	unsigned long long   index; /* of the last event */
	TAILQ_HEAD(, cache_hook) hooks;
	int		      holding;	 /* cache_hold: events of ... */
	struct instance	     *held;	 /* ... this instance wait */
	enum cache_event_kind held_kind; /* the one to raise */
	void (*memo_free)(void *);
	struct cache_str **strs; /* shared strings (cache.c) */
	size_t		   nstrbuckets, nstrs;
	struct instance	 **byname; /* every instance by its hash */
	size_t		   nbuckets;
};

const char	*cache_event_name(enum cache_event_kind);
void		 cache_init(struct cache *, void (*)(void *));
void		 cache_hook_add(struct cache *, struct cache_hook *);
void		 cache_hold(struct cache *);
void		 cache_release(struct cache *);
void		 cache_clear(struct cache *);
void		 cache_clear_keep(struct cache *, const char *);
void		 cache_destroy(struct cache *);
struct instance *cache_find(struct cache *, const char *, const char *,
    const char *);
struct instance *cache_first_of_type(struct cache *, const char *);
struct instance *cache_next(struct cache *, struct instance *);
struct instance *cache_seen(struct cache *, const char *, const char *,
    const char *, int, const char *, int, int, int *);
int		 cache_lost(struct cache *, struct instance *, int, int);
void cache_resolved(struct cache *, struct instance *, int, int, const char *,
    unsigned int, const struct txt *, const void *);
int  cache_txt_match(const struct instance *, const char *);
const char *cache_path_text(const struct cache_path *, char *, size_t);
void	    cache_ntop6(const unsigned char *, char *);
void	    cache_set_reachable(struct cache *, struct instance *, int);
void	    cache_set_hidden(struct cache *, struct instance *, int);
void cache_set_path_silent(struct cache *, struct instance *, size_t, int);
void cache_set_stale(struct cache *, struct instance *, int);
void cache_set_liveness(struct cache *, struct instance *, int,
    const unsigned char *);

/* probe.c: the liveness prober's query, replies and targets (no sockets). */

/* One IPv4 prefix of an interface, as getifaddrs reports it. */
struct probe_ifaddr {
	int	 ifindex;
	uint32_t addr; /* network order */
	uint32_t mask; /* network order; for a point-to-point peer, /32 */
};

size_t probe_query(unsigned char *, size_t, uint16_t, const char *, uint16_t);
int    probe_reply_valid(const unsigned char *, size_t, const char *, uint16_t,
       uint16_t);
int    probe_onlink(const struct probe_ifaddr *, size_t, int, uint32_t);

/* One IPv6 prefix of an interface, as getifaddrs reports it. */
struct probe_ifaddr6 {
	int	      ifindex;
	unsigned char addr[16];
	unsigned int  plen; /* prefix length: 0 (matches nothing) to 128 */
};

int probe_onlink6(const struct probe_ifaddr6 *, size_t, int,
    const unsigned char *);

/* policy.c: how pick chooses one instance (no Avahi, no sockets). */
enum policy {
	POLICY_WEIGHTED, /* RFC 2782 priority, then weight */
	POLICY_ROUND_ROBIN,
	POLICY_RANDOM,
	POLICY_STICKY, /* consistent hashing on a key */
};

const char	*policy_name(enum policy);
unsigned int	 policy_priority(const struct instance *);
unsigned int	 policy_weight(const struct instance *);
void		 policy_order(struct instance **, size_t, uint32_t (*)(void));
int		 policy_from_name(const char *, enum policy *);
struct instance *policy_pick(enum policy, struct instance **, size_t,
    const char *, unsigned long *, uint32_t);
uint32_t	 policy_point(const struct instance *, unsigned int);
int		 policy_tie(const struct instance *, const struct instance *);
#define CORE_HASH_START 0xcbf29ce484222325ULL
uint64_t core_hash_bytes(uint64_t, const void *, size_t);
uint64_t core_hash_mix(uint64_t);
uint32_t policy_key_point(const char *);

/*
 * index.c: the cache's instances indexed for pick and list (a cache hook,
 * no Avahi, no sockets).  IX_VNODES: sticky's points per instance.
 */
#define IX_VNODES 16

struct ix_bucket;

struct cindex {
	struct ix_bucket **types;
	size_t		   ntypebuckets, ntypes;
	struct ix_bucket **posts;
	size_t		   npostbuckets, nposts;
	struct ix_member **mem; /* by number; NULL where freed */
	uint32_t	   nmem, memcap;
	uint32_t	  *freeid; /* numbers to use again */
	uint32_t	   nfree, freecap;
};

void   cindex_init(struct cindex *);
void   cindex_clear(struct cindex *);
void   cindex_rebuild(struct cindex *, struct cache *);
void   cindex_event(struct cache *, enum cache_event_kind, struct instance *,
      void *);
size_t cindex_candidates(struct cindex *, const char *, int);
struct instance *cindex_pick(struct cindex *, const char *, int, enum policy,
    const char *, uint32_t);
int cindex_txt(struct cindex *, const char *, const char *, struct instance ***,
    size_t *);
long cindex_txt_count(struct cindex *, const char *, const char *);

/* widearea.c: records in etcd and etcd's v3 JSON answers (no HTTP). */
#define WA_HOST_ID_MAX 63
#define WA_PREFIX_MAX  128
#define WA_KEY_MAX     1024
#define WA_VALUE_MAX   16384
#define WA_ADDRS_MAX   8

struct wa_key {
	char host[WA_HOST_ID_MAX + 1];
	char type[SERVICE_SUBTYPE_NAME_MAX];
	char name[SERVICE_NAME_MAX + 1];
};

struct wa_addr {
	int	      family;
	unsigned char addr[16];
};

/* One announcement as other hosts read it. */
struct wa_record {
	char	       name[SERVICE_NAME_MAX + 1];
	char	       type[SERVICE_SUBTYPE_NAME_MAX];
	char	       host[256];
	unsigned int   port;
	struct txt     txt;
	char	      *subtypes[SERVICE_SUBTYPES_MAX];
	size_t	       nsubtypes;
	struct wa_addr addrs[WA_ADDRS_MAX];
	size_t	       naddrs;
};

/* (Member and cluster ids are uint64: not read, nothing needs them.) */
struct wa_header {
	long long revision;
};

/* A key and value as etcd gives them, decoded from base64 (NUL added). */
struct wa_kv {
	char	   *key;
	size_t	    keylen;
	char	   *value;
	size_t	    valuelen;
	long long   create_revision;
	long long   mod_revision;
	long long   lease;
	int	    deleted; /* a watch's DELETE event */
	const char *bad;     /* why the value cannot be read, or NULL */
};

struct wa_range {
	struct wa_header header;
	struct wa_kv	*kvs;
	size_t		 nkvs;
	long long	 count;
	int		 more;
};

struct wa_watch {
	struct wa_header header;
	int		 created;
	int		 canceled;
	long long	 compact_revision;
	struct wa_kv	*events;
	size_t		 nevents;
};

const char *wa_host_id_invalid(const char *);
const char *wa_prefix_invalid(const char *);
int   wa_key_make(char *, size_t, const char *, const char *, const char *,
      const char *);
int   wa_key_parse(const char *, size_t, const char *, struct wa_key *,
      const char **);
void  wa_record_clear(struct wa_record *);
char *wa_value_make(const struct wa_record *, size_t *);
int   wa_value_parse(const char *, size_t, struct wa_record *, char *, size_t);
int   wa_addr_unusable(int, const unsigned char *);
void  wa_kvs_free(struct wa_kv *, size_t);
int   wa_range_parse(const char *, size_t, size_t, struct wa_range *, char *,
      size_t);
int   wa_watch_parse(const char *, size_t, size_t, struct wa_watch *, char *,
      size_t);
int   wa_lease_parse(const char *, size_t, long long *, long long *, char *,
      size_t);
int   wa_answer_parse(const char *, size_t, struct wa_header *, char *, size_t);
int   wa_token_parse(const char *, size_t, char *, size_t, char *, size_t);
char *wa_b64(const void *, size_t);
size_t wa_range_end(const char *, size_t, char *);

#endif
