/* evaluation_escalate.c - an overdue rectification escalates like a task
 * (tracker_remind.c is the model): on a working day, within office hours
 * (reminders.office_hours), a scan looks at the rectifications still
 * chased (common/rectify.h: verifying, rectifying, appeal_rejected) whose
 * due day has passed, and tells each level whose threshold
 * (reminders.escalation: working days overdue) is reached: the
 * department's head, the leader in charge, the office. Once per level per
 * rectification: a row of rectify_escalations with its unique key, inserted
 * in the same transaction as the notice to the router (the outbox), so a
 * restart or a repeated scan sends nothing twice and loses nothing. One
 * scanner at a time (an advisory lock); rows claimed with SKIP LOCKED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "evaluation.h"
#include "log.h"

#define SCAN_EVERY_S 60
#define SCAN_BATCH 500
#define SCAN_LOCK "1650812771"  /* pg advisory lock key, not the tracker's */

struct scan {
    bd_day today;
    int looked, sent;
    bool full;
};

/* Escalates row r of res (id, case_no, task_id, dept, specialist, due_on)
 * to level, once. */
static int escalate(struct service *svc, struct scan *sc, PGresult *res, int r, enum escalation_level level,
                    int overdue)
{
    const struct config *cfg = service_config(svc);
    const char *id = PQgetvalue(res, r, 0), *case_no = PQgetvalue(res, r, 1), *task = PQgetvalue(res, r, 2);
    const char *dept = PQgetvalue(res, r, 3), *specialist = PQgetvalue(res, r, 4), *due = PQgetvalue(res, r, 5);
    char today[11], od[16], holder[256], text[768];
    date_format(sc->today, today);
    snprintf(od, sizeof od, "%d", overdue);
    config_holder_text(cfg, dept, level, specialist, holder, sizeof holder);
    const char *lv = config_level_name(level);
    const char *p[6] = { id, lv, due, od, holder, today };
    PGresult *ins = db_exec(service_db(svc), "evaluation.escalate",
        "INSERT INTO rectify_escalations (rectification_id, level, due_on, overdue_days, holder, day)"
        " VALUES ($1::bigint, $2, $3::date, $4::int, $5, $6::date)"
        " ON CONFLICT (rectification_id, level) DO NOTHING RETURNING level", 6, p);
    if (!ins)
        return SERVICE_RETRY;
    bool fresh = PQntuples(ins) == 1;
    PQclear(ins);
    if (!fresh)
        return SERVICE_OK;
    snprintf(text, sizeof text, "督办 to %s (%s): rectification %s of %s (specialist %s) was due %s, "
             "%d working days overdue", holder, lv, id, case_no, specialist, due, overdue);
    const char *u[2] = { id, lv };
    const char *s[4] = { id, "escalation", "evaluation", text };
    if (db_run(service_db(svc), "evaluation.escalated_level",
               "UPDATE rectifications SET escalated_level = $2 WHERE id = $1::bigint", 2, u) ||
        db_run(service_db(svc), "evaluation.escalation_step",
               "INSERT INTO rectification_steps (rectification_id, step, actor, at, text)"
               " VALUES ($1::bigint, $2, $3, now(), $4)", 4, s))
        return SERVICE_RETRY;
    if (evaluation_notice(svc, atoll(id), case_no, task, dept, specialist, "escalation", lv, holder, text))
        return SERVICE_RETRY;
    log_warn("rectify.escalated", .case_no = case_no, .task = task, .dept = dept,
             .detail = log_fmt("rectification %s, level %s (%s): %d working days overdue, due %s", id, lv, holder,
                               overdue, due));
    sc->sent++;
    return SERVICE_OK;
}

static int scan_work(struct service *svc, void *arg)
{
    struct scan *sc = arg;
    const struct config *cfg = service_config(svc);
    PGconn *db = service_db(svc);
    char today[11], batch[16];
    date_format(sc->today, today);
    snprintf(batch, sizeof batch, "%d", SCAN_BATCH);
    sc->full = false;
    PGresult *lock = db_exec(db, "evaluation.scan_lock", "SELECT pg_try_advisory_xact_lock(" SCAN_LOCK ")", 0, NULL);
    if (!lock)
        return SERVICE_RETRY;
    bool mine = strcmp(PQgetvalue(lock, 0, 0), "t") == 0;
    PQclear(lock);
    if (!mine)
        return SERVICE_OK;
    const char *p[2] = { today, batch };
    PGresult *res = db_exec(db, "evaluation.scan",
        "SELECT id, case_no, coalesce(task_id, ''), dept, coalesce(specialist, ''), to_char(due_on, 'YYYY-MM-DD')"
        " FROM rectifications"
        " WHERE state IN ('verifying', 'rectifying', 'appeal_rejected') AND due_on < $1::date"
        "  AND escalated_level IS DISTINCT FROM 'office'"
        " ORDER BY due_on, id LIMIT $2::int FOR UPDATE SKIP LOCKED", 2, p);
    if (!res)
        return SERVICE_RETRY;
    int n = PQntuples(res), rc = SERVICE_OK;
    sc->full = n == SCAN_BATCH;
    sc->looked = n;
    for (int r = 0; r < n && rc == SERVICE_OK; r++) {
        bd_day due;
        if (date_parse(PQgetvalue(res, r, 5), &due))
            continue;
        int overdue = calendar_workdays_seen(&cfg->calendar, due, sc->today);
        for (int l = ESC_DEPT_HEAD; l < N_ESC_LEVELS && rc == SERVICE_OK; l++)
            if (overdue >= cfg->reminders.escalate_after[l])
                rc = escalate(svc, sc, res, r, (enum escalation_level)l, overdue);
    }
    PQclear(res);
    return rc;
}

void evaluation_escalate_tick(struct service *svc)
{
    static struct scan_clock clock = { .idle_event = "rectify.idle", .every_s = SCAN_EVERY_S,
                                       .office_hours = true };
    int64_t now;
    if (!service_scan_due(svc, &clock, &now))
        return;
    struct scan sc = { .today = date_from_unix_us(now) };
    if (service_work(svc, "rectification scan", scan_work, &sc) != SERVICE_OK)
        return;
    clock.again = sc.full;
    log_debug("rectify.scanned", .detail = log_fmt("%d overdue rectifications looked at, %d escalations sent",
                                                   sc.looked, sc.sent));
}
