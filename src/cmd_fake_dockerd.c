/* swarmlab fake-dockerd: serve simulated Docker hosts that share one swarm. */
#include <arpa/inet.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cmd.h"
#include "fake_dockerd.h"
#include "fake_swarm.h"

#define MAX_HOSTS 1024

typedef struct options {
    char bind_addr[64];
    unsigned port;
    int hosts;
    uint64_t seed;
    const char *prefix;
    const char *subnet; /* first address of the simulated hosts */
    int windows;        /* the last N hosts run Windows */
    bool no_registry;   /* tasks run only images their host holds */
} options;

static void usage(FILE *out)
{
    fprintf(out,
        "usage: swarmlab fake-dockerd [--listen ADDR:PORT] [--hosts N]\n"
        "                             [--prefix NAME] [--windows N]\n"
        "                             [--addresses FIRST_IP] [--seed N]\n"
        "                             [--no-registry]\n"
        "\n"
        "Serves N simulated Docker hosts, all in one simulated swarm, on\n"
        "ports PORT..PORT+N-1, and prints each host's DOCKER_HOST. Real\n"
        "clients (the docker CLI) can drive them. Stops on SIGINT/SIGTERM.\n"
        "\n"
        "  --listen ADDR:PORT  where host 0 listens (127.0.0.1:23750); port\n"
        "                      0 gives every host a free port of its own\n"
        "  --hosts N           number of hosts (1)\n"
        "  --prefix NAME       hostnames are NAME-0, NAME-1, ... (node)\n"
        "  --windows N         the last N hosts run Windows (0)\n"
        "  --addresses IP      the hosts' simulated swarm addresses start\n"
        "                      here and count up (10.99.0.10)\n"
        "  --seed N            seed for IDs and tokens (1)\n"
        "  --no-registry       no registry is reachable: a task whose host\n"
        "                      does not hold its image (docker import) is\n"
        "                      rejected, \"No such image\", and retried\n");
}

/* Splits "ADDR:PORT" (or ":PORT" or "PORT"); returns -1 when unusable. */
static int parse_listen(const char *text, options *o)
{
    const char *colon = strrchr(text, ':');
    const char *port = colon ? colon + 1 : text;
    char *end = NULL;
    unsigned long p;
    size_t len = colon ? (size_t)(colon - text) : 0;

    if (len >= sizeof(o->bind_addr))
        return -1;
    if (len) {
        memcpy(o->bind_addr, text, len);
        o->bind_addr[len] = '\0';
    }
    p = strtoul(port, &end, 10);
    if (!*port || *end || p > 65535)
        return -1;
    o->port = (unsigned)p;
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},
        {"hosts", required_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, 'p'},
        {"windows", required_argument, NULL, 'w'},
        {"addresses", required_argument, NULL, 'a'},
        {"seed", required_argument, NULL, 's'},
        {"no-registry", no_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(optarg, o) < 0) {
                fprintf(stderr, "swarmlab fake-dockerd: invalid --listen "
                                "'%s': expected ADDR:PORT\n", optarg);
                return -1;
            }
            break;
        case 'n':
            o->hosts = atoi(optarg);
            if (o->hosts < 1 || o->hosts > MAX_HOSTS) {
                fprintf(stderr, "swarmlab fake-dockerd: invalid --hosts "
                                "'%s': expected 1 to %d\n", optarg, MAX_HOSTS);
                return -1;
            }
            break;
        case 'p': o->prefix = optarg; break;
        case 'w': o->windows = atoi(optarg); break;
        case 'a': o->subnet = optarg; break;
        case 's': o->seed = strtoull(optarg, NULL, 10); break;
        case 'R': o->no_registry = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "swarmlab fake-dockerd: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    if (o->port + (unsigned)o->hosts - 1 > 65535) {
        fprintf(stderr, "swarmlab fake-dockerd: ports %u to %u do not fit\n",
                o->port, o->port + (unsigned)o->hosts - 1);
        return -1;
    }
    return 0;
}

/* Adds the simulated hosts; their addresses count up from o->subnet. */
static int add_hosts(sl_fake_swarm *fs, const options *o)
{
    struct in_addr base;
    char hostname[128];
    char addr[INET_ADDRSTRLEN];
    sl_error err;
    int i;

    if (inet_pton(AF_INET, o->subnet, &base) != 1) {
        fprintf(stderr, "swarmlab fake-dockerd: invalid --addresses '%s'\n",
                o->subnet);
        return -1;
    }
    for (i = 0; i < o->hosts; i++) {
        struct in_addr a = {htonl(ntohl(base.s_addr) + (uint32_t)i)};
        sl_fake_host_spec spec = {0};

        snprintf(hostname, sizeof(hostname), "%s-%d", o->prefix, i);
        inet_ntop(AF_INET, &a, addr, sizeof(addr));
        spec.hostname = hostname;
        spec.addr = addr;
        spec.os = i >= o->hosts - o->windows ? "windows" : "linux";
        if (sl_fake_swarm_add_host(fs, &spec, &err) < 0) {
            fprintf(stderr, "swarmlab fake-dockerd: %s\n", err.message);
            return -1;
        }
    }
    return 0;
}

int sl_cmd_fake_dockerd(int argc, char **argv)
{
    options o = {"127.0.0.1", 23750, 1, 1, "node", "10.99.0.10", 0, false};
    sl_fake_dockerd *servers[MAX_HOSTS] = {0};
    sl_clock *clock = NULL;
    sl_fake_swarm *fs = NULL;
    sigset_t sigs;
    sl_error err;
    int rc = SL_EXIT_FAILED;
    int sig;
    int i;

    if (parse_options(argc, argv, &o) < 0)
        return SL_EXIT_USAGE;

    /* Block the stop signals before any server thread starts, so that
     * they all reach sigwait() below. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    clock = sl_clock_new_real();
    fs = clock ? sl_fake_swarm_new(o.seed, clock) : NULL;
    if (!fs) {
        fprintf(stderr, "swarmlab fake-dockerd: out of memory\n");
        goto cleanup;
    }
    sl_fake_swarm_set_offline(fs, o.no_registry);
    if (add_hosts(fs, &o) < 0) {
        rc = SL_EXIT_USAGE;
        goto cleanup;
    }
    for (i = 0; i < o.hosts; i++) {
        servers[i] = sl_fake_dockerd_start(
            fs, i, o.bind_addr,
            (uint16_t)(o.port ? o.port + (unsigned)i : 0), &err);
        if (!servers[i]) {
            fprintf(stderr, "swarmlab fake-dockerd: %s\n", err.message);
            goto cleanup;
        }
        printf("%s DOCKER_HOST=tcp://%s:%u\n", sl_fake_swarm_hostname(fs, i),
               o.bind_addr, sl_fake_dockerd_port(servers[i]));
    }
    fflush(stdout);

    sigwait(&sigs, &sig);
    rc = SL_EXIT_OK;

cleanup:
    for (i = 0; i < o.hosts; i++)
        sl_fake_dockerd_stop(servers[i]);
    sl_fake_swarm_free(fs);
    sl_clock_free(clock);
    return rc;
}
