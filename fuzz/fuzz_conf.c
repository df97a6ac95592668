/*
 * Fuzz target: discod.conf through the INI parser.  Every input ends in
 * a configuration or in errors that name a line; nothing crashes or leaks.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	     conf;
	struct config_errors errors;
	struct config_error *e;
	FILE		    *f;
	int		     n, counted = 0;

	if (size == 0)
		return (0);
	if ((f = fmemopen((void *)data, size, "r")) == NULL)
		return (0);
	TAILQ_INIT(&errors);
	config_defaults(&conf);
	n = config_parse(f, "fuzz.conf", &conf, &errors);
	fclose(f);
	TAILQ_FOREACH(e, &errors, entry) {
		if (strncmp(e->text, "fuzz.conf", 9) != 0)
			abort(); /* every error names the file */
		counted++;
	}
	if (counted != n)
		abort();
	config_errors_clear(&errors);
	config_clear(&conf);
	return (0);
}
