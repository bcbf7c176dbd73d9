/* A namespace host's processes: one started in its namespaces, all ended. */
#ifndef SL_NETNS_PROC_H
#define SL_NETNS_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"
#include "error.h"

/*
 * A host's program runs in the host's network namespace and in new UTS,
 * mount and PID namespaces of its own, as PID 1 of the last one, so that
 * killing it takes down everything it started (containerd, shims,
 * containers). In its mount namespace /run is an empty tmpfs and /var/lib
 * and /etc are overlays whose changes stay there: what dockerd writes
 * outside its own roots (/run/docker, /run/containerd, /run/xtables.lock,
 * /var/lib/docker/network/files) disappears with it, and no mount it makes
 * is seen outside. Only the host's directory stays shared.
 */

/* Private to the host: exec roots, pid files, overlay layers. */
#define SL_NETNS_PRIVATE "/run/.sl-private"

/* What to start. Every pointer is borrowed for the call. */
typedef struct sl_netns_launch {
    const char *hostname;    /* the host's own, in its UTS namespace */
    const char *netns;       /* path of its network namespace */
    const char *dir;         /* its directory: stays visible inside */
    const char *hide;        /* mounts under this directory are not
                                copied in (the other hosts' namespaces);
                                NULL: those under /run only */
    const char *log;         /* gets stdout and stderr (0600, truncated) */
    const char *const *argv; /* argv[0]: absolute path of the program */
    const char *const *envp; /* its whole environment */
} sl_netns_launch;

/* Starts the program, detached from the caller (its own session). Returns
 * its process ID as the caller sees it once the namespaces are set up and
 * the program is executing, or -1 with 'err' naming the step that failed.
 * No other thread or process may make mounts under /run or 'hide'
 * meanwhile, or the new mount namespace may keep a copy of them. */
pid_t sl_netns_launch_start(const sl_netns_launch *l, sl_error *err);

/* Whether 'pid' is running (not a zombie) in network namespace 'netns'
 * (an inode from sl_netns_inode()). */
bool sl_netns_pid_alive(pid_t pid, ino_t netns);

/* Sends 'sig' to 'pid' when it runs in 'netns'; returns whether it did. */
bool sl_netns_pid_signal(pid_t pid, ino_t netns, int sig);

/* Kills every process in network namespace 'netns' (0: none) and every one
 * whose command line holds 'mark' (NULL: none), and waits until they are
 * gone, at most 'timeout_ns' on 'clock'. SL_ERR_TIMEOUT when some stay. */
int sl_netns_kill_all(ino_t netns, const char *mark, sl_clock *clock,
                      int64_t timeout_ns, sl_error *err);

/* Removes cgroup 'path' ("/swarmlab/n2d-mngr-0") and everything below it
 * in every hierarchy under /sys/fs/cgroup, then its parent when empty.
 * Waits at most 'timeout_ns' for cgroups still emptying. */
int sl_netns_remove_cgroups(const char *path, sl_clock *clock,
                            int64_t timeout_ns, sl_error *err);

#endif /* SL_NETNS_PROC_H */
