/* Linux network namespaces and links between them, by syscall and netlink. */
#ifndef SL_NETNS_H
#define SL_NETNS_H

#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/*
 * A namespace is named by the path of the file it is bind-mounted on, as
 * `ip netns add` does under /run/netns. Every call works on the calling
 * thread only: it may enter a namespace for a moment and always comes
 * back, so other threads are never affected. All of them need root.
 */

/* Makes a new network namespace kept alive by a bind mount on 'path' (a
 * new file). SL_ERR_CONFLICT when 'path' exists. */
int sl_netns_create(const char *path, sl_error *err);

/* Unmounts and removes 'path'. A path that is not there is no error. */
int sl_netns_remove(const char *path, sl_error *err);

/* The inode that names the namespace at 'path' (as /proc/PID/ns/net
 * shows it), or 0 when there is none. */
ino_t sl_netns_inode(const char *path);

/* Adds bridge 'name' in namespace 'ns', up, without spanning tree;
 * SL_ERR_CONFLICT when there is a link of that name. */
int sl_netns_add_bridge(const char *ns, const char *name, sl_error *err);

/* Adds a veth pair: 'name' in namespace 'ns', enslaved to bridge 'master'
 * and up, and its peer 'peer' in namespace 'peer_ns' with hardware
 * address 'mac', left down. */
int sl_netns_add_veth(const char *ns, const char *name, const char *master,
                      const char *peer_ns, const char *peer,
                      const uint8_t mac[6], sl_error *err);

/* Brings 'ifname' up in 'ns' with the IPv4 address 'addr' ("10.88.0.2")
 * of prefix length 'prefix', and brings up the loopback too. */
int sl_netns_add_address(const char *ns, const char *ifname, const char *addr,
                         int prefix, sl_error *err);

/* Deletes link 'ifname' in 'ns' (a veth takes its peer with it). A link
 * or namespace that is not there is no error. */
int sl_netns_del_link(const char *ns, const char *ifname, sl_error *err);

/* Plugs link 'ifname' of 'ns' into bridge 'master' of 'ns', out of the
 * bridge it was in. */
int sl_netns_set_master(const char *ns, const char *ifname, const char *master,
                        sl_error *err);

#endif /* SL_NETNS_H */
