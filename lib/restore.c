/*
 * What a resilient handle restores on a new connection (disco.h,
 * DISCO_OPEN_NO_RECONNECT): its registrations, made again with the
 * requests that made them, and its watches, whose new snapshots reach
 * the application as a resync and adds.  Registration events carry the
 * number the application knows, not the agent's new one.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "disco.h"
#include "private.h"

/* The registration the application knows as id, or NULL. */
struct lib_reg *
lib_reg_find(struct disco *d, long id)
{
	struct lib_reg *r;

	for (r = d->regs; r != NULL; r = r->next)
		if (r->id == id)
			return (r);
	return (NULL);
}

/* Keep a registration the agent accepted, to make again. */
int
lib_reg_add(struct disco *d, long id, const char *request, int persist)
{
	struct lib_reg *r, **p;

	if (d->flags & DISCO_OPEN_NO_RECONNECT)
		return (0);
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->request = strdup(request)) == NULL) {
		free(r);
		return (DISCO_ENOMEM);
	}
	r->id = r->agent_id = id;
	r->persist = persist;
	for (p = &d->regs; *p != NULL; p = &(*p)->next)
		; /* in the order they were made */
	*p = r;
	return (0);
}

void
lib_reg_remove(struct disco *d, long id)
{
	struct lib_reg *r, **p;

	for (p = &d->regs; (r = *p) != NULL; p = &r->next) {
		if (r->id == id) {
			*p = r->next;
			free(r->request);
			free(r);
			return;
		}
	}
}

/*
 * Keep a watch request to send again (the agent takes several on one
 * connection; the same request twice is one watch).
 */
int
lib_watch_keep(struct disco *d, const char *request)
{
	struct lib_watch *w, **p;

	if (d->flags & DISCO_OPEN_NO_RECONNECT)
		return (0);
	for (p = &d->watches; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->request, request) == 0)
			return (0);
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->request = strdup(request)) == NULL) {
		free(w);
		return (DISCO_ENOMEM);
	}
	*p = w;
	return (0);
}

void
lib_forget(struct disco *d)
{
	struct lib_watch *w;

	while (d->regs != NULL)
		lib_reg_remove(d, d->regs->id);
	while ((w = d->watches) != NULL) {
		d->watches = w->next;
		free(w->request);
		free(w);
	}
	lib_error_set(d, 0, NULL, NULL, NULL);
}

/*
 * An event line from the agent as the application reads it (consumed):
 * a registration event gets the number the application knows; "expired"
 * also forgets the registration (it is not to come back).  NULL drops
 * the line (out of memory: the event is lost as the cap would lose it).
 */
char *
lib_event_filter(struct disco *d, char *line)
{
	struct json_object *o, *id;
	struct lib_reg	   *r;
	const char	   *s;
	char		   *out = line;

	if (d->regs == NULL || strstr(line, "\"id\"") == NULL)
		return (line);
	if ((o = json_tokener_parse(line)) == NULL)
		return (line);
	if (json_object_object_get_ex(o, "id", &id) &&
	    json_object_is_type(id, json_type_int)) {
		for (r = d->regs; r != NULL; r = r->next)
			if (r->agent_id == json_object_get_int64(id))
				break;
		if (r != NULL) {
			json_object_object_add(o, "id",
			    json_object_new_int64(r->id));
			s = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN);
			if (s != NULL && (out = strdup(s)) != NULL)
				free(line);
			else
				out = line;
			if (json_object_object_get_ex(o, "event", &id) &&
			    json_object_is_type(id, json_type_string) &&
			    strcmp(json_object_get_string(id), "expired") == 0)
				lib_reg_remove(d, r->id);
		}
	}
	json_object_put(o);
	return (out);
}

/*
 * Send request on the new connection; *reply the parsed reply (NULL when
 * the agent refused it, with its message in *why).
 */
static int
restore_call(struct disco *d, const char *request, long long deadline,
    struct json_object **reply, char *why, size_t whylen)
{
	struct json_object *ok, *e, *m;
	char		   *line;
	int		    rc;

	*reply = NULL;
	if ((rc = lib_call_once(d, request, strlen(request), &line,
		 deadline)) != 0)
		return (rc);
	*reply = json_tokener_parse(line);
	free(line);
	if (*reply == NULL || !json_object_object_get_ex(*reply, "ok", &ok) ||
	    !json_object_is_type(ok, json_type_boolean)) {
		json_object_put(*reply);
		*reply = NULL;
		return (DISCO_EPROTOCOL);
	}
	if (json_object_get_boolean(ok))
		return (0);
	snprintf(why, whylen, "refused");
	if (json_object_object_get_ex(*reply, "error", &e) &&
	    json_object_object_get_ex(e, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		snprintf(why, whylen, "%s", json_object_get_string(m));
	json_object_put(*reply);
	*reply = NULL;
	return (0);
}

/* Queue an event made here, as a JSON object (consumed). */
static int
restore_event(struct disco *d, struct json_object *o)
{
	const char *s;
	int	    rc;

	if (o == NULL)
		return (DISCO_ENOMEM);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	rc = lib_event_push(d, s != NULL ? strdup(s) : NULL);
	json_object_put(o);
	return (rc);
}

/* Registration r, made again (or, persistent, still there). */
static int
restore_reg(struct disco *d, struct lib_reg *r, long long deadline,
    size_t *lost)
{
	struct json_object *reply, *reg, *id, *ev;
	char		    req[64], why[256];
	int		    rc;

	if (r->persist) {
		/* A dropped connection keeps it: renewing says so. */
		snprintf(req, sizeof(req),
		    "{\"verb\":\"renew\",\"registration\":%ld}", r->agent_id);
		if ((rc = restore_call(d, req, deadline, &reply, why,
			 sizeof(why))) != 0)
			return (rc);
		if (reply != NULL) {
			json_object_put(reply);
			return (0);
		}
	}
	if ((rc = restore_call(d, r->request, deadline, &reply, why,
		 sizeof(why))) != 0)
		return (rc);
	if (reply != NULL &&
	    json_object_object_get_ex(reply, "registration", &reg) &&
	    json_object_object_get_ex(reg, "id", &id) &&
	    json_object_is_type(id, json_type_int)) {
		r->agent_id = (long)json_object_get_int64(id);
		json_object_put(reply);
		return (0);
	}
	json_object_put(reply);
	/* The agent refused it now: the application hears why. */
	(*lost)++;
	r->agent_id = -1;
	if ((ev = json_object_new_object()) != NULL) {
		json_object_object_add(ev, "event",
		    json_object_new_string("failed"));
		json_object_object_add(ev, "id", json_object_new_int64(r->id));
		json_object_object_add(ev, "error",
		    json_object_new_string(why));
		json_object_object_add(ev, "retry", NULL);
	}
	return (restore_event(d, ev));
}

/* Watch w again: its snapshot as adds (after the one resync). */
static int
restore_watch(struct disco *d, struct lib_watch *w, long long deadline)
{
	struct json_object *reply, *insts, *ev;
	char		    why[256];
	size_t		    k, n;
	int		    rc;

	if ((rc = restore_call(d, w->request, deadline, &reply, why,
		 sizeof(why))) != 0)
		return (rc);
	if (reply == NULL)
		return (DISCO_EPROTOCOL); /* it took this watch before */
	n = 0;
	if (json_object_object_get_ex(reply, "instances", &insts) &&
	    json_object_is_type(insts, json_type_array))
		n = json_object_array_length(insts);
	for (k = 0; k < n && rc == 0; k++) {
		if ((ev = json_object_new_object()) != NULL) {
			json_object_object_add(ev, "event",
			    json_object_new_string("add"));
			json_object_object_add(ev, "instance",
			    json_object_get(json_object_array_get_idx(insts,
				k)));
		}
		rc = restore_event(d, ev);
	}
	json_object_put(reply);
	return (rc);
}

/*
 * On a new connection: every registration made again, in the order the
 * application made them, then the watches, then the "reconnected" event.
 * A failure of the connection itself is returned (the caller gives this
 * connection up and tries later); a refusal is the registration's own
 * "failed" event.
 */
int
lib_restore(struct disco *d, long long deadline)
{
	struct json_object *ev;
	struct lib_reg	   *r;
	struct lib_watch   *w;
	size_t		    restored = 0, lost = 0;
	int		    rc = 0;

	d->restoring = 1;
	for (r = d->regs; r != NULL && rc == 0; r = r->next) {
		if ((rc = restore_reg(d, r, deadline, &lost)) == 0 &&
		    r->agent_id >= 0)
			restored++;
	}
	/* One resync: forget what every watch said; then each snapshot. */
	if (rc == 0 && d->watches != NULL)
		rc = lib_event_push(d, strdup("{\"event\":\"resync\"}"));
	for (w = d->watches; w != NULL && rc == 0; w = w->next)
		rc = restore_watch(d, w, deadline);
	d->restoring = 0;
	if (rc != 0)
		return (rc);
	if ((ev = json_object_new_object()) != NULL) {
		json_object_object_add(ev, "event",
		    json_object_new_string("reconnected"));
		json_object_object_add(ev, "restored",
		    json_object_new_int64((int64_t)restored));
		json_object_object_add(ev, "lost",
		    json_object_new_int64((int64_t)lost));
	}
	return (restore_event(d, ev));
}
