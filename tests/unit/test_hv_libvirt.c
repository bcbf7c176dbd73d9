/* Tests of the libvirt backend against libvirt's test driver. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "hv_libvirt.h"
#include "hypervisor.h"

#define NODE_URI "test://" SL_SOURCE_DIR "/fixtures/libvirt/node.xml"
#define POOL "swarmlab-pool"
#define IMAGE "swarmlab-base.qcow2"
#define SEC SL_NS_PER_SEC

/* What the test hook saw. */
typedef struct hook_log {
    int attached, detached;
    char last_address[SL_HV_ADDR_MAX];
    int last_cpus;
} hook_log;

typedef struct fixture {
    sl_clock *clock;
    sl_hypervisor *hv;
    virConnectPtr conn; /* borrowed from hv */
    sl_error err;
    hook_log log;
} fixture;

static sl_hypervisor *open_hv(const char *uri, const char *pool,
                              sl_clock *clock, sl_hv_options *extra)
{
    sl_hv_options opts = {0};
    sl_hypervisor *hv;
    sl_error err;

    if (extra)
        opts = *extra;
    opts.uri = uri;
    opts.pool = pool;
    opts.clock = clock;
    hv = sl_hypervisor_open("libvirt", &opts, &err);
    if (!hv)
        fail_msg("cannot open '%s': %s", uri, err.message);
    return hv;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    f->clock = sl_clock_new_virtual(INT64_C(1767225600) * SEC);
    f->hv = open_hv(NODE_URI, POOL, f->clock, NULL);
    f->conn = sl_hv_libvirt_conn(f->hv);
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
    spec.cpus = 2;
    spec.memory_mib = 1536;
    spec.disk_gib = 20;
    spec.network = "swarmlab-net";
    return spec;
}

static void create_host(fixture *f, const char *name)
{
    sl_hv_host_spec spec = spec_of(name);

    if (sl_hv_host_create(f->hv, &spec, &f->err) < 0)
        fail_msg("cannot create '%s': %s", name, f->err.message);
}

static void boot_host(fixture *f, const char *name)
{
    create_host(f, name);
    assert_int_equal(sl_hv_host_start(f->hv, name, &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, name, 60 * SEC, &f->err),
                     0);
}

static bool volume_exists(virConnectPtr conn, const char *pool_name,
                          const char *name)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, pool_name);
    virStorageVolPtr vol;

    assert_non_null(pool);
    vol = virStorageVolLookupByName(pool, name);
    if (vol)
        virStorageVolFree(vol);
    virStoragePoolFree(pool);
    return vol != NULL;
}

static unsigned long long volume_capacity(virConnectPtr conn,
                                          const char *pool_name,
                                          const char *name)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, pool_name);
    virStorageVolPtr vol;
    virStorageVolInfo info;

    assert_non_null(pool);
    vol = virStorageVolLookupByName(pool, name);
    assert_non_null(vol);
    assert_int_equal(virStorageVolGetInfo(vol, &info), 0);
    virStorageVolFree(vol);
    virStoragePoolFree(pool);
    return info.capacity;
}

static bool domain_exists(virConnectPtr conn, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);

    if (dom)
        virDomainFree(dom);
    return dom != NULL;
}

static char *domain_xml(virConnectPtr conn, const char *name)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    char *xml;

    assert_non_null(dom);
    xml = virDomainGetXMLDesc(dom, 0);
    virDomainFree(dom);
    assert_non_null(xml);
    return xml;
}

static int64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Creating ----------------------------------------------------------------- */

static void libvirt_domain_has_requested_cpus_and_memory(void **state)
{
    fixture *f = *state;
    sl_hv_host_info info;
    virDomainInfo dinfo;
    virDomainPtr dom;
    char *xml;

    create_host(f, "n2d-mngr-0");

    dom = virDomainLookupByName(f->conn, "n2d-mngr-0");
    assert_non_null(dom);
    assert_int_equal(virDomainGetInfo(dom, &dinfo), 0);
    assert_int_equal(dinfo.nrVirtCpu, 2);
    assert_int_equal(dinfo.maxMem, 1536 * 1024);
    virDomainFree(dom);
    xml = domain_xml(f->conn, "n2d-mngr-0");
    assert_non_null(strstr(xml, "<source network='swarmlab-net'/>"));
    free(xml);

    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-mngr-0", &info, &f->err),
                     0);
    assert_int_equal(info.cpus, 2);
    assert_int_equal(info.memory_mib, 1536);
    assert_int_equal(info.disk_gib, 20);
    assert_int_equal(info.state, SL_HV_STATE_STOPPED);
    assert_string_equal(info.image, IMAGE);
    assert_string_equal(info.network, "swarmlab-net");
    assert_string_equal(info.os, "linux");
}

static void libvirt_disk_is_a_cow_volume_backed_by_the_image(void **state)
{
    fixture *f = *state;
    virStoragePoolPtr pool;
    virStorageVolPtr vol;
    char *vol_xml, *dom_xml;

    create_host(f, "n2d-wrkr-0");

    pool = virStoragePoolLookupByName(f->conn, POOL);
    vol = virStorageVolLookupByName(pool, "n2d-wrkr-0.qcow2");
    assert_non_null(vol);
    vol_xml = virStorageVolGetXMLDesc(vol, 0);
    assert_non_null(strstr(vol_xml, "<format type='qcow2'/>"));
    assert_non_null(strstr(vol_xml, "<backingStore>"));
    assert_non_null(strstr(vol_xml, "<path>/var/lib/swarmlab/pool/"
                                    "swarmlab-base.qcow2</path>"));
    assert_non_null(strstr(vol_xml, "<capacity unit='bytes'>21474836480"));
    dom_xml = domain_xml(f->conn, "n2d-wrkr-0");
    assert_non_null(strstr(dom_xml, "<disk type='volume' device='disk'>"));
    assert_non_null(strstr(dom_xml, "<source pool='swarmlab-pool' "
                                    "volume='n2d-wrkr-0.qcow2'/>"));
    free(dom_xml);
    free(vol_xml);
    virStorageVolFree(vol);
    virStoragePoolFree(pool);
}

static void libvirt_serial_console_logs_to_a_file(void **state)
{
    fixture *f = *state;
    sl_hv_options extra = {0};
    sl_hv_host_spec spec = spec_of("n2d-wrkr-1");
    sl_hypervisor *hv;
    char *xml;

    extra.console_log_dir = "/var/log/swarmlab";
    hv = open_hv(NODE_URI, POOL, f->clock, &extra);
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), 0);
    xml = domain_xml(sl_hv_libvirt_conn(hv), "n2d-wrkr-1");
    assert_non_null(strstr(xml, "<serial type='pty'>"));
    assert_non_null(strstr(xml, "<log file='/var/log/swarmlab/"
                                "n2d-wrkr-1-console.log' append='on'/>"));
    free(xml);
    sl_hypervisor_close(hv);
}

static void libvirt_windows_host_gets_sata_disk_and_e1000e(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-win-0");
    char *xml;

    spec.os = "windows";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), 0);
    xml = domain_xml(f->conn, "n2d-win-0");
    assert_non_null(strstr(xml, "bus='sata'"));
    assert_non_null(strstr(xml, "<model type='e1000e'/>"));
    assert_non_null(strstr(xml, "<clock offset='localtime'/>"));
    free(xml);
}

static void libvirt_missing_network_is_a_clear_error(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-2");

    spec.network = "no-such-net";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(f->err.message, "network 'no-such-net' not found on '"
                        NODE_URI "'");
    assert_false(domain_exists(f->conn, "n2d-wrkr-2"));
    assert_false(volume_exists(f->conn, POOL, "n2d-wrkr-2.qcow2"));
}

static void libvirt_missing_pool_is_a_clear_error(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-3");
    sl_hv_image_spec image = {.name = IMAGE};
    sl_hypervisor *hv = open_hv(NODE_URI, "no-such-pool", f->clock, NULL);

    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(f->err.message, "storage pool 'no-such-pool' not "
                        "found on '" NODE_URI "'");
    assert_false(domain_exists(sl_hv_libvirt_conn(hv), "n2d-wrkr-3"));

    assert_null(sl_hv_image_prepare(hv, &image, &f->err));
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_non_null(strstr(f->err.message, "'no-such-pool'"));
    sl_hypervisor_close(hv);
}

static void libvirt_missing_image_is_a_clear_error(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-4");
    sl_hv_image_spec image = {.name = "no-such-image"};

    spec.image = "no-such-image";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
    assert_string_equal(f->err.message, "image 'no-such-image' not found in "
                        "pool 'swarmlab-pool'");
    assert_false(volume_exists(f->conn, POOL, "n2d-wrkr-4.qcow2"));

    assert_null(sl_hv_image_prepare(f->hv, &image, &f->err));
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
}

static void libvirt_create_beyond_node_capacity_is_refused(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("big");

    spec.cpus = 16;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CAPACITY);
    assert_string_equal(f->err.message,
                        "cannot create 'big': needs 16 CPUs, the machine "
                        "has 8");

    spec = spec_of("big");
    spec.disk_gib = 500;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CAPACITY);
    assert_non_null(strstr(f->err.message, "needs 500 GiB disk"));

    spec = spec_of("m0");
    spec.memory_mib = 12288;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), 0);
    spec.name = "m1";
    spec.memory_mib = 8192;
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CAPACITY);
    assert_string_equal(f->err.message,
                        "cannot create 'm1': needs 8192 MiB memory, 4096 "
                        "free of 16384");
    assert_false(domain_exists(f->conn, "m1"));
    assert_false(volume_exists(f->conn, POOL, "m1.qcow2"));
}

static void libvirt_create_twice_is_a_conflict(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-mngr-0");

    create_host(f, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_non_null(strstr(f->err.message, "'n2d-mngr-0' exists already"));
}

/* Listing and destroying --------------------------------------------------- */

static void libvirt_list_shows_only_our_domains(void **state)
{
    fixture *f = *state;
    sl_hv_host_info *hosts;
    size_t count = 0, i;
    int seen = 0;

    assert_true(domain_exists(f->conn, "not-ours"));
    create_host(f, "n2d-mngr-0");
    boot_host(f, "n2d-wrkr-0");

    hosts = sl_hv_host_list(f->hv, &count, &f->err);
    assert_non_null(hosts);
    assert_int_equal(count, 2);
    for (i = 0; i < count; i++) {
        if (!strcmp(hosts[i].name, "n2d-mngr-0")) {
            assert_int_equal(hosts[i].state, SL_HV_STATE_STOPPED);
            seen |= 1;
        } else if (!strcmp(hosts[i].name, "n2d-wrkr-0")) {
            assert_int_equal(hosts[i].state, SL_HV_STATE_RUNNING);
            assert_true(strncmp(hosts[i].mac, "52:54:00:", 9) == 0);
            assert_true(strncmp(hosts[i].address, "10.77.0.", 8) == 0);
            seen |= 2;
        }
    }
    assert_int_equal(seen, 3);
    free(hosts);
}

static void libvirt_destroy_leaves_no_domain_or_volume(void **state)
{
    fixture *f = *state;
    sl_hv_host_info info;

    boot_host(f, "n2d-wrkr-0");
    assert_true(domain_exists(f->conn, "n2d-wrkr-0"));
    assert_true(volume_exists(f->conn, POOL, "n2d-wrkr-0.qcow2"));

    assert_int_equal(sl_hv_host_destroy(f->hv, "n2d-wrkr-0", &f->err), 0);
    assert_false(domain_exists(f->conn, "n2d-wrkr-0"));
    assert_false(volume_exists(f->conn, POOL, "n2d-wrkr-0.qcow2"));
    assert_true(volume_exists(f->conn, POOL, IMAGE));
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-wrkr-0", &info, &f->err),
                     -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);

    assert_int_equal(sl_hv_host_destroy(f->hv, "n2d-wrkr-0", &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_NOT_FOUND);
}

static void libvirt_destroy_removes_a_disk_left_without_its_domain(
    void **state)
{
    fixture *f = *state;
    virStoragePoolPtr pool = virStoragePoolLookupByName(f->conn, POOL);
    virStorageVolPtr vol;

    vol = virStorageVolCreateXML(pool, "<volume><name>ghost.qcow2</name>"
                                 "<capacity unit='GiB'>1</capacity>"
                                 "</volume>", 0);
    assert_non_null(vol);
    virStorageVolFree(vol);
    virStoragePoolFree(pool);

    assert_int_equal(sl_hv_host_destroy(f->hv, "ghost", &f->err), 0);
    assert_false(volume_exists(f->conn, POOL, "ghost.qcow2"));
}

static void libvirt_destroy_refuses_a_domain_swarmlab_did_not_make(
    void **state)
{
    fixture *f = *state;

    assert_int_equal(sl_hv_host_destroy(f->hv, "not-ours", &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_string_equal(f->err.message,
                        "cannot destroy 'not-ours': swarmlab did not make it");
    assert_true(domain_exists(f->conn, "not-ours"));
}

/* Running ------------------------------------------------------------------ */

static void libvirt_address_comes_from_the_network_lease(void **state)
{
    fixture *f = *state;
    char addr[SL_HV_ADDR_MAX];
    int last;

    boot_host(f, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-wrkr-0", 30 * SEC, addr,
                                         sizeof(addr), &f->err), 0);
    assert_true(strncmp(addr, "10.77.0.", 8) == 0);
    last = atoi(addr + 8);
    assert_true(last >= 10 && last <= 200);
}

static void libvirt_address_on_a_network_without_ip_times_out(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-wrkr-5");
    int64_t before = sl_clock_now_ns(f->clock), wall = wall_ms();
    char addr[SL_HV_ADDR_MAX];

    spec.network = "isolated";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), 0);
    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-5", &f->err), 0);
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-wrkr-5", 30 * SEC, addr,
                                        sizeof(addr), &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_TIMEOUT);
    assert_string_equal(f->err.message,
                        "no address for 'n2d-wrkr-5' on network 'isolated' after 30 s");
    assert_true(sl_clock_now_ns(f->clock) - before >= 30 * SEC);
    assert_true(wall_ms() - wall < 5000);
}

static void libvirt_address_of_a_stopped_host_is_a_conflict(void **state)
{
    fixture *f = *state;
    char addr[SL_HV_ADDR_MAX];

    create_host(f, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-wrkr-0", 30 * SEC, addr,
                                        sizeof(addr), &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_string_equal(f->err.message, "host 'n2d-wrkr-0' is not running");
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-0", 30 * SEC,
                                            &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
}

static void libvirt_stop_powers_off_and_start_boots_again(void **state)
{
    fixture *f = *state;
    sl_hv_host_info info;

    boot_host(f, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_stop(f->hv, "n2d-wrkr-0", 10 * SEC, &f->err),
                     0);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-wrkr-0", &info, &f->err),
                     0);
    assert_int_equal(info.state, SL_HV_STATE_STOPPED);
    assert_int_equal(sl_hv_host_stop(f->hv, "n2d-wrkr-0", 0, &f->err), 0);

    assert_int_equal(sl_hv_host_start(f->hv, "n2d-wrkr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "n2d-wrkr-0", 30 * SEC,
                                            &f->err), 0);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-wrkr-0", &info, &f->err),
                     0);
    assert_int_equal(info.state, SL_HV_STATE_RUNNING);
}

/* Docker endpoints --------------------------------------------------------- */

static int hook_attach(void *data, const sl_hv_host_info *host,
                       char *endpoint, size_t size, sl_error *err)
{
    hook_log *log = data;

    (void)err;
    log->attached++;
    log->last_cpus = host->cpus;
    snprintf(log->last_address, sizeof(log->last_address), "%s",
             host->address);
    snprintf(endpoint, size, "tcp://127.0.0.1:%d", 40000 + log->attached);
    return 0;
}

static void hook_detach(void *data, const char *host)
{
    hook_log *log = data;

    (void)host;
    log->detached++;
}

static void libvirt_docker_endpoint_comes_from_the_hook(void **state)
{
    fixture *f = *state;
    sl_hv_options extra = {0};
    sl_hv_host_info info;
    char endpoint[SL_HV_ENDPOINT_MAX];

    extra.docker_hook.attach = hook_attach;
    extra.docker_hook.detach = hook_detach;
    extra.docker_hook.data = &f->log;
    sl_hypervisor_close(f->hv);
    f->hv = open_hv(NODE_URI, POOL, f->clock, &extra);
    f->conn = sl_hv_libvirt_conn(f->hv);

    boot_host(f, "n2d-mngr-0");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-mngr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    assert_string_equal(endpoint, "tcp://127.0.0.1:40001");
    assert_int_equal(f->log.last_cpus, 2);
    assert_true(strncmp(f->log.last_address, "10.77.0.", 8) == 0);

    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-mngr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    assert_int_equal(f->log.attached, 1);
    assert_int_equal(sl_hv_host_inspect(f->hv, "n2d-mngr-0", &info, &f->err),
                     0);
    assert_string_equal(info.docker_endpoint, "tcp://127.0.0.1:40001");

    assert_int_equal(sl_hv_host_stop(f->hv, "n2d-mngr-0", 0, &f->err), 0);
    assert_int_equal(f->log.detached, 1);
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-mngr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
}

static void libvirt_docker_endpoint_without_hook_is_tls_on_the_address(
    void **state)
{
    fixture *f = *state;
    char endpoint[SL_HV_ENDPOINT_MAX], addr[SL_HV_ADDR_MAX], want[300];

    boot_host(f, "n2d-wrkr-0");
    assert_int_equal(sl_hv_host_address(f->hv, "n2d-wrkr-0", 30 * SEC, addr,
                                        sizeof(addr), &f->err), 0);
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "n2d-wrkr-0",
                                                endpoint, sizeof(endpoint),
                                                &f->err), 0);
    snprintf(want, sizeof(want), "tcp://%s:2376", addr);
    assert_string_equal(endpoint, want);
}

/* Connecting and images ---------------------------------------------------- */

static void libvirt_default_uri_comes_from_the_environment(void **state)
{
    fixture *f = *state;
    sl_hypervisor *hv;
    char *uri;

    setenv("LIBVIRT_DEFAULT_URI", "test:///default", 1);
    hv = open_hv(NULL, "default-pool", f->clock, NULL);
    unsetenv("LIBVIRT_DEFAULT_URI");
    uri = virConnectGetURI(sl_hv_libvirt_conn(hv));
    assert_string_equal(uri, "test:///default");
    free(uri);
    sl_hypervisor_close(hv);
}

static void libvirt_unknown_uri_is_a_connect_error(void **state)
{
    fixture *f = *state;
    sl_hv_options opts = {0};

    opts.uri = "nosuchdriver:///system";
    assert_null(sl_hypervisor_open("libvirt", &opts, &f->err));
    assert_int_equal(f->err.code, SL_ERR_CONNECT);
    assert_non_null(strstr(f->err.message,
                           "cannot connect to 'nosuchdriver:///system'"));
}

static void libvirt_test_default_boots_a_host_from_an_empty_image(
    void **state)
{
    fixture *f = *state;
    sl_hv_image_spec image = {.name = "swarmlab-base", .size_gib = 4};
    sl_hv_host_spec spec = {0};
    sl_hypervisor *hv = open_hv("test:///default", "default-pool", f->clock,
                                NULL);
    virConnectPtr conn = sl_hv_libvirt_conn(hv);
    char addr[SL_HV_ADDR_MAX];
    char *name;

    name = sl_hv_image_prepare(hv, &image, &f->err);
    assert_non_null(name);
    assert_string_equal(name, "swarmlab-base");
    spec.name = "n2d-mngr-0";
    spec.image = name;
    spec.memory_mib = 512;
    assert_int_equal(sl_hv_host_create(hv, &spec, &f->err), 0);
    assert_int_equal(sl_hv_host_start(hv, "n2d-mngr-0", &f->err), 0);
    assert_int_equal(sl_hv_host_wait_booted(hv, "n2d-mngr-0", 30 * SEC,
                                            &f->err), 0);
    assert_int_equal(sl_hv_host_address(hv, "n2d-mngr-0", 30 * SEC, addr,
                                        sizeof(addr), &f->err), 0);
    assert_true(strncmp(addr, "192.168.122.", 12) == 0);

    assert_int_equal(sl_hv_host_destroy(hv, "n2d-mngr-0", &f->err), 0);
    assert_false(domain_exists(conn, "n2d-mngr-0"));
    assert_false(volume_exists(conn, "default-pool", "n2d-mngr-0.qcow2"));
    free(name);
    sl_hypervisor_close(hv);
}

static void libvirt_image_upload_the_test_driver_lacks_is_clear(void **state)
{
    fixture *f = *state;
    char path[] = "/tmp/sl-image-XXXXXX";
    sl_hv_image_spec image = {.name = "uploaded.qcow2", .source = path};
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "QFI\xfb", 4), 4);
    close(fd);
    assert_null(sl_hv_image_prepare(f->hv, &image, &f->err));
    unlink(path);
    assert_int_equal(f->err.code, SL_ERR_UNSUPPORTED);
    assert_non_null(strstr(f->err.message, "cannot upload"));
    assert_false(volume_exists(f->conn, POOL, "uploaded.qcow2"));
}

static void libvirt_existing_image_is_reused(void **state)
{
    fixture *f = *state;
    sl_hv_image_spec image = {.name = IMAGE};
    char *name = sl_hv_image_prepare(f->hv, &image, &f->err);

    assert_non_null(name);
    assert_string_equal(name, IMAGE);
    free(name);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

/* What the guest hook saw. */
typedef struct guest_log {
    int calls, forgotten;
    char address[SL_HV_ADDR_MAX];
    char name[SL_HV_NAME_MAX];
} guest_log;

static int guest_files(void *data, const sl_hv_host_info *host,
                       sl_hv_guest_file **files, size_t *n, sl_error *err)
{
    guest_log *log = data;
    sl_hv_guest_file *f = calloc(1, sizeof(*f));

    (void)err;
    log->calls++;
    snprintf(log->address, sizeof(log->address), "%s", host->address);
    snprintf(log->name, sizeof(log->name), "%s", host->name);
    *f = (sl_hv_guest_file){"labels", "a=b\n", 4, 0644};
    *files = f;
    *n = 1;
    return 0;
}

static void guest_release(void *data, sl_hv_guest_file *files, size_t n)
{
    (void)data;
    (void)n;
    free(files);
}

static void guest_forget(void *data, const char *host)
{
    (void)host;
    ((guest_log *)data)->forgotten++;
}

static void make_volume(virConnectPtr conn, const char *name)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, POOL);
    char xml[256];
    virStorageVolPtr vol;

    snprintf(xml, sizeof(xml), "<volume><name>%s</name><capacity unit='MiB'>"
             "1</capacity><target><format type='raw'/></target></volume>",
             name);
    vol = virStorageVolCreateXML(pool, xml, 0);
    assert_non_null(vol);
    virStorageVolFree(vol);
    virStoragePoolFree(pool);
}

static char *network_xml(virConnectPtr conn, const char *name)
{
    virNetworkPtr net = virNetworkLookupByName(conn, name);
    char *xml = virNetworkGetXMLDesc(net, 0);

    virNetworkFree(net);
    return xml;
}

static void libvirt_kernel_image_boots_directly_with_a_reserved_address(
    void **state)
{
    fixture *f = *state;
    guest_log log = {0};
    sl_hv_options extra = {0};
    sl_hv_host_spec spec = spec_of("n2d-kern-0");
    sl_hypervisor *hv;
    virConnectPtr conn;
    virDomainPtr dom;
    char *xml;

    extra.guest_hook = (sl_hv_guest_hook){guest_files, guest_release,
                                          guest_forget, &log};
    hv = open_hv(NODE_URI, POOL, f->clock, &extra);
    conn = sl_hv_libvirt_conn(hv);
    make_volume(conn, "kimg.vmlinuz");
    make_volume(conn, "kimg.initrd");
    spec.image = "kimg";
    if (sl_hv_host_create(hv, &spec, &f->err) < 0)
        fail_msg("%s", f->err.message);

    dom = virDomainLookupByName(conn, "n2d-kern-0");
    xml = virDomainGetXMLDesc(dom, 0);
    assert_non_null(strstr(xml, "kimg.vmlinuz</kernel>"));
    assert_non_null(strstr(xml, "kimg.initrd</initrd>"));
    assert_non_null(strstr(xml, "<cmdline>console=ttyS0"));
    assert_non_null(strstr(xml, "volume='n2d-kern-0.config'"));
    assert_non_null(strstr(xml, "<readonly/>"));
    assert_non_null(strstr(xml, "volume='n2d-kern-0.data'"));
    assert_non_null(strstr(xml, "<serial>swarmlab-data</serial>"));
    assert_non_null(strstr(xml, "<mac address='52:54:00:4d:00:0a'/>"));
    free(xml);
    virDomainFree(dom);
    assert_true(volume_exists(conn, POOL, "n2d-kern-0.config"));
    assert_int_equal(volume_capacity(conn, POOL, "n2d-kern-0.data"),
                     (unsigned long long)spec.disk_gib << 30);
    xml = network_xml(conn, "swarmlab-net");
    assert_non_null(strstr(xml, "name='n2d-kern-0' ip='10.77.0.10'"));
    free(xml);

    assert_int_equal(sl_hv_host_start(hv, "n2d-kern-0", &f->err), 0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.name, "n2d-kern-0");
    assert_string_equal(log.address, "10.77.0.10");

    assert_int_equal(sl_hv_host_destroy(hv, "n2d-kern-0", &f->err), 0);
    assert_int_equal(log.forgotten, 1);
    assert_false(volume_exists(conn, POOL, "n2d-kern-0.config"));
    assert_false(volume_exists(conn, POOL, "n2d-kern-0.data"));
    xml = network_xml(conn, "swarmlab-net");
    assert_null(strstr(xml, "n2d-kern-0"));
    free(xml);
    sl_hypervisor_close(hv);
}

static void libvirt_second_kernel_host_gets_the_next_address(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec a = spec_of("n2d-kern-1"), b = spec_of("n2d-kern-2");
    char *xml;

    make_volume(f->conn, "kimg.vmlinuz");
    make_volume(f->conn, "kimg.initrd");
    a.image = b.image = "kimg";
    assert_int_equal(sl_hv_host_create(f->hv, &a, &f->err), 0);
    assert_int_equal(sl_hv_host_create(f->hv, &b, &f->err), 0);
    xml = network_xml(f->conn, "swarmlab-net");
    assert_non_null(strstr(xml, "name='n2d-kern-1' ip='10.77.0.10'"));
    assert_non_null(strstr(xml, "name='n2d-kern-2' ip='10.77.0.11'"));
    free(xml);
}

/* A data disk left by an earlier host of the same name is refused before
 * anything is made; destroy removes such leftovers. */
static void libvirt_kernel_host_refuses_a_leftover_data_disk(void **state)
{
    fixture *f = *state;
    sl_hv_host_spec spec = spec_of("n2d-kern-3");
    char *xml;

    make_volume(f->conn, "kimg.vmlinuz");
    make_volume(f->conn, "kimg.initrd");
    make_volume(f->conn, "n2d-kern-3.data");
    spec.image = "kimg";
    assert_int_equal(sl_hv_host_create(f->hv, &spec, &f->err), -1);
    assert_int_equal(f->err.code, SL_ERR_CONFLICT);
    assert_non_null(strstr(f->err.message, "n2d-kern-3.data"));
    assert_false(domain_exists(f->conn, "n2d-kern-3"));
    assert_false(volume_exists(f->conn, POOL, "n2d-kern-3.config"));
    xml = network_xml(f->conn, "swarmlab-net");
    assert_null(strstr(xml, "n2d-kern-3"));
    free(xml);

    assert_int_equal(sl_hv_host_destroy(f->hv, "n2d-kern-3", &f->err), 0);
    assert_false(volume_exists(f->conn, POOL, "n2d-kern-3.data"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            libvirt_kernel_image_boots_directly_with_a_reserved_address,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            libvirt_second_kernel_host_gets_the_next_address, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            libvirt_kernel_host_refuses_a_leftover_data_disk, setup,
            teardown),
        T(libvirt_domain_has_requested_cpus_and_memory),
        T(libvirt_disk_is_a_cow_volume_backed_by_the_image),
        T(libvirt_serial_console_logs_to_a_file),
        T(libvirt_windows_host_gets_sata_disk_and_e1000e),
        T(libvirt_missing_network_is_a_clear_error),
        T(libvirt_missing_pool_is_a_clear_error),
        T(libvirt_missing_image_is_a_clear_error),
        T(libvirt_create_beyond_node_capacity_is_refused),
        T(libvirt_create_twice_is_a_conflict),
        T(libvirt_list_shows_only_our_domains),
        T(libvirt_destroy_leaves_no_domain_or_volume),
        T(libvirt_destroy_removes_a_disk_left_without_its_domain),
        T(libvirt_destroy_refuses_a_domain_swarmlab_did_not_make),
        T(libvirt_address_comes_from_the_network_lease),
        T(libvirt_address_on_a_network_without_ip_times_out),
        T(libvirt_address_of_a_stopped_host_is_a_conflict),
        T(libvirt_stop_powers_off_and_start_boots_again),
        T(libvirt_docker_endpoint_comes_from_the_hook),
        T(libvirt_docker_endpoint_without_hook_is_tls_on_the_address),
        T(libvirt_default_uri_comes_from_the_environment),
        T(libvirt_unknown_uri_is_a_connect_error),
        T(libvirt_test_default_boots_a_host_from_an_empty_image),
        T(libvirt_image_upload_the_test_driver_lacks_is_clear),
        T(libvirt_existing_image_is_reused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
