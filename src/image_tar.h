/* Root file systems as tarballs, for images imported into hosts over the API. */
#ifndef SL_IMAGE_TAR_H
#define SL_IMAGE_TAR_H

#include <stddef.h>

#include "error.h"

/* Where Debian's busybox-static installs its binary. */
#define SL_IMAGE_BUSYBOX "/bin/busybox"

/* A root file system as a tarball: 'busybox' (a statically linked one, as
 * Debian's busybox-static installs) as /bin/busybox, /bin/sh and a few
 * applets as links to it, and /tmp. The same input gives the same bytes.
 * Fills '*tar' (the caller frees it) and '*len'. SL_ERR_UNSUPPORTED when
 * 'busybox' is missing or needs shared libraries. */
int sl_image_busybox_tar(const char *busybox, char **tar, size_t *len,
                         sl_error *err);

/* A tarball of one file, 'name' (relative, mode 0755), holding 'len'
 * bytes of 'data'. Fills '*tar' (the caller frees it) and '*tar_len'. */
int sl_image_tar_file(const char *name, const void *data, size_t len,
                      char **tar, size_t *tar_len, sl_error *err);

/* Reads tarball 'path' (a regular file under 1 GiB) whole into '*tar'
 * (the caller frees it). SL_ERR_NOT_FOUND when it does not exist. */
int sl_image_tar_read(const char *path, char **tar, size_t *len,
                      sl_error *err);

#endif /* SL_IMAGE_TAR_H */
