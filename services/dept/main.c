/* bangdai-dept - the department agent. `run` keeps a connection to the
 * router, stores every task it receives in a spool directory before
 * acknowledging it, and optionally hands each to a command of the
 * department's own; `update` reports a task's progress; `list` shows the
 * tasks in the spool. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dept.h"

static const char usage[] =
    "Usage: bangdai-dept [--config FILE] COMMAND --dept CODE [OPTIONS]\n"
    "The department agent: receives the department's tasks and reports their progress.\n\n"
    "Commands:\n"
    "  run --dept CODE [--spool DIR] [--exec CMD]\n"
    "        stay connected to the router; store each task in DIR (default\n"
    "        var/spool/CODE) before acknowledging it; run CMD for each new task\n"
    "        with BANGDAI_SPOOL_FILE and BANGDAI_TASK set. Stops on SIGINT/SIGTERM.\n"
    "  list --dept CODE [--spool DIR]\n"
    "        the tasks stored in the spool\n"
    "  update TASK STATE --dept CODE [--ref REF] [--doc NO] [--kind paper|e_licence]\n"
    "        [--reason TEXT] [--note TEXT]\n"
    "        report progress. STATE is accepted, submitted (needs --ref, the approval\n"
    "        system's reference), supplement, resupplied, approved (needs --doc) or\n"
    "        rejected (needs --reason).\n\n"
    "Options:\n"
    "  -c, --config FILE  deployment configuration (default $BANGDAI_CONFIG)\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n\n"
    "Exit status: 0 done, 1 refused (the reason is printed), 2 usage or\n"
    "configuration error, 3 the router did not answer.\n";

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "dept", required_argument, NULL, 'd' }, { "spool", required_argument, NULL, 's' },
        { "exec", required_argument, NULL, 'e' }, { "ref", required_argument, NULL, 'r' },
        { "doc", required_argument, NULL, 'D' }, { "kind", required_argument, NULL, 'k' },
        { "reason", required_argument, NULL, 'R' }, { "note", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    struct cli cli = { .program = "bangdai-dept", .usage = usage };
    struct dept_opts o = { 0 };
    char spool[512];
    int rc = cli_start(&cli, argc, argv), c;

    if (rc >= 0)
        return rc;
    optind = 1;
    while ((c = getopt_long(cli.argc, cli.argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dept = optarg; break;
        case 's': o.spool = optarg; break;
        case 'e': o.exec = optarg; break;
        case 'r': o.ref = optarg; break;
        case 'D': o.doc = optarg; break;
        case 'k': o.kind = optarg; break;
        case 'R': o.reason = optarg; break;
        case 'n': o.note = optarg; break;
        default: rc = cli_usage_error(&cli, "bad option"); goto out;
        }
    }
    if (!o.dept || !config_dept(cli.cfg, o.dept)) {
        rc = cli_usage_error(&cli, "--dept must name a department of the configuration");
        goto out;
    }
    if (!o.spool) {
        snprintf(spool, sizeof spool, "var/spool/%s", o.dept);
        o.spool = spool;
    }
    o.args = cli.argv + optind;
    o.n_args = cli.argc - optind;
    if (strcmp(cli.argv[0], "run") == 0)
        rc = dept_run(&cli, &o);
    else if (strcmp(cli.argv[0], "list") == 0)
        rc = dept_list(&cli, &o);
    else if (strcmp(cli.argv[0], "update") == 0)
        rc = dept_update(&cli, &o);
    else
        rc = cli_usage_error(&cli, "unknown command '%s'", cli.argv[0]);
out:
    cli_end(&cli);
    return rc;
}
