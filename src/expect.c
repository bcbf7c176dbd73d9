/* Checking a scenario's expectations against the swarm the runner observed. */
#include "runner_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "constraint.h"

#define TEXT_MAX 1024
#define MAX_LISTED 4

/* One expectation's verdict. */
typedef struct verdict {
    const char *path;
    char expected[TEXT_MAX];
    char observed[TEXT_MAX];
    bool holds;
} verdict;

/* Appends to 'buf', which always stays terminated. */
static void addf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void addf(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;

    if (len + 1 >= size)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
}

static void unobservable(const rn_view *v, verdict *out)
{
    snprintf(out->observed, sizeof(out->observed),
             "cannot observe the swarm: %s", v->error);
    out->holds = false;
}

/* Nodes -------------------------------------------------------------------- */

static void node_filters(const sl_expect_nodes *e, char *buf, size_t size)
{
    const char *sep = "";

    buf[0] = '\0';
    if (e->role)
        addf(buf, size, "%srole %s", sep, e->role), sep = ", ";
    if (e->state)
        addf(buf, size, "%sstate %s", sep, e->state), sep = ", ";
    if (e->availability)
        addf(buf, size, "%savailability %s", sep, e->availability),
            sep = ", ";
    if (e->os)
        addf(buf, size, "%sos %s", sep, e->os), sep = ", ";
    for (size_t i = 0; i < e->n_labels; i++) {
        addf(buf, size, "%s%s%s=%s", sep, i ? "" : "labels ",
             e->labels[i].key, e->labels[i].value);
        sep = i + 1 < e->n_labels ? " " : ", ";
    }
}

static bool node_matches(const sl_expect_nodes *e, const sl_docker_node *n)
{
    if ((e->hostname && strcmp(n->hostname, e->hostname)) ||
        (e->role && strcmp(n->role, e->role)) ||
        (e->state && strcmp(n->state, e->state)) ||
        (e->availability && strcmp(n->availability, e->availability)) ||
        (e->os && strcmp(n->os, e->os)))
        return false;
    for (size_t i = 0; i < e->n_labels; i++) {
        const char *v = sl_docker_label_get(n->labels, n->n_labels,
                                            e->labels[i].key);

        if (!v || strcmp(v, e->labels[i].value))
            return false;
    }
    return true;
}

static void describe_node(const sl_docker_node *n, char *buf, size_t size)
{
    addf(buf, size, "%s: role %s, state %s, availability %s, os %s",
         n->hostname, n->role, n->state, n->availability, n->os);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "3 (n2d-wrkr-0, n2d-wrkr-1, n2d-wrkr-2)": the count and the first
 * hostnames in order. */
static void list_matching(const rn_view *v, const sl_expect_nodes *e,
                          size_t count, char *buf, size_t size)
{
    const char **names = calloc(count + 1, sizeof(*names));
    size_t n = 0;

    addf(buf, size, "%zu", count);
    if (!names || !count) {
        free(names);
        return;
    }
    for (size_t i = 0; i < v->nodes->count; i++) {
        if (node_matches(e, &v->nodes->items[i]))
            names[n++] = v->nodes->items[i].hostname;
    }
    qsort(names, n, sizeof(*names), by_string);
    for (size_t i = 0; i < n && i < MAX_LISTED; i++)
        addf(buf, size, "%s%s", i ? ", " : " (", names[i]);
    addf(buf, size, "%s)", n > MAX_LISTED ? ", ..." : "");
    free(names);
}

static void check_nodes(const rn_view *v, const sl_expect_nodes *e,
                        verdict *out)
{
    char filters[TEXT_MAX / 2];
    size_t count = 0;

    node_filters(e, filters, sizeof(filters));
    if (e->hostname)
        snprintf(out->expected, sizeof(out->expected), "%snode '%s'%s%s",
                 e->count ? "" : "no ", e->hostname, filters[0] ? ": " : "",
                 filters);
    else
        snprintf(out->expected, sizeof(out->expected), "%zu node%s%s%s",
                 e->count, e->count == 1 ? "" : "s", filters[0] ? ": " : "",
                 filters);
    if (!v->nodes)
        return unobservable(v, out);
    for (size_t i = 0; i < v->nodes->count; i++)
        count += node_matches(e, &v->nodes->items[i]);
    out->holds = count == e->count;
    if (e->hostname) {
        for (size_t i = 0; i < v->nodes->count; i++) {
            if (!strcmp(v->nodes->items[i].hostname, e->hostname))
                describe_node(&v->nodes->items[i], out->observed,
                              sizeof(out->observed));
        }
        if (!out->observed[0])
            addf(out->observed, sizeof(out->observed), "no node '%s'",
                 e->hostname);
        return;
    }
    list_matching(v, e, count, out->observed, sizeof(out->observed));
}

/* Leader ------------------------------------------------------------------- */

static void check_leader(const rn_view *v, const sl_scenario_expect *e,
                         verdict *out)
{
    const char *leader = sl__rn_view_leader(v);

    out->path = "expect.leader";
    if (e->leader == SL_LEADER_PRESENT)
        snprintf(out->expected, sizeof(out->expected), "a leader");
    else if (e->leader == SL_LEADER_ABSENT)
        snprintf(out->expected, sizeof(out->expected), "no leader");
    else
        snprintf(out->expected, sizeof(out->expected), "leader '%s'",
                 e->leader_host);
    if (leader)
        snprintf(out->observed, sizeof(out->observed), "%s", leader);
    else if (v->nodes)
        snprintf(out->observed, sizeof(out->observed), "none");
    else
        snprintf(out->observed, sizeof(out->observed), "none: %s",
                 v->error);
    if (e->leader == SL_LEADER_PRESENT)
        out->holds = leader != NULL;
    else if (e->leader == SL_LEADER_HOST)
        out->holds = leader && !strcmp(leader, e->leader_host);
    else /* a manager said so, or none is left to lead */
        out->holds = !leader && (v->nodes || v->refused || v->no_manager);
}

/* Services ----------------------------------------------------------------- */

static const sl_docker_service *find_service(const rn_view *v,
                                             const char *name)
{
    for (size_t i = 0; v->services && i < v->services->count; i++) {
        if (!strcmp(v->services->items[i].name, name))
            return &v->services->items[i];
    }
    return NULL;
}

/* "3 running (n2d-wrkr-0, n2d-wrkr-1 x2), 1 pending: no suitable node" */
static void describe_tasks(const rn_view *v, const sl_docker_service *s,
                           char *buf, size_t size)
{
    json_t *hosts = sl__rn_task_hosts(v, s->id);
    json_int_t running = 0;
    const char *why;
    size_t pending = sl__rn_pending(v, s->id, &why);
    const char *key;
    json_t *count;
    const char *sep = " (";

    json_object_foreach(hosts, key, count)
        running += json_integer_value(count);
    addf(buf, size, "%lld running", (long long)running);
    json_object_foreach(hosts, key, count) {
        if (json_integer_value(count) > 1)
            addf(buf, size, "%s%s x%lld", sep, key,
                 (long long)json_integer_value(count));
        else
            addf(buf, size, "%s%s", sep, key);
        sep = ", ";
    }
    if (running)
        addf(buf, size, ")");
    if (pending)
        addf(buf, size, ", %zu pending%s%s", pending, why ? ": " : "",
             why ? why : "");
    json_decref(hosts);
}

static void check_running(const rn_view *v, const sl_expect_service *e,
                          verdict *out)
{
    const sl_docker_service *s;
    json_t *hosts;
    json_int_t running = 0;
    const char *key;
    json_t *count;

    out->path = e->path;
    snprintf(out->expected, sizeof(out->expected),
             "'%s': %llu running task%s", e->name,
             (unsigned long long)e->running, e->running == 1 ? "" : "s");
    if (!v->nodes)
        return unobservable(v, out);
    s = find_service(v, e->name);
    if (!s) {
        snprintf(out->observed, sizeof(out->observed), "no service '%s'",
                 e->name);
        return;
    }
    hosts = sl__rn_task_hosts(v, s->id);
    json_object_foreach(hosts, key, count)
        running += json_integer_value(count);
    json_decref(hosts);
    describe_tasks(v, s, out->observed, sizeof(out->observed));
    out->holds = (uint64_t)running == e->running;
}

/* Whether slot 'slot' of service 's' runs on a host other than 'host'. */
static bool slot_runs_elsewhere(const rn_view *v, const sl_docker_service *s,
                                json_int_t slot, const char *host)
{
    for (size_t i = 0; i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];
        const char *on = sl__rn_view_hostname(v, t->node_id);

        if (!strcmp(t->service_id, s->id) && t->slot == slot &&
            sl__rn_task_runs(v, t) && on && strcmp(on, host))
            return true;
    }
    return false;
}

static void check_rescheduled(rn_ctx *c, const rn_view *v,
                              const sl_expect_service *e, verdict *out)
{
    const char *host = e->rescheduled_from;
    json_t *slots = json_object_get(json_object_get(c->lost, host), e->name);
    const sl_docker_service *s;
    json_t *hosts;
    json_t *slot;
    size_t missing = 0;
    size_t i;

    snprintf(out->expected, sizeof(out->expected),
             "'%s': no task on '%s', those it had there running elsewhere",
             e->name, host);
    if (!json_object_get(c->lost, host)) {
        snprintf(out->observed, sizeof(out->observed),
                 "no fault took '%s' away", host);
        return;
    }
    if (json_array_size(slots) == 0) {
        snprintf(out->observed, sizeof(out->observed),
                 "no task of '%s' ran on '%s' before it was taken away",
                 e->name, host);
        return;
    }
    if (!v->nodes)
        return unobservable(v, out);
    s = find_service(v, e->name);
    if (!s) {
        snprintf(out->observed, sizeof(out->observed), "no service '%s'",
                 e->name);
        return;
    }
    hosts = sl__rn_task_hosts(v, s->id);
    out->holds = !json_object_get(hosts, host);
    json_decref(hosts);
    json_array_foreach(slots, i, slot) {
        if (slot_runs_elsewhere(v, s, json_integer_value(slot), host))
            continue;
        addf(out->observed, sizeof(out->observed), "%s%s.%lld",
             missing++ ? ", " : "not running elsewhere: ", e->name,
             (long long)json_integer_value(slot));
        out->holds = false;
    }
    if (!missing)
        addf(out->observed, sizeof(out->observed), "the %zu that ran there "
             "run elsewhere", json_array_size(slots));
    addf(out->observed, sizeof(out->observed), "; ");
    describe_tasks(v, s, out->observed, sizeof(out->observed));
}

static int by_number(const void *a, const void *b)
{
    json_int_t x = *(const json_int_t *)a;
    json_int_t y = *(const json_int_t *)b;

    return x < y ? -1 : x > y;
}

static void sort_slots(json_t *slots)
{
    size_t n = json_array_size(slots);
    json_int_t *nums = calloc(n + 1, sizeof(*nums));

    if (!nums)
        return;
    for (size_t i = 0; i < n; i++)
        nums[i] = json_integer_value(json_array_get(slots, i));
    qsort(nums, n, sizeof(*nums), by_number);
    for (size_t i = 0; i < n; i++)
        json_array_set_new(slots, i, json_integer(nums[i]));
    free(nums);
}

void sl__rn_remember_tasks(rn_ctx *c, const char *host, json_t *step)
{
    const sl_scenario_expect *e = &c->sc->expect;
    const char *key;
    json_t *slots;
    json_t *per;
    rn_view v = {0};

    if (json_object_get(c->lost, host))
        return;
    per = json_object();
    sl__rn_observe(c, &v);
    for (size_t i = 0; i < e->n_services; i++) {
        const sl_expect_service *x = &e->services[i];
        const sl_docker_service *s = find_service(&v, x->name);

        if (!x->rescheduled_from || strcmp(x->rescheduled_from, host))
            continue;
        slots = json_array();
        for (size_t k = 0; s && k < v.tasks->count; k++) {
            const sl_docker_task *t = &v.tasks->items[k];
            const char *on = sl__rn_view_hostname(&v, t->node_id);

            if (!strcmp(t->service_id, s->id) && sl__rn_task_runs(&v, t) &&
                on && !strcmp(on, host))
                json_array_append_new(slots, json_integer(t->slot));
        }
        json_object_set_new(per, x->name, slots);
    }
    sl__rn_view_clear(&v);
    json_object_foreach(per, key, slots)
        sort_slots(slots);
    if (json_object_size(per))
        json_object_set(step, "tasks_there", per);
    json_object_set_new(c->lost, host, per);
}

/* Constraints -------------------------------------------------------------- */

/* Engine labels ("dockerd --label") of a node, from its raw JSON. */
static sl_docker_label *engine_labels(const sl_docker_node *n, size_t *count)
{
    json_t *obj = json_object_get(json_object_get(json_object_get(
                                      n->raw, "Description"), "Engine"),
                                  "Labels");
    sl_docker_label *out = calloc(json_object_size(obj) + 1, sizeof(*out));
    const char *key;
    json_t *value;

    *count = 0;
    if (!out)
        return NULL;
    json_object_foreach(obj, key, value) {
        out[*count].key = key;
        out[(*count)++].value = json_string_value(value);
    }
    return out;
}

/* The constraint of 'svc' that node 'n' breaks, formatted, or false. */
static bool broken_constraint(const sl_stack_service *svc,
                              const sl_docker_node *n, char *buf,
                              size_t size)
{
    sl_constraint_node cn = {0};
    sl_constraint *cs;
    sl_error err;
    bool broken = false;

    cs = sl_constraints_parse(svc->def.constraints, svc->def.n_constraints,
                              false, &err);
    if (!cs) {
        snprintf(buf, size, "%s", err.message);
        return true;
    }
    cn.id = n->id;
    cn.hostname = n->hostname;
    cn.role = n->role;
    cn.os = n->os;
    cn.arch = n->arch;
    cn.labels = n->labels;
    cn.n_labels = n->n_labels;
    cn.engine_labels = engine_labels(n, &cn.n_engine_labels);
    for (size_t i = 0; !broken && i < svc->def.n_constraints; i++) {
        if (!sl_constraint_match(&cs[i], &cn)) {
            sl_constraint_format(&cs[i], buf, size);
            broken = true;
        }
    }
    free((void *)cn.engine_labels);
    free(cs);
    return broken;
}

static void check_constraints(const rn_ctx *c, const rn_view *v,
                              verdict *out)
{
    size_t broken = 0;

    out->path = "expect.constraints_hold";
    snprintf(out->expected, sizeof(out->expected),
             "every running task on a node its constraints allow");
    if (!v->nodes)
        return unobservable(v, out);
    for (size_t i = 0; i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];
        const sl_docker_service *s = NULL;
        const sl_stack_service *def;
        const sl_docker_node *n = NULL;
        char why[SL_CONSTRAINT_TEXT_MAX * 2 + 8];

        if (!sl__rn_task_runs(v, t))
            continue;
        for (size_t k = 0; !s && k < v->services->count; k++) {
            if (!strcmp(v->services->items[k].id, t->service_id))
                s = &v->services->items[k];
        }
        for (size_t k = 0; !n && k < v->nodes->count; k++) {
            if (!strcmp(v->nodes->items[k].id, t->node_id))
                n = &v->nodes->items[k];
        }
        def = s ? sl_scenario_find_service(c->sc, s->name) : NULL;
        if (!def || !n || !broken_constraint(def, n, why, sizeof(why)))
            continue;
        if (broken < MAX_LISTED)
            addf(out->observed, sizeof(out->observed), "%s%s.%lld on %s "
                 "breaks '%s'", broken ? "; " : "", s->name,
                 (long long)t->slot, n->hostname, why);
        broken++;
    }
    if (broken > MAX_LISTED)
        addf(out->observed, sizeof(out->observed), "; and %zu more",
             broken - MAX_LISTED);
    if (!broken)
        snprintf(out->observed, sizeof(out->observed),
                 "every running task fits");
    out->holds = broken == 0;
}

/* Recording ---------------------------------------------------------------- */

static size_t judge(rn_ctx *c, const verdict *vd, bool record)
{
    if (record) {
        json_array_append_new(
            c->expectations,
            json_pack("{s:s, s:s, s:s, s:s}", "path", vd->path, "expected",
                      vd->expected, "observed", vd->observed, "outcome",
                      vd->holds ? "pass" : "fail"));
        if (!vd->holds)
            sl__rn_fail(c, vd->path, vd->expected, vd->observed);
    }
    return vd->holds ? 0 : 1;
}

size_t sl__rn_expect(rn_ctx *c, const rn_view *v, bool record)
{
    const sl_scenario_expect *e = &c->sc->expect;
    size_t failed = 0;
    verdict vd;

    for (size_t i = 0; i < e->n_nodes; i++) {
        memset(&vd, 0, sizeof(vd));
        vd.path = e->nodes[i].path;
        check_nodes(v, &e->nodes[i], &vd);
        failed += judge(c, &vd, record);
    }
    if (e->leader != SL_LEADER_UNCHECKED) {
        memset(&vd, 0, sizeof(vd));
        check_leader(v, e, &vd);
        failed += judge(c, &vd, record);
    }
    for (size_t i = 0; i < e->n_services; i++) {
        const sl_expect_service *x = &e->services[i];
        char path[256];

        if (x->check_running) {
            memset(&vd, 0, sizeof(vd));
            check_running(v, x, &vd);
            failed += judge(c, &vd, record);
        }
        if (x->rescheduled_from) {
            memset(&vd, 0, sizeof(vd));
            snprintf(path, sizeof(path), "%s.rescheduled_from", x->path);
            vd.path = path;
            check_rescheduled(c, v, x, &vd);
            failed += judge(c, &vd, record);
        }
    }
    if (e->constraints_hold) {
        memset(&vd, 0, sizeof(vd));
        check_constraints(c, v, &vd);
        failed += judge(c, &vd, record);
    }
    return failed;
}

bool sl__rn_expects_swarm(const sl_scenario *sc)
{
    const sl_scenario_expect *e = &sc->expect;

    return e->n_nodes || e->leader != SL_LEADER_UNCHECKED ||
           e->n_services || e->constraints_hold;
}
