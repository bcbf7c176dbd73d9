/* Waiting again with exponential back-off on a clock, up to a deadline. */
#include "backoff.h"

/* How long a real wait goes without looking at the cancel flag. */
#define CANCEL_SLICE_NS (100 * SL_NS_PER_MS)

sl_backoff sl_backoff_start(sl_clock *clock, int64_t limit, int64_t first,
                            int64_t max)
{
    sl_backoff b = {clock, sl_clock_now_ns(clock) + limit, first, max, NULL};

    return b;
}

bool sl_backoff_left(const sl_backoff *b)
{
    return !sl_cancelled(b->cancel) &&
           sl_clock_now_ns(b->clock) + b->delay <= b->deadline;
}

void sl_backoff_sleep(sl_backoff *b)
{
    int64_t left = b->delay;

    while (!sl_clock_is_virtual(b->clock) && b->cancel &&
           left > CANCEL_SLICE_NS && !sl_cancelled(b->cancel)) {
        sl_clock_sleep_ns(b->clock, CANCEL_SLICE_NS);
        left -= CANCEL_SLICE_NS;
    }
    if (!sl_cancelled(b->cancel))
        sl_clock_sleep_ns(b->clock, left);
    b->delay = b->delay * 2 > b->max ? b->max : b->delay * 2;
}

bool sl_cancelled(const volatile sig_atomic_t *cancel)
{
    return cancel && *cancel;
}

int sl_cancel_check(const volatile sig_atomic_t *cancel, sl_error *err)
{
    if (!sl_cancelled(cancel))
        return 0;
    return sl_error_set(err, SL_ERR_CANCELLED, "cancelled: asked to stop");
}
