/* The Docker host image: a kernel and an initramfs from Debian packages. */
#include "image_build.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "cpio.h"

#define KERNEL_META "linux-image-cloud-amd64"
#define IMG_NAME_MAX 128
#define IMG_VERSION_MAX 128

/* The init script (image/init.sh), compiled in. */
extern const unsigned char sl_image_init_script[];
extern const size_t sl_image_init_script_len;

/* The packages besides the kernel: the programs, then their libraries. */
static const char *const img_packages[] = {
    "busybox-static", "docker.io", "containerd", "runc", "tini", "iptables",
    "libxtables12", "libip4tc2", "libip6tc2", "libnftnl11", "libmnl0",
    "libnetfilter-conntrack3", "libnfnetlink0", "libc6", "libsystemd0",
    "libdevmapper1.02.1", "libcap2", "libgcrypt20", "liblzma5", "libzstd1",
    "liblz4-1", "libselinux1", "libudev1", "libgpg-error0", "libpcre2-8-0",
    "libseccomp2",
};

/* The kernel modules the guest loads at boot; their dependencies come
 * along. */
static const char *const img_modules[] = {
    "virtio_pci", "virtio_blk", "virtio_net", "overlay", "bridge",
    "br_netfilter", "veth", "vxlan", "nf_conntrack", "nf_conntrack_netlink",
    "nf_nat", "ip_tables", "iptable_filter", "iptable_nat", "iptable_mangle",
    "iptable_raw", "ip6_tables", "ip6table_filter", "ip6table_nat",
    "ip6table_mangle", "xt_MASQUERADE", "xt_conntrack", "xt_addrtype",
    "xt_nat", "xt_tcpudp", "xt_mark", "xt_comment", "xt_multiport",
    "xt_ipvs", "ipt_REJECT", "ip6t_REJECT", "ip_vs", "ip_vs_rr", "ip_vs_wrr",
    "ip_vs_sh",
};

/* Paths of the packages that the image leaves out: documentation, service
 * definitions for init systems it does not run, the docker CLI and test
 * tools, containerd's CLI and legacy shims, and glibc's character set
 * converters. */
static const char *const img_skipped[] = {
    "usr/share", "etc/init.d", "etc/init", "etc/default", "etc/logrotate.d",
    "etc/systemd", "lib/systemd", "usr/lib/systemd", "usr/bin/docker",
    "usr/bin/dnet", "usr/sbin/ovrouter", "usr/bin/ctr",
    "usr/bin/containerd-shim", "usr/bin/containerd-shim-runc-v1",
    "usr/lib/x86_64-linux-gnu/gconv",
    "usr/libexec/docker/cli-plugins",
};

static const char img_inittab[] =
    "::sysinit:/init boot\n"
    "::respawn:/init dockerd\n"
    "::ctrlaltdel:/sbin/poweroff\n"
    "::shutdown:/bin/umount -a -r\n";

static const char img_passwd[] = "root:x:0:0:root:/root:/bin/sh\n";
static const char img_group[] = "root:x:0:\ntty:x:5:\ndocker:x:999:\n";

/* One package to build from. */
typedef struct img_pkg {
    char name[IMG_NAME_MAX];
    char version[IMG_VERSION_MAX];
    char *deb;        /* its .deb file */
    char sha256[65];
} img_pkg;

typedef struct img_build {
    const sl_image_build_spec *spec;
    char *work;       /* scratch directory, removed at the end */
    char *cache;
    img_pkg pkgs[sizeof(img_packages) / sizeof(img_packages[0]) + 1];
    size_t npkgs;
    char kver[64];
    char *kernel_root; /* the kernel package, extracted */
    sl_cpio *cpio;
    json_t *modules;
} img_build;

static void progress(const img_build *b, const char *step, const char *what)
{
    if (b->spec->progress)
        b->spec->progress(step, what, b->spec->progress_data);
}

/* snprintf for paths: a path too long for PATH_MAX is cut, and then
 * fails where it is used. */
static void pathf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void pathf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(out, size, fmt, ap);
    va_end(ap);
}

static char *path_join(const char *a, const char *b)
{
    char *p = NULL;

    if (asprintf(&p, "%s/%s", a, b) < 0)
        return NULL;
    return p;
}

/* Running packaging tools ----------------------------------------------- */

/* Reads all of 'fd' into a NUL-terminated buffer the caller frees. */
static char *read_all_fd(int fd)
{
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    ssize_t n;

    while (buf) {
        if (len + 1 >= cap) {
            char *grown = realloc(buf, cap * 2);

            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* The last non-empty line of 'text', for messages. */
static void last_line(const char *text, char *out, size_t size)
{
    const char *end = text + strlen(text), *start;

    while (end > text && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(out, size, "%.*s", (int)(end - start), start);
}

/* Runs argv[0] in 'cwd' (or here) with its output in '*out' (when not
 * NULL; the caller frees it). Fails with the last line it printed. */
static int run_tool(const char *const argv[], const char *cwd, char **out,
                    sl_error *err)
{
    int pipefd[2];
    char *text = NULL;
    char line[256];
    pid_t pid;
    int status = 0;

    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot run '%s': %s", argv[0],
                            strerror(errno));
    pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        if (!out)
            dup2(pipefd[1], STDERR_FILENO);
        if (cwd && chdir(cwd) < 0)
            _exit(126);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    if (pid > 0)
        text = read_all_fd(pipefd[0]);
    close(pipefd[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        free(text);
        return sl_error_set(err, SL_ERR_IO, "cannot run '%s': %s", argv[0],
                            strerror(errno));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        last_line(text ? text : "", line, sizeof(line));
        free(text);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            return sl_error_set(err, SL_ERR_UNSUPPORTED,
                                "cannot run '%s': not installed", argv[0]);
        return sl_error_set(err, SL_ERR_IO, "'%s %s' failed: %s", argv[0],
                            argv[1] ? argv[1] : "", line);
    }
    if (out)
        *out = text;
    else
        free(text);
    return 0;
}

/* The value of "Field: value" in dpkg or apt output, or "" when absent. */
static void control_field(const char *text, const char *field, char *out,
                          size_t size)
{
    size_t flen = strlen(field);
    const char *p = text;

    out[0] = '\0';
    while (p && *p) {
        if (!strncmp(p, field, flen) && p[flen] == ':') {
            const char *v = p + flen + 1;
            size_t n;

            while (*v == ' ')
                v++;
            n = strcspn(v, "\n");
            snprintf(out, size, "%.*s", (int)n, v);
            return;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
}

/* The first package a Depends field names ("linux-image-6.1.0-57-cloud-amd64
 * (= 6.1.192-3)" gives "linux-image-6.1.0-57-cloud-amd64"). */
static void first_depend(const char *depends, char *out, size_t size)
{
    size_t n = strcspn(depends, " ,|(");

    snprintf(out, size, "%.*s", (int)n, depends);
}

/* Whether version 'a' is greater than 'b', as dpkg orders them. */
static bool version_newer(const char *a, const char *b)
{
    const char *argv[] = {"dpkg", "--compare-versions", a, "gt", b, NULL};

    return run_tool(argv, NULL, NULL, NULL) == 0;
}

/* Files ------------------------------------------------------------------ */

static int sha256_file(const char *path, char hex[65], sl_error *err)
{
    unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned mdlen = 0, i;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
    ssize_t n;

    if (fd < 0 || !ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path,
                     strerror(errno));
        goto cleanup;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        EVP_DigestUpdate(ctx, buf, (size_t)n);
    if (n < 0 || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
        sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", path,
                     strerror(errno));
        goto cleanup;
    }
    for (i = 0; i < mdlen; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    rc = 0;

cleanup:
    EVP_MD_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int sha256_text(const char *text, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, i;

    if (!EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL))
        return -1;
    for (i = 0; i < mdlen; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    return 0;
}

static int mkdir_p(const char *path, mode_t mode, sl_error *err)
{
    char tmp[PATH_MAX];
    char *p;

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            goto fail;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        goto fail;
    return 0;

fail:
    return sl_error_set(err, SL_ERR_IO, "cannot make '%s': %s", tmp,
                        strerror(errno));
}

/* Removes a tree made by the build; symlinks are not followed. */
static void remove_tree(const char *path)
{
    struct stat sb;
    DIR *d;
    struct dirent *de;

    if (lstat(path, &sb) < 0)
        return;
    if (S_ISDIR(sb.st_mode) && (d = opendir(path))) {
        while ((de = readdir(d))) {
            char *child;

            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            child = path_join(path, de->d_name);
            if (child)
                remove_tree(child);
            free(child);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Packages ---------------------------------------------------------------- */

/* The .deb file apt keeps for a package version:
 * NAME_VERSION_ARCH.deb with ':' written "%3a". */
static void deb_file_name(const char *name, const char *version,
                          const char *arch, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "%s_", name);
    const char *v;

    for (v = version; *v && n + 4 < size; v++) {
        if (*v == ':')
            n += (size_t)snprintf(out + n, size - n, "%%3a");
        else
            out[n++] = *v;
    }
    snprintf(out + n, size - n, "_%s.deb", arch);
}

static char *existing(const char *dir, const char *file)
{
    char *p = path_join(dir, file);

    if (p && access(p, R_OK) == 0)
        return p;
    free(p);
    return NULL;
}

/* Finds the candidate version of 'name' in the apt cache, else downloads
 * it into the cache directory. Fills 'pkg'; '*depends' gets the package's
 * Depends field when not NULL. */
static int apt_fetch(img_build *b, const char *name, img_pkg *pkg,
                     char *depends, size_t dsize, sl_error *err)
{
    const char *show[] = {"apt-cache", "show", "--no-all-versions", name,
                          NULL};
    char arch[32], file[PATH_MAX], spec[IMG_NAME_MAX + IMG_VERSION_MAX];
    char *text = NULL;

    if (run_tool(show, NULL, &text, err) < 0 || !text || !text[0]) {
        free(text);
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "package '%s' not known to apt: run "
                            "'apt-get update' or give --debs", name);
    }
    snprintf(pkg->name, sizeof(pkg->name), "%s", name);
    control_field(text, "Version", pkg->version, sizeof(pkg->version));
    control_field(text, "Architecture", arch, sizeof(arch));
    if (depends)
        control_field(text, "Depends", depends, dsize);
    free(text);
    deb_file_name(name, pkg->version, arch, file, sizeof(file));
    pkg->deb = existing(b->cache, file);
    if (!pkg->deb)
        pkg->deb = existing("/var/cache/apt/archives", file);
    if (pkg->deb)
        return 0;
    if (b->spec->offline)
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "package '%s' %s is not in '%s' nor the apt "
                            "cache", name, pkg->version, b->cache);
    progress(b, "downloading", name);
    snprintf(spec, sizeof(spec), "%s=%s", name, pkg->version);
    {
        const char *dl[] = {"apt-get", "download", "-q", spec, NULL};

        if (run_tool(dl, b->cache, NULL, err) < 0)
            return sl_error_set(err, SL_ERR_NOT_FOUND,
                                "cannot download package '%s': %s", name,
                                err->message);
    }
    pkg->deb = existing(b->cache, file);
    if (!pkg->deb)
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "apt-get did not leave '%s' in '%s'", file,
                            b->cache);
    return 0;
}

/* Picks package 'name' from the .deb files of the directory: the newest
 * version when there are several. */
static int dir_pick(img_build *b, json_t *index, const char *name,
                    img_pkg *pkg, char *depends, size_t dsize, sl_error *err)
{
    json_t *e = json_object_get(index, name);

    if (!e)
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "package '%s' missing from '%s'", name,
                            b->spec->deb_dir);
    snprintf(pkg->name, sizeof(pkg->name), "%s", name);
    snprintf(pkg->version, sizeof(pkg->version), "%s",
             json_string_value(json_object_get(e, "version")));
    if (depends)
        snprintf(depends, dsize, "%s",
                 json_string_value(json_object_get(e, "depends")));
    pkg->deb = strdup(json_string_value(json_object_get(e, "file")));
    return pkg->deb ? 0 : sl_error_set(err, SL_ERR_NOMEM, "out of memory");
}

/* Reads every .deb of the directory: {package: {version, depends, file}},
 * the newest version of each. */
static json_t *dir_index(const char *dir, sl_error *err)
{
    json_t *index = json_object();
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d) {
        json_decref(index);
        sl_error_set(err, SL_ERR_INVALID, "cannot read '%s': %s", dir,
                     strerror(errno));
        return NULL;
    }
    while (index && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        char *file, *text = NULL;
        char name[IMG_NAME_MAX], version[IMG_VERSION_MAX], depends[1024];
        const char *old;

        if (len < 5 || strcmp(de->d_name + len - 4, ".deb"))
            continue;
        file = path_join(dir, de->d_name);
        {
            const char *argv[] = {"dpkg-deb", "-f", file, "Package",
                                  "Version", "Depends", NULL};

            if (!file || run_tool(argv, NULL, &text, err) < 0) {
                free(file);
                json_decref(index);
                index = NULL;
                break;
            }
        }
        control_field(text, "Package", name, sizeof(name));
        control_field(text, "Version", version, sizeof(version));
        control_field(text, "Depends", depends, sizeof(depends));
        old = json_string_value(json_object_get(json_object_get(index, name),
                                                "version"));
        if (!old || version_newer(version, old))
            json_object_set_new(index, name,
                                json_pack("{s:s, s:s, s:s}", "version",
                                          version, "depends", depends,
                                          "file", file));
        free(text);
        free(file);
    }
    closedir(d);
    return index;
}

/* Finds every package: the kernel (through its metapackage) first. */
static int resolve(img_build *b, sl_error *err)
{
    json_t *index = NULL;
    char depends[1024], kernel[IMG_NAME_MAX];
    img_pkg meta = {0};
    size_t i;
    int rc = -1;

    progress(b, "resolving", b->spec->deb_dir ? b->spec->deb_dir : "apt");
    if (b->spec->deb_dir) {
        index = dir_index(b->spec->deb_dir, err);
        if (!index)
            return -1;
    }
#define PICK(name, pkg, dep, dsize)                                        \
    (index ? dir_pick(b, index, name, pkg, dep, dsize, err)                \
           : apt_fetch(b, name, pkg, dep, dsize, err))
    if (PICK(KERNEL_META, &meta, depends, sizeof(depends)) < 0)
        goto cleanup;
    first_depend(depends, kernel, sizeof(kernel));
    if (!kernel[0]) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "package '%s' names no kernel",
                     KERNEL_META);
        goto cleanup;
    }
    if (PICK(kernel, &b->pkgs[0], NULL, 0) < 0)
        goto cleanup;
    b->npkgs = 1;
    for (i = 0; i < sizeof(img_packages) / sizeof(img_packages[0]); i++) {
        if (PICK(img_packages[i], &b->pkgs[b->npkgs], NULL, 0) < 0)
            goto cleanup;
        b->npkgs++;
    }
#undef PICK
    for (i = 0; i < b->npkgs; i++) {
        if (sha256_file(b->pkgs[i].deb, b->pkgs[i].sha256, err) < 0)
            goto cleanup;
    }
    rc = 0;

cleanup:
    free(meta.deb);
    json_decref(index);
    return rc;
}

static int extract(img_build *b, const img_pkg *pkg, char **root,
                   sl_error *err)
{
    const char *argv[] = {"dpkg-deb", "-x", pkg->deb, NULL, NULL};

    *root = path_join(b->work, pkg->name);
    if (!*root)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    argv[3] = *root;
    progress(b, "extracting", pkg->name);
    return run_tool(argv, NULL, NULL, err);
}

/* The root filesystem --------------------------------------------------- */

static bool skipped(const char *rel)
{
    size_t i;

    for (i = 0; i < sizeof(img_skipped) / sizeof(img_skipped[0]); i++) {
        size_t n = strlen(img_skipped[i]);

        if (!strncmp(rel, img_skipped[i], n) &&
            (rel[n] == '\0' || rel[n] == '/'))
            return true;
    }
    return false;
}

/* Where a package path goes in the merged-/usr image: "lib/x" becomes
 * "usr/lib/x"; the root holds symlinks bin, sbin, lib and lib64. */
static void merged_path(const char *rel, char *out, size_t size)
{
    static const char *const tops[] = {"bin", "sbin", "lib", "lib64"};
    size_t i;

    for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
        size_t n = strlen(tops[i]);

        if (!strncmp(rel, tops[i], n) && (rel[n] == '\0' || rel[n] == '/')) {
            pathf(out, size, "usr/%s", rel);
            return;
        }
    }
    snprintf(out, size, "%s", rel);
}

/* Adds the tree under 'dir' (a package's files, 'rel' deep) to the
 * archive. */
static int add_tree(img_build *b, const char *dir, const char *rel,
                    sl_error *err)
{
    struct dirent **names = NULL;
    int n, i, rc = 0;

    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", dir,
                            strerror(errno));
    for (i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char sub[PATH_MAX], full[PATH_MAX], dest[PATH_MAX];
        struct stat sb;

        if (rc < 0 || !strcmp(name, ".") || !strcmp(name, ".."))
            continue;
        snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", name);
        snprintf(full, sizeof(full), "%s/%s", dir, name);
        if (skipped(sub) || lstat(full, &sb) < 0)
            continue;
        merged_path(sub, dest, sizeof(dest));
        if (S_ISDIR(sb.st_mode)) {
            if (sl_cpio_add_dir(b->cpio, dest, sb.st_mode, err) < 0 ||
                add_tree(b, full, sub, err) < 0)
                rc = -1;
        } else if (S_ISLNK(sb.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlink(full, target, sizeof(target) - 1);

            if (len < 0) {
                rc = sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s",
                                  full, strerror(errno));
                continue;
            }
            target[len] = '\0';
            rc = sl_cpio_add_symlink(b->cpio, dest, target, err);
        } else if (S_ISREG(sb.st_mode)) {
            rc = sl_cpio_add_file(b->cpio, dest, sb.st_mode, full, err);
        }
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Kernel modules ---------------------------------------------------------- */

/* The "depends=" of a module's .modinfo section, comma-separated, into
 * 'out'; "" when it has none. */
static int module_depends(const char *path, char *out, size_t size,
                          sl_error *err)
{
    FILE *f = fopen(path, "rb");
    unsigned char *data = NULL;
    const Elf64_Ehdr *eh;
    const Elf64_Shdr *sh;
    long len;
    int rc = -1, i;

    out[0] = '\0';
    if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) < 0 || !(data = malloc((size_t)len + 1)) ||
        fread(data, 1, (size_t)len, f) != (size_t)len) {
        sl_error_set(err, SL_ERR_IO, "cannot read module '%s'", path);
        goto cleanup;
    }
    eh = (const Elf64_Ehdr *)data;
    if ((size_t)len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > (uint64_t)len ||
        eh->e_shstrndx >= eh->e_shnum) {
        sl_error_set(err, SL_ERR_INVALID, "module '%s' is not ELF64", path);
        goto cleanup;
    }
    sh = (const Elf64_Shdr *)(data + eh->e_shoff);
    for (i = 0; i < eh->e_shnum; i++) {
        const char *sname = (const char *)data + sh[eh->e_shstrndx].sh_offset
                            + sh[i].sh_name;
        const char *p, *end;

        if (strcmp(sname, ".modinfo") ||
            sh[i].sh_offset + sh[i].sh_size > (uint64_t)len)
            continue;
        p = (const char *)data + sh[i].sh_offset;
        end = p + sh[i].sh_size;
        for (; p < end; p += strlen(p) + 1) {
            if (!strncmp(p, "depends=", 8))
                snprintf(out, size, "%s", p + 8);
        }
    }
    rc = 0;

cleanup:
    free(data);
    if (f)
        fclose(f);
    return rc;
}

/* Indexes the modules under 'dir': {name: path relative to the modules
 * directory}, names with '-' written '_' as the kernel does. */
static int module_index(const char *dir, const char *rel, json_t *index,
                        sl_error *err)
{
    struct dirent **names = NULL;
    int n, i, rc = 0;

    n = scandir(dir, &names, NULL, alphasort);
    if (n < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot read '%s': %s", dir,
                            strerror(errno));
    for (i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        char sub[PATH_MAX], full[PATH_MAX], mod[256];
        size_t len = strlen(name), k;

        if (rc == 0 && name[0] != '.') {
            snprintf(sub, sizeof(sub), "%s/%s", rel, name);
            snprintf(full, sizeof(full), "%s/%s", dir, name);
            if (names[i]->d_type == DT_DIR) {
                rc = module_index(full, sub, index, err);
            } else if (len > 3 && !strcmp(name + len - 3, ".ko")) {
                snprintf(mod, sizeof(mod), "%.*s", (int)(len - 3), name);
                for (k = 0; mod[k]; k++)
                    mod[k] = mod[k] == '-' ? '_' : mod[k];
                json_object_set_new(index, mod, json_string(sub));
            }
        }
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Adds module 'name' and what it depends on, once each. */
static int add_module(img_build *b, json_t *index, const char *mods,
                      const char *name, sl_error *err)
{
    const char *rel = json_string_value(json_object_get(index, name));
    char full[PATH_MAX], dest[PATH_MAX], deps[1024];
    char *tok, *save = NULL;

    if (!rel)
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "kernel %s has no module '%s'", b->kver, name);
    if (json_object_get(b->modules, name))
        return 0;
    json_object_set_new(b->modules, name, json_true());
    snprintf(full, sizeof(full), "%s/%s", mods, rel);
    snprintf(dest, sizeof(dest), "usr/lib/modules/%s/%s", b->kver, rel);
    if (sl_cpio_add_file(b->cpio, dest, 0644, full, err) < 0 ||
        module_depends(full, deps, sizeof(deps), err) < 0)
        return -1;
    for (tok = strtok_r(deps, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (add_module(b, index, mods, tok, err) < 0)
            return -1;
    }
    return 0;
}

/* Adds every directory above 'path' to the archive. */
static int add_parents(img_build *b, const char *path, sl_error *err)
{
    char dir[PATH_MAX];
    char *p;

    snprintf(dir, sizeof(dir), "%s", path);
    for (p = strchr(dir, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        if (sl_cpio_add_dir(b->cpio, dir, 0755, err) < 0)
            return -1;
        *p = '/';
    }
    return 0;
}

static int add_kernel_modules(img_build *b, sl_error *err)
{
    char mods[PATH_MAX], src[PATH_MAX], dest[PATH_MAX];
    static const char *const extra[] = {"modules.builtin", "modules.order",
                                        "modules.builtin.modinfo"};
    json_t *index = json_object();
    void *iter;
    size_t i;
    int rc = -1;

    snprintf(mods, sizeof(mods), "%s/lib/modules/%s", b->kernel_root,
             b->kver);
    b->modules = json_object();
    pathf(src, sizeof(src), "%s/kernel", mods);
    if (!index || !b->modules || module_index(src, "kernel", index,
                                              err) < 0)
        goto cleanup;
    for (i = 0; i < sizeof(img_modules) / sizeof(img_modules[0]); i++) {
        if (add_module(b, index, mods, img_modules[i], err) < 0)
            goto cleanup;
    }
    for (i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
        pathf(src, sizeof(src), "%s/%s", mods, extra[i]);
        snprintf(dest, sizeof(dest), "usr/lib/modules/%s/%s", b->kver,
                 extra[i]);
        if (access(src, R_OK) == 0 &&
            sl_cpio_add_file(b->cpio, dest, 0644, src, err) < 0)
            goto cleanup;
    }
    for (iter = json_object_iter(b->modules); iter;
         iter = json_object_iter_next(b->modules, iter)) {
        snprintf(dest, sizeof(dest), "usr/lib/modules/%s/%s", b->kver,
                 json_string_value(json_object_get(
                     index, json_object_iter_key(iter))));
        if (add_parents(b, dest, err) < 0)
            goto cleanup;
    }
    rc = 0;

cleanup:
    json_decref(index);
    return rc;
}

/* The kernel version from the package's vmlinuz-VERSION. */
static int kernel_version(img_build *b, sl_error *err)
{
    char boot[PATH_MAX];
    struct dirent *de;
    DIR *d;

    snprintf(boot, sizeof(boot), "%s/boot", b->kernel_root);
    d = opendir(boot);
    while (d && (de = readdir(d))) {
        if (!strncmp(de->d_name, "vmlinuz-", 8))
            snprintf(b->kver, sizeof(b->kver), "%s", de->d_name + 8);
    }
    if (d)
        closedir(d);
    if (!b->kver[0])
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "package '%s' holds no kernel", b->pkgs[0].name);
    return 0;
}

/* What swarmlab adds: the init, busybox init's table, the merged-/usr
 * symlinks, the console, users, the module list and iptables' names. */
static int add_own_files(img_build *b, sl_error *err)
{
    static const char *const dirs[] = {"dev", "proc", "sys", "run", "etc",
                                       "etc/swarmlab", "etc/docker",
                                       "var", "var/lib", "root", "usr",
                                       "usr/bin", "usr/sbin", "usr/lib",
                                       "usr/lib64"};
    static const char *const links[][2] = {
        {"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"},
        {"lib64", "usr/lib64"},
        {"usr/sbin/iptables", "xtables-legacy-multi"},
        {"usr/sbin/iptables-save", "xtables-legacy-multi"},
        {"usr/sbin/iptables-restore", "xtables-legacy-multi"},
        {"usr/sbin/ip6tables", "xtables-legacy-multi"},
        {"usr/sbin/ip6tables-save", "xtables-legacy-multi"},
        {"usr/sbin/ip6tables-restore", "xtables-legacy-multi"},
    };
    char modules[2048] = "";
    size_t i, n = 0;

    for (i = 0; i < sizeof(img_modules) / sizeof(img_modules[0]); i++)
        n += (size_t)snprintf(modules + n, sizeof(modules) - n, "%s\n",
                              img_modules[i]);
    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (sl_cpio_add_dir(b->cpio, dirs[i], 0755, err) < 0)
            return -1;
    }
    for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        if (sl_cpio_add_symlink(b->cpio, links[i][0], links[i][1], err) < 0)
            return -1;
    }
    if (sl_cpio_add_dir(b->cpio, "tmp", 01777, err) < 0 ||
        sl_cpio_add_chardev(b->cpio, "dev/console", 0600, 5, 1, err) < 0 ||
        sl_cpio_add_data(b->cpio, "init", 0755, sl_image_init_script,
                         sl_image_init_script_len, err) < 0 ||
        sl_cpio_add_data(b->cpio, "etc/inittab", 0644, img_inittab,
                         strlen(img_inittab), err) < 0 ||
        sl_cpio_add_data(b->cpio, "etc/passwd", 0644, img_passwd,
                         strlen(img_passwd), err) < 0 ||
        sl_cpio_add_data(b->cpio, "etc/group", 0644, img_group,
                         strlen(img_group), err) < 0 ||
        sl_cpio_add_data(b->cpio, "etc/swarmlab/modules", 0644, modules, n,
                         err) < 0)
        return -1;
    return 0;
}

/* Writing ----------------------------------------------------------------- */

typedef struct gz_sink {
    z_stream z;
    FILE *f;
    const char *path;
} gz_sink;

static int gz_drain(gz_sink *g, int flush, sl_error *err)
{
    unsigned char out[1 << 16];
    int zrc;

    do {
        g->z.next_out = out;
        g->z.avail_out = sizeof(out);
        zrc = deflate(&g->z, flush);
        if (zrc == Z_STREAM_ERROR)
            return sl_error_set(err, SL_ERR_INTERNAL, "cannot compress '%s'",
                                g->path);
        if (fwrite(out, 1, sizeof(out) - g->z.avail_out, g->f) !=
            sizeof(out) - g->z.avail_out)
            return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s",
                                g->path, strerror(errno));
    } while (g->z.avail_out == 0);
    return 0;
}

static int gz_write(void *data, const void *buf, size_t n, sl_error *err)
{
    gz_sink *g = data;

    g->z.next_in = (unsigned char *)buf;
    g->z.avail_in = (uInt)n;
    return gz_drain(g, Z_NO_FLUSH, err);
}

/* Writes the archive gzip-compressed, as `gzip -n` would: no name, no
 * time in the header. */
static int write_initrd(img_build *b, const char *path, int64_t epoch,
                        sl_error *err)
{
    int level = b->spec->gzip_level > 0 ? b->spec->gzip_level : 6;
    gz_sink g = {.path = path};
    int rc = -1;

    progress(b, "writing", path);
    g.f = fopen(path, "wb");
    if (!g.f)
        return sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                            strerror(errno));
    if (deflateInit2(&g.z, level, Z_DEFLATED, 15 + 16, 9,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot compress '%s'", path);
        fclose(g.f);
        return -1;
    }
    if (sl_cpio_write(b->cpio, epoch, 0, gz_write, &g, err) == 0 &&
        gz_drain(&g, Z_FINISH, err) == 0)
        rc = 0;
    deflateEnd(&g.z);
    if (fclose(g.f) != 0 && rc == 0)
        rc = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", path,
                          strerror(errno));
    return rc;
}

static int copy_file(const char *from, const char *to, sl_error *err)
{
    char buf[1 << 16];
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    size_t n;
    int rc = 0;

    if (!in || !out)
        rc = sl_error_set(err, SL_ERR_IO, "cannot copy '%s' to '%s': %s",
                          from, to, strerror(errno));
    while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (fwrite(buf, 1, n, out) != n)
            rc = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", to,
                              strerror(errno));
    }
    if (in)
        fclose(in);
    if (out && fclose(out) != 0 && rc == 0)
        rc = sl_error_set(err, SL_ERR_IO, "cannot write '%s': %s", to,
                          strerror(errno));
    return rc;
}

static json_t *artifact_json(const char *path, const char *sha)
{
    struct stat sb;

    if (stat(path, &sb) < 0)
        return NULL;
    return json_pack("{s:s, s:I}", "sha256", sha, "size",
                     (json_int_t)sb.st_size);
}

/* Writes the manifest: packages, modules, artifacts and the image's id. */
static int write_manifest(img_build *b, sl_image_artifact *a, int64_t epoch,
                          sl_error *err)
{
    char ksha[65], isha[65], both[160];
    json_t *pkgs = json_array(), *mods = json_array(), *root = NULL;
    const char *key;
    json_t *value;
    size_t i;
    int rc = -1;

    if (sha256_file(a->kernel, ksha, err) < 0 ||
        sha256_file(a->initrd, isha, err) < 0)
        goto cleanup;
    snprintf(both, sizeof(both), "%s %s", ksha, isha);
    sha256_text(both, a->id);
    for (i = 0; i < b->npkgs; i++)
        json_array_append_new(pkgs, json_pack("{s:s, s:s, s:s}", "name",
                                              b->pkgs[i].name, "version",
                                              b->pkgs[i].version, "sha256",
                                              b->pkgs[i].sha256));
    json_object_foreach(b->modules, key, value)
        json_array_append_new(mods, json_string(key));
    root = json_pack("{s:s, s:s, s:s, s:I, s:O, s:O, s:{s:o, s:o}}", "name",
                     b->spec->name ? b->spec->name : "swarmlab-base", "id",
                     a->id, "kernel_version", b->kver, "source_date_epoch",
                     (json_int_t)epoch, "packages", pkgs, "modules", mods,
                     "artifacts", SL_IMAGE_KERNEL_FILE,
                     artifact_json(a->kernel, ksha), SL_IMAGE_INITRD_FILE,
                     artifact_json(a->initrd, isha));
    if (!root || json_dump_file(root, a->manifest, JSON_INDENT(2) |
                                JSON_SORT_KEYS) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot write '%s'", a->manifest);
        goto cleanup;
    }
    rc = 0;

cleanup:
    json_decref(root);
    json_decref(pkgs);
    json_decref(mods);
    return rc;
}

static int64_t build_epoch(const sl_image_build_spec *spec)
{
    const char *env = getenv("SOURCE_DATE_EPOCH");

    if (spec->epoch >= 0)
        return spec->epoch;
    return env && *env ? strtoll(env, NULL, 10) : 0;
}

static void artifact_paths(sl_image_artifact *a, const char *dir)
{
    snprintf(a->dir, sizeof(a->dir), "%s", dir);
    snprintf(a->kernel, sizeof(a->kernel), "%s/" SL_IMAGE_KERNEL_FILE, dir);
    snprintf(a->initrd, sizeof(a->initrd), "%s/" SL_IMAGE_INITRD_FILE, dir);
    snprintf(a->manifest, sizeof(a->manifest),
             "%s/" SL_IMAGE_MANIFEST_FILE, dir);
}

/* Extracts every package and fills the archive. */
static int assemble(img_build *b, sl_error *err)
{
    size_t i;

    if (extract(b, &b->pkgs[0], &b->kernel_root, err) < 0 ||
        kernel_version(b, err) < 0)
        return -1;
    for (i = 1; i < b->npkgs; i++) {
        char *root = NULL;
        int rc = extract(b, &b->pkgs[i], &root, err);

        if (rc == 0)
            rc = add_tree(b, root, "", err);
        free(root);
        if (rc < 0)
            return -1;
    }
    if (add_kernel_modules(b, err) < 0 || add_own_files(b, err) < 0)
        return -1;
    return 0;
}

int sl_image_build(const sl_image_build_spec *spec, sl_image_artifact *out,
                   sl_error *err)
{
    img_build b = {.spec = spec};
    sl_image_artifact a;
    int64_t epoch = build_epoch(spec);
    char kpath[PATH_MAX];
    size_t i;
    int rc = -1;

    memset(&a, 0, sizeof(a));
    if (!spec->output_dir)
        return sl_error_set(err, SL_ERR_INVALID, "no output directory");
    artifact_paths(&a, spec->output_dir);
    b.cache = spec->cache_dir ? strdup(spec->cache_dir)
                              : path_join(spec->output_dir, "debs");
    b.work = path_join(spec->output_dir, ".build-XXXXXX");
    b.cpio = sl_cpio_new();
    if (!b.cache || !b.work || !b.cpio) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    if (mkdir_p(spec->output_dir, 0755, err) < 0 ||
        (!spec->deb_dir && mkdir_p(b.cache, 0755, err) < 0))
        goto cleanup;
    if (!mkdtemp(b.work)) {
        sl_error_set(err, SL_ERR_IO, "cannot make '%s': %s", b.work,
                     strerror(errno));
        free(b.work);
        b.work = NULL;
        goto cleanup;
    }
    if (resolve(&b, err) < 0 || assemble(&b, err) < 0)
        goto cleanup;
    snprintf(kpath, sizeof(kpath), "%s/boot/vmlinuz-%s", b.kernel_root,
             b.kver);
    if (copy_file(kpath, a.kernel, err) < 0 ||
        write_initrd(&b, a.initrd, epoch, err) < 0 ||
        write_manifest(&b, &a, epoch, err) < 0)
        goto cleanup;
    snprintf(a.kernel_version, sizeof(a.kernel_version), "%s", b.kver);
    if (out)
        *out = a;
    rc = 0;

cleanup:
    if (b.work)
        remove_tree(b.work);
    for (i = 0; i < sizeof(b.pkgs) / sizeof(b.pkgs[0]); i++)
        free(b.pkgs[i].deb);
    free(b.kernel_root);
    free(b.work);
    free(b.cache);
    sl_cpio_free(b.cpio);
    json_decref(b.modules);
    return rc;
}

int sl_image_artifact_load(const char *dir, sl_image_artifact *out,
                           sl_error *err)
{
    json_error_t jerr;
    json_t *root;
    sl_image_artifact a;

    memset(&a, 0, sizeof(a));
    artifact_paths(&a, dir);
    root = json_load_file(a.manifest, 0, &jerr);
    if (!root)
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "no image in '%s': %s", dir, jerr.text);
    snprintf(a.kernel_version, sizeof(a.kernel_version), "%s",
             json_string_value(json_object_get(root, "kernel_version"))
                 ? json_string_value(json_object_get(root,
                                                     "kernel_version"))
                 : "");
    snprintf(a.id, sizeof(a.id), "%s",
             json_string_value(json_object_get(root, "id"))
                 ? json_string_value(json_object_get(root, "id")) : "");
    json_decref(root);
    if (access(a.kernel, R_OK) < 0 || access(a.initrd, R_OK) < 0)
        return sl_error_set(err, SL_ERR_NOT_FOUND,
                            "image in '%s' lacks '%s' or '%s'", dir,
                            SL_IMAGE_KERNEL_FILE, SL_IMAGE_INITRD_FILE);
    *out = a;
    return 0;
}

unsigned char *sl_image_config_disk(const sl_image_config_file *files,
                                    size_t n, size_t *size, sl_error *err)
{
    sl_cpio *c = sl_cpio_new();
    sl_cpio_buffer buf = {0};
    size_t i;
    int rc = c ? 0 : sl_error_set(err, SL_ERR_NOMEM, "out of memory");

    for (i = 0; rc == 0 && i < n; i++) {
        const char *slash = strrchr(files[i].path, '/');

        if (slash) {
            char dir[PATH_MAX];

            snprintf(dir, sizeof(dir), "%.*s",
                     (int)(slash - files[i].path), files[i].path);
            rc = sl_cpio_add_dir(c, dir, 0700, err);
        }
        if (rc == 0)
            rc = sl_cpio_add_data(c, files[i].path, files[i].mode,
                                  files[i].data, files[i].size, err);
    }
    if (rc == 0)
        rc = sl_cpio_write(c, 0, 4096, sl_cpio_buffer_sink, &buf, err);
    sl_cpio_free(c);
    if (rc < 0) {
        free(buf.data);
        return NULL;
    }
    *size = buf.len;
    return buf.data;
}
