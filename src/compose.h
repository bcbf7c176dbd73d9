/* Compose files: the `docker stack deploy` subset, as services to create. */
#ifndef SL_COMPOSE_H
#define SL_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "docker_client.h"
#include "error.h"

/*
 * A stack is what the runner deploys: the networks to create, then the
 * services, each already in the terms of the Docker client. It comes from
 * a compose file (sl_compose_load()) or from the services a scenario lists
 * itself (then it has no name and nothing is prefixed).
 *
 * A compose stack named STACK is what `docker stack deploy -c FILE STACK`
 * sends: service "web" becomes "STACK_web" with the labels
 * com.docker.stack.namespace=STACK and com.docker.stack.image=IMAGE; its
 * containers get the namespace label; a service that names no network is
 * attached to "STACK_default" with the alias "web"; networks are created
 * as "STACK_NAME" (overlay unless the file says otherwise) with the
 * namespace label, only when a service uses them, and external ones are
 * not created at all.
 *
 * Errors fill sl_error with SL_ERR_INVALID (SL_ERR_IO when the file cannot
 * be read): err->message is a short fragment ("expected an integer") and
 * err->where the place: "FILE:LINE:COLUMN" for a YAML syntax error,
 * "FILE:LINE:COLUMN: services.web.deploy.replicas" for a field. Lines and
 * columns count from 1. Print them as "WHERE: MESSAGE".
 *
 * Keys outside the subset are never dropped silently:
 *   - keys docker stack deploy ignores itself (build, restart,
 *     container_name, ...) and keys it honours that swarmlab does not
 *     model (healthcheck, volumes, secrets, update_config, ...) give a
 *     warning in sl_stack.warnings, for the runner to print; with
 *     sl_compose_options.strict they are errors;
 *   - keys docker stack deploy refuses (extends, volumes_from, mem_limit,
 *     ...) and keys that are no compose key at all are errors, the latter
 *     with a suggestion when one is close ("did you mean 'replicas'?").
 * Keys starting with "x-" are extension fields and are skipped, as docker
 * does.
 */

/* A warning about the input: where, and what was ignored. */
typedef struct sl_input_warning {
    const char *where;    /* "stack.yml:9:5: services.web.build" */
    const char *message;  /* "ignored by docker stack deploy" */
    unsigned line;        /* of the place, from 1; 0 when not known */
    unsigned column;
} sl_input_warning;

/* One network a service is attached to. */
typedef struct sl_stack_attachment {
    const char *target;            /* the network's name: "demo_default" */
    const char *const *aliases;    /* DNS aliases; the service's own name
                                      last, as docker sends them */
    size_t n_aliases;
} sl_stack_attachment;

/* One service, ready for the Docker client. Every pointer is owned by the
 * stack and lives as long as it. */
typedef struct sl_stack_service {
    const char *key;               /* its name in the file: "web" */
    const char *where;             /* where it is defined, for messages:
                                      "stack.yml:5:3: services.web" */
    sl_docker_service_def def;     /* name "demo_web", image, command,
                                      mode, constraints, service labels,
                                      env, resources, ports; def.networks
                                      holds the attachments' targets */
    bool replicas_given;           /* the file set replicas (0 is kept) */
    const sl_stack_attachment *attachments; /* def.n_networks of them */
    const sl_docker_label *container_labels; /* ContainerSpec.Labels */
    size_t n_container_labels;
    const char *const *preferences; /* spread descriptors, in order:
                                       "node.labels.zone" */
    size_t n_preferences;
    uint64_t max_replicas_per_node; /* 0: no limit */
    const char *endpoint_mode;     /* "vip", "dnsrr", or NULL */
} sl_stack_service;

/* One network of the stack. */
typedef struct sl_stack_network {
    const char *key;               /* its name in the file: "default" */
    sl_docker_network_def def;     /* name "demo_default", driver, labels */
    bool external;                 /* exists already: neither created nor
                                      removed */
} sl_stack_network;

typedef struct sl_stack {
    const char *name;              /* "demo"; NULL when not a stack */
    const char *file;              /* as named in messages */
    const sl_stack_network *networks; /* the ones services use, in order */
    size_t n_networks;
    const sl_stack_service *services; /* in the order of the file */
    size_t n_services;
    const sl_input_warning *warnings; /* in the order of the file */
    size_t n_warnings;
    struct sl__pool *pool;         /* owns all of the above */
} sl_stack;

/* How to read a compose file. */
typedef struct sl_compose_options {
    const char *stack;             /* the stack's name: required */
    const sl_docker_label *variables; /* values for ${VAR}; the process
                                         environment is never read, so a
                                         run is the same everywhere */
    size_t n_variables;
    bool strict;                   /* warnings are errors */
} sl_compose_options;

/* Reads compose file 'path'. Returns a stack the caller frees with
 * sl_stack_free(), or NULL with 'err' filled. */
sl_stack *sl_compose_load(const char *path, const sl_compose_options *opts,
                          sl_error *err);

/* Same from 'len' bytes of 'text'; 'file' names it in messages. */
sl_stack *sl_compose_parse(const char *text, size_t len, const char *file,
                           const sl_compose_options *opts, sl_error *err);

/* Frees a stack; accepts NULL. */
void sl_stack_free(sl_stack *st);

/* The service named 'name' (its docker name "demo_web" or its key "web"),
 * or NULL. Borrowed. */
const sl_stack_service *sl_stack_find_service(const sl_stack *st,
                                              const char *name);

/* The ServiceSpec to POST to /services/create for 'svc', exactly as the
 * docker CLI sends it for a stack: sl_docker_service_spec_build() of
 * svc->def plus what it cannot say (container labels, network aliases,
 * placement preferences and limits, endpoint mode, zero replicas).
 * Returns a new reference the caller owns, or NULL with 'err' filled. */
json_t *sl_stack_service_spec(const sl_stack_service *svc, sl_error *err);

#endif /* SL_COMPOSE_H */
