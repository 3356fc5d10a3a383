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
    return cli_order(cli, cli->cfg->endpoints.router, MSG_REASSIGN, &r.base, NULL, done);
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
    return cli_order(cli, cli->cfg->endpoints.router, MSG_SPECIALIST_AWAY, &a.base, NULL, done);
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
