/* What the Docker client's own files share: requests, parsing, escaping. */
#ifndef SL_DOCKER_INTERNAL_H
#define SL_DOCKER_INTERNAL_H

#include <limits.h>

#include "docker_client.h"

/* Endpoints and the environment (docker_endpoint.c) ----------------------- */

/* sl_docker_endpoint_parse(), naming 'what' ("DOCKER_HOST", "docker
 * host") in messages and in err->where. */
int sl__docker_endpoint_parse(const char *spec, bool tls, const char *what,
                              sl_docker_endpoint *ep, sl_error *err);

/* Checks an API version such as "1.41"; fills major and minor. */
int sl__docker_api_version_parse(const char *text, int *major, int *minor);

/* Storage for the strings a configuration read from the environment
 * points to. */
typedef struct sl__docker_env {
    char host[1024];
    char ca_file[PATH_MAX];
    char cert_file[PATH_MAX];
    char key_file[PATH_MAX];
    char api_version[32];
} sl__docker_env;

/* Completes 'cfg' from the environment where it is unset; its new strings
 * point into 'store'. Errors name the variable. */
int sl__docker_config_from_env(sl_docker_config *cfg, sl__docker_env *store,
                               sl_error *err);

/* Escaping (docker_filters.c) --------------------------------------------- */

/* 's' escaped for one path segment; the caller frees it, NULL when out of
 * memory. */
char *sl__docker_path_escape(const char *s);

/* 'base' ("/nodes") with ?filters= for 'n' filters (none when 0) and then
 * 'tail' ("status=true", or NULL); the caller frees it. */
char *sl__docker_list_path(const char *base, const sl_docker_filter *filters,
                           size_t n, const char *tail, sl_error *err);

/* "'base'/'ref''tail'" with 'ref' escaped as a path segment:
 * ("/nodes/", "abc", "/update?version=3"); the caller frees it. */
char *sl__docker_ref_path(const char *base, const char *ref,
                          const char *tail, sl_error *err);

/* Requests (docker_client.c) ---------------------------------------------- */

/* 'method' on the versioned 'path_query' with 'body' (borrowed, or NULL;
 * 'secret' when it carries a join token). Returns the answer as a new
 * reference of type 'expect' (JSON_NULL accepts any, and an empty answer
 * as null); SL_ERR_PROTOCOL for anything else. */
json_t *sl__docker_json(sl_docker_client *c, const char *method,
                        const char *path_query, json_t *body, bool secret,
                        json_type expect, sl_error *err);

/* Same, for calls whose answer does not matter. */
int sl__docker_do(sl_docker_client *c, const char *method,
                  const char *path_query, json_t *body, bool secret,
                  sl_error *err);

/* 'method' on the versioned 'path_query' with 'len' bytes of 'data' (media
 * type 'type') as the body. Returns the answer's bytes, NUL-terminated, as
 * a string the caller frees, and their number in '*answer_len'. */
char *sl__docker_send(sl_docker_client *c, const char *method,
                      const char *path_query, const void *data, size_t len,
                      const char *type, size_t *answer_len, sl_error *err);

/* 's' escaped for a query value as Go's url.QueryEscape does; the caller
 * frees it, NULL when out of memory. */
char *sl__docker_query_escape(const char *s);

/* sl__docker_json() and sl__docker_do() on sl__docker_ref_path('base',
 * 'ref', 'tail'), with no secret in 'body'. */
json_t *sl__docker_ref_json(sl_docker_client *c, const char *method,
                            const char *base, const char *ref,
                            const char *tail, json_t *body, json_type expect,
                            sl_error *err);
int sl__docker_ref_do(sl_docker_client *c, const char *method,
                      const char *base, const char *ref, const char *tail,
                      json_t *body, sl_error *err);

/* GET of sl__docker_list_path('base', 'filters', 'n', 'tail'): the array
 * answered, a new reference. */
json_t *sl__docker_list_json(sl_docker_client *c, const char *base,
                             const sl_docker_filter *filters, size_t n,
                             const char *tail, sl_error *err);

/* Fills 'err' with SL_ERR_PROTOCOL for an answer to 'method' 'path' that
 * lacks or mistypes 'what'. Always returns -1. */
int sl__docker_bad_answer(sl_docker_client *c, const char *method,
                          const char *path_query, const char *what,
                          sl_error *err);

/* Typed results (docker_types.c) ------------------------------------------ */

/* Each fills '*out' from 'obj' (borrowed; a reference is taken) and
 * returns 0, or -1 with 'err' filled when 'obj' is not the object the API
 * promises. The _fini functions free what the struct holds, not the
 * struct. */
int sl__docker_version_parse(json_t *obj, sl_docker_version *out,
                             sl_error *err);
int sl__docker_info_parse(json_t *obj, sl_docker_info *out, sl_error *err);
int sl__docker_swarm_parse(json_t *obj, sl_docker_swarm *out, sl_error *err);
int sl__docker_node_parse(json_t *obj, sl_docker_node *out, sl_error *err);
void sl__docker_node_fini(sl_docker_node *node);
int sl__docker_service_parse(json_t *obj, sl_docker_service *out,
                             sl_error *err);
void sl__docker_service_fini(sl_docker_service *svc);
int sl__docker_task_parse(json_t *obj, sl_docker_task *out, sl_error *err);
void sl__docker_task_fini(sl_docker_task *task);
int sl__docker_network_parse(json_t *obj, sl_docker_network *out,
                             sl_error *err);
void sl__docker_network_fini(sl_docker_network *net);

/* Lists from the array 'arr' (borrowed); free them with their public
 * _free functions. */
sl_docker_node_list *sl__docker_node_list_parse(json_t *arr, sl_error *err);
sl_docker_service_list *sl__docker_service_list_parse(json_t *arr,
                                                      sl_error *err);
sl_docker_task_list *sl__docker_task_list_parse(json_t *arr, sl_error *err);
sl_docker_network_list *sl__docker_network_list_parse(json_t *arr,
                                                      sl_error *err);

/* The labels of 'n' pairs as a JSON object; a new reference, NULL when out
 * of memory. */
json_t *sl__docker_labels_json(const sl_docker_label *labels, size_t n);

#endif /* SL_DOCKER_INTERNAL_H */
