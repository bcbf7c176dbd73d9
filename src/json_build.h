/* Small jansson helpers for the code that builds request bodies. */
#ifndef SL_JSON_BUILD_H
#define SL_JSON_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Sets 'key' of 'obj' to 'value', which is stolen even on failure; false
 * when either is NULL or the key cannot be set (not UTF-8). */
static inline bool sl__set(json_t *obj, const char *key, json_t *value)
{
    if (!obj || !value) {
        json_decref(value);
        return false;
    }
    return json_object_set_new(obj, key, value) == 0;
}

/* The 'n' strings of 'items' as a JSON array (new reference), or NULL
 * when one is not UTF-8 or memory runs out. */
static inline json_t *sl__string_array(const char *const *items, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, json_string(items[i])) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

#endif /* SL_JSON_BUILD_H */
