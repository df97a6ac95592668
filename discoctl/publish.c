/*
 * discoctl's commands that change this host's announcements: publish,
 * run, renew, unpublish and reload.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "disco.h"
#include "discoctl.h"

/*
 * Register what the options and operands say; d stays open to keep it.
 * Returns the registration's number; *state, the state the reply gave.
 */
static long
ctl_register(struct ctl_env *env, struct disco *d, const char *name,
    const char *type, long port, char *state, size_t statelen)
{
	struct json_object *req, *reply, *reg, *v;
	long		    id;

	req = ctl_request("register");
	json_object_object_add(req, "name", json_object_new_string(name));
	json_object_object_add(req, "type", json_object_new_string(type));
	json_object_object_add(req, "port", json_object_new_int((int)port));
	if (env->ntxt > 0)
		json_object_object_add(req, "txt",
		    ctl_strings(env->txt, env->ntxt));
	if (env->nsubtypes > 0)
		json_object_object_add(req, "subtypes",
		    ctl_strings(env->subtypes, env->nsubtypes));
	if (env->ttl > 0)
		json_object_object_add(req, "ttl",
		    json_object_new_int64(env->ttl));
	if (env->persist)
		json_object_object_add(req, "persist",
		    json_object_new_boolean(1));
	if (env->check != NULL)
		json_object_object_add(req, "check",
		    json_object_get(env->check));
	reply = ctl_call(env, d, req, 0);
	if (!json_object_object_get_ex(reply, "registration", &reg) ||
	    !json_object_object_get_ex(reg, "id", &v) ||
	    (id = (long)json_object_get_int64(v)) <= 0) {
		fprintf(stderr,
		    "discoctl: the agent's reply has no "
		    "registration\n");
		exit(EXIT_AGENT);
	}
	snprintf(state, statelen, "%s",
	    json_object_object_get_ex(reg, "state", &v) ?
		json_object_get_string(v) :
		"");
	if (!env->json)
		print_registered(reply);
	fflush(env->out);
	json_object_put(reply);
	return (id);
}

/* A heartbeat; not printed, even with -j. */
static void
ctl_heartbeat(struct ctl_env *env, struct disco *d, long id)
{
	struct json_object *req;
	int		    json = env->json;

	req = ctl_request("renew");
	json_object_object_add(req, "registration", json_object_new_int64(id));
	env->json = 0;
	json_object_put(ctl_call(env, d, req, 0));
	env->json = json;
}

/*
 * The operands NAME TYPE PORT [KEY=VALUE ...] of publish; the TXT words
 * join --txt's.
 */
int
ctl_publish(struct ctl_env *env, int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct disco	*d;
	char		*ev, state[32];
	long		 id, port, deadline_ms = -1;
	int		 rc, wait_ms, kind, status = EXIT_OK;

	if (argc < 4)
		ctl_usage("NAME, TYPE and PORT are needed");
	port = ctl_number("PORT", argv[3], 1, 65535);
	ctl_txt_operands(env, argc - 4, argv + 4);
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	id = ctl_register(env, d, argv[1], argv[2], port, state, sizeof(state));
	if (env->persist) {
		/* It stays when we go: wait only to say how it went. */
		if (strcmp(state, "failed") == 0)
			status = EXIT_FAILED;
		if (strcmp(state, "established") == 0 ||
		    strcmp(state, "failed") == 0)
			goto done;
		deadline_ms = env->timeout_ms;
	}
	/* Renew at a third of the lease: two heartbeats may be lost. */
	wait_ms = env->ttl > 0 ? (int)(env->ttl * 1000 / 3) : -1;
	if (deadline_ms >= 0 && (wait_ms < 0 || wait_ms > deadline_ms))
		wait_ms = (int)deadline_ms;
	while (ctl_signal == 0) {
		rc = disco_event_next(d, &ev, wait_ms);
		if (rc == 0) {
			kind = print_event(env->json, ev);
			free(ev);
			if (kind == 'x') { /* expired: nothing left to keep */
				disco_close(d);
				return (EXIT_FAILED);
			}
			if (env->persist && (kind == 'e' || kind == 'f')) {
				if (kind == 'f')
					status = EXIT_FAILED;
				break;
			}
		} else if (rc == DISCO_ETIMEOUT) {
			if (env->persist) {
				if (!env->json)
					fprintf(env->out,
					    "registration %ld: still %s; "
					    "\"discoctl services\" shows "
					    "when it is established\n",
					    id, state);
				break;
			}
			ctl_heartbeat(env, d, id);
		} else if (rc != DISCO_EINTR) {
			disco_close(d);
			ctl_agent_lost(rc);
		}
	}
done:
	/* Closing withdraws the registration, unless it persists. */
	disco_close(d);
	return (status);
}

/* REGISTRATION operand of unpublish and renew: one request. */
static int
ctl_by_id(struct ctl_env *env, int argc, char **argv, const char *verb,
    const char *done)
{
	struct json_object *req;
	struct disco	   *d;
	long		    id;

	if (argc != 2)
		ctl_usage("one REGISTRATION is needed");
	id = ctl_number("REGISTRATION", argv[1], 1, LONG_MAX);
	d = ctl_open(env);
	req = ctl_request(verb);
	json_object_object_add(req, "registration", json_object_new_int64(id));
	json_object_put(ctl_call(env, d, req, 0));
	disco_close(d);
	if (!env->json)
		printf("registration %ld: %s\n", id, done);
	return (EXIT_OK);
}

int
ctl_unpublish(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_by_id(env, argc, argv, "unregister", "withdrawn"));
}

int
ctl_renew(struct ctl_env *env, int argc, char **argv)
{
	return (ctl_by_id(env, argc, argv, "renew", "lease renewed"));
}

/*
 * run: announce a service while a command runs.  Signals are passed on to
 * the command; when it exits the registration is withdrawn and discoctl
 * exits with the command's status (128 + N when killed by signal N).
 * discoctl's own output goes to stderr: stdout is the command's.
 */
int
ctl_run(struct ctl_env *env, int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
		SIGUSR2, SIGCHLD };
	struct disco	*d;
	char		*ev, state[32];
	pid_t		 pid, w;
	long		 id;
	int		 rc, status, sig, wait_ms;

	if (env->name == NULL || env->type == NULL || env->port == 0)
		ctl_usage("--name, --type and --port are needed");
	if (argc < 2)
		ctl_usage("no COMMAND to run");
	env->out = stderr;
	print_init(stderr, stderr);
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	id = ctl_register(env, d, env->name, env->type, env->port, state,
	    sizeof(state));
	if ((pid = fork()) == -1) {
		perror("discoctl: fork");
		exit(EXIT_FAILED);
	}
	if (pid == 0) {
		signal(SIGCHLD, SIG_DFL);
		close(disco_fd(d));
		execvp(argv[1], argv + 1);
		fprintf(stderr, "discoctl: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	wait_ms = env->ttl > 0 ? (int)(env->ttl * 1000 / 3) : 1000;
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
			print_event(env->json, ev);
			free(ev);
		} else if (rc == DISCO_ETIMEOUT && env->ttl > 0)
			ctl_heartbeat(env, d, id);
		else if (rc != DISCO_ETIMEOUT && rc != DISCO_EINTR) {
			fprintf(stderr,
			    "discoctl: %s: %s keeps running but is "
			    "no longer announced\n",
			    disco_strerror(rc), argv[1]);
			disco_close(d);
			d = NULL;
		}
	}
	disco_close(d);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

int
ctl_reload(struct ctl_env *env, int argc, char **argv)
{
	struct json_object *reply, *v;
	struct disco	   *d;
	long		    services = 0, errors = 0;

	if (argc != 1)
		ctl_usage("no operand is taken");
	d = ctl_open(env);
	reply = ctl_call(env, d, ctl_request("reload"), 0);
	disco_close(d);
	if (json_object_object_get_ex(reply, "services", &v))
		services = (long)json_object_get_int64(v);
	if (json_object_object_get_ex(reply, "errors", &v))
		errors = (long)json_object_get_int64(v);
	json_object_put(reply);
	if (!env->json)
		printf("reloaded: %ld service(s), %ld file(s) with errors (see "
		       "the agent's log)\n",
		    services, errors);
	return (errors == 0 ? EXIT_OK : EXIT_FAILED);
}
