/*
 * Fuzz target: the head of an HTTP request to [metrics] listen, from
 * anyone who reaches that port, through metrics_http_route().  The
 * answer must be one of 0 (more, and only while under the head's limit),
 * 200, 400, 404, 405 or 431; 200 only for GET or HEAD of /metrics; and
 * the same bytes fed a piece at a time, as a slow client sends them,
 * must get the same answer.  A violation aborts.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discod.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t	    seen = 0, k;
	int	    head, status, again = 0;

	status = metrics_http_route(buf, size, &seen, &head);
	switch (status) {
	case 0:
		if (size > METRICS_REQUEST_MAX)
			abort();
		break;
	case 200:
		if (!((size >= 13 && memcmp(buf, "GET /metrics", 12) == 0) ||
			(size >= 14 && memcmp(buf, "HEAD /metrics", 13) == 0)))
			abort();
		if (head != (buf[0] == 'H'))
			abort();
		break;
	case 400:
	case 404:
	case 405:
	case 431:
		break;
	default:
		abort();
	}
	seen = 0;
	for (k = 1; k <= size; k++) {
		if ((again = metrics_http_route(buf, k, &seen, &head)) != 0)
			break;
	}
	if (again != status)
		abort();
	return (0);
}
