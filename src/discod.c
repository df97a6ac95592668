/*
 * discod: announce local services, browse the LAN, and answer local
 * queries over a Unix socket.
 */
#include "config.h"

#include <sys/resource.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "discod.h"

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: discod [-dnv] [-f file] [-s socket]\n");
	exit(2);
}

/* libevent's own messages, through event_set_log_callback(). */
static void
discod_libevent_log(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/* -n: check every service file too; print its errors or "OK". */
static int
discod_check_services(const char *dir)
{
	struct config_errors errors;
	struct service_def  *def;
	char		   **paths;
	int		     n, i, bad = 0;

	if ((n = service_dir_list(dir, &paths)) == -1) {
		log_warn("%s", dir);
		return (1);
	}
	TAILQ_INIT(&errors);
	for (i = 0; i < n; i++) {
		if (service_file_load(paths[i], &def, &errors) != 0)
			bad++;
		service_def_free(def);
	}
	service_dir_free(paths);
	discod_print_errors(&errors);
	config_errors_clear(&errors);
	if (bad != 0)
		return (1);
	if (n == 0)
		printf("configuration OK\n");
	else
		printf("configuration OK (%d service file%s)\n", n,
		    n == 1 ? "" : "s");
	return (0);
}

static void
discod_signal(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: stopping", strsignal((int)sig));
		notify_stopping();
		event_base_loopbreak(discod->base);
		break;
	case SIGHUP:
		discod_reload();
		break;
	}
}

/*
 * Descriptors: clients, their checks and Avahi's resolvers all take one.
 * The soft limit goes up to the hard one (epoll has no FD_SETSIZE), and a
 * warning says when max-clients and root's reserve cannot fit.
 */
static void
discod_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			log_warn("%s: setrlimit", __func__);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)discod->conf.max_clients + 256)
		log_warnx("descriptor limit %llu is below max-clients (%u) "
			  "and room for checks: raise LimitNOFILE",
		    (unsigned long long)rl.rlim_cur, discod->conf.max_clients);
}

int
main(int argc, char *argv[])
{
	struct config_errors errors;
	struct event	    *sigev[3];
	const int	     sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	const char	    *conf_path = DISCO_CONF_PATH;
	int		     ch, foreground = 0, test = 0, verbose = 0;
	int explicit = 0, supervised, i;

	while ((ch = getopt(argc, argv, "df:hns:v")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			conf_path = optarg;
			explicit = 1;
			break;
		case 'n':
			test = 1;
			break;
		case 's':
			discod->socket_override = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	/* Under systemd: no fork, but syslog/journal with priorities. */
	supervised = getenv("NOTIFY_SOCKET") != NULL ||
	    getenv("LISTEN_FDS") != NULL;
	log_init(foreground || test, LOG_DAEMON);
	log_setverbose(verbose);

	TAILQ_INIT(&errors);
	discod->conf_path = conf_path;
	if (discod_read_config(conf_path, explicit, &discod->conf, &errors) ==
	    -1) {
		discod_print_errors(&errors);
		config_errors_clear(&errors);
		if (test)
			exit(1);
		fatalx("%s: configuration has errors", conf_path);
	}
	if (discod->socket_override != NULL) {
		free(discod->conf.socket_path);
		discod->conf.socket_path = xstrdup(discod->socket_override);
	}
	if (test)
		exit(discod_check_services(discod->conf.services_dir));

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	discod_raise_nofile();
	event_set_log_callback(discod_libevent_log);
	if ((discod->base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if (control_open(&discod->conf) == -1)
		fatalx("cannot open the control socket");
	if (!foreground && !supervised && daemon(0, 0) == -1)
		fatal("daemon");
	if (event_reinit(discod->base) == -1)
		fatalx("event_reinit failed");
	clock_gettime(CLOCK_MONOTONIC, &discod->started);

	for (i = 0; i < 3; i++) {
		sigev[i] = evsignal_new(discod->base, sigs[i], discod_signal,
		    NULL);
		if (sigev[i] == NULL || event_add(sigev[i], NULL) == -1)
			fatalx("cannot watch signal %d", sigs[i]);
	}
	/* The thread first: what the modules ask of it from the start queues. */
	avahi_start(discod->base, &discod->conf);
	discod_start();
	announce_load_files(discod->conf.services_dir);
	notify_watchdog_start(discod->base);
	notify_ready();
	log_info("discod %s started (protocol %d)", PACKAGE_VERSION,
	    DISCO_PROTO_VERSION);

	if (event_base_dispatch(discod->base) == -1)
		fatalx("event_base_dispatch failed");

	discod_stop();
	/* Run what is left (deferred frees) before the base goes. */
	event_base_loop(discod->base, EVLOOP_NONBLOCK);
	for (i = 0; i < 3; i++)
		event_free(sigev[i]);
	event_base_free(discod->base);
	config_clear(&discod->conf);
	log_info("stopped");
	return (0);
}
