/* tracker_pause.c - the clock stands still (行政许可法 §45, and 补正).
 *
 * A task's clock stops at SUPPLEMENT_REQUESTED and runs again at
 * SUPPLEMENT_RECEIVED; a department stops it for an expert review, a
 * hearing, a testing/inspection/quarantine or an appraisal (bangdai-dept
 * pause / resume, through the router). Each pause is a row of
 * tracker.pauses; the open one is also on the deadline (paused_kind, which
 * the reminder scan skips).
 *
 * The due dates (promised and statutory) are day N of the count of
 * common/calendar.h from the clock's start, N being the limit plus the
 * working days paused: each ended pause counts the working days of
 * [from_day, to_day) after day 0 (calendar_count_workdays), at most the
 * catalog's limit for its kind (pause_limits, kept on the pause when it
 * began). Beyond the limit the days run against the deadline, and the
 * tracker warns (pause.over_limit). While a pause is open the due dates
 * stay as the ended pauses make them; they move when the clock runs again.
 * The dates are always recounted from all the pauses, so a calendar year
 * added later (calendar apply) reaches the pauses in it too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "tracker.h"

/* The first day a pause can take from the clock: the day after day 0 (day
 * 0 itself is never counted). When day 0 needs a missing year, the day
 * after the start will do: the count that follows needs that year too and
 * reports it. */
static bd_day first_pausable(const struct calendar *cal, bd_day start)
{
    bd_day day0;
    if (calendar_add_workdays(cal, start, 0, &day0, NULL, NULL) != 0)
        day0 = start;
    return day0 + 1;
}

/* The working days the span [from, to) takes from a clock started on start,
 * and of those the ones that count (at most limit when limit > 0). Returns
 * 0, or the year the calendar lacks. */
static int span_days(const struct calendar *cal, bd_day start, bd_day from, bd_day to, int limit,
                     int *workdays, int *counted)
{
    bd_day lo = first_pausable(cal, start);
    int n = 0, missing = 0;
    if (from < lo)
        from = lo;
    if (to > from && calendar_count_workdays(cal, from, to, &n, &missing) != 0)
        return missing ? missing : -1;
    *workdays = n;
    *counted = limit > 0 && n > limit ? limit : n;
    return 0;
}

int tracker_due(struct service *svc, const struct calendar *cal, const char *task_id, bd_day start,
                int promised, int statutory, struct tracker_due *out)
{
    const char *p[1] = { task_id };
    memset(out, 0, sizeof *out);
    PGresult *res = db_exec(service_db(svc), "tracker.ended_pauses",
        "SELECT to_char(from_day, 'YYYY-MM-DD'), to_char(to_day, 'YYYY-MM-DD'), coalesce(limit_days, 0)"
        " FROM pauses WHERE task_id = $1 AND to_day IS NOT NULL ORDER BY from_day", 1, p);
    if (!res)
        return -1;
    int missing = 0;
    for (int r = 0; r < PQntuples(res) && !missing; r++) {
        bd_day from, to;
        int workdays, counted;
        if (date_parse(PQgetvalue(res, r, 0), &from) || date_parse(PQgetvalue(res, r, 1), &to))
            continue;
        missing = span_days(cal, start, from, to, atoi(PQgetvalue(res, r, 2)), &workdays, &counted);
        if (!missing)
            out->paused_days += counted;
    }
    PQclear(res);
    if (missing) {
        /* A pause lies in a year the calendar lacks: neither date can be
         * known until it is added. */
        out->pending_year = out->statutory_pending_year = missing > 0 ? missing : 0;
        return 0;
    }
    tracker_due_count(cal, start, promised, statutory, out->paused_days, out);
    return 0;
}

void tracker_due_count(const struct calendar *cal, bd_day start, int promised, int statutory, int paused_days,
                       struct tracker_due *out)
{
    int missing = 0;
    memset(out, 0, sizeof *out);
    out->paused_days = paused_days;
    bd_day d;
    if (calendar_add_workdays(cal, start, promised + out->paused_days, &d, &out->version, &missing) == 0)
        date_format(d, out->due);
    else
        out->pending_year = missing;
    if (statutory > 0) {
        missing = 0;
        if (calendar_add_workdays(cal, start, statutory + out->paused_days, &d, NULL, &missing) == 0)
            date_format(d, out->statutory_due);
        else
            out->statutory_pending_year = missing;
    }
}

int tracker_pause_start(struct service *svc, const Bangdai__TaskChanged *tc, const char *kind,
                        const char *reason, bd_day day, int limit)
{
    char since[11], lim[16];
    date_format(day, since);
    snprintf(lim, sizeof lim, "%d", limit);
    const char *p[5] = { tc->task_id, kind, reason, since, limit > 0 ? lim : NULL };
    PGresult *res = db_exec(service_db(svc), "tracker.pause",
        "WITH d AS (UPDATE deadlines SET paused_kind = $2, paused_since = $4::date, paused_reason = $3,"
        "           updated_at = now() WHERE task_id = $1 AND paused_kind IS NULL RETURNING task_id)"
        " INSERT INTO pauses (task_id, kind, reason, from_day, limit_days)"
        " SELECT task_id, $2, $3, $4::date, $5::int FROM d RETURNING id", 5, p);
    if (!res)
        return SERVICE_RETRY;
    int started = PQntuples(res) == 1;
    PQclear(res);
    if (!started) {
        /* The router lets one pause at a time through; a second one here
         * means the two disagree. The open pause is kept. */
        log_warn("pause.already_paused", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                 .detail = log_fmt("%s reported while the clock already stands; kept the open pause", kind));
        return SERVICE_OK;
    }
    log_info("clock.paused", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
             .detail = log_fmt("%s since %s: %s%s", kind, since, reason,
                               limit > 0 ? log_fmt(" (counts at most %d working days)", limit) : ""));
    return SERVICE_OK;
}

int tracker_pause_end(struct service *svc, const Bangdai__TaskChanged *tc, bd_day day, bool decided)
{
    PGconn *db = service_db(svc);
    const struct calendar *cal = &service_config(svc)->calendar;
    char to[11];
    date_format(day, to);
    const char *p[2] = { tc->task_id, to };
    /* The open pause ends today; a report dated before the day it began
     * (which the router's clock does not make) ends it the day it began. */
    PGresult *res = db_exec(db, "tracker.pause_end",
        "WITH e AS (UPDATE pauses SET to_day = greatest(from_day, $2::date)"
        "           WHERE task_id = $1 AND to_day IS NULL"
        "           RETURNING id, kind, to_char(from_day, 'YYYY-MM-DD') AS from_day,"
        "                     to_char(to_day, 'YYYY-MM-DD') AS to_day, coalesce(limit_days, 0) AS lim),"
        " d AS (UPDATE deadlines SET paused_kind = NULL, paused_since = NULL, paused_reason = NULL,"
        "       updated_at = now() WHERE task_id = $1 AND paused_kind IS NOT NULL"
        "       RETURNING to_char(started_on, 'YYYY-MM-DD') AS started_on, promised_days,"
        "                 coalesce(statutory_days, 0) AS statutory_days)"
        " SELECT e.id, e.kind, e.from_day, e.to_day, e.lim, d.started_on, d.promised_days, d.statutory_days"
        " FROM e, d", 2, p);
    if (!res)
        return SERVICE_RETRY;
    if (PQntuples(res) != 1) {
        PQclear(res);
        if (!decided)
            log_warn("pause.not_paused", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                     .detail = log_fmt("%s reported while the clock runs; nothing to resume",
                                       tc->clock[0] ? tc->clock : tc->state));
        return SERVICE_OK;
    }
    char id[32], kind[32], from_text[11];
    bd_day from, start, end;
    int lim = atoi(PQgetvalue(res, 0, 4)), promised = atoi(PQgetvalue(res, 0, 6));
    int statutory = atoi(PQgetvalue(res, 0, 7)), workdays = 0, counted = 0;
    snprintf(id, sizeof id, "%s", PQgetvalue(res, 0, 0));
    snprintf(kind, sizeof kind, "%s", PQgetvalue(res, 0, 1));
    snprintf(from_text, sizeof from_text, "%s", PQgetvalue(res, 0, 2));
    int bad = date_parse(from_text, &from) || date_parse(PQgetvalue(res, 0, 3), &end)
              || date_parse(PQgetvalue(res, 0, 5), &start);
    PQclear(res);
    if (bad) {
        log_error("deadline.corrupt", .case_no = tc->case_no, .task = tc->task_id, .detail = "a pause's or the clock's day is not a date");
        return SERVICE_OK;
    }
    int missing = span_days(cal, start, from, end, lim, &workdays, &counted);
    char wd[16], ct[16];
    snprintf(wd, sizeof wd, "%d", workdays);
    snprintf(ct, sizeof ct, "%d", counted);
    const char *u[3] = { id, missing ? NULL : wd, missing ? NULL : ct };
    if (db_run(db, "tracker.pause_counted", "UPDATE pauses SET workdays = $2::int, counted = $3::int"
               " WHERE id = $1::bigint", 3, u))
        return SERVICE_RETRY;
    if (!missing && lim > 0 && workdays > lim)
        log_warn("pause.over_limit", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                 .detail = log_fmt("%s from %s to %s took %d working days, over its limit of %d: %d count as "
                                   "paused, the other %d run against the deadline", kind, from_text, to,
                                   workdays, lim, lim, workdays - lim));
    if (decided) {
        log_info("clock.resumed", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
                 .detail = log_fmt("%s from %s ended by the decision (%s)", kind, from_text, tc->state));
        return SERVICE_OK;
    }
    /* The clock runs again: both due dates move by the paused days. */
    struct tracker_due due;
    if (tracker_due(svc, cal, tc->task_id, start, promised, statutory, &due))
        return SERVICE_RETRY;
    char pend[16], spend[16], paused[16];
    snprintf(pend, sizeof pend, "%d", due.pending_year);
    snprintf(spend, sizeof spend, "%d", due.statutory_pending_year);
    snprintf(paused, sizeof paused, "%d", due.paused_days);
    const char *d[7] = { tc->task_id, due.due[0] ? due.due : NULL, due.version, due.pending_year ? pend : NULL,
                         due.statutory_due[0] ? due.statutory_due : NULL,
                         due.statutory_pending_year ? spend : NULL, paused };
    if (db_run(db, "tracker.pause_due",
               "UPDATE deadlines SET due_on = $2::date, calendar_version = $3, pending_year = $4::int,"
               " statutory_due_on = $5::date, statutory_pending_year = $6::int, paused_days = $7::int,"
               " updated_at = now() WHERE task_id = $1", 7, d))
        return SERVICE_RETRY;
    char was[64];
    if (missing)
        snprintf(was, sizeof was, "working days pending the %d calendar", missing);
    else
        snprintf(was, sizeof was, "%d working day%s (%d counted)", workdays, workdays == 1 ? "" : "s", counted);
    log_info("clock.resumed", .case_no = tc->case_no, .task = tc->task_id, .dept = tc->dept,
             .detail = log_fmt("%s from %s to %s: %s; %d paused in all; due %s, statutory %s", kind, from_text,
                               to, was, due.paused_days,
                               due.due[0] ? due.due : log_fmt("pending the %d calendar", due.pending_year),
                               due.statutory_due[0] ? due.statutory_due : "-"));
    Bangdai__DueDate dd = BANGDAI__DUE_DATE__INIT;
    dd.task_id = tc->task_id;
    dd.case_no = tc->case_no;
    dd.due_date = due.due;
    dd.calendar_version = (char *)(due.version ? due.version : "");
    dd.pending_year = due.pending_year;
    dd.statutory_due_date = due.statutory_due;
    dd.statutory_pending_year = due.statutory_pending_year;
    return service_emit_more(svc, "router", MSG_DUE_DATE, tc->case_no, &dd.base) ? SERVICE_RETRY : SERVICE_OK;
}
