/* Clocks: the real one for real backends, a virtual one for the fakes. */
#ifndef SL_CLOCK_H
#define SL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_clock sl_clock;

#define SL_NS_PER_SEC INT64_C(1000000000)
#define SL_NS_PER_MS INT64_C(1000000)

/* A clock that reads CLOCK_REALTIME and really sleeps. Free with
 * sl_clock_free(). Returns NULL when out of memory. */
sl_clock *sl_clock_new_real(void);

/* A virtual clock that starts at 'start_ns' (nanoseconds since the Unix
 * epoch) and moves only when advanced or slept on. Thread-safe. */
sl_clock *sl_clock_new_virtual(int64_t start_ns);

/* Frees a clock; accepts NULL. */
void sl_clock_free(sl_clock *clock);

bool sl_clock_is_virtual(const sl_clock *clock);

/* Nanoseconds since the Unix epoch, real or virtual. */
int64_t sl_clock_now_ns(sl_clock *clock);

/* Waits 'ns': a real sleep, or on a virtual clock an advance. */
void sl_clock_sleep_ns(sl_clock *clock, int64_t ns);

/* Moves a virtual clock forward; does nothing on a real one. */
void sl_clock_advance_ns(sl_clock *clock, int64_t ns);

/* Formats 'ns' as RFC 3339 with nanoseconds, as Docker does
 * ("2026-12-03T15:52:11.123456789Z"), into 'buf' of at least 40 bytes. */
void sl_clock_format_rfc3339(int64_t ns, char *buf, unsigned long size);

#endif /* SL_CLOCK_H */
