/* Clocks: the real one for real backends, a virtual one for the fakes. */
#include "clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct sl_clock {
    bool is_virtual;
    _Atomic int64_t now_ns;
};

sl_clock *sl_clock_new_real(void)
{
    sl_clock *clock = calloc(1, sizeof(*clock));

    return clock;
}

sl_clock *sl_clock_new_virtual(int64_t start_ns)
{
    sl_clock *clock = calloc(1, sizeof(*clock));

    if (!clock)
        return NULL;
    clock->is_virtual = true;
    atomic_store(&clock->now_ns, start_ns);
    return clock;
}

void sl_clock_free(sl_clock *clock)
{
    free(clock);
}

bool sl_clock_is_virtual(const sl_clock *clock)
{
    return clock->is_virtual;
}

int64_t sl_clock_now_ns(sl_clock *clock)
{
    struct timespec ts;

    if (clock->is_virtual)
        return atomic_load(&clock->now_ns);
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * SL_NS_PER_SEC + ts.tv_nsec;
}

void sl_clock_advance_ns(sl_clock *clock, int64_t ns)
{
    if (clock->is_virtual && ns > 0)
        atomic_fetch_add(&clock->now_ns, ns);
}

void sl_clock_sleep_ns(sl_clock *clock, int64_t ns)
{
    struct timespec ts;

    if (ns <= 0)
        return;
    if (clock->is_virtual) {
        sl_clock_advance_ns(clock, ns);
        return;
    }
    ts.tv_sec = ns / SL_NS_PER_SEC;
    ts.tv_nsec = ns % SL_NS_PER_SEC;
    while (nanosleep(&ts, &ts) != 0)
        ;
}

void sl_clock_format_rfc3339(int64_t ns, char *buf, unsigned long size)
{
    time_t secs = (time_t)(ns / SL_NS_PER_SEC);
    long frac = (long)(ns % SL_NS_PER_SEC);
    struct tm tm;

    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, frac);
}
