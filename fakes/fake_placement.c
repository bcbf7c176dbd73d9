/* Task placement as swarmkit does it: constraints, filters, spreading. */
#include "fake_swarm_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NODE_LABEL_PREFIX "node.labels."
#define ENGINE_LABEL_PREFIX "engine.labels."

/* Constraint parsing ------------------------------------------------------ */

/* ^(?i)[a-z_][a-z0-9\-_.]+$ */
static bool valid_key(const char *k)
{
    size_t i, len = strlen(k);

    if (len < 2 || !(isalpha((unsigned char)k[0]) || k[0] == '_'))
        return false;
    for (i = 1; i < len; i++) {
        unsigned char c = (unsigned char)k[i];

        if (!isalnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

/* ^(?i)[a-z0-9:\-_\s\.\*\(\)\?\+\[\]\\\^\$\|\/]+$ */
static bool valid_value(const char *v)
{
    static const char extra[] = ":-_ \t\n\f\r.*()?+[]\\^$|/";

    if (!*v)
        return false;
    for (; *v; v++) {
        if (!isalnum((unsigned char)*v) || ((unsigned char)*v & 0x80)) {
            if (!strchr(extra, *v))
                return false;
        }
    }
    return true;
}

/* A copy of 'len' bytes of 's' without surrounding white space. */
static char *trimmed(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

static int parse_one(const char *e, fs_constraint *c, char *msg,
                     size_t msgsize)
{
    static const char *const ops[] = {"==", "!="};
    size_t i;

    for (i = 0; i < 2; i++) {
        const char *at = strstr(e, ops[i]);

        if (!at)
            continue;
        c->key = trimmed(e, (size_t)(at - e));
        c->value = trimmed(at + 2, strlen(at + 2));
        c->eq = i == 0;
        if (!c->key || !c->value)
            return snprintf(msg, msgsize, "out of memory"), -1;
        if (!valid_key(c->key))
            return snprintf(msg, msgsize, "key '%s' is invalid", c->key),
                   -1;
        if (!valid_value(c->value))
            return snprintf(msg, msgsize, "value '%s' is invalid",
                            c->value), -1;
        return 0;
    }
    snprintf(msg, msgsize, "constraint expected one operator from ==, !=");
    return -1;
}

int fs_constraints_parse(json_t *exprs, fs_constraint **out, size_t *count,
                         char *msg, size_t msgsize)
{
    size_t n = json_array_size(exprs);
    fs_constraint *c = NULL;
    size_t i;

    *out = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    c = calloc(n, sizeof(*c));
    if (!c)
        return snprintf(msg, msgsize, "out of memory"), -1;
    for (i = 0; i < n; i++) {
        const char *e = json_string_value(json_array_get(exprs, i));

        if (parse_one(e ? e : "", &c[i], msg, msgsize) < 0) {
            fs_constraints_free(c, n);
            return -1;
        }
    }
    *out = c;
    *count = n;
    return 0;
}

void fs_constraints_free(fs_constraint *c, size_t count)
{
    size_t i;

    for (i = 0; c && i < count; i++) {
        free(c[i].key);
        free(c[i].value);
    }
    free(c);
}

/* Constraint matching ----------------------------------------------------- */

static bool match(const fs_constraint *c, const char *what)
{
    bool same = !strcasecmp(c->value, what ? what : "");

    return c->eq ? same : !same;
}

/* node.ip == 10.0.0.2 or node.ip != 10.0.0.0/24 */
static bool match_ip(const fs_constraint *c, const char *addr)
{
    uint32_t node_ip = 0, ip, mask;
    char base[FS_ADDR_MAX];
    int prefix;
    bool within;

    fs_parse_ipv4(addr, &node_ip);
    if (fs_parse_ipv4(c->value, &ip) == 0) {
        within = ip == node_ip;
    } else if (sscanf(c->value, "%63[0-9.]/%d", base, &prefix) == 2 &&
               fs_parse_ipv4(base, &ip) == 0 && prefix >= 0 &&
               prefix <= 32) {
        mask = prefix ? ~UINT32_C(0) << (32 - prefix) : 0;
        within = (ip & mask) == (node_ip & mask);
    } else {
        return false;
    }
    return c->eq ? within : !within;
}

static const char *label_value(json_t *labels, const char *key)
{
    const char *v = json_string_value(json_object_get(labels, key));

    return v ? v : "";
}

static bool has_prefix_ci(const char *s, const char *prefix)
{
    size_t len = strlen(prefix);

    return strlen(s) > len && !strncasecmp(s, prefix, len);
}

static bool match_one(const fs_constraint *c, const fs_host *h,
                      const fs_node *n)
{
    const char *k = c->key;

    if (!strcasecmp(k, "node.id"))
        return match(c, n->id);
    if (!strcasecmp(k, "node.hostname"))
        return match(c, h->hostname);
    if (!strcasecmp(k, "node.ip"))
        return match_ip(c, n->addr);
    if (!strcasecmp(k, "node.role"))
        return match(c, n->observed_role == FS_MANAGER ? "manager"
                                                       : "worker");
    if (!strcasecmp(k, "node.platform.os"))
        return match(c, h->os);
    if (!strcasecmp(k, "node.platform.arch"))
        return match(c, h->arch);
    if (has_prefix_ci(k, NODE_LABEL_PREFIX))
        return match(c, label_value(n->labels,
                                    k + strlen(NODE_LABEL_PREFIX)));
    if (has_prefix_ci(k, ENGINE_LABEL_PREFIX))
        return match(c, label_value(h->engine_labels,
                                    k + strlen(ENGINE_LABEL_PREFIX)));
    return false;
}

bool fs_constraints_match(const fs_constraint *c, size_t count,
                          const sl_fake_swarm *fs, const fs_node *n)
{
    fs_host *h = fs_host_at(fs, n->host);
    size_t i;

    for (i = 0; i < count; i++) {
        if (!match_one(&c[i], h, n))
            return false;
    }
    return true;
}

/* The scheduler's pipeline ------------------------------------------------ */

enum {
    F_READY,
    F_RESOURCES,
    F_CONSTRAINTS,
    F_PLATFORM,
    F_HOST_PORT,
    F_MAX_REPLICAS,
    F_COUNT
};

/* What one placement needs to know about the task it places. */
typedef struct placing {
    const fs_task *task;
    fs_constraint *constraints;
    size_t nconstraints;
    int64_t cpus;              /* reservations */
    int64_t memory;
    json_t *platforms;
    json_t *host_ports;        /* host-mode published ports */
    uint64_t max_replicas;
    int failures[F_COUNT];
} placing;

/* swarmkit tries last the nodes where the service's tasks failed this
 * often within this long. */
#define MAX_FAILURES 5
#define FAILURE_WINDOW_NS (300 * SL_NS_PER_SEC)

/* Counts of active tasks on 'n': of the placed task's service and all;
 * with 'failed', also how often tasks of the service failed or were
 * rejected there since 'since'.
 * TODO: failures are counted from the tasks the reaper kept, so a slot's
 * older failures beyond the task history are forgotten. */
static void node_load(const fs_cluster *cl, const fs_node *n,
                      const char *service_id, int *of_service, int *all,
                      int64_t *cpus, int64_t *memory, int64_t since,
                      int *failed)
{
    size_t i;

    *of_service = *all = 0;
    *cpus = *memory = 0;
    if (failed)
        *failed = 0;
    for (i = 0; i < cl->tasks.n; i++) {
        const fs_task *t = cl->tasks.v[i];
        json_t *res;

        if (strcmp(t->node_id, n->id))
            continue;
        if (failed && (t->state == FS_T_REJECTED || t->state == FS_T_FAILED) &&
            t->status_ts >= since && !strcmp(t->service_id, service_id))
            (*failed)++;
        if (t->desired > FS_T_RUNNING || t->state > FS_T_RUNNING ||
            t->state < FS_T_ASSIGNED)
            continue;
        (*all)++;
        if (!strcmp(t->service_id, service_id))
            (*of_service)++;
        res = json_object_get(json_object_get(t->spec, "Resources"),
                              "Reservations");
        *cpus += json_integer_value(json_object_get(res, "NanoCPUs"));
        *memory += json_integer_value(json_object_get(res, "MemoryBytes"));
    }
}

static bool platform_ok(json_t *platforms, const fs_host *h)
{
    size_t i;
    json_t *p;

    if (json_array_size(platforms) == 0)
        return true;
    json_array_foreach(platforms, i, p) {
        const char *os = json_string_value(json_object_get(p, "OS"));
        const char *arch = json_string_value(json_object_get(p,
                                                             "Architecture"));
        bool arch_ok = !arch || !*arch || !strcmp(arch, h->arch) ||
                       (!strcmp(arch, "amd64") &&
                        !strcmp(h->arch, "x86_64")) ||
                       (!strcmp(arch, "arm64") &&
                        !strcmp(h->arch, "aarch64"));

        if (arch_ok && (!os || !*os || !strcmp(os, h->os)))
            return true;
    }
    return false;
}

static bool is_host_mode(json_t *port)
{
    const char *mode = json_string_value(json_object_get(port,
                                                         "PublishMode"));

    return mode && !strcmp(mode, "host");
}

/* True when another active task on 'n' holds one of 'ports' in host mode. */
static bool host_port_taken(const fs_cluster *cl, const fs_node *n,
                            json_t *ports)
{
    size_t i, j, k;
    json_t *want, *have;

    for (i = 0; json_array_size(ports) && i < cl->tasks.n; i++) {
        const fs_task *t = cl->tasks.v[i];
        json_t *theirs = json_object_get(t->endpoint_spec, "Ports");

        if (strcmp(t->node_id, n->id) || t->desired > FS_T_RUNNING ||
            t->state > FS_T_RUNNING)
            continue;
        json_array_foreach(ports, j, want) {
            json_array_foreach(theirs, k, have) {
                if (json_equal(json_object_get(want, "PublishedPort"),
                               json_object_get(have, "PublishedPort")) &&
                    json_equal(json_object_get(want, "Protocol"),
                               json_object_get(have, "Protocol")) &&
                    is_host_mode(have))
                    return true;
            }
        }
    }
    return false;
}

/* Test hook: with SWARMLAB_FAKE_BREAK=ignore-constraints the scheduler
 * places tasks as if their services had no constraints, a wrong fake that
 * the differential suite must tell from real daemons. Never set otherwise. */
static bool ignore_constraints(void)
{
    const char *b = getenv("SWARMLAB_FAKE_BREAK");

    return b && !strcmp(b, "ignore-constraints");
}

/* The first filter 'n' fails, or F_COUNT when it passes them all. */
static int first_failure(const sl_fake_swarm *fs, const fs_cluster *cl,
                         placing *p, const fs_node *n)
{
    fs_host *h = fs_host_at(fs, n->host);
    int of_service, all;
    int64_t cpus, memory;

    if (n->state != FS_NODE_READY || n->availability != FS_ACTIVE)
        return F_READY;
    node_load(cl, n, p->task->service_id, &of_service, &all, &cpus,
              &memory, 0, NULL);
    if ((p->cpus || p->memory) && (p->cpus > h->nano_cpus - cpus ||
                                   p->memory > h->memory_bytes - memory))
        return F_RESOURCES;
    if (p->nconstraints && !ignore_constraints() &&
        !fs_constraints_match(p->constraints, p->nconstraints, fs, n))
        return F_CONSTRAINTS;
    if (!platform_ok(p->platforms, h))
        return F_PLATFORM;
    if (host_port_taken(cl, n, p->host_ports))
        return F_HOST_PORT;
    if (p->max_replicas && (uint64_t)of_service >= p->max_replicas)
        return F_MAX_REPLICAS;
    return F_COUNT;
}

static void explain_one(int filter, int nodes, char *buf, size_t size)
{
    static const char *const what[] = {
        "not available for new tasks", "insufficient resources on",
        "scheduling constraints not satisfied on",
        "unsupported platform on", "host-mode port already in use on"};
    const char *unit = nodes == 1 ? "node" : "nodes";

    if (filter == F_MAX_REPLICAS)
        snprintf(buf, size, "max replicas per node limit exceed");
    else if (filter == F_READY)
        snprintf(buf, size, "%d %s %s", nodes, unit, what[filter]);
    else
        snprintf(buf, size, "%s %d %s", what[filter], nodes, unit);
}

/* The pipeline's explanation: filters by failures, most first. */
static void explain(const placing *p, char *buf, size_t size)
{
    int order[F_COUNT];
    int i, j, len = 0;

    for (i = 0; i < F_COUNT; i++)
        order[i] = i;
    for (i = 1; i < F_COUNT; i++) {
        for (j = i; j > 0 && p->failures[order[j]] >
                                 p->failures[order[j - 1]]; j--) {
            int tmp = order[j];

            order[j] = order[j - 1];
            order[j - 1] = tmp;
        }
    }
    buf[0] = '\0';
    for (i = 0; i < F_COUNT && p->failures[order[i]]; i++) {
        char part[128];

        explain_one(order[i], p->failures[order[i]], part, sizeof(part));
        len += snprintf(buf + len, size - (size_t)len, "%s%s",
                        len ? "; " : "", part);
        if ((size_t)len >= size)
            break;
    }
}

static json_t *host_mode_ports(json_t *endpoint_spec)
{
    json_t *ports = json_array();
    size_t i;
    json_t *port;

    json_array_foreach(json_object_get(endpoint_spec, "Ports"), i, port) {
        if (is_host_mode(port) &&
            json_integer_value(json_object_get(port, "PublishedPort")))
            json_array_append(ports, port);
    }
    return ports;
}

static void placing_init(placing *p, const fs_task *t)
{
    json_t *placement = json_object_get(t->spec, "Placement");
    json_t *res = json_object_get(json_object_get(t->spec, "Resources"),
                                  "Reservations");
    char msg[256];

    memset(p, 0, sizeof(*p));
    p->task = t;
    if (fs_constraints_parse(json_object_get(placement, "Constraints"),
                             &p->constraints, &p->nconstraints, msg,
                             sizeof(msg)) < 0)
        p->nconstraints = 0;
    p->cpus = json_integer_value(json_object_get(res, "NanoCPUs"));
    p->memory = json_integer_value(json_object_get(res, "MemoryBytes"));
    p->platforms = json_object_get(placement, "Platforms");
    p->host_ports = host_mode_ports(t->endpoint_spec);
    p->max_replicas = (uint64_t)json_integer_value(
        json_object_get(placement, "MaxReplicas"));
}

static void placing_clear(placing *p)
{
    fs_constraints_free(p->constraints, p->nconstraints);
    json_decref(p->host_ports);
}

/* Spreading --------------------------------------------------------------- */

/* The value a spread preference reads on 'n' ("" when unset). */
static const char *spread_value(const sl_fake_swarm *fs, const fs_node *n,
                                const char *descriptor)
{
    fs_host *h = fs_host_at(fs, n->host);

    if (has_prefix_ci(descriptor, NODE_LABEL_PREFIX))
        return label_value(n->labels,
                           descriptor + strlen(NODE_LABEL_PREFIX));
    if (has_prefix_ci(descriptor, ENGINE_LABEL_PREFIX))
        return label_value(h->engine_labels,
                           descriptor + strlen(ENGINE_LABEL_PREFIX));
    return "";
}

/* Keeps, among 'cand', the nodes of the preference branch holding the
 * fewest tasks of the service (first branch seen wins a tie). */
static size_t spread_over(const sl_fake_swarm *fs, const fs_cluster *cl,
                          const char *service_id, const char *descriptor,
                          fs_node **cand, size_t n)
{
    json_t *branches = json_object();
    const char *best = NULL;
    json_int_t best_count = 0;
    size_t i, j, kept = 0;

    for (i = 0; i < cl->nodes.n; i++) {
        const fs_node *node = cl->nodes.v[i];
        int of_service, all;
        int64_t cpus, memory;
        const char *v = spread_value(fs, node, descriptor);
        json_int_t sum = json_integer_value(json_object_get(branches, v));

        node_load(cl, node, service_id, &of_service, &all, &cpus, &memory,
                  0, NULL);
        json_object_set_new(branches, v, json_integer(sum + of_service));
    }
    for (j = 0; j < n; j++) {
        const char *v = spread_value(fs, cand[j], descriptor);
        json_int_t count = json_integer_value(json_object_get(branches, v));

        if (!best || count < best_count) {
            best = v;
            best_count = count;
        }
    }
    for (j = 0; best && j < n; j++) {
        if (!strcmp(spread_value(fs, cand[j], descriptor), best))
            cand[kept++] = cand[j];
    }
    json_decref(branches);
    return kept;
}

static size_t apply_preferences(const sl_fake_swarm *fs,
                                const fs_cluster *cl, const fs_task *t,
                                fs_node **cand, size_t n)
{
    json_t *prefs = json_object_get(json_object_get(t->spec, "Placement"),
                                    "Preferences");
    size_t i;
    json_t *pref;

    json_array_foreach(prefs, i, pref) {
        const char *d = json_string_value(json_object_get(
            json_object_get(pref, "Spread"), "SpreadDescriptor"));

        if (d && n > 1)
            n = spread_over(fs, cl, t->service_id, d, cand, n);
    }
    return n;
}

/* The node with the fewest tasks of the service, then the fewest tasks;
 * nodes where the service failed MAX_FAILURES times lately come last. */
static fs_node *least_loaded(const fs_cluster *cl, const fs_task *t,
                             fs_node **cand, size_t n, int64_t now)
{
    fs_node *best = NULL;
    int best_service = 0, best_all = 0, best_failed = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        int of_service, all, failed;
        int64_t cpus, memory;
        bool by_failures;

        node_load(cl, cand[i], t->service_id, &of_service, &all, &cpus,
                  &memory, now - FAILURE_WINDOW_NS, &failed);
        by_failures = best && failed != best_failed &&
                      (failed >= MAX_FAILURES || best_failed >= MAX_FAILURES);
        if (by_failures ? failed < best_failed
                        : !best || of_service < best_service ||
                              (of_service == best_service &&
                               all < best_all)) {
            best = cand[i];
            best_service = of_service;
            best_all = all;
            best_failed = failed;
        }
    }
    return best;
}

fs_node *fs_place(sl_fake_swarm *fs, fs_cluster *cl, const fs_task *task,
                  char *why, size_t whysize)
{
    fs_node **cand = calloc(cl->nodes.n + 1, sizeof(*cand));
    fs_node *chosen = NULL;
    size_t i, n = 0;
    placing p;
    char expl[512];

    if (!cand) {
        snprintf(why, whysize, "no suitable node");
        return NULL;
    }
    placing_init(&p, task);
    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *node = cl->nodes.v[i];
        int f;

        if (task->node_id[0] && strcmp(node->id, task->node_id))
            continue;
        f = first_failure(fs, cl, &p, node);
        if (f == F_COUNT)
            cand[n++] = node;
        else
            p.failures[f]++;
    }
    explain(&p, expl, sizeof(expl));
    if (n > 0) {
        n = apply_preferences(fs, cl, task, cand, n);
        chosen = least_loaded(cl, task, cand, n, fs_now(fs));
    } else if (task->node_id[0]) {
        snprintf(why, whysize, "%s", expl);
    } else if (expl[0]) {
        snprintf(why, whysize, "no suitable node (%s)", expl);
    } else {
        snprintf(why, whysize, "no suitable node");
    }
    placing_clear(&p);
    free(cand);
    return chosen;
}
