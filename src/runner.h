/* The scenario runner: one swarm per scenario, built, broken and checked. */
#ifndef SL_RUNNER_H
#define SL_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "scenario.h"

/*
 * A run takes scenarios already loaded and checked (sl_scenario_load()),
 * and runs each one on a backend of its own: its own hypervisor, clock,
 * simulated swarm and state file in a temporary directory. It opens the
 * backend, sets the faults that act during the boot, builds the swarm
 * with the pipeline, applies the faults and steps after the swarm, deploys
 * every stack, applies the faults and steps after the deploy, waits for
 * the swarm to settle, checks the expectations and tears everything down.
 *
 * A scenario whose faults the backend cannot produce is skipped before
 * anything is made, with the reason. Every time in a report is taken on
 * the scenario's clock, relative to its start, except the fields whose
 * key starts with "wall_".
 *
 * The fake backend and libvirt's test driver run on a virtual clock, and
 * the same file and seed give the same report. What they need beyond the
 * hypervisor seam (faults, paired fake daemons) comes from the fakes
 * through sl_run_sim: fakes/fake_runner.h provides it.
 */

struct sl_fake_hv_config;

/* The simulated parts, as the fakes provide them. Each call returns 0, or
 * -1 with 'err' filled. */
typedef struct sl_run_sim {
    /* The fake server 'b' describes, for sl_hv_options.fake; the caller
     * frees it with free() after opening the hypervisor. */
    struct sl_fake_hv_config *(*fake_config)(const sl_scenario_backend *b,
                                             sl_error *err);
    /* Faults of the fake hypervisor, by host name. */
    int (*set_boot_time)(sl_hypervisor *hv, const char *host,
                         int64_t boot_ns, sl_error *err);
    int (*fail_boot)(sl_hypervisor *hv, const char *host, int times,
                     sl_error *err);
    int (*power_loss_at)(sl_hypervisor *hv, const char *host,
                         int64_t at_ns, sl_error *err);
    int (*power_off)(sl_hypervisor *hv, const char *host, sl_error *err);
    int (*stop_answering)(sl_hypervisor *hv, const char *host,
                          sl_error *err);
    /* Applies the fake's timed events due on its clock. */
    void (*poll)(sl_hypervisor *hv);
    /* Fake daemons in a simulated swarm of their own (seeded, on 'clock')
     * for the hosts of a backend whose hosts run nothing (libvirt's test
     * driver), with no registry when 'offline': fills 'hook' and returns
     * the pairing, which the caller frees with unpair() after closing the
     * hypervisor; NULL on error. */
    void *(*pair)(uint64_t seed, bool offline, sl_clock *clock,
                  sl_hv_docker_hook *hook, sl_error *err);
    void (*unpair)(void *pairing);
} sl_run_sim;

typedef enum sl_run_outcome {
    SL_RUN_PASS,
    SL_RUN_FAIL,
    SL_RUN_SKIP
} sl_run_outcome;

/* One thing that did not hold: an expectation, or a step that failed. */
typedef struct sl_run_failure {
    char *where;               /* "expect.services[0]", "faults[1]",
                                  "build" */
    char *expected;            /* "'web': 3 running tasks" */
    char *observed;            /* "1 running (n2d-wrkr-0)", or NULL */
} sl_run_failure;

/* What one scenario gave. Every pointer is owned by the result. */
typedef struct sl_run_result {
    char *name;
    char *file;
    sl_run_outcome outcome;
    char *skip_reason;         /* SL_RUN_SKIP: why */
    sl_run_failure *failures;  /* SL_RUN_FAIL: at least one */
    size_t n_failures;
    int64_t virtual_ns;        /* on the scenario's clock, start to end */
    int64_t wall_ns;
    json_t *report;            /* this scenario in the JSON report */
} sl_run_result;

typedef struct sl_run_options {
    const char *hypervisor;    /* "fake", "libvirt", "netns": overrides
                                  the scenario's backend; NULL: its own */
    const char *uri;           /* libvirt URI; NULL: the scenario's */
    const char *pool;          /* libvirt storage pool; NULL: the
                                  scenario's, "default-pool" on
                                  test:///default, else "default" */
    const char *network;       /* libvirt network of the hosts; NULL:
                                  the scenario's */
    int host_cpus;             /* every host's CPUs, whatever the
                                  scenario says; 0: the scenario's */
    int64_t host_memory_mib;   /* the same for memory; 0: the scenario's */
    bool seed_given;           /* use 'seed' instead of the scenario's */
    uint64_t seed;
    bool keep;                 /* no teardown, temporary directory kept */
    const char *tmpdir;        /* for state files; NULL: $TMPDIR or /tmp */
    const sl_run_sim *sim;     /* the fakes; NULL: neither the fake nor
                                  libvirt's test driver can be used */
    int jobs;                  /* sl_run_all(): scenarios at once; 0: 1 */
    /* Set (from a signal handler) to the number of a signal that asks the
     * run to stop; NULL: nothing does. A scenario under way stops at its
     * next step or wait, tears down what it made (unless 'keep') and
     * fails as interrupted; those not begun are skipped. With jobs, the
     * signal is passed on to the scenarios' processes. */
    volatile sig_atomic_t *interrupt;
    /* netns: the hosts' root directory; NULL: $SWARMLAB_NETNS_ROOT, else
     * /run/swarmlab. With more than one job, scenario i runs under
     * ROOT-i (from 1), so that scenarios run at once share nothing. */
    const char *netns_root;
    /* Called as scenarios start and end, from the threads that run them,
     * one call at a time; any may be NULL. */
    void (*on_start)(size_t index, const sl_scenario *sc, void *data);
    void (*on_done)(size_t index, const sl_run_result *r, void *data);
    void *data;
} sl_run_options;

/* Runs one scenario and fills 'out', which the caller clears with
 * sl_run_result_clear(). Trouble on the way (a backend that cannot be
 * opened, a step that fails) makes the outcome SL_RUN_FAIL with the
 * reason in out->failures. Returns 0, or -1 with 'err' filled when out of
 * memory. */
int sl_run_scenario(const sl_scenario *sc, const sl_run_options *opts,
                    sl_run_result *out, sl_error *err);

/* Runs 'n' scenarios, up to opts->jobs at once, each in a process of its
 * own when more than one; results[i] is the result of scenarios[i] and the
 * caller clears each. Scenarios on a real libvirt hypervisor run one at
 * a time (they share its host names); netns ones each get a root of
 * their own. A run that dies fails its scenario alone. Returns 0, or -1 with
 * 'err' filled when processes cannot start. */
int sl_run_all(const sl_scenario *const *scenarios, size_t n,
               const sl_run_options *opts, sl_run_result *results,
               sl_error *err);

/* Frees what a result holds and zeroes it; accepts NULL. */
void sl_run_result_clear(sl_run_result *r);

/* The stable name of an outcome: "pass", "fail", "skip". */
const char *sl_run_outcome_name(sl_run_outcome o);

#endif /* SL_RUNNER_H */
