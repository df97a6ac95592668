/*
 * discod: the per-host disco agent.  One libevent loop drives the Avahi
 * client and serves the control socket.
 */
#ifndef DISCOD_H
#define DISCOD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <time.h>

#include <avahi-client/client.h>
#include <avahi-common/watch.h>
#include <event2/event.h>
#include <json-c/json.h>

#include "log.h"
#include "proto.h"
#include "xmalloc.h"

#ifndef DISCO_SOCKET_PATH
#define DISCO_SOCKET_PATH	"/run/disco/discod.sock"
#endif
#ifndef DISCO_CONF_PATH
#define DISCO_CONF_PATH		"/etc/disco/discod.conf"
#endif

/* conf.c: discod.conf, an INI file. */
struct config {
	char		*socket_path;
	char		*socket_group;		/* NULL: the daemon's own group */
	mode_t		 socket_mode;
	unsigned int	 max_clients;
	size_t		 client_output_max;	/* bytes queued to one client */
	unsigned int	 avahi_retry_max;	/* seconds between reconnects */
};

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
	time_t		 connected;
	unsigned long	 requests;
};

int	 control_open(const struct config *);
void	 control_start(struct event_base *, const struct config *);
void	 control_close(void);
void	 control_reply(struct client *, struct json_object *);
void	 control_client_lost(struct client *, const char *);
unsigned int control_client_count(void);

/* verb.c: the protocol verbs, one file each. */
#define VERB_PRIV	0x1	/* root only */

/* What a verb's handler returns. */
#define VERB_DONE	0	/* reply filled in: send it */
#define VERB_ERROR	-1	/* err filled in: send an error */
#define VERB_DEFERRED	1	/* the verb replies later by itself */

struct verb {
	const char	*name;
	int		 flags;
	int		(*exec)(struct client *, struct proto_request *,
			    struct json_object *, struct proto_error *);
};

extern const struct verb verb_hello;
extern const struct verb verb_status;

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
long	 discod_rss_kib(void);

#endif
