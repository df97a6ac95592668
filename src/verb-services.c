/*
 * services: the announcements of this host the client may see (all for
 * root), with origin and state.
 */
#include "config.h"

#include "discod.h"

static int
verb_services_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	json_object_object_add(reply, "services", announce_list_json(c));
	return (VERB_DONE);
}

const struct verb verb_services = {
	.name = "services",
	.flags = 0,
	.exec = verb_services_exec,
};
