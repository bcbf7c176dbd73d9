/* The scenario runner: one swarm per scenario, built, broken and checked. */
#include "runner_int.h"

#include "hv_libvirt.h"
#include "hv_netns.h"

#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONVERGE_NS (60 * SL_NS_PER_SEC)
#define FIRST_POLL_NS (250 * SL_NS_PER_MS)
#define MAX_POLL_NS (5 * SL_NS_PER_SEC)

/* Backends other than the fake share names on one machine (and libvirt's
 * test:///default is one per process): their scenarios run one at a
 * time. */
static pthread_mutex_t shared_backend = PTHREAD_MUTEX_INITIALIZER;

static int64_t wall_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SL_NS_PER_SEC + ts.tv_nsec;
}

/* Helpers shared by the runner's files --------------------------------- */

int64_t sl__rn_now_ms(rn_ctx *c)
{
    if (!c->hv)
        return 0;
    return (sl_clock_now_ns(sl_hypervisor_clock(c->hv)) - c->t0) /
           SL_NS_PER_MS;
}

void sl__rn_fail(rn_ctx *c, const char *where, const char *expected,
                 const char *observed)
{
    sl_run_result *r = c->res;
    sl_run_failure *grown = realloc(r->failures, (r->n_failures + 1) *
                                                     sizeof(*grown));

    if (!grown)
        return;
    r->failures = grown;
    grown[r->n_failures].where = strdup(where);
    grown[r->n_failures].expected = strdup(expected);
    grown[r->n_failures].observed = observed ? strdup(observed) : NULL;
    r->n_failures++;
}

void sl__rn_note(rn_ctx *c, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    json_array_append_new(c->notes, json_string(text));
}

static const char *signal_name(int sig, char *buf, size_t size)
{
    switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    }
    snprintf(buf, size, "signal %d", sig);
    return buf;
}

bool sl__rn_interrupted(rn_ctx *c)
{
    int sig = c->opts->interrupt ? *c->opts->interrupt : 0;
    char observed[64], name[32];

    if (!sig)
        return false;
    if (!c->interrupted) {
        c->interrupted = true;
        c->halted = true;
        snprintf(observed, sizeof(observed), "interrupted by %s",
                 signal_name(sig, name, sizeof(name)));
        sl__rn_fail(c, "run", "the run to finish", observed);
    }
    return true;
}

rn_host *sl__rn_host(rn_ctx *c, const char *name)
{
    for (size_t i = 0; name && i < c->sc->n_hosts; i++) {
        if (!strcmp(c->hosts[i].sh->name, name))
            return &c->hosts[i];
    }
    return NULL;
}

/* Steps in the report ----------------------------------------------------- */

/* A step that starts now, in the report. */
static json_t *step_begin(rn_ctx *c, const char *name,
                          const sl_scenario_fault *f)
{
    json_t *step = json_pack("{s:s}", "step", name);

    if (f) {
        json_object_set_new(step, "path", json_string(f->path));
        json_object_set_new(step, "moment", json_string(sl_moment_name(f->at)));
        if (f->host)
            json_object_set_new(step, "host", json_string(f->host));
        if (f->service)
            json_object_set_new(step, "service", json_string(f->service));
    }
    json_object_set_new(step, "at_ms", json_integer(sl__rn_now_ms(c)));
    json_array_append_new(c->steps, step);
    return step;
}

static void step_end(rn_ctx *c, json_t *step, const char *outcome,
                     const char *message)
{
    int64_t at = json_integer_value(json_object_get(step, "at_ms"));

    json_object_set_new(step, "duration_ms",
                        json_integer(sl__rn_now_ms(c) - at));
    json_object_set_new(step, "outcome", json_string(outcome));
    if (message)
        json_object_set_new(step, "message", json_string(message));
}

/* Ends a step whose call returned 'rc': with the error's message and,
 * when a daemon answered with an error, its HTTP status. */
static void step_end_rc(rn_ctx *c, json_t *step, const char *outcome, int rc,
                        const sl_error *err)
{
    step_end(c, step, outcome, rc < 0 ? err->message : NULL);
    if (rc < 0 && err->http_status)
        json_object_set_new(step, "status", json_integer(err->http_status));
}

static void step_not_run(rn_ctx *c, const char *name,
                         const sl_scenario_fault *f)
{
    json_t *step = json_pack("{s:s, s:s}", "step", name, "outcome",
                             "not-run");

    if (f)
        json_object_set_new(step, "path", json_string(f->path));
    json_array_append_new(c->steps, step);
}

/*
 * Judges a step that must fail ('must_fail', with 'want' in its message
 * when not NULL) or succeed. Returns the step's outcome. An unexpected
 * failure halts the scenario.
 */
static const char *judge(rn_ctx *c, const char *where, const char *what,
                         bool must_fail, const char *want, int rc,
                         const sl_error *err)
{
    char expected[512];

    if (!must_fail) {
        if (rc == 0)
            return "ok";
        snprintf(expected, sizeof(expected), "%s to succeed", what);
        sl__rn_fail(c, where, expected, err->message);
        c->halted = true;
        return "failed";
    }
    if (want)
        snprintf(expected, sizeof(expected), "%s to fail with '%s'", what,
                 want);
    else
        snprintf(expected, sizeof(expected), "%s to fail", what);
    if (rc == 0) {
        sl__rn_fail(c, where, expected, "it succeeded");
        return "ok";
    }
    if (want && !strstr(err->message, want)) {
        sl__rn_fail(c, where, expected, err->message);
        return "failed";
    }
    json_array_append_new(c->expectations,
                          json_pack("{s:s, s:s, s:s, s:s}", "path", where,
                                    "expected", expected, "observed",
                                    err->message, "outcome", "pass"));
    return "failed-as-expected";
}

/* The run's parts ---------------------------------------------------------- */

/* The state file names the backend its hosts are on and where they are
 * there (libvirt's URI and pool, the netns root of this job), as `swarmlab
 * swarm create` writes it, so that `swarmlab destroy --state FILE` finds
 * them with nothing more said. */
static int record_backend(rn_ctx *c, sl_error *err)
{
    sl_state_place place = {c->backend, c->uri, NULL, NULL};
    char *uri = NULL;
    int rc;

    if (!strcmp(c->backend, "libvirt")) {
        /* without a URI, the one libvirt chose ($LIBVIRT_DEFAULT_URI...) */
        if (!place.uri && sl_hv_libvirt_conn(c->hv))
            place.uri = uri = virConnectGetURI(sl_hv_libvirt_conn(c->hv));
        place.pool = c->pool ? c->pool : SL_HV_LIBVIRT_POOL;
    }
    place.netns_root = sl_hv_netns_root(c->hv);
    sl_state_place_set(c->st, &place);
    rc = sl_state_save(c->st, err);
    free(uri);
    return rc;
}

static int make_dir(rn_ctx *c, sl_error *err)
{
    const char *base = c->opts->tmpdir ? c->opts->tmpdir : getenv("TMPDIR");
    char path[PATH_MAX];

    snprintf(c->dir, sizeof(c->dir), "%s/swarmlab-run-XXXXXX",
             base && *base ? base : "/tmp");
    if (!mkdtemp(c->dir)) {
        sl_error_set(err, SL_ERR_IO, "cannot make a directory in '%s'",
                     base && *base ? base : "/tmp");
        c->dir[0] = '\0';
        return -1;
    }
    if (snprintf(path, sizeof(path), "%s/state.json", c->dir) >=
        (int)sizeof(path))
        return sl_error_set(err, SL_ERR_IO, "path too long: '%s'", c->dir);
    c->st = sl_state_open(path, err);
    return c->st ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *sb, int type,
                        struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* Removes the run's directory and all in it: the state file, and on real
 * libvirt the TLS material beside it. */
static void remove_dir(rn_ctx *c)
{
    if (!c->dir[0])
        return;
    nftw(c->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

typedef enum settle_end {
    SETTLE_DONE,
    SETTLE_TIMED_OUT,
    SETTLE_UPDATE_STOPPED,     /* the swarm paused or rolled it back */
    SETTLE_INTERRUPTED
} settle_end;

/*
 * Observes the swarm into 'v' until no task is on its way to running and,
 * with 'expectations', every expectation holds, and, with an 'update', the
 * update is done ('*u' says how far it came); or until the converge
 * timeout passes. A rolling update replaces one task after another, each
 * old one given its grace period to stop (10 s by default): every task
 * it brings to the new spec restarts the timeout. Back-off on the
 * scenario's clock; '*polls' is how many observations it took.
 */
static settle_end wait_settled(rn_ctx *c, rn_view *v, bool expectations,
                               const sl_scenario_fault *update, rn_update *u,
                               int *polls)
{
    int64_t limit = c->sc->converge_timeout_ns > 0 ? c->sc->converge_timeout_ns
                                                   : DEFAULT_CONVERGE_NS;
    sl_clock *clock = sl_hypervisor_clock(c->hv);
    int64_t deadline = sl_clock_now_ns(clock) + limit;
    int64_t backoff = FIRST_POLL_NS;
    size_t most = 0;

    for (*polls = 1;; (*polls)++) {
        sl__rn_observe(c, v);
        if (update) {
            sl__rn_update_progress(v, update, u);
            if (u->state == RN_UPDATE_STOPPED)
                return SETTLE_UPDATE_STOPPED;
            if (u->updated > most)
                deadline = sl_clock_now_ns(clock) + limit;
            most = u->updated > most ? u->updated : most;
        }
        if (sl__rn_view_settled(v) &&
            (!expectations || sl__rn_expect(c, v, false) == 0) &&
            (!update || u->state == RN_UPDATE_DONE))
            return SETTLE_DONE;
        if (sl__rn_interrupted(c))
            return SETTLE_INTERRUPTED;
        if (sl_clock_now_ns(clock) + backoff > deadline)
            return SETTLE_TIMED_OUT;
        sl__rn_sleep(c, backoff);
        backoff = backoff * 2 > MAX_POLL_NS ? MAX_POLL_NS : backoff * 2;
    }
}

/* After a step that changes services, they reach their state before the
 * next step; an update must complete. Returns 0, or -1 with 'err' filled
 * when an update did not. */
static int settle(rn_ctx *c, json_t *step, const sl_scenario_fault *f,
                  sl_error *err)
{
    const sl_scenario_fault *update = f && f->kind == SL_FAULT_UPDATE ? f
                                                                      : NULL;
    rn_view v = {0};
    rn_update u = {0};
    settle_end end;
    int polls;
    int rc = 0;

    end = wait_settled(c, &v, false, update, &u, &polls);
    json_object_set_new(step, "settled", json_boolean(end == SETTLE_DONE));
    if (update) {
        json_object_set_new(step, "updated_tasks",
                            json_integer((json_int_t)u.updated));
        if (u.status)
            json_object_set_new(step, "update_status", json_string(u.status));
    }
    if (end == SETTLE_UPDATE_STOPPED)
        rc = sl_error_set(err, SL_ERR_API, "the update of '%s' is %s: %s",
                          f->service, u.status,
                          u.message ? u.message : "no reason given");
    else if (update && end == SETTLE_TIMED_OUT && u.state != RN_UPDATE_DONE)
        rc = sl_error_set(err, SL_ERR_TIMEOUT, "the update of '%s' did not "
                          "complete: %zu of %zu replicas run it (update "
                          "status '%s')", f->service, u.updated, u.wanted,
                          u.status ? u.status : "none");
    sl__rn_view_clear(&v);
    return rc;
}

/* The last wait: until the expectations hold on a settled swarm, or the
 * converge timeout; the last observation stays in c->view. */
static void converge(rn_ctx *c)
{
    json_t *step = step_begin(c, "converge", NULL);
    int polls;
    settle_end end = wait_settled(c, &c->view, true, NULL, NULL, &polls);

    json_object_set_new(step, "polls", json_integer(polls));
    step_end(c, step,
             end == SETTLE_DONE          ? "ok"
             : end == SETTLE_INTERRUPTED ? "interrupted"
                                         : "timed-out",
             NULL);
}

/* The names of the scenario's hosts the hypervisor still has. */
static size_t hosts_left(rn_ctx *c, char *names, size_t size)
{
    sl_hv_host_info *list;
    size_t n = 0, left = 0;
    sl_error err;

    names[0] = '\0';
    list = sl_hv_host_list(c->hv, &n, &err);
    if (!list) {
        snprintf(names, size, "cannot list hosts: %s", err.message);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names);

        if (!sl_scenario_find_host(c->sc, list[i].name))
            continue;
        snprintf(names + len, size - len, "%s%s", left ? ", " : "",
                 list[i].name);
        left++;
    }
    free(list);
    if (json_object_size(json_object_get(sl_state_root(c->st), "hosts"))) {
        size_t len = strlen(names);

        snprintf(names + len, size - len, "%sthe state file records hosts",
                 left ? "; " : "");
        left++;
    }
    return left;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of 'obj' with its keys in order: threads fill it in any. */
static json_t *sorted_keys(json_t *obj)
{
    size_t n = json_object_size(obj), k = 0;
    const char **keys = calloc(n + 1, sizeof(*keys));
    json_t *out = json_object();
    const char *key;
    json_t *v;

    if (!keys)
        return out;
    json_object_foreach(obj, key, v)
        keys[k++] = key;
    qsort(keys, n, sizeof(*keys), by_string);
    for (k = 0; k < n; k++)
        json_object_set(out, keys[k], json_object_get(obj, keys[k]));
    free(keys);
    return out;
}

/* Whether the build must fail: expect.failure says so, or a boot fault
 * that must fail; with the message it names and where it is asked. */
static void build_wants(rn_ctx *c, bool *must_fail, const char **want,
                        const char **where)
{
    const sl_scenario_expect *e = &c->sc->expect;

    *must_fail = e->failure_step == SL_STEP_BUILD;
    *want = *must_fail ? e->failure_message : NULL;
    *where = *must_fail ? "expect.failure" : "build";
    for (size_t i = 0; i < c->sc->n_faults; i++) {
        const sl_scenario_fault *f = &c->sc->faults[i];

        if (f->at == SL_MOMENT_DURING_BOOT && f->must_fail && !*want) {
            *must_fail = true;
            *want = f->fails_with;
            *where = f->path;
        }
    }
}

static void keep_plan(rn_ctx *c, const sl_host_plan *plan, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rn_host *h = sl__rn_host(c, plan[i].name);
        sl_hv_host_info info;
        sl_error err;

        if (!h)
            continue;
        snprintf(h->endpoint, sizeof(h->endpoint), "%s", plan[i].endpoint);
        snprintf(h->addr, sizeof(h->addr), "%s", plan[i].address);
        /* a power loss set for the boot may already have happened */
        if (sl_hv_host_inspect(c->hv, h->sh->name, &info, &err) == 0 &&
            info.state != SL_HV_STATE_RUNNING)
            h->off = true;
    }
}

/* Checks that a build that failed as expected left nothing behind. */
static void check_nothing_left(rn_ctx *c)
{
    char names[1024];
    size_t left = hosts_left(c, names, sizeof(names));

    json_array_append_new(
        c->expectations,
        json_pack("{s:s, s:s, s:s, s:s}", "path", "build", "expected",
                  "nothing left after the failed build", "observed",
                  left ? names : "nothing left", "outcome",
                  left ? "fail" : "pass"));
    if (left)
        sl__rn_fail(c, "build", "nothing left after the failed build",
                    names);
}

static void build(rn_ctx *c)
{
    json_t *step = step_begin(c, "build", NULL);
    sl_host_extra *extras = NULL;
    sl_host_plan *plan = NULL;
    sl_swarm_summary summary;
    sl_pipeline_spec spec;
    const char *want;
    const char *where;
    const char *outcome;
    bool must_fail;
    size_t n = 0;
    sl_error err;
    int rc;

    sl_error_clear(&err);
    build_wants(c, &must_fail, &want, &where);
    pthread_mutex_lock(&c->lock);
    c->retries = json_object();
    pthread_mutex_unlock(&c->lock);
    rc = sl__rn_pipeline_spec(c, &spec, &extras, &err);
    spec.progress = sl__rn_progress;
    spec.progress_data = c;
    spec.cancel = c->opts->interrupt;
    if (rc == 0)
        rc = sl_pipeline_swarm_create(c->hv, c->st, &spec, &summary, &plan,
                                      &n, &err);
    if (rc < 0 && !must_fail && !c->fake && err.code == SL_ERR_CAPACITY) {
        step_end(c, step, "does-not-fit", err.message);
        if (asprintf(&c->res->skip_reason, "does not fit on '%s': %s",
                     c->uri ? c->uri : c->backend, err.message) < 0)
            c->res->skip_reason = NULL;
        c->halted = true;
        goto cleanup;
    }
    if (rc == 0) {
        c->built = true;
        keep_plan(c, plan, n);
        json_object_set_new(step, "leader", json_string(summary.leader));
        json_object_set_new(step, "managers",
                            json_integer((json_int_t)summary.managers));
        json_object_set_new(step, "workers",
                            json_integer((json_int_t)summary.workers));
    }
    pthread_mutex_lock(&c->lock);
    if (json_object_size(c->retries))
        json_object_set_new(step, "retries", sorted_keys(c->retries));
    json_decref(c->retries);
    c->retries = NULL;
    pthread_mutex_unlock(&c->lock);
    if (rc < 0 && err.code == SL_ERR_CANCELLED) {
        sl__rn_interrupted(c); /* fails the scenario as interrupted */
        step_end(c, step, "interrupted", NULL);
        goto cleanup;
    }
    outcome = judge(c, where, "the build", must_fail, want, rc, &err);
    step_end_rc(c, step, outcome, rc, &err);
    if (rc < 0)
        c->halted = true;
    if (rc < 0 && must_fail)
        check_nothing_left(c);

cleanup:
    free(plan);
    free(extras);
}

static void deploy(rn_ctx *c)
{
    const sl_scenario_expect *e = &c->sc->expect;
    const sl_stack *stacks[2];
    bool must_fail = e->failure_step == SL_STEP_DEPLOY;
    json_t *step;
    sl_error err;
    int rc;

    if (sl_scenario_stacks(c->sc, stacks) == 0)
        return;
    if (c->halted || c->stopped || sl__rn_interrupted(c)) {
        step_not_run(c, "deploy", NULL);
        return;
    }
    sl_error_clear(&err);
    step = step_begin(c, "deploy", NULL);
    rc = sl__rn_deploy(c, step, &err);
    if (rc == 0)
        rc = settle(c, step, NULL, &err);
    if (rc == 0 && c->interrupted) {
        step_end(c, step, "interrupted", NULL);
        return;
    }
    step_end_rc(c, step,
                judge(c, must_fail ? "expect.failure" : "deploy", "the deploy",
                      must_fail, e->failure_message, rc, &err),
                rc, &err);
    if (rc < 0)
        c->stopped = true;
}

/* Extra fields of a fault's step in the report. */
static void fault_fields(json_t *step, const sl_scenario_fault *f)
{
    if (f->kind == SL_FAULT_SCALE)
        json_object_set_new(step, "replicas",
                            json_integer((json_int_t)f->replicas));
    if (f->kind == SL_FAULT_UPDATE && f->image)
        json_object_set_new(step, "image", json_string(f->image));
    if (f->kind == SL_FAULT_SLOW_API)
        json_object_set_new(step, "delay_ms",
                            json_integer(f->duration_ns / SL_NS_PER_MS));
    if (f->kind == SL_FAULT_JOIN_WITH_WRONG_TOKEN)
        json_object_set_new(step, "as", json_string(f->as_manager
                                                        ? "manager"
                                                        : "worker"));
}

static void run_fault(rn_ctx *c, const sl_scenario_fault *f, int64_t start)
{
    const char *name = sl_fault_kind_name(f->kind);
    int64_t now = sl_clock_now_ns(sl_hypervisor_clock(c->hv));
    const char *outcome;
    json_t *step;
    sl_error err;
    int rc;

    if (c->halted || c->stopped || sl__rn_interrupted(c)) {
        step_not_run(c, name, f);
        return;
    }
    if (start + f->after_ns > now)
        sl__rn_sleep(c, start + f->after_ns - now);
    if (sl__rn_interrupted(c)) {
        step_not_run(c, name, f);
        return;
    }
    sl_error_clear(&err);
    step = step_begin(c, name, f);
    fault_fields(step, f);
    rc = sl__rn_apply(c, f, step, &err);
    if (rc == 0 && (f->kind == SL_FAULT_DRAIN || f->kind == SL_FAULT_SCALE ||
                    f->kind == SL_FAULT_UPDATE))
        rc = settle(c, step, f, &err);
    if (rc == 0 && c->interrupted) {
        step_end(c, step, "interrupted", NULL);
        return;
    }
    outcome = judge(c, f->path, name, f->must_fail, f->fails_with, rc, &err);
    step_end_rc(c, step, outcome, rc, &err);
}

/* The faults and steps of 'moment', in the order of the file; each at
 * its 'after' past the moment's start, or at once when that has passed. */
static void run_moment(rn_ctx *c, sl_moment moment)
{
    int64_t start = sl_clock_now_ns(sl_hypervisor_clock(c->hv));

    for (size_t i = 0; i < c->sc->n_faults; i++) {
        if (c->sc->faults[i].at == moment)
            run_fault(c, &c->sc->faults[i], start);
    }
}

static void teardown(rn_ctx *c)
{
    json_t *step;
    sl_error err;

    if (c->opts->keep && sl_hv_netns_root(c->hv)) {
        sl__rn_note(c, "kept: state file '%s', netns root '%s'",
                    sl_state_path(c->st), sl_hv_netns_root(c->hv));
        return;
    }
    if (c->opts->keep) {
        sl__rn_note(c, "kept: state file '%s'%s", sl_state_path(c->st),
                    c->fake ? " (the fake's hosts end with the run)" : "");
        return;
    }
    step = step_begin(c, "teardown", NULL);
    if (sl_pipeline_destroy(c->hv, c->st, sl__rn_progress, c, &err) < 0) {
        sl__rn_fail(c, "teardown", "everything made to be destroyed",
                    err.message);
        step_end_rc(c, step, "failed", -1, &err);
        return;
    }
    step_end(c, step, "ok", NULL);
}

/* What exists when no swarm was built: nothing, and no leader. */
static void empty_view(rn_view *v)
{
    sl__rn_view_clear(v);
    v->nodes = calloc(1, sizeof(*v->nodes));
    v->services = calloc(1, sizeof(*v->services));
    v->tasks = calloc(1, sizeof(*v->tasks));
    if (!v->nodes || !v->services || !v->tasks) {
        sl__rn_view_clear(v);
        snprintf(v->error, sizeof(v->error), "out of memory");
    }
}

static void run(rn_ctx *c)
{
    sl_error err;

    sl_error_clear(&err);
    if (make_dir(c, &err) < 0 || sl__rn_open_backend(c, &err) < 0 ||
        record_backend(c, &err) < 0) {
        sl__rn_fail(c, "backend", "the backend to open", err.message);
        return;
    }
    if (sl__rn_boot_faults(c, &err) < 0) {
        sl__rn_fail(c, "faults", "the boot faults to be set", err.message);
        return;
    }
    if (!sl__rn_interrupted(c))
        build(c);
    if (c->built && !sl__rn_interrupted(c)) {
        run_moment(c, SL_MOMENT_AFTER_SWARM);
        deploy(c);
        run_moment(c, SL_MOMENT_AFTER_DEPLOY);
    }
    if (c->res->skip_reason || sl__rn_interrupted(c))
        return;
    /* after a failed step, the expectations are checked against what
     * exists */
    if (c->built && !c->halted)
        converge(c);
    else if (c->built)
        sl__rn_observe(c, &c->view);
    else
        empty_view(&c->view);
    sl__rn_expect(c, &c->view, true);
}

static json_t *failures_json(const sl_run_result *r)
{
    json_t *arr = json_array();

    for (size_t i = 0; i < r->n_failures; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s?}", "where",
                                             r->failures[i].where,
                                             "expected",
                                             r->failures[i].expected,
                                             "observed",
                                             r->failures[i].observed));
    return arr;
}

/* The scenario's part of the JSON report. */
static json_t *report(rn_ctx *c)
{
    const sl_run_result *r = c->res;
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:s?, s:I, s:s}", "name",
                          r->name, "file", r->file, "description",
                          c->sc->description, "backend", c->backend, "uri",
                          c->uri, "seed", (json_int_t)c->seed, "outcome",
                          sl_run_outcome_name(r->outcome));

    if (!o)
        return NULL;
    if (r->skip_reason)
        json_object_set_new(o, "reason", json_string(r->skip_reason));
    if (r->n_failures)
        json_object_set_new(o, "failures", failures_json(r));
    json_object_set_new(o, "virtual_ms",
                        json_integer(r->virtual_ns / SL_NS_PER_MS));
    json_object_set_new(o, "wall_ms", json_integer(r->wall_ns /
                                                   SL_NS_PER_MS));
    json_object_set(o, "notes", c->notes);
    json_object_set(o, "steps", c->steps);
    json_object_set(o, "expectations", c->expectations);
    json_object_set_new(o, "swarm", c->built ? sl__rn_view_json(&c->view)
                                             : json_null());
    return o;
}

static int ctx_init(rn_ctx *c, const sl_scenario *sc,
                    const sl_run_options *opts, sl_run_result *out,
                    sl_error *err)
{
    memset(c, 0, sizeof(*c));
    memset(out, 0, sizeof(*out));
    c->sc = sc;
    c->opts = opts;
    c->sim = opts->sim;
    c->res = out;
    pthread_mutex_init(&c->lock, NULL);
    c->steps = json_array();
    c->expectations = json_array();
    c->notes = json_array();
    c->lost = json_object();
    c->hosts = calloc(sc->n_hosts + 1, sizeof(*c->hosts));
    out->name = strdup(sc->name);
    out->file = strdup(sc->file);
    if (!c->steps || !c->expectations || !c->notes || !c->lost ||
        !c->hosts || !out->name || !out->file)
        return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < sc->n_hosts; i++)
        c->hosts[i].sh = &sc->hosts[i];
    for (size_t i = 0; i < sc->n_faults; i++)
        c->short_timeouts |= sc->faults[i].kind ==
                             SL_FAULT_DAEMON_STOPS_ANSWERING;
    if (c->short_timeouts) {
        c->docker.connect_timeout_ms = 1000;
        c->docker.timeout_ms = 2000;
    }
    return 0;
}

static void ctx_free(rn_ctx *c)
{
    sl__rn_view_clear(&c->view);
    json_decref(c->steps);
    json_decref(c->expectations);
    json_decref(c->notes);
    json_decref(c->lost);
    json_decref(c->retries);
    free(c->hosts);
    sl_state_free(c->st);
    pthread_mutex_destroy(&c->lock);
}

int sl_run_scenario(const sl_scenario *sc, const sl_run_options *opts,
                    sl_run_result *out, sl_error *err)
{
    static const sl_run_options defaults = {0};
    int64_t wall_start = wall_now();
    bool shared;
    rn_ctx c;
    int rc = -1;

    if (!opts)
        opts = &defaults;
    if (ctx_init(&c, sc, opts, out, err) < 0)
        goto cleanup;
    sl__rn_choose_backend(&c);
    if (opts->interrupt && *opts->interrupt)
        out->skip_reason = strdup("the run was interrupted before it began");
    else
        out->skip_reason = sl__rn_unsupported(&c);
    shared = !c.fake && !out->skip_reason;
    if (shared)
        pthread_mutex_lock(&shared_backend);
    if (!out->skip_reason)
        run(&c);
    if (c.hv) {
        if (c.st)
            teardown(&c);
        out->virtual_ns = sl__rn_now_ms(&c) * SL_NS_PER_MS;
    }
    sl__rn_close_backend(&c);
    if (shared)
        pthread_mutex_unlock(&shared_backend);
    if (!opts->keep)
        remove_dir(&c);
    out->outcome = out->skip_reason ? SL_RUN_SKIP
                   : out->n_failures ? SL_RUN_FAIL
                                     : SL_RUN_PASS;
    out->wall_ns = wall_now() - wall_start;
    out->report = report(&c);
    rc = out->report ? 0 : sl_error_set(err, SL_ERR_NOMEM, "out of memory");

cleanup:
    ctx_free(&c);
    return rc;
}

void sl_run_result_clear(sl_run_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_failures; i++) {
        free(r->failures[i].where);
        free(r->failures[i].expected);
        free(r->failures[i].observed);
    }
    free(r->failures);
    free(r->name);
    free(r->file);
    free(r->skip_reason);
    json_decref(r->report);
    memset(r, 0, sizeof(*r));
}

const char *sl_run_outcome_name(sl_run_outcome o)
{
    switch (o) {
    case SL_RUN_PASS: return "pass";
    case SL_RUN_FAIL: return "fail";
    case SL_RUN_SKIP: return "skip";
    }
    return "?";
}
