/* Tests of network partitions in the simulated swarm: who leads, who is down. */
#include "fake_swarm_fixture.h"

/* Three managers (hosts 0-2) and a worker (host 3), all joined. */
static int setup(void **state)
{
    fx *f = fx_new(21);

    fx_host(f, "n2d-mngr-0", NULL, NULL);
    fx_host(f, "n2d-mngr-1", NULL, NULL);
    fx_host(f, "n2d-mngr-2", NULL, NULL);
    fx_host(f, "n2d-wrkr-0", NULL, NULL);
    fx_init(f, 0);
    fx_join(f, 1, 0, true);
    fx_join(f, 2, 0, true);
    fx_join(f, 3, 0, false);
    sl_clock_advance_ns(f->clock, 5 * SL_NS_PER_SEC);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static const char *node_state(fx *f, int asked, const char *hostname)
{
    static char state[32];
    json_t *node = fx_node(f, asked, hostname);

    snprintf(state, sizeof(state), "%s",
             json_string_value(json_object_get(json_object_get(node,
                                                               "Status"),
                                               "State")));
    json_decref(node);
    return state;
}

static void assert_no_leader(fx *f, int host)
{
    json_t *nodes = sl_fake_nodes_list(f->fs, host, NULL, &f->err);

    assert_null(nodes);
    assert_int_equal(f->err.http_status, 500);
    assert_non_null(strstr(f->err.message, "The swarm does not have a "
                                           "leader"));
}

static void majority_side_keeps_its_leader_and_sees_the_rest_down(void **st)
{
    fx *f = *st;
    const int sides[] = {0, 0, 1, 0};

    sl_fake_swarm_partition(f->fs, sides, 4);
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 0), 0);
    assert_string_equal(node_state(f, 0, "n2d-mngr-2"), "down");
    assert_string_equal(node_state(f, 0, "n2d-wrkr-0"), "ready");
    assert_string_equal(node_state(f, 1, "n2d-mngr-1"), "ready");
}

static void manager_cut_off_answers_that_there_is_no_leader(void **st)
{
    fx *f = *st;
    const int sides[] = {0, 0, 1, 0};

    sl_fake_swarm_partition(f->fs, sides, 4);
    assert_no_leader(f, 2);
}

static void leader_on_the_minority_side_loses_the_lead(void **st)
{
    fx *f = *st;
    const int sides[] = {1, 0, 0, 0};

    sl_fake_swarm_partition(f->fs, sides, 4);
    assert_no_leader(f, 0);
    assert_int_equal(sl_fake_swarm_leader_host(f->fs, 1), 1);
    assert_string_equal(node_state(f, 1, "n2d-mngr-0"), "down");
}

static void even_split_leaves_no_manager_leading(void **st)
{
    fx *f = *st;
    const int sides[] = {0, 1, 2, 0};

    sl_fake_swarm_partition(f->fs, sides, 4);
    assert_no_leader(f, 0);
    assert_no_leader(f, 1);
    assert_no_leader(f, 2);
}

static void healed_network_brings_the_nodes_back(void **st)
{
    fx *f = *st;
    const int sides[] = {0, 0, 1, 1};

    sl_fake_swarm_partition(f->fs, sides, 4);
    assert_string_equal(node_state(f, 0, "n2d-wrkr-0"), "down");
    sl_fake_swarm_heal(f->fs);
    assert_string_equal(node_state(f, 0, "n2d-wrkr-0"), "ready");
    assert_string_equal(node_state(f, 2, "n2d-mngr-2"), "ready");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(majority_side_keeps_its_leader_and_sees_the_rest_down),
        T(manager_cut_off_answers_that_there_is_no_leader),
        T(leader_on_the_minority_side_loses_the_lead),
        T(even_split_leaves_no_manager_leading),
        T(healed_network_brings_the_nodes_back),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
