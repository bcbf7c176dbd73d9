/* Tests of the compose loader: what docker would deploy, errors' places. */
#include "testutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose.h"
#include "constraint.h"

#define GOOD_DIR "fixtures/compose/good"
#define BAD_DIR "fixtures/compose/bad"

static const sl_compose_options demo = {"demo", NULL, 0, false};

/* Loads YAML text as "stack.yml" of stack "demo"; fails the test on error. */
static sl_stack *load_ok(const char *yaml)
{
    sl_error err;
    sl_stack *st;

    sl_error_clear(&err);
    st = sl_compose_parse(yaml, strlen(yaml), "stack.yml", &demo, &err);
    if (!st)
        fail_msg("unexpected error: %s: %s", err.where, err.message);
    return st;
}

/* Loads YAML text that must fail; returns "WHERE: MESSAGE". */
static void load_bad(const char *yaml, const sl_compose_options *opts,
                     char *line, size_t size)
{
    sl_error err;
    sl_stack *st;

    sl_error_clear(&err);
    st = sl_compose_parse(yaml, strlen(yaml), "stack.yml",
                          opts ? opts : &demo, &err);
    if (st) {
        sl_stack_free(st);
        fail_msg("loaded, but an error was expected");
    }
    assert_int_equal(err.code, SL_ERR_INVALID);
    if (snprintf(line, size, "%s: %s", err.where, err.message) >= (int)size)
        fail_msg("error longer than %zu bytes", size);
}

/* Reading ----------------------------------------------------------------- */

static void compose_replicas_and_constraints_are_read(void **state)
{
    sl_stack *st = load_ok("version: '3.8'\n"
                           "services:\n"
                           "  web:\n"
                           "    image: nginx:1.25\n"
                           "    deploy:\n"
                           "      replicas: 3\n"
                           "      placement:\n"
                           "        constraints:\n"
                           "          - node.role == worker\n"
                           "          - node.labels.os==linux\n");
    const sl_docker_service_def *def;

    (void)state;
    assert_int_equal(st->n_services, 1);
    def = &st->services[0].def;
    assert_false(def->global);
    assert_int_equal(def->replicas, 3);
    assert_true(st->services[0].replicas_given);
    assert_int_equal(def->n_constraints, 2);
    assert_string_equal(def->constraints[0], "node.role == worker");
    assert_string_equal(def->constraints[1], "node.labels.os==linux");
    sl_stack_free(st);
}

static void compose_service_names_are_prefixed_with_the_stack(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web: {image: nginx}\n"
                           "  db: {image: postgres:16}\n");

    (void)state;
    assert_int_equal(st->n_services, 2);
    assert_string_equal(st->services[0].def.name, "demo_web");
    assert_string_equal(st->services[0].key, "web");
    assert_string_equal(st->services[1].def.name, "demo_db");
    assert_ptr_equal(sl_stack_find_service(st, "db"), &st->services[1]);
    assert_ptr_equal(sl_stack_find_service(st, "demo_db"),
                     &st->services[1]);
    assert_null(sl_stack_find_service(st, "cache"));
    sl_stack_free(st);
}

static void compose_stack_labels_are_the_ones_docker_sets(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: nginx:1.25\n"
                           "    labels: {team: web}\n"
                           "    deploy:\n"
                           "      labels: [tier=front, "
                           "com.docker.stack.namespace=mine]\n");
    const sl_stack_service *s;

    (void)state;
    s = &st->services[0];
    assert_int_equal(s->def.n_labels, 3);
    assert_string_equal(s->def.labels[0].key, "com.docker.stack.image");
    assert_string_equal(s->def.labels[0].value, "nginx:1.25");
    assert_string_equal(s->def.labels[1].key, "com.docker.stack.namespace");
    assert_string_equal(s->def.labels[1].value, "demo");
    assert_string_equal(s->def.labels[2].key, "tier");
    assert_int_equal(s->n_container_labels, 2);
    assert_string_equal(s->container_labels[0].key,
                        "com.docker.stack.namespace");
    assert_string_equal(s->container_labels[1].value, "web");
    sl_stack_free(st);
}

static void compose_default_network_gets_the_service_alias(void **state)
{
    sl_stack *st = load_ok("services:\n  web: {image: nginx}\n");
    const sl_stack_service *s;

    (void)state;
    assert_int_equal(st->n_networks, 1);
    assert_string_equal(st->networks[0].def.name, "demo_default");
    assert_string_equal(st->networks[0].def.driver, "overlay");
    assert_string_equal(sl_docker_label_get(st->networks[0].def.labels,
                                            st->networks[0].def.n_labels,
                                            "com.docker.stack.namespace"),
                        "demo");
    s = &st->services[0];
    assert_int_equal(s->def.n_networks, 1);
    assert_string_equal(s->def.networks[0], "demo_default");
    assert_int_equal(s->attachments[0].n_aliases, 1);
    assert_string_equal(s->attachments[0].aliases[0], "web");
    sl_stack_free(st);
}

static void compose_only_used_networks_are_created(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: nginx\n"
                           "    networks: [front, outside]\n"
                           "networks:\n"
                           "  front: {attachable: true}\n"
                           "  spare: {}\n"
                           "  outside: {external: true}\n");

    (void)state;
    assert_int_equal(st->n_networks, 2);
    assert_string_equal(st->networks[0].def.name, "demo_front");
    assert_true(st->networks[0].def.attachable);
    assert_false(st->networks[0].external);
    assert_string_equal(st->networks[1].def.name, "outside");
    assert_true(st->networks[1].external);
    assert_string_equal(st->services[0].def.networks[0], "demo_front");
    assert_string_equal(st->services[0].def.networks[1], "outside");
    sl_stack_free(st);
}

static void compose_command_string_is_split_like_a_shell(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: nginx\n"
                           "    command: nginx -g 'daemon off;' \"a b\" "
                           "c\\ d '' #comment\n");
    const sl_docker_service_def *def;

    (void)state;
    def = &st->services[0].def;
    assert_int_equal(def->n_command, 6);
    assert_string_equal(def->command[0], "nginx");
    assert_string_equal(def->command[1], "-g");
    assert_string_equal(def->command[2], "daemon off;");
    assert_string_equal(def->command[3], "a b");
    assert_string_equal(def->command[4], "c d");
    assert_string_equal(def->command[5], "");
    sl_stack_free(st);
}

static void compose_environment_is_sorted_with_the_last_value(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  a:\n"
                           "    image: x\n"
                           "    environment: [B=1, A=2, B=3, C]\n"
                           "  b:\n"
                           "    image: x\n"
                           "    environment: {Z: 1.50, Y: yes, X: null, "
                           "W: '', V: 0x1F, U: 1e6, T: 100000.0}\n");
    const sl_docker_service_def *a;
    const sl_docker_service_def *b;

    (void)state;
    a = &st->services[0].def;
    assert_int_equal(a->n_env, 3);
    assert_string_equal(a->env[0], "A=2");
    assert_string_equal(a->env[1], "B=3");
    assert_string_equal(a->env[2], "C");
    /* Map values become text as docker's fmt.Sprint writes them. */
    b = &st->services[1].def;
    assert_int_equal(b->n_env, 7);
    assert_string_equal(b->env[0], "T=100000");
    assert_string_equal(b->env[1], "U=1e+06");
    assert_string_equal(b->env[2], "V=31");
    assert_string_equal(b->env[3], "W=");
    assert_string_equal(b->env[4], "X");
    assert_string_equal(b->env[5], "Y=true");
    assert_string_equal(b->env[6], "Z=1.5");
    sl_stack_free(st);
}

static void compose_resources_take_cpus_and_memory_units(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: x\n"
                           "    deploy:\n"
                           "      resources:\n"
                           "        limits: {cpus: '0.5', memory: 512M}\n"
                           "        reservations: {cpus: 2, memory: "
                           "1073741824}\n");
    const sl_docker_service_def *def;

    (void)state;
    def = &st->services[0].def;
    assert_int_equal(def->limit_nano_cpus, 500000000);
    assert_int_equal(def->limit_memory_bytes, 512 * 1024 * 1024);
    assert_int_equal(def->reserve_nano_cpus, 2000000000);
    assert_int_equal(def->reserve_memory_bytes, 1073741824);
    sl_stack_free(st);
}

static void compose_ports_take_short_and_long_syntax(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: x\n"
                           "    ports:\n"
                           "      - 9000:90/udp\n"
                           "      - 80\n"
                           "      - '8000-8001:70-71'\n"
                           "      - {target: 443, published: 8443, "
                           "mode: host}\n");
    const sl_docker_service_def *def;

    (void)state;
    def = &st->services[0].def;
    assert_int_equal(def->n_ports, 5);
    /* Sorted by published port as docker sends them. */
    assert_int_equal(def->ports[0].target, 80);
    assert_int_equal(def->ports[0].published, 0);
    assert_int_equal(def->ports[1].target, 70);
    assert_int_equal(def->ports[1].published, 8000);
    assert_int_equal(def->ports[2].published, 8001);
    assert_int_equal(def->ports[3].published, 8443);
    assert_string_equal(def->ports[3].publish_mode, "host");
    assert_int_equal(def->ports[4].target, 90);
    assert_string_equal(def->ports[4].protocol, "udp");
    assert_string_equal(def->ports[4].publish_mode, "ingress");
    sl_stack_free(st);
}

static void compose_merge_keys_and_anchors_are_expanded(void **state)
{
    sl_stack *st = load_ok("x-base: &base\n"
                           "  image: base:1\n"
                           "  environment: [A=1]\n"
                           "services:\n"
                           "  one:\n"
                           "    <<: *base\n"
                           "  two:\n"
                           "    <<: *base\n"
                           "    image: two:2\n");

    (void)state;
    assert_string_equal(st->services[0].def.image, "base:1");
    assert_string_equal(st->services[0].def.env[0], "A=1");
    assert_string_equal(st->services[1].def.image, "two:2");
    sl_stack_free(st);
}

static void compose_variables_come_from_the_options_only(void **state)
{
    static const sl_docker_label vars[] = {{"TAG", "2.0"}, {"EMPTY", ""}};
    sl_compose_options opts = {"demo", vars, 2, false};
    const char *yaml = "services:\n"
                       "  web:\n"
                       "    image: web:${TAG}\n"
                       "    environment:\n"
                       "      - A=${EMPTY:-fallback}\n"
                       "      - B=${EMPTY-kept}\n"
                       "      - C=$$HOME\n"
                       "      - D=${HOME}\n";
    sl_error err;
    sl_stack *st;

    (void)state;
    setenv("HOME", "/root", 1);
    st = sl_compose_parse(yaml, strlen(yaml), "stack.yml", &opts, &err);
    assert_non_null(st);
    assert_string_equal(st->services[0].def.image, "web:2.0");
    assert_string_equal(st->services[0].def.env[0], "A=fallback");
    assert_string_equal(st->services[0].def.env[1], "B=");
    assert_string_equal(st->services[0].def.env[2], "C=$HOME");
    assert_string_equal(st->services[0].def.env[3], "D=");
    assert_int_equal(st->n_warnings, 1);
    assert_string_equal(st->warnings[0].where,
                        "stack.yml:8:9: services.web.environment[3]");
    assert_string_equal(st->warnings[0].message,
                        "variable 'HOME' is not set, using an empty string");
    sl_stack_free(st);
}

static void compose_zero_replicas_reach_the_spec(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: x\n"
                           "    deploy: {replicas: 0}\n");
    json_t *spec = sl_stack_service_spec(&st->services[0], NULL);

    (void)state;
    assert_non_null(spec);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(
                         json_object_get(spec, "Mode"), "Replicated"),
                         "Replicas")), 0);
    json_decref(spec);
    sl_stack_free(st);
}

static void compose_label_not_utf8_fails_to_encode(void **state)
{
    static const sl_docker_label labels[] = {{"tier", "web"},
                                             {"owner", "caf\xe9"}};
    sl_stack_service svc = {0};
    sl_error err = {0};

    (void)state;
    svc.def.name = "demo_web";
    svc.def.image = "bb:1";
    svc.container_labels = labels;
    svc.n_container_labels = 2;
    assert_null(sl_stack_service_spec(&svc, &err));
    assert_string_equal(err.message, "cannot encode service 'demo_web': a "
                                     "string is missing or not utf-8");
    sl_error_clear(&err);
}

static void compose_preferences_and_limits_reach_the_spec(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: x\n"
                           "    deploy:\n"
                           "      endpoint_mode: dnsrr\n"
                           "      placement:\n"
                           "        preferences: [{spread: "
                           "node.labels.zone}]\n"
                           "        max_replicas_per_node: 2\n");
    json_t *spec = sl_stack_service_spec(&st->services[0], NULL);
    json_t *want = json_loads(
        "{\"Preferences\": [{\"Spread\": {\"SpreadDescriptor\": "
        "\"node.labels.zone\"}}], \"MaxReplicas\": 2}", 0, NULL);

    (void)state;
    assert_non_null(spec);
    assert_true(json_equal(json_object_get(json_object_get(spec,
                                                           "TaskTemplate"),
                                           "Placement"), want));
    assert_string_equal(json_string_value(json_object_get(json_object_get(
                            spec, "EndpointSpec"), "Mode")), "dnsrr");
    json_decref(want);
    json_decref(spec);
    sl_stack_free(st);
}

/* Errors and warnings ----------------------------------------------------- */

static void compose_unknown_key_is_reported_with_line_and_column(void **st)
{
    char line[600];

    (void)st;
    load_bad("services:\n"
             "  web:\n"
             "    image: x\n"
             "    deploy:\n"
             "      replcias: 2\n", NULL, line, sizeof(line));
    assert_string_equal(line, "stack.yml:5:7: services.web.deploy.replcias: "
                              "unknown key (did you mean 'replicas'?)");
}

static void compose_wrong_type_names_both_types(void **state)
{
    char line[600];

    (void)state;
    load_bad("services:\n"
             "  web:\n"
             "    image: x\n"
             "    deploy:\n"
             "      replicas: '3'\n", NULL, line, sizeof(line));
    assert_string_equal(line, "stack.yml:5:17: services.web.deploy.replicas: "
                              "expected an integer, got string");
}

static void compose_syntax_error_gives_line_and_column(void **state)
{
    char line[600];

    (void)state;
    load_bad("services:\n  web: [\n", NULL, line, sizeof(line));
    assert_non_null(strstr(line, "stack.yml:3:1: "));
}

static void compose_ignored_key_is_a_warning_not_dropped(void **state)
{
    sl_stack *st = load_ok("services:\n"
                           "  web:\n"
                           "    image: x\n"
                           "    container_name: web1\n");

    (void)state;
    assert_int_equal(st->n_warnings, 1);
    assert_string_equal(st->warnings[0].where,
                        "stack.yml:4:5: services.web.container_name");
    assert_string_equal(st->warnings[0].message,
                        "ignored by docker stack deploy");
    sl_stack_free(st);
}

static void compose_strict_turns_warnings_into_errors(void **state)
{
    sl_compose_options strict = {"demo", NULL, 0, true};
    char line[600];

    (void)state;
    load_bad("services:\n"
             "  web:\n"
             "    image: x\n"
             "    healthcheck: {disable: true}\n", &strict, line,
             sizeof(line));
    assert_string_equal(line, "stack.yml:4:5: services.web.healthcheck: "
                              "not supported by swarmlab, refused in strict "
                              "mode");
}

static void compose_invalid_stack_name_is_refused(void **state)
{
    sl_compose_options bad = {"my stack", NULL, 0, false};
    char line[600];

    (void)state;
    load_bad("services: {}\n", &bad, line, sizeof(line));
    assert_string_equal(line, ": invalid stack name 'my stack': use "
                              "letters, digits, '-' and '_'");
}

static void compose_missing_file_is_an_io_error(void **state)
{
    sl_error err;

    (void)state;
    assert_null(sl_compose_load("/nonexistent/stack.yml", &demo, &err));
    assert_int_equal(err.code, SL_ERR_IO);
    assert_string_equal(err.where, "/nonexistent/stack.yml");
}

/* Fixtures ---------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the files in 'dir' ending with 'suffix', sorted; NULL-ended. */
static char **list_dir(const char *dir, const char *suffix)
{
    char path[4096];
    DIR *d;
    struct dirent *e;
    char **names = calloc(256, sizeof(*names));
    size_t n = 0;

    snprintf(path, sizeof(path), "%s/%s", SL_SOURCE_DIR, dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) && n < 255) {
        size_t len = strlen(e->d_name);

        if (len > strlen(suffix) &&
            !strcmp(e->d_name + len - strlen(suffix), suffix))
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

/* The sibling of 'name' with 'ext' in place of ".yml", or NULL. */
static char *sibling(const char *dir, const char *name, const char *ext,
                     bool required)
{
    char path[4096];
    char full[8192];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%.*s%s", dir,
             (int)(strlen(name) - 4), name, ext);
    snprintf(full, sizeof(full), "%s/%s", SL_SOURCE_DIR, path);
    f = fopen(full, "r");
    if (!f) {
        if (required)
            fail_msg("missing '%s'", path);
        return NULL;
    }
    fclose(f);
    return sl_test_read_file(path, NULL);
}

static sl_stack *load_fixture(const char *dir, const char *name,
                              sl_error *err)
{
    char rel[4096];
    sl_compose_options opts = {"demo", NULL, 0,
                               !strncmp(name, "strict-", 7)};
    size_t len;
    char *text;
    sl_stack *st;

    snprintf(rel, sizeof(rel), "%s/%s", dir, name);
    text = sl_test_read_file(rel, &len);
    st = sl_compose_parse(text, len, name, &opts, err);
    free(text);
    return st;
}

static void bad_fixtures_give_their_expected_message(void **state)
{
    char **names = list_dir(BAD_DIR, ".yml");
    int checked = 0;

    (void)state;
    for (char **p = names; *p; p++) {
        char *expected = sibling(BAD_DIR, *p, ".expected", true);
        char got[1024];
        sl_error err;
        sl_stack *st;

        expected[strcspn(expected, "\n")] = '\0';
        sl_error_clear(&err);
        st = load_fixture(BAD_DIR, *p, &err);
        if (st) {
            sl_stack_free(st);
            fail_msg("%s: loaded, expected '%s'", *p, expected);
        }
        snprintf(got, sizeof(got), "%s: %s", err.where, err.message);
        if (strcmp(got, expected))
            fail_msg("%s:\n  expected: %s\n  got:      %s", *p, expected,
                     got);
        free(expected);
        checked++;
    }
    assert_true(checked >= 20);
    free_names(names);
}

static json_t *network_json(const sl_stack_network *n)
{
    json_t *labels = json_object();

    for (size_t i = 0; i < n->def.n_labels; i++)
        json_object_set_new(labels, n->def.labels[i].key,
                            json_string(n->def.labels[i].value));
    return json_pack("{s:s, s:s, s:b, s:b, s:o}", "Name", n->def.name,
                     "Driver", n->def.driver, "Attachable",
                     n->def.attachable, "Internal", n->def.internal,
                     "Labels", labels);
}

/* The requests a stack makes, for comparison with a fixture's .json. */
static json_t *stack_json(const sl_stack *st)
{
    json_t *nets = json_array();
    json_t *svcs = json_array();

    for (size_t i = 0; i < st->n_networks; i++) {
        if (!st->networks[i].external)
            json_array_append_new(nets, network_json(&st->networks[i]));
    }
    for (size_t i = 0; i < st->n_services; i++) {
        json_t *spec = sl_stack_service_spec(&st->services[i], NULL);

        assert_non_null(spec);
        json_array_append_new(svcs, spec);
    }
    return json_pack("{s:o, s:o}", "networks", nets, "services", svcs);
}

static void check_warnings(const char *name, const sl_stack *st)
{
    char *want = sibling(GOOD_DIR, name, ".warnings", false);
    char got[8192] = "";
    size_t used = 0;

    for (size_t i = 0; i < st->n_warnings; i++)
        used += (size_t)snprintf(got + used, sizeof(got) - used, "%s: %s\n",
                                 st->warnings[i].where,
                                 st->warnings[i].message);
    if (strcmp(got, want ? want : ""))
        fail_msg("%s warnings:\n  expected:\n%s\n  got:\n%s", name,
                 want ? want : "", got);
    free(want);
}

static void good_fixtures_load_as_docker_would_deploy_them(void **state)
{
    char **names = list_dir(GOOD_DIR, ".yml");
    int checked = 0;

    (void)state;
    for (char **p = names; *p; p++) {
        char *want_text = sibling(GOOD_DIR, *p, ".json", false);
        sl_error err;
        sl_stack *st = load_fixture(GOOD_DIR, *p, &err);

        if (!st)
            fail_msg("%s: %s: %s", *p, err.where, err.message);
        check_warnings(*p, st);
        if (want_text) {
            json_t *want = json_loads(want_text, 0, NULL);
            json_t *got = stack_json(st);

            assert_non_null(want);
            if (!json_equal(want, got)) {
                char *dump = json_dumps(got, JSON_INDENT(2) |
                                             JSON_SORT_KEYS);

                fail_msg("%s: requests differ from the .json; got:\n%s",
                         *p, dump);
            }
            json_decref(want);
            json_decref(got);
            free(want_text);
        }
        sl_stack_free(st);
        checked++;
    }
    assert_true(checked >= 4);
    free_names(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(compose_replicas_and_constraints_are_read),
        cmocka_unit_test(compose_service_names_are_prefixed_with_the_stack),
        cmocka_unit_test(compose_stack_labels_are_the_ones_docker_sets),
        cmocka_unit_test(compose_default_network_gets_the_service_alias),
        cmocka_unit_test(compose_only_used_networks_are_created),
        cmocka_unit_test(compose_command_string_is_split_like_a_shell),
        cmocka_unit_test(compose_environment_is_sorted_with_the_last_value),
        cmocka_unit_test(compose_resources_take_cpus_and_memory_units),
        cmocka_unit_test(compose_ports_take_short_and_long_syntax),
        cmocka_unit_test(compose_merge_keys_and_anchors_are_expanded),
        cmocka_unit_test(compose_variables_come_from_the_options_only),
        cmocka_unit_test(compose_zero_replicas_reach_the_spec),
        cmocka_unit_test(compose_label_not_utf8_fails_to_encode),
        cmocka_unit_test(compose_preferences_and_limits_reach_the_spec),
        cmocka_unit_test(
            compose_unknown_key_is_reported_with_line_and_column),
        cmocka_unit_test(compose_wrong_type_names_both_types),
        cmocka_unit_test(compose_syntax_error_gives_line_and_column),
        cmocka_unit_test(compose_ignored_key_is_a_warning_not_dropped),
        cmocka_unit_test(compose_strict_turns_warnings_into_errors),
        cmocka_unit_test(compose_invalid_stack_name_is_refused),
        cmocka_unit_test(compose_missing_file_is_an_io_error),
        cmocka_unit_test(bad_fixtures_give_their_expected_message),
        cmocka_unit_test(good_fixtures_load_as_docker_would_deploy_them),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
