/* Tests of the scenario runner and its reports on the fakes. */
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "docker_internal.h"
#include "fake_hypervisor.h"
#include "fake_runner.h"
#include "report.h"
#include "runner.h"
#include "runner_int.h"
#include "scenario.h"

#define LIBRARY_DIR SL_SOURCE_DIR "/scenarios"

/* Helpers ------------------------------------------------------------------ */

/* A scenario from JSON text named 'file'; fails the test on error. */
static sl_scenario *parse(const char *file, const char *json)
{
    sl_error err;
    sl_scenario *sc = sl_scenario_parse(json, strlen(json), file, &err);

    if (!sc)
        fail_msg("cannot parse '%s': %s: %s", file, err.where, err.message);
    return sc;
}

static sl_run_options fake_options(void)
{
    sl_run_options o = {0};

    o.sim = sl_fake_run_sim();
    return o;
}

static void run_one(const sl_scenario *sc, const sl_run_options *o,
                    sl_run_result *r)
{
    sl_error err;

    if (sl_run_scenario(sc, o, r, &err) < 0)
        fail_msg("cannot run '%s': %s", sc->name, err.message);
}

/* The report without its wall-clock fields, as text. */
static char *without_wall(const json_t *report)
{
    json_t *copy = json_deep_copy(report);
    json_t *stack[256];
    size_t n = 0;
    char *text;

    stack[n++] = copy;
    while (n) {
        json_t *v = stack[--n];
        const char *key;
        void *tmp;
        json_t *m;
        size_t i;

        if (json_is_object(v)) {
            json_object_foreach_safe(v, tmp, key, m) {
                if (!strncmp(key, "wall_", 5))
                    json_object_del(v, key);
                else if (n < 256)
                    stack[n++] = m;
            }
        } else if (json_is_array(v)) {
            json_array_foreach(v, i, m) {
                if (n < 256)
                    stack[n++] = m;
            }
        }
    }
    text = json_dumps(copy, JSON_INDENT(2));
    json_decref(copy);
    return text;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The library's scenario files, loaded, sorted by name. */
static size_t load_library(sl_scenario ***out)
{
    DIR *d = opendir(LIBRARY_DIR);
    char *names[64];
    size_t n = 0;
    struct dirent *e;

    assert_non_null(d);
    while ((e = readdir(d)) && n < 64) {
        size_t len = strlen(e->d_name);

        if (len > 5 && !strcmp(e->d_name + len - 5, ".json"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    *out = calloc(n, sizeof(**out));
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        sl_error err;

        snprintf(path, sizeof(path), "%s/%s", LIBRARY_DIR, names[i]);
        (*out)[i] = sl_scenario_load(path, &err);
        if (!(*out)[i])
            fail_msg("%s: %s", err.where, err.message);
        free(names[i]);
    }
    return n;
}

static const char *report_string(const sl_run_result *r, const char *key)
{
    return json_string_value(json_object_get(r->report, key));
}

/* The library -------------------------------------------------------------- */

static void every_library_scenario_passes_on_the_fakes(void **state)
{
    sl_run_options o = fake_options();
    sl_scenario **scs;
    sl_run_result *results;
    size_t n = load_library(&scs);
    sl_error err;

    (void)state;
    assert_true(n >= 12);
    results = calloc(n, sizeof(*results));
    o.jobs = 4;
    assert_int_equal(sl_run_all((const sl_scenario *const *)scs, n, &o,
                                results, &err), 0);
    for (size_t i = 0; i < n; i++) {
        if (results[i].outcome != SL_RUN_PASS)
            fail_msg("%s: %s: %s: expected %s, observed %s", scs[i]->name,
                     sl_run_outcome_name(results[i].outcome),
                     results[i].n_failures ? results[i].failures[0].where
                                           : "",
                     results[i].n_failures ? results[i].failures[0].expected
                                           : "",
                     results[i].n_failures && results[i].failures[0].observed
                         ? results[i].failures[0].observed
                         : "");
        sl_run_result_clear(&results[i]);
        sl_scenario_free(scs[i]);
    }
    free(results);
    free(scs);
}

/* Two runs of the same files, one at a time and four at once, give the
 * same reports but for wall-clock fields. */
static void same_file_and_seed_give_the_same_report(void **state)
{
    static const char *const files[] = {"seed-swarm.json", "mixed-os.json",
                                        "worker-power-loss.json",
                                        "boot-retry.json", "quorum-loss.json",
                                        "drain.json"};
    sl_run_options o = fake_options();

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[4096];
        sl_run_result a, b;
        sl_scenario *sc;
        sl_error err;
        char *ta, *tb;

        snprintf(path, sizeof(path), "%s/%s", LIBRARY_DIR, files[i]);
        sc = sl_scenario_load(path, &err);
        assert_non_null(sc);
        run_one(sc, &o, &a);
        run_one(sc, &o, &b);
        ta = without_wall(a.report);
        tb = without_wall(b.report);
        if (strcmp(ta, tb))
            fail_msg("%s: reports differ:\n%s\n---\n%s", files[i], ta, tb);
        assert_non_null(strstr(ta, "\"at_ms\""));
        assert_null(strstr(ta, "\"wall_"));
        free(ta);
        free(tb);
        sl_run_result_clear(&a);
        sl_run_result_clear(&b);
        sl_scenario_free(sc);
    }
}

static void another_seed_gives_other_ids(void **state)
{
    sl_run_options o = fake_options();
    sl_run_result a, b;
    sl_scenario *sc;
    sl_error err;
    char *ta, *tb;

    (void)state;
    sc = sl_scenario_load(LIBRARY_DIR "/seed-swarm.json", &err);
    assert_non_null(sc);
    run_one(sc, &o, &a);
    o.seed_given = true;
    o.seed = 99;
    run_one(sc, &o, &b);
    assert_int_equal(a.outcome, SL_RUN_PASS);
    assert_int_equal(b.outcome, SL_RUN_PASS);
    assert_int_equal(json_integer_value(json_object_get(b.report, "seed")),
                     99);
    ta = without_wall(json_object_get(a.report, "swarm"));
    tb = without_wall(json_object_get(b.report, "swarm"));
    assert_string_not_equal(ta, tb);
    free(ta);
    free(tb);
    sl_run_result_clear(&a);
    sl_run_result_clear(&b);
    sl_scenario_free(sc);
}

/* Failures ----------------------------------------------------------------- */

static void wrong_expectation_fails_with_the_observed_value(void **state)
{
    sl_scenario *sc = parse(
        "wrong.json",
        "{\"swarm\": {\"managers\": {\"count\": 1}, \"workers\": {\"count\": "
        "3}}, \"deploy\": {\"services\": [{\"name\": \"web\", \"image\": "
        "\"nginx\", \"replicas\": 3, \"constraints\": [\"node.role == "
        "worker\"]}]}, \"expect\": {\"services\": [{\"name\": \"web\", "
        "\"running\": 5}], \"leader\": \"n2d-mngr-0\"}}");
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *exp;
    char *text;

    (void)state;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_FAIL);
    assert_int_equal(r.n_failures, 1);
    assert_string_equal(r.failures[0].where, "expect.services[0]");
    assert_string_equal(r.failures[0].expected, "'web': 5 running tasks");
    assert_string_equal(r.failures[0].observed,
                        "3 running (n2d-wrkr-0, n2d-wrkr-1, n2d-wrkr-2)");
    assert_string_equal(report_string(&r, "outcome"), "fail");
    exp = json_object_get(r.report, "expectations");
    assert_int_equal(json_array_size(exp), 2);
    /* nodes, leader, services, constraints: in that order */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(exp, 0), "outcome")), "pass");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(exp, 1), "outcome")), "fail");
    /* the converge wait gave up after its timeout, on the virtual clock */
    assert_true(r.virtual_ns >= 60 * SL_NS_PER_SEC);
    text = json_dumps(r.report, 0);
    assert_non_null(strstr(text, "\"observed\": \"3 running (n2d-wrkr-0"));
    assert_non_null(strstr(text, "\"timed-out\""));
    free(text);
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void without_a_registry_only_imported_images_run(void **state)
{
    sl_scenario *sc = parse(
        "offline.json",
        "{\"backend\": {\"type\": \"fake\", \"registry\": false},"
        " \"swarm\": {\"managers\": {\"count\": 1}, \"workers\": "
        "{\"count\": 2}}, \"deploy\": {\"services\": ["
        "{\"name\": \"web\", \"image\": \"bb:1\", \"replicas\": 2},"
        "{\"name\": \"ghost\", \"image\": \"nosuch:1\", \"replicas\": 2}]},"
        " \"expect\": {\"services\": [{\"name\": \"web\", \"running\": 2},"
        " {\"name\": \"ghost\", \"running\": 2}]}}");
    sl_run_options o = fake_options();
    sl_run_result r;

    (void)state;
    run_one(sc, &o, &r);
    /* bb:1 was imported into every host as on the real backends; the
     * image nobody holds is rejected, and the report says so. */
    assert_int_equal(r.outcome, SL_RUN_FAIL);
    assert_int_equal(r.n_failures, 1);
    assert_string_equal(r.failures[0].where, "expect.services[1]");
    assert_string_equal(r.failures[0].observed,
                        "0 running, 2 pending: No such image: nosuch:1");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void failed_step_fails_the_scenario_with_its_message(void **state)
{
    sl_scenario *sc = parse(
        "ports.json",
        "{\"swarm\": {\"managers\": {\"count\": 1}, \"workers\": {\"count\": "
        "1}}, \"deploy\": {\"services\": [{\"name\": \"a\", \"image\": "
        "\"nginx\", \"ports\": [\"8080:80\"]}, {\"name\": \"b\", \"image\": "
        "\"nginx\", \"ports\": [\"8080:80\"]}]}, \"faults\": [{\"at\": "
        "\"after-deploy\", \"kind\": \"scale\", \"service\": \"a\", "
        "\"replicas\": 2}]}");
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *steps;

    (void)state;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_FAIL);
    assert_string_equal(r.failures[0].where, "deploy");
    assert_non_null(strstr(r.failures[0].observed,
                           "cannot create service 'b': "));
    assert_non_null(strstr(r.failures[0].observed, "port '8080' is already "
                                                   "in use"));
    steps = json_object_get(r.report, "steps");
    /* build, deploy, the scale not run, teardown */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(steps, 2), "outcome")),
                        "not-run");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void expected_deploy_failure_passes_and_skips_what_follows(void **s)
{
    sl_scenario *sc = parse(
        "deploy-fails.json",
        "{\"swarm\": {\"managers\": {\"count\": 1}, \"workers\": {\"count\": "
        "1}}, \"deploy\": {\"networks\": {\"ext\": {\"external\": true}}, "
        "\"services\": [{\"name\": \"web\", \"image\": \"nginx\", "
        "\"networks\": [\"ext\"]}]}, \"faults\": [{\"at\": \"after-deploy\", "
        "\"kind\": \"wait\", \"duration\": \"1m\"}], \"expect\": "
        "{\"failure\": {\"step\": \"deploy\", \"message\": \"not found\"}, "
        "\"nodes\": [{\"state\": \"ready\", \"count\": 2}]}}");
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *steps;

    (void)s;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_PASS);
    steps = json_object_get(r.report, "steps");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(steps, 1), "outcome")),
                        "failed-as-expected");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(steps, 2), "outcome")),
                        "not-run");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void build_that_must_fail_but_succeeds_fails(void **state)
{
    sl_scenario *sc = parse(
        "no-failure.json",
        "{\"swarm\": {\"managers\": {\"count\": 1}, \"workers\": {\"count\": "
        "0}}, \"expect\": {\"failure\": {\"step\": \"build\", \"message\": "
        "\"boom\"}}}");
    sl_run_options o = fake_options();
    sl_run_result r;

    (void)state;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_FAIL);
    assert_string_equal(r.failures[0].where, "expect.failure");
    assert_string_equal(r.failures[0].expected,
                        "the build to fail with 'boom'");
    assert_string_equal(r.failures[0].observed, "it succeeded");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* A host that never boots: the build fails as expected, and the run
 * checks that nothing of it is left. */
static void failed_build_leaves_nothing(void **state)
{
    sl_scenario *sc = sl_scenario_load(LIBRARY_DIR "/boot-retries.json",
                                       NULL);
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *exp;
    json_t *build;

    (void)state;
    assert_non_null(sc);
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_PASS);
    build = json_array_get(json_object_get(r.report, "steps"), 2);
    assert_string_equal(json_string_value(json_object_get(build, "step")),
                        "build");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(build, "retries"),
                         "n2d-wrkr-0")), 2);
    exp = json_object_get(r.report, "expectations");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(exp, 1), "observed")),
                        "nothing left");
    assert_true(json_is_null(json_object_get(r.report, "swarm")));
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* Faults ------------------------------------------------------------------- */

static void fault_the_backend_cannot_produce_is_skipped(void **state)
{
    sl_scenario *sc = parse(
        "slow.json",
        "{\"swarm\": {\"managers\": {\"count\": 3}}, \"faults\": [{\"at\": "
        "\"during-boot\", \"kind\": \"slow-api\", \"host\": "
        "\"n2d-mngr-1\", \"delay\": \"5s\"}], "
        "\"expect\": {\"leader\": true}}");
    sl_run_options o = fake_options();
    char dir[] = "/tmp/sl-runner-XXXXXX";
    sl_run_result r;
    DIR *d;
    struct dirent *e;
    size_t entries = 0;

    (void)state;
    assert_non_null(mkdtemp(dir));
    o.tmpdir = dir;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_SKIP);
    assert_string_equal(r.skip_reason,
                        "faults[0] slow-api: 'fake' cannot slow the "
                        "build's own calls");
    assert_string_equal(report_string(&r, "reason"), r.skip_reason);
    d = opendir(dir);
    while ((e = readdir(d)))
        entries += e->d_name[0] != '.';
    closedir(d);
    rmdir(dir);
    assert_int_equal(entries, 0); /* nothing made, not even a state file */
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* A manager whose daemon stops answering is left alone: the steps and
 * checks go through the others, quickly. A slow one delays each call on
 * the scenario's clock. */
static void frozen_and_slow_managers(void **state)
{
    sl_scenario *sc = parse(
        "frozen.json",
        "{\"swarm\": {\"managers\": {\"count\": 3}, \"workers\": {\"count\": "
        "2}}, \"deploy\": {\"services\": [{\"name\": \"web\", \"image\": "
        "\"nginx\", \"replicas\": 4}]}, \"faults\": [{\"at\": "
        "\"after-swarm\", \"kind\": \"daemon-stops-answering\", \"host\": "
        "\"n2d-mngr-0\"}, {\"at\": \"after-swarm\", \"kind\": \"slow-api\", "
        "\"host\": \"n2d-mngr-1\", \"delay\": \"2s\"}, {\"at\": "
        "\"after-deploy\", \"kind\": \"scale\", \"service\": \"web\", "
        "\"replicas\": 2}], \"expect\": {\"services\": [{\"name\": \"web\", "
        "\"running\": 2}], \"leader\": true}}");
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *swarm;

    (void)state;
    run_one(sc, &o, &r);
    if (r.outcome != SL_RUN_PASS)
        fail_msg("%s: expected %s, observed %s", r.failures[0].where,
                 r.failures[0].expected, r.failures[0].observed);
    assert_true(r.wall_ns < 5 * SL_NS_PER_SEC);
    /* deploy (1 call), its settling (3), scale (2), its settling (3), the
     * converge (3): 12 slow answers after the 20 s boot */
    assert_int_equal(r.virtual_ns, (20 + 12 * 2) * SL_NS_PER_SEC);
    swarm = json_object_get(r.report, "swarm");
    assert_string_equal(json_string_value(json_object_get(swarm,
                                                          "observed_from")),
                        "n2d-mngr-1");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void join_with_wrong_token_as_manager_is_refused(void **state)
{
    sl_scenario *sc = parse(
        "join.json",
        "{\"swarm\": {\"managers\": {\"count\": 3}, \"workers\": {\"count\": "
        "1}}, \"faults\": [{\"at\": \"after-swarm\", \"kind\": "
        "\"join-with-wrong-token\", \"host\": \"n2d-mngr-2\", \"as\": "
        "\"manager\", \"fails_with\": \"valid join token is necessary\"}], "
        "\"expect\": {\"nodes\": [{\"hostname\": \"n2d-mngr-2\", \"state\": "
        "\"down\"}, {\"role\": \"manager\", \"state\": \"ready\", \"count\": "
        "2}], \"leader\": \"n2d-mngr-0\"}}");
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *step;

    (void)state;
    run_one(sc, &o, &r);
    if (r.outcome != SL_RUN_PASS)
        fail_msg("%s: expected %s, observed %s", r.failures[0].where,
                 r.failures[0].expected, r.failures[0].observed);
    step = json_array_get(json_object_get(r.report, "steps"), 1);
    assert_string_equal(json_string_value(json_object_get(step, "outcome")),
                        "failed-as-expected");
    assert_non_null(strstr(json_string_value(json_object_get(step,
                                                             "message")),
                           "InvalidArgument"));
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* libvirt's test driver -------------------------------------------------- */

static void seed_scenario_runs_on_the_libvirt_test_driver(void **state)
{
    sl_scenario *sc = sl_scenario_load(LIBRARY_DIR "/seed-swarm.json", NULL);
    sl_run_options o = fake_options();
    sl_run_result r;

    (void)state;
    assert_non_null(sc);
    o.hypervisor = "libvirt";
    o.uri = "test:///default";
    run_one(sc, &o, &r);
    if (r.outcome != SL_RUN_PASS)
        fail_msg("%s: %s: expected %s, observed %s",
                 sl_run_outcome_name(r.outcome),
                 r.n_failures ? r.failures[0].where : r.skip_reason,
                 r.n_failures ? r.failures[0].expected : "",
                 r.n_failures ? r.failures[0].observed : "");
    assert_string_equal(report_string(&r, "backend"), "libvirt");
    assert_string_equal(report_string(&r, "uri"), "test:///default");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void boot_faults_are_skipped_on_the_libvirt_test_driver(void **st)
{
    sl_scenario *sc = sl_scenario_load(LIBRARY_DIR "/boot-retry.json", NULL);
    sl_run_options o = fake_options();
    sl_run_result r;

    (void)st;
    assert_non_null(sc);
    o.hypervisor = "libvirt";
    o.uri = "test:///default";
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_SKIP);
    assert_string_equal(r.skip_reason, "faults[0] boot-failure: 'libvirt' "
                                       "cannot make a boot fail");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

static void host_bigger_than_the_test_machine_is_skipped(void **state)
{
    sl_scenario *sc = parse(
        "big.json", "{\"swarm\": {\"managers\": {\"count\": 1, \"cpus\": "
                    "64}}, \"expect\": {\"leader\": true}}");
    sl_run_options o = fake_options();
    sl_run_result r;

    (void)state;
    o.hypervisor = "libvirt";
    o.uri = "test:///default";
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_SKIP);
    assert_non_null(strstr(r.skip_reason, "does not fit on "
                                          "'test:///default': "));
    assert_non_null(strstr(r.skip_reason, "needs 64 CPUs"));
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* Reports ------------------------------------------------------------------ */

/* A pass, a failure and a skip, with text that needs escaping. */
static void three_results(sl_run_result r[3])
{
    static const char *const texts[] = {
        "{\"name\": \"good\", \"swarm\": {\"workers\": {\"count\": 1}}}",
        "{\"name\": \"bad <&> \\\"quoted\\\" # one\", \"swarm\": "
        "{\"workers\": {\"count\": 1}}, \"expect\": {\"nodes\": "
        "[{\"role\": \"worker\", \"count\": 2}]}}",
        "{\"name\": \"skipped\", \"swarm\": {\"managers\": {\"count\": 3}}, "
        "\"faults\": [{\"at\": \"during-boot\", \"kind\": \"slow-api\", "
        "\"host\": \"n2d-mngr-1\", \"delay\": \"5s\"}]}"};
    sl_run_options o = fake_options();

    for (int i = 0; i < 3; i++) {
        char file[32];
        sl_scenario *sc;

        snprintf(file, sizeof(file), "r%d.json", i);
        sc = parse(file, texts[i]);
        run_one(sc, &o, &r[i]);
        sl_scenario_free(sc);
    }
    assert_int_equal(r[0].outcome, SL_RUN_PASS);
    assert_int_equal(r[1].outcome, SL_RUN_FAIL);
    assert_int_equal(r[2].outcome, SL_RUN_SKIP);
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

static char *render(int (*fn)(FILE *, const sl_run_result *, size_t),
                    const sl_run_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_int_equal(fn(f, r, 3), 0);
    fclose(f);
    return buf;
}

static int junit3(FILE *f, const sl_run_result *r, size_t n)
{
    return sl_report_junit(f, r, n, 1500000000);
}

static void tap_report_is_well_formed(void **state)
{
    sl_run_result r[3];
    char *tap;

    (void)state;
    three_results(r);
    tap = render(sl_report_tap, r);
    assert_true(!strncmp(tap, "TAP version 13\n1..3\n", 20));
    assert_non_null(strstr(tap, "\nok 1 - good\n"));
    assert_non_null(strstr(tap, "\nnot ok 2 - bad <&> \"quoted\"   one\n"
                                "  ---\n"));
    assert_non_null(strstr(tap, "      expected: \"2 nodes: role worker\"\n"
                                "      observed: \"1 (n2d-wrkr-0)\"\n"
                                "  ...\n"));
    assert_non_null(strstr(tap, "\nok 3 - skipped # SKIP faults[0] "
                                "slow-api: "));
    assert_int_equal(count(tap, "\nok "), 2);
    assert_int_equal(count(tap, "\nnot ok "), 1);
    free(tap);
    for (int i = 0; i < 3; i++)
        sl_run_result_clear(&r[i]);
}

static void junit_report_is_well_formed(void **state)
{
    sl_run_result r[3];
    char path[] = "/tmp/sl-junit-XXXXXX";
    char *xml;
    FILE *f;
    int fd;

    (void)state;
    three_results(r);
    xml = render(junit3, r);
    assert_int_equal(count(xml, "<testcase "), 3);
    assert_int_equal(count(xml, "<failure "), 1);
    assert_int_equal(count(xml, "</failure>"), 1);
    assert_int_equal(count(xml, "<skipped "), 1);
    assert_int_equal(count(xml, "<testsuite "), 1);
    assert_int_equal(count(xml, "</testsuite>"), 1);
    assert_non_null(strstr(xml, "tests=\"3\" failures=\"1\" skipped=\"1\""));
    assert_non_null(strstr(xml, "name=\"bad &lt;&amp;&gt; &quot;quoted&quot;"
                                " # one\""));
    assert_null(strstr(xml, "<&>"));
    /* xmllint, when there, parses it */
    fd = mkstemp(path);
    f = fdopen(fd, "w");
    fputs(xml, f);
    fclose(f);
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
        assert_int_equal(system(cmd), 0);
    }
    unlink(path);
    free(xml);
    for (int i = 0; i < 3; i++)
        sl_run_result_clear(&r[i]);
}

static void json_report_counts_and_lists_every_scenario(void **state)
{
    sl_run_result r[3];
    json_t *all;
    json_t *summary;

    (void)state;
    three_results(r);
    all = sl_report_json(r, 3, 1500000000);
    summary = json_object_get(all, "summary");
    assert_int_equal(json_integer_value(json_object_get(summary, "passed")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(summary, "failed")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(summary, "skipped")),
                     1);
    assert_int_equal(json_integer_value(json_object_get(all, "wall_ms")),
                     1500);
    assert_int_equal(json_array_size(json_object_get(all, "scenarios")), 3);
    json_decref(all);
    for (int i = 0; i < 3; i++)
        sl_run_result_clear(&r[i]);
}

/* Rolling updates ---------------------------------------------------------- */

/* What a real dockerd 20.10 manager listed (trimmed) while it updated the
 * 4 replicas of 'web' to FLAG=two, one at a time, each old task stopped
 * first: slots 1, 2 and 4 run the new spec; slot 3's old task is being
 * stopped (desired shutdown, still running) and its new one waits in
 * "ready". */
#define REAL_NODES                                                          \
    "[{\"ID\": \"n3xv56s3f47fmqipuyin823f4\", \"Description\": "             \
    "{\"Hostname\": \"node-0\"}, \"Spec\": {\"Role\": \"manager\", "        \
    "\"Availability\": \"active\"}, \"Status\": {\"State\": \"ready\"}}, "  \
    "{\"ID\": \"gkkwp0ogazhrdtwt8qlftsgye\", \"Description\": "             \
    "{\"Hostname\": \"node-1\"}, \"Spec\": {\"Role\": \"worker\", "         \
    "\"Availability\": \"active\"}, \"Status\": {\"State\": \"ready\"}}]"
#define REAL_SERVICE(status)                                                \
    "[{\"ID\": \"jko4jk5b4jof3vl56p8xh367z\", \"Version\": {\"Index\": 62}, " \
    "\"Spec\": {\"Name\": \"web\", \"TaskTemplate\": {\"ContainerSpec\": "  \
    "{\"Image\": \"bb:1\", \"Env\": [\"FLAG=two\"]}}, \"Mode\": "           \
    "{\"Replicated\": {\"Replicas\": 4}}}" status "}]"
#define REAL_TASK(id, slot, node, desired, state, env)                      \
    "{\"ID\": \"" id "\", \"ServiceID\": \"jko4jk5b4jof3vl56p8xh367z\", "    \
    "\"Slot\": " #slot ", \"NodeID\": \"" node "\", \"DesiredState\": \""   \
    desired "\", \"Status\": {\"State\": \"" state "\"}, \"Spec\": "        \
    "{\"ContainerSpec\": {\"Image\": \"bb:1\", \"Env\": [\"FLAG=" env       \
    "\"]}}}"
#define NODE0 "n3xv56s3f47fmqipuyin823f4"
#define NODE1 "gkkwp0ogazhrdtwt8qlftsgye"
#define LAST_SLOT_TASKS                                                     \
    "[" REAL_TASK("k034h0xdquua8rwj2dgciaf8t", 4, NODE0, "running",         \
                  "running", "two") ","                                     \
    REAL_TASK("yshnfv15xs3894mkkrecloc8g", 1, NODE1, "running", "running",  \
              "two") ","                                                    \
    REAL_TASK("z17z5ceq50tc75je9s5uahu98", 2, NODE0, "running", "running",  \
              "two") ","                                                    \
    REAL_TASK("k2hj9yyr2i83bfmoceo6mgwd2", 3, NODE1, "shutdown",            \
              "running", "on") ","                                          \
    REAL_TASK("s2uhbyp5gc2xt9h4ekviedxha", 3, NODE1, "ready", "ready",      \
              "two") "]"
#define UPDATING                                                            \
    ", \"UpdateStatus\": {\"State\": \"updating\", \"StartedAt\": "         \
    "\"2026-12-03T19:35:05.097280329Z\", \"Message\": \"update in "         \
    "progress\"}"

static json_t *load_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);

    if (!j)
        fail_msg("bad test JSON at %d: %s", jerr.column, jerr.text);
    return j;
}

/* A view of the swarm made of what a manager listed. */
static void view_of(rn_view *v, const char *nodes, const char *services,
                    const char *tasks)
{
    json_t *n = load_json(nodes), *s = load_json(services);
    json_t *t = load_json(tasks);
    sl_error err;

    memset(v, 0, sizeof(*v));
    v->nodes = sl__docker_node_list_parse(n, &err);
    v->services = sl__docker_service_list_parse(s, &err);
    v->tasks = sl__docker_task_list_parse(t, &err);
    assert_non_null(v->nodes);
    assert_non_null(v->services);
    assert_non_null(v->tasks);
    json_decref(n);
    json_decref(s);
    json_decref(t);
}

static const char *const flag_two[] = {"FLAG=two"};
static const sl_scenario_fault update_web = {
    .path = "faults[0]", .kind = SL_FAULT_UPDATE, .service = "web",
    .env = flag_two, .n_env = 1};

/* Every running task runs the new spec, yet the last replica is still on
 * its way: the update is not done while the daemon says "updating". */
/* What real managers answer while they decide that a partition left them
 * without a majority, and after. */
static void manager_that_timed_out_has_not_settled(void **state)
{
    rn_view v = {0};

    (void)state;
    snprintf(v.error, sizeof(v.error), "n2d-mngr-0: rpc error: code = "
             "DeadlineExceeded desc = context deadline exceeded");
    assert_false(sl__rn_view_settled(&v));
    snprintf(v.error, sizeof(v.error), "n2d-mngr-0: rpc error: code = "
             "Unknown desc = The swarm does not have a leader. It's possible "
             "that too few managers are online. Make sure more than half of "
             "the managers are online.");
    assert_true(sl__rn_view_settled(&v));
}

static void update_still_rolling_on_a_real_daemon_is_not_done(void **state)
{
    rn_update u;
    rn_view v;

    (void)state;
    view_of(&v, REAL_NODES, REAL_SERVICE(UPDATING), LAST_SLOT_TASKS);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_int_equal(u.updated, 3);
    assert_int_equal(u.running, 3);
    assert_int_equal(u.wanted, 4);
    assert_string_equal(u.status, "updating");
    assert_int_equal(u.state, RN_UPDATE_GOING);
    sl__rn_view_clear(&v);
}

/* Without an UpdateStatus (a manager resets it as the spec changes) the
 * update is done once every replica runs it, not before. */
static void update_without_status_waits_for_every_replica(void **state)
{
    static const char *const done_tasks =
        "[" REAL_TASK("k034h0xdquua8rwj2dgciaf8t", 4, NODE0, "running",
                      "running", "two") ","
        REAL_TASK("yshnfv15xs3894mkkrecloc8g", 1, NODE1, "running",
                  "running", "two") ","
        REAL_TASK("z17z5ceq50tc75je9s5uahu98", 2, NODE0, "running",
                  "running", "two") ","
        REAL_TASK("k2hj9yyr2i83bfmoceo6mgwd2", 3, NODE1, "shutdown",
                  "shutdown", "on") ","
        REAL_TASK("s2uhbyp5gc2xt9h4ekviedxha", 3, NODE1, "running",
                  "running", "two") "]";
    static const char *const one_old =
        "[" REAL_TASK("k034h0xdquua8rwj2dgciaf8t", 4, NODE0, "running",
                      "running", "two") ","
        REAL_TASK("yshnfv15xs3894mkkrecloc8g", 1, NODE1, "running",
                  "running", "two") ","
        REAL_TASK("z17z5ceq50tc75je9s5uahu98", 2, NODE0, "running",
                  "running", "two") ","
        REAL_TASK("k2hj9yyr2i83bfmoceo6mgwd2", 3, NODE1, "running",
                  "running", "on") "]";
    rn_update u;
    rn_view v;

    (void)state;
    view_of(&v, REAL_NODES, REAL_SERVICE(""), LAST_SLOT_TASKS);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_null(u.status);
    assert_int_equal(u.state, RN_UPDATE_GOING);
    sl__rn_view_clear(&v);

    view_of(&v, REAL_NODES, REAL_SERVICE(""), done_tasks);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_int_equal(u.updated, 4);
    assert_int_equal(u.state, RN_UPDATE_DONE);
    sl__rn_view_clear(&v);

    /* "completed" (of an earlier update), while a task of the old spec
     * still runs: not yet */
    view_of(&v, REAL_NODES,
            REAL_SERVICE(", \"UpdateStatus\": {\"State\": \"completed\"}"),
            one_old);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_int_equal(u.state, RN_UPDATE_GOING);
    sl__rn_view_clear(&v);
    view_of(&v, REAL_NODES,
            REAL_SERVICE(", \"UpdateStatus\": {\"State\": \"completed\"}"),
            done_tasks);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_int_equal(u.state, RN_UPDATE_DONE);
    sl__rn_view_clear(&v);
}

/* A new task that cannot start: the real manager pauses the update (its
 * default failure action) and says why; a rollback stops it too. */
static void paused_or_rolled_back_update_stops(void **state)
{
    rn_update u;
    rn_view v;

    (void)state;
    view_of(&v, REAL_NODES,
            REAL_SERVICE(", \"UpdateStatus\": {\"State\": \"paused\", "
                         "\"StartedAt\": \"2026-12-03T19:36:56.364021197Z\", "
                         "\"Message\": \"update paused due to failure or "
                         "early termination of task "
                         "jyafyn8pv21a47omb0sym0xjo\"}"),
            LAST_SLOT_TASKS);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_int_equal(u.state, RN_UPDATE_STOPPED);
    assert_string_equal(u.status, "paused");
    assert_string_equal(u.message, "update paused due to failure or early "
                                   "termination of task "
                                   "jyafyn8pv21a47omb0sym0xjo");
    sl__rn_view_clear(&v);
    view_of(&v, REAL_NODES,
            REAL_SERVICE(", \"UpdateStatus\": {\"State\": "
                         "\"rollback_completed\"}"),
            LAST_SLOT_TASKS);
    sl__rn_update_progress(&v, &update_web, &u);
    assert_int_equal(u.state, RN_UPDATE_STOPPED);
    sl__rn_view_clear(&v);
}

/* A manager that can resolve an image pins it to its digest in the
 * task: an update to "bb:2" runs "bb:2@sha256:...". */
static void update_to_an_image_pinned_by_digest_is_done(void **state)
{
    static const sl_scenario_fault update_image = {
        .path = "faults[0]", .kind = SL_FAULT_UPDATE, .service = "web",
        .image = "bb:2"};
    static const char *const tasks =
        "[{\"ID\": \"k034h0xdquua8rwj2dgciaf8t\", \"ServiceID\": "
        "\"jko4jk5b4jof3vl56p8xh367z\", \"Slot\": 1, \"NodeID\": \"" NODE0
        "\", \"DesiredState\": \"running\", \"Status\": {\"State\": "
        "\"running\"}, \"Spec\": {\"ContainerSpec\": {\"Image\": "
        "\"bb:2@sha256:0123456789abcdef\"}}}]";
    rn_update u;
    rn_view v;

    (void)state;
    view_of(&v, REAL_NODES,
            "[{\"ID\": \"jko4jk5b4jof3vl56p8xh367z\", \"Spec\": {\"Name\": "
            "\"web\", \"Mode\": {\"Replicated\": {\"Replicas\": 1}}}, "
            "\"UpdateStatus\": {\"State\": \"completed\"}}]",
            tasks);
    sl__rn_update_progress(&v, &update_image, &u);
    assert_int_equal(u.updated, 1);
    assert_int_equal(u.state, RN_UPDATE_DONE);
    sl__rn_view_clear(&v);
}

/* On the fake, the update step ends once the swarm says it completed. */
static void update_step_ends_when_the_swarm_completes_it(void **state)
{
    sl_scenario *sc = sl_scenario_load(LIBRARY_DIR "/rolling-update.json",
                                       NULL);
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *step = NULL, *s;
    size_t i;

    (void)state;
    assert_non_null(sc);
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_PASS);
    json_array_foreach(json_object_get(r.report, "steps"), i, s) {
        if (!strcmp(json_string_value(json_object_get(s, "step")), "update"))
            step = s;
    }
    assert_non_null(step);
    assert_string_equal(json_string_value(json_object_get(step,
                                                          "update_status")),
                        "completed");
    assert_int_equal(json_integer_value(json_object_get(step,
                                                        "updated_tasks")),
                     4);
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* A failed step carries the status the daemon answered with: a join with
 * a token whose secret is wrong gets 400, as from a real dockerd. */
static void failed_step_carries_the_http_status(void **state)
{
    sl_scenario *sc = sl_scenario_load(LIBRARY_DIR "/wrong-token.json",
                                       NULL);
    sl_run_options o = fake_options();
    sl_run_result r;
    json_t *step = NULL, *s;
    size_t i;

    (void)state;
    assert_non_null(sc);
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_PASS);
    json_array_foreach(json_object_get(r.report, "steps"), i, s) {
        if (!strcmp(json_string_value(json_object_get(s, "step")),
                    "join-with-wrong-token"))
            step = s;
        /* steps that succeeded carry none */
        if (!strcmp(json_string_value(json_object_get(s, "step")), "build"))
            assert_null(json_object_get(s, "status"));
    }
    assert_non_null(step);
    assert_string_equal(json_string_value(json_object_get(step, "outcome")),
                        "failed-as-expected");
    assert_int_equal(json_integer_value(json_object_get(step, "status")),
                     400);
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* Interruptions ------------------------------------------------------------ */

static volatile sig_atomic_t test_signal;
static sl_run_sim interrupting_sim;

/* The fake's poll, which the runner calls after each wait: a SIGTERM
 * comes during the first one. */
static void poll_then_interrupt(sl_hypervisor *hv)
{
    sl_fake_run_sim()->poll(hv);
    test_signal = SIGTERM;
}

static size_t entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

/* A signal during a wait: the steps after it are not run, the
 * expectations are not checked, what was made is torn down and the
 * scenario fails as interrupted. */
static void interrupted_run_tears_down_and_fails(void **state)
{
    sl_scenario *sc = parse(
        "long.json",
        "{\"swarm\": {\"managers\": {\"count\": 1}, \"workers\": {\"count\": "
        "2}}, \"faults\": [{\"at\": \"after-swarm\", \"kind\": \"wait\", "
        "\"duration\": \"10m\"}, {\"at\": \"after-swarm\", \"kind\": "
        "\"drain\", \"node\": \"n2d-wrkr-0\"}], \"expect\": {\"leader\": "
        "true}}");
    sl_run_options o = fake_options();
    char dir[] = "/tmp/sl-runner-XXXXXX";
    json_t *steps;
    sl_run_result r;
    size_t n;

    (void)state;
    assert_non_null(mkdtemp(dir));
    interrupting_sim = *sl_fake_run_sim();
    interrupting_sim.poll = poll_then_interrupt;
    test_signal = 0;
    o.sim = &interrupting_sim;
    o.interrupt = &test_signal;
    o.tmpdir = dir;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_FAIL);
    assert_int_equal(r.n_failures, 1);
    assert_string_equal(r.failures[0].where, "run");
    assert_string_equal(r.failures[0].observed, "interrupted by SIGTERM");
    steps = json_object_get(r.report, "steps");
    n = json_array_size(steps);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(steps, n - 2), "outcome")),
                        "not-run"); /* the drain */
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(steps, n - 1), "step")),
                        "teardown");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(steps, n - 1), "outcome")),
                        "ok");
    assert_int_equal(json_array_size(json_object_get(r.report,
                                                     "expectations")), 0);
    assert_int_equal(entries_in(dir), 0); /* state file and all */
    rmdir(dir);
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* Scenarios not begun when the signal came are skipped, nothing made. */
static void scenarios_after_an_interruption_are_skipped(void **state)
{
    sl_scenario *sc[2] = {
        parse("a.json", "{\"swarm\": {\"workers\": {\"count\": 1}}}"),
        parse("b.json", "{\"swarm\": {\"workers\": {\"count\": 1}}}")};
    sl_run_options o = fake_options();
    sl_run_result r[2];
    sl_error err;

    (void)state;
    test_signal = SIGINT;
    o.interrupt = &test_signal;
    for (int jobs = 1; jobs <= 2; jobs++) {
        o.jobs = jobs;
        assert_int_equal(sl_run_all((const sl_scenario *const *)sc, 2, &o, r,
                                    &err), 0);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(r[i].outcome, SL_RUN_SKIP);
            assert_string_equal(r[i].skip_reason,
                                "the run was interrupted before it began");
            sl_run_result_clear(&r[i]);
        }
    }
    sl_scenario_free(sc[0]);
    sl_scenario_free(sc[1]);
}

/* Backends ----------------------------------------------------------------- */

/* netns hosts reach no registry and hold bb:1 only: a scenario that runs
 * other images is skipped, naming them, before anything is made. (One
 * that says it has no registry either, as missing-image does, is run:
 * the differential compares it on netns.) */
static void netns_skips_images_it_cannot_get(void **state)
{
    static const char body[] =
        "\"swarm\": {\"managers\": {\"count\": 1}, \"workers\": "
        "{\"count\": 1}}, \"deploy\": {\"services\": [{\"name\": "
        "\"web\", \"image\": \"nginx:1.25\"}, {\"name\": \"bb\", "
        "\"image\": \"bb:1\"}]}, \"faults\": [{\"at\": \"after-deploy\", "
        "\"kind\": \"update\", \"service\": \"bb\", \"image\": "
        "\"bb:2\"}]}";
    char text[1024];
    sl_scenario *sc;
    sl_run_options o = fake_options();
    char dir[] = "/tmp/sl-runner-XXXXXX";
    sl_run_result r;

    (void)state;
    assert_non_null(mkdtemp(dir));
    o.hypervisor = "netns";
    o.tmpdir = dir;
    snprintf(text, sizeof(text), "{%s", body);
    sc = parse("images.json", text);
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_SKIP);
    assert_string_equal(r.skip_reason, "'netns' hosts reach no registry and "
                                       "hold only bb:1: web (nginx:1.25), "
                                       "bb (faults[0], bb:2)");
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
    assert_int_equal(entries_in(dir), 0);
    rmdir(dir);
}

/* netns hosts are Linux dockerd processes on this machine, a few of
 * them: a scenario that needs Windows hosts or many is skipped with the
 * reason, before anything is made (root or not), and the reports say
 * so. */
static void netns_skips_windows_hosts_and_large_swarms(void **state)
{
    sl_scenario *sc[2] = {
        sl_scenario_load(LIBRARY_DIR "/mixed-os.json", NULL),
        sl_scenario_load(LIBRARY_DIR "/hundred-nodes.json", NULL)};
    sl_run_options o = fake_options();
    char dir[] = "/tmp/sl-runner-XXXXXX";
    sl_run_result r[2];
    char *buf = NULL;
    size_t len = 0;
    json_t *all;
    FILE *f;

    (void)state;
    assert_non_null(sc[0]);
    assert_non_null(sc[1]);
    assert_non_null(mkdtemp(dir));
    o.hypervisor = "netns";
    o.tmpdir = dir;
    run_one(sc[0], &o, &r[0]);
    run_one(sc[1], &o, &r[1]);
    assert_int_equal(r[0].outcome, SL_RUN_SKIP);
    assert_string_equal(r[0].skip_reason, "'netns' hosts run Linux only: 2 "
                                          "of the 5 hosts are Windows");
    assert_int_equal(r[1].outcome, SL_RUN_SKIP);
    assert_string_equal(r[1].skip_reason, "'netns' runs at most 8 hosts on "
                                          "this machine, not 100");
    assert_int_equal(entries_in(dir), 0);
    rmdir(dir);
    f = open_memstream(&buf, &len);
    sl_report_tap(f, r, 2);
    fclose(f);
    assert_non_null(strstr(buf, "\nok 1 - mixed-os # SKIP 'netns' hosts "
                                "run Linux only: "));
    assert_non_null(strstr(buf, "\nok 2 - hundred-nodes # SKIP 'netns' "
                                "runs at most 8 hosts"));
    free(buf);
    all = sl_report_json(r, 2, 0);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(all, "summary"), "skipped")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(all, "scenarios"),
                                           1), "reason")),
                        r[1].skip_reason);
    json_decref(all);
    for (int i = 0; i < 2; i++) {
        sl_run_result_clear(&r[i]);
        sl_scenario_free(sc[i]);
    }
}

/* The state file a run keeps names its hypervisor, URI and pool, so that
 * `swarmlab destroy --state FILE` needs nothing more. */
static void kept_state_file_names_its_hypervisor(void **state)
{
    sl_scenario *sc = parse("kept.json",
                            "{\"swarm\": {\"workers\": {\"count\": 1}}}");
    sl_run_options o = fake_options();
    char dir[] = "/tmp/sl-runner-XXXXXX";
    char path[4096], cmd[4200];
    struct dirent *e;
    sl_run_result r;
    json_t *st;
    DIR *d;

    (void)state;
    assert_non_null(mkdtemp(dir));
    o.hypervisor = "libvirt";
    o.uri = "test:///default";
    o.keep = true;
    o.tmpdir = dir;
    run_one(sc, &o, &r);
    assert_int_equal(r.outcome, SL_RUN_PASS);
    d = opendir(dir);
    while ((e = readdir(d)) && strncmp(e->d_name, "swarmlab-run-", 13))
        ;
    assert_non_null(e);
    snprintf(path, sizeof(path), "%s/%s/state.json", dir, e->d_name);
    closedir(d);
    st = json_load_file(path, 0, NULL);
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "hypervisor")),
                        "libvirt");
    assert_string_equal(json_string_value(json_object_get(st, "uri")),
                        "test:///default");
    /* the pool too: destroy needs no --pool */
    assert_string_equal(json_string_value(json_object_get(st, "pool")),
                        "default-pool");
    assert_int_equal(json_object_size(json_object_get(st, "hosts")), 2);
    json_decref(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    sl_run_result_clear(&r);
    sl_scenario_free(sc);
}

/* The command -------------------------------------------------------------- */

/* The swarmlab command beside the tests' directory, or NULL. */
static const char *command_path(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 16);
    char *slash;

    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    slash = strrchr(buf, '/');
    if (!slash)
        return NULL;
    strcpy(slash, "/swarmlab");
    return access(buf, X_OK) == 0 ? buf : NULL;
}

static void unusable_scenario_exits_2_and_provisions_nothing(void **state)
{
    char exe[4096];
    char dir[] = "/tmp/sl-runner-XXXXXX";
    char cmd[8192];
    char *err;
    int status;
    DIR *d;
    struct dirent *e;
    size_t entries = 0;

    (void)state;
    if (!command_path(exe, sizeof(exe)))
        skip();
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd),
             "cd %s/fixtures/scenarios/bad && TMPDIR=%s %s run "
             "%s/scenarios/seed-swarm.json no-manager.json >%s/out "
             "2>%s/err",
             SL_SOURCE_DIR, dir, exe, SL_SOURCE_DIR, dir, dir);
    status = system(cmd);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    snprintf(cmd, sizeof(cmd), "%s/err", dir);
    {
        FILE *f = fopen(cmd, "r");
        size_t len = 0;

        assert_non_null(f);
        err = calloc(1, 4096);
        len = fread(err, 1, 4095, f);
        err[len] = '\0';
        fclose(f);
    }
    assert_string_equal(err, "swarmlab run: no-manager.json: "
                             "swarm.managers.count: a swarm needs at least "
                             "one manager\n");
    free(err);
    d = opendir(dir);
    while ((e = readdir(d)))
        entries += strncmp(e->d_name, "swarmlab-run-", 13) == 0;
    closedir(d);
    assert_int_equal(entries, 0); /* not even the good scenario ran */
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_library_scenario_passes_on_the_fakes),
        cmocka_unit_test(same_file_and_seed_give_the_same_report),
        cmocka_unit_test(another_seed_gives_other_ids),
        cmocka_unit_test(wrong_expectation_fails_with_the_observed_value),
        cmocka_unit_test(without_a_registry_only_imported_images_run),
        cmocka_unit_test(failed_step_fails_the_scenario_with_its_message),
        cmocka_unit_test(
            expected_deploy_failure_passes_and_skips_what_follows),
        cmocka_unit_test(build_that_must_fail_but_succeeds_fails),
        cmocka_unit_test(failed_build_leaves_nothing),
        cmocka_unit_test(fault_the_backend_cannot_produce_is_skipped),
        cmocka_unit_test(frozen_and_slow_managers),
        cmocka_unit_test(join_with_wrong_token_as_manager_is_refused),
        cmocka_unit_test(seed_scenario_runs_on_the_libvirt_test_driver),
        cmocka_unit_test(boot_faults_are_skipped_on_the_libvirt_test_driver),
        cmocka_unit_test(host_bigger_than_the_test_machine_is_skipped),
        cmocka_unit_test(tap_report_is_well_formed),
        cmocka_unit_test(junit_report_is_well_formed),
        cmocka_unit_test(json_report_counts_and_lists_every_scenario),
        cmocka_unit_test(unusable_scenario_exits_2_and_provisions_nothing),
        cmocka_unit_test(update_still_rolling_on_a_real_daemon_is_not_done),
        cmocka_unit_test(update_without_status_waits_for_every_replica),
        cmocka_unit_test(paused_or_rolled_back_update_stops),
        cmocka_unit_test(update_to_an_image_pinned_by_digest_is_done),
        cmocka_unit_test(update_step_ends_when_the_swarm_completes_it),
        cmocka_unit_test(failed_step_carries_the_http_status),
        cmocka_unit_test(interrupted_run_tears_down_and_fails),
        cmocka_unit_test(scenarios_after_an_interruption_are_skipped),
        cmocka_unit_test(netns_skips_windows_hosts_and_large_swarms),
        cmocka_unit_test(netns_skips_images_it_cannot_get),
        cmocka_unit_test(manager_that_timed_out_has_not_settled),
        cmocka_unit_test(kept_state_file_names_its_hypervisor),
    };

    sl_fake_hv_register(NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
