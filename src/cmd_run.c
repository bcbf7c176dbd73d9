/* swarmlab run: scenarios built, broken and checked, with their reports. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fake_runner.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"

#define MAX_JOBS 64
/* The exit code of a run that a signal stopped: 128 plus its number, as
 * a shell reports a command killed by it (130 for SIGINT, 143 for
 * SIGTERM); what the run made is torn down first. */
#define EXIT_SIGNALLED 128

/* The first SIGINT or SIGTERM, or 0; the runner watches it. */
static volatile sig_atomic_t stop_signal;
static pid_t main_pid;

typedef struct run_cmd {
    sl_run_options opts;
    const char *tap;
    const char *junit;
    const char *json;
    char **files;              /* every scenario file, in order */
    size_t n_files;
    sl_scenario **scenarios;
    sl_run_result *results;
    bool *finished;            /* finished[i]: results[i] is complete */
    /* The terminal. */
    FILE *out;                 /* result lines */
    bool color;
    bool progress;             /* a status line on stderr */
    size_t printed;            /* results printed, in order */
    size_t done;
    size_t running;
} run_cmd;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: swarmlab run FILE... | DIR [OPTIONS]\n\n"
            "Runs scenario files (every *.json of a directory): each on a "
            "backend of its\nown, built, faulted and checked, then torn "
            "down. Exit 0 when every\nexpectation holds, 1 when one does "
            "not, 2 when a file is unusable (then\nnothing runs), 128+N "
            "after signal N (130 for SIGINT, 143 for SIGTERM):\nwhat was "
            "made is torn down first, unless --keep.\n\n"
            "  --jobs N           scenarios run at once (1)\n"
            "  --keep             no teardown; keep each state file\n"
            "  --hypervisor NAME  fake, libvirt or netns: overrides the "
            "scenarios'\n"
            "  --uri URI          libvirt URI; test:///... pairs each domain "
            "with a\n"
            "                     fake Docker daemon\n"
            "  --pool NAME        libvirt storage pool\n"
            "  --network NAME     libvirt network of the hosts\n"
            "  --cpus N           CPUs of every host, whatever the scenario "
            "says\n"
            "  --memory MIB       memory of every host, the same way\n"
            "  --seed N           seed instead of the scenarios' own\n"
            "  --tap FILE         TAP report ('-': stdout)\n"
            "  --junit FILE       JUnit XML report ('-': stdout)\n"
            "  --json FILE        JSON report with every step ('-': stdout)\n"
            "  --help             show this help\n");
}

static int fail_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "swarmlab run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return -1;
}

enum {
    OPT_JOBS = 1, OPT_KEEP, OPT_HYPERVISOR, OPT_URI, OPT_POOL, OPT_NETWORK,
    OPT_SEED, OPT_CPUS, OPT_MEMORY,
    OPT_TAP, OPT_JUNIT, OPT_JSON
};

static int parse_number(const char *text, unsigned long long max,
                        unsigned long long *out)
{
    char *end = NULL;

    errno = 0;
    if (!*text || *text == '-')
        return -1;
    *out = strtoull(text, &end, 10);
    return errno || *end || *out > max ? -1 : 0;
}

static int parse(int argc, char **argv, run_cmd *rc)
{
    static const struct option longs[] = {
        {"jobs", required_argument, NULL, OPT_JOBS},
        {"keep", no_argument, NULL, OPT_KEEP},
        {"hypervisor", required_argument, NULL, OPT_HYPERVISOR},
        {"uri", required_argument, NULL, OPT_URI},
        {"pool", required_argument, NULL, OPT_POOL},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"seed", required_argument, NULL, OPT_SEED},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"tap", required_argument, NULL, OPT_TAP},
        {"junit", required_argument, NULL, OPT_JUNIT},
        {"json", required_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    sl_run_options *o = &rc->opts;
    unsigned long long n;
    int c;

    while ((c = getopt_long(argc, argv, "hj:", longs, NULL)) != -1) {
        switch (c) {
        case 'j':
        case OPT_JOBS:
            if (parse_number(optarg, MAX_JOBS, &n) < 0 || n == 0)
                return fail_usage("invalid --jobs '%s': expected 1 to 64",
                                  optarg);
            o->jobs = (int)n;
            break;
        case OPT_KEEP: o->keep = true; break;
        case OPT_HYPERVISOR:
            if (strcmp(optarg, "fake") && strcmp(optarg, "libvirt") &&
                strcmp(optarg, "netns"))
                return fail_usage("invalid --hypervisor '%s': expected "
                                  "fake, libvirt or netns", optarg);
            o->hypervisor = optarg;
            break;
        case OPT_URI: o->uri = optarg; break;
        case OPT_POOL: o->pool = optarg; break;
        case OPT_NETWORK: o->network = optarg; break;
        case OPT_SEED:
            if (parse_number(optarg, INT64_MAX, &n) < 0)
                return fail_usage("invalid --seed '%s': expected a "
                                  "number from 0", optarg);
            o->seed = n;
            o->seed_given = true;
            break;
        case OPT_CPUS:
            if (parse_number(optarg, 1024, &n) < 0 || n == 0)
                return fail_usage("invalid --cpus '%s': expected 1 to 1024",
                                  optarg);
            o->host_cpus = (int)n;
            break;
        case OPT_MEMORY:
            if (parse_number(optarg, 1 << 24, &n) < 0 || n < 64)
                return fail_usage("invalid --memory '%s': expected MiB, "
                                  "at least 64", optarg);
            o->host_memory_mib = (int64_t)n;
            break;
        case OPT_TAP: rc->tap = optarg; break;
        case OPT_JUNIT: rc->junit = optarg; break;
        case OPT_JSON: rc->json = optarg; break;
        case 'h': usage(stdout); exit(SL_EXIT_OK);
        default: usage(stderr); return -1;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

/* Input -------------------------------------------------------------------- */

static int add_file(run_cmd *rc, const char *path)
{
    char **grown = realloc(rc->files, (rc->n_files + 1) * sizeof(*grown));

    if (!grown)
        return -1;
    rc->files = grown;
    grown[rc->n_files] = strdup(path);
    return grown[rc->n_files++] ? 0 : -1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.json files directly in 'dir', sorted by name. */
static int add_dir(run_cmd *rc, const char *dir)
{
    size_t first = rc->n_files;
    size_t len = strlen(dir);
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];

    if (!d) {
        fprintf(stderr, "swarmlab run: %s: cannot read: %s\n", dir,
                strerror(errno));
        return -1;
    }
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);

        if (e->d_name[0] == '.' || n < 6 || strcmp(e->d_name + n - 5,
                                                   ".json"))
            continue;
        snprintf(path, sizeof(path), "%s%s%s", dir,
                 len && dir[len - 1] == '/' ? "" : "/", e->d_name);
        if (add_file(rc, path) < 0)
            break;
    }
    closedir(d);
    qsort(rc->files + first, rc->n_files - first, sizeof(*rc->files),
          by_name);
    if (rc->n_files == first) {
        fprintf(stderr, "swarmlab run: %s: no scenario files (*.json)\n",
                dir);
        return -1;
    }
    return 0;
}

static int collect(run_cmd *rc, int argc, char **argv)
{
    int bad = 0;

    for (int i = optind; i < argc; i++) {
        struct stat sb;

        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode))
            bad |= add_dir(rc, argv[i]) < 0;
        else
            bad |= add_file(rc, argv[i]) < 0;
    }
    return bad ? -1 : 0;
}

/* Loads every file; prints every problem. Nothing runs unless all load. */
static int load_all(run_cmd *rc)
{
    int bad = 0;

    rc->scenarios = calloc(rc->n_files + 1, sizeof(*rc->scenarios));
    if (!rc->scenarios)
        return -1;
    for (size_t i = 0; i < rc->n_files; i++) {
        sl_error err;

        sl_error_clear(&err);
        rc->scenarios[i] = sl_scenario_load(rc->files[i], &err);
        if (rc->scenarios[i])
            continue;
        bad = 1;
        if (err.where[0])
            fprintf(stderr, "swarmlab run: %s: %s\n", err.where,
                    err.message);
        else
            fprintf(stderr, "swarmlab run: %s: %s\n", rc->files[i],
                    err.message);
    }
    return bad ? -1 : 0;
}

/* The compose files' warnings, before anything runs. */
static void print_warnings(const run_cmd *rc)
{
    for (size_t i = 0; i < rc->n_files; i++) {
        const sl_stack *stacks[2];
        size_t n = sl_scenario_stacks(rc->scenarios[i], stacks);

        for (size_t s = 0; s < n; s++) {
            for (size_t w = 0; w < stacks[s]->n_warnings; w++)
                fprintf(stderr, "swarmlab run: warning: %s: %s\n",
                        stacks[s]->warnings[w].where,
                        stacks[s]->warnings[w].message);
        }
    }
}

/* Terminal ---------------------------------------------------------------- */

static void status_line(run_cmd *rc)
{
    if (!rc->progress)
        return;
    fprintf(stderr, "\r\033[K");
    if (rc->done < rc->n_files)
        fprintf(stderr, "[%zu/%zu] %zu running", rc->done, rc->n_files,
                rc->running);
    fflush(stderr);
}

static void on_start(size_t index, const sl_scenario *sc, void *data)
{
    run_cmd *rc = data;

    (void)index;
    (void)sc;
    rc->running++;
    status_line(rc);
}

/* Prints the results in the order of the files, each once every one
 * before it is done. */
static void on_done(size_t index, const sl_run_result *r, void *data)
{
    run_cmd *rc = data;

    (void)r;
    rc->finished[index] = true;
    rc->running--;
    rc->done++;
    if (rc->progress)
        fprintf(stderr, "\r\033[K");
    while (rc->printed < rc->n_files && rc->finished[rc->printed]) {
        sl_report_line(rc->out, &rc->results[rc->printed], rc->color);
        rc->printed++;
    }
    fflush(rc->out);
    status_line(rc);
}

/* Signals ----------------------------------------------------------------- */

static void on_signal(int sig)
{
    static const char msg[] = "swarmlab run: interrupted: tearing down what "
                              "was made\n";

    if (stop_signal)
        return;
    stop_signal = sig;
    if (getpid() == main_pid)
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
}

/* SIGINT and SIGTERM stop the run; scenarios' processes inherit this. */
static void catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    main_pid = getpid();
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Reports ----------------------------------------------------------------- */

static int write_json(run_cmd *rc, int64_t wall_ns, sl_error *err)
{
    json_t *all = sl_report_json(rc->results, rc->n_files, wall_ns);
    int ret;

    if (!all)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    ret = sl_report_save_json(all, rc->json, err);
    json_decref(all);
    return ret;
}

static int write_tap(run_cmd *rc, sl_error *err)
{
    FILE *f = sl_report_open(rc->tap, err);

    if (!f)
        return -1;
    sl_report_tap(f, rc->results, rc->n_files);
    return sl_report_close(f, rc->tap, err);
}

static int write_junit(run_cmd *rc, int64_t wall_ns, sl_error *err)
{
    FILE *f = sl_report_open(rc->junit, err);

    if (!f)
        return -1;
    sl_report_junit(f, rc->results, rc->n_files, wall_ns);
    return sl_report_close(f, rc->junit, err);
}

static int write_reports(run_cmd *rc, int64_t wall_ns)
{
    sl_error err;

    if ((rc->json && write_json(rc, wall_ns, &err) < 0) ||
        (rc->tap && write_tap(rc, &err) < 0) ||
        (rc->junit && write_junit(rc, wall_ns, &err) < 0)) {
        fprintf(stderr, "swarmlab run: %s\n", err.message);
        return -1;
    }
    return 0;
}

static int64_t wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool to_stdout(const char *path)
{
    return path && !strcmp(path, "-");
}

int sl_cmd_run(int argc, char **argv)
{
    int64_t started = wall_now();
    sl_report_counts counts;
    run_cmd rc;
    sl_error err;
    int code = SL_EXIT_USAGE;

    memset(&rc, 0, sizeof(rc));
    if (parse(argc, argv, &rc) < 0 || collect(&rc, argc, argv) < 0 ||
        load_all(&rc) < 0)
        goto cleanup;
    print_warnings(&rc);
    rc.out = to_stdout(rc.json) || to_stdout(rc.tap) || to_stdout(rc.junit)
                 ? stderr
                 : stdout;
    rc.color = isatty(fileno(rc.out)) && !getenv("NO_COLOR");
    rc.progress = isatty(STDERR_FILENO);
    rc.results = calloc(rc.n_files, sizeof(*rc.results));
    rc.finished = calloc(rc.n_files, sizeof(*rc.finished));
    code = SL_EXIT_FAILED;
    if (!rc.results || !rc.finished)
        goto cleanup;
    rc.opts.sim = sl_fake_run_sim();
    rc.opts.interrupt = &stop_signal;
    catch_signals();
    rc.opts.on_start = on_start;
    rc.opts.on_done = on_done;
    rc.opts.data = &rc;
    if (sl_run_all((const sl_scenario *const *)rc.scenarios, rc.n_files,
                   &rc.opts, rc.results, &err) < 0) {
        fprintf(stderr, "swarmlab run: %s\n", err.message);
        goto cleanup;
    }
    sl_report_totals(rc.out, rc.results, rc.n_files, wall_now() - started,
                     rc.color);
    if (write_reports(&rc, wall_now() - started) < 0)
        goto cleanup;
    counts = sl_report_count(rc.results, rc.n_files);
    code = counts.failed ? SL_EXIT_FAILED : SL_EXIT_OK;
    if (stop_signal)
        code = EXIT_SIGNALLED + stop_signal;

cleanup:
    for (size_t i = 0; i < rc.n_files; i++) {
        if (rc.results)
            sl_run_result_clear(&rc.results[i]);
        if (rc.scenarios)
            sl_scenario_free(rc.scenarios[i]);
        free(rc.files[i]);
    }
    free(rc.results);
    free(rc.finished);
    free(rc.scenarios);
    free(rc.files);
    return code;
}
