/* Services of the simulated swarm: specs as dockerd stores them, CRUD. */
#include "fake_swarm_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fs_service_free(fs_service *s)
{
    if (!s)
        return;
    json_decref(s->spec);
    json_decref(s->prev_spec);
    json_decref(s->update_status);
    json_decref(s->endpoint);
    json_decref(s->rolling);
    free(s);
}

fs_service *fs_service_by_id(fs_cluster *cl, const char *id)
{
    size_t i;

    for (i = 0; cl && i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];

        if (!strcmp(s->id, id))
            return s;
    }
    return NULL;
}

static const char *service_name(const fs_service *s)
{
    return json_string_value(json_object_get(s->spec, "Name"));
}

/* Field copying with Go's omitempty --------------------------------------- */

enum kind { K_STR, K_ARR, K_MAP, K_BOOL, K_NUM, K_PTR };

typedef struct field {
    const char *name;
    enum kind kind;
} field;

static bool empty_value(json_t *v, enum kind kind)
{
    switch (kind) {
    case K_STR: return !json_is_string(v) || !*json_string_value(v);
    case K_ARR: return !json_is_array(v) || json_array_size(v) == 0;
    case K_MAP: return !json_is_object(v) || json_object_size(v) == 0;
    case K_BOOL: return !json_is_true(v);
    case K_NUM: return !json_is_number(v) || json_number_value(v) == 0;
    case K_PTR: return !v || json_is_null(v);
    }
    return true;
}

/* Copies the known 'fields' of 'src' into 'dst', in order, dropping the
 * empty ones as the daemon's encoder does. */
static void copy_fields(json_t *dst, json_t *src, const field *fields)
{
    size_t i;

    for (i = 0; fields[i].name; i++) {
        json_t *v = json_object_get(src, fields[i].name);

        if (!empty_value(v, fields[i].kind))
            json_object_set_new(dst, fields[i].name, json_deep_copy(v));
    }
}

static const field container_head[] = {
    {"Image", K_STR}, {"Labels", K_MAP}, {"Command", K_ARR},
    {"Args", K_ARR}, {"Hostname", K_STR}, {"Env", K_ARR}, {"Dir", K_STR},
    {"User", K_STR}, {"Groups", K_ARR}, {NULL, K_STR}};
static const field container_tail[] = {
    {"Init", K_PTR}, {"StopSignal", K_STR}, {"TTY", K_BOOL},
    {"OpenStdin", K_BOOL}, {"ReadOnly", K_BOOL}, {"Mounts", K_ARR},
    {"StopGracePeriod", K_PTR}, {"Healthcheck", K_PTR}, {"Hosts", K_ARR},
    {"DNSConfig", K_PTR}, {"Secrets", K_ARR}, {"Configs", K_ARR},
    {NULL, K_STR}};
static const field container_end[] = {
    {"Sysctls", K_MAP}, {"CapabilityAdd", K_ARR}, {"CapabilityDrop", K_ARR},
    {"Ulimits", K_ARR}, {NULL, K_STR}};

static json_t *container_spec(json_t *in)
{
    json_t *out = json_object();
    json_t *priv = json_object_get(in, "Privileges");
    const char *iso = json_string_value(json_object_get(in, "Isolation"));

    copy_fields(out, in, container_head);
    if (json_is_object(priv)) {
        json_t *cred = json_object_get(priv, "CredentialSpec");
        json_t *se = json_object_get(priv, "SELinuxContext");

        json_object_set_new(out, "Privileges",
                            json_pack("{s:o, s:o}", "CredentialSpec",
                                      json_is_object(cred)
                                          ? json_deep_copy(cred)
                                          : json_null(),
                                      "SELinuxContext",
                                      json_is_object(se) ? json_deep_copy(se)
                                                         : json_null()));
    }
    copy_fields(out, in, container_tail);
    json_object_set_new(out, "Isolation",
                        json_string(iso && *iso ? iso : "default"));
    copy_fields(out, in, container_end);
    return out;
}

static json_t *resources(json_t *in)
{
    static const field limits[] = {{"NanoCPUs", K_NUM},
                                   {"MemoryBytes", K_NUM},
                                   {"Pids", K_NUM},
                                   {NULL, K_STR}};
    static const field reservations[] = {{"NanoCPUs", K_NUM},
                                         {"MemoryBytes", K_NUM},
                                         {"GenericResources", K_ARR},
                                         {NULL, K_STR}};
    json_t *out = json_object();
    json_t *l = json_object_get(in, "Limits");
    json_t *r = json_object_get(in, "Reservations");

    if (json_is_object(l)) {
        json_t *o = json_object();

        copy_fields(o, l, limits);
        json_object_set_new(out, "Limits", o);
    }
    if (json_is_object(r)) {
        json_t *o = json_object();

        copy_fields(o, r, reservations);
        json_object_set_new(out, "Reservations", o);
    }
    return out;
}

static json_t *restart_policy(json_t *in, sl_error *err)
{
    const char *cond = json_string_value(json_object_get(in, "Condition"));
    json_t *out;

    if (cond && *cond && strcmp(cond, "none") && strcmp(cond, "on-failure") &&
        strcmp(cond, "any")) {
        fs_fail(err, 400, "invalid RestartCondition: \"%s\"", cond);
        return NULL;
    }
    out = json_pack("{s:s}", "Condition", cond && *cond ? cond : "any");
    if (json_is_integer(json_object_get(in, "Delay")))
        json_object_set(out, "Delay", json_object_get(in, "Delay"));
    json_object_set_new(out, "MaxAttempts",
                        json_integer(json_integer_value(
                            json_object_get(in, "MaxAttempts"))));
    if (json_is_integer(json_object_get(in, "Window")))
        json_object_set(out, "Window", json_object_get(in, "Window"));
    return out;
}

static json_t *placement(json_t *in)
{
    static const field fields[] = {{"Constraints", K_ARR},
                                   {"Preferences", K_ARR},
                                   {"MaxReplicas", K_NUM},
                                   {"Platforms", K_ARR},
                                   {NULL, K_STR}};
    json_t *out = json_object();

    copy_fields(out, in, fields);
    return out;
}

/* Network attachments with their targets resolved to network IDs, as
 * dockerd's populateNetworkID does; 'err' gets its answers. */
static json_t *attachments(fs_cluster *cl, fs_host *caller, json_t *in,
                           sl_error *err)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *att;

    json_array_foreach(in, i, att) {
        const char *target = json_string_value(json_object_get(att,
                                                               "Target"));
        fs_network *nw = fs_network_resolve(cl, target ? target : "");
        json_t *o;

        /* TODO: swarm's predefined "host" and "bridge" networks cannot
         * be attached to. */
        if (!nw) {
            bool local = false;

            for (j = 0; target && j < caller->lnets.n; j++) {
                fs_lnet *ln = caller->lnets.v[j];

                local = local || !strcmp(ln->name, target) ||
                        !strcmp(ln->id, target);
            }
            json_decref(out);
            if (local)
                return fs_fail(err, 403, "The network %s cannot be used "
                               "with services. Only networks scoped to the "
                               "swarm can be used, such as those created "
                               "with the overlay driver.", target), NULL;
            return fs_fail(err, 500, "network %s not found",
                           target ? target : ""), NULL;
        }
        o = json_pack("{s:s}", "Target", nw->id);
        if (json_array_size(json_object_get(att, "Aliases")))
            json_object_set(o, "Aliases", json_object_get(att, "Aliases"));
        if (json_object_size(json_object_get(att, "DriverOpts")))
            json_object_set(o, "DriverOpts",
                            json_object_get(att, "DriverOpts"));
        json_array_append_new(out, o);
    }
    return out;
}

static json_t *task_template(fs_cluster *cl, fs_host *caller, json_t *in,
                             sl_error *err)
{
    json_t *out = json_object();
    json_t *cs = json_object_get(in, "ContainerSpec");
    json_t *v;
    const char *runtime = json_string_value(json_object_get(in, "Runtime"));

    if (runtime && *runtime && strcmp(runtime, "container")) {
        json_decref(out);
        if (!strcmp(runtime, "plugin") &&
            json_is_object(json_object_get(in, "PluginSpec")))
            return fs_fail(err, 500, "runtime type \"plugin\" only "
                           "supported in experimental"), NULL;
        if (!strcmp(runtime, "plugin"))
            return fs_fail(err, 400, "mismatched Runtime and *Spec fields"),
                   NULL;
        return fs_fail(err, 400, "unsupported runtime"), NULL;
    }
    if (!json_is_object(cs)) {
        json_decref(out);
        return fs_fail(err, 400, "mismatched Runtime and *Spec fields"),
               NULL;
    }
    json_object_set_new(out, "ContainerSpec", container_spec(cs));
    if (json_is_object(v = json_object_get(in, "Resources")))
        json_object_set_new(out, "Resources", resources(v));
    if (json_is_object(v = json_object_get(in, "RestartPolicy"))) {
        json_t *rp = restart_policy(v, err);

        if (!rp) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, "RestartPolicy", rp);
    }
    if (json_is_object(v = json_object_get(in, "Placement")))
        json_object_set_new(out, "Placement", placement(v));
    if (json_array_size(v = json_object_get(in, "Networks"))) {
        json_t *nets = attachments(cl, caller, v, err);

        if (!nets) {
            json_decref(out);
            return NULL;
        }
        json_object_set_new(out, "Networks", nets);
    }
    if (json_is_object(v = json_object_get(in, "LogDriver")))
        json_object_set(out, "LogDriver", v);
    json_object_set_new(out, "ForceUpdate",
                        json_integer(json_integer_value(
                            json_object_get(in, "ForceUpdate"))));
    json_object_set_new(out, "Runtime", json_string("container"));
    return out;
}

static json_t *service_mode(json_t *in, sl_error *err)
{
    json_t *rep = json_object_get(in, "Replicated");
    int modes = 0;

    modes += json_is_object(rep);
    modes += json_is_object(json_object_get(in, "Global"));
    modes += json_is_object(json_object_get(in, "ReplicatedJob"));
    modes += json_is_object(json_object_get(in, "GlobalJob"));
    if (modes > 1)
        return fs_fail(err, 400, "must specify only one service mode"),
               NULL;
    if (json_is_object(json_object_get(in, "Global")))
        return json_pack("{s:{}}", "Global");
    /* TODO: job services (ReplicatedJob, GlobalJob) are not simulated. */
    if (modes == 1 && !json_is_object(rep))
        return fs_fail_own(err, SL_ERR_UNSUPPORTED,
                           "job services are not simulated"), NULL;
    if (json_is_integer(json_object_get(rep, "Replicas")))
        return json_pack("{s:{s:I}}", "Replicated", "Replicas",
                         json_integer_value(json_object_get(rep,
                                                            "Replicas")));
    return json_pack("{s:{s:i}}", "Replicated", "Replicas", 1);
}

/* A float32 as Go's encoder writes it: integral values without a point. */
static json_t *go_float(double v)
{
    if (v == (double)(json_int_t)v)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *update_config(json_t *in, sl_error *err)
{
    const char *fa = json_string_value(json_object_get(in, "FailureAction"));
    const char *order = json_string_value(json_object_get(in, "Order"));
    json_t *out;

    if (fa && *fa && strcmp(fa, "pause") && strcmp(fa, "continue") &&
        strcmp(fa, "rollback"))
        return fs_fail(err, 400, "unrecognized update failure action %s",
                       fa), NULL;
    if (order && *order && strcmp(order, "stop-first") &&
        strcmp(order, "start-first"))
        return fs_fail(err, 400, "unrecognized update order %s", order),
               NULL;
    out = json_pack("{s:I}", "Parallelism",
                    json_integer_value(json_object_get(in, "Parallelism")));
    if (json_integer_value(json_object_get(in, "Delay")))
        json_object_set(out, "Delay", json_object_get(in, "Delay"));
    json_object_set_new(out, "FailureAction",
                        json_string(fa && *fa ? fa : "pause"));
    if (json_integer_value(json_object_get(in, "Monitor")))
        json_object_set(out, "Monitor", json_object_get(in, "Monitor"));
    json_object_set_new(out, "MaxFailureRatio",
                        go_float(json_number_value(
                            json_object_get(in, "MaxFailureRatio"))));
    json_object_set_new(out, "Order",
                        json_string(order && *order ? order : "stop-first"));
    return out;
}

static json_t *endpoint_spec(json_t *in, sl_error *err)
{
    const char *mode = json_string_value(json_object_get(in, "Mode"));
    json_t *out, *ports;
    size_t i;
    json_t *p;

    if (mode && *mode && strcmp(mode, "vip") && strcmp(mode, "dnsrr"))
        return fs_fail(err, 400, "invalid resolution mode: \"%s\"", mode),
               NULL;
    out = json_pack("{s:s}", "Mode", mode && *mode ? mode : "vip");
    ports = json_array();
    json_array_foreach(json_object_get(in, "Ports"), i, p) {
        const char *proto = json_string_value(json_object_get(p,
                                                              "Protocol"));
        const char *pm = json_string_value(json_object_get(p,
                                                           "PublishMode"));
        json_t *o = json_object();

        if (json_is_string(json_object_get(p, "Name")) &&
            *json_string_value(json_object_get(p, "Name")))
            json_object_set(o, "Name", json_object_get(p, "Name"));
        json_object_set_new(o, "Protocol",
                            json_string(proto && (!strcmp(proto, "udp") ||
                                                  !strcmp(proto, "sctp"))
                                            ? proto : "tcp"));
        if (json_integer_value(json_object_get(p, "TargetPort")))
            json_object_set(o, "TargetPort", json_object_get(p,
                                                             "TargetPort"));
        if (json_integer_value(json_object_get(p, "PublishedPort")))
            json_object_set(o, "PublishedPort",
                            json_object_get(p, "PublishedPort"));
        json_object_set_new(o, "PublishMode",
                            json_string(pm && !strcmp(pm, "host")
                                            ? "host" : "ingress"));
        json_array_append_new(ports, o);
    }
    if (json_array_size(ports))
        json_object_set_new(out, "Ports", ports);
    else
        json_decref(ports);
    return out;
}

/* Name generation --------------------------------------------------------- */

static void random_name(sl_fake_swarm *fs, char *buf, size_t size)
{
    static const char *const left[] = {
        "admiring", "brave", "clever", "dazzling", "eager", "festive",
        "gifted", "happy", "jolly", "keen", "laughing", "modest", "nifty",
        "optimistic", "quirky", "serene"};
    static const char *const right[] = {
        "allen", "babbage", "curie", "darwin", "euclid", "fermi", "galileo",
        "hopper", "johnson", "knuth", "lovelace", "meitner", "noether",
        "pasteur", "ritchie", "turing"};

    snprintf(buf, size, "%s_%s", left[fs_rand(fs) % 16],
             right[fs_rand(fs) % 16]);
}

/* The spec as dockerd converts it to swarmkit's and back. */
static json_t *normalize_spec(sl_fake_swarm *fs, fs_cluster *cl,
                              fs_host *caller, json_t *req, sl_error *err)
{
    const char *name = json_string_value(json_object_get(req, "Name"));
    json_t *labels = json_object_get(req, "Labels");
    json_t *spec = json_object(), *v, *part;
    char gen[64];

    if (!name || !*name) {
        random_name(fs, gen, sizeof(gen));
        name = gen;
    }
    json_object_set_new(spec, "Name", json_string(name));
    json_object_set_new(spec, "Labels", json_is_object(labels)
                                            ? json_deep_copy(labels)
                                            : json_object());
    v = json_object_get(req, "TaskTemplate");
    if (!(part = task_template(cl, caller, v, err)))
        goto fail;
    json_object_set_new(spec, "TaskTemplate", part);
    if (!(part = service_mode(json_object_get(req, "Mode"), err)))
        goto fail;
    json_object_set_new(spec, "Mode", part);
    if (json_is_object(v = json_object_get(req, "UpdateConfig"))) {
        if (!(part = update_config(v, err)))
            goto fail;
        json_object_set_new(spec, "UpdateConfig", part);
    }
    if (json_is_object(v = json_object_get(req, "RollbackConfig"))) {
        if (!(part = update_config(v, err)))
            goto fail;
        json_object_set_new(spec, "RollbackConfig", part);
    }
    if (json_array_size(v = json_object_get(req, "Networks"))) {
        if (!(part = attachments(cl, caller, v, err)))
            goto fail;
        json_object_set_new(spec, "Networks", part);
    }
    if (json_is_object(v = json_object_get(req, "EndpointSpec"))) {
        if (!(part = endpoint_spec(v, err)))
            goto fail;
        json_object_set_new(spec, "EndpointSpec", part);
    }
    return spec;

fail:
    json_decref(spec);
    return NULL;
}

/* gRPC's message limit -------------------------------------------------- */

#define GRPC_MAX_MESSAGE 4194304

static size_t varint_len(uint64_t v)
{
    size_t n = 1;

    while (v >= 128) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t field_len(size_t content)
{
    return 1 + varint_len(content) + content;
}

static bool proto_map(const char *key)
{
    return key && (!strcmp(key, "Labels") || !strcmp(key, "Options") ||
                   !strcmp(key, "DriverOpts") || !strcmp(key, "Sysctls"));
}

/* What 'v' takes on the wire as the protobuf field 'key' (proto3 leaves
 * zero values out); "Mode" is a oneof, so it adds no level. */
static size_t wire_size(json_t *v, const char *key)
{
    size_t n = 0, i;
    const char *k;
    json_t *item;

    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) ? field_len(json_string_length(v)) : 0;
    case JSON_INTEGER:
        return json_integer_value(v)
                   ? 1 + varint_len((uint64_t)json_integer_value(v)) : 0;
    case JSON_REAL:
        return json_real_value(v) != 0 ? 5 : 0;
    case JSON_TRUE:
        return 2;
    case JSON_ARRAY:
        json_array_foreach(v, i, item)
            n += wire_size(item, key);
        return n;
    case JSON_OBJECT:
        json_object_foreach(v, k, item) {
            if (proto_map(key))
                n += field_len(field_len(strlen(k)) + wire_size(item, NULL));
            else
                n += wire_size(item, k);
        }
        if (proto_map(key) || (key && !strcmp(key, "Mode")))
            return n;
        return field_len(n);
    default:
        return 0;
    }
}

/* The size of the CreateServiceRequest dockerd sends swarmkit for 'req';
 * the name and labels travel together as the spec's annotations. */
static int check_message_size(json_t *req, sl_error *err)
{
    size_t annotations = wire_size(json_object_get(req, "Name"), "Name") +
                         wire_size(json_object_get(req, "Labels"),
                                   "Labels");
    size_t spec = annotations ? field_len(annotations) : 0;
    const char *k;
    json_t *v;

    json_object_foreach(req, k, v) {
        if (strcmp(k, "Name") && strcmp(k, "Labels"))
            spec += wire_size(v, k);
    }
    if (field_len(spec) <= GRPC_MAX_MESSAGE)
        return 0;
    return fs_fail(err, 500, "rpc error: code = ResourceExhausted desc = "
                   "grpc: received message larger than max (%zu vs. %d)",
                   field_len(spec), GRPC_MAX_MESSAGE);
}

/* swarmkit's validation --------------------------------------------------- */

#define INVALID "rpc error: code = InvalidArgument desc = "

/* ^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$ */
static bool valid_name(const char *name)
{
    size_t i, len = strlen(name);

    if (!len || !isalnum((unsigned char)name[0]) ||
        !isalnum((unsigned char)name[len - 1]))
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '-' && c != '_')
            return false;
    }
    return true;
}

/* A rough reference check: lowercase repository, optional tag/digest. */
static bool valid_image(const char *image)
{
    const char *at = strchr(image, '@');
    const char *last_slash = strrchr(image, '/');
    const char *colon = strrchr(last_slash ? last_slash : image, ':');
    const char *end = at ? at : colon ? colon : image + strlen(image);
    const char *p;

    if (end == image)
        return false;
    for (p = image; p < end; p++) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
            !strchr("._-/:", *p))
            return false;
    }
    return true;
}

static int check_resources(json_t *res, sl_error *err)
{
    static const char *const parts[] = {"Limits", "Reservations", NULL};
    size_t i;

    for (i = 0; parts[i]; i++) {
        json_t *r = json_object_get(res, parts[i]);
        json_int_t cpu = json_integer_value(json_object_get(r, "NanoCPUs"));
        json_int_t mem = json_integer_value(json_object_get(r,
                                                            "MemoryBytes"));

        if (cpu != 0 && cpu < 1000000)
            return fs_fail(err, 400, INVALID "invalid cpu value %g: Must "
                           "be at least %g", (double)cpu / 1e9, 1e6 / 1e9);
        if (mem != 0 && mem < 4 * 1024 * 1024)
            return fs_fail(err, 400, INVALID "invalid memory value %lld: "
                           "Must be at least 4MiB", (long long)mem);
    }
    return 0;
}

static int check_endpoint(json_t *eps, sl_error *err)
{
    const char *mode = json_string_value(json_object_get(eps, "Mode"));
    json_t *ports = json_object_get(eps, "Ports");
    size_t i, j;
    json_t *p, *q;

    json_array_foreach(ports, i, p) {
        const char *pm = json_string_value(json_object_get(p,
                                                           "PublishMode"));

        if (mode && !strcmp(mode, "dnsrr") && !strcmp(pm, "ingress"))
            return fs_fail(err, 400, INVALID "EndpointSpec: port published "
                           "with ingress mode can't be used with dnsrr "
                           "mode");
        if (!json_integer_value(json_object_get(p, "PublishedPort")))
            continue;
        for (j = 0; j < i; j++) {
            q = json_array_get(ports, j);
            if (json_equal(json_object_get(p, "PublishedPort"),
                           json_object_get(q, "PublishedPort")) &&
                json_equal(json_object_get(p, "Protocol"),
                           json_object_get(q, "Protocol")))
                return fs_fail(err, 400, INVALID "EndpointSpec: duplicate "
                               "published ports provided");
        }
    }
    return 0;
}

static int check_spec(fs_cluster *cl, json_t *spec, sl_error *err)
{
    const char *name = json_string_value(json_object_get(spec, "Name"));
    json_t *tt = json_object_get(spec, "TaskTemplate");
    json_t *cs = json_object_get(tt, "ContainerSpec");
    const char *image = json_string_value(json_object_get(cs, "Image"));
    fs_network *ingress = fs_ingress(cl);
    fs_constraint *c;
    size_t n, i;
    json_t *att;
    char msg[256];

    if (!valid_name(name))
        return fs_fail(err, 400, INVALID "name must be valid as a DNS name "
                       "component");
    if (strlen(name) > 63)
        return fs_fail(err, 400, INVALID "name must be 63 characters or "
                       "fewer");
    if (check_resources(json_object_get(tt, "Resources"), err) < 0)
        return -1;
    if (fs_constraints_parse(json_object_get(json_object_get(tt,
                                                             "Placement"),
                                             "Constraints"),
                             &c, &n, msg, sizeof(msg)) < 0)
        return fs_fail(err, 500, "rpc error: code = Unknown desc = %s", msg);
    fs_constraints_free(c, n);
    if (!image || !*image)
        return fs_fail(err, 400, INVALID "ContainerSpec: image reference "
                       "must be provided");
    if (!valid_image(image))
        return fs_fail(err, 400, INVALID "ContainerSpec: \"%s\" is not a "
                       "valid repository/tag", image);
    if (check_endpoint(json_object_get(spec, "EndpointSpec"), err) < 0)
        return -1;
    json_array_foreach(json_object_get(tt, "Networks"), i, att) {
        if (ingress && !strcmp(json_string_value(json_object_get(att,
                                                                 "Target")),
                               ingress->id))
            return fs_fail(err, 400, INVALID "Service cannot be explicitly "
                           "attached to the ingress network \"%s\"",
                           ingress->name);
    }
    return 0;
}

/* A published port another service holds, as swarmkit words it. */
static int check_port_conflicts(fs_cluster *cl, json_t *spec,
                                const char *self_id, sl_error *err)
{
    json_t *mine = json_object_get(json_object_get(spec, "EndpointSpec"),
                                   "Ports");
    size_t i, j, k;
    json_t *p, *q;

    for (i = 0; json_array_size(mine) && i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];
        json_t *theirs = json_object_get(s->endpoint, "Ports");

        if (self_id && !strcmp(s->id, self_id))
            continue;
        json_array_foreach(mine, j, p) {
            json_int_t port = json_integer_value(json_object_get(
                p, "PublishedPort"));
            const char *pm = json_string_value(json_object_get(
                p, "PublishMode"));

            json_array_foreach(theirs, k, q) {
                const char *qm = json_string_value(json_object_get(
                    q, "PublishMode"));

                if (!port || port != json_integer_value(json_object_get(
                                         q, "PublishedPort")) ||
                    !json_equal(json_object_get(p, "Protocol"),
                                json_object_get(q, "Protocol")))
                    continue;
                if (!strcmp(qm, "ingress"))
                    return fs_fail(err, 400, INVALID "port '%lld' is already "
                                   "in use by service '%s' (%s) as an "
                                   "ingress port", (long long)port,
                                   service_name(s), s->id);
                if (!strcmp(pm, "ingress"))
                    return fs_fail(err, 400, INVALID "port '%lld' is already "
                                   "in use by service '%s' (%s) as a "
                                   "host-published port", (long long)port,
                                   service_name(s), s->id);
            }
        }
    }
    return 0;
}

/* Endpoints --------------------------------------------------------------- */

static const char *old_vip(json_t *old, const char *net_id)
{
    size_t i;
    json_t *vip;

    json_array_foreach(json_object_get(old, "VirtualIPs"), i, vip) {
        if (!strcmp(json_string_value(json_object_get(vip, "NetworkID")),
                    net_id))
            return json_string_value(json_object_get(vip, "Addr"));
    }
    return NULL;
}

static json_int_t old_port(json_t *old, json_t *want)
{
    size_t i;
    json_t *p;

    json_array_foreach(json_object_get(old, "Ports"), i, p) {
        if (json_equal(json_object_get(p, "TargetPort"),
                       json_object_get(want, "TargetPort")) &&
            json_equal(json_object_get(p, "Protocol"),
                       json_object_get(want, "Protocol")))
            return json_integer_value(json_object_get(p, "PublishedPort"));
    }
    return 0;
}

static bool publishes_ingress(json_t *spec)
{
    size_t i;
    json_t *p;

    json_array_foreach(json_object_get(json_object_get(spec, "EndpointSpec"),
                                       "Ports"), i, p) {
        if (!strcmp(json_string_value(json_object_get(p, "PublishMode")),
                    "ingress"))
            return true;
    }
    return false;
}

static void add_vip(json_t *vips, fs_network *nw, json_t *old)
{
    const char *addr = old_vip(old, nw->id);
    char buf[FS_ADDR_MAX];

    if (!addr) {
        fs_network_alloc(nw, buf, sizeof(buf));
        addr = buf;
    }
    json_array_append_new(vips, json_pack("{s:s, s:s}", "NetworkID", nw->id,
                                          "Addr", addr));
}

/* The Endpoint swarmkit's allocator gives 'spec': published ports and one
 * virtual IP per network, kept from 'old' where they still apply. A
 * service with nothing to allocate keeps an empty Spec. */
static json_t *allocate_endpoint(fs_cluster *cl, json_t *spec, json_t *old)
{
    json_t *eps = json_object_get(spec, "EndpointSpec");
    const char *mode = json_string_value(json_object_get(eps, "Mode"));
    json_t *ep = json_pack("{s:o}", "Spec",
                           eps ? json_deep_copy(eps) : json_object());
    json_t *ports = json_array(), *vips = json_array();
    fs_network *ingress = fs_ingress(cl);
    size_t i;
    json_t *p;

    json_array_foreach(json_object_get(eps, "Ports"), i, p) {
        json_t *o = json_deep_copy(p);
        bool ing = !strcmp(json_string_value(json_object_get(p,
                                                             "PublishMode")),
                           "ingress");

        if (ing && !json_integer_value(json_object_get(o, "PublishedPort"))) {
            json_int_t kept = old_port(old, p);

            json_object_set_new(o, "PublishedPort",
                                json_integer(kept ? kept
                                                  : cl->next_port++));
        }
        json_array_append_new(ports, o);
    }
    if (!mode || strcmp(mode, "dnsrr")) {
        if (ingress && publishes_ingress(spec))
            add_vip(vips, ingress, old);
        json_array_foreach(json_object_get(json_object_get(spec,
                                                           "TaskTemplate"),
                                           "Networks"), i, p) {
            fs_network *nw = fs_network_by_id(
                cl, json_string_value(json_object_get(p, "Target")));

            if (nw)
                add_vip(vips, nw, old);
        }
    }
    if (json_array_size(ports))
        json_object_set(ep, "Ports", ports);
    if (json_array_size(vips))
        json_object_set(ep, "VirtualIPs", vips);
    if (!json_array_size(ports) && !json_array_size(vips))
        json_object_set_new(ep, "Spec", json_object());
    json_decref(ports);
    json_decref(vips);
    return ep;
}

/* Lookup ------------------------------------------------------------------ */

/* dockerd's getService: full ID, exact name, then ID prefix. */
fs_service *fs_service_lookup(fs_cluster *cl, const char *ref,
                              sl_error *err)
{
    fs_service *found = fs_service_by_id(cl, ref);
    size_t i;
    int matches = 0, pass;

    if (found)
        return found;
    for (pass = 0; pass < 2 && !matches; pass++) {
        for (i = 0; *ref && i < cl->services.n; i++) {
            fs_service *s = cl->services.v[i];
            bool hit = pass == 0 ? !strcmp(service_name(s), ref)
                                 : !strncmp(s->id, ref, strlen(ref));

            if (hit) {
                found = s;
                matches++;
            }
        }
    }
    if (!matches)
        return fs_fail(err, 404, "service %s not found", ref), NULL;
    if (matches > 1)
        return fs_fail(err, 400, "service %s is ambiguous (%d matches "
                       "found)", ref, matches), NULL;
    return found;
}

/* Rendering --------------------------------------------------------------- */

static json_t *service_status(fs_cluster *cl, const fs_service *s)
{
    json_t *mode = json_object_get(s->spec, "Mode");
    json_int_t running = 0, desired = 0;
    bool global = json_object_get(mode, "Global") != NULL;
    size_t i;

    if (!global)
        desired = json_integer_value(json_object_get(
            json_object_get(mode, "Replicated"), "Replicas"));
    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];

        if (strcmp(t->service_id, s->id))
            continue;
        if (t->state == FS_T_RUNNING)
            running++;
        if (global && t->desired == FS_T_RUNNING)
            desired++;
    }
    return json_pack("{s:I, s:I, s:i}", "RunningTasks", running,
                     "DesiredTasks", desired, "CompletedTasks", 0);
}

static json_t *service_json(const fs_service *s, json_t *spec)
{
    json_t *out = json_pack("{s:s, s:o, s:o, s:o, s:O}", "ID", s->id,
                            "Version", fs_version_json(s->meta.version),
                            "CreatedAt", fs_time(s->meta.created),
                            "UpdatedAt", fs_time(s->meta.updated), "Spec",
                            spec);

    if (s->prev_spec)
        json_object_set(out, "PreviousSpec", s->prev_spec);
    json_object_set(out, "Endpoint", s->endpoint);
    if (s->update_status)
        json_object_set(out, "UpdateStatus", s->update_status);
    return out;
}

/* Rebuilds 'obj' with its keys in 'order' (others keep their place after). */
static void reorder(json_t *obj, const char *const *order)
{
    json_t *copy = json_copy(obj);
    const char *key;
    json_t *val;
    size_t i;

    if (!copy)
        return;
    json_object_clear(obj);
    for (i = 0; order[i]; i++) {
        if ((val = json_object_get(copy, order[i])))
            json_object_set(obj, order[i], val);
    }
    json_object_foreach(copy, key, val) {
        if (!json_object_get(obj, key))
            json_object_set(obj, key, val);
    }
    json_decref(copy);
}

static void reorder_spec(json_t *spec)
{
    static const char *const top[] = {
        "Name", "Labels", "TaskTemplate", "Mode", "UpdateConfig",
        "RollbackConfig", "Networks", "EndpointSpec", NULL};
    static const char *const task[] = {
        "ContainerSpec", "PluginSpec", "NetworkAttachmentSpec",
        "Resources", "RestartPolicy", "Placement", "Networks", "LogDriver",
        "ForceUpdate", "Runtime", NULL};
    static const char *const container[] = {
        "Image", "Labels", "Command", "Args", "Hostname", "Env", "Dir",
        "User", "Groups", "Privileges", "Init", "StopSignal", "TTY",
        "OpenStdin", "ReadOnly", "Mounts", "StopGracePeriod", "Healthcheck",
        "Hosts", "DNSConfig", "Secrets", "Configs", "Isolation", "Sysctls",
        "CapabilityAdd", "CapabilityDrop", "Ulimits", NULL};
    json_t *tt = json_object_get(spec, "TaskTemplate");

    reorder(json_object_get(tt, "ContainerSpec"), container);
    reorder(tt, task);
    reorder(spec, top);
}

static json_t *default_update_config(void)
{
    return json_pack("{s:i, s:s, s:I, s:i, s:s}", "Parallelism", 1,
                     "FailureAction", "pause", "Monitor",
                     (json_int_t)5000000000, "MaxFailureRatio", 0, "Order",
                     "stop-first");
}

/* swarmkit's defaults for the fields a spec leaves unset. */
static json_t *with_defaults(json_t *spec)
{
    json_t *out = json_deep_copy(spec);
    json_t *tt = json_object_get(out, "TaskTemplate");
    json_t *cs = json_object_get(tt, "ContainerSpec");
    json_t *rp = json_object_get(tt, "RestartPolicy");

    /* TODO: only the defaults swarmkit fills for the common fields. */
    if (!json_object_get(cs, "StopGracePeriod"))
        json_object_set_new(cs, "StopGracePeriod",
                            json_integer(10000000000));
    if (!json_object_get(cs, "DNSConfig"))
        json_object_set_new(cs, "DNSConfig", json_object());
    if (!json_object_get(tt, "Resources"))
        json_object_set_new(tt, "Resources", json_object());
    if (!rp)
        json_object_set_new(tt, "RestartPolicy",
                            json_pack("{s:s, s:I, s:i}", "Condition", "any",
                                      "Delay", (json_int_t)5000000000,
                                      "MaxAttempts", 0));
    else if (!json_object_get(rp, "Delay"))
        json_object_set_new(rp, "Delay", json_integer(5000000000));
    if (!json_object_get(tt, "Placement"))
        json_object_set_new(tt, "Placement", json_object());
    if (!json_object_get(out, "UpdateConfig"))
        json_object_set_new(out, "UpdateConfig", default_update_config());
    if (!json_object_get(out, "RollbackConfig"))
        json_object_set_new(out, "RollbackConfig", default_update_config());
    reorder(json_object_get(tt, "RestartPolicy"),
            (const char *const[]){"Condition", "Delay", "MaxAttempts",
                                  "Window", NULL});
    reorder_spec(out);
    return out;
}

/* Create ------------------------------------------------------------------ */

static bool name_taken(fs_cluster *cl, const char *name)
{
    size_t i;

    for (i = 0; i < cl->services.n; i++) {
        if (!strcasecmp(service_name(cl->services.v[i]), name))
            return true;
    }
    return false;
}

json_t *sl_fake_service_create(sl_fake_swarm *fs, int host, json_t *spec,
                               sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_service *s = NULL;
    json_t *norm;
    int64_t now;

    if (!cl)
        return NULL;
    norm = normalize_spec(fs, cl, fs_host_at(fs, host), spec, err);
    if (!norm)
        return NULL;
    if (check_message_size(spec, err) < 0 || check_spec(cl, norm, err) < 0 ||
        check_port_conflicts(cl, norm, NULL, err) < 0)
        goto fail;
    if (name_taken(cl, json_string_value(json_object_get(norm, "Name")))) {
        fs_fail(err, 409, "rpc error: code = AlreadyExists desc = name "
                "conflicts with an existing object: service %s already "
                "exists", json_string_value(json_object_get(norm, "Name")));
        goto fail;
    }
    s = calloc(1, sizeof(*s));
    if (s)
        s->rolling = json_array();
    if (!s || !s->rolling || fs_vec_push(&cl->services, s) < 0) {
        fs_service_free(s);
        fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    now = fs_now(fs);
    fs_new_id(fs, s->id);
    s->spec = norm;
    s->spec_version = 1;
    s->endpoint = allocate_endpoint(cl, norm, NULL);
    fs_meta_new(cl, &s->meta, now);
    fs_touch(cl, &s->meta, now);
    fs_converge(fs, cl);
    return json_pack("{s:s}", "ID", s->id);

fail:
    json_decref(norm);
    return NULL;
}

/* List and inspect -------------------------------------------------------- */

static bool service_matches(const fs_service *s, json_t *filters)
{
    json_t *mode = json_object_get(s->spec, "Mode");
    const char *kind = json_object_get(mode, "Global") ? "global"
                                                       : "replicated";
    json_t *v;
    bool ok;

    v = fs_filter_values(filters, "name");
    ok = fs_match_prefix(v, service_name(s));
    json_decref(v);
    v = fs_filter_values(filters, "id");
    ok = ok && fs_match_prefix(v, s->id);
    json_decref(v);
    v = fs_filter_values(filters, "label");
    ok = ok && fs_match_labels(json_object_get(s->spec, "Labels"), v);
    json_decref(v);
    v = fs_filter_values(filters, "mode");
    ok = ok && fs_match_exact(v, kind);
    json_decref(v);
    v = fs_filter_values(filters, "runtime");
    ok = ok && fs_match_exact(v, "container");
    json_decref(v);
    return ok;
}

json_t *sl_fake_services_list(sl_fake_swarm *fs, int host, json_t *filters,
                              bool status, sl_error *err)
{
    static const char *const accepted[] = {"name", "id", "label", "mode",
                                           "runtime", NULL};
    fs_cluster *cl = fs_control(fs, host, err);
    json_t *list;
    size_t i;

    if (!cl || fs_filters_check(filters, accepted, err) < 0)
        return NULL;
    list = json_array();
    for (i = 0; i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];
        json_t *obj;

        if (!service_matches(s, filters))
            continue;
        obj = service_json(s, s->spec);
        if (status)
            json_object_set_new(obj, "ServiceStatus", service_status(cl, s));
        json_array_append_new(list, obj);
    }
    fs_sort_by_id(list, "ID");
    return list;
}

json_t *sl_fake_service_inspect(sl_fake_swarm *fs, int host, const char *ref,
                                bool insert_defaults, sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_service *s = cl ? fs_service_lookup(cl, ref, err) : NULL;
    json_t *spec, *out;

    if (!s)
        return NULL;
    spec = insert_defaults ? with_defaults(s->spec) : json_incref(s->spec);
    out = service_json(s, spec);
    json_decref(spec);
    return out;
}

/* Update ------------------------------------------------------------------ */

static bool same_mode(json_t *a, json_t *b)
{
    return (json_object_get(json_object_get(a, "Mode"), "Global") != NULL) ==
           (json_object_get(json_object_get(b, "Mode"), "Global") != NULL);
}

/* Whether running tasks must be replaced: their template or endpoint
 * changed (swarmkit's IsTaskDirty). */
static bool tasks_dirty(json_t *old, json_t *next)
{
    return !json_equal(json_object_get(old, "TaskTemplate"),
                       json_object_get(next, "TaskTemplate")) ||
           !json_equal(json_object_get(old, "EndpointSpec"),
                       json_object_get(next, "EndpointSpec"));
}

static int check_update(fs_cluster *cl, fs_service *s, json_t *next,
                        uint64_t version, sl_error *err)
{
    if (check_spec(cl, next, err) < 0 ||
        check_port_conflicts(cl, next, s->id, err) < 0)
        return -1;
    if (!same_mode(s->spec, next))
        return fs_fail(err, 501, "rpc error: code = Unimplemented desc = "
                       "service mode change is not allowed");
    if (strcmp(service_name(s),
               json_string_value(json_object_get(next, "Name"))))
        return fs_fail(err, 501, "rpc error: code = Unimplemented desc = "
                       "renaming services is not supported");
    if (version != s->meta.version)
        return fs_fail(err, 500, FS_MSG_OUT_OF_SEQUENCE);
    return 0;
}

json_t *sl_fake_service_update(sl_fake_swarm *fs, int host, const char *ref,
                               uint64_t version, json_t *spec,
                               sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_service *s;
    json_t *next, *endpoint;
    int64_t now;
    bool dirty;

    if (!cl)
        return NULL;
    next = normalize_spec(fs, cl, fs_host_at(fs, host), spec, err);
    if (!next || check_message_size(spec, err) < 0) {
        json_decref(next);
        return NULL;
    }
    s = fs_service_lookup(cl, ref, err);
    if (!s || check_update(cl, s, next, version, err) < 0) {
        json_decref(next);
        return NULL;
    }
    now = fs_now(fs);
    json_decref(s->prev_spec);
    s->prev_spec = s->spec;
    s->spec = next;
    /* The manager forgets the last update's status; the updater sets a
     * new one once it starts replacing tasks, and starts over when an
     * update comes during another. */
    json_decref(s->update_status);
    s->update_status = NULL;
    dirty = tasks_dirty(s->prev_spec, next);
    if (dirty)
        s->spec_version++;
    if (dirty || s->updating) {
        s->updating = true;
        s->monitoring = false;
        s->roll_at = now;
        json_array_clear(s->rolling);
    }
    endpoint = allocate_endpoint(cl, next, s->endpoint);
    json_decref(s->endpoint);
    s->endpoint = endpoint;
    fs_touch(cl, &s->meta, now);
    fs_converge(fs, cl);
    return json_pack("{s:n}", "Warnings");
}

/* Remove ------------------------------------------------------------------ */

int sl_fake_service_remove(sl_fake_swarm *fs, int host, const char *ref,
                           sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_service *s = cl ? fs_service_lookup(cl, ref, err) : NULL;
    size_t i;

    if (!s)
        return -1;
    for (i = cl->tasks.n; i-- > 0;) {
        fs_task *t = cl->tasks.v[i];

        if (!strcmp(t->service_id, s->id)) {
            fs_vec_remove(&cl->tasks, i);
            fs_task_free(t);
        }
    }
    for (i = 0; i < cl->services.n; i++) {
        if (cl->services.v[i] == s) {
            fs_vec_remove(&cl->services, i);
            break;
        }
    }
    fs_service_free(s);
    cl->raft_index++;
    return 0;
}
