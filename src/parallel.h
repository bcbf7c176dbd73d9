/* Running the same step for many items on a bounded number of threads. */
#ifndef SL_PARALLEL_H
#define SL_PARALLEL_H

#include <stddef.h>

#include "error.h"

/* One step for item 'i'; returns 0, or -1 with 'err' filled. */
typedef int (*sl_parallel_fn)(void *ctx, size_t i, sl_error *err);

/*
 * Calls fn(ctx, i) for i in 0..count-1 on at most 'parallel' threads at
 * once (1 or less: one after another, on the caller's thread). After the
 * first failure no new item is started; those running finish. Returns 0,
 * or -1 with 'err' holding the first failure. When 'started' is not NULL,
 * started[i] is set to 1 for every item that was started.
 */
int sl_parallel_for(size_t count, int parallel, sl_parallel_fn fn, void *ctx,
                    char *started, sl_error *err);

#endif /* SL_PARALLEL_H */
