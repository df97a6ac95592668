/*
 * Filters that list, pick and watch share: a type, a subtype, TXT keys
 * or key=value pairs, an address family and an interface.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discod.h"

/*
 * Filters, from a request: "type", "txt" (an array of "key" or
 * "key=value"), "family" ("ipv4" or "ipv6"), "interface".  The strings
 * stay in the request object.
 */
int
instance_filter_parse(struct json_object *req, struct instance_filter *f,
    int type_required, struct proto_error *err)
{
	struct json_object *v, *item;
	const char	   *fam = NULL, *why;
	char		    field[PROTO_FIELD_MAX];
	size_t		    k, n;

	memset(f, 0, sizeof(*f));
	if (proto_get_string(req, "type", type_required, &f->type, err) == -1 ||
	    proto_get_string(req, "subtype", 0, &f->subtype, err) == -1 ||
	    proto_get_string(req, "family", 0, &fam, err) == -1 ||
	    proto_get_string(req, "interface", 0, &f->interface, err) == -1 ||
	    proto_get_string(req, "domain", 0, &f->domain, err) == -1)
		return (-1);
	if (f->type != NULL && (why = service_type_invalid(f->type)) != NULL) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "type",
		    "type \"%.40s\" "
		    "%s",
		    f->type, why);
		return (-1);
	}
	if (f->subtype != NULL) {
		if (f->type == NULL) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "subtype",
			    "a subtype needs a type");
			return (-1);
		}
		if ((why = service_subtype_invalid(f->subtype)) != NULL) {
			proto_error_set(err, PROTO_E_BAD_FIELD, "subtype",
			    "subtype %s", why);
			return (-1);
		}
	}
	if (fam != NULL) {
		if (strcmp(fam, "ipv4") == 0)
			f->family = AF_INET;
		else if (strcmp(fam, "ipv6") == 0)
			f->family = AF_INET6;
		else {
			proto_error_set(err, PROTO_E_BAD_FIELD, "family",
			    "family must be \"ipv4\" or \"ipv6\"");
			return (-1);
		}
	}
	if (!json_object_object_get_ex(req, "txt", &v) || v == NULL)
		return (0);
	if (!json_object_is_type(v, json_type_array) ||
	    (n = json_object_array_length(v)) > INSTANCE_FILTER_TXT_MAX) {
		proto_error_set(err, PROTO_E_BAD_FIELD, "txt",
		    "field \"txt\" "
		    "must be an array of at most %d \"key\" or \"key=value\" "
		    "strings",
		    INSTANCE_FILTER_TXT_MAX);
		return (-1);
	}
	for (k = 0; k < n; k++) {
		item = json_object_array_get_idx(v, k);
		if (!json_object_is_type(item, json_type_string) ||
		    json_object_get_string_len(item) == 0) {
			snprintf(field, sizeof(field), "txt[%zu]", k);
			proto_error_set(err, PROTO_E_BAD_FIELD, field,
			    "%s must "
			    "be a non-empty string",
			    field);
			return (-1);
		}
		f->txt[f->ntxt++] = json_object_get_string(item);
	}
	return (0);
}

/* All but the type: instance_filter_next() keeps to it. */
static int
instance_filter_match(const struct instance_filter *f, const struct instance *i)
{
	size_t k;
	int    ok;

	if (!i->resolved || i->hidden)
		return (0);
	if (f->domain != NULL && strcasecmp(i->domain, f->domain) != 0)
		return (0);
	if (f->subtype != NULL && !browse_has_subtype(i, f->subtype) &&
	    widearea_has_subtype(i, f->subtype) != 1)
		return (0);
	for (k = 0; k < f->ntxt; k++) {
		if (!cache_txt_match(i, f->txt[k]))
			return (0);
	}
	if (f->family == 0 && f->interface == NULL)
		return (1);
	for (k = 0, ok = 0; k < i->npaths && !ok; k++) {
		ok = cache_path_usable(&i->paths[k]) &&
		    (f->family == 0 || i->paths[k].family == f->family) &&
		    (f->interface == NULL ||
			strcmp(i->paths[k].ifname, f->interface) == 0);
	}
	return (ok);
}

/* 1 when f passes i: its type too (a watch's filter on a cache event). */
int
instance_filter_passes(const struct instance_filter *f,
    const struct instance			    *i)
{
	if (f->type != NULL && strcasecmp(i->type, f->type) != 0)
		return (0);
	return (instance_filter_match(f, i));
}

/* 1 when f filters on more than the type (a watch must track matches). */
int
instance_filter_narrow(const struct instance_filter *f)
{
	return (f->subtype != NULL || f->ntxt > 0 || f->family != 0 ||
	    f->interface != NULL || f->domain != NULL);
}

/*
 * The first instance the filter passes after i (NULL: from the start),
 * in the cache's order; only the filter's type is walked.
 */
struct instance *
instance_filter_next(struct cache *c, const struct instance_filter *f,
    struct instance *i)
{
	i = i == NULL ? cache_first_of_type(c, f->type) : cache_next(c, i);
	for (; i != NULL; i = cache_next(c, i)) {
		if (f->type != NULL && strcasecmp(i->type, f->type) != 0)
			return (NULL);
		if (instance_filter_match(f, i))
			return (i);
	}
	return (NULL);
}

static int
instance_order_cmp(const void *a, const void *b)
{
	const struct instance *x = *(struct instance *const *)a;
	const struct instance *y = *(struct instance *const *)b;
	int		       rc;

	if ((rc = strcasecmp(x->name, y->name)) != 0)
		return (rc);
	return (strcasecmp(x->domain, y->domain));
}

/*
 * The instances that pass f, from the index's TXT postings when f has a
 * type and a TXT filter: the shortest posting, the rest of f checked on
 * each of its instances, in the cache's order.  O(m log m) for a posting
 * of m, however many instances the type has.  Returns -1 when the index
 * cannot answer (the caller walks the type).
 */
int
instance_filter_indexed(struct cindex *x, const struct instance_filter *f,
    struct instance ***out, size_t *np)
{
	struct instance **v;
	size_t		  k, n, kept, best = 0;
	long		  c, bestc = -1;

	*out = NULL;
	*np = 0;
	if (f->type == NULL || f->ntxt == 0)
		return (-1);
	for (k = 0; k < f->ntxt; k++) {
		if ((c = cindex_txt_count(x, f->type, f->txt[k])) == -1)
			continue;
		if (bestc == -1 || c < bestc) {
			bestc = c;
			best = k;
		}
	}
	if (bestc == -1 || cindex_txt(x, f->type, f->txt[best], &v, &n) == -1)
		return (-1);
	for (k = 0, kept = 0; k < n; k++) {
		if (instance_filter_passes(f, v[k]))
			v[kept++] = v[k];
	}
	if (kept > 1)
		qsort(v, kept, sizeof(*v), instance_order_cmp);
	*out = v;
	*np = kept;
	return (0);
}

/* Every matching instance, as a JSON array. */
struct json_object *
instance_list_json(struct cache *c, const struct instance_filter *f)
{
	struct json_object *arr = json_object_new_array();
	struct instance	   *i, **v;
	size_t		    k, n;

	if (instance_filter_indexed(&discod->index, f, &v, &n) == 0) {
		for (k = 0; k < n; k++)
			json_object_array_add(arr, instance_json(v[k]));
		free(v);
		return (arr);
	}
	for (i = instance_filter_next(c, f, NULL); i != NULL;
	     i = instance_filter_next(c, f, i))
		json_object_array_add(arr, instance_json(i));
	return (arr);
}

static const char *
instance_filter_strdup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

/* A filter that owns its strings (a watch keeps one, not its request). */
void
instance_filter_copy(struct instance_filter *dst,
    const struct instance_filter	    *src)
{
	size_t k;

	*dst = *src;
	dst->type = instance_filter_strdup(src->type);
	dst->subtype = instance_filter_strdup(src->subtype);
	dst->interface = instance_filter_strdup(src->interface);
	dst->domain = instance_filter_strdup(src->domain);
	for (k = 0; k < src->ntxt; k++)
		dst->txt[k] = instance_filter_strdup(src->txt[k]);
}

/* Free what instance_filter_copy made. */
void
instance_filter_clear(struct instance_filter *f)
{
	size_t k;

	free((char *)(uintptr_t)f->type);
	free((char *)(uintptr_t)f->subtype);
	free((char *)(uintptr_t)f->interface);
	free((char *)(uintptr_t)f->domain);
	for (k = 0; k < f->ntxt; k++)
		free((char *)(uintptr_t)f->txt[k]);
	memset(f, 0, sizeof(*f));
}
