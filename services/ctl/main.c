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
    "Operators' and hall management's tool: migrations, links, keys, reassignment,\n"
    "leave, the calendar, the supervision board, return visits and rectifications,\n"
    "and the reports. migrate, links, keys and report open no ZeroMQ socket, so they\n"
    "work before any key exists; links and report read the database as its owner\n"
    "(libpq's PGUSER, PGHOST, ...). The other commands ask a daemon and need hall\n"
    "management's key (role hall-management; the default key ops has it).\n\n"
    "Commands:\n"
    "  migrate [--sql-dir DIR]  apply each deploy/sql/NNN_*.sql not yet applied, each\n"
    "                           in its own transaction, then grant each daemon's role\n"
    "                           its schema; run it as the database owner. A second\n"
    "                           run changes nothing. DIR defaults to\n"
    "                           $BANGDAI_SQL_DIR, else (from a build tree) the source\n"
    "                           tree's deploy/sql, else the installed\n"
    "                           share/bangdai/sql beside the program's\n"
    "                           bin/, else " BANGDAI_SQL_DIR ".\n"
    "                           Its last line says which folder it read\n"
    "  links                    per daemon: unacknowledged outbox rows, the oldest\n"
    "                           one's age, and the messages its consumer refused\n"
    "  status [--json] [DAEMON...]\n"
    "                           every daemon's health and queues, one row each, from\n"
    "                           its /healthz and /metrics (the configuration's\n"
    "                           metrics: addresses): up, unhealthy (the reason),\n"
    "                           down (no answer) or off (no address); messages\n"
    "                           applied and refused; unacknowledged outbox messages\n"
    "                           per destination and the oldest one's age. Exit\n"
    "                           status 3 when a daemon asked is down or unhealthy,\n"
    "                           2 when none has a metrics address.\n"
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
    "                           department; the history keeps who (the key's name),\n"
    "                           when and why, the agent receives the task again and\n"
    "                           the old specialist gets a reassigned_away notice; the\n"
    "                           lead moves too when the old one has no other open\n"
    "                           task in the case\n"
    "  specialist away ID --from YYYY-MM-DD --to YYYY-MM-DD [--reason TEXT]\n"
    "                           a specialist's leave, both days included, with who\n"
    "                           set it: no new task goes to them on those days (leave\n"
    "                           known in advance can also go in the configuration:\n"
    "                           departments[].specialists[].away)\n"
    "  calendar check           the open deadlines that are pending (their year is\n"
    "                           not in the calendar) or were computed with a version\n"
    "                           of a year the configuration file no longer has, with\n"
    "                           the date the file gives them now; changes nothing\n"
    "  calendar apply           the tracker reads the calendar of its configuration\n"
    "                           file again and recomputes those deadlines; the\n"
    "                           router, the unit's status and the department (a\n"
    "                           due_moved notice) learn each date that moved\n"
    "  board [--dept CODE] [--json]\n"
    "                           the supervision board, from the tracker: overdue\n"
    "                           tasks (working days overdue, the level escalated to),\n"
    "                           tasks due within the warning days, paused tasks and\n"
    "                           why, tasks whose due date waits for a calendar year;\n"
    "                           by department and specialist. --json for programs:\n"
    "                           {\"today\", \"warn_days\", \"tasks\": [{\"section\", ...}]}\n"
    "  report assessment|bready|summary --period P [--format table|csv|json|html]\n"
    "                           the figures of a period (P: 2026-Q3, 2026-09 or 2026)\n"
    "                           from the stored events, in one read-only transaction,\n"
    "                           so a past period made again gives the same numbers:\n"
    "                           assessment per specialist, department and in all;\n"
    "                           bready (B-READY: days from application to result net\n"
    "                           of pauses, shares, fees; per item, department, stage\n"
    "                           and project); summary (Markdown, for the\n"
    "                           special-group office). --format: table (default; md\n"
    "                           for summary), csv, json, or html (one self-contained\n"
    "                           page with charts)\n"
    "  visit list               the pending return visits (回访): case, due date,\n"
    "                           items, working days overdue; the earliest due first\n"
    "  visit record CASE --rating LEVEL [--comment TEXT]\n"
    "                           record the return visit and hall management's rating\n"
    "                           of the service: LEVEL is 非常满意, 满意, 基本满意,\n"
    "                           不满意 or 非常不满意; a 差评 (the last two) opens a\n"
    "                           rectification\n"
    "  rectify list [--dept CODE] [--all]\n"
    "                           the open rectifications of 差评 (--all: closed ones\n"
    "                           too): id, case, department, specialist, rating,\n"
    "                           state, due date, the level escalated to\n"
    "  rectify verify ID --finding TEXT\n"
    "                           the return visit verified the 差评: the department\n"
    "                           rectifies within evaluation.rectify_days working days\n"
    "                           (bangdai-dept rectify, appeal)\n"
    "  rectify feedback ID --text TEXT\n"
    "                           what the unit was told of the rectification or the\n"
    "                           explanation; it appears in the case's status log\n"
    "  rectify decide ID --uphold|--reject --reason TEXT\n"
    "                           decide the specialist's appeal; an upheld appeal\n"
    "                           leaves the rating out of the assessment\n\n"
    CLI_HELP_ANSWERS
    CLI_HELP_OPTIONS("ops")
    CLI_HELP_EXIT_STATUS "\n"
    CLI_HELP_ENVIRONMENT
    "  BANGDAI_SQL_DIR   migrate's SQL folder when --sql-dir is not given\n"
    "  PGHOST, PGPORT, PGUSER, PGPASSFILE, ...\n"
    "                    libpq's variables, for migrate, links and report, which\n"
    "                    connect as the database owner\n\n"
    CLI_HELP_FILES
    "  " BANGDAI_SQL_DIR "/NNN_*.sql\n"
    "                    the migrations, installed\n";

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
