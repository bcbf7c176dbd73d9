/* Error reports shared by every layer: a code, a message and where it happened. */
#include "error.h"

#include <stdio.h>
#include <string.h>

int sl_error_setv(sl_error *err, sl_errcode code, const char *fmt, va_list ap)
{
    if (!err)
        return -1;

    err->code = code;
    err->http_status = 0;
    err->where[0] = '\0';
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    return -1;
}

int sl_error_set(sl_error *err, sl_errcode code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sl_error_setv(err, code, fmt, ap);
    va_end(ap);
    return -1;
}

void sl_error_where(sl_error *err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->where, sizeof(err->where), fmt, ap);
    va_end(ap);
}

void sl_error_clear(sl_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

const char *sl_errcode_name(sl_errcode code)
{
    switch (code) {
    case SL_OK: return "ok";
    case SL_ERR_INVALID: return "invalid";
    case SL_ERR_NOMEM: return "nomem";
    case SL_ERR_IO: return "io";
    case SL_ERR_CONNECT: return "connect";
    case SL_ERR_TIMEOUT: return "timeout";
    case SL_ERR_PROTOCOL: return "protocol";
    case SL_ERR_API: return "api";
    case SL_ERR_NOT_FOUND: return "not-found";
    case SL_ERR_CONFLICT: return "conflict";
    case SL_ERR_UNSUPPORTED: return "unsupported";
    case SL_ERR_CAPACITY: return "capacity";
    case SL_ERR_INTERNAL: return "internal";
    case SL_ERR_CANCELLED: return "cancelled";
    }
    return "unknown";
}
