/* bangdai-dept - the department agent. `run` keeps a connection to the
 * router, stores every task and notice it receives in a spool directory
 * before acknowledging it, and optionally hands each to a command of the
 * department's own; `list` shows the department's open tasks; `update`
 * reports a task's progress and `note` adds to a 帮办 help log. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dept.h"

static const char usage[] =
    "Usage: bangdai-dept [--config FILE] [--key NAME] COMMAND --dept CODE [OPTIONS]\n"
    "The department agent (run) and the specialists' command line: receives the\n"
    "department's tasks and reports their progress. It speaks with the department's\n"
    "key (default dept-CODE); the router takes the department from the key, never\n"
    "from --dept, so an agent sees and changes only its own department's tasks\n"
    "(another's: forbidden).\n\n"
    "Commands:\n"
    "  run --dept CODE [--spool DIR] [--exec CMD]\n"
    "                     the agent: stays connected to the router and stores each\n"
    "                     task and notice in DIR (default var/spool/CODE, relative to\n"
    "                     the working directory) as MSGID.task or MSGID.notice before\n"
    "                     acknowledging it, in the order the router decided them (the\n"
    "                     spool's .seq keeps the last one across restarts); runs CMD\n"
    "                     once for each new one with BANGDAI_SPOOL_FILE and\n"
    "                     BANGDAI_TASK set. A notice is cancelled (the unit withdrew\n"
    "                     the case), reassigned_away, closed, due_moved or a reminder\n"
    "                     (warn, due, overdue, escalation:LEVEL, handover,\n"
    "                     rectify:escalation:LEVEL). Stops on SIGINT or SIGTERM\n"
    "  list --dept CODE [--specialist ID] [--limit N] [--after CURSOR | --all]\n"
    "                     the department's open tasks (or one specialist's) with\n"
    "                     state, specialist, statutory and promised due date and\n"
    "                     \"(paused: KIND since YYYY-MM-DD)\", the soonest due first, a\n"
    "                     page of N (default 100, at most 500); the last line names\n"
    "                     the CURSOR of the next page; --all lists every page\n"
    "  spool --dept CODE [--spool DIR]\n"
    "                     the tasks and notices stored in the spool\n"
    "  update TASK STATE --dept CODE [--id UUID] [--note TEXT] [FIELDS]\n"
    "                     report progress. --note TEXT adds a remark to any move. An\n"
    "                     illegal move is refused with conflict naming the current\n"
    "                     state, a missing field with invalid naming the field;\n"
    "                     RECEIVED, CANCELLED and CLOSED are the router's own moves.\n"
    "                     STATE and the fields it needs:\n"
    "    accepted    --when 'YYYY-MM-DD HH:MM' --where PLACE [--materials 'a,b,...']\n"
    "                (上门受理: ACCEPTED_ONSITE; the materials received are checked\n"
    "                against the item's list, the missing ones kept with the task)\n"
    "    submitted   --ref REF (the approval system's reference); a 帮办 item also\n"
    "                --accepted-on YYYY-MM-DD, the day the authority accepted the\n"
    "                unit's filing: its clock restarts from it\n"
    "    supplement  --missing TEXT (补正: what the unit must supply)\n"
    "    resupplied  (the supplement came: SUPPLEMENT_RECEIVED)\n"
    "    approved    --doc NO [--kind paper|e_licence] (default paper)\n"
    "    rejected    --reason TEXT\n"
    "  pause TASK --dept CODE --kind KIND --reason TEXT [--id UUID]\n"
    "                     the item's clock stops (行政许可法 §45): KIND is\n"
    "                     expert_review (专家评审), hearing (听证), inspection\n"
    "                     (检验检测检疫) or appraisal (鉴定); one pause at a time,\n"
    "                     none during 补正; the paused working days do not count, at\n"
    "                     most the catalog's pause_limits for the kind (补正 pauses\n"
    "                     by itself: supplement ... resupplied)\n"
    "  resume TASK --dept CODE [--id UUID]\n"
    "                     the clock runs again; the due dates move by the paused\n"
    "                     working days\n"
    "  deliver TASK --dept CODE --method METHOD [FIELDS] [--id UUID]\n"
    "                     the decided item's result (or rejection) was handed over to\n"
    "                     the unit (HANDED_OVER), once per task; --at defaults to\n"
    "                     now. METHOD and its fields:\n"
    "    in_person   --receiver NAME --receipt REF [--at 'YYYY-MM-DD HH:MM']\n"
    "    post        --carrier NAME --tracking NO --address TEXT [--at ...]\n"
    "    e_licence   --licence ID [--at ...] (an approval with an e-licence)\n"
    "  fee TASK --dept CODE --amount YUAN --payee NAME --paid-on YYYY-MM-DD\n"
    "                     a statutory fee the unit itself paid to an authority for\n"
    "                     the item (only for items whose catalog entry has fee: true;\n"
    "                     the service itself is free)\n"
    "  note TASK KIND --dept CODE [--id UUID] [FIELDS]\n"
    "                     an entry of the 帮办 help log, on a help or coordination\n"
    "                     task (never an item task), shown under LOG in bangdai-hall\n"
    "                     status; KIND and its fields:\n"
    "    consultation  --question TEXT --answer TEXT\n"
    "    guidance      --text TEXT\n"
    "    contact       --contact DEPT --text TEXT (DEPT: the department contacted)\n"
    "    meeting       --at 'YYYY-MM-DD HH:MM' --invited 'dept,dept' --topic TEXT\n"
    "                  --decisions TEXT\n"
    "  rectify ID --dept CODE (--done TEXT | --explain TEXT)\n"
    "                     the department's answer to the rectification ID of a 差评\n"
    "                     (bangdaictl rectify list): what was rectified, or why there\n"
    "                     is no legal basis to; sent to bangdai-evaluation, which\n"
    "                     takes only the department's own; prints \"rectification ID\n"
    "                     STATE\"\n"
    "  appeal ID --dept CODE --reason TEXT\n"
    "                     the specialist appeals the 差评 of the rectification ID as\n"
    "                     mistaken or malicious; hall management decides (bangdaictl\n"
    "                     rectify decide); prints \"rectification ID STATE\"\n\n"
    "update, pause, resume, deliver, fee and note resend their message until the\n"
    "router answers, and the router applies it once; --id UUID gives the message its\n"
    "id, so that the same command again with the same --id is applied once too and\n"
    "prints the same answer.\n\n"
    CLI_HELP_ANSWERS
    CLI_HELP_OPTIONS("dept-CODE")
    CLI_HELP_EXIT_STATUS
    "  run exits 0 after SIGINT or SIGTERM, 1 when it cannot set up its spool or\n"
    "  its connection (a missing certificate included), after a fatal line\n\n"
    "Signals:\n"
    "  SIGTERM, SIGINT\n"
    "                    run stores and acknowledges the frame in hand, takes no more\n"
    "                    (the router resends them), logs agent.stopping and exits 0;\n"
    "                    its --exec command, too, must end within 5 s of the signal\n\n"
    CLI_HELP_ENVIRONMENT
    "  BANGDAI_SPOOL_FILE, BANGDAI_TASK\n"
    "                    set for run's --exec CMD: the file stored and its task\n"
    "  NOTIFY_SOCKET, WATCHDOG_USEC\n"
    "                    set by systemd (bangdai-dept@CODE.service, Type=notify): run\n"
    "                    says READY=1 once its spool and socket are set up, pets the\n"
    "                    watchdog and says STOPPING=1\n\n"
    CLI_HELP_FILES
    "  var/spool/CODE/MSGID.task, MSGID.notice, .seq\n"
    "                    run's spool by default (bangdai-dept@CODE.service:\n"
    "                    /var/lib/bangdai/spool/CODE)\n";

int main(int argc, char **argv)
{
    enum { O_DEPT = 256, O_SPOOL, O_EXEC, O_REF, O_DOC, O_KIND, O_REASON, O_NOTE, O_WHEN, O_WHERE,
           O_MATERIALS, O_MISSING, O_ID, O_QUESTION, O_ANSWER, O_TEXT, O_CONTACT, O_AT, O_INVITED,
           O_TOPIC, O_DECISIONS, O_SPECIALIST, O_LIMIT, O_AFTER, O_ALL, O_ACCEPTED_ON, O_DONE, O_EXPLAIN,
           O_METHOD, O_RECEIVER, O_RECEIPT, O_CARRIER, O_TRACKING, O_ADDRESS, O_LICENCE, O_AMOUNT, O_PAYEE,
           O_PAID_ON };
    static const struct option opts[] = {
        { "dept", required_argument, NULL, O_DEPT }, { "spool", required_argument, NULL, O_SPOOL },
        { "exec", required_argument, NULL, O_EXEC }, { "ref", required_argument, NULL, O_REF },
        { "doc", required_argument, NULL, O_DOC }, { "kind", required_argument, NULL, O_KIND },
        { "reason", required_argument, NULL, O_REASON }, { "note", required_argument, NULL, O_NOTE },
        { "when", required_argument, NULL, O_WHEN }, { "where", required_argument, NULL, O_WHERE },
        { "materials", required_argument, NULL, O_MATERIALS },
        { "missing", required_argument, NULL, O_MISSING }, { "id", required_argument, NULL, O_ID },
        { "question", required_argument, NULL, O_QUESTION }, { "answer", required_argument, NULL, O_ANSWER },
        { "text", required_argument, NULL, O_TEXT }, { "contact", required_argument, NULL, O_CONTACT },
        { "at", required_argument, NULL, O_AT }, { "invited", required_argument, NULL, O_INVITED },
        { "topic", required_argument, NULL, O_TOPIC }, { "decisions", required_argument, NULL, O_DECISIONS },
        { "specialist", required_argument, NULL, O_SPECIALIST }, { "limit", required_argument, NULL, O_LIMIT },
        { "after", required_argument, NULL, O_AFTER }, { "all", no_argument, NULL, O_ALL },
        { "accepted-on", required_argument, NULL, O_ACCEPTED_ON },
        { "done", required_argument, NULL, O_DONE }, { "explain", required_argument, NULL, O_EXPLAIN },
        { "method", required_argument, NULL, O_METHOD }, { "receiver", required_argument, NULL, O_RECEIVER },
        { "receipt", required_argument, NULL, O_RECEIPT }, { "carrier", required_argument, NULL, O_CARRIER },
        { "tracking", required_argument, NULL, O_TRACKING }, { "address", required_argument, NULL, O_ADDRESS },
        { "licence", required_argument, NULL, O_LICENCE }, { "amount", required_argument, NULL, O_AMOUNT },
        { "payee", required_argument, NULL, O_PAYEE }, { "paid-on", required_argument, NULL, O_PAID_ON },
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
        case O_DEPT: o.dept = optarg; break;
        case O_SPOOL: o.spool = optarg; break;
        case O_EXEC: o.exec = optarg; break;
        case O_REF: o.ref = optarg; break;
        case O_DOC: o.doc = optarg; break;
        case O_KIND: o.kind = optarg; break;
        case O_REASON: o.reason = optarg; break;
        case O_NOTE: o.note = optarg; break;
        case O_WHEN: o.when = optarg; break;
        case O_WHERE: o.where = optarg; break;
        case O_MATERIALS: o.materials = optarg; break;
        case O_MISSING: o.missing = optarg; break;
        case O_ID: o.id = optarg; break;
        case O_QUESTION: o.question = optarg; break;
        case O_ANSWER: o.answer = optarg; break;
        case O_TEXT: o.text = optarg; break;
        case O_CONTACT: o.contact = optarg; break;
        case O_AT: o.at = optarg; break;
        case O_INVITED: o.invited = optarg; break;
        case O_TOPIC: o.topic = optarg; break;
        case O_DECISIONS: o.decisions = optarg; break;
        case O_SPECIALIST: o.specialist = optarg; break;
        case O_LIMIT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 500) {
                rc = cli_usage_error(&cli, "--limit: a number of tasks from 1 to 500");
                goto out;
            }
            o.limit = (unsigned)v;
            break;
        }
        case O_AFTER: o.after = optarg; break;
        case O_ALL: o.all = true; break;
        case O_ACCEPTED_ON: o.accepted_on = optarg; break;
        case O_DONE: o.done = optarg; break;
        case O_EXPLAIN: o.explain = optarg; break;
        case O_METHOD: o.method = optarg; break;
        case O_RECEIVER: o.receiver = optarg; break;
        case O_RECEIPT: o.receipt = optarg; break;
        case O_CARRIER: o.carrier = optarg; break;
        case O_TRACKING: o.tracking = optarg; break;
        case O_ADDRESS: o.address = optarg; break;
        case O_LICENCE: o.licence = optarg; break;
        case O_AMOUNT: o.amount = optarg; break;
        case O_PAYEE: o.payee = optarg; break;
        case O_PAID_ON: o.paid_on = optarg; break;
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
    if ((rc = cli_use_key(&cli, "dept-%s", o.dept)) >= 0)
        goto out;
    o.args = cli.argv + optind;
    o.n_args = cli.argc - optind;
    if (strcmp(cli.argv[0], "run") == 0)
        rc = dept_run(&cli, &o);
    else if (strcmp(cli.argv[0], "list") == 0)
        rc = dept_list(&cli, &o);
    else if (strcmp(cli.argv[0], "spool") == 0)
        rc = dept_spool(&cli, &o);
    else if (strcmp(cli.argv[0], "update") == 0)
        rc = dept_update(&cli, &o);
    else if (strcmp(cli.argv[0], "pause") == 0)
        rc = dept_pause(&cli, &o, false);
    else if (strcmp(cli.argv[0], "resume") == 0)
        rc = dept_pause(&cli, &o, true);
    else if (strcmp(cli.argv[0], "deliver") == 0)
        rc = dept_deliver(&cli, &o);
    else if (strcmp(cli.argv[0], "fee") == 0)
        rc = dept_fee(&cli, &o);
    else if (strcmp(cli.argv[0], "note") == 0)
        rc = dept_note(&cli, &o);
    else if (strcmp(cli.argv[0], "rectify") == 0)
        rc = dept_rectify(&cli, &o, false);
    else if (strcmp(cli.argv[0], "appeal") == 0)
        rc = dept_rectify(&cli, &o, true);
    else
        rc = cli_usage_error(&cli, "unknown command '%s'", cli.argv[0]);
out:
    cli_end(&cli);
    return rc;
}
