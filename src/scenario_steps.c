/* Scenario faults, steps and expectations, checked against the swarm. */
#include "scenario_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DURING_BOOT (1u << SL_MOMENT_DURING_BOOT)
#define AFTER_SWARM (1u << SL_MOMENT_AFTER_SWARM)
#define AFTER_DEPLOY (1u << SL_MOMENT_AFTER_DEPLOY)
#define ANY_MOMENT (DURING_BOOT | AFTER_SWARM | AFTER_DEPLOY)

/* What each kind takes besides kind, at, after and fails_with. */
static const struct kind_info {
    const char *name;
    sl_fault_kind kind;
    unsigned moments;
    const char *const keys[4];
} kinds[] = {
    {"boot-failure", SL_FAULT_BOOT_FAILURE, DURING_BOOT,
     {"host", "times", "always", NULL}},
    {"power-loss", SL_FAULT_POWER_LOSS, ANY_MOMENT, {"host", NULL}},
    {"daemon-stops-answering", SL_FAULT_DAEMON_STOPS_ANSWERING, ANY_MOMENT,
     {"host", NULL}},
    {"slow-api", SL_FAULT_SLOW_API, ANY_MOMENT, {"host", "delay", NULL}},
    {"network-partition", SL_FAULT_NETWORK_PARTITION,
     AFTER_SWARM | AFTER_DEPLOY, {"between", NULL}},
    {"drain", SL_FAULT_DRAIN, AFTER_SWARM | AFTER_DEPLOY, {"node", NULL}},
    {"scale", SL_FAULT_SCALE, AFTER_DEPLOY, {"service", "replicas", NULL}},
    {"update", SL_FAULT_UPDATE, AFTER_DEPLOY,
     {"service", "image", "env", NULL}},
    {"join-with-wrong-token", SL_FAULT_JOIN_WITH_WRONG_TOKEN,
     AFTER_SWARM | AFTER_DEPLOY, {"host", "as", NULL}},
    {"wait", SL_FAULT_WAIT, AFTER_SWARM | AFTER_DEPLOY, {"duration", NULL}},
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const common_keys[] = {"kind", "at", "after",
                                          "fails_with", NULL};

/* Keys -------------------------------------------------------------------- */

static bool kind_has_key(const struct kind_info *k, const char *key)
{
    return sl__one_of(key, common_keys) || sl__one_of(key, k->keys);
}

/* Refuses keys 'k' does not take, naming the kind when another takes it. */
static int fault_keys(jcx *c, json_t *v, const char *path,
                      const struct kind_info *k)
{
    const char *allowed[12];
    size_t n = 0;
    const char *key;
    json_t *m;

    for (size_t i = 0; common_keys[i]; i++)
        allowed[n++] = common_keys[i];
    for (size_t i = 0; k->keys[i]; i++)
        allowed[n++] = k->keys[i];
    allowed[n] = NULL;
    json_object_foreach(v, key, m) {
        char sub[SL__PATH_MAX];

        if (key[0] == '_' || kind_has_key(k, key))
            continue;
        sl__path_key(sub, sizeof(sub), path, key);
        for (size_t i = 0; i < N_KINDS; i++) {
            if (sl__one_of(key, kinds[i].keys))
                return sl__j_fail(c, sub, "'%s' does not apply to '%s'",
                                  key, k->name);
        }
        return sl__j_keys(c, v, path, allowed);
    }
    return 0;
}

static const struct kind_info *read_kind(jcx *c, json_t *v, const char *path)
{
    const char *names[N_KINDS + 1];
    const char *name;
    char sub[SL__PATH_MAX];
    json_t *m;

    for (size_t i = 0; i < N_KINDS; i++)
        names[i] = kinds[i].name;
    names[N_KINDS] = NULL;
    if (!(m = sl__j_member(v, "kind", path, sub))) {
        sl__j_fail(c, path, "missing key 'kind'");
        return NULL;
    }
    if (sl__j_choice(c, m, sub, names, &name) < 0)
        return NULL;
    for (size_t i = 0; i < N_KINDS; i++) {
        if (!strcmp(kinds[i].name, name))
            return &kinds[i];
    }
    return NULL;
}

static int read_moment(jcx *c, json_t *v, const char *path,
                       const struct kind_info *k, sl_scenario_fault *f)
{
    static const char *const moments[] = {"during-boot", "after-swarm",
                                          "after-deploy", NULL};
    char sub[SL__PATH_MAX];
    char allowed[80] = "";
    const char *at;
    json_t *m;

    if (!(m = sl__j_member(v, "at", path, sub)))
        return sl__j_fail(c, path, "missing key 'at'");
    if (sl__j_choice(c, m, sub, moments, &at) < 0)
        return -1;
    f->at = !strcmp(at, "during-boot")   ? SL_MOMENT_DURING_BOOT
            : !strcmp(at, "after-swarm") ? SL_MOMENT_AFTER_SWARM
                                         : SL_MOMENT_AFTER_DEPLOY;
    if (!(k->moments & (1u << f->at))) {
        for (int i = 0; i < 3; i++) {
            if (k->moments & (1u << i))
                snprintf(allowed + strlen(allowed),
                         sizeof(allowed) - strlen(allowed), "%s%s",
                         allowed[0] ? " or " : "", moments[i]);
        }
        return sl__j_fail(c, sub, "'%s' cannot happen %s (use %s)", k->name,
                          at, allowed);
    }
    if (f->at == SL_MOMENT_AFTER_DEPLOY && !c->service_names[0])
        return sl__j_fail(c, sub, "nothing is deployed (use after-swarm)");
    return 0;
}

/* References -------------------------------------------------------------- */

static int read_host_ref(jcx *c, json_t *v, const char *key,
                         const char *path, const char **out)
{
    char sub[SL__PATH_MAX];
    const sl_scenario_host *h;
    const char *name;
    json_t *m;

    if (!(m = sl__j_member(v, key, path, sub)))
        return sl__j_fail(c, path, "missing key '%s'", key);
    if (sl__j_string(c, m, sub, &name) < 0 || !(h = sl__j_host(c, name, sub)))
        return -1;
    *out = h->name;
    return 0;
}

static const sl_stack_service *find_service(jcx *c, json_t *v,
                                            const char *path)
{
    const sl_stack_service *s;
    const char *name;
    const char *hint;

    if (sl__j_string(c, v, path, &name) < 0)
        return NULL;
    if ((s = sl_scenario_find_service(c->sc, name)))
        return s;
    hint = sl__suggest(name, c->service_names);
    if (hint)
        sl__j_fail(c, path, "no service '%s' is deployed (did you mean "
                   "'%s'?)", name, hint);
    else
        sl__j_fail(c, path, "no service '%s' is deployed", name);
    return NULL;
}

static int read_service_ref(jcx *c, json_t *v, const char *path,
                            const sl_stack_service **out)
{
    char sub[SL__PATH_MAX];
    json_t *m;

    if (!(m = sl__j_member(v, "service", path, sub)))
        return sl__j_fail(c, path, "missing key 'service'");
    *out = find_service(c, m, sub);
    return *out ? 0 : -1;
}

/* Kinds ------------------------------------------------------------------- */

static int read_boot_failure(jcx *c, json_t *v, const char *path,
                             sl_scenario_fault *f)
{
    char sub[SL__PATH_MAX];
    bool always = false;
    long long times = 1;
    json_t *m;
    json_t *t;

    t = sl__j_member(v, "times", path, sub);
    if (t && sl__j_int(c, t, sub, 1, 1000, &times) < 0)
        return -1;
    if ((m = sl__j_member(v, "always", path, sub))) {
        if (sl__j_bool(c, m, sub, &always) < 0)
            return -1;
        if (t)
            return sl__j_fail(c, sub, "give either 'times' or 'always'");
    }
    f->times = always ? -1 : (int)times;
    return 0;
}

/* between: [["n2d-mngr-0"], ["n2d-wrkr-0", "n2d-wrkr-1"]] */
static int read_partition(jcx *c, json_t *v, const char *path,
                          sl_scenario_fault *f)
{
    char sub[SL__PATH_MAX];
    sl_host_group *groups;
    json_t *m;
    json_t *group;
    size_t i;

    if (!(m = sl__j_member(v, "between", path, sub)))
        return sl__j_fail(c, path, "missing key 'between'");
    if (!json_is_array(m))
        return sl__j_expected(c, sub, "an array of host groups", m);
    if (json_array_size(m) < 2)
        return sl__j_fail(c, sub, "a partition needs two groups or more");
    groups = sl__pool_alloc(c->pool, json_array_size(m), sizeof(*groups));
    if (!groups)
        return sl__j_nomem(c);
    json_array_foreach(m, i, group) {
        char gpath[SL__PATH_MAX];
        const char **hosts;
        size_t n;

        sl__path_index(gpath, sizeof(gpath), sub, i);
        if (sl__j_strings(c, group, gpath, &hosts, &n) < 0)
            return -1;
        if (!n)
            return sl__j_fail(c, gpath, "a group needs a host");
        for (size_t h = 0; h < n; h++) {
            char hpath[SL__PATH_MAX];
            const sl_scenario_host *host;

            sl__path_index(hpath, sizeof(hpath), gpath, h);
            if (!(host = sl__j_host(c, hosts[h], hpath)))
                return -1;
            hosts[h] = host->name;
            for (size_t g = 0; g < i; g++) {
                for (size_t k = 0; k < groups[g].n_hosts; k++) {
                    if (!strcmp(groups[g].hosts[k], hosts[h]))
                        return sl__j_fail(c, hpath, "'%s' is in two groups",
                                          hosts[h]);
                }
            }
        }
        groups[i].hosts = hosts;
        groups[i].n_hosts = n;
    }
    f->groups = groups;
    f->n_groups = json_array_size(m);
    return 0;
}

static int read_scale(jcx *c, json_t *v, const char *path,
                      sl_scenario_fault *f)
{
    const sl_stack_service *s;
    char sub[SL__PATH_MAX];
    long long n;
    json_t *m;

    if (read_service_ref(c, v, path, &s) < 0)
        return -1;
    f->service = s->def.name;
    if (s->def.global)
        return sl__j_fail(c, path, "cannot scale global service '%s'",
                          s->def.name);
    if (!(m = sl__j_member(v, "replicas", path, sub)))
        return sl__j_fail(c, path, "missing key 'replicas'");
    if (sl__j_int(c, m, sub, 0, 100000, &n) < 0)
        return -1;
    f->replicas = (uint64_t)n;
    return 0;
}

static int read_update(jcx *c, json_t *v, const char *path,
                       sl_scenario_fault *f)
{
    const sl_stack_service *s;
    const char **env;
    char sub[SL__PATH_MAX];
    json_t *m;

    if (read_service_ref(c, v, path, &s) < 0)
        return -1;
    f->service = s->def.name;
    if ((m = sl__j_member(v, "image", path, sub)) &&
        sl__j_string(c, m, sub, &f->image) < 0)
        return -1;
    if ((m = sl__j_member(v, "env", path, sub))) {
        sl_docker_label *vars;
        size_t n;

        if (sl__j_labels(c, m, sub, &vars, &n) < 0)
            return -1;
        env = sl__pool_alloc(c->pool, n, sizeof(*env));
        if (!env)
            return sl__j_nomem(c);
        for (size_t i = 0; i < n; i++) {
            env[i] = sl__pool_printf(c->pool, "%s=%s", vars[i].key,
                                     vars[i].value);
            if (!env[i])
                return sl__j_nomem(c);
        }
        f->env = env;
        f->n_env = n;
    }
    if (!f->image && !f->n_env)
        return sl__j_fail(c, path, "an update needs 'image' or 'env'");
    return 0;
}

static int read_positive_duration(jcx *c, json_t *v, const char *key,
                                  const char *path, int64_t *ns)
{
    char sub[SL__PATH_MAX];
    json_t *m;

    if (!(m = sl__j_member(v, key, path, sub)))
        return sl__j_fail(c, path, "missing key '%s'", key);
    if (sl__j_duration(c, m, sub, ns) < 0)
        return -1;
    if (*ns <= 0)
        return sl__j_fail(c, sub, "must be longer than zero");
    return 0;
}

static int read_join(jcx *c, json_t *v, const char *path,
                     sl_scenario_fault *f)
{
    static const char *const roles[] = {"worker", "manager", NULL};
    char sub[SL__PATH_MAX];
    const char *as = "worker";
    json_t *m;

    if (read_host_ref(c, v, "host", path, &f->host) < 0)
        return -1;
    if ((m = sl__j_member(v, "as", path, sub)) &&
        sl__j_choice(c, m, sub, roles, &as) < 0)
        return -1;
    f->as_manager = !strcmp(as, "manager");
    f->must_fail = true;
    return 0;
}

static int read_kind_fields(jcx *c, json_t *v, const char *path,
                            sl_scenario_fault *f)
{
    switch (f->kind) {
    case SL_FAULT_BOOT_FAILURE:
        return read_host_ref(c, v, "host", path, &f->host) < 0
                   ? -1
                   : read_boot_failure(c, v, path, f);
    case SL_FAULT_POWER_LOSS:
    case SL_FAULT_DAEMON_STOPS_ANSWERING:
        return read_host_ref(c, v, "host", path, &f->host);
    case SL_FAULT_SLOW_API:
        return read_host_ref(c, v, "host", path, &f->host) < 0
                   ? -1
                   : read_positive_duration(c, v, "delay", path,
                                            &f->duration_ns);
    case SL_FAULT_NETWORK_PARTITION:
        return read_partition(c, v, path, f);
    case SL_FAULT_DRAIN:
        return read_host_ref(c, v, "node", path, &f->host);
    case SL_FAULT_SCALE:
        return read_scale(c, v, path, f);
    case SL_FAULT_UPDATE:
        return read_update(c, v, path, f);
    case SL_FAULT_JOIN_WITH_WRONG_TOKEN:
        return read_join(c, v, path, f);
    case SL_FAULT_WAIT:
        return read_positive_duration(c, v, "duration", path,
                                      &f->duration_ns);
    }
    return 0;
}

static int read_fault(jcx *c, json_t *v, const char *path,
                      sl_scenario_fault *f)
{
    const struct kind_info *k;
    char sub[SL__PATH_MAX];
    json_t *m;

    if (sl__j_object(c, v, path) < 0 || !(k = read_kind(c, v, path)))
        return -1;
    f->kind = k->kind;
    f->path = sl__pool_strdup(c->pool, path);
    if (!f->path)
        return sl__j_nomem(c);
    if (fault_keys(c, v, path, k) < 0 || read_moment(c, v, path, k, f) < 0)
        return -1;
    if ((m = sl__j_member(v, "after", path, sub)) &&
        sl__j_duration(c, m, sub, &f->after_ns) < 0)
        return -1;
    if ((m = sl__j_member(v, "fails_with", path, sub))) {
        if (sl__j_string(c, m, sub, &f->fails_with) < 0)
            return -1;
        f->must_fail = true;
    }
    return read_kind_fields(c, v, path, f);
}

int sl__j_faults(jcx *c, json_t *faults, const char *path)
{
    sl_scenario_fault *out;
    size_t i;
    json_t *item;

    if (!faults)
        return 0;
    if (!json_is_array(faults))
        return sl__j_expected(c, path, "an array", faults);
    out = sl__pool_alloc(c->pool, json_array_size(faults), sizeof(*out));
    if (!out)
        return sl__j_nomem(c);
    json_array_foreach(faults, i, item) {
        char sub[SL__PATH_MAX];

        sl__path_index(sub, sizeof(sub), path, i);
        if (read_fault(c, item, sub, &out[i]) < 0)
            return -1;
    }
    c->sc->faults = out;
    c->sc->n_faults = json_array_size(faults);
    return 0;
}

/* Expectations ------------------------------------------------------------ */

static int read_node_filters(jcx *c, json_t *v, const char *path,
                             sl_expect_nodes *e)
{
    static const char *const roles[] = {"manager", "worker", NULL};
    static const char *const states[] = {"ready", "down", "unknown",
                                         "disconnected", NULL};
    static const char *const avail[] = {"active", "pause", "drain", NULL};
    static const char *const oses[] = {"linux", "windows", NULL};
    char sub[SL__PATH_MAX];
    sl_docker_label *labels;
    json_t *m;

    if (sl__j_member(v, "hostname", path, sub) &&
        read_host_ref(c, v, "hostname", path, &e->hostname) < 0)
        return -1;
    if ((m = sl__j_member(v, "role", path, sub)) &&
        sl__j_choice(c, m, sub, roles, &e->role) < 0)
        return -1;
    if ((m = sl__j_member(v, "state", path, sub)) &&
        sl__j_choice(c, m, sub, states, &e->state) < 0)
        return -1;
    if ((m = sl__j_member(v, "availability", path, sub)) &&
        sl__j_choice(c, m, sub, avail, &e->availability) < 0)
        return -1;
    if ((m = sl__j_member(v, "os", path, sub)) &&
        sl__j_choice(c, m, sub, oses, &e->os) < 0)
        return -1;
    if ((m = sl__j_member(v, "labels", path, sub))) {
        if (sl__j_labels(c, m, sub, &labels, &e->n_labels) < 0)
            return -1;
        e->labels = labels;
    }
    return 0;
}

static int read_node_expect(jcx *c, json_t *v, const char *path,
                            sl_expect_nodes *e)
{
    static const char *const keys[] = {"hostname", "role", "state",
                                       "availability", "os", "labels",
                                       "count", NULL};
    char sub[SL__PATH_MAX];
    long long count = 1;
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0 ||
        read_node_filters(c, v, path, e) < 0)
        return -1;
    if (!(e->path = sl__pool_strdup(c->pool, path)))
        return sl__j_nomem(c);
    if ((m = sl__j_member(v, "count", path, sub))) {
        if (sl__j_int(c, m, sub, 0, 100000, &count) < 0)
            return -1;
        if ((size_t)count > c->sc->n_hosts)
            return sl__j_fail(c, sub, "the swarm has %zu hosts, not %lld",
                              c->sc->n_hosts, count);
        if (e->hostname && count > 1)
            return sl__j_fail(c, sub, "one hostname matches one node at "
                              "most");
    } else if (!e->hostname) {
        return sl__j_fail(c, path, "missing key 'count' (or 'hostname')");
    }
    e->count = (size_t)count;
    return 0;
}

/* rescheduled_from names a host that some fault takes away. */
static bool taken_away(const sl_scenario *sc, const char *host)
{
    for (size_t i = 0; i < sc->n_faults; i++) {
        const sl_scenario_fault *f = &sc->faults[i];

        switch (f->kind) {
        case SL_FAULT_POWER_LOSS:
        case SL_FAULT_DAEMON_STOPS_ANSWERING:
        case SL_FAULT_DRAIN:
            if (!strcmp(f->host, host))
                return true;
            break;
        case SL_FAULT_NETWORK_PARTITION:
            for (size_t g = 0; g < f->n_groups; g++) {
                for (size_t h = 0; h < f->groups[g].n_hosts; h++) {
                    if (!strcmp(f->groups[g].hosts[h], host))
                        return true;
                }
            }
            break;
        default:
            break;
        }
    }
    return false;
}

static int read_service_expect(jcx *c, json_t *v, const char *path,
                               sl_expect_service *e)
{
    static const char *const keys[] = {"name", "running", "rescheduled_from",
                                       NULL};
    char sub[SL__PATH_MAX];
    long long n;
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if (!(e->path = sl__pool_strdup(c->pool, path)))
        return sl__j_nomem(c);
    if (!(m = sl__j_member(v, "name", path, sub)))
        return sl__j_fail(c, path, "missing key 'name'");
    if (!(e->service = find_service(c, m, sub)))
        return -1;
    e->name = e->service->def.name;
    if ((m = sl__j_member(v, "running", path, sub))) {
        if (sl__j_int(c, m, sub, 0, 100000, &n) < 0)
            return -1;
        e->check_running = true;
        e->running = (uint64_t)n;
    }
    if (sl__j_member(v, "rescheduled_from", path, sub)) {
        if (read_host_ref(c, v, "rescheduled_from", path,
                          &e->rescheduled_from) < 0)
            return -1;
        if (e->service->def.global)
            return sl__j_fail(c, sub, "global service '%s' runs one task "
                              "per node: none is rescheduled", e->name);
        if (!taken_away(c->sc, e->rescheduled_from))
            return sl__j_fail(c, sub, "no fault takes '%s' away",
                              e->rescheduled_from);
    }
    if (!e->check_running && !e->rescheduled_from)
        return sl__j_fail(c, path, "nothing to check: give 'running' or "
                          "'rescheduled_from'");
    return 0;
}

/* An array of objects read by 'one' into 'size'-byte elements. */
static int read_list(jcx *c, json_t *v, const char *path, size_t size,
                     int (*one)(jcx *, json_t *, const char *, void *),
                     void **out, size_t *n)
{
    char *items;
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return sl__j_expected(c, path, "an array", v);
    items = sl__pool_alloc(c->pool, json_array_size(v), size);
    if (!items)
        return sl__j_nomem(c);
    json_array_foreach(v, i, item) {
        char sub[SL__PATH_MAX];

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl__j_object(c, item, sub) < 0 ||
            one(c, item, sub, items + i * size) < 0)
            return -1;
    }
    *out = items;
    *n = json_array_size(v);
    return 0;
}

static int node_one(jcx *c, json_t *v, const char *path, void *out)
{
    return read_node_expect(c, v, path, out);
}

static int service_one(jcx *c, json_t *v, const char *path, void *out)
{
    return read_service_expect(c, v, path, out);
}

static int read_leader(jcx *c, json_t *v, const char *path,
                       sl_scenario_expect *e)
{
    const sl_scenario_host *h;
    const char *name;

    if (json_is_boolean(v)) {
        e->leader = json_is_true(v) ? SL_LEADER_PRESENT : SL_LEADER_ABSENT;
        return 0;
    }
    if (!json_is_string(v))
        return sl__j_expected(c, path, "a boolean or a host name", v);
    if (sl__j_string(c, v, path, &name) < 0 || !(h = sl__j_host(c, name, path)))
        return -1;
    if (!h->manager)
        return sl__j_fail(c, path, "'%s' is not a manager", h->name);
    e->leader = SL_LEADER_HOST;
    e->leader_host = h->name;
    return 0;
}

static int read_failure(jcx *c, json_t *v, const char *path,
                        sl_scenario_expect *e)
{
    static const char *const keys[] = {"step", "message", NULL};
    static const char *const steps[] = {"build", "deploy", NULL};
    char sub[SL__PATH_MAX];
    const char *step;
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if (!(m = sl__j_member(v, "step", path, sub)))
        return sl__j_fail(c, path, "missing key 'step'");
    if (sl__j_choice(c, m, sub, steps, &step) < 0)
        return -1;
    e->failure_step = !strcmp(step, "build") ? SL_STEP_BUILD : SL_STEP_DEPLOY;
    if (e->failure_step == SL_STEP_DEPLOY && !c->service_names[0])
        return sl__j_fail(c, sub, "nothing is deployed");
    if (!(m = sl__j_member(v, "message", path, sub)))
        return sl__j_fail(c, path, "missing key 'message'");
    return sl__j_string(c, m, sub, &e->failure_message);
}

int sl__j_expect(jcx *c, json_t *expect, const char *path)
{
    static const char *const keys[] = {"nodes", "leader", "services",
                                       "constraints_hold", "failure", NULL};
    sl_scenario_expect *e = &c->sc->expect;
    char sub[SL__PATH_MAX];
    void *list;
    json_t *m;

    if (!expect)
        return 0;
    if (sl__j_keys(c, expect, path, keys) < 0)
        return -1;
    if ((m = sl__j_member(expect, "nodes", path, sub))) {
        if (read_list(c, m, sub, sizeof(sl_expect_nodes), node_one, &list,
                      &e->n_nodes) < 0)
            return -1;
        e->nodes = list;
    }
    if ((m = sl__j_member(expect, "leader", path, sub)) &&
        read_leader(c, m, sub, e) < 0)
        return -1;
    if ((m = sl__j_member(expect, "services", path, sub))) {
        if (read_list(c, m, sub, sizeof(sl_expect_service), service_one,
                      &list, &e->n_services) < 0)
            return -1;
        e->services = list;
    }
    if ((m = sl__j_member(expect, "constraints_hold", path, sub)) &&
        sl__j_bool(c, m, sub, &e->constraints_hold) < 0)
        return -1;
    if ((m = sl__j_member(expect, "failure", path, sub)) &&
        read_failure(c, m, sub, e) < 0)
        return -1;
    return 0;
}
