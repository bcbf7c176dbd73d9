/* Engine API routing for the fake daemon: a request in, a reply out, no sockets. */
#include "fake_api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_json.h"

#define MAX_SEGS 16

typedef struct route_ctx {
    sl_fake_swarm *fs;
    int host;
    const sl_fake_request *req;
    sl_fake_reply *reply;
    char *segs[MAX_SEGS];
    int nsegs;
} route_ctx;

typedef void (*route_fn)(route_ctx *c);

typedef struct route {
    const char *method;
    const char *pattern; /* segments; "*" matches any one segment */
    route_fn fn;
} route;

/* Replies ---------------------------------------------------------------- */

static const char *const json_ctype = "application/json";

static void reply_text(route_ctx *c, int status, const char *type,
                       const char *text)
{
    c->reply->status = status;
    c->reply->content_type = type;
    free(c->reply->body);
    c->reply->body = text ? strdup(text) : NULL;
    c->reply->body_len = text ? strlen(text) : 0;
}

/* Sends 'value' (stolen) as the daemon's encoder does: compact, one line. */
static void reply_json(route_ctx *c, int status, json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len = text ? strlen(text) : 0;

    json_decref(value);
    c->reply->status = status;
    c->reply->content_type = json_ctype;
    free(c->reply->body);
    c->reply->body = NULL;
    if (!text)
        return;
    c->reply->body = malloc(len + 2);
    if (c->reply->body) {
        memcpy(c->reply->body, text, len);
        strcpy(c->reply->body + len, "\n");
        c->reply->body_len = len + 1;
    }
    free(text);
}

static void reply_message(route_ctx *c, int status, const char *message)
{
    reply_json(c, status, json_pack("{s:s}", "message", message));
}

static void reply_error(route_ctx *c, const sl_error *err)
{
    reply_message(c, err->http_status ? err->http_status : 500,
                  err->message);
}

/* Sends a model result: 'value' on success, the model's error otherwise. */
static void reply_result(route_ctx *c, int status, json_t *value,
                         const sl_error *err)
{
    if (value)
        reply_json(c, status, value);
    else
        reply_error(c, err);
}

static void reply_done(route_ctx *c, int status, int rc, const sl_error *err)
{
    if (rc == 0)
        reply_text(c, status, NULL, NULL);
    else
        reply_error(c, err);
}

/* Query arguments -------------------------------------------------------- */

static const char *arg(route_ctx *c, const char *key)
{
    int i;

    for (i = 0; i < c->req->nargs; i++) {
        if (!strcmp(c->req->args[i].key, key))
            return c->req->args[i].value;
    }
    return NULL;
}

/* A boolean form value as the daemon reads it: absent, "", "0", "no",
 * "false" and "none" are false, anything else is true. */
static bool arg_bool(route_ctx *c, const char *key)
{
    static const char *const falses[] = {"", "0", "no", "false", "none"};
    const char *v = arg(c, key);
    size_t i;

    if (!v)
        return false;
    for (i = 0; i < sizeof(falses) / sizeof(falses[0]); i++) {
        if (!strcasecmp(v, falses[i]))
            return false;
    }
    return true;
}

/* Reads ?version= of an update; replies with the daemon's error and
 * returns -1 when it is not a number. */
static int arg_version(route_ctx *c, const char *object, uint64_t *out)
{
    const char *v = arg(c, "version");
    char *end = NULL;
    char msg[256];

    errno = 0;
    *out = v && *v ? strtoull(v, &end, 10) : 0;
    if (v && *v && *end == '\0' && errno == 0 && v[0] != '-')
        return 0;
    snprintf(msg, sizeof(msg),
             "invalid %s version '%s': strconv.ParseUint: parsing \"%s\": "
             "invalid syntax",
             object, v ? v : "", v ? v : "");
    reply_message(c, 400, msg);
    return -1;
}

/* Decodes ?filters= into the map form {"key": {"value": true}}, accepting
 * the legacy list form {"key": ["value"]} as the daemon does. *out is NULL
 * when there are no filters. Replies with an error and returns -1 when the
 * filters cannot be read. */
static int arg_filters(route_ctx *c, json_t **out)
{
    const char *raw = arg(c, "filters");
    json_t *parsed = NULL;
    const char *key;
    json_t *val;

    *out = NULL;
    if (!raw || !*raw)
        return 0;
    parsed = json_loads(raw, JSON_DECODE_ANY, NULL);
    if (!json_is_object(parsed)) {
        json_decref(parsed);
        reply_message(c, 400, "invalid filter");
        return -1;
    }
    json_object_foreach(parsed, key, val) {
        if (json_is_array(val)) {
            json_t *map = json_object();
            size_t i;
            json_t *item;

            json_array_foreach(val, i, item) {
                if (json_is_string(item))
                    json_object_set_new(map, json_string_value(item),
                                        json_true());
            }
            json_object_set_new(parsed, key, map);
        } else if (!json_is_object(val)) {
            json_decref(parsed);
            reply_message(c, 400, "invalid filter");
            return -1;
        }
    }
    *out = parsed;
    return 0;
}

/* Request bodies ---------------------------------------------------------- */

/* Decodes the body as a JSON object; replies with the daemon's error and
 * returns NULL when it cannot. 'what' names the Go type the daemon decodes
 * into, for type errors. An empty body is refused when 'required'. */
static json_t *body_object(route_ctx *c, const char *what, bool required)
{
    sl_error err;
    json_t *obj;

    if (c->req->body_too_big || c->req->body_len > SL_FAKE_GRPC_MAX) {
        char msg[160];

        /* TODO: the daemon counts the protobuf message, not the JSON
         * body; the two sizes differ by a few bytes. */
        snprintf(msg, sizeof(msg),
                 "rpc error: code = ResourceExhausted desc = grpc: received "
                 "message larger than max (%zu vs. %d)",
                 c->req->body_len, SL_FAKE_GRPC_MAX);
        reply_message(c, 500, msg);
        return NULL;
    }
    obj = sl_fake_json_decode(c->req->body, c->req->body_len, what,
                              required, &err);
    if (!obj)
        reply_error(c, &err);
    return obj;
}

/* Handlers: engine --------------------------------------------------------- */

static void h_ping(route_ctx *c)
{
    bool head = !strcmp(c->req->method, "HEAD");

    reply_text(c, 200, "text/plain; charset=utf-8", head ? NULL : "OK");
    c->reply->no_cache = true;
}

static void h_version(route_ctx *c)
{
    reply_json(c, 200, sl_fake_version(c->fs, c->host));
}

static void h_info(route_ctx *c)
{
    reply_json(c, 200, sl_fake_info(c->fs, c->host));
}

/* Handlers: swarm ---------------------------------------------------------- */

static void h_swarm_init(route_ctx *c)
{
    json_t *body = body_object(c, "swarm.InitRequest", true);
    sl_error err;

    if (!body)
        return;
    reply_result(c, 200, sl_fake_swarm_init(c->fs, c->host, body, &err),
                 &err);
    json_decref(body);
}

static void h_swarm_join(route_ctx *c)
{
    json_t *body = body_object(c, "swarm.JoinRequest", true);
    sl_error err;

    if (!body)
        return;
    reply_done(c, 200, sl_fake_swarm_join(c->fs, c->host, body, &err),
               &err);
    json_decref(body);
}

static void h_swarm_leave(route_ctx *c)
{
    sl_error err;
    int rc = sl_fake_swarm_leave(c->fs, c->host, arg_bool(c, "force"), &err);

    reply_done(c, 200, rc, &err);
}

static void h_swarm_inspect(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200, sl_fake_swarm_inspect(c->fs, c->host, &err), &err);
}

static void h_swarm_update(route_ctx *c)
{
    json_t *body;
    uint64_t version;
    sl_error err;
    int rc;

    if (arg_version(c, "swarm", &version) < 0)
        return;
    body = body_object(c, "swarm.Spec", true);
    if (!body)
        return;
    rc = sl_fake_swarm_update(c->fs, c->host, body, version,
                              arg_bool(c, "rotateWorkerToken"),
                              arg_bool(c, "rotateManagerToken"), &err);
    reply_done(c, 200, rc, &err);
    json_decref(body);
}

static void h_swarm_unlockkey(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200, sl_fake_swarm_unlockkey(c->fs, c->host, &err),
                 &err);
}

/* Handlers: nodes ---------------------------------------------------------- */

static void h_nodes_list(route_ctx *c)
{
    json_t *filters;
    sl_error err;

    if (arg_filters(c, &filters) < 0)
        return;
    reply_result(c, 200, sl_fake_nodes_list(c->fs, c->host, filters, &err),
                 &err);
    json_decref(filters);
}

static void h_node_inspect(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200,
                 sl_fake_node_inspect(c->fs, c->host, c->segs[1], &err),
                 &err);
}

static void h_node_update(route_ctx *c)
{
    json_t *body;
    uint64_t version;
    sl_error err;
    int rc;

    if (arg_version(c, "node", &version) < 0)
        return;
    body = body_object(c, "swarm.NodeSpec", true);
    if (!body)
        return;
    rc = sl_fake_node_update(c->fs, c->host, c->segs[1], version, body,
                             &err);
    reply_done(c, 200, rc, &err);
    json_decref(body);
}

static void h_node_remove(route_ctx *c)
{
    sl_error err;
    int rc = sl_fake_node_remove(c->fs, c->host, c->segs[1],
                                 arg_bool(c, "force"), &err);

    reply_done(c, 200, rc, &err);
}

/* Handlers: services and tasks -------------------------------------------- */

static void h_service_create(route_ctx *c)
{
    json_t *body = body_object(c, "swarm.ServiceSpec", true);
    sl_error err;

    if (!body)
        return;
    reply_result(c, 201, sl_fake_service_create(c->fs, c->host, body, &err),
                 &err);
    json_decref(body);
}

static void h_services_list(route_ctx *c)
{
    json_t *filters;
    sl_error err;

    if (arg_filters(c, &filters) < 0)
        return;
    reply_result(c, 200,
                 sl_fake_services_list(c->fs, c->host, filters,
                                       arg_bool(c, "status"), &err),
                 &err);
    json_decref(filters);
}

static void h_service_inspect(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200,
                 sl_fake_service_inspect(c->fs, c->host, c->segs[1],
                                         arg_bool(c, "insertDefaults"),
                                         &err),
                 &err);
}

static void h_service_update(route_ctx *c)
{
    json_t *body;
    uint64_t version;
    sl_error err;

    if (arg_version(c, "service", &version) < 0)
        return;
    body = body_object(c, "swarm.ServiceSpec", true);
    if (!body)
        return;
    reply_result(c, 200,
                 sl_fake_service_update(c->fs, c->host, c->segs[1], version,
                                        body, &err),
                 &err);
    json_decref(body);
}

static void h_service_remove(route_ctx *c)
{
    sl_error err;
    int rc = sl_fake_service_remove(c->fs, c->host, c->segs[1], &err);

    reply_done(c, 200, rc, &err);
}

static void h_tasks_list(route_ctx *c)
{
    json_t *filters;
    sl_error err;

    if (arg_filters(c, &filters) < 0)
        return;
    reply_result(c, 200, sl_fake_tasks_list(c->fs, c->host, filters, &err),
                 &err);
    json_decref(filters);
}

static void h_task_inspect(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200,
                 sl_fake_task_inspect(c->fs, c->host, c->segs[1], &err),
                 &err);
}

/* Handlers: networks, secrets, configs, images ---------------------------- */

static void h_networks_list(route_ctx *c)
{
    json_t *filters;
    sl_error err;

    if (arg_filters(c, &filters) < 0)
        return;
    reply_result(c, 200,
                 sl_fake_networks_list(c->fs, c->host, filters, &err), &err);
    json_decref(filters);
}

static void h_network_create(route_ctx *c)
{
    json_t *body = body_object(c, "types.NetworkCreateRequest", true);
    sl_error err;

    if (!body)
        return;
    reply_result(c, 201, sl_fake_network_create(c->fs, c->host, body, &err),
                 &err);
    json_decref(body);
}

static void h_network_inspect(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200,
                 sl_fake_network_inspect(c->fs, c->host, c->segs[1], &err),
                 &err);
}

static void h_network_remove(route_ctx *c)
{
    sl_error err;
    int rc = sl_fake_network_remove(c->fs, c->host, c->segs[1], &err);

    reply_done(c, 204, rc, &err);
}

static void h_secrets_list(route_ctx *c)
{
    json_t *filters;
    sl_error err;

    if (arg_filters(c, &filters) < 0)
        return;
    reply_result(c, 200,
                 sl_fake_secrets_list(c->fs, c->host, filters, &err), &err);
    json_decref(filters);
}

static void h_configs_list(route_ctx *c)
{
    json_t *filters;
    sl_error err;

    if (arg_filters(c, &filters) < 0)
        return;
    reply_result(c, 200,
                 sl_fake_configs_list(c->fs, c->host, filters, &err), &err);
    json_decref(filters);
}

/* The name between the first and the last segment, which may hold
 * slashes ("registry:5000/team/app:2"). */
static void inner_name(route_ctx *c, char *name, size_t size)
{
    int i;

    name[0] = '\0';
    for (i = 1; i < c->nsegs - 1; i++) {
        if (i > 1)
            strncat(name, "/", size - strlen(name) - 1);
        strncat(name, c->segs[i], size - strlen(name) - 1);
    }
}

/* GET /distribution/{name}/json, where the name may hold slashes. */
static void h_distribution(route_ctx *c)
{
    char name[1024];
    sl_error err;

    inner_name(c, name, sizeof(name));
    reply_result(c, 200,
                 sl_fake_distribution_inspect(c->fs, c->host, name, &err),
                 &err);
}

/* Handlers: images ---------------------------------------------------------- */

/* POST /images/create: an import of the request body (fromSrc=-); a pull
 * (fromImage) fails as no registry is reachable. The answer is a stream
 * of progress messages, each ending in "\r\n"; an import from '-' has one,
 * the new image's ID. */
static void h_images_create(route_ctx *c)
{
    const char *from_image = arg(c, "fromImage");
    const char *src = arg(c, "fromSrc");
    json_t *id = NULL, *msg;
    char *text;
    sl_error err;

    if (from_image && *from_image) {
        reply_error(c, (sl_fake_distribution_inspect(c->fs, c->host,
                                                     from_image, &err),
                        &err));
        return;
    }
    if (!src || strcmp(src, "-")) {
        /* TODO: imports from a URL are refused as the empty one is. */
        reply_message(c, 500, "Get \"http:\": http: no Host in request URL");
        return;
    }
    if (c->req->body_too_big) {
        reply_message(c, 500, "fake daemon: a tarball over 64 MiB");
        return;
    }
    id = sl_fake_image_import(c->fs, c->host, arg(c, "repo"), arg(c, "tag"),
                              c->req->body, c->req->body_len, &err);
    if (!id) {
        reply_error(c, &err);
        return;
    }
    msg = json_pack("{s:O}", "status", id);
    text = json_dumps(msg, JSON_COMPACT);
    reply_text(c, 200, json_ctype, NULL);
    if (text && asprintf(&c->reply->body, "%s\r\n", text) > 0)
        c->reply->body_len = strlen(c->reply->body);
    else
        c->reply->body = NULL;
    free(text);
    json_decref(msg);
    json_decref(id);
}

static void h_images_list(route_ctx *c)
{
    sl_error err;

    reply_result(c, 200, sl_fake_images_list(c->fs, c->host, &err), &err);
}

/* GET /images/{name}/json. */
static void h_image_inspect(route_ctx *c)
{
    char name[1024];
    sl_error err;

    inner_name(c, name, sizeof(name));
    reply_result(c, 200, sl_fake_image_inspect(c->fs, c->host, name, &err),
                 &err);
}

static const route routes[] = {
    {"GET", "_ping", h_ping},
    {"HEAD", "_ping", h_ping},
    {"GET", "version", h_version},
    {"GET", "info", h_info},
    {"POST", "swarm/init", h_swarm_init},
    {"POST", "swarm/join", h_swarm_join},
    {"POST", "swarm/leave", h_swarm_leave},
    {"POST", "swarm/update", h_swarm_update},
    {"GET", "swarm/unlockkey", h_swarm_unlockkey},
    {"GET", "swarm", h_swarm_inspect},
    {"GET", "nodes", h_nodes_list},
    {"GET", "nodes/*", h_node_inspect},
    {"POST", "nodes/*/update", h_node_update},
    {"DELETE", "nodes/*", h_node_remove},
    {"POST", "services/create", h_service_create},
    {"GET", "services", h_services_list},
    {"GET", "services/*", h_service_inspect},
    {"POST", "services/*/update", h_service_update},
    {"DELETE", "services/*", h_service_remove},
    {"GET", "tasks", h_tasks_list},
    {"GET", "tasks/*", h_task_inspect},
    {"GET", "networks", h_networks_list},
    {"POST", "networks/create", h_network_create},
    {"GET", "networks/*", h_network_inspect},
    {"DELETE", "networks/*", h_network_remove},
    {"GET", "secrets", h_secrets_list},
    {"GET", "configs", h_configs_list},
    {"POST", "images/create", h_images_create},
    {"GET", "images/json", h_images_list},
};

/* Routing ------------------------------------------------------------------ */

/* Splits 'path' (writable) into segments on '/', skipping empty ones. */
static int split_path(char *path, char **segs)
{
    int n = 0;
    char *save = NULL;
    char *tok;

    for (tok = strtok_r(path, "/", &save); tok && n < MAX_SEGS;
         tok = strtok_r(NULL, "/", &save))
        segs[n++] = tok;
    return tok ? -1 : n;
}

static bool pattern_matches(const char *pattern, char **segs, int nsegs)
{
    char buf[64];
    char *psegs[MAX_SEGS];
    int n;
    int i;

    snprintf(buf, sizeof(buf), "%s", pattern);
    n = split_path(buf, psegs);
    if (n != nsegs)
        return false;
    for (i = 0; i < n; i++) {
        if (strcmp(psegs[i], "*") && strcmp(psegs[i], segs[i]))
            return false;
    }
    return true;
}

/* Compares dotted versions numerically: <0, 0 or >0. */
static int version_cmp(const char *a, const char *b)
{
    while (*a || *b) {
        long x = strtol(a, (char **)&a, 10);
        long y = strtol(b, (char **)&b, 10);

        if (x != y)
            return x < y ? -1 : 1;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
        if (!*a && !*b)
            break;
    }
    return 0;
}

/* True when 'seg' is a version prefix such as "v1.41" (the daemon's route
 * accepts any run of digits and dots). */
static bool is_version_segment(const char *seg)
{
    if (seg[0] != 'v' || !seg[1])
        return false;
    return strspn(seg + 1, "0123456789.") == strlen(seg + 1);
}

/* Refuses API versions outside what the daemon supports, with its words.
 * Returns -1 after replying. */
static int check_version(route_ctx *c, const char *version)
{
    char msg[256];

    if (version_cmp(version, SL_FAKE_API_VERSION) > 0) {
        snprintf(msg, sizeof(msg),
                 "client version %s is too new. Maximum supported API "
                 "version is %s",
                 version, SL_FAKE_API_VERSION);
        reply_message(c, 400, msg);
        c->reply->headers = SL_FAKE_HEADERS_VERSION;
        return -1;
    }
    if (version_cmp(version, SL_FAKE_MIN_API_VERSION) < 0) {
        /* This one the daemon sends as a plain text error. */
        snprintf(msg, sizeof(msg),
                 "client version %s is too old. Minimum supported API "
                 "version is %s, please upgrade your client to a newer "
                 "version\n",
                 version, SL_FAKE_MIN_API_VERSION);
        reply_text(c, 400, "text/plain; charset=utf-8", msg);
        c->reply->headers = SL_FAKE_HEADERS_VERSION;
        c->reply->nosniff = true;
        return -1;
    }
    return 0;
}

static const route *find_route(route_ctx *c)
{
    static const route dist = {"GET", "", h_distribution};
    static const route image = {"GET", "", h_image_inspect};
    size_t i;

    if (c->nsegs >= 3 && !strcmp(c->segs[0], "distribution") &&
        !strcmp(c->segs[c->nsegs - 1], "json"))
        return strcmp(c->req->method, "GET") ? NULL : &dist;
    if (c->nsegs >= 3 && !strcmp(c->segs[0], "images") &&
        !strcmp(c->segs[c->nsegs - 1], "json"))
        return strcmp(c->req->method, "GET") ? NULL : &image;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!strcmp(routes[i].method, c->req->method) &&
            pattern_matches(routes[i].pattern, c->segs, c->nsegs))
            return &routes[i];
    }
    return NULL;
}

void sl_fake_api_handle(sl_fake_swarm *fs, int host,
                        const sl_fake_request *req, sl_fake_reply *reply)
{
    route_ctx c;
    char *path = strdup(req->url ? req->url : "/");
    const route *r;
    int n;

    memset(reply, 0, sizeof(*reply));
    memset(&c, 0, sizeof(c));
    c.fs = fs;
    c.host = host;
    c.req = req;
    c.reply = reply;
    if (!path) {
        reply_message(&c, 500, "out of memory");
        return;
    }

    n = split_path(path, c.segs);
    c.nsegs = n < 0 ? 0 : n;
    if (n > 0 && is_version_segment(c.segs[0])) {
        if (check_version(&c, c.segs[0] + 1) < 0)
            goto cleanup;
        memmove(c.segs, c.segs + 1, sizeof(c.segs[0]) * (size_t)(n - 1));
        c.nsegs--;
    }

    /* A known path with another method is as unknown to the daemon's
     * router as any other path. */
    r = n < 0 ? NULL : find_route(&c);
    if (!r) {
        reply_message(&c, 404, "page not found");
        c.reply->headers = SL_FAKE_HEADERS_NONE;
        goto cleanup;
    }
    sl_fake_swarm_lock(fs);
    r->fn(&c);
    sl_fake_swarm_unlock(fs);

cleanup:
    free(path);
}

void sl_fake_reply_clear(sl_fake_reply *reply)
{
    free(reply->body);
    reply->body = NULL;
    reply->body_len = 0;
}
