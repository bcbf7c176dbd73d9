/* Plumbing of the simulated swarm: arrays, IDs, time, errors, filters. */
#include "fake_swarm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Arrays ------------------------------------------------------------------ */

int fs_vec_push(fs_vec *vec, void *item)
{
    void **grown;
    size_t cap;

    if (vec->n == vec->cap) {
        cap = vec->cap ? vec->cap * 2 : 8;
        grown = realloc(vec->v, cap * sizeof(*grown));
        if (!grown)
            return -1;
        vec->v = grown;
        vec->cap = cap;
    }
    vec->v[vec->n++] = item;
    return 0;
}

void fs_vec_remove(fs_vec *vec, size_t i)
{
    if (i >= vec->n)
        return;
    memmove(&vec->v[i], &vec->v[i + 1], (vec->n - i - 1) * sizeof(void *));
    vec->n--;
}

void fs_vec_free(fs_vec *vec)
{
    free(vec->v);
    vec->v = NULL;
    vec->n = vec->cap = 0;
}

/* Errors ------------------------------------------------------------------ */

static sl_errcode code_for_status(int status)
{
    switch (status) {
    case 400: return SL_ERR_INVALID;
    case 403: return SL_ERR_UNSUPPORTED;
    case 404: return SL_ERR_NOT_FOUND;
    case 409: return SL_ERR_CONFLICT;
    case 501: return SL_ERR_UNSUPPORTED;
    case 503: return SL_ERR_UNSUPPORTED;
    default: return SL_ERR_API;
    }
}

int fs_fail(sl_error *err, int status, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return -1;
    va_start(ap, fmt);
    sl_error_setv(err, code_for_status(status), fmt, ap);
    va_end(ap);
    err->http_status = status;
    return -1;
}

int fs_fail_own(sl_error *err, sl_errcode code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sl_error_setv(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

/* Randomness and IDs ------------------------------------------------------ */

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t fs_rand(sl_fake_swarm *fs)
{
    return splitmix(&fs->rng);
}

void fs_base36(const uint8_t *bytes, size_t nbytes, char *out, size_t width)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    uint8_t num[64];
    size_t len = nbytes < sizeof(num) ? nbytes : sizeof(num);
    size_t pos = width;
    size_t i;

    memcpy(num, bytes, len);
    out[width] = '\0';
    while (pos > 0) {
        unsigned rem = 0;

        for (i = 0; i < len; i++) {
            unsigned cur = rem * 256 + num[i];

            num[i] = (uint8_t)(cur / 36);
            rem = cur % 36;
        }
        out[--pos] = digits[rem];
    }
}

void fs_new_id(sl_fake_swarm *fs, char out[FS_ID_LEN + 1])
{
    uint8_t bytes[16];
    uint64_t a = fs_rand(fs), b = fs_rand(fs);
    int i;

    for (i = 0; i < 8; i++) {
        bytes[i] = (uint8_t)(a >> (56 - 8 * i));
        bytes[8 + i] = (uint8_t)(b >> (56 - 8 * i));
    }
    fs_base36(bytes, sizeof(bytes), out, FS_ID_LEN);
}

static void hex_words(const uint64_t words[4], char out[FS_HEX_LEN + 1])
{
    int i;

    for (i = 0; i < 4; i++)
        snprintf(out + 16 * i, 17, "%016llx", (unsigned long long)words[i]);
}

void fs_new_hex(sl_fake_swarm *fs, char out[FS_HEX_LEN + 1])
{
    uint64_t words[4];
    int i;

    for (i = 0; i < 4; i++)
        words[i] = fs_rand(fs);
    hex_words(words, out);
}

/* A generator state that depends on the seed, 'tag' and 'n' only. */
static uint64_t stable_state(const sl_fake_swarm *fs, const char *tag, int n)
{
    uint64_t state = fs->seed ^ (uint64_t)(n + 1) * UINT64_C(0x100000001b3);
    const char *p;

    for (p = tag; *p; p++)
        state = (state ^ (uint8_t)*p) * UINT64_C(0x100000001b3);
    return state;
}

void fs_stable_hex(const sl_fake_swarm *fs, const char *tag, int n,
                   char out[FS_HEX_LEN + 1])
{
    uint64_t state = stable_state(fs, tag, n);
    uint64_t words[4];
    int i;

    for (i = 0; i < 4; i++)
        words[i] = splitmix(&state);
    hex_words(words, out);
}

void fs_stable_id(const sl_fake_swarm *fs, const char *tag, int n,
                  char out[FS_ID_LEN + 1])
{
    uint64_t state = stable_state(fs, tag, n);
    uint64_t a = splitmix(&state), b = splitmix(&state);
    uint8_t bytes[16];
    int i;

    for (i = 0; i < 8; i++) {
        bytes[i] = (uint8_t)(a >> (56 - 8 * i));
        bytes[8 + i] = (uint8_t)(b >> (56 - 8 * i));
    }
    fs_base36(bytes, sizeof(bytes), out, FS_ID_LEN);
}

/* Time -------------------------------------------------------------------- */

int64_t fs_now(sl_fake_swarm *fs)
{
    return sl_clock_now_ns(fs->clock);
}

json_t *fs_time(int64_t ns)
{
    char buf[64];
    time_t secs;
    long frac;
    struct tm tm;
    int len;

    if (ns == 0)
        return json_string("0001-01-01T00:00:00Z");
    secs = (time_t)(ns / SL_NS_PER_SEC);
    frac = (long)(ns % SL_NS_PER_SEC);
    gmtime_r(&secs, &tm);
    len = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec);
    if (frac) {
        len += snprintf(buf + len, sizeof(buf) - (size_t)len, ".%09ld",
                        frac);
        while (buf[len - 1] == '0')
            buf[--len] = '\0';
    }
    snprintf(buf + len, sizeof(buf) - (size_t)len, "Z");
    return json_string(buf);
}

json_t *fs_version_json(uint64_t index)
{
    return json_pack("{s:I}", "Index", (json_int_t)index);
}

void fs_touch(fs_cluster *cl, fs_meta *meta, int64_t now)
{
    meta->version = ++cl->raft_index;
    meta->updated = now;
}

void fs_meta_new(fs_cluster *cl, fs_meta *meta, int64_t now)
{
    meta->version = ++cl->raft_index;
    meta->created = meta->updated = now;
}

/* Strings ----------------------------------------------------------------- */

char *fs_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void fs_set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = fs_strdup(s);
}

/* Filters ----------------------------------------------------------------- */

int fs_filters_check(json_t *filters, const char *const *accepted,
                     sl_error *err)
{
    const char *key;
    json_t *val;
    size_t i;

    if (!filters)
        return 0;
    json_object_foreach(filters, key, val) {
        bool ok = false;

        for (i = 0; accepted[i]; i++) {
            if (!strcmp(accepted[i], key))
                ok = true;
        }
        if (!ok)
            return fs_fail(err, 400, "Invalid filter '%s'", key);
    }
    return 0;
}

json_t *fs_filter_values(json_t *filters, const char *key)
{
    json_t *out = json_array();
    json_t *set = filters ? json_object_get(filters, key) : NULL;
    const char *value;
    json_t *flag;

    if (json_is_object(set)) {
        json_object_foreach(set, value, flag) {
            if (json_is_true(flag))
                json_array_append_new(out, json_string(value));
        }
    }
    return out;
}

bool fs_filter_has(json_t *filters, const char *key)
{
    return filters && json_object_get(filters, key);
}

bool fs_match_prefix(json_t *values, const char *s)
{
    size_t i;
    json_t *v;

    if (json_array_size(values) == 0)
        return true;
    json_array_foreach(values, i, v) {
        const char *p = json_string_value(v);

        if (p && !strncmp(s, p, strlen(p)))
            return true;
    }
    return false;
}

bool fs_match_exact(json_t *values, const char *s)
{
    size_t i;
    json_t *v;

    if (json_array_size(values) == 0)
        return true;
    json_array_foreach(values, i, v) {
        if (json_string_value(v) && !strcmp(json_string_value(v), s))
            return true;
    }
    return false;
}

bool fs_match_labels(json_t *labels, json_t *values)
{
    size_t i;
    json_t *v;

    json_array_foreach(values, i, v) {
        const char *kv = json_string_value(v);
        const char *eq = kv ? strchr(kv, '=') : NULL;
        char key[256];
        json_t *have;

        if (!kv)
            continue;
        snprintf(key, sizeof(key), "%.*s",
                 (int)(eq ? (size_t)(eq - kv) : strlen(kv)), kv);
        have = labels ? json_object_get(labels, key) : NULL;
        if (!json_is_string(have))
            return false;
        if (eq && eq[1] && strcmp(json_string_value(have), eq + 1))
            return false;
    }
    return true;
}

static const char *sort_key;

static int cmp_by_id(const void *a, const void *b)
{
    const char *ia = json_string_value(json_object_get(*(json_t *const *)a,
                                                       sort_key));
    const char *ib = json_string_value(json_object_get(*(json_t *const *)b,
                                                       sort_key));

    return strcmp(ia ? ia : "", ib ? ib : "");
}

void fs_sort_by_id(json_t *array, const char *key)
{
    size_t n = json_array_size(array);
    json_t **items;
    size_t i;

    if (n < 2)
        return;
    items = calloc(n, sizeof(*items));
    if (!items)
        return;
    for (i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(array, i));
    sort_key = key;
    qsort(items, n, sizeof(*items), cmp_by_id);
    json_array_clear(array);
    for (i = 0; i < n; i++)
        json_array_append_new(array, items[i]);
    free(items);
}

/* Addresses --------------------------------------------------------------- */

int fs_parse_ipv4(const char *s, uint32_t *out)
{
    unsigned a, b, c, d;
    char tail;

    if (!s || sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4)
        return -1;
    if (a > 255 || b > 255 || c > 255 || d > 255)
        return -1;
    *out = (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
    return 0;
}

void fs_format_ipv4(uint32_t a, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u.%u", (a >> 24) & 255, (a >> 16) & 255,
             (a >> 8) & 255, a & 255);
}

void fs_addr_host(const char *addr, char *buf, size_t size)
{
    const char *colon = strrchr(addr, ':');
    size_t len = colon ? (size_t)(colon - addr) : strlen(addr);

    snprintf(buf, size, "%.*s", (int)len, addr);
}
