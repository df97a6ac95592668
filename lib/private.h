/*
 * What libdisco's files share and applications must not see.  Nothing
 * here starts with "disco_", so the export regex keeps it out of the
 * shared library's symbols.
 */
#ifndef DISCO_PRIVATE_H
#define DISCO_PRIVATE_H

#include "disco.h"

/* disco.c */
long long lib_now_ms(void);
void	  lib_reply_keep(struct disco *, char *);

#endif
