/* Tests of the scenario loader: what a file becomes, how mistakes read. */
#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

#define BAD_DIR "fixtures/scenarios/bad"
#define GOOD_DIR "fixtures/scenarios/good"
#define NS_PER_SEC INT64_C(1000000000)

/* Parses JSON text as "test.json"; fails the test on error. */
static sl_scenario *parse_ok(const char *json)
{
    sl_error err;
    sl_scenario *sc;

    sl_error_clear(&err);
    sc = sl_scenario_parse(json, strlen(json), "test.json", &err);
    if (!sc)
        fail_msg("unexpected error: %s: %s", err.where, err.message);
    return sc;
}

/* Parses JSON text that must fail; returns "WHERE: MESSAGE". */
static void parse_bad(const char *json, char *line, size_t size)
{
    sl_error err;
    sl_scenario *sc;

    sl_error_clear(&err);
    sc = sl_scenario_parse(json, strlen(json), "test.json", &err);
    if (sc) {
        sl_scenario_free(sc);
        fail_msg("loaded, but an error was expected");
    }
    assert_int_equal(err.code, SL_ERR_INVALID);
    if (snprintf(line, size, "%s: %s", err.where, err.message) >= (int)size)
        fail_msg("error longer than %zu bytes", size);
}

/* Loads a scenario of the source tree from its own directory, as the
 * fixtures' expected messages name files relative to it. */
static sl_scenario *load_in_dir(const char *dir, const char *name,
                                sl_error *err)
{
    char here[4096];
    char there[4096];
    sl_scenario *sc;

    assert_non_null(getcwd(here, sizeof(here)));
    snprintf(there, sizeof(there), "%s/%s", SL_SOURCE_DIR, dir);
    assert_int_equal(chdir(there), 0);
    sl_error_clear(err);
    sc = sl_scenario_load(name, err);
    assert_int_equal(chdir(here), 0);
    return sc;
}

/* Syntax and keys --------------------------------------------------------- */

static void malformed_json_gives_line_and_column(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\n  \"swarm\": {\n    \"managers\": {\"count\": 1},\n  }\n}\n",
              line, sizeof(line));
    assert_string_equal(line, "test.json:4:3: string or '}' expected near "
                              "'}'");
}

static void unknown_key_is_reported_with_its_path(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\"swarm\": {\"workers\": {\"cuont\": 3}}}", line,
              sizeof(line));
    assert_string_equal(line, "test.json: swarm.workers.cuont: unknown key "
                              "(did you mean 'count'?)");
}

static void wrong_type_names_expected_and_actual(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\"swarm\": {\"workers\": {\"count\": \"3\"}}}", line,
              sizeof(line));
    assert_string_equal(line, "test.json: swarm.workers.count: expected an "
                              "integer, got string");
}

static void comment_keys_are_skipped(void **state)
{
    sl_scenario *sc = parse_ok("{\"_comment\": \"why\", \"swarm\": "
                               "{\"_note\": 1}}");

    (void)state;
    assert_int_equal(sc->n_hosts, 4);
    sl_scenario_free(sc);
}

static void missing_file_is_an_io_error(void **state)
{
    sl_error err;

    (void)state;
    assert_null(sl_scenario_load("/nonexistent/scenario.json", &err));
    assert_int_equal(err.code, SL_ERR_IO);
    assert_string_equal(err.where, "/nonexistent/scenario.json");
}

/* The swarm --------------------------------------------------------------- */

static void defaults_give_the_seed_swarm(void **state)
{
    sl_scenario *sc = parse_ok("{\"swarm\": {}}");

    (void)state;
    assert_string_equal(sc->name, "test");
    assert_null(sc->description);
    assert_int_equal(sc->backend.kind, SL_BACKEND_FAKE);
    assert_string_equal(sc->backend.name, "fake");
    assert_int_equal(sc->n_hosts, 4);
    assert_string_equal(sc->hosts[0].name, "n2d-mngr-0");
    assert_true(sc->hosts[0].manager);
    assert_string_equal(sc->hosts[3].name, "n2d-wrkr-2");
    assert_false(sc->hosts[3].manager);
    assert_int_equal(sc->hosts[3].cpus, SL_DEFAULT_CPUS);
    assert_int_equal(sc->hosts[3].memory_mib, SL_DEFAULT_MEMORY_MIB);
    assert_string_equal(sc->hosts[3].os, "linux");
    assert_null(sc->services);
    assert_null(sc->compose);
    assert_int_equal(sc->n_faults, 0);
    assert_int_equal(sc->expect.leader, SL_LEADER_UNCHECKED);
    sl_scenario_free(sc);
}

static void no_manager_is_refused(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\"swarm\": {\"managers\": {\"count\": 0}}}", line,
              sizeof(line));
    assert_string_equal(line, "test.json: swarm.managers.count: a swarm "
                              "needs at least one manager");
}

static void listed_manager_is_enough_without_counted_ones(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"swarm\": {\"managers\": {\"count\": 0},"
        " \"workers\": {\"count\": 1},"
        " \"hosts\": [{\"name\": \"boss\", \"role\": \"manager\"}]}}");

    (void)state;
    assert_int_equal(sc->n_hosts, 2);
    assert_string_equal(sc->hosts[0].name, "boss");
    assert_true(sc->hosts[0].manager);
    sl_scenario_free(sc);
}

static void listed_hosts_join_the_counted_ones(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"swarm\": {\"prefix\": \"lab\", \"workers\": {\"count\": 1,"
        " \"labels\": {\"os\": \"linux\"}},"
        " \"hosts\": [{\"name\": \"win-0\", \"os\": \"windows\","
        " \"cpus\": 2, \"memory\": \"4G\", \"disk\": \"40G\","
        " \"labels\": {\"os\": \"windows\"}}]}}");
    const sl_scenario_host *win;

    (void)state;
    assert_int_equal(sc->n_hosts, 3);
    assert_string_equal(sc->hosts[1].name, "lab-wrkr-0");
    assert_string_equal(sl_docker_label_get(sc->hosts[1].labels,
                                            sc->hosts[1].n_labels, "os"),
                        "linux");
    win = sl_scenario_find_host(sc, "win-0");
    assert_ptr_equal(win, &sc->hosts[2]);
    assert_false(win->manager);
    assert_string_equal(win->os, "windows");
    assert_int_equal(win->cpus, 2);
    assert_int_equal(win->memory_mib, 4096);
    assert_int_equal(win->disk_gib, 40);
    assert_string_equal(win->labels[0].value, "windows");
    assert_null(sl_scenario_find_host(sc, "win-1"));
    sl_scenario_free(sc);
}

static void boot_times_resolve_per_host(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"backend\": {\"type\": \"fake\", \"boot_time\": \"20s\"},"
        " \"swarm\": {\"managers\": {\"count\": 1, \"boot_time\": \"5s\"},"
        " \"workers\": {\"count\": 2},"
        " \"hosts\": [{\"name\": \"slow\", \"boot_time\": \"1m30s\"}],"
        " \"boot_times\": {\"n2d-wrkr-1\": \"250ms\"}}}");

    (void)state;
    assert_int_equal(sc->backend.boot_ns, 20 * NS_PER_SEC);
    assert_int_equal(sl_scenario_find_host(sc, "n2d-mngr-0")->boot_ns,
                     5 * NS_PER_SEC);
    assert_int_equal(sl_scenario_find_host(sc, "n2d-wrkr-0")->boot_ns, 0);
    assert_int_equal(sl_scenario_find_host(sc, "n2d-wrkr-1")->boot_ns,
                     250000000);
    assert_int_equal(sl_scenario_find_host(sc, "slow")->boot_ns,
                     90 * NS_PER_SEC);
    sl_scenario_free(sc);
}

static void boot_time_needs_the_fake_backend(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\"backend\": \"netns\", \"swarm\": {\"boot_times\": "
              "{\"n2d-mngr-0\": \"1s\"}}}", line, sizeof(line));
    assert_string_equal(line, "test.json: swarm.boot_times.n2d-mngr-0: only "
                              "the fake backend simulates boot times");
}

static void backend_options_are_read_per_type(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"seed\": 9, \"backend\": {\"type\": \"libvirt\","
        " \"uri\": \"qemu+ssh://lab/system\", \"network\": \"swarm\","
        " \"pool\": \"fast\"}, \"swarm\": {}}");
    sl_hv_options opts;
    char line[600];

    (void)state;
    assert_int_equal(sc->backend.kind, SL_BACKEND_LIBVIRT);
    sl_scenario_hv_options(sc, &opts);
    assert_string_equal(opts.uri, "qemu+ssh://lab/system");
    assert_string_equal(opts.pool, "fast");
    assert_int_equal(opts.seed, 9);
    assert_string_equal(sc->backend.network, "swarm");
    sl_scenario_free(sc);

    parse_bad("{\"backend\": {\"type\": \"libvirt\", \"capacity\": {}},"
              " \"swarm\": {}}", line, sizeof(line));
    assert_string_equal(line, "test.json: backend.capacity: only for the "
                              "fake backend");

    sc = parse_ok("{\"backend\": {\"type\": \"fake\", \"registry\": "
                  "false}, \"swarm\": {}}");
    assert_true(sc->backend.no_registry);
    sl_scenario_free(sc);
    sc = parse_ok("{\"backend\": {\"type\": \"fake\"}, \"swarm\": {}}");
    assert_false(sc->backend.no_registry);
    sl_scenario_free(sc);
    parse_bad("{\"backend\": {\"type\": \"netns\", \"registry\": false},"
              " \"swarm\": {}}", line, sizeof(line));
    assert_string_equal(line, "test.json: backend.registry: only for the "
                              "fake backend");
    parse_bad("{\"backend\": {\"type\": \"fake\", \"registry\": \"no\"},"
              " \"swarm\": {}}", line, sizeof(line));
    assert_non_null(strstr(line, "test.json: backend.registry: expected"));
}

static void pipeline_spec_carries_the_swarm(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"image\": {\"name\": \"base\", \"source\": \"img/base.qcow2\","
        " \"size\": \"8G\"},"
        " \"swarm\": {\"prefix\": \"t\", \"managers\": {\"count\": 2},"
        " \"workers\": {\"count\": 1, \"cpus\": 8},"
        " \"hosts\": [{\"name\": \"x\"}], \"parallel\": 1,"
        " \"boot_retries\": 0},"
        " \"timeouts\": {\"boot\": \"90s\", \"converge\": \"2m\"}}");
    sl_pipeline_spec spec;
    sl_host_plan *plan;
    size_t n;

    (void)state;
    sl_scenario_pipeline_spec(sc, &spec);
    assert_string_equal(spec.prefix, "t");
    assert_int_equal(spec.managers.count, 2);
    assert_int_equal(spec.workers.cpus, 8);
    assert_int_equal(spec.n_extras, 1);
    assert_int_equal(spec.parallel, 1);
    assert_true(spec.boot_retries < 0);
    assert_int_equal(spec.boot_timeout_ns, 90 * NS_PER_SEC);
    assert_string_equal(spec.image.name, "base");
    assert_string_equal(spec.image.source, "img/base.qcow2");
    assert_int_equal(spec.image.size_gib, 8);
    assert_int_equal(sc->converge_timeout_ns, 120 * NS_PER_SEC);
    plan = sl_pipeline_plan(&spec, &n, NULL);
    assert_non_null(plan);
    assert_int_equal(n, sc->n_hosts);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(plan[i].name, sc->hosts[i].name);
    free(plan);
    sl_scenario_free(sc);
}

/* Deploy ------------------------------------------------------------------ */

static void listed_services_become_a_stack_without_prefix(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"swarm\": {}, \"deploy\": {"
        " \"networks\": {\"front\": {\"attachable\": true}},"
        " \"services\": [{\"name\": \"web\", \"image\": \"nginx\","
        " \"command\": \"nginx -g 'daemon off;'\", \"replicas\": 2,"
        " \"constraints\": [\"node.role == worker\"],"
        " \"env\": {\"B\": \"2\", \"A\": \"1\"}, \"networks\": [\"front\"],"
        " \"resources\": {\"limits\": {\"cpus\": 0.5, \"memory\": \"64M\"}},"
        " \"ports\": [\"8080:80/udp\"]}]}}");
    const sl_stack_service *web;
    const sl_stack *stacks[2];

    (void)state;
    assert_int_equal(sl_scenario_stacks(sc, stacks), 1);
    assert_ptr_equal(stacks[0], sc->services);
    assert_null(sc->services->name);
    assert_int_equal(sc->services->n_networks, 1);
    assert_string_equal(sc->services->networks[0].def.name, "front");
    assert_true(sc->services->networks[0].def.attachable);
    web = sl_scenario_find_service(sc, "web");
    assert_non_null(web);
    assert_string_equal(web->def.name, "web");
    assert_string_equal(web->where, "test.json: deploy.services[0]");
    assert_int_equal(web->def.n_command, 3);
    assert_string_equal(web->def.command[2], "daemon off;");
    assert_int_equal(web->def.replicas, 2);
    assert_string_equal(web->def.env[0], "A=1");
    assert_string_equal(web->def.networks[0], "front");
    assert_int_equal(web->def.limit_nano_cpus, 500000000);
    assert_int_equal(web->def.limit_memory_bytes, 64 << 20);
    assert_int_equal(web->def.ports[0].published, 8080);
    assert_string_equal(web->def.ports[0].protocol, "udp");
    sl_scenario_free(sc);
}

static void compose_file_is_loaded_relative_to_the_scenario(void **state)
{
    sl_error err;
    sl_scenario *sc = load_in_dir(GOOD_DIR, "all-features.json", &err);
    const sl_stack_service *api;

    (void)state;
    if (!sc)
        fail_msg("%s: %s", err.where, err.message);
    assert_string_equal(sc->compose_file, "stacks/shop.yml");
    assert_string_equal(sc->compose->name, "shop");
    api = sl_scenario_find_service(sc, "shop_api");
    assert_non_null(api);
    assert_ptr_equal(sl_scenario_find_service(sc, "api"), api);
    assert_string_equal(api->def.image, "shop/api:3");
    assert_string_equal(api->where, "stacks/shop.yml:3:3: services.api");
    sl_scenario_free(sc);
}

static void compose_errors_name_the_compose_file(void **state)
{
    sl_error err;

    (void)state;
    assert_null(load_in_dir(BAD_DIR, "compose-error.json", &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.where, "stacks/bad-replicas.yml:6:17: "
                                   "services.web.deploy.replicas");
}

static void strict_placement_refuses_replicas_that_cannot_fit(void **st)
{
    const char *json =
        "{\"swarm\": {\"workers\": {\"count\": 2}}, \"deploy\": {"
        " \"strict_placement\": %s, \"services\": [{\"name\": \"web\","
        " \"image\": \"x\", \"replicas\": 3, \"max_replicas_per_node\": 1,"
        " \"constraints\": [\"node.role == worker\"]}]}}";
    char text[512];
    char line[600];
    sl_scenario *sc;

    (void)st;
    snprintf(text, sizeof(text), json, "false");
    sc = parse_ok(text);
    sl_scenario_free(sc);
    snprintf(text, sizeof(text), json, "true");
    parse_bad(text, line, sizeof(line));
    assert_string_equal(line, "test.json: deploy.services[0]: 3 replicas of "
                              "'web' cannot all be placed: the 2 hosts that "
                              "satisfy its constraints hold 2");
}

static void placement_is_not_judged_on_node_ids(void **state)
{
    sl_scenario *sc = parse_ok(
        "{\"swarm\": {}, \"deploy\": {\"strict_placement\": true,"
        " \"services\": [{\"name\": \"web\", \"image\": \"x\","
        " \"constraints\": [\"node.id == abc\"]}]}}");

    (void)state;
    sl_scenario_free(sc);
}

/* Faults and expectations ------------------------------------------------- */

static void every_fault_kind_is_read(void **state)
{
    sl_error err;
    sl_scenario *sc = load_in_dir(GOOD_DIR, "all-features.json", &err);
    const sl_scenario_fault *f;

    (void)state;
    assert_non_null(sc);
    assert_int_equal(sc->n_faults, 11);
    f = sc->faults;
    assert_int_equal(f[0].kind, SL_FAULT_BOOT_FAILURE);
    assert_int_equal(f[0].at, SL_MOMENT_DURING_BOOT);
    assert_int_equal(f[0].times, 2);
    assert_false(f[0].must_fail);
    assert_int_equal(f[1].times, -1);
    assert_true(f[1].must_fail);
    assert_string_equal(f[1].fails_with, "win-0");
    assert_int_equal(f[2].kind, SL_FAULT_SLOW_API);
    assert_int_equal(f[2].duration_ns, 2 * NS_PER_SEC);
    assert_int_equal(f[3].kind, SL_FAULT_JOIN_WITH_WRONG_TOKEN);
    assert_true(f[3].as_manager);
    assert_true(f[3].must_fail);
    assert_null(f[3].fails_with);
    assert_int_equal(f[4].kind, SL_FAULT_NETWORK_PARTITION);
    assert_int_equal(f[4].n_groups, 2);
    assert_int_equal(f[4].groups[1].n_hosts, 2);
    assert_string_equal(f[4].groups[1].hosts[1], "lab-mngr-2");
    assert_int_equal(f[5].kind, SL_FAULT_POWER_LOSS);
    assert_int_equal(f[5].after_ns, 5 * NS_PER_SEC);
    assert_string_equal(f[5].path, "faults[5]");
    assert_int_equal(f[6].kind, SL_FAULT_DAEMON_STOPS_ANSWERING);
    assert_int_equal(f[7].kind, SL_FAULT_DRAIN);
    assert_string_equal(f[7].host, "lab-wrkr-0");
    assert_int_equal(f[8].kind, SL_FAULT_SCALE);
    assert_int_equal(f[8].replicas, 2);
    assert_int_equal(f[9].kind, SL_FAULT_UPDATE);
    assert_string_equal(f[9].service, "shop_api");
    assert_string_equal(f[9].image, "shop/api:4");
    assert_string_equal(f[9].env[0], "FLAG=on");
    assert_int_equal(f[10].kind, SL_FAULT_WAIT);
    assert_int_equal(f[10].duration_ns, 60 * NS_PER_SEC);
    assert_string_equal(sl_fault_kind_name(f[6].kind),
                        "daemon-stops-answering");
    assert_string_equal(sl_moment_name(f[10].at), "after-deploy");
    sl_scenario_free(sc);
}

static void fault_hosts_must_exist(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\"swarm\": {}, \"faults\": [{\"at\": \"after-swarm\","
              " \"kind\": \"power-loss\", \"host\": \"n2d-wrkr-3\"}]}",
              line, sizeof(line));
    assert_string_equal(line, "test.json: faults[0].host: no host "
                              "'n2d-wrkr-3' in this swarm (did you mean "
                              "'n2d-wrkr-0'?)");
}

static void fault_moment_must_suit_its_kind(void **state)
{
    char line[600];

    (void)state;
    parse_bad("{\"swarm\": {}, \"deploy\": {\"services\": [{\"name\": \"w\","
              " \"image\": \"x\"}]}, \"faults\": [{\"at\": \"after-swarm\","
              " \"kind\": \"scale\", \"service\": \"w\", \"replicas\": 2}]}",
              line, sizeof(line));
    assert_string_equal(line, "test.json: faults[0].at: 'scale' cannot "
                              "happen after-swarm (use after-deploy)");
}

static void expectations_are_read(void **state)
{
    sl_error err;
    sl_scenario *sc = load_in_dir(GOOD_DIR, "all-features.json", &err);
    const sl_scenario_expect *e;

    (void)state;
    assert_non_null(sc);
    e = &sc->expect;
    assert_int_equal(e->n_nodes, 3);
    assert_string_equal(e->nodes[0].role, "manager");
    assert_string_equal(e->nodes[0].availability, "active");
    assert_int_equal(e->nodes[0].count, 3);
    assert_string_equal(e->nodes[1].hostname, "lab-wrkr-1");
    assert_int_equal(e->nodes[1].count, 1);
    assert_string_equal(e->nodes[2].path, "expect.nodes[2]");
    assert_int_equal(e->nodes[2].count, 0);
    assert_int_equal(e->leader, SL_LEADER_HOST);
    assert_string_equal(e->leader_host, "lab-mngr-0");
    assert_int_equal(e->n_services, 2);
    assert_string_equal(e->services[0].name, "web");
    assert_true(e->services[0].check_running);
    assert_int_equal(e->services[0].running, 2);
    assert_string_equal(e->services[0].rescheduled_from, "lab-wrkr-1");
    assert_ptr_equal(e->services[1].service,
                     sl_scenario_find_service(sc, "shop_api"));
    assert_true(e->constraints_hold);
    assert_int_equal(e->failure_step, SL_STEP_BUILD);
    assert_string_equal(e->failure_message, "win-0");
    sl_scenario_free(sc);
}

static void leader_can_be_present_or_absent(void **state)
{
    sl_scenario *sc = parse_ok("{\"swarm\": {}, \"expect\": "
                               "{\"leader\": false}}");

    (void)state;
    assert_int_equal(sc->expect.leader, SL_LEADER_ABSENT);
    sl_scenario_free(sc);
    sc = parse_ok("{\"swarm\": {}, \"expect\": {\"leader\": true}}");
    assert_int_equal(sc->expect.leader, SL_LEADER_PRESENT);
    sl_scenario_free(sc);
}

/* Fixtures and shipped scenarios ------------------------------------------ */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "*.json" files of 'dir', sorted; NULL-ended. */
static char **list_json(const char *dir)
{
    char path[4096];
    char **names = calloc(512, sizeof(*names));
    struct dirent *e;
    size_t n = 0;
    DIR *d;

    snprintf(path, sizeof(path), "%s/%s", SL_SOURCE_DIR, dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) && n < 511) {
        size_t len = strlen(e->d_name);

        if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), compare_names);
    return names;
}

static void free_names(char **names)
{
    for (char **p = names; *p; p++)
        free(*p);
    free(names);
}

static void bad_fixtures_give_their_expected_message(void **state)
{
    char **names = list_json(BAD_DIR);
    int checked = 0;

    (void)state;
    for (char **p = names; *p; p++) {
        char rel[4096];
        char got[1024];
        char *expected;
        sl_error err;
        sl_scenario *sc;

        snprintf(rel, sizeof(rel), "%s/%.*s.expected", BAD_DIR,
                 (int)(strlen(*p) - 5), *p);
        expected = sl_test_read_file(rel, NULL);
        expected[strcspn(expected, "\n")] = '\0';
        sc = load_in_dir(BAD_DIR, *p, &err);
        if (sc) {
            sl_scenario_free(sc);
            fail_msg("%s: loaded, expected '%s'", *p, expected);
        }
        snprintf(got, sizeof(got), "%s: %s", err.where, err.message);
        if (strcmp(got, expected))
            fail_msg("%s:\n  expected: %s\n  got:      %s", *p, expected,
                     got);
        free(expected);
        checked++;
    }
    assert_true(checked >= 40);
    free_names(names);
}

static void shipped_scenarios_and_good_fixtures_validate(void **state)
{
    const char *dirs[] = {"scenarios", GOOD_DIR};
    int checked = 0;

    (void)state;
    for (size_t d = 0; d < 2; d++) {
        char **names = list_json(dirs[d]);

        for (char **p = names; *p; p++) {
            sl_error err;
            sl_scenario *sc = load_in_dir(dirs[d], *p, &err);

            if (!sc)
                fail_msg("%s/%s: %s: %s", dirs[d], *p, err.where,
                         err.message);
            sl_scenario_free(sc);
            checked++;
        }
        free_names(names);
    }
    assert_true(checked >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_json_gives_line_and_column),
        cmocka_unit_test(unknown_key_is_reported_with_its_path),
        cmocka_unit_test(wrong_type_names_expected_and_actual),
        cmocka_unit_test(comment_keys_are_skipped),
        cmocka_unit_test(missing_file_is_an_io_error),
        cmocka_unit_test(defaults_give_the_seed_swarm),
        cmocka_unit_test(no_manager_is_refused),
        cmocka_unit_test(listed_manager_is_enough_without_counted_ones),
        cmocka_unit_test(listed_hosts_join_the_counted_ones),
        cmocka_unit_test(boot_times_resolve_per_host),
        cmocka_unit_test(boot_time_needs_the_fake_backend),
        cmocka_unit_test(backend_options_are_read_per_type),
        cmocka_unit_test(pipeline_spec_carries_the_swarm),
        cmocka_unit_test(listed_services_become_a_stack_without_prefix),
        cmocka_unit_test(compose_file_is_loaded_relative_to_the_scenario),
        cmocka_unit_test(compose_errors_name_the_compose_file),
        cmocka_unit_test(strict_placement_refuses_replicas_that_cannot_fit),
        cmocka_unit_test(placement_is_not_judged_on_node_ids),
        cmocka_unit_test(every_fault_kind_is_read),
        cmocka_unit_test(fault_hosts_must_exist),
        cmocka_unit_test(fault_moment_must_suit_its_kind),
        cmocka_unit_test(expectations_are_read),
        cmocka_unit_test(leader_can_be_present_or_absent),
        cmocka_unit_test(bad_fixtures_give_their_expected_message),
        cmocka_unit_test(shipped_scenarios_and_good_fixtures_validate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
