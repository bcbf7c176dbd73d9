/* Helpers shared by the scenario and compose loaders: arena, paths, units. */
#ifndef SL_LOADER_H
#define SL_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compose.h"
#include "docker_client.h"
#include "error.h"

/*
 * Everything a loaded scenario or stack holds lives in one arena: strings
 * and arrays are allocated from it and freed together with it, so the
 * public structs can hold plain const pointers.
 */
typedef struct sl__pool sl__pool;

/* A new empty arena, or NULL when out of memory. */
sl__pool *sl__pool_new(void);

/* Frees the arena and everything allocated from it; accepts NULL. */
void sl__pool_free(sl__pool *p);

/* 'n' zeroed elements of 'size' bytes (at least one byte), or NULL. */
void *sl__pool_alloc(sl__pool *p, size_t n, size_t size);

/* Copies of a string (NULL gives NULL), or NULL when out of memory. */
char *sl__pool_strdup(sl__pool *p, const char *s);
char *sl__pool_strndup(sl__pool *p, const char *s, size_t len);
char *sl__pool_printf(sl__pool *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Paths in messages: "swarm.workers.count", "faults[2].host". ------------- */

#define SL__PATH_MAX 256

/* 'parent' then ".key" ('key' alone when 'parent' is empty). */
void sl__path_key(char *out, size_t size, const char *parent,
                  const char *key);

/* 'parent' then "[i]". */
void sl__path_index(char *out, size_t size, const char *parent, size_t i);

/* The candidate closest to 'word' when it is close enough to be a likely
 * typo, else NULL; 'candidates' ends with NULL. Borrowed. */
const char *sl__suggest(const char *word, const char *const *candidates);

/* Whether 'word' is one of 'candidates' (ending with NULL). */
bool sl__one_of(const char *word, const char *const *candidates);

/* Units ------------------------------------------------------------------- */

/* A size as docker reads one ("512M", "1.5g", "2GiB"; binary units, a bare
 * number is bytes) into bytes. With 'unit_required' a bare number is
 * refused. Returns 0, or -1 when unusable. */
int sl__parse_bytes(const char *s, bool unit_required, int64_t *out);

/* A duration as Go writes one ("20s", "1.5s", "250ms", "1m30s") into
 * nanoseconds. Returns 0, or -1 when unusable. */
int sl__parse_duration(const char *s, int64_t *ns);

/* CPUs as docker reads them ("0.5", "2") into nano CPUs; at most nine
 * decimals. Returns 0, or -1 when unusable. */
int sl__parse_nano_cpus(const char *s, int64_t *out);

/* A port in docker's short syntax: "80", "8080:80", "8080:80/udp",
 * "8000-8001:80-81", "127.0.0.1:8080:80". Fills 'ports' (allocated from
 * 'pool') and '*n'; '*host_ip' is set when an address was given (docker
 * ignores it in swarm mode). On failure returns -1 with the reason in
 * 'why'. */
int sl__parse_port_short(sl__pool *pool, const char *spec,
                         sl_docker_port **ports, size_t *n, bool *host_ip,
                         char *why, size_t whysize);

/* Names ------------------------------------------------------------------- */

/* A host name as the pipeline takes it: letters, digits, '-', at most 63,
 * not starting with '-'. */
bool sl__valid_host_name(const char *name);

/* A swarm service or network name as swarmkit takes it: letters and
 * digits, with '-' or '_' inside, at most 63. */
bool sl__valid_object_name(const char *name);

/* Labels ------------------------------------------------------------------ */

/* Sets label 'key' to 'value' in '*labels' (an arena array, replaced by a
 * longer one when the key is new); the strings are borrowed. Returns 0, or
 * -1 when out of memory. */
int sl__labels_put(sl__pool *pool, sl_docker_label **labels, size_t *n,
                   const char *key, const char *value);

/* Sorts labels by key, as docker's maps come out. */
void sl__labels_sort(sl_docker_label *labels, size_t n);

/* Files and buffers ------------------------------------------------------- */

/* A growing text buffer; free 'data' with free(). */
typedef struct sl__buf {
    char *data;
    size_t len;
    size_t cap;
} sl__buf;

/* Appends 'len' bytes of 's' (all of it when 'len' is SIZE_MAX), keeping
 * a NUL after them. Returns 0, or -1 when out of memory. */
int sl__buf_add(sl__buf *b, const char *s, size_t len);

/* Reads file 'path' whole into '*text' (NUL-terminated, freed by the
 * caller). SL_ERR_IO naming the file when it cannot be read. */
int sl__read_file(const char *path, char **text, size_t *len, sl_error *err);

/* Splits a command line into words as docker does (shlex): quotes,
 * backslashes and '#' comments, no expansion. Fills '*words' (an arena
 * array) and '*n'; on failure returns -1 with the reason in '*why'. */
int sl__split_words(sl__pool *pool, const char *s, const char ***words,
                    size_t *n, const char **why);

/* Environment ------------------------------------------------------------- */

/* Sorts "KEY=value" (or "KEY") strings as docker does and keeps only the
 * last one of each key; updates '*n'. */
void sl__env_normalize(const char **env, size_t *n);

/* Stacks ------------------------------------------------------------------ */

/* A new empty stack named 'name' (NULL for services without a stack),
 * read from 'file'; free with sl_stack_free(). */
sl_stack *sl__stack_new(const char *name, const char *file, sl_error *err);

/* The arena of a stack. */
sl__pool *sl__stack_pool(sl_stack *st);

/* Records a warning at 'line' and 'column' (0 when not known); returns -1
 * (with 'err' filled) when out of memory. */
int sl__stack_warn(sl_stack *st, sl_error *err, unsigned line,
                   unsigned column, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Orders the warnings by their place in the file. */
void sl__stack_sort_warnings(sl_stack *st);

#endif /* SL_LOADER_H */
