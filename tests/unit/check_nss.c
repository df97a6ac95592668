/*
 * libnss_disco.so.2, dlopened as glibc does, against stand-in agents on a
 * lookup socket in a temporary directory: what it asks, what it returns
 * for each kind of reply, the names it must not ask about, its time
 * bound, a hostile agent, and no fd left behind on any path.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "check_main.h"

static enum nss_status (*module_gethostbyname4_r)(const char *,
    struct gaih_addrtuple **, char *, size_t, int *, int *, int32_t *);
static enum nss_status (*module_gethostbyname3_r)(const char *, int,
    struct hostent *, char *, size_t, int *, int *, int32_t *, char **);
static enum nss_status (*module_gethostbyname2_r)(const char *, int,
    struct hostent *, char *, size_t, int *, int *);
static enum nss_status (*module_gethostbyname_r)(const char *, struct hostent *,
    char *, size_t, int *, int *);

static void *module;
static char  dir[64], sock_path[96], link_path[96];
static pid_t agent_pid = -1;
static int   agent_req_fd = -1;

/* What the stand-in agent does once it has read a request. */
enum agent_mode {
	AGENT_REPLY,  /* writes the reply, waits for the close */
	AGENT_CLOSE,  /* writes the reply, closes at once */
	AGENT_SILENT, /* never answers */
};

static void
setup(void)
{
	module = dlopen(NSS_DISCO_MODULE, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(module != NULL, "dlopen: %s", dlerror());
	module_gethostbyname4_r = (enum nss_status(*)(const char *,
	    struct gaih_addrtuple **, char *, size_t, int *, int *,
	    int32_t *))dlsym(module, "_nss_disco_gethostbyname4_r");
	module_gethostbyname3_r = (enum nss_status(*)(const char *, int,
	    struct hostent *, char *, size_t, int *, int *, int32_t *,
	    char **))dlsym(module, "_nss_disco_gethostbyname3_r");
	module_gethostbyname2_r = (enum nss_status(*)(const char *, int,
	    struct hostent *, char *, size_t, int *, int *))dlsym(module,
	    "_nss_disco_gethostbyname2_r");
	module_gethostbyname_r = (enum nss_status(*)(const char *,
	    struct hostent *, char *, size_t, int *, int *))dlsym(module,
	    "_nss_disco_gethostbyname_r");
	ck_assert(module_gethostbyname4_r != NULL &&
	    module_gethostbyname3_r != NULL &&
	    module_gethostbyname2_r != NULL && module_gethostbyname_r != NULL);

	snprintf(dir, sizeof(dir), "/tmp/check_nss.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/lookup.sock", dir);
	snprintf(link_path, sizeof(link_path), "%s/domain", dir);
	ck_assert_int_eq(symlink("disco", link_path), 0);
	setenv("DISCO_LOOKUP_SOCKET", sock_path, 1);
	setenv("DISCO_DOMAIN_LINK", link_path, 1);
}

static void
teardown(void)
{
	if (agent_pid != -1) {
		kill(agent_pid, SIGKILL);
		waitpid(agent_pid, NULL, 0);
		agent_pid = -1;
	}
	if (agent_req_fd != -1) {
		close(agent_req_fd);
		agent_req_fd = -1;
	}
	unlink(sock_path);
	unlink(link_path);
	rmdir(dir);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
count_fds(void)
{
	DIR	      *d;
	struct dirent *de;
	int	       n = 0;

	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return (n);
}

/* A listening socket at sock_path. */
static int
agent_listen(void)
{
	struct sockaddr_un sun;
	int		   lfd;

	ck_assert_int_ne(lfd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, sock_path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	return (lfd);
}

/*
 * A stand-in agent: for every connection it reads one request line, hands
 * it to the test (agent_request()), then does what mode says with the
 * reply's len bytes (newline included or not, as the case wants).
 */
static void
agent_start(const char *reply, size_t len, enum agent_mode mode)
{
	char	buf[4096], c;
	size_t	n;
	ssize_t w;
	int	lfd, fd, p[2];

	lfd = agent_listen();
	ck_assert_int_eq(pipe(p), 0);
	if ((agent_pid = fork()) == 0) {
		alarm(10); /* never outlive the test */
		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		while ((fd = accept(lfd, NULL, NULL)) != -1) {
			n = 0;
			while (n < sizeof(buf) - 1 && read(fd, &c, 1) == 1 &&
			    c != '\n')
				buf[n++] = c;
			buf[n++] = '\n';
			if (write(p[1], buf, n) != (ssize_t)n)
				_exit(1);
			if (mode == AGENT_SILENT) {
				pause();
				_exit(0);
			}
			for (n = 0; n < len; n += (size_t)w)
				if ((w = write(fd, reply + n, len - n)) <= 0)
					break;
			if (mode == AGENT_REPLY)
				while (read(fd, &c, 1) == 1)
					; /* until the module closes */
			close(fd);
		}
		_exit(0);
	}
	close(p[1]);
	close(lfd);
	agent_req_fd = p[0];
}

static void
agent_reply(const char *reply)
{
	char *line;

	ck_assert_int_ne(asprintf(&line, "%s\n", reply), -1);
	agent_start(line, strlen(line), AGENT_REPLY);
	free(line);
}

/* The next request line the agent received, without its newline. */
static void
agent_request(char *buf, size_t size)
{
	size_t n = 0;
	char   c;

	while (n < size - 1 && read(agent_req_fd, &c, 1) == 1 && c != '\n')
		buf[n++] = c;
	buf[n] = '\0';
}

/* The lookups, each checked for an fd left open. */
static enum nss_status
lookup4(const char *name, struct gaih_addrtuple **pat, char *buf, size_t buflen,
    int *err, int *herr, int32_t *ttl)
{
	enum nss_status st;
	int		before = count_fds();

	*pat = NULL;
	*err = *herr = 0;
	st = module_gethostbyname4_r(name, pat, buf, buflen, err, herr, ttl);
	ck_assert_int_eq(count_fds(), before);
	return (st);
}

static enum nss_status
lookup3(const char *name, int af, struct hostent *he, char *buf, size_t buflen,
    int *err, int *herr, char **canon)
{
	enum nss_status st;
	int		before = count_fds();
	int32_t		ttl;

	memset(he, 0, sizeof(*he));
	*err = *herr = 0;
	st = module_gethostbyname3_r(name, af, he, buf, buflen, err, herr, &ttl,
	    canon);
	ck_assert_int_eq(count_fds(), before);
	return (st);
}

static const char *found_reply =
    "{\"ok\":true,\"name\":\"web.service.disco\",\"ttl\":5,\"addresses\":["
    "{\"address\":\"192.0.2.1\",\"family\":\"ipv4\",\"ifindex\":3},"
    "{\"address\":\"fe80::1\",\"family\":\"ipv6\",\"ifindex\":3},"
    "{\"address\":\"2001:db8::7\",\"family\":\"ipv6\",\"ifindex\":3},"
    "{\"address\":\"192.0.2.2\",\"family\":\"ipv4\",\"ifindex\":4}]}";

static void
assert_tuple(const struct gaih_addrtuple *t, int family, const char *addr,
    uint32_t scopeid)
{
	char want[16];

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->family, family);
	ck_assert_int_eq(inet_pton(family, addr, want), 1);
	ck_assert_mem_eq(t->addr, want, family == AF_INET ? 4 : 16);
	ck_assert_uint_eq(t->scopeid, scopeid);
	ck_assert_str_eq(t->name, "web.service.disco");
}

START_TEST(test_nss_getaddrinfo_entry_returns_both_families_in_agent_order)
{
	struct gaih_addrtuple *t;
	char		       buf[1024], req[4096];
	int		       err, herr;
	int32_t		       ttl = -1;

	agent_reply(found_reply);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_SUCCESS);
	ck_assert_int_eq(herr, NETDB_SUCCESS);
	ck_assert_int_eq(ttl, 5);
	assert_tuple(t, AF_INET, "192.0.2.1", 0);
	/* The scope id for the link-local address only. */
	assert_tuple(t->next, AF_INET6, "fe80::1", 3);
	assert_tuple(t->next->next, AF_INET6, "2001:db8::7", 0);
	assert_tuple(t->next->next->next, AF_INET, "192.0.2.2", 0);
	ck_assert_ptr_null(t->next->next->next->next);
	agent_request(req, sizeof(req));
	ck_assert_str_eq(req,
	    "{\"verb\":\"lookup\",\"name\":\"web.service.disco\"}");
}
END_TEST

START_TEST(test_nss_getaddrinfo_entry_fills_a_first_tuple_it_is_given)
{
	struct gaih_addrtuple first, *pat = &first;
	char		      buf[1024];
	int		      err, herr;

	agent_reply(found_reply);
	memset(&first, 0, sizeof(first));
	ck_assert_int_eq(module_gethostbyname4_r("web.service.disco", &pat, buf,
			     sizeof(buf), &err, &herr, NULL),
	    NSS_STATUS_SUCCESS);
	ck_assert_ptr_eq(pat, &first);
	assert_tuple(&first, AF_INET, "192.0.2.1", 0);
	assert_tuple(first.next, AF_INET6, "fe80::1", 3);
}
END_TEST

/* A hostent carries no scope: link-local fe80::1 is left out of it. */
START_TEST(test_nss_gethostbyname2_inet6_returns_only_ipv6_in_order)
{
	struct hostent he;
	char	       buf[1024], req[4096], want[16];

	int err, herr;

	agent_reply(found_reply);
	ck_assert_int_eq(module_gethostbyname2_r("web.service.disco", AF_INET6,
			     &he, buf, sizeof(buf), &err, &herr),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(he.h_name, "web.service.disco");
	ck_assert_ptr_null(he.h_aliases[0]);
	ck_assert_int_eq(he.h_addrtype, AF_INET6);
	ck_assert_int_eq(he.h_length, 16);
	inet_pton(AF_INET6, "2001:db8::7", want);
	ck_assert_mem_eq(he.h_addr_list[0], want, 16);
	ck_assert_ptr_null(he.h_addr_list[1]);
	agent_request(req, sizeof(req));
	ck_assert_str_eq(req,
	    "{\"verb\":\"lookup\",\"name\":\"web.service.disco\","
	    "\"family\":\"ipv6\"}");
}
END_TEST

START_TEST(test_nss_gethostbyname2_link_local_only_is_no_data)
{
	struct hostent he;
	char	       buf[1024];
	int	       err, herr;

	agent_reply("{\"ok\":true,\"addresses\":[{\"address\":\"fe80::1\","
		    "\"family\":\"ipv6\",\"ifindex\":3}]}");
	ck_assert_int_eq(module_gethostbyname2_r("h.disco", AF_INET6, &he, buf,
			     sizeof(buf), &err, &herr),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, NO_DATA);
}
END_TEST

START_TEST(test_nss_gethostbyname_asks_for_ipv4)
{
	struct hostent he;
	char	       buf[1024], req[4096], want[4];
	int	       err, herr;

	agent_reply(found_reply);
	ck_assert_int_eq(module_gethostbyname_r("web.service.disco", &he, buf,
			     sizeof(buf), &err, &herr),
	    NSS_STATUS_SUCCESS);
	ck_assert_int_eq(he.h_addrtype, AF_INET);
	ck_assert_int_eq(he.h_length, 4);
	inet_pton(AF_INET, "192.0.2.1", want);
	ck_assert_mem_eq(he.h_addr_list[0], want, 4);
	inet_pton(AF_INET, "192.0.2.2", want);
	ck_assert_mem_eq(he.h_addr_list[1], want, 4);
	ck_assert_ptr_null(he.h_addr_list[2]);
	agent_request(req, sizeof(req));
	ck_assert_str_eq(req,
	    "{\"verb\":\"lookup\",\"name\":\"web.service.disco\","
	    "\"family\":\"ipv4\"}");
}
END_TEST

START_TEST(test_nss_name_is_the_reply_s_else_the_one_asked)
{
	struct hostent he;
	char	       buf[1024], req[4096], *canon = NULL;
	int	       err, herr;

	agent_reply("{\"ok\":true,\"name\":\"Peer.Disco\",\"addresses\":"
		    "[{\"address\":\"192.0.2.9\",\"family\":\"ipv4\"}]}");
	ck_assert_int_eq(lookup3("PEER.disco.", AF_INET, &he, buf, sizeof(buf),
			     &err, &herr, &canon),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(he.h_name, "Peer.Disco");
	ck_assert_ptr_eq(canon, he.h_name);
	/* Case kept, trailing dot gone, in what is asked. */
	agent_request(req, sizeof(req));
	ck_assert_str_eq(req,
	    "{\"verb\":\"lookup\",\"name\":\"PEER.disco\",\"family\":\"ipv4\"}");
	teardown();
	setup();
	agent_reply("{\"ok\":true,\"addresses\":"
		    "[{\"address\":\"192.0.2.9\",\"family\":\"ipv4\"}]}");
	ck_assert_int_eq(lookup3("peer.disco.", AF_INET, &he, buf, sizeof(buf),
			     &err, &herr, &canon),
	    NSS_STATUS_SUCCESS);
	ck_assert_str_eq(he.h_name, "peer.disco");
}
END_TEST

START_TEST(test_nss_no_address_of_the_family_is_no_data)
{
	struct gaih_addrtuple *t;
	struct hostent	       he;
	char		       buf[1024];
	int		       err, herr;
	int32_t		       ttl;

	agent_reply("{\"ok\":true,\"name\":\"web.service.disco\",\"ttl\":5,"
		    "\"addresses\":[]}");
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, NO_DATA);
	ck_assert_int_eq(err, ENOENT);
	/* An agent that answers the other family only: the same. */
	teardown();
	setup();
	agent_reply("{\"ok\":true,\"addresses\":[{\"address\":\"192.0.2.1\","
		    "\"family\":\"ipv4\"}]}");
	ck_assert_int_eq(lookup3("web.service.disco", AF_INET6, &he, buf,
			     sizeof(buf), &err, &herr, NULL),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, NO_DATA);
}
END_TEST

START_TEST(test_nss_not_found_is_host_not_found)
{
	struct gaih_addrtuple *t;
	char		       buf[1024];
	int		       err, herr;
	int32_t		       ttl;

	agent_reply("{\"ok\":false,\"error\":{\"code\":\"not-found\","
		    "\"message\":\"no such name\"}}");
	ck_assert_int_eq(lookup4("nothing.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, HOST_NOT_FOUND);
	ck_assert_int_eq(err, ENOENT);
}
END_TEST

START_TEST(test_nss_bad_field_is_host_not_found)
{
	struct gaih_addrtuple *t;
	char		       buf[1024];
	int		       err, herr;
	int32_t		       ttl;

	agent_reply("{\"ok\":false,\"error\":{\"code\":\"bad-field\","
		    "\"field\":\"name\",\"message\":\"not in the domain\"}}");
	ck_assert_int_eq(lookup4("x.y.disco", &t, buf, sizeof(buf), &err, &herr,
			     &ttl),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, HOST_NOT_FOUND);
}
END_TEST

START_TEST(test_nss_other_agent_errors_are_unavail_try_again)
{
	struct gaih_addrtuple *t;
	char		       buf[1024];
	int		       err, herr;
	int32_t		       ttl;

	agent_reply("{\"ok\":false,\"error\":{\"code\":\"unavailable\","
		    "\"message\":\"avahi-daemon is away\"}}");
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(herr, TRY_AGAIN);
}
END_TEST

/* Names the module must answer without connecting. */
static const char *const not_ours[] = {
	"example.com",
	"localhost",
	"disco.example.com",
	"xdisco", /* a suffix, not a label */
	"web.service.discox",
	"",
	".disco", /* an empty label */
	"web..disco",
	"web.service.disco..",
};

START_TEST(test_nss_names_outside_the_domain_are_not_found_without_a_connection)
{
	struct gaih_addrtuple *t;
	struct hostent	       he;
	struct pollfd	       pfd;
	char		       buf[1024];
	int		       lfd, err, herr;
	int32_t		       ttl;

	lfd = agent_listen();
	ck_assert_int_eq(lookup4(not_ours[_i], &t, buf, sizeof(buf), &err,
			     &herr, &ttl),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, HOST_NOT_FOUND);
	ck_assert_int_eq(lookup3(not_ours[_i], AF_INET, &he, buf, sizeof(buf),
			     &err, &herr, NULL),
	    NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, HOST_NOT_FOUND);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	close(lfd);
}
END_TEST

START_TEST(test_nss_too_long_names_are_not_found_without_a_connection)
{
	struct gaih_addrtuple *t;
	struct pollfd	       pfd;
	char		       name[512], buf[1024];
	int		       lfd, err, herr;
	int32_t		       ttl;

	lfd = agent_listen();
	/* 254 bytes, under the domain: over the 253 of RFC 1035. */
	memset(name, 'a', 248);
	strcpy(name + 248, ".disco");
	for (size_t i = 60; i < 248; i += 60)
		name[i] = '.';
	ck_assert_uint_eq(strlen(name), 254);
	ck_assert_int_eq(lookup4(name, &t, buf, sizeof(buf), &err, &herr, &ttl),
	    NSS_STATUS_NOTFOUND);
	/* A label of 64 bytes. */
	memset(name, 'a', 64);
	strcpy(name + 64, ".disco");
	ck_assert_int_eq(lookup4(name, &t, buf, sizeof(buf), &err, &herr, &ttl),
	    NSS_STATUS_NOTFOUND);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	close(lfd);
}
END_TEST

START_TEST(test_nss_domain_is_matched_without_case_and_trailing_dot)
{
	struct gaih_addrtuple *t;
	char		       buf[1024], req[4096];
	int		       err, herr;
	int32_t		       ttl;

	/* The link may name the domain with a trailing dot too. */
	unlink(link_path);
	ck_assert_int_eq(symlink("Disco.", link_path), 0);
	agent_reply(found_reply);
	ck_assert_int_eq(lookup4("WEB.SERVICE.DISCO.", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_SUCCESS);
	agent_request(req, sizeof(req));
	ck_assert_str_eq(req,
	    "{\"verb\":\"lookup\",\"name\":\"WEB.SERVICE.DISCO\"}");
	/* The domain itself is asked about as well. */
	ck_assert_int_eq(lookup4("disco", &t, buf, sizeof(buf), &err, &herr,
			     &ttl),
	    NSS_STATUS_SUCCESS);
	agent_request(req, sizeof(req));
	ck_assert_str_eq(req, "{\"verb\":\"lookup\",\"name\":\"disco\"}");
}
END_TEST

START_TEST(test_nss_no_domain_link_is_unavail_at_once)
{
	struct gaih_addrtuple *t;
	struct pollfd	       pfd;
	char		       buf[1024];
	int		       lfd, err, herr;
	int32_t		       ttl;

	lfd = agent_listen();
	unlink(link_path);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(err, ENOENT);
	ck_assert_int_eq(herr, NO_RECOVERY);
	/* Any name: the module cannot tell whose it is. */
	ck_assert_int_eq(lookup4("example.com", &t, buf, sizeof(buf), &err,
			     &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	close(lfd);
}
END_TEST

START_TEST(test_nss_no_socket_is_unavail_fast)
{
	struct gaih_addrtuple *t;
	struct sockaddr_un     sun;
	char		       buf[1024];
	int		       fd, err, herr;
	int32_t		       ttl;
	long long	       t0;

	t0 = now_ms();
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_lt(now_ms() - t0, 100);
	ck_assert_int_eq(err, ENOENT);
	ck_assert_int_eq(herr, NO_RECOVERY);
	/* A socket nobody listens on (an agent that died): refused. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, sock_path, sizeof(sun.sun_path) - 1);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	t0 = now_ms();
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_lt(now_ms() - t0, 100);
	ck_assert_int_eq(err, ECONNREFUSED);
	close(fd);
}
END_TEST

START_TEST(test_nss_silent_agent_is_unavail_within_the_bound)
{
	struct gaih_addrtuple *t;
	char		       buf[1024];
	int		       err, herr;
	int32_t		       ttl;
	long long	       t0, took;

	agent_start("", 0, AGENT_SILENT);
	t0 = now_ms();
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	took = now_ms() - t0;
	ck_assert_int_ge(took, 1000);
	ck_assert_int_le(took, 1500);
	ck_assert_int_eq(err, ETIMEDOUT);
	ck_assert_int_eq(herr, TRY_AGAIN);
}
END_TEST

START_TEST(test_nss_small_buffer_is_erange_then_a_larger_one_works)
{
	struct gaih_addrtuple *t;
	struct hostent	       he;
	char		       buf[1024];
	size_t		       len;
	int		       err, herr;
	int32_t		       ttl;

	agent_reply(found_reply);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, 64, &err, &herr,
			     &ttl),
	    NSS_STATUS_TRYAGAIN);
	ck_assert_int_eq(err, ERANGE);
	ck_assert_int_eq(herr, NETDB_INTERNAL);
	ck_assert_int_eq(lookup3("web.service.disco", AF_INET6, &he, buf, 40,
			     &err, &herr, NULL),
	    NSS_STATUS_TRYAGAIN);
	ck_assert_int_eq(err, ERANGE);
	ck_assert_int_eq(herr, NETDB_INTERNAL);
	/* Every size up to the one that fits: never a byte past buflen. */
	for (len = 0; len < 300; len++) {
		memset(buf, 0x5a, sizeof(buf));
		if (lookup4("web.service.disco", &t, buf + 1, len, &err, &herr,
			&ttl) == NSS_STATUS_SUCCESS)
			break;
		ck_assert_int_eq(err, ERANGE);
		ck_assert_uint_eq((unsigned char)buf[1 + len], 0x5a);
	}
	ck_assert_uint_lt(len, 300);
	assert_tuple(t, AF_INET, "192.0.2.1", 0);
	assert_tuple(t->next, AF_INET6, "fe80::1", 3);
	for (len = 0; len < 300; len++) {
		memset(buf, 0x5a, sizeof(buf));
		if (lookup3("web.service.disco", AF_INET6, &he, buf + 3, len,
			&err, &herr, NULL) == NSS_STATUS_SUCCESS)
			break;
		ck_assert_int_eq(err, ERANGE);
		ck_assert_uint_eq((unsigned char)buf[3 + len], 0x5a);
	}
	ck_assert_uint_lt(len, 300);
	ck_assert_ptr_nonnull(he.h_addr_list[0]);
	ck_assert_ptr_null(he.h_addr_list[1]);
}
END_TEST

/* Replies a buggy or hostile agent may send, and what they must give. */
static const struct hostile_reply {
	const char     *line; /* sent with a newline */
	enum nss_status status;
} hostile_replies[] = {
	{ "garbage", NSS_STATUS_UNAVAIL },
	{ "", NSS_STATUS_UNAVAIL },
	{ "[]", NSS_STATUS_UNAVAIL },
	{ "{}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":1,\"addresses\":[]}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":{}}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[1]}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":1,\"family\":\"ipv4\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"192.0.2.1\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"192.0.2.1\","
	  "\"family\":\"ipx\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"999.0.2.1\","
	  "\"family\":\"ipv4\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"fe80::1\","
	  "\"family\":\"ipv4\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"192.0.2.1\","
	  "\"family\":\"ipv6\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"192.0.2.1\\u0000x\","
	  "\"family\":\"ipv4\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"fe80::1\","
	  "\"family\":\"ipv6\",\"ifindex\":\"3\"}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"fe80::1\","
	  "\"family\":\"ipv6\",\"ifindex\":-1}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[{\"address\":\"fe80::1\","
	  "\"family\":\"ipv6\",\"ifindex\":99999999999}]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"name\":7,\"addresses\":[]}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"name\":\"\",\"addresses\":[]}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"name\":\"a..b\",\"addresses\":[]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"name\":\"a\\nb\",\"addresses\":[]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"name\":\"a\\u0000b\",\"addresses\":[]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"ttl\":\"5\",\"addresses\":[]}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"ttl\":-5,\"addresses\":[]}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[]} trailing", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[]}{\"ok\":true}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	    NSS_STATUS_UNAVAIL },
	{ "{\"ok\":false}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":false,\"error\":\"not-found\"}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":false,\"error\":{\"code\":5}}", NSS_STATUS_UNAVAIL },
	{ "{\"ok\":true,\"addresses\":[]}\n", NSS_STATUS_NOTFOUND },
};

START_TEST(test_nss_hostile_reply_is_unavail_or_not_found)
{
	struct gaih_addrtuple *t;
	struct hostent	       he;
	char		       buf[4096];
	int		       err, herr;
	int32_t		       ttl;

	agent_reply(hostile_replies[_i].line);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    hostile_replies[_i].status);
	ck_assert_int_eq(lookup3("web.service.disco", AF_INET, &he, buf,
			     sizeof(buf), &err, &herr, NULL),
	    hostile_replies[_i].status);
}
END_TEST

START_TEST(test_nss_reply_without_newline_then_close_is_unavail)
{
	struct gaih_addrtuple *t;
	const char	      *reply = "{\"ok\":true,\"addresses\":[]}";
	char		       buf[1024];
	int		       err, herr;
	int32_t		       ttl;

	agent_start(reply, strlen(reply), AGENT_CLOSE);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(err, EBADMSG);
}
END_TEST

/* A reply line of n addresses, each "{...}" of ipv4 10.x.y.z. */
static char *
many_addresses(size_t n)
{
	char  *line, *p;
	size_t k;

	ck_assert_ptr_nonnull(line = malloc(64 + n * 64));
	p = line + sprintf(line, "{\"ok\":true,\"addresses\":[");
	for (k = 0; k < n; k++)
		p += sprintf(p,
		    "%s{\"address\":\"10.%zu.%zu.%zu\","
		    "\"family\":\"ipv4\"}",
		    k > 0 ? "," : "", k >> 16, (k >> 8) & 0xff, k & 0xff);
	strcpy(p, "]}\n");
	return (line);
}

START_TEST(test_nss_over_long_reply_lines_are_unavail)
{
	struct gaih_addrtuple *t;
	char		       buf[1024], *line;
	int		       err, herr;
	int32_t		       ttl;

	/* A 70000-byte line of nothing. */
	ck_assert_ptr_nonnull(line = malloc(70001));
	memset(line, 'x', 70000);
	line[70000] = '\n';
	agent_start(line, 70001, AGENT_REPLY);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(err, EBADMSG);
	free(line);
	teardown();
	setup();
	/* 10000 addresses: past the line limit too. */
	line = many_addresses(10000);
	ck_assert_uint_gt(strlen(line), 65536);
	agent_start(line, strlen(line), AGENT_REPLY);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_UNAVAIL);
	free(line);
}
END_TEST

START_TEST(test_nss_addresses_past_256_are_ignored)
{
	struct gaih_addrtuple *t;
	struct hostent	       he;
	char		       buf[65536], *line;
	size_t		       n;
	int		       err, herr;
	int32_t		       ttl;

	line = many_addresses(1000);
	ck_assert_uint_lt(strlen(line), 65536);
	agent_start(line, strlen(line), AGENT_REPLY);
	free(line);
	ck_assert_int_eq(lookup4("web.service.disco", &t, buf, sizeof(buf),
			     &err, &herr, &ttl),
	    NSS_STATUS_SUCCESS);
	for (n = 0; t != NULL; t = t->next)
		n++;
	ck_assert_uint_eq(n, 256);
	ck_assert_int_eq(lookup3("web.service.disco", AF_INET, &he, buf,
			     sizeof(buf), &err, &herr, NULL),
	    NSS_STATUS_SUCCESS);
	for (n = 0; he.h_addr_list[n] != NULL; n++)
		;
	ck_assert_uint_eq(n, 256);
}
END_TEST

START_TEST(test_nss_exports_only_the_forward_entry_points)
{
	ck_assert_ptr_null(dlsym(module, "_nss_disco_gethostbyaddr_r"));
	ck_assert_ptr_null(dlsym(module, "_nss_disco_gethostbyaddr2_r"));
	ck_assert_ptr_null(dlsym(module, "nss_disco_lookup"));
}
END_TEST

/*
 * getaddrinfo(3) itself through the module: glibc finds the module it
 * dlopens by name among those loaded (ours, by its soname), and
 * __nss_configure_lookup() stands for nsswitch.conf.
 */
START_TEST(test_nss_getaddrinfo_resolves_through_the_module)
{
	struct addrinfo	    hints, *res, *ai;
	struct sockaddr_in6 sin6;
	char		    want[16];
	int		    v4 = 0, ll = 0, before;

	agent_reply(found_reply);
	ck_assert_int_eq(__nss_configure_lookup("hosts", "disco"), 0);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	before = count_fds();
	ck_assert_int_eq(getaddrinfo("web.service.disco", "80", &hints, &res),
	    0);
	ck_assert_int_eq(count_fds(), before);
	inet_pton(AF_INET6, "fe80::1", want);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			v4++;
		if (ai->ai_family != AF_INET6)
			continue;
		memcpy(&sin6, ai->ai_addr, sizeof(sin6));
		if (memcmp(&sin6.sin6_addr, want, 16) == 0) {
			ll++;
			ck_assert_uint_eq(sin6.sin6_scope_id, 3);
		}
	}
	ck_assert_int_eq(v4, 2);
	ck_assert_int_eq(ll, 1);
	freeaddrinfo(res);
	ck_assert_int_eq(getaddrinfo("example.com", "80", &hints, &res),
	    EAI_NONAME);
}
END_TEST

static Suite *
nss_suite(void)
{
	Suite *s = suite_create("nss");
	TCase *found = tcase_create("found");
	TCase *names = tcase_create("names");
	TCase *errs = tcase_create("errors");
	TCase *hostile = tcase_create("hostile");

	tcase_add_checked_fixture(found, setup, teardown);
	tcase_add_checked_fixture(names, setup, teardown);
	tcase_add_checked_fixture(errs, setup, teardown);
	tcase_add_checked_fixture(hostile, setup, teardown);
	tcase_add_test(found,
	    test_nss_getaddrinfo_entry_returns_both_families_in_agent_order);
	tcase_add_test(found,
	    test_nss_getaddrinfo_entry_fills_a_first_tuple_it_is_given);
	tcase_add_test(found,
	    test_nss_gethostbyname2_inet6_returns_only_ipv6_in_order);
	tcase_add_test(found,
	    test_nss_gethostbyname2_link_local_only_is_no_data);
	tcase_add_test(found, test_nss_gethostbyname_asks_for_ipv4);
	tcase_add_test(found, test_nss_name_is_the_reply_s_else_the_one_asked);
	tcase_add_test(found, test_nss_no_address_of_the_family_is_no_data);
	tcase_add_test(found, test_nss_not_found_is_host_not_found);
	tcase_add_test(found, test_nss_bad_field_is_host_not_found);
	tcase_add_test(found, test_nss_addresses_past_256_are_ignored);
	tcase_add_test(found, test_nss_getaddrinfo_resolves_through_the_module);
	tcase_add_loop_test(names,
	    test_nss_names_outside_the_domain_are_not_found_without_a_connection,
	    0, sizeof(not_ours) / sizeof(not_ours[0]));
	tcase_add_test(names,
	    test_nss_too_long_names_are_not_found_without_a_connection);
	tcase_add_test(names,
	    test_nss_domain_is_matched_without_case_and_trailing_dot);
	tcase_add_test(names, test_nss_exports_only_the_forward_entry_points);
	tcase_set_timeout(errs, 10);
	tcase_add_test(errs, test_nss_no_domain_link_is_unavail_at_once);
	tcase_add_test(errs, test_nss_no_socket_is_unavail_fast);
	tcase_add_test(errs, test_nss_silent_agent_is_unavail_within_the_bound);
	tcase_add_test(errs, test_nss_other_agent_errors_are_unavail_try_again);
	tcase_add_test(errs,
	    test_nss_small_buffer_is_erange_then_a_larger_one_works);
	tcase_add_loop_test(hostile,
	    test_nss_hostile_reply_is_unavail_or_not_found, 0,
	    sizeof(hostile_replies) / sizeof(hostile_replies[0]));
	tcase_add_test(hostile,
	    test_nss_reply_without_newline_then_close_is_unavail);
	tcase_add_test(hostile, test_nss_over_long_reply_lines_are_unavail);
	suite_add_tcase(s, found);
	suite_add_tcase(s, names);
	suite_add_tcase(s, errs);
	suite_add_tcase(s, hostile);
	return (s);
}

CHECK_MAIN(nss_suite)
