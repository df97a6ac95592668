/* unregister: withdraw a registration (peers receive goodbyes). */
#include "config.h"

#include <limits.h>

#include "discod.h"

static int
verb_unregister_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	long long id;

	if (proto_get_int(req->msg.obj, "registration", 1, 1, LLONG_MAX, &id,
		err) == -1)
		return (VERB_ERROR);
	if (announce_unregister(c, (unsigned long)id, err) == -1)
		return (VERB_ERROR);
	return (VERB_DONE);
}

const struct verb verb_unregister = {
	.name = "unregister",
	.flags = 0,
	.exec = verb_unregister_exec,
};
