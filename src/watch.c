/*
 * Instances as JSON, the filters list and watch share, and the watch
 * streams: a snapshot, then every add, update and remove with a rising
 * index.  The last WATCH_RING events are kept, so a watcher that comes
 * back with its last index gets what it missed, or a resync when that is
 * too far back.
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-common/domain.h>
#include <json-c/printbuf.h>

#include "discod.h"

#define WATCH_RING	1024

struct watcher {
	TAILQ_ENTRY(watcher)	 entry;
	struct client		*client;
	struct json_object	*req;	/* holds the filter's strings */
	struct instance_filter	 filter;
};

static struct {
	TAILQ_HEAD(, watcher)	 list;
	int			 delivering;	/* inside the send loop */
	struct ring_event {
		char			*line;	/* the event as sent */
		size_t			 len;
		char			*type;	/* its instance's */
		unsigned long long	 index;
	}			 ring[WATCH_RING];	/* by index % size */
	int			 init;
} w;

static void
watch_init(void)
{
	if (!w.init) {
		TAILQ_INIT(&w.list);
		w.init = 1;
	}
}

static struct json_object *
instance_json_build(const struct instance *i)
{
	struct json_object	*o, *addrs, *a;
	char			 full[AVAHI_DOMAIN_NAME_MAX];
	size_t			 k;

	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(i->name));
	json_object_object_add(o, "type", json_object_new_string(i->type));
	json_object_object_add(o, "domain", json_object_new_string(i->domain));
	if (avahi_service_name_join(full, sizeof(full), i->name, i->type,
	    i->domain) == 0)
		json_object_object_add(o, "fullname",
		    json_object_new_string(full));
	json_object_object_add(o, "host", i->host != NULL ?
	    json_object_new_string(i->host) : NULL);
	json_object_object_add(o, "port", json_object_new_int((int)i->port));
	json_object_object_add(o, "priority", json_object_new_int(
	    (int)i->priority));
	json_object_object_add(o, "weight", json_object_new_int(
	    (int)i->weight));
	json_object_object_add(o, "txt", txt_to_json(&i->txt));
	addrs = json_object_new_array();
	for (k = 0; k < i->npaths; k++) {
		if (!i->paths[k].resolved)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "address",
		    json_object_new_string(i->paths[k].text));
		json_object_object_add(a, "family", json_object_new_string(
		    i->paths[k].family == AF_INET6 ? "ipv6" : "ipv4"));
		json_object_object_add(a, "interface",
		    json_object_new_string(i->paths[k].ifname));
		json_object_array_add(addrs, a);
	}
	json_object_object_add(o, "addresses", addrs);
	json_object_object_add(o, "local", json_object_new_boolean(i->local));
	json_object_object_add(o, "reachable",
	    json_object_new_boolean(!i->unreachable));
	if (i->unreachable)
		json_object_object_add(o, "unreachable_since",
		    json_object_new_double(i->unreachable_since));
	json_object_object_add(o, "first_seen",
	    json_object_new_double(i->first_seen));
	json_object_object_add(o, "last_changed",
	    json_object_new_double(i->last_changed));
	json_object_object_add(o, "last_confirmed",
	    json_object_new_double(i->last_confirmed));
	json_object_object_add(o, "index", json_object_new_int64(
	    (int64_t)i->index));
	return (o);
}

struct instance_text {
	size_t	len;
	char	text[];
};

static int
instance_json_serialize(struct json_object *o, struct printbuf *pb,
    int level, int flags)
{
	const struct instance_text	*t = json_object_get_userdata(o);

	return (printbuf_memappend(pb, t->text, (int)t->len));
}

static void
instance_json_text_free(struct json_object *o, void *text)
{
	free(text);
}

/*
 * An instance as JSON, for a reply or an event: made and serialized once
 * per change of the instance (cache.c drops the memo), then shared.  The
 * object is a placeholder whose serializer writes the text; it is only
 * ever serialized, never read field by field.
 */
struct json_object *
instance_json(const struct instance *ci)
{
	struct instance		*i = (struct instance *)ci;	/* the memo */
	struct json_object	*tree, *o;
	struct instance_text	*t;
	const char		*s;
	size_t			 len;

	if (i->json == NULL) {
		tree = instance_json_build(i);
		s = json_object_to_json_string_length(tree,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len);
		if (s == NULL)
			fatalx("%s: cannot serialize an instance", __func__);
		t = xmalloc(sizeof(*t) + len + 1);
		t->len = len;
		memcpy(t->text, s, len + 1);
		json_object_put(tree);
		o = json_object_new_int(0);
		json_object_set_serializer(o, instance_json_serialize, t,
		    instance_json_text_free);
		i->json = o;
	}
	return (json_object_get(i->json));
}

/*
 * Filters, from a request: "type", "txt" (an array of "key" or
 * "key=value"), "family" ("ipv4" or "ipv6"), "interface".  The strings
 * stay in the request object.
 */
int
instance_filter_parse(struct json_object *req, struct instance_filter *f,
    int type_required, struct proto_error *err)
{
	struct json_object	*v, *item;
	const char		*fam = NULL, *why;
	static char		 field[24];
	size_t			 k, n;

	memset(f, 0, sizeof(*f));
	if (proto_get_string(req, "type", type_required, &f->type, err) == -1 ||
	    proto_get_string(req, "subtype", 0, &f->subtype, err) == -1 ||
	    proto_get_string(req, "family", 0, &fam, err) == -1 ||
	    proto_get_string(req, "interface", 0, &f->interface, err) == -1)
		return (-1);
	if (f->type != NULL && (why = service_type_invalid(f->type)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "type", "type \"%.40s\" "
		    "%s", f->type, why);
		return (-1);
	}
	if (f->subtype != NULL) {
		if (f->type == NULL) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "subtype",
			    "a subtype needs a type");
			return (-1);
		}
		if ((why = service_subtype_invalid(f->subtype)) != NULL) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "subtype",
			    "subtype %s", why);
			return (-1);
		}
		/* The first ask for a subtype starts browsing it. */
		browse_subtype_want(f->subtype, f->type);
	}
	if (fam != NULL) {
		if (strcmp(fam, "ipv4") == 0)
			f->family = AF_INET;
		else if (strcmp(fam, "ipv6") == 0)
			f->family = AF_INET6;
		else {
			proto_error_set(err, PROTO_E_BAD_FIELD, "family",
			    "family must be \"ipv4\" or \"ipv6\"");
			return (-1);
		}
	}
	if (!json_object_object_get_ex(req, "txt", &v) || v == NULL)
		return (0);
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > INSTANCE_FILTER_TXT_MAX) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "txt", "field \"txt\" "
		    "must be an array of at most %d \"key\" or \"key=value\" "
		    "strings", INSTANCE_FILTER_TXT_MAX);
		return (-1);
	}
	for (k = 0; k < n; k++) {
		item = json_object_array_get_idx(v, k);
		if (!json_object_is_type(item, json_type_string) ||
		    json_object_get_string_len(item) == 0) {
			snprintf(field, sizeof(field), "txt[%zu]", k);
			proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s must "
			    "be a non-empty string", field);
			return (-1);
		}
		f->txt[f->ntxt++] = json_object_get_string(item);
	}
	return (0);
}

int
instance_filter_match(const struct instance_filter *f,
    const struct instance *i)
{
	size_t	k;
	int	ok;

	if (!i->resolved || i->hidden)
		return (0);
	if (f->type != NULL && strcasecmp(f->type, i->type) != 0)
		return (0);
	if (f->subtype != NULL && !browse_has_subtype(i, f->subtype))
		return (0);
	for (k = 0; k < f->ntxt; k++) {
		if (!cache_txt_match(i, f->txt[k]))
			return (0);
	}
	if (f->family == 0 && f->interface == NULL)
		return (1);
	for (k = 0, ok = 0; k < i->npaths && !ok; k++) {
		ok = i->paths[k].resolved &&
		    (f->family == 0 || i->paths[k].family == f->family) &&
		    (f->interface == NULL ||
		    strcmp(i->paths[k].ifname, f->interface) == 0);
	}
	return (ok);
}

/* Every matching instance, as a JSON array. */
struct json_object *
instance_list_json(struct cache *c, const struct instance_filter *f)
{
	struct json_object	*arr = json_object_new_array();
	struct instance_filter	 in_type = *f;
	struct instance		*i;

	/* The loop keeps to the type: the filter need not compare it. */
	in_type.type = NULL;
	for (i = cache_first_of_type(c, f->type); i != NULL;
	    i = cache_next(c, i)) {
		if (f->type != NULL && strcasecmp(i->type, f->type) != 0)
			break;
		if (instance_filter_match(&in_type, i))
			json_object_array_add(arr, instance_json(i));
	}
	return (arr);
}

/* The cache's callback: record the event and send it to the watchers. */
void
watch_cache_event(struct cache *c, enum cache_event_kind kind,
    const struct instance *i, void *arg)
{
	struct json_object	*ev;
	struct watcher		*wa, *next;
	struct ring_event	*re = &w.ring[c->index % WATCH_RING];
	size_t			 len;
	const char		*line;

	watch_init();
	ev = json_object_new_object();
	json_object_object_add(ev, "event",
	    json_object_new_string(cache_event_name(kind)));
	json_object_object_add(ev, "index", json_object_new_int64(
	    (int64_t)c->index));
	if (i != NULL) {
		struct instance	*mi = (struct instance *)i;	/* the memo */
		int		 had = mi->json != NULL;

		json_object_object_add(ev, "instance", instance_json(i));
		/*
		 * The instance keeps its text only once it is asked for
		 * (resolve, pick, list), not for every instance that ever had
		 * an event: the ring below has the event's own copy.
		 */
		if (!had) {
			json_object_put(mi->json);
			mi->json = NULL;
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
		if (wa->client != NULL && (kind == CACHE_RESYNC ||
		    wa->filter.type == NULL ||
		    strcasecmp(wa->filter.type, i->type) == 0))
			control_send_line(wa->client, re->line, re->len);
	}
	w.delivering = 0;
	TAILQ_FOREACH_SAFE(wa, &w.list, entry, next) {
		if (wa->client == NULL) {
			TAILQ_REMOVE(&w.list, wa, entry);
			json_object_put(wa->req);
			free(wa);
		}
	}
	if (kind == CACHE_ADD || kind == CACHE_UPDATE)
		pending_retry();
}

void
watch_client_lost(struct client *c)
{
	struct watcher	*wa, *next;

	watch_init();
	TAILQ_FOREACH_SAFE(wa, &w.list, entry, next) {
		if (wa->client != c)
			continue;
		if (w.delivering) {
			wa->client = NULL;	/* freed after the send loop */
			continue;
		}
		TAILQ_REMOVE(&w.list, wa, entry);
		json_object_put(wa->req);
		free(wa);
	}
}

static int
verb_watch_exec(struct client *c, struct proto_request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct cache		*cache = browse_cache();
	struct watcher		*wa;
	long long		 since = -1;
	unsigned long long	 k;
	int			 replay;

	watch_init();
	wa = xcalloc(1, sizeof(*wa));
	if (instance_filter_parse(req->obj, &wa->filter, 0, err) == -1 ||
	    proto_get_int(req->obj, "since", 0, 0, LLONG_MAX, &since,
	    err) == -1) {
		free(wa);
		return (VERB_ERROR);
	}
	wa->client = c;
	wa->req = json_object_get(req->obj);
	json_object_object_add(reply, "index", json_object_new_int64(
	    (int64_t)cache->index));
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
		const struct ring_event *re = &w.ring[k % WATCH_RING];

		if (re->line == NULL || re->index != k)
			continue;
		if (wa->filter.type != NULL && re->type != NULL &&
		    strcasecmp(re->type, wa->filter.type) != 0)
			continue;
		control_send_line(c, re->line, re->len);
	}
	return (VERB_SENT);
}

const struct verb verb_watch = {
	.name = "watch",
	.flags = 0,
	.exec = verb_watch_exec,
};
