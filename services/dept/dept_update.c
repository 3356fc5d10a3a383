/* dept_update.c - a specialist reports progress, adds to a help log, or
 * asks for the department's open tasks. Each report is one envelope;
 * resent under the same id until the router answers (and, with --id, when
 * the command itself is run again), it is applied once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "dept.h"

/* Splits a comma-separated list into out (pointers into buf). */
static size_t split(char *buf, char **out, size_t max)
{
    size_t n = 0;
    for (char *tok = strtok(buf, ","); tok && n < max; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        if (*tok)
            out[n++] = tok;
    }
    return n;
}

static char *or_empty(const char *s) { return (char *)(s ? s : ""); }

/* "YYYY-MM-DD)" closing the pause note of a list line. */
static const char *paused_tail(const char *since, char buf[16])
{
    snprintf(buf, 16, "%.10s)", since);
    return buf;
}

int dept_update(struct cli *cli, const struct dept_opts *o)
{
    char buf[2048], *materials[64], done[256];
    if (o->n_args != 2)
        return cli_usage_error(cli, "update takes TASK and STATE");
    if (o->kind && strcmp(o->kind, "paper") != 0 && strcmp(o->kind, "e_licence") != 0)
        return cli_usage_error(cli, "--kind is paper or e_licence");
    Bangdai__DeptUpdate u = BANGDAI__DEPT_UPDATE__INIT;
    u.task_id = o->args[0];
    u.state = o->args[1];
    u.dept = (char *)o->dept;
    u.reference = or_empty(o->ref);
    u.result_doc = or_empty(o->doc);
    u.result_kind = (char *)(o->kind ? o->kind : (o->doc ? "paper" : ""));
    u.reason = or_empty(o->reason);
    u.note = or_empty(o->note);
    u.when = or_empty(o->when);
    u.where = or_empty(o->where);
    u.missing = or_empty(o->missing);
    u.accepted_on = or_empty(o->accepted_on);
    if (o->materials) {
        snprintf(buf, sizeof buf, "%s", o->materials);
        u.n_materials = split(buf, materials, 64);
        u.materials = materials;
    }
    snprintf(done, sizeof done, "%s %s", u.task_id, u.state);
    return cli_order(cli, cli->cfg->endpoints.router_dept, MSG_DEPT_UPDATE, u.task_id,
                     &u.base, o->id, done);
}

int dept_pause(struct cli *cli, const struct dept_opts *o, bool resume)
{
    char done[256];
    if (o->n_args != 1)
        return cli_usage_error(cli, "%s takes TASK", resume ? "resume" : "pause");
    if (!resume && (!o->kind || !o->reason))
        return cli_usage_error(cli, "pause needs --kind (expert_review, hearing, inspection or appraisal) "
                               "and --reason");
    Bangdai__DeptUpdate u = BANGDAI__DEPT_UPDATE__INIT;
    u.task_id = o->args[0];
    u.state = (char *)(resume ? "resume" : "pause");
    u.dept = (char *)o->dept;
    u.pause_kind = or_empty(o->kind);
    u.reason = or_empty(o->reason);
    u.note = or_empty(o->note);
    snprintf(done, sizeof done, "%s %s", u.task_id, resume ? "resumed" : "paused");
    return cli_order(cli, cli->cfg->endpoints.router_dept, MSG_DEPT_UPDATE, u.task_id,
                     &u.base, o->id, done);
}

int dept_deliver(struct cli *cli, const struct dept_opts *o)
{
    char done[256];
    if (o->n_args != 1)
        return cli_usage_error(cli, "deliver takes TASK");
    if (!o->method)
        return cli_usage_error(cli, "deliver needs --method in_person, post or e_licence");
    /* The router checks the fields against the method and names the one
     * at fault; the agent sends what it was given. */
    Bangdai__Handover h = BANGDAI__HANDOVER__INIT;
    h.task_id = o->args[0];
    h.dept = (char *)o->dept;
    h.method = (char *)o->method;
    h.at = or_empty(o->at);
    h.receiver = or_empty(o->receiver);
    h.receipt_ref = or_empty(o->receipt);
    h.carrier = or_empty(o->carrier);
    h.tracking_no = or_empty(o->tracking);
    h.address = or_empty(o->address);
    h.licence_id = or_empty(o->licence);
    snprintf(done, sizeof done, "%s handed over (%s)", h.task_id, h.method);
    return cli_order(cli, cli->cfg->endpoints.router_dept, MSG_HANDOVER, h.task_id,
                     &h.base, o->id, done);
}

int dept_fee(struct cli *cli, const struct dept_opts *o)
{
    char done[256];
    if (o->n_args != 1)
        return cli_usage_error(cli, "fee takes TASK");
    Bangdai__Fee f = BANGDAI__FEE__INIT;
    f.task_id = o->args[0];
    f.dept = (char *)o->dept;
    f.amount = or_empty(o->amount);
    f.payee = or_empty(o->payee);
    f.paid_on = or_empty(o->paid_on);
    snprintf(done, sizeof done, "%s fee %s yuan recorded", f.task_id, f.amount);
    return cli_order(cli, cli->cfg->endpoints.router_dept, MSG_FEE, f.task_id,
                     &f.base, o->id, done);
}

int dept_note(struct cli *cli, const struct dept_opts *o)
{
    char buf[1024], *invited[32], done[256];
    if (o->n_args != 2)
        return cli_usage_error(cli, "note takes TASK and KIND");
    Bangdai__DeptNote n = BANGDAI__DEPT_NOTE__INIT;
    n.task_id = o->args[0];
    n.kind = o->args[1];
    n.dept = (char *)o->dept;
    n.question = or_empty(o->question);
    n.answer = or_empty(o->answer);
    n.text = or_empty(o->text);
    n.contact_dept = or_empty(o->contact);
    n.at = or_empty(o->at);
    n.topic = or_empty(o->topic);
    n.decisions = or_empty(o->decisions);
    if (o->invited) {
        snprintf(buf, sizeof buf, "%s", o->invited);
        n.n_invited = split(buf, invited, 32);
        n.invited = invited;
    }
    snprintf(done, sizeof done, "%s %s noted", n.task_id, n.kind);
    return cli_order(cli, cli->cfg->endpoints.router_dept, MSG_DEPT_NOTE, n.task_id,
                     &n.base, o->id, done);
}

int dept_list(struct cli *cli, const struct dept_opts *o)
{
    Bangdai__TaskListRequest r = BANGDAI__TASK_LIST_REQUEST__INIT;
    char *after = o->after ? strdup(o->after) : NULL;
    size_t shown = 0;
    unsigned total = 0;
    char dept[64] = "";
    int rc = 0;
    r.dept = (char *)o->dept;
    r.specialist = (char *)(o->specialist ? o->specialist : "");
    r.limit = o->limit;
    printf("%-30s %-12s %-9s %-10s %-20s %-12s %s\n", "TASK", "KIND", "ITEM", "SPECIALIST", "STATE", "STATUTORY",
           "DUE");
    do {
        Bangdai__TaskListReply *l;
        r.after = after ? after : "";
        rc = cli_request(cli, cli->cfg->endpoints.router_dept, MSG_TASK_LIST, NULL, &r.base, NULL,
                         MSG_TASK_LIST_REPLY, &bangdai__task_list_reply__descriptor, (ProtobufCMessage **)&l);
        if (rc != 0)
            break;
        for (size_t i = 0; i < l->n_tasks; i++) {
            const Bangdai__TaskInfo *t = l->tasks[i];
            char due[64], legal[32], tail[16];
            if (t->statutory_pending_year)
                snprintf(legal, sizeof legal, "pending %d", t->statutory_pending_year);
            else
                snprintf(legal, sizeof legal, "%s", t->statutory_due_date[0] ? t->statutory_due_date : "-");
            printf("%-30s %-12s %-9s %-10s %-20s %-12s %s%s%s%s%s\n", t->task_id, t->kind,
                   t->item_code[0] ? t->item_code : "-", t->specialist, t->state, legal,
                   cli_due_text(t->due_date, t->due_pending_year, due),
                   t->paused_kind[0] ? "  (paused: " : "", t->paused_kind,
                   t->paused_kind[0] ? " since " : "", t->paused_kind[0] ? paused_tail(t->paused_since, tail) : "");
        }
        shown += l->n_tasks;
        total = l->open_total;
        snprintf(dept, sizeof dept, "%s", l->dept);    /* the router's: the key's department */
        free(after);
        after = l->next_after[0] ? strdup(l->next_after) : NULL;
        bangdai__task_list_reply__free_unpacked(l, NULL);
    } while (o->all && after);
    if (rc == 0) {
        printf("%zu shown of %u open task%s of %s\n", shown, total, total == 1 ? "" : "s", dept);
        if (after)
            printf("more: --after '%s'\n", after);
    }
    free(after);
    return rc;
}

/* A rectification id: a positive number; 0 when it is not one. */
static long long rect_id(const char *text)
{
    char *end;
    long long v = strtoll(text, &end, 10);
    return *end || v < 1 ? 0 : v;
}

int dept_rectify(struct cli *cli, const struct dept_opts *o, bool appeal)
{
    Bangdai__RectifyRequest r = BANGDAI__RECTIFY_REQUEST__INIT;
    if (o->n_args != 1 || !(r.rectification_id = rect_id(o->args[0])))
        return cli_usage_error(cli, "%s takes one rectification id", appeal ? "appeal" : "rectify");
    if (appeal) {
        if (!o->reason)
            return cli_usage_error(cli, "appeal needs --reason TEXT");
        r.action = "appeal";
        r.text = (char *)o->reason;
    } else {
        if (!o->done == !o->explain)
            return cli_usage_error(cli, "rectify needs --done TEXT or --explain TEXT");
        r.action = (char *)(o->done ? "done" : "explain");
        r.text = (char *)(o->done ? o->done : o->explain);
    }
    Bangdai__RectifyReply *rep = NULL;
    int rc = cli_request(cli, cli->cfg->endpoints.evaluation, MSG_RECTIFY, NULL, &r.base, o->id, MSG_RECTIFY_REPLY,
                         &bangdai__rectify_reply__descriptor, (ProtobufCMessage **)&rep);
    if (rc != 0)
        return rc;
    printf("rectification %lld %s\n", (long long)r.rectification_id,
           rep->rectification ? rep->rectification->state : "?");
    protobuf_c_message_free_unpacked(&rep->base, NULL);
    return 0;
}
