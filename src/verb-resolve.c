/*
 * resolve: one instance, by name and type or by its full name
 * ("My\.Printer._ipp._tcp.local", escaped as RFC 6763 4.3 says).
 */
#include "config.h"

#include <avahi-common/domain.h>

#include "discod.h"

static int
verb_resolve_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	char		 name[AVAHI_LABEL_MAX], type[AVAHI_DOMAIN_NAME_MAX];
	char		 domain[AVAHI_DOMAIN_NAME_MAX];
	const char	*n = NULL, *t = NULL, *d = "local", *full = NULL;
	struct instance *i;
	long long	 wait_ms = 0;

	if (proto_get_string(req->msg.obj, "fullname", 0, &full, err) == -1 ||
	    proto_get_string(req->msg.obj, "name", full == NULL, &n, err) ==
		-1 ||
	    proto_get_string(req->msg.obj, "type", full == NULL, &t, err) ==
		-1 ||
	    proto_get_string(req->msg.obj, "domain", 0, &d, err) == -1 ||
	    proto_get_int(req->msg.obj, "wait_ms", 0, 0, PENDING_WAIT_MAX,
		&wait_ms, err) == -1)
		return (VERB_ERROR);
	if (full != NULL) {
		if (avahi_service_name_split(full, name, sizeof(name), type,
			sizeof(type), domain, sizeof(domain)) < 0 ||
		    service_type_invalid(type) != NULL) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "fullname",
			    "\"%.80s\" is not Instance._type._proto.domain "
			    "(dots and backslashes in the instance escaped "
			    "with a backslash)",
			    full);
			return (VERB_ERROR);
		}
		n = name;
		t = type;
		d = domain;
	}
	if ((i = cache_find(&discod->cache, n, t, d)) == NULL || !i->resolved ||
	    i->hidden || i->unreachable) {
		if (wait_ms > 0 && req->run == REQUEST_FIRST)
			return (pending_add(c, &verb_resolve, req, wait_ms));
		proto_error_set(err, PROTO_E_NOT_FOUND, NULL,
		    "no instance "
		    "\"%.63s\" of %.40s in %.40s",
		    n, t, d);
		return (VERB_ERROR);
	}
	json_object_object_add(reply, "instance", instance_json(i));
	return (VERB_DONE);
}

const struct verb verb_resolve = {
	.name = "resolve",
	.flags = 0,
	.exec = verb_resolve_exec,
};
