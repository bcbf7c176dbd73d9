/* swarmlab ls, swarmlab destroy and swarmlab image build: the state file's view. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd_common.h"
#include "image_build.h"
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

/* Options of `swarmlab image build`. */
typedef struct image_opts {
    sl_image_build_spec build;
    sl_hv_image_spec image;
    const char *artifact; /* a built image to import as it is */
    bool do_build;
    bool no_import;
} image_opts;

enum {
    OPT_IMG_DEBS = 1, OPT_IMG_CACHE, OPT_IMG_OUTPUT, OPT_IMG_OFFLINE,
    OPT_IMG_NO_IMPORT, OPT_IMG_ARTIFACT, OPT_IMG_EPOCH
};

static const char image_usage[] =
    "usage: swarmlab image build [--name NAME] [--source FILE | --artifact "
    "DIR |\n"
    "                            --debs DIR | --apt-cache DIR] [OPTIONS]\n\n"
    "Makes the reusable base image available to the hypervisor. A real\n"
    "hypervisor gets a kernel and an initramfs built from Debian packages\n"
    "(Docker, containerd, runc, busybox, iptables, the cloud kernel's\n"
    "modules), booted directly; the fake makes one as if built.\n\n"
    "  --name NAME        image name (swarmlab-base)\n"
    "  --source FILE      a disk image to import instead\n"
    "  --artifact DIR     import an image built earlier (DIR holds\n"
    "                     manifest.json, vmlinuz and initrd.img)\n"
    "  --debs DIR         build from the .deb files in DIR\n"
    "  --apt-cache DIR    build from apt, downloading what its cache lacks\n"
    "                     into DIR (default OUTPUT/debs)\n"
    "  --offline          never download: use --debs, DIR and apt's cache\n"
    "  --output DIR       where the build goes (default\n"
    "                     ~/.local/share/swarmlab/images/NAME)\n"
    "  --epoch SECONDS    every file's time (default $SOURCE_DATE_EPOCH,\n"
    "                     else 0)\n"
    "  --no-import        build only; do not open a hypervisor\n";

/* The default output: $XDG_DATA_HOME/swarmlab/images/NAME, else
 * ~/.local/share/swarmlab/images/NAME. The caller frees it. */
static char *default_output(const char *name)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char *path = NULL;
    int n;

    if (xdg && *xdg)
        n = asprintf(&path, "%s/swarmlab/images/%s", xdg, name);
    else
        n = asprintf(&path, "%s/.local/share/swarmlab/images/%s",
                     home && *home ? home : "/root", name);
    return n < 0 ? NULL : path;
}

static void image_progress(const char *step, const char *detail, void *data)
{
    const sl_cmd_env *env = data;

    if (env->progress)
        fprintf(stderr, "image: %-12s %s\n", step, detail ? detail : "");
}

static int parse_image(int argc, char **argv, sl_cmd_env *env,
                       image_opts *o)
{
    static const struct option longs[] = {
        {"name", required_argument, NULL, 'n'},
        {"source", required_argument, NULL, 's'},
        {"debs", required_argument, NULL, OPT_IMG_DEBS},
        {"apt-cache", required_argument, NULL, OPT_IMG_CACHE},
        {"output", required_argument, NULL, OPT_IMG_OUTPUT},
        {"offline", no_argument, NULL, OPT_IMG_OFFLINE},
        {"no-import", no_argument, NULL, OPT_IMG_NO_IMPORT},
        {"artifact", required_argument, NULL, OPT_IMG_ARTIFACT},
        {"epoch", required_argument, NULL, OPT_IMG_EPOCH},
        SL_CMD_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        if (sl_cmd_env_option(env, c, optarg))
            continue;
        switch (c) {
        case 'n': o->image.name = optarg; break;
        case 's': o->image.source = optarg; break;
        case OPT_IMG_DEBS: o->build.deb_dir = optarg; o->do_build = true;
            break;
        case OPT_IMG_CACHE: o->build.cache_dir = optarg; o->do_build = true;
            break;
        case OPT_IMG_OUTPUT: o->build.output_dir = optarg;
            o->do_build = true; break;
        case OPT_IMG_OFFLINE: o->build.offline = true; o->do_build = true;
            break;
        case OPT_IMG_NO_IMPORT: o->no_import = true; o->do_build = true;
            break;
        case OPT_IMG_ARTIFACT: o->artifact = optarg; break;
        case OPT_IMG_EPOCH:
            o->build.epoch = strtoll(optarg, &end, 10);
            if (!*optarg || *end || o->build.epoch < 0) {
                fprintf(stderr, "swarmlab image build: invalid --epoch "
                                "'%s'\n", optarg);
                return -1;
            }
            break;
        case 'h': printf("%s" SL_CMD_COMMON_HELP, image_usage); exit(0);
        default: fprintf(stderr, "%s", image_usage); return -1;
        }
    }
    if ((o->image.source != NULL) + (o->artifact != NULL) +
            o->do_build > 1) {
        fprintf(stderr, "swarmlab image build: --source, --artifact and "
                        "building exclude each other\n");
        return -1;
    }
    return 0;
}

/* Builds the image; fills the artifact. */
static int build_image(image_opts *o, sl_cmd_env *env,
                       sl_image_artifact *art, sl_error *err)
{
    char *output = NULL;
    int rc;

    if (!o->build.output_dir) {
        output = default_output(o->image.name);
        if (!output)
            return sl_error_set(err, SL_ERR_NOMEM, "out of memory");
        o->build.output_dir = output;
    }
    o->build.name = o->image.name;
    o->build.progress = image_progress;
    o->build.progress_data = env;
    rc = sl_image_build(&o->build, art, err);
    if (rc == 0 && !env->json)
        printf("image %s built in %s (kernel %s)\n", art->id,
               art->dir, art->kernel_version);
    o->build.output_dir = NULL;
    free(output);
    return rc;
}

int sl_cmd_image(int argc, char **argv)
{
    sl_cmd_env env = {.command = "image build"};
    image_opts o = {.build = {.epoch = -1},
                    .image = {.name = SL_DEFAULT_IMAGE}};
    sl_image_artifact art;
    char *name = NULL;
    bool real;
    sl_error err;
    int rc;

    memset(&art, 0, sizeof(art));
    if (argc < 2 || strcmp(argv[1], "build")) {
        if (argc >= 2 && !strcmp(argv[1], "--help")) {
            printf("%s" SL_CMD_COMMON_HELP, image_usage);
            return SL_EXIT_OK;
        }
        fprintf(stderr, "%s", image_usage);
        return SL_EXIT_USAGE;
    }
    if (parse_image(argc - 1, argv + 1, &env, &o) < 0)
        return SL_EXIT_USAGE;
    env.progress = !env.json && isatty(STDERR_FILENO);
    real = env.hypervisor && !strcmp(env.hypervisor, "libvirt") &&
           !sl_cmd_env_is_test_driver(&env);
    if (real && !o.image.source && !o.artifact)
        o.do_build = true;

    if (o.do_build && build_image(&o, &env, &art, &err) < 0)
        return sl_cmd_fail(&env, &err);
    if (o.artifact && sl_image_artifact_load(o.artifact, &art, &err) < 0)
        return sl_cmd_fail(&env, &err);
    if (o.no_import) {
        if (env.json)
            printf("{\"id\": \"%s\", \"dir\": \"%s\"}\n", art.id, art.dir);
        return SL_EXIT_OK;
    }
    if (art.dir[0])
        o.image.source = art.dir;

    rc = sl_cmd_env_open(&env);
    if (rc)
        return rc;
    name = sl_hv_image_prepare(env.hv, &o.image, &err);
    if (!name) {
        rc = sl_cmd_fail(&env, &err);
    } else {
        if (env.json)
            printf("{\"image\": \"%s\", \"id\": \"%s\"}\n", name, art.id);
        else
            printf("%s\n", name);
        rc = SL_EXIT_OK;
    }
    free(name);
    sl_cmd_env_close(&env);
    return rc;
}
