/*
 * discoctl's commands that ask the agent: status, metrics, services,
 * types, list, resolve, pick and watch.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "disco.h"
#include "discoctl.h"

/* A command that prints one reply: status, services, types. */
static int
ctl_show(struct ctl_env *env, int argc, const char *verb,
    void (*print)(struct json_object *))
{
	struct json_object *reply;
	struct disco	   *d;

	if (argc != 1)
		ctl_usage("no operand is taken");
	d = ctl_open(env);
	reply = ctl_call(env, d, ctl_request(verb), 0);
	disco_close(d);
	if (!env->json)
		print(reply);
	json_object_put(reply);
	return (EXIT_OK);
}

int
ctl_status(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_show(env, argc, "status", print_status));
}

int
ctl_services(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_show(env, argc, "services", print_services));
}

int
ctl_types(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_show(env, argc, "types", print_types));
}

/* The Prometheus text, as /metrics serves it. */
static void
print_metrics(struct json_object *reply)
{
	fputs(json_object_get_string(json_object_object_get(reply, "text")),
	    stdout);
}

int
ctl_metrics(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_show(env, argc, "metrics", print_metrics));
}

/*
 * The operands "[TYPE] [KEY[=VALUE] ...]" of list, pick and watch into
 * req: the TXT words join --txt's.
 */
static void
ctl_query(struct ctl_env *env, struct json_object *req, int argc, char **argv,
    int type_required)
{
	if (argc < 2 && type_required)
		ctl_usage("a TYPE is needed");
	if (argc >= 2)
		json_object_object_add(req, "type",
		    json_object_new_string(argv[1]));
	if (argc > 2)
		ctl_txt_operands(env, argc - 2, argv + 2);
	ctl_add_filters(env, req);
}

/* list [TYPE] [KEY[=VALUE] ...]: every type without one. */
int
ctl_list(struct ctl_env *env, int argc, char **argv)
{
	struct json_object *req, *reply, *list;
	struct disco	   *d;
	size_t		    n = 0;

	req = ctl_request("list");
	ctl_query(env, req, argc, argv, 0);
	d = ctl_open(env);
	reply = ctl_call(env, d, req, 0);
	disco_close(d);
	if (json_object_object_get_ex(reply, "instances", &list) &&
	    json_object_is_type(list, json_type_array))
		n = json_object_array_length(list);
	if (!env->json && n > 0)
		print_list(reply, argc < 2);
	else if (!env->json)
		fprintf(stderr, "discoctl: no instance%s%s passes\n",
		    argc >= 2 ? " of " : "", argc >= 2 ? argv[1] : "");
	json_object_put(reply);
	return (n == 0 ? EXIT_FAILED : EXIT_OK);
}

/* The agent answers once a wait is over: wait for it a second more. */
static void
ctl_wait(struct ctl_env *env, struct json_object *req)
{
	if (env->wait_ms < 0)
		return;
	json_object_object_add(req, "wait_ms",
	    json_object_new_int((int)env->wait_ms));
	if (env->timeout_ms < env->wait_ms + 1000)
		env->timeout_ms = (int)env->wait_ms + 1000;
}

/* The instance of a reply, as "ADDRESS PORT", or EXIT_FAILED. */
static int
ctl_addr(struct json_object *reply, const char *family)
{
	struct json_object *inst = NULL;

	json_object_object_get_ex(reply, "instance", &inst);
	if (print_addr(inst, family) == -1) {
		fprintf(stderr, "discoctl: the instance has no address%s%s\n",
		    family != NULL ? " of family " : "",
		    family != NULL ? family : "");
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}

/* resolve NAME TYPE | resolve FULLNAME */
int
ctl_resolve(struct ctl_env *env, int argc, char **argv)
{
	struct json_object *req, *reply;
	struct disco	   *d;
	int		    rc = EXIT_OK;

	if (argc != 2 && argc != 3)
		ctl_usage("NAME TYPE, or FULLNAME, is needed");
	req = ctl_request("resolve");
	if (argc == 2)
		json_object_object_add(req, "fullname",
		    json_object_new_string(argv[1]));
	else {
		json_object_object_add(req, "name",
		    json_object_new_string(argv[1]));
		json_object_object_add(req, "type",
		    json_object_new_string(argv[2]));
		if (env->domain != NULL)
			json_object_object_add(req, "domain",
			    json_object_new_string(env->domain));
	}
	ctl_wait(env, req);
	d = ctl_open(env);
	reply = ctl_call(env, d, req, 0);
	disco_close(d);
	if (env->addr && !env->json)
		rc = ctl_addr(reply, NULL);
	else if (!env->json)
		print_resolved(reply);
	json_object_put(reply);
	return (rc);
}

/* pick TYPE [KEY[=VALUE] ...] */
int
ctl_pick(struct ctl_env *env, int argc, char **argv)
{
	struct json_object *req, *reply;
	struct disco	   *d;
	int		    rc = EXIT_OK;

	req = ctl_request("pick");
	ctl_query(env, req, argc, argv, 1);
	if (env->policy != NULL)
		json_object_object_add(req, "policy",
		    json_object_new_string(env->policy));
	if (env->prefer != NULL)
		json_object_object_add(req, "prefer",
		    json_object_new_string(env->prefer));
	if (env->key != NULL)
		json_object_object_add(req, "key",
		    json_object_new_string(env->key));
	ctl_wait(env, req);
	d = ctl_open(env);
	reply = ctl_call(env, d, req, 0);
	disco_close(d);
	if (env->addr && !env->json)
		rc = ctl_addr(reply, env->family);
	else if (!env->json)
		print_picked(reply);
	json_object_put(reply);
	return (rc);
}

/* watch [TYPE] [KEY[=VALUE] ...]: the snapshot, then each event. */
int
ctl_watch(struct ctl_env *env, int argc, char **argv)
{
	static const int    sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct json_object *req, *reply;
	struct disco	   *d;
	char		   *line;
	int		    rc;

	req = ctl_request("watch");
	ctl_query(env, req, argc, argv, 0);
	if (env->since >= 0)
		json_object_object_add(req, "since",
		    json_object_new_int64(env->since));
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	reply = ctl_call(env, d, req, 0);
	if (!env->json)
		print_watch_snapshot(reply);
	fflush(stdout);
	json_object_put(reply);
	while (ctl_signal == 0) {
		rc = disco_event_next(d, &line, -1);
		if (rc == DISCO_EINTR)
			continue;
		if (rc != 0) {
			disco_close(d);
			ctl_agent_lost(rc);
		}
		print_watch_event(env->json, line);
		free(line);
	}
	disco_close(d);
	return (EXIT_OK);
}
