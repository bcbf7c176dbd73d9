/* The netns backend: real dockerd hosts in network namespaces of their own. */
#ifndef SL_HV_NETNS_H
#define SL_HV_NETNS_H

#include <sys/types.h>

#include "hypervisor.h"

/*
 * Each host is a network namespace on this machine, plugged by a veth pair
 * into bridge br0 of a lab namespace that only the hosts share, with
 * address 10.88.0.N/24 (.2 for the first host made, then the lowest one
 * free), a hostname of its own and a real dockerd answering on the unix
 * socket ROOT/NAME/docker.sock. dockerd runs in UTS, mount and PID
 * namespaces of its own (see netns_proc.h). Nothing is routed out of the
 * lab and nothing runs in the machine's own network namespace.
 * sl_hv_partition() cuts the bridge into VLANs, one per side, and
 * sl_hv_heal() joins them again.
 *
 * ROOT (/run/swarmlab), and everything in it, is root's alone (0700/0600):
 *   netns/sl-lab, netns/NAME   the namespaces, bind-mounted
 *   NAME/                      one host: host.json (what it was made with),
 *                              data/ (dockerd's data root), docker.sock,
 *                              dockerd.log, daemon.json, key.json, init.pid
 * The hosts are the directories; the lab and ROOT go with the last one.
 *
 * Booting starts dockerd, waits until it answers /_ping and imports the
 * image (bb:1, Debian's busybox-static) when the daemon lacks it; no
 * registry is needed. Opening needs root and Debian's docker.io; it fails
 * with SL_ERR_UNSUPPORTED saying what is missing.
 */

#define SL_HV_NETNS_ROOT "/run/swarmlab"
#define SL_HV_NETNS_LAB "sl-lab"
#define SL_HV_NETNS_IMAGE "bb:1"
#define SL_HV_NETNS_BUSYBOX "/bin/busybox"

/* Zero or NULL fields take the defaults shown. Strings are copied. */
typedef struct sl_hv_netns_config {
    const char *root;                /* $SWARMLAB_NETNS_ROOT, else
                                        SL_HV_NETNS_ROOT; several roots make
                                        separate labs */
    const char *docker_image;        /* $SWARMLAB_NETNS_IMAGE, else bb:1 */
    const char *busybox;             /* SL_HV_NETNS_BUSYBOX */
    const char *dockerd;             /* dockerd found on PATH or in /usr/sbin */
    const char *const *dockerd_args; /* more arguments for dockerd,
                                        ending in NULL */
} sl_hv_netns_config;

/* Opens the backend with the defaults: what sl_hypervisor_open("netns",
 * ...) calls. The caller closes it with sl_hypervisor_close(). */
sl_hypervisor *sl_hv_netns_open(const sl_hv_options *opts, sl_error *err);

/* Same, with 'cfg' (NULL: the defaults). */
sl_hypervisor *sl_hv_netns_open_config(const sl_hv_options *opts,
                                       const sl_hv_netns_config *cfg,
                                       sl_error *err);

/* The root directory of a netns hypervisor (borrowed), or NULL for
 * another backend. */
const char *sl_hv_netns_root(sl_hypervisor *hv);

/* The process ID of the running host's init, whose death takes dockerd
 * and everything it started with it; -1 when it does not run. */
pid_t sl_hv_netns_host_pid(sl_hypervisor *hv, const char *name);

#endif /* SL_HV_NETNS_H */
