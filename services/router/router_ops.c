/* router_ops.c - what hall management, intake and the tracker ask of the
 * router besides new cases: reassignment, specialists' leave, withdrawal
 * and due dates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "db.h"
#include "log.h"
#include "router.h"
#include "validate.h"

static const char *actor_of(const struct service_msg *m, const char *fallback)
{
    return m->peer ? m->peer->name : fallback;
}

int router_reassign(struct service *svc, const struct service_msg *m)
{
    Bangdai__Reassign *r = service_decode(svc, m, &bangdai__reassign__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    const struct config *cfg = service_config(svc);
    const struct cfg_department *to_dept = NULL;
    const struct cfg_specialist *to = config_specialist(cfg, r->to_specialist, &to_dept);
    const char *actor = actor_of(m, "ctl");
    PGresult *t = NULL;
    int rc = SERVICE_OK;
    enum task_state st;

    if (validate_text(r->reason, 500)) {
        rc = service_refuse(svc, ERR_INVALID, "reason", "a reason is required (at most 500 bytes)");
        goto out;
    }
    if (!to) {
        rc = service_refuse(svc, ERR_INVALID, "to_specialist", "'%.40s' is not a specialist of the roster", r->to_specialist);
        goto out;
    }
    const char *p[1] = { r->task_id };
    t = db_exec(service_db(svc), "router.reassign_task",
                "SELECT t.case_no, t.dept, t.specialist_id, t.state, c.lead_specialist,"
                " (SELECT count(*) FROM tasks o WHERE o.case_no = t.case_no AND o.specialist_id = t.specialist_id"
                "   AND o.task_id <> t.task_id AND o.state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED'))"
                " FROM tasks t JOIN cases c USING (case_no) WHERE t.task_id = $1 FOR UPDATE OF t", 1, p);
    if (!t) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(t) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", r->task_id);
        goto out;
    }
    char case_no[96], dept[32], from[64];
    snprintf(case_no, sizeof case_no, "%s", PQgetvalue(t, 0, 0));
    snprintf(dept, sizeof dept, "%s", PQgetvalue(t, 0, 1));
    snprintf(from, sizeof from, "%s", PQgetvalue(t, 0, 2));
    if (task_state_parse(PQgetvalue(t, 0, 3), &st) == 0 && task_state_final(st)) {
        rc = service_refuse(svc, ERR_CONFLICT, "task_id", "task %s is %s: nothing left to reassign",
                            r->task_id, PQgetvalue(t, 0, 3));
        goto out;
    }
    if (strcmp(to_dept->code, dept) != 0) {
        rc = service_refuse(svc, ERR_INVALID, "to_specialist", "%s is a specialist of %s, task %s belongs to %s",
                            to->id, to_dept->code, r->task_id, dept);
        goto out;
    }
    if (strcmp(to->id, from) == 0) {
        rc = service_refuse(svc, ERR_CONFLICT, "to_specialist", "task %s is already %s's", r->task_id, to->id);
        goto out;
    }
    bool lead_moves = strcmp(PQgetvalue(t, 0, 4), from) == 0 && atoi(PQgetvalue(t, 0, 5)) == 0;
    const char *u[5] = { r->task_id, to->id, actor, r->reason, from };
    if (db_run(service_db(svc), "router.reassign",
               "UPDATE tasks SET specialist_id = $2, updated_at = now() WHERE task_id = $1", 2, u) ||
        db_run(service_db(svc), "router.reassign_history",
               "INSERT INTO task_history (task_id, from_state, to_state, actor, detail, event, payload)"
               " SELECT task_id, state, state, $3, $4, 'reassign',"
               " json_build_object('from', $5::text, 'to', $2::text) FROM tasks WHERE task_id = $1", 5, u)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (lead_moves) {
        const char *l[2] = { case_no, to->id };
        if (db_run(service_db(svc), "router.lead_moves",
                   "UPDATE cases SET lead_specialist = $2 WHERE case_no = $1", 2, l)) {
            rc = SERVICE_RETRY;
            goto out;
        }
    }
    log_info("task.reassigned", .case_no = case_no, .task = r->task_id, .dept = dept,
             .detail = log_fmt("%s -> %s by %s: %s", from, to->id, actor, r->reason));
    /* The new specialist's agent receives the task, the old one is told. */
    if ((rc = router_send_task(svc, r->task_id, from, r->reason)) ||
        (rc = router_notice(svc, r->task_id, case_no, dept, "reassigned_away", from,
                            log_fmt("reassigned to %s: %s", to->id, r->reason))))
        goto out;
    /* The tracker and the hall learn the new specialist (same state). */
    rc = router_tell_tracker(svc, r->task_id);
    if (rc == SERVICE_OK)
        rc = router_case_event(svc, case_no, r->task_id, dept, "reassigned",
                               log_fmt("%s 改由 %s %s 负责: %s", r->task_id, to->id, to->name, r->reason), NULL);
    if (rc == SERVICE_OK && lead_moves)
        rc = router_case_event(svc, case_no, NULL, dept, "lead",
                               log_fmt("主办专员 %s %s (%s)", to->id, to->name, to_dept->name), to->id);
out:
    PQclear(t);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int router_specialist_away(struct service *svc, const struct service_msg *m)
{
    Bangdai__SpecialistAway *a = service_decode(svc, m, &bangdai__specialist_away__descriptor);
    if (!a)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    bd_day from, to;
    if (!config_specialist(service_config(svc), a->specialist_id, NULL))
        rc = service_refuse(svc, ERR_INVALID, "specialist_id", "'%.40s' is not a specialist of the roster", a->specialist_id);
    else if (date_parse(a->from, &from))
        rc = service_refuse(svc, ERR_INVALID, "from", "'%.20s' is not a date YYYY-MM-DD", a->from);
    else if (date_parse(a->to, &to))
        rc = service_refuse(svc, ERR_INVALID, "to", "'%.20s' is not a date YYYY-MM-DD", a->to);
    else if (to < from)
        rc = service_refuse(svc, ERR_INVALID, "to", "%s is before %s", a->to, a->from);
    else if (a->reason[0] && validate_text(a->reason, 500))
        rc = service_refuse(svc, ERR_INVALID, "reason", "at most 500 bytes of text");
    if (rc != SERVICE_OK)
        goto out;
    const char *p[5] = { a->specialist_id, a->from, a->to, a->reason[0] ? a->reason : NULL, actor_of(m, "ctl") };
    if (db_run(service_db(svc), "router.away_insert",
               "INSERT INTO specialist_away (specialist_id, from_day, to_day, reason, set_by)"
               " VALUES ($1, $2::date, $3::date, $4, $5)", 5, p)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info("specialist.away", .detail = log_fmt("%s away %s..%s, set by %s", a->specialist_id, a->from, a->to, p[4]));
out:
    protobuf_c_message_free_unpacked(&a->base, NULL);
    return rc;
}

int router_case_withdrawn(struct service *svc, const struct service_msg *m)
{
    Bangdai__CaseWithdrawn *w = service_decode(svc, m, &bangdai__case_withdrawn__descriptor);
    if (!w)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    const char *p[2] = { w->case_no, w->reason[0] ? w->reason : NULL };
    PGresult *res = db_exec(service_db(svc), "router.withdraw_case",
        "UPDATE cases SET withdrawn_at = now(), withdraw_reason = $2 WHERE case_no = $1 RETURNING 1", 2, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    int known = PQntuples(res) == 1;
    PQclear(res);
    if (!known) {
        /* Its CaseOpened has not been applied yet: wait for it. */
        rc = service_defer(svc, ERR_NOT_FOUND, "case_no", "no case %.64s yet", w->case_no);
        goto out;
    }
    res = db_exec(service_db(svc), "router.withdraw_tasks",
        "SELECT task_id, dept, specialist_id FROM tasks WHERE case_no = $1"
        " AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED') ORDER BY task_id", 1, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    Bangdai__DeptUpdate why = BANGDAI__DEPT_UPDATE__INIT;
    why.reason = w->reason[0] ? w->reason : "withdrawn by the unit";
    for (int i = 0; i < PQntuples(res) && rc == SERVICE_OK; i++) {
        const char *task = PQgetvalue(res, i, 0);
        rc = router_move(svc, task, "CANCELLED", "hall", &why);
        if (rc == SERVICE_OK)
            rc = router_notice(svc, task, w->case_no, PQgetvalue(res, i, 1), "cancelled",
                               PQgetvalue(res, i, 2), log_fmt("the unit withdrew the case: %s", why.reason));
    }
    if (rc == SERVICE_OK)
        log_info("case.withdrawn", .case_no = w->case_no, .detail = log_fmt("%d open tasks cancelled", PQntuples(res)));
    PQclear(res);
out:
    protobuf_c_message_free_unpacked(&w->base, NULL);
    return rc;
}

/* The DueDate parts of the message being applied, checked by
 * router_due_date and kept until router_due_flush: one daemon, one loop,
 * one message at a time. */
static struct {
    Bangdai__DueDate **d;       /* owned */
    size_t n, cap;
} dues;

static void dues_clear(void)
{
    for (size_t i = 0; i < dues.n; i++)
        protobuf_c_message_free_unpacked(&dues.d[i]->base, NULL);
    dues.n = 0;
}

void router_due_free(void)
{
    dues_clear();
    free(dues.d);
    dues.d = NULL;
    dues.cap = 0;
}

int router_due_date(struct service *svc, const struct service_msg *m)
{
    Bangdai__DueDate *d = service_decode(svc, m, &bangdai__due_date__descriptor);
    if (!d)
        return SERVICE_REFUSE;
    bd_day day;
    int rc = SERVICE_OK;
    if (d->due_date[0] && date_parse(d->due_date, &day)) {
        rc = service_refuse(svc, ERR_INVALID, "due_date", "'%.20s' is not a date", d->due_date);
    } else if (d->statutory_due_date[0] && date_parse(d->statutory_due_date, &day)) {
        rc = service_refuse(svc, ERR_INVALID, "statutory_due_date", "'%.20s' is not a date", d->statutory_due_date);
    } else if (d->statutory_pending_year
               && (d->statutory_due_date[0] || d->statutory_pending_year < 1970 || d->statutory_pending_year > 9999)) {
        rc = service_refuse(svc, ERR_INVALID, "statutory_pending_year", "%d is not a year a due date can wait for",
                            d->statutory_pending_year);
    } else if (d->pending_year && (d->due_date[0] || d->pending_year < 1970 || d->pending_year > 9999)) {
        rc = service_refuse(svc, ERR_INVALID, "pending_year", "%d is not a year a due date can wait for%s",
                            d->pending_year, d->due_date[0] ? " (there is a due date)" : "");
    } else {
        void *v = array_grow(dues.d, dues.n, &dues.cap, sizeof *dues.d, 8);
        if (!v) {
            rc = SERVICE_RETRY;
        } else {
            dues.d = v;
            dues.d[dues.n++] = d;
            return SERVICE_OK;
        }
    }
    protobuf_c_message_free_unpacked(&d->base, NULL);
    return rc;
}

/* The n DueDate parts at d, of distinct tasks, in one statement; then, in
 * their order, the specialist told of each that a revised calendar moved. */
static int due_run(struct service *svc, Bangdai__DueDate **d, size_t n)
{
    enum { TASK, DUE, PENDING, SDUE, SPENDING, N_COLS };
    const char **col = calloc(n * N_COLS, sizeof *col);
    char (*num)[16] = calloc(n * 2, sizeof *num), *arr[N_COLS] = { 0 };
    int rc = SERVICE_RETRY, *row = NULL;
    PGresult *res = NULL;
    if (!col || !num)
        goto out;
    for (size_t i = 0; i < n; i++) {
        snprintf(num[2 * i], sizeof num[0], "%d", d[i]->pending_year);
        snprintf(num[2 * i + 1], sizeof num[0], "%d", d[i]->statutory_pending_year);
        const char *v[N_COLS] = { d[i]->task_id, d[i]->due_date[0] ? d[i]->due_date : NULL,
                                  d[i]->pending_year ? num[2 * i] : NULL,
                                  d[i]->statutory_due_date[0] ? d[i]->statutory_due_date : NULL,
                                  d[i]->statutory_pending_year ? num[2 * i + 1] : NULL };
        for (int c = 0; c < N_COLS; c++)
            col[(size_t)c * n + i] = v[c];
    }
    if (db_text_arrays(col, n, N_COLS, arr))
        goto out;
    res = db_exec(service_db(svc), "router.due_many",
        "UPDATE tasks t SET due_on = v.due_on, due_pending_year = v.pending_year,"
        " statutory_due_on = v.statutory_due_on, statutory_pending_year = v.statutory_pending_year"
        " FROM unnest($1::text[], $2::date[], $3::int[], $4::date[], $5::int[])"
        "        WITH ORDINALITY AS v(task_id, due_on, pending_year, statutory_due_on, statutory_pending_year, n)"
        " WHERE t.task_id = v.task_id RETURNING v.n, t.dept, t.specialist_id", N_COLS,
        (const char *const *)arr);
    if (!res || !(row = db_rows_by_ordinal(res, n)))
        goto out;
    rc = SERVICE_OK;
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++) {
        /* A revised calendar moved it: the specialist is told. */
        if (!d[i]->moved_from[0] || row[i] < 0)
            continue;
        char now[64];
        if (d[i]->pending_year)
            snprintf(now, sizeof now, "pending the %d calendar", d[i]->pending_year);
        else
            snprintf(now, sizeof now, "%s", d[i]->due_date);
        rc = router_notice(svc, d[i]->task_id, d[i]->case_no, PQgetvalue(res, row[i], 1), "due_moved",
                           PQgetvalue(res, row[i], 2),
                           log_fmt("the calendar was revised (%s): due date %s, was %s",
                                   d[i]->calendar_version[0] ? d[i]->calendar_version : "a year removed",
                                   now, d[i]->moved_from));
    }
out:
    PQclear(res);
    db_arrays_free(arr, N_COLS);
    free(col);
    free(num);
    free(row);
    return rc;
}

int router_due_flush(struct service *svc, int rc)
{
    /* Runs of distinct tasks: one statement writes a row once, and a
     * task's later due date must win over its earlier one. */
    for (size_t i = 0, j; rc == SERVICE_OK && i < dues.n; i = j) {
        for (j = i + 1; j < dues.n; j++) {
            bool again = false;
            for (size_t k = i; k < j && !again; k++)
                again = strcmp(dues.d[k]->task_id, dues.d[j]->task_id) == 0;
            if (again)
                break;
        }
        rc = due_run(svc, dues.d + i, j - i);
    }
    dues_clear();
    return rc;
}

int router_reminder(struct service *svc, const struct service_msg *m)
{
    Bangdai__Reminder *r = service_decode(svc, m, &bangdai__reminder__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    int rc;
    const char *p[1] = { r->task_id };
    /* The task's department and specialist as the router has them now (a
     * reassignment may have overtaken the tracker's). */
    PGresult *res = db_exec(service_db(svc), "router.reminder_task",
                            "SELECT dept, specialist_id FROM tasks WHERE task_id = $1", 1, p);
    if (!res)
        rc = SERVICE_RETRY;
    else if (PQntuples(res) == 0)
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", r->task_id);
    else if (!r->kind[0] || !r->text[0])
        rc = service_refuse(svc, ERR_INVALID, "kind", "a reminder needs a kind and a text");
    else {
        bool escalation = strcmp(r->kind, "escalation") == 0;
        char kind[64], told[512];
        snprintf(kind, sizeof kind, "%s%s%s", r->kind, escalation ? ":" : "", escalation ? r->level : "");
        rc = router_notice(svc, r->task_id, r->case_no, PQgetvalue(res, 0, 0), kind, PQgetvalue(res, 0, 1),
                           r->text);
        /* The unit sees that its matter is being chased, and by whom. */
        if (strcmp(r->kind, "handover") == 0)
            snprintf(told, sizeof told, "催办: the result is not handed over within 行政许可法 §44's limit (due %s); "
                     "the department was reminded", r->due_date);
        else if (escalation)
            snprintf(told, sizeof told, "督办: %d working days overdue (due %s), raised to %s", r->overdue_days,
                     r->due_date, r->holder);
        else if (r->overdue_days)
            snprintf(told, sizeof told, "催办: the department was reminded, %d working days overdue (due %s)",
                     r->overdue_days, r->due_date);
        else
            snprintf(told, sizeof told, "催办: the department was reminded, due %s", r->due_date);
        if (rc == SERVICE_OK)
            rc = router_case_event(svc, r->case_no, r->task_id, PQgetvalue(res, 0, 0), "reminder", told, NULL);
    }
    PQclear(res);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int router_rectify_notice(struct service *svc, const struct service_msg *m)
{
    Bangdai__RectifyNotice *n = service_decode(svc, m, &bangdai__rectify_notice__descriptor);
    if (!n)
        return SERVICE_REFUSE;
    int rc;
    char kind[64];
    if (!config_dept(service_config(svc), n->dept))
        rc = service_refuse(svc, ERR_NOT_FOUND, "dept", "no department '%.40s'", n->dept);
    else if (!n->kind[0] || !n->text[0] || n->rectification_id < 1)
        rc = service_refuse(svc, ERR_INVALID, "kind", "a rectification notice needs its id, a kind and a text");
    else {
        /* The agent files it under the item's task when there is one. */
        snprintf(kind, sizeof kind, "rectify:%.20s%s%.20s", n->kind, n->level[0] ? ":" : "", n->level);
        rc = router_notice(svc, n->task_id, n->case_no, n->dept, kind, n->specialist, n->text);
        if (rc == SERVICE_OK)
            log_info("rectify.notice", .case_no = n->case_no, .task = n->task_id, .dept = n->dept,
                     .detail = log_fmt("rectification %lld: %s", (long long)n->rectification_id, kind));
    }
    protobuf_c_message_free_unpacked(&n->base, NULL);
    return rc;
}
