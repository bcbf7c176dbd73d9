/* Internals of the scenario runner shared by its source files. */
#ifndef SL_RUNNER_INT_H
#define SL_RUNNER_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "docker_client.h"
#include "hypervisor.h"
#include "pipeline.h"
#include "runner.h"
#include "scenario.h"
#include "state.h"

/* What the runner knows of one host it made. */
typedef struct rn_host {
    const sl_scenario_host *sh;
    char endpoint[SL_HV_ENDPOINT_MAX]; /* "" until built */
    char addr[SL_HV_ADDR_MAX];
    bool off;                  /* powered off by a fault */
    bool frozen;               /* its daemon stopped answering */
    bool left;                 /* it left the swarm */
    int64_t slow_ns;           /* each answer this late */
} rn_host;

/* The swarm as one manager sees it. */
typedef struct rn_view {
    const char *from;          /* the host that answered, or NULL */
    char error[512];           /* why nothing could be listed, or "" */
    bool refused;              /* a manager answered with an error */
    bool no_manager;           /* no manager runs, answers and is in the
                                  swarm */
    sl_docker_node_list *nodes;
    sl_docker_service_list *services;
    sl_docker_task_list *tasks;
} rn_view;

/* One scenario's run. */
typedef struct rn_ctx {
    const sl_scenario *sc;
    const sl_run_options *opts;
    sl_run_result *res;
    /* The backend. */
    const char *backend;       /* "fake", "libvirt", "netns" */
    const char *uri;
    const char *pool;
    const char *network;       /* libvirt: the hosts' network, or NULL */
    struct sl_guest_config *guest; /* real libvirt: TLS and host files */
    char *busybox_tar;         /* hosts without a registry (real libvirt,
                                  the fake offline): imported as 'import' */
    size_t busybox_len;
    sl_image_import import;
    bool fake;
    bool test_driver;          /* libvirt's test:// driver */
    uint64_t seed;
    const sl_run_sim *sim;     /* the fakes, or NULL */
    sl_clock *clock;           /* owned; NULL: the backend's real one */
    void *pairing;             /* the test driver's fake daemons */
    sl_hv_docker_hook paired_hook;
    sl_hypervisor *hv;
    sl_docker_config docker;   /* time limits of the runner's calls */
    bool short_timeouts;       /* some daemon will stop answering */
    char dir[PATH_MAX];        /* the temporary directory, or "" */
    sl_state *st;
    int64_t t0;                /* the scenario's start on its clock */
    rn_host *hosts;            /* sc->n_hosts of them, in plan order */
    bool built;
    bool halted;               /* a step failed: the rest is not run */
    bool stopped;              /* a step failed as expected: the steps
                                  after it are not run */
    bool interrupted;          /* a signal asked the run to stop */
    /* The report. */
    pthread_mutex_t lock;      /* progress comes from several threads */
    json_t *steps;             /* array of step objects */
    json_t *retries;           /* during the build: {host: retries} */
    json_t *expectations;      /* array */
    json_t *notes;             /* array of strings */
    json_t *lost;              /* {host: {service: [slots]}} taken before
                                  a fault took the host away */
    rn_view view;              /* the last observation */
} rn_ctx;

/* Milliseconds on the scenario's clock since it started. */
int64_t sl__rn_now_ms(rn_ctx *c);

/* Adds a failure to the result; 'observed' may be NULL. */
void sl__rn_fail(rn_ctx *c, const char *where, const char *expected,
                 const char *observed);

/* Adds a note to the report, such as a setting adapted to the backend. */
void sl__rn_note(rn_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether a signal asked the run to stop; the first time it says so, the
 * scenario fails as interrupted and its remaining steps are not run. */
bool sl__rn_interrupted(rn_ctx *c);

/* The runner's host 'name', or NULL. */
rn_host *sl__rn_host(rn_ctx *c, const char *name);

/* Backend (runner_backend.c) ------------------------------------------- */

/* Why the chosen backend cannot run 'sc', in a new string the caller
 * frees, or NULL when it can. */
char *sl__rn_unsupported(rn_ctx *c);

/* Picks the backend, URI, pool and seed from the scenario and options. */
void sl__rn_choose_backend(rn_ctx *c);

/* Whether 'sc' runs on a machine whose host names other runs share: a
 * real libvirt hypervisor (netns scenarios run at once get roots of their
 * own). */
bool sl__rn_shares_names(const sl_scenario *sc, const sl_run_options *opts);

/* Opens the backend with its clock, fake configuration or paired fake
 * daemons. Returns 0, or -1 with 'err' filled. */
int sl__rn_open_backend(rn_ctx *c, sl_error *err);

/* Closes what sl__rn_open_backend() opened; safe to call twice. */
void sl__rn_close_backend(rn_ctx *c);

/* Sets the faults that act during the boot. */
int sl__rn_boot_faults(rn_ctx *c, sl_error *err);

/* Takes a pipeline progress report (retries are counted); an
 * sl_progress_fn whose data is the rn_ctx. */
void sl__rn_progress(const sl_progress *p, void *data);

/* Lets timed events of the fake take effect after the clock moved. */
void sl__rn_poll(rn_ctx *c);

/* Waits 'ns' on the scenario's clock. */
void sl__rn_sleep(rn_ctx *c, int64_t ns);

/* Fills 'spec' for the pipeline, adapted to the backend. The role and
 * extras arrays it points to are in 'extras' (freed by the caller). */
int sl__rn_pipeline_spec(rn_ctx *c, sl_pipeline_spec *spec,
                         sl_host_extra **extras, sl_error *err);

/* Steps (runner_steps.c) ----------------------------------------------- */

/* A client for host 'h' with the runner's time limits; the caller frees
 * it with sl_docker_client_free(). */
sl_docker_client *sl__rn_client(rn_ctx *c, const rn_host *h, sl_error *err);

/* Whether the runner may ask 'h' something: it runs, answers, and is in
 * the swarm. */
bool sl__rn_usable(const rn_host *h);

/* After a call to 'h': its delay, when its API is slow. */
void sl__rn_after_call(rn_ctx *c, const rn_host *h);

/* The first manager the runner may talk to, or NULL with 'err' filled. */
rn_host *sl__rn_control(rn_ctx *c, sl_error *err);

/* Creates the networks, then the services, of every stack. Fills
 * 'step' with what was made. */
int sl__rn_deploy(rn_ctx *c, json_t *step, sl_error *err);

/* Applies one fault or step after the swarm exists. */
int sl__rn_apply(rn_ctx *c, const sl_scenario_fault *f, json_t *step,
                 sl_error *err);

/* Observation and expectations (observe.c, expect.c) ------------------- */

/* Observes the swarm from the first manager that answers into 'v'
 * (cleared first). Never fails: v->error says why nothing was seen. */
void sl__rn_observe(rn_ctx *c, rn_view *v);

/* Frees what 'v' holds. */
void sl__rn_view_clear(rn_view *v);

/* The swarm of 'v' for the report: nodes, leader, services and where
 * their tasks run. A new reference. */
json_t *sl__rn_view_json(const rn_view *v);

/* The hostname of the node 'id' in 'v', or NULL. Borrowed. */
const char *sl__rn_view_hostname(const rn_view *v, const char *id);

/* The hostname of the leader in 'v', or NULL. Borrowed. */
const char *sl__rn_view_leader(const rn_view *v);

/* Whether task 't' runs: meant to, reported running, on a ready node. */
bool sl__rn_task_runs(const rn_view *v, const sl_docker_task *t);

/* {"hostname": tasks of the service running there}, sorted: a new
 * reference. */
json_t *sl__rn_task_hosts(const rn_view *v, const char *service_id);

/* How many tasks of the service are meant to run and do not; '*why' is
 * the first reason the scheduler gave, or NULL. Borrowed. */
size_t sl__rn_pending(const rn_view *v, const char *service_id,
                      const char **why);

/* Where a rolling update stands. */
typedef enum rn_update_state {
    RN_UPDATE_GOING,           /* on its way */
    RN_UPDATE_DONE,            /* completed: no task of the old spec runs */
    RN_UPDATE_STOPPED          /* paused or rolled back by the swarm */
} rn_update_state;

typedef struct rn_update {
    rn_update_state state;
    const char *status;        /* UpdateStatus.State, or NULL when the
                                  daemon reports none; borrowed */
    const char *message;       /* UpdateStatus.Message, or NULL */
    size_t updated;            /* running tasks that run the update */
    size_t running;            /* running tasks of the service */
    size_t wanted;             /* its replicas; running for a global one */
} rn_update;

/* How far update 'f' (its service, image and env) has come in 'v'. */
void sl__rn_update_progress(const rn_view *v, const sl_scenario_fault *f,
                            rn_update *u);

/* Labels as a JSON object sorted by key: a new reference. */
json_t *sl__rn_labels_json(const sl_docker_label *labels, size_t n);

/* True when no task is on its way to running: every task meant to run
 * runs, or waits with the scheduler's reason. */
bool sl__rn_view_settled(const rn_view *v);

/* Remembers, before a fault takes 'host' away, which slots each service
 * expected to be rescheduled from it runs there; shows them in 'step'. */
void sl__rn_remember_tasks(rn_ctx *c, const char *host, json_t *step);

/* Checks the expectations against 'v'. With 'record', each one goes into
 * the report and each that does not hold into the failures. Returns how
 * many do not hold. */
size_t sl__rn_expect(rn_ctx *c, const rn_view *v, bool record);

/* Whether the scenario expects anything of the swarm itself. */
bool sl__rn_expects_swarm(const sl_scenario *sc);

#endif /* SL_RUNNER_INT_H */
