/* Swarm nodes of the simulated swarm: rendering, lookup, update, removal. */
#include "fake_swarm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How long a promoted node takes to start its manager and join the raft,
 * and how long a demoted one is still scheduled as a manager: until it
 * holds a worker certificate. */
#define PROMOTION_NS (SL_NS_PER_SEC)
#define DEMOTION_NS (2 * SL_NS_PER_SEC)

void fs_node_free(fs_node *n)
{
    if (!n)
        return;
    json_decref(n->labels);
    free(n->spec_name);
    free(n->message);
    free(n);
}

static json_t *plugin_list(const char *const *pairs)
{
    json_t *list = json_array();
    size_t i;

    for (i = 0; pairs[i]; i += 2)
        json_array_append_new(list, json_pack("{s:s, s:s}", "Type",
                                              pairs[i], "Name",
                                              pairs[i + 1]));
    return list;
}

json_t *fs_engine_plugins(const char *os)
{
    static const char *const linux_plugins[] = {
        "Log", "awslogs", "Log", "fluentd", "Log", "gcplogs", "Log", "gelf",
        "Log", "journald", "Log", "json-file", "Log", "local", "Log",
        "logentries", "Log", "splunk", "Log", "syslog", "Network", "bridge",
        "Network", "host", "Network", "ipvlan", "Network", "macvlan",
        "Network", "null", "Network", "overlay", "Volume", "local", NULL};
    static const char *const windows_plugins[] = {
        "Log", "awslogs", "Log", "etwlogs", "Log", "fluentd", "Log",
        "gcplogs", "Log", "gelf", "Log", "json-file", "Log", "local", "Log",
        "logentries", "Log", "splunk", "Network", "ics", "Network",
        "internal", "Network", "l2bridge", "Network", "l2tunnel", "Network",
        "nat", "Network", "null", "Network", "overlay", "Network", "private",
        "Network", "transparent", "Volume", "local", NULL};

    return plugin_list(strcmp(os, "windows") ? linux_plugins
                                             : windows_plugins);
}

static const char *role_name(int role)
{
    return role == FS_MANAGER ? "manager" : "worker";
}

static const char *availability_name(int a)
{
    return a == FS_DRAIN ? "drain" : a == FS_PAUSE ? "pause" : "active";
}

static const char *state_name(int s)
{
    return s == FS_NODE_READY ? "ready" : s == FS_NODE_DOWN ? "down"
                                                            : "unknown";
}

static json_t *node_spec(const fs_node *n)
{
    json_t *spec = json_object();

    if (n->spec_name)
        json_object_set_new(spec, "Name", json_string(n->spec_name));
    json_object_set(spec, "Labels", n->labels);
    json_object_set_new(spec, "Role", json_string(role_name(n->role)));
    json_object_set_new(spec, "Availability",
                        json_string(availability_name(n->availability)));
    return spec;
}

static json_t *node_description(const fs_host *h)
{
    json_t *engine = json_pack("{s:s}", "EngineVersion", FS_ENGINE_VERSION);

    if (json_object_size(h->engine_labels))
        json_object_set(engine, "Labels", h->engine_labels);
    json_object_set_new(engine, "Plugins", fs_engine_plugins(h->os));
    return json_pack("{s:s, s:{s:s, s:s}, s:{s:I, s:I}, s:o, s:o}",
                     "Hostname", h->hostname, "Platform", "Architecture",
                     h->arch, "OS", h->os, "Resources", "NanoCPUs",
                     (json_int_t)h->nano_cpus, "MemoryBytes",
                     (json_int_t)h->memory_bytes, "Engine", engine,
                     "TLSInfo", fs_tls_info());
}

json_t *fs_node_json(const sl_fake_swarm *fs, const fs_cluster *cl,
                     const fs_node *n)
{
    fs_host *h = fs_host_at(fs, n->host);
    json_t *status = json_pack("{s:s}", "State", state_name(n->state));
    json_t *node;

    (void)cl;
    if (n->message)
        json_object_set_new(status, "Message", json_string(n->message));
    json_object_set_new(status, "Addr", json_string(n->addr));
    node = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "ID", n->id,
                     "Version", fs_version_json(n->meta.version),
                     "CreatedAt", fs_time(n->meta.created), "UpdatedAt",
                     fs_time(n->meta.updated), "Spec", node_spec(n),
                     "Description", node_description(h), "Status", status);
    if (node && n->raft) {
        json_t *ms = json_object();

        if (n->leader)
            json_object_set_new(ms, "Leader", json_true());
        json_object_set_new(ms, "Reachability",
                            json_string(fs_node_reachable(fs, n)
                                            ? "reachable"
                                            : "unreachable"));
        json_object_set_new(ms, "Addr", json_string(n->raft_addr));
        json_object_set_new(node, "ManagerStatus", ms);
    }
    return node;
}

static const char *node_hostname(const sl_fake_swarm *fs, const fs_node *n)
{
    fs_host *h = fs_host_at(fs, n->host);

    return h ? h->hostname : "";
}

fs_node *fs_node_lookup(fs_cluster *cl, const sl_fake_swarm *fs,
                        const char *ref, sl_error *err)
{
    fs_node *found = NULL;
    size_t i;
    int matches = 0;

    if ((found = fs_node_by_id(cl, ref)))
        return found;
    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (!strcmp(node_hostname(fs, n), ref)) {
            found = n;
            matches++;
        }
    }
    if (!matches) {
        for (i = 0; *ref && i < cl->nodes.n; i++) {
            fs_node *n = cl->nodes.v[i];

            if (!strncmp(n->id, ref, strlen(ref))) {
                found = n;
                matches++;
            }
        }
    }
    if (matches == 0) {
        fs_fail(err, 404, "node %s not found", ref);
        return NULL;
    }
    if (matches > 1) {
        fs_fail(err, 400, "node %s is ambiguous (%d matches found)", ref,
                matches);
        return NULL;
    }
    return found;
}

/* Node list --------------------------------------------------------------- */

/* Role and membership filters, checked as dockerd converts them. */
static int check_enum_filters(json_t *filters, sl_error *err)
{
    json_t *roles = fs_filter_values(filters, "role");
    json_t *members = fs_filter_values(filters, "membership");
    size_t i;
    json_t *v;
    int rc = 0;

    json_array_foreach(roles, i, v) {
        const char *r = json_string_value(v);

        if (rc == 0 && *r && strcasecmp(r, "manager") &&
            strcasecmp(r, "worker"))
            rc = fs_fail(err, 500, "Invalid role filter: '%s'", r);
    }
    json_array_foreach(members, i, v) {
        const char *m = json_string_value(v);

        if (rc == 0 && *m && strcasecmp(m, "accepted") &&
            strcasecmp(m, "pending"))
            rc = fs_fail(err, 500, "Invalid membership filter: '%s'", m);
    }
    json_decref(roles);
    json_decref(members);
    return rc;
}

static bool node_matches(const sl_fake_swarm *fs, const fs_node *n,
                         json_t *filters)
{
    json_t *v;
    bool ok = true;
    size_t i;
    json_t *item;
    fs_host *h = fs_host_at(fs, n->host);

    v = fs_filter_values(filters, "name");
    ok = ok && fs_match_prefix(v, h->hostname);
    json_decref(v);
    v = fs_filter_values(filters, "id");
    ok = ok && fs_match_prefix(v, n->id);
    json_decref(v);
    v = fs_filter_values(filters, "label");
    ok = ok && fs_match_labels(h->engine_labels, v);
    json_decref(v);
    v = fs_filter_values(filters, "node.label");
    ok = ok && fs_match_labels(n->labels, v);
    json_decref(v);
    v = fs_filter_values(filters, "role");
    if (ok && json_array_size(v)) {
        bool any = false;

        json_array_foreach(v, i, item) {
            if (!strcasecmp(json_string_value(item),
                            role_name(n->observed_role)))
                any = true;
        }
        ok = any;
    }
    json_decref(v);
    return ok;
}

json_t *sl_fake_nodes_list(sl_fake_swarm *fs, int host, json_t *filters,
                           sl_error *err)
{
    static const char *const accepted[] = {"name", "id", "label", "role",
                                           "membership", "node.label",
                                           NULL};
    fs_cluster *cl = fs_control(fs, host, err);
    json_t *list;
    size_t i;

    if (!cl || fs_filters_check(filters, accepted, err) < 0 ||
        check_enum_filters(filters, err) < 0)
        return NULL;
    list = json_array();
    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (node_matches(fs, n, filters))
            json_array_append_new(list, fs_node_json(fs, cl, n));
    }
    fs_sort_by_id(list, "ID");
    return list;
}

json_t *sl_fake_node_inspect(sl_fake_swarm *fs, int host, const char *ref,
                             sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_node *n = cl ? fs_node_lookup(cl, fs, ref, err) : NULL;

    return n ? fs_node_json(fs, cl, n) : NULL;
}

/* Node update ------------------------------------------------------------- */

static int parse_node_spec(json_t *spec, int *role, int *avail,
                           sl_error *err)
{
    const char *r = json_string_value(json_object_get(spec, "Role"));
    const char *a = json_string_value(json_object_get(spec, "Availability"));

    if (!r)
        r = "";
    if (!a)
        a = "";
    if (!strcasecmp(r, "manager"))
        *role = FS_MANAGER;
    else if (!strcasecmp(r, "worker"))
        *role = FS_WORKER;
    else
        return fs_fail(err, 400, "invalid Role: \"%s\"", r);
    if (!strcasecmp(a, "active"))
        *avail = FS_ACTIVE;
    else if (!strcasecmp(a, "pause"))
        *avail = FS_PAUSE;
    else if (!strcasecmp(a, "drain"))
        *avail = FS_DRAIN;
    else
        return fs_fail(err, 400, "invalid Availability: \"%s\"", a);
    return 0;
}

/* swarmkit's demotion safeguards: never the last manager, only a raft
 * member, never below a quorum of reachable managers. */
static int check_demotion(const sl_fake_swarm *fs, fs_cluster *cl,
                          const fs_node *n)
{
    size_t i;
    int members = 0, reachable = 0;

    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *m = cl->nodes.v[i];

        if (!m->raft)
            continue;
        members++;
        if (m != n && fs_node_reachable(fs, m))
            reachable++;
    }
    if (members == 1 && n->raft)
        return 1;
    if (!n->raft)
        return 3;
    return reachable >= (members - 1) / 2 + 1 ? 0 : 2;
}

static void apply_node_spec(sl_fake_swarm *fs, fs_node *n, json_t *spec,
                            int role, int avail)
{
    json_t *labels = json_object_get(spec, "Labels");
    const char *name = json_string_value(json_object_get(spec, "Name"));

    json_decref(n->labels);
    n->labels = json_is_object(labels) ? json_deep_copy(labels)
                                       : json_object();
    fs_set_str(&n->spec_name, name && *name ? name : NULL);
    n->availability = avail;
    if (role == FS_MANAGER && n->role != FS_MANAGER &&
        fs_node_attached(fs, n))
        n->promote_at = fs_now(fs) + PROMOTION_NS;
    else if (role == FS_WORKER) {
        n->raft = false;
        n->leader = false;
        n->promote_at = 0;
        if (n->observed_role == FS_MANAGER)
            n->role_at = fs_now(fs) + DEMOTION_NS;
    }
    n->role = role;
}

int sl_fake_node_update(sl_fake_swarm *fs, int host, const char *ref,
                        uint64_t version, json_t *spec, sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_node *n;
    int role = FS_WORKER, avail = FS_ACTIVE;

    if (!cl || parse_node_spec(spec, &role, &avail, err) < 0)
        return -1;
    n = fs_node_lookup(cl, fs, ref, err);
    if (!n)
        return -1;
    if (n->role == FS_MANAGER && role == FS_WORKER) {
        switch (check_demotion(fs, cl, n)) {
        case 1:
            return fs_fail(err, 400, "rpc error: code = FailedPrecondition "
                           "desc = attempting to demote the last manager "
                           "of the swarm");
        case 2:
            return fs_fail(err, 400, "rpc error: code = FailedPrecondition "
                           "desc = can't remove member from the raft: this "
                           "would result in a loss of quorum");
        case 3:
            return fs_fail(err, 404, "rpc error: code = NotFound desc = "
                           "can't find manager in raft memberlist");
        default:
            break;
        }
    }
    if (version != n->meta.version)
        return fs_fail(err, 500, FS_MSG_OUT_OF_SEQUENCE);
    apply_node_spec(fs, n, spec, role, avail);
    fs_touch(cl, &n->meta, fs_now(fs));
    fs_converge(fs, cl);
    return 0;
}

/* Node removal ------------------------------------------------------------ */

int sl_fake_node_remove(sl_fake_swarm *fs, int host, const char *ref,
                        bool force, sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    fs_node *n = cl ? fs_node_lookup(cl, fs, ref, err) : NULL;
    fs_host *h;
    size_t i;

    if (!n)
        return -1;
    if (n->role == FS_MANAGER && n->raft)
        return fs_fail(err, 400, "rpc error: code = FailedPrecondition desc "
                       "= node %s is a cluster manager and is a member of "
                       "the raft cluster. It must be demoted to worker "
                       "before removal", n->id);
    if (!force && n->state == FS_NODE_READY)
        return fs_fail(err, 400, "rpc error: code = FailedPrecondition desc "
                       "= node %s is not down and can't be removed", n->id);
    h = fs_node_attached(fs, n) ? fs_host_at(fs, n->host) : NULL;
    for (i = 0; i < cl->nodes.n; i++) {
        if (cl->nodes.v[i] == n) {
            fs_vec_remove(&cl->nodes, i);
            break;
        }
    }
    fs_node_free(n);
    cl->raft_index++;
    if (h)
        fs_host_detach(fs, h);
    else
        fs_converge(fs, cl);
    return 0;
}
