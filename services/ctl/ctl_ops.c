/* ctl_ops.c - hall management's orders to the router: reassign a task to
 * another specialist, mark a specialist away. Each is one message on the
 * reliable link, sent with the hall-management key; the router keeps who,
 * when and why. */
#include <stdio.h>
#include <string.h>

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

int ctl_reassign(struct cli *cli)
{
    /* reassign TASK --to SPECIALIST --reason TEXT */
    Bangdai__Reassign r = BANGDAI__REASSIGN__INIT;
    const char *to = opt(cli, 2, "--to"), *reason = opt(cli, 2, "--reason");
    if (cli->argc != 6 || !to || !reason)
        return cli_usage_error(cli, "reassign takes TASK --to SPECIALIST --reason TEXT");
    r.task_id = cli->argv[1];
    r.to_specialist = (char *)to;
    r.reason = (char *)reason;
    char done[256];
    snprintf(done, sizeof done, "%s reassigned to %s", r.task_id, to);
    return cli_order(cli, cli->cfg->endpoints.router, MSG_REASSIGN, r.task_id, &r.base, NULL, done);
}

int ctl_specialist(struct cli *cli)
{
    /* specialist away ID --from DATE --to DATE [--reason TEXT] */
    Bangdai__SpecialistAway a = BANGDAI__SPECIALIST_AWAY__INIT;
    const char *from = opt(cli, 3, "--from"), *to = opt(cli, 3, "--to"), *reason = opt(cli, 3, "--reason");
    if (cli->argc < 7 || strcmp(cli->argv[1], "away") != 0 || !from || !to)
        return cli_usage_error(cli, "specialist away ID --from YYYY-MM-DD --to YYYY-MM-DD [--reason TEXT]");
    a.specialist_id = cli->argv[2];
    a.from = (char *)from;
    a.to = (char *)to;
    a.reason = (char *)(reason ? reason : "");
    char done[256];
    snprintf(done, sizeof done, "%s away %s..%s", a.specialist_id, from, to);
    return cli_order(cli, cli->cfg->endpoints.router, MSG_SPECIALIST_AWAY, NULL, &a.base, NULL, done);
}

int ctl_calendar(struct cli *cli)
{
    /* calendar check | calendar apply */
    Bangdai__CalendarApply a = BANGDAI__CALENDAR_APPLY__INIT;
    if (cli->argc != 2 || (strcmp(cli->argv[1], "check") != 0 && strcmp(cli->argv[1], "apply") != 0))
        return cli_usage_error(cli, "calendar takes check or apply");
    a.check = strcmp(cli->argv[1], "check") == 0;
    Bangdai__CalendarReply *r = NULL;
    int rc = cli_request(cli, cli->cfg->endpoints.tracker, MSG_CALENDAR_APPLY, NULL, &a.base, NULL,
                         MSG_CALENDAR_REPLY, &bangdai__calendar_reply__descriptor, (ProtobufCMessage **)&r);
    if (rc != 0)
        return rc;
    printf("calendar %s in %s\n", r->years[0] ? r->years : "(no year)", cli->cfg->path);
    if (r->affected == 0) {
        printf("every open deadline has its date, computed with the calendar as it is\n");
    } else {
        printf("%-30s %-6s %-36s %s\n", "TASK", "DEPT", a.check ? "DUE" : "WAS", a.check ? "WITH THE FILE NOW" : "NOW");
        for (size_t i = 0; i < r->n_tasks; i++) {
            const Bangdai__CalendarTask *t = r->tasks[i];
            char was[64], now[64], wbuf[64], nbuf[64];
            snprintf(was, sizeof was, "%s", cli_due_text(t->old_due, t->old_pending_year, wbuf));
            if (!t->old_pending_year && t->old_version[0])
                snprintf(was, sizeof was, "%s (%s)", t->old_due, t->old_version);
            snprintf(now, sizeof now, "%s", cli_due_text(t->new_due, t->new_pending_year, nbuf));
            printf("%-30s %-6s %-36s %s\n", t->task_id, t->dept, was, now);
        }
        if (r->n_tasks < r->affected)
            printf("(%zu of %u listed)\n", r->n_tasks, r->affected);
        if (a.check)
            printf("%u open deadlines are pending or of an older calendar version; "
                   "bangdaictl calendar apply recomputes them\n", r->affected);
        else
            printf("%u open deadlines recomputed, %u moved\n", r->affected, r->moved);
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}

/* A JSON string: the text with " \ and control characters escaped (the
 * strings come from the tracker, which checked them as UTF-8). */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* ,"key":"value" (or null for an empty value); no comma when first. */
static void json_kv(const char *key, const char *value, bool first)
{
    printf("%s\"%s\":", first ? "" : ",", key);
    if (value && value[0])
        json_str(value);
    else
        printf("null");
}

int ctl_board(struct cli *cli)
{
    /* board [--dept CODE] [--json] */
    Bangdai__BoardRequest b = BANGDAI__BOARD_REQUEST__INIT;
    bool json = false;
    for (int i = 1; i < cli->argc; i++) {
        if (strcmp(cli->argv[i], "--json") == 0)
            json = true;
        else if (strcmp(cli->argv[i], "--dept") == 0 && i + 1 < cli->argc)
            b.dept = cli->argv[++i];
        else
            return cli_usage_error(cli, "board takes [--dept CODE] [--json]");
    }
    Bangdai__BoardReply *r = NULL;
    int rc = cli_request(cli, cli->cfg->endpoints.tracker, MSG_BOARD, NULL, &b.base, NULL, MSG_BOARD_REPLY,
                         &bangdai__board_reply__descriptor, (ProtobufCMessage **)&r);
    if (rc != 0)
        return rc;
    if (json) {
        printf("{\"today\":\"%s\",\"warn_days\":%u,\"tasks\":[", r->today, r->warn_days);
        for (size_t i = 0; i < r->n_rows; i++) {
            const Bangdai__BoardRow *t = r->rows[i];
            printf("%s{", i ? "," : "");
            json_kv("section", t->section, true);
            json_kv("task", t->task_id, false);
            json_kv("case", t->case_no, false);
            json_kv("dept", t->dept, false);
            json_kv("specialist", t->specialist, false);
            json_kv("item", t->item_code, false);
            json_kv("state", t->state, false);
            json_kv("due", t->due_date, false);
            printf(",\"overdue_days\":%d", t->overdue_days);
            json_kv("escalated_to", t->level, false);
            json_kv("paused", t->paused_kind, false);
            json_kv("paused_since", t->paused_since, false);
            json_kv("paused_reason", t->paused_reason, false);
            printf(",\"pending_year\":");
            if (t->pending_year)
                printf("%d", t->pending_year);
            else
                printf("null");
            putchar('}');
        }
        printf("]}\n");
    } else {
        static const char *const sections[] = {"overdue", "due_soon", "paused", "pending"};
        static const char *const titles[] = {"OVERDUE", "DUE SOON (within %u working days)", "PAUSED",
                                             "DUE DATE PENDING A CALENDAR YEAR"};
        printf("supervision board, %s\n", r->today);
        for (size_t s = 0; s < 4; s++) {
            size_t shown = 0;
            for (size_t i = 0; i < r->n_rows; i++) {
                const Bangdai__BoardRow *t = r->rows[i];
                if (strcmp(t->section, sections[s]) != 0)
                    continue;
                if (!shown++) {
                    printf("\n");
                    printf(titles[s], r->warn_days);
                    printf("\n%-6s %-10s %-30s %-9s %-20s %-10s %s\n", "DEPT", "SPECIALIST", "TASK", "ITEM",
                           "STATE", "DUE", s == 0 ? "OVERDUE / ESCALATED TO" : s == 1 ? "LEFT" : s == 2 ? "WHY" : "YEAR");
                }
                char last[640];
                if (s == 0)
                    snprintf(last, sizeof last, "%d working days%s%s", t->overdue_days, t->level[0] ? " / " : "",
                             t->level);
                else if (s == 1)
                    snprintf(last, sizeof last, "%d working days", -t->overdue_days);
                else if (s == 2)
                    snprintf(last, sizeof last, "%s since %s: %s", t->paused_kind, t->paused_since, t->paused_reason);
                else
                    snprintf(last, sizeof last, "%d", t->pending_year);
                printf("%-6s %-10s %-30s %-9s %-20s %-10s %s\n", t->dept, t->specialist, t->task_id,
                       t->item_code, t->state, t->due_date[0] ? t->due_date : "-", last);
            }
        }
        if (r->n_rows == 0)
            printf("nothing overdue, due soon, paused or pending\n");
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return 0;
}
