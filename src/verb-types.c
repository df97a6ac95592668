/* types: the service types in the cache, with their instance counts. */
#include "config.h"

#include <string.h>

#include "discod.h"

static int
verb_types_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct cache	   *cache = &discod->cache;
	struct json_object *arr, *t = NULL;
	struct instance	   *i;
	const char	   *cur = NULL;
	int		    n = 0;

	arr = json_object_new_array();
	for (i = cache_first_of_type(cache, NULL); i != NULL;
	     i = cache_next(cache, i)) {
		if (!i->resolved || i->hidden)
			continue;
		if (cur == NULL || strcasecmp(cur, i->type) != 0) {
			if (t != NULL)
				json_object_object_add(t, "instances",
				    json_object_new_int(n));
			t = json_object_new_object();
			json_object_object_add(t, "type",
			    json_object_new_string(i->type));
			json_object_array_add(arr, t);
			cur = i->type;
			n = 0;
		}
		n++;
	}
	if (t != NULL)
		json_object_object_add(t, "instances", json_object_new_int(n));
	json_object_object_add(reply, "types", arr);
	return (VERB_DONE);
}

const struct verb verb_types = {
	.name = "types",
	.flags = 0,
	.exec = verb_types_exec,
};
