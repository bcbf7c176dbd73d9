/* Waiting again with exponential back-off on a clock, up to a deadline. */
#ifndef SL_BACKOFF_H
#define SL_BACKOFF_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "error.h"

/* Waits that start at 'first' ns and double up to 'max', all within a
 * deadline on 'clock'. A plain value: no resources to free. */
typedef struct sl_backoff {
    sl_clock *clock;     /* borrowed */
    int64_t deadline;    /* on 'clock' */
    int64_t delay;       /* the next wait */
    int64_t max;
    /* When not NULL and set (by a signal handler, say), no wait is left
     * and a wait under way ends early; set it after sl_backoff_start(). */
    volatile sig_atomic_t *cancel;
} sl_backoff;

/* Back-off for at most 'limit' ns from now on 'clock'. */
sl_backoff sl_backoff_start(sl_clock *clock, int64_t limit, int64_t first,
                            int64_t max);

/* Whether waiting once more ends within the deadline, and nobody asked
 * to stop. */
bool sl_backoff_left(const sl_backoff *b);

/* Waits the next delay, then doubles it up to the maximum. On a real
 * clock the wait is cut short once b->cancel is set. */
void sl_backoff_sleep(sl_backoff *b);

/* Whether 'cancel' (may be NULL) asks to stop. */
bool sl_cancelled(const volatile sig_atomic_t *cancel);

/* Fills 'err' with SL_ERR_CANCELLED when 'cancel' asks to stop and
 * returns -1; else returns 0 and leaves 'err' alone. */
int sl_cancel_check(const volatile sig_atomic_t *cancel, sl_error *err);

#endif /* SL_BACKOFF_H */
