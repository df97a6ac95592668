/*
 * demo-connect: find a _demo._tcp service through the local disco agent
 * and talk to it, in one call as with getaddrinfo(3).
 *
 *	cc demo-connect.c $(pkg-config --cflags --libs disco)
 *	./a.out [type-or-full-name] [message]
 */
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <disco.h>

int
main(int argc, char *argv[])
{
	const char     *what = argc > 1 ? argv[1] : "_demo._tcp";
	const char     *msg = argc > 2 ? argv[2] : "hello";
	struct addrinfo hints, *res, *ai;
	char		host[NI_MAXHOST], serv[NI_MAXSERV], buf[512];
	ssize_t		n;
	int		rc, fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = disco_getaddrinfo(what, &hints, &res)) != 0) {
		fprintf(stderr, "demo-connect: %s: %s\n", what,
		    disco_strerror(rc));
		return (2);
	}
	/* In pick order: the first address that answers wins. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
			 ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (ai == NULL) {
		fprintf(stderr, "demo-connect: %s: no address answers\n", what);
		disco_freeaddrinfo(res);
		return (1);
	}
	getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
	printf("connected to %s port %s\n", host, serv);
	disco_freeaddrinfo(res);
	snprintf(buf, sizeof(buf), "%s\n", msg);
	if (write(fd, buf, strlen(buf)) == -1)
		perror("demo-connect: write");
	else if ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		printf("reply: %s", buf);
	}
	close(fd);
	return (0);
}
