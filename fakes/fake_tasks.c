/* Tasks of the simulated swarm as the managers report them. */
#include "fake_swarm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const state_names[] = {
    "new", "pending", "assigned", "accepted", "preparing", "ready",
    "starting", "running", "complete", "shutdown", "failed", "rejected",
    "remove", "orphaned"};

void fs_task_free(fs_task *t)
{
    if (!t)
        return;
    json_decref(t->spec);
    json_decref(t->service_labels);
    json_decref(t->endpoint_spec);
    json_decref(t->addresses);
    free(t->message);
    free(t->err);
    free(t);
}

/* swarmkit's task name: "service.slot.id", or "service.node.id". */
static void task_name(fs_cluster *cl, const fs_task *t, char *buf,
                      size_t size)
{
    fs_service *s = fs_service_by_id(cl, t->service_id);
    const char *svc = s ? json_string_value(json_object_get(s->spec, "Name"))
                        : "";

    if (t->slot)
        snprintf(buf, size, "%s.%d.%s", svc, t->slot, t->id);
    else
        snprintf(buf, size, "%s.%s.%s", svc, t->node_id, t->id);
}

static json_t *port_status(const fs_task *t)
{
    json_t *ports = json_array();
    size_t i;
    json_t *p;

    if (t->state == FS_T_RUNNING) {
        json_array_foreach(json_object_get(t->endpoint_spec, "Ports"), i,
                           p) {
            const char *mode = json_string_value(json_object_get(
                p, "PublishMode"));

            if (mode && !strcmp(mode, "host"))
                json_array_append(ports, p);
        }
    }
    if (json_array_size(ports))
        return json_pack("{s:o}", "Ports", ports);
    json_decref(ports);
    return json_object();
}

static json_t *task_status(const fs_task *t)
{
    json_t *st = json_pack("{s:o, s:s}", "Timestamp", fs_time(t->status_ts),
                           "State", state_names[t->state]);

    if (t->message)
        json_object_set_new(st, "Message", json_string(t->message));
    if (t->err)
        json_object_set_new(st, "Err", json_string(t->err));
    if (t->container_id[0])
        json_object_set_new(st, "ContainerStatus",
                            json_pack("{s:s, s:i, s:i}", "ContainerID",
                                      t->container_id, "PID", t->pid,
                                      "ExitCode", t->exit_code));
    json_object_set_new(st, "PortStatus", port_status(t));
    return st;
}

static json_t *attachments(fs_cluster *cl, const fs_task *t)
{
    json_t *list = json_array();
    size_t i;
    json_t *pair;

    json_array_foreach(t->addresses, i, pair) {
        fs_network *nw = fs_network_by_id(
            cl, json_string_value(json_array_get(pair, 0)));

        if (nw)
            json_array_append_new(
                list, json_pack("{s:o, s:[O]}", "Network",
                                fs_network_object(nw), "Addresses",
                                json_array_get(pair, 1)));
    }
    return list;
}

static json_t *task_json(fs_cluster *cl, const fs_task *t)
{
    json_t *obj = json_pack("{s:s, s:o, s:o, s:o, s:{}, s:O, s:s}", "ID",
                            t->id, "Version",
                            fs_version_json(t->meta.version), "CreatedAt",
                            fs_time(t->meta.created), "UpdatedAt",
                            fs_time(t->meta.updated), "Labels", "Spec",
                            t->spec, "ServiceID", t->service_id);
    json_t *nets = attachments(cl, t);

    if (t->slot)
        json_object_set_new(obj, "Slot", json_integer(t->slot));
    if (t->node_id[0])
        json_object_set_new(obj, "NodeID", json_string(t->node_id));
    json_object_set_new(obj, "Status", task_status(t));
    json_object_set_new(obj, "DesiredState",
                        json_string(state_names[t->desired]));
    if (json_array_size(nets))
        json_object_set_new(obj, "NetworksAttachments", nets);
    else
        json_decref(nets);
    return obj;
}

/* Task list --------------------------------------------------------------- */

/* Resolves the "service" and "node" filters to IDs as dockerd does,
 * answering 404 for the names it cannot find. */
static int resolve_refs(sl_fake_swarm *fs, fs_cluster *cl, json_t *filters,
                        json_t **services, json_t **nodes, sl_error *err)
{
    json_t *refs = fs_filter_values(filters, "service");
    size_t i;
    json_t *v;
    int rc = 0;

    *services = json_array();
    *nodes = json_array();
    json_array_foreach(refs, i, v) {
        fs_service *s = fs_service_lookup(cl, json_string_value(v), err);

        if (!s) {
            rc = -1;
            break;
        }
        json_array_append_new(*services, json_string(s->id));
    }
    json_decref(refs);
    refs = fs_filter_values(filters, "node");
    json_array_foreach(refs, i, v) {
        fs_node *n;

        if (rc < 0)
            break;
        n = fs_node_lookup(cl, fs, json_string_value(v), err);
        if (!n) {
            rc = -1;
            break;
        }
        json_array_append_new(*nodes, json_string(n->id));
    }
    json_decref(refs);
    return rc;
}

static bool task_matches(fs_cluster *cl, const fs_task *t, json_t *filters,
                         json_t *services, json_t *nodes)
{
    fs_service *s = fs_service_by_id(cl, t->service_id);
    char name[256];
    json_t *v;
    bool ok;

    task_name(cl, t, name, sizeof(name));
    v = fs_filter_values(filters, "name");
    ok = fs_match_prefix(v, name);
    json_decref(v);
    v = fs_filter_values(filters, "id");
    ok = ok && fs_match_prefix(v, t->id);
    json_decref(v);
    v = fs_filter_values(filters, "label");
    ok = ok && fs_match_labels(t->service_labels, v);
    json_decref(v);
    ok = ok && fs_match_exact(services, t->service_id);
    ok = ok && fs_match_exact(nodes, t->node_id);
    v = fs_filter_values(filters, "desired-state");
    ok = ok && fs_match_exact(v, state_names[t->desired]);
    json_decref(v);
    if (fs_filter_has(filters, "_up-to-date"))
        ok = ok && s && t->spec_version == s->spec_version;
    v = fs_filter_values(filters, "runtime");
    ok = ok && (fs_match_exact(v, "container") || fs_match_exact(v, ""));
    json_decref(v);
    return ok;
}

static int check_desired_states(json_t *filters, sl_error *err)
{
    json_t *values = fs_filter_values(filters, "desired-state");
    size_t i, j;
    json_t *v;
    int rc = 0;

    json_array_foreach(values, i, v) {
        const char *s = json_string_value(v);
        bool known = !*s;

        for (j = 0; j < sizeof(state_names) / sizeof(*state_names); j++)
            known = known || !strcasecmp(s, state_names[j]);
        if (!known && rc == 0)
            rc = fs_fail(err, 500, "Invalid desired-state filter: '%s'", s);
    }
    json_decref(values);
    return rc;
}

json_t *sl_fake_tasks_list(sl_fake_swarm *fs, int host, json_t *filters,
                           sl_error *err)
{
    static const char *const accepted[] = {"name", "id", "label", "service",
                                           "node", "desired-state",
                                           "_up-to-date", "runtime", NULL};
    fs_cluster *cl = fs_control(fs, host, err);
    json_t *services = NULL, *nodes = NULL, *list = NULL;
    size_t i;

    if (!cl || fs_filters_check(filters, accepted, err) < 0 ||
        resolve_refs(fs, cl, filters, &services, &nodes, err) < 0 ||
        check_desired_states(filters, err) < 0)
        goto cleanup;
    list = json_array();
    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];

        if (task_matches(cl, t, filters, services, nodes))
            json_array_append_new(list, task_json(cl, t));
    }
    fs_sort_by_id(list, "ID");

cleanup:
    json_decref(services);
    json_decref(nodes);
    return list;
}

json_t *sl_fake_task_inspect(sl_fake_swarm *fs, int host, const char *ref,
                             sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_task *found = NULL;
    size_t i;
    int matches = 0, pass;
    char name[256];

    if (!cl)
        return NULL;
    for (pass = 0; pass < 3 && !matches; pass++) {
        for (i = 0; *ref && i < cl->tasks.n; i++) {
            fs_task *t = cl->tasks.v[i];
            bool hit;

            task_name(cl, t, name, sizeof(name));
            hit = pass == 0   ? !strcmp(t->id, ref)
                  : pass == 1 ? !strcmp(name, ref)
                              : !strncmp(t->id, ref, strlen(ref));
            if (hit) {
                found = t;
                matches++;
            }
        }
    }
    if (!matches)
        return fs_fail(err, 404, "task %s not found", ref), NULL;
    if (matches > 1)
        return fs_fail(err, 400, "task %s is ambiguous (%d matches found)",
                       ref, matches), NULL;
    return task_json(cl, found);
}
