/* delivery_handover.c - handovers, receipts, fees and the end of service.
 *
 * The router checks a specialist's handover and fee (the key's department
 * owns the task, the task is decided, the catalog has a statutory fee) and
 * forwards them over the reliable link; intake forwards the unit's
 * confirmations. Here they are recorded, intake is told what the unit
 * will see, and the service ends when every item of the case is handed
 * over and confirmed (by the unit, by a download of an e-licence, or by
 * itself after delivery.confirm_days working days: delivery_scan.c).
 *
 * Exactly once: a confirmation sent twice finds nothing left to confirm;
 * the same message resent after a crash between commit and ack is a
 * duplicate in the inbox; and cases.ended_at is set in the statement that
 * decides the service ended, so ServiceEnded is emitted once per case.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "delivery.h"
#include "log.h"
#include "validate.h"

/* China time of a timestamptz column, for people. */
#define CN(col) "to_char(" col " AT TIME ZONE INTERVAL '+08:00', 'YYYY-MM-DD HH24:MI')"

static const char *nz(const char *s) { return s && *s ? s : NULL; }

int delivery_tell_intake(struct service *svc, const char *task_id, const char *state)
{
    const char *p[1] = { task_id };
    PGresult *res = db_exec(service_db(svc), "delivery.handover_text",
        "SELECT h.case_no, h.item_code, h.dept, h.method,"
        " CASE h.decision WHEN 'REJECTED' THEN 'rejection (' || coalesce(r.reason, '') || '), ' ELSE '' END"
        " || CASE h.method"
        "    WHEN 'in_person' THEN 'in person ' || " CN("h.handed_at") " || ' to ' || h.receiver"
        "                          || ', receipt ' || h.receipt_ref"
        "    WHEN 'post' THEN 'by post ' || " CN("h.handed_at") " || ', ' || h.carrier || ' ' || h.tracking_no"
        "                     || ' to ' || h.address"
        "    ELSE 'e-licence ' || " CN("h.handed_at") " || ', licence ' || h.licence_id END"
        " || CASE WHEN h.downloaded_at IS NOT NULL THEN '; downloaded ' || " CN("h.downloaded_at") " ELSE '' END"
        " || CASE WHEN h.auto_confirmed THEN '; auto-confirmed ' || " CN("h.confirmed_at")
        "         || ' (no confirmation within the limit)'"
        "    WHEN h.confirmed_at IS NOT NULL THEN '; confirmed ' || " CN("h.confirmed_at")
        "    ELSE '; not confirmed yet' END,"
        " coalesce(r.result_doc, '')"
        " FROM handovers h LEFT JOIN results r USING (task_id)"
        " WHERE h.task_id = $1 AND h.handed_at IS NOT NULL", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    if (PQntuples(res) == 1) {
        Bangdai__Progress pr = BANGDAI__PROGRESS__INIT;
        pr.task_id = (char *)task_id;
        pr.case_no = PQgetvalue(res, 0, 0);
        pr.item_code = PQgetvalue(res, 0, 1);
        pr.dept = PQgetvalue(res, 0, 2);
        pr.handover_method = PQgetvalue(res, 0, 3);
        pr.handover = PQgetvalue(res, 0, 4);
        pr.result_doc = PQgetvalue(res, 0, 5);
        pr.state = (char *)state;
        pr.at_us = business_now_us();
        if (service_emit(svc, "intake", MSG_PROGRESS, pr.case_no, &pr.base, NULL))
            rc = SERVICE_RETRY;
    }
    PQclear(res);
    return rc;
}

int delivery_end_if_done(struct service *svc, const char *case_no)
{
    char now[32];
    snprintf(now, sizeof now, "%lld", (long long)business_now_us());
    const char *p[2] = { case_no, now };
    /* Every item decided (the tracker said how many the case has) and
     * every one confirmed; ended_at IS NULL makes it once. */
    PGresult *res = db_exec(service_db(svc), "delivery.end",
        "UPDATE cases c SET ended_at = to_timestamp($2::bigint / 1e6)"
        " WHERE case_no = $1 AND ended_at IS NULL"
        " AND (SELECT count(*) FROM handovers h WHERE h.case_no = c.case_no AND h.confirmed_at IS NOT NULL)"
        "     >= c.task_count"
        " RETURNING task_count", 2, p);
    if (!res)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    if (PQntuples(res) == 1) {
        Bangdai__ServiceEnded se = BANGDAI__SERVICE_ENDED__INIT;
        se.case_no = (char *)case_no;
        se.tasks = atoi(PQgetvalue(res, 0, 0));
        se.at_us = atoll(now);
        if (service_emit(svc, "evaluation", MSG_SERVICE_ENDED, case_no, &se.base, NULL))
            rc = SERVICE_RETRY;
        else
            log_info("service.ended", .case_no = case_no,
                     .detail = log_fmt("%d items handed over and confirmed", se.tasks));
    }
    PQclear(res);
    return rc;
}

/* The fields the method needs, present and plain text. */
static int check_method(struct service *svc, const Bangdai__Handover *h)
{
    struct { const char *field, *value; } need[3];
    size_t n = 0;
    if (strcmp(h->method, "in_person") == 0) {
        need[n].field = "receiver"; need[n++].value = h->receiver;
        need[n].field = "receipt_ref"; need[n++].value = h->receipt_ref;
    } else if (strcmp(h->method, "post") == 0) {
        need[n].field = "carrier"; need[n++].value = h->carrier;
        need[n].field = "tracking_no"; need[n++].value = h->tracking_no;
        need[n].field = "address"; need[n++].value = h->address;
    } else if (strcmp(h->method, "e_licence") == 0) {
        need[n].field = "licence_id"; need[n++].value = h->licence_id;
    } else {
        return service_refuse(svc, ERR_INVALID, "method", "'%.20s' is not in_person, post or e_licence", h->method);
    }
    for (size_t i = 0; i < n; i++)
        if (!need[i].value[0] || validate_text(need[i].value, 500))
            return service_refuse(svc, ERR_INVALID, need[i].field, "required for %s, at most 500 bytes",
                                  h->method);
    return SERVICE_OK;
}

int delivery_handover(struct service *svc, const struct service_msg *m)
{
    Bangdai__Handover *h = service_decode(svc, m, &bangdai__handover__descriptor);
    if (!h)
        return SERVICE_REFUSE;
    int rc = check_method(svc, h);
    PGresult *res = NULL;
    if (rc != SERVICE_OK)
        goto out;
    if (!h->task_id[0] || h->at_us <= 0 || !h->handed_by[0]) {
        rc = service_refuse(svc, ERR_INVALID, "at_us", "a handover names its task, time and who recorded it");
        goto out;
    }
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)h->at_us);
    const char *p[10] = { h->task_id, h->method, at, h->handed_by, nz(h->receiver), nz(h->receipt_ref),
                          nz(h->carrier), nz(h->tracking_no), nz(h->address), nz(h->licence_id) };
    res = db_exec(service_db(svc), "delivery.handover",
        "UPDATE handovers SET method = $2, handed_at = to_timestamp($3::bigint / 1e6), handed_by = $4,"
        " receiver = $5, receipt_ref = $6, carrier = $7, tracking_no = $8, address = $9, licence_id = $10"
        " WHERE task_id = $1 AND handed_at IS NULL RETURNING case_no, dept", 10, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        res = db_exec(service_db(svc), "delivery.handover_known",
                      "SELECT handed_at IS NOT NULL FROM handovers WHERE task_id = $1", 1, p);
        if (!res)
            rc = SERVICE_RETRY;
        else if (PQntuples(res) == 0)
            /* The router saw the decision; the tracker's TaskDecided has
             * not reached us yet. It will. */
            rc = service_defer(svc, ERR_NOT_FOUND, "task_id", "no decision of task %.96s yet", h->task_id);
        else
            rc = service_refuse(svc, ERR_CONFLICT, "task_id", "task %.96s was handed over already", h->task_id);
        goto out;
    }
    log_info("handover.recorded", .case_no = PQgetvalue(res, 0, 0), .task = h->task_id,
             .dept = PQgetvalue(res, 0, 1), .detail = log_fmt("%s by %s", h->method, h->handed_by));
    rc = delivery_tell_intake(svc, h->task_id, "HANDED_OVER");
out:
    PQclear(res);
    protobuf_c_message_free_unpacked(&h->base, NULL);
    return rc;
}

int delivery_receipt(struct service *svc, const struct service_msg *m)
{
    Bangdai__ReceiptRequest *r = service_decode(svc, m, &bangdai__receipt_request__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    PGresult *res = NULL;
    bool download = strcmp(r->kind, "download") == 0;
    if (!download && r->kind[0] && strcmp(r->kind, "receipt") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "kind", "'%.20s' is neither receipt nor download", r->kind);
        goto out;
    }
    if (!r->case_no[0] || (download && !r->task_id[0])) {
        rc = service_refuse(svc, ERR_INVALID, download ? "task_id" : "case_no",
                            "a confirmation names the case (and for a download the task)");
        goto out;
    }
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)(r->at_us > 0 ? r->at_us : business_now_us()));
    const char *p[3] = { r->case_no, r->task_id, at };
    /* Only what is not confirmed yet: a confirmation sent twice confirms
     * nothing the second time. A download is recorded once and confirms
     * the e-licence. */
    if (download)
        res = db_exec(service_db(svc), "delivery.download",
            "UPDATE handovers SET downloaded_at = to_timestamp($3::bigint / 1e6),"
            " confirmed_at = coalesce(confirmed_at, to_timestamp($3::bigint / 1e6)),"
            " confirmed_by = coalesce(confirmed_by, 'download')"
            " WHERE case_no = $1 AND task_id = $2 AND method = 'e_licence' AND handed_at IS NOT NULL"
            " AND downloaded_at IS NULL RETURNING task_id", 3, p);
    else
        res = db_exec(service_db(svc), "delivery.confirm",
            "UPDATE handovers SET confirmed_at = to_timestamp($3::bigint / 1e6), confirmed_by = 'unit'"
            " WHERE case_no = $1 AND ($2 = '' OR task_id = $2) AND handed_at IS NOT NULL"
            " AND confirmed_at IS NULL RETURNING task_id", 3, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    int n = PQntuples(res);
    if (n == 0)
        log_info("receipt.nothing_new", .case_no = r->case_no, .task = nz(r->task_id),
                 .detail = log_fmt("%s: nothing left to confirm", download ? "download" : "receipt"));
    for (int i = 0; i < n && rc == SERVICE_OK; i++) {
        log_info(download ? "licence.downloaded" : "receipt.confirmed", .case_no = r->case_no,
                 .task = PQgetvalue(res, i, 0));
        rc = delivery_tell_intake(svc, PQgetvalue(res, i, 0), "DELIVERED");
    }
    if (rc == SERVICE_OK && n > 0)
        rc = delivery_end_if_done(svc, r->case_no);
out:
    PQclear(res);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int delivery_fee(struct service *svc, const struct service_msg *m)
{
    Bangdai__Fee *f = service_decode(svc, m, &bangdai__fee__descriptor);
    if (!f)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    bd_day day;
    if (f->amount_fen <= 0) {
        rc = service_refuse(svc, ERR_INVALID, "amount_fen", "a fee is above 0");
        goto out;
    }
    if (!f->task_id[0] || !f->case_no[0] || !f->item_code[0] || !f->recorded_by[0]) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "a fee names its task, case, item and who recorded it");
        goto out;
    }
    if (!f->payee[0] || validate_text(f->payee, 200)) {
        rc = service_refuse(svc, ERR_INVALID, "payee", "required, at most 200 bytes");
        goto out;
    }
    if (date_parse(f->paid_on, &day)) {
        rc = service_refuse(svc, ERR_INVALID, "paid_on", "not a date YYYY-MM-DD");
        goto out;
    }
    char fen[32], text[400];
    snprintf(fen, sizeof fen, "%lld", (long long)f->amount_fen);
    const char *p[7] = { f->case_no, f->task_id, f->item_code, fen, f->payee, f->paid_on, f->recorded_by };
    if (db_run(service_db(svc), "delivery.fee",
               "INSERT INTO fees (case_no, task_id, item_code, amount_fen, payee, paid_on, recorded_by)"
               " VALUES ($1, $2, $3, $4::bigint, $5, $6::date, $7)", 7, p)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    snprintf(text, sizeof text, "statutory fee %lld.%02lld yuan for %s paid to %s on %s",
             (long long)(f->amount_fen / 100), (long long)(f->amount_fen % 100), f->item_code, f->payee,
             f->paid_on);
    log_info("fee.recorded", .case_no = f->case_no, .task = f->task_id, .detail = log_fmt("%s fen", fen));
    Bangdai__CaseEvent ev = BANGDAI__CASE_EVENT__INIT;
    ev.case_no = f->case_no;
    ev.task_id = f->task_id;
    ev.dept = f->dept;
    ev.kind = "fee";
    ev.text = text;
    ev.at_us = business_now_us();
    if (service_emit(svc, "intake", MSG_CASE_EVENT, f->case_no, &ev.base, NULL))
        rc = SERVICE_RETRY;
out:
    protobuf_c_message_free_unpacked(&f->base, NULL);
    return rc;
}
