/* What every subcommand of the swarmlab command shares: exit codes, entry points. */
#ifndef SL_CMD_H
#define SL_CMD_H

/* Exit codes, the same for every command. */
enum {
    SL_EXIT_OK = 0,
    SL_EXIT_FAILED = 1,  /* ran, and an expectation or an operation failed */
    SL_EXIT_USAGE = 2,   /* unusable input: options, files; nothing done */
    SL_EXIT_ENV = 3      /* the environment cannot do it (missing daemon) */
};

typedef struct sl_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} sl_command;

/* Each takes argv[0] as its own name ("fake-dockerd", "swarm", ...). */
int sl_cmd_fake_dockerd(int argc, char **argv);
int sl_cmd_image(int argc, char **argv);
int sl_cmd_host(int argc, char **argv);
int sl_cmd_swarm(int argc, char **argv);
int sl_cmd_ls(int argc, char **argv);
int sl_cmd_destroy(int argc, char **argv);
int sl_cmd_run(int argc, char **argv);

#endif /* SL_CMD_H */
