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

#include "db.h"
#include "log.h"
#include "states.h"
#include "tracker.h"

/* The due dates of a task whose clock starts on `start`, with its ended
 * pauses (tracker_due). A date that needs a year the configuration lacks
 * is pending, never guessed, and the tracker says so once a working day
 * (tracker_tick). Returns 0 or SERVICE_RETRY. */
static int due_from(struct service *svc, const struct cfg_item *item, bd_day start,
                    const char *case_no, const char *task_id, struct tracker_due *due)
{
    if (tracker_due(svc, &service_config(svc)->calendar, task_id, start, item->promised_days,
                    item->statutory_days, due))
        return SERVICE_RETRY;
    int missing = due->pending_year ? due->pending_year : due->statutory_pending_year;
    if (missing)
        log_warn("deadline.pending", .case_no = case_no, .task = task_id,
                 .detail = log_fmt("the %sdeadline needs the %d calendar, which the configuration does not have: "
                                   "due date pending until it is added (bangdaictl calendar apply)",
                                   due->pending_year ? "" : "statutory ", missing));
    return 0;
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
 * as it now is: REPORT_COLUMNS of held's first row from column col on, or,
 * when held is NULL, read. A companion task has no deadline row. */
static int report(struct service *svc, const Bangdai__TaskChanged *tc, bool is_item, const PGresult *held,
                  int col)
{
    const char *p[1] = { tc->task_id };
    PGresult *read = held ? NULL : db_exec(service_db(svc), "tracker.report",
        "SELECT " REPORT_COLUMNS " FROM deadlines d WHERE task_id = $1", 1, p);
    if (!held && !read)
        return SERVICE_RETRY;
    const PGresult *res = held ? held : read;
    if (!held)
        col = 0;
    bool row = PQntuples(res) == 1;
    Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
    pr.task_id = tc->task_id;
    pr.case_no = tc->case_no;
    pr.item_code = tc->item_code;
    pr.dept = tc->dept;
    pr.specialist = tc->specialist;
    pr.state = tc->state;
    pr.sets_due = true;             /* the tracker owns the deadline */
    if (row) {
        pr.due_date = PQgetvalue(res, 0, col);
        pr.due_pending_year = atoi(PQgetvalue(res, 0, col + 1));
        pr.statutory_due_date = PQgetvalue(res, 0, col + 2);
        pr.statutory_pending_year = atoi(PQgetvalue(res, 0, col + 3));
        pr.paused_kind = PQgetvalue(res, 0, col + 4);
        pr.paused_reason = PQgetvalue(res, 0, col + 5);
        pr.paused_since = PQgetvalue(res, 0, col + 6);
        pr.paused_days = atoi(PQgetvalue(res, 0, col + 7));
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

int tracker_task_changed(struct service *svc, const struct service_msg *m)
{
    Bangdai__TaskChanged *tc = service_decode(svc, m, &bangdai__task_changed__descriptor);
    if (!tc)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    const struct cfg_item *item = config_item(service_config(svc), tc->item_code);
    enum task_state st;
    int rc = SERVICE_OK;
    char start[11], days[16], sdays[16], pending[16] = "", spending[16] = "";
    struct tracker_due due = { 0 };
    PGresult *held = NULL;          /* the deadline as written, for report(); NULL: read it */
    int held_col = 0;

    if (!tc->task_id[0] || !tc->case_no[0]) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "task and case are required");
        goto out;
    }
    bool is_item = !tc->kind[0] || strcmp(tc->kind, "item") == 0;
    if (is_item && !item) {
        rc = service_refuse(svc, ERR_INVALID, "item_code", "'%.40s' is not in the catalog", tc->item_code);
        goto out;
    }
    if (task_state_parse(tc->state, &st)) {
        rc = service_refuse(svc, ERR_INVALID, "state", "unknown task state '%.40s'", tc->state);
        goto out;
    }
    bd_day day0 = date_from_unix_us(tc->at_us ? tc->at_us : business_now_us());   /* the clock's day 0 */
    bd_day today = day0;            /* the report's day: a pause's end or start */
    /* The law counts from the day of acceptance (受理), which the specialist
     * reports; a report without it counts from the day it was made. A 帮办
     * item restarts from the day the authority accepted the unit's own
     * filing, reported with SUBMITTED. */
    bool restart = is_item && (st == TASK_ACCEPTED_ONSITE || (st == TASK_SUBMITTED && tc->accepted_on[0]));
    if (restart && tc->accepted_on[0] && date_parse(tc->accepted_on, &day0)) {
        rc = service_refuse(svc, ERR_INVALID, "accepted_on", "'%.20s' is not a date", tc->accepted_on);
        goto out;
    }
    date_format(day0, start);
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)(tc->at_us ? tc->at_us : business_now_us()));
    if (is_item) {
        snprintf(days, sizeof days, "%d", item->promised_days);
        snprintf(sdays, sizeof sdays, "%d", item->statutory_days);
    }

    if (!tc->clock[0] && (st == TASK_ASSIGNED || restart)) {
        /* Coordination and help tasks accompany the case: no limit of their own. */
        if (is_item && due_from(svc, item, day0, tc->case_no, tc->task_id, &due)) {
            rc = SERVICE_RETRY;
            goto out;
        }
        snprintf(pending, sizeof pending, "%d", due.pending_year);
        snprintf(spending, sizeof spending, "%d", due.statutory_pending_year);
        char pdays[16];
        snprintf(pdays, sizeof pdays, "%d", due.paused_days);
        const char *p[17] = { tc->task_id, tc->case_no, is_item ? tc->item_code : NULL, tc->dept, tc->specialist,
                              tc->state, start, is_item ? days : NULL, due.due[0] ? due.due : NULL, due.version,
                              is_item ? "item" : tc->kind, at, due.pending_year ? pending : NULL,
                              is_item ? sdays : NULL, due.statutory_due[0] ? due.statutory_due : NULL,
                              due.statutory_pending_year ? spending : NULL, pdays };
        /* A report in the state the task is already in is a reassignment:
         * a new specialist, the same clock. A move into on-site acceptance
         * starts the clock again from the day of 受理. */
        PGresult *res = db_exec(db, "tracker.clock",
            "INSERT INTO deadlines AS d (task_id, case_no, item_code, dept, specialist, state,"
            " started_on, promised_days, due_on, calendar_version, kind, state_us, pending_year,"
            " statutory_days, statutory_due_on, statutory_pending_year, paused_days)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7::date,$8::int,$9::date,$10,$11,$12::bigint,$13::int,"
            "         $14::int,$15::date,$16::int,$17::int)"
            " ON CONFLICT (task_id) DO UPDATE SET state = $6, specialist = $5, updated_at = now(),"
            "  started_on = CASE WHEN d.state = $6 THEN d.started_on ELSE $7::date END,"
            "  due_on = CASE WHEN d.state = $6 THEN d.due_on ELSE $9::date END,"
            "  calendar_version = CASE WHEN d.state = $6 THEN d.calendar_version ELSE $10 END,"
            "  pending_year = CASE WHEN d.state = $6 THEN d.pending_year ELSE $13::int END,"
            "  statutory_days = coalesce(d.statutory_days, $14::int),"
            "  statutory_due_on = CASE WHEN d.state = $6 THEN d.statutory_due_on ELSE $15::date END,"
            "  statutory_pending_year = CASE WHEN d.state = $6 THEN d.statutory_pending_year ELSE $16::int END,"
            "  paused_days = CASE WHEN d.state = $6 THEN d.paused_days ELSE $17::int END,"
            "  state_us = $12::bigint"
            " WHERE d.state_us <= $12::bigint"
            " RETURNING coalesce(to_char(due_on, 'YYYY-MM-DD'), ''), to_char(started_on, 'YYYY-MM-DD'),"
            "  coalesce(pending_year, 0), coalesce(to_char(statutory_due_on, 'YYYY-MM-DD'), ''),"
            "  coalesce(statutory_pending_year, 0), " REPORT_COLUMNS, 17, p);
        if (!res) {
            rc = SERVICE_RETRY;
            goto out;
        }
        if (PQntuples(res) == 0) {
            PQclear(res);
            rc = stale(svc, tc);
            goto out;
        }
        snprintf(due.due, sizeof due.due, "%s", PQgetvalue(res, 0, 0));
        snprintf(start, sizeof start, "%s", PQgetvalue(res, 0, 1));
        due.pending_year = atoi(PQgetvalue(res, 0, 2));
        snprintf(due.statutory_due, sizeof due.statutory_due, "%s", PQgetvalue(res, 0, 3));
        due.statutory_pending_year = atoi(PQgetvalue(res, 0, 4));
        held = res;
        held_col = 5;
        if (is_item) {
            char when[64], swhen[64];
            if (due.due[0])
                snprintf(when, sizeof when, "due %s", due.due);
            else
                snprintf(when, sizeof when, "due date pending the %d calendar", due.pending_year);
            if (due.statutory_due[0])
                snprintf(swhen, sizeof swhen, "%s", due.statutory_due);
            else
                snprintf(swhen, sizeof swhen, "pending the %d calendar", due.statutory_pending_year);
            log_info("deadline.set", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                     .detail = log_fmt("%s: %d working days from %s, %s; statutory %d, %s", tc->state,
                                       item->promised_days, start, when, item->statutory_days, swhen));
            /* The router keeps the due dates for the department's task list. */
            Bangdai__DueDate dd = BANGDAI__DUE_DATE__INIT;
            dd.task_id = tc->task_id;
            dd.case_no = tc->case_no;
            dd.due_date = due.due;
            dd.calendar_version = (char *)(due.version ? due.version : "");
            dd.pending_year = due.pending_year;
            dd.statutory_due_date = due.statutory_due;
            dd.statutory_pending_year = due.statutory_pending_year;
            if (service_emit_more(svc, "router", MSG_DUE_DATE, tc->case_no, &dd.base)) {
                rc = SERVICE_RETRY;
                goto out;
            }
        }
    } else {
        const char *p[4] = { tc->task_id, tc->state, tc->specialist[0] ? tc->specialist : NULL, at };
        PGresult *res = db_exec(db, "tracker.state",
            "UPDATE deadlines d SET state = $2, specialist = coalesce($3, d.specialist), updated_at = now(),"
            " state_us = $4::bigint FROM (SELECT state FROM deadlines WHERE task_id = $1) o"
            " WHERE d.task_id = $1 AND d.state_us <= $4::bigint RETURNING o.state, " REPORT_COLUMNS, 4, p);
        if (!res) {
            rc = SERVICE_RETRY;
            goto out;
        }
        if (PQntuples(res) == 0) {
            PQclear(res);
            rc = stale(svc, tc);
            goto out;
        }
        /* A report in the state the task is already in (a reassignment)
         * neither stops nor restarts the clock. */
        bool moved = strcmp(PQgetvalue(res, 0, 0), tc->state) != 0;
        held = res;
        held_col = 1;
        if (is_item && (moved || tc->clock[0])) {
            if ((rc = clock_change(svc, tc, item, st, today)) != SERVICE_OK)
                goto out;
            if (clock_touched(tc, st)) {
                /* The pause changed after the update: report it as it is now. */
                PQclear(held);
                held = NULL;
            }
        }
    }

    if ((rc = report(svc, tc, is_item, held, held_col)) != SERVICE_OK)
        goto out;
    if (is_item && (st == TASK_APPROVED || st == TASK_REJECTED)) {
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
         * department and specialist, and opens the return visit only once
         * it knows every item of the case. */
        if (service_emit(svc, "delivery", MSG_TASK_DECIDED, tc->case_no, &td.base, NULL) ||
            service_emit(svc, "evaluation", MSG_TASK_DECIDED, tc->case_no, &td.base, NULL)) {
            rc = SERVICE_RETRY;
            goto out;
        }
        log_info("task.decided", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                 .detail = tc->state);
    }
out:
    PQclear(held);
    protobuf_c_message_free_unpacked(&tc->base, NULL);
    return rc;
}
