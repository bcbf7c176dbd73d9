/* The hypervisor seam: checks, defaults, events and the backend registry. */
#include "hypervisor.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_libvirt.h"
#include "hv_netns.h"

#define SL_HV_HOSTNAME_MAX 63
#define SL_HV_REGISTRY_MAX 8

struct sl_hypervisor {
    const sl_hv_ops *ops;
    void *backend;
    sl_clock *clock;
    bool owns_clock;
    sl_hv_event_fn on_event;
    void *event_data;
};

typedef struct sl_hv_entry {
    const char *name;
    sl_hv_open_fn open;
} sl_hv_entry;

static const sl_hv_entry builtin[] = {
    {"libvirt", sl_hv_libvirt_open},
    {"netns", sl_hv_netns_open},
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static sl_hv_entry registry[SL_HV_REGISTRY_MAX];
static size_t registry_len;

static sl_hv_open_fn find_backend(const char *name)
{
    sl_hv_open_fn open = NULL;
    size_t i;

    for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        if (!strcmp(builtin[i].name, name))
            return builtin[i].open;
    }
    pthread_mutex_lock(&registry_lock);
    for (i = 0; i < registry_len && !open; i++) {
        if (!strcmp(registry[i].name, name))
            open = registry[i].open;
    }
    pthread_mutex_unlock(&registry_lock);
    return open;
}

int sl_hypervisor_register(const char *name, sl_hv_open_fn open,
                           sl_error *err)
{
    sl_hv_open_fn known = find_backend(name);
    int rc = -1;

    if (known)
        return known == open ? 0 : sl_error_set(err, SL_ERR_CONFLICT,
            "cannot register hypervisor '%s': the name is taken", name);

    pthread_mutex_lock(&registry_lock);
    if (registry_len == SL_HV_REGISTRY_MAX) {
        sl_error_set(err, SL_ERR_CAPACITY,
                     "cannot register hypervisor '%s': too many", name);
        goto cleanup;
    }
    registry[registry_len].name = name;
    registry[registry_len].open = open;
    registry_len++;
    rc = 0;

cleanup:
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

sl_hypervisor *sl_hypervisor_open(const char *backend,
                                  const sl_hv_options *opts, sl_error *err)
{
    static const sl_hv_options none;
    sl_hv_open_fn open;

    if (!backend || !*backend) {
        sl_error_set(err, SL_ERR_INVALID, "no hypervisor named");
        return NULL;
    }
    open = find_backend(backend);
    if (!open) {
        sl_error_set(err, SL_ERR_NOT_FOUND, "unknown hypervisor '%s'",
                     backend);
        return NULL;
    }
    return open(opts ? opts : &none, err);
}

sl_hypervisor *sl_hypervisor_new(const sl_hv_ops *ops, void *backend,
                                 sl_clock *clock, bool owns_clock,
                                 const sl_hv_options *opts, sl_error *err)
{
    sl_hypervisor *hv = calloc(1, sizeof(*hv));

    if (!hv) {
        ops->close(backend);
        if (owns_clock)
            sl_clock_free(clock);
        sl_error_set(err, SL_ERR_NOMEM, "cannot open hypervisor '%s'",
                     ops->name);
        return NULL;
    }
    hv->ops = ops;
    hv->backend = backend;
    hv->clock = clock;
    hv->owns_clock = owns_clock;
    if (opts) {
        hv->on_event = opts->on_event;
        hv->event_data = opts->event_data;
    }
    return hv;
}

void sl_hypervisor_close(sl_hypervisor *hv)
{
    if (!hv)
        return;
    hv->ops->close(hv->backend);
    if (hv->owns_clock)
        sl_clock_free(hv->clock);
    free(hv);
}

void *sl_hypervisor_backend(sl_hypervisor *hv, const sl_hv_ops *ops)
{
    return hv && hv->ops == ops ? hv->backend : NULL;
}

const char *sl_hypervisor_name(const sl_hypervisor *hv)
{
    return hv->ops->name;
}

sl_clock *sl_hypervisor_clock(sl_hypervisor *hv)
{
    return hv->clock;
}

void sl_hv_notify(sl_hypervisor *hv, const char *host, sl_hv_phase phase,
                  const char *detail)
{
    sl_hv_event ev;

    if (!hv || !hv->on_event)
        return;
    ev.host = host;
    ev.phase = phase;
    ev.detail = detail;
    ev.at_ns = sl_clock_now_ns(hv->clock);
    hv->on_event(&ev, hv->event_data);
}

const char *sl_hv_phase_name(sl_hv_phase phase)
{
    switch (phase) {
    case SL_HV_PHASE_PREPARING_IMAGE: return "preparing-image";
    case SL_HV_PHASE_IMAGE_READY: return "image-ready";
    case SL_HV_PHASE_CREATING: return "creating";
    case SL_HV_PHASE_CREATED: return "created";
    case SL_HV_PHASE_STARTING: return "starting";
    case SL_HV_PHASE_BOOTING: return "booting";
    case SL_HV_PHASE_BOOTED: return "booted";
    case SL_HV_PHASE_WAITING_FOR_ADDRESS: return "waiting-for-address";
    case SL_HV_PHASE_ADDRESS: return "address";
    case SL_HV_PHASE_DOCKER_WAITING: return "docker-waiting";
    case SL_HV_PHASE_DOCKER_ANSWERING: return "docker-answering";
    case SL_HV_PHASE_STOPPING: return "stopping";
    case SL_HV_PHASE_STOPPED: return "stopped";
    case SL_HV_PHASE_DESTROYING: return "destroying";
    case SL_HV_PHASE_DESTROYED: return "destroyed";
    case SL_HV_PHASE_POWER_LOST: return "power-lost";
    case SL_HV_PHASE_RETRYING: return "retrying";
    case SL_HV_PHASE_FAILED: return "failed";
    }
    return "unknown";
}

const char *sl_hv_state_name(sl_hv_state state)
{
    switch (state) {
    case SL_HV_STATE_UNKNOWN: return "unknown";
    case SL_HV_STATE_STOPPED: return "stopped";
    case SL_HV_STATE_BOOTING: return "booting";
    case SL_HV_STATE_RUNNING: return "running";
    case SL_HV_STATE_FAILED: return "failed";
    }
    return "unknown";
}

void sl_hv_format_duration(int64_t ns, char *buf, size_t size)
{
    if (ns % SL_NS_PER_SEC == 0)
        snprintf(buf, size, "%lld s", (long long)(ns / SL_NS_PER_SEC));
    else if (ns < SL_NS_PER_SEC && ns % SL_NS_PER_MS == 0)
        snprintf(buf, size, "%lld ms", (long long)(ns / SL_NS_PER_MS));
    else
        snprintf(buf, size, "%.3g s", (double)ns / (double)SL_NS_PER_SEC);
}

/* Argument checks --------------------------------------------------------- */

static int check_name(const char *what, const char *name, sl_error *err)
{
    size_t i, len;

    if (!name || !*name)
        return sl_error_set(err, SL_ERR_INVALID, "no %s name given", what);
    len = strlen(name);
    if (len > SL_HV_HOSTNAME_MAX)
        return sl_error_set(err, SL_ERR_INVALID,
                            "%s name '%.*s...' is longer than %d characters",
                            what, 20, name, SL_HV_HOSTNAME_MAX);
    for (i = 0; i < len; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '-' || c == '.' || c == '_'));

        if (!ok)
            return sl_error_set(err, SL_ERR_INVALID,
                                "%s name '%s' has a character that is not a "
                                "letter, a digit, '-', '.' or '_'",
                                what, name);
    }
    return 0;
}

static int check_os(const char *os, sl_error *err)
{
    if (os && strcmp(os, "linux") && strcmp(os, "windows"))
        return sl_error_set(err, SL_ERR_INVALID,
                            "unknown os '%s': expected 'linux' or 'windows'",
                            os);
    return 0;
}

static int check_host_spec(const sl_hv_host_spec *in, sl_hv_host_spec *out,
                           sl_error *err)
{
    if (!in)
        return sl_error_set(err, SL_ERR_INVALID, "no host spec given");
    *out = *in;
    if (check_name("host", out->name, err) < 0)
        return -1;
    if (!out->image || !*out->image)
        return sl_error_set(err, SL_ERR_INVALID,
                            "cannot create '%s': no image given", out->name);
    if (out->cpus < 0 || out->memory_mib < 0 || out->disk_gib < 0)
        return sl_error_set(err, SL_ERR_INVALID,
                            "cannot create '%s': negative cpus, memory or "
                            "disk", out->name);
    if (check_os(out->os, err) < 0)
        return -1;
    if (!out->cpus)
        out->cpus = 4;
    if (!out->memory_mib)
        out->memory_mib = 2048;
    if (!out->disk_gib)
        out->disk_gib = 20;
    if (!out->network || !*out->network)
        out->network = "default";
    return 0;
}

static int check_timeout(const char *name, int64_t timeout_ns, sl_error *err)
{
    if (timeout_ns < 0)
        return sl_error_set(err, SL_ERR_INVALID,
                            "negative timeout for '%s'", name);
    return 0;
}

/* Runs before and after each operation: a filled error and an event. */
static sl_error *begin(sl_error *err, sl_error *local)
{
    sl_error *e = err ? err : local;

    sl_error_clear(e);
    return e;
}

static int failed(sl_hypervisor *hv, const char *host, sl_error *e)
{
    if (e->code == SL_OK)
        sl_error_set(e, SL_ERR_INTERNAL,
                     "hypervisor '%s' failed on '%s' without saying why",
                     hv->ops->name, host ? host : "");
    sl_hv_notify(hv, host, SL_HV_PHASE_FAILED, e->message);
    return -1;
}

static int finish(sl_hypervisor *hv, const char *host, int rc,
                  sl_hv_phase done, const char *detail, sl_error *e)
{
    if (rc < 0)
        return failed(hv, host, e);
    sl_hv_notify(hv, host, done, detail);
    return 0;
}

/* Operations -------------------------------------------------------------- */

char *sl_hv_image_prepare(sl_hypervisor *hv, const sl_hv_image_spec *spec,
                          sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    char *image = NULL;

    if (!spec) {
        sl_error_set(e, SL_ERR_INVALID, "no image spec given");
        return NULL;
    }
    if (check_name("image", spec->name, e) < 0 || check_os(spec->os, e) < 0)
        return NULL;
    if (spec->format && strcmp(spec->format, "qcow2") &&
        strcmp(spec->format, "raw")) {
        sl_error_set(e, SL_ERR_INVALID,
                     "unknown image format '%s': expected 'qcow2' or 'raw'",
                     spec->format);
        return NULL;
    }
    sl_hv_notify(hv, spec->name, SL_HV_PHASE_PREPARING_IMAGE, spec->source);
    image = hv->ops->image_prepare(hv, spec, e);
    if (!image) {
        failed(hv, spec->name, e);
        return NULL;
    }
    sl_hv_notify(hv, spec->name, SL_HV_PHASE_IMAGE_READY, image);
    return image;
}

int sl_hv_host_create(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                      sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    sl_hv_host_spec full;
    int rc;

    if (check_host_spec(spec, &full, e) < 0)
        return -1;
    sl_hv_notify(hv, full.name, SL_HV_PHASE_CREATING, NULL);
    rc = hv->ops->host_create(hv, &full, e);
    return finish(hv, full.name, rc, SL_HV_PHASE_CREATED, NULL, e);
}

int sl_hv_host_start(sl_hypervisor *hv, const char *name, sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    int rc;

    if (check_name("host", name, e) < 0)
        return -1;
    sl_hv_notify(hv, name, SL_HV_PHASE_STARTING, NULL);
    rc = hv->ops->host_start(hv, name, e);
    return rc < 0 ? failed(hv, name, e) : 0;
}

int sl_hv_host_wait_booted(sl_hypervisor *hv, const char *name,
                           int64_t timeout_ns, sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    int rc;

    if (check_name("host", name, e) < 0 ||
        check_timeout(name, timeout_ns, e) < 0)
        return -1;
    sl_hv_notify(hv, name, SL_HV_PHASE_BOOTING, NULL);
    rc = hv->ops->host_wait_booted(hv, name, timeout_ns, e);
    return finish(hv, name, rc, SL_HV_PHASE_BOOTED, NULL, e);
}

int sl_hv_host_address(sl_hypervisor *hv, const char *name,
                       int64_t timeout_ns, char *addr, size_t size,
                       sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    int rc;

    if (check_name("host", name, e) < 0 ||
        check_timeout(name, timeout_ns, e) < 0)
        return -1;
    if (!addr || size == 0)
        return sl_error_set(e, SL_ERR_INVALID, "no room for an address");
    addr[0] = '\0';
    sl_hv_notify(hv, name, SL_HV_PHASE_WAITING_FOR_ADDRESS, NULL);
    rc = hv->ops->host_address(hv, name, timeout_ns, addr, size, e);
    return finish(hv, name, rc, SL_HV_PHASE_ADDRESS, addr, e);
}

int sl_hv_host_docker_endpoint(sl_hypervisor *hv, const char *name,
                               char *endpoint, size_t size, sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    int rc;

    if (check_name("host", name, e) < 0)
        return -1;
    if (!endpoint || size == 0)
        return sl_error_set(e, SL_ERR_INVALID, "no room for an endpoint");
    endpoint[0] = '\0';
    rc = hv->ops->host_docker_endpoint(hv, name, endpoint, size, e);
    return rc < 0 ? failed(hv, name, e) : 0;
}

int sl_hv_host_stop(sl_hypervisor *hv, const char *name, int64_t grace_ns,
                    sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    int rc;

    if (check_name("host", name, e) < 0 || check_timeout(name, grace_ns, e) < 0)
        return -1;
    sl_hv_notify(hv, name, SL_HV_PHASE_STOPPING, NULL);
    rc = hv->ops->host_stop(hv, name, grace_ns, e);
    return finish(hv, name, rc, SL_HV_PHASE_STOPPED, NULL, e);
}

int sl_hv_host_destroy(sl_hypervisor *hv, const char *name, sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    int rc;

    if (check_name("host", name, e) < 0)
        return -1;
    sl_hv_notify(hv, name, SL_HV_PHASE_DESTROYING, NULL);
    rc = hv->ops->host_destroy(hv, name, e);
    return finish(hv, name, rc, SL_HV_PHASE_DESTROYED, NULL, e);
}

sl_hv_host_info *sl_hv_host_list(sl_hypervisor *hv, size_t *count,
                                 sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    sl_hv_host_info *hosts;

    *count = 0;
    hosts = hv->ops->host_list(hv, count, e);
    if (!hosts && e->code == SL_OK)
        sl_error_set(e, SL_ERR_INTERNAL,
                     "hypervisor '%s' listed no hosts without saying why",
                     hv->ops->name);
    return hosts;
}

int sl_hv_free_capacity(sl_hypervisor *hv, sl_hv_capacity *free_out,
                        sl_error *err)
{
    free_out->cpus = free_out->memory_mib = free_out->disk_gib = -1;
    if (!hv->ops->capacity)
        return 0;
    return hv->ops->capacity(hv, free_out, err);
}

/* Why the network of 'hv' cannot be cut, into 'e'. */
static int no_partitions(sl_hypervisor *hv, sl_error *e)
{
    return sl_error_set(e, SL_ERR_UNSUPPORTED,
                        "hypervisor '%s' cannot cut the network between "
                        "hosts",
                        hv->ops->name);
}

/* A change of the network concerns no one host: no event, but an error
 * filled on failure. */
static int network_done(sl_hypervisor *hv, int rc, sl_error *e)
{
    if (rc < 0 && e->code == SL_OK)
        sl_error_set(e, SL_ERR_INTERNAL,
                     "hypervisor '%s' failed to change the network without "
                     "saying why",
                     hv->ops->name);
    return rc < 0 ? -1 : 0;
}

int sl_hv_partition(sl_hypervisor *hv, const char *const *hosts,
                    const int *sides, size_t n, sl_error *err)
{
    sl_error local, *e = begin(err, &local);
    size_t i;

    if (!hv->ops->partition || !hv->ops->heal)
        return no_partitions(hv, e);
    for (i = 0; i < n; i++) {
        if (check_name("host", hosts[i], e) < 0)
            return -1;
        if (sides[i] < 0 || sides[i] >= SL_HV_SIDES_MAX)
            return sl_error_set(e, SL_ERR_INVALID,
                                "invalid side %d for '%s': expected 0 to %d",
                                sides[i], hosts[i], SL_HV_SIDES_MAX - 1);
    }
    return network_done(hv, hv->ops->partition(hv, hosts, sides, n, e), e);
}

int sl_hv_heal(sl_hypervisor *hv, sl_error *err)
{
    sl_error local, *e = begin(err, &local);

    if (!hv->ops->partition || !hv->ops->heal)
        return no_partitions(hv, e);
    return network_done(hv, hv->ops->heal(hv, e), e);
}

int sl_hv_host_inspect(sl_hypervisor *hv, const char *name,
                       sl_hv_host_info *info, sl_error *err)
{
    sl_hv_host_info *hosts = NULL;
    size_t count = 0, i;
    int rc = -1;

    if (check_name("host", name, err) < 0)
        return -1;
    hosts = sl_hv_host_list(hv, &count, err);
    if (!hosts)
        return -1;
    for (i = 0; i < count; i++) {
        if (!strcmp(hosts[i].name, name)) {
            *info = hosts[i];
            rc = 0;
            goto cleanup;
        }
    }
    sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found", name);

cleanup:
    free(hosts);
    return rc;
}
