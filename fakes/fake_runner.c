/* The fakes as the scenario runner uses them: faults and paired daemons. */
#include "fake_runner.h"

#include <stdlib.h>

#include "fake_hypervisor.h"

/* A simulated swarm of its own and the daemons paired into it. */
typedef struct run_pairing {
    sl_fake_swarm *swarm;
    sl_fake_docker_pairing *pairing;
} run_pairing;

static sl_fake_hv_config *fake_config(const sl_scenario_backend *b,
                                      sl_error *err)
{
    sl_fake_hv_config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    cfg->cpus = b->cpus;
    cfg->memory_mib = b->memory_mib;
    cfg->disk_gib = b->disk_gib;
    cfg->boot_ns = b->boot_ns;
    cfg->offline = b->no_registry;
    return cfg;
}

static int stop_answering(sl_hypervisor *hv, const char *host,
                          sl_error *err)
{
    return sl_fake_hv_set_docker_fault(hv, host, SL_FAKE_DOCKER_FROZEN, err);
}

static void unpair(void *data)
{
    run_pairing *p = data;

    if (!p)
        return;
    sl_fake_docker_pairing_free(p->pairing);
    sl_fake_swarm_free(p->swarm);
    free(p);
}

static void *pair(uint64_t seed, bool offline, sl_clock *clock,
                  sl_hv_docker_hook *hook, sl_error *err)
{
    run_pairing *p = calloc(1, sizeof(*p));

    if (p)
        p->swarm = sl_fake_swarm_new(seed, clock);
    if (!p || !p->swarm) {
        unpair(p);
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    sl_fake_swarm_set_offline(p->swarm, offline);
    p->pairing = sl_fake_docker_pairing_new(p->swarm, NULL, err);
    if (!p->pairing) {
        unpair(p);
        return NULL;
    }
    *hook = sl_fake_docker_pairing_hook(p->pairing);
    return p;
}

const sl_run_sim *sl_fake_run_sim(void)
{
    static const sl_run_sim sim = {
        .fake_config = fake_config,
        .set_boot_time = sl_fake_hv_set_boot_time,
        .fail_boot = sl_fake_hv_fail_boot,
        .power_loss_at = sl_fake_hv_power_loss_at,
        .power_off = sl_fake_hv_power_off,
        .stop_answering = stop_answering,
        .poll = sl_fake_hv_poll,
        .pair = pair,
        .unpair = unpair,
    };

    return &sim;
}
