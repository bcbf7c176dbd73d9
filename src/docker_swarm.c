/* Swarm membership and nodes through the Docker client. */
#include "docker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_LISTEN_ADDR "0.0.0.0:2377"

static int nomem(sl_error *err)
{
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Swarm ------------------------------------------------------------------- */

char *sl_docker_swarm_init(sl_docker_client *c,
                           const sl_docker_swarm_init_req *req,
                           sl_error *err)
{
    static const sl_docker_swarm_init_req defaults;
    json_t *spec = NULL;
    json_t *body = NULL;
    json_t *answer = NULL;
    char *node_id = NULL;

    if (!req)
        req = &defaults;
    spec = req->spec ? json_incref(req->spec) : json_object();
    body = json_pack("{s:s, s:s, s:s, s:b, s:o}", "ListenAddr",
                     req->listen_addr ? req->listen_addr
                                      : DEFAULT_LISTEN_ADDR,
                     "AdvertiseAddr", or_empty(req->advertise_addr),
                     "DataPathAddr", or_empty(req->data_path_addr),
                     "ForceNewCluster", req->force_new_cluster, "Spec",
                     spec);
    if (!body) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot encode the swarm init request");
        return NULL;
    }

    answer = sl__docker_json(c, "POST", "/swarm/init", body, false,
                             JSON_NULL, err);
    if (!answer)
        goto cleanup;
    if (!json_is_string(answer) || !json_string_length(answer)) {
        sl__docker_bad_answer(c, "POST", "/swarm/init", "a node id string",
                              err);
        goto cleanup;
    }
    node_id = strdup(json_string_value(answer));
    if (!node_id)
        nomem(err);

cleanup:
    json_decref(answer);
    json_decref(body);
    return node_id;
}

int sl_docker_swarm_join(sl_docker_client *c,
                         const sl_docker_swarm_join_req *req, sl_error *err)
{
    json_t *body = NULL;
    json_t *addrs = NULL;
    int ret = -1;

    if (!req->join_token || !*req->join_token || !req->n_remote_addrs)
        return sl_error_set(err, SL_ERR_INVALID,
                            "cannot join a swarm without a join token and a "
                            "manager address");
    addrs = json_array();
    for (size_t i = 0; addrs && i < req->n_remote_addrs; i++) {
        if (json_array_append_new(addrs,
                                  json_string(req->remote_addrs[i])) < 0) {
            sl_error_set(err, SL_ERR_INVALID,
                         "invalid manager address in the join request");
            goto cleanup;
        }
    }
    body = json_pack("{s:s, s:s, s:s, s:O, s:s}", "ListenAddr",
                     req->listen_addr ? req->listen_addr
                                      : DEFAULT_LISTEN_ADDR,
                     "AdvertiseAddr", or_empty(req->advertise_addr),
                     "DataPathAddr", or_empty(req->data_path_addr),
                     "RemoteAddrs", addrs, "JoinToken", req->join_token);
    if (!body) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot encode the swarm join request");
        goto cleanup;
    }
    ret = sl__docker_do(c, "POST", "/swarm/join", body, true, err);

cleanup:
    json_decref(body);
    json_decref(addrs);
    return ret;
}

int sl_docker_swarm_leave(sl_docker_client *c, bool force, sl_error *err)
{
    return sl__docker_do(c, "POST",
                         force ? "/swarm/leave?force=1" : "/swarm/leave",
                         NULL, false, err);
}

sl_docker_swarm *sl_docker_swarm_inspect(sl_docker_client *c, sl_error *err)
{
    sl_docker_swarm *s = NULL;
    json_t *obj = sl__docker_json(c, "GET", "/swarm", NULL, false,
                                  JSON_OBJECT, err);

    if (!obj)
        return NULL;
    s = calloc(1, sizeof(*s));
    if (!s) {
        nomem(err);
    } else if (sl__docker_swarm_parse(obj, s, err) < 0) {
        free(s);
        s = NULL;
    }
    json_decref(obj);
    return s;
}

int sl_docker_swarm_update(sl_docker_client *c, uint64_t version,
                           json_t *spec, bool rotate_worker_token,
                           bool rotate_manager_token, sl_error *err)
{
    char path[160];

    snprintf(path, sizeof(path),
             "/swarm/update?rotateManagerToken=%s"
             "&rotateManagerUnlockKey=false&rotateWorkerToken=%s"
             "&version=%" PRIu64,
             rotate_manager_token ? "true" : "false",
             rotate_worker_token ? "true" : "false", version);
    return sl__docker_do(c, "POST", path, spec, false, err);
}

int sl_docker_swarm_rotate_tokens(sl_docker_client *c, bool worker,
                                  bool manager, sl_error *err)
{
    sl_docker_swarm *s = sl_docker_swarm_inspect(c, err);
    int ret;

    if (!s)
        return -1;
    ret = sl_docker_swarm_update(c, s->version, s->spec, worker, manager,
                                 err);
    sl_docker_swarm_free(s);
    return ret;
}

/* Nodes ------------------------------------------------------------------- */

sl_docker_node_list *sl_docker_nodes_list(sl_docker_client *c,
                                          const sl_docker_filter *filters,
                                          size_t n, sl_error *err)
{
    json_t *arr = sl__docker_list_json(c, "/nodes", filters, n, NULL, err);
    sl_docker_node_list *list = NULL;

    if (arr)
        list = sl__docker_node_list_parse(arr, err);
    json_decref(arr);
    return list;
}

sl_docker_node *sl_docker_node_inspect(sl_docker_client *c, const char *ref,
                                       sl_error *err)
{
    json_t *obj = sl__docker_ref_json(c, "GET", "/nodes/", ref, NULL, NULL,
                                      JSON_OBJECT, err);
    sl_docker_node *node = NULL;

    if (!obj)
        return NULL;
    node = calloc(1, sizeof(*node));
    if (!node) {
        nomem(err);
    } else if (sl__docker_node_parse(obj, node, err) < 0) {
        free(node);
        node = NULL;
    }
    json_decref(obj);
    return node;
}

/* POST /nodes/{id}/update?version=V with the NodeSpec 'spec' (borrowed). */
static int node_update_json(sl_docker_client *c, const char *id,
                            uint64_t version, json_t *spec, sl_error *err)
{
    char tail[48];

    snprintf(tail, sizeof(tail), "/update?version=%" PRIu64, version);
    return sl__docker_ref_do(c, "POST", "/nodes/", id, tail, spec, err);
}

int sl_docker_node_update(sl_docker_client *c, const char *id,
                          uint64_t version, const sl_docker_node_spec *spec,
                          sl_error *err)
{
    json_t *labels = sl__docker_labels_json(spec->labels, spec->n_labels);
    json_t *body = NULL;
    int ret = -1;

    if (!spec->role || !spec->availability) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot update node '%s' without a role and an "
                     "availability", id);
        goto cleanup;
    }
    if (labels)
        body = json_pack("{s:O, s:s, s:s}", "Labels", labels, "Role",
                         spec->role, "Availability", spec->availability);
    if (!body) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot encode the spec of node '%s'", id);
        goto cleanup;
    }
    ret = node_update_json(c, id, version, body, err);

cleanup:
    json_decref(body);
    json_decref(labels);
    return ret;
}

int sl_docker_node_add_labels(sl_docker_client *c, const char *ref,
                              const sl_docker_label *labels, size_t n,
                              sl_error *err)
{
    sl_docker_node *node = sl_docker_node_inspect(c, ref, err);
    json_t *spec = NULL;
    json_t *merged;
    int ret = -1;

    if (!node)
        return -1;
    spec = json_deep_copy(json_object_get(node->raw, "Spec"));
    if (!spec)
        spec = json_object();
    merged = json_object_get(spec, "Labels");
    if (!json_is_object(merged)) {
        merged = json_object();
        if (json_object_set_new(spec, "Labels", merged) < 0)
            merged = NULL;
    }
    for (size_t i = 0; merged && i < n; i++) {
        if (json_object_set_new(merged, labels[i].key,
                                json_string(labels[i].value)) < 0)
            merged = NULL;
    }
    if (!merged) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot encode the labels of node '%s'", ref);
        goto cleanup;
    }
    ret = node_update_json(c, node->id, node->version, spec, err);

cleanup:
    json_decref(spec);
    sl_docker_node_free(node);
    return ret;
}

int sl_docker_node_remove(sl_docker_client *c, const char *ref, bool force,
                          sl_error *err)
{
    return sl__docker_ref_do(c, "DELETE", "/nodes/", ref,
                             force ? "?force=1" : NULL, NULL, err);
}
