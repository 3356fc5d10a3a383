/* intake_status.c - what the hall sees of a case.
 *
 * Intake owns only its schema, so the later stages report each change of a
 * task (tracker: state and due date; delivery: delivered) and of the case
 * (evaluation: return visit opened) back here over the reliable link
 * (intake_progress.c), the router its case events (here), and status
 * queries are answered from intake's own tables.
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
