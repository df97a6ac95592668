/*
 * lookup: the addresses of a name in the disco domain, as the DNS
 * interface answers A and AAAA (naming.c answers both).  The NSS module
 * asks this on the lookup socket, open to every local user.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "discod.h"

/* At most this many addresses in one answer, as the NSS module takes. */
#define LOOKUP_ADDRESSES_MAX 256

static int
verb_lookup_exec(struct client *c, struct request *req,
    struct json_object *reply, struct proto_error *err)
{
	struct naming_label l[NAMING_LABELS_MAX];
	struct naming_query q;
	struct naming_addr *a;
	struct json_object *arr, *o;
	const char	   *name, *fam = NULL;
	char		    text[INET6_ADDRSTRLEN];
	size_t		    n, k;
	int		    family = 0;

	if (proto_get_string(req->msg.obj, "name", 1, &name, err) == -1 ||
	    proto_get_string(req->msg.obj, "family", 0, &fam, err) == -1)
		return (VERB_ERROR);
	if (fam != NULL && strcmp(fam, "ipv4") == 0)
		family = AF_INET;
	else if (fam != NULL && strcmp(fam, "ipv6") == 0)
		family = AF_INET6;
	else if (fam != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "family",
		    "family must be \"ipv4\" or \"ipv6\"");
		return (VERB_ERROR);
	}
	if (naming_split(name, l, NAMING_LABELS_MAX, &n) == -1 ||
	    naming_parse(discod->conf.dns_domain, l, n, &q) == -1) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "name",
		    "\"%.80s\" is not a name in the %s domain", name,
		    discod->conf.dns_domain);
		return (VERB_ERROR);
	}
	if (!naming_exists(&discod->cache, &q)) {
		proto_error_set(err, PROTO_E_NOT_FOUND, "name",
		    "no such name: %.80s", name);
		return (VERB_ERROR);
	}
	a = xreallocarray(NULL, LOOKUP_ADDRESSES_MAX, sizeof(*a));
	n = naming_addresses(&discod->cache, &q, family, 1, a,
	    LOOKUP_ADDRESSES_MAX);
	arr = json_object_new_array();
	for (k = 0; k < n; k++) {
		if (inet_ntop(a[k].family, a[k].addr, text, sizeof(text)) ==
		    NULL)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "address",
		    json_object_new_string(text));
		json_object_object_add(o, "family",
		    json_object_new_string(a[k].family == AF_INET ? "ipv4" :
								    "ipv6"));
		json_object_object_add(o, "ifindex",
		    json_object_new_int(a[k].ifindex));
		json_object_array_add(arr, o);
	}
	free(a);
	json_object_object_add(reply, "name", json_object_new_string(name));
	json_object_object_add(reply, "ttl",
	    json_object_new_int((int)discod->conf.dns_ttl));
	json_object_object_add(reply, "addresses", arr);
	return (VERB_DONE);
}

const struct verb verb_lookup = {
	.name = "lookup",
	.flags = 0,
	.exec = verb_lookup_exec,
};
