/*
 * libdisco's verbs: requests built and replies read with json-c, on top
 * of disco_call() and disco_event_next().  Nothing here exits, prints or
 * aborts: every failure is a DISCO_E* code.
 *
 * The agent's replies are not trusted: it may be broken, an older or
 * newer discod, or another program on the socket.  Every field is read
 * through reply_field(), which checks its JSON type, so a field of the
 * wrong type (null where a string belongs, say) is DISCO_EPROTOCOL, never
 * a NULL handed to strcmp().
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/nameser.h>
#include <math.h>
#include <netdb.h>
#include <resolv.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "disco.h"
#include "private.h"

static struct json_object *
req_new(const char *verb)
{
	struct json_object *o = json_object_new_object();

	if (o != NULL)
		json_object_object_add(o, "verb", json_object_new_string(verb));
	return (o);
}

/* Add the array strs (NULL-terminated; NULL: none) to req as key. */
static int
req_strings(struct json_object *req, const char *key, const char *const *strs)
{
	struct json_object *arr;

	if (strs == NULL)
		return (0);
	if ((arr = json_object_new_array()) == NULL)
		return (DISCO_ENOMEM);
	for (; *strs != NULL; strs++)
		json_object_array_add(arr, json_object_new_string(*strs));
	json_object_object_add(req, key, arr);
	return (0);
}

static int
req_txt(struct json_object *req, const char *const *txt)
{
	return (req_strings(req, "txt", txt));
}

/* Add the string value to req as key, unless it is NULL. */
static void
req_string(struct json_object *req, const char *key, const char *value)
{
	if (value != NULL)
		json_object_object_add(req, key, json_object_new_string(value));
}

/*
 * o's field key, of JSON type type, into *v.  An optional field may be
 * absent or null (json-c's NULL object): 0 with *v NULL.  A required one
 * missing, or a field of another type: DISCO_EPROTOCOL.
 */
static int
reply_field(struct json_object *o, const char *key, enum json_type type,
    int required, struct json_object **v)
{
	*v = NULL;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, v) || *v == NULL) {
		*v = NULL;
		return (required ? DISCO_EPROTOCOL : 0);
	}
	if (!json_object_is_type(*v, type)) {
		*v = NULL;
		return (DISCO_EPROTOCOL);
	}
	return (0);
}

/* o's string field key into *s, as reply_field() reads it. */
static int
reply_string(struct json_object *o, const char *key, int required,
    const char **s)
{
	struct json_object *v;
	int		    rc;

	*s = NULL;
	if ((rc = reply_field(o, key, json_type_string, required, &v)) == 0 &&
	    v != NULL)
		*s = json_object_get_string(v);
	return (rc);
}

/* o's string field key, copied into *s (NULL when optional and absent). */
static int
reply_strdup(struct json_object *o, const char *key, int required, char **s)
{
	const char *v;
	int	    rc;

	*s = NULL;
	if ((rc = reply_string(o, key, required, &v)) != 0)
		return (rc);
	if (v != NULL && (*s = strdup(v)) == NULL)
		return (DISCO_ENOMEM);
	return (0);
}

/* The DISCO_E* code for one of the agent's error codes. */
static int
error_number(const char *code)
{
	if (strcmp(code, "not-found") == 0)
		return (DISCO_ENOTFOUND);
	if (strcmp(code, "permission-denied") == 0)
		return (DISCO_EDENIED);
	if (strcmp(code, "unavailable") == 0)
		return (DISCO_EUNREACHABLE);
	if (strcmp(code, "internal") == 0)
		return (DISCO_EPROTOCOL);
	return (DISCO_EREJECTED);
}

/*
 * The DISCO_E* code of a refusal; its code, field and message kept for
 * disco_last_error().
 */
static int
error_code(struct disco *d, struct json_object *reply)
{
	struct json_object *e;
	const char	   *code, *field = NULL, *message = NULL;
	int		    rc;

	if (reply_field(reply, "error", json_type_object, 1, &e) != 0 ||
	    reply_string(e, "code", 1, &code) != 0) {
		lib_error_set(d, DISCO_EPROTOCOL, NULL, NULL, NULL);
		return (DISCO_EPROTOCOL);
	}
	(void)reply_string(e, "field", 0, &field);
	(void)reply_string(e, "message", 0, &message);
	rc = error_number(code);
	lib_error_set(d, rc, code, field, message != NULL ? message : code);
	return (rc);
}

/*
 * A call refusing its arguments sends nothing; disco_last_error() says
 * so rather than keeping an earlier call's error.
 */
static int
bad_args(struct disco *d)
{
	if (d != NULL)
		lib_error_set(d, DISCO_EINVAL, NULL, NULL, NULL);
	return (DISCO_EINVAL);
}

/*
 * Send req (consumed) and return the decoded successful reply.  With
 * retry, a resilient handle whose connection dropped sends it again on
 * the new one; sent, when not NULL, receives a copy of the request line.
 */
static int
call_ext(struct disco *d, struct json_object *req, struct json_object **reply,
    int timeout_ms, int retry, char **sent)
{
	struct json_object *ok;
	const char	   *s;
	char		   *line;
	int		    rc;

	*reply = NULL;
	if (sent != NULL)
		*sent = NULL;
	if (d != NULL)
		lib_reply_keep(d, NULL);
	if (d == NULL || req == NULL) {
		json_object_put(req);
		if (d != NULL)
			lib_error_set(d, DISCO_ENOMEM, NULL, NULL, NULL);
		return (req == NULL ? DISCO_ENOMEM : DISCO_EINVAL);
	}
	s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	if (s != NULL && sent != NULL && (*sent = strdup(s)) == NULL)
		s = NULL;
	rc = s != NULL ? lib_call(d, s, &line, timeout_ms, retry) :
			 DISCO_ENOMEM;
	json_object_put(req);
	if (rc != 0) {
		lib_error_set(d, rc, NULL, NULL, NULL);
		goto fail;
	}
	*reply = json_tokener_parse(line);
	lib_reply_keep(d, line); /* for disco_last_reply() */
	if (reply_field(*reply, "ok", json_type_boolean, 1, &ok) != 0) {
		rc = DISCO_EPROTOCOL;
		lib_error_set(d, rc, NULL, NULL, NULL);
	} else if (!json_object_get_boolean(ok)) {
		rc = error_code(d, *reply);
	} else {
		lib_error_set(d, 0, NULL, NULL, NULL);
		return (0);
	}
	json_object_put(*reply);
	*reply = NULL;
fail:
	if (sent != NULL) {
		free(*sent);
		*sent = NULL;
	}
	return (rc);
}

static int
call(struct disco *d, struct json_object *req, struct json_object **reply,
    int timeout_ms)
{
	return (call_ext(d, req, reply, timeout_ms, 1, NULL));
}

void
disco_instance_free(struct disco_instance *inst)
{
	disco_instances_free(inst, inst != NULL ? 1 : 0);
}

static void
instance_clear(struct disco_instance *i)
{
	size_t k;

	free(i->name);
	free(i->type);
	free(i->domain);
	free(i->host);
	free(i->fullname);
	for (k = 0; k < i->ntxt; k++)
		free(i->txt[k]);
	free(i->txt);
	free(i->txt_len);
	for (k = 0; k < i->naddresses; k++) {
		free(i->addresses[k].address);
		free(i->addresses[k].interface);
	}
	free(i->addresses);
	memset(i, 0, sizeof(*i));
}

void
disco_instances_free(struct disco_instance *insts, size_t n)
{
	size_t k;

	if (insts == NULL)
		return;
	for (k = 0; k < n; k++)
		instance_clear(&insts[k]);
	free(insts);
}

/*
 * TXT string k of i from t: a JSON string, or {"base64": "..."} for bytes
 * that are not UTF-8 text.  Either way txt[k] ends with a NUL beyond its
 * txt_len[k] bytes, so it reads as a C string (strtoul() in txt_number()).
 */
static int
txt_parse(struct json_object *t, struct disco_instance *i, size_t k)
{
	const char *s;
	size_t	    size;
	int	    len;

	if (json_object_is_type(t, json_type_string)) {
		len = json_object_get_string_len(t);
		if ((i->txt[k] = malloc((size_t)len + 1)) == NULL)
			return (DISCO_ENOMEM);
		memcpy(i->txt[k], json_object_get_string(t), (size_t)len + 1);
	} else {
		if (!json_object_is_type(t, json_type_object) ||
		    reply_string(t, "base64", 1, &s) != 0)
			return (DISCO_EPROTOCOL);
		/* Decoding never grows: strlen(s) bytes are room enough. */
		size = strlen(s) + 1;
		if ((i->txt[k] = malloc(size)) == NULL)
			return (DISCO_ENOMEM);
		if ((len = b64_pton(s, (unsigned char *)i->txt[k], size - 1)) <
		    0)
			return (DISCO_EPROTOCOL);
		i->txt[k][len] = '\0';
	}
	i->txt_len[k] = (size_t)len;
	return (0);
}

/* Address k of i from a, an object such as {"family": "ipv6", ...}. */
static int
address_parse(struct json_object *a, struct disco_instance *i, size_t k)
{
	struct disco_address *ad = &i->addresses[k];
	const char	     *family;
	int		      rc;

	if (!json_object_is_type(a, json_type_object))
		return (DISCO_EPROTOCOL);
	if ((rc = reply_string(a, "family", 0, &family)) != 0 ||
	    (rc = reply_strdup(a, "address", 1, &ad->address)) != 0 ||
	    (rc = reply_strdup(a, "interface", 0, &ad->interface)) != 0)
		return (rc);
	if (family == NULL || strcmp(family, "ipv4") == 0)
		ad->family = AF_INET;
	else if (strcmp(family, "ipv6") == 0)
		ad->family = AF_INET6;
	else
		return (DISCO_EPROTOCOL);
	return (0);
}

/* Fill *i from the agent's JSON for an instance. */
static int
instance_parse(struct json_object *o, struct disco_instance *i)
{
	struct json_object *txt, *addrs, *port, *local, *reach, *since;
	size_t		    k, n;
	int		    rc;

	memset(i, 0, sizeof(*i));
	if (!json_object_is_type(o, json_type_object)) {
		rc = DISCO_EPROTOCOL;
		goto bad;
	}
	if ((rc = reply_strdup(o, "name", 1, &i->name)) != 0 ||
	    (rc = reply_strdup(o, "type", 1, &i->type)) != 0 ||
	    (rc = reply_strdup(o, "domain", 1, &i->domain)) != 0 ||
	    (rc = reply_strdup(o, "host", 0, &i->host)) != 0 ||
	    (rc = reply_field(o, "port", json_type_int, 0, &port)) != 0 ||
	    (rc = reply_field(o, "local", json_type_boolean, 0, &local)) != 0 ||
	    (rc = reply_field(o, "reachable", json_type_boolean, 0, &reach)) !=
		0 ||
	    (rc = reply_strdup(o, "fullname", 0, &i->fullname)) != 0 ||
	    (rc = reply_field(o, "txt", json_type_array, 0, &txt)) != 0 ||
	    (rc = reply_field(o, "addresses", json_type_array, 0, &addrs)) != 0)
		goto bad;
	if (port != NULL) {
		if (json_object_get_int64(port) < 0 ||
		    json_object_get_int64(port) > 65535) {
			rc = DISCO_EPROTOCOL;
			goto bad;
		}
		i->port = (unsigned int)json_object_get_int64(port);
	}
	if (local != NULL)
		i->local = json_object_get_boolean(local);
	/* An older agent says nothing: reachable, as it would pick it. */
	i->reachable = reach == NULL || json_object_get_boolean(reach);
	if (json_object_object_get_ex(o, "stale", &since) &&
	    json_object_is_type(since, json_type_boolean))
		i->stale = json_object_get_boolean(since);
	if (json_object_object_get_ex(o, "unreachable_since", &since) &&
	    (json_object_is_type(since, json_type_double) ||
		json_object_is_type(since, json_type_int)))
		i->unreachable_since = json_object_get_double(since);
	if (txt != NULL && (n = json_object_array_length(txt)) > 0) {
		if ((i->txt = calloc(n, sizeof(*i->txt))) == NULL ||
		    (i->txt_len = calloc(n, sizeof(*i->txt_len))) == NULL) {
			rc = DISCO_ENOMEM;
			goto bad;
		}
		for (k = 0; k < n; k++) {
			/* Counted first: instance_clear() frees a half. */
			i->ntxt++;
			if ((rc = txt_parse(json_object_array_get_idx(txt, k),
				 i, k)) != 0)
				goto bad;
		}
	}
	if (addrs != NULL && (n = json_object_array_length(addrs)) > 0) {
		if ((i->addresses = calloc(n, sizeof(*i->addresses))) == NULL) {
			rc = DISCO_ENOMEM;
			goto bad;
		}
		for (k = 0; k < n; k++) {
			i->naddresses++;
			if ((rc = address_parse(json_object_array_get_idx(addrs,
						    k),
				 i, k)) != 0)
				goto bad;
		}
	}
	return (0);
bad:
	instance_clear(i);
	return (rc);
}

/* The array "instances" of reply into *insts, *n of them. */
static int
instances_parse(struct json_object *reply, struct disco_instance **insts,
    size_t *n)
{
	struct json_object *arr;
	size_t		    k, len;
	int		    rc;

	*insts = NULL;
	*n = 0;
	if ((rc = reply_field(reply, "instances", json_type_array, 1, &arr)) !=
	    0)
		return (rc);
	if ((len = json_object_array_length(arr)) == 0)
		return (0);
	if ((*insts = calloc(len, sizeof(**insts))) == NULL)
		return (DISCO_ENOMEM);
	for (k = 0; k < len; k++) {
		if ((rc = instance_parse(json_object_array_get_idx(arr, k),
			 &(*insts)[k])) != 0) {
			disco_instances_free(*insts, k);
			*insts = NULL;
			return (rc);
		}
	}
	*n = len;
	return (0);
}

static int
one_instance(struct json_object *reply, struct disco_instance **inst)
{
	struct json_object *o;
	int		    rc;

	if ((rc = reply_field(reply, "instance", json_type_object, 1, &o)) != 0)
		return (rc);
	if ((*inst = calloc(1, sizeof(**inst))) == NULL)
		return (DISCO_ENOMEM);
	if ((rc = instance_parse(o, *inst)) != 0) {
		free(*inst);
		*inst = NULL;
	}
	return (rc);
}

int
disco_resolve(struct disco *d, const char *name, const char *type,
    struct disco_instance **inst, int timeout_ms)
{
	struct json_object *req, *reply;
	int		    rc;

	if (inst == NULL || name == NULL || type == NULL)
		return (bad_args(d));
	*inst = NULL;
	if ((req = req_new("resolve")) != NULL) {
		json_object_object_add(req, "name",
		    json_object_new_string(name));
		json_object_object_add(req, "type",
		    json_object_new_string(type));
	}
	if ((rc = call(d, req, &reply, timeout_ms)) != 0)
		return (rc);
	rc = one_instance(reply, inst);
	json_object_put(reply);
	return (rc);
}

int
disco_list(struct disco *d, const char *type, const char *const *txt,
    struct disco_instance **insts, size_t *n, int timeout_ms)
{
	struct json_object *req, *reply;
	int		    rc;

	if (insts == NULL || n == NULL || type == NULL)
		return (bad_args(d));
	*insts = NULL;
	*n = 0;
	if ((req = req_new("list")) != NULL) {
		json_object_object_add(req, "type",
		    json_object_new_string(type));
		if (req_txt(req, txt) != 0) {
			json_object_put(req);
			return (DISCO_ENOMEM);
		}
	}
	if ((rc = call(d, req, &reply, timeout_ms)) != 0)
		return (rc);
	rc = instances_parse(reply, insts, n);
	json_object_put(reply);
	return (rc);
}

int
disco_pick(struct disco *d, const char *type, const char *policy,
    const char *key, const char *const *txt, int wait_ms,
    struct disco_instance **inst, int timeout_ms)
{
	struct json_object *req, *reply;
	int		    rc;

	if (inst == NULL || type == NULL || wait_ms < 0)
		return (bad_args(d));
	*inst = NULL;
	if ((req = req_new("pick")) != NULL) {
		json_object_object_add(req, "type",
		    json_object_new_string(type));
		if (policy != NULL)
			json_object_object_add(req, "policy",
			    json_object_new_string(policy));
		if (key != NULL)
			json_object_object_add(req, "key",
			    json_object_new_string(key));
		if (wait_ms > 0)
			json_object_object_add(req, "wait_ms",
			    json_object_new_int(wait_ms));
		if (req_txt(req, txt) != 0) {
			json_object_put(req);
			return (DISCO_ENOMEM);
		}
	}
	if ((rc = call(d, req, &reply, timeout_ms)) != 0)
		return (rc);
	rc = one_instance(reply, inst);
	json_object_put(reply);
	return (rc);
}

void
disco_types_free(char **types, size_t n)
{
	size_t k;

	if (types == NULL)
		return;
	for (k = 0; k < n; k++)
		free(types[k]);
	free(types);
}

int
disco_types(struct disco *d, char ***types, size_t *n, int timeout_ms)
{
	struct json_object *reply, *arr;
	size_t		    k, len;
	int		    rc;

	if (types == NULL || n == NULL)
		return (bad_args(d));
	*types = NULL;
	*n = 0;
	if ((rc = call(d, req_new("types"), &reply, timeout_ms)) != 0)
		return (rc);
	if ((rc = reply_field(reply, "types", json_type_array, 1, &arr)) != 0) {
		json_object_put(reply);
		return (rc);
	}
	len = json_object_array_length(arr);
	if (len > 0 && (*types = calloc(len, sizeof(**types))) == NULL)
		rc = DISCO_ENOMEM;
	for (k = 0; rc == 0 && k < len; k++) {
		if ((rc = reply_strdup(json_object_array_get_idx(arr, k),
			 "type", 1, &(*types)[k])) == 0)
			(*n)++;
	}
	if (rc != 0) {
		disco_types_free(*types, *n);
		*types = NULL;
		*n = 0;
	}
	json_object_put(reply);
	return (rc);
}

int
disco_status(struct disco *d, char **json, int timeout_ms)
{
	struct json_object *reply;
	const char	   *s;
	int		    rc;

	if (json == NULL)
		return (bad_args(d));
	*json = NULL;
	if ((rc = call(d, req_new("status"), &reply, timeout_ms)) != 0)
		return (rc);
	s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	if (s == NULL || (*json = strdup(s)) == NULL)
		rc = DISCO_ENOMEM;
	json_object_put(reply);
	return (rc);
}

/*
 * The "registration" of a register reply: its id into *id and, when
 * final_name is not NULL, a copy of the name announced into *final_name.
 */
static int
registration_parse(struct json_object *reply, long *id, char **final_name)
{
	struct json_object *reg, *v;
	const char	   *s;
	int		    rc;

	if ((rc = reply_field(reply, "registration", json_type_object, 1,
		 &reg)) != 0 ||
	    (rc = reply_field(reg, "id", json_type_int, 1, &v)) != 0 ||
	    (rc = reply_string(reg, "final_name", 1, &s)) != 0)
		return (rc);
	*id = (long)json_object_get_int64(v);
	if (final_name != NULL && (*final_name = strdup(s)) == NULL)
		return (DISCO_ENOMEM);
	return (0);
}

/*
 * Send a register request (consumed) and read its registration; on a
 * resilient handle, keep the request to make it again on a new
 * connection.
 */
static int
register_call(struct disco *d, struct json_object *req, int persist, long *id,
    char **final_name, int timeout_ms)
{
	struct json_object *reply;
	char		   *sent;
	int		    rc;

	if ((rc = call_ext(d, req, &reply, timeout_ms, 1, &sent)) != 0)
		return (rc);
	if ((rc = registration_parse(reply, id, final_name)) == 0 &&
	    (rc = lib_reg_add(d, *id, sent, persist)) != 0 &&
	    final_name != NULL) {
		free(*final_name);
		*final_name = NULL;
	}
	free(sent);
	json_object_put(reply);
	return (rc);
}

int
disco_register(struct disco *d, const char *name, const char *type,
    unsigned int port, const char *const *txt, unsigned int ttl, long *id,
    char **final_name, int timeout_ms)
{
	struct json_object *req;

	if (name == NULL || type == NULL || id == NULL || port > 65535)
		return (bad_args(d));
	if (final_name != NULL)
		*final_name = NULL;
	if ((req = req_new("register")) != NULL) {
		json_object_object_add(req, "name",
		    json_object_new_string(name));
		json_object_object_add(req, "type",
		    json_object_new_string(type));
		json_object_object_add(req, "port",
		    json_object_new_int((int)port));
		if (ttl > 0)
			json_object_object_add(req, "ttl",
			    json_object_new_int64(ttl));
		if (req_txt(req, txt) != 0) {
			json_object_put(req);
			return (DISCO_ENOMEM);
		}
	}
	return (register_call(d, req, 0, id, final_name, timeout_ms));
}

/*
 * renew or unregister the registration the application knows as id: on
 * a resilient handle, the agent's number for it now, and when the
 * connection drops during the call, the request is made again with the
 * number the new connection gave (so a program that only renews on a
 * timer gets its registration back after the agent restarted).
 */
static int
registration_call(struct disco *d, const char *verb, long id, int timeout_ms)
{
	struct json_object *req, *reply;
	struct lib_reg	   *r;
	long long	    deadline = -1, left;
	int		    rc, tries;

	if (d == NULL)
		return (bad_args(d));
	if (timeout_ms >= 0)
		deadline = lib_now_ms() + timeout_ms;
	for (tries = 0;; tries++) {
		if ((rc = lib_ensure(d, lib_reconnect_deadline(deadline))) !=
		    0) {
			lib_error_set(d, rc, NULL, NULL, NULL);
			return (rc);
		}
		r = lib_reg_find(d, id);
		if ((req = req_new(verb)) != NULL)
			json_object_object_add(req, "registration",
			    json_object_new_int64(r != NULL ? r->agent_id :
							      id));
		left = -1;
		if (deadline >= 0 && (left = deadline - lib_now_ms()) < 0)
			left = 0;
		rc = call_ext(d, req, &reply, (int)left, 0, NULL);
		if (rc == 0)
			json_object_put(reply);
		if (tries > 0 || !lib_retry(d, rc))
			break;
	}
	if (strcmp(verb, "unregister") == 0 &&
	    (rc == 0 || rc == DISCO_ENOTFOUND))
		lib_reg_remove(d, id);
	return (rc);
}

int
disco_renew(struct disco *d, long id, int timeout_ms)
{
	return (registration_call(d, "renew", id, timeout_ms));
}

int
disco_unregister(struct disco *d, long id, int timeout_ms)
{
	return (registration_call(d, "unregister", id, timeout_ms));
}

/*
 * A copy of the caller's struct of size bytes (the size its program was
 * built with) in *out of ours: fields it did not know are zero.  NULL or
 * a size too small for the first version is DISCO_EINVAL.
 */
static int
sized_copy(void *out, size_t ours, const void *in, size_t size, size_t least)
{
	memset(out, 0, ours);
	if (in == NULL || size < least)
		return (DISCO_EINVAL);
	memcpy(out, in, size < ours ? size : ours);
	return (0);
}

/* The smallest struct disco_service there was: up to persist. */
#define SERVICE_V1 (offsetof(struct disco_service, persist) + sizeof(int))
/* The smallest struct disco_query there was: up to wait_ms. */
#define QUERY_V1 (offsetof(struct disco_query, wait_ms) + sizeof(int))

/* svc's TXT bytes, each {"base64": ...}, after its txt strings. */
static int
req_txt_bytes(struct json_object *req, const struct disco_service *svc)
{
	struct json_object *arr, *o;
	char		    b64[512];
	size_t		    k;

	if (svc->ntxt_bytes == 0)
		return (0);
	if (svc->txt_bytes == NULL)
		return (DISCO_EINVAL);
	if (!json_object_object_get_ex(req, "txt", &arr)) {
		if ((arr = json_object_new_array()) == NULL)
			return (DISCO_ENOMEM);
		json_object_object_add(req, "txt", arr);
	}
	for (k = 0; k < svc->ntxt_bytes; k++) {
		/* One TXT string is at most 255 bytes (RFC 6763 6.1). */
		if (svc->txt_bytes[k].len > 255 ||
		    (svc->txt_bytes[k].len > 0 &&
			svc->txt_bytes[k].data == NULL) ||
		    b64_ntop(svc->txt_bytes[k].data, svc->txt_bytes[k].len, b64,
			sizeof(b64)) < 0)
			return (DISCO_EINVAL);
		if ((o = json_object_new_object()) == NULL)
			return (DISCO_ENOMEM);
		json_object_object_add(o, "base64",
		    json_object_new_string(b64));
		json_object_array_add(arr, o);
	}
	return (0);
}

/* A duration in milliseconds as the agent reads it: "1500ms". */
static void
req_ms(struct json_object *o, const char *key, unsigned int ms)
{
	char buf[32];

	if (ms == 0)
		return;
	snprintf(buf, sizeof(buf), "%ums", ms);
	json_object_object_add(o, key, json_object_new_string(buf));
}

/* svc's health check as the request's "check" object. */
static int
req_check(struct json_object *req, const struct disco_service *svc)
{
	struct json_object *chk;

	if (svc->check == NULL)
		return (0);
	if ((chk = json_object_new_object()) == NULL)
		return (DISCO_ENOMEM);
	json_object_object_add(req, "check", chk);
	req_string(chk, "type", svc->check);
	req_string(chk, "host", svc->check_host);
	if (svc->check_port != 0)
		json_object_object_add(chk, "port",
		    json_object_new_int64(svc->check_port));
	req_string(chk, "url", svc->check_url);
	req_string(chk, "expect", svc->check_expect);
	req_ms(chk, "interval", svc->check_interval_ms);
	req_ms(chk, "timeout", svc->check_timeout_ms);
	req_ms(chk, "start_period", svc->check_start_period_ms);
	if (svc->check_rise != 0)
		json_object_object_add(chk, "rise",
		    json_object_new_int64(svc->check_rise));
	if (svc->check_fall != 0)
		json_object_object_add(chk, "fall",
		    json_object_new_int64(svc->check_fall));
	return (req_strings(chk, "command", svc->check_command));
}

int
disco_register_service_sized(struct disco *d, const struct disco_service *in,
    size_t size, long *id, char **final_name, int timeout_ms)
{
	struct disco_service svc;
	struct json_object  *req;
	int		     rc;

	if (final_name != NULL)
		*final_name = NULL;
	if (sized_copy(&svc, sizeof(svc), in, size, SERVICE_V1) != 0 ||
	    svc.name == NULL || svc.type == NULL || id == NULL ||
	    svc.port > 65535)
		return (bad_args(d));
	if ((req = req_new("register")) == NULL)
		return (DISCO_ENOMEM);
	req_string(req, "name", svc.name);
	req_string(req, "type", svc.type);
	json_object_object_add(req, "port", json_object_new_int((int)svc.port));
	if (svc.ttl > 0)
		json_object_object_add(req, "ttl",
		    json_object_new_int64(svc.ttl));
	if (svc.persist)
		json_object_object_add(req, "persist",
		    json_object_new_boolean(1));
	if ((rc = req_strings(req, "txt", svc.txt)) != 0 ||
	    (rc = req_txt_bytes(req, &svc)) != 0 ||
	    (rc = req_strings(req, "subtypes", svc.subtypes)) != 0 ||
	    (rc = req_check(req, &svc)) != 0) {
		json_object_put(req);
		return (rc == DISCO_EINVAL ? bad_args(d) : rc);
	}
	return (register_call(d, req, svc.persist, id, final_name, timeout_ms));
}

/* A list or pick request for q's filters, or NULL when out of memory. */
static struct json_object *
req_query(const char *verb, const struct disco_query *q)
{
	struct json_object *req;

	if ((req = req_new(verb)) == NULL)
		return (NULL);
	req_string(req, "type", q->type);
	req_string(req, "subtype", q->subtype);
	req_string(req, "family", q->family);
	req_string(req, "interface", q->interface);
	req_string(req, "domain", q->domain);
	if (req_strings(req, "txt", q->txt) != 0) {
		json_object_put(req);
		return (NULL);
	}
	return (req);
}

int
disco_list_query_sized(struct disco *d, const struct disco_query *in,
    size_t size, struct disco_instance **insts, size_t *n, int timeout_ms)
{
	struct disco_query  qq, *q = &qq;
	struct json_object *reply;
	int		    rc;

	if (insts == NULL || n == NULL)
		return (bad_args(d));
	*insts = NULL;
	*n = 0;
	if (sized_copy(&qq, sizeof(qq), in, size, QUERY_V1) != 0 ||
	    q->type == NULL)
		return (bad_args(d));
	if ((rc = call(d, req_query("list", q), &reply, timeout_ms)) != 0)
		return (rc);
	rc = instances_parse(reply, insts, n);
	json_object_put(reply);
	return (rc);
}

int
disco_pick_query_sized(struct disco *d, const struct disco_query *in,
    size_t size, struct disco_instance **inst, int timeout_ms)
{
	struct disco_query  qq, *q = &qq;
	struct json_object *req, *reply;
	int		    rc;

	if (inst == NULL)
		return (bad_args(d));
	*inst = NULL;
	if (sized_copy(&qq, sizeof(qq), in, size, QUERY_V1) != 0 ||
	    q->type == NULL || q->wait_ms < 0)
		return (bad_args(d));
	if ((req = req_query("pick", q)) != NULL) {
		req_string(req, "policy", q->policy);
		req_string(req, "key", q->key);
		req_string(req, "prefer", q->prefer);
		if (q->wait_ms > 0)
			json_object_object_add(req, "wait_ms",
			    json_object_new_int(q->wait_ms));
	}
	if ((rc = call(d, req, &reply, timeout_ms)) != 0)
		return (rc);
	rc = one_instance(reply, inst);
	json_object_put(reply);
	return (rc);
}

int
disco_resolve_fullname(struct disco *d, const char *fullname,
    struct disco_instance **inst, int timeout_ms)
{
	struct json_object *req, *reply;
	int		    rc;

	if (inst == NULL)
		return (bad_args(d));
	*inst = NULL;
	if (fullname == NULL)
		return (bad_args(d));
	if ((req = req_new("resolve")) != NULL)
		req_string(req, "fullname", fullname);
	if ((rc = call(d, req, &reply, timeout_ms)) != 0)
		return (rc);
	rc = one_instance(reply, inst);
	json_object_put(reply);
	return (rc);
}

int
disco_services(struct disco *d, char **json, int timeout_ms)
{
	struct json_object *reply, *arr;
	const char	   *s;
	int		    rc;

	if (json == NULL)
		return (bad_args(d));
	*json = NULL;
	if ((rc = call(d, req_new("services"), &reply, timeout_ms)) != 0)
		return (rc);
	if ((rc = reply_field(reply, "services", json_type_array, 1, &arr)) ==
	    0) {
		s = json_object_to_json_string_ext(reply,
		    JSON_C_TO_STRING_PLAIN);
		if (s == NULL || (*json = strdup(s)) == NULL)
			rc = DISCO_ENOMEM;
	}
	json_object_put(reply);
	return (rc);
}

/* The non-negative integer o holds at key, into *v (when v is not NULL). */
static int
reply_count(struct json_object *o, const char *key, size_t *v)
{
	struct json_object *n;

	if (!json_object_object_get_ex(o, key, &n) ||
	    !json_object_is_type(n, json_type_int) ||
	    json_object_get_int64(n) < 0)
		return (DISCO_EPROTOCOL);
	if (v != NULL)
		*v = (size_t)json_object_get_int64(n);
	return (0);
}

int
disco_reload(struct disco *d, size_t *services, size_t *errors, int timeout_ms)
{
	struct json_object *reply;
	int		    rc;

	if ((rc = call(d, req_new("reload"), &reply, timeout_ms)) != 0)
		return (rc);
	if ((rc = reply_count(reply, "services", services)) == 0)
		rc = reply_count(reply, "errors", errors);
	json_object_put(reply);
	return (rc);
}

int
disco_watch(struct disco *d, const char *type, struct disco_instance **snapshot,
    size_t *n, int timeout_ms)
{
	struct json_object *req, *reply;
	char		   *sent;
	int		    rc;

	if ((snapshot == NULL) != (n == NULL))
		return (bad_args(d));
	if ((req = req_new("watch")) != NULL && type != NULL)
		json_object_object_add(req, "type",
		    json_object_new_string(type));
	if ((rc = call_ext(d, req, &reply, timeout_ms, 1, &sent)) != 0)
		return (rc);
	rc = lib_watch_keep(d, sent);
	free(sent);
	if (rc == 0 && snapshot != NULL)
		rc = instances_parse(reply, snapshot, n);
	json_object_put(reply);
	return (rc);
}

/* The event kinds by their names on the wire. */
static const struct {
	const char	     *name;
	enum disco_event_kind kind;
} event_kinds[] = {
	{ "add", DISCO_EVENT_ADD },
	{ "update", DISCO_EVENT_UPDATE },
	{ "remove", DISCO_EVENT_REMOVE },
	{ "resync", DISCO_EVENT_RESYNC },
	{ "established", DISCO_EVENT_ESTABLISHED },
	{ "renamed", DISCO_EVENT_RENAMED },
	{ "failed", DISCO_EVENT_FAILED },
	{ "health", DISCO_EVENT_HEALTH },
	{ "expired", DISCO_EVENT_EXPIRED },
	{ "disconnected", DISCO_EVENT_DISCONNECTED },
	{ "reconnected", DISCO_EVENT_RECONNECTED },
};

/* A count field of an event: absent is 0. */
static int
event_count(struct json_object *o, const char *key, size_t *v)
{
	struct json_object *n;
	int		    rc;

	*v = 0;
	if ((rc = reply_field(o, key, json_type_int, 0, &n)) != 0)
		return (rc);
	if (n != NULL) {
		if (json_object_get_int64(n) < 0)
			return (DISCO_EPROTOCOL);
		*v = (size_t)json_object_get_int64(n);
	}
	return (0);
}

/*
 * The event o (an object with "event") into *ev and *inst: 0, 1 for a
 * kind this library does not know (skipped: a newer agent), or
 * DISCO_EPROTOCOL.  Strings point into o.
 */
static int
event_parse(struct json_object *o, struct disco_event *ev,
    struct disco_instance *inst, int watch_only)
{
	struct json_object *v;
	const char	   *k;
	size_t		    i;
	int		    rc;

	memset(ev, 0, sizeof(*ev));
	if ((rc = reply_string(o, "event", 1, &k)) != 0)
		return (rc);
	for (i = 0; i < sizeof(event_kinds) / sizeof(event_kinds[0]); i++)
		if (strcmp(k, event_kinds[i].name) == 0)
			break;
	if (i == sizeof(event_kinds) / sizeof(event_kinds[0]) ||
	    (watch_only && event_kinds[i].kind > DISCO_EVENT_RESYNC))
		return (1);
	ev->kind = event_kinds[i].kind;
	ev->retry = -1;
	switch (ev->kind) {
	case DISCO_EVENT_ADD:
	case DISCO_EVENT_UPDATE:
	case DISCO_EVENT_REMOVE:
		if ((rc = reply_field(o, "instance", json_type_object, 1,
			 &v)) != 0 ||
		    (rc = instance_parse(v, inst)) != 0)
			return (rc);
		ev->instance = inst;
		return (0);
	case DISCO_EVENT_RESYNC:
		return (event_count(o, "dropped", &ev->dropped));
	case DISCO_EVENT_DISCONNECTED:
		return (0);
	case DISCO_EVENT_RECONNECTED:
		if ((rc = event_count(o, "restored", &ev->restored)) != 0)
			return (rc);
		return (event_count(o, "lost", &ev->lost));
	default:
		break;
	}
	/* A registration's event. */
	if ((rc = reply_field(o, "id", json_type_int, 1, &v)) != 0)
		return (rc);
	ev->registration = (long)json_object_get_int64(v);
	if ((rc = reply_string(o, "name",
		 ev->kind == DISCO_EVENT_ESTABLISHED ||
		     ev->kind == DISCO_EVENT_RENAMED,
		 &ev->name)) != 0 ||
	    (rc = reply_string(o, "old_name", 0, &ev->old_name)) != 0 ||
	    (rc = reply_string(o, "error", ev->kind == DISCO_EVENT_FAILED,
		 &ev->error)) != 0 ||
	    (rc = reply_string(o, "output", 0, &ev->output)) != 0)
		return (rc);
	if ((rc = reply_field(o, "retry", json_type_int, 0, &v)) != 0)
		return (rc);
	if (v != NULL)
		ev->retry = json_object_get_int64(v) < 0 ?
		    -1 :
		    json_object_get_int64(v) > 86400 ?
		    86400 :
		    (int)json_object_get_int64(v);
	if ((rc = reply_field(o, "healthy", json_type_boolean,
		 ev->kind == DISCO_EVENT_HEALTH, &v)) != 0)
		return (rc);
	ev->healthy = v != NULL && json_object_get_boolean(v);
	return (0);
}

/*
 * The events that have arrived, each to typed (every kind) or to watch
 * (watch kinds only), without blocking.
 */
static int
dispatch(struct disco *d, disco_event_cb typed, disco_watch_cb watch, void *arg)
{
	struct disco_instance inst;
	struct disco_event    ev;
	struct json_object   *o;
	char		     *line;
	int		      rc, count = 0;

	if (d == NULL || (typed == NULL && watch == NULL))
		return (bad_args(d));
	while ((rc = disco_event_next(d, &line, 0)) == 0) {
		memset(&inst, 0, sizeof(inst));
		o = json_tokener_parse(line);
		free(line);
		if ((rc = event_parse(o, &ev, &inst, typed == NULL)) < 0) {
			json_object_put(o);
			return (rc);
		}
		if (rc == 0 && typed != NULL) {
			typed(&ev, arg);
			count++;
		} else if (rc == 0) {
			watch(ev.kind, ev.instance, arg);
			count++;
		}
		instance_clear(&inst);
		json_object_put(o);
	}
	if (rc != DISCO_ETIMEOUT)
		return (rc);
	return (count);
}

int
disco_dispatch(struct disco *d, disco_watch_cb cb, void *arg)
{
	return (cb == NULL ? DISCO_EINVAL : dispatch(d, NULL, cb, arg));
}

int
disco_dispatch_events(struct disco *d, disco_event_cb cb, void *arg)
{
	return (cb == NULL ? DISCO_EINVAL : dispatch(d, cb, NULL, arg));
}

/* RFC 2782 order: priority ascending, then weighted at random. */
struct ordered {
	struct disco_instance *inst;
	unsigned int	       prio;
	double		       key;
};

/* The number in TXT "key=N"; strtoul() stops at the NUL txt_parse() adds. */
static unsigned int
txt_number(const struct disco_instance *i, const char *key)
{
	size_t k, klen = strlen(key);

	for (k = 0; k < i->ntxt; k++) {
		if (i->txt_len[k] > klen + 1 && i->txt[k][klen] == '=' &&
		    strncasecmp(i->txt[k], key, klen) == 0)
			return ((unsigned int)strtoul(i->txt[k] + klen + 1,
			    NULL, 10));
	}
	return (0);
}

static int
ordered_cmp(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;

	if (x->prio != y->prio)
		return (x->prio < y->prio ? -1 : 1);
	return (x->key > y->key ? -1 : x->key < y->key);
}

static int
ai_append(struct addrinfo ***tail, const char *address, unsigned int port,
    const struct addrinfo *hints, int family)
{
	struct addrinfo h, *r, *node;
	char		serv[8];
	int		rc;

	memset(&h, 0, sizeof(h));
	h.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	h.ai_family = family;
	h.ai_socktype = hints->ai_socktype;
	h.ai_protocol = hints->ai_protocol;
	snprintf(serv, sizeof(serv), "%u", port);
	if ((rc = getaddrinfo(address, serv, &h, &r)) != 0)
		return (rc == EAI_MEMORY ? DISCO_ENOMEM : 0); /* skip it */
	/* One node of ours, with its address in the same block. */
	if ((node = calloc(1, sizeof(*node) + r->ai_addrlen)) == NULL) {
		freeaddrinfo(r);
		return (DISCO_ENOMEM);
	}
	node->ai_family = r->ai_family;
	node->ai_socktype = r->ai_socktype;
	node->ai_protocol = r->ai_protocol;
	node->ai_addrlen = r->ai_addrlen;
	node->ai_addr = (struct sockaddr *)(node + 1);
	memcpy(node->ai_addr, r->ai_addr, r->ai_addrlen);
	freeaddrinfo(r);
	**tail = node;
	*tail = &node->ai_next;
	return (0);
}

int
disco_getaddrinfo(const char *name_or_type, const struct addrinfo *hints,
    struct addrinfo **res)
{
	struct addrinfo	       h, *head = NULL, **tail = &head;
	struct disco	      *d;
	struct disco_instance *insts = NULL;
	struct ordered	      *ord = NULL;
	const char	      *dot;
	long long	       deadline, left;
	size_t		       n = 0, k, a;
	unsigned int	       w;
	int		       rc, is_type;

	if (name_or_type == NULL || res == NULL)
		return (DISCO_EINVAL);
	*res = NULL;
	memset(&h, 0, sizeof(h));
	if (hints != NULL) {
		h.ai_family = hints->ai_family;
		h.ai_socktype = hints->ai_socktype;
		h.ai_protocol = hints->ai_protocol;
	}
	/* "_x._tcp" (or with ".local") is a type; anything else a full name. */
	is_type = name_or_type[0] == '_' &&
	    (dot = strchr(name_or_type, '.')) != NULL && dot[1] == '_';
	if (h.ai_socktype == 0)
		h.ai_socktype = strstr(name_or_type, "._udp") != NULL ?
		    SOCK_DGRAM :
		    SOCK_STREAM;
	/* One budget of 5 s for connecting and the call. */
	deadline = lib_now_ms() + 5000;
	if ((rc = disco_open_timeout(&d, NULL, 5000)) != 0)
		return (rc);
	if ((left = deadline - lib_now_ms()) < 0)
		left = 0;
	if (is_type) {
		char type[256];

		snprintf(type, sizeof(type), "%s", name_or_type);
		if (strlen(type) > 6 &&
		    strcmp(type + strlen(type) - 6, ".local") == 0)
			type[strlen(type) - 6] = '\0';
		rc = disco_list(d, type, NULL, &insts, &n, (int)left);
	} else {
		struct json_object *req, *reply;

		if ((req = req_new("resolve")) != NULL)
			json_object_object_add(req, "fullname",
			    json_object_new_string(name_or_type));
		if ((rc = call(d, req, &reply, (int)left)) == 0) {
			if ((rc = one_instance(reply, &insts)) == 0)
				n = 1;
			json_object_put(reply);
		}
	}
	disco_close(d);
	if (rc != 0)
		return (rc);
	if (n == 0)
		return (DISCO_ENOTFOUND);
	if ((ord = calloc(n, sizeof(*ord))) == NULL) {
		disco_instances_free(insts, n);
		return (DISCO_ENOMEM);
	}
	for (k = 0; k < n; k++) {
		ord[k].inst = &insts[k];
		ord[k].prio = txt_number(&insts[k], "priority");
		w = txt_number(&insts[k], "weight");
		/* Weighted random order: u^(1/w) keys (Efraimidis-Spirakis). */
		ord[k].key = w == 0 ?
		    (double)arc4random() / 4294967296.0 / 1e6 :
		    pow((double)arc4random() / 4294967296.0, 1.0 / (double)w);
	}
	qsort(ord, n, sizeof(*ord), ordered_cmp);
	for (k = 0; k < n && rc == 0; k++) {
		for (a = 0; a < ord[k].inst->naddresses && rc == 0; a++) {
			struct disco_address *ad = &ord[k].inst->addresses[a];

			/* As pick: none whose host stopped answering. */
			if (!ord[k].inst->reachable ||
			    (h.ai_family != AF_UNSPEC &&
				h.ai_family != ad->family))
				continue;
			rc = ai_append(&tail, ad->address, ord[k].inst->port,
			    &h, ad->family);
		}
	}
	free(ord);
	disco_instances_free(insts, n);
	if (rc == 0 && head == NULL)
		rc = DISCO_ENOTFOUND;
	if (rc != 0) {
		disco_freeaddrinfo(head);
		return (rc);
	}
	*res = head;
	return (0);
}

void
disco_freeaddrinfo(struct addrinfo *res)
{
	struct addrinfo *next;

	for (; res != NULL; res = next) {
		next = res->ai_next;
		free(res);
	}
}
