/* Services, tasks and networks through the Docker client. */
#include "docker_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_build.h"

static int nomem(sl_error *err)
{
    return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

/* The spec builder -------------------------------------------------------- */

static json_t *resources_json(int64_t nano_cpus, int64_t memory)
{
    json_t *r = json_object();

    if (nano_cpus && !sl__set(r, "NanoCPUs", json_integer(nano_cpus)))
        goto fail;
    if (memory && !sl__set(r, "MemoryBytes", json_integer(memory)))
        goto fail;
    return r;

fail:
    json_decref(r);
    return NULL;
}

static json_t *task_template(const sl_docker_service_def *def)
{
    json_t *tt = json_object();
    json_t *cs = json_object();
    json_t *res = json_object();
    json_t *nets = json_array();
    bool ok = sl__set(tt, "ContainerSpec", cs);

    if (!sl__set(tt, "Resources", res) || !ok)
        goto fail;
    if (!sl__set(cs, "Image", json_string(def->image)))
        goto fail;
    if (def->n_command &&
        !sl__set(cs, "Args",
                 sl__string_array(def->command, def->n_command)))
        goto fail;
    if (def->n_env &&
        !sl__set(cs, "Env", sl__string_array(def->env, def->n_env)))
        goto fail;
    if ((def->limit_nano_cpus || def->limit_memory_bytes) &&
        !sl__set(res, "Limits", resources_json(def->limit_nano_cpus,
                                               def->limit_memory_bytes)))
        goto fail;
    if ((def->reserve_nano_cpus || def->reserve_memory_bytes) &&
        !sl__set(res, "Reservations",
                 resources_json(def->reserve_nano_cpus,
                                def->reserve_memory_bytes)))
        goto fail;
    if (def->n_constraints &&
        !sl__set(tt, "Placement",
                 json_pack("{s:o}", "Constraints",
                           sl__string_array(def->constraints,
                                            def->n_constraints))))
        goto fail;
    for (size_t i = 0; nets && i < def->n_networks; i++) {
        if (json_array_append_new(nets, json_pack("{s:s}", "Target",
                                                  def->networks[i])) < 0)
            goto fail;
    }
    if (def->n_networks && !sl__set(tt, "Networks", json_incref(nets)))
        goto fail;
    json_decref(nets);
    return tt;

fail:
    json_decref(nets);
    json_decref(tt);
    return NULL;
}

static json_t *endpoint_spec(const sl_docker_service_def *def)
{
    json_t *ports = json_array();

    for (size_t i = 0; ports && i < def->n_ports; i++) {
        const sl_docker_port *p = &def->ports[i];
        json_t *port = json_pack("{s:s, s:i}", "Protocol",
                                 p->protocol ? p->protocol : "tcp",
                                 "TargetPort", (int)p->target);
        bool ok = !p->published ||
                  sl__set(port, "PublishedPort", json_integer(p->published));

        ok = sl__set(port, "PublishMode",
                     json_string(p->publish_mode ? p->publish_mode
                                                 : "ingress")) && ok;
        if (!ok)
            json_decref(port);
        if (!ok || json_array_append_new(ports, port) < 0) {
            json_decref(ports);
            return NULL;
        }
    }
    return json_pack("{s:o}", "Ports", ports);
}

json_t *sl_docker_service_spec_build(const sl_docker_service_def *def,
                                     sl_error *err)
{
    json_t *spec = NULL;
    json_t *mode;

    if (!def->name || !*def->name || !def->image || !*def->image) {
        sl_error_set(err, SL_ERR_INVALID,
                     "a service needs a name and an image");
        return NULL;
    }
    for (size_t i = 0; i < def->n_ports; i++) {
        if (!def->ports[i].target) {
            sl_error_set(err, SL_ERR_INVALID,
                         "service '%s': port %zu has no target port",
                         def->name, i + 1);
            return NULL;
        }
    }

    spec = json_object();
    if (!sl__set(spec, "Name", json_string(def->name)) ||
        !sl__set(spec, "Labels", sl__docker_labels_json(def->labels,
                                                        def->n_labels)) ||
        !sl__set(spec, "TaskTemplate", task_template(def)))
        goto fail;
    if (def->global)
        mode = json_pack("{s:{}}", "Global");
    else
        mode = json_pack("{s:{s:I}}", "Replicated", "Replicas",
                         (json_int_t)(def->replicas ? def->replicas : 1));
    if (!sl__set(spec, "Mode", mode))
        goto fail;
    if (def->n_ports && !sl__set(spec, "EndpointSpec", endpoint_spec(def)))
        goto fail;
    return spec;

fail:
    json_decref(spec);
    sl_error_set(err, SL_ERR_INVALID,
                 "cannot encode service '%s': a string is missing or not "
                 "utf-8", def->name);
    return NULL;
}

/* Services ---------------------------------------------------------------- */

char *sl_docker_service_create(sl_docker_client *c, json_t *spec,
                               sl_error *err)
{
    json_t *answer = sl__docker_json(c, "POST", "/services/create", spec,
                                     false, JSON_OBJECT, err);
    const char *id;
    char *out = NULL;

    if (!answer)
        return NULL;
    id = json_string_value(json_object_get(answer, "ID"));
    if (!id || !*id)
        sl__docker_bad_answer(c, "POST", "/services/create",
                              "an 'ID' string", err);
    else if (!(out = strdup(id)))
        nomem(err);
    json_decref(answer);
    return out;
}

sl_docker_service_list *sl_docker_services_list(sl_docker_client *c,
                                                const sl_docker_filter *f,
                                                size_t n, bool status,
                                                sl_error *err)
{
    json_t *arr = sl__docker_list_json(c, "/services", f, n,
                                       status ? "status=true" : NULL, err);
    sl_docker_service_list *list = NULL;

    if (arr)
        list = sl__docker_service_list_parse(arr, err);
    json_decref(arr);
    return list;
}

sl_docker_service *sl_docker_service_inspect(sl_docker_client *c,
                                             const char *ref, sl_error *err)
{
    json_t *obj = sl__docker_ref_json(c, "GET", "/services/", ref,
                                      "?insertDefaults=false", NULL,
                                      JSON_OBJECT, err);
    sl_docker_service *svc = NULL;

    if (!obj)
        return NULL;
    svc = calloc(1, sizeof(*svc));
    if (!svc) {
        nomem(err);
    } else if (sl__docker_service_parse(obj, svc, err) < 0) {
        free(svc);
        svc = NULL;
    }
    json_decref(obj);
    return svc;
}

int sl_docker_service_update(sl_docker_client *c, const char *id,
                             uint64_t version, json_t *spec, sl_error *err)
{
    char tail[48];

    snprintf(tail, sizeof(tail), "/update?version=%" PRIu64, version);
    return sl__docker_ref_do(c, "POST", "/services/", id, tail, spec, err);
}

int sl_docker_service_scale(sl_docker_client *c, const char *ref,
                            uint64_t replicas, sl_error *err)
{
    sl_docker_service *svc = sl_docker_service_inspect(c, ref, err);
    json_t *spec = NULL;
    int ret = -1;

    if (!svc)
        return -1;
    if (strcmp(svc->mode, "replicated")) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot scale '%s': it is a %s service", ref,
                     svc->mode);
        goto cleanup;
    }
    spec = json_deep_copy(svc->spec);
    if (!spec ||
        !sl__set(spec, "Mode", json_pack("{s:{s:I}}", "Replicated",
                                         "Replicas", (json_int_t)replicas))) {
        nomem(err);
        goto cleanup;
    }
    ret = sl_docker_service_update(c, svc->id, svc->version, spec, err);

cleanup:
    json_decref(spec);
    sl_docker_service_free(svc);
    return ret;
}

int sl_docker_service_remove(sl_docker_client *c, const char *ref,
                             sl_error *err)
{
    return sl__docker_ref_do(c, "DELETE", "/services/", ref, NULL, NULL,
                             err);
}

/* Tasks ------------------------------------------------------------------- */

sl_docker_task_list *sl_docker_tasks_list(sl_docker_client *c,
                                          const sl_docker_filter *filters,
                                          size_t n, sl_error *err)
{
    json_t *arr = sl__docker_list_json(c, "/tasks", filters, n, NULL, err);
    sl_docker_task_list *list = NULL;

    if (arr)
        list = sl__docker_task_list_parse(arr, err);
    json_decref(arr);
    return list;
}

/* Networks ---------------------------------------------------------------- */

char *sl_docker_network_create(sl_docker_client *c,
                               const sl_docker_network_def *def,
                               sl_error *err)
{
    json_t *body = NULL;
    json_t *answer = NULL;
    const char *id;
    char *out = NULL;

    if (!def->name || !*def->name) {
        sl_error_set(err, SL_ERR_INVALID, "a network needs a name");
        return NULL;
    }
    body = json_pack("{s:s, s:b, s:b, s:b, s:o}", "Name", def->name,
                     "CheckDuplicate", 1, "Internal", def->internal,
                     "Attachable", def->attachable, "Labels",
                     sl__docker_labels_json(def->labels, def->n_labels));
    if (body && def->driver &&
        !sl__set(body, "Driver", json_string(def->driver))) {
        json_decref(body);
        body = NULL;
    }
    if (!body) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot encode network '%s': a string is not utf-8",
                     def->name);
        return NULL;
    }

    answer = sl__docker_json(c, "POST", "/networks/create", body, false,
                             JSON_OBJECT, err);
    if (!answer)
        goto cleanup;
    id = json_string_value(json_object_get(answer, "Id"));
    if (!id || !*id)
        sl__docker_bad_answer(c, "POST", "/networks/create",
                              "an 'Id' string", err);
    else if (!(out = strdup(id)))
        nomem(err);

cleanup:
    json_decref(answer);
    json_decref(body);
    return out;
}

sl_docker_network_list *sl_docker_networks_list(sl_docker_client *c,
                                                const sl_docker_filter *f,
                                                size_t n, sl_error *err)
{
    json_t *arr = sl__docker_list_json(c, "/networks", f, n, NULL, err);
    sl_docker_network_list *list = NULL;

    if (arr)
        list = sl__docker_network_list_parse(arr, err);
    json_decref(arr);
    return list;
}

int sl_docker_network_remove(sl_docker_client *c, const char *ref,
                             sl_error *err)
{
    return sl__docker_ref_do(c, "DELETE", "/networks/", ref, NULL, NULL,
                             err);
}
