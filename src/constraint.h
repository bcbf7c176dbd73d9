/* Placement constraints as swarmkit parses and matches them. */
#ifndef SL_CONSTRAINT_H
#define SL_CONSTRAINT_H

#include <stdbool.h>
#include <stddef.h>

#include "docker_client.h"
#include "error.h"

/*
 * A constraint is "KEY == VALUE" or "KEY != VALUE", spaces around the
 * operator optional. Parsing follows swarmkit: the key is letters, digits,
 * '_', '-' and '.'; the value letters, digits, spaces and : - _ . * ( ) ?
 * + [ ] \ ^ $ | /. Values compare without regard to case; label keys with
 * it. A key swarmkit does not know parses (the daemon accepts it) but
 * never matches, not even with "!=". With 'strict' the parser refuses
 * such keys instead, and a node.role that is neither manager nor worker:
 * what the scenario and compose loaders use to catch typos early.
 */

#define SL_CONSTRAINT_TEXT_MAX 256

typedef enum sl_constraint_kind {
    SL_CONSTRAINT_NODE_ID,
    SL_CONSTRAINT_NODE_HOSTNAME,
    SL_CONSTRAINT_NODE_ROLE,
    SL_CONSTRAINT_NODE_OS,     /* node.platform.os */
    SL_CONSTRAINT_NODE_ARCH,   /* node.platform.arch */
    SL_CONSTRAINT_NODE_LABEL,  /* node.labels.LABEL */
    SL_CONSTRAINT_ENGINE_LABEL, /* engine.labels.LABEL */
    SL_CONSTRAINT_UNKNOWN      /* parses, never matches */
} sl_constraint_kind;

typedef struct sl_constraint {
    sl_constraint_kind kind;
    bool equal;                       /* == (true) or != (false) */
    char key[SL_CONSTRAINT_TEXT_MAX]; /* as written: "node.labels.os" */
    char label[SL_CONSTRAINT_TEXT_MAX]; /* for labels: "os"; else "" */
    char value[SL_CONSTRAINT_TEXT_MAX]; /* "linux" */
} sl_constraint;

/* What a constraint is matched against. Strings may be NULL (as ""). */
typedef struct sl_constraint_node {
    const char *id;
    const char *hostname;
    const char *role;                 /* "manager" or "worker" */
    const char *os;                   /* "linux" */
    const char *arch;                 /* "x86_64" */
    const sl_docker_label *labels;    /* node labels */
    size_t n_labels;
    const sl_docker_label *engine_labels; /* dockerd --label */
    size_t n_engine_labels;
} sl_constraint_node;

/* Parses 'expr' into 'out'. Returns 0, or -1 with 'err' filled
 * (SL_ERR_INVALID) and a message without the expression's place:
 * "expected one operator from ==, !=", "key 'a b' is invalid",
 * "unknown constraint key 'node.lables.os' (did you mean
 * 'node.labels.os'?)". */
int sl_constraint_parse(const char *expr, bool strict, sl_constraint *out,
                        sl_error *err);

/* Parses 'n' expressions into an array the caller frees with free(); an
 * empty array (not NULL) when 'n' is 0. The message of a failure names the
 * expression. */
sl_constraint *sl_constraints_parse(const char *const *exprs, size_t n,
                                    bool strict, sl_error *err);

/* Whether 'node' satisfies 'c' as swarmkit decides. */
bool sl_constraint_match(const sl_constraint *c,
                         const sl_constraint_node *node);

/* Whether 'node' satisfies all 'n' constraints (true when 'n' is 0). */
bool sl_constraints_match(const sl_constraint *c, size_t n,
                          const sl_constraint_node *node);

/* The expression back as docker shows it: "node.role == worker". */
void sl_constraint_format(const sl_constraint *c, char *buf, size_t size);

#endif /* SL_CONSTRAINT_H */
