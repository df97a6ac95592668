/*
 * discoctl's output: the agent's replies and events for people.  With -j
 * the lines are printed as the agent sent them, and nothing here runs
 * but for events.
 *
 * Every string in a reply is untrusted: names, host names and TXT come
 * from any host on the LAN, a check's output from another user's command.
 * None reaches the terminal but through print_escape(), which shows
 * control characters, the bytes that start terminal escape sequences and
 * invalid UTF-8 as visible escapes (discoctl(1), OUTPUT).  Columns are
 * padded by what is printed, escapes and wide characters included, not
 * by bytes.
 */
#include "config.h"

#include <ctype.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include <json-c/json.h>

#include "proto.h"

#include "discoctl.h"

static FILE *print_out;	 /* replies and events */
static FILE *print_err;	 /* error replies */
static int   print_utf8; /* the locale's characters are UTF-8 */

/* Print to out and err, in the charset LC_CTYPE names (set it first). */
void
print_init(FILE *out, FILE *err)
{
	print_out = out;
	print_err = err;
	print_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

/* The columns cp takes on the terminal as it is, or -1 to escape it. */
static int
print_width(unsigned long cp)
{
	int w;

	/* C0 and C1 controls, DEL: ESC (0x1b) and CSI (0x9b) start sequences. */
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return (-1);
	if (cp < 0x7f)
		return (1);
	/* An 8-bit terminal reads UTF-8's bytes 0x80-0x9f as C1 controls. */
	if (!print_utf8)
		return (-1);
	/* Bidirectional formatting reorders the rest of the line. */
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return (-1);
	if (!iswprint((wint_t)cp) || (w = wcwidth((wchar_t)cp)) < 0)
		return (-1);
	return (w);
}

/* Write n bytes (when fp is not NULL); returns n, the columns they take. */
static int
print_put(FILE *fp, const char *s, size_t n)
{
	if (fp != NULL)
		fwrite(s, 1, n, fp);
	return ((int)n);
}

/*
 * Write the len bytes at s to fp (or only count them: fp NULL) so that a
 * terminal shows them and does nothing else: a backslash as \\, with quote
 * a double quote as \", tab, newline and carriage return as \t \n \r,
 * other C0 controls, DEL and each byte that is not UTF-8 as \xHH, C1
 * controls, bidirectional formatting, characters the locale cannot print
 * (outside a UTF-8 locale: any but ASCII) as \uHHHH or \UHHHHHHHH; the
 * rest as it is.  Returns the columns written.
 */
int
print_escape(FILE *fp, const char *s, size_t len, int quote)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		     i = 0, at;
	unsigned int	     cp;
	char		     esc[16];
	int		     cols = 0, w;

	while (i < len) {
		at = i;
		if (proto_utf8_next(p, len, &i, &cp) == -1) {
			snprintf(esc, sizeof(esc), "\\x%02x", p[i++]);
			cols += print_put(fp, esc, strlen(esc));
			continue;
		}
		if (cp == '\\' || (quote && cp == '"')) {
			snprintf(esc, sizeof(esc), "\\%c", (int)cp);
		} else if (cp == '\t' || cp == '\n' || cp == '\r') {
			snprintf(esc, sizeof(esc), "\\%c",
			    cp == '\t' ? 't' : (cp == '\n' ? 'n' : 'r'));
		} else if ((w = print_width((unsigned long)cp)) >= 0) {
			print_put(fp, s + at, i - at);
			cols += w;
			continue;
		} else if (cp < 0x80)
			snprintf(esc, sizeof(esc), "\\x%02x", cp);
		else if (cp <= 0xffff)
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
		else
			snprintf(esc, sizeof(esc), "\\U%08x", cp);
		cols += print_put(fp, esc, strlen(esc));
	}
	return (cols);
}

static void
print_spaces(FILE *fp, int n)
{
	for (; n > 0; n--)
		fputc(' ', fp);
}

/* Spaces after a cell that took used columns, up to width. */
static void
print_pad(int used, int width)
{
	print_spaces(print_out, width - used);
}

/*
 * fprintf(3) for lines that carry the agent's text: every %s argument
 * goes through print_escape(), and a width pads to the columns printed.
 * Only %s with a width ("%-32s", "%5s") and %% are known (the format
 * attribute lets the compiler check the arguments); the rest of the
 * format is written as it is.  Returns the columns written.
 */
static int __attribute__((format(printf, 2, 3)))
print_f(FILE *fp, const char *fmt, ...)
{
	const char *p, *s;
	va_list	    ap;
	int	    cols = 0, width, left, n;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			fputc(*p, fp);
			cols++;
			continue;
		}
		if (*++p == '%') {
			fputc('%', fp);
			cols++;
			continue;
		}
		if ((left = *p == '-'))
			p++;
		for (width = 0; isdigit((unsigned char)*p); p++)
			width = width * 10 + (*p - '0');
		if (*p != 's')
			abort(); /* a conversion print_f does not know */
		s = va_arg(ap, const char *);
		n = print_escape(NULL, s, strlen(s), 0);
		if (!left)
			print_spaces(fp, width - n);
		print_escape(fp, s, strlen(s), 0);
		if (left)
			print_spaces(fp, width - n);
		cols += n > width ? n : width;
	}
	va_end(ap);
	return (cols);
}

/* s between double quotes, escaped. */
static void
print_quoted(const char *s)
{
	fputc('"', print_out);
	print_escape(print_out, s, strlen(s), 1);
	fputc('"', print_out);
}

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

/* The length of the array o; 0 when o is not one (json-c would abort). */
static size_t
print_len(struct json_object *o)
{
	if (!json_object_is_type(o, json_type_array))
		return (0);
	return (json_object_array_length(o));
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
	print_f(print_err, "discoctl: %s (%s)\n",
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
	print_f(print_out, "%-10s discod %s, protocol %s, pid %s, up %s\n",
	    "agent", print_str(reply, "version"), print_str(reply, "protocol"),
	    print_str(reply, "pid"), up);
	print_f(print_out, "%-10s %s\n", "host", print_str(reply, "host"));
	print_f(print_out, "%-10s %s for %s, %s outage(s)%s%s\n", "avahi",
	    print_str(av, "state"), since, print_str(av, "outages"),
	    print_get(av, "error") != NULL ? ": " : "",
	    print_get(av, "error") != NULL ? print_str(av, "error") : "");
	print_f(print_out, "%-10s %s\n", "services",
	    print_str(counts, "services"));
	print_f(print_out, "%-10s %s\n", "instances",
	    print_str(counts, "instances"));
	print_f(print_out, "%-10s %s\n", "clients",
	    print_str(counts, "clients"));
	print_f(print_out, "%-10s %s KiB\n", "memory",
	    print_str(reply, "rss_kib"));
}

void
print_services(struct json_object *reply)
{
	struct json_object *list, *s, *origin, *h;
	char		    lease[32];
	size_t		    i, n;
	int		    used;

	list = print_get(reply, "services");
	n = print_len(list);
	print_f(print_out, "%-4s %-12s %-32s %-16s %5s %-6s %s\n", "ID",
	    "STATE", "NAME", "TYPE", "PORT", "LEASE", "ORIGIN");
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(list, i);
		print_f(print_out, "%-4s %-12s ", print_str(s, "id"),
		    print_str(s, "state"));
		if (json_object_get_boolean(print_get(s, "renamed")))
			used = print_f(print_out, "%s (was %s)",
			    print_str(s, "final_name"), print_str(s, "name"));
		else
			used = print_f(print_out, "%s",
			    print_str(s, "final_name"));
		print_pad(used, 32);
		if (print_get(s, "lease_remaining") != NULL)
			snprintf(lease, sizeof(lease), "%ss",
			    print_str(s, "lease_remaining"));
		else
			snprintf(lease, sizeof(lease), "-");
		print_f(print_out, " %-16s %5s %-6s ", print_str(s, "type"),
		    print_str(s, "port"), lease);
		origin = print_get(s, "origin");
		if (print_get(origin, "file") != NULL)
			print_f(print_out, "%s\n", print_str(origin, "file"));
		else
			print_f(print_out, "pid %s uid %s%s\n",
			    print_str(origin, "pid"), print_str(origin, "uid"),
			    json_object_get_boolean(print_get(origin,
				"connected")) ?
				"" :
				" (gone)");
		if ((h = print_get(s, "health")) != NULL)
			print_f(print_out,
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
	n = print_len(list);
	print_f(print_out, "%-32s %s\n", "TYPE", "INSTANCES");
	for (k = 0; k < n; k++) {
		t = json_object_array_get_idx(list, k);
		print_f(print_out, "%-32s %s\n", print_str(t, "type"),
		    print_str(t, "instances"));
	}
}

static void
print_txt(struct json_object *txt)
{
	struct json_object *t;
	size_t		    k, n = print_len(txt);

	for (k = 0; k < n; k++) {
		t = json_object_array_get_idx(txt, k);
		if (k > 0)
			fputc(' ', print_out);
		if (json_object_is_type(t, json_type_string))
			print_quoted(json_object_get_string(t));
		else
			print_f(print_out, "base64:%s", print_str(t, "base64"));
	}
}

static void
print_addrs(struct json_object *inst)
{
	struct json_object *addrs = print_get(inst, "addresses");
	size_t		    k, n = print_len(addrs);

	for (k = 0; k < n; k++)
		print_f(print_out, "%s%s", k > 0 ? "," : "",
		    print_str(json_object_array_get_idx(addrs, k), "address"));
	if (n == 0)
		fputc('-', print_out);
}

static void
print_instance_row(struct json_object *inst)
{
	int used;

	print_f(print_out, "%-32s ", print_str(inst, "name"));
	used = print_f(print_out, "%s:%s", print_str(inst, "host"),
	    print_str(inst, "port"));
	print_pad(used, 28);
	fputc(' ', print_out);
	print_addrs(inst);
	fputs("  ", print_out);
	print_txt(print_get(inst, "txt"));
	fputc('\n', print_out);
}

/* list's reply: a header, then one row per instance. */
void
print_list(struct json_object *reply)
{
	struct json_object *list;
	size_t		    k, n;

	list = print_get(reply, "instances");
	n = print_len(list);
	print_f(print_out, "%-32s %-28s %s\n", "NAME", "HOST:PORT",
	    "ADDRESSES  TXT");
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
	print_f(print_out, "%-10s %s\n", "name", print_str(inst, "name"));
	print_f(print_out, "%-10s %s\n", "type", print_str(inst, "type"));
	print_f(print_out, "%-10s %s\n", "fullname",
	    print_str(inst, "fullname"));
	print_f(print_out, "%-10s %s\n", "host", print_str(inst, "host"));
	print_f(print_out, "%-10s %s\n", "port", print_str(inst, "port"));
	print_f(print_out, "%-10s ", "addresses");
	print_addrs(inst);
	print_f(print_out, "\n%-10s ", "txt");
	print_txt(print_get(inst, "txt"));
	print_f(print_out, "\n%-10s %s\n", "local",
	    json_object_get_boolean(print_get(inst, "local")) ? "yes" : "no");
}

/* publish: the registration made, under the name the agent gave it. */
void
print_published(const char *name, const char *type, unsigned int port, long id)
{
	fputs("published ", print_out);
	print_quoted(name != NULL ? name : "-");
	print_f(print_out, " %s port ", type);
	fprintf(print_out, "%u as registration %ld\n", port, id);
}

/* watch's reply: the instances present now, one row each. */
void
print_watch_snapshot(struct json_object *reply)
{
	struct json_object *list;
	size_t		    k, n;

	list = print_get(reply, "instances");
	n = print_len(list);
	for (k = 0; k < n; k++) {
		print_f(print_out, "%-7s ", "present");
		print_instance_row(json_object_array_get_idx(list, k));
	}
}

/* A change watch streams: the event's name, then its instance's row. */
void
print_watch_event(struct ctl_env *env, const char *line)
{
	struct json_object *ev, *inst;

	if (env->json)
		fprintf(print_out, "%s\n", line);
	else if ((ev = json_tokener_parse(line)) != NULL) {
		inst = print_get(ev, "instance");
		print_f(print_out, "%-7s ", print_str(ev, "event"));
		if (inst != NULL)
			print_instance_row(inst);
		else
			fputc('\n', print_out);
		json_object_put(ev);
	}
	fflush(print_out);
}

/* An event on a registration's connection (publish, run). */
void
print_event(struct ctl_env *env, const char *line)
{
	struct json_object *ev;

	if (env->json) {
		fprintf(print_out, "%s\n", line);
		fflush(print_out);
		return;
	}
	if ((ev = json_tokener_parse(line)) == NULL)
		return;
	if (strcmp(print_str(ev, "event"), "renamed") == 0) {
		fputs("renamed: ", print_out);
		print_quoted(print_str(ev, "old_name"));
		fputs(" was taken, now ", print_out);
		print_quoted(print_str(ev, "name"));
		fputc('\n', print_out);
	} else
		print_f(print_out, "%s\n", line);
	fflush(print_out);
	json_object_put(ev);
}
