/*
 * Fuzz target: one protocol line through the decoder, its field readers
 * and the reply encoder.  Whatever the bytes, no crash, no leak, and an
 * accepted request's reply is one line of valid JSON; discod's writer
 * (proto_text) writes the request's objects and the reply byte for byte
 * as json-c does.  When proto_resolve_scan takes the line for a resolve in
 * its usual shape, the whole decoder reads the same request from it: verb,
 * name, type, domain, an id written back as the same bytes, and nothing
 * else.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same_text(struct json_object *o)
{
	const char *mine, *theirs;
	size_t	    n, m;

	mine = proto_text(o, &n);
	theirs = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &m);
	if (theirs == NULL || n != m || memcmp(mine, theirs, n) != 0)
		abort();
}

/* What proto_resolve_scan took, held to what the decoder read. */
static void
same_resolve(const struct proto_resolve *r, const struct proto_request *req)
{
	static const char *const known[] = { "verb", "name", "type", "domain",
		"id" };
	struct json_object	*v;
	const char		*id;
	size_t			 k, n;
	int			 found;

	if (strcmp(req->verb, "resolve") != 0)
		abort();
	if (!json_object_object_get_ex(req->obj, "name", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), r->name) != 0)
		abort();
	if (!json_object_object_get_ex(req->obj, "type", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), r->type) != 0)
		abort();
	if (json_object_object_get_ex(req->obj, "domain", &v) != r->has_domain)
		abort();
	if (r->has_domain &&
	    (!json_object_is_type(v, json_type_string) ||
		strcmp(json_object_get_string(v), r->domain) != 0))
		abort();
	if ((req->id == NULL) != (r->id == NULL))
		abort();
	if (req->id != NULL) {
		id = proto_text(req->id, &n);
		if (n != r->id_len || memcmp(id, r->id, n) != 0)
			abort();
	}
	json_object_object_foreach(req->obj, key, val)
	{
		(void)val;
		found = 0;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			found |= strcmp(key, known[k]) == 0;
		if (!found)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char   *fields[] = { "verb", "name", "type", "id", "port",
		  "ttl", "wait_ms", "persist", "fullname", "key" };
	struct proto_request req;
	struct proto_error   err;
	struct json_object  *reply, *back;
	const char	    *s;
	long long	     n;
	int		     b;
	size_t		     i, len;
	char		    *line;
	struct proto_resolve r;
	int		     scanned;

	scanned = size < PROTO_LINE_MAX &&
	    proto_resolve_scan((const char *)data, size, &r);
	if (proto_request_parse((const char *)data, size, &req, &err) == 0) {
		if (scanned)
			same_resolve(&r, &req);
		for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			proto_get_string(req.obj, fields[i], 0, &s, &err);
			proto_get_int(req.obj, fields[i], 0, 0, 65535, &n,
			    &err);
			proto_get_bool(req.obj, fields[i], 0, &b, &err);
		}
		reply = proto_reply_new(req.id);
	} else {
		if (scanned)
			abort(); /* the usual shape is always a request */
		reply = proto_reply_error(req.id, &err);
	}
	if (reply == NULL)
		abort();
	/* discod's writer: json-c's bytes, for the request and the reply. */
	if (req.obj != NULL)
		same_text(req.obj);
	same_text(reply);
	if ((line = proto_serialize(reply, &len)) == NULL)
		abort();
	/* One line, newline last, and JSON that parses back. */
	if (len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		abort();
	line[len - 1] = '\0';
	if ((back = json_tokener_parse(line)) == NULL)
		abort();
	json_object_put(back);
	free(line);
	json_object_put(reply);
	proto_request_clear(&req);
	return (0);
}
