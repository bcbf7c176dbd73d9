/* Reports of a scenario run: terminal lines, TAP, JUnit XML and JSON. */
#include "report.h"

#include <errno.h>
#include <string.h>

#define GREEN "\033[32m"
#define RED "\033[31m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

sl_report_counts sl_report_count(const sl_run_result *r, size_t n)
{
    sl_report_counts c = {0, 0, 0};

    for (size_t i = 0; i < n; i++) {
        if (r[i].outcome == SL_RUN_PASS)
            c.passed++;
        else if (r[i].outcome == SL_RUN_FAIL)
            c.failed++;
        else
            c.skipped++;
    }
    return c;
}

/* JSON ------------------------------------------------------------------- */

json_t *sl_report_json(const sl_run_result *r, size_t n, int64_t wall_ns)
{
    sl_report_counts c = sl_report_count(r, n);
    json_t *scenarios = json_array();
    json_t *o;

    for (size_t i = 0; scenarios && i < n; i++)
        json_array_append(scenarios, r[i].report ? r[i].report
                                                 : json_null());
    o = json_pack("{s:s, s:s, s:{s:I, s:I, s:I}, s:I, s:o}", "tool",
                  "swarmlab", "version", SL_VERSION, "summary", "passed",
                  (json_int_t)c.passed, "failed", (json_int_t)c.failed,
                  "skipped", (json_int_t)c.skipped, "wall_ms",
                  (json_int_t)(wall_ns / 1000000), "scenarios", scenarios);
    return o;
}

FILE *sl_report_open(const char *path, sl_error *err)
{
    FILE *f;

    if (!strcmp(path, "-"))
        return stdout;
    f = fopen(path, "w");
    if (!f)
        sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                     strerror(errno));
    return f;
}

int sl_report_close(FILE *f, const char *path, sl_error *err)
{
    int failed = ferror(f);

    if (f == stdout)
        failed |= fflush(f) != 0;
    else
        failed |= fclose(f) != 0;
    if (failed)
        return sl_error_set(err, SL_ERR_IO, "cannot write '%s'", path);
    return 0;
}

int sl_report_save_json(const json_t *report, const char *path,
                        sl_error *err)
{
    FILE *f = sl_report_open(path, err);

    if (!f)
        return -1;
    if (json_dumpf(report, f, JSON_INDENT(2)) < 0)
        sl_error_set(err, SL_ERR_IO, "cannot write '%s'", path);
    fputc('\n', f);
    return sl_report_close(f, path, err);
}

/* Terminal ----------------------------------------------------------------- */

static void seconds(char *buf, size_t size, int64_t ns)
{
    snprintf(buf, size, "%.2fs", (double)ns / 1e9);
}

void sl_report_line(FILE *out, const sl_run_result *r, bool color)
{
    static const char *const words[] = {"ok", "FAIL", "skip"};
    static const char *const colors[] = {GREEN, RED, YELLOW};
    char wall[32], virt[32];

    seconds(wall, sizeof(wall), r->wall_ns);
    snprintf(virt, sizeof(virt), "%.1fs", (double)r->virtual_ns / 1e9);
    fprintf(out, "%s%-4s%s  %-28s ", color ? colors[r->outcome] : "",
            words[r->outcome], color ? RESET : "", r->name);
    if (r->outcome == SL_RUN_SKIP)
        fprintf(out, "%s\n", r->skip_reason ? r->skip_reason : "");
    else
        fprintf(out, "%7s  (virtual %s)\n", wall, virt);
    for (size_t i = 0; r->outcome == SL_RUN_FAIL && i < r->n_failures;
         i++) {
        const sl_run_failure *f = &r->failures[i];

        fprintf(out, "      %s: expected %s\n", f->where, f->expected);
        if (f->observed)
            fprintf(out, "      observed: %s\n", f->observed);
    }
}

void sl_report_totals(FILE *out, const sl_run_result *r, size_t n,
                      int64_t wall_ns, bool color)
{
    sl_report_counts c = sl_report_count(r, n);
    char wall[32];

    seconds(wall, sizeof(wall), wall_ns);
    fprintf(out, "%s%zu passed, %zu failed, %zu skipped%s in %s\n",
            color ? (c.failed ? RED : GREEN) : "", c.passed, c.failed,
            c.skipped, color ? RESET : "", wall);
}

/* TAP --------------------------------------------------------------------- */

/* A YAML double-quoted scalar. */
static void yaml_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\x%02x", (unsigned char)*s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

/* A TAP description or directive must not hold '#' or a newline. */
static void tap_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '#' || *s == '\n' ? ' ' : *s, out);
}

int sl_report_tap(FILE *out, const sl_run_result *r, size_t n)
{
    fprintf(out, "TAP version 13\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        const sl_run_result *x = &r[i];

        fprintf(out, "%s %zu - ", x->outcome == SL_RUN_FAIL ? "not ok" : "ok",
                i + 1);
        tap_text(out, x->name);
        if (x->outcome == SL_RUN_SKIP) {
            fputs(" # SKIP ", out);
            tap_text(out, x->skip_reason ? x->skip_reason : "");
        }
        fputc('\n', out);
        if (x->outcome != SL_RUN_FAIL)
            continue;
        fputs("  ---\n  file: ", out);
        yaml_string(out, x->file);
        fputs("\n  failures:\n", out);
        for (size_t k = 0; k < x->n_failures; k++) {
            fputs("    - where: ", out);
            yaml_string(out, x->failures[k].where);
            fputs("\n      expected: ", out);
            yaml_string(out, x->failures[k].expected);
            if (x->failures[k].observed) {
                fputs("\n      observed: ", out);
                yaml_string(out, x->failures[k].observed);
            }
            fputc('\n', out);
        }
        fputs("  ...\n", out);
    }
    return ferror(out) ? -1 : 0;
}

/* JUnit XML --------------------------------------------------------------- */

static void xml_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&apos;", out); break;
        case '\n': fputs("&#10;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, out);
        }
    }
}

static void junit_case(FILE *out, const sl_run_result *x)
{
    fputs("    <testcase classname=\"swarmlab.scenarios\" name=\"", out);
    xml_text(out, x->name);
    fputs("\" file=\"", out);
    xml_text(out, x->file);
    fprintf(out, "\" time=\"%.3f\"", (double)x->wall_ns / 1e9);
    if (x->outcome == SL_RUN_PASS) {
        fputs("/>\n", out);
        return;
    }
    fputs(">\n", out);
    if (x->outcome == SL_RUN_SKIP) {
        fputs("      <skipped message=\"", out);
        xml_text(out, x->skip_reason ? x->skip_reason : "");
        fputs("\"/>\n", out);
    } else {
        fputs("      <failure message=\"", out);
        xml_text(out, x->n_failures ? x->failures[0].expected : "failed");
        fputs("\" type=\"expectation\">", out);
        for (size_t k = 0; k < x->n_failures; k++) {
            xml_text(out, x->failures[k].where);
            fputs(": expected ", out);
            xml_text(out, x->failures[k].expected);
            if (x->failures[k].observed) {
                fputs("; observed: ", out);
                xml_text(out, x->failures[k].observed);
            }
            fputs("\n", out);
        }
        fputs("</failure>\n", out);
    }
    fputs("    </testcase>\n", out);
}

int sl_report_junit(FILE *out, const sl_run_result *r, size_t n,
                    int64_t wall_ns)
{
    sl_report_counts c = sl_report_count(r, n);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"swarmlab run\" tests=\"%zu\" "
                 "failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
            n, c.failed, c.skipped, (double)wall_ns / 1e9);
    fprintf(out, "  <testsuite name=\"scenarios\" tests=\"%zu\" "
                 "failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
                 "time=\"%.3f\">\n",
            n, c.failed, c.skipped, (double)wall_ns / 1e9);
    for (size_t i = 0; i < n; i++)
        junit_case(out, &r[i]);
    fputs("  </testsuite>\n</testsuites>\n", out);
    return ferror(out) ? -1 : 0;
}
