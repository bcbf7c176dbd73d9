/* The provisioning pipeline: image, host VMs, waits, swarm, and their undoing. */
#ifndef SL_PIPELINE_H
#define SL_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "docker_client.h"
#include "error.h"
#include "hypervisor.h"
#include "progress.h"
#include "state.h"
#include "swarm_form.h"

#define SL_DEFAULT_PREFIX "n2d"
#define SL_DEFAULT_MANAGERS 1
#define SL_DEFAULT_WORKERS 3
#define SL_DEFAULT_CPUS 4
#define SL_DEFAULT_MEMORY_MIB 2048
#define SL_DEFAULT_DISK_GIB 20
#define SL_DEFAULT_IMAGE "swarmlab-base"

/* The shape of one role's hosts. Zero fields but 'count' take the
 * defaults above (the command line's counts default to 1 and 3). */
typedef struct sl_role_spec {
    int count;                     /* how many hosts of this role */
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
    const char *os;                /* "linux" (NULL) or "windows" */
    const sl_docker_label *labels; /* node labels; borrowed */
    size_t n_labels;
} sl_role_spec;

/* A host listed by name, besides (or instead of) the counted ones. */
typedef struct sl_host_extra {
    const char *name;
    bool manager;
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
    const char *os;
    const sl_docker_label *labels;
    size_t n_labels;
} sl_host_extra;

/* An image to import into every host: a tarball, from a file or from
 * memory. Strings and bytes are borrowed. */
typedef struct sl_image_import {
    const char *ref;                /* "bb:1" */
    const char *path;               /* the tarball's file, or NULL */
    const char *tar;                /* else its bytes */
    size_t len;
} sl_image_import;

typedef struct sl_pipeline_spec {
    const char *prefix;             /* hosts are PREFIX-mngr-N and
                                       PREFIX-wrkr-N; NULL: "n2d" */
    sl_role_spec managers;
    sl_role_spec workers;
    const sl_host_extra *extras;
    size_t n_extras;
    const char *network;            /* NULL: "default" */
    sl_hv_image_spec image;         /* name NULL: "swarmlab-base" */
    int parallel;                   /* hosts made at once; 0: 8; 1 is the
                                       original sequential way */
    int boot_retries;               /* new tries after a failed boot;
                                       0: 2, negative: none */
    int64_t boot_timeout_ns;        /* 0: 120 s */
    int64_t address_timeout_ns;     /* 0: 60 s */
    int64_t docker_timeout_ns;      /* 0: 60 s */
    int64_t import_timeout_ns;      /* per image and host; 0: 120 s */
    const sl_image_import *imports; /* imported into each host, in order,
                                       once its Docker API answers and
                                       before the swarm forms */
    size_t n_imports;
    bool keep_on_failure;           /* leave a failed build for inspection */
    /* Set (by a signal handler, or by 'progress') to stop the build; NULL:
     * nothing does. Seen before each step of each host and of the swarm's
     * formation, and in the back-off waits; the build then fails with
     * SL_ERR_CANCELLED and is undone as any failed one. */
    volatile sig_atomic_t *cancel;
    const sl_docker_config *docker; /* TLS and time limits, or NULL */
    sl_progress_fn progress;
    void *progress_data;
} sl_pipeline_spec;

/* One host as planned: name, role and resources with defaults applied. */
typedef struct sl_host_plan {
    char name[SL_HV_NAME_MAX];
    bool manager;
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
    const char *os;
    const sl_docker_label *labels;
    size_t n_labels;
    /* Filled as the host comes up. */
    char address[SL_HV_ADDR_MAX];
    char endpoint[SL_HV_ENDPOINT_MAX];
} sl_host_plan;

/* The hosts 'spec' asks for, managers first; the caller frees the array.
 * SL_ERR_INVALID for an impossible shape (no manager, a duplicate name). */
sl_host_plan *sl_pipeline_plan(const sl_pipeline_spec *spec, size_t *count,
                               sl_error *err);

/* Reads the tarballs of the imports 'spec' names by path, so that a
 * missing or unreadable one is refused before anything is made: the
 * error names the file (SL_ERR_NOT_FOUND, SL_ERR_IO or SL_ERR_INVALID). */
int sl_pipeline_check_imports(const sl_pipeline_spec *spec, sl_error *err);

/*
 * Builds the swarm 'spec' describes on 'hv': prepares the image, makes and
 * boots the hosts in parallel (a failed boot is retried), waits for each
 * address and Docker API, imports spec->imports into each host, forms the
 * swarm and verifies it. Each resource
 * is recorded in 'st' the moment it exists. A host already recorded and
 * still there is reused, so running it again after a partial failure
 * finishes the job. On failure, what this call made is destroyed again
 * (unless spec->keep_on_failure) and forgotten in 'st'. Fills 'summary'
 * (may be NULL), and 'plan' with the hosts when not NULL (the caller
 * frees *plan). Stopped through spec->cancel, it fails with
 * SL_ERR_CANCELLED whatever step was under way.
 */
int sl_pipeline_swarm_create(sl_hypervisor *hv, sl_state *st,
                             const sl_pipeline_spec *spec,
                             sl_swarm_summary *summary, sl_host_plan **plan,
                             size_t *plan_count, sl_error *err);

/* Makes one Docker host (no swarm): create, boot, address, Docker API,
 * imports; undone on failure and on spec->cancel as a swarm is. */
int sl_pipeline_host_create(sl_hypervisor *hv, sl_state *st,
                            const sl_pipeline_spec *spec, sl_host_plan *host,
                            sl_error *err);

/*
 * Destroys every host recorded in 'st' (a host already gone counts as
 * destroyed) and forgets it; removes the state file when nothing is left.
 * Goes on past a failure and reports the first one.
 */
int sl_pipeline_destroy(sl_hypervisor *hv, sl_state *st,
                        sl_progress_fn progress, void *progress_data,
                        sl_error *err);

#endif /* SL_PIPELINE_H */
