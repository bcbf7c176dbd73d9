/* A scenario's swarm as one of its managers sees it, and as reports show it. */
#include "runner_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sl__rn_view_clear(rn_view *v)
{
    sl_docker_node_list_free(v->nodes);
    sl_docker_service_list_free(v->services);
    sl_docker_task_list_free(v->tasks);
    memset(v, 0, sizeof(*v));
}

/* Lists nodes, services and tasks from 'h' into 'v'. */
static int list_from(rn_ctx *c, rn_host *h, rn_view *v, sl_error *err)
{
    sl_docker_client *cl = sl__rn_client(c, h, err);

    if (!cl)
        return -1;
    v->nodes = sl_docker_nodes_list(cl, NULL, 0, err);
    sl__rn_after_call(c, h);
    if (v->nodes) {
        v->services = sl_docker_services_list(cl, NULL, 0, true, err);
        sl__rn_after_call(c, h);
    }
    if (v->services) {
        v->tasks = sl_docker_tasks_list(cl, NULL, 0, err);
        sl__rn_after_call(c, h);
    }
    sl_docker_client_free(cl);
    if (!v->tasks) {
        sl_docker_node_list_free(v->nodes);
        sl_docker_service_list_free(v->services);
        v->nodes = NULL;
        v->services = NULL;
        return -1;
    }
    v->from = h->sh->name;
    return 0;
}

/* The managers that run, answer and are in the swarm; when there is none,
 * with short time limits, those whose daemon stopped answering. */
void sl__rn_observe(rn_ctx *c, rn_view *v)
{
    bool tried = false;
    sl_error err;

    sl__rn_view_clear(v);
    v->no_manager = true;
    for (int pass = 0; pass < 2 && (pass == 0 || v->no_manager); pass++) {
        for (size_t i = 0; i < c->sc->n_hosts; i++) {
            rn_host *h = &c->hosts[i];
            bool ask = pass == 0 ? sl__rn_usable(h)
                                 : h->frozen && !h->off && !h->left &&
                                       h->endpoint[0];

            if (!h->sh->manager || !ask)
                continue;
            if (pass == 0)
                v->no_manager = false;
            if (list_from(c, h, v, &err) == 0)
                return;
            if (err.http_status)
                v->refused = true;
            if (!tried && snprintf(v->error, sizeof(v->error), "%s: %s",
                                   h->sh->name, err.message) < 0)
                v->error[0] = '\0';
            tried = true;
        }
    }
    if (!tried)
        snprintf(v->error, sizeof(v->error),
                 "no manager of the swarm can be reached");
}

const char *sl__rn_view_hostname(const rn_view *v, const char *id)
{
    for (size_t i = 0; v->nodes && i < v->nodes->count; i++) {
        if (!strcmp(v->nodes->items[i].id, id))
            return v->nodes->items[i].hostname;
    }
    return NULL;
}

static const sl_docker_node *node_by_id(const rn_view *v, const char *id)
{
    for (size_t i = 0; v->nodes && i < v->nodes->count; i++) {
        if (!strcmp(v->nodes->items[i].id, id))
            return &v->nodes->items[i];
    }
    return NULL;
}

bool sl__rn_task_runs(const rn_view *v, const sl_docker_task *t)
{
    const sl_docker_node *n;

    if (strcmp(t->desired_state, "running") || strcmp(t->state, "running"))
        return false;
    n = node_by_id(v, t->node_id);
    return n && !strcmp(n->state, "ready");
}

/* Whether task 't' is meant to run: desired "running", or "ready" while
 * it waits out its restart delay after an earlier run failed. */
static bool meant_to_run(const sl_docker_task *t)
{
    return !strcmp(t->desired_state, "running") ||
           !strcmp(t->desired_state, "ready");
}

/* Whether replicated service 's' has as many tasks meant to run as it has
 * replicas: a real manager creates them a moment after the service. */
static bool has_all_tasks(const rn_view *v, const sl_docker_service *s)
{
    uint64_t wanted = 0;

    if (strcmp(s->mode, "replicated"))
        return true;
    for (size_t i = 0; v->tasks && i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];

        if (!strcmp(t->service_id, s->id) && meant_to_run(t))
            wanted++;
    }
    return wanted >= s->replicas;
}

bool sl__rn_view_settled(const rn_view *v)
{
    /* A manager that held the request until its deadline has not made up
     * its mind: real ones do so for 20 to 40 s after losing their
     * majority, before they answer that there is no leader. */
    if (strstr(v->error, "code = DeadlineExceeded"))
        return false;
    for (size_t i = 0; v->services && i < v->services->count; i++) {
        if (!has_all_tasks(v, &v->services->items[i]))
            return false;
    }
    for (size_t i = 0; v->tasks && i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];

        if (!meant_to_run(t) || sl__rn_task_runs(v, t))
            continue;
        if (!strcmp(t->state, "pending") && t->error[0])
            continue; /* the scheduler said why it cannot place it */
        if (!strcmp(t->state, "rejected") && t->error[0])
            continue; /* its node said why it cannot run it */
        return false;
    }
    return true;
}

/* Whether image reference 'has' names 'image': the same, or pinned to a
 * digest ("web:2@sha256:..."), as a manager pins images it can resolve. */
static bool same_image(const char *has, const char *image)
{
    size_t len = strlen(image);

    return has && !strncmp(has, image, len) &&
           (has[len] == '\0' || has[len] == '@');
}

/* Whether running task 't' runs with 'image' (when not NULL) and every
 * "KEY=value" of 'env'. */
static bool task_has(const sl_docker_task *t, const char *image,
                     const char *const *env, size_t n_env)
{
    json_t *cs = json_object_get(json_object_get(t->raw, "Spec"),
                                 "ContainerSpec");
    const char *has = json_string_value(json_object_get(cs, "Image"));
    json_t *task_env = json_object_get(cs, "Env");

    if (image && !same_image(has, image))
        return false;
    for (size_t i = 0; i < n_env; i++) {
        bool found = false;
        size_t k;
        json_t *v;

        json_array_foreach(task_env, k, v) {
            const char *kv = json_string_value(v);

            found = found || (kv && !strcmp(kv, env[i]));
        }
        if (!found)
            return false;
    }
    return true;
}

static const sl_docker_service *service_by_name(const rn_view *v,
                                                const char *name)
{
    for (size_t i = 0; v->services && i < v->services->count; i++) {
        if (!strcmp(v->services->items[i].name, name))
            return &v->services->items[i];
    }
    return NULL;
}

/* Counts the running tasks of 's' and those that run what 'f' asks. */
static void count_updated(const rn_view *v, const sl_docker_service *s,
                          const sl_scenario_fault *f, rn_update *u)
{
    for (size_t i = 0; v->tasks && i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];

        if (strcmp(t->service_id, s->id) || !sl__rn_task_runs(v, t))
            continue;
        u->running++;
        u->updated += task_has(t, f->image, f->env, f->n_env);
    }
}

/*
 * A real manager resets the service's UpdateStatus when the spec changes,
 * reports "updating" while it replaces tasks (one at a time by default,
 * each old one stopped first), then "completed"; or "paused" (the default
 * failure action) or "rollback_*" when a new task fails. Without an
 * UpdateStatus the update is done once every replica runs it and no task
 * of the old spec runs.
 */
void sl__rn_update_progress(const rn_view *v, const sl_scenario_fault *f,
                            rn_update *u)
{
    const sl_docker_service *s = service_by_name(v, f->service);
    json_t *status;

    memset(u, 0, sizeof(*u));
    u->state = RN_UPDATE_GOING;
    if (!s)
        return;
    status = json_object_get(s->raw, "UpdateStatus");
    u->status = json_string_value(json_object_get(status, "State"));
    u->message = json_string_value(json_object_get(status, "Message"));
    count_updated(v, s, f, u);
    u->wanted = !strcmp(s->mode, "replicated") ? s->replicas : u->running;
    if (u->status && (!strcmp(u->status, "paused") ||
                      !strncmp(u->status, "rollback_", 9)))
        u->state = RN_UPDATE_STOPPED;
    else if (u->status && !strcmp(u->status, "completed"))
        u->state = u->updated == u->running ? RN_UPDATE_DONE
                                            : RN_UPDATE_GOING;
    else if (!u->status)
        u->state = u->updated == u->running && u->updated >= u->wanted
                       ? RN_UPDATE_DONE
                       : RN_UPDATE_GOING;
}

/* The report ----------------------------------------------------------- */

static int by_key(const void *a, const void *b)
{
    return strcmp(((const sl_docker_label *)a)->key,
                  ((const sl_docker_label *)b)->key);
}

json_t *sl__rn_labels_json(const sl_docker_label *labels, size_t n)
{
    sl_docker_label *sorted = n ? malloc(n * sizeof(*sorted)) : NULL;
    json_t *obj = json_object();

    if (n && !sorted)
        return obj;
    if (n)
        memcpy(sorted, labels, n * sizeof(*sorted));
    if (n)
        qsort(sorted, n, sizeof(*sorted), by_key);
    for (size_t i = 0; i < n; i++)
        json_object_set_new(obj, sorted[i].key, json_string(sorted[i].value));
    free(sorted);
    return obj;
}

static int by_hostname(const void *a, const void *b)
{
    return strcmp((*(const sl_docker_node *const *)a)->hostname,
                  (*(const sl_docker_node *const *)b)->hostname);
}

static json_t *node_json(const sl_docker_node *n)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:b}", "id",
                          n->id, "hostname", n->hostname, "role", n->role,
                          "state", n->state, "availability",
                          n->availability, "os", n->os, "labels",
                          sl__rn_labels_json(n->labels, n->n_labels),
                          "leader", n->leader);

    if (o && n->reachability[0])
        json_object_set_new(o, "reachability", json_string(n->reachability));
    return o;
}

static json_t *nodes_json(const rn_view *v)
{
    size_t n = v->nodes->count;
    const sl_docker_node **sorted = calloc(n + 1, sizeof(*sorted));
    json_t *arr = json_array();

    if (!sorted)
        return arr;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &v->nodes->items[i];
    qsort(sorted, n, sizeof(*sorted), by_hostname);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, node_json(sorted[i]));
    free(sorted);
    return arr;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {"hostname": tasks running there}, sorted by hostname. */
json_t *sl__rn_task_hosts(const rn_view *v, const char *service_id)
{
    const char **names = calloc(v->tasks->count + 1, sizeof(*names));
    json_t *obj = json_object();
    size_t n = 0;

    if (!names)
        return obj;
    for (size_t i = 0; i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];
        const char *host = sl__rn_view_hostname(v, t->node_id);

        if (!strcmp(t->service_id, service_id) && sl__rn_task_runs(v, t))
            names[n++] = host ? host : t->node_id;
    }
    qsort(names, n, sizeof(*names), by_string);
    for (size_t i = 0; i < n; i++) {
        json_t *count = json_object_get(obj, names[i]);

        json_object_set_new(obj, names[i],
                            json_integer(json_integer_value(count) + 1));
    }
    free(names);
    return obj;
}

/* Tasks of the service meant to run that do not, and the first reason. */
size_t sl__rn_pending(const rn_view *v, const char *service_id,
                      const char **why)
{
    size_t n = 0;

    *why = NULL;
    for (size_t i = 0; i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];

        if (strcmp(t->service_id, service_id) || !meant_to_run(t) ||
            sl__rn_task_runs(v, t))
            continue;
        if (!*why && t->error[0])
            *why = t->error;
        n++;
    }
    return n;
}

/* {"image": running tasks with it}, sorted by image. */
static json_t *task_images(const rn_view *v, const char *service_id)
{
    const char **images = calloc(v->tasks->count + 1, sizeof(*images));
    json_t *obj = json_object();
    size_t n = 0;

    if (!images)
        return obj;
    for (size_t i = 0; i < v->tasks->count; i++) {
        const sl_docker_task *t = &v->tasks->items[i];
        const char *image = json_string_value(json_object_get(
            json_object_get(json_object_get(t->raw, "Spec"),
                            "ContainerSpec"),
            "Image"));

        if (!strcmp(t->service_id, service_id) && sl__rn_task_runs(v, t))
            images[n++] = image ? image : "";
    }
    qsort(images, n, sizeof(*images), by_string);
    for (size_t i = 0; i < n; i++) {
        json_t *count = json_object_get(obj, images[i]);

        json_object_set_new(obj, images[i],
                            json_integer(json_integer_value(count) + 1));
    }
    free(images);
    return obj;
}

static json_t *service_json(const rn_view *v, const sl_docker_service *s)
{
    json_t *hosts = sl__rn_task_hosts(v, s->id);
    json_int_t running = 0;
    const char *why;
    size_t pending = sl__rn_pending(v, s->id, &why);
    const char *key;
    json_t *count;
    json_t *o;

    json_object_foreach(hosts, key, count)
        running += json_integer_value(count);
    o = json_pack("{s:s, s:s, s:s, s:s}", "id", s->id, "name", s->name,
                  "image", s->image, "mode", s->mode);
    if (!o) {
        json_decref(hosts);
        return NULL;
    }
    if (!strcmp(s->mode, "replicated"))
        json_object_set_new(o, "replicas",
                            json_integer((json_int_t)s->replicas));
    json_object_set_new(o, "running", json_integer(running));
    json_object_set_new(o, "hosts", hosts);
    json_object_set_new(o, "images", task_images(v, s->id));
    json_object_set_new(o, "pending", json_integer((json_int_t)pending));
    if (why)
        json_object_set_new(o, "pending_reason", json_string(why));
    return o;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const sl_docker_service *const *)a)->name,
                  (*(const sl_docker_service *const *)b)->name);
}

static json_t *services_json(const rn_view *v)
{
    size_t n = v->services->count;
    const sl_docker_service **sorted = calloc(n + 1, sizeof(*sorted));
    json_t *arr = json_array();

    if (!sorted)
        return arr;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &v->services->items[i];
    qsort(sorted, n, sizeof(*sorted), by_name);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, service_json(v, sorted[i]));
    free(sorted);
    return arr;
}

const char *sl__rn_view_leader(const rn_view *v)
{
    for (size_t i = 0; v->nodes && i < v->nodes->count; i++) {
        if (v->nodes->items[i].leader)
            return v->nodes->items[i].hostname;
    }
    return NULL;
}

json_t *sl__rn_view_json(const rn_view *v)
{
    const char *leader = sl__rn_view_leader(v);
    json_t *o = json_pack("{s:s?, s:s?}", "observed_from", v->from,
                          "leader", leader);

    if (!o)
        return NULL;
    if (v->error[0])
        json_object_set_new(o, "error", json_string(v->error));
    json_object_set_new(o, "nodes", v->nodes ? nodes_json(v) : json_null());
    json_object_set_new(o, "services",
                        v->services ? services_json(v) : json_null());
    return o;
}
