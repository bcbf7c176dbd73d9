/* Error reports shared by every layer: a code, a message and where it happened. */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#include <stdarg.h>

typedef enum sl_errcode {
    SL_OK = 0,
    SL_ERR_INVALID,     /* unusable input: an option, a file, a field */
    SL_ERR_NOMEM,       /* out of memory */
    SL_ERR_IO,          /* a local file or system call failed */
    SL_ERR_CONNECT,     /* the peer could not be reached (refused, no route) */
    SL_ERR_TIMEOUT,     /* the peer did not answer in time */
    SL_ERR_PROTOCOL,    /* the peer answered with something malformed */
    SL_ERR_API,         /* the peer answered with an error status */
    SL_ERR_NOT_FOUND,   /* the named object does not exist */
    SL_ERR_CONFLICT,    /* the object exists already or is in the way */
    SL_ERR_UNSUPPORTED, /* the peer or this build cannot do that */
    SL_ERR_CAPACITY,    /* not enough resources for the request */
    SL_ERR_INTERNAL,    /* a bug in swarmlab */
    SL_ERR_CANCELLED    /* asked to stop (a signal) before it was done */
} sl_errcode;

/*
 * A failure, described once where it happens. 'where' names the place in
 * the input (file:line:column, a JSON path, or an endpoint) and may be
 * empty; 'http_status' is the status a daemon answered with, or 0.
 */
typedef struct sl_error {
    sl_errcode code;
    int http_status;
    char message[512];
    char where[256];
} sl_error;

/* Fills 'err' (which may be NULL) with a code and a printf-style message;
 * 'where' and 'http_status' are cleared. Always returns -1. */
int sl_error_set(sl_error *err, sl_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, from a va_list. Always returns -1. */
int sl_error_setv(sl_error *err, sl_errcode code, const char *fmt,
                  va_list ap);

/* Sets the 'where' part of an error already filled. */
void sl_error_where(sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets 'err' to SL_OK with an empty message. Accepts NULL. */
void sl_error_clear(sl_error *err);

/* A stable lowercase name for a code ("timeout", "api", ...). */
const char *sl_errcode_name(sl_errcode code);

#endif /* SL_ERROR_H */
