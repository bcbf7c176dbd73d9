/* The simulated swarm: hosts, engine info, swarm membership, raft quorum. */
#include "fake_swarm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CPUS (INT64_C(4) * SL_NS_PER_SEC)
#define DEFAULT_MEMORY (INT64_C(2) * 1024 * 1024 * 1024)

/* The swarm CA a real 20.10 manager reported; every simulated swarm shows
 * it, since the fake issues no certificates. */
static const char tls_trust_root[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBajCCARCgAwIBAgIUXM2TRG+tAFh/bgNKbDRZTmHJlCowCgYIKoZIzj0EAwIw\n"
    "EzERMA8GA1UEAxMIc3dhcm0tY2EwHhcNMjYxMjAzMTU0NzAwWhcNNDYxMTI4MTU0\n"
    "NzAwWjATMREwDwYDVQQDEwhzd2FybS1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABCXGSMldmtqYYpUuWGql1e8vDZJL8mlAyNbkJlaeYo1T0Hvxz7IWd8UAQZhg\n"
    "/bGiIydR3NBkzZzJIN3r3mZGbWejQjBAMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMB\n"
    "Af8EBTADAQH/MB0GA1UdDgQWBBQeWWL/rEZLtCOaZMNxJ30n08ZvsTAKBggqhkjO\n"
    "PQQDAgNIADBFAiEApNxy0cMFCv8lDSc3dbEYMdqP2WRgOOm/zF9JL5vJqFQCIByO\n"
    "Z0258yjNzKHB3IVxy6/3y6CsdJBsboQmfAo5pyJP\n"
    "-----END CERTIFICATE-----\n";
static const char tls_subject[] = "MBMxETAPBgNVBAMTCHN3YXJtLWNh";
static const char tls_pubkey[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJcZIyV2a2philS5YaqXV7y8NkkvyaUDI"
    "1uQmVp5ijVPQe/HPshZ3xQBBmGD9saIjJ1Hc0GTNnMkg3eveZkZtZw==";

json_t *fs_tls_info(void)
{
    return json_pack("{s:s, s:s, s:s}", "TrustRoot", tls_trust_root,
                     "CertIssuerSubject", tls_subject, "CertIssuerPublicKey",
                     tls_pubkey);
}

/* Model lifecycle --------------------------------------------------------- */

sl_fake_swarm *sl_fake_swarm_new(uint64_t seed, sl_clock *clock)
{
    sl_fake_swarm *fs = calloc(1, sizeof(*fs));

    if (!fs)
        return NULL;
    if (pthread_mutex_init(&fs->mu, NULL) != 0) {
        free(fs);
        return NULL;
    }
    fs->clock = clock;
    fs->seed = seed;
    fs->rng = seed ^ UINT64_C(0x5357524d4c414221);
    return fs;
}

static void cluster_free(fs_cluster *cl)
{
    size_t i;

    if (!cl)
        return;
    for (i = 0; i < cl->nodes.n; i++)
        fs_node_free(cl->nodes.v[i]);
    for (i = 0; i < cl->services.n; i++)
        fs_service_free(cl->services.v[i]);
    for (i = 0; i < cl->tasks.n; i++)
        fs_task_free(cl->tasks.v[i]);
    for (i = 0; i < cl->networks.n; i++)
        fs_network_free(cl->networks.v[i]);
    fs_vec_free(&cl->nodes);
    fs_vec_free(&cl->services);
    fs_vec_free(&cl->tasks);
    fs_vec_free(&cl->networks);
    json_decref(cl->spec);
    json_decref(cl->addr_pool);
    free(cl);
}

static void host_free(fs_host *h)
{
    size_t i;

    if (!h)
        return;
    for (i = 0; i < h->lnets.n; i++)
        fs_lnet_free(h->lnets.v[i]);
    fs_vec_free(&h->lnets);
    fs_images_free(&h->images);
    json_decref(h->engine_labels);
    free(h->hostname);
    free(h->addr);
    free(h->os);
    free(h->arch);
    free(h->join_remote);
    free(h);
}

void sl_fake_swarm_free(sl_fake_swarm *fs)
{
    size_t i;

    if (!fs)
        return;
    for (i = 0; i < fs->hosts.n; i++)
        host_free(fs->hosts.v[i]);
    for (i = 0; i < fs->clusters.n; i++)
        cluster_free(fs->clusters.v[i]);
    fs_vec_free(&fs->hosts);
    fs_vec_free(&fs->clusters);
    pthread_mutex_destroy(&fs->mu);
    free(fs);
}

void sl_fake_swarm_lock(sl_fake_swarm *fs)
{
    pthread_mutex_lock(&fs->mu);
}

void sl_fake_swarm_unlock(sl_fake_swarm *fs)
{
    pthread_mutex_unlock(&fs->mu);
}

/* Hosts ------------------------------------------------------------------- */

/* dockerd's engine ID: 12 groups of 4 base32 characters. */
static void make_engine_id(const sl_fake_swarm *fs, int index, char *out)
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char hex[FS_HEX_LEN + 1];
    int i, pos = 0;

    fs_stable_hex(fs, "engine", index, hex);
    for (i = 0; i < 48; i++) {
        unsigned v = (unsigned)(hex[i] <= '9' ? hex[i] - '0'
                                              : hex[i] - 'a' + 10);

        v = (v * 2 + (unsigned)(hex[i + 1] & 1)) & 31;
        out[pos++] = b32[v];
        if (i % 4 == 3 && i != 47)
            out[pos++] = ':';
    }
    out[pos] = '\0';
}

static int parse_engine_labels(fs_host *h, const char *const *labels,
                               sl_error *err)
{
    size_t i;

    h->engine_labels = json_object();
    if (!h->engine_labels)
        return fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
    for (i = 0; labels && labels[i]; i++) {
        const char *eq = strchr(labels[i], '=');
        char key[256];

        if (!eq || eq == labels[i])
            return fs_fail_own(err, SL_ERR_INVALID,
                               "bad engine label '%s': want key=value",
                               labels[i]);
        snprintf(key, sizeof(key), "%.*s", (int)(eq - labels[i]),
                 labels[i]);
        json_object_set_new(h->engine_labels, key, json_string(eq + 1));
    }
    return 0;
}

int sl_fake_swarm_add_host(sl_fake_swarm *fs, const sl_fake_host_spec *spec,
                           sl_error *err)
{
    fs_host *h = NULL;
    uint32_t ip;

    if (!spec || !spec->hostname || !*spec->hostname)
        return fs_fail_own(err, SL_ERR_INVALID, "a host needs a hostname");
    if (!spec->addr || fs_parse_ipv4(spec->addr, &ip) < 0)
        return fs_fail_own(err, SL_ERR_INVALID,
                           "bad address '%s' for host '%s'",
                           spec->addr ? spec->addr : "", spec->hostname);
    h = calloc(1, sizeof(*h));
    if (!h)
        return fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
    h->index = (int)fs->hosts.n;
    h->hostname = strdup(spec->hostname);
    h->addr = strdup(spec->addr);
    h->os = strdup(spec->os ? spec->os : "linux");
    h->arch = strdup(spec->arch ? spec->arch : "x86_64");
    h->nano_cpus = spec->nano_cpus > 0 ? spec->nano_cpus : DEFAULT_CPUS;
    h->memory_bytes = spec->memory_bytes > 0 ? spec->memory_bytes
                                             : DEFAULT_MEMORY;
    h->up = true;
    h->next_pid = 4000 + 17 * h->index;
    make_engine_id(fs, h->index, h->engine_id);
    if (!h->hostname || !h->addr || !h->os || !h->arch)
        goto nomem;
    if (parse_engine_labels(h, spec->engine_labels, err) < 0)
        goto fail;
    if (fs_host_add_default_networks(fs, h) < 0 ||
        fs_vec_push(&fs->hosts, h) < 0)
        goto nomem;
    return h->index;

nomem:
    fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
fail:
    host_free(h);
    return -1;
}

int sl_fake_swarm_host_count(const sl_fake_swarm *fs)
{
    return (int)fs->hosts.n;
}

int sl_fake_swarm_find_host(const sl_fake_swarm *fs, const char *hostname)
{
    size_t i;

    for (i = 0; hostname && i < fs->hosts.n; i++) {
        if (!strcmp(((fs_host *)fs->hosts.v[i])->hostname, hostname))
            return (int)i;
    }
    return -1;
}

fs_host *fs_host_at(const sl_fake_swarm *fs, int host)
{
    if (host < 0 || (size_t)host >= fs->hosts.n)
        return NULL;
    return fs->hosts.v[host];
}

bool sl_fake_swarm_host_is_up(const sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);

    return h && h->up;
}

const char *sl_fake_swarm_host_os(const sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);

    return h ? h->os : NULL;
}

const char *sl_fake_swarm_hostname(const sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);

    return h ? h->hostname : NULL;
}

const char *sl_fake_swarm_node_id(const sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);

    return h && h->cluster ? h->node_id : NULL;
}

static void tick_cluster(sl_fake_swarm *fs, fs_cluster *cl, int64_t now)
{
    bool changed = false;
    size_t i;

    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];
        fs_host *h = fs_host_at(fs, n->host);

        if (n->role_at && now >= n->role_at) {
            n->role_at = 0;
            n->observed_role = n->role;
            fs_touch(cl, &n->meta, now);
            changed = true;
        }
        if (!n->promote_at || now < n->promote_at)
            continue;
        n->promote_at = 0;
        if (n->role != FS_MANAGER || !fs_node_attached(fs, n))
            continue;
        n->raft = true;
        n->observed_role = FS_MANAGER;
        snprintf(n->raft_addr, sizeof(n->raft_addr), "%s:2377", h->addr);
        fs_touch(cl, &n->meta, now);
        changed = true;
    }
    if (changed || fs_updates_due(cl, now) || fs_restarts_due(cl, now))
        fs_converge(fs, cl);
}

void fs_tick(sl_fake_swarm *fs)
{
    int64_t now = fs_now(fs);
    size_t i;

    for (i = 0; i < fs->clusters.n; i++)
        tick_cluster(fs, fs->clusters.v[i], now);
}

/* The host as the caller of an API operation: it must be up. */
static fs_host *caller(sl_fake_swarm *fs, int host, sl_error *err)
{
    fs_host *h = fs_host_at(fs, host);

    fs_tick(fs);
    if (!h) {
        fs_fail_own(err, SL_ERR_INVALID, "no host %d", host);
        return NULL;
    }
    if (!h->up) {
        fs_fail_own(err, SL_ERR_CONNECT, "host '%s' is down", h->hostname);
        return NULL;
    }
    return h;
}

/* Raft, quorum, leader ---------------------------------------------------- */

fs_node *fs_node_by_id(fs_cluster *cl, const char *id)
{
    size_t i;

    for (i = 0; cl && id && i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (!strcmp(n->id, id))
            return n;
    }
    return NULL;
}

fs_node *fs_host_node(const sl_fake_swarm *fs, const fs_host *h)
{
    (void)fs;
    return h && h->cluster ? fs_node_by_id(h->cluster, h->node_id) : NULL;
}

bool fs_node_attached(const sl_fake_swarm *fs, const fs_node *n)
{
    fs_host *h = fs_host_at(fs, n->host);

    return h && h->cluster && fs_node_by_id(h->cluster, h->node_id) == n;
}

/* The side of a partition the swarm 'cl' goes on on: the one holding a
 * majority of its managers' raft members that are up, or -1 when there is
 * none. Without a partition every host is on side 0. */
static int majority_side(const sl_fake_swarm *fs, const fs_cluster *cl)
{
    int total = 0;
    size_t i, k;

    for (i = 0; i < cl->nodes.n; i++)
        total += ((const fs_node *)cl->nodes.v[i])->raft ? 1 : 0;
    for (i = 0; i < cl->nodes.n; i++) {
        const fs_node *n = cl->nodes.v[i];
        const fs_host *h = fs_host_at(fs, n->host);
        int on_side = 0;

        if (!n->raft || !fs_node_attached(fs, n) || !h->up)
            continue;
        for (k = 0; k < cl->nodes.n; k++) {
            const fs_node *m = cl->nodes.v[k];
            const fs_host *g = fs_host_at(fs, m->host);

            if (m->raft && fs_node_attached(fs, m) && g->up &&
                g->side == h->side)
                on_side++;
        }
        if (on_side > total / 2)
            return h->side;
    }
    return -1;
}

bool fs_node_reachable(const sl_fake_swarm *fs, const fs_node *n)
{
    fs_host *h = fs_host_at(fs, n->host);

    if (!fs_node_attached(fs, n) || !h->up)
        return false;
    return !fs->partitioned || h->side == majority_side(fs, h->cluster);
}

static void raft_counts(const sl_fake_swarm *fs, const fs_cluster *cl,
                        int *reachable, int *unreachable)
{
    size_t i;

    *reachable = *unreachable = 0;
    for (i = 0; i < cl->nodes.n; i++) {
        const fs_node *n = cl->nodes.v[i];

        if (!n->raft)
            continue;
        if (fs_node_reachable(fs, n))
            (*reachable)++;
        else
            (*unreachable)++;
    }
}

bool fs_has_quorum(const sl_fake_swarm *fs, const fs_cluster *cl)
{
    int reachable, unreachable;

    raft_counts(fs, cl, &reachable, &unreachable);
    return reachable > (reachable + unreachable) / 2;
}

bool fs_node_runs_manager(const fs_node *n)
{
    return n->raft || n->role_at != 0;
}

fs_node *fs_leader(fs_cluster *cl)
{
    size_t i;

    for (i = 0; cl && i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (n->leader)
            return n;
    }
    return NULL;
}

int sl_fake_swarm_leader_host(const sl_fake_swarm *fs, int host)
{
    fs_host *h = fs_host_at(fs, host);
    fs_node *leader = h ? fs_leader(h->cluster) : NULL;

    return leader ? leader->host : -1;
}

fs_cluster *fs_control(sl_fake_swarm *fs, int host, sl_error *err)
{
    fs_host *h = caller(fs, host, err);  /* also lets time pass */
    fs_node *n;

    if (!h)
        return NULL;
    n = fs_host_node(fs, h);
    if (!h->cluster || !n) {
        fs_fail(err, 503, FS_MSG_NOT_IN_SWARM_MANAGER);
        return NULL;
    }
    if (!fs_node_runs_manager(n)) {
        fs_fail(err, 503, FS_MSG_WORKER);
        return NULL;
    }
    if (!fs_has_quorum(fs, h->cluster) ||
        (fs->partitioned && h->side != majority_side(fs, h->cluster))) {
        fs_fail(err, 500, FS_MSG_NO_LEADER);
        return NULL;
    }
    return h->cluster;
}

/* Keeps one leader among the reachable managers while a quorum holds. */
static void elect(sl_fake_swarm *fs, fs_cluster *cl, int64_t now)
{
    bool quorum = fs_has_quorum(fs, cl);
    fs_node *leader = fs_leader(cl);
    size_t i;

    if (leader && (!quorum || !leader->raft ||
                   !fs_node_reachable(fs, leader))) {
        leader->leader = false;
        fs_touch(cl, &leader->meta, now);
        leader = NULL;
    }
    for (i = 0; !leader && quorum && i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (n->raft && fs_node_reachable(fs, n)) {
            n->leader = true;
            fs_touch(cl, &n->meta, now);
            leader = n;
        }
    }
}

/* Marks nodes ready or down the way the dispatcher sees their hosts. */
static void refresh_node_states(sl_fake_swarm *fs, fs_cluster *cl,
                                int64_t now)
{
    size_t i;

    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];
        int want = fs_node_reachable(fs, n) ? FS_NODE_READY : FS_NODE_DOWN;

        if (n->state == want)
            continue;
        n->state = want;
        fs_set_str(&n->message,
                   want == FS_NODE_DOWN ? "heartbeat failure" : NULL);
        fs_touch(cl, &n->meta, now);
    }
}

void fs_converge(sl_fake_swarm *fs, fs_cluster *cl)
{
    int64_t now = fs_now(fs);

    if (!cl)
        return;
    elect(fs, cl, now);
    if (!fs_leader(cl))
        return;
    refresh_node_states(fs, cl, now);
    fs_orchestrate(fs, cl);
}

static bool cluster_in_use(const sl_fake_swarm *fs, const fs_cluster *cl)
{
    size_t i;

    for (i = 0; i < fs->hosts.n; i++) {
        if (((fs_host *)fs->hosts.v[i])->cluster == cl)
            return true;
    }
    return false;
}

void fs_host_detach(sl_fake_swarm *fs, fs_host *h)
{
    fs_cluster *cl = h->cluster;
    size_t i;

    h->cluster = NULL;
    h->node_id[0] = '\0';
    h->node_addr[0] = '\0';
    if (!cl)
        return;
    if (cluster_in_use(fs, cl)) {
        fs_converge(fs, cl);
        return;
    }
    for (i = 0; i < fs->clusters.n; i++) {
        if (fs->clusters.v[i] == cl) {
            fs_vec_remove(&fs->clusters, i);
            break;
        }
    }
    cluster_free(cl);
}

void sl_fake_swarm_set_host_up(sl_fake_swarm *fs, int host, bool up)
{
    fs_host *h = fs_host_at(fs, host);

    /* TODO: a manager of an autolocked swarm comes back unlocked; a real
     * one is locked until "docker swarm unlock". */
    if (!h || h->up == up)
        return;
    h->up = up;
    fs_converge(fs, h->cluster);
}

/* Lets every cluster notice what a change of the network did. */
static void converge_all(sl_fake_swarm *fs)
{
    size_t i;

    for (i = 0; i < fs->clusters.n; i++)
        fs_converge(fs, fs->clusters.v[i]);
}

/* TODO: a partition takes effect at once here; real managers without a
 * majority hold requests 20 s and time them out (the old leader first
 * goes on answering as leader) for 20 to 40 s before they answer that
 * there is no leader (fixtures/real/traces/partition-no-majority.txt). */
void sl_fake_swarm_partition(sl_fake_swarm *fs, const int *sides, int n)
{
    size_t i;

    for (i = 0; i < fs->hosts.n; i++)
        ((fs_host *)fs->hosts.v[i])->side = (int)i < n ? sides[i] : 0;
    fs->partitioned = true;
    converge_all(fs);
}

void sl_fake_swarm_set_offline(sl_fake_swarm *fs, bool offline)
{
    fs->offline = offline;
}

void sl_fake_swarm_heal(sl_fake_swarm *fs)
{
    size_t i;

    for (i = 0; i < fs->hosts.n; i++)
        ((fs_host *)fs->hosts.v[i])->side = 0;
    fs->partitioned = false;
    converge_all(fs);
}

/* The Swarm section of /info ---------------------------------------------- */

static json_t *remote_managers(const sl_fake_swarm *fs, fs_cluster *cl)
{
    json_t *peers = json_array();
    size_t i;

    (void)fs;
    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (n->raft)
            json_array_append_new(peers,
                                  json_pack("{s:s, s:s}", "NodeID", n->id,
                                            "Addr", n->raft_addr));
    }
    return peers;
}

json_t *fs_cluster_info(const fs_cluster *cl, bool tokens)
{
    json_t *info = json_pack(
        "{s:s, s:o, s:o, s:o, s:O, s:o, s:b, s:O, s:i, s:i}", "ID", cl->id,
        "Version", fs_version_json(cl->meta.version), "CreatedAt",
        fs_time(cl->meta.created), "UpdatedAt", fs_time(cl->meta.updated),
        "Spec", cl->spec, "TLSInfo", fs_tls_info(),
        "RootRotationInProgress", 0, "DefaultAddrPool",
        cl->addr_pool ? cl->addr_pool : json_null(), "SubnetSize",
        (int)cl->subnet_size, "DataPathPort", (int)cl->data_path_port);
    char worker[128], manager[128];

    if (!tokens || !info)
        return info;
    snprintf(worker, sizeof(worker), "SWMTKN-1-%s-%s", cl->digest,
             cl->worker_secret);
    snprintf(manager, sizeof(manager), "SWMTKN-1-%s-%s", cl->digest,
             cl->manager_secret);
    json_object_set_new(info, "JoinTokens",
                        json_pack("{s:s, s:s}", "Worker", worker, "Manager",
                                  manager));
    return info;
}

/* The ClusterInfo a manager without a leader reports: all zero values. */
static json_t *empty_cluster_info(void)
{
    return json_pack(
        "{s:s, s:{s:i}, s:s, s:s, s:{s:s, s:n, s:{}, s:{s:i, s:i}, s:{},"
        " s:{}, s:{}, s:{s:b}}, s:{s:s, s:s, s:s}, s:b, s:n, s:i, s:i}",
        "ID", "", "Version", "Index", 0, "CreatedAt", "0001-01-01T00:00:00Z",
        "UpdatedAt", "0001-01-01T00:00:00Z", "Spec", "Name", "", "Labels",
        "Orchestration", "Raft", "ElectionTick", 0, "HeartbeatTick", 0,
        "Dispatcher", "CAConfig", "TaskDefaults", "EncryptionConfig",
        "AutoLockManagers", 0, "TLSInfo", "TrustRoot", "",
        "CertIssuerSubject", "", "CertIssuerPublicKey", "",
        "RootRotationInProgress", 0, "DefaultAddrPool", "SubnetSize", 0,
        "DataPathPort", 0);
}

json_t *fs_swarm_section(sl_fake_swarm *fs, fs_host *h)
{
    fs_node *self = fs_host_node(fs, h);
    fs_cluster *cl = h->cluster;
    json_t *sw;
    size_t i;
    int nodes = 0, managers = 0;

    if (h->join_remote)
        return json_pack("{s:s, s:s, s:s, s:b, s:s, s:[{s:s, s:s}]}",
                         "NodeID", "", "NodeAddr", h->addr,
                         "LocalNodeState", "pending", "ControlAvailable", 0,
                         "Error", "", "RemoteManagers", "NodeID", "", "Addr",
                         h->join_remote);
    if (!cl || !self)
        return json_pack("{s:s, s:s, s:s, s:b, s:s, s:n}", "NodeID", "",
                         "NodeAddr", "", "LocalNodeState", "inactive",
                         "ControlAvailable", 0, "Error", "",
                         "RemoteManagers");
    sw = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o}", "NodeID", self->id,
                   "NodeAddr", h->node_addr, "LocalNodeState", "active",
                   "ControlAvailable", fs_node_runs_manager(self),
                   "Error", "",
                   "RemoteManagers", remote_managers(fs, cl));
    if (!fs_node_runs_manager(self))
        return sw;
    if (!fs_has_quorum(fs, cl)) {
        json_object_set_new(sw, "Error", json_string(FS_MSG_NO_LEADER));
        json_object_set_new(sw, "Cluster", empty_cluster_info());
        return sw;
    }
    for (i = 0; i < cl->nodes.n; i++) {
        nodes++;
        if (((fs_node *)cl->nodes.v[i])->raft)
            managers++;
    }
    json_object_set_new(sw, "Nodes", json_integer(nodes));
    json_object_set_new(sw, "Managers", json_integer(managers));
    json_object_set_new(sw, "Cluster", fs_cluster_info(cl, false));
    if (managers == 2)
        json_object_set_new(
            sw, "Warnings",
            json_pack("[s]",
                      "WARNING: Running Swarm in a two-manager "
                      "configuration. This configuration provides\n"
                      "         no fault tolerance, and poses a high risk "
                      "to lose control over the cluster.\n"
                      "         Refer to https://docs.docker.com/engine/"
                      "swarm/admin_guide/ to configure the\n"
                      "         Swarm for fault-tolerance."));
    return sw;
}

/* Swarm init -------------------------------------------------------------- */

static const char *str_field(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? s : "";
}

/* The listen port of a ListenAddr ("0.0.0.0:2377" gives "2377"); fills
 * 'err' with the daemon's complaint when it is empty. */
static int listen_port(const char *listen, char *port, size_t size,
                       sl_error *err)
{
    const char *colon;

    if (!*listen)
        return fs_fail(err, 400,
                       "invalid ListenAddr \"\": invalid empty address");
    colon = strrchr(listen, ':');
    snprintf(port, size, "%s", colon && colon[1] ? colon + 1 : "2377");
    return 0;
}

/* Resolves an AdvertiseAddr ("10.0.0.2", "10.0.0.2:4000", "eth0") into a
 * host and port as dockerd does; "" means the host's only address. */
static int advertise(const fs_host *h, const char *adv, const char *lport,
                     char *host, size_t hsize, char *port, size_t psize,
                     sl_error *err)
{
    char name[FS_ADDR_MAX];
    const char *colon = strrchr(adv, ':');
    uint32_t ip;

    snprintf(port, psize, "%s", colon && colon[1] ? colon + 1 : lport);
    fs_addr_host(adv, name, sizeof(name));
    if (!*name || !strcmp(name, "eth0")) {
        snprintf(host, hsize, "%s", h->addr);
        return 0;
    }
    if (fs_parse_ipv4(name, &ip) < 0 || ip == 0)
        return fs_fail(err, 400,
                       "advertise address must be a non-zero IP address or "
                       "network interface (with optional port number)");
    snprintf(host, hsize, "%s", name);
    return 0;
}

static void merge_num(json_t *dst, const char *key, json_t *src, bool keep0)
{
    json_t *v = json_object_get(src, key);

    if (json_is_integer(v) && (keep0 || json_integer_value(v) != 0))
        json_object_set(dst, key, v);
}

/* swarmkit's default cluster spec with the request's non-zero values. */
static json_t *init_spec(json_t *req)
{
    json_t *spec = json_pack(
        "{s:s, s:{}, s:{s:i}, s:{s:i, s:i, s:i, s:i, s:i}, s:{s:I},"
        " s:{s:I}, s:{}, s:{s:b}}",
        "Name", "default", "Labels", "Orchestration",
        "TaskHistoryRetentionLimit", 5, "Raft", "SnapshotInterval", 10000,
        "KeepOldSnapshots", 0, "LogEntriesForSlowFollowers", 500,
        "ElectionTick", 10, "HeartbeatTick", 1, "Dispatcher",
        "HeartbeatPeriod", (json_int_t)5000000000, "CAConfig",
        "NodeCertExpiry", (json_int_t)7776000000000000, "TaskDefaults",
        "EncryptionConfig", "AutoLockManagers",
        json_is_true(json_object_get(req, "AutoLockManagers")));
    json_t *in = json_object_get(req, "Spec");
    json_t *sub;

    if (json_is_object(json_object_get(in, "Labels")))
        json_object_set(spec, "Labels", json_object_get(in, "Labels"));
    merge_num(json_object_get(spec, "Orchestration"),
              "TaskHistoryRetentionLimit",
              json_object_get(in, "Orchestration"), true);
    sub = json_object_get(in, "Raft");
    merge_num(json_object_get(spec, "Raft"), "SnapshotInterval", sub, false);
    merge_num(json_object_get(spec, "Raft"), "KeepOldSnapshots", sub, true);
    merge_num(json_object_get(spec, "Raft"), "LogEntriesForSlowFollowers",
              sub, false);
    merge_num(json_object_get(spec, "Raft"), "ElectionTick", sub, false);
    merge_num(json_object_get(spec, "Raft"), "HeartbeatTick", sub, false);
    merge_num(json_object_get(spec, "Dispatcher"), "HeartbeatPeriod",
              json_object_get(in, "Dispatcher"), false);
    merge_num(json_object_get(spec, "CAConfig"), "NodeCertExpiry",
              json_object_get(in, "CAConfig"), false);
    sub = json_object_get(json_object_get(in, "TaskDefaults"), "LogDriver");
    if (json_is_object(sub))
        json_object_set(json_object_get(spec, "TaskDefaults"), "LogDriver",
                        sub);
    return spec;
}

static void new_secret(sl_fake_swarm *fs, char out[FS_ID_LEN + 1])
{
    fs_new_id(fs, out);
}

static void new_unlock_key(sl_fake_swarm *fs, fs_cluster *cl)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int i, pos;

    pos = snprintf(cl->unlock_key, sizeof(cl->unlock_key), "SWMKEY-1-");
    for (i = 0; i < 43; i++)
        cl->unlock_key[pos++] = b64[fs_rand(fs) % 64];
    cl->unlock_key[pos] = '\0';
}

/* Reads DefaultAddrPool and SubnetSize into the cluster. */
static int address_pool(fs_cluster *cl, json_t *req, sl_error *err)
{
    json_t *pool = json_object_get(req, "DefaultAddrPool");
    json_t *size = json_object_get(req, "SubnetSize");
    const char *first;
    char base[FS_ADDR_MAX];
    int prefix = 8;

    cl->subnet_size = json_integer_value(size) ? (uint32_t)
                      json_integer_value(size) : 24;
    cl->pool_base = UINT32_C(10) << 24;
    cl->pool_prefix = 8;
    if (json_array_size(pool) == 0)
        return 0;
    if (cl->subnet_size > 29)
        return fs_fail(err, 500, "subnet size is out of range: %u",
                       cl->subnet_size);
    first = json_string_value(json_array_get(pool, 0));
    if (!first || sscanf(first, "%63[0-9.]/%d", base, &prefix) != 2 ||
        fs_parse_ipv4(base, &cl->pool_base) < 0 || prefix < 0 ||
        prefix > 32)
        return fs_fail(err, 500, "invalid base pool %s: invalid CIDR "
                       "address: %s", first ? first : "",
                       first ? first : "");
    if (cl->subnet_size < (uint32_t)prefix)
        return fs_fail(err, 500, "invalid CIDR: \"%s\". Subnet size is too "
                       "small for pool: %u", first, cl->subnet_size);
    cl->pool_prefix = prefix;
    cl->addr_pool = json_incref(pool);
    return 0;
}

/* Moves the node just added to its place by host index: the scheduler
 * breaks ties by this order, which must not depend on which of several
 * parallel joins came first. */
static void keep_in_host_order(fs_vec *nodes)
{
    size_t i = nodes->n - 1;

    while (i > 0 && ((fs_node *)nodes->v[i - 1])->host >
                        ((fs_node *)nodes->v[i])->host) {
        void *tmp = nodes->v[i - 1];

        nodes->v[i - 1] = nodes->v[i];
        nodes->v[i] = tmp;
        i--;
    }
}

static fs_node *node_new(sl_fake_swarm *fs, fs_cluster *cl, fs_host *h,
                         int role, int availability, int64_t now)
{
    fs_node *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    /* Workers join in parallel: the node's ID comes from its host and how
     * often that host joined, not from the order the joins arrived in. */
    fs_stable_id(fs, "node", h->index * 4096 + h->nodes_made++, n->id);
    n->host = h->index;
    n->seq = cl->next_seq++;
    n->labels = json_object();
    n->role = n->observed_role = role;
    n->availability = availability;
    n->state = FS_NODE_READY;
    snprintf(n->addr, sizeof(n->addr), "%s", h->addr);
    fs_meta_new(cl, &n->meta, now);
    if (!n->labels || fs_vec_push(&cl->nodes, n) < 0) {
        fs_node_free(n);
        return NULL;
    }
    keep_in_host_order(&cl->nodes);
    return n;
}

static int parse_availability(json_t *req, int *out, sl_error *err)
{
    const char *a = str_field(req, "Availability");

    if (!*a || !strcasecmp(a, "active"))
        *out = FS_ACTIVE;
    else if (!strcasecmp(a, "pause"))
        *out = FS_PAUSE;
    else if (!strcasecmp(a, "drain"))
        *out = FS_DRAIN;
    else
        return fs_fail(err, 500, "invalid Availability: \"%s\"", a);
    return 0;
}

/* Keeps the state of 'h's swarm but makes 'h' its only manager. */
static json_t *force_new_cluster(sl_fake_swarm *fs, fs_host *h,
                                 sl_error *err)
{
    fs_node *self = fs_host_node(fs, h);
    fs_cluster *cl = h->cluster;
    int64_t now = fs_now(fs);
    size_t i;

    if (!self || !self->raft) {
        fs_fail(err, 503, FS_MSG_WORKER);
        return NULL;
    }
    for (i = 0; i < cl->nodes.n; i++) {
        fs_node *n = cl->nodes.v[i];

        if (n != self && n->raft) {
            n->raft = n->leader = false;
            fs_touch(cl, &n->meta, now);
        }
    }
    fs_converge(fs, cl);
    return json_string(self->id);
}

static fs_cluster *cluster_new(sl_fake_swarm *fs, json_t *req, int64_t now,
                               sl_error *err)
{
    fs_cluster *cl = calloc(1, sizeof(*cl));
    uint8_t digest[32];
    size_t i;

    if (!cl) {
        fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    fs_new_id(fs, cl->id);
    for (i = 0; i < sizeof(digest); i++)
        digest[i] = (uint8_t)fs_rand(fs);
    fs_base36(digest, sizeof(digest), cl->digest, 50);
    new_secret(fs, cl->worker_secret);
    new_secret(fs, cl->manager_secret);
    cl->spec = init_spec(req);
    if (json_is_true(json_object_get(req, "AutoLockManagers")))
        new_unlock_key(fs, cl);
    cl->data_path_port = json_integer_value(json_object_get(req,
                                                            "DataPathPort"))
                             ? (uint32_t)json_integer_value(
                                   json_object_get(req, "DataPathPort"))
                             : 4789;
    cl->next_vxlan = 4096;
    cl->next_port = 30000;
    cl->raft_index = 6;
    cl->meta.created = now;
    if (!cl->spec || address_pool(cl, req, err) < 0) {
        if (cl->spec)
            cluster_free(cl);
        else
            fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return cl;
}

static int check_init_request(fs_host *h, json_t *req, char *adv_host,
                              char *adv_port, int *avail, sl_error *err)
{
    const char *name = str_field(json_object_get(req, "Spec"), "Name");
    json_t *port = json_object_get(req, "DataPathPort");
    char lport[16];

    if (listen_port(str_field(req, "ListenAddr"), lport, sizeof(lport),
                    err) < 0)
        return -1;
    if (*name && strcmp(name, "default"))
        return fs_fail(err, 400, "swarm spec must be named \"default\"");
    if (advertise(h, str_field(req, "AdvertiseAddr"), lport, adv_host,
                  FS_ADDR_MAX, adv_port, 16, err) < 0)
        return -1;
    if (json_integer_value(port) &&
        (json_integer_value(port) < 1024 || json_integer_value(port) > 49151))
        return fs_fail(err, 500, "Datapath port number is not in valid "
                       "range (1024-49151) : %d",
                       (int)json_integer_value(port));
    return parse_availability(req, avail, err);
}

json_t *sl_fake_swarm_init(sl_fake_swarm *fs, int host, json_t *req,
                           sl_error *err)
{
    fs_host *h = caller(fs, host, err);
    char adv_host[FS_ADDR_MAX], adv_port[16];
    int64_t now = fs_now(fs);
    fs_cluster *cl = NULL;
    fs_node *n;
    int avail;

    if (!h)
        return NULL;
    if (h->cluster || h->join_remote) {
        if (h->cluster &&
            json_is_true(json_object_get(req, "ForceNewCluster")))
            return force_new_cluster(fs, h, err);
        fs_fail(err, 503, FS_MSG_SWARM_EXISTS);
        return NULL;
    }
    if (check_init_request(h, req, adv_host, adv_port, &avail, err) < 0)
        return NULL;
    cl = cluster_new(fs, req, now, err);
    if (!cl)
        return NULL;
    if (fs_network_create_ingress(fs, cl) < 0 ||
        !(n = node_new(fs, cl, h, FS_MANAGER, avail, now)) ||
        fs_vec_push(&fs->clusters, cl) < 0) {
        cluster_free(cl);
        fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    n->raft = true;
    snprintf(n->addr, sizeof(n->addr), "%s", adv_host);
    snprintf(n->raft_addr, sizeof(n->raft_addr), "%s:%s", adv_host,
             adv_port);
    fs_touch(cl, &n->meta, now);
    fs_meta_new(cl, &cl->meta, now);
    h->cluster = cl;
    snprintf(h->node_id, sizeof(h->node_id), "%s", n->id);
    snprintf(h->node_addr, sizeof(h->node_addr), "%s", adv_host);
    fs_host_add_gwbridge(fs, h);
    fs_converge(fs, cl);
    return json_string(n->id);
}

/* Swarm join -------------------------------------------------------------- */

/* The manager a join request reaches at "addr[:port]", or NULL. */
static fs_host *manager_at(sl_fake_swarm *fs, const char *remote)
{
    char name[FS_ADDR_MAX];
    size_t i;

    fs_addr_host(remote, name, sizeof(name));
    for (i = 0; i < fs->hosts.n; i++) {
        fs_host *m = fs->hosts.v[i];
        fs_node *n = fs_host_node(fs, m);

        if (m->up && n && n->raft && !strcmp(m->addr, name))
            return m;
    }
    return NULL;
}

/* Converts a base36 digest back to hex, for swarmkit's mismatch text;
 * returns -1 when it does not fit the 256 bits of a sha256 digest. */
static int digest_hex(const char *b36, char out[FS_HEX_LEN + 1])
{
    uint8_t num[33] = {0};
    const char *p;
    int i, j;

    for (p = b36; *p; p++) {
        int d = *p >= '0' && *p <= '9' ? *p - '0'
              : *p >= 'a' && *p <= 'z' ? *p - 'a' + 10
              : *p >= 'A' && *p <= 'Z' ? *p - 'A' + 10 : -1;
        unsigned carry;

        if (d < 0) {
            memset(num, 0, sizeof(num));
            break;
        }
        carry = (unsigned)d;
        for (i = 32; i >= 0; i--) {
            unsigned cur = num[i] * 36u + carry;

            num[i] = (uint8_t)cur;
            carry = cur >> 8;
        }
        if (carry || num[0])
            return -1;
    }
    for (j = 0; j < 32; j++)
        snprintf(out + 2 * j, 3, "%02x", num[j + 1]);
    return 0;
}

/* Splits "SWMTKN-1-<digest>-<secret>" as swarmkit's ParseJoinToken does. */
static int parse_token(const char *token, char *digest, char *secret)
{
    char buf[256];
    char *parts[8];
    char *save = NULL, *p;
    int n = 0;

    snprintf(buf, sizeof(buf), "%s", token);
    for (p = strtok_r(buf, "-", &save); p && n < 8;
         p = strtok_r(NULL, "-", &save))
        parts[n++] = p;
    if (n != 4 || strcmp(parts[0], "SWMTKN") || strcmp(parts[1], "1") ||
        strlen(parts[2]) != 50 || strlen(parts[3]) != FS_ID_LEN)
        return -1;
    strcpy(digest, parts[2]);
    strcpy(secret, parts[3]);
    return 0;
}

/* The role the token grants in 'cl', or -1 with the daemon's error. */
static int token_role(const fs_cluster *cl, const char *token,
                      sl_error *err)
{
    char digest[64], secret[64], hex[FS_HEX_LEN + 1];

    if (!*token)
        return fs_fail(err, 400, "rpc error: code = InvalidArgument desc = "
                       "A valid join token is necessary to join this "
                       "cluster");
    if (parse_token(token, digest, secret) < 0)
        return fs_fail(err, 500, "invalid join token");
    if (strcmp(digest, cl->digest)) {
        if (digest_hex(digest, hex) < 0)
            return fs_fail(err, 500, "invalid checksum digest length");
        return fs_fail(err, 500,
                       "remote CA does not match fingerprint. Expected: %s",
                       hex);
    }
    if (!strcmp(secret, cl->manager_secret))
        return FS_MANAGER;
    if (!strcmp(secret, cl->worker_secret))
        return FS_WORKER;
    return fs_fail(err, 400, "rpc error: code = InvalidArgument desc = A "
                   "valid join token is necessary to join this cluster");
}

static int check_join_request(json_t *req, char *lport, int *avail,
                              sl_error *err)
{
    json_t *remotes = json_object_get(req, "RemoteAddrs");

    if (listen_port(str_field(req, "ListenAddr"), lport, 16, err) < 0)
        return -1;
    if (json_array_size(remotes) == 0)
        return fs_fail(err, 400, "at least 1 RemoteAddr is required to "
                       "join");
    if (parse_availability(req, avail, err) < 0)
        return -1;
    if (*str_field(req, "JoinToken")) {
        char digest[64], secret[64];

        if (parse_token(str_field(req, "JoinToken"), digest, secret) < 0)
            return fs_fail(err, 500, "invalid join token");
    }
    return 0;
}

/* A join whose manager never answers: dockerd gives up waiting after 20 s
 * and keeps trying in the background. */
static int join_pending(sl_fake_swarm *fs, fs_host *h, const char *remote,
                        sl_error *err)
{
    sl_clock_advance_ns(fs->clock, 20 * SL_NS_PER_SEC);
    fs_set_str(&h->join_remote, remote);
    return fs_fail(err, 503, FS_MSG_JOIN_TIMEOUT);
}

int sl_fake_swarm_join(sl_fake_swarm *fs, int host, json_t *req,
                       sl_error *err)
{
    fs_host *h = caller(fs, host, err);
    char lport[16], adv_host[FS_ADDR_MAX], adv_port[16];
    const char *remote;
    fs_host *m;
    fs_node *n;
    int avail, role;

    if (!h)
        return -1;
    if (h->cluster || h->join_remote)
        return fs_fail(err, 503, FS_MSG_SWARM_EXISTS);
    if (check_join_request(req, lport, &avail, err) < 0)
        return -1;
    remote = json_string_value(json_array_get(
        json_object_get(req, "RemoteAddrs"), 0));
    m = manager_at(fs, remote ? remote : "");
    if (!m || !fs_has_quorum(fs, m->cluster))
        return join_pending(fs, h, remote ? remote : "", err);
    role = token_role(m->cluster, str_field(req, "JoinToken"), err);
    if (role < 0)
        return -1;
    if (advertise(h, str_field(req, "AdvertiseAddr"), lport, adv_host,
                  sizeof(adv_host), adv_port, sizeof(adv_port), err) < 0)
        return -1;
    n = node_new(fs, m->cluster, h, role, avail, fs_now(fs));
    if (!n)
        return fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
    n->raft = role == FS_MANAGER;
    if (n->raft)
        snprintf(n->raft_addr, sizeof(n->raft_addr), "%s:%s", adv_host,
                 adv_port);
    h->cluster = m->cluster;
    snprintf(h->node_id, sizeof(h->node_id), "%s", n->id);
    snprintf(h->node_addr, sizeof(h->node_addr), "%s", adv_host);
    fs_host_add_gwbridge(fs, h);
    fs_converge(fs, m->cluster);
    return 0;
}

/* Swarm leave ------------------------------------------------------------- */

static int refuse_manager_leave(sl_fake_swarm *fs, fs_cluster *cl,
                                sl_error *err)
{
    const char *head = "You are attempting to leave the swarm on a node "
                       "that is participating as a manager. ";
    const char *tail = "The only way to restore a swarm that has lost "
                       "consensus is to reinitialize it with "
                       "`--force-new-cluster`. Use `--force` to suppress "
                       "this message.";
    int reachable, unreachable;

    if (!fs_has_quorum(fs, cl))
        return fs_fail(err, 503, "%s%s", head, tail);
    raft_counts(fs, cl, &reachable, &unreachable);
    if (reachable - 2 > unreachable)
        return fs_fail(err, 503, "%s%s", head, tail);
    if (reachable == 1 && unreachable == 0)
        return fs_fail(err, 503, "%sRemoving the last manager erases all "
                       "current state of the swarm. Use `--force` to "
                       "ignore this message. ", head);
    return fs_fail(err, 503, "%sRemoving this node leaves %d managers out "
                   "of %d. Without a Raft quorum your swarm will be "
                   "inaccessible. %s", head, reachable - 1,
                   reachable + unreachable, tail);
}

int sl_fake_swarm_leave(sl_fake_swarm *fs, int host, bool force,
                        sl_error *err)
{
    fs_host *h = caller(fs, host, err);
    fs_node *self;

    if (!h)
        return -1;
    if (h->join_remote) {
        fs_set_str(&h->join_remote, NULL);
        return 0;
    }
    self = fs_host_node(fs, h);
    if (!h->cluster || !self)
        return fs_fail(err, 503, FS_MSG_NO_SWARM);
    if (fs_node_runs_manager(self) && !force)
        return refuse_manager_leave(fs, h->cluster, err);
    fs_host_detach(fs, h);
    return 0;
}

/* Swarm inspect and update ------------------------------------------------ */

json_t *sl_fake_swarm_inspect(sl_fake_swarm *fs, int host, sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);

    return cl ? fs_cluster_info(cl, true) : NULL;
}

static void copy_nonzero(json_t *dst, json_t *src, const char *key)
{
    json_t *v = json_object_get(src, key);

    if (!v || json_is_null(v) || (json_is_integer(v) &&
                                  json_integer_value(v) == 0) ||
        (json_is_string(v) && !*json_string_value(v)) ||
        (json_is_array(v) && json_array_size(v) == 0))
        return;
    json_object_set(dst, key, v);
}

/* The spec an update stores: the request's, in the daemon's shape. */
static json_t *update_spec(json_t *in)
{
    json_t *labels = json_object_get(in, "Labels");
    json_t *raft = json_object_get(in, "Raft");
    json_t *ca = json_object_get(in, "CAConfig");
    json_t *spec = json_pack(
        "{s:s, s:o, s:{}, s:{}, s:{}, s:{}, s:{}, s:{s:b}}", "Name",
        "default", "Labels",
        json_is_object(labels) ? json_deep_copy(labels) : json_object(),
        "Orchestration", "Raft", "Dispatcher", "CAConfig", "TaskDefaults",
        "EncryptionConfig", "AutoLockManagers",
        json_is_true(json_object_get(json_object_get(in,
                                                     "EncryptionConfig"),
                                     "AutoLockManagers")));
    json_t *r = json_object_get(spec, "Raft");

    copy_nonzero(json_object_get(spec, "Orchestration"),
                 json_object_get(in, "Orchestration"),
                 "TaskHistoryRetentionLimit");
    copy_nonzero(r, raft, "SnapshotInterval");
    if (json_is_integer(json_object_get(raft, "KeepOldSnapshots")))
        json_object_set(r, "KeepOldSnapshots",
                        json_object_get(raft, "KeepOldSnapshots"));
    copy_nonzero(r, raft, "LogEntriesForSlowFollowers");
    json_object_set_new(r, "ElectionTick", json_integer(json_integer_value(
                                               json_object_get(
                                                   raft, "ElectionTick"))));
    json_object_set_new(r, "HeartbeatTick",
                        json_integer(json_integer_value(
                            json_object_get(raft, "HeartbeatTick"))));
    copy_nonzero(json_object_get(spec, "Dispatcher"),
                 json_object_get(in, "Dispatcher"), "HeartbeatPeriod");
    copy_nonzero(json_object_get(spec, "CAConfig"), ca, "NodeCertExpiry");
    copy_nonzero(json_object_get(spec, "CAConfig"), ca, "ExternalCAs");
    copy_nonzero(json_object_get(spec, "CAConfig"), ca, "ForceRotate");
    copy_nonzero(json_object_get(spec, "TaskDefaults"),
                 json_object_get(in, "TaskDefaults"), "LogDriver");
    return spec;
}

int sl_fake_swarm_update(sl_fake_swarm *fs, int host, json_t *spec,
                         uint64_t version, bool rotate_worker,
                         bool rotate_manager, sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);
    const char *name = str_field(spec, "Name");
    json_t *next;
    bool autolock;

    if (!cl)
        return -1;
    if (*name && strcmp(name, "default"))
        return fs_fail(err, 400, "swarm spec must be named \"default\"");
    if (version != cl->meta.version)
        return fs_fail(err, 500, FS_MSG_OUT_OF_SEQUENCE);
    next = update_spec(spec);
    if (!next)
        return fs_fail_own(err, SL_ERR_NOMEM, "out of memory");
    json_decref(cl->spec);
    cl->spec = next;
    autolock = json_is_true(json_object_get(
        json_object_get(next, "EncryptionConfig"), "AutoLockManagers"));
    if (autolock && !cl->unlock_key[0])
        new_unlock_key(fs, cl);
    else if (!autolock)
        cl->unlock_key[0] = '\0';
    if (rotate_worker)
        new_secret(fs, cl->worker_secret);
    if (rotate_manager)
        new_secret(fs, cl->manager_secret);
    fs_touch(cl, &cl->meta, fs_now(fs));
    return 0;
}

json_t *sl_fake_swarm_unlockkey(sl_fake_swarm *fs, int host, sl_error *err)
{
    fs_cluster *cl = fs_control(fs, host, err);

    return cl ? json_pack("{s:s}", "UnlockKey", cl->unlock_key) : NULL;
}
