/*
 * The watch streams: a snapshot, then every add, update and remove with
 * a rising index.  The last WATCH_RING events are kept, so a watcher that
 * comes back with its last index gets what it missed, or a resync when
 * that is too far back.
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

struct watcher {
	TAILQ_ENTRY(watcher)   entry;
	struct client	      *client;
	struct instance_filter filter; /* its own copy of the strings */
};

static struct {
	struct cache *cache;
	TAILQ_HEAD(, watcher) list;
	int delivering; /* inside the send loop */
	struct ring_event {
		char		  *line; /* the event as sent */
		size_t		   len;
		char		  *type; /* its instance's */
		unsigned long long index;
	} ring[WATCH_RING]; /* by index % size */
} w;

static void
watcher_free(struct watcher *wa)
{
	TAILQ_REMOVE(&w.list, wa, entry);
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
	struct json_object *ev;
	struct watcher	   *wa, *next;
	struct ring_event  *re = &w.ring[c->index % WATCH_RING];
	size_t		    len;
	const char	   *line;
	int		    had;

	ev = json_object_new_object();
	json_object_object_add(ev, "event",
	    json_object_new_string(cache_event_name(kind)));
	json_object_object_add(ev, "index",
	    json_object_new_int64((int64_t)c->index));
	if (i != NULL) {
		had = i->memo != NULL;
		json_object_object_add(ev, "instance", instance_json(i));
		/*
		 * The instance keeps its text only once it is asked for
		 * (resolve, pick, list), not for every instance that ever had
		 * an event: the ring below has the event's own copy.
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
	/*
	 * The ring keeps the line only, in a block of its size: no json-c
	 * objects and printbufs for 1024 events.
	 */
	free(re->line);
	free(re->type);
	re->line = xmalloc(len + 1);
	memcpy(re->line, line, len + 1);
	re->len = len;
	re->type = i != NULL ? xstrdup(i->type) : NULL;
	re->index = c->index;
	json_object_put(ev);
	/*
	 * A reply may lose its client, which drops that client's watchers:
	 * while sending they are only marked (client NULL), freed after.
	 */
	w.delivering = 1;
	TAILQ_FOREACH(wa, &w.list, entry) {
		if (wa->client != NULL &&
		    (kind == CACHE_RESYNC || wa->filter.type == NULL ||
			strcasecmp(wa->filter.type, i->type) == 0))
			control_send_line(wa->client, re->line, re->len);
	}
	w.delivering = 0;
	TAILQ_FOREACH_SAFE(wa, &w.list, entry, next) {
		if (wa->client == NULL)
			watcher_free(wa);
	}
}

static struct cache_hook watch_hook = { .event = watch_cache_event };

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
	if (f->subtype != NULL)
		browse_subtype_hold(f->subtype, f->type);
	json_object_object_add(reply, "index",
	    json_object_new_int64((int64_t)cache->index));
	/* Can what was missed since that index be replayed? */
	replay = since >= 0 && (unsigned long long)since <= cache->index &&
	    (cache->index - (unsigned long long)since) < WATCH_RING;
	if (since >= 0 && !replay)
		json_object_object_add(reply, "resync",
		    json_object_new_boolean(1));
	if (!replay)
		json_object_object_add(reply, "instances",
		    instance_list_json(cache, &wa->filter));
	TAILQ_INSERT_TAIL(&w.list, wa, entry);
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
