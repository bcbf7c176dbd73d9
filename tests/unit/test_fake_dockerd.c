/* Tests of the fake daemon's HTTP side: real requests, bad ones, and staying up. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fake_dockerd.h"
#include "fake_swarm.h"

typedef struct fixture {
    sl_clock *clock;
    sl_fake_swarm *fs;
    sl_fake_dockerd *d;
    char base[64];
} fixture;

/* One HTTP exchange, as the test sees it. */
typedef struct answer {
    long status;
    char *body;
    size_t len;
    char headers[4096];
    CURLcode rc;
} answer;

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
    answer *a = user;
    char *grown = realloc(a->body, a->len + size * n + 1);

    if (!grown)
        return 0;
    a->body = grown;
    memcpy(a->body + a->len, data, size * n);
    a->len += size * n;
    a->body[a->len] = '\0';
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *user)
{
    answer *a = user;

    strncat(a->headers, data, sizeof(a->headers) - strlen(a->headers) - 1);
    return size * n;
}

/* Sends 'method' 'path' with 'body' (len bytes, may be NULL) to the fake. */
static answer request(fixture *f, const char *method, const char *path,
                      const char *body, size_t len, long timeout_ms)
{
    answer a;
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char url[512];

    memset(&a, 0, sizeof(a));
    snprintf(url, sizeof(url), "%s%s", f->base, path);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    a.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return a;
}

static void answer_free(answer *a)
{
    free(a->body);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sl_fake_host_spec spec = {0};
    sl_error err;

    f->clock = sl_clock_new_virtual(INT64_C(1796313600) * SL_NS_PER_SEC);
    f->fs = sl_fake_swarm_new(1, f->clock);
    spec.hostname = "node-0";
    spec.addr = "10.99.0.10";
    assert_int_equal(sl_fake_swarm_add_host(f->fs, &spec, &err), 0);
    f->d = sl_fake_dockerd_start(f->fs, 0, "127.0.0.1", 0, &err);
    assert_non_null(f->d);
    snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u",
             sl_fake_dockerd_port(f->d));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    sl_fake_dockerd_stop(f->d);
    sl_fake_swarm_free(f->fs);
    sl_clock_free(f->clock);
    free(f);
    return 0;
}

static void assert_alive(fixture *f)
{
    answer a = request(f, "GET", "/_ping", NULL, 0, 0);

    assert_int_equal(a.rc, CURLE_OK);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "OK");
    answer_free(&a);
}

static void ping_head_carries_the_daemon_headers(void **state)
{
    fixture *f = *state;
    answer a = request(f, "HEAD", "/_ping", NULL, 0, 0);

    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.headers, "Api-Version: 1.41\r\n"));
    assert_non_null(strstr(a.headers, "Docker-Experimental: false\r\n"));
    assert_non_null(strstr(a.headers, "Ostype: linux\r\n"));
    assert_non_null(strstr(a.headers, "Server: Docker/20.10.24+dfsg1 "
                                      "(linux)\r\n"));
    assert_non_null(strstr(a.headers, "Cache-Control: no-cache, no-store, "
                                      "must-revalidate\r\n"));
    assert_non_null(strstr(a.headers, "Content-Length: 0\r\n"));
    answer_free(&a);
}

static void unknown_path_is_a_bare_page_not_found(void **state)
{
    fixture *f = *state;
    answer a = request(f, "GET", "/v1.41/nope", NULL, 0, 0);

    assert_int_equal(a.status, 404);
    assert_string_equal(a.body, "{\"message\":\"page not found\"}\n");
    assert_null(strstr(a.headers, "Api-Version"));
    answer_free(&a);
    a = request(f, "PUT", "/v1.41/version", NULL, 0, 0);
    assert_int_equal(a.status, 404);
    answer_free(&a);
}

static void too_old_api_version_is_a_plain_text_error(void **state)
{
    fixture *f = *state;
    answer a = request(f, "GET", "/v1.11/version", NULL, 0, 0);

    assert_int_equal(a.status, 400);
    assert_string_equal(a.body, "client version 1.11 is too old. Minimum "
                                "supported API version is 1.12, please "
                                "upgrade your client to a newer version\n");
    assert_non_null(strstr(a.headers, "Content-Type: text/plain; "
                                      "charset=utf-8\r\n"));
    answer_free(&a);
    a = request(f, "GET", "/v1.99/version", NULL, 0, 0);
    assert_int_equal(a.status, 400);
    assert_string_equal(a.body, "{\"message\":\"client version 1.99 is too "
                                "new. Maximum supported API version is "
                                "1.41\"}\n");
    answer_free(&a);
}

static void malformed_and_mistyped_bodies_get_the_daemon_words(void **state)
{
    fixture *f = *state;
    answer a = request(f, "POST", "/v1.41/swarm/init", "{", 1, 0);

    assert_int_equal(a.status, 400);
    assert_string_equal(a.body, "{\"message\":\"unexpected EOF\"}\n");
    answer_free(&a);
    a = request(f, "POST", "/v1.41/swarm/init", "{\"ListenAddr\":5}", 16, 0);
    assert_int_equal(a.status, 400);
    assert_string_equal(a.body,
                        "{\"message\":\"json: cannot unmarshal number into "
                        "Go struct field InitRequest.ListenAddr of type "
                        "string\"}\n");
    answer_free(&a);
    a = request(f, "POST", "/v1.41/swarm/init", "", 0, 0);
    assert_int_equal(a.status, 400);
    assert_string_equal(a.body, "{\"message\":\"got EOF while reading "
                                "request body\"}\n");
    answer_free(&a);
}

static void huge_body_is_refused_as_grpc_refuses_it(void **state)
{
    fixture *f = *state;
    size_t len = 20u * 1024u * 1024u;
    char *body = malloc(len);
    answer a;

    memset(body, 'x', len);
    memcpy(body, "{\"Name\":\"huge\",\"Labels\":{\"pad\":\"", 32);
    memcpy(body + len - 3, "\"}}", 3);
    a = request(f, "POST", "/v1.41/services/create", body, len, 30000);
    assert_int_equal(a.status, 500);
    assert_non_null(strstr(a.body, "rpc error: code = ResourceExhausted "
                                   "desc = grpc: received message larger "
                                   "than max ("));
    assert_non_null(strstr(a.body, " vs. 4194304)"));
    answer_free(&a);
    free(body);
    assert_alive(f);
}

static void random_garbage_never_brings_it_down(void **state)
{
    static const char *const paths[] = {
        "/v1.41/swarm/init", "/v1.41/swarm/join", "/v1.41/services/create",
        "/v1.41/nodes/x/update?version=1", "/v1.41/networks/create",
        "/v1.41/swarm/update?version=1", "/v1.41/services/x/update?version=a",
        "/v1.41/tasks?filters=%7B", "/v1.41/nodes?filters=[1]",
    };
    static const char alphabet[] = "{}[]\":,0123456789.-+etrufalsn \\x\n";
    fixture *f = *state;
    unsigned seed = 12345;
    char body[512];
    int round;

    for (round = 0; round < 300; round++) {
        size_t len = (size_t)(rand_r(&seed) % (int)sizeof(body));
        const char *path = paths[rand_r(&seed) % (int)(sizeof(paths) /
                                                       sizeof(paths[0]))];
        const char *method = strchr(path, '?') && strstr(path, "filters")
                                 ? "GET"
                                 : "POST";
        answer a;
        size_t i;

        for (i = 0; i < len; i++)
            body[i] = alphabet[rand_r(&seed) % (int)(sizeof(alphabet) - 1)];
        a = request(f, method, path, body, len, 0);
        assert_int_equal(a.rc, CURLE_OK);
        if (a.status < 400 || a.status >= 600)
            fail_msg("'%.*s' to %s gave %ld", (int)len, body, path, a.status);
        answer_free(&a);
    }
    assert_alive(f);
}

static void frozen_daemon_does_not_answer_until_thawed(void **state)
{
    fixture *f = *state;
    answer a;

    sl_fake_dockerd_set_frozen(f->d, 1);
    a = request(f, "GET", "/_ping", NULL, 0, 300);
    assert_int_equal(a.rc, CURLE_OPERATION_TIMEDOUT);
    answer_free(&a);
    sl_fake_dockerd_set_frozen(f->d, 0);
    assert_alive(f);
}

static void serves_on_a_unix_socket(void **state)
{
    fixture *f = *state;
    char dir[] = "/tmp/sl-fakesock-XXXXXX";
    char path[128];
    sl_fake_dockerd *d;
    CURL *c;
    answer a;
    sl_error err;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/docker.sock", dir);
    d = sl_fake_dockerd_start_unix(f->fs, 0, path, &err);
    assert_non_null(d);
    memset(&a, 0, sizeof(a));
    c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, path);
    curl_easy_setopt(c, CURLOPT_URL, "http://localhost/v1.41/version");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
    curl_easy_cleanup(c);
    assert_int_equal(a.status, 200);
    assert_non_null(strstr(a.body, "\"ApiVersion\":\"1.41\""));
    answer_free(&a);
    sl_fake_dockerd_stop(d);
    assert_int_equal(access(path, F_OK), -1);
    rmdir(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(ping_head_carries_the_daemon_headers),
        T(unknown_path_is_a_bare_page_not_found),
        T(too_old_api_version_is_a_plain_text_error),
        T(malformed_and_mistyped_bodies_get_the_daemon_words),
        T(huge_body_is_refused_as_grpc_refuses_it),
        T(random_garbage_never_brings_it_down),
        T(frozen_daemon_does_not_answer_until_thawed),
        T(serves_on_a_unix_socket),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
