/* Tests of task placement in the simulated swarm: constraints, spreading. */
#include "fake_swarm_fixture.h"

#include "fake_swarm_int.h"

/* A service spec with 'replicas' replicas and one optional constraint. */
static const char *spec_text(const char *name, int replicas,
                             const char *constraint)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf),
             "{\"Name\":\"%s\",\"TaskTemplate\":{\"ContainerSpec\":"
             "{\"Image\":\"bb:1\",\"Args\":[\"sleep\",\"1d\"]},"
             "\"Placement\":{%s%s%s}},"
             "\"Mode\":{\"Replicated\":{\"Replicas\":%d}}}",
             name, constraint ? "\"Constraints\":[\"" : "",
             constraint ? constraint : "", constraint ? "\"]" : "",
             replicas);
    return buf;
}

static int setup_cluster(void **state)
{
    *state = fx_cluster(5);
    return 0;
}

/* A linux manager, two linux workers and a windows worker. */
static int setup_mixed(void **state)
{
    static const char *const ssd[] = {"storage=ssd", NULL};
    fx *f = fx_new(6);

    fx_host(f, "mgr", NULL, NULL);
    fx_host(f, "lin-a", NULL, ssd);
    fx_host(f, "lin-b", NULL, NULL);
    fx_host(f, "win-a", "windows", NULL);
    fx_init(f, 0);
    fx_join(f, 1, 0, false);
    fx_join(f, 2, 0, false);
    fx_join(f, 3, 0, false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static json_t *create_and_list(fx *f, const char *name, int replicas,
                               const char *constraint)
{
    fx_service(f, 0, spec_text(name, replicas, constraint));
    return fx_tasks(f, 0, name);
}

static const char *task_err(json_t *task)
{
    return json_string_value(
        json_object_get(json_object_get(task, "Status"), "Err"));
}

/* Constraint parsing ------------------------------------------------------ */

static void parse_one(const char *expr, char *msg, size_t size, int *rc)
{
    json_t *exprs = json_pack("[s]", expr);
    fs_constraint *c = NULL;
    size_t n = 0;

    *rc = fs_constraints_parse(exprs, &c, &n, msg, size);
    fs_constraints_free(c, n);
    json_decref(exprs);
}

static void constraint_parsing_follows_swarmkit(void **state)
{
    char msg[256];
    int rc;

    (void)state;
    parse_one("node.labels.os == linux", msg, sizeof(msg), &rc);
    assert_int_equal(rc, 0);
    parse_one("node.role!=manager", msg, sizeof(msg), &rc);
    assert_int_equal(rc, 0);
    parse_one("node.labels.foo", msg, sizeof(msg), &rc);
    assert_int_equal(rc, -1);
    assert_string_equal(msg, "constraint expected one operator from ==, !=");
    parse_one("'node.role==manager'", msg, sizeof(msg), &rc);
    assert_string_equal(msg, "key ''node.role' is invalid");
    parse_one("node.labels.foo==", msg, sizeof(msg), &rc);
    assert_string_equal(msg, "value '' is invalid");
    parse_one("node.labels.foo==a>b", msg, sizeof(msg), &rc);
    assert_string_equal(msg, "value 'a>b' is invalid");
}

static void invalid_constraint_is_refused_at_create(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json(spec_text("c1", 1, "node.labels.foo"));

    assert_null(sl_fake_service_create(f->fs, 0, spec, &f->err));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message,
                        "rpc error: code = Unknown desc = constraint "
                        "expected one operator from ==, !=");
    json_decref(spec);
}

static void unknown_constraint_key_matches_no_node(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "c2", 1, "foo==bar");

    assert_string_equal(fx_state(json_array_get(tasks, 0)), "pending");
    assert_string_equal(task_err(json_array_get(tasks, 0)),
                        "no suitable node (scheduling constraints not "
                        "satisfied on 4 nodes)");
    json_decref(tasks);
}

/* Constraint placement ---------------------------------------------------- */

static void constraint_on_label_places_only_on_matching_nodes(void **state)
{
    fx *f = *state;
    json_t *tasks;

    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-1",
                                    "{\"zone\":\"blue\"}", "worker",
                                    "active"),
                     0);
    tasks = create_and_list(f, "web", 3, "node.labels.zone == blue");
    assert_int_equal(json_array_size(tasks), 3);
    assert_int_equal(fx_count_on(f, tasks, 2), 3);
    json_decref(tasks);
}

static void not_equal_constraint_keeps_tasks_off_managers(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "web", 6, "node.role!=manager");

    assert_int_equal(fx_count_on(f, tasks, 0), 0);
    assert_int_equal(fx_count_on(f, tasks, 1), 2);
    assert_int_equal(fx_count_on(f, tasks, 2), 2);
    assert_int_equal(fx_count_on(f, tasks, 3), 2);
    json_decref(tasks);
}

static void hostname_constraint_pins_the_task(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "db", 2,
                                    "node.hostname==n2d-wrkr-2");

    assert_int_equal(fx_count_on(f, tasks, 3), 2);
    json_decref(tasks);
}

static void node_id_constraint_pins_the_task(void **state)
{
    fx *f = *state;
    char expr[64];
    json_t *tasks;

    snprintf(expr, sizeof(expr), "node.id==%s",
             sl_fake_swarm_node_id(f->fs, 1));
    tasks = create_and_list(f, "db", 1, expr);
    assert_int_equal(fx_count_on(f, tasks, 1), 1);
    json_decref(tasks);
}

static void windows_service_lands_on_windows_nodes(void **state)
{
    fx *f = *state;
    json_t *win = create_and_list(f, "iis", 2,
                                  "node.platform.os == windows");
    json_t *lin = create_and_list(f, "nginx", 6, "node.platform.os==linux");

    assert_int_equal(fx_count_on(f, win, 3), 2);
    assert_int_equal(fx_count_on(f, lin, 3), 0);
    assert_int_equal(json_array_size(lin), 6);
    json_decref(win);
    json_decref(lin);
}

static void engine_label_constraint_uses_daemon_labels(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "fast", 2,
                                    "engine.labels.storage==ssd");
    json_t *node = fx_node(f, 0, "lin-a");

    assert_int_equal(fx_count_on(f, tasks, 1), 2);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(json_object_get(node,
                                                            "Description"),
                                            "Engine"),
                            "Labels"),
            "storage")),
        "ssd");
    json_decref(tasks);
    json_decref(node);
}

/* Spreading --------------------------------------------------------------- */

static void replicas_spread_evenly_over_eligible_nodes(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "web", 8, NULL);
    int i;

    for (i = 0; i < 4; i++)
        assert_int_equal(fx_count_on(f, tasks, i), 2);
    json_decref(tasks);
}

static void spread_prefers_nodes_with_fewer_tasks_in_total(void **state)
{
    fx *f = *state;
    json_t *a = create_and_list(f, "a", 3, "node.role==worker");
    json_t *b = create_and_list(f, "b", 1, NULL);

    assert_int_equal(fx_count_on(f, b, 0), 1);
    json_decref(a);
    json_decref(b);
}

static void placement_is_deterministic(void **state)
{
    fx *a = fx_cluster(77), *b = fx_cluster(77);
    json_t *ta, *tb;
    int i;

    (void)state;
    ta = create_and_list(a, "web", 5, NULL);
    tb = create_and_list(b, "web", 5, NULL);
    for (i = 0; i < 5; i++)
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(ta, (size_t)i),
                                              "NodeID")),
            json_string_value(json_object_get(json_array_get(tb, (size_t)i),
                                              "NodeID")));
    json_decref(ta);
    json_decref(tb);
    fx_free(a);
    fx_free(b);
}

static void spread_preference_balances_over_label_values(void **state)
{
    fx *f = *state;
    json_t *spec, *tasks;

    fx_node_update(f, 0, "n2d-mngr-0", "{\"az\":\"1\"}", "manager",
                   "active");
    fx_node_update(f, 0, "n2d-wrkr-0", "{\"az\":\"1\"}", "worker",
                   "active");
    fx_node_update(f, 0, "n2d-wrkr-1", "{\"az\":\"1\"}", "worker",
                   "active");
    fx_node_update(f, 0, "n2d-wrkr-2", "{\"az\":\"2\"}", "worker",
                   "active");
    spec = fx_json("{\"Name\":\"spread\",\"TaskTemplate\":{\"ContainerSpec\":"
                   "{\"Image\":\"bb:1\"},\"Placement\":{\"Preferences\":"
                   "[{\"Spread\":{\"SpreadDescriptor\":\"node.labels.az\"}}]"
                   "}},\"Mode\":{\"Replicated\":{\"Replicas\":4}}}");
    json_decref(sl_fake_service_create(f->fs, 0, spec, &f->err));
    tasks = fx_tasks(f, 0, "spread");
    assert_int_equal(fx_count_on(f, tasks, 3), 2);
    json_decref(tasks);
    json_decref(spec);
}

static void removed_label_gets_the_task_rejected_and_replaced(void **state)
{
    fx *f = *state;
    json_t *tasks, *all, *filters;
    size_t i;
    int rejected = 0;

    fx_node_update(f, 0, "n2d-wrkr-0", "{\"disk\":\"ssd\"}", "worker",
                   "active");
    fx_node_update(f, 0, "n2d-wrkr-1", "{\"disk\":\"ssd\"}", "worker",
                   "active");
    tasks = create_and_list(f, "db", 1, "node.labels.disk==ssd");
    assert_int_equal(fx_count_on(f, tasks, 1), 1);
    json_decref(tasks);
    fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker", "active");
    tasks = fx_tasks(f, 0, "db");
    assert_int_equal(fx_count_on(f, tasks, 2), 1);
    json_decref(tasks);
    filters = json_pack("{s:{s:b}}", "service", "db", 1);
    all = sl_fake_tasks_list(f->fs, 0, filters, &f->err);
    for (i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);

        if (strcmp(fx_state(t), "rejected"))
            continue;
        rejected++;
        assert_string_equal(task_err(t), "assigned node no longer meets "
                                         "constraints");
        assert_string_equal(json_string_value(json_object_get(
                                t, "DesiredState")),
                            "shutdown");
    }
    assert_int_equal(rejected, 1);
    json_decref(all);
    json_decref(filters);
}

static void demoted_node_is_scheduled_as_a_manager_for_a_while(void **state)
{
    fx *f = *state;
    json_t *tasks;

    fx_node_update(f, 0, "n2d-wrkr-0", "{}", "manager", "active");
    sl_clock_advance_ns(f->clock, 2 * SL_NS_PER_SEC);
    fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker", "active");
    tasks = create_and_list(f, "ctl", 2, "node.role==manager");
    assert_int_equal(fx_count_on(f, tasks, 1), 1);
    json_decref(tasks);
    sl_clock_advance_ns(f->clock, 3 * SL_NS_PER_SEC);
    tasks = fx_tasks(f, 0, "ctl");
    assert_int_equal(fx_count_on(f, tasks, 1), 0);
    assert_int_equal(fx_count_on(f, tasks, 0), 2);
    json_decref(tasks);
}

/* What fits nowhere ------------------------------------------------------- */

static void task_that_fits_nowhere_stays_pending(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "nowhere", 1,
                                    "node.labels.gpu==yes");
    json_t *t = json_array_get(tasks, 0);

    assert_string_equal(fx_state(t), "pending");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(t, "Status"), "Message")),
                        "pending task scheduling");
    assert_string_equal(task_err(t), "no suitable node (scheduling "
                                     "constraints not satisfied on 4 "
                                     "nodes)");
    assert_null(json_object_get(t, "NodeID"));
    assert_null(json_object_get(json_object_get(t, "Status"),
                                "ContainerStatus"));
    json_decref(tasks);
}

static void pending_task_runs_once_a_node_matches(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "gpu", 1, "node.labels.gpu==yes");

    json_decref(tasks);
    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-2", "{\"gpu\":\"yes\"}",
                                    "worker", "active"),
                     0);
    tasks = fx_tasks(f, 0, "gpu");
    assert_string_equal(fx_state(json_array_get(tasks, 0)), "running");
    assert_int_equal(fx_count_on(f, tasks, 3), 1);
    assert_null(task_err(json_array_get(tasks, 0)));
    json_decref(tasks);
}

static void reservations_limit_placement(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json(
        "{\"Name\":\"big\",\"TaskTemplate\":{\"ContainerSpec\":"
        "{\"Image\":\"bb:1\"},\"Resources\":{\"Reservations\":"
        "{\"NanoCPUs\":3000000000}}},"
        "\"Mode\":{\"Replicated\":{\"Replicas\":5}}}");
    json_t *tasks;
    size_t i, pending = 0;

    json_decref(sl_fake_service_create(f->fs, 0, spec, &f->err));
    tasks = fx_tasks(f, 0, "big");
    for (i = 0; i < json_array_size(tasks); i++) {
        json_t *t = json_array_get(tasks, i);

        if (!strcmp(fx_state(t), "pending")) {
            pending++;
            assert_string_equal(task_err(t), "no suitable node "
                                             "(insufficient resources on 4 "
                                             "nodes)");
        }
    }
    assert_int_equal(pending, 1);
    json_decref(tasks);
    json_decref(spec);
}

static void max_replicas_per_node_is_honoured(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json(
        "{\"Name\":\"one\",\"TaskTemplate\":{\"ContainerSpec\":"
        "{\"Image\":\"bb:1\"},\"Placement\":{\"MaxReplicas\":1}},"
        "\"Mode\":{\"Replicated\":{\"Replicas\":5}}}");
    json_t *tasks;
    size_t i, pending = 0;

    json_decref(sl_fake_service_create(f->fs, 0, spec, &f->err));
    tasks = fx_tasks(f, 0, "one");
    for (i = 0; i < 4; i++)
        assert_int_equal(fx_count_on(f, tasks, (int)i), 1);
    for (i = 0; i < json_array_size(tasks); i++) {
        json_t *t = json_array_get(tasks, i);

        if (!strcmp(fx_state(t), "pending")) {
            pending++;
            assert_string_equal(task_err(t), "no suitable node (max "
                                             "replicas per node limit "
                                             "exceed)");
        }
    }
    assert_int_equal(pending, 1);
    json_decref(tasks);
    json_decref(spec);
}

static void drain_moves_tasks_away(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "web", 4, NULL);
    json_t *all, *filters;
    size_t i;
    int shutdown = 0;

    assert_int_equal(fx_count_on(f, tasks, 1), 1);
    json_decref(tasks);
    assert_int_equal(fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker",
                                    "drain"),
                     0);
    tasks = fx_tasks(f, 0, "web");
    assert_int_equal(json_array_size(tasks), 4);
    assert_int_equal(fx_count_on(f, tasks, 1), 0);
    json_decref(tasks);
    filters = json_pack("{s:{s:b}}", "service", "web", 1);
    all = sl_fake_tasks_list(f->fs, 0, filters, &f->err);
    for (i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);

        if (!strcmp(fx_state(t), "shutdown")) {
            shutdown++;
            assert_string_equal(json_string_value(json_object_get(
                                    t, "DesiredState")),
                                "shutdown");
        }
    }
    assert_int_equal(shutdown, 1);
    json_decref(all);
    json_decref(filters);
}

static void pause_keeps_tasks_but_takes_no_new_ones(void **state)
{
    fx *f = *state;
    json_t *tasks = create_and_list(f, "web", 4, NULL);

    json_decref(tasks);
    fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker", "pause");
    tasks = fx_tasks(f, 0, "web");
    assert_int_equal(fx_count_on(f, tasks, 1), 1);
    json_decref(tasks);
    tasks = create_and_list(f, "more", 3, NULL);
    assert_int_equal(fx_count_on(f, tasks, 1), 0);
    json_decref(tasks);
}

static void unavailable_nodes_are_explained(void **state)
{
    fx *f = *state;
    json_t *tasks;

    sl_fake_swarm_set_host_up(f->fs, 3, false);
    tasks = create_and_list(f, "pinned", 1, "node.hostname==n2d-wrkr-2");
    assert_string_equal(task_err(json_array_get(tasks, 0)),
                        "no suitable node (scheduling constraints not "
                        "satisfied on 3 nodes; 1 node not available for new "
                        "tasks)");
    json_decref(tasks);
    fx_node_update(f, 0, "n2d-wrkr-0", "{}", "worker", "drain");
    tasks = create_and_list(f, "pinned-too", 1,
                            "node.hostname==n2d-wrkr-2");
    assert_string_equal(task_err(json_array_get(tasks, 0)),
                        "no suitable node (2 nodes not available for new "
                        "tasks; scheduling constraints not satisfied on 2 "
                        "nodes)");
    json_decref(tasks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(constraint_parsing_follows_swarmkit),
        cmocka_unit_test_setup_teardown(
            invalid_constraint_is_refused_at_create, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            unknown_constraint_key_matches_no_node, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            constraint_on_label_places_only_on_matching_nodes, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            not_equal_constraint_keeps_tasks_off_managers, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(hostname_constraint_pins_the_task,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(node_id_constraint_pins_the_task,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            windows_service_lands_on_windows_nodes, setup_mixed, teardown),
        cmocka_unit_test_setup_teardown(
            engine_label_constraint_uses_daemon_labels, setup_mixed,
            teardown),
        cmocka_unit_test_setup_teardown(
            replicas_spread_evenly_over_eligible_nodes, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            spread_prefers_nodes_with_fewer_tasks_in_total, setup_cluster,
            teardown),
        cmocka_unit_test(placement_is_deterministic),
        cmocka_unit_test_setup_teardown(
            spread_preference_balances_over_label_values, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            removed_label_gets_the_task_rejected_and_replaced, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            demoted_node_is_scheduled_as_a_manager_for_a_while,
            setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(task_that_fits_nowhere_stays_pending,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            pending_task_runs_once_a_node_matches, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(reservations_limit_placement,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(max_replicas_per_node_is_honoured,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(drain_moves_tasks_away,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            pause_keeps_tasks_but_takes_no_new_ones, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(unavailable_nodes_are_explained,
                                        setup_cluster, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
