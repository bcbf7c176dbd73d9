/* The libvirt backend: domains on any libvirt URI, from disks or a kernel. */
#include "hv_libvirt.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libvirt/virterror.h>

#include "image_build.h"

#define LV_GIB (UINT64_C(1) << 30)
#define LV_POLL_FIRST_NS (100 * SL_NS_PER_MS)
#define LV_POLL_MAX_NS (2 * SL_NS_PER_SEC)
#define LV_CONFIG_BYTES (1024 * 1024) /* a host's config disk */
#define LV_DATA_SERIAL "swarmlab-data" /* the serial of Docker's data disk */
#define LV_CMDLINE "console=ttyS0 quiet"
#define LV_TAIL_BYTES 4096
#define LV_UNDEFINE_FLAGS \
    (VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)

/* A Docker endpoint the hook gave for a running host. */
typedef struct lv_endpoint {
    char name[SL_HV_NAME_MAX];
    char endpoint[SL_HV_ENDPOINT_MAX];
} lv_endpoint;

typedef struct lv_backend {
    virConnectPtr conn;
    char *uri;
    char *pool;
    char *log_dir;       /* serial console logs; NULL: none */
    char dom_type[16];   /* <domain type='...'>; "" when not supported;
                            changes under the lock (TCG fall-back) */
    bool is_qemu;
    bool is_test;
    int docker_port;
    sl_hv_docker_hook hook;
    sl_hv_guest_hook guest;
    pthread_mutex_t lock; /* guards the endpoints and reservations */
    lv_endpoint *endpoints;
    size_t n_endpoints;
} lv_backend;

/* What the metadata of one of our domains says. */
typedef struct lv_meta {
    char os[16];
    char image[SL_HV_NAME_MAX];
    char pool[SL_HV_NAME_MAX];
    char volume[SL_HV_NAME_MAX];
    char network[SL_HV_NAME_MAX];
    int64_t disk_gib;
    bool kernel_boot;            /* booted from a built kernel, with a
                                    config disk as 'volume' */
    char data_volume[SL_HV_NAME_MAX]; /* its data disk, "" when none */
    char mac[24];                /* reserved in the network's DHCP */
    char address[SL_HV_ADDR_MAX];
} lv_meta;

/* A growing string; 'failed' is set when memory ran out. */
typedef struct lv_buf {
    char *s;
    size_t len, cap;
    bool failed;
} lv_buf;

static const sl_hv_ops lv_ops;
static pthread_once_t lv_once = PTHREAD_ONCE_INIT;

/* Helpers ------------------------------------------------------------------ */

static void lv_quiet(void *data, virErrorPtr error)
{
    (void)data;
    (void)error;
}

/* libvirt prints every error on stderr unless told otherwise. */
static void lv_init(void)
{
    virInitialize();
    virSetErrorFunc(NULL, lv_quiet);
}

static lv_backend *lv_get(sl_hypervisor *hv)
{
    return sl_hypervisor_backend(hv, &lv_ops);
}

static int lv_last_code(void)
{
    virErrorPtr e = virGetLastError();

    return e ? e->code : VIR_ERR_OK;
}

static sl_errcode lv_errcode(void)
{
    switch (lv_last_code()) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_NETWORK:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_DOMAIN_METADATA:
        return SL_ERR_NOT_FOUND;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
    case VIR_ERR_OPERATION_UNSUPPORTED:
    case VIR_ERR_CONFIG_UNSUPPORTED:
        return SL_ERR_UNSUPPORTED;
    case VIR_ERR_OPERATION_INVALID:
        return SL_ERR_CONFLICT;
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE:
        return SL_ERR_TIMEOUT;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_RPC:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_SYSTEM_ERROR:
        return SL_ERR_CONNECT;
    case VIR_ERR_NO_MEMORY:
        return SL_ERR_NOMEM;
    default:
        return SL_ERR_API;
    }
}

/* Fills 'err' with 'code' (or one derived from libvirt's last error when
 * SL_OK), the formatted context and libvirt's own message. Returns -1. */
static int lv_fail(lv_backend *lv, sl_error *err, sl_errcode code,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int lv_fail(lv_backend *lv, sl_error *err, sl_errcode code,
                   const char *fmt, ...)
{
    char context[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(context, sizeof(context), fmt, ap);
    va_end(ap);
    sl_error_set(err, code != SL_OK ? code : lv_errcode(), "%s: %s", context,
                 virGetLastErrorMessage());
    if (lv && lv->uri)
        sl_error_where(err, "%s", lv->uri);
    return -1;
}

static void lv_buf_addf(lv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void lv_buf_addf(lv_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0,
                  fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);

        if (!s) {
            b->failed = true;
            return;
        }
        b->s = s;
        b->cap = cap;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* Appends 'text' escaped for XML character data and attribute values. */
static void lv_buf_add_text(lv_buf *b, const char *text)
{
    for (; *text; text++) {
        switch (*text) {
        case '&': lv_buf_addf(b, "&amp;"); break;
        case '<': lv_buf_addf(b, "&lt;"); break;
        case '>': lv_buf_addf(b, "&gt;"); break;
        case '\'': lv_buf_addf(b, "&apos;"); break;
        case '"': lv_buf_addf(b, "&quot;"); break;
        default: lv_buf_addf(b, "%c", *text); break;
        }
    }
}

/* Copies the text of the first <tag>...</tag> in 'xml', unescaped, into
 * 'out'; "" when there is none. Enough for the XML libvirt writes back. */
static void lv_xml_text(const char *xml, const char *tag, char *out,
                        size_t size)
{
    char open[64], close[64];
    const char *start, *end;
    size_t n = 0;

    out[0] = '\0';
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    start = xml ? strstr(xml, open) : NULL;
    if (!start)
        return;
    start += strlen(open);
    end = strstr(start, close);
    if (!end)
        return;
    while (start < end && n + 1 < size) {
        static const struct { const char *ent; char c; } ents[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
            {"&apos;", '\''}, {"&quot;", '"'},
        };
        size_t i;
        char c = *start;
        size_t step = 1;

        for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
            size_t len = strlen(ents[i].ent);

            if (!strncmp(start, ents[i].ent, len)) {
                c = ents[i].c;
                step = len;
                break;
            }
        }
        out[n++] = c;
        start += step;
    }
    out[n] = '\0';
}

/* Copies the value of the first attribute 'attr' after 'after' in 'xml'
 * ("<mac address='52:54:00:..'"), into 'out'; "" when there is none. */
static void lv_xml_attr(const char *xml, const char *after, const char *attr,
                        char *out, size_t size)
{
    char key[64];
    const char *p = xml ? strstr(xml, after) : NULL;
    const char *end;
    char quote;

    out[0] = '\0';
    snprintf(key, sizeof(key), "%s=", attr);
    p = p ? strstr(p, key) : NULL;
    if (!p)
        return;
    p += strlen(key);
    quote = *p++;
    end = strchr(p, quote);
    if (!end || (size_t)(end - p) >= size)
        return;
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
}

static int64_t lv_now(sl_hypervisor *hv)
{
    return sl_clock_now_ns(sl_hypervisor_clock(hv));
}

/* Sleeps the next back-off step, never past 'deadline'. */
static void lv_backoff(sl_hypervisor *hv, int64_t *step, int64_t deadline)
{
    int64_t left = deadline - lv_now(hv);

    sl_clock_sleep_ns(sl_hypervisor_clock(hv), *step < left ? *step : left);
    *step = *step * 2 < LV_POLL_MAX_NS ? *step * 2 : LV_POLL_MAX_NS;
}

/* Lookups ------------------------------------------------------------------ */

static virDomainPtr lv_domain(lv_backend *lv, const char *name, sl_error *err)
{
    virDomainPtr dom = virDomainLookupByName(lv->conn, name);

    if (!dom && lv_last_code() == VIR_ERR_NO_DOMAIN)
        sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found on '%s'",
                     name, lv->uri);
    else if (!dom)
        lv_fail(lv, err, SL_OK, "cannot look up host '%s'", name);
    return dom;
}

static virStoragePoolPtr lv_pool(lv_backend *lv, const char *name,
                                 sl_error *err)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(lv->conn, name);
    int active;

    if (!pool) {
        if (lv_last_code() == VIR_ERR_NO_STORAGE_POOL)
            sl_error_set(err, SL_ERR_NOT_FOUND,
                         "storage pool '%s' not found on '%s'", name,
                         lv->uri);
        else
            lv_fail(lv, err, SL_OK, "cannot look up storage pool '%s'", name);
        return NULL;
    }
    active = virStoragePoolIsActive(pool);
    if (active == 1)
        return pool;
    if (active == 0)
        sl_error_set(err, SL_ERR_CONFLICT,
                     "storage pool '%s' on '%s' is not active", name,
                     lv->uri);
    else
        lv_fail(lv, err, SL_OK, "cannot look up storage pool '%s'", name);
    virStoragePoolFree(pool);
    return NULL;
}

static virNetworkPtr lv_network(lv_backend *lv, const char *name,
                                sl_error *err)
{
    virNetworkPtr net = virNetworkLookupByName(lv->conn, name);

    if (!net && lv_last_code() == VIR_ERR_NO_NETWORK)
        sl_error_set(err, SL_ERR_NOT_FOUND, "network '%s' not found on '%s'",
                     name, lv->uri);
    else if (!net)
        lv_fail(lv, err, SL_OK, "cannot look up network '%s'", name);
    return net;
}

/* Fills 'meta' from the domain's swarmlab metadata. Returns 1 when the
 * domain is ours, 0 when it is not, -1 on error. */
static int lv_meta_read(lv_backend *lv, virDomainPtr dom, lv_meta *meta,
                        sl_error *err)
{
    char *xml = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT,
                                     SL_HV_LIBVIRT_NS, 0);
    char disk[32], boot[16];

    memset(meta, 0, sizeof(*meta));
    if (!xml) {
        if (lv_last_code() == VIR_ERR_NO_DOMAIN_METADATA)
            return 0;
        return lv_fail(lv, err, SL_OK, "cannot read the metadata of '%s'",
                       virDomainGetName(dom));
    }
    lv_xml_text(xml, "os", meta->os, sizeof(meta->os));
    lv_xml_text(xml, "image", meta->image, sizeof(meta->image));
    lv_xml_text(xml, "pool", meta->pool, sizeof(meta->pool));
    lv_xml_text(xml, "volume", meta->volume, sizeof(meta->volume));
    lv_xml_text(xml, "data-volume", meta->data_volume,
                sizeof(meta->data_volume));
    lv_xml_text(xml, "network", meta->network, sizeof(meta->network));
    lv_xml_text(xml, "disk-gib", disk, sizeof(disk));
    meta->disk_gib = strtoll(disk, NULL, 10);
    lv_xml_text(xml, "boot", boot, sizeof(boot));
    meta->kernel_boot = !strcmp(boot, "kernel");
    lv_xml_text(xml, "mac", meta->mac, sizeof(meta->mac));
    lv_xml_text(xml, "address", meta->address, sizeof(meta->address));
    free(xml);
    return 1;
}

static sl_hv_state lv_state(virDomainPtr dom)
{
    int state, reason;

    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return SL_HV_STATE_UNKNOWN;
    switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
    case VIR_DOMAIN_SHUTDOWN:
        return SL_HV_STATE_RUNNING;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
        return SL_HV_STATE_STOPPED;
    case VIR_DOMAIN_SHUTOFF:
        if (reason == VIR_DOMAIN_SHUTOFF_CRASHED ||
            reason == VIR_DOMAIN_SHUTOFF_FAILED)
            return SL_HV_STATE_FAILED;
        return SL_HV_STATE_STOPPED;
    case VIR_DOMAIN_CRASHED:
        return SL_HV_STATE_FAILED;
    default:
        return SL_HV_STATE_UNKNOWN;
    }
}

/* Endpoints the hook gave ------------------------------------------------ */

static lv_endpoint *lv_endpoint_find(lv_backend *lv, const char *name)
{
    size_t i;

    for (i = 0; i < lv->n_endpoints; i++) {
        if (!strcmp(lv->endpoints[i].name, name))
            return &lv->endpoints[i];
    }
    return NULL;
}

/* Forgets the host's endpoint and tells the hook. */
static void lv_endpoint_drop(lv_backend *lv, const char *name)
{
    lv_endpoint *ep;
    bool dropped = false;

    pthread_mutex_lock(&lv->lock);
    ep = lv_endpoint_find(lv, name);
    if (ep) {
        *ep = lv->endpoints[--lv->n_endpoints];
        dropped = true;
    }
    pthread_mutex_unlock(&lv->lock);
    if (dropped && lv->hook.detach)
        lv->hook.detach(lv->hook.data, name);
}

/* Opening and closing ------------------------------------------------------ */

static void lv_close(void *backend)
{
    lv_backend *lv = backend;
    size_t i;

    if (!lv)
        return;
    for (i = 0; lv->hook.detach && i < lv->n_endpoints; i++)
        lv->hook.detach(lv->hook.data, lv->endpoints[i].name);
    free(lv->endpoints);
    if (lv->conn)
        virConnectClose(lv->conn);
    pthread_mutex_destroy(&lv->lock);
    free(lv->uri);
    free(lv->pool);
    free(lv->log_dir);
    free(lv);
}

/* Picks the domain type and the console log directory for the driver. */
static int lv_probe_driver(lv_backend *lv, const sl_hv_options *opts,
                           sl_error *err)
{
    const char *type = virConnectGetType(lv->conn);
    const char *dir = opts->console_log_dir;
    char *caps = NULL;

    if (!type)
        return lv_fail(lv, err, SL_OK, "cannot ask '%s' for its driver",
                       lv->uri);
    if (!strcmp(type, "QEMU")) {
        caps = virConnectGetCapabilities(lv->conn);
        if (!caps)
            return lv_fail(lv, err, SL_OK,
                           "cannot read the capabilities of '%s'", lv->uri);
        snprintf(lv->dom_type, sizeof(lv->dom_type), "%s",
                 strstr(caps, "<domain type='kvm'") ? "kvm" : "qemu");
        free(caps);
        lv->is_qemu = true;
        if (!dir && !strstr(lv->uri, "/session"))
            dir = "/var/log/libvirt/qemu";
    } else if (!strcmp(type, "TEST")) {
        snprintf(lv->dom_type, sizeof(lv->dom_type), "test");
        lv->is_test = true;
    } else if (!strcmp(type, "Hyper-V")) {
        /* TODO: Hyper-V domains need VHDX disks by path; libvirt's hyperv
         * driver has no storage pools for the copy-on-write volumes. */
        snprintf(lv->dom_type, sizeof(lv->dom_type), "hyperv");
        dir = NULL;
    }
    if (opts->domain_type)
        snprintf(lv->dom_type, sizeof(lv->dom_type), "%s", opts->domain_type);
    if (dir) {
        lv->log_dir = strdup(dir);
        if (!lv->log_dir)
            return sl_error_set(err, SL_ERR_NOMEM, "cannot open '%s'",
                                lv->uri);
    }
    return 0;
}

sl_hypervisor *sl_hv_libvirt_open(const sl_hv_options *opts, sl_error *err)
{
    lv_backend *lv = NULL;
    sl_clock *clock = opts->clock;
    const char *uri = opts->uri;

    pthread_once(&lv_once, lv_init);
    lv = calloc(1, sizeof(*lv));
    if (!lv) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot open hypervisor 'libvirt'");
        return NULL;
    }
    pthread_mutex_init(&lv->lock, NULL);
    lv->docker_port = opts->docker_port ? opts->docker_port : 2376;
    lv->hook = opts->docker_hook;
    lv->guest = opts->guest_hook;

    lv->conn = virConnectOpen(uri);
    if (!lv->conn) {
        if (!uri)
            uri = getenv("LIBVIRT_DEFAULT_URI");
        lv_fail(NULL, err, SL_ERR_CONNECT, "cannot connect to '%s'",
                uri ? uri : "the default hypervisor");
        goto fail;
    }
    virConnSetErrorFunc(lv->conn, NULL, lv_quiet);
    lv->uri = virConnectGetURI(lv->conn);
    lv->pool = strdup(opts->pool ? opts->pool : SL_HV_LIBVIRT_POOL);
    if (!lv->uri || !lv->pool) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot open hypervisor 'libvirt'");
        goto fail;
    }
    if (lv_probe_driver(lv, opts, err) < 0)
        goto fail;

    if (!clock) {
        clock = sl_clock_new_real();
        if (!clock) {
            sl_error_set(err, SL_ERR_NOMEM, "cannot open '%s'", lv->uri);
            goto fail;
        }
    }
    return sl_hypervisor_new(&lv_ops, lv, clock, !opts->clock, opts, err);

fail:
    lv_close(lv);
    return NULL;
}

virConnectPtr sl_hv_libvirt_conn(sl_hypervisor *hv)
{
    lv_backend *lv = lv_get(hv);

    return lv ? lv->conn : NULL;
}

/* Images ------------------------------------------------------------------- */

static int lv_upload_chunk(virStreamPtr st, char *data, size_t nbytes,
                           void *opaque)
{
    int fd = *(int *)opaque;
    ssize_t n;

    (void)st;
    do {
        n = read(fd, data, nbytes);
    } while (n < 0 && errno == EINTR);
    return (int)n;
}

/* Copies the local file 'spec->source' into a new volume 'spec->name'. */
static int lv_upload(lv_backend *lv, virStoragePoolPtr pool,
                     const sl_hv_image_spec *spec, const char *format,
                     sl_error *err)
{
    virStorageVolPtr vol = NULL;
    virStreamPtr st = NULL;
    lv_buf xml = {0};
    struct stat sb;
    int fd = -1, rc = -1;

    fd = open(spec->source, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot read image '%s': %s",
                     spec->source, strerror(errno));
        goto cleanup;
    }
    lv_buf_addf(&xml, "<volume><name>");
    lv_buf_add_text(&xml, spec->name);
    lv_buf_addf(&xml, "</name><capacity unit='bytes'>%lld</capacity>"
                "<target><format type='%s'/></target></volume>",
                (long long)sb.st_size, format);
    if (xml.failed) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot import '%s'", spec->source);
        goto cleanup;
    }
    vol = virStorageVolCreateXML(pool, xml.s, 0);
    if (!vol) {
        lv_fail(lv, err, SL_OK, "cannot make volume '%s' in pool '%s'",
                spec->name, lv->pool);
        goto cleanup;
    }
    st = virStreamNew(lv->conn, 0);
    if (!st || virStorageVolUpload(vol, st, 0, (unsigned long long)sb.st_size,
                                   0) < 0 ||
        virStreamSendAll(st, lv_upload_chunk, &fd) < 0 ||
        virStreamFinish(st) < 0) {
        lv_fail(lv, err, SL_OK, "cannot upload '%s' to pool '%s'",
                spec->source, lv->pool);
        if (st)
            virStreamAbort(st);
        virStorageVolDelete(vol, 0);
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (st)
        virStreamFree(st);
    if (vol)
        virStorageVolFree(vol);
    if (fd >= 0)
        close(fd);
    free(xml.s);
    return rc;
}

/* Makes an empty volume 'spec->name' of 'spec->size_gib'. */
static int lv_make_empty(lv_backend *lv, virStoragePoolPtr pool,
                         const sl_hv_image_spec *spec, const char *format,
                         sl_error *err)
{
    virStorageVolPtr vol = NULL;
    lv_buf xml = {0};
    int rc = -1;

    lv_buf_addf(&xml, "<volume><name>");
    lv_buf_add_text(&xml, spec->name);
    lv_buf_addf(&xml, "</name><capacity unit='GiB'>%lld</capacity>"
                "<allocation>0</allocation>"
                "<target><format type='%s'/></target></volume>",
                (long long)spec->size_gib, format);
    if (xml.failed) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot make image '%s'", spec->name);
        goto cleanup;
    }
    vol = virStorageVolCreateXML(pool, xml.s, 0);
    if (!vol) {
        lv_fail(lv, err, SL_OK, "cannot make volume '%s' in pool '%s'",
                spec->name, lv->pool);
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (vol)
        virStorageVolFree(vol);
    free(xml.s);
    return rc;
}

/* The volume names of a built image's kernel and initramfs. */
static void lv_kernel_volumes(const char *image, char *kernel, char *initrd,
                              size_t size)
{
    snprintf(kernel, size, "%s.vmlinuz", image);
    snprintf(initrd, size, "%s.initrd", image);
}

/* The paths of image 'image''s kernel and initramfs on the hypervisor's
 * machine (the caller frees them). Returns 1 when both volumes exist, 0
 * when not, -1 on error. */
static int lv_kernel_paths(lv_backend *lv, virStoragePoolPtr pool,
                           const char *image, char **kernel, char **initrd,
                           sl_error *err)
{
    char names[2][SL_HV_NAME_MAX + 16];
    char **paths[2] = {kernel, initrd};
    int i;

    lv_kernel_volumes(image, names[0], names[1], sizeof(names[0]));
    for (i = 0; i < 2; i++) {
        virStorageVolPtr vol = virStorageVolLookupByName(pool, names[i]);

        *paths[i] = NULL;
        if (!vol && lv_last_code() == VIR_ERR_NO_STORAGE_VOL)
            return 0;
        if (vol)
            *paths[i] = virStorageVolGetPath(vol);
        if (vol)
            virStorageVolFree(vol);
        if (!*paths[i])
            return lv_fail(lv, err, SL_OK, "cannot look up '%s'", names[i]);
    }
    return 1;
}

static bool lv_is_dir(const char *path)
{
    struct stat sb;

    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Uploads a built image's kernel and initramfs from directory
 * spec->source as raw volumes NAME.vmlinuz and NAME.initrd, replacing
 * older ones. */
static int lv_import_kernel(lv_backend *lv, virStoragePoolPtr pool,
                            const sl_hv_image_spec *spec, sl_error *err)
{
    static const char *const files[] = {SL_IMAGE_KERNEL_FILE,
                                        SL_IMAGE_INITRD_FILE};
    char names[2][SL_HV_NAME_MAX + 16], path[4096];
    int i;

    lv_kernel_volumes(spec->name, names[0], names[1], sizeof(names[0]));
    for (i = 0; i < 2; i++) {
        sl_hv_image_spec part = {.name = names[i], .source = path};
        virStorageVolPtr old = virStorageVolLookupByName(pool, names[i]);

        if (snprintf(path, sizeof(path), "%s/%s", spec->source, files[i]) >=
            (int)sizeof(path))
            return sl_error_set(err, SL_ERR_INVALID, "path too long: '%s'",
                                spec->source);
        if (old && virStorageVolDelete(old, 0) < 0) {
            virStorageVolFree(old);
            return lv_fail(lv, err, SL_OK, "cannot replace '%s'", names[i]);
        }
        if (old)
            virStorageVolFree(old);
        if (lv_upload(lv, pool, &part, "raw", err) < 0)
            return -1;
    }
    return 0;
}

/* Brings an image into the pool: a disk (imported, or made empty), or a
 * built kernel and initramfs (a directory as source). */
static char *lv_image_prepare(sl_hypervisor *hv, const sl_hv_image_spec *spec,
                              sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    const char *format = spec->format ? spec->format : "qcow2";
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr vol = NULL;
    char *name = NULL;

    pool = lv_pool(lv, lv->pool, err);
    if (!pool)
        goto cleanup;
    if (spec->source && lv_is_dir(spec->source)) {
        if (lv_import_kernel(lv, pool, spec, err) < 0)
            goto cleanup;
        goto done;
    }
    vol = virStorageVolLookupByName(pool, spec->name);
    if (!vol && lv_last_code() != VIR_ERR_NO_STORAGE_VOL) {
        lv_fail(lv, err, SL_OK, "cannot look up image '%s'", spec->name);
        goto cleanup;
    }
    if (!vol && spec->source) {
        if (lv_upload(lv, pool, spec, format, err) < 0)
            goto cleanup;
    } else if (!vol && spec->size_gib > 0) {
        if (lv_make_empty(lv, pool, spec, format, err) < 0)
            goto cleanup;
    } else if (!vol) {
        char *kernel = NULL, *initrd = NULL;
        int found = lv_kernel_paths(lv, pool, spec->name, &kernel, &initrd,
                                    err);

        free(kernel);
        free(initrd);
        if (found == 0)
            sl_error_set(err, SL_ERR_NOT_FOUND,
                         "image '%s' not found in pool '%s': build it with "
                         "'swarmlab image build'", spec->name, lv->pool);
        if (found <= 0)
            goto cleanup;
    }

done:
    name = strdup(spec->name);
    if (!name)
        sl_error_set(err, SL_ERR_NOMEM, "cannot prepare '%s'", spec->name);

cleanup:
    if (vol)
        virStorageVolFree(vol);
    if (pool)
        virStoragePoolFree(pool);
    return name;
}

/* Creating ----------------------------------------------------------------- */

/* Everything create looks up before it makes anything. */
typedef struct lv_create_ctx {
    const sl_hv_host_spec *spec;
    char dom_type[16];
    const char *os;
    virStoragePoolPtr pool;
    virStorageVolPtr base;
    char volume[SL_HV_NAME_MAX];
    char data_volume[SL_HV_NAME_MAX]; /* kernel boot: Docker's data disk */
    char *base_path;
    char base_format[16];
    uint64_t capacity;
    bool kernel_boot;      /* the image is a kernel and an initramfs */
    char *kernel_path;
    char *initrd_path;
    char mac[24];          /* reserved with 'address' in the network */
    char address[SL_HV_ADDR_MAX];
} lv_create_ctx;

/* Sums the memory of the domains swarmlab made, in MiB. */
static int lv_memory_used(lv_backend *lv, int64_t *mib, sl_error *err)
{
    virDomainPtr *doms = NULL;
    int n, i, rc = 0;
    lv_meta meta;

    *mib = 0;
    n = virConnectListAllDomains(lv->conn, &doms, 0);
    if (n < 0)
        return lv_fail(lv, err, SL_OK, "cannot list domains");
    for (i = 0; i < n; i++) {
        virDomainInfo info;
        int ours = rc < 0 ? 0 : lv_meta_read(lv, doms[i], &meta, err);

        if (ours < 0)
            rc = -1;
        else if (ours && virDomainGetInfo(doms[i], &info) == 0)
            *mib += (int64_t)(info.maxMem / 1024);
        virDomainFree(doms[i]);
    }
    free(doms);
    return rc;
}

/* Refuses a host the machine or the pool cannot hold. CPUs are shared
 * (a host cannot have more than the machine), memory is not, and a disk
 * may grow to its full size. */
static int lv_check_capacity(lv_backend *lv, lv_create_ctx *c, sl_error *err)
{
    const sl_hv_host_spec *spec = c->spec;
    virStoragePoolInfo pinfo;
    virNodeInfo node;
    int64_t used, total, free_gib;

    if (virNodeGetInfo(lv->conn, &node) < 0)
        return lv_fail(lv, err, SL_OK, "cannot ask '%s' for its size",
                       lv->uri);
    if ((unsigned)spec->cpus > node.cpus)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': needs %d CPUs, the machine "
                            "has %u", spec->name, spec->cpus, node.cpus);
    if (lv_memory_used(lv, &used, err) < 0)
        return -1;
    total = (int64_t)(node.memory / 1024);
    if (spec->memory_mib > total - used)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': needs %lld MiB memory, "
                            "%lld free of %lld", spec->name,
                            (long long)spec->memory_mib,
                            (long long)(total > used ? total - used : 0),
                            (long long)total);
    if (virStoragePoolGetInfo(c->pool, &pinfo) < 0)
        return lv_fail(lv, err, SL_OK, "cannot ask pool '%s' for its size",
                       lv->pool);
    free_gib = (int64_t)(pinfo.available / LV_GIB);
    if (spec->disk_gib > free_gib)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': needs %lld GiB disk, %lld "
                            "free in pool '%s'", spec->name,
                            (long long)spec->disk_gib, (long long)free_gib,
                            lv->pool);
    return 0;
}

/* Looks up what the host needs and refuses it when anything is missing,
 * taken or too big; makes nothing. */
static int lv_create_check(lv_backend *lv, lv_create_ctx *c, sl_error *err)
{
    const sl_hv_host_spec *spec = c->spec;
    virNetworkPtr net = NULL;
    virDomainPtr dom = NULL;
    virStorageVolPtr vol = NULL;
    virStorageVolInfo vinfo;
    char *xml = NULL;
    int rc = -1;

    pthread_mutex_lock(&lv->lock);
    snprintf(c->dom_type, sizeof(c->dom_type), "%s", lv->dom_type);
    pthread_mutex_unlock(&lv->lock);
    if (!c->dom_type[0])
        return sl_error_set(err, SL_ERR_UNSUPPORTED,
                            "cannot create '%s': no domain type known for "
                            "'%s'", spec->name, lv->uri);
    net = lv_network(lv, spec->network, err);
    if (!net)
        goto cleanup;
    c->pool = lv_pool(lv, lv->pool, err);
    if (!c->pool)
        goto cleanup;
    c->base = virStorageVolLookupByName(c->pool, spec->image);
    if (!c->base && lv_last_code() == VIR_ERR_NO_STORAGE_VOL) {
        int found = lv_kernel_paths(lv, c->pool, spec->image,
                                    &c->kernel_path, &c->initrd_path, err);

        if (found == 0)
            sl_error_set(err, SL_ERR_NOT_FOUND,
                         "image '%s' not found in pool '%s'", spec->image,
                         lv->pool);
        if (found <= 0)
            goto cleanup;
        c->kernel_boot = true;
    } else if (!c->base) {
        lv_fail(lv, err, SL_OK, "cannot look up image '%s'", spec->image);
        goto cleanup;
    }

    dom = virDomainLookupByName(lv->conn, spec->name);
    if (dom) {
        sl_error_set(err, SL_ERR_CONFLICT, "host '%s' exists already on '%s'",
                     spec->name, lv->uri);
        goto cleanup;
    }
    snprintf(c->volume, sizeof(c->volume), "%s.%s", spec->name,
             c->kernel_boot ? "config" : "qcow2");
    vol = virStorageVolLookupByName(c->pool, c->volume);
    if (vol) {
        sl_error_set(err, SL_ERR_CONFLICT,
                     "disk '%s' exists already in pool '%s'", c->volume,
                     lv->pool);
        goto cleanup;
    }
    if (c->kernel_boot) {
        snprintf(c->data_volume, sizeof(c->data_volume), "%s.data",
                 spec->name);
        vol = virStorageVolLookupByName(c->pool, c->data_volume);
        if (vol) {
            sl_error_set(err, SL_ERR_CONFLICT,
                         "disk '%s' exists already in pool '%s'",
                         c->data_volume, lv->pool);
            goto cleanup;
        }
        c->capacity = (uint64_t)spec->disk_gib * LV_GIB;
        rc = lv_check_capacity(lv, c, err);
        goto cleanup;
    }

    c->base_path = virStorageVolGetPath(c->base);
    xml = virStorageVolGetXMLDesc(c->base, 0);
    if (!c->base_path || !xml || virStorageVolGetInfo(c->base, &vinfo) < 0) {
        lv_fail(lv, err, SL_OK, "cannot read image '%s'", spec->image);
        goto cleanup;
    }
    lv_xml_attr(xml, "<target>", "format type", c->base_format,
                sizeof(c->base_format));
    if (!c->base_format[0])
        snprintf(c->base_format, sizeof(c->base_format), "raw");
    c->capacity = (uint64_t)spec->disk_gib * LV_GIB;
    if (c->capacity < vinfo.capacity)
        c->capacity = vinfo.capacity;
    rc = lv_check_capacity(lv, c, err);

cleanup:
    free(xml);
    if (vol)
        virStorageVolFree(vol);
    if (dom)
        virDomainFree(dom);
    if (net)
        virNetworkFree(net);
    return rc;
}

/* The copy-on-write disk: a qcow2 volume whose backing store is the image. */
static char *lv_volume_xml(const lv_create_ctx *c)
{
    lv_buf b = {0};

    lv_buf_addf(&b, "<volume>\n  <name>");
    lv_buf_add_text(&b, c->volume);
    lv_buf_addf(&b, "</name>\n"
                "  <capacity unit='bytes'>%llu</capacity>\n"
                "  <allocation unit='bytes'>0</allocation>\n"
                "  <target><format type='qcow2'/></target>\n"
                "  <backingStore>\n    <path>",
                (unsigned long long)c->capacity);
    lv_buf_add_text(&b, c->base_path);
    lv_buf_addf(&b, "</path>\n    <format type='%s'/>\n  </backingStore>\n"
                "</volume>\n", c->base_format);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

static void lv_domain_metadata(lv_buf *b, lv_backend *lv,
                               const lv_create_ctx *c)
{
    static const char *const p = SL_HV_LIBVIRT_NS_PREFIX;

    lv_buf_addf(b, "  <metadata>\n    <%s:host xmlns:%s='%s'>\n", p, p,
                SL_HV_LIBVIRT_NS);
    lv_buf_addf(b, "      <%s:os>%s</%s:os>\n", p, c->os, p);
    lv_buf_addf(b, "      <%s:image>", p);
    lv_buf_add_text(b, c->spec->image);
    lv_buf_addf(b, "</%s:image>\n      <%s:pool>", p, p);
    lv_buf_add_text(b, lv->pool);
    lv_buf_addf(b, "</%s:pool>\n      <%s:volume>", p, p);
    lv_buf_add_text(b, c->volume);
    lv_buf_addf(b, "</%s:volume>\n", p);
    if (c->data_volume[0]) {
        lv_buf_addf(b, "      <%s:data-volume>", p);
        lv_buf_add_text(b, c->data_volume);
        lv_buf_addf(b, "</%s:data-volume>\n", p);
    }
    lv_buf_addf(b, "      <%s:network>", p);
    lv_buf_add_text(b, c->spec->network);
    lv_buf_addf(b, "</%s:network>\n", p);
    lv_buf_addf(b, "      <%s:disk-gib>%lld</%s:disk-gib>\n", p,
                (long long)c->spec->disk_gib, p);
    lv_buf_addf(b, "      <%s:boot>%s</%s:boot>\n", p,
                c->kernel_boot ? "kernel" : "disk", p);
    if (c->mac[0])
        lv_buf_addf(b, "      <%s:mac>%s</%s:mac>\n"
                    "      <%s:address>%s</%s:address>\n", p, c->mac, p, p,
                    c->address, p);
    lv_buf_addf(b, "    </%s:host>\n  </metadata>\n", p);
}

static void lv_domain_devices(lv_buf *b, lv_backend *lv,
                              const lv_create_ctx *c)
{
    bool windows = !strcmp(c->os, "windows");

    lv_buf_addf(b, "  <devices>\n"
                "    <disk type='volume' device='disk'>\n"
                "      <driver name='qemu' type='%s'/>\n"
                "      <source pool='", c->kernel_boot ? "raw" : "qcow2");
    lv_buf_add_text(b, lv->pool);
    lv_buf_addf(b, "' volume='");
    lv_buf_add_text(b, c->volume);
    lv_buf_addf(b, "'/>\n      <target dev='%s' bus='%s'/>\n%s    </disk>\n",
                windows ? "sda" : "vda", windows ? "sata" : "virtio",
                c->kernel_boot ? "      <readonly/>\n" : "");
    if (c->data_volume[0]) {
        /* The guest finds its data disk by this serial number. */
        lv_buf_addf(b, "    <disk type='volume' device='disk'>\n"
                    "      <driver name='qemu' type='qcow2'/>\n"
                    "      <source pool='");
        lv_buf_add_text(b, lv->pool);
        lv_buf_addf(b, "' volume='");
        lv_buf_add_text(b, c->data_volume);
        lv_buf_addf(b, "'/>\n      <target dev='vdb' bus='virtio'/>\n"
                    "      <serial>%s</serial>\n    </disk>\n",
                    LV_DATA_SERIAL);
    }
    lv_buf_addf(b, "    <interface type='network'>\n");
    if (c->mac[0])
        lv_buf_addf(b, "      <mac address='%s'/>\n", c->mac);
    lv_buf_addf(b, "      <source network='");
    lv_buf_add_text(b, c->spec->network);
    lv_buf_addf(b, "'/>\n      <model type='%s'/>\n    </interface>\n",
                windows ? "e1000e" : "virtio");
    if (lv->log_dir) {
        lv_buf_addf(b, "    <serial type='pty'>\n      <log file='");
        lv_buf_add_text(b, lv->log_dir);
        lv_buf_addf(b, "/%s-console.log' append='on'/>\n"
                    "      <target port='0'/>\n    </serial>\n"
                    "    <console type='pty'>\n"
                    "      <target type='serial' port='0'/>\n"
                    "    </console>\n", c->spec->name);
    }
    if (lv->is_qemu)
        lv_buf_addf(b, "    <channel type='unix'>\n"
                    "      <target type='virtio' "
                    "name='org.qemu.guest_agent.0'/>\n    </channel>\n"
                    "    <rng model='virtio'>\n"
                    "      <backend model='random'>/dev/urandom</backend>\n"
                    "    </rng>\n");
    lv_buf_addf(b, "  </devices>\n");
}

/* The domain: CPUs, memory, the disk, one interface on the network, the
 * serial console to a log file, and our metadata. */
static char *lv_domain_xml(lv_backend *lv, const lv_create_ctx *c)
{
    bool windows = !strcmp(c->os, "windows");
    lv_buf b = {0};

    lv_buf_addf(&b, "<domain type='%s'>\n  <name>%s</name>\n", c->dom_type,
                c->spec->name);
    lv_buf_addf(&b, "  <title>swarmlab host %s</title>\n", c->spec->name);
    lv_domain_metadata(&b, lv, c);
    lv_buf_addf(&b, "  <memory unit='MiB'>%lld</memory>\n"
                "  <vcpu>%d</vcpu>\n  <os>\n    <type>hvm</type>\n",
                (long long)c->spec->memory_mib, c->spec->cpus);
    if (c->kernel_boot) {
        lv_buf_addf(&b, "    <kernel>");
        lv_buf_add_text(&b, c->kernel_path);
        lv_buf_addf(&b, "</kernel>\n    <initrd>");
        lv_buf_add_text(&b, c->initrd_path);
        lv_buf_addf(&b, "</initrd>\n    <cmdline>%s</cmdline>\n",
                    LV_CMDLINE);
    } else {
        lv_buf_addf(&b, "    <boot dev='hd'/>\n");
    }
    lv_buf_addf(&b, "  </os>\n");
    if (lv->is_qemu)
        lv_buf_addf(&b, "  <features><acpi/><apic/></features>\n");
    lv_buf_addf(&b, "  <clock offset='%s'/>\n"
                "  <on_poweroff>destroy</on_poweroff>\n"
                "  <on_reboot>restart</on_reboot>\n"
                "  <on_crash>destroy</on_crash>\n",
                windows ? "localtime" : "utc");
    lv_domain_devices(&b, lv, c);
    lv_buf_addf(&b, "</domain>\n");
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}

/* DHCP reservations -------------------------------------------------------- */

/* The MAC swarmlab gives the host it reserves IPv4 address 'v' for. */
static void lv_mac_for(uint32_t v, char *mac, size_t size)
{
    snprintf(mac, size, "52:54:00:%02x:%02x:%02x", (v >> 16) & 0xff,
             (v >> 8) & 0xff, v & 0xff);
}

/* Whether 'addr' is reserved in the network's XML or leased to another
 * machine. A lease held by the MAC swarmlab derives from the address was
 * a host of ours whose reservation is gone: the address is free again. */
static bool lv_addr_taken(const char *xml, virNetworkDHCPLeasePtr *leases,
                          int n, const char *addr, const char *mac)
{
    char needle[SL_HV_ADDR_MAX + 8];
    int i;

    snprintf(needle, sizeof(needle), "ip='%s'", addr);
    if (strstr(xml, needle))
        return true;
    for (i = 0; i < n; i++) {
        if (leases[i]->ipaddr && !strcmp(leases[i]->ipaddr, addr) &&
            (!leases[i]->mac || strcasecmp(leases[i]->mac, mac)))
            return true;
    }
    return false;
}

static int lv_net_update(virNetworkPtr net, unsigned int command,
                         const char *host_xml)
{
    unsigned int flags = VIR_NETWORK_UPDATE_AFFECT_CONFIG;

    if (virNetworkIsActive(net) == 1)
        flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
    return virNetworkUpdate(net, command, VIR_NETWORK_SECTION_IP_DHCP_HOST,
                            -1, host_xml, flags);
}

/* Removes the network's DHCP reservation for host 'name', if any. */
static int lv_unreserve(lv_backend *lv, const char *network, const char *name,
                        sl_error *err)
{
    virNetworkPtr net = virNetworkLookupByName(lv->conn, network);
    char *xml = net ? virNetworkGetXMLDesc(net, 0) : NULL;
    char needle[SL_HV_NAME_MAX + 16], *host = NULL;
    const char *at, *start, *end;
    int rc = 0;

    if (!net)
        return lv_last_code() == VIR_ERR_NO_NETWORK ? 0
               : lv_fail(lv, err, SL_OK, "cannot look up network '%s'",
                         network);
    snprintf(needle, sizeof(needle), "name='%s'", name);
    at = xml ? strstr(xml, needle) : NULL;
    for (start = at; start && start > xml && strncmp(start, "<host", 5);
         start--)
        ;
    end = at ? strstr(at, "/>") : NULL;
    if (start && end && !strncmp(start, "<host", 5)) {
        host = strndup(start, (size_t)(end + 2 - start));
        if (!host || lv_net_update(net, VIR_NETWORK_UPDATE_COMMAND_DELETE,
                                   host) < 0)
            rc = lv_fail(lv, err, SL_OK, "cannot remove the address of '%s' "
                         "from network '%s'", name, network);
    }
    free(host);
    free(xml);
    virNetworkFree(net);
    return rc;
}

/* Reserves the first free address of the network's DHCP range for the
 * host, with a MAC made from it, so that its certificate can name the
 * address before it boots. A network without a DHCP range gets no
 * reservation (c->mac stays ""). Called with the lock held. */
static int lv_reserve(lv_backend *lv, lv_create_ctx *c, sl_error *err)
{
    const char *network = c->spec->network;
    virNetworkDHCPLeasePtr *leases = NULL;
    virNetworkPtr net = NULL;
    char first[SL_HV_ADDR_MAX], last[SL_HV_ADDR_MAX], host[256];
    struct in_addr lo, hi, a;
    char *xml = NULL;
    int n = 0, i, rc = -1;
    uint32_t v;

    if (lv_unreserve(lv, network, c->spec->name, err) < 0)
        return -1;
    net = lv_network(lv, network, err);
    xml = net ? virNetworkGetXMLDesc(net, 0) : NULL;
    if (!xml) {
        if (net)
            lv_fail(lv, err, SL_OK, "cannot read network '%s'", network);
        goto cleanup;
    }
    lv_xml_attr(xml, "<range", "start", first, sizeof(first));
    lv_xml_attr(xml, "<range", "end", last, sizeof(last));
    if (inet_pton(AF_INET, first, &lo) != 1 ||
        inet_pton(AF_INET, last, &hi) != 1) {
        rc = 0; /* TODO: hosts on networks without libvirt's DHCP get
                   certificates without their address */
        goto cleanup;
    }
    n = virNetworkGetDHCPLeases(net, NULL, &leases, 0);
    for (v = ntohl(lo.s_addr); v <= ntohl(hi.s_addr); v++) {
        a.s_addr = htonl(v);
        inet_ntop(AF_INET, &a, c->address, sizeof(c->address));
        lv_mac_for(v, c->mac, sizeof(c->mac));
        if (!lv_addr_taken(xml, leases, n, c->address, c->mac))
            break;
    }
    if (v > ntohl(hi.s_addr)) {
        c->mac[0] = '\0';
        sl_error_set(err, SL_ERR_CAPACITY, "no free address left in the "
                     "DHCP range of network '%s'", network);
        goto cleanup;
    }
    snprintf(host, sizeof(host), "<host mac='%s' name='%s' ip='%s'/>",
             c->mac, c->spec->name, c->address);
    if (lv_net_update(net, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, host) < 0) {
        lv_fail(lv, err, SL_OK, "cannot reserve '%s' for '%s' in network "
                "'%s'", c->address, c->spec->name, network);
        c->mac[0] = '\0';
        goto cleanup;
    }
    rc = 0;

cleanup:
    for (i = 0; i < n; i++)
        virNetworkDHCPLeaseFree(leases[i]);
    free(leases);
    free(xml);
    if (net)
        virNetworkFree(net);
    return rc;
}

/* An empty, sparse volume 'name' of 'bytes' in the host's pool, the
 * host's disk called 'what' in errors. */
static virStorageVolPtr lv_make_host_volume(lv_backend *lv,
                                            const lv_create_ctx *c,
                                            const char *name,
                                            unsigned long long bytes,
                                            const char *format,
                                            const char *what, sl_error *err)
{
    virStorageVolPtr vol;
    lv_buf xml = {0};

    lv_buf_addf(&xml, "<volume><name>");
    lv_buf_add_text(&xml, name);
    lv_buf_addf(&xml, "</name><capacity unit='bytes'>%llu</capacity>"
                "<allocation unit='bytes'>0</allocation>"
                "<target><format type='%s'/></target></volume>", bytes,
                format);
    if (xml.failed) {
        free(xml.s);
        sl_error_set(err, SL_ERR_NOMEM, "cannot create '%s'", c->spec->name);
        return NULL;
    }
    vol = virStorageVolCreateXML(c->pool, xml.s, 0);
    free(xml.s);
    if (!vol)
        lv_fail(lv, err, SL_OK, "cannot make the %s disk of '%s'", what,
                c->spec->name);
    return vol;
}

static int lv_delete_volume(lv_backend *lv, const char *pool_name,
                            const char *volume, sl_error *err);

/* Removes what lv_create_kernel_host() made besides the config disk. */
static void lv_undo_kernel_host(lv_backend *lv, const lv_create_ctx *c)
{
    if (c->data_volume[0])
        lv_delete_volume(lv, lv->pool, c->data_volume, NULL);
    if (c->mac[0])
        lv_unreserve(lv, c->spec->network, c->spec->name, NULL);
}

/* Makes what a host booted from a kernel needs before its domain: an
 * address reserved in the network, an empty data disk and an empty config
 * disk, which it returns. */
static virStorageVolPtr lv_create_kernel_host(lv_backend *lv,
                                              lv_create_ctx *c,
                                              sl_error *err)
{
    virStorageVolPtr vol = NULL;
    int rc;

    pthread_mutex_lock(&lv->lock);
    rc = lv_reserve(lv, c, err);
    pthread_mutex_unlock(&lv->lock);
    if (rc < 0)
        return NULL;
    /* The data disk: the guest formats it on its first boot and mounts it
     * as Docker's data root, so images and containers outlive a power
     * cycle. */
    vol = lv_make_host_volume(lv, c, c->data_volume, c->capacity, "qcow2",
                              "data", err);
    if (!vol) {
        c->data_volume[0] = '\0';
        lv_undo_kernel_host(lv, c);
        return NULL;
    }
    virStorageVolFree(vol);
    /* The config disk, written before each start. */
    vol = lv_make_host_volume(lv, c, c->volume, LV_CONFIG_BYTES, "raw",
                              "config", err);
    if (!vol)
        lv_undo_kernel_host(lv, c);
    return vol;
}

static int lv_host_create(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                          sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    lv_create_ctx c = {.spec = spec, .os = spec->os ? spec->os : "linux"};
    virStorageVolPtr vol = NULL;
    virDomainPtr dom = NULL;
    char *vol_xml = NULL, *dom_xml = NULL;
    int rc = -1;

    if (lv_create_check(lv, &c, err) < 0)
        goto cleanup;
    if (c.kernel_boot) {
        vol = lv_create_kernel_host(lv, &c, err);
        if (!vol)
            goto cleanup;
    } else {
        vol_xml = lv_volume_xml(&c);
        if (!vol_xml) {
            sl_error_set(err, SL_ERR_NOMEM, "cannot create '%s'", spec->name);
            goto cleanup;
        }
        vol = virStorageVolCreateXML(c.pool, vol_xml, 0);
        if (!vol) {
            lv_fail(lv, err, SL_OK, "cannot make the disk of '%s'",
                    spec->name);
            goto cleanup;
        }
    }
    dom_xml = lv_domain_xml(lv, &c);
    dom = dom_xml ? virDomainDefineXML(lv->conn, dom_xml) : NULL;
    if (!dom) {
        if (dom_xml)
            lv_fail(lv, err, SL_OK, "cannot define '%s'", spec->name);
        else
            sl_error_set(err, SL_ERR_NOMEM, "cannot create '%s'",
                         spec->name);
        virStorageVolDelete(vol, 0);
        if (c.kernel_boot)
            lv_undo_kernel_host(lv, &c);
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (dom)
        virDomainFree(dom);
    if (vol)
        virStorageVolFree(vol);
    free(vol_xml);
    free(dom_xml);
    free(c.base_path);
    free(c.kernel_path);
    free(c.initrd_path);
    if (c.base)
        virStorageVolFree(c.base);
    if (c.pool)
        virStoragePoolFree(c.pool);
    return rc;
}

/* Running ------------------------------------------------------------------ */

/* Redefines a domain that KVM could not start as a plain QEMU (TCG) one,
 * and makes later ones so: /dev/kvm may exist without being usable. */
static int lv_fall_back_to_tcg(sl_hypervisor *hv, lv_backend *lv,
                               virDomainPtr dom)
{
    static const char kvm[] = "<domain type='kvm'";
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    char *type = xml ? strstr(xml, kvm) : NULL;
    virDomainPtr redefined = NULL;
    lv_buf b = {0};

    if (type) {
        lv_buf_addf(&b, "%.*s<domain type='qemu'%s", (int)(type - xml), xml,
                    type + strlen(kvm));
        if (!b.failed)
            redefined = virDomainDefineXML(lv->conn, b.s);
    }
    free(b.s);
    free(xml);
    if (!redefined)
        return -1;
    virDomainFree(redefined);
    pthread_mutex_lock(&lv->lock);
    snprintf(lv->dom_type, sizeof(lv->dom_type), "qemu");
    pthread_mutex_unlock(&lv->lock);
    sl_hv_notify(hv, virDomainGetName(dom), SL_HV_PHASE_RETRYING,
                 "kvm is not usable, starting under qemu (tcg)");
    return 0;
}

static bool lv_kvm_unusable(void)
{
    const char *msg = virGetLastErrorMessage();

    return strstr(msg, "KVM") || strstr(msg, "kvm");
}

/* Feeds the memory in 'opaque' (an lv_mem) to a stream. */
typedef struct lv_mem {
    const unsigned char *p;
    size_t left;
} lv_mem;

static int lv_mem_chunk(virStreamPtr st, char *data, size_t nbytes,
                        void *opaque)
{
    lv_mem *m = opaque;
    size_t n = nbytes < m->left ? nbytes : m->left;

    (void)st;
    memcpy(data, m->p, n);
    m->p += n;
    m->left -= n;
    return (int)n;
}

/* Writes 'size' bytes of 'data' at the start of volume 'volume'. */
static int lv_upload_mem(lv_backend *lv, const char *pool_name,
                         const char *volume, const unsigned char *data,
                         size_t size, sl_error *err)
{
    virStoragePoolPtr pool = lv_pool(lv, pool_name, err);
    virStorageVolPtr vol = NULL;
    virStreamPtr st = NULL;
    lv_mem m = {data, size};
    int rc = -1;

    if (!pool)
        return -1;
    vol = virStorageVolLookupByName(pool, volume);
    if (!vol) {
        lv_fail(lv, err, SL_OK, "cannot look up disk '%s'", volume);
        goto cleanup;
    }
    st = virStreamNew(lv->conn, 0);
    if (!st || virStorageVolUpload(vol, st, 0, size, 0) < 0 ||
        virStreamSendAll(st, lv_mem_chunk, &m) < 0 ||
        virStreamFinish(st) < 0) {
        lv_fail(lv, err, SL_OK, "cannot write disk '%s'", volume);
        if (st)
            virStreamAbort(st);
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (st)
        virStreamFree(st);
    if (vol)
        virStorageVolFree(vol);
    virStoragePoolFree(pool);
    return rc;
}

/* Writes the host's config disk from what the guest hook gives: its
 * hostname at least. */
static int lv_write_config(lv_backend *lv, const char *name,
                           const lv_meta *meta, sl_error *err)
{
    sl_hv_guest_file *files = NULL, own = {"hostname", name, strlen(name),
                                           0644};
    sl_image_config_file *cfiles = NULL;
    sl_hv_host_info info = {0};
    unsigned char *disk = NULL;
    size_t n = 0, size = 0, i;
    int rc = -1;

    snprintf(info.name, sizeof(info.name), "%s", name);
    snprintf(info.os, sizeof(info.os), "%s", meta->os);
    snprintf(info.network, sizeof(info.network), "%s", meta->network);
    snprintf(info.mac, sizeof(info.mac), "%s", meta->mac);
    snprintf(info.address, sizeof(info.address), "%s", meta->address);
    if (lv->guest.files &&
        lv->guest.files(lv->guest.data, &info, &files, &n, err) < 0)
        return -1;
    cfiles = calloc(n + 1, sizeof(*cfiles));
    if (!cfiles) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot configure '%s'", name);
        goto cleanup;
    }
    for (i = 0; i < n; i++)
        cfiles[i] = (sl_image_config_file){files[i].path, files[i].data,
                                           files[i].size, files[i].mode};
    cfiles[n] = (sl_image_config_file){own.path, own.data, own.size,
                                       own.mode};
    disk = sl_image_config_disk(cfiles, n + 1, &size, err);
    if (!disk)
        goto cleanup;
    if (size > LV_CONFIG_BYTES) {
        sl_error_set(err, SL_ERR_INVALID, "config of '%s' is too big: %zu "
                     "bytes", name, size);
        goto cleanup;
    }
    /* The test driver's domains run nothing, and it cannot upload. */
    rc = lv->is_test ? 0 : lv_upload_mem(lv, meta->pool, meta->volume, disk,
                                         size, err);

cleanup:
    free(disk);
    free(cfiles);
    if (files && lv->guest.release)
        lv->guest.release(lv->guest.data, files, n);
    return rc;
}

static int lv_host_start(sl_hypervisor *hv, const char *name, sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    virDomainPtr dom = lv_domain(lv, name, err);
    int rc = -1, active;
    lv_meta meta;

    if (!dom)
        return -1;
    active = virDomainIsActive(dom);
    if (active == 0 && (lv_meta_read(lv, dom, &meta, err) < 0 ||
                        (meta.kernel_boot &&
                         lv_write_config(lv, name, &meta, err) < 0))) {
        virDomainFree(dom);
        return -1;
    }
    if (active < 0) {
        lv_fail(lv, err, SL_OK, "cannot start '%s'", name);
    } else if (active == 0 && virDomainCreate(dom) < 0) {
        if (!lv->is_qemu || !lv_kvm_unusable() ||
            lv_fall_back_to_tcg(hv, lv, dom) < 0 || virDomainCreate(dom) < 0)
            lv_fail(lv, err, SL_OK, "cannot start '%s'", name);
        else
            rc = 0;
    } else {
        rc = 0;
    }
    virDomainFree(dom);
    return rc;
}

/* TODO: "booted" is the domain running; asking the guest agent whether the
 * OS is up would tell a kernel still starting from a booted one. */
static int lv_host_wait_booted(sl_hypervisor *hv, const char *name,
                               int64_t timeout_ns, sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    int64_t deadline = lv_now(hv) + timeout_ns, step = LV_POLL_FIRST_NS;
    virDomainPtr dom = lv_domain(lv, name, err);
    char limit[32];
    int rc = -1;

    if (!dom)
        return -1;
    for (;;) {
        int state, reason;

        if (virDomainGetState(dom, &state, &reason, 0) < 0) {
            lv_fail(lv, err, SL_OK, "cannot ask '%s' for its state", name);
            break;
        }
        if (state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED) {
            rc = 0;
            break;
        }
        if (lv_state(dom) == SL_HV_STATE_FAILED) {
            sl_error_set(err, SL_ERR_API, "host '%s' failed to boot", name);
            break;
        }
        if (state == VIR_DOMAIN_SHUTOFF) {
            sl_error_set(err, SL_ERR_CONFLICT, "host '%s' is not started",
                         name);
            break;
        }
        if (lv_now(hv) >= deadline) {
            sl_hv_format_duration(timeout_ns, limit, sizeof(limit));
            sl_error_set(err, SL_ERR_TIMEOUT,
                         "host '%s' not booted after %s", name, limit);
            break;
        }
        lv_backoff(hv, &step, deadline);
    }
    virDomainFree(dom);
    return rc;
}

/* Whether 'network' has an IP range. libvirt 9's test driver crashes when
 * asked for the addresses of a domain on a network without one. */
static bool lv_network_has_ip(lv_backend *lv, const char *network)
{
    virNetworkPtr net = virNetworkLookupByName(lv->conn, network);
    char *xml = net ? virNetworkGetXMLDesc(net, 0) : NULL;
    bool has = xml && (strstr(xml, "<ip ") || strstr(xml, "<ip>"));

    free(xml);
    if (net)
        virNetworkFree(net);
    return has;
}

static bool lv_usable_addr(const virDomainIPAddress *a, int family)
{
    if (a->type != family || !a->addr)
        return false;
    if (family == VIR_IP_ADDR_TYPE_IPV4)
        return strncmp(a->addr, "127.", 4) != 0 &&
               strncmp(a->addr, "169.254.", 8) != 0;
    return strcmp(a->addr, "::1") != 0 && strncmp(a->addr, "fe80:", 5) != 0;
}

/* Asks one source for the domain's addresses and copies the first usable
 * one, IPv4 before IPv6. Returns 1 when found, 0 when not (yet), -1 when
 * the source cannot say (unsupported, or the domain is not running). */
static int lv_query_address(virDomainPtr dom, unsigned int source,
                            char *addr, size_t size)
{
    static const int families[] = {VIR_IP_ADDR_TYPE_IPV4,
                                   VIR_IP_ADDR_TYPE_IPV6};
    virDomainInterfacePtr *ifaces = NULL;
    int n, i, f, found = 0;
    unsigned int j;

    n = virDomainInterfaceAddresses(dom, &ifaces, source, 0);
    if (n < 0)
        return lv_last_code() == VIR_ERR_AGENT_UNRESPONSIVE ? 0 : -1;
    for (f = 0; f < 2 && !found; f++) {
        for (i = 0; i < n && !found; i++) {
            for (j = 0; j < ifaces[i]->naddrs && !found; j++) {
                virDomainIPAddress *a = &ifaces[i]->addrs[j];

                if (lv_usable_addr(a, families[f])) {
                    snprintf(addr, size, "%s", a->addr);
                    found = 1;
                }
            }
        }
    }
    for (i = 0; i < n; i++)
        virDomainInterfaceFree(ifaces[i]);
    free(ifaces);
    return found;
}

/* One round over the lease, agent and ARP sources. Returns 1 when found,
 * 0 when not yet, -1 when no source can tell ('err' filled). */
static int lv_address_once(lv_backend *lv, virDomainPtr dom,
                           const char *network, char *addr, size_t size,
                           sl_error *err)
{
    static const unsigned int sources[] = {
        VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
        VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT,
        VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
    };
    const char *name = virDomainGetName(dom);
    int active = virDomainIsActive(dom), answered = 0;
    size_t i;

    if (active == 0)
        return sl_error_set(err, SL_ERR_CONFLICT, "host '%s' is not running",
                            name);
    if (active < 0)
        return lv_fail(lv, err, SL_OK, "cannot ask '%s' for its state", name);
    if (lv->is_test && !lv_network_has_ip(lv, network))
        return 0;
    for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        int rc = lv_query_address(dom, sources[i], addr, size);

        if (rc > 0)
            return 1;
        if (rc == 0 || lv_errcode() != SL_ERR_UNSUPPORTED)
            answered = 1;
    }
    if (!answered)
        return lv_fail(lv, err, SL_ERR_UNSUPPORTED,
                       "cannot get the address of '%s'", name);
    return 0;
}

/* The path of the host's console log on this machine, or "" when the
 * hypervisor is elsewhere or keeps no log. */
static void lv_console_path(lv_backend *lv, const char *name, char *out,
                            size_t size)
{
    bool remote = strstr(lv->uri, "://") &&
                  strncmp(strstr(lv->uri, "://"), ":///", 4) != 0;

    out[0] = '\0';
    if (lv->log_dir && !remote)
        snprintf(out, size, "%s/%s-console.log", lv->log_dir, name);
}

int sl_hv_libvirt_console_path(sl_hypervisor *hv, const char *name,
                               char *path, size_t size)
{
    lv_backend *lv = lv_get(hv);

    if (!lv)
        return -1;
    lv_console_path(lv, name, path, size);
    return path[0] && access(path, R_OK) == 0 ? 0 : -1;
}

/* The last 'lines' lines of the host's console, joined with " | " into
 * 'out'; "" when the log cannot be read here. */
static void lv_console_tail(lv_backend *lv, const char *name, int lines,
                            char *out, size_t size)
{
    char path[4096], buf[LV_TAIL_BYTES + 1];
    FILE *f;
    long len;
    size_t n, k = 0;
    char *p, *line, *save = NULL;
    char *picked[16];
    int count = 0, i;

    out[0] = '\0';
    lv_console_path(lv, name, path, sizeof(path));
    f = path[0] ? fopen(path, "rb") : NULL;
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, len > LV_TAIL_BYTES ? len - LV_TAIL_BYTES : 0, SEEK_SET);
    n = fread(buf, 1, LV_TAIL_BYTES, f);
    fclose(f);
    buf[n] = '\0';
    for (p = buf; (line = strtok_r(p, "\r\n", &save)); p = NULL) {
        if (count == (int)(sizeof(picked) / sizeof(picked[0])))
            memmove(picked, picked + 1, sizeof(picked) - sizeof(picked[0]));
        else
            count++;
        picked[count - 1] = line;
    }
    for (i = count > lines ? count - lines : 0; i < count && k < size; i++)
        k += (size_t)snprintf(out + k, size - k, "%s%s", k ? " | " : "",
                              picked[i]);
}

static int lv_host_address(sl_hypervisor *hv, const char *name,
                           int64_t timeout_ns, char *addr, size_t size,
                           sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    int64_t deadline = lv_now(hv) + timeout_ns, step = LV_POLL_FIRST_NS;
    virDomainPtr dom = NULL;
    char limit[32];
    lv_meta meta;
    int rc = -1, found;

    dom = lv_domain(lv, name, err);
    if (!dom || lv_meta_read(lv, dom, &meta, err) < 0)
        goto cleanup;
    for (;;) {
        found = lv_address_once(lv, dom, meta.network, addr, size, err);
        if (found != 0) {
            rc = found > 0 ? 0 : -1;
            break;
        }
        if (lv_now(hv) >= deadline) {
            char tail[300];

            sl_hv_format_duration(timeout_ns, limit, sizeof(limit));
            lv_console_tail(lv, name, 3, tail, sizeof(tail));
            sl_error_set(err, SL_ERR_TIMEOUT, "no address for '%s' on network "
                         "'%s' after %s%s%s", name, meta.network, limit,
                         tail[0] ? "; console: " : "", tail);
            break;
        }
        lv_backoff(hv, &step, deadline);
    }

cleanup:
    if (dom)
        virDomainFree(dom);
    return rc;
}

/* Fills what list shows for one domain; returns 1 when it is ours, 0 when
 * not, -1 on error. */
static int lv_info(lv_backend *lv, virDomainPtr dom, sl_hv_host_info *info,
                   sl_error *err)
{
    virDomainInfo dinfo;
    char *xml = NULL;
    lv_meta meta;
    int ours = lv_meta_read(lv, dom, &meta, err);

    if (ours <= 0)
        return ours;
    memset(info, 0, sizeof(*info));
    snprintf(info->name, sizeof(info->name), "%s", virDomainGetName(dom));
    if (virDomainGetInfo(dom, &dinfo) < 0)
        return lv_fail(lv, err, SL_OK, "cannot inspect '%s'", info->name);
    info->state = lv_state(dom);
    info->cpus = dinfo.nrVirtCpu;
    info->memory_mib = (int64_t)(dinfo.maxMem / 1024);
    info->disk_gib = meta.disk_gib;
    snprintf(info->os, sizeof(info->os), "%s", meta.os);
    snprintf(info->image, sizeof(info->image), "%s", meta.image);
    snprintf(info->network, sizeof(info->network), "%s", meta.network);
    xml = virDomainGetXMLDesc(dom, 0);
    lv_xml_attr(xml, "<interface", "mac address", info->mac,
                sizeof(info->mac));
    free(xml);
    if (info->state == SL_HV_STATE_RUNNING &&
        (!lv->is_test || lv_network_has_ip(lv, meta.network)))
        lv_query_address(dom, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
                         info->address, sizeof(info->address));
    return 1;
}

/* Copies the endpoint the hook gave for the host, if any. */
static void lv_info_endpoint(lv_backend *lv, sl_hv_host_info *info)
{
    lv_endpoint *ep;

    pthread_mutex_lock(&lv->lock);
    ep = lv_endpoint_find(lv, info->name);
    if (ep)
        snprintf(info->docker_endpoint, sizeof(info->docker_endpoint), "%s",
                 ep->endpoint);
    pthread_mutex_unlock(&lv->lock);
}

/* Asks the hook for the endpoint of a running host and remembers it.
 * Called with the lock held. */
static int lv_attach(lv_backend *lv, virDomainPtr dom, char *endpoint,
                     size_t size, sl_error *err)
{
    const char *name = virDomainGetName(dom);
    sl_hv_host_info info;
    lv_endpoint *grown, *ep;

    if (lv_info(lv, dom, &info, err) < 0)
        return -1;
    if (lv->hook.attach(lv->hook.data, &info, endpoint, size, err) < 0)
        return -1;
    grown = realloc(lv->endpoints,
                    (lv->n_endpoints + 1) * sizeof(*lv->endpoints));
    if (!grown) {
        if (lv->hook.detach)
            lv->hook.detach(lv->hook.data, name);
        return sl_error_set(err, SL_ERR_NOMEM, "cannot attach '%s'", name);
    }
    lv->endpoints = grown;
    ep = &lv->endpoints[lv->n_endpoints++];
    snprintf(ep->name, sizeof(ep->name), "%s", name);
    snprintf(ep->endpoint, sizeof(ep->endpoint), "%s", endpoint);
    return 0;
}

static int lv_host_docker_endpoint(sl_hypervisor *hv, const char *name,
                                   char *endpoint, size_t size, sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    virDomainPtr dom = lv_domain(lv, name, err);
    char addr[SL_HV_ADDR_MAX];
    lv_endpoint *ep;
    lv_meta meta;
    int rc = -1;

    if (!dom)
        return -1;
    pthread_mutex_lock(&lv->lock);
    ep = lv_endpoint_find(lv, name);
    if (ep) {
        snprintf(endpoint, size, "%s", ep->endpoint);
        rc = 0;
    } else if (lv_state(dom) != SL_HV_STATE_RUNNING) {
        sl_error_set(err, SL_ERR_CONFLICT, "host '%s' is not running", name);
    } else if (lv->hook.attach) {
        rc = lv_attach(lv, dom, endpoint, size, err);
    } else if (lv_meta_read(lv, dom, &meta, err) >= 0) {
        int found = lv_address_once(lv, dom, meta.network, addr,
                                    sizeof(addr), err);

        if (found > 0) {
            snprintf(endpoint, size, strchr(addr, ':') ? "tcp://[%s]:%d"
                     : "tcp://%s:%d", addr, lv->docker_port);
            rc = 0;
        } else if (found == 0) {
            sl_error_set(err, SL_ERR_CONFLICT, "host '%s' has no address yet",
                         name);
        }
    }
    pthread_mutex_unlock(&lv->lock);
    virDomainFree(dom);
    return rc;
}

/* Waits at most 'grace_ns' for the domain to shut off; 1 when it did. */
static int lv_wait_shutoff(sl_hypervisor *hv, virDomainPtr dom,
                           int64_t grace_ns)
{
    int64_t deadline = lv_now(hv) + grace_ns, step = LV_POLL_FIRST_NS;

    for (;;) {
        int active = virDomainIsActive(dom);

        if (active <= 0)
            return active == 0;
        if (lv_now(hv) >= deadline)
            return 0;
        lv_backoff(hv, &step, deadline);
    }
}

static int lv_host_stop(sl_hypervisor *hv, const char *name, int64_t grace_ns,
                        sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    virDomainPtr dom = lv_domain(lv, name, err);
    int rc = -1;

    if (!dom)
        return -1;
    lv_endpoint_drop(lv, name);
    if (virDomainIsActive(dom) == 0) {
        rc = 0;
        goto cleanup;
    }
    if (grace_ns > 0 && virDomainShutdown(dom) == 0 &&
        lv_wait_shutoff(hv, dom, grace_ns) == 1) {
        rc = 0;
        goto cleanup;
    }
    if (virDomainDestroy(dom) < 0 && virDomainIsActive(dom) != 0) {
        lv_fail(lv, err, SL_OK, "cannot power off '%s'", name);
        goto cleanup;
    }
    rc = 0;

cleanup:
    virDomainFree(dom);
    return rc;
}

/* Removes the disk volume; a volume already gone is fine. Returns 1 when
 * one was removed, 0 when there was none, -1 on error. */
static int lv_delete_volume(lv_backend *lv, const char *pool_name,
                            const char *volume, sl_error *err)
{
    virStoragePoolPtr pool = NULL;
    virStorageVolPtr vol = NULL;
    int rc = -1;

    pool = virStoragePoolLookupByName(lv->conn, pool_name);
    if (!pool) {
        if (lv_last_code() == VIR_ERR_NO_STORAGE_POOL)
            return 0;
        return lv_fail(lv, err, SL_OK, "cannot look up storage pool '%s'",
                       pool_name);
    }
    vol = virStorageVolLookupByName(pool, volume);
    if (!vol) {
        rc = lv_last_code() == VIR_ERR_NO_STORAGE_VOL ? 0
             : lv_fail(lv, err, SL_OK, "cannot look up disk '%s'", volume);
        goto cleanup;
    }
    if (virStorageVolDelete(vol, 0) < 0) {
        lv_fail(lv, err, SL_OK, "cannot remove disk '%s' from pool '%s'",
                volume, pool_name);
        goto cleanup;
    }
    rc = 1;

cleanup:
    if (vol)
        virStorageVolFree(vol);
    virStoragePoolFree(pool);
    return rc;
}

/* Powers off and undefines one of our domains; fills 'meta'. */
static int lv_remove_domain(lv_backend *lv, virDomainPtr dom, lv_meta *meta,
                            sl_error *err)
{
    const char *name = virDomainGetName(dom);
    int ours = lv_meta_read(lv, dom, meta, err);

    if (ours < 0)
        return -1;
    if (!ours)
        return sl_error_set(err, SL_ERR_CONFLICT,
                            "cannot destroy '%s': swarmlab did not make it",
                            name);
    if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
        return lv_fail(lv, err, SL_OK, "cannot power off '%s'", name);
    if (virDomainUndefineFlags(dom, LV_UNDEFINE_FLAGS) < 0 &&
        virDomainUndefine(dom) < 0)
        return lv_fail(lv, err, SL_OK, "cannot undefine '%s'", name);
    return 0;
}

/* Also removes the disk of a host whose domain is already gone (a crash
 * between making the disk and defining the domain). */
static int lv_host_destroy(sl_hypervisor *hv, const char *name,
                           sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    virDomainPtr dom = virDomainLookupByName(lv->conn, name);
    lv_meta meta;
    int rc = -1, removed, removed_config = 0, removed_data = 0;

    if (!dom && lv_last_code() != VIR_ERR_NO_DOMAIN)
        return lv_fail(lv, err, SL_OK, "cannot look up host '%s'", name);
    lv_endpoint_drop(lv, name);
    if (dom) {
        if (lv_remove_domain(lv, dom, &meta, err) < 0)
            goto cleanup;
    } else {
        memset(&meta, 0, sizeof(meta));
        snprintf(meta.pool, sizeof(meta.pool), "%s", lv->pool);
        snprintf(meta.volume, sizeof(meta.volume), "%s.config", name);
        removed_config = lv_delete_volume(lv, meta.pool, meta.volume, err);
        if (removed_config < 0)
            goto cleanup;
        snprintf(meta.volume, sizeof(meta.volume), "%s.qcow2", name);
        snprintf(meta.data_volume, sizeof(meta.data_volume), "%s.data",
                 name);
    }
    if (meta.data_volume[0]) {
        removed_data = lv_delete_volume(lv, meta.pool, meta.data_volume,
                                        err);
        if (removed_data < 0)
            goto cleanup;
    }
    if (lv->guest.forget)
        lv->guest.forget(lv->guest.data, name);
    removed = lv_delete_volume(lv, meta.pool, meta.volume, err);
    if (removed < 0 || (meta.mac[0] &&
                        lv_unreserve(lv, meta.network, name, err) < 0))
        goto cleanup;
    if (!dom && !removed && !removed_config && !removed_data) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found on '%s'",
                     name, lv->uri);
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (dom)
        virDomainFree(dom);
    return rc;
}

static sl_hv_host_info *lv_host_list(sl_hypervisor *hv, size_t *count,
                                     sl_error *err)
{
    lv_backend *lv = lv_get(hv);
    virDomainPtr *doms = NULL;
    sl_hv_host_info *hosts = NULL;
    int n, i, ours;

    n = virConnectListAllDomains(lv->conn, &doms, 0);
    if (n < 0) {
        lv_fail(lv, err, SL_OK, "cannot list domains");
        return NULL;
    }
    hosts = calloc((size_t)n + 1, sizeof(*hosts));
    if (!hosts)
        sl_error_set(err, SL_ERR_NOMEM, "cannot list hosts");
    for (i = 0; i < n; i++) {
        ours = hosts ? lv_info(lv, doms[i], &hosts[*count], err) : 0;
        if (ours < 0) {
            free(hosts);
            hosts = NULL;
        } else if (ours > 0) {
            lv_info_endpoint(lv, &hosts[*count]);
            (*count)++;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    if (!hosts)
        *count = 0;
    return hosts;
}

static const sl_hv_ops lv_ops = {
    .name = "libvirt",
    .image_prepare = lv_image_prepare,
    .host_create = lv_host_create,
    .host_start = lv_host_start,
    .host_wait_booted = lv_host_wait_booted,
    .host_address = lv_host_address,
    .host_docker_endpoint = lv_host_docker_endpoint,
    .host_stop = lv_host_stop,
    .host_destroy = lv_host_destroy,
    .host_list = lv_host_list,
    .close = lv_close,
};
