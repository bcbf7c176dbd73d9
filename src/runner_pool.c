/* Many scenarios: one after another, or each in a process of its own. */
#include "runner_int.h"

#include "hv_netns.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * With more than one job, every scenario runs in a child process: its
 * file descriptors, threads and the backends' per-process state (libvirt's
 * test:///default is one per process) are its own, and one that crashes
 * fails alone. The child writes its report as JSON on a pipe; the parent
 * rebuilds the result from it. Scenarios whose backend names its hosts on
 * a shared machine (anything but the fake and libvirt's test driver) run
 * one at a time.
 */

typedef struct slot {
    pid_t pid;                 /* 0: free */
    int fd;
    size_t index;
    bool shares;
    char *buf;
    size_t len;
    size_t cap;
} slot;

static int64_t wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SL_NS_PER_SEC + ts.tv_nsec;
}

static void netns_root(const sl_run_options *opts, size_t index, char *buf,
                       size_t size);

/* Runs the scenarios one after the other in this process. Kept netns
 * hosts stay under their root, so with --keep each scenario gets a root
 * of its own, as jobs do. */
static int run_here(const sl_scenario *const *scenarios, size_t n,
                    const sl_run_options *opts, sl_run_result *results,
                    sl_error *err)
{
    for (size_t i = 0; i < n; i++) {
        sl_run_options own = *opts;
        char root[PATH_MAX];

        if (opts->keep && n > 1) {
            netns_root(opts, i, root, sizeof(root));
            own.netns_root = root;
        }
        if (opts->on_start)
            opts->on_start(i, scenarios[i], opts->data);
        if (sl_run_scenario(scenarios[i], &own, &results[i], err) < 0)
            return -1;
        if (opts->on_done)
            opts->on_done(i, &results[i], opts->data);
    }
    return 0;
}

/* The child ----------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The netns root of scenario 'index' run at once with others: the run's
 * own root with "-INDEX" (from 1) added. */
static void netns_root(const sl_run_options *opts, size_t index, char *buf,
                       size_t size)
{
    const char *base = opts->netns_root ? opts->netns_root
                                        : getenv("SWARMLAB_NETNS_ROOT");

    snprintf(buf, size, "%s-%zu", base && *base ? base : SL_HV_NETNS_ROOT,
             index + 1);
}

static void child(const sl_scenario *sc, size_t index,
                  const sl_run_options *opts, int fd)
{
    sl_run_options own = *opts;
    char root[PATH_MAX];
    sl_run_result r;
    sl_error err;
    char *text;

    own.on_start = NULL;
    own.on_done = NULL;
    netns_root(opts, index, root, sizeof(root));
    own.netns_root = root;
    if (sl_run_scenario(sc, &own, &r, &err) < 0)
        _exit(3);
    text = json_dumps(r.report, JSON_COMPACT);
    _exit(text && write_all(fd, text, strlen(text)) == 0 ? 0 : 4);
}

/* The parent ---------------------------------------------------------- */

static char *dup_string(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));

    return s ? strdup(s) : NULL;
}

/* The result a child's report describes; takes 'report'. */
static int from_report(json_t *report, sl_run_result *r)
{
    const char *outcome = json_string_value(json_object_get(report,
                                                            "outcome"));
    json_t *failures = json_object_get(report, "failures");
    size_t i;
    json_t *f;

    memset(r, 0, sizeof(*r));
    r->report = report;
    r->name = dup_string(report, "name");
    r->file = dup_string(report, "file");
    r->outcome = !outcome                  ? SL_RUN_FAIL
                 : !strcmp(outcome, "pass") ? SL_RUN_PASS
                 : !strcmp(outcome, "skip") ? SL_RUN_SKIP
                                            : SL_RUN_FAIL;
    if (r->outcome == SL_RUN_SKIP)
        r->skip_reason = dup_string(report, "reason");
    r->virtual_ns = json_integer_value(json_object_get(report, "virtual_ms")) *
                    SL_NS_PER_MS;
    r->wall_ns = json_integer_value(json_object_get(report, "wall_ms")) *
                 SL_NS_PER_MS;
    r->failures = calloc(json_array_size(failures) + 1,
                         sizeof(*r->failures));
    if (!r->name || !r->file || !r->failures)
        return -1;
    json_array_foreach(failures, i, f) {
        r->failures[i].where = dup_string(f, "where");
        r->failures[i].expected = dup_string(f, "expected");
        r->failures[i].observed = dup_string(f, "observed");
        r->n_failures++;
    }
    return 0;
}

/* A child that died without a report: the scenario fails alone. */
static int died(const sl_scenario *sc, int status, int64_t wall_ns,
                sl_run_result *r)
{
    char why[128];
    json_t *report;

    if (WIFSIGNALED(status))
        snprintf(why, sizeof(why), "it died of signal %d",
                 WTERMSIG(status));
    else
        snprintf(why, sizeof(why), "it exited with status %d",
                 WEXITSTATUS(status));
    report = json_pack("{s:s, s:s, s:s, s:[{s:s, s:s, s:s}], s:I, s:I}",
                       "name", sc->name, "file", sc->file, "outcome", "fail",
                       "failures", "where", "run", "expected",
                       "the run to finish", "observed", why, "virtual_ms",
                       (json_int_t)0, "wall_ms",
                       (json_int_t)(wall_ns / SL_NS_PER_MS));
    return report ? from_report(report, r) : -1;
}

static int start(slot *s, size_t index, const sl_scenario *sc,
                 const sl_run_options *opts, slot *slots, size_t n_slots,
                 sl_error *err)
{
    int fds[2];

    if (pipe(fds) < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot make a pipe: %s",
                            strerror(errno));
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0) {
        close(fds[0]);
        close(fds[1]);
        s->pid = 0;
        return sl_error_set(err, SL_ERR_IO, "cannot start a process: %s",
                            strerror(errno));
    }
    if (s->pid == 0) {
        close(fds[0]);
        for (size_t i = 0; i < n_slots; i++) {
            if (slots[i].pid)
                close(slots[i].fd);
        }
        child(sc, index, opts, fds[1]);
    }
    close(fds[1]);
    s->fd = fds[0];
    s->index = index;
    s->len = 0;
    return 0;
}

/* Reads what the child in 's' wrote; returns 1 at its end, 0 when more may
 * come, -1 when out of memory. */
static int drain(slot *s)
{
    char chunk[65536];
    ssize_t got = read(s->fd, chunk, sizeof(chunk));

    if (got < 0 && errno == EINTR)
        return 0;
    if (got <= 0)
        return 1;
    if (s->len + (size_t)got + 1 > s->cap) {
        size_t cap = (s->len + (size_t)got + 1) * 2;
        char *grown = realloc(s->buf, cap);

        if (!grown)
            return -1;
        s->buf = grown;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, chunk, (size_t)got);
    s->len += (size_t)got;
    s->buf[s->len] = '\0';
    return 0;
}

static int finish(slot *s, const sl_scenario *sc, int64_t started,
                  sl_run_result *r)
{
    json_t *report = s->len ? json_loads(s->buf, 0, NULL) : NULL;
    int status = 0;

    close(s->fd);
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    s->pid = 0;
    if (report && WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return from_report(report, r);
    json_decref(report);
    return died(sc, status, wall_now() - started, r);
}

/* The next scenario that may start now, or n. */
static size_t next_startable(const bool *begun, const bool *shares, size_t n,
                             bool shared_busy)
{
    for (size_t i = 0; i < n; i++) {
        if (!begun[i] && !(shares[i] && shared_busy))
            return i;
    }
    return n;
}

typedef struct pool {
    const sl_scenario *const *scenarios;
    size_t n;
    const sl_run_options *opts;
    sl_run_result *results;
    slot *slots;
    size_t jobs;
    bool *begun;
    bool *shares;
    int64_t *started;
} pool;

/* Starts what may start in the free slots; returns how many run. */
static int fill(pool *p, size_t *running, bool *shared_busy, sl_error *err)
{
    for (size_t k = 0; k < p->jobs; k++) {
        size_t i;

        if (p->slots[k].pid)
            continue;
        i = next_startable(p->begun, p->shares, p->n, *shared_busy);
        if (i == p->n)
            break;
        if (p->opts->on_start)
            p->opts->on_start(i, p->scenarios[i], p->opts->data);
        p->started[i] = wall_now();
        if (start(&p->slots[k], i, p->scenarios[i], p->opts, p->slots,
                  p->jobs, err) < 0)
            return -1;
        p->begun[i] = true;
        p->slots[k].shares = p->shares[i];
        *shared_busy |= p->shares[i];
        (*running)++;
    }
    return 0;
}

static bool interrupted(const pool *p)
{
    return p->opts->interrupt && *p->opts->interrupt;
}

/* After an interruption: the scenarios not begun are skipped (in this
 * process: nothing is made for them), and the signal is passed on to
 * those that run, which tear down and report. */
static int stop_all(pool *p, size_t *done, bool *passed_on, sl_error *err)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->begun[i])
            continue;
        p->begun[i] = true;
        if (p->opts->on_start)
            p->opts->on_start(i, p->scenarios[i], p->opts->data);
        if (sl_run_scenario(p->scenarios[i], p->opts, &p->results[i],
                            err) < 0)
            return -1;
        (*done)++;
        if (p->opts->on_done)
            p->opts->on_done(i, &p->results[i], p->opts->data);
    }
    for (size_t k = 0; k < p->jobs && !*passed_on; k++) {
        if (p->slots[k].pid)
            kill(p->slots[k].pid, *p->opts->interrupt);
    }
    *passed_on = true;
    return 0;
}

static int run_pool(pool *p, sl_error *err)
{
    struct pollfd *fds = calloc(p->jobs, sizeof(*fds));
    size_t *which = calloc(p->jobs, sizeof(*which));
    size_t running = 0, done = 0;
    bool shared_busy = false;
    bool passed_on = false;
    /* a signal that comes just before poll() is seen within this */
    int wait_ms = p->opts->interrupt ? 200 : -1;
    int rc = -1;

    if (!fds || !which) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    while (done < p->n) {
        size_t nfds = 0;

        if (interrupted(p) && stop_all(p, &done, &passed_on, err) < 0)
            goto cleanup;
        if (done == p->n)
            break;
        if (!interrupted(p) && fill(p, &running, &shared_busy, err) < 0)
            goto cleanup;
        for (size_t k = 0; k < p->jobs; k++) {
            if (!p->slots[k].pid)
                continue;
            fds[nfds].fd = p->slots[k].fd;
            fds[nfds].events = POLLIN;
            which[nfds++] = k;
        }
        if (poll(fds, nfds, wait_ms) < 0 && errno != EINTR) {
            sl_error_set(err, SL_ERR_IO, "cannot wait for the runs: %s",
                         strerror(errno));
            goto cleanup;
        }
        for (size_t f = 0; f < nfds; f++) {
            slot *s = &p->slots[which[f]];
            size_t i = s->index;
            int end;

            if (!fds[f].revents)
                continue;
            end = drain(s);
            if (end == 0)
                continue;
            if (end < 0 || finish(s, p->scenarios[i], p->started[i],
                                  &p->results[i]) < 0) {
                sl_error_set(err, SL_ERR_NOMEM, "out of memory");
                goto cleanup;
            }
            shared_busy &= !s->shares;
            running--;
            done++;
            if (p->opts->on_done)
                p->opts->on_done(i, &p->results[i], p->opts->data);
        }
    }
    rc = 0;

cleanup:
    for (size_t k = 0; k < p->jobs; k++) {
        if (p->slots[k].pid) {
            kill(p->slots[k].pid, SIGKILL);
            close(p->slots[k].fd);
            waitpid(p->slots[k].pid, NULL, 0);
        }
    }
    free(fds);
    free(which);
    return rc;
}

int sl_run_all(const sl_scenario *const *scenarios, size_t n,
               const sl_run_options *opts, sl_run_result *results,
               sl_error *err)
{
    size_t jobs = opts->jobs > 1 ? (size_t)opts->jobs : 1;
    pool p = {scenarios, n, opts, results, NULL, jobs > n ? n : jobs, NULL,
              NULL, NULL};
    int rc = -1;

    memset(results, 0, n * sizeof(*results));
    if (p.jobs <= 1)
        return run_here(scenarios, n, opts, results, err);
    p.slots = calloc(p.jobs, sizeof(*p.slots));
    p.begun = calloc(n, sizeof(*p.begun));
    p.shares = calloc(n, sizeof(*p.shares));
    p.started = calloc(n, sizeof(*p.started));
    if (!p.slots || !p.begun || !p.shares || !p.started) {
        sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        p.shares[i] = sl__rn_shares_names(scenarios[i], opts);
    rc = run_pool(&p, err);

cleanup:
    for (size_t k = 0; p.slots && k < p.jobs; k++)
        free(p.slots[k].buf);
    free(p.slots);
    free(p.begun);
    free(p.shares);
    free(p.started);
    return rc;
}
