/*
 * HTTP requests to etcd's v3 JSON API, on discod's loop: libcurl's multi
 * interface driven by libevent (its sockets are events, its timer one
 * timer), so that nothing here ever blocks the loop, name resolution
 * included (libcurl's threaded resolver).
 *
 * A request is a POST of one JSON body.  A unary one ends with its whole
 * answer (at most ETCD_BODY_MAX bytes); a stream (a watch) hands over each
 * line as it comes (at most ETCD_LINE_MAX bytes a line) until it ends.
 * Lines are handed over from the loop, never from inside libcurl, so a
 * line's callback may start or cancel any request, its own included.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "discod.h"

struct etcd_req {
	TAILQ_ENTRY(etcd_req) entry;
	CURL		     *easy;
	struct curl_slist    *headers;
	struct proto_buf      in;	/* what came, not yet handed over */
	size_t		      max;	/* bytes in may hold */
	int		      overflow; /* in would have passed max */
	int		      stream;
	int		      done; /* finished: only the callback left */
	int		      in_callback;
	int		      cancelled;
	struct event	     *deliver; /* stream lines, from the loop */
	etcd_line_cb	      line;
	etcd_done_cb	      cb;
	void		     *arg;
	char		      error[CURL_ERROR_SIZE];
};

static struct {
	struct event_base *base;
	CURLM		  *multi;
	struct event	  *timer;
	TAILQ_HEAD(, etcd_req) reqs;
	int initialized;
} et;

/* A socket of libcurl's, watched for what it asks. */
struct etcd_sock {
	struct event *ev;
};

static void etcd_check(void);

static void
etcd_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	int running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(et.multi, fd, action, &running);
	etcd_check();
}

static int
etcd_socket_fn(CURL *easy, curl_socket_t s, int what, void *userp,
    void *socketp)
{
	struct etcd_sock *es = socketp;
	short		  kind;

	if (what == CURL_POLL_REMOVE) {
		if (es != NULL) {
			event_free(es->ev);
			free(es);
		}
		curl_multi_assign(et.multi, s, NULL);
		return (0);
	}
	if (es == NULL) {
		es = xcalloc(1, sizeof(*es));
		curl_multi_assign(et.multi, s, es);
	} else
		event_free(es->ev);
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if ((es->ev = event_new(et.base, s, kind, etcd_sock_cb, NULL)) == NULL)
		fatalx("%s: event_new", __func__);
	event_add(es->ev, NULL);
	return (0);
}

static void
etcd_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	int running;

	curl_multi_socket_action(et.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	etcd_check();
}

static int
etcd_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(et.timer);
		return (0);
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(et.timer, &tv);
	return (0);
}

static size_t
etcd_write_fn(char *data, size_t size, size_t nmemb, void *arg)
{
	struct etcd_req *r = arg;
	size_t		 n = size * nmemb;

	if (r->cancelled)
		return (0);
	if (r->in.len + n > r->max) {
		r->overflow = 1;
		return (0); /* libcurl ends the transfer: a write error */
	}
	if (r->in.len + n + 1 > r->in.cap)
		proto_buf_grow(&r->in, n);
	memcpy(r->in.p + r->in.len, data, n);
	r->in.len += n;
	r->in.p[r->in.len] = '\0';
	if (r->stream && memchr(data, '\n', n) != NULL)
		event_active(r->deliver, EV_TIMEOUT, 0);
	return (n);
}

static void
etcd_free(struct etcd_req *r)
{
	if (r->easy != NULL) {
		curl_multi_remove_handle(et.multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	if (r->deliver != NULL)
		event_free(r->deliver);
	free(r->in.p);
	free(r);
}

/*
 * A stream's complete lines, each to its callback; the rest waits.
 * Once a callback has cancelled the request nothing more is read; 1 then
 * (the caller frees it).
 */
static int
etcd_deliver(struct etcd_req *r)
{
	char  *nl;
	size_t at = 0, len;
	int    rc = 0;

	r->in_callback = 1;
	while (!r->cancelled && at < r->in.len &&
	    (nl = memchr(r->in.p + at, '\n', r->in.len - at)) != NULL) {
		len = (size_t)(nl - (r->in.p + at));
		if (len > 0 && r->in.p[at + len - 1] == '\r')
			len--;
		if (len > 0)
			rc = r->line(r, r->in.p + at, len, r->arg);
		at = (size_t)(nl - r->in.p) + 1;
		if (rc == -1)
			etcd_cancel(r);
	}
	r->in_callback = 0;
	if (at > 0) {
		memmove(r->in.p, r->in.p + at, r->in.len - at);
		r->in.len -= at;
		if (r->in.p != NULL)
			r->in.p[r->in.len] = '\0';
	}
	return (r->cancelled);
}

static void
etcd_deliver_cb(evutil_socket_t fd, short what, void *arg)
{
	struct etcd_req *r = arg;

	if (etcd_deliver(r) && !r->done)
		etcd_free(r); /* cancelled: out of the list already */
}

/*
 * "HTTP status 400: {"error":"etcdserver: ..."}": etcd says why in its
 * answer (a bad password, a permission, a token expired), printable
 * bytes of it only.
 */
static void
etcd_why_status(char *why, size_t size, long http, const char *body, size_t len)
{
	size_t at, k;
	int    n;

	n = snprintf(why, size, "HTTP status %ld", http);
	if (n < 0 || (size_t)n + 3 >= size || body == NULL || len == 0)
		return;
	at = (size_t)n;
	why[at++] = ':';
	why[at++] = ' ';
	for (k = 0; k < len && k < 160 && at + 1 < size; k++)
		why[at++] = body[k] >= 0x20 && body[k] < 0x7f ? body[k] : '?';
	why[at] = '\0';
}

/* Finished transfers: each request's callback, then it is freed. */
static void
etcd_check(void)
{
	struct etcd_req *r;
	CURLMsg		*msg;
	CURLcode	 rc;
	long		 http = 0;
	int		 left, ok;
	char		 why[CURL_ERROR_SIZE + 64];

	while ((msg = curl_multi_info_read(et.multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&r);
		rc = msg->data.result;
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
		TAILQ_REMOVE(&et.reqs, r, entry);
		r->done = 1;
		if (r->stream && !r->cancelled)
			etcd_deliver(r); /* lines that came with the end */
		if (r->cancelled) {
			etcd_free(r);
			continue;
		}
		ok = rc == CURLE_OK && http == 200;
		if (r->overflow)
			snprintf(why, sizeof(why), "answer over %zu bytes",
			    r->max);
		else if (rc != CURLE_OK)
			snprintf(why, sizeof(why), "%s",
			    r->error[0] != '\0' ? r->error :
						  curl_easy_strerror(rc));
		else if (http != 200)
			etcd_why_status(why, sizeof(why), http, r->in.p,
			    r->in.len);
		else
			why[0] = '\0';
		r->in_callback = 1;
		r->cb(r, ok, http, r->in.p != NULL ? r->in.p : "", r->in.len,
		    why, r->arg);
		etcd_free(r);
	}
}

void
etcd_init(struct event_base *base)
{
	if (et.initialized)
		return;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("%s: curl_global_init", __func__);
	et.base = base;
	TAILQ_INIT(&et.reqs);
	if ((et.multi = curl_multi_init()) == NULL)
		fatalx("%s: curl_multi_init", __func__);
	if ((et.timer = evtimer_new(base, etcd_timer_cb, NULL)) == NULL)
		fatalx("%s: evtimer_new", __func__);
	curl_multi_setopt(et.multi, CURLMOPT_SOCKETFUNCTION, etcd_socket_fn);
	curl_multi_setopt(et.multi, CURLMOPT_TIMERFUNCTION, etcd_timer_fn);
	/* a few connections to each member, reused */
	curl_multi_setopt(et.multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
	et.initialized = 1;
}

/* At most n connections to one member, 0: any (a bench of many agents). */
void
etcd_connections_max(long n)
{
	curl_multi_setopt(et.multi, CURLMOPT_MAX_HOST_CONNECTIONS, n);
}

void
etcd_shutdown(void)
{
	struct etcd_req *r;

	if (!et.initialized)
		return;
	while ((r = TAILQ_FIRST(&et.reqs)) != NULL) {
		TAILQ_REMOVE(&et.reqs, r, entry);
		etcd_free(r);
	}
	curl_multi_cleanup(et.multi);
	event_free(et.timer);
	curl_global_cleanup();
	memset(&et, 0, sizeof(et));
}

/*
 * An easy handle for POST body to base + path with o's TLS files and
 * token; its header list in *headers, to free after the call.  NULL when
 * the URL is too long.
 */
static CURL *
etcd_easy(const struct etcd_opts *o, const char *base, const char *path,
    const char *body, long timeout_ms, struct curl_slist **headers)
{
	CURL *easy;
	char  url[1024], auth[1100];

	*headers = NULL;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", base, path) >=
	    sizeof(url))
		return (NULL);
	if ((easy = curl_easy_init()) == NULL)
		fatalx("%s: curl_easy_init", __func__);
	*headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* no "Expect: 100-continue" and its wait on big bodies */
	*headers = curl_slist_append(*headers, "Expect:");
	if (o->token[0] != '\0') {
		snprintf(auth, sizeof(auth), "Authorization: %s", o->token);
		*headers = curl_slist_append(*headers, auth);
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, *headers);
	curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)o->connect_timeout_ms);
	if (timeout_ms > 0)
		curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (o->ca != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, o->ca);
	if (o->cert != NULL)
		curl_easy_setopt(easy, CURLOPT_SSLCERT, o->cert);
	if (o->key != NULL)
		curl_easy_setopt(easy, CURLOPT_SSLKEY, o->key);
	return (easy);
}

/*
 * POST body to base (an endpoint's URL) + path.  line NULL: a unary call,
 * whose whole answer cb receives; else a stream whose lines line
 * receives, then cb its end.  timeout_ms bounds the whole call (0: none,
 * for streams).
 */
struct etcd_req *
etcd_post(const struct etcd_opts *o, const char *base, const char *path,
    const char *body, long timeout_ms, etcd_line_cb line, etcd_done_cb cb,
    void *arg)
{
	struct etcd_req	  *r;
	CURL		  *easy;
	struct curl_slist *headers;

	if ((easy = etcd_easy(o, base, path, body, timeout_ms, &headers)) ==
	    NULL)
		return (NULL);
	r = xcalloc(1, sizeof(*r));
	r->easy = easy;
	r->headers = headers;
	r->stream = line != NULL;
	r->max = r->stream ? ETCD_LINE_MAX : ETCD_BODY_MAX;
	r->line = line;
	r->cb = cb;
	r->arg = arg;
	if (r->stream &&
	    (r->deliver = event_new(et.base, -1, 0, etcd_deliver_cb, r)) ==
		NULL)
		fatalx("%s: event_new", __func__);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, etcd_write_fn);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->error);
	/* a stream's member gone silent: TCP keepalives notice */
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 1L);
	TAILQ_INSERT_TAIL(&et.reqs, r, entry);
	if (curl_multi_add_handle(et.multi, easy) != CURLM_OK)
		fatalx("%s: curl_multi_add_handle", __func__);
	return (r);
}

static size_t
etcd_discard_fn(char *data, size_t size, size_t nmemb, void *arg)
{
	return (size * nmemb);
}

/*
 * The one call that waits, at most timeout_ms: for discod's last words
 * (the lease revoked as it stops), when the loop is ending anyway.  0
 * when etcd answered 200.
 */
int
etcd_post_wait(const struct etcd_opts *o, const char *base, const char *path,
    const char *body, long timeout_ms)
{
	struct curl_slist *headers;
	CURL		  *easy;
	long		   http = 0;
	int		   rc = -1;

	if ((easy = etcd_easy(o, base, path, body, timeout_ms, &headers)) ==
	    NULL)
		return (-1);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, etcd_discard_fn);
	if (curl_easy_perform(easy) == CURLE_OK &&
	    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http) ==
		CURLE_OK &&
	    http == 200)
		rc = 0;
	curl_easy_cleanup(easy);
	curl_slist_free_all(headers);
	return (rc);
}

/* Drop a request: its callbacks are not called again. */
void
etcd_cancel(struct etcd_req *r)
{
	if (r == NULL || r->cancelled)
		return;
	r->cancelled = 1;
	if (r->done)
		return; /* etcd_check frees it after its callback */
	TAILQ_REMOVE(&et.reqs, r, entry);
	if (!r->in_callback)
		etcd_free(r);
	/* else etcd_deliver frees it when its callback returns */
}

unsigned int
etcd_requests(void)
{
	struct etcd_req *r;
	unsigned int	 n = 0;

	TAILQ_FOREACH(r, &et.reqs, entry)
		n++;
	return (n);
}
