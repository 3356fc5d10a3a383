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
    "The department agent: receives the department's tasks and reports their progress.\n"
    "It speaks with the department's key (default dept-CODE); the router takes the\n"
    "department from the key, so an agent sees and changes only its own tasks.\n\n"
    "Commands:\n"
    "  run --dept CODE [--spool DIR] [--exec CMD]\n"
    "        stay connected to the router; store each task and notice in DIR (default\n"
    "        var/spool/CODE) before acknowledging it; run CMD for each new one with\n"
    "        BANGDAI_SPOOL_FILE and BANGDAI_TASK set. Stops on SIGINT/SIGTERM.\n"
    "  list --dept CODE [--specialist ID] [--limit N] [--after CURSOR | --all]\n"
    "        the department's open tasks (or one specialist's) with state, specialist\n"
    "        and due date, the soonest due first, a page of N (default 100, at most\n"
    "        500); the last line names the CURSOR of the next page; --all lists\n"
    "        every page\n"
    "  spool --dept CODE [--spool DIR]\n"
    "        the tasks and notices stored in the spool\n"
    "  update TASK STATE --dept CODE [--id UUID] [FIELDS]\n"
    "        report progress; STATE and the fields it needs:\n"
    "          accepted    --when 'YYYY-MM-DD HH:MM' --where PLACE [--materials 'a,b,...']\n"
    "                      (上门受理; the materials received are checked against the item's list)\n"
    "          submitted   --ref REF (the approval system's reference); a 帮办 item also\n"
    "                      --accepted-on YYYY-MM-DD, the day the authority accepted the\n"
    "                      unit's filing: its clock restarts from it\n"
    "          supplement  --missing TEXT (补正: what the unit must supply)\n"
    "          resupplied\n"
    "          approved    --doc NO [--kind paper|e_licence] (default paper)\n"
    "          rejected    --reason TEXT\n"
    "        --note TEXT adds a remark to any move. --id gives the report's id, so\n"
    "        that running the same command again is applied once.\n"
    "  pause TASK --dept CODE --kind KIND --reason TEXT [--id UUID]\n"
    "        the item's clock stops (行政许可法 §45): KIND is expert_review (专家评审),\n"
    "        hearing (听证), inspection (检验检测检疫) or appraisal (鉴定); one pause\n"
    "        at a time; the paused working days do not count, at most the catalog's\n"
    "        limit for the kind (补正 pauses by itself: supplement ... resupplied)\n"
    "  resume TASK --dept CODE [--id UUID]\n"
    "        the clock runs again; the due dates move by the paused working days\n"
    "  deliver TASK --dept CODE --method METHOD [FIELDS] [--id UUID]\n"
    "        the decided item's result (or rejection) was handed over to the unit (统一送达):\n"
    "          in_person  --receiver NAME --receipt REF [--at 'YYYY-MM-DD HH:MM']\n"
    "          post       --carrier NAME --tracking NO --address TEXT [--at ...]\n"
    "          e_licence  --licence ID [--at ...]   (an approval with an e-licence)\n"
    "        --at defaults to now; once per task\n"
    "  fee TASK --dept CODE --amount YUAN --payee NAME --paid-on YYYY-MM-DD [--id UUID]\n"
    "        a statutory fee the unit itself paid to an authority for the item (only for\n"
    "        items whose catalog entry has fee: true; the service itself is free)\n"
    "  note TASK KIND --dept CODE [--id UUID] [FIELDS]   (a 帮办 help log entry)\n"
    "          consultation --question TEXT --answer TEXT\n"
    "          guidance     --text TEXT\n"
    "          contact      --contact DEPT --text TEXT\n"
    "          meeting      --at 'YYYY-MM-DD HH:MM' --invited 'dept,dept' --topic TEXT\n"
    "                       --decisions TEXT\n"
    "  rectify ID --dept CODE (--done TEXT | --explain TEXT)\n"
    "        the department's answer to the rectification ID of a 差评 (bangdaictl\n"
    "        rectify list): what was rectified, or why there is no legal basis to;\n"
    "        sent to bangdai-evaluation, which takes only the department's own\n"
    "  appeal ID --dept CODE --reason TEXT\n"
    "        the specialist appeals the 差评 of the rectification ID as mistaken or\n"
    "        malicious; hall management decides (bangdaictl rectify decide)\n\n"
    "Options:\n"
    "  -c, --config FILE  deployment configuration (default $BANGDAI_CONFIG,\n"
    "                     else /etc/bangdai/bangdai.yaml)\n"
    "  --key NAME         the key to speak with (default dept-CODE)\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n\n"
    "Exit status: 0 done, 1 refused (the reason is printed), 2 usage or\n"
    "configuration error, 3 the router did not answer. run exits 1 when it\n"
    "cannot set up its spool or its connection (after a fatal line), 0 after\n"
    "SIGINT or SIGTERM; under systemd (bangdai-dept@CODE, Type=notify) it says\n"
    "READY=1 once both are set up and pets the watchdog.\n";

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
