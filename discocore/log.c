/*
 * Logging: stderr when discod runs in the foreground, syslog (and so the
 * journal) otherwise.  log_warn appends strerror(errno); fatal and fatalx
 * are for start-up and for states that cannot happen.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int log_foreground = 1;
static int log_verbose;

void
log_init(int foreground, int facility)
{
	log_foreground = foreground;
	if (!foreground)
		openlog("discod", LOG_PID | LOG_NDELAY, facility);
	tzset();
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

static void __attribute__((format(printf, 2, 0)))
vlog(int pri, const char *fmt, va_list ap)
{
	if (log_verbose < 0) /* -1: silent, for fuzzers */
		return;
	if (log_foreground) {
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(pri, fmt, ap);
}

static void __attribute__((format(printf, 3, 0)))
logit_errno(int pri, int saved, const char *fmt, va_list ap)
{
	char buf[1024];

	if (log_verbose < 0)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_foreground)
		fprintf(stderr, "%s: %s\n", buf, strerror(saved));
	else
		syslog(pri, "%s: %s", buf, strerror(saved));
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int	saved = errno;

	va_start(ap, fmt);
	logit_errno(LOG_ERR, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	int	saved = errno;

	va_start(ap, fmt);
	logit_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
