/* The fake hypervisor: VMs booting on a virtual clock as fake Docker hosts. */
#ifndef SL_FAKE_HYPERVISOR_H
#define SL_FAKE_HYPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "fake_swarm.h"
#include "hypervisor.h"

/*
 * The fake simulates one server. Creating a host reserves its CPUs, memory
 * and disk, gives it the next free address of the subnet and a MAC derived
 * from it and the seed, and adds it, powered off, to the shared simulated
 * swarm. Starting it begins a boot that ends 'boot_ns' later on the clock;
 * then the host is up in the swarm and its own fake Docker daemon answers
 * over HTTP on 127.0.0.1. Waiting moves a virtual clock instead of
 * sleeping.
 *
 * The same calls in the same order with the same seed give the same
 * addresses, MACs and swarm host indices; hosts created from several
 * threads at once get them in the order the calls happen to run.
 *
 * Faults are set per host name, before or after the host exists, and
 * outlive its destruction. Timed events (a boot ending, a power loss) take
 * effect when any call sees the clock past them; after moving the clock
 * by other means, call sl_fake_hv_poll().
 */

/* The simulated server. Zero or NULL fields take the defaults shown. */
typedef struct sl_fake_hv_config {
    int cpus;                    /* 64 */
    int64_t memory_mib;          /* 262144 (256 GiB) */
    int64_t disk_gib;            /* 4096 (4 TiB) */
    int64_t boot_ns;             /* how long a boot takes: 20 s */
    const char *subnet;          /* "10.200.0.0/24": hosts get .2, .3, ... */
    const char *const *networks; /* names that exist, ending in NULL;
                                    NULL means just "default" */
    sl_fake_swarm *swarm;        /* shared and borrowed (it must use the
                                    same clock); NULL: one of its own */
    const char *docker_bind;     /* where daemons listen: "127.0.0.1" */
    bool offline;                /* no registry: see
                                    sl_fake_swarm_set_offline() */
} sl_fake_hv_config;

/* How a host's Docker daemon misbehaves. */
typedef enum sl_fake_docker_fault {
    SL_FAKE_DOCKER_OK = 0,
    SL_FAKE_DOCKER_FROZEN, /* accepts connections, never answers */
    SL_FAKE_DOCKER_DOWN    /* not running: connections are refused */
} sl_fake_docker_fault;

/* Opens a fake hypervisor with 'opts->fake' (NULL: defaults), on
 * 'opts->clock' or a virtual clock of its own. What sl_hypervisor_open()
 * calls for "fake"; close with sl_hypervisor_close(). */
sl_hypervisor *sl_fake_hv_open(const sl_hv_options *opts, sl_error *err);

/* Makes "fake" known to sl_hypervisor_open(). */
int sl_fake_hv_register(sl_error *err);

/* The simulated swarm the hosts join, or NULL when 'hv' is not the fake.
 * Borrowed. */
sl_fake_swarm *sl_fake_hv_swarm(sl_hypervisor *hv);

/* The host's index in the simulated swarm, or -1 when there is none. */
int sl_fake_hv_host_index(sl_hypervisor *hv, const char *name);

/* Applies the timed events due at the clock's time. */
void sl_fake_hv_poll(sl_hypervisor *hv);

/* Faults and settings per host name. Each returns 0, or -1 with 'err'
 * filled when 'hv' is not the fake. */

/* Boots of 'name' take 'boot_ns' instead of the server's default. */
int sl_fake_hv_set_boot_time(sl_hypervisor *hv, const char *name,
                             int64_t boot_ns, sl_error *err);

/* The next 'times' boots fail (when they would have ended); -1: every one. */
int sl_fake_hv_fail_boot(sl_hypervisor *hv, const char *name, int times,
                         sl_error *err);

/* Boots never end: waiting for them times out. */
int sl_fake_hv_hang_boot(sl_hypervisor *hv, const char *name, sl_error *err);

/* The host boots but never gets an address. */
int sl_fake_hv_withhold_address(sl_hypervisor *hv, const char *name,
                                sl_error *err);

/* The host's Docker daemon misbehaves from now on (also when running). */
int sl_fake_hv_set_docker_fault(sl_hypervisor *hv, const char *name,
                                sl_fake_docker_fault fault, sl_error *err);

/* The host loses power when the clock reaches 'at_ns' (once). */
int sl_fake_hv_power_loss_at(sl_hypervisor *hv, const char *name,
                             int64_t at_ns, sl_error *err);

/* The host loses power now: it is down in the swarm, its daemon stops. */
int sl_fake_hv_power_off(sl_hypervisor *hv, const char *name, sl_error *err);

/* Fake Docker daemons for hosts of a real backend -----------------------
 *
 * The libvirt test driver's domains run nothing. A pairing gives each
 * domain a simulated Docker host in 'fs' (named after the domain, with its
 * address, CPUs, memory and OS) and its own fake daemon, through the
 * backend's docker hook: set opts.docker_hook to
 * sl_fake_docker_pairing_hook().
 */
typedef struct sl_fake_docker_pairing sl_fake_docker_pairing;

/* 'fs' is borrowed and must outlive the pairing; daemons listen on
 * 'bind_addr' (NULL: 127.0.0.1). Free with sl_fake_docker_pairing_free(),
 * after closing the hypervisor that uses it. */
sl_fake_docker_pairing *sl_fake_docker_pairing_new(sl_fake_swarm *fs,
                                                   const char *bind_addr,
                                                   sl_error *err);

/* Stops every daemon and frees the pairing; accepts NULL. */
void sl_fake_docker_pairing_free(sl_fake_docker_pairing *p);

/* The hook to put in sl_hv_options.docker_hook. */
sl_hv_docker_hook sl_fake_docker_pairing_hook(sl_fake_docker_pairing *p);

#endif /* SL_FAKE_HYPERVISOR_H */
