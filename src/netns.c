/* Linux network namespaces and links between them, by syscall and netlink. */
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

#define NL_BUF 1024
#define NL_REPLY_BUF 8192
#define NL_TIMEOUT_SEC 5
#define SELF_NS "/proc/thread-self/ns/net"

/* One rtnetlink request being built. */
typedef struct nl_msg {
    union {
        struct nlmsghdr h;
        char buf[NL_BUF];
    } u;
    bool overflow;
} nl_msg;

/* A netlink socket opened inside a namespace. */
typedef struct nl_sock {
    int fd;
    uint32_t seq;
    const char *ns; /* for messages */
} nl_sock;

/* Messages ----------------------------------------------------------------- */

static void *nl_init(nl_msg *m, uint16_t type, uint16_t flags, size_t hdr)
{
    memset(m, 0, sizeof(*m));
    m->u.h.nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr);
    m->u.h.nlmsg_type = type;
    m->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    return NLMSG_DATA(&m->u.h);
}

/* Appends an attribute; returns it (to nest into) or NULL when full. */
static struct rtattr *nl_attr(nl_msg *m, uint16_t type, const void *data,
                              size_t len)
{
    size_t off = NLMSG_ALIGN(m->u.h.nlmsg_len);
    size_t need = RTA_LENGTH(len);
    struct rtattr *rta;

    if (off + RTA_ALIGN(need) > sizeof(m->u.buf)) {
        m->overflow = true;
        return NULL;
    }
    rta = (struct rtattr *)(void *)(m->u.buf + off);
    rta->rta_type = type;
    rta->rta_len = (uint16_t)need;
    if (len)
        memcpy(RTA_DATA(rta), data, len);
    m->u.h.nlmsg_len = (uint32_t)(off + RTA_ALIGN(need));
    return rta;
}

static void nl_attr_str(nl_msg *m, uint16_t type, const char *s)
{
    nl_attr(m, type, s, strlen(s) + 1);
}

static void nl_attr_u32(nl_msg *m, uint16_t type, uint32_t v)
{
    nl_attr(m, type, &v, sizeof(v));
}

/* Closes a nested attribute opened with nl_attr(): it spans to the end. */
static void nl_nest_end(nl_msg *m, struct rtattr *nest)
{
    if (nest)
        nest->rta_len = (uint16_t)(m->u.buf + m->u.h.nlmsg_len - (char *)nest);
}

/* Sockets ------------------------------------------------------------------ */

/* Opens a route socket in namespace 'ns': the calling thread enters it for
 * the socket() call only, as a socket stays in the namespace it was made
 * in. SL_ERR_NOT_FOUND when 'ns' does not exist. */
static int nl_open(nl_sock *s, const char *ns, sl_error *err)
{
    struct timeval tv = {NL_TIMEOUT_SEC, 0};
    int self = -1, target = -1, e = 0, rc = -1;

    s->fd = -1;
    s->seq = 0;
    s->ns = ns;
    self = open(SELF_NS, O_RDONLY | O_CLOEXEC);
    target = open(ns, O_RDONLY | O_CLOEXEC);
    if (self < 0 || target < 0) {
        sl_error_set(err, errno == ENOENT ? SL_ERR_NOT_FOUND : SL_ERR_IO,
                     "cannot open namespace '%s': %s", ns, strerror(errno));
        goto cleanup;
    }
    if (setns(target, CLONE_NEWNET) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot enter namespace '%s': %s", ns,
                     strerror(errno));
        goto cleanup;
    }
    s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    e = errno;
    if (setns(self, CLONE_NEWNET) < 0) {
        sl_error_set(err, SL_ERR_INTERNAL, "cannot leave namespace '%s': %s",
                     ns, strerror(errno));
        goto cleanup;
    }
    if (s->fd < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot talk to namespace '%s': %s", ns,
                     strerror(e));
        goto cleanup;
    }
    setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    rc = 0;

cleanup:
    if (rc < 0 && s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (self >= 0)
        close(self);
    if (target >= 0)
        close(target);
    return rc;
}

static void nl_close(nl_sock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

/* Handles one reply message: an ack or error ends the exchange (1), a link
 * fills '*ifindex' (0). Sets errno from a negative ack. */
static int nl_reply(const struct nlmsghdr *h, int *ifindex)
{
    if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *e = NLMSG_DATA(h);

        errno = -e->error;
        return e->error ? -1 : 1;
    }
    if (h->nlmsg_type == RTM_NEWLINK && ifindex) {
        const struct ifinfomsg *ifi = NLMSG_DATA(h);

        *ifindex = ifi->ifi_index;
    }
    return 0;
}

/* Sends 'm' and waits for its ack; a link in the answer fills '*ifindex'
 * (may be NULL). Returns 0, or -1 with errno set. */
static int nl_talk(nl_sock *s, nl_msg *m, int *ifindex)
{
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    char reply[NL_REPLY_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
    uint32_t seq = ++s->seq;

    if (m->overflow) {
        errno = EMSGSIZE;
        return -1;
    }
    m->u.h.nlmsg_seq = seq;
    if (sendto(s->fd, m->u.buf, m->u.h.nlmsg_len, 0, (struct sockaddr *)&kernel,
               sizeof(kernel)) < 0)
        return -1;
    for (;;) {
        ssize_t n = recv(s->fd, reply, sizeof(reply), 0);
        struct nlmsghdr *h = (struct nlmsghdr *)(void *)reply;
        size_t left;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        left = (size_t)n;
        for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            int done;

            if (h->nlmsg_seq != seq)
                continue;
            done = nl_reply(h, ifindex);
            if (done)
                return done < 0 ? -1 : 0;
        }
    }
}

/* The index of link 'name', or -1 with errno set. */
static int nl_ifindex(nl_sock *s, const char *name)
{
    struct ifinfomsg *ifi;
    nl_msg m;
    int index = -1;

    ifi = nl_init(&m, RTM_GETLINK, 0, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    nl_attr_str(&m, IFLA_IFNAME, name);
    if (nl_talk(s, &m, &index) < 0)
        return -1;
    if (index <= 0) {
        errno = ENODEV;
        return -1;
    }
    return index;
}

/* Brings link 'index' up. */
static int nl_link_up(nl_sock *s, int index)
{
    struct ifinfomsg *ifi;
    nl_msg m;

    ifi = nl_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    return nl_talk(s, &m, NULL);
}

/* Namespaces --------------------------------------------------------------- */

int sl_netns_create(const char *path, sl_error *err)
{
    int fd, self = -1, rc = -1, e = 0;

    fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0)
        return sl_error_set(err, errno == EEXIST ? SL_ERR_CONFLICT : SL_ERR_IO,
                            "cannot make namespace '%s': %s", path,
                            strerror(errno));
    close(fd);
    self = open(SELF_NS, O_RDONLY | O_CLOEXEC);
    if (self < 0 || unshare(CLONE_NEWNET) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot make namespace '%s': %s", path,
                     strerror(errno));
        goto cleanup;
    }
    if (mount(SELF_NS, path, "none", MS_BIND, NULL) < 0)
        e = errno;
    if (setns(self, CLONE_NEWNET) < 0) {
        sl_error_set(err, SL_ERR_INTERNAL, "cannot leave namespace '%s': %s",
                     path, strerror(errno));
        goto cleanup;
    }
    if (e) {
        sl_error_set(err, SL_ERR_IO, "cannot mount namespace '%s': %s", path,
                     strerror(e));
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (self >= 0)
        close(self);
    if (rc < 0) {
        umount2(path, MNT_DETACH);
        unlink(path);
    }
    return rc;
}

int sl_netns_remove(const char *path, sl_error *err)
{
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return sl_error_set(err, SL_ERR_IO, "cannot unmount namespace '%s': %s",
                            path, strerror(errno));
    if (unlink(path) < 0 && errno != ENOENT)
        return sl_error_set(err, SL_ERR_IO, "cannot remove namespace '%s': %s",
                            path, strerror(errno));
    return 0;
}

ino_t sl_netns_inode(const char *path)
{
    struct statfs fs;
    struct stat st;

    if (statfs(path, &fs) < 0 || fs.f_type != NSFS_MAGIC || stat(path, &st) < 0)
        return 0;
    return st.st_ino;
}

/* Links -------------------------------------------------------------------- */

int sl_netns_add_bridge(const char *ns, const char *name, sl_error *err)
{
    struct ifinfomsg *ifi;
    struct rtattr *info;
    nl_sock s;
    nl_msg m;
    int rc;

    if (nl_open(&s, ns, err) < 0)
        return -1;
    ifi = nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    nl_attr_str(&m, IFLA_IFNAME, name);
    info = nl_attr(&m, IFLA_LINKINFO, NULL, 0);
    nl_attr_str(&m, IFLA_INFO_KIND, "bridge");
    nl_nest_end(&m, info);
    rc = nl_talk(&s, &m, NULL);
    if (rc < 0)
        sl_error_set(err, errno == EEXIST ? SL_ERR_CONFLICT : SL_ERR_IO,
                     "cannot add bridge '%s' in '%s': %s", name, ns,
                     strerror(errno));
    nl_close(&s);
    return rc;
}

int sl_netns_add_veth(const char *ns, const char *name, const char *master,
                      const char *peer_ns, const char *peer,
                      const uint8_t mac[6], sl_error *err)
{
    struct ifinfomsg *ifi, peer_ifi = {.ifi_family = AF_UNSPEC};
    struct rtattr *info, *data, *peer_attr;
    int peer_fd = -1, bridge, rc = -1;
    nl_sock s;
    nl_msg m;

    if (nl_open(&s, ns, err) < 0)
        return -1;
    peer_fd = open(peer_ns, O_RDONLY | O_CLOEXEC);
    if (peer_fd < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot open namespace '%s': %s", peer_ns,
                     strerror(errno));
        goto cleanup;
    }
    bridge = nl_ifindex(&s, master);
    if (bridge < 0) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "no bridge '%s' in '%s': %s",
                     master, ns, strerror(errno));
        goto cleanup;
    }
    ifi = nl_init(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    nl_attr_str(&m, IFLA_IFNAME, name);
    nl_attr_u32(&m, IFLA_MASTER, (uint32_t)bridge);
    info = nl_attr(&m, IFLA_LINKINFO, NULL, 0);
    nl_attr_str(&m, IFLA_INFO_KIND, "veth");
    data = nl_attr(&m, IFLA_INFO_DATA, NULL, 0);
    peer_attr = nl_attr(&m, VETH_INFO_PEER, &peer_ifi, sizeof(peer_ifi));
    nl_attr_str(&m, IFLA_IFNAME, peer);
    nl_attr_u32(&m, IFLA_NET_NS_FD, (uint32_t)peer_fd);
    nl_attr(&m, IFLA_ADDRESS, mac, 6);
    nl_nest_end(&m, peer_attr);
    nl_nest_end(&m, data);
    nl_nest_end(&m, info);
    if (nl_talk(&s, &m, NULL) < 0) {
        sl_error_set(err, errno == EEXIST ? SL_ERR_CONFLICT : SL_ERR_IO,
                     "cannot add veth '%s' in '%s': %s", name, ns,
                     strerror(errno));
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (peer_fd >= 0)
        close(peer_fd);
    nl_close(&s);
    return rc;
}

int sl_netns_add_address(const char *ns, const char *ifname, const char *addr,
                         int prefix, sl_error *err)
{
    struct ifaddrmsg *ifa;
    struct in_addr in;
    int index, lo, rc = -1;
    nl_sock s;
    nl_msg m;

    if (inet_pton(AF_INET, addr, &in) != 1 || prefix < 1 || prefix > 32)
        return sl_error_set(err, SL_ERR_INVALID, "invalid address '%s/%d'",
                            addr, prefix);
    if (nl_open(&s, ns, err) < 0)
        return -1;
    index = nl_ifindex(&s, ifname);
    lo = nl_ifindex(&s, "lo");
    if (index < 0 || lo < 0) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "no link '%s' in '%s': %s",
                     index < 0 ? ifname : "lo", ns, strerror(errno));
        goto cleanup;
    }
    ifa = nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
    ifa->ifa_family = AF_INET;
    ifa->ifa_prefixlen = (unsigned char)prefix;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (unsigned)index;
    nl_attr(&m, IFA_LOCAL, &in, sizeof(in));
    nl_attr(&m, IFA_ADDRESS, &in, sizeof(in));
    if (nl_talk(&s, &m, NULL) < 0 || nl_link_up(&s, index) < 0 ||
        nl_link_up(&s, lo) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot set '%s/%d' on '%s' in '%s': %s",
                     addr, prefix, ifname, ns, strerror(errno));
        goto cleanup;
    }
    rc = 0;

cleanup:
    nl_close(&s);
    return rc;
}

int sl_netns_del_link(const char *ns, const char *ifname, sl_error *err)
{
    struct ifinfomsg *ifi;
    sl_error local;
    nl_sock s;
    nl_msg m;
    int rc = 0;

    if (nl_open(&s, ns, &local) < 0) {
        if (local.code == SL_ERR_NOT_FOUND)
            return 0;
        if (err)
            *err = local;
        return -1;
    }
    ifi = nl_init(&m, RTM_DELLINK, 0, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    nl_attr_str(&m, IFLA_IFNAME, ifname);
    if (nl_talk(&s, &m, NULL) < 0 && errno != ENODEV)
        rc = sl_error_set(err, SL_ERR_IO, "cannot delete '%s' in '%s': %s",
                          ifname, ns, strerror(errno));
    nl_close(&s);
    return rc;
}

int sl_netns_set_master(const char *ns, const char *ifname, const char *master,
                        sl_error *err)
{
    struct ifinfomsg *ifi;
    int index, bridge, rc = -1;
    nl_sock s;
    nl_msg m;

    if (nl_open(&s, ns, err) < 0)
        return -1;
    index = nl_ifindex(&s, ifname);
    bridge = index < 0 ? -1 : nl_ifindex(&s, master);
    if (index < 0 || bridge < 0) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "no link '%s' in '%s': %s",
                     index < 0 ? ifname : master, ns, strerror(errno));
        goto cleanup;
    }
    ifi = nl_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = index;
    nl_attr_u32(&m, IFLA_MASTER, (uint32_t)bridge);
    if (nl_talk(&s, &m, NULL) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot plug '%s' into '%s' in '%s': %s",
                     ifname, master, ns, strerror(errno));
        goto cleanup;
    }
    rc = 0;

cleanup:
    nl_close(&s);
    return rc;
}
