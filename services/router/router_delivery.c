/* router_delivery.c - what a specialist reports of delivery: the handover
 * of a decided item's result (统一送达) and the statutory fees the unit
 * paid.
 *
 * The router checks them, because it holds the tasks and answers the
 * agent: the key's department must own the item task; a handover needs a
 * decided task, once, with its method's fields; a fee needs an item whose
 * catalog entry has a statutory fee (the service itself is free), an
 * amount above 0 in yuan with at most two decimals, a payee and a day.
 * What passes is recorded in the task's history and forwarded to delivery,
 * which owns handovers and fees, over the reliable link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "log.h"
#include "router.h"
#include "validate.h"

/* The task's state, result kind, case and item; NULL after a failure. */
static PGresult *load(struct service *svc, const char *task_id)
{
    const char *p[1] = { task_id };
    return db_exec(service_db(svc), "router.delivery_task",
                   "SELECT state, coalesce(result_kind, ''), case_no, coalesce(item_code, ''),"
                   " EXISTS (SELECT 1 FROM task_history h WHERE h.task_id = t.task_id AND h.event = 'handover'),"
                   /* 统一送达: how many items of the case are not decided yet. */
                   " (SELECT c.delivery_together FROM cases c WHERE c.case_no = t.case_no),"
                   " (SELECT count(*) FROM tasks i WHERE i.case_no = t.case_no AND i.kind = 'item'"
                   "   AND i.state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED'))"
                   " FROM tasks t WHERE task_id = $1 FOR UPDATE", 1, p);
}

/* "YYYY-MM-DD HH:MM" (China time) as Unix microseconds; -1 when it is not one. */
static int parse_minute(const char *text, int64_t *out)
{
    char date[11];
    int hh, mm, used = 0;
    bd_day day;
    if (strlen(text) != 16 || text[10] != ' ')
        return -1;
    snprintf(date, sizeof date, "%.10s", text);
    if (date_parse(date, &day) || sscanf(text + 11, "%2d:%2d%n", &hh, &mm, &used) != 2 || used != 5
        || hh < 0 || hh > 23 || mm < 0 || mm > 59 || text[13] != ':')
        return -1;
    *out = ((int64_t)day * 86400 + hh * 3600 + mm * 60 - 8 * 3600) * 1000000;
    return 0;
}

/* Each method's fields: required for it, refused for the others. */
static int check_fields(struct service *svc, const Bangdai__Handover *h)
{
    static const char *const methods[] = { "in_person", "post", "e_licence" };
    const struct { const char *name, *value; int method; } fields[] = {
        { "receiver", h->receiver, 0 }, { "receipt_ref", h->receipt_ref, 0 },
        { "carrier", h->carrier, 1 }, { "tracking_no", h->tracking_no, 1 }, { "address", h->address, 1 },
        { "licence_id", h->licence_id, 2 },
    };
    int method = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(h->method, methods[i]) == 0)
            method = i;
    if (method < 0)
        return service_refuse(svc, ERR_INVALID, "method", "'%.20s' is not in_person, post or e_licence", h->method);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].method == method && (!fields[i].value[0] || validate_text(fields[i].value, 500)))
            return service_refuse(svc, ERR_INVALID, fields[i].name, "required for %s, at most 500 bytes of text",
                                  h->method);
        if (fields[i].method != method && fields[i].value[0])
            return service_refuse(svc, ERR_INVALID, fields[i].name, "not a field of a handover %s",
                                  h->method);
    }
    return SERVICE_OK;
}

int router_handover(struct service *svc, const struct service_msg *m)
{
    Bangdai__Handover *h = service_decode(svc, m, &bangdai__handover__descriptor);
    if (!h)
        return SERVICE_REFUSE;
    const char *dept = router_peer_dept(m, h->dept);
    char kind[16] = "";
    PGresult *t = NULL;
    int64_t at = business_now_us();
    int rc = router_own_task(svc, h->task_id, dept, kind);
    if (rc == SERVICE_OK && strcmp(kind, "item") != 0)
        rc = service_refuse(svc, ERR_INVALID, "task_id", "%.96s is a %s task: only an item's result is handed over",
                            h->task_id, kind);
    if (rc == SERVICE_OK)
        rc = check_fields(svc, h);
    if (rc == SERVICE_OK && h->at[0] && (parse_minute(h->at, &at) || at > business_now_us()))
        rc = service_refuse(svc, ERR_INVALID, "at", "'%.40s' is not a time YYYY-MM-DD HH:MM up to now", h->at);
    if (rc != SERVICE_OK)
        goto out;
    if (!(t = load(svc, h->task_id))) {
        rc = SERVICE_RETRY;
        goto out;
    }
    const char *state = PQgetvalue(t, 0, 0), *result_kind = PQgetvalue(t, 0, 1);
    if (strcmp(state, "APPROVED") != 0 && strcmp(state, "REJECTED") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "task %.96s is %s: only a decided item is handed over",
                            h->task_id, state);
        goto out;
    }
    if (strcmp(PQgetvalue(t, 0, 4), "t") == 0) {
        rc = service_refuse(svc, ERR_CONFLICT, "task_id", "task %.96s was handed over already", h->task_id);
        goto out;
    }
    if (strcmp(PQgetvalue(t, 0, 5), "t") == 0 && strcmp(PQgetvalue(t, 0, 6), "0") != 0) {
        rc = service_refuse(svc, ERR_CONFLICT, "state", "case %.64s is delivered together (统一送达): its results "
                            "are handed over once every item is decided (%s not yet)", PQgetvalue(t, 0, 2),
                            PQgetvalue(t, 0, 6));
        goto out;
    }
    if (strcmp(h->method, "e_licence") == 0 && (strcmp(state, "APPROVED") != 0 || strcmp(result_kind, "e_licence") != 0)) {
        rc = service_refuse(svc, ERR_INVALID, "method", "task %.96s has no e-licence (%s, result %s): hand it "
                            "over in person or by post", h->task_id, state, result_kind[0] ? result_kind : "-");
        goto out;
    }
    char at_s[32];
    snprintf(at_s, sizeof at_s, "%lld", (long long)at);
    const char *actor = m->peer ? m->peer->name : dept;
    const char *hp[9] = { h->task_id, actor, h->method, at_s, h->receiver, h->receipt_ref,
                          h->carrier, h->tracking_no, h->licence_id };
    if (db_run(service_db(svc), "router.handover_history",
               "INSERT INTO task_history (task_id, from_state, to_state, actor, event, payload)"
               " SELECT task_id, state, state, $2, 'handover', json_strip_nulls(json_build_object("
               "  'method', $3::text, 'at_us', $4::bigint, 'receiver', nullif($5::text, ''),"
               "  'receipt_ref', nullif($6::text, ''), 'carrier', nullif($7::text, ''),"
               "  'tracking_no', nullif($8::text, ''), 'licence_id', nullif($9::text, '')))"
               " FROM tasks WHERE task_id = $1", 9, hp)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    Bangdai__Handover out = *h;     /* the agent's fields, and the router's */
    out.dept = (char *)dept;
    out.case_no = PQgetvalue(t, 0, 2);
    out.item_code = PQgetvalue(t, 0, 3);
    out.handed_by = (char *)actor;
    out.at_us = at;
    rc = service_emit(svc, "delivery", MSG_HANDOVER, out.case_no, &out.base, NULL);
    if (rc == SERVICE_OK)
        log_info("task.handover", .case_no = PQgetvalue(t, 0, 2), .task = h->task_id, .dept = dept,
                 .detail = h->method);
out:
    PQclear(t);
    protobuf_c_message_free_unpacked(&h->base, NULL);
    return rc;
}

/* "1234.50" yuan as fen; -1 when it is not an amount with at most two
 * decimals below 10^9 yuan. */
static int parse_yuan(const char *text, int64_t *fen)
{
    int64_t yuan = 0, cents = 0;
    int digits = 0, decimals = -1;
    for (const char *c = text; *c; c++) {
        if (*c == '.' && decimals < 0 && digits > 0) {
            decimals = 0;
        } else if (*c >= '0' && *c <= '9') {
            if (decimals < 0) {
                if (++digits > 9)
                    return -1;
                yuan = yuan * 10 + (*c - '0');
            } else {
                if (++decimals > 2)
                    return -1;
                cents = cents * 10 + (*c - '0');
            }
        } else {
            return -1;
        }
    }
    if (digits == 0 || decimals == 0)
        return -1;
    if (decimals == 1)
        cents *= 10;
    *fen = yuan * 100 + cents;
    return 0;
}

int router_fee(struct service *svc, const struct service_msg *m)
{
    Bangdai__Fee *f = service_decode(svc, m, &bangdai__fee__descriptor);
    if (!f)
        return SERVICE_REFUSE;
    const char *dept = router_peer_dept(m, f->dept);
    char kind[16] = "";
    PGresult *t = NULL;
    int64_t fen = 0;
    bd_day paid;
    int rc = router_own_task(svc, f->task_id, dept, kind);
    if (rc == SERVICE_OK && strcmp(kind, "item") != 0)
        rc = service_refuse(svc, ERR_INVALID, "task_id", "%.96s is a %s task: a fee belongs to an item", f->task_id,
                            kind);
    if (rc != SERVICE_OK)
        goto out;
    if (!(t = load(svc, f->task_id))) {
        rc = SERVICE_RETRY;
        goto out;
    }
    const struct cfg_item *item = config_item(service_config(svc), PQgetvalue(t, 0, 3));
    if (!item || !item->fee) {
        rc = service_refuse(svc, ERR_INVALID, "amount", "item %.20s carries no statutory fee (catalog fee: false): "
                            "the 帮代办 service is free and records only fees the law makes the unit pay",
                            PQgetvalue(t, 0, 3));
        goto out;
    }
    if (strcmp(PQgetvalue(t, 0, 0), "CANCELLED") == 0) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "task %.96s is cancelled", f->task_id);
        goto out;
    }
    if (parse_yuan(f->amount, &fen) || fen <= 0) {
        rc = service_refuse(svc, ERR_INVALID, "amount", "'%.40s' is not an amount in yuan above 0 with at most two "
                            "decimals (1234.50)", f->amount);
        goto out;
    }
    if (!f->payee[0] || validate_text(f->payee, 200)) {
        rc = service_refuse(svc, ERR_INVALID, "payee", "the authority paid is required, at most 200 bytes");
        goto out;
    }
    if (date_parse(f->paid_on, &paid) || paid > date_from_unix_us(business_now_us())) {
        rc = service_refuse(svc, ERR_INVALID, "paid_on", "'%.20s' is not a day YYYY-MM-DD up to today", f->paid_on);
        goto out;
    }
    char fen_s[32];
    snprintf(fen_s, sizeof fen_s, "%lld", (long long)fen);
    const char *actor = m->peer ? m->peer->name : dept;
    const char *hp[5] = { f->task_id, actor, fen_s, f->payee, f->paid_on };
    if (db_run(service_db(svc), "router.fee_history",
               "INSERT INTO task_history (task_id, from_state, to_state, actor, event, payload)"
               " SELECT task_id, state, state, $2, 'fee', json_build_object('amount_fen', $3::bigint,"
               "  'payee', $4::text, 'paid_on', $5::text) FROM tasks WHERE task_id = $1", 5, hp)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    Bangdai__Fee out = BANGDAI__FEE__INIT;
    out.task_id = f->task_id;
    out.dept = (char *)dept;
    out.amount = f->amount;
    out.amount_fen = fen;
    out.payee = f->payee;
    out.paid_on = f->paid_on;
    out.case_no = PQgetvalue(t, 0, 2);
    out.item_code = PQgetvalue(t, 0, 3);
    out.recorded_by = (char *)actor;
    rc = service_emit(svc, "delivery", MSG_FEE, out.case_no, &out.base, NULL);
    if (rc == SERVICE_OK)
        log_info("task.fee", .case_no = out.case_no, .task = f->task_id, .dept = dept, .detail = log_fmt("%s fen", fen_s));
out:
    PQclear(t);
    protobuf_c_message_free_unpacked(&f->base, NULL);
    return rc;
}
