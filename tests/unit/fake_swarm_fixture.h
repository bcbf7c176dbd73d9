/* Helpers the simulated-swarm tests share: hosts, a swarm, services. */
#ifndef SL_FAKE_SWARM_FIXTURE_H
#define SL_FAKE_SWARM_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "testutil.h"

#include "fake_swarm.h"

/* 2026-12-03T15:52:13Z, the day the reference trace was recorded. */
#define FX_START_NS INT64_C(1796313133000000000)

typedef struct fx {
    sl_clock *clock;
    sl_fake_swarm *fs;
    sl_error err;
} fx;

static inline fx *fx_new(uint64_t seed)
{
    fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->clock = sl_clock_new_virtual(FX_START_NS);
    f->fs = sl_fake_swarm_new(seed, f->clock);
    assert_non_null(f->fs);
    return f;
}

static inline void fx_free(fx *f)
{
    if (!f)
        return;
    sl_fake_swarm_free(f->fs);
    sl_clock_free(f->clock);
    free(f);
}

/* Adds host "name" at 10.0.0.<10 + index>. */
static inline int fx_host(fx *f, const char *name, const char *os,
                          const char *const *labels)
{
    sl_fake_host_spec spec = {0};
    char addr[32];
    int index = sl_fake_swarm_host_count(f->fs);

    snprintf(addr, sizeof(addr), "10.0.0.%d", 10 + index);
    spec.hostname = name;
    spec.addr = addr;
    spec.os = os;
    spec.engine_labels = labels;
    index = sl_fake_swarm_add_host(f->fs, &spec, &f->err);
    assert_true(index >= 0);
    return index;
}

static inline const char *fx_addr(int host)
{
    static char addr[32];

    snprintf(addr, sizeof(addr), "10.0.0.%d", 10 + host);
    return addr;
}

/* swarm init on 'host' as the docker CLI sends it; returns the node ID. */
static inline const char *fx_init(fx *f, int host)
{
    json_t *req = json_pack(
        "{s:s, s:s, s:s, s:i, s:b, s:{s:n, s:{}, s:{s:i, s:i}, s:{},"
        " s:{}, s:{}, s:{s:b}}, s:b, s:s, s:[], s:i}",
        "ListenAddr", "0.0.0.0:2377", "AdvertiseAddr", fx_addr(host),
        "DataPathAddr", "", "DataPathPort", 0, "ForceNewCluster", 0, "Spec",
        "Labels", "Orchestration", "Raft", "ElectionTick", 0,
        "HeartbeatTick", 0, "Dispatcher", "CAConfig", "TaskDefaults",
        "EncryptionConfig", "AutoLockManagers", 0, "AutoLockManagers", 0,
        "Availability", "", "DefaultAddrPool", "SubnetSize", 24);
    json_t *id = sl_fake_swarm_init(f->fs, host, req, &f->err);

    json_decref(req);
    if (!id)
        fail_msg("swarm init failed: %s", f->err.message);
    json_decref(id);
    return sl_fake_swarm_node_id(f->fs, host);
}

/* The worker or manager join token, read from 'manager' (static). */
static inline const char *fx_token(fx *f, int manager, bool as_manager)
{
    static char token[128];
    json_t *sw = sl_fake_swarm_inspect(f->fs, manager, &f->err);

    if (!sw)
        fail_msg("swarm inspect failed: %s", f->err.message);
    snprintf(token, sizeof(token), "%s",
             json_string_value(json_object_get(
                 json_object_get(sw, "JoinTokens"),
                 as_manager ? "Manager" : "Worker")));
    json_decref(sw);
    return token;
}

/* swarm join of 'host' through 'manager' with 'token'; returns 0 or -1. */
static inline int fx_join_token(fx *f, int host, int manager,
                                const char *token)
{
    char remote[64];
    json_t *req;
    int rc;

    snprintf(remote, sizeof(remote), "%s:2377", fx_addr(manager));
    req = json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s}", "ListenAddr",
                    "0.0.0.0:2377", "AdvertiseAddr", "", "DataPathAddr", "",
                    "RemoteAddrs", remote, "JoinToken", token,
                    "Availability", "");
    rc = sl_fake_swarm_join(f->fs, host, req, &f->err);
    json_decref(req);
    return rc;
}

static inline void fx_join(fx *f, int host, int manager, bool as_manager)
{
    if (fx_join_token(f, host, manager, fx_token(f, manager, as_manager)))
        fail_msg("swarm join failed: %s", f->err.message);
}

/* Parses 'text' as JSON; fails the test when it is malformed. */
static inline json_t *fx_json(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);

    if (!v)
        fail_msg("bad JSON in test: %s", jerr.text);
    return v;
}

/* Creates a service from 'spec_text' on 'host'; returns its ID (static). */
static inline const char *fx_service(fx *f, int host, const char *spec_text)
{
    static char id[32];
    json_t *spec = fx_json(spec_text);
    json_t *resp = sl_fake_service_create(f->fs, host, spec, &f->err);

    json_decref(spec);
    if (!resp)
        fail_msg("service create failed: %s", f->err.message);
    snprintf(id, sizeof(id), "%s",
             json_string_value(json_object_get(resp, "ID")));
    json_decref(resp);
    return id;
}

/* Tasks of 'service' (ID or name) with desired state running. */
static inline json_t *fx_tasks(fx *f, int host, const char *service)
{
    json_t *filters = json_pack("{s:{s:b}, s:{s:b}}", "service", service, 1,
                                "desired-state", "running", 1);
    json_t *tasks = sl_fake_tasks_list(f->fs, host, filters, &f->err);

    json_decref(filters);
    if (!tasks)
        fail_msg("task list failed: %s", f->err.message);
    return tasks;
}

/* How many of 'tasks' run on the node of 'host'. */
static inline int fx_count_on(fx *f, json_t *tasks, int host)
{
    const char *node = sl_fake_swarm_node_id(f->fs, host);
    size_t i;
    json_t *t;
    int n = 0;

    json_array_foreach(tasks, i, t) {
        const char *id = json_string_value(json_object_get(t, "NodeID"));

        if (node && id && !strcmp(id, node))
            n++;
    }
    return n;
}

static inline const char *fx_state(json_t *task)
{
    return json_string_value(
        json_object_get(json_object_get(task, "Status"), "State"));
}

/* Node inspect of 'ref' as seen from 'host' (new reference). */
static inline json_t *fx_node(fx *f, int host, const char *ref)
{
    json_t *n = sl_fake_node_inspect(f->fs, host, ref, &f->err);

    if (!n)
        fail_msg("node inspect failed: %s", f->err.message);
    return n;
}

/* Node update of 'ref' with labels (JSON text), role and availability. */
static inline int fx_node_update(fx *f, int host, const char *ref,
                                 const char *labels, const char *role,
                                 const char *availability)
{
    json_t *node = fx_node(f, host, ref);
    uint64_t version = (uint64_t)json_integer_value(json_object_get(
        json_object_get(node, "Version"), "Index"));
    json_t *spec = json_pack("{s:o, s:s, s:s}", "Labels", fx_json(labels),
                             "Role", role, "Availability", availability);
    int rc = sl_fake_node_update(f->fs, host, ref, version, spec, &f->err);

    json_decref(node);
    json_decref(spec);
    return rc;
}

/* A four-host cluster: one manager (host 0) and three workers. */
static inline fx *fx_cluster(uint64_t seed)
{
    fx *f = fx_new(seed);
    int i;

    fx_host(f, "n2d-mngr-0", NULL, NULL);
    fx_host(f, "n2d-wrkr-0", NULL, NULL);
    fx_host(f, "n2d-wrkr-1", NULL, NULL);
    fx_host(f, "n2d-wrkr-2", NULL, NULL);
    fx_init(f, 0);
    for (i = 1; i < 4; i++)
        fx_join(f, i, 0, false);
    return f;
}

#endif /* SL_FAKE_SWARM_FIXTURE_H */
