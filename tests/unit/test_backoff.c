/* Tests of the back-off waits: deadlines, doubling, and stopping when asked. */
#include "testutil.h"

#include <signal.h>
#include <time.h>

#include "backoff.h"

static int64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SL_NS_PER_SEC + ts.tv_nsec;
}

static void waits_double_up_to_the_maximum_within_the_deadline(void **state)
{
    sl_clock *clock = sl_clock_new_virtual(0);
    sl_backoff b = sl_backoff_start(clock, 10 * SL_NS_PER_SEC,
                                    SL_NS_PER_SEC, 4 * SL_NS_PER_SEC);
    int waits = 0;

    (void)state;
    while (sl_backoff_left(&b)) {
        sl_backoff_sleep(&b);
        waits++;
    }
    /* 1 + 2 + 4 s, then another 4 s would pass the 10 s deadline */
    assert_int_equal(waits, 3);
    assert_int_equal(sl_clock_now_ns(clock), 7 * SL_NS_PER_SEC);
    sl_clock_free(clock);
}

static void no_wait_is_left_once_asked_to_stop(void **state)
{
    sl_clock *clock = sl_clock_new_virtual(0);
    sl_backoff b = sl_backoff_start(clock, 60 * SL_NS_PER_SEC,
                                    SL_NS_PER_SEC, 4 * SL_NS_PER_SEC);
    volatile sig_atomic_t flag = 0;

    (void)state;
    b.cancel = &flag;
    assert_true(sl_backoff_left(&b));
    flag = SIGTERM;
    assert_false(sl_backoff_left(&b));
    sl_clock_free(clock);
}

static void real_wait_ends_early_once_asked_to_stop(void **state)
{
    sl_clock *clock = sl_clock_new_real();
    sl_backoff b = sl_backoff_start(clock, 60 * SL_NS_PER_SEC,
                                    30 * SL_NS_PER_SEC, 30 * SL_NS_PER_SEC);
    volatile sig_atomic_t flag = SIGINT;
    int64_t start = monotonic_ns();

    (void)state;
    b.cancel = &flag;
    sl_backoff_sleep(&b);
    assert_true(monotonic_ns() - start < SL_NS_PER_SEC);
    sl_clock_free(clock);
}

static void cancel_check_names_the_cancellation(void **state)
{
    volatile sig_atomic_t flag = 0;
    sl_error err;

    (void)state;
    sl_error_clear(&err);
    assert_int_equal(sl_cancel_check(NULL, &err), 0);
    assert_int_equal(sl_cancel_check(&flag, &err), 0);
    assert_int_equal(err.code, SL_OK);
    flag = SIGINT;
    assert_int_equal(sl_cancel_check(&flag, &err), -1);
    assert_int_equal(err.code, SL_ERR_CANCELLED);
    assert_string_equal(sl_errcode_name(err.code), "cancelled");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(waits_double_up_to_the_maximum_within_the_deadline),
        cmocka_unit_test(no_wait_is_left_once_asked_to_stop),
        cmocka_unit_test(real_wait_ends_early_once_asked_to_stop),
        cmocka_unit_test(cancel_check_names_the_cancellation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
