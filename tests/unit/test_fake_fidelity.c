/* The fake daemon against recorded real answers: same statuses, keys and types. */
#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_api.h"
#include "fake_swarm.h"
#include "image_tar.h"

/*
 * fixtures/real/api holds one exchange per endpoint, recorded from a real
 * dockerd 20.10 while it formed a swarm of four hosts (node-0 initialised
 * it, node-1 and node-2 joined as workers, node-3 as a manager). This test
 * replays each exchange, in the recorded order, on a simulated swarm of
 * the same shape, with the real request bodies; the IDs in paths and
 * filters are mapped to the fake's objects of the same name. Each answer
 * must have the recorded status and, recursively, the same keys with the
 * same JSON types: nothing missing, nothing extra.
 */

#define NHOSTS 4

typedef struct step {
    const char *fixture; /* fixtures/real/api/NAME.json */
    int host;            /* which host the request goes to */
} step;

static const step steps[] = {
    {"ping-get", 0},
    {"ping-head", 0},
    {"version", 0},
    {"info-standalone", 0},
    {"swarm-init", 0},
    {"swarm-inspect", 0},
    {"info-manager", 0},
    {"swarm-unlockkey", 0},
    {"swarm-join", 1},
    {"swarm-join", 2},
    {"swarm-join-manager", 3},
    {"info-worker", 1},
    {"info-manager-joined", 3},
    {"nodes-list", 0},
    {"nodes-list-filter-role", 0},
    {"node-inspect-leader", 0},
    {"node-inspect-manager", 0},
    {"node-inspect-worker", 0},
    {"node-inspect-by-hostname", 0},
    {"node-update", 0},
    {"node-inspect-labelled", 0},
    {"swarm-update", 0},
    {"network-create-overlay", 0},
    {"networks-list", 0},
    {"networks-list-filters", 0},
    {"network-inspect", 0},
    {"network-inspect-by-name", 0},
    {"services-create-replicated", 0},
    {"services-create-global", 0},
    {"services-list", 0},
    {"services-list-status", 0},
    {"services-list-filters", 0},
    {"services-list-filters-status", 0},
    {"service-inspect", 0},
    {"service-inspect-by-name", 0},
    {"service-inspect-defaults", 0},
    {"tasks-list", 0},
    {"tasks-list-filters", 0},
    {"tasks-list-filters-up-to-date", 0},
    {"tasks-list-filters-node-desired", 0},
    {"task-inspect", 0},
    {"service-update", 0},
    {"service-inspect-updated", 0},
    {"secrets-list", 0},
    {"configs-list", 0},
    {"distribution-inspect", 0},
    {"service-delete", 0},
    {"swarm-leave", 1},
    {"node-inspect-down", 0},
    {"nodes-list-after-leave", 0},
    {"info-after-leave", 1},
    {"node-delete", 0},
    {"swarm-leave-force-manager", 3},
    {"image-import", 0},
    {"images-list", 0},
    {"image-inspect", 0},
};

/* Maps that take a real ID to the name of the object it names. */
typedef struct world {
    sl_clock *clock;
    sl_fake_swarm *fs;
    json_t *real_names;  /* real ID -> {"kind": ..., "name": ...} */
    char worker_token[256];
    char manager_token[256];
    int failures;
    bool dry;            /* count differences without reporting them */
} world;

/* Learns the real IDs recorded in 'fixture' and what they name. */
static void learn_ids(world *w, json_t *fixture)
{
    json_t *body = json_object_get(fixture, "body");
    json_t *items = json_is_array(body) ? body : NULL;
    json_t *one = json_is_object(body) ? body : NULL;
    size_t i;
    json_t *it;

    if (one) {
        items = json_array();
        json_array_append(items, one);
    }
    json_array_foreach(items, i, it) {
        const char *id = json_string_value(json_object_get(it, "ID"));
        const char *netid = json_string_value(json_object_get(it, "Id"));
        json_t *spec = json_object_get(it, "Spec");
        json_t *desc = json_object_get(it, "Description");
        const char *name;

        if (id && (name = json_string_value(json_object_get(desc,
                                                            "Hostname"))))
            json_object_set_new(w->real_names, id,
                                json_pack("{s:s,s:s}", "kind", "node",
                                          "name", name));
        else if (id && json_object_get(it, "ServiceID"))
            json_object_set_new(
                w->real_names, id,
                json_pack("{s:s,s:s}", "kind", "task", "name",
                          json_string_value(json_object_get(it,
                                                            "ServiceID"))));
        else if (id && (name = json_string_value(json_object_get(spec,
                                                                 "Name"))))
            json_object_set_new(w->real_names, id,
                                json_pack("{s:s,s:s}", "kind", "service",
                                          "name", name));
        if (netid && (name = json_string_value(json_object_get(it, "Name"))))
            json_object_set_new(w->real_names, netid,
                                json_pack("{s:s,s:s}", "kind", "network",
                                          "name", name));
    }
    if (one)
        json_decref(items);
}

/* Sends one request to the fake and returns the reply's decoded body. */
static json_t *call_n(world *w, int host, const char *method,
                      const char *url, const char *query, const char *body,
                      size_t body_len, int *status)
{
    sl_fake_request req;
    sl_fake_reply reply;
    char qcopy[2048];
    char *save = NULL;
    char *pair;
    json_t *out;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.body = body;
    req.body_len = body_len;
    snprintf(qcopy, sizeof(qcopy), "%s", query ? query : "");
    for (pair = strtok_r(qcopy, "&", &save); pair && req.nargs < 32;
         pair = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(pair, '=');

        if (eq)
            *eq = '\0';
        req.args[req.nargs].key = pair;
        req.args[req.nargs].value = eq ? eq + 1 : "";
        req.nargs++;
    }
    sl_fake_api_handle(w->fs, host, &req, &reply);
    *status = reply.status;
    out = reply.body_len ? json_loadb(reply.body, reply.body_len,
                                      JSON_DECODE_ANY, NULL)
                         : json_string("");
    if (!out)
        out = json_stringn(reply.body, reply.body_len);
    sl_fake_reply_clear(&reply);
    return out;
}

static void url_decode(const char *in, char *out, size_t size)
{
    size_t o = 0;

    for (; *in && o + 1 < size; in++) {
        if (*in == '%' && isxdigit((unsigned char)in[1]) &&
            isxdigit((unsigned char)in[2])) {
            char hex[3] = {in[1], in[2], 0};

            out[o++] = (char)strtol(hex, NULL, 16);
            in += 2;
        } else {
            out[o++] = *in;
        }
    }
    out[o] = '\0';
}

static json_t *call(world *w, int host, const char *method, const char *url,
                    const char *query, const char *body, int *status)
{
    return call_n(w, host, method, url, query, body, body ? strlen(body) : 0,
                  status);
}

/* An answer streamed as JSON messages a line each, as an array of them
 * (a stream of one message decodes as that message). */
static json_t *messages(json_t *answer)
{
    const char *text = json_string_value(answer);
    json_t *out = json_array(), *msg;
    const char *at;

    if (!text) {
        json_array_append(out, answer);
        return out;
    }
    for (at = text; *at; at += strcspn(at, "\n"), at += *at == '\n') {
        msg = json_loadb(at, strcspn(at, "\r\n"), 0, NULL);
        if (msg)
            json_array_append_new(out, msg);
    }
    return out;
}

/* The fake's ID of the object a real ID names, or NULL. */
static char *fake_id_for(world *w, const char *real_id)
{
    json_t *known = json_object_get(w->real_names, real_id);
    const char *kind = json_string_value(json_object_get(known, "kind"));
    const char *name = json_string_value(json_object_get(known, "name"));
    char path[512];
    json_t *obj;
    const char *id;
    char *fake_service;
    char *result = NULL;
    int status;

    if (!kind)
        return NULL;
    if (!strcmp(kind, "task")) {
        /* Any task of the same service stands for it. */
        fake_service = fake_id_for(w, name);
        snprintf(path, sizeof(path), "filters={\"service\":{\"%s\":true}}",
                 fake_service ? fake_service : "");
        free(fake_service);
        obj = call(w, 0, "GET", "/v1.41/tasks", path, NULL, &status);
        id = json_string_value(json_object_get(json_array_get(obj, 0),
                                               "ID"));
        result = id ? strdup(id) : NULL;
        json_decref(obj);
        return result;
    }
    snprintf(path, sizeof(path), "/v1.41/%ss/%s", kind, name);
    obj = call(w, 0, "GET", path, NULL, NULL, &status);
    id = json_string_value(json_object_get(obj, "ID"));
    if (!id)
        id = json_string_value(json_object_get(obj, "Id"));
    result = id ? strdup(id) : NULL;
    json_decref(obj);
    return result;
}

/* Replaces every known real ID in 'text' by the fake's. */
static void map_ids(world *w, char *text, size_t size)
{
    const char *real_id;
    json_t *v;

    json_object_foreach(w->real_names, real_id, v) {
        char *at = strstr(text, real_id);
        char *fake;
        char *rest;

        if (!at)
            continue;
        fake = fake_id_for(w, real_id);
        if (!fake)
            continue;
        while (at) {
            rest = strdup(at + strlen(real_id));
            snprintf(at, size - (size_t)(at - text), "%s%s", fake, rest);
            free(rest);
            at = strstr(at + strlen(fake), real_id);
        }
        free(fake);
    }
}

/* The current version of the object 'url' updates. */
static json_int_t current_version(world *w, const char *url)
{
    char path[512];
    const char *end = strstr(url, "/update");
    json_t *obj;
    json_int_t v;
    int status;

    if (strstr(url, "/swarm/update"))
        snprintf(path, sizeof(path), "/v1.41/swarm");
    else
        snprintf(path, sizeof(path), "%.*s", (int)(end - url), url);
    obj = call(w, 0, "GET", path, NULL, NULL, &status);
    v = json_integer_value(json_object_get(json_object_get(obj, "Version"),
                                           "Index"));
    json_decref(obj);
    return v;
}

/* Rewrites ?version=N to the object's current version. */
static void map_version(world *w, const char *url, char *query, size_t size)
{
    char *at = strstr(query, "version=");
    char rest[1024];
    char *amp;

    if (!at || (at != query && at[-1] != '&'))
        return;
    amp = strchr(at, '&');
    snprintf(rest, sizeof(rest), "%s", amp ? amp : "");
    snprintf(at, size - (size_t)(at - query), "version=%lld%s",
             (long long)current_version(w, url), rest);
}

static void take_tokens(world *w)
{
    int status;
    json_t *sw = call(w, 0, "GET", "/v1.41/swarm", NULL, NULL, &status);
    json_t *tokens = json_object_get(sw, "JoinTokens");

    snprintf(w->worker_token, sizeof(w->worker_token), "%s",
             json_string_value(json_object_get(tokens, "Worker")));
    snprintf(w->manager_token, sizeof(w->manager_token), "%s",
             json_string_value(json_object_get(tokens, "Manager")));
    json_decref(sw);
}

/* The request body to send: the recorded one, with the fake's tokens. */
static char *request_body(world *w, json_t *fixture)
{
    json_t *body = json_object_get(fixture, "request_body");
    json_t *copy;
    const char *token;
    char *text;

    if (!body || json_is_null(body))
        return NULL;
    if (json_is_string(body))
        return strdup(json_string_value(body));
    copy = json_deep_copy(body);
    token = json_string_value(json_object_get(copy, "JoinToken"));
    if (token && strstr(token, "SWMTKN-1-")) {
        bool manager = strstr(json_string_value(json_object_get(fixture,
                                                                "case")),
                              "manager") != NULL;

        json_object_set_new(copy, "JoinToken",
                            json_string(manager ? w->manager_token
                                                : w->worker_token));
    }
    text = json_dumps(copy, JSON_COMPACT);
    json_decref(copy);
    return text;
}

/* Shape comparison ---------------------------------------------------------- */

/* Objects whose keys are data (labels, options), not fields. */
static bool is_free_map(const char *key)
{
    static const char *const maps[] = {"Labels", "Options", "Containers",
                                       "DriverOpts", "Engine.Labels",
                                       "Peers", NULL};
    int i;

    for (i = 0; maps[i]; i++) {
        if (!strcmp(key, maps[i]))
            return true;
    }
    return false;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER:
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "bool";
    case JSON_NULL: return "null";
    }
    return "?";
}

static void shape_fail(world *w, const char *fixture, const char *path,
                       const char *what)
{
    if (!w->dry)
        print_error("%s: %s: %s\n", fixture, path[0] ? path : "(body)",
                    what);
    w->failures++;
}

static void compare(world *w, const char *fixture, const char *path,
                    json_t *real, json_t *fake, bool free_map);

/* Arrays: every fake element must have the shape of one of the real
 * elements (a manager node that of a manager, the leader that of the
 * leader): the real element it differs least from stands for it. */
static void compare_arrays(world *w, const char *fixture, const char *path,
                           json_t *real, json_t *fake)
{
    char sub[1024];
    size_t i;
    json_t *f;

    if (json_array_size(real) == 0 || json_array_size(fake) == 0)
        return;
    json_array_foreach(fake, i, f) {
        json_t *best = NULL;
        int best_diffs = 0;
        bool was_dry = w->dry;
        int saved = w->failures;
        size_t k;
        json_t *r;

        snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
        w->dry = true;
        json_array_foreach(real, k, r) {
            w->failures = 0;
            compare(w, fixture, sub, r, f, false);
            if (!best || w->failures < best_diffs) {
                best = r;
                best_diffs = w->failures;
            }
        }
        w->dry = was_dry;
        w->failures = saved;
        compare(w, fixture, sub, best, f, false);
    }
}

static void compare(world *w, const char *fixture, const char *path,
                    json_t *real, json_t *fake, bool free_map)
{
    char sub[1024];
    const char *key;
    json_t *r;

    if (strcmp(type_name(real), type_name(fake))) {
        snprintf(sub, sizeof(sub), "real %s, fake %s", type_name(real),
                 type_name(fake));
        shape_fail(w, fixture, path, sub);
        return;
    }
    if (json_is_array(real)) {
        compare_arrays(w, fixture, path, real, fake);
        return;
    }
    if (!json_is_object(real) || free_map)
        return;
    json_object_foreach(real, key, r) {
        json_t *f = json_object_get(fake, key);

        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
        if (!f)
            shape_fail(w, fixture, sub, "missing in the fake");
        else
            compare(w, fixture, sub, r, f, is_free_map(key));
    }
    json_object_foreach(fake, key, r) {
        snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", key);
        if (!json_object_get(real, key))
            shape_fail(w, fixture, sub, "not sent by a real daemon");
    }
}

/* The test ------------------------------------------------------------------ */

static void replay(world *w, const step *s)
{
    char rel[256];
    char url[2048];
    char query[2048] = "";
    json_t *fixture;
    json_t *answer;
    char *body;
    char *q;
    int status;

    snprintf(rel, sizeof(rel), "fixtures/real/api/%s.json", s->fixture);
    fixture = sl_test_load_json(rel);
    learn_ids(w, fixture);

    url_decode(json_string_value(json_object_get(fixture, "path")), url,
               sizeof(url));
    q = strchr(url, '?');
    if (q) {
        *q = '\0';
        snprintf(query, sizeof(query), "%s", q + 1);
    }
    map_ids(w, url, sizeof(url));
    map_ids(w, query, sizeof(query));
    map_version(w, url, query, sizeof(query));
    body = request_body(w, fixture);
    if (body) {
        size_t size = strlen(body) + 4096;
        char *mapped = calloc(1, size);

        snprintf(mapped, size, "%s", body);
        map_ids(w, mapped, size);
        free(body);
        body = mapped;
    }

    if (strstr(url, "/images/create")) {
        /* The recorded body was a tarball; a small one stands for it. */
        static const char file[] = "#!/bin/sh\necho hello\n";
        size_t len = 0;

        free(body);
        body = NULL;
        assert_int_equal(sl_image_tar_file("bin/hello", file,
                                           sizeof(file) - 1, &body, &len,
                                           NULL),
                         0);
        answer = call_n(w, s->host, "POST", url, query, body, len, &status);
    } else {
        answer = call(w, s->host,
                      json_string_value(json_object_get(fixture, "method")),
                      url, query, body, &status);
    }
    if (status != json_integer_value(json_object_get(fixture, "status"))) {
        char what[512];
        char *text = json_dumps(answer, JSON_ENCODE_ANY);

        snprintf(what, sizeof(what), "status %d, real daemon %lld: %.300s",
                 status,
                 (long long)json_integer_value(json_object_get(fixture,
                                                               "status")),
                 text ? text : "");
        free(text);
        shape_fail(w, s->fixture, "", what);
    } else if (status < 300 && strstr(url, "/images/create")) {
        json_t *real = json_string(json_string_value(
            json_object_get(fixture, "raw_body")));
        json_t *real_msgs = messages(real);
        json_t *fake_msgs = messages(answer);

        if (json_array_size(real_msgs) != json_array_size(fake_msgs))
            shape_fail(w, s->fixture, "", "not as many streamed messages");
        compare(w, s->fixture, "", real_msgs, fake_msgs, false);
        json_decref(real_msgs);
        json_decref(fake_msgs);
        json_decref(real);
    } else if (status < 300) {
        compare(w, s->fixture, "", json_object_get(fixture, "body"), answer,
                false);
    }
    if (!strcmp(s->fixture, "swarm-init"))
        take_tokens(w);
    free(body);
    json_decref(answer);
    json_decref(fixture);
}

static void fake_answers_like_the_recorded_daemon(void **state)
{
    world w;
    size_t i;
    int h;

    (void)state;
    memset(&w, 0, sizeof(w));
    w.clock = sl_clock_new_virtual(INT64_C(1796313600) * SL_NS_PER_SEC);
    w.fs = sl_fake_swarm_new(1, w.clock);
    w.real_names = json_object();
    for (h = 0; h < NHOSTS; h++) {
        char name[16];
        char addr[16];
        sl_fake_host_spec spec = {0};
        sl_error err;

        snprintf(name, sizeof(name), "node-%d", h);
        snprintf(addr, sizeof(addr), "10.77.0.%d", 10 + h);
        spec.hostname = name;
        spec.addr = addr;
        assert_int_equal(sl_fake_swarm_add_host(w.fs, &spec, &err), h);
    }

    for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        replay(&w, &steps[i]);
        sl_clock_advance_ns(w.clock, SL_NS_PER_SEC);
    }

    json_decref(w.real_names);
    sl_fake_swarm_free(w.fs);
    sl_clock_free(w.clock);
    if (w.failures)
        fail_msg("%d differences from the real daemon", w.failures);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fake_answers_like_the_recorded_daemon),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
