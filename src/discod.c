/*
 * discod: announce local services, browse the LAN, and answer local
 * queries over a Unix socket.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "discod.h"

static struct discod	 discod_state;
struct discod		*discod = &discod_state;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: discod [-dnv] [-f file] [-s socket]\n");
	exit(2);
}

double
discod_uptime(void)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - discod->started.tv_sec) +
	    (double)(now.tv_nsec - discod->started.tv_nsec) / 1e9);
}

/* Resident set size from /proc/self/statm, in KiB; -1 if unknown. */
long
discod_rss_kib(void)
{
	FILE	*f;
	long	 size, resident;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return (-1);
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	if (resident < 0)
		return (-1);
	return (resident * (sysconf(_SC_PAGESIZE) / 1024));
}

static void
discod_print_errors(struct config_errors *errors)
{
	struct config_error	*e;

	TAILQ_FOREACH(e, errors, entry)
		log_warnx("%s", e->text);
}

/*
 * Read the configuration.  A missing file at the default path means the
 * defaults; a missing file named with -f is an error.
 */
static int
discod_read_config(const char *path, int explicit, struct config *conf,
    struct config_errors *errors)
{
	int	n;

	config_defaults(conf);
	if (!explicit && access(path, F_OK) == -1 && errno == ENOENT)
		return (0);
	n = config_load(path, conf, errors);
	return (n != 0 ? -1 : 0);
}

static const char *discod_socket_override;

/* -n: check every service file too; print its errors or "OK". */
static int
discod_check_services(const char *dir)
{
	struct config_errors	 errors;
	struct service_def	*def;
	char			**paths;
	FILE			*f;
	int			 n, i, bad = 0;

	if ((n = service_dir_list(dir, &paths)) == -1) {
		log_warn("%s", dir);
		return (1);
	}
	TAILQ_INIT(&errors);
	for (i = 0; i < n; i++) {
		if ((f = fopen(paths[i], "r")) == NULL) {
			log_warn("%s", paths[i]);
			bad++;
			continue;
		}
		if (service_file_parse(f, paths[i], &def, &errors) != 0)
			bad++;
		service_def_free(def);
		fclose(f);
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

/*
 * Reread discod.conf and the service files (SIGHUP and the reload verb).
 * Returns the number of files with errors; what had errors is reported
 * and the running state for it kept.
 */
int
discod_reload(void)
{
	struct config		conf;
	struct config_errors	errors;
	int			bad;

	notify_reloading();
	TAILQ_INIT(&errors);
	log_info("reloading %s", discod->conf_path);
	if (discod_read_config(discod->conf_path, 1, &conf, &errors) == -1) {
		discod_print_errors(&errors);
		log_warnx("reload: %s has errors: keeping the running "
		    "configuration", discod->conf_path);
		config_errors_clear(&errors);
		config_clear(&conf);
		bad = 1 + announce_load_files(discod->conf.services_dir);
		notify_ready();
		return (bad);
	}
	if (discod_socket_override != NULL) {
		free(conf.socket_path);
		conf.socket_path = xstrdup(discod_socket_override);
	}
	if (strcmp(conf.socket_path, discod->conf.socket_path) != 0 ||
	    conf.socket_mode != discod->conf.socket_mode ||
	    (conf.socket_group == NULL) !=
	    (discod->conf.socket_group == NULL) ||
	    (conf.socket_group != NULL &&
	    strcmp(conf.socket_group, discod->conf.socket_group) != 0))
		log_warnx("reload: socket settings change at the next "
		    "restart");
	/* What is read live from discod->conf takes effect at once. */
	discod->conf.max_clients = conf.max_clients;
	discod->conf.client_output_max = conf.client_output_max;
	discod->conf.avahi_retry_max = conf.avahi_retry_max;
	discod->conf.registrations_per_uid = conf.registrations_per_uid;
	discod->conf.ttl_max = conf.ttl_max;
	/* Access rules: for registrations from now on. */
	access_rule_clear(&discod->conf.access_register);
	while (discod->conf.naccess_types > 0)
		access_rule_clear(&discod->conf.access_types[
		    --discod->conf.naccess_types]);
	free(discod->conf.access_types);
	discod->conf.access_register = conf.access_register;
	discod->conf.access_types = conf.access_types;
	discod->conf.naccess_types = conf.naccess_types;
	memset(&conf.access_register, 0, sizeof(conf.access_register));
	conf.access_types = NULL;
	conf.naccess_types = 0;
	free(discod->conf.services_dir);
	discod->conf.services_dir = conf.services_dir;
	conf.services_dir = NULL;
	config_clear(&conf);
	bad = announce_load_files(discod->conf.services_dir);
	notify_ready();
	return (bad);
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

int
main(int argc, char *argv[])
{
	struct config_errors	 errors;
	struct event		*sigev[3];
	const int		 sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	const char		*conf_path = DISCO_CONF_PATH;
	int			 ch, foreground = 0, test = 0, verbose = 0;
	int			 explicit = 0, supervised, i;

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
			discod_socket_override = optarg;
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
	if (discod_read_config(conf_path, explicit, &discod->conf,
	    &errors) == -1) {
		discod_print_errors(&errors);
		config_errors_clear(&errors);
		if (test)
			exit(1);
		fatalx("%s: configuration has errors", conf_path);
	}
	if (discod_socket_override != NULL) {
		free(discod->conf.socket_path);
		discod->conf.socket_path = xstrdup(discod_socket_override);
	}
	if (test)
		exit(discod_check_services(discod->conf.services_dir));

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal");
	event_set_log_callback(log_libevent);
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
	control_start(discod->base, &discod->conf);
	announce_init(discod->base, &discod->conf);
	browse_init(discod->base, &discod->conf);
	liveness_init(discod->base, &discod->conf);
	announce_load_files(discod->conf.services_dir);
	avahi_start(discod->base, discod->conf.avahi_retry_max);
	notify_watchdog_start(discod->base);
	notify_ready();
	log_info("discod %s started (protocol %d)", PACKAGE_VERSION,
	    DISCO_PROTO_VERSION);

	if (event_base_dispatch(discod->base) == -1)
		fatalx("event_base_dispatch failed");

	announce_shutdown();	/* goodbyes while Avahi is still there */
	liveness_shutdown();
	browse_shutdown();
	avahi_stop();
	control_close();
	/* Run what is left (deferred frees) before the base goes. */
	event_base_loop(discod->base, EVLOOP_NONBLOCK);
	for (i = 0; i < 3; i++)
		event_free(sigev[i]);
	event_base_free(discod->base);
	config_clear(&discod->conf);
	log_info("stopped");
	return (0);
}
