/* What the provisioning commands share: backend options, state, output. */
#include "cmd_common.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "docker_client.h"
#include "fake_hypervisor.h"
#include "guest_config.h"
#include "hv_libvirt.h"
#include "hv_netns.h"
#include "image_tar.h"
#include "tls.h"

int sl_cmd_env_option(sl_cmd_env *env, int code, const char *arg)
{
    switch (code) {
    case SL_OPT_HYPERVISOR: env->hypervisor = arg; return 1;
    case SL_OPT_URI: env->uri = arg; return 1;
    case SL_OPT_STATE: env->state_path = arg; return 1;
    case SL_OPT_JSON: env->json = true; return 1;
    case SL_OPT_POOL: env->pool = arg; return 1;
    default: return 0;
    }
}

int sl_cmd_fail(const sl_cmd_env *env, const sl_error *err)
{
    if (err->where[0])
        fprintf(stderr, "swarmlab %s: %s (%s)\n", env->command, err->message,
                err->where);
    else
        fprintf(stderr, "swarmlab %s: %s\n", env->command, err->message);
    switch (err->code) {
    case SL_ERR_INVALID: return SL_EXIT_USAGE;
    case SL_ERR_CONNECT:
    case SL_ERR_UNSUPPORTED: return SL_EXIT_ENV;
    default: return SL_EXIT_FAILED;
    }
}

/* Signals ------------------------------------------------------------------ */

#define EXIT_SIGNALLED 128

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    static const char msg[] = "swarmlab: interrupted: stopping the build\n";

    if (stop_signal)
        return;
    stop_signal = sig;
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
}

volatile sig_atomic_t *sl_cmd_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &stop_signal;
}

int sl_cmd_cancelled(const sl_cmd_env *env, bool kept)
{
    int sig = stop_signal ? stop_signal : SIGINT;

    if (kept)
        fprintf(stderr, "swarmlab %s: interrupted by %s: what was made is "
                        "kept in '%s'\n",
                env->command, sig == SIGTERM ? "SIGTERM" : "SIGINT",
                env->state_path);
    else
        fprintf(stderr, "swarmlab %s: interrupted by %s: what was made is "
                        "removed\n",
                env->command, sig == SIGTERM ? "SIGTERM" : "SIGINT");
    return EXIT_SIGNALLED + sig;
}

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;

void sl_cmd_progress(const sl_progress *p, void *data)
{
    sl_cmd_env *env = data;
    double secs = (double)(p->at_ns - env->started_ns) / 1e9;

    if (!env->progress)
        return;
    pthread_mutex_lock(&progress_lock);
    fprintf(stderr, "[%7.1fs] %-16s %s%s%s\n", secs,
            p->host ? p->host : "swarm", p->phase, p->detail ? "  " : "",
            p->detail ? p->detail : "");
    pthread_mutex_unlock(&progress_lock);
}

static void hv_event(const sl_hv_event *ev, void *data)
{
    sl_progress p = {ev->host, sl_hv_phase_name(ev->phase), ev->detail,
                     ev->at_ns};

    sl_cmd_progress(&p, data);
}

/* Where the recorded hosts are: the state's record, which wins over the
 * environment ($SWARMLAB_NETNS_ROOT, $LIBVIRT_DEFAULT_URI); an option
 * naming another place than the record is refused. */
static int check_backend(sl_cmd_env *env, sl_error *err)
{
    sl_state_place asked = {env->hypervisor, env->uri, env->pool, NULL};

    if (sl_state_place_resolve(env->st, &asked, err) < 0)
        return -1;
    env->hypervisor = asked.hypervisor ? asked.hypervisor : "fake";
    env->uri = asked.uri;
    env->pool = asked.pool;
    env->netns_root = asked.netns_root;
    return 0;
}

/* A state without hosts records where the next ones go: the backend, and
 * the URI and pool or the netns root that destroy will need. */
static void record_place(sl_cmd_env *env)
{
    sl_state_place place = {env->hypervisor, NULL, NULL, NULL};
    char *uri = NULL;

    if (json_object_size(json_object_get(sl_state_root(env->st), "hosts")))
        return;
    if (!strcmp(env->hypervisor, "libvirt")) {
        if (!env->uri && sl_hv_libvirt_conn(env->hv))
            uri = virConnectGetURI(sl_hv_libvirt_conn(env->hv));
        place.uri = env->uri ? env->uri : uri;
        place.pool = env->pool ? env->pool : SL_HV_LIBVIRT_POOL;
    }
    place.netns_root = sl_hv_netns_root(env->hv);
    sl_state_place_set(env->st, &place);
    free(uri);
}

bool sl_cmd_env_is_test_driver(const sl_cmd_env *env)
{
    return env->hypervisor && !strcmp(env->hypervisor, "libvirt") &&
           env->uri && !strncmp(env->uri, "test:", 5);
}

static int pair_fake_daemons(sl_cmd_env *env, sl_hv_options *opts,
                             sl_error *err)
{
    env->fake_clock = sl_clock_new_real();
    env->fake_swarm = env->fake_clock ? sl_fake_swarm_new(1, env->fake_clock)
                                      : NULL;
    if (!env->fake_swarm)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    env->pairing = sl_fake_docker_pairing_new(env->fake_swarm, NULL, err);
    if (!env->pairing)
        return -1;
    opts->docker_hook = sl_fake_docker_pairing_hook(env->pairing);
    return 0;
}

/* A real libvirt hypervisor: hosts get TLS material from the directory
 * beside the state file, and the console logs go where
 * $SWARMLAB_CONSOLE_LOG_DIR says (the lab's directory). */
static int prepare_real_hosts(sl_cmd_env *env, sl_hv_options *opts,
                              sl_error *err)
{
    char *dir = sl_tls_dir_for_state(env->state_path);
    const char *console = getenv("SWARMLAB_CONSOLE_LOG_DIR");

    if (!dir)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    env->guest = sl_guest_config_new(dir, err);
    free(dir);
    if (!env->guest)
        return -1;
    opts->guest_hook = sl_guest_config_hook(env->guest);
    sl_guest_config_docker(env->guest, &env->docker);
    if (console && *console)
        opts->console_log_dir = console;
    return 0;
}

const sl_docker_config *sl_cmd_env_docker(const sl_cmd_env *env)
{
    return env->guest ? &env->docker : NULL;
}

void sl_cmd_show_console(const sl_cmd_env *env, const char *host)
{
    char path[4096], tail[2049];
    const char *start = tail;
    FILE *f;
    long len;
    size_t n;

    if (!env->hv || !host || !*host ||
        sl_hv_libvirt_console_path(env->hv, host, path, sizeof(path)) < 0 ||
        !(f = fopen(path, "rb")))
        return;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, len > 2048 ? len - 2048 : 0, SEEK_SET);
    n = fread(tail, 1, 2048, f);
    fclose(f);
    tail[n] = '\0';
    if (len > 2048 && strchr(tail, '\n'))
        start = strchr(tail, '\n') + 1;
    fprintf(stderr, "swarmlab %s: console of '%s' (%s) ends with:\n%s%s",
            env->command, host, path, start,
            n && tail[n - 1] != '\n' ? "\n" : "");
}

int sl_cmd_env_open(sl_cmd_env *env)
{
    sl_hv_options opts = {0};
    sl_error err;
    int rc;

    env->progress = !env->json && isatty(STDERR_FILENO);
    if (!env->state_path) {
        env->default_state_path = sl_state_default_path();
        env->state_path = env->default_state_path;
    }
    env->st = sl_state_open(env->state_path, &err);
    if (!env->st || check_backend(env, &err) < 0)
        goto fail;

    opts.uri = env->uri;
    opts.pool = env->pool;
    opts.on_event = hv_event;
    opts.event_data = env;
    if (sl_cmd_env_is_test_driver(env) && pair_fake_daemons(env, &opts,
                                                            &err) < 0)
        goto fail;
    if (!strcmp(env->hypervisor, "libvirt") &&
        !sl_cmd_env_is_test_driver(env) &&
        prepare_real_hosts(env, &opts, &err) < 0)
        goto fail;
    if (!strcmp(env->hypervisor, "netns") && env->netns_root) {
        sl_hv_netns_config netns = {0};

        netns.root = env->netns_root;
        env->hv = sl_hv_netns_open_config(&opts, &netns, &err);
    } else {
        env->hv = sl_hypervisor_open(env->hypervisor, &opts, &err);
    }
    if (!env->hv)
        goto fail;
    record_place(env);
    env->started_ns = sl_clock_now_ns(sl_hypervisor_clock(env->hv));
    return 0;

fail:
    rc = sl_cmd_fail(env, &err);
    sl_cmd_env_close(env);
    return rc;
}

void sl_cmd_env_close(sl_cmd_env *env)
{
    sl_hypervisor_close(env->hv);
    sl_fake_docker_pairing_free(env->pairing);
    sl_fake_swarm_free(env->fake_swarm);
    sl_clock_free(env->fake_clock);
    sl_guest_config_free(env->guest);
    env->guest = NULL;
    env->pairing = NULL;
    env->fake_swarm = NULL;
    env->fake_clock = NULL;
    sl_state_free(env->st);
    if (env->state_path == env->default_state_path)
        env->state_path = NULL;
    free(env->default_state_path);
    env->default_state_path = NULL;
    env->hv = NULL;
    env->st = NULL;
}

int sl_cmd_add_label(const char *command, const char *text, void *labels,
                     size_t *n)
{
    sl_docker_label **arr = labels;
    const char *eq = strchr(text, '=');
    sl_docker_label *grown;

    if (!eq || eq == text) {
        fprintf(stderr, "swarmlab %s: invalid label '%s': expected "
                        "KEY=VALUE\n", command, text);
        return -1;
    }
    grown = realloc(*arr, (*n + 1) * sizeof(**arr));
    if (!grown)
        return -1;
    *arr = grown;
    grown[*n].key = strndup(text, (size_t)(eq - text));
    grown[*n].value = eq + 1;
    (*n)++;
    return 0;
}

void sl_cmd_free_labels(void *labels, size_t n)
{
    sl_docker_label *arr = labels;
    size_t i;

    for (i = 0; i < n; i++)
        free((char *)arr[i].key);
    free(arr);
}

/* Image imports ------------------------------------------------------------ */

int sl_cmd_add_import(const char *command, const char *text, bool from_file,
                      sl_cmd_imports *im)
{
    const char *eq = from_file ? strchr(text, '=') : NULL;
    sl_image_import *grown;
    char *ref;

    if (from_file ? !eq || eq == text || !eq[1] : !*text) {
        fprintf(stderr, "swarmlab %s: invalid %s '%s': expected %s\n",
                command, from_file ? "--import-image" : "--import-busybox",
                text, from_file ? "REF=TARBALL" : "a reference such as bb:1");
        return -1;
    }
    ref = from_file ? strndup(text, (size_t)(eq - text)) : strdup(text);
    grown = ref ? realloc(im->items, (im->n + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        free(ref);
        fprintf(stderr, "swarmlab %s: out of memory\n", command);
        return -1;
    }
    im->items = grown;
    memset(&grown[im->n], 0, sizeof(*grown));
    grown[im->n].ref = ref;
    grown[im->n].path = from_file ? eq + 1 : NULL;
    im->n++;
    return 0;
}

int sl_cmd_imports_ready(const char *command, sl_cmd_imports *im,
                         sl_pipeline_spec *spec)
{
    sl_error err;
    size_t i;

    for (i = 0; i < im->n; i++) {
        if (im->items[i].path)
            continue;
        if (!im->busybox &&
            sl_image_busybox_tar(SL_IMAGE_BUSYBOX, &im->busybox,
                                 &im->busybox_len, &err) < 0) {
            fprintf(stderr, "swarmlab %s: %s\n", command, err.message);
            return SL_EXIT_ENV;
        }
        im->items[i].tar = im->busybox;
        im->items[i].len = im->busybox_len;
    }
    spec->imports = im->items;
    spec->n_imports = im->n;
    if (sl_pipeline_check_imports(spec, &err) < 0) {
        fprintf(stderr, "swarmlab %s: %s\n", command, err.message);
        return SL_EXIT_USAGE;
    }
    return 0;
}

void sl_cmd_imports_free(sl_cmd_imports *im)
{
    size_t i;

    for (i = 0; i < im->n; i++)
        free((char *)im->items[i].ref);
    free(im->items);
    free(im->busybox);
    memset(im, 0, sizeof(*im));
}
