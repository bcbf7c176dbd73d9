/* Internals of the compose loader shared by compose.c and compose_service.c. */
#ifndef SL_COMPOSE_INT_H
#define SL_COMPOSE_INT_H

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

#include "compose.h"
#include "loader.h"

/* A network as the file declares it (or the implicit "default"). */
typedef struct net_decl {
    const char *key;             /* "front" */
    const char *name;            /* its name: key, given, or "STACK_KEY" */
    const char *driver;          /* NULL: overlay */
    bool external;
    bool attachable;
    bool internal;
    sl_docker_label *labels;
    size_t n_labels;
    bool used;                   /* some service is attached to it */
} net_decl;

/* One reading of a compose file. */
typedef struct ycx {
    yaml_document_t doc;
    bool loaded;                 /* 'doc' needs deleting */
    const char *file;
    const sl_compose_options *opts;
    sl_stack *st;
    sl__pool *pool;              /* the stack's */
    net_decl *nets;
    size_t n_nets;
    sl_error *err;
} ycx;

/* What a node holds, scalars resolved as YAML 1.1 does. */
typedef enum ykind {
    Y_NULL, Y_BOOL, Y_INT, Y_FLOAT, Y_STR, Y_MAP, Y_SEQ
} ykind;

typedef struct yval {
    yaml_node_t *node;
    ykind kind;
    const char *text;            /* scalars, after interpolation; booleans
                                    as "true" or "false" */
    bool truth;                  /* Y_BOOL */
    long long num;               /* Y_INT */
} yval;

/* One key and value of a mapping, merge keys ("<<") expanded. */
typedef struct ypair {
    yaml_node_t *key;
    const char *name;
    yaml_node_t *value;
} ypair;

/* Which keys a mapping takes. Lists end with NULL; 'refused' holds pairs
 * of a key and docker's reason. */
typedef struct key_rules {
    const char *const *handled;
    const char *const *docker_ignores; /* warned: docker ignores them */
    const char *const *unmodelled;     /* warned: swarmlab ignores them */
    const char *const *refused;        /* errors, with docker's reason */
    bool extensions;                   /* "x-" keys are skipped */
} key_rules;

static inline bool isdigit_c(char ch)
{
    return isdigit((unsigned char)ch);
}

static inline bool isalpha_c(char ch)
{
    return isalpha((unsigned char)ch);
}

/* Errors name the node's place and 'path'; all return -1. */
int sl__y_fail(ycx *c, const yaml_node_t *n, const char *path,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int sl__y_nomem(ycx *c);
/* "expected WHAT, got KIND". */
int sl__y_expected(ycx *c, const yval *v, const char *path, const char *what);

/* A warning at the node, or an error in strict mode. Returns 0 or -1. */
int sl__y_warn(ycx *c, const yaml_node_t *n, const char *path,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Resolves 'n' (NULL is null) into 'out'. */
int sl__y_value(ycx *c, yaml_node_t *n, const char *path, yval *out);

/* Typed reads of one node; strings are borrowed from the document or the
 * arena and live as long as the stack when copied with the arena. */
int sl__y_string(ycx *c, yaml_node_t *n, const char *path, const char **out);
/* Any scalar as text; null gives NULL when 'null_ok'. */
int sl__y_text(ycx *c, yaml_node_t *n, const char *path, bool null_ok,
               const char **out);
/* A map value as docker turns it into text (Go's fmt.Sprint: integers in
 * decimal, floats shortest, booleans "true"/"false"); null gives NULL. */
int sl__y_go_text(ycx *c, yaml_node_t *n, const char *path,
                  const char **out);
int sl__y_uint(ycx *c, yaml_node_t *n, const char *path, uint64_t *out);
int sl__y_bool(ycx *c, yaml_node_t *n, const char *path, bool *out);

/* The pairs of a mapping and the items of a sequence, in arena arrays. */
int sl__y_pairs(ycx *c, yaml_node_t *n, const char *path, ypair **out,
                size_t *count);
int sl__y_items(ycx *c, yaml_node_t *n, const char *path,
                yaml_node_t ***out, size_t *count);

/* 1: the key is to be read; 0: skip it (warned, or an extension); -1. */
int sl__y_check_key(ycx *c, const key_rules *r, const ypair *p,
                    const char *path);

/* Labels as a list of "KEY=value" or a mapping. */
int sl__y_labels(ycx *c, yaml_node_t *n, const char *path,
                 sl_docker_label **out, size_t *count);

/* The declared network 'key' (or the implicit "default"), or NULL. */
net_decl *sl__y_network(ycx *c, const char *key);

/* Reads the services mapping into c->st. */
int sl__y_services(ycx *c, yaml_node_t *services);

#endif /* SL_COMPOSE_INT_H */
