/*
 * pick: one endpoint of a type, chosen by a policy among the instances
 * that pass the filters: weighted (RFC 2782), round-robin, random, or
 * sticky (consistent hashing on a key: the same key gets the same
 * instance while it lives, and a new instance takes about 1/n of them).
 *
 * A pick by type (and family) is answered from the index's pools in
 * O(log n); with a TXT filter from the shortest of its postings; with a
 * subtype or an interface by walking the type.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discod.h"

/* Round-robin positions, one per service type. */
struct pick_cursor {
	TAILQ_ENTRY(pick_cursor) entry;
	char			*type;
	unsigned long		 pos;
};
static TAILQ_HEAD(, pick_cursor) cursors = TAILQ_HEAD_INITIALIZER(cursors);

static unsigned long *
pick_cursor(const char *type)
{
	struct pick_cursor *pc;

	TAILQ_FOREACH(pc, &cursors, entry) {
		if (strcasecmp(pc->type, type) == 0)
			return (&pc->pos);
	}
	pc = xcalloc(1, sizeof(*pc));
	pc->type = xstrdup(type);
	TAILQ_INSERT_TAIL(&cursors, pc, entry);
	return (&pc->pos);
}

/*
 * The draw for a weighted or random choice: splitmix64 seeded once from
 * arc4random().  libbsd's arc4random() calls getpid(2) each time (to
 * notice a fork), a fifth of what a pick cost; a choice among instances
 * needs spread, not secrecy.
 */
static uint32_t
pick_draw(void)
{
	static uint64_t state;
	static int	seeded;
	uint64_t	z;

	if (!seeded) {
		state = (uint64_t)arc4random() << 32 | arc4random();
		seeded = 1;
	}
	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return ((uint32_t)((z ^ (z >> 31)) >> 32));
}

/* The policy's choice among the instances f passes; n: how many. */
static struct instance *
pick_choose(const struct instance_filter *fp, enum policy p, const char *key,
    size_t *np)
{
	struct instance_filter f = *fp;
	struct cache	      *cache = &discod->cache;
	struct instance	      *i, **cand = NULL, *chosen;
	size_t		       size = 0, k, n = 0;

	if (f.subtype == NULL && f.ntxt == 0 && f.interface == NULL &&
	    f.domain == NULL) {
		n = cindex_candidates(&discod->index, f.type, f.family);
		chosen = n == 0 ? NULL :
				  cindex_pick(&discod->index, f.type, f.family,
				      p, key, pick_draw());
	} else {
		if (instance_filter_indexed(&discod->index, &f, &cand, &n) ==
		    0) {
			for (k = 0, size = 0; k < n; k++) {
				if (!cand[k]->unreachable)
					cand[size++] = cand[k];
			}
			n = size;
		} else {
			for (i = instance_filter_next(cache, &f, NULL);
			     i != NULL;
			     i = instance_filter_next(cache, &f, i)) {
				if (i->unreachable)
					continue;
				if (n == size) {
					size = size == 0 ? 16 : size * 2;
					cand = xreallocarray(cand, size,
					    sizeof(*cand));
				}
				cand[n++] = i;
			}
		}
		chosen = n == 0 ? NULL :
				  policy_pick(p, cand, n, key,
				      pick_cursor(f.type), pick_draw());
		free(cand);
	}
	*np = n;
	return (chosen);
}

static int
verb_pick_exec(struct client *c, struct request *req, struct json_object *reply,
    struct proto_error *err)
{
	struct instance_filter f;
	struct instance	      *chosen;
	const char	      *pol = "weighted", *key = NULL, *prefer = NULL;
	enum policy	       p;
	long long	       wait_ms = 0;
	size_t		       n = 0;

	if (instance_filter_parse(req->msg.obj, &f, 1, err) == -1 ||
	    proto_get_string(req->msg.obj, "policy", 0, &pol, err) == -1 ||
	    proto_get_string(req->msg.obj, "key", 0, &key, err) == -1 ||
	    proto_get_string(req->msg.obj, "prefer", 0, &prefer, err) == -1 ||
	    proto_get_int(req->msg.obj, "wait_ms", 0, 0, PENDING_WAIT_MAX,
		&wait_ms, err) == -1)
		return (VERB_ERROR);
	if (policy_from_name(pol, &p) == -1) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "policy",
		    "policy must "
		    "be weighted, round-robin, random or sticky");
		return (VERB_ERROR);
	}
	if (p == POLICY_STICKY && key == NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "key",
		    "policy sticky "
		    "needs a key");
		return (VERB_ERROR);
	}
	if (f.subtype != NULL &&
	    browse_subtype_want(f.subtype, f.type, c->uid, err) == -1)
		return (VERB_ERROR);
	if (prefer != NULL && strcmp(prefer, "local") != 0) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "prefer",
		    "prefer must be \"local\"");
		return (VERB_ERROR);
	}
	chosen = NULL;
	if (prefer != NULL && f.domain == NULL) {
		/* the link's own instances first, the wide area's if none */
		f.domain = "local";
		chosen = pick_choose(&f, p, key, &n);
		f.domain = NULL;
	}
	if (chosen == NULL)
		chosen = pick_choose(&f, p, key, &n);
	if (chosen == NULL) {
		if (wait_ms > 0 && req->run == REQUEST_FIRST)
			return (pending_add(c, &verb_pick, req, wait_ms));
		proto_error_set(err, PROTO_E_NOT_FOUND, NULL,
		    "no instance of "
		    "%.40s matches",
		    f.type);
		return (VERB_ERROR);
	}
	json_object_object_add(reply, "policy",
	    json_object_new_string(policy_name(p)));
	json_object_object_add(reply, "candidates",
	    json_object_new_int((int)n));
	json_object_object_add(reply, "instance", instance_json(chosen));
	return (VERB_DONE);
}

const struct verb verb_pick = {
	.name = "pick",
	.flags = 0,
	.exec = verb_pick_exec,
};
