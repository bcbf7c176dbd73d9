/* The orchestrator, scheduler and updater of the simulated swarm. */
#include "fake_swarm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_HISTORY 5
#define SHUTDOWN_EXIT_CODE 137
#define DEFAULT_MONITOR_NS (5 * SL_NS_PER_SEC)
#define DEFAULT_RESTART_DELAY_NS (5 * SL_NS_PER_SEC)
/* A node takes a moment to reject a task (about 0.3 s was measured), so
 * restarts never come faster than this, whatever the policy's delay. */
#define MIN_RESTART_NS (SL_NS_PER_SEC / 4)

static fs_node *task_node(fs_cluster *cl, const fs_task *t)
{
    return t->node_id[0] ? fs_node_by_id(cl, t->node_id) : NULL;
}

static void set_status(fs_cluster *cl, fs_task *t, int state,
                       const char *message, const char *err, int64_t now)
{
    t->state = state;
    fs_set_str(&t->message, message);
    fs_set_str(&t->err, err);
    t->status_ts = now;
    fs_touch(cl, &t->meta, now);
}

/* Stops a task told to stop: at once when its node answers; otherwise it
 * keeps its last reported state. */
static void stop_if_reachable(const sl_fake_swarm *fs, fs_cluster *cl,
                              fs_task *t, int64_t now)
{
    fs_node *n = task_node(cl, t);

    if (t->state > FS_T_RUNNING)
        return;
    if (!n || t->state < FS_T_ASSIGNED) {
        set_status(cl, t, FS_T_SHUTDOWN, "shutdown", NULL, now);
        return;
    }
    if (fs_node_reachable(fs, n) && n->state == FS_NODE_READY) {
        t->pid = 0;
        t->exit_code = SHUTDOWN_EXIT_CODE;
        set_status(cl, t, FS_T_SHUTDOWN, "shutdown", NULL, now);
    }
}

static void retire(const sl_fake_swarm *fs, fs_cluster *cl, fs_task *t,
                   int64_t now)
{
    if (t->desired != FS_T_SHUTDOWN) {
        t->desired = FS_T_SHUTDOWN;
        fs_touch(cl, &t->meta, now);
    }
    stop_if_reachable(fs, cl, t, now);
}

/* Tasks whose node is gone, down or drained get replaced; tasks told to
 * stop on a node that answers again are stopped. */
static void retire_unusable(const sl_fake_swarm *fs, fs_cluster *cl,
                            int64_t now)
{
    size_t i;

    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        fs_node *n = task_node(cl, t);

        if (t->desired <= FS_T_RUNNING && t->node_id[0] &&
            t->state >= FS_T_ASSIGNED &&
            (!n || n->state == FS_NODE_DOWN || n->availability == FS_DRAIN))
            retire(fs, cl, t, now);
        else if (t->desired > FS_T_RUNNING)
            stop_if_reachable(fs, cl, t, now);
    }
}

/* The constraint enforcer: a task whose node stopped meeting its
 * constraints is rejected, and the orchestrator replaces it. */
static void enforce_constraints(const sl_fake_swarm *fs, fs_cluster *cl,
                                int64_t now)
{
    size_t i;

    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        fs_node *n = task_node(cl, t);
        json_t *exprs = json_object_get(json_object_get(t->spec,
                                                        "Placement"),
                                        "Constraints");
        fs_constraint *c = NULL;
        size_t nc = 0;
        char msg[256];
        bool fits;

        if (!n || t->desired > FS_T_RUNNING || t->state < FS_T_ASSIGNED ||
            t->state > FS_T_RUNNING || !json_array_size(exprs) ||
            fs_constraints_parse(exprs, &c, &nc, msg, sizeof(msg)) < 0)
            continue;
        fits = fs_constraints_match(c, nc, fs, n);
        fs_constraints_free(c, nc);
        if (fits)
            continue;
        t->desired = FS_T_SHUTDOWN;
        set_status(cl, t, FS_T_REJECTED, "task rejected by constraint "
                   "enforcer", "assigned node no longer meets constraints",
                   now);
    }
}

static fs_task *task_new(sl_fake_swarm *fs, fs_cluster *cl,
                         const fs_service *s, int slot, const char *node_id,
                         int64_t now)
{
    json_t *tt = json_object_get(s->spec, "TaskTemplate");
    fs_task *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    fs_new_id(fs, t->id);
    snprintf(t->service_id, sizeof(t->service_id), "%s", s->id);
    t->spec = json_deep_copy(tt);
    json_object_del(t->spec, "Runtime");
    t->service_labels = json_deep_copy(json_object_get(s->spec, "Labels"));
    t->endpoint_spec = json_deep_copy(json_object_get(s->spec,
                                                      "EndpointSpec"));
    t->spec_version = s->spec_version;
    t->slot = slot;
    snprintf(t->node_id, sizeof(t->node_id), "%s", node_id ? node_id : "");
    t->desired = FS_T_RUNNING;
    t->addresses = json_array();
    fs_meta_new(cl, &t->meta, now);
    set_status(cl, t, FS_T_PENDING, "pending task scheduling", NULL, now);
    if (!t->spec || !t->addresses || fs_vec_push(&cl->tasks, t) < 0) {
        fs_task_free(t);
        return NULL;
    }
    return t;
}

/* The allocator's part: an address on every network the task joins. */
static void allocate_addresses(fs_cluster *cl, const fs_service *s,
                               fs_task *t)
{
    json_t *vips = json_object_get(s->endpoint, "VirtualIPs");
    fs_network *ingress = fs_ingress(cl);
    size_t i;
    json_t *att;
    char addr[FS_ADDR_MAX];

    json_array_foreach(vips, i, att) {
        const char *id = json_string_value(json_object_get(att,
                                                           "NetworkID"));

        if (ingress && !strcmp(id, ingress->id)) {
            fs_network_alloc(ingress, addr, sizeof(addr));
            json_array_append_new(t->addresses,
                                  json_pack("[s,s]", ingress->id, addr));
        }
    }
    json_array_foreach(json_object_get(t->spec, "Networks"), i, att) {
        fs_network *nw = fs_network_by_id(
            cl, json_string_value(json_object_get(att, "Target")));

        if (!nw)
            continue;
        fs_network_alloc(nw, addr, sizeof(addr));
        json_array_append_new(t->addresses, json_pack("[s,s]", nw->id,
                                                      addr));
    }
}

static fs_task *spawn(sl_fake_swarm *fs, fs_cluster *cl, const fs_service *s,
                      int slot, const char *node_id, int64_t now)
{
    fs_task *t = task_new(fs, cl, s, slot, node_id, now);

    if (t)
        allocate_addresses(cl, s, t);
    return t;
}

static void delete_task_at(fs_cluster *cl, size_t i)
{
    fs_task *t = cl->tasks.v[i];

    fs_vec_remove(&cl->tasks, i);
    fs_task_free(t);
    cl->raft_index++;
}

/* Replicated services: one running task per slot 1..Replicas. Tasks of
 * an older spec are left to the updater. */
static void reconcile_replicated(sl_fake_swarm *fs, fs_cluster *cl,
                                 fs_service *s, int64_t now)
{
    json_int_t replicas = json_integer_value(json_object_get(
        json_object_get(json_object_get(s->spec, "Mode"), "Replicated"),
        "Replicas"));
    json_int_t slot;
    size_t i;

    for (i = cl->tasks.n; i-- > 0;) {
        fs_task *t = cl->tasks.v[i];

        if (!strcmp(t->service_id, s->id) && t->slot > replicas)
            delete_task_at(cl, i);
    }
    for (slot = 1; slot <= replicas; slot++) {
        fs_task *active = NULL;

        for (i = 0; i < cl->tasks.n; i++) {
            fs_task *t = cl->tasks.v[i];

            if (!strcmp(t->service_id, s->id) && t->slot == slot &&
                t->desired <= FS_T_RUNNING)
                active = t;
        }
        if (!active)
            spawn(fs, cl, s, (int)slot, NULL, now);
    }
}

/* Global services: one task on every node that may run it. Tasks of an
 * older spec are left to the updater. */
static void reconcile_global(sl_fake_swarm *fs, fs_cluster *cl,
                             fs_service *s, int64_t now)
{
    json_t *placement = json_object_get(
        json_object_get(s->spec, "TaskTemplate"), "Placement");
    fs_constraint *c = NULL;
    size_t nc = 0, i, j;
    char msg[256];

    if (fs_constraints_parse(json_object_get(placement, "Constraints"), &c,
                             &nc, msg, sizeof(msg)) < 0)
        nc = 0;
    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];
        bool keep = n->state != FS_NODE_DOWN && n->availability != FS_DRAIN &&
                    fs_constraints_match(c, nc, fs, n);
        fs_task *active = NULL;

        for (j = 0; j < cl->tasks.n; j++) {
            fs_task *t = cl->tasks.v[j];

            if (!strcmp(t->service_id, s->id) &&
                !strcmp(t->node_id, n->id) && t->desired <= FS_T_RUNNING)
                active = t;
        }
        if (active && !keep) {
            retire(fs, cl, active, now);
            active = NULL;
        }
        if (!active && keep && n->availability == FS_ACTIVE)
            spawn(fs, cl, s, 0, n->id, now);
    }
    fs_constraints_free(c, nc);
}

/* Gives the node of a new task its load-balancer address on the task's
 * networks, as libnetwork does when a network first reaches a node. */
static void node_lb_addresses(fs_cluster *cl, const fs_task *t)
{
    size_t i;
    json_t *pair;
    char addr[FS_ADDR_MAX];

    json_array_foreach(t->addresses, i, pair) {
        fs_network *nw = fs_network_by_id(
            cl, json_string_value(json_array_get(pair, 0)));

        if (!nw || json_object_get(nw->lb, t->node_id))
            continue;
        fs_network_alloc(nw, addr, sizeof(addr));
        json_object_set_new(nw->lb, t->node_id, json_string(addr));
    }
}

static void start_task(sl_fake_swarm *fs, fs_cluster *cl, fs_task *t,
                       fs_node *n, int64_t now)
{
    fs_host *h = fs_host_at(fs, n->host);

    snprintf(t->node_id, sizeof(t->node_id), "%s", n->id);
    fs_new_hex(fs, t->container_id);
    t->pid = h ? h->next_pid++ : 1;
    t->exit_code = 0;
    set_status(cl, t, FS_T_RUNNING, "started", NULL, now);
}

static int cmp_tasks(const void *a, const void *b)
{
    const fs_task *x = *(fs_task *const *)a;
    const fs_task *y = *(fs_task *const *)b;

    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return 0;
}

/* Puts 't' on the node the scheduler picks, at time 'at'. Offline, an
 * engine without the task's image rejects it while preparing it; a task
 * waiting out a restart delay is only prepared; any other starts. */
static void place(sl_fake_swarm *fs, fs_cluster *cl, fs_task *t, int64_t at)
{
    char why[512];
    fs_node *node = fs_place(fs, cl, t, why, sizeof(why));
    const char *image;

    if (!node) {
        if (!t->err || strcmp(t->err, why))
            set_status(cl, t, FS_T_PENDING, "pending task scheduling", why,
                       at);
        return;
    }
    snprintf(t->node_id, sizeof(t->node_id), "%s", node->id);
    node_lb_addresses(cl, t);
    image = json_string_value(json_object_get(
        json_object_get(t->spec, "ContainerSpec"), "Image"));
    if (fs->offline && !fs_image_held(fs_host_at(fs, node->host), image)) {
        char err[600];

        snprintf(err, sizeof(err), "No such image: %s", image ? image : "");
        set_status(cl, t, FS_T_REJECTED, "preparing", err, at);
    } else if (t->desired == FS_T_READY) {
        set_status(cl, t, FS_T_READY, "prepared", NULL, at);
    } else {
        start_task(fs, cl, t, node, at);
    }
}

/* The scheduler: places pending tasks service by service, slot by slot. */
static void schedule(sl_fake_swarm *fs, fs_cluster *cl, int64_t now)
{
    fs_task **queue = calloc(cl->tasks.n + 1, sizeof(*queue));
    size_t i, j, n;

    if (!queue)
        return;
    for (i = 0; i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];

        for (j = n = 0; j < cl->tasks.n; j++) {
            fs_task *t = cl->tasks.v[j];

            if (!strcmp(t->service_id, s->id) &&
                (t->desired == FS_T_RUNNING || t->desired == FS_T_READY) &&
                t->state < FS_T_ASSIGNED)
                queue[n++] = t;
        }
        qsort(queue, n, sizeof(*queue), cmp_tasks);
        for (j = 0; j < n; j++)
            place(fs, cl, queue[j], now);
    }
    free(queue);
}

/* The restart supervisor ------------------------------------------------- */

static json_t *restart_policy(const fs_task *t)
{
    return json_object_get(t->spec, "RestartPolicy");
}

static int64_t restart_delay(const fs_task *t)
{
    json_t *d = json_object_get(restart_policy(t), "Delay");
    int64_t ns = json_is_integer(d) ? json_integer_value(d)
                                    : DEFAULT_RESTART_DELAY_NS;

    return ns < MIN_RESTART_NS ? MIN_RESTART_NS : ns;
}

/* A task that failed to start is replaced unless its policy says "none"
 * (then it keeps its slot, failed).
 * TODO: MaxAttempts and Window of the restart policy are not applied. */
static bool restarts(const fs_task *t)
{
    const char *cond = json_string_value(json_object_get(restart_policy(t),
                                                         "Condition"));

    return !cond || strcmp(cond, "none") != 0;
}

/* Retires 'old' at 'at' and makes the next run of its slot (or node): it
 * is placed at once but waits, desired "ready", until 'run_at'. */
static void replace_failed(sl_fake_swarm *fs, fs_cluster *cl, fs_task *old,
                           int64_t at, int64_t run_at)
{
    fs_service *s = fs_service_by_id(cl, old->service_id);
    fs_task *t;

    old->desired = FS_T_SHUTDOWN;
    fs_touch(cl, &old->meta, at);
    if (!s)
        return;
    t = spawn(fs, cl, s, old->slot, old->slot ? NULL : old->node_id, at);
    if (!t)
        return;
    t->desired = FS_T_READY;
    t->restart_at = run_at;
    place(fs, cl, t, at);
}

/* When the restart supervisor next acts on 't', or -1 when it has nothing
 * to do with it: a task rejected while it was to run is replaced at once;
 * one waiting out its restart delay runs or is replaced when it ends. */
static int64_t restart_due(const fs_task *t)
{
    if (t->desired == FS_T_RUNNING && t->state == FS_T_REJECTED &&
        restarts(t))
        return t->status_ts;
    if (t->desired == FS_T_READY &&
        (t->state == FS_T_READY || t->state == FS_T_REJECTED))
        return t->restart_at > t->status_ts ? t->restart_at : t->status_ts;
    return -1;
}

/* The earliest move of the restart supervisor due by 'now', made at its
 * own time; false when none is due. The replacement of a task waits out
 * the restart delay, desired "ready": then it runs if its node prepared
 * it, else it is replaced in turn. */
static bool restart_step(sl_fake_swarm *fs, fs_cluster *cl, int64_t now)
{
    fs_task *next = NULL;
    int64_t at = 0;
    size_t i;

    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        int64_t due = restart_due(t);

        if (due >= 0 && due <= now && (!next || due < at)) {
            next = t;
            at = due;
        }
    }
    if (!next)
        return false;
    if (next->state == FS_T_REJECTED) {
        replace_failed(fs, cl, next, at, at + restart_delay(next));
    } else {
        fs_node *n = task_node(cl, next);

        next->desired = FS_T_RUNNING;
        fs_touch(cl, &next->meta, at);
        if (n)
            start_task(fs, cl, next, n, at);
    }
    return true;
}

bool fs_restarts_due(const fs_cluster *cl, int64_t now)
{
    size_t i;

    for (i = 0; i < cl->tasks.n; i++) {
        int64_t due = restart_due(cl->tasks.v[i]);

        if (due >= 0 && due <= now)
            return true;
    }
    return false;
}

/* True when 'a' and 'b' are runs of the same replica slot or the same
 * global node. */
static bool same_lineage(const fs_task *a, const fs_task *b)
{
    if (strcmp(a->service_id, b->service_id))
        return false;
    if (a->slot || b->slot)
        return a->slot == b->slot;
    return !strcmp(a->node_id, b->node_id);
}

/* The task reaper: at most TaskHistoryRetentionLimit tasks per slot. */
static void reap(fs_cluster *cl)
{
    json_t *limit = json_object_get(json_object_get(cl->spec,
                                                    "Orchestration"),
                                    "TaskHistoryRetentionLimit");
    json_int_t keep = json_is_integer(limit) ? json_integer_value(limit)
                                             : DEFAULT_HISTORY;
    size_t i, j;

    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        json_int_t count = 0;

        for (j = 0; j < cl->tasks.n; j++) {
            if (same_lineage(t, cl->tasks.v[j]))
                count++;
        }
        if (count <= keep || t->desired <= FS_T_RUNNING ||
            t->state <= FS_T_RUNNING)
            continue;
        delete_task_at(cl, i);
        i = (size_t)-1;
    }
}

/* The updater ------------------------------------------------------------- */

/* The service's UpdateConfig; with none, swarmkit's defaults apply (one
 * task at a time, no delay, a 5 s monitoring period, stop-first). */
static json_t *update_config(const fs_service *s)
{
    return json_object_get(s->spec, "UpdateConfig");
}

/* How many slots the updater replaces at a time; 0 means all at once. */
static size_t update_parallelism(const fs_service *s)
{
    json_t *uc = update_config(s);

    if (!uc)
        return 1;
    return (size_t)json_integer_value(json_object_get(uc, "Parallelism"));
}

static int64_t update_delay(const fs_service *s)
{
    return json_integer_value(json_object_get(update_config(s), "Delay"));
}

/* How long the new tasks are watched before the update is complete. */
static int64_t update_monitor(const fs_service *s)
{
    json_int_t ns = json_integer_value(json_object_get(update_config(s),
                                                       "Monitor"));

    return ns > 0 ? ns : DEFAULT_MONITOR_NS;
}

static bool start_first(const fs_service *s)
{
    const char *order = json_string_value(json_object_get(update_config(s),
                                                          "Order"));

    return order && !strcmp(order, "start-first");
}

static fs_task *task_by_id(fs_cluster *cl, const char *id)
{
    size_t i;

    for (i = 0; id && i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];

        if (!strcmp(t->id, id))
            return t;
    }
    return NULL;
}

/* A task of 's' that still holds its slot (or node). */
static bool holds_slot(const fs_task *t, const fs_service *s)
{
    return !strcmp(t->service_id, s->id) && t->desired <= FS_T_RUNNING;
}

/* True when the updater already waits for a new task in t's slot. */
static bool slot_rolling(fs_cluster *cl, const fs_service *s,
                         const fs_task *t)
{
    size_t i;

    for (i = 0; i < json_array_size(s->rolling); i++) {
        fs_task *r = task_by_id(cl, json_string_value(json_array_get(
                                        s->rolling, i)));

        if (r && same_lineage(r, t))
            return true;
    }
    return false;
}

static int cmp_lineage(const void *a, const void *b)
{
    const fs_task *x = *(fs_task *const *)a;
    const fs_task *y = *(fs_task *const *)b;

    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return strcmp(x->node_id, y->node_id);
}

/* The tasks of an older spec still to be replaced, one per slot (or
 * node), in slot (or node ID) order; 'out' has room for every task. */
static size_t dirty_tasks(fs_cluster *cl, const fs_service *s,
                          fs_task **out)
{
    size_t i, j, n = 0;

    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        bool seen = false;

        if (!holds_slot(t, s) || t->spec_version == s->spec_version ||
            slot_rolling(cl, s, t))
            continue;
        for (j = 0; j < n && !seen; j++)
            seen = same_lineage(out[j], t);
        if (!seen)
            out[n++] = t;
    }
    qsort(out, n, sizeof(*out), cmp_lineage);
    return n;
}

/* Starts replacing 'old' with a task of the current spec: stop-first
 * stops it now, start-first once the new task runs (settle_rolling). */
static void replace(sl_fake_swarm *fs, fs_cluster *cl, fs_service *s,
                    fs_task *old, int64_t now)
{
    char node_id[FS_ID_LEN + 1];
    int slot = old->slot;
    fs_task *t;

    snprintf(node_id, sizeof(node_id), "%s", old->node_id);
    if (!start_first(s))
        retire(fs, cl, old, now);
    t = spawn(fs, cl, s, slot, slot ? NULL : node_id, now);
    if (t)
        json_array_append_new(s->rolling, json_string(t->id));
}

/* Ends the update at 'at' in 'state' ("completed", with its CompletedAt,
 * or "paused"), keeping its StartedAt. */
static void end_update(fs_cluster *cl, fs_service *s, const char *state,
                       const char *message, int64_t at)
{
    json_t *started = json_incref(json_object_get(s->update_status,
                                                  "StartedAt"));

    json_decref(s->update_status);
    s->update_status = json_pack("{s:s, s:o}", "State", state, "StartedAt",
                                 started ? started : fs_time(at));
    if (!strcmp(state, "completed"))
        json_object_set_new(s->update_status, "CompletedAt", fs_time(at));
    json_object_set_new(s->update_status, "Message", json_string(message));
    s->updating = false;
    s->monitoring = false;
    json_array_clear(s->rolling);
    fs_touch(cl, &s->meta, at);
}

static void complete_update(fs_cluster *cl, fs_service *s, int64_t at)
{
    end_update(cl, s, "completed", "update completed", at);
}

static void pause_update(fs_cluster *cl, fs_service *s, const fs_task *t)
{
    char msg[128];

    snprintf(msg, sizeof(msg), "update paused due to failure or early "
             "termination of task %s", t->id);
    end_update(cl, s, "paused", msg, t->status_ts);
}

/* Whether the update stops for the failure of one of its new tasks: with
 * FailureAction "pause" (the default), once more than MaxFailureRatio of
 * the tasks failed.
 * TODO: FailureAction "rollback" pauses too; rollbacks are not
 * simulated. */
static bool failure_pauses(fs_cluster *cl, const fs_service *s)
{
    json_t *uc = update_config(s);
    const char *action = json_string_value(json_object_get(uc,
                                                           "FailureAction"));
    double ratio = json_number_value(json_object_get(uc, "MaxFailureRatio"));
    size_t i, slots = 0;

    if (action && !strcmp(action, "continue"))
        return false;
    for (i = 0; i < cl->tasks.n; i++)
        slots += holds_slot(cl->tasks.v[i], s);
    return (double)s->update_failures > ratio * (double)slots;
}

/* Forgets the new tasks that came up (start-first: stopping the tasks
 * they replace) or were given up; once none is left, the next move comes
 * UpdateConfig.Delay after the last of them started. A new task that
 * failed may pause the update instead (failure_pauses()). */
static void settle_rolling(sl_fake_swarm *fs, fs_cluster *cl, fs_service *s)
{
    bool waited = json_array_size(s->rolling) > 0;
    int64_t last = s->roll_at;
    size_t i, j;

    for (i = json_array_size(s->rolling); i-- > 0;) {
        fs_task *t = task_by_id(cl, json_string_value(json_array_get(
                                        s->rolling, i)));

        if (t && (t->state == FS_T_REJECTED || t->state == FS_T_FAILED)) {
            s->update_failures++;
            if (failure_pauses(cl, s)) {
                pause_update(cl, s, t);
                return;
            }
        }
        if (t && t->desired <= FS_T_RUNNING && t->state < FS_T_RUNNING)
            continue;
        if (t && t->state >= FS_T_RUNNING && t->status_ts > last)
            last = t->status_ts;
        for (j = 0; t && t->state == FS_T_RUNNING && start_first(s) &&
                    j < cl->tasks.n; j++) {
            fs_task *o = cl->tasks.v[j];

            if (o != t && holds_slot(o, s) && same_lineage(o, t))
                retire(fs, cl, o, t->status_ts);
        }
        json_array_remove(s->rolling, i);
    }
    if (waited && !json_array_size(s->rolling))
        s->roll_at = last + update_delay(s);
}

static void start_update(fs_cluster *cl, fs_service *s, int64_t at)
{
    s->update_failures = 0;
    s->update_status = json_pack("{s:s, s:o, s:s}", "State", "updating",
                                 "StartedAt", fs_time(at), "Message",
                                 "update in progress");
    fs_touch(cl, &s->meta, at);
}

/* One move of the updater at 'at': the next UpdateConfig.Parallelism
 * slots, or, with none left, the monitoring period and then completion.
 * Returns true when another move may follow. */
static bool roll_step(sl_fake_swarm *fs, fs_cluster *cl, fs_service *s,
                      int64_t at)
{
    size_t i, n, max = update_parallelism(s);
    fs_task **dirty;

    if (s->monitoring) {
        complete_update(cl, s, at);
        return false;
    }
    dirty = calloc(cl->tasks.n + 1, sizeof(*dirty));
    if (!dirty)
        return false;
    n = dirty_tasks(cl, s, dirty);
    if (n == 0 && !s->update_status) {
        /* Nothing was out of date: the update never starts. */
        s->updating = false;
    } else if (n == 0) {
        s->monitoring = true;
        s->roll_at = at + update_monitor(s);
    } else {
        if (!s->update_status)
            start_update(cl, s, at);
        for (i = 0; i < n && (max == 0 || i < max); i++)
            replace(fs, cl, s, dirty[i], at);
        schedule(fs, cl, at);
    }
    free(dirty);
    return s->updating;
}

/* Moves every update on as far as the clock allows; a move that came due
 * while nobody looked happens at its own time. */
static void roll_updates(sl_fake_swarm *fs, fs_cluster *cl, int64_t now)
{
    size_t i;

    for (i = 0; i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];

        while (s->updating) {
            settle_rolling(fs, cl, s);
            if (!s->updating || json_array_size(s->rolling) ||
                s->roll_at > now ||
                !roll_step(fs, cl, s, s->roll_at))
                break;
        }
    }
}

bool fs_updates_due(const fs_cluster *cl, int64_t now)
{
    size_t i;

    for (i = 0; i < cl->services.n; i++) {
        const fs_service *s = cl->services.v[i];

        if (s->updating && !json_array_size(s->rolling) && s->roll_at <= now)
            return true;
    }
    return false;
}

void fs_orchestrate(sl_fake_swarm *fs, fs_cluster *cl)
{
    int64_t now = fs_now(fs);
    size_t i;

    retire_unusable(fs, cl, now);
    enforce_constraints(fs, cl, now);
    for (i = 0; i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];

        if (json_object_get(json_object_get(s->spec, "Mode"), "Global"))
            reconcile_global(fs, cl, s, now);
        else
            reconcile_replicated(fs, cl, s, now);
    }
    schedule(fs, cl, now);
    while (restart_step(fs, cl, now))
        reap(cl);
    roll_updates(fs, cl, now);
    reap(cl);
}
