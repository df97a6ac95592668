/*
 * Metrics (metrics.c): the text is valid Prometheus exposition format
 * (every sample under its HELP and TYPE, histograms cumulative, +Inf
 * equal to count), its counters move by exactly what was done, and the
 * HTTP port answers /metrics and refuses everything else within bounds.
 * discod's control path runs for real, as in check_watch: a socketpair
 * adopted as a client, Avahi absent.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include <event2/buffer.h>

#include "check_agent.h"
#include "check_main.h"
#include "discod.h"

static int http_port;

/* A port on 127.0.0.1 nobody listens on now. */
static int
free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t	   len = sizeof(sin);
	int		   fd = socket(AF_INET, SOCK_STREAM, 0), port;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

/* No DNS port; with http, /metrics on a free port of 127.0.0.1. */
static void
tune_plain(struct config *conf)
{
	free(conf->dns_listen);
	conf->dns_listen = NULL;
}

static void
tune_http(struct config *conf)
{
	char listen[32];

	tune_plain(conf);
	http_port = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", http_port);
	conf->metrics_listen = xstrdup(listen);
}

static void
agent_up(int http)
{
	agent_up_with(http ? tune_http : tune_plain);
}

/* The whole text as the metrics verb and /metrics give it. */
static char *
render(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t		 len = 0;
	char		*s;

	metrics_render(b);
	len = evbuffer_get_length(b);
	s = xmalloc(len + 1);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	evbuffer_free(b);
	return (s);
}

/*
 * The value of one sample: name and labels exactly as printed
 * ("disco_requests_total{verb=\"status\",result=\"ok\"}"); -1 if absent.
 */
static double
sample(const char *text, const char *series)
{
	const char *p = text;
	size_t	    len = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[len] == ' ')
			return (strtod(p + len + 1, NULL));
		p += len;
	}
	return (-1);
}

/* ---- a strict reader of the text format ----------------------------- */

static int
metric_name_ok(const char *s, size_t len)
{
	size_t k;

	if (len == 0 ||
	    !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
		return (0);
	for (k = 1; k < len; k++) {
		if (!isalnum((unsigned char)s[k]) && s[k] != '_' && s[k] != ':')
			return (0);
	}
	return (1);
}

/*
 * Check every line; fails the test with the line that is wrong.  Returns
 * the number of samples.
 */
static int
check_exposition(const char *text)
{
	char	    family[128] = "", type[32] = "", helped[128] = "";
	char	    line[1024], seen[256][128], hname[160], le[32], *end;
	const char *p = text, *nl, *brace, *sp;
	size_t	    len, nlen, nseen = 0, k;
	int	    nsamples = 0;
	double	    v, last_bucket = -1;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "the text does not end in a newline");
		len = (size_t)(nl - p);
		ck_assert_uint_lt(len, sizeof(line));
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			sp = strchr(line + 7, ' ');
			ck_assert_msg(sp != NULL, "HELP without text: %s",
			    line);
			nlen = (size_t)(sp - (line + 7));
			ck_assert_msg(metric_name_ok(line + 7, nlen),
			    "bad name: %s", line);
			snprintf(helped, sizeof(helped), "%.*s", (int)nlen,
			    line + 7);
			for (k = 0; k < nseen; k++)
				ck_assert_msg(strcmp(seen[k], helped) != 0,
				    "family %s given twice", helped);
			ck_assert_uint_lt(nseen, 256);
			strlcpy(seen[nseen++], helped, sizeof(seen[0]));
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %31s", family,
					     type),
			    2);
			ck_assert_str_eq(family, helped);
			ck_assert_msg(strcmp(type, "counter") == 0 ||
				strcmp(type, "gauge") == 0 ||
				strcmp(type, "histogram") == 0,
			    "type %s", type);
			last_bucket = -1;
			continue;
		}
		ck_assert_msg(line[0] != '#', "comment: %s", line);
		ck_assert_msg(family[0] != '\0', "sample before TYPE: %s",
		    line);
		/* name{labels} value */
		brace = strchr(line, '{');
		sp = strrchr(line, ' ');
		ck_assert_msg(sp != NULL, "no value: %s", line);
		nlen = brace != NULL && brace < sp ? (size_t)(brace - line) :
						     (size_t)(sp - line);
		ck_assert_msg(metric_name_ok(line, nlen), "bad name: %s", line);
		snprintf(hname, sizeof(hname), "%.*s", (int)nlen, line);
		if (strcmp(type, "histogram") == 0) {
			len = strlen(family);
			ck_assert_msg(strncmp(hname, family, len) == 0 &&
				(strcmp(hname + len, "_bucket") == 0 ||
				    strcmp(hname + len, "_sum") == 0 ||
				    strcmp(hname + len, "_count") == 0),
			    "%s under histogram %s", hname, family);
		} else
			ck_assert_msg(strcmp(hname, family) == 0, "%s under %s",
			    hname, family);
		if (strcmp(type, "counter") == 0)
			ck_assert_msg(strlen(family) > 6 &&
				strcmp(family + strlen(family) - 6, "_total") ==
				    0,
			    "counter %s does not end in _total", family);
		if (brace != NULL && brace < sp) {
			/* k="v",k="v"} with \\ \" \n escapes only */
			const char *q = brace + 1;

			while (*q != '}') {
				const char *eq = strchr(q, '=');

				ck_assert_msg(eq != NULL &&
					metric_name_ok(q, (size_t)(eq - q)) &&
					eq[1] == '"',
				    "bad label: %s", line);
				for (q = eq + 2; *q != '"'; q++) {
					ck_assert_msg(*q != '\0',
					    "open label: %s", line);
					if (*q == '\\') {
						q++;
						ck_assert_msg(*q == '\\' ||
							*q == '"' || *q == 'n',
						    "bad escape: %s", line);
					}
				}
				q++;
				if (*q == ',')
					q++;
				else
					ck_assert_msg(*q == '}',
					    "bad labels: %s", line);
			}
			ck_assert_msg(q + 1 == sp, "junk after labels: %s",
			    line);
		}
		if (strcmp(sp + 1, "+Inf") != 0) {
			v = strtod(sp + 1, &end);
			ck_assert_msg(*end == '\0' && sp[1] != '\0',
			    "bad value: %s", line);
			ck_assert_msg(strcmp(type, "gauge") == 0 || v >= 0,
			    "negative: %s", line);
		} else
			v = 1e308;
		if (strcmp(type, "histogram") == 0 &&
		    strstr(hname, "_bucket") != NULL) {
			/* cumulative within one verb's row */
			ck_assert_ptr_nonnull(strstr(line, "le=\""));
			sscanf(strstr(line, "le=\"") + 4, "%31[^\"]", le);
			if (strcmp(le, "1e-05") == 0)
				last_bucket = -1;
			ck_assert_msg(v >= last_bucket,
			    "buckets not cumulative: %s", line);
			last_bucket = v;
		} else if (strcmp(type, "histogram") == 0 &&
		    strstr(hname, "_count") != NULL)
			ck_assert_msg(v == last_bucket,
			    "count is not the +Inf bucket: %s", line);
		nsamples++;
	}
	return (nsamples);
}

START_TEST(test_metrics_text_is_valid_exposition_format)
{
	char *text;
	int   fd;

	agent_up(0);
	fd = client_new();
	send_line(fd, "{\"verb\":\"status\"}");
	send_line(fd,
	    "{\"verb\":\"resolve\",\"name\":\"x\",\"type\":\"_t._tcp\"}");
	drain(fd);
	text = render();
	ck_assert_int_gt(check_exposition(text), 50);
	/* the fixed families are all there */
	ck_assert_ptr_nonnull(strstr(text,
	    "\ndisco_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n# TYPE disco_avahi_state gauge"));
	ck_assert_ptr_nonnull(strstr(text, "\n# TYPE disco_checks_total"));
	ck_assert_ptr_nonnull(strstr(text, "\n# TYPE disco_peers gauge"));
	ck_assert_ptr_nonnull(strstr(text,
	    "\n# TYPE process_start_time_seconds gauge"));
	free(text);
}
END_TEST

/* Each counter moves by what was done, no more. */
START_TEST(test_metrics_count_requests_by_verb_and_result)
{
	char *before, *after;
	int   fd, k;

	agent_up(0);
	fd = client_new();
	before = render();
	for (k = 0; k < 3; k++)
		send_line(fd,
		    "{\"verb\":\"resolve\",\"name\":\"nobody\","
		    "\"type\":\"_t._tcp\"}");
	for (k = 0; k < 2; k++)
		send_line(fd, "{\"verb\":\"types\"}");
	send_line(fd, "{\"verb\":\"frobnicate\"}");
	send_line(fd,
	    "{\"verb\":\"pick\",\"type\":\"_t._tcp\",\"wait_ms\":50}");
	drain(fd);
	after = render();
	ck_assert_double_eq(sample(before,
				"disco_requests_total{verb=\"resolve\","
				"result=\"not-found\"}"),
	    -1);
	ck_assert_double_eq(sample(after,
				"disco_requests_total{verb=\"resolve\","
				"result=\"not-found\"}"),
	    3);
	ck_assert_double_eq(sample(after,
				"disco_requests_total{verb=\"types\","
				"result=\"ok\"}"),
	    2);
	ck_assert_double_eq(sample(after,
				"disco_requests_total{verb=\"unknown\","
				"result=\"unknown-verb\"}"),
	    1);
	ck_assert_double_eq(sample(after,
				"disco_requests_total{verb=\"pick\","
				"result=\"deferred\"}"),
	    1);
	ck_assert_double_eq(sample(after,
				"disco_request_duration_seconds_count"
				"{verb=\"resolve\"}"),
	    3);
	ck_assert_double_eq(sample(after,
				"disco_request_duration_seconds_bucket"
				"{verb=\"resolve\",le=\"+Inf\"}"),
	    3);
	ck_assert_double_eq(sample(after,
				"disco_request_duration_seconds_count"
				"{verb=\"status\"}"),
	    0);
	ck_assert(sample(after,
		      "disco_request_duration_seconds_sum{verb=\"resolve\"}") >
	    0);
	free(before);
	free(after);
}
END_TEST

static struct instance *
put(const char *name)
{
	struct instance *i;
	struct txt	 t = { 0 };
	unsigned char	 addr[4] = { 198, 51, 100, 9 };
	int		 is_new;

	i = cache_seen(&discod->cache, name, "_t._tcp", "local", 2, "eth0",
	    AF_INET, 0, &is_new);
	cache_resolved(&discod->cache, i, 2, AF_INET, "h.local", 80, &t, addr);
	return (i);
}

START_TEST(test_metrics_cache_states_and_client_drops)
{
	struct instance *a;
	char		*text, big[PROTO_LINE_MAX + 64];
	int		 fd, k;
	double		 events;

	agent_up(0);
	a = put("A");
	put("B");
	put("C");
	(void)cache_seen(&discod->cache, "D", "_t._tcp", "local", 2, "eth0",
	    AF_INET, 0, &k);
	text = render();
	ck_assert_double_eq(sample(text,
				"disco_cache_instances{state=\"answered\"}"),
	    3);
	ck_assert_double_eq(sample(text,
				"disco_cache_instances{state=\"unresolved\"}"),
	    1);
	events = sample(text, "disco_cache_events_total");
	ck_assert(events >= 3);
	free(text);

	cache_set_reachable(&discod->cache, a, 0);
	text = render();
	ck_assert_double_eq(sample(text,
				"disco_cache_instances{state=\"answered\"}"),
	    2);
	ck_assert_double_eq(sample(text,
				"disco_cache_instances{state=\"unreachable\"}"),
	    1);
	ck_assert_double_eq(sample(text, "disco_cache_events_total"),
	    events + 1);
	free(text);

	/* A request over the line limit: that client is dropped, so said. */
	fd = client_new();
	memset(big, 'x', sizeof(big));
	(void)write(fd, big, sizeof(big));
	drain(fd);
	drain(fd);
	text = render();
	ck_assert_double_eq(sample(text,
				"disco_clients_dropped_total{reason="
				"\"oversized_request\"}"),
	    1);
	ck_assert_double_eq(sample(text,
				"disco_clients_dropped_total{reason="
				"\"not_reading\"}"),
	    0);
	ck_assert_double_eq(sample(text, "disco_clients_accepted_total"), 1);
	free(text);
	close(fd);
}
END_TEST

/* Watches and registrations: counted as they come and go. */
START_TEST(test_metrics_watchers_and_registrations)
{
	char *text;
	int   w, r;

	agent_up(0);
	w = client_new();
	r = client_new();
	send_line(w, "{\"verb\":\"watch\",\"type\":\"_t._tcp\"}");
	send_line(r,
	    "{\"verb\":\"register\",\"name\":\"R\",\"type\":\"_r._tcp\","
	    "\"port\":80}");
	drain(w);
	drain(r);
	put("A");
	put("B");
	drain(w);
	text = render();
	ck_assert_double_eq(sample(text, "disco_watchers"), 1);
	ck_assert_double_eq(sample(text, "disco_watch_events_total"), 2);
	ck_assert_double_eq(sample(text,
				"disco_registrations{origin=\"client\","
				"state=\"waiting\"}"),
	    1);
	ck_assert_double_eq(sample(text,
				"disco_registrations{origin=\"file\","
				"state=\"waiting\"}"),
	    0);
	free(text);
	close(w);
	close(r);
	spin();
	text = render();
	ck_assert_double_eq(sample(text, "disco_watchers"), 0);
	ck_assert_double_eq(sample(text, "disco_watchers_dropped_total"), 0);
	free(text);
}
END_TEST

/* ---- HTTP ----------------------------------------------------------- */

static int
http_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int		   fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	sin.sin_port = htons((uint16_t)http_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		ck_assert_int_eq(errno, EINPROGRESS);
	spin();
	return (fd);
}

/*
 * Run the loop until fd is closed by discod (or ms pass); what it sent,
 * and whether it closed.
 */
static char reply[1 << 20];

static int
http_read(int fd, int ms)
{
	struct timespec t0, t1;
	size_t		len = 0;
	ssize_t		n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		event_base_loop(discod->base, EVLOOP_NONBLOCK | EVLOOP_ONCE);
		n = read(fd, reply + len, sizeof(reply) - 1 - len);
		if (n == 0) {
			reply[len] = '\0';
			return (1);
		}
		if (n > 0)
			len += (size_t)n;
		else if (errno != EAGAIN)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 +
			(t1.tv_nsec - t0.tv_nsec) / 1000000 >
		    ms)
			break;
		poll(NULL, 0, 1);
	}
	reply[len] = '\0';
	return (0);
}

static const char *
http_ask(const char *request)
{
	int fd = http_connect();

	ck_assert_int_eq(write(fd, request, strlen(request)),
	    (ssize_t)strlen(request));
	ck_assert_msg(http_read(fd, 2000), "no answer to %s", request);
	close(fd);
	return (reply);
}

START_TEST(test_metrics_http_answers_metrics_and_refuses_the_rest)
{
	const char *r, *body;
	char	    head[9000];
	int	    fd, fds[20], k, closed = 0;

	agent_up(1);
	r = http_ask("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r);
	ck_assert_ptr_nonnull(strstr(r,
	    "\r\nContent-Type: text/plain; "
	    "version=0.0.4"));
	ck_assert_ptr_nonnull(body = strstr(r, "\r\n\r\n"));
	ck_assert_int_gt(check_exposition(body + 4), 50);
	ck_assert_int_eq((int)strtol(strstr(r, "Content-Length: ") + 16, NULL,
			     10),
	    (int)strlen(body + 4));

	r = http_ask("HEAD /metrics?x=1 HTTP/1.0\r\n\r\n");
	ck_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ck_assert_str_eq(strstr(r, "\r\n\r\n"), "\r\n\r\n");
	ck_assert(strncmp(http_ask("POST /metrics HTTP/1.1\r\n\r\n"),
		      "HTTP/1.1 405 ", 13) == 0);
	ck_assert(strncmp(http_ask("GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 ",
		      13) == 0);
	ck_assert(strncmp(http_ask("\x01\x02garbage\r\n\r\n"), "HTTP/1.1 400 ",
		      13) == 0);
	ck_assert(strncmp(http_ask("GET /metrics\r\n\r\n"), "HTTP/1.1 400 ",
		      13) == 0);

	/* A head that never ends: refused once past the limit. */
	fd = http_connect();
	memset(head, 'a', sizeof(head));
	memcpy(head, "GET /metrics HTTP/1.1\r\nX: ", 26);
	ck_assert_int_eq(write(fd, head, sizeof(head)), (ssize_t)sizeof(head));
	ck_assert(http_read(fd, 2000));
	ck_assert_msg(strncmp(reply, "HTTP/1.1 431 ", 13) == 0, "%s", reply);
	close(fd);

	/* 16 at once; the 17th and later are closed unanswered. */
	for (k = 0; k < 20; k++)
		fds[k] = http_connect();
	spin();
	for (k = 16; k < 20; k++)
		closed += http_read(fds[k], 500) && reply[0] == '\0';
	ck_assert_int_eq(closed, 4);
	/* The slow ones are closed at the deadline, with nothing said. */
	ck_assert(http_read(fds[0], 8000));
	ck_assert_str_eq(reply, "");
	for (k = 0; k < 20; k++)
		close(fds[k]);
	spin();

	/* After all that, a scrape still works and counts it all. */
	r = http_ask("GET /metrics HTTP/1.1\r\n\r\n");
	ck_assert(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	ck_assert_double_eq(sample(strstr(r, "\r\n\r\n") + 4,
				"disco_metrics_http_requests_total"
				"{result=\"scraped\"}"),
	    3);
	ck_assert_double_eq(sample(strstr(r, "\r\n\r\n") + 4,
				"disco_metrics_http_requests_total"
				"{result=\"bad\"}"),
	    5);
	ck_assert_double_eq(sample(strstr(r, "\r\n\r\n") + 4,
				"disco_metrics_http_requests_total"
				"{result=\"refused\"}"),
	    4);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *t = tcase_create("metrics");

	tcase_add_test(t, test_metrics_text_is_valid_exposition_format);
	tcase_add_test(t, test_metrics_count_requests_by_verb_and_result);
	tcase_add_test(t, test_metrics_cache_states_and_client_drops);
	tcase_add_test(t, test_metrics_watchers_and_registrations);
	tcase_add_test(t,
	    test_metrics_http_answers_metrics_and_refuses_the_rest);
	tcase_set_timeout(t, 60);
	suite_add_tcase(s, t);
	return (s);
}

CHECK_MAIN(metrics_suite)
