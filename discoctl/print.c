/*
 * discoctl's output: the agent's replies and events for people.  With -j
 * the lines are printed as the agent sent them, and nothing here runs
 * but for events.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "discoctl.h"

/* The field key of o as text, "-" when it is missing. */
static const char *
print_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return ("-");
	return (json_object_get_string(v));
}

static struct json_object *
print_get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return (v);
}

static void
print_duration(char *buf, size_t len, double secs)
{
	long s = (long)secs;

	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, (s / 60) % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, (s / 3600) % 24);
}

/* An error reply's message and code, on stderr. */
void
print_error(struct json_object *reply)
{
	struct json_object *err;

	err = print_get(reply, "error");
	fprintf(stderr, "discoctl: %s (%s)\n",
	    print_get(err, "message") != NULL ? print_str(err, "message") :
						"error",
	    print_get(err, "code") != NULL ? print_str(err, "code") : "?");
}

void
print_status(struct json_object *reply)
{
	struct json_object *av, *counts;
	char		    up[32], since[32];

	av = print_get(reply, "avahi");
	counts = print_get(reply, "counts");
	print_duration(up, sizeof(up),
	    json_object_get_double(print_get(reply, "uptime")));
	print_duration(since, sizeof(since),
	    json_object_get_double(print_get(av, "since")));
	printf("%-10s discod %s, protocol %s, pid %s, up %s\n", "agent",
	    print_str(reply, "version"), print_str(reply, "protocol"),
	    print_str(reply, "pid"), up);
	printf("%-10s %s\n", "host", print_str(reply, "host"));
	printf("%-10s %s for %s, %s outage(s)%s%s\n", "avahi",
	    print_str(av, "state"), since, print_str(av, "outages"),
	    print_get(av, "error") != NULL ? ": " : "",
	    print_get(av, "error") != NULL ? print_str(av, "error") : "");
	printf("%-10s %s\n", "services", print_str(counts, "services"));
	printf("%-10s %s\n", "instances", print_str(counts, "instances"));
	printf("%-10s %s\n", "clients", print_str(counts, "clients"));
	printf("%-10s %s KiB\n", "memory", print_str(reply, "rss_kib"));
}

void
print_services(struct json_object *reply)
{
	struct json_object *list, *s, *origin, *h;
	char		    where[64], lease[32], name[80];
	size_t		    i, n;

	list = print_get(reply, "services");
	n = json_object_array_length(list);
	printf("%-4s %-12s %-32s %-16s %5s %-6s %s\n", "ID", "STATE", "NAME",
	    "TYPE", "PORT", "LEASE", "ORIGIN");
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(list, i);
		origin = print_get(s, "origin");
		if (print_get(origin, "file") != NULL)
			snprintf(where, sizeof(where), "%s",
			    print_str(origin, "file"));
		else
			snprintf(where, sizeof(where), "pid %s uid %s%s",
			    print_str(origin, "pid"), print_str(origin, "uid"),
			    json_object_get_boolean(print_get(origin,
				"connected")) ?
				"" :
				" (gone)");
		if (print_get(s, "lease_remaining") != NULL)
			snprintf(lease, sizeof(lease), "%ss",
			    print_str(s, "lease_remaining"));
		else
			snprintf(lease, sizeof(lease), "-");
		if (json_object_get_boolean(print_get(s, "renamed")))
			snprintf(name, sizeof(name), "%s (was %s)",
			    print_str(s, "final_name"), print_str(s, "name"));
		else
			snprintf(name, sizeof(name), "%s",
			    print_str(s, "final_name"));
		printf("%-4s %-12s %-32s %-16s %5s %-6s %s\n",
		    print_str(s, "id"), print_str(s, "state"), name,
		    print_str(s, "type"), print_str(s, "port"), lease, where);
		if ((h = print_get(s, "health")) != NULL)
			printf(
			    "     check %s: %s, %s pass(es) and %s failure(s) "
			    "in a row, last change %s: %s\n",
			    print_str(h, "check"),
			    json_object_get_boolean(print_get(h, "healthy")) ?
				"healthy" :
				"unhealthy",
			    print_str(h, "passes"), print_str(h, "failures"),
			    print_get(h, "last_change") ?
				print_str(h, "last_change") :
				"never",
			    print_str(h, "output"));
	}
}

void
print_types(struct json_object *reply)
{
	struct json_object *list, *t;
	size_t		    k, n;

	list = print_get(reply, "types");
	n = json_object_array_length(list);
	printf("%-32s %s\n", "TYPE", "INSTANCES");
	for (k = 0; k < n; k++) {
		t = json_object_array_get_idx(list, k);
		printf("%-32s %s\n", print_str(t, "type"),
		    print_str(t, "instances"));
	}
}

static void
print_txt(struct json_object *txt)
{
	struct json_object *t;
	size_t		    k, n = json_object_array_length(txt);

	for (k = 0; k < n; k++) {
		t = json_object_array_get_idx(txt, k);
		if (json_object_is_type(t, json_type_string))
			printf("%s\"%s\"", k > 0 ? " " : "",
			    json_object_get_string(t));
		else
			printf("%sbase64:%s", k > 0 ? " " : "",
			    print_str(t, "base64"));
	}
}

static void
print_addrs(struct json_object *inst)
{
	struct json_object *addrs = print_get(inst, "addresses");
	size_t		    k, n = json_object_array_length(addrs);

	for (k = 0; k < n; k++)
		printf("%s%s", k > 0 ? "," : "",
		    print_str(json_object_array_get_idx(addrs, k), "address"));
	if (n == 0)
		printf("-");
}

static void
print_instance_row(struct json_object *inst)
{
	char where[300];

	snprintf(where, sizeof(where), "%s:%s", print_str(inst, "host"),
	    print_str(inst, "port"));
	printf("%-32s %-28s ", print_str(inst, "name"), where);
	print_addrs(inst);
	printf("  ");
	print_txt(print_get(inst, "txt"));
	printf("\n");
}

/* list's reply: a header, then one row per instance. */
void
print_list(struct json_object *reply)
{
	struct json_object *list;
	size_t		    k, n;

	list = print_get(reply, "instances");
	n = json_object_array_length(list);
	printf("%-32s %-28s %s\n", "NAME", "HOST:PORT", "ADDRESSES  TXT");
	for (k = 0; k < n; k++)
		print_instance_row(json_object_array_get_idx(list, k));
}

/* pick's reply: the row of the instance chosen. */
void
print_picked(struct json_object *reply)
{
	print_instance_row(print_get(reply, "instance"));
}

void
print_resolved(struct json_object *reply)
{
	struct json_object *inst;

	inst = print_get(reply, "instance");
	printf("%-10s %s\n", "name", print_str(inst, "name"));
	printf("%-10s %s\n", "type", print_str(inst, "type"));
	printf("%-10s %s\n", "fullname", print_str(inst, "fullname"));
	printf("%-10s %s\n", "host", print_str(inst, "host"));
	printf("%-10s %s\n", "port", print_str(inst, "port"));
	printf("%-10s ", "addresses");
	print_addrs(inst);
	printf("\n%-10s ", "txt");
	print_txt(print_get(inst, "txt"));
	printf("\n%-10s %s\n", "local",
	    json_object_get_boolean(print_get(inst, "local")) ? "yes" : "no");
}

/* watch's reply: the instances present now, one row each. */
void
print_watch_snapshot(struct json_object *reply)
{
	struct json_object *list;
	size_t		    k, n;

	list = print_get(reply, "instances");
	n = json_object_array_length(list);
	for (k = 0; k < n; k++) {
		printf("%-7s ", "present");
		print_instance_row(json_object_array_get_idx(list, k));
	}
}

/* A change watch streams: the event's name, then its instance's row. */
void
print_watch_event(struct ctl_env *env, const char *line)
{
	struct json_object *ev, *inst;

	if (env->json)
		printf("%s\n", line);
	else if ((ev = json_tokener_parse(line)) != NULL) {
		inst = print_get(ev, "instance");
		printf("%-7s ", print_str(ev, "event"));
		if (inst != NULL)
			print_instance_row(inst);
		else
			printf("\n");
		json_object_put(ev);
	}
	fflush(stdout);
}

/* An event on a registration's connection (publish, run). */
void
print_event(struct ctl_env *env, const char *line)
{
	struct json_object *ev;

	if (env->json) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	if ((ev = json_tokener_parse(line)) == NULL)
		return;
	if (strcmp(print_str(ev, "event"), "renamed") == 0)
		printf("renamed: \"%s\" was taken, now \"%s\"\n",
		    print_str(ev, "old_name"), print_str(ev, "name"));
	else
		printf("%s\n", line);
	fflush(stdout);
	json_object_put(ev);
}
