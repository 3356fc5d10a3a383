/* intake_status.c - what the hall sees of a case.
 *
 * Intake owns only its schema, so the later stages report each change of a
 * task (tracker: state and due date; delivery: delivered) and of the case
 * (evaluation: return visit opened) back here over the reliable link, and
 * status queries are answered from intake's own tables. A report older than
 * what is stored is kept out, so reports from two stages arriving out of
 * order cannot move a task backwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "intake.h"
#include "log.h"
#include "validate.h"

/* The working days a task's clock has stood still so far: the counted
 * days of its ended pauses (the tracker's) and, while one is open, its
 * working days from `since` up to and including today (a year the
 * calendar lacks counts nothing: the tracker says so). */
static int paused_so_far(const struct config *cfg, int ended, const char *since)
{
    bd_day from;
    int n = 0;
    if (!since[0] || date_parse(since, &from))
        return ended;
    if (calendar_count_workdays(&cfg->calendar, from, date_from_unix_us(business_now_us()) + 1, &n, NULL))
        n = 0;
    return ended + n;
}

int intake_status(struct service *svc, const struct service_msg *m)
{
    Bangdai__StatusRequest *r = service_decode(svc, m, &bangdai__status_request__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    const char *p[1] = { r->case_no };
    int rc = SERVICE_RETRY;
    PGresult *c = NULL, *t = NULL, *l = NULL;
    Bangdai__TaskStatus *tasks = NULL, **tptr = NULL;
    Bangdai__CaseLogEntry *log = NULL, **lptr = NULL;

    if (validate_text(r->case_no, 64)) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case number is required");
        goto out;
    }
    c = db_exec(db, "intake.status_case",
                "SELECT case_no, state, service_type, unit_name, project_name, project_code,"
                " (extract(epoch from submitted_at) * 1000000)::bigint,"
                " coalesce(lead_specialist, ''), coalesce(lead_name, ''),"
                " coalesce(to_char(expected_completion, 'YYYY-MM-DD'), ''),"
                " coalesce(to_char(expected_latest, 'YYYY-MM-DD'), ''), coalesce(expected_pending_year, 0),"
                " coalesce(expected_basis, ''), feed_seq"
                " FROM cases WHERE case_no = $1", 1, p);
    if (!c)
        goto out;
    if (PQntuples(c) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", r->case_no);
        goto out;
    }
    t = db_exec(db, "intake.status_tasks",
                "SELECT task_id, coalesce(item_code, ''), dept, coalesce(specialist, ''), state,"
                " coalesce(to_char(due_date, 'YYYY-MM-DD'), ''), coalesce(result_doc, ''), updated_us, kind,"
                " coalesce(due_pending_year, 0), coalesce(to_char(statutory_due_date, 'YYYY-MM-DD'), ''),"
                " coalesce(statutory_pending_year, 0), coalesce(paused_kind, ''), coalesce(paused_reason, ''),"
                " coalesce(to_char(paused_since, 'YYYY-MM-DD'), ''), paused_days,"
                " (SELECT count(*) FROM case_log l WHERE l.case_no = t.case_no AND l.task_id = t.task_id"
                "   AND l.kind = 'reminder'), coalesce(handover, ''), coalesce(handover_method, '')"
                " FROM case_tasks t WHERE case_no = $1"
                " ORDER BY CASE kind WHEN 'item' THEN 0 WHEN 'coordination' THEN 1 ELSE 2 END,"
                " length(task_id), task_id", 1, p);
    if (!t)
        goto out;
    l = db_exec(db, "intake.status_log",
                "SELECT (extract(epoch from at) * 1000000)::bigint, coalesce(task_id, ''), coalesce(dept, ''),"
                " kind, text FROM case_log WHERE case_no = $1 ORDER BY at, id", 1, p);
    if (!l)
        goto out;

    Bangdai__StatusReply rep = BANGDAI__STATUS_REPLY__INIT;
    rep.case_no = PQgetvalue(c, 0, 0);
    rep.state = PQgetvalue(c, 0, 1);
    rep.service_type = PQgetvalue(c, 0, 2);
    rep.unit_name = PQgetvalue(c, 0, 3);
    rep.project_name = PQgetvalue(c, 0, 4);
    rep.project_code = PQgetvalue(c, 0, 5);
    rep.submitted_at_us = atoll(PQgetvalue(c, 0, 6));
    rep.lead_specialist = PQgetvalue(c, 0, 7);
    rep.lead_name = PQgetvalue(c, 0, 8);
    rep.expected_completion = PQgetvalue(c, 0, 9);
    rep.expected_latest = PQgetvalue(c, 0, 10);
    rep.expected_pending_year = atoi(PQgetvalue(c, 0, 11));
    rep.expected_basis = PQgetvalue(c, 0, 12);
    rep.feed_seq = strtoull(PQgetvalue(c, 0, 13), NULL, 10);
    size_t n = (size_t)PQntuples(t);
    tasks = calloc(n + 1, sizeof *tasks);
    tptr = calloc(n + 1, sizeof *tptr);
    if (!tasks || !tptr)
        goto out;
    for (size_t i = 0; i < n; i++) {
        Bangdai__TaskStatus *ts = &tasks[i];
        const struct cfg_item *item = config_item(service_config(svc), PQgetvalue(t, (int)i, 1));
        bangdai__task_status__init(ts);
        ts->task_id = PQgetvalue(t, (int)i, 0);
        ts->item_code = PQgetvalue(t, (int)i, 1);
        ts->item_name = item ? item->name : "";
        ts->dept = PQgetvalue(t, (int)i, 2);
        ts->specialist = PQgetvalue(t, (int)i, 3);
        ts->state = PQgetvalue(t, (int)i, 4);
        ts->due_date = PQgetvalue(t, (int)i, 5);
        ts->result_doc = PQgetvalue(t, (int)i, 6);
        ts->updated_at_us = atoll(PQgetvalue(t, (int)i, 7));
        ts->kind = PQgetvalue(t, (int)i, 8);
        ts->due_pending_year = atoi(PQgetvalue(t, (int)i, 9));
        ts->statutory_due_date = PQgetvalue(t, (int)i, 10);
        ts->statutory_pending_year = atoi(PQgetvalue(t, (int)i, 11));
        ts->paused_kind = PQgetvalue(t, (int)i, 12);
        ts->paused_reason = PQgetvalue(t, (int)i, 13);
        ts->paused_since = PQgetvalue(t, (int)i, 14);
        ts->paused_days = paused_so_far(service_config(svc), atoi(PQgetvalue(t, (int)i, 15)), ts->paused_since);
        ts->reminders_sent = atoi(PQgetvalue(t, (int)i, 16));
        ts->handover = PQgetvalue(t, (int)i, 17);
        ts->handover_method = PQgetvalue(t, (int)i, 18);
        tptr[i] = ts;
    }
    rep.n_tasks = n;
    rep.tasks = tptr;
    size_t nl = (size_t)PQntuples(l);
    log = calloc(nl + 1, sizeof *log);
    lptr = calloc(nl + 1, sizeof *lptr);
    if (!log || !lptr)
        goto out;
    for (size_t i = 0; i < nl; i++) {
        bangdai__case_log_entry__init(&log[i]);
        log[i].at_us = atoll(PQgetvalue(l, (int)i, 0));
        log[i].task_id = PQgetvalue(l, (int)i, 1);
        log[i].dept = PQgetvalue(l, (int)i, 2);
        log[i].kind = PQgetvalue(l, (int)i, 3);
        log[i].text = PQgetvalue(l, (int)i, 4);
        lptr[i] = &log[i];
    }
    rep.n_log = nl;
    rep.log = lptr;
    rc = service_reply(svc, MSG_STATUS_REPLY, rep.case_no, &rep.base);
out:
    free(tasks);
    free(tptr);
    free(log);
    free(lptr);
    PQclear(c);
    PQclear(t);
    PQclear(l);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

static const char *nz(const char *s) { return s && *s ? s : NULL; }

int intake_progress(struct service *svc, const struct service_msg *m)
{
    Bangdai__Progress *p = service_decode(svc, m, &bangdai__progress__descriptor);
    if (!p)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    char at[32];
    int rc = SERVICE_OK;
    bool case_moved = false;
    snprintf(at, sizeof at, "%lld", (long long)p->at_us);

    const char *cp[1] = { p->case_no };
    PGresult *res;
    if (p->task_id[0]) {
        const char *kind = p->kind[0] ? p->kind : "item";
        if (!p->state[0] || !p->dept[0] || (strcmp(kind, "item") == 0 && !p->item_code[0])) {
            rc = service_refuse(svc, ERR_INVALID, "state", "a task report needs task, item, department and state");
            goto out;
        }
        if (p->due_date[0]) {
            bd_day d;
            if (date_parse(p->due_date, &d)) {
                rc = service_refuse(svc, ERR_INVALID, "due_date", "'%.20s' is not a date", p->due_date);
                goto out;
            }
        }
        char pending[16], spending[16], pdays[16];
        snprintf(pending, sizeof pending, "%d", p->due_pending_year);
        snprintf(spending, sizeof spending, "%d", p->statutory_pending_year);
        snprintf(pdays, sizeof pdays, "%d", p->paused_days);
        bd_day sday;
        if ((p->statutory_due_date[0] && date_parse(p->statutory_due_date, &sday))
            || (p->paused_since[0] && date_parse(p->paused_since, &sday))) {
            rc = service_refuse(svc, ERR_INVALID, p->paused_since[0] ? "paused_since" : "statutory_due_date",
                                "not a date YYYY-MM-DD");
            goto out;
        }
        if (p->statutory_pending_year && (p->statutory_due_date[0] || p->statutory_pending_year < 1970
                                          || p->statutory_pending_year > 9999)) {
            rc = service_refuse(svc, ERR_INVALID, "statutory_pending_year", "%d is not a year a due date can wait for",
                                p->statutory_pending_year);
            goto out;
        }
        if (p->paused_days < 0 || (p->paused_kind[0] && validate_text(p->paused_kind, 32) < 0)
            || !p->paused_kind[0] != !p->paused_since[0]) {
            rc = service_refuse(svc, ERR_INVALID, "paused_kind", "a pause has a kind, a day, a reason and a number of "
                                "days not below 0");
            goto out;
        }
        if (p->due_pending_year && (p->due_date[0] || p->due_pending_year < 1970 || p->due_pending_year > 9999)) {
            rc = service_refuse(svc, ERR_INVALID, "due_pending_year", "%d is not a year a due date can wait for%s",
                                p->due_pending_year, p->due_date[0] ? " (the report has a due date)" : "");
            goto out;
        }
        if ((p->handover[0] && validate_text(p->handover, 2000)) || (p->handover_method[0] && strcmp(p->handover_method, "in_person") != 0
            && strcmp(p->handover_method, "post") != 0 && strcmp(p->handover_method, "e_licence") != 0)) {
            rc = service_refuse(svc, ERR_INVALID, "handover", "at most 2000 bytes of text, by in_person, post or e_licence");
            goto out;
        }
        const char *tp[20] = { p->task_id, p->case_no, nz(p->item_code), p->dept, nz(p->specialist),
                               p->state, nz(p->due_date), nz(p->result_doc), at, kind,
                               p->sets_due ? "t" : "f", p->due_pending_year ? pending : NULL,
                               nz(p->statutory_due_date), p->statutory_pending_year ? spending : NULL,
                               nz(p->paused_kind), nz(p->paused_reason), nz(p->paused_since), pdays,
                               nz(p->handover), nz(p->handover_method) };
        /* One statement: the case must exist; the task is stored, but only
         * a newer report changes it (an older one arriving late is
         * dropped); the case is in progress from its first task report. */
        res = db_exec(db, "intake.progress_task",
                      "WITH c AS (SELECT case_no FROM cases WHERE case_no = $2),"
                      " u AS (UPDATE cases SET state = 'IN_PROGRESS', updated_at = now()"
                      "       WHERE case_no = $2 AND state = 'SUBMITTED'),"
                      " t AS (INSERT INTO case_tasks AS t (task_id, case_no, item_code, dept, specialist, state,"
                      "        due_date, result_doc, updated_us, kind, due_pending_year, statutory_due_date,"
                      "        statutory_pending_year, paused_kind, paused_reason, paused_since, paused_days,"
                      "        handover, handover_method)"
                      "       SELECT $1, c.case_no, $3, $4, $5, $6, $7::date, $8, $9, $10, $12::int, $13::date,"
                      "              $14::int, $15, $16, $17::date, $18::int, $19, $20 FROM c"
                      "       ON CONFLICT (task_id) DO UPDATE SET"
                      "        specialist = coalesce(EXCLUDED.specialist, t.specialist),"
                      "        state = EXCLUDED.state,"
                      /* The tracker owns the deadline: what it says replaces
                       * what is held, a date that became pending included. */
                      "        due_date = CASE WHEN $11::bool THEN EXCLUDED.due_date ELSE t.due_date END,"
                      "        due_pending_year = CASE WHEN $11::bool THEN EXCLUDED.due_pending_year"
                      "                           ELSE t.due_pending_year END,"
                      "        statutory_due_date = CASE WHEN $11::bool THEN EXCLUDED.statutory_due_date"
                      "                             ELSE t.statutory_due_date END,"
                      "        statutory_pending_year = CASE WHEN $11::bool THEN EXCLUDED.statutory_pending_year"
                      "                                 ELSE t.statutory_pending_year END,"
                      "        paused_kind = CASE WHEN $11::bool THEN EXCLUDED.paused_kind ELSE t.paused_kind END,"
                      "        paused_reason = CASE WHEN $11::bool THEN EXCLUDED.paused_reason ELSE t.paused_reason END,"
                      "        paused_since = CASE WHEN $11::bool THEN EXCLUDED.paused_since ELSE t.paused_since END,"
                      "        paused_days = CASE WHEN $11::bool THEN EXCLUDED.paused_days ELSE t.paused_days END,"
                      "        result_doc = coalesce(EXCLUDED.result_doc, t.result_doc),"
                      /* Delivery owns the handover: only its reports carry one. */
                      "        handover = coalesce(EXCLUDED.handover, t.handover),"
                      "        handover_method = coalesce(EXCLUDED.handover_method, t.handover_method),"
                      "        updated_us = EXCLUDED.updated_us"
                      "       WHERE t.updated_us <= EXCLUDED.updated_us"
                      "       RETURNING t.due_date, t.due_pending_year)"
                      " SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM t),"
                      "  (SELECT coalesce(to_char(due_date, 'YYYY-MM-DD'), '') FROM t),"
                      "  (SELECT coalesce(due_pending_year, 0) FROM t)", 20, tp);
    } else {
        res = db_exec(db, "intake.progress_case", "SELECT count(*) FROM cases WHERE case_no = $1", 1, cp);
    }
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    int known = strcmp(PQgetvalue(res, 0, 0), "1") == 0;
    /* Whether the report changed the task (a late, older one does not),
     * and the due date the task has after it: the feed shows what intake
     * holds. */
    bool task_changed = p->task_id[0] && PQnfields(res) > 1 && strcmp(PQgetvalue(res, 0, 1), "1") == 0;
    char held_due[11] = "";
    int held_pending = 0;
    if (task_changed) {
        snprintf(held_due, sizeof held_due, "%s", PQgetvalue(res, 0, 2));
        held_pending = atoi(PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    if (!known) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", p->case_no);
        goto out;
    }
    if (task_changed && strcmp(p->kind[0] ? p->kind : "item", "item") == 0 &&
        (rc = intake_item_clock(svc, p)) != SERVICE_OK)
        goto out;
    if (p->task_id[0])
        log_info("case.task_progress", .case_no = p->case_no, .task = p->task_id, .dept = p->dept,
                 .detail = log_fmt("%s%s%s", p->state, p->due_date[0] ? ", due " : "", p->due_date));
    if (p->case_state[0]) {
        const char *sp[2] = { p->case_no, p->case_state };
        /* A withdrawn case stays withdrawn, whatever report comes late. */
        res = db_exec(db, "intake.case_state",
                      "UPDATE cases SET state = $2, updated_at = now()"
                      " WHERE case_no = $1 AND state <> 'WITHDRAWN' RETURNING 1", 2, sp);
        if (!res) {
            rc = SERVICE_RETRY;
            goto out;
        }
        case_moved = PQntuples(res) == 1;
        PQclear(res);
        if (case_moved)
            log_info("case.state", .case_no = p->case_no, .detail = p->case_state);
        else
            log_warn("case.state_kept", .case_no = p->case_no,
                     .detail = log_fmt("WITHDRAWN kept; %s reported after the withdrawal", p->case_state));
    }
    if (task_changed || case_moved) {
        Bangdai__FeedEvent ev = BANGDAI__FEED_EVENT__INIT;
        ev.case_no = p->case_no;
        ev.at_us = p->at_us;
        ev.kind = task_changed ? "task" : "case";
        if (task_changed) {
            ev.task_id = p->task_id;
            ev.task_kind = (char *)(p->kind[0] ? p->kind : "item");
            ev.item_code = p->item_code;
            ev.dept = p->dept;
            ev.specialist = p->specialist;
            ev.state = p->state;
            ev.due_date = held_due;
            ev.due_pending_year = held_pending;
            ev.result_doc = p->result_doc;
        }
        rc = intake_feed_queue(svc, &ev);
    }
out:
    protobuf_c_message_free_unpacked(&p->base, NULL);
    return rc;
}

int intake_case_event(struct service *svc, const struct service_msg *m)
{
    Bangdai__CaseEvent *e = service_decode(svc, m, &bangdai__case_event__descriptor);
    if (!e)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    int rc = SERVICE_OK;
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)(e->at_us ? e->at_us : business_now_us()));
    if (validate_text(e->kind, 32) || validate_text(e->text, 4000)) {
        rc = service_refuse(svc, ERR_INVALID, "text", "an event needs a kind and a text");
        goto out;
    }
    const char *p[6] = { e->case_no, at, nz(e->task_id), nz(e->dept), e->kind, e->text };
    PGresult *res = db_exec(db, "intake.case_event",
        "INSERT INTO case_log (case_no, at, task_id, dept, kind, text)"
        " SELECT $1, to_timestamp($2::bigint / 1e6), $3, $4, $5, $6 FROM cases WHERE case_no = $1", 6, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    int known = db_affected(res) == 1;
    PQclear(res);
    if (!known) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", e->case_no);
        goto out;
    }
    if (strcmp(e->kind, "lead") == 0 && e->specialist[0]) {
        const char *l[3] = { e->case_no, e->specialist, e->specialist_name };
        if (db_run(db, "intake.lead", "UPDATE cases SET lead_specialist = $2, lead_name = $3 WHERE case_no = $1", 3, l)) {
            rc = SERVICE_RETRY;
            goto out;
        }
    }
    Bangdai__FeedEvent ev = BANGDAI__FEED_EVENT__INIT;
    ev.case_no = e->case_no;
    ev.at_us = atoll(at);
    ev.kind = "log";
    ev.task_id = e->task_id;
    ev.dept = e->dept;
    ev.specialist = e->specialist;
    ev.log_kind = e->kind;
    ev.text = e->text;
    if ((rc = intake_feed_record(svc, &ev)) != SERVICE_OK)
        goto out;
    log_info("case.event", .case_no = e->case_no, .task = nz(e->task_id), .dept = nz(e->dept), .detail = e->kind);
out:
    protobuf_c_message_free_unpacked(&e->base, NULL);
    return rc;
}
