/* Tests of the cpio writer: sorted, stamped and padded the same every time. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "cpio.h"
#include "image_build.h"

/* Writes 'c' with mtime 'mtime' into a buffer the caller frees. */
static sl_cpio_buffer write_all(sl_cpio *c, int64_t mtime, size_t pad)
{
    sl_cpio_buffer buf = {0};
    sl_error err;

    if (sl_cpio_write(c, mtime, pad, sl_cpio_buffer_sink, &buf, &err) < 0)
        fail_msg("%s", err.message);
    return buf;
}

static sl_cpio *make(bool reversed)
{
    sl_cpio *c = sl_cpio_new();
    sl_error err;

    assert_non_null(c);
    if (reversed) {
        assert_int_equal(sl_cpio_add_data(c, "etc/b", 0644, "b", 1, &err),
                         0);
        assert_int_equal(sl_cpio_add_dir(c, "etc", 0755, &err), 0);
        assert_int_equal(sl_cpio_add_symlink(c, "bin", "usr/bin", &err), 0);
    } else {
        assert_int_equal(sl_cpio_add_symlink(c, "bin", "usr/bin", &err), 0);
        assert_int_equal(sl_cpio_add_dir(c, "etc", 0755, &err), 0);
        assert_int_equal(sl_cpio_add_data(c, "etc/b", 0644, "b", 1, &err),
                         0);
    }
    return c;
}

static void order_of_adding_does_not_change_the_bytes(void **state)
{
    sl_cpio *a = make(false), *b = make(true);
    sl_cpio_buffer x = write_all(a, 0, 0), y = write_all(b, 0, 0);

    (void)state;
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    assert_true(memmem(x.data, x.len, "TRAILER!!!", 10) != NULL);
    free(x.data);
    free(y.data);
    sl_cpio_free(a);
    sl_cpio_free(b);
}

static void entries_are_sorted_and_stamped(void **state)
{
    sl_cpio *c = make(true);
    sl_cpio_buffer x = write_all(c, 0x5f5e100, 0);
    const char *bin = memmem(x.data, x.len, "bin", 4);
    const char *etc = memmem(x.data, x.len, "etc", 4);

    (void)state;
    assert_non_null(bin);
    assert_non_null(etc);
    assert_true(bin < etc);
    /* The first header: inode 1, mtime as given, owner root. */
    assert_memory_equal(x.data, "07070100000001", 14);
    assert_memory_equal((const char *)x.data + 6 + 8 * 5, "05F5E100", 8);
    assert_memory_equal((const char *)x.data + 6 + 8 * 2, "0000000000000000",
                        16);
    free(x.data);
    sl_cpio_free(c);
}

static void a_path_added_twice_keeps_the_first(void **state)
{
    sl_cpio *c = sl_cpio_new();
    sl_cpio_buffer x;
    sl_error err;

    (void)state;
    assert_int_equal(sl_cpio_add_data(c, "a", 0644, "first", 5, &err), 0);
    assert_int_equal(sl_cpio_add_data(c, "a", 0644, "second", 6, &err), 0);
    assert_int_equal(sl_cpio_count(c), 1);
    x = write_all(c, 0, 0);
    assert_non_null(memmem(x.data, x.len, "first", 5));
    assert_null(memmem(x.data, x.len, "second", 6));
    free(x.data);
    sl_cpio_free(c);
}

static void config_disk_is_padded_for_a_block_device(void **state)
{
    sl_image_config_file files[] = {
        {"hostname", "n2d-mngr-0\n", 11, 0644},
        {"tls/server-key.pem", "KEY", 3, 0600},
    };
    size_t size = 0;
    sl_error err;
    unsigned char *disk = sl_image_config_disk(files, 2, &size, &err);

    (void)state;
    assert_non_null(disk);
    assert_int_equal(size % 4096, 0);
    assert_memory_equal(disk, "070701", 6);
    assert_non_null(memmem(disk, size, "tls/server-key.pem", 18));
    free(disk);
}

static void absolute_paths_are_refused(void **state)
{
    sl_cpio *c = sl_cpio_new();
    sl_error err;

    (void)state;
    assert_int_equal(sl_cpio_add_dir(c, "/etc", 0755, &err), -1);
    sl_cpio_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(order_of_adding_does_not_change_the_bytes),
        cmocka_unit_test(entries_are_sorted_and_stamped),
        cmocka_unit_test(a_path_added_twice_keeps_the_first),
        cmocka_unit_test(config_disk_is_padded_for_a_block_device),
        cmocka_unit_test(absolute_paths_are_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
