/* cli.h - the options every command-line program shares (hall, dept, ctl):
 * --config FILE, --help, --version, before the subcommand. */
#ifndef BANGDAI_CLI_H
#define BANGDAI_CLI_H

#include "config.h"

struct cli {
    const char *program;        /* e.g. "bangdai-hall" */
    const char *usage;          /* the full --help text */
    const char *config_path;
    struct config *cfg;         /* loaded by cli_start; owned */
    int argc;                   /* what follows the global options: */
    char **argv;                /* argv[0] is the subcommand */
};

/* Parses the global options and loads the configuration. Returns -1 when the
 * program should go on, else the exit status to return at once (after
 * --help, --version, a usage error or a configuration error, all printed). */
int cli_start(struct cli *cli, int argc, char **argv);

/* Frees what cli_start loaded. */
void cli_end(struct cli *cli);

/* Prints "PROGRAM: message" and the usage hint to stderr; returns 2. */
int cli_usage_error(const struct cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
