/*
 * What one announcement says: instance name, service type, subtypes, port
 * and TXT, validated by the rules of RFC 6763; and the .dnssd files that
 * describe services, in the format of systemd.dnssd(5).  No Avahi here.
 *
 * .dnssd files follow systemd's unit-file syntax rather than INI: no
 * inline comments (a TXT value may hold " ;"), a backslash at the end of
 * a line continues it, and keys may repeat.  So they have their own small
 * parser instead of libinih.
 */
#include "config.h"

#include <sys/utsname.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "proto.h"

/* Longest logical line of a .dnssd file, continuations joined. */
#define DNSSD_LINE_MAX 16384

static int service_split_words(const char *, char ***);

/* RFC 6763 4.1.1: 1..63 bytes of UTF-8, no control characters. */
const char *
service_name_invalid(const char *name)
{
	const unsigned char *p;
	size_t		     len = strlen(name);

	if (len == 0)
		return ("is empty");
	if (len > SERVICE_NAME_MAX)
		return ("is longer than 63 bytes");
	if (proto_utf8_invalid(name, len) != -1)
		return ("is not valid UTF-8");
	if (proto_utf8_nonchar(name, len) != -1)
		return (
		    "holds a Unicode noncharacter (U+FDD0..U+FDEF, "
		    "U+xxFFFE or U+xxFFFF), which Avahi peers cannot resolve");
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return ("holds a control character");
	}
	return (NULL);
}

/*
 * RFC 6763 7 and RFC 6335 5.1: "_name._tcp" or "_name._udp", where name is
 * 1..15 letters, digits and hyphens, with at least one letter, not
 * starting or ending with a hyphen, and no two hyphens together.
 */
const char *
service_type_invalid(const char *type)
{
	const char *dot, *p;
	size_t	    len;
	int	    letter = 0;

	if (type[0] != '_')
		return ("must look like _name._tcp or _name._udp");
	if ((dot = strchr(type, '.')) == NULL ||
	    (strcmp(dot, "._tcp") != 0 && strcmp(dot, "._udp") != 0))
		return ("must end in ._tcp or ._udp");
	len = (size_t)(dot - type - 1);
	if (len < 1 || len > 15)
		return ("service name part must be 1 to 15 characters");
	for (p = type + 1; p < dot; p++) {
		if (isalpha((unsigned char)*p))
			letter = 1;
		else if (*p == '-') {
			if (p == type + 1 || p == dot - 1 || p[1] == '-')
				return ("misplaced hyphen in the service name");
		} else if (!isdigit((unsigned char)*p))
			return ("service name may hold only letters, digits "
				"and hyphens");
	}
	if (!letter)
		return ("service name needs a letter");
	return (NULL);
}

/* A subtype label (RFC 6763 7.1): 1..63 bytes, no dot, no controls. */
const char *
service_subtype_invalid(const char *sub)
{
	const unsigned char *p;
	size_t		     len = strlen(sub);

	if (len == 0 || len > 63)
		return ("must be 1 to 63 bytes");
	for (p = (const unsigned char *)sub; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '.')
			return ("may not hold dots or control characters");
	}
	return (NULL);
}

/*
 * RFC 6763 6.1-6.4: one string of 1..255 bytes; a key of printable
 * US-ASCII other than '=', before the first '=' (or the whole string).
 * The value after '=' is opaque binary data.
 */
const char *
txt_string_invalid(const unsigned char *data, size_t len)
{
	size_t i;

	if (len == 0)
		return ("TXT string is empty");
	if (len > TXT_STRING_MAX)
		return ("TXT string is longer than 255 bytes");
	if (data[0] == '=')
		return ("TXT key is empty");
	for (i = 0; i < len && data[i] != '='; i++) {
		if (data[i] < 0x20 || data[i] > 0x7e)
			return ("TXT key must be printable US-ASCII");
	}
	return (NULL);
}

/* Append one TXT string, unless invalid, a duplicate key, or too many. */
int
txt_add(struct txt *txt, const unsigned char *data, size_t len,
    const char **why)
{
	const unsigned char *eq;
	size_t		     klen, i, ok;
	struct txt_string   *s;

	if ((*why = txt_string_invalid(data, len)) != NULL)
		return (-1);
	eq = memchr(data, '=', len);
	klen = eq != NULL ? (size_t)(eq - data) : len;
	for (i = 0; i < txt->n; i++) {
		s = &txt->v[i];
		eq = memchr(s->data, '=', s->len);
		ok = eq != NULL ? (size_t)(eq - s->data) : s->len;
		if (ok == klen &&
		    strncasecmp((const char *)s->data, (const char *)data,
			klen) == 0) {
			*why = "TXT key appears twice (RFC 6763 6.4)";
			return (-1);
		}
	}
	if (txt->n >= TXT_STRINGS_MAX) {
		*why = "too many TXT strings";
		return (-1);
	}
	if (txt->total + len + 1 > TXT_TOTAL_MAX) {
		*why = "TXT record longer than 8900 bytes";
		return (-1);
	}
	txt->v = xreallocarray(txt->v, txt->n + 1, sizeof(*txt->v));
	s = &txt->v[txt->n++];
	s->data = xmalloc(len);
	memcpy(s->data, data, len);
	s->len = len;
	txt->total += len + 1;
	return (0);
}

void
txt_clear(struct txt *txt)
{
	size_t i;

	for (i = 0; i < txt->n; i++)
		free(txt->v[i].data);
	free(txt->v);
	memset(txt, 0, sizeof(*txt));
}

int
txt_equal(const struct txt *a, const struct txt *b)
{
	size_t i;

	if (a->n != b->n)
		return (0);
	for (i = 0; i < a->n; i++) {
		if (a->v[i].len != b->v[i].len ||
		    memcmp(a->v[i].data, b->v[i].data, a->v[i].len) != 0)
			return (0);
	}
	return (1);
}

void
txt_copy(struct txt *dst, const struct txt *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	if (src->n == 0)
		return;
	dst->v = xcalloc(src->n, sizeof(*dst->v));
	for (i = 0; i < src->n; i++) {
		dst->v[i].data = xmalloc(src->v[i].len);
		memcpy(dst->v[i].data, src->v[i].data, src->v[i].len);
		dst->v[i].len = src->v[i].len;
	}
	dst->n = src->n;
	dst->total = src->total;
}

/* Specifiers in Name=, as systemd.dnssd(5) has them. */
const char *
service_name_template_invalid(const char *tmpl)
{
	const char *p;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '%')
			continue;
		p++;
		if (*p == '\0')
			return ("ends in a lone %");
		if (strchr("Hmv%", *p) == NULL)
			return ("holds an unknown specifier (known: %H %m %v "
				"%%)");
	}
	return (NULL);
}

static void
service_machine_id(char *buf, size_t len)
{
	FILE *f;

	buf[0] = '\0';
	if ((f = fopen("/etc/machine-id", "r")) == NULL)
		return;
	if (fgets(buf, (int)len, f) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * Expand a Name= template.  %H is the host name Avahi announces (without
 * .local), or the kernel's when Avahi's is not known; %m the machine ID;
 * %v the kernel release; %% a percent sign.  Returns -1 when the result
 * does not fit.
 */
int
service_name_expand(const char *tmpl, const char *host, char *out, size_t len)
{
	struct utsname u;
	char	       buf[256];
	const char    *p, *add;
	size_t	       n = 0, alen;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			buf[0] = *p;
			buf[1] = '\0';
			add = buf;
		} else {
			switch (*++p) {
			case 'H':
				if (host != NULL) {
					strlcpy(buf, host, sizeof(buf));
					buf[strcspn(buf, ".")] = '\0';
				} else if (gethostname(buf, sizeof(buf)) == -1)
					buf[0] = '\0';
				break;
			case 'm':
				service_machine_id(buf, sizeof(buf));
				break;
			case 'v':
				if (uname(&u) == 0)
					strlcpy(buf, u.release, sizeof(buf));
				else
					buf[0] = '\0';
				break;
			default:
				buf[0] = *p;
				buf[1] = '\0';
				break;
			}
			add = buf;
		}
		alen = strlen(add);
		if (n + alen >= len)
			return (-1);
		memcpy(out + n, add, alen);
		n += alen;
	}
	out[n] = '\0';
	return (0);
}

struct service_def *
service_def_new(void)
{
	return (xcalloc(1, sizeof(struct service_def)));
}

void
service_def_free(struct service_def *def)
{
	size_t i;

	if (def == NULL)
		return;
	free(def->name);
	free(def->type);
	for (i = 0; i < def->nsubtypes; i++)
		free(def->subtypes[i]);
	txt_clear(&def->txt);
	for (i = 0; i < def->ncheck; i++) {
		free(def->check[i].key);
		free(def->check[i].value);
	}
	free(def->check);
	check_spec_free(def->spec);
	free(def);
}

/* Equal in everything that a TXT update in place cannot change. */
/* clang-format 14 would align the lone second parameter line. */
/* clang-format off */
int
service_def_same_but_txt(const struct service_def *a,
    const struct service_def *b)
/* clang-format on */
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || strcmp(a->type, b->type) != 0 ||
	    a->port != b->port || a->priority != b->priority ||
	    a->weight != b->weight || a->nsubtypes != b->nsubtypes ||
	    a->ncheck != b->ncheck)
		return (0);
	for (i = 0; i < a->nsubtypes; i++) {
		if (strcmp(a->subtypes[i], b->subtypes[i]) != 0)
			return (0);
	}
	for (i = 0; i < a->ncheck; i++) {
		if (strcmp(a->check[i].key, b->check[i].key) != 0 ||
		    strcmp(a->check[i].value, b->check[i].value) != 0)
			return (0);
	}
	return (1);
}

/*
 * What a service announces, copied (its check is not: the copy is for the
 * Avahi thread, which announces and never checks).
 */
struct service_def *
service_def_copy(const struct service_def *def)
{
	struct service_def *copy;
	size_t		    i;

	copy = service_def_new();
	copy->name = xstrdup(def->name);
	copy->type = xstrdup(def->type);
	for (i = 0; i < def->nsubtypes; i++)
		copy->subtypes[i] = xstrdup(def->subtypes[i]);
	copy->nsubtypes = def->nsubtypes;
	copy->port = def->port;
	copy->priority = def->priority;
	copy->weight = def->weight;
	txt_copy(&copy->txt, &def->txt);
	return (copy);
}

/* The .dnssd parser. */

struct dnssd_parser {
	const char	     *path;
	int		      line; /* where the entry starts */
	int		      phys; /* lines read */
	struct config_errors *errors;
	int		      nerrors;
	struct service_def   *def;
	int		      seen_name, seen_type, seen_port;
	int		      seen_check_type;
};

static void __attribute__((format(printf, 2, 3)))
dnssd_error(struct dnssd_parser *p, const char *fmt, ...)
{
	va_list ap;

	p->nerrors++;
	va_start(ap, fmt);
	config_error_addv(p->errors, p->path, p->line, fmt, ap);
	va_end(ap);
}

/*
 * Take the next word of a TxtText=/TxtData= value: whitespace separated,
 * with "double" or 'single' quotes and C escapes (\\ \" \' \s \t \n \xHH).
 * Returns the word's length, 0 at the end, -1 on a bad escape or quote.
 */
static int
dnssd_word(const char **sp, char *out, size_t outlen)
{
	const char *s = *sp;
	char	    quote = 0, hex[3];
	size_t	    n = 0;
	int	    c;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		*sp = s;
		return (0);
	}
	for (; *s != '\0'; s++) {
		if (quote == 0 && (*s == ' ' || *s == '\t'))
			break;
		if (*s == quote) {
			quote = 0;
			continue;
		}
		if (quote == 0 && (*s == '"' || *s == '\'')) {
			quote = *s;
			continue;
		}
		c = (unsigned char)*s;
		if (*s == '\\') {
			switch (*++s) {
			case '\\':
			case '"':
			case '\'':
				c = *s;
				break;
			case 's':
				c = ' ';
				break;
			case 't':
				c = '\t';
				break;
			case 'n':
				c = '\n';
				break;
			case 'x':
				if (!isxdigit((unsigned char)s[1]) ||
				    !isxdigit((unsigned char)s[2]))
					return (-1);
				hex[0] = s[1];
				hex[1] = s[2];
				hex[2] = '\0';
				c = (int)strtol(hex, NULL, 16);
				s += 2;
				break;
			default:
				return (-1);
			}
		}
		if (n + 1 >= outlen)
			return (-1);
		out[n++] = (char)c;
	}
	if (quote != 0)
		return (-1);
	*sp = s;
	out[n] = '\0';
	return (n == 0 ? -2 : (int)n); /* -2: an empty quoted word */
}

static void
dnssd_txt(struct dnssd_parser *p, const char *key, const char *value,
    int base64)
{
	char	      word[TXT_STRING_MAX * 2 + 8];
	unsigned char bin[TXT_STRING_MAX + 1];
	const char   *eq, *why;
	size_t	      klen;
	int	      n, blen;

	if (*value == '\0') { /* an empty assignment resets the list */
		txt_clear(&p->def->txt);
		return;
	}
	while ((n = dnssd_word(&value, word, sizeof(word))) != 0) {
		if (n < 0) {
			dnssd_error(p,
			    "[Service] %s=: bad quoting or escape, "
			    "or a word longer than 255 bytes",
			    key);
			return;
		}
		if (base64 && (eq = strchr(word, '=')) != NULL) {
			klen = (size_t)(eq - word);
			if (klen > TXT_STRING_MAX - 1) {
				dnssd_error(p, "[Service] %s=: key too long",
				    key);
				return;
			}
			memcpy(bin, word, klen + 1);
			blen = b64_pton(eq + 1, bin + klen + 1,
			    sizeof(bin) - klen - 1);
			if (blen < 0) {
				dnssd_error(p,
				    "[Service] %s=: value of \"%.*s\" "
				    "is not base64 (or decodes to more than "
				    "255 bytes)",
				    key, (int)klen, word);
				continue;
			}
			if (txt_add(&p->def->txt, bin, klen + 1 + (size_t)blen,
				&why) == -1)
				dnssd_error(p, "[Service] %s=: %s", key, why);
			continue;
		}
		if (txt_add(&p->def->txt, (unsigned char *)word, (size_t)n,
			&why) == -1)
			dnssd_error(p, "[Service] %s=: \"%.40s\": %s", key,
			    word, why);
	}
}

static int
dnssd_uint(struct dnssd_parser *p, const char *section, const char *key,
    const char *value, unsigned int min, unsigned int max, unsigned int *out)
{
	char	     *end;
	unsigned long n;

	if (!isdigit((unsigned char)*value)) {
		dnssd_error(p, "[%s] %s=: \"%s\" is not a number", section, key,
		    value);
		return (-1);
	}
	n = strtoul(value, &end, 10);
	if (*end != '\0' || n < min || n > max) {
		dnssd_error(p,
		    "[%s] %s=: \"%s\" is not a number from "
		    "%u to %u",
		    section, key, value, min, max);
		return (-1);
	}
	*out = (unsigned int)n;
	return (0);
}

static void
dnssd_check(struct dnssd_parser *p, const char *key, const char *value)
{
	struct service_def	 *def = p->def;
	const struct check_field *f;
	char			  why[160], **argv;
	int			  n, rc;

	if ((f = check_field_find(key, 0)) == NULL) {
		dnssd_error(p, "[Check] %s=: unknown key", key);
		return;
	}
	if (def->spec == NULL)
		def->spec = check_spec_new();
	if (f->id == CHECK_F_TYPE)
		p->seen_check_type = 1;
	if (f->value != CHECK_V_ARGV)
		rc = check_spec_set(def->spec, f, value, why, sizeof(why));
	else if ((n = service_split_words(value, &argv)) <= 0) {
		strlcpy(why, "empty, or bad quoting or escape", sizeof(why));
		rc = -1;
	} else
		rc = check_spec_set_argv(def->spec, argv, (size_t)n, why,
		    sizeof(why));
	if (rc == -1) {
		dnssd_error(p, "[Check] %s=: %s", key, why);
		return;
	}
	def->check = xreallocarray(def->check, def->ncheck + 1,
	    sizeof(*def->check));
	def->check[def->ncheck].key = xstrdup(key);
	def->check[def->ncheck].value = xstrdup(value);
	def->check[def->ncheck].line = p->line;
	def->ncheck++;
}

static void
dnssd_service(struct dnssd_parser *p, const char *key, const char *value)
{
	struct service_def *def = p->def;
	const char	   *why;
	size_t		    i;

	if (strcmp(key, "Name") == 0) {
		p->seen_name = 1;
		if ((why = service_name_template_invalid(value)) != NULL ||
		    (*value == '\0' && (why = "is empty") != NULL)) {
			dnssd_error(p, "[Service] Name=: %s", why);
			return;
		}
		free(def->name);
		def->name = xstrdup(value);
	} else if (strcmp(key, "Type") == 0) {
		p->seen_type = 1;
		if ((why = service_type_invalid(value)) != NULL) {
			dnssd_error(p, "[Service] Type=: \"%s\" %s", value,
			    why);
			return;
		}
		free(def->type);
		def->type = xstrdup(value);
	} else if (strcmp(key, "SubType") == 0) {
		if (*value == '\0') {
			for (i = 0; i < def->nsubtypes; i++)
				free(def->subtypes[i]);
			def->nsubtypes = 0;
			return;
		}
		if ((why = service_subtype_invalid(value)) != NULL) {
			dnssd_error(p, "[Service] SubType=: \"%s\" %s", value,
			    why);
			return;
		}
		if (def->nsubtypes >= SERVICE_SUBTYPES_MAX) {
			dnssd_error(p, "[Service] SubType=: more than %d",
			    SERVICE_SUBTYPES_MAX);
			return;
		}
		def->subtypes[def->nsubtypes++] = xstrdup(value);
	} else if (strcmp(key, "Port") == 0) {
		p->seen_port = 1;
		dnssd_uint(p, "Service", key, value, 1, 65535, &def->port);
	} else if (strcmp(key, "Priority") == 0)
		dnssd_uint(p, "Service", key, value, 0, 65535, &def->priority);
	else if (strcmp(key, "Weight") == 0)
		dnssd_uint(p, "Service", key, value, 0, 65535, &def->weight);
	else if (strcmp(key, "TxtText") == 0)
		dnssd_txt(p, key, value, 0);
	else if (strcmp(key, "TxtData") == 0)
		dnssd_txt(p, key, value, 1);
	else
		dnssd_error(p, "[Service] %s=: unknown key", key);
}

static char *
dnssd_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s &&
	    (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return (s);
}

/*
 * Read one logical line (continuations joined) into buf.  Returns its
 * length, -1 at the end of the file, -2 when it is too long (skipped).
 */
static int
dnssd_getline(FILE *f, struct dnssd_parser *p, char *buf, size_t len)
{
	size_t n = 0;
	int    c, too_long = 0, any = 0;

	for (;;) {
		c = getc(f);
		if (c == EOF) {
			if (!any)
				return (-1);
			break;
		}
		any = 1;
		if (c == '\n') {
			p->phys++;
			if (n > 0 && buf[n - 1] == '\\') {
				buf[n - 1] = ' ';
				continue;
			}
			break;
		}
		if (c == '\0') {
			too_long = 1; /* refuse binary junk the same way */
			continue;
		}
		if (n + 1 < len)
			buf[n++] = (char)c;
		else
			too_long = 1;
	}
	if (c == EOF)
		p->phys++;
	buf[n] = '\0';
	return (too_long ? -2 : (int)n);
}

/*
 * Parse one .dnssd file.  Returns the number of errors (each appended to
 * errors as "path:line: message"); *out holds the service only when there
 * were none.
 */
int
service_file_parse(FILE *f, const char *path, struct service_def **out,
    struct config_errors *errors)
{
	struct dnssd_parser p;
	const char	   *why;
	char		   *buf, *line, *eq, *key, *value;
	char		    section[32] = "";
	int		    n, start;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.errors = errors;
	p.def = service_def_new();
	buf = xmalloc(DNSSD_LINE_MAX);
	for (;;) {
		start = p.phys + 1;
		n = dnssd_getline(f, &p, buf, DNSSD_LINE_MAX);
		if (n == -1)
			break;
		p.line = start; /* errors name the line the entry starts on */
		if (n == -2) {
			dnssd_error(&p,
			    "line longer than %d bytes or holds a "
			    "NUL byte",
			    DNSSD_LINE_MAX - 1);
			continue;
		}
		line = dnssd_trim(buf);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			if (line[strlen(line) - 1] != ']') {
				dnssd_error(&p, "section header without ]");
				section[0] = '\0';
				continue;
			}
			line[strlen(line) - 1] = '\0';
			/* As in systemd: vendor sections are ignored. */
			if (strncmp(line + 1, "X-", 2) == 0) {
				strlcpy(section, "X-", sizeof(section));
				continue;
			}
			if (strcmp(line + 1, "Service") != 0 &&
			    strcmp(line + 1, "Check") != 0) {
				dnssd_error(&p,
				    "[%.20s]: unknown section "
				    "(known: [Service], [Check])",
				    line + 1);
				strlcpy(section, "?", sizeof(section));
				continue;
			}
			strlcpy(section, line + 1, sizeof(section));
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL) {
			dnssd_error(&p,
			    "syntax error: expected \"[Section]\" "
			    "or \"Key=value\"");
			continue;
		}
		*eq = '\0';
		key = dnssd_trim(line);
		value = dnssd_trim(eq + 1);
		if (section[0] == '\0')
			dnssd_error(&p, "%s=: key outside any section", key);
		else if (strcmp(section, "Service") == 0)
			dnssd_service(&p, key, value);
		else if (strcmp(section, "Check") == 0)
			dnssd_check(&p, key, value);
		/* keys of X- and unknown sections: ignored or reported */
	}
	free(buf);
	p.line = 0;
	if (ferror(f))
		dnssd_error(&p, "read error");
	/* A Type= given but bad was reported already: not "missing" too. */
	if (p.def->spec != NULL &&
	    !(p.seen_check_type && p.def->spec->type == CHECK_NONE) &&
	    (why = check_spec_finish(p.def->spec, 0)) != NULL)
		dnssd_error(&p, "[Check] %s", why);
	if (!p.seen_name)
		dnssd_error(&p, "[Service] Name= is missing");
	if (!p.seen_type)
		dnssd_error(&p, "[Service] Type= is missing");
	if (!p.seen_port)
		dnssd_error(&p, "[Service] Port= is missing");
	if (p.nerrors == 0)
		*out = p.def;
	else
		service_def_free(p.def);
	return (p.nerrors);
}

/*
 * The name a subtype is browsed and announced as, "_label._sub._type"
 * (RFC 6763 7.1); -1 when it does not fit.
 */
int
service_subtype_name(char *buf, size_t len, const char *label, const char *type)
{
	int n;

	n = snprintf(buf, len, "%s._sub.%s", label, type);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

/*
 * Read one .dnssd file by its path: service_file_parse(), with a file
 * that cannot be opened as one error.
 */
int
service_file_load(const char *path, struct service_def **out,
    struct config_errors *errors)
{
	FILE *f;
	int   n;

	*out = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		config_error_add(errors, path, 0, "%s", strerror(errno));
		return (1);
	}
	n = service_file_parse(f, path, out, errors);
	fclose(f);
	return (n);
}

/* Split a command line into words (quotes and escapes as TxtText=). */
static int
service_split_words(const char *s, char ***argv)
{
	char   word[1024];
	size_t n = 0;
	int    len;

	*argv = xcalloc(1, sizeof(**argv));
	while ((len = dnssd_word(&s, word, sizeof(word))) != 0) {
		if (len == -1) {
			for (n = 0; (*argv)[n] != NULL; n++)
				free((*argv)[n]);
			free(*argv);
			*argv = NULL;
			return (-1);
		}
		if (len == -2)
			word[0] = '\0';
		*argv = xreallocarray(*argv, n + 2, sizeof(**argv));
		(*argv)[n++] = xstrdup(word);
		(*argv)[n] = NULL;
	}
	if (n == 0) {
		free(*argv);
		*argv = NULL;
	}
	return ((int)n);
}

static int
service_dir_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return (d->d_name[0] != '.' && len > 6 &&
	    strcmp(d->d_name + len - 6, ".dnssd") == 0);
}

/*
 * The paths of the *.dnssd files in dir, sorted, in *paths (NULL ended,
 * freed with service_dir_free).  A missing directory has no files.
 * Returns the count, or -1 with errno set.
 */
int
service_dir_list(const char *dir, char ***paths)
{
	struct dirent **names;
	int		n, i;

	*paths = NULL;
	if ((n = scandir(dir, &names, service_dir_filter, alphasort)) == -1) {
		if (errno != ENOENT)
			return (-1);
		n = 0;
		names = NULL;
	}
	*paths = xcalloc((size_t)n + 1, sizeof(**paths));
	for (i = 0; i < n; i++) {
		xasprintf(&(*paths)[i], "%s/%s", dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	return (n);
}

void
service_dir_free(char **paths)
{
	size_t i;

	if (paths == NULL)
		return;
	for (i = 0; paths[i] != NULL; i++)
		free(paths[i]);
	free(paths);
}
