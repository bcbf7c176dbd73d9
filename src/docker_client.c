/* Docker Engine API transport: libcurl, version negotiation, errors. */
#include "docker_internal.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#define MAX_ANSWER_BYTES (64L * 1024 * 1024)

/* What came back for one request. */
typedef struct answer {
    long status;
    char *body;
    size_t len;
    size_t cap;
    bool too_big;
    char api_version[16];    /* headers of interest */
    char os_type[32];
    char experimental[8];
    char swarm[32];
} answer;

/* A request body and its media type. */
typedef struct payload {
    const char *data;
    size_t len;
    const char *type;        /* "application/json" */
} payload;

struct sl_docker_client {
    CURL *curl;
    sl_docker_endpoint ep;
    bool tls_verify;
    char *ca_file;
    char *cert_file;
    char *key_file;
    long connect_timeout_ms;
    long timeout_ms;
    char api_version[16];    /* in use; "" until negotiated */
    sl_docker_trace_fn trace;
    void *trace_data;
    char curl_err[CURL_ERROR_SIZE];
    answer ans;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Client life ------------------------------------------------------------- */

static int dup_opt(const char *s, char **out)
{
    *out = NULL;
    if (!s)
        return 0;
    *out = strdup(s);
    return *out ? 0 : -1;
}

/* Refuses a TLS file the client could not read at connect time. */
static int check_file(const char *path, const char *what, sl_error *err)
{
    if (!path || access(path, R_OK) == 0)
        return 0;
    return sl_error_set(err, SL_ERR_INVALID, "cannot read %s '%s': %s",
                        what, path, strerror(errno));
}

static int check_config(const sl_docker_config *cfg, sl_error *err)
{
    int major, minor;

    if (cfg->api_version) {
        if (sl__docker_api_version_parse(cfg->api_version, &major,
                                         &minor) < 0)
            return sl_error_set(err, SL_ERR_INVALID,
                                "invalid api version '%s': expected a "
                                "version such as '1.41'", cfg->api_version);
        if (major < 1 || (major == 1 && minor < 24))
            return sl_error_set(err, SL_ERR_UNSUPPORTED,
                                "api version '%s' is older than the "
                                "oldest supported, %s", cfg->api_version,
                                SL_DOCKER_API_MIN);
    }
    if (!cfg->cert_file != !cfg->key_file)
        return sl_error_set(err, SL_ERR_INVALID,
                            "a client certificate needs both a "
                            "certificate and a key file");
    if (check_file(cfg->ca_file, "ca file", err) < 0 ||
        check_file(cfg->cert_file, "client certificate", err) < 0 ||
        check_file(cfg->key_file, "client key", err) < 0)
        return -1;
    if (cfg->connect_timeout_ms < 0 || cfg->timeout_ms < 0)
        return sl_error_set(err, SL_ERR_INVALID, "negative time limit");
    return 0;
}

sl_docker_client *sl_docker_client_new(const sl_docker_config *cfg,
                                       sl_error *err)
{
    static const sl_docker_config none;
    sl_docker_client *c = NULL;
    bool tls;

    if (!cfg)
        cfg = &none;
    if (check_config(cfg, err) < 0)
        return NULL;
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK) {
        sl_error_set(err, SL_ERR_INTERNAL, "cannot initialise libcurl: %s",
                     curl_easy_strerror(curl_init_rc));
        return NULL;
    }

    c = calloc(1, sizeof(*c));
    if (!c)
        goto nomem;
    tls = cfg->tls || cfg->tls_verify;
    if (sl__docker_endpoint_parse(cfg->host, tls, "docker host", &c->ep,
                                  err) < 0)
        goto fail;
    c->tls_verify = cfg->tls_verify;
    if (dup_opt(cfg->ca_file, &c->ca_file) < 0 ||
        dup_opt(cfg->cert_file, &c->cert_file) < 0 ||
        dup_opt(cfg->key_file, &c->key_file) < 0)
        goto nomem;
    c->connect_timeout_ms = cfg->connect_timeout_ms
                                ? cfg->connect_timeout_ms
                                : SL_DOCKER_CONNECT_TIMEOUT_MS;
    c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : SL_DOCKER_TIMEOUT_MS;
    if (cfg->api_version)
        snprintf(c->api_version, sizeof(c->api_version), "%s",
                 cfg->api_version);
    c->trace = cfg->trace;
    c->trace_data = cfg->trace_data;
    c->curl = curl_easy_init();
    if (!c->curl)
        goto nomem;
    return c;

nomem:
    sl_error_set(err, SL_ERR_NOMEM, "out of memory");
fail:
    sl_docker_client_free(c);
    return NULL;
}

sl_docker_client *sl_docker_client_new_from_env(const sl_docker_config *base,
                                                sl_error *err)
{
    sl_docker_config cfg = {0};
    sl__docker_env *store = NULL;
    sl_docker_client *c = NULL;

    if (base)
        cfg = *base;
    store = malloc(sizeof(*store));
    if (!store) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    if (sl__docker_config_from_env(&cfg, store, err) == 0)
        c = sl_docker_client_new(&cfg, err);
    free(store);
    return c;
}

void sl_docker_client_free(sl_docker_client *c)
{
    if (!c)
        return;
    if (c->curl)
        curl_easy_cleanup(c->curl);
    free(c->ca_file);
    free(c->cert_file);
    free(c->key_file);
    free(c->ans.body);
    free(c);
}

const char *sl_docker_client_endpoint(const sl_docker_client *c)
{
    return c->ep.text;
}

const char *sl_docker_client_api_version(const sl_docker_client *c)
{
    return c->api_version;
}

void sl_docker_client_set_timeouts(sl_docker_client *c,
                                   long connect_timeout_ms, long timeout_ms)
{
    if (connect_timeout_ms > 0)
        c->connect_timeout_ms = connect_timeout_ms;
    if (timeout_ms > 0)
        c->timeout_ms = timeout_ms;
}

/* Reading the answer ------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    answer *a = ud;
    size_t n = size * nmemb;
    size_t cap;
    char *grown;

    if (a->len + n > (size_t)MAX_ANSWER_BYTES) {
        a->too_big = true;
        return 0;
    }
    if (a->len + n + 1 > a->cap) {
        cap = a->cap ? a->cap : 4096;
        while (cap < a->len + n + 1)
            cap *= 2;
        grown = realloc(a->body, cap);
        if (!grown)
            return 0;
        a->body = grown;
        a->cap = cap;
    }
    memcpy(a->body + a->len, data, n);
    a->len += n;
    a->body[a->len] = '\0';
    return n;
}

/* Copies the value of header line 'line' into 'buf' when it is 'name'. */
static void header_value(const char *line, size_t len, const char *name,
                         char *buf, size_t size)
{
    size_t nlen = strlen(name);
    size_t vlen;

    if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen))
        return;
    line += nlen + 1;
    len -= nlen + 1;
    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    while (len && isspace((unsigned char)line[len - 1]))
        len--;
    vlen = len < size - 1 ? len : size - 1;
    memcpy(buf, line, vlen);
    buf[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    answer *a = ud;
    size_t n = size * nmemb;

    if (n >= 5 && !strncmp(data, "HTTP/", 5)) {
        a->api_version[0] = a->os_type[0] = '\0';
        a->experimental[0] = a->swarm[0] = '\0';
        return n;
    }
    header_value(data, n, "Api-Version", a->api_version,
                 sizeof(a->api_version));
    header_value(data, n, "Ostype", a->os_type, sizeof(a->os_type));
    header_value(data, n, "Docker-Experimental", a->experimental,
                 sizeof(a->experimental));
    header_value(data, n, "Swarm", a->swarm, sizeof(a->swarm));
    return n;
}

static void answer_reset(answer *a)
{
    a->status = 0;
    a->len = 0;
    if (a->body)
        a->body[0] = '\0';
    a->too_big = false;
    a->api_version[0] = a->os_type[0] = '\0';
    a->experimental[0] = a->swarm[0] = '\0';
}

/* Transport errors -------------------------------------------------------- */

/* A time limit for messages: "30 s" or "250 ms". */
static void fmt_limit(long ms, char *buf, size_t size)
{
    if (ms % 1000 == 0)
        snprintf(buf, size, "%ld s", ms / 1000);
    else
        snprintf(buf, size, "%ld ms", ms);
}

/* Why a connection failed, in lowercase. */
static const char *errno_text(long os_errno, char *buf, size_t size)
{
    switch (os_errno) {
    case ECONNREFUSED: return "connection refused";
    case ENOENT: return "no such file or directory";
    case EACCES: return "permission denied";
    case EHOSTUNREACH: return "no route to host";
    case ENETUNREACH: return "network is unreachable";
    case ECONNRESET: return "connection reset by peer";
    case 0: return "connection failed";
    }
    snprintf(buf, size, "%s", strerror((int)os_errno));
    if (buf[0])
        buf[0] = (char)tolower((unsigned char)buf[0]);
    return buf;
}

/* Which limit ran out: the connection's when the request was never sent
 * and that limit is the shorter, else the whole call's. */
static int timeout_error(sl_docker_client *c, sl_error *err)
{
    curl_off_t sent_at = 0;
    char limit[32];

    curl_easy_getinfo(c->curl, CURLINFO_PRETRANSFER_TIME_T, &sent_at);
    if (!sent_at && c->connect_timeout_ms < c->timeout_ms) {
        fmt_limit(c->connect_timeout_ms, limit, sizeof(limit));
        return sl_error_set(err, SL_ERR_TIMEOUT,
                            "cannot connect to '%s' within %s", c->ep.text,
                            limit);
    }
    fmt_limit(c->timeout_ms, limit, sizeof(limit));
    return sl_error_set(err, SL_ERR_TIMEOUT, "no answer from '%s' within %s",
                        c->ep.text, limit);
}

/* Fills 'err' for a failed transfer. Always returns -1. */
static int transport_error(sl_docker_client *c, CURLcode rc, sl_error *err)
{
    const char *ep = c->ep.text;
    const char *why = c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc);
    long os_errno = 0;
    char buf[128];

    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
        return sl_error_set(err, SL_ERR_CONNECT, "cannot connect to '%s': %s",
                            ep, errno_text(os_errno, buf, sizeof(buf)));
    case CURLE_COULDNT_RESOLVE_HOST:
        return sl_error_set(err, SL_ERR_CONNECT,
                            "cannot connect to '%s': unknown host '%s'", ep,
                            c->ep.host);
    case CURLE_OPERATION_TIMEDOUT:
        return timeout_error(c, err);
    case CURLE_PEER_FAILED_VERIFICATION:
        return sl_error_set(err, SL_ERR_CONNECT,
                            "cannot connect to '%s': daemon certificate "
                            "not trusted: %s", ep, why);
    case CURLE_SSL_CONNECT_ERROR:
        return sl_error_set(err, SL_ERR_CONNECT,
                            "cannot connect to '%s': tls handshake failed: "
                            "%s", ep, why);
    case CURLE_SSL_CERTPROBLEM:
        return sl_error_set(err, SL_ERR_INVALID,
                            "cannot use client certificate '%s': %s",
                            c->cert_file ? c->cert_file : "", why);
    case CURLE_SSL_CACERT_BADFILE:
        return sl_error_set(err, SL_ERR_INVALID, "cannot use ca file '%s': %s",
                            c->ca_file ? c->ca_file : "", why);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return sl_error_set(err, SL_ERR_CONNECT,
                            "lost the connection to '%s': %s", ep, why);
    case CURLE_GOT_NOTHING:
        return sl_error_set(err, SL_ERR_PROTOCOL,
                            "no answer from '%s': connection closed", ep);
    case CURLE_PARTIAL_FILE:
        return sl_error_set(err, SL_ERR_PROTOCOL,
                            "answer from '%s' cut short: %s", ep, why);
    case CURLE_WRITE_ERROR:
        if (c->ans.too_big)
            return sl_error_set(err, SL_ERR_PROTOCOL,
                                "answer from '%s' larger than %ld MiB", ep,
                                MAX_ANSWER_BYTES >> 20);
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    case CURLE_OUT_OF_MEMORY:
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
        return sl_error_set(err, SL_ERR_PROTOCOL,
                            "malformed http answer from '%s': %s", ep, why);
    default:
        return sl_error_set(err, SL_ERR_CONNECT, "cannot talk to '%s': %s", ep,
                            why);
    }
}

/* 'text' of 'len' bytes, cut and made printable for a message. */
static void snippet(const char *text, size_t len, char *buf, size_t size)
{
    size_t max = size - 4;
    size_t n = len < max ? len : max;
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];

        buf[i] = isprint(ch) ? (char)ch : ' ';
    }
    strcpy(buf + i, len > max ? "..." : "");
}

/* The length of 'path' without its query. */
static int path_len(const char *path)
{
    return (int)strcspn(path, "?");
}

/* Fills 'err' from an error status: the daemon's own message, its status,
 * and the call in 'where'. Always returns -1. */
static int status_error(sl_docker_client *c, const char *method,
                        const char *path, sl_error *err)
{
    answer *a = &c->ans;
    sl_errcode code = a->status == 404   ? SL_ERR_NOT_FOUND
                      : a->status == 409 ? SL_ERR_CONFLICT
                                         : SL_ERR_API;
    json_t *body = json_loadb(a->body ? a->body : "", a->len, 0, NULL);
    const char *msg = json_string_value(json_object_get(body, "message"));
    char text[256];
    size_t len = a->len;

    if (msg) {
        sl_error_set(err, code, "%s", msg);
    } else {
        while (len && isspace((unsigned char)a->body[len - 1]))
            len--;
        if (len) {
            snippet(a->body, len, text, sizeof(text));
            sl_error_set(err, code, "%s", text);
        } else {
            sl_error_set(err, code, "status %ld from '%s' with no message",
                         a->status, c->ep.text);
        }
    }
    json_decref(body);
    if (err) {
        err->http_status = (int)a->status;
        sl_error_where(err, "%s %.*s", method, path_len(path), path);
    }
    return -1;
}

/* Requests ---------------------------------------------------------------- */

static void trace(sl_docker_client *c, const char *method, const char *path,
                  int64_t duration_ns, sl_errcode code)
{
    sl_docker_trace_event ev = {
        .endpoint = c->ep.text,
        .method = method,
        .path = path,
        .status = (int)c->ans.status,
        .duration_ns = duration_ns,
        .error = code,
    };

    if (c->trace)
        c->trace(&ev, c->trace_data);
}

static int set_tls(sl_docker_client *c)
{
    CURL *h = c->curl;
    int bad = 0;

    if (!c->ep.tls)
        return 0;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, c->tls_verify ? 1L
                                                                     : 0L);
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, c->tls_verify ? 2L
                                                                     : 0L);
    if (c->ca_file)
        bad |= curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->cert_file) {
        bad |= curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
        bad |= curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
    }
    return bad ? -1 : 0;
}

/* Sets up the handle for one request; 'headers' is kept until it ends. */
static int set_request(sl_docker_client *c, const char *method,
                       const char *url, const payload *body,
                       struct curl_slist *headers)
{
    CURL *h = c->curl;
    int bad = 0;

    curl_easy_reset(h);
    c->curl_err[0] = '\0';
    bad |= curl_easy_setopt(h, CURLOPT_URL, url);
    if (c->ep.transport == SL_DOCKER_UNIX)
        bad |= curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH,
                                c->ep.socket_path);
    bad |= curl_easy_setopt(h, CURLOPT_PROXY, "");
    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    bad |= curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                            c->connect_timeout_ms);
    bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
    bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, "swarmlab/" SL_VERSION);
    bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
    bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->ans);
    bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, &c->ans);
    bad |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);

    if (!strcmp(method, "GET")) {
        bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(method, "HEAD")) {
        bad |= curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (!strcmp(method, "POST") || body) {
        if (strcmp(method, "POST"))
            bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDS,
                                body ? body->data : "");
        bad |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                (curl_off_t)(body ? body->len : 0));
    } else {
        bad |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    return bad || set_tls(c) < 0 ? -1 : 0;
}

/* Sends 'method' 'path' (already versioned, with its query) and reads the
 * answer into c->ans. Transport failures and error statuses fill 'err'. */
static int transfer_body(sl_docker_client *c, const char *method,
                         const char *path, const payload *body, sl_error *err)
{
    struct curl_slist *headers = NULL, *more;
    char *url = NULL, *ctype = NULL;
    curl_off_t total_us = 0;
    sl_error local;
    CURLcode rc;
    int ret = -1;

    if (!err)
        err = &local;
    answer_reset(&c->ans);
    if (asprintf(&url, "%s%s", c->ep.url_base, path) < 0) {
        url = NULL;
        goto nomem;
    }
    headers = curl_slist_append(NULL, "Expect:");
    if (headers && body && asprintf(&ctype, "Content-Type: %s",
                                    body->type) < 0)
        ctype = NULL;
    more = headers && ctype ? curl_slist_append(headers, ctype) : NULL;
    if (!headers || (body && !more))
        goto nomem;
    if (set_request(c, method, url, body, headers) < 0) {
        sl_error_set(err, SL_ERR_INTERNAL, "cannot set up '%s %s'", method,
                     path);
        goto cleanup;
    }

    rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->ans.status);
    curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME_T, &total_us);
    if (rc != CURLE_OK) {
        transport_error(c, rc, err);
        sl_error_where(err, "%s %.*s", method, path_len(path), path);
    } else if (c->ans.status >= 400) {
        status_error(c, method, path, err);
    } else if (c->ans.status < 200 || c->ans.status > 299) {
        sl_error_set(err, SL_ERR_PROTOCOL, "unexpected status %ld from '%s'",
                     c->ans.status, c->ep.text);
        sl_error_where(err, "%s %.*s", method, path_len(path), path);
    } else {
        ret = 0;
    }
    trace(c, method, path, (int64_t)total_us * 1000,
          ret ? err->code : SL_OK);
    goto cleanup;

nomem:
    sl_error_set(err, SL_ERR_NOMEM, "out of memory");
cleanup:
    curl_slist_free_all(headers);
    free(ctype);
    free(url);
    return ret;
}

/* transfer_body() with 'json' as the body, or none when NULL. */
static int transfer(sl_docker_client *c, const char *method,
                    const char *path, const char *json, sl_error *err)
{
    payload body = {json, json ? strlen(json) : 0, "application/json"};

    return transfer_body(c, method, path, json ? &body : NULL, err);
}

/* Version negotiation ----------------------------------------------------- */

/* Settles on min(ours, 'daemon'); refuses a daemon older than our minimum. */
static int settle_version(sl_docker_client *c, const char *daemon,
                          const char *from, sl_error *err)
{
    int major, minor, max_major, max_minor;

    if (sl__docker_api_version_parse(daemon, &major, &minor) < 0)
        return sl_error_set(err, SL_ERR_PROTOCOL,
                            "malformed answer to '%s' from '%s': expected "
                            "an api version, got '%s'", from, c->ep.text,
                            daemon);
    if (major < 1 || (major == 1 && minor < 24))
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "daemon at '%s' speaks api %s; swarmlab needs "
                            "%s or newer", c->ep.text, daemon,
                            SL_DOCKER_API_MIN);
    sl__docker_api_version_parse(SL_DOCKER_API_MAX, &max_major, &max_minor);
    if (major > max_major || (major == max_major && minor > max_minor))
        daemon = SL_DOCKER_API_MAX;
    snprintf(c->api_version, sizeof(c->api_version), "%s", daemon);
    return 0;
}

/* GET /version for daemons whose /_ping does not say. */
static int negotiate_by_version(sl_docker_client *c, sl_error *err)
{
    json_t *body = NULL;
    const char *v;
    char text[64];
    int ret = -1;

    if (transfer(c, "GET", "/version", NULL, err) < 0)
        return -1;
    body = json_loadb(c->ans.body ? c->ans.body : "", c->ans.len, 0, NULL);
    v = json_string_value(json_object_get(body, "ApiVersion"));
    if (!v) {
        snippet(c->ans.body ? c->ans.body : "", c->ans.len, text,
                sizeof(text));
        sl_error_set(err, SL_ERR_PROTOCOL,
                     "malformed answer to 'GET /version' from '%s': "
                     "expected an object with 'ApiVersion', got '%s'",
                     c->ep.text, text);
        sl_error_where(err, "GET /version");
        goto cleanup;
    }
    ret = settle_version(c, v, "GET /version", err);

cleanup:
    json_decref(body);
    return ret;
}

int sl_docker_client_negotiate(sl_docker_client *c, sl_error *err)
{
    sl_error ping_err;

    if (c->api_version[0])
        return 0;
    if (transfer(c, "GET", "/_ping", NULL, &ping_err) < 0 &&
        ping_err.code != SL_ERR_API && ping_err.code != SL_ERR_NOT_FOUND) {
        if (err)
            *err = ping_err;
        return -1;
    }
    if (c->ans.api_version[0])
        return settle_version(c, c->ans.api_version, "GET /_ping", err);
    return negotiate_by_version(c, err);
}

/* Decoding answers -------------------------------------------------------- */

static const char *type_name(json_type t)
{
    switch (t) {
    case JSON_OBJECT: return "a json object";
    case JSON_ARRAY: return "a json array";
    case JSON_STRING: return "a json string";
    case JSON_INTEGER:
    case JSON_REAL: return "a json number";
    case JSON_TRUE:
    case JSON_FALSE: return "a json boolean";
    case JSON_NULL: return "json null";
    }
    return "json";
}

/* The answer in c->ans as JSON of type 'expect' (JSON_NULL: anything). */
static json_t *decode(sl_docker_client *c, const char *method,
                      const char *path, json_type expect, sl_error *err)
{
    answer *a = &c->ans;
    json_t *v;
    char text[64];

    if (a->len == 0 && expect == JSON_NULL)
        return json_null();
    v = json_loadb(a->body ? a->body : "", a->len, JSON_DECODE_ANY, NULL);
    if (v && (expect == JSON_NULL || json_typeof(v) == expect))
        return v;

    if (v)
        sl_error_set(err, SL_ERR_PROTOCOL,
                     "malformed answer to '%s %.*s': expected %s, got %s",
                     method, path_len(path), path, type_name(expect),
                     type_name(json_typeof(v)));
    else if (a->len == 0)
        sl_error_set(err, SL_ERR_PROTOCOL,
                     "malformed answer to '%s %.*s': expected %s, got "
                     "nothing", method, path_len(path), path,
                     type_name(expect));
    else {
        snippet(a->body, a->len, text, sizeof(text));
        sl_error_set(err, SL_ERR_PROTOCOL,
                     "malformed answer to '%s %.*s': expected %s, got '%s'",
                     method, path_len(path), path, type_name(expect), text);
    }
    sl_error_where(err, "%s %.*s", method, path_len(path), path);
    json_decref(v);
    return NULL;
}

/* "/v1.41" + 'path_query', negotiating first; the caller frees it. */
static char *versioned(sl_docker_client *c, const char *path_query,
                       sl_error *err)
{
    char *full = NULL;

    if (sl_docker_client_negotiate(c, err) < 0)
        return NULL;
    if (asprintf(&full, "/v%s%s", c->api_version, path_query) < 0) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    return full;
}

json_t *sl__docker_json(sl_docker_client *c, const char *method,
                        const char *path_query, json_t *body, bool secret,
                        json_type expect, sl_error *err)
{
    char *text = NULL;
    char *path = NULL;
    json_t *out = NULL;

    if (body) {
        text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) {
            sl_error_set(err, SL_ERR_INVALID,
                         "cannot encode the body of '%s %s'", method,
                         path_query);
            goto cleanup;
        }
    }
    path = versioned(c, path_query, err);
    if (!path)
        goto cleanup;
    if (transfer(c, method, path, text, err) < 0)
        goto cleanup;
    out = decode(c, method, path, expect, err);

cleanup:
    if (text && secret)
        explicit_bzero(text, strlen(text));
    free(text);
    free(path);
    return out;
}

char *sl__docker_send(sl_docker_client *c, const char *method,
                      const char *path_query, const void *data, size_t len,
                      const char *type, size_t *answer_len, sl_error *err)
{
    payload body = {data, len, type};
    char *path = versioned(c, path_query, err);
    char *out = NULL;

    if (!path)
        return NULL;
    if (transfer_body(c, method, path, &body, err) == 0) {
        out = malloc(c->ans.len + 1);
        if (!out) {
            sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        } else {
            if (c->ans.len)
                memcpy(out, c->ans.body, c->ans.len);
            out[c->ans.len] = '\0';
            *answer_len = c->ans.len;
        }
    }
    free(path);
    return out;
}

int sl__docker_do(sl_docker_client *c, const char *method,
                  const char *path_query, json_t *body, bool secret,
                  sl_error *err)
{
    json_t *v = sl__docker_json(c, method, path_query, body, secret,
                                JSON_NULL, err);

    if (!v)
        return -1;
    json_decref(v);
    return 0;
}

json_t *sl__docker_ref_json(sl_docker_client *c, const char *method,
                            const char *base, const char *ref,
                            const char *tail, json_t *body, json_type expect,
                            sl_error *err)
{
    char *path = sl__docker_ref_path(base, ref, tail, err);
    json_t *out;

    if (!path)
        return NULL;
    out = sl__docker_json(c, method, path, body, false, expect, err);
    free(path);
    return out;
}

int sl__docker_ref_do(sl_docker_client *c, const char *method,
                      const char *base, const char *ref, const char *tail,
                      json_t *body, sl_error *err)
{
    json_t *v = sl__docker_ref_json(c, method, base, ref, tail, body,
                                    JSON_NULL, err);

    if (!v)
        return -1;
    json_decref(v);
    return 0;
}

json_t *sl__docker_list_json(sl_docker_client *c, const char *base,
                             const sl_docker_filter *filters, size_t n,
                             const char *tail, sl_error *err)
{
    char *path = sl__docker_list_path(base, filters, n, tail, err);
    json_t *arr;

    if (!path)
        return NULL;
    arr = sl__docker_json(c, "GET", path, NULL, false, JSON_ARRAY, err);
    free(path);
    return arr;
}

int sl__docker_bad_answer(sl_docker_client *c, const char *method,
                          const char *path_query, const char *what,
                          sl_error *err)
{
    sl_error_set(err, SL_ERR_PROTOCOL,
                 "malformed answer to '%s /v%s%.*s': expected %s", method,
                 c->api_version, path_len(path_query), path_query, what);
    sl_error_where(err, "%s /v%s%.*s", method, c->api_version,
                   path_len(path_query), path_query);
    return -1;
}

json_t *sl_docker_call(sl_docker_client *c, const char *method,
                       const char *path_query, json_t *body, sl_error *err)
{
    return sl__docker_json(c, method, path_query, body, false, JSON_NULL,
                           err);
}

/* Engine calls ------------------------------------------------------------ */

int sl_docker_ping(sl_docker_client *c, sl_docker_ping_result *out,
                   sl_error *err)
{
    answer *a = &c->ans;

    memset(out, 0, sizeof(*out));
    if (transfer(c, "GET", "/_ping", NULL, err) < 0)
        return -1;
    snprintf(out->api_version, sizeof(out->api_version), "%s",
             a->api_version);
    snprintf(out->os_type, sizeof(out->os_type), "%s", a->os_type);
    out->experimental = !strcmp(a->experimental, "true");
    snprintf(out->swarm, sizeof(out->swarm), "%s", a->swarm);
    if (!c->api_version[0] && out->api_version[0])
        return settle_version(c, out->api_version, "GET /_ping", err);
    return 0;
}

sl_docker_version *sl_docker_version_get(sl_docker_client *c, sl_error *err)
{
    sl_docker_version *v = NULL;
    json_t *obj = sl__docker_json(c, "GET", "/version", NULL, false,
                                  JSON_OBJECT, err);

    if (!obj)
        return NULL;
    v = calloc(1, sizeof(*v));
    if (!v) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    } else if (sl__docker_version_parse(obj, v, err) < 0) {
        free(v);
        v = NULL;
    }
    json_decref(obj);
    return v;
}

void sl_docker_version_free(sl_docker_version *v)
{
    if (!v)
        return;
    json_decref(v->raw);
    free(v);
}

sl_docker_info *sl_docker_info_get(sl_docker_client *c, sl_error *err)
{
    sl_docker_info *info = NULL;
    json_t *obj = sl__docker_json(c, "GET", "/info", NULL, false, JSON_OBJECT,
                                  err);

    if (!obj)
        return NULL;
    info = calloc(1, sizeof(*info));
    if (!info) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    } else if (sl__docker_info_parse(obj, info, err) < 0) {
        free(info);
        info = NULL;
    }
    json_decref(obj);
    return info;
}

void sl_docker_info_free(sl_docker_info *info)
{
    if (!info)
        return;
    json_decref(info->raw);
    free(info);
}
