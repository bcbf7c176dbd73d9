/* The fake Docker daemon: an Engine API 1.41 HTTP server for one simulated host. */
#include "fake_dockerd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fake_api.h"

#define SL_FAKE_MAX_BODY (64u * 1024u * 1024u)

struct sl_fake_dockerd {
    sl_fake_swarm *fs;
    int host;
    struct MHD_Daemon *mhd;
    uint16_t port;
    char *unix_path;
    atomic_int frozen;
    atomic_int stopping;
};

/* What one request has gathered while its body arrives. */
typedef struct request_state {
    char *body;
    size_t len;
    size_t received; /* counts on past SL_FAKE_MAX_BODY */
    bool too_big;
} request_state;

static void add_daemon_headers(struct MHD_Response *resp,
                               sl_fake_headers which)
{
    if (which == SL_FAKE_HEADERS_NONE)
        return;
    MHD_add_response_header(resp, "Api-Version", SL_FAKE_API_VERSION);
    if (which == SL_FAKE_HEADERS_ALL)
        MHD_add_response_header(resp, "Docker-Experimental", "false");
    MHD_add_response_header(resp, "Ostype", "linux");
    MHD_add_response_header(resp, "Server", SL_FAKE_SERVER_HEADER);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn,
                                  const sl_fake_reply *reply)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;
    resp = MHD_create_response_from_buffer(reply->body_len,
                                           reply->body ? reply->body : "",
                                           MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    add_daemon_headers(resp, reply->headers);
    if (reply->nosniff)
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (reply->content_type)
        MHD_add_response_header(resp, "Content-Type", reply->content_type);
    if (reply->no_cache) {
        MHD_add_response_header(resp, "Cache-Control",
                                "no-cache, no-store, must-revalidate");
        MHD_add_response_header(resp, "Pragma", "no-cache");
    }
    ret = MHD_queue_response(conn, (unsigned int)reply->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Collects one query argument into the request's argument list. */
static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    sl_fake_request *req = cls;

    (void)kind;
    if (req->nargs < SL_FAKE_MAX_ARGS) {
        req->args[req->nargs].key = key;
        req->args[req->nargs].value = value ? value : "";
        req->nargs++;
    }
    return MHD_YES;
}

/* Holds the connection while the host is frozen, as a daemon that stopped
 * answering would; gives up when the server stops. */
static void wait_while_frozen(sl_fake_dockerd *d)
{
    struct timespec ts = {0, 20 * 1000 * 1000};

    while (atomic_load(&d->frozen) && !atomic_load(&d->stopping))
        nanosleep(&ts, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn,
                              const char *url, const char *method,
                              const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    sl_fake_dockerd *d = cls;
    request_state *st = *con_cls;
    sl_fake_request req;
    sl_fake_reply reply;
    enum MHD_Result ret;

    (void)version;
    if (!st) {
        st = calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_data_size) {
        st->received += *upload_data_size;
        if (!st->too_big && st->len + *upload_data_size > SL_FAKE_MAX_BODY) {
            st->too_big = true;
        } else if (!st->too_big) {
            char *grown = realloc(st->body, st->len + *upload_data_size + 1);

            if (!grown)
                return MHD_NO;
            st->body = grown;
            memcpy(st->body + st->len, upload_data, *upload_data_size);
            st->len += *upload_data_size;
            st->body[st->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    wait_while_frozen(d);
    if (atomic_load(&d->stopping))
        return MHD_NO;

    memset(&req, 0, sizeof(req));
    req.method = method;
    req.url = url;
    req.body = st->body;
    req.body_len = st->too_big ? st->received : st->len;
    req.body_too_big = st->too_big;
    req.content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   "Content-Type");
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &req);

    sl_fake_api_handle(d->fs, d->host, &req, &reply);
    ret = send_reply(conn, &reply);
    sl_fake_reply_clear(&reply);
    return ret;
}

static void request_done(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    request_state *st = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (st) {
        free(st->body);
        free(st);
        *con_cls = NULL;
    }
}

static sl_fake_dockerd *serve_on(sl_fake_swarm *fs, int host, int fd,
                                 sl_error *err)
{
    sl_fake_dockerd *d = calloc(1, sizeof(*d));

    if (!d) {
        close(fd);
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    d->fs = fs;
    d->host = host;
    d->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
                                  MHD_USE_THREAD_PER_CONNECTION |
                                  MHD_USE_ERROR_LOG * 0,
                              0, NULL, NULL, handle, d,
                              MHD_OPTION_LISTEN_SOCKET, fd,
                              MHD_OPTION_NOTIFY_COMPLETED, request_done, d,
                              MHD_OPTION_CONNECTION_TIMEOUT,
                              (unsigned int)120, MHD_OPTION_END);
    if (!d->mhd) {
        close(fd);
        free(d);
        sl_error_set(err, SL_ERR_IO, "cannot start the fake daemon of host %d",
                     host);
        return NULL;
    }
    return d;
}

sl_fake_dockerd *sl_fake_dockerd_start(sl_fake_swarm *fs, int host,
                                       const char *bind_addr, uint16_t port,
                                       sl_error *err)
{
    struct sockaddr_in sa;
    socklen_t salen = sizeof(sa);
    sl_fake_dockerd *d;
    int one = 1;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, bind_addr ? bind_addr : "127.0.0.1",
                  &sa.sin_addr) != 1) {
        sl_error_set(err, SL_ERR_INVALID, "invalid listen address '%s'",
                     bind_addr);
        return NULL;
    }
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot create a socket: %s",
                            strerror(errno)), NULL;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(fd, 64) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot listen on '%s:%u': %s",
                     bind_addr ? bind_addr : "127.0.0.1", port,
                     strerror(errno));
        close(fd);
        return NULL;
    }
    getsockname(fd, (struct sockaddr *)&sa, &salen);

    d = serve_on(fs, host, fd, err);
    if (d)
        d->port = ntohs(sa.sin_port);
    return d;
}

sl_fake_dockerd *sl_fake_dockerd_start_unix(sl_fake_swarm *fs, int host,
                                            const char *path, sl_error *err)
{
    struct sockaddr_un sa;
    sl_fake_dockerd *d;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        sl_error_set(err, SL_ERR_INVALID, "socket path '%s' is too long",
                     path);
        return NULL;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot create a socket: %s",
                            strerror(errno)), NULL;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        chmod(path, 0600) < 0 || listen(fd, 64) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot listen on 'unix://%s': %s",
                     path, strerror(errno));
        close(fd);
        return NULL;
    }

    d = serve_on(fs, host, fd, err);
    if (!d) {
        unlink(path);
        return NULL;
    }
    d->unix_path = strdup(path);
    return d;
}

uint16_t sl_fake_dockerd_port(const sl_fake_dockerd *d)
{
    return d->port;
}

void sl_fake_dockerd_set_frozen(sl_fake_dockerd *d, int frozen)
{
    atomic_store(&d->frozen, frozen ? 1 : 0);
}

void sl_fake_dockerd_stop(sl_fake_dockerd *d)
{
    if (!d)
        return;
    atomic_store(&d->stopping, 1);
    MHD_stop_daemon(d->mhd); /* closes the listening socket too */
    if (d->unix_path) {
        unlink(d->unix_path);
        free(d->unix_path);
    }
    free(d);
}
