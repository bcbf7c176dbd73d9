/* Helpers shared by the unit tests: fixtures on disk and cmocka glue. */
#ifndef SL_TESTUTIL_H
#define SL_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

/* Reads SL_SOURCE_DIR/'relpath' whole; the caller frees it. Fails the
 * test when the file cannot be read. */
char *sl_test_read_file(const char *relpath, size_t *len_out);

/* Loads SL_SOURCE_DIR/'relpath' as JSON; the caller owns the reference.
 * Fails the test when the file is missing or malformed. */
json_t *sl_test_load_json(const char *relpath);

#endif /* SL_TESTUTIL_H */
