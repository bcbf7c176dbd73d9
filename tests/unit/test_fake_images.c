/* The fake engine's images: imports, tags, list and inspect, refusals as recorded. */
#include "fake_swarm_fixture.h"

#include <zlib.h>

#include "fake_api.h"
#include "image_tar.h"

static const char script[] = "#!/bin/sh\necho hello\n";

static int setup(void **state)
{
    fx *f = fx_new(7);

    fx_host(f, "node-0", NULL, NULL);
    fx_host(f, "node-1", NULL, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

/* A tarball holding bin/hello; the caller frees it. */
static char *hello_tar(size_t *len)
{
    char *tar = NULL;

    assert_int_equal(sl_image_tar_file("bin/hello", script,
                                       sizeof(script) - 1, &tar, len, NULL),
                     0);
    return tar;
}

/* Imports bin/hello as 'ref' on 'host'; returns its ID (static). */
static const char *import(fx *f, int host, const char *ref)
{
    static char id[80];
    size_t len;
    char *tar = hello_tar(&len);
    json_t *j = sl_fake_image_import(f->fs, host, ref, NULL, tar, len,
                                     &f->err);

    if (!j)
        fail_msg("import '%s': %s", ref, f->err.message);
    snprintf(id, sizeof(id), "%s", json_string_value(j));
    json_decref(j);
    free(tar);
    return id;
}

static json_t *tags_of(json_t *list, size_t i)
{
    return json_object_get(json_array_get(list, i), "RepoTags");
}

static void imported_image_is_listed_and_inspected_with_its_tag(void **state)
{
    fx *f = *state;
    char id[80];
    json_t *list, *img;

    snprintf(id, sizeof(id), "%s", import(f, 0, "bb:1"));
    assert_int_equal(strncmp(id, "sha256:", 7), 0);
    assert_int_equal(strlen(id), 7 + 64);

    list = sl_fake_images_list(f->fs, 0, &f->err);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_array_get(tags_of(list, 0), 0)),
                        "bb:1");
    /* The size is what the layer unpacks to: the file's bytes. */
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(list, 0), "Size")),
                     sizeof(script) - 1);
    json_decref(list);

    img = sl_fake_image_inspect(f->fs, 0, "docker.io/library/bb:1", &f->err);
    assert_non_null(img);
    assert_string_equal(json_string_value(json_object_get(img, "Id")), id);
    json_decref(img);
    img = sl_fake_image_inspect(f->fs, 0, id + 7, &f->err);
    assert_non_null(img);
    json_decref(img);
    img = sl_fake_image_inspect(f->fs, 0, "sha256:0", &f->err);
    assert_null(img);
}

static void images_belong_to_one_engine(void **state)
{
    fx *f = *state;
    json_t *list;

    import(f, 0, "bb:1");
    list = sl_fake_images_list(f->fs, 1, &f->err);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_null(sl_fake_image_inspect(f->fs, 1, "bb:1", &f->err));
    assert_int_equal(f->err.http_status, 404);
    assert_string_equal(f->err.message,
                        "no such image: bb:1: No such image: bb:1");
}

/* The same seed and calls give the same IDs; another import of the same
 * tarball is another image, as on a real daemon. */
static void ids_are_deterministic_and_each_import_is_new(void **state)
{
    fx *f = *state;
    fx *g = fx_new(7);
    char first[80];

    fx_host(g, "node-0", NULL, NULL);
    snprintf(first, sizeof(first), "%s", import(f, 0, "bb:1"));
    assert_string_equal(import(g, 0, "bb:1"), first);
    assert_string_not_equal(import(f, 0, "bb:2"), first);
    fx_free(g);
}

static void a_tag_moves_to_the_newer_import(void **state)
{
    fx *f = *state;
    char old[80];
    json_t *list, *img;

    snprintf(old, sizeof(old), "%s", import(f, 0, "bb:1"));
    sl_clock_advance_ns(f->clock, SL_NS_PER_SEC);
    import(f, 0, "bb:1");
    list = sl_fake_images_list(f->fs, 0, &f->err);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(json_string_value(json_array_get(tags_of(list, 0), 0)),
                        "bb:1");
    assert_string_equal(json_string_value(json_array_get(tags_of(list, 1), 0)),
                        "<none>:<none>");
    json_decref(list);
    img = sl_fake_image_inspect(f->fs, 0, old, &f->err);
    assert_non_null(img);
    assert_int_equal(json_array_size(json_object_get(img, "RepoTags")), 0);
    json_decref(img);
}

static void untagged_name_means_latest(void **state)
{
    fx *f = *state;
    json_t *img;

    import(f, 0, "team/app");
    img = sl_fake_image_inspect(f->fs, 0, "team/app:latest", &f->err);
    assert_non_null(img);
    json_decref(img);
    assert_null(sl_fake_image_inspect(f->fs, 0, "nosuch", &f->err));
    assert_string_equal(f->err.message,
                        "no such image: nosuch: No such image: nosuch:latest");
}

static void gzipped_tarball_is_imported(void **state)
{
    fx *f = *state;
    size_t len;
    char *tar = hello_tar(&len);
    unsigned char gz[16384];
    z_stream z = {0};
    json_t *id, *img;

    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY),
                     Z_OK);
    z.next_in = (unsigned char *)tar;
    z.avail_in = (uInt)len;
    z.next_out = gz;
    z.avail_out = sizeof(gz);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    id = sl_fake_image_import(f->fs, 0, "gz:1", NULL, gz, z.total_out,
                              &f->err);
    deflateEnd(&z);
    assert_non_null(id);
    img = sl_fake_image_inspect(f->fs, 0, "gz:1", &f->err);
    assert_int_equal(json_integer_value(json_object_get(img, "Size")),
                     sizeof(script) - 1);
    json_decref(img);
    json_decref(id);
    free(tar);
}

static void cut_tarball_is_refused_as_the_daemon_does(void **state)
{
    fx *f = *state;
    size_t len;
    char *tar = hello_tar(&len);

    assert_null(sl_fake_image_import(f->fs, 0, "cut:1", NULL, tar, 700,
                                     &f->err));
    assert_int_equal(f->err.http_status, 500);
    assert_string_equal(f->err.message, "Error processing tar file(exit "
                                        "status 1): unexpected EOF");
    free(tar);
}

/* fixtures/real/errors.json: the real daemon's refusals of image calls,
 * sent through the API layer with the recorded request. */
static void recorded_image_refusals_have_the_same_words(void **state)
{
    fx *f = *state;
    json_t *all = sl_test_load_json("fixtures/real/errors.json");
    char text[4096];
    size_t i, checked = 0;
    json_t *c;

    memset(text, 'x', sizeof(text));
    json_array_foreach(all, i, c) {
        const char *name = json_string_value(json_object_get(c, "case"));
        const char *path = json_string_value(json_object_get(c, "path"));
        json_t *rb = json_object_get(c, "request_body");
        sl_fake_request req = {0};
        sl_fake_reply reply;
        char url[1024], query[1024], *q, *pair, *save = NULL;
        json_t *got;

        if (strncmp(name, "image", 5))
            continue;
        snprintf(url, sizeof(url), "%s", path);
        q = strchr(url, '?');
        query[0] = '\0';
        if (q) {
            *q = '\0';
            snprintf(query, sizeof(query), "%s", q + 1);
        }
        for (pair = strtok_r(query, "&", &save); pair;
             pair = strtok_r(NULL, "&", &save)) {
            char *eq = strchr(pair, '=');
            char *v = eq ? eq + 1 : pair + strlen(pair);
            char *o = v;

            if (eq)
                *eq = '\0';
            for (char *p = v; *p; p++, o++) { /* %XX only */
                if (*p == '%' && p[1] && p[2]) {
                    char hex[3] = {p[1], p[2], 0};

                    *o = (char)strtol(hex, NULL, 16);
                    p += 2;
                } else {
                    *o = *p;
                }
            }
            *o = '\0';
            req.args[req.nargs].key = pair;
            req.args[req.nargs++].value = v;
        }
        req.method = json_string_value(json_object_get(c, "method"));
        req.url = url;
        if (!strcmp(name, "image-import-not-a-tarball")) {
            req.body = text; /* the recorded 4096 bytes of text */
            req.body_len = sizeof(text);
        } else if (json_is_string(rb)) {
            req.body = json_string_value(rb);
            req.body_len = strlen(req.body);
        }
        sl_fake_api_handle(f->fs, 0, &req, &reply);
        got = json_loadb(reply.body, reply.body_len, 0, NULL);
        if (reply.status != json_integer_value(json_object_get(c, "status")) ||
            !json_equal(got, json_object_get(c, "body")))
            fail_msg("%s: got %d %.*s", name, reply.status,
                     (int)reply.body_len, reply.body);
        json_decref(got);
        sl_fake_reply_clear(&reply);
        checked++;
    }
    assert_true(checked >= 8);
    json_decref(all);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(imported_image_is_listed_and_inspected_with_its_tag),
        T(images_belong_to_one_engine),
        T(ids_are_deterministic_and_each_import_is_new),
        T(a_tag_moves_to_the_newer_import),
        T(untagged_name_means_latest),
        T(gzipped_tarball_is_imported),
        T(cut_tarball_is_refused_as_the_daemon_does),
        T(recorded_image_refusals_have_the_same_words),
    };

    return cmocka_run_group_tests_name("fake_images", tests, NULL, NULL);
}
