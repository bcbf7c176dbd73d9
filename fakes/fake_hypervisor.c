/* The fake hypervisor: VMs booting on a virtual clock as fake Docker hosts. */
#include "fake_hypervisor.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_dockerd.h"

#define FK_NEVER INT64_MAX
#define FK_MIB (INT64_C(1) << 20)
/* 2026-01-01T00:00:00Z, where a clock of our own starts. */
#define FK_EPOCH_NS (INT64_C(1767225600) * SL_NS_PER_SEC)

/* Faults and settings for one host name. */
typedef struct fk_fault {
    char name[SL_HV_NAME_MAX];
    int64_t boot_ns;          /* 0: the server's */
    int boot_failures;        /* boots left to fail; -1: every one */
    bool boot_hangs;
    bool no_address;
    sl_fake_docker_fault docker;
    int64_t power_loss_at_ns; /* FK_NEVER: none pending */
} fk_fault;

typedef struct fk_host {
    char name[SL_HV_NAME_MAX];
    char image[SL_HV_NAME_MAX];
    char network[SL_HV_NAME_MAX];
    char os[16];
    int cpus;
    int64_t memory_mib, disk_gib;
    int slot;                  /* address slot: .2 is slot 0 */
    char mac[24];
    char addr[SL_HV_ADDR_MAX];
    int swarm_host;
    sl_hv_state state;
    bool lost_power;
    bool boot_fails;           /* the boot under way will fail */
    int64_t boot_done_ns;      /* when the boot under way ends */
    sl_fake_dockerd *dockerd;
    uint16_t docker_port;
    char docker_error[512];    /* why the daemon could not start */
} fk_host;

typedef struct fk_image {
    char name[SL_HV_NAME_MAX];
    char os[16];
} fk_image;

/* A phase to report once the lock is released. */
typedef struct fk_event {
    char host[SL_HV_NAME_MAX];
    sl_hv_phase phase;
} fk_event;

typedef struct fk_backend {
    pthread_mutex_t lock;
    sl_clock *clock;           /* borrowed from the hypervisor */
    uint64_t seed;
    int cpus;
    int64_t memory_mib, disk_gib, boot_ns;
    uint32_t subnet;           /* host order */
    int subnet_slots;
    char **networks;
    size_t n_networks;
    sl_fake_swarm *swarm;
    bool owns_swarm;
    char docker_bind[64];
    fk_host **hosts;           /* in creation order */
    size_t n_hosts;
    fk_image *images;
    size_t n_images;
    fk_fault *faults;
    size_t n_faults;
    fk_event *events;
    size_t n_events;
} fk_backend;

static const sl_hv_ops fk_ops;

/* Helpers ------------------------------------------------------------------ */

static fk_backend *fk_get(sl_hypervisor *hv)
{
    return sl_hypervisor_backend(hv, &fk_ops);
}

static fk_backend *fk_get_checked(sl_hypervisor *hv, sl_error *err)
{
    fk_backend *fk = fk_get(hv);

    if (!fk)
        sl_error_set(err, SL_ERR_INVALID, "hypervisor '%s' is not the fake",
                     hv ? sl_hypervisor_name(hv) : "");
    return fk;
}

static int64_t fk_now(fk_backend *fk)
{
    return sl_clock_now_ns(fk->clock);
}

static void *fk_grow(void *array, size_t *len, size_t size)
{
    char *grown = realloc(array, (*len + 1) * size);

    if (!grown)
        return NULL;
    memset(grown + *len * size, 0, size);
    (*len)++;
    return grown;
}

static fk_host *fk_host_find(fk_backend *fk, const char *name)
{
    size_t i;

    for (i = 0; i < fk->n_hosts; i++) {
        if (!strcmp(fk->hosts[i]->name, name))
            return fk->hosts[i];
    }
    return NULL;
}

static fk_fault *fk_fault_find(fk_backend *fk, const char *name)
{
    size_t i;

    for (i = 0; i < fk->n_faults; i++) {
        if (!strcmp(fk->faults[i].name, name))
            return &fk->faults[i];
    }
    return NULL;
}

/* The faults of 'name', made empty when there were none. */
static fk_fault *fk_fault_get(fk_backend *fk, const char *name,
                              sl_error *err)
{
    fk_fault *f = fk_fault_find(fk, name), *grown;

    if (f)
        return f;
    grown = fk_grow(fk->faults, &fk->n_faults, sizeof(*fk->faults));
    if (!grown) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot set a fault on '%s'", name);
        return NULL;
    }
    fk->faults = grown;
    f = &fk->faults[fk->n_faults - 1];
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->power_loss_at_ns = FK_NEVER;
    return f;
}

/* Queues a phase to report after the lock is released; dropped when out of
 * memory, as progress reports are not essential. */
static void fk_event_queue(fk_backend *fk, const char *host,
                           sl_hv_phase phase)
{
    fk_event *grown = fk_grow(fk->events, &fk->n_events, sizeof(*grown));

    if (!grown)
        return;
    fk->events = grown;
    snprintf(grown[fk->n_events - 1].host, SL_HV_NAME_MAX, "%s", host);
    grown[fk->n_events - 1].phase = phase;
}

static void fk_unlock(fk_backend *fk, sl_hypervisor *hv)
{
    fk_event *events = fk->events;
    size_t n = fk->n_events, i;

    fk->events = NULL;
    fk->n_events = 0;
    pthread_mutex_unlock(&fk->lock);
    for (i = 0; i < n; i++)
        sl_hv_notify(hv, events[i].host, events[i].phase, NULL);
    free(events);
}

/* The simulated host --------------------------------------------------- */

static void fk_swarm_set_up(fk_backend *fk, fk_host *h, bool up)
{
    sl_fake_swarm_lock(fk->swarm);
    sl_fake_swarm_set_host_up(fk->swarm, h->swarm_host, up);
    sl_fake_swarm_unlock(fk->swarm);
}

static void fk_docker_stop(fk_host *h)
{
    sl_fake_dockerd_stop(h->dockerd);
    h->dockerd = NULL;
}

/* Starts the host's daemon as its fault says; on the port it had before
 * when it can, so its endpoint stays the same across reboots. */
static void fk_docker_start(fk_backend *fk, fk_host *h)
{
    fk_fault *f = fk_fault_find(fk, h->name);
    sl_fake_docker_fault fault = f ? f->docker : SL_FAKE_DOCKER_OK;
    sl_error e;

    h->docker_error[0] = '\0';
    sl_error_clear(&e);
    if (!h->dockerd && h->docker_port)
        h->dockerd = sl_fake_dockerd_start(fk->swarm, h->swarm_host,
                                           fk->docker_bind, h->docker_port,
                                           &e);
    if (!h->dockerd)
        h->dockerd = sl_fake_dockerd_start(fk->swarm, h->swarm_host,
                                           fk->docker_bind, 0, &e);
    if (!h->dockerd) {
        snprintf(h->docker_error, sizeof(h->docker_error), "%s", e.message);
        return;
    }
    h->docker_port = sl_fake_dockerd_port(h->dockerd);
    if (fault == SL_FAKE_DOCKER_FROZEN)
        sl_fake_dockerd_set_frozen(h->dockerd, 1);
    else if (fault == SL_FAKE_DOCKER_DOWN)
        fk_docker_stop(h);
}

/* The boot under way ends: the host runs, or it failed. */
static void fk_boot_end(fk_backend *fk, fk_host *h)
{
    if (h->boot_fails) {
        h->state = SL_HV_STATE_FAILED;
        return;
    }
    h->state = SL_HV_STATE_RUNNING;
    fk_swarm_set_up(fk, h, true);
    fk_docker_start(fk, h);
}

/* The host stops at once; 'lost' when nobody asked. */
static void fk_power_down(fk_backend *fk, fk_host *h, bool lost)
{
    fk_docker_stop(h);
    if (h->state == SL_HV_STATE_RUNNING)
        fk_swarm_set_up(fk, h, false);
    h->state = SL_HV_STATE_STOPPED;
    h->lost_power = lost;
    if (lost)
        fk_event_queue(fk, h->name, SL_HV_PHASE_POWER_LOST);
}

/* Applies every timed event due by now, earliest first, ties in creation
 * order, so that threads racing on the clock see one history. */
static void fk_settle(fk_backend *fk)
{
    int64_t now = fk_now(fk);

    for (;;) {
        fk_host *next = NULL;
        fk_fault *power = NULL;
        int64_t when = FK_NEVER;
        size_t i;

        for (i = 0; i < fk->n_hosts; i++) {
            fk_host *h = fk->hosts[i];
            fk_fault *f = fk_fault_find(fk, h->name);

            if (h->state == SL_HV_STATE_BOOTING && h->boot_done_ns <= now &&
                h->boot_done_ns < when) {
                next = h;
                power = NULL;
                when = h->boot_done_ns;
            }
            if (f && f->power_loss_at_ns <= now &&
                f->power_loss_at_ns < when) {
                next = h;
                power = f;
                when = f->power_loss_at_ns;
            }
        }
        if (!next)
            return;
        if (power) {
            power->power_loss_at_ns = FK_NEVER;
            if (next->state == SL_HV_STATE_RUNNING ||
                next->state == SL_HV_STATE_BOOTING)
                fk_power_down(fk, next, true);
        } else {
            fk_boot_end(fk, next);
        }
    }
}

/* Moves the clock to 'until' (a virtual one under the lock, so that
 * parallel waits do not add up; a real one by sleeping without it), then
 * applies what became due. */
static void fk_sleep_until(fk_backend *fk, int64_t until)
{
    int64_t now = fk_now(fk);

    if (until > now) {
        if (sl_clock_is_virtual(fk->clock)) {
            sl_clock_advance_ns(fk->clock, until - now);
        } else {
            pthread_mutex_unlock(&fk->lock);
            sl_clock_sleep_ns(fk->clock, until - now);
            pthread_mutex_lock(&fk->lock);
        }
    }
    fk_settle(fk);
}

/* Opening and closing ------------------------------------------------------ */

static void fk_close(void *backend)
{
    fk_backend *fk = backend;
    size_t i;

    if (!fk)
        return;
    for (i = 0; i < fk->n_hosts; i++) {
        fk_docker_stop(fk->hosts[i]);
        free(fk->hosts[i]);
    }
    free(fk->hosts);
    for (i = 0; i < fk->n_networks; i++)
        free(fk->networks[i]);
    free(fk->networks);
    if (fk->owns_swarm)
        sl_fake_swarm_free(fk->swarm);
    free(fk->images);
    free(fk->faults);
    free(fk->events);
    pthread_mutex_destroy(&fk->lock);
    free(fk);
}

static int fk_parse_subnet(fk_backend *fk, const char *subnet, sl_error *err)
{
    char ip[INET_ADDRSTRLEN];
    const char *slash = strchr(subnet, '/');
    struct in_addr in;
    char *end = NULL;
    long prefix;
    uint32_t mask;

    if (!slash || (size_t)(slash - subnet) >= sizeof(ip))
        goto bad;
    memcpy(ip, subnet, (size_t)(slash - subnet));
    ip[slash - subnet] = '\0';
    prefix = strtol(slash + 1, &end, 10);
    if (inet_pton(AF_INET, ip, &in) != 1 || *end || prefix < 8 ||
        prefix > 29)
        goto bad;
    mask = UINT32_MAX << (32 - prefix);
    fk->subnet = ntohl(in.s_addr) & mask;
    fk->subnet_slots = (int)(~mask) - 2; /* no network, gateway, broadcast */
    return 0;

bad:
    return sl_error_set(err, SL_ERR_INVALID,
                        "invalid subnet '%s': expected 'a.b.c.d/8..29'",
                        subnet);
}

static int fk_set_networks(fk_backend *fk, const char *const *names,
                           sl_error *err)
{
    static const char *const just_default[] = {"default", NULL};
    size_t i, n = 0;

    if (!names)
        names = just_default;
    while (names[n])
        n++;
    fk->networks = calloc(n ? n : 1, sizeof(*fk->networks));
    if (!fk->networks)
        return sl_error_set(err, SL_ERR_NOMEM, "cannot open the fake");
    for (i = 0; i < n; i++) {
        fk->networks[i] = strdup(names[i]);
        if (!fk->networks[i])
            return sl_error_set(err, SL_ERR_NOMEM, "cannot open the fake");
        fk->n_networks++;
    }
    return 0;
}

static int fk_configure(fk_backend *fk, const sl_hv_options *opts,
                        sl_error *err)
{
    static const sl_fake_hv_config defaults;
    const sl_fake_hv_config *cfg = opts->fake ? opts->fake : &defaults;

    if (cfg->cpus < 0 || cfg->memory_mib < 0 || cfg->disk_gib < 0 ||
        cfg->boot_ns < 0)
        return sl_error_set(err, SL_ERR_INVALID,
                            "negative capacity or boot time for the fake");
    fk->seed = opts->seed;
    fk->cpus = cfg->cpus ? cfg->cpus : 64;
    fk->memory_mib = cfg->memory_mib ? cfg->memory_mib : 256 * 1024;
    fk->disk_gib = cfg->disk_gib ? cfg->disk_gib : 4096;
    fk->boot_ns = cfg->boot_ns ? cfg->boot_ns : 20 * SL_NS_PER_SEC;
    snprintf(fk->docker_bind, sizeof(fk->docker_bind), "%s",
             cfg->docker_bind ? cfg->docker_bind : "127.0.0.1");
    if (fk_parse_subnet(fk, cfg->subnet ? cfg->subnet : "10.200.0.0/24",
                        err) < 0 ||
        fk_set_networks(fk, cfg->networks, err) < 0)
        return -1;
    fk->swarm = cfg->swarm;
    if (!fk->swarm) {
        fk->swarm = sl_fake_swarm_new(opts->seed, fk->clock);
        if (!fk->swarm)
            return sl_error_set(err, SL_ERR_NOMEM, "cannot open the fake");
        fk->owns_swarm = true;
    }
    if (cfg->offline)
        sl_fake_swarm_set_offline(fk->swarm, true);
    return 0;
}

sl_hypervisor *sl_fake_hv_open(const sl_hv_options *opts, sl_error *err)
{
    fk_backend *fk = NULL;
    sl_clock *clock = opts->clock;

    if (!clock) {
        clock = sl_clock_new_virtual(FK_EPOCH_NS);
        if (!clock) {
            sl_error_set(err, SL_ERR_NOMEM, "cannot open the fake");
            return NULL;
        }
    }
    fk = calloc(1, sizeof(*fk));
    if (!fk) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot open the fake");
        goto fail;
    }
    pthread_mutex_init(&fk->lock, NULL);
    fk->clock = clock;
    if (fk_configure(fk, opts, err) < 0)
        goto fail;
    return sl_hypervisor_new(&fk_ops, fk, clock, !opts->clock, opts, err);

fail:
    fk_close(fk);
    if (!opts->clock)
        sl_clock_free(clock);
    return NULL;
}

int sl_fake_hv_register(sl_error *err)
{
    return sl_hypervisor_register("fake", sl_fake_hv_open, err);
}

/* Images ------------------------------------------------------------------- */

/* An image is made on first use, as if built; a source must be readable. */
static char *fk_image_prepare(sl_hypervisor *hv, const sl_hv_image_spec *spec,
                              sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    fk_image *grown;
    char *name = NULL;
    size_t i;

    pthread_mutex_lock(&fk->lock);
    for (i = 0; i < fk->n_images; i++) {
        if (!strcmp(fk->images[i].name, spec->name))
            goto found;
    }
    if (spec->source && access(spec->source, R_OK) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot read image '%s'", spec->source);
        goto cleanup;
    }
    grown = fk_grow(fk->images, &fk->n_images, sizeof(*grown));
    if (!grown)
        goto nomem;
    fk->images = grown;
    snprintf(grown[i].name, sizeof(grown[i].name), "%s", spec->name);
    snprintf(grown[i].os, sizeof(grown[i].os), "%s",
             spec->os ? spec->os : "linux");

found:
    name = strdup(spec->name);
    if (!name)
        goto nomem;
    goto cleanup;

nomem:
    sl_error_set(err, SL_ERR_NOMEM, "cannot prepare image '%s'", spec->name);

cleanup:
    pthread_mutex_unlock(&fk->lock);
    return name;
}

/* Creating ----------------------------------------------------------------- */

static const fk_image *fk_image_find(fk_backend *fk, const char *name)
{
    size_t i;

    for (i = 0; i < fk->n_images; i++) {
        if (!strcmp(fk->images[i].name, name))
            return &fk->images[i];
    }
    return NULL;
}

static bool fk_network_exists(fk_backend *fk, const char *name)
{
    size_t i;

    for (i = 0; i < fk->n_networks; i++) {
        if (!strcmp(fk->networks[i], name))
            return true;
    }
    return false;
}

/* What the hosts made so far hold. */
static void fk_used(fk_backend *fk, int64_t *cpus, int64_t *mem,
                    int64_t *disk)
{
    size_t i;

    *cpus = *mem = *disk = 0;
    for (i = 0; i < fk->n_hosts; i++) {
        *cpus += fk->hosts[i]->cpus;
        *mem += fk->hosts[i]->memory_mib;
        *disk += fk->hosts[i]->disk_gib;
    }
}

/* Refuses a host the server cannot hold, before anything is made. */
static int fk_check_capacity(fk_backend *fk, const sl_hv_host_spec *spec,
                             sl_error *err)
{
    int64_t cpus, mem, disk;

    fk_used(fk, &cpus, &mem, &disk);
    if (spec->cpus > fk->cpus - cpus)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': needs %d CPUs, %lld free of "
                            "%d", spec->name, spec->cpus,
                            (long long)(fk->cpus - cpus), fk->cpus);
    if (spec->memory_mib > fk->memory_mib - mem)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': needs %lld MiB memory, %lld "
                            "free of %lld", spec->name,
                            (long long)spec->memory_mib,
                            (long long)(fk->memory_mib - mem),
                            (long long)fk->memory_mib);
    if (spec->disk_gib > fk->disk_gib - disk)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': needs %lld GiB disk, %lld "
                            "free of %lld", spec->name,
                            (long long)spec->disk_gib,
                            (long long)(fk->disk_gib - disk),
                            (long long)fk->disk_gib);
    return 0;
}

/* The lowest address slot no host holds, or -1 when the subnet is full. */
static int fk_free_slot(fk_backend *fk)
{
    int slot;
    size_t i;

    for (slot = 0; slot < fk->subnet_slots; slot++) {
        for (i = 0; i < fk->n_hosts && fk->hosts[i]->slot != slot; i++)
            ;
        if (i == fk->n_hosts)
            return slot;
    }
    return -1;
}

static int fk_create_check(fk_backend *fk, const sl_hv_host_spec *spec,
                           sl_error *err)
{
    if (fk_host_find(fk, spec->name))
        return sl_error_set(err, SL_ERR_CONFLICT, "host '%s' exists already",
                            spec->name);
    if (!fk_network_exists(fk, spec->network))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "network '%s' not found",
                            spec->network);
    if (!fk_image_find(fk, spec->image))
        return sl_error_set(err, SL_ERR_NOT_FOUND, "image '%s' not found",
                            spec->image);
    if (fk_check_capacity(fk, spec, err) < 0)
        return -1;
    if (fk_free_slot(fk) < 0)
        return sl_error_set(err, SL_ERR_CAPACITY,
                            "cannot create '%s': no free address in the "
                            "subnet", spec->name);
    return 0;
}

/* Fills the host's address and MAC from its slot and the seed. */
static void fk_host_assign(fk_backend *fk, fk_host *h)
{
    uint32_t ip = fk->subnet + 2 + (uint32_t)h->slot;
    uint64_t mix = fk->seed * UINT64_C(0x9e3779b97f4a7c15);
    unsigned mac = (unsigned)h->slot + 2;

    snprintf(h->addr, sizeof(h->addr), "%u.%u.%u.%u", ip >> 24,
             (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
    snprintf(h->mac, sizeof(h->mac), "52:54:00:%02x:%02x:%02x",
             (unsigned)(mix >> 56), (mac >> 8) & 0xff, mac & 0xff);
}

/* Adds the host, powered off, to the simulated swarm. */
static int fk_swarm_add(fk_backend *fk, fk_host *h, sl_error *err)
{
    sl_fake_host_spec hs;

    memset(&hs, 0, sizeof(hs));
    hs.hostname = h->name;
    hs.addr = h->addr;
    hs.os = h->os;
    hs.nano_cpus = (int64_t)h->cpus * SL_NS_PER_SEC;
    hs.memory_bytes = h->memory_mib * FK_MIB;
    sl_fake_swarm_lock(fk->swarm);
    h->swarm_host = sl_fake_swarm_add_host(fk->swarm, &hs, err);
    if (h->swarm_host >= 0)
        sl_fake_swarm_set_host_up(fk->swarm, h->swarm_host, false);
    sl_fake_swarm_unlock(fk->swarm);
    return h->swarm_host < 0 ? -1 : 0;
}

static int fk_host_create(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                          sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    fk_host *h = NULL, **grown;
    int rc = -1;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    if (fk_create_check(fk, spec, err) < 0)
        goto cleanup;
    h = calloc(1, sizeof(*h));
    grown = realloc(fk->hosts, (fk->n_hosts + 1) * sizeof(*fk->hosts));
    if (!h || !grown) {
        if (grown)
            fk->hosts = grown;
        sl_error_set(err, SL_ERR_NOMEM, "cannot create '%s'", spec->name);
        goto cleanup;
    }
    fk->hosts = grown;
    snprintf(h->name, sizeof(h->name), "%s", spec->name);
    snprintf(h->image, sizeof(h->image), "%s", spec->image);
    snprintf(h->network, sizeof(h->network), "%s", spec->network);
    snprintf(h->os, sizeof(h->os), "%s",
             spec->os ? spec->os : fk_image_find(fk, spec->image)->os);
    h->cpus = spec->cpus;
    h->memory_mib = spec->memory_mib;
    h->disk_gib = spec->disk_gib;
    h->slot = fk_free_slot(fk);
    h->state = SL_HV_STATE_STOPPED;
    fk_host_assign(fk, h);
    if (fk_swarm_add(fk, h, err) < 0)
        goto cleanup;
    fk->hosts[fk->n_hosts++] = h;
    h = NULL;
    rc = 0;

cleanup:
    free(h);
    fk_unlock(fk, hv);
    return rc;
}

/* Running ------------------------------------------------------------------ */

static fk_host *fk_host_get(fk_backend *fk, const char *name, sl_error *err)
{
    fk_host *h = fk_host_find(fk, name);

    if (!h)
        sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found", name);
    return h;
}

static int fk_host_start(sl_hypervisor *hv, const char *name, sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    fk_fault *f;
    fk_host *h;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    h = fk_host_get(fk, name, err);
    if (h && h->state != SL_HV_STATE_RUNNING &&
        h->state != SL_HV_STATE_BOOTING) {
        f = fk_fault_find(fk, name);
        h->state = SL_HV_STATE_BOOTING;
        h->lost_power = false;
        h->boot_fails = f && f->boot_failures != 0;
        if (f && f->boot_failures > 0)
            f->boot_failures--;
        h->boot_done_ns = fk_now(fk) + (f && f->boot_ns ? f->boot_ns
                                                         : fk->boot_ns);
        if (f && f->boot_hangs)
            h->boot_done_ns = FK_NEVER;
        fk_settle(fk);
    }
    fk_unlock(fk, hv);
    return h ? 0 : -1;
}

/* Why a host that is not running cannot be waited on any longer. */
static int fk_not_running(fk_host *h, bool booting, sl_error *err)
{
    if (h->state == SL_HV_STATE_FAILED)
        return sl_error_set(err, SL_ERR_API, "host '%s' failed to boot",
                            h->name);
    if (h->lost_power)
        return sl_error_set(err, SL_ERR_CONFLICT, "host '%s' lost power",
                            h->name);
    return sl_error_set(err, SL_ERR_CONFLICT, booting
                        ? "host '%s' is not started"
                        : "host '%s' is not running", h->name);
}

/* Waits for the host to boot and, with 'addr', for its address. The
 * clock moves to the boot's end, a power loss, or the deadline, whichever
 * comes first. Called with the lock held. */
static int fk_wait(fk_backend *fk, const char *name, int64_t timeout_ns,
                   char *addr, size_t size, sl_error *err)
{
    int64_t deadline = fk_now(fk) + timeout_ns;
    char limit[32];

    for (;;) {
        fk_host *h = fk_host_get(fk, name, err);
        fk_fault *f;
        int64_t next;

        if (!h)
            return -1;
        f = fk_fault_find(fk, name);
        if (h->state == SL_HV_STATE_RUNNING && !addr)
            return 0;
        if (h->state == SL_HV_STATE_RUNNING && !(f && f->no_address)) {
            snprintf(addr, size, "%s", h->addr);
            return 0;
        }
        if (h->state != SL_HV_STATE_RUNNING &&
            h->state != SL_HV_STATE_BOOTING)
            return fk_not_running(h, !addr, err);
        if (fk_now(fk) >= deadline)
            break;
        next = deadline;
        if (h->state == SL_HV_STATE_BOOTING && h->boot_done_ns < next)
            next = h->boot_done_ns;
        if (f && f->power_loss_at_ns < next)
            next = f->power_loss_at_ns;
        fk_sleep_until(fk, next);
    }
    sl_hv_format_duration(timeout_ns, limit, sizeof(limit));
    if (addr)
        return sl_error_set(err, SL_ERR_TIMEOUT,
                            "no address for '%s' after %s", name, limit);
    return sl_error_set(err, SL_ERR_TIMEOUT, "host '%s' not booted after %s",
                        name, limit);
}

static int fk_host_wait_booted(sl_hypervisor *hv, const char *name,
                               int64_t timeout_ns, sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    int rc;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    rc = fk_wait(fk, name, timeout_ns, NULL, 0, err);
    fk_unlock(fk, hv);
    return rc;
}

static int fk_host_address(sl_hypervisor *hv, const char *name,
                           int64_t timeout_ns, char *addr, size_t size,
                           sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    int rc;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    rc = fk_wait(fk, name, timeout_ns, addr, size, err);
    fk_unlock(fk, hv);
    return rc;
}

static int fk_host_docker_endpoint(sl_hypervisor *hv, const char *name,
                                   char *endpoint, size_t size, sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    fk_host *h;
    int rc = -1;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    h = fk_host_get(fk, name, err);
    if (!h)
        goto cleanup;
    if (h->state != SL_HV_STATE_RUNNING) {
        fk_not_running(h, false, err);
        goto cleanup;
    }
    if (!h->docker_port) {
        sl_error_set(err, SL_ERR_IO, "no docker daemon for '%s': %s", name,
                     h->docker_error);
        goto cleanup;
    }
    snprintf(endpoint, size, "tcp://%s:%u", fk->docker_bind,
             (unsigned)h->docker_port);
    rc = 0;

cleanup:
    fk_unlock(fk, hv);
    return rc;
}

static int fk_host_stop(sl_hypervisor *hv, const char *name, int64_t grace_ns,
                        sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    fk_host *h;

    (void)grace_ns;
    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    h = fk_host_get(fk, name, err);
    if (h && h->state != SL_HV_STATE_STOPPED)
        fk_power_down(fk, h, false);
    fk_unlock(fk, hv);
    return h ? 0 : -1;
}

static int fk_host_destroy(sl_hypervisor *hv, const char *name,
                           sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    fk_host *h;
    size_t i;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    h = fk_host_get(fk, name, err);
    if (h) {
        if (h->state != SL_HV_STATE_STOPPED)
            fk_power_down(fk, h, false);
        for (i = 0; fk->hosts[i] != h; i++)
            ;
        memmove(&fk->hosts[i], &fk->hosts[i + 1],
                (fk->n_hosts - i - 1) * sizeof(*fk->hosts));
        fk->n_hosts--;
        free(h);
    }
    fk_unlock(fk, hv);
    return h ? 0 : -1;
}

static void fk_info(fk_backend *fk, const fk_host *h, sl_hv_host_info *info)
{
    fk_fault *f = fk_fault_find(fk, h->name);

    memset(info, 0, sizeof(*info));
    snprintf(info->name, sizeof(info->name), "%s", h->name);
    info->state = h->state;
    info->cpus = h->cpus;
    info->memory_mib = h->memory_mib;
    info->disk_gib = h->disk_gib;
    snprintf(info->os, sizeof(info->os), "%s", h->os);
    snprintf(info->image, sizeof(info->image), "%s", h->image);
    snprintf(info->network, sizeof(info->network), "%s", h->network);
    snprintf(info->mac, sizeof(info->mac), "%s", h->mac);
    if (h->state != SL_HV_STATE_RUNNING)
        return;
    if (!(f && f->no_address))
        snprintf(info->address, sizeof(info->address), "%s", h->addr);
    if (h->docker_port)
        snprintf(info->docker_endpoint, sizeof(info->docker_endpoint),
                 "tcp://%s:%u", fk->docker_bind, (unsigned)h->docker_port);
}

static sl_hv_host_info *fk_host_list(sl_hypervisor *hv, size_t *count,
                                     sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    sl_hv_host_info *hosts;
    size_t i;

    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    hosts = calloc(fk->n_hosts + 1, sizeof(*hosts));
    if (hosts) {
        for (i = 0; i < fk->n_hosts; i++)
            fk_info(fk, fk->hosts[i], &hosts[i]);
        *count = fk->n_hosts;
    } else {
        sl_error_set(err, SL_ERR_NOMEM, "cannot list hosts");
    }
    fk_unlock(fk, hv);
    return hosts;
}

static int fk_capacity(sl_hypervisor *hv, sl_hv_capacity *free_out,
                       sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    int64_t cpus, mem, disk;

    (void)err;
    pthread_mutex_lock(&fk->lock);
    fk_used(fk, &cpus, &mem, &disk);
    free_out->cpus = fk->cpus - cpus;
    free_out->memory_mib = fk->memory_mib - mem;
    free_out->disk_gib = fk->disk_gib - disk;
    pthread_mutex_unlock(&fk->lock);
    return 0;
}

/* The network is the simulated swarm's: its hosts' sides. */
static int fk_partition(sl_hypervisor *hv, const char *const *hosts,
                        const int *sides, size_t n, sl_error *err)
{
    fk_backend *fk = fk_get(hv);
    int count, *by_host = NULL;
    size_t i;
    int rc = -1;

    pthread_mutex_lock(&fk->lock);
    sl_fake_swarm_lock(fk->swarm);
    count = sl_fake_swarm_host_count(fk->swarm);
    by_host = calloc((size_t)count + 1, sizeof(*by_host));
    if (!by_host) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (i = 0; i < n; i++) {
        fk_host *h = fk_host_find(fk, hosts[i]);

        if (!h || h->swarm_host < 0 || h->swarm_host >= count) {
            sl_error_set(err, SL_ERR_NOT_FOUND, "host '%s' not found",
                         hosts[i]);
            goto cleanup;
        }
        by_host[h->swarm_host] = sides[i];
    }
    sl_fake_swarm_partition(fk->swarm, by_host, count);
    rc = 0;

cleanup:
    sl_fake_swarm_unlock(fk->swarm);
    pthread_mutex_unlock(&fk->lock);
    free(by_host);
    return rc;
}

static int fk_heal(sl_hypervisor *hv, sl_error *err)
{
    fk_backend *fk = fk_get(hv);

    (void)err;
    sl_fake_swarm_lock(fk->swarm);
    sl_fake_swarm_heal(fk->swarm);
    sl_fake_swarm_unlock(fk->swarm);
    return 0;
}

static const sl_hv_ops fk_ops = {
    .name = "fake",
    .image_prepare = fk_image_prepare,
    .host_create = fk_host_create,
    .host_start = fk_host_start,
    .host_wait_booted = fk_host_wait_booted,
    .host_address = fk_host_address,
    .host_docker_endpoint = fk_host_docker_endpoint,
    .host_stop = fk_host_stop,
    .host_destroy = fk_host_destroy,
    .host_list = fk_host_list,
    .capacity = fk_capacity,
    .partition = fk_partition,
    .heal = fk_heal,
    .close = fk_close,
};

/* Fake-only calls ---------------------------------------------------------- */

sl_fake_swarm *sl_fake_hv_swarm(sl_hypervisor *hv)
{
    fk_backend *fk = fk_get(hv);

    return fk ? fk->swarm : NULL;
}

int sl_fake_hv_host_index(sl_hypervisor *hv, const char *name)
{
    fk_backend *fk = fk_get(hv);
    fk_host *h;
    int index = -1;

    if (!fk)
        return -1;
    pthread_mutex_lock(&fk->lock);
    h = fk_host_find(fk, name);
    if (h)
        index = h->swarm_host;
    pthread_mutex_unlock(&fk->lock);
    return index;
}

void sl_fake_hv_poll(sl_hypervisor *hv)
{
    fk_backend *fk = fk_get(hv);

    if (!fk)
        return;
    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    fk_unlock(fk, hv);
}

/* Locks the fake and finds the faults of 'name', or fails. The caller
 * unlocks with fk_unlock() when this returns non-NULL. */
static fk_fault *fk_fault_begin(sl_hypervisor *hv, fk_backend **out,
                                const char *name, sl_error *err)
{
    fk_backend *fk = fk_get_checked(hv, err);
    fk_fault *f;

    *out = fk;
    if (!fk)
        return NULL;
    if (!name || !*name) {
        sl_error_set(err, SL_ERR_INVALID, "no host name given");
        return NULL;
    }
    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    f = fk_fault_get(fk, name, err);
    if (!f)
        fk_unlock(fk, hv);
    return f;
}

int sl_fake_hv_set_boot_time(sl_hypervisor *hv, const char *name,
                             int64_t boot_ns, sl_error *err)
{
    fk_backend *fk;
    fk_fault *f;

    if (boot_ns <= 0)
        return sl_error_set(err, SL_ERR_INVALID,
                            "boot time of '%s' must be positive", name);
    f = fk_fault_begin(hv, &fk, name, err);
    if (!f)
        return -1;
    f->boot_ns = boot_ns;
    fk_unlock(fk, hv);
    return 0;
}

int sl_fake_hv_fail_boot(sl_hypervisor *hv, const char *name, int times,
                         sl_error *err)
{
    fk_backend *fk;
    fk_fault *f = fk_fault_begin(hv, &fk, name, err);

    if (!f)
        return -1;
    f->boot_failures = times < 0 ? -1 : times;
    fk_unlock(fk, hv);
    return 0;
}

int sl_fake_hv_hang_boot(sl_hypervisor *hv, const char *name, sl_error *err)
{
    fk_backend *fk;
    fk_fault *f = fk_fault_begin(hv, &fk, name, err);

    if (!f)
        return -1;
    f->boot_hangs = true;
    fk_unlock(fk, hv);
    return 0;
}

int sl_fake_hv_withhold_address(sl_hypervisor *hv, const char *name,
                                sl_error *err)
{
    fk_backend *fk;
    fk_fault *f = fk_fault_begin(hv, &fk, name, err);

    if (!f)
        return -1;
    f->no_address = true;
    fk_unlock(fk, hv);
    return 0;
}

int sl_fake_hv_set_docker_fault(sl_hypervisor *hv, const char *name,
                                sl_fake_docker_fault fault, sl_error *err)
{
    fk_backend *fk;
    fk_fault *f = fk_fault_begin(hv, &fk, name, err);
    fk_host *h;

    if (!f)
        return -1;
    f->docker = fault;
    h = fk_host_find(fk, name);
    if (h && h->state == SL_HV_STATE_RUNNING) {
        if (fault == SL_FAKE_DOCKER_DOWN)
            fk_docker_stop(h);
        else if (!h->dockerd)
            fk_docker_start(fk, h);
        else
            sl_fake_dockerd_set_frozen(h->dockerd,
                                       fault == SL_FAKE_DOCKER_FROZEN);
    }
    fk_unlock(fk, hv);
    return 0;
}

int sl_fake_hv_power_loss_at(sl_hypervisor *hv, const char *name,
                             int64_t at_ns, sl_error *err)
{
    fk_backend *fk;
    fk_fault *f = fk_fault_begin(hv, &fk, name, err);

    if (!f)
        return -1;
    f->power_loss_at_ns = at_ns;
    fk_settle(fk);
    fk_unlock(fk, hv);
    return 0;
}

int sl_fake_hv_power_off(sl_hypervisor *hv, const char *name, sl_error *err)
{
    fk_backend *fk = fk_get_checked(hv, err);
    fk_host *h;

    if (!fk)
        return -1;
    pthread_mutex_lock(&fk->lock);
    fk_settle(fk);
    h = fk_host_get(fk, name ? name : "", err);
    if (h && h->state != SL_HV_STATE_STOPPED)
        fk_power_down(fk, h, true);
    fk_unlock(fk, hv);
    return h ? 0 : -1;
}

/* Fake daemons for a real backend's hosts --------------------------------- */

typedef struct fk_paired {
    char name[SL_HV_NAME_MAX];
    int swarm_host;
    sl_fake_dockerd *dockerd; /* NULL while detached */
} fk_paired;

struct sl_fake_docker_pairing {
    pthread_mutex_t lock;
    sl_fake_swarm *fs;
    char bind[64];
    fk_paired *hosts;
    size_t n_hosts;
};

sl_fake_docker_pairing *sl_fake_docker_pairing_new(sl_fake_swarm *fs,
                                                   const char *bind_addr,
                                                   sl_error *err)
{
    sl_fake_docker_pairing *p = calloc(1, sizeof(*p));

    if (!p) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot pair fake daemons");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->fs = fs;
    snprintf(p->bind, sizeof(p->bind), "%s",
             bind_addr ? bind_addr : "127.0.0.1");
    return p;
}

void sl_fake_docker_pairing_free(sl_fake_docker_pairing *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->n_hosts; i++)
        sl_fake_dockerd_stop(p->hosts[i].dockerd);
    free(p->hosts);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* The host paired with 'name', made (and added to the swarm) the first
 * time. Called with the lock held. */
static fk_paired *fk_pair_get(sl_fake_docker_pairing *p,
                              const sl_hv_host_info *host, sl_error *err)
{
    sl_fake_host_spec hs;
    fk_paired *grown;
    size_t i;
    int index;

    for (i = 0; i < p->n_hosts; i++) {
        if (!strcmp(p->hosts[i].name, host->name))
            return &p->hosts[i];
    }
    if (!host->address[0]) {
        sl_error_set(err, SL_ERR_CONFLICT, "host '%s' has no address yet",
                     host->name);
        return NULL;
    }
    memset(&hs, 0, sizeof(hs));
    hs.hostname = host->name;
    hs.addr = host->address;
    hs.os = host->os[0] ? host->os : NULL;
    hs.nano_cpus = (int64_t)host->cpus * SL_NS_PER_SEC;
    hs.memory_bytes = host->memory_mib * FK_MIB;
    sl_fake_swarm_lock(p->fs);
    index = sl_fake_swarm_add_host(p->fs, &hs, err);
    sl_fake_swarm_unlock(p->fs);
    if (index < 0)
        return NULL;
    grown = fk_grow(p->hosts, &p->n_hosts, sizeof(*grown));
    if (!grown) {
        sl_error_set(err, SL_ERR_NOMEM, "cannot pair '%s'", host->name);
        return NULL;
    }
    p->hosts = grown;
    snprintf(grown[i].name, sizeof(grown[i].name), "%s", host->name);
    grown[i].swarm_host = index;
    return &grown[i];
}

static int fk_pair_attach(void *data, const sl_hv_host_info *host,
                          char *endpoint, size_t size, sl_error *err)
{
    sl_fake_docker_pairing *p = data;
    fk_paired *ph;
    int rc = -1;

    pthread_mutex_lock(&p->lock);
    ph = fk_pair_get(p, host, err);
    if (!ph)
        goto cleanup;
    if (!ph->dockerd) {
        ph->dockerd = sl_fake_dockerd_start(p->fs, ph->swarm_host, p->bind,
                                            0, err);
        if (!ph->dockerd)
            goto cleanup;
        sl_fake_swarm_lock(p->fs);
        sl_fake_swarm_set_host_up(p->fs, ph->swarm_host, true);
        sl_fake_swarm_unlock(p->fs);
    }
    snprintf(endpoint, size, "tcp://%s:%u", p->bind,
             (unsigned)sl_fake_dockerd_port(ph->dockerd));
    rc = 0;

cleanup:
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void fk_pair_detach(void *data, const char *name)
{
    sl_fake_docker_pairing *p = data;
    size_t i;

    pthread_mutex_lock(&p->lock);
    for (i = 0; i < p->n_hosts; i++) {
        if (strcmp(p->hosts[i].name, name) || !p->hosts[i].dockerd)
            continue;
        sl_fake_dockerd_stop(p->hosts[i].dockerd);
        p->hosts[i].dockerd = NULL;
        sl_fake_swarm_lock(p->fs);
        sl_fake_swarm_set_host_up(p->fs, p->hosts[i].swarm_host, false);
        sl_fake_swarm_unlock(p->fs);
    }
    pthread_mutex_unlock(&p->lock);
}

sl_hv_docker_hook sl_fake_docker_pairing_hook(sl_fake_docker_pairing *p)
{
    sl_hv_docker_hook hook = {fk_pair_attach, fk_pair_detach, p};

    return hook;
}
