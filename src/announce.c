/*
 * This host's announcements: services from .dnssd files and services that
 * clients register over the socket, each in an Avahi entry group of its
 * own so that one can be withdrawn, renamed or updated without touching
 * the others.
 *
 * This file decides and keeps the state; the Avahi thread
 * (avahi-group.c) makes the calls.  Each change sends the thread the
 * announcement's desired state, numbered (gen); the thread answers with
 * the state the group reached and the name in use, and answers to an
 * older wish are ignored.  Nothing here waits for Avahi: a register is
 * answered once Avahi has taken the group, or at once ("waiting") while
 * avahi-daemon is not answering; it is announced when it is back.
 *
 * When the Avahi client stops (avahi-daemon or D-Bus gone, host name
 * being re-registered) every group goes and the announcements wait; when
 * it runs again the thread publishes every one anew.  No registration is
 * lost across an Avahi outage.
 *
 * A name already taken on the LAN is renamed as Avahi does ("Name #2",
 * RFC 6762 9) and the owner is told with a "renamed" event.
 */
#include "config.h"

#include <arpa/nameser.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <avahi-common/error.h>

#include "discod.h"

/* How long a register's reply waits for Avahi to take the group, ms. */
#define ANNOUNCE_REPLY_WAIT_MS 50
/* Waits between tries after a failure that may pass: 1 s, doubling. */
#define ANNOUNCE_RETRY_MAX 60

static struct {
	struct event_base   *base;
	const struct config *conf;
	unsigned long	     next_id;
	unsigned int	     count;
	TAILQ_HEAD(, announcement) list;
	struct avahi_hook hook;
} ann;

static void announce_publish(struct announcement *);

static const char *
announce_state_name(enum announce_state state)
{
	switch (state) {
	case ANNOUNCE_WAITING:
		return ("waiting");
	case ANNOUNCE_PROBING:
		return ("probing");
	case ANNOUNCE_ESTABLISHED:
		return ("established");
	case ANNOUNCE_FAILED:
		return ("failed");
	case ANNOUNCE_UNHEALTHY:
		return ("unhealthy");
	}
	return ("unknown");
}

static const char *
announce_origin(const struct announcement *a, char *buf, size_t len)
{
	if (a->path != NULL)
		snprintf(buf, len, "%s", a->path);
	else
		snprintf(buf, len, "pid %ld uid %ld", (long)a->pid,
		    (long)a->uid);
	return (buf);
}

static void
announce_event(struct announcement *a, const char *event,
    struct json_object *extra)
{
	struct json_object *ev;

	if (a->owner == NULL) {
		json_object_put(extra);
		return;
	}
	ev = extra != NULL ? extra : json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string(event));
	json_object_object_add(ev, "id", json_object_new_int64((int64_t)a->id));
	control_send_later(a->owner, ev);
	json_object_put(ev);
}

/* Tell the Avahi thread what the announcement should be now. */
static void
announce_wish(struct announcement *a, int on, int anew)
{
	struct avahi_msg *m;

	m = avahi_msg_new(AVAHI_MSG_GROUP);
	m->id = a->id;
	m->gen = ++a->gen;
	m->on = on;
	m->anew = anew;
	m->def = service_def_copy(a->def);
	free(m->def->name);
	m->def->name = xstrdup(a->name);
	avahi_send(m);
	widearea_announce(a->id, a->final_name, a->def, on);
}

/* Take the announcement off the network (peers receive goodbyes). */
static void
announce_withdraw(struct announcement *a)
{
	announce_wish(a, 0, 0);
	if (a->retry != NULL)
		evtimer_del(a->retry);
	a->state = ANNOUNCE_WAITING;
}

/* A register's reply, when it waited for Avahi's answer. */
static void
announce_reply(struct announcement *a)
{
	struct client	   *c = a->waiter;
	struct json_object *reply;

	if (c == NULL)
		return;
	a->waiter = NULL;
	evtimer_del(a->reply_timer);
	if ((reply = proto_reply_new(a->waiter_id)) == NULL)
		fatalx("%s: out of memory", __func__);
	json_object_put(a->waiter_id);
	a->waiter_id = NULL;
	json_object_object_add(reply, "registration", announce_json(a));
	control_reply(c, reply);
	json_object_put(reply);
	control_client_resume(c); /* a no-op for a lost client */
}

static void
announce_reply_timeout(evutil_socket_t fd, short what, void *arg)
{
	announce_reply(arg);
}

/*
 * Answer the register once Avahi has taken the group (a few ms), so that
 * its reply says "probing" or why Avahi refused it; but never wait past
 * ANNOUNCE_REPLY_WAIT_MS, nor at all while Avahi is not running, not
 * answering, or busy with earlier work (a burst of registrations): then
 * the reply says "waiting".  1 when the reply waits.
 */
int
announce_reply_later(struct announcement *a, struct client *c,
    struct json_object *id)
{
	struct timeval tv = { 0, ANNOUNCE_REPLY_WAIT_MS * 1000 };

	if (a->state != ANNOUNCE_WAITING || !a->quick)
		return (0);
	if (a->reply_timer == NULL)
		a->reply_timer = evtimer_new(ann.base, announce_reply_timeout,
		    a);
	a->waiter = c;
	a->waiter_id = id != NULL ? json_object_get(id) : NULL;
	evtimer_add(a->reply_timer, &tv);
	c->flags |= CLIENT_WAITING;
	return (1);
}

/*
 * Failures that may pass: avahi-daemon or D-Bus busy or gone (a call
 * that timed out under load), a limit that frees up, memory.  Anything
 * else (a name or type Avahi refuses) fails the same way every time.
 */
static int
announce_error_transient(int rc)
{
	switch (rc) {
	case AVAHI_ERR_FAILURE:
	case AVAHI_ERR_BAD_STATE:
	case AVAHI_ERR_NO_NETWORK:
	case AVAHI_ERR_TIMEOUT:
	case AVAHI_ERR_TOO_MANY_CLIENTS:
	case AVAHI_ERR_TOO_MANY_OBJECTS:
	case AVAHI_ERR_TOO_MANY_ENTRIES:
	case AVAHI_ERR_OS:
	case AVAHI_ERR_DBUS_ERROR:
	case AVAHI_ERR_DISCONNECTED:
	case AVAHI_ERR_NO_MEMORY:
	case AVAHI_ERR_NO_DAEMON:
		return (1);
	}
	return (0);
}

static void
announce_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct announcement *a = arg;
	char		     buf[128];

	if (a->state != ANNOUNCE_FAILED)
		return;
	log_info("announce: trying \"%s\" %s (%s) again", a->final_name,
	    a->def->type, announce_origin(a, buf, sizeof(buf)));
	announce_publish(a); /* the thread makes a fresh entry group */
}

/*
 * Avahi refused the announcement: say why, and when it may pass, try
 * again later (1 s, then doubling up to a minute, with up to half as much
 * again at random so that many failed at once do not all come back at
 * once).  The registration itself is kept either way.
 */
static void
announce_failed(struct announcement *a, int rc, const char *what)
{
	struct json_object *ev;
	struct timeval	    tv;
	unsigned int	    ms;
	int		    transient;

	a->state = ANNOUNCE_FAILED;
	strlcpy(a->error, avahi_strerror(rc), sizeof(a->error));
	transient = announce_error_transient(rc);
	if (transient)
		backoff_next(&a->retry_secs, ANNOUNCE_RETRY_MAX);
	if (a->waiter == NULL) { /* else the register's reply tells */
		ev = json_object_new_object();
		json_object_object_add(ev, "error",
		    json_object_new_string(a->error));
		json_object_object_add(ev, "retry",
		    transient ? json_object_new_int((int)a->retry_secs) : NULL);
		announce_event(a, "failed", ev);
	}
	if (!transient) {
		log_warnx("announce: \"%s\" %s: %s%s", a->final_name,
		    a->def->type, what, a->error);
		return;
	}
	log_warnx("announce: \"%s\" %s: %s%s; trying again in %u s",
	    a->final_name, a->def->type, what, a->error, a->retry_secs);
	if (a->retry == NULL)
		a->retry = evtimer_new(ann.base, announce_retry_cb, a);
	ms = arc4random_uniform(a->retry_secs * 500 + 1);
	tv.tv_sec = a->retry_secs + ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->retry, &tv);
}

static void
announce_free(struct announcement *a)
{
	struct avahi_msg *m;
	char		  buf[128];

	struct journal_fields jf = { a->final_name, a->def->type, NULL,
		a->pid };

	journal_event(JOURNAL_WITHDRAWN, LOG_INFO, &jf,
	    "announce: withdrawn \"%s\" %s (%s)", a->final_name, a->def->type,
	    announce_origin(a, buf, sizeof(buf)));
	announce_reply(a);
	widearea_announce(a->id, a->final_name, a->def, 0);
	m = avahi_msg_new(AVAHI_MSG_GROUP); /* def NULL: forget it */
	m->id = a->id;
	avahi_send(m);
	health_free(a->health);
	TAILQ_REMOVE(&ann.list, a, entry);
	ann.count--;
	if (a->lease != NULL)
		event_free(a->lease);
	if (a->retry != NULL)
		event_free(a->retry);
	if (a->reply_timer != NULL)
		event_free(a->reply_timer);
	service_def_free(a->def);
	free(a->path);
	free(a->name);
	free(a->final_name);
	free(a);
}

/*
 * The Avahi thread's answer for an announcement: the state its group
 * reached and the name it holds.  Answers to a wish since replaced are
 * old news.
 */
void
announce_avahi_msg(struct avahi_msg *m)
{
	struct announcement  *a;
	struct json_object   *ev;
	struct journal_fields jf = { NULL, NULL, NULL, 0 };
	char		      buf[128];

	TAILQ_FOREACH(a, &ann.list, entry) {
		if (a->id == m->id)
			break;
	}
	if (a == NULL || m->gen != a->gen || a->state == ANNOUNCE_UNHEALTHY)
		return;
	if (m->name != NULL && strcmp(m->name, a->final_name) != 0) {
		jf.service = m->name;
		jf.type = a->def->type;
		jf.client_pid = a->pid;
		journal_event(JOURNAL_RENAMED, LOG_INFO, &jf,
		    "announce: \"%s\" %s (%s): name taken, renamed to "
		    "\"%s\"",
		    a->final_name, a->def->type,
		    announce_origin(a, buf, sizeof(buf)), m->name);
		ev = json_object_new_object();
		json_object_object_add(ev, "old_name",
		    json_object_new_string(a->final_name));
		json_object_object_add(ev, "name",
		    json_object_new_string(m->name));
		free(a->final_name);
		a->final_name = xstrdup(m->name);
		a->renames++;
		widearea_announce(a->id, a->final_name, a->def, 1);
		if (a->waiter == NULL)
			announce_event(a, "renamed", ev);
		else
			json_object_put(ev); /* the reply tells */
	}
	switch (m->state) {
	case ANNOUNCE_ESTABLISHED:
		if (a->state != ANNOUNCE_ESTABLISHED) {
			jf.service = a->final_name;
			jf.type = a->def->type;
			jf.client_pid = a->pid;
			journal_event(JOURNAL_ANNOUNCED, LOG_INFO, &jf,
			    "announce: established \"%s\" %s port %u (%s)",
			    a->final_name, a->def->type, a->def->port,
			    announce_origin(a, buf, sizeof(buf)));
			/* A register still waiting for its reply hears it
			 * there. */
			if (a->waiter == NULL) {
				ev = json_object_new_object();
				json_object_object_add(ev, "name",
				    json_object_new_string(a->final_name));
				announce_event(a, "established", ev);
			}
		}
		a->state = ANNOUNCE_ESTABLISHED;
		a->error[0] = '\0';
		a->retry_secs = 0;
		break;
	case ANNOUNCE_PROBING:
		a->state = ANNOUNCE_PROBING;
		a->error[0] = '\0';
		break;
	case ANNOUNCE_FAILED:
		announce_failed(a, m->error, "");
		break;
	default:
		a->state = ANNOUNCE_WAITING;
		break;
	}
	announce_reply(a);
}

/* Ask for the announcement on the network, if its check allows. */
static void
announce_publish(struct announcement *a)
{
	if (!health_ok(a->health)) {
		announce_withdraw(a);
		a->state = ANNOUNCE_UNHEALTHY;
		return;
	}
	if (a->retry != NULL)
		evtimer_del(a->retry);
	a->state = ANNOUNCE_WAITING;
	announce_wish(a, 1, a->renames == 0);
}

/* The name to announce: specifiers expanded, fit to 63 bytes. */
static char *
announce_name(const struct service_def *def)
{
	char buf[512];

	if (service_name_expand(def->name, avahi_host_name(), buf,
		sizeof(buf)) == -1 ||
	    service_name_invalid(buf) != NULL) {
		/* A long host name: cut at 63 bytes, on a UTF-8 boundary. */
		size_t n = strnlen(buf, SERVICE_NAME_MAX);
		while (n > 0 && ((unsigned char)buf[n] & 0xc0) == 0x80)
			n--;
		buf[n] = '\0';
	}
	return (xstrdup(buf));
}

/*
 * The check turned: announce again (under the name it had, which Avahi
 * renames only if it was taken meanwhile) or withdraw, and tell the owner.
 */
void
announce_health_changed(struct announcement *a, int healthy, const char *output)
{
	struct json_object *ev;

	if (healthy)
		announce_publish(a);
	else {
		announce_withdraw(a);
		a->state = ANNOUNCE_UNHEALTHY;
	}
	ev = json_object_new_object();
	json_object_object_add(ev, "healthy", json_object_new_boolean(healthy));
	json_object_object_add(ev, "output", json_object_new_string(output));
	announce_event(a, "health", ev);
}

static void
announce_check_start(struct announcement *a)
{
	health_free(a->health);
	a->health = a->def->spec != NULL ? health_new(a, a->def->spec) : NULL;
}

static struct announcement *
announce_new(struct service_def *def)
{
	struct announcement *a;

	a = xcalloc(1, sizeof(*a));
	a->id = ++ann.next_id;
	a->def = def;
	a->name = announce_name(def);
	a->final_name = xstrdup(a->name);
	a->state = ANNOUNCE_WAITING;
	TAILQ_INSERT_TAIL(&ann.list, a, entry);
	ann.count++;
	return (a);
}

/*
 * Avahi runs (again): the thread publishes every announcement by itself;
 * a file's name may hold %H, and the host name may have changed.
 */
static void
announce_avahi_up(void *arg)
{
	struct announcement *a;
	char		    *name;

	TAILQ_FOREACH(a, &ann.list, entry) {
		if (a->path == NULL)
			continue;
		name = announce_name(a->def);
		if (strcmp(name, a->name) == 0) {
			free(name);
			continue;
		}
		free(a->name);
		a->name = name;
		if (a->renames == 0) {
			free(a->final_name);
			a->final_name = xstrdup(a->name);
		}
		if (a->state != ANNOUNCE_UNHEALTHY)
			announce_publish(a);
	}
	if (ann.count > 0)
		log_info("announce: publishing %u service(s)", ann.count);
}

/* The client is gone, and every group with it: all wait. */
static void
announce_avahi_down(void *arg)
{
	struct announcement *a;

	TAILQ_FOREACH(a, &ann.list, entry) {
		if (a->retry != NULL)
			evtimer_del(a->retry);
		if (a->state != ANNOUNCE_UNHEALTHY)
			a->state = ANNOUNCE_WAITING;
	}
}

void
announce_init(struct event_base *base, const struct config *conf)
{
	ann.base = base;
	ann.conf = conf;
	TAILQ_INIT(&ann.list);
	ann.hook.up = announce_avahi_up;
	ann.hook.down = announce_avahi_down;
	avahi_hook_add(&ann.hook);
}

/* Withdraw everything (goodbyes go out) and forget it. */
void
announce_shutdown(void)
{
	struct announcement *a;

	while ((a = TAILQ_FIRST(&ann.list)) != NULL)
		announce_free(a);
	avahi_hook_remove(&ann.hook);
}

unsigned int
announce_count(void)
{
	return (ann.count);
}

/* For metrics: announcements by origin (0 file, 1 client) and state. */
void
announce_counts(unsigned int counts[2][ANNOUNCE_STATES])
{
	struct announcement *a;

	memset(counts, 0, sizeof(unsigned int) * 2 * ANNOUNCE_STATES);
	TAILQ_FOREACH(a, &ann.list, entry) {
		if ((int)a->state >= 0 && a->state < ANNOUNCE_STATES)
			counts[a->path == NULL][a->state]++;
	}
}

const char *
announce_state_text(int state)
{
	return (announce_state_name((enum announce_state)state));
}

static struct announcement *
announce_find_path(const char *path)
{
	struct announcement *a;

	TAILQ_FOREACH(a, &ann.list, entry) {
		if (a->path != NULL && strcmp(a->path, path) == 0)
			return (a);
	}
	return (NULL);
}

/*
 * Read every *.dnssd file in dir and bring the file announcements in line:
 * new files are announced, removed ones withdrawn, a TXT change is updated
 * in place, any other change re-announced, and unchanged ones left alone.
 * A file with errors is reported and skipped; if it was announced before,
 * the old announcement stays.  Returns the number of files with errors.
 */
int
announce_load_files(const char *dir)
{
	struct config_errors errors;
	struct config_error *e;
	struct announcement *a, *next;
	struct service_def  *def;
	char		    *path, **paths;
	size_t		     i;
	int		     n, k, bad = 0;

	if ((n = service_dir_list(dir, &paths)) == -1) {
		/* Unreadable: keep what is announced rather than drop it. */
		log_warn("announce: %s", dir);
		return (1);
	}
	for (k = 0; k < n; k++) {
		path = paths[k];
		TAILQ_INIT(&errors);
		service_file_load(path, &def, &errors);
		TAILQ_FOREACH(e, &errors, entry)
			log_warnx("%s", e->text);
		config_errors_clear(&errors);
		if (def == NULL) {
			bad++;
			if (announce_find_path(path) != NULL)
				log_warnx("%s: keeping what was announced "
					  "before",
				    path);
			continue;
		}
		if ((a = announce_find_path(path)) == NULL) {
			a = announce_new(def);
			a->path = xstrdup(path);
			log_info("announce: %s: \"%s\" %s port %u", path,
			    def->name, def->type, def->port);
			announce_check_start(a);
			announce_publish(a);
		} else if (!service_def_same_but_txt(a->def, def)) {
			log_info("announce: %s changed: announcing anew", path);
			announce_withdraw(a);
			service_def_free(a->def);
			a->def = def;
			free(a->name);
			free(a->final_name);
			a->name = announce_name(def);
			a->final_name = xstrdup(a->name);
			a->renames = 0;
			announce_check_start(a);
			announce_publish(a);
		} else if (!txt_equal(&a->def->txt, &def->txt)) {
			log_info("announce: %s: TXT changed: updating in "
				 "place",
			    path);
			txt_clear(&a->def->txt);
			txt_copy(&a->def->txt, &def->txt);
			service_def_free(def);
			/* The thread updates the group's TXT in place. */
			if (a->state != ANNOUNCE_UNHEALTHY)
				announce_wish(a, 1, 0);
		} else
			service_def_free(def);
	}
	TAILQ_FOREACH_SAFE(a, &ann.list, entry, next) {
		if (a->path == NULL)
			continue;
		for (i = 0; paths[i] != NULL; i++) {
			if (strcmp(paths[i], a->path) == 0)
				break;
		}
		if (paths[i] == NULL)
			announce_free(a);
	}
	service_dir_free(paths);
	return (bad);
}

static void
announce_lease_expired(evutil_socket_t fd, short what, void *arg)
{
	struct announcement *a = arg;
	char		     buf[128];

	log_info("announce: lease of \"%s\" %s (%s) ran out after %u s",
	    a->final_name, a->def->type, announce_origin(a, buf, sizeof(buf)),
	    a->ttl);
	announce_event(a, "expired", NULL); /* sent from the loop */
	announce_free(a);
}

static void
announce_lease_start(struct announcement *a)
{
	struct timeval tv;

	if (a->ttl == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &a->expires);
	a->expires.tv_sec += a->ttl;
	if (a->lease == NULL)
		a->lease = evtimer_new(ann.base, announce_lease_expired, a);
	tv.tv_sec = a->ttl;
	tv.tv_usec = 0;
	evtimer_add(a->lease, &tv);
}

struct announcement *
announce_register(struct client *c, struct service_def *def, unsigned int ttl,
    int persist, struct proto_error *err)
{
	struct announcement *a;
	unsigned int	     mine = 0;
	char		    *name;

	if (persist && ttl == 0) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "persist",
		    "a "
		    "persistent registration needs a ttl (it would never "
		    "end)");
		return (NULL);
	}
	/*
	 * A service file's name is its own, announced or not: while it is
	 * withdrawn (unhealthy, or waiting for Avahi) a client could take
	 * it, and the file's service would come back renamed.
	 */
	name = announce_name(def);
	TAILQ_FOREACH(a, &ann.list, entry) {
		if (a->path != NULL && strcasecmp(a->name, name) == 0 &&
		    strcasecmp(a->def->type, def->type) == 0) {
			proto_error_set(err, PROTO_E_DENIED, "name",
			    "\"%s\" %s is reserved by a service file", name,
			    def->type);
			free(name);
			return (NULL);
		}
		if (a->path == NULL && a->uid == c->uid)
			mine++;
	}
	free(name);
	if (c->uid != 0 && mine >= ann.conf->registrations_per_uid) {
		proto_error_set(err, PROTO_E_DENIED, NULL,
		    "uid %ld already "
		    "has %u registrations (registrations-per-uid)",
		    (long)c->uid, mine);
		return (NULL);
	}
	a = announce_new(def);
	a->owner = c;
	a->pid = c->pid;
	a->uid = c->uid;
	a->ttl = ttl;
	a->persist = persist;
	announce_lease_start(a);
	announce_check_start(a);
	/* Before the wish: would Avahi take it at once? */
	a->quick = avahi_state() == AVAHI_STATE_RUNNING && avahi_responsive() &&
	    !avahi_busy();
	log_info("announce: client %lu (pid %ld uid %ld) registers \"%s\" %s "
		 "port %u%s",
	    c->id, (long)c->pid, (long)c->uid, a->name, def->type, def->port,
	    ttl != 0 ? " with a lease" : "");
	announce_publish(a);
	return (a);
}

/* The client's own, the same uid's, or root's to change. */
static struct announcement *
announce_find_owned(struct client *c, unsigned long id, struct proto_error *err)
{
	struct announcement *a;

	TAILQ_FOREACH(a, &ann.list, entry) {
		if (a->id == id)
			break;
	}
	if (a == NULL) {
		proto_error_set(err, PROTO_E_NOT_FOUND, "registration",
		    "no registration "
		    "%lu",
		    id);
		return (NULL);
	}
	if (a->path != NULL) {
		proto_error_set(err, PROTO_E_DENIED, "registration",
		    "%lu comes from %s: "
		    "change the file and reload",
		    id, a->path);
		return (NULL);
	}
	if (a->owner != c && c->uid != 0 && c->uid != a->uid) {
		proto_error_set(err, PROTO_E_DENIED, "registration",
		    "registration %lu "
		    "belongs to uid %ld",
		    id, (long)a->uid);
		return (NULL);
	}
	return (a);
}

int
announce_unregister(struct client *c, unsigned long id, struct proto_error *err)
{
	struct announcement *a;

	if ((a = announce_find_owned(c, id, err)) == NULL)
		return (-1);
	announce_free(a);
	return (0);
}

int
announce_renew(struct client *c, unsigned long id, struct proto_error *err)
{
	struct announcement *a;

	if ((a = announce_find_owned(c, id, err)) == NULL)
		return (-1);
	announce_lease_start(a);
	return (0);
}

/* A client is gone: its registrations go too, but for persistent ones. */
void
announce_client_lost(struct client *c)
{
	struct announcement *a, *next;

	TAILQ_FOREACH_SAFE(a, &ann.list, entry, next) {
		if (a->waiter == c) {
			a->waiter = NULL;
			evtimer_del(a->reply_timer);
			json_object_put(a->waiter_id);
			a->waiter_id = NULL;
		}
		if (a->owner != c)
			continue;
		a->owner = NULL;
		if (!a->persist)
			announce_free(a);
	}
}

struct json_object *
announce_json(const struct announcement *a)
{
	struct json_object *o, *origin, *subs;
	struct timespec	    now;
	size_t		    i;

	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64((int64_t)a->id));
	origin = json_object_new_object();
	if (a->path != NULL)
		json_object_object_add(origin, "file",
		    json_object_new_string(a->path));
	else {
		json_object_object_add(origin, "pid",
		    json_object_new_int64(a->pid));
		json_object_object_add(origin, "uid",
		    json_object_new_int64(a->uid));
		json_object_object_add(origin, "connected",
		    json_object_new_boolean(a->owner != NULL));
	}
	json_object_object_add(o, "origin", origin);
	json_object_object_add(o, "name", json_object_new_string(a->name));
	json_object_object_add(o, "final_name",
	    json_object_new_string(a->final_name));
	json_object_object_add(o, "renamed",
	    json_object_new_boolean(a->renames > 0));
	json_object_object_add(o, "type", json_object_new_string(a->def->type));
	subs = json_object_new_array();
	for (i = 0; i < a->def->nsubtypes; i++)
		json_object_array_add(subs,
		    json_object_new_string(a->def->subtypes[i]));
	json_object_object_add(o, "subtypes", subs);
	json_object_object_add(o, "port",
	    json_object_new_int((int)a->def->port));
	json_object_object_add(o, "txt", txt_to_json(&a->def->txt));
	json_object_object_add(o, "state",
	    json_object_new_string(announce_state_name(a->state)));
	if (a->error[0] != '\0')
		json_object_object_add(o, "error",
		    json_object_new_string(a->error));
	if (a->health != NULL)
		json_object_object_add(o, "health", health_json(a->health));
	if (a->ttl != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		json_object_object_add(o, "ttl",
		    json_object_new_int((int)a->ttl));
		json_object_object_add(o, "lease_remaining",
		    json_object_new_int64(a->expires.tv_sec - now.tv_sec));
		json_object_object_add(o, "persist",
		    json_object_new_boolean(a->persist));
	}
	return (o);
}

/*
 * The announcements a client may see: all for root (or for everyone with
 * [access] services-visible = all), else its own uid's registrations
 * only: others' hold check output, pids and uids.
 */
struct json_object *
announce_list_json(const struct client *viewer)
{
	struct json_object  *arr;
	struct announcement *a;
	int		     all;

	all = viewer == NULL || viewer->uid == 0 ||
	    strcmp(ann.conf->services_visible, "all") == 0;
	arr = json_object_new_array();
	TAILQ_FOREACH(a, &ann.list, entry) {
		if (all || (a->path == NULL && a->uid == viewer->uid))
			json_object_array_add(arr, announce_json(a));
	}
	return (arr);
}
