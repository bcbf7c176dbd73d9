/* The Docker client forming a whole swarm on fake daemons, over real HTTP. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "docker_client.h"
#include "fake_dockerd.h"
#include "fake_swarm.h"

enum { MNGR0, MNGR1, WRKR0, WRKR1, NHOSTS };

static const sl_fake_host_spec host_specs[NHOSTS] = {
    {.hostname = "n2d-mngr-0", .addr = "10.0.0.2"},
    {.hostname = "n2d-mngr-1", .addr = "10.0.0.3"},
    {.hostname = "n2d-wrkr-0", .addr = "10.0.0.4"},
    {.hostname = "n2d-wrkr-1", .addr = "10.0.0.5"},
};

typedef struct lab {
    sl_clock *clock;
    sl_fake_swarm *fs;
    sl_fake_dockerd *daemons[NHOSTS];
    sl_docker_client *clients[NHOSTS];
    char dir[64];
    char sock[128];
} lab;

/* Four fake hosts, each with its daemon: the first worker on a unix
 * socket, the others on 127.0.0.1; and a client for each. */
static int setup(void **state)
{
    lab *l = calloc(1, sizeof(*l));
    sl_error err;

    assert_non_null(l);
    l->clock = sl_clock_new_virtual(INT64_C(1796313600) * SL_NS_PER_SEC);
    l->fs = sl_fake_swarm_new(42, l->clock);
    assert_non_null(l->fs);
    strcpy(l->dir, "/tmp/sl-vsfake-XXXXXX");
    assert_non_null(mkdtemp(l->dir));
    snprintf(l->sock, sizeof(l->sock), "%s/docker.sock", l->dir);

    for (int i = 0; i < NHOSTS; i++) {
        char url[160];
        sl_docker_config cfg = {.host = url, .timeout_ms = 5000};

        assert_int_equal(sl_fake_swarm_add_host(l->fs, &host_specs[i],
                                                &err), i);
        if (i == WRKR0) {
            l->daemons[i] = sl_fake_dockerd_start_unix(l->fs, i, l->sock,
                                                       &err);
            snprintf(url, sizeof(url), "unix://%s", l->sock);
        } else {
            l->daemons[i] = sl_fake_dockerd_start(l->fs, i, "127.0.0.1", 0,
                                                  &err);
            snprintf(url, sizeof(url), "tcp://127.0.0.1:%u",
                     l->daemons[i] ? sl_fake_dockerd_port(l->daemons[i])
                                   : 0);
        }
        if (!l->daemons[i])
            fail_msg("cannot start fake daemon %d: %s", i, err.message);
        l->clients[i] = sl_docker_client_new(&cfg, &err);
        assert_non_null(l->clients[i]);
    }
    *state = l;
    return 0;
}

static int teardown(void **state)
{
    lab *l = *state;

    for (int i = 0; i < NHOSTS; i++) {
        sl_docker_client_free(l->clients[i]);
        sl_fake_dockerd_stop(l->daemons[i]);
    }
    rmdir(l->dir);
    sl_fake_swarm_free(l->fs);
    sl_clock_free(l->clock);
    free(l);
    return 0;
}

/* Host 'i' joins through the first manager with 'token'. */
static int join(lab *l, int i, const char *token, sl_error *err)
{
    const char *managers[] = {"10.0.0.2:2377"};
    sl_docker_swarm_join_req req = {
        .join_token = token,
        .remote_addrs = managers,
        .n_remote_addrs = 1,
        .advertise_addr = host_specs[i].addr,
    };

    return sl_docker_swarm_join(l->clients[i], &req, err);
}

/* Inits the swarm on the first manager; the others join. */
static void form_swarm(lab *l)
{
    sl_docker_swarm_init_req init = {.advertise_addr = "10.0.0.2"};
    sl_docker_swarm *sw;
    char *node_id;
    sl_error err;

    node_id = sl_docker_swarm_init(l->clients[MNGR0], &init, &err);
    if (!node_id)
        fail_msg("swarm init: %s", err.message);
    assert_string_equal(node_id, sl_fake_swarm_node_id(l->fs, MNGR0));
    free(node_id);

    sw = sl_docker_swarm_inspect(l->clients[MNGR0], &err);
    if (!sw)
        fail_msg("swarm inspect: %s", err.message);
    assert_true(strncmp(sw->worker_token, "SWMTKN-1-", 9) == 0);
    assert_string_not_equal(sw->worker_token, sw->manager_token);
    if (join(l, MNGR1, sw->manager_token, &err) < 0 ||
        join(l, WRKR0, sw->worker_token, &err) < 0 ||
        join(l, WRKR1, sw->worker_token, &err) < 0)
        fail_msg("swarm join: %s", err.message);
    sl_docker_swarm_free(sw);
}

static void hosts_answer_before_any_swarm(void **state)
{
    lab *l = *state;

    for (int i = 0; i < NHOSTS; i++) {
        sl_docker_info *info;
        sl_error err;

        info = sl_docker_info_get(l->clients[i], &err);
        if (!info)
            fail_msg("host %d: %s", i, err.message);
        assert_string_equal(info->name, host_specs[i].hostname);
        assert_string_equal(info->swarm.local_node_state, "inactive");
        assert_false(info->swarm.control_available);
        assert_string_equal(sl_docker_client_api_version(l->clients[i]),
                            "1.41");
        sl_docker_info_free(info);
    }
}

static void swarm_forms_with_managers_and_workers(void **state)
{
    lab *l = *state;
    sl_docker_filter managers = {"role", "manager"};
    sl_docker_node_list *nodes;
    sl_docker_info *info;
    sl_error err;

    form_swarm(l);
    nodes = sl_docker_nodes_list(l->clients[MNGR1], NULL, 0, &err);
    if (!nodes)
        fail_msg("node ls: %s", err.message);
    assert_int_equal(nodes->count, NHOSTS);
    sl_docker_node_list_free(nodes);

    nodes = sl_docker_nodes_list(l->clients[MNGR0], &managers, 1, &err);
    assert_non_null(nodes);
    assert_int_equal(nodes->count, 2);
    for (size_t i = 0; i < nodes->count; i++) {
        assert_string_equal(nodes->items[i].role, "manager");
        assert_true(strstr(nodes->items[i].hostname, "mngr") != NULL);
    }
    sl_docker_node_list_free(nodes);

    info = sl_docker_info_get(l->clients[WRKR0], &err);
    assert_non_null(info);
    assert_string_equal(info->swarm.local_node_state, "active");
    assert_false(info->swarm.control_available);
    assert_string_equal(info->swarm.node_id,
                        sl_fake_swarm_node_id(l->fs, WRKR0));
    sl_docker_info_free(info);
}

static void wrong_join_token_is_refused_with_the_daemons_words(void **state)
{
    lab *l = *state;
    sl_docker_swarm_init_req init = {.advertise_addr = "10.0.0.2"};
    char *node_id;
    sl_error err;

    node_id = sl_docker_swarm_init(l->clients[MNGR0], &init, &err);
    assert_non_null(node_id);
    free(node_id);
    assert_int_equal(join(l, WRKR0, "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8"
                                    "atbfcr8p2is99znpy26u2lkl-"
                                    "7p73s1dx5in4tatdymyhg9hu2", &err), -1);
    assert_true(err.code == SL_ERR_API);
    assert_true(err.http_status == 400 || err.http_status == 500);
    assert_string_equal(err.where, "POST /v1.41/swarm/join");
    assert_null(strstr(err.message, "SWMTKN"));
}

static void worker_cannot_list_nodes(void **state)
{
    lab *l = *state;
    sl_error err;

    form_swarm(l);
    assert_null(sl_docker_nodes_list(l->clients[WRKR1], NULL, 0, &err));
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 503);
    assert_non_null(strstr(err.message, "This node is not a swarm manager"));
    assert_string_equal(err.where, "GET /v1.41/nodes");
}

static void labelled_nodes_take_constrained_tasks_and_scale(void **state)
{
    lab *l = *state;
    sl_docker_client *m = l->clients[MNGR0];
    sl_docker_label linux_label[] = {{"os", "linux"}};
    const char *constraints[] = {"node.labels.os == linux"};
    const char *cmd[] = {"sleep", "1d"};
    const char *nets[] = {"appnet"};
    sl_docker_network_def net = {
        .name = "appnet", .driver = "overlay", .attachable = true,
    };
    sl_docker_service_def def = {
        .name = "web", .image = "bb:1", .command = cmd, .n_command = 2,
        .replicas = 2, .constraints = constraints, .n_constraints = 1,
        .networks = nets, .n_networks = 1,
    };
    const char *wrkr0 = NULL;
    sl_docker_filter by_service[2];
    sl_docker_node *node;
    sl_docker_task_list *tasks;
    json_t *spec;
    char *net_id, *svc_id;
    sl_error err;

    form_swarm(l);
    wrkr0 = sl_fake_swarm_node_id(l->fs, WRKR0);
    if (sl_docker_node_add_labels(m, "n2d-wrkr-0", linux_label, 1, &err) < 0)
        fail_msg("node update: %s", err.message);
    node = sl_docker_node_inspect(m, wrkr0, &err);
    assert_non_null(node);
    assert_string_equal(sl_docker_label_get(node->labels, node->n_labels,
                                            "os"), "linux");
    assert_string_equal(node->role, "worker");
    assert_string_equal(node->availability, "active");
    sl_docker_node_free(node);

    net_id = sl_docker_network_create(m, &net, &err);
    if (!net_id)
        fail_msg("network create: %s", err.message);
    spec = sl_docker_service_spec_build(&def, &err);
    assert_non_null(spec);
    svc_id = sl_docker_service_create(m, spec, &err);
    if (!svc_id)
        fail_msg("service create: %s", err.message);

    by_service[0] = (sl_docker_filter){"service", svc_id};
    by_service[1] = (sl_docker_filter){"desired-state", "running"};
    tasks = sl_docker_tasks_list(m, by_service, 2, &err);
    if (!tasks)
        fail_msg("task ls: %s", err.message);
    assert_int_equal(tasks->count, 2);
    for (size_t i = 0; i < tasks->count; i++)
        assert_string_equal(tasks->items[i].node_id, wrkr0);
    sl_docker_task_list_free(tasks);

    if (sl_docker_service_scale(m, "web", 3, &err) < 0)
        fail_msg("service scale: %s", err.message);
    tasks = sl_docker_tasks_list(l->clients[MNGR1], by_service, 2, &err);
    assert_non_null(tasks);
    assert_int_equal(tasks->count, 3);
    for (size_t i = 0; i < tasks->count; i++)
        assert_string_equal(tasks->items[i].node_id, wrkr0);
    sl_docker_task_list_free(tasks);

    assert_int_equal(sl_docker_service_remove(m, svc_id, &err), 0);
    assert_int_equal(sl_docker_network_remove(m, net_id, &err), 0);
    json_decref(spec);
    free(svc_id);
    free(net_id);
}

static void nodes_leave_and_are_removed(void **state)
{
    lab *l = *state;
    char wrkr1[64];
    sl_docker_node_list *nodes;
    sl_docker_info *info;
    sl_error err;

    form_swarm(l);
    snprintf(wrkr1, sizeof(wrkr1), "%s", sl_fake_swarm_node_id(l->fs, WRKR1));
    if (sl_docker_swarm_leave(l->clients[WRKR1], false, &err) < 0)
        fail_msg("worker leave: %s", err.message);
    info = sl_docker_info_get(l->clients[WRKR1], &err);
    assert_non_null(info);
    assert_string_equal(info->swarm.local_node_state, "inactive");
    sl_docker_info_free(info);

    if (sl_docker_node_remove(l->clients[MNGR0], wrkr1, true, &err) < 0)
        fail_msg("node rm: %s", err.message);
    nodes = sl_docker_nodes_list(l->clients[MNGR0], NULL, 0, &err);
    assert_non_null(nodes);
    assert_int_equal(nodes->count, NHOSTS - 1);
    sl_docker_node_list_free(nodes);

    assert_int_equal(sl_docker_swarm_leave(l->clients[MNGR1], false, &err),
                     -1);
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 503);
    assert_non_null(strstr(err.message, "You are attempting to leave"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hosts_answer_before_any_swarm,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            swarm_forms_with_managers_and_workers, setup, teardown),
        cmocka_unit_test_setup_teardown(
            wrong_join_token_is_refused_with_the_daemons_words, setup,
            teardown),
        cmocka_unit_test_setup_teardown(worker_cannot_list_nodes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            labelled_nodes_take_constrained_tasks_and_scale, setup,
            teardown),
        cmocka_unit_test_setup_teardown(nodes_leave_and_are_removed, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("client_vs_fake", tests, NULL, NULL);
}
