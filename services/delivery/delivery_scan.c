/* delivery_scan.c - the two deadlines of delivery, on a timer.
 *
 * 行政许可法 §44: a decided result is handed over within ten days of the
 * decision; §82 counts the law's limits in working days, so
 * delivery.handover_days (default 10) counts working days with the
 * calendar, from the first working day on or after the decision as day 0
 * (as every deadline: calendar.h). On the first working day past that
 * limit with the result still not handed over, delivery sends the router a
 * Reminder (kind "handover"), once per task: the router tells the
 * department's agent and the unit sees it in the case log, as any 催办.
 * Delivery runs this scan itself, since it alone knows whether a result
 * was handed over; the tracker's scan keeps to the approval deadlines.
 *
 * A handover the unit has not confirmed within delivery.confirm_days
 * working days counts as confirmed from the first working day after the
 * limit, recorded auto_confirmed, and may end the service.
 *
 * One scanner at a time (an advisory lock), on working days only, every
 * SCAN_EVERY_S of business time, at most SCAN_BATCH rows of each kind a
 * turn (the next turn comes at once while a batch was full).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "delivery.h"
#include "log.h"

#define SCAN_EVERY_S 5
#define SCAN_BATCH 200
#define SCAN_BATCH_S "200"
#define SCAN_LOCK "1650751862"  /* pg advisory lock key of delivery's scan */

struct scan {
    bd_day today;
    bool full;
    int reminded, confirmed;
};

/* The day (China time) of a "YYYY-MM-DD" column; -1 when unreadable. */
static int day_of(const char *text, bd_day *out)
{
    return date_parse(text, out);
}

static int remind(struct service *svc, struct scan *sc, PGresult *res, int r, bd_day due)
{
    const struct config *cfg = service_config(svc);
    char due_s[11], today_s[11], text[512];
    date_format(due, due_s);
    date_format(sc->today, today_s);
    const char *p[2] = { PQgetvalue(res, r, 0), due_s };
    PGresult *ins = db_exec(service_db(svc), "delivery.remind_once",
                            "INSERT INTO handover_reminders (task_id, due_on) VALUES ($1, $2::date)"
                            " ON CONFLICT DO NOTHING RETURNING 1", 2, p);
    if (!ins)
        return SERVICE_RETRY;
    bool fresh = PQntuples(ins) == 1;
    PQclear(ins);
    if (!fresh)
        return SERVICE_OK;
    int overdue = 0;
    if (calendar_count_workdays(&cfg->calendar, due + 1, sc->today + 1, &overdue, NULL))
        overdue = 1;
    snprintf(text, sizeof text, "统一送达: the result of %s (%s) was decided on %s and is not handed over; "
             "行政许可法 §44 allows %d working days, until %s", PQgetvalue(res, r, 0), PQgetvalue(res, r, 2),
             PQgetvalue(res, r, 4), cfg->handover_days, due_s);
    Bangdai__Reminder rm = BANGDAI__REMINDER__INIT;
    rm.task_id = PQgetvalue(res, r, 0);
    rm.case_no = PQgetvalue(res, r, 1);
    rm.dept = PQgetvalue(res, r, 3);
    rm.kind = "handover";
    rm.level = "specialist";
    rm.due_date = due_s;
    rm.overdue_days = overdue;
    rm.text = text;
    rm.day = today_s;
    if (service_emit(svc, "router", MSG_REMINDER, rm.case_no, &rm.base, NULL))
        return SERVICE_RETRY;
    log_info("handover.overdue", .case_no = rm.case_no, .task = rm.task_id, .dept = rm.dept,
             .detail = log_fmt("not handed over by %s (%d working days overdue): reminder sent", due_s, overdue));
    sc->reminded++;
    return SERVICE_OK;
}

static int overdue_handovers(struct service *svc, struct scan *sc)
{
    const struct config *cfg = service_config(svc);
    const char *p[1] = { SCAN_BATCH_S };
    PGresult *res = db_exec(service_db(svc), "delivery.scan_waiting",
        "SELECT task_id, case_no, item_code, dept,"
        " to_char(decided_at AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD')"
        " FROM handovers h WHERE handed_at IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM handover_reminders r WHERE r.task_id = h.task_id)"
        " ORDER BY decided_at, task_id LIMIT $1::int FOR UPDATE SKIP LOCKED", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int n = PQntuples(res), rc = SERVICE_OK;
    sc->full = sc->full || n == SCAN_BATCH;
    for (int r = 0; r < n && rc == SERVICE_OK; r++) {
        bd_day decided, due;
        /* A year the calendar lacks gives no limit yet: never a guess. */
        if (day_of(PQgetvalue(res, r, 4), &decided)
            || calendar_add_workdays(&cfg->calendar, decided, cfg->handover_days, &due, NULL, NULL))
            continue;
        if (sc->today > due)
            rc = remind(svc, sc, res, r, due);
    }
    PQclear(res);
    return rc;
}

static int unconfirmed_handovers(struct service *svc, struct scan *sc)
{
    const struct config *cfg = service_config(svc);
    const char *p[1] = { SCAN_BATCH_S };
    PGresult *res = db_exec(service_db(svc), "delivery.scan_unconfirmed",
        "SELECT task_id, case_no, to_char(handed_at AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD')"
        " FROM handovers WHERE handed_at IS NOT NULL AND confirmed_at IS NULL"
        " ORDER BY handed_at, task_id LIMIT $1::int FOR UPDATE SKIP LOCKED", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int n = PQntuples(res), rc = SERVICE_OK;
    sc->full = sc->full || n == SCAN_BATCH;
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)business_now_us());
    for (int r = 0; r < n && rc == SERVICE_OK; r++) {
        bd_day handed, due;
        if (day_of(PQgetvalue(res, r, 2), &handed)
            || calendar_add_workdays(&cfg->calendar, handed, cfg->confirm_days, &due, NULL, NULL)
            || sc->today <= due)
            continue;
        const char *u[2] = { PQgetvalue(res, r, 0), now };
        PGresult *upd = db_exec(service_db(svc), "delivery.auto_confirm",
            "UPDATE handovers SET confirmed_at = to_timestamp($2::bigint / 1e6), confirmed_by = 'auto',"
            " auto_confirmed = true WHERE task_id = $1 AND confirmed_at IS NULL RETURNING 1", 2, u);
        if (!upd)
            return SERVICE_RETRY;
        bool done = PQntuples(upd) == 1;
        PQclear(upd);
        if (!done)
            continue;
        char due_s[11];
        date_format(due, due_s);
        log_info("receipt.auto_confirmed", .case_no = PQgetvalue(res, r, 1), .task = PQgetvalue(res, r, 0),
                 .detail = log_fmt("handed over %s, no confirmation by %s (%d working days)",
                                   PQgetvalue(res, r, 2), due_s, cfg->confirm_days));
        sc->confirmed++;
        rc = delivery_tell_intake(svc, PQgetvalue(res, r, 0), "DELIVERED");
        if (rc == SERVICE_OK)
            rc = delivery_end_if_done(svc, PQgetvalue(res, r, 1));
    }
    PQclear(res);
    return rc;
}

static int scan_work(struct service *svc, void *arg)
{
    struct scan *sc = arg;
    PGresult *lock = db_exec(service_db(svc), "delivery.scan_lock",
                             "SELECT pg_try_advisory_xact_lock(" SCAN_LOCK ")", 0, NULL);
    if (!lock)
        return SERVICE_RETRY;
    bool mine = strcmp(PQgetvalue(lock, 0, 0), "t") == 0;
    PQclear(lock);
    if (!mine)
        return SERVICE_OK;
    int rc = overdue_handovers(svc, sc);
    if (rc == SERVICE_OK)
        rc = unconfirmed_handovers(svc, sc);
    return rc;
}

void delivery_tick(struct service *svc)
{
    /* Both limits count working days: nothing falls due on a day off. */
    static struct scan_clock clock = { .idle_event = "delivery.idle", .every_s = SCAN_EVERY_S };
    int64_t now;
    if (!service_scan_due(svc, &clock, &now))
        return;
    struct scan sc = { .today = date_from_unix_us(now) };
    if (service_work(svc, "delivery scan", scan_work, &sc) != SERVICE_OK)
        return;
    clock.again = sc.full;
    log_debug("delivery.scanned", .detail = log_fmt("%d handover reminders sent, %d auto-confirmed", sc.reminded,
                                                    sc.confirmed));
    if (sc.reminded || sc.confirmed)
        log_info("delivery.scan", .detail = log_fmt("%d handover reminders sent, %d handovers auto-confirmed%s",
                                                    sc.reminded, sc.confirmed, sc.full ? "; more to look at" : ""));
}
