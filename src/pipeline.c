/* The provisioning pipeline: image, host VMs, waits, swarm, and their undoing. */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "image_tar.h"
#include "parallel.h"

#define DEFAULT_PARALLEL 8
#define DEFAULT_BOOT_RETRIES 2
#define DEFAULT_BOOT_TIMEOUT_NS (120 * SL_NS_PER_SEC)
#define DEFAULT_ADDRESS_TIMEOUT_NS (60 * SL_NS_PER_SEC)
#define DEFAULT_DOCKER_TIMEOUT_NS (60 * SL_NS_PER_SEC)
#define DEFAULT_IMPORT_TIMEOUT_NS (120 * SL_NS_PER_SEC)
#define FIRST_BACKOFF_NS (250 * SL_NS_PER_MS)
#define MAX_BACKOFF_NS (5 * SL_NS_PER_SEC)

/* The tarball of one import, read once for every host. */
typedef struct import_data {
    const char *ref;
    char *owned;    /* read from a file, or NULL */
    const char *tar;
    size_t len;
} import_data;

/* What the parallel host steps share. */
typedef struct run_ctx {
    sl_hypervisor *hv;
    sl_state *st;
    const sl_pipeline_spec *spec;
    sl_host_plan *hosts;
    char *made;     /* made[i]: this run created host i */
    const char *image;
    bool started;   /* every host was powered on before the waits */
    import_data *imports; /* spec->n_imports of them */
} run_ctx;

static void report(const sl_pipeline_spec *spec, sl_hypervisor *hv,
                   const char *host, const char *phase, const char *detail)
{
    sl_progress p = {host, phase, detail,
                     sl_clock_now_ns(sl_hypervisor_clock(hv))};

    if (spec->progress)
        spec->progress(&p, spec->progress_data);
}

static int64_t or_default(int64_t value, int64_t fallback)
{
    return value > 0 ? value : fallback;
}

/* Planning ------------------------------------------------------------------ */

static void plan_host(sl_host_plan *h, const char *name, bool manager,
                      const sl_role_spec *role)
{
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->manager = manager;
    h->cpus = role->cpus > 0 ? role->cpus : SL_DEFAULT_CPUS;
    h->memory_mib = or_default(role->memory_mib, SL_DEFAULT_MEMORY_MIB);
    h->disk_gib = or_default(role->disk_gib, SL_DEFAULT_DISK_GIB);
    h->os = role->os ? role->os : "linux";
    h->labels = role->labels;
    h->n_labels = role->n_labels;
}

/* Host names become hostnames and domain names: letters, digits and
 * '-', starting with a letter or digit, at most 63 characters. */
static bool valid_host_name(const char *name)
{
    size_t len = strlen(name);
    size_t i;

    if (len == 0 || len > 63 || name[0] == '-')
        return false;
    for (i = 0; i < len; i++) {
        char ch = name[i];

        if (!(ch == '-' || (ch >= '0' && ch <= '9') ||
              (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return false;
    }
    return true;
}

/* Plans the counted hosts of one role (PREFIX-mngr-N or PREFIX-wrkr-N)
 * and then the extras of that role into 'hosts'; returns how many. */
static size_t plan_role(const sl_pipeline_spec *spec, bool manager,
                        sl_host_plan *hosts)
{
    const char *prefix = spec->prefix ? spec->prefix : SL_DEFAULT_PREFIX;
    const sl_role_spec *role = manager ? &spec->managers : &spec->workers;
    char name[SL_HV_NAME_MAX];
    size_t n = 0;
    size_t i;
    int r;

    for (r = 0; r < role->count; r++) {
        snprintf(name, sizeof(name), "%s-%s-%d", prefix,
                 manager ? "mngr" : "wrkr", r);
        plan_host(&hosts[n++], name, manager, role);
    }
    for (i = 0; i < spec->n_extras; i++) {
        const sl_host_extra *x = &spec->extras[i];
        sl_role_spec own = {0, x->cpus, x->memory_mib, x->disk_gib, x->os,
                            x->labels, x->n_labels};

        if (x->manager == manager)
            plan_host(&hosts[n++], x->name, manager, &own);
    }
    return n;
}

sl_host_plan *sl_pipeline_plan(const sl_pipeline_spec *spec, size_t *count,
                               sl_error *err)
{
    int nm = spec->managers.count > 0 ? spec->managers.count : 0;
    int nw = spec->workers.count > 0 ? spec->workers.count : 0;
    size_t total = (size_t)nm + (size_t)nw + spec->n_extras;
    sl_host_plan *hosts = NULL;
    size_t n;
    size_t i;
    size_t k;

    if (total == 0)
        return sl_error_set(err, SL_ERR_INVALID, "a swarm needs at least "
                                                 "one host"), NULL;
    hosts = calloc(total, sizeof(*hosts));
    if (!hosts)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory"), NULL;

    n = plan_role(spec, true, hosts);
    if (n == 0) {
        sl_error_set(err, SL_ERR_INVALID, "a swarm needs at least one "
                                          "manager");
        goto fail;
    }
    n += plan_role(spec, false, hosts + n);
    for (i = 0; i < n; i++) {
        if (!valid_host_name(hosts[i].name)) {
            sl_error_set(err, SL_ERR_INVALID,
                         "invalid host name '%s': use letters, digits and "
                         "'-', at most 63",
                         hosts[i].name);
            goto fail;
        }
        for (k = 0; k < i; k++) {
            if (!strcmp(hosts[i].name, hosts[k].name)) {
                sl_error_set(err, SL_ERR_INVALID,
                             "host '%s' is listed twice", hosts[i].name);
                goto fail;
            }
        }
    }
    *count = n;
    return hosts;

fail:
    free(hosts);
    return NULL;
}

/* One host ------------------------------------------------------------------ */

static int record(run_ctx *r, const sl_host_plan *h, json_t *fields,
                  sl_error *err)
{
    return sl_state_update_host(r->st, h->name, fields, err);
}

/* Makes the host unless it exists already (kept from an earlier run). */
static int ensure_created(run_ctx *r, size_t i, sl_error *err)
{
    sl_host_plan *h = &r->hosts[i];
    sl_hv_host_spec hs = {0};
    sl_hv_host_info info;
    sl_error probe;

    if (sl_hv_host_inspect(r->hv, h->name, &info, &probe) == 0) {
        report(r->spec, r->hv, h->name, "reusing",
               sl_hv_state_name(info.state));
        return record(r, h, json_pack("{s:s}", "phase", "created"), err);
    }
    if (probe.code != SL_ERR_NOT_FOUND) {
        *err = probe;
        return -1;
    }

    /* Recorded before it exists, so a crash in between leaves a name that
     * destroy can look for rather than a host nobody knows about. */
    if (record(r, h, json_pack("{s:s, s:s, s:i, s:I, s:I, s:s}", "phase",
                               "creating", "role",
                               h->manager ? "manager" : "worker", "cpus",
                               h->cpus, "memory_mib",
                               (json_int_t)h->memory_mib, "disk_gib",
                               (json_int_t)h->disk_gib, "os", h->os),
               err) < 0)
        return -1;
    hs.name = h->name;
    hs.image = r->image;
    hs.cpus = h->cpus;
    hs.memory_mib = h->memory_mib;
    hs.disk_gib = h->disk_gib;
    hs.network = r->spec->network;
    hs.os = h->os;
    if (sl_hv_host_create(r->hv, &hs, err) < 0) {
        sl_state_remove_host(r->st, h->name, NULL);
        return -1;
    }
    r->made[i] = 1;
    return record(r, h, json_pack("{s:s}", "phase", "created"), err);
}

/* Starts the host and waits for its boot, starting it again after a
 * failed boot as often as allowed. */
static int boot(run_ctx *r, sl_host_plan *h, sl_error *err)
{
    int retries = r->spec->boot_retries < 0    ? 0
                  : r->spec->boot_retries == 0 ? DEFAULT_BOOT_RETRIES
                                               : r->spec->boot_retries;
    int64_t timeout = or_default(r->spec->boot_timeout_ns,
                                 DEFAULT_BOOT_TIMEOUT_NS);
    int attempt;

    for (attempt = 0;; attempt++) {
        /* A host powered on already is only waited for the first time:
         * starting it again would start a new boot if the first one has
         * failed meanwhile. */
        if ((attempt == 0 && r->started
                 ? 0
                 : sl_hv_host_start(r->hv, h->name, err)) == 0 &&
            sl_hv_host_wait_booted(r->hv, h->name, timeout, err) == 0)
            return 0;
        if (err->code != SL_ERR_API || attempt >= retries ||
            sl_cancel_check(r->spec->cancel, err) < 0)
            return -1;
        report(r->spec, r->hv, h->name, "retrying", err->message);
        if (sl_hv_host_stop(r->hv, h->name, 0, err) < 0)
            return -1;
    }
}

/* Waits until the host's Docker API answers a ping, with back-off on the
 * hypervisor's clock. */
static int wait_docker(run_ctx *r, sl_host_plan *h, sl_error *err)
{
    int64_t limit = or_default(r->spec->docker_timeout_ns,
                               DEFAULT_DOCKER_TIMEOUT_NS);
    sl_backoff b = sl_backoff_start(sl_hypervisor_clock(r->hv), limit,
                                    FIRST_BACKOFF_NS, MAX_BACKOFF_NS);
    sl_docker_config cfg = {0};
    sl_docker_ping_result ping;
    sl_docker_client *c = NULL;
    char limit_text[32];
    int rc = -1;

    b.cancel = r->spec->cancel;
    if (r->spec->docker)
        cfg = *r->spec->docker;
    cfg.host = h->endpoint;
    c = sl_docker_client_new(&cfg, err);
    if (!c)
        return -1;
    sl_hv_notify(r->hv, h->name, SL_HV_PHASE_DOCKER_WAITING, h->endpoint);
    for (;;) {
        if (sl_docker_ping(c, &ping, err) == 0) {
            rc = 0;
            break;
        }
        if (!sl_backoff_left(&b))
            break;
        sl_backoff_sleep(&b);
    }
    if (rc == 0) {
        sl_hv_notify(r->hv, h->name, SL_HV_PHASE_DOCKER_ANSWERING,
                     ping.api_version);
    } else if (sl_cancel_check(r->spec->cancel, err) == 0) {
        char cause[sizeof(err->message)];

        snprintf(cause, sizeof(cause), "%s", err->message);
        sl_hv_format_duration(limit, limit_text, sizeof(limit_text));
        sl_error_set(err, SL_ERR_TIMEOUT,
                     "docker on '%s' did not answer at '%s' within %s: %s",
                     h->name, h->endpoint, limit_text, cause);
    }
    sl_docker_client_free(c);
    return rc;
}

/* Imports ------------------------------------------------------------------ */

static void imports_free(import_data *d, size_t n)
{
    size_t i;

    for (i = 0; d && i < n; i++)
        free(d[i].owned);
    free(d);
}

/* The tarballs of spec->imports, those named by path read whole. */
static import_data *imports_load(const sl_pipeline_spec *spec, sl_error *err)
{
    import_data *d = calloc(spec->n_imports + 1, sizeof(*d));
    size_t i;

    if (!d)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory"), NULL;
    for (i = 0; i < spec->n_imports; i++) {
        const sl_image_import *im = &spec->imports[i];

        d[i].ref = im->ref;
        if (!im->ref || !*im->ref) {
            sl_error_set(err, SL_ERR_INVALID,
                         "an image import needs a reference such as "
                         "'bb:1'");
            goto fail;
        }
        if (im->path) {
            if (sl_image_tar_read(im->path, &d[i].owned, &d[i].len, err) < 0)
                goto fail;
            d[i].tar = d[i].owned;
        } else {
            d[i].tar = im->tar;
            d[i].len = im->len;
        }
    }
    return d;

fail:
    imports_free(d, spec->n_imports);
    return NULL;
}

int sl_pipeline_check_imports(const sl_pipeline_spec *spec, sl_error *err)
{
    import_data *d = imports_load(spec, err);

    imports_free(d, spec->n_imports);
    return d ? 0 : -1;
}

/* Names the image and the host in the failure of an import. */
static int import_failed(const sl_host_plan *h, const char *ref,
                         sl_error *err)
{
    char why[sizeof(err->message)];
    int status = err->http_status;

    snprintf(why, sizeof(why), "%s", err->message);
    sl_error_set(err, err->code, "cannot import '%s' into '%s': %s", ref,
                 h->name, why);
    err->http_status = status;
    return -1;
}

/* Imports the run's images into the host, whose Docker API answers. */
static int import_images(run_ctx *r, sl_host_plan *h, sl_error *err)
{
    int64_t limit = or_default(r->spec->import_timeout_ns,
                               DEFAULT_IMPORT_TIMEOUT_NS);
    sl_docker_config cfg = {0};
    sl_docker_client *c = NULL;
    size_t i;
    int rc = 0;

    if (r->spec->n_imports == 0)
        return 0;
    if (r->spec->docker)
        cfg = *r->spec->docker;
    cfg.host = h->endpoint;
    cfg.timeout_ms = (long)(limit / SL_NS_PER_MS);
    c = sl_docker_client_new(&cfg, err);
    if (!c)
        return -1;
    for (i = 0; i < r->spec->n_imports && rc == 0; i++) {
        const import_data *d = &r->imports[i];
        char *id;

        if (sl_cancel_check(r->spec->cancel, err) < 0) {
            rc = -1;
            break;
        }
        report(r->spec, r->hv, h->name, "importing", d->ref);
        id = sl_docker_image_import(c, d->ref, d->tar, d->len, err);
        if (!id)
            rc = import_failed(h, d->ref, err);
        free(id);
    }
    sl_docker_client_free(c);
    return rc;
}

/* Refuses the whole set of hosts still to be made when the hypervisor
 * cannot hold them all, before any is made. */
static int check_capacity(run_ctx *r, size_t n, sl_error *err)
{
    sl_hv_capacity left;
    sl_hv_host_info info;
    sl_error probe;
    int64_t cpus = 0, mem = 0, disk = 0;
    size_t i;

    if (sl_hv_free_capacity(r->hv, &left, err) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        if (sl_hv_host_inspect(r->hv, r->hosts[i].name, &info, &probe) == 0)
            continue; /* made by an earlier run */
        cpus += r->hosts[i].cpus;
        mem += r->hosts[i].memory_mib;
        disk += r->hosts[i].disk_gib;
    }
    if (left.cpus >= 0 && cpus > left.cpus)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create the hosts: they need %lld CPUs, "
                            "%lld are free",
                            (long long)cpus, (long long)left.cpus);
    if (left.memory_mib >= 0 && mem > left.memory_mib)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create the hosts: they need %lld MiB "
                            "memory, %lld are free",
                            (long long)mem, (long long)left.memory_mib);
    if (left.disk_gib >= 0 && disk > left.disk_gib)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create the hosts: they need %lld GiB "
                            "disk, %lld are free",
                            (long long)disk, (long long)left.disk_gib);
    return 0;
}

/* Reports the failure of host 'h' and names it in 'err' unless a place
 * is named already. Returns -1. */
static int host_failed(run_ctx *r, const sl_host_plan *h, sl_error *err)
{
    if (err->code == SL_ERR_CANCELLED)
        report(r->spec, r->hv, h->name, "cancelled", NULL);
    else
        report(r->spec, r->hv, h->name, "failed", err->message);
    if (!err->where[0])
        sl_error_where(err, "%s", h->name);
    return -1;
}

static int create_step(void *ctx, size_t i, sl_error *err)
{
    run_ctx *r = ctx;

    if (sl_cancel_check(r->spec->cancel, err) == 0 &&
        ensure_created(r, i, err) == 0)
        return 0;
    return host_failed(r, &r->hosts[i], err);
}

/* Powers host i on; its boot goes on by itself. */
static int start_step(void *ctx, size_t i, sl_error *err)
{
    run_ctx *r = ctx;

    if (sl_cancel_check(r->spec->cancel, err) == 0 &&
        sl_hv_host_start(r->hv, r->hosts[i].name, err) == 0)
        return 0;
    return host_failed(r, &r->hosts[i], err);
}

/* Brings started host i to a Docker API that answers, with the images
 * imported. */
static int bring_up(void *ctx, size_t i, sl_error *err)
{
    run_ctx *r = ctx;
    sl_host_plan *h = &r->hosts[i];
    int64_t addr_timeout = or_default(r->spec->address_timeout_ns,
                                      DEFAULT_ADDRESS_TIMEOUT_NS);

    /* TODO: the hypervisor's own waits (boot, address) run to their end
     * once begun; the cancel flag is seen before and after them. */
    if (sl_cancel_check(r->spec->cancel, err) < 0 || boot(r, h, err) < 0)
        goto fail;
    if (sl_cancel_check(r->spec->cancel, err) < 0 ||
        sl_hv_host_address(r->hv, h->name, addr_timeout, h->address,
                           sizeof(h->address), err) < 0 ||
        record(r, h, json_pack("{s:s, s:s}", "phase", "booted", "address",
                               h->address), err) < 0)
        goto fail;
    if (sl_cancel_check(r->spec->cancel, err) < 0 ||
        sl_hv_host_docker_endpoint(r->hv, h->name, h->endpoint,
                                   sizeof(h->endpoint), err) < 0 ||
        wait_docker(r, h, err) < 0)
        goto fail;
    if (record(r, h, json_pack("{s:s, s:s}", "phase", "docker",
                               "docker_host", h->endpoint), err) < 0 ||
        import_images(r, h, err) < 0)
        goto fail;
    return 0;

fail:
    return host_failed(r, h, err);
}

/* Destroys what this run made and forgets it. */
static void roll_back(run_ctx *r, size_t n)
{
    sl_error ignored;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!r->made[i])
            continue;
        report(r->spec, r->hv, r->hosts[i].name, "rolling-back", NULL);
        if (sl_hv_host_destroy(r->hv, r->hosts[i].name, &ignored) == 0 ||
            ignored.code == SL_ERR_NOT_FOUND)
            sl_state_remove_host(r->st, r->hosts[i].name, &ignored);
    }
}

/* A build that failed once asked to stop was cancelled, whatever step
 * noticed first: a wait cut short ends as a timeout would. */
static void cancelled(const sl_pipeline_spec *spec, sl_error *err)
{
    if (sl_cancelled(spec->cancel) && err->code != SL_ERR_CANCELLED)
        sl_error_set(err, SL_ERR_CANCELLED,
                     "cancelled: the build was asked to stop");
}

static char *prepare_image(sl_hypervisor *hv, const sl_pipeline_spec *spec,
                           sl_error *err)
{
    sl_hv_image_spec img = spec->image;

    if (!img.name)
        img.name = SL_DEFAULT_IMAGE;
    return sl_hv_image_prepare(hv, &img, err);
}

/* Makes the hosts one after another, in the plan's order, so that names,
 * addresses and IDs come out the same every time; defining a VM is quick.
 * With more than one at a time, all are powered on at once and their
 * boots, addresses and Docker APIs are waited for in parallel, which is
 * what takes time; one at a time is the original tool's way: each host is
 * made, booted and waited for before the next. */
static int run_hosts(run_ctx *r, size_t n, sl_error *err)
{
    int parallel = r->spec->parallel > 0 ? r->spec->parallel
                                         : DEFAULT_PARALLEL;
    size_t i;

    if (check_capacity(r, n, err) < 0)
        return -1;
    if (parallel == 1) {
        for (i = 0; i < n; i++) {
            if (create_step(r, i, err) < 0 || bring_up(r, i, err) < 0)
                return -1;
        }
        return 0;
    }
    if (sl_parallel_for(n, 1, create_step, r, NULL, err) < 0 ||
        sl_parallel_for(n, 1, start_step, r, NULL, err) < 0)
        return -1;
    r->started = true;
    return sl_parallel_for(n, parallel, bring_up, r, NULL, err);
}

static void fill_members(const sl_host_plan *hosts, size_t n,
                         sl_swarm_member *members)
{
    size_t i;

    for (i = 0; i < n; i++) {
        members[i].name = hosts[i].name;
        members[i].docker_host = hosts[i].endpoint;
        members[i].addr = hosts[i].address;
        members[i].manager = hosts[i].manager;
        members[i].labels = hosts[i].labels;
        members[i].n_labels = hosts[i].n_labels;
    }
}

static void forward_progress(const sl_progress *p, void *data)
{
    const sl_pipeline_spec *spec = data;

    if (spec->progress)
        spec->progress(p, spec->progress_data);
}

static int form(run_ctx *r, size_t n, sl_swarm_summary *summary,
                sl_error *err)
{
    sl_swarm_member *members = calloc(n, sizeof(*members));
    sl_swarm_form_opts opts = {0};
    int rc;

    if (!members)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    fill_members(r->hosts, n, members);
    opts.parallel = r->spec->parallel > 0 ? r->spec->parallel
                                          : DEFAULT_PARALLEL;
    opts.clock = sl_hypervisor_clock(r->hv);
    opts.docker = r->spec->docker;
    opts.progress = forward_progress;
    opts.progress_data = (void *)r->spec;
    opts.cancel = r->spec->cancel;
    rc = sl_swarm_form(members, n, &opts, summary, err);
    free(members);
    return rc;
}

int sl_pipeline_swarm_create(sl_hypervisor *hv, sl_state *st,
                             const sl_pipeline_spec *spec,
                             sl_swarm_summary *summary, sl_host_plan **plan,
                             size_t *plan_count, sl_error *err)
{
    run_ctx r = {hv, st, spec, NULL, NULL, NULL, false, NULL};
    sl_swarm_summary s;
    char *image = NULL;
    size_t n = 0;
    size_t i;
    int rc = -1;

    memset(&s, 0, sizeof(s));
    r.hosts = sl_pipeline_plan(spec, &n, err);
    if (!r.hosts)
        return -1;
    r.imports = imports_load(spec, err);
    if (!r.imports)
        goto cleanup;
    r.made = calloc(n, 1);
    if (!r.made) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    image = sl_cancel_check(spec->cancel, err) == 0
                ? prepare_image(hv, spec, err)
                : NULL;
    if (!image)
        goto cleanup;
    r.image = image;
    if (sl_state_set(st, "image", json_string(image), err) < 0)
        goto cleanup;

    if (run_hosts(&r, n, err) < 0 || form(&r, n, &s, err) < 0) {
        cancelled(spec, err);
        if (!spec->keep_on_failure)
            roll_back(&r, n);
        goto cleanup;
    }
    for (i = 0; i < n; i++)
        record(&r, &r.hosts[i],
               json_pack("{s:s}", "phase", "joined"), NULL);
    if (sl_state_set(st, "swarm",
                     json_pack("{s:s, s:s, s:I, s:I}", "id", s.cluster_id,
                               "leader", s.leader, "managers",
                               (json_int_t)s.managers, "workers",
                               (json_int_t)s.workers), err) < 0)
        goto cleanup;
    if (summary)
        *summary = s;
    rc = 0;

cleanup:
    if (rc == 0 && plan) {
        *plan = r.hosts;
        *plan_count = n;
        r.hosts = NULL;
    }
    free(r.hosts);
    free(r.made);
    imports_free(r.imports, spec->n_imports);
    free(image);
    return rc;
}

int sl_pipeline_host_create(sl_hypervisor *hv, sl_state *st,
                            const sl_pipeline_spec *spec, sl_host_plan *host,
                            sl_error *err)
{
    char made = 0;
    run_ctx r = {hv, st, spec, host, &made, NULL, false, NULL};
    char *image = NULL;
    int rc = -1;

    r.imports = imports_load(spec, err);
    if (!r.imports)
        return -1;
    image = sl_cancel_check(spec->cancel, err) == 0
                ? prepare_image(hv, spec, err)
                : NULL;
    if (!image)
        goto cleanup;
    r.image = image;
    rc = run_hosts(&r, 1, err);
    if (rc < 0)
        cancelled(spec, err);
    if (rc < 0 && !spec->keep_on_failure)
        roll_back(&r, 1);

cleanup:
    imports_free(r.imports, spec->n_imports);
    free(image);
    return rc;
}

int sl_pipeline_destroy(sl_hypervisor *hv, sl_state *st,
                        sl_progress_fn progress, void *progress_data,
                        sl_error *err)
{
    json_t *hosts = json_deep_copy(json_object_get(sl_state_root(st),
                                                   "hosts"));
    sl_pipeline_spec spec = {0};
    const char *name;
    json_t *value;
    sl_error e;
    int rc = 0;

    spec.progress = progress;
    spec.progress_data = progress_data;
    json_object_foreach(hosts, name, value) {
        report(&spec, hv, name, "destroying", NULL);
        if ((sl_hv_host_destroy(hv, name, &e) < 0 &&
             e.code != SL_ERR_NOT_FOUND) ||
            sl_state_remove_host(st, name, &e) < 0) {
            if (rc == 0 && err)
                *err = e;
            rc = -1;
            continue;
        }
        report(&spec, hv, name, "destroyed", NULL);
    }
    json_decref(hosts);
    if (rc == 0)
        rc = sl_state_remove_file(st, err);
    return rc;
}
