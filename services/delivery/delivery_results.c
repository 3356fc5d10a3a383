/* delivery_results.c - results and their delivery (统一送达).
 *
 * An e-licence is delivered by being available for download; a paper
 * result goes the way the unit chose (in person or by post). A rejection is
 * delivered too: the unit must receive the decision and its reason. When
 * the last task of a case is delivered the service has ended and evaluation
 * is told, once: delivery.cases.ended_at guards it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "delivery.h"
#include "log.h"

int delivery_task_decided(struct service *svc, const struct service_msg *m)
{
    Bangdai__TaskDecided *td = service_decode(svc, m, &bangdai__task_decided__descriptor);
    if (!td)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    int rc = SERVICE_OK;
    char count[16], decided[32];
    PGresult *res = NULL;

    if (!td->task_id[0] || !td->case_no[0] || td->case_task_count < 1) {
        rc = service_refuse(svc, ERR_INVALID, "case_task_count", "task, case and a task count are required");
        goto out;
    }
    if (strcmp(td->decision, "APPROVED") != 0 && strcmp(td->decision, "REJECTED") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "decision", "'%.20s' is neither APPROVED nor REJECTED", td->decision);
        goto out;
    }
    const char *method = strcmp(td->result_kind, "e_licence") == 0 ? "e_licence"
                       : td->delivery[0] ? td->delivery : "in_person";
    snprintf(count, sizeof count, "%d", td->case_task_count);
    snprintf(decided, sizeof decided, "%lld", (long long)(td->at_us ? td->at_us : business_now_us()));
    const char *cp[2] = { td->case_no, count };
    if (db_run(db, "delivery.case",
               "INSERT INTO cases (case_no, task_count) VALUES ($1, $2::int) ON CONFLICT (case_no) DO NOTHING", 2, cp)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    const char *rp[10] = { td->task_id, td->case_no, td->item_code, td->dept, td->decision,
                           td->result_doc[0] ? td->result_doc : NULL,
                           td->result_kind[0] ? td->result_kind : NULL,
                           td->reason[0] ? td->reason : NULL, decided, method };
    if (db_run(db, "delivery.result",
               "INSERT INTO results (task_id, case_no, item_code, dept, decision, result_doc, result_kind,"
               " reason, decided_at, method)"
               " VALUES ($1,$2,$3,$4,$5,$6,$7,$8, to_timestamp($9::bigint / 1e6), $10)"
               " ON CONFLICT (task_id) DO NOTHING", 10, rp)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info("result.delivered", .case_no = td->case_no, .task = td->task_id, .dept = td->dept,
             .detail = log_fmt("%s %s by %s", td->decision, td->result_doc, method));

    Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
    pr.task_id = td->task_id;
    pr.case_no = td->case_no;
    pr.item_code = td->item_code;
    pr.dept = td->dept;
    pr.state = "DELIVERED";
    pr.result_doc = td->result_doc;
    pr.at_us = business_now_us();
    if (service_emit(svc, "intake", MSG_PROGRESS, td->case_no, &pr.base, NULL)) {
        rc = SERVICE_RETRY;
        goto out;
    }

    /* The last delivery of the case ends the service, exactly once. */
    const char *ep[1] = { td->case_no };
    res = db_exec(db, "delivery.end",
        "UPDATE cases c SET ended_at = now() WHERE case_no = $1 AND ended_at IS NULL"
        " AND (SELECT count(*) FROM results r WHERE r.case_no = c.case_no) >= c.task_count"
        " RETURNING task_count", 1, ep);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(res) == 1) {
        Bangdai__ServiceEnded se = BANGDAI__SERVICE_ENDED__INIT;
        se.case_no = td->case_no;
        se.tasks = atoi(PQgetvalue(res, 0, 0));
        se.at_us = business_now_us();
        if (service_emit(svc, "evaluation", MSG_SERVICE_ENDED, td->case_no, &se.base, NULL)) {
            rc = SERVICE_RETRY;
            goto out;
        }
        log_info("service.ended", .case_no = td->case_no, .detail = log_fmt("%d tasks delivered", se.tasks));
    }
out:
    PQclear(res);
    protobuf_c_message_free_unpacked(&td->base, NULL);
    return rc;
}
