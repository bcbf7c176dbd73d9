/* Internals of the simulated swarm, shared by the fake_swarm*.c files only. */
#ifndef SL_FAKE_SWARM_INT_H
#define SL_FAKE_SWARM_INT_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>

#include "fake_swarm.h"

#define FS_ENGINE_VERSION "20.10.24+dfsg1"
#define FS_ID_LEN 25
#define FS_HEX_LEN 64
#define FS_ADDR_MAX 64

/* The messages a real dockerd 20.10.24 sends, verbatim. */
#define FS_MSG_NOT_IN_SWARM_MANAGER                                          \
    "This node is not a swarm manager. Use \"docker swarm init\" or "     \
    "\"docker swarm join\" to connect this node to swarm and try again."
#define FS_MSG_WORKER                                                        \
    "This node is not a swarm manager. Worker nodes can't be used to view " \
    "or modify cluster state. Please run this command on a manager node or " \
    "promote the current node to a manager."
#define FS_MSG_NO_SWARM "This node is not part of a swarm"
#define FS_MSG_SWARM_EXISTS                                                  \
    "This node is already part of a swarm. Use \"docker swarm leave\" to "  \
    "leave this swarm and join another one."
#define FS_MSG_NO_LEADER                                                     \
    "rpc error: code = Unknown desc = The swarm does not have a leader. "   \
    "It's possible that too few managers are online. Make sure more than "  \
    "half of the managers are online."
#define FS_MSG_OUT_OF_SEQUENCE                                               \
    "rpc error: code = Unknown desc = update out of sequence"
#define FS_MSG_JOIN_TIMEOUT                                                  \
    "Timeout was reached before node joined. The attempt to join the swarm " \
    "will continue in the background. Use the \"docker info\" command to "  \
    "see the current swarm status of your node."

/* A growable array of owned or borrowed pointers. */
typedef struct fs_vec {
    void **v;
    size_t n;
    size_t cap;
} fs_vec;

enum fs_role { FS_WORKER = 0, FS_MANAGER = 1 };
enum fs_avail { FS_ACTIVE = 0, FS_PAUSE = 1, FS_DRAIN = 2 };
enum fs_node_state { FS_NODE_UNKNOWN = 0, FS_NODE_DOWN, FS_NODE_READY };

/* Task states in swarmkit's order: later states compare greater. */
enum fs_task_state {
    FS_T_NEW = 0,
    FS_T_PENDING,
    FS_T_ASSIGNED,
    FS_T_ACCEPTED,
    FS_T_PREPARING,
    FS_T_READY,
    FS_T_STARTING,
    FS_T_RUNNING,
    FS_T_COMPLETE,
    FS_T_SHUTDOWN,
    FS_T_FAILED,
    FS_T_REJECTED,
    FS_T_REMOVE,
    FS_T_ORPHANED
};

/* Version index and timestamps of a stored object. */
typedef struct fs_meta {
    uint64_t version;
    int64_t created;
    int64_t updated;
} fs_meta;

/* A network that exists on one engine only (bridge, host, none, ...). */
typedef struct fs_lnet {
    char id[FS_HEX_LEN + 1];
    char *name;
    char *driver;
    int64_t created;
    char subnet[FS_ADDR_MAX];
    char gateway[FS_ADDR_MAX];
    json_t *options;
    json_t *labels;
    bool internal;
    bool attachable;
    bool ipv6;
} fs_lnet;

typedef struct fs_cluster fs_cluster;

/* One simulated Docker host. */
typedef struct fs_host {
    int index;
    char *hostname;
    char *addr;
    char *os;
    char *arch;
    int64_t nano_cpus;
    int64_t memory_bytes;
    json_t *engine_labels;     /* object */
    bool up;
    char engine_id[64];        /* /info "ID" */
    fs_vec lnets;              /* fs_lnet *, owned */
    fs_cluster *cluster;       /* the swarm it takes part in, or NULL */
    char node_id[FS_ID_LEN + 1];
    char node_addr[FS_ADDR_MAX]; /* Swarm.NodeAddr */
    char *join_remote;         /* a join still waiting for its manager */
    int next_pid;
    int nodes_made;            /* how many times it became a node */
    int side;                  /* side of a network partition; hosts on
                                  different sides cannot reach each other */
    fs_vec images;             /* fake_images.c's images, owned */
} fs_host;

/* A swarm node as the managers store it. */
typedef struct fs_node {
    char id[FS_ID_LEN + 1];
    fs_meta meta;
    int host;                  /* index of the host it describes */
    int seq;                   /* creation order, for stable tie-breaks */
    json_t *labels;            /* Spec.Labels */
    char *spec_name;           /* Spec.Name, or NULL */
    int role;                  /* Spec.Role (desired role) */
    int observed_role;         /* the role swarmkit schedules by */
    int64_t role_at;           /* when a demoted node stops its manager
                                * and is seen as a worker, or 0 */
    int availability;
    int state;
    char *message;             /* Status.Message, or NULL */
    char addr[FS_ADDR_MAX];    /* Status.Addr */
    bool raft;                 /* member of the raft cluster */
    int64_t promote_at;        /* when a promotion reaches the raft, or 0 */
    bool leader;
    char raft_addr[FS_ADDR_MAX + 16]; /* ManagerStatus.Addr */
} fs_node;

/* A service and what the orchestrator keeps about it. */
typedef struct fs_service {
    char id[FS_ID_LEN + 1];
    fs_meta meta;
    json_t *spec;              /* ServiceSpec as the daemon renders it */
    json_t *prev_spec;         /* or NULL */
    uint64_t spec_version;     /* bumped when tasks become out of date */
    json_t *update_status;     /* or NULL */
    json_t *endpoint;          /* Endpoint as rendered */
    bool updating;             /* the updater rolls tasks to spec_version */
    int64_t roll_at;           /* when the updater makes its next move */
    bool monitoring;           /* every slot updated; completes at roll_at */
    json_t *rolling;           /* IDs of the new tasks it waits for */
    int update_failures;       /* new tasks of this update that failed */
} fs_service;

/* A task: one replica slot or one node of a global service. */
typedef struct fs_task {
    char id[FS_ID_LEN + 1];
    fs_meta meta;
    char service_id[FS_ID_LEN + 1];
    json_t *service_labels;    /* the service's labels when it was made */
    json_t *spec;              /* TaskSpec as rendered */
    json_t *endpoint_spec;     /* service EndpointSpec it was made for */
    uint64_t spec_version;
    int slot;                  /* 0 for global tasks */
    char node_id[FS_ID_LEN + 1]; /* "" while unassigned */
    int state;
    int desired;
    char *message;
    char *err;                 /* Status.Err, or NULL */
    int64_t status_ts;
    char container_id[FS_HEX_LEN + 1]; /* "" before a container exists */
    int pid;
    int exit_code;
    json_t *addresses;         /* [[network ID, "a.b.c.d/n"], ...] */
    int64_t restart_at;        /* desired "ready": when it may run */
} fs_task;

/* A swarm-scoped network. */
typedef struct fs_network {
    char id[FS_ID_LEN + 1];
    fs_meta meta;
    char *name;
    char *driver;
    json_t *labels;
    json_t *driver_opts;       /* DriverConfiguration options, or NULL */
    json_t *ipam_opts;         /* IPAM driver options, or NULL */
    json_t *spec_ipam;         /* Spec.IPAMOptions as requested, or NULL */
    bool internal;
    bool attachable;
    bool ingress;
    bool ipv6;
    uint32_t base;             /* subnet address, host order */
    int prefix;
    uint32_t gateway;
    uint32_t next_host;
    uint32_t vxlan;
    json_t *lb;                /* {node ID: "a.b.c.d/n"} */
} fs_network;

/* The state a swarm's managers share. */
struct fs_cluster {
    char id[FS_ID_LEN + 1];
    fs_meta meta;
    json_t *spec;              /* Swarm Spec as rendered */
    char digest[51];           /* root CA digest, base36 */
    char worker_secret[FS_ID_LEN + 1];
    char manager_secret[FS_ID_LEN + 1];
    char unlock_key[80];       /* "" when autolock is off */
    json_t *addr_pool;         /* DefaultAddrPool as given, or NULL */
    uint32_t pool_base;
    int pool_prefix;
    uint32_t subnet_size;
    uint32_t data_path_port;
    uint32_t next_subnet;
    uint32_t next_vxlan;
    uint32_t next_port;
    uint64_t raft_index;
    int next_seq;
    fs_vec nodes;              /* fs_node *, owned */
    fs_vec services;           /* fs_service *, owned */
    fs_vec tasks;              /* fs_task *, owned */
    fs_vec networks;           /* fs_network *, owned */
};

struct sl_fake_swarm {
    pthread_mutex_t mu;
    sl_clock *clock;
    uint64_t seed;
    uint64_t rng;
    fs_vec hosts;              /* fs_host *, owned */
    fs_vec clusters;           /* fs_cluster *, owned */
    bool partitioned;          /* hosts' sides matter: see 'side' */
    bool offline;              /* no registry: tasks need local images */
};

/* fake_swarm_util.c: containers, IDs, time, errors, filters --------------- */

int fs_vec_push(fs_vec *vec, void *item);
void fs_vec_remove(fs_vec *vec, size_t i);
void fs_vec_free(fs_vec *vec);

/* Fills 'err' as a daemon answer: 'status' and the message; returns -1. */
int fs_fail(sl_error *err, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Our own failure (not a daemon message), with no HTTP status. */
int fs_fail_own(sl_error *err, sl_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

uint64_t fs_rand(sl_fake_swarm *fs);
/* A new swarmkit-style ID: 25 lowercase base36 characters. */
void fs_new_id(sl_fake_swarm *fs, char out[FS_ID_LEN + 1]);
/* 64 lowercase hex characters from the model's random stream. */
void fs_new_hex(sl_fake_swarm *fs, char out[FS_HEX_LEN + 1]);
/* 64 hex characters that depend on the seed, 'tag' and 'n' only. */
void fs_stable_hex(const sl_fake_swarm *fs, const char *tag, int n,
                   char out[FS_HEX_LEN + 1]);

/* An ID that depends on the seed, 'tag' and 'n' only, not on the order in
 * which concurrent requests happened to arrive. */
void fs_stable_id(const sl_fake_swarm *fs, const char *tag, int n,
                  char out[FS_ID_LEN + 1]);
/* 'nbytes' big-endian bytes as base36, zero-padded to 'width'. */
void fs_base36(const uint8_t *bytes, size_t nbytes, char *out, size_t width);

int64_t fs_now(sl_fake_swarm *fs);
/* A Go-style RFC 3339 timestamp (trailing zeros of the fraction cut). */
json_t *fs_time(int64_t ns);
json_t *fs_version_json(uint64_t index);
/* Bumps the raft index into 'meta' and stamps it with 'now'. */
void fs_touch(fs_cluster *cl, fs_meta *meta, int64_t now);
void fs_meta_new(fs_cluster *cl, fs_meta *meta, int64_t now);

char *fs_strdup(const char *s);
void fs_set_str(char **dst, const char *s);

/* Filters: validates keys against 'accepted' (NULL-terminated); fills
 * 'err' with the daemon's 400 "Invalid filter 'x'" otherwise. */
int fs_filters_check(json_t *filters, const char *const *accepted,
                     sl_error *err);
/* The values given for 'key', as a JSON array of strings (new ref). */
json_t *fs_filter_values(json_t *filters, const char *key);
bool fs_filter_has(json_t *filters, const char *key);
/* True when 'values' is empty or one of them prefixes 's'. */
bool fs_match_prefix(json_t *values, const char *s);
bool fs_match_exact(json_t *values, const char *s);
/* swarmkit's label filter: every "k" or "k=v" of 'values' holds. */
bool fs_match_labels(json_t *labels, json_t *values);

/* Sorts an array of objects by their "ID" (or "Id") string. */
void fs_sort_by_id(json_t *array, const char *key);

int fs_parse_ipv4(const char *s, uint32_t *out);
void fs_format_ipv4(uint32_t a, char *buf, size_t size);
/* The host part of "host:port" (or the whole string) into 'buf'. */
void fs_addr_host(const char *addr, char *buf, size_t size);

/* fake_swarm.c: hosts, clusters, quorum ----------------------------------- */

fs_host *fs_host_at(const sl_fake_swarm *fs, int host);
fs_node *fs_node_by_id(fs_cluster *cl, const char *id);
fs_node *fs_host_node(const sl_fake_swarm *fs, const fs_host *h);
bool fs_node_attached(const sl_fake_swarm *fs, const fs_node *n);
bool fs_node_reachable(const sl_fake_swarm *fs, const fs_node *n);
bool fs_has_quorum(const sl_fake_swarm *fs, const fs_cluster *cl);
/* The node's engine runs a manager: a raft member, or a demoted one that
 * has not stopped its manager yet. */
bool fs_node_runs_manager(const fs_node *n);
fs_node *fs_leader(fs_cluster *cl);

/* The cluster 'host' may control as a manager; fills 'err' with what a
 * worker, an engine outside a swarm or a manager without quorum answers. */
fs_cluster *fs_control(sl_fake_swarm *fs, int host, sl_error *err);

/* Lets the time that passed take effect: promoted nodes become raft
 * members once their manager has started, demoted ones are seen as
 * workers once they hold a worker certificate, and service updates move
 * on to their next tasks. */
void fs_tick(sl_fake_swarm *fs);

/* Elects a leader, refreshes node states and runs the orchestrator. */
void fs_converge(sl_fake_swarm *fs, fs_cluster *cl);

/* A host leaves its swarm (gracefully or because its node was removed). */
void fs_host_detach(sl_fake_swarm *fs, fs_host *h);

/* The Swarm section of the host's /info. */
json_t *fs_swarm_section(sl_fake_swarm *fs, fs_host *h);

/* The swarm's TLSInfo, and its ClusterInfo (with JoinTokens when asked). */
json_t *fs_tls_info(void);
json_t *fs_cluster_info(const fs_cluster *cl, bool tokens);

/* fake_nodes.c ------------------------------------------------------------ */

json_t *fs_node_json(const sl_fake_swarm *fs, const fs_cluster *cl,
                     const fs_node *n);
/* Looks a node up as dockerd does: full ID, hostname, then ID prefix. */
fs_node *fs_node_lookup(fs_cluster *cl, const sl_fake_swarm *fs,
                        const char *ref, sl_error *err);
void fs_node_free(fs_node *n);
/* Plugins an engine of this OS reports, as [{Type, Name}, ...]. */
json_t *fs_engine_plugins(const char *os);

/* fake_services.c --------------------------------------------------------- */

fs_service *fs_service_by_id(fs_cluster *cl, const char *id);
/* Looks a service up as dockerd does: full ID, name, then ID prefix. */
fs_service *fs_service_lookup(fs_cluster *cl, const char *ref,
                              sl_error *err);
void fs_service_free(fs_service *s);
void fs_task_free(fs_task *t);
/* Creates missing tasks, retires stale ones, places pending ones and
 * rolls services being updated on through their tasks. */
void fs_orchestrate(sl_fake_swarm *fs, fs_cluster *cl);
/* True when the updater of a service of 'cl' has a move due by 'now'. */
bool fs_updates_due(const fs_cluster *cl, int64_t now);

/* True when a task of 'cl' waiting out its restart delay is due by 'now'. */
bool fs_restarts_due(const fs_cluster *cl, int64_t now);

/* fake_placement.c -------------------------------------------------------- */

typedef struct fs_constraint {
    char *key;
    bool eq;                   /* == (true) or != (false) */
    char *value;
} fs_constraint;

/* Parses swarmkit constraints; on failure fills 'msg' with swarmkit's own
 * text ("constraint expected one operator from ==, !=") and returns -1. */
int fs_constraints_parse(json_t *exprs, fs_constraint **out, size_t *count,
                         char *msg, size_t msgsize);
void fs_constraints_free(fs_constraint *c, size_t count);
bool fs_constraints_match(const fs_constraint *c, size_t count,
                          const sl_fake_swarm *fs, const fs_node *n);

/* Picks a node for 'task' (replicated) or checks its preassigned node
 * (global). Returns the node, or NULL with the scheduler's explanation
 * ("no suitable node (...)") in 'why'. */
fs_node *fs_place(sl_fake_swarm *fs, fs_cluster *cl, const fs_task *task,
                  char *why, size_t whysize);

/* fake_images.c ----------------------------------------------------------- */

/* Frees the images of an engine's store and the vector itself. */
void fs_images_free(fs_vec *images);

/* True when the engine of 'h' holds the image 'ref' (a tag or an ID). */
bool fs_image_held(fs_host *h, const char *ref);

/* fake_networks.c --------------------------------------------------------- */

fs_network *fs_network_by_id(fs_cluster *cl, const char *id);
/* Resolves a service's network target (ID, name, prefix) to a network. */
fs_network *fs_network_resolve(fs_cluster *cl, const char *ref);
fs_network *fs_ingress(fs_cluster *cl);
/* Creates the cluster's ingress network at init. */
int fs_network_create_ingress(sl_fake_swarm *fs, fs_cluster *cl);
void fs_network_free(fs_network *nw);
/* The next free address of 'nw' as "a.b.c.d/n". */
void fs_network_alloc(fs_network *nw, char *buf, size_t size);
/* The swarmkit Network object tasks carry in NetworksAttachments. */
json_t *fs_network_object(const fs_network *nw);
/* Local networks every engine starts with. */
int fs_host_add_default_networks(sl_fake_swarm *fs, fs_host *h);
/* docker_gwbridge, made when an engine first joins a swarm. */
int fs_host_add_gwbridge(sl_fake_swarm *fs, fs_host *h);
void fs_lnet_free(fs_lnet *ln);

#endif /* SL_FAKE_SWARM_INT_H */
