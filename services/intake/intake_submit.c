/* intake_submit.c - an application from the hall becomes a case.
 *
 * Everything in the request is checked before anything is stored, and the
 * refusal names the field. The hall's request id makes a submit idempotent:
 * the same id again gets the same case number and creates nothing. The case
 * number is given only after the case and its CaseOpened are committed
 * together.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "intake.h"
#include "log.h"
#include "validate.h"

static int one_of(const char *text, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(text, *set) == 0)
            return 1;
    return 0;
}

/* Checks a request against the configuration. Returns SERVICE_OK or the
 * refusal (service_refuse names the field). */
static int check_request(struct service *svc, const Bangdai__SubmitRequest *r)
{
    static const char *const types[] = { "agency", "help", NULL };
    static const char *const kinds[] = { "新建", "改建", "扩建", NULL };
    static const char *const deliveries[] = { "in_person", "post", "e_licence", NULL };
    static const char *const channels[] = { "online", "hall", NULL };
    const struct config *cfg = service_config(svc);

    if (validate_uuid(r->request_id))
        return service_refuse(svc, ERR_INVALID, "request_id", "must be a UUID");
    if (!r->unit || validate_text(r->unit->name, 200))
        return service_refuse(svc, ERR_INVALID, "unit.name", "required, at most 200 bytes of text");
    if (validate_credit_code(r->unit->credit_code))
        return service_refuse(svc, ERR_INVALID, "unit.credit_code",
                              "'%.40s' is not a unified social credit code (18 characters, GB 32100 check character)",
                              r->unit->credit_code);
    if (!r->project || validate_text(r->project->name, 200))
        return service_refuse(svc, ERR_INVALID, "project.name", "required, at most 200 bytes of text");
    if (validate_project_code(r->project->code))
        return service_refuse(svc, ERR_INVALID, "project.code",
                              "'%.40s' is not a project code of the form 2306-500231-04-01-123456",
                              r->project->code);
    if (strncmp(r->project->code + 5, cfg->county_code, 6) != 0)
        return service_refuse(svc, ERR_INVALID, "project.code",
                              "region %.6s is not this county (%s)", r->project->code + 5, cfg->county_code);
    if (r->project->zone[0]) {
        const struct cfg_department *z = config_dept(cfg, r->project->zone);
        if (!z || !z->zone)
            return service_refuse(svc, ERR_INVALID, "project.zone",
                                  "'%.40s' is not a zone body of this county", r->project->zone);
    }
    if (!one_of(r->project->kind, kinds))
        return service_refuse(svc, ERR_INVALID, "project.kind", "must be 新建, 改建 or 扩建");
    if (validate_text(r->project->location, 400))
        return service_refuse(svc, ERR_INVALID, "project.location",
                              "required: where the project is, at most 400 bytes of text");
    if (!one_of(r->service_type, types))
        return service_refuse(svc, ERR_INVALID, "service_type", "must be agency (代办) or help (帮办)");
    if (r->n_items == 0)
        return service_refuse(svc, ERR_INVALID, "items", "at least one approval item is required");
    if (r->n_items > 50)
        return service_refuse(svc, ERR_INVALID, "items", "at most 50 items in one application");
    for (size_t i = 0; i < r->n_items; i++) {
        if (!config_item(cfg, r->items[i]))
            return service_refuse(svc, ERR_INVALID, log_fmt("items[%zu]", i),
                                  "'%.40s' is not an item of the catalog", r->items[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->items[i], r->items[j]) == 0)
                return service_refuse(svc, ERR_INVALID, log_fmt("items[%zu]", i),
                                      "'%s' is requested twice", r->items[i]);
    }
    if (!r->contact || validate_text(r->contact->name, 100))
        return service_refuse(svc, ERR_INVALID, "contact.name", "required, at most 100 bytes of text");
    if (validate_phone(r->contact->phone))
        return service_refuse(svc, ERR_INVALID, "contact.phone", "must be a mobile number (11 digits, 1[3-9]...)");
    if (strchr(r->contact->phone, '*'))
        return service_refuse(svc, ERR_INVALID, "contact.phone",
                              "a masked number cannot be called: the whole mobile number is needed");
    if (!one_of(r->delivery, deliveries))
        return service_refuse(svc, ERR_INVALID, "delivery", "must be in_person, post or e_licence");
    if (!one_of(r->channel, channels))
        return service_refuse(svc, ERR_INVALID, "channel", "required: online or hall");
    return SERVICE_OK;
}

static int reply_case(struct service *svc, const char *case_no, bool duplicate,
                      const struct intake_expected *x)
{
    Bangdai__SubmitReply rep = BANGDAI__SUBMIT_REPLY__INIT;
    rep.case_no = (char *)case_no;
    rep.duplicate = duplicate;
    rep.expected_completion = (char *)x->completion;
    rep.expected_latest = (char *)x->latest;
    rep.expected_pending_year = x->pending_year;
    rep.expected_basis = (char *)x->basis;
    return service_reply(svc, MSG_SUBMIT_REPLY, case_no, &rep.base);
}

/* Formats the items as a PostgreSQL text array literal. The items were
 * checked against the catalog, whose codes hold no quotes or commas, but
 * quote them anyway. */
static void items_literal(const Bangdai__SubmitRequest *r, char *out, size_t cap)
{
    size_t n = 0;
    n += (size_t)snprintf(out, cap, "{");
    for (size_t i = 0; i < r->n_items && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", i ? "," : "", r->items[i]);
    if (n < cap)
        snprintf(out + n, cap - n, "}");
}

static int store_case(struct service *svc, const Bangdai__SubmitRequest *r)
{
    PGconn *db = service_db(svc);
    const struct config *cfg = service_config(svc);
    char case_no[64], items[2048];

    /* Case numbers run per day of the county's calendar (UTC+8). */
    PGresult *res = db_exec(db, "intake.case_counter",
        "INSERT INTO case_counters AS c (day, last)"
        " VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date, 1)"
        " ON CONFLICT (day) DO UPDATE SET last = c.last + 1"
        " RETURNING to_char(day, 'YYYYMMDD'), last", 0, NULL);
    if (!res)
        return SERVICE_RETRY;
    snprintf(case_no, sizeof case_no, "BD-%s-%s-%05d", cfg->county_code,
             PQgetvalue(res, 0, 0), atoi(PQgetvalue(res, 0, 1)));
    PQclear(res);

    items_literal(r, items, sizeof items);
    struct intake_expected x;
    char pending[16];
    if (intake_forecast(svc, r->items, r->n_items, items, &x) != SERVICE_OK)
        return SERVICE_RETRY;
    snprintf(pending, sizeof pending, "%d", x.pending_year);
    const char *p[20] = {
        case_no, r->request_id, r->service_type, r->unit->name, r->unit->credit_code,
        r->project->name, r->project->code, r->project->zone[0] ? r->project->zone : NULL,
        r->project->kind, r->project->location,
        r->contact->name, r->contact->phone, r->delivery,
        r->channel, items, x.completion[0] ? x.completion : NULL, x.latest[0] ? x.latest : NULL,
        x.pending_year ? pending : NULL, x.basis, r->delivery_together ? "t" : "f",
    };
    if (db_run(db, "intake.insert_case",
               "INSERT INTO cases (case_no, request_id, service_type, unit_name, credit_code,"
               " project_name, project_code, zone, kind, location, contact_name, contact_phone,"
               " delivery, channel, items, expected_completion, expected_latest,"
               " expected_pending_year, expected_basis, delivery_together)"
               " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16::date,$17::date,"
               " $18::int,$19,$20::bool)", 20, p))
        return SERVICE_RETRY;

    Bangdai__CaseOpened co = BANGDAI__CASE_OPENED__INIT;
    co.case_no = case_no;
    co.service_type = r->service_type;
    co.unit_name = r->unit->name;
    co.project_name = r->project->name;
    co.project_code = r->project->code;
    co.zone = r->project->zone;
    co.n_items = r->n_items;
    co.items = r->items;
    co.delivery = r->delivery;
    co.delivery_together = r->delivery_together;
    co.accepted_at_us = business_now_us();
    if (service_emit(svc, "router", MSG_CASE_OPENED, case_no, &co.base, NULL))
        return SERVICE_RETRY;

    /* The feed's first event of the case: what was asked. */
    char asked[2100];
    size_t at = (size_t)snprintf(asked, sizeof asked, "%s, %zu items:", r->service_type, r->n_items);
    for (size_t i = 0; i < r->n_items && at < sizeof asked; i++)
        at += (size_t)snprintf(asked + at, sizeof asked - at, " %s", r->items[i]);
    Bangdai__FeedEvent ev = BANGDAI__FEED_EVENT__INIT;
    ev.case_no = case_no;
    ev.at_us = co.accepted_at_us;
    ev.kind = "submitted";
    ev.text = asked;
    if (intake_feed_record(svc, &ev) != SERVICE_OK)
        return SERVICE_RETRY;
    log_info("case.opened", .case_no = case_no,
             .detail = log_fmt("%s, %zu items, project %s, expected %s", r->service_type, r->n_items,
                               r->project->code, x.completion[0] ? x.completion : "pending"));
    return reply_case(svc, case_no, false, &x);
}

/* The application as stored, column by column, in the order of
 * differing_field's names (the items as a text array literal). */
#define STORED_FIELDS \
    "service_type, unit_name, credit_code, project_name, project_code, coalesce(zone, ''), kind," \
    " coalesce(location, ''), contact_name, contact_phone, delivery, channel, array_to_string(items, ',')"

/* After STORED_FIELDS: the expectation given at submission (columns 14-17). */
#define STORED_EXPECTED \
    "coalesce(to_char(expected_completion, 'YYYY-MM-DD'), ''), coalesce(to_char(expected_latest, 'YYYY-MM-DD'), '')," \
    " coalesce(expected_pending_year, 0), coalesce(expected_basis, '')"

/* The first field in which r differs from the stored application in row 0
 * of res (case_no, then STORED_FIELDS), or NULL when it is the same. */
static const char *differing_field(const Bangdai__SubmitRequest *r, PGresult *res)
{
    const struct { const char *name, *value; } f[] = {
        { "service_type", r->service_type }, { "unit.name", r->unit->name },
        { "unit.credit_code", r->unit->credit_code }, { "project.name", r->project->name },
        { "project.code", r->project->code }, { "project.zone", r->project->zone },
        { "project.kind", r->project->kind }, { "project.location", r->project->location },
        { "contact.name", r->contact->name }, { "contact.phone", r->contact->phone },
        { "delivery", r->delivery }, { "channel", r->channel },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (strcmp(PQgetvalue(res, 0, (int)i + 1), f[i].value) != 0)
            return f[i].name;
    /* The items, joined as the query joins them (catalog codes hold no comma). */
    const char *stored = PQgetvalue(res, 0, 13);
    size_t at = 0;
    for (size_t i = 0; i < r->n_items; i++) {
        size_t len = strlen(r->items[i]);
        if ((i && stored[at++] != ',') || strncmp(stored + at, r->items[i], len) != 0)
            return "items";
        at += len;
    }
    if (stored[at])
        return "items";
    /* Column 18, after STORED_EXPECTED: 统一送达. */
    return (strcmp(PQgetvalue(res, 0, 18), "t") == 0) != r->delivery_together ? "delivery_together" : NULL;
}

int intake_submit(struct service *svc, const struct service_msg *m)
{
    Bangdai__SubmitRequest *r = service_decode(svc, m, &bangdai__submit_request__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    int rc = check_request(svc, r);
    if (rc == SERVICE_OK) {
        const char *p[1] = { r->request_id };
        PGresult *res = db_exec(service_db(svc), "intake.find_request",
                                "SELECT case_no, " STORED_FIELDS ", " STORED_EXPECTED ", delivery_together"
                                " FROM cases WHERE request_id = $1", 1, p);
        const char *differs = res && PQntuples(res) == 1 ? differing_field(r, res) : NULL;
        if (!res) {
            rc = SERVICE_RETRY;
        } else if (PQntuples(res) == 1 && differs) {
            /* The same id for another application: a client's bug, or two
             * applications under one id. Neither is the first case. */
            rc = service_refuse(svc, ERR_CONFLICT, differs,
                                "request %s was submitted before as case %s with a different %s;"
                                " a new application needs a new request_id",
                                r->request_id, PQgetvalue(res, 0, 0), differs);
        } else if (PQntuples(res) == 1) {
            /* The hall sent this application before: same answer, nothing new. */
            log_info("case.duplicate_submit", .case_no = PQgetvalue(res, 0, 0), .msg_id = r->request_id);
            struct intake_expected x = { .pending_year = atoi(PQgetvalue(res, 0, 16)) };
            snprintf(x.completion, sizeof x.completion, "%s", PQgetvalue(res, 0, 14));
            snprintf(x.latest, sizeof x.latest, "%s", PQgetvalue(res, 0, 15));
            snprintf(x.basis, sizeof x.basis, "%s", PQgetvalue(res, 0, 17));
            rc = reply_case(svc, PQgetvalue(res, 0, 0), true, &x);
        } else {
            rc = store_case(svc, r);
        }
        PQclear(res);
    }
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}

int intake_withdraw(struct service *svc, const struct service_msg *m)
{
    Bangdai__WithdrawRequest *w = service_decode(svc, m, &bangdai__withdraw_request__descriptor);
    if (!w)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    PGresult *res = NULL;
    if (validate_text(w->case_no, 64)) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case number is required");
        goto out;
    }
    if (validate_text(w->reason, 500)) {
        rc = service_refuse(svc, ERR_INVALID, "reason", "a reason is required (at most 500 bytes of text)");
        goto out;
    }
    const char *p[2] = { w->case_no, w->reason };
    res = db_exec(service_db(svc), "intake.withdraw_find", "SELECT state FROM cases WHERE case_no = $1 FOR UPDATE", 1, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(res) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", w->case_no);
        goto out;
    }
    const char *state = PQgetvalue(res, 0, 0);
    Bangdai__WithdrawReply rep = BANGDAI__WITHDRAW_REPLY__INIT;
    rep.case_no = w->case_no;
    rep.state = "WITHDRAWN";
    if (strcmp(state, "WITHDRAWN") == 0) {
        /* Withdrawn before (a resend whose first answer was lost, or the
         * unit asking twice): the same answer, nothing new. */
        rc = service_reply(svc, MSG_WITHDRAW_REPLY, w->case_no, &rep.base);
        goto out;
    }
    if (strcmp(state, "RETURN_VISIT_OPEN") == 0) {
        rc = service_refuse(svc, ERR_CONFLICT, "case_no", "case %s is %s and can no longer be withdrawn",
                            w->case_no, state);
        goto out;
    }
    if (db_run(service_db(svc), "intake.withdraw",
               "UPDATE cases SET state = 'WITHDRAWN', withdrawn_at = now(), withdraw_reason = $2,"
               " updated_at = now() WHERE case_no = $1", 2, p) ||
        db_run(service_db(svc), "intake.withdraw_log",
               "INSERT INTO case_log (case_no, at, kind, text) VALUES ($1, now(), 'withdrawn', $2)", 2, p)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    Bangdai__FeedEvent ev = BANGDAI__FEED_EVENT__INIT;
    ev.case_no = w->case_no;
    ev.kind = "withdrawn";
    ev.text = w->reason;
    if (intake_feed_record(svc, &ev) != SERVICE_OK) {
        rc = SERVICE_RETRY;
        goto out;
    }
    Bangdai__CaseWithdrawn cw = BANGDAI__CASE_WITHDRAWN__INIT;
    cw.case_no = w->case_no;
    cw.reason = w->reason;
    cw.at_us = business_now_us();
    if (service_emit(svc, "router", MSG_CASE_WITHDRAWN, w->case_no, &cw.base, NULL)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info("case.withdrawn", .case_no = w->case_no, .detail = w->reason);
    rc = service_reply(svc, MSG_WITHDRAW_REPLY, w->case_no, &rep.base);
out:
    PQclear(res);
    protobuf_c_message_free_unpacked(&w->base, NULL);
    return rc;
}
