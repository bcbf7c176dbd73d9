/* A scripted HTTP server for the Docker client tests: canned raw answers. */
#ifndef SL_DOCKER_TEST_SERVER_H
#define SL_DOCKER_TEST_SERVER_H

/*
 * The server listens on 127.0.0.1 (port 0) or on a unix socket in a fresh
 * temporary directory, from a thread of its own. Each request it reads is
 * recorded and answered by the next step of its script: raw bytes (after
 * an optional delay, and optionally closing after), closing the
 * connection, or hanging until stopped.
 * When the script runs out, connections are closed unanswered. Answers
 * keep the connection open, as a daemon does.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define TS_MAX_STEPS 32
#define TS_MAX_REQUEST (256 * 1024)

typedef enum ts_kind { TS_REPLY, TS_REPLY_CLOSE, TS_CLOSE, TS_HANG } ts_kind;

typedef struct ts_step {
    ts_kind kind;
    char *raw;
    int delay_ms;
} ts_step;

typedef struct ts_request {
    char *head;         /* request line and headers */
    char *body;
    int conn;           /* which connection it came on, from 1 */
} ts_request;

typedef struct test_server {
    int listen_fd;
    int stop[2];
    pthread_t thread;
    unsigned port;
    char dir[64];
    char sock_path[108];
    char url[160];      /* "tcp://127.0.0.1:PORT" or "unix:///..." */
    pthread_mutex_t mu;
    ts_step steps[TS_MAX_STEPS];
    int nsteps;
    int next;
    ts_request reqs[TS_MAX_STEPS * 2];
    int nreqs;
    int conns;
} test_server;

/* Waits up to 'ms' (-1: forever) for 'fd' to be readable or the server to
 * be stopped; true when 'fd' is readable and the server not stopped. */
static inline bool ts_wait(test_server *s, int fd, int ms)
{
    struct pollfd p[2] = {{s->stop[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int n = fd >= 0 ? 2 : 1;

    while (poll(p, (nfds_t)n, ms) < 0) {
        if (errno != EINTR)
            return false;
    }
    if (p[0].revents)
        return false;
    return fd >= 0 && p[1].revents;
}

/* Reads one request from 'fd'; false at end of stream or on stop. */
static inline bool ts_read_request(test_server *s, int fd, ts_request *req)
{
    char *buf = malloc(TS_MAX_REQUEST + 1);
    size_t len = 0, need = 0;
    char *end = NULL;
    ssize_t n;

    while (buf) {
        if (end && len >= need)
            break;
        if (len >= TS_MAX_REQUEST || !ts_wait(s, fd, -1))
            goto fail;
        n = read(fd, buf + len, TS_MAX_REQUEST - len);
        if (n <= 0)
            goto fail;
        len += (size_t)n;
        buf[len] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "\r\nContent-Length:");

            need = (size_t)(end - buf) + 4;
            if (cl && cl < end)
                need += strtoul(cl + 17, NULL, 10);
        }
    }
    if (!buf)
        return false;
    req->head = strndup(buf, (size_t)(end - buf));
    req->body = strndup(end + 4, need - (size_t)(end - buf) - 4);
    free(buf);
    return true;

fail:
    free(buf);
    return false;
}

static inline void ts_serve(test_server *s, int fd)
{
    ts_request req;
    ts_step step;
    int conn;

    pthread_mutex_lock(&s->mu);
    conn = ++s->conns;
    pthread_mutex_unlock(&s->mu);

    while (ts_read_request(s, fd, &req)) {
        req.conn = conn;
        pthread_mutex_lock(&s->mu);
        if (s->nreqs < TS_MAX_STEPS * 2)
            s->reqs[s->nreqs++] = req;
        else {
            free(req.head);
            free(req.body);
        }
        step.kind = TS_CLOSE;
        if (s->next < s->nsteps)
            step = s->steps[s->next++];
        pthread_mutex_unlock(&s->mu);

        if (step.kind == TS_CLOSE)
            break;
        if (step.kind == TS_HANG) {
            ts_wait(s, -1, -1);
            break;
        }
        if (step.delay_ms)
            ts_wait(s, -1, step.delay_ms);
        if (write(fd, step.raw, strlen(step.raw)) < 0 ||
            step.kind == TS_REPLY_CLOSE)
            break;
    }
    close(fd);
}

static inline void *ts_main(void *arg)
{
    test_server *s = arg;

    while (ts_wait(s, s->listen_fd, -1)) {
        int fd = accept(s->listen_fd, NULL, NULL);

        if (fd >= 0)
            ts_serve(s, fd);
    }
    return NULL;
}

static inline void ts_start_thread(test_server *s)
{
    assert_int_equal(listen(s->listen_fd, 8), 0);
    assert_int_equal(pipe(s->stop), 0);
    pthread_mutex_init(&s->mu, NULL);
    assert_int_equal(pthread_create(&s->thread, NULL, ts_main, s), 0);
}

/* A server on 127.0.0.1 with a port of its own. */
static inline test_server *ts_start_tcp(void)
{
    test_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sa = {0};
    socklen_t len = sizeof(sa);

    assert_non_null(s);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->listen_fd >= 0);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa,
                          sizeof(sa)), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&sa,
                                 &len), 0);
    s->port = ntohs(sa.sin_port);
    snprintf(s->url, sizeof(s->url), "tcp://127.0.0.1:%u", s->port);
    ts_start_thread(s);
    return s;
}

/* A server on a unix socket in a new 0700 temporary directory. */
static inline test_server *ts_start_unix(void)
{
    test_server *s = calloc(1, sizeof(*s));
    struct sockaddr_un sa = {0};

    assert_non_null(s);
    strcpy(s->dir, "/tmp/sl-dockertest-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->sock_path, sizeof(s->sock_path), "%s/docker.sock", s->dir);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->listen_fd >= 0);
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, s->sock_path);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sa,
                          sizeof(sa)), 0);
    snprintf(s->url, sizeof(s->url), "unix://%s", s->sock_path);
    ts_start_thread(s);
    return s;
}

static inline void ts_stop(test_server *s)
{
    if (!s)
        return;
    if (write(s->stop[1], "x", 1) < 0)
        fail_msg("cannot stop the test server");
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    close(s->stop[0]);
    close(s->stop[1]);
    if (s->sock_path[0])
        unlink(s->sock_path);
    if (s->dir[0])
        rmdir(s->dir);
    for (int i = 0; i < s->nsteps; i++)
        free(s->steps[i].raw);
    for (int i = 0; i < s->nreqs; i++) {
        free(s->reqs[i].head);
        free(s->reqs[i].body);
    }
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static inline void ts_add(test_server *s, ts_kind kind, char *raw,
                          int delay_ms)
{
    pthread_mutex_lock(&s->mu);
    assert_true(s->nsteps < TS_MAX_STEPS);
    s->steps[s->nsteps].kind = kind;
    s->steps[s->nsteps].raw = raw;
    s->steps[s->nsteps].delay_ms = delay_ms;
    s->nsteps++;
    pthread_mutex_unlock(&s->mu);
}

/* Answers the next request with exactly 'raw', after 'delay_ms'. */
static inline void ts_raw(test_server *s, const char *raw, int delay_ms)
{
    char *copy = strdup(raw);

    assert_non_null(copy);
    ts_add(s, TS_REPLY, copy, delay_ms);
}

/* Answers the next request with exactly 'raw', then closes the connection. */
static inline void ts_raw_close(test_server *s, const char *raw)
{
    char *copy = strdup(raw);

    assert_non_null(copy);
    ts_add(s, TS_REPLY_CLOSE, copy, 0);
}

/* Answers the next request as dockerd 20.10 does: 'status' with a JSON
 * 'body' (may be "" for none). */
static inline void ts_json(test_server *s, int status, const char *body)
{
    char *raw = NULL;

    assert_true(asprintf(&raw,
                         "HTTP/1.1 %d Whatever\r\n"
                         "Api-Version: 1.41\r\n"
                         "Content-Type: application/json\r\n"
                         "Docker-Experimental: false\r\n"
                         "Ostype: linux\r\n"
                         "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
                         "Content-Length: %zu\r\n"
                         "\r\n%s", status, strlen(body), body) > 0);
    ts_add(s, TS_REPLY, raw, 0);
}

/* Answers a GET /_ping with 'api_version' in its Api-Version header. */
static inline void ts_ping(test_server *s, const char *api_version)
{
    char *raw = NULL;

    assert_true(asprintf(&raw,
                         "HTTP/1.1 200 OK\r\n"
                         "Api-Version: %s\r\n"
                         "Cache-Control: no-cache, no-store, "
                         "must-revalidate\r\n"
                         "Content-Length: 2\r\n"
                         "Content-Type: text/plain; charset=utf-8\r\n"
                         "Docker-Experimental: false\r\n"
                         "Ostype: linux\r\n"
                         "Pragma: no-cache\r\n"
                         "Server: Docker/20.10.24+dfsg1 (linux)\r\n"
                         "\r\nOK", api_version) > 0);
    ts_add(s, TS_REPLY, raw, 0);
}

/* Closes the connection instead of answering the next request. */
static inline void ts_close(test_server *s)
{
    ts_add(s, TS_CLOSE, NULL, 0);
}

/* Never answers the next request. */
static inline void ts_hang(test_server *s)
{
    ts_add(s, TS_HANG, NULL, 0);
}

static inline int ts_count(test_server *s)
{
    int n;

    pthread_mutex_lock(&s->mu);
    n = s->nreqs;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Request 'i' (from 0) as received; fails the test when there is none. */
static inline const ts_request *ts_req(test_server *s, int i)
{
    const ts_request *r = NULL;

    pthread_mutex_lock(&s->mu);
    if (i < s->nreqs)
        r = &s->reqs[i];
    pthread_mutex_unlock(&s->mu);
    if (!r)
        fail_msg("the server got no request %d", i);
    return r;
}

/* Checks that request 'i' starts with 'line' ("GET /v1.41/info"). */
static inline void ts_assert_line(test_server *s, int i, const char *line)
{
    const ts_request *r = ts_req(s, i);
    size_t len = strcspn(r->head, "\r");
    char got[2048];

    snprintf(got, sizeof(got), "%.*s", (int)len, r->head);
    if (strcmp(got, line))
        fail_msg("request %d: expected '%s', got '%s'", i, line, got);
}

#endif /* SL_DOCKER_TEST_SERVER_H */
