/* What the provisioning commands share: backend options, state, output. */
#ifndef SL_CMD_COMMON_H
#define SL_CMD_COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "docker_client.h"
#include "error.h"
#include "hypervisor.h"
#include "pipeline.h"
#include "progress.h"
#include "state.h"

/* Options every provisioning command takes. */
typedef struct sl_cmd_env {
    const char *command;    /* "swarm create", for messages */
    const char *hypervisor; /* "fake", "libvirt" or "netns"; NULL: the
                               state's, else "fake" */
    const char *uri;        /* libvirt URI, or NULL */
    const char *state_path; /* or NULL for the default */
    char *default_state_path;
    bool json;              /* machine-readable output on stdout */
    bool progress;          /* progress lines on stderr (a terminal) */
    const char *pool;       /* libvirt storage pool, or NULL */
    const char *netns_root; /* netns: the hosts' root; NULL: the state's,
                               else $SWARMLAB_NETNS_ROOT, else
                               /run/swarmlab */
    sl_hypervisor *hv;
    sl_state *st;
    /* libvirt's test driver runs nothing in its domains: each gets a fake
     * Docker daemon in one simulated swarm. */
    sl_clock *fake_clock;
    struct sl_fake_swarm *fake_swarm;
    struct sl_fake_docker_pairing *pairing;
    int64_t started_ns;     /* on the hypervisor's clock */
    /* A real libvirt hypervisor boots the built image: each host gets its
     * TLS material through this, and 'docker' reaches the hosts with
     * mutual TLS. */
    struct sl_guest_config *guest;
    sl_docker_config docker;
} sl_cmd_env;

/* getopt_long codes of the shared options. */
enum {
    SL_OPT_HYPERVISOR = 1000,
    SL_OPT_URI,
    SL_OPT_STATE,
    SL_OPT_JSON,
    SL_OPT_POOL
};

#define SL_CMD_COMMON_LONGOPTS                                          \
    {"hypervisor", required_argument, NULL, SL_OPT_HYPERVISOR},         \
    {"uri", required_argument, NULL, SL_OPT_URI},                       \
    {"state", required_argument, NULL, SL_OPT_STATE},                   \
    {"json", no_argument, NULL, SL_OPT_JSON},                           \
    {"pool", required_argument, NULL, SL_OPT_POOL},                     \
    {"help", no_argument, NULL, 'h'}

#define SL_CMD_COMMON_HELP                                                  \
    "  --hypervisor NAME  fake (default), libvirt, or netns (real dockerd\n" \
    "                     hosts in network namespaces; needs root)\n"     \
    "  --uri URI          libvirt URI (default: the state file's, else\n"  \
    "                     $LIBVIRT_DEFAULT_URI); test:///... pairs each\n"  \
    "                     domain with a fake Docker daemon\n"               \
    "  --pool NAME        libvirt storage pool (default: the state file's,\n" \
    "                     else default)\n"                                  \
    "  --state FILE       state file (default: $SWARMLAB_STATE, else\n"     \
    "                     ~/.local/state/swarmlab/state.json)\n"            \
    "  --json             print the result as JSON on stdout\n"             \
    "  --help             show this help\n"

/* Whether the command talks to libvirt's test driver. */
bool sl_cmd_env_is_test_driver(const sl_cmd_env *env);

/* Takes one shared option; returns 1 when 'code' was one, 0 when not. */
int sl_cmd_env_option(sl_cmd_env *env, int code, const char *arg);

/* Opens the state and the hypervisor the options name. When the state
 * records hosts, where they are (backend, libvirt URI and pool, netns
 * root) comes from it rather than from the environment, and an option
 * naming another place is refused; a state without hosts records where
 * the next ones go. Returns 0, or an exit code after printing why (and
 * closing 'env', which a second close leaves as it is). */
int sl_cmd_env_open(sl_cmd_env *env);

void sl_cmd_env_close(sl_cmd_env *env);

/* How to reach the hosts' Docker APIs: TLS settings when the hosts are
 * real VMs, else NULL. Borrowed from 'env'. */
const sl_docker_config *sl_cmd_env_docker(const sl_cmd_env *env);

/* Prints the last lines of a failed host's serial console on stderr,
 * when the hypervisor keeps one on this machine. */
void sl_cmd_show_console(const sl_cmd_env *env, const char *host);

/* Renders progress on stderr when env->progress. */
void sl_cmd_progress(const sl_progress *p, void *data);

/* Prints "swarmlab COMMAND: message (where)" on stderr and returns the
 * exit code for 'err'. */
int sl_cmd_fail(const sl_cmd_env *env, const sl_error *err);

/* Catches SIGINT and SIGTERM from now on: the first one sets the flag
 * returned (to its number), for a build to stop at its next step and
 * undo what it made. */
volatile sig_atomic_t *sl_cmd_catch_signals(void);

/* After a build that failed with SL_ERR_CANCELLED on a signal: says so on
 * stderr, and whether what was made is kept, and returns 128 + the
 * signal's number. */
int sl_cmd_cancelled(const sl_cmd_env *env, bool kept);

/* Splits "KEY=VALUE" into an allocated label array; returns -1 after
 * printing why when there is no '='. */
int sl_cmd_add_label(const char *command, const char *text, void *labels,
                     size_t *n);

/* Frees what sl_cmd_add_label() made; accepts NULL. */
void sl_cmd_free_labels(void *labels, size_t n);

/* The images --import-image REF=TARBALL and --import-busybox REF ask to
 * import into every host. */
typedef struct sl_cmd_imports {
    sl_image_import *items;  /* refs and paths borrowed from argv */
    size_t n;
    char *busybox;           /* the busybox tarball, once made */
    size_t busybox_len;
} sl_cmd_imports;

#define SL_CMD_IMPORT_HELP                                                  \
    "  --import-image REF=TARBALL\n"                                        \
    "                      import the tarball as image REF (bb:1) into\n"   \
    "                      every host once its Docker API answers\n"       \
    "                      (repeatable)\n"                                  \
    "  --import-busybox REF\n"                                              \
    "                      import a busybox image (from busybox-static) as\n" \
    "                      REF into every host\n"

/* Takes "REF=TARBALL" (from_file) or a bare REF for the busybox image;
 * returns -1 after printing why when it is unusable. */
int sl_cmd_add_import(const char *command, const char *text, bool from_file,
                      sl_cmd_imports *im);

/* Makes the busybox tarball if asked for and checks that every tarball
 * can be read, before anything is made; then points 'spec' at the
 * imports. Returns 0, or an exit code after printing why: SL_EXIT_USAGE
 * for a tarball missing or unreadable, SL_EXIT_ENV without busybox. */
int sl_cmd_imports_ready(const char *command, sl_cmd_imports *im,
                         sl_pipeline_spec *spec);

/* Frees what the imports hold; accepts a zeroed one. */
void sl_cmd_imports_free(sl_cmd_imports *im);

#endif /* SL_CMD_COMMON_H */
