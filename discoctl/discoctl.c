/*
 * discoctl: query and drive the local disco agent.  A client of libdisco
 * like any other application: this file holds main, the global options,
 * the command table and what every command shares (the connection, the
 * reply's checks, signals); publish.c and query.c the commands, print.c
 * their output.
 */
#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "disco.h"
#include "discoctl.h"

volatile sig_atomic_t ctl_signal;

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

void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: discoctl [-j] [-s socket] [-t timeout] "
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

/* The number s, from min to max, or the end with EXIT_USAGE. */
long
ctl_number(const char *what, const char *s, long min, long max)
{
	char *end;
	long  n;

	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < min || n > max) {
		fprintf(stderr,
		    "discoctl: %s \"%s\": not a number from %ld "
		    "to %ld\n",
		    what, s, min, max);
		exit(EXIT_USAGE);
	}
	return (n);
}

static void
ctl_on_signal(int sig)
{
	ctl_signal = sig;
}

/* Note the signals sigs in ctl_signal, ending any wait they interrupt. */
void
ctl_catch(const int *sigs, size_t n)
{
	struct sigaction sa;
	size_t		 i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ctl_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a signal ends the wait */
	for (i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
}

struct disco *
ctl_open(struct ctl_env *env)
{
	struct disco *d;
	int	      rc;

	/* -t bounds the wait for a stuck agent's full listen queue too. */
	if ((rc = disco_open_timeout(&d, env->socket, env->timeout_ms)) != 0) {
		fprintf(stderr, "discoctl: %s: %s\n",
		    env->socket != NULL ? env->socket : disco_default_socket(),
		    disco_strerror(rc));
		exit(EXIT_AGENT);
	}
	return (d);
}

/*
 * After a libdisco call on d that returned rc: the agent's reply, decoded,
 * printed as it came with -j.  No reply ends the program with EXIT_AGENT;
 * an error reply is printed and ends it with EXIT_FAILED (not-found too).
 */
struct json_object *
ctl_reply(struct ctl_env *env, struct disco *d, int rc)
{
	struct json_object *reply, *ok;
	const char	   *line;

	if (rc == DISCO_EINVAL || (line = disco_last_reply(d)) == NULL) {
		fprintf(stderr, "discoctl: %s\n", disco_strerror(rc));
		exit(EXIT_AGENT);
	}
	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(reply, "ok", &ok)) {
		fprintf(stderr,
		    "discoctl: the agent's reply is not "
		    "protocol v1\n");
		exit(EXIT_AGENT);
	}
	if (env->json)
		printf("%s\n", line);
	if (!json_object_get_boolean(ok)) {
		if (!env->json)
			print_error(reply);
		exit(EXIT_FAILED);
	}
	/* Accepted, but libdisco could not read the rest of the reply. */
	if (rc != 0) {
		fprintf(stderr, "discoctl: %s\n", disco_strerror(rc));
		exit(EXIT_AGENT);
	}
	return (reply);
}

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
	struct ctl_env env = { NULL, 0, 5000 };
	char	      *end;
	size_t	       i;
	long	       n;
	int	       ch;

	/* The terminal's charset, for what print.c may show as it is. */
	setlocale(LC_CTYPE, "");
	print_init(stdout, stderr);
	while ((ch = getopt_long(argc, argv, "+hjs:t:", longopts, NULL)) !=
	    -1) {
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
				fprintf(stderr,
				    "discoctl: -t %s: not a "
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
