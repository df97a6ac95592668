/*
 * The disco wire protocol, shared by discod, libdisco and discoctl.
 *
 * Newline-delimited JSON over a Unix stream socket: one object per line,
 * UTF-8, each request answered by exactly one reply in request order.
 * doc/protocol.md is the reference.
 *
 * DISCO_PROTO_VERSION is bumped when a verb, field or error code changes
 * meaning or goes away; adding a verb, an optional request field or a reply
 * field does not bump it (clients ignore fields they do not know).
 */
#ifndef DISCO_PROTO_H
#define DISCO_PROTO_H

#include <stddef.h>

#include <json-c/json.h>

#define DISCO_PROTO_VERSION 1

/* Longest request line accepted, newline included. */
#define PROTO_LINE_MAX 65536

/* Error codes as they appear on the wire. */
#define PROTO_E_BAD_REQUEST  "bad-request"
#define PROTO_E_BAD_FIELD    "bad-field"
#define PROTO_E_UNKNOWN_VERB "unknown-verb"
#define PROTO_E_TOO_LARGE    "too-large"
#define PROTO_E_NOT_FOUND    "not-found"
#define PROTO_E_DENIED	     "permission-denied"
#define PROTO_E_UNAVAILABLE  "unavailable"
#define PROTO_E_INTERNAL     "internal"

/* Longest field name an error names ("check.start_period", "txt[127]"). */
#define PROTO_FIELD_MAX 48

struct proto_error {
	const char *code;		    /* one of PROTO_E_* */
	char	    field[PROTO_FIELD_MAX]; /* at fault; "" for none */
	char	    message[256];
};

/* A decoded request: the whole object, its verb and its id (if any). */
struct proto_request {
	struct json_object *obj;
	const char	   *verb;
	struct json_object *id; /* borrowed from obj, may be NULL */
};

int  proto_request_parse(const char *, size_t, struct proto_request *,
     struct proto_error *);
void proto_request_clear(struct proto_request *);

void proto_error_set(struct proto_error *, const char *, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

int proto_get_string(struct json_object *, const char *, int, const char **,
    struct proto_error *);
int proto_get_int(struct json_object *, const char *, int, long long, long long,
    long long *, struct proto_error *);
int proto_get_bool(struct json_object *, const char *, int, int *,
    struct proto_error *);

struct json_object *proto_reply_new(struct json_object *);
struct json_object *proto_reply_error(struct json_object *,
    const struct proto_error *);
char		   *proto_serialize(struct json_object *, size_t *);
const char	   *proto_text(struct json_object *, size_t *);

/* A growing text; cap - len > 0 always leaves room for a NUL. */
struct proto_buf {
	char  *p;
	size_t len, cap;
};
void proto_buf_grow(struct proto_buf *, size_t);
void proto_buf_str(struct proto_buf *, const char *, size_t);

/*
 * A resolve request in its common shape, read without building objects
 * (proto_resolve_scan).  Strings point nowhere into the line: they are
 * copied, NUL-terminated; the id is its bytes in the line, quotes and all.
 */
#define PROTO_SCAN_STR_MAX 256
struct proto_resolve {
	char	    name[PROTO_SCAN_STR_MAX];
	char	    type[PROTO_SCAN_STR_MAX];
	char	    domain[PROTO_SCAN_STR_MAX];
	int	    has_domain;
	const char *id; /* NULL: no id */
	size_t	    id_len;
};
int proto_resolve_scan(const char *, size_t, struct proto_resolve *);

struct json_object *proto_raw_new(const char *, size_t);
const char	   *proto_raw_text(struct json_object *, size_t *);

int proto_json_read(const char *, size_t, int, struct json_object **, size_t *,
    const char **);

int proto_utf8_next(const unsigned char *, size_t, size_t *, unsigned int *);
int proto_utf8_invalid(const char *, size_t);
int proto_utf8_nonchar(const char *, size_t);

#endif
