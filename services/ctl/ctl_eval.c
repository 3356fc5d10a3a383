/* ctl_eval.c - hall management's side of the evaluation: the return
 * visits (list, record with the rating) and the rectifications of 差评
 * (list, verify, feedback, decide an appeal). Each is a request to
 * bangdai-evaluation with the hall-management key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "envelope.h"

/* The value of --name among argv[from..], or NULL. */
static const char *opt(struct cli *cli, int from, const char *name)
{
    for (int i = from; i + 1 < cli->argc; i++)
        if (strcmp(cli->argv[i], name) == 0)
            return cli->argv[i + 1];
    return NULL;
}

static bool flag(struct cli *cli, int from, const char *name)
{
    for (int i = from; i < cli->argc; i++)
        if (strcmp(cli->argv[i], name) == 0)
            return true;
    return false;
}

int ctl_visit(struct cli *cli)
{
    if (cli->argc == 2 && strcmp(cli->argv[1], "list") == 0) {
        Bangdai__VisitListRequest q = BANGDAI__VISIT_LIST_REQUEST__INIT;
        Bangdai__VisitListReply *r = NULL;
        int rc = cli_request(cli, cli->cfg->endpoints.evaluation, MSG_VISIT_LIST, NULL, &q.base, NULL,
                             MSG_VISIT_LIST_REPLY, &bangdai__visit_list_reply__descriptor, (ProtobufCMessage **)&r);
        if (rc != 0)
            return rc;
        printf("pending return visits, %s\n", r->today);
        if (r->n_visits)
            printf("%-26s %-10s %-7s %s\n", "CASE", "DUE", "ITEMS", "OVERDUE");
        for (size_t i = 0; i < r->n_visits; i++) {
            const Bangdai__VisitInfo *v = r->visits[i];
            char od[48] = "-";
            if (v->overdue_days)
                snprintf(od, sizeof od, "%d working days", v->overdue_days);
            printf("%-26s %-10s %-7d %s\n", v->case_no, v->due_on[0] ? v->due_on : "pending", v->tasks, od);
        }
        if (!r->n_visits)
            printf("none\n");
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return 0;
    }
    if (cli->argc >= 3 && strcmp(cli->argv[1], "record") == 0) {
        Bangdai__RateRequest q = BANGDAI__RATE_REQUEST__INIT;
        const char *level = opt(cli, 3, "--rating"), *comment = opt(cli, 3, "--comment");
        if (!level || cli->argc != (comment ? 7 : 5))
            return cli_usage_error(cli, "visit record takes CASE --rating LEVEL [--comment TEXT]");
        q.case_no = cli->argv[2];
        q.level = (char *)level;
        q.comment = (char *)(comment ? comment : "");
        q.channel = "visit";
        Bangdai__RateReply *r = NULL;
        int rc = cli_request(cli, cli->cfg->endpoints.evaluation, MSG_RATE, q.case_no, &q.base, NULL,
                             MSG_RATE_REPLY, &bangdai__rate_reply__descriptor, (ProtobufCMessage **)&r);
        if (rc != 0)
            return rc;
        printf("return visit of %s recorded: rating %lld (%s, %s)", q.case_no, (long long)r->rating_id, r->dept,
               r->specialist);
        if (r->rectification_id)
            printf("; rectification %lld opened", (long long)r->rectification_id);
        printf("\n");
        protobuf_c_message_free_unpacked(&r->base, NULL);
        return 0;
    }
    return cli_usage_error(cli, "visit takes list, or record CASE --rating LEVEL [--comment TEXT]");
}

static void print_day(int64_t us, char out[11])
{
    time_t t = (time_t)(us / 1000000) + 8 * 3600;     /* China time */
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void print_row(const Bangdai__RectificationInfo *i)
{
    char opened[11], closed[11] = "-";
    print_day(i->opened_at_us, opened);
    if (i->closed_at_us)
        print_day(i->closed_at_us, closed);
    printf("%-5lld %-26s %-6s %-10s %-12s %-16s %-10s %-10s %-10s %s\n", (long long)i->id, i->case_no, i->dept,
           i->specialist[0] ? i->specialist : "-", i->level, i->state, i->due_on[0] ? i->due_on : "pending",
           i->escalated_level[0] ? i->escalated_level : "-", opened, closed);
}

static int rect_list(struct cli *cli)
{
    Bangdai__RectifyListRequest q = BANGDAI__RECTIFY_LIST_REQUEST__INIT;
    for (int i = 2; i < cli->argc; i++) {
        if (strcmp(cli->argv[i], "--all") == 0)
            q.all = true;
        else if (strcmp(cli->argv[i], "--dept") == 0 && i + 1 < cli->argc)
            q.dept = cli->argv[++i];
        else
            return cli_usage_error(cli, "rectify list takes [--dept CODE] [--all]");
    }
    Bangdai__RectifyListReply *r = NULL;
    int rc = cli_request(cli, cli->cfg->endpoints.evaluation, MSG_RECTIFY_LIST, NULL, &q.base, NULL,
                         MSG_RECTIFY_LIST_REPLY, &bangdai__rectify_list_reply__descriptor, (ProtobufCMessage **)&r);
    if (rc != 0)
        return rc;
    printf("rectifications, %s\n", r->today);
    if (r->n_rectifications)
        printf("%-5s %-26s %-6s %-10s %-12s %-16s %-10s %-10s %-10s %s\n", "ID", "CASE", "DEPT", "SPECIALIST",
               "RATING", "STATE", "DUE", "ESCALATED", "OPENED", "CLOSED");
    for (size_t i = 0; i < r->n_rectifications; i++)
        print_row(r->rectifications[i]);
    if (!r->n_rectifications)
        printf("none\n");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}

int ctl_rectify(struct cli *cli)
{
    if (cli->argc >= 2 && strcmp(cli->argv[1], "list") == 0)
        return rect_list(cli);
    Bangdai__RectifyRequest q = BANGDAI__RECTIFY_REQUEST__INIT;
    char *end = NULL;
    const char *sub = cli->argc >= 3 ? cli->argv[1] : "";
    const char *text = NULL;
    int want = 5;
    if (cli->argc >= 3)
        q.rectification_id = strtoll(cli->argv[2], &end, 10);
    if (strcmp(sub, "verify") == 0) {
        q.action = "verify";
        text = opt(cli, 3, "--finding");
    } else if (strcmp(sub, "feedback") == 0) {
        q.action = "feedback";
        text = opt(cli, 3, "--text");
    } else if (strcmp(sub, "decide") == 0) {
        bool up = flag(cli, 3, "--uphold"), down = flag(cli, 3, "--reject");
        if (up == down)
            return cli_usage_error(cli, "rectify decide takes ID --uphold|--reject --reason TEXT");
        q.action = "decide";
        q.uphold = up;
        text = opt(cli, 3, "--reason");
        want = 6;
    } else {
        return cli_usage_error(cli, "rectify takes list, verify, feedback or decide");
    }
    if (!end || *end || q.rectification_id < 1 || !text || cli->argc != want)
        return cli_usage_error(cli, "rectify %s takes a rectification id and its text (see --help)", sub);
    q.text = (char *)text;
    Bangdai__RectifyReply *r = NULL;
    int rc = cli_request(cli, cli->cfg->endpoints.evaluation, MSG_RECTIFY, NULL, &q.base, NULL, MSG_RECTIFY_REPLY,
                         &bangdai__rectify_reply__descriptor, (ProtobufCMessage **)&r);
    if (rc != 0)
        return rc;
    printf("rectification %lld %s\n", (long long)q.rectification_id,
           r->rectification ? r->rectification->state : "?");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}
