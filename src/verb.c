/*
 * The verb table.  Each verb lives in its own verb-NAME.c and exports one
 * const struct verb; adding a verb is adding a file and a row here.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "discod.h"

static const struct verb *verb_table[] = {
	&verb_hello,
	&verb_status,
	&verb_register,
	&verb_unregister,
	&verb_renew,
	&verb_services,
	&verb_reload,
	&verb_types,
	&verb_list,
	&verb_resolve,
	&verb_watch,
	&verb_pick,
	&verb_lookup,
	&verb_metrics,
};
#define VERB_COUNT (sizeof(verb_table) / sizeof(verb_table[0]))

size_t
verb_count(void)
{
	return (VERB_COUNT);
}

const struct verb *
verb_at(size_t k)
{
	return (k < VERB_COUNT ? verb_table[k] : NULL);
}

/* A verb's place in the table, VERB_COUNT when there is none. */
static size_t
verb_find(const char *name)
{
	size_t i;

	for (i = 0; i < VERB_COUNT; i++) {
		if (strcmp(verb_table[i]->name, name) == 0)
			return (i);
	}
	return (VERB_COUNT);
}

/* A verb's place in the table (what metrics count it by). */
size_t
verb_index(const struct verb *v)
{
	size_t i;

	for (i = 0; i < VERB_COUNT; i++) {
		if (verb_table[i] == v)
			return (i);
	}
	return (VERB_COUNT);
}

static double
verb_seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9);
}

/* A request answered outside verb_dispatch, counted as it would count it. */
void
verb_count_done(const struct verb *v, const char *result,
    const struct timespec *t0)
{
	metrics_request(verb_index(v), result, verb_seconds_since(t0));
}

static struct json_object *verb_run(struct client *, struct request *, size_t);

/*
 * Run one decoded request.  Returns the reply to send, or NULL when the
 * verb has taken charge of replying later (VERB_DEFERRED) or has sent
 * it.  Counted by verb and result, with its time, for metrics.
 */
struct json_object *
verb_dispatch(struct client *c, struct request *req)
{
	struct json_object *reply, *e, *code;
	struct timespec	    t0;
	size_t		    k = verb_find(req->msg.verb);
	const char	   *result = "deferred";

	clock_gettime(CLOCK_MONOTONIC, &t0);
	reply = verb_run(c, req, k);
	if (reply != NULL) {
		result = "ok";
		if (json_object_object_get_ex(reply, "error", &e) &&
		    json_object_object_get_ex(e, "code", &code))
			result = json_object_get_string(code);
	}
	metrics_request(k, result, verb_seconds_since(&t0));
	return (reply);
}

static struct json_object *
verb_run(struct client *c, struct request *req, size_t k)
{
	const struct verb  *v;
	struct proto_error  err;
	struct json_object *reply;
	int		    rc;

	memset(&err, 0, sizeof(err));
	if ((v = verb_at(k)) == NULL) {
		proto_error_set(&err, PROTO_E_UNKNOWN_VERB, "verb",
		    "unknown verb \"%.64s\"", req->msg.verb);
		return (proto_reply_error(req->msg.id, &err));
	}
	if ((c->flags & CLIENT_LOOKUP) && v != &verb_hello &&
	    v != &verb_lookup) {
		proto_error_set(&err, PROTO_E_DENIED, "verb",
		    "the lookup socket answers hello and lookup only");
		return (proto_reply_error(req->msg.id, &err));
	}
	if ((v->flags & VERB_PRIV) && c->uid != 0) {
		proto_error_set(&err, PROTO_E_DENIED, NULL,
		    "%s: only root may do this", v->name);
		return (proto_reply_error(req->msg.id, &err));
	}
	if ((reply = proto_reply_new(req->msg.id)) == NULL)
		fatalx("%s: out of memory", __func__);
	rc = v->exec(c, req, reply, &err);
	if (rc == VERB_DONE)
		return (reply);
	json_object_put(reply);
	if (rc == VERB_DEFERRED || rc == VERB_SENT)
		return (NULL);
	if (err.code == NULL)
		proto_error_set(&err, PROTO_E_INTERNAL, NULL, "%s failed",
		    v->name);
	return (proto_reply_error(req->msg.id, &err));
}
