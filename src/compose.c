/* Compose files: YAML with places, key rules, networks and the stack. */
#include "compose.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compose_int.h"
#include "loader.h"

/* The stack --------------------------------------------------------------- */

sl_stack *sl__stack_new(const char *name, const char *file, sl_error *err)
{
    sl__pool *pool = sl__pool_new();
    sl_stack *st = pool ? sl__pool_alloc(pool, 1, sizeof(*st)) : NULL;

    if (st) {
        st->pool = pool;
        st->name = sl__pool_strdup(pool, name);
        st->file = sl__pool_strdup(pool, file);
    }
    if (!st || (name && !st->name) || (file && !st->file)) {
        sl__pool_free(pool);
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return st;
}

sl__pool *sl__stack_pool(sl_stack *st)
{
    return st->pool;
}

int sl__stack_warn(sl_stack *st, sl_error *err, unsigned line,
                   unsigned column, const char *where, const char *fmt, ...)
{
    sl_input_warning *w;
    char message[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    w = sl__pool_alloc(st->pool, st->n_warnings + 1, sizeof(*w));
    if (!w)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    if (st->n_warnings)
        memcpy(w, st->warnings, st->n_warnings * sizeof(*w));
    w[st->n_warnings].where = sl__pool_strdup(st->pool, where);
    w[st->n_warnings].message = sl__pool_strdup(st->pool, message);
    w[st->n_warnings].line = line;
    w[st->n_warnings].column = column;
    if (!w[st->n_warnings].where || !w[st->n_warnings].message)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    st->warnings = w;
    st->n_warnings++;
    return 0;
}

void sl__stack_sort_warnings(sl_stack *st)
{
    sl_input_warning *w = (sl_input_warning *)st->warnings;

    /* Stable: warnings at one place keep their order. */
    for (size_t i = 1; i < st->n_warnings; i++) {
        sl_input_warning cur = w[i];
        size_t j = i;

        for (; j > 0 && (w[j - 1].line > cur.line ||
                         (w[j - 1].line == cur.line &&
                          w[j - 1].column > cur.column)); j--)
            w[j] = w[j - 1];
        w[j] = cur;
    }
}

void sl_stack_free(sl_stack *st)
{
    if (st)
        sl__pool_free(st->pool);
}

const sl_stack_service *sl_stack_find_service(const sl_stack *st,
                                              const char *name)
{
    for (size_t i = 0; st && name && i < st->n_services; i++) {
        const sl_stack_service *s = &st->services[i];

        if (!strcmp(s->def.name, name) || (s->key && !strcmp(s->key, name)))
            return s;
    }
    return NULL;
}

/* Places and messages ----------------------------------------------------- */

static void place(const ycx *c, const yaml_node_t *n, const char *path,
                  char *buf, size_t size)
{
    unsigned long line = n ? (unsigned long)n->start_mark.line + 1 : 1;
    unsigned long col = n ? (unsigned long)n->start_mark.column + 1 : 1;

    if (path && *path)
        snprintf(buf, size, "%s:%lu:%lu: %s", c->file, line, col, path);
    else
        snprintf(buf, size, "%s:%lu:%lu", c->file, line, col);
}

int sl__y_fail(ycx *c, const yaml_node_t *n, const char *path,
               const char *fmt, ...)
{
    char where[sizeof(c->err->where)];
    va_list ap;

    va_start(ap, fmt);
    sl_error_setv(c->err, SL_ERR_INVALID, fmt, ap);
    va_end(ap);
    place(c, n, path, where, sizeof(where));
    sl_error_where(c->err, "%s", where);
    return -1;
}

int sl__y_warn(ycx *c, const yaml_node_t *n, const char *path,
               const char *fmt, ...)
{
    char where[SL__PATH_MAX + 64];
    char message[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (c->opts->strict)
        return sl__y_fail(c, n, path, "%s", message);
    place(c, n, path, where, sizeof(where));
    return sl__stack_warn(c->st, c->err,
                          n ? (unsigned)n->start_mark.line + 1 : 0,
                          n ? (unsigned)n->start_mark.column + 1 : 0, where,
                          "%s", message);
}

int sl__y_nomem(ycx *c)
{
    return sl_error_set(c->err, SL_ERR_NOMEM, "out of memory");
}

/* Scalars ----------------------------------------------------------------- */

static bool is_null_node(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL",
                                        NULL};

    return !n || (n->type == YAML_SCALAR_NODE &&
                  n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                  sl__one_of((const char *)n->data.scalar.value, nulls));
}

static bool text_in(const char *s, const char *const *set)
{
    return sl__one_of(s, set);
}

/* YAML 1.1 as docker's YAML reader resolves a plain scalar. */
static ykind resolve_plain(const char *s, long long *num, bool *truth)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL",
                                        NULL};
    static const char *const trues[] = {"y", "Y", "yes", "Yes", "YES",
                                        "true", "True", "TRUE", "on", "On",
                                        "ON", NULL};
    static const char *const falses[] = {"n", "N", "no", "No", "NO",
                                         "false", "False", "FALSE", "off",
                                         "Off", "OFF", NULL};
    static const char *const specials[] = {".inf", ".Inf", ".INF", "-.inf",
                                           "-.Inf", "-.INF", "+.inf",
                                           ".nan", ".NaN", ".NAN", NULL};
    char digits[64];
    size_t n = 0;
    char *end;
    const char *p;

    if (text_in(s, nulls))
        return Y_NULL;
    if (text_in(s, trues) || text_in(s, falses)) {
        *truth = text_in(s, trues);
        return Y_BOOL;
    }
    if (text_in(s, specials))
        return Y_FLOAT;
    for (p = s; *p && n + 1 < sizeof(digits); p++) {
        if (*p != '_')
            digits[n++] = *p;
    }
    digits[n] = '\0';
    if (*p || !n)
        return Y_STR;
    errno = 0;
    *num = strtoll(digits, &end, 0);
    if (!*end && errno == 0 && (digits[0] != '0' || n == 1 ||
                                strchr("xXoO01234567", digits[1])))
        return Y_INT;
    /* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
    p = digits + (digits[0] == '-' || digits[0] == '+');
    if (*p == '.') {
        if (!isdigit_c(p[1]))
            return Y_STR;
        for (p++; isdigit_c(*p); p++)
            ;
    } else {
        if (!isdigit_c(*p))
            return Y_STR;
        while (isdigit_c(*p))
            p++;
        if (*p == '.')
            for (p++; isdigit_c(*p); p++)
                ;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if (!isdigit_c(*p))
            return Y_STR;
        while (isdigit_c(*p))
            p++;
    }
    return *p ? Y_STR : Y_FLOAT;
}

static const char *lookup_var(ycx *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->opts->n_variables; i++) {
        const char *k = c->opts->variables[i].key;

        if (strlen(k) == len && !strncmp(k, name, len))
            return c->opts->variables[i].value;
    }
    return NULL;
}

static size_t var_name_len(const char *s)
{
    size_t n = 0;

    if (!(isalpha_c(s[0]) || s[0] == '_'))
        return 0;
    while (isalpha_c(s[n]) || isdigit_c(s[n]) || s[n] == '_')
        n++;
    return n;
}

/* The text of "${NAME...}" or "$NAME" at 's', appended to 'out'; sets
 * '*used' to the characters read. */
static int expand_one(ycx *c, const yaml_node_t *n, const char *path,
                      const char *s, size_t *used, sl__buf *out)
{
    const char *body = s[1] == '{' ? s + 2 : s + 1;
    size_t len = var_name_len(body);
    const char *close = s[1] == '{' ? strchr(body, '}') : NULL;
    const char *op = body + len;
    const char *value;
    const char *rest;
    size_t rest_len;
    bool colon;

    if (!len || (s[1] == '{' && !close))
        return sl__y_fail(c, n, path, "invalid interpolation format in '%s'",
                          s);
    *used = s[1] == '{' ? (size_t)(close - s) + 1 : len + 1;
    value = lookup_var(c, body, len);
    if (s[1] != '{' || op == close) {
        if (!value && sl__y_warn(c, n, path, "variable '%.*s' is not set, "
                                 "using an empty string", (int)len, body) < 0)
            return -1;
        return sl__buf_add(out, value ? value : "", SIZE_MAX);
    }
    colon = *op == ':';
    op += colon;
    if (*op != '-' && *op != '?')
        return sl__y_fail(c, n, path, "invalid interpolation format in '%s'",
                          s);
    rest = op + 1;
    rest_len = (size_t)(close - rest);
    if (value && !(colon && !*value))
        return sl__buf_add(out, value, SIZE_MAX);
    if (*op == '?')
        return sl__y_fail(c, n, path, "required variable '%.*s' is missing "
                          "a value: %.*s", (int)len, body, (int)rest_len,
                          rest);
    return sl__buf_add(out, rest, rest_len);
}

/* 'in' with $$, $NAME and ${NAME[:-default|-default|:?err|?err]}
 * replaced, allocated from the stack's arena. */
static int interpolate(ycx *c, const yaml_node_t *n, const char *path,
                       const char *in, const char **out)
{
    sl__buf buf = {0};
    int rc = -1;

    for (const char *p = in; *p;) {
        size_t used = 1;

        if (*p != '$') {
            if (sl__buf_add(&buf, p, 1) < 0)
                goto nomem;
        } else if (p[1] == '$') {
            used = 2;
            if (sl__buf_add(&buf, "$", 1) < 0)
                goto nomem;
        } else if (expand_one(c, n, path, p, &used, &buf) < 0) {
            if (c->err->code == SL_ERR_INVALID)
                goto cleanup;
            goto nomem;
        }
        p += used;
    }
    *out = sl__pool_strndup(c->pool, buf.data ? buf.data : "", buf.len);
    if (!*out)
        goto nomem;
    rc = 0;
    goto cleanup;

nomem:
    sl__y_nomem(c);
cleanup:
    free(buf.data);
    return rc;
}

int sl__y_value(ycx *c, yaml_node_t *n, const char *path, yval *out)
{
    const char *raw;

    memset(out, 0, sizeof(*out));
    out->node = n;
    if (!n) {
        out->kind = Y_NULL;
        return 0;
    }
    if (n->type == YAML_MAPPING_NODE) {
        out->kind = Y_MAP;
        return 0;
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        out->kind = Y_SEQ;
        return 0;
    }
    /* Copied: the document goes away, the stack stays. */
    raw = (const char *)n->data.scalar.value;
    if (strchr(raw, '$')) {
        if (interpolate(c, n, path, raw, &out->text) < 0)
            return -1;
    } else if (!(out->text = sl__pool_strdup(c->pool, raw))) {
        return sl__y_nomem(c);
    }
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        out->kind = Y_STR;
        return 0;
    }
    out->kind = resolve_plain(out->text, &out->num, &out->truth);
    if (out->kind == Y_BOOL)
        out->text = out->truth ? "true" : "false";
    return 0;
}

static const char *kind_name(ykind k)
{
    switch (k) {
    case Y_NULL: return "null";
    case Y_BOOL: return "boolean";
    case Y_INT: return "integer";
    case Y_FLOAT: return "number";
    case Y_STR: return "string";
    case Y_MAP: return "mapping";
    case Y_SEQ: return "sequence";
    }
    return "?";
}

int sl__y_expected(ycx *c, const yval *v, const char *path, const char *what)
{
    return sl__y_fail(c, v->node, path, "expected %s, got %s", what,
                      kind_name(v->kind));
}

int sl__y_string(ycx *c, yaml_node_t *n, const char *path, const char **out)
{
    yval v;

    if (sl__y_value(c, n, path, &v) < 0)
        return -1;
    if (v.kind != Y_STR)
        return sl__y_expected(c, &v, path, "a string");
    *out = v.text;
    return 0;
}

int sl__y_text(ycx *c, yaml_node_t *n, const char *path, bool null_ok,
               const char **out)
{
    yval v;

    if (sl__y_value(c, n, path, &v) < 0)
        return -1;
    if (v.kind == Y_NULL && null_ok) {
        *out = NULL;
        return 0;
    }
    if (v.kind == Y_MAP || v.kind == Y_SEQ || v.kind == Y_NULL)
        return sl__y_expected(c, &v, path, "a string");
    *out = v.text;
    return 0;
}

/* A float as Go's fmt.Sprint writes it: the shortest digits that read
 * back the same, in %e form below 1e-4 and from 1e6 up. */
static const char *go_float(ycx *c, const char *text)
{
    char buf[64];
    double v;
    int digits;
    int exp;

    if (strstr(text, "nan") || strstr(text, "NaN") || strstr(text, "NAN"))
        return "NaN";
    if (strchr(text, 'i') || strchr(text, 'I'))
        return text[0] == '-' ? "-Inf" : "+Inf";
    v = strtod(text, NULL);
    for (digits = 1; digits < 17; digits++) {
        snprintf(buf, sizeof(buf), "%.*e", digits - 1, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    exp = atoi(strchr(buf, 'e') + 1);
    if (exp < -4 || exp >= 6)
        snprintf(buf, sizeof(buf), "%.*e", digits - 1, v);
    else
        snprintf(buf, sizeof(buf), "%.*f",
                 digits - 1 - exp > 0 ? digits - 1 - exp : 0, v);
    return sl__pool_strdup(c->pool, buf);
}

int sl__y_go_text(ycx *c, yaml_node_t *n, const char *path,
                  const char **out)
{
    yval v;

    if (sl__y_value(c, n, path, &v) < 0)
        return -1;
    if (v.kind == Y_MAP || v.kind == Y_SEQ)
        return sl__y_expected(c, &v, path, "a string");
    if (v.kind == Y_NULL)
        *out = NULL;
    else if (v.kind == Y_INT)
        *out = sl__pool_printf(c->pool, "%lld", v.num);
    else if (v.kind == Y_FLOAT)
        *out = go_float(c, v.text);
    else
        *out = v.text;
    return v.kind != Y_NULL && !*out ? sl__y_nomem(c) : 0;
}

int sl__y_uint(ycx *c, yaml_node_t *n, const char *path, uint64_t *out)
{
    yval v;

    if (sl__y_value(c, n, path, &v) < 0)
        return -1;
    if (v.kind != Y_INT)
        return sl__y_expected(c, &v, path, "an integer");
    if (v.num < 0)
        return sl__y_fail(c, n, path, "expected a non-negative integer, "
                          "got %lld", v.num);
    *out = (uint64_t)v.num;
    return 0;
}

int sl__y_bool(ycx *c, yaml_node_t *n, const char *path, bool *out)
{
    yval v;

    if (sl__y_value(c, n, path, &v) < 0)
        return -1;
    if (v.kind != Y_BOOL)
        return sl__y_expected(c, &v, path, "a boolean");
    *out = v.truth;
    return 0;
}

/* Collections ------------------------------------------------------------- */

static bool is_merge_key(const yaml_node_t *k)
{
    return k->type == YAML_SCALAR_NODE &&
           k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           !strcmp((const char *)k->data.scalar.value, "<<");
}

static bool has_pair(const ypair *pairs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(pairs[i].name, name))
            return true;
    }
    return false;
}

static int map_pairs_depth(ycx *c, yaml_node_t *n, const char *path,
                           ypair **out, size_t *count, int depth);

/* Adds the pairs of the mapping(s) merged in with "<<", unless present. */
static int merge_in(ycx *c, yaml_node_t *src, const char *path, ypair *pairs,
                    size_t *n, size_t cap, int depth)
{
    yaml_node_item_t *it;
    ypair *more = NULL;
    size_t n_more = 0;

    if (depth > 16)
        return sl__y_fail(c, src, path, "merge keys nest too deep");
    if (src && src->type == YAML_SEQUENCE_NODE) {
        for (it = src->data.sequence.items.start;
             it < src->data.sequence.items.top; it++) {
            if (merge_in(c, yaml_document_get_node(&c->doc, *it), path,
                         pairs, n, cap, depth + 1) < 0)
                return -1;
        }
        return 0;
    }
    if (!src || src->type != YAML_MAPPING_NODE)
        return sl__y_fail(c, src, path, "a merge key takes a mapping");
    if (map_pairs_depth(c, src, path, &more, &n_more, depth + 1) < 0)
        return -1;
    for (size_t i = 0; i < n_more && *n < cap; i++) {
        if (!has_pair(pairs, *n, more[i].name))
            pairs[(*n)++] = more[i];
    }
    return 0;
}

/* Counts the pairs a mapping can hold once merges are expanded. */
static size_t pair_capacity(ycx *c, yaml_node_t *n, int depth)
{
    size_t cap = 0;

    if (!n || depth > 16)
        return 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             it < n->data.sequence.items.top; it++)
            cap += pair_capacity(c, yaml_document_get_node(&c->doc, *it),
                                 depth + 1);
        return cap;
    }
    if (n->type != YAML_MAPPING_NODE)
        return 0;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&c->doc, p->key);

        cap++;
        if (k && is_merge_key(k))
            cap += pair_capacity(c, yaml_document_get_node(&c->doc,
                                                           p->value),
                                 depth + 1);
    }
    return cap;
}

static int map_pairs_depth(ycx *c, yaml_node_t *n, const char *path,
                           ypair **out, size_t *count, int depth)
{
    size_t cap = pair_capacity(c, n, 0);
    yaml_node_t *merge = NULL;
    ypair *pairs;
    size_t k = 0;

    if (!n || n->type != YAML_MAPPING_NODE) {
        yval v = {n, n ? (n->type == YAML_SEQUENCE_NODE ? Y_SEQ : Y_STR)
                       : Y_NULL, NULL, false, 0};

        if (n && n->type == YAML_SCALAR_NODE &&
            sl__y_value(c, n, path, &v) < 0)
            return -1;
        return sl__y_expected(c, &v, path, "a mapping");
    }
    pairs = sl__pool_alloc(c->pool, cap, sizeof(*pairs));
    if (!pairs)
        return sl__y_nomem(c);
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *key = yaml_document_get_node(&c->doc, p->key);
        char sub[SL__PATH_MAX];

        if (!key || key->type != YAML_SCALAR_NODE)
            return sl__y_fail(c, key, path, "expected a string key");
        if (is_merge_key(key)) {
            merge = yaml_document_get_node(&c->doc, p->value);
            continue;
        }
        pairs[k].key = key;
        pairs[k].name = sl__pool_strdup(c->pool,
                                        (const char *)key->data.scalar.value);
        if (!pairs[k].name)
            return sl__y_nomem(c);
        pairs[k].value = yaml_document_get_node(&c->doc, p->value);
        sl__path_key(sub, sizeof(sub), path, pairs[k].name);
        if (has_pair(pairs, k, pairs[k].name))
            return sl__y_fail(c, key, sub, "duplicate key");
        k++;
    }
    if (merge && merge_in(c, merge, path, pairs, &k, cap, depth) < 0)
        return -1;
    *out = pairs;
    *count = k;
    return 0;
}

int sl__y_pairs(ycx *c, yaml_node_t *n, const char *path, ypair **out,
                size_t *count)
{
    return map_pairs_depth(c, n, path, out, count, 0);
}

int sl__y_items(ycx *c, yaml_node_t *n, const char *path,
                yaml_node_t ***out, size_t *count)
{
    yaml_node_t **items;
    size_t k = 0;

    if (!n || n->type != YAML_SEQUENCE_NODE) {
        yval v;

        if (sl__y_value(c, n, path, &v) < 0)
            return -1;
        return sl__y_expected(c, &v, path, "a sequence");
    }
    items = sl__pool_alloc(c->pool,
                           (size_t)(n->data.sequence.items.top -
                                    n->data.sequence.items.start),
                           sizeof(*items));
    if (!items)
        return sl__y_nomem(c);
    for (yaml_node_item_t *it = n->data.sequence.items.start;
         it < n->data.sequence.items.top; it++)
        items[k++] = yaml_document_get_node(&c->doc, *it);
    *out = items;
    *count = k;
    return 0;
}

/* Key rules --------------------------------------------------------------- */

int sl__y_check_key(ycx *c, const key_rules *r, const ypair *p,
                    const char *path)
{
    const char *all[128];
    const char *hint;
    size_t n = 0;

    if (sl__one_of(p->name, r->handled))
        return 1;
    if (r->extensions && !strncmp(p->name, "x-", 2))
        return 0;
    if (sl__one_of(p->name, r->docker_ignores))
        return sl__y_warn(c, p->key, path, "%s",
                          c->opts->strict
                              ? "ignored by docker stack deploy, refused "
                                "in strict mode"
                              : "ignored by docker stack deploy") < 0 ? -1
                                                                      : 0;
    if (sl__one_of(p->name, r->unmodelled))
        return sl__y_warn(c, p->key, path, "%s",
                          c->opts->strict
                              ? "not supported by swarmlab, refused in "
                                "strict mode"
                              : "not supported by swarmlab, ignored") < 0
                   ? -1
                   : 0;
    for (size_t i = 0; r->refused && r->refused[i]; i += 2) {
        if (!strcmp(p->name, r->refused[i]))
            return sl__y_fail(c, p->key, path, "refused by docker stack "
                              "deploy: %s", r->refused[i + 1]);
    }
    for (const char *const *l = r->handled; l && *l && n < 120; l++)
        all[n++] = *l;
    for (const char *const *l = r->docker_ignores; l && *l && n < 120; l++)
        all[n++] = *l;
    for (const char *const *l = r->unmodelled; l && *l && n < 120; l++)
        all[n++] = *l;
    all[n] = NULL;
    hint = sl__suggest(p->name, all);
    if (hint)
        return sl__y_fail(c, p->key, path, "unknown key (did you mean "
                          "'%s'?)", hint);
    return sl__y_fail(c, p->key, path, "unknown key");
}

/* Networks ---------------------------------------------------------------- */

static const char *const network_keys[] = {"driver", "external",
                                           "attachable", "internal",
                                           "labels", "name", NULL};
static const char *const network_unmodelled[] = {"driver_opts", "ipam",
                                                 "enable_ipv6", NULL};
static const key_rules network_rules = {network_keys, NULL,
                                        network_unmodelled, NULL, true};

/* external: true, or the older external: {name: NAME}. */
static int network_external(ycx *c, net_decl *d, yaml_node_t *n,
                            const char *path)
{
    ypair *pairs;
    size_t np;

    if (n && n->type != YAML_MAPPING_NODE)
        return sl__y_bool(c, n, path, &d->external);
    if (sl__y_pairs(c, n, path, &pairs, &np) < 0)
        return -1;
    d->external = true;
    for (size_t i = 0; i < np; i++) {
        char sub[SL__PATH_MAX];

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if (strcmp(pairs[i].name, "name"))
            return sl__y_fail(c, pairs[i].key, sub, "unknown key");
        if (sl__y_string(c, pairs[i].value, sub, &d->name) < 0)
            return -1;
    }
    return 0;
}

/* The docker name: as given, the key for an external network, else
 * "STACK_KEY". */
static int network_name(ycx *c, net_decl *d)
{
    if (d->name)
        return 0;
    if (d->external)
        d->name = d->key;
    else
        d->name = sl__pool_printf(c->pool, "%s_%s", c->st->name, d->key);
    return d->name ? 0 : sl__y_nomem(c);
}

static int network_decl(ycx *c, const ypair *np, net_decl *d)
{
    char path[SL__PATH_MAX];
    ypair *pairs = NULL;
    size_t n = 0;

    sl__path_key(path, sizeof(path), "networks", np->name);
    d->key = np->name;
    if (!is_null_node(np->value) &&
        sl__y_pairs(c, np->value, path, &pairs, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = pairs[i].value;
        char sub[SL__PATH_MAX];
        int k;

        sl__path_key(sub, sizeof(sub), path, pairs[i].name);
        if ((k = sl__y_check_key(c, &network_rules, &pairs[i], sub)) <= 0) {
            if (k < 0)
                return -1;
            continue;
        }
        if (!strcmp(pairs[i].name, "driver")) {
            if (sl__y_string(c, v, sub, &d->driver) < 0)
                return -1;
        } else if (!strcmp(pairs[i].name, "external")) {
            if (network_external(c, d, v, sub) < 0)
                return -1;
        } else if (!strcmp(pairs[i].name, "attachable")) {
            if (sl__y_bool(c, v, sub, &d->attachable) < 0)
                return -1;
        } else if (!strcmp(pairs[i].name, "internal")) {
            if (sl__y_bool(c, v, sub, &d->internal) < 0)
                return -1;
        } else if (!strcmp(pairs[i].name, "labels")) {
            if (sl__y_labels(c, v, sub, &d->labels, &d->n_labels) < 0)
                return -1;
        } else if (sl__y_string(c, v, sub, &d->name) < 0) {
            return -1;
        }
    }
    return network_name(c, d);
}

static int networks_declared(ycx *c, yaml_node_t *n)
{
    ypair *pairs = NULL;
    size_t np = 0;

    if (n && sl__y_pairs(c, n, "networks", &pairs, &np) < 0)
        return -1;
    /* One more for an implicit "default". */
    c->nets = sl__pool_alloc(c->pool, np + 1, sizeof(*c->nets));
    if (!c->nets)
        return sl__y_nomem(c);
    for (size_t i = 0; i < np; i++) {
        if (network_decl(c, &pairs[i], &c->nets[i]) < 0)
            return -1;
    }
    c->n_nets = np;
    return 0;
}

net_decl *sl__y_network(ycx *c, const char *key)
{
    for (size_t i = 0; i < c->n_nets; i++) {
        if (!strcmp(c->nets[i].key, key))
            return &c->nets[i];
    }
    if (strcmp(key, "default"))
        return NULL;
    c->nets[c->n_nets].key = "default";
    if (network_name(c, &c->nets[c->n_nets]) < 0)
        return NULL;
    return &c->nets[c->n_nets++];
}

/* Gives each network its docker name and labels; keeps the used ones,
 * "default" first. */
static int networks_finish(ycx *c)
{
    sl_stack_network *out;
    size_t n = 0;

    out = sl__pool_alloc(c->pool, c->n_nets, sizeof(*out));
    if (!out)
        return sl__y_nomem(c);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < c->n_nets; i++) {
            net_decl *d = &c->nets[i];
            sl_stack_network *o = &out[n];

            if (!d->used || (pass == 0) != !strcmp(d->key, "default"))
                continue;
            o->key = d->key;
            o->external = d->external;
            o->def.name = d->name;
            o->def.driver = d->driver ? d->driver : "overlay";
            o->def.attachable = d->attachable;
            o->def.internal = d->internal;
            if (!d->external &&
                sl__labels_put(c->pool, &d->labels, &d->n_labels,
                               "com.docker.stack.namespace",
                               c->st->name) < 0)
                return sl__y_nomem(c);
            sl__labels_sort(d->labels, d->n_labels);
            o->def.labels = d->labels;
            o->def.n_labels = d->n_labels;
            n++;
        }
    }
    c->st->networks = out;
    c->st->n_networks = n;
    return 0;
}

/* The document ------------------------------------------------------------ */

static int check_version(ycx *c, yaml_node_t *n)
{
    const char *v;

    if (sl__y_text(c, n, "version", false, &v) < 0)
        return -1;
    if (v[0] != '3' || (v[1] && v[1] != '.'))
        return sl__y_fail(c, n, "version", "unsupported version '%s': "
                          "docker stack deploy reads version 3", v);
    return 0;
}

static int load_root(ycx *c, yaml_node_t *root)
{
    static const char *const top_keys[] = {"version", "services",
                                           "networks", NULL};
    static const char *const top_ignored[] = {"name", NULL};
    static const char *const top_unmodelled[] = {"volumes", "secrets",
                                                 "configs", NULL};
    static const key_rules top_rules = {top_keys, top_ignored,
                                        top_unmodelled, NULL, true};
    yaml_node_t *services = NULL;
    yaml_node_t *networks = NULL;
    ypair *pairs;
    size_t n;

    if (sl__y_pairs(c, root, "", &pairs, &n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int k = sl__y_check_key(c, &top_rules, &pairs[i], pairs[i].name);

        if (k < 0)
            return -1;
        if (k == 0)
            continue;
        if (!strcmp(pairs[i].name, "version")) {
            if (check_version(c, pairs[i].value) < 0)
                return -1;
        } else if (!strcmp(pairs[i].name, "services")) {
            services = pairs[i].value;
        } else {
            networks = pairs[i].value;
        }
    }
    if (networks_declared(c, networks) < 0)
        return -1;
    if (sl__y_services(c, services) < 0)
        return -1;
    return networks_finish(c);
}

static int yaml_problem(ycx *c, const yaml_parser_t *p)
{
    const char *problem = p->problem ? p->problem : "cannot parse yaml";

    sl_error_set(c->err, SL_ERR_INVALID, "%s", problem);
    if (p->error == YAML_READER_ERROR)
        sl_error_where(c->err, "%s", c->file);
    else
        sl_error_where(c->err, "%s:%lu:%lu", c->file,
                       (unsigned long)p->problem_mark.line + 1,
                       (unsigned long)p->problem_mark.column + 1);
    return -1;
}

/* Loads the one document of 'text' into c->doc. */
static int load_document(ycx *c, const char *text, size_t len)
{
    yaml_parser_t parser;
    yaml_document_t extra;
    int rc = -1;

    if (!yaml_parser_initialize(&parser))
        return sl__y_nomem(c);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &c->doc)) {
        yaml_problem(c, &parser);
        goto cleanup;
    }
    c->loaded = true;
    if (!yaml_document_get_root_node(&c->doc)) {
        sl_error_set(c->err, SL_ERR_INVALID, "expected a mapping, got an "
                     "empty file");
        sl_error_where(c->err, "%s", c->file);
        goto cleanup;
    }
    if (!yaml_parser_load(&parser, &extra)) {
        yaml_problem(c, &parser);
        goto cleanup;
    }
    if (yaml_document_get_root_node(&extra)) {
        sl__y_fail(c, yaml_document_get_root_node(&extra), "",
                   "expected one document, found more");
        yaml_document_delete(&extra);
        goto cleanup;
    }
    yaml_document_delete(&extra);
    rc = 0;

cleanup:
    yaml_parser_delete(&parser);
    return rc;
}

sl_stack *sl_compose_parse(const char *text, size_t len, const char *file,
                           const sl_compose_options *opts, sl_error *err)
{
    ycx c;
    sl_stack *st = NULL;

    memset(&c, 0, sizeof(c));
    c.file = file ? file : "compose file";
    c.opts = opts;
    c.err = err;
    if (!opts || !opts->stack || !sl__valid_object_name(opts->stack)) {
        sl_error_set(err, SL_ERR_INVALID, "invalid stack name '%s': use "
                     "letters, digits, '-' and '_'",
                     opts && opts->stack ? opts->stack : "");
        return NULL;
    }
    st = sl__stack_new(opts->stack, c.file, err);
    if (!st)
        return NULL;
    c.st = st;
    c.pool = sl__stack_pool(st);
    if (load_document(&c, text, len) < 0 ||
        load_root(&c, yaml_document_get_root_node(&c.doc)) < 0) {
        sl_stack_free(st);
        st = NULL;
    }
    if (st)
        sl__stack_sort_warnings(st);
    if (c.loaded)
        yaml_document_delete(&c.doc);
    return st;
}

sl_stack *sl_compose_load(const char *path, const sl_compose_options *opts,
                          sl_error *err)
{
    char *text = NULL;
    size_t len = 0;
    sl_stack *st = NULL;

    if (sl__read_file(path, &text, &len, err) < 0)
        return NULL;
    st = sl_compose_parse(text, len, path, opts, err);
    free(text);
    return st;
}
