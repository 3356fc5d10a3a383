/* bangdaictl - operators' and hall management's tool. This version applies
 * the database migrations, shows the reliable links' backlog and makes the
 * CURVE keypairs. It speaks with the key "ops" (hall-management) unless
 * --key names another. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctl.h"

static const char usage[] =
    "Usage: bangdaictl [--config FILE] [--key NAME] COMMAND ...\n"
    "Operators' and hall management's tool.\n\n"
    "Commands:\n"
    "  migrate [--sql-dir DIR]  apply the versioned migrations of deploy/sql (as the\n"
    "                           database owner: libpq's PGUSER/PGHOST apply); a second\n"
    "                           run changes nothing. DIR defaults to $BANGDAI_SQL_DIR,\n"
    "                           else the source tree's deploy/sql (from a build tree),\n"
    "                           else the installed share/bangdai/sql\n"
    "  links                    per daemon: unacknowledged outbox rows, the oldest\n"
    "                           one's age, and refused messages (read from the database)\n"
    "  status [--json] [DAEMON...]\n"
    "                           every daemon's health and queues, one row each, from\n"
    "                           its /healthz and /metrics (the configuration's\n"
    "                           metrics: addresses): up, unhealthy (the reason),\n"
    "                           down (no answer) or off (no address); messages\n"
    "                           applied and refused; unacknowledged outbox messages\n"
    "                           per destination and the oldest one's age. Exit\n"
    "                           status 3 when a daemon asked is down or unhealthy\n"
    "  keys new ROLE NAME [--dept CODE] [--dir DIR]\n"
    "                           make a CURVE keypair: DIR/NAME.key (public) and\n"
    "                           DIR/NAME.key_secret (mode 0600), DIR defaulting to\n"
    "                           security.certs_dir; print its security.keys entry.\n"
    "                           ROLE is hall, department (needs --dept CODE),\n"
    "                           hall-management or service. Never overwrites a key.\n"
    "  keys init [--dir DIR]    make every key of security.keys whose NAME.key is\n"
    "                           missing (keys given inline are left alone)\n"
    "  keys list                the configured keys, their public keys and whether\n"
    "                           the secret is here\n"
    "  reassign TASK --to SPECIALIST --reason TEXT\n"
    "                           move an open task to another specialist of its\n"
    "                           department; the history keeps who, when and why, the\n"
    "                           agent receives the task again and the old specialist\n"
    "                           is told\n"
    "  specialist away ID --from YYYY-MM-DD --to YYYY-MM-DD [--reason TEXT]\n"
    "                           a specialist's leave: no new task is assigned to them\n"
    "                           on those days (the roster's own leave is in the\n"
    "                           configuration: departments[].specialists[].away)\n"
    "  calendar check           the open deadlines that are pending (their year is not\n"
    "                           in the calendar) or were computed with a version of a\n"
    "                           year the configuration file no longer has, with the\n"
    "                           date the file gives them now\n"
    "  calendar apply           the tracker reads the calendar of its configuration\n"
    "                           file again and recomputes those deadlines; the router,\n"
    "                           the unit's status and the department (a notice) learn\n"
    "                           each date that moved\n"
    "  board [--dept CODE] [--json]\n"
    "                           the supervision board: overdue tasks (working days\n"
    "                           overdue, the level escalated to), tasks due within the\n"
    "                           warning days, paused tasks and why, tasks whose due date\n"
    "                           waits for a calendar year; by department and specialist\n"
    "  report assessment|bready|summary --period P [--format F]\n"
    "                           the figures of a period (P: 2026-Q3, 2026-09 or 2026)\n"
    "                           from the stored events, read-only: assessment per\n"
    "                           specialist and department; bready (B-READY: days from\n"
    "                           application to result net of pauses, shares, fees);\n"
    "                           summary (Markdown, for the special-group office).\n"
    "                           F: table (default; md for summary), csv, json, html\n"
    "  visit list               the pending return visits (回访): case, due date,\n"
    "                           working days overdue; overdue first\n"
    "  visit record CASE --rating LEVEL [--comment TEXT]\n"
    "                           record the return visit and hall management's rating of\n"
    "                           the service: LEVEL is 非常满意, 满意, 基本满意, 不满意 or\n"
    "                           非常不满意; a 差评 (the last two) opens a rectification\n"
    "  rectify list [--dept CODE] [--all]\n"
    "                           the open rectifications of 差评 (--all: closed ones too)\n"
    "  rectify verify ID --finding TEXT\n"
    "                           the return visit verified the 差评: the department\n"
    "                           rectifies within evaluation.rectify_days working days\n"
    "  rectify feedback ID --text TEXT\n"
    "                           what the unit was told of the rectification or the\n"
    "                           explanation; it appears in the case's status log\n"
    "  rectify decide ID --uphold|--reject --reason TEXT\n"
    "                           decide the specialist's appeal; an upheld appeal\n"
    "                           leaves the rating out of staff assessment\n\n"
    "Options:\n"
    "  -c, --config FILE  deployment configuration (default $BANGDAI_CONFIG,\n"
    "                     else /etc/bangdai/bangdai.yaml)\n"
    "  --key NAME         the key of security.keys to speak with (default ops)\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n\n"
    "Exit status: 0 done, 1 refused (the reason is printed), 2 usage or\n"
    "configuration error, 3 no answer or no connection.\n";

int main(int argc, char **argv)
{
    struct cli cli = { .program = "bangdaictl", .usage = usage, .default_key = "ops" };
    int rc = cli_start(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (strcmp(cli.argv[0], "migrate") == 0)
        rc = ctl_migrate(&cli);
    else if (strcmp(cli.argv[0], "links") == 0)
        rc = ctl_links(&cli);
    else if (strcmp(cli.argv[0], "status") == 0)
        rc = ctl_status(&cli);
    else if (strcmp(cli.argv[0], "keys") == 0)
        rc = ctl_keys(&cli);
    else if (strcmp(cli.argv[0], "reassign") == 0)
        rc = ctl_reassign(&cli);
    else if (strcmp(cli.argv[0], "specialist") == 0)
        rc = ctl_specialist(&cli);
    else if (strcmp(cli.argv[0], "calendar") == 0)
        rc = ctl_calendar(&cli);
    else if (strcmp(cli.argv[0], "board") == 0)
        rc = ctl_board(&cli);
    else if (strcmp(cli.argv[0], "report") == 0)
        rc = ctl_report(&cli);
    else if (strcmp(cli.argv[0], "visit") == 0)
        rc = ctl_visit(&cli);
    else if (strcmp(cli.argv[0], "rectify") == 0)
        rc = ctl_rectify(&cli);
    else
        rc = cli_usage_error(&cli, "unknown command '%s'", cli.argv[0]);
    cli_end(&cli);
    return rc;
}
