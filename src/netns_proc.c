/* A namespace host's processes: one started in its namespaces, all ended. */
#include "netns_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPORT_TIMEOUT_MS 10000
#define KILL_POLL_NS (20 * SL_NS_PER_MS)
#define CGROUP_ROOT "/sys/fs/cgroup"

/* The steps of a start, as the child reports where it failed. */
enum {
    STEP_STARTED = 0, /* not a failure: 'pid' is the program's */
    STEP_SESSION,
    STEP_NETNS,
    STEP_UNSHARE,
    STEP_PRIVATE,
    STEP_RUN,
    STEP_MKDIR,
    STEP_BIND,
    STEP_OVERLAY,
    STEP_HOSTNAME,
    STEP_FORK,
    STEP_PROC,
    STEP_OUTPUT,
    STEP_EXEC
};

static const char *const step_names[] = {"",
                                         "a new session",
                                         "entering the network namespace",
                                         "new namespaces",
                                         "private mounts",
                                         "a tmpfs on /run",
                                         "private directories",
                                         "the host directory",
                                         "overlays",
                                         "the hostname",
                                         "fork",
                                         "a /proc of its own",
                                         "its output",
                                         "exec"};

typedef struct report {
    int32_t step;
    int32_t error;
    int64_t pid;
} report;

/* The overlays whose writes stay with the host, and where their layers
 * live. */
static const struct overlay {
    const char *dir;
    const char *layers;
} overlays[] = {
    {"/var/lib", SL_NETNS_PRIVATE "/ov/var-lib"},
    {"/etc", SL_NETNS_PRIVATE "/ov/etc"},
};
#define N_OVERLAYS (sizeof(overlays) / sizeof(overlays[0]))

/* Everything the child needs, made before fork: after it the child may
 * only make system calls. */
typedef struct plan {
    char **detach; /* mount points to drop, deepest first */
    size_t n_detach;
    char **mkdirs; /* in order, on the new /run */
    size_t n_mkdirs;
    bool bind_back; /* the host directory is under /run or an overlay */
    char *overlay_opts[N_OVERLAYS];
    size_t hostname_len;
    int net_fd, log_fd, null_fd, report_fd;
} plan;

/* Plans -------------------------------------------------------------------- */

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);

    return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int list_add(char ***list, size_t *n, const char *s)
{
    char **grown = realloc(*list, (*n + 1) * sizeof(**list));

    if (!grown)
        return -1;
    *list = grown;
    grown[*n] = strdup(s);
    if (!grown[*n])
        return -1;
    (*n)++;
    return 0;
}

static void list_free(char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* Undoes mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape(char *s)
{
    char *out = s;

    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
            s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
            *out++ =
                (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

static int deepest_first(const void *a, const void *b)
{
    size_t la = strlen(*(char *const *)a), lb = strlen(*(char *const *)b);

    return la < lb ? 1 : la > lb ? -1 : 0;
}

/* The mounts under /run and 'hide', which the host's copy must not keep. */
static int plan_detach(plan *p, const char *hide, sl_error *err)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char *line = NULL, *field, *end;
    size_t cap = 0;
    int i, rc = 0;

    if (!f)
        return sl_error_set(err, SL_ERR_IO, "cannot read mounts: %s",
                            strerror(errno));
    while (rc == 0 && getline(&line, &cap, f) > 0) {
        field = line;
        for (i = 0; i < 4 && field; i++) {
            field = strchr(field, ' ');
            if (field)
                field++;
        }
        if (!field)
            continue;
        end = strchr(field, ' ');
        if (end)
            *end = '\0';
        unescape(field);
        if ((under(field, "/run") || (hide && under(field, hide))) &&
            list_add(&p->detach, &p->n_detach, field) < 0)
            rc = sl_error_set(err, SL_ERR_NOMEM, "cannot plan mounts");
    }
    free(line);
    fclose(f);
    if (p->n_detach)
        qsort(p->detach, p->n_detach, sizeof(*p->detach), deepest_first);
    return rc;
}

/* The directories to make on the new /run: the private ones, then the
 * host directory's path when it lies under /run. */
static int plan_dirs(plan *p, const char *dir, sl_error *err)
{
    static const char *const private_dirs[] = {SL_NETNS_PRIVATE,
                                               SL_NETNS_PRIVATE "/ov"};
    char path[4096], opts[512];
    size_t i;
    char *slash;

    for (i = 0; i < 2; i++)
        if (list_add(&p->mkdirs, &p->n_mkdirs, private_dirs[i]) < 0)
            goto nomem;
    for (i = 0; i < N_OVERLAYS; i++) {
        const char *base = overlays[i].layers;

        snprintf(path, sizeof(path), "%s/u", base);
        if (list_add(&p->mkdirs, &p->n_mkdirs, base) < 0 ||
            list_add(&p->mkdirs, &p->n_mkdirs, path) < 0)
            goto nomem;
        snprintf(path, sizeof(path), "%s/w", base);
        if (list_add(&p->mkdirs, &p->n_mkdirs, path) < 0)
            goto nomem;
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s/u,workdir=%s/w",
                 overlays[i].dir, base, base);
        p->overlay_opts[i] = strdup(opts);
        if (!p->overlay_opts[i])
            goto nomem;
    }
    for (i = 0; i < N_OVERLAYS; i++)
        p->bind_back = p->bind_back || under(dir, overlays[i].dir);
    if (!under(dir, "/run"))
        return 0;
    snprintf(path, sizeof(path), "%s", dir);
    for (slash = strchr(path + 5, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        if (list_add(&p->mkdirs, &p->n_mkdirs, path) < 0)
            goto nomem;
        *slash = '/';
    }
    if (list_add(&p->mkdirs, &p->n_mkdirs, path) < 0)
        goto nomem;
    p->bind_back = true;
    return 0;

nomem:
    return sl_error_set(err, SL_ERR_NOMEM, "cannot plan directories");
}

static int plan_open(plan *p, const sl_netns_launch *l, sl_error *err)
{
    const char *what = l->netns;

    p->net_fd = open(l->netns, O_RDONLY | O_CLOEXEC);
    if (p->net_fd >= 0) {
        what = l->log;
        p->log_fd =
            open(l->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                 0600);
    }
    if (p->log_fd >= 0) {
        what = "/dev/null";
        p->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    }
    if (p->null_fd < 0)
        return sl_error_set(err, SL_ERR_IO, "cannot open '%s': %s", what,
                            strerror(errno));
    return 0;
}

static void plan_free(plan *p)
{
    size_t i;
    int *fds[] = {&p->net_fd, &p->log_fd, &p->null_fd};

    list_free(p->detach, p->n_detach);
    list_free(p->mkdirs, p->n_mkdirs);
    for (i = 0; i < N_OVERLAYS; i++)
        free(p->overlay_opts[i]);
    for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
}

/* The child ---------------------------------------------------------------- */

static void child_report(const plan *p, int step, int error, pid_t pid)
{
    report r = {step, error, pid};
    ssize_t n;

    do
        n = write(p->report_fd, &r, sizeof(r));
    while (n < 0 && errno == EINTR);
}

static void child_fail(const plan *p, int step)
{
    child_report(p, step, errno, 0);
    _exit(127);
}

/* PID 1 of the new PID namespace: its own /proc, then the program. */
static void child_exec(const plan *p, const sl_netns_launch *l)
{
    struct sigaction sa;
    sigset_t none;
    int sig;

    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) <
        0)
        child_fail(p, STEP_PROC);
    if (dup2(p->null_fd, 0) < 0 || dup2(p->log_fd, 1) < 0 ||
        dup2(p->log_fd, 2) < 0)
        child_fail(p, STEP_OUTPUT);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (sig = 1; sig < 32; sig++) {
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
            signal(sig, SIG_DFL);
    }
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    execve(l->argv[0], (char *const *)l->argv, (char *const *)l->envp);
    child_fail(p, STEP_EXEC);
}

/* Sets up the namespaces and mounts, forks PID 1 of the new PID namespace
 * and reports its PID. Never returns. */
static void child_setup(const plan *p, const sl_netns_launch *l)
{
    int tree = -1;
    size_t i;
    pid_t pid;

    if (setsid() < 0)
        child_fail(p, STEP_SESSION);
    if (setns(p->net_fd, CLONE_NEWNET) < 0)
        child_fail(p, STEP_NETNS);
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) < 0)
        child_fail(p, STEP_UNSHARE);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        child_fail(p, STEP_PRIVATE);
    /* A copy of the host directory, to put back over the new /run or an
     * overlay. */
    if (p->bind_back) {
        tree = open_tree(AT_FDCWD, l->dir, OPEN_TREE_CLONE | O_CLOEXEC);
        if (tree < 0)
            child_fail(p, STEP_BIND);
    }
    /* A mount may have gone since it was listed: not an error. */
    for (i = 0; i < p->n_detach; i++)
        umount2(p->detach[i], MNT_DETACH);
    if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
        child_fail(p, STEP_RUN);
    for (i = 0; i < p->n_mkdirs; i++) {
        if (mkdir(p->mkdirs[i], 0700) < 0 && errno != EEXIST)
            child_fail(p, STEP_MKDIR);
    }
    for (i = 0; i < N_OVERLAYS; i++) {
        if (mount("overlay", overlays[i].dir, "overlay", 0,
                  p->overlay_opts[i]) < 0)
            child_fail(p, STEP_OVERLAY);
    }
    if (tree >= 0 &&
        move_mount(tree, "", AT_FDCWD, l->dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        child_fail(p, STEP_BIND);
    if (sethostname(l->hostname, p->hostname_len) < 0)
        child_fail(p, STEP_HOSTNAME);
    pid = fork();
    if (pid < 0)
        child_fail(p, STEP_FORK);
    if (pid == 0)
        child_exec(p, l);
    child_report(p, STEP_STARTED, 0, pid);
    _exit(0);
}

/* The parent --------------------------------------------------------------- */

/* Reads the child's reports until every copy of the pipe is closed: the
 * program's PID, or where it failed. */
static pid_t read_reports(int fd, const sl_netns_launch *l, sl_error *err)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    pid_t pid = -1;
    bool failed = false;
    report r;

    for (;;) {
        ssize_t n;
        int ready = poll(&pfd, 1, REPORT_TIMEOUT_MS);

        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            sl_error_set(err, SL_ERR_TIMEOUT,
                         "cannot start '%s' for '%s': no word from it",
                         l->argv[0], l->hostname);
            failed = true;
            break;
        }
        n = read(fd, &r, sizeof(r));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            break;
        if (n != (ssize_t)sizeof(r) || r.step < 0 || r.step > STEP_EXEC) {
            sl_error_set(err, SL_ERR_INTERNAL,
                         "cannot start '%s' for '%s': garbled report",
                         l->argv[0], l->hostname);
            failed = true;
            break;
        }
        if (r.step == STEP_STARTED) {
            pid = (pid_t)r.pid;
        } else if (!failed) {
            sl_error_set(err, SL_ERR_IO, "cannot start '%s' for '%s': %s: %s",
                         l->argv[0], l->hostname, step_names[r.step],
                         strerror(r.error));
            failed = true;
        }
    }
    if (failed && pid > 0)
        kill(pid, SIGKILL);
    return failed ? -1 : pid;
}

pid_t sl_netns_launch_start(const sl_netns_launch *l, sl_error *err)
{
    plan p = {.net_fd = -1, .log_fd = -1, .null_fd = -1, .report_fd = -1};
    int pipefd[2] = {-1, -1};
    pid_t keeper, pid = -1;
    int status;

    p.hostname_len = strlen(l->hostname);
    if (plan_open(&p, l, err) < 0 || plan_detach(&p, l->hide, err) < 0 ||
        plan_dirs(&p, l->dir, err) < 0)
        goto cleanup;
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot start '%s': %s", l->hostname,
                     strerror(errno));
        goto cleanup;
    }
    keeper = fork();
    if (keeper < 0) {
        sl_error_set(err, SL_ERR_IO, "cannot start '%s': fork: %s", l->hostname,
                     strerror(errno));
        goto cleanup;
    }
    if (keeper == 0) {
        close(pipefd[0]);
        p.report_fd = pipefd[1];
        child_setup(&p, l);
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    pid = read_reports(pipefd[0], l, err);
    while (waitpid(keeper, &status, 0) < 0 && errno == EINTR)
        ;
    if (pid == 0) {
        sl_error_set(err, SL_ERR_INTERNAL, "cannot start '%s': no pid",
                     l->hostname);
        pid = -1;
    }

cleanup:
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    plan_free(&p);
    return pid;
}

/* Processes ---------------------------------------------------------------- */

/* The state letter of 'pid' ('R', 'S', 'Z', ...), or 0 when it is gone. */
static char pid_state(pid_t pid)
{
    char path[64], buf[512], *close_paren;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : 0;
}

/* The network namespace inode of 'pid', or 0 when unknown. */
static ino_t pid_netns(pid_t pid)
{
    char path[64];
    struct stat st;

    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    return stat(path, &st) == 0 ? st.st_ino : 0;
}

static bool pid_live(pid_t pid)
{
    char state = pid_state(pid);

    return state && state != 'Z' && state != 'X';
}

bool sl_netns_pid_alive(pid_t pid, ino_t netns)
{
    return pid > 0 && pid_live(pid) && pid_netns(pid) == netns;
}

bool sl_netns_pid_signal(pid_t pid, ino_t netns, int sig)
{
    return sl_netns_pid_alive(pid, netns) && kill(pid, sig) == 0;
}

/* Whether the command line of 'pid' holds 'mark'. */
static bool pid_cmdline_has(pid_t pid, const char *mark)
{
    char path[64], buf[4096];
    ssize_t n, i;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    for (i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    buf[n] = '\0';
    return strstr(buf, mark) != NULL;
}

/* Kills the matching processes once; returns how many there were. A mark
 * only matches outside the caller's own network namespace, so that nobody
 * merely looking at the host's files is hit. */
static int kill_round(ino_t netns, const char *mark)
{
    ino_t own = pid_netns(getpid());
    struct dirent *e;
    DIR *d = opendir("/proc");
    int found = 0;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char *end;
        long v = strtol(e->d_name, &end, 10);
        pid_t pid = (pid_t)v;
        ino_t ns;

        if (*end || v <= 0 || pid == getpid() || !pid_live(pid))
            continue;
        ns = pid_netns(pid);
        if ((netns && ns == netns) ||
            (mark && ns != own && pid_cmdline_has(pid, mark))) {
            kill(pid, SIGKILL);
            found++;
        }
    }
    closedir(d);
    return found;
}

int sl_netns_kill_all(ino_t netns, const char *mark, sl_clock *clock,
                      int64_t timeout_ns, sl_error *err)
{
    int64_t deadline = sl_clock_now_ns(clock) + timeout_ns;
    int left;

    while ((left = kill_round(netns, mark)) > 0) {
        if (sl_clock_now_ns(clock) >= deadline)
            return sl_error_set(err, SL_ERR_TIMEOUT,
                                "%d processes of '%s' still running", left,
                                mark ? mark : "a namespace");
        sl_clock_sleep_ns(clock, KILL_POLL_NS);
    }
    return 0;
}

/* Cgroups ------------------------------------------------------------------ */

/* Removes cgroup directory 'path' and those below it; 0 when gone. */
static int rmdir_tree(const char *path)
{
    struct dirent *e;
    char sub[4096];
    DIR *d = opendir(path);

    if (!d)
        return errno == ENOENT ? 0 : -1;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") ||
            !strcmp(e->d_name, ".."))
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        rmdir_tree(sub);
    }
    closedir(d);
    return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes 'path' from the hierarchy at 'root', and its parent when that
 * is empty and not the root; -1 with errno set when it stays. */
static int cgroup_remove_in(const char *root, const char *path)
{
    char dir[4096], *slash;

    snprintf(dir, sizeof(dir), "%s%s", root, path);
    if (rmdir_tree(dir) < 0)
        return -1;
    slash = strrchr(dir, '/');
    *slash = '\0';
    if (strlen(dir) > strlen(root))
        rmdir(dir);
    return 0;
}

/* Removes 'path' from every hierarchy once; returns how many stayed and
 * leaves the last failure in '*error'. */
static int cgroup_round(const char *path, int *error)
{
    char root[512];
    struct dirent *e;
    DIR *d = opendir(CGROUP_ROOT);
    int left = 0;

    if (!d)
        return 0;
    if (cgroup_remove_in(CGROUP_ROOT, path) < 0) {
        *error = errno;
        left++;
    }
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || e->d_name[0] == '.')
            continue;
        snprintf(root, sizeof(root), CGROUP_ROOT "/%s", e->d_name);
        if (cgroup_remove_in(root, path) < 0) {
            *error = errno;
            left++;
        }
    }
    closedir(d);
    return left;
}

int sl_netns_remove_cgroups(const char *path, sl_clock *clock,
                            int64_t timeout_ns, sl_error *err)
{
    int64_t deadline = sl_clock_now_ns(clock) + timeout_ns;
    int error = 0;

    if (path[0] != '/' || !strcmp(path, "/") || !strchr(path + 1, '/'))
        return sl_error_set(err, SL_ERR_INVALID, "invalid cgroup '%s'", path);
    while (cgroup_round(path, &error) > 0) {
        if (sl_clock_now_ns(clock) >= deadline)
            return sl_error_set(err, SL_ERR_IO, "cannot remove cgroup '%s': %s",
                                path, strerror(error));
        sl_clock_sleep_ns(clock, KILL_POLL_NS);
    }
    return 0;
}
