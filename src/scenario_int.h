/* Internals of the scenario loader shared by its source files. */
#ifndef SL_SCENARIO_INT_H
#define SL_SCENARIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "loader.h"
#include "scenario.h"

/* One reading of a scenario file. */
typedef struct jcx {
    const char *file;            /* as named in messages */
    const char *dir;             /* its directory, for relative paths */
    sl_scenario *sc;
    sl__pool *pool;              /* the scenario's */
    const char **host_names;     /* NULL-ended, for suggestions */
    const char **service_names;  /* NULL-ended, for suggestions */
    int64_t role_boot_ns[2];     /* managers, workers */
    sl_error *err;
} jcx;

/* "FILE: PATH: message" errors; all return -1. */
int sl__j_fail(jcx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int sl__j_nomem(jcx *c);
/* "expected WHAT, got TYPE". */
int sl__j_expected(jcx *c, const char *path, const char *what, json_t *v);

/* The member 'key' of 'obj' (or NULL), its path written to 'sub'. */
json_t *sl__j_member(json_t *obj, const char *key, const char *path,
                     char *sub);

/* Refuses keys of 'obj' not in 'allowed' (NULL-ended), suggesting the
 * closest; keys starting with '_' are comments and pass. */
int sl__j_keys(jcx *c, json_t *obj, const char *path,
               const char *const *allowed);

/* Fails unless 'obj' is an object. */
int sl__j_object(jcx *c, json_t *obj, const char *path);

/* Typed reads; strings are copied into the scenario's arena. */
int sl__j_string(jcx *c, json_t *v, const char *path, const char **out);
int sl__j_int(jcx *c, json_t *v, const char *path, long long min,
              long long max, long long *out);
int sl__j_bool(jcx *c, json_t *v, const char *path, bool *out);
/* One of 'choices' (NULL-ended). */
int sl__j_choice(jcx *c, json_t *v, const char *path,
                 const char *const *choices, const char **out);
/* "20s", "250ms", "1m30s". */
int sl__j_duration(jcx *c, json_t *v, const char *path, int64_t *ns);
/* "2G", "512M" into units of 'unit' bytes, which must divide it. */
int sl__j_size(jcx *c, json_t *v, const char *path, int64_t unit,
               const char *example, int64_t *out);
/* An array of strings. */
int sl__j_strings(jcx *c, json_t *v, const char *path, const char ***out,
                  size_t *n);
/* An object of string values. */
int sl__j_labels(jcx *c, json_t *v, const char *path, sl_docker_label **out,
                 size_t *n);

/* 'rel' against the scenario's directory unless absolute, in the arena;
 * NULL when out of memory. */
const char *sl__j_resolve(jcx *c, const char *rel);

/* The planned host 'name' or, failing that, an error at 'path' naming
 * the closest host. */
const sl_scenario_host *sl__j_host(jcx *c, const char *name,
                                   const char *path);

/* Reads "deploy" (services, networks, compose) into c->sc. */
int sl__j_deploy(jcx *c, json_t *deploy, const char *path);

/* Checks that every replica can be placed (strict_placement). */
int sl__j_check_placement(jcx *c);

/* A service's constraints against the planned hosts: 'fits' is how many
 * replicas they can hold (UINT64_MAX: no limit), 'matching' how many
 * hosts satisfy them. False when they cannot be judged before the run
 * (node.id, engine labels). */
bool sl__j_capacity(jcx *c, const sl_stack_service *svc, size_t *matching,
                    uint64_t *fits);

/* Reads "faults" and "expect" into c->sc. */
int sl__j_faults(jcx *c, json_t *faults, const char *path);
int sl__j_expect(jcx *c, json_t *expect, const char *path);

#endif /* SL_SCENARIO_INT_H */
