/* evaluation_visits.c - the return visit (回访) that follows every service:
 * the hall management calls the unit back and rates the specialist. */
#include <stdio.h>

#include "db.h"
#include "evaluation.h"
#include "log.h"

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
    int64_t at = se->at_us ? se->at_us : business_now_us();
    if (calendar_add_workdays(&service_config(svc)->calendar, date_from_unix_us(at),
                              service_config(svc)->return_visit_days, &d, NULL, &missing) == 0)
        date_format(d, due);
    if (due[0])
        snprintf(when, sizeof when, "visit due %s", due);
    else
        snprintf(when, sizeof when, "visit due date pending the %d calendar", missing);
    snprintf(tasks, sizeof tasks, "%d", se->tasks);
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
