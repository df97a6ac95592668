/*
 * disco-parse: the cost of reading a request line into json-c objects,
 * discod's reader (proto_json_read, common/json-read.c) next to json-c's
 * own tokener used as discod used it before (strict, depth 16, one
 * tokener reset after each line), on the same lines in the same run;
 * then the cost of writing a reply (a resolve's: id, ok and an instance's
 * kept text; an error), discod's writer (proto_text) next to json-c's
 * serializer.  Prints ns per line for each and their ratio.
 *	disco-parse [-n lines]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "proto.h"

static const struct {
	const char *name, *text;
} lines[] = {
	{ "resolve",
	    "{\"verb\":\"resolve\",\"name\":\"Instance 04711\",\"type\":\"_bka._tcp\"}" },
	{ "pick",
	    "{\"id\":17,\"verb\":\"pick\",\"type\":\"_bka._tcp\",\"policy\":\"sticky\","
	    "\"key\":\"user-4711\"}" },
	{ "list",
	    "{\"verb\":\"list\",\"type\":\"_bka._tcp\",\"txt\":{\"role\":\"web\"},"
	    "\"family\":\"ipv4\"}" },
	{ "register",
	    "{\"id\":\"r-1\",\"verb\":\"register\",\"name\":\"Web \\u00e9t\\u00e9\","
	    "\"type\":\"_http._tcp\",\"port\":8080,\"ttl\":30,\"txt\":[\"path=/\","
	    "\"role=web\"],\"check\":{\"tcp\":\"127.0.0.1:8080\",\"interval\":5}}" },
};

/* An instance's text as discod keeps it (bench/fill.h's shape). */
static const char instance[] =
    "{\"name\":\"Instance 04711\",\"type\":\"_bka._tcp\","
    "\"domain\":\"local\",\"fullname\":\"Instance 04711._bka._tcp.local\","
    "\"host\":\"host-04711.local\",\"port\":4711,\"addresses\":["
    "{\"address\":\"10.0.18.103\",\"family\":\"ipv4\","
    "\"interface\":\"eth0\"}],\"txt\":{\"role\":\"web\",\"n\":\"4711\"},"
    "\"subtypes\":[],\"interface\":\"eth0\",\"protocol\":\"ipv4\","
    "\"reachable\":true,\"first_seen\":1764744000.123456,"
    "\"last_changed\":1764744000.123456,"
    "\"last_confirmed\":1764744000.123456,\"index\":4712}";

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec);
}

int
main(int argc, char **argv)
{
	struct json_tokener *tok;
	struct json_object  *o;
	const char	    *why;
	size_t		     i, len, end;
	long		     n = 1000000, k;
	double		     t0, jc, mine;
	int		     ch;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n' || (n = atol(optarg)) <= 0) {
			fprintf(stderr, "usage: disco-parse [-n lines]\n");
			return (2);
		}
	}
	if ((tok = json_tokener_new_ex(16)) == NULL)
		return (1);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	printf("%-9s %6s %10s %10s %7s\n", "line", "bytes", "json-c ns",
	    "reader ns", "ratio");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		len = strlen(lines[i].text);
		t0 = now_ns();
		for (k = 0; k < n; k++) {
			o = json_tokener_parse_ex(tok, lines[i].text, (int)len);
			if (o == NULL)
				return (1);
			json_tokener_reset(tok);
			json_object_put(o);
		}
		jc = (now_ns() - t0) / (double)n;
		t0 = now_ns();
		for (k = 0; k < n; k++) {
			if (proto_json_read(lines[i].text, len, 16, &o, &end,
				&why) == -1)
				return (1);
			json_object_put(o);
		}
		mine = (now_ns() - t0) / (double)n;
		printf("%-9s %6zu %10.0f %10.0f %7.2f\n", lines[i].name, len,
		    jc, mine, mine / jc);
	}
	json_tokener_free(tok);

	printf("%-9s %6s %10s %10s %7s\n", "reply", "bytes", "json-c ns",
	    "writer ns", "ratio");
	for (i = 0; i < 2; i++) {
		struct json_object *raw, *id, *r;
		struct proto_error  err;
		const char	   *text;
		size_t		    tl = 0;

		raw = proto_raw_new(instance, strlen(instance));
		id = json_object_new_int(17);
		proto_error_set(&err, PROTO_E_NOT_FOUND, NULL,
		    "no instance \"%s\" of %s in %s", "Instance 04711",
		    "_bka._tcp", "local");
		t0 = now_ns();
		for (k = 0; k < n; k++) {
			r = i == 0 ? proto_reply_new(id) :
				     proto_reply_error(id, &err);
			if (i == 0)
				json_object_object_add(r, "instance",
				    json_object_get(raw));
			text = json_object_to_json_string_length(r,
			    JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE,
			    &tl);
			if (text == NULL)
				return (1);
			json_object_put(r);
		}
		jc = (now_ns() - t0) / (double)n;
		t0 = now_ns();
		for (k = 0; k < n; k++) {
			r = i == 0 ? proto_reply_new(id) :
				     proto_reply_error(id, &err);
			if (i == 0)
				json_object_object_add(r, "instance",
				    json_object_get(raw));
			text = proto_text(r, &tl);
			json_object_put(r);
		}
		mine = (now_ns() - t0) / (double)n;
		printf("%-9s %6zu %10.0f %10.0f %7.2f\n",
		    i == 0 ? "resolve" : "error", tl, jc, mine, mine / jc);
		json_object_put(raw);
		json_object_put(id);
	}
	return (0);
}
