/* The image each netns host gets: a busybox tarball imported over the API. */
#ifndef SL_NETNS_IMAGE_H
#define SL_NETNS_IMAGE_H

#include <stddef.h>

#include "error.h"

/* A root file system as a tarball: 'busybox' (a statically linked one, as
 * Debian's busybox-static installs) as /bin/busybox, /bin/sh and a few
 * applets as links to it, and /tmp. The same input gives the same bytes.
 * Fills '*tar' (the caller frees it) and '*len'. SL_ERR_UNSUPPORTED when
 * 'busybox' is missing or needs shared libraries. */
int sl_netns_image_busybox(const char *busybox, char **tar, size_t *len,
                           sl_error *err);

/* Reads tarball 'path' whole into '*tar' (the caller frees it). */
int sl_netns_image_read(const char *path, char **tar, size_t *len,
                        sl_error *err);

/* Imports the tarball as image 'ref' ("bb:1") into the daemon listening on
 * unix socket 'socket', as `docker import` does (POST /images/create
 * ?fromSrc=-), waiting at most 'timeout_ms'. A daemon's refusal is
 * SL_ERR_API with its message. */
int sl_netns_image_import(const char *socket, const char *ref, const char *tar,
                          size_t len, long timeout_ms, sl_error *err);

#endif /* SL_NETNS_IMAGE_H */
