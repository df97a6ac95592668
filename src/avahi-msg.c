/*
 * The messages between the Avahi thread and the main loop (avahi.c): made
 * by the sender, freed by the receiver.  A file of its own so that a test
 * that mocks the thread (tests/unit/check_abrowse.c) uses these same two.
 */
#include "config.h"

#include <stdlib.h>

#include "discod.h"

struct avahi_msg *
avahi_msg_new(enum avahi_msg_kind kind)
{
	struct avahi_msg *m;

	m = xcalloc(1, sizeof(*m));
	m->kind = kind;
	return (m);
}

void
avahi_msg_free(struct avahi_msg *m)
{
	if (m == NULL)
		return;
	service_def_free(m->def);
	free(m->name);
	free(m->type);
	free(m->domain);
	free(m->label);
	free(m->host);
	txt_clear(&m->txt);
	free(m);
}
