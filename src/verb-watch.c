/*
 * watch: the instances that pass a filter, then every change to them as
 * an event line; with since, only what was missed after that index.
 */
#include "config.h"

#include <limits.h>

#include "discod.h"

static int
verb_watch_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct instance_filter f;
	long long	       since = -1;

	if (instance_filter_parse(req->msg.obj, &f, 0, err) == -1 ||
	    proto_get_int(req->msg.obj, "since", 0, 0, LLONG_MAX, &since,
		err) == -1)
		return (VERB_ERROR);
	if (f.subtype != NULL &&
	    browse_subtype_want(f.subtype, f.type, c->uid, err) == -1)
		return (VERB_ERROR);
	return (watch_start(c, &f, since, reply, err));
}

const struct verb verb_watch = {
	.name = "watch",
	.flags = 0,
	.exec = verb_watch_exec,
};
