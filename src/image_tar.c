/* Root file systems as tarballs, for images imported into hosts over the API. */
#include "image_tar.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAR_BLOCK 512
#define MAX_TARBALL (INT64_C(1) << 30)

/* The applets linked to busybox besides /bin/sh. */
static const char *const applets[] = {"cat",      "echo", "env",  "false",
                                      "hostname", "id",   "ls",   "ps",
                                      "sleep",    "true", "uname"};

typedef struct tarbuf {
    char *data;
    size_t len, cap;
    bool failed;
} tarbuf;

/* Tarball ------------------------------------------------------------------ */

static char *tar_grow(tarbuf *t, size_t n)
{
    char *p;

    if (t->failed)
        return NULL;
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 64 * 1024;

        while (cap < t->len + n)
            cap *= 2;
        p = realloc(t->data, cap);
        if (!p) {
            t->failed = true;
            return NULL;
        }
        t->data = p;
        t->cap = cap;
    }
    p = t->data + t->len;
    memset(p, 0, n);
    t->len += n;
    return p;
}

/* Appends one ustar entry: a header, then 'size' bytes of 'body' padded to
 * a whole block. */
static void tar_put(tarbuf *t, const char *name, char type, unsigned mode,
                    const char *link, const char *body, size_t size)
{
    unsigned char *h = (unsigned char *)tar_grow(t, TAR_BLOCK);
    unsigned sum = 0;
    size_t i;

    if (!h)
        return;
    snprintf((char *)h, 100, "%s", name);
    snprintf((char *)h + 100, 8, "%07o", mode);
    snprintf((char *)h + 108, 8, "%07o", 0);
    snprintf((char *)h + 116, 8, "%07o", 0);
    snprintf((char *)h + 124, 12, "%011zo", size);
    snprintf((char *)h + 136, 12, "%011o", 0);
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    if (link)
        snprintf((char *)h + 157, 100, "%s", link);
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    snprintf((char *)h + 265, 32, "root");
    snprintf((char *)h + 297, 32, "root");
    for (i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    h[155] = ' ';
    if (size) {
        char *dst = tar_grow(t, (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK);

        if (dst)
            memcpy(dst, body, size);
    }
}

/* Whether the ELF file 'data' asks for a program interpreter, that is for
 * shared libraries; -1 when it is not a 64-bit ELF file. */
static int elf_is_dynamic(const char *data, size_t len)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    size_t i;

    if (len < sizeof(eh))
        return -1;
    memcpy(&eh, data, sizeof(eh));
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph) ||
        eh.e_phoff + (size_t)eh.e_phnum * sizeof(ph) > len)
        return -1;
    for (i = 0; i < eh.e_phnum; i++) {
        memcpy(&ph, data + eh.e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_INTERP)
            return 1;
    }
    return 0;
}

int sl_image_tar_read(const char *path, char **tar, size_t *len,
                        sl_error *err)
{
    char *data = NULL;
    struct stat st;
    size_t got = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0 || fstat(fd, &st) < 0) {
        sl_error_set(err, errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO,
                     "cannot read '%s': %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_TARBALL) {
        sl_error_set(err, SL_ERR_INVALID,
                     "cannot read '%s': not a regular file under 1 GiB", path);
        goto fail;
    }
    data = malloc((size_t)st.st_size + 1);
    if (!data) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot read '%s'", path);
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path,
                         n < 0 ? strerror(errno) : "file shrank");
            goto fail;
        }
        got += (size_t)n;
    }
    close(fd);
    *tar = data;
    *len = got;
    return 0;

fail:
    if (fd >= 0)
        close(fd);
    free(data);
    return -1;
}

int sl_image_busybox_tar(const char *busybox, char **tar, size_t *len,
                           sl_error *err)
{
    tarbuf t = {0};
    char *bin = NULL, link[64];
    size_t bin_len = 0, i;
    sl_error local;

    if (sl_image_tar_read(busybox, &bin, &bin_len, &local) < 0)
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "busybox not found at '%s': install "
                            "busybox-static (%s)",
                            busybox, local.message);
    if (elf_is_dynamic(bin, bin_len) != 0) {
        free(bin);
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "'%s' is not a static busybox: install "
                            "busybox-static",
                            busybox);
    }
    tar_put(&t, "bin/", '5', 0755, NULL, NULL, 0);
    tar_put(&t, "bin/busybox", '0', 0755, NULL, bin, bin_len);
    tar_put(&t, "bin/sh", '2', 0777, "busybox", NULL, 0);
    for (i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
        snprintf(link, sizeof(link), "bin/%s", applets[i]);
        tar_put(&t, link, '2', 0777, "busybox", NULL, 0);
    }
    tar_put(&t, "tmp/", '5', 01777, NULL, NULL, 0);
    tar_grow(&t, 2 * TAR_BLOCK);
    free(bin);
    if (t.failed) {
        free(t.data);
        return sl_error_set(err, SL_ERR_NOMEM, "cannot build the image");
    }
    *tar = t.data;
    *len = t.len;
    return 0;
}

int sl_image_tar_file(const char *name, const void *data, size_t len,
                      char **tar, size_t *tar_len, sl_error *err)
{
    tarbuf t = {0};

    if (!name || !*name || strlen(name) >= 100 || name[0] == '/')
        return sl_error_set(err, SL_ERR_INVALID,
                            "cannot put '%s' in a tarball: use a relative "
                            "name under 100 characters",
                            name ? name : "");
    tar_put(&t, name, '0', 0755, NULL, data, len);
    tar_grow(&t, 2 * TAR_BLOCK);
    if (t.failed) {
        free(t.data);
        return sl_error_set(err, SL_ERR_NOMEM, "cannot build the tarball");
    }
    *tar = t.data;
    *tar_len = t.len;
    return 0;
}
