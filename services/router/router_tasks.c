/* router_tasks.c - tasks from cases, specialists for tasks, and the one
 * function every move of a task goes through (router_move). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "router.h"
#include "states.h"

/* The specialist of dept with the fewest open tasks; ties go to the one
 * listed first in the roster. Returns NULL on a database error. */
static const struct cfg_specialist *pick_specialist(struct service *svc,
                                                    const struct cfg_department *dept)
{
    const char *p[1] = { dept->code };
    PGresult *res = db_exec(service_db(svc), "router.workload",
        "SELECT specialist_id, count(*) FROM tasks WHERE dept = $1"
        " AND state NOT IN ('APPROVED', 'REJECTED', 'CANCELLED') GROUP BY specialist_id", 1, p);
    if (!res)
        return NULL;
    const struct cfg_specialist *best = NULL;
    long best_load = 0;
    for (size_t i = 0; i < dept->n_specialists; i++) {
        long load = 0;
        for (int r = 0; r < PQntuples(res); r++)
            if (strcmp(PQgetvalue(res, r, 0), dept->specialists[i].id) == 0)
                load = atol(PQgetvalue(res, r, 1));
        if (!best || load < best_load) {
            best = &dept->specialists[i];
            best_load = load;
        }
    }
    PQclear(res);
    return best;
}

static int tell_tracker(struct service *svc, const char *task_id, const char *case_no,
                        const char *item, const char *dept, const char *specialist,
                        const char *state, int count, const char *delivery,
                        const Bangdai__DeptUpdate *data)
{
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.task_id = (char *)task_id;
    tc.case_no = (char *)case_no;
    tc.item_code = (char *)item;
    tc.dept = (char *)dept;
    tc.specialist = (char *)specialist;
    tc.state = (char *)state;
    tc.at_us = now_us();
    tc.case_task_count = count;
    tc.delivery = (char *)delivery;
    if (data) {
        tc.result_doc = data->result_doc;
        tc.result_kind = data->result_kind;
        tc.reference = data->reference;
        tc.reason = data->reason;
    }
    return service_emit(svc, "tracker", MSG_TASK_CHANGED, case_no, &tc.base, NULL) ? SERVICE_RETRY : 0;
}

static int create_task(struct service *svc, const Bangdai__CaseOpened *co, size_t i,
                       const struct cfg_specialist *sp, const struct cfg_item *item, int count)
{
    char task_id[96], msg_id[UUID_STR_LEN];
    Bangdai__TaskAssigned ta = BANGDAI__TASK_ASSIGNED__INIT;

    snprintf(task_id, sizeof task_id, "%s-T%zu", co->case_no, i + 1);
    ta.task_id = task_id;
    ta.case_no = co->case_no;
    ta.item_code = item->code;
    ta.item_name = item->name;
    ta.dept = item->dept;
    ta.specialist_id = sp->id;
    ta.specialist_name = sp->name;
    ta.service_type = co->service_type;
    ta.unit_name = co->unit_name;
    ta.project_name = co->project_name;
    ta.project_code = co->project_code;
    ta.n_materials = item->n_materials;
    ta.materials = item->materials;
    if (service_emit(svc, log_fmt("dept:%s", item->dept), MSG_TASK_ASSIGNED, co->case_no, &ta.base, msg_id))
        return SERVICE_RETRY;

    const char *p[6] = { task_id, co->case_no, item->code, item->dept, sp->id, msg_id };
    if (db_run(service_db(svc), "router.insert_task",
               "INSERT INTO tasks (task_id, case_no, item_code, dept, specialist_id, state, assign_msg_id)"
               " VALUES ($1, $2, $3, $4, $5, 'ASSIGNED', $6)", 6, p))
        return SERVICE_RETRY;
    const char *h[2] = { task_id, "router" };
    if (db_run(service_db(svc), "router.history",
               "INSERT INTO task_history (task_id, to_state, actor, detail) VALUES ($1, 'ASSIGNED', $2, NULL)", 2, h))
        return SERVICE_RETRY;
    log_info("task.assigned", .case_no = co->case_no, .task = task_id, .dept = item->dept,
             .detail = log_fmt("%s to specialist %s", item->code, sp->id));
    return tell_tracker(svc, task_id, co->case_no, item->code, item->dept, sp->id, "ASSIGNED",
                        count, co->delivery, NULL);
}

int router_case_opened(struct service *svc, const struct service_msg *m)
{
    const struct config *cfg = service_config(svc);
    Bangdai__CaseOpened *co = service_decode(svc, m, &bangdai__case_opened__descriptor);
    if (!co)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    const struct cfg_item **items = calloc(co->n_items + 1, sizeof *items);
    const struct cfg_specialist **chosen = calloc(co->n_items + 1, sizeof *chosen);
    if (!items || !chosen) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (!co->case_no[0] || co->n_items == 0) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case needs a number and at least one item");
        goto out;
    }
    for (size_t i = 0; i < co->n_items; i++)
        if (!(items[i] = config_item(cfg, co->items[i]))) {
            rc = service_refuse(svc, ERR_INVALID, log_fmt("items[%zu]", i),
                                "'%.40s' is not an item of the router's catalog", co->items[i]);
            goto out;
        }
    char count[24];
    snprintf(count, sizeof count, "%zu", co->n_items);
    const char *p[4] = { co->case_no, co->service_type, co->delivery, count };
    if (db_run(service_db(svc), "router.insert_case",
               "INSERT INTO cases (case_no, service_type, delivery, task_count) VALUES ($1, $2, $3, $4)", 4, p)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    for (size_t i = 0; i < co->n_items && rc == SERVICE_OK; i++) {
        /* Within a case, all tasks of one department go to one specialist. */
        for (size_t j = 0; j < i && !chosen[i]; j++)
            if (strcmp(items[j]->dept, items[i]->dept) == 0)
                chosen[i] = chosen[j];
        if (!chosen[i]) {
            const struct cfg_department *d = config_dept(cfg, items[i]->dept);
            if (!d || !(chosen[i] = pick_specialist(svc, d))) {
                rc = SERVICE_RETRY;
                break;
            }
        }
        rc = create_task(svc, co, i, chosen[i], items[i], (int)co->n_items);
    }
out:
    free(items);
    free(chosen);
    protobuf_c_message_free_unpacked(&co->base, NULL);
    return rc;
}

int router_move(struct service *svc, const char *task_id, const char *to_name,
                const char *actor, const Bangdai__DeptUpdate *data)
{
    PGconn *db = service_db(svc);
    enum task_state from, to;
    const char *p[1] = { task_id };
    PGresult *res = db_exec(db, "router.task_for_update",
        "SELECT t.state, t.case_no, t.item_code, t.dept, t.specialist_id, c.task_count, c.delivery"
        " FROM tasks t JOIN cases c USING (case_no) WHERE t.task_id = $1 FOR UPDATE OF t", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    if (PQntuples(res) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", task_id);
        goto out;
    }
    if (task_state_parse(PQgetvalue(res, 0, 0), &from) || task_state_parse(to_name, &to)) {
        rc = service_refuse(svc, ERR_INVALID, "state", "unknown state '%.40s'", to_name);
        goto out;
    }
    if (task_transition(from, to)) {
        rc = service_refuse(svc, ERR_CONFLICT, "state", "task %s is %s and cannot become %s",
                            task_id, task_state_name(from), task_state_name(to));
        goto out;
    }
    const char *need = task_required_field(to);
    if (need) {
        const char *have = !data ? "" : strcmp(need, "reference") == 0 ? data->reference
                         : strcmp(need, "result_doc") == 0 ? data->result_doc : data->reason;
        if (!have || !have[0]) {
            rc = service_refuse(svc, ERR_INVALID, need, "%s needs %s (task %s is %s)",
                                task_state_name(to), need, task_id, task_state_name(from));
            goto out;
        }
    }
    const char *u[6] = { task_id, task_state_name(to),
                         data && data->reference[0] ? data->reference : NULL,
                         data && data->result_doc[0] ? data->result_doc : NULL,
                         data && data->result_kind[0] ? data->result_kind : NULL,
                         data && data->reason[0] ? data->reason : NULL };
    if (db_run(db, "router.move",
               "UPDATE tasks SET state = $2, reference = coalesce($3, reference),"
               " result_doc = coalesce($4, result_doc), result_kind = coalesce($5, result_kind),"
               " reason = coalesce($6, reason), updated_at = now() WHERE task_id = $1", 6, u)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    const char *h[5] = { task_id, task_state_name(from), task_state_name(to), actor,
                         data && data->note[0] ? data->note : NULL };
    if (db_run(db, "router.history",
               "INSERT INTO task_history (task_id, from_state, to_state, actor, detail)"
               " VALUES ($1, $2, $3, $4, $5)", 5, h)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info("task.moved", .case_no = PQgetvalue(res, 0, 1), .task = task_id, .dept = PQgetvalue(res, 0, 3),
             .detail = log_fmt("%s -> %s by %s", task_state_name(from), task_state_name(to), actor));
    rc = tell_tracker(svc, task_id, PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3),
                      PQgetvalue(res, 0, 4), task_state_name(to), atoi(PQgetvalue(res, 0, 5)),
                      PQgetvalue(res, 0, 6), data);
out:
    PQclear(res);
    return rc;
}

int router_acked(struct service *svc, const char *msg_id, const char *dest, const char *type)
{
    (void)dest;
    if (strcmp(type, MSG_TASK_ASSIGNED) != 0)
        return SERVICE_OK;
    /* The agent acknowledges only after it stored the task: RECEIVED. */
    const char *p[1] = { msg_id };
    PGresult *res = db_exec(service_db(svc), "router.task_of_msg",
                            "SELECT task_id FROM tasks WHERE assign_msg_id = $1 AND state = 'ASSIGNED'", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    if (PQntuples(res) == 1)
        rc = router_move(svc, PQgetvalue(res, 0, 0), "RECEIVED", dest, NULL);
    PQclear(res);
    /* A refusal here would be a bug of ours, not the agent's: log and go on. */
    return rc == SERVICE_RETRY ? SERVICE_RETRY : SERVICE_OK;
}
