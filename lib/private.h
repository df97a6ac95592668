/*
 * What libdisco's files share and applications must not see.  Nothing
 * here starts with "disco_", and the version script exports only the
 * names it lists, so none of it is in the shared library's symbols.
 */
#ifndef DISCO_PRIVATE_H
#define DISCO_PRIVATE_H

#include <stdint.h>

#include "disco.h"

/* Between two tries to connect again: doubling from the least. */
#define LIB_BACKOFF_MIN_MS 100
#define LIB_BACKOFF_MAX_MS 5000
/* The longest a call waits for the agent to come back. */
#define LIB_RECONNECT_WAIT_MS 5000
/* What restoring a new connection may take (a few requests). */
#define LIB_RESTORE_WAIT_MS 2000

/* An event line kept for disco_event_next(). */
struct lib_line {
	struct lib_line *next;
	char		*line;
	size_t		 dropped; /* > 0: the resync line for a loss */
};

/*
 * A registration the handle made, to make again on a new connection: the
 * request as it was sent, the number the application knows (the agent's
 * first one) and the agent's number now.
 */
struct lib_reg {
	struct lib_reg *next;
	long		id;
	long		agent_id;
	char	       *request;
	int		persist;
};

/* A watch the handle made, to make again on a new connection. */
struct lib_watch {
	struct lib_watch *next;
	char		 *request;
};

struct disco {
	int		  fd;	 /* the socket, or while disconnected a timer */
	unsigned int	  flags; /* DISCO_OPEN_* */
	char		 *path;
	int		  connected;
	int		  timer;      /* fd is the retry timer */
	int		  restoring;  /* in lib_restore(): no reconnection */
	int		  told_down;  /* "disconnected" sent, not yet back */
	int		  backoff_ms; /* the latest pause; 0: none yet */
	long long	  retry_at;   /* when the next try may be made */
	char		 *buf;	      /* received: buf[off] on, len bytes */
	size_t		  off;	      /* where the lines not yet taken start */
	size_t		  len;
	size_t		  size;
	size_t		  seen;	  /* of len, bytes known to hold no \n */
	struct lib_line	 *events; /* oldest first */
	struct lib_line **events_tail;
	size_t		  nevents; /* kept, resync lines aside */
	size_t		  events_bytes;
	struct lib_line	 *lost;	 /* the resync line at the tail, if any */
	char		 *reply; /* disco_last_reply(), or NULL */
	/* disco_last_error() */
	int   err;
	char *err_code;
	char *err_field;
	char *err_message;
	/* What a new connection restores. */
	struct lib_reg	 *regs;
	struct lib_watch *watches; /* the watch requests, in order */
};

/* disco.c */
long long lib_now_ms(void);
void	  lib_reply_keep(struct disco *, char *);
int	  lib_event_push(struct disco *, char *);
int	  lib_call(struct disco *, const char *, char **, int, int);
void	  lib_error_set(struct disco *, int, const char *, const char *,
	 const char *);
int lib_call_once(struct disco *, const char *, size_t, char **, long long);
int lib_ensure(struct disco *, long long);
long long lib_reconnect_deadline(long long);
int	  lib_retry(struct disco *, int);
int	  lib_reconnect(struct disco *, long long);
void	  lib_disconnected(struct disco *);

/* restore.c */
int		lib_restore(struct disco *, long long);
char	       *lib_event_filter(struct disco *, char *);
void		lib_forget(struct disco *);
int		lib_reg_add(struct disco *, long, const char *, int);
struct lib_reg *lib_reg_find(struct disco *, long);
void		lib_reg_remove(struct disco *, long);
int		lib_watch_keep(struct disco *, const char *);

#endif
