/* evaluation_ratings.c - ratings (好差评), the five levels of 国办发〔2019〕
 * 51号, and the return visit recorded with hall management's rating.
 *
 * Who may rate what: the unit, through the hall's key, rates the whole
 * service once (一次一评; channel hall or onsite) and each item once
 * (一事一评) where evaluation.per_item_rating allows; hall management
 * records the return visit (channel visit), one per case, which also
 * closes the visit. Only after the service ended (the return visit is
 * open). The uniqueness is the database's (011_evaluation.sql): a second
 * rating of the same thing is refused with conflict. A rating is attributed
 * to its item's department and specialist; a rating of the whole service
 * to the case's first item task (task ids in order). A 差评 opens a
 * rectification (evaluation_rectify.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "evaluation.h"
#include "log.h"
#include "validate.h"

static const char *const levels[] = { "非常满意", "满意", "基本满意", "不满意", "非常不满意", NULL };

/* Whether level is one of the five; *bad set for the last two (差评). */
static bool level_ok(const char *level, bool *bad)
{
    for (int i = 0; levels[i]; i++)
        if (strcmp(level, levels[i]) == 0) {
            *bad = i >= 3;
            return true;
        }
    return false;
}

int evaluation_rate(struct service *svc, const struct service_msg *m)
{
    Bangdai__RateRequest *rq = service_decode(svc, m, &bangdai__rate_request__descriptor);
    if (!rq)
        return SERVICE_REFUSE;
    PGconn *db = service_db(svc);
    const struct config *cfg = service_config(svc);
    int rc = SERVICE_OK;
    PGresult *res = NULL, *who = NULL;
    bool bad = false, mgmt = m->peer && m->peer->role == ROLE_HALL_MANAGEMENT;
    const char *channel = rq->channel[0] ? rq->channel : mgmt ? "visit" : "hall";
    const char *task = rq->task_id[0] ? rq->task_id : NULL;
    long long rect = 0;

    if (!rq->case_no[0] || validate_text(rq->case_no, 64)) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case number is required");
        goto out;
    }
    if (!level_ok(rq->level, &bad)) {
        rc = service_refuse(svc, ERR_INVALID, "rating",
                            "'%.40s' is not a level: 非常满意, 满意, 基本满意, 不满意 or 非常不满意", rq->level);
        goto out;
    }
    if (rq->comment[0] && validate_text(rq->comment, 2000)) {
        rc = service_refuse(svc, ERR_INVALID, "comment", "at most 2000 bytes of text");
        goto out;
    }
    if (rq->rated_by[0] && validate_text(rq->rated_by, 200)) {
        rc = service_refuse(svc, ERR_INVALID, "rated_by", "at most 200 bytes of text");
        goto out;
    }
    if (strcmp(channel, "visit") != 0 && strcmp(channel, "hall") != 0 && strcmp(channel, "onsite") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "channel", "'%.20s' is none of hall, onsite, visit", channel);
        goto out;
    }
    if ((strcmp(channel, "visit") == 0) != mgmt) {
        rc = service_refuse(svc, ERR_FORBIDDEN, "channel", mgmt ? "hall management rates at the return visit"
                                                               : "only hall management records a return visit");
        goto out;
    }
    if (task && strcmp(channel, "visit") == 0) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "the return visit rates the whole service");
        goto out;
    }
    if (task && !cfg->per_item_rating) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "one rating per service (一次一评): "
                            "evaluation.per_item_rating is false");
        goto out;
    }
    /* The service must have ended: its return visit is open (or done). */
    const char *cp[1] = { rq->case_no };
    res = db_exec(db, "evaluation.rate_visit",
                  "SELECT done_at IS NOT NULL FROM return_visits WHERE case_no = $1 FOR UPDATE", 1, cp);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(res) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "the service of %.64s has not ended: nothing to rate yet",
                            rq->case_no);
        goto out;
    }
    /* Whom it is attributed to. */
    const char *wp[2] = { rq->case_no, task };
    who = db_exec(db, "evaluation.rate_who",
                  "SELECT task_id, dept, coalesce(specialist, '') FROM served_tasks"
                  " WHERE case_no = $1 AND ($2::text IS NULL OR task_id = $2) ORDER BY task_id LIMIT 1", 2, wp);
    if (!who) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(who) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "%.64s is no item of %.64s", task ? task : "-", rq->case_no);
        goto out;
    }
    const char *dept = PQgetvalue(who, 0, 1), *specialist = PQgetvalue(who, 0, 2);
    const char *by = rq->rated_by[0] ? rq->rated_by : m->peer ? m->peer->name : "";
    const char *p[8] = { rq->case_no, task, rq->level, channel, dept, specialist[0] ? specialist : NULL,
                         rq->comment[0] ? rq->comment : NULL, by };
    PGresult *ins = db_exec(db, "evaluation.rate",
        "INSERT INTO ratings (case_no, task_id, level, channel, dept, specialist, comment, rated_by, rated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now()) ON CONFLICT DO NOTHING RETURNING id", 8, p);
    if (!ins) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (PQntuples(ins) == 0) {
        PQclear(ins);
        rc = service_refuse(svc, ERR_CONFLICT, task ? "task_id" : "case_no",
                            "%.64s%s%.64s was already rated (%s)", rq->case_no, task ? " " : "", task ? task : "",
                            strcmp(channel, "visit") == 0 ? "one return visit per case"
                            : task ? "一事一评: one rating per item" : "一次一评: one rating per service");
        goto out;
    }
    long long rating = atoll(PQgetvalue(ins, 0, 0));
    PQclear(ins);
    char rid[32];
    snprintf(rid, sizeof rid, "%lld", rating);
    if (strcmp(channel, "visit") == 0) {
        const char *vp[3] = { rq->case_no, by, rid };
        if (db_run(db, "evaluation.visit_done", "UPDATE return_visits SET done_at = now(), done_by = $2,"
                   " rating_id = $3::bigint, state = 'DONE' WHERE case_no = $1", 3, vp)) {
            rc = SERVICE_RETRY;
            goto out;
        }
        log_info("return_visit.done", .case_no = rq->case_no, .detail = log_fmt("rating %s: %s", rid, rq->level));
    }
    log_info("rating.recorded", .case_no = rq->case_no, .task = task ? task : "", .dept = dept,
             .detail = log_fmt("rating %s by %s: %s, specialist %s", rid, channel, rq->level, specialist));
    if (bad && (rc = evaluation_rectify_open(svc, rating, rq->case_no, PQgetvalue(who, 0, 0), dept,
                                             specialist, rq->level, by, &rect)) != SERVICE_OK)
        goto out;
    Bangdai__RateReply rep = BANGDAI__RATE_REPLY__INIT;
    rep.rating_id = rating;
    rep.rectification_id = rect;
    rep.dept = (char *)dept;
    rep.specialist = (char *)specialist;
    if (service_reply(svc, MSG_RATE_REPLY, rq->case_no, &rep.base))
        rc = SERVICE_RETRY;
out:
    PQclear(res);
    PQclear(who);
    protobuf_c_message_free_unpacked(&rq->base, NULL);
    return rc;
}
