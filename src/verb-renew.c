/* renew: extend a registration's lease by its ttl (a heartbeat). */
#include "config.h"

#include <limits.h>

#include "discod.h"

static int
verb_renew_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	long long id;

	if (proto_get_int(req->msg.obj, "registration", 1, 1, LLONG_MAX, &id,
		err) == -1)
		return (VERB_ERROR);
	if (announce_renew(c, (unsigned long)id, err) == -1)
		return (VERB_ERROR);
	return (VERB_DONE);
}

const struct verb verb_renew = {
	.name = "renew",
	.flags = 0,
	.exec = verb_renew_exec,
};
