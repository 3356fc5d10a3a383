/* tracker_calendar.c - a revised or newly published calendar year reaching
 * the open deadlines (bangdaictl calendar check / calendar apply).
 *
 * Each deadline keeps the version of the calendar year it was computed
 * with, or the year it waits for when that year is not in the calendar
 * (pending). When the operator adds or corrects a year in the
 * configuration, CalendarApply makes the tracker read the calendar of its
 * file again and recompute exactly those deadlines: the pending ones and
 * those whose version the calendar no longer has. Each change is logged
 * (deadline.recomputed) and told to the router (DueDate with moved_from: the
 * department's agent gets a notice) and to intake (Progress: the unit's
 * status). A check lists them and changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "tracker.h"

#define LISTED_MAX 500      /* tasks named in a reply; the counts cover all */

/* "2023-2026", or "2023-2024, 2026" when a year is missing. */
static void years_text(const struct calendar *cal, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t i = 0; i < cal->n_years && used < len; i++) {
        size_t j = i;
        while (j + 1 < cal->n_years && cal->years[j + 1].year == cal->years[j].year + 1)
            j++;
        int n = j > i ? snprintf(buf + used, len - used, "%s%d-%d", used ? ", " : "", cal->years[i].year,
                                 cal->years[j].year)
                      : snprintf(buf + used, len - used, "%s%d", used ? ", " : "", cal->years[i].year);
        used += n > 0 ? (size_t)n : 0;
        i = j;
    }
}

/* The versions the calendar has, as a PostgreSQL text[] literal. */
static char *versions_array(const struct calendar *cal)
{
    const char **v = calloc(cal->n_years + 1, sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < cal->n_years; i++)
        v[i] = cal->years[i].version;
    char *a = db_text_array(v, (int)cal->n_years);
    free(v);
    return a;
}

/* Tells the router and intake that the deadline of row r of res (the
 * columns of the query below) is now due (or pending_year). */
static int tell_moved(struct service *svc, PGresult *res, int r, const struct tracker_due *nd, const char *was)
{
    const char *due = nd->due, *version = nd->version;
    int pending_year = nd->pending_year;
    Bangdai__DueDate dd = BANGDAI__DUE_DATE__INIT;
    dd.task_id = PQgetvalue(res, r, 0);
    dd.case_no = PQgetvalue(res, r, 1);
    dd.due_date = (char *)due;
    dd.calendar_version = (char *)(version ? version : "");
    dd.pending_year = pending_year;
    dd.moved_from = (char *)was;
    dd.statutory_due_date = (char *)nd->statutory_due;
    dd.statutory_pending_year = nd->statutory_pending_year;
    if (service_emit_more(svc, "router", MSG_DUE_DATE, dd.case_no, &dd.base))
        return SERVICE_RETRY;
    Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
    pr.task_id = PQgetvalue(res, r, 0);
    pr.case_no = PQgetvalue(res, r, 1);
    pr.item_code = PQgetvalue(res, r, 2);
    pr.dept = PQgetvalue(res, r, 3);
    pr.specialist = PQgetvalue(res, r, 4);
    pr.state = PQgetvalue(res, r, 5);
    pr.kind = "item";
    pr.due_date = (char *)due;
    pr.sets_due = true;
    pr.due_pending_year = pending_year;
    pr.statutory_due_date = (char *)nd->statutory_due;
    pr.statutory_pending_year = nd->statutory_pending_year;
    pr.paused_kind = PQgetvalue(res, r, 13);
    pr.paused_reason = PQgetvalue(res, r, 14);
    pr.paused_since = PQgetvalue(res, r, 15);
    pr.paused_days = nd->paused_days;
    /* The time of the state it reports, so that it neither hides a newer
     * state report nor is hidden by an older one. */
    pr.at_us = atoll(PQgetvalue(res, r, 11));
    return service_emit_more(svc, "intake", MSG_PROGRESS, pr.case_no, &pr.base) ? SERVICE_RETRY : SERVICE_OK;
}

/* What a recomputation found; tasks (the first LISTED_MAX) point into res
 * and dues, which live until recompute_free(). */
struct recompute {
    PGresult *res;
    Bangdai__CalendarTask *tasks;
    size_t listed;
    struct tracker_due *nds;    /* the new dates, one per row of res */
    int affected, moved;
};

static void recompute_free(struct recompute *rc)
{
    PQclear(rc->res);
    free(rc->tasks);
    free(rc->nds);
    memset(rc, 0, sizeof *rc);
}

/* Finds the open deadlines that are pending or were computed with a
 * version cal does not have, and (unless check) recomputes them with cal,
 * telling the router and intake of each that moved. Runs inside the
 * caller's transaction. Returns SERVICE_OK or SERVICE_RETRY. */
static int recompute(struct service *svc, const struct calendar *cal, bool check, struct recompute *out)
{
    memset(out, 0, sizeof *out);
    char *versions = versions_array(cal);
    if (!versions)
        return SERVICE_RETRY;
    const char *p[1] = { versions };
    out->res = db_exec(service_db(svc), "tracker.calendar_affected",
        "SELECT task_id, case_no, item_code, dept, coalesce(specialist, ''), state,"
        " to_char(started_on, 'YYYY-MM-DD'), promised_days, coalesce(to_char(due_on, 'YYYY-MM-DD'), ''),"
        " coalesce(pending_year, 0), coalesce(calendar_version, ''), state_us, coalesce(statutory_days, 0),"
        " coalesce(paused_kind, ''), coalesce(paused_reason, ''), coalesce(to_char(paused_since, 'YYYY-MM-DD'), '')"
        " FROM deadlines"
        " WHERE kind = 'item' AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')"
        "  AND (pending_year IS NOT NULL OR statutory_pending_year IS NOT NULL OR calendar_version IS NULL"
        "       OR calendar_version <> ALL($1::text[]))"
        " ORDER BY task_id FOR UPDATE", 1, p);
    free(versions);
    if (!out->res)
        return SERVICE_RETRY;
    PGresult *res = out->res;
    int n = PQntuples(res), rc = SERVICE_OK;
    out->affected = n;
    out->listed = (size_t)(n < LISTED_MAX ? n : LISTED_MAX);
    out->tasks = calloc(out->listed + 1, sizeof *out->tasks);
    out->nds = calloc((size_t)n + 1, sizeof *out->nds);
    if (!out->tasks || !out->nds)
        return SERVICE_RETRY;
    for (int r = 0; r < n && rc == SERVICE_OK; r++) {
        bd_day start;
        struct tracker_due *nd = &out->nds[r];
        if (date_parse(PQgetvalue(res, r, 6), &start)) {
            char case_no[64];
            log_error("deadline.corrupt", .case_no = task_case_no(PQgetvalue(res, r, 0), case_no, sizeof case_no),
                      .task = PQgetvalue(res, r, 0), .detail = "started_on is not a date");
            continue;
        }
        /* With the pauses, each counted with the calendar as it is now. */
        if (tracker_due(svc, cal, PQgetvalue(res, r, 0), start, atoi(PQgetvalue(res, r, 7)),
                        atoi(PQgetvalue(res, r, 12)), nd))
            return SERVICE_RETRY;
        int pending = nd->pending_year;
        const char *old_due = PQgetvalue(res, r, 8), *old_version = PQgetvalue(res, r, 10);
        const char *new_version = nd->version ? nd->version : "";
        int old_pending = atoi(PQgetvalue(res, r, 9));
        if ((size_t)r < out->listed) {
            Bangdai__CalendarTask *t = &out->tasks[r];
            bangdai__calendar_task__init(t);
            t->task_id = PQgetvalue(res, r, 0);
            t->case_no = PQgetvalue(res, r, 1);
            t->dept = PQgetvalue(res, r, 3);
            t->old_due = (char *)old_due;
            t->old_pending_year = old_pending;
            t->old_version = (char *)old_version;
            t->new_due = nd->due;
            t->new_pending_year = pending;
            t->new_version = (char *)new_version;
        }
        if (check)
            continue;
        char pend[16], spend[16], pdays[16];
        snprintf(pend, sizeof pend, "%d", pending);
        snprintf(spend, sizeof spend, "%d", nd->statutory_pending_year);
        snprintf(pdays, sizeof pdays, "%d", nd->paused_days);
        const char *u[7] = { PQgetvalue(res, r, 0), nd->due[0] ? nd->due : NULL, nd->version,
                             pending ? pend : NULL, nd->statutory_due[0] ? nd->statutory_due : NULL,
                             nd->statutory_pending_year ? spend : NULL, pdays };
        if (db_run(service_db(svc), "tracker.recomputed",
                   "UPDATE deadlines SET due_on = $2::date, calendar_version = $3, pending_year = $4::int,"
                   " statutory_due_on = $5::date, statutory_pending_year = $6::int, paused_days = $7::int,"
                   " updated_at = now() WHERE task_id = $1", 7, u))
            return SERVICE_RETRY;
        if (strcmp(old_due, nd->due) == 0 && old_pending == pending)
            continue;
        char was[32], now[64];
        if (old_pending)
            snprintf(was, sizeof was, "pending %d", old_pending);
        else
            snprintf(was, sizeof was, "%s", old_due);
        if (pending)
            snprintf(now, sizeof now, "pending the %d calendar", pending);
        else
            snprintf(now, sizeof now, "%s (%s)", nd->due, new_version);
        log_info("deadline.recomputed", .case_no = PQgetvalue(res, r, 1), .task = PQgetvalue(res, r, 0),
                 .dept = PQgetvalue(res, r, 3), .detail = log_fmt("due %s -> %s", was, now));
        rc = tell_moved(svc, res, r, nd, was);
        out->moved++;
    }
    return rc;
}

int tracker_calendar_apply(struct service *svc, const struct service_msg *m)
{
    Bangdai__CalendarApply *ca = service_decode(svc, m, &bangdai__calendar_apply__descriptor);
    if (!ca)
        return SERVICE_REFUSE;
    struct config *fresh = NULL;
    struct recompute found = { 0 };
    Bangdai__CalendarTask **ptrs = NULL;
    char err[512], years[128];
    int rc;

    /* The file as it is now; a broken one changes nothing. */
    if (config_load(service_config(svc)->path, &fresh, err, sizeof err) != 0) {
        rc = service_refuse(svc, ERR_INVALID, "calendar", "%s", err);
        goto out;
    }
    if ((rc = recompute(svc, &fresh->calendar, ca->check, &found)) != SERVICE_OK)
        goto out;
    if (!(ptrs = calloc(found.listed + 1, sizeof *ptrs))) {
        rc = SERVICE_RETRY;
        goto out;
    }
    for (size_t i = 0; i < found.listed; i++)
        ptrs[i] = &found.tasks[i];
    years_text(&fresh->calendar, years, sizeof years);
    Bangdai__CalendarReply rep = BANGDAI__CALENDAR_REPLY__INIT;
    rep.n_tasks = found.listed;
    rep.tasks = ptrs;
    rep.affected = (uint32_t)found.affected;
    rep.moved = (uint32_t)found.moved;
    rep.years = years;
    if (service_reply(svc, MSG_CALENDAR_REPLY, NULL, &rep.base)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (!ca->check) {
        log_info("calendar.applied", .detail = log_fmt("calendar %s; %d open deadlines recomputed, %d moved "
                                                       "(bangdaictl calendar apply)", years, found.affected,
                                                       found.moved));
        /* From now on new deadlines count with it too. (Were the
         * transaction to fail after this, the retry finds the same rows.) */
        service_take_calendar(svc, &fresh->calendar);
    }
out:
    free(ptrs);
    recompute_free(&found);
    config_destroy(&fresh);
    protobuf_c_message_free_unpacked(&ca->base, NULL);
    return rc;
}

static int reload_work(struct service *svc, void *arg)
{
    struct recompute found;
    int rc = recompute(svc, arg, false, &found);
    if (rc == SERVICE_OK) {
        char years[128];
        years_text(arg, years, sizeof years);
        log_info("calendar.applied", .detail = log_fmt("calendar %s; %d open deadlines recomputed, %d moved "
                                                       "(SIGHUP)", years, found.affected, found.moved));
    }
    recompute_free(&found);
    return rc;
}

int tracker_reload(struct service *svc, const struct config *fresh)
{
    /* The skeleton puts the rest of the file in force; the new calendar
     * first reaches the open deadlines, so that it is in force only once
     * they agree with it. */
    if (service_work(svc, "calendar reload", reload_work, (void *)&fresh->calendar) != SERVICE_OK) {
        log_error("config.reload_failed", .detail = "the database failed while the deadlines were "
                  "recomputed with the new calendar (send SIGHUP again)");
        return -1;
    }
    return 0;
}

void tracker_tick(struct service *svc)
{
    static bd_day checked;      /* the day last checked */
    tracker_remind_tick(svc);
    bd_day today = date_from_unix_us(business_now_us());
    if (today == checked)
        return;
    /* Once a working day (and on a day the calendar does not know: that is
     * when it matters most). A failed read is tried again tomorrow. */
    checked = today;
    if (calendar_is_workday(&service_config(svc)->calendar, today) == 0)
        return;
    PGresult *res = db_exec(service_db(svc), "tracker.pending_years",
        "SELECT pending_year, count(*) FROM deadlines"
        " WHERE pending_year IS NOT NULL AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')"
        " GROUP BY 1 ORDER BY 1", 0, NULL);
    for (int r = 0; res && r < PQntuples(res); r++)
        log_warn("calendar.missing_year",
                 .detail = log_fmt("%s open tasks have no due date until the %s calendar is in the "
                                   "configuration: add the State Council's arrangement, then run "
                                   "bangdaictl calendar apply", PQgetvalue(res, r, 1), PQgetvalue(res, r, 0)));
    PQclear(res);
}
