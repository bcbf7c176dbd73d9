/* Tests of services and tasks in the simulated swarm. */
#include "fake_swarm_fixture.h"

#include <time.h>

#define WEB_SPEC                                                             \
    "{\"Name\":\"demo_web\",\"Labels\":{\"com.docker.stack.namespace\":"     \
    "\"demo\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"bb:1\","    \
    "\"Args\":[\"/bin/sleep\",\"1000\"],\"Privileges\":{\"CredentialSpec\":" \
    "null,\"SELinuxContext\":null,\"NoNewPrivileges\":false}},"             \
    "\"Resources\":{},\"Placement\":{},\"ForceUpdate\":0},"                 \
    "\"Mode\":{\"Replicated\":{\"Replicas\":2}},\"EndpointSpec\":{}}"

static int setup_cluster(void **state)
{
    *state = fx_cluster(3);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static const char *str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static json_t *inspect(fx *f, const char *ref)
{
    json_t *s = sl_fake_service_inspect(f->fs, 0, ref, false, &f->err);

    if (!s)
        fail_msg("service inspect failed: %s", f->err.message);
    return s;
}

static uint64_t version_of(json_t *obj)
{
    return (uint64_t)json_integer_value(json_object_get(
        json_object_get(obj, "Version"), "Index"));
}

/* Updates service 'ref' with 'spec' (the current spec when NULL) after
 * 'edit' has changed it; returns 0 or -1. */
static int update_service(fx *f, const char *ref,
                          void (*edit)(json_t *spec))
{
    json_t *svc = inspect(f, ref);
    json_t *spec = json_deep_copy(json_object_get(svc, "Spec"));
    json_t *resp;

    if (edit)
        edit(spec);
    resp = sl_fake_service_update(f->fs, 0, ref, version_of(svc), spec,
                                  &f->err);
    json_decref(svc);
    json_decref(spec);
    if (!resp)
        return -1;
    json_decref(resp);
    return 0;
}

static void set_replicas(json_t *spec, json_int_t n)
{
    json_object_set_new(json_object_get(json_object_get(spec, "Mode"),
                                        "Replicated"),
                        "Replicas", json_integer(n));
}

static void scale_to_5(json_t *spec)
{
    set_replicas(spec, 5);
}

static void scale_to_1(json_t *spec)
{
    set_replicas(spec, 1);
}

static void change_image(json_t *spec)
{
    json_object_set_new(json_object_get(json_object_get(spec,
                                                        "TaskTemplate"),
                                        "ContainerSpec"),
                        "Image", json_string("bb:2"));
}

static void rename_it(json_t *spec)
{
    json_object_set_new(spec, "Name", json_string("other"));
}

static void make_global(json_t *spec)
{
    json_object_set_new(spec, "Mode", json_pack("{s:{}}", "Global"));
}

/* Create ------------------------------------------------------------------ */

static void service_create_returns_id_and_runs_replicas(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *tasks;
    size_t i;

    assert_int_equal(strlen(id), 25);
    tasks = fx_tasks(f, 0, id);
    assert_int_equal(json_array_size(tasks), 2);
    for (i = 0; i < 2; i++) {
        json_t *t = json_array_get(tasks, i);
        json_t *cs = json_object_get(json_object_get(t, "Status"),
                                     "ContainerStatus");

        assert_string_equal(fx_state(t), "running");
        assert_string_equal(str(json_object_get(t, "Status"), "Message"),
                            "started");
        assert_int_equal(strlen(str(cs, "ContainerID")), 64);
        assert_true(json_integer_value(json_object_get(cs, "PID")) > 0);
        assert_non_null(json_object_get(t, "Slot"));
        assert_null(json_object_get(json_object_get(t, "Spec"), "Runtime"));
    }
    json_decref(tasks);
}

static void service_spec_is_stored_as_dockerd_renders_it(void **state)
{
    fx *f = *state;
    json_t *svc = inspect(f, fx_service(f, 0, WEB_SPEC));
    json_t *spec = json_object_get(svc, "Spec");
    json_t *tt = json_object_get(spec, "TaskTemplate");
    json_t *cs = json_object_get(tt, "ContainerSpec");
    json_t *priv = json_object_get(cs, "Privileges");

    assert_string_equal(str(cs, "Isolation"), "default");
    assert_int_equal(json_object_size(priv), 2);
    assert_true(json_is_null(json_object_get(priv, "CredentialSpec")));
    assert_string_equal(str(tt, "Runtime"), "container");
    assert_int_equal(json_integer_value(json_object_get(tt, "ForceUpdate")),
                     0);
    assert_string_equal(str(json_object_get(spec, "EndpointSpec"), "Mode"),
                        "vip");
    assert_int_equal(json_object_size(json_object_get(
                         json_object_get(svc, "Endpoint"), "Spec")),
                     0);
    assert_null(json_object_get(svc, "UpdateStatus"));
    assert_null(json_object_get(svc, "PreviousSpec"));
    json_decref(svc);
}

static void service_name_conflict_is_409(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json(WEB_SPEC);

    fx_service(f, 0, WEB_SPEC);
    assert_null(sl_fake_service_create(f->fs, 0, spec, &f->err));
    assert_int_equal(f->err.http_status, 409);
    assert_string_equal(f->err.message,
                        "rpc error: code = AlreadyExists desc = name "
                        "conflicts with an existing object: service "
                        "demo_web already exists");
    json_decref(spec);
}

static void service_without_image_is_refused(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json("{\"Name\":\"noimage\",\"TaskTemplate\":"
                           "{\"ContainerSpec\":{}}}");

    assert_null(sl_fake_service_create(f->fs, 0, spec, &f->err));
    assert_int_equal(f->err.http_status, 400);
    assert_string_equal(f->err.message,
                        "rpc error: code = InvalidArgument desc = "
                        "ContainerSpec: image reference must be provided");
    json_decref(spec);
}

static void bad_service_name_is_refused(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json("{\"Name\":\"bad name!\",\"TaskTemplate\":"
                           "{\"ContainerSpec\":{\"Image\":\"bb:1\"}}}");

    assert_null(sl_fake_service_create(f->fs, 0, spec, &f->err));
    assert_int_equal(f->err.http_status, 400);
    assert_string_equal(f->err.message,
                        "rpc error: code = InvalidArgument desc = name must "
                        "be valid as a DNS name component");
    json_decref(spec);
}

static void unnamed_service_gets_a_generated_name(void **state)
{
    fx *f = *state;
    json_t *svc = inspect(f, fx_service(f, 0, "{\"TaskTemplate\":"
                                              "{\"ContainerSpec\":"
                                              "{\"Image\":\"bb:1\"}}}"));
    const char *name = str(json_object_get(svc, "Spec"), "Name");

    assert_non_null(strchr(name, '_'));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(json_object_get(
                                             svc, "Spec"),
                                         "Mode"),
                                         "Replicated"),
                         "Replicas")),
                     1);
    json_decref(svc);
}

static void service_on_unknown_network_is_refused(void **state)
{
    fx *f = *state;
    json_t *spec = fx_json("{\"Name\":\"nonet\",\"TaskTemplate\":"
                           "{\"ContainerSpec\":{\"Image\":\"bb:1\"},"
                           "\"Networks\":[{\"Target\":\"nosuchnetwork\"}]}}");

    assert_null(sl_fake_service_create(f->fs, 0, spec, &f->err));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message, "network nosuchnetwork not found");
    json_decref(spec);
}

static void network_target_resolves_to_id_with_a_vip(void **state)
{
    fx *f = *state;
    json_t *req = fx_json("{\"Name\":\"demo_default\",\"Driver\":"
                          "\"overlay\",\"CheckDuplicate\":true}");
    json_t *net = sl_fake_network_create(f->fs, 0, req, &f->err);
    json_t *svc = inspect(f, fx_service(
                                 f, 0,
                                 "{\"Name\":\"web\",\"TaskTemplate\":{"
                                 "\"ContainerSpec\":{\"Image\":\"bb:1\"},"
                                 "\"Networks\":[{\"Target\":\"demo_default\","
                                 "\"Aliases\":[\"web\"]}]}}"));
    json_t *vip = json_array_get(json_object_get(json_object_get(svc,
                                                                 "Endpoint"),
                                                 "VirtualIPs"),
                                 0);
    json_t *tasks = fx_tasks(f, 0, "web");
    json_t *att = json_array_get(json_object_get(json_array_get(tasks, 0),
                                                 "NetworksAttachments"),
                                 0);

    assert_string_equal(
        str(json_array_get(json_object_get(json_object_get(
                               json_object_get(svc, "Spec"), "TaskTemplate"),
                                           "Networks"),
                           0),
            "Target"),
        str(net, "Id"));
    assert_string_equal(str(vip, "Addr"), "10.0.1.2/24");
    assert_string_equal(str(json_object_get(att, "Network"), "ID"),
                        str(net, "Id"));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(att, "Addresses"), 0)),
                        "10.0.1.3/24");
    json_decref(req);
    json_decref(net);
    json_decref(svc);
    json_decref(tasks);
}

static void published_port_is_allocated_and_then_taken(void **state)
{
    fx *f = *state;
    const char *spec = "{\"Name\":\"%s\",\"TaskTemplate\":{\"ContainerSpec\":"
                       "{\"Image\":\"bb:1\"}},\"EndpointSpec\":{\"Ports\":"
                       "[{\"TargetPort\":80%s}]}}";
    char text[512];
    json_t *svc, *port, *req;

    snprintf(text, sizeof(text), spec, "a", "");
    svc = inspect(f, fx_service(f, 0, text));
    port = json_array_get(json_object_get(json_object_get(svc, "Endpoint"),
                                          "Ports"),
                          0);
    assert_int_equal(json_integer_value(json_object_get(port,
                                                        "PublishedPort")),
                     30000);
    assert_string_equal(str(port, "PublishMode"), "ingress");
    assert_string_equal(str(port, "Protocol"), "tcp");
    json_decref(svc);
    snprintf(text, sizeof(text), spec, "b", ",\"PublishedPort\":30000");
    req = fx_json(text);
    assert_null(sl_fake_service_create(f->fs, 0, req, &f->err));
    assert_int_equal(f->err.http_status, 400);
    assert_memory_equal(f->err.message,
                        "rpc error: code = InvalidArgument desc = port "
                        "'30000' is already in use by service 'a'",
                        82);
    json_decref(req);
}

/* List and inspect -------------------------------------------------------- */

static void services_list_with_status_counts_tasks(void **state)
{
    fx *f = *state;
    json_t *list, *st;

    fx_service(f, 0, WEB_SPEC);
    list = sl_fake_services_list(f->fs, 0, NULL, true, &f->err);
    st = json_object_get(json_array_get(list, 0), "ServiceStatus");
    assert_int_equal(json_integer_value(json_object_get(st,
                                                        "RunningTasks")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(st,
                                                        "DesiredTasks")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(st,
                                                        "CompletedTasks")),
                     0);
    json_decref(list);
    list = sl_fake_services_list(f->fs, 0, NULL, false, &f->err);
    assert_null(json_object_get(json_array_get(list, 0), "ServiceStatus"));
    json_decref(list);
}

static void service_list_filters_as_the_cli_uses_them(void **state)
{
    fx *f = *state;
    json_t *by_label = fx_json("{\"label\":{\"com.docker.stack.namespace="
                               "demo\":true}}");
    json_t *by_id = fx_json("{\"id\":{\"demo_web\":true}}");
    json_t *by_name = fx_json("{\"name\":{\"demo\":true}}");
    json_t *bad = fx_json("{\"colour\":{\"red\":true}}");
    json_t *list;

    fx_service(f, 0, WEB_SPEC);
    fx_service(f, 0, "{\"Name\":\"other\",\"TaskTemplate\":"
                     "{\"ContainerSpec\":{\"Image\":\"bb:1\"}}}");
    list = sl_fake_services_list(f->fs, 0, by_label, false, &f->err);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    list = sl_fake_services_list(f->fs, 0, by_id, false, &f->err);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    list = sl_fake_services_list(f->fs, 0, by_name, false, &f->err);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_null(sl_fake_services_list(f->fs, 0, bad, false, &f->err));
    assert_int_equal(f->err.http_status, 400);
    assert_string_equal(f->err.message, "Invalid filter 'colour'");
    json_decref(by_label);
    json_decref(by_id);
    json_decref(by_name);
    json_decref(bad);
}

static void service_not_found_is_404(void **state)
{
    fx *f = *state;

    assert_null(sl_fake_service_inspect(f->fs, 0, "nosuchservice", false,
                                        &f->err));
    assert_int_equal(f->err.http_status, 404);
    assert_string_equal(f->err.message, "service nosuchservice not found");
    assert_int_equal(sl_fake_service_remove(f->fs, 0, "nosuchservice",
                                            &f->err),
                     -1);
    assert_int_equal(f->err.http_status, 404);
}

static void insert_defaults_fills_update_config(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *svc = sl_fake_service_inspect(f->fs, 0, id, true, &f->err);
    json_t *uc = json_object_get(json_object_get(svc, "Spec"),
                                 "UpdateConfig");

    assert_int_equal(json_integer_value(json_object_get(uc, "Parallelism")),
                     1);
    assert_string_equal(str(uc, "FailureAction"), "pause");
    assert_string_equal(str(uc, "Order"), "stop-first");
    json_decref(svc);
    svc = inspect(f, id);
    assert_null(json_object_get(json_object_get(svc, "Spec"),
                                "UpdateConfig"));
    json_decref(svc);
}

/* Update ------------------------------------------------------------------ */

static void scale_up_adds_slots_and_bumps_the_version(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *before = inspect(f, id), *after, *tasks;

    assert_int_equal(update_service(f, id, scale_to_5), 0);
    after = inspect(f, id);
    assert_true(version_of(after) > version_of(before));
    assert_non_null(json_object_get(after, "PreviousSpec"));
    assert_null(json_object_get(after, "UpdateStatus"));
    tasks = fx_tasks(f, 0, id);
    assert_int_equal(json_array_size(tasks), 5);
    json_decref(before);
    json_decref(after);
    json_decref(tasks);
}

static void scale_down_removes_highest_slots_first(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *tasks;

    assert_int_equal(update_service(f, id, scale_to_5), 0);
    assert_int_equal(update_service(f, id, scale_to_1), 0);
    tasks = fx_tasks(f, 0, id);
    assert_int_equal(json_array_size(tasks), 1);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(tasks, 0), "Slot")),
                     1);
    json_decref(tasks);
}

/* Seconds since the epoch of an RFC 3339 time, fraction dropped. */
static long long epoch_of(json_t *obj, const char *key)
{
    struct tm tm = {0};
    const char *text = str(obj, key);

    assert_non_null(text);
    assert_int_equal(sscanf(text, "%d-%d-%dT%d:%d:%d", &tm.tm_year,
                            &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                            &tm.tm_min, &tm.tm_sec),
                     6);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (long long)timegm(&tm);
}

/* Creates WEB_SPEC with 'replicas' (0: global) and the UpdateConfig in
 * 'update_config'; returns its ID (static). */
static const char *web_with(fx *f, int replicas, const char *update_config)
{
    json_t *spec = fx_json(WEB_SPEC);
    char *text;
    const char *id;

    if (replicas)
        set_replicas(spec, replicas);
    else
        make_global(spec);
    json_object_set_new(spec, "UpdateConfig", fx_json(update_config));
    text = json_dumps(spec, 0);
    id = fx_service(f, 0, text);
    free(text);
    json_decref(spec);
    return id;
}

/* How many tasks of 'id' meant to run are running 'image'. */
static int running_image(fx *f, const char *id, const char *image)
{
    json_t *tasks = fx_tasks(f, 0, id);
    size_t i;
    json_t *t;
    int n = 0;

    json_array_foreach(tasks, i, t) {
        json_t *cs = json_object_get(json_object_get(t, "Spec"),
                                     "ContainerSpec");

        n += !strcmp(fx_state(t), "running") && !strcmp(str(cs, "Image"),
                                                        image);
    }
    json_decref(tasks);
    return n;
}

/* The service's UpdateStatus.State, "" without one. */
static const char *update_state(fx *f, const char *id)
{
    static char state[32];
    json_t *svc = inspect(f, id);
    const char *s = str(json_object_get(svc, "UpdateStatus"), "State");

    snprintf(state, sizeof(state), "%s", s ? s : "");
    json_decref(svc);
    return state;
}

static void later(fx *f, int seconds)
{
    sl_clock_advance_ns(f->clock, seconds * SL_NS_PER_SEC);
}

#define ONE_BY_ONE_10S                                                       \
    "{\"Parallelism\":1,\"Delay\":10000000000,\"FailureAction\":\"pause\","  \
    "\"Monitor\":5000000000,\"MaxFailureRatio\":0,\"Order\":\"stop-first\"}"

static void update_replaces_tasks_and_completes(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *svc, *all, *us;
    size_t i;
    int shutdown = 0;

    assert_int_equal(update_service(f, id, change_image), 0);
    svc = inspect(f, id);
    us = json_object_get(svc, "UpdateStatus");
    assert_string_equal(str(us, "State"), "updating");
    assert_string_equal(str(us, "Message"), "update in progress");
    assert_null(json_object_get(us, "CompletedAt"));
    json_decref(svc);
    assert_int_equal(running_image(f, id, "bb:2"), 2);
    /* Done once the new tasks have run for the monitoring period (5 s). */
    later(f, 4);
    assert_string_equal(update_state(f, id), "updating");
    later(f, 1);
    svc = inspect(f, id);
    us = json_object_get(svc, "UpdateStatus");
    assert_string_equal(str(us, "State"), "completed");
    assert_string_equal(str(us, "Message"), "update completed");
    assert_int_equal(epoch_of(us, "CompletedAt") - epoch_of(us, "StartedAt"),
                     5);
    assert_string_equal(str(svc, "UpdatedAt"), str(us, "CompletedAt"));
    all = sl_fake_tasks_list(f->fs, 0, NULL, &f->err);
    for (i = 0; i < json_array_size(all); i++)
        shutdown += !strcmp(fx_state(json_array_get(all, i)), "shutdown");
    assert_int_equal(shutdown, 2);
    json_decref(svc);
    json_decref(all);
}

static void update_rolls_one_task_at_a_time_after_the_delay(void **state)
{
    fx *f = *state;
    const char *id = web_with(f, 4, ONE_BY_ONE_10S);
    int step;

    assert_int_equal(update_service(f, id, change_image), 0);
    for (step = 1; step <= 4; step++) {
        assert_int_equal(running_image(f, id, "bb:2"), step);
        assert_int_equal(running_image(f, id, "bb:1"), 4 - step);
        assert_string_equal(update_state(f, id), "updating");
        later(f, 10);
    }
    /* The last task's delay has passed; the monitoring period has not. */
    later(f, 4);
    assert_string_equal(update_state(f, id), "updating");
    later(f, 1);
    assert_string_equal(update_state(f, id), "completed");
}

static void update_nobody_watched_ends_when_it_would_have(void **state)
{
    fx *f = *state;
    const char *id = web_with(f, 4, ONE_BY_ONE_10S);
    json_t *svc, *us;

    assert_int_equal(update_service(f, id, change_image), 0);
    later(f, 300);
    svc = inspect(f, id);
    us = json_object_get(svc, "UpdateStatus");
    assert_string_equal(str(us, "State"), "completed");
    /* 4 tasks, each followed by 10 s of delay, then 5 s of monitoring. */
    assert_int_equal(epoch_of(us, "CompletedAt") - epoch_of(us, "StartedAt"),
                     45);
    assert_int_equal(running_image(f, id, "bb:2"), 4);
    json_decref(svc);
}

static void update_parallelism_sets_the_batch_size(void **state)
{
    fx *f = *state;
    const char *id = web_with(f, 4,
                              "{\"Parallelism\":2,\"Delay\":10000000000}");

    assert_int_equal(update_service(f, id, change_image), 0);
    assert_int_equal(running_image(f, id, "bb:2"), 2);
    assert_int_equal(running_image(f, id, "bb:1"), 2);
    later(f, 10);
    assert_int_equal(running_image(f, id, "bb:2"), 4);
}

static void update_of_a_global_service_rolls_node_by_node(void **state)
{
    fx *f = *state;
    const char *id = web_with(f, 0, ONE_BY_ONE_10S);

    assert_int_equal(update_service(f, id, change_image), 0);
    assert_int_equal(running_image(f, id, "bb:2"), 1);
    assert_int_equal(running_image(f, id, "bb:1"), 3);
    later(f, 30);
    assert_int_equal(running_image(f, id, "bb:2"), 4);
}

static void reserve_3_cpus(json_t *spec)
{
    json_object_set_new(json_object_get(spec, "TaskTemplate"), "Resources",
                        fx_json("{\"Reservations\":{\"NanoCPUs\":3000000000}}"));
}

static void update_start_first_keeps_old_tasks_until_new_ones_run(
    void **state)
{
    fx *f = *state;
    const char *start_first = web_with(
        f, 4, "{\"Parallelism\":1,\"Order\":\"start-first\"}");
    char id[32];
    json_t *tasks;

    snprintf(id, sizeof(id), "%s", start_first);
    assert_int_equal(update_service(f, id, reserve_3_cpus), 0);
    later(f, 60);
    assert_string_equal(update_state(f, id), "completed");
    /* Every node has room for one of these tasks: the new one cannot
     * start beside the old, so the old keeps running and the update
     * waits. */
    assert_int_equal(update_service(f, id, change_image), 0);
    later(f, 60);
    assert_int_equal(running_image(f, id, "bb:1"), 4);
    assert_string_equal(update_state(f, id), "updating");
    tasks = fx_tasks(f, 0, id);
    assert_int_equal(json_array_size(tasks), 5);
    json_decref(tasks);
}

static void update_without_task_changes_sets_no_status(void **state)
{
    fx *f = *state;
    const char *id = web_with(f, 4, ONE_BY_ONE_10S);

    assert_int_equal(update_service(f, id, change_image), 0);
    /* A scale in the middle starts the update over... */
    later(f, 10);
    assert_int_equal(update_service(f, id, scale_to_5), 0);
    assert_string_equal(update_state(f, id), "updating");
    later(f, 100);
    assert_string_equal(update_state(f, id), "completed");
    assert_int_equal(running_image(f, id, "bb:2"), 5);
    /* ...and one that changes no task leaves no status at all. */
    assert_int_equal(update_service(f, id, scale_to_1), 0);
    later(f, 100);
    assert_string_equal(update_state(f, id), "");
}

static void up_to_date_filter_shows_only_current_tasks(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *filters, *tasks;
    char text[256];

    assert_int_equal(update_service(f, id, change_image), 0);
    snprintf(text, sizeof(text),
             "{\"_up-to-date\":{\"true\":true},\"service\":{\"%s\":true}}",
             id);
    filters = fx_json(text);
    tasks = sl_fake_tasks_list(f->fs, 0, filters, &f->err);
    assert_int_equal(json_array_size(tasks), 2);
    json_decref(tasks);
    json_decref(filters);
}

static void update_with_stale_version_is_out_of_sequence(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    json_t *spec = fx_json(WEB_SPEC);

    assert_null(sl_fake_service_update(f->fs, 0, id, 1, spec, &f->err));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message, "rpc error: code = Unknown desc = "
                                        "update out of sequence");
    json_decref(spec);
}

static void rename_and_mode_change_are_refused(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);

    assert_int_equal(update_service(f, id, rename_it), -1);
    assert_int_equal(f->err.http_status, 501);
    assert_string_equal(f->err.message, "rpc error: code = Unimplemented "
                                        "desc = renaming services is not "
                                        "supported");
    assert_int_equal(update_service(f, id, make_global), -1);
    assert_string_equal(f->err.message, "rpc error: code = Unimplemented "
                                        "desc = service mode change is not "
                                        "allowed");
}

static void service_remove_deletes_its_tasks(void **state)
{
    fx *f = *state;
    json_t *all;

    fx_service(f, 0, WEB_SPEC);
    assert_int_equal(sl_fake_service_remove(f->fs, 0, "demo_web", &f->err),
                     0);
    all = sl_fake_tasks_list(f->fs, 0, NULL, &f->err);
    assert_int_equal(json_array_size(all), 0);
    json_decref(all);
}

static void task_history_is_limited_per_slot(void **state)
{
    fx *f = *state;
    const char *id = fx_service(f, 0, WEB_SPEC);
    char ref[32];
    json_t *filters, *all;
    int i;

    snprintf(ref, sizeof(ref), "%s", id);
    for (i = 0; i < 8; i++) {
        json_t *svc = inspect(f, ref);
        json_t *spec = json_deep_copy(json_object_get(svc, "Spec"));

        json_object_set_new(json_object_get(spec, "TaskTemplate"),
                            "ForceUpdate", json_integer(i + 1));
        json_decref(sl_fake_service_update(f->fs, 0, ref, version_of(svc),
                                           spec, &f->err));
        json_decref(svc);
        json_decref(spec);
    }
    filters = fx_json("{\"name\":{\"demo_web.1.\":true}}");
    all = sl_fake_tasks_list(f->fs, 0, filters, &f->err);
    assert_int_equal(json_array_size(all), 5);
    json_decref(all);
    json_decref(filters);
}

/* Tasks ------------------------------------------------------------------- */

static void task_filters_resolve_service_names_and_nodes(void **state)
{
    fx *f = *state;
    json_t *filters, *tasks;

    fx_service(f, 0, WEB_SPEC);
    filters = fx_json("{\"service\":{\"nosuch\":true}}");
    assert_null(sl_fake_tasks_list(f->fs, 0, filters, &f->err));
    assert_int_equal(f->err.http_status, 404);
    assert_string_equal(f->err.message, "service nosuch not found");
    json_decref(filters);
    filters = fx_json("{\"node\":{\"n2d-mngr-0\":true}}");
    tasks = sl_fake_tasks_list(f->fs, 0, filters, &f->err);
    assert_non_null(tasks);
    json_decref(tasks);
    json_decref(filters);
    filters = fx_json("{\"desired-state\":{\"sleeping\":true}}");
    assert_null(sl_fake_tasks_list(f->fs, 0, filters, &f->err));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message,
                        "Invalid desired-state filter: 'sleeping'");
    json_decref(filters);
}

static void task_label_filter_matches_the_service_labels(void **state)
{
    fx *f = *state;
    json_t *filters = fx_json("{\"label\":{\"com.docker.stack.namespace="
                              "demo\":true}}");
    json_t *tasks;

    fx_service(f, 0, WEB_SPEC);
    fx_service(f, 0, "{\"Name\":\"other\",\"TaskTemplate\":"
                     "{\"ContainerSpec\":{\"Image\":\"bb:1\"}}}");
    tasks = sl_fake_tasks_list(f->fs, 0, filters, &f->err);
    assert_int_equal(json_array_size(tasks), 2);
    json_decref(tasks);
    json_decref(filters);
}

static void task_inspect_by_id_and_not_found(void **state)
{
    fx *f = *state;
    json_t *tasks, *task;

    fx_service(f, 0, WEB_SPEC);
    tasks = fx_tasks(f, 0, "demo_web");
    task = sl_fake_task_inspect(f->fs, 0,
                                str(json_array_get(tasks, 0), "ID"),
                                &f->err);
    assert_string_equal(str(task, "ID"), str(json_array_get(tasks, 0), "ID"));
    json_decref(task);
    json_decref(tasks);
    assert_null(sl_fake_task_inspect(f->fs, 0, "nosuchtask", &f->err));
    assert_int_equal(f->err.http_status, 404);
    assert_string_equal(f->err.message, "task nosuchtask not found");
}

static void power_loss_reschedules_and_leaves_a_ghost(void **state)
{
    fx *f = *state;
    json_t *tasks, *all;
    size_t i;
    int ghosts = 0;

    fx_service(f, 0, "{\"Name\":\"web\",\"TaskTemplate\":{\"ContainerSpec\":"
                     "{\"Image\":\"bb:1\"}},\"Mode\":{\"Replicated\":"
                     "{\"Replicas\":4}}}");
    sl_fake_swarm_set_host_up(f->fs, 2, false);
    tasks = fx_tasks(f, 0, "web");
    assert_int_equal(json_array_size(tasks), 4);
    assert_int_equal(fx_count_on(f, tasks, 2), 0);
    json_decref(tasks);
    all = sl_fake_tasks_list(f->fs, 0, NULL, &f->err);
    for (i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);

        if (!strcmp(str(t, "DesiredState"), "shutdown") &&
            !strcmp(fx_state(t), "running"))
            ghosts++;
    }
    assert_int_equal(ghosts, 1);
    json_decref(all);
    sl_fake_swarm_set_host_up(f->fs, 2, true);
    all = sl_fake_tasks_list(f->fs, 0, NULL, &f->err);
    ghosts = 0;
    for (i = 0; i < json_array_size(all); i++) {
        json_t *t = json_array_get(all, i);

        if (!strcmp(str(t, "DesiredState"), "shutdown") &&
            !strcmp(fx_state(t), "running"))
            ghosts++;
    }
    assert_int_equal(ghosts, 0);
    json_decref(all);
}

/* Global services --------------------------------------------------------- */

static void global_service_gets_a_task_per_node(void **state)
{
    fx *f = *state;
    json_t *tasks;
    int i;

    fx_service(f, 0, "{\"Name\":\"agent\",\"TaskTemplate\":{\"ContainerSpec\":"
                     "{\"Image\":\"bb:1\"}},\"Mode\":{\"Global\":{}}}");
    tasks = fx_tasks(f, 0, "agent");
    assert_int_equal(json_array_size(tasks), 4);
    for (i = 0; i < 4; i++)
        assert_int_equal(fx_count_on(f, tasks, i), 1);
    assert_null(json_object_get(json_array_get(tasks, 0), "Slot"));
    json_decref(tasks);
}

static void global_service_gets_a_task_on_late_joiner(void **state)
{
    fx *f = *state;
    json_t *tasks, *list;
    int late;

    fx_service(f, 0, "{\"Name\":\"agent\",\"TaskTemplate\":{\"ContainerSpec\":"
                     "{\"Image\":\"bb:1\"}},\"Mode\":{\"Global\":{}}}");
    late = fx_host(f, "n2d-wrkr-3", NULL, NULL);
    fx_join(f, late, 0, false);
    tasks = fx_tasks(f, 0, "agent");
    assert_int_equal(json_array_size(tasks), 5);
    assert_int_equal(fx_count_on(f, tasks, late), 1);
    json_decref(tasks);
    list = sl_fake_services_list(f->fs, 0, NULL, true, &f->err);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_array_get(list, 0),
                                         "ServiceStatus"),
                         "DesiredTasks")),
                     5);
    json_decref(list);
}

static void global_service_honours_constraints(void **state)
{
    fx *f = *state;
    json_t *tasks;

    fx_service(f, 0, "{\"Name\":\"agent\",\"TaskTemplate\":{\"ContainerSpec\":"
                     "{\"Image\":\"bb:1\"},\"Placement\":{\"Constraints\":"
                     "[\"node.role==worker\"]}},\"Mode\":{\"Global\":{}}}");
    tasks = fx_tasks(f, 0, "agent");
    assert_int_equal(json_array_size(tasks), 3);
    assert_int_equal(fx_count_on(f, tasks, 0), 0);
    json_decref(tasks);
}

static void global_task_leaves_a_drained_node(void **state)
{
    fx *f = *state;
    json_t *tasks;

    fx_service(f, 0, "{\"Name\":\"agent\",\"TaskTemplate\":{\"ContainerSpec\":"
                     "{\"Image\":\"bb:1\"}},\"Mode\":{\"Global\":{}}}");
    fx_node_update(f, 0, "n2d-wrkr-1", "{}", "worker", "drain");
    tasks = fx_tasks(f, 0, "agent");
    assert_int_equal(json_array_size(tasks), 3);
    assert_int_equal(fx_count_on(f, tasks, 2), 0);
    json_decref(tasks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            service_create_returns_id_and_runs_replicas, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            service_spec_is_stored_as_dockerd_renders_it, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(service_name_conflict_is_409,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(service_without_image_is_refused,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(bad_service_name_is_refused,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            unnamed_service_gets_a_generated_name, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            service_on_unknown_network_is_refused, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            network_target_resolves_to_id_with_a_vip, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            published_port_is_allocated_and_then_taken, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            services_list_with_status_counts_tasks, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            service_list_filters_as_the_cli_uses_them, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(service_not_found_is_404,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(insert_defaults_fills_update_config,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            scale_up_adds_slots_and_bumps_the_version, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            scale_down_removes_highest_slots_first, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            update_rolls_one_task_at_a_time_after_the_delay, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            update_nobody_watched_ends_when_it_would_have, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            update_parallelism_sets_the_batch_size, setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            update_of_a_global_service_rolls_node_by_node, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            update_start_first_keeps_old_tasks_until_new_ones_run,
            setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            update_without_task_changes_sets_no_status, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(update_replaces_tasks_and_completes,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            up_to_date_filter_shows_only_current_tasks, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            update_with_stale_version_is_out_of_sequence, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(rename_and_mode_change_are_refused,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(service_remove_deletes_its_tasks,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(task_history_is_limited_per_slot,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            task_filters_resolve_service_names_and_nodes, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            task_label_filter_matches_the_service_labels, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(task_inspect_by_id_and_not_found,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            power_loss_reschedules_and_leaves_a_ghost, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(global_service_gets_a_task_per_node,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            global_service_gets_a_task_on_late_joiner, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(global_service_honours_constraints,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(global_task_leaves_a_drained_node,
                                        setup_cluster, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
