/* Query filters encoded as the docker CLI sends them, and URL escaping. */
#include "docker_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
           (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
           ch == '.' || ch == '~';
}

/* Characters a path segment keeps as they are (RFC 3986 pchar). */
static bool path_char(unsigned char ch)
{
    return unreserved(ch) || (ch && strchr("!$&'()*+,;=:@", ch));
}

/* Percent-escapes 's': 'keep' says what stays, 'plus' turns spaces into
 * '+' as Go's url.QueryEscape does. Returns NULL when out of memory. */
static char *escape(const char *s, bool (*keep)(unsigned char), bool plus)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1);
    char *o = out;

    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (keep(*p)) {
            *o++ = (char)*p;
        } else if (plus && *p == ' ') {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

char *sl__docker_path_escape(const char *s)
{
    return escape(s, path_char, false);
}

char *sl__docker_query_escape(const char *s)
{
    return escape(s, unreserved, true);
}

/* Go's encoding/json escapes <, > and & (and U+2028, U+2029) inside
 * strings; jansson does not. Outside strings none of them can occur. */
static char *go_json_escapes(const char *json)
{
    char *out = malloc(strlen(json) * 6 + 1);
    char *o = out;
    const unsigned char *p;

    if (!out)
        return NULL;
    for (p = (const unsigned char *)json; *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&') {
            o += sprintf(o, "\\u%04x", *p);
        } else if (p[0] == 0xe2 && p[1] == 0x80 &&
                   (p[2] == 0xa8 || p[2] == 0xa9)) {
            o += sprintf(o, "\\u%04x", 0x2000 | (p[2] - 0xa8 + 0x28));
            p += 2;
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

char *sl_docker_filters_encode(const sl_docker_filter *filters, size_t n)
{
    json_t *root = json_object();
    char *json = NULL;
    char *go = NULL;
    char *out = NULL;

    if (!root)
        goto cleanup;
    for (size_t i = 0; i < n; i++) {
        json_t *values = json_object_get(root, filters[i].key);

        if (!values) {
            values = json_object();
            if (json_object_set_new(root, filters[i].key, values) < 0)
                goto cleanup;
        }
        if (json_object_set_new(values, filters[i].value, json_true()) < 0)
            goto cleanup;
    }
    json = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    if (!json)
        goto cleanup;
    go = go_json_escapes(json);
    if (!go)
        goto cleanup;
    out = escape(go, unreserved, true);

cleanup:
    free(go);
    free(json);
    json_decref(root);
    return out;
}

const char *sl_docker_label_get(const sl_docker_label *labels, size_t n,
                                const char *key)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(labels[i].key, key))
            return labels[i].value;
    }
    return NULL;
}

json_t *sl__docker_labels_json(const sl_docker_label *labels, size_t n)
{
    json_t *obj = json_object();

    for (size_t i = 0; obj && i < n; i++) {
        if (json_object_set_new(obj, labels[i].key,
                                json_string(labels[i].value)) < 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

char *sl__docker_list_path(const char *base, const sl_docker_filter *filters,
                           size_t n, const char *tail, sl_error *err)
{
    char *encoded = NULL;
    char *path = NULL;
    int rc;

    if (n) {
        encoded = sl_docker_filters_encode(filters, n);
        if (!encoded) {
            sl_error_set(err, SL_ERR_INVALID,
                         "cannot encode the filters of '%s': a key or value "
                         "is missing or not utf-8", base);
            return NULL;
        }
    }
    if (encoded && tail)
        rc = asprintf(&path, "%s?filters=%s&%s", base, encoded, tail);
    else if (encoded)
        rc = asprintf(&path, "%s?filters=%s", base, encoded);
    else if (tail)
        rc = asprintf(&path, "%s?%s", base, tail);
    else
        rc = asprintf(&path, "%s", base);
    if (rc < 0) {
        path = NULL;
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    free(encoded);
    return path;
}

char *sl__docker_ref_path(const char *base, const char *ref,
                          const char *tail, sl_error *err)
{
    char *escaped = NULL;
    char *path = NULL;

    if (!ref || !*ref) {
        sl_error_set(err, SL_ERR_INVALID, "no object named for '%s'", base);
        return NULL;
    }
    escaped = sl__docker_path_escape(ref);
    if (!escaped ||
        asprintf(&path, "%s%s%s", base, escaped, tail ? tail : "") < 0) {
        path = NULL;
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    free(escaped);
    return path;
}
