/* Reproducible cpio archives (newc): the initramfs and the config disk. */
#ifndef SL_CPIO_H
#define SL_CPIO_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A cpio list collects entries in any order and writes them sorted by
 * path, with inode numbers counted from 1 in that order, every owner
 * root, every time 'mtime' and no device numbers but those of device
 * nodes: the same entries give the same bytes. Paths are relative ("usr/bin",
 * no leading '/'); a path added twice keeps its first entry.
 */
typedef struct sl_cpio sl_cpio;

/* Receives the archive's bytes; returns 0, or -1 with 'err' filled. */
typedef int (*sl_cpio_sink)(void *data, const void *buf, size_t n,
                            sl_error *err);

/* An empty list, freed with sl_cpio_free(); NULL when out of memory. */
sl_cpio *sl_cpio_new(void);

/* Frees the list; accepts NULL. */
void sl_cpio_free(sl_cpio *c);

/* A directory. 'mode' holds permission bits only (0755). */
int sl_cpio_add_dir(sl_cpio *c, const char *path, unsigned mode,
                    sl_error *err);

/* A regular file whose content is read from 'source' when written. */
int sl_cpio_add_file(sl_cpio *c, const char *path, unsigned mode,
                     const char *source, sl_error *err);

/* A regular file holding 'size' bytes of 'data' (copied). */
int sl_cpio_add_data(sl_cpio *c, const char *path, unsigned mode,
                     const void *data, size_t size, sl_error *err);

/* A symbolic link to 'target'. */
int sl_cpio_add_symlink(sl_cpio *c, const char *path, const char *target,
                        sl_error *err);

/* A character device node ("dev/console", 5, 1). */
int sl_cpio_add_chardev(sl_cpio *c, const char *path, unsigned mode,
                        unsigned major, unsigned minor, sl_error *err);

/* Whether 'path' was added. */
int sl_cpio_has(const sl_cpio *c, const char *path);

/* How many entries the list holds. */
size_t sl_cpio_count(const sl_cpio *c);

/* Writes the archive, trailer included, padded to 'pad' bytes (512 for a
 * disk, 0 for none), every entry stamped 'mtime'. */
int sl_cpio_write(sl_cpio *c, int64_t mtime, size_t pad, sl_cpio_sink sink,
                  void *data, sl_error *err);

/* A sink that appends to a growing buffer. */
typedef struct sl_cpio_buffer {
    unsigned char *data; /* owned; free() it */
    size_t len, cap;
} sl_cpio_buffer;

int sl_cpio_buffer_sink(void *data, const void *buf, size_t n,
                        sl_error *err);

#endif /* SL_CPIO_H */
