/* The Docker host image: a kernel and an initramfs from Debian packages. */
#ifndef SL_IMAGE_BUILD_H
#define SL_IMAGE_BUILD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The image boots boot2docker-style: Debian's cloud kernel and an
 * initramfs holding busybox, dockerd, containerd, runc, docker-init,
 * iptables, the kernel modules Docker and swarm need, and a first-boot
 * init that reads the host's configuration from a config disk (a cpio
 * archive on a raw disk, see sl_image_config_disk()) and starts dockerd
 * with mutual TLS on 2376.
 *
 * The packages come from a directory of .deb files, or from apt: the
 * candidate version of each, taken from the apt cache when it is there
 * and fetched with `apt-get download` otherwise. The same packages and
 * epoch give byte-identical artifacts.
 */

#define SL_IMAGE_KERNEL_FILE "vmlinuz"
#define SL_IMAGE_INITRD_FILE "initrd.img"
#define SL_IMAGE_MANIFEST_FILE "manifest.json"

/* Progress of a build: a step ("resolving", "extracting", ...) and what
 * it is about. Both borrowed for the call. */
typedef void (*sl_image_progress_fn)(const char *step, const char *detail,
                                     void *data);

typedef struct sl_image_build_spec {
    const char *name;       /* recorded in the manifest; NULL:
                               "swarmlab-base" */
    const char *output_dir; /* made if missing; the artifacts are written
                               there, replacing earlier ones */
    const char *deb_dir;    /* .deb files to build from; NULL: apt */
    const char *cache_dir;  /* where `apt-get download` puts what the apt
                               cache lacks; NULL: OUTPUT/debs */
    bool offline;           /* never download: what is not in deb_dir,
                               cache_dir or the apt cache is missing */
    int64_t epoch;          /* every mtime; negative: $SOURCE_DATE_EPOCH,
                               else 0 */
    int gzip_level;         /* 1-9; 0: 6 */
    sl_image_progress_fn progress;
    void *progress_data;
} sl_image_build_spec;

/* A built image, as its manifest describes it. */
typedef struct sl_image_artifact {
    char dir[PATH_MAX];
    char kernel[PATH_MAX];   /* DIR/vmlinuz */
    char initrd[PATH_MAX];   /* DIR/initrd.img */
    char manifest[PATH_MAX]; /* DIR/manifest.json */
    char kernel_version[64]; /* "6.1.0-57-cloud-amd64" */
    char id[65];             /* sha256 over both artifacts' sha256 */
} sl_image_artifact;

/* Builds the image into spec->output_dir and fills 'out' (may be NULL).
 * SL_ERR_NOT_FOUND names a package that cannot be had; SL_ERR_IO a
 * packaging step that failed. Nothing is left in the output directory
 * but the artifacts and, with apt, the downloaded packages. */
int sl_image_build(const sl_image_build_spec *spec, sl_image_artifact *out,
                   sl_error *err);

/* Reads the manifest of a built image in 'dir' and checks that both
 * artifacts are there. */
int sl_image_artifact_load(const char *dir, sl_image_artifact *out,
                           sl_error *err);

/* One file on a host's config disk. */
typedef struct sl_image_config_file {
    const char *path; /* "hostname", "labels", "tls/ca.pem" */
    const void *data;
    size_t size;
    unsigned mode;    /* 0644, 0600 for keys */
} sl_image_config_file;

/* The content of a config disk holding 'n' files: a cpio archive padded
 * to 4096 bytes, which the image's init unpacks at boot. Returns a buffer
 * the caller frees, its size in '*size', or NULL. */
unsigned char *sl_image_config_disk(const sl_image_config_file *files,
                                    size_t n, size_t *size, sl_error *err);

#endif /* SL_IMAGE_BUILD_H */
