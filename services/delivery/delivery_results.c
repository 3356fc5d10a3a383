/* delivery_results.c - results as they are decided.
 *
 * A decided item does not count as delivered: it waits for its handover
 * (delivery_handover.c), which the specialist records and the unit
 * confirms. A rejection is handed over too: the unit must receive the
 * decision and its reason. The case's row counts the items the service
 * must deliver before it ends.
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

    if (!td->task_id[0] || !td->case_no[0] || td->case_task_count < 1) {
        rc = service_refuse(svc, ERR_INVALID, "case_task_count", "task, case and a task count are required");
        goto out;
    }
    if (strcmp(td->decision, "APPROVED") != 0 && strcmp(td->decision, "REJECTED") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "decision", "'%.20s' is neither APPROVED nor REJECTED", td->decision);
        goto out;
    }
    /* The case's preferred method, kept beside the result; the handover
     * records the method actually used. */
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
    const char *hp[6] = { td->task_id, td->case_no, td->item_code, td->dept, td->decision, decided };
    if (db_run(db, "delivery.result",
               "INSERT INTO results (task_id, case_no, item_code, dept, decision, result_doc, result_kind,"
               " reason, decided_at, method)"
               " VALUES ($1,$2,$3,$4,$5,$6,$7,$8, to_timestamp($9::bigint / 1e6), $10)"
               " ON CONFLICT (task_id) DO NOTHING", 10, rp)
        || db_run(db, "delivery.awaiting",
               "INSERT INTO handovers (task_id, case_no, item_code, dept, decision, decided_at)"
               " VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint / 1e6))"
               " ON CONFLICT (task_id) DO NOTHING", 6, hp)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info("result.awaiting_handover", .case_no = td->case_no, .task = td->task_id, .dept = td->dept,
             .detail = log_fmt("%s %s; the unit prefers %s", td->decision, td->result_doc, method));
out:
    protobuf_c_message_free_unpacked(&td->base, NULL);
    return rc;
}
