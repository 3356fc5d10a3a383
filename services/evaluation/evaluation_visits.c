/* evaluation_visits.c - the return visit (回访) that follows every service:
 * the hall management calls the unit back and rates the specialist.
 *
 * Evaluation learns who served each item from the tracker's TaskDecided
 * (the copy of what delivery gets), and the end of the service from
 * delivery's ServiceEnded. The two come over different links, so the
 * ServiceEnded of a case whose items are not all known yet is deferred
 * (it comes again), never opened half-known. */
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "evaluation.h"
#include "log.h"
#include "validate.h"

void evaluation_today(char out[11])
{
    date_format(date_from_unix_us(business_now_us()), out);
}

int evaluation_task_decided(struct service *svc, const struct service_msg *m)
{
    Bangdai__TaskDecided *td = service_decode(svc, m, &bangdai__task_decided__descriptor);
    if (!td)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    char at[32];
    if (!td->task_id[0] || !td->case_no[0] || !td->dept[0] || !td->item_code[0]) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "a task, its case, item and department are required");
        goto out;
    }
    snprintf(at, sizeof at, "%lld", (long long)(td->at_us ? td->at_us : business_now_us()));
    const char *p[7] = { td->task_id, td->case_no, td->item_code, td->dept,
                         td->specialist[0] ? td->specialist : NULL, td->decision, at };
    if (db_run(service_db(svc), "evaluation.served",
               "INSERT INTO served_tasks (task_id, case_no, item_code, dept, specialist, decision, decided_at)"
               " VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::bigint / 1e6))"
               " ON CONFLICT (task_id) DO NOTHING", 7, p))
        rc = SERVICE_RETRY;
out:
    protobuf_c_message_free_unpacked(&td->base, NULL);
    return rc;
}

int evaluation_service_ended(struct service *svc, const struct service_msg *m)
{
    Bangdai__ServiceEnded *se = service_decode(svc, m, &bangdai__service_ended__descriptor);
    if (!se)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    char tasks[16], ended[32], due[11] = "", when[64];
    bd_day d;
    int missing = 0;

    if (!se->case_no[0] || se->tasks < 1) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case and its number of tasks are required");
        goto out;
    }
    snprintf(tasks, sizeof tasks, "%d", se->tasks);
    const char *kp[2] = { se->case_no, tasks };
    PGresult *known = db_exec(service_db(svc), "evaluation.served_count",
        "SELECT count(*) >= $2::int FROM served_tasks WHERE case_no = $1", 2, kp);
    if (!known) {
        rc = SERVICE_RETRY;
        goto out;
    }
    bool all = PQgetvalue(known, 0, 0)[0] == 't';
    PQclear(known);
    if (!all) {
        rc = service_defer(svc, ERR_NOT_FOUND, "case_no", "the items of %.64s are not all known yet", se->case_no);
        goto out;
    }
    int64_t at = se->at_us ? se->at_us : business_now_us();
    if (calendar_add_workdays(&service_config(svc)->calendar, date_from_unix_us(at),
                              service_config(svc)->return_visit_days, &d, NULL, &missing) == 0)
        date_format(d, due);
    if (due[0])
        snprintf(when, sizeof when, "visit due %s", due);
    else
        snprintf(when, sizeof when, "visit due date pending the %d calendar", missing);
    snprintf(ended, sizeof ended, "%lld", (long long)at);
    const char *p[4] = { se->case_no, tasks, ended, due[0] ? due : NULL };
    PGresult *res = db_exec(service_db(svc), "evaluation.open_visit",
        "INSERT INTO return_visits (case_no, tasks, ended_at, due_on)"
        " VALUES ($1, $2::int, to_timestamp($3::bigint / 1e6), $4::date)"
        " ON CONFLICT (case_no) DO NOTHING", 4, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    int opened = db_affected(res) == 1;
    PQclear(res);
    if (!opened)
        goto out;
    log_info("return_visit.opened", .case_no = se->case_no,
             .detail = log_fmt("%d tasks, %s", se->tasks, when));
    Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
    pr.case_no = se->case_no;
    pr.case_state = "RETURN_VISIT_OPEN";
    pr.at_us = business_now_us();
    if (service_emit(svc, "intake", MSG_PROGRESS, se->case_no, &pr.base, NULL))
        rc = SERVICE_RETRY;
out:
    protobuf_c_message_free_unpacked(&se->base, NULL);
    return rc;
}

int evaluation_visit_list(struct service *svc, const struct service_msg *m)
{
    Bangdai__VisitListRequest *vr = service_decode(svc, m, &bangdai__visit_list_request__descriptor);
    if (!vr)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    char limit[16], today[11];
    Bangdai__VisitInfo *rows = NULL, **ptrs = NULL;
    evaluation_today(today);
    if (vr->limit > 500) {
        rc = service_refuse(svc, ERR_INVALID, "limit", "at most 500 visits a page");
        goto out;
    }
    snprintf(limit, sizeof limit, "%u", vr->limit ? vr->limit : 100);
    const char *p[1] = { limit };
    /* Overdue first: the earliest due date first, a visit without one last. */
    PGresult *res = db_exec(service_db(svc), "evaluation.visit_list",
        "SELECT case_no, coalesce(to_char(due_on, 'YYYY-MM-DD'), ''), tasks,"
        " (extract(epoch FROM ended_at) * 1e6)::bigint"
        " FROM return_visits WHERE done_at IS NULL"
        " ORDER BY due_on NULLS LAST, case_no LIMIT $1::int", 1, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    size_t n = (size_t)PQntuples(res);
    rows = calloc(n + 1, sizeof *rows);
    ptrs = calloc(n + 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        PQclear(res);
        rc = SERVICE_RETRY;
        goto out;
    }
    bd_day t = date_from_unix_us(business_now_us()), due;
    for (size_t i = 0; i < n; i++) {
        bangdai__visit_info__init(&rows[i]);
        rows[i].case_no = PQgetvalue(res, (int)i, 0);
        rows[i].due_on = PQgetvalue(res, (int)i, 1);
        rows[i].tasks = atoi(PQgetvalue(res, (int)i, 2));
        rows[i].ended_at_us = atoll(PQgetvalue(res, (int)i, 3));
        if (rows[i].due_on[0] && !date_parse(rows[i].due_on, &due) && due < t)
            rows[i].overdue_days = calendar_workdays_seen(&service_config(svc)->calendar, due, t);
        ptrs[i] = &rows[i];
    }
    Bangdai__VisitListReply rep = BANGDAI__VISIT_LIST_REPLY__INIT;
    rep.today = today;
    rep.visits = ptrs;
    rep.n_visits = n;
    if (service_reply(svc, MSG_VISIT_LIST_REPLY, NULL, &rep.base))
        rc = SERVICE_RETRY;
    PQclear(res);
out:
    free(rows);
    free(ptrs);
    protobuf_c_message_free_unpacked(&vr->base, NULL);
    return rc;
}
