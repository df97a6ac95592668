/* reload: reread discod.conf and the service files, as SIGHUP does. */
#include "config.h"

#include "discod.h"

static int
verb_reload_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	int bad;

	bad = discod_reload();
	json_object_object_add(reply, "errors", json_object_new_int(bad));
	json_object_object_add(reply, "services",
	    json_object_new_int64(announce_count()));
	return (VERB_DONE);
}

const struct verb verb_reload = {
	.name = "reload",
	.flags = VERB_PRIV,
	.exec = verb_reload_exec,
};
