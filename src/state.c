/* The state file: every resource swarmlab made, recorded the moment it exists. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_VERSION 1

struct sl_state {
    char *path;
    json_t *root;
    pthread_mutex_t lock; /* hosts are recorded from parallel workers */
};

char *sl_state_default_path(void)
{
    const char *env = getenv("SWARMLAB_STATE");
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char *path = NULL;

    if (env && *env)
        return strdup(env);
    if (xdg && *xdg) {
        if (asprintf(&path, "%s/swarmlab/state.json", xdg) < 0)
            return NULL;
        return path;
    }
    if (asprintf(&path, "%s/.local/state/swarmlab/state.json",
                 home && *home ? home : ".") < 0)
        return NULL;
    return path;
}

static json_t *empty_document(void)
{
    return json_pack("{s:i, s:{}}", "version", STATE_VERSION, "hosts");
}

sl_state *sl_state_open(const char *path, sl_error *err)
{
    sl_state *st = calloc(1, sizeof(*st));
    json_error_t jerr;

    if (!st || !(st->path = strdup(path))) {
        free(st);
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&st->lock, NULL);
    if (access(path, F_OK) != 0) {
        st->root = empty_document();
        return st;
    }
    st->root = json_load_file(path, 0, &jerr);
    if (!st->root) {
        sl_error_set(err, SL_ERR_INVALID, "cannot read state file '%s': %s",
                     path, jerr.text);
        sl_error_where(err, "%s:%d:%d", path, jerr.line, jerr.column);
        goto fail;
    }
    if (!json_is_object(st->root) ||
        json_integer_value(json_object_get(st->root, "version")) !=
            STATE_VERSION ||
        !json_is_object(json_object_get(st->root, "hosts"))) {
        sl_error_set(err, SL_ERR_INVALID,
                     "'%s' is not a swarmlab state file (version %d)", path,
                     STATE_VERSION);
        goto fail;
    }
    return st;

fail:
    sl_state_free(st);
    return NULL;
}

void sl_state_free(sl_state *st)
{
    if (!st)
        return;
    json_decref(st->root);
    pthread_mutex_destroy(&st->lock);
    free(st->path);
    free(st);
}

const char *sl_state_path(const sl_state *st)
{
    return st->path;
}

json_t *sl_state_root(sl_state *st)
{
    return st->root;
}

/* Creates the directories above 'path', 0700, as needed. */
static int make_parent_dirs(const char *path, sl_error *err)
{
    char *copy = strdup(path);
    char *p;

    if (!copy)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    for (p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
            sl_error_set(err, SL_ERR_IO, "cannot create directory '%s': %s",
                         copy, strerror(errno));
            free(copy);
            return -1;
        }
        *p = '/';
    }
    free(copy);
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int save_locked(sl_state *st, sl_error *err)
{
    char *text = NULL;
    char *tmp = NULL;
    char *dircopy = NULL;
    int fd = -1;
    int dfd;
    int rc = -1;

    if (make_parent_dirs(st->path, err) < 0)
        return -1;
    if (asprintf(&tmp, "%s.XXXXXX", st->path) < 0)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    fd = mkstemp(tmp); /* 0600 */
    if (fd < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot write state file '%s': %s",
                     st->path, strerror(errno));
        goto cleanup;
    }
    text = json_dumps(st->root, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (!text) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    /* One write of the whole document: jansson writing to a descriptor
     * makes a system call per token. */
    if (write_all(fd, text, strlen(text)) < 0 || write_all(fd, "\n", 1) < 0 ||
        fsync(fd) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot write state file '%s': %s",
                     tmp, strerror(errno));
        goto cleanup;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, st->path) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot replace state file '%s': %s",
                     st->path, strerror(errno));
        goto cleanup;
    }
    free(tmp);
    tmp = NULL;

    dircopy = strdup(st->path);
    dfd = dircopy ? open(dirname(dircopy), O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    rc = 0;

cleanup:
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
    free(tmp);
    free(text);
    free(dircopy);
    return rc;
}

int sl_state_save(sl_state *st, sl_error *err)
{
    int rc;

    pthread_mutex_lock(&st->lock);
    rc = save_locked(st, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int sl_state_set(sl_state *st, const char *key, json_t *value, sl_error *err)
{
    int rc;

    pthread_mutex_lock(&st->lock);
    json_object_set_new(st->root, key, value);
    rc = save_locked(st, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int sl_state_update_host(sl_state *st, const char *name, json_t *fields,
                         sl_error *err)
{
    json_t *hosts;
    json_t *host;
    int rc;

    pthread_mutex_lock(&st->lock);
    hosts = json_object_get(st->root, "hosts");
    host = json_object_get(hosts, name);
    if (!host) {
        host = json_object();
        json_object_set_new(hosts, name, host);
    }
    json_object_update(host, fields);
    json_decref(fields);
    rc = save_locked(st, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int sl_state_remove_host(sl_state *st, const char *name, sl_error *err)
{
    int rc;

    pthread_mutex_lock(&st->lock);
    json_object_del(json_object_get(st->root, "hosts"), name);
    rc = save_locked(st, err);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

json_t *sl_state_host(sl_state *st, const char *name)
{
    return json_object_get(json_object_get(st->root, "hosts"), name);
}

int sl_state_remove_file(sl_state *st, sl_error *err)
{
    if (unlink(st->path) < 0 && errno != ENOENT)
        return sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s",
                            st->path, strerror(errno));
    json_decref(st->root);
    st->root = empty_document();
    return 0;
}

/* Places ------------------------------------------------------------------- */

static const char *text_of(json_t *root, const char *key)
{
    return json_string_value(json_object_get(root, key));
}

void sl_state_place_get(sl_state *st, sl_state_place *place)
{
    place->hypervisor = text_of(st->root, "hypervisor");
    place->uri = text_of(st->root, "uri");
    place->pool = text_of(st->root, "pool");
    place->netns_root = text_of(st->root, "netns_root");
}

static void set_or_drop(json_t *root, const char *key, const char *value)
{
    if (value)
        json_object_set_new(root, key, json_string(value));
    else
        json_object_del(root, key);
}

void sl_state_place_set(sl_state *st, const sl_state_place *place)
{
    pthread_mutex_lock(&st->lock);
    set_or_drop(st->root, "hypervisor", place->hypervisor);
    /* "uri" stays, null without one, as older files have it */
    json_object_set_new(st->root, "uri", place->uri
                                             ? json_string(place->uri)
                                             : json_null());
    set_or_drop(st->root, "pool", place->pool);
    set_or_drop(st->root, "netns_root", place->netns_root);
    pthread_mutex_unlock(&st->lock);
}

/* One field of the place: the record fills it, or must agree with it. */
static int resolve_one(const sl_state *st, const char *recorded,
                       const char **asked, const char *fmt, sl_error *err)
{
    if (!recorded)
        return 0;
    if (!*asked) {
        *asked = recorded;
        return 0;
    }
    if (strcmp(recorded, *asked))
        return sl_error_set(err, SL_ERR_INVALID, fmt, st->path, recorded,
                            *asked);
    return 0;
}

int sl_state_place_resolve(sl_state *st, sl_state_place *asked,
                           sl_error *err)
{
    sl_state_place rec;

    if (json_object_size(json_object_get(st->root, "hosts")) == 0)
        return 0;
    sl_state_place_get(st, &rec);
    if (resolve_one(st, rec.hypervisor, &asked->hypervisor,
                    "state file '%s' holds hosts made with '%s', not '%s'",
                    err) < 0 ||
        resolve_one(st, rec.uri, &asked->uri,
                    "state file '%s' holds hosts made on '%s', not on '%s'",
                    err) < 0 ||
        resolve_one(st, rec.pool, &asked->pool,
                    "state file '%s' holds hosts made in pool '%s', not in "
                    "'%s'",
                    err) < 0 ||
        resolve_one(st, rec.netns_root, &asked->netns_root,
                    "state file '%s' holds hosts made under netns root "
                    "'%s', not under '%s'",
                    err) < 0)
        return -1;
    return 0;
}
