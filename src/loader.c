/* Helpers shared by the scenario and compose loaders: arena, paths, units. */
#include "loader.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arena --------------------------------------------------------------- */

/* Each allocation is its own block on a list: simple, and a sanitizer
 * still sees every overflow. */
typedef struct pool_block {
    struct pool_block *next;
    max_align_t data[];
} pool_block;

struct sl__pool {
    pool_block *blocks;
};

sl__pool *sl__pool_new(void)
{
    return calloc(1, sizeof(sl__pool));
}

void sl__pool_free(sl__pool *p)
{
    pool_block *b;

    if (!p)
        return;
    while ((b = p->blocks)) {
        p->blocks = b->next;
        free(b);
    }
    free(p);
}

void *sl__pool_alloc(sl__pool *p, size_t n, size_t size)
{
    pool_block *b;
    size_t bytes;

    if (size && n > (SIZE_MAX - sizeof(pool_block)) / size)
        return NULL;
    bytes = n * size;
    if (bytes == 0)
        bytes = 1;
    b = calloc(1, sizeof(pool_block) + bytes);
    if (!b)
        return NULL;
    b->next = p->blocks;
    p->blocks = b;
    return b->data;
}

char *sl__pool_strndup(sl__pool *p, const char *s, size_t len)
{
    char *copy;

    if (!s)
        return NULL;
    copy = sl__pool_alloc(p, len + 1, 1);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

char *sl__pool_strdup(sl__pool *p, const char *s)
{
    return s ? sl__pool_strndup(p, s, strlen(s)) : NULL;
}

char *sl__pool_printf(sl__pool *p, const char *fmt, ...)
{
    va_list ap;
    char *out;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0 || !(out = sl__pool_alloc(p, (size_t)len + 1, 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(out, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return out;
}

/* Paths and suggestions --------------------------------------------------- */

void sl__path_key(char *out, size_t size, const char *parent,
                  const char *key)
{
    if (!parent || !*parent)
        snprintf(out, size, "%s", key);
    else
        snprintf(out, size, "%s.%s", parent, key);
}

void sl__path_index(char *out, size_t size, const char *parent, size_t i)
{
    snprintf(out, size, "%s[%zu]", parent ? parent : "", i);
}

/* Edit distance with transpositions (optimal string alignment), for words
 * of up to 63 characters; longer ones count as far apart. */
static size_t osa_distance(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    size_t d[64][64];
    size_t i;
    size_t j;

    if (la >= 64 || lb >= 64)
        return SIZE_MAX;
    for (i = 0; i <= la; i++)
        d[i][0] = i;
    for (j = 0; j <= lb; j++)
        d[0][j] = j;
    for (i = 1; i <= la; i++) {
        for (j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = d[i - 1][j] + 1;

            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
                a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

const char *sl__suggest(const char *word, const char *const *candidates)
{
    size_t len = strlen(word);
    size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;

    for (; candidates && *candidates; candidates++) {
        size_t d = osa_distance(word, *candidates);

        if (d < best_d) {
            best = *candidates;
            best_d = d;
        }
    }
    return best && best_d <= limit && best_d < len ? best : NULL;
}

bool sl__one_of(const char *word, const char *const *candidates)
{
    for (; word && candidates && *candidates; candidates++) {
        if (!strcmp(word, *candidates))
            return true;
    }
    return false;
}

/* Units ------------------------------------------------------------------- */

/* A non-negative decimal "12", "1.5", ".5" at 's'; sets '*end'. */
static int parse_decimal(const char *s, double *out, const char **end)
{
    const char *p = s;
    double v = 0;
    double scale = 0.1;
    bool digits = false;

    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (*p++ - '0');
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            v += (*p++ - '0') * scale;
            scale /= 10;
            digits = true;
        }
    }
    if (!digits)
        return -1;
    *out = v;
    *end = p;
    return 0;
}

int sl__parse_bytes(const char *s, bool unit_required, int64_t *out)
{
    static const char units[] = "bkmgtp";
    const char *p;
    const char *u;
    double v;
    double mult = 1;
    int shift;

    if (parse_decimal(s, &v, &p) < 0)
        return -1;
    if (*p == ' ')
        p++;
    if (!*p && unit_required)
        return -1;
    if (*p && (u = strchr(units, tolower((unsigned char)*p)))) {
        for (shift = 0; shift < u - units; shift++)
            mult *= 1024;
        p++;
        if (u != units && (*p == 'i' || *p == 'I'))
            p++;
        if (u != units && (*p == 'b' || *p == 'B'))
            p++;
    }
    if (*p || v * mult >= 9.2e18)
        return -1;
    *out = (int64_t)(v * mult);
    return 0;
}

int sl__parse_duration(const char *s, int64_t *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    const char *p = s;
    double total = 0;

    if (!*p)
        return -1;
    while (*p) {
        double v;
        size_t i;
        size_t best = 0;
        size_t best_len = 0;

        if (parse_decimal(p, &v, &p) < 0)
            return -1;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t len = strlen(units[i].unit);

            if (!strncmp(p, units[i].unit, len) && len > best_len) {
                best = i;
                best_len = len;
            }
        }
        if (!best_len)
            return -1;
        p += best_len;
        total += v * units[best].ns;
    }
    if (total >= 9.2e18)
        return -1;
    *ns = (int64_t)(total + 0.5);
    return 0;
}

int sl__parse_nano_cpus(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t whole = 0;
    int64_t frac = 0;
    int decimals = 0;

    if (!isdigit((unsigned char)*p) && *p != '.')
        return -1;
    while (isdigit((unsigned char)*p)) {
        whole = whole * 10 + (*p++ - '0');
        if (whole > 1000000)
            return -1;
    }
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++) {
            if (++decimals > 9)
                return -1;
            frac = frac * 10 + (*p - '0');
        }
    }
    if (*p || (p == s + 1 && *s == '.'))
        return -1;
    while (decimals++ < 9)
        frac *= 10;
    *out = whole * 1000000000 + frac;
    return 0;
}

/* "80" or "8000-8010" into a first port and a count. */
static int parse_port_range(const char *s, size_t len, unsigned *first,
                            size_t *count)
{
    char buf[32];
    char *dash;
    char *end;
    unsigned long a;
    unsigned long b;

    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!isdigit((unsigned char)buf[0]))
        return -1;
    a = strtoul(buf, &end, 10);
    b = a;
    dash = end;
    if (*dash == '-') {
        if (!isdigit((unsigned char)dash[1]))
            return -1;
        b = strtoul(dash + 1, &end, 10);
    }
    if (*end || a == 0 || a > 65535 || b < a || b > 65535)
        return -1;
    *first = (unsigned)a;
    *count = b - a + 1;
    return 0;
}

int sl__parse_port_short(sl__pool *pool, const char *spec,
                         sl_docker_port **ports, size_t *n, bool *host_ip,
                         char *why, size_t whysize)
{
    const char *proto = "tcp";
    const char *slash = strchr(spec, '/');
    const char *body_end = slash ? slash : spec + strlen(spec);
    const char *colon;
    const char *target;
    unsigned t_first = 0;
    unsigned p_first = 0;
    size_t t_count = 0;
    size_t p_count = 0;
    size_t i;

    *host_ip = false;
    if (slash) {
        proto = slash + 1;
        if (strcmp(proto, "tcp") && strcmp(proto, "udp") &&
            strcmp(proto, "sctp")) {
            snprintf(why, whysize, "invalid protocol '%s' in port '%s'",
                     proto, spec);
            return -1;
        }
    }
    colon = NULL;
    for (const char *p = spec; p < body_end; p++) {
        if (*p == ':')
            colon = p;
    }
    target = colon ? colon + 1 : spec;
    if (parse_port_range(target, (size_t)(body_end - target), &t_first,
                         &t_count) < 0)
        goto bad;
    if (colon) {
        const char *pub = spec;
        const char *ip_end = NULL;

        for (const char *p = spec; p < colon; p++) {
            if (*p == ':')
                ip_end = p;
        }
        if (ip_end) {
            *host_ip = true;
            pub = ip_end + 1;
        }
        if (pub == colon) {
            p_count = 0;
        } else if (parse_port_range(pub, (size_t)(colon - pub), &p_first,
                                    &p_count) < 0 ||
                   (p_count != t_count && p_count != 1)) {
            goto bad;
        }
    }
    if (t_count > 1024)
        goto bad;
    *ports = sl__pool_alloc(pool, t_count, sizeof(**ports));
    if (!*ports) {
        snprintf(why, whysize, "out of memory");
        return -1;
    }
    for (i = 0; i < t_count; i++) {
        (*ports)[i].target = (uint16_t)(t_first + i);
        if (p_count)
            (*ports)[i].published =
                (uint16_t)(p_first + (p_count > 1 ? i : 0));
        (*ports)[i].protocol = !strcmp(proto, "udp")    ? "udp"
                               : !strcmp(proto, "sctp") ? "sctp"
                                                        : "tcp";
    }
    *n = t_count;
    return 0;

bad:
    snprintf(why, whysize, "invalid port '%s': expected "
                           "[PUBLISHED:]TARGET[/PROTOCOL]", spec);
    return -1;
}

/* Names ------------------------------------------------------------------- */

bool sl__valid_host_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 63 || name[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '-')
            return false;
    }
    return true;
}

bool sl__valid_object_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > 63 || !isalnum((unsigned char)name[0]) ||
        !isalnum((unsigned char)name[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
            name[i] != '_')
            return false;
    }
    return true;
}

/* Labels ------------------------------------------------------------------ */

int sl__labels_put(sl__pool *pool, sl_docker_label **labels, size_t *n,
                   const char *key, const char *value)
{
    sl_docker_label *grown;

    for (size_t i = 0; i < *n; i++) {
        if (!strcmp((*labels)[i].key, key)) {
            (*labels)[i].value = value;
            return 0;
        }
    }
    grown = sl__pool_alloc(pool, *n + 1, sizeof(*grown));
    if (!grown)
        return -1;
    if (*n)
        memcpy(grown, *labels, *n * sizeof(*grown));
    grown[*n].key = key;
    grown[*n].value = value;
    *labels = grown;
    (*n)++;
    return 0;
}

static int label_compare(const void *a, const void *b)
{
    return strcmp(((const sl_docker_label *)a)->key,
                  ((const sl_docker_label *)b)->key);
}

void sl__labels_sort(sl_docker_label *labels, size_t n)
{
    if (n > 1)
        qsort(labels, n, sizeof(*labels), label_compare);
}

/* Files and buffers ------------------------------------------------------- */

int sl__buf_add(sl__buf *b, const char *s, size_t len)
{
    if (len == SIZE_MAX)
        len = strlen(s);
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        char *data;

        while (cap < b->len + len + 1)
            cap *= 2;
        data = realloc(b->data, cap);
        if (!data)
            return -1;
        b->data = data;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int sl__read_file(const char *path, char **text, size_t *len, sl_error *err)
{
    sl__buf b = {0};
    char chunk[8192];
    FILE *f = fopen(path, "rb");
    size_t got;

    if (!f) {
        sl_error_set(err, SL_ERR_IO, "cannot read file: %s", strerror(errno));
        sl_error_where(err, "%s", path);
        return -1;
    }
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (sl__buf_add(&b, chunk, got) < 0) {
            fclose(f);
            free(b.data);
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        }
    }
    if (ferror(f) || (!b.data && sl__buf_add(&b, "", 0) < 0)) {
        sl_error_set(err, SL_ERR_IO, "cannot read file: %s", strerror(errno));
        sl_error_where(err, "%s", path);
        fclose(f);
        free(b.data);
        return -1;
    }
    fclose(f);
    *text = b.data;
    *len = b.len;
    return 0;
}

/* Adds 's' to an arena array of strings. */
static int push_word(sl__pool *pool, const char ***arr, size_t *n,
                     const char *s)
{
    const char **grown = sl__pool_alloc(pool, *n + 1, sizeof(*grown));

    if (!grown || !s)
        return -1;
    if (*n)
        memcpy(grown, *arr, *n * sizeof(*grown));
    grown[(*n)++] = s;
    *arr = grown;
    return 0;
}

int sl__split_words(sl__pool *pool, const char *s, const char ***words,
                    size_t *n, const char **why)
{
    sl__buf word = {0};
    bool in_word = false;
    char quote = 0;
    int rc = -1;

    *words = NULL;
    *n = 0;
    *why = "out of memory";
    for (const char *p = s;; p++) {
        if (!*p || (!quote && (*p == ' ' || *p == '\t' || *p == '\n'))) {
            if (quote) {
                *why = "unterminated quote in command";
                goto cleanup;
            }
            if (in_word &&
                push_word(pool, words, n,
                          sl__pool_strndup(pool, word.data ? word.data : "",
                                           word.len)) < 0)
                goto cleanup;
            word.len = 0;
            in_word = false;
            if (!*p)
                break;
            continue;
        }
        if (!in_word && !quote && *p == '#') {
            /* A comment runs to the end of the line, as in shlex. */
            while (p[1] && p[1] != '\n')
                p++;
            continue;
        }
        in_word = true;
        if (*p == '\\' && quote != '\'' && p[1]) {
            p++;
        } else if ((*p == '\'' || *p == '"') && (!quote || quote == *p)) {
            quote = quote ? 0 : *p;
            continue;
        }
        if (sl__buf_add(&word, p, 1) < 0)
            goto cleanup;
    }
    rc = 0;

cleanup:
    free(word.data);
    return rc;
}

/* Environment ------------------------------------------------------------- */

static size_t env_key_len(const char *s)
{
    const char *eq = strchr(s, '=');

    return eq ? (size_t)(eq - s) : strlen(s);
}

static int env_compare(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sl__env_normalize(const char **env, size_t *n)
{
    size_t kept = 0;

    /* Keep the last of each key, in the original order, then sort. */
    for (size_t i = 0; i < *n; i++) {
        size_t klen = env_key_len(env[i]);
        bool later = false;

        for (size_t j = i + 1; j < *n && !later; j++) {
            later = env_key_len(env[j]) == klen &&
                    !strncmp(env[i], env[j], klen);
        }
        if (!later)
            env[kept++] = env[i];
    }
    *n = kept;
    if (kept > 1)
        qsort(env, kept, sizeof(*env), env_compare);
}
