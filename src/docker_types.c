/* Typed results of the Docker client: read from the daemon's JSON, freed. */
#include "docker_internal.h"

#include <stdlib.h>
#include <string.h>

/* The value at dotted 'path' ("Spec.Mode.Replicated") under 'obj', or
 * NULL; borrowed. */
static json_t *at(json_t *obj, const char *path)
{
    char key[64];

    while (obj && *path) {
        size_t len = strcspn(path, ".");

        if (len >= sizeof(key))
            return NULL;
        memcpy(key, path, len);
        key[len] = '\0';
        obj = json_object_get(obj, key);
        path += len;
        if (*path == '.')
            path++;
    }
    return obj;
}

static const char *str_at(json_t *obj, const char *path)
{
    const char *s = json_string_value(at(obj, path));

    return s ? s : "";
}

static int64_t int_at(json_t *obj, const char *path)
{
    return (int64_t)json_integer_value(at(obj, path));
}

static bool bool_at(json_t *obj, const char *path)
{
    return json_is_true(at(obj, path));
}

static int malformed(const char *what, const char *key, sl_error *err)
{
    return sl_error_set(err, SL_ERR_PROTOCOL,
                        "malformed %s from the daemon: expected '%s'", what,
                        key);
}

static int nomem(sl_error *err)
{
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

/* Requires 'obj' to be an object with string 'key'. */
static int require(json_t *obj, const char *key, const char *what,
                   sl_error *err)
{
    if (!json_is_object(obj))
        return sl_error_set(err, SL_ERR_PROTOCOL,
                            "malformed %s from the daemon: expected a json "
                            "object", what);
    if (!json_is_string(json_object_get(obj, key)))
        return malformed(what, key, err);
    return 0;
}

/* The string labels of the object at 'path'; an array the caller frees,
 * its strings borrowed from 'obj'. */
static int labels_at(json_t *obj, const char *path, sl_docker_label **out,
                     size_t *n, sl_error *err)
{
    json_t *labels = at(obj, path);
    const char *key;
    json_t *value;

    *out = NULL;
    *n = 0;
    if (!json_is_object(labels) || json_object_size(labels) == 0)
        return 0;
    *out = calloc(json_object_size(labels), sizeof(**out));
    if (!*out)
        return nomem(err);
    json_object_foreach(labels, key, value) {
        (*out)[*n].key = key;
        (*out)[*n].value = json_is_string(value) ? json_string_value(value)
                                                 : "";
        (*n)++;
    }
    return 0;
}

/* The strings of the array at 'path'; an array the caller frees. */
static int strings_at(json_t *obj, const char *path, const char ***out,
                      size_t *n, sl_error *err)
{
    json_t *list = at(obj, path);
    json_t *value;
    size_t i;

    *out = NULL;
    *n = 0;
    if (!json_is_array(list) || json_array_size(list) == 0)
        return 0;
    *out = calloc(json_array_size(list), sizeof(**out));
    if (!*out)
        return nomem(err);
    json_array_foreach(list, i, value) {
        if (json_is_string(value))
            (*out)[(*n)++] = json_string_value(value);
    }
    return 0;
}

/* Engine ------------------------------------------------------------------ */

int sl__docker_version_parse(json_t *obj, sl_docker_version *out,
                             sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (require(obj, "ApiVersion", "version", err) < 0)
        return -1;
    out->raw = json_incref(obj);
    out->version = str_at(obj, "Version");
    out->api_version = str_at(obj, "ApiVersion");
    out->min_api_version = str_at(obj, "MinAPIVersion");
    out->os = str_at(obj, "Os");
    out->arch = str_at(obj, "Arch");
    out->kernel_version = str_at(obj, "KernelVersion");
    out->git_commit = str_at(obj, "GitCommit");
    return 0;
}

int sl__docker_info_parse(json_t *obj, sl_docker_info *out, sl_error *err)
{
    sl_docker_swarm_state *sw = &out->swarm;

    memset(out, 0, sizeof(*out));
    if (require(obj, "ID", "info", err) < 0)
        return -1;
    out->raw = json_incref(obj);
    out->id = str_at(obj, "ID");
    out->name = str_at(obj, "Name");
    out->server_version = str_at(obj, "ServerVersion");
    out->operating_system = str_at(obj, "OperatingSystem");
    out->os_type = str_at(obj, "OSType");
    out->architecture = str_at(obj, "Architecture");
    out->kernel_version = str_at(obj, "KernelVersion");
    out->ncpu = int_at(obj, "NCPU");
    out->mem_total = int_at(obj, "MemTotal");

    sw->node_id = str_at(obj, "Swarm.NodeID");
    sw->node_addr = str_at(obj, "Swarm.NodeAddr");
    sw->local_node_state = str_at(obj, "Swarm.LocalNodeState");
    sw->control_available = bool_at(obj, "Swarm.ControlAvailable");
    sw->error = str_at(obj, "Swarm.Error");
    sw->managers = int_at(obj, "Swarm.Managers");
    sw->nodes = int_at(obj, "Swarm.Nodes");
    sw->cluster_id = str_at(obj, "Swarm.Cluster.ID");
    return 0;
}

/* Swarm and nodes --------------------------------------------------------- */

int sl__docker_swarm_parse(json_t *obj, sl_docker_swarm *out, sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (require(obj, "ID", "swarm", err) < 0)
        return -1;
    if (!json_is_object(at(obj, "Spec")))
        return malformed("swarm", "Spec", err);
    out->raw = json_incref(obj);
    out->id = str_at(obj, "ID");
    out->version = (uint64_t)int_at(obj, "Version.Index");
    out->created_at = str_at(obj, "CreatedAt");
    out->updated_at = str_at(obj, "UpdatedAt");
    out->worker_token = str_at(obj, "JoinTokens.Worker");
    out->manager_token = str_at(obj, "JoinTokens.Manager");
    out->spec = at(obj, "Spec");
    return 0;
}

void sl_docker_swarm_free(sl_docker_swarm *s)
{
    if (!s)
        return;
    json_decref(s->raw);
    free(s);
}

int sl__docker_node_parse(json_t *obj, sl_docker_node *out, sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (require(obj, "ID", "node", err) < 0)
        return -1;
    if (labels_at(obj, "Spec.Labels", &out->labels, &out->n_labels, err) < 0)
        return -1;
    out->raw = json_incref(obj);
    out->id = str_at(obj, "ID");
    out->version = (uint64_t)int_at(obj, "Version.Index");
    out->hostname = str_at(obj, "Description.Hostname");
    out->role = str_at(obj, "Spec.Role");
    out->availability = str_at(obj, "Spec.Availability");
    out->os = str_at(obj, "Description.Platform.OS");
    out->arch = str_at(obj, "Description.Platform.Architecture");
    out->nano_cpus = int_at(obj, "Description.Resources.NanoCPUs");
    out->memory_bytes = int_at(obj, "Description.Resources.MemoryBytes");
    out->engine_version = str_at(obj, "Description.Engine.EngineVersion");
    out->state = str_at(obj, "Status.State");
    out->addr = str_at(obj, "Status.Addr");
    out->leader = bool_at(obj, "ManagerStatus.Leader");
    out->reachability = str_at(obj, "ManagerStatus.Reachability");
    out->manager_addr = str_at(obj, "ManagerStatus.Addr");
    return 0;
}

void sl__docker_node_fini(sl_docker_node *node)
{
    free(node->labels);
    json_decref(node->raw);
    memset(node, 0, sizeof(*node));
}

void sl_docker_node_free(sl_docker_node *node)
{
    if (!node)
        return;
    sl__docker_node_fini(node);
    free(node);
}

void sl_docker_node_list_free(sl_docker_node_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        sl__docker_node_fini(&list->items[i]);
    free(list->items);
    free(list);
}

/* Services, tasks, networks ----------------------------------------------- */

static void service_mode(json_t *obj, sl_docker_service *out)
{
    json_t *mode = at(obj, "Spec.Mode");
    json_t *replicas;

    if (json_object_get(mode, "Global")) {
        out->mode = "global";
    } else if (json_object_get(mode, "ReplicatedJob")) {
        out->mode = "replicated-job";
    } else if (json_object_get(mode, "GlobalJob")) {
        out->mode = "global-job";
    } else {
        out->mode = "replicated";
        replicas = at(mode, "Replicated.Replicas");
        out->replicas = replicas ? (uint64_t)json_integer_value(replicas)
                                 : 1;
    }
}

int sl__docker_service_parse(json_t *obj, sl_docker_service *out,
                             sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (require(obj, "ID", "service", err) < 0)
        return -1;
    if (!json_is_object(at(obj, "Spec")))
        return malformed("service", "Spec", err);
    if (labels_at(obj, "Spec.Labels", &out->labels, &out->n_labels,
                  err) < 0 ||
        strings_at(obj, "Spec.TaskTemplate.Placement.Constraints",
                   &out->constraints, &out->n_constraints, err) < 0) {
        sl__docker_service_fini(out);
        return -1;
    }
    out->raw = json_incref(obj);
    out->id = str_at(obj, "ID");
    out->version = (uint64_t)int_at(obj, "Version.Index");
    out->name = str_at(obj, "Spec.Name");
    out->image = str_at(obj, "Spec.TaskTemplate.ContainerSpec.Image");
    service_mode(obj, out);
    out->running_tasks = (uint64_t)int_at(obj, "ServiceStatus.RunningTasks");
    out->desired_tasks = (uint64_t)int_at(obj, "ServiceStatus.DesiredTasks");
    out->created_at = str_at(obj, "CreatedAt");
    out->updated_at = str_at(obj, "UpdatedAt");
    out->spec = at(obj, "Spec");
    return 0;
}

void sl__docker_service_fini(sl_docker_service *svc)
{
    free(svc->labels);
    free(svc->constraints);
    json_decref(svc->raw);
    memset(svc, 0, sizeof(*svc));
}

void sl_docker_service_free(sl_docker_service *svc)
{
    if (!svc)
        return;
    sl__docker_service_fini(svc);
    free(svc);
}

void sl_docker_service_list_free(sl_docker_service_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        sl__docker_service_fini(&list->items[i]);
    free(list->items);
    free(list);
}

int sl__docker_task_parse(json_t *obj, sl_docker_task *out, sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (require(obj, "ID", "task", err) < 0)
        return -1;
    out->raw = json_incref(obj);
    out->id = str_at(obj, "ID");
    out->version = (uint64_t)int_at(obj, "Version.Index");
    out->service_id = str_at(obj, "ServiceID");
    out->node_id = str_at(obj, "NodeID");
    out->slot = int_at(obj, "Slot");
    out->desired_state = str_at(obj, "DesiredState");
    out->state = str_at(obj, "Status.State");
    out->message = str_at(obj, "Status.Message");
    out->error = str_at(obj, "Status.Err");
    out->container_id = str_at(obj, "Status.ContainerStatus.ContainerID");
    out->timestamp = str_at(obj, "Status.Timestamp");
    return 0;
}

void sl__docker_task_fini(sl_docker_task *task)
{
    json_decref(task->raw);
    memset(task, 0, sizeof(*task));
}

void sl_docker_task_list_free(sl_docker_task_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        sl__docker_task_fini(&list->items[i]);
    free(list->items);
    free(list);
}

int sl__docker_network_parse(json_t *obj, sl_docker_network *out,
                             sl_error *err)
{
    memset(out, 0, sizeof(*out));
    if (require(obj, "Id", "network", err) < 0)
        return -1;
    if (labels_at(obj, "Labels", &out->labels, &out->n_labels, err) < 0)
        return -1;
    out->raw = json_incref(obj);
    out->id = str_at(obj, "Id");
    out->name = str_at(obj, "Name");
    out->driver = str_at(obj, "Driver");
    out->scope = str_at(obj, "Scope");
    out->attachable = bool_at(obj, "Attachable");
    out->internal = bool_at(obj, "Internal");
    out->ingress = bool_at(obj, "Ingress");
    return 0;
}

void sl__docker_network_fini(sl_docker_network *net)
{
    free(net->labels);
    json_decref(net->raw);
    memset(net, 0, sizeof(*net));
}

void sl_docker_network_list_free(sl_docker_network_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        sl__docker_network_fini(&list->items[i]);
    free(list->items);
    free(list);
}

/* Lists ------------------------------------------------------------------- */

typedef int (*item_parse_fn)(json_t *obj, void *out, sl_error *err);
typedef void (*item_fini_fn)(void *item);

/* Parses every element of 'arr' into an array of items of 'size' bytes;
 * on failure the items parsed so far are finished and freed. */
static int parse_items(json_t *arr, size_t size, item_parse_fn parse,
                       item_fini_fn fini, void **items, size_t *count,
                       sl_error *err)
{
    size_t n = json_array_size(arr);
    char *out;
    size_t i;

    *items = NULL;
    *count = 0;
    if (n == 0)
        return 0;
    out = calloc(n, size);
    if (!out)
        return nomem(err);
    for (i = 0; i < n; i++) {
        if (parse(json_array_get(arr, i), out + i * size, err) < 0)
            goto fail;
    }
    *items = out;
    *count = n;
    return 0;

fail:
    while (i-- > 0)
        fini(out + i * size);
    free(out);
    return -1;
}

static int node_parse_v(json_t *obj, void *out, sl_error *err)
{
    return sl__docker_node_parse(obj, out, err);
}

static void node_fini_v(void *item)
{
    sl__docker_node_fini(item);
}

static int service_parse_v(json_t *obj, void *out, sl_error *err)
{
    return sl__docker_service_parse(obj, out, err);
}

static void service_fini_v(void *item)
{
    sl__docker_service_fini(item);
}

static int task_parse_v(json_t *obj, void *out, sl_error *err)
{
    return sl__docker_task_parse(obj, out, err);
}

static void task_fini_v(void *item)
{
    sl__docker_task_fini(item);
}

static int network_parse_v(json_t *obj, void *out, sl_error *err)
{
    return sl__docker_network_parse(obj, out, err);
}

static void network_fini_v(void *item)
{
    sl__docker_network_fini(item);
}

sl_docker_node_list *sl__docker_node_list_parse(json_t *arr, sl_error *err)
{
    sl_docker_node_list *list = calloc(1, sizeof(*list));
    void *items;

    if (!list) {
        nomem(err);
        return NULL;
    }
    if (parse_items(arr, sizeof(sl_docker_node), node_parse_v, node_fini_v,
                    &items, &list->count, err) < 0) {
        free(list);
        return NULL;
    }
    list->items = items;
    return list;
}

sl_docker_service_list *sl__docker_service_list_parse(json_t *arr,
                                                      sl_error *err)
{
    sl_docker_service_list *list = calloc(1, sizeof(*list));
    void *items;

    if (!list) {
        nomem(err);
        return NULL;
    }
    if (parse_items(arr, sizeof(sl_docker_service), service_parse_v,
                    service_fini_v, &items, &list->count, err) < 0) {
        free(list);
        return NULL;
    }
    list->items = items;
    return list;
}

sl_docker_task_list *sl__docker_task_list_parse(json_t *arr, sl_error *err)
{
    sl_docker_task_list *list = calloc(1, sizeof(*list));
    void *items;

    if (!list) {
        nomem(err);
        return NULL;
    }
    if (parse_items(arr, sizeof(sl_docker_task), task_parse_v, task_fini_v,
                    &items, &list->count, err) < 0) {
        free(list);
        return NULL;
    }
    list->items = items;
    return list;
}

sl_docker_network_list *sl__docker_network_list_parse(json_t *arr,
                                                      sl_error *err)
{
    sl_docker_network_list *list = calloc(1, sizeof(*list));
    void *items;

    if (!list) {
        nomem(err);
        return NULL;
    }
    if (parse_items(arr, sizeof(sl_docker_network), network_parse_v,
                    network_fini_v, &items, &list->count, err) < 0) {
        free(list);
        return NULL;
    }
    list->items = items;
    return list;
}
