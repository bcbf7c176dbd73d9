/* Docker client calls: requests as the CLI sends them, typed answers. */
#include "testutil.h"

#include "docker_client.h"
#include "docker_test_server.h"

/* Answers recorded from dockerd 20.10.24, trimmed to what matters. */
#define NODE_ID "j82ba65w1jl83lw52o5g0ek72"
#define SERVICE_ID "7uz2x74fin2ofya47kdexvrar"
#define WORKER_TOKEN                                                        \
    "SWMTKN-1-4h9rcikqqw2m0wxdsgr6pi2skdy708tox5txkt5no259883m9a-"          \
    "ayd2yq7kjqvn5rem4ri11kewj"
#define MANAGER_TOKEN                                                       \
    "SWMTKN-1-4h9rcikqqw2m0wxdsgr6pi2skdy708tox5txkt5no259883m9a-"          \
    "33k4xgy4jd4vrqv6wcg0rtf2a"

static const char info_body[] =
    "{\"ID\":\"IUPE:PDRX:YCVQ:UB7U:3KNJ:E7EB:LJBY:EKDT:2XMB:JQDP:HNX3:GRYW\","
    "\"Containers\":0,\"Images\":1,\"Driver\":\"overlay2\","
    "\"KernelVersion\":\"6.18.44-fc-v1147\","
    "\"OperatingSystem\":\"Debian GNU/Linux 12 (bookworm)\","
    "\"OSVersion\":\"12\",\"OSType\":\"linux\",\"Architecture\":\"x86_64\","
    "\"NCPU\":2,\"MemTotal\":25276071936,\"Name\":\"vm\",\"Labels\":[],"
    "\"ServerVersion\":\"20.10.24+dfsg1\","
    "\"Swarm\":{\"NodeID\":\"" NODE_ID "\",\"NodeAddr\":\"127.0.0.1\","
    "\"LocalNodeState\":\"active\",\"ControlAvailable\":true,\"Error\":\"\","
    "\"RemoteManagers\":[{\"NodeID\":\"" NODE_ID "\","
    "\"Addr\":\"127.0.0.1:2377\"}],\"Nodes\":1,\"Managers\":1,"
    "\"Cluster\":{\"ID\":\"k461exwzbyzvu7nqkgxjg5ahd\","
    "\"Version\":{\"Index\":10}}},\"Warnings\":null}";

static const char version_body[] =
    "{\"Platform\":{\"Name\":\"\"},\"Version\":\"20.10.24+dfsg1\","
    "\"ApiVersion\":\"1.41\",\"MinAPIVersion\":\"1.12\","
    "\"GitCommit\":\"5d6db84\",\"GoVersion\":\"go1.19.8\",\"Os\":\"linux\","
    "\"Arch\":\"amd64\",\"KernelVersion\":\"6.18.44-fc-v1147\"}";

static const char swarm_body[] =
    "{\"ID\":\"k461exwzbyzvu7nqkgxjg5ahd\",\"Version\":{\"Index\":10},"
    "\"CreatedAt\":\"2026-12-03T15:52:13.987872219Z\","
    "\"UpdatedAt\":\"2026-12-03T15:52:14.512224434Z\","
    "\"Spec\":{\"Name\":\"default\",\"Labels\":{},"
    "\"Orchestration\":{\"TaskHistoryRetentionLimit\":5}},"
    "\"JoinTokens\":{\"Worker\":\"" WORKER_TOKEN "\","
    "\"Manager\":\"" MANAGER_TOKEN "\"}}";

static const char node_body[] =
    "{\"ID\":\"" NODE_ID "\",\"Version\":{\"Index\":9},"
    "\"Spec\":{\"Labels\":{\"zone\":\"a\"},\"Role\":\"manager\","
    "\"Availability\":\"active\"},"
    "\"Description\":{\"Hostname\":\"vm\",\"Platform\":{"
    "\"Architecture\":\"x86_64\",\"OS\":\"linux\"},\"Resources\":{"
    "\"NanoCPUs\":2000000000,\"MemoryBytes\":25276071936},"
    "\"Engine\":{\"EngineVersion\":\"20.10.24+dfsg1\"}},"
    "\"Status\":{\"State\":\"ready\",\"Addr\":\"127.0.0.1\"},"
    "\"ManagerStatus\":{\"Leader\":true,\"Reachability\":\"reachable\","
    "\"Addr\":\"127.0.0.1:2377\"}}";

static const char service_body[] =
    "{\"ID\":\"" SERVICE_ID "\",\"Version\":{\"Index\":15},"
    "\"CreatedAt\":\"2026-12-03T15:52:14.996Z\","
    "\"Spec\":{\"Name\":\"demo_web\",\"Labels\":{"
    "\"com.docker.stack.image\":\"bb:1\","
    "\"com.docker.stack.namespace\":\"demo\"},\"TaskTemplate\":{"
    "\"ContainerSpec\":{\"Image\":\"bb:1\",\"Args\":[\"/bin/sleep\","
    "\"1000\"]},\"Placement\":{\"Constraints\":[\"node.labels.os == "
    "linux\"]},\"ForceUpdate\":0,\"Runtime\":\"container\"},"
    "\"Mode\":{\"Replicated\":{\"Replicas\":2}},"
    "\"EndpointSpec\":{\"Mode\":\"vip\"}},"
    "\"ServiceStatus\":{\"RunningTasks\":2,\"DesiredTasks\":2}}";

static const char tasks_body[] =
    "[{\"ID\":\"3uuc95ncprrdk63g3bx17g5ge\",\"Version\":{\"Index\":22},"
    "\"ServiceID\":\"" SERVICE_ID "\",\"Slot\":2,\"NodeID\":\"" NODE_ID "\","
    "\"Status\":{\"Timestamp\":\"2026-12-03T15:52:16.902804223Z\","
    "\"State\":\"running\",\"Message\":\"started\",\"ContainerStatus\":{"
    "\"ContainerID\":\"6f1ae3dfc988\",\"PID\":8572,\"ExitCode\":0}},"
    "\"DesiredState\":\"running\"},"
    "{\"ID\":\"i8qvq1c8uq8ijtu54ot8k3tid\",\"Version\":{\"Index\":23},"
    "\"ServiceID\":\"" SERVICE_ID "\",\"Slot\":1,\"NodeID\":\"" NODE_ID "\","
    "\"Status\":{\"State\":\"rejected\",\"Message\":\"preparing\","
    "\"Err\":\"No such image: bb:1\"},\"DesiredState\":\"shutdown\"}]";

/* The query strings the docker CLI 28.2 sent in the recorded session. */
#define STACK_FILTER                                                        \
    "%7B%22label%22%3A%7B%22com.docker.stack.namespace%3Ddemo%22%3Atrue"    \
    "%7D%7D"
#define UP_TO_DATE_FILTER                                                   \
    "%7B%22_up-to-date%22%3A%7B%22true%22%3Atrue%7D%2C%22service%22%3A"     \
    "%7B%22" SERVICE_ID "%22%3Atrue%7D%7D"

static int setup(void **state)
{
    test_server *s = ts_start_tcp();

    ts_ping(s, "1.41");
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    ts_stop(*state);
    return 0;
}

static sl_docker_client *client_for(test_server *s)
{
    sl_docker_config cfg = {.host = s->url, .timeout_ms = 3000};
    sl_error err;
    sl_docker_client *c = sl_docker_client_new(&cfg, &err);

    if (!c)
        fail_msg("cannot make a client: %s", err.message);
    return c;
}

/* Checks that the body of request 'i' is JSON equal to 'expect'. */
static void assert_body(test_server *s, int i, const char *expect)
{
    json_t *got = json_loads(ts_req(s, i)->body, 0, NULL);
    json_t *want = json_loads(expect, 0, NULL);

    assert_non_null(want);
    if (!got || !json_equal(got, want))
        fail_msg("request %d: expected body %s, got %s", i, expect,
                 ts_req(s, i)->body);
    json_decref(got);
    json_decref(want);
}

/* Filters ----------------------------------------------------------------- */

static void filters_are_encoded_as_the_cli_does(void **state)
{
    sl_docker_filter stack[] = {{"label", "com.docker.stack.namespace=demo"}};
    sl_docker_filter tasks[] = {
        {"service", SERVICE_ID}, {"_up-to-date", "true"},
    };
    sl_docker_filter two[] = {
        {"role", "worker"}, {"label", "b"}, {"role", "manager"},
    };
    sl_docker_filter odd[] = {{"label", "a b<c>&d"}};
    char *out;

    (void)state;
    out = sl_docker_filters_encode(stack, 1);
    assert_string_equal(out, STACK_FILTER);
    free(out);
    out = sl_docker_filters_encode(tasks, 2);
    assert_string_equal(out, UP_TO_DATE_FILTER);
    free(out);
    out = sl_docker_filters_encode(two, 3);
    assert_string_equal(out, "%7B%22label%22%3A%7B%22b%22%3Atrue%7D%2C"
                             "%22role%22%3A%7B%22manager%22%3Atrue%2C"
                             "%22worker%22%3Atrue%7D%7D");
    free(out);
    out = sl_docker_filters_encode(odd, 1);
    assert_string_equal(out, "%7B%22label%22%3A%7B%22a+b%5Cu003cc%5Cu003e"
                             "%5Cu0026d%22%3Atrue%7D%7D");
    free(out);
    out = sl_docker_filters_encode(NULL, 0);
    assert_string_equal(out, "%7B%7D");
    free(out);
}

static void tasks_list_sends_filters_as_the_cli_does(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_filter f[] = {
        {"service", SERVICE_ID}, {"_up-to-date", "true"},
    };
    sl_docker_task_list *tasks;
    sl_error err;

    ts_json(s, 200, tasks_body);
    tasks = sl_docker_tasks_list(c, f, 2, &err);
    if (!tasks)
        fail_msg("%s", err.message);
    ts_assert_line(s, 1, "GET /v1.41/tasks?filters=" UP_TO_DATE_FILTER
                         " HTTP/1.1");

    assert_int_equal(tasks->count, 2);
    assert_string_equal(tasks->items[0].id, "3uuc95ncprrdk63g3bx17g5ge");
    assert_string_equal(tasks->items[0].service_id, SERVICE_ID);
    assert_string_equal(tasks->items[0].node_id, NODE_ID);
    assert_int_equal(tasks->items[0].slot, 2);
    assert_int_equal(tasks->items[0].version, 22);
    assert_string_equal(tasks->items[0].state, "running");
    assert_string_equal(tasks->items[0].desired_state, "running");
    assert_string_equal(tasks->items[0].container_id, "6f1ae3dfc988");
    assert_string_equal(tasks->items[0].error, "");
    assert_string_equal(tasks->items[1].state, "rejected");
    assert_string_equal(tasks->items[1].error, "No such image: bb:1");
    assert_string_equal(tasks->items[1].timestamp, "");
    sl_docker_task_list_free(tasks);
    sl_docker_client_free(c);
}

static void services_list_with_status_asks_as_the_cli_does(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_filter f = {"label", "com.docker.stack.namespace=demo"};
    sl_docker_service_list *list;
    char body[4096];
    sl_error err;

    snprintf(body, sizeof(body), "[%s]", service_body);
    ts_json(s, 200, body);
    list = sl_docker_services_list(c, &f, 1, true, &err);
    assert_non_null(list);
    ts_assert_line(s, 1, "GET /v1.41/services?filters=" STACK_FILTER
                         "&status=true HTTP/1.1");
    assert_int_equal(list->count, 1);
    assert_int_equal(list->items[0].running_tasks, 2);
    assert_int_equal(list->items[0].desired_tasks, 2);
    sl_docker_service_list_free(list);
    sl_docker_client_free(c);
}

/* Engine ------------------------------------------------------------------ */

static void info_is_read_into_typed_fields(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_info *info;
    sl_error err;

    ts_json(s, 200, info_body);
    info = sl_docker_info_get(c, &err);
    assert_non_null(info);
    assert_string_equal(info->id, "IUPE:PDRX:YCVQ:UB7U:3KNJ:E7EB:LJBY:EKDT:"
                                  "2XMB:JQDP:HNX3:GRYW");
    assert_string_equal(info->name, "vm");
    assert_string_equal(info->server_version, "20.10.24+dfsg1");
    assert_string_equal(info->operating_system,
                        "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(info->os_type, "linux");
    assert_string_equal(info->architecture, "x86_64");
    assert_int_equal(info->ncpu, 2);
    assert_int_equal(info->mem_total, 25276071936LL);
    assert_string_equal(info->swarm.node_id, NODE_ID);
    assert_string_equal(info->swarm.node_addr, "127.0.0.1");
    assert_string_equal(info->swarm.local_node_state, "active");
    assert_true(info->swarm.control_available);
    assert_int_equal(info->swarm.managers, 1);
    assert_int_equal(info->swarm.nodes, 1);
    assert_string_equal(info->swarm.cluster_id, "k461exwzbyzvu7nqkgxjg5ahd");
    assert_string_equal(json_string_value(json_object_get(info->raw,
                                                          "Driver")),
                        "overlay2");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void info_outside_a_swarm_has_empty_swarm_fields(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_info *info;
    sl_error err;

    ts_json(s, 200, "{\"ID\":\"X\",\"Name\":\"n2d-wrkr-0\",\"Swarm\":{"
                    "\"NodeID\":\"\",\"NodeAddr\":\"\",\"LocalNodeState\":"
                    "\"inactive\",\"ControlAvailable\":false,\"Error\":\"\","
                    "\"RemoteManagers\":null}}");
    info = sl_docker_info_get(c, &err);
    assert_non_null(info);
    assert_string_equal(info->swarm.node_id, "");
    assert_string_equal(info->swarm.local_node_state, "inactive");
    assert_false(info->swarm.control_available);
    assert_string_equal(info->swarm.cluster_id, "");
    assert_string_equal(info->os_type, "");
    sl_docker_info_free(info);
    sl_docker_client_free(c);
}

static void version_is_read_into_typed_fields(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_version *v;
    sl_error err;

    ts_json(s, 200, version_body);
    v = sl_docker_version_get(c, &err);
    assert_non_null(v);
    ts_assert_line(s, 1, "GET /v1.41/version HTTP/1.1");
    assert_string_equal(v->version, "20.10.24+dfsg1");
    assert_string_equal(v->api_version, "1.41");
    assert_string_equal(v->min_api_version, "1.12");
    assert_string_equal(v->os, "linux");
    assert_string_equal(v->arch, "amd64");
    assert_string_equal(v->git_commit, "5d6db84");
    sl_docker_version_free(v);
    sl_docker_client_free(c);
}

/* Swarm ------------------------------------------------------------------- */

static void swarm_init_sends_addresses_and_returns_the_node_id(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_swarm_init_req req = {.advertise_addr = "10.0.0.2"};
    char *id;
    sl_error err;

    ts_json(s, 200, "\"" NODE_ID "\"\n");
    id = sl_docker_swarm_init(c, &req, &err);
    if (!id)
        fail_msg("%s", err.message);
    assert_string_equal(id, NODE_ID);
    ts_assert_line(s, 1, "POST /v1.41/swarm/init HTTP/1.1");
    assert_body(s, 1, "{\"ListenAddr\":\"0.0.0.0:2377\","
                      "\"AdvertiseAddr\":\"10.0.0.2\",\"DataPathAddr\":\"\","
                      "\"ForceNewCluster\":false,\"Spec\":{}}");
    assert_non_null(strcasestr(ts_req(s, 1)->head,
                               "Content-Type: application/json"));
    free(id);
    sl_docker_client_free(c);
}

static void swarm_init_answer_that_is_not_an_id_is_a_protocol_error(
    void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "{\"ID\":\"" NODE_ID "\"}");
    assert_null(sl_docker_swarm_init(c, NULL, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_string_equal(err.message, "malformed answer to 'POST "
                                     "/v1.41/swarm/init': expected a node id "
                                     "string");
    sl_docker_client_free(c);
}

static void swarm_join_sends_token_and_managers(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    const char *managers[] = {"10.0.0.2:2377", "10.0.0.3:2377"};
    sl_docker_swarm_join_req req = {
        .join_token = WORKER_TOKEN,
        .remote_addrs = managers,
        .n_remote_addrs = 2,
        .advertise_addr = "10.0.0.4",
    };
    sl_error err;

    ts_json(s, 200, "");
    assert_int_equal(sl_docker_swarm_join(c, &req, &err), 0);
    ts_assert_line(s, 1, "POST /v1.41/swarm/join HTTP/1.1");
    assert_body(s, 1, "{\"ListenAddr\":\"0.0.0.0:2377\","
                      "\"AdvertiseAddr\":\"10.0.0.4\",\"DataPathAddr\":\"\","
                      "\"RemoteAddrs\":[\"10.0.0.2:2377\",\"10.0.0.3:2377\"],"
                      "\"JoinToken\":\"" WORKER_TOKEN "\"}");
    sl_docker_client_free(c);
}

typedef struct trace_text {
    char all[4096];
} trace_text;

static void collect_trace(const sl_docker_trace_event *ev, void *data)
{
    trace_text *t = data;
    size_t len = strlen(t->all);

    snprintf(t->all + len, sizeof(t->all) - len, "%s %s %s %d\n",
             ev->endpoint, ev->method, ev->path, ev->status);
}

static void join_token_never_reaches_the_trace(void **state)
{
    test_server *s = *state;
    trace_text trace = {{0}};
    sl_docker_config cfg = {
        .host = s->url, .trace = collect_trace, .trace_data = &trace,
    };
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);
    const char *managers[] = {"10.0.0.2:2377"};
    sl_docker_swarm_join_req req = {
        .join_token = MANAGER_TOKEN,
        .remote_addrs = managers,
        .n_remote_addrs = 1,
    };
    sl_error err;

    ts_json(s, 200, "");
    ts_json(s, 503, "{\"message\":\"rpc error: code = Unavailable desc = "
                    "all SubConns are in TransientFailure\"}");
    assert_int_equal(sl_docker_swarm_join(c, &req, &err), 0);
    assert_int_equal(sl_docker_swarm_join(c, &req, &err), -1);

    assert_non_null(strstr(ts_req(s, 1)->body, MANAGER_TOKEN));
    assert_non_null(strstr(trace.all, "POST /v1.41/swarm/join 200"));
    assert_non_null(strstr(trace.all, "POST /v1.41/swarm/join 503"));
    assert_null(strstr(trace.all, "SWMTKN"));
    assert_null(strstr(err.message, "SWMTKN"));
    assert_null(strstr(err.where, "SWMTKN"));
    sl_docker_client_free(c);
}

static void swarm_join_without_token_is_invalid(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    const char *managers[] = {"10.0.0.2:2377"};
    sl_docker_swarm_join_req req = {
        .remote_addrs = managers, .n_remote_addrs = 1,
    };
    sl_error err;

    assert_int_equal(sl_docker_swarm_join(c, &req, &err), -1);
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_int_equal(ts_count(s), 0);
    sl_docker_client_free(c);
}

static void swarm_inspect_reads_join_tokens_and_version(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_swarm *sw;
    sl_error err;

    ts_json(s, 200, swarm_body);
    sw = sl_docker_swarm_inspect(c, &err);
    assert_non_null(sw);
    ts_assert_line(s, 1, "GET /v1.41/swarm HTTP/1.1");
    assert_string_equal(sw->id, "k461exwzbyzvu7nqkgxjg5ahd");
    assert_int_equal(sw->version, 10);
    assert_string_equal(sw->worker_token, WORKER_TOKEN);
    assert_string_equal(sw->manager_token, MANAGER_TOKEN);
    assert_string_equal(sw->created_at, "2026-12-03T15:52:13.987872219Z");
    assert_string_equal(json_string_value(json_object_get(sw->spec, "Name")),
                        "default");
    sl_docker_swarm_free(sw);
    sl_docker_client_free(c);
}

static void rotating_tokens_updates_the_swarm_at_its_version(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, swarm_body);
    ts_json(s, 200, "");
    assert_int_equal(sl_docker_swarm_rotate_tokens(c, true, false, &err), 0);
    ts_assert_line(s, 2, "POST /v1.41/swarm/update?rotateManagerToken=false"
                         "&rotateManagerUnlockKey=false"
                         "&rotateWorkerToken=true&version=10 HTTP/1.1");
    assert_body(s, 2, "{\"Name\":\"default\",\"Labels\":{},"
                      "\"Orchestration\":{\"TaskHistoryRetentionLimit\":5}}");
    sl_docker_client_free(c);
}

static void swarm_leave_with_force_asks_as_the_cli_does(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "");
    ts_json(s, 503, "{\"message\":\"You are attempting to leave the swarm "
                    "on a node that is participating as a manager.\"}");
    assert_int_equal(sl_docker_swarm_leave(c, true, &err), 0);
    assert_int_equal(sl_docker_swarm_leave(c, false, &err), -1);
    ts_assert_line(s, 1, "POST /v1.41/swarm/leave?force=1 HTTP/1.1");
    ts_assert_line(s, 2, "POST /v1.41/swarm/leave HTTP/1.1");
    assert_int_equal(err.code, SL_ERR_API);
    assert_string_equal(err.where, "POST /v1.41/swarm/leave");
    sl_docker_client_free(c);
}

/* Nodes ------------------------------------------------------------------- */

static void nodes_list_reads_roles_labels_and_status(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_node_list *nodes;
    const sl_docker_node *n;
    char body[4096];
    sl_error err;

    snprintf(body, sizeof(body), "[%s]", node_body);
    ts_json(s, 200, body);
    nodes = sl_docker_nodes_list(c, NULL, 0, &err);
    assert_non_null(nodes);
    ts_assert_line(s, 1, "GET /v1.41/nodes HTTP/1.1");
    assert_int_equal(nodes->count, 1);
    n = &nodes->items[0];
    assert_string_equal(n->id, NODE_ID);
    assert_int_equal(n->version, 9);
    assert_string_equal(n->hostname, "vm");
    assert_string_equal(n->role, "manager");
    assert_string_equal(n->availability, "active");
    assert_int_equal(n->n_labels, 1);
    assert_string_equal(sl_docker_label_get(n->labels, n->n_labels, "zone"),
                        "a");
    assert_null(sl_docker_label_get(n->labels, n->n_labels, "os"));
    assert_string_equal(n->os, "linux");
    assert_string_equal(n->arch, "x86_64");
    assert_int_equal(n->nano_cpus, 2000000000LL);
    assert_int_equal(n->memory_bytes, 25276071936LL);
    assert_string_equal(n->engine_version, "20.10.24+dfsg1");
    assert_string_equal(n->state, "ready");
    assert_string_equal(n->addr, "127.0.0.1");
    assert_true(n->leader);
    assert_string_equal(n->reachability, "reachable");
    assert_string_equal(n->manager_addr, "127.0.0.1:2377");
    sl_docker_node_list_free(nodes);
    sl_docker_client_free(c);
}

static void node_in_a_list_without_id_is_a_protocol_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    char body[4096];
    sl_error err;

    snprintf(body, sizeof(body), "[%s,{\"Spec\":{}}]", node_body);
    ts_json(s, 200, body);
    assert_null(sl_docker_nodes_list(c, NULL, 0, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_string_equal(err.message,
                        "malformed node from the daemon: expected 'ID'");
    sl_docker_client_free(c);
}

static void node_update_posts_the_spec_with_the_version(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_label labels[] = {{"os", "linux"}};
    sl_docker_node_spec spec = {
        .role = "manager", .availability = "active",
        .labels = labels, .n_labels = 1,
    };
    sl_error err;

    ts_json(s, 200, "");
    assert_int_equal(sl_docker_node_update(c, NODE_ID, 9, &spec, &err), 0);
    ts_assert_line(s, 1, "POST /v1.41/nodes/" NODE_ID
                         "/update?version=9 HTTP/1.1");
    assert_string_equal(ts_req(s, 1)->body,
                        "{\"Labels\":{\"os\":\"linux\"},\"Role\":\"manager\","
                        "\"Availability\":\"active\"}");
    sl_docker_client_free(c);
}

static void node_add_labels_keeps_role_availability_and_labels(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_label labels[] = {{"os", "linux"}, {"zone", "b"}};
    sl_error err;

    ts_json(s, 200, node_body);
    ts_json(s, 200, "");
    assert_int_equal(sl_docker_node_add_labels(c, "vm", labels, 2, &err), 0);
    ts_assert_line(s, 1, "GET /v1.41/nodes/vm HTTP/1.1");
    ts_assert_line(s, 2, "POST /v1.41/nodes/" NODE_ID
                         "/update?version=9 HTTP/1.1");
    assert_body(s, 2, "{\"Labels\":{\"zone\":\"b\",\"os\":\"linux\"},"
                      "\"Role\":\"manager\",\"Availability\":\"active\"}");
    sl_docker_client_free(c);
}

static void stale_node_version_is_the_daemons_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_node_spec spec = {.role = "worker", .availability = "drain"};
    sl_error err;

    ts_json(s, 500, "{\"message\":\"rpc error: code = Unknown desc = update "
                    "out of sequence\"}");
    assert_int_equal(sl_docker_node_update(c, NODE_ID, 3, &spec, &err), -1);
    assert_int_equal(err.code, SL_ERR_API);
    assert_string_equal(err.message, "rpc error: code = Unknown desc = "
                                     "update out of sequence");
    assert_string_equal(err.where, "POST /v1.41/nodes/" NODE_ID "/update");
    sl_docker_client_free(c);
}

static void node_remove_with_force_and_escaped_ref(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "");
    ts_json(s, 200, "");
    assert_int_equal(sl_docker_node_remove(c, "n2d-wrkr-2", true, &err), 0);
    assert_int_equal(sl_docker_node_remove(c, "a b/c?", false, &err), 0);
    ts_assert_line(s, 1, "DELETE /v1.41/nodes/n2d-wrkr-2?force=1 HTTP/1.1");
    ts_assert_line(s, 2, "DELETE /v1.41/nodes/a%20b%2Fc%3F HTTP/1.1");
    sl_docker_client_free(c);
}

/* Services ---------------------------------------------------------------- */

static void service_builder_makes_the_spec_the_cli_sends(void **state)
{
    const char *cmd[] = {"/bin/sleep", "1000"};
    const char *constraints[] = {"node.labels.os == linux"};
    const char *env[] = {"MODE=test"};
    const char *networks[] = {"demo_default"};
    sl_docker_label labels[] = {{"com.docker.stack.namespace", "demo"}};
    sl_docker_port ports[] = {{.target = 80, .published = 8080}};
    sl_docker_service_def def = {
        .name = "demo_web", .image = "bb:1",
        .command = cmd, .n_command = 2,
        .replicas = 2,
        .constraints = constraints, .n_constraints = 1,
        .labels = labels, .n_labels = 1,
        .env = env, .n_env = 1,
        .limit_memory_bytes = 64 << 20,
        .reserve_nano_cpus = 250000000,
        .networks = networks, .n_networks = 1,
        .ports = ports, .n_ports = 1,
    };
    json_t *want = json_loads(
        "{\"Name\":\"demo_web\","
        "\"Labels\":{\"com.docker.stack.namespace\":\"demo\"},"
        "\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"bb:1\","
        "\"Args\":[\"/bin/sleep\",\"1000\"],\"Env\":[\"MODE=test\"]},"
        "\"Resources\":{\"Limits\":{\"MemoryBytes\":67108864},"
        "\"Reservations\":{\"NanoCPUs\":250000000}},"
        "\"Placement\":{\"Constraints\":[\"node.labels.os == linux\"]},"
        "\"Networks\":[{\"Target\":\"demo_default\"}]},"
        "\"Mode\":{\"Replicated\":{\"Replicas\":2}},"
        "\"EndpointSpec\":{\"Ports\":[{\"Protocol\":\"tcp\","
        "\"TargetPort\":80,\"PublishedPort\":8080,"
        "\"PublishMode\":\"ingress\"}]}}", 0, NULL);
    json_t *spec;
    sl_error err;

    (void)state;
    spec = sl_docker_service_spec_build(&def, &err);
    assert_non_null(spec);
    if (!json_equal(spec, want)) {
        char *got = json_dumps(spec, JSON_COMPACT);

        fail_msg("unexpected spec %s", got);
    }
    json_decref(spec);

    def = (sl_docker_service_def){
        .name = "agent", .image = "bb:1", .global = true,
    };
    spec = sl_docker_service_spec_build(&def, &err);
    assert_true(json_is_object(json_object_get(
        json_object_get(spec, "Mode"), "Global")));
    assert_null(json_object_get(spec, "EndpointSpec"));
    json_decref(spec);
    json_decref(want);
}

static void service_builder_defaults_to_one_replica(void **state)
{
    sl_docker_service_def def = {.name = "web", .image = "bb:1"};
    json_t *spec;
    sl_error err;

    (void)state;
    spec = sl_docker_service_spec_build(&def, &err);
    assert_non_null(spec);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(spec, "Mode"),
                                         "Replicated"), "Replicas")), 1);
    json_decref(spec);
}

static void service_builder_refuses_a_service_without_image(void **state)
{
    sl_docker_service_def def = {.name = "web"};
    sl_error err;

    (void)state;
    assert_null(sl_docker_service_spec_build(&def, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message, "a service needs a name and an image");
}

static void service_create_posts_the_spec_and_returns_the_id(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_service_def def = {.name = "web", .image = "bb:1"};
    json_t *spec = sl_docker_service_spec_build(&def, NULL);
    char *id;
    sl_error err;

    ts_json(s, 201, "{\"ID\":\"" SERVICE_ID "\"}\n");
    id = sl_docker_service_create(c, spec, &err);
    if (!id)
        fail_msg("%s", err.message);
    assert_string_equal(id, SERVICE_ID);
    ts_assert_line(s, 1, "POST /v1.41/services/create HTTP/1.1");
    assert_body(s, 1, "{\"Name\":\"web\",\"Labels\":{},\"TaskTemplate\":{"
                      "\"ContainerSpec\":{\"Image\":\"bb:1\"},"
                      "\"Resources\":{}},"
                      "\"Mode\":{\"Replicated\":{\"Replicas\":1}}}");
    free(id);
    json_decref(spec);
    sl_docker_client_free(c);
}

static void service_inspect_reads_mode_replicas_and_constraints(
    void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_service *svc;
    sl_error err;

    ts_json(s, 200, service_body);
    svc = sl_docker_service_inspect(c, "demo_web", &err);
    assert_non_null(svc);
    ts_assert_line(s, 1, "GET /v1.41/services/demo_web?insertDefaults=false "
                         "HTTP/1.1");
    assert_string_equal(svc->id, SERVICE_ID);
    assert_int_equal(svc->version, 15);
    assert_string_equal(svc->name, "demo_web");
    assert_string_equal(svc->image, "bb:1");
    assert_string_equal(svc->mode, "replicated");
    assert_int_equal(svc->replicas, 2);
    assert_int_equal(svc->n_constraints, 1);
    assert_string_equal(svc->constraints[0], "node.labels.os == linux");
    assert_int_equal(svc->n_labels, 2);
    assert_string_equal(sl_docker_label_get(svc->labels, svc->n_labels,
                                            "com.docker.stack.namespace"),
                        "demo");
    sl_docker_service_free(svc);
    sl_docker_client_free(c);
}

static void service_scale_updates_replicas_at_the_version(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    json_t *body;
    sl_error err;

    ts_json(s, 200, service_body);
    ts_json(s, 200, "{\"Warnings\":null}");
    assert_int_equal(sl_docker_service_scale(c, "demo_web", 3, &err), 0);
    ts_assert_line(s, 2, "POST /v1.41/services/" SERVICE_ID
                         "/update?version=15 HTTP/1.1");
    body = json_loads(ts_req(s, 2)->body, 0, NULL);
    assert_non_null(body);
    assert_string_equal(json_string_value(json_object_get(body, "Name")),
                        "demo_web");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(
                         json_object_get(body, "Mode"), "Replicated"),
                                                        "Replicas")), 3);
    assert_non_null(json_object_get(json_object_get(body, "TaskTemplate"),
                                    "Placement"));
    json_decref(body);
    sl_docker_client_free(c);
}

static void scaling_a_global_service_is_invalid(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "{\"ID\":\"g1\",\"Version\":{\"Index\":4},\"Spec\":{"
                    "\"Name\":\"agent\",\"Mode\":{\"Global\":{}}}}");
    assert_int_equal(sl_docker_service_scale(c, "agent", 3, &err), -1);
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message,
                        "cannot scale 'agent': it is a global service");
    assert_int_equal(ts_count(s), 2);
    sl_docker_client_free(c);
}

static void service_remove_deletes_it(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "");
    assert_int_equal(sl_docker_service_remove(c, SERVICE_ID, &err), 0);
    ts_assert_line(s, 1, "DELETE /v1.41/services/" SERVICE_ID " HTTP/1.1");
    sl_docker_client_free(c);
}

/* Networks ---------------------------------------------------------------- */

static void network_create_returns_the_id(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_label labels[] = {{"com.docker.stack.namespace", "demo"}};
    sl_docker_network_def def = {
        .name = "demo_default", .driver = "overlay", .attachable = true,
        .labels = labels, .n_labels = 1,
    };
    char *id;
    sl_error err;

    ts_json(s, 201, "{\"Id\":\"rasxvzbznz3lw8mncfz1hpvht\",\"Warning\":\"\"}");
    id = sl_docker_network_create(c, &def, &err);
    if (!id)
        fail_msg("%s", err.message);
    assert_string_equal(id, "rasxvzbznz3lw8mncfz1hpvht");
    ts_assert_line(s, 1, "POST /v1.41/networks/create HTTP/1.1");
    assert_body(s, 1, "{\"Name\":\"demo_default\",\"CheckDuplicate\":true,"
                      "\"Internal\":false,\"Attachable\":true,"
                      "\"Labels\":{\"com.docker.stack.namespace\":\"demo\"},"
                      "\"Driver\":\"overlay\"}");
    free(id);
    sl_docker_client_free(c);
}

static void networks_list_and_remove(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_docker_filter f = {"label", "com.docker.stack.namespace=demo"};
    sl_docker_network_list *nets;
    sl_error err;

    ts_json(s, 200, "[{\"Name\":\"demo_default\",\"Id\":\"rasx\","
                    "\"Scope\":\"swarm\",\"Driver\":\"overlay\","
                    "\"Attachable\":false,\"Ingress\":false,\"Labels\":{"
                    "\"com.docker.stack.namespace\":\"demo\"}}]");
    ts_raw(s, "HTTP/1.1 204 No Content\r\nApi-Version: 1.41\r\n\r\n", 0);
    nets = sl_docker_networks_list(c, &f, 1, &err);
    assert_non_null(nets);
    ts_assert_line(s, 1, "GET /v1.41/networks?filters=" STACK_FILTER
                         " HTTP/1.1");
    assert_int_equal(nets->count, 1);
    assert_string_equal(nets->items[0].id, "rasx");
    assert_string_equal(nets->items[0].name, "demo_default");
    assert_string_equal(nets->items[0].scope, "swarm");
    assert_string_equal(nets->items[0].driver, "overlay");
    assert_int_equal(nets->items[0].n_labels, 1);

    assert_int_equal(sl_docker_network_remove(c, nets->items[0].id, &err),
                     0);
    ts_assert_line(s, 2, "DELETE /v1.41/networks/rasx HTTP/1.1");
    sl_docker_network_list_free(nets);
    sl_docker_client_free(c);
}

/* Anything else ----------------------------------------------------------- */

static void call_returns_any_json_and_null_for_nothing(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    json_t *v;
    sl_error err;

    ts_json(s, 200, "[]");
    ts_json(s, 200, "");
    v = sl_docker_call(c, "GET", "/secrets?filters=" STACK_FILTER, NULL,
                       &err);
    assert_true(json_is_array(v));
    json_decref(v);
    v = sl_docker_call(c, "POST", "/swarm/unlock", NULL, &err);
    assert_true(json_is_null(v));
    json_decref(v);
    ts_assert_line(s, 1, "GET /v1.41/secrets?filters=" STACK_FILTER
                         " HTTP/1.1");
    sl_docker_client_free(c);
}

/* Images ------------------------------------------------------------------ */

#define IMAGE_ID                                                            \
    "sha256:cb38c074e08446ca6bef145a5cd5f77234c9fcf2fbd6c2eb85d063ee0e300772"

static void image_import_sends_the_tarball_and_returns_the_id(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    static const char tar[] = "bin/busybox as a pretend tarball";
    sl_error err;
    char *id;

    ts_json(s, 200, "{\"status\":\"" IMAGE_ID "\"}\r\n");
    id = sl_docker_image_import(c, "team/app:2", tar, sizeof(tar) - 1, &err);
    assert_non_null(id);
    assert_string_equal(id, IMAGE_ID);
    ts_assert_line(s, 1, "POST /v1.41/images/create?fromSrc=-&message=&repo="
                         "team%2Fapp%3A2&tag= HTTP/1.1");
    assert_string_equal(ts_req(s, 1)->body, tar);
    assert_non_null(strcasestr(ts_req(s, 1)->head,
                               "Content-Type: application/x-tar"));
    free(id);
    sl_docker_client_free(c);
}

/* A stream that began with 200 may still end in an error: the import
 * fails with the daemon's message, as the docker CLI reports it. */
static void image_import_error_inside_the_stream_fails(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "{\"status\":\"Downloading from http://x/\"}\r\n"
                    "{\"errorDetail\":{\"message\":\"unexpected EOF\"},"
                    "\"error\":\"unexpected EOF\"}\r\n");
    assert_null(sl_docker_image_import(c, "bb:1", "x", 1, &err));
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 200);
    assert_string_equal(err.message, "unexpected EOF");
    assert_string_equal(err.where, "POST /v1.41/images/create");
    sl_docker_client_free(c);
}

static void image_import_refused_tarball_is_the_daemons_error(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 500, "{\"message\":\"Error processing tar file(exit status "
                    "1): unexpected EOF\"}\n");
    assert_null(sl_docker_image_import(c, "bb:1", "x", 1, &err));
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 500);
    assert_string_equal(err.message, "Error processing tar file(exit status "
                                     "1): unexpected EOF");
    sl_docker_client_free(c);
}

static void image_import_answer_without_an_id_is_a_protocol_error(
    void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 200, "not json\r\n");
    assert_null(sl_docker_image_import(c, "bb:1", "x", 1, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    ts_json(s, 200, "{\"status\":\"done\"}\r\n");
    assert_null(sl_docker_image_import(c, "bb:1", "x", 1, &err));
    assert_int_equal(err.code, SL_ERR_PROTOCOL);
    assert_null(sl_docker_image_import(c, "", "x", 1, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    sl_docker_client_free(c);
}

static void image_inspect_of_a_missing_image_is_not_found(void **state)
{
    test_server *s = *state;
    sl_docker_client *c = client_for(s);
    sl_error err;

    ts_json(s, 404, "{\"message\":\"no such image: bb:1: No such image: "
                    "bb:1\"}\n");
    assert_null(sl_docker_image_inspect(c, "bb:1", &err));
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    ts_assert_line(s, 1, "GET /v1.41/images/bb:1/json HTTP/1.1");
    sl_docker_client_free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filters_are_encoded_as_the_cli_does),
        T(tasks_list_sends_filters_as_the_cli_does),
        T(services_list_with_status_asks_as_the_cli_does),
        T(info_is_read_into_typed_fields),
        T(info_outside_a_swarm_has_empty_swarm_fields),
        T(version_is_read_into_typed_fields),
        T(swarm_init_sends_addresses_and_returns_the_node_id),
        T(swarm_init_answer_that_is_not_an_id_is_a_protocol_error),
        T(swarm_join_sends_token_and_managers),
        T(join_token_never_reaches_the_trace),
        T(swarm_join_without_token_is_invalid),
        T(swarm_inspect_reads_join_tokens_and_version),
        T(rotating_tokens_updates_the_swarm_at_its_version),
        T(swarm_leave_with_force_asks_as_the_cli_does),
        T(nodes_list_reads_roles_labels_and_status),
        T(node_in_a_list_without_id_is_a_protocol_error),
        T(node_update_posts_the_spec_with_the_version),
        T(node_add_labels_keeps_role_availability_and_labels),
        T(stale_node_version_is_the_daemons_error),
        T(node_remove_with_force_and_escaped_ref),
        cmocka_unit_test(service_builder_makes_the_spec_the_cli_sends),
        cmocka_unit_test(service_builder_defaults_to_one_replica),
        cmocka_unit_test(service_builder_refuses_a_service_without_image),
        T(service_create_posts_the_spec_and_returns_the_id),
        T(service_inspect_reads_mode_replicas_and_constraints),
        T(service_scale_updates_replicas_at_the_version),
        T(scaling_a_global_service_is_invalid),
        T(service_remove_deletes_it),
        T(network_create_returns_the_id),
        T(networks_list_and_remove),
        T(call_returns_any_json_and_null_for_nothing),
        T(image_import_sends_the_tarball_and_returns_the_id),
        T(image_import_error_inside_the_stream_fails),
        T(image_import_refused_tarball_is_the_daemons_error),
        T(image_import_answer_without_an_id_is_a_protocol_error),
        T(image_inspect_of_a_missing_image_is_not_found),
    };

    return cmocka_run_group_tests_name("docker_calls", tests, NULL, NULL);
}
