/* Networks of the simulated hosts and swarms, secrets, configs, registry. */
#include "fake_swarm_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether 'h' answers: it exists and is up. Lets elapsed time act first. */
static bool answering(sl_fake_swarm *fs, const fs_host *h, sl_error *err)
{
    fs_tick(fs);
    if (!h)
        return fs_fail_own(err, SL_ERR_INVALID, "no such host"), false;
    if (!h->up)
        return fs_fail_own(err, SL_ERR_CONNECT, "host '%s' is down",
                           h->hostname), false;
    return true;
}

/* Local networks ---------------------------------------------------------- */

void fs_lnet_free(fs_lnet *ln)
{
    if (!ln)
        return;
    free(ln->name);
    free(ln->driver);
    json_decref(ln->options);
    json_decref(ln->labels);
    free(ln);
}

static fs_lnet *lnet_add(const sl_fake_swarm *fs, fs_host *h,
                         const char *name, const char *driver,
                         const char *subnet, const char *gateway,
                         json_t *options)
{
    fs_lnet *ln = calloc(1, sizeof(*ln));
    char tag[128];

    if (!ln) {
        json_decref(options);
        return NULL;
    }
    snprintf(tag, sizeof(tag), "lnet:%s:%zu", name, h->lnets.n);
    fs_stable_hex(fs, tag, h->index, ln->id);
    ln->name = strdup(name);
    ln->driver = strdup(driver);
    ln->created = sl_clock_now_ns(fs->clock);
    snprintf(ln->subnet, sizeof(ln->subnet), "%s", subnet ? subnet : "");
    snprintf(ln->gateway, sizeof(ln->gateway), "%s", gateway ? gateway : "");
    ln->options = options ? options : json_object();
    ln->labels = json_object();
    if (!ln->name || !ln->driver || !ln->options || !ln->labels ||
        fs_vec_push(&h->lnets, ln) < 0) {
        fs_lnet_free(ln);
        return NULL;
    }
    return ln;
}

int fs_host_add_default_networks(sl_fake_swarm *fs, fs_host *h)
{
    if (!strcmp(h->os, "windows")) {
        if (!lnet_add(fs, h, "nat", "nat", "172.27.208.0/20",
                      "172.27.208.1", NULL) ||
            !lnet_add(fs, h, "none", "null", NULL, NULL, NULL))
            return -1;
        return 0;
    }
    if (!lnet_add(fs, h, "bridge", "bridge", "172.17.0.0/16", "172.17.0.1",
                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
                            "com.docker.network.bridge.default_bridge",
                            "true", "com.docker.network.bridge.enable_icc",
                            "true",
                            "com.docker.network.bridge.enable_ip_masquerade",
                            "true",
                            "com.docker.network.bridge.host_binding_ipv4",
                            "0.0.0.0", "com.docker.network.bridge.name",
                            "docker0", "com.docker.network.driver.mtu",
                            "1500")) ||
        !lnet_add(fs, h, "host", "host", NULL, NULL, NULL) ||
        !lnet_add(fs, h, "none", "null", NULL, NULL, NULL))
        return -1;
    return 0;
}

static fs_lnet *lnet_by_name(const fs_host *h, const char *name)
{
    size_t i;

    for (i = 0; i < h->lnets.n; i++) {
        fs_lnet *ln = h->lnets.v[i];

        if (!strcmp(ln->name, name))
            return ln;
    }
    return NULL;
}

int fs_host_add_gwbridge(sl_fake_swarm *fs, fs_host *h)
{
    if (!strcmp(h->os, "windows") || lnet_by_name(h, "docker_gwbridge"))
        return 0;
    return lnet_add(fs, h, "docker_gwbridge", "bridge", "172.18.0.0/16",
                    "172.18.0.1",
                    json_pack("{s:s, s:s, s:s}",
                              "com.docker.network.bridge.enable_icc",
                              "false",
                              "com.docker.network.bridge.enable_ip_masquerade",
                              "true", "com.docker.network.bridge.name",
                              "docker_gwbridge"))
               ? 0
               : -1;
}

static bool predefined(const char *name)
{
    return !strcmp(name, "bridge") || !strcmp(name, "host") ||
           !strcmp(name, "none") || !strcmp(name, "default") ||
           !strcmp(name, "nat");
}

static json_t *lnet_json(const fs_lnet *ln)
{
    json_t *config = json_array();

    if (ln->subnet[0])
        json_array_append_new(config, json_pack("{s:s, s:s}", "Subnet",
                                                ln->subnet, "Gateway",
                                                ln->gateway));
    return json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:b, s:{s:s, s:n, s:o}, s:b, s:b, s:b,"
        " s:{s:s}, s:b, s:{}, s:O, s:O}",
        "Name", ln->name, "Id", ln->id, "Created", fs_time(ln->created),
        "Scope", "local", "Driver", ln->driver, "EnableIPv6", ln->ipv6,
        "IPAM", "Driver", "default", "Options", "Config", config, "Internal",
        ln->internal, "Attachable", ln->attachable, "Ingress", 0,
        "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers",
        "Options", ln->options, "Labels", ln->labels);
}

/* Swarm networks ---------------------------------------------------------- */

void fs_network_free(fs_network *nw)
{
    if (!nw)
        return;
    free(nw->name);
    free(nw->driver);
    json_decref(nw->labels);
    json_decref(nw->driver_opts);
    json_decref(nw->ipam_opts);
    json_decref(nw->spec_ipam);
    json_decref(nw->lb);
    free(nw);
}

fs_network *fs_network_by_id(fs_cluster *cl, const char *id)
{
    size_t i;

    for (i = 0; cl && i < cl->networks.n; i++) {
        fs_network *nw = cl->networks.v[i];

        if (!strcmp(nw->id, id))
            return nw;
    }
    return NULL;
}

fs_network *fs_ingress(fs_cluster *cl)
{
    size_t i;

    for (i = 0; cl && i < cl->networks.n; i++) {
        fs_network *nw = cl->networks.v[i];

        if (nw->ingress)
            return nw;
    }
    return NULL;
}

/* swarmkit's getNetwork: full ID, then exact name, then ID prefix. */
static fs_network *network_find(fs_cluster *cl, const char *ref, int *count)
{
    fs_network *found = fs_network_by_id(cl, ref);
    size_t i;
    int pass;

    *count = found ? 1 : 0;
    for (pass = 0; !found && pass < 2; pass++) {
        for (i = 0; *ref && i < cl->networks.n; i++) {
            fs_network *nw = cl->networks.v[i];
            bool hit = pass == 0 ? !strcmp(nw->name, ref)
                                 : !strncmp(nw->id, ref, strlen(ref));

            if (hit) {
                found = nw;
                (*count)++;
            }
        }
        if (*count)
            break;
    }
    return found;
}

static bool network_named(fs_cluster *cl, const char *name)
{
    size_t i;

    for (i = 0; i < cl->networks.n; i++) {
        if (!strcmp(((fs_network *)cl->networks.v[i])->name, name))
            return true;
    }
    return false;
}

fs_network *fs_network_resolve(fs_cluster *cl, const char *ref)
{
    int count;
    fs_network *nw = network_find(cl, ref, &count);

    return count == 1 ? nw : NULL;
}

void fs_network_alloc(fs_network *nw, char *buf, size_t size)
{
    char ip[20];

    fs_format_ipv4(nw->base + nw->next_host++, ip, sizeof(ip));
    snprintf(buf, size, "%s/%d", ip, nw->prefix);
}

static void network_subnet(const fs_network *nw, char *subnet, size_t ssize,
                           char *gateway, size_t gsize)
{
    char ip[20];

    fs_format_ipv4(nw->base, ip, sizeof(ip));
    snprintf(subnet, ssize, "%s/%d", ip, nw->prefix);
    fs_format_ipv4(nw->gateway, gateway, gsize);
}

static json_t *driver_state_options(const fs_network *nw)
{
    json_t *opts = nw->driver_opts ? json_deep_copy(nw->driver_opts)
                                   : json_object();
    char vx[16];

    snprintf(vx, sizeof(vx), "%u", nw->vxlan);
    json_object_set_new(opts, "com.docker.network.driver.overlay."
                              "vxlanid_list",
                        json_string(vx));
    return opts;
}

json_t *fs_network_object(const fs_network *nw)
{
    char subnet[FS_ADDR_MAX], gateway[FS_ADDR_MAX];
    json_t *spec, *obj;

    network_subnet(nw, subnet, sizeof(subnet), gateway, sizeof(gateway));
    spec = json_pack("{s:s, s:o, s:{s:s}}", "Name", nw->name, "Labels",
                     nw->labels ? json_deep_copy(nw->labels) : json_object(),
                     "DriverConfiguration", "Name", nw->driver);
    if (nw->ipv6)
        json_object_set_new(spec, "IPv6Enabled", json_true());
    if (nw->internal)
        json_object_set_new(spec, "Internal", json_true());
    if (nw->attachable)
        json_object_set_new(spec, "Attachable", json_true());
    if (nw->ingress)
        json_object_set_new(spec, "Ingress", json_true());
    if (nw->spec_ipam)
        json_object_set(spec, "IPAMOptions", nw->spec_ipam);
    json_object_set_new(spec, "Scope", json_string("swarm"));
    obj = json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:s, s:o},"
                    " s:{s:{s:s}, s:[{s:s, s:s}]}}",
                    "ID", nw->id, "Version",
                    fs_version_json(nw->meta.version), "CreatedAt",
                    fs_time(nw->meta.created), "UpdatedAt",
                    fs_time(nw->meta.updated), "Spec", spec, "DriverState",
                    "Name", nw->driver, "Options", driver_state_options(nw),
                    "IPAMOptions", "Driver", "Name", "default", "Configs",
                    "Subnet", subnet, "Gateway", gateway);
    return obj;
}

/* The NetworkResource dockerd builds from a swarm network. */
static json_t *network_resource(const fs_network *nw, bool local_view)
{
    char subnet[FS_ADDR_MAX], gateway[FS_ADDR_MAX];
    bool labels = nw->labels && json_object_size(nw->labels);

    network_subnet(nw, subnet, sizeof(subnet), gateway, sizeof(gateway));
    return json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:b, s:{s:s, s:O, s:[{s:s, s:s}]}, s:b,"
        " s:b, s:b, s:{s:s}, s:b, s:o, s:o, s:o}",
        "Name", nw->name, "Id", nw->id, "Created", fs_time(nw->meta.created),
        "Scope", "swarm", "Driver", nw->driver, "EnableIPv6", nw->ipv6,
        "IPAM", "Driver", "default", "Options",
        nw->ipam_opts ? nw->ipam_opts : json_null(), "Config", "Subnet",
        subnet, "Gateway", gateway, "Internal", nw->internal, "Attachable",
        nw->attachable, "Ingress", nw->ingress, "ConfigFrom", "Network", "",
        "ConfigOnly", 0, "Containers",
        local_view ? json_object() : json_null(), "Options",
        driver_state_options(nw), "Labels",
        labels ? json_deep_copy(nw->labels) : json_null());
}

/* Takes the next subnet of the cluster's address pool. */
static void next_subnet(fs_cluster *cl, fs_network *nw)
{
    uint32_t size = UINT32_C(1) << (32 - cl->subnet_size);

    nw->base = cl->pool_base + cl->next_subnet++ * size;
    nw->prefix = (int)cl->subnet_size;
    nw->gateway = nw->base + 1;
    nw->next_host = 2;
}

static fs_network *network_new(sl_fake_swarm *fs, fs_cluster *cl,
                               const char *name, const char *driver)
{
    fs_network *nw = calloc(1, sizeof(*nw));

    if (!nw)
        return NULL;
    fs_new_id(fs, nw->id);
    nw->name = strdup(name);
    nw->driver = strdup(driver);
    nw->lb = json_object();
    nw->vxlan = cl->next_vxlan++;
    fs_meta_new(cl, &nw->meta, fs_now(fs));
    if (!nw->name || !nw->driver || !nw->lb ||
        fs_vec_push(&cl->networks, nw) < 0) {
        fs_network_free(nw);
        return NULL;
    }
    return nw;
}

int fs_network_create_ingress(sl_fake_swarm *fs, fs_cluster *cl)
{
    fs_network *nw = network_new(fs, cl, "ingress", "overlay");

    if (!nw)
        return -1;
    nw->ingress = true;
    next_subnet(cl, nw);
    return 0;
}

/* The IPAMOptions swarmkit keeps in a network's spec from a request. */
static json_t *spec_ipam(json_t *ipam)
{
    const char *driver = json_string_value(json_object_get(ipam, "Driver"));
    json_t *opts = json_object_get(ipam, "Options");
    json_t *out = json_pack("{s:{s:s}}", "Driver", "Name",
                            driver && *driver ? driver : "default");
    json_t *configs = json_array();
    size_t i;
    json_t *c;

    if (json_object_size(opts))
        json_object_set(json_object_get(out, "Driver"), "Options", opts);
    json_array_foreach(json_object_get(ipam, "Config"), i, c) {
        json_t *o = json_object();

        if (json_string_length(json_object_get(c, "Subnet")))
            json_object_set(o, "Subnet", json_object_get(c, "Subnet"));
        if (json_string_length(json_object_get(c, "IPRange")))
            json_object_set(o, "Range", json_object_get(c, "IPRange"));
        if (json_string_length(json_object_get(c, "Gateway")))
            json_object_set(o, "Gateway", json_object_get(c, "Gateway"));
        json_array_append_new(configs, o);
    }
    if (json_array_size(configs))
        json_object_set(out, "Configs", configs);
    json_decref(configs);
    return out;
}

/* Uses the request's IPAM subnet, or the pool's next one. */
static int network_ipam(fs_cluster *cl, fs_network *nw, json_t *ipam,
                        sl_error *err)
{
    json_t *conf = json_array_get(json_object_get(ipam, "Config"), 0);
    const char *subnet = json_string_value(json_object_get(conf, "Subnet"));
    const char *gw = json_string_value(json_object_get(conf, "Gateway"));
    json_t *opts = json_object_get(ipam, "Options");
    char base[FS_ADDR_MAX];
    int prefix;

    if (json_object_size(opts))
        nw->ipam_opts = json_deep_copy(opts);
    if (json_is_object(ipam))
        nw->spec_ipam = spec_ipam(ipam);
    if (!subnet || !*subnet) {
        next_subnet(cl, nw);
        return 0;
    }
    if (sscanf(subnet, "%63[0-9.]/%d", base, &prefix) != 2 ||
        fs_parse_ipv4(base, &nw->base) < 0 || prefix < 1 || prefix > 30)
        return fs_fail(err, 400, "rpc error: code = InvalidArgument desc = "
                       "ipam configuration: invalid subnet %s", subnet);
    nw->prefix = prefix;
    nw->base &= ~UINT32_C(0) << (32 - prefix);
    nw->gateway = nw->base + 1;
    if (gw && *gw && fs_parse_ipv4(gw, &nw->gateway) < 0)
        return fs_fail(err, 400, "rpc error: code = InvalidArgument desc = "
                       "ipam configuration: invalid gateway %s", gw);
    nw->next_host = 2;
    return 0;
}

/* Network list ------------------------------------------------------------ */

static bool match_substring(json_t *values, const char *s)
{
    size_t i;
    json_t *v;

    if (json_array_size(values) == 0)
        return true;
    json_array_foreach(values, i, v) {
        if (strstr(s, json_string_value(v)))
            return true;
    }
    return false;
}

/* dockerd's FilterNetworks over one network's facts. */
static bool network_passes(json_t *filters, const char *name, const char *id,
                           const char *driver, const char *scope,
                           json_t *labels, bool exact_name)
{
    json_t *v;
    bool ok = true;

    v = fs_filter_values(filters, "name");
    ok = ok && (exact_name ? fs_match_exact(v, name)
                           : match_substring(v, name));
    json_decref(v);
    v = fs_filter_values(filters, "id");
    ok = ok && match_substring(v, id);
    json_decref(v);
    v = fs_filter_values(filters, "driver");
    ok = ok && fs_match_exact(v, driver);
    json_decref(v);
    v = fs_filter_values(filters, "scope");
    ok = ok && fs_match_exact(v, scope);
    json_decref(v);
    v = fs_filter_values(filters, "type");
    if (json_array_size(v))
        ok = ok && fs_match_exact(v, predefined(name) ? "builtin"
                                                      : "custom");
    json_decref(v);
    v = fs_filter_values(filters, "label");
    ok = ok && fs_match_labels(labels, v);
    json_decref(v);
    return ok;
}

static int check_network_filters(json_t *filters, sl_error *err)
{
    static const char *const accepted[] = {"driver", "type", "name", "id",
                                           "label", "scope", "dangling",
                                           NULL};
    json_t *v;
    size_t i;
    json_t *item;
    int rc;

    if (fs_filters_check(filters, accepted, err) < 0)
        return -1;
    rc = 0;
    v = fs_filter_values(filters, "type");
    json_array_foreach(v, i, item) {
        const char *t = json_string_value(item);

        if (rc == 0 && strcmp(t, "custom") && strcmp(t, "builtin"))
            rc = fs_fail(err, 400, "invalid filter: 'type'='%s'", t);
    }
    json_decref(v);
    v = fs_filter_values(filters, "scope");
    json_array_foreach(v, i, item) {
        const char *s = json_string_value(item);

        if (rc == 0 && strcmp(s, "swarm") && strcmp(s, "global") &&
            strcmp(s, "local"))
            rc = fs_fail(err, 400, "Invalid filter: 'scope'='%s'", s);
    }
    json_decref(v);
    return rc;
}

/* Swarm networks a worker instantiated: ingress and those of its tasks. */
static bool attached_here(fs_cluster *cl, const fs_host *h,
                          const fs_network *nw)
{
    size_t i, j;

    if (nw->ingress)
        return true;
    for (i = 0; i < cl->tasks.n; i++) {
        fs_task *t = cl->tasks.v[i];
        json_t *pair;

        if (strcmp(t->node_id, h->node_id) || t->desired > FS_T_RUNNING)
            continue;
        json_array_foreach(t->addresses, j, pair) {
            if (!strcmp(json_string_value(json_array_get(pair, 0)), nw->id))
                return true;
        }
    }
    return false;
}

json_t *sl_fake_networks_list(sl_fake_swarm *fs, int host, json_t *filters,
                              sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    fs_node *self = h ? fs_host_node(fs, h) : NULL;
    fs_cluster *cl = h ? h->cluster : NULL;
    bool manager = self && fs_node_runs_manager(self) &&
                   fs_has_quorum(fs, cl);
    json_t *list, *swarm;
    size_t i;

    if (!answering(fs, h, err))
        return NULL;
    if (check_network_filters(filters, err) < 0)
        return NULL;
    list = json_array();
    swarm = json_array();
    for (i = 0; cl && i < cl->networks.n; i++) {
        fs_network *nw = cl->networks.v[i];
        bool local = !manager;

        if (!manager && !attached_here(cl, h, nw))
            continue;
        if (network_passes(filters, nw->name, nw->id, nw->driver, "swarm",
                           nw->labels, manager))
            json_array_append_new(swarm, network_resource(nw, local));
    }
    fs_sort_by_id(swarm, "Id");
    json_array_extend(list, swarm);
    json_decref(swarm);
    for (i = 0; i < h->lnets.n; i++) {
        fs_lnet *ln = h->lnets.v[i];

        if (network_passes(filters, ln->name, ln->id, ln->driver, "local",
                           ln->labels, false))
            json_array_append_new(list, lnet_json(ln));
    }
    return list;
}

/* Network inspect and removal --------------------------------------------- */

typedef struct net_ref {
    fs_lnet *local;
    fs_network *swarm;
} net_ref;

/* dockerd's findUniqueNetwork over the host's and (on a manager) the
 * swarm's networks. */
static int network_lookup(sl_fake_swarm *fs, fs_host *h, const char *ref,
                          net_ref *out, bool inspect, sl_error *err)
{
    fs_node *self = fs_host_node(fs, h);
    fs_cluster *cl = self && fs_node_runs_manager(self) &&
                             fs_has_quorum(fs, h->cluster)
                         ? h->cluster : NULL;
    net_ref by_name = {0}, by_prefix = {0};
    int names = 0, prefixes = 0;
    size_t i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < h->lnets.n; i++) {
        fs_lnet *ln = h->lnets.v[i];

        if (!strcmp(ln->id, ref))
            return out->local = ln, 0;
        if (!strcmp(ln->name, ref))
            by_name.local = ln, names++;
        if (*ref && !strncmp(ln->id, ref, strlen(ref)))
            by_prefix.local = ln, prefixes++;
    }
    for (i = 0; cl && i < cl->networks.n; i++) {
        fs_network *nw = cl->networks.v[i];

        if (!strcmp(nw->id, ref))
            return out->swarm = nw, 0;
        if (!strcmp(nw->name, ref))
            by_name.swarm = nw, names++;
        if (*ref && !strncmp(nw->id, ref, strlen(ref)))
            by_prefix.swarm = nw, prefixes++;
    }
    if (names == 1)
        return *out = by_name, 0;
    if (names > 1)
        return inspect ? fs_fail(err, 400, "%d matches found based on name: "
                                 "network %s is ambiguous", names, ref)
                       : fs_fail(err, 400, "network %s is ambiguous (%d "
                                 "matches found based on name)", ref, names);
    if (prefixes == 1)
        return *out = by_prefix, 0;
    if (prefixes > 1)
        return inspect ? fs_fail(err, 400, "%d matches found based on ID "
                                 "prefix: network %s is ambiguous",
                                 prefixes, ref)
                       : fs_fail(err, 400, "network %s is ambiguous (%d "
                                 "matches found based on ID prefix)", ref,
                                 prefixes);
    return fs_fail(err, 404, "network %s not found", ref);
}

json_t *sl_fake_network_inspect(sl_fake_swarm *fs, int host, const char *ref,
                                sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    net_ref found;

    if (!answering(fs, h, err))
        return NULL;
    if (network_lookup(fs, h, ref, &found, true, err) < 0)
        return NULL;
    /* TODO: the endpoints (Containers) and Peers of a network attached on
     * this host are not listed. */
    if (found.local)
        return lnet_json(found.local);
    return network_resource(found.swarm, false);
}

static int remove_swarm_network(sl_fake_swarm *fs, fs_cluster *cl,
                                fs_network *nw, sl_error *err)
{
    size_t i, j;

    for (i = 0; i < cl->services.n; i++) {
        fs_service *s = cl->services.v[i];
        json_t *nets = json_object_get(json_object_get(s->spec,
                                                       "TaskTemplate"),
                                       "Networks");
        json_t *att;

        json_array_foreach(nets, j, att) {
            const char *target = json_string_value(json_object_get(att,
                                                                   "Target"));

            if (target && !strcmp(target, nw->id))
                return fs_fail(err, 400, "rpc error: code = "
                               "FailedPrecondition desc = network %s is in "
                               "use by service %s", nw->id, s->id);
        }
    }
    for (i = 0; i < cl->networks.n; i++) {
        if (cl->networks.v[i] == nw) {
            fs_vec_remove(&cl->networks, i);
            break;
        }
    }
    fs_network_free(nw);
    cl->raft_index++;
    (void)fs;
    return 0;
}

int sl_fake_network_remove(sl_fake_swarm *fs, int host, const char *ref,
                           sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    net_ref found;
    size_t i;

    if (!answering(fs, h, err))
        return -1;
    if (network_lookup(fs, h, ref, &found, false, err) < 0)
        return -1;
    if (found.swarm)
        return fs_control(fs, host, err)
                   ? remove_swarm_network(fs, h->cluster, found.swarm, err)
                   : -1;
    if (predefined(found.local->name))
        return fs_fail(err, 403, "%s is a pre-defined network and cannot be "
                       "removed", found.local->name);
    for (i = 0; i < h->lnets.n; i++) {
        if (h->lnets.v[i] == found.local) {
            fs_vec_remove(&h->lnets, i);
            break;
        }
    }
    fs_lnet_free(found.local);
    return 0;
}

/* Network create ---------------------------------------------------------- */

static const char *req_str(json_t *req, const char *key)
{
    const char *s = json_string_value(json_object_get(req, key));

    return s ? s : "";
}

static json_t *create_overlay(sl_fake_swarm *fs, int host, json_t *req,
                              sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    fs_node *self = fs_host_node(fs, h);
    json_t *labels = json_object_get(req, "Labels");
    json_t *opts = json_object_get(req, "Options");
    fs_cluster *cl;
    fs_network *nw;

    if (!self)
        return fs_fail(err, 500, FS_MSG_NOT_IN_SWARM_MANAGER), NULL;
    if (!fs_node_runs_manager(self))
        return fs_fail(err, 403, "Cannot create a multi-host network from a "
                       "worker node. Please create the network from a "
                       "manager node."), NULL;
    cl = fs_control(fs, host, err);
    if (!cl)
        return NULL;
    nw = network_new(fs, cl, req_str(req, "Name"), "overlay");
    if (!nw) {
        fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (network_ipam(cl, nw, json_object_get(req, "IPAM"), err) < 0) {
        fs_vec_remove(&cl->networks, cl->networks.n - 1);
        fs_network_free(nw);
        return NULL;
    }
    if (json_object_size(labels))
        nw->labels = json_deep_copy(labels);
    if (json_object_size(opts))
        nw->driver_opts = json_deep_copy(opts);
    nw->internal = json_is_true(json_object_get(req, "Internal"));
    nw->attachable = json_is_true(json_object_get(req, "Attachable"));
    nw->ipv6 = json_is_true(json_object_get(req, "EnableIPv6"));
    return json_pack("{s:s, s:s}", "Id", nw->id, "Warning", "");
}

static json_t *create_local(sl_fake_swarm *fs, fs_host *h, json_t *req,
                            sl_error *err)
{
    const char *driver = *req_str(req, "Driver") ? req_str(req, "Driver")
                                                 : "bridge";
    json_t *conf = json_array_get(json_object_get(json_object_get(req,
                                                                  "IPAM"),
                                                  "Config"), 0);
    const char *subnet = json_string_value(json_object_get(conf, "Subnet"));
    const char *gw = json_string_value(json_object_get(conf, "Gateway"));
    char auto_subnet[32], auto_gw[32];
    json_t *opts = json_object_get(req, "Options");
    fs_lnet *ln;
    int octet = 19 + (int)h->lnets.n;

    snprintf(auto_subnet, sizeof(auto_subnet), "172.%d.0.0/16", octet);
    snprintf(auto_gw, sizeof(auto_gw), "172.%d.0.1", octet);
    ln = lnet_add(fs, h, req_str(req, "Name"), driver,
                  subnet ? subnet : auto_subnet,
                  subnet ? (gw ? gw : "") : auto_gw,
                  json_is_object(opts) ? json_deep_copy(opts) : NULL);
    if (!ln) {
        fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (json_is_object(json_object_get(req, "Labels"))) {
        json_decref(ln->labels);
        ln->labels = json_deep_copy(json_object_get(req, "Labels"));
    }
    ln->internal = json_is_true(json_object_get(req, "Internal"));
    ln->attachable = json_is_true(json_object_get(req, "Attachable"));
    ln->ipv6 = json_is_true(json_object_get(req, "EnableIPv6"));
    return json_pack("{s:s, s:s}", "Id", ln->id, "Warning", "");
}

json_t *sl_fake_network_create(sl_fake_swarm *fs, int host, json_t *req,
                               sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    fs_node *self = h ? fs_host_node(fs, h) : NULL;
    const char *name = req_str(req, "Name");
    const char *driver = req_str(req, "Driver");

    if (!answering(fs, h, err))
        return NULL;
    if (self && fs_node_runs_manager(self) &&
        fs_has_quorum(fs, h->cluster) &&
        network_named(h->cluster, name))
        return fs_fail(err, 409, "network with name %s already exists",
                       name), NULL;
    if (predefined(name))
        return fs_fail(err, 403, "operation is not permitted on predefined "
                       "%s network ", name), NULL;
    if (lnet_by_name(h, name) &&
        json_is_true(json_object_get(req, "CheckDuplicate")))
        return fs_fail(err, 409, "network with name %s already exists",
                       name), NULL;
    if (!strcmp(driver, "overlay"))
        return create_overlay(fs, host, req, err);
    return create_local(fs, h, req, err);
}

/* Secrets and configs ----------------------------------------------------- */

json_t *sl_fake_secrets_list(sl_fake_swarm *fs, int host, json_t *filters,
                             sl_error *err)
{
    static const char *const accepted[] = {"names", "name", "id", "label",
                                           NULL};

    if (!fs_control(fs, host, err) ||
        fs_filters_check(filters, accepted, err) < 0)
        return NULL;
    return json_array();
}

json_t *sl_fake_configs_list(sl_fake_swarm *fs, int host, json_t *filters,
                             sl_error *err)
{
    static const char *const accepted[] = {"name", "id", "label", NULL};

    if (!fs_control(fs, host, err) ||
        fs_filters_check(filters, accepted, err) < 0)
        return NULL;
    return json_array();
}

/* Registry ---------------------------------------------------------------- */

/* The registry host an image reference names, as the distribution
 * package splits it ("registry-1.docker.io" for Docker Hub). */
static void registry_of(const char *image, char *host, size_t size)
{
    const char *slash = strchr(image, '/');
    size_t len = slash ? (size_t)(slash - image) : 0;

    if (slash && (memchr(image, '.', len) || memchr(image, ':', len) ||
                  (len == 9 && !strncmp(image, "localhost", 9)))) {
        snprintf(host, size, "%.*s", (int)len, image);
        return;
    }
    snprintf(host, size, "registry-1.docker.io");
}

static bool valid_reference(const char *image)
{
    const char *p;

    if (!*image)
        return false;
    for (p = image; *p && *p != '@'; p++) {
        if (isupper((unsigned char)*p) && !strchr(p, ':'))
            return false;
        if (isspace((unsigned char)*p))
            return false;
    }
    return true;
}

json_t *sl_fake_distribution_inspect(sl_fake_swarm *fs, int host,
                                     const char *image, sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);
    char reg[256], name[256];
    uint32_t ip;

    if (!answering(fs, h, err))
        return NULL;
    if (!valid_reference(image ? image : ""))
        return fs_fail(err, 400, "invalid reference format"), NULL;
    registry_of(image, reg, sizeof(reg));
    fs_addr_host(reg, name, sizeof(name));
    if (!strcmp(name, "localhost") || fs_parse_ipv4(name, &ip) == 0)
        fs_fail(err, 500, "Get \"https://%s/v2/\": dial tcp %s%s: connect: "
                "connection refused",
                reg, !strcmp(name, "localhost") ? "127.0.0.1" : name,
                strchr(reg, ':') ? strchr(reg, ':') : ":443");
    else
        fs_fail(err, 500, "Get \"https://%s/v2/\": dial tcp: lookup %s: no "
                "such host", reg, name);
    return NULL;
}
