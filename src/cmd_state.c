/* swarmlab ls, swarmlab destroy and swarmlab image build: the state file's view. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_common.h"
#include "pipeline.h"

/* Parses the shared options only; returns -1 after printing usage. */
static int parse_common(int argc, char **argv, sl_cmd_env *env,
                        const char *usage_text)
{
    static const struct option longs[] = {
        SL_CMD_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (sl_cmd_env_option(env, c, optarg))
            continue;
        if (c == 'h') {
            printf("%s" SL_CMD_COMMON_HELP, usage_text);
            exit(0);
        }
        fprintf(stderr, "%s", usage_text);
        return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "swarmlab %s: unexpected argument '%s'\n",
                env->command, argv[optind]);
        return -1;
    }
    return 0;
}

/* What the backend says of a recorded host now. The fake's hosts, and
 * those of libvirt's test driver, live only as long as the process that
 * made them. */
static const char *live_state(sl_cmd_env *env, const char *name)
{
    sl_hv_host_info info;
    sl_error err;

    if (sl_hv_host_inspect(env->hv, name, &info, &err) < 0) {
        if (err.code != SL_ERR_NOT_FOUND)
            return "unknown";
        return strcmp(env->hypervisor, "fake") &&
                       !sl_cmd_env_is_test_driver(env)
                   ? "gone"
                   : "ended";
    }
    return sl_hv_state_name(info.state);
}

static const char *field(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));

    return v && *v ? v : "-";
}

int sl_cmd_ls(int argc, char **argv)
{
    sl_cmd_env env = {.command = "ls"};
    json_t *root;
    json_t *hosts;
    const char *name;
    json_t *h;
    int rc;

    if (parse_common(argc, argv, &env,
                     "usage: swarmlab ls [OPTIONS]\n\nShows what the "
                     "state file records and what the hypervisor\nsays of "
                     "each host now.\n\n") < 0)
        return SL_EXIT_USAGE;
    rc = sl_cmd_env_open(&env);
    if (rc)
        return rc;
    root = sl_state_root(env.st);
    hosts = json_object_get(root, "hosts");
    if (env.json) {
        json_t *out = json_deep_copy(root);

        json_object_foreach(json_object_get(out, "hosts"), name, h)
            json_object_set_new(h, "state", json_string(live_state(&env,
                                                                   name)));
        json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        printf("\n");
        json_decref(out);
    } else if (json_object_size(hosts) == 0) {
        printf("nothing recorded in %s\n", sl_state_path(env.st));
    } else {
        printf("%-20s %-8s %-9s %-9s %-16s %s\n", "NAME", "ROLE", "PHASE",
               "STATE", "ADDRESS", "DOCKER_HOST");
        json_object_foreach(hosts, name, h)
            printf("%-20s %-8s %-9s %-9s %-16s %s\n", name, field(h, "role"),
                   field(h, "phase"), live_state(&env, name),
                   field(h, "address"), field(h, "docker_host"));
    }
    sl_cmd_env_close(&env);
    return SL_EXIT_OK;
}

int sl_cmd_destroy(int argc, char **argv)
{
    sl_cmd_env env = {.command = "destroy"};
    size_t count;
    sl_error err;
    int rc;

    if (parse_common(argc, argv, &env,
                     "usage: swarmlab destroy [OPTIONS]\n\nRemoves every "
                     "host the state file records, VM and disk,\nalso "
                     "after a crash, then the state file.\n\n") < 0)
        return SL_EXIT_USAGE;
    rc = sl_cmd_env_open(&env);
    if (rc)
        return rc;
    count = json_object_size(json_object_get(sl_state_root(env.st),
                                             "hosts"));
    if (sl_pipeline_destroy(env.hv, env.st, sl_cmd_progress, &env,
                            &err) < 0) {
        rc = sl_cmd_fail(&env, &err);
    } else {
        if (!env.json)
            printf("destroyed %zu hosts\n", count);
        else
            printf("{\"destroyed\": %zu}\n", count);
        rc = SL_EXIT_OK;
    }
    sl_cmd_env_close(&env);
    return rc;
}

int sl_cmd_image(int argc, char **argv)
{
    static const struct option longs[] = {
        {"name", required_argument, NULL, 'n'},
        {"source", required_argument, NULL, 's'},
        SL_CMD_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    static const char usage_text[] =
        "usage: swarmlab image build [--name NAME] [--source FILE] "
        "[OPTIONS]\n\nMakes the reusable base image available to the "
        "hypervisor.\n\n"
        "  --name NAME        image name (swarmlab-base)\n"
        "  --source FILE      a disk image to import\n";
    sl_cmd_env env = {.command = "image build"};
    sl_hv_image_spec spec = {SL_DEFAULT_IMAGE, NULL, NULL, NULL, 0};
    char *name = NULL;
    sl_error err;
    int rc;
    int c;

    if (argc < 2 || strcmp(argv[1], "build")) {
        if (argc >= 2 && !strcmp(argv[1], "--help")) {
            printf("%s" SL_CMD_COMMON_HELP, usage_text);
            return SL_EXIT_OK;
        }
        fprintf(stderr, "%s", usage_text);
        return SL_EXIT_USAGE;
    }
    argc--;
    argv++;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (sl_cmd_env_option(&env, c, optarg))
            continue;
        switch (c) {
        case 'n': spec.name = optarg; break;
        case 's': spec.source = optarg; break;
        case 'h': printf("%s" SL_CMD_COMMON_HELP, usage_text); return 0;
        default: fprintf(stderr, "%s", usage_text); return SL_EXIT_USAGE;
        }
    }
    rc = sl_cmd_env_open(&env);
    if (rc)
        return rc;
    name = sl_hv_image_prepare(env.hv, &spec, &err);
    if (!name) {
        rc = sl_cmd_fail(&env, &err);
    } else {
        printf("%s\n", name);
        rc = SL_EXIT_OK;
    }
    free(name);
    sl_cmd_env_close(&env);
    return rc;
}
