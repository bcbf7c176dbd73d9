/* Tests of the state file: what is recorded survives, privately and atomically. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state.h"

typedef struct fixture {
    char dir[64];
    char path[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    strcpy(f->dir, "/tmp/sl-state-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/sub/state.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[160];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void missing_file_is_an_empty_state(void **state)
{
    fixture *f = *state;
    sl_error err;
    sl_state *st = sl_state_open(f->path, &err);

    assert_non_null(st);
    assert_int_equal(json_object_size(json_object_get(sl_state_root(st),
                                                      "hosts")), 0);
    assert_int_equal(access(f->path, F_OK), -1);
    sl_state_free(st);
}

static void recorded_host_survives_a_reopen(void **state)
{
    fixture *f = *state;
    sl_error err;
    sl_state *st = sl_state_open(f->path, &err);
    json_t *host;

    assert_int_equal(sl_state_update_host(st, "n2d-mngr-0",
                                          json_pack("{s:s}", "phase",
                                                    "created"), &err), 0);
    assert_int_equal(sl_state_update_host(st, "n2d-mngr-0",
                                          json_pack("{s:s}", "address",
                                                    "10.0.0.2"), &err), 0);
    sl_state_free(st);

    st = sl_state_open(f->path, &err);
    assert_non_null(st);
    host = sl_state_host(st, "n2d-mngr-0");
    assert_string_equal(json_string_value(json_object_get(host, "phase")),
                        "created");
    assert_string_equal(json_string_value(json_object_get(host, "address")),
                        "10.0.0.2");
    sl_state_free(st);
}

static void state_file_is_private_and_leaves_no_temporary(void **state)
{
    fixture *f = *state;
    sl_error err;
    sl_state *st = sl_state_open(f->path, &err);
    struct stat sb;
    char cmd[200];

    assert_int_equal(sl_state_set(st, "hypervisor", json_string("fake"),
                                  &err), 0);
    assert_int_equal(stat(f->path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    snprintf(cmd, sizeof(cmd), "test $(ls -A '%s/sub' | wc -l) -eq 1",
             f->dir);
    assert_int_equal(system(cmd), 0);
    sl_state_free(st);
}

static void removed_host_is_gone_after_reopen(void **state)
{
    fixture *f = *state;
    sl_error err;
    sl_state *st = sl_state_open(f->path, &err);

    sl_state_update_host(st, "a", json_object(), &err);
    sl_state_update_host(st, "b", json_object(), &err);
    assert_int_equal(sl_state_remove_host(st, "a", &err), 0);
    sl_state_free(st);

    st = sl_state_open(f->path, &err);
    assert_null(sl_state_host(st, "a"));
    assert_non_null(sl_state_host(st, "b"));
    sl_state_free(st);
}

static void other_file_is_refused_with_its_path(void **state)
{
    fixture *f = *state;
    sl_error err;
    sl_state *st;
    char sub[160];
    FILE *out;

    snprintf(sub, sizeof(sub), "%s/sub", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    out = fopen(f->path, "w");
    assert_non_null(out);
    fputs("{\"hosts\": [1, 2,\n", out);
    fclose(out);

    st = sl_state_open(f->path, &err);
    assert_null(st);
    assert_int_equal(err.code, SL_ERR_INVALID);
    assert_non_null(strstr(err.message, f->path));
    assert_non_null(strstr(err.where, ":2:"));
}

/* Places ------------------------------------------------------------------ */

/* A state file whose one host was made on netns under 'root', or on
 * libvirt with 'uri' and 'pool' when 'root' is NULL; reopened from disk. */
static sl_state *state_with_a_host(fixture *f, const char *root,
                                   const char *uri, const char *pool)
{
    sl_state_place place = {root ? "netns" : "libvirt", uri, pool, root};
    sl_error err;
    sl_state *st = sl_state_open(f->path, &err);

    assert_non_null(st);
    sl_state_place_set(st, &place);
    assert_int_equal(sl_state_update_host(st, "n2d-mngr-0",
                                          json_pack("{s:s}", "phase",
                                                    "created"), &err), 0);
    sl_state_free(st);
    st = sl_state_open(f->path, &err);
    assert_non_null(st);
    return st;
}

static void recorded_place_survives_a_reopen(void **state)
{
    sl_state *st = state_with_a_host(*state, NULL, "qemu:///system", "lab");
    sl_state_place got;

    sl_state_place_get(st, &got);
    assert_string_equal(got.hypervisor, "libvirt");
    assert_string_equal(got.uri, "qemu:///system");
    assert_string_equal(got.pool, "lab");
    assert_null(got.netns_root);
    sl_state_free(st);
}

/* What destroy needs comes from the file when nothing is said. */
static void place_not_asked_for_is_the_recorded_one(void **state)
{
    sl_state *st = state_with_a_host(*state, "/run/sl-x-2", NULL, NULL);
    sl_state_place asked = {0};
    sl_error err;

    assert_int_equal(sl_state_place_resolve(st, &asked, &err), 0);
    assert_string_equal(asked.hypervisor, "netns");
    assert_string_equal(asked.netns_root, "/run/sl-x-2");
    assert_null(asked.uri);
    sl_state_free(st);
}

static void place_asked_as_recorded_is_taken(void **state)
{
    sl_state *st = state_with_a_host(*state, NULL, "test:///default",
                                     "default-pool");
    sl_state_place asked = {"libvirt", "test:///default", NULL, NULL};
    sl_error err;

    assert_int_equal(sl_state_place_resolve(st, &asked, &err), 0);
    assert_string_equal(asked.pool, "default-pool");
    sl_state_free(st);
}

/* Another pool, URI or backend than the hosts' is refused, naming both:
 * the hosts are not there, and destroy would forget them. */
static void place_asked_otherwise_is_refused_naming_both(void **state)
{
    fixture *f = *state;
    sl_state *st = state_with_a_host(f, NULL, "test:///default", "lab");
    sl_state_place pool = {NULL, NULL, "default", NULL};
    sl_state_place uri = {NULL, "qemu:///system", NULL, NULL};
    sl_state_place backend = {"fake", NULL, NULL, NULL};
    char want[256];
    sl_error err;

    assert_int_equal(sl_state_place_resolve(st, &pool, &err), -1);
    assert_int_equal(err.code, SL_ERR_INVALID);
    snprintf(want, sizeof(want), "state file '%s' holds hosts made in pool "
             "'lab', not in 'default'", f->path);
    assert_string_equal(err.message, want);
    assert_int_equal(sl_state_place_resolve(st, &uri, &err), -1);
    snprintf(want, sizeof(want), "state file '%s' holds hosts made on "
             "'test:///default', not on 'qemu:///system'", f->path);
    assert_string_equal(err.message, want);
    assert_int_equal(sl_state_place_resolve(st, &backend, &err), -1);
    assert_non_null(strstr(err.message, "made with 'libvirt', not 'fake'"));
    sl_state_free(st);
}

static void state_without_hosts_gives_no_place(void **state)
{
    fixture *f = *state;
    sl_state_place recorded = {"netns", NULL, NULL, "/run/sl-old"};
    sl_state_place asked = {0};
    sl_error err;
    sl_state *st = sl_state_open(f->path, &err);

    sl_state_place_set(st, &recorded);
    assert_int_equal(sl_state_place_resolve(st, &asked, &err), 0);
    assert_null(asked.hypervisor);
    assert_null(asked.netns_root);
    sl_state_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(missing_file_is_an_empty_state,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(recorded_host_survives_a_reopen,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            state_file_is_private_and_leaves_no_temporary, setup, teardown),
        cmocka_unit_test_setup_teardown(removed_host_is_gone_after_reopen,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(other_file_is_refused_with_its_path,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(recorded_place_survives_a_reopen,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            place_not_asked_for_is_the_recorded_one, setup, teardown),
        cmocka_unit_test_setup_teardown(place_asked_as_recorded_is_taken,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            place_asked_otherwise_is_refused_naming_both, setup, teardown),
        cmocka_unit_test_setup_teardown(state_without_hosts_gives_no_place,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
