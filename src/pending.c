/*
 * Requests that wait: resolve and pick with wait_ms, for an instance not
 * yet in the cache.  The request is kept and run again whenever the cache
 * gains or changes an instance; it is answered the moment it succeeds, or
 * with its error once wait_ms has passed.  Its connection reads no
 * further requests meanwhile, so replies stay in request order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "discod.h"

struct pending {
	TAILQ_ENTRY(pending) entry;
	int		     detached; /* out of the list: answering */
	struct client	    *c;
	const struct verb   *v;
	struct request	     req; /* holds its own reference */
	struct event	    *timer;
};

static TAILQ_HEAD(, pending) pendings = TAILQ_HEAD_INITIALIZER(pendings);
static struct event_base *pending_base;

static void
pending_free(struct pending *p)
{
	if (!p->detached)
		TAILQ_REMOVE(&pendings, p, entry);
	event_free(p->timer);
	proto_request_clear(&p->req.msg);
	free(p);
}

/*
 * Run the request again.  Returns 1 when it was answered (success, an
 * error other than not-found, or final), 0 when it should keep waiting.
 */
static int
pending_run(struct pending *p, int final)
{
	struct client	   *c = p->c;
	struct json_object *reply;
	struct proto_error  err;
	int		    rc;

	memset(&err, 0, sizeof(err));
	p->req.run = final ? REQUEST_LAST : REQUEST_AGAIN;
	if ((reply = proto_reply_new(p->req.msg.id)) == NULL)
		fatalx("%s: out of memory", __func__);
	rc = p->v->exec(p->c, &p->req, reply, &err);
	if (rc == VERB_ERROR) {
		json_object_put(reply);
		if (!final && err.code != NULL &&
		    strcmp(err.code, PROTO_E_NOT_FOUND) == 0)
			return (0);
		reply = proto_reply_error(p->req.msg.id, &err);
	}
	/*
	 * Out of the list first: the reply may lose the client (a full
	 * output queue), and losing it must not free this request under us.
	 */
	TAILQ_REMOVE(&pendings, p, entry);
	p->detached = 1;
	control_reply(c, reply);
	json_object_put(reply);
	control_client_resume(c); /* a no-op for a lost client */
	return (1);
}

static void
pending_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct pending *p = arg;

	pending_run(p, 1);
	pending_free(p);
}

/* Keep a request that found nothing yet; the client reads no further. */
int
pending_add(struct client *c, const struct verb *v, struct request *req,
    long long wait_ms)
{
	struct pending *p;
	struct timeval	tv;

	p = xcalloc(1, sizeof(*p));
	p->c = c;
	p->v = v;
	p->req = *req;
	p->req.msg.obj = json_object_get(req->msg.obj);
	p->req.run = REQUEST_AGAIN;
	p->timer = evtimer_new(pending_base, pending_timeout, p);
	tv.tv_sec = (time_t)(wait_ms / 1000);
	tv.tv_usec = (suseconds_t)(wait_ms % 1000) * 1000;
	evtimer_add(p->timer, &tv);
	TAILQ_INSERT_TAIL(&pendings, p, entry);
	c->flags |= CLIENT_WAITING;
	return (VERB_DEFERRED);
}

/* Something a waiting request may want has come: try every one. */
void
pending_retry(void)
{
	struct pending *p, *next;

	TAILQ_FOREACH_SAFE(p, &pendings, entry, next) {
		if (p->c->flags & CLIENT_DEAD)
			continue;
		if (pending_run(p, 0))
			pending_free(p);
	}
}

/* The cache gained or changed an instance. */
static void
pending_cache_event(struct cache *c, enum cache_event_kind kind,
    struct instance *i, void *arg)
{
	if (kind == CACHE_ADD || kind == CACHE_UPDATE)
		pending_retry();
}

static struct cache_hook pending_hook = { .event = pending_cache_event };

void
pending_init(struct event_base *base, struct cache *cache)
{
	pending_base = base;
	cache_hook_add(cache, &pending_hook);
}

void
pending_client_lost(struct client *c)
{
	struct pending *p, *next;

	TAILQ_FOREACH_SAFE(p, &pendings, entry, next) {
		if (p->c == c)
			pending_free(p);
	}
}
