/* status: the agent's health at a glance. */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "discod.h"

static void status_fill(struct json_object *);

static int
verb_status_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	(void)c;
	(void)req;
	(void)err;
	status_fill(reply);
	return (VERB_DONE);
}

/* What status answers, as an object of its own (metrics reads it). */
struct json_object *
status_json(void)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		fatalx("%s: out of memory", __func__);
	status_fill(o);
	return (o);
}

static void
status_fill(struct json_object *reply)
{
	struct json_object *av, *counts;
	const char	   *host;
	char		    buf[32];

	json_object_object_add(reply, "version",
	    json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(reply, "protocol",
	    json_object_new_int(DISCO_PROTO_VERSION));
	json_object_object_add(reply, "pid", json_object_new_int(getpid()));
	snprintf(buf, sizeof(buf), "%.3f", discod_uptime());
	json_object_object_add(reply, "uptime",
	    json_object_new_double_s(discod_uptime(), buf));

	av = avahi_status_json();
	json_object_object_add(reply, "avahi", av);
	host = avahi_host_name();
	json_object_object_add(reply, "host",
	    host != NULL ? json_object_new_string(host) : NULL);

	counts = json_object_new_object();
	json_object_object_add(counts, "services",
	    json_object_new_int64(announce_count()));
	json_object_object_add(counts, "instances",
	    json_object_new_int64(discod->cache.count));
	json_object_object_add(counts, "clients",
	    json_object_new_int64(control_client_count()));
	json_object_object_add(reply, "counts", counts);
	json_object_object_add(reply, "browse", browse_status_json());
	json_object_object_add(reply, "liveness", liveness_status_json());
	json_object_object_add(reply, "dns", dns_status_json());
	json_object_object_add(reply, "wide_area", widearea_status_json());
	json_object_object_add(reply, "rss_kib",
	    json_object_new_int64(discod_rss_kib()));
}

const struct verb verb_status = {
	.name = "status",
	.flags = 0,
	.exec = verb_status_exec,
};
