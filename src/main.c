/* The swarmlab command: dispatches to one subcommand per pipeline step. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "fake_hypervisor.h"

static const sl_command commands[] = {
    {"image", "image build: make the reusable base image", sl_cmd_image},
    {"host", "host create NAME: one Docker host VM from the image",
     sl_cmd_host},
    {"swarm", "swarm create: hosts, and a swarm of managers and workers",
     sl_cmd_swarm},
    {"ls", "show what the state file records", sl_cmd_ls},
    {"destroy", "remove everything the state file records", sl_cmd_destroy},
    {"fake-dockerd", "serve simulated Docker hosts sharing one swarm",
     sl_cmd_fake_dockerd},
    {"run", "run scenario files: build, break and check swarms",
     sl_cmd_run},
};

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "usage: swarmlab COMMAND [OPTIONS]\n\ncommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'swarmlab COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    size_t i;

    /* The fakes live beside the library; make them known to it. */
    if (sl_fake_hv_register(NULL) < 0) {
        fprintf(stderr, "swarmlab: cannot register the fake hypervisor\n");
        return SL_EXIT_FAILED;
    }
    if (argc < 2) {
        usage(stderr);
        return SL_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("swarmlab %s\n", SL_VERSION);
        return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "swarmlab: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return SL_EXIT_USAGE;
}
