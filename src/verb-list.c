/* list: the resolved instances of a type, filtered. */
#include "config.h"

#include "discod.h"

static int
verb_list_exec(struct client *c, struct proto_request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct instance_filter	f;

	if (instance_filter_parse(req->obj, &f, 1, err) == -1)
		return (VERB_ERROR);
	json_object_object_add(reply, "instances",
	    instance_list_json(browse_cache(), &f));
	return (VERB_DONE);
}

const struct verb verb_list = {
	.name = "list",
	.flags = 0,
	.exec = verb_list_exec,
};
