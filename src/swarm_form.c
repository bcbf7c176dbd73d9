/* Forming a swarm from Docker hosts that answer: init, joins, labels, checks. */
#include "swarm_form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "parallel.h"

#define DEFAULT_PARALLEL 8
#define DEFAULT_JOIN_TIMEOUT_NS (120 * SL_NS_PER_SEC)
#define FIRST_BACKOFF_NS (250 * SL_NS_PER_MS)
#define MAX_BACKOFF_NS (8 * SL_NS_PER_SEC)

/* What the joins share. */
typedef struct join_ctx {
    const sl_swarm_member *members;
    size_t *order;            /* indexes of the members to join */
    size_t count;
    const sl_swarm_form_opts *opts;
    const char *manager_addr; /* "10.0.0.2:2377" */
    const char *worker_token;
    const char *manager_token;
} join_ctx;

static void report(const sl_swarm_form_opts *o, const char *host,
                   const char *phase, const char *detail)
{
    sl_progress p = {host, phase, detail, sl_clock_now_ns(o->clock)};

    if (o->progress)
        o->progress(&p, o->progress_data);
}

static sl_docker_client *client_for(const sl_swarm_form_opts *o,
                                    const sl_swarm_member *m, sl_error *err)
{
    sl_docker_config cfg = {0};

    if (o->docker)
        cfg = *o->docker;
    cfg.host = m->docker_host;
    return sl_docker_client_new(&cfg, err);
}

/* Tries again with back-off, up to the join timeout on the formation's
 * clock. */
static sl_backoff retry_start(const sl_swarm_form_opts *o)
{
    int64_t limit = o->join_timeout_ns ? o->join_timeout_ns
                                       : DEFAULT_JOIN_TIMEOUT_NS;

    sl_backoff b = sl_backoff_start(o->clock, limit, FIRST_BACKOFF_NS,
                                    MAX_BACKOFF_NS);

    b.cancel = o->cancel;
    return b;
}

/* Failures worth another try: the daemon not reachable yet, or slow. */
static bool is_transient(const sl_error *err)
{
    return err->code == SL_ERR_CONNECT || err->code == SL_ERR_TIMEOUT ||
           (err->code == SL_ERR_API && err->http_status >= 500 &&
            err->http_status != 503);
}

/* Reads the member's swarm state; returns 1 when it is already part of
 * a swarm, 0 when not, -1 on failure. */
static int already_in_swarm(sl_docker_client *c, sl_error *err)
{
    sl_docker_info *info = sl_docker_info_get(c, err);
    int in;

    if (!info)
        return -1;
    in = !strcmp(info->swarm.local_node_state, "active") ||
         !strcmp(info->swarm.local_node_state, "pending");
    sl_docker_info_free(info);
    return in;
}

/* Joins one member, retrying transient failures with back-off until the
 * join timeout. */
static int join_one(join_ctx *j, const sl_swarm_member *m, sl_error *err)
{
    const sl_swarm_form_opts *o = j->opts;
    sl_backoff r = retry_start(o);
    const char *remote[1] = {j->manager_addr};
    sl_docker_swarm_join_req req = {0};
    sl_docker_client *c = NULL;
    int rc = -1;
    int in;

    if (sl_cancel_check(o->cancel, err) < 0)
        return -1;
    c = client_for(o, m, err);
    if (!c)
        return -1;
    req.join_token = m->manager ? j->manager_token : j->worker_token;
    req.remote_addrs = remote;
    req.n_remote_addrs = 1;
    req.advertise_addr = m->addr;

    report(o, m->name, "joining", m->manager ? "manager" : "worker");
    for (;;) {
        in = already_in_swarm(c, err);
        if (in == 1 || (in == 0 && sl_docker_swarm_join(c, &req, err) == 0)) {
            rc = 0;
            break;
        }
        if (!is_transient(err) ||
            !sl_backoff_left(&r))
            break;
        report(o, m->name, "retrying", err->message);
        sl_backoff_sleep(&r);
    }
    if (rc == 0)
        report(o, m->name, "joined", m->manager ? "manager" : "worker");
    else
        sl_error_where(err, "%s", m->name);
    sl_docker_client_free(c);
    return rc;
}

static int join_step(void *ctx, size_t i, sl_error *err)
{
    join_ctx *j = ctx;

    return join_one(j, &j->members[j->order[i]], err);
}

/* Joins the members listed in j->order with up to 'parallel' threads. */
static int join_all(join_ctx *j, int parallel, sl_error *err)
{
    return sl_parallel_for(j->count, parallel, join_step, j, NULL, err);
}

/* Initialises the swarm on 'm' unless it is in one already. */
static int init_first(const sl_swarm_form_opts *o, const sl_swarm_member *m,
                      sl_docker_client *c, sl_error *err)
{
    sl_docker_swarm_init_req req = {0};
    char *node_id;
    int in = already_in_swarm(c, err);

    if (in < 0)
        return -1;
    if (in == 1) {
        report(o, m->name, "initialised", "already a manager");
        return 0;
    }
    report(o, m->name, "initialising", m->addr);
    req.advertise_addr = m->addr;
    node_id = sl_docker_swarm_init(c, &req, err);
    if (!node_id) {
        sl_error_where(err, "%s", m->name);
        return -1;
    }
    report(o, m->name, "initialised", node_id);
    free(node_id);
    return 0;
}

/* Sets each member's labels through the manager 'c'. */
/* Labels one member's node. A node that has just joined is known to the
 * managers by its ID before it has described itself with its hostname,
 * and a concurrent change of the node makes an update out of sequence:
 * both are retried with back-off until the join timeout. */
static int label_one(const sl_swarm_form_opts *o, const sl_swarm_member *m,
                     sl_docker_client *c, sl_error *err)
{
    sl_backoff r = retry_start(o);

    for (;;) {
        if (sl_docker_node_add_labels(c, m->name, m->labels, m->n_labels,
                                      err) == 0)
            return 0;
        if ((err->code != SL_ERR_NOT_FOUND && !is_transient(err) &&
             !(err->code == SL_ERR_API && err->http_status == 500)) ||
            !sl_backoff_left(&r))
            return -1;
        sl_backoff_sleep(&r);
    }
}

/* Sets each member's labels through the manager 'c'. */
static int apply_labels(const sl_swarm_form_opts *o,
                        const sl_swarm_member *members, size_t n,
                        sl_docker_client *c, sl_error *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const sl_swarm_member *m = &members[i];

        if (m->n_labels == 0)
            continue;
        if (sl_cancel_check(o->cancel, err) < 0 ||
            label_one(o, m, c, err) < 0) {
            sl_error_where(err, "%s", m->name);
            return -1;
        }
        report(o, m->name, "labelled", NULL);
    }
    return 0;
}

static const sl_swarm_member *find_member(const sl_swarm_member *members,
                                          size_t n, const char *hostname)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!strcmp(members[i].name, hostname))
            return &members[i];
    }
    return NULL;
}

int sl_swarm_verify(const sl_swarm_member *members, size_t n,
                    const char *docker_host, const sl_swarm_form_opts *opts,
                    sl_swarm_summary *summary, sl_error *err)
{
    sl_swarm_member probe = {"", docker_host, NULL, true, NULL, 0};
    sl_docker_client *c = NULL;
    sl_docker_node_list *nodes = NULL;
    sl_swarm_summary s;
    size_t leaders = 0;
    size_t i;
    int rc = -1;

    memset(&s, 0, sizeof(s));
    c = client_for(opts, &probe, err);
    if (!c)
        return -1;
    nodes = sl_docker_nodes_list(c, NULL, 0, err);
    if (!nodes)
        goto cleanup;

    for (i = 0; i < nodes->count; i++) {
        const sl_docker_node *node = &nodes->items[i];
        const sl_swarm_member *m = find_member(members, n, node->hostname);
        bool manager = !strcmp(node->role, "manager");

        if (!node->hostname[0]) {
            sl_error_set(err, SL_ERR_API, "node '%s' has not described "
                         "itself yet", node->id);
            goto cleanup;
        }
        if (!m) {
            sl_error_set(err, SL_ERR_CONFLICT,
                         "swarm has a node '%s' that was not asked for",
                         node->hostname);
            goto cleanup;
        }
        if (m->manager != manager) {
            sl_error_set(err, SL_ERR_API, "node '%s' is a %s, not a %s",
                         node->hostname, node->role,
                         m->manager ? "manager" : "worker");
            goto cleanup;
        }
        if (strcmp(node->state, "ready")) {
            sl_error_set(err, SL_ERR_API, "node '%s' is %s, not ready",
                         node->hostname, node->state);
            goto cleanup;
        }
        s.ready++;
        if (manager)
            s.managers++;
        else
            s.workers++;
        if (node->leader) {
            leaders++;
            snprintf(s.leader, sizeof(s.leader), "%s", node->hostname);
        }
    }
    if (nodes->count != n) {
        sl_error_set(err, SL_ERR_API, "swarm has %zu nodes, expected %zu",
                     nodes->count, n);
        goto cleanup;
    }
    if (leaders != 1) {
        sl_error_set(err, SL_ERR_API, "swarm has %zu leaders, expected 1",
                     leaders);
        goto cleanup;
    }
    if (summary)
        *summary = s;
    rc = 0;

cleanup:
    sl_docker_node_list_free(nodes);
    sl_docker_client_free(c);
    return rc;
}

/* Verifies, giving a real swarm time to settle: nodes that just joined
 * show "unknown" for a moment, and a new manager takes a while to count. */
static int verify_until_settled(const sl_swarm_member *members, size_t n,
                                const char *docker_host,
                                const sl_swarm_form_opts *o,
                                sl_swarm_summary *summary, sl_error *err)
{
    sl_backoff r = retry_start(o);

    for (;;) {
        if (sl_swarm_verify(members, n, docker_host, o, summary, err) == 0)
            return 0;
        if ((err->code != SL_ERR_API && !is_transient(err)) ||
            !sl_backoff_left(&r))
            return -1;
        sl_backoff_sleep(&r);
    }
}

/* Forgets a secret before its memory is freed. */
static void free_secret(char *secret)
{
    if (secret)
        explicit_bzero(secret, strlen(secret));
    free(secret);
}

/* Takes the join tokens and the cluster ID from the first manager. */
static int read_tokens(sl_docker_client *c, char **worker, char **manager,
                       char *cluster_id, size_t size, sl_error *err)
{
    sl_docker_swarm *sw = sl_docker_swarm_inspect(c, err);

    if (!sw)
        return -1;
    *worker = strdup(sw->worker_token);
    *manager = strdup(sw->manager_token);
    snprintf(cluster_id, size, "%s", sw->id);
    sl_docker_swarm_free(sw);
    if (!*worker || !*manager)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    return 0;
}

int sl_swarm_form(const sl_swarm_member *members, size_t n,
                  const sl_swarm_form_opts *opts, sl_swarm_summary *summary,
                  sl_error *err)
{
    join_ctx j;
    sl_docker_client *first = NULL;
    char *worker_token = NULL;
    char *manager_token = NULL;
    char manager_addr[128];
    char cluster_id[64] = "";
    size_t *order = NULL;
    size_t leader_idx = n;
    size_t nmanagers = 0;
    size_t nworkers = 0;
    size_t i;
    int rc = -1;

    memset(&j, 0, sizeof(j));
    for (i = 0; i < n && leader_idx == n; i++) {
        if (members[i].manager)
            leader_idx = i;
    }
    if (leader_idx == n) {
        sl_error_set(err, SL_ERR_INVALID, "a swarm needs at least one "
                                          "manager");
        goto cleanup;
    }
    order = calloc(n, sizeof(*order));
    if (!order) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }

    if (sl_cancel_check(opts->cancel, err) < 0)
        goto cleanup;
    first = client_for(opts, &members[leader_idx], err);
    if (!first || init_first(opts, &members[leader_idx], first, err) < 0)
        goto cleanup;
    if (read_tokens(first, &worker_token, &manager_token, cluster_id,
                    sizeof(cluster_id), err) < 0)
        goto cleanup;
    snprintf(manager_addr, sizeof(manager_addr), "%s:2377",
             members[leader_idx].addr);

    j.members = members;
    j.order = order;
    j.opts = opts;
    j.manager_addr = manager_addr;
    j.worker_token = worker_token;
    j.manager_token = manager_token;

    /* Managers one at a time: each join changes the raft membership. */
    for (i = 0; i < n; i++) {
        if (members[i].manager && i != leader_idx)
            order[nmanagers++] = i;
    }
    j.count = nmanagers;
    if (join_all(&j, 1, err) < 0)
        goto cleanup;

    for (i = 0; i < n; i++) {
        if (!members[i].manager)
            order[nworkers++] = i;
    }
    j.count = nworkers;
    if (join_all(&j, opts->parallel ? opts->parallel : DEFAULT_PARALLEL,
                 err) < 0)
        goto cleanup;

    if (apply_labels(opts, members, n, first, err) < 0)
        goto cleanup;
    report(opts, NULL, "verifying", NULL);
    if (sl_cancel_check(opts->cancel, err) < 0 ||
        verify_until_settled(members, n, members[leader_idx].docker_host,
                             opts, summary, err) < 0)
        goto cleanup;
    if (summary)
        snprintf(summary->cluster_id, sizeof(summary->cluster_id), "%s",
                 cluster_id);
    report(opts, NULL, "formed", cluster_id);
    rc = 0;

cleanup:
    if (rc < 0)
        sl_cancel_check(opts->cancel, err); /* whatever failed on the way */
    sl_docker_client_free(first);
    free_secret(worker_token);
    free_secret(manager_token);
    free(order);
    return rc;
}
