/*
 * discoctl's commands that change this host's announcements: publish,
 * run, unpublish and reload.
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
#include "discoctl.h"

/* What publish and run announce, and the arrays behind it. */
struct ctl_service {
	struct disco_service def;
	const char	   **txt; /* def.txt, NULL-terminated */
	size_t		     ntxt;
	const char	   **subtypes; /* def.subtypes, likewise */
	size_t		     nsubtypes;
};

static const char **
ctl_strings_new(int argc)
{
	const char **a;

	if ((a = calloc((size_t)argc + 1, sizeof(*a))) == NULL) {
		fprintf(stderr, "discoctl: out of memory\n");
		exit(EXIT_FAILED);
	}
	return (a);
}

static void
ctl_service_free(struct ctl_service *svc)
{
	free(svc->txt);
	free(svc->subtypes);
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
	int ch;

	/* Every word could be one: argc bounds both arrays. */
	svc->txt = ctl_strings_new(argc);
	svc->subtypes = ctl_strings_new(argc);
	svc->def.txt = svc->txt;
	svc->def.subtypes = svc->subtypes;
	optind = 1;
	while ((ch = getopt_long(argc, argv, named ? "+" : "", longopts,
		    NULL)) != -1) {
		switch (ch) {
		case 'S':
			svc->subtypes[svc->nsubtypes++] = optarg;
			break;
		case 'T':
			svc->def.ttl = (unsigned int)ctl_number("--ttl", optarg,
			    1, 604800);
			break;
		case 'x':
			svc->txt[svc->ntxt++] = optarg;
			break;
		case 'n':
			if (!named)
				usage();
			svc->def.name = optarg;
			break;
		case 'y':
			if (!named)
				usage();
			svc->def.type = optarg;
			break;
		case 'p':
			if (!named)
				usage();
			svc->def.port = (unsigned int)ctl_number("--port",
			    optarg, 1, 65535);
			break;
		default:
			usage();
		}
	}
	return (optind);
}

/* Register, and return the registration id; d stays open to keep it. */
static long
ctl_register(struct ctl_env *env, struct disco *d, struct ctl_service *svc,
    int quiet)
{
	struct json_object *reply;
	char		   *final_name = NULL;
	long		    id = 0;
	int		    rc;

	rc = disco_register_service(d, &svc->def, &id, &final_name,
	    env->timeout_ms);
	reply = ctl_reply(env, d, rc);
	if (!env->json && !quiet)
		print_published(final_name, svc->def.type, svc->def.port, id);
	fflush(stdout);
	free(final_name);
	json_object_put(reply);
	return (id);
}

static void
ctl_renew(struct ctl_env *env, struct disco *d, long id)
{
	int json = env->json;
	int rc;

	rc = disco_renew(d, id, env->timeout_ms);
	env->json = 0; /* heartbeats are not output */
	json_object_put(ctl_reply(env, d, rc));
	env->json = json;
}

int
ctl_publish(struct ctl_env *env, int argc, char **argv)
{
	static const int   sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct ctl_service svc;
	struct disco	  *d;
	char		  *ev;
	long		   id;
	int		   i, rc, wait_ms;

	memset(&svc, 0, sizeof(svc));
	i = ctl_service_opts(argc, argv, &svc, 0);
	if (argc - i < 3)
		usage();
	svc.def.name = argv[i];
	svc.def.type = argv[i + 1];
	svc.def.port = (unsigned int)ctl_number("port", argv[i + 2], 1, 65535);
	for (i += 3; i < argc; i++)
		svc.txt[svc.ntxt++] = argv[i];
	ctl_catch(sigs, sizeof(sigs) / sizeof(sigs[0]));
	d = ctl_open(env);
	id = ctl_register(env, d, &svc, 0);
	/* Renew at a third of the lease: two heartbeats may be lost. */
	wait_ms = svc.def.ttl > 0 ? (int)(svc.def.ttl * 1000 / 3) : -1;
	while (ctl_signal == 0) {
		rc = disco_event_next(d, &ev, wait_ms);
		if (rc == 0) {
			print_event(env, ev);
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
	ctl_service_free(&svc);
	return (EXIT_OK);
}

int
ctl_unpublish(struct ctl_env *env, int argc, char **argv)
{
	struct disco *d;
	long	      id;
	int	      rc;

	if (argc != 2)
		usage();
	id = ctl_number("registration", argv[1], 1, LONG_MAX);
	d = ctl_open(env);
	rc = disco_unregister(d, id, env->timeout_ms);
	json_object_put(ctl_reply(env, d, rc));
	disco_close(d);
	return (EXIT_OK);
}

/*
 * run: announce a service while a command runs.  Signals are passed on to
 * the command; when it exits the registration is withdrawn and discoctl
 * exits with the command's status (128 + N when killed by signal N).
 */
int
ctl_run(struct ctl_env *env, int argc, char **argv)
{
	static const int   sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
		  SIGUSR2, SIGCHLD };
	struct ctl_service svc;
	struct disco	  *d;
	char		  *ev;
	long		   id;
	pid_t		   pid, w;
	int		   i, rc, status, sig, wait_ms;

	memset(&svc, 0, sizeof(svc));
	i = ctl_service_opts(argc, argv, &svc, 1);
	if (svc.def.name == NULL || svc.def.type == NULL || svc.def.port == 0 ||
	    i >= argc)
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
	wait_ms = svc.def.ttl > 0 ? (int)(svc.def.ttl * 1000 / 3) : 1000;
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
			print_event(env, ev);
			free(ev);
		} else if (rc == DISCO_ETIMEOUT && svc.def.ttl > 0)
			ctl_renew(env, d, id);
		else if (rc != DISCO_ETIMEOUT && rc != DISCO_EINTR) {
			fprintf(stderr,
			    "discoctl: %s: %s keeps running but is "
			    "no longer announced\n",
			    disco_strerror(rc), argv[i]);
			disco_close(d);
			d = NULL;
		}
	}
	disco_close(d);
	ctl_service_free(&svc);
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}

int
ctl_reload(struct ctl_env *env, int argc, char **argv)
{
	struct disco *d;
	size_t	      services, errors;
	int	      rc;

	if (argc != 1)
		usage();
	d = ctl_open(env);
	rc = disco_reload(d, &services, &errors, env->timeout_ms);
	json_object_put(ctl_reply(env, d, rc));
	disco_close(d);
	if (!env->json)
		printf("reloaded: %zu service(s), %zu file(s) with errors (see "
		       "the agent's log)\n",
		    services, errors);
	return (errors == 0 ? EXIT_OK : EXIT_FAILED);
}
