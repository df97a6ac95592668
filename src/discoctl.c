/*
 * discoctl: query and drive the local disco agent.  A client of libdisco
 * like any other application.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	    "  status\n");
	exit(EXIT_USAGE);
}

/*
 * Send one request and return its decoded reply.  Agent failures end the
 * program with EXIT_AGENT; an error reply is printed and ends it with
 * EXIT_FAILED.
 */
static struct json_object *
ctl_request(struct ctl_env *env, struct json_object *req)
{
	struct disco		*d;
	struct json_object	*reply, *ok, *err, *msg, *code;
	char			*line;
	int			 rc;

	if ((rc = disco_open(&d, env->socket)) != 0) {
		fprintf(stderr, "discoctl: %s: %s\n", env->socket != NULL ?
		    env->socket : disco_default_socket(), disco_strerror(rc));
		exit(EXIT_AGENT);
	}
	rc = disco_call(d, json_object_to_json_string_ext(req,
	    JSON_C_TO_STRING_PLAIN), &line, env->timeout_ms);
	disco_close(d);
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

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_status },
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
