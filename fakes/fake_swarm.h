/* The simulated swarm every fake Docker host shares: nodes, services, tasks. */
#ifndef SL_FAKE_SWARM_H
#define SL_FAKE_SWARM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "clock.h"
#include "error.h"

/*
 * One sl_fake_swarm holds every simulated Docker host (engine) and, once a
 * swarm is initialised, the cluster state they share. Hosts are numbered
 * from 0 in the order they were added; every API operation is performed
 * "as seen from" one host, exactly as a request to that host's daemon.
 *
 * Objects are exchanged as jansson values shaped like the Engine API 1.41
 * (the same keys and value types a real dockerd 20.10 sends). Operations
 * that fail fill 'err' with the HTTP status (err->http_status) and the very
 * message a real daemon sends in its {"message": ...} body
 * (err->message), and return -1 or NULL.
 *
 * Returned json_t values are new references owned by the caller; json_t
 * arguments are borrowed.
 *
 * The swarm converges at once: a new task runs as soon as it is placed,
 * a node whose host left or lost power is down at once. Some changes take
 * the time they take on a real swarm, measured on the model's clock: a
 * promoted node joins the raft a second later, a demoted one runs its
 * manager (and is scheduled as a manager) for two more seconds, a join
 * that reaches no manager gives up after dockerd's 20 seconds, and a
 * service update replaces UpdateConfig.Parallelism tasks at a time,
 * UpdateConfig.Delay apart, and completes UpdateConfig.Monitor (5 s)
 * after its last new task started.
 *
 * The model is not thread-safe: callers serialise access with
 * sl_fake_swarm_lock() / sl_fake_swarm_unlock().
 */
typedef struct sl_fake_swarm sl_fake_swarm;

/* Describes one simulated host. Strings are copied. */
typedef struct sl_fake_host_spec {
    const char *hostname;     /* "n2d-mngr-0" */
    const char *addr;         /* address swarm peers use: "10.0.0.2" */
    const char *os;           /* "linux" or "windows"; NULL means linux */
    const char *arch;         /* "x86_64"; NULL means x86_64 */
    int64_t nano_cpus;        /* 0 means 4 CPUs */
    int64_t memory_bytes;     /* 0 means 2 GiB */
    const char *const *engine_labels; /* "key=value" strings ending in
                                       * NULL (dockerd --label), or NULL */
} sl_fake_host_spec;

/* A new empty model. IDs, tokens and placement derive from 'seed' only, so
 * the same calls with the same seed give the same results. 'clock' is
 * borrowed and must outlive the model; timestamps come from it. */
sl_fake_swarm *sl_fake_swarm_new(uint64_t seed, sl_clock *clock);

/* Frees the model; accepts NULL. */
void sl_fake_swarm_free(sl_fake_swarm *fs);

void sl_fake_swarm_lock(sl_fake_swarm *fs);
void sl_fake_swarm_unlock(sl_fake_swarm *fs);

/* Adds a host; returns its index, or -1 with 'err' filled. */
int sl_fake_swarm_add_host(sl_fake_swarm *fs, const sl_fake_host_spec *spec,
                           sl_error *err);

int sl_fake_swarm_host_count(const sl_fake_swarm *fs);

/* The index of the host named 'hostname', or -1. */
int sl_fake_swarm_find_host(const sl_fake_swarm *fs, const char *hostname);

/* Simulates a host losing power (up=false) or coming back (up=true): its
 * node shows down ("heartbeat failure") on the managers, its tasks are
 * replaced elsewhere (the old ones stay "running" until the host answers
 * again), and a manager's loss counts against the raft quorum. */
void sl_fake_swarm_set_host_up(sl_fake_swarm *fs, int host, bool up);

/* False while the host is powered off: its daemon does not answer, and
 * the operations that take an 'err' fail with SL_ERR_CONNECT when made
 * "as seen from" it. */
bool sl_fake_swarm_host_is_up(const sl_fake_swarm *fs, int host);

/* The host's OS, "linux" or "windows" (the _ping Ostype header). */
const char *sl_fake_swarm_host_os(const sl_fake_swarm *fs, int host);

/* Cuts the network between hosts: host i is on side sides[i] (hosts past
 * 'n' on side 0), and hosts on different sides cannot reach each other.
 * The swarm goes on on the side that holds a majority of its managers:
 * there the nodes of other sides show down and their tasks are
 * rescheduled; managers on other sides answer as managers without a
 * leader do. Without such a side no manager has a leader. */
void sl_fake_swarm_partition(sl_fake_swarm *fs, const int *sides, int n);

/* Joins the network again: every host reaches every other. */
void sl_fake_swarm_heal(sl_fake_swarm *fs);

/* With 'offline', no registry is reachable, as in a lab without one: a
 * task placed on a host whose engine does not hold its image is rejected
 * ("No such image: REF") and retried after its restart delay, and nodes
 * that rejected the service's tasks five times in five minutes are tried
 * last. Without it (the default) every image a task names is taken as
 * pulled. */
void sl_fake_swarm_set_offline(sl_fake_swarm *fs, bool offline);

/* Engine level (no swarm needed) ------------------------------------- */

/* GET /version body for 'host' (ApiVersion "1.41", MinAPIVersion "1.12"). */
json_t *sl_fake_version(sl_fake_swarm *fs, int host);

/* GET /info body for 'host', with its Swarm section as seen from it. */
json_t *sl_fake_info(sl_fake_swarm *fs, int host);

/* Swarm ----------------------------------------------------------------- */

/* POST /swarm/init with a SwarmInitRequest; returns the new node ID as a
 * JSON string. */
json_t *sl_fake_swarm_init(sl_fake_swarm *fs, int host, json_t *req,
                           sl_error *err);

/* POST /swarm/join with a SwarmJoinRequest (JoinToken, RemoteAddrs, ...).
 * The token decides the role; a wrong token is refused as dockerd does. */
int sl_fake_swarm_join(sl_fake_swarm *fs, int host, json_t *req,
                       sl_error *err);

/* POST /swarm/leave[?force=1]. */
int sl_fake_swarm_leave(sl_fake_swarm *fs, int host, bool force,
                        sl_error *err);

/* GET /swarm (managers only), including JoinTokens. */
json_t *sl_fake_swarm_inspect(sl_fake_swarm *fs, int host, sl_error *err);

/* POST /swarm/update?version=V[&rotateWorkerToken=..][&rotateManagerToken=..]
 * with a SwarmSpec. */
int sl_fake_swarm_update(sl_fake_swarm *fs, int host, json_t *spec,
                         uint64_t version, bool rotate_worker,
                         bool rotate_manager, sl_error *err);

/* GET /swarm/unlockkey: {"UnlockKey": ""} when autolock is off. */
json_t *sl_fake_swarm_unlockkey(sl_fake_swarm *fs, int host, sl_error *err);

/* Nodes ------------------------------------------------------------------ */

/* GET /nodes with the decoded 'filters' object (may be NULL):
 * id, name, role, membership, label, node.label. */
json_t *sl_fake_nodes_list(sl_fake_swarm *fs, int host, json_t *filters,
                           sl_error *err);

/* GET /nodes/{id}: by full ID, unique ID prefix or hostname. */
json_t *sl_fake_node_inspect(sl_fake_swarm *fs, int host, const char *ref,
                             sl_error *err);

/* POST /nodes/{id}/update?version=V with a NodeSpec (Labels, Role,
 * Availability); the version must match the node's current one. */
int sl_fake_node_update(sl_fake_swarm *fs, int host, const char *ref,
                        uint64_t version, json_t *spec, sl_error *err);

/* DELETE /nodes/{id}[?force=1]. */
int sl_fake_node_remove(sl_fake_swarm *fs, int host, const char *ref,
                        bool force, sl_error *err);

/* Services --------------------------------------------------------------- */

/* POST /services/create with a ServiceSpec; returns {"ID": ...}. Tasks are
 * placed at once, honouring constraints, availability and resources. */
json_t *sl_fake_service_create(sl_fake_swarm *fs, int host, json_t *spec,
                               sl_error *err);

/* GET /services[?status=true] with decoded filters (id, name, label, mode). */
json_t *sl_fake_services_list(sl_fake_swarm *fs, int host, json_t *filters,
                              bool status, sl_error *err);

/* GET /services/{id}: by ID, unique ID prefix or name. */
json_t *sl_fake_service_inspect(sl_fake_swarm *fs, int host, const char *ref,
                                bool insert_defaults, sl_error *err);

/* POST /services/{id}/update?version=V with a ServiceSpec; returns
 * {"Warnings": [...]} or {} as dockerd does. */
json_t *sl_fake_service_update(sl_fake_swarm *fs, int host, const char *ref,
                               uint64_t version, json_t *spec,
                               sl_error *err);

/* DELETE /services/{id}. */
int sl_fake_service_remove(sl_fake_swarm *fs, int host, const char *ref,
                           sl_error *err);

/* Tasks ------------------------------------------------------------------ */

/* GET /tasks with decoded filters (id, name, service, node, label,
 * desired-state, _up-to-date). */
json_t *sl_fake_tasks_list(sl_fake_swarm *fs, int host, json_t *filters,
                           sl_error *err);

/* GET /tasks/{id}. */
json_t *sl_fake_task_inspect(sl_fake_swarm *fs, int host, const char *ref,
                             sl_error *err);

/* Networks, secrets, configs -------------------------------------------- */

/* GET /networks with decoded filters: the host's local networks (bridge,
 * host, none) plus, on managers, the swarm's (ingress, overlays). */
json_t *sl_fake_networks_list(sl_fake_swarm *fs, int host, json_t *filters,
                              sl_error *err);

/* POST /networks/create with a NetworkCreateRequest; returns
 * {"Id": ..., "Warning": ""}. */
json_t *sl_fake_network_create(sl_fake_swarm *fs, int host, json_t *req,
                               sl_error *err);

/* GET /networks/{id}: by ID, unique ID prefix or name. */
json_t *sl_fake_network_inspect(sl_fake_swarm *fs, int host, const char *ref,
                                sl_error *err);

/* DELETE /networks/{id}. */
int sl_fake_network_remove(sl_fake_swarm *fs, int host, const char *ref,
                           sl_error *err);

/* GET /secrets and GET /configs with decoded filters (managers only). */
json_t *sl_fake_secrets_list(sl_fake_swarm *fs, int host, json_t *filters,
                             sl_error *err);
json_t *sl_fake_configs_list(sl_fake_swarm *fs, int host, json_t *filters,
                             sl_error *err);

/* GET /distribution/{name}/json: the image's descriptor, or the daemon's
 * error when the image cannot be resolved (no registry is reachable). */
json_t *sl_fake_distribution_inspect(sl_fake_swarm *fs, int host,
                                     const char *image, sl_error *err);

/* Images (one store per engine, no swarm needed) ------------------------ */

/* POST /images/create?fromSrc=-&repo=R&tag=T: imports the tarball 'body'
 * ('len' bytes, plain or gzipped) into the host's engine, tagged R (with
 * tag T when given, else R's own or "latest"; NULL or "" R: untagged).
 * The tag leaves the image that held it. Returns the new image's ID as a
 * JSON string. A reference or body the daemon refuses fails with its
 * status (400, 500) and words. */
json_t *sl_fake_image_import(sl_fake_swarm *fs, int host, const char *repo,
                             const char *tag, const void *body, size_t len,
                             sl_error *err);

/* GET /images/json: the engine's images, newest first. */
json_t *sl_fake_images_list(sl_fake_swarm *fs, int host, sl_error *err);

/* GET /images/{ref}/json by tag ("bb:1", "bb" for "bb:latest"), ID or ID
 * prefix; 404 "no such image: ..." as the daemon words it. */
json_t *sl_fake_image_inspect(sl_fake_swarm *fs, int host, const char *ref,
                              sl_error *err);

/* Inspection helpers for tests and the scenario runner ------------------ */

/* The node ID of 'host', or NULL when it is not in a swarm. Borrowed. */
const char *sl_fake_swarm_node_id(const sl_fake_swarm *fs, int host);

/* The host's hostname. Borrowed. */
const char *sl_fake_swarm_hostname(const sl_fake_swarm *fs, int host);

/* The host whose node leads the raft of host's swarm, or -1 when 'host'
 * is in no swarm or its swarm has no leader. */
int sl_fake_swarm_leader_host(const sl_fake_swarm *fs, int host);

#endif /* SL_FAKE_SWARM_H */
