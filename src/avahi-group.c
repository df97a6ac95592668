/*
 * Entry groups, on the Avahi thread: one per announcement, made to match
 * what the main loop last asked for (announce.c keeps the announcements
 * and decides; this file only talks to Avahi).
 *
 * The main loop sends an announcement's desired state, never a command:
 * its service and whether it should be on the network now.  Each message
 * replaces the wish before it, and the wishes are applied one group at a
 * time, so an announcement changed or withdrawn again while avahi-daemon
 * was hung costs no calls for the states in between.  Every state the
 * group reaches goes back with the generation of the wish it answers, and
 * the main loop ignores answers to wishes it has since replaced.
 *
 * The name on the network is this file's: a name already taken is
 * renamed as Avahi does ("Name #2", RFC 6762 9), on this host at once and
 * on the network when Avahi reports a collision; every answer carries the
 * name in use.  A timed-out call may still run in avahi-daemon later, so
 * after any failure the group is made anew, never patched.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>

#include "discod.h"

/* Collisions with our own other announcements resolved in one go. */
#define GROUP_LOCAL_RENAMES 16

struct agroup {
	RB_ENTRY(agroup)    entry;
	TAILQ_ENTRY(agroup) work;
	int		    queued; /* in ag.work */
	unsigned long	    id;
	unsigned long	    gen;  /* of the last wish */
	struct service_def *want; /* NULL: forget it */
	int		    on;	  /* announce it now */
	char		   *final_name;
	struct service_def *have; /* what the group holds */
	AvahiEntryGroup	   *group;
	int		    failed; /* make the group anew */
};

static int
agroup_cmp(struct agroup *a, struct agroup *b)
{
	return (a->id < b->id ? -1 : a->id > b->id);
}

RB_HEAD(agroup_tree, agroup);
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
RB_GENERATE_STATIC(agroup_tree, agroup, entry, agroup_cmp)

static struct {
	struct agroup_tree tree;
	TAILQ_HEAD(, agroup) work;
	unsigned int nwork;
} ag = { RB_INITIALIZER(&ag.tree), TAILQ_HEAD_INITIALIZER(ag.work), 0 };

static void
agroup_queue(struct agroup *g)
{
	if (g->queued)
		return;
	g->queued = 1;
	TAILQ_INSERT_TAIL(&ag.work, g, work);
	ag.nwork++;
}

static void
agroup_report(struct agroup *g, enum announce_state state, int error)
{
	struct avahi_msg *m;

	m = avahi_msg_new(AVAHI_MSG_GROUP_STATE);
	m->id = g->id;
	m->gen = g->gen;
	m->state = state;
	m->error = error;
	m->name = xstrdup(g->final_name);
	avahi_post(m);
}

/* Take the group off the network (peers receive goodbyes). */
static void
agroup_release(struct agroup *g)
{
	if (g->group != NULL) {
		avahi_entry_group_free(g->group);
		g->group = NULL;
	}
	service_def_free(g->have);
	g->have = NULL;
	g->failed = 0;
}

static void
agroup_free(struct agroup *g)
{
	agroup_release(g);
	if (g->queued) {
		TAILQ_REMOVE(&ag.work, g, work);
		ag.nwork--;
	}
	RB_REMOVE(agroup_tree, &ag.tree, g);
	service_def_free(g->want);
	free(g->final_name);
	free(g);
}

static void
agroup_rename(struct agroup *g)
{
	char *alt;

	alt = avahi_alternative_service_name(g->final_name);
	free(g->final_name);
	g->final_name = xstrdup(alt);
	avahi_free(alt);
}

static AvahiStringList *
agroup_txt(const struct txt *txt)
{
	AvahiStringList *l = NULL;
	size_t		 i;

	/* avahi_string_list_add_arbitrary prepends: add from the end. */
	for (i = txt->n; i > 0; i--)
		l = avahi_string_list_add_arbitrary(l, txt->v[i - 1].data,
		    txt->v[i - 1].len);
	return (l);
}

/* Add the service's records to its group and commit them. */
static int
agroup_add(struct agroup *g)
{
	const struct service_def *def = g->want;
	AvahiStringList		 *txt;
	char			  sub[SERVICE_SUBTYPE_NAME_MAX];
	size_t			  i;
	int			  rc;

	txt = agroup_txt(&def->txt);
	rc = avahi_entry_group_add_service_strlst(g->group, AVAHI_IF_UNSPEC,
	    AVAHI_PROTO_UNSPEC, 0, g->final_name, def->type, NULL, NULL,
	    (uint16_t)def->port, txt);
	avahi_string_list_free(txt);
	for (i = 0; rc == 0 && i < def->nsubtypes; i++) {
		if (service_subtype_name(sub, sizeof(sub), def->subtypes[i],
			def->type) == -1) {
			rc = AVAHI_ERR_INVALID_SERVICE_SUBTYPE;
			break;
		}
		rc = avahi_entry_group_add_service_subtype(g->group,
		    AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, g->final_name,
		    def->type, NULL, sub);
	}
	if (rc == 0)
		rc = avahi_entry_group_commit(g->group);
	return (rc);
}

static void
agroup_cb(AvahiEntryGroup *eg, AvahiEntryGroupState state, void *arg)
{
	struct agroup *g = arg;
	int	       rc;

	if (g->group != NULL && g->group != eg)
		return;
	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		agroup_report(g, ANNOUNCE_ESTABLISHED, 0);
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Taken on the network: the next name, in the same group. */
		agroup_rename(g);
		avahi_entry_group_reset(eg);
		if ((rc = agroup_add(g)) != 0) {
			avahi_entry_group_reset(eg);
			g->failed = 1;
			agroup_report(g, ANNOUNCE_FAILED, rc);
		} else
			agroup_report(g, ANNOUNCE_PROBING, 0);
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		g->failed = 1;
		agroup_report(g, ANNOUNCE_FAILED,
		    avahi_client_errno(avahi_entry_group_get_client(eg)));
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		break;
	}
}

/* Publish the wish: a group made anew. */
static void
agroup_publish(AvahiClient *client, struct agroup *g)
{
	int rc = 0, tries;

	agroup_release(g);
	if ((g->group = avahi_entry_group_new(client, agroup_cb, g)) == NULL) {
		g->failed = 1;
		agroup_report(g, ANNOUNCE_FAILED, avahi_client_errno(client));
		return;
	}
	for (tries = 0; tries < GROUP_LOCAL_RENAMES; tries++) {
		if ((rc = agroup_add(g)) != AVAHI_ERR_COLLISION)
			break;
		/* Another announcement of this host holds the name. */
		avahi_entry_group_reset(g->group);
		agroup_rename(g);
	}
	if (rc != 0) {
		avahi_entry_group_reset(g->group);
		g->failed = 1;
		agroup_report(g, ANNOUNCE_FAILED, rc);
		return;
	}
	g->have = service_def_copy(g->want);
	agroup_report(g, ANNOUNCE_PROBING, 0);
}

/* Bring one group in line with its wish. */
static void
agroup_apply(struct agroup *g)
{
	AvahiClient	*client;
	AvahiStringList *txt;
	int		 rc;

	if (g->want == NULL) {
		agroup_free(g);
		return;
	}
	if (!g->on) {
		agroup_release(g);
		return;
	}
	if ((client = avahi_client()) == NULL) {
		agroup_release(g);
		agroup_report(g, ANNOUNCE_WAITING, 0);
		return;
	}
	if (g->group != NULL && !g->failed && g->have != NULL &&
	    service_def_same_but_txt(g->have, g->want)) {
		/* Only the TXT changed, or nothing: in place. */
		if (!txt_equal(&g->have->txt, &g->want->txt)) {
			txt = agroup_txt(&g->want->txt);
			rc = avahi_entry_group_update_service_txt_strlst(
			    g->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
			    g->final_name, g->want->type, NULL, txt);
			avahi_string_list_free(txt);
			if (rc != 0) {
				log_warnx("announce: \"%s\" %s: TXT update "
					  "failed: %s",
				    g->final_name, g->want->type,
				    avahi_strerror(rc));
				agroup_publish(client, g);
				return;
			}
			txt_clear(&g->have->txt);
			txt_copy(&g->have->txt, &g->want->txt);
		}
		agroup_report(g,
		    avahi_entry_group_get_state(g->group) ==
			    AVAHI_ENTRY_GROUP_ESTABLISHED ?
			ANNOUNCE_ESTABLISHED :
			ANNOUNCE_PROBING,
		    0);
		return;
	}
	agroup_publish(client, g);
}

/* A wish from the main loop: taken in now, applied by avahi_group_work. */
void
avahi_group_msg(struct avahi_msg *m)
{
	struct agroup key = { 0 }, *g;

	key.id = m->id;
	if ((g = RB_FIND(agroup_tree, &ag.tree, &key)) == NULL) {
		if (m->def == NULL) {
			avahi_msg_free(m);
			return;
		}
		g = xcalloc(1, sizeof(*g));
		g->id = m->id;
		RB_INSERT(agroup_tree, &ag.tree, g);
	}
	/* A new requested name, or the main loop's word, starts over. */
	if (m->def != NULL &&
	    (g->want == NULL || m->anew ||
		strcmp(g->want->name, m->def->name) != 0) &&
	    (g->final_name == NULL ||
		strcmp(g->final_name, m->def->name) != 0)) {
		free(g->final_name);
		g->final_name = xstrdup(m->def->name);
		g->failed = 1; /* the group holds the old name */
	}
	service_def_free(g->want);
	g->want = m->def;
	m->def = NULL;
	g->gen = m->gen;
	g->on = m->on;
	agroup_queue(g);
	avahi_msg_free(m);
}

/* Apply one wish; 1 if there may be more. */
int
avahi_group_work(void)
{
	struct agroup *g;

	if ((g = TAILQ_FIRST(&ag.work)) == NULL)
		return (0);
	TAILQ_REMOVE(&ag.work, g, work);
	ag.nwork--;
	g->queued = 0;
	agroup_apply(g);
	return (!TAILQ_EMPTY(&ag.work));
}

/* Wishes taken in, not yet applied. */
unsigned int
avahi_group_backlog(void)
{
	return (ag.nwork);
}

/* Avahi runs (again): every group is to be made. */
void
avahi_group_up(void)
{
	struct agroup *g;

	RB_FOREACH(g, agroup_tree, &ag.tree)
		agroup_queue(g);
}

/* The client is gone: its groups with it. */
void
avahi_group_down(void)
{
	struct agroup *g;

	RB_FOREACH(g, agroup_tree, &ag.tree)
		agroup_release(g);
}

void
avahi_group_shutdown(void)
{
	struct agroup *g;

	while ((g = RB_MIN(agroup_tree, &ag.tree)) != NULL)
		agroup_free(g);
}
