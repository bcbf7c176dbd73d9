/* Tests of the simulated swarm: engines, membership, tokens, raft, nodes. */
#include "fake_swarm_fixture.h"

#include <ctype.h>

#define NOT_IN_SWARM                                                         \
    "This node is not a swarm manager. Use \"docker swarm init\" or "     \
    "\"docker swarm join\" to connect this node to swarm and try again."
#define WORKER_MSG                                                           \
    "This node is not a swarm manager. Worker nodes can't be used to view " \
    "or modify cluster state. Please run this command on a manager node or " \
    "promote the current node to a manager."
#define NO_LEADER                                                            \
    "rpc error: code = Unknown desc = The swarm does not have a leader. "   \
    "It's possible that too few managers are online. Make sure more than "  \
    "half of the managers are online."

static void assert_daemon_error(const sl_error *err, int status,
                                const char *message)
{
    assert_int_equal(err->http_status, status);
    assert_string_equal(err->message, message);
}

static int setup_hosts(void **state)
{
    fx *f = fx_new(7);

    fx_host(f, "n2d-mngr-0", NULL, NULL);
    fx_host(f, "n2d-mngr-1", NULL, NULL);
    fx_host(f, "n2d-mngr-2", NULL, NULL);
    fx_host(f, "n2d-wrkr-0", NULL, NULL);
    *state = f;
    return 0;
}

static int setup_cluster(void **state)
{
    *state = fx_cluster(11);
    return 0;
}

/* Three managers (hosts 0-2) and a worker (host 3). */
static int setup_three_managers(void **state)
{
    fx *f;

    setup_hosts(state);
    f = *state;
    fx_init(f, 0);
    fx_join(f, 1, 0, true);
    fx_join(f, 2, 0, true);
    fx_join(f, 3, 0, false);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static json_t *swarm_info(fx *f, int host)
{
    json_t *info = sl_fake_info(f->fs, host);
    json_t *sw = json_incref(json_object_get(info, "Swarm"));

    json_decref(info);
    return sw;
}

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* Engine ------------------------------------------------------------------ */

static void version_reports_api_1_41_and_debian_engine(void **state)
{
    fx *f = *state;
    json_t *v = sl_fake_version(f->fs, 0);

    assert_string_equal(str(v, "Version"), "20.10.24+dfsg1");
    assert_string_equal(str(v, "ApiVersion"), "1.41");
    assert_string_equal(str(v, "MinAPIVersion"), "1.12");
    assert_string_equal(str(v, "Os"), "linux");
    assert_string_equal(str(v, "Arch"), "amd64");
    assert_string_equal(str(json_array_get(json_object_get(v, "Components"),
                                           0),
                            "Name"),
                        "Engine");
    json_decref(v);
}

static void info_outside_swarm_is_inactive(void **state)
{
    fx *f = *state;
    json_t *info = sl_fake_info(f->fs, 3);
    json_t *sw = json_object_get(info, "Swarm");

    assert_string_equal(str(info, "Name"), "n2d-wrkr-0");
    assert_int_equal(json_integer_value(json_object_get(info, "NCPU")), 4);
    assert_string_equal(str(sw, "LocalNodeState"), "inactive");
    assert_string_equal(str(sw, "NodeID"), "");
    assert_false(json_is_true(json_object_get(sw, "ControlAvailable")));
    assert_true(json_is_null(json_object_get(sw, "RemoteManagers")));
    assert_null(json_object_get(sw, "Cluster"));
    json_decref(info);
}

static void engine_ids_follow_dockerd_format(void **state)
{
    fx *f = *state;
    json_t *info = sl_fake_info(f->fs, 0);
    const char *id = str(info, "ID");
    size_t i;

    assert_int_equal(strlen(id), 59);
    for (i = 0; id[i]; i++) {
        if (i % 5 == 4)
            assert_int_equal(id[i], ':');
        else
            assert_true(isupper((unsigned char)id[i]) ||
                        (id[i] >= '2' && id[i] <= '7'));
    }
    json_decref(info);
}

/* Init and join ----------------------------------------------------------- */

static void init_makes_a_leading_manager(void **state)
{
    fx *f = *state;
    const char *id = fx_init(f, 0);
    json_t *node = fx_node(f, 0, id);
    json_t *ms = json_object_get(node, "ManagerStatus");

    assert_int_equal(strlen(id), 25);
    assert_string_equal(str(json_object_get(node, "Spec"), "Role"),
                        "manager");
    assert_true(json_is_true(json_object_get(ms, "Leader")));
    assert_string_equal(str(ms, "Reachability"), "reachable");
    assert_string_equal(str(ms, "Addr"), "10.0.0.10:2377");
    assert_string_equal(str(json_object_get(node, "Status"), "State"),
                        "ready");
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 0), 0);
    json_decref(node);
}

static void init_twice_is_refused_with_daemon_message(void **state)
{
    fx *f = *state;
    json_t *req = fx_json("{\"ListenAddr\":\"0.0.0.0:2377\"}");

    fx_init(f, 0);
    assert_null(sl_fake_swarm_init(f->fs, 0, req, &f->err));
    assert_daemon_error(&f->err, 503,
                        "This node is already part of a swarm. Use \"docker "
                        "swarm leave\" to leave this swarm and join another "
                        "one.");
    json_decref(req);
}

static void init_without_listen_addr_is_refused(void **state)
{
    fx *f = *state;
    json_t *req = fx_json("{\"ListenAddr\":\"\"}");

    assert_null(sl_fake_swarm_init(f->fs, 0, req, &f->err));
    assert_daemon_error(&f->err, 400,
                        "invalid ListenAddr \"\": invalid empty address");
    json_decref(req);
}

static void info_on_manager_has_cluster_section(void **state)
{
    fx *f = *state;
    json_t *sw = swarm_info(f, 0);
    json_t *cluster = json_object_get(sw, "Cluster");

    assert_string_equal(str(sw, "LocalNodeState"), "active");
    assert_true(json_is_true(json_object_get(sw, "ControlAvailable")));
    assert_string_equal(str(sw, "NodeAddr"), "10.0.0.10");
    assert_int_equal(json_integer_value(json_object_get(sw, "Nodes")), 4);
    assert_int_equal(json_integer_value(json_object_get(sw, "Managers")), 1);
    assert_int_equal(json_array_size(json_object_get(sw, "RemoteManagers")),
                     1);
    assert_string_equal(str(json_object_get(cluster, "Spec"), "Name"),
                        "default");
    assert_int_equal(json_integer_value(json_object_get(cluster,
                                                        "DataPathPort")),
                     4789);
    assert_null(json_object_get(cluster, "JoinTokens"));
    json_decref(sw);
}

static void join_with_worker_token_makes_a_worker(void **state)
{
    fx *f = *state;
    json_t *sw = swarm_info(f, 1);
    json_t *node = fx_node(f, 0, "n2d-wrkr-0");

    assert_string_equal(str(sw, "LocalNodeState"), "active");
    assert_false(json_is_true(json_object_get(sw, "ControlAvailable")));
    assert_null(json_object_get(sw, "Cluster"));
    assert_string_equal(str(json_object_get(node, "Spec"), "Role"),
                        "worker");
    assert_null(json_object_get(node, "ManagerStatus"));
    assert_string_equal(str(json_object_get(node, "Status"), "Addr"),
                        "10.0.0.11");
    json_decref(sw);
    json_decref(node);
}

static void join_with_manager_token_makes_a_reachable_manager(void **state)
{
    fx *f = *state;
    json_t *node = fx_node(f, 0, "n2d-mngr-1");
    json_t *ms = json_object_get(node, "ManagerStatus");
    json_t *sw = swarm_info(f, 1);

    assert_string_equal(str(ms, "Reachability"), "reachable");
    assert_null(json_object_get(ms, "Leader"));
    assert_string_equal(str(ms, "Addr"), "10.0.0.11:2377");
    assert_true(json_is_true(json_object_get(sw, "ControlAvailable")));
    assert_int_equal(json_integer_value(json_object_get(sw, "Managers")), 3);
    json_decref(node);
    json_decref(sw);
}

static void tokens_share_the_ca_digest_and_differ_in_secret(void **state)
{
    fx *f = *state;
    char worker[128], manager[128];

    fx_init(f, 0);
    snprintf(worker, sizeof(worker), "%s", fx_token(f, 0, false));
    snprintf(manager, sizeof(manager), "%s", fx_token(f, 0, true));
    assert_int_equal(strlen(worker), strlen("SWMTKN-1-") + 50 + 1 + 25);
    assert_memory_equal(worker, "SWMTKN-1-", 9);
    assert_memory_equal(worker, manager, 9 + 50);
    assert_string_not_equal(worker + 60, manager + 60);
}

static void wrong_token_is_refused_with_daemon_message(void **state)
{
    fx *f = *state;
    char token[128];

    fx_init(f, 0);
    snprintf(token, sizeof(token), "%.60sabcdefghijklmnopqrstuvwxy",
             fx_token(f, 0, false));
    assert_int_equal(fx_join_token(f, 3, 0, token), -1);
    assert_daemon_error(&f->err, 400,
                        "rpc error: code = InvalidArgument desc = A valid "
                        "join token is necessary to join this cluster");
    assert_null(sl_fake_swarm_node_id(f->fs, 3));
}

static void malformed_token_is_refused(void **state)
{
    fx *f = *state;

    fx_init(f, 0);
    assert_int_equal(fx_join_token(f, 3, 0, "SWMTKN-1-abc"), -1);
    assert_daemon_error(&f->err, 500, "invalid join token");
}

static void token_of_another_swarm_fails_the_ca_check(void **state)
{
    fx *f = *state;
    char token[128];

    fx_init(f, 0);
    fx_init(f, 1);
    snprintf(token, sizeof(token), "%s", fx_token(f, 1, false));
    assert_int_equal(fx_join_token(f, 3, 0, token), -1);
    assert_int_equal(f->err.http_status, 500);
    assert_memory_equal(f->err.message,
                        "remote CA does not match fingerprint. Expected: ",
                        48);
    assert_int_equal(strlen(f->err.message), 48 + 64);
}

static void digest_too_large_for_sha256_is_refused(void **state)
{
    fx *f = *state;
    char token[128];

    fx_init(f, 0);
    snprintf(token, sizeof(token), "SWMTKN-1-%s-%s",
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx",
             fx_token(f, 0, false) + 60);
    assert_int_equal(fx_join_token(f, 3, 0, token), -1);
    assert_daemon_error(&f->err, 500, "invalid checksum digest length");
}

static void join_to_an_unreachable_manager_stays_pending(void **state)
{
    fx *f = *state;
    int64_t before = sl_clock_now_ns(f->clock);
    json_t *sw;

    fx_init(f, 0);
    assert_int_equal(fx_join_token(f, 3, 1, fx_token(f, 0, false)), -1);
    assert_int_equal(f->err.http_status, 503);
    assert_memory_equal(f->err.message, "Timeout was reached before node "
                                        "joined.", 39);
    assert_true(sl_clock_now_ns(f->clock) - before >= 20 * SL_NS_PER_SEC);
    sw = swarm_info(f, 3);
    assert_string_equal(str(sw, "LocalNodeState"), "pending");
    assert_string_equal(str(sw, "NodeAddr"), "10.0.0.13");
    assert_string_equal(str(json_array_get(json_object_get(sw,
                                                           "RemoteManagers"),
                                           0),
                            "Addr"),
                        "10.0.0.11:2377");
    json_decref(sw);
    assert_int_equal(sl_fake_swarm_leave(f->fs, 3, true, &f->err), 0);
    sw = swarm_info(f, 3);
    assert_string_equal(str(sw, "LocalNodeState"), "inactive");
    json_decref(sw);
}

static void rotated_worker_token_refuses_the_old_one(void **state)
{
    fx *f = *state;
    char old[128];
    json_t *sw;
    uint64_t version;

    fx_init(f, 0);
    snprintf(old, sizeof(old), "%s", fx_token(f, 0, false));
    sw = sl_fake_swarm_inspect(f->fs, 0, &f->err);
    version = (uint64_t)json_integer_value(json_object_get(
        json_object_get(sw, "Version"), "Index"));
    assert_int_equal(sl_fake_swarm_update(f->fs, 0, json_object_get(sw,
                                                                     "Spec"),
                                          version, true, false, &f->err),
                     0);
    assert_string_not_equal(fx_token(f, 0, false), old);
    assert_int_equal(fx_join_token(f, 3, 0, old), -1);
    assert_int_equal(f->err.http_status, 400);
    fx_join(f, 3, 0, false);
    json_decref(sw);
}

static void swarm_update_with_stale_version_is_out_of_sequence(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json("{\"Name\":\"default\"}");

    fx_init(f, 0);
    assert_int_equal(sl_fake_swarm_update(f->fs, 0, spec, 1, false, false,
                                          &f->err),
                     -1);
    assert_daemon_error(&f->err, 500,
                        "rpc error: code = Unknown desc = update out of "
                        "sequence");
    json_decref(spec);
}

static void unlock_key_is_empty_without_autolock(void **state)
{
    fx *f = *state;
    json_t *key;

    fx_init(f, 0);
    key = sl_fake_swarm_unlockkey(f->fs, 0, &f->err);
    assert_string_equal(str(key, "UnlockKey"), "");
    json_decref(key);
}

/* Who may ask ------------------------------------------------------------- */

static void worker_cannot_view_cluster_state(void **state)
{
    fx *f = *state;

    assert_null(sl_fake_nodes_list(f->fs, 1, NULL, &f->err));
    assert_daemon_error(&f->err, 503, WORKER_MSG);
    assert_null(sl_fake_swarm_inspect(f->fs, 2, &f->err));
    assert_daemon_error(&f->err, 503, WORKER_MSG);
    assert_null(sl_fake_secrets_list(f->fs, 3, NULL, &f->err));
    assert_daemon_error(&f->err, 503, WORKER_MSG);
}

static void engine_outside_swarm_is_not_a_manager(void **state)
{
    fx *f = *state;

    assert_null(sl_fake_nodes_list(f->fs, 0, NULL, &f->err));
    assert_daemon_error(&f->err, 503, NOT_IN_SWARM);
    assert_null(sl_fake_services_list(f->fs, 0, NULL, false, &f->err));
    assert_daemon_error(&f->err, 503, NOT_IN_SWARM);
    assert_int_equal(sl_fake_swarm_leave(f->fs, 0, false, &f->err), -1);
    assert_daemon_error(&f->err, 503, "This node is not part of a swarm");
}

static void powered_off_host_does_not_answer(void **state)
{
    fx *f = *state;

    sl_fake_swarm_set_host_up(f->fs, 1, false);
    assert_false(sl_fake_swarm_host_is_up(f->fs, 1));
    assert_int_equal(sl_fake_swarm_leave(f->fs, 1, true, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONNECT);
    assert_int_equal(f->err.http_status, 0);
}

/* Determinism ------------------------------------------------------------- */

static void same_seed_gives_same_ids(void **state)
{
    fx *a = fx_cluster(99), *b = fx_cluster(99);
    int i;

    (void)state;
    for (i = 0; i < 4; i++)
        assert_string_equal(sl_fake_swarm_node_id(a->fs, i),
                            sl_fake_swarm_node_id(b->fs, i));
    assert_string_equal(fx_token(a, 0, false), fx_token(b, 0, false));
    fx_free(a);
    fx_free(b);
}

static void different_seeds_give_different_ids(void **state)
{
    fx *a = fx_cluster(1), *b = fx_cluster(2);

    (void)state;
    assert_string_not_equal(sl_fake_swarm_node_id(a->fs, 0),
                            sl_fake_swarm_node_id(b->fs, 0));
    fx_free(a);
    fx_free(b);
}

static void node_ids_are_25_lowercase_base36(void **state)
{
    fx *f = *state;
    int i;
    size_t j;

    for (i = 0; i < 4; i++) {
        const char *id = sl_fake_swarm_node_id(f->fs, i);

        assert_int_equal(strlen(id), 25);
        for (j = 0; j < 25; j++)
            assert_true(isdigit((unsigned char)id[j]) ||
                        islower((unsigned char)id[j]));
    }
}

/* Nodes ------------------------------------------------------------------- */

static void node_list_is_sorted_by_id_and_filters_by_role(void **state)
{
    fx *f = *state;
    json_t *all = sl_fake_nodes_list(f->fs, 0, NULL, &f->err);
    json_t *filters = fx_json("{\"role\":{\"manager\":true}}");
    json_t *managers = sl_fake_nodes_list(f->fs, 0, filters, &f->err);
    size_t i;

    assert_int_equal(json_array_size(all), 4);
    for (i = 1; i < 4; i++)
        assert_true(strcmp(str(json_array_get(all, i - 1), "ID"),
                           str(json_array_get(all, i), "ID")) < 0);
    assert_int_equal(json_array_size(managers), 1);
    json_decref(all);
    json_decref(filters);
    json_decref(managers);
}

static void unknown_node_filter_is_refused(void **state)
{
    fx *f = *state;
    json_t *filters = fx_json("{\"colour\":{\"red\":true}}");

    assert_null(sl_fake_nodes_list(f->fs, 0, filters, &f->err));
    assert_daemon_error(&f->err, 400, "Invalid filter 'colour'");
    json_decref(filters);
}

static void node_is_found_by_id_hostname_and_prefix(void **state)
{
    fx *f = *state;
    const char *id = sl_fake_swarm_node_id(f->fs, 2);
    char prefix[8];
    json_t *a, *b, *c;

    snprintf(prefix, sizeof(prefix), "%.6s", id);
    a = fx_node(f, 0, id);
    b = fx_node(f, 0, "n2d-wrkr-1");
    c = fx_node(f, 0, prefix);
    assert_string_equal(str(b, "ID"), id);
    assert_string_equal(str(c, "ID"), id);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    assert_null(sl_fake_node_inspect(f->fs, 0, "nosuchnode", &f->err));
    assert_daemon_error(&f->err, 404, "node nosuchnode not found");
}

static void node_update_sets_labels_and_bumps_version(void **state)
{
    fx *f = *state;
    json_t *before = fx_node(f, 0, "n2d-wrkr-0");
    json_t *after;

    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{\"os\":\"linux\"}",
                                    "worker", "active"),
                     0);
    after = fx_node(f, 0, "n2d-wrkr-0");
    assert_string_equal(str(json_object_get(json_object_get(after, "Spec"),
                                            "Labels"),
                            "os"),
                        "linux");
    assert_true(json_integer_value(json_object_get(
                    json_object_get(after, "Version"), "Index")) >
                json_integer_value(json_object_get(
                    json_object_get(before, "Version"), "Index")));
    json_decref(before);
    json_decref(after);
}

static void node_update_with_stale_version_is_out_of_sequence(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json("{\"Role\":\"worker\",\"Availability\":\"active\"}");

    assert_int_equal(sl_fake_node_update(f->fs, 0, "n2d-wrkr-0", 1, spec,
                                         &f->err),
                     -1);
    assert_daemon_error(&f->err, 500,
                        "rpc error: code = Unknown desc = update out of "
                        "sequence");
    json_decref(spec);
}

static void node_update_refuses_unknown_role(void **state)
{
    fx *f = *state;

    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "boss",
                                    "active"),
                     -1);
    assert_daemon_error(&f->err, 400, "invalid Role: \"boss\"");
}

static void node_rm_of_active_node_needs_force(void **state)
{
    fx *f = *state;
    char id[32], msg[256];
    json_t *list;

    snprintf(id, sizeof(id), "%s", sl_fake_swarm_node_id(f->fs, 1));
    assert_int_equal(sl_fake_node_remove(f->fs, 0, id, false, &f->err), -1);
    snprintf(msg, sizeof(msg), "rpc error: code = FailedPrecondition desc = "
             "node %s is not down and can't be removed", id);
    assert_daemon_error(&f->err, 400, msg);
    assert_int_equal(sl_fake_node_remove(f->fs, 0, id, true, &f->err), 0);
    list = sl_fake_nodes_list(f->fs, 0, NULL, &f->err);
    assert_int_equal(json_array_size(list), 3);
    json_decref(list);
    assert_null(sl_fake_swarm_node_id(f->fs, 1));
}

static void node_rm_of_a_manager_needs_demotion(void **state)
{
    fx *f = *state;
    char id[32], msg[300];

    snprintf(id, sizeof(id), "%s", sl_fake_swarm_node_id(f->fs, 0));
    assert_int_equal(sl_fake_node_remove(f->fs, 0, id, true, &f->err), -1);
    snprintf(msg, sizeof(msg), "rpc error: code = FailedPrecondition desc = "
             "node %s is a cluster manager and is a member of the raft "
             "cluster. It must be demoted to worker before removal", id);
    assert_daemon_error(&f->err, 400, msg);
}

static void left_node_can_be_removed_without_force(void **state)
{
    fx *f = *state;
    char id[32];

    snprintf(id, sizeof(id), "%s", sl_fake_swarm_node_id(f->fs, 3));
    assert_int_equal(sl_fake_swarm_leave(f->fs, 3, false, &f->err), 0);
    assert_int_equal(sl_fake_node_remove(f->fs, 0, id, false, &f->err), 0);
}

static void demoting_the_last_manager_is_refused(void **state)
{
    fx *f = *state;

    assert_int_equal(fx_node_update(f, 0, "n2d-mngr-0", "{}", "worker",
                                    "active"),
                     -1);
    assert_daemon_error(&f->err, 400,
                        "rpc error: code = FailedPrecondition desc = "
                        "attempting to demote the last manager of the "
                        "swarm");
}

static void promote_then_demote_changes_manager_status(void **state)
{
    fx *f = *state;
    json_t *node, *sw;

    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "manager",
                                    "active"),
                     0);
    sl_clock_advance_ns(f->clock, 2 * SL_NS_PER_SEC);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_string_equal(str(json_object_get(node, "ManagerStatus"),
                            "Reachability"),
                        "reachable");
    json_decref(node);
    sw = swarm_info(f, 1);
    assert_true(json_is_true(json_object_get(sw, "ControlAvailable")));
    assert_non_null(json_object_get(sw, "Warnings"));
    json_decref(sw);
    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker",
                                    "active"),
                     0);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_null(json_object_get(node, "ManagerStatus"));
    json_decref(node);
}

static void promoted_node_joins_the_raft_after_a_moment(void **state)
{
    fx *f = *state;
    json_t *node, *sw;

    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "manager",
                                    "active"),
                     0);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_string_equal(str(json_object_get(node, "Spec"), "Role"),
                        "manager");
    assert_null(json_object_get(node, "ManagerStatus"));
    json_decref(node);
    sw = swarm_info(f, 1);
    assert_false(json_is_true(json_object_get(sw, "ControlAvailable")));
    json_decref(sw);
    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker",
                                    "active"),
                     -1);
    assert_daemon_error(&f->err, 404,
                        "rpc error: code = NotFound desc = can't find "
                        "manager in raft memberlist");
    sl_clock_advance_ns(f->clock, 2 * SL_NS_PER_SEC);
    sw = swarm_info(f, 1);
    assert_true(json_is_true(json_object_get(sw, "ControlAvailable")));
    json_decref(sw);
}

static void demoted_node_stops_its_manager_after_a_moment(void **state)
{
    fx *f = *state;
    json_t *node, *sw;

    fx_node_update(f, 0, "n2d-wrkr-0", "{}", "manager", "active");
    sl_clock_advance_ns(f->clock, 2 * SL_NS_PER_SEC);
    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker",
                                    "active"),
                     0);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_null(json_object_get(node, "ManagerStatus"));
    json_decref(node);
    sw = swarm_info(f, 1);
    assert_true(json_is_true(json_object_get(sw, "ControlAvailable")));
    json_decref(sw);
    sl_clock_advance_ns(f->clock, 3 * SL_NS_PER_SEC);
    sw = swarm_info(f, 1);
    assert_false(json_is_true(json_object_get(sw, "ControlAvailable")));
    json_decref(sw);
    assert_null(sl_fake_nodes_list(f->fs, 1, NULL, &f->err));
    assert_daemon_error(&f->err, 503, WORKER_MSG);
}

/* Raft quorum ------------------------------------------------------------- */

static void manager_cannot_leave_when_quorum_would_break(void **state)
{
    fx *f = *state;

    sl_fake_swarm_set_host_up(f->fs, 2, false);
    assert_int_equal(sl_fake_swarm_leave(f->fs, 1, false, &f->err), -1);
    assert_daemon_error(
        &f->err, 503,
        "You are attempting to leave the swarm on a node that is "
        "participating as a manager. Removing this node leaves 1 managers "
        "out of 3. Without a Raft quorum your swarm will be inaccessible. "
        "The only way to restore a swarm that has lost consensus is to "
        "reinitialize it with `--force-new-cluster`. Use `--force` to "
        "suppress this message.");
}

static void manager_leave_without_force_is_refused_even_with_quorum(
    void **state)
{
    fx *f = *state;

    assert_int_equal(sl_fake_swarm_leave(f->fs, 1, false, &f->err), -1);
    assert_daemon_error(
        &f->err, 503,
        "You are attempting to leave the swarm on a node that is "
        "participating as a manager. The only way to restore a swarm that "
        "has lost consensus is to reinitialize it with "
        "`--force-new-cluster`. Use `--force` to suppress this message.");
}

static void last_manager_leave_warns_about_erasing_state(void **state)
{
    fx *f = *state;

    assert_int_equal(sl_fake_swarm_leave(f->fs, 0, false, &f->err), -1);
    assert_daemon_error(
        &f->err, 503,
        "You are attempting to leave the swarm on a node that is "
        "participating as a manager. Removing the last manager erases all "
        "current state of the swarm. Use `--force` to ignore this "
        "message. ");
}

static void worker_leave_marks_its_node_down(void **state)
{
    fx *f = *state;
    json_t *node, *sw;

    assert_int_equal(sl_fake_swarm_leave(f->fs, 1, false, &f->err), 0);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_string_equal(str(json_object_get(node, "Status"), "State"),
                        "down");
    json_decref(node);
    sw = swarm_info(f, 1);
    assert_string_equal(str(sw, "LocalNodeState"), "inactive");
    json_decref(sw);
}

static void forced_leave_of_the_leader_elects_another(void **state)
{
    fx *f = *state;
    json_t *node;

    assert_int_equal(sl_fake_swarm_leave(f->fs, 0, true, &f->err), 0);
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 1), 1);
    node = fx_node(f, 1, "n2d-mngr-0");
    assert_string_equal(str(json_object_get(node, "ManagerStatus"),
                            "Reachability"),
                        "unreachable");
    assert_string_equal(str(json_object_get(node, "Status"), "State"),
                        "down");
    json_decref(node);
}

static void losing_most_managers_leaves_no_leader(void **state)
{
    fx *f = *state;
    json_t *sw;

    sl_fake_swarm_set_host_up(f->fs, 0, false);
    sl_fake_swarm_set_host_up(f->fs, 1, false);
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 2), -1);
    assert_null(sl_fake_nodes_list(f->fs, 2, NULL, &f->err));
    assert_daemon_error(&f->err, 500, NO_LEADER);
    sw = swarm_info(f, 2);
    assert_string_equal(str(sw, "Error"), NO_LEADER);
    assert_string_equal(str(json_object_get(sw, "Cluster"), "ID"), "");
    json_decref(sw);
}

static void quorum_returns_when_a_manager_powers_back(void **state)
{
    fx *f = *state;
    json_t *list;

    sl_fake_swarm_set_host_up(f->fs, 0, false);
    sl_fake_swarm_set_host_up(f->fs, 1, false);
    sl_fake_swarm_set_host_up(f->fs, 1, true);
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 2), 1);
    list = sl_fake_nodes_list(f->fs, 2, NULL, &f->err);
    assert_non_null(list);
    json_decref(list);
}

static void power_loss_marks_node_down_with_heartbeat_failure(void **state)
{
    fx *f = *state;
    json_t *node;

    sl_fake_swarm_set_host_up(f->fs, 3, false);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_string_equal(str(json_object_get(node, "Status"), "State"),
                        "down");
    assert_string_equal(str(json_object_get(node, "Status"), "Message"),
                        "heartbeat failure");
    json_decref(node);
    sl_fake_swarm_set_host_up(f->fs, 3, true);
    node = fx_node(f, 0, "n2d-wrkr-0");
    assert_string_equal(str(json_object_get(node, "Status"), "State"),
                        "ready");
    assert_null(json_object_get(json_object_get(node, "Status"), "Message"));
    json_decref(node);
}

static void force_new_cluster_keeps_only_this_manager(void **state)
{
    fx *f = *state;
    json_t *req = fx_json("{\"ListenAddr\":\"0.0.0.0:2377\","
                          "\"ForceNewCluster\":true}");
    json_t *id, *sw;

    sl_fake_swarm_set_host_up(f->fs, 0, false);
    sl_fake_swarm_set_host_up(f->fs, 1, false);
    id = sl_fake_swarm_init(f->fs, 2, req, &f->err);
    assert_non_null(id);
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 2), 2);
    sw = swarm_info(f, 2);
    assert_int_equal(json_integer_value(json_object_get(sw, "Managers")), 1);
    assert_int_equal(json_integer_value(json_object_get(sw, "Nodes")), 4);
    json_decref(sw);
    json_decref(id);
    json_decref(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            version_reports_api_1_41_and_debian_engine, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(info_outside_swarm_is_inactive,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(engine_ids_follow_dockerd_format,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(init_makes_a_leading_manager,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(
            init_twice_is_refused_with_daemon_message, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(init_without_listen_addr_is_refused,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(info_on_manager_has_cluster_section,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            join_with_worker_token_makes_a_worker, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            join_with_manager_token_makes_a_reachable_manager,
            setup_three_managers, teardown),
        cmocka_unit_test_setup_teardown(
            tokens_share_the_ca_digest_and_differ_in_secret, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(
            wrong_token_is_refused_with_daemon_message, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(malformed_token_is_refused,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(
            token_of_another_swarm_fails_the_ca_check, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(
            digest_too_large_for_sha256_is_refused, setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(
            join_to_an_unreachable_manager_stays_pending, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(
            rotated_worker_token_refuses_the_old_one, setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(
            swarm_update_with_stale_version_is_out_of_sequence, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(unlock_key_is_empty_without_autolock,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(worker_cannot_view_cluster_state,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            engine_outside_swarm_is_not_a_manager, setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(powered_off_host_does_not_answer,
                                        setup_cluster, teardown),
        cmocka_unit_test(same_seed_gives_same_ids),
        cmocka_unit_test(different_seeds_give_different_ids),
        cmocka_unit_test_setup_teardown(node_ids_are_25_lowercase_base36,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            node_list_is_sorted_by_id_and_filters_by_role, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(unknown_node_filter_is_refused,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            node_is_found_by_id_hostname_and_prefix, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            node_update_sets_labels_and_bumps_version, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            node_update_with_stale_version_is_out_of_sequence,
            setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(node_update_refuses_unknown_role,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(node_rm_of_active_node_needs_force,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(node_rm_of_a_manager_needs_demotion,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            left_node_can_be_removed_without_force, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(demoting_the_last_manager_is_refused,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            promote_then_demote_changes_manager_status, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            promoted_node_joins_the_raft_after_a_moment, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            demoted_node_stops_its_manager_after_a_moment, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            manager_cannot_leave_when_quorum_would_break,
            setup_three_managers, teardown),
        cmocka_unit_test_setup_teardown(
            manager_leave_without_force_is_refused_even_with_quorum,
            setup_three_managers, teardown),
        cmocka_unit_test_setup_teardown(
            last_manager_leave_warns_about_erasing_state, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(worker_leave_marks_its_node_down,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            forced_leave_of_the_leader_elects_another, setup_three_managers,
            teardown),
        cmocka_unit_test_setup_teardown(
            losing_most_managers_leaves_no_leader, setup_three_managers,
            teardown),
        cmocka_unit_test_setup_teardown(
            quorum_returns_when_a_manager_powers_back, setup_three_managers,
            teardown),
        cmocka_unit_test_setup_teardown(
            power_loss_marks_node_down_with_heartbeat_failure,
            setup_three_managers, teardown),
        cmocka_unit_test_setup_teardown(
            force_new_cluster_keeps_only_this_manager, setup_three_managers,
            teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
