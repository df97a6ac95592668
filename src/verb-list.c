/* list: the resolved instances of a type, or of every type, filtered. */
#include "config.h"

#include "discod.h"

static int
verb_list_exec(struct client *c, struct request *req, struct json_object *reply,
    struct proto_error *err)
{
	struct instance_filter f;

	if (instance_filter_parse(req->msg.obj, &f, 0, err) == -1)
		return (VERB_ERROR);
	/*
	 * A subtype asked for the first time is browsed from now on: wait
	 * (2 s at most) for its browser's first complete answer, unless
	 * avahi-daemon is not answering (then nothing would come).
	 */
	if (f.subtype != NULL &&
	    browse_subtype_want(f.subtype, f.type, c->uid, err) == -1)
		return (VERB_ERROR);
	if (f.subtype != NULL && !browse_subtype_ready(f.subtype, f.type) &&
	    avahi_state() == AVAHI_STATE_RUNNING && avahi_responsive() &&
	    req->run != REQUEST_LAST) {
		if (req->run == REQUEST_FIRST)
			return (pending_add(c, &verb_list, req, 2000));
		proto_error_set(err, PROTO_E_NOT_FOUND, NULL, "not yet");
		return (VERB_ERROR); /* keep waiting */
	}
	json_object_object_add(reply, "instances",
	    instance_list_json(&discod->cache, &f));
	return (VERB_DONE);
}

const struct verb verb_list = {
	.name = "list",
	.flags = 0,
	.exec = verb_list_exec,
};
