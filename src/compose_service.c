/* Compose services: each entry of services: read into a docker service. */
#include "compose_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constraint.h"
#include "json_build.h"

#define NAMESPACE_LABEL "com.docker.stack.namespace"
#define IMAGE_LABEL "com.docker.stack.image"

/* A service while it is read; becomes an sl_stack_service at the end. */
typedef struct svc_draft {
    sl_stack_service *out;
    const char *path;            /* "services.web" */
    sl_docker_label *labels;     /* deploy.labels */
    size_t n_labels;
    sl_docker_label *container_labels; /* labels */
    size_t n_container_labels;
    const char **env;
    size_t n_env;
    const char **nets;           /* network keys, as listed */
    const char *const **net_aliases;
    size_t *n_net_aliases;
    yaml_node_t **net_nodes;
    const char **net_paths;
    size_t n_nets;
    sl_docker_port *ports;
    size_t n_ports;
    yaml_node_t *replicas_node;
    yaml_node_t *mode_node;
} svc_draft;

static const char *const service_keys[] = {
    "image", "command", "environment", "labels", "deploy", "networks",
    "ports", NULL};
static const char *const service_docker_ignores[] = {
    "build", "cgroupns_mode", "cgroup_parent", "devices", "domainname",
    "external_links", "ipc", "links", "mac_address", "network_mode", "pid",
    "privileged", "restart", "security_opt", "shm_size", "userns_mode",
    "container_name", "expose", "depends_on", NULL};
static const char *const service_unmodelled[] = {
    "cap_add", "cap_drop", "configs", "credential_spec", "dns",
    "dns_search", "entrypoint", "env_file", "extra_hosts", "healthcheck",
    "hostname", "init", "isolation", "logging", "read_only", "secrets",
    "stdin_open", "stop_grace_period", "stop_signal", "sysctls", "tmpfs",
    "tty", "ulimits", "user", "volumes", "working_dir", NULL};
static const char *const service_refused[] = {
    "extends", "support for extends is not implemented yet",
    "volume_driver", "define a volume under the top-level volumes key",
    "volumes_from", "share a volume through the top-level volumes key",
    "cpu_quota", "set resource limits with deploy.resources",
    "cpu_shares", "set resource limits with deploy.resources",
    "cpuset", "set resource limits with deploy.resources",
    "mem_limit", "set resource limits with deploy.resources",
    "memswap_limit", "set resource limits with deploy.resources", NULL};
static const key_rules service_rules = {
    service_keys, service_docker_ignores, service_unmodelled,
    service_refused, true};

/* Small pieces ------------------------------------------------------------ */

int sl__y_labels(ycx *c, yaml_node_t *n, const char *path,
                 sl_docker_label **out, size_t *count)
{
    char sub[SL__PATH_MAX];

    if (n && n->type == YAML_SEQUENCE_NODE) {
        yaml_node_t **items;
        size_t k;

        if (sl__y_items(c, n, path, &items, &k) < 0)
            return -1;
        for (size_t i = 0; i < k; i++) {
            const char *item;
            const char *eq;
            const char *key;

            sl__path_index(sub, sizeof(sub), path, i);
            if (sl__y_string(c, items[i], sub, &item) < 0)
                return -1;
            eq = strchr(item, '=');
            key = eq ? sl__pool_strndup(c->pool, item, (size_t)(eq - item))
                     : item;
            if (!key || sl__labels_put(c->pool, out, count, key,
                                       eq ? eq + 1 : "") < 0)
                return sl__y_nomem(c);
        }
        return 0;
    }
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        const char *v;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if (sl__y_go_text(c, pairs[i].value, sub, &v) < 0)
            return -1;
        if (sl__labels_put(c->pool, out, count, pairs[i].name,
                           v ? v : "") < 0)
            return sl__y_nomem(c);
    }
    return 0;
}

/* Adds 's' to an arena array of strings. */
static int push(ycx *c, const char ***arr, size_t *n, const char *s)
{
    const char **grown = sl__pool_alloc(c->pool, *n + 1, sizeof(*grown));

    if (!grown || !s)
        return sl__y_nomem(c);
    if (*n)
        memcpy(grown, *arr, *n * sizeof(*grown));
    grown[(*n)++] = s;
    *arr = grown;
    return 0;
}

/* Appends the strings of the sequence 'n' to an arena array. */
static int read_strings(ycx *c, yaml_node_t *n, const char *path,
                        const char ***arr, size_t *count)
{
    yaml_node_t **items;
    size_t k;

    if (sl__y_items(c, n, path, &items, &k) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        char sub[SL__PATH_MAX];
        const char *item;

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl__y_string(c, items[i], sub, &item) < 0 ||
            push(c, arr, count, item) < 0)
            return -1;
    }
    return 0;
}

static int read_command(ycx *c, svc_draft *d, yaml_node_t *n,
                        const char *path)
{
    const char **words = NULL;
    size_t count = 0;

    if (n && n->type == YAML_SEQUENCE_NODE) {
        yaml_node_t **items;
        size_t k;

        if (sl__y_items(c, n, path, &items, &k) < 0)
            return -1;
        for (size_t i = 0; i < k; i++) {
            char sub[SL__PATH_MAX];
            const char *w;

            sl__path_index(sub, sizeof(sub), path, i);
            if (sl__y_text(c, items[i], sub, false, &w) < 0 ||
                push(c, &words, &count, w) < 0)
                return -1;
        }
    } else {
        const char *line;

        const char *why;

        if (sl__y_string(c, n, path, &line) < 0)
            return -1;
        if (sl__split_words(c->pool, line, &words, &count, &why) < 0)
            return sl__y_fail(c, n, path, "%s", why);
    }
    d->out->def.command = words;
    d->out->def.n_command = count;
    return 0;
}

static int read_environment(ycx *c, svc_draft *d, yaml_node_t *n,
                            const char *path)
{
    char sub[SL__PATH_MAX];

    if (n && n->type == YAML_SEQUENCE_NODE)
        return read_strings(c, n, path, &d->env, &d->n_env);
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        const char *v;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if (sl__y_go_text(c, pairs[i].value, sub, &v) < 0)
            return -1;
        if (push(c, &d->env, &d->n_env,
                 v ? sl__pool_printf(c->pool, "%s=%s", pairs[i].name, v)
                   : pairs[i].name) < 0)
            return -1;
    }
    return 0;
}

/* Networks of a service --------------------------------------------------- */

/* Notes network 'key', listed at 'node' and 'path', for attach(). */
static int add_network(ycx *c, svc_draft *d, yaml_node_t *node,
                       const char *path, const char *key,
                       const char *const *aliases, size_t n_aliases)
{
    size_t n = d->n_nets;
    const char **nets = sl__pool_alloc(c->pool, n + 1, sizeof(*nets));
    const char *const **al = sl__pool_alloc(c->pool, n + 1, sizeof(*al));
    size_t *nal = sl__pool_alloc(c->pool, n + 1, sizeof(*nal));
    yaml_node_t **nodes = sl__pool_alloc(c->pool, n + 1, sizeof(*nodes));
    const char **paths = sl__pool_alloc(c->pool, n + 1, sizeof(*paths));

    if (!nets || !al || !nal || !nodes || !paths ||
        !(paths[n] = sl__pool_strdup(c->pool, path)))
        return sl__y_nomem(c);
    if (n) {
        memcpy(nets, d->nets, n * sizeof(*nets));
        memcpy(al, d->net_aliases, n * sizeof(*al));
        memcpy(nal, d->n_net_aliases, n * sizeof(*nal));
        memcpy(nodes, d->net_nodes, n * sizeof(*nodes));
        memcpy(paths, d->net_paths, n * sizeof(*paths));
    }
    nets[n] = key;
    al[n] = aliases;
    nal[n] = n_aliases;
    nodes[n] = node;
    d->nets = nets;
    d->net_aliases = al;
    d->n_net_aliases = nal;
    d->net_nodes = nodes;
    d->net_paths = paths;
    d->n_nets = n + 1;
    return 0;
}

/* networks: {NAME: {aliases: [...]}} or {NAME: null}. */
static int network_entry(ycx *c, svc_draft *d, const ypair *p,
                         const char *path)
{
    static const char *const keys[] = {"aliases", NULL};
    static const char *const unmodelled[] = {"ipv4_address", "ipv6_address",
                                             NULL};
    static const key_rules rules = {keys, NULL, unmodelled, NULL, false};
    const char **aliases = NULL;
    size_t n_aliases = 0;
    ypair *pairs = NULL;
    size_t np = 0;
    yval v;

    if (sl__y_value(c, p->value, path, &v) < 0)
        return -1;
    if (v.kind != Y_NULL && sl__y_pairs(c, p->value, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        char sub[SL__PATH_MAX];
        int r;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if ((r = sl__y_check_key(c, &rules, &pairs[i], sub)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        if (read_strings(c, pairs[i].value, sub, &aliases, &n_aliases) < 0)
            return -1;
    }
    return add_network(c, d, p->key, path, p->name, aliases, n_aliases);
}

static int read_networks(ycx *c, svc_draft *d, yaml_node_t *n,
                         const char *path)
{
    char sub[SL__PATH_MAX];

    if (n && n->type == YAML_SEQUENCE_NODE) {
        yaml_node_t **items;
        size_t k;

        if (sl__y_items(c, n, path, &items, &k) < 0)
            return -1;
        for (size_t i = 0; i < k; i++) {
            const char *name;

            sl__path_index(sub, sizeof(sub), path, i);
            if (sl__y_string(c, items[i], sub, &name) < 0 ||
                add_network(c, d, items[i], sub, name, NULL, 0) < 0)
                return -1;
        }
        return 0;
    }
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if (network_entry(c, d, &pairs[i], sub) < 0)
            return -1;
    }
    return 0;
}

static int attachment_compare(const void *a, const void *b)
{
    return strcmp(((const sl_stack_attachment *)a)->target,
                  ((const sl_stack_attachment *)b)->target);
}

/* Resolves the listed networks ("default" when none) into attachments
 * sorted by target, each with the service's name as its last alias. */
static int attach(ycx *c, svc_draft *d)
{
    sl_stack_service *s = d->out;
    sl_stack_attachment *att;
    const char **targets;

    if (!d->n_nets &&
        add_network(c, d, NULL, d->path, "default", NULL, 0) < 0)
        return -1;
    att = sl__pool_alloc(c->pool, d->n_nets, sizeof(*att));
    targets = sl__pool_alloc(c->pool, d->n_nets, sizeof(*targets));
    if (!att || !targets)
        return sl__y_nomem(c);
    for (size_t i = 0; i < d->n_nets; i++) {
        net_decl *decl = sl__y_network(c, d->nets[i]);
        const char **aliases = NULL;
        size_t n_aliases = 0;

        if (!decl && !strcmp(d->nets[i], "default"))
            return sl__y_nomem(c);
        if (!decl)
            return sl__y_fail(c, d->net_nodes[i], d->net_paths[i],
                              "undefined network '%s'", d->nets[i]);
        decl->used = true;
        for (size_t j = 0; j < d->n_net_aliases[i]; j++) {
            if (push(c, &aliases, &n_aliases, d->net_aliases[i][j]) < 0)
                return -1;
        }
        if (push(c, &aliases, &n_aliases, s->key) < 0)
            return -1;
        att[i].target = decl->name;
        att[i].aliases = aliases;
        att[i].n_aliases = n_aliases;
    }
    qsort(att, d->n_nets, sizeof(*att), attachment_compare);
    for (size_t i = 0; i < d->n_nets; i++)
        targets[i] = att[i].target;
    s->attachments = att;
    s->def.networks = targets;
    s->def.n_networks = d->n_nets;
    return 0;
}

/* Ports ------------------------------------------------------------------- */

static int add_ports(ycx *c, svc_draft *d, const sl_docker_port *ports,
                     size_t n)
{
    sl_docker_port *grown = sl__pool_alloc(c->pool, d->n_ports + n,
                                           sizeof(*grown));

    if (!grown)
        return sl__y_nomem(c);
    if (d->n_ports)
        memcpy(grown, d->ports, d->n_ports * sizeof(*grown));
    memcpy(grown + d->n_ports, ports, n * sizeof(*grown));
    d->ports = grown;
    d->n_ports += n;
    return 0;
}

static int port_number(ycx *c, yaml_node_t *n, const char *path,
                       uint16_t *out)
{
    uint64_t v;

    if (sl__y_uint(c, n, path, &v) < 0)
        return -1;
    if (v == 0 || v > 65535)
        return sl__y_fail(c, n, path, "port %llu is out of range",
                          (unsigned long long)v);
    *out = (uint16_t)v;
    return 0;
}

/* target: 80, published: 8080, protocol: tcp, mode: ingress */
static int port_long(ycx *c, svc_draft *d, yaml_node_t *n, const char *path)
{
    static const char *const keys[] = {"target", "published", "protocol",
                                       "mode", NULL};
    static const char *const protocols[] = {"tcp", "udp", "sctp", NULL};
    static const char *const modes[] = {"ingress", "host", NULL};
    static const key_rules rules = {keys, NULL, NULL, NULL, true};
    sl_docker_port port = {0, 0, "tcp", "ingress"};
    bool host = false;
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        const char *name = pairs[i].name;
        yaml_node_t *v = pairs[i].value;
        char sub[SL__PATH_MAX];
        const char *text;
        int r;

        sl__path_key(sub, sizeof(sub), path, name);
        if ((r = sl__y_check_key(c, &rules, &pairs[i], sub)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        if (!strcmp(name, "target") || !strcmp(name, "published")) {
            if (port_number(c, v, sub, !strcmp(name, "target")
                                           ? &port.target
                                           : &port.published) < 0)
                return -1;
            continue;
        }
        if (sl__y_string(c, v, sub, &text) < 0)
            return -1;
        if (!strcmp(name, "protocol") && !sl__one_of(text, protocols))
            return sl__y_fail(c, v, sub, "unknown protocol '%s' (expected "
                              "tcp, udp or sctp)", text);
        if (!strcmp(name, "mode") && !sl__one_of(text, modes))
            return sl__y_fail(c, v, sub, "unknown mode '%s' (expected "
                              "ingress or host)", text);
        if (!strcmp(name, "protocol"))
            port.protocol = sl__one_of(text, protocols + 1)
                                ? (!strcmp(text, "udp") ? "udp" : "sctp")
                                : "tcp";
        else
            host = !strcmp(text, "host");
    }
    if (!port.target)
        return sl__y_fail(c, n, path, "a port needs a target");
    port.publish_mode = host ? "host" : "ingress";
    return add_ports(c, d, &port, 1);
}

static int read_ports(ycx *c, svc_draft *d, yaml_node_t *n, const char *path)
{
    yaml_node_t **items;
    size_t k;

    if (sl__y_items(c, n, path, &items, &k) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        char sub[SL__PATH_MAX];
        char why[160];
        sl_docker_port *ports;
        size_t np;
        bool ip;
        yval v;

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl__y_value(c, items[i], sub, &v) < 0)
            return -1;
        if (v.kind == Y_MAP) {
            if (port_long(c, d, items[i], sub) < 0)
                return -1;
            continue;
        }
        if (v.kind != Y_STR && v.kind != Y_INT)
            return sl__y_expected(c, &v, sub, "a port");
        if (sl__parse_port_short(c->pool, v.text, &ports, &np, &ip, why,
                                 sizeof(why)) < 0)
            return sl__y_fail(c, items[i], sub, "%s", why);
        if (ip && sl__y_warn(c, items[i], sub, "host address ignored: a "
                             "swarm service listens on every address") < 0)
            return -1;
        for (size_t j = 0; j < np; j++)
            ports[j].publish_mode = "ingress";
        if (add_ports(c, d, ports, np) < 0)
            return -1;
    }
    return 0;
}

/* Orders ports by published port as docker does, keeping the file's
 * order among equals. */
static void sort_ports(sl_docker_port *p, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        sl_docker_port cur = p[i];
        size_t j = i;

        for (; j > 0 && p[j - 1].published > cur.published; j--)
            p[j] = p[j - 1];
        p[j] = cur;
    }
}

/* Deploy ------------------------------------------------------------------ */

static int read_cpus(ycx *c, yaml_node_t *n, const char *path, int64_t *out)
{
    const char *text;

    if (sl__y_text(c, n, path, false, &text) < 0)
        return -1;
    if (sl__parse_nano_cpus(text, out) < 0)
        return sl__y_fail(c, n, path, "invalid cpus '%s'", text);
    return 0;
}

static int read_memory(ycx *c, yaml_node_t *n, const char *path,
                       int64_t *out)
{
    const char *text;

    if (sl__y_text(c, n, path, false, &text) < 0)
        return -1;
    if (sl__parse_bytes(text, false, out) < 0)
        return sl__y_fail(c, n, path, "invalid size '%s'", text);
    return 0;
}

/* limits: or reservations: {cpus, memory}. */
static int read_resource(ycx *c, yaml_node_t *n, const char *path,
                         int64_t *cpus, int64_t *memory)
{
    static const char *const keys[] = {"cpus", "memory", NULL};
    static const char *const unmodelled[] = {"pids", "generic_resources",
                                             "devices", NULL};
    static const key_rules rules = {keys, NULL, unmodelled, NULL, false};
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        char sub[SL__PATH_MAX];
        int r;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if ((r = sl__y_check_key(c, &rules, &pairs[i], sub)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        if (!strcmp(pairs[i].name, "cpus") ?
                read_cpus(c, pairs[i].value, sub, cpus) < 0 :
                read_memory(c, pairs[i].value, sub, memory) < 0)
            return -1;
    }
    return 0;
}

static int read_resources(ycx *c, svc_draft *d, yaml_node_t *n,
                          const char *path)
{
    static const char *const keys[] = {"limits", "reservations", NULL};
    static const key_rules rules = {keys, NULL, NULL, NULL, false};
    sl_docker_service_def *def = &d->out->def;
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        char sub[SL__PATH_MAX];
        bool limits = !strcmp(pairs[i].name, "limits");
        int r;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if ((r = sl__y_check_key(c, &rules, &pairs[i], sub)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        if (read_resource(c, pairs[i].value, sub,
                          limits ? &def->limit_nano_cpus
                                 : &def->reserve_nano_cpus,
                          limits ? &def->limit_memory_bytes
                                 : &def->reserve_memory_bytes) < 0)
            return -1;
    }
    return 0;
}

static int read_constraints(ycx *c, svc_draft *d, yaml_node_t *n,
                            const char *path)
{
    sl_stack_service *s = d->out;
    const char **exprs = NULL;
    yaml_node_t **items;
    size_t k;

    if (sl__y_items(c, n, path, &items, &k) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        char sub[SL__PATH_MAX];
        sl_constraint parsed;
        sl_error why;
        const char *expr;

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl__y_string(c, items[i], sub, &expr) < 0)
            return -1;
        if (sl_constraint_parse(expr, true, &parsed, &why) < 0)
            return sl__y_fail(c, items[i], sub, "%s", why.message);
        if (push(c, &exprs, &s->def.n_constraints, expr) < 0)
            return -1;
    }
    s->def.constraints = exprs;
    return 0;
}

/* preferences: [{spread: node.labels.zone}] */
static int read_preferences(ycx *c, svc_draft *d, yaml_node_t *n,
                            const char *path)
{
    static const char *const keys[] = {"spread", NULL};
    static const key_rules rules = {keys, NULL, NULL, NULL, false};
    sl_stack_service *s = d->out;
    const char **prefs = NULL;
    yaml_node_t **items;
    size_t k;

    if (sl__y_items(c, n, path, &items, &k) < 0)
        return -1;
    for (size_t i = 0; i < k; i++) {
        char sub[SL__PATH_MAX];
        ypair *pairs;
        size_t np;

        sl__path_index(sub, sizeof(sub), path, i);
        if (sl__y_pairs(c, items[i], sub, &pairs, &np) < 0)
            return -1;
        if (np != 1)
            return sl__y_fail(c, items[i], sub, "expected one 'spread' "
                              "key");
        for (size_t j = 0; j < np; j++) {
            char key[SL__PATH_MAX];
            const char *desc;

            sl__path_key(key, sizeof(key), sub, pairs[j].name);
            if (sl__y_check_key(c, &rules, &pairs[j], key) < 0 ||
                sl__y_string(c, pairs[j].value, key, &desc) < 0 ||
                push(c, &prefs, &s->n_preferences, desc) < 0)
                return -1;
        }
    }
    s->preferences = prefs;
    return 0;
}

static int read_placement(ycx *c, svc_draft *d, yaml_node_t *n,
                          const char *path)
{
    static const char *const keys[] = {"constraints", "preferences",
                                       "max_replicas_per_node", NULL};
    static const key_rules rules = {keys, NULL, NULL, NULL, false};
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        const char *name = pairs[i].name;
        char sub[SL__PATH_MAX];
        int r;

        sl__path_key(sub, sizeof(sub), path, name);
        if ((r = sl__y_check_key(c, &rules, &pairs[i], sub)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        if (!strcmp(name, "constraints"))
            r = read_constraints(c, d, pairs[i].value, sub);
        else if (!strcmp(name, "preferences"))
            r = read_preferences(c, d, pairs[i].value, sub);
        else
            r = sl__y_uint(c, pairs[i].value, sub,
                           &d->out->max_replicas_per_node);
        if (r < 0)
            return -1;
    }
    return 0;
}

static int read_mode(ycx *c, svc_draft *d, yaml_node_t *n, const char *path)
{
    static const char *const modes[] = {"replicated", "global", NULL};
    const char *mode;

    if (sl__y_string(c, n, path, &mode) < 0)
        return -1;
    if (!sl__one_of(mode, modes))
        return sl__y_fail(c, n, path, "unknown mode '%s' (expected "
                          "replicated or global)", mode);
    d->out->def.global = !strcmp(mode, "global");
    d->mode_node = n;
    return 0;
}

static int read_endpoint_mode(ycx *c, svc_draft *d, yaml_node_t *n,
                              const char *path)
{
    static const char *const modes[] = {"vip", "dnsrr", NULL};
    const char *mode;

    if (sl__y_string(c, n, path, &mode) < 0)
        return -1;
    if (!sl__one_of(mode, modes))
        return sl__y_fail(c, n, path, "unknown endpoint mode '%s' "
                          "(expected vip or dnsrr)", mode);
    d->out->endpoint_mode = !strcmp(mode, "vip") ? "vip" : "dnsrr";
    return 0;
}

static int read_deploy(ycx *c, svc_draft *d, yaml_node_t *n, const char *path)
{
    static const char *const keys[] = {"mode", "replicas", "labels",
                                       "placement", "resources",
                                       "endpoint_mode", NULL};
    static const char *const unmodelled[] = {"restart_policy",
                                             "update_config",
                                             "rollback_config", NULL};
    static const key_rules rules = {keys, NULL, unmodelled, NULL, true};
    ypair *pairs;
    size_t np;

    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        const char *name = pairs[i].name;
        yaml_node_t *v = pairs[i].value;
        char sub[SL__PATH_MAX];
        int r;

        sl__path_key(sub, sizeof(sub), path, name);
        if ((r = sl__y_check_key(c, &rules, &pairs[i], sub)) <= 0) {
            if (r < 0)
                return -1;
            continue;
        }
        if (!strcmp(name, "mode")) {
            r = read_mode(c, d, v, sub);
        } else if (!strcmp(name, "replicas")) {
            r = sl__y_uint(c, v, sub, &d->out->def.replicas);
            d->out->replicas_given = true;
            d->replicas_node = v;
        } else if (!strcmp(name, "labels")) {
            r = sl__y_labels(c, v, sub, &d->labels, &d->n_labels);
        } else if (!strcmp(name, "placement")) {
            r = read_placement(c, d, v, sub);
        } else if (!strcmp(name, "resources")) {
            r = read_resources(c, d, v, sub);
        } else {
            r = read_endpoint_mode(c, d, v, sub);
        }
        if (r < 0)
            return -1;
    }
    if (d->out->def.global && d->replicas_node) {
        char sub[SL__PATH_MAX];

        sl__path_key(sub, sizeof(sub), path, "replicas");
        return sl__y_fail(c, d->replicas_node, sub, "replicas can only be "
                          "used with replicated mode");
    }
    return 0;
}

/* A service --------------------------------------------------------------- */

static int read_key(ycx *c, svc_draft *d, const ypair *p, const char *sub)
{
    const char *name = p->name;
    yaml_node_t *v = p->value;

    if (!strcmp(name, "image"))
        return sl__y_string(c, v, sub, &d->out->def.image);
    if (!strcmp(name, "command"))
        return read_command(c, d, v, sub);
    if (!strcmp(name, "environment"))
        return read_environment(c, d, v, sub);
    if (!strcmp(name, "labels"))
        return sl__y_labels(c, v, sub, &d->container_labels,
                            &d->n_container_labels);
    if (!strcmp(name, "deploy"))
        return read_deploy(c, d, v, sub);
    if (!strcmp(name, "networks"))
        return read_networks(c, d, v, sub);
    return read_ports(c, d, v, sub);
}

/* Adds what docker stack deploy adds and hands the arrays over. */
static int finish_service(ycx *c, svc_draft *d, const ypair *p)
{
    sl_stack_service *s = d->out;
    const char *ns = c->st->name;

    if (!s->def.image || !*s->def.image)
        return sl__y_fail(c, p->key, d->path, "a service needs an image");
    if (sl__labels_put(c->pool, &d->labels, &d->n_labels, IMAGE_LABEL,
                       s->def.image) < 0 ||
        sl__labels_put(c->pool, &d->labels, &d->n_labels, NAMESPACE_LABEL,
                       ns) < 0 ||
        sl__labels_put(c->pool, &d->container_labels,
                       &d->n_container_labels, NAMESPACE_LABEL, ns) < 0)
        return sl__y_nomem(c);
    sl__labels_sort(d->labels, d->n_labels);
    sl__labels_sort(d->container_labels, d->n_container_labels);
    s->def.labels = d->labels;
    s->def.n_labels = d->n_labels;
    s->container_labels = d->container_labels;
    s->n_container_labels = d->n_container_labels;
    sl__env_normalize(d->env, &d->n_env);
    s->def.env = d->env;
    s->def.n_env = d->n_env;
    sort_ports(d->ports, d->n_ports);
    s->def.ports = d->ports;
    s->def.n_ports = d->n_ports;
    return attach(c, d);
}

static int read_service(ycx *c, const ypair *p, sl_stack_service *s)
{
    char path[SL__PATH_MAX];
    char where[SL__PATH_MAX + 64];
    svc_draft d;
    ypair *pairs;
    size_t np;

    memset(&d, 0, sizeof(d));
    d.out = s;
    d.path = path;
    sl__path_key(path, sizeof(path), "services", p->name);
    s->key = p->name;
    s->def.name = sl__pool_printf(c->pool, "%s_%s", c->st->name, p->name);
    snprintf(where, sizeof(where), "%s:%lu:%lu: %s", c->file,
             (unsigned long)p->key->start_mark.line + 1,
             (unsigned long)p->key->start_mark.column + 1, path);
    s->where = sl__pool_strdup(c->pool, where);
    if (!s->def.name || !s->where)
        return sl__y_nomem(c);
    if (!sl__valid_object_name(s->def.name))
        return sl__y_fail(c, p->key, path, "invalid service name '%s': "
                          "use letters, digits, '-' and '_', at most 63",
                          s->def.name);
    if (sl__y_pairs(c, p->value, path, &pairs, &np) < 0)
        return -1;
    for (size_t i = 0; i < np; i++) {
        char sub[SL__PATH_MAX];
        int r;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        r = sl__y_check_key(c, &service_rules, &pairs[i], sub);
        if (r < 0 || (r > 0 && read_key(c, &d, &pairs[i], sub) < 0))
            return -1;
    }
    return finish_service(c, &d, p);
}

int sl__y_services(ycx *c, yaml_node_t *services)
{
    sl_stack_service *out;
    ypair *pairs = NULL;
    size_t np = 0;
    yval v;

    if (sl__y_value(c, services, "services", &v) < 0)
        return -1;
    if (v.kind != Y_NULL &&
        sl__y_pairs(c, services, "services", &pairs, &np) < 0)
        return -1;
    out = sl__pool_alloc(c->pool, np, sizeof(*out));
    if (!out)
        return sl__y_nomem(c);
    for (size_t i = 0; i < np; i++) {
        if (read_service(c, &pairs[i], &out[i]) < 0)
            return -1;
    }
    c->st->services = out;
    c->st->n_services = np;
    return 0;
}

/* The spec ---------------------------------------------------------------- */

static json_t *attachments_json(const sl_stack_service *svc)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < svc->def.n_networks; i++) {
        const sl_stack_attachment *a = &svc->attachments[i];
        json_t *one = json_pack("{s:s}", "Target", a->target);

        if (a->n_aliases &&
            !sl__set(one, "Aliases",
                     sl__string_array(a->aliases, a->n_aliases)))
            one = NULL;
        if (!one || json_array_append_new(arr, one) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *placement_json(const sl_stack_service *svc, json_t *tt)
{
    json_t *pl = json_object_get(tt, "Placement");
    json_t *prefs = json_array();

    if (!pl && !sl__set(tt, "Placement", json_object()))
        goto fail;
    pl = json_object_get(tt, "Placement");
    for (size_t i = 0; prefs && i < svc->n_preferences; i++) {
        if (json_array_append_new(prefs, json_pack(
                "{s:{s:s}}", "Spread", "SpreadDescriptor",
                svc->preferences[i])) < 0)
            goto fail;
    }
    if (svc->n_preferences &&
        !sl__set(pl, "Preferences", json_incref(prefs)))
        goto fail;
    if (svc->max_replicas_per_node &&
        !sl__set(pl, "MaxReplicas",
                 json_integer((json_int_t)svc->max_replicas_per_node)))
        goto fail;
    json_decref(prefs);
    return pl;

fail:
    json_decref(prefs);
    return NULL;
}

/* ContainerSpec.Labels, or NULL when one is not UTF-8. */
static json_t *container_labels_json(const sl_stack_service *svc)
{
    json_t *labels = json_object();

    for (size_t i = 0; labels && i < svc->n_container_labels; i++) {
        if (!sl__set(labels, svc->container_labels[i].key,
                     json_string(svc->container_labels[i].value))) {
            json_decref(labels);
            return NULL;
        }
    }
    return labels;
}

json_t *sl_stack_service_spec(const sl_stack_service *svc, sl_error *err)
{
    json_t *spec = sl_docker_service_spec_build(&svc->def, err);
    json_t *tt = json_object_get(spec, "TaskTemplate");
    json_t *cs = json_object_get(tt, "ContainerSpec");

    if (!spec)
        return NULL;
    if (svc->n_container_labels &&
        !sl__set(cs, "Labels", container_labels_json(svc)))
        goto fail;
    if (svc->def.n_networks &&
        !sl__set(tt, "Networks", attachments_json(svc)))
        goto fail;
    if ((svc->n_preferences || svc->max_replicas_per_node) &&
        !placement_json(svc, tt))
        goto fail;
    if (!svc->def.global && svc->replicas_given && svc->def.replicas == 0 &&
        !sl__set(spec, "Mode", json_pack("{s:{s:i}}", "Replicated",
                                         "Replicas", 0)))
        goto fail;
    if (svc->endpoint_mode) {
        json_t *ep = json_object_get(spec, "EndpointSpec");

        if (!ep && !sl__set(spec, "EndpointSpec", json_object()))
            goto fail;
        if (!sl__set(json_object_get(spec, "EndpointSpec"), "Mode",
                     json_string(svc->endpoint_mode)))
            goto fail;
    }
    return spec;

fail:
    json_decref(spec);
    sl_error_set(err, SL_ERR_INVALID, "cannot encode service '%s': a string "
                 "is missing or not utf-8", svc->def.name);
    return NULL;
}
