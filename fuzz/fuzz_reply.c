/*
 * Fuzz target: libdisco against a hostile agent.  The input, after its
 * first byte, is everything "the agent" sends on one connection: a thread
 * accepts on a socket in a temporary directory, writes those bytes,
 * closes its side for writing and reads the requests until the library
 * hangs up.  The library is driven through its public calls only, as an
 * application drives it: the first byte picks the call to start with
 * (data[0] - 'A', modulo the table, so seeds start "A", "B", ...), then
 * the calls follow one another round the table, each taking its reply
 * from what is left, until the bytes run out.  The disco_getaddrinfo()
 * rows open their own connection, through DISCO_SOCKET, and end the run.
 *
 * Whatever comes back is read as an application would (every string and
 * TXT byte, the NUL that follows each TXT string), so ASan sees a bad
 * pointer or length, and broken invariants abort.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disco.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

/* Calls per input at most: their requests must fit the socket buffer. */
#define FUZZ_CALLS_MAX 64
#define FUZZ_TIMEOUT   5000

static char fuzz_dir[] = "/tmp/disco-fuzz-reply.XXXXXX";
static char fuzz_path[sizeof(fuzz_dir) + 16];
static int  fuzz_lfd = -1;

/* What the reads add up to, kept so that the compiler keeps the reads. */
static volatile size_t fuzz_sink;

/*
 * The agent, a thread that serves one connection per input: the input is
 * handed over (given), the thread accepts and serves it (served).  The
 * first burst (all of the input that fits in the socket buffer) is
 * written before the first call (ready), so that what the library reads
 * does not hang on how the threads were scheduled: the fuzzer wants each
 * input to take one path.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t	cond;
	const uint8_t  *data;
	size_t		size;
	unsigned long	given, served;
	int		ready;
} fuzz_agent = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER };

static void
fuzz_agent_ready(void)
{
	pthread_mutex_lock(&fuzz_agent.lock);
	fuzz_agent.ready = 1;
	pthread_cond_broadcast(&fuzz_agent.cond);
	pthread_mutex_unlock(&fuzz_agent.lock);
}

/*
 * Serve one connection: write the input (as fast as the library reads
 * it) while reading the requests, then close for writing and read until
 * the library hangs up.  A write that fails means the library has gone.
 */
static void
fuzz_agent_serve(const uint8_t *data, size_t size)
{
	struct pollfd pfd;
	char	      buf[4096];
	size_t	      off = 0;
	ssize_t	      n;
	int	      fd, open_w = 1;

	if ((fd = accept4(fuzz_lfd, NULL, NULL,
		 SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		abort();
	for (;;) {
		if (open_w && off == size) {
			fuzz_agent_ready();
			shutdown(fd, SHUT_WR);
			open_w = 0;
		}
		pfd.fd = fd;
		pfd.events = POLLIN | (open_w ? POLLOUT : 0);
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			abort();
		if (open_w && (pfd.revents & POLLOUT)) {
			n = send(fd, data + off, size - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n == -1 && errno != EAGAIN)
				break;
			if (n == -1)
				fuzz_agent_ready(); /* the buffer is full */
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, buf, sizeof(buf), 0);
			if (n == 0 || (n == -1 && errno != EAGAIN))
				break;
		}
	}
	close(fd);
}

static void *
fuzz_agent_run(void *arg)
{
	const uint8_t *data;
	size_t	       size;

	for (;;) {
		pthread_mutex_lock(&fuzz_agent.lock);
		while (fuzz_agent.given == fuzz_agent.served)
			pthread_cond_wait(&fuzz_agent.cond, &fuzz_agent.lock);
		data = fuzz_agent.data;
		size = fuzz_agent.size;
		pthread_mutex_unlock(&fuzz_agent.lock);
		fuzz_agent_serve(data, size);
		pthread_mutex_lock(&fuzz_agent.lock);
		fuzz_agent.served++;
		pthread_cond_broadcast(&fuzz_agent.cond);
		pthread_mutex_unlock(&fuzz_agent.lock);
	}
	return (NULL);
}

/* Hand the agent its next input. */
static void
fuzz_agent_give(const uint8_t *data, size_t size)
{
	pthread_mutex_lock(&fuzz_agent.lock);
	fuzz_agent.data = data;
	fuzz_agent.size = size;
	fuzz_agent.ready = 0;
	fuzz_agent.given++;
	pthread_cond_broadcast(&fuzz_agent.cond);
	pthread_mutex_unlock(&fuzz_agent.lock);
}

/* Wait until the agent has written its first burst, or is done. */
static void
fuzz_agent_wait_ready(void)
{
	pthread_mutex_lock(&fuzz_agent.lock);
	while (!fuzz_agent.ready && fuzz_agent.given != fuzz_agent.served)
		pthread_cond_wait(&fuzz_agent.cond, &fuzz_agent.lock);
	pthread_mutex_unlock(&fuzz_agent.lock);
}

/* Wait until the agent has seen the library hang up. */
static void
fuzz_agent_wait_served(void)
{
	pthread_mutex_lock(&fuzz_agent.lock);
	while (fuzz_agent.given != fuzz_agent.served)
		pthread_cond_wait(&fuzz_agent.cond, &fuzz_agent.lock);
	pthread_mutex_unlock(&fuzz_agent.lock);
}

static void
fuzz_cleanup(void)
{
	if (fuzz_lfd != -1)
		close(fuzz_lfd);
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_un sun;
	pthread_t	   thread;

	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	atexit(fuzz_cleanup);
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/sock", fuzz_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, fuzz_path, strlen(fuzz_path) + 1);
	if ((fuzz_lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fuzz_lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fuzz_lfd, 4) == -1)
		abort();
	/* For disco_getaddrinfo(), which opens the default socket. */
	if (setenv("DISCO_SOCKET", fuzz_path, 1) == -1)
		abort();
	if (pthread_create(&thread, NULL, fuzz_agent_run, NULL) != 0 ||
	    pthread_detach(thread) != 0)
		abort();
	return (0);
}

/* Read every byte the library handed over, as an application would. */
static size_t
fuzz_touch_instance(const struct disco_instance *i)
{
	size_t k, sum;

	sum = strlen(i->name) + strlen(i->type) + strlen(i->domain) + i->port;
	if (i->host != NULL)
		sum += strlen(i->host);
	for (k = 0; k < i->ntxt; k++) {
		/* Bytes, then the NUL every TXT string ends with. */
		if (i->txt[k][i->txt_len[k]] != '\0')
			abort();
		sum += strlen(i->txt[k]) + i->txt_len[k];
	}
	for (k = 0; k < i->naddresses; k++) {
		if (i->addresses[k].family != AF_INET &&
		    i->addresses[k].family != AF_INET6)
			abort();
		sum += strlen(i->addresses[k].address);
		if (i->addresses[k].interface != NULL)
			sum += strlen(i->addresses[k].interface);
	}
	return (sum);
}

static void
fuzz_instances(int rc, struct disco_instance *insts, size_t n)
{
	size_t k;

	if (rc != 0 && (insts != NULL || n != 0))
		abort(); /* a failed call hands nothing over */
	for (k = 0; k < n; k++)
		fuzz_sink += fuzz_touch_instance(&insts[k]);
	disco_instances_free(insts, n);
}

static void
fuzz_instance(int rc, struct disco_instance *inst)
{
	if (rc != 0 && inst != NULL)
		abort();
	if (inst != NULL)
		fuzz_sink += fuzz_touch_instance(inst);
	disco_instance_free(inst);
}

static void
fuzz_string(int rc, char *s)
{
	if (rc != 0 && s != NULL)
		abort();
	if (s != NULL)
		fuzz_sink += strlen(s);
	free(s);
}

static void
fuzz_watch_cb(enum disco_event_kind kind, const struct disco_instance *inst,
    void *arg)
{
	if ((kind == DISCO_EVENT_RESYNC) != (inst == NULL))
		abort();
	if (inst != NULL)
		fuzz_sink += fuzz_touch_instance(inst);
}

static const char *const fuzz_txt[] = { "k=v", "flag", NULL };

/* One call on d, its reply from the agent; the call's return code. */
static int
fuzz_call(struct disco *d, unsigned int which)
{
	struct disco_instance *inst = NULL, *insts = NULL;
	struct disco_service   svc = { 0 };
	struct disco_query     q = { 0 };
	const char	      *subtypes[] = { "_s", NULL };
	const char	      *last;
	char		      *s = NULL, **types = NULL;
	size_t		       n = 0, k, a, b;
	long		       id;
	int		       rc;

	switch (which) {
	case 0:
		rc = disco_resolve(d, "A", "_t._tcp", &inst, FUZZ_TIMEOUT);
		fuzz_instance(rc, inst);
		break;
	case 1:
		rc = disco_list(d, "_t._tcp", fuzz_txt, &insts, &n,
		    FUZZ_TIMEOUT);
		fuzz_instances(rc, insts, n);
		break;
	case 2:
		rc = disco_pick(d, "_t._tcp", "sticky", "k", NULL, 0, &inst,
		    FUZZ_TIMEOUT);
		fuzz_instance(rc, inst);
		break;
	case 3:
		rc = disco_types(d, &types, &n, FUZZ_TIMEOUT);
		if (rc != 0 && (types != NULL || n != 0))
			abort();
		for (k = 0; k < n; k++)
			fuzz_sink += strlen(types[k]);
		disco_types_free(types, n);
		break;
	case 4:
		rc = disco_status(d, &s, FUZZ_TIMEOUT);
		fuzz_string(rc, s);
		break;
	case 5:
		rc = disco_register(d, "A", "_t._tcp", 80, fuzz_txt, 30, &id,
		    &s, FUZZ_TIMEOUT);
		fuzz_string(rc, s);
		break;
	case 6:
		svc.name = "A";
		svc.type = "_t._tcp";
		svc.port = 80;
		svc.subtypes = subtypes;
		rc = disco_register_service(d, &svc, &id, &s, FUZZ_TIMEOUT);
		fuzz_string(rc, s);
		break;
	case 7:
		rc = disco_renew(d, 1, FUZZ_TIMEOUT);
		break;
	case 8:
		rc = disco_unregister(d, 1, FUZZ_TIMEOUT);
		break;
	case 9:
		rc = disco_reload(d, &a, &b, FUZZ_TIMEOUT);
		break;
	case 10:
		rc = disco_services(d, &s, FUZZ_TIMEOUT);
		fuzz_string(rc, s);
		break;
	case 11:
		q.type = "_t._tcp";
		q.family = "ipv6";
		rc = disco_list_query(d, &q, &insts, &n, FUZZ_TIMEOUT);
		fuzz_instances(rc, insts, n);
		break;
	case 12:
		q.type = "_t._tcp";
		q.policy = "random";
		rc = disco_pick_query(d, &q, &inst, FUZZ_TIMEOUT);
		fuzz_instance(rc, inst);
		break;
	case 13:
		rc = disco_resolve_fullname(d, "A._t._tcp.local", &inst,
		    FUZZ_TIMEOUT);
		fuzz_instance(rc, inst);
		break;
	case 14:
		rc = disco_call(d, "{\"verb\":\"hello\"}", &s, FUZZ_TIMEOUT);
		fuzz_string(rc, s);
		break;
	default:
		/* A watch, then what it streams, through the dispatcher. */
		rc = disco_watch(d, "_t._tcp", &insts, &n, FUZZ_TIMEOUT);
		fuzz_instances(rc, insts, n);
		if (rc == 0)
			rc = disco_dispatch(d, fuzz_watch_cb, NULL);
		break;
	}
	if ((last = disco_last_reply(d)) != NULL)
		fuzz_sink += strlen(last);
	return (rc);
}

#define FUZZ_NCALLS 16 /* fuzz_call()'s cases */

/* A typed event: each field its kind sets is there and sound. */
static void
fuzz_event_cb(const struct disco_event *ev, void *arg)
{
	size_t k;

	(void)arg;
	switch (ev->kind) {
	case DISCO_EVENT_ADD:
	case DISCO_EVENT_UPDATE:
	case DISCO_EVENT_REMOVE:
		if (ev->instance == NULL || ev->instance->name == NULL)
			abort();
		for (k = 0; k < ev->instance->ntxt; k++)
			if (ev->instance->txt[k][ev->instance->txt_len[k]] !=
			    '\0')
				abort();
		break;
	case DISCO_EVENT_ESTABLISHED:
	case DISCO_EVENT_RENAMED:
		if (ev->name == NULL || strlen(ev->name) > 1 << 20)
			abort();
		break;
	case DISCO_EVENT_FAILED:
		if (ev->error == NULL || ev->retry < -1 || ev->retry > 86400)
			abort();
		break;
	default:
		if (ev->instance != NULL)
			abort();
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addrinfo *res = NULL, *ai;
	struct disco	*d;
	char		*ev;
	unsigned int	 first, k;
	int		 rc;

	if (size < 1)
		return (0);
	/* Two more rows: disco_getaddrinfo() for a type, for a name. */
	first = (uint8_t)(data[0] - 'A') % (FUZZ_NCALLS + 2);
	fuzz_agent_give(data + 1, size - 1);
	if (first >= FUZZ_NCALLS) {
		rc = disco_getaddrinfo(first == FUZZ_NCALLS ? "_t._tcp" :
							      "A._t._tcp.local",
		    NULL, &res);
		if (rc != 0 && res != NULL)
			abort();
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (ai->ai_family != AF_INET &&
			    ai->ai_family != AF_INET6)
				abort();
		}
		disco_freeaddrinfo(res);
	} else {
		/* One connection: the agent thread serves one. */
		if (disco_open_flags(&d, fuzz_path, 5000,
			DISCO_OPEN_NO_RECONNECT) != 0)
			abort();
		fuzz_agent_wait_ready();
		for (k = 0; k < FUZZ_CALLS_MAX; k++) {
			rc = fuzz_call(d, (first + k) % FUZZ_NCALLS);
			if (rc == DISCO_ECLOSED || rc == DISCO_ESYSTEM ||
			    rc == DISCO_ETIMEOUT)
				break;
		}
		/*
		 * The events the calls kept, as an application drains them:
		 * typed, or as lines.
		 */
		if (data[0] & 0x80)
			(void)disco_dispatch_events(d, fuzz_event_cb, NULL);
		while (disco_event_next(d, &ev, 0) == 0)
			free(ev);
		disco_close(d);
	}
	fuzz_agent_wait_served();
	return (0);
}
