/* Waiting again with exponential back-off on a clock, up to a deadline. */
#ifndef SL_BACKOFF_H
#define SL_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

/* Waits that start at 'first' ns and double up to 'max', all within a
 * deadline on 'clock'. A plain value: no resources to free. */
typedef struct sl_backoff {
    sl_clock *clock;     /* borrowed */
    int64_t deadline;    /* on 'clock' */
    int64_t delay;       /* the next wait */
    int64_t max;
} sl_backoff;

/* Back-off for at most 'limit' ns from now on 'clock'. */
sl_backoff sl_backoff_start(sl_clock *clock, int64_t limit, int64_t first,
                            int64_t max);

/* Whether waiting once more ends within the deadline. */
bool sl_backoff_left(const sl_backoff *b);

/* Waits the next delay, then doubles it up to the maximum. */
void sl_backoff_sleep(sl_backoff *b);

#endif /* SL_BACKOFF_H */
