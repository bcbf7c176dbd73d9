/* The netns backend: real dockerd hosts in network namespaces of their own. */
#include "hv_netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "docker_client.h"
#include "netns.h"
#include "image_tar.h"
#include "netns_proc.h"

#define NX_SUBNET "10.88.0" /* a /24: hosts get .2 to .254 */
#define NX_PREFIX 24
#define NX_FIRST_HOST 2
#define NX_LAST_HOST 254
#define NX_BRIDGE "br0"
#define NX_NETNS_DIR "netns"
#define NX_POLL_NS (100 * SL_NS_PER_MS)
#define NX_KILL_TIMEOUT_NS (10 * SL_NS_PER_SEC)
#define NX_CGROUP_TIMEOUT_NS (5 * SL_NS_PER_SEC)
#define NX_IMPORT_TIMEOUT_MS 60000L
#define NX_LOCK_TRIES 100
#define NX_LOCK_TIMEOUT_NS (60 * SL_NS_PER_SEC)
#define NX_LOCK_POLL_NS (10 * SL_NS_PER_MS)
#define NX_ENV_PATH                                           \
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
    "/sbin:/bin"

typedef struct nx_backend {
    char root[128];
    char tag[64]; /* the root's last part: the cgroup parent */
    char docker_image[256];
    char busybox[PATH_MAX];
    char dockerd[PATH_MAX];
    char docker_init[PATH_MAX]; /* "" when there is none */
    char **extra_args;
    size_t n_extra_args;
    sl_clock *clock;                 /* borrowed from the hypervisor */
    pthread_mutex_t lock;            /* guards the image */
    char image_name[SL_HV_NAME_MAX]; /* "" until one is prepared */
    char *tar;                       /* the image's root file system */
    size_t tar_len;
} nx_backend;

/* What host.json records. */
typedef struct nx_host {
    char name[SL_HV_NAME_MAX];
    int slot; /* -1 when host.json is missing */
    char address[SL_HV_ADDR_MAX];
    char mac[24];
    char image[SL_HV_NAME_MAX];
    char network[SL_HV_NAME_MAX];
    char os[16];
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
} nx_host;

static const sl_hv_ops nx_ops;

/* Helpers ------------------------------------------------------------------ */

static nx_backend *nx_get(sl_hypervisor *hv)
{
    return sl_hypervisor_backend(hv, &nx_ops);
}

/* ROOT/NAME/'file' ("" for the directory) into 'buf' of PATH_MAX. */
static void nx_host_path(const nx_backend *nx, const char *name,
                         const char *file, char *buf)
{
    snprintf(buf, PATH_MAX, "%s/%s%s%s", nx->root, name, *file ? "/" : "",
             file);
}

/* ROOT/netns/'name': a host's namespace, or the lab's. */
static void nx_netns_path(const nx_backend *nx, const char *name, char *buf)
{
    snprintf(buf, PATH_MAX, "%s/" NX_NETNS_DIR "/%s", nx->root, name);
}

/* "unix://ROOT/NAME/docker.sock" into 'buf'; the name was checked to fit
 * when the host was made. */
static void nx_endpoint(const nx_backend *nx, const char *name, char *buf,
                        size_t size)
{
    if (snprintf(buf, size, "unix://%s/%s/docker.sock", nx->root, name) >=
        (int)size)
        buf[0] = '\0';
}

/* Writes 'text' to 'path', readable by root only. */
static int nx_write_file(const char *path, const char *text, sl_error *err)
{
    size_t len = strlen(text), done = 0;
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                            strerror(errno));
    while (done < len) {
        ssize_t n = write(fd, text + done, len - done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                         strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    close(fd);
    return 0;
}

/* Reads at most 'size' - 1 bytes of 'path'; "" when it cannot. */
static void nx_read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

    buf[n > 0 ? n : 0] = '\0';
    if (fd >= 0)
        close(fd);
}

static pid_t nx_read_pid(const char *path)
{
    char buf[32];
    long v;

    nx_read_file(path, buf, sizeof(buf));
    v = strtol(buf, NULL, 10);
    return v > 0 && v <= INT_MAX ? (pid_t)v : -1;
}

/* Removes 'path' and everything below it, never crossing into a mount. */
static int nx_remove_tree(const char *path, sl_error *err)
{
    struct dirent *e;
    char sub[PATH_MAX];
    struct stat st, top;
    DIR *d;

    if (lstat(path, &top) < 0)
        return errno == ENOENT
                   ? 0
                   : sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s",
                                  path, strerror(errno));
    if (!S_ISDIR(top.st_mode)) {
        if (unlink(path) < 0 && errno != ENOENT)
            return sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s", path,
                                strerror(errno));
        return 0;
    }
    d = opendir(path);
    if (!d)
        return sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s", path,
                            strerror(errno));
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
            st.st_dev != top.st_dev) {
            closedir(d);
            return sl_error_set(err, SL_ERR_CONFLICT,
                                "cannot remove '%s': something is mounted "
                                "on it",
                                sub);
        }
        if (nx_remove_tree(sub, err) < 0) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    if (rmdir(path) < 0 && errno != ENOENT)
        return sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s", path,
                            strerror(errno));
    return 0;
}

/* The root lock ------------------------------------------------------------ */

/*
 * One lock for every thread and process using the same root: flock on the
 * root directory itself. The root goes when the last host does, so a
 * lock taken on a directory that was removed meanwhile is taken again.
 */
#define NX_NO_ROOT (-2)

/* Takes the lock on 'fd', waiting at most NX_LOCK_TIMEOUT_NS. */
static int nx_flock(const nx_backend *nx, int fd, sl_error *err)
{
    int64_t deadline = sl_clock_now_ns(nx->clock) + NX_LOCK_TIMEOUT_NS;
    char limit[32];

    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            return sl_error_set(err, SL_ERR_IO, "cannot lock '%s': %s",
                                nx->root, strerror(errno));
        if (sl_clock_now_ns(nx->clock) >= deadline) {
            sl_hv_format_duration(NX_LOCK_TIMEOUT_NS, limit, sizeof(limit));
            return sl_error_set(err, SL_ERR_TIMEOUT,
                                "cannot lock '%s': busy for %s", nx->root,
                                limit);
        }
        sl_clock_sleep_ns(nx->clock, NX_LOCK_POLL_NS);
    }
    return 0;
}

/* Returns the locked descriptor, NX_NO_ROOT when the root does not exist
 * and 'make' is false, or -1 with 'err' filled. A root that others may
 * write to is refused. */
static int nx_lock(const nx_backend *nx, bool make, sl_error *err)
{
    struct stat held, now;
    int tries, fd;

    for (tries = 0; tries < NX_LOCK_TRIES; tries++) {
        if (make && mkdir(nx->root, 0700) < 0 && errno != EEXIST)
            return sl_error_set(err, SL_ERR_IO, "cannot make '%s': %s",
                                nx->root, strerror(errno));
        fd = open(nx->root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && !make)
            return NX_NO_ROOT;
        if (fd < 0 && errno == ENOENT)
            continue;
        if (fd < 0)
            return sl_error_set(err, SL_ERR_IO, "cannot open '%s': %s",
                                nx->root, strerror(errno));
        if (nx_flock(nx, fd, err) < 0 || fstat(fd, &held) < 0) {
            close(fd);
            return -1;
        }
        if (held.st_uid != 0 || (held.st_mode & 022)) {
            close(fd);
            return sl_error_set(err, SL_ERR_CONFLICT,
                                "refusing '%s': others than root may write "
                                "to it",
                                nx->root);
        }
        if (stat(nx->root, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino)
            return fd;
        close(fd);
    }
    return sl_error_set(err, SL_ERR_IO, "cannot lock '%s': it keeps going",
                        nx->root);
}

static void nx_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* Hosts on disk ------------------------------------------------------------ */

/* Whether directory entry 'name' of the root is a host's. */
static bool nx_is_host_entry(const char *root, const struct dirent *e)
{
    char path[PATH_MAX];
    struct stat st;

    if (e->d_name[0] == '.' || !strcmp(e->d_name, NX_NETNS_DIR))
        return false;
    snprintf(path, sizeof(path), "%s/%s", root, e->d_name);
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *nx_str(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v ? v : "";
}

/* Reads ROOT/NAME/host.json; 1 when read, 0 when the host has a directory
 * but no record yet (slot -1), -1 with SL_ERR_NOT_FOUND when there is no
 * host. */
static int nx_host_load(const nx_backend *nx, const char *name, nx_host *h,
                        sl_error *err)
{
    char path[PATH_MAX];
    struct stat st;
    json_t *j;

    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->slot = -1;
    nx_host_path(nx, name, "", path);
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found", name);
    nx_host_path(nx, name, "host.json", path);
    j = json_load_file(path, 0, NULL);
    if (!j)
        return 0;
    h->slot = (int)json_integer_value(json_object_get(j, "slot"));
    snprintf(h->address, sizeof(h->address), "%s", nx_str(j, "address"));
    snprintf(h->mac, sizeof(h->mac), "%s", nx_str(j, "mac"));
    snprintf(h->image, sizeof(h->image), "%s", nx_str(j, "image"));
    snprintf(h->network, sizeof(h->network), "%s", nx_str(j, "network"));
    snprintf(h->os, sizeof(h->os), "%s", nx_str(j, "os"));
    h->cpus = (int)json_integer_value(json_object_get(j, "cpus"));
    h->memory_mib = json_integer_value(json_object_get(j, "memory_mib"));
    h->disk_gib = json_integer_value(json_object_get(j, "disk_gib"));
    json_decref(j);
    if (h->slot < NX_FIRST_HOST || h->slot > NX_LAST_HOST)
        h->slot = -1;
    return 1;
}

static int nx_host_save(const nx_backend *nx, const nx_host *h, sl_error *err)
{
    char path[PATH_MAX];
    json_t *j;
    int fd, rc;

    j = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "name",
                  h->name, "slot", h->slot, "address", h->address, "mac",
                  h->mac, "image", h->image, "network", h->network, "os", h->os,
                  "cpus", h->cpus, "memory_mib", (json_int_t)h->memory_mib,
                  "disk_gib", (json_int_t)h->disk_gib);
    if (!j)
        return sl_error_set(err, SL_ERR_NOMEM, "cannot record '%s'", h->name);
    nx_host_path(nx, h->name, "host.json", path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    rc = fd < 0 ? -1 : json_dumpfd(j, fd, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (rc < 0)
        sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                     strerror(errno));
    if (fd >= 0)
        close(fd);
    json_decref(j);
    return rc;
}

/* The lowest free address slot, or -1. Called with the lock held. */
static int nx_free_slot(const nx_backend *nx)
{
    bool used[NX_LAST_HOST + 1] = {false};
    struct dirent *e;
    DIR *d = opendir(nx->root);
    nx_host h;
    int slot;

    if (!d)
        return -1;
    while ((e = readdir(d))) {
        if (nx_is_host_entry(nx->root, e) &&
            nx_host_load(nx, e->d_name, &h, NULL) == 1 && h.slot >= 0)
            used[h.slot] = true;
    }
    closedir(d);
    for (slot = NX_FIRST_HOST; slot <= NX_LAST_HOST; slot++) {
        if (!used[slot])
            return slot;
    }
    return -1;
}

/* How many hosts have a directory. Called with the lock held. */
static size_t nx_count_hosts(const nx_backend *nx)
{
    struct dirent *e;
    DIR *d = opendir(nx->root);
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)))
        n += nx_is_host_entry(nx->root, e);
    closedir(d);
    return n;
}

/* The running init of a host, or -1, with the inode of its namespace. */
static pid_t nx_init_pid(const nx_backend *nx, const char *name, ino_t *ino)
{
    char path[PATH_MAX];
    pid_t pid;

    nx_netns_path(nx, name, path);
    *ino = sl_netns_inode(path);
    nx_host_path(nx, name, "init.pid", path);
    pid = nx_read_pid(path);
    return *ino && sl_netns_pid_alive(pid, *ino) ? pid : -1;
}

static sl_hv_state nx_state(const nx_backend *nx, const char *name)
{
    char path[PATH_MAX], booted[32], mine[32];
    ino_t ino;
    pid_t pid = nx_init_pid(nx, name, &ino);

    if (pid > 0) {
        nx_host_path(nx, name, "booted", path);
        nx_read_file(path, booted, sizeof(booted));
        snprintf(mine, sizeof(mine), "%d", (int)pid);
        return strcmp(booted, mine) ? SL_HV_STATE_BOOTING : SL_HV_STATE_RUNNING;
    }
    nx_host_path(nx, name, "init.pid", path);
    return access(path, F_OK) == 0 ? SL_HV_STATE_FAILED : SL_HV_STATE_STOPPED;
}

/* The lab and a host's plumbing -------------------------------------------- */

/* Makes the lab namespace and its bridge unless they exist. Called with
 * the lock held. */
static int nx_lab_ensure(const nx_backend *nx, sl_error *err)
{
    char dir[PATH_MAX], lab[PATH_MAX];

    snprintf(dir, sizeof(dir), "%s/" NX_NETNS_DIR, nx->root);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return sl_error_set(err, SL_ERR_IO, "cannot make '%s': %s", dir,
                            strerror(errno));
    nx_netns_path(nx, SL_HV_NETNS_LAB, lab);
    if (sl_netns_inode(lab))
        return 0;
    sl_netns_remove(lab, NULL);
    if (sl_netns_create(lab, err) < 0)
        return -1;
    if (sl_netns_add_bridge(lab, NX_BRIDGE, err) < 0) {
        sl_netns_remove(lab, NULL);
        return -1;
    }
    return 0;
}

/* Removes the lab, the namespace directory and the root once no host is
 * left; namespaces without a host (after a crash) go too. Called with the
 * lock held. */
static int nx_lab_drop_if_unused(const nx_backend *nx, sl_error *err)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct dirent *e;
    DIR *d;
    int rc = 0;

    if (nx_count_hosts(nx) > 0)
        return 0;
    snprintf(dir, sizeof(dir), "%s/" NX_NETNS_DIR, nx->root);
    d = opendir(dir);
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
                (int)sizeof(path) ||
            sl_netns_remove(path, rc ? NULL : err) < 0)
            rc = -1;
    }
    if (d)
        closedir(d);
    if (rc == 0 && rmdir(dir) < 0 && errno != ENOENT)
        rc = sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s", dir,
                          strerror(errno));
    if (rc == 0 && rmdir(nx->root) < 0 && errno != ENOENT && errno != ENOTEMPTY)
        rc = sl_error_set(err, SL_ERR_IO, "cannot remove '%s': %s", nx->root,
                          strerror(errno));
    return rc;
}

/* The lab's end of a host's veth pair. */
static void nx_veth_name(int slot, char *buf, size_t size)
{
    snprintf(buf, size, "v%d", slot);
}

/* Gives the host its namespace, its veth pair into the lab and its
 * address. Called with the lock held. */
static int nx_plumb(const nx_backend *nx, const nx_host *h, sl_error *err)
{
    char lab[PATH_MAX], ns[PATH_MAX], veth[16];
    uint8_t mac[6] = {0x02, 0x58, 10, 88, 0, (uint8_t)h->slot};

    nx_netns_path(nx, SL_HV_NETNS_LAB, lab);
    nx_netns_path(nx, h->name, ns);
    nx_veth_name(h->slot, veth, sizeof(veth));
    if (nx_lab_ensure(nx, err) < 0)
        return -1;
    sl_netns_remove(ns, NULL);
    if (sl_netns_create(ns, err) < 0 ||
        sl_netns_add_veth(lab, veth, NX_BRIDGE, ns, "eth0", mac, err) < 0 ||
        sl_netns_add_address(ns, "eth0", h->address, NX_PREFIX, err) < 0)
        return -1;
    return 0;
}

/* Removes the host's veth pair, namespace and directory, going on past
 * failures. Its processes must be gone. Called with the lock held. */
static int nx_dismantle(const nx_backend *nx, const nx_host *h, sl_error *err)
{
    char lab[PATH_MAX], path[PATH_MAX], veth[16];
    int rc = 0;

    nx_netns_path(nx, SL_HV_NETNS_LAB, lab);
    if (h->slot >= 0) {
        nx_veth_name(h->slot, veth, sizeof(veth));
        if (sl_netns_del_link(lab, veth, err) < 0)
            rc = -1;
    }
    nx_netns_path(nx, h->name, path);
    if (sl_netns_remove(path, rc ? NULL : err) < 0)
        rc = -1;
    nx_host_path(nx, h->name, "", path);
    if (nx_remove_tree(path, rc ? NULL : err) < 0)
        rc = -1;
    return rc;
}

/* Opening and closing ------------------------------------------------------ */

static void nx_close(void *backend)
{
    nx_backend *nx = backend;
    size_t i;

    if (!nx)
        return;
    for (i = 0; i < nx->n_extra_args; i++)
        free(nx->extra_args[i]);
    free(nx->extra_args);
    free(nx->tar);
    pthread_mutex_destroy(&nx->lock);
    free(nx);
}

/* Finds 'name' on PATH or in the system directories; 0 when found. */
static int nx_find_program(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    char dirs[4096], *dir, *save = NULL;

    snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/usr/bin:/sbin:/bin",
             path ? path : "");
    for (dir = strtok_r(dirs, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save)) {
        if (dir[0] != '/')
            continue;
        snprintf(out, size, "%s/%s", dir, name);
        if (access(out, X_OK) == 0)
            return 0;
    }
    out[0] = '\0';
    return -1;
}

static int nx_set_root(nx_backend *nx, const char *root, sl_error *err)
{
    size_t len = strlen(root);
    const char *base;

    while (len > 1 && root[len - 1] == '/')
        len--;
    if (root[0] != '/' || len >= sizeof(nx->root) ||
        (len == 4 && !strncmp(root, "/run", 4)) || len == 1 ||
        !strncmp(root, SL_NETNS_PRIVATE, strlen(SL_NETNS_PRIVATE)))
        return sl_error_set(err, SL_ERR_INVALID,
                            "invalid netns root '%s': expected a directory "
                            "of its own such as '%s'",
                            root, SL_HV_NETNS_ROOT);
    snprintf(nx->root, sizeof(nx->root), "%.*s", (int)len, root);
    base = strrchr(nx->root, '/') + 1;
    snprintf(nx->tag, sizeof(nx->tag), "%s", base);
    return 0;
}

static int nx_configure(nx_backend *nx, const sl_hv_netns_config *cfg,
                        sl_error *err)
{
    const char *root = cfg->root ? cfg->root : getenv("SWARMLAB_NETNS_ROOT");
    const char *image =
        cfg->docker_image ? cfg->docker_image : getenv("SWARMLAB_NETNS_IMAGE");
    size_t i;

    if (nx_set_root(nx, root && *root ? root : SL_HV_NETNS_ROOT, err) < 0)
        return -1;
    snprintf(nx->docker_image, sizeof(nx->docker_image), "%s",
             image && *image ? image : SL_HV_NETNS_IMAGE);
    snprintf(nx->busybox, sizeof(nx->busybox), "%s",
             cfg->busybox ? cfg->busybox : SL_HV_NETNS_BUSYBOX);
    if (cfg->dockerd)
        snprintf(nx->dockerd, sizeof(nx->dockerd), "%s", cfg->dockerd);
    if ((cfg->dockerd && access(nx->dockerd, X_OK) < 0) ||
        (!cfg->dockerd &&
         nx_find_program("dockerd", nx->dockerd, sizeof(nx->dockerd)) < 0))
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "dockerd not found: install docker.io");
    nx_find_program("docker-init", nx->docker_init, sizeof(nx->docker_init));
    for (i = 0; cfg->dockerd_args && cfg->dockerd_args[i]; i++)
        ;
    nx->extra_args = calloc(i + 1, sizeof(*nx->extra_args));
    if (!nx->extra_args)
        return sl_error_set(err, SL_ERR_NOMEM, "cannot open 'netns'");
    for (i = 0; cfg->dockerd_args && cfg->dockerd_args[i]; i++) {
        nx->extra_args[i] = strdup(cfg->dockerd_args[i]);
        if (!nx->extra_args[i])
            return sl_error_set(err, SL_ERR_NOMEM, "cannot open 'netns'");
        nx->n_extra_args++;
    }
    return 0;
}

sl_hypervisor *sl_hv_netns_open_config(const sl_hv_options *opts,
                                       const sl_hv_netns_config *cfg,
                                       sl_error *err)
{
    static const sl_hv_netns_config defaults;
    sl_clock *clock = opts->clock;
    nx_backend *nx = NULL;

    if (geteuid() != 0) {
        sl_error_set(err, SL_ERR_UNSUPPORTED, "the netns backend needs root");
        return NULL;
    }
    if (access("/proc/thread-self/ns/net", F_OK) < 0) {
        sl_error_set(err, SL_ERR_UNSUPPORTED,
                     "the netns backend needs network namespaces");
        return NULL;
    }
    if (clock && sl_clock_is_virtual(clock)) {
        sl_error_set(err, SL_ERR_INVALID,
                     "the netns backend runs real daemons: it needs a real "
                     "clock");
        return NULL;
    }
    nx = calloc(1, sizeof(*nx));
    if (!nx) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot open hypervisor 'netns'");
        return NULL;
    }
    pthread_mutex_init(&nx->lock, NULL);
    if (nx_configure(nx, cfg ? cfg : &defaults, err) < 0)
        goto fail;
    if (!clock) {
        clock = sl_clock_new_real();
        if (!clock) {
            sl_error_set(err, SL_ERR_NOMEM, "cannot open hypervisor 'netns'");
            goto fail;
        }
    }
    nx->clock = clock;
    return sl_hypervisor_new(&nx_ops, nx, clock, !opts->clock, opts, err);

fail:
    nx_close(nx);
    return NULL;
}

sl_hypervisor *sl_hv_netns_open(const sl_hv_options *opts, sl_error *err)
{
    return sl_hv_netns_open_config(opts, NULL, err);
}

const char *sl_hv_netns_root(sl_hypervisor *hv)
{
    nx_backend *nx = nx_get(hv);

    return nx ? nx->root : NULL;
}

pid_t sl_hv_netns_host_pid(sl_hypervisor *hv, const char *name)
{
    nx_backend *nx = nx_get(hv);
    ino_t ino;

    return nx && name ? nx_init_pid(nx, name, &ino) : -1;
}

/* Images ------------------------------------------------------------------- */

/* The image is the root file system every host imports when it boots:
 * 'source' when given (a tarball), else a busybox one. */
static char *nx_image_prepare(sl_hypervisor *hv, const sl_hv_image_spec *spec,
                              sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char *tar = NULL, *name = NULL;
    size_t len = 0;

    if (spec->os && strcmp(spec->os, "linux")) {
        sl_error_set(err, SL_ERR_UNSUPPORTED,
                     "cannot prepare '%s': the netns backend runs linux "
                     "hosts only",
                     spec->name);
        return NULL;
    }
    if (spec->source ? sl_image_tar_read(spec->source, &tar, &len, err)
                     : sl_image_busybox_tar(nx->busybox, &tar, &len, err))
        return NULL;
    name = strdup(spec->name);
    if (!name) {
        free(tar);
        sl_error_set(err, SL_ERR_NOMEM, "cannot prepare '%s'", spec->name);
        return NULL;
    }
    pthread_mutex_lock(&nx->lock);
    free(nx->tar);
    nx->tar = tar;
    nx->tar_len = len;
    snprintf(nx->image_name, sizeof(nx->image_name), "%s", spec->name);
    pthread_mutex_unlock(&nx->lock);
    return name;
}

/* Imports the image into the host's daemon, which lacks it, through 'c'. */
static int nx_image_load(nx_backend *nx, const char *name, sl_docker_client *c,
                         sl_error *err)
{
    char *id = NULL;
    int rc = -1;

    pthread_mutex_lock(&nx->lock);
    if (!nx->tar &&
        sl_image_busybox_tar(nx->busybox, &nx->tar, &nx->tar_len, err) < 0)
        goto cleanup;
    sl_docker_client_set_timeouts(c, 0, NX_IMPORT_TIMEOUT_MS);
    id = sl_docker_image_import(c, nx->docker_image, nx->tar, nx->tar_len,
                                err);
    if (!id && err) {
        char why[sizeof(err->message)];
        int status = err->http_status;

        snprintf(why, sizeof(why), "%s", err->message);
        sl_error_set(err, err->code, "cannot import '%s' into '%s': %s",
                     nx->docker_image, name, why);
        err->http_status = status;
    }
    rc = id ? 0 : -1;

cleanup:
    pthread_mutex_unlock(&nx->lock);
    free(id);
    return rc;
}

/* Creating ----------------------------------------------------------------- */

static int nx_create_check(nx_backend *nx, const sl_hv_host_spec *spec,
                           sl_error *err)
{
    char sock[PATH_MAX];
    bool known;

    if (spec->os && strcmp(spec->os, "linux"))
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "cannot create '%s': the netns backend runs "
                            "linux hosts only",
                            spec->name);
    if (strcmp(spec->network, "default") &&
        strcmp(spec->network, SL_HV_NETNS_LAB))
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "network '%s' not found: the netns backend has "
                            "one, 'default'",
                            spec->network);
    if (!strcmp(spec->name, NX_NETNS_DIR) ||
        !strcmp(spec->name, SL_HV_NETNS_LAB))
        return sl_error_set(err, SL_ERR_CONFLICT,
                            "cannot create '%s': the name is the netns "
                            "backend's own",
                            spec->name);
    nx_host_path(nx, spec->name, "docker.sock", sock);
    if (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path))
        return sl_error_set(err, SL_ERR_INVALID,
                            "cannot create '%s': socket path '%s' is too "
                            "long",
                            spec->name, sock);
    pthread_mutex_lock(&nx->lock);
    known = !strcmp(nx->image_name, spec->image);
    pthread_mutex_unlock(&nx->lock);
    if (!known)
        return sl_error_set(err, SL_ERR_NOT_FOUND, "image '%s' not found",
                            spec->image);
    return 0;
}

/* dockerd's own settings: a trust key of the host's own, not the
 * machine's /etc/docker/key.json. */
static int nx_write_daemon_json(const nx_backend *nx, const char *name,
                                sl_error *err)
{
    char path[PATH_MAX], key[PATH_MAX], *text;
    json_t *j;
    int rc;

    nx_host_path(nx, name, "key.json", key);
    nx_host_path(nx, name, "daemon.json", path);
    j = json_pack("{s:s}", "deprecated-key-path", key);
    text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
    json_decref(j);
    if (!text)
        return sl_error_set(err, SL_ERR_NOMEM, "cannot configure '%s'", name);
    rc = nx_write_file(path, text, err);
    free(text);
    return rc;
}

static void nx_host_fill(nx_host *h, const sl_hv_host_spec *spec, int slot)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->name, sizeof(h->name), "%s", spec->name);
    h->slot = slot;
    snprintf(h->address, sizeof(h->address), NX_SUBNET ".%d", slot);
    snprintf(h->mac, sizeof(h->mac), "02:58:0a:58:00:%02x", slot);
    snprintf(h->image, sizeof(h->image), "%s", spec->image);
    snprintf(h->network, sizeof(h->network), "%s", spec->network);
    snprintf(h->os, sizeof(h->os), "linux");
    h->cpus = spec->cpus;
    h->memory_mib = spec->memory_mib;
    h->disk_gib = spec->disk_gib;
}

/* TODO: cpus and memory are recorded, not enforced on the host. */
static int nx_host_create(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                          sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char dir[PATH_MAX];
    bool made = false;
    int fd, slot, rc = -1;
    nx_host h;

    if (nx_create_check(nx, spec, err) < 0)
        return -1;
    fd = nx_lock(nx, true, err);
    if (fd < 0)
        return -1;
    nx_host_path(nx, spec->name, "", dir);
    slot = nx_free_slot(nx);
    if (mkdir(dir, 0700) < 0) {
        if (errno == EEXIST)
            sl_error_set(err, SL_ERR_CONFLICT, "host '%s' exists already",
                         spec->name);
        else
            sl_error_set(err, SL_ERR_IO, "cannot create '%s': %s", spec->name,
                         strerror(errno));
        goto cleanup;
    }
    made = true;
    nx_host_fill(&h, spec, slot);
    if (slot < 0) {
        sl_error_set(err, SL_ERR_CAPACITY,
                     "cannot create '%s': no free address in " NX_SUBNET
                     ".0/%d",
                     spec->name, NX_PREFIX);
        goto cleanup;
    }
    if (nx_host_save(nx, &h, err) < 0 || nx_plumb(nx, &h, err) < 0 ||
        nx_write_daemon_json(nx, spec->name, err) < 0)
        goto cleanup;
    rc = 0;

cleanup:
    if (rc < 0 && made)
        nx_dismantle(nx, &h, NULL);
    if (rc < 0)
        nx_lab_drop_if_unused(nx, NULL);
    nx_unlock(fd);
    return rc;
}

/* Running ------------------------------------------------------------------ */

/* dockerd's command line, under docker-init when there is one. The caller
 * frees the array and its strings with nx_argv_free(). */
static char **nx_argv(const nx_backend *nx, const char *name)
{
    char path[PATH_MAX], arg[PATH_MAX + 16];
    char **argv = calloc(24 + nx->n_extra_args, sizeof(*argv));
    size_t n = 0, i;

    if (!argv)
        return NULL;
#define ADD(s) (argv[n] = strdup(s), argv[n++] != NULL)
    if (nx->docker_init[0] && !(ADD(nx->docker_init) && ADD("--")))
        goto fail;
    if (!ADD(nx->dockerd))
        goto fail;
    nx_host_path(nx, name, "daemon.json", path);
    if (!ADD("--config-file") || !ADD(path))
        goto fail;
    nx_host_path(nx, name, "data", path);
    if (!ADD("--data-root") || !ADD(path) || !ADD("--exec-root") ||
        !ADD(SL_NETNS_PRIVATE "/exec") || !ADD("--pidfile") ||
        !ADD(SL_NETNS_PRIVATE "/docker.pid"))
        goto fail;
    nx_host_path(nx, name, "docker.sock", path);
    snprintf(arg, sizeof(arg), "unix://%s", path);
    if (!ADD("-H") || !ADD(arg))
        goto fail;
    snprintf(arg, sizeof(arg), "/%s/%s", nx->tag, name);
    if (!ADD("--cgroup-parent") || !ADD(arg))
        goto fail;
    for (i = 0; i < nx->n_extra_args; i++) {
        if (!ADD(nx->extra_args[i]))
            goto fail;
    }
#undef ADD
    return argv;

fail:
    for (i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
    return NULL;
}

static void nx_argv_free(char **argv)
{
    size_t i;

    for (i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* Starts the host's dockerd; another process or thread may not make
 * namespaces meanwhile, hence the lock. */
static int nx_launch(nx_backend *nx, const char *name, sl_error *err)
{
    static const char *const envp[] = {
        NX_ENV_PATH, "DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1", NULL};
    char dir[PATH_MAX], ns[PATH_MAX], log[PATH_MAX], pidfile[PATH_MAX];
    char pidtext[32];
    char **argv = nx_argv(nx, name);
    sl_netns_launch l = {0};
    pid_t pid;
    int fd;

    if (!argv)
        return sl_error_set(err, SL_ERR_NOMEM, "cannot start '%s'", name);
    nx_host_path(nx, name, "", dir);
    nx_netns_path(nx, name, ns);
    nx_host_path(nx, name, "dockerd.log", log);
    nx_host_path(nx, name, "init.pid", pidfile);
    l.hostname = name;
    l.netns = ns;
    l.dir = dir;
    l.hide = nx->root;
    l.log = log;
    l.argv = (const char *const *)argv;
    l.envp = envp;
    fd = nx_lock(nx, false, err);
    if (fd == NX_NO_ROOT)
        sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found", name);
    pid = fd < 0 ? -1 : sl_netns_launch_start(&l, err);
    nx_unlock(fd);
    nx_argv_free(argv);
    if (pid < 0)
        return -1;
    snprintf(pidtext, sizeof(pidtext), "%d\n", (int)pid);
    if (nx_write_file(pidfile, pidtext, err) < 0) {
        kill(pid, SIGKILL);
        return -1;
    }
    return 0;
}

static int nx_host_start(sl_hypervisor *hv, const char *name, sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char path[PATH_MAX];
    nx_host h;
    ino_t ino;

    if (nx_host_load(nx, name, &h, err) < 0)
        return -1;
    if (nx_init_pid(nx, name, &ino) > 0)
        return 0;
    if (!ino || h.slot < 0)
        return sl_error_set(err, SL_ERR_CONFLICT,
                            "host '%s' is half made: destroy it", name);
    nx_host_path(nx, name, "booted", path);
    unlink(path);
    return nx_launch(nx, name, err);
}

/* Why dockerd stopped, from the end of its log: the last line that looks
 * like an error, else the last line. */
static void nx_log_reason(const nx_backend *nx, const char *name, char *out,
                          size_t size)
{
    char path[PATH_MAX], tail[4096], *line, *save = NULL;
    const char *last = NULL, *error = NULL;
    struct stat st;
    int fd;
    ssize_t n = 0;

    nx_host_path(nx, name, "dockerd.log", path);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && fstat(fd, &st) == 0) {
        off_t from = st.st_size > (off_t)sizeof(tail) - 1
                         ? st.st_size - (off_t)sizeof(tail) + 1
                         : 0;

        n = pread(fd, tail, sizeof(tail) - 1, from);
    }
    if (fd >= 0)
        close(fd);
    tail[n > 0 ? n : 0] = '\0';
    for (line = strtok_r(tail, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        last = line;
        if (strstr(line, "level=fatal") || strstr(line, "level=error") ||
            strstr(line, "rror") || strstr(line, "unknown") ||
            strstr(line, "invalid") || strstr(line, "failed"))
            error = line;
    }
    snprintf(out, size, "%.200s", error ? error : last ? last : "no output");
}

/* Waits until the host's daemon answers /_ping; SL_ERR_API when it dies. */
static int nx_wait_ping(nx_backend *nx, const char *name, pid_t pid, ino_t ino,
                        int64_t timeout_ns, sl_docker_client *c, sl_error *err)
{
    int64_t deadline = sl_clock_now_ns(nx->clock) + timeout_ns;
    char reason[256], limit[32];
    sl_docker_ping_result ping;

    for (;;) {
        if (sl_docker_ping(c, &ping, err) == 0)
            return 0;
        if (!sl_netns_pid_alive(pid, ino)) {
            nx_log_reason(nx, name, reason, sizeof(reason));
            return sl_error_set(err, SL_ERR_API,
                                "host '%s' failed to boot: dockerd exited: "
                                "%s",
                                name, reason);
        }
        if (sl_clock_now_ns(nx->clock) >= deadline) {
            sl_hv_format_duration(timeout_ns, limit, sizeof(limit));
            return sl_error_set(err, SL_ERR_TIMEOUT,
                                "host '%s' not booted after %s: dockerd "
                                "does not answer",
                                name, limit);
        }
        sl_clock_sleep_ns(nx->clock, NX_POLL_NS);
    }
}

/* Booted: dockerd answers and has the image. */
static int nx_host_wait_booted(sl_hypervisor *hv, const char *name,
                               int64_t timeout_ns, sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char sock[PATH_MAX], endpoint[PATH_MAX + 8], path[PATH_MAX];
    char query[512], pidtext[32], why[256];
    sl_docker_config cfg = {0};
    sl_docker_client *c = NULL;
    sl_error probe;
    json_t *image;
    nx_host h;
    ino_t ino;
    pid_t pid;
    int rc = -1;

    if (nx_host_load(nx, name, &h, err) < 0)
        return -1;
    pid = nx_init_pid(nx, name, &ino);
    nx_host_path(nx, name, "init.pid", path);
    if (pid < 0 && access(path, F_OK) < 0)
        return sl_error_set(err, SL_ERR_CONFLICT, "host '%s' is not started",
                            name);
    if (pid < 0) {
        nx_log_reason(nx, name, why, sizeof(why));
        return sl_error_set(err, SL_ERR_API,
                            "host '%s' failed to boot: dockerd exited: %s",
                            name, why);
    }
    nx_host_path(nx, name, "docker.sock", sock);
    snprintf(endpoint, sizeof(endpoint), "unix://%s", sock);
    cfg.host = endpoint;
    cfg.connect_timeout_ms = 1000;
    cfg.timeout_ms = 5000;
    c = sl_docker_client_new(&cfg, err);
    if (!c || nx_wait_ping(nx, name, pid, ino, timeout_ns, c, err) < 0)
        goto cleanup;
    snprintf(query, sizeof(query), "/images/%s/json", nx->docker_image);
    image = sl_docker_call(c, "GET", query, NULL, &probe);
    json_decref(image);
    if (!image &&
        (probe.code != SL_ERR_NOT_FOUND ||
         nx_image_load(nx, name, c, err) < 0)) {
        if (probe.code != SL_ERR_NOT_FOUND && err)
            *err = probe;
        goto cleanup;
    }
    snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
    nx_host_path(nx, name, "booted", path);
    rc = nx_write_file(path, pidtext, err);

cleanup:
    sl_docker_client_free(c);
    return rc;
}

static int nx_host_address(sl_hypervisor *hv, const char *name,
                           int64_t timeout_ns, char *addr, size_t size,
                           sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    nx_host h;

    (void)timeout_ns;
    if (nx_host_load(nx, name, &h, err) < 0)
        return -1;
    if (!h.address[0])
        return sl_error_set(err, SL_ERR_CONFLICT, "host '%s' is half made",
                            name);
    snprintf(addr, size, "%s", h.address);
    return 0;
}

static int nx_host_docker_endpoint(sl_hypervisor *hv, const char *name,
                                   char *endpoint, size_t size, sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    nx_host h;
    ino_t ino;

    if (nx_host_load(nx, name, &h, err) < 0)
        return -1;
    if (nx_init_pid(nx, name, &ino) < 0)
        return sl_error_set(err, SL_ERR_CONFLICT, "host '%s' is not running",
                            name);
    nx_endpoint(nx, name, endpoint, size);
    return endpoint[0] ? 0
                       : sl_error_set(err, SL_ERR_INVALID,
                                      "no room for the endpoint of '%s'", name);
}

/* Ends every process of the host and the cgroups of its containers. */
static int nx_kill(nx_backend *nx, const char *name, sl_error *err)
{
    char ns[PATH_MAX], mark[PATH_MAX], cgroup[PATH_MAX];

    nx_netns_path(nx, name, ns);
    nx_host_path(nx, name, "data ", mark);
    snprintf(cgroup, sizeof(cgroup), "/%s/%s", nx->tag, name);
    if (sl_netns_kill_all(sl_netns_inode(ns), mark, nx->clock,
                          NX_KILL_TIMEOUT_NS, err) < 0)
        return -1;
    return sl_netns_remove_cgroups(cgroup, nx->clock, NX_CGROUP_TIMEOUT_NS,
                                   err);
}

static int nx_host_stop(sl_hypervisor *hv, const char *name, int64_t grace_ns,
                        sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    int64_t deadline = sl_clock_now_ns(nx->clock) + grace_ns;
    char path[PATH_MAX];
    nx_host h;
    ino_t ino;
    pid_t pid;

    if (nx_host_load(nx, name, &h, err) < 0)
        return -1;
    pid = nx_init_pid(nx, name, &ino);
    if (pid > 0 && grace_ns > 0 && sl_netns_pid_signal(pid, ino, SIGTERM)) {
        while (sl_netns_pid_alive(pid, ino) &&
               sl_clock_now_ns(nx->clock) < deadline)
            sl_clock_sleep_ns(nx->clock, NX_POLL_NS);
    }
    if (nx_kill(nx, name, err) < 0)
        return -1;
    nx_host_path(nx, name, "booted", path);
    unlink(path);
    nx_host_path(nx, name, "init.pid", path);
    unlink(path);
    return 0;
}

static int nx_host_destroy(sl_hypervisor *hv, const char *name, sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char ns[PATH_MAX];
    sl_error probe;
    int fd, rc;
    nx_host h;

    nx_netns_path(nx, name, ns);
    if (nx_host_load(nx, name, &h, &probe) < 0 && access(ns, F_OK) < 0) {
        if (err)
            *err = probe;
        return -1;
    }
    if (nx_kill(nx, name, err) < 0)
        return -1;
    fd = nx_lock(nx, false, err);
    if (fd == NX_NO_ROOT)
        return 0;
    if (fd < 0)
        return -1;
    rc = nx_dismantle(nx, &h, err);
    if (nx_lab_drop_if_unused(nx, rc < 0 ? NULL : err) < 0)
        rc = -1;
    nx_unlock(fd);
    return rc;
}

/* Listing ------------------------------------------------------------------ */

static void nx_info(const nx_backend *nx, const nx_host *h,
                    sl_hv_host_info *info)
{
    memset(info, 0, sizeof(*info));
    snprintf(info->name, sizeof(info->name), "%s", h->name);
    info->state = h->slot < 0 ? SL_HV_STATE_UNKNOWN : nx_state(nx, h->name);
    info->cpus = h->cpus;
    info->memory_mib = h->memory_mib;
    info->disk_gib = h->disk_gib;
    snprintf(info->os, sizeof(info->os), "%s", h->os[0] ? h->os : "linux");
    snprintf(info->image, sizeof(info->image), "%s", h->image);
    snprintf(info->network, sizeof(info->network), "%s", h->network);
    snprintf(info->mac, sizeof(info->mac), "%s", h->mac);
    snprintf(info->address, sizeof(info->address), "%s", h->address);
    if (info->state == SL_HV_STATE_RUNNING ||
        info->state == SL_HV_STATE_BOOTING)
        nx_endpoint(nx, h->name, info->docker_endpoint,
                    sizeof(info->docker_endpoint));
}

static sl_hv_host_info *nx_host_list(sl_hypervisor *hv, size_t *count,
                                     sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    sl_hv_host_info *hosts = NULL, *grown;
    struct dirent *e;
    DIR *d = NULL;
    nx_host h;
    int fd = nx_lock(nx, false, err);

    if (fd == -1)
        return NULL;
    hosts = calloc(1, sizeof(*hosts));
    d = fd >= 0 ? opendir(nx->root) : NULL;
    while (hosts && d && (e = readdir(d))) {
        if (!nx_is_host_entry(nx->root, e) ||
            nx_host_load(nx, e->d_name, &h, NULL) < 0)
            continue;
        grown = realloc(hosts, (*count + 2) * sizeof(*hosts));
        if (!grown) {
            free(hosts);
            hosts = NULL;
            break;
        }
        hosts = grown;
        nx_info(nx, &h, &hosts[(*count)++]);
    }
    if (d)
        closedir(d);
    nx_unlock(fd);
    if (!hosts) {
        *count = 0;
        sl_error_set(err, SL_ERR_NOMEM, "cannot list hosts");
    }
    return hosts;
}

/* The network -------------------------------------------------------------- */

/*
 * Hosts are ports of bridge br0 in the lab. A partition gives each side
 * but side 0 a bridge of its own (br1, br2, ... in the order of the
 * sides) and plugs the ports of its hosts into it: no frame, ARP
 * included, crosses from one side to another and nothing answers, as
 * when a cable is cut. Healing plugs every port back into br0 and removes
 * the other bridges. The hosts' own namespaces, where dockerd keeps its
 * iptables chains, are not touched; the bridges go with the lab.
 */

/* The side 'name' is on: its entry in 'hosts', else 0. */
static int nx_side_of(const char *name, const char *const *hosts,
                      const int *sides, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!strcmp(hosts[i], name))
            return sides[i];
    }
    return 0;
}

/* The bridge of 'side': br0 for side 0, else brK when K - 1 other sides
 * of 'sides' but 0 come before it. */
static void nx_side_bridge(int side, const int *sides, size_t n, char *buf,
                           size_t size)
{
    int rank = 1;
    size_t i, k;

    for (i = 0; side && i < n; i++) {
        bool first = sides[i] > 0 && sides[i] < side;

        for (k = 0; first && k < i; k++)
            first = sides[k] != sides[i];
        rank += first;
    }
    snprintf(buf, size, "br%d", side ? rank : 0);
}

/* Plugs every host's port into its side's bridge, made when missing;
 * into br0 when 'n' is 0. Called with the lock held. */
static int nx_plug_sides(const nx_backend *nx, const char *lab,
                         const char *const *hosts, const int *sides, size_t n,
                         sl_error *err)
{
    char veth[16], bridge[16];
    struct dirent *e;
    DIR *d = opendir(nx->root);
    sl_error made;
    nx_host h;
    int rc = 0;

    if (!d)
        return sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", nx->root,
                            strerror(errno));
    while (rc == 0 && (e = readdir(d))) {
        if (!nx_is_host_entry(nx->root, e) ||
            nx_host_load(nx, e->d_name, &h, NULL) != 1 || h.slot < 0)
            continue;
        nx_veth_name(h.slot, veth, sizeof(veth));
        nx_side_bridge(nx_side_of(h.name, hosts, sides, n), sides, n, bridge,
                       sizeof(bridge));
        if (strcmp(bridge, NX_BRIDGE) &&
            sl_netns_add_bridge(lab, bridge, &made) < 0 &&
            made.code != SL_ERR_CONFLICT) {
            if (err)
                *err = made;
            rc = -1;
        }
        if (rc == 0)
            rc = sl_netns_set_master(lab, veth, bridge, err);
    }
    closedir(d);
    return rc;
}

/* Checks that the hosts of a partition exist, each named once. */
static int nx_check_sides(const nx_backend *nx, const char *const *hosts,
                          size_t n, sl_error *err)
{
    nx_host h;
    size_t i, k;

    for (i = 0; i < n; i++) {
        if (nx_host_load(nx, hosts[i], &h, err) < 0)
            return -1;
        if (h.slot < 0)
            return sl_error_set(err, SL_ERR_CONFLICT,
                                "host '%s' is half made", hosts[i]);
        for (k = 0; k < i; k++) {
            if (!strcmp(hosts[k], hosts[i]))
                return sl_error_set(err, SL_ERR_INVALID,
                                    "host '%s' is on two sides", hosts[i]);
        }
    }
    return 0;
}

static int nx_partition(sl_hypervisor *hv, const char *const *hosts,
                        const int *sides, size_t n, sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char lab[PATH_MAX];
    int fd, rc;

    fd = nx_lock(nx, false, err);
    if (fd == NX_NO_ROOT)
        return sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found",
                            n ? hosts[0] : "");
    if (fd < 0)
        return -1;
    nx_netns_path(nx, SL_HV_NETNS_LAB, lab);
    rc = nx_check_sides(nx, hosts, n, err);
    if (rc == 0)
        rc = nx_plug_sides(nx, lab, hosts, sides, n, err);
    nx_unlock(fd);
    return rc;
}

static int nx_heal(sl_hypervisor *hv, sl_error *err)
{
    nx_backend *nx = nx_get(hv);
    char lab[PATH_MAX], bridge[32];
    size_t hosts, i;
    int fd, rc = 0;

    fd = nx_lock(nx, false, err);
    if (fd == NX_NO_ROOT)
        return 0;
    if (fd < 0)
        return -1;
    nx_netns_path(nx, SL_HV_NETNS_LAB, lab);
    hosts = nx_count_hosts(nx);
    if (sl_netns_inode(lab))
        rc = nx_plug_sides(nx, lab, NULL, NULL, 0, err);
    /* A partition has fewer sides than hosts, so fewer bridges. */
    for (i = 1; rc == 0 && i < hosts && sl_netns_inode(lab); i++) {
        snprintf(bridge, sizeof(bridge), "br%zu", i);
        rc = sl_netns_del_link(lab, bridge, err);
    }
    nx_unlock(fd);
    return rc;
}

static const sl_hv_ops nx_ops = {
    .name = "netns",
    .image_prepare = nx_image_prepare,
    .host_create = nx_host_create,
    .host_start = nx_host_start,
    .host_wait_booted = nx_host_wait_booted,
    .host_address = nx_host_address,
    .host_docker_endpoint = nx_host_docker_endpoint,
    .host_stop = nx_host_stop,
    .host_destroy = nx_host_destroy,
    .host_list = nx_host_list,
    .partition = nx_partition,
    .heal = nx_heal,
    .close = nx_close,
};
