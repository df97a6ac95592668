/*
 * systemd's service notification protocol through libsystemd's sd_notify:
 * READY=1 once the control socket listens, STATUS= as Avahi's state
 * changes, RELOADING=1 and STOPPING=1, and watchdog pings from the loop.
 * Without libsystemd, or outside systemd, every call does nothing.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "discod.h"

#ifdef HAVE_SYSTEMD
static struct event *notify_watchdog_ev;

static void
notify_send(const char *msg)
{
	int rc;

	if ((rc = sd_notify(0, msg)) < 0)
		log_debug("%s: sd_notify: %s", __func__, strerror(-rc));
}

static void
notify_watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	notify_send("WATCHDOG=1");
}
#endif

void
notify_ready(void)
{
#ifdef HAVE_SYSTEMD
	notify_send("READY=1");
#endif
}

void
notify_status(const char *fmt, ...)
{
#ifdef HAVE_SYSTEMD
	char	buf[256];
	va_list ap;
	int	n;

	n = snprintf(buf, sizeof(buf), "STATUS=");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	notify_send(buf);
#else
	(void)fmt;
#endif
}

void
notify_reloading(void)
{
#ifdef HAVE_SYSTEMD
	notify_send("RELOADING=1");
#endif
}

void
notify_stopping(void)
{
#ifdef HAVE_SYSTEMD
	notify_send("STOPPING=1");
#endif
}

/* Ping at half the interval systemd asked for (WatchdogSec=). */
void
notify_watchdog_start(struct event_base *base)
{
#ifdef HAVE_SYSTEMD
	struct timeval tv;
	uint64_t       usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	notify_watchdog_ev = event_new(base, -1, EV_PERSIST, notify_watchdog_cb,
	    NULL);
	if (notify_watchdog_ev == NULL ||
	    event_add(notify_watchdog_ev, &tv) == -1)
		fatalx("%s: cannot start the watchdog timer", __func__);
	log_info("systemd watchdog: pinging every %lld ms",
	    (long long)(usec / 1000));
#else
	(void)base;
#endif
}
