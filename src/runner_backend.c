/* The runner's backends: the faults each can produce, opening, boot faults. */
#include "runner_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_config.h"
#include "hv_netns.h"
#include "image_tar.h"
#include "tls.h"

/* 2026-01-01T00:00:00Z, where every virtual clock of a run starts. */
#define RN_EPOCH_NS (INT64_C(1767225600) * SL_NS_PER_SEC)
/* What a libvirt test-driver domain is given: it runs nothing, and the
 * driver's machine is small (3 GiB, a 100 GiB pool). */
#define RN_TEST_MEMORY_MIB 16
#define RN_TEST_DISK_GIB 1
/* The least a real VM's boot, address and Docker waits may take: a
 * scenario's limits are written for the fake, and four QEMU (TCG) guests
 * booting at once on two cores took 60-110 s to answer here. */
#define RN_REAL_VM_WAIT_NS (300 * SL_NS_PER_SEC)
/* netns hosts are real dockerd and containerd processes on this machine
 * (a dockerd alone holds about 90 MiB, and the swarm's forming and
 * scheduling keep them all busy): the backend is for a few hosts, as
 * many as the differential suite compares. */
#define RN_NETNS_MAX_HOSTS 8
/* A real wait is cut into slices this long, so that an interruption is
 * seen within one. */
#define RN_SLICE_NS (200 * SL_NS_PER_MS)

/* Choosing ------------------------------------------------------------- */

void sl__rn_choose_backend(rn_ctx *c)
{
    const sl_scenario *sc = c->sc;
    const sl_run_options *o = c->opts;
    bool own = !o->hypervisor || !strcmp(o->hypervisor, sc->backend.name);

    c->backend = o->hypervisor ? o->hypervisor : sc->backend.name;
    c->fake = !strcmp(c->backend, "fake");
    c->uri = o->uri ? o->uri : own ? sc->backend.uri : NULL;
    c->pool = o->pool ? o->pool : own ? sc->backend.pool : NULL;
    c->network = o->network ? o->network : own ? sc->backend.network : NULL;
    if (!strcmp(c->backend, "libvirt")) {
        const char *uri = c->uri ? c->uri : getenv("LIBVIRT_DEFAULT_URI");

        c->test_driver = uri && !strncmp(uri, "test:", 5);
        if (!c->pool && uri && !strcmp(uri, "test:///default"))
            c->pool = "default-pool";
    }
    c->seed = o->seed_given ? o->seed : sc->seed;
}

/* Why the backend cannot produce fault 'f', or NULL when it can. */
static const char *why_not(const rn_ctx *c, const sl_scenario_fault *f)
{
    bool boot = f->at == SL_MOMENT_DURING_BOOT;

    switch (f->kind) {
    case SL_FAULT_BOOT_FAILURE:
        return c->fake ? NULL : "cannot make a boot fail";
    case SL_FAULT_POWER_LOSS:
        return c->fake || !boot ? NULL
                                : "cannot cut the power during the build";
    case SL_FAULT_DAEMON_STOPS_ANSWERING:
        if (!c->fake)
            return "cannot make a Docker daemon stop answering";
        return boot && f->after_ns > 0
                   ? "cannot time a daemon's stop during the build"
                   : NULL;
    case SL_FAULT_SLOW_API:
        return boot ? "cannot slow the build's own calls" : NULL;
    case SL_FAULT_NETWORK_PARTITION:
        /* TODO: libvirt's hosts share its network; cutting it needs a
         * network filter per side. */
        return c->fake || !strcmp(c->backend, "netns")
                   ? NULL
                   : "cannot cut the network between hosts";
    default:
        return NULL;
    }
}

/* Appends ", ITEM" (or ITEM to an empty list) to 'list', a new string or
 * NULL; -1 when out of memory (the list is then freed). */
static int append_item(char **list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int append_item(char **list, const char *fmt, ...)
{
    char *item, *more;
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vasprintf(&item, fmt, ap);
    va_end(ap);
    if (rc >= 0)
        rc = asprintf(&more, "%s%s%s", *list ? *list : "", *list ? ", " : "",
                      item);
    if (rc >= 0)
        free(item);
    free(*list);
    *list = rc >= 0 ? more : NULL;
    return rc < 0 ? -1 : 0;
}

/* Appends to 'list' the services of 'stack' whose image is not the one
 * netns hosts hold; -1 when out of memory. */
static int foreign_images(const sl_stack *stack, char **list)
{
    for (size_t i = 0; stack && i < stack->n_services; i++) {
        const sl_docker_service_def *d = &stack->services[i].def;

        if ((!d->image || strcmp(d->image, SL_HV_NETNS_IMAGE)) &&
            append_item(list, "%s (%s)", d->name, d->image ? d->image : "")
            < 0)
            return -1;
    }
    return 0;
}

/* Why netns cannot give the scenario the images it runs, in a new string,
 * or NULL: its hosts reach no registry and hold bb:1 only. A scenario
 * that says so itself ("registry": false) expects just that. */
static char *netns_no_registry(const rn_ctx *c)
{
    char *list = NULL, *reason = NULL;

    if (c->sc->backend.no_registry)
        return NULL;
    if (foreign_images(c->sc->services, &list) < 0 ||
        foreign_images(c->sc->compose, &list) < 0)
        return NULL;
    for (size_t i = 0; i < c->sc->n_faults; i++) {
        const sl_scenario_fault *f = &c->sc->faults[i];

        if (f->kind == SL_FAULT_UPDATE && f->image &&
            strcmp(f->image, SL_HV_NETNS_IMAGE) &&
            append_item(&list, "%s (%s, %s)", f->service, f->path,
                        f->image) < 0)
            return NULL;
    }
    if (list && asprintf(&reason, "'netns' hosts reach no registry and hold "
                         "only %s: %s", SL_HV_NETNS_IMAGE, list) < 0)
        reason = NULL;
    free(list);
    return reason;
}

/* Why netns cannot make the scenario's hosts, in a new string, or NULL:
 * its hosts run Linux, on this machine. */
static char *netns_unsupported(const rn_ctx *c)
{
    size_t windows = 0;
    char *reason = NULL;

    for (size_t i = 0; i < c->sc->n_hosts; i++)
        windows += c->sc->hosts[i].os && !strcmp(c->sc->hosts[i].os,
                                                 "windows");
    if (windows && asprintf(&reason, "'netns' hosts run Linux only: %zu of "
                            "the %zu hosts are Windows", windows,
                            c->sc->n_hosts) < 0)
        return NULL;
    if (!windows && c->sc->n_hosts > RN_NETNS_MAX_HOSTS &&
        asprintf(&reason, "'netns' runs at most %d hosts on this machine, "
                 "not %zu", RN_NETNS_MAX_HOSTS, c->sc->n_hosts) < 0)
        return NULL;
    return reason;
}

char *sl__rn_unsupported(rn_ctx *c)
{
    char *reason = NULL;

    if (!strcmp(c->backend, "netns") &&
        ((reason = netns_unsupported(c)) || (reason = netns_no_registry(c))))
        return reason;
    for (size_t i = 0; i < c->sc->n_faults; i++) {
        const sl_scenario_fault *f = &c->sc->faults[i];
        const char *why = why_not(c, f);

        if (why && asprintf(&reason, "%s %s: '%s' %s", f->path,
                            sl_fault_kind_name(f->kind), c->backend,
                            why) < 0)
            return NULL;
        if (why)
            return reason;
    }
    return NULL;
}

/* Events ------------------------------------------------------------------ */

/* Progress of the hosts. Their times are left out of reports: hosts that
 * boot in parallel report in the order their threads happen to run, and
 * a boot's end is reported when some thread sees the clock past it. What
 * is kept is how often each host's steps (boots, joins) were retried. */
static void add_event(rn_ctx *c, const char *host, const char *phase,
                      const char *detail, int64_t at_ns)
{
    json_t *count;

    (void)detail;
    (void)at_ns;
    if (!host || strcmp(phase, "retrying"))
        return;
    pthread_mutex_lock(&c->lock);
    if (c->retries) {
        count = json_object_get(c->retries, host);
        json_object_set_new(c->retries, host,
                            json_integer(json_integer_value(count) + 1));
    }
    pthread_mutex_unlock(&c->lock);
}

static void on_hv_event(const sl_hv_event *ev, void *data)
{
    add_event(data, ev->host, sl_hv_phase_name(ev->phase), ev->detail,
              ev->at_ns);
}

void sl__rn_progress(const sl_progress *p, void *data)
{
    add_event(data, p->host, p->phase, p->detail, p->at_ns);
}

/* Opening ----------------------------------------------------------------- */

/* The test driver's paired daemons report the planned CPUs and memory,
 * not the token sizes their domains are defined with. */
static int paired_attach(void *data, const sl_hv_host_info *host,
                         char *endpoint, size_t size, sl_error *err)
{
    rn_ctx *c = data;
    const sl_scenario_host *sh = sl_scenario_find_host(c->sc, host->name);
    sl_hv_host_info planned = *host;

    if (sh) {
        planned.cpus = sh->cpus;
        planned.memory_mib = sh->memory_mib;
    }
    return c->paired_hook.attach(c->paired_hook.data, &planned, endpoint,
                                 size, err);
}

static void paired_detach(void *data, const char *host)
{
    rn_ctx *c = data;

    c->paired_hook.detach(c->paired_hook.data, host);
}

static int pair_daemons(rn_ctx *c, sl_hv_options *opts, sl_error *err)
{
    c->pairing = c->sim->pair(c->seed, c->sc->backend.no_registry, c->clock,
                              &c->paired_hook, err);
    if (!c->pairing)
        return -1;
    opts->docker_hook.attach = paired_attach;
    opts->docker_hook.detach = paired_detach;
    opts->docker_hook.data = c;
    sl__rn_note(c, "libvirt test driver: domains are defined with %d MiB "
                "and %d GiB and paired with fake daemons that report the "
                "planned size", RN_TEST_MEMORY_MIB, RN_TEST_DISK_GIB);
    return 0;
}

static int set_boot_times(rn_ctx *c, sl_error *err)
{
    for (size_t i = 0; i < c->sc->n_hosts; i++) {
        const sl_scenario_host *h = &c->sc->hosts[i];

        if (h->boot_ns > 0 &&
            c->sim->set_boot_time(c->hv, h->name, h->boot_ns, err) < 0)
            return -1;
    }
    return 0;
}

/* The image the library's services run, imported into every host once
 * its Docker API answers, as netns hosts hold it: for hosts that reach
 * no registry. */
static int import_busybox(rn_ctx *c, sl_error *err)
{
    if (sl_image_busybox_tar(SL_IMAGE_BUSYBOX, &c->busybox_tar,
                             &c->busybox_len, err) < 0)
        return -1;
    c->import = (sl_image_import){SL_HV_NETNS_IMAGE, NULL, c->busybox_tar,
                                  c->busybox_len};
    return 0;
}

/* A real libvirt hypervisor: its hosts get TLS material from a directory
 * beside the run's state file, and the runner talks to them with the
 * client certificate; consoles log where $SWARMLAB_CONSOLE_LOG_DIR says. */
static int prepare_real_hosts(rn_ctx *c, sl_hv_options *opts, sl_error *err)
{
    char state[PATH_MAX + 16];
    const char *console = getenv("SWARMLAB_CONSOLE_LOG_DIR");
    char *dir;

    snprintf(state, sizeof(state), "%s/state.json", c->dir);
    dir = sl_tls_dir_for_state(state);
    if (!dir)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    c->guest = sl_guest_config_new(dir, err);
    free(dir);
    if (!c->guest)
        return -1;
    if (import_busybox(c, err) < 0)
        return -1;
    opts->guest_hook = sl_guest_config_hook(c->guest);
    sl_guest_config_docker(c->guest, &c->docker);
    if (console && *console)
        opts->console_log_dir = console;
    return 0;
}

int sl__rn_open_backend(rn_ctx *c, sl_error *err)
{
    struct sl_fake_hv_config *cfg = NULL;
    sl_hv_options opts;

    if ((c->fake || c->test_driver) && !c->sim)
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "no fakes to run '%s' "
                            "with", c->test_driver ? c->uri : c->backend);
    sl_scenario_hv_options(c->sc, &opts);
    opts.uri = c->uri;
    opts.pool = c->pool;
    opts.seed = c->seed;
    opts.on_event = on_hv_event;
    opts.event_data = c;
    if (c->fake || c->test_driver) {
        c->clock = sl_clock_new_virtual(RN_EPOCH_NS);
        if (!c->clock)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        opts.clock = c->clock;
    }
    if (c->fake) {
        cfg = c->sim->fake_config(&c->sc->backend, err);
        if (!cfg)
            return -1;
        opts.fake = cfg;
    }
    if (c->test_driver && pair_daemons(c, &opts, err) < 0) {
        free(cfg);
        return -1;
    }
    /* Simulated hosts without a registry hold what real ones do. */
    if ((c->fake || c->test_driver) && c->sc->backend.no_registry &&
        import_busybox(c, err) < 0) {
        free(cfg);
        return -1;
    }
    if (!strcmp(c->backend, "libvirt") && !c->test_driver &&
        prepare_real_hosts(c, &opts, err) < 0)
        return -1;
    if (!strcmp(c->backend, "netns") && c->opts->netns_root) {
        sl_hv_netns_config netns = {0};

        netns.root = c->opts->netns_root;
        c->hv = sl_hv_netns_open_config(&opts, &netns, err);
    } else {
        c->hv = sl_hypervisor_open(c->backend, &opts, err);
    }
    free(cfg);
    if (!c->hv)
        return -1;
    c->t0 = sl_clock_now_ns(sl_hypervisor_clock(c->hv));
    return c->fake ? set_boot_times(c, err) : 0;
}

void sl__rn_close_backend(rn_ctx *c)
{
    sl_hypervisor_close(c->hv);
    if (c->pairing)
        c->sim->unpair(c->pairing);
    sl_clock_free(c->clock);
    sl_guest_config_free(c->guest);
    c->guest = NULL;
    free(c->busybox_tar);
    c->busybox_tar = NULL;
    c->hv = NULL;
    c->pairing = NULL;
    c->clock = NULL;
}

void sl__rn_poll(rn_ctx *c)
{
    if (c->fake)
        c->sim->poll(c->hv);
}

void sl__rn_sleep(rn_ctx *c, int64_t ns)
{
    sl_clock *clock = sl_hypervisor_clock(c->hv);
    int64_t end = sl_clock_now_ns(clock) + ns;

    while (!sl_clock_is_virtual(clock) && ns > RN_SLICE_NS &&
           !sl__rn_interrupted(c)) {
        sl_clock_sleep_ns(clock, RN_SLICE_NS);
        ns = end - sl_clock_now_ns(clock);
    }
    if (!c->interrupted)
        sl_clock_sleep_ns(clock, ns);
    sl__rn_poll(c);
}

/* Faults during the boot (the fake only: others are skipped) ---------- */

static int boot_fault(rn_ctx *c, const sl_scenario_fault *f, sl_error *err)
{
    rn_host *h = sl__rn_host(c, f->host);

    switch (f->kind) {
    case SL_FAULT_BOOT_FAILURE:
        return c->sim->fail_boot(c->hv, f->host, f->times, err);
    case SL_FAULT_POWER_LOSS:
        return c->sim->power_loss_at(c->hv, f->host, c->t0 + f->after_ns,
                                     err);
    case SL_FAULT_DAEMON_STOPS_ANSWERING:
        if (h)
            h->frozen = true;
        return c->sim->stop_answering(c->hv, f->host, err);
    default:
        return sl_error_set(err, SL_ERR_UNSUPPORTED, "'%s' cannot happen "
                            "during the boot",
                            sl_fault_kind_name(f->kind));
    }
}

int sl__rn_boot_faults(rn_ctx *c, sl_error *err)
{
    for (size_t i = 0; i < c->sc->n_faults; i++) {
        const sl_scenario_fault *f = &c->sc->faults[i];
        json_t *step;

        if (f->at != SL_MOMENT_DURING_BOOT)
            continue;
        step = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "step",
                         sl_fault_kind_name(f->kind), "path", f->path,
                         "moment", "during-boot", "host", f->host, "at_ms",
                         (json_int_t)(f->after_ns / SL_NS_PER_MS));
        if (boot_fault(c, f, err) < 0) {
            json_object_set_new(step, "outcome", json_string("failed"));
            json_array_append_new(c->steps, step);
            return -1;
        }
        if (f->kind == SL_FAULT_BOOT_FAILURE)
            json_object_set_new(step, "times", json_integer(f->times));
        json_object_set_new(step, "outcome", json_string("set"));
        json_array_append_new(c->steps, step);
    }
    return 0;
}

/* The pipeline --------------------------------------------------------- */

static void shrink_role(sl_role_spec *r)
{
    r->memory_mib = RN_TEST_MEMORY_MIB;
    r->disk_gib = RN_TEST_DISK_GIB;
}

/* Every host sized as --cpus and --memory say, for small machines. */
static void size_role(const sl_run_options *o, sl_role_spec *r)
{
    if (o->host_cpus)
        r->cpus = o->host_cpus;
    if (o->host_memory_mib)
        r->memory_mib = o->host_memory_mib;
}

static void size_extra(const rn_ctx *c, sl_host_extra *x)
{
    if (c->test_driver) {
        x->memory_mib = RN_TEST_MEMORY_MIB;
        x->disk_gib = RN_TEST_DISK_GIB;
    }
    if (c->opts->host_cpus)
        x->cpus = c->opts->host_cpus;
    if (c->opts->host_memory_mib)
        x->memory_mib = c->opts->host_memory_mib;
}

int sl__rn_pipeline_spec(rn_ctx *c, sl_pipeline_spec *spec,
                         sl_host_extra **extras, sl_error *err)
{
    sl_host_extra *copy = NULL;

    sl_scenario_pipeline_spec(c->sc, spec);
    *extras = NULL;
    if (c->fake)
        spec->network = NULL;
    else if (c->network)
        spec->network = c->network;
    if (c->short_timeouts || c->guest)
        spec->docker = &c->docker;
    if (c->guest) {
        int64_t *waits[] = {&spec->boot_timeout_ns,
                            &spec->address_timeout_ns,
                            &spec->docker_timeout_ns};

        for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++)
            if (*waits[i] < RN_REAL_VM_WAIT_NS)
                *waits[i] = RN_REAL_VM_WAIT_NS;
    }
    if (c->busybox_tar) {
        spec->imports = &c->import;
        spec->n_imports = 1;
    }
    if (c->test_driver) {
        shrink_role(&spec->managers);
        shrink_role(&spec->workers);
        if (!spec->image.source && !spec->image.size_gib)
            spec->image.size_gib = 1; /* nothing boots from it there */
    }
    size_role(c->opts, &spec->managers);
    size_role(c->opts, &spec->workers);
    if (!spec->n_extras ||
        (!c->test_driver && !c->opts->host_cpus && !c->opts->host_memory_mib))
        return 0;
    copy = calloc(spec->n_extras, sizeof(*copy));
    if (!copy)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < spec->n_extras; i++) {
        copy[i] = spec->extras[i];
        size_extra(c, &copy[i]);
    }
    spec->extras = copy;
    *extras = copy;
    return 0;
}

bool sl__rn_shares_names(const sl_scenario *sc, const sl_run_options *opts)
{
    rn_ctx c;

    memset(&c, 0, sizeof(c));
    c.sc = sc;
    c.opts = opts;
    sl__rn_choose_backend(&c);
    return !c.fake && !c.test_driver && strcmp(c.backend, "netns");
}
