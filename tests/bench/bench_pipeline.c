/* Benchmark: swarm creation with hosts made one by one or in parallel, on the fakes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake_hypervisor.h"
#include "pipeline.h"

/*
 * The original tool made and booted one VM after another. This prints, for
 * a few swarm shapes, how long forming the swarm takes on the fake
 * hypervisor's virtual clock (each boot takes 20 s there, as a small VM
 * does) with one host at a time and with hosts in parallel, and the wall
 * time the run itself took. Figures, not verdicts: compare the ratios.
 */

static double wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Forms one swarm; returns 0 and fills the virtual and wall times. */
static int run(int managers, int workers, int parallel, double *virt_s,
               double *wall)
{
    static const sl_fake_hv_config server = {.cpus = 4096,
                                             .memory_mib = 1 << 22};
    char dir[] = "/tmp/sl-bench-XXXXXX";
    char path[64];
    char cmd[64];
    sl_hv_options opts = {0};
    sl_pipeline_spec spec = {0};
    sl_hypervisor *hv = NULL;
    sl_state *st = NULL;
    sl_error err;
    int64_t start;
    double t0;
    int rc = -1;

    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof(path), "%s/state.json", dir);
    opts.fake = &server;
    hv = sl_hypervisor_open("fake", &opts, &err);
    st = hv ? sl_state_open(path, &err) : NULL;
    if (!st)
        goto cleanup;
    spec.managers.count = managers;
    spec.workers.count = workers;
    spec.parallel = parallel;
    start = sl_clock_now_ns(sl_hypervisor_clock(hv));
    t0 = wall_ms();
    if (sl_pipeline_swarm_create(hv, st, &spec, NULL, NULL, NULL, &err) < 0)
        goto cleanup;
    *wall = wall_ms() - t0;
    *virt_s = (double)(sl_clock_now_ns(sl_hypervisor_clock(hv)) - start) /
              1e9;
    rc = 0;

cleanup:
    if (rc < 0)
        fprintf(stderr, "bench_pipeline: %s\n", err.message);
    sl_hypervisor_close(hv);
    sl_state_free(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = -1;
    return rc;
}

int main(void)
{
    static const int shapes[][2] = {{1, 3}, {3, 20}, {3, 97}};
    size_t i;

    if (sl_fake_hv_register(NULL) < 0)
        return 1;
    printf("%-14s %12s %12s %8s %12s %12s\n", "swarm", "sequential",
           "parallel", "ratio", "wall seq", "wall par");
    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        double vs, vp, ws, wp;
        char name[32];

        if (run(shapes[i][0], shapes[i][1], 1, &vs, &ws) < 0 ||
            run(shapes[i][0], shapes[i][1], 32, &vp, &wp) < 0)
            return 1;
        snprintf(name, sizeof(name), "%d+%d hosts", shapes[i][0],
                 shapes[i][1]);
        printf("%-14s %10.1f s %10.1f s %7.1fx %9.0f ms %9.0f ms\n", name, vs,
               vp, vs / vp, ws, wp);
    }
    return 0;
}
