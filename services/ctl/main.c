/* bangdaictl - operators' and hall management's tool. This version applies
 * the database migrations and shows the reliable links' backlog. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"

static const char usage[] =
    "Usage: bangdaictl [--config FILE] COMMAND ...\n"
    "Operators' and hall management's tool.\n\n"
    "Commands:\n"
    "  migrate [--sql-dir DIR]  apply the versioned migrations of deploy/sql (as the\n"
    "                           database owner: libpq's PGUSER/PGHOST apply); a second\n"
    "                           run changes nothing\n"
    "  links                    per daemon: unacknowledged outbox rows, the oldest\n"
    "                           one's age, and refused messages\n\n"
    "Options:\n"
    "  -c, --config FILE  deployment configuration (default $BANGDAI_CONFIG)\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n";

int main(int argc, char **argv)
{
    struct cli cli = { .program = "bangdaictl", .usage = usage };
    int rc = cli_start(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (strcmp(cli.argv[0], "migrate") == 0)
        rc = ctl_migrate(&cli);
    else if (strcmp(cli.argv[0], "links") == 0)
        rc = ctl_links(&cli);
    else
        rc = cli_usage_error(&cli, "unknown command '%s'", cli.argv[0]);
    cli_end(&cli);
    return rc;
}
