/* Engine API routing for the fake daemon: a request in, a reply out, no sockets. */
#ifndef SL_FAKE_API_H
#define SL_FAKE_API_H

#include <stdbool.h>
#include <stddef.h>

#include "fake_swarm.h"

#define SL_FAKE_API_VERSION "1.41"
#define SL_FAKE_MIN_API_VERSION "1.12"
#define SL_FAKE_SERVER_HEADER "Docker/20.10.24+dfsg1 (linux)"
#define SL_FAKE_MAX_ARGS 32
/* The largest message the daemon's gRPC link to the swarm takes. */
#define SL_FAKE_GRPC_MAX 4194304

/* One decoded HTTP request; every pointer is borrowed. */
typedef struct sl_fake_request {
    const char *method;
    const char *url;          /* path only, without the query string */
    const char *body;         /* NUL-terminated, or NULL when empty */
    size_t body_len;          /* bytes received */
    bool body_too_big;        /* too big to keep: 'body' is cut short */
    const char *content_type; /* or NULL */
    struct {
        const char *key;
        const char *value;    /* URL-decoded */
    } args[SL_FAKE_MAX_ARGS];
    int nargs;
} sl_fake_request;

/* Which of the daemon's own headers a reply carries: its router answers
 * unknown paths bare, its version check before the experimental flag is
 * known, every API handler with all of them. */
typedef enum sl_fake_headers {
    SL_FAKE_HEADERS_ALL = 0,  /* Api-Version, Docker-Experimental, Ostype,
                                 Server */
    SL_FAKE_HEADERS_VERSION,  /* Api-Version, Ostype, Server */
    SL_FAKE_HEADERS_NONE
} sl_fake_headers;

/* What to send back. 'body' is owned (free with sl_fake_reply_clear). */
typedef struct sl_fake_reply {
    int status;
    char *body;
    size_t body_len;          /* may hold NULs: bodies are not strings */
    const char *content_type; /* static string, or NULL for none */
    bool no_cache;            /* the _ping endpoint's cache headers */
    bool nosniff;             /* X-Content-Type-Options, on plain errors */
    sl_fake_headers headers;
} sl_fake_reply;

/* Answers 'req' as host 'host' of 'fs' would; takes the model's lock. */
void sl_fake_api_handle(sl_fake_swarm *fs, int host,
                        const sl_fake_request *req, sl_fake_reply *reply);

/* Frees the reply's body; accepts a zeroed reply. */
void sl_fake_reply_clear(sl_fake_reply *reply);

#endif /* SL_FAKE_API_H */
