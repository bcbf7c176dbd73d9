/* The hypervisor seam: one interface to make, boot, reach and remove VMs. */
#ifndef SL_HYPERVISOR_H
#define SL_HYPERVISOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "error.h"

/*
 * A hypervisor makes Docker host VMs from a prepared base image and tells
 * how to reach them. Hosts are named by their (hostname-like) name, so a
 * later process can find and remove what an earlier one made.
 *
 * Every call is thread-safe: hosts are created and booted in parallel from
 * several threads. Calls return 0 or -1 (NULL) with 'err' filled once, where
 * the failure happened. Waits are measured on the hypervisor's clock: a
 * virtual one for the fake, so a 60 s boot timeout takes no wall time.
 *
 * The library never prints: progress is reported through 'on_event'.
 */
typedef struct sl_hypervisor sl_hypervisor;

#define SL_HV_NAME_MAX 128     /* host, image and network names, with NUL */
#define SL_HV_ADDR_MAX 64      /* an IPv4 or IPv6 address, with NUL */
#define SL_HV_ENDPOINT_MAX 256 /* a DOCKER_HOST-style endpoint, with NUL */

/* What a host is doing, as far as the hypervisor knows. */
typedef enum sl_hv_state {
    SL_HV_STATE_UNKNOWN = 0,
    SL_HV_STATE_STOPPED, /* defined, not running (made, stopped, powered off) */
    SL_HV_STATE_BOOTING, /* started, its OS not up yet */
    SL_HV_STATE_RUNNING, /* booted */
    SL_HV_STATE_FAILED   /* the last boot failed or the VM crashed */
} sl_hv_state;

/* Progress phases, in the order a host normally goes through them. The
 * seam reports most of them; backends add the ones only they can see, and
 * the pipeline adds the Docker ones with sl_hv_notify(). */
typedef enum sl_hv_phase {
    SL_HV_PHASE_PREPARING_IMAGE,
    SL_HV_PHASE_IMAGE_READY,
    SL_HV_PHASE_CREATING,
    SL_HV_PHASE_CREATED,
    SL_HV_PHASE_STARTING,
    SL_HV_PHASE_BOOTING,
    SL_HV_PHASE_BOOTED,
    SL_HV_PHASE_WAITING_FOR_ADDRESS,
    SL_HV_PHASE_ADDRESS,
    SL_HV_PHASE_DOCKER_WAITING,
    SL_HV_PHASE_DOCKER_ANSWERING,
    SL_HV_PHASE_STOPPING,
    SL_HV_PHASE_STOPPED,
    SL_HV_PHASE_DESTROYING,
    SL_HV_PHASE_DESTROYED,
    SL_HV_PHASE_POWER_LOST,
    SL_HV_PHASE_RETRYING,
    SL_HV_PHASE_FAILED
} sl_hv_phase;

/* One progress report. Every pointer is borrowed for the call only. */
typedef struct sl_hv_event {
    const char *host;   /* the host, or the image for image phases */
    sl_hv_phase phase;
    const char *detail; /* an address, an endpoint, an error; may be NULL */
    int64_t at_ns;      /* when, on the hypervisor's clock */
} sl_hv_event;

/* Receives events, possibly from several threads at once. It must not call
 * back into the hypervisor that reports. */
typedef void (*sl_hv_event_fn)(const sl_hv_event *event, void *data);

/* What a backend knows about one host. */
typedef struct sl_hv_host_info {
    char name[SL_HV_NAME_MAX];
    sl_hv_state state;
    int cpus;
    int64_t memory_mib;
    int64_t disk_gib;
    char os[16];                              /* "linux" or "windows" */
    char image[SL_HV_NAME_MAX];               /* "" when not known */
    char network[SL_HV_NAME_MAX];             /* "" when not known */
    char mac[24];                             /* "" when not known */
    char address[SL_HV_ADDR_MAX];             /* "" until one is known */
    char docker_endpoint[SL_HV_ENDPOINT_MAX]; /* "" until one is known */
} sl_hv_host_info;

/*
 * Maps a host to its Docker endpoint when the backend cannot: the libvirt
 * test driver's domains run nothing, so the test lanes pair each with a
 * fake daemon. 'attach' is called once per boot of a host, when its
 * endpoint is first asked for, with what is known of the host (its address
 * included); it fills 'endpoint' ("tcp://127.0.0.1:41234") and returns 0,
 * or -1 with 'err' filled. 'detach' is called when the host stops or is
 * destroyed. Neither may call back into the hypervisor.
 */
typedef struct sl_hv_docker_hook {
    int (*attach)(void *data, const sl_hv_host_info *host, char *endpoint,
                  size_t size, sl_error *err);
    void (*detach)(void *data, const char *host);
    void *data;
} sl_hv_docker_hook;

/* One file a host needs at boot. Borrowed by the backend for the call. */
typedef struct sl_hv_guest_file {
    const char *path;  /* relative: "hostname", "tls/ca.pem" */
    const void *data;
    size_t size;
    unsigned mode;     /* 0644; 0600 for keys */
} sl_hv_guest_file;

/*
 * Supplies what a host booted from a built image (image_build.h) needs:
 * its hostname, TLS material and labels. 'files' is called before each
 * start of such a host, with what is known of it (its name, OS, network
 * and the address the backend reserved for it, "" when none), and fills
 * '*files' with '*n' files that 'release' frees; it returns 0, or -1 with
 * 'err' filled. 'forget' is called when the host is destroyed. None may
 * call back into the hypervisor.
 */
typedef struct sl_hv_guest_hook {
    int (*files)(void *data, const sl_hv_host_info *host,
                 sl_hv_guest_file **files, size_t *n, sl_error *err);
    void (*release)(void *data, sl_hv_guest_file *files, size_t n);
    void (*forget)(void *data, const char *host);
    void *data;
} sl_hv_guest_hook;

struct sl_fake_hv_config;

/* How to open a backend. Zero means the default everywhere; every pointer
 * is borrowed and only read during sl_hypervisor_open(), except 'clock',
 * the hook's and event's data and the fake's swarm, which must outlive the
 * hypervisor. */
typedef struct sl_hv_options {
    const char *uri;        /* libvirt: NULL means LIBVIRT_DEFAULT_URI,
                               then libvirt's own default */
    sl_clock *clock;        /* NULL: the backend's own (virtual for the
                               fake, real for the others) */
    uint64_t seed;          /* fake: addresses, MACs and IDs */
    sl_hv_event_fn on_event;
    void *event_data;
    const char *pool;       /* libvirt: storage pool for images and disks;
                               NULL means "default" */
    const char *console_log_dir; /* libvirt: where serial consoles log,
                                    on the hypervisor's machine; NULL means
                                    the driver's log directory */
    int docker_port;        /* endpoint tcp://ADDRESS:PORT when there is no
                               hook; 0 means 2376 (TLS) */
    sl_hv_docker_hook docker_hook;
    const struct sl_fake_hv_config *fake; /* fake: NULL means defaults */
    const char *domain_type; /* libvirt: <domain type='...'>, "qemu" for
                                TCG; NULL: kvm when offered and usable */
    sl_hv_guest_hook guest_hook; /* libvirt: per-host boot files; the
                                    data must outlive the hypervisor */
} sl_hv_options;

/* Where a base image comes from. */
typedef struct sl_hv_image_spec {
    const char *name;   /* its name in the backend's store: "swarmlab-base" */
    const char *source; /* a local disk image file to import, or the
                           directory of a built kernel and initramfs
                           (image_build.h) to boot directly; NULL: the
                           image 'name' the backend has, else an empty one
                           of 'size_gib' (the fake makes one as if built) */
    const char *format; /* "qcow2" (NULL) or "raw" */
    const char *os;     /* "linux" (NULL) or "windows" */
    int64_t size_gib;   /* size of an empty image made when there is no
                           source and no image of that name; 0: none made */
} sl_hv_image_spec;

/* One host to make. Zero or NULL fields take the defaults shown. */
typedef struct sl_hv_host_spec {
    const char *name;    /* "n2d-wrkr-0": letters, digits, '-', '.', '_',
                            at most 63 characters */
    const char *image;   /* from sl_hv_image_prepare(); required */
    int cpus;            /* 4 */
    int64_t memory_mib;  /* 2048 */
    int64_t disk_gib;    /* 20 */
    const char *network; /* "default" */
    const char *os;      /* "linux" or "windows"; NULL: the image's, else
                            "linux" */
} sl_hv_host_spec;

/* Opens backend 'backend' ("fake", "libvirt", or one registered with
 * sl_hypervisor_register()). Returns a hypervisor the caller closes with
 * sl_hypervisor_close(), or NULL with 'err' filled. 'opts' may be NULL. */
sl_hypervisor *sl_hypervisor_open(const char *backend,
                                  const sl_hv_options *opts, sl_error *err);

/* Closes the hypervisor and frees it; hosts are left as they are. Accepts
 * NULL. */
void sl_hypervisor_close(sl_hypervisor *hv);

/* The backend's name ("fake", "libvirt"). Borrowed. */
const char *sl_hypervisor_name(const sl_hypervisor *hv);

/* The clock waits are measured on. Borrowed; lives as long as 'hv'. */
sl_clock *sl_hypervisor_clock(sl_hypervisor *hv);

/* Makes the base image available to the backend. Returns its name for
 * sl_hv_host_spec.image, which the caller frees, or NULL. */
char *sl_hv_image_prepare(sl_hypervisor *hv, const sl_hv_image_spec *spec,
                          sl_error *err);

/* Makes a stopped host from the image. Refused before anything is made
 * when it does not fit (SL_ERR_CAPACITY), when the network, the image or
 * the storage is missing (SL_ERR_NOT_FOUND) or the name is taken
 * (SL_ERR_CONFLICT). */
int sl_hv_host_create(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                      sl_error *err);

/* Powers the host on; it boots on its own. Starting a running host is
 * a no-op. */
int sl_hv_host_start(sl_hypervisor *hv, const char *name, sl_error *err);

/* Waits until the host has booted, at most 'timeout_ns' on the
 * hypervisor's clock (SL_ERR_TIMEOUT naming the host and the limit). A
 * failed boot is SL_ERR_API; a host that is not started, SL_ERR_CONFLICT. */
int sl_hv_host_wait_booted(sl_hypervisor *hv, const char *name,
                           int64_t timeout_ns, sl_error *err);

/* Waits at most 'timeout_ns' for the host's address and copies it into
 * 'addr' (SL_HV_ADDR_MAX bytes are enough). */
int sl_hv_host_address(sl_hypervisor *hv, const char *name,
                       int64_t timeout_ns, char *addr, size_t size,
                       sl_error *err);

/* Copies into 'endpoint' how to reach the host's Docker API, as DOCKER_HOST
 * spells it ("tcp://10.200.0.2:2376"). The host must be running. */
int sl_hv_host_docker_endpoint(sl_hypervisor *hv, const char *name,
                               char *endpoint, size_t size, sl_error *err);

/* Asks the host's OS to shut down and powers it off after 'grace_ns' (at
 * once when 0). Stopping a stopped host is a no-op. */
int sl_hv_host_stop(sl_hypervisor *hv, const char *name, int64_t grace_ns,
                    sl_error *err);

/* Powers the host off and removes it and its disk. A host that does not
 * exist is SL_ERR_NOT_FOUND. */
int sl_hv_host_destroy(sl_hypervisor *hv, const char *name, sl_error *err);

/* The hosts this backend made, in no set order. Returns an array of
 * '*count' entries the caller frees with free() (never NULL on success,
 * even when empty), or NULL. */
sl_hv_host_info *sl_hv_host_list(sl_hypervisor *hv, size_t *count,
                                 sl_error *err);

/* Fills 'info' for one host; SL_ERR_NOT_FOUND when there is none. */
int sl_hv_host_inspect(sl_hypervisor *hv, const char *name,
                       sl_hv_host_info *info, sl_error *err);

/* Cuts the network between hosts: host 'hosts[i]' goes to side
 * 'sides[i]' (0 to SL_HV_SIDES_MAX - 1), every host not named to side 0,
 * and from then on hosts on different sides cannot reach one another
 * while hosts on one side do as before. A partition replaces the one
 * before it. SL_ERR_UNSUPPORTED when the backend cannot cut its network,
 * SL_ERR_NOT_FOUND for a host it does not have. */
int sl_hv_partition(sl_hypervisor *hv, const char *const *hosts,
                    const int *sides, size_t n, sl_error *err);

#define SL_HV_SIDES_MAX 1024

/* Joins the network again: every host reaches every other. A network that
 * is whole stays so. SL_ERR_UNSUPPORTED as for sl_hv_partition(). */
int sl_hv_heal(sl_hypervisor *hv, sl_error *err);

/* What the hypervisor can still hold; -1 in a field it cannot tell. */
typedef struct sl_hv_capacity {
    int64_t cpus;
    int64_t memory_mib;
    int64_t disk_gib;
} sl_hv_capacity;

/* Fills 'free_out' with what is left for new hosts (all -1 when the
 * backend cannot tell), so that a whole set of hosts can be refused before
 * any of them is made. */
int sl_hv_free_capacity(sl_hypervisor *hv, sl_hv_capacity *free_out,
                        sl_error *err);

/* Reports a phase through the hypervisor's event callback, for steps done
 * outside it (waiting for Docker to answer). */
void sl_hv_notify(sl_hypervisor *hv, const char *host, sl_hv_phase phase,
                  const char *detail);

/* Stable lowercase names: "creating", "waiting-for-address", ... */
const char *sl_hv_phase_name(sl_hv_phase phase);
const char *sl_hv_state_name(sl_hv_state state);

/* Formats a duration as messages show it ("60 s", "1.5 s", "250 ms"). */
void sl_hv_format_duration(int64_t ns, char *buf, size_t size);

/* Backends ---------------------------------------------------------------
 *
 * A backend is a table of operations on its own state. The seam checks the
 * arguments, fills in the spec's defaults, reports the common phases and
 * makes sure an error is filled before it calls them, so an operation only
 * does its work. Each is called from any thread at any time.
 */
typedef struct sl_hv_ops {
    const char *name;
    char *(*image_prepare)(sl_hypervisor *hv, const sl_hv_image_spec *spec,
                           sl_error *err);
    int (*host_create)(sl_hypervisor *hv, const sl_hv_host_spec *spec,
                       sl_error *err);
    int (*host_start)(sl_hypervisor *hv, const char *name, sl_error *err);
    int (*host_wait_booted)(sl_hypervisor *hv, const char *name,
                            int64_t timeout_ns, sl_error *err);
    int (*host_address)(sl_hypervisor *hv, const char *name,
                        int64_t timeout_ns, char *addr, size_t size,
                        sl_error *err);
    int (*host_docker_endpoint)(sl_hypervisor *hv, const char *name,
                                char *endpoint, size_t size, sl_error *err);
    int (*host_stop)(sl_hypervisor *hv, const char *name, int64_t grace_ns,
                     sl_error *err);
    int (*host_destroy)(sl_hypervisor *hv, const char *name, sl_error *err);
    sl_hv_host_info *(*host_list)(sl_hypervisor *hv, size_t *count,
                                  sl_error *err);
    int (*capacity)(sl_hypervisor *hv, sl_hv_capacity *free_out,
                    sl_error *err); /* may be NULL: capacity unknown */
    /* These two may be NULL: the network cannot be cut. */
    int (*partition)(sl_hypervisor *hv, const char *const *hosts,
                     const int *sides, size_t n, sl_error *err);
    int (*heal)(sl_hypervisor *hv, sl_error *err);
    void (*close)(void *backend); /* frees the backend's state */
} sl_hv_ops;

/* Opens one backend; what sl_hypervisor_open() calls. */
typedef sl_hypervisor *(*sl_hv_open_fn)(const sl_hv_options *opts,
                                        sl_error *err);

/* Wraps a backend's state 'backend' (taken: freed by ops->close, also when
 * this fails) into a hypervisor. 'clock' is taken when 'owns_clock'. */
sl_hypervisor *sl_hypervisor_new(const sl_hv_ops *ops, void *backend,
                                 sl_clock *clock, bool owns_clock,
                                 const sl_hv_options *opts, sl_error *err);

/* The backend state of 'hv' when its operations are 'ops', else NULL: a
 * checked downcast for backend-specific calls. */
void *sl_hypervisor_backend(sl_hypervisor *hv, const sl_hv_ops *ops);

/* Makes 'open' available to sl_hypervisor_open() under 'name' (copied
 * pointer: a string literal). Registering the same pair twice is a no-op. */
int sl_hypervisor_register(const char *name, sl_hv_open_fn open,
                           sl_error *err);

#endif /* SL_HYPERVISOR_H */
