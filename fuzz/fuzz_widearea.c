/*
 * Fuzz target: what etcd, or any host that may write under the prefix,
 * can hand discod's wide-area code (discocore/widearea.c).  The input is
 * at once a record's value, a range answer, a watch line, a lease
 * answer, an authentication answer, a plain answer and a key under
 * "/disco/".  None may crash or leak; what is refused leaves nothing to
 * free; what is read holds what its checks promise.  A value read is
 * written again (wa_value_make) and reads back to the same record; a key
 * read is made again (wa_key_make) and reads back to the same parts, and
 * so does any valid service name put in a key.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PREFIX	"/disco/"
#define KVS_MAX 64

/* What wa_value_parse promises of a record it read. */
static void
check_record(const struct wa_record *r)
{
	size_t k;

	if (service_name_invalid(r->name) != NULL ||
	    service_type_invalid(r->type) != NULL ||
	    config_domain_invalid(r->host) != NULL || r->port > 65535 ||
	    r->txt.n > TXT_STRINGS_MAX || r->nsubtypes > SERVICE_SUBTYPES_MAX ||
	    r->naddrs == 0 || r->naddrs > WA_ADDRS_MAX)
		abort();
	for (k = 0; k < r->txt.n; k++) {
		if (txt_string_invalid(r->txt.v[k].data, r->txt.v[k].len) !=
		    NULL)
			abort();
	}
	for (k = 0; k < r->nsubtypes; k++) {
		if (r->subtypes[k] == NULL ||
		    service_subtype_invalid(r->subtypes[k]) != NULL)
			abort();
	}
	for (k = 0; k < r->naddrs; k++) {
		if ((r->addrs[k].family != AF_INET &&
			r->addrs[k].family != AF_INET6) ||
		    wa_addr_unusable(r->addrs[k].family, r->addrs[k].addr))
			abort();
	}
}

static void
check_same_record(const struct wa_record *a, const struct wa_record *b)
{
	size_t k;

	if (strcmp(a->name, b->name) != 0 || strcmp(a->type, b->type) != 0 ||
	    strcmp(a->host, b->host) != 0 || a->port != b->port ||
	    !txt_equal(&a->txt, &b->txt) || a->txt.total != b->txt.total ||
	    a->nsubtypes != b->nsubtypes || a->naddrs != b->naddrs)
		abort();
	for (k = 0; k < a->nsubtypes; k++) {
		if (strcmp(a->subtypes[k], b->subtypes[k]) != 0)
			abort();
	}
	for (k = 0; k < a->naddrs; k++) {
		if (a->addrs[k].family != b->addrs[k].family ||
		    memcmp(a->addrs[k].addr, b->addrs[k].addr,
			sizeof(a->addrs[k].addr)) != 0)
			abort();
	}
}

/* A refused record holds nothing to free. */
static void
check_refused_record(const struct wa_record *r, const char *err)
{
	size_t k;

	if (err[0] == '\0' || r->txt.v != NULL || r->txt.n != 0 ||
	    r->nsubtypes != 0 || r->naddrs != 0)
		abort();
	for (k = 0; k < SERVICE_SUBTYPES_MAX; k++) {
		if (r->subtypes[k] != NULL)
			abort();
	}
}

static void
check_value(const char *text, size_t len)
{
	struct wa_record r, back;
	char		 err[256] = "", *made;
	size_t		 n;

	if (wa_value_parse(text, len, &r, err, sizeof(err)) == -1) {
		check_refused_record(&r, err);
		return;
	}
	check_record(&r);
	if ((made = wa_value_make(&r, &n)) == NULL || n != strlen(made))
		abort();
	/*
	 * (Written again it may be longer: "txt" and "subtypes" are always
	 * written.  Over the bound it is refused, which says nothing of
	 * the record.)
	 */
	err[0] = '\0';
	if (n <= WA_VALUE_MAX) {
		if (wa_value_parse(made, n, &back, err, sizeof(err)) == -1)
			abort();
		check_same_record(&r, &back);
		wa_record_clear(&back);
	}
	free(made);
	wa_record_clear(&r);
}

/* A kv read: its bytes NUL-ended, a bad value empty; each parsed too. */
static void
check_kvs(const struct wa_kv *kvs, size_t n)
{
	struct wa_record r;
	struct wa_key	 k;
	const char	*why;
	char		 err[256];
	size_t		 i;

	if (n > KVS_MAX || (n > 0 && kvs == NULL))
		abort();
	for (i = 0; i < n; i++) {
		if (kvs[i].key == NULL || kvs[i].keylen == 0 ||
		    kvs[i].key[kvs[i].keylen] != '\0' || kvs[i].value == NULL ||
		    kvs[i].value[kvs[i].valuelen] != '\0' ||
		    kvs[i].valuelen > WA_VALUE_MAX ||
		    (kvs[i].bad != NULL && kvs[i].valuelen != 0))
			abort();
		if (wa_key_parse(kvs[i].key, kvs[i].keylen, PREFIX, &k, &why) ==
			-1 &&
		    why == NULL)
			abort();
		err[0] = '\0';
		if (wa_value_parse(kvs[i].value, kvs[i].valuelen, &r, err,
			sizeof(err)) == 0)
			wa_record_clear(&r);
		else
			check_refused_record(&r, err);
	}
}

static void
check_answers(const char *text, size_t len)
{
	struct wa_range	 rr;
	struct wa_watch	 w;
	struct wa_header h;
	long long	 id, ttl;
	char		 err[256], token[64];
	size_t		 k;

	err[0] = '\0';
	if (wa_range_parse(text, len, KVS_MAX, &rr, err, sizeof(err)) == 0) {
		if (rr.header.revision < 0)
			abort();
		check_kvs(rr.kvs, rr.nkvs);
		for (k = 0; k < rr.nkvs; k++) {
			if (rr.kvs[k].deleted)
				abort();
		}
		wa_kvs_free(rr.kvs, rr.nkvs);
	} else if (err[0] == '\0' || rr.kvs != NULL || rr.nkvs != 0)
		abort();

	err[0] = '\0';
	if (wa_watch_parse(text, len, KVS_MAX, &w, err, sizeof(err)) == 0) {
		if (w.header.revision < 0)
			abort();
		check_kvs(w.events, w.nevents);
		wa_kvs_free(w.events, w.nevents);
	} else if (err[0] == '\0' || w.events != NULL || w.nevents != 0)
		abort();

	err[0] = '\0';
	if (wa_lease_parse(text, len, &id, &ttl, err, sizeof(err)) == -1 &&
	    err[0] == '\0')
		abort();

	err[0] = '\0';
	if (wa_answer_parse(text, len, &h, err, sizeof(err)) == 0) {
		if (h.revision < 0)
			abort();
	} else if (err[0] == '\0')
		abort();

	err[0] = '\0';
	memset(token, 0xa5, sizeof(token));
	if (wa_token_parse(text, len, token, sizeof(token), err, sizeof(err)) ==
	    0) {
		/* it goes into an HTTP header */
		if (token[0] == '\0' ||
		    memchr(token, '\0', sizeof(token)) == NULL)
			abort();
		for (k = 0; token[k] != '\0'; k++) {
			if ((unsigned char)token[k] <= 0x20 || token[k] == 0x7f)
				abort();
		}
	} else if (err[0] == '\0')
		abort();
}

static void
check_same_key(const struct wa_key *a, const struct wa_key *b)
{
	if (strcmp(a->host, b->host) != 0 || strcmp(a->type, b->type) != 0 ||
	    strcmp(a->name, b->name) != 0)
		abort();
}

/* A key read is one wa_key_make writes again, and reads the same. */
static void
check_key(const char *text, size_t len)
{
	struct wa_key k, back, again;
	const char   *why;
	char	      key[WA_KEY_MAX], key2[WA_KEY_MAX];

	if (wa_key_parse(text, len, PREFIX, &k, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if (why != NULL || wa_host_id_invalid(k.host) != NULL ||
	    service_type_invalid(k.type) != NULL ||
	    service_name_invalid(k.name) != NULL)
		abort();
	if (wa_key_make(key, sizeof(key), PREFIX, k.host, k.type, k.name) ==
		-1 ||
	    wa_key_parse(key, strlen(key), PREFIX, &back, &why) == -1)
		abort();
	check_same_key(&k, &back);
	/* the key made is the one form: made again, the same bytes */
	if (wa_key_make(key2, sizeof(key2), PREFIX, back.host, back.type,
		back.name) == -1 ||
	    strcmp(key, key2) != 0 ||
	    wa_key_parse(key2, strlen(key2), PREFIX, &again, &why) == -1)
		abort();
	check_same_key(&k, &again);
}

/* Any valid service name survives a key. */
static void
check_name(const uint8_t *data, size_t size)
{
	struct wa_key k;
	const char   *why;
	char	      name[SERVICE_NAME_MAX + 2], key[WA_KEY_MAX];

	if (size > SERVICE_NAME_MAX + 1)
		size = SERVICE_NAME_MAX + 1;
	memcpy(name, data, size);
	name[size] = '\0';
	if (service_name_invalid(name) != NULL)
		return;
	if (wa_key_make(key, sizeof(key), PREFIX, "host-1", "_http._tcp",
		name) == -1 ||
	    wa_key_parse(key, strlen(key), PREFIX, &k, &why) == -1 ||
	    strcmp(k.name, name) != 0 || strcmp(k.host, "host-1") != 0 ||
	    strcmp(k.type, "_http._tcp") != 0)
		abort();
}

/* The range's end: the prefix, its last byte below 0xff one more. */
static void
check_range_end(const uint8_t *data, size_t size)
{
	char   out[256];
	size_t n, k;

	if (size > sizeof(out))
		size = sizeof(out);
	n = wa_range_end((const char *)data, size, out);
	if (n == 0 || n > (size > 0 ? size : 1))
		abort();
	for (k = n; k < size; k++) {
		if (data[k] != 0xff)
			abort();
	}
	if (size == 0 || (n == 1 && out[0] == '\0' && data[0] == 0xff)) {
		for (k = 0; k < size; k++) {
			if (data[k] != 0xff)
				abort();
		}
		return;
	}
	if (memcmp(out, data, n - 1) != 0 ||
	    (unsigned char)out[n - 1] != data[n - 1] + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	check_value(text, size);
	check_answers(text, size);
	check_key(text, size);
	check_name(data, size);
	check_range_end(data, size);
	return (0);
}
