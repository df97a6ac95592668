/*
 * Instances and TXT records as JSON, as replies and events carry them
 * (doc/protocol.md).
 */
#include "config.h"

#include <arpa/inet.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-common/domain.h>
#include <json-c/printbuf.h>

#include "discod.h"

/*
 * TXT strings as JSON: a string when the bytes are UTF-8 without control
 * characters, else {"base64": "..."} so no byte is lost or breaks framing.
 */
struct json_object *
txt_to_json(const struct txt *txt)
{
	struct json_object *arr, *o;
	char		    b64[TXT_STRING_MAX * 2];
	size_t		    i, j;
	int		    plain;

	arr = json_object_new_array();
	for (i = 0; i < txt->n; i++) {
		plain = proto_utf8_invalid((const char *)txt->v[i].data,
			    txt->v[i].len) == -1;
		for (j = 0; plain && j < txt->v[i].len; j++) {
			if (txt->v[i].data[j] < 0x20 ||
			    txt->v[i].data[j] == 0x7f)
				plain = 0;
		}
		if (plain) {
			json_object_array_add(arr,
			    json_object_new_string_len(
				(const char *)txt->v[i].data,
				(int)txt->v[i].len));
			continue;
		}
		o = json_object_new_object();
		if (b64_ntop(txt->v[i].data, txt->v[i].len, b64, sizeof(b64)) ==
		    -1)
			b64[0] = '\0';
		json_object_object_add(o, "base64",
		    json_object_new_string(b64));
		json_object_array_add(arr, o);
	}
	return (arr);
}

static struct json_object *
instance_json_build(const struct instance *i)
{
	struct json_object *o, *addrs, *a;
	char		    full[AVAHI_DOMAIN_NAME_MAX];
	char		    text[CACHE_ADDR_TEXT_MAX];
	size_t		    k;

	o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(i->name));
	json_object_object_add(o, "type", json_object_new_string(i->type));
	json_object_object_add(o, "domain", json_object_new_string(i->domain));
	if (avahi_service_name_join(full, sizeof(full), i->name, i->type,
		i->domain) == 0)
		json_object_object_add(o, "fullname",
		    json_object_new_string(full));
	json_object_object_add(o, "host",
	    i->host != NULL ? json_object_new_string(i->host) : NULL);
	json_object_object_add(o, "port", json_object_new_int((int)i->port));
	json_object_object_add(o, "priority",
	    json_object_new_int((int)i->priority));
	json_object_object_add(o, "weight",
	    json_object_new_int((int)i->weight));
	json_object_object_add(o, "txt", txt_to_json(&i->txt));
	addrs = json_object_new_array();
	for (k = 0; k < i->npaths; k++) {
		if (!i->paths[k].resolved)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "address",
		    json_object_new_string(cache_path_text(&i->paths[k], text,
			sizeof(text))));
		json_object_object_add(a, "family",
		    json_object_new_string(i->paths[k].family == AF_INET6 ?
			    "ipv6" :
			    "ipv4"));
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
	json_object_object_add(o, "index",
	    json_object_new_int64((int64_t)i->index));
	return (o);
}

struct instance_text {
	size_t len;
	char   text[];
};

static int
instance_json_serialize(struct json_object *o, struct printbuf *pb, int level,
    int flags)
{
	const struct instance_text *t = json_object_get_userdata(o);

	return (printbuf_memappend(pb, t->text, (int)t->len));
}

static void
instance_json_text_free(struct json_object *o, void *text)
{
	free(text);
}

/*
 * The texts kept, most recently used first, and their bytes: at most
 * INSTANCE_MEMO_BYTES, so that a cache of 10000 instances that clients
 * have all asked for does not keep 10000 texts (about 750 bytes each);
 * the instances asked for most keep theirs.
 */
#define INSTANCE_MEMO_BYTES (1024 * 1024)

struct instance_memo {
	TAILQ_ENTRY(instance_memo) entry;
	struct instance		  *i;
	struct json_object	  *o;
	size_t			   bytes;
};
static TAILQ_HEAD(instance_memo_list,
    instance_memo) memos = TAILQ_HEAD_INITIALIZER(memos);
static size_t	   memo_bytes;

/*
 * An instance as JSON, for a reply or an event: made and serialized once
 * per change of the instance (the cache drops the memo), then shared.  The
 * object is a placeholder whose serializer writes the text; it is only
 * ever serialized, never read field by field.
 */
struct json_object *
instance_json(struct instance *i)
{
	struct json_object   *tree, *o;
	struct instance_text *t;
	struct instance_memo *m;
	const char	     *s;
	size_t		      len;

	if ((m = i->memo) != NULL) {
		if (m != TAILQ_FIRST(&memos)) {
			TAILQ_REMOVE(&memos, m, entry);
			TAILQ_INSERT_HEAD(&memos, m, entry);
		}
		return (json_object_get(m->o));
	}
	tree = instance_json_build(i);
	s = json_object_to_json_string_length(tree,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		fatalx("%s: cannot serialize an instance", __func__);
	t = xmalloc(sizeof(*t) + len + 1);
	t->len = len;
	memcpy(t->text, s, len + 1);
	json_object_put(tree);
	o = json_object_new_int(0);
	json_object_set_serializer(o, instance_json_serialize, t,
	    instance_json_text_free);
	/* Room for it: the least recently used texts go. */
	while ((m = TAILQ_LAST(&memos, instance_memo_list)) != NULL &&
	    memo_bytes + len > INSTANCE_MEMO_BYTES) {
		m->i->memo = NULL;
		instance_json_memo_free(m);
	}
	m = xmalloc(sizeof(*m));
	m->i = i;
	m->o = o;
	m->bytes = len;
	memo_bytes += len;
	TAILQ_INSERT_HEAD(&memos, m, entry);
	i->memo = m;
	return (json_object_get(o));
}

/* The cache's memo_free: an instance changed or went, or room is needed. */
void
instance_json_memo_free(void *memo)
{
	struct instance_memo *m = memo;

	if (m == NULL)
		return;
	TAILQ_REMOVE(&memos, m, entry);
	memo_bytes -= m->bytes;
	json_object_put(m->o);
	free(m);
}

/* The bytes of reply text kept (a unit test's view of the budget). */
size_t
instance_json_memo_bytes(void)
{
	return (memo_bytes);
}
