/* Tests of the netns backend: real dockerd hosts in namespaces, here. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "docker_client.h"
#include "hv_netns.h"
#include "hypervisor.h"
#include "pipeline.h"
#include "state.h"

#define SEC SL_NS_PER_SEC
#define BOOT_TIMEOUT (60 * SEC)
#define MAX_PIDS 256

/* Why the backend cannot run here; "" when it can. */
static char unavailable[512];

/* What the machine looks like outside our root, to compare after. */
typedef struct snapshot {
    char links[4096]; /* the root namespace's links, " a b c " */
    int docker_rules; /* iptables rules naming DOCKER there */
} snapshot;

typedef struct fixture {
    char root[64]; /* /run/sl-unit-PID: a lab of the test's own */
    char tag[64];  /* its last part, the cgroup parent */
    char tmp[64];  /* for state files */
    sl_hypervisor *hv;
    char *image;
    snapshot before;
    pid_t pids[MAX_PIDS]; /* processes seen in the hosts, to check gone */
    size_t n_pids;
} fixture;

/* The machine ----------------------------------------------------------- */

static void take_snapshot(snapshot *s)
{
    struct if_nameindex *ifs = if_nameindex(), *i;
    char line[1024];
    FILE *p;

    memset(s, 0, sizeof(*s));
    strcat(s->links, " ");
    for (i = ifs; i && i->if_name; i++) {
        strncat(s->links, i->if_name, sizeof(s->links) - strlen(s->links) - 2);
        strcat(s->links, " ");
    }
    if (ifs)
        if_freenameindex(ifs);
    p = popen("iptables-save 2>/dev/null", "r");
    while (p && fgets(line, sizeof(line), p))
        s->docker_rules += strstr(line, "DOCKER") != NULL;
    if (p)
        pclose(p);
}

static bool pid_running(pid_t pid)
{
    char path[64], buf[512], *paren;
    FILE *f;
    bool running = false;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f && fgets(buf, sizeof(buf), f)) {
        paren = strrchr(buf, ')');
        running = paren && paren[2] != 'Z' && paren[2] != 'X';
    }
    if (f)
        fclose(f);
    return running;
}

static bool cmdline_has(pid_t pid, const char *text)
{
    char path[64], buf[4096];
    size_t n, i;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return false;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    for (i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = ' ';
    buf[n] = '\0';
    return strstr(buf, text) != NULL;
}

/* Remembers every process in host 'name's network namespace and in its
 * containers' cgroups, to check later that they are gone. */
static void note_host_pids(fixture *f, const char *name)
{
    char path[PATH_MAX], link[64], want[64];
    struct dirent *e;
    struct stat st;
    DIR *d;

    snprintf(path, sizeof(path), "%s/netns/%s", f->root, name);
    assert_int_equal(stat(path, &st), 0);
    snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)st.st_ino);
    d = opendir("/proc");
    assert_non_null(d);
    while ((e = readdir(d)) && f->n_pids < MAX_PIDS) {
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%s/ns/net", e->d_name);
        n = readlink(path, link, sizeof(link) - 1);
        if (n <= 0)
            continue;
        link[n] = '\0';
        if (!strcmp(link, want))
            f->pids[f->n_pids++] = atoi(e->d_name);
    }
    closedir(d);
}

/* Adds the processes of the containers of 'name' (in its cgroups). */
static void note_container_pids(fixture *f, const char *name)
{
    char dir[PATH_MAX], path[PATH_MAX + 300];
    struct dirent *e;
    FILE *procs;
    DIR *d;
    int pid;

    snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids/%s/%s", f->tag, name);
    d = opendir(dir);
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/cgroup.procs", dir, e->d_name);
        procs = fopen(path, "r");
        while (procs && fscanf(procs, "%d", &pid) == 1 && f->n_pids < MAX_PIDS)
            f->pids[f->n_pids++] = pid;
        if (procs)
            fclose(procs);
    }
    if (d)
        closedir(d);
}

/* The links of the lab namespace, " br0 v3 " , as `ip link` shows them. */
static void lab_links(const fixture *f, char *out, size_t size)
{
    char cmd[256], name[64];
    FILE *p;

    snprintf(cmd, sizeof(cmd),
             "nsenter --net=%s/netns/%s ip -o link show | "
             "awk -F': ' '{sub(/@.*/, \"\", $2); print $2}' | sort",
             f->root, SL_HV_NETNS_LAB);
    snprintf(out, size, " ");
    p = popen(cmd, "r");
    while (p && fscanf(p, "%63s", name) == 1)
        snprintf(out + strlen(out), size - strlen(out), "%s ", name);
    if (p)
        pclose(p);
}

/* Describes what is left of the test's lab into 'why'; returns how many
 * things. */
static int leftovers(const fixture *f, char *why, size_t size)
{
    char path[PATH_MAX], line[4096];
    struct dirent *e;
    snapshot now;
    size_t i;
    FILE *m;
    DIR *d;
    int n = 0;

#define LEFT(...) \
    (n++, snprintf(why + strlen(why), size - strlen(why), __VA_ARGS__))
    why[0] = '\0';
    if (access(f->root, F_OK) == 0)
        LEFT("directory %s; ", f->root);
    m = fopen("/proc/self/mountinfo", "r");
    while (m && fgets(line, sizeof(line), m))
        if (strstr(line, f->root))
            LEFT("mount %.100s; ", line);
    if (m)
        fclose(m);
    d = opendir("/sys/fs/cgroup");
    while (d && (e = readdir(d))) {
        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s", e->d_name, f->tag);
        if (e->d_name[0] != '.' && access(path, F_OK) == 0)
            LEFT("cgroup %s; ", path);
    }
    if (d)
        closedir(d);
    for (i = 0; i < f->n_pids; i++)
        if (pid_running(f->pids[i]))
            LEFT("process %d; ", (int)f->pids[i]);
    d = opendir("/proc");
    while (d && (e = readdir(d))) {
        pid_t pid = atoi(e->d_name);

        if (pid > 0 && pid != getpid() && pid_running(pid) &&
            cmdline_has(pid, f->root))
            LEFT("process %d naming the root; ", (int)pid);
    }
    if (d)
        closedir(d);
    take_snapshot(&now);
    if (now.docker_rules > f->before.docker_rules)
        LEFT("iptables rules in the root namespace; ");
    if (strcmp(now.links, f->before.links))
        LEFT("links '%s' were '%s'; ", now.links, f->before.links);
#undef LEFT
    return n;
}

static void assert_nothing_left(const fixture *f)
{
    char why[8192];

    if (leftovers(f, why, sizeof(why)))
        fail_msg("left behind: %s", why);
}

/* Fixtures -------------------------------------------------------------- */

static sl_hypervisor *open_netns(const fixture *f, const char *const *args,
                                 sl_error *err)
{
    sl_hv_netns_config cfg = {0};
    sl_hv_options opts = {0};

    cfg.root = f->root;
    cfg.dockerd_args = args;
    return sl_hv_netns_open_config(&opts, &cfg, err);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sl_hv_image_spec img = {"swarmlab-base", NULL, NULL, NULL, 0};
    sl_error err;

    *state = f;
    if (unavailable[0])
        return 0;
    snprintf(f->root, sizeof(f->root), "/run/sl-unit-%d", (int)getpid());
    snprintf(f->tag, sizeof(f->tag), "sl-unit-%d", (int)getpid());
    strcpy(f->tmp, "/tmp/sl-netns-XXXXXX");
    assert_non_null(mkdtemp(f->tmp));
    take_snapshot(&f->before);
    f->hv = open_netns(f, NULL, &err);
    if (!f->hv)
        fail_msg("cannot open netns: %s", err.message);
    f->image = sl_hv_image_prepare(f->hv, &img, &err);
    if (!f->image)
        fail_msg("cannot prepare the image: %s", err.message);
    return 0;
}

/* Destroys whatever a failed test left, so the next one starts clean. */
static int teardown(void **state)
{
    fixture *f = *state;
    sl_hv_host_info *hosts;
    size_t n = 0, i;
    sl_error err;

    if (f->hv) {
        hosts = sl_hv_host_list(f->hv, &n, &err);
        for (i = 0; hosts && i < n; i++)
            sl_hv_host_destroy(f->hv, hosts[i].name, &err);
        free(hosts);
    }
    sl_hypervisor_close(f->hv);
    free(f->image);
    if (f->tmp[0]) {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->tmp);
        if (system(cmd) != 0)
            print_message("cannot remove %s\n", f->tmp);
    }
    free(f);
    return 0;
}

#define NEED_NETNS()                                     \
    do {                                                 \
        if (unavailable[0]) {                            \
            print_message("skipped: %s\n", unavailable); \
            skip();                                      \
        }                                                \
    } while (0)

static void make_host(fixture *f, sl_hypervisor *hv, const char *name)
{
    sl_hv_host_spec spec = {0};
    sl_error err;

    spec.name = name;
    spec.image = f->image;
    if (sl_hv_host_create(hv, &spec, &err) < 0)
        fail_msg("cannot create '%s': %s", name, err.message);
}

static void boot_host(sl_hypervisor *hv, const char *name)
{
    sl_error err;

    if (sl_hv_host_start(hv, name, &err) < 0 ||
        sl_hv_host_wait_booted(hv, name, BOOT_TIMEOUT, &err) < 0)
        fail_msg("cannot boot '%s': %s", name, err.message);
}

static sl_docker_client *client_of(sl_hypervisor *hv, const char *name)
{
    char endpoint[SL_HV_ENDPOINT_MAX];
    sl_docker_config cfg = {0};
    sl_docker_client *c;
    sl_error err;

    if (sl_hv_host_docker_endpoint(hv, name, endpoint, sizeof(endpoint), &err) <
        0)
        fail_msg("no endpoint for '%s': %s", name, err.message);
    cfg.host = endpoint;
    c = sl_docker_client_new(&cfg, &err);
    if (!c)
        fail_msg("no client for '%s': %s", name, err.message);
    return c;
}

/* Runs `sleep 1d` in a container of image bb:1. */
static void run_sleeper(sl_docker_client *c)
{
    json_t *body =
        json_pack("{s:s, s:[s,s]}", "Image", "bb:1", "Cmd", "sleep", "1d");
    json_t *made, *started;
    char path[256];
    sl_error err;

    made = sl_docker_call(c, "POST", "/containers/create", body, &err);
    json_decref(body);
    if (!made)
        fail_msg("cannot create a container: %s", err.message);
    snprintf(path, sizeof(path), "/containers/%s/start",
             json_string_value(json_object_get(made, "Id")));
    json_decref(made);
    started = sl_docker_call(c, "POST", path, NULL, &err);
    if (!started)
        fail_msg("cannot start a container: %s", err.message);
    json_decref(started);
}

/* Tests ------------------------------------------------------------------ */

static void netns_host_boots_a_real_dockerd_that_answers(void **state)
{
    fixture *f = *state;
    char addr[SL_HV_ADDR_MAX], endpoint[SL_HV_ENDPOINT_MAX], want[128];
    sl_docker_ping_result ping;
    sl_hv_host_info info;
    sl_docker_info *dinfo;
    sl_docker_client *c;
    json_t *image;
    sl_error err;

    NEED_NETNS();
    make_host(f, f->hv, "nx-a");
    assert_int_equal(sl_hv_host_inspect(f->hv, "nx-a", &info, &err), 0);
    assert_int_equal(info.state, SL_HV_STATE_STOPPED);
    boot_host(f->hv, "nx-a");

    assert_int_equal(
        sl_hv_host_address(f->hv, "nx-a", SEC, addr, sizeof(addr), &err), 0);
    assert_string_equal(addr, "10.88.0.2");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "nx-a", endpoint,
                                                sizeof(endpoint), &err),
                     0);
    snprintf(want, sizeof(want), "unix://%s/nx-a/docker.sock", f->root);
    assert_string_equal(endpoint, want);
    assert_int_equal(sl_hv_host_inspect(f->hv, "nx-a", &info, &err), 0);
    assert_int_equal(info.state, SL_HV_STATE_RUNNING);
    assert_string_equal(info.docker_endpoint, want);

    c = client_of(f->hv, "nx-a");
    if (sl_docker_ping(c, &ping, &err) < 0)
        fail_msg("no answer: %s", err.message);
    assert_string_equal(ping.api_version, "1.41");
    dinfo = sl_docker_info_get(c, &err);
    assert_non_null(dinfo);
    assert_string_equal(dinfo->name, "nx-a");
    assert_string_equal(dinfo->os_type, "linux");
    sl_docker_info_free(dinfo);
    image = sl_docker_call(c, "GET", "/images/bb:1/json", NULL, &err);
    if (!image)
        fail_msg("no image bb:1: %s", err.message);
    json_decref(image);
    sl_docker_client_free(c);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-a", &err), 0);
}

static void netns_destroy_leaves_nothing_behind(void **state)
{
    fixture *f = *state;
    sl_docker_client *c;
    char links[256];
    size_t n = 9;
    sl_hv_host_info *hosts;
    sl_error err;

    NEED_NETNS();
    assert_nothing_left(f);
    make_host(f, f->hv, "nx-a");
    make_host(f, f->hv, "nx-b");
    boot_host(f->hv, "nx-a");
    boot_host(f->hv, "nx-b");
    c = client_of(f->hv, "nx-a");
    run_sleeper(c);
    sl_docker_client_free(c);
    note_host_pids(f, "nx-a");
    note_host_pids(f, "nx-b");
    note_container_pids(f, "nx-a");
    assert_true(f->n_pids >= 5); /* init, dockerd, containerd twice, sleep */

    /* One host goes with its veth; the other keeps the lab. */
    lab_links(f, links, sizeof(links));
    assert_string_equal(links, " br0 lo v2 v3 ");
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-a", &err), 0);
    assert_int_equal(access(f->root, F_OK), 0);
    lab_links(f, links, sizeof(links));
    assert_string_equal(links, " br0 lo v3 ");
    hosts = sl_hv_host_list(f->hv, &n, &err);
    assert_non_null(hosts);
    assert_int_equal(n, 1);
    assert_string_equal(hosts[0].name, "nx-b");
    free(hosts);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-b", &err), 0);
    assert_nothing_left(f);

    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-b", &err), -1);
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    hosts = sl_hv_host_list(f->hv, &n, &err);
    assert_non_null(hosts);
    assert_int_equal(n, 0);
    free(hosts);
}

static void netns_failure_leaves_nothing(void **state)
{
    static const char *const bad[] = {"--no-such-option", NULL};
    fixture *f = *state;
    char path[PATH_MAX];
    sl_hypervisor *hv;
    sl_pipeline_spec spec = {0};
    sl_state *st;
    pid_t pid;
    sl_error err;

    NEED_NETNS();
    /* dockerd refuses an option: the boot fails, saying why. */
    hv = open_netns(f, bad, &err);
    assert_non_null(hv);
    free(sl_hv_image_prepare(
        hv, &(sl_hv_image_spec){"swarmlab-base", NULL, NULL, NULL, 0}, &err));
    make_host(f, hv, "nx-bad");
    assert_int_equal(sl_hv_host_start(hv, "nx-bad", &err), 0);
    assert_int_equal(sl_hv_host_wait_booted(hv, "nx-bad", BOOT_TIMEOUT, &err),
                     -1);
    assert_int_equal(err.code, SL_ERR_API);
    assert_non_null(strstr(err.message, "no-such-option"));
    assert_int_equal(sl_hv_host_destroy(hv, "nx-bad", &err), 0);
    assert_nothing_left(f);

    /* The daemon is killed while it boots. */
    make_host(f, f->hv, "nx-killed");
    assert_int_equal(sl_hv_host_start(f->hv, "nx-killed", &err), 0);
    note_host_pids(f, "nx-killed");
    pid = sl_hv_netns_host_pid(f->hv, "nx-killed");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(
        sl_hv_host_wait_booted(f->hv, "nx-killed", BOOT_TIMEOUT, &err), -1);
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-killed", &err), 0);
    assert_nothing_left(f);

    /* A whole pipeline run that fails rolls back to nothing. */
    snprintf(path, sizeof(path), "%s/state.json", f->tmp);
    st = sl_state_open(path, &err);
    assert_non_null(st);
    spec.prefix = "nx";
    spec.managers.count = 1;
    spec.workers.count = 1;
    assert_int_equal(
        sl_pipeline_swarm_create(hv, st, &spec, NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, SL_ERR_API);
    assert_int_equal(
        json_object_size(json_object_get(sl_state_root(st), "hosts")), 0);
    sl_state_free(st);
    sl_hypervisor_close(hv);
    assert_nothing_left(f);
}

static void netns_stopped_host_starts_again_with_its_data(void **state)
{
    fixture *f = *state;
    char endpoint[SL_HV_ENDPOINT_MAX];
    sl_hv_host_info info;
    sl_docker_client *c;
    json_t *list;
    sl_error err;

    NEED_NETNS();
    make_host(f, f->hv, "nx-a");
    boot_host(f->hv, "nx-a");
    c = client_of(f->hv, "nx-a");
    run_sleeper(c);
    sl_docker_client_free(c);
    note_host_pids(f, "nx-a");

    assert_int_equal(sl_hv_host_stop(f->hv, "nx-a", SEC, &err), 0);
    assert_int_equal(sl_hv_host_inspect(f->hv, "nx-a", &info, &err), 0);
    assert_int_equal(info.state, SL_HV_STATE_STOPPED);
    assert_string_equal(info.docker_endpoint, "");
    assert_int_equal(sl_hv_host_docker_endpoint(f->hv, "nx-a", endpoint,
                                                sizeof(endpoint), &err),
                     -1);
    assert_int_equal(err.code, SL_ERR_CONFLICT);
    assert_int_equal(sl_hv_host_wait_booted(f->hv, "nx-a", SEC, &err), -1);
    assert_int_equal(err.code, SL_ERR_CONFLICT);
    assert_int_equal(sl_hv_host_stop(f->hv, "nx-a", 0, &err), 0);

    boot_host(f->hv, "nx-a");
    assert_int_equal(sl_hv_host_start(f->hv, "nx-a", &err), 0);
    c = client_of(f->hv, "nx-a");
    list = sl_docker_call(c, "GET", "/containers/json?all=1", NULL, &err);
    assert_non_null(list);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    sl_docker_client_free(c);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-a", &err), 0);
    assert_nothing_left(f);
}

/* Polls the manager until 'want' nodes are ready, at most 30 s. */
static void wait_ready_nodes(sl_docker_client *c, size_t want)
{
    sl_docker_node_list *nodes = NULL;
    size_t ready = 0, i;
    int tries;
    sl_error err;

    for (tries = 0; tries < 300 && ready != want; tries++) {
        if (tries)
            usleep(100 * 1000);
        nodes = sl_docker_nodes_list(c, NULL, 0, &err);
        if (!nodes)
            fail_msg("cannot list nodes: %s", err.message);
        for (ready = 0, i = 0; i < nodes->count; i++)
            ready += !strcmp(nodes->items[i].state, "ready");
        if (nodes->count != want)
            ready = 0;
        sl_docker_node_list_free(nodes);
    }
    assert_int_equal(ready, want);
}

static void netns_two_hosts_reach_each_other(void **state)
{
    fixture *f = *state;
    sl_docker_swarm_init_req init = {0};
    sl_docker_swarm_join_req join = {0};
    const char *remote[] = {"10.88.0.2:2377"};
    sl_docker_client *a, *b;
    sl_docker_swarm *sw;
    char *node_id;
    sl_error err;

    NEED_NETNS();
    make_host(f, f->hv, "nx-m");
    make_host(f, f->hv, "nx-w");
    assert_int_equal(sl_hv_host_start(f->hv, "nx-m", &err), 0);
    assert_int_equal(sl_hv_host_start(f->hv, "nx-w", &err), 0);
    boot_host(f->hv, "nx-m");
    boot_host(f->hv, "nx-w");
    a = client_of(f->hv, "nx-m");
    b = client_of(f->hv, "nx-w");

    init.advertise_addr = "10.88.0.2";
    node_id = sl_docker_swarm_init(a, &init, &err);
    if (!node_id)
        fail_msg("cannot init: %s", err.message);
    free(node_id);
    sw = sl_docker_swarm_inspect(a, &err);
    assert_non_null(sw);
    join.join_token = sw->worker_token;
    join.remote_addrs = remote;
    join.n_remote_addrs = 1;
    join.advertise_addr = "10.88.0.3";
    if (sl_docker_swarm_join(b, &join, &err) < 0)
        fail_msg("cannot join: %s", err.message);
    sl_docker_swarm_free(sw);
    wait_ready_nodes(a, 2);

    sl_docker_client_free(a);
    sl_docker_client_free(b);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-w", &err), 0);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-m", &err), 0);
    assert_nothing_left(f);
}

/* A TCP socket made in host 'name's network namespace: it stays there. */
static int socket_in(const fixture *f, const char *name)
{
    char path[PATH_MAX];
    int self, ns, fd;

    snprintf(path, sizeof(path), "%s/netns/%s", f->root, name);
    self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ns = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(self >= 0 && ns >= 0);
    assert_int_equal(setns(ns, CLONE_NEWNET), 0);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(setns(self, CLONE_NEWNET), 0);
    close(self);
    close(ns);
    assert_true(fd >= 0);
    return fd;
}

static struct sockaddr_in inet_addr_of(const char *addr, int port)
{
    struct sockaddr_in sa = {0};

    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
    return sa;
}

/* Host 'name' listening on 'addr':PARTITION_PORT. */
#define PARTITION_PORT 7946
static int listen_in(const fixture *f, const char *name, const char *addr)
{
    struct sockaddr_in sa = inet_addr_of(addr, PARTITION_PORT);
    int fd = socket_in(f, name), one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 16), 0);
    return fd;
}

/* Whether host 'from' opens a connection to 'addr':PARTITION_PORT within
 * 'ms' milliseconds. */
static bool reaches(const fixture *f, const char *from, const char *addr,
                    int ms)
{
    struct sockaddr_in sa = inet_addr_of(addr, PARTITION_PORT);
    struct pollfd p = {0};
    int fd = socket_in(f, from), e = -1;
    socklen_t len = sizeof(e);

    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        e = 0;
    else if (errno == EINPROGRESS) {
        p.fd = fd;
        p.events = POLLOUT;
        if (poll(&p, 1, ms) == 1)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
    }
    close(fd);
    return e == 0;
}

static void partition(sl_hypervisor *hv, const char *const *hosts,
                      const int *sides, size_t n)
{
    sl_error err;

    if (sl_hv_partition(hv, hosts, sides, n, &err) < 0)
        fail_msg("cannot partition: %s", err.message);
}

static void netns_partition_cuts_sides_apart_and_heal_joins_them(void **state)
{
    fixture *f = *state;
    const char *two_sides[] = {"nx-a", "nx-b", "nx-c"};
    const int sides[] = {0, 0, 1};
    const char *only_c[] = {"nx-c"};
    const int side_1[] = {1};
    const char *missing[] = {"nx-z"};
    char links[256];
    int la, lb, lc;
    sl_error err;

    NEED_NETNS();
    make_host(f, f->hv, "nx-a"); /* 10.88.0.2 */
    make_host(f, f->hv, "nx-b"); /* .3 */
    make_host(f, f->hv, "nx-c"); /* .4 */
    la = listen_in(f, "nx-a", "10.88.0.2");
    lb = listen_in(f, "nx-b", "10.88.0.3");
    lc = listen_in(f, "nx-c", "10.88.0.4");
    assert_true(reaches(f, "nx-a", "10.88.0.4", 3000));

    partition(f->hv, two_sides, sides, 3);
    lab_links(f, links, sizeof(links));
    assert_string_equal(links, " br0 br1 lo v2 v3 v4 ");
    assert_false(reaches(f, "nx-a", "10.88.0.4", 1000));
    assert_false(reaches(f, "nx-c", "10.88.0.2", 1000));
    assert_false(reaches(f, "nx-c", "10.88.0.3", 1000));
    assert_true(reaches(f, "nx-a", "10.88.0.3", 3000));
    assert_true(reaches(f, "nx-b", "10.88.0.2", 3000));

    /* Hosts not named are on side 0; a partition replaces the last. */
    assert_int_equal(sl_hv_heal(f->hv, &err), 0);
    partition(f->hv, only_c, side_1, 1);
    assert_false(reaches(f, "nx-b", "10.88.0.4", 1000));
    assert_true(reaches(f, "nx-b", "10.88.0.2", 3000));

    assert_int_equal(sl_hv_heal(f->hv, &err), 0);
    lab_links(f, links, sizeof(links));
    assert_string_equal(links, " br0 lo v2 v3 v4 ");
    assert_true(reaches(f, "nx-a", "10.88.0.4", 3000));
    assert_true(reaches(f, "nx-c", "10.88.0.3", 3000));
    assert_int_equal(sl_hv_heal(f->hv, &err), 0);

    assert_int_equal(sl_hv_partition(f->hv, missing, side_1, 1, &err), -1);
    assert_int_equal(err.code, SL_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "nx-z"));
    assert_true(reaches(f, "nx-a", "10.88.0.4", 3000));

    partition(f->hv, two_sides, sides, 3);
    close(la);
    close(lb);
    close(lc);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-c", &err), 0);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-b", &err), 0);
    assert_int_equal(sl_hv_host_destroy(f->hv, "nx-a", &err), 0);
    assert_nothing_left(f);
}

/* Whether the backend can run here, and if not why. */
static void probe(void)
{
    sl_hv_options opts = {0};
    sl_hypervisor *hv;
    sl_error err;

    hv = sl_hypervisor_open("netns", &opts, &err);
    if (!hv)
        snprintf(unavailable, sizeof(unavailable), "%s", err.message);
    else if (access(SL_HV_NETNS_BUSYBOX, X_OK) < 0)
        snprintf(unavailable, sizeof(unavailable),
                 "busybox not found at '%s': install busybox-static",
                 SL_HV_NETNS_BUSYBOX);
    sl_hypervisor_close(hv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            netns_host_boots_a_real_dockerd_that_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(netns_destroy_leaves_nothing_behind,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            netns_stopped_host_starts_again_with_its_data, setup, teardown),
        cmocka_unit_test_setup_teardown(netns_failure_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(netns_two_hosts_reach_each_other, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            netns_partition_cuts_sides_apart_and_heal_joins_them, setup,
            teardown),
    };
    int failed;

    probe();
    failed = cmocka_run_group_tests_name("hv_netns", tests, NULL, NULL);
    if (unavailable[0]) {
        printf("skipped: %s\n", unavailable);
        return 77;
    }
    return failed;
}
