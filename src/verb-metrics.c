/*
 * metrics: the Prometheus text that /metrics serves, for those who read
 * it from the socket (discoctl metrics) rather than scrape it.
 */
#include "config.h"

#include <event2/buffer.h>

#include "discod.h"

static int
verb_metrics_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct evbuffer *b = evbuffer_new();
	size_t		 len;

	(void)c;
	(void)req;
	(void)err;
	if (b == NULL)
		fatalx("%s: out of memory", __func__);
	metrics_render(b);
	len = evbuffer_get_length(b);
	json_object_object_add(reply, "text",
	    json_object_new_string_len((const char *)evbuffer_pullup(b, -1),
		(int)len));
	evbuffer_free(b);
	return (VERB_DONE);
}

const struct verb verb_metrics = {
	.name = "metrics",
	.flags = 0,
	.exec = verb_metrics_exec,
};
