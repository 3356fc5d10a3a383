/* tracker_remind.c - reminders (催办) and escalation, and the supervision
 * board.
 *
 * On a working day, within office hours (reminders in the configuration),
 * the scan looks at the open item deadlines whose remind_next has come
 * (deploy/sql/008_reminders.sql: an index holds exactly those) and, for
 * each, sends what today calls for:
 *   - from the warning day (warn_days working days before the due day) to
 *     the day before the due day: one warning (预警) for that due date;
 *   - on the due day: one reminder;
 *   - after it: one overdue reminder each working day, and each escalation
 *     level whose threshold (working days overdue) is reached, once per due
 *     date: the department's head, the leader in charge, the office.
 * Each reminder is a row of tracker.reminders with a unique key, inserted
 * in the same transaction as the message to the router: a restart, a kill
 * -9 mid-scan, a second tracker or a repeated scan sends nothing twice, and
 * nothing is lost (the outbox). Several trackers may run: one scans at a
 * time (an advisory lock) and rows are claimed with SKIP LOCKED. A paused
 * task (its clock stopped) gets nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "tracker.h"

#define SCAN_EVERY_S 60         /* a scan a minute; at once again when a batch was full */
#define SCAN_BATCH 500
#define SCAN_LOCK "1650750307"  /* pg advisory lock key: "bdsc" as a 32-bit number */
#define FINAL "('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')"

struct scan {
    bd_day today;
    int looked, sent;
    bool full;                  /* the batch was full: scan again at once */
};

/* Records one reminder and, when it is new, sends it. Row r of res has the
 * columns of the scan's query. */
static int remind(struct service *svc, struct scan *sc, PGresult *res, int r, const char *kind,
                  enum escalation_level level, int overdue)
{
    const struct config *cfg = service_config(svc);
    char today[11], holder[256], od[16], text[512];
    const char *task = PQgetvalue(res, r, 0), *case_no = PQgetvalue(res, r, 1), *dept = PQgetvalue(res, r, 3);
    const char *specialist = PQgetvalue(res, r, 4), *due = PQgetvalue(res, r, 5);
    date_format(sc->today, today);
    config_holder_text(cfg, dept, level, specialist, holder, sizeof holder);
    snprintf(od, sizeof od, "%d", overdue);
    /* The warning and the due-day reminder are per due date, the overdue
     * reminder per day, an escalation per due date. */
    const char *day = strcmp(kind, "overdue") == 0 ? today : due;
    const char *p[9] = { task, case_no, dept, kind, config_level_name(level), due, day, od, holder };
    PGresult *ins = db_exec(service_db(svc), "tracker.remind",
        "INSERT INTO reminders (task_id, case_no, dept, kind, level, due_on, day, overdue_days, holder)"
        " VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8::int, $9)"
        " ON CONFLICT (task_id, kind, level, due_on, day) DO NOTHING RETURNING id", 9, p);
    if (!ins)
        return SERVICE_RETRY;
    bool fresh = PQntuples(ins) == 1;
    PQclear(ins);
    if (!fresh)
        return SERVICE_OK;
    const char *item = PQgetvalue(res, r, 2);
    if (strcmp(kind, "warn") == 0)
        snprintf(text, sizeof text, "预警: %s (%s) is due %s", task, item, due);
    else if (strcmp(kind, "due") == 0)
        snprintf(text, sizeof text, "催办: %s (%s) is due today, %s", task, item, due);
    else if (strcmp(kind, "overdue") == 0)
        snprintf(text, sizeof text, "超期: %s (%s) was due %s, %d working days overdue", task, item, due, overdue);
    else
        snprintf(text, sizeof text, "督办 to %s (%s): %s (%s, specialist %s) was due %s, %d working days overdue",
                 holder, config_level_name(level), task, item, specialist, due, overdue);
    Bangdai__Reminder rm = BANGDAI__REMINDER__INIT;
    rm.task_id = (char *)task;
    rm.case_no = (char *)case_no;
    rm.dept = (char *)dept;
    rm.specialist = (char *)specialist;
    rm.kind = (char *)kind;
    rm.level = (char *)config_level_name(level);
    rm.due_date = (char *)due;
    rm.overdue_days = overdue;
    rm.holder = holder;
    rm.text = text;
    rm.day = (char *)day;
    if (service_emit(svc, "router", MSG_REMINDER, case_no, &rm.base, NULL))
        return SERVICE_RETRY;
    if (strcmp(kind, "escalation") == 0)
        log_warn("reminder.escalated", .case_no = case_no, .task = task, .dept = dept,
                 .detail = log_fmt("level %s (%s): %d working days overdue, due %s", config_level_name(level),
                                   holder, overdue, due));
    else
        log_info("reminder.sent", .case_no = case_no, .task = task, .dept = dept,
                 .detail = log_fmt("%s to %s, due %s, %d working days overdue", kind, specialist, due, overdue));
    sc->sent++;
    return SERVICE_OK;
}

static int scan_work(struct service *svc, void *arg)
{
    struct scan *sc = arg;
    const struct config *cfg = service_config(svc);
    const struct calendar *cal = &cfg->calendar;
    PGconn *db = service_db(svc);
    char today[11], batch[16];
    date_format(sc->today, today);
    snprintf(batch, sizeof batch, "%d", SCAN_BATCH);
    sc->full = false;
    /* One scanner at a time, however many trackers run. */
    PGresult *lock = db_exec(db, "tracker.scan_lock", "SELECT pg_try_advisory_xact_lock(" SCAN_LOCK ")",
                             0, NULL);
    if (!lock)
        return SERVICE_RETRY;
    bool mine = strcmp(PQgetvalue(lock, 0, 0), "t") == 0;
    PQclear(lock);
    if (!mine)
        return SERVICE_OK;
    const char *p[2] = { today, batch };
    PGresult *res = db_exec(db, "tracker.scan",
        "SELECT task_id, case_no, item_code, dept, coalesce(specialist, ''), to_char(due_on, 'YYYY-MM-DD')"
        " FROM deadlines"
        " WHERE remind_next <= $1::date AND state NOT IN " FINAL
        "  AND kind = 'item' AND due_on IS NOT NULL AND paused_kind IS NULL"
        " ORDER BY remind_next, task_id LIMIT $2::int FOR UPDATE SKIP LOCKED", 2, p);
    if (!res)
        return SERVICE_RETRY;
    int n = PQntuples(res), rc = SERVICE_OK;
    sc->full = n == SCAN_BATCH;
    sc->looked = n;
    for (int r = 0; r < n && rc == SERVICE_OK; r++) {
        bd_day due, next;
        if (date_parse(PQgetvalue(res, r, 5), &due))
            continue;
        bd_day warn = calendar_step_workdays(cal, due, -cfg->reminders.warn_days);
        if (sc->today < warn) {
            next = warn;
        } else if (sc->today < due) {
            rc = remind(svc, sc, res, r, "warn", ESC_SPECIALIST, 0);
            next = due;
        } else if (sc->today == due) {
            rc = remind(svc, sc, res, r, "due", ESC_SPECIALIST, 0);
            next = sc->today + 1;
        } else {
            int overdue = calendar_workdays_seen(cal, due, sc->today);
            if (overdue >= cfg->reminders.escalate_after[ESC_SPECIALIST])
                rc = remind(svc, sc, res, r, "overdue", ESC_SPECIALIST, overdue);
            for (int l = ESC_DEPT_HEAD; l < N_ESC_LEVELS && rc == SERVICE_OK; l++)
                if (overdue >= cfg->reminders.escalate_after[l])
                    rc = remind(svc, sc, res, r, "escalation", (enum escalation_level)l, overdue);
            next = sc->today + 1;
        }
        char nx[11];
        date_format(next, nx);
        const char *u[2] = { PQgetvalue(res, r, 0), nx };
        if (rc == SERVICE_OK && db_run(db, "tracker.remind_next", "UPDATE deadlines SET remind_next = $2::date"
                                       " WHERE task_id = $1", 2, u))
            rc = SERVICE_RETRY;
    }
    PQclear(res);
    return rc;
}

void tracker_remind_tick(struct service *svc)
{
    /* Working days only, within office hours (China time). */
    static struct scan_clock clock = { .idle_event = "reminder.idle", .every_s = SCAN_EVERY_S,
                                       .office_hours = true };
    int64_t now;
    if (!service_scan_due(svc, &clock, &now))
        return;
    struct scan sc = { .today = date_from_unix_us(now) };
    if (service_work(svc, "reminder scan", scan_work, &sc) != SERVICE_OK)
        return;
    clock.again = sc.full;
    log_debug("reminder.scanned", .detail = log_fmt("%d deadlines looked at, %d reminders sent", sc.looked, sc.sent));
    if (sc.sent)
        log_info("reminder.scan", .detail = log_fmt("%d reminders sent%s", sc.sent, sc.full ? "; more to look at" : ""));
}

/* ---- the board ---------------------------------------------------------- */

int tracker_board(struct service *svc, const struct service_msg *m)
{
    Bangdai__BoardRequest *br = service_decode(svc, m, &bangdai__board_request__descriptor);
    if (!br)
        return SERVICE_REFUSE;
    const struct config *cfg = service_config(svc);
    int rc = SERVICE_OK;
    PGresult *res = NULL;
    Bangdai__BoardRow *rows = NULL, **ptrs = NULL;
    bd_day today = date_from_unix_us(business_now_us());
    char td[11], horizon[11];
    date_format(today, td);
    /* Soon due: up to the warning day's reach, and the due day itself. */
    date_format(calendar_step_workdays(&cfg->calendar, today, cfg->reminders.warn_days), horizon);
    if (br->dept[0] && !config_dept(cfg, br->dept)) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "dept", "no department '%.40s'", br->dept);
        goto out;
    }
    const char *p[2] = { horizon, br->dept[0] ? br->dept : NULL };
    res = db_exec(service_db(svc), "tracker.board",
        "SELECT d.task_id, d.case_no, d.dept, coalesce(d.specialist, ''), d.item_code, d.state,"
        " coalesce(to_char(d.due_on, 'YYYY-MM-DD'), ''), coalesce(d.paused_kind, ''), coalesce(d.pending_year, 0),"
        " coalesce(d.paused_reason, ''), coalesce(to_char(d.paused_since, 'YYYY-MM-DD'), ''),"
        " coalesce((SELECT level FROM reminders r WHERE r.task_id = d.task_id AND r.due_on = d.due_on"
        "           AND r.kind = 'escalation' ORDER BY array_position("
        "             ARRAY['dept_head', 'leader', 'office'], r.level) DESC LIMIT 1), '')"
        " FROM deadlines d"
        " WHERE d.kind = 'item' AND d.state NOT IN " FINAL
        "  AND ($2::text IS NULL OR d.dept = $2)"
        "  AND (d.due_on <= $1::date OR d.paused_kind IS NOT NULL OR d.pending_year IS NOT NULL)"
        " ORDER BY d.dept, d.specialist, d.due_on NULLS LAST, d.task_id LIMIT 5000", 2, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    size_t n = (size_t)PQntuples(res);
    rows = calloc(n + 1, sizeof *rows);
    ptrs = calloc(n + 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        rc = SERVICE_RETRY;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        Bangdai__BoardRow *b = &rows[i];
        int r = (int)i;
        bangdai__board_row__init(b);
        b->task_id = PQgetvalue(res, r, 0);
        b->case_no = PQgetvalue(res, r, 1);
        b->dept = PQgetvalue(res, r, 2);
        b->specialist = PQgetvalue(res, r, 3);
        b->item_code = PQgetvalue(res, r, 4);
        b->state = PQgetvalue(res, r, 5);
        b->due_date = PQgetvalue(res, r, 6);
        b->paused_kind = PQgetvalue(res, r, 7);
        b->pending_year = atoi(PQgetvalue(res, r, 8));
        b->paused_reason = PQgetvalue(res, r, 9);
        b->paused_since = PQgetvalue(res, r, 10);
        b->level = PQgetvalue(res, r, 11);
        bd_day due;
        if (b->paused_kind[0])
            b->section = "paused";
        else if (b->pending_year)
            b->section = "pending";
        else if (!date_parse(b->due_date, &due)) {
            b->overdue_days = due < today ? calendar_workdays_seen(&cfg->calendar, due, today)
                                          : -calendar_workdays_seen(&cfg->calendar, today, due);
            b->section = due < today ? "overdue" : "due_soon";
        } else {
            b->section = "pending";
        }
        ptrs[i] = b;
    }
    Bangdai__BoardReply rep = BANGDAI__BOARD_REPLY__INIT;
    rep.today = td;
    rep.rows = ptrs;
    rep.n_rows = n;
    rep.warn_days = (uint32_t)cfg->reminders.warn_days;
    if (service_reply(svc, MSG_BOARD_REPLY, NULL, &rep.base))
        rc = SERVICE_RETRY;
out:
    free(rows);
    free(ptrs);
    PQclear(res);
    protobuf_c_message_free_unpacked(&br->base, NULL);
    return rc;
}

/* ---- the metrics --------------------------------------------------------- */

int tracker_metrics(struct service *svc, struct metrics_text *out)
{
    PGconn *db = service_db(svc);
    char today[11];
    date_format(date_from_unix_us(business_now_us()), today);
    const char *p[1] = { today };
    /* The same tasks as the board's sections: overdue is an item task
     * whose due day has passed, neither paused nor pending. */
    PGresult *sums = db_exec(db, "tracker.metrics_sums",
        "SELECT count(*) FILTER (WHERE kind = 'item' AND paused_kind IS NULL AND pending_year IS NULL"
        "                          AND due_on < $1::date),"
        " count(*) FILTER (WHERE pending_year IS NOT NULL OR statutory_pending_year IS NOT NULL),"
        " count(*) FILTER (WHERE paused_kind IS NOT NULL)"
        " FROM deadlines WHERE state NOT IN " FINAL, 1, p);
    PGresult *states = sums ? db_exec(db, "tracker.metrics_states",
        "SELECT state, count(*) FROM deadlines WHERE state NOT IN " FINAL " GROUP BY state", 0, NULL) : NULL;
    if (!states) {
        PQclear(sums);
        return -1;
    }
    metrics_family(out, "tracker_open_tasks", "gauge", "Tasks not in a final state, by state.");
    for (int s = 0; s < TASK_STATE_COUNT; s++) {
        if (task_state_final((enum task_state)s))
            continue;
        const char *name = task_state_name((enum task_state)s);
        double n = 0;
        for (int r = 0; r < PQntuples(states); r++)
            if (strcmp(PQgetvalue(states, r, 0), name) == 0)
                n = atof(PQgetvalue(states, r, 1));
        metrics_sample(out, "tracker_open_tasks", n, "state", name, NULL);
    }
    metrics_family(out, "tracker_overdue_tasks", "gauge",
                   "Open item tasks past their promised due day (not paused, not pending a calendar year).");
    metrics_sample(out, "tracker_overdue_tasks", atof(PQgetvalue(sums, 0, 0)), NULL);
    metrics_family(out, "tracker_pending_calendar_tasks", "gauge",
                   "Open tasks whose due date waits for a calendar year the configuration lacks.");
    metrics_sample(out, "tracker_pending_calendar_tasks", atof(PQgetvalue(sums, 0, 1)), NULL);
    metrics_family(out, "tracker_paused_tasks", "gauge", "Open tasks whose clock stands still (行政许可法 §45).");
    metrics_sample(out, "tracker_paused_tasks", atof(PQgetvalue(sums, 0, 2)), NULL);
    PQclear(sums);
    PQclear(states);
    return 0;
}
