/*
 * discoctl's commands that ask the agent: status, services, types,
 * list, resolve, pick and watch.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "disco.h"
#include "discoctl.h"

/* A command that prints one reply as it came: status, services. */
static int
ctl_show(struct ctl_env *env, int argc,
    int (*call)(struct disco *, char **, int),
    void (*print)(struct json_object *))
{
	struct json_object *reply;
	struct disco	   *d;
	char		   *json;
	int		    rc;

	if (argc != 1)
		usage();
	d = ctl_open(env);
	rc = call(d, &json, env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	disco_close(d);
	free(json);
	if (!env->json)
		print(reply);
	json_object_put(reply);
	return (EXIT_OK);
}

int
ctl_status(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_show(env, argc, disco_status, print_status));
}

int
ctl_services(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_show(env, argc, disco_services, print_services));
}

int
ctl_types(struct ctl_env *env, int argc, char **argv)
{
	struct json_object *reply;
	struct disco	   *d;
	char		  **types;
	size_t		    n;
	int		    rc;

	if (argc != 1)
		usage();
	d = ctl_open(env);
	rc = disco_types(d, &types, &n, env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	disco_close(d);
	disco_types_free(types, n);
	if (!env->json)
		print_types(reply); /* with the counts, from the reply */
	json_object_put(reply);
	return (EXIT_OK);
}

/*
 * The operands "TYPE [KEY[=VALUE] ...]" of list and pick, from optind
 * on, into q; q->txt points into a NULL-terminated array the caller frees.
 */
static void
ctl_query_operands(struct disco_query *q, int argc, char **argv)
{
	const char **txt;
	size_t	     n = 0;

	if (optind >= argc)
		usage();
	q->type = argv[optind++];
	if ((txt = calloc((size_t)(argc - optind) + 1, sizeof(*txt))) == NULL) {
		fprintf(stderr, "discoctl: out of memory\n");
		exit(EXIT_FAILED);
	}
	for (; optind < argc; optind++)
		txt[n++] = argv[optind];
	q->txt = txt;
}

/* list [--family F] [--interface I] [--subtype S] TYPE [KEY[=VALUE] ...] */
int
ctl_list(struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "family", required_argument, NULL, 'f' },
		{ "interface", required_argument, NULL, 'i' },
		{ "subtype", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct disco_query     q = { 0 };
	struct disco_instance *insts;
	struct json_object    *reply;
	struct disco	      *d;
	size_t		       n;
	int		       ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			q.family = optarg;
			break;
		case 'i':
			q.interface = optarg;
			break;
		case 'S':
			q.subtype = optarg;
			break;
		default:
			usage();
		}
	}
	ctl_query_operands(&q, argc, argv);
	d = ctl_open(env);
	rc = disco_list_query(d, &q, &insts, &n, env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	disco_close(d);
	disco_instances_free(insts, n);
	free((void *)q.txt);
	if (!env->json)
		print_list(reply);
	json_object_put(reply);
	return (n == 0 ? EXIT_FAILED : EXIT_OK);
}

/* resolve NAME TYPE | resolve FULLNAME */
int
ctl_resolve(struct ctl_env *env, int argc, char **argv)
{
	struct disco_instance *inst;
	struct json_object    *reply;
	struct disco	      *d;
	int		       rc;

	if (argc != 2 && argc != 3)
		usage();
	d = ctl_open(env);
	if (argc == 2)
		rc = disco_resolve_fullname(d, argv[1], &inst, env->timeout_ms);
	else
		rc = disco_resolve(d, argv[1], argv[2], &inst, env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	disco_close(d);
	disco_instance_free(inst);
	if (!env->json)
		print_resolved(reply);
	json_object_put(reply);
	return (EXIT_OK);
}

/*
 * pick [--policy P] [--key K] [--wait MS] [--subtype S] TYPE
 *     [KEY[=VALUE] ...]
 */
int
ctl_pick(struct ctl_env *env, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "wait", required_argument, NULL, 'w' },
		{ "subtype", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct disco_query     q = { 0 };
	struct disco_instance *inst;
	struct json_object    *reply;
	struct disco	      *d;
	int		       ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			q.policy = optarg;
			break;
		case 'k':
			q.key = optarg;
			break;
		case 'w':
			q.wait_ms = (int)ctl_number("--wait", optarg, 0, 60000);
			break;
		case 'S':
			q.subtype = optarg;
			break;
		default:
			usage();
		}
	}
	ctl_query_operands(&q, argc, argv);
	/* The agent answers once the wait is over: give it a second more. */
	if (env->timeout_ms < q.wait_ms + 1000)
		env->timeout_ms = q.wait_ms + 1000;
	d = ctl_open(env);
	rc = disco_pick_query(d, &q, &inst, env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	disco_close(d);
	disco_instance_free(inst);
	free((void *)q.txt);
	if (!env->json)
		print_picked(reply);
	json_object_put(reply);
	return (EXIT_OK);
}

/* watch [TYPE]: the snapshot, then one line per event until interrupted. */
int
ctl_watch(struct ctl_env *env, int argc, char **argv)
{
	static const int    sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct json_object *reply;
	struct disco	   *d;
	char		   *line;
	int		    rc;

	if (argc > 2)
		usage();
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	rc = disco_watch(d, argc == 2 ? argv[1] : NULL, NULL, NULL,
	    env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	if (!env->json)
		print_watch_snapshot(reply);
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
		print_watch_event(env, line);
		free(line);
	}
	disco_close(d);
	return (EXIT_OK);
}
