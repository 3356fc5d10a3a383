/* bangdai-hall - the online hall's side of bangdai: submits applications
 * and shows a case's status. The online hall (工程建设项目网上办事大厅) runs it,
 * or links the same requests, for each 代办/帮办 application it forwards. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "states.h"
#include "envelope.h"
#include "hall.h"


static const char usage[] =
    "Usage: bangdai-hall [--config FILE] [--key NAME] COMMAND ...\n"
    "The online hall's adapter: sends applications to bangdai-intake and reads cases.\n\n"
    "Commands:\n"
    "  submit FILE.yaml [--contact-phone NUMBER]\n"
    "                     submit an application (see the sample applications); prints\n"
    "                     the case number, and on stderr its expected completion\n"
    "                     (\"expected completion 2026-12-18 (catalog promised days by\n"
    "                     stage)\", or \"pending the 2027 calendar\"), so that stdout is\n"
    "                     the case number alone for scripts. The file's request_id\n"
    "                     makes a resubmit return the same case instead of a new one\n"
    "                     (the same request_id with a different application:\n"
    "                     conflict). --contact-phone gives the contact's mobile\n"
    "                     number in place of the file's (the samples carry a masked\n"
    "                     one, which intake refuses: nobody could call it).\n"
    "  status CASE        the case's state, its submission time, expected completion\n"
    "                     and lead specialist (主办专员); every task with its kind,\n"
    "                     item, department, specialist, state, promised (DUE) and\n"
    "                     statutory due date and result; paused clocks, handovers and\n"
    "                     fees; and the LOG (帮办 help log, reassignments,\n"
    "                     withdrawal, feedback). Hall management reads a case with\n"
    "                     --key ops status CASE\n"
    "  watch CASE [--from-start] [--until-final]\n"
    "                     the case's status, then every change of it live from\n"
    "                     intake's progress feed (endpoints.feed), one numbered line\n"
    "                     each (#seq); a gap in the numbers or a reconnection prints\n"
    "                     the status again (\"missed events: status again\").\n"
    "                     --from-start first prints the case's recorded events from\n"
    "                     #1; --until-final ends when the case is final\n"
    "                     (RETURN_VISIT_OPEN, WITHDRAWN). Ctrl-C ends it.\n"
    "  receipt CASE [--task TASK]\n"
    "                     the unit confirms it received the result of TASK, or of\n"
    "                     every item handed over and not confirmed yet (统一送达);\n"
    "                     prints the tasks confirmed. Sending it twice changes\n"
    "                     nothing.\n"
    "  download CASE TASK\n"
    "                     the unit downloaded TASK's e-licence (电子证照): recorded,\n"
    "                     and counts as the confirmation of that result\n"
    "  withdraw CASE --reason TEXT\n"
    "                     withdraw the application: every open task is cancelled and\n"
    "                     each department's agent is told; prints \"CASE withdrawn\".\n"
    "                     Again for a withdrawn case: the same answer; a case whose\n"
    "                     return visit is open: conflict\n"
    "  rate CASE --rating LEVEL [--task TASK] [--comment TEXT] [--onsite] [--by NAME]\n"
    "                     the unit rates the service once it has ended: LEVEL is\n"
    "                     非常满意, 满意, 基本满意, 不满意 or 非常不满意; the whole\n"
    "                     service once (一次一评), or with --task one item once\n"
    "                     (一事一评, where evaluation.per_item_rating allows it).\n"
    "                     --onsite: rated at the hall's counter (channel onsite),\n"
    "                     else online (channel hall); --by: who rated. Sent to\n"
    "                     bangdai-evaluation; prints \"rating N of CASE recorded\n"
    "                     (DEPT, SPECIALIST)\"; a 差评 (the last two) adds \";\n"
    "                     rectification N opened\", whose feedback appears in the\n"
    "                     case's status\n\n"
    CLI_HELP_ANSWERS
    CLI_HELP_OPTIONS("hall")
    CLI_HELP_EXIT_STATUS
    "  watch exits 3 also when the feed does not take the key within 5 s (a key\n"
    "  the configuration lacks), 2 when the configuration has no endpoints.feed\n\n"
    CLI_HELP_ENVIRONMENT "\n"
    CLI_HELP_FILES
    "  PREFIX/share/bangdai/examples/\n"
    "                    the sample applications (deploy/examples/ in the sources)\n";

/* The expected completion given at submission: "2026-12-18 (catalog
 * promised days by stage)", with the 90th-percentile date when it differs,
 * or the year the count waits for. Nothing for a case submitted before
 * intake counted it. */
static void print_expected(FILE *out, const char *label, const char *completion, const char *latest,
                           int pending_year, const char *basis)
{
    if (completion[0] && latest[0] && strcmp(completion, latest) != 0)
        fprintf(out, "%s%s, at the latest %s (%s)\n", label, completion, latest, basis);
    else if (completion[0])
        fprintf(out, "%s%s (%s)\n", label, completion, basis);
    else if (pending_year)
        fprintf(out, "%spending the %d calendar (%s)\n", label, pending_year, basis);
}

static int submit(struct cli *cli)
{
    Bangdai__SubmitRequest req;
    Bangdai__Unit unit;
    Bangdai__Project project;
    Bangdai__Contact contact;
    Bangdai__SubmitReply *r;
    struct ydoc *doc = NULL;
    char id[37], err[1024];

    if (cli->argc != 2 && !(cli->argc == 4 && strcmp(cli->argv[2], "--contact-phone") == 0))
        return cli_usage_error(cli, "submit takes one application file [--contact-phone NUMBER]");
    if (hall_application_load(cli->argv[1], &req, &unit, &project, &contact, &doc, id, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", cli->program, err);
        return 1;
    }
    if (cli->argc == 4)
        contact.phone = cli->argv[3];
    int rc = cli_request(cli, cli->cfg->endpoints.intake, MSG_SUBMIT, NULL, &req.base, NULL,
                         MSG_SUBMIT_REPLY, &bangdai__submit_reply__descriptor, (ProtobufCMessage **)&r);
    free(req.items);
    ydoc_destroy(&doc);
    if (rc != 0)
        return rc;
    printf("%s\n", r->case_no);
    print_expected(stderr, "bangdai-hall: expected completion ", r->expected_completion, r->expected_latest, r->expected_pending_year,
                   r->expected_basis);
    if (r->duplicate)
        fprintf(stderr, "%s: already submitted as %s; nothing new was created\n", cli->program, r->case_no);
    bangdai__submit_reply__free_unpacked(r, NULL);
    return 0;
}

void hall_print_status(const Bangdai__StatusReply *s)
{
    char when[32];
    time_t t = (time_t)(s->submitted_at_us / 1000000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    printf("case      %s\n", s->case_no);
    printf("state     %s\n", s->state);
    printf("service   %s\n", strcmp(s->service_type, "agency") == 0 ? "agency (代办)" : "help (帮办)");
    printf("unit      %s\n", s->unit_name);
    printf("project   %s (%s)\n", s->project_name, s->project_code);
    printf("submitted %s\n", when);
    if (s->lead_specialist[0])
        printf("lead      %s %s\n", s->lead_specialist, s->lead_name);
    print_expected(stdout, "expected  ", s->expected_completion, s->expected_latest, s->expected_pending_year,
                   s->expected_basis);
    /* DUE is the promised date (承诺时限), STATUTORY the legal one (法定时限). */
    printf("\n%-30s %-12s %-9s %-6s %-10s %-20s %-10s %-10s %s\n", "TASK", "KIND", "ITEM", "DEPT", "SPECIALIST",
           "STATE", "DUE", "STATUTORY", "RESULT");
    for (size_t i = 0; i < s->n_tasks; i++) {
        const Bangdai__TaskStatus *t = s->tasks[i];
        printf("%-30s %-12s %-9s %-6s %-10s %-20s %-10s %-10s %s\n", t->task_id, t->kind[0] ? t->kind : "item",
               t->item_code[0] ? t->item_code : "-", t->dept, t->specialist[0] ? t->specialist : "-", t->state,
               t->due_pending_year ? "pending" : t->due_date[0] ? t->due_date : "-",
               t->statutory_pending_year ? "pending" : t->statutory_due_date[0] ? t->statutory_due_date : "-",
               t->result_doc[0] ? t->result_doc : "-");
    }
    if (s->n_tasks == 0)
        printf("(no task reported yet)\n");
    /* The unit is told why a task has no date, never shown a guess. */
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->tasks[i]->due_pending_year) {
            char due[64];
            printf("(pending) %s: %s, which the State Council has not published yet\n", s->tasks[i]->task_id,
                   cli_due_text(s->tasks[i]->due_date, s->tasks[i]->due_pending_year, due));
        }
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->tasks[i]->reminders_sent)
            printf("(chased) %s: %d reminder%s sent to the department (催办, 督办; see the log)\n",
                   s->tasks[i]->task_id, s->tasks[i]->reminders_sent, s->tasks[i]->reminders_sent == 1 ? "" : "s");
    /* The clock stands still (行政许可法 §45, 补正): since when and why; and
     * how far the pauses moved the dates. */
    for (size_t i = 0; i < s->n_tasks; i++) {
        const Bangdai__TaskStatus *t = s->tasks[i];
        enum pause_kind k;
        if (t->paused_kind[0])
            printf("(paused) %s: clock paused since %s (%s %s: %s), %d working day%s paused so far; the due "
                   "dates move by the paused working days\n", t->task_id, t->paused_since, t->paused_kind,
                   pause_kind_parse(t->paused_kind, &k) ? "" : pause_kind_label(k), t->paused_reason,
                   t->paused_days, t->paused_days == 1 ? "" : "s");
        else if (t->paused_days > 0)
            printf("(paused) %s: the clock runs; %d working day%s paused in all, the due dates moved by them\n",
                   t->task_id, t->paused_days, t->paused_days == 1 ? "" : "s");
    }
    /* 统一送达: how each result reached the unit, and whether it said so. */
    for (size_t i = 0; i < s->n_tasks; i++)
        if (s->tasks[i]->handover[0])
            printf("(handover) %s: %s\n", s->tasks[i]->task_id, s->tasks[i]->handover);
    if (s->n_log > 0) {
        printf("\nLOG\n");
        for (size_t i = 0; i < s->n_log; i++) {
            const Bangdai__CaseLogEntry *e = s->log[i];
            time_t lt = (time_t)(e->at_us / 1000000) + 8 * 3600;
            gmtime_r(&lt, &tm);
            strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
            printf("%s  %-12s %-6s %s\n", when, e->kind, e->dept[0] ? e->dept : "-", e->text);
        }
    }
}

static int status(struct cli *cli)
{
    Bangdai__StatusRequest req = BANGDAI__STATUS_REQUEST__INIT;
    Bangdai__StatusReply *s;
    if (cli->argc != 2)
        return cli_usage_error(cli, "status takes one case number");
    req.case_no = cli->argv[1];
    int rc = cli_request(cli, cli->cfg->endpoints.intake, MSG_STATUS, req.case_no, &req.base, NULL,
                         MSG_STATUS_REPLY, &bangdai__status_reply__descriptor, (ProtobufCMessage **)&s);
    if (rc != 0)
        return rc;
    hall_print_status(s);
    bangdai__status_reply__free_unpacked(s, NULL);
    return 0;
}

/* receipt CASE [--task TASK] and download CASE TASK. */
static int receipt(struct cli *cli, bool download)
{
    Bangdai__ReceiptRequest req = BANGDAI__RECEIPT_REQUEST__INIT;
    Bangdai__ReceiptReply *r;
    if (download && cli->argc != 3)
        return cli_usage_error(cli, "download takes a case number and a task");
    if (!download && cli->argc != 2 && !(cli->argc == 4 && strcmp(cli->argv[2], "--task") == 0))
        return cli_usage_error(cli, "receipt takes a case number [--task TASK]");
    req.case_no = cli->argv[1];
    req.task_id = cli->argc > 2 ? cli->argv[cli->argc - 1] : "";
    req.kind = (char *)(download ? "download" : "receipt");
    int rc = cli_request(cli, cli->cfg->endpoints.intake, MSG_RECEIPT, req.case_no, &req.base, NULL,
                         MSG_RECEIPT_REPLY, &bangdai__receipt_reply__descriptor, (ProtobufCMessage **)&r);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < r->n_task_ids; i++)
        printf("%s %s\n", r->task_ids[i], download ? "downloaded" : "received");
    bangdai__receipt_reply__free_unpacked(r, NULL);
    return 0;
}

static int withdraw(struct cli *cli)
{
    Bangdai__WithdrawRequest req = BANGDAI__WITHDRAW_REQUEST__INIT;
    if (cli->argc != 4 || strcmp(cli->argv[2], "--reason") != 0)
        return cli_usage_error(cli, "withdraw takes a case number and --reason TEXT");
    req.case_no = cli->argv[1];
    req.reason = cli->argv[3];
    int rc = cli_request(cli, cli->cfg->endpoints.intake, MSG_WITHDRAW, req.case_no, &req.base, NULL,
                         MSG_WITHDRAW_REPLY, NULL, NULL);
    if (rc == 0)
        printf("%s withdrawn\n", req.case_no);
    return rc;
}

static int rate(struct cli *cli)
{
    Bangdai__RateRequest req = BANGDAI__RATE_REQUEST__INIT;
    if (cli->argc < 2)
        return cli_usage_error(cli, "rate takes a case number and --rating LEVEL");
    req.case_no = cli->argv[1];
    for (int i = 2; i < cli->argc; i++) {
        const char *a = cli->argv[i], *v = i + 1 < cli->argc ? cli->argv[i + 1] : NULL;
        if (strcmp(a, "--onsite") == 0)
            req.channel = "onsite";
        else if (v && strcmp(a, "--rating") == 0)
            req.level = cli->argv[++i];
        else if (v && strcmp(a, "--task") == 0)
            req.task_id = cli->argv[++i];
        else if (v && strcmp(a, "--comment") == 0)
            req.comment = cli->argv[++i];
        else if (v && strcmp(a, "--by") == 0)
            req.rated_by = cli->argv[++i];
        else
            return cli_usage_error(cli, "rate: unknown or incomplete option '%s'", a);
    }
    if (!req.level[0])
        return cli_usage_error(cli, "rate needs --rating LEVEL");
    Bangdai__RateReply *r = NULL;
    int rc = cli_request(cli, cli->cfg->endpoints.evaluation, MSG_RATE, req.case_no, &req.base, NULL,
                         MSG_RATE_REPLY, &bangdai__rate_reply__descriptor, (ProtobufCMessage **)&r);
    if (rc != 0)
        return rc;
    printf("rating %lld of %s recorded (%s, %s)", (long long)r->rating_id, req.case_no, r->dept, r->specialist);
    if (r->rectification_id)
        printf("; rectification %lld opened", (long long)r->rectification_id);
    printf("\n");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    struct cli cli = { .program = "bangdai-hall", .usage = usage, .default_key = "hall" };
    int rc = cli_start(&cli, argc, argv);
    if (rc >= 0)
        return rc;
    if (strcmp(cli.argv[0], "submit") == 0)
        rc = submit(&cli);
    else if (strcmp(cli.argv[0], "status") == 0)
        rc = status(&cli);
    else if (strcmp(cli.argv[0], "withdraw") == 0)
        rc = withdraw(&cli);
    else if (strcmp(cli.argv[0], "receipt") == 0)
        rc = receipt(&cli, false);
    else if (strcmp(cli.argv[0], "download") == 0)
        rc = receipt(&cli, true);
    else if (strcmp(cli.argv[0], "watch") == 0)
        rc = hall_watch(&cli);
    else if (strcmp(cli.argv[0], "rate") == 0)
        rc = rate(&cli);
    else
        rc = cli_usage_error(&cli, "unknown command '%s'", cli.argv[0]);
    cli_end(&cli);
    return rc;
}
