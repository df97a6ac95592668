/*
 * sturdy-service: a service as go-micro or Eureka users write one, on
 * libdisco.  It serves TCP on PORT (each connection gets a line), has
 * the agent announce it as NAME of TYPE while a tcp health check on that
 * port passes, with a lease it renews every ten seconds, and watches the
 * instances of DEPTYPE it depends on.  It does nothing when the agent
 * restarts: the handle connects again, registers again and watches again
 * by itself.  Each event is printed on one line:
 *
 *	cc sturdy-service.c $(pkg-config --cflags --libs disco)
 *	./a.out NAME TYPE PORT DEPTYPE
 *
 *	registered 1 as "Sturdy"
 *	add "Dep One" lab-b.local:7100
 *	disconnected
 *	resync
 *	add "Dep One" lab-b.local:7100
 *	reconnected restored=1 lost=0
 *	established 1 as "Sturdy"
 */
#define _GNU_SOURCE /* accept4 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <disco.h>

#define LEASE_S 30
#define RENEW_S 10

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_event(const struct disco_event *ev, void *arg)
{
	const struct disco_instance *i = ev->instance;

	(void)arg;
	switch (ev->kind) {
	case DISCO_EVENT_ADD:
	case DISCO_EVENT_UPDATE:
	case DISCO_EVENT_REMOVE:
		printf("%s \"%s\" %s:%u\n",
		    ev->kind == DISCO_EVENT_ADD	       ? "add" :
			ev->kind == DISCO_EVENT_UPDATE ? "update" :
							 "remove",
		    i->name, i->host != NULL ? i->host : "-", i->port);
		break;
	case DISCO_EVENT_RESYNC:
		printf("resync\n");
		break;
	case DISCO_EVENT_ESTABLISHED:
		printf("established %ld as \"%s\"\n", ev->registration,
		    ev->name);
		break;
	case DISCO_EVENT_RENAMED:
		printf("renamed %ld to \"%s\"\n", ev->registration, ev->name);
		break;
	case DISCO_EVENT_FAILED:
		printf("failed %ld: %s\n", ev->registration, ev->error);
		break;
	case DISCO_EVENT_HEALTH:
		printf("health %ld: %s (%s)\n", ev->registration,
		    ev->healthy ? "passing" : "failing",
		    ev->output != NULL ? ev->output : "");
		break;
	case DISCO_EVENT_EXPIRED:
		printf("expired %ld\n", ev->registration);
		break;
	case DISCO_EVENT_DISCONNECTED:
		printf("disconnected\n");
		break;
	case DISCO_EVENT_RECONNECTED:
		printf("reconnected restored=%zu lost=%zu\n", ev->restored,
		    ev->lost);
		break;
	}
	fflush(stdout);
}

/* The TCP service itself: a listening socket on port, any address. */
static int
listen_on(unsigned int port)
{
	struct sockaddr_in6 sin6;
	int		    fd, on = 1, off = 0;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((unsigned short)port);
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    listen(fd, 16) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

int
main(int argc, char *argv[])
{
	struct disco_service   svc = { 0 };
	struct disco_instance *snap;
	struct pollfd	       pfd[2];
	size_t		       n, k;
	struct disco	      *d;
	const char	      *message;
	time_t		       renewed;
	char		      *final;
	long		       id;
	int		       rc, lfd, c;

	if (argc != 5) {
		fprintf(stderr,
		    "usage: sturdy-service NAME TYPE PORT "
		    "DEPTYPE\n");
		return (2);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	svc.name = argv[1];
	svc.type = argv[2];
	svc.port = (unsigned int)strtoul(argv[3], NULL, 10);
	if ((lfd = listen_on(svc.port)) == -1) {
		fprintf(stderr, "sturdy-service: port %s: %s\n", argv[3],
		    strerror(errno));
		return (1);
	}
	/* Announced only while its port takes connections. */
	svc.check = "tcp";
	svc.check_host = "127.0.0.1";
	svc.check_port = svc.port;
	svc.check_interval_ms = 2000;
	svc.ttl = LEASE_S;
	/* One handle registers and watches; the default is resilient. */
	if ((rc = disco_open(&d, NULL)) != 0) {
		fprintf(stderr, "sturdy-service: %s\n", disco_strerror(rc));
		return (1);
	}
	if ((rc = disco_register_service(d, &svc, &id, &final, 5000)) != 0) {
		(void)disco_last_error(d, NULL, NULL, &message);
		fprintf(stderr, "sturdy-service: register: %s\n",
		    message != NULL ? message : disco_strerror(rc));
		return (1);
	}
	printf("registered %ld as \"%s\"\n", id, final);
	fflush(stdout);
	free(final);
	/* What is there now; then changes come as events. */
	if ((rc = disco_watch(d, argv[4], &snap, &n, 5000)) != 0) {
		fprintf(stderr, "sturdy-service: watch: %s\n",
		    disco_strerror(rc));
		return (1);
	}
	for (k = 0; k < n; k++)
		printf("add \"%s\" %s:%u\n", snap[k].name,
		    snap[k].host != NULL ? snap[k].host : "-", snap[k].port);
	fflush(stdout);
	disco_instances_free(snap, n);
	renewed = time(NULL);
	while (!stop) {
		pfd[0].fd = disco_fd(d);
		pfd[0].events = POLLIN;
		pfd[1].fd = lfd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
			break;
		if (pfd[1].revents & POLLIN &&
		    (c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
			/* A client gone before its greeting is no matter. */
			if (write(c, "sturdy\n", 7) == -1)
				perror("sturdy-service: greeting");
			close(c);
		}
		if (pfd[0].revents != 0 &&
		    (rc = disco_dispatch_events(d, on_event, NULL)) < 0) {
			fprintf(stderr, "sturdy-service: %s\n",
			    disco_strerror(rc));
			break;
		}
		/* The heartbeat: a renew brings the lease back, too. */
		if (time(NULL) - renewed >= RENEW_S) {
			renewed = time(NULL);
			if ((rc = disco_renew(d, id, 2000)) != 0)
				fprintf(stderr, "sturdy-service: renew: %s\n",
				    disco_strerror(rc));
		}
	}
	(void)disco_unregister(d, id, 2000);
	disco_close(d);
	close(lfd);
	return (0);
}
