/*
 * discod's control path run for real inside a Check suite: the agent
 * started without Avahi (as fuzz_dispatch runs it), clients as
 * socketpairs adopted by control.c, and the loop run by hand.
 */
#ifndef CHECK_AGENT_H
#define CHECK_AGENT_H

#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "discod.h"

static char agent_dir[] = "/tmp/disco-check-agent.XXXXXX";

/* Start the agent; tune (or NULL) changes its configuration first. */
static void
agent_up_with(void (*tune)(struct config *))
{
	char path[sizeof(agent_dir) + 16];

	log_init(1, 0);
	log_setverbose(-1);
	health_inert = 1;
	ck_assert_ptr_nonnull(mkdtemp(agent_dir));
	snprintf(path, sizeof(path), "%s/sock", agent_dir);
	config_defaults(&discod->conf);
	free(discod->conf.socket_path);
	discod->conf.socket_path = xstrdup(path);
	free(discod->conf.services_dir);
	discod->conf.services_dir = xstrdup(agent_dir);
	discod->conf.liveness = 0;
	if (tune != NULL)
		tune(&discod->conf);
	ck_assert_ptr_nonnull(discod->base = event_base_new());
	ck_assert_int_eq(control_open(&discod->conf), 0);
	clock_gettime(CLOCK_MONOTONIC, &discod->started); /* as main does */
	discod_start();
}

/* A client of discod: our end of its socketpair. */
static int
client_new(void)
{
	struct client *c;
	int	       sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX,
			     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	    0);
	ck_assert_ptr_nonnull(c = control_adopt(sv[0]));
	c->uid = 0;
	return (sv[1]);
}

/* Run discod's loop until it has nothing left to do. */
static void
spin(void)
{
	int k;

	for (k = 0; k < 20; k++)
		event_base_loop(discod->base, EVLOOP_NONBLOCK);
}

/* Everything fd has been sent, as one string (lines joined by \n). */
static char got[65536];

static const char *
drain(int fd)
{
	size_t	len = 0;
	ssize_t n;

	spin();
	while ((n = read(fd, got + len, sizeof(got) - 1 - len)) > 0)
		len += (size_t)n;
	got[len] = '\0';
	return (got);
}

static void
send_line(int fd, const char *line)
{
	ck_assert_int_eq(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	ck_assert_int_eq(write(fd, "\n", 1), 1);
	spin();
}

#endif
