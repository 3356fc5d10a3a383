/* tracker_deadline.c - deadlines in working days.
 *
 * The clock starts when the task is assigned and starts again from the day
 * of on-site acceptance (上门受理), which is the 受理 the law counts from
 * (for a 帮办 item: from the day the authority accepted the unit's own
 * filing, reported with SUBMITTED); counting begins the day after. It
 * stands still during 补正 and a department's pauses (tracker_pause.c). The deadline is kept with the version of
 * the calendar it was computed with, because the State Council publishes
 * each year's holidays only the winter before.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "db.h"
#include "log.h"
#include "states.h"
#include "tracker.h"

/* Says once, when a due date of a task needs a year the configuration
 * lacks, that it is pending, never guessed; the tracker says so again once
 * a working day (tracker_tick). */
static void warn_pending(const char *case_no, const char *task_id, const struct tracker_due *due)
{
    int missing = due->pending_year ? due->pending_year : due->statutory_pending_year;
    if (missing)
        log_warn("deadline.pending", .case_no = case_no, .task = task_id,
                 .detail = log_fmt("the %sdeadline needs the %d calendar, which the configuration does not have: "
                                   "due date pending until it is added (bangdaictl calendar apply)",
                                   due->pending_year ? "" : "statutory ", missing));
}

/* What report() tells of a deadline, as columns of a statement's result:
 * the SELECT below, and the RETURNING of the statements that write the
 * deadline, so that a report needs no read of what was just written. */
#define REPORT_COLUMNS \
    "coalesce(to_char(d.due_on, 'YYYY-MM-DD'), ''), coalesce(d.pending_year, 0)," \
    " coalesce(to_char(d.statutory_due_on, 'YYYY-MM-DD'), ''), coalesce(d.statutory_pending_year, 0)," \
    " coalesce(d.paused_kind, ''), coalesce(d.paused_reason, '')," \
    " coalesce(to_char(d.paused_since, 'YYYY-MM-DD'), ''), d.paused_days"

/* Tells intake the task's state with everything the tracker owns of it:
 * both due dates and the pause (Progress with sets_due), from the deadline
 * as it now is: REPORT_COLUMNS of held's row `row` from column col on, or,
 * when held is NULL, read. A companion task has no deadline row. */
static int report(struct service *svc, const Bangdai__TaskChanged *tc, bool is_item, const PGresult *held,
                  int row, int col)
{
    const char *p[1] = { tc->task_id };
    PGresult *read = held ? NULL : db_exec(service_db(svc), "tracker.report",
        "SELECT " REPORT_COLUMNS " FROM deadlines d WHERE task_id = $1", 1, p);
    if (!held && !read)
        return SERVICE_RETRY;
    const PGresult *res = held ? held : read;
    if (!held)
        row = col = 0;
    bool found = PQntuples(res) > row;
    Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
    pr.task_id = tc->task_id;
    pr.case_no = tc->case_no;
    pr.item_code = tc->item_code;
    pr.dept = tc->dept;
    pr.specialist = tc->specialist;
    pr.state = tc->state;
    pr.sets_due = true;             /* the tracker owns the deadline */
    if (found) {
        pr.due_date = PQgetvalue(res, row, col);
        pr.due_pending_year = atoi(PQgetvalue(res, row, col + 1));
        pr.statutory_due_date = PQgetvalue(res, row, col + 2);
        pr.statutory_pending_year = atoi(PQgetvalue(res, row, col + 3));
        pr.paused_kind = PQgetvalue(res, row, col + 4);
        pr.paused_reason = PQgetvalue(res, row, col + 5);
        pr.paused_since = PQgetvalue(res, row, col + 6);
        pr.paused_days = atoi(PQgetvalue(res, row, col + 7));
    }
    pr.result_doc = tc->result_doc;
    pr.at_us = tc->at_us;
    pr.kind = (char *)(is_item ? "item" : tc->kind);
    int rc = service_emit_more(svc, "intake", MSG_PROGRESS, tc->case_no, &pr.base) ? SERVICE_RETRY : SERVICE_OK;
    PQclear(read);
    return rc;
}

/* Whether clock_change may change the deadline for this report: a
 * department's pause or resume, 补正 and its end, a decision. */
static bool clock_touched(const Bangdai__TaskChanged *tc, enum task_state st)
{
    return tc->clock[0] || st == TASK_SUPPLEMENT_REQUESTED || st == TASK_SUPPLEMENT_RECEIVED
           || task_state_final(st);
}

/* What the report does to the clock: stop it (补正, or a department's
 * pause), run it again, or end an open pause with the decision (the
 * reports clock_touched names; nothing for the others). */
static int clock_change(struct service *svc, const Bangdai__TaskChanged *tc, const struct cfg_item *item,
                        enum task_state st, bd_day day)
{
    enum pause_kind kind;
    if (strcmp(tc->clock, "pause") == 0) {
        if (pause_kind_parse(tc->pause_kind, &kind) || kind == PAUSE_SUPPLEMENT)
            return service_refuse(svc, ERR_INVALID, "pause_kind", "'%.40s' is not expert_review, hearing, "
                                  "inspection or appraisal", tc->pause_kind);
        return tracker_pause_start(svc, tc, tc->pause_kind, tc->pause_reason, day,
                                   item ? item->pause_limits[kind] : 0);
    }
    if (strcmp(tc->clock, "resume") == 0)
        return tracker_pause_end(svc, tc, day, false);
    if (tc->clock[0])
        return service_refuse(svc, ERR_INVALID, "clock", "'%.20s' is neither pause nor resume", tc->clock);
    if (st == TASK_SUPPLEMENT_REQUESTED)
        return tracker_pause_start(svc, tc, pause_kind_name(PAUSE_SUPPLEMENT), tc->pause_reason, day, 0);
    if (st == TASK_SUPPLEMENT_RECEIVED)
        return tracker_pause_end(svc, tc, day, false);
    if (task_state_final(st))
        return tracker_pause_end(svc, tc, day, true);
    return SERVICE_OK;
}

/* The report changed nothing: either the tracker holds a newer state of the
 * task (this one is late: acknowledged, and nothing moves backwards), or it
 * has never heard of the task (its assignment has not arrived yet: wait for
 * it). Returns SERVICE_OK, SERVICE_DEFER or SERVICE_RETRY. */
static int stale(struct service *svc, const Bangdai__TaskChanged *tc)
{
    const char *p[1] = { tc->task_id };
    PGresult *res = db_exec(service_db(svc), "tracker.known",
                            "SELECT state FROM deadlines WHERE task_id = $1", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int known = PQntuples(res) == 1;
    if (known)
        log_warn("task.late_report", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                 .detail = log_fmt("%s reported after the newer %s; kept %s", tc->state,
                                   PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 0)));
    PQclear(res);
    if (known)
        return SERVICE_OK;
    return service_defer(svc, ERR_NOT_FOUND, "task_id", "no deadline for task %.96s yet", tc->task_id);
}

/* A TaskChanged part as tracker_task_changed checked it, kept for
 * tracker_flush. */
struct part {
    Bangdai__TaskChanged *tc;       /* owned */
    const struct cfg_item *item;    /* the catalog's; NULL for a companion task */
    bool is_item;
    bool starts;                    /* it starts (or restarts) the clock: an upsert */
    enum task_state st;
    bd_day day0;                    /* the clock's day 0 */
    bd_day today;                   /* the report's day: a pause's end or start */
    char start[11], days[16], sdays[16], at[24];
    struct tracker_due due;         /* when it starts the clock: without ended pauses */
};

/* The parts of the message being applied; the service's state. */
struct parts {
    struct part *p;
    size_t n, cap;
};

static void parts_clear(struct parts *q)
{
    for (size_t i = 0; q && i < q->n; i++)
        protobuf_c_message_free_unpacked(&q->p[i].tc->base, NULL);
    if (q)
        q->n = 0;
}

void tracker_stop(struct service *svc)
{
    struct parts *q = service_state(svc);
    parts_clear(q);
    if (q)
        free(q->p);
    free(q);
    service_set_state(svc, NULL);
}

int tracker_task_changed(struct service *svc, const struct service_msg *m)
{
    Bangdai__TaskChanged *tc = service_decode(svc, m, &bangdai__task_changed__descriptor);
    if (!tc)
        return SERVICE_REFUSE;
    struct part pt = { .tc = tc, .item = config_item(service_config(svc), tc->item_code) };
    int rc;

    if (!tc->task_id[0] || !tc->case_no[0]) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "task and case are required");
        goto refused;
    }
    pt.is_item = !tc->kind[0] || strcmp(tc->kind, "item") == 0;
    if (pt.is_item && !pt.item) {
        rc = service_refuse(svc, ERR_INVALID, "item_code", "'%.40s' is not in the catalog", tc->item_code);
        goto refused;
    }
    if (!pt.is_item)
        pt.item = NULL;
    if (task_state_parse(tc->state, &pt.st)) {
        rc = service_refuse(svc, ERR_INVALID, "state", "unknown task state '%.40s'", tc->state);
        goto refused;
    }
    pt.day0 = date_from_unix_us(tc->at_us ? tc->at_us : business_now_us());
    pt.today = pt.day0;
    /* The law counts from the day of acceptance (受理), which the specialist
     * reports; a report without it counts from the day it was made. A 帮办
     * item restarts from the day the authority accepted the unit's own
     * filing, reported with SUBMITTED. */
    bool restart = pt.is_item && (pt.st == TASK_ACCEPTED_ONSITE || (pt.st == TASK_SUBMITTED && tc->accepted_on[0]));
    if (restart && tc->accepted_on[0] && date_parse(tc->accepted_on, &pt.day0)) {
        rc = service_refuse(svc, ERR_INVALID, "accepted_on", "'%.20s' is not a date", tc->accepted_on);
        goto refused;
    }
    date_format(pt.day0, pt.start);
    snprintf(pt.at, sizeof pt.at, "%lld", (long long)(tc->at_us ? tc->at_us : business_now_us()));
    if (pt.is_item) {
        snprintf(pt.days, sizeof pt.days, "%d", pt.item->promised_days);
        snprintf(pt.sdays, sizeof pt.sdays, "%d", pt.item->statutory_days);
    }
    pt.starts = !tc->clock[0] && (pt.st == TASK_ASSIGNED || restart);
    /* Coordination and help tasks accompany the case: no limit of their
     * own. The ended pauses count only where the deadline has some, which
     * tracker_flush learns from the statement that writes it. */
    if (pt.starts && pt.is_item) {
        tracker_due_count(&service_config(svc)->calendar, pt.day0, pt.item->promised_days,
                          pt.item->statutory_days, 0, &pt.due);
        warn_pending(tc->case_no, tc->task_id, &pt.due);
    }

    struct parts *q = service_state(svc);
    if (!q) {
        if (!(q = calloc(1, sizeof *q)))
            goto retry;
        service_set_state(svc, q);
    }
    void *v = array_grow(q->p, q->n, &q->cap, sizeof *q->p, 8);
    if (!v)
        goto retry;
    q->p = v;
    q->p[q->n++] = pt;
    return SERVICE_OK;
retry:
    rc = SERVICE_RETRY;
refused:
    protobuf_c_message_free_unpacked(&tc->base, NULL);
    return rc;
}

/* What follows a part's write: the report to intake from held's row row
 * (REPORT_COLUMNS from column col; NULL: read), and a decision passed on. */
static int finish(struct service *svc, const struct part *pt, const PGresult *held, int row, int col)
{
    const Bangdai__TaskChanged *tc = pt->tc;
    int rc = report(svc, tc, pt->is_item, held, row, col);
    if (rc != SERVICE_OK || !pt->is_item || (pt->st != TASK_APPROVED && pt->st != TASK_REJECTED))
        return rc;
    Bangdai__TaskDecided td = BANGDAI__TASK_DECIDED__INIT;
    td.task_id = tc->task_id;
    td.case_no = tc->case_no;
    td.item_code = tc->item_code;
    td.dept = tc->dept;
    td.decision = tc->state;
    td.result_doc = tc->result_doc;
    td.result_kind = tc->result_kind;
    td.delivery = tc->delivery;
    td.case_task_count = tc->case_task_count;
    td.reason = tc->reason;
    td.at_us = tc->at_us;
    td.specialist = tc->specialist;
    /* Evaluation gets the same: it attributes ratings to the item's
     * department and specialist, and opens the return visit only once it
     * knows every item of the case. */
    if (service_emit(svc, "delivery", MSG_TASK_DECIDED, tc->case_no, &td.base, NULL) ||
        service_emit(svc, "evaluation", MSG_TASK_DECIDED, tc->case_no, &td.base, NULL))
        return SERVICE_RETRY;
    log_info("task.decided", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept, .detail = tc->state);
    return SERVICE_OK;
}

/* A task whose clock starts again with ended pauses behind it (a restart
 * after a pause): its due dates count them, as tracker_due reads them. The
 * deadline is then read again for the report. Returns 0 or SERVICE_RETRY. */
static int count_pauses(struct service *svc, struct part *pt)
{
    if (tracker_due(svc, &service_config(svc)->calendar, pt->tc->task_id, pt->day0, pt->item->promised_days,
                    pt->item->statutory_days, &pt->due))
        return SERVICE_RETRY;
    warn_pending(pt->tc->case_no, pt->tc->task_id, &pt->due);
    char pend[16], spend[16], paused[16];
    snprintf(pend, sizeof pend, "%d", pt->due.pending_year);
    snprintf(spend, sizeof spend, "%d", pt->due.statutory_pending_year);
    snprintf(paused, sizeof paused, "%d", pt->due.paused_days);
    const struct tracker_due *d = &pt->due;
    const char *p[7] = { pt->tc->task_id, d->due[0] ? d->due : NULL, d->version, d->pending_year ? pend : NULL,
                         d->statutory_due[0] ? d->statutory_due : NULL, d->statutory_pending_year ? spend : NULL,
                         paused };
    return db_run(service_db(svc), "tracker.clock_paused",
                  "UPDATE deadlines SET due_on = $2::date, calendar_version = $3, pending_year = $4::int,"
                  " statutory_due_on = $5::date, statutory_pending_year = $6::int, paused_days = $7::int"
                  " WHERE task_id = $1", 7, p) ? SERVICE_RETRY : SERVICE_OK;
}

/* Parts that start (or restart) the clock, of n distinct tasks, in one
 * statement: a new deadline, or the clock started again from the day of
 * 受理. A report in the state the task is already in is a reassignment: a
 * new specialist, the same clock. Then, per part in order: the due dates
 * logged and sent to the router (DueDate), and the report. */
static int clock_run(struct service *svc, struct part *pt, size_t n)
{
    enum { TASK, CASE, ITEM, DEPT, SPEC, STATE, START, DAYS, DUE, VERSION, KIND, AT, PENDING, SDAYS, SDUE,
           SPENDING, PAUSED, N_COLS };
    const char **col = calloc(n * N_COLS, sizeof *col);
    char (*num)[16] = calloc(n * 3, sizeof *num), *arr[N_COLS] = { 0 };
    int *row = NULL, rc = SERVICE_RETRY;
    PGresult *res = NULL;
    if (!col || !num)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const Bangdai__TaskChanged *tc = pt[i].tc;
        const struct tracker_due *d = &pt[i].due;
        snprintf(num[3 * i], sizeof num[0], "%d", d->pending_year);
        snprintf(num[3 * i + 1], sizeof num[0], "%d", d->statutory_pending_year);
        snprintf(num[3 * i + 2], sizeof num[0], "%d", d->paused_days);
        bool it = pt[i].is_item;
        const char *v[N_COLS] = { tc->task_id, tc->case_no, it ? tc->item_code : NULL, tc->dept, tc->specialist,
                                  tc->state, pt[i].start, it ? pt[i].days : NULL, d->due[0] ? d->due : NULL,
                                  d->version, it ? "item" : tc->kind, pt[i].at,
                                  d->pending_year ? num[3 * i] : NULL, it ? pt[i].sdays : NULL,
                                  d->statutory_due[0] ? d->statutory_due : NULL,
                                  d->statutory_pending_year ? num[3 * i + 1] : NULL, num[3 * i + 2] };
        for (int c = 0; c < N_COLS; c++)
            col[(size_t)c * n + i] = v[c];
    }
    if (db_text_arrays(col, n, N_COLS, arr))
        goto out;
    /* o: the deadline as it was, and whether its clock starts again with
     * ended pauses behind it (a task just assigned has no deadline yet, a
     * reassignment keeps its clock: neither looks); w: as written. A deadline holding a
     * newer state is not written (no row: stale). */
    res = db_exec(service_db(svc), "tracker.clock_many",
        "WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
        "                                $6::text[], $7::date[], $8::int[], $9::date[], $10::text[],"
        "                                $11::text[], $12::bigint[], $13::int[], $14::int[], $15::date[],"
        "                                $16::int[], $17::int[])"
        "           WITH ORDINALITY AS v(task_id, case_no, item_code, dept, specialist, state, started_on,"
        "                                promised_days, due_on, calendar_version, kind, state_us, pending_year,"
        "                                statutory_days, statutory_due_on, statutory_pending_year,"
        "                                paused_days, n)),"
        " o AS (SELECT d.task_id, d.state,"
        "              d.state <> v.state AND EXISTS (SELECT 1 FROM pauses p"
        "                                              WHERE p.task_id = d.task_id AND p.to_day IS NOT NULL) AS paused"
        "       FROM deadlines d JOIN v USING (task_id)),"
        " w(task_id, due, started, pending, sdue, spending, r1, r2, r3, r4, r5, r6, r7, r8) AS ("
        "  INSERT INTO deadlines AS d (task_id, case_no, item_code, dept, specialist, state,"
        "   started_on, promised_days, due_on, calendar_version, kind, state_us, pending_year,"
        "   statutory_days, statutory_due_on, statutory_pending_year, paused_days)"
        "  SELECT task_id, case_no, item_code, dept, specialist, state, started_on, promised_days, due_on,"
        "   calendar_version, kind, state_us, pending_year, statutory_days, statutory_due_on,"
        "   statutory_pending_year, paused_days FROM v"
        "  ON CONFLICT (task_id) DO UPDATE SET state = excluded.state, specialist = excluded.specialist,"
        "   updated_at = now(),"
        "   started_on = CASE WHEN d.state = excluded.state THEN d.started_on ELSE excluded.started_on END,"
        "   due_on = CASE WHEN d.state = excluded.state THEN d.due_on ELSE excluded.due_on END,"
        "   calendar_version = CASE WHEN d.state = excluded.state THEN d.calendar_version"
        "                      ELSE excluded.calendar_version END,"
        "   pending_year = CASE WHEN d.state = excluded.state THEN d.pending_year ELSE excluded.pending_year END,"
        "   statutory_days = coalesce(d.statutory_days, excluded.statutory_days),"
        "   statutory_due_on = CASE WHEN d.state = excluded.state THEN d.statutory_due_on"
        "                      ELSE excluded.statutory_due_on END,"
        "   statutory_pending_year = CASE WHEN d.state = excluded.state THEN d.statutory_pending_year"
        "                            ELSE excluded.statutory_pending_year END,"
        "   paused_days = CASE WHEN d.state = excluded.state THEN d.paused_days ELSE excluded.paused_days END,"
        "   state_us = excluded.state_us"
        "  WHERE d.state_us <= excluded.state_us"
        "  RETURNING d.task_id, coalesce(to_char(due_on, 'YYYY-MM-DD'), ''), to_char(started_on, 'YYYY-MM-DD'),"
        "   coalesce(pending_year, 0), coalesce(to_char(statutory_due_on, 'YYYY-MM-DD'), ''),"
        "   coalesce(statutory_pending_year, 0), " REPORT_COLUMNS ")"
        " SELECT v.n, coalesce(o.state, ''), coalesce(o.paused, false), w.due, w.started, w.pending, w.sdue,"
        "  w.spending, w.r1, w.r2, w.r3, w.r4, w.r5, w.r6, w.r7, w.r8"
        " FROM v JOIN w USING (task_id) LEFT JOIN o USING (task_id)", N_COLS, (const char *const *)arr);
    if (!res || !(row = db_rows_by_ordinal(res, n)))
        goto out;
    rc = SERVICE_OK;
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++) {
        const Bangdai__TaskChanged *tc = pt[i].tc;
        int r = row[i];
        if (r < 0) {
            rc = stale(svc, tc);
            continue;
        }
        const PGresult *held = res;
        struct tracker_due *due = &pt[i].due;
        char start[11];
        bool moved = strcmp(PQgetvalue(res, r, 1), tc->state) != 0;
        if (pt[i].is_item && moved && strcmp(PQgetvalue(res, r, 2), "t") == 0) {
            if ((rc = count_pauses(svc, &pt[i])) != SERVICE_OK)
                break;
            snprintf(start, sizeof start, "%s", pt[i].start);
            held = NULL;
        } else {
            const char *version = due->version;
            snprintf(due->due, sizeof due->due, "%s", PQgetvalue(res, r, 3));
            snprintf(start, sizeof start, "%s", PQgetvalue(res, r, 4));
            due->pending_year = atoi(PQgetvalue(res, r, 5));
            snprintf(due->statutory_due, sizeof due->statutory_due, "%s", PQgetvalue(res, r, 6));
            due->statutory_pending_year = atoi(PQgetvalue(res, r, 7));
            due->version = version;
        }
        if (pt[i].is_item) {
            const struct cfg_item *item = pt[i].item;
            char when[64], swhen[64];
            if (due->due[0])
                snprintf(when, sizeof when, "due %s", due->due);
            else
                snprintf(when, sizeof when, "due date pending the %d calendar", due->pending_year);
            if (due->statutory_due[0])
                snprintf(swhen, sizeof swhen, "%s", due->statutory_due);
            else
                snprintf(swhen, sizeof swhen, "pending the %d calendar", due->statutory_pending_year);
            log_info("deadline.set", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                     .detail = log_fmt("%s: %d working days from %s, %s; statutory %d, %s", tc->state,
                                       item->promised_days, start, when, item->statutory_days, swhen));
            /* The router keeps the due dates for the department's task list. */
            Bangdai__DueDate dd = BANGDAI__DUE_DATE__INIT;
            dd.task_id = tc->task_id;
            dd.case_no = tc->case_no;
            dd.due_date = due->due;
            dd.calendar_version = (char *)(due->version ? due->version : "");
            dd.pending_year = due->pending_year;
            dd.statutory_due_date = due->statutory_due;
            dd.statutory_pending_year = due->statutory_pending_year;
            if (service_emit_more(svc, "router", MSG_DUE_DATE, tc->case_no, &dd.base)) {
                rc = SERVICE_RETRY;
                break;
            }
        }
        rc = finish(svc, &pt[i], held, r, 8);
    }
out:
    PQclear(res);
    db_arrays_free(arr, N_COLS);
    free(col);
    free(num);
    free(row);
    return rc;
}

/* Parts that move the task (or pause or resume its clock), of n distinct
 * tasks, in one statement; a deadline holding a newer state is not
 * written (no row: stale). Then, per part in order: what the move does to
 * the clock (clock_change), the report, a decision passed on. */
static int state_run(struct service *svc, struct part *pt, size_t n)
{
    enum { TASK, STATE, SPEC, AT, N_COLS };
    const char **col = calloc(n * N_COLS, sizeof *col);
    char *arr[N_COLS] = { 0 };
    int *row = NULL, rc = SERVICE_RETRY;
    PGresult *res = NULL;
    if (!col)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const Bangdai__TaskChanged *tc = pt[i].tc;
        const char *v[N_COLS] = { tc->task_id, tc->state, tc->specialist[0] ? tc->specialist : NULL, pt[i].at };
        for (int c = 0; c < N_COLS; c++)
            col[(size_t)c * n + i] = v[c];
    }
    if (db_text_arrays(col, n, N_COLS, arr))
        goto out;
    /* o: the deadline as it was (the state moved from). */
    res = db_exec(service_db(svc), "tracker.state_many",
        "UPDATE deadlines d SET state = v.state, specialist = coalesce(v.specialist, d.specialist),"
        " updated_at = now(), state_us = v.state_us"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])"
        "        WITH ORDINALITY AS v(task_id, state, specialist, state_us, n)"
        "      JOIN deadlines o ON o.task_id = v.task_id"
        " WHERE d.task_id = v.task_id AND d.state_us <= v.state_us"
        " RETURNING v.n, o.state, " REPORT_COLUMNS, N_COLS, (const char *const *)arr);
    if (!res || !(row = db_rows_by_ordinal(res, n)))
        goto out;
    rc = SERVICE_OK;
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++) {
        const Bangdai__TaskChanged *tc = pt[i].tc;
        int r = row[i];
        if (r < 0) {
            rc = stale(svc, tc);
            continue;
        }
        /* A report in the state the task is already in (a reassignment)
         * neither stops nor restarts the clock. */
        bool moved = strcmp(PQgetvalue(res, r, 1), tc->state) != 0;
        const PGresult *held = res;
        if (pt[i].is_item && (moved || tc->clock[0])) {
            if ((rc = clock_change(svc, tc, pt[i].item, pt[i].st, pt[i].today)) != SERVICE_OK)
                break;
            if (clock_touched(tc, pt[i].st))
                held = NULL;    /* the pause changed after the update: report it as it is now */
        }
        rc = finish(svc, &pt[i], held, r, 2);
    }
out:
    PQclear(res);
    db_arrays_free(arr, N_COLS);
    free(col);
    free(row);
    return rc;
}

int tracker_flush(struct service *svc, int rc)
{
    struct parts *q = service_state(svc);
    if (!q || q->n == 0)
        return rc;
    /* Runs of parts of one kind, each task once: one statement cannot
     * write a row twice, and a task's second report must see its first. */
    for (size_t i = 0, j; rc == SERVICE_OK && i < q->n; i = j) {
        for (j = i + 1; j < q->n && q->p[j].starts == q->p[i].starts; j++) {
            bool again = false;
            for (size_t k = i; k < j && !again; k++)
                again = strcmp(q->p[k].tc->task_id, q->p[j].tc->task_id) == 0;
            if (again)
                break;
        }
        rc = q->p[i].starts ? clock_run(svc, q->p + i, j - i) : state_run(svc, q->p + i, j - i);
    }
    parts_clear(q);
    return rc;
}
