/*
 * discoctl: query and drive the local disco agent.  A client of libdisco
 * like any other application.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "disco.h"
#include "proto.h"

/* Exit codes, as discoctl(1) documents them. */
#define EXIT_OK		0
#define EXIT_FAILED	1
#define EXIT_USAGE	2
#define EXIT_AGENT	3

struct ctl_env {
	const char	*socket;
	int		 json;
	int		 timeout_ms;
};

struct ctl_cmd {
	const char	*name;
	int		(*run)(struct ctl_env *, int, char **);
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: discoctl [-j] [-s socket] [-t timeout] "
	    "command [argument ...]\n"
	    "commands:\n"
	    "  status\n"
	    "  publish [--subtype S] [--ttl N] name type port [key=value ...]\n"
	    "  unpublish registration\n"
	    "  services\n"
	    "  reload\n"
	    "  run --name N --type T --port P [--txt K=V] [--subtype S] "
	    "[--ttl N]\n"
	    "      -- command [argument ...]\n"
	    "  types\n"
	    "  list [--family F] [--interface I] [--subtype S] type "
	    "[key[=value] ...]\n"
	    "  resolve name type | resolve fullname\n"
	    "  pick [--policy P] [--key K] [--wait MS] [--subtype S] type "
	    "[key[=value] ...]\n"
	    "  watch [type]\n");
	exit(EXIT_USAGE);
}

static struct disco *
ctl_open(struct ctl_env *env)
{
	struct disco	*d;
	int		 rc;

	if ((rc = disco_open(&d, env->socket)) != 0) {
		fprintf(stderr, "discoctl: %s: %s\n", env->socket != NULL ?
		    env->socket : disco_default_socket(), disco_strerror(rc));
		exit(EXIT_AGENT);
	}
	return (d);
}

/*
 * Send one request on d and return its decoded reply.  Agent failures end
 * the program with EXIT_AGENT; an error reply is printed and ends it with
 * EXIT_FAILED (EXIT_FAILED too for not-found).
 */
static struct json_object *
ctl_call(struct ctl_env *env, struct disco *d, struct json_object *req)
{
	struct json_object	*reply, *ok, *err = NULL, *msg = NULL;
	struct json_object	*code = NULL;
	char			*line;
	int			 rc;

	rc = disco_call(d, json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN), &line, env->timeout_ms);
	if (rc != 0) {
		fprintf(stderr, "discoctl: %s\n", disco_strerror(rc));
		exit(EXIT_AGENT);
	}
	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(reply, "ok", &ok)) {
		fprintf(stderr, "discoctl: the agent's reply is not "
		    "protocol v1\n");
		exit(EXIT_AGENT);
	}
	if (env->json)
		printf("%s\n", line);
	free(line);
	if (!json_object_get_boolean(ok)) {
		if (!env->json) {
			json_object_object_get_ex(reply, "error", &err);
			json_object_object_get_ex(err, "code", &code);
			json_object_object_get_ex(err, "message", &msg);
			fprintf(stderr, "discoctl: %s (%s)\n",
			    msg != NULL ? json_object_get_string(msg) : "error",
			    code != NULL ? json_object_get_string(code) : "?");
		}
		exit(EXIT_FAILED);
	}
	return (reply);
}

/* One request on a connection of its own. */
static struct json_object *
ctl_request(struct ctl_env *env, struct json_object *req)
{
	struct disco		*d = ctl_open(env);
	struct json_object	*reply;

	reply = ctl_call(env, d, req);
	disco_close(d);
	return (reply);
}

static struct json_object *
ctl_verb(const char *verb)
{
	struct json_object	*req = json_object_new_object();

	json_object_object_add(req, "verb", json_object_new_string(verb));
	return (req);
}

static const char *
ctl_str(struct json_object *o, const char *path)
{
	struct json_object	*v;

	if (!json_object_object_get_ex(o, path, &v) || v == NULL)
		return ("-");
	return (json_object_get_string(v));
}

static struct json_object *
ctl_get(struct json_object *o, const char *key)
{
	struct json_object	*v = NULL;

	json_object_object_get_ex(o, key, &v);
	return (v);
}

static void
ctl_duration(char *buf, size_t len, double secs)
{
	long	s = (long)secs;

	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, (s / 60) % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, (s / 3600) % 24);
}

static int
ctl_status(struct ctl_env *env, int argc, char **argv)
{
	struct json_object	*req, *reply, *av, *counts;
	char			 up[32], since[32];

	if (argc != 1)
		usage();
	req = ctl_verb("status");
	reply = ctl_request(env, req);
	json_object_put(req);
	if (env->json)
		goto out;
	av = ctl_get(reply, "avahi");
	counts = ctl_get(reply, "counts");
	ctl_duration(up, sizeof(up),
	    json_object_get_double(ctl_get(reply, "uptime")));
	ctl_duration(since, sizeof(since),
	    json_object_get_double(ctl_get(av, "since")));
	printf("%-10s discod %s, protocol %s, pid %s, up %s\n", "agent",
	    ctl_str(reply, "version"), ctl_str(reply, "protocol"),
	    ctl_str(reply, "pid"), up);
	printf("%-10s %s\n", "host", ctl_str(reply, "host"));
	printf("%-10s %s for %s, %s outage(s)%s%s\n", "avahi",
	    ctl_str(av, "state"), since, ctl_str(av, "outages"),
	    ctl_get(av, "error") != NULL ? ": " : "",
	    ctl_get(av, "error") != NULL ? ctl_str(av, "error") : "");
	printf("%-10s %s\n", "services", ctl_str(counts, "services"));
	printf("%-10s %s\n", "instances", ctl_str(counts, "instances"));
	printf("%-10s %s\n", "clients", ctl_str(counts, "clients"));
	printf("%-10s %s KiB\n", "memory", ctl_str(reply, "rss_kib"));
out:
	json_object_put(reply);
	return (EXIT_OK);
}

/* Options shared by publish and run. */
struct ctl_service {
	const char		*name;
	const char		*type;
	long			 port;
	long			 ttl;
	struct json_object	*txt;
	struct json_object	*subtypes;
};

static long
ctl_number(const char *what, const char *s, long min, long max)
{
	char	*end;
	long	 n;

	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < min || n > max) {
		fprintf(stderr, "discoctl: %s \"%s\": not a number from %ld "
		    "to %ld\n", what, s, min, max);
		exit(EXIT_USAGE);
	}
	return (n);
}

static struct json_object *
ctl_register_request(struct ctl_service *svc)
{
	struct json_object	*req = ctl_verb("register");

	json_object_object_add(req, "name", json_object_new_string(svc->name));
	json_object_object_add(req, "type", json_object_new_string(svc->type));
	json_object_object_add(req, "port", json_object_new_int((int)svc->port));
	json_object_object_add(req, "txt", json_object_get(svc->txt));
	json_object_object_add(req, "subtypes",
	    json_object_get(svc->subtypes));
	if (svc->ttl > 0)
		json_object_object_add(req, "ttl",
		    json_object_new_int((int)svc->ttl));
	return (req);
}

static volatile sig_atomic_t ctl_signal;

static void
ctl_on_signal(int sig)
{
	ctl_signal = sig;
}

static void
ctl_catch(const int *sigs, size_t n)
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a signal ends the wait */
	for (i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
}

/* Print an event from the agent for people (or as it is, with -j). */
static void
ctl_print_event(struct ctl_env *env, const char *line)
{
	struct json_object	*ev;

	if (env->json) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	if ((ev = json_tokener_parse(line)) == NULL)
		return;
	if (strcmp(ctl_str(ev, "event"), "renamed") == 0)
		printf("renamed: \"%s\" was taken, now \"%s\"\n",
		    ctl_str(ev, "old_name"), ctl_str(ev, "name"));
	else
		printf("%s\n", line);
	fflush(stdout);
	json_object_put(ev);
}

/* Register, and return the registration id; d stays open to keep it. */
static long
ctl_register(struct ctl_env *env, struct disco *d, struct ctl_service *svc,
    int quiet)
{
	struct json_object	*req, *reply, *reg;
	long			 id;

	req = ctl_register_request(svc);
	reply = ctl_call(env, d, req);
	json_object_put(req);
	reg = ctl_get(reply, "registration");
	id = (long)json_object_get_int64(ctl_get(reg, "id"));
	if (!env->json && !quiet)
		printf("published \"%s\" %s port %ld as registration %ld\n",
		    ctl_str(reg, "final_name"), svc->type, svc->port, id);
	fflush(stdout);
	json_object_put(reply);
	return (id);
}

static void
ctl_renew(struct ctl_env *env, struct disco *d, long id)
{
	struct json_object	*req, *reply;
	int			 json = env->json;

	req = ctl_verb("renew");
	json_object_object_add(req, "registration", json_object_new_int64(id));
	env->json = 0;		/* heartbeats are not output */
	reply = ctl_call(env, d, req);
	env->json = json;
	json_object_put(req);
	json_object_put(reply);
}

/*
 * Parse "--subtype S", "--ttl N", "--txt K=V", "--name", "--type",
 * "--port" (the last three for run) from argv; KEY=VALUE words left over
 * are TXT too for publish.  Returns the index of the first operand.
 */
static int
ctl_service_opts(int argc, char **argv, struct ctl_service *svc, int named)
{
	static const struct option longopts[] = {
		{ "subtype", required_argument, NULL, 'S' },
		{ "ttl", required_argument, NULL, 'T' },
		{ "txt", required_argument, NULL, 'x' },
		{ "name", required_argument, NULL, 'n' },
		{ "type", required_argument, NULL, 'y' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	int	ch;

	svc->txt = json_object_new_array();
	svc->subtypes = json_object_new_array();
	optind = 1;
	while ((ch = getopt_long(argc, argv, named ? "+" : "", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'S':
			json_object_array_add(svc->subtypes,
			    json_object_new_string(optarg));
			break;
		case 'T':
			svc->ttl = ctl_number("--ttl", optarg, 1, 604800);
			break;
		case 'x':
			json_object_array_add(svc->txt,
			    json_object_new_string(optarg));
			break;
		case 'n':
			if (!named)
				usage();
			svc->name = optarg;
			break;
		case 'y':
			if (!named)
				usage();
			svc->type = optarg;
			break;
		case 'p':
			if (!named)
				usage();
			svc->port = ctl_number("--port", optarg, 1, 65535);
			break;
		default:
			usage();
		}
	}
	return (optind);
}

static int
ctl_publish(struct ctl_env *env, int argc, char **argv)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct ctl_service	 svc = { 0 };
	struct disco		*d;
	char			*ev;
	long			 id;
	int			 i, rc, wait_ms;

	i = ctl_service_opts(argc, argv, &svc, 0);
	if (argc - i < 3)
		usage();
	svc.name = argv[i];
	svc.type = argv[i + 1];
	svc.port = ctl_number("port", argv[i + 2], 1, 65535);
	for (i += 3; i < argc; i++)
		json_object_array_add(svc.txt, json_object_new_string(argv[i]));
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	id = ctl_register(env, d, &svc, 0);
	/* Renew at a third of the lease: two heartbeats may be lost. */
	wait_ms = svc.ttl > 0 ? (int)(svc.ttl * 1000 / 3) : -1;
	while (ctl_signal == 0) {
		rc = disco_event_next(d, &ev, wait_ms);
		if (rc == 0) {
			ctl_print_event(env, ev);
			free(ev);
		} else if (rc == DISCO_ETIMEOUT)
			ctl_renew(env, d, id);
		else if (rc != DISCO_EINTR) {
			fprintf(stderr, "discoctl: %s\n", disco_strerror(rc));
			disco_close(d);
			exit(EXIT_AGENT);
		}
	}
	/* Closing the connection withdraws the registration. */
	disco_close(d);
	json_object_put(svc.txt);
	json_object_put(svc.subtypes);
	return (EXIT_OK);
}

static int
ctl_unpublish(struct ctl_env *env, int argc, char **argv)
{
	struct json_object	*req, *reply;

	if (argc != 2)
		usage();
	req = ctl_verb("unregister");
	json_object_object_add(req, "registration", json_object_new_int64(
	    ctl_number("registration", argv[1], 1, LONG_MAX)));
	reply = ctl_request(env, req);
	json_object_put(req);
	json_object_put(reply);
	return (EXIT_OK);
}

static int
ctl_services(struct ctl_env *env, int argc, char **argv)
{
	struct json_object	*req, *reply, *list, *s, *origin, *h;
	char			 where[64], lease[32], name[80];
	size_t			 i, n;

	if (argc != 1)
		usage();
	req = ctl_verb("services");
	reply = ctl_request(env, req);
	json_object_put(req);
	if (env->json)
		goto out;
	list = ctl_get(reply, "services");
	n = json_object_array_length(list);
	printf("%-4s %-12s %-32s %-16s %5s %-6s %s\n", "ID", "STATE", "NAME",
	    "TYPE", "PORT", "LEASE", "ORIGIN");
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(list, i);
		origin = ctl_get(s, "origin");
		if (ctl_get(origin, "file") != NULL)
			snprintf(where, sizeof(where), "%s",
			    ctl_str(origin, "file"));
		else
			snprintf(where, sizeof(where), "pid %s uid %s%s",
			    ctl_str(origin, "pid"), ctl_str(origin, "uid"),
			    json_object_get_boolean(ctl_get(origin,
			    "connected")) ? "" : " (gone)");
		if (ctl_get(s, "lease_remaining") != NULL)
			snprintf(lease, sizeof(lease), "%ss",
			    ctl_str(s, "lease_remaining"));
		else
			snprintf(lease, sizeof(lease), "-");
		if (json_object_get_boolean(ctl_get(s, "renamed")))
			snprintf(name, sizeof(name), "%s (was %s)",
			    ctl_str(s, "final_name"), ctl_str(s, "name"));
		else
			snprintf(name, sizeof(name), "%s",
			    ctl_str(s, "final_name"));
		printf("%-4s %-12s %-32s %-16s %5s %-6s %s\n", ctl_str(s, "id"),
		    ctl_str(s, "state"), name, ctl_str(s, "type"),
		    ctl_str(s, "port"), lease, where);
		if ((h = ctl_get(s, "health")) != NULL)
			printf("     check %s: %s, %s pass(es) and %s failure(s) "
			    "in a row, last change %s: %s\n", ctl_str(h, "check"),
			    json_object_get_boolean(ctl_get(h, "healthy")) ?
			    "healthy" : "unhealthy", ctl_str(h, "passes"),
			    ctl_str(h, "failures"), ctl_get(h, "last_change") ?
			    ctl_str(h, "last_change") : "never",
			    ctl_str(h, "output"));
	}
out:
	json_object_put(reply);
	return (EXIT_OK);
}

static int
ctl_reload(struct ctl_env *env, int argc, char **argv)
{
	struct json_object	*req, *reply;
	int			 bad;

	if (argc != 1)
		usage();
	req = ctl_verb("reload");
	reply = ctl_request(env, req);
	json_object_put(req);
	bad = json_object_get_int(ctl_get(reply, "errors"));
	if (!env->json)
		printf("reloaded: %s service(s), %d file(s) with errors (see "
		    "the agent's log)\n", ctl_str(reply, "services"), bad);
	json_object_put(reply);
	return (bad == 0 ? EXIT_OK : EXIT_FAILED);
}

/*
 * run: announce a service while a command runs.  Signals are passed on to
 * the command; when it exits the registration is withdrawn and discoctl
 * exits with the command's status (128 + N when killed by signal N).
 */
static int
ctl_run(struct ctl_env *env, int argc, char **argv)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	    SIGUSR1, SIGUSR2, SIGCHLD };
	struct ctl_service	 svc = { 0 };
	struct disco		*d;
	char			*ev;
	long			 id;
	pid_t			 pid, w;
	int			 i, rc, status, sig, wait_ms;

	i = ctl_service_opts(argc, argv, &svc, 1);
	if (svc.name == NULL || svc.type == NULL || svc.port == 0 || i >= argc)
		usage();
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	id = ctl_register(env, d, &svc, 1);
	if ((pid = fork()) == -1) {
		perror("discoctl: fork");
		exit(EXIT_FAILED);
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		close(disco_fd(d));
		execvp(argv[i], argv + i);
		fprintf(stderr, "discoctl: %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	wait_ms = svc.ttl > 0 ? (int)(svc.ttl * 1000 / 3) : 1000;
	for (;;) {
		/* Once the agent is gone, only the command matters. */
		w = waitpid(pid, &status, d != NULL ? WNOHANG : 0);
		if (w == pid)
			break;
		if ((sig = ctl_signal) != 0) {
			ctl_signal = 0;
			if (sig != SIGCHLD)
				kill(pid, sig);
			continue;
		}
		if (d == NULL)
			continue;
		rc = disco_event_next(d, &ev, wait_ms);
		if (rc == 0) {
			ctl_print_event(env, ev);
			free(ev);
		} else if (rc == DISCO_ETIMEOUT && svc.ttl > 0)
			ctl_renew(env, d, id);
		else if (rc != DISCO_ETIMEOUT && rc != DISCO_EINTR) {
			fprintf(stderr, "discoctl: %s: %s keeps running but is "
			    "no longer announced\n", disco_strerror(rc),
			    argv[i]);
			disco_close(d);
			d = NULL;
		}
	}
	disco_close(d);
	json_object_put(svc.txt);
	json_object_put(svc.subtypes);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

static void
ctl_print_txt(struct json_object *txt)
{
	struct json_object	*t;
	size_t			 k, n = json_object_array_length(txt);

	for (k = 0; k < n; k++) {
		t = json_object_array_get_idx(txt, k);
		if (json_object_is_type(t, json_type_string))
			printf("%s\"%s\"", k > 0 ? " " : "",
			    json_object_get_string(t));
		else
			printf("%sbase64:%s", k > 0 ? " " : "",
			    ctl_str(t, "base64"));
	}
}

static void
ctl_print_addrs(struct json_object *inst)
{
	struct json_object	*addrs = ctl_get(inst, "addresses");
	size_t			 k, n = json_object_array_length(addrs);

	for (k = 0; k < n; k++)
		printf("%s%s", k > 0 ? "," : "",
		    ctl_str(json_object_array_get_idx(addrs, k), "address"));
	if (n == 0)
		printf("-");
}

static void
ctl_print_instance_row(struct json_object *inst)
{
	char	where[300];

	snprintf(where, sizeof(where), "%s:%s", ctl_str(inst, "host"),
	    ctl_str(inst, "port"));
	printf("%-32s %-28s ", ctl_str(inst, "name"), where);
	ctl_print_addrs(inst);
	printf("  ");
	ctl_print_txt(ctl_get(inst, "txt"));
	printf("\n");
}

static int
ctl_types(struct ctl_env *env, int argc, char **argv)
{
	struct json_object	*req, *reply, *list, *t;
	size_t			 k, n;

	if (argc != 1)
		usage();
	req = ctl_verb("types");
	reply = ctl_request(env, req);
	json_object_put(req);
	if (!env->json) {
		list = ctl_get(reply, "types");
		n = json_object_array_length(list);
		printf("%-32s %s\n", "TYPE", "INSTANCES");
		for (k = 0; k < n; k++) {
			t = json_object_array_get_idx(list, k);
			printf("%-32s %s\n", ctl_str(t, "type"),
			    ctl_str(t, "instances"));
		}
	}
	json_object_put(reply);
	return (EXIT_OK);
}

/* An option whose value goes to the request field of the same name. */
static void
ctl_opt_field(struct json_object *req, const char *name, const char *value)
{
	json_object_object_add(req, name, json_object_new_string(value));
}

/* The operands "TYPE [KEY[=VALUE] ...]" of list and pick, into req. */
static void
ctl_type_filters(struct json_object *req, int argc, char **argv)
{
	struct json_object	*txt;

	if (optind >= argc)
		usage();
	json_object_object_add(req, "type", json_object_new_string(
	    argv[optind++]));
	txt = json_object_new_array();
	for (; optind < argc; optind++)
		json_object_array_add(txt, json_object_new_string(argv[optind]));
	json_object_object_add(req, "txt", txt);
}

/* list TYPE [KEY[=VALUE] ...] [--family ipv4|ipv6] [--interface IF] */
static int
ctl_list(struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "family", required_argument, NULL, 0 },
		{ "interface", required_argument, NULL, 0 },
		{ "subtype", required_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object	*req, *reply, *list;
	size_t			 k, n;
	int			 ch, idx, rc = EXIT_OK;

	req = ctl_verb("list");
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		if (ch != 0)
			usage();
		ctl_opt_field(req, longopts[idx].name, optarg);
	}
	ctl_type_filters(req, argc, argv);
	reply = ctl_request(env, req);
	json_object_put(req);
	list = ctl_get(reply, "instances");
	n = json_object_array_length(list);
	if (!env->json) {
		printf("%-32s %-28s %s\n", "NAME", "HOST:PORT", "ADDRESSES  TXT");
		for (k = 0; k < n; k++)
			ctl_print_instance_row(json_object_array_get_idx(list,
			    k));
	}
	if (n == 0)
		rc = EXIT_FAILED;
	json_object_put(reply);
	return (rc);
}

/* resolve NAME TYPE | resolve FULLNAME */
static int
ctl_resolve(struct ctl_env *env, int argc, char **argv)
{
	struct json_object	*req, *reply, *inst;

	req = ctl_verb("resolve");
	if (argc == 2)
		json_object_object_add(req, "fullname",
		    json_object_new_string(argv[1]));
	else if (argc == 3) {
		json_object_object_add(req, "name",
		    json_object_new_string(argv[1]));
		json_object_object_add(req, "type",
		    json_object_new_string(argv[2]));
	} else
		usage();
	reply = ctl_request(env, req);
	json_object_put(req);
	if (!env->json) {
		inst = ctl_get(reply, "instance");
		printf("%-10s %s\n", "name", ctl_str(inst, "name"));
		printf("%-10s %s\n", "type", ctl_str(inst, "type"));
		printf("%-10s %s\n", "fullname", ctl_str(inst, "fullname"));
		printf("%-10s %s\n", "host", ctl_str(inst, "host"));
		printf("%-10s %s\n", "port", ctl_str(inst, "port"));
		printf("%-10s ", "addresses");
		ctl_print_addrs(inst);
		printf("\n%-10s ", "txt");
		ctl_print_txt(ctl_get(inst, "txt"));
		printf("\n%-10s %s\n", "local",
		    json_object_get_boolean(ctl_get(inst, "local")) ?
		    "yes" : "no");
	}
	json_object_put(reply);
	return (EXIT_OK);
}

/* pick TYPE [--policy P] [--key K] [--wait MS] [KEY[=VALUE] ...] */
static int
ctl_pick(struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 0 },
		{ "key", required_argument, NULL, 0 },
		{ "wait", required_argument, NULL, 'w' },
		{ "subtype", required_argument, NULL, 0 },
		{ NULL, 0, NULL, 0 },
	};
	struct json_object	*req, *reply, *inst;
	long			 wait_ms = 0;
	int			 ch, idx;

	req = ctl_verb("pick");
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, &idx)) != -1) {
		if (ch == 'w') {
			wait_ms = ctl_number("--wait", optarg, 0, 60000);
			json_object_object_add(req, "wait_ms",
			    json_object_new_int((int)wait_ms));
		} else if (ch == 0)
			ctl_opt_field(req, longopts[idx].name, optarg);
		else
			usage();
	}
	ctl_type_filters(req, argc, argv);
	if (env->timeout_ms < wait_ms + 1000)
		env->timeout_ms = (int)wait_ms + 1000;
	reply = ctl_request(env, req);
	json_object_put(req);
	if (!env->json) {
		inst = ctl_get(reply, "instance");
		ctl_print_instance_row(inst);
	}
	json_object_put(reply);
	return (EXIT_OK);
}

/* watch [TYPE]: the snapshot, then one line per event until interrupted. */
static int
ctl_watch(struct ctl_env *env, int argc, char **argv)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct json_object	*req, *reply, *list, *ev, *inst;
	struct disco		*d;
	char			*line;
	size_t			 k, n;
	int			 rc;

	if (argc > 2)
		usage();
	req = ctl_verb("watch");
	if (argc == 2)
		json_object_object_add(req, "type",
		    json_object_new_string(argv[1]));
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	reply = ctl_call(env, d, req);
	json_object_put(req);
	if (!env->json) {
		list = ctl_get(reply, "instances");
		n = json_object_array_length(list);
		for (k = 0; k < n; k++) {
			printf("%-7s ", "present");
			ctl_print_instance_row(json_object_array_get_idx(list,
			    k));
		}
	}
	fflush(stdout);
	json_object_put(reply);
	while (ctl_signal == 0) {
		rc = disco_event_next(d, &line, -1);
		if (rc == DISCO_EINTR)
			continue;
		if (rc != 0) {
			fprintf(stderr, "discoctl: %s\n", disco_strerror(rc));
			disco_close(d);
			return (EXIT_AGENT);
		}
		if (env->json)
			printf("%s\n", line);
		else if ((ev = json_tokener_parse(line)) != NULL) {
			inst = ctl_get(ev, "instance");
			printf("%-7s ", ctl_str(ev, "event"));
			if (inst != NULL)
				ctl_print_instance_row(inst);
			else
				printf("\n");
			json_object_put(ev);
		}
		fflush(stdout);
		free(line);
	}
	disco_close(d);
	return (EXIT_OK);
}

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_status },
	{ "publish", ctl_publish },
	{ "unpublish", ctl_unpublish },
	{ "services", ctl_services },
	{ "reload", ctl_reload },
	{ "run", ctl_run },
	{ "types", ctl_types },
	{ "list", ctl_list },
	{ "resolve", ctl_resolve },
	{ "watch", ctl_watch },
	{ "pick", ctl_pick },
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_env	 env = { NULL, 0, 5000 };
	char		*end;
	size_t		 i;
	long		 n;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "+hjs:t:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'j':
			env.json = 1;
			break;
		case 's':
			env.socket = optarg;
			break;
		case 't':
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || n < 1 ||
			    n > 3600000) {
				fprintf(stderr, "discoctl: -t %s: not a "
				    "timeout in milliseconds (1..3600000)\n",
				    optarg);
				exit(EXIT_USAGE);
			}
			env.timeout_ms = (int)n;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcmp(ctl_cmds[i].name, argv[0]) == 0)
			return (ctl_cmds[i].run(&env, argc, argv));
	}
	fprintf(stderr, "discoctl: unknown command: %s\n", argv[0]);
	usage();
}
