/* The libvirt backend: domains on any libvirt URI, from disks or a kernel. */
#ifndef SL_HV_LIBVIRT_H
#define SL_HV_LIBVIRT_H

#include <libvirt/libvirt.h>

#include "hypervisor.h"

/* The XML namespace of the metadata that marks the domains swarmlab made
 * and records their disk, image, network and OS. */
#define SL_HV_LIBVIRT_NS "urn:swarmlab:host:1"
#define SL_HV_LIBVIRT_NS_PREFIX "swarmlab"

/* The storage pool used when none is named. */
#define SL_HV_LIBVIRT_POOL "default"

/* Opens the backend: what sl_hypervisor_open("libvirt", ...) calls. The
 * caller closes the result with sl_hypervisor_close(). */
sl_hypervisor *sl_hv_libvirt_open(const sl_hv_options *opts, sl_error *err);

/* The connection of a libvirt hypervisor, or NULL for another backend.
 * Borrowed; for tests and diagnostics (a test:///file URI is private to
 * the connection that opened it). */
virConnectPtr sl_hv_libvirt_conn(sl_hypervisor *hv);

/* Copies into 'path' where the host's serial console is logged, when the
 * log is on this machine and readable; -1 otherwise (another backend, a
 * remote hypervisor, no log yet). */
int sl_hv_libvirt_console_path(sl_hypervisor *hv, const char *name,
                               char *path, size_t size);

#endif /* SL_HV_LIBVIRT_H */
