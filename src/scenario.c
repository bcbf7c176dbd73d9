/* Scenario files: the JSON, the backend, the image and the swarm's shape. */
#include "scenario_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOSTS 256
#define MIB (INT64_C(1) << 20)
#define GIB (INT64_C(1) << 30)

/* Messages and typed reads ------------------------------------------------ */

int sl__j_fail(jcx *c, const char *path, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sl_error_setv(c->err, SL_ERR_INVALID, fmt, ap);
    va_end(ap);
    if (path && *path)
        sl_error_where(c->err, "%s: %s", c->file, path);
    else
        sl_error_where(c->err, "%s", c->file);
    return -1;
}

int sl__j_nomem(jcx *c)
{
    return sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
}

static const char *type_name(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

int sl__j_expected(jcx *c, const char *path, const char *what, json_t *v)
{
    return sl__j_fail(c, path, "expected %s, got %s", what, type_name(v));
}

json_t *sl__j_member(json_t *obj, const char *key, const char *path,
                     char *sub)
{
    sl__path_key(sub, SL__PATH_MAX, path, key);
    return json_object_get(obj, key);
}

int sl__j_object(jcx *c, json_t *obj, const char *path)
{
    return json_is_object(obj) ? 0
                               : sl__j_expected(c, path, "an object", obj);
}

int sl__j_keys(jcx *c, json_t *obj, const char *path,
               const char *const *allowed)
{
    const char *key;
    json_t *v;

    if (sl__j_object(c, obj, path) < 0)
        return -1;
    json_object_foreach(obj, key, v) {
        char sub[SL__PATH_MAX];
        const char *hint;

        if (key[0] == '_' || sl__one_of(key, allowed))
            continue;
        sl__path_key(sub, sizeof(sub), path, key);
        hint = sl__suggest(key, allowed);
        if (hint)
            return sl__j_fail(c, sub, "unknown key (did you mean '%s'?)",
                              hint);
        return sl__j_fail(c, sub, "unknown key");
    }
    return 0;
}

int sl__j_string(jcx *c, json_t *v, const char *path, const char **out)
{
    if (!json_is_string(v))
        return sl__j_expected(c, path, "a string", v);
    if (!json_string_length(v))
        return sl__j_fail(c, path, "must not be empty");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return sl__j_fail(c, path, "must not contain a NUL character");
    *out = sl__pool_strdup(c->pool, json_string_value(v));
    return *out ? 0 : sl__j_nomem(c);
}

int sl__j_int(jcx *c, json_t *v, const char *path, long long min,
              long long max, long long *out)
{
    long long n;

    if (!json_is_integer(v))
        return sl__j_expected(c, path, "an integer", v);
    n = json_integer_value(v);
    if (n < min)
        return sl__j_fail(c, path, "must be at least %lld, got %lld", min, n);
    if (n > max)
        return sl__j_fail(c, path, "must be at most %lld, got %lld", max, n);
    *out = n;
    return 0;
}

int sl__j_bool(jcx *c, json_t *v, const char *path, bool *out)
{
    if (!json_is_boolean(v))
        return sl__j_expected(c, path, "a boolean", v);
    *out = json_is_true(v);
    return 0;
}

int sl__j_choice(jcx *c, json_t *v, const char *path,
                 const char *const *choices, const char **out)
{
    char list[256] = "";
    size_t used = 0;
    const char *s;
    const char *hint;

    if (!json_is_string(v))
        return sl__j_expected(c, path, "a string", v);
    s = json_string_value(v);
    for (const char *const *p = choices; *p; p++) {
        if (!strcmp(s, *p)) {
            *out = *p;
            return 0;
        }
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s'%s'",
                                 p == choices ? "" : p[1] ? ", " : " or ",
                                 *p);
        if (used >= sizeof(list))
            used = sizeof(list) - 1;
    }
    hint = sl__suggest(s, choices);
    if (hint)
        return sl__j_fail(c, path, "unknown value '%s' (did you mean "
                          "'%s'?)", s, hint);
    return sl__j_fail(c, path, "unknown value '%s' (expected %s)", s, list);
}

int sl__j_duration(jcx *c, json_t *v, const char *path, int64_t *ns)
{
    if (!json_is_string(v))
        return sl__j_expected(c, path, "a duration such as '20s'", v);
    if (sl__parse_duration(json_string_value(v), ns) < 0)
        return sl__j_fail(c, path, "invalid duration '%s' (use units such "
                          "as '20s', '250ms' or '1m30s')",
                          json_string_value(v));
    return 0;
}

int sl__j_size(jcx *c, json_t *v, const char *path, int64_t unit,
               const char *example, int64_t *out)
{
    int64_t bytes;

    if (!json_is_string(v))
        return sl__j_fail(c, path, "expected a size such as '%s', got %s",
                          example, type_name(v));
    if (sl__parse_bytes(json_string_value(v), true, &bytes) < 0)
        return sl__j_fail(c, path, "invalid size '%s' (use units such as "
                          "'%s')", json_string_value(v), example);
    if (bytes <= 0 || bytes % unit)
        return sl__j_fail(c, path, "size '%s' is not a whole number of "
                          "%s", json_string_value(v),
                          unit == GIB ? "gigabytes" : unit == MIB
                                                          ? "megabytes"
                                                          : "bytes");
    *out = bytes / unit;
    return 0;
}

int sl__j_strings(jcx *c, json_t *v, const char *path, const char ***out,
                  size_t *n)
{
    const char **arr;
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return sl__j_expected(c, path, "an array", v);
    arr = sl__pool_alloc(c->pool, json_array_size(v), sizeof(*arr));
    if (!arr)
        return sl__j_nomem(c);
    json_array_foreach(v, i, item) {
        char sub[SL__PATH_MAX];

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl__j_string(c, item, sub, &arr[i]) < 0)
            return -1;
    }
    *out = arr;
    *n = json_array_size(v);
    return 0;
}

int sl__j_labels(jcx *c, json_t *v, const char *path, sl_docker_label **out,
                 size_t *n)
{
    sl_docker_label *labels;
    const char *key;
    json_t *value;
    size_t k = 0;

    if (sl__j_object(c, v, path) < 0)
        return -1;
    labels = sl__pool_alloc(c->pool, json_object_size(v), sizeof(*labels));
    if (!labels)
        return sl__j_nomem(c);
    json_object_foreach(v, key, value) {
        char sub[SL__PATH_MAX];

        sl__path_key(sub, sizeof(sub), path, key);
        if (!json_is_string(value))
            return sl__j_expected(c, sub, "a string", value);
        labels[k].key = sl__pool_strdup(c->pool, key);
        labels[k].value = sl__pool_strdup(c->pool, json_string_value(value));
        if (!labels[k].key || !labels[k].value)
            return sl__j_nomem(c);
        k++;
    }
    sl__labels_sort(labels, k);
    *out = labels;
    *n = k;
    return 0;
}

const sl_scenario_host *sl__j_host(jcx *c, const char *name,
                                   const char *path)
{
    const sl_scenario_host *h = sl_scenario_find_host(c->sc, name);
    const char *hint;

    if (h)
        return h;
    hint = sl__suggest(name, c->host_names);
    if (hint)
        sl__j_fail(c, path, "no host '%s' in this swarm (did you mean "
                   "'%s'?)", name, hint);
    else
        sl__j_fail(c, path, "no host '%s' in this swarm", name);
    return NULL;
}

/* Backend ----------------------------------------------------------------- */

static int read_capacity(jcx *c, json_t *v, const char *path)
{
    static const char *const keys[] = {"cpus", "memory", "disk", NULL};
    sl_scenario_backend *b = &c->sc->backend;
    char sub[SL__PATH_MAX];
    long long cpus;
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if ((m = sl__j_member(v, "cpus", path, sub))) {
        if (sl__j_int(c, m, sub, 1, 100000, &cpus) < 0)
            return -1;
        b->cpus = (int)cpus;
    }
    if ((m = sl__j_member(v, "memory", path, sub)) &&
        sl__j_size(c, m, sub, MIB, "256G", &b->memory_mib) < 0)
        return -1;
    if ((m = sl__j_member(v, "disk", path, sub)) &&
        sl__j_size(c, m, sub, GIB, "4T", &b->disk_gib) < 0)
        return -1;
    return 0;
}

/* Refuses the keys of the other backends with a clear reason. */
static int backend_keys(jcx *c, json_t *v, const char *path,
                        const char *type)
{
    static const struct {
        const char *key;
        const char *backend;
    } owners[] = {{"boot_time", "fake"}, {"capacity", "fake"},
                  {"registry", "fake"}, {"uri", "libvirt"},
                  {"network", "libvirt"}, {"pool", "libvirt"}};
    static const char *const all[] = {"type", "boot_time", "capacity",
                                      "registry", "uri", "network", "pool",
                                      NULL};
    const char *key;
    json_t *m;

    json_object_foreach(v, key, m) {
        char sub[SL__PATH_MAX];

        sl__path_key(sub, sizeof(sub), path, key);
        for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
            if (!strcmp(key, owners[i].key) &&
                strcmp(type, owners[i].backend))
                return sl__j_fail(c, sub, "only for the %s backend",
                                  owners[i].backend);
        }
    }
    return sl__j_keys(c, v, path, all);
}

static int read_backend(jcx *c, json_t *v, const char *path)
{
    static const char *const types[] = {"fake", "libvirt", "netns", NULL};
    sl_scenario_backend *b = &c->sc->backend;
    char sub[SL__PATH_MAX];
    json_t *m = NULL;

    b->kind = SL_BACKEND_FAKE;
    b->name = "fake";
    if (!v)
        return 0;
    if (!json_is_string(v) && sl__j_object(c, v, path) < 0)
        return -1;
    if (json_is_object(v) && !(m = sl__j_member(v, "type", path, sub)))
        return sl__j_fail(c, path, "missing key 'type'");
    if (json_is_string(v) && sl__j_choice(c, v, path, types, &b->name) < 0)
        return -1;
    if (json_is_object(v) && (sl__j_choice(c, m, sub, types, &b->name) < 0 ||
                              backend_keys(c, v, path, b->name) < 0))
        return -1;
    b->kind = !strcmp(b->name, "fake")      ? SL_BACKEND_FAKE
              : !strcmp(b->name, "libvirt") ? SL_BACKEND_LIBVIRT
                                            : SL_BACKEND_NETNS;
    if (json_is_string(v))
        return 0;
    if ((m = sl__j_member(v, "boot_time", path, sub)) &&
        sl__j_duration(c, m, sub, &b->boot_ns) < 0)
        return -1;
    if ((m = sl__j_member(v, "capacity", path, sub)) &&
        read_capacity(c, m, sub) < 0)
        return -1;
    if ((m = sl__j_member(v, "registry", path, sub))) {
        bool reachable = true;

        if (sl__j_bool(c, m, sub, &reachable) < 0)
            return -1;
        b->no_registry = !reachable;
    }
    if ((m = sl__j_member(v, "uri", path, sub)) &&
        sl__j_string(c, m, sub, &b->uri) < 0)
        return -1;
    if ((m = sl__j_member(v, "network", path, sub)) &&
        sl__j_string(c, m, sub, &b->network) < 0)
        return -1;
    if ((m = sl__j_member(v, "pool", path, sub)) &&
        sl__j_string(c, m, sub, &b->pool) < 0)
        return -1;
    return 0;
}

/* Image ------------------------------------------------------------------- */

const char *sl__j_resolve(jcx *c, const char *rel)
{
    if (rel[0] == '/' || !c->dir[0])
        return rel;
    if (!strcmp(c->dir, "/"))
        return sl__pool_printf(c->pool, "/%s", rel);
    return sl__pool_printf(c->pool, "%s/%s", c->dir, rel);
}

static int read_image(jcx *c, json_t *v, const char *path)
{
    static const char *const keys[] = {"name", "source", "format", "os",
                                       "size", NULL};
    static const char *const formats[] = {"qcow2", "raw", NULL};
    static const char *const oses[] = {"linux", "windows", NULL};
    sl_hv_image_spec *img = &c->sc->image;
    char sub[SL__PATH_MAX];
    const char *source;
    json_t *m;

    if (!v)
        return 0;
    if (json_is_string(v))
        return sl__j_string(c, v, path, &img->name);
    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if ((m = sl__j_member(v, "name", path, sub)) &&
        sl__j_string(c, m, sub, &img->name) < 0)
        return -1;
    if ((m = sl__j_member(v, "source", path, sub))) {
        if (sl__j_string(c, m, sub, &source) < 0)
            return -1;
        if (!(img->source = sl__j_resolve(c, source)))
            return sl__j_nomem(c);
    }
    if ((m = sl__j_member(v, "format", path, sub)) &&
        sl__j_choice(c, m, sub, formats, &img->format) < 0)
        return -1;
    if ((m = sl__j_member(v, "os", path, sub)) &&
        sl__j_choice(c, m, sub, oses, &img->os) < 0)
        return -1;
    if ((m = sl__j_member(v, "size", path, sub)) &&
        sl__j_size(c, m, sub, GIB, "20G", &img->size_gib) < 0)
        return -1;
    return 0;
}

/* The swarm --------------------------------------------------------------- */

/* What a role and a listed host share. */
typedef struct host_shape {
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
    const char *os;
    sl_docker_label *labels;
    size_t n_labels;
    int64_t boot_ns;
} host_shape;

static int read_boot_time(jcx *c, json_t *v, const char *path, int64_t *ns)
{
    if (c->sc->backend.kind != SL_BACKEND_FAKE)
        return sl__j_fail(c, path, "only the fake backend simulates boot "
                          "times");
    if (sl__j_duration(c, v, path, ns) < 0)
        return -1;
    if (*ns <= 0)
        return sl__j_fail(c, path, "must be longer than zero");
    return 0;
}

static int read_shape(jcx *c, json_t *v, const char *path, host_shape *s)
{
    static const char *const oses[] = {"linux", "windows", NULL};
    char sub[SL__PATH_MAX];
    long long cpus;
    json_t *m;

    if ((m = sl__j_member(v, "cpus", path, sub))) {
        if (sl__j_int(c, m, sub, 1, 1024, &cpus) < 0)
            return -1;
        s->cpus = (int)cpus;
    }
    if ((m = sl__j_member(v, "memory", path, sub)) &&
        sl__j_size(c, m, sub, MIB, "2G", &s->memory_mib) < 0)
        return -1;
    if ((m = sl__j_member(v, "disk", path, sub)) &&
        sl__j_size(c, m, sub, GIB, "20G", &s->disk_gib) < 0)
        return -1;
    if ((m = sl__j_member(v, "os", path, sub)) &&
        sl__j_choice(c, m, sub, oses, &s->os) < 0)
        return -1;
    if ((m = sl__j_member(v, "labels", path, sub)) &&
        sl__j_labels(c, m, sub, &s->labels, &s->n_labels) < 0)
        return -1;
    if ((m = sl__j_member(v, "boot_time", path, sub)) &&
        read_boot_time(c, m, sub, &s->boot_ns) < 0)
        return -1;
    return 0;
}

static int read_role(jcx *c, json_t *v, const char *path, int fallback,
                     sl_role_spec *role, int64_t *boot_ns)
{
    static const char *const keys[] = {"count", "cpus", "memory", "disk",
                                       "os", "labels", "boot_time", NULL};
    host_shape s = {0};
    char sub[SL__PATH_MAX];
    long long count = fallback;
    json_t *m;

    if (v) {
        if (sl__j_keys(c, v, path, keys) < 0 || read_shape(c, v, path, &s) < 0)
            return -1;
        if ((m = sl__j_member(v, "count", path, sub)) &&
            sl__j_int(c, m, sub, 0, MAX_HOSTS, &count) < 0)
            return -1;
    }
    role->count = (int)count;
    role->cpus = s.cpus;
    role->memory_mib = s.memory_mib;
    role->disk_gib = s.disk_gib;
    role->os = s.os;
    role->labels = s.labels;
    role->n_labels = s.n_labels;
    *boot_ns = s.boot_ns;
    return 0;
}

static int read_host(jcx *c, json_t *v, const char *path, sl_host_extra *x,
                     int64_t *boot_ns)
{
    static const char *const keys[] = {"name", "role", "cpus", "memory",
                                       "disk", "os", "labels", "boot_time",
                                       NULL};
    static const char *const roles[] = {"manager", "worker", NULL};
    host_shape s = {0};
    char sub[SL__PATH_MAX];
    const char *role = "worker";
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0 || read_shape(c, v, path, &s) < 0)
        return -1;
    if (!(m = sl__j_member(v, "name", path, sub)))
        return sl__j_fail(c, path, "missing key 'name'");
    if (sl__j_string(c, m, sub, &x->name) < 0)
        return -1;
    if (!sl__valid_host_name(x->name))
        return sl__j_fail(c, sub, "invalid host name '%s': use letters, "
                          "digits and '-', at most 63", x->name);
    if ((m = sl__j_member(v, "role", path, sub)) &&
        sl__j_choice(c, m, sub, roles, &role) < 0)
        return -1;
    x->manager = !strcmp(role, "manager");
    x->cpus = s.cpus;
    x->memory_mib = s.memory_mib;
    x->disk_gib = s.disk_gib;
    x->os = s.os;
    x->labels = s.labels;
    x->n_labels = s.n_labels;
    *boot_ns = s.boot_ns;
    return 0;
}

/* The counted hosts' names, as the pipeline makes them. */
static bool counted_name(const sl_scenario *sc, const char *name)
{
    const char *prefix = sc->prefix ? sc->prefix : SL_DEFAULT_PREFIX;
    size_t len = strlen(prefix);
    int count;
    char *end;
    long n;

    if (strncmp(name, prefix, len) || name[len] != '-')
        return false;
    if (!strncmp(name + len + 1, "mngr-", 5))
        count = sc->managers.count;
    else if (!strncmp(name + len + 1, "wrkr-", 5))
        count = sc->workers.count;
    else
        return false;
    n = strtol(name + len + 6, &end, 10);
    return !*end && end != name + len + 6 && n >= 0 && n < count;
}

static int read_hosts(jcx *c, json_t *v, const char *path,
                      int64_t **boot_ns)
{
    sl_host_extra *extras;
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return sl__j_expected(c, path, "an array", v);
    extras = sl__pool_alloc(c->pool, json_array_size(v), sizeof(*extras));
    *boot_ns = sl__pool_alloc(c->pool, json_array_size(v), sizeof(**boot_ns));
    if (!extras || !*boot_ns)
        return sl__j_nomem(c);
    json_array_foreach(v, i, item) {
        char sub[SL__PATH_MAX];
        char name_path[SL__PATH_MAX];

        sl__path_index(sub, sizeof(sub), path, i);
        if (read_host(c, item, sub, &extras[i], &(*boot_ns)[i]) < 0)
            return -1;
        sl__path_key(name_path, sizeof(name_path), sub, "name");
        for (size_t k = 0; k < i; k++) {
            if (!strcmp(extras[k].name, extras[i].name))
                return sl__j_fail(c, name_path, "host '%s' is listed "
                                  "twice", extras[i].name);
        }
        if (counted_name(c->sc, extras[i].name))
            return sl__j_fail(c, name_path, "'%s' is the name of a counted "
                              "host", extras[i].name);
    }
    c->sc->extras = extras;
    c->sc->n_extras = json_array_size(v);
    return 0;
}

/* Plans the hosts as the pipeline will, with each one's boot time. */
static int plan_hosts(jcx *c, const int64_t *extra_boot_ns)
{
    sl_scenario *sc = c->sc;
    sl_pipeline_spec spec;
    sl_host_plan *plan;
    sl_scenario_host *hosts;
    size_t n = 0;
    sl_error why;

    sl_scenario_pipeline_spec(sc, &spec);
    plan = sl_pipeline_plan(&spec, &n, &why);
    if (!plan)
        return sl__j_fail(c, "swarm", "%s", why.message);
    hosts = sl__pool_alloc(c->pool, n, sizeof(*hosts));
    c->host_names = sl__pool_alloc(c->pool, n + 1, sizeof(*c->host_names));
    if (!hosts || !c->host_names) {
        free(plan);
        return sl__j_nomem(c);
    }
    for (size_t i = 0; i < n; i++) {
        hosts[i].name = sl__pool_strdup(c->pool, plan[i].name);
        hosts[i].manager = plan[i].manager;
        hosts[i].cpus = plan[i].cpus;
        hosts[i].memory_mib = plan[i].memory_mib;
        hosts[i].disk_gib = plan[i].disk_gib;
        hosts[i].os = plan[i].os;
        hosts[i].labels = plan[i].labels;
        hosts[i].n_labels = plan[i].n_labels;
        hosts[i].boot_ns = c->role_boot_ns[plan[i].manager ? 0 : 1];
        for (size_t k = 0; k < sc->n_extras; k++) {
            if (!strcmp(sc->extras[k].name, plan[i].name))
                hosts[i].boot_ns = extra_boot_ns[k];
        }
        c->host_names[i] = hosts[i].name;
        if (!hosts[i].name) {
            free(plan);
            return sl__j_nomem(c);
        }
    }
    free(plan);
    sc->hosts = hosts;
    sc->n_hosts = n;
    return 0;
}

/* boot_times: {"n2d-wrkr-2": "45s"} */
static int read_boot_times(jcx *c, json_t *v, const char *path)
{
    const char *key;
    json_t *m;

    if (sl__j_object(c, v, path) < 0)
        return -1;
    json_object_foreach(v, key, m) {
        char sub[SL__PATH_MAX];
        const sl_scenario_host *h;
        int64_t ns;

        sl__path_key(sub, sizeof(sub), path, key);
        if (!(h = sl__j_host(c, key, sub)) ||
            read_boot_time(c, m, sub, &ns) < 0)
            return -1;
        ((sl_scenario_host *)h)->boot_ns = ns;
    }
    return 0;
}

static int read_swarm_tuning(jcx *c, json_t *v, const char *path)
{
    char sub[SL__PATH_MAX];
    long long n;
    json_t *m;

    if ((m = sl__j_member(v, "prefix", path, sub))) {
        if (sl__j_string(c, m, sub, &c->sc->prefix) < 0)
            return -1;
        if (!sl__valid_host_name(c->sc->prefix) ||
            strlen(c->sc->prefix) > 50)
            return sl__j_fail(c, sub, "invalid prefix '%s': use letters, "
                              "digits and '-', at most 50",
                              c->sc->prefix);
    }
    if ((m = sl__j_member(v, "parallel", path, sub))) {
        if (sl__j_int(c, m, sub, 1, MAX_HOSTS, &n) < 0)
            return -1;
        c->sc->parallel = (int)n;
    }
    if ((m = sl__j_member(v, "boot_retries", path, sub))) {
        if (sl__j_int(c, m, sub, 0, 100, &n) < 0)
            return -1;
        c->sc->boot_retries = n ? (int)n : -1;
    }
    return 0;
}

static int read_swarm(jcx *c, json_t *v, const char *path)
{
    static const char *const keys[] = {"prefix", "managers", "workers",
                                       "hosts", "boot_times", "parallel",
                                       "boot_retries", NULL};
    sl_scenario *sc = c->sc;
    char sub[SL__PATH_MAX];
    int64_t *extra_boot_ns = NULL;
    bool listed_manager = false;
    json_t *m;

    if (!v)
        return sl__j_fail(c, "", "missing key 'swarm'");
    if (sl__j_keys(c, v, path, keys) < 0 ||
        read_swarm_tuning(c, v, path) < 0)
        return -1;
    if (read_role(c, sl__j_member(v, "managers", path, sub), sub,
                  SL_DEFAULT_MANAGERS, &sc->managers,
                  &c->role_boot_ns[0]) < 0 ||
        read_role(c, sl__j_member(v, "workers", path, sub), sub,
                  SL_DEFAULT_WORKERS, &sc->workers,
                  &c->role_boot_ns[1]) < 0)
        return -1;
    if ((m = sl__j_member(v, "hosts", path, sub)) &&
        read_hosts(c, m, sub, &extra_boot_ns) < 0)
        return -1;
    for (size_t i = 0; i < sc->n_extras; i++)
        listed_manager = listed_manager || sc->extras[i].manager;
    if (sc->managers.count == 0 && !listed_manager)
        return sl__j_fail(c, "swarm.managers.count",
                          "a swarm needs at least one manager");
    if ((size_t)sc->managers.count + (size_t)sc->workers.count +
            sc->n_extras > MAX_HOSTS)
        return sl__j_fail(c, path, "at most %d hosts", MAX_HOSTS);
    if (plan_hosts(c, extra_boot_ns) < 0)
        return -1;
    if ((m = sl__j_member(v, "boot_times", path, sub)) &&
        read_boot_times(c, m, sub) < 0)
        return -1;
    return 0;
}

static int read_timeouts(jcx *c, json_t *v, const char *path)
{
    static const char *const keys[] = {"boot", "address", "docker",
                                       "converge", NULL};
    int64_t *outs[] = {&c->sc->boot_timeout_ns, &c->sc->address_timeout_ns,
                       &c->sc->docker_timeout_ns,
                       &c->sc->converge_timeout_ns};

    if (!v)
        return 0;
    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    for (size_t i = 0; keys[i]; i++) {
        char sub[SL__PATH_MAX];
        json_t *m = sl__j_member(v, keys[i], path, sub);

        if (!m)
            continue;
        if (sl__j_duration(c, m, sub, outs[i]) < 0)
            return -1;
        if (*outs[i] <= 0)
            return sl__j_fail(c, sub, "must be longer than zero");
    }
    return 0;
}

/* The document ------------------------------------------------------------ */

static int read_head(jcx *c, json_t *root)
{
    sl_scenario *sc = c->sc;
    char sub[SL__PATH_MAX];
    long long seed;
    json_t *m;

    if ((m = sl__j_member(root, "name", "", sub)) &&
        sl__j_string(c, m, sub, &sc->name) < 0)
        return -1;
    if (!sc->name) {
        const char *base = strrchr(c->file, '/');
        const char *dot;

        base = base ? base + 1 : c->file;
        dot = strrchr(base, '.');
        sc->name = sl__pool_strndup(c->pool, base,
                                    dot && dot != base ? (size_t)(dot - base)
                                                       : strlen(base));
        if (!sc->name)
            return sl__j_nomem(c);
    }
    if ((m = sl__j_member(root, "description", "", sub)) &&
        sl__j_string(c, m, sub, &sc->description) < 0)
        return -1;
    if ((m = sl__j_member(root, "seed", "", sub))) {
        if (sl__j_int(c, m, sub, 0, INT64_MAX, &seed) < 0)
            return -1;
        sc->seed = (uint64_t)seed;
    }
    return 0;
}

static int read_root(jcx *c, json_t *root)
{
    static const char *const keys[] = {"name", "description", "seed",
                                       "backend", "image", "swarm",
                                       "timeouts", "deploy", "faults",
                                       "expect", NULL};
    char sub[SL__PATH_MAX];

    if (!json_is_object(root))
        return sl__j_expected(c, "", "an object", root);
    if (sl__j_keys(c, root, "", keys) < 0 || read_head(c, root) < 0)
        return -1;
    if (read_backend(c, sl__j_member(root, "backend", "", sub), sub) < 0 ||
        read_image(c, sl__j_member(root, "image", "", sub), sub) < 0 ||
        read_swarm(c, sl__j_member(root, "swarm", "", sub), sub) < 0 ||
        read_timeouts(c, sl__j_member(root, "timeouts", "", sub), sub) < 0)
        return -1;
    if (sl__j_deploy(c, sl__j_member(root, "deploy", "", sub), sub) < 0 ||
        sl__j_faults(c, sl__j_member(root, "faults", "", sub), sub) < 0 ||
        sl__j_expect(c, sl__j_member(root, "expect", "", sub), sub) < 0)
        return -1;
    return c->sc->strict_placement ? sl__j_check_placement(c) : 0;
}

/* Loading ----------------------------------------------------------------- */

static sl_scenario *scenario_new(const char *file, jcx *c, sl_error *err)
{
    sl__pool *pool = sl__pool_new();
    sl_scenario *sc = pool ? sl__pool_alloc(pool, 1, sizeof(*sc)) : NULL;
    const char *slash = strrchr(file, '/');

    if (!sc) {
        sl__pool_free(pool);
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sc->pool = pool;
    sc->file = sl__pool_strdup(pool, file);
    memset(c, 0, sizeof(*c));
    c->sc = sc;
    c->pool = pool;
    c->err = err;
    c->file = sc->file;
    c->dir = slash ? sl__pool_strndup(pool, file, (size_t)(slash - file))
                   : "";
    if (!sc->file || !c->dir) {
        sl_scenario_free(sc);
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (slash == file)
        c->dir = "/";
    return sc;
}

sl_scenario *sl_scenario_parse(const char *text, size_t len,
                               const char *file, sl_error *err)
{
    json_error_t jerr;
    json_t *root;
    sl_scenario *sc;
    jcx c;

    if (!file)
        file = "scenario";
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        sl_error_set(err, SL_ERR_INVALID, "%s", jerr.text);
        sl_error_where(err, "%s:%d:%d", file, jerr.line,
                       jerr.column > 0 ? jerr.column : 1);
        return NULL;
    }
    sc = scenario_new(file, &c, err);
    if (sc && read_root(&c, root) < 0) {
        sl_scenario_free(sc);
        sc = NULL;
    }
    json_decref(root);
    return sc;
}

sl_scenario *sl_scenario_load(const char *path, sl_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sl_scenario *sc;

    if (sl__read_file(path, &text, &len, err) < 0)
        return NULL;
    sc = sl_scenario_parse(text, len, path, err);
    free(text);
    return sc;
}

void sl_scenario_free(sl_scenario *sc)
{
    if (!sc)
        return;
    sl_stack_free(sc->services);
    sl_stack_free(sc->compose);
    sl__pool_free(sc->pool);
}

/* For the runner ---------------------------------------------------------- */

void sl_scenario_pipeline_spec(const sl_scenario *sc, sl_pipeline_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->prefix = sc->prefix;
    spec->managers = sc->managers;
    spec->workers = sc->workers;
    spec->extras = sc->extras;
    spec->n_extras = sc->n_extras;
    spec->network = sc->backend.network;
    spec->image = sc->image;
    spec->parallel = sc->parallel;
    spec->boot_retries = sc->boot_retries;
    spec->boot_timeout_ns = sc->boot_timeout_ns;
    spec->address_timeout_ns = sc->address_timeout_ns;
    spec->docker_timeout_ns = sc->docker_timeout_ns;
}

void sl_scenario_hv_options(const sl_scenario *sc, sl_hv_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->uri = sc->backend.uri;
    opts->pool = sc->backend.pool;
    opts->seed = sc->seed;
}

const sl_scenario_host *sl_scenario_find_host(const sl_scenario *sc,
                                              const char *name)
{
    for (size_t i = 0; name && i < sc->n_hosts; i++) {
        if (!strcmp(sc->hosts[i].name, name))
            return &sc->hosts[i];
    }
    return NULL;
}

const sl_stack_service *sl_scenario_find_service(const sl_scenario *sc,
                                                 const char *name)
{
    const sl_stack_service *s = NULL;

    for (size_t i = 0; sc->services && i < sc->services->n_services; i++) {
        if (!strcmp(sc->services->services[i].def.name, name))
            return &sc->services->services[i];
    }
    if (sc->compose)
        s = sl_stack_find_service(sc->compose, name);
    return s;
}

size_t sl_scenario_stacks(const sl_scenario *sc, const sl_stack *out[2])
{
    size_t n = 0;

    if (sc->services)
        out[n++] = sc->services;
    if (sc->compose)
        out[n++] = sc->compose;
    return n;
}

const char *sl_moment_name(sl_moment m)
{
    switch (m) {
    case SL_MOMENT_DURING_BOOT: return "during-boot";
    case SL_MOMENT_AFTER_SWARM: return "after-swarm";
    case SL_MOMENT_AFTER_DEPLOY: return "after-deploy";
    }
    return "?";
}

const char *sl_fault_kind_name(sl_fault_kind k)
{
    switch (k) {
    case SL_FAULT_BOOT_FAILURE: return "boot-failure";
    case SL_FAULT_POWER_LOSS: return "power-loss";
    case SL_FAULT_DAEMON_STOPS_ANSWERING: return "daemon-stops-answering";
    case SL_FAULT_SLOW_API: return "slow-api";
    case SL_FAULT_NETWORK_PARTITION: return "network-partition";
    case SL_FAULT_DRAIN: return "drain";
    case SL_FAULT_SCALE: return "scale";
    case SL_FAULT_UPDATE: return "update";
    case SL_FAULT_JOIN_WITH_WRONG_TOKEN: return "join-with-wrong-token";
    case SL_FAULT_WAIT: return "wait";
    }
    return "?";
}

const char *sl_step_name(sl_step s)
{
    switch (s) {
    case SL_STEP_NONE: return "none";
    case SL_STEP_BUILD: return "build";
    case SL_STEP_DEPLOY: return "deploy";
    }
    return "?";
}
