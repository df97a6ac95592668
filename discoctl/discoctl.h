/*
 * discoctl: the command-line client of the disco agent, built on libdisco
 * like any application.  One header for the folder, a section per file.
 */
#ifndef DISCOCTL_H
#define DISCOCTL_H

#include <signal.h>
#include <stdio.h>

struct disco;
struct json_object;

/* Exit codes, as discoctl(1) documents them. */
#define EXIT_OK	    0
#define EXIT_FAILED 1
#define EXIT_USAGE  2
#define EXIT_AGENT  3

/* What the options set: the global ones, then every command's. */
struct ctl_env {
	const char *socket;
	int	    json;
	int	    timeout_ms;
	int	    no_header;
	int	    color; /* -1: on a terminal without NO_COLOR (auto) */
	FILE	   *out;   /* stdout; stderr for run, whose command has it */

	/* The command's own options (ctl_cmd.opts says which it takes). */
	const char  *subtype;
	const char **txt; /* --txt, and KEY=VALUE operands; NULL-ended */
	size_t	     ntxt;
	const char **subtypes; /* publish and run: every --subtype */
	size_t	     nsubtypes;
	const char  *family, *interface;
	const char  *domain, *prefer; /* --domain, --prefer */
	const char  *policy, *key;
	const char  *name, *type; /* run */
	long	     port;	  /* run; 0 when not given */
	long	     wait_ms;	  /* -1 when not given */
	long	     since;	  /* -1 when not given */
	long	     ttl;	  /* 0 when not given */
	int	     persist;
	int	     addr; /* pick, resolve: "address port" */
	int	     longer;
	/* A health check (publish, run), as the protocol's "check" object. */
	struct json_object *check;
	const char	   *interval, *check_timeout, *rise, *fall;
};

/* One command: a row of the table in discoctl.c. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl_env *, int, char **);
	unsigned long opts;	/* CTL_O_* it takes besides the global ones */
	int	      in_order; /* options stop at the first operand (run) */
	const char   *synopsis;
	const char   *help;
};

/* discoctl.c */
extern volatile sig_atomic_t ctl_signal;
extern const struct ctl_cmd *ctl_cmd;
void __attribute__((noreturn)) ctl_usage(const char *, ...)
    __attribute__((format(printf, 1, 2)));
long		    ctl_number(const char *, const char *, long, long);
void		    ctl_catch(const int *, size_t);
struct disco	   *ctl_open(struct ctl_env *);
struct json_object *ctl_call(struct ctl_env *, struct disco *,
    struct json_object *, int);
struct json_object *ctl_request(const char *);
struct json_object *ctl_strings(const char *const *, size_t);
void		    ctl_txt_operands(struct ctl_env *, int, char **);
void		    ctl_add_filters(struct ctl_env *, struct json_object *);
void __attribute__((noreturn)) ctl_agent_lost(int);

/* publish.c */
int ctl_publish(struct ctl_env *, int, char **);
int ctl_unpublish(struct ctl_env *, int, char **);
int ctl_renew(struct ctl_env *, int, char **);
int ctl_run(struct ctl_env *, int, char **);
int ctl_reload(struct ctl_env *, int, char **);

/* query.c */
int ctl_status(struct ctl_env *, int, char **);
int ctl_services(struct ctl_env *, int, char **);
int ctl_metrics(struct ctl_env *, int, char **);
int ctl_types(struct ctl_env *, int, char **);
int ctl_list(struct ctl_env *, int, char **);
int ctl_resolve(struct ctl_env *, int, char **);
int ctl_pick(struct ctl_env *, int, char **);
int ctl_watch(struct ctl_env *, int, char **);

/* print.c */
#define PRINT_NO_HEADER 0x1 /* tables without their header line */
#define PRINT_COLOR	0x2 /* states in color (a terminal, no NO_COLOR) */
#define PRINT_LONG	0x4 /* list: a row per address, with its family */
#define PRINT_TYPE	0x8 /* list: a TYPE column (every type listed) */
void print_init(FILE *, FILE *);
void print_flags(int);
void print_where(const char *, const char *);
int  print_escape(FILE *, const char *, size_t, int);
void print_duration(char *, size_t, double);
void print_date(char *, size_t, double);
void print_error(struct json_object *);
void print_status(struct json_object *);
void print_services(struct json_object *);
void print_types(struct json_object *);
void print_list(struct json_object *, int);
void print_picked(struct json_object *);
void print_resolved(struct json_object *);
int  print_addr(struct json_object *, const char *);
void print_registered(struct json_object *);
void print_watch_snapshot(struct json_object *);
void print_watch_event(int, const char *);
int  print_event(int, const char *);

#endif
