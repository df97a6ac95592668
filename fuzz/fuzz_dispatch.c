/*
 * Fuzz target: bytes from a local client, through discod's own control
 * path: a socketpair adopted as a client, the input written to it as if
 * by a client, the loop run until every line is answered, then the
 * client gone.  Framing, limits, the decoder and every verb run for real;
 * Avahi is absent (discod waits for it, as after an Avahi crash) and
 * health checks are inert and the liveness prober off (no process is
 * run, no packet sent).  The
 * client is uid 65534, so per-uid limits hold across inputs.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "discod.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

static char fuzz_dir[] = "/tmp/disco-fuzz.XXXXXX";

static void
fuzz_cleanup(void)
{
	char path[sizeof(fuzz_dir) + 16];

	snprintf(path, sizeof(path), "%s/sock", fuzz_dir);
	unlink(path);
	rmdir(fuzz_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[sizeof(fuzz_dir) + 16];

	log_init(1, 0);
	log_setverbose(-1);
	health_inert = 1;
	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	atexit(fuzz_cleanup);
	snprintf(path, sizeof(path), "%s/sock", fuzz_dir);
	config_defaults(&discod->conf);
	free(discod->conf.socket_path);
	discod->conf.socket_path = xstrdup(path);
	free(discod->conf.services_dir);
	discod->conf.services_dir = xstrdup(fuzz_dir);
	discod->conf.liveness = 0; /* no probe: no packet leaves */
	if ((discod->base = event_base_new()) == NULL ||
	    control_open(&discod->conf) == -1)
		abort();
	discod_start();
	return (0);
}

/* Read and drop what discod sent; 0 once the connection is closed. */
static int
fuzz_drain(int fd)
{
	char	buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	return (n == 0 ? 0 : 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct client *c;
	int	       sv[2], i;
	size_t	       off = 0;
	ssize_t	       n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		sv) == -1)
		abort();
	if ((c = control_adopt(sv[0])) == NULL)
		abort();
	c->uid = 65534;
	c->gid = 65534;
	/* Feed it all, letting discod answer as it goes. */
	for (i = 0; off < size && i < 10000; i++) {
		n = write(sv[1], data + off, size - off);
		if (n > 0)
			off += (size_t)n;
		else if (n == -1 && errno != EAGAIN)
			break;
		event_base_loop(discod->base, EVLOOP_NONBLOCK);
		fuzz_drain(sv[1]);
	}
	shutdown(sv[1], SHUT_WR);
	for (i = 0; i < 100; i++) {
		event_base_loop(discod->base, EVLOOP_NONBLOCK);
		if (fuzz_drain(sv[1]) == 0)
			break;
	}
	close(sv[1]);
	/* Its end: the client, its watchers and registrations go. */
	for (i = 0; i < 10 && control_client_count() != 0; i++)
		event_base_loop(discod->base, EVLOOP_NONBLOCK);
	if (control_client_count() != 0)
		abort();
	return (0);
}
