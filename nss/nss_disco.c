/*
 * libnss_disco.so.2: the glibc NSS "hosts" module that asks discod for the
 * names of the disco domain (nss-disco(8)).
 *
 * glibc loads it into every process that resolves a host name, threaded
 * and setuid ones included, so it keeps to a few rules:
 *  - a name outside the domain costs one readlink(2) and nothing else;
 *  - no global mutable state, no threads, no signals (MSG_NOSIGNAL), every
 *    fd close-on-exec and closed on every path;
 *  - the whole exchange (connect, send, receive) is bounded by
 *    NSS_DISCO_TIMEOUT_MS on the monotonic clock;
 *  - the agent's reply is untrusted: it is parsed within NSS_DISCO_LINE_MAX,
 *    every field is checked, and only what fits the caller's buffer is
 *    written to it.
 *
 * The return codes follow nss-resolve: UNAVAIL (h_errno NO_RECOVERY, or
 * TRY_AGAIN for a timeout or a temporary refusal) whenever discod cannot
 * answer, so that the next source in nsswitch.conf is tried; NOTFOUND
 * (HOST_NOT_FOUND, or NO_DATA for a name without an address of the family
 * asked) for an answer; TRYAGAIN with ERANGE for a buffer too small, which
 * glibc retries with a larger one.  Reverse lookups are not offered.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

/* The whole lookup, connect to last byte, in milliseconds. */
#define NSS_DISCO_TIMEOUT_MS 1000

/* The longest reply line, newline included (PROTO_LINE_MAX). */
#define NSS_DISCO_LINE_MAX 65536

/* Addresses past this many in a reply are ignored. */
#define NSS_DISCO_ADDRESSES_MAX 256

/* A domain name: 253 bytes, labels of 1 to 63 (RFC 1035 2.3.4). */
#define NSS_DISCO_NAME_MAX  253
#define NSS_DISCO_LABEL_MAX 63

/* The longest pause between two connect() tries on a full listen queue. */
#define NSS_DISCO_CONNECT_PAUSE_MAX_MS 16

/* The outcome of one lookup, before it is told to glibc. */
struct nss_disco_result {
	enum nss_status status;
	int		errnum;
	int		herrnum;
};

/* One address of the reply, of the family asked. */
struct nss_disco_addr {
	int	 family;
	uint32_t scopeid;
	union {
		struct in_addr	in;
		struct in6_addr in6;
	} u;
};

/* A decoded reply: the addresses kept, in the agent's order. */
struct nss_disco_reply {
	char		      name[NSS_DISCO_NAME_MAX + 1];
	int32_t		      ttl;
	size_t		      naddrs;
	struct nss_disco_addr addrs[NSS_DISCO_ADDRESSES_MAX];
};

enum nss_status _nss_disco_gethostbyname4_r(const char *,
    struct gaih_addrtuple **, char *, size_t, int *, int *, int32_t *);
enum nss_status _nss_disco_gethostbyname3_r(const char *, int, struct hostent *,
    char *, size_t, int *, int *, int32_t *, char **);
enum nss_status _nss_disco_gethostbyname2_r(const char *, int, struct hostent *,
    char *, size_t, int *, int *);
enum nss_status _nss_disco_gethostbyname_r(const char *, struct hostent *,
    char *, size_t, int *, int *);

static void
nss_disco_set(struct nss_disco_result *r, enum nss_status status, int errnum,
    int herrnum)
{
	r->status = status;
	r->errnum = errnum;
	r->herrnum = herrnum;
}

static long long
nss_disco_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Milliseconds left before the deadline, never negative. */
static int
nss_disco_left(long long deadline)
{
	long long left = deadline - nss_disco_now_ms();

	return (left > 0 ? (int)left : 0);
}

/* ASCII only: the locale's tolower() would fold 'I' differently. */
static int
nss_disco_casecmp(const char *a, const char *b, size_t len)
{
	unsigned char ca, cb;
	size_t	      i;

	for (i = 0; i < len; i++) {
		ca = (unsigned char)a[i];
		cb = (unsigned char)b[i];
		if (ca >= 'A' && ca <= 'Z')
			ca += 'a' - 'A';
		if (cb >= 'A' && cb <= 'Z')
			cb += 'a' - 'A';
		if (ca != cb)
			return (1);
	}
	return (0);
}

/*
 * The length of name without its trailing dot if it is a domain name disco
 * could hold (1 to 253 bytes, no empty label, labels of at most 63 bytes,
 * no control byte), else 0.
 */
static size_t
nss_disco_name_len(const char *name)
{
	size_t len, i, label = 0;

	len = strnlen(name, NSS_DISCO_NAME_MAX + 2);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > NSS_DISCO_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return (0);
		if (name[i] != '.') {
			if (++label > NSS_DISCO_LABEL_MAX)
				return (0);
			continue;
		}
		if (label == 0)
			return (0);
		label = 0;
	}
	if (label == 0)
		return (0); /* "a.." */
	return (len);
}

/*
 * Whether name (len bytes, trailing dot gone) is the domain discod serves
 * or a name under it.  The domain is the target of the DISCO_DOMAIN_LINK
 * symlink, read on every call, so that a change of domain or an agent that
 * stops is seen at once; 1 for ours, 0 for not, -1 (errno) for no agent.
 */
static int
nss_disco_ours(const char *name, size_t len)
{
	const char *link;
	char	    domain[NSS_DISCO_NAME_MAX + 2];
	ssize_t	    n;
	size_t	    dlen;

	if ((link = secure_getenv("DISCO_DOMAIN_LINK")) == NULL)
		link = DISCO_DOMAIN_LINK;
	if ((n = readlink(link, domain, sizeof(domain))) == -1)
		return (-1);
	dlen = (size_t)n;
	if (dlen == sizeof(domain)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (dlen > 0 && domain[dlen - 1] == '.')
		dlen--;
	if (dlen == 0) {
		errno = EINVAL;
		return (-1);
	}
	if (len == dlen)
		return (nss_disco_casecmp(name, domain, len) == 0);
	if (len < dlen + 2 || name[len - dlen - 1] != '.')
		return (0);
	return (nss_disco_casecmp(name + len - dlen, domain, dlen) == 0);
}

/*
 * Connect fd (non-blocking) before the deadline.  A full listen queue
 * fails at once with EAGAIN and poll() cannot say when it has room, so
 * connect() is tried again after short pauses; any other failure is final.
 */
static int
nss_disco_connect(int fd, const struct sockaddr_un *sun, long long deadline)
{
	struct pollfd pfd;
	socklen_t     len;
	int	      pause_ms = 1, err, left, rc;

	for (;;) {
		if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) ==
		    0)
			return (0);
		err = errno;
		if (err == EAGAIN) {
			if ((left = nss_disco_left(deadline)) == 0) {
				errno = ETIMEDOUT;
				return (-1);
			}
			(void)poll(NULL, 0, left < pause_ms ? left : pause_ms);
			if (pause_ms < NSS_DISCO_CONNECT_PAUSE_MAX_MS)
				pause_ms *= 2;
			continue;
		}
		if (err != EINPROGRESS && err != EINTR)
			return (-1);
		for (;;) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			rc = poll(&pfd, 1, nss_disco_left(deadline));
			if (rc > 0)
				break;
			if (rc == 0) {
				errno = ETIMEDOUT;
				return (-1);
			}
			if (errno != EINTR)
				return (-1);
		}
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			return (-1);
		if (err == 0)
			return (0);
		errno = err;
		return (-1);
	}
}

/* Wait until fd is ready for events; -1 with ETIMEDOUT at the deadline. */
static int
nss_disco_wait(int fd, short events, long long deadline)
{
	struct pollfd pfd;
	int	      rc;

	for (;;) {
		pfd.fd = fd;
		pfd.events = events;
		rc = poll(&pfd, 1, nss_disco_left(deadline));
		if (rc > 0)
			return (0);
		if (rc == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		if (errno != EINTR)
			return (-1);
	}
}

static int
nss_disco_send(int fd, const char *buf, size_t len, long long deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return (-1);
			if (nss_disco_wait(fd, POLLOUT, deadline) == -1)
				return (-1);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Receive one line into buf (size bytes), NUL in place of its newline, and
 * its length into *linelen.  A line that does not fit, or a close before
 * the newline, is EBADMSG.
 */
static int
nss_disco_recv_line(int fd, char *buf, size_t size, size_t *linelen,
    long long deadline)
{
	size_t	len = 0;
	ssize_t n;
	char   *nl;

	while (len < size) {
		n = recv(fd, buf + len, size - len, MSG_DONTWAIT);
		if (n == 0) {
			errno = EBADMSG;
			return (-1);
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return (-1);
			if (nss_disco_wait(fd, POLLIN, deadline) == -1)
				return (-1);
			continue;
		}
		if ((nl = memchr(buf + len, '\n', (size_t)n)) != NULL) {
			*nl = '\0';
			*linelen = (size_t)(nl - buf);
			return (0);
		}
		len += (size_t)n;
	}
	errno = EBADMSG;
	return (-1);
}

/* The request line for name (len bytes) and family, newline-terminated. */
static char *
nss_disco_request(const char *name, size_t len, int af, size_t *outlen)
{
	struct json_object *req, *v;
	const char	   *s;
	char		   *line = NULL;
	size_t		    n;

	if ((req = json_object_new_object()) == NULL)
		return (NULL);
	if ((v = json_object_new_string("lookup")) == NULL ||
	    json_object_object_add(req, "verb", v) != 0)
		goto out;
	if ((v = json_object_new_string_len(name, (int)len)) == NULL ||
	    json_object_object_add(req, "name", v) != 0)
		goto out;
	if (af != AF_UNSPEC &&
	    ((v = json_object_new_string(af == AF_INET ? "ipv4" : "ipv6")) ==
		    NULL ||
		json_object_object_add(req, "family", v) != 0))
		goto out;
	s = json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		goto out;
	n = strlen(s);
	if ((line = malloc(n + 2)) == NULL)
		goto out;
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*outlen = n + 1;
out:
	json_object_put(req);
	return (line);
}

/* Take one address entry of the reply if it is of the family asked. */
static int
nss_disco_parse_addr(struct json_object *e, int af,
    struct nss_disco_reply *reply)
{
	struct nss_disco_addr *a = &reply->addrs[reply->naddrs];
	struct json_object    *v, *fam, *ifi;
	const char	      *s;
	int64_t		       ifindex = 0;
	int		       family;

	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "address", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !json_object_object_get_ex(e, "family", &fam) ||
	    !json_object_is_type(fam, json_type_string))
		return (-1);
	s = json_object_get_string(fam);
	if (strcmp(s, "ipv4") == 0)
		family = AF_INET;
	else if (strcmp(s, "ipv6") == 0)
		family = AF_INET6;
	else
		return (-1);
	if (json_object_object_get_ex(e, "ifindex", &ifi)) {
		if (!json_object_is_type(ifi, json_type_int))
			return (-1);
		ifindex = json_object_get_int64(ifi);
		if (ifindex < 0 || ifindex > UINT32_MAX)
			return (-1);
	}
	/* The address must be of the family it claims, asked or not. */
	s = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return (-1);
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, s, &a->u) != 1)
		return (-1);
	if (af != AF_UNSPEC && family != af)
		return (0);
	a->family = family;
	if (family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->u.in6))
		a->scopeid = (uint32_t)ifindex;
	reply->naddrs++;
	return (0);
}

/*
 * Decode the reply line: its status into *r, its addresses of family af
 * (AF_UNSPEC: both) into reply.  Anything malformed is UNAVAIL: an agent
 * that says nonsense cannot answer for the name.
 */
static void
nss_disco_parse(const char *line, const char *asked, size_t askedlen, int af,
    struct nss_disco_reply *reply, struct nss_disco_result *r)
{
	struct json_tokener *tok;
	struct json_object  *o = NULL, *v, *err, *code, *e;
	const char	    *s;
	size_t		     len = strlen(line), i, n;
	int64_t		     ttl;

	nss_disco_set(r, NSS_STATUS_UNAVAIL, EBADMSG, NO_RECOVERY);
	if ((tok = json_tokener_new()) == NULL) {
		r->errnum = ENOMEM;
		return;
	}
	o = json_tokener_parse_ex(tok, line, (int)len);
	/* One object and nothing after it. */
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "ok", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		goto out;
	if (!json_object_get_boolean(v)) {
		if (!json_object_object_get_ex(o, "error", &err) ||
		    !json_object_object_get_ex(err, "code", &code) ||
		    !json_object_is_type(code, json_type_string))
			goto out;
		s = json_object_get_string(code);
		if (strcmp(s, "not-found") == 0 || strcmp(s, "bad-field") == 0)
			nss_disco_set(r, NSS_STATUS_NOTFOUND, ENOENT,
			    HOST_NOT_FOUND);
		else
			nss_disco_set(r, NSS_STATUS_UNAVAIL, EAGAIN, TRY_AGAIN);
		goto out;
	}

	if (json_object_object_get_ex(o, "name", &v)) {
		if (!json_object_is_type(v, json_type_string))
			goto out;
		s = json_object_get_string(v);
		if ((n = nss_disco_name_len(s)) == 0 ||
		    (size_t)json_object_get_string_len(v) != strlen(s))
			goto out;
		memcpy(reply->name, s, n);
		reply->name[n] = '\0';
	} else {
		memcpy(reply->name, asked, askedlen);
		reply->name[askedlen] = '\0';
	}
	reply->ttl = 0;
	if (json_object_object_get_ex(o, "ttl", &v)) {
		if (!json_object_is_type(v, json_type_int))
			goto out;
		ttl = json_object_get_int64(v);
		if (ttl < 0 || ttl > INT32_MAX)
			goto out;
		reply->ttl = (int32_t)ttl;
	}
	if (!json_object_object_get_ex(o, "addresses", &v) ||
	    !json_object_is_type(v, json_type_array))
		goto out;
	reply->naddrs = 0;
	n = json_object_array_length(v);
	for (i = 0; i < n && reply->naddrs < NSS_DISCO_ADDRESSES_MAX; i++) {
		e = json_object_array_get_idx(v, i);
		if (nss_disco_parse_addr(e, af, reply) == -1)
			goto out;
	}
	if (reply->naddrs == 0)
		nss_disco_set(r, NSS_STATUS_NOTFOUND, ENOENT, NO_DATA);
	else
		nss_disco_set(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS);
out:
	json_object_put(o);
	json_tokener_free(tok);
}

/*
 * Ask discod for name, family af (AF_UNSPEC: both), and decode its reply
 * into reply; the outcome is in *r.
 */
static void
nss_disco_lookup(const char *name, int af, struct nss_disco_reply *reply,
    struct nss_disco_result *r)
{
	struct sockaddr_un sun;
	const char	  *path;
	char		  *req = NULL, *line = NULL;
	long long	   deadline;
	size_t		   len, reqlen, linelen;
	int		   fd = -1, ours = 0;

	/* A name disco could not hold is not ours either. */
	if ((len = nss_disco_name_len(name)) == 0 ||
	    (ours = nss_disco_ours(name, len)) == 0) {
		nss_disco_set(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND);
		return;
	}
	if (ours == -1) {
		nss_disco_set(r, NSS_STATUS_UNAVAIL, errno, NO_RECOVERY);
		return;
	}

	deadline = nss_disco_now_ms() + NSS_DISCO_TIMEOUT_MS;
	nss_disco_set(r, NSS_STATUS_UNAVAIL, 0, NO_RECOVERY);
	if ((path = secure_getenv("DISCO_LOOKUP_SOCKET")) == NULL)
		path = DISCO_LOOKUP_SOCKET_PATH;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		r->errnum = ENAMETOOLONG;
		return;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((req = nss_disco_request(name, len, af, &reqlen)) == NULL ||
	    (line = malloc(NSS_DISCO_LINE_MAX)) == NULL) {
		r->errnum = ENOMEM;
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1 || nss_disco_connect(fd, &sun, deadline) == -1 ||
	    nss_disco_send(fd, req, reqlen, deadline) == -1 ||
	    nss_disco_recv_line(fd, line, NSS_DISCO_LINE_MAX, &linelen,
		deadline) == -1) {
		r->errnum = errno;
		/* A busy or stuck agent may answer later; a missing one not. */
		if (errno == ETIMEDOUT)
			r->herrnum = TRY_AGAIN;
		goto out;
	}
	close(fd);
	fd = -1;
	/* A NUL in the line would hide what follows it from the parser. */
	if (strlen(line) != linelen) {
		r->errnum = EBADMSG;
		goto out;
	}
	nss_disco_parse(line, name, len, af, reply, r);
out:
	if (fd != -1)
		close(fd);
	free(line);
	free(req);
}

/* Tell glibc the outcome, errno as it was on entry for a success. */
static enum nss_status
nss_disco_return(const struct nss_disco_result *r, int saved_errno, int *errnop,
    int *h_errnop)
{
	errno = saved_errno;
	if (r->status != NSS_STATUS_SUCCESS)
		*errnop = r->errnum;
	*h_errnop = r->herrnum;
	return (r->status);
}

static enum nss_status
nss_disco_erange(int saved_errno, int *errnop, int *h_errnop)
{
	errno = saved_errno;
	*errnop = ERANGE;
	*h_errnop = NETDB_INTERNAL;
	return (NSS_STATUS_TRYAGAIN);
}

/* Bytes to skip at buf to align it on align. */
static size_t
nss_disco_pad(const char *buf, size_t align)
{
	return ((align - (uintptr_t)buf % align) % align);
}

/*
 * getaddrinfo(3)'s entry: every address of both families, in the agent's
 * order, as a list of tuples in buffer: the tuples first (aligned), then
 * the name.
 */
enum nss_status
_nss_disco_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat,
    char *buffer, size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp)
{
	struct nss_disco_reply *reply;
	struct nss_disco_result r;
	struct gaih_addrtuple  *tuples;
	size_t			pad, need, namelen, i;
	char		       *rname;
	int			saved_errno = errno;

	if ((reply = malloc(sizeof(*reply))) == NULL) {
		nss_disco_set(&r, NSS_STATUS_UNAVAIL, ENOMEM, NO_RECOVERY);
		return (nss_disco_return(&r, saved_errno, errnop, h_errnop));
	}
	nss_disco_lookup(name, AF_UNSPEC, reply, &r);
	if (r.status != NSS_STATUS_SUCCESS)
		goto out;

	namelen = strlen(reply->name) + 1;
	pad = nss_disco_pad(buffer, _Alignof(struct gaih_addrtuple));
	need = pad + reply->naddrs * sizeof(*tuples) + namelen;
	if (buflen < need) {
		free(reply);
		return (nss_disco_erange(saved_errno, errnop, h_errnop));
	}
	tuples = (struct gaih_addrtuple *)(void *)(buffer + pad);
	rname = (char *)(tuples + reply->naddrs);
	memcpy(rname, reply->name, namelen);
	for (i = 0; i < reply->naddrs; i++) {
		memset(&tuples[i], 0, sizeof(tuples[i]));
		tuples[i].next = i + 1 < reply->naddrs ? &tuples[i + 1] : NULL;
		tuples[i].name = rname;
		tuples[i].family = reply->addrs[i].family;
		tuples[i].scopeid = reply->addrs[i].scopeid;
		memcpy(tuples[i].addr, &reply->addrs[i].u,
		    reply->addrs[i].family == AF_INET ?
			sizeof(struct in_addr) :
			sizeof(struct in6_addr));
	}
	/* glibc may hand in a first tuple of its own to fill. */
	if (*pat != NULL)
		**pat = tuples[0];
	else
		*pat = tuples;
	if (ttlp != NULL)
		*ttlp = reply->ttl;
out:
	free(reply);
	return (nss_disco_return(&r, saved_errno, errnop, h_errnop));
}

/*
 * gethostbyname2(3) and friends: the addresses of family af in a hostent,
 * laid out in buffer as the alias and address pointer arrays (aligned),
 * the addresses, then the name.
 */
enum nss_status
_nss_disco_gethostbyname3_r(const char *name, int af, struct hostent *result,
    char *buffer, size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp,
    char **canonp)
{
	struct nss_disco_reply *reply;
	struct nss_disco_result r;
	size_t			pad, need, namelen, alen, i;
	char		      **aliases, **list, *addrs, *rname;
	int			saved_errno = errno;

	if (af == AF_UNSPEC)
		af = AF_INET;
	if (af != AF_INET && af != AF_INET6) {
		nss_disco_set(&r, NSS_STATUS_UNAVAIL, EAFNOSUPPORT, NO_DATA);
		return (nss_disco_return(&r, saved_errno, errnop, h_errnop));
	}
	if ((reply = malloc(sizeof(*reply))) == NULL) {
		nss_disco_set(&r, NSS_STATUS_UNAVAIL, ENOMEM, NO_RECOVERY);
		return (nss_disco_return(&r, saved_errno, errnop, h_errnop));
	}
	nss_disco_lookup(name, af, reply, &r);
	if (r.status != NSS_STATUS_SUCCESS)
		goto out;
	/*
	 * A hostent has no room for a scope: an IPv6 link-local address
	 * would be of no use without it (DNS leaves them out too).
	 */
	for (i = 0, need = 0; i < reply->naddrs; i++) {
		if (af == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&reply->addrs[i].u.in6))
			continue;
		reply->addrs[need++] = reply->addrs[i];
	}
	reply->naddrs = need;
	if (reply->naddrs == 0) {
		nss_disco_set(&r, NSS_STATUS_NOTFOUND, ENOENT, NO_DATA);
		goto out;
	}

	alen = af == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
	namelen = strlen(reply->name) + 1;
	pad = nss_disco_pad(buffer, _Alignof(char *));
	need = pad + (1 + reply->naddrs + 1) * sizeof(char *) +
	    reply->naddrs * alen + namelen;
	if (buflen < need) {
		free(reply);
		return (nss_disco_erange(saved_errno, errnop, h_errnop));
	}
	aliases = (char **)(void *)(buffer + pad);
	list = aliases + 1;
	addrs = (char *)(list + reply->naddrs + 1);
	rname = addrs + reply->naddrs * alen;
	aliases[0] = NULL;
	for (i = 0; i < reply->naddrs; i++) {
		memcpy(addrs + i * alen, &reply->addrs[i].u, alen);
		list[i] = addrs + i * alen;
	}
	list[i] = NULL;
	memcpy(rname, reply->name, namelen);
	result->h_name = rname;
	result->h_aliases = aliases;
	result->h_addrtype = af;
	result->h_length = (int)alen;
	result->h_addr_list = list;
	if (ttlp != NULL)
		*ttlp = reply->ttl;
	if (canonp != NULL)
		*canonp = rname;
out:
	free(reply);
	return (nss_disco_return(&r, saved_errno, errnop, h_errnop));
}

enum nss_status
_nss_disco_gethostbyname2_r(const char *name, int af, struct hostent *result,
    char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
	return (_nss_disco_gethostbyname3_r(name, af, result, buffer, buflen,
	    errnop, h_errnop, NULL, NULL));
}

enum nss_status
_nss_disco_gethostbyname_r(const char *name, struct hostent *result,
    char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
	return (_nss_disco_gethostbyname3_r(name, AF_INET, result, buffer,
	    buflen, errnop, h_errnop, NULL, NULL));
}
