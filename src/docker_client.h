/* Docker Engine API client: one libcurl handle per daemon, typed results. */
#ifndef SL_DOCKER_CLIENT_H
#define SL_DOCKER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

/*
 * A client talks to one daemon over a unix socket, plain TCP or TLS. It is
 * not thread-safe; separate clients may be used from separate threads.
 * Nothing is sent before the first call; the first versioned call
 * negotiates the API version (GET /_ping, else GET /version) and the
 * client keeps it for its whole life.
 *
 * Every call returns 0, or a pointer the caller owns, on success; -1 or
 * NULL with 'err' filled on failure:
 *   SL_ERR_CONNECT    the daemon cannot be reached (refused, no socket,
 *                     TLS handshake refused)
 *   SL_ERR_TIMEOUT    no answer within the client's time limits
 *   SL_ERR_PROTOCOL   an answer that is not what the API promises
 *   SL_ERR_API        the daemon answered with an error status;
 *                     SL_ERR_NOT_FOUND for 404, SL_ERR_CONFLICT for 409.
 *                     err->message is the daemon's own "message" text,
 *                     err->http_status its status, err->where the call
 *                     ("GET /v1.41/nodes").
 *   SL_ERR_UNSUPPORTED the daemon's API is older than 1.24
 *   SL_ERR_INVALID    unusable configuration or arguments
 *
 * Typed results own a reference to the daemon's JSON ('raw'); their
 * strings point into it, are never NULL ("" when the daemon sent none)
 * and live until the result is freed.
 */

#define SL_DOCKER_API_MAX "1.41"
#define SL_DOCKER_API_MIN "1.24"
#define SL_DOCKER_DEFAULT_HOST "unix:///var/run/docker.sock"
#define SL_DOCKER_CONNECT_TIMEOUT_MS 5000L
#define SL_DOCKER_TIMEOUT_MS 30000L

typedef struct sl_docker_client sl_docker_client;

/* Endpoints --------------------------------------------------------------- */

typedef enum sl_docker_transport {
    SL_DOCKER_UNIX,
    SL_DOCKER_TCP
} sl_docker_transport;

/* A parsed DOCKER_HOST. */
typedef struct sl_docker_endpoint {
    sl_docker_transport transport;
    bool tls;
    char socket_path[108];   /* unix: the socket's path */
    char host[256];          /* tcp: "127.0.0.1", "::1", "node-1" */
    unsigned port;           /* tcp: 2375 by default, 2376 with TLS */
    char url_base[300];      /* "http://127.0.0.1:2375", "http://localhost" */
    char text[300];          /* for messages: "tcp://127.0.0.1:2375" */
} sl_docker_endpoint;

/* Parses a docker host as the docker CLI does: "unix:///path",
 * "tcp://host[:port]", "http://host[:port]", "https://host[:port]", or a
 * bare "host:port" (tcp); NULL or "" means SL_DOCKER_DEFAULT_HOST. 'tls'
 * turns TLS on for tcp://. Fills 'ep'; SL_ERR_INVALID when unusable. */
int sl_docker_endpoint_parse(const char *spec, bool tls,
                             sl_docker_endpoint *ep, sl_error *err);

/* Configuration ----------------------------------------------------------- */

/* One finished call, for the command line to render. Request and answer
 * bodies are never passed: some carry join tokens. */
typedef struct sl_docker_trace_event {
    const char *endpoint;    /* "unix:///var/run/docker.sock" */
    const char *method;      /* "GET" */
    const char *path;        /* "/v1.41/nodes?filters=..." */
    int status;              /* HTTP status, 0 when none came */
    int64_t duration_ns;
    sl_errcode error;        /* SL_OK, or how the call failed */
} sl_docker_trace_event;

typedef void (*sl_docker_trace_fn)(const sl_docker_trace_event *ev,
                                   void *data);

/* How to reach a daemon. Strings are borrowed and copied by the client. */
typedef struct sl_docker_config {
    const char *host;        /* see sl_docker_endpoint_parse(); NULL: the
                                default socket */
    bool tls;                /* TLS without checking the daemon (--tls) */
    bool tls_verify;         /* TLS, and check the daemon against ca_file */
    const char *ca_file;     /* PEM; NULL: the system's trust store */
    const char *cert_file;   /* client certificate to present, or NULL */
    const char *key_file;    /* its private key, or NULL */
    const char *api_version; /* pin "1.NN" (no negotiation); NULL:
                                negotiate */
    long connect_timeout_ms; /* 0: SL_DOCKER_CONNECT_TIMEOUT_MS */
    long timeout_ms;         /* whole call; 0: SL_DOCKER_TIMEOUT_MS */
    sl_docker_trace_fn trace; /* or NULL */
    void *trace_data;
} sl_docker_config;

/* A client for the daemon 'cfg' names; nothing is sent yet. Free with
 * sl_docker_client_free(). SL_ERR_INVALID when the configuration is
 * unusable (bad host, unreadable certificate files). */
sl_docker_client *sl_docker_client_new(const sl_docker_config *cfg,
                                       sl_error *err);

/* Same, reading the environment as the docker CLI does for what 'base'
 * (which may be NULL) leaves unset: DOCKER_HOST, DOCKER_TLS_VERIFY
 * (non-empty: verify the daemon with ca.pem, present cert.pem and
 * key.pem), DOCKER_TLS (non-empty: TLS without verifying),
 * DOCKER_CERT_PATH (default ~/.docker) and DOCKER_API_VERSION. Errors
 * name the variable. Free with sl_docker_client_free(). */
sl_docker_client *sl_docker_client_new_from_env(const sl_docker_config *base,
                                                sl_error *err);

/* Closes the connection and frees the client; accepts NULL. */
void sl_docker_client_free(sl_docker_client *c);

/* The endpoint as text, "tcp://127.0.0.1:2376"; borrowed. */
const char *sl_docker_client_endpoint(const sl_docker_client *c);

/* The API version in use ("1.41"), or "" before negotiation; borrowed. */
const char *sl_docker_client_api_version(const sl_docker_client *c);

/* Changes the time limits of later calls; 0 keeps a limit as it is. */
void sl_docker_client_set_timeouts(sl_docker_client *c,
                                   long connect_timeout_ms, long timeout_ms);

/* Negotiates the API version now, if not done yet. */
int sl_docker_client_negotiate(sl_docker_client *c, sl_error *err);

/* Filters ----------------------------------------------------------------- */

/* One filter term, as `--filter key=value`; terms with the same key are
 * alternatives. */
typedef struct sl_docker_filter {
    const char *key;         /* "label", "role", "service", "node", ... */
    const char *value;
} sl_docker_filter;

/* The value of ?filters= for 'n' terms, encoded exactly as the docker CLI
 * does: {"key":{"value":true}} with sorted keys, then URL-escaped. Returns
 * a string the caller frees; NULL when out of memory or a term is NULL or
 * not UTF-8. */
char *sl_docker_filters_encode(const sl_docker_filter *filters, size_t n);

/* Labels ------------------------------------------------------------------ */

typedef struct sl_docker_label {
    const char *key;
    const char *value;
} sl_docker_label;

/* The value of label 'key' among 'n' labels, or NULL; borrowed. */
const char *sl_docker_label_get(const sl_docker_label *labels, size_t n,
                                const char *key);

/* Engine ------------------------------------------------------------------ */

/* What GET /_ping tells, besides being alive. */
typedef struct sl_docker_ping_result {
    char api_version[16];    /* "1.41" */
    char os_type[32];        /* "linux", "windows" or "" */
    bool experimental;
    char swarm[32];          /* "inactive", "active/manager"...; "" when
                                the daemon does not say (API < 1.44) */
} sl_docker_ping_result;

/* GET /_ping; fills 'out'. Also negotiates when not done yet. */
int sl_docker_ping(sl_docker_client *c, sl_docker_ping_result *out,
                   sl_error *err);

typedef struct sl_docker_version {
    const char *version;         /* "20.10.24+dfsg1" */
    const char *api_version;     /* "1.41" */
    const char *min_api_version; /* "1.12" */
    const char *os;
    const char *arch;
    const char *kernel_version;
    const char *git_commit;
    json_t *raw;
} sl_docker_version;

/* GET /version; free with sl_docker_version_free(). */
sl_docker_version *sl_docker_version_get(sl_docker_client *c, sl_error *err);
void sl_docker_version_free(sl_docker_version *v);

/* The Swarm section of GET /info, as this daemon sees it. */
typedef struct sl_docker_swarm_state {
    const char *node_id;         /* "" when not in a swarm */
    const char *node_addr;
    const char *local_node_state; /* "inactive", "pending", "active",
                                     "error", "locked" */
    bool control_available;      /* a manager */
    const char *error;
    int64_t managers;            /* known to managers only, else 0 */
    int64_t nodes;
    const char *cluster_id;      /* managers only, else "" */
} sl_docker_swarm_state;

typedef struct sl_docker_info {
    const char *id;
    const char *name;            /* the host's name */
    const char *server_version;
    const char *operating_system; /* "Debian GNU/Linux 12 (bookworm)" */
    const char *os_type;         /* "linux" */
    const char *architecture;    /* "x86_64" */
    const char *kernel_version;
    int64_t ncpu;
    int64_t mem_total;
    sl_docker_swarm_state swarm;
    json_t *raw;
} sl_docker_info;

/* GET /info; free with sl_docker_info_free(). */
sl_docker_info *sl_docker_info_get(sl_docker_client *c, sl_error *err);
void sl_docker_info_free(sl_docker_info *info);

/* Swarm ------------------------------------------------------------------- */

typedef struct sl_docker_swarm_init_req {
    const char *listen_addr;     /* NULL: "0.0.0.0:2377" */
    const char *advertise_addr;  /* "10.0.0.2[:2377]"; NULL: daemon picks */
    const char *data_path_addr;  /* or NULL */
    bool force_new_cluster;
    json_t *spec;                /* a SwarmSpec, borrowed; NULL: defaults */
} sl_docker_swarm_init_req;

/* POST /swarm/init; returns the new node's ID, which the caller frees. */
char *sl_docker_swarm_init(sl_docker_client *c,
                           const sl_docker_swarm_init_req *req,
                           sl_error *err);

typedef struct sl_docker_swarm_join_req {
    const char *join_token;      /* a secret: never traced */
    const char *const *remote_addrs; /* managers, "10.0.0.2:2377" */
    size_t n_remote_addrs;
    const char *listen_addr;     /* NULL: "0.0.0.0:2377" */
    const char *advertise_addr;  /* or NULL */
    const char *data_path_addr;  /* or NULL */
} sl_docker_swarm_join_req;

/* POST /swarm/join. */
int sl_docker_swarm_join(sl_docker_client *c,
                         const sl_docker_swarm_join_req *req, sl_error *err);

/* POST /swarm/leave[?force=1]. */
int sl_docker_swarm_leave(sl_docker_client *c, bool force, sl_error *err);

typedef struct sl_docker_swarm {
    const char *id;
    uint64_t version;            /* for sl_docker_swarm_update() */
    const char *created_at;
    const char *updated_at;
    const char *worker_token;    /* secrets: keep out of logs */
    const char *manager_token;
    json_t *spec;                /* Spec, borrowed from raw */
    json_t *raw;
} sl_docker_swarm;

/* GET /swarm (managers only); free with sl_docker_swarm_free(). */
sl_docker_swarm *sl_docker_swarm_inspect(sl_docker_client *c, sl_error *err);
void sl_docker_swarm_free(sl_docker_swarm *s);

/* POST /swarm/update?version=V with 'spec' (borrowed), rotating the join
 * tokens asked for. */
int sl_docker_swarm_update(sl_docker_client *c, uint64_t version,
                           json_t *spec, bool rotate_worker_token,
                           bool rotate_manager_token, sl_error *err);

/* Inspects the swarm and updates it unchanged but for new join tokens. */
int sl_docker_swarm_rotate_tokens(sl_docker_client *c, bool worker,
                                  bool manager, sl_error *err);

/* Nodes ------------------------------------------------------------------- */

typedef struct sl_docker_node {
    const char *id;
    uint64_t version;            /* for sl_docker_node_update() */
    const char *hostname;
    const char *role;            /* Spec.Role: "manager" or "worker" */
    const char *availability;    /* "active", "pause", "drain" */
    sl_docker_label *labels;     /* Spec.Labels, 'n_labels' of them */
    size_t n_labels;
    const char *os;              /* Description.Platform.OS */
    const char *arch;
    int64_t nano_cpus;
    int64_t memory_bytes;
    const char *engine_version;
    const char *state;           /* Status.State: "ready", "down", ... */
    const char *addr;            /* Status.Addr */
    bool leader;                 /* ManagerStatus.Leader */
    const char *reachability;    /* ManagerStatus.Reachability or "" */
    const char *manager_addr;    /* ManagerStatus.Addr or "" */
    json_t *raw;
} sl_docker_node;

typedef struct sl_docker_node_list {
    sl_docker_node *items;
    size_t count;
} sl_docker_node_list;

/* GET /nodes with 'n' filters (id, name, role, membership, label,
 * node.label); free with sl_docker_node_list_free(). */
sl_docker_node_list *sl_docker_nodes_list(sl_docker_client *c,
                                          const sl_docker_filter *filters,
                                          size_t n, sl_error *err);
void sl_docker_node_list_free(sl_docker_node_list *list);

/* GET /nodes/{ref} by ID, ID prefix or hostname; free with
 * sl_docker_node_free(). */
sl_docker_node *sl_docker_node_inspect(sl_docker_client *c, const char *ref,
                                       sl_error *err);
void sl_docker_node_free(sl_docker_node *node);

/* A whole NodeSpec: what the node is to become. */
typedef struct sl_docker_node_spec {
    const char *role;            /* "manager" or "worker" */
    const char *availability;    /* "active", "pause" or "drain" */
    const sl_docker_label *labels;
    size_t n_labels;
} sl_docker_node_spec;

/* POST /nodes/{id}/update?version=V with 'spec'. */
int sl_docker_node_update(sl_docker_client *c, const char *id,
                          uint64_t version, const sl_docker_node_spec *spec,
                          sl_error *err);

/* Inspects node 'ref' and updates it with 'n' labels added (or replaced),
 * keeping its role, availability and other labels. */
int sl_docker_node_add_labels(sl_docker_client *c, const char *ref,
                              const sl_docker_label *labels, size_t n,
                              sl_error *err);

/* DELETE /nodes/{ref}[?force=1]. */
int sl_docker_node_remove(sl_docker_client *c, const char *ref, bool force,
                          sl_error *err);

/* Services ---------------------------------------------------------------- */

typedef struct sl_docker_port {
    uint16_t target;             /* port inside the task */
    uint16_t published;          /* 0: the swarm picks one */
    const char *protocol;        /* NULL: "tcp" */
    const char *publish_mode;    /* NULL: "ingress"; or "host" */
} sl_docker_port;

/* A service in the terms of `docker service create`. Strings and arrays
 * are borrowed. */
typedef struct sl_docker_service_def {
    const char *name;
    const char *image;
    const char *const *command;  /* command and arguments, as after the
                                    image on the CLI (ContainerSpec.Args) */
    size_t n_command;
    bool global;                 /* one task per node; else replicated */
    uint64_t replicas;           /* replicated only */
    const char *const *constraints; /* "node.labels.os == linux" */
    size_t n_constraints;
    const sl_docker_label *labels;  /* service labels */
    size_t n_labels;
    const char *const *env;      /* "KEY=value" */
    size_t n_env;
    int64_t limit_nano_cpus;     /* 0: none */
    int64_t limit_memory_bytes;
    int64_t reserve_nano_cpus;
    int64_t reserve_memory_bytes;
    const char *const *networks; /* names or IDs */
    size_t n_networks;
    const sl_docker_port *ports;
    size_t n_ports;
} sl_docker_service_def;

/* The ServiceSpec for 'def', as a new reference the caller owns;
 * SL_ERR_INVALID when 'def' lacks a name or an image. */
json_t *sl_docker_service_spec_build(const sl_docker_service_def *def,
                                     sl_error *err);

/* POST /services/create with 'spec' (borrowed); returns the service ID,
 * which the caller frees. */
char *sl_docker_service_create(sl_docker_client *c, json_t *spec,
                               sl_error *err);

typedef struct sl_docker_service {
    const char *id;
    uint64_t version;            /* for sl_docker_service_update() */
    const char *name;
    const char *image;
    const char *mode;            /* "replicated", "global",
                                    "replicated-job", "global-job" */
    uint64_t replicas;           /* replicated only */
    sl_docker_label *labels;
    size_t n_labels;
    const char **constraints;
    size_t n_constraints;
    uint64_t running_tasks;      /* ServiceStatus, when asked for */
    uint64_t desired_tasks;
    const char *created_at;
    const char *updated_at;
    json_t *spec;                /* Spec, borrowed from raw */
    json_t *raw;
} sl_docker_service;

typedef struct sl_docker_service_list {
    sl_docker_service *items;
    size_t count;
} sl_docker_service_list;

/* GET /services with 'n' filters (id, name, label, mode) and, when
 * 'status', running and desired task counts; free with
 * sl_docker_service_list_free(). */
sl_docker_service_list *sl_docker_services_list(sl_docker_client *c,
                                                const sl_docker_filter *f,
                                                size_t n, bool status,
                                                sl_error *err);
void sl_docker_service_list_free(sl_docker_service_list *list);

/* GET /services/{ref}?insertDefaults=false by ID, ID prefix or name; free
 * with sl_docker_service_free(). */
sl_docker_service *sl_docker_service_inspect(sl_docker_client *c,
                                             const char *ref, sl_error *err);
void sl_docker_service_free(sl_docker_service *svc);

/* POST /services/{id}/update?version=V with 'spec' (borrowed). */
int sl_docker_service_update(sl_docker_client *c, const char *id,
                             uint64_t version, json_t *spec, sl_error *err);

/* Inspects replicated service 'ref' and updates it to 'replicas' tasks;
 * SL_ERR_INVALID for a global service. */
int sl_docker_service_scale(sl_docker_client *c, const char *ref,
                            uint64_t replicas, sl_error *err);

/* DELETE /services/{ref}. */
int sl_docker_service_remove(sl_docker_client *c, const char *ref,
                             sl_error *err);

/* Tasks ------------------------------------------------------------------- */

typedef struct sl_docker_task {
    const char *id;
    uint64_t version;
    const char *service_id;
    const char *node_id;         /* "" until scheduled */
    int64_t slot;                /* 0 for global services */
    const char *desired_state;   /* "running", "shutdown", ... */
    const char *state;           /* Status.State */
    const char *message;         /* Status.Message */
    const char *error;           /* Status.Err */
    const char *container_id;
    const char *timestamp;       /* Status.Timestamp */
    json_t *raw;
} sl_docker_task;

typedef struct sl_docker_task_list {
    sl_docker_task *items;
    size_t count;
} sl_docker_task_list;

/* GET /tasks with 'n' filters (id, name, service, node, label,
 * desired-state); free with sl_docker_task_list_free(). */
sl_docker_task_list *sl_docker_tasks_list(sl_docker_client *c,
                                          const sl_docker_filter *filters,
                                          size_t n, sl_error *err);
void sl_docker_task_list_free(sl_docker_task_list *list);

/* Networks ---------------------------------------------------------------- */

typedef struct sl_docker_network_def {
    const char *name;
    const char *driver;          /* "overlay"; NULL: the daemon's default */
    bool attachable;
    bool internal;
    const sl_docker_label *labels;
    size_t n_labels;
} sl_docker_network_def;

/* POST /networks/create; returns the network ID, which the caller frees. */
char *sl_docker_network_create(sl_docker_client *c,
                               const sl_docker_network_def *def,
                               sl_error *err);

typedef struct sl_docker_network {
    const char *id;
    const char *name;
    const char *driver;
    const char *scope;           /* "local" or "swarm" */
    bool attachable;
    bool internal;
    bool ingress;
    sl_docker_label *labels;
    size_t n_labels;
    json_t *raw;
} sl_docker_network;

typedef struct sl_docker_network_list {
    sl_docker_network *items;
    size_t count;
} sl_docker_network_list;

/* GET /networks with 'n' filters (name, id, driver, label, scope); free
 * with sl_docker_network_list_free(). */
sl_docker_network_list *sl_docker_networks_list(sl_docker_client *c,
                                                const sl_docker_filter *f,
                                                size_t n, sl_error *err);
void sl_docker_network_list_free(sl_docker_network_list *list);

/* DELETE /networks/{ref}. */
int sl_docker_network_remove(sl_docker_client *c, const char *ref,
                             sl_error *err);

/* Images ------------------------------------------------------------------ */

/* Imports 'len' bytes of 'tar' (a root file system as a tarball, plain or
 * compressed) as image 'ref' ("bb:1", "registry:5000/team/app:2"), as
 * `docker import - REF` does: POST /images/create?fromSrc=-. The daemon
 * answers with a stream of JSON messages; an error inside that stream is
 * SL_ERR_API with the daemon's message and the stream's status (200).
 * A bad tarball or reference is refused by the daemon (SL_ERR_API, 500 or
 * 400). Returns the new image's ID ("sha256:..."), which the caller
 * frees. */
char *sl_docker_image_import(sl_docker_client *c, const char *ref,
                             const void *tar, size_t len, sl_error *err);

typedef struct sl_docker_image {
    const char *id;              /* "sha256:..." */
    const char **repo_tags;      /* "bb:1"; a list shows an untagged image
                                    as "<none>:<none>", inspect as none */
    size_t n_repo_tags;
    int64_t size;                /* bytes */
    json_t *raw;
} sl_docker_image;

typedef struct sl_docker_image_list {
    sl_docker_image *items;
    size_t count;
} sl_docker_image_list;

/* GET /images/json: the daemon's images, newest first; free with
 * sl_docker_image_list_free(). */
sl_docker_image_list *sl_docker_images_list(sl_docker_client *c,
                                            sl_error *err);
void sl_docker_image_list_free(sl_docker_image_list *list);

/* GET /images/{ref}/json by reference ("bb:1"; no tag means ":latest"),
 * ID or ID prefix; SL_ERR_NOT_FOUND when the daemon has no such image.
 * Free with sl_docker_image_free(). */
sl_docker_image *sl_docker_image_inspect(sl_docker_client *c, const char *ref,
                                         sl_error *err);
void sl_docker_image_free(sl_docker_image *img);

/* Whether 'img' is tagged 'ref' ("bb:1"). */
bool sl_docker_image_has_tag(const sl_docker_image *img, const char *ref);

/* Anything else ----------------------------------------------------------- */

/* 'method' on versioned 'path_query' ("/secrets?filters=..."; already
 * escaped) with 'body' (borrowed, or NULL). Returns the answer as a new
 * reference the caller owns: JSON null for an empty answer. */
json_t *sl_docker_call(sl_docker_client *c, const char *method,
                       const char *path_query, json_t *body, sl_error *err);

#endif /* SL_DOCKER_CLIENT_H */
