/* Reports of a scenario run: terminal lines, TAP, JUnit XML and JSON. */
#ifndef SL_REPORT_H
#define SL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "runner.h"

/* How many scenarios passed, failed and were skipped. */
typedef struct sl_report_counts {
    size_t passed;
    size_t failed;
    size_t skipped;
} sl_report_counts;

/* Counts the outcomes of the 'n' results. */
sl_report_counts sl_report_count(const sl_run_result *r, size_t n);

/* The whole run as JSON: version, counts and each scenario's report, in
 * the order given. Wall-clock fields are named "wall_*". Returns a new
 * reference the caller owns, or NULL when out of memory. */
json_t *sl_report_json(const sl_run_result *r, size_t n, int64_t wall_ns);

/* Writes 'report' to 'path' ("-": stdout), indented, with a final newline.
 * Returns 0, or -1 with 'err' filled. */
int sl_report_save_json(const json_t *report, const char *path,
                        sl_error *err);

/* One line per scenario, "ok", "FAIL" or "skip", its name and times,
 * with what failed and what was observed underneath. */
void sl_report_line(FILE *out, const sl_run_result *r, bool color);

/* The closing line: "3 passed, 1 failed, 2 skipped in 1.2 s". */
void sl_report_totals(FILE *out, const sl_run_result *r, size_t n,
                      int64_t wall_ns, bool color);

/* TAP version 13: one test point per scenario, skips as "# SKIP", what
 * failed in a YAML block. */
int sl_report_tap(FILE *out, const sl_run_result *r, size_t n);

/* JUnit XML: one testsuite, one testcase per scenario, <failure> and
 * <skipped> with their messages. */
int sl_report_junit(FILE *out, const sl_run_result *r, size_t n,
                    int64_t wall_ns);

/* Opens 'path' for writing ("-": stdout). Returns the stream, or NULL
 * with 'err' filled; close it with sl_report_close(). */
FILE *sl_report_open(const char *path, sl_error *err);

/* Closes a stream from sl_report_open(); returns 0, or -1 with 'err'
 * filled when writing failed. */
int sl_report_close(FILE *f, const char *path, sl_error *err);

#endif /* SL_REPORT_H */
