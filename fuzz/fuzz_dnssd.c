/*
 * Fuzz target: a .dnssd service file through its parser.  Either a valid
 * service definition (whose TXT obeys RFC 6763) or errors that name the
 * file; nothing crashes or leaks.
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
	struct service_def  *def = NULL;
	struct config_errors errors;
	struct config_error *e;
	FILE		    *f;
	size_t		     i;

	if (size == 0)
		return (0);
	if ((f = fmemopen((void *)data, size, "r")) == NULL)
		return (0);
	TAILQ_INIT(&errors);
	if (service_file_parse(f, "fuzz.dnssd", &def, &errors) == 0 &&
	    def != NULL) {
		if (service_type_invalid(def->type) != NULL || def->port == 0 ||
		    def->port > 65535)
			abort();
		for (i = 0; i < def->txt.n; i++) {
			if (txt_string_invalid(def->txt.v[i].data,
				def->txt.v[i].len) != NULL)
				abort();
		}
	}
	fclose(f);
	TAILQ_FOREACH(e, &errors, entry) {
		if (strncmp(e->text, "fuzz.dnssd", 10) != 0)
			abort();
	}
	config_errors_clear(&errors);
	service_def_free(def);
	return (0);
}
