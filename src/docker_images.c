/* Docker client calls for images: import a tarball, list, inspect. */
#include "docker_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Import ------------------------------------------------------------------- */

/* What a stream of progress messages said: the last status, or an error. */
typedef struct stream_result {
    char status[160];        /* the last "status": the image ID on import */
    char error[512];         /* "" when none came */
    int code;                /* errorDetail.code, 0 when none */
    size_t messages;
} stream_result;

/* Reads one message of the stream; false when it is not a JSON object. */
static bool read_message(const char *line, size_t len, stream_result *out)
{
    json_t *msg = json_loadb(line, len, 0, NULL);
    json_t *detail;
    const char *text;

    if (!json_is_object(msg)) {
        json_decref(msg);
        return false;
    }
    out->messages++;
    detail = json_object_get(msg, "errorDetail");
    text = json_string_value(json_object_get(detail, "message"));
    if (!text)
        text = json_string_value(json_object_get(msg, "error"));
    if (text && !out->error[0]) {
        snprintf(out->error, sizeof(out->error), "%s", text);
        out->code = (int)json_integer_value(json_object_get(detail, "code"));
    }
    text = json_string_value(json_object_get(msg, "status"));
    if (text)
        snprintf(out->status, sizeof(out->status), "%s", text);
    json_decref(msg);
    return true;
}

/* Reads the messages of 'body', one JSON object a line (the daemon ends
 * them with "\r\n"), as the docker CLI does: the first error wins. */
static int read_stream(const char *body, size_t len, stream_result *out)
{
    size_t at = 0;

    memset(out, 0, sizeof(*out));
    while (at < len) {
        const char *nl = memchr(body + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - body) : len;
        size_t stop = end;

        while (stop > at && (body[stop - 1] == '\r' || body[stop - 1] == ' '))
            stop--;
        if (stop > at && !read_message(body + at, stop - at, out))
            return -1;
        at = end + 1;
    }
    return 0;
}

/* The path `docker import` asks for: the whole reference in 'repo'. */
static char *import_path(const char *ref, sl_error *err)
{
    char *escaped = sl__docker_query_escape(ref);
    char *path = NULL;

    if (!escaped ||
        asprintf(&path, "/images/create?fromSrc=-&message=&repo=%s&tag=",
                 escaped) < 0)
        path = NULL;
    free(escaped);
    if (!path)
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    return path;
}

char *sl_docker_image_import(sl_docker_client *c, const char *ref,
                             const void *tar, size_t len, sl_error *err)
{
    stream_result res;
    char *path = NULL, *answer = NULL, *id = NULL;
    size_t answer_len = 0;

    if (!ref || !*ref || (!tar && len)) {
        sl_error_set(err, SL_ERR_INVALID, "an import needs a reference and "
                                          "a tarball");
        return NULL;
    }
    path = import_path(ref, err);
    if (!path)
        return NULL;
    answer = sl__docker_send(c, "POST", path, tar ? tar : "", len,
                             "application/x-tar", &answer_len, err);
    if (!answer)
        goto cleanup;
    if (read_stream(answer, answer_len, &res) < 0 || res.messages == 0) {
        sl__docker_bad_answer(c, "POST", path, "a stream of json messages",
                              err);
    } else if (res.error[0]) {
        sl_error_set(err, SL_ERR_API, "%s", res.error);
        if (err) {
            err->http_status = 200;
            sl_error_where(err, "POST /v%s/images/create",
                           sl_docker_client_api_version(c));
        }
    } else if (strncmp(res.status, "sha256:", 7)) {
        sl__docker_bad_answer(c, "POST", path, "the new image's id", err);
    } else if (!(id = strdup(res.status))) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }

cleanup:
    free(answer);
    free(path);
    return id;
}

/* Inspect and list ---------------------------------------------------------- */

static int image_parse(json_t *obj, sl_docker_image *out, sl_error *err)
{
    json_t *tags = json_object_get(obj, "RepoTags");
    json_t *tag;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(obj) || !json_is_string(json_object_get(obj, "Id")))
        return sl_error_set(err, SL_ERR_PROTOCOL,
                            "malformed image from the daemon: expected 'Id'");
    if (json_array_size(tags)) {
        out->repo_tags = calloc(json_array_size(tags),
                                sizeof(*out->repo_tags));
        if (!out->repo_tags)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    json_array_foreach(tags, i, tag) {
        if (json_is_string(tag))
            out->repo_tags[out->n_repo_tags++] = json_string_value(tag);
    }
    out->raw = json_incref(obj);
    out->id = json_string_value(json_object_get(obj, "Id"));
    out->size = (int64_t)json_integer_value(json_object_get(obj, "Size"));
    return 0;
}

static void image_fini(sl_docker_image *img)
{
    free(img->repo_tags);
    json_decref(img->raw);
    memset(img, 0, sizeof(*img));
}

sl_docker_image *sl_docker_image_inspect(sl_docker_client *c, const char *ref,
                                         sl_error *err)
{
    json_t *obj = sl__docker_ref_json(c, "GET", "/images/", ref, "/json",
                                      NULL, JSON_OBJECT, err);
    sl_docker_image *img = NULL;

    if (!obj)
        return NULL;
    img = calloc(1, sizeof(*img));
    if (!img) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    } else if (image_parse(obj, img, err) < 0) {
        free(img);
        img = NULL;
    }
    json_decref(obj);
    return img;
}

void sl_docker_image_free(sl_docker_image *img)
{
    if (!img)
        return;
    image_fini(img);
    free(img);
}

sl_docker_image_list *sl_docker_images_list(sl_docker_client *c,
                                            sl_error *err)
{
    json_t *arr = sl__docker_json(c, "GET", "/images/json", NULL, false,
                                  JSON_ARRAY, err);
    sl_docker_image_list *list = NULL;
    size_t i;

    if (!arr)
        return NULL;
    list = calloc(1, sizeof(*list));
    if (list && json_array_size(arr))
        list->items = calloc(json_array_size(arr), sizeof(*list->items));
    if (!list || (json_array_size(arr) && !list->items)) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (i = 0; i < json_array_size(arr); i++) {
        if (image_parse(json_array_get(arr, i), &list->items[i], err) < 0)
            goto fail;
        list->count++;
    }
    json_decref(arr);
    return list;

fail:
    sl_docker_image_list_free(list);
    json_decref(arr);
    return NULL;
}

void sl_docker_image_list_free(sl_docker_image_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        image_fini(&list->items[i]);
    free(list->items);
    free(list);
}

bool sl_docker_image_has_tag(const sl_docker_image *img, const char *ref)
{
    for (size_t i = 0; i < img->n_repo_tags; i++) {
        if (!strcmp(img->repo_tags[i], ref))
            return true;
    }
    return false;
}
