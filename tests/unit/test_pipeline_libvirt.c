/* Tests of the provisioning pipeline on libvirt's test driver, with fake daemons. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "fake_hypervisor.h"
#include "hv_libvirt.h"
#include "pipeline.h"

/*
 * The test driver defines and "runs" domains, hands out addresses from the
 * network's range and keeps storage volumes, all inside the connection;
 * its domains run nothing, so each is paired with a fake Docker daemon in
 * one simulated swarm.
 */
typedef struct fixture {
    char dir[64];
    char path[128];
    sl_clock *clock;
    sl_fake_swarm *fs;
    sl_fake_docker_pairing *pairing;
    sl_hypervisor *hv;
    sl_state *st;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sl_hv_options opts = {0};
    char uri[512];
    sl_error err;

    strcpy(f->dir, "/tmp/sl-pipevirt-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/state.json", f->dir);
    f->st = sl_state_open(f->path, &err);
    f->clock = sl_clock_new_virtual(INT64_C(1796313600) * SL_NS_PER_SEC);
    f->fs = sl_fake_swarm_new(3, f->clock);
    f->pairing = sl_fake_docker_pairing_new(f->fs, NULL, &err);
    assert_non_null(f->pairing);

    snprintf(uri, sizeof(uri), "test://%s/fixtures/libvirt/node.xml",
             SL_SOURCE_DIR);
    opts.uri = uri;
    opts.clock = f->clock;
    opts.pool = "swarmlab-pool";
    opts.docker_hook = sl_fake_docker_pairing_hook(f->pairing);
    f->hv = sl_hypervisor_open("libvirt", &opts, &err);
    if (!f->hv)
        fail_msg("cannot open '%s': %s", uri, err.message);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[128];

    sl_hypervisor_close(f->hv);
    sl_fake_docker_pairing_free(f->pairing);
    sl_fake_swarm_free(f->fs);
    sl_clock_free(f->clock);
    sl_state_free(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* The domains and volumes on the connection, by counting what the driver
 * itself lists (not what swarmlab believes). */
static int count_domains(fixture *f)
{
    virConnectPtr conn = sl_hv_libvirt_conn(f->hv);
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, 0);
    int i;

    for (i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
    return n;
}

static int count_volumes_named(fixture *f, const char *prefix)
{
    virConnectPtr conn = sl_hv_libvirt_conn(f->hv);
    virStoragePoolPtr *pools = NULL;
    int npools = virConnectListAllStoragePools(conn, &pools, 0);
    int found = 0;
    int p;

    for (p = 0; p < npools; p++) {
        virStorageVolPtr *vols = NULL;
        int nvols = virStoragePoolListAllVolumes(pools[p], &vols, 0);
        int v;

        for (v = 0; v < nvols; v++) {
            if (!strncmp(virStorageVolGetName(vols[v]), prefix,
                         strlen(prefix)))
                found++;
            virStorageVolFree(vols[v]);
        }
        free(vols);
        virStoragePoolFree(pools[p]);
    }
    free(pools);
    return found;
}

static void seed_swarm_forms_on_test_driver_domains(void **state)
{
    fixture *f = *state;
    sl_pipeline_spec spec = {0};
    sl_host_plan *plan = NULL;
    sl_swarm_summary s;
    size_t n = 0;
    size_t i;
    sl_error err;
    int before = count_domains(f);

    spec.managers.count = 1;
    spec.workers.count = 3;
    spec.workers.cpus = 2;
    spec.workers.memory_mib = 1024;
    spec.network = "swarmlab-net";
    spec.image.name = "swarmlab-base.qcow2";
    if (sl_pipeline_swarm_create(f->hv, f->st, &spec, &s, &plan, &n,
                                 &err) < 0)
        fail_msg("swarm create failed: %s (%s)", err.message, err.where);
    assert_int_equal(s.ready, 4);
    assert_string_equal(s.leader, "n2d-mngr-0");
    assert_int_equal(count_domains(f), before + 4);

    for (i = 0; i < n; i++) {
        virDomainPtr dom = virDomainLookupByName(sl_hv_libvirt_conn(f->hv),
                                                 plan[i].name);
        virDomainInfo info;

        assert_non_null(dom);
        assert_int_equal(virDomainGetInfo(dom, &info), 0);
        assert_int_equal(info.state, VIR_DOMAIN_RUNNING);
        assert_int_equal(info.nrVirtCpu, plan[i].manager ? 4 : 2);
        assert_int_equal(info.maxMem, (plan[i].manager ? 2048 : 1024) * 1024);
        assert_true(plan[i].address[0] != '\0');
        virDomainFree(dom);
    }
    free(plan);

    assert_int_equal(sl_pipeline_destroy(f->hv, f->st, NULL, NULL, &err), 0);
    assert_int_equal(count_domains(f), before);
    assert_int_equal(count_volumes_named(f, "n2d-"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            seed_swarm_forms_on_test_driver_domains, setup, teardown),
    };

    virSetErrorFunc(NULL, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
