/* Tests of the hypervisor seam: registry, checks, defaults and events. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hypervisor.h"

#define SEC SL_NS_PER_SEC

/* A backend that records what reaches it. */
typedef struct recorder {
    int calls;
    bool fail_silently;   /* returns -1 without filling the error */
    sl_hv_host_spec spec; /* the last one created */
    char name[64];        /* of the last spec */
    char network[64];
} recorder;

static recorder rec;

typedef struct event_log {
    char lines[16][96];
    int n;
} event_log;

static int rec_fail(sl_error *err)
{
    (void)err;
    return -1;
}

static char *rec_image_prepare(sl_hypervisor *hv,
                               const sl_hv_image_spec *spec, sl_error *err)
{
    (void)hv;
    (void)err;
    rec.calls++;
    return strdup(spec->name);
}

static int rec_host_create(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                           sl_error *err)
{
    (void)hv;
    rec.calls++;
    rec.spec = *spec;
    snprintf(rec.name, sizeof(rec.name), "%s", spec->name);
    snprintf(rec.network, sizeof(rec.network), "%s", spec->network);
    rec.spec.name = rec.name;
    rec.spec.network = rec.network;
    return rec.fail_silently ? rec_fail(err) : 0;
}

static int rec_host_name_op(sl_hypervisor *hv, const char *name,
                            sl_error *err)
{
    (void)hv;
    (void)name;
    rec.calls++;
    return rec.fail_silently ? rec_fail(err) : 0;
}

static int rec_host_wait(sl_hypervisor *hv, const char *name,
                         int64_t timeout_ns, sl_error *err)
{
    (void)timeout_ns;
    return rec_host_name_op(hv, name, err);
}

static int rec_host_address(sl_hypervisor *hv, const char *name,
                            int64_t timeout_ns, char *addr, size_t size,
                            sl_error *err)
{
    (void)hv;
    (void)timeout_ns;
    rec.calls++;
    if (!strcmp(name, "lost"))
        return sl_error_set(err, SL_ERR_TIMEOUT,
                            "no address for 'lost' after 1 s");
    snprintf(addr, size, "192.0.2.7");
    return 0;
}

static int rec_host_endpoint(sl_hypervisor *hv, const char *name,
                             char *endpoint, size_t size, sl_error *err)
{
    (void)hv;
    (void)err;
    rec.calls++;
    snprintf(endpoint, size, "tcp://192.0.2.7:2376 %s", name);
    return 0;
}

static int rec_host_stop(sl_hypervisor *hv, const char *name,
                         int64_t grace_ns, sl_error *err)
{
    (void)grace_ns;
    return rec_host_name_op(hv, name, err);
}

static sl_hv_host_info *rec_host_list(sl_hypervisor *hv, size_t *count,
                                      sl_error *err)
{
    sl_hv_host_info *hosts = calloc(2, sizeof(*hosts));

    (void)hv;
    (void)err;
    rec.calls++;
    snprintf(hosts[0].name, sizeof(hosts[0].name), "a");
    snprintf(hosts[1].name, sizeof(hosts[1].name), "b");
    hosts[1].state = SL_HV_STATE_RUNNING;
    *count = 2;
    return hosts;
}

static void rec_close(void *backend)
{
    (void)backend;
}

static const sl_hv_ops rec_ops = {
    .name = "recorder",
    .image_prepare = rec_image_prepare,
    .host_create = rec_host_create,
    .host_start = rec_host_name_op,
    .host_wait_booted = rec_host_wait,
    .host_address = rec_host_address,
    .host_docker_endpoint = rec_host_endpoint,
    .host_stop = rec_host_stop,
    .host_destroy = rec_host_name_op,
    .host_list = rec_host_list,
    .close = rec_close,
};

static sl_hypervisor *rec_open(const sl_hv_options *opts, sl_error *err)
{
    return sl_hypervisor_new(&rec_ops, &rec, sl_clock_new_virtual(0), true,
                             opts, err);
}

static void record_event(const sl_hv_event *ev, void *data)
{
    event_log *log = data;

    if (log->n < 16)
        snprintf(log->lines[log->n++], 96, "%s %s%s%s", ev->host,
                 sl_hv_phase_name(ev->phase), ev->detail ? ": " : "",
                 ev->detail ? ev->detail : "");
}

static int setup(void **state)
{
    sl_hypervisor *hv;

    memset(&rec, 0, sizeof(rec));
    assert_int_equal(sl_hypervisor_register("recorder", rec_open, NULL), 0);
    hv = sl_hypervisor_open("recorder", NULL, NULL);
    assert_non_null(hv);
    state[0] = hv;
    return 0;
}

static int teardown(void **state)
{
    sl_hypervisor *hv = state[0];

    sl_hypervisor_close(hv);
    return 0;
}

static void unknown_backend_is_a_clear_error(void **state)
{
    sl_error err;

    (void)state;
    assert_null(sl_hypervisor_open("vmware", NULL, &err));
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(err.message, "unknown hypervisor 'vmware'");
    assert_null(sl_hypervisor_open(NULL, NULL, &err));
    assert_int_equal(err.code, SL_ERR_INVALID);
}

static void registered_backend_opens_by_name(void **state)
{
    sl_hypervisor *hv = state[0];

    assert_string_equal(sl_hypervisor_name(hv), "recorder");
    assert_true(sl_clock_is_virtual(sl_hypervisor_clock(hv)));
    assert_ptr_equal(sl_hypervisor_backend(hv, &rec_ops), &rec);
    assert_null(sl_hypervisor_backend(hv, NULL));
}

static void registering_a_taken_name_is_a_conflict(void **state)
{
    sl_error err;

    (void)state;
    assert_int_equal(sl_hypervisor_register("recorder", rec_open, &err), 0);
    assert_int_equal(sl_hypervisor_register("libvirt", rec_open, &err), -1);
    assert_int_equal(err.code, SL_ERR_CONFLICT);
    assert_string_equal(err.message,
                        "cannot register hypervisor 'libvirt': the name is "
                        "taken");
}

static void host_spec_defaults_are_filled_before_the_backend(void **state)
{
    sl_hypervisor *hv = state[0];
    sl_hv_host_spec spec = {.name = "n2d-wrkr-0", .image = "base"};
    sl_error err;

    assert_int_equal(sl_hv_host_create(hv, &spec, &err), 0);
    assert_int_equal(rec.spec.cpus, 4);
    assert_int_equal(rec.spec.memory_mib, 2048);
    assert_int_equal(rec.spec.disk_gib, 20);
    assert_string_equal(rec.spec.network, "default");
    assert_null(rec.spec.os);
}

static void invalid_host_names_never_reach_the_backend(void **state)
{
    static const char *const bad[] = {
        "", "bad name", "-lead", "n2d/wrkr", "n2d-wrkr-0;rm",
        "a-very-long-name-that-goes-on-and-on-past-sixty-three-characters-x",
    };
    sl_hypervisor *hv = state[0];
    sl_hv_host_spec spec = {.image = "base"};
    sl_error err;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        spec.name = bad[i];
        assert_int_equal(sl_hv_host_create(hv, &spec, &err), -1);
        assert_int_equal(err.code, SL_ERR_INVALID);
        assert_int_equal(sl_hv_host_start(hv, bad[i], &err), -1);
        assert_int_equal(sl_hv_host_destroy(hv, bad[i], &err), -1);
    }
    assert_int_equal(rec.calls, 0);
    spec.name = "bad name";
    assert_int_equal(sl_hv_host_create(hv, &spec, &err), -1);
    assert_string_equal(err.message,
                        "host name 'bad name' has a character that is not a "
                        "letter, a digit, '-', '.' or '_'");
}

static void bad_specs_are_refused_with_the_field_named(void **state)
{
    sl_hypervisor *hv = state[0];
    sl_hv_host_spec spec = {.name = "n2d-wrkr-0", .image = "base"};
    sl_hv_image_spec image = {.name = "base", .format = "vmdk"};
    char addr[SL_HV_ADDR_MAX];
    sl_error err;

    spec.os = "plan9";
    assert_int_equal(sl_hv_host_create(hv, &spec, &err), -1);
    assert_string_equal(err.message,
                        "unknown os 'plan9': expected 'linux' or 'windows'");
    spec.os = NULL;
    spec.image = NULL;
    assert_int_equal(sl_hv_host_create(hv, &spec, &err), -1);
    assert_string_equal(err.message, "cannot create 'n2d-wrkr-0': no image "
                        "given");
    assert_null(sl_hv_image_prepare(hv, &image, &err));
    assert_string_equal(err.message,
                        "unknown image format 'vmdk': expected 'qcow2' or "
                        "'raw'");
    assert_int_equal(sl_hv_host_address(hv, "n2d-wrkr-0", -1, addr,
                                        sizeof(addr), &err), -1);
    assert_string_equal(err.message, "negative timeout for 'n2d-wrkr-0'");
    assert_int_equal(rec.calls, 0);
}

static void backend_failing_without_saying_why_is_an_internal_error(
    void **state)
{
    sl_hypervisor *hv = state[0];
    sl_error err;

    rec.fail_silently = true;
    assert_int_equal(sl_hv_host_start(hv, "n2d-wrkr-0", &err), -1);
    assert_int_equal(err.code, SL_ERR_INTERNAL);
    assert_string_equal(err.message, "hypervisor 'recorder' failed on "
                        "'n2d-wrkr-0' without saying why");
}

static void backend_without_a_network_seam_cannot_be_partitioned(
    void **state)
{
    sl_hypervisor *hv = state[0];
    const char *hosts[] = {"n2d-mngr-0"};
    const int sides[] = {1};
    sl_error err;

    assert_int_equal(sl_hv_partition(hv, hosts, sides, 1, &err), -1);
    assert_int_equal(err.code, SL_ERR_UNSUPPORTED);
    assert_string_equal(err.message, "hypervisor 'recorder' cannot cut the "
                        "network between hosts");
    assert_int_equal(sl_hv_heal(hv, &err), -1);
    assert_int_equal(err.code, SL_ERR_UNSUPPORTED);
}

static void operations_report_phases_and_failures(void **state)
{
    event_log log = {0};
    sl_hv_options opts = {.on_event = record_event, .event_data = &log};
    sl_hv_host_spec spec = {.name = "n2d-mngr-0", .image = "base"};
    char addr[SL_HV_ADDR_MAX];
    sl_hypervisor *own = sl_hypervisor_open("recorder", &opts, NULL);

    (void)state;
    assert_non_null(own);
    assert_int_equal(sl_hv_host_create(own, &spec, NULL), 0);
    assert_int_equal(sl_hv_host_address(own, "n2d-mngr-0", SEC, addr,
                                        sizeof(addr), NULL), 0);
    assert_int_equal(sl_hv_host_address(own, "lost", SEC, addr,
                                        sizeof(addr), NULL), -1);
    sl_hv_notify(own, "n2d-mngr-0", SL_HV_PHASE_DOCKER_ANSWERING,
                 "tcp://192.0.2.7:2376");
    assert_int_equal(sl_hv_host_destroy(own, "n2d-mngr-0", NULL), 0);
    sl_hypervisor_close(own);

    assert_int_equal(log.n, 9);
    assert_string_equal(log.lines[0], "n2d-mngr-0 creating");
    assert_string_equal(log.lines[1], "n2d-mngr-0 created");
    assert_string_equal(log.lines[2], "n2d-mngr-0 waiting-for-address");
    assert_string_equal(log.lines[3], "n2d-mngr-0 address: 192.0.2.7");
    assert_string_equal(log.lines[4], "lost waiting-for-address");
    assert_string_equal(log.lines[5],
                        "lost failed: no address for 'lost' after 1 s");
    assert_string_equal(log.lines[6],
                        "n2d-mngr-0 docker-answering: tcp://192.0.2.7:2376");
    assert_string_equal(log.lines[7], "n2d-mngr-0 destroying");
    assert_string_equal(log.lines[8], "n2d-mngr-0 destroyed");
}

static void inspect_finds_one_host_through_list(void **state)
{
    sl_hypervisor *hv = state[0];
    sl_hv_host_info info;
    sl_error err;

    assert_int_equal(sl_hv_host_inspect(hv, "b", &info, &err), 0);
    assert_int_equal(info.state, SL_HV_STATE_RUNNING);
    assert_int_equal(sl_hv_host_inspect(hv, "c", &info, &err), -1);
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(err.message, "host 'c' not found");
}

static void durations_read_as_messages_show_them(void **state)
{
    char buf[32];

    (void)state;
    sl_hv_format_duration(60 * SEC, buf, sizeof(buf));
    assert_string_equal(buf, "60 s");
    sl_hv_format_duration(1500 * SL_NS_PER_MS, buf, sizeof(buf));
    assert_string_equal(buf, "1.5 s");
    sl_hv_format_duration(250 * SL_NS_PER_MS, buf, sizeof(buf));
    assert_string_equal(buf, "250 ms");
}

static void phase_and_state_names_are_stable(void **state)
{
    (void)state;
    assert_string_equal(sl_hv_phase_name(SL_HV_PHASE_WAITING_FOR_ADDRESS),
                        "waiting-for-address");
    assert_string_equal(sl_hv_phase_name(SL_HV_PHASE_DOCKER_ANSWERING),
                        "docker-answering");
    assert_string_equal(sl_hv_state_name(SL_HV_STATE_BOOTING), "booting");
    assert_string_equal(sl_hv_state_name(SL_HV_STATE_FAILED), "failed");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(unknown_backend_is_a_clear_error),
        T(registered_backend_opens_by_name),
        T(registering_a_taken_name_is_a_conflict),
        T(host_spec_defaults_are_filled_before_the_backend),
        T(invalid_host_names_never_reach_the_backend),
        T(bad_specs_are_refused_with_the_field_named),
        T(backend_failing_without_saying_why_is_an_internal_error),
        T(backend_without_a_network_seam_cannot_be_partitioned),
        T(operations_report_phases_and_failures),
        T(inspect_finds_one_host_through_list),
        T(durations_read_as_messages_show_them),
        T(phase_and_state_names_are_stable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
