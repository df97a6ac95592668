/*
 * Who may register what over the socket: discod.conf's [access] rules,
 * matched against a client's peer credentials.  Root may always; services
 * from .dnssd files are root's configuration and are not subject to them.
 *
 *	[access]
 *	register = @disco alice 1001	; who may register at all
 *	restrict-type = _ssh._tcp root	; who may register this type
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

/*
 * A uid or gid in decimal, at most 0xfffffffe: (uid_t)-1 is nobody's.
 * The bound is checked before each digit is added, so the sum cannot wrap
 * whatever the width of long ("4294967296" must not become uid 0).
 */
static int
access_number(const char *s, unsigned int *out)
{
	const unsigned long max = 0xfffffffeUL;
	unsigned long	    v = 0, d;

	if (*s == '\0')
		return (-1);
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return (-1);
		d = (unsigned long)(*s - '0');
		if (v > (max - d) / 10)
			return (-1);
		v = v * 10 + d;
	}
	*out = (unsigned int)v;
	return (0);
}

/*
 * One principal: a user name or number, or @ and a group name or number.
 * Names are looked up now, so a typo is an error at load, not a silent
 * denial later.
 */
static int
access_principal_parse(const char *word, struct access_principal *p, char *why,
    size_t len)
{
	struct passwd *pw;
	struct group  *gr;

	memset(p, 0, sizeof(*p));
	if (*word == '@') {
		p->group = 1;
		word++;
		if (access_number(word, &p->id) == 0)
			return (0);
		errno = 0;
		if ((gr = getgrnam(word)) == NULL) {
			snprintf(why, len, "no group \"%.32s\"", word);
			return (-1);
		}
		p->id = (unsigned int)gr->gr_gid;
		return (0);
	}
	if (access_number(word, &p->id) == 0)
		return (0);
	if ((pw = getpwnam(word)) == NULL) {
		snprintf(why, len, "no user \"%.32s\"", word);
		return (-1);
	}
	p->id = (unsigned int)pw->pw_uid;
	return (0);
}

/*
 * A rule from its text: for restrict-type the first word is the service
 * type, the rest are principals (at least one).
 */
int
access_rule_parse(const char *value, int with_type, int line,
    struct access_rule *rule, char *why, size_t len)
{
	char	   *copy, *w, *save = NULL;
	const char *bad;
	int	    rc = -1;

	memset(rule, 0, sizeof(*rule));
	rule->line = line;
	copy = xstrdup(value);
	w = strtok_r(copy, " \t", &save);
	if (with_type) {
		if (w == NULL) {
			snprintf(why, len,
			    "expected a service type, then who "
			    "may register it");
			goto out;
		}
		if ((bad = service_type_invalid(w)) != NULL) {
			snprintf(why, len, "type \"%.40s\" %s", w, bad);
			goto out;
		}
		rule->type = xstrdup(w);
		w = strtok_r(NULL, " \t", &save);
	}
	for (; w != NULL; w = strtok_r(NULL, " \t", &save)) {
		rule->who = xreallocarray(rule->who, rule->nwho + 1,
		    sizeof(*rule->who));
		if (access_principal_parse(w, &rule->who[rule->nwho], why,
			len) == -1)
			goto out;
		rule->nwho++;
	}
	if (rule->nwho == 0) {
		snprintf(why, len, "names no user or group");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc == -1)
		access_rule_clear(rule);
	return (rc);
}

void
access_rule_clear(struct access_rule *rule)
{
	free(rule->type);
	free(rule->who);
	memset(rule, 0, sizeof(*rule));
}

/* clang-format 14 would align the lone second parameter line. */
/* clang-format off */
static int
access_rule_allows(const struct access_rule *rule,
    const struct access_creds *cr)
/* clang-format on */
{
	size_t k, g;

	for (k = 0; k < rule->nwho; k++) {
		if (!rule->who[k].group) {
			if (rule->who[k].id == (unsigned int)cr->uid)
				return (1);
			continue;
		}
		if (rule->who[k].id == (unsigned int)cr->gid)
			return (1);
		for (g = 0; g < cr->ngroups; g++) {
			if (rule->who[k].id == (unsigned int)cr->groups[g])
				return (1);
		}
	}
	return (0);
}

/*
 * May these credentials register a service of this type?  Returns 1, or
 * 0 with the reason in why.
 */
int
access_may_register(const struct config *conf, const struct access_creds *cr,
    const char *type, char *why, size_t len)
{
	size_t k;

	if (cr->uid == 0)
		return (1);
	if (conf->access_register.nwho > 0 &&
	    !access_rule_allows(&conf->access_register, cr)) {
		snprintf(why, len,
		    "uid %ld may not register services "
		    "([access] register)",
		    (long)cr->uid);
		return (0);
	}
	for (k = 0; k < conf->naccess_types; k++) {
		if (strcasecmp(conf->access_types[k].type, type) != 0 ||
		    access_rule_allows(&conf->access_types[k], cr))
			continue;
		snprintf(why, len,
		    "uid %ld may not register %.40s "
		    "([access] restrict-type)",
		    (long)cr->uid, type);
		return (0);
	}
	return (1);
}
