/* swarmlab swarm create and swarmlab host create: hosts, and a swarm of them. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_common.h"
#include "docker_client.h"
#include "pipeline.h"

typedef struct swarm_opts {
    sl_cmd_env env;
    sl_pipeline_spec spec;
    sl_docker_label *manager_labels;
    size_t n_manager_labels;
    sl_docker_label *worker_labels;
    size_t n_worker_labels;
    sl_cmd_imports imports;
} swarm_opts;

static void usage(FILE *out, bool host)
{
    if (host)
        fprintf(out, "usage: swarmlab host create NAME [OPTIONS]\n\n"
                     "Makes one Docker host VM from the base image and waits "
                     "until its\nDocker API answers.\n\n");
    else
        fprintf(out,
                "usage: swarmlab swarm create [OPTIONS]\n\n"
                "Makes the host VMs in parallel, forms a swarm of managers "
                "and workers,\nlabels the nodes and checks the result. "
                "Hosts are PREFIX-mngr-N and\nPREFIX-wrkr-N.\n\n"
                "  --managers N        managers (1)\n"
                "  --workers N         workers (3)\n"
                "  --prefix NAME       host name prefix (n2d)\n"
                "  --manager-label K=V label every manager (repeatable)\n"
                "  --worker-label K=V  label every worker (repeatable)\n"
                "  --manager-os OS     linux (default) or windows\n"
                "  --worker-os OS      linux (default) or windows\n");
    fprintf(out,
            "  --cpus N            CPUs per host (4)\n"
            "  --memory MIB        memory per host (2048)\n"
            "  --disk GIB          disk per host (20)\n"
            "  --network NAME      network to attach to (default)\n"
            "  --image NAME        base image (swarmlab-base)\n"
            "  --parallel N        hosts made at once (8; 1 is sequential)\n"
            "  --boot-timeout S    seconds to wait for a boot (120)\n"
            "  --address-timeout S seconds to wait for an address (60)\n"
            "  --docker-timeout S  seconds to wait for Docker to answer (60)\n"
            "  --keep-on-failure   leave what a failed run made, for "
            "inspection\n" SL_CMD_IMPORT_HELP SL_CMD_COMMON_HELP);
}

enum {
    OPT_MANAGERS = 1, OPT_WORKERS, OPT_PREFIX, OPT_CPUS, OPT_MEMORY,
    OPT_DISK, OPT_NETWORK, OPT_IMAGE, OPT_PARALLEL, OPT_BOOT_TIMEOUT,
    OPT_KEEP, OPT_MLABEL, OPT_WLABEL, OPT_MOS, OPT_WOS, OPT_ADDR_TIMEOUT,
    OPT_DOCKER_TIMEOUT, OPT_IMPORT_IMAGE, OPT_IMPORT_BUSYBOX
};

/* Reads a whole non-negative number, or prints why not and returns -1. */
static int parse_count(const char *command, const char *opt,
                       const char *text, long max, long *out)
{
    char *end = NULL;
    long v = strtol(text, &end, 10);

    if (!*text || *end || v < 0 || v > max) {
        fprintf(stderr, "swarmlab %s: invalid --%s '%s': expected 0 to %ld\n",
                command, opt, text, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int check_os(const char *command, const char *opt, const char *os)
{
    if (!strcmp(os, "linux") || !strcmp(os, "windows"))
        return 0;
    fprintf(stderr, "swarmlab %s: invalid --%s '%s': expected linux or "
                    "windows\n", command, opt, os);
    return -1;
}

static int parse(int argc, char **argv, swarm_opts *o, bool host)
{
    static const struct option longs[] = {
        {"managers", required_argument, NULL, OPT_MANAGERS},
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"prefix", required_argument, NULL, OPT_PREFIX},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"disk", required_argument, NULL, OPT_DISK},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"boot-timeout", required_argument, NULL, OPT_BOOT_TIMEOUT},
        {"address-timeout", required_argument, NULL, OPT_ADDR_TIMEOUT},
        {"docker-timeout", required_argument, NULL, OPT_DOCKER_TIMEOUT},
        {"keep-on-failure", no_argument, NULL, OPT_KEEP},
        {"manager-label", required_argument, NULL, OPT_MLABEL},
        {"worker-label", required_argument, NULL, OPT_WLABEL},
        {"manager-os", required_argument, NULL, OPT_MOS},
        {"worker-os", required_argument, NULL, OPT_WOS},
        {"import-image", required_argument, NULL, OPT_IMPORT_IMAGE},
        {"import-busybox", required_argument, NULL, OPT_IMPORT_BUSYBOX},
        SL_CMD_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    const char *cmd = o->env.command;
    sl_pipeline_spec *s = &o->spec;
    long v;
    int c;

    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (sl_cmd_env_option(&o->env, c, optarg))
            continue;
        switch (c) {
        case OPT_MANAGERS:
            if (host || parse_count(cmd, "managers", optarg, 9, &v) < 0)
                return -1;
            s->managers.count = (int)v;
            break;
        case OPT_WORKERS:
            if (host || parse_count(cmd, "workers", optarg, 1000, &v) < 0)
                return -1;
            s->workers.count = (int)v;
            break;
        case OPT_PREFIX: s->prefix = optarg; break;
        case OPT_CPUS:
            if (parse_count(cmd, "cpus", optarg, 1024, &v) < 0 || v == 0)
                return -1;
            s->managers.cpus = s->workers.cpus = (int)v;
            break;
        case OPT_MEMORY:
            if (parse_count(cmd, "memory", optarg, 1L << 24, &v) < 0 ||
                v == 0)
                return -1;
            s->managers.memory_mib = s->workers.memory_mib = v;
            break;
        case OPT_DISK:
            if (parse_count(cmd, "disk", optarg, 1L << 16, &v) < 0 || v == 0)
                return -1;
            s->managers.disk_gib = s->workers.disk_gib = v;
            break;
        case OPT_NETWORK: s->network = optarg; break;
        case OPT_IMAGE: s->image.name = optarg; break;
        case OPT_PARALLEL:
            if (parse_count(cmd, "parallel", optarg, 64, &v) < 0 || v == 0)
                return -1;
            s->parallel = (int)v;
            break;
        case OPT_BOOT_TIMEOUT:
            if (parse_count(cmd, "boot-timeout", optarg, 86400, &v) < 0 ||
                v == 0)
                return -1;
            s->boot_timeout_ns = v * SL_NS_PER_SEC;
            break;
        case OPT_ADDR_TIMEOUT:
            if (parse_count(cmd, "address-timeout", optarg, 86400, &v) < 0 ||
                v == 0)
                return -1;
            s->address_timeout_ns = v * SL_NS_PER_SEC;
            break;
        case OPT_DOCKER_TIMEOUT:
            if (parse_count(cmd, "docker-timeout", optarg, 86400, &v) < 0 ||
                v == 0)
                return -1;
            s->docker_timeout_ns = v * SL_NS_PER_SEC;
            break;
        case OPT_KEEP: s->keep_on_failure = true; break;
        case OPT_MLABEL:
            if (sl_cmd_add_label(cmd, optarg, &o->manager_labels,
                                 &o->n_manager_labels) < 0)
                return -1;
            break;
        case OPT_WLABEL:
            if (sl_cmd_add_label(cmd, optarg, &o->worker_labels,
                                 &o->n_worker_labels) < 0)
                return -1;
            break;
        case OPT_MOS:
            if (check_os(cmd, "manager-os", optarg) < 0)
                return -1;
            s->managers.os = optarg;
            break;
        case OPT_WOS:
            if (check_os(cmd, "worker-os", optarg) < 0)
                return -1;
            s->workers.os = optarg;
            break;
        case OPT_IMPORT_IMAGE:
        case OPT_IMPORT_BUSYBOX:
            if (sl_cmd_add_import(cmd, optarg, c == OPT_IMPORT_IMAGE,
                                  &o->imports) < 0)
                return -1;
            break;
        case 'h': usage(stdout, host); exit(0);
        default: usage(stderr, host); return -1;
        }
    }
    s->managers.labels = o->manager_labels;
    s->managers.n_labels = o->n_manager_labels;
    s->workers.labels = o->worker_labels;
    s->workers.n_labels = o->n_worker_labels;
    return 0;
}

static void print_labels(const sl_docker_node *n)
{
    size_t i;

    for (i = 0; i < n->n_labels; i++)
        printf("%s%s=%s", i ? "," : "", n->labels[i].key,
               n->labels[i].value);
    if (n->n_labels == 0)
        printf("-");
}

static int by_hostname(const void *a, const void *b)
{
    const sl_docker_node *x = a;
    const sl_docker_node *y = b;

    return strcmp(x->hostname, y->hostname);
}

/* Shows the swarm as its leader sees it, one line per node, sorted by
 * hostname as `docker node ls` sorts them. */
static int show_nodes(const char *endpoint, const sl_docker_config *tls,
                      sl_error *err)
{
    sl_docker_config cfg = {0};
    sl_docker_client *c = NULL;
    sl_docker_node_list *nodes = NULL;
    size_t i;

    if (tls)
        cfg = *tls;
    cfg.host = endpoint;
    c = sl_docker_client_new(&cfg, err);
    nodes = c ? sl_docker_nodes_list(c, NULL, 0, err) : NULL;
    if (nodes) {
        qsort(nodes->items, nodes->count, sizeof(nodes->items[0]),
              by_hostname);
        printf("%-20s %-8s %-7s %-12s %-10s %-16s %s\n", "HOSTNAME", "ROLE",
               "STATUS", "AVAILABILITY", "MANAGER", "ADDRESS", "LABELS");
        for (i = 0; i < nodes->count; i++) {
            const sl_docker_node *n = &nodes->items[i];

            printf("%-20s %-8s %-7s %-12s %-10s %-16s ", n->hostname,
                   n->role, n->state, n->availability,
                   n->leader ? "Leader" : n->reachability, n->addr);
            print_labels(n);
            printf("\n");
        }
    }
    sl_docker_node_list_free(nodes);
    sl_docker_client_free(c);
    return nodes ? 0 : -1;
}

static json_t *hosts_json(const sl_host_plan *plan, size_t n)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s}", "name", plan[i].name,
                           "role", plan[i].manager ? "manager" : "worker",
                           "address", plan[i].address, "docker_host",
                           plan[i].endpoint));
    return arr;
}

int sl_cmd_swarm(int argc, char **argv)
{
    swarm_opts o;
    sl_swarm_summary summary;
    sl_host_plan *plan = NULL;
    size_t nplan = 0;
    sl_error err;
    int rc;

    memset(&o, 0, sizeof(o));
    o.env.command = "swarm create";
    if (argc < 2 || strcmp(argv[1], "create")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") ||
                          !strcmp(argv[1], "-h"))) {
            usage(stdout, false);
            return SL_EXIT_OK;
        }
        fprintf(stderr, "usage: swarmlab swarm create [OPTIONS]\n");
        return SL_EXIT_USAGE;
    }
    o.spec.managers.count = SL_DEFAULT_MANAGERS;
    o.spec.workers.count = SL_DEFAULT_WORKERS;
    if (parse(argc - 1, argv + 1, &o, false) < 0) {
        rc = SL_EXIT_USAGE;
        goto cleanup;
    }
    o.spec.cancel = sl_cmd_catch_signals();
    rc = sl_cmd_imports_ready(o.env.command, &o.imports, &o.spec);
    if (rc)
        goto cleanup;
    rc = sl_cmd_env_open(&o.env);
    if (rc)
        goto cleanup;
    o.spec.progress = sl_cmd_progress;
    o.spec.progress_data = &o.env;
    if (sl_cmd_env_is_test_driver(&o.env) && !o.spec.image.size_gib)
        o.spec.image.size_gib = 1; /* nothing boots from it there */
    o.spec.docker = sl_cmd_env_docker(&o.env);

    if (sl_pipeline_swarm_create(o.env.hv, o.env.st, &o.spec, &summary,
                                 &plan, &nplan, &err) < 0) {
        if (err.code == SL_ERR_CANCELLED) {
            rc = sl_cmd_cancelled(&o.env, o.spec.keep_on_failure);
            goto cleanup;
        }
        rc = sl_cmd_fail(&o.env, &err);
        sl_cmd_show_console(&o.env, err.where);
        goto cleanup;
    }
    if (o.env.json) {
        json_t *out = json_pack("{s:s, s:s, s:I, s:I, s:o}", "cluster_id",
                                summary.cluster_id, "leader", summary.leader,
                                "managers", (json_int_t)summary.managers,
                                "workers", (json_int_t)summary.workers,
                                "hosts", hosts_json(plan, nplan));

        json_dumpf(out, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(out);
    } else {
        printf("swarm %s formed: %zu managers, %zu workers, leader %s\n\n",
               summary.cluster_id, summary.managers, summary.workers,
               summary.leader);
        if (show_nodes(plan[0].endpoint, o.spec.docker, &err) < 0) {
            rc = sl_cmd_fail(&o.env, &err);
            goto cleanup;
        }
    }
    rc = SL_EXIT_OK;

cleanup:
    free(plan);
    sl_cmd_env_close(&o.env);
    sl_cmd_free_labels(o.manager_labels, o.n_manager_labels);
    sl_cmd_free_labels(o.worker_labels, o.n_worker_labels);
    sl_cmd_imports_free(&o.imports);
    return rc;
}

int sl_cmd_host(int argc, char **argv)
{
    swarm_opts o;
    sl_host_plan host;
    sl_error err;
    int rc;

    memset(&o, 0, sizeof(o));
    memset(&host, 0, sizeof(host));
    o.env.command = "host create";
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout, true);
        return SL_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "create")) {
        fprintf(stderr, "usage: swarmlab host create NAME [OPTIONS]\n");
        return SL_EXIT_USAGE;
    }
    if (parse(argc - 1, argv + 1, &o, true) < 0) {
        rc = SL_EXIT_USAGE;
        goto cleanup;
    }
    if (optind + 1 != argc - 1) {
        fprintf(stderr, "swarmlab host create: expected one host NAME\n");
        rc = SL_EXIT_USAGE;
        goto cleanup;
    }
    o.spec.cancel = sl_cmd_catch_signals();
    rc = sl_cmd_imports_ready(o.env.command, &o.imports, &o.spec);
    if (rc)
        goto cleanup;
    o.spec.managers.count = 1;
    o.spec.prefix = NULL;
    {
        sl_host_extra x = {argv[optind + 1], true, o.spec.managers.cpus,
                           o.spec.managers.memory_mib,
                           o.spec.managers.disk_gib, o.spec.managers.os,
                           NULL, 0};
        sl_pipeline_spec one = o.spec;
        sl_host_plan *plan;
        size_t n;

        one.managers.count = 0;
        one.workers.count = 0;
        one.extras = &x;
        one.n_extras = 1;
        plan = sl_pipeline_plan(&one, &n, &err);
        if (!plan) {
            rc = sl_cmd_fail(&o.env, &err);
            goto cleanup;
        }
        host = plan[0];
        free(plan);
    }
    rc = sl_cmd_env_open(&o.env);
    if (rc)
        goto cleanup;
    o.spec.progress = sl_cmd_progress;
    o.spec.progress_data = &o.env;
    o.spec.docker = sl_cmd_env_docker(&o.env);
    if (sl_pipeline_host_create(o.env.hv, o.env.st, &o.spec, &host,
                                &err) < 0) {
        if (err.code == SL_ERR_CANCELLED) {
            rc = sl_cmd_cancelled(&o.env, o.spec.keep_on_failure);
            goto cleanup;
        }
        rc = sl_cmd_fail(&o.env, &err);
        sl_cmd_show_console(&o.env, err.where);
        goto cleanup;
    }
    if (o.env.json) {
        json_t *out = hosts_json(&host, 1);

        json_dumpf(json_array_get(out, 0), stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(out);
    } else {
        printf("%s %s DOCKER_HOST=%s\n", host.name, host.address,
               host.endpoint);
    }
    rc = SL_EXIT_OK;

cleanup:
    sl_cmd_env_close(&o.env);
    sl_cmd_imports_free(&o.imports);
    return rc;
}
