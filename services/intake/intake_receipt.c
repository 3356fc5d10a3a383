/* intake_receipt.c - the unit confirms it received its results.
 *
 * `bangdai-hall receipt CASE [--task TASK]` (or the hall's own client)
 * confirms receipt of one handed-over result or of every one not yet
 * confirmed; `bangdai-hall download CASE TASK` records that the unit
 * downloaded an e-licence, which confirms it. Intake checks the request
 * against what delivery reported of each task (HANDED_OVER or DELIVERED,
 * and the method), forwards it to delivery over the reliable link, and
 * answers with the tasks it covers. Delivery confirms only what is not
 * confirmed yet, so a confirmation sent twice changes nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "intake.h"
#include "log.h"
#include "validate.h"

int intake_receipt(struct service *svc, const struct service_msg *m)
{
    Bangdai__ReceiptRequest *r = service_decode(svc, m, &bangdai__receipt_request__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    PGresult *c = NULL, *t = NULL;
    char **ids = NULL;
    bool download = strcmp(r->kind, "download") == 0;
    if (!download && r->kind[0] && strcmp(r->kind, "receipt") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "kind", "'%.20s' is neither receipt nor download", r->kind);
        goto out;
    }
    if (!r->case_no[0] || validate_text(r->case_no, 64)) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case number is required");
        goto out;
    }
    if ((download && !r->task_id[0]) || (r->task_id[0] && validate_text(r->task_id, 128))) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "a download names the e-licence's task");
        goto out;
    }
    const char *p[2] = { r->case_no, r->task_id };
    if (!(c = db_exec(service_db(svc), "intake.receipt_case", "SELECT state FROM cases WHERE case_no = $1", 1, p))) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(c) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", r->case_no);
        goto out;
    }
    t = db_exec(service_db(svc), "intake.receipt_tasks",
                "SELECT task_id, state, coalesce(handover_method, '') FROM case_tasks"
                " WHERE case_no = $1 AND kind = 'item' AND ($2 = '' OR task_id = $2)"
                " ORDER BY length(task_id), task_id", 2, p);
    if (!t) {
        rc = SERVICE_RETRY;
        goto out;
    }
    int n = PQntuples(t);
    if (r->task_id[0] && n == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no item task %.96s in case %.64s", r->task_id, r->case_no);
        goto out;
    }
    ids = calloc((size_t)n + 1, sizeof *ids);
    if (!ids) {
        rc = SERVICE_RETRY;
        goto out;
    }
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        const char *state = PQgetvalue(t, i, 1);
        bool handed = strcmp(state, "HANDED_OVER") == 0 || strcmp(state, "DELIVERED") == 0;
        if (r->task_id[0] && !handed) {
            rc = service_refuse(svc, ERR_INVALID, "task_id", "task %.96s is %s: nothing was handed over yet",
                                r->task_id, state);
            goto out;
        }
        if (download && strcmp(PQgetvalue(t, i, 2), "e_licence") != 0) {
            rc = service_refuse(svc, ERR_INVALID, "task_id", "task %.96s was not handed over as an e-licence",
                                r->task_id);
            goto out;
        }
        if (handed)
            ids[k++] = PQgetvalue(t, i, 0);
    }
    if (k == 0) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "nothing of case %.64s was handed over yet", r->case_no);
        goto out;
    }
    Bangdai__ReceiptRequest fwd = BANGDAI__RECEIPT_REQUEST__INIT;
    fwd.case_no = r->case_no;
    fwd.task_id = r->task_id;
    fwd.kind = (char *)(download ? "download" : "receipt");
    fwd.at_us = business_now_us();
    if (service_emit(svc, "delivery", MSG_RECEIPT, r->case_no, &fwd.base, NULL)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info(download ? "receipt.download" : "receipt.received", .case_no = r->case_no, .task = r->task_id[0] ? r->task_id : NULL,
             .detail = log_fmt("%zu task%s", k, k == 1 ? "" : "s"));
    Bangdai__ReceiptReply rep = BANGDAI__RECEIPT_REPLY__INIT;
    rep.case_no = r->case_no;
    rep.task_ids = ids;
    rep.n_task_ids = k;
    rep.kind = fwd.kind;
    rc = service_reply(svc, MSG_RECEIPT_REPLY, r->case_no, &rep.base);
out:
    free(ids);
    PQclear(c);
    PQclear(t);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}
