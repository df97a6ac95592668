/*
 * register: announce a service for as long as this connection lives, or
 * with a lease (ttl) that renew extends; persist keeps it after the
 * connection closes until the lease runs out.
 */
#include "config.h"

#include <resolv.h>
#include <stdio.h>
#include <string.h>

#include "discod.h"

/*
 * One TXT string of a register request given as {"base64": "..."}: the
 * way replies carry bytes that are not text (NUL, binary values), so a
 * client can announce what it reads back.
 */
static int
verb_register_txt_bytes(struct json_object *item, struct txt *txt,
    const char *field, struct proto_error *err)
{
	struct json_object *b;
	unsigned char	    buf[TXT_STRING_MAX + 1];
	const char	   *why;
	int		    len;

	if (json_object_object_length(item) != 1 ||
	    !json_object_object_get_ex(item, "base64", &b) ||
	    !json_object_is_type(b, json_type_string)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "%s must be a string \"key=value\" or {\"base64\": ...}",
		    field);
		return (-1);
	}
	if ((size_t)json_object_get_string_len(b) >
		(TXT_STRING_MAX + 2) / 3 * 4 ||
	    (len = b64_pton(json_object_get_string(b), buf, sizeof(buf))) < 0) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field,
		    "%s: not base64, or more than %d bytes", field,
		    TXT_STRING_MAX);
		return (-1);
	}
	if (txt_add(txt, buf, (size_t)len, &why) == -1) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s: %s", field,
		    why);
		return (-1);
	}
	return (0);
}

/*
 * "txt": ["k=v", "flag", {"base64": "..."}] or {"k": "v", "flag": true}.
 */
static int
verb_register_txt(struct json_object *req, struct txt *txt,
    struct proto_error *err)
{
	struct json_object *v, *item;
	char		    field[PROTO_FIELD_MAX];
	const char	   *why, *s;
	char		   *kv;
	size_t		    i, n;
	int		    rc;

	if (!json_object_object_get_ex(req, "txt", &v) || v == NULL)
		return (0);
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			item = json_object_array_get_idx(v, i);
			snprintf(field, sizeof(field), "txt[%zu]", i);
			if (json_object_is_type(item, json_type_object)) {
				/* {"base64": ...}: bytes, as replies carry them. */
				if (verb_register_txt_bytes(item, txt, field,
					err) == -1)
					return (-1);
				continue;
			}
			if (!json_object_is_type(item, json_type_string)) {
				proto_error_set(err, PROTO_E_BAD_FIELD, field,
				    "%s must be a string \"key=value\" or "
				    "{\"base64\": ...}",
				    field);
				return (-1);
			}
			s = json_object_get_string(item);
			if (txt_add(txt, (const unsigned char *)s,
				(size_t)json_object_get_string_len(item),
				&why) == -1) {
				proto_error_set(err, PROTO_E_BAD_FIELD, field,
				    "%s: %s", field, why);
				return (-1);
			}
		}
		return (0);
	}
	if (!json_object_is_type(v, json_type_object)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "txt",
		    "field \"txt\" "
		    "must be an array of \"key=value\" strings or an object");
		return (-1);
	}
	json_object_object_foreach(v, key, val)
	{
		snprintf(field, sizeof(field), "txt.%.24s", key);
		if (json_object_is_type(val, json_type_boolean) &&
		    json_object_get_boolean(val))
			kv = xstrdup(key);
		else if (json_object_is_type(val, json_type_string))
			xasprintf(&kv, "%s=%s", key,
			    json_object_get_string(val));
		else {
			proto_error_set(err, PROTO_E_BAD_FIELD, field,
			    "%s must "
			    "be a string, or true for a key without value",
			    field);
			return (-1);
		}
		if (strchr(key, '=') != NULL)
			rc = -1, why = "TXT key may not hold '='";
		else
			rc = txt_add(txt, (unsigned char *)kv, strlen(kv),
			    &why);
		free(kv);
		if (rc == -1) {
			proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s: %s",
			    field, why);
			return (-1);
		}
	}
	return (0);
}

static int
verb_register_subtypes(struct json_object *req, struct service_def *def,
    struct proto_error *err)
{
	struct json_object *v, *item;
	char		    field[PROTO_FIELD_MAX];
	const char	   *why;
	size_t		    i, n;

	if (!json_object_object_get_ex(req, "subtypes", &v) || v == NULL)
		return (0);
	if (!json_object_is_type(v, json_type_array)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "subtypes",
		    "field "
		    "\"subtypes\" must be an array of strings");
		return (-1);
	}
	n = json_object_array_length(v);
	if (n > SERVICE_SUBTYPES_MAX) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "subtypes",
		    "at most %d "
		    "subtypes",
		    SERVICE_SUBTYPES_MAX);
		return (-1);
	}
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(v, i);
		snprintf(field, sizeof(field), "subtypes[%zu]", i);
		if (!json_object_is_type(item, json_type_string)) {
			proto_error_set(err, PROTO_E_BAD_FIELD, field,
			    "%s must be a string", field);
			return (-1);
		}
		if ((why = service_subtype_invalid(
			 json_object_get_string(item))) != NULL) {
			proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s %s",
			    field, why);
			return (-1);
		}
		def->subtypes[def->nsubtypes++] =
		    xstrdup(json_object_get_string(item));
	}
	return (0);
}

/*
 * One field of "check" as the text check_spec_set() takes, or NULL for
 * a value of the wrong type: durations are seconds as a number or a
 * string ("5s", "500ms"); numbers are numbers; texts are strings.
 */
static const char *
verb_register_check_text(struct json_object *v, enum check_value kind,
    char *buf, size_t len)
{
	switch (kind) {
	case CHECK_V_DURATION:
		if (json_object_is_type(v, json_type_int) ||
		    json_object_is_type(v, json_type_double)) {
			snprintf(buf, len, "%gs", json_object_get_double(v));
			return (buf);
		}
		/* FALLTHROUGH */
	case CHECK_V_TEXT:
		if (!json_object_is_type(v, json_type_string))
			return (NULL);
		return (json_object_get_string(v));
	case CHECK_V_NUMBER:
		if (!json_object_is_type(v, json_type_int))
			return (NULL);
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(v));
		return (buf);
	case CHECK_V_ARGV:
		break;
	}
	return (NULL);
}

/* "command": an array of strings, the argv of an exec check. */
static int
verb_register_check_argv(struct check_spec *c, struct json_object *v, char *why,
    size_t len)
{
	struct json_object *item;
	char		  **argv;
	size_t		    k, n;

	if (!json_object_is_type(v, json_type_array)) {
		snprintf(why, len, "must be an array of strings");
		return (-1);
	}
	n = json_object_array_length(v);
	argv = xcalloc(n + 1, sizeof(*argv));
	for (k = 0; k < n; k++) {
		item = json_object_array_get_idx(v, k);
		if (!json_object_is_type(item, json_type_string)) {
			/* Frees what was copied so far. */
			check_spec_set_argv(c, argv, 0, why, len);
			snprintf(why, len, "must hold strings");
			return (-1);
		}
		argv[k] = xstrdup(json_object_get_string(item));
	}
	return (check_spec_set_argv(c, argv, n, why, len));
}

/*
 * "check": {"type": "tcp"|"http"|"exec"|"ttl", "interval", "timeout",
 * "start_period", "rise", "fall", "host", "port", "url", "expect",
 * "command": [argv...]}, read by the parser of .dnssd [Check] sections.
 */
static int
verb_register_check(struct json_object *req, struct service_def *def,
    struct proto_error *err)
{
	const struct check_field *f;
	struct json_object	 *chk;
	char			  field[PROTO_FIELD_MAX], num[32];
	char			  why[160];
	const char		 *missing, *text;
	int			  rc;

	if (!json_object_object_get_ex(req, "check", &chk) || chk == NULL)
		return (0);
	if (!json_object_is_type(chk, json_type_object)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "check",
		    "field "
		    "\"check\" must be an object");
		return (-1);
	}
	def->spec = check_spec_new();
	json_object_object_foreach(chk, key, v)
	{
		if ((f = check_field_find(key, 1)) == NULL || v == NULL)
			continue; /* unknown fields are ignored */
		snprintf(field, sizeof(field), "check.%s", f->wire);
		if (f->value == CHECK_V_ARGV)
			rc = verb_register_check_argv(def->spec, v, why,
			    sizeof(why));
		else if ((text = verb_register_check_text(v, f->value, num,
			      sizeof(num))) == NULL) {
			snprintf(why, sizeof(why), "must be %s",
			    f->value == CHECK_V_NUMBER ?
				"a number" :
				f->value == CHECK_V_DURATION ?
				"seconds, or a "
				"string such as \"5s\" or \"500ms\"" :
				"a string");
			rc = -1;
		} else
			rc = check_spec_set(def->spec, f, text, why,
			    sizeof(why));
		if (rc == -1) {
			proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s %s",
			    field, why);
			return (-1);
		}
	}
	if ((missing = check_spec_finish(def->spec, 1)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD,
		    def->spec->type == CHECK_NONE ? "check.type" : "check",
		    "check: %s", missing);
		return (-1);
	}
	return (0);
}

/*
 * What a user's check may do ([health] and [access] in discod.conf):
 * run no more often than client-interval-min-ms, wait no longer than
 * client-timeout-max-ms, and connect only where check-targets allows
 * (loopback by default: discod is not a port scanner for its users, nor
 * a way to reach what they cannot).  Root's are not limited.
 */
static int
verb_register_check_limits(const struct client *c,
    const struct check_spec *spec, struct proto_error *err)
{
	const struct config *conf = &discod->conf;
	const char	    *target;
	char		     buf[64];

	if (c->uid == 0)
		return (0);
	if (spec->type != CHECK_TTL &&
	    spec->interval_ms < conf->check_interval_min_ms) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "check.interval",
		    "check.interval must be at least %u ms "
		    "([health] client-interval-min-ms)",
		    conf->check_interval_min_ms);
		return (-1);
	}
	if (spec->timeout_ms > conf->check_timeout_max_ms) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "check.timeout",
		    "check.timeout must be at most %u ms "
		    "([health] client-timeout-max-ms)",
		    conf->check_timeout_max_ms);
		return (-1);
	}
	if ((target = check_spec_target(spec, buf, sizeof(buf))) == NULL ||
	    strcmp(conf->check_targets, "any") == 0)
		return (0);
	if (strcmp(conf->check_targets, "none") == 0) {
		proto_error_set(err, PROTO_E_DENIED, "check.type",
		    "%s checks are not allowed for uid %ld "
		    "([access] check-targets = none)",
		    check_type_name(spec->type), (long)c->uid);
		return (-1);
	}
	if (!check_host_loopback(target)) {
		proto_error_set(err, PROTO_E_DENIED,
		    spec->type == CHECK_TCP ? "check.host" : "check.url",
		    "a check of uid %ld may only connect to loopback, not %s "
		    "([access] check-targets)",
		    (long)c->uid, target);
		return (-1);
	}
	return (0);
}

/* A name from a client is literal: double each % so none is a specifier. */
static char *
verb_register_literal(const char *name)
{
	char	   *out, *d;
	const char *s;

	out = d = xmalloc(strlen(name) * 2 + 1);
	for (s = name; *s != '\0'; s++) {
		if (*s == '%')
			*d++ = '%';
		*d++ = *s;
	}
	*d = '\0';
	return (out);
}

static int
verb_register_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct service_def  *def;
	struct announcement *a;
	struct access_creds  cr;
	const char	    *name, *type, *why;
	char		     denied[160];
	long long	     port, ttl = 0;
	int		     persist = 0;

	if (proto_get_string(req->msg.obj, "name", 1, &name, err) == -1 ||
	    proto_get_string(req->msg.obj, "type", 1, &type, err) == -1 ||
	    proto_get_int(req->msg.obj, "port", 1, 1, 65535, &port, err) ==
		-1 ||
	    proto_get_int(req->msg.obj, "ttl", 0, 1, discod->conf.ttl_max, &ttl,
		err) == -1 ||
	    proto_get_bool(req->msg.obj, "persist", 0, &persist, err) == -1)
		return (VERB_ERROR);
	if ((why = service_name_invalid(name)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "name", "name %s", why);
		return (VERB_ERROR);
	}
	if ((why = service_type_invalid(type)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "type",
		    "type \"%.40s\" "
		    "%s",
		    type, why);
		return (VERB_ERROR);
	}
	cr.uid = c->uid;
	cr.gid = c->gid;
	cr.groups = c->groups;
	cr.ngroups = c->ngroups;
	if (!access_may_register(&discod->conf, &cr, type, denied,
		sizeof(denied))) {
		proto_error_set(err, PROTO_E_DENIED, "type", "%s", denied);
		return (VERB_ERROR);
	}
	def = service_def_new();
	def->name = verb_register_literal(name);
	def->type = xstrdup(type);
	def->port = (unsigned int)port;
	if (verb_register_txt(req->msg.obj, &def->txt, err) == -1 ||
	    verb_register_subtypes(req->msg.obj, def, err) == -1 ||
	    verb_register_check(req->msg.obj, def, err) == -1 ||
	    (def->spec != NULL &&
		verb_register_check_limits(c, def->spec, err) == -1)) {
		service_def_free(def);
		return (VERB_ERROR);
	}
	/* A client's command runs with the client's rights, never root's. */
	if (def->spec != NULL && def->spec->type == CHECK_EXEC) {
		def->spec->drop_privileges = 1;
		def->spec->run_uid = c->uid;
		def->spec->run_gid = c->gid;
	}
	if ((a = announce_register(c, def, (unsigned int)ttl, persist, err)) ==
	    NULL) {
		service_def_free(def);
		return (VERB_ERROR);
	}
	if (announce_reply_later(a, c, req->msg.id))
		return (VERB_DEFERRED);
	json_object_object_add(reply, "registration", announce_json(a));
	return (VERB_DONE);
}

const struct verb verb_register = {
	.name = "register",
	.flags = 0,
	.exec = verb_register_exec,
};
