/*
 * Fuzz target: what a hostile peer controls.  The input's first byte
 * splits it into an instance name and a TXT record in wire form (length
 * byte, string, ...).  The TXT goes through the same decoding as a
 * resolver's (browse_txt), then to JSON and back: every string kept must
 * come back byte for byte (as text, or base64 when it is not text).  The
 * name goes through RFC 6763 4.3 escaping and back, unchanged.
 */
#include "config.h"

#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <avahi-common/domain.h>
#include <avahi-common/strlst.h>

#include "discod.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init(1, 0);
	log_setverbose(-1);
	return (0);
}

static void
check_txt(const uint8_t *p, size_t n)
{
	AvahiStringList	   *l = NULL;
	struct txt	    txt = { 0 };
	struct json_object *arr, *back, *item, *b64;
	unsigned char	    raw[TXT_STRING_MAX + 1];
	const char	   *s;
	char		   *line;
	size_t		    i, len;
	int		    got;

	/* As avahi builds it from the wire: prepending, so reversed. */
	for (i = 0; i < n; i += len) {
		len = p[i++];
		if (len > n - i)
			len = n - i;
		l = avahi_string_list_add_arbitrary(l, p + i, len);
	}
	browse_txt(l, &txt, "fuzz", "_fuzz._tcp");
	avahi_string_list_free(l);

	arr = txt_to_json(&txt);
	if ((line = proto_serialize(arr, &len)) == NULL)
		abort();
	line[len - 1] = '\0';
	if ((back = json_tokener_parse(line)) == NULL ||
	    json_object_array_length(back) != txt.n)
		abort();
	for (i = 0; i < txt.n; i++) {
		item = json_object_array_get_idx(back, i);
		if (json_object_is_type(item, json_type_string)) {
			s = json_object_get_string(item);
			if ((size_t)json_object_get_string_len(item) !=
				txt.v[i].len ||
			    memcmp(s, txt.v[i].data, txt.v[i].len) != 0)
				abort();
			continue;
		}
		if (!json_object_object_get_ex(item, "base64", &b64))
			abort();
		got = b64_pton(json_object_get_string(b64), raw, sizeof(raw));
		if (got < 0 || (size_t)got != txt.v[i].len ||
		    memcmp(raw, txt.v[i].data, txt.v[i].len) != 0)
			abort();
	}
	/* Filters match what is there, whatever it holds. */
	for (i = 0; i < txt.n; i++) {
		char filter[TXT_STRING_MAX + 1];

		if (memchr(txt.v[i].data, '\0', txt.v[i].len) != NULL)
			continue;
		memcpy(filter, txt.v[i].data, txt.v[i].len);
		filter[txt.v[i].len] = '\0';
		{
			struct instance inst;

			memset(&inst, 0, sizeof(inst));
			inst.txt = txt;
			if (!cache_txt_match(&inst, filter))
				abort();
		}
	}
	json_object_put(back);
	json_object_put(arr);
	free(line);
	txt_clear(&txt);
}

static void
check_name(const uint8_t *p, size_t n)
{
	char name[AVAHI_LABEL_MAX], full[AVAHI_DOMAIN_NAME_MAX];
	char n2[AVAHI_LABEL_MAX], t2[AVAHI_DOMAIN_NAME_MAX];
	char d2[AVAHI_DOMAIN_NAME_MAX];

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, p, n);
	name[n] = '\0';
	if (service_name_invalid(name) != NULL)
		return;
	if (avahi_service_name_join(full, sizeof(full), name, "_fuzz._tcp",
		"local") != 0)
		abort(); /* a valid name always has a full name */
	if (avahi_service_name_split(full, n2, sizeof(n2), t2, sizeof(t2), d2,
		sizeof(d2)) != 0 ||
	    strcmp(n2, name) != 0 || strcmp(t2, "_fuzz._tcp") != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut;

	if (size == 0)
		return (0);
	cut = data[0] < size - 1 ? data[0] : size - 1;
	check_name(data + 1, cut);
	check_txt(data + 1 + cut, size - 1 - cut);
	return (0);
}
