/* evaluation_rectify.c - the rectification (整改) of a 差评: verification
 * by return visit, rectification within evaluation.rectify_days working
 * days (or an explanation where there is no legal basis), feedback to the
 * unit; the specialist's appeal and hall management's decision. The moves
 * are common/rectify.c's; every step is a row of rectification_steps with
 * who (the key) and when. The department is told through the router
 * (RectifyNotice), the unit through intake (CaseEvent "feedback"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "evaluation.h"
#include "log.h"
#include "rectify.h"
#include "validate.h"

/* The columns of a RectificationInfo, in its field order. */
#define INFO_COLUMNS \
    "r.id, r.rating_id, r.case_no, coalesce(r.task_id, ''), r.dept, coalesce(r.specialist, ''), r.state," \
    " coalesce(to_char(r.due_on, 'YYYY-MM-DD'), ''), g.level, coalesce(r.escalated_level, '')," \
    " (extract(epoch FROM r.opened_at) * 1e6)::bigint," \
    " coalesce((extract(epoch FROM r.closed_at) * 1e6)::bigint, 0)" \
    " FROM rectifications r JOIN ratings g ON g.id = r.rating_id"

static void info_from(Bangdai__RectificationInfo *i, const PGresult *res, int r)
{
    bangdai__rectification_info__init(i);
    i->id = atoll(PQgetvalue(res, r, 0));
    i->rating_id = atoll(PQgetvalue(res, r, 1));
    i->case_no = PQgetvalue(res, r, 2);
    i->task_id = PQgetvalue(res, r, 3);
    i->dept = PQgetvalue(res, r, 4);
    i->specialist = PQgetvalue(res, r, 5);
    i->state = PQgetvalue(res, r, 6);
    i->due_on = PQgetvalue(res, r, 7);
    i->level = PQgetvalue(res, r, 8);
    i->escalated_level = PQgetvalue(res, r, 9);
    i->opened_at_us = atoll(PQgetvalue(res, r, 10));
    i->closed_at_us = atoll(PQgetvalue(res, r, 11));
}

static int step(struct service *svc, const char *id, const char *name, const char *actor, const char *text)
{
    const char *p[4] = { id, name, actor, text };
    return db_run(service_db(svc), "evaluation.rectify_step",
                  "INSERT INTO rectification_steps (rectification_id, step, actor, at, text)"
                  " VALUES ($1::bigint, $2, $3, now(), $4)", 4, p) ? SERVICE_RETRY : SERVICE_OK;
}

int evaluation_notice(struct service *svc, long long id, const char *case_no, const char *task_id,
                      const char *dept, const char *specialist, const char *kind,
                      const char *level, const char *holder, const char *text)
{
    Bangdai__RectifyNotice n = BANGDAI__RECTIFY_NOTICE__INIT;
    n.rectification_id = id;
    n.case_no = (char *)case_no;
    n.task_id = (char *)(task_id ? task_id : "");
    n.dept = (char *)dept;
    n.specialist = (char *)(specialist ? specialist : "");
    n.kind = (char *)kind;
    n.level = (char *)(level ? level : "");
    n.holder = (char *)(holder ? holder : "");
    n.text = (char *)text;
    return service_emit(svc, "router", MSG_RECTIFY_NOTICE, case_no, &n.base, NULL) ? SERVICE_RETRY : SERVICE_OK;
}

int evaluation_rectify_open(struct service *svc, long long rating_id, const char *case_no,
                            const char *task_id, const char *dept, const char *specialist,
                            const char *level, const char *actor, long long *id)
{
    const struct config *cfg = service_config(svc);
    char due[11] = "", rid[32], text[512];
    bd_day d;
    int missing = 0;
    /* Counted from the day of the 差评, as a task's limit from its 受理. */
    if (calendar_add_workdays(&cfg->calendar, date_from_unix_us(business_now_us()), cfg->rectify_days, &d,
                              NULL, &missing) == 0)
        date_format(d, due);
    snprintf(rid, sizeof rid, "%lld", rating_id);
    const char *p[6] = { rid, case_no, task_id, dept, specialist[0] ? specialist : NULL, due[0] ? due : NULL };
    PGresult *res = db_exec(service_db(svc), "evaluation.rectify_open",
        "INSERT INTO rectifications (rating_id, case_no, task_id, dept, specialist, state, due_on, opened_at)"
        " VALUES ($1::bigint, $2, $3, $4, $5, 'verifying', $6::date, now()) RETURNING id", 6, p);
    if (!res)
        return SERVICE_RETRY;
    *id = atoll(PQgetvalue(res, 0, 0));
    char sid[32];
    snprintf(sid, sizeof sid, "%lld", *id);
    PQclear(res);
    snprintf(text, sizeof text, "差评 %s of %s: verification by return visit, rectification due %s", level, case_no,
             due[0] ? due : "(pending the calendar)");
    int rc = step(svc, sid, "opened", actor, text);
    if (rc == SERVICE_OK)
        rc = evaluation_notice(svc, *id, case_no, task_id, dept, specialist, "opened", NULL, NULL, text);
    if (rc == SERVICE_OK)
        log_info("rectify.opened", .case_no = case_no, .task = task_id, .dept = dept,
                 .detail = log_fmt("rectification %s of rating %s (%s), specialist %s, due %s", sid, rid, level,
                                   specialist, due[0] ? due : "pending"));
    return rc;
}

int evaluation_rectify(struct service *svc, const struct service_msg *m)
{
    Bangdai__RectifyRequest *rq = service_decode(svc, m, &bangdai__rectify_request__descriptor);
    if (!rq)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    int rc = SERVICE_OK;
    PGresult *res = NULL;
    enum rectify_event ev;
    enum rectify_state from, to;
    char id[32];

    if (strcmp(rq->action, "decide") == 0)
        ev = rq->uphold ? RECT_EV_UPHOLD : RECT_EV_REJECT;
    else if (rectify_event_parse(rq->action, &ev) || ev == RECT_EV_UPHOLD || ev == RECT_EV_REJECT) {
        rc = service_refuse(svc, ERR_INVALID, "action", "'%.20s' is none of verify, done, explain, feedback, "
                            "appeal, decide", rq->action);
        goto out;
    }
    if (rq->rectification_id < 1) {
        rc = service_refuse(svc, ERR_INVALID, "rectification_id", "a rectification id is required");
        goto out;
    }
    if (validate_text(rq->text, 2000)) {
        rc = service_refuse(svc, ERR_INVALID, "text", "%s needs a text of at most 2000 bytes", rq->action);
        goto out;
    }
    if (!m->peer || !(rectify_event_roles(ev) & (unsigned)m->peer->role)) {
        rc = service_refuse(svc, ERR_FORBIDDEN, "action", "%s is for %s", rq->action,
                            rectify_event_roles(ev) == ROLE_DEPARTMENT ? "the department" : "hall management");
        goto out;
    }
    snprintf(id, sizeof id, "%lld", (long long)rq->rectification_id);
    const char *p[1] = { id };
    res = db_exec(db, "evaluation.rectify_get",
                  "SELECT " INFO_COLUMNS " WHERE r.id = $1::bigint FOR UPDATE OF r", 1, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(res) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "rectification_id", "no rectification %s", id);
        goto out;
    }
    Bangdai__RectificationInfo info;
    info_from(&info, res, 0);
    if (m->peer->role == ROLE_DEPARTMENT && (!m->peer->dept || strcmp(m->peer->dept, info.dept) != 0)) {
        log_warn("rectify.forbidden", .case_no = info.case_no, .dept = m->peer->dept ? m->peer->dept : "",
                 .detail = log_fmt("a department tried to %s rectification %s of %s", rq->action, id, info.dept));
        rc = service_refuse(svc, ERR_FORBIDDEN, "rectification_id", "rectification %s is not of department %.20s",
                            id, m->peer->dept ? m->peer->dept : "-");
        goto out;
    }
    if (rectify_state_parse(info.state, &from) || rectify_move(from, ev, &to)) {
        rc = service_refuse(svc, ERR_CONFLICT, "action", "rectification %s is %s: no %s now", id, info.state,
                            rectify_event_name(ev));
        goto out;
    }
    const char *u[3] = { id, rectify_state_name(to), rectify_is_final(to) ? "t" : "f" };
    if (db_run(db, "evaluation.rectify_move",
               "UPDATE rectifications SET state = $2,"
               " closed_at = CASE WHEN $3::boolean THEN now() END WHERE id = $1::bigint", 3, u) ||
        (rc = step(svc, id, rectify_event_name(ev), m->peer->name, rq->text)) != SERVICE_OK) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (ev == RECT_EV_UPHOLD) {
        /* The rating was mistaken or malicious: assessment leaves it out. */
        char rid[32];
        snprintf(rid, sizeof rid, "%lld", (long long)info.rating_id);
        const char *x[1] = { rid };
        if (db_run(db, "evaluation.rating_exclude", "UPDATE ratings SET excluded = true WHERE id = $1::bigint", 1, x)) {
            rc = SERVICE_RETRY;
            goto out;
        }
    }
    if (ev == RECT_EV_FEEDBACK) {
        char told[2200];
        snprintf(told, sizeof told, "整改反馈 (rectification %s): %s", id, rq->text);
        Bangdai__CaseEvent ce = BANGDAI__CASE_EVENT__INIT;
        ce.case_no = info.case_no;
        ce.task_id = info.task_id;
        ce.dept = info.dept;
        ce.kind = "feedback";
        ce.text = told;
        ce.at_us = business_now_us();
        if (service_emit(svc, "intake", MSG_CASE_EVENT, info.case_no, &ce.base, NULL)) {
            rc = SERVICE_RETRY;
            goto out;
        }
    }
    if (ev == RECT_EV_UPHOLD || ev == RECT_EV_REJECT) {
        char told[2200];
        snprintf(told, sizeof told, "appeal %s: %s", ev == RECT_EV_UPHOLD ? "upheld" : "rejected", rq->text);
        if ((rc = evaluation_notice(svc, info.id, info.case_no, info.task_id, info.dept, info.specialist,
                                    ev == RECT_EV_UPHOLD ? "appeal_upheld" : "appeal_rejected", NULL, NULL, told))
            != SERVICE_OK)
            goto out;
    }
    log_info("rectify.step", .case_no = info.case_no, .task = info.task_id, .dept = info.dept,
             .detail = log_fmt("rectification %s: %s by %s, %s -> %s", id, rectify_event_name(ev), m->peer->name,
                               info.state, rectify_state_name(to)));
    info.state = (char *)rectify_state_name(to);
    if (rectify_is_final(to))
        info.closed_at_us = business_now_us();
    Bangdai__RectifyReply rep = BANGDAI__RECTIFY_REPLY__INIT;
    rep.rectification = &info;
    if (service_reply(svc, MSG_RECTIFY_REPLY, info.case_no, &rep.base))
        rc = SERVICE_RETRY;
out:
    PQclear(res);
    protobuf_c_message_free_unpacked(&rq->base, NULL);
    return rc;
}

int evaluation_rectify_list(struct service *svc, const struct service_msg *m)
{
    Bangdai__RectifyListRequest *rq = service_decode(svc, m, &bangdai__rectify_list_request__descriptor);
    if (!rq)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    char today[11];
    Bangdai__RectificationInfo *rows = NULL, **ptrs = NULL;
    PGresult *res = NULL;
    evaluation_today(today);
    if (rq->dept[0] && !config_dept(service_config(svc), rq->dept)) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "dept", "no department '%.40s'", rq->dept);
        goto out;
    }
    const char *p[2] = { rq->dept[0] ? rq->dept : NULL, rq->all ? "t" : "f" };
    res = db_exec(service_db(svc), "evaluation.rectify_list",
                  "SELECT " INFO_COLUMNS
                  " WHERE ($1::text IS NULL OR r.dept = $1) AND ($2::boolean OR r.closed_at IS NULL)"
                  " ORDER BY r.closed_at IS NOT NULL, r.due_on NULLS LAST, r.id LIMIT 500", 2, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    size_t n = (size_t)PQntuples(res);
    rows = calloc(n + 1, sizeof *rows);
    ptrs = calloc(n + 1, sizeof *ptrs);
    if (!rows || !ptrs) {
        rc = SERVICE_RETRY;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        info_from(&rows[i], res, (int)i);
        ptrs[i] = &rows[i];
    }
    Bangdai__RectifyListReply rep = BANGDAI__RECTIFY_LIST_REPLY__INIT;
    rep.today = today;
    rep.rectifications = ptrs;
    rep.n_rectifications = n;
    if (service_reply(svc, MSG_RECTIFY_LIST_REPLY, NULL, &rep.base))
        rc = SERVICE_RETRY;
out:
    free(rows);
    free(ptrs);
    PQclear(res);
    protobuf_c_message_free_unpacked(&rq->base, NULL);
    return rc;
}
