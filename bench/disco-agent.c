/*
 * disco-agent: discod's agent (its control socket, cache, index, verbs
 * and reply texts: libdiscod, the code discod runs) with K instances put
 * in its cache in one go, serving the control socket until SIGTERM.
 *
 *	disco-agent -s socket [-t type] [-k count] [-w seconds]
 *	    [-m address:port]
 *
 * make bench fills discod's cache over real mDNS, which Avahi does for
 * 2000 instances in about a minute but for 10000 in 17 to 40 minutes (or
 * not at all from several peers at once: twelve avahi-daemons on two
 * cores).  This loads the same K instances (bench-1 ... bench-K of type,
 * TXT n=I, each on IPv4 and IPv6, as the peers announce them) straight
 * into the cache, so that disco-bench load can time every verb against
 * 10000 in seconds, next to its echo server, and so that the resident
 * memory of the whole agent can be read at that K.  Avahi is absent: no
 * avahi-client objects (its resolvers are capped at 512 in discod, not
 * per instance), no announcements.
 *
 * With -m, it serves /metrics there too ([metrics] listen), so that the
 * bench can time requests while a scraper reads it.
 *
 * Prints one line once filled: "disco-agent: K instances in N ms, RSS A
 * -> B kB" (before and after), then serves until SIGTERM, SIGINT or
 * -w seconds (default 600).
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "discod.h"
#include "fill.h"

static void
agent_stop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	event_base_loopbreak(discod->base);
}

int
main(int argc, char **argv)
{
	const char     *sock = NULL, *type = "_bench._tcp", *metrics = NULL;
	unsigned int	k = 10000, wait = 600;
	struct timeval	tv = { 0, 0 };
	struct timespec t0, t1;
	struct event   *sig[3];
	char		dir[] = "/tmp/disco-agent.XXXXXX";
	long		rss0;
	int		ch, s, sigs[3] = { SIGTERM, SIGINT, SIGHUP };

	while ((ch = getopt(argc, argv, "k:m:s:t:w:")) != -1) {
		switch (ch) {
		case 'm':
			metrics = optarg;
			break;
		case 'k':
			k = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 's':
			sock = optarg;
			break;
		case 't':
			type = optarg;
			break;
		case 'w':
			wait = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		default:
			sock = NULL;
			optind = argc + 1;
			break;
		}
	}
	if (sock == NULL || optind != argc || wait == 0) {
		fprintf(stderr,
		    "usage: disco-agent -s socket [-t type] "
		    "[-k count] [-w seconds] [-m address:port]\n");
		return (2);
	}
	log_init(1, 0);
	log_setverbose(-1);
	health_inert = 1;
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || mkdtemp(dir) == NULL) {
		perror("disco-agent");
		return (1);
	}
	config_defaults(&discod->conf);
	free(discod->conf.socket_path);
	discod->conf.socket_path = xstrdup(sock);
	free(discod->conf.services_dir);
	discod->conf.services_dir = xstrdup(dir);
	free(discod->conf.dns_listen);
	discod->conf.dns_listen = NULL;
	discod->conf.liveness = 0;
	discod->conf.client_output_max = 64 * 1024 * 1024;
	if (metrics != NULL)
		discod->conf.metrics_listen = xstrdup(metrics);
	if ((discod->base = event_base_new()) == NULL ||
	    control_open(&discod->conf) == -1) {
		fprintf(stderr, "disco-agent: cannot listen on %s\n", sock);
		return (1);
	}
	discod_start();
	rss0 = discod_rss_kib();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bench_fill(&discod->cache, type, k, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("disco-agent: %u instances in %lld ms, RSS %ld -> %ld kB\n", k,
	    (long long)(t1.tv_sec - t0.tv_sec) * 1000 +
		(t1.tv_nsec - t0.tv_nsec) / 1000000,
	    rss0, discod_rss_kib());
	fflush(stdout);
	for (s = 0; s < 3; s++) {
		sig[s] = evsignal_new(discod->base, sigs[s], agent_stop, NULL);
		if (sig[s] == NULL || event_add(sig[s], NULL) == -1)
			return (1);
	}
	tv.tv_sec = wait; /* bounded, as every wait of the bench */
	event_base_loopexit(discod->base, &tv);
	event_base_dispatch(discod->base);
	for (s = 0; s < 3; s++)
		event_free(sig[s]);
	unlink(sock);
	rmdir(dir);
	return (0);
}
