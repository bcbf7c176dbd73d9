/* The simulated swarm without a registry: rejected tasks and restarts. */
#include "fake_swarm_fixture.h"

#include "image_tar.h"

/*
 * fixtures/real/traces/service-missing-image.txt is what a real dockerd
 * 20.10 swarm (no registry reachable) did with two services of three
 * replicas: "nosuch:1", which no node held, and "bb:2", which one node
 * held. Each rejected task was replaced at once by one desired "ready",
 * placed and rejected in turn; a new attempt came every 5 s (the restart
 * delay); a slot kept 5 tasks. The service whose image one node held had
 * all its replicas on that node after about 20 s.
 */

#define SERVICE_SPEC                                                         \
    "{\"Name\":\"%s\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":"       \
    "\"%s\",\"Command\":[\"/bin/busybox\",\"sleep\",\"1d\"]}%s},"            \
    "\"Mode\":{\"Replicated\":{\"Replicas\":3}}}"

/* Three hosts as in the recording: a manager and two workers. */
static int setup(void **state)
{
    fx *f = fx_new(21);

    fx_host(f, "node-0", NULL, NULL);
    fx_host(f, "node-1", NULL, NULL);
    fx_host(f, "node-2", NULL, NULL);
    fx_init(f, 0);
    fx_join(f, 1, 0, false);
    fx_join(f, 2, 0, false);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

/* Imports a one-file image as 'ref' into the engine of 'host'. */
static void import(fx *f, int host, const char *ref)
{
    static const char script[] = "#!/bin/sh\n";
    char *tar = NULL;
    size_t len;
    json_t *id;

    assert_int_equal(sl_image_tar_file("bin/sh", script, sizeof(script) - 1,
                                       &tar, &len, NULL),
                     0);
    id = sl_fake_image_import(f->fs, host, ref, NULL, tar, len, &f->err);
    if (!id)
        fail_msg("import '%s': %s", ref, f->err.message);
    json_decref(id);
    free(tar);
}

/* Creates a 3-replica service 'name' of 'image'; 'extra' is more of its
 * TaskTemplate (JSON members with a leading comma, or ""). */
static const char *service(fx *f, const char *name, const char *image,
                           const char *extra)
{
    char text[1024];

    snprintf(text, sizeof(text), SERVICE_SPEC, name, image, extra);
    return fx_service(f, 0, text);
}

/* Every task of the service 'id', whatever its desired state. */
static json_t *all_tasks(fx *f, const char *id)
{
    json_t *filters = json_pack("{s:{s:b}}", "service", id, 1);
    json_t *tasks = sl_fake_tasks_list(f->fs, 0, filters, &f->err);

    json_decref(filters);
    if (!tasks)
        fail_msg("task list failed: %s", f->err.message);
    return tasks;
}

static int slot_of(json_t *t)
{
    return (int)json_integer_value(json_object_get(t, "Slot"));
}

static const char *desired_of(json_t *t)
{
    return json_string_value(json_object_get(t, "DesiredState"));
}

/* How many tasks of the service 'id' are in slot 'slot'. */
static int tasks_in_slot(fx *f, const char *id, int slot)
{
    json_t *tasks = all_tasks(f, id);
    size_t i;
    json_t *t;
    int n = 0;

    json_array_foreach(tasks, i, t)
        n += slot_of(t) == slot;
    json_decref(tasks);
    return n;
}

/* How many tasks of the service 'id' are running, and on 'host'. */
static int running(fx *f, const char *id, int host, int *on_host)
{
    json_t *tasks = all_tasks(f, id);
    const char *node = sl_fake_swarm_node_id(f->fs, host);
    size_t i;
    json_t *t;
    int n = 0;

    *on_host = 0;
    json_array_foreach(tasks, i, t) {
        if (strcmp(fx_state(t), "running"))
            continue;
        n++;
        *on_host += !strcmp(json_string_value(json_object_get(t, "NodeID")),
                            node);
    }
    json_decref(tasks);
    return n;
}

static void later_ms(fx *f, int ms)
{
    sl_clock_advance_ns(f->clock, (int64_t)ms * (SL_NS_PER_SEC / 1000));
}

static void rejected_task_reads_as_the_real_one(void **state)
{
    fx *f = *state;
    json_t *real = sl_test_load_json(
        "fixtures/real/api/task-inspect-rejected.json");
    json_t *want = json_object_get(real, "body");
    json_t *tasks, *t, *newest = NULL;
    const char *id;
    size_t i;

    sl_fake_swarm_set_offline(f->fs, true);
    id = service(f, "ghost", "nosuch:1", "");
    tasks = all_tasks(f, id);
    json_array_foreach(tasks, i, t) {
        if (slot_of(t) == 1 && !strcmp(desired_of(t), "ready"))
            newest = t;
    }
    assert_non_null(newest);
    /* As recorded: the newest run of a slot waits out the restart delay,
     * desired "ready", rejected by its node while preparing. */
    assert_string_equal(desired_of(newest), desired_of(want));
    assert_string_equal(fx_state(newest),
                        fx_state(want));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(newest, "Status"),
                                          "Message")),
        json_string_value(json_object_get(json_object_get(want, "Status"),
                                          "Message")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(newest, "Status"),
                                          "Err")),
        json_string_value(json_object_get(json_object_get(want, "Status"),
                                          "Err")));
    assert_non_null(json_object_get(newest, "NodeID"));
    json_decref(tasks);
    json_decref(real);
}

static void missing_image_is_retried_every_restart_delay(void **state)
{
    fx *f = *state;
    const char *id;
    int on;

    sl_fake_swarm_set_offline(f->fs, true);
    id = service(f, "ghost", "nosuch:1", "");
    /* The rejected first run and its replacement, as at 0.4 s. */
    assert_int_equal(tasks_in_slot(f, id, 1), 2);
    later_ms(f, 4900);
    assert_int_equal(tasks_in_slot(f, id, 1), 2);
    later_ms(f, 200);
    assert_int_equal(tasks_in_slot(f, id, 1), 3);
    later_ms(f, 5000);
    assert_int_equal(tasks_in_slot(f, id, 1), 4);
    /* Nobody looked for a while: the attempts happened all the same, and
     * the slot keeps the history's 5 tasks. */
    later_ms(f, 40000);
    assert_int_equal(tasks_in_slot(f, id, 1), 5);
    assert_int_equal(running(f, id, 0, &on), 0);
}

static void replicas_end_on_the_node_that_holds_the_image(void **state)
{
    fx *f = *state;
    const char *id;
    int on_node2 = 0;

    import(f, 2, "bb:2");
    sl_fake_swarm_set_offline(f->fs, true);
    id = service(f, "some", "bb:2", "");
    assert_true(running(f, id, 2, &on_node2) < 3);
    /* Nodes that rejected the service's tasks five times are tried last:
     * recorded, every replica ran on node-2 about 26 s after creation. */
    later_ms(f, 30000);
    assert_int_equal(running(f, id, 2, &on_node2), 3);
    assert_int_equal(on_node2, 3);
}

static void restart_condition_none_leaves_the_task_rejected(void **state)
{
    fx *f = *state;
    const char *id;
    json_t *tasks;
    int on;

    sl_fake_swarm_set_offline(f->fs, true);
    id = service(f, "once", "nosuch:1",
                 ",\"RestartPolicy\":{\"Condition\":\"none\"}");
    later_ms(f, 20000);
    assert_int_equal(tasks_in_slot(f, id, 1), 1);
    tasks = all_tasks(f, id);
    assert_string_equal(fx_state(json_array_get(tasks, 0)), "rejected");
    assert_string_equal(desired_of(json_array_get(tasks, 0)), "running");
    json_decref(tasks);
    assert_int_equal(running(f, id, 0, &on), 0);
}

static void with_a_registry_any_image_runs(void **state)
{
    fx *f = *state;
    const char *id;
    int on;

    id = service(f, "pulled", "nosuch:1", "");
    assert_int_equal(running(f, id, 0, &on), 3);
    assert_int_equal(tasks_in_slot(f, id, 1), 1);
}

/* Updates the service 'id' to 'image', with 'update_config' (JSON text)
 * as its UpdateConfig when not NULL. */
static void update_to(fx *f, const char *id, const char *image,
                      const char *update_config)
{
    json_t *svc = sl_fake_service_inspect(f->fs, 0, id, false, &f->err);
    json_t *spec, *resp;

    assert_non_null(svc);
    spec = json_deep_copy(json_object_get(svc, "Spec"));
    json_object_set_new(json_object_get(json_object_get(spec,
                                                        "TaskTemplate"),
                                        "ContainerSpec"),
                        "Image", json_string(image));
    if (update_config)
        json_object_set_new(spec, "UpdateConfig", fx_json(update_config));
    resp = sl_fake_service_update(
        f->fs, 0, id,
        (uint64_t)json_integer_value(json_object_get(
            json_object_get(svc, "Version"), "Index")),
        spec, &f->err);
    if (!resp)
        fail_msg("service update failed: %s", f->err.message);
    json_decref(resp);
    json_decref(spec);
    json_decref(svc);
}

/* The service's UpdateStatus field 'key', "" without one (static). */
static const char *update_status(fx *f, const char *id, const char *key)
{
    static char out[256];
    json_t *svc = sl_fake_service_inspect(f->fs, 0, id, false, &f->err);
    const char *v = json_string_value(json_object_get(
        json_object_get(svc, "UpdateStatus"), key));

    snprintf(out, sizeof(out), "%s", v ? v : "");
    json_decref(svc);
    return out;
}

/* Offline, with bb:1 on every host: a 3-replica service "web" of it,
 * whose ID goes to 'buf'. */
static const char *web_everywhere(fx *f, char *buf, size_t size)
{
    for (int h = 0; h < 3; h++)
        import(f, h, "bb:1");
    sl_fake_swarm_set_offline(f->fs, true);
    snprintf(buf, size, "%s", service(f, "web", "bb:1", ""));
    return buf;
}

static void update_to_a_missing_image_pauses_at_the_first_failure(
    void **state)
{
    fx *f = *state;
    const char *id;
    char sid[32];
    int on;

    id = web_everywhere(f, sid, sizeof(sid));
    assert_int_equal(running(f, id, 0, &on), 3);
    update_to(f, id, "nosuch:2", NULL);
    later_ms(f, 1000);
    /* One task at a time, stop-first: the first new one is rejected and
     * the update pauses (FailureAction "pause", MaxFailureRatio 0); the
     * other two slots keep their old tasks. */
    assert_string_equal(update_status(f, id, "State"), "paused");
    assert_non_null(strstr(update_status(f, id, "Message"),
                           "update paused due to failure or early "
                           "termination of task "));
    later_ms(f, 30000);
    assert_string_equal(update_status(f, id, "State"), "paused");
    assert_int_equal(running(f, id, 0, &on), 2);
}

static void update_with_failure_action_continue_rolls_on(void **state)
{
    fx *f = *state;
    const char *id;
    char sid[32];
    int on;

    id = web_everywhere(f, sid, sizeof(sid));
    update_to(f, id, "nosuch:2",
              "{\"Parallelism\": 1, \"FailureAction\": \"continue\", "
              "\"Monitor\": 5000000000, \"Order\": \"stop-first\"}");
    later_ms(f, 30000);
    assert_string_equal(update_status(f, id, "State"), "completed");
    assert_int_equal(running(f, id, 0, &on), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rejected_task_reads_as_the_real_one,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            missing_image_is_retried_every_restart_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(
            replicas_end_on_the_node_that_holds_the_image, setup, teardown),
        cmocka_unit_test_setup_teardown(
            restart_condition_none_leaves_the_task_rejected, setup,
            teardown),
        cmocka_unit_test_setup_teardown(with_a_registry_any_image_runs,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            update_to_a_missing_image_pauses_at_the_first_failure, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            update_with_failure_action_continue_rolls_on, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
