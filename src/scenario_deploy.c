/* Scenario deploy: listed services and networks, compose file, placement. */
#include "scenario_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constraint.h"

#define MIB (INT64_C(1) << 20)

/* Networks ---------------------------------------------------------------- */

static int read_network(jcx *c, const char *name, json_t *v,
                        const char *path, sl_stack_network *n)
{
    static const char *const keys[] = {"driver", "attachable", "internal",
                                       "labels", "external", NULL};
    sl_docker_label *labels = NULL;
    size_t n_labels = 0;
    char sub[SL__PATH_MAX];
    json_t *m;

    n->key = n->def.name = sl__pool_strdup(c->pool, name);
    n->def.driver = "overlay";
    if (!n->key)
        return sl__j_nomem(c);
    if (!sl__valid_object_name(name))
        return sl__j_fail(c, path, "invalid network name '%s'", name);
    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if ((m = sl__j_member(v, "driver", path, sub)) &&
        sl__j_string(c, m, sub, &n->def.driver) < 0)
        return -1;
    if ((m = sl__j_member(v, "attachable", path, sub)) &&
        sl__j_bool(c, m, sub, &n->def.attachable) < 0)
        return -1;
    if ((m = sl__j_member(v, "internal", path, sub)) &&
        sl__j_bool(c, m, sub, &n->def.internal) < 0)
        return -1;
    if ((m = sl__j_member(v, "external", path, sub)) &&
        sl__j_bool(c, m, sub, &n->external) < 0)
        return -1;
    if ((m = sl__j_member(v, "labels", path, sub)) &&
        sl__j_labels(c, m, sub, &labels, &n_labels) < 0)
        return -1;
    n->def.labels = labels;
    n->def.n_labels = n_labels;
    return 0;
}

static int read_networks(jcx *c, sl_stack *st, json_t *v, const char *path)
{
    sl__pool *pool = sl__stack_pool(st);
    sl_stack_network *nets;
    const char *key;
    json_t *m;
    size_t k = 0;

    if (sl__j_object(c, v, path) < 0)
        return -1;
    nets = sl__pool_alloc(pool, json_object_size(v), sizeof(*nets));
    if (!nets)
        return sl__j_nomem(c);
    /* The stack's strings live in the scenario's arena, which outlives
     * it. */
    json_object_foreach(v, key, m) {
        char sub[SL__PATH_MAX];

        sl__path_key(sub, sizeof(sub), path, key);
        if (read_network(c, key, m, sub, &nets[k++]) < 0)
            return -1;
    }
    st->networks = nets;
    st->n_networks = k;
    return 0;
}

/* One service's parts ----------------------------------------------------- */

static int read_command(jcx *c, json_t *v, const char *path,
                        sl_docker_service_def *def)
{
    const char **words;
    const char *why;
    size_t n;

    if (json_is_array(v)) {
        if (sl__j_strings(c, v, path, &words, &n) < 0)
            return -1;
    } else if (!json_is_string(v)) {
        return sl__j_expected(c, path, "a string or an array", v);
    } else if (sl__split_words(c->pool, json_string_value(v), &words, &n,
                               &why) < 0) {
        return sl__j_fail(c, path, "%s", why);
    }
    def->command = words;
    def->n_command = n;
    return 0;
}

/* env: {"KEY": "value"} or ["KEY=value"]; sorted, last value kept. */
static int read_env(jcx *c, json_t *v, const char *path, const char ***env,
                    size_t *n)
{
    const char **out;
    const char *key;
    json_t *m;
    size_t k = 0;

    if (json_is_array(v)) {
        if (sl__j_strings(c, v, path, env, n) < 0)
            return -1;
        sl__env_normalize(*env, n);
        return 0;
    }
    if (!json_is_object(v))
        return sl__j_expected(c, path, "an object or an array", v);
    out = sl__pool_alloc(c->pool, json_object_size(v), sizeof(*out));
    if (!out)
        return sl__j_nomem(c);
    json_object_foreach(v, key, m) {
        char sub[SL__PATH_MAX];

        sl__path_key(sub, sizeof(sub), path, key);
        if (!json_is_string(m))
            return sl__j_expected(c, sub, "a string", m);
        if (!(out[k++] = sl__pool_printf(c->pool, "%s=%s", key,
                                         json_string_value(m))))
            return sl__j_nomem(c);
    }
    sl__env_normalize(out, &k);
    *env = out;
    *n = k;
    return 0;
}

static int read_cpus(jcx *c, json_t *v, const char *path, int64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) > 0 &&
        json_integer_value(v) <= 100000) {
        *out = json_integer_value(v) * 1000000000;
        return 0;
    }
    if (json_is_real(v) && json_real_value(v) > 0 &&
        json_real_value(v) <= 100000) {
        *out = (int64_t)(json_real_value(v) * 1e9 + 0.5);
        return 0;
    }
    if (json_is_string(v) &&
        sl__parse_nano_cpus(json_string_value(v), out) == 0 && *out > 0)
        return 0;
    if (json_is_string(v) || json_is_number(v))
        return sl__j_fail(c, path, "expected a positive number of cpus "
                          "such as 0.5");
    return sl__j_expected(c, path, "a number", v);
}

static int read_resource(jcx *c, json_t *v, const char *path, int64_t *cpus,
                         int64_t *bytes)
{
    static const char *const keys[] = {"cpus", "memory", NULL};
    char sub[SL__PATH_MAX];
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if ((m = sl__j_member(v, "cpus", path, sub)) &&
        read_cpus(c, m, sub, cpus) < 0)
        return -1;
    if ((m = sl__j_member(v, "memory", path, sub)) &&
        sl__j_size(c, m, sub, 1, "512M", bytes) < 0)
        return -1;
    return 0;
}

static int read_resources(jcx *c, json_t *v, const char *path,
                          sl_docker_service_def *def)
{
    static const char *const keys[] = {"limits", "reservations", NULL};
    char sub[SL__PATH_MAX];
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if ((m = sl__j_member(v, "limits", path, sub)) &&
        read_resource(c, m, sub, &def->limit_nano_cpus,
                      &def->limit_memory_bytes) < 0)
        return -1;
    if ((m = sl__j_member(v, "reservations", path, sub)) &&
        read_resource(c, m, sub, &def->reserve_nano_cpus,
                      &def->reserve_memory_bytes) < 0)
        return -1;
    return 0;
}

static int read_port_object(jcx *c, json_t *v, const char *path,
                            sl_docker_port *p)
{
    static const char *const keys[] = {"target", "published", "protocol",
                                       "mode", NULL};
    static const char *const protocols[] = {"tcp", "udp", "sctp", NULL};
    static const char *const modes[] = {"ingress", "host", NULL};
    char sub[SL__PATH_MAX];
    long long n;
    json_t *m;

    p->protocol = "tcp";
    p->publish_mode = "ingress";
    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if (!(m = sl__j_member(v, "target", path, sub)))
        return sl__j_fail(c, path, "missing key 'target'");
    if (sl__j_int(c, m, sub, 1, 65535, &n) < 0)
        return -1;
    p->target = (uint16_t)n;
    if ((m = sl__j_member(v, "published", path, sub))) {
        if (sl__j_int(c, m, sub, 1, 65535, &n) < 0)
            return -1;
        p->published = (uint16_t)n;
    }
    if ((m = sl__j_member(v, "protocol", path, sub)) &&
        sl__j_choice(c, m, sub, protocols, &p->protocol) < 0)
        return -1;
    if ((m = sl__j_member(v, "mode", path, sub)) &&
        sl__j_choice(c, m, sub, modes, &p->publish_mode) < 0)
        return -1;
    return 0;
}

/* ports: ["8080:80", {"target": 443, "published": 8443}] */
static int read_ports(jcx *c, json_t *v, const char *path,
                      sl_docker_service_def *def)
{
    sl_docker_port *all = NULL;
    size_t n_all = 0;
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return sl__j_expected(c, path, "an array", v);
    json_array_foreach(v, i, item) {
        char sub[SL__PATH_MAX];
        char why[160];
        sl_docker_port one = {0};
        sl_docker_port *ports = &one;
        sl_docker_port *grown;
        size_t n = 1;
        bool ip;

        sl__path_index(sub, sizeof(sub), path, i);
        if (json_is_object(item)) {
            if (read_port_object(c, item, sub, &one) < 0)
                return -1;
        } else if (!json_is_string(item)) {
            return sl__j_expected(c, sub, "a string or an object", item);
        } else if (sl__parse_port_short(c->pool, json_string_value(item),
                                        &ports, &n, &ip, why,
                                        sizeof(why)) < 0) {
            return sl__j_fail(c, sub, "%s", why);
        } else if (ip) {
            return sl__j_fail(c, sub, "a swarm service listens on every "
                              "address: drop the host address");
        }
        grown = sl__pool_alloc(c->pool, n_all + n, sizeof(*grown));
        if (!grown)
            return sl__j_nomem(c);
        if (n_all)
            memcpy(grown, all, n_all * sizeof(*grown));
        for (size_t k = 0; k < n; k++) {
            grown[n_all + k] = ports[k];
            if (!grown[n_all + k].publish_mode)
                grown[n_all + k].publish_mode = "ingress";
        }
        all = grown;
        n_all += n;
    }
    def->ports = all;
    def->n_ports = n_all;
    return 0;
}

static int read_constraints(jcx *c, json_t *v, const char *path,
                            sl_docker_service_def *def)
{
    const char **exprs;
    size_t n;

    if (sl__j_strings(c, v, path, &exprs, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char sub[SL__PATH_MAX];
        sl_constraint parsed;
        sl_error why;

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl_constraint_parse(exprs[i], true, &parsed, &why) < 0)
            return sl__j_fail(c, sub, "%s", why.message);
    }
    def->constraints = exprs;
    def->n_constraints = n;
    return 0;
}

/* networks: ["front"], each declared under deploy.networks. */
static int read_service_networks(jcx *c, const sl_stack *st, json_t *v,
                                 const char *path, sl_stack_service *s)
{
    sl_stack_attachment *att;
    const char **names;
    size_t n;

    if (sl__j_strings(c, v, path, &names, &n) < 0)
        return -1;
    att = sl__pool_alloc(c->pool, n, sizeof(*att));
    if (!att)
        return sl__j_nomem(c);
    for (size_t i = 0; i < n; i++) {
        char sub[SL__PATH_MAX];
        bool known = false;

        sl__path_index(sub, sizeof(sub), path, i);
        for (size_t k = 0; k < st->n_networks; k++)
            known = known || !strcmp(st->networks[k].def.name, names[i]);
        if (!known)
            return sl__j_fail(c, sub, "undefined network '%s' (declare it "
                              "in deploy.networks)", names[i]);
        att[i].target = names[i];
    }
    s->attachments = att;
    s->def.networks = names;
    s->def.n_networks = n;
    return 0;
}

/* One listed service ------------------------------------------------------ */

static int read_mode(jcx *c, json_t *root, const char *path,
                     sl_stack_service *s)
{
    static const char *const modes[] = {"replicated", "global", NULL};
    char sub[SL__PATH_MAX];
    const char *mode = "replicated";
    long long n;
    json_t *m;

    if ((m = sl__j_member(root, "mode", path, sub)) &&
        sl__j_choice(c, m, sub, modes, &mode) < 0)
        return -1;
    s->def.global = !strcmp(mode, "global");
    if ((m = sl__j_member(root, "replicas", path, sub))) {
        if (s->def.global)
            return sl__j_fail(c, sub, "replicas can only be used with "
                              "replicated mode");
        if (sl__j_int(c, m, sub, 0, 100000, &n) < 0)
            return -1;
        s->def.replicas = (uint64_t)n;
        s->replicas_given = true;
    }
    if ((m = sl__j_member(root, "max_replicas_per_node", path, sub))) {
        if (sl__j_int(c, m, sub, 1, 100000, &n) < 0)
            return -1;
        s->max_replicas_per_node = (uint64_t)n;
    }
    return 0;
}

static int read_service_parts(jcx *c, json_t *v, const char *path,
                              sl_stack_service *s)
{
    sl_docker_service_def *def = &s->def;
    sl_docker_label *labels;
    const char **strings;
    char sub[SL__PATH_MAX];
    json_t *m;

    if ((m = sl__j_member(v, "command", path, sub)) &&
        read_command(c, m, sub, def) < 0)
        return -1;
    if (read_mode(c, v, path, s) < 0)
        return -1;
    if ((m = sl__j_member(v, "constraints", path, sub)) &&
        read_constraints(c, m, sub, def) < 0)
        return -1;
    if ((m = sl__j_member(v, "preferences", path, sub))) {
        if (sl__j_strings(c, m, sub, &strings, &s->n_preferences) < 0)
            return -1;
        s->preferences = strings;
    }
    if ((m = sl__j_member(v, "labels", path, sub))) {
        if (sl__j_labels(c, m, sub, &labels, &def->n_labels) < 0)
            return -1;
        def->labels = labels;
    }
    if ((m = sl__j_member(v, "env", path, sub))) {
        if (read_env(c, m, sub, &strings, &def->n_env) < 0)
            return -1;
        def->env = strings;
    }
    if ((m = sl__j_member(v, "resources", path, sub)) &&
        read_resources(c, m, sub, def) < 0)
        return -1;
    if ((m = sl__j_member(v, "ports", path, sub)) &&
        read_ports(c, m, sub, def) < 0)
        return -1;
    return 0;
}

static int read_service(jcx *c, const sl_stack *st, json_t *v,
                        const char *path, sl_stack_service *s)
{
    static const char *const keys[] = {
        "name", "image", "command", "mode", "replicas", "constraints",
        "preferences", "max_replicas_per_node", "labels", "env",
        "resources", "networks", "ports", NULL};
    char sub[SL__PATH_MAX];
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    s->where = sl__pool_printf(c->pool, "%s: %s", c->file, path);
    if (!s->where)
        return sl__j_nomem(c);
    if (!(m = sl__j_member(v, "name", path, sub)))
        return sl__j_fail(c, path, "missing key 'name'");
    if (sl__j_string(c, m, sub, &s->def.name) < 0)
        return -1;
    if (!sl__valid_object_name(s->def.name))
        return sl__j_fail(c, sub, "invalid service name '%s': use letters, "
                          "digits, '-' and '_', at most 63", s->def.name);
    s->key = s->def.name;
    if (!(m = sl__j_member(v, "image", path, sub)))
        return sl__j_fail(c, path, "missing key 'image'");
    if (sl__j_string(c, m, sub, &s->def.image) < 0 ||
        read_service_parts(c, v, path, s) < 0)
        return -1;
    if ((m = sl__j_member(v, "networks", path, sub)) &&
        read_service_networks(c, st, m, sub, s) < 0)
        return -1;
    return 0;
}

static int read_services(jcx *c, sl_stack *st, json_t *v, const char *path)
{
    sl_stack_service *svcs;
    size_t i;
    json_t *item;

    if (!json_is_array(v))
        return sl__j_expected(c, path, "an array", v);
    svcs = sl__pool_alloc(c->pool, json_array_size(v), sizeof(*svcs));
    if (!svcs)
        return sl__j_nomem(c);
    json_array_foreach(v, i, item) {
        char sub[SL__PATH_MAX];
        char name_path[SL__PATH_MAX];

        sl__path_index(sub, sizeof(sub), path, i);
        if (read_service(c, st, item, sub, &svcs[i]) < 0)
            return -1;
        sl__path_key(name_path, sizeof(name_path), sub, "name");
        for (size_t k = 0; k < i; k++) {
            if (!strcmp(svcs[k].def.name, svcs[i].def.name))
                return sl__j_fail(c, name_path, "service '%s' is listed "
                                  "twice", svcs[i].def.name);
        }
    }
    st->services = svcs;
    st->n_services = json_array_size(v);
    return 0;
}

/* The compose file -------------------------------------------------------- */

static int read_variables(jcx *c, json_t *v, const char *path,
                          sl_compose_options *opts)
{
    sl_docker_label *vars;

    if (sl__j_labels(c, v, path, &vars, &opts->n_variables) < 0)
        return -1;
    opts->variables = vars;
    return 0;
}

static int read_compose(jcx *c, json_t *v, const char *path)
{
    static const char *const keys[] = {"file", "stack", "variables",
                                       "strict", NULL};
    sl_compose_options opts = {0};
    char sub[SL__PATH_MAX];
    const char *file;
    sl_error why;
    json_t *m;

    if (sl__j_keys(c, v, path, keys) < 0)
        return -1;
    if (!(m = sl__j_member(v, "stack", path, sub)))
        return sl__j_fail(c, path, "missing key 'stack'");
    if (sl__j_string(c, m, sub, &opts.stack) < 0)
        return -1;
    if (!sl__valid_object_name(opts.stack))
        return sl__j_fail(c, sub, "invalid stack name '%s': use letters, "
                          "digits, '-' and '_'", opts.stack);
    if ((m = sl__j_member(v, "variables", path, sub)) &&
        read_variables(c, m, sub, &opts) < 0)
        return -1;
    if ((m = sl__j_member(v, "strict", path, sub)) &&
        sl__j_bool(c, m, sub, &opts.strict) < 0)
        return -1;
    if (!(m = sl__j_member(v, "file", path, sub)))
        return sl__j_fail(c, path, "missing key 'file'");
    if (sl__j_string(c, m, sub, &file) < 0)
        return -1;
    if (!(c->sc->compose_file = sl__j_resolve(c, file)))
        return sl__j_nomem(c);
    c->sc->compose = sl_compose_load(c->sc->compose_file, &opts, &why);
    if (c->sc->compose)
        return 0;
    if (why.code != SL_ERR_IO) {
        *c->err = why;
        return -1;
    }
    /* Blame the scenario's field, which is where the mistake is. */
    sl__j_fail(c, sub, "cannot read '%s': %s", c->sc->compose_file,
               strncmp(why.message, "cannot read file: ", 18)
                   ? why.message
                   : why.message + 18);
    c->err->code = SL_ERR_IO;
    return -1;
}

/* Lists every service's docker name, refusing one deployed twice. */
static int index_services(jcx *c)
{
    const sl_stack *stacks[2];
    size_t n_stacks = sl_scenario_stacks(c->sc, stacks);
    size_t total = 0;
    size_t k = 0;

    for (size_t i = 0; i < n_stacks; i++)
        total += stacks[i]->n_services;
    c->service_names = sl__pool_alloc(c->pool, total + 1,
                                      sizeof(*c->service_names));
    if (!c->service_names)
        return sl__j_nomem(c);
    for (size_t i = 0; i < n_stacks; i++) {
        for (size_t j = 0; j < stacks[i]->n_services; j++) {
            const sl_stack_service *s = &stacks[i]->services[j];

            for (size_t p = 0; p < k; p++) {
                if (!strcmp(c->service_names[p], s->def.name)) {
                    sl_error_set(c->err, SL_ERR_INVALID, "service '%s' is "
                                 "also listed in the scenario",
                                 s->def.name);
                    sl_error_where(c->err, "%s", s->where);
                    return -1;
                }
            }
            c->service_names[k++] = s->def.name;
        }
    }
    return 0;
}

int sl__j_deploy(jcx *c, json_t *deploy, const char *path)
{
    static const char *const keys[] = {"services", "networks", "compose",
                                       "strict_placement", NULL};
    char sub[SL__PATH_MAX];
    sl_stack *st;
    json_t *m;

    if (deploy && sl__j_keys(c, deploy, path, keys) < 0)
        return -1;
    if (deploy && (sl__j_member(deploy, "services", path, sub) ||
                   sl__j_member(deploy, "networks", path, sub))) {
        st = c->sc->services = sl__stack_new(NULL, c->file, c->err);
        if (!st)
            return -1;
        if ((m = sl__j_member(deploy, "networks", path, sub)) &&
            read_networks(c, st, m, sub) < 0)
            return -1;
        if ((m = sl__j_member(deploy, "services", path, sub)) &&
            read_services(c, st, m, sub) < 0)
            return -1;
    }
    if (deploy && (m = sl__j_member(deploy, "strict_placement", path, sub)) &&
        sl__j_bool(c, m, sub, &c->sc->strict_placement) < 0)
        return -1;
    if (deploy && (m = sl__j_member(deploy, "compose", path, sub)) &&
        read_compose(c, m, sub) < 0)
        return -1;
    return index_services(c);
}

/* Placement --------------------------------------------------------------- */

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

bool sl__j_capacity(jcx *c, const sl_stack_service *svc, size_t *matching,
                    uint64_t *fits)
{
    const sl_docker_service_def *def = &svc->def;
    sl_constraint *cons = sl_constraints_parse(def->constraints,
                                               def->n_constraints, true,
                                               NULL);
    bool judged = cons != NULL;

    *matching = 0;
    *fits = 0;
    for (size_t i = 0; judged && i < def->n_constraints; i++)
        judged = cons[i].kind != SL_CONSTRAINT_NODE_ID &&
                 cons[i].kind != SL_CONSTRAINT_ENGINE_LABEL;
    for (size_t i = 0; judged && i < c->sc->n_hosts; i++) {
        const sl_scenario_host *h = &c->sc->hosts[i];
        sl_constraint_node node = {NULL, h->name,
                                   h->manager ? "manager" : "worker",
                                   h->os, "x86_64", h->labels, h->n_labels,
                                   NULL, 0};
        uint64_t cap = svc->max_replicas_per_node ? svc->max_replicas_per_node
                                                  : UINT64_MAX;

        if (!sl_constraints_match(cons, def->n_constraints, &node))
            continue;
        if (def->reserve_nano_cpus)
            cap = min_u64(cap, (uint64_t)h->cpus * 1000000000u /
                                   (uint64_t)def->reserve_nano_cpus);
        if (def->reserve_memory_bytes)
            cap = min_u64(cap, (uint64_t)(h->memory_mib * MIB) /
                                   (uint64_t)def->reserve_memory_bytes);
        (*matching)++;
        *fits = *fits > UINT64_MAX - cap ? UINT64_MAX : *fits + cap;
    }
    free(cons);
    return judged;
}

/* Refuses 'replicas' tasks of 'svc' that cannot all be placed; 'where'
 * names the place to blame.
 * TODO: count what the other services reserve on the same hosts. */
static int check_service(jcx *c, const sl_stack_service *svc,
                         uint64_t replicas, const char *where)
{
    size_t matching;
    uint64_t fits;

    if (!sl__j_capacity(c, svc, &matching, &fits))
        return 0;
    if (!matching) {
        sl_error_set(c->err, SL_ERR_INVALID, "no host of the swarm "
                     "satisfies the constraints of '%s'", svc->def.name);
        sl_error_where(c->err, "%s", where);
        return -1;
    }
    if (!svc->def.global && replicas > fits) {
        sl_error_set(c->err, SL_ERR_INVALID, "%llu replicas of '%s' cannot "
                     "all be placed: the %zu hosts that satisfy its "
                     "constraints hold %llu",
                     (unsigned long long)replicas, svc->def.name, matching,
                     (unsigned long long)fits);
        sl_error_where(c->err, "%s", where);
        return -1;
    }
    return 0;
}

int sl__j_check_placement(jcx *c)
{
    const sl_stack *stacks[2];
    size_t n = sl_scenario_stacks(c->sc, stacks);

    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < stacks[i]->n_services; j++) {
            const sl_stack_service *s = &stacks[i]->services[j];

            if (check_service(c, s, s->replicas_given ? s->def.replicas : 1,
                              s->where) < 0)
                return -1;
        }
    }
    for (size_t i = 0; i < c->sc->n_faults; i++) {
        const sl_scenario_fault *f = &c->sc->faults[i];
        char where[SL__PATH_MAX + 64];

        if (f->kind != SL_FAULT_SCALE)
            continue;
        snprintf(where, sizeof(where), "%s: %s.replicas", c->file, f->path);
        if (check_service(c, sl_scenario_find_service(c->sc, f->service),
                          f->replicas, where) < 0)
            return -1;
    }
    return 0;
}
