/* Tests of the provisioning pipeline on the fake hypervisor and fake daemons. */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_hypervisor.h"
#include "image_tar.h"
#include "pipeline.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    sl_hypervisor *hv;
    sl_state *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    /* A server big enough for a hundred default hosts. */
    static const sl_fake_hv_config server = {.cpus = 512,
                                             .memory_mib = 1 << 20};
    sl_hv_options opts = {0};
    sl_error err;

    strcpy(f->dir, "/tmp/sl-pipeline-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
    f->st = sl_state_open(f->path, &err);
    assert_non_null(f->st);
    sl_fake_hv_register(NULL);
    opts.seed = 7;
    opts.fake = &server;
    f->hv = sl_hypervisor_open("fake", &opts, &err);
    if (!f->hv)
        fail_msg("cannot open the fake hypervisor: %s", err.message);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];

    sl_hypervisor_close(f->hv);
    sl_state_free(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static sl_pipeline_spec shape(int managers, int workers)
{
    sl_pipeline_spec spec = {0};

    spec.managers.count = managers;
    spec.workers.count = workers;
    return spec;
}

static size_t recorded_hosts(fixture *f)
{
    return json_object_size(json_object_get(sl_state_root(f->st), "hosts"));
}

static size_t hypervisor_hosts(fixture *f)
{
    sl_error err;
    size_t n = 0;
    sl_hv_host_info *list = sl_hv_host_list(f->hv, &n, &err);

    assert_non_null(list);
    free(list);
    return n;
}

/* Forms a swarm of the given shape and checks what the leader reports. */
static void assert_swarm_forms(fixture *f, int managers, int workers)
{
    sl_pipeline_spec spec = shape(managers, workers);
    sl_swarm_summary s;
    sl_error err;

    spec.parallel = 16;
    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, &s, NULL, NULL,
                                 &err) < 0)
        fail_msg("swarm create failed: %s (%s)", err.message, err.where);
    assert_int_equal(s.managers, managers);
    assert_int_equal(s.workers, workers);
    assert_int_equal(s.ready, managers + workers);
    assert_string_equal(s.leader, "n2d-mngr-0");
    assert_int_equal(recorded_hosts(f), managers + workers);
}

static void default_swarm_forms_with_four_ready_nodes_and_a_leader(void **st)
{
    fixture *f = *st;
    sl_pipeline_spec spec = shape(1, 3);
    sl_host_plan *plan = NULL;
    sl_swarm_summary s;
    size_t n = 0;
    sl_error err;

    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, &s, &plan, &n,
                                 &err) < 0)
        fail_msg("swarm create failed: %s (%s)", err.message, err.where);
    assert_int_equal(n, 4);
    assert_string_equal(plan[0].name, "n2d-mngr-0");
    assert_string_equal(plan[1].name, "n2d-wrkr-0");
    assert_string_equal(plan[3].name, "n2d-wrkr-2");
    assert_int_equal(plan[2].cpus, 4);
    assert_int_equal(plan[2].memory_mib, 2048);
    assert_int_equal(s.ready, 4);
    assert_int_equal(s.managers, 1);
    assert_string_equal(s.leader, "n2d-mngr-0");
    free(plan);
}

static void three_managers_and_twenty_workers_form(void **state)
{
    assert_swarm_forms(*state, 3, 20);
}

static void hundred_host_swarm_forms(void **state)
{
    assert_swarm_forms(*state, 3, 97);
}

static void boot_failure_once_is_retried(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    sl_swarm_summary s;
    sl_error err;

    assert_int_equal(sl_fake_hv_fail_boot(f->hv, "n2d-wrkr-1", 1, &err), 0);
    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, &s, NULL, NULL,
                                 &err) < 0)
        fail_msg("swarm create failed: %s", err.message);
    assert_int_equal(s.ready, 4);
}

static void permanent_boot_failure_rolls_back_everything(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    sl_error err;

    assert_int_equal(sl_fake_hv_fail_boot(f->hv, "n2d-wrkr-2", -1, &err), 0);
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_non_null(strstr(err.where, "n2d-wrkr-2"));
    assert_int_equal(recorded_hosts(f), 0);
    assert_int_equal(hypervisor_hosts(f), 0);
}

static void failed_build_is_kept_when_asked(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    sl_error err;

    spec.keep_on_failure = true;
    sl_fake_hv_fail_boot(f->hv, "n2d-wrkr-2", -1, &err);
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(recorded_hosts(f), 4);
    assert_int_equal(hypervisor_hosts(f), 4);
}

static void running_again_after_a_failure_finishes_the_job(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    sl_swarm_summary s;
    sl_error err;

    spec.keep_on_failure = true;
    sl_fake_hv_fail_boot(f->hv, "n2d-wrkr-2", 3, &err);
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, &s, NULL, NULL,
                                 &err) < 0)
        fail_msg("second run failed: %s (%s)", err.message, err.where);
    assert_int_equal(s.ready, 4);
    assert_int_equal(hypervisor_hosts(f), 4);
    assert_int_equal(recorded_hosts(f), 4);
}

static void count_creations(const sl_hv_event *ev, void *data)
{
    if (ev->phase == SL_HV_PHASE_CREATING)
        (*(int *)data)++;
}

static void host_over_capacity_is_refused_before_anything_is_made(void **st)
{
    fixture *f = *st;
    static const sl_fake_hv_config server = {.cpus = 512,
                                             .memory_mib = 1 << 20};
    sl_pipeline_spec spec = shape(1, 3);
    sl_hv_options opts = {0};
    int creations = 0;
    sl_error err;

    /* A hypervisor of its own that counts every host it starts making. */
    sl_hypervisor_close(f->hv);
    opts.fake = &server;
    opts.on_event = count_creations;
    opts.event_data = &creations;
    f->hv = sl_hypervisor_open("fake", &opts, &err);
    assert_non_null(f->hv);
    spec.workers.cpus = 200; /* 600 asked, the simulated server has 512 */
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_CAPACITY);
    assert_string_equal(err.message, "cannot create the hosts: they need "
                                     "604 CPUs, 512 are free");
    assert_int_equal(creations, 0);
    assert_int_equal(recorded_hosts(f), 0);
    assert_int_equal(hypervisor_hosts(f), 0);
}

static void destroy_removes_every_recorded_host(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    sl_error err;

    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), 0);
    assert_int_equal(sl_pipeline_destroy(f->hv, f->st, NULL, NULL, &err), 0);
    assert_int_equal(hypervisor_hosts(f), 0);
    assert_int_equal(recorded_hosts(f), 0);
    assert_int_equal(access(f->path, F_OK), -1);
}

static void swarm_without_manager_is_refused(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(0, 3);
    sl_error err;

    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_string_equal(err.message, "a swarm needs at least one manager");
    assert_int_equal(hypervisor_hosts(f), 0);
}

static void worker_labels_reach_the_nodes(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 2);
    sl_docker_label labels[] = {{"tier", "app"}};
    sl_host_plan *plan = NULL;
    sl_docker_config cfg = {0};
    sl_docker_client *c;
    sl_docker_node *node;
    size_t n;
    sl_error err;

    spec.workers.labels = labels;
    spec.workers.n_labels = 1;
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              &plan, &n, &err), 0);
    cfg.host = plan[0].endpoint;
    c = sl_docker_client_new(&cfg, &err);
    assert_non_null(c);
    node = sl_docker_node_inspect(c, "n2d-wrkr-1", &err);
    assert_non_null(node);
    assert_string_equal(sl_docker_label_get(node->labels, node->n_labels,
                                            "tier"), "app");
    sl_docker_node_free(node);
    node = sl_docker_node_inspect(c, "n2d-mngr-0", &err);
    assert_non_null(node);
    assert_null(sl_docker_label_get(node->labels, node->n_labels, "tier"));
    sl_docker_node_free(node);
    sl_docker_client_free(c);
    free(plan);
}

/* Forms a 1+20 swarm with parallel joins on a fresh fake of seed 7 and
 * returns "hostname=ID" lines of its nodes, sorted by hostname. */
static char *node_ids_of_a_fresh_swarm(void)
{
    static const sl_fake_hv_config server = {.cpus = 512,
                                             .memory_mib = 1 << 20};
    char dir[] = "/tmp/sl-pipeline-ids-XXXXXX";
    char path[64];
    char cmd[80];
    sl_hv_options opts = {0};
    sl_pipeline_spec spec = shape(1, 20);
    sl_host_plan *plan = NULL;
    sl_docker_config cfg = {0};
    sl_docker_client *c;
    sl_docker_node_list *nodes;
    sl_hypervisor *hv;
    sl_state *st;
    char *out = calloc(1, 4096);
    size_t n, i, k;
    sl_error err;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/state.json", dir);
    opts.seed = 7;
    opts.fake = &server;
    hv = sl_hypervisor_open("fake", &opts, &err);
    st = sl_state_open(path, &err);
    spec.parallel = 16;
    assert_int_equal(sl_pipeline_swarm_create(hv, st, &spec, NULL, &plan, &n,
                                              &err), 0);
    cfg.host = plan[0].endpoint;
    c = sl_docker_client_new(&cfg, &err);
    nodes = sl_docker_nodes_list(c, NULL, 0, &err);
    assert_non_null(nodes);
    for (i = 0; i < n; i++) {
        for (k = 0; k < nodes->count; k++) {
            if (!strcmp(nodes->items[k].hostname, plan[i].name)) {
                strcat(out, plan[i].name);
                strcat(out, "=");
                strcat(out, nodes->items[k].id);
                strcat(out, "\n");
            }
        }
    }
    sl_docker_node_list_free(nodes);
    sl_docker_client_free(c);
    free(plan);
    sl_hypervisor_close(hv);
    sl_state_free(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return out;
}

static void same_seed_gives_same_node_ids_despite_parallel_joins(void **st)
{
    char *first = node_ids_of_a_fresh_swarm();
    char *second = node_ids_of_a_fresh_swarm();

    (void)st;
    assert_int_equal(strlen(first) > 21 * 10, 1);
    assert_string_equal(first, second);
    free(first);
    free(second);
}

/* Images ------------------------------------------------------------------ */

static const char hello[] = "#!/bin/sh\necho hello\n";

/* Whether the daemon at 'endpoint' holds an image tagged 'ref', as
 * GET /images/json lists it. */
static bool host_has_image(const char *endpoint, const char *ref)
{
    sl_docker_config cfg = {.host = endpoint};
    sl_docker_client *c = sl_docker_client_new(&cfg, NULL);
    sl_docker_image_list *list;
    bool found = false;
    sl_error err;

    assert_non_null(c);
    list = sl_docker_images_list(c, &err);
    if (!list)
        fail_msg("cannot list images at '%s': %s", endpoint, err.message);
    for (size_t i = 0; i < list->count; i++)
        found |= sl_docker_image_has_tag(&list->items[i], ref);
    sl_docker_image_list_free(list);
    sl_docker_client_free(c);
    return found;
}

static void imported_image_is_on_every_host(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    sl_image_import im = {.ref = "bb:1"};
    sl_host_plan *plan = NULL;
    char *tar = NULL;
    size_t n = 0, i;
    sl_error err;

    assert_int_equal(sl_image_tar_file("bin/hello", hello, sizeof(hello) - 1,
                                       &tar, &im.len, &err),
                     0);
    im.tar = tar;
    spec.imports = &im;
    spec.n_imports = 1;
    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL, &plan, &n,
                                 &err) < 0)
        fail_msg("swarm create failed: %s (%s)", err.message, err.where);
    assert_int_equal(n, 4);
    for (i = 0; i < n; i++) {
        if (!host_has_image(plan[i].endpoint, "bb:1"))
            fail_msg("no bb:1 on '%s'", plan[i].name);
        assert_false(host_has_image(plan[i].endpoint, "bb:2"));
    }
    free(plan);
    free(tar);
}

static void image_from_a_file_reaches_a_single_host(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(0, 0);
    sl_host_plan host = {.name = "lone", .cpus = 1, .memory_mib = 512,
                         .disk_gib = 5, .os = "linux"};
    sl_image_import im = {.ref = "team/app:2"};
    char path[160], *tar = NULL;
    size_t len = 0;
    sl_error err;
    FILE *out;

    snprintf(path, sizeof(path), "%s/app.tar", f->dir);
    assert_int_equal(sl_image_tar_file("bin/hello", hello, sizeof(hello) - 1,
                                       &tar, &len, &err),
                     0);
    out = fopen(path, "w");
    assert_non_null(out);
    assert_int_equal(fwrite(tar, 1, len, out), len);
    fclose(out);
    im.path = path;
    spec.imports = &im;
    spec.n_imports = 1;
    if (sl_pipeline_host_create(f->hv, f->st, &spec, &host, &err) < 0)
        fail_msg("host create failed: %s (%s)", err.message, err.where);
    assert_true(host_has_image(host.endpoint, "team/app:2"));
    free(tar);
}

/* A tarball the daemons refuse fails the build with the daemon's words,
 * naming the image and a host, and nothing is left. */
static void refused_import_rolls_back_everything(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 2);
    sl_image_import im = {.ref = "bb:1", .tar = "not a tarball", .len = 13};
    sl_error err;

    spec.imports = &im;
    spec.n_imports = 1;
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(err.http_status, 500);
    assert_non_null(strstr(err.message, "cannot import 'bb:1' into 'n2d-"));
    assert_non_null(strstr(err.message, "Error processing tar file(exit "
                                        "status 1): unexpected EOF"));
    assert_non_null(strstr(err.where, "n2d-"));
    assert_int_equal(recorded_hosts(f), 0);
    assert_int_equal(hypervisor_hosts(f), 0);
}

static void missing_tarball_is_refused_before_anything_is_made(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 1);
    sl_image_import im = {.ref = "bb:1", .path = "/nonexistent/bb.tar"};
    sl_error err;

    spec.imports = &im;
    spec.n_imports = 1;
    assert_int_equal(sl_pipeline_check_imports(&spec, &err), -1);
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/bb.tar"));
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_int_equal(recorded_hosts(f), 0);
    assert_int_equal(hypervisor_hosts(f), 0);
}

/* Cancelling -------------------------------------------------------------- */

/* Counts the hosts made and asks the build to stop once 'after' of them
 * exist, as a signal handler would. */
typedef struct canceller {
    volatile sig_atomic_t flag;
    int created;
    int after;
} canceller;

static void cancel_after_creations(const sl_hv_event *ev, void *data)
{
    canceller *c = data;

    if (ev->phase == SL_HV_PHASE_CREATED && ++c->created == c->after)
        c->flag = 1;
}

/* Reopens the fixture's hypervisor with 'c' watching its events. */
static void watch_creations(fixture *f, canceller *c)
{
    static const sl_fake_hv_config server = {.cpus = 512,
                                             .memory_mib = 1 << 20};
    sl_hv_options opts = {0};
    sl_error err;

    sl_hypervisor_close(f->hv);
    opts.seed = 7;
    opts.fake = &server;
    opts.on_event = cancel_after_creations;
    opts.event_data = c;
    f->hv = sl_hypervisor_open("fake", &opts, &err);
    assert_non_null(f->hv);
}

static void cancel_after_the_first_host_is_made_leaves_nothing(void **st)
{
    fixture *f = *st;
    sl_pipeline_spec spec = shape(1, 3);
    canceller c = {0, 0, 1};
    sl_error err;

    watch_creations(f, &c);
    spec.cancel = &c.flag;
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_CANCELLED);
    assert_int_equal(c.created, 1); /* no host is begun once asked */
    assert_int_equal(hypervisor_hosts(f), 0);
    assert_int_equal(recorded_hosts(f), 0);
}

static void sequential_build_cancelled_after_one_host_leaves_nothing(void **st)
{
    fixture *f = *st;
    sl_pipeline_spec spec = shape(1, 3);
    canceller c = {0, 0, 1};
    sl_error err;

    watch_creations(f, &c);
    spec.cancel = &c.flag;
    spec.parallel = 1;
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_CANCELLED);
    assert_int_equal(c.created, 1);
    assert_int_equal(hypervisor_hosts(f), 0);
    assert_int_equal(recorded_hosts(f), 0);
}

static void cancelled_build_is_kept_when_asked(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    canceller c = {0, 0, 2};
    sl_error err;

    watch_creations(f, &c);
    spec.cancel = &c.flag;
    spec.keep_on_failure = true;
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_CANCELLED);
    assert_int_equal(hypervisor_hosts(f), 2);
    assert_int_equal(recorded_hosts(f), 2);
}

/* Asks to stop when the first worker starts joining the swarm. */
static void cancel_on_join(const sl_progress *p, void *data)
{
    if (!strcmp(p->phase, "joining"))
        *(volatile sig_atomic_t *)data = 1;
}

static void cancel_while_the_swarm_forms_leaves_nothing(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    volatile sig_atomic_t flag = 0;
    sl_error err;

    spec.cancel = &flag;
    spec.progress = cancel_on_join;
    spec.progress_data = (void *)&flag;
    assert_int_equal(sl_pipeline_swarm_create(f->hv, f->st, &spec, NULL,
                                              NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_CANCELLED);
    assert_int_equal(hypervisor_hosts(f), 0);
    assert_int_equal(recorded_hosts(f), 0);
}

static void host_create_cancelled_before_it_begins_makes_nothing(void **st)
{
    fixture *f = *st;
    sl_pipeline_spec spec = {0};
    volatile sig_atomic_t flag = SIGINT;
    sl_host_plan host;
    sl_error err;

    memset(&host, 0, sizeof(host));
    snprintf(host.name, sizeof(host.name), "lone");
    host.manager = true;
    host.cpus = 1;
    host.memory_mib = 512;
    host.disk_gib = 1;
    host.os = "linux";
    spec.cancel = &flag;
    assert_int_equal(sl_pipeline_host_create(f->hv, f->st, &spec, &host,
                                             &err), -1);
    assert_int_equal(err.code, SL_ERR_CANCELLED);
    assert_int_equal(hypervisor_hosts(f), 0);
    assert_int_equal(recorded_hosts(f), 0);
}

static void flag_left_unset_changes_nothing(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = shape(1, 3);
    volatile sig_atomic_t flag = 0;
    sl_swarm_summary s;
    sl_error err;

    spec.cancel = &flag;
    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, &s, NULL, NULL,
                                 &err) < 0)
        fail_msg("swarm create failed: %s", err.message);
    assert_int_equal(s.ready, 4);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(default_swarm_forms_with_four_ready_nodes_and_a_leader),
        T(three_managers_and_twenty_workers_form),
        T(hundred_host_swarm_forms),
        T(boot_failure_once_is_retried),
        T(permanent_boot_failure_rolls_back_everything),
        T(failed_build_is_kept_when_asked),
        T(running_again_after_a_failure_finishes_the_job),
        T(host_over_capacity_is_refused_before_anything_is_made),
        T(destroy_removes_every_recorded_host),
        T(swarm_without_manager_is_refused),
        T(worker_labels_reach_the_nodes),
        T(imported_image_is_on_every_host),
        T(image_from_a_file_reaches_a_single_host),
        T(refused_import_rolls_back_everything),
        T(missing_tarball_is_refused_before_anything_is_made),
        T(cancel_after_the_first_host_is_made_leaves_nothing),
        T(sequential_build_cancelled_after_one_host_leaves_nothing),
        T(cancelled_build_is_kept_when_asked),
        T(cancel_while_the_swarm_forms_leaves_nothing),
        T(host_create_cancelled_before_it_begins_makes_nothing),
        T(flag_left_unset_changes_nothing),
        cmocka_unit_test(
            same_seed_gives_same_node_ids_despite_parallel_joins),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
