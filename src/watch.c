/*
 * The watch streams: a snapshot, then every add, update and remove with
 * a rising index.  The last WATCH_RING events are kept, so a watcher that
 * comes back with its last index gets what it missed, or a resync when
 * that is too far back.
 *
 * A watch that filters on more than the type (TXT, family, interface,
 * subtype) keeps the set of instances it has told its client about, so
 * that its filter holds for every event, not only for the snapshot: an
 * instance that stops matching is a remove for it, one that starts
 * matching an add, and a change to one that matched neither before nor
 * after is not sent at all.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discod.h"

#define WATCH_RING 1024
/*
 * Watches one connection may hold.  Each costs a filter and a look at
 * every event: without a cap one client could make every event cost
 * discod as much as it likes.
 */
#define WATCH_PER_CLIENT 16

/* An instance a narrow watch has told its client about. */
struct told {
	RB_ENTRY(told)	 entry;
	struct instance *i;
};

static int
told_cmp(const struct told *a, const struct told *b)
{
	uintptr_t x = (uintptr_t)a->i, y = (uintptr_t)b->i;

	return (x < y ? -1 : x > y);
}

RB_HEAD(told_tree, told);
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(told_tree, told, entry, told_cmp)

struct watcher {
	TAILQ_ENTRY(watcher)   entry;
	struct client	      *client;
	struct instance_filter filter; /* its own copy of the strings */
	int		       narrow; /* filters on more than the type */
	struct told_tree       told;   /* narrow: what the client holds */
};

static struct {
	struct cache *cache;
	TAILQ_HEAD(, watcher) list;
	int		   delivering; /* inside the send loop */
	unsigned int	   nwatchers;
	unsigned long long sent;    /* event lines sent to watchers */
	unsigned long long dropped; /* watches whose client fell behind */
	struct ring_event {
		char		  *line; /* the event as sent */
		size_t		   len;
		char		  *type; /* its instance's */
		unsigned long long index;
	} ring[WATCH_RING]; /* by index % size */
} w;

static struct told *
told_find(struct watcher *wa, struct instance *i)
{
	struct told key;

	memset(&key, 0, sizeof(key)); /* only i is compared */
	key.i = i;
	return (RB_FIND(told_tree, &wa->told, &key));
}

static void
told_set(struct watcher *wa, struct instance *i, int held)
{
	struct told *t = told_find(wa, i);

	if (held && t == NULL) {
		t = xcalloc(1, sizeof(*t));
		t->i = i;
		RB_INSERT(told_tree, &wa->told, t);
	} else if (!held && t != NULL) {
		RB_REMOVE(told_tree, &wa->told, t);
		free(t);
	}
}

static void
told_clear(struct watcher *wa)
{
	struct told *t;

	while ((t = RB_MIN(told_tree, &wa->told)) != NULL) {
		RB_REMOVE(told_tree, &wa->told, t);
		free(t);
	}
}

/* What the client holds now: every instance its filter passes. */
static void
told_fill(struct watcher *wa)
{
	struct instance *i;

	told_clear(wa);
	for (i = instance_filter_next(w.cache, &wa->filter, NULL); i != NULL;
	     i = instance_filter_next(w.cache, &wa->filter, i))
		told_set(wa, i, 1);
}

/*
 * What a narrow watcher is to hear of an event of kind on i: add,
 * update, remove, or -1 for nothing; its set follows.
 */
static int
watch_transition(struct watcher *wa, enum cache_event_kind kind,
    struct instance *i)
{
	int before, now;

	before = told_find(wa, i) != NULL;
	now = kind != CACHE_REMOVE && instance_filter_passes(&wa->filter, i);
	told_set(wa, i, now);
	if (before && now)
		return (CACHE_UPDATE);
	if (now)
		return (CACHE_ADD);
	if (before)
		return (CACHE_REMOVE);
	return (-1);
}

/* The line of an event of kind on i at index, as the ring keeps it. */
static char *
watch_line(enum cache_event_kind kind, unsigned long long index,
    struct instance *i, size_t *lenp)
{
	struct json_object *ev;
	const char	   *line;
	char		   *copy;
	size_t		    len;
	int		    had = i != NULL && i->memo != NULL;

	ev = json_object_new_object();
	json_object_object_add(ev, "event",
	    json_object_new_string(cache_event_name(kind)));
	json_object_object_add(ev, "index",
	    json_object_new_int64((int64_t)index));
	if (i != NULL) {
		json_object_object_add(ev, "instance", instance_json(i));
		/*
		 * The instance keeps its text only once it is asked for
		 * (resolve, pick, list), not for every instance that ever had
		 * an event: the ring has the event's own copy.
		 */
		if (!had) {
			instance_json_memo_free(i->memo);
			i->memo = NULL;
		}
	}
	line = json_object_to_json_string_length(ev,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (line == NULL)
		fatalx("%s: cannot serialize an event", __func__);
	copy = xmalloc(len + 1);
	memcpy(copy, line, len + 1);
	json_object_put(ev);
	*lenp = len;
	return (copy);
}

static void
watcher_free(struct watcher *wa)
{
	w.nwatchers--;
	TAILQ_REMOVE(&w.list, wa, entry);
	told_clear(wa);
	if (wa->filter.subtype != NULL)
		browse_subtype_release(wa->filter.subtype, wa->filter.type);
	instance_filter_clear(&wa->filter);
	free(wa);
}

/* The cache's hook: record the event and send it to the watchers. */
static void
watch_cache_event(struct cache *c, enum cache_event_kind kind,
    struct instance *i, void *arg)
{
	struct watcher	  *wa, *next;
	struct ring_event *re = &w.ring[c->index % WATCH_RING];
	char		  *other[CACHE_RESYNC + 1] = { NULL };
	size_t		   other_len[CACHE_RESYNC + 1] = { 0 };
	int		   k, tell;

	/*
	 * The ring keeps the line only, in a block of its size: no json-c
	 * objects and printbufs for 1024 events.
	 */
	free(re->line);
	free(re->type);
	re->line = watch_line(kind, c->index, i, &re->len);
	re->type = i != NULL ? xstrdup(i->type) : NULL;
	re->index = c->index;
	/*
	 * A reply may lose its client, which drops that client's watchers:
	 * while sending they are only marked (client NULL), freed after.
	 */
	w.delivering = 1;
	TAILQ_FOREACH(wa, &w.list, entry) {
		if (wa->client == NULL)
			continue;
		if (kind == CACHE_RESYNC) {
			if (wa->narrow)
				told_fill(wa);
			w.sent++;
			control_send_line(wa->client, re->line, re->len);
			continue;
		}
		if (wa->filter.type != NULL &&
		    strcasecmp(wa->filter.type, i->type) != 0)
			continue;
		if (!wa->narrow) {
			w.sent++;
			control_send_line(wa->client, re->line, re->len);
			continue;
		}
		if ((tell = watch_transition(wa, kind, i)) == -1)
			continue;
		w.sent++;
		if (tell == (int)kind) {
			control_send_line(wa->client, re->line, re->len);
			continue;
		}
		/* The same event, as this watcher sees it. */
		if (other[tell] == NULL)
			other[tell] = watch_line(tell, c->index, i,
			    &other_len[tell]);
		control_send_line(wa->client, other[tell], other_len[tell]);
	}
	w.delivering = 0;
	for (k = 0; k <= CACHE_RESYNC; k++)
		free(other[k]);
	TAILQ_FOREACH_SAFE(wa, &w.list, entry, next) {
		if (wa->client == NULL)
			watcher_free(wa);
		else if (kind == CACHE_REMOVE && wa->narrow)
			told_set(wa, i, 0); /* it is freed after this */
	}
}

static struct cache_hook watch_hook = { .event = watch_cache_event };

/* For metrics: watches open, event lines sent, watches dropped. */
void
watch_stats(unsigned int *watchers, unsigned long long *sent,
    unsigned long long *dropped)
{
	*watchers = w.nwatchers;
	*sent = w.sent;
	*dropped = w.dropped;
}

void
watch_init(struct cache *cache)
{
	w.cache = cache;
	TAILQ_INIT(&w.list);
	cache_hook_add(cache, &watch_hook);
}

void
watch_client_lost(struct client *c)
{
	struct watcher *wa, *next;

	TAILQ_FOREACH_SAFE(wa, &w.list, entry, next) {
		if (wa->client != c)
			continue;
		if (c->flags & CLIENT_SLOW)
			w.dropped++;
		if (w.delivering)
			wa->client = NULL; /* freed after the send loop */
		else
			watcher_free(wa);
	}
}

/*
 * Start a stream for the client: the filter is copied (the request it
 * points into is not kept); since is the last index the client saw (-1:
 * none).  Returns VERB_DONE with the snapshot in reply, VERB_SENT when
 * the reply and the events the client missed have been sent, VERB_ERROR
 * when the client holds WATCH_PER_CLIENT watches already.
 */
int
watch_start(struct client *c, const struct instance_filter *f, long long since,
    struct json_object *reply, struct proto_error *err)
{
	struct cache		*cache = w.cache;
	struct watcher		*wa;
	const struct ring_event *re;
	unsigned long long	 k;
	unsigned int		 mine = 0;
	int			 replay;

	TAILQ_FOREACH(wa, &w.list, entry) {
		if (wa->client == c)
			mine++;
	}
	if (mine >= WATCH_PER_CLIENT) {
		proto_error_set(err, PROTO_E_DENIED, NULL,
		    "this connection has %d watches already: open another",
		    WATCH_PER_CLIENT);
		return (VERB_ERROR);
	}
	wa = xcalloc(1, sizeof(*wa));
	wa->client = c;
	instance_filter_copy(&wa->filter, f);
	wa->narrow = instance_filter_narrow(&wa->filter);
	RB_INIT(&wa->told);
	if (f->subtype != NULL)
		browse_subtype_hold(f->subtype, f->type);
	json_object_object_add(reply, "index",
	    json_object_new_int64((int64_t)cache->index));
	/*
	 * Can what was missed since that index be replayed?  Not to a narrow
	 * watch: the ring's events say nothing of what its filter passed
	 * then, so it gets the snapshot (and a resync) instead.
	 */
	replay = !wa->narrow && since >= 0 &&
	    (unsigned long long)since <= cache->index &&
	    (cache->index - (unsigned long long)since) < WATCH_RING;
	if (since >= 0 && !replay)
		json_object_object_add(reply, "resync",
		    json_object_new_boolean(1));
	if (!replay)
		json_object_object_add(reply, "instances",
		    instance_list_json(cache, &wa->filter));
	if (wa->narrow)
		told_fill(wa);
	TAILQ_INSERT_TAIL(&w.list, wa, entry);
	w.nwatchers++;
	if (!replay)
		return (VERB_DONE);
	/* The reply first, then the missed events, in order. */
	control_reply(c, reply);
	for (k = (unsigned long long)since + 1; k <= cache->index; k++) {
		re = &w.ring[k % WATCH_RING];
		if (re->line == NULL || re->index != k)
			continue;
		if (wa->filter.type != NULL && re->type != NULL &&
		    strcasecmp(re->type, wa->filter.type) != 0)
			continue;
		control_send_line(c, re->line, re->len);
	}
	return (VERB_SENT);
}
