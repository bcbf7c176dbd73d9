/* Placement constraints as swarmkit parses and matches them. */
#include "constraint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loader.h"

#define NODE_LABEL_PREFIX "node.labels."
#define ENGINE_LABEL_PREFIX "engine.labels."

static const struct {
    const char *key;
    sl_constraint_kind kind;
} fixed_keys[] = {
    {"node.id", SL_CONSTRAINT_NODE_ID},
    {"node.hostname", SL_CONSTRAINT_NODE_HOSTNAME},
    {"node.role", SL_CONSTRAINT_NODE_ROLE},
    {"node.platform.os", SL_CONSTRAINT_NODE_OS},
    {"node.platform.arch", SL_CONSTRAINT_NODE_ARCH},
};

#define N_FIXED (sizeof(fixed_keys) / sizeof(fixed_keys[0]))

/* swarmkit: ^(?i)[a-z_][a-z0-9\-_.]+$ */
static bool valid_key(const char *k)
{
    if (!(isalpha((unsigned char)k[0]) || k[0] == '_') || !k[1])
        return false;
    for (k++; *k; k++) {
        if (!isalnum((unsigned char)*k) && !strchr("-_.", *k))
            return false;
    }
    return true;
}

/* swarmkit: ^(?i)[a-z0-9:\-_\s\.\*\(\)\?\+\[\]\\\^\$\|\/]+$ */
static bool valid_value(const char *v)
{
    if (!*v)
        return false;
    for (; *v; v++) {
        if (!isalnum((unsigned char)*v) && !isspace((unsigned char)*v) &&
            !strchr(":-_.*()?+[]\\^$|/", *v))
            return false;
    }
    return true;
}

/* Copies 'len' bytes of 's' without surrounding spaces into 'out'. */
static int copy_trimmed(const char *s, size_t len, char *out, size_t size)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    if (len >= size)
        return -1;
    memcpy(out, s, len);
    out[len] = '\0';
    return 0;
}

static void classify(sl_constraint *c)
{
    size_t i;

    c->kind = SL_CONSTRAINT_UNKNOWN;
    c->label[0] = '\0';
    for (i = 0; i < N_FIXED; i++) {
        if (!strcasecmp(c->key, fixed_keys[i].key)) {
            c->kind = fixed_keys[i].kind;
            return;
        }
    }
    if (!strncmp(c->key, NODE_LABEL_PREFIX, strlen(NODE_LABEL_PREFIX))) {
        c->kind = SL_CONSTRAINT_NODE_LABEL;
        snprintf(c->label, sizeof(c->label), "%s",
                 c->key + strlen(NODE_LABEL_PREFIX));
    } else if (!strncmp(c->key, ENGINE_LABEL_PREFIX,
                        strlen(ENGINE_LABEL_PREFIX))) {
        c->kind = SL_CONSTRAINT_ENGINE_LABEL;
        snprintf(c->label, sizeof(c->label), "%s",
                 c->key + strlen(ENGINE_LABEL_PREFIX));
    }
}

/* Refuses what swarmkit would accept but can only be a mistake. */
static int check_strict(const sl_constraint *c, sl_error *err)
{
    const char *candidates[N_FIXED + 3];
    char as_node[SL_CONSTRAINT_TEXT_MAX + 16];
    char as_engine[SL_CONSTRAINT_TEXT_MAX + 16];
    const char *tail = strchr(c->key, '.');
    const char *hint;
    size_t i;

    if (c->kind == SL_CONSTRAINT_UNKNOWN) {
        for (i = 0; i < N_FIXED; i++)
            candidates[i] = fixed_keys[i].key;
        /* "node.lables.os" is closest to "node.labels.os". */
        tail = tail ? strchr(tail + 1, '.') : NULL;
        snprintf(as_node, sizeof(as_node), "%s%s", NODE_LABEL_PREFIX,
                 tail ? tail + 1 : "");
        snprintf(as_engine, sizeof(as_engine), "%s%s", ENGINE_LABEL_PREFIX,
                 tail ? tail + 1 : "");
        candidates[i++] = as_node;
        candidates[i++] = as_engine;
        candidates[i] = NULL;
        hint = sl__suggest(c->key, candidates);
        if (hint)
            return sl_error_set(err, SL_ERR_INVALID,
                                "unknown constraint key '%s' (did you mean "
                                "'%s'?)", c->key, hint);
        return sl_error_set(err, SL_ERR_INVALID,
                            "unknown constraint key '%s'", c->key);
    }
    if ((c->kind == SL_CONSTRAINT_NODE_LABEL ||
         c->kind == SL_CONSTRAINT_ENGINE_LABEL) && !c->label[0])
        return sl_error_set(err, SL_ERR_INVALID,
                            "constraint key '%s' names no label", c->key);
    if (c->kind == SL_CONSTRAINT_NODE_ROLE &&
        strcasecmp(c->value, "manager") && strcasecmp(c->value, "worker"))
        return sl_error_set(err, SL_ERR_INVALID,
                            "node.role is 'manager' or 'worker', not '%s'",
                            c->value);
    return 0;
}

int sl_constraint_parse(const char *expr, bool strict, sl_constraint *out,
                        sl_error *err)
{
    static const char *const ops[] = {"==", "!="};
    const char *at = NULL;
    size_t i;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < 2 && !at; i++) {
        at = strstr(expr, ops[i]);
        out->equal = i == 0;
    }
    if (!at)
        return sl_error_set(err, SL_ERR_INVALID,
                            "expected one operator from ==, !=");
    if (copy_trimmed(expr, (size_t)(at - expr), out->key,
                     sizeof(out->key)) < 0)
        return sl_error_set(err, SL_ERR_INVALID, "key is too long");
    if (!valid_key(out->key))
        return sl_error_set(err, SL_ERR_INVALID, "key '%s' is invalid",
                            out->key);
    if (copy_trimmed(at + 2, strlen(at + 2), out->value,
                     sizeof(out->value)) < 0)
        return sl_error_set(err, SL_ERR_INVALID, "value is too long");
    if (!valid_value(out->value))
        return sl_error_set(err, SL_ERR_INVALID, "value '%s' is invalid",
                            out->value);
    classify(out);
    return strict ? check_strict(out, err) : 0;
}

sl_constraint *sl_constraints_parse(const char *const *exprs, size_t n,
                                    bool strict, sl_error *err)
{
    sl_constraint *out = calloc(n ? n : 1, sizeof(*out));
    sl_error one;

    if (!out)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory"), NULL;
    for (size_t i = 0; i < n; i++) {
        if (sl_constraint_parse(exprs[i], strict, &out[i], &one) < 0) {
            sl_error_set(err, SL_ERR_INVALID, "constraint '%s': %s",
                         exprs[i], one.message);
            free(out);
            return NULL;
        }
    }
    return out;
}

static const char *label_value(const sl_docker_label *labels, size_t n,
                               const char *key)
{
    const char *v = sl_docker_label_get(labels, n, key);

    return v ? v : "";
}

bool sl_constraint_match(const sl_constraint *c,
                         const sl_constraint_node *node)
{
    const char *what;

    switch (c->kind) {
    case SL_CONSTRAINT_NODE_ID: what = node->id; break;
    case SL_CONSTRAINT_NODE_HOSTNAME: what = node->hostname; break;
    case SL_CONSTRAINT_NODE_ROLE: what = node->role; break;
    case SL_CONSTRAINT_NODE_OS: what = node->os; break;
    case SL_CONSTRAINT_NODE_ARCH: what = node->arch; break;
    case SL_CONSTRAINT_NODE_LABEL:
        what = label_value(node->labels, node->n_labels, c->label);
        break;
    case SL_CONSTRAINT_ENGINE_LABEL:
        what = label_value(node->engine_labels, node->n_engine_labels,
                           c->label);
        break;
    default:
        return false;
    }
    return !strcasecmp(c->value, what ? what : "") == c->equal;
}

bool sl_constraints_match(const sl_constraint *c, size_t n,
                          const sl_constraint_node *node)
{
    for (size_t i = 0; i < n; i++) {
        if (!sl_constraint_match(&c[i], node))
            return false;
    }
    return true;
}

void sl_constraint_format(const sl_constraint *c, char *buf, size_t size)
{
    snprintf(buf, size, "%s %s %s", c->key, c->equal ? "==" : "!=",
             c->value);
}
