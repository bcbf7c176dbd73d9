/* The runner's steps through the Docker API: deploy, drain, scale, joins. */
#include "runner_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A frozen daemon is given up on quickly: the fake answers in
 * milliseconds, a daemon that does not answer never will. */
#define RN_FROZEN_CONNECT_MS 1000L
#define RN_FROZEN_TIMEOUT_MS 2000L
#define RN_SWARM_PORT "2377"

/* Prefixes err->message with what was being done: "cannot drain 'x': ". */
static int wrap(sl_error *err, const char *fmt, const char *what)
{
    char msg[sizeof(err->message)];
    char head[256];

    snprintf(head, sizeof(head), fmt, what);
    if (snprintf(msg, sizeof(msg), "%s: %s", head, err->message) >= 0)
        memcpy(err->message, msg, sizeof(msg));
    return -1;
}

/* Clients ------------------------------------------------------------- */

bool sl__rn_usable(const rn_host *h)
{
    return h->endpoint[0] && !h->off && !h->frozen && !h->left;
}

sl_docker_client *sl__rn_client(rn_ctx *c, const rn_host *h, sl_error *err)
{
    sl_docker_config cfg = c->docker;

    if (!h->endpoint[0]) {
        sl_error_set(err, SL_ERR_CONNECT, "host '%s' has no Docker endpoint",
                     h->sh->name);
        return NULL;
    }
    /* TODO: TLS material for real daemons (DOCKER_CERT_PATH); the fakes
     * and the test driver's paired daemons speak plain HTTP. */
    cfg.host = h->endpoint;
    if (h->frozen) {
        cfg.connect_timeout_ms = RN_FROZEN_CONNECT_MS;
        cfg.timeout_ms = RN_FROZEN_TIMEOUT_MS;
    }
    return sl_docker_client_new(&cfg, err);
}

void sl__rn_after_call(rn_ctx *c, const rn_host *h)
{
    if (h->slow_ns > 0)
        sl__rn_sleep(c, h->slow_ns);
}

rn_host *sl__rn_control(rn_ctx *c, sl_error *err)
{
    for (size_t i = 0; i < c->sc->n_hosts; i++) {
        if (c->hosts[i].sh->manager && sl__rn_usable(&c->hosts[i]))
            return &c->hosts[i];
    }
    sl_error_set(err, SL_ERR_CONNECT, "no manager of the swarm can be "
                 "reached");
    return NULL;
}

/* A client for the first manager that may be asked; '*m' is set to it. */
static sl_docker_client *control_client(rn_ctx *c, rn_host **m,
                                        sl_error *err)
{
    *m = sl__rn_control(c, err);
    return *m ? sl__rn_client(c, *m, err) : NULL;
}

/* Deploy --------------------------------------------------------------- */

static int create_network(rn_ctx *c, sl_docker_client *cl, rn_host *m,
                          const sl_stack_network *net, json_t *made,
                          sl_error *err)
{
    char *id = sl_docker_network_create(cl, &net->def, err);

    sl__rn_after_call(c, m);
    if (!id)
        return wrap(err, "cannot create network '%s'", net->def.name);
    free(id);
    json_array_append_new(made, json_string(net->def.name));
    return 0;
}

static int create_service(rn_ctx *c, sl_docker_client *cl, rn_host *m,
                          const sl_stack_service *svc, json_t *made,
                          sl_error *err)
{
    json_t *spec = sl_stack_service_spec(svc, err);
    char *id = spec ? sl_docker_service_create(cl, spec, err) : NULL;

    json_decref(spec);
    if (spec)
        sl__rn_after_call(c, m);
    if (!id)
        return wrap(err, "cannot create service '%s'", svc->def.name);
    free(id);
    json_array_append_new(made, json_string(svc->def.name));
    return 0;
}

int sl__rn_deploy(rn_ctx *c, json_t *step, sl_error *err)
{
    const sl_stack *stacks[2];
    size_t n = sl_scenario_stacks(c->sc, stacks);
    json_t *nets = json_array();
    json_t *svcs = json_array();
    sl_docker_client *cl = NULL;
    rn_host *m = NULL;
    int rc = -1;

    json_object_set_new(step, "networks", nets);
    json_object_set_new(step, "services", svcs);
    cl = control_client(c, &m, err);
    if (!cl)
        goto cleanup;
    json_object_set_new(step, "via", json_string(m->sh->name));
    for (size_t s = 0; s < n; s++) {
        for (size_t i = 0; i < stacks[s]->n_networks; i++) {
            if (!stacks[s]->networks[i].external &&
                create_network(c, cl, m, &stacks[s]->networks[i], nets,
                               err) < 0)
                goto cleanup;
        }
        for (size_t i = 0; i < stacks[s]->n_services; i++) {
            if (create_service(c, cl, m, &stacks[s]->services[i], svcs,
                               err) < 0)
                goto cleanup;
        }
    }
    rc = 0;

cleanup:
    sl_docker_client_free(cl);
    return rc;
}

/* Steps on nodes and services ------------------------------------------ */

static int drain(rn_ctx *c, const char *host, sl_error *err)
{
    sl_docker_node_spec spec = {0};
    sl_docker_node *node = NULL;
    sl_docker_client *cl;
    rn_host *m;
    int rc = -1;

    cl = control_client(c, &m, err);
    if (!cl)
        goto cleanup;
    node = sl_docker_node_inspect(cl, host, err);
    sl__rn_after_call(c, m);
    if (!node)
        goto cleanup;
    spec.role = node->role;
    spec.availability = "drain";
    spec.labels = node->labels;
    spec.n_labels = node->n_labels;
    rc = sl_docker_node_update(cl, node->id, node->version, &spec, err);
    sl__rn_after_call(c, m);

cleanup:
    sl_docker_node_free(node);
    sl_docker_client_free(cl);
    return rc < 0 ? wrap(err, "cannot drain '%s'", host) : 0;
}

static int scale(rn_ctx *c, const sl_scenario_fault *f, sl_error *err)
{
    sl_docker_client *cl;
    rn_host *m;
    int rc = -1;

    cl = control_client(c, &m, err);
    if (cl) {
        rc = sl_docker_service_scale(cl, f->service, f->replicas, err);
        sl__rn_after_call(c, m);
        sl__rn_after_call(c, m); /* inspect, then update */
    }
    sl_docker_client_free(cl);
    return rc < 0 ? wrap(err, "cannot scale '%s'", f->service) : 0;
}

/* Sets "KEY=value" in the array 'env', replacing the same KEY. */
static void set_env(json_t *env, const char *kv)
{
    size_t key_len = strcspn(kv, "=");
    size_t i;
    json_t *v;

    json_array_foreach(env, i, v) {
        const char *s = json_string_value(v);

        if (s && !strncmp(s, kv, key_len) && s[key_len] == '=') {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

/* The ServiceSpec of 'svc' with the image and environment of 'f', as
 * `docker service update --image --env-add` sends it. */
static json_t *updated_spec(const sl_docker_service *svc,
                            const sl_scenario_fault *f)
{
    json_t *spec = json_deep_copy(svc->spec);
    json_t *tt = spec ? json_object_get(spec, "TaskTemplate") : NULL;
    json_t *cs = tt ? json_object_get(tt, "ContainerSpec") : NULL;
    json_t *env;

    if (!cs) {
        json_decref(spec);
        return NULL;
    }
    if (f->image)
        json_object_set_new(cs, "Image", json_string(f->image));
    env = json_object_get(cs, "Env");
    if (f->n_env && !env) {
        env = json_array();
        json_object_set_new(cs, "Env", env);
    }
    for (size_t i = 0; i < f->n_env; i++)
        set_env(env, f->env[i]);
    return spec;
}

static int update(rn_ctx *c, const sl_scenario_fault *f, sl_error *err)
{
    sl_docker_service *svc = NULL;
    sl_docker_client *cl;
    json_t *spec = NULL;
    rn_host *m;
    int rc = -1;

    cl = control_client(c, &m, err);
    if (!cl)
        goto cleanup;
    svc = sl_docker_service_inspect(cl, f->service, err);
    sl__rn_after_call(c, m);
    if (!svc)
        goto cleanup;
    spec = updated_spec(svc, f);
    if (!spec) {
        sl_error_set(err, SL_ERR_PROTOCOL, "service has no container spec");
        goto cleanup;
    }
    rc = sl_docker_service_update(cl, svc->id, svc->version, spec, err);
    sl__rn_after_call(c, m);

cleanup:
    json_decref(spec);
    sl_docker_service_free(svc);
    sl_docker_client_free(cl);
    return rc < 0 ? wrap(err, "cannot update '%s'", f->service) : 0;
}

/* Joining with a token that is not the swarm's ------------------------ */

/* 'token' with another secret: the swarm's CA digest, so the daemon gets
 * as far as checking the secret ("SWMTKN-1-<digest>-<secret>"). */
static void wrong_token(const char *token, char *out, size_t size)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    const char *secret = strrchr(token, '-');
    char *p;

    if (!secret || strncmp(token, "SWMTKN-1-", 9)) {
        snprintf(out, size, "SWMTKN-1-%050d-%025d", 0, 0);
        return;
    }
    snprintf(out, size, "%s", token);
    for (p = out + (secret - token) + 1; *p; p++) {
        const char *at = strchr(digits, *p);

        *p = at ? digits[(at - digits + 1) % 36] : '0';
    }
}

/* The swarm's join token for the role, from manager 'm'. */
static int swarm_token(rn_ctx *c, rn_host *m, bool manager, char *out,
                       size_t size, sl_error *err)
{
    sl_docker_client *cl = sl__rn_client(c, m, err);
    sl_docker_swarm *sw = cl ? sl_docker_swarm_inspect(cl, err) : NULL;

    if (cl)
        sl__rn_after_call(c, m);
    if (sw)
        snprintf(out, size, "%s",
                 manager ? sw->manager_token : sw->worker_token);
    sl_docker_swarm_free(sw);
    sl_docker_client_free(cl);
    return sw ? 0 : wrap(err, "cannot read the join token from '%s'",
                         m->sh->name);
}

static int join_wrong(rn_ctx *c, const sl_scenario_fault *f, sl_error *err)
{
    rn_host *h = sl__rn_host(c, f->host);
    sl_docker_swarm_join_req req = {0};
    sl_docker_client *cl = NULL;
    char token[256], wrong[256], remote[SL_HV_ADDR_MAX + 8];
    const char *remotes[1] = {remote};
    rn_host *m = NULL;
    int rc = -1;

    for (size_t i = 0; !m && i < c->sc->n_hosts; i++) {
        if (&c->hosts[i] != h && c->hosts[i].sh->manager &&
            sl__rn_usable(&c->hosts[i]))
            m = &c->hosts[i];
    }
    if (!m)
        return sl_error_set(err, SL_ERR_CONNECT, "no other manager of the "
                            "swarm can be reached");
    if (swarm_token(c, m, f->as_manager, token, sizeof(token), err) < 0)
        return -1;
    wrong_token(token, wrong, sizeof(wrong));
    cl = sl__rn_client(c, h, err);
    if (!cl)
        goto cleanup;
    rc = sl_docker_swarm_leave(cl, h->sh->manager, err);
    sl__rn_after_call(c, h);
    if (rc < 0) {
        wrap(err, "cannot leave the swarm from '%s'", h->sh->name);
        goto cleanup;
    }
    h->left = true;
    snprintf(remote, sizeof(remote), "%s:" RN_SWARM_PORT, m->addr);
    req.join_token = wrong;
    req.remote_addrs = remotes;
    req.n_remote_addrs = 1;
    req.advertise_addr = h->addr;
    rc = sl_docker_swarm_join(cl, &req, err);
    sl__rn_after_call(c, h);
    if (rc == 0)
        h->left = false;

cleanup:
    sl_docker_client_free(cl);
    return rc;
}

/* Faults and steps ------------------------------------------------------ */

static int power_loss(rn_ctx *c, rn_host *h, sl_error *err)
{
    int rc = c->fake ? c->sim->power_off(c->hv, h->sh->name, err)
                     : sl_hv_host_stop(c->hv, h->sh->name, 0, err);

    if (rc == 0)
        h->off = true;
    return rc;
}

static int stop_answering(rn_ctx *c, rn_host *h, sl_error *err)
{
    if (c->sim->stop_answering(c->hv, h->sh->name, err) < 0)
        return -1;
    h->frozen = true;
    return 0;
}

/* Cuts the network; the hosts off the first group's side are taken away
 * from the swarm's point of view, so their tasks are remembered. */
static int partition(rn_ctx *c, const sl_scenario_fault *f, json_t *step,
                     sl_error *err)
{
    const char **hosts = NULL;
    int *sides = NULL;
    size_t n = 0, g, k;
    int rc;

    for (g = 0; g < f->n_groups; g++)
        n += f->groups[g].n_hosts;
    hosts = calloc(n + 1, sizeof(*hosts));
    sides = calloc(n + 1, sizeof(*sides));
    if (!hosts || !sides) {
        free(hosts);
        free(sides);
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    for (n = 0, g = 0; g < f->n_groups; g++) {
        for (k = 0; k < f->groups[g].n_hosts; k++, n++) {
            hosts[n] = f->groups[g].hosts[k];
            sides[n] = (int)g;
            if (g > 0)
                sl__rn_remember_tasks(c, hosts[n], step);
        }
    }
    rc = sl_hv_partition(c->hv, hosts, sides, n, err);
    free(hosts);
    free(sides);
    return rc;
}

int sl__rn_apply(rn_ctx *c, const sl_scenario_fault *f, json_t *step,
                 sl_error *err)
{
    rn_host *h = f->host ? sl__rn_host(c, f->host) : NULL;

    if (f->host && !h)
        return sl_error_set(err, SL_ERR_INTERNAL, "no host '%s'", f->host);
    switch (f->kind) {
    case SL_FAULT_POWER_LOSS:
        sl__rn_remember_tasks(c, f->host, step);
        return power_loss(c, h, err);
    case SL_FAULT_DAEMON_STOPS_ANSWERING:
        sl__rn_remember_tasks(c, f->host, step);
        return stop_answering(c, h, err);
    case SL_FAULT_SLOW_API:
        h->slow_ns = f->duration_ns;
        return 0;
    case SL_FAULT_DRAIN:
        sl__rn_remember_tasks(c, f->host, step);
        return drain(c, f->host, err);
    case SL_FAULT_SCALE:
        return scale(c, f, err);
    case SL_FAULT_UPDATE:
        return update(c, f, err);
    case SL_FAULT_JOIN_WITH_WRONG_TOKEN:
        return join_wrong(c, f, err);
    case SL_FAULT_NETWORK_PARTITION:
        return partition(c, f, step, err);
    case SL_FAULT_WAIT:
        sl__rn_sleep(c, f->duration_ns);
        return 0;
    default:
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "'%s' cannot happen "
                            "once the swarm exists",
                            sl_fault_kind_name(f->kind));
    }
}
