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

/* One decoded HTTP request; every pointer is borrowed. */
typedef struct sl_fake_request {
    const char *method;
    const char *url;          /* path only, without the query string */
    const char *body;         /* NUL-terminated, or NULL when empty */
    size_t body_len;
    bool body_too_big;
    const char *content_type; /* or NULL */
    struct {
        const char *key;
        const char *value;    /* URL-decoded */
    } args[SL_FAKE_MAX_ARGS];
    int nargs;
} sl_fake_request;

/* What to send back. 'body' is owned (free with sl_fake_reply_clear). */
typedef struct sl_fake_reply {
    int status;
    char *body;
    const char *content_type; /* static string, or NULL for none */
    bool no_cache;            /* the _ping endpoint's cache headers */
} sl_fake_reply;

/* Answers 'req' as host 'host' of 'fs' would; takes the model's lock. */
void sl_fake_api_handle(sl_fake_swarm *fs, int host,
                        const sl_fake_request *req, sl_fake_reply *reply);

/* Frees the reply's body; accepts a zeroed reply. */
void sl_fake_reply_clear(sl_fake_reply *reply);

#endif /* SL_FAKE_API_H */
