/* tracker_deadline.c - deadlines in working days.
 *
 * The clock starts when the task is assigned and starts again from the day
 * of on-site acceptance (上门受理), which is the 受理 the law counts from;
 * counting begins the day after. The deadline is kept with the version of
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

/* Computes the due date of item from day `start` into due. Returns 0, or
 * the year whose calendar the deadline needs and the configuration lacks:
 * the due date is then pending (due ""), never guessed, and the tracker
 * says so once a working day (tracker_pending_warn). */
static int due_from(struct service *svc, const struct cfg_item *item, bd_day start,
                    const char *case_no, const char *task_id, char due[11], const char **version)
{
    bd_day d;
    int missing = 0;
    due[0] = 0;
    *version = NULL;
    if (calendar_add_workdays(&service_config(svc)->calendar, start, item->promised_days, &d, version,
                              &missing) == 0) {
        date_format(d, due);
        return 0;
    }
    log_warn("deadline.pending", .case_no = case_no, .task = task_id,
             .detail = log_fmt("the deadline needs the %d calendar, which the configuration does not have: "
                               "due date pending until it is added (bangdaictl calendar apply)", missing));
    return missing;
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
    char due[11] = "", start[11], days[16], pending[16] = "";
    const char *version = NULL;
    int pending_year = 0;

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
    /* The law counts from the day of acceptance (受理), which the specialist
     * reports; a report without it counts from the day it was made. */
    if (st == TASK_ACCEPTED_ONSITE && tc->accepted_on[0] && date_parse(tc->accepted_on, &day0)) {
        rc = service_refuse(svc, ERR_INVALID, "accepted_on", "'%.20s' is not a date", tc->accepted_on);
        goto out;
    }
    date_format(day0, start);
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)(tc->at_us ? tc->at_us : business_now_us()));
    if (is_item)
        snprintf(days, sizeof days, "%d", item->promised_days);

    if (st == TASK_ASSIGNED || (is_item && st == TASK_ACCEPTED_ONSITE)) {
        /* Coordination and help tasks accompany the case: no limit of their own. */
        if (is_item && (pending_year = due_from(svc, item, day0, tc->case_no, tc->task_id, due, &version)))
            snprintf(pending, sizeof pending, "%d", pending_year);
        const char *p[13] = { tc->task_id, tc->case_no, is_item ? tc->item_code : NULL, tc->dept, tc->specialist,
                              tc->state, start, is_item ? days : NULL, due[0] ? due : NULL, version,
                              is_item ? "item" : tc->kind, at, pending[0] ? pending : NULL };
        /* A report in the state the task is already in is a reassignment:
         * a new specialist, the same clock. A move into on-site acceptance
         * starts the clock again from the day of 受理. */
        PGresult *res = db_exec(db, "tracker.clock",
            "INSERT INTO deadlines AS d (task_id, case_no, item_code, dept, specialist, state,"
            " started_on, promised_days, due_on, calendar_version, kind, state_us, pending_year)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7::date,$8::int,$9::date,$10,$11,$12::bigint,$13::int)"
            " ON CONFLICT (task_id) DO UPDATE SET state = $6, specialist = $5, updated_at = now(),"
            "  started_on = CASE WHEN d.state = $6 THEN d.started_on ELSE $7::date END,"
            "  due_on = CASE WHEN d.state = $6 THEN d.due_on ELSE $9::date END,"
            "  calendar_version = CASE WHEN d.state = $6 THEN d.calendar_version ELSE $10 END,"
            "  pending_year = CASE WHEN d.state = $6 THEN d.pending_year ELSE $13::int END,"
            "  state_us = $12::bigint"
            " WHERE d.state_us <= $12::bigint"
            " RETURNING coalesce(to_char(due_on, 'YYYY-MM-DD'), ''), to_char(started_on, 'YYYY-MM-DD'),"
            "  coalesce(pending_year, 0)", 13, p);
        if (!res) {
            rc = SERVICE_RETRY;
            goto out;
        }
        if (PQntuples(res) == 0) {
            PQclear(res);
            rc = stale(svc, tc);
            goto out;
        }
        snprintf(due, sizeof due, "%s", PQgetvalue(res, 0, 0));
        snprintf(start, sizeof start, "%s", PQgetvalue(res, 0, 1));
        pending_year = atoi(PQgetvalue(res, 0, 2));
        PQclear(res);
        if (is_item) {
            char when[64];
            if (due[0])
                snprintf(when, sizeof when, "due %s", due);
            else
                snprintf(when, sizeof when, "due date pending the %d calendar", pending_year);
            log_info("deadline.set", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                     .detail = log_fmt("%s: %d working days from %s, %s", tc->state, item->promised_days,
                                       start, when));
            /* The router keeps the due date for the department's task list. */
            Bangdai__DueDate dd = BANGDAI__DUE_DATE__INIT;
            dd.task_id = tc->task_id;
            dd.case_no = tc->case_no;
            dd.due_date = due;
            dd.calendar_version = (char *)(version ? version : "");
            dd.pending_year = pending_year;
            if (service_emit(svc, "router", MSG_DUE_DATE, tc->case_no, &dd.base, NULL)) {
                rc = SERVICE_RETRY;
                goto out;
            }
        }
    } else {
        const char *p[4] = { tc->task_id, tc->state, tc->specialist[0] ? tc->specialist : NULL, at };
        PGresult *res = db_exec(db, "tracker.state",
            "UPDATE deadlines SET state = $2, specialist = coalesce($3, specialist), updated_at = now(),"
            " state_us = $4::bigint"
            " WHERE task_id = $1 AND state_us <= $4::bigint"
            " RETURNING coalesce(to_char(due_on, 'YYYY-MM-DD'), ''), coalesce(pending_year, 0)", 4, p);
        if (!res) {
            rc = SERVICE_RETRY;
            goto out;
        }
        if (PQntuples(res) == 0) {
            PQclear(res);
            rc = stale(svc, tc);
            goto out;
        }
        snprintf(due, sizeof due, "%s", PQgetvalue(res, 0, 0));
        pending_year = atoi(PQgetvalue(res, 0, 1));
        PQclear(res);
    }

    Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
    pr.task_id = tc->task_id;
    pr.case_no = tc->case_no;
    pr.item_code = tc->item_code;
    pr.dept = tc->dept;
    pr.specialist = tc->specialist;
    pr.state = tc->state;
    pr.due_date = due;
    pr.sets_due = true;             /* the tracker owns the deadline */
    pr.due_pending_year = pending_year;
    pr.result_doc = tc->result_doc;
    pr.at_us = tc->at_us;
    pr.kind = (char *)(is_item ? "item" : tc->kind);
    if (service_emit(svc, "intake", MSG_PROGRESS, tc->case_no, &pr.base, NULL)) {
        rc = SERVICE_RETRY;
        goto out;
    }
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
        if (service_emit(svc, "delivery", MSG_TASK_DECIDED, tc->case_no, &td.base, NULL)) {
            rc = SERVICE_RETRY;
            goto out;
        }
        log_info("task.decided", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                 .detail = tc->state);
    }
out:
    protobuf_c_message_free_unpacked(&tc->base, NULL);
    return rc;
}
