/* Scenario files: the swarm to build, what to deploy, faults, expectations. */
#ifndef SL_SCENARIO_H
#define SL_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose.h"
#include "docker_client.h"
#include "error.h"
#include "hypervisor.h"
#include "pipeline.h"

/*
 * A scenario is read and checked whole before anything runs: the JSON
 * itself, every key and type, the shape of the swarm, every constraint,
 * the compose file it names, and every host and service that a fault or
 * an expectation refers to. scenarios/README.md describes the format.
 *
 * Errors are SL_ERR_INVALID (SL_ERR_IO when a file cannot be read) with a
 * short message ("expected an integer, got string") and err->where:
 *   "FILE:LINE:COLUMN"           malformed JSON (as jansson reports it)
 *   "FILE: swarm.workers.count"  a field, by its path in the document
 *   "STACK.yml:7:5: services.web.deploy.replicas"  a compose file's field
 * The command prints "swarmlab run: WHERE: MESSAGE" and exits 2.
 *
 * Everything a scenario points to is owned by it and lives until
 * sl_scenario_free(); host and service names in faults and expectations
 * are the very strings of 'hosts' and of the stacks' services.
 */

typedef enum sl_backend_kind {
    SL_BACKEND_FAKE,
    SL_BACKEND_LIBVIRT,
    SL_BACKEND_NETNS
} sl_backend_kind;

typedef struct sl_scenario_backend {
    sl_backend_kind kind;
    const char *name;          /* "fake", "libvirt" or "netns" */
    const char *uri;           /* libvirt; NULL: LIBVIRT_DEFAULT_URI */
    const char *network;       /* libvirt: the hosts' network; NULL:
                                  "default" */
    const char *pool;          /* libvirt: storage pool; NULL: "default" */
    int64_t boot_ns;           /* fake: a boot's length; 0: the fake's */
    int cpus;                  /* fake: the simulated server; 0: the
                                  fake's default */
    int64_t memory_mib;
    int64_t disk_gib;
    bool no_registry;          /* fake: hosts reach no registry, so they
                                  run only the images they hold */
} sl_scenario_backend;

/* One host as it will be made, defaults applied, in the pipeline's order
 * (managers first). */
typedef struct sl_scenario_host {
    const char *name;          /* "n2d-wrkr-0" */
    bool manager;
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
    const char *os;            /* "linux" or "windows" */
    const sl_docker_label *labels; /* node labels */
    size_t n_labels;
    int64_t boot_ns;           /* fake: its boot's length; 0: the
                                  backend's */
} sl_scenario_host;

/* When a fault or step happens. */
typedef enum sl_moment {
    SL_MOMENT_DURING_BOOT,     /* set up before the hosts start */
    SL_MOMENT_AFTER_SWARM,     /* the swarm is formed, nothing deployed */
    SL_MOMENT_AFTER_DEPLOY     /* the services are deployed */
} sl_moment;

typedef enum sl_fault_kind {
    SL_FAULT_BOOT_FAILURE,     /* host: its next 'times' boots fail */
    SL_FAULT_POWER_LOSS,       /* host: powered off */
    SL_FAULT_DAEMON_STOPS_ANSWERING, /* host: dockerd accepts, never
                                        answers */
    SL_FAULT_SLOW_API,         /* host: every answer 'duration_ns' late */
    SL_FAULT_NETWORK_PARTITION, /* groups cannot reach one another */
    SL_FAULT_DRAIN,            /* host's node set to drain */
    SL_FAULT_SCALE,            /* service to 'replicas' */
    SL_FAULT_UPDATE,           /* service: rolling update to a new image
                                  and/or environment */
    SL_FAULT_JOIN_WITH_WRONG_TOKEN, /* host leaves and tries to join back
                                       with a token that is not the
                                       swarm's */
    SL_FAULT_WAIT              /* let 'duration_ns' pass */
} sl_fault_kind;

/* Hosts on one side of a network partition. */
typedef struct sl_host_group {
    const char *const *hosts;
    size_t n_hosts;
} sl_host_group;

/* A fault to inject or a step to take, in the order of the file. */
typedef struct sl_scenario_fault {
    const char *path;          /* "faults[2]", for reports */
    sl_fault_kind kind;
    sl_moment at;
    int64_t after_ns;          /* how long after the moment it happens */
    const char *host;          /* the host (the node for drain), or NULL */
    int times;                 /* boot-failure: boots that fail; -1: all */
    int64_t duration_ns;       /* slow-api: the delay; wait: how long */
    const sl_host_group *groups; /* network-partition: two or more */
    size_t n_groups;
    const char *service;       /* scale, update: the docker name */
    uint64_t replicas;         /* scale */
    const char *image;         /* update: the new image, or NULL */
    const char *const *env;    /* update: "KEY=value" to set */
    size_t n_env;
    bool as_manager;           /* join-with-wrong-token: join as manager */
    bool must_fail;            /* the step must fail (always so for
                                  join-with-wrong-token) */
    const char *fails_with;    /* ...with this in its message; NULL: any */
} sl_scenario_fault;

/* "Exactly 'count' nodes have all of these"; NULL fields match any. */
typedef struct sl_expect_nodes {
    const char *path;          /* "expect.nodes[0]" */
    const char *hostname;
    const char *role;          /* "manager", "worker" */
    const char *state;         /* "ready", "down", "unknown",
                                  "disconnected" */
    const char *availability;  /* "active", "pause", "drain" */
    const char *os;            /* "linux", "windows" */
    const sl_docker_label *labels; /* each set, to this value */
    size_t n_labels;
    size_t count;
} sl_expect_nodes;

typedef enum sl_expect_leader {
    SL_LEADER_UNCHECKED,
    SL_LEADER_PRESENT,         /* some manager leads */
    SL_LEADER_ABSENT,          /* no manager leads (quorum lost) */
    SL_LEADER_HOST             /* 'leader_host' leads */
} sl_expect_leader;

typedef struct sl_expect_service {
    const char *path;          /* "expect.services[0]" */
    const char *name;          /* the docker name: "demo_web" */
    const sl_stack_service *service; /* its definition */
    bool check_running;
    uint64_t running;          /* tasks running */
    const char *rescheduled_from; /* a host a fault took away: none of
                                     the service's running tasks is
                                     there, all it had there run
                                     elsewhere; or NULL */
} sl_expect_service;

/* The steps an expected failure can name. */
typedef enum sl_step {
    SL_STEP_NONE,
    SL_STEP_BUILD,             /* image, hosts and swarm */
    SL_STEP_DEPLOY             /* networks and services */
} sl_step;

typedef struct sl_scenario_expect {
    const sl_expect_nodes *nodes;
    size_t n_nodes;
    sl_expect_leader leader;
    const char *leader_host;   /* SL_LEADER_HOST */
    const sl_expect_service *services;
    size_t n_services;
    bool constraints_hold;     /* every running task is on a node that
                                  satisfies its service's constraints */
    sl_step failure_step;      /* this step must fail... */
    const char *failure_message; /* ...with this in its message */
} sl_scenario_expect;

typedef struct sl_scenario {
    const char *file;          /* as given */
    const char *name;          /* the file's base name when not given */
    const char *description;   /* or NULL */
    uint64_t seed;
    sl_scenario_backend backend;
    sl_hv_image_spec image;    /* source resolved against the file's
                                  directory */
    /* The swarm, as sl_pipeline_spec takes it. */
    const char *prefix;        /* NULL: "n2d" */
    sl_role_spec managers;
    sl_role_spec workers;
    const sl_host_extra *extras;
    size_t n_extras;
    int parallel;              /* 0: the pipeline's */
    int boot_retries;          /* as sl_pipeline_spec: 0 default,
                                  negative none */
    int64_t boot_timeout_ns;   /* 0: the pipeline's */
    int64_t address_timeout_ns;
    int64_t docker_timeout_ns;
    int64_t converge_timeout_ns; /* how long services may take to reach
                                    their expected state; 0: 60 s */
    const sl_scenario_host *hosts; /* every host, as the pipeline plans */
    size_t n_hosts;
    /* What to deploy: networks, then services, of each stack. */
    sl_stack *services;        /* listed in the scenario, or NULL */
    sl_stack *compose;         /* from the compose file, or NULL */
    const char *compose_file;  /* its path, resolved, or NULL */
    bool strict_placement;     /* unplaceable replicas are input errors */
    const sl_scenario_fault *faults;
    size_t n_faults;
    sl_scenario_expect expect;
    struct sl__pool *pool;     /* owns all of the above but the stacks */
} sl_scenario;

/* Reads and checks scenario file 'path'. Returns a scenario the caller
 * frees with sl_scenario_free(), or NULL with 'err' filled. */
sl_scenario *sl_scenario_load(const char *path, sl_error *err);

/* Same from 'len' bytes of 'text'; 'file' names it in messages and
 * relative paths are resolved against its directory. */
sl_scenario *sl_scenario_parse(const char *text, size_t len,
                               const char *file, sl_error *err);

/* Frees a scenario; accepts NULL. */
void sl_scenario_free(sl_scenario *sc);

/* Fills 'spec' for sl_pipeline_swarm_create(): prefix, roles, extras,
 * image, network, parallel, retries and timeouts; pointers are borrowed
 * from 'sc'. The caller adds docker, progress and keep_on_failure. */
void sl_scenario_pipeline_spec(const sl_scenario *sc, sl_pipeline_spec *spec);

/* Fills 'opts' for sl_hypervisor_open(sc->backend.name, ...): uri, pool
 * and seed; the caller adds clock, events and, for the fake, its
 * configuration from sc->backend. */
void sl_scenario_hv_options(const sl_scenario *sc, sl_hv_options *opts);

/* The host named 'name', or NULL. Borrowed. */
const sl_scenario_host *sl_scenario_find_host(const sl_scenario *sc,
                                              const char *name);

/* The service with docker name 'name' (or, in the compose stack, key
 * 'name'), or NULL. Borrowed. */
const sl_stack_service *sl_scenario_find_service(const sl_scenario *sc,
                                                 const char *name);

/* Every stack to deploy, in order: the scenario's services, then the
 * compose file's. Fills 'out' (two slots) and returns how many. */
size_t sl_scenario_stacks(const sl_scenario *sc, const sl_stack *out[2]);

/* Stable names, as the file spells them. */
const char *sl_moment_name(sl_moment m);        /* "after-deploy" */
const char *sl_fault_kind_name(sl_fault_kind k); /* "power-loss" */
const char *sl_step_name(sl_step s);            /* "build" */

#endif /* SL_SCENARIO_H */
