/* Helpers shared by the unit tests: fixtures on disk and cmocka glue. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

char *sl_test_read_file(const char *relpath, size_t *len_out)
{
    char path[4096];
    FILE *f = NULL;
    char *buf = NULL;
    long len;

    snprintf(path, sizeof(path), "%s/%s", SL_SOURCE_DIR, relpath);
    f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture '%s'", path);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    if (fread(buf, 1, (size_t)len, f) != (size_t)len)
        fail_msg("cannot read fixture '%s'", path);
    buf[len] = '\0';
    fclose(f);
    if (len_out)
        *len_out = (size_t)len;
    return buf;
}

json_t *sl_test_load_json(const char *relpath)
{
    char path[4096];
    json_error_t jerr;
    json_t *root;

    snprintf(path, sizeof(path), "%s/%s", SL_SOURCE_DIR, relpath);
    root = json_load_file(path, 0, &jerr);
    if (!root)
        fail_msg("cannot load '%s': %s at line %d column %d", path,
                 jerr.text, jerr.line, jerr.column);
    return root;
}
