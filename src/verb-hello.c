/* hello: who is answering, and which protocol it speaks. */
#include "config.h"

#include "discod.h"

static int
verb_hello_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	json_object_object_add(reply, "agent",
	    json_object_new_string("discod"));
	json_object_object_add(reply, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(reply, "protocol",
	    json_object_new_int(DISCO_PROTO_VERSION));
	return (VERB_DONE);
}

const struct verb verb_hello = {
	.name = "hello",
	.flags = 0,
	.exec = verb_hello_exec,
};
