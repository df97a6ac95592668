/*
 * resolve: one instance, by name and type or by its full name
 * ("My\.Printer._ipp._tcp.local", escaped as RFC 6763 4.3 says).
 */
#include "config.h"

#include <string.h>
#include <time.h>

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

/*
 * A resolve in its usual shape, of an instance that is there, answered
 * without the request's objects or the reply's: the line read by
 * proto_resolve_scan, the reply written around the instance's text.  The
 * same reply, byte for byte, as the whole way (check_resolve_fast), and
 * the same count in metrics.  0 for anything else, which goes the whole
 * way: another shape, a lookup-socket client, an instance not found (the
 * error, or the wait for wait_ms, is the whole way's).
 */
#define FAST_OK "\"ok\":true,\"instance\":"

/* Bytes into a buffer made big enough beforehand. */
static void
fast_add(struct proto_buf *b, const char *s, size_t n)
{
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

int
verb_resolve_fast(struct client *c, const char *line, size_t len)
{
	static struct proto_buf b;
	struct proto_resolve	r;
	struct timespec		t0;
	struct instance	       *i;
	struct json_object     *o;
	const char	       *text;
	size_t			tlen, need;

	if ((c->flags & CLIENT_LOOKUP) || !proto_resolve_scan(line, len, &r))
		return (0);
	/* (Every other request's clock starts in verb_dispatch, as before.) */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	i = cache_find(&discod->cache, r.name, r.type,
	    r.has_domain ? r.domain : "local");
	if (i == NULL || !i->resolved || i->hidden || i->unreachable)
		return (0);
	o = instance_json(i);
	if ((text = proto_raw_text(o, &tlen)) == NULL)
		fatalx("%s: an instance's text is not raw", __func__);
	/* {"id":ID,"ok":true,"instance":TEXT}, as proto_reply_new orders it. */
	need = r.id_len + tlen + 40;
	b.len = 0;
	if (b.cap <= need)
		proto_buf_grow(&b, need);
	if (r.id != NULL) {
		fast_add(&b, "{\"id\":", sizeof("{\"id\":") - 1);
		fast_add(&b, r.id, r.id_len);
		fast_add(&b, ",", 1);
	} else
		fast_add(&b, "{", 1);
	fast_add(&b, FAST_OK, sizeof(FAST_OK) - 1);
	fast_add(&b, text, tlen);
	fast_add(&b, "}", 1);
	json_object_put(o);
	control_send_line(c, b.p, b.len);
	verb_count_done(&verb_resolve, "ok", &t0);
	return (1);
}

const struct verb verb_resolve = {
	.name = "resolve",
	.flags = 0,
	.exec = verb_resolve_exec,
};
