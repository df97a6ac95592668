/*
 * The agent as a whole: its state, the wiring of its modules, and what
 * changes or reports on all of them (reload, uptime, memory).  main() in
 * discod.c calls it; so do the fuzz targets, which run the real daemon
 * without main().
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discod.h"

static struct discod	 discod_state;
struct discod		*discod = &discod_state;
static struct cache_hook index_hook;

/*
 * Wire the modules, once the loop and the control socket exist: the
 * cache's listeners (in the order they hear of a change), then each
 * module on the loop.
 */
void
discod_start(void)
{
	metrics_init_counters();
	cache_init(&discod->cache, instance_json_memo_free);
	/* The index first: a pending pick woken by a change reads it. */
	cindex_init(&discod->index);
	index_hook.event = cindex_event;
	index_hook.arg = &discod->index;
	cache_hook_add(&discod->cache, &index_hook);
	watch_init(&discod->cache);
	pending_init(discod->base, &discod->cache);
	control_start(discod->base, &discod->conf);
	health_init(discod->base, &discod->conf);
	announce_init(discod->base, &discod->conf);
	browse_init(discod->base, &discod->conf, &discod->cache);
	liveness_init(discod->base, &discod->conf, &discod->cache);
	widearea_init(discod->base, &discod->conf, &discod->cache);
	dns_init(discod->base, &discod->conf, &discod->cache);
	metrics_init(discod->base, &discod->conf);
	control_lookup_domain(discod->conf.dns_domain);
}

/* Undo discod_start(): goodbyes first, while Avahi is still there. */
void
discod_stop(void)
{
	widearea_shutdown(); /* its lease revoked: its records gone */
	announce_shutdown();
	metrics_shutdown();
	dns_shutdown();
	liveness_shutdown();
	browse_shutdown();
	avahi_stop();
	control_close();
	cache_destroy(&discod->cache);
	cindex_clear(&discod->index);
}

double
discod_uptime(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - discod->started.tv_sec) +
	    (double)(now.tv_nsec - discod->started.tv_nsec) / 1e9);
}

/* Resident set size from /proc/self/statm, in KiB; -1 if unknown. */
long
discod_rss_kib(void)
{
	FILE *f;
	long  size, resident;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return (-1);
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	if (resident < 0)
		return (-1);
	return (resident * (sysconf(_SC_PAGESIZE) / 1024));
}

/* libevent's own messages, through event_set_log_callback(). */
void
discod_print_errors(struct config_errors *errors)
{
	struct config_error *e;

	TAILQ_FOREACH(e, errors, entry)
		log_warnx("%s", e->text);
}

/*
 * Read the configuration.  A missing file at the default path means the
 * defaults; a missing file named with -f is an error.
 */
int
discod_read_config(const char *path, int explicit, struct config *conf,
    struct config_errors *errors)
{
	int n;

	config_defaults(conf);
	if (!explicit && access(path, F_OK) == -1 && errno == ENOENT)
		return (0);
	n = config_load(path, conf, errors);
	return (n != 0 ? -1 : 0);
}

static int
discod_str_differ(const char *a, const char *b)
{
	return ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0));
}

/* Does [wide-area] differ?  Its session is made once, at the start. */
static int
discod_wide_area_changed(const struct config *a, const struct config *b)
{
	return (discod_str_differ(a->wa_endpoints, b->wa_endpoints) ||
	    discod_str_differ(a->wa_prefix, b->wa_prefix) ||
	    discod_str_differ(a->wa_domain, b->wa_domain) ||
	    discod_str_differ(a->wa_host, b->wa_host) ||
	    discod_str_differ(a->wa_ca, b->wa_ca) ||
	    discod_str_differ(a->wa_cert, b->wa_cert) ||
	    discod_str_differ(a->wa_key, b->wa_key) ||
	    discod_str_differ(a->wa_user, b->wa_user) ||
	    discod_str_differ(a->wa_password_file, b->wa_password_file) ||
	    discod_str_differ(a->wa_publish, b->wa_publish) ||
	    discod_str_differ(a->wa_import, b->wa_import) ||
	    discod_str_differ(a->wa_addresses, b->wa_addresses) ||
	    a->wa_lease_ttl != b->wa_lease_ttl ||
	    a->wa_timeout_ms != b->wa_timeout_ms ||
	    a->wa_read_page != b->wa_read_page);
}

/*
 * Reread discod.conf and the service files (SIGHUP and the reload verb).
 * Returns the number of files with errors; what had errors is reported
 * and the running state for it kept.
 */
int
discod_reload(void)
{
	struct config	     conf;
	struct config_errors errors;
	int		     bad;

	notify_reloading();
	TAILQ_INIT(&errors);
	log_info("reloading %s", discod->conf_path);
	if (discod_read_config(discod->conf_path, 1, &conf, &errors) == -1) {
		discod_print_errors(&errors);
		log_warnx("reload: %s has errors: keeping the running "
			  "configuration",
		    discod->conf_path);
		config_errors_clear(&errors);
		config_clear(&conf);
		bad = 1 + announce_load_files(discod->conf.services_dir);
		notify_ready();
		return (bad);
	}
	if (discod->socket_override != NULL) {
		free(conf.socket_path);
		conf.socket_path = xstrdup(discod->socket_override);
	}
	if (strcmp(conf.socket_path, discod->conf.socket_path) != 0 ||
	    conf.socket_mode != discod->conf.socket_mode ||
	    (conf.socket_group == NULL) !=
		(discod->conf.socket_group == NULL) ||
	    (conf.socket_group != NULL &&
		strcmp(conf.socket_group, discod->conf.socket_group) != 0) ||
	    (conf.lookup_socket_path == NULL) !=
		(discod->conf.lookup_socket_path == NULL) ||
	    (conf.lookup_socket_path != NULL &&
		strcmp(conf.lookup_socket_path,
		    discod->conf.lookup_socket_path) != 0))
		log_warnx("reload: socket settings change at the next "
			  "restart");
	/* What is read live from discod->conf takes effect at once. */
	discod->conf.max_clients = conf.max_clients;
	discod->conf.max_clients_per_uid = conf.max_clients_per_uid;
	discod->conf.check_interval_min_ms = conf.check_interval_min_ms;
	discod->conf.check_timeout_max_ms = conf.check_timeout_max_ms;
	discod->conf.checks_running_max = conf.checks_running_max;
	free(discod->conf.check_targets);
	discod->conf.check_targets = conf.check_targets;
	conf.check_targets = NULL;
	free(discod->conf.services_visible);
	discod->conf.services_visible = conf.services_visible;
	conf.services_visible = NULL;
	discod->conf.client_output_max = conf.client_output_max;
	discod->conf.avahi_retry_max = conf.avahi_retry_max;
	avahi_set_retry_max(conf.avahi_retry_max);
	discod->conf.registrations_per_uid = conf.registrations_per_uid;
	discod->conf.ttl_max = conf.ttl_max;
	/* The names: from the next query on; where they listen: restart. */
	if ((conf.dns_listen == NULL) != (discod->conf.dns_listen == NULL) ||
	    (conf.dns_listen != NULL &&
		strcmp(conf.dns_listen, discod->conf.dns_listen) != 0))
		log_warnx("reload: [dns] listen changes at the next restart");
	if ((conf.metrics_listen == NULL) !=
		(discod->conf.metrics_listen == NULL) ||
	    (conf.metrics_listen != NULL &&
		strcmp(conf.metrics_listen, discod->conf.metrics_listen) != 0))
		log_warnx("reload: [metrics] listen changes at the next "
			  "restart");
	if (discod_wide_area_changed(&conf, &discod->conf))
		log_warnx("reload: [wide-area] changes at the next restart");
	free(discod->conf.dns_domain);
	discod->conf.dns_domain = conf.dns_domain;
	conf.dns_domain = NULL;
	discod->conf.dns_ttl = conf.dns_ttl;
	discod->conf.dns_tcp_clients_max = conf.dns_tcp_clients_max;
	control_lookup_domain(discod->conf.dns_domain);
	/* Access rules: for registrations from now on. */
	access_rule_clear(&discod->conf.access_register);
	while (discod->conf.naccess_types > 0)
		access_rule_clear(
		    &discod->conf.access_types[--discod->conf.naccess_types]);
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
