/* Forming a swarm from Docker hosts that answer: init, joins, labels, checks. */
#ifndef SL_SWARM_FORM_H
#define SL_SWARM_FORM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "docker_client.h"
#include "error.h"
#include "progress.h"

/* One host to take into the swarm. Strings are borrowed. */
typedef struct sl_swarm_member {
    const char *name;        /* the host's name, also its node hostname */
    const char *docker_host; /* how to reach its daemon: "tcp://..." */
    const char *addr;        /* the address swarm peers use: "10.0.0.2" */
    bool manager;
    const sl_docker_label *labels; /* node labels to set */
    size_t n_labels;
} sl_swarm_member;

typedef struct sl_swarm_form_opts {
    int parallel;             /* joins at once; 0 means 8 */
    sl_clock *clock;          /* back-off waits; required */
    int64_t join_timeout_ns;  /* per host, retries included; 0: 120 s */
    const sl_docker_config *docker; /* TLS and time limits; the host is
                                       taken from each member; may be NULL */
    sl_progress_fn progress;  /* may be NULL */
    void *progress_data;
    /* When not NULL and set, no further step is taken and the back-off
     * waits end: the formation fails with SL_ERR_CANCELLED. */
    volatile sig_atomic_t *cancel;
} sl_swarm_form_opts;

/* What the swarm looks like once formed. */
typedef struct sl_swarm_summary {
    char cluster_id[64];
    char leader[128];         /* hostname of the leader */
    size_t managers;
    size_t workers;
    size_t ready;             /* nodes whose status is ready */
} sl_swarm_summary;

/*
 * Forms a swarm of 'n' members: `swarm init` on the first manager, the
 * other managers join one after another with the manager token, the
 * workers join in parallel with the worker token, the labels are set, and
 * the result is checked (every node ready, roles as asked, one leader).
 * Members already in the swarm are left as they are, so running it again
 * after a partial failure finishes the job. Join tokens are never
 * reported. Fills 'summary' (may be NULL). Returns 0, or -1 with 'err'
 * naming the host that failed.
 */
int sl_swarm_form(const sl_swarm_member *members, size_t n,
                  const sl_swarm_form_opts *opts, sl_swarm_summary *summary,
                  sl_error *err);

/* Checks, from the manager at 'docker_host', that the swarm has exactly
 * the 'n' members with their roles, all ready, and one leader. */
int sl_swarm_verify(const sl_swarm_member *members, size_t n,
                    const char *docker_host, const sl_swarm_form_opts *opts,
                    sl_swarm_summary *summary, sl_error *err);

#endif /* SL_SWARM_FORM_H */
