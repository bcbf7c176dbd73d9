/* The simulated swarm against fixtures/real/errors.json: same status, words. */
#include "fake_swarm_fixture.h"

#include <ctype.h>

/*
 * fixtures/real/record-errors.sh drove four real dockerd 20.10 hosts
 * (node-0 manager, node-1 and node-2 workers, node-3 outside) into each
 * refusal. These tests put the model in the same state and make the same
 * calls; every answer must carry the recorded status and message, with
 * object IDs (25 base36 characters) compared as placeholders. Cases about
 * HTTP routing and body decoding belong to the API layer, not here.
 */

typedef struct rx {
    fx *f;
    json_t *cases;
    char ids[3][32]; /* node IDs of node-0 .. node-2 */
} rx;

static const char *addr_of(int host)
{
    static char addr[32];

    snprintf(addr, sizeof(addr), "10.77.0.%d", 10 + host);
    return addr;
}

static int add_real_hosts(fx *f)
{
    int i;

    for (i = 0; i < 4; i++) {
        sl_fake_host_spec spec = {0};
        char name[24];

        snprintf(name, sizeof(name), "node-%d", i);
        spec.hostname = name;
        spec.addr = addr_of(i);
        if (sl_fake_swarm_add_host(f->fs, &spec, &f->err) != i)
            return -1;
    }
    return 0;
}

static json_t *init_body(const char *advertise)
{
    json_t *body = fx_json(
        "{\"ListenAddr\":\"0.0.0.0:2377\",\"DataPathAddr\":\"\","
        "\"DataPathPort\":0,\"ForceNewCluster\":false,\"Spec\":{\"Labels\":"
        "null,\"Orchestration\":{},\"Raft\":{\"ElectionTick\":0,"
        "\"HeartbeatTick\":0},\"Dispatcher\":{},\"CAConfig\":{},"
        "\"TaskDefaults\":{},\"EncryptionConfig\":{\"AutoLockManagers\":"
        "false}},\"AutoLockManagers\":false,\"Availability\":\"\","
        "\"DefaultAddrPool\":[],\"SubnetSize\":24}");

    json_object_set_new(body, "AdvertiseAddr", json_string(advertise));
    return body;
}

static json_t *join_body(const char *remote, const char *token)
{
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s}", "ListenAddr",
                     "0.0.0.0:2377", "AdvertiseAddr", "", "DataPathAddr", "",
                     "RemoteAddrs", remote, "JoinToken", token,
                     "Availability", "");
}

static json_t *service_body(const char *name, const char *constraint)
{
    json_t *body = fx_json(
        "{\"Labels\":{},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":"
        "\"bb:1\",\"Args\":[\"sleep\",\"1d\"],\"Init\":false,\"DNSConfig\":"
        "{}},\"Resources\":{\"Limits\":{},\"Reservations\":{}},"
        "\"Placement\":{},\"ForceUpdate\":0},\"Mode\":{\"Replicated\":"
        "{\"Replicas\":1}},\"EndpointSpec\":{\"Mode\":\"vip\"}}");
    json_t *placement = json_object_get(json_object_get(body,
                                                        "TaskTemplate"),
                                        "Placement");

    json_object_set_new(body, "Name", json_string(name));
    if (constraint)
        json_object_set_new(placement, "Constraints",
                            json_pack("[s]", constraint));
    return body;
}

static json_t *network_body(const char *name)
{
    json_t *body = fx_json(
        "{\"Driver\":\"overlay\",\"Scope\":\"\",\"IPAM\":{\"Driver\":"
        "\"default\",\"Options\":{},\"Config\":[]},\"Internal\":false,"
        "\"Attachable\":false,\"Ingress\":false,\"ConfigOnly\":false,"
        "\"ConfigFrom\":null,\"Options\":{},\"Labels\":{},"
        "\"CheckDuplicate\":true}");

    json_object_set_new(body, "Name", json_string(name));
    return body;
}

static json_t *node_body(const char *role)
{
    return json_pack("{s:{}, s:s, s:s}", "Labels", "Role", role,
                     "Availability", "active");
}

/* 'msg' with every 25-character base36 word replaced by "<id>". */
static void mask_ids(const char *msg, char *out, size_t size)
{
    size_t i = 0, o = 0, run;

    while (msg[i] && o + 5 < size) {
        for (run = 0; isdigit((unsigned char)msg[i + run]) ||
                      islower((unsigned char)msg[i + run]);
             run++)
            ;
        if (run == 25 && (i == 0 || !isalnum((unsigned char)msg[i - 1]))) {
            o += (size_t)snprintf(out + o, size - o, "<id>");
            i += run;
        } else {
            out[o++] = msg[i++];
        }
    }
    out[o] = '\0';
}

/* Checks the outcome of the model call made for 'name': 'ok' tells
 * whether it succeeded; on failure f->err holds the answer. */
static void expect(rx *r, const char *name, bool ok)
{
    json_t *c = NULL, *item;
    size_t i;
    int status;
    const char *want;
    char got_masked[600], want_masked[600];

    json_array_foreach(r->cases, i, item) {
        if (!strcmp(json_string_value(json_object_get(item, "case")), name))
            c = item;
    }
    if (!c)
        fail_msg("%s: no such recorded case", name);
    status = (int)json_integer_value(json_object_get(c, "status"));
    if (status < 300) {
        if (!ok)
            fail_msg("%s: real daemon answered %d, fake refused with %d "
                     "'%s'", name, status, r->f->err.http_status,
                     r->f->err.message);
        return;
    }
    if (ok)
        fail_msg("%s: real daemon refused with %d, fake accepted", name,
                 status);
    want = json_string_value(json_object_get(json_object_get(c, "body"),
                                             "message"));
    mask_ids(want ? want : "", want_masked, sizeof(want_masked));
    mask_ids(r->f->err.message, got_masked, sizeof(got_masked));
    if (r->f->err.http_status != status || strcmp(got_masked, want_masked))
        fail_msg("%s:\n  real %d '%s'\n  fake %d '%s'", name, status,
                 want_masked, r->f->err.http_status, got_masked);
}

static bool took(json_t *v)
{
    json_decref(v);
    return v != NULL;
}

static int setup(void **state)
{
    rx *r = calloc(1, sizeof(*r));
    json_t *body;
    int i;

    assert_non_null(r);
    r->f = fx_new(33);
    r->cases = sl_test_load_json("fixtures/real/errors.json");
    assert_int_equal(add_real_hosts(r->f), 0);
    body = init_body(addr_of(0));
    assert_true(took(sl_fake_swarm_init(r->f->fs, 0, body, &r->f->err)));
    json_decref(body);
    for (i = 1; i <= 2; i++) {
        char remote[48];

        snprintf(remote, sizeof(remote), "%s:2377", addr_of(0));
        body = join_body(remote, fx_token(r->f, 0, false));
        assert_int_equal(sl_fake_swarm_join(r->f->fs, i, body, &r->f->err),
                         0);
        json_decref(body);
    }
    for (i = 0; i < 3; i++)
        snprintf(r->ids[i], sizeof(r->ids[i]), "%s",
                 sl_fake_swarm_node_id(r->f->fs, i));
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    rx *r = *state;

    json_decref(r->cases);
    fx_free(r->f);
    free(r);
    return 0;
}

static void outside_a_swarm(void **state)
{
    rx *r = *state;
    sl_fake_swarm *fs = r->f->fs;
    sl_error *err = &r->f->err;
    json_t *body;

    expect(r, "not-in-swarm-node-ls", took(sl_fake_nodes_list(fs, 3, NULL,
                                                              err)));
    expect(r, "not-in-swarm-node-inspect",
           took(sl_fake_node_inspect(fs, 3, "node-3", err)));
    expect(r, "not-in-swarm-service-ls",
           took(sl_fake_services_list(fs, 3, NULL, false, err)));
    expect(r, "not-in-swarm-task-ls", took(sl_fake_tasks_list(fs, 3, NULL,
                                                              err)));
    expect(r, "not-in-swarm-swarm-inspect",
           took(sl_fake_swarm_inspect(fs, 3, err)));
    expect(r, "not-in-swarm-unlockkey",
           took(sl_fake_swarm_unlockkey(fs, 3, err)));
    body = fx_json("{\"Name\":\"default\"}");
    expect(r, "not-in-swarm-swarm-update",
           sl_fake_swarm_update(fs, 3, body, 1, false, false, err) == 0);
    json_decref(body);
    expect(r, "not-in-swarm-leave", sl_fake_swarm_leave(fs, 3, false,
                                                        err) == 0);
    expect(r, "not-in-swarm-leave-force", sl_fake_swarm_leave(fs, 3, true,
                                                              err) == 0);
    body = service_body("s1", NULL);
    expect(r, "not-in-swarm-service-create",
           took(sl_fake_service_create(fs, 3, body, err)));
    json_decref(body);
    body = network_body("ovl");
    expect(r, "not-in-swarm-network-create-overlay",
           took(sl_fake_network_create(fs, 3, body, err)));
    json_decref(body);
    expect(r, "not-in-swarm-secret-ls",
           took(sl_fake_secrets_list(fs, 3, NULL, err)));
    expect(r, "not-in-swarm-config-ls",
           took(sl_fake_configs_list(fs, 3, NULL, err)));
}

static void init_and_join_refusals(void **state)
{
    rx *r = *state;
    sl_fake_swarm *fs = r->f->fs;
    sl_error *err = &r->f->err;
    char remote[48], token[128];
    json_t *body;

    body = init_body("999.1.1.1");
    expect(r, "init-bad-advertise-addr",
           took(sl_fake_swarm_init(fs, 3, body, err)));
    json_decref(body);
    body = fx_json("{\"ListenAddr\":\"0.0.0.0:2377\",\"RemoteAddrs\":[],"
                   "\"JoinToken\":\"SWMTKN-1-x\"}");
    expect(r, "join-no-remote-addrs", sl_fake_swarm_join(fs, 3, body,
                                                         err) == 0);
    json_decref(body);
    body = init_body(addr_of(0));
    expect(r, "init-twice", took(sl_fake_swarm_init(fs, 0, body, err)));
    expect(r, "init-on-worker", took(sl_fake_swarm_init(fs, 1, body, err)));
    json_decref(body);
    snprintf(remote, sizeof(remote), "%s:2377", addr_of(0));
    body = join_body(remote, fx_token(r->f, 0, false));
    expect(r, "join-when-in-swarm", sl_fake_swarm_join(fs, 1, body,
                                                       err) == 0);
    json_decref(body);
    snprintf(token, sizeof(token), "%.60sabcdefghijklmnopqrstuvwxy",
             fx_token(r->f, 0, false));
    body = join_body(remote, token);
    expect(r, "join-wrong-secret", sl_fake_swarm_join(fs, 3, body,
                                                      err) == 0);
    json_decref(body);
    snprintf(token, sizeof(token), "SWMTKN-1-%s-%s",
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx",
             fx_token(r->f, 0, false) + 60);
    body = join_body(remote, token);
    expect(r, "join-wrong-digest", sl_fake_swarm_join(fs, 3, body,
                                                      err) == 0);
    json_decref(body);
    body = join_body(remote, "SWMTKN-1-abc");
    expect(r, "join-malformed-token", sl_fake_swarm_join(fs, 3, body,
                                                         err) == 0);
    json_decref(body);
    body = join_body(remote, "notatoken");
    expect(r, "join-garbage-token", sl_fake_swarm_join(fs, 3, body,
                                                       err) == 0);
    json_decref(body);
    body = join_body(remote, "");
    expect(r, "join-empty-token", sl_fake_swarm_join(fs, 3, body, err) == 0);
    json_decref(body);
    body = join_body("10.77.0.99:2377", fx_token(r->f, 0, false));
    expect(r, "join-unreachable-manager", sl_fake_swarm_join(fs, 3, body,
                                                             err) == 0);
    json_decref(body);
}

static void what_a_worker_refuses(void **state)
{
    rx *r = *state;
    sl_fake_swarm *fs = r->f->fs;
    sl_error *err = &r->f->err;
    json_t *body;

    expect(r, "not-a-manager-node-ls", took(sl_fake_nodes_list(fs, 1, NULL,
                                                               err)));
    expect(r, "not-a-manager-node-inspect",
           took(sl_fake_node_inspect(fs, 1, r->ids[1], err)));
    expect(r, "not-a-manager-service-ls",
           took(sl_fake_services_list(fs, 1, NULL, false, err)));
    body = service_body("s1", NULL);
    expect(r, "not-a-manager-service-create",
           took(sl_fake_service_create(fs, 1, body, err)));
    json_decref(body);
    expect(r, "not-a-manager-task-ls", took(sl_fake_tasks_list(fs, 1, NULL,
                                                               err)));
    expect(r, "not-a-manager-swarm-inspect",
           took(sl_fake_swarm_inspect(fs, 1, err)));
    expect(r, "not-a-manager-unlockkey",
           took(sl_fake_swarm_unlockkey(fs, 1, err)));
    body = fx_json("{\"Name\":\"default\"}");
    expect(r, "not-a-manager-swarm-update",
           sl_fake_swarm_update(fs, 1, body, 1, false, false, err) == 0);
    json_decref(body);
    body = network_body("ovl");
    expect(r, "not-a-manager-network-create-overlay",
           took(sl_fake_network_create(fs, 1, body, err)));
    json_decref(body);
    expect(r, "not-a-manager-node-rm",
           sl_fake_node_remove(fs, 1, r->ids[2], false, err) == 0);
}

static void unknown_objects_and_conflicts(void **state)
{
    rx *r = *state;
    sl_fake_swarm *fs = r->f->fs;
    sl_error *err = &r->f->err;
    json_t *body;

    expect(r, "no-such-node", took(sl_fake_node_inspect(fs, 0, "nosuchnode",
                                                        err)));
    expect(r, "no-such-service",
           took(sl_fake_service_inspect(fs, 0, "nosuchservice", false,
                                        err)));
    expect(r, "no-such-network",
           took(sl_fake_network_inspect(fs, 0, "nosuchnetwork", err)));
    expect(r, "no-such-task", took(sl_fake_task_inspect(fs, 0, "nosuchtask",
                                                        err)));
    expect(r, "no-such-node-rm",
           sl_fake_node_remove(fs, 0, "nosuchnode", false, err) == 0);
    expect(r, "no-such-service-rm",
           sl_fake_service_remove(fs, 0, "nosuchservice", err) == 0);
    expect(r, "no-such-network-rm",
           sl_fake_network_remove(fs, 0, "nosuchnetwork", err) == 0);
    body = node_body("worker");
    expect(r, "no-such-node-update",
           sl_fake_node_update(fs, 0, "nosuchnode", 1, body, err) == 0);
    json_decref(body);
    body = service_body("nosuchservice", NULL);
    expect(r, "no-such-service-update",
           took(sl_fake_service_update(fs, 0, "nosuchservice", 1, body,
                                       err)));
    json_decref(body);
    body = service_body("dup", NULL);
    assert_true(took(sl_fake_service_create(fs, 0, body, err)));
    expect(r, "service-name-conflict",
           took(sl_fake_service_create(fs, 0, body, err)));
    json_decref(body);
    body = network_body("dupnet");
    assert_true(took(sl_fake_network_create(fs, 0, body, err)));
    expect(r, "network-name-conflict",
           took(sl_fake_network_create(fs, 0, body, err)));
    json_decref(body);
}

static void expect_create(rx *r, const char *name, json_t *body)
{
    expect(r, name, took(sl_fake_service_create(r->f->fs, 0, body,
                                                &r->f->err)));
    json_decref(body);
}

static void service_specs_swarmkit_refuses(void **state)
{
    rx *r = *state;
    json_t *huge;
    char *pad;

    expect_create(r, "constraint-no-operator",
                  service_body("c1", "node.labels.foo"));
    expect_create(r, "constraint-unknown-key", service_body("c2", "foo==bar"));
    expect_create(r, "constraint-unknown-node-attribute",
                  service_body("c3", "node.bogus==x"));
    expect_create(r, "constraint-bad-role-value",
                  service_body("c4", "node.role==bogus"));
    expect_create(r, "constraint-empty-value",
                  service_body("c5", "node.labels.foo=="));
    expect_create(r, "service-create-unknown-network",
                  fx_json("{\"Name\":\"nonet\",\"TaskTemplate\":"
                          "{\"ContainerSpec\":{\"Image\":\"bb:1\"},"
                          "\"Networks\":[{\"Target\":\"nosuchnetwork\"}]},"
                          "\"Mode\":{\"Replicated\":{\"Replicas\":1}}}"));
    expect_create(r, "service-create-no-image",
                  fx_json("{\"Name\":\"noimage\",\"TaskTemplate\":"
                          "{\"ContainerSpec\":{}},\"Mode\":{\"Replicated\":"
                          "{\"Replicas\":1}}}"));
    expect_create(r, "service-create-bad-name",
                  service_body("bad name!", NULL));
    pad = malloc(20 * 1024 * 1024 + 1);
    assert_non_null(pad);
    memset(pad, 'x', 20 * 1024 * 1024);
    pad[20 * 1024 * 1024] = '\0';
    huge = json_pack("{s:s, s:{s:s}, s:{s:{s:s, s:[s,s]}},"
                     " s:{s:{s:i}}}", "Name", "huge", "Labels", "pad", pad,
                     "TaskTemplate", "ContainerSpec", "Image", "bb:1",
                     "Args", "sleep", "1d", "Mode", "Replicated",
                     "Replicas", 1);
    free(pad);
    expect_create(r, "service-create-huge-body", huge);
}

static uint64_t version_of(json_t *obj)
{
    uint64_t v = (uint64_t)json_integer_value(json_object_get(
        json_object_get(obj, "Version"), "Index"));

    json_decref(obj);
    return v;
}

static void versions_and_removals(void **state)
{
    rx *r = *state;
    sl_fake_swarm *fs = r->f->fs;
    sl_error *err = &r->f->err;
    json_t *body;
    uint64_t v;

    v = version_of(sl_fake_node_inspect(fs, 0, r->ids[1], err));
    body = node_body("worker");
    expect(r, "node-update-stale-version",
           sl_fake_node_update(fs, 0, r->ids[1], v - 1, body, err) == 0);
    json_decref(body);
    body = node_body("boss");
    expect(r, "node-update-bad-role",
           sl_fake_node_update(fs, 0, r->ids[1], v, body, err) == 0);
    json_decref(body);
    body = service_body("dup", NULL);
    assert_true(took(sl_fake_service_create(fs, 0, body, err)));
    v = version_of(sl_fake_service_inspect(fs, 0, "dup", false, err));
    expect(r, "service-update-stale-version",
           took(sl_fake_service_update(fs, 0, "dup", v - 1, body, err)));
    json_decref(body);
    expect(r, "node-rm-active-worker",
           sl_fake_node_remove(fs, 0, r->ids[1], false, err) == 0);
    expect(r, "node-rm-manager",
           sl_fake_node_remove(fs, 0, r->ids[0], false, err) == 0);
    expect(r, "node-rm-manager-force",
           sl_fake_node_remove(fs, 0, r->ids[0], true, err) == 0);
    v = version_of(sl_fake_node_inspect(fs, 0, r->ids[0], err));
    body = node_body("worker");
    expect(r, "demote-last-manager",
           sl_fake_node_update(fs, 0, r->ids[0], v, body, err) == 0);
    json_decref(body);
    expect(r, "leave-last-manager", sl_fake_swarm_leave(fs, 0, false,
                                                        err) == 0);
    body = network_body("busy");
    assert_true(took(sl_fake_network_create(fs, 0, body, err)));
    json_decref(body);
    body = fx_json("{\"Name\":\"usesbusy\",\"TaskTemplate\":{"
                   "\"ContainerSpec\":{\"Image\":\"bb:1\"},\"Networks\":"
                   "[{\"Target\":\"busy\"}]}}");
    assert_true(took(sl_fake_service_create(fs, 0, body, err)));
    json_decref(body);
    expect(r, "network-rm-in-use", sl_fake_network_remove(fs, 0, "busy",
                                                          err) == 0);
}

static void promote(rx *r, int host)
{
    json_t *body = node_body("manager");
    uint64_t v = version_of(sl_fake_node_inspect(r->f->fs, 0, r->ids[host],
                                                 &r->f->err));

    assert_int_equal(sl_fake_node_update(r->f->fs, 0, r->ids[host], v, body,
                                         &r->f->err),
                     0);
    json_decref(body);
}

static void raft_quorum(void **state)
{
    rx *r = *state;
    sl_fake_swarm *fs = r->f->fs;
    sl_error *err = &r->f->err;
    json_t *body;
    uint64_t v;

    promote(r, 2);
    sl_clock_advance_ns(r->f->clock, 5 * SL_NS_PER_SEC);
    expect(r, "leave-breaks-quorum", sl_fake_swarm_leave(fs, 2, false,
                                                         err) == 0);
    expect(r, "leave-breaks-quorum-leader",
           sl_fake_swarm_leave(fs, 0, false, err) == 0);
    promote(r, 1);
    v = version_of(sl_fake_node_inspect(fs, 0, r->ids[1], err));
    body = node_body("worker");
    expect(r, "demote-just-promoted",
           sl_fake_node_update(fs, 0, r->ids[1], v, body, err) == 0);
    json_decref(body);
    sl_clock_advance_ns(r->f->clock, 5 * SL_NS_PER_SEC);
    expect(r, "leave-keeps-quorum", sl_fake_swarm_leave(fs, 2, false,
                                                        err) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(outside_a_swarm, setup, teardown),
        cmocka_unit_test_setup_teardown(init_and_join_refusals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(what_a_worker_refuses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(unknown_objects_and_conflicts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(service_specs_swarmkit_refuses,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(versions_and_removals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(raft_quorum, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
