/* Tests of networks, secrets, configs and the registry of the fake swarm. */
#include "fake_swarm_fixture.h"

#include <ctype.h>

#define OVERLAY(name)                                                        \
    "{\"Driver\":\"overlay\",\"Scope\":\"\",\"IPAM\":{\"Driver\":"          \
    "\"default\",\"Options\":{},\"Config\":[]},\"Internal\":false,"         \
    "\"Attachable\":false,\"Ingress\":false,\"ConfigOnly\":false,"          \
    "\"ConfigFrom\":null,\"Options\":{},\"Labels\":{},\"Name\":\"" name      \
    "\",\"CheckDuplicate\":true}"

static int setup_hosts(void **state)
{
    fx *f = fx_new(21);

    fx_host(f, "lin", NULL, NULL);
    fx_host(f, "win", "windows", NULL);
    *state = f;
    return 0;
}

static int setup_cluster(void **state)
{
    *state = fx_cluster(23);
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

/* The network called 'name' in 'list', or NULL (borrowed). */
static json_t *named(json_t *list, const char *name)
{
    size_t i;
    json_t *n;

    json_array_foreach(list, i, n) {
        if (!strcmp(str(n, "Name"), name))
            return n;
    }
    return NULL;
}

static json_t *create(fx *f, int host, const char *text)
{
    json_t *req = fx_json(text);
    json_t *resp = sl_fake_network_create(f->fs, host, req, &f->err);

    json_decref(req);
    return resp;
}

/* Local networks ---------------------------------------------------------- */

static void every_linux_host_has_bridge_host_and_none(void **state)
{
    fx *f = *state;
    json_t *list = sl_fake_networks_list(f->fs, 0, NULL, &f->err);
    json_t *bridge = named(list, "bridge");

    assert_int_equal(json_array_size(list), 3);
    assert_string_equal(str(bridge, "Driver"), "bridge");
    assert_string_equal(str(bridge, "Scope"), "local");
    assert_string_equal(str(json_array_get(json_object_get(json_object_get(
                                                               bridge,
                                                               "IPAM"),
                                                           "Config"),
                                           0),
                            "Subnet"),
                        "172.17.0.0/16");
    assert_string_equal(str(named(list, "none"), "Driver"), "null");
    assert_string_equal(str(named(list, "host"), "Driver"), "host");
    json_decref(list);
}

static void windows_host_has_nat_and_none(void **state)
{
    fx *f = *state;
    json_t *list = sl_fake_networks_list(f->fs, 1, NULL, &f->err);

    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str(named(list, "nat"), "Driver"), "nat");
    assert_null(named(list, "bridge"));
    json_decref(list);
}

static void local_network_ids_are_stable_64_hex(void **state)
{
    fx *f = *state;
    fx *again = fx_new(21);
    json_t *a, *b;
    const char *id;
    size_t i;

    fx_host(again, "lin", NULL, NULL);
    a = sl_fake_network_inspect(f->fs, 0, "bridge", &f->err);
    b = sl_fake_network_inspect(again->fs, 0, "bridge", &again->err);
    id = str(a, "Id");
    assert_int_equal(strlen(id), 64);
    for (i = 0; i < 64; i++)
        assert_true(isxdigit((unsigned char)id[i]) &&
                    !isupper((unsigned char)id[i]));
    assert_string_equal(id, str(b, "Id"));
    json_decref(a);
    json_decref(b);
    fx_free(again);
}

static void predefined_network_cannot_be_created_or_removed(void **state)
{
    fx *f = *state;

    assert_null(create(f, 0, "{\"Name\":\"bridge\",\"Driver\":\"bridge\"}"));
    assert_int_equal(f->err.http_status, 403);
    assert_string_equal(f->err.message, "operation is not permitted on "
                                        "predefined bridge network ");
    assert_int_equal(sl_fake_network_remove(f->fs, 0, "host", &f->err), -1);
    assert_int_equal(f->err.http_status, 403);
    assert_string_equal(f->err.message, "host is a pre-defined network and "
                                        "cannot be removed");
}

static void local_bridge_network_can_be_created_and_removed(void **state)
{
    fx *f = *state;
    json_t *resp = create(f, 0, "{\"Name\":\"app\",\"Driver\":\"bridge\","
                                "\"CheckDuplicate\":true}");

    assert_non_null(resp);
    assert_int_equal(strlen(str(resp, "Id")), 64);
    assert_string_equal(str(resp, "Warning"), "");
    json_decref(resp);
    assert_null(create(f, 0, "{\"Name\":\"app\",\"Driver\":\"bridge\","
                             "\"CheckDuplicate\":true}"));
    assert_int_equal(f->err.http_status, 409);
    assert_string_equal(f->err.message,
                        "network with name app already exists");
    assert_int_equal(sl_fake_network_remove(f->fs, 0, "app", &f->err), 0);
}

static void overlay_outside_a_swarm_is_refused(void **state)
{
    fx *f = *state;

    assert_null(create(f, 0, OVERLAY("ovl")));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message,
                        "This node is not a swarm manager. Use \"docker "
                        "swarm init\" or \"docker swarm join\" to connect "
                        "this node to swarm and try again.");
}

/* Swarm networks ---------------------------------------------------------- */

static void init_adds_ingress_and_gwbridge(void **state)
{
    fx *f = *state;
    json_t *list = sl_fake_networks_list(f->fs, 0, NULL, &f->err);
    json_t *ingress = named(list, "ingress");

    assert_non_null(ingress);
    assert_string_equal(str(ingress, "Scope"), "swarm");
    assert_true(json_is_true(json_object_get(ingress, "Ingress")));
    assert_int_equal(strlen(str(ingress, "Id")), 25);
    assert_string_equal(str(json_object_get(ingress, "Options"),
                            "com.docker.network.driver.overlay."
                            "vxlanid_list"),
                        "4096");
    assert_non_null(named(list, "docker_gwbridge"));
    json_decref(list);
}

static void overlay_create_on_manager_gets_next_subnet(void **state)
{
    fx *f = *state;
    json_t *resp = create(f, 0, OVERLAY("backend"));
    json_t *net;

    assert_non_null(resp);
    assert_int_equal(strlen(str(resp, "Id")), 25);
    net = sl_fake_network_inspect(f->fs, 0, "backend", &f->err);
    assert_string_equal(str(net, "Id"), str(resp, "Id"));
    assert_string_equal(str(json_array_get(json_object_get(json_object_get(
                                                               net, "IPAM"),
                                                           "Config"),
                                           0),
                            "Subnet"),
                        "10.0.1.0/24");
    json_decref(net);
    json_decref(resp);
}

static void overlay_name_conflict_is_409(void **state)
{
    fx *f = *state;

    json_decref(create(f, 0, OVERLAY("dupnet")));
    assert_null(create(f, 0, OVERLAY("dupnet")));
    assert_int_equal(f->err.http_status, 409);
    assert_string_equal(f->err.message,
                        "network with name dupnet already exists");
}

static void overlay_on_a_worker_is_refused(void **state)
{
    fx *f = *state;

    assert_null(create(f, 1, OVERLAY("ovl")));
    assert_int_equal(f->err.http_status, 403);
    assert_string_equal(f->err.message, "Cannot create a multi-host network "
                                        "from a worker node. Please create "
                                        "the network from a manager node.");
}

static void network_in_use_cannot_be_removed(void **state)
{
    fx *f = *state;
    json_t *resp = create(f, 0, OVERLAY("busy"));
    char msg[256];
    const char *svc;

    svc = fx_service(f, 0, "{\"Name\":\"usesbusy\",\"TaskTemplate\":{"
                           "\"ContainerSpec\":{\"Image\":\"bb:1\"},"
                           "\"Networks\":[{\"Target\":\"busy\"}]}}");
    assert_int_equal(sl_fake_network_remove(f->fs, 0, "busy", &f->err), -1);
    snprintf(msg, sizeof(msg), "rpc error: code = FailedPrecondition desc "
             "= network %s is in use by service %s", str(resp, "Id"), svc);
    assert_int_equal(f->err.http_status, 400);
    assert_string_equal(f->err.message, msg);
    assert_int_equal(sl_fake_service_remove(f->fs, 0, "usesbusy", &f->err),
                     0);
    assert_int_equal(sl_fake_network_remove(f->fs, 0, "busy", &f->err), 0);
    json_decref(resp);
}

static void unknown_network_is_404(void **state)
{
    fx *f = *state;

    assert_null(sl_fake_network_inspect(f->fs, 0, "nosuchnetwork",
                                        &f->err));
    assert_int_equal(f->err.http_status, 404);
    assert_string_equal(f->err.message, "network nosuchnetwork not found");
    assert_int_equal(sl_fake_network_remove(f->fs, 0, "nosuchnetwork",
                                            &f->err),
                     -1);
    assert_int_equal(f->err.http_status, 404);
}

static void worker_sees_ingress_and_the_overlays_of_its_tasks(void **state)
{
    fx *f = *state;
    json_t *list;

    json_decref(create(f, 0, OVERLAY("front")));
    json_decref(create(f, 0, OVERLAY("back")));
    fx_service(f, 0, "{\"Name\":\"web\",\"TaskTemplate\":{\"ContainerSpec\":"
                     "{\"Image\":\"bb:1\"},\"Placement\":{\"Constraints\":"
                     "[\"node.hostname==n2d-wrkr-0\"]},\"Networks\":"
                     "[{\"Target\":\"front\"}]}}");
    list = sl_fake_networks_list(f->fs, 1, NULL, &f->err);
    assert_non_null(named(list, "ingress"));
    assert_non_null(named(list, "front"));
    assert_null(named(list, "back"));
    json_decref(list);
    list = sl_fake_networks_list(f->fs, 2, NULL, &f->err);
    assert_null(named(list, "front"));
    json_decref(list);
}

static void network_list_filters_like_dockerd(void **state)
{
    fx *f = *state;
    json_t *filters = fx_json("{\"driver\":{\"overlay\":true}}");
    json_t *list = sl_fake_networks_list(f->fs, 0, filters, &f->err);

    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(str(json_array_get(list, 0), "Name"), "ingress");
    json_decref(list);
    json_decref(filters);
    filters = fx_json("{\"scope\":{\"galaxy\":true}}");
    assert_null(sl_fake_networks_list(f->fs, 0, filters, &f->err));
    assert_int_equal(f->err.http_status, 400);
    assert_string_equal(f->err.message, "Invalid filter: 'scope'='galaxy'");
    json_decref(filters);
}

/* Secrets, configs, registry ---------------------------------------------- */

static void secrets_and_configs_are_empty_on_managers(void **state)
{
    fx *f = *state;
    json_t *secrets = sl_fake_secrets_list(f->fs, 0, NULL, &f->err);
    json_t *configs = sl_fake_configs_list(f->fs, 0, NULL, &f->err);

    assert_true(json_is_array(secrets) && json_array_size(secrets) == 0);
    assert_true(json_is_array(configs) && json_array_size(configs) == 0);
    json_decref(secrets);
    json_decref(configs);
    assert_null(sl_fake_configs_list(f->fs, 1, NULL, &f->err));
    assert_int_equal(f->err.http_status, 503);
}

static void distribution_inspect_fails_like_an_offline_daemon(void **state)
{
    fx *f = *state;

    assert_null(sl_fake_distribution_inspect(f->fs, 0, "bb:1", &f->err));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message,
                        "Get \"https://registry-1.docker.io/v2/\": dial "
                        "tcp: lookup registry-1.docker.io: no such host");
    assert_null(sl_fake_distribution_inspect(f->fs, 0,
                                             "registry.lan:5000/app:1",
                                             &f->err));
    assert_string_equal(f->err.message,
                        "Get \"https://registry.lan:5000/v2/\": dial tcp: "
                        "lookup registry.lan: no such host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            every_linux_host_has_bridge_host_and_none, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(windows_host_has_nat_and_none,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(local_network_ids_are_stable_64_hex,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(
            predefined_network_cannot_be_created_or_removed, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(
            local_bridge_network_can_be_created_and_removed, setup_hosts,
            teardown),
        cmocka_unit_test_setup_teardown(overlay_outside_a_swarm_is_refused,
                                        setup_hosts, teardown),
        cmocka_unit_test_setup_teardown(init_adds_ingress_and_gwbridge,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            overlay_create_on_manager_gets_next_subnet, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(overlay_name_conflict_is_409,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(overlay_on_a_worker_is_refused,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(network_in_use_cannot_be_removed,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(unknown_network_is_404,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            worker_sees_ingress_and_the_overlays_of_its_tasks, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(network_list_filters_like_dockerd,
                                        setup_cluster, teardown),
        cmocka_unit_test_setup_teardown(
            secrets_and_configs_are_empty_on_managers, setup_cluster,
            teardown),
        cmocka_unit_test_setup_teardown(
            distribution_inspect_fails_like_an_offline_daemon, setup_hosts,
            teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
