/*
 * discoctl: query and drive the local disco agent.  A client of libdisco
 * like any other application: this file holds main, the options, the
 * command table with each command's help, and what every command shares
 * (the connection and why it failed, requests and their replies,
 * signals); publish.c and query.c the commands, print.c their output.
 *
 * Options may come before or after the command and its operands, as
 * people type them ("discoctl list _http._tcp -j"); "--" ends them.  Only
 * run stops at its first operand, which starts the command it runs.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "disco.h"
#include "discoctl.h"
#include "proto.h"

volatile sig_atomic_t ctl_signal;
const struct ctl_cmd *ctl_cmd; /* the command running, for messages */

/* The options a command may take besides the global ones. */
#define CTL_O_SUBTYPE  0x0001UL
#define CTL_O_TXT      0x0002UL
#define CTL_O_WHERE    0x0004UL /* --family, --interface */
#define CTL_O_PICK     0x0008UL /* --policy, --key */
#define CTL_O_WAIT     0x0010UL
#define CTL_O_SINCE    0x0020UL
#define CTL_O_LEASE    0x0040UL /* --ttl */
#define CTL_O_ADDR     0x0080UL
#define CTL_O_LONG     0x0100UL
#define CTL_O_RUN      0x0200UL /* --name, --type, --port */
#define CTL_O_CHECK    0x0400UL /* --check-*, --interval, --rise, --fall */
#define CTL_O_SUBTYPES 0x0800UL /* --subtype, as often as wanted */
#define CTL_O_PERSIST  0x1000UL
#define CTL_O_DOMAIN   0x2000UL /* --domain */

static int  ctl_help(struct ctl_env *, int, char **);
static void ctl_push(const char ***, size_t *, const char *);

static const struct ctl_cmd ctl_cmds[] = {
	{ "status", ctl_status, 0, 0, "status",
	    "The agent's state: version, uptime, Avahi's state and\n"
	    "responsiveness, what it announces, caches and serves.\n" },
	{ "metrics", ctl_metrics, 0, 0, "metrics",
	    "The agent's counters in the Prometheus text format, as its\n"
	    "[metrics] listen port serves them at /metrics.\n" },
	{ "services", ctl_services, 0, 0, "services",
	    "This host's announcements (service files and registrations of\n"
	    "clients): state, lease, origin and health check.  Users other\n"
	    "than root see their own registrations only, unless the agent's\n"
	    "[access] services-visible says otherwise.\n" },
	{ "types", ctl_types, 0, 0, "types",
	    "The service types on the network, with how many instances each.\n" },
	{ "list", ctl_list,
	    CTL_O_SUBTYPE | CTL_O_TXT | CTL_O_WHERE | CTL_O_LONG | CTL_O_DOMAIN,
	    0, "list [TYPE] [KEY[=VALUE] ...] [options]",
	    "The instances of TYPE (every type without one) that pass the\n"
	    "filters: each KEY (present in TXT) or KEY=VALUE (exact value).\n"
	    "Exits 1 when none passes.\n"
	    "  --subtype LABEL     only instances of a subtype (_printer)\n"
	    "  --txt KEY[=VALUE]   a filter, as the operands are\n"
	    "  --family ipv4|ipv6  only addresses of that family\n"
	    "  --interface NAME    only addresses seen on that interface\n"
	    "  --domain DOMAIN     only instances of that domain: local (the\n"
	    "                      link's) or the wide area's ([wide-area])\n"
	    "  -l, --long          a row per address, with its family and\n"
	    "                      interface\n" },
	{ "resolve", ctl_resolve, CTL_O_WAIT | CTL_O_ADDR | CTL_O_DOMAIN, 0,
	    "resolve NAME TYPE | FULLNAME [options]",
	    "One instance, by name and type or by its full name (dots in the\n"
	    "name escaped: My\\.Printer._ipp._tcp.local).\n"
	    "  --wait MS   wait that long for it to appear (at most 60000)\n"
	    "  --addr      print \"ADDRESS PORT\" only (its first address)\n"
	    "  --domain D  the instance's domain (local; the wide area's)\n" },
	{ "pick", ctl_pick,
	    CTL_O_SUBTYPE | CTL_O_TXT | CTL_O_WHERE | CTL_O_PICK | CTL_O_WAIT |
		CTL_O_ADDR | CTL_O_DOMAIN,
	    0, "pick TYPE [KEY[=VALUE] ...] [options]",
	    "One reachable instance of TYPE that passes the filters (as list\n"
	    "takes them), chosen by a policy.\n"
	    "  --policy weighted|round-robin|random|sticky   (weighted)\n"
	    "  --key KEY           what sticky hashes (a user, a session)\n"
	    "  --prefer local      this link's instances while there are\n"
	    "                      any, else the wide area's\n"
	    "  --wait MS           wait that long for a first instance\n"
	    "  --subtype, --txt, --family, --interface, --domain   as for\n"
	    "                      list\n"
	    "  --addr              print \"ADDRESS PORT\" only, for scripts:\n"
	    "                      read host port < <(discoctl pick --addr T)\n" },
	{ "watch", ctl_watch,
	    CTL_O_SUBTYPE | CTL_O_TXT | CTL_O_WHERE | CTL_O_SINCE |
		CTL_O_DOMAIN,
	    0, "watch [TYPE] [KEY[=VALUE] ...] [options]",
	    "The instances present, then each change as it happens (add,\n"
	    "update, remove, resync), until interrupted.\n"
	    "  --since INDEX       no snapshot: the events after INDEX (the\n"
	    "                      last one seen), then the live ones\n"
	    "  --subtype, --txt, --family, --interface, --domain   as for\n"
	    "                      list\n" },
	{ "publish", ctl_publish,
	    CTL_O_SUBTYPES | CTL_O_TXT | CTL_O_LEASE | CTL_O_PERSIST |
		CTL_O_CHECK,
	    0, "publish NAME TYPE PORT [KEY=VALUE ...] [options]",
	    "Announce a service until interrupted, printing what happens to\n"
	    "it (established, renamed, failed, health, expired).  With\n"
	    "--persist, exit once it is established, leaving it announced\n"
	    "until its lease runs out (see renew).\n"
	    "  --txt KEY[=VALUE]   a TXT string, as the operands are\n"
	    "  --subtype LABEL     a subtype (_printer); repeatable\n"
	    "  --ttl SECONDS       a lease, renewed at a third of it\n"
	    "  --persist           keep it after discoctl exits (needs --ttl)\n"
	    "  --check-tcp HOST:PORT | --check-http URL | --check-exec CMD\n"
	    "                      announce only while the check passes (CMD\n"
	    "                      is split at spaces, quotes kept; no shell)\n"
	    "  --interval S, --check-timeout S, --rise N, --fall N\n"
	    "                      the check's pace (seconds, or 500ms)\n" },
	{ "run", ctl_run,
	    CTL_O_RUN | CTL_O_SUBTYPES | CTL_O_TXT | CTL_O_LEASE | CTL_O_CHECK,
	    1,
	    "run --name NAME --type TYPE --port PORT [options] [--] "
	    "COMMAND [ARG ...]",
	    "Announce a service while COMMAND runs; signals pass to it, and\n"
	    "discoctl exits with its status.  discoctl's own lines go to\n"
	    "standard error: standard output is the command's.  Options\n"
	    "come before COMMAND.\n"
	    "  --name NAME, --type TYPE, --port PORT   what is announced\n"
	    "  --txt, --subtype, --ttl, --check-tcp, --check-http,\n"
	    "  --check-exec, --interval, --check-timeout, --rise, --fall\n"
	    "                      as for publish\n" },
	{ "renew", ctl_renew, 0, 0, "renew REGISTRATION",
	    "Extend a registration's lease by its ttl (for publish --persist).\n" },
	{ "unpublish", ctl_unpublish, 0, 0, "unpublish REGISTRATION",
	    "Withdraw a registration now.\n" },
	{ "reload", ctl_reload, 0, 0, "reload",
	    "Make the agent reread discod.conf and the service files (root).\n" },
	{ "help", ctl_help, 0, 0, "help [COMMAND]",
	    "This text, or a command's.\n" },
};
#define CTL_NCMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static const char ctl_globals[] =
    "Options, anywhere on the line:\n"
    "  -j, --json          JSON lines, as the agent sends them\n"
    "  -s, --socket PATH   the agent's socket (default: $DISCO_SOCKET, or\n"
    "                      %s)\n"
    "  -t, --timeout MS    wait at most that long for the agent (5000)\n"
    "      --no-header     tables without their header line\n"
    "      --color=WHEN    auto (a terminal, no NO_COLOR), always, never\n"
    "  -h, --help          help (for a command: discoctl help COMMAND)\n"
    "  -V, --version       discoctl's version\n";

static void
ctl_help_all(FILE *fp)
{
	size_t i;

	fprintf(fp,
	    "usage: discoctl [options] command [argument ...]\n"
	    "commands:\n");
	for (i = 0; i < CTL_NCMDS; i++)
		fprintf(fp, "  %s\n", ctl_cmds[i].synopsis);
	fprintf(fp, ctl_globals, disco_default_socket());
	fprintf(fp, "See discoctl(1).\n");
}

static void
ctl_help_one(FILE *fp, const struct ctl_cmd *cmd)
{
	fprintf(fp, "usage: discoctl %s\n%s", cmd->synopsis, cmd->help);
	fprintf(fp, ctl_globals, disco_default_socket());
}

static const struct ctl_cmd *
ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return (&ctl_cmds[i]);
	return (NULL);
}

static int
ctl_help(struct ctl_env *env, int argc, char **argv)
{
	const struct ctl_cmd *cmd;

	if (argc > 2)
		ctl_usage("one command at most");
	if (argc == 1) {
		ctl_help_all(stdout);
		return (EXIT_OK);
	}
	if ((cmd = ctl_find(argv[1])) == NULL) {
		ctl_cmd = NULL;
		ctl_usage("no command %s", argv[1]);
	}
	ctl_help_one(stdout, cmd);
	return (EXIT_OK);
}

/* What was wrong on the command line, the synopsis, and EXIT_USAGE. */
void
ctl_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "discoctl%s%s: ", ctl_cmd != NULL ? " " : "",
	    ctl_cmd != NULL ? ctl_cmd->name : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctl_cmd != NULL)
		fprintf(stderr,
		    "\nusage: discoctl %s\n"
		    "(discoctl help %s says more)\n",
		    ctl_cmd->synopsis, ctl_cmd->name);
	else
		fprintf(stderr, "\n(discoctl help lists the commands)\n");
	exit(EXIT_USAGE);
}

/* The number s, from min to max, or the end with EXIT_USAGE. */
long
ctl_number(const char *what, const char *s, long min, long max)
{
	char *end;
	long  n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || n < min || n > max)
		ctl_usage("%s \"%s\": not a number from %ld to %ld", what, s,
		    min, max);
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

static const char *
ctl_socket_path(const struct ctl_env *env)
{
	const char *path;

	if (env->socket != NULL)
		return (env->socket);
	if ((path = getenv("DISCO_SOCKET")) != NULL)
		return (path);
	return (disco_default_socket());
}

/*
 * Why the socket at path refused us (errno EACCES): who may use it, and
 * what to do about it.
 */
static void
ctl_denied(const char *path)
{
	struct group *gr;
	struct stat   sb;
	char	      gname[64];

	fprintf(stderr, "discoctl: %s: permission denied\n", path);
	if (stat(path, &sb) == -1) {
		/* A directory on the way is closed to us. */
		fprintf(stderr,
		    "discoctl: a directory above it is closed to you; "
		    "ask root, or use the agent's socket through -s\n");
		return;
	}
	if ((gr = getgrgid(sb.st_gid)) != NULL)
		snprintf(gname, sizeof(gname), "%s", gr->gr_name);
	else
		snprintf(gname, sizeof(gname), "%ld", (long)sb.st_gid);
	if (sb.st_gid == 0 || (sb.st_mode & 0060) != 0060) {
		fprintf(stderr,
		    "discoctl: only root may use it (mode %04o, group %s): "
		    "set [control] socket-group in discod.conf, or "
		    "SocketGroup= in discod.socket\n",
		    (unsigned int)(sb.st_mode & 07777), gname);
		return;
	}
	fprintf(stderr,
	    "discoctl: members of group %s may: add yourself with "
	    "\"sudo usermod -aG %s $USER\" and log in again\n",
	    gname, gname);
}

/*
 * Connect to the agent or end with EXIT_AGENT and a message that says
 * what is wrong and what to do: the path tried, and for each way it can
 * fail the likely cause.
 */
struct disco *
ctl_open(struct ctl_env *env)
{
	struct disco *d;
	const char   *path = ctl_socket_path(env);
	int	      rc, err;

	/*
	 * -t bounds the wait for a stuck agent's full listen queue too.  A
	 * command is one exchange: an agent that goes away is an error now
	 * (exit 3), not a reconnection that waits for it.
	 */
	errno = 0;
	if ((rc = disco_open_flags(&d, path, env->timeout_ms,
		 DISCO_OPEN_NO_RECONNECT)) == 0)
		return (d);
	err = errno;
	if (rc == DISCO_EINVAL)
		fprintf(stderr, "discoctl: %s: the path is too long\n", path);
	else if (rc == DISCO_ETIMEOUT)
		fprintf(stderr,
		    "discoctl: %s: the agent did not take the connection in "
		    "%d ms: it is stuck or flooded with clients (see "
		    "journalctl -u discod)\n",
		    path, env->timeout_ms);
	else if (err == EACCES || err == EPERM)
		ctl_denied(path);
	else if (err == ENOENT || err == ECONNREFUSED)
		fprintf(stderr,
		    "discoctl: %s: %s: the agent is not running; start it "
		    "with \"systemctl start discod\" (or name its socket "
		    "with -s or DISCO_SOCKET)\n",
		    path,
		    err == ENOENT ? "no such socket" : "nobody listens there");
	else if (err == ENOTSOCK || err == ENOTDIR)
		fprintf(stderr, "discoctl: %s: not a socket\n", path);
	else if (rc == DISCO_ESYSTEM && err != 0)
		fprintf(stderr, "discoctl: %s: %s\n", path, strerror(err));
	else
		fprintf(stderr, "discoctl: %s: %s\n", path, disco_strerror(rc));
	exit(EXIT_AGENT);
}

/* The connection ended or failed (a libdisco code): EXIT_AGENT. */
void
ctl_agent_lost(int rc)
{
	if (rc == DISCO_ECLOSED)
		fprintf(stderr,
		    "discoctl: the agent closed the connection "
		    "(it stopped, or dropped this client: see "
		    "journalctl -u discod)\n");
	else if (rc == DISCO_ETIMEOUT)
		fprintf(stderr,
		    "discoctl: no reply from the agent in time "
		    "(-t sets how long to wait)\n");
	else
		fprintf(stderr, "discoctl: %s\n", disco_strerror(rc));
	exit(EXIT_AGENT);
}

/* A request object for verb. */
struct json_object *
ctl_request(const char *verb)
{
	struct json_object *req;

	if ((req = json_object_new_object()) == NULL) {
		fprintf(stderr, "discoctl: out of memory\n");
		exit(EXIT_FAILED);
	}
	json_object_object_add(req, "verb", json_object_new_string(verb));
	return (req);
}

/* A JSON array of the n strings s. */
struct json_object *
ctl_strings(const char *const *s, size_t n)
{
	struct json_object *a = json_object_new_array();
	size_t		    i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(s[i]));
	return (a);
}

/* KEY[=VALUE] operands: TXT after --txt's, in the order they came. */
void
ctl_txt_operands(struct ctl_env *env, int n, char **words)
{
	int i;

	for (i = 0; i < n; i++)
		ctl_push(&env->txt, &env->ntxt, words[i]);
}

/* The filters list, pick and watch share, from the options, into req. */
void
ctl_add_filters(struct ctl_env *env, struct json_object *req)
{
	if (env->subtype != NULL)
		json_object_object_add(req, "subtype",
		    json_object_new_string(env->subtype));
	if (env->ntxt > 0)
		json_object_object_add(req, "txt",
		    ctl_strings(env->txt, env->ntxt));
	if (env->family != NULL)
		json_object_object_add(req, "family",
		    json_object_new_string(env->family));
	if (env->interface != NULL)
		json_object_object_add(req, "interface",
		    json_object_new_string(env->interface));
	if (env->domain != NULL)
		json_object_object_add(req, "domain",
		    json_object_new_string(env->domain));
}

/*
 * Send req (which this takes) and return the agent's reply, decoded and
 * printed as it came with -j.  No reply ends the program with EXIT_AGENT;
 * an error reply is printed and ends it with EXIT_FAILED (not-found too),
 * unless keep_errors, when the caller looks at "ok" itself.
 */
struct json_object *
ctl_call(struct ctl_env *env, struct disco *d, struct json_object *req,
    int keep_errors)
{
	struct json_object *reply, *ok;
	char		   *line;
	int		    rc;

	rc = disco_call(d,
	    json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), &line,
	    env->timeout_ms);
	json_object_put(req);
	if (rc != 0)
		ctl_agent_lost(rc);
	if ((reply = json_tokener_parse(line)) == NULL ||
	    !json_object_object_get_ex(reply, "ok", &ok)) {
		fprintf(stderr,
		    "discoctl: the agent's reply is not "
		    "protocol v1\n");
		exit(EXIT_AGENT);
	}
	if (env->json) {
		fprintf(env->out, "%s\n", line);
		fflush(env->out);
	}
	free(line);
	if (!json_object_get_boolean(ok) && !keep_errors) {
		if (!env->json)
			print_error(reply);
		exit(EXIT_FAILED);
	}
	return (reply);
}

/* The options of every command; each takes those ctl_cmd.opts names. */
enum {
	OPT_NO_HEADER = 256,
	OPT_COLOR,
	OPT_SUBTYPE,
	OPT_TXT,
	OPT_FAMILY,
	OPT_INTERFACE,
	OPT_POLICY,
	OPT_KEY,
	OPT_WAIT,
	OPT_SINCE,
	OPT_TTL,
	OPT_PERSIST,
	OPT_ADDR,
	OPT_NAME,
	OPT_TYPE,
	OPT_PORT,
	OPT_CHECK_TCP,
	OPT_CHECK_HTTP,
	OPT_CHECK_EXEC,
	OPT_INTERVAL,
	OPT_CHECK_TIMEOUT,
	OPT_RISE,
	OPT_FALL,
	OPT_DOMAIN,
	OPT_PREFER,
};

static const struct option ctl_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "socket", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "no-header", no_argument, NULL, OPT_NO_HEADER },
	{ "color", optional_argument, NULL, OPT_COLOR },
	{ "long", no_argument, NULL, 'l' },
	{ "subtype", required_argument, NULL, OPT_SUBTYPE },
	{ "txt", required_argument, NULL, OPT_TXT },
	{ "family", required_argument, NULL, OPT_FAMILY },
	{ "interface", required_argument, NULL, OPT_INTERFACE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "persist", no_argument, NULL, OPT_PERSIST },
	{ "addr", no_argument, NULL, OPT_ADDR },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "check-tcp", required_argument, NULL, OPT_CHECK_TCP },
	{ "check-http", required_argument, NULL, OPT_CHECK_HTTP },
	{ "check-exec", required_argument, NULL, OPT_CHECK_EXEC },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "check-timeout", required_argument, NULL, OPT_CHECK_TIMEOUT },
	{ "rise", required_argument, NULL, OPT_RISE },
	{ "fall", required_argument, NULL, OPT_FALL },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "prefer", required_argument, NULL, OPT_PREFER },
	{ NULL, 0, NULL, 0 },
};

/* Which CTL_O_* an option belongs to; 0 for the global ones. */
static unsigned long
ctl_opt_class(int ch)
{
	switch (ch) {
	case OPT_SUBTYPE:
		return (CTL_O_SUBTYPE | CTL_O_SUBTYPES);
	case OPT_TXT:
		return (CTL_O_TXT);
	case OPT_FAMILY:
	case OPT_INTERFACE:
		return (CTL_O_WHERE);
	case OPT_POLICY:
	case OPT_KEY:
	case OPT_PREFER:
		return (CTL_O_PICK);
	case OPT_DOMAIN:
		return (CTL_O_DOMAIN);
	case OPT_WAIT:
		return (CTL_O_WAIT);
	case OPT_SINCE:
		return (CTL_O_SINCE);
	case OPT_TTL:
		return (CTL_O_LEASE);
	case OPT_PERSIST:
		return (CTL_O_PERSIST);
	case OPT_ADDR:
		return (CTL_O_ADDR);
	case 'l':
		return (CTL_O_LONG);
	case OPT_NAME:
	case OPT_TYPE:
	case OPT_PORT:
		return (CTL_O_RUN);
	case OPT_CHECK_TCP:
	case OPT_CHECK_HTTP:
	case OPT_CHECK_EXEC:
	case OPT_INTERVAL:
	case OPT_CHECK_TIMEOUT:
	case OPT_RISE:
	case OPT_FALL:
		return (CTL_O_CHECK);
	default:
		return (0);
	}
}

static void
ctl_push(const char ***a, size_t *n, const char *s)
{
	const char **na;

	if ((na = reallocarray(*a, *n + 2, sizeof(**a))) == NULL) {
		fprintf(stderr, "discoctl: out of memory\n");
		exit(EXIT_FAILED);
	}
	na[(*n)++] = s;
	na[*n] = NULL;
	*a = na;
}

/*
 * An exec check's command line, split at blanks; '...' and "..." keep
 * blanks, a backslash the next character.  No shell: nothing expands.
 */
static struct json_object *
ctl_split(const char *s)
{
	struct json_object *argv = json_object_new_array();
	char		   *word, *w;
	int		    quote = 0, in = 0;

	if ((word = malloc(strlen(s) + 1)) == NULL) {
		fprintf(stderr, "discoctl: out of memory\n");
		exit(EXIT_FAILED);
	}
	for (w = word;; s++) {
		if (*s == '\0' || (!quote && (*s == ' ' || *s == '\t'))) {
			if (in) {
				*w = '\0';
				json_object_array_add(argv,
				    json_object_new_string(word));
			}
			in = 0;
			w = word;
			if (*s == '\0')
				break;
			continue;
		}
		in = 1;
		if (quote != 0 && *s == quote)
			quote = 0;
		else if (quote == 0 && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (*s == '\\' && quote != '\'' && s[1] != '\0')
			*w++ = *++s;
		else
			*w++ = *s;
	}
	free(word);
	if (quote != 0)
		ctl_usage("--check-exec: a quote is not closed");
	if (json_object_array_length(argv) == 0)
		ctl_usage("--check-exec: no command");
	return (argv);
}

/* A check option's value: whole seconds as a number, "500ms" as text. */
static struct json_object *
ctl_seconds(const char *s)
{
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		;
	if (*s != '\0' && *p == '\0' && p - s < 9)
		return (json_object_new_int(atoi(s)));
	return (json_object_new_string(s)); /* the agent says if it is bad */
}

/* --check-tcp HOST:PORT, [IPV6]:PORT */
static void
ctl_check_tcp(struct json_object *check, const char *arg)
{
	const char *colon, *host;
	char	   *h;
	size_t	    len;

	if ((colon = strrchr(arg, ':')) == NULL || colon == arg)
		ctl_usage("--check-tcp %s: not HOST:PORT", arg);
	host = arg;
	len = (size_t)(colon - arg);
	if (arg[0] == '[' && colon[-1] == ']') {
		host++;
		len -= 2;
	}
	if ((h = strndup(host, len)) == NULL)
		exit(EXIT_FAILED);
	json_object_object_add(check, "host", json_object_new_string(h));
	json_object_object_add(check, "port",
	    json_object_new_int((int)ctl_number("--check-tcp port", colon + 1,
		1, 65535)));
	free(h);
}

static void
ctl_check_kind(struct ctl_env *env, int ch, const char *arg)
{
	static const char *const kinds[] = { "tcp", "http", "exec" };

	if (env->check != NULL &&
	    json_object_object_get_ex(env->check, "type", NULL))
		ctl_usage("one check at most");
	if (env->check == NULL)
		env->check = json_object_new_object();
	json_object_object_add(env->check, "type",
	    json_object_new_string(kinds[ch - OPT_CHECK_TCP]));
	if (ch == OPT_CHECK_TCP)
		ctl_check_tcp(env->check, arg);
	else if (ch == OPT_CHECK_HTTP)
		json_object_object_add(env->check, "url",
		    json_object_new_string(arg));
	else
		json_object_object_add(env->check, "command", ctl_split(arg));
}

/*
 * Parse argv (the command's words, argv[0] its name) into env; the
 * global options are taken here too, so that they may follow the
 * operands.  Returns the index of the first operand; the operands are
 * moved after the options (GNU getopt), unless the command takes them in
 * order.
 */
static int
ctl_options(struct ctl_env *env, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	const char *pace[4] = { NULL };
	int	    ch, i, longindex = -1;

	optind = 0; /* glibc: start afresh, and read the "+" again */
	opterr = 0;
	while ((ch = getopt_long(argc, argv,
		    cmd->in_order ? "+:hjlVs:t:" : ":hjlVs:t:", ctl_longopts,
		    &longindex)) != -1) {
		if (ch == '?') {
			if (optopt != 0)
				ctl_usage("unknown option -%c", optopt);
			ctl_usage("unknown option %s", argv[optind - 1]);
		}
		if (ch == ':')
			ctl_usage("%s needs a value", argv[optind - 1]);
		if (ctl_opt_class(ch) != 0 &&
		    (ctl_opt_class(ch) & cmd->opts) == 0) {
			if (longindex >= 0)
				ctl_usage("%s takes no option --%s", cmd->name,
				    ctl_longopts[longindex].name);
			ctl_usage("%s takes no option -%c", cmd->name, ch);
		}
		switch (ch) {
		case 'j':
			env->json = 1;
			break;
		case 's':
			env->socket = optarg;
			break;
		case 't':
			env->timeout_ms = (int)ctl_number("-t", optarg, 1,
			    3600000);
			break;
		case 'h':
			ctl_help_one(stdout, cmd);
			exit(EXIT_OK);
		case 'V':
			printf("discoctl %s (protocol %d)\n", PACKAGE_VERSION,
			    DISCO_PROTO_VERSION);
			exit(EXIT_OK);
		case OPT_NO_HEADER:
			env->no_header = 1;
			break;
		case OPT_COLOR:
			if (optarg == NULL || strcmp(optarg, "always") == 0)
				env->color = 1;
			else if (strcmp(optarg, "never") == 0)
				env->color = 0;
			else if (strcmp(optarg, "auto") == 0)
				env->color = -1;
			else
				ctl_usage("--color=%s: auto, always or never",
				    optarg);
			break;
		case 'l':
			env->longer = 1;
			break;
		case OPT_SUBTYPE:
			if (cmd->opts & CTL_O_SUBTYPES)
				ctl_push(&env->subtypes, &env->nsubtypes,
				    optarg);
			else if (env->subtype != NULL)
				ctl_usage("one --subtype at most");
			else
				env->subtype = optarg;
			break;
		case OPT_TXT:
			ctl_push(&env->txt, &env->ntxt, optarg);
			break;
		case OPT_FAMILY:
			env->family = optarg;
			break;
		case OPT_INTERFACE:
			env->interface = optarg;
			break;
		case OPT_POLICY:
			env->policy = optarg;
			break;
		case OPT_KEY:
			env->key = optarg;
			break;
		case OPT_DOMAIN:
			env->domain = optarg;
			break;
		case OPT_PREFER:
			env->prefer = optarg;
			break;
		case OPT_WAIT:
			env->wait_ms = ctl_number("--wait", optarg, 0, 60000);
			break;
		case OPT_SINCE:
			env->since = ctl_number("--since", optarg, 0, LONG_MAX);
			break;
		case OPT_TTL:
			env->ttl = ctl_number("--ttl", optarg, 1, 604800);
			break;
		case OPT_PERSIST:
			env->persist = 1;
			break;
		case OPT_ADDR:
			env->addr = 1;
			break;
		case OPT_NAME:
			env->name = optarg;
			break;
		case OPT_TYPE:
			env->type = optarg;
			break;
		case OPT_PORT:
			env->port = ctl_number("--port", optarg, 1, 65535);
			break;
		case OPT_CHECK_TCP:
		case OPT_CHECK_HTTP:
		case OPT_CHECK_EXEC:
			ctl_check_kind(env, ch, optarg);
			break;
		case OPT_INTERVAL:
		case OPT_CHECK_TIMEOUT:
		case OPT_RISE:
		case OPT_FALL:
			pace[ch - OPT_INTERVAL] = optarg;
			break;
		}
		longindex = -1;
	}
	for (i = 0; i < 4; i++) {
		static const char *const keys[] = { "interval", "timeout",
			"rise", "fall" };

		if (pace[i] == NULL)
			continue;
		if (env->check == NULL)
			ctl_usage("--%s needs a check (--check-tcp, "
				  "--check-http or --check-exec)",
			    i == 1 ? "check-timeout" : keys[i]);
		json_object_object_add(env->check, keys[i],
		    i < 2 ? ctl_seconds(pace[i]) :
			    json_object_new_int((int)ctl_number(keys[i],
				pace[i], 1, 100)));
	}
	if (env->persist && env->ttl == 0)
		ctl_usage("--persist needs --ttl: the lease that ends it");
	return (optind);
}

int
main(int argc, char *argv[])
{
	struct ctl_env	      env;
	const struct ctl_cmd *cmd;
	char		     *nocolor, *term, **words;
	int		      ch, first, i, n = 0, status;

	memset(&env, 0, sizeof(env));
	env.timeout_ms = 5000;
	env.color = -1;
	env.out = stdout;
	env.wait_ms = -1;
	env.since = -1;

	/* The terminal's charset, for what print.c may show as it is. */
	setlocale(LC_CTYPE, "");
	print_init(stdout, stderr);

	/*
	 * The command: the first operand.  Every option is known here, so
	 * that the value of one before the command is not taken for it;
	 * they are all read again below, with the command's.
	 */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hjlVs:t:", ctl_longopts,
		    NULL)) != -1) {
		if (ch == 'h') {
			ctl_help_all(stdout);
			exit(EXIT_OK);
		}
		if (ch == 'V') {
			printf("discoctl %s (protocol %d)\n", PACKAGE_VERSION,
			    DISCO_PROTO_VERSION);
			exit(EXIT_OK);
		}
	}
	if ((first = optind) >= argc) {
		ctl_help_all(stderr);
		exit(EXIT_USAGE);
	}
	if ((cmd = ctl_find(argv[first])) == NULL)
		ctl_usage("unknown command: %s", argv[first]);
	ctl_cmd = cmd;

	/* Every word but the command's name, with the name first. */
	if ((words = calloc((size_t)argc + 1, sizeof(*words))) == NULL)
		exit(EXIT_FAILED);
	words[n++] = argv[first];
	for (i = 1; i < argc; i++)
		if (i != first)
			words[n++] = argv[i];
	first = ctl_options(&env, cmd, n, words);
	if (env.color == -1)
		env.color = isatty(STDOUT_FILENO) &&
		    ((nocolor = getenv("NO_COLOR")) == NULL ||
			*nocolor == '\0') &&
		    ((term = getenv("TERM")) == NULL ||
			strcmp(term, "dumb") != 0);
	print_flags((env.no_header ? PRINT_NO_HEADER : 0) |
	    (env.color ? PRINT_COLOR : 0) | (env.longer ? PRINT_LONG : 0));
	print_where(env.family, env.interface);
	/* The command sees its name, then its operands. */
	words[first - 1] = words[0];
	status = cmd->run(&env, n - first + 1, words + first - 1);
	free(words);
	free(env.txt);
	free(env.subtypes);
	json_object_put(env.check);
	return (status);
}
