/* Allocation that cannot fail: the daemon and the CLI abort instead. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

static void __attribute__((noreturn)) xmalloc_fail(size_t size)
{
	fprintf(stderr, "out of memory allocating %zu bytes\n", size);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		xmalloc_fail(size);
	return (p);
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n == 0 ? 1 : n, size == 0 ? 1 : size)) == NULL)
		xmalloc_fail(n * size);
	return (p);
}

void *
xreallocarray(void *old, size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > (size_t)-1 / size)
		xmalloc_fail((size_t)-1);
	if ((p = realloc(old, n * size == 0 ? 1 : n * size)) == NULL)
		xmalloc_fail(n * size);
	return (p);
}

char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		xmalloc_fail(strlen(s) + 1);
	return (p);
}

int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (n == -1)
		xmalloc_fail(0);
	return (n);
}
