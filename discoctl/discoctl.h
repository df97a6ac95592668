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

/* What the global options set. */
struct ctl_env {
	const char *socket;
	int	    json;
	int	    timeout_ms;
};

/* One command: a row of the table in discoctl.c. */
struct ctl_cmd {
	const char *name;
	int (*run)(struct ctl_env *, int, char **);
};

/* discoctl.c */
extern volatile sig_atomic_t ctl_signal;
void __attribute__((noreturn)) usage(void);
long		    ctl_number(const char *, const char *, long, long);
void		    ctl_catch(const int *, size_t);
struct disco	   *ctl_open(struct ctl_env *);
struct json_object *ctl_reply(struct ctl_env *, struct disco *, int);

/* publish.c */
int ctl_publish(struct ctl_env *, int, char **);
int ctl_unpublish(struct ctl_env *, int, char **);
int ctl_run(struct ctl_env *, int, char **);
int ctl_reload(struct ctl_env *, int, char **);

/* query.c */
int ctl_status(struct ctl_env *, int, char **);
int ctl_services(struct ctl_env *, int, char **);
int ctl_types(struct ctl_env *, int, char **);
int ctl_list(struct ctl_env *, int, char **);
int ctl_resolve(struct ctl_env *, int, char **);
int ctl_pick(struct ctl_env *, int, char **);
int ctl_watch(struct ctl_env *, int, char **);

/* print.c */
void print_init(FILE *, FILE *);
int  print_escape(FILE *, const char *, size_t, int);
void print_error(struct json_object *);
void print_status(struct json_object *);
void print_services(struct json_object *);
void print_types(struct json_object *);
void print_list(struct json_object *);
void print_picked(struct json_object *);
void print_resolved(struct json_object *);
void print_published(const char *, const char *, unsigned int, long);
void print_watch_snapshot(struct json_object *);
void print_watch_event(struct ctl_env *, const char *);
void print_event(struct ctl_env *, const char *);

#endif
