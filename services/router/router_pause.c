/* router_pause.c - a department stops and restarts an item task's clock
 * (行政许可法 §45): an expert review, a hearing, a testing/inspection/
 * quarantine or an appraisal does not count against the deadline.
 *
 * `bangdai-dept pause TASK --kind KIND --reason TEXT` and `resume TASK`
 * come as DeptUpdate with state "pause" or "resume"; the task keeps its
 * state. The router checks them against what it holds of the task (the
 * tracker counts the days): only an open item task whose clock has started
 * (after 受理, or a 帮办 item's submission), one pause at a time (补正,
 * SUPPLEMENT_REQUESTED, is one too), a resume only of an open pause. Each
 * is an event of the task's history and goes to the tracker as TaskChanged
 * with `clock` set.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "router.h"
#include "validate.h"

/* The checks of a pause; SERVICE_OK or the refusal. */
static int check_pause(struct service *svc, const char *task_id, enum task_kind kind, enum task_state state,
                       const char *paused, const char *since, const Bangdai__DeptUpdate *u)
{
    enum pause_kind pk;
    if (pause_kind_parse(u->pause_kind, &pk) || pk == PAUSE_SUPPLEMENT)
        return service_refuse(svc, ERR_INVALID, "pause_kind", "'%.40s' is not expert_review, hearing, inspection "
                              "or appraisal (补正 pauses by itself: supplement)", u->pause_kind);
    if (!u->reason[0] || validate_text(u->reason, 500))
        return service_refuse(svc, ERR_INVALID, "reason", "a pause needs its reason: at most 500 bytes of text, "
                              "no control characters");
    if (state == TASK_SUPPLEMENT_REQUESTED || paused[0])
        return service_refuse(svc, ERR_CONFLICT, "state", "task %s is already paused (%s since %s): one pause at "
                              "a time", task_id, paused[0] ? paused : "supplement", since[0] ? since : "补正");
    /* The open states after the clock's (re)start; 补正 was refused above. */
    bool started = state == TASK_SUBMITTED || state == TASK_SUPPLEMENT_RECEIVED
                   || (kind == KIND_AGENCY_ITEM && state == TASK_ACCEPTED_ONSITE);
    if (!started)
        return service_refuse(svc, ERR_CONFLICT, "state", "task %s is %s: its clock starts at %s, a pause comes "
                              "after it", task_id, task_state_name(state),
                              kind == KIND_HELP_ITEM ? "the submission (受理 of the unit's filing)" : "受理 (accepted)");
    return SERVICE_OK;
}

int router_pause(struct service *svc, const char *task_id, const char *actor, const Bangdai__DeptUpdate *u,
                 bool resume)
{
    PGresult *t = router_task_load(svc, task_id, true);
    enum task_state state;
    enum task_kind kind;
    int rc = SERVICE_OK;
    if (!t)
        return SERVICE_RETRY;
    if (PQntuples(t) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", task_id);
        goto out;
    }
    if (task_state_parse(PQgetvalue(t, 0, 8), &state) || task_kind_parse(PQgetvalue(t, 0, 5), PQgetvalue(t, 0, 9), &kind)) {
        char case_no[64];
        log_error("task.corrupt", .case_no = task_case_no(task_id, case_no, sizeof case_no), .task = task_id,
                  .detail = "stored state or kind unknown");
        rc = service_refuse(svc, ERR_INTERNAL, "state", "task %s has an unknown stored state", task_id);
        goto out;
    }
    const char *paused = PQgetvalue(t, 0, 12), *since = PQgetvalue(t, 0, 13), *what = resume ? "resume" : "pause";
    if (kind != KIND_AGENCY_ITEM && kind != KIND_HELP_ITEM) {
        rc = service_refuse(svc, ERR_INVALID, "task_id", "task %s is a %s task: only an approval item has a "
                            "clock to %s", task_id, task_kind_name(kind), what);
        goto out;
    }
    if (task_state_final(state)) {
        rc = service_refuse(svc, ERR_CONFLICT, "state", "task %s is %s: a decided task's clock has stopped for good",
                            task_id, task_state_name(state));
        goto out;
    }
    if (!resume) {
        if ((rc = check_pause(svc, task_id, kind, state, paused, since, u)) != SERVICE_OK)
            goto out;
    } else if (state == TASK_SUPPLEMENT_REQUESTED) {
        rc = service_refuse(svc, ERR_CONFLICT, "state", "task %s stands for 补正 (since %s): its clock runs again "
                            "when the unit's materials come (resupplied), not by resume", task_id,
                            since[0] ? since : "the request");
        goto out;
    } else if (!paused[0]) {
        rc = service_refuse(svc, ERR_CONFLICT, "task_id", "task %s is not paused: there is no pause to resume",
                            task_id);
        goto out;
    } else if (u->pause_kind[0] && strcmp(u->pause_kind, paused) != 0) {
        rc = service_refuse(svc, ERR_CONFLICT, "pause_kind", "task %s is paused for %s, not %.40s", task_id,
                            paused, u->pause_kind);
        goto out;
    }
    if (u->note[0] && validate_text(u->note, 500)) {
        rc = service_refuse(svc, ERR_INVALID, "note", "at most 500 bytes of text, no control characters");
        goto out;
    }
    char today[11];
    date_format(date_from_unix_us(business_now_us()), today);
    const char *p[10] = { task_id, resume ? NULL : u->pause_kind, today, resume ? NULL : u->reason,
                         PQgetvalue(t, 0, 8), actor, u->note[0] ? u->note : NULL, resume ? "resume" : "pause",
                         resume ? paused : u->pause_kind, resume ? since : today };
    if (db_run(service_db(svc), "router.pause",
               "WITH t AS (UPDATE tasks SET paused_kind = $2,"
               "           paused_since = CASE WHEN $2::text IS NULL THEN NULL ELSE $3::date END,"
               "           paused_reason = $4, updated_at = now() WHERE task_id = $1 RETURNING task_id)"
               " INSERT INTO task_history (task_id, from_state, to_state, actor, detail, event, payload)"
               " SELECT task_id, $5, $5, $6, $7, $8, json_strip_nulls(json_build_object("
               "  'kind', $9::text, 'reason', $4::text, 'since', $10::text))::jsonb FROM t", 10, p)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (resume)
        log_info("task.resumed", .case_no = PQgetvalue(t, 0, 1), .task = task_id, .dept = PQgetvalue(t, 0, 3),
                 .detail = log_fmt("%s since %s ended by %s", paused, since, actor));
    else
        log_info("task.paused", .case_no = PQgetvalue(t, 0, 1), .task = task_id, .dept = PQgetvalue(t, 0, 3),
                 .detail = log_fmt("%s by %s: %s", u->pause_kind, actor, u->reason));
    rc = router_task_tell(svc, t, 0, PQgetvalue(t, 0, 8), u, what);
out:
    PQclear(t);
    return rc;
}
