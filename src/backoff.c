/* Waiting again with exponential back-off on a clock, up to a deadline. */
#include "backoff.h"

sl_backoff sl_backoff_start(sl_clock *clock, int64_t limit, int64_t first,
                            int64_t max)
{
    sl_backoff b = {clock, sl_clock_now_ns(clock) + limit, first, max};

    return b;
}

bool sl_backoff_left(const sl_backoff *b)
{
    return sl_clock_now_ns(b->clock) + b->delay <= b->deadline;
}

void sl_backoff_sleep(sl_backoff *b)
{
    sl_clock_sleep_ns(b->clock, b->delay);
    b->delay = b->delay * 2 > b->max ? b->max : b->delay * 2;
}
