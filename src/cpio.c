/* Reproducible cpio archives (newc): the initramfs and the config disk. */
#include "cpio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CPIO_HEADER_LEN 110
#define CPIO_CHUNK (1 << 16)

typedef struct cpio_entry {
    char *path;
    unsigned mode;     /* type and permission bits */
    char *source;      /* regular file read from disk, or NULL */
    unsigned char *data; /* content held in memory (or the link target) */
    size_t size;
    unsigned rmajor, rminor;
} cpio_entry;

struct sl_cpio {
    cpio_entry *items;
    size_t count, cap;
};

sl_cpio *sl_cpio_new(void)
{
    return calloc(1, sizeof(sl_cpio));
}

void sl_cpio_free(sl_cpio *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->count; i++) {
        free(c->items[i].path);
        free(c->items[i].source);
        free(c->items[i].data);
    }
    free(c->items);
    free(c);
}

int sl_cpio_has(const sl_cpio *c, const char *path)
{
    size_t i;

    for (i = 0; i < c->count; i++) {
        if (!strcmp(c->items[i].path, path))
            return 1;
    }
    return 0;
}

size_t sl_cpio_count(const sl_cpio *c)
{
    return c->count;
}

/* Appends an entry; 'data' is copied. Returns 0, 1 when the path was
 * there already (kept as it was), or -1. */
static int cpio_add(sl_cpio *c, const char *path, unsigned mode,
                    const char *source, const void *data, size_t size,
                    sl_error *err)
{
    cpio_entry e = {0};

    if (!path[0] || path[0] == '/')
        return sl_error_set(err, SL_ERR_INTERNAL,
                            "cpio path '%s' is not relative", path);
    if (sl_cpio_has(c, path))
        return 1;
    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        cpio_entry *grown = realloc(c->items, cap * sizeof(*grown));

        if (!grown)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        c->items = grown;
        c->cap = cap;
    }
    e.path = strdup(path);
    e.mode = mode;
    e.source = source ? strdup(source) : NULL;
    e.size = size;
    if (data && size) {
        e.data = malloc(size);
        if (e.data)
            memcpy(e.data, data, size);
    }
    if (!e.path || (source && !e.source) || (data && size && !e.data)) {
        free(e.path);
        free(e.source);
        free(e.data);
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    }
    c->items[c->count++] = e;
    return 0;
}

int sl_cpio_add_dir(sl_cpio *c, const char *path, unsigned mode,
                    sl_error *err)
{
    return cpio_add(c, path, S_IFDIR | (mode & 07777), NULL, NULL, 0, err) <
           0 ? -1 : 0;
}

int sl_cpio_add_file(sl_cpio *c, const char *path, unsigned mode,
                     const char *source, sl_error *err)
{
    struct stat sb;

    if (stat(source, &sb) < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", source,
                            strerror(errno));
    return cpio_add(c, path, S_IFREG | (mode & 07777), source, NULL,
                    (size_t)sb.st_size, err) < 0 ? -1 : 0;
}

int sl_cpio_add_data(sl_cpio *c, const char *path, unsigned mode,
                     const void *data, size_t size, sl_error *err)
{
    return cpio_add(c, path, S_IFREG | (mode & 07777), NULL, data, size,
                    err) < 0 ? -1 : 0;
}

int sl_cpio_add_symlink(sl_cpio *c, const char *path, const char *target,
                        sl_error *err)
{
    return cpio_add(c, path, S_IFLNK | 0777, NULL, target, strlen(target),
                    err) < 0 ? -1 : 0;
}

int sl_cpio_add_chardev(sl_cpio *c, const char *path, unsigned mode,
                        unsigned major, unsigned minor, sl_error *err)
{
    int rc = cpio_add(c, path, S_IFCHR | (mode & 07777), NULL, NULL, 0, err);

    if (rc == 0) {
        c->items[c->count - 1].rmajor = major;
        c->items[c->count - 1].rminor = minor;
    }
    return rc < 0 ? -1 : 0;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const cpio_entry *)a)->path, ((const cpio_entry *)b)->path);
}

/* Writes what comes to the sink and counts it. */
typedef struct cpio_out {
    sl_cpio_sink sink;
    void *data;
    uint64_t written;
} cpio_out;

static int out_write(cpio_out *o, const void *buf, size_t n, sl_error *err)
{
    if (n == 0)
        return 0;
    if (o->sink(o->data, buf, n, err) < 0)
        return -1;
    o->written += n;
    return 0;
}

static int out_pad(cpio_out *o, size_t align, sl_error *err)
{
    static const unsigned char zeros[512];
    size_t n = (size_t)((align - o->written % align) % align);

    while (n > 0) {
        size_t chunk = n < sizeof(zeros) ? n : sizeof(zeros);

        if (out_write(o, zeros, chunk, err) < 0)
            return -1;
        n -= chunk;
    }
    return 0;
}

static int out_header(cpio_out *o, const cpio_entry *e, unsigned ino,
                      int64_t mtime, sl_error *err)
{
    char hdr[160];
    unsigned namesize = (unsigned)strlen(e->path) + 1;

    if (e->size > UINT32_MAX)
        return sl_error_set(err, SL_ERR_INVALID,
                            "'%s' is too big for a cpio archive", e->path);
    snprintf(hdr, sizeof(hdr),
             "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ino, e->mode, 0u, 0u, S_ISDIR(e->mode) ? 2u : 1u,
             (unsigned)mtime, S_ISDIR(e->mode) ? 0u : (unsigned)e->size, 0u,
             0u, e->rmajor, e->rminor, namesize, 0u);
    if (out_write(o, hdr, CPIO_HEADER_LEN, err) < 0 ||
        out_write(o, e->path, namesize, err) < 0)
        return -1;
    return out_pad(o, 4, err);
}

/* Copies a file's content, checking that it still has the size it had. */
static int out_file(cpio_out *o, const cpio_entry *e, sl_error *err)
{
    unsigned char *buf = NULL;
    size_t left = e->size;
    int fd = -1, rc = -1;

    fd = open(e->source, O_RDONLY | O_CLOEXEC);
    buf = malloc(CPIO_CHUNK);
    if (fd < 0 || !buf) {
        sl_error_set(err, fd < 0 ? SL_ERR_IO : SL_ERR_NOMEM,
                     "cannot read '%s': %s", e->source, strerror(errno));
        goto cleanup;
    }
    while (left > 0) {
        ssize_t n = read(fd, buf, left < CPIO_CHUNK ? left : CPIO_CHUNK);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", e->source,
                         n < 0 ? strerror(errno) : "file shrank");
            goto cleanup;
        }
        if (out_write(o, buf, (size_t)n, err) < 0)
            goto cleanup;
        left -= (size_t)n;
    }
    rc = 0;

cleanup:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}

int sl_cpio_write(sl_cpio *c, int64_t mtime, size_t pad, sl_cpio_sink sink,
                  void *data, sl_error *err)
{
    static const cpio_entry trailer = {(char *)"TRAILER!!!", 0, NULL, NULL,
                                       0, 0, 0};
    cpio_out o = {sink, data, 0};
    size_t i;

    qsort(c->items, c->count, sizeof(c->items[0]), by_path);
    for (i = 0; i < c->count; i++) {
        const cpio_entry *e = &c->items[i];

        if (out_header(&o, e, (unsigned)(i + 1), mtime, err) < 0)
            return -1;
        if (e->source && out_file(&o, e, err) < 0)
            return -1;
        if (!e->source && !S_ISDIR(e->mode) &&
            out_write(&o, e->data, e->size, err) < 0)
            return -1;
        if (out_pad(&o, 4, err) < 0)
            return -1;
    }
    if (out_header(&o, &trailer, 0, 0, err) < 0)
        return -1;
    return pad ? out_pad(&o, pad, err) : 0;
}

int sl_cpio_buffer_sink(void *data, const void *buf, size_t n, sl_error *err)
{
    sl_cpio_buffer *b = data;

    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        unsigned char *grown = realloc(b->data, cap);

        if (!grown)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, buf, n);
    b->len += n;
    return 0;
}
