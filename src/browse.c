/*
 * Browsing, as the main loop sees it: the Avahi thread's findings
 * (avahi-browse.c: instances seen, lost and resolved) fed into the cache,
 * and the subtypes clients ask for.
 *
 * DNS-SD cannot list a type's subtypes, so each subtype a client names
 * (list, pick, watch, a DNS question) is browsed on demand from then on.
 * Each user but root may have subtypes-per-uid of them browsed, and all
 * clients together subtypes-max (the longest idle one is dropped for a
 * new one); one nobody asked for in ten minutes is dropped, unless a
 * watch holds it; [browse] subtypes are kept for good.  So neither
 * clients nor the LAN can use up avahi-daemon's objects and stop this
 * host's announcements.  Which instances a subtype browser sees is kept
 * here; a new one waits (list, 2 s at most) for its first complete
 * answer only while Avahi answers.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "discod.h"

/* How often idle subtypes are looked for, and how long they are kept. */
#define BROWSE_EXPIRE_SECS	 60
#define BROWSE_SUBTYPE_IDLE_SECS 600

/* A subtype browsed, "_label._sub._type", and the instances it sees. */
struct bsub {
	TAILQ_ENTRY(bsub) entry;
	char		 *label;
	char		 *type;
	int		  ready;      /* its first complete answer came */
	int		  configured; /* [browse] subtypes: kept for good */
	uid_t		  uid;	      /* who asked first, on demand */
	unsigned int	  holds;      /* watches that filter on it */
	time_t		  used;	      /* last asked for */
	TAILQ_HEAD(, bsubm) members;
};

struct bsubm {
	TAILQ_ENTRY(bsubm) entry;
	char		  *name;
	char		  *domain;
	int		   ifindex;
	int		   family;
};

static struct {
	const struct config *conf;
	struct cache	    *cache;
	TAILQ_HEAD(, bsub) subs;
	unsigned int  nsubs_demand; /* subtypes browsed on demand */
	struct event *expire;	    /* idle subtypes */
} br;

static time_t
browse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* Ask the Avahi thread to browse a subtype, or to stop. */
static void
browse_sub_tell(struct bsub *sb, int on)
{
	struct avahi_msg *m;

	m = avahi_msg_new(AVAHI_MSG_SUBTYPE);
	m->label = xstrdup(sb->label);
	m->type = xstrdup(sb->type);
	m->on = on;
	avahi_send(m);
}

static struct bsub *
browse_sub_find(const char *label, const char *type)
{
	struct bsub *sb;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (strcasecmp(sb->label, label) == 0 &&
		    strcasecmp(sb->type, type) == 0)
			return (sb);
	}
	return (NULL);
}

static void
browse_sub_clear(struct bsub *sb)
{
	struct bsubm *m;

	sb->ready = 0;
	while ((m = TAILQ_FIRST(&sb->members)) != NULL) {
		TAILQ_REMOVE(&sb->members, m, entry);
		free(m->name);
		free(m->domain);
		free(m);
	}
}

static void
browse_sub_free(struct bsub *sb)
{
	browse_sub_tell(sb, 0);
	browse_sub_clear(sb);
	TAILQ_REMOVE(&br.subs, sb, entry);
	if (!sb->configured)
		br.nsubs_demand--;
	free(sb->label);
	free(sb->type);
	free(sb);
}

/* Room for one more subtype on demand: the longest idle one goes. */
static int
browse_sub_evict(void)
{
	struct bsub *sb, *lru = NULL;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (!sb->configured && sb->holds == 0 &&
		    (lru == NULL || sb->used < lru->used))
			lru = sb;
	}
	if (lru == NULL)
		return (-1);
	log_info("browse: no longer browsing subtype %s of %s (subtypes-max)",
	    lru->label, lru->type);
	browse_sub_free(lru);
	return (0);
}

static struct bsub *
browse_sub_new(const char *label, const char *type, int configured, uid_t uid)
{
	struct bsub *sb;

	sb = xcalloc(1, sizeof(*sb));
	sb->label = xstrdup(label);
	sb->type = xstrdup(type);
	sb->configured = configured;
	sb->uid = uid;
	sb->used = browse_now();
	TAILQ_INIT(&sb->members);
	TAILQ_INSERT_TAIL(&br.subs, sb, entry);
	if (!configured)
		br.nsubs_demand++;
	browse_sub_tell(sb, 1);
	return (sb);
}

/*
 * Browse a subtype a client asked for (list, pick, watch), from now on.
 * -1 with err set when neither subtypes-per-uid nor subtypes-max allows
 * one more.
 */
int
browse_subtype_want(const char *label, const char *type, uid_t uid,
    struct proto_error *err)
{
	struct bsub *sb;
	unsigned int mine = 0;

	if ((sb = browse_sub_find(label, type)) != NULL) {
		sb->used = browse_now();
		return (0);
	}
	if (uid != 0) {
		TAILQ_FOREACH(sb, &br.subs, entry) {
			if (!sb->configured && sb->uid == uid)
				mine++;
		}
		if (mine >= br.conf->browse_subtypes_per_uid) {
			proto_error_set(err, PROTO_E_DENIED, "subtype",
			    "uid %ld has %u subtypes browsed on demand "
			    "(subtypes-per-uid): ask for this one in "
			    "[browse] subtypes",
			    (long)uid, mine);
			return (-1);
		}
	}
	if (br.nsubs_demand >= br.conf->browse_subtypes_max &&
	    browse_sub_evict() == -1) {
		proto_error_set(err, PROTO_E_UNAVAILABLE, "subtype",
		    "%u subtypes are browsed and watched (subtypes-max)",
		    br.nsubs_demand);
		return (-1);
	}
	browse_sub_new(label, type, 0, uid);
	return (0);
}

/* A watch filters on the subtype: keep browsing it while it does. */
void
browse_subtype_hold(const char *label, const char *type)
{
	struct bsub *sb;

	if ((sb = browse_sub_find(label, type)) != NULL)
		sb->holds++;
}

void
browse_subtype_release(const char *label, const char *type)
{
	struct bsub *sb;

	if ((sb = browse_sub_find(label, type)) != NULL && sb->holds > 0) {
		sb->holds--;
		sb->used = browse_now();
	}
}

/* Has the subtype's browser reported what it found so far? */
int
browse_subtype_ready(const char *label, const char *type)
{
	struct bsub *sb;

	if ((sb = browse_sub_find(label, type)) == NULL)
		return (0);
	return (sb->ready);
}

int
browse_has_subtype(const struct instance *i, const char *label)
{
	struct bsub  *sb;
	struct bsubm *m;

	TAILQ_FOREACH(sb, &br.subs, entry) {
		if (strcasecmp(sb->label, label) != 0 ||
		    strcasecmp(sb->type, i->type) != 0)
			continue;
		TAILQ_FOREACH(m, &sb->members, entry) {
			if (strcasecmp(m->name, i->name) == 0 &&
			    strcasecmp(m->domain, i->domain) == 0)
				return (1);
		}
	}
	return (0);
}

/* Every BROWSE_EXPIRE_SECS: subtypes nobody asked for in ten minutes go. */
static void
browse_expire(evutil_socket_t fd, short what, void *arg)
{
	struct bsub *sb, *sn;
	time_t	     now = browse_now();

	TAILQ_FOREACH_SAFE(sb, &br.subs, entry, sn) {
		if (!sb->configured && sb->holds == 0 &&
		    now - sb->used >= BROWSE_SUBTYPE_IDLE_SECS)
			browse_sub_free(sb);
	}
}

static void
browse_sub_msg(struct avahi_msg *msg)
{
	struct bsub  *sb;
	struct bsubm *m;

	if ((sb = browse_sub_find(msg->label, msg->type)) == NULL)
		return; /* dropped meanwhile */
	if (msg->kind == AVAHI_MSG_SUB_READY) {
		sb->ready = 1;
		pending_retry(); /* a list waiting for this subtype */
		return;
	}
	TAILQ_FOREACH(m, &sb->members, entry) {
		if (m->ifindex == msg->ifindex && m->family == msg->family &&
		    strcasecmp(m->name, msg->name) == 0 &&
		    strcasecmp(m->domain, msg->domain) == 0)
			break;
	}
	if (msg->kind == AVAHI_MSG_SUB_NEW && m == NULL) {
		m = xcalloc(1, sizeof(*m));
		m->name = xstrdup(msg->name);
		m->domain = xstrdup(msg->domain);
		m->ifindex = msg->ifindex;
		m->family = msg->family;
		TAILQ_INSERT_TAIL(&sb->members, m, entry);
	} else if (msg->kind == AVAHI_MSG_SUB_REMOVE && m != NULL) {
		TAILQ_REMOVE(&sb->members, m, entry);
		free(m->name);
		free(m->domain);
		free(m);
	}
}

/* What the Avahi thread found, into the cache. */
void
browse_avahi_msg(struct avahi_msg *m)
{
	struct instance *i;
	struct bsub	*sb;
	int		 is_new;

	switch (m->kind) {
	case AVAHI_MSG_CLEAR:
		/*
		 * Avahi runs (again): what it found is found anew; the wide
		 * area's instances are not Avahi's, and stay.
		 */
		cache_clear_keep(br.cache, widearea_domain());
		TAILQ_FOREACH(sb, &br.subs, entry)
			browse_sub_clear(sb);
		break;
	case AVAHI_MSG_SEEN:
		cache_seen(br.cache, m->name, m->type, m->domain, m->ifindex,
		    m->ifname, m->family, m->local, &is_new);
		break;
	case AVAHI_MSG_LOST:
		if ((i = cache_find(br.cache, m->name, m->type, m->domain)) !=
		    NULL)
			cache_lost(br.cache, i, m->ifindex, m->family);
		break;
	case AVAHI_MSG_RESOLVED:
		if ((i = cache_find(br.cache, m->name, m->type, m->domain)) ==
		    NULL)
			break; /* lost meanwhile */
		cache_resolved(br.cache, i, m->ifindex, m->family, m->host,
		    m->port, &m->txt, m->addr);
		break;
	case AVAHI_MSG_SUB_NEW:
	case AVAHI_MSG_SUB_REMOVE:
	case AVAHI_MSG_SUB_READY:
		browse_sub_msg(m);
		break;
	default:
		break;
	}
}

void
browse_init(struct event_base *base, const struct config *conf,
    struct cache *cache)
{
	char *copy, *w, *save = NULL, *sub;

	br.conf = conf;
	br.cache = cache;
	TAILQ_INIT(&br.subs);
	br.expire = event_new(base, -1, EV_PERSIST, browse_expire, NULL);
	if (br.expire == NULL ||
	    event_add(br.expire, &(struct timeval){ BROWSE_EXPIRE_SECS, 0 }) ==
		-1)
		fatalx("%s: cannot start the expiry timer", __func__);
	if (conf->browse_subtypes == NULL)
		return;
	copy = xstrdup(conf->browse_subtypes);
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if ((sub = strstr(w, "._sub.")) == NULL)
			continue;
		*sub = '\0';
		if (browse_sub_find(w, sub + 6) == NULL)
			browse_sub_new(w, sub + 6, 1, 0);
	}
	free(copy);
}

void
browse_shutdown(void)
{
	struct bsub *sb;

	while ((sb = TAILQ_FIRST(&br.subs)) != NULL)
		browse_sub_free(sb);
	if (br.expire != NULL) {
		event_free(br.expire);
		br.expire = NULL;
	}
}

struct json_object *
browse_status_json(void)
{
	struct json_object	 *o = json_object_new_object();
	struct avahi_browse_stats st;

	avahi_stats_get(&st);
	json_object_object_add(o, "types_browsed",
	    json_object_new_int((int)st.types));
	json_object_object_add(o, "types_left_out",
	    json_object_new_int64((int64_t)st.types_dropped));
	json_object_object_add(o, "subtypes_on_demand",
	    json_object_new_int((int)br.nsubs_demand));
	json_object_object_add(o, "instances",
	    json_object_new_int((int)br.cache->count));
	json_object_object_add(o, "unresolved",
	    json_object_new_int((int)(br.cache->total - br.cache->count)));
	json_object_object_add(o, "resolving",
	    json_object_new_int((int)st.resolving));
	json_object_object_add(o, "queued",
	    json_object_new_int((int)st.queued));
	json_object_object_add(o, "retrying",
	    json_object_new_int((int)st.retrying));
	json_object_object_add(o, "paused", json_object_new_boolean(st.paused));
	json_object_object_add(o, "resolvers_open",
	    json_object_new_int((int)st.open));
	json_object_object_add(o, "resolutions",
	    json_object_new_int64((int64_t)st.resolutions));
	json_object_object_add(o, "failures",
	    json_object_new_int64((int64_t)st.failures));
	return (o);
}
