/*
 * register: announce a service for as long as this connection lives, or
 * with a lease (ttl) that renew extends; persist keeps it after the
 * connection closes until the lease runs out.
 */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "discod.h"

/* "txt": ["k=v", "flag"] or {"k": "v", "flag": true}. */
static int
verb_register_txt(struct json_object *req, struct txt *txt,
    struct proto_error *err)
{
	struct json_object	*v, *item;
	static char		 field[32];
	const char		*why, *s;
	char			*kv;
	size_t			 i, n;
	int			 rc;

	if (!json_object_object_get_ex(req, "txt", &v) || v == NULL)
		return (0);
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			item = json_object_array_get_idx(v, i);
			snprintf(field, sizeof(field), "txt[%zu]", i);
			if (!json_object_is_type(item, json_type_string)) {
				proto_error_set(err, PROTO_E_BAD_FIELD, field,
				    "%s must be a string \"key=value\"", field);
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
		proto_error_set(err, PROTO_E_BAD_FIELD, "txt", "field \"txt\" "
		    "must be an array of \"key=value\" strings or an object");
		return (-1);
	}
	json_object_object_foreach(v, key, val) {
		snprintf(field, sizeof(field), "txt.%.24s", key);
		if (json_object_is_type(val, json_type_boolean) &&
		    json_object_get_boolean(val))
			kv = xstrdup(key);
		else if (json_object_is_type(val, json_type_string))
			xasprintf(&kv, "%s=%s", key, json_object_get_string(val));
		else {
			proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s must "
			    "be a string, or true for a key without value",
			    field);
			return (-1);
		}
		if (strchr(key, '=') != NULL)
			rc = -1, why = "TXT key may not hold '='";
		else
			rc = txt_add(txt, (unsigned char *)kv, strlen(kv), &why);
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
	struct json_object	*v, *item;
	static char		 field[32];
	const char		*why;
	size_t			 i, n;

	if (!json_object_object_get_ex(req, "subtypes", &v) || v == NULL)
		return (0);
	if (!json_object_is_type(v, json_type_array)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "subtypes", "field "
		    "\"subtypes\" must be an array of strings");
		return (-1);
	}
	n = json_object_array_length(v);
	if (n > SERVICE_SUBTYPES_MAX) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "subtypes", "at most %d "
		    "subtypes", SERVICE_SUBTYPES_MAX);
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

/* A duration field: seconds as a number, or a string "5s", "500ms". */
static int
verb_register_duration(struct json_object *chk, const char *key,
    unsigned int *ms, struct proto_error *err)
{
	static char		 field[32];
	struct json_object	*v;
	char			 buf[32];

	if (!json_object_object_get_ex(chk, key, &v) || v == NULL)
		return (0);
	snprintf(field, sizeof(field), "check.%s", key);
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double))
		snprintf(buf, sizeof(buf), "%gs", json_object_get_double(v));
	else if (json_object_is_type(v, json_type_string))
		snprintf(buf, sizeof(buf), "%s", json_object_get_string(v));
	else
		buf[0] = '\0';
	if (check_duration_parse(buf, ms) == -1) {
		proto_error_set(err, PROTO_E_BAD_FIELD, field, "%s must be "
		    "seconds, or a string such as \"5s\" or \"500ms\"", field);
		return (-1);
	}
	return (0);
}

/*
 * "check": {"type": "tcp"|"http"|"exec"|"ttl", "interval", "timeout",
 * "start_period", "rise", "fall", "host", "port", "url", "expect",
 * "command": [argv...]}
 */
static int
verb_register_check(struct json_object *req, struct service_def *def,
    struct proto_error *err)
{
	struct json_object	*chk, *v, *item;
	struct check_spec	*c;
	const char		*type, *why, *s;
	long long		 n;
	size_t			 k, len;

	if (!json_object_object_get_ex(req, "check", &chk) || chk == NULL)
		return (0);
	if (!json_object_is_type(chk, json_type_object)) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "check", "field "
		    "\"check\" must be an object");
		return (-1);
	}
	c = def->spec = xcalloc(1, sizeof(*c));
	check_spec_defaults(c);
	if (proto_get_string(chk, "type", 1, &type, err) == -1)
		goto bad;
	if (check_type_parse(type, &c->type) == -1) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "check.type", "check.type "
		    "must be tcp, http, exec or ttl");
		return (-1);
	}
	if (verb_register_duration(chk, "interval", &c->interval_ms, err) ||
	    verb_register_duration(chk, "timeout", &c->timeout_ms, err) ||
	    verb_register_duration(chk, "start_period", &c->start_period_ms,
	    err))
		return (-1);
	if ((n = c->rise, proto_get_int(chk, "rise", 0, 1, 100, &n, err)) == -1)
		goto bad;
	c->rise = (unsigned int)n;
	if ((n = c->fall, proto_get_int(chk, "fall", 0, 1, 100, &n, err)) == -1)
		goto bad;
	c->fall = (unsigned int)n;
	if ((n = 0, proto_get_int(chk, "port", 0, 1, 65535, &n, err)) == -1)
		goto bad;
	c->port = (unsigned int)n;
	s = NULL;
	if (proto_get_string(chk, "host", 0, &s, err) == -1)
		goto bad;
	if (s != NULL) {
		unsigned char	buf[16];

		if (inet_pton(AF_INET, s, buf) != 1 &&
		    inet_pton(AF_INET6, s, buf) != 1) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "check.host",
			    "check.host must be an IPv4 or IPv6 address");
			return (-1);
		}
		c->host = xstrdup(s);
	}
	s = NULL;
	if (proto_get_string(chk, "url", 0, &s, err) == -1)
		goto bad;
	if (s != NULL) {
		if (strncmp(s, "http://", 7) != 0) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "check.url",
			    "check.url must be an http:// URL");
			return (-1);
		}
		c->url = xstrdup(s);
	}
	s = NULL;
	if (proto_get_string(chk, "expect", 0, &s, err) == -1)
		goto bad;
	if (s != NULL)
		c->expect = xstrdup(s);
	if (json_object_object_get_ex(chk, "command", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_array) ||
		    (len = json_object_array_length(v)) == 0 || len > 64) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "check.command",
			    "check.command must be an array of 1 to 64 strings");
			return (-1);
		}
		c->argv = xcalloc(len + 1, sizeof(*c->argv));
		for (k = 0; k < len; k++) {
			item = json_object_array_get_idx(v, k);
			if (!json_object_is_type(item, json_type_string)) {
				proto_error_set(err, PROTO_E_BAD_FIELD,
				    "check.command", "check.command must hold "
				    "strings");
				return (-1);
			}
			c->argv[k] = xstrdup(json_object_get_string(item));
		}
	}
	if ((why = check_spec_finish(c)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "check", "check: %s",
		    why);
		return (-1);
	}
	return (0);
bad:
	/* Name the field inside the check object. */
	if (err->field != NULL) {
		static char	field[32];

		snprintf(field, sizeof(field), "check.%s", err->field);
		err->field = field;
	}
	return (-1);
}

/* A name from a client is literal: double each % so none is a specifier. */
static char *
verb_register_literal(const char *name)
{
	char		*out, *d;
	const char	*s;

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
verb_register_exec(struct client *c, struct proto_request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct service_def	*def;
	struct announcement	*a;
	struct access_creds	 cr;
	const char		*name, *type, *why;
	char			 denied[160];
	long long		 port, ttl = 0;
	int			 persist = 0;

	if (proto_get_string(req->obj, "name", 1, &name, err) == -1 ||
	    proto_get_string(req->obj, "type", 1, &type, err) == -1 ||
	    proto_get_int(req->obj, "port", 1, 1, 65535, &port, err) == -1 ||
	    proto_get_int(req->obj, "ttl", 0, 1,
	    discod->conf.ttl_max, &ttl, err) == -1 ||
	    proto_get_bool(req->obj, "persist", 0, &persist, err) == -1)
		return (VERB_ERROR);
	if ((why = service_name_invalid(name)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "name", "name %s", why);
		return (VERB_ERROR);
	}
	if ((why = service_type_invalid(type)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "type", "type \"%.40s\" "
		    "%s", type, why);
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
	if (verb_register_txt(req->obj, &def->txt, err) == -1 ||
	    verb_register_subtypes(req->obj, def, err) == -1 ||
	    verb_register_check(req->obj, def, err) == -1) {
		service_def_free(def);
		return (VERB_ERROR);
	}
	/* A client's command runs with the client's rights, never root's. */
	if (def->spec != NULL && def->spec->type == CHECK_EXEC) {
		def->spec->drop_privileges = 1;
		def->spec->run_uid = c->uid;
		def->spec->run_gid = c->gid;
	}
	if ((a = announce_register(c, def, (unsigned int)ttl, persist,
	    err)) == NULL) {
		service_def_free(def);
		return (VERB_ERROR);
	}
	json_object_object_add(reply, "registration", announce_json(a));
	return (VERB_DONE);
}

const struct verb verb_register = {
	.name = "register",
	.flags = 0,
	.exec = verb_register_exec,
};
