/*
 * discoctl's output: the agent's replies and events for people.  With -j
 * the lines are printed as the agent sent them, and nothing here runs
 * but for events.
 *
 * Every string in a reply is untrusted: names, host names and TXT come
 * from any host on the LAN, a check's output from another user's command.
 * None reaches the terminal but through print_escape(), which shows
 * control characters, the bytes that start terminal escape sequences and
 * invalid UTF-8 as visible escapes (discoctl(1), OUTPUT).  Tables are
 * as wide as their widest cell in each column, measured in what the
 * terminal shows (escapes and wide characters included), not in bytes.
 * One time format: durations "3h12m", times to come "in 29s", dates
 * "2026-12-01 10:03:04" in local time.  Colors only with PRINT_COLOR.
 */
#include "config.h"

#include <ctype.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>
#include <wctype.h>

#include <json-c/json.h>

#include "proto.h"

#include "discoctl.h"

static FILE	  *print_out;  /* replies and events */
static FILE	  *print_err;  /* error replies */
static int	   print_utf8; /* the locale's characters are UTF-8 */
static int	   print_flag; /* PRINT_* */
static const char *print_family, *print_ifname; /* addresses shown */

/* Print to out and err, in the charset LC_CTYPE names (set it first). */
void
print_init(FILE *out, FILE *err)
{
	print_out = out;
	print_err = err;
	print_utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
}

/* PRINT_NO_HEADER, PRINT_COLOR, PRINT_LONG for what follows. */
void
print_flags(int flags)
{
	print_flag = flags;
}

/*
 * Show only the addresses of family and seen on ifname (NULL: any).  The
 * agent's filters pick instances that have such an address, and send
 * each with all of its addresses.
 */
void
print_where(const char *family, const char *ifname)
{
	print_family = family;
	print_ifname = ifname;
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

/* "45s", "12m05s", "3h12m", "2d03h": how long. */
void
print_duration(char *buf, size_t len, double secs)
{
	long s;

	/* NaN, negative and absurd values from the agent: no UB casting. */
	if (!(secs > 0))
		s = 0;
	else if (secs >= (double)(100L * 365 * 86400))
		s = 100L * 365 * 86400;
	else
		s = (long)secs;

	if (s < 60)
		snprintf(buf, len, "%lds", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%ldh%02ldm", s / 3600, (s / 60) % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", s / 86400, (s / 3600) % 24);
}

/* "2026-12-01 10:03:04": seconds since the epoch, in local time. */
void
print_date(char *buf, size_t len, double epoch)
{
	struct tm tm;
	time_t	  t;

	/* A date outside what time_t and struct tm hold is no date. */
	if (!(epoch >= 0 && epoch < 253402300800.0)) { /* year 10000 */
		snprintf(buf, len, "-");
		return;
	}
	t = (time_t)epoch;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "-");
}

/* The color a word of state is shown in, or NULL. */
static const char *
print_color_of(const char *word)
{
	static const char *const good[] = { "established", "running", "healthy",
		"responsive", "add", "present", NULL };
	static const char *const busy[] = { "probing", "waiting", "connecting",
		"registering", "update", "resync", NULL };
	static const char *const bad[] = { "failed", "unhealthy", "unreachable",
		"failure", "disconnected", "collision", "not responding",
		"remove", NULL };
	size_t			 i;

	if (!(print_flag & PRINT_COLOR) || word == NULL)
		return (NULL);
	for (i = 0; good[i] != NULL; i++)
		if (strcmp(word, good[i]) == 0)
			return ("\033[32m");
	for (i = 0; busy[i] != NULL; i++)
		if (strcmp(word, busy[i]) == 0)
			return ("\033[33m");
	for (i = 0; bad[i] != NULL; i++)
		if (strcmp(word, bad[i]) == 0)
			return ("\033[31m");
	return (NULL);
}

/*
 * A table: cells escaped as they are added, with the columns they take;
 * printed with each column as wide as its widest cell (header included),
 * two spaces apart, numbers to the right.
 */
struct print_cell {
	char	   *text; /* escaped: safe for the terminal */
	int	    cols;
	const char *color;
};

struct print_table {
	size_t		   ncols;
	const char *const *heads;
	unsigned int	   right; /* bit i: column i is right-aligned */
	struct print_cell *cells; /* row after row */
	size_t		   ncells, size;
};

static void
print_table_init(struct print_table *t, const char *const *heads,
    unsigned int right)
{
	memset(t, 0, sizeof(*t));
	for (t->ncols = 0; heads[t->ncols] != NULL; t->ncols++)
		;
	t->heads = heads;
	t->right = right;
}

static struct print_cell *
print_cell_new(struct print_table *t)
{
	struct print_cell *c;

	if (t->ncells == t->size) {
		t->size = t->size == 0 ? 64 : t->size * 2;
		if ((c = reallocarray(t->cells, t->size, sizeof(*c))) == NULL)
			abort();
		t->cells = c;
	}
	c = &t->cells[t->ncells++];
	memset(c, 0, sizeof(*c));
	return (c);
}

/* A cell that shows s (the agent's text: escaped), in color. */
static void
print_cell(struct print_table *t, const char *s, const char *color)
{
	struct print_cell *c = print_cell_new(t);
	size_t		   len;
	FILE		  *fp;

	if ((fp = open_memstream(&c->text, &len)) == NULL)
		abort();
	c->cols = print_escape(fp, s, strlen(s), 0);
	fclose(fp);
	c->color = color;
}

/* A cell of text already escaped, taking cols columns. */
static void
print_cell_escaped(struct print_table *t, char *text, int cols)
{
	struct print_cell *c = print_cell_new(t);

	c->text = text;
	c->cols = cols;
}

static void
print_table_flush(struct print_table *t)
{
	struct print_cell *c;
	size_t		   i, k;
	int		  *width, w, header;

	header = !(print_flag & PRINT_NO_HEADER);
	if ((width = calloc(t->ncols, sizeof(*width))) == NULL)
		abort();
	for (k = 0; k < t->ncols && header; k++)
		width[k] = print_escape(NULL, t->heads[k], strlen(t->heads[k]),
		    0);
	for (i = 0; i < t->ncells; i++)
		if (t->cells[i].cols > width[i % t->ncols])
			width[i % t->ncols] = t->cells[i].cols;
	for (k = 0; k < t->ncols && header; k++) {
		w = print_escape(NULL, t->heads[k], strlen(t->heads[k]), 0);
		if (t->right & (1U << k))
			print_spaces(print_out, width[k] - w);
		if (print_flag & PRINT_COLOR)
			fputs("\033[1m", print_out);
		print_escape(print_out, t->heads[k], strlen(t->heads[k]), 0);
		if (print_flag & PRINT_COLOR)
			fputs("\033[0m", print_out);
		if (k + 1 < t->ncols)
			print_spaces(print_out,
			    2 + ((t->right & (1U << k)) ? 0 : width[k] - w));
	}
	if (header)
		fputc('\n', print_out);
	for (i = 0; i < t->ncells; i++) {
		c = &t->cells[i];
		k = i % t->ncols;
		if (t->right & (1U << k))
			print_spaces(print_out, width[k] - c->cols);
		if (c->color != NULL)
			fputs(c->color, print_out);
		fputs(c->text, print_out);
		if (c->color != NULL)
			fputs("\033[0m", print_out);
		if (k + 1 == t->ncols)
			fputc('\n', print_out);
		else
			print_spaces(print_out,
			    2 +
				((t->right & (1U << k)) ? 0 :
							  width[k] - c->cols));
		free(c->text);
	}
	free(t->cells);
	free(width);
	t->cells = NULL;
	t->ncells = t->size = 0;
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

/* A line "key        text" of status and resolve. */
static void print_field(const char *key, const char *color, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
print_field(const char *key, const char *color, const char *fmt, ...)
{
	va_list ap;
	char	buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	print_f(print_out, "%-11s", key);
	if (color != NULL)
		fputs(color, print_out);
	print_escape(print_out, buf, strlen(buf), 0);
	if (color != NULL)
		fputs("\033[0m", print_out);
	fputc('\n', print_out);
}

/* A size in bytes as people read it: 512 B, 4.0 KiB, 12.3 MiB. */
static void
print_size(char *buf, size_t len, double bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	int			 u = 0;

	if (!(bytes > 0))
		bytes = 0;
	while (bytes >= 1024 && u < 3) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", bytes, units[u]);
	else
		snprintf(buf, len, "%.1f %s", bytes, units[u]);
}

/*
 * The counter groups of status, a line or two each: browsing, the
 * liveness prober, the DNS interface.  An agent that leaves a group out
 * (an older one) gets no line for it.
 */
static void
print_status_groups(struct json_object *reply)
{
	struct json_object *br, *lv, *dns, *rc, *wa;
	char		    every[32];

	if ((br = print_get(reply, "browse")) != NULL) {
		print_field("browse", NULL,
		    "%s type(s), %s left out, %s subtype(s) on demand; %s "
		    "instance(s), %s unresolved",
		    print_str(br, "types_browsed"),
		    print_str(br, "types_left_out"),
		    print_str(br, "subtypes_on_demand"),
		    print_str(br, "instances"), print_str(br, "unresolved"));
		print_field("",
		    json_object_get_boolean(print_get(br, "paused")) ?
			print_color_of("waiting") :
			NULL,
		    "resolvers: %s open, %s resolving, %s queued, %s "
		    "retrying%s; %s resolution(s), %s failure(s)",
		    print_str(br, "resolvers_open"), print_str(br, "resolving"),
		    print_str(br, "queued"), print_str(br, "retrying"),
		    json_object_get_boolean(print_get(br, "paused")) ?
			" (paused: Avahi refused one)" :
			"",
		    print_str(br, "resolutions"), print_str(br, "failures"));
	}
	if ((lv = print_get(reply, "liveness")) != NULL) {
		print_duration(every, sizeof(every),
		    json_object_get_double(print_get(lv, "interval_ms")) /
			1000);
		if (json_object_get_boolean(print_get(lv, "probing")))
			print_field("liveness", NULL,
			    "probing every %s: %s peer(s), %s unreachable; %s "
			    "queries, %s answers",
			    every, print_str(lv, "peers"),
			    print_str(lv, "unreachable"),
			    print_str(lv, "queries_sent"),
			    print_str(lv, "answers"));
		else
			print_field("liveness", NULL, "not probing");
	}
	if ((wa = print_get(reply, "wide_area")) != NULL &&
	    strcmp(print_str(wa, "state"), "off") != 0) {
		print_field("wide area",
		    json_object_get_boolean(print_get(wa, "stale")) ?
			print_color_of("unreachable") :
			NULL,
		    "%s (%s) via %s as host %s: %s published, %s imported "
		    "as %s%s",
		    print_str(wa, "state"),
		    json_object_get_boolean(print_get(wa, "stale")) ? "stale" :
								      "current",
		    print_str(wa, "endpoint"), print_str(wa, "host"),
		    print_str(wa, "published"), print_str(wa, "imported"),
		    print_str(wa, "domain"),
		    print_get(wa, "error") != NULL ? "; last error:" : "");
		if (print_get(wa, "error") != NULL)
			print_field("", NULL, "%s", print_str(wa, "error"));
	}
	if ((dns = print_get(reply, "dns")) != NULL) {
		rc = print_get(dns, "rcodes");
		print_field("dns", NULL,
		    "%s on %s socket(s): %s UDP and %s TCP queries, %s TCP "
		    "client(s) now, %s refused",
		    print_str(dns, "domain"), print_str(dns, "sockets"),
		    print_str(dns, "queries_udp"),
		    print_str(dns, "queries_tcp"),
		    print_str(dns, "tcp_clients"),
		    print_str(dns, "tcp_refused"));
		print_field("", NULL,
		    "answers: %s noerror (%s nodata), %s nxdomain, %s "
		    "refused, %s formerr, %s servfail, %s notimp; %s "
		    "truncated, %s dropped",
		    print_str(rc, "noerror"), print_str(dns, "nodata"),
		    print_str(rc, "nxdomain"), print_str(rc, "refused"),
		    print_str(rc, "formerr"), print_str(rc, "servfail"),
		    print_str(rc, "notimp"), print_str(dns, "truncated"),
		    print_str(dns, "dropped"));
	}
}

void
print_status(struct json_object *reply)
{
	struct json_object *av, *counts;
	char		    up[32], since[32], stall[32], longest[32], mem[32];
	const char	   *state;

	av = print_get(reply, "avahi");
	counts = print_get(reply, "counts");
	print_duration(up, sizeof(up),
	    json_object_get_double(print_get(reply, "uptime")));
	print_duration(since, sizeof(since),
	    json_object_get_double(print_get(av, "since")));
	print_field("agent", NULL, "discod %s, protocol %s, pid %s, up %s",
	    print_str(reply, "version"), print_str(reply, "protocol"),
	    print_str(reply, "pid"), up);
	print_field("host", NULL, "%s", print_str(reply, "host"));
	state = print_str(av, "state");
	print_field("avahi", print_color_of(state),
	    "%s for %s, %s outage(s)%s%s", state, since,
	    print_str(av, "outages"),
	    print_get(av, "error") != NULL ? ": " : "",
	    print_get(av, "error") != NULL ? print_str(av, "error") : "");
	if (print_get(av, "responsive") != NULL) {
		print_duration(longest, sizeof(longest),
		    json_object_get_double(print_get(av, "longest_stall_ms")) /
			1000);
		if (json_object_get_boolean(print_get(av, "responsive")))
			print_field("", print_color_of("responsive"),
			    "responsive, %s stall(s), longest %s, %s queued",
			    print_str(av, "stalls"), longest,
			    print_str(av, "queued"));
		else {
			print_duration(stall, sizeof(stall),
			    json_object_get_double(print_get(av,
				"stalled_ms")) /
				1000);
			print_field("", print_color_of("not responding"),
			    "not responding: a call outstanding for %s, %s "
			    "queued (answers come from the cache)",
			    stall, print_str(av, "queued"));
		}
	}
	print_field("services", NULL, "%s", print_str(counts, "services"));
	print_field("instances", NULL, "%s", print_str(counts, "instances"));
	print_field("clients", NULL, "%s", print_str(counts, "clients"));
	print_status_groups(reply);
	print_size(mem, sizeof(mem),
	    json_object_get_double(print_get(reply, "rss_kib")) * 1024);
	print_field("memory", NULL, "%s", mem);
}

void
print_services(struct json_object *reply)
{
	static const char *const heads[] = { "ID", "STATE", "NAME", "TYPE",
		"PORT", "LEASE", "ORIGIN", NULL };
	struct print_table	 t;
	struct json_object	*list, *s, *origin, *h;
	char			 buf[512], lease[40], dur[32], when[40];
	size_t			 i, n;

	list = print_get(reply, "services");
	n = print_len(list);
	print_table_init(&t, heads, 1U << 0 | 1U << 4);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(list, i);
		print_cell(&t, print_str(s, "id"), NULL);
		print_cell(&t, print_str(s, "state"),
		    print_color_of(print_str(s, "state")));
		if (json_object_get_boolean(print_get(s, "renamed"))) {
			snprintf(buf, sizeof(buf), "%s (was %s)",
			    print_str(s, "final_name"), print_str(s, "name"));
			print_cell(&t, buf, NULL);
		} else
			print_cell(&t, print_str(s, "final_name"), NULL);
		print_cell(&t, print_str(s, "type"), NULL);
		print_cell(&t, print_str(s, "port"), NULL);
		if (print_get(s, "lease_remaining") != NULL) {
			print_duration(dur, sizeof(dur),
			    json_object_get_double(print_get(s,
				"lease_remaining")));
			snprintf(lease, sizeof(lease), "in %s", dur);
		} else
			snprintf(lease, sizeof(lease), "-");
		print_cell(&t, lease, NULL);
		origin = print_get(s, "origin");
		if (print_get(origin, "file") != NULL)
			print_cell(&t, print_str(origin, "file"), NULL);
		else {
			snprintf(buf, sizeof(buf), "pid %s uid %s%s",
			    print_str(origin, "pid"), print_str(origin, "uid"),
			    json_object_get_boolean(print_get(origin,
				"connected")) ?
				"" :
				" (gone)");
			print_cell(&t, buf, NULL);
		}
	}
	print_table_flush(&t);
	/* Each check below the table, by the registration's ID. */
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(list, i);
		if ((h = print_get(s, "health")) == NULL)
			continue;
		if (print_get(h, "last_change") != NULL &&
		    !json_object_is_type(print_get(h, "last_change"),
			json_type_null))
			print_date(when, sizeof(when),
			    json_object_get_double(print_get(h,
				"last_change")));
		else
			snprintf(when, sizeof(when), "never");
		print_f(print_out,
		    "check of %s (%s): %s, %s pass(es) and %s failure(s) in "
		    "a row, last change %s: %s\n",
		    print_str(s, "id"), print_str(h, "check"),
		    json_object_get_boolean(print_get(h, "healthy")) ?
			"healthy" :
			"unhealthy",
		    print_str(h, "passes"), print_str(h, "failures"), when,
		    print_str(h, "output"));
	}
}

void
print_types(struct json_object *reply)
{
	static const char *const heads[] = { "TYPE", "INSTANCES", NULL };
	struct print_table	 t;
	struct json_object	*list, *o;
	size_t			 k, n;

	list = print_get(reply, "types");
	n = print_len(list);
	print_table_init(&t, heads, 1U << 1);
	for (k = 0; k < n; k++) {
		o = json_object_array_get_idx(list, k);
		print_cell(&t, print_str(o, "type"), NULL);
		print_cell(&t, print_str(o, "instances"), NULL);
	}
	print_table_flush(&t);
}

/* TXT strings, each quoted and escaped, into a cell. */
static void
print_txt_cell(struct print_table *t, struct json_object *txt)
{
	struct json_object *o;
	size_t		    k, n = print_len(txt), len;
	char		   *text;
	FILE		   *fp;
	int		    cols = 0;

	if ((fp = open_memstream(&text, &len)) == NULL)
		abort();
	for (k = 0; k < n; k++) {
		o = json_object_array_get_idx(txt, k);
		if (k > 0) {
			fputc(' ', fp);
			cols++;
		}
		if (json_object_is_type(o, json_type_string)) {
			fputc('"', fp);
			cols += 2 +
			    print_escape(fp, json_object_get_string(o),
				strlen(json_object_get_string(o)), 1);
			fputc('"', fp);
		} else
			cols += print_f(fp, "base64:%s",
			    print_str(o, "base64"));
	}
	if (n == 0) {
		fputc('-', fp);
		cols = 1;
	}
	fclose(fp);
	print_cell_escaped(t, text, cols);
}

/* Whether address a (of an instance) is one print_where() lets through. */
static int
print_shown(struct json_object *a)
{
	return ((print_family == NULL ||
		    strcmp(print_str(a, "family"), print_family) == 0) &&
	    (print_ifname == NULL ||
		strcmp(print_str(a, "interface"), print_ifname) == 0));
}

/* The addresses of an instance, comma-separated, into a cell. */
static void
print_addrs_cell(struct print_table *t, struct json_object *inst)
{
	struct json_object *addrs = print_get(inst, "addresses"), *a;
	size_t		    k, n = print_len(addrs), len, shown;
	char		   *text;
	FILE		   *fp;
	int		    cols = 0;

	if ((fp = open_memstream(&text, &len)) == NULL)
		abort();
	for (k = 0, shown = 0; k < n; k++) {
		a = json_object_array_get_idx(addrs, k);
		if (!print_shown(a))
			continue;
		cols += print_f(fp, "%s%s", shown++ > 0 ? "," : "",
		    print_str(a, "address"));
	}
	if (shown == 0) {
		fputc('-', fp);
		cols = 1;
	}
	fclose(fp);
	print_cell_escaped(t, text, cols);
}

/*
 * The instance's name, marked when its host stopped answering, or when
 * it comes from a wide area out of reach (stale).
 */
static void
print_name_cell(struct print_table *t, struct json_object *inst)
{
	char buf[512];

	if (print_get(inst, "reachable") != NULL &&
	    !json_object_get_boolean(print_get(inst, "reachable"))) {
		snprintf(buf, sizeof(buf), "%s (unreachable)",
		    print_str(inst, "name"));
		print_cell(t, buf, print_color_of("unreachable"));
	} else if (print_get(inst, "stale") != NULL &&
	    json_object_get_boolean(print_get(inst, "stale"))) {
		snprintf(buf, sizeof(buf), "%s (stale)",
		    print_str(inst, "name"));
		print_cell(t, buf, print_color_of("unreachable"));
	} else
		print_cell(t, print_str(inst, "name"), NULL);
}

/*
 * An instance's rows: one, with every address; or with PRINT_LONG one
 * per address (at least one), with its family and interface.
 */
static void
print_instance_rows(struct print_table *t, struct json_object *inst,
    int with_type)
{
	struct json_object *addrs, *a;
	size_t		    k, n, rows;

	addrs = print_get(inst, "addresses");
	n = print_len(addrs);
	for (k = 0, rows = 0; k == 0 || k < n; k++) {
		a = n > 0 ? json_object_array_get_idx(addrs, k) : NULL;
		/* The last chance for a row: even with no address shown. */
		if ((print_flag & PRINT_LONG) && a != NULL && !print_shown(a) &&
		    (k + 1 < n || rows > 0))
			continue;
		rows++;
		print_name_cell(t, inst);
		if (with_type)
			print_cell(t, print_str(inst, "type"), NULL);
		print_cell(t, print_str(inst, "host"), NULL);
		print_cell(t, print_str(inst, "port"), NULL);
		if (print_flag & PRINT_LONG) {
			if (a != NULL && !print_shown(a))
				a = NULL;
			print_cell(t, print_str(a, "address"), NULL);
			print_cell(t, print_str(a, "family"), NULL);
			print_cell(t, print_str(a, "interface"), NULL);
		} else
			print_addrs_cell(t, inst);
		print_txt_cell(t, print_get(inst, "txt"));
		if (!(print_flag & PRINT_LONG))
			break;
	}
}

static void
print_instances_table(struct json_object **insts, size_t n, int with_type)
{
	static const char *const heads[] = { "NAME", "HOST", "PORT",
		"ADDRESSES", "TXT", NULL };
	static const char *const heads_type[] = { "NAME", "TYPE", "HOST",
		"PORT", "ADDRESSES", "TXT", NULL };
	static const char *const heads_long[] = { "NAME", "HOST", "PORT",
		"ADDRESS", "FAMILY", "INTERFACE", "TXT", NULL };
	static const char *const heads_long_type[] = { "NAME", "TYPE", "HOST",
		"PORT", "ADDRESS", "FAMILY", "INTERFACE", "TXT", NULL };
	struct print_table	 t;
	size_t			 k;
	int			 lng = print_flag & PRINT_LONG;

	print_table_init(&t,
	    with_type ? (lng ? heads_long_type : heads_type) :
			(lng ? heads_long : heads),
	    1U << (with_type ? 3 : 2));
	for (k = 0; k < n; k++)
		print_instance_rows(&t, insts[k], with_type);
	print_table_flush(&t);
}

/* list's reply: a header, then a row per instance; every_type: a TYPE. */
void
print_list(struct json_object *reply, int every_type)
{
	struct json_object *list, **insts;
	size_t		    k, n;

	list = print_get(reply, "instances");
	n = print_len(list);
	if ((insts = calloc(n + 1, sizeof(*insts))) == NULL)
		abort();
	for (k = 0; k < n; k++)
		insts[k] = json_object_array_get_idx(list, k);
	print_instances_table(insts, n, every_type);
	free(insts);
}

/* pick's reply: the instance chosen, as list shows it. */
void
print_picked(struct json_object *reply)
{
	struct json_object *inst = print_get(reply, "instance");

	print_instances_table(&inst, 1, 0);
}

static int
print_link_local(const char *a)
{
	return (strncasecmp(a, "fe80:", 5) == 0);
}

/*
 * "ADDRESS PORT" of inst, for scripts: its first address of family (any
 * when NULL) that is not link-local, else its first link-local one (with
 * its %scope).  -1 when it has none.  Addresses are checked to be
 * addresses: nothing else from the agent reaches a script's variables.
 */
int
print_addr(struct json_object *inst, const char *family)
{
	struct json_object *addrs, *a, *best = NULL;
	const char	   *s, *port;
	size_t		    k, n;

	addrs = print_get(inst, "addresses");
	n = print_len(addrs);
	for (k = 0; k < n; k++) {
		a = json_object_array_get_idx(addrs, k);
		s = print_str(a, "address");
		if (family != NULL && strcmp(print_str(a, "family"), family))
			continue;
		if (strspn(s, "0123456789abcdefABCDEF.:%") != strlen(s) &&
		    strchr(s, '%') == NULL)
			continue;
		if (best == NULL ||
		    (print_link_local(print_str(best, "address")) &&
			!print_link_local(s)))
			best = a;
	}
	port = print_str(inst, "port");
	if (best == NULL || strspn(port, "0123456789") != strlen(port))
		return (-1);
	print_f(print_out, "%s %s\n", print_str(best, "address"), port);
	return (0);
}

void
print_resolved(struct json_object *reply)
{
	struct json_object *inst, *addrs;
	struct print_table  t;
	const char *const   heads[] = { "", NULL };
	char		    when[40];
	size_t		    k, n;

	inst = print_get(reply, "instance");
	print_field("name", NULL, "%s", print_str(inst, "name"));
	print_field("type", NULL, "%s", print_str(inst, "type"));
	print_field("fullname", NULL, "%s", print_str(inst, "fullname"));
	print_field("host", NULL, "%s", print_str(inst, "host"));
	print_field("port", NULL, "%s", print_str(inst, "port"));
	addrs = print_get(inst, "addresses");
	n = print_len(addrs);
	for (k = 0; k < n || k == 0; k++) {
		/* (json-c asserts on an index out of its array's bounds.) */
		struct json_object *a = n > 0 ?
		    json_object_array_get_idx(addrs, k) :
		    NULL;

		print_f(print_out, "%-11s", k == 0 ? "addresses" : "");
		if (n == 0)
			print_f(print_out, "-\n");
		else
			print_f(print_out, "%s (%s, %s)\n",
			    print_str(a, "address"), print_str(a, "family"),
			    print_str(a, "interface"));
	}
	print_f(print_out, "%-11s", "txt");
	print_table_init(&t, heads, 0);
	print_txt_cell(&t, print_get(inst, "txt"));
	fputs(t.cells[0].text, print_out);
	free(t.cells[0].text);
	free(t.cells);
	fputc('\n', print_out);
	print_field("local", NULL, "%s",
	    json_object_get_boolean(print_get(inst, "local")) ? "yes" : "no");
	if (print_get(inst, "reachable") != NULL)
		print_field("reachable",
		    json_object_get_boolean(print_get(inst, "reachable")) ?
			NULL :
			print_color_of("unreachable"),
		    "%s",
		    json_object_get_boolean(print_get(inst, "reachable")) ?
			"yes" :
			"no");
	if (print_get(inst, "last_changed") != NULL) {
		print_date(when, sizeof(when),
		    json_object_get_double(print_get(inst, "last_changed")));
		print_field("changed", NULL, "%s", when);
	}
}

/* publish and run: the registration made, and the state it is in. */
void
print_registered(struct json_object *reply)
{
	struct json_object *reg = print_get(reply, "registration");
	const char	   *state = print_str(reg, "state");

	print_f(print_out, "registration %s: \"", print_str(reg, "id"));
	print_escape(print_out, print_str(reg, "final_name"),
	    strlen(print_str(reg, "final_name")), 1);
	print_f(print_out, "\" %s port %s: ", print_str(reg, "type"),
	    print_str(reg, "port"));
	if (strcmp(state, "probing") == 0)
		print_f(print_out, "probing the name on the network\n");
	else if (strcmp(state, "waiting") == 0)
		print_f(print_out, "waiting for avahi-daemon\n");
	else if (strcmp(state, "failed") == 0)
		print_f(print_out, "failed: %s\n", print_str(reg, "error"));
	else if (strcmp(state, "unhealthy") == 0)
		print_f(print_out, "not announced until its check passes\n");
	else
		print_f(print_out, "%s\n", state);
	fflush(print_out);
}

/*
 * A row of watch: the event, then the instance as list shows it.  Rows
 * stream, so they are not aligned with one another.
 */
static void
print_watch_row(const char *event, struct json_object *inst)
{
	static const char *const heads[] = { "EVENT", "NAME", "HOST", "PORT",
		"ADDRESSES", "TXT", NULL };
	struct print_table	 t;
	int			 flags = print_flag;
	char			 ev[16];

	snprintf(ev, sizeof(ev), "%-7.7s", event);
	print_table_init(&t, heads, 0);
	print_cell(&t, ev, print_color_of(event));
	print_flag = (flags & ~PRINT_LONG) | PRINT_NO_HEADER;
	print_instance_rows(&t, inst, 0);
	print_table_flush(&t);
	print_flag = flags;
}

/* watch's reply: the instances present now, one row each. */
void
print_watch_snapshot(struct json_object *reply)
{
	struct json_object *list;
	size_t		    k, n;

	list = print_get(reply, "instances");
	n = print_len(list);
	for (k = 0; k < n; k++)
		print_watch_row("present", json_object_array_get_idx(list, k));
	fflush(print_out);
}

/* A change watch streams: the event, then its instance's row. */
void
print_watch_event(int json, const char *line)
{
	struct json_object *ev;

	if (json)
		fprintf(print_out, "%s\n", line);
	else if ((ev = json_tokener_parse(line)) != NULL) {
		if (print_get(ev, "instance") != NULL)
			print_watch_row(print_str(ev, "event"),
			    print_get(ev, "instance"));
		else if (strcmp(print_str(ev, "event"), "resync") == 0)
			print_f(print_out,
			    "resync  (the agent's cache was rebuilt, or "
			    "events were lost: what follows is afresh)\n");
		else
			print_f(print_out, "%s\n", print_str(ev, "event"));
		json_object_put(ev);
	}
	fflush(print_out);
}

/*
 * An event on a registration's connection (publish, run), in words, or
 * as it came with json.  Returns what it was: 'e' established, 'f'
 * failed, 'x' expired, 0 anything else.
 */
int
print_event(int json, const char *line)
{
	struct json_object *ev;
	const char	   *name;
	char		    buf[32];
	int		    kind = 0;

	if ((ev = json_tokener_parse(line)) == NULL)
		return (0);
	name = print_str(ev, "event");
	if (strcmp(name, "established") == 0)
		kind = 'e';
	else if (strcmp(name, "failed") == 0)
		kind = 'f';
	else if (strcmp(name, "expired") == 0)
		kind = 'x';
	if (json) {
		fprintf(print_out, "%s\n", line);
		goto done;
	}
	if (print_get(ev, "id") != NULL)
		print_f(print_out, "registration %s: ", print_str(ev, "id"));
	if (kind == 'e') {
		fputs("established as \"", print_out);
		print_escape(print_out, print_str(ev, "name"),
		    strlen(print_str(ev, "name")), 1);
		fputs("\"\n", print_out);
	} else if (strcmp(name, "renamed") == 0) {
		fputs("renamed: \"", print_out);
		print_escape(print_out, print_str(ev, "old_name"),
		    strlen(print_str(ev, "old_name")), 1);
		fputs("\" was taken, now \"", print_out);
		print_escape(print_out, print_str(ev, "name"),
		    strlen(print_str(ev, "name")), 1);
		fputs("\"\n", print_out);
	} else if (kind == 'f') {
		print_f(print_out, "failed: %s", print_str(ev, "error"));
		if (json_object_get_int(print_get(ev, "retry")) > 0) {
			print_duration(buf, sizeof(buf),
			    json_object_get_int(print_get(ev, "retry")));
			print_f(print_out, "; trying again in %s\n", buf);
		} else
			print_f(print_out, "; not tried again\n");
	} else if (strcmp(name, "health") == 0)
		print_f(print_out, "check %s: %s (%s)\n",
		    json_object_get_boolean(print_get(ev, "healthy")) ?
			"passes" :
			"fails",
		    print_str(ev, "output"),
		    json_object_get_boolean(print_get(ev, "healthy")) ?
			"announced again" :
			"withdrawn");
	else if (kind == 'x')
		print_f(print_out,
		    "the lease ran out without a renew: withdrawn\n");
	else if (strcmp(name, "resync") == 0)
		print_f(print_out,
		    "%s events lost: \"discoctl services\" "
		    "shows the state\n",
		    print_str(ev, "dropped"));
	else
		print_f(print_out, "%s\n", name);
done:
	fflush(print_out);
	json_object_put(ev);
	return (kind);
}
