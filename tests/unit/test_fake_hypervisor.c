/* Tests of the fake hypervisor: virtual boots, capacity, addresses, faults. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fake_hypervisor.h"
#include "fake_swarm.h"
#include "hv_libvirt.h"
#include "hypervisor.h"

#define SEC SL_NS_PER_SEC
#define START_NS (INT64_C(1767225600) * SEC)
#define IMAGE "swarmlab-base"

typedef struct fixture {
    sl_clock *clock;
    sl_hypervisor *hv;
    sl_error err;
} fixture;

static sl_hypervisor *open_fake(sl_clock *clock, uint64_t seed,
                                const sl_fake_hv_config *cfg)
{
    sl_hv_options opts = {0};
    sl_hv_image_spec image = {.name = IMAGE};
    sl_hypervisor *hv;
    sl_error err;
    char *name;

    opts.clock = clock;
    opts.seed = seed;
    opts.fake = cfg;
    hv = sl_hypervisor_open("fake", &opts, &err);
    if (!hv)
        fail_msg("cannot open the fake: %s", err.message);
    name = sl_hv_image_prepare(hv, &image, &err);
    if (!name)
        fail_msg("cannot prepare the image: %s", err.message);
    free(name);
    return hv;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_int_equal(sl_fake_hv_register(NULL), 0);
    f->clock = sl_clock_new_virtual(START_NS);
    f->hv = open_fake(f->clock, 7, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sl_hypervisor_close(f->hv);
    sl_clock_free(f->clock);
    free(f);
    return 0;
}

static sl_hv_host_spec spec_of(const char *name)
{
    sl_hv_host_spec spec = {0};

    spec.name = name;
    spec.image = IMAGE;
    return spec;
}

static void create_host(sl_hypervisor *hv, const char *name)
{
    sl_hv_host_spec spec = spec_of(name);
    sl_error err;

    if (sl_hv_host_create(hv, &spec, &err) < 0)
        fail_msg("cannot create '%s': %s", name, err.message);
}

static void boot_host(sl_hypervisor *hv, const char *name)
{
    sl_error err;

    create_host(hv, name);
    if (sl_hv_host_start(hv, name, &err) < 0 ||
        sl_hv_host_wait_booted(hv, name, 60 * SEC, &err) < 0)
        fail_msg("cannot boot '%s': %s", name, err.message);
}

static int64_t elapsed(fixture *f)
{
    return sl_clock_now_ns(f->clock) - START_NS;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t host_count(sl_hypervisor *hv)
{
    size_t count = 0;
    sl_hv_host_info *hosts = sl_hv_host_list(hv, &count, NULL);

    assert_non_null(hosts);
    free(hosts);
    return count;
}

static int swarm_hosts(sl_hypervisor *hv)
{
    sl_fake_swarm *fs = sl_fake_hv_swarm(hv);
    int n;

    sl_fake_swarm_lock(fs);
    n = sl_fake_swarm_host_count(fs);
    sl_fake_swarm_unlock(fs);
    return n;
}

/* Whether the host is powered on as the simulated swarm sees it. */
static bool swarm_up(sl_hypervisor *hv, const char *name)
{
    sl_fake_swarm *fs = sl_fake_hv_swarm(hv);
    int index = sl_fake_hv_host_index(hv, name);
    bool up;

    assert_true(index >= 0);
    sl_fake_swarm_lock(fs);
    up = sl_fake_swarm_host_is_up(fs, index);
    sl_fake_swarm_unlock(fs);
    return up;
}

enum { HTTP_REFUSED = -1, HTTP_SILENT = -2 };

/* GET /version on 'endpoint' ("tcp://127.0.0.1:PORT"): the HTTP status,
 * HTTP_REFUSED, or HTTP_SILENT when nothing comes back within 300 ms. */
static int http_get_version(const char *endpoint)
{
    static const char req[] = "GET /version HTTP/1.1\r\n"
                              "Host: docker\r\nConnection: close\r\n\r\n";
    struct timeval tv = {0, 300 * 1000};
    struct sockaddr_in sa = {0};
    char reply[64] = {0};
    int fd, status = HTTP_SILENT;
    unsigned port = 0;

    assert_int_equal(sscanf(endpoint, "tcp://127.0.0.1:%u", &port), 1);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return HTTP_REFUSED;
    }
    assert_int_equal(write(fd, req, sizeof(req) - 1), (ssize_t)sizeof(req) - 1);
    if (read(fd, reply, sizeof(reply) - 1) > 0)
        sscanf(reply, "HTTP/1.%*d %d", &status);
    close(fd);
    return status;
}

/* Capacity and creation ---------------------------------------------------- */

static void create_beyond_capacity_is_refused_before_anything_is_made(
    void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-3");
    sl_hv_host_info info;
    int i;

    for (i = 0; i < 15; i++) {
        char name[32];

        snprintf(name, sizeof(name), "n2d-wrkr-%02d", i);
        create_host(f->hv, name);
    }
    spec.name = "n2d-mngr-0";
    spec.cpus = 2;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), 0);
    assert_int_equal(host_count(f->hv), 16);
    assert_int_equal(swarm_hosts(f->hv), 16);

    spec.name = "n2d-wrkr-3";
    spec.cpus = 4;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CAPACITY);
    assert_string_equal(f->err.message,
                        "cannot create 'n2d-wrkr-3': needs 4 CPUs, 2 free "
                        "of 64");
    assert_int_equal(host_count(f->hv), 16);
    assert_int_equal(swarm_hosts(f->hv), 16);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-wrkr-3", &info, NULL),
                     -1);
}

static void memory_and_disk_beyond_capacity_are_refused_too(void **state)
{
    fixture *f = *state;
    sl_fake_hv_config cfg = {.memory_mib = 3072, .disk_gib = 30};
    sl_hypervisor *hv = open_fake(f->clock, 1, &cfg);
    sl_hv_host_spec spec = spec_of("n2d-wrkr-1");

    create_host(hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CAPACITY);
    assert_string_equal(f->err.message,
                        "cannot create 'n2d-wrkr-1': needs 2048 MiB memory, "
                        "1024 free of 3072");

    spec.memory_mib = 512;
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), -1);
    assert_string_equal(f->err.message,
                        "cannot create 'n2d-wrkr-1': needs 20 GiB disk, 10 "
                        "free of 30");
    assert_int_equal(host_count(hv), 1);
    sl_hypervisor_close(hv);
}

static void create_on_a_missing_network_is_a_clear_error(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-0");

    spec.network = "lab";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(f->err.message, "network 'lab' not found");
    assert_int_equal(host_count(f->hv), 0);
}

static void configured_networks_are_the_ones_that_exist(void **state)
{
    fixture *f = *state;
    static const char *const nets[] = {"lab", "dmz", NULL};
    sl_fake_hv_config cfg = {.networks = nets};
    sl_hypervisor *hv = open_fake(f->clock, 1, &cfg);
    sl_hv_host_spec spec = spec_of("n2d-wrkr-0");

    spec.network = "dmz";
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), 0);
    spec.name = "n2d-wrkr-1";
    spec.network = NULL;
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), -1);
    assert_string_equal(f->err.message, "network 'default' not found");
    sl_hypervisor_close(hv);
}

static void create_from_an_unknown_image_is_refused(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-0");

    spec.image = "nano-server";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(f->err.message, "image 'nano-server' not found");
}

static void image_from_a_missing_file_is_refused(void **state)
{
    fixture *f = *state;
    sl_hv_image_spec image = {.name = "other",
                              .source = "/nonexistent/base.qcow2"};

    assert_null(sl_hv_image_prepare(f->hv, &image, &f->err));
    assert_int_equal(f->err.code, SL_ERR_IO);
    assert_string_equal(f->err.message,
                        "cannot read image '/nonexistent/base.qcow2'");
}

static void create_twice_with_one_name_is_a_conflict(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-mngr-0");

    create_host(f->hv, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_string_equal(f->err.message, "host 'n2d-mngr-0' exists already");
}

static void windows_image_makes_windows_hosts(void **state)
{
    fixture *f = *state;
    sl_hv_image_spec image = {.name = "nano", .os = "windows"};
    sl_hv_host_spec spec = spec_of("n2d-win-0");
    sl_hv_host_info info;
    char *name = sl_hv_image_prepare(f->hv, &image, &f->err);

    assert_non_null(name);
    spec.image = name;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), 0);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-win-0", &info, &f->err),
                     0);
    assert_string_equal(info.os, "windows");
    free(name);
}

/* Booting ------------------------------------------------------------------ */

static void boot_takes_virtual_time_not_wall_time(void **state)
{
    fixture *f = *state;
    int64_t wall = wall_ms();
    sl_hv_host_info info;

    create_host(f->hv, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-mngr-0", &info, NULL), 0);
    assert_int_equal(info.state, SL_HV_STATE_BOOTING);
    assert_int_equal(elapsed(f), 0);

    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-mngr-0", 60 * SEC,
                                            &f->err), 0);
    assert_int_equal(elapsed(f), 20 * SEC);
    assert_true(wall_ms() - wall < 2000);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-mngr-0", &info, NULL), 0);
    assert_int_equal(info.state, SL_HV_STATE_RUNNING);
}

static void boot_ends_when_the_clock_passes_it(void **state)
{
    fixture *f = *state;
    sl_hv_host_info info;

    create_host(f->hv, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-mngr-0", &f->err), 0);
    sl_clock_advance_ns(f->clock, 19 * SEC);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-mngr-0", &info, NULL), 0);
    assert_int_equal(info.state, SL_HV_STATE_BOOTING);
    sl_clock_advance_ns(f->clock, 1 * SEC);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-mngr-0", &info, NULL), 0);
    assert_int_equal(info.state, SL_HV_STATE_RUNNING);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-mngr-0", 0, &f->err),
                     0);
    assert_int_equal(elapsed(f), 20 * SEC);
}

static void boot_time_is_configurable_per_host(void **state)
{
    fixture *f = *state;
    sl_fake_hv_config cfg = {.boot_ns = 5 * SEC};
    sl_hypervisor *hv = open_fake(f->clock, 1, &cfg);

    assert_int_equal(sl_fake_hv_set_boot_time(hv, "n2d-win-0", 90 * SEC,
                                              &f->err), 0);
    boot_host(hv, "n2d-wrkr-0");
    assert_int_equal(elapsed(f), 5 * SEC);
    create_host(hv, "n2d-win-0");
    assert_int_equal(sl_hv_host_start(hv, "n2d-win-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(hv, "n2d-win-0", 120 * SEC,
                                            &f->err), 0);
    assert_int_equal(elapsed(f), 95 * SEC);
    sl_hypervisor_close(hv);
}

static void boot_on_a_real_clock_really_waits(void **state)
{
    fixture *f = *state;
    sl_clock *real = sl_clock_new_real();
    sl_fake_hv_config cfg = {.boot_ns = 100 * SL_NS_PER_MS};
    sl_hypervisor *hv = open_fake(real, 1, &cfg);
    int64_t wall = wall_ms();

    boot_host(hv, "n2d-wrkr-0");
    assert_true(wall_ms() - wall >= 100);
    assert_int_equal(sl_fake_hv_hang_boot(hv, "n2d-wrkr-1", &f->err), 0);
    create_host(hv, "n2d-wrkr-1");
    assert_int_equal(sl_hv_host_start(hv, "n2d-wrkr-1", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(hv, "n2d-wrkr-1",
                                            50 * SL_NS_PER_MS, &f->err), -1);
    assert_string_equal(f->err.message,
                        "host 'n2d-wrkr-1' not booted after 50 ms");
    sl_hypervisor_close(hv);
    sl_clock_free(real);
}

static void hosts_started_together_boot_in_the_time_of_one(void **state)
{
    fixture *f = *state;
    const char *names[] = {"n2d-mngr-0", "n2d-wrkr-0", "n2d-wrkr-1"};
    size_t i;

    for (i = 0; i < 3; i++) {
        create_host(f->hv, names[i]);
        assert_int_equal(sl_hv_host_start(f->hv, names[i], &f->err), 0);
    }
    for (i = 0; i < 3; i++)
        assert_int_equal(sl_hv_host_wait_booted(f->hv, names[i], 60 * SEC,
                                                &f->err), 0);
    assert_int_equal(elapsed(f), 20 * SEC);
}

static void boot_failure_once_then_succeeds(void **state)
{
    fixture *f = *state;
    sl_hv_host_info info;

    assert_int_equal(sl_fake_hv_fail_boot(f->hv, "n2d-wrkr-1", 1, &f->err),
                     0);
    create_host(f->hv, "n2d-wrkr-1");
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-1", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-1", 60 * SEC,
                                            &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_API);
    assert_string_equal(f->err.message, "host 'n2d-wrkr-1' failed to boot");
    assert_int_equal(elapsed(f), 20 * SEC);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-wrkr-1", &info, NULL), 0);
    assert_int_equal(info.state, SL_HV_STATE_FAILED);

    assert_int_equal(sl_hv_host_stop(f->hv, "n2d-wrkr-1", 0, &f->err), 0);
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-1", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-1", 60 * SEC,
                                            &f->err), 0);
    assert_int_equal(elapsed(f), 40 * SEC);
}

static void boot_failure_always_fails_every_boot(void **state)
{
    fixture *f = *state;
    int attempt;

    assert_int_equal(sl_fake_hv_fail_boot(f->hv, "n2d-wrkr-1", -1, &f->err),
                     0);
    create_host(f->hv, "n2d-wrkr-1");
    for (attempt = 0; attempt < 3; attempt++) {
        assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-1", &f->err), 0);
        assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-1",
                                                60 * SEC, &f->err), -1);
        assert_int_equal(f->err.code, SL_ERR_API);
    }
}

static void hung_boot_times_out(void **state)
{
    fixture *f = *state;
    int64_t wall = wall_ms();

    assert_int_equal(sl_fake_hv_hang_boot(f->hv, "n2d-wrkr-2", &f->err), 0);
    create_host(f->hv, "n2d-wrkr-2");
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-2", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-2", 60 * SEC,
                                            &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_TIMEOUT);
    assert_string_equal(f->err.message,
                        "host 'n2d-wrkr-2' not booted after 60 s");
    assert_int_equal(elapsed(f), 60 * SEC);
    assert_true(wall_ms() - wall < 2000);
}

static void wait_on_a_host_never_started_is_a_conflict(void **state)
{
    fixture *f = *state;

    create_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-0", 60 * SEC,
                                            &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_string_equal(f->err.message, "host 'n2d-wrkr-0' is not started");
    assert_int_equal(elapsed(f), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "nobody", 60 * SEC,
                                            &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
}

/* Addresses ---------------------------------------------------------------- */

static void addresses_are_deterministic(void **state)
{
    fixture *f = *state;
    sl_hypervisor *a = open_fake(f->clock, 42, NULL);
    sl_hypervisor *b = open_fake(f->clock, 42, NULL);
    const char *names[] = {"n2d-mngr-0", "n2d-wrkr-0", "n2d-wrkr-1"};
    const char *want[] = {"10.200.0.2", "10.200.0.3", "10.200.0.4"};
    sl_hv_host_info ia, ib;
    size_t i;

    for (i = 0; i < 3; i++) {
        boot_host(a, names[i]);
        boot_host(b, names[i]);
    }
    for (i = 0; i < 3; i++) {
        assert_int_equal(sl_hv_host_inspect(a, names[i], &ia, NULL), 0);
        assert_int_equal(sl_hv_host_inspect(b, names[i], &ib, NULL), 0);
        assert_string_equal(ia.address, want[i]);
        assert_string_equal(ia.address, ib.address);
        assert_string_equal(ia.mac, ib.mac);
        assert_true(strncmp(ia.mac, "52:54:00:", 9) == 0);
    }
    assert_int_equal(sl_hv_host_inspect(a, names[0], &ia, NULL), 0);
    assert_int_equal(sl_hv_host_inspect(a, names[1], &ib, NULL), 0);
    assert_string_not_equal(ia.mac, ib.mac);
    sl_hypervisor_close(a);
    sl_hypervisor_close(b);
}

static void addresses_come_from_the_configured_subnet(void **state)
{
    fixture *f = *state;
    sl_fake_hv_config cfg = {.subnet = "172.30.8.0/29"};
    sl_hypervisor *hv = open_fake(f->clock, 1, &cfg);
    sl_hv_host_spec spec = spec_of("h5");
    char addr[SL_HV_ADDR_MAX];
    char name[8];
    int i;

    for (i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "h%d", i);
        boot_host(hv, name);
    }
    assert_int_equal(sl_hv_host_address(hv, "h0", 0, addr, sizeof(addr),
                                        &f->err), 0);
    assert_string_equal(addr, "172.30.8.2");
    assert_int_equal(sl_hv_host_address(hv, "h4", 0, addr, sizeof(addr),
                                        &f->err), 0);
    assert_string_equal(addr, "172.30.8.6");
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CAPACITY);
    assert_string_equal(f->err.message,
                        "cannot create 'h5': no free address in the subnet");
    sl_hypervisor_close(hv);
}

static void address_waits_for_the_boot(void **state)
{
    fixture *f = *state;
    char addr[SL_HV_ADDR_MAX];

    create_host(f->hv, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-mngr-0", 60 * SEC, addr,
                                        sizeof(addr), &f->err), 0);
    assert_string_equal(addr, "10.200.0.2");
    assert_int_equal(elapsed(f), 20 * SEC);
}

static void withheld_address_times_out(void **state)
{
    fixture *f = *state;
    char addr[SL_HV_ADDR_MAX];

    assert_int_equal(sl_fake_hv_withhold_address(f->hv, "n2d-wrkr-0",
                                                 &f->err), 0);
    boot_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-wrkr-0", 30 * SEC, addr,
                                        sizeof(addr), &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_TIMEOUT);
    assert_string_equal(f->err.message,
                        "no address for 'n2d-wrkr-0' after 30 s");
    assert_int_equal(elapsed(f), 50 * SEC);
}

static void destroy_frees_capacity_and_address(void **state)
{
    fixture *f = *state;
    sl_fake_hv_config cfg = {.cpus = 8};
    sl_hypervisor *hv = open_fake(f->clock, 1, &cfg);
    sl_hv_host_spec spec = spec_of("n2d-wrkr-2");
    char addr[SL_HV_ADDR_MAX];

    boot_host(hv, "n2d-wrkr-0");
    boot_host(hv, "n2d-wrkr-1");
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), -1);
    assert_int_equal(sl_hv_host_destroy(hv, "n2d-wrkr-0", &f->err), 0);
    assert_int_equal(host_count(hv), 1);
    boot_host(hv, "n2d-wrkr-2");
    assert_int_equal(sl_hv_host_address(hv, "n2d-wrkr-2", 0, addr,
                                        sizeof(addr), &f->err), 0);
    assert_string_equal(addr, "10.200.0.2");
    assert_int_equal(sl_hv_host_destroy(hv, "n2d-wrkr-0", &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    sl_hypervisor_close(hv);
}

/* Docker ------------------------------------------------------------------- */

static void booted_host_answers_docker_on_its_endpoint(void **state)
{
    fixture *f = *state;
    char endpoint[SL_HV_ENDPOINT_MAX];

    create_host(f->hv, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-mngr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);

    assert_int_equal(sl_hv_host_start(f->hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-mngr-0", 60 * SEC,
                                            &f->err), 0);
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-mngr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    assert_true(strncmp(endpoint, "tcp://127.0.0.1:", 16) == 0);
    assert_int_equal(http_get_version(endpoint), 200);
}

static void booted_host_is_a_docker_host_in_the_shared_swarm(void **state)
{
    fixture *f = *state;
    sl_fake_swarm *fs = sl_fake_swarm_new(3, f->clock);
    sl_fake_hv_config cfg = {.swarm = fs};
    sl_hypervisor *hv = open_fake(f->clock, 3, &cfg);
    int index;

    boot_host(hv, "n2d-mngr-0");
    create_host(hv, "n2d-wrkr-0");
    assert_false(swarm_up(hv, "n2d-wrkr-0"));
    assert_int_equal(sl_hv_host_start(hv, "n2d-wrkr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(hv, "n2d-wrkr-0", 60 * SEC,
                                            &f->err), 0);
    assert_true(swarm_up(hv, "n2d-wrkr-0"));
    index = sl_fake_hv_host_index(hv, "n2d-wrkr-0");
    assert_int_equal(index, 1);
    assert_ptr_equal(sl_fake_hv_swarm(hv), fs);
    sl_fake_swarm_lock(fs);
    assert_int_equal(sl_fake_swarm_host_count(fs), 2);
    assert_string_equal(sl_fake_swarm_hostname(fs, index), "n2d-wrkr-0");
    sl_fake_swarm_unlock(fs);
    assert_int_equal(sl_fake_hv_host_index(hv, "nobody"), -1);
    sl_hypervisor_close(hv);
    sl_fake_swarm_free(fs);
}

static void frozen_docker_never_answers(void **state)
{
    fixture *f = *state;
    char endpoint[SL_HV_ENDPOINT_MAX];

    assert_int_equal(sl_fake_hv_set_docker_fault(f->hv, "n2d-wrkr-0",
                                                 SL_FAKE_DOCKER_FROZEN,
                                                 &f->err), 0);
    boot_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-wrkr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    assert_int_equal(http_get_version(endpoint), HTTP_SILENT);

    assert_int_equal(sl_fake_hv_set_docker_fault(f->hv, "n2d-wrkr-0",
                                                 SL_FAKE_DOCKER_OK, &f->err),
                     0);
    assert_int_equal(http_get_version(endpoint), 200);
}

static void docker_down_refuses_connections(void **state)
{
    fixture *f = *state;
    char endpoint[SL_HV_ENDPOINT_MAX];

    boot_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-wrkr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    assert_int_equal(sl_fake_hv_set_docker_fault(f->hv, "n2d-wrkr-0",
                                                 SL_FAKE_DOCKER_DOWN,
                                                 &f->err), 0);
    assert_int_equal(http_get_version(endpoint), HTTP_REFUSED);
}

/* Power -------------------------------------------------------------------- */

static void power_loss_at_a_virtual_time_stops_host_and_daemon(void **state)
{
    fixture *f = *state;
    char endpoint[SL_HV_ENDPOINT_MAX];
    sl_hv_host_info info;

    boot_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-wrkr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    assert_int_equal(sl_fake_hv_power_loss_at(f->hv, "n2d-wrkr-0",
                                              START_NS + 100 * SEC, &f->err),
                     0);
    sl_clock_advance_ns(f->clock, 50 * SEC);
    sl_fake_hv_poll(f->hv);
    assert_int_equal(http_get_version(endpoint), 200);

    assert_true(swarm_up(f->hv, "n2d-wrkr-0"));

    sl_clock_advance_ns(f->clock, 30 * SEC);
    sl_fake_hv_poll(f->hv);
    assert_int_equal(http_get_version(endpoint), HTTP_REFUSED);
    assert_false(swarm_up(f->hv, "n2d-wrkr-0"));
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-wrkr-0", &info, NULL), 0);
    assert_int_equal(info.state, SL_HV_STATE_STOPPED);
    assert_string_equal(info.docker_endpoint, "");
}

static void power_loss_while_waiting_ends_the_wait(void **state)
{
    fixture *f = *state;

    create_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_fake_hv_power_loss_at(f->hv, "n2d-wrkr-0",
                                              START_NS + 5 * SEC, &f->err),
                     0);
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-0", 60 * SEC,
                                            &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_string_equal(f->err.message, "host 'n2d-wrkr-0' lost power");
    assert_int_equal(elapsed(f), 5 * SEC);
}

static void power_off_on_demand_then_start_keeps_the_endpoint(void **state)
{
    fixture *f = *state;
    char before[SL_HV_ENDPOINT_MAX], after[SL_HV_ENDPOINT_MAX];

    boot_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-wrkr-0", before,
                                                sizeof(before), &f->err), 0);
    assert_int_equal(sl_fake_hv_power_off(f->hv, "n2d-wrkr-0", &f->err), 0);
    assert_int_equal(http_get_version(before), HTTP_REFUSED);
    assert_false(swarm_up(f->hv, "n2d-wrkr-0"));

    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-0", 60 * SEC,
                                            &f->err), 0);
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-wrkr-0", after,
                                                sizeof(after), &f->err), 0);
    assert_string_equal(before, after);
    assert_int_equal(http_get_version(after), 200);
    assert_true(swarm_up(f->hv, "n2d-wrkr-0"));
}

/* Threads, events, listing ------------------------------------------------- */

typedef struct worker {
    sl_hypervisor *hv;
    char name[32];
    char addr[SL_HV_ADDR_MAX];
    int rc;
} worker;

static void *bring_up(void *arg)
{
    worker *w = arg;
    sl_hv_host_spec spec = spec_of(w->name);
    sl_error err;

    spec.cpus = 1;
    spec.memory_mib = 512;
    w->rc = sl_hv_host_create(w->hv, &spec, &err);
    if (!w->rc)
        w->rc = sl_hv_host_start(w->hv, w->name, &err);
    if (!w->rc)
        w->rc = sl_hv_host_wait_booted(w->hv, w->name, 60 * SEC, &err);
    if (!w->rc)
        w->rc = sl_hv_host_address(w->hv, w->name, 60 * SEC, w->addr,
                                   sizeof(w->addr), &err);
    return NULL;
}

static void parallel_create_and_boot_from_threads_is_safe(void **state)
{
    fixture *f = *state;
    pthread_t threads[12];
    worker workers[12];
    int i, j;

    for (i = 0; i < 12; i++) {
        workers[i].hv = f->hv;
        snprintf(workers[i].name, sizeof(workers[i].name), "n2d-wrkr-%d", i);
        pthread_create(&threads[i], NULL, bring_up, &workers[i]);
    }
    for (i = 0; i < 12; i++)
        pthread_join(threads[i], NULL);
    for (i = 0; i < 12; i++) {
        assert_int_equal(workers[i].rc, 0);
        for (j = 0; j < i; j++)
            assert_string_not_equal(workers[i].addr, workers[j].addr);
    }
    assert_int_equal(host_count(f->hv), 12);
    assert_int_equal(swarm_hosts(f->hv), 12);
    assert_true(elapsed(f) >= 20 * SEC);
}

typedef struct event_log {
    char lines[32][64];
    int n;
} event_log;

static void record_event(const sl_hv_event *ev, void *data)
{
    event_log *log = data;

    if (log->n < 32)
        snprintf(log->lines[log->n++], 64, "%s %s%s%s", ev->host,
                 sl_hv_phase_name(ev->phase), ev->detail ? " " : "",
                 ev->detail ? ev->detail : "");
}

static void events_report_each_phase_in_order(void **state)
{
    fixture *f = *state;
    static const char *const want[] = {
        "n2d-mngr-0 creating", "n2d-mngr-0 created", "n2d-mngr-0 starting",
        "n2d-mngr-0 booting", "n2d-mngr-0 booted",
        "n2d-mngr-0 waiting-for-address", "n2d-mngr-0 address 10.200.0.2",
        "n2d-mngr-0 power-lost",
    };
    sl_hv_options opts = {0};
    sl_hv_host_spec spec = spec_of("n2d-mngr-0");
    sl_hv_image_spec image = {.name = IMAGE};
    event_log log = {0};
    char addr[SL_HV_ADDR_MAX];
    sl_hypervisor *hv;
    char *name;
    size_t i;

    opts.clock = f->clock;
    opts.on_event = record_event;
    opts.event_data = &log;
    hv = sl_hypervisor_open("fake", &opts, &f->err);
    assert_non_null(hv);
    name = sl_hv_image_prepare(hv, &image, &f->err);
    free(name);
    log.n = 0;
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), 0);
    assert_int_equal(sl_hv_host_start(hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(hv, "n2d-mngr-0", 60 * SEC,
                                            &f->err), 0);
    assert_int_equal(sl_hv_host_address(hv, "n2d-mngr-0", 60 * SEC, addr,
                                        sizeof(addr), &f->err), 0);
    assert_int_equal(sl_fake_hv_power_off(hv, "n2d-mngr-0", &f->err), 0);
    sl_hypervisor_close(hv);

    assert_int_equal(log.n, sizeof(want) / sizeof(want[0]));
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(log.lines[i], want[i]);
}

static void list_shows_hosts_with_state(void **state)
{
    fixture *f = *state;
    sl_hv_host_info *hosts;
    size_t count = 0;

    create_host(f->hv, "n2d-mngr-0");
    boot_host(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_fake_hv_hang_boot(f->hv, "n2d-wrkr-1", &f->err), 0);
    create_host(f->hv, "n2d-wrkr-1");
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-1", &f->err), 0);

    hosts = sl_hv_host_list(f->hv, &count, &f->err);
    assert_non_null(hosts);
    assert_int_equal(count, 3);
    assert_string_equal(hosts[0].name, "n2d-mngr-0");
    assert_int_equal(hosts[0].state, SL_HV_STATE_STOPPED);
    assert_string_equal(hosts[0].address, "");
    assert_string_equal(hosts[1].name, "n2d-wrkr-0");
    assert_int_equal(hosts[1].state, SL_HV_STATE_RUNNING);
    assert_string_equal(hosts[1].address, "10.200.0.3");
    assert_true(strncmp(hosts[1].docker_endpoint, "tcp://127.0.0.1:", 16) ==
                0);
    assert_int_equal(hosts[1].cpus, 4);
    assert_int_equal(hosts[1].memory_mib, 2048);
    assert_int_equal(hosts[1].disk_gib, 20);
    assert_string_equal(hosts[1].image, IMAGE);
    assert_string_equal(hosts[1].network, "default");
    assert_int_equal(hosts[2].state, SL_HV_STATE_BOOTING);
    free(hosts);
}

static void fault_calls_on_another_backend_are_refused(void **state)
{
    fixture *f = *state;
    sl_hv_options opts = {.uri = "test:///default"};
    sl_hypervisor *hv = sl_hypervisor_open("libvirt", &opts, &f->err);

    assert_non_null(hv);
    assert_int_equal(sl_fake_hv_fail_boot(hv, "n2d-wrkr-0", 1, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_INVALID);
    assert_string_equal(f->err.message, "hypervisor 'libvirt' is not the fake");
    assert_null(sl_fake_hv_swarm(hv));
    sl_hypervisor_close(hv);
}

/* A libvirt test-driver domain paired with a fake daemon. */
static void docker_pairing_gives_a_libvirt_domain_a_fake_daemon(void **state)
{
    fixture *f = *state;
    sl_fake_swarm *fs = sl_fake_swarm_new(5, f->clock);
    sl_fake_docker_pairing *p = sl_fake_docker_pairing_new(fs, NULL, &f->err);
    sl_hv_options opts = {.uri = "test:///default", .pool = "default-pool"};
    sl_hv_image_spec image = {.name = "base", .size_gib = 2};
    sl_hv_host_spec spec = {.name = "n2d-mngr-0", .image = "base",
                            .memory_mib = 512};
    char endpoint[SL_HV_ENDPOINT_MAX];
    sl_hypervisor *hv;
    char *name;

    opts.clock = f->clock;
    opts.docker_hook = sl_fake_docker_pairing_hook(p);
    hv = sl_hypervisor_open("libvirt", &opts, &f->err);
    assert_non_null(hv);
    name = sl_hv_image_prepare(hv, &image, &f->err);
    assert_non_null(name);
    free(name);
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), 0);
    assert_int_equal(sl_hv_host_start(hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_docker_endpoint(hv, "n2d-mngr-0", endpoint,
                                                sizeof(endpoint), &f->err),
                     0);
    assert_int_equal(http_get_version(endpoint), 200);
    sl_fake_swarm_lock(fs);
    assert_int_equal(sl_fake_swarm_host_count(fs), 1);
    assert_string_equal(sl_fake_swarm_hostname(fs, 0), "n2d-mngr-0");
    sl_fake_swarm_unlock(fs);

    assert_int_equal(sl_hv_host_destroy(hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(http_get_version(endpoint), HTTP_REFUSED);
    sl_hypervisor_close(hv);
    sl_fake_docker_pairing_free(p);
    sl_fake_swarm_free(fs);
}

/* The state of the only worker as the manager (host 'manager') sees it. */
static const char *worker_state(sl_fake_swarm *fs, int manager)
{
    static char state[16];
    json_t *nodes, *n;
    size_t i;

    sl_fake_swarm_lock(fs);
    nodes = sl_fake_nodes_list(fs, manager, NULL, NULL);
    sl_fake_swarm_unlock(fs);
    assert_non_null(nodes);
    json_array_foreach(nodes, i, n) {
        json_t *spec = json_object_get(n, "Spec");

        if (!strcmp(json_string_value(json_object_get(spec, "Role")),
                    "worker"))
            snprintf(state, sizeof(state), "%s",
                     json_string_value(json_object_get(
                         json_object_get(n, "Status"), "State")));
    }
    json_decref(nodes);
    return state;
}

static void partition_cuts_the_simulated_swarm_and_heal_joins_it(
    void **state)
{
    fixture *f = *state;
    const char *hosts[] = {"n2d-wrkr-0", "n2d-mngr-9"};
    const int sides[] = {1, 0};
    sl_fake_swarm *fs = sl_fake_hv_swarm(f->hv);
    char addr[SL_HV_ADDR_MAX], remote[SL_HV_ADDR_MAX + 8];
    json_t *init, *id, *sw, *join;
    int manager, wrkr;

    boot_host(f->hv, "n2d-mngr-0");
    boot_host(f->hv, "n2d-wrkr-0");
    manager = sl_fake_hv_host_index(f->hv, "n2d-mngr-0");
    wrkr = sl_fake_hv_host_index(f->hv, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-mngr-0", SEC, addr,
                                        sizeof(addr), &f->err),
                     0);
    snprintf(remote, sizeof(remote), "%s:2377", addr);
    sl_fake_swarm_lock(fs);
    init = json_pack("{s:s, s:s}", "ListenAddr", "0.0.0.0:2377",
                     "AdvertiseAddr", addr);
    id = sl_fake_swarm_init(fs, manager, init, &f->err);
    json_decref(init);
    if (!id)
        fail_msg("cannot init: %s", f->err.message);
    sw = sl_fake_swarm_inspect(fs, manager, &f->err);
    join = json_pack("{s:s, s:[s], s:O}", "ListenAddr", "0.0.0.0:2377",
                     "RemoteAddrs", remote,
                     "JoinToken",
                     json_object_get(json_object_get(sw, "JoinTokens"),
                                     "Worker"));
    if (sl_fake_swarm_join(fs, wrkr, join, &f->err) < 0)
        fail_msg("cannot join: %s", f->err.message);
    sl_fake_swarm_unlock(fs);
    json_decref(id);
    json_decref(sw);
    json_decref(join);
    assert_string_equal(worker_state(fs, manager), "ready");

    assert_int_equal(sl_hv_partition(f->hv, hosts, sides, 2, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(f->err.message, "host 'n2d-mngr-9' not found");
    assert_string_equal(worker_state(fs, manager), "ready");

    assert_int_equal(sl_hv_partition(f->hv, hosts, sides, 1, &f->err), 0);
    assert_string_equal(worker_state(fs, manager), "down");
    assert_int_equal(sl_hv_heal(f->hv, &f->err), 0);
    assert_string_equal(worker_state(fs, manager), "ready");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(create_beyond_capacity_is_refused_before_anything_is_made),
        T(memory_and_disk_beyond_capacity_are_refused_too),
        T(create_on_a_missing_network_is_a_clear_error),
        T(configured_networks_are_the_ones_that_exist),
        T(create_from_an_unknown_image_is_refused),
        T(image_from_a_missing_file_is_refused),
        T(create_twice_with_one_name_is_a_conflict),
        T(windows_image_makes_windows_hosts),
        T(boot_takes_virtual_time_not_wall_time),
        T(boot_ends_when_the_clock_passes_it),
        T(boot_time_is_configurable_per_host),
        T(boot_on_a_real_clock_really_waits),
        T(hosts_started_together_boot_in_the_time_of_one),
        T(boot_failure_once_then_succeeds),
        T(boot_failure_always_fails_every_boot),
        T(hung_boot_times_out),
        T(wait_on_a_host_never_started_is_a_conflict),
        T(addresses_are_deterministic),
        T(addresses_come_from_the_configured_subnet),
        T(address_waits_for_the_boot),
        T(withheld_address_times_out),
        T(destroy_frees_capacity_and_address),
        T(booted_host_answers_docker_on_its_endpoint),
        T(booted_host_is_a_docker_host_in_the_shared_swarm),
        T(frozen_docker_never_answers),
        T(docker_down_refuses_connections),
        T(power_loss_at_a_virtual_time_stops_host_and_daemon),
        T(power_loss_while_waiting_ends_the_wait),
        T(power_off_on_demand_then_start_keeps_the_endpoint),
        T(parallel_create_and_boot_from_threads_is_safe),
        T(events_report_each_phase_in_order),
        T(list_shows_hosts_with_state),
        T(fault_calls_on_another_backend_are_refused),
        T(docker_pairing_gives_a_libvirt_domain_a_fake_daemon),
        T(partition_cuts_the_simulated_swarm_and_heal_joins_it),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
