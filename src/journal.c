/*
 * Key events with structured fields for the journal, so that
 * `journalctl -u discod DISCO_SERVICE=Web` finds what happened to one
 * service.  Under systemd (stderr is the journal: JOURNAL_STREAM names
 * it, as systemd.exec(5) documents) each event is sent with
 * sd_journal_sendv(): MESSAGE, PRIORITY, MESSAGE_ID (one per kind of
 * event, below and in doc/operations.md), and DISCO_SERVICE,
 * DISCO_TYPE, DISCO_PEER and DISCO_CLIENT_PID where they apply.
 * Otherwise the same message goes to the log as every other line.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "discod.h"

/* MESSAGE_ID of each kind of event (fixed: alert rules may name them). */
static const char *const journal_ids[] = {
	[JOURNAL_ANNOUNCED] = "e9ed288fb9e04d69ad50beb6d8629de1",
	[JOURNAL_WITHDRAWN] = "984a2012b79c484ea79a4e526165f497",
	[JOURNAL_RENAMED] = "cccdd62cc3b448a593898eebca1de4e5",
	[JOURNAL_CHECK_TURNED] = "5e521f845f7540a88f6c63b23a5aed9f",
	[JOURNAL_PEER_UNREACHABLE] = "74c6cfce84214de7b3eab9f88bae2c33",
	[JOURNAL_PEER_BACK] = "9b253044d9dd4e279a59e1df05565a89",
	[JOURNAL_CLIENT_DROPPED] = "0c7d6a4e1f2b4d9c8e3a5b6f7d8c9e01",
};

static int journal_on = -1; /* -1: not looked yet */

/* Is stderr the journal?  JOURNAL_STREAM is "device:inode" of it. */
int
journal_active(void)
{
	unsigned long long dev, ino;
	const char	  *e;
	struct stat	   st;

	if (journal_on != -1)
		return (journal_on);
	journal_on = 0;
#ifdef HAVE_SYSTEMD
	if ((e = getenv("JOURNAL_STREAM")) != NULL &&
	    sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino)
		journal_on = 1;
#else
	(void)e;
	(void)dev;
	(void)ino;
	(void)st;
#endif
	return (journal_on);
}

/* For tests: look at JOURNAL_STREAM again. */
void
journal_reset(void)
{
	journal_on = -1;
}

void
journal_event(enum journal_kind kind, int pri, const struct journal_fields *f,
    const char *fmt, ...)
{
	char	     msg[1024], fields[7][1100];
	struct iovec iov[7];
	va_list	     ap;
	int	     n = 0;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!journal_active()) {
		if (pri <= LOG_WARNING)
			log_warnx("%s", msg);
		else
			log_info("%s", msg);
		return;
	}
#ifdef HAVE_SYSTEMD
	snprintf(fields[n], sizeof(fields[n]), "MESSAGE=%s", msg);
	n++;
	snprintf(fields[n], sizeof(fields[n]), "PRIORITY=%d", pri);
	n++;
	snprintf(fields[n], sizeof(fields[n]), "MESSAGE_ID=%s",
	    journal_ids[kind]);
	n++;
	if (f != NULL && f->service != NULL)
		snprintf(fields[n++], sizeof(fields[0]), "DISCO_SERVICE=%s",
		    f->service);
	if (f != NULL && f->type != NULL)
		snprintf(fields[n++], sizeof(fields[0]), "DISCO_TYPE=%s",
		    f->type);
	if (f != NULL && f->peer != NULL)
		snprintf(fields[n++], sizeof(fields[0]), "DISCO_PEER=%s",
		    f->peer);
	if (f != NULL && f->client_pid > 0)
		snprintf(fields[n++], sizeof(fields[0]), "DISCO_CLIENT_PID=%ld",
		    (long)f->client_pid);
	for (int k = 0; k < n; k++) {
		iov[k].iov_base = fields[k];
		iov[k].iov_len = strlen(fields[k]);
	}
	if (sd_journal_sendv(iov, n) < 0)
		log_info("%s", msg); /* the journal went: say it anyway */
#else
	(void)kind;
	(void)f;
	(void)fields;
	(void)iov;
	(void)n;
#endif
}
