/* router_tasks.c - tasks from cases, specialists for tasks, and the one
 * function every move of a task goes through (router_move).
 *
 * A case becomes: one item task per requested item, for the item's
 * department; a coordination task for the zone body's liaison when the
 * project lies in a zone; and, in a 帮办 case, one help task per department
 * involved, which holds that department's help log. Within a case all tasks
 * of one department go to one specialist, and one specialist is the case's
 * lead (主办专员), chosen by the configured rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "router.h"
#include "validate.h"


char *router_json_array(char *const *items, size_t n)
{
    size_t cap = 3, used = 0;
    for (size_t i = 0; i < n; i++)
        cap += strlen(items[i]) * 6 + 3;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[used++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i)
            out[used++] = ',';
        out[used++] = '"';
        used += json_escape(items[i], out + used, cap - used);
        out[used++] = '"';
    }
    out[used++] = ']';
    out[used] = 0;
    return out;
}

/* What the picks of one case read, once: the open-task counts of the
 * specialists of its departments (kept by a trigger,
 * deploy/sql/004_specialist_load.sql: one row per specialist, however many
 * tasks there are) and who is away today. */
struct pick_data {
    PGresult *load;             /* dept, specialist_id, open_tasks */
    PGresult *away;             /* specialist_id */
};

static int pick_load(struct service *svc, const char *const *depts, int n, struct pick_data *pd)
{
    char *arr = db_text_array(depts, n);
    const char *p[1] = { arr };
    memset(pd, 0, sizeof *pd);
    if (!arr)
        return -1;
    pd->load = db_exec(service_db(svc), "router.workload",
        "SELECT dept, specialist_id, open_tasks FROM specialist_load WHERE dept = ANY($1::text[])", 1, p);
    free(arr);
    /* Today by the router's business clock, like the roster's leave. */
    char today[11];
    date_format(date_from_unix_us(business_now_us()), today);
    const char *t[1] = { today };
    if (pd->load)
        pd->away = db_exec(service_db(svc), "router.away",
            "SELECT DISTINCT specialist_id FROM specialist_away"
            " WHERE $1::date BETWEEN from_day AND to_day", 1, t);
    return pd->load && pd->away ? 0 : -1;
}

static void pick_free(struct pick_data *pd)
{
    PQclear(pd->load);
    PQclear(pd->away);
    memset(pd, 0, sizeof *pd);
}

/* The specialist of dept with the fewest open tasks, among those not away
 * (everybody away: among all). */
static const struct cfg_specialist *router_pick(const struct pick_data *pd, const struct cfg_department *dept)
{
    bd_day today = date_from_unix_us(business_now_us());
    const struct cfg_specialist *best = NULL, *fallback = NULL;
    long best_load = 0, fallback_load = 0;
    for (size_t i = 0; i < dept->n_specialists; i++) {
        const struct cfg_specialist *sp = &dept->specialists[i];
        long n = 0;
        bool is_away = config_specialist_away(sp, today);
        for (int r = 0; r < PQntuples(pd->load); r++)
            if (strcmp(PQgetvalue(pd->load, r, 0), dept->code) == 0
                && strcmp(PQgetvalue(pd->load, r, 1), sp->id) == 0)
                n = atol(PQgetvalue(pd->load, r, 2));
        for (int r = 0; r < PQntuples(pd->away) && !is_away; r++)
            is_away = strcmp(PQgetvalue(pd->away, r, 0), sp->id) == 0;
        if (!fallback || n < fallback_load) {
            fallback = sp;
            fallback_load = n;
        }
        if (!is_away && (!best || n < best_load)) {
            best = sp;
            best_load = n;
        }
    }
    if (!best && fallback) {
        /* Everybody is away: the work must still be someone's. */
        log_warn("specialist.all_away", .dept = dept->code,
                 .detail = log_fmt("every specialist is away; %s takes the task", fallback->id));
        best = fallback;
    }
    return best;
}

int router_notice(struct service *svc, const char *task_id, const char *case_no,
                  const char *dept, const char *kind, const char *specialist, const char *text)
{
    Bangdai__TaskNotice n = BANGDAI__TASK_NOTICE__INIT;
    n.task_id = (char *)task_id;
    n.case_no = (char *)case_no;
    n.dept = (char *)dept;
    n.kind = (char *)kind;
    n.specialist = (char *)(specialist ? specialist : "");
    n.text = (char *)(text ? text : "");
    char dest[64];
    snprintf(dest, sizeof dest, "dept:%s", dept);
    return service_emit(svc, dest, MSG_TASK_NOTICE, case_no, &n.base, NULL) ? SERVICE_RETRY : SERVICE_OK;
}

int router_case_event(struct service *svc, const char *case_no, const char *task_id,
                      const char *dept, const char *kind, const char *text,
                      const char *specialist)
{
    Bangdai__CaseEvent e = BANGDAI__CASE_EVENT__INIT;
    const struct cfg_department *d = NULL;
    const struct cfg_specialist *sp = specialist ? config_specialist(service_config(svc), specialist, &d) : NULL;
    e.case_no = (char *)case_no;
    e.task_id = (char *)(task_id ? task_id : "");
    e.dept = (char *)(dept ? dept : "");
    e.kind = (char *)kind;
    e.text = (char *)text;
    e.at_us = business_now_us();
    e.specialist = (char *)(specialist ? specialist : "");
    e.specialist_name = sp ? sp->name : "";
    return service_emit(svc, "intake", MSG_CASE_EVENT, case_no, &e.base, NULL) ? SERVICE_RETRY : SERVICE_OK;
}

int router_task_tell(struct service *svc, const PGresult *t, int row, const char *state,
                     const Bangdai__DeptUpdate *data, const char *clock)
{
    /* t holds: task_id, case_no, item_code, dept, specialist_id, kind, task_count, delivery */
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.task_id = PQgetvalue(t, row, 0);
    tc.case_no = PQgetvalue(t, row, 1);
    tc.item_code = PQgetvalue(t, row, 2);
    tc.dept = PQgetvalue(t, row, 3);
    tc.specialist = PQgetvalue(t, row, 4);
    tc.kind = PQgetvalue(t, row, 5);
    tc.case_task_count = atoi(PQgetvalue(t, row, 6));
    tc.delivery = PQgetvalue(t, row, 7);
    tc.state = (char *)state;
    tc.at_us = business_now_us();
    char day[11] = "";
    tc.clock = (char *)(clock ? clock : "");
    if (data) {
        tc.result_doc = data->result_doc;
        tc.result_kind = data->result_kind;
        tc.reference = data->reference;
        tc.reason = data->reason;
        /* The clock's start: check_fields made sure `when` starts with a
         * date on acceptance, and that accepted_on is one on a 帮办 item's
         * submission (and given nowhere else). */
        if (strcmp(state, "ACCEPTED_ONSITE") == 0)
            snprintf(day, sizeof day, "%s", data->when);
        else if (strcmp(state, "SUBMITTED") == 0)
            snprintf(day, sizeof day, "%s", data->accepted_on);
        tc.accepted_on = day;
        tc.pause_kind = data->pause_kind;
        tc.pause_reason = clock ? data->reason : data->missing;
    }
    return service_emit_more(svc, "tracker", MSG_TASK_CHANGED, tc.case_no, &tc.base) ? SERVICE_RETRY : 0;
}

/* The columns tell_tracker reads, for one task. */
#define TASK_COLUMNS \
    "t.task_id, t.case_no, coalesce(t.item_code, ''), t.dept, t.specialist_id, t.kind," \
    " (SELECT count(*) FROM tasks i WHERE i.case_no = t.case_no AND i.kind = 'item'), c.delivery," \
    " t.state, c.service_type, t.assign_msg_id," \
    " to_char(coalesce(t.assigned_on, ((t.created_at AT TIME ZONE 'UTC') + interval '8 hours')::date), 'YYYY-MM-DD')," \
    " coalesce(t.paused_kind, ''), coalesce(to_char(t.paused_since, 'YYYY-MM-DD'), '')"

PGresult *router_task_load(struct service *svc, const char *task_id, bool for_update)
{
    const char *p[1] = { task_id };
    return db_exec(service_db(svc), "router.task",
                   for_update ? "SELECT " TASK_COLUMNS " FROM tasks t JOIN cases c USING (case_no)"
                                " WHERE t.task_id = $1 FOR UPDATE OF t"
                              : "SELECT " TASK_COLUMNS " FROM tasks t JOIN cases c USING (case_no)"
                                " WHERE t.task_id = $1", 1, p);
}

int router_tell_tracker(struct service *svc, const char *task_id)
{
    PGresult *t = router_task_load(svc, task_id, false);
    int rc = t && PQntuples(t) == 1 ? router_task_tell(svc, t, 0, PQgetvalue(t, 0, 8), NULL, NULL) : SERVICE_RETRY;
    PQclear(t);
    return rc;
}

int router_send_task(struct service *svc, const char *task_id, const char *previous,
                     const char *reason)
{
    const struct config *cfg = service_config(svc);
    const char *p[1] = { task_id };
    PGresult *res = db_exec(service_db(svc), "router.task_to_send",
        "SELECT t.case_no, t.kind, coalesce(t.item_code, ''), t.dept, t.specialist_id, c.service_type,"
        " coalesce(c.lead_specialist, ''),"
        " (SELECT coalesce(string_agg(item_code, ',' ORDER BY task_id), '') FROM tasks i"
        "   WHERE i.case_no = t.case_no AND i.kind = 'item')"
        " FROM tasks t JOIN cases c USING (case_no) WHERE t.task_id = $1", 1, p);
    if (!res)
        return SERVICE_RETRY;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return SERVICE_RETRY;
    }
    const struct cfg_item *item = config_item(cfg, PQgetvalue(res, 0, 2));
    const struct cfg_department *d = NULL;
    const struct cfg_specialist *sp = config_specialist(cfg, PQgetvalue(res, 0, 4), &d);
    char *items_copy = strdup(PQgetvalue(res, 0, 7)), *codes[64];
    size_t n_codes = 0;
    for (char *tok = items_copy ? strtok(items_copy, ",") : NULL; tok && n_codes < 64; tok = strtok(NULL, ","))
        codes[n_codes++] = tok;

    Bangdai__TaskAssigned ta = BANGDAI__TASK_ASSIGNED__INIT;
    char msg_id[UUID_STR_LEN], dest[64];
    ta.task_id = (char *)task_id;
    ta.case_no = PQgetvalue(res, 0, 0);
    ta.kind = PQgetvalue(res, 0, 1);
    ta.item_code = PQgetvalue(res, 0, 2);
    ta.item_name = item ? item->name : "";
    ta.dept = PQgetvalue(res, 0, 3);
    ta.specialist_id = PQgetvalue(res, 0, 4);
    ta.specialist_name = sp ? sp->name : "";
    ta.service_type = PQgetvalue(res, 0, 5);
    ta.lead_specialist = PQgetvalue(res, 0, 6);
    ta.previous_specialist = (char *)(previous ? previous : "");
    ta.reason = (char *)(reason ? reason : "");
    if (item) {
        ta.n_materials = item->n_materials;
        ta.materials = item->materials;
    }
    if (strcmp(ta.kind, "item") != 0) {
        ta.n_items = n_codes;
        ta.items = codes;
    }
    snprintf(dest, sizeof dest, "dept:%s", ta.dept);
    int rc = service_emit(svc, dest, MSG_TASK_ASSIGNED, ta.case_no, &ta.base, msg_id) ? SERVICE_RETRY : SERVICE_OK;
    if (rc == SERVICE_OK) {
        const char *u[2] = { task_id, msg_id };
        if (db_run(service_db(svc), "router.assign_msg", "UPDATE tasks SET assign_msg_id = $2 WHERE task_id = $1", 2, u))
            rc = SERVICE_RETRY;
    }
    free(items_copy);
    PQclear(res);
    return rc;
}

/* Stage order, for the lead rule "earliest_stage". */
static int stage_rank(const char *stage)
{
    static const char *const order[] = { "land", "works", "construction", "completion" };
    for (int i = 0; i < 4; i++)
        if (strcmp(stage, order[i]) == 0)
            return i;
    return 4;
}

struct new_task {
    char id[96];
    const char *kind;
    const struct cfg_item *item;        /* NULL for companions */
    const struct cfg_department *dept;
    const struct cfg_specialist *sp;
    char msg_id[UUID_STR_LEN];          /* its TaskAssigned */
};

/* TaskAssigned for a task of a case being opened, built from the case in
 * hand; its id becomes the task's assignment (store_case). */
static int assign_new(struct service *svc, const Bangdai__CaseOpened *co, struct new_task *t,
                      const struct cfg_specialist *lead)
{
    Bangdai__TaskAssigned ta = BANGDAI__TASK_ASSIGNED__INIT;
    char dest[64];
    ta.task_id = t->id;
    ta.case_no = co->case_no;
    ta.kind = (char *)t->kind;
    ta.item_code = t->item ? t->item->code : "";
    ta.item_name = t->item ? t->item->name : "";
    ta.dept = t->dept->code;
    ta.specialist_id = t->sp->id;
    ta.specialist_name = t->sp->name;
    ta.service_type = co->service_type;
    ta.lead_specialist = lead->id;
    ta.previous_specialist = "";
    ta.reason = "";
    if (t->item) {
        ta.n_materials = t->item->n_materials;
        ta.materials = t->item->materials;
    } else {
        ta.n_items = co->n_items;
        ta.items = co->items;
    }
    snprintf(dest, sizeof dest, "dept:%s", t->dept->code);
    return service_emit(svc, dest, MSG_TASK_ASSIGNED, co->case_no, &ta.base, t->msg_id) ? SERVICE_RETRY
                                                                                       : SERVICE_OK;
}

/* TaskChanged ASSIGNED for a task of a case being opened. */
static int tell_tracker_new(struct service *svc, const Bangdai__CaseOpened *co, const struct new_task *t)
{
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.task_id = (char *)t->id;
    tc.case_no = co->case_no;
    tc.item_code = t->item ? t->item->code : "";
    tc.dept = t->dept->code;
    tc.specialist = t->sp->id;
    tc.kind = (char *)t->kind;
    tc.case_task_count = (int32_t)co->n_items;
    tc.delivery = co->delivery;
    tc.state = "ASSIGNED";
    tc.at_us = business_now_us();
    return service_emit_more(svc, "tracker", MSG_TASK_CHANGED, co->case_no, &tc.base) ? SERVICE_RETRY : 0;
}

/* The case, its tasks (with their assignments) and their first history
 * entries, in one statement. */
static int store_case(struct service *svc, const Bangdai__CaseOpened *co, const struct new_task *tasks,
                      size_t n, const struct cfg_department *zone, const struct cfg_specialist *lead)
{
    const char **col[6] = { 0 };
    char *arr[6] = { 0 };
    int rc = SERVICE_RETRY;
    for (int c = 0; c < 6; c++)
        if (!(col[c] = calloc(n, sizeof *col[c])))
            goto out;
    for (size_t i = 0; i < n; i++) {
        col[0][i] = tasks[i].id;
        col[1][i] = tasks[i].item ? tasks[i].item->code : NULL;
        col[2][i] = tasks[i].dept->code;
        col[3][i] = tasks[i].sp->id;
        col[4][i] = tasks[i].kind;
        col[5][i] = tasks[i].msg_id;
    }
    for (int c = 0; c < 6; c++)
        if (!(arr[c] = db_text_array(col[c], (int)n)))
            goto out;
    char today[11];
    date_format(date_from_unix_us(business_now_us()), today);
    const char *p[14] = { co->case_no, co->service_type, co->delivery, log_fmt("%zu", co->n_items),
                          zone ? zone->code : NULL, lead->id, arr[0], arr[1], arr[2], arr[3], arr[4], arr[5],
                          today, co->delivery_together ? "t" : "f" };
    if (db_run(service_db(svc), "router.insert_case",
               "WITH c AS (INSERT INTO cases (case_no, service_type, delivery, task_count, zone, lead_specialist,"
               "                          delivery_together)"
               "           VALUES ($1, $2, $3, $4::int, $5, $6, $14::bool) RETURNING case_no),"
               " t AS (INSERT INTO tasks (task_id, case_no, item_code, dept, specialist_id, state, kind, assign_msg_id,"
               "                          assigned_on)"
               "       SELECT x.task_id, c.case_no, x.item_code, x.dept, x.specialist_id, 'ASSIGNED', x.kind, x.msg,"
               "              $13::date"
               "       FROM c, unnest($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::uuid[])"
               "            AS x(task_id, item_code, dept, specialist_id, kind, msg)"
               "       RETURNING task_id, specialist_id)"
               " INSERT INTO task_history (task_id, to_state, actor, payload)"
               " SELECT task_id, 'ASSIGNED', 'router', json_build_object('specialist', specialist_id) FROM t",
               14, p) == 0)
        rc = SERVICE_OK;
out:
    for (int c = 0; c < 6; c++) {
        free(col[c]);
        free(arr[c]);
    }
    return rc;
}

int router_case_opened(struct service *svc, const struct service_msg *m)
{
    const struct config *cfg = service_config(svc);
    Bangdai__CaseOpened *co = service_decode(svc, m, &bangdai__case_opened__descriptor);
    if (!co)
        return SERVICE_REFUSE;
    int rc = SERVICE_OK;
    size_t cap = co->n_items * 2 + 2, n = 0;
    struct new_task *tasks = calloc(cap, sizeof *tasks);
    const struct cfg_department *zone = NULL;
    if (!tasks) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (!co->case_no[0] || co->n_items == 0) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case needs a number and at least one item");
        goto out;
    }
    if (strcmp(co->service_type, "agency") != 0 && strcmp(co->service_type, "help") != 0) {
        rc = service_refuse(svc, ERR_INVALID, "service_type", "'%.20s' is neither agency nor help", co->service_type);
        goto out;
    }
    if (co->zone[0] && (!(zone = config_dept(cfg, co->zone)) || !zone->zone)) {
        rc = service_refuse(svc, ERR_INVALID, "zone", "'%.40s' is not a zone body", co->zone);
        goto out;
    }
    /* Item tasks first; within a case one specialist per department. */
    for (size_t i = 0; i < co->n_items; i++, n++) {
        struct new_task *t = &tasks[n];
        if (!(t->item = config_item(cfg, co->items[i]))) {
            rc = service_refuse(svc, ERR_INVALID, log_fmt("items[%zu]", i),
                                "'%.40s' is not an item of the router's catalog", co->items[i]);
            goto out;
        }
        snprintf(t->id, sizeof t->id, "%s-T%zu", co->case_no, i + 1);
        t->kind = "item";
        t->dept = config_dept(cfg, t->item->dept);
    }
    if (zone) {
        struct new_task *t = &tasks[n++];
        snprintf(t->id, sizeof t->id, "%s-C1", co->case_no);
        t->kind = "coordination";
        t->dept = zone;
    }
    if (strcmp(co->service_type, "help") == 0) {
        size_t n_items = co->n_items, h = 0;
        for (size_t i = 0; i < n_items; i++) {
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = tasks[j].dept == tasks[i].dept;
            if (seen)
                continue;
            struct new_task *t = &tasks[n++];
            snprintf(t->id, sizeof t->id, "%s-H%zu", co->case_no, ++h);
            t->kind = "help";
            t->dept = tasks[i].dept;
        }
    }
    /* The specialists: one read of the departments' workloads for the
     * whole case; within a case one specialist per department. */
    const char **depts = calloc(n, sizeof *depts);
    struct pick_data pd;
    if (!depts) {
        rc = SERVICE_RETRY;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        depts[i] = tasks[i].dept->code;
    if (pick_load(svc, depts, (int)n, &pd) != 0) {
        pick_free(&pd);
        free(depts);
        rc = SERVICE_RETRY;
        goto out;
    }
    free(depts);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < i && !tasks[i].sp; j++)
            if (tasks[j].dept == tasks[i].dept)
                tasks[i].sp = tasks[j].sp;
        if (!tasks[i].sp && !(tasks[i].sp = router_pick(&pd, tasks[i].dept))) {
            pick_free(&pd);
            rc = service_refuse(svc, ERR_INVALID, "items", "department %s has no specialist in the roster",
                                tasks[i].dept->code);
            goto out;
        }
    }
    pick_free(&pd);
    /* The lead (主办专员): by rule, from the item tasks. */
    size_t lead = 0;
    if (!cfg->lead_rule || strcmp(cfg->lead_rule, "first_item") != 0)
        for (size_t i = 1; i < co->n_items; i++)
            if (stage_rank(tasks[i].item->stage) < stage_rank(tasks[lead].item->stage))
                lead = i;
    /* The messages, from what is in hand: each task to its department,
     * then its state to the tracker, then the lead to intake. */
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++)
        rc = assign_new(svc, co, &tasks[i], tasks[lead].sp);
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++)
        rc = tell_tracker_new(svc, co, &tasks[i]);
    if (rc == SERVICE_OK)
        rc = store_case(svc, co, tasks, n, zone, tasks[lead].sp);
    if (rc == SERVICE_OK) {
        const struct cfg_specialist *l = tasks[lead].sp;
        rc = router_case_event(svc, co->case_no, NULL, tasks[lead].dept->code, "lead",
                               log_fmt("主办专员 %s %s (%s)", l->id, l->name, tasks[lead].dept->name), l->id);
    }
    if (rc == SERVICE_OK) {
        for (size_t i = 0; i < n; i++)
            log_info("task.assigned", .case_no = co->case_no, .task = tasks[i].id, .dept = tasks[i].dept->code,
                     .detail = log_fmt("%s %s to specialist %s", tasks[i].kind,
                                       tasks[i].item ? tasks[i].item->code : "-", tasks[i].sp->id));
        log_info("case.lead", .case_no = co->case_no, .dept = tasks[lead].dept->code,
                 .detail = log_fmt("lead specialist %s", tasks[lead].sp->id));
    }
out:
    free(tasks);
    protobuf_c_message_free_unpacked(&co->base, NULL);
    return rc;
}

/* Checks that data carries every field the move into `to` needs. */
static int check_fields(struct service *svc, enum task_state from, enum task_state to,
                        const char *task_id, const Bangdai__DeptUpdate *d)
{
    for (const char *const *f = task_required_fields(to); *f; f++) {
        const char *have = !d ? NULL
            : strcmp(*f, "when") == 0 ? d->when : strcmp(*f, "where") == 0 ? d->where
            : strcmp(*f, "reference") == 0 ? d->reference : strcmp(*f, "missing") == 0 ? d->missing
            : strcmp(*f, "result_doc") == 0 ? d->result_doc : strcmp(*f, "result_kind") == 0 ? d->result_kind
            : d->reason;
        if (!have || !have[0])
            return service_refuse(svc, ERR_INVALID, *f, "%s needs %s (task %s is %s)",
                                  task_state_name(to), *f, task_id, task_state_name(from));
        if (validate_text(have, 500))
            return service_refuse(svc, ERR_INVALID, *f, "at most 500 bytes of text, no control characters");
    }
    if (to == TASK_APPROVED && strcmp(d->result_kind, "paper") != 0 && strcmp(d->result_kind, "e_licence") != 0)
        return service_refuse(svc, ERR_INVALID, "result_kind", "'%.20s' is neither paper nor e_licence", d->result_kind);
    if (to == TASK_ACCEPTED_ONSITE) {
        bd_day day;
        char date[11];
        snprintf(date, sizeof date, "%s", d->when);
        if (date_parse(date, &day))
            return service_refuse(svc, ERR_INVALID, "when", "'%.40s' does not start with a date YYYY-MM-DD", d->when);
        for (size_t i = 0; i < d->n_materials; i++)
            if (validate_text(d->materials[i], 200))
                return service_refuse(svc, ERR_INVALID, log_fmt("materials[%zu]", i), "at most 200 bytes of text");
    }
    return SERVICE_OK;
}

/* The day of 受理 a specialist reports (the start of `when`, checked by
 * check_fields; for a 帮办 item the day the authority accepted the unit's
 * filing, `accepted_on`) is the clock's day 0: it cannot be before the task
 * was assigned (column 11 of t, the router's day of the assignment) nor
 * after today, which would give an overdue deadline or none. field names
 * the field it came in. */
static int check_accepted_day(struct service *svc, const PGresult *t, const char *when, const char *field)
{
    bd_day day, assigned, today = date_from_unix_us(business_now_us());
    char date[11], text[11];
    snprintf(date, sizeof date, "%s", when);
    if (date_parse(date, &day) || date_parse(PQgetvalue(t, 0, 11), &assigned))
        return service_refuse(svc, ERR_INVALID, field, "'%.40s' does not start with a date YYYY-MM-DD", when);
    if (day < assigned)
        return service_refuse(svc, ERR_INVALID, field, "%s is before the task was assigned (%s): the "
                              "day of 受理 is on or after it", date, PQgetvalue(t, 0, 11));
    date_format(today, text);
    if (day > today)
        return service_refuse(svc, ERR_INVALID, field, "%s is after today (%s): report 受理 once it has happened",
                              date, text);
    return SERVICE_OK;
}

/* 帮办 items restart their clock on SUBMITTED from the day the authority
 * accepted the unit's own filing, which must come with it (accepted_on,
 * exactly YYYY-MM-DD); no other move carries that day. */
static int check_authority_day(struct service *svc, const PGresult *t, enum task_kind kind,
                               enum task_state to, const Bangdai__DeptUpdate *d)
{
    bool wanted = kind == KIND_HELP_ITEM && to == TASK_SUBMITTED;
    const char *day = d ? d->accepted_on : "";
    bd_day parsed;
    if (!wanted && day[0])
        return service_refuse(svc, ERR_INVALID, "accepted_on", "only a 帮办 item's submission carries the day "
                              "the authority accepted the filing; %s reports 受理 with accepted --when",
                              kind == KIND_AGENCY_ITEM ? "a 代办 item" : "this task");
    if (!wanted)
        return SERVICE_OK;
    if (!day[0])
        return service_refuse(svc, ERR_INVALID, "accepted_on", "a 帮办 item's submission needs the day the "
                              "authority accepted the unit's filing (--accepted-on YYYY-MM-DD): its clock "
                              "restarts from it");
    if (strlen(day) != 10 || date_parse(day, &parsed))
        return service_refuse(svc, ERR_INVALID, "accepted_on", "'%.40s' is not a date YYYY-MM-DD", day);
    return check_accepted_day(svc, t, day, "accepted_on");
}

/* What a move does to the router's view of the clock: 补正 stops it (not
 * while a department's pause is open: one pause at a time), the unit's
 * materials and a decision end the pause. */
static int move_clock(struct service *svc, const PGresult *t, const char *task_id, enum task_state to,
                      const Bangdai__DeptUpdate *d)
{
    const char *paused = PQgetvalue(t, 0, 12);
    if (to == TASK_SUPPLEMENT_REQUESTED && paused[0])
        return service_refuse(svc, ERR_CONFLICT, "state", "task %s is paused (%s since %s): one pause at a "
                              "time; resume it before asking for 补正", task_id, paused, PQgetvalue(t, 0, 13));
    char today[11];
    date_format(date_from_unix_us(business_now_us()), today);
    const char *p[4] = { task_id, to == TASK_SUPPLEMENT_REQUESTED ? "supplement" : NULL, today,
                         d && d->missing[0] ? d->missing : NULL };
    if (to == TASK_SUPPLEMENT_REQUESTED)
        return db_run(service_db(svc), "router.pause_supplement",
                      "UPDATE tasks SET paused_kind = $2, paused_since = $3::date, paused_reason = $4"
                      " WHERE task_id = $1", 4, p) ? SERVICE_RETRY : SERVICE_OK;
    if (paused[0] && (to == TASK_SUPPLEMENT_RECEIVED || task_state_final(to)))
        return db_run(service_db(svc), "router.pause_end",
                      "UPDATE tasks SET paused_kind = NULL, paused_since = NULL, paused_reason = NULL"
                      " WHERE task_id = $1", 1, p) ? SERVICE_RETRY : SERVICE_OK;
    if (to == TASK_SUBMITTED && d && d->accepted_on[0]) {
        const char *a[2] = { task_id, d->accepted_on };
        return db_run(service_db(svc), "router.authority_accepted",
                      "UPDATE tasks SET authority_accepted_on = $2::date WHERE task_id = $1", 2, a)
                   ? SERVICE_RETRY : SERVICE_OK;
    }
    return SERVICE_OK;
}

/* Closes the coordination and help tasks of a case once every item task is
 * decided: the service they accompany is over. Each agent is told with a
 * TaskNotice "closed", which its link delivers after the task itself, so a
 * department whose agent was away when the task came learns both. */
static int close_companions(struct service *svc, const char *case_no)
{
    const char *p[1] = { case_no };
    PGresult *res = db_exec(service_db(svc), "router.companions",
        "SELECT task_id, dept, specialist_id FROM tasks t WHERE case_no = $1 AND kind <> 'item' AND state NOT IN " FINAL_STATES
        " AND NOT EXISTS (SELECT 1 FROM tasks i WHERE i.case_no = t.case_no AND i.kind = 'item'"
        "                 AND i.state NOT IN " FINAL_STATES ")", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    for (int i = 0; i < PQntuples(res) && rc == SERVICE_OK; i++) {
        rc = router_move(svc, PQgetvalue(res, i, 0), "CLOSED", "router", NULL);
        if (rc == SERVICE_OK)
            rc = router_notice(svc, PQgetvalue(res, i, 0), case_no, PQgetvalue(res, i, 1), "closed",
                               PQgetvalue(res, i, 2), "every item of the case is decided; this task is closed");
    }
    PQclear(res);
    return rc;
}

int router_move(struct service *svc, const char *task_id, const char *to_name,
                const char *actor, const Bangdai__DeptUpdate *data)
{
    PGconn *db = service_db(svc);
    enum task_state from, to;
    enum task_kind kind;
    PGresult *t = router_task_load(svc, task_id, true);
    char *received = NULL, *missing = NULL;
    if (!t)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    if (PQntuples(t) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", task_id);
        goto out;
    }
    if (task_state_parse(to_name, &to)) {
        rc = service_refuse(svc, ERR_INVALID, "state", "unknown state '%.40s'", to_name);
        goto out;
    }
    if (task_state_parse(PQgetvalue(t, 0, 8), &from) || task_kind_parse(PQgetvalue(t, 0, 5), PQgetvalue(t, 0, 9), &kind)) {
        char case_no[64];
        log_error("task.corrupt", .case_no = task_case_no(task_id, case_no, sizeof case_no), .task = task_id,
                  .detail = "stored state or kind unknown");
        rc = service_refuse(svc, ERR_INTERNAL, "state", "task %s has an unknown stored state", task_id);
        goto out;
    }
    if (task_transition(kind, from, to)) {
        rc = service_refuse(svc, ERR_CONFLICT, "state", "task %s (%s) is %s and cannot become %s",
                            task_id, task_kind_name(kind), task_state_name(from), task_state_name(to));
        goto out;
    }
    if ((rc = check_fields(svc, from, to, task_id, data)) != SERVICE_OK)
        goto out;
    if (to == TASK_ACCEPTED_ONSITE && (rc = check_accepted_day(svc, t, data->when, "when")) != SERVICE_OK)
        goto out;
    if ((rc = check_authority_day(svc, t, kind, to, data)) != SERVICE_OK)
        goto out;
    if ((rc = move_clock(svc, t, task_id, to, data)) != SERVICE_OK)
        goto out;

    /* On-site acceptance: the materials taken in against the item's list. */
    if (to == TASK_ACCEPTED_ONSITE) {
        const struct cfg_item *item = config_item(service_config(svc), PQgetvalue(t, 0, 2));
        char **miss = item ? calloc(item->n_materials + 1, sizeof *miss) : NULL;
        size_t n_miss = 0;
        for (size_t i = 0; item && miss && i < item->n_materials; i++) {
            bool got = false;
            for (size_t j = 0; j < data->n_materials && !got; j++)
                got = strcmp(item->materials[i], data->materials[j]) == 0;
            if (!got)
                miss[n_miss++] = item->materials[i];
        }
        received = router_json_array(data->materials, data->n_materials);
        missing = miss ? router_json_array(miss, n_miss) : NULL;
        free(miss);
        if (!received || !missing) {
            rc = SERVICE_RETRY;
            goto out;
        }
    }
    const char *nz[] = {
        data && data->reference[0] ? data->reference : NULL,
        data && data->result_doc[0] ? data->result_doc : NULL,
        data && data->result_kind[0] ? data->result_kind : NULL,
        data && data->reason[0] ? data->reason : NULL,
        data && data->when[0] ? data->when : NULL,
        data && data->where[0] ? data->where : NULL,
        data && data->missing[0] ? data->missing : NULL,
    };
    const char *u[10] = { task_id, task_state_name(to), nz[0], nz[1], nz[2], nz[3], nz[4], nz[5],
                          received, nz[6] };
    if (db_run(db, "router.move",
               "UPDATE tasks SET state = $2, reference = coalesce($3, reference),"
               " result_doc = coalesce($4, result_doc), result_kind = coalesce($5, result_kind),"
               " reason = coalesce($6, reason), accepted_when = coalesce($7, accepted_when),"
               " accepted_where = coalesce($8, accepted_where),"
               " materials_received = CASE WHEN $9::jsonb IS NULL THEN materials_received"
               "   ELSE ARRAY(SELECT jsonb_array_elements_text($9::jsonb)) END,"
               " supplement_missing = coalesce($10, supplement_missing), updated_at = now()"
               " WHERE task_id = $1", 10, u)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    if (missing) {
        const char *mm[2] = { task_id, missing };
        if (db_run(db, "router.missing",
                   "UPDATE tasks SET materials_missing = ARRAY(SELECT jsonb_array_elements_text($2::jsonb))"
                   " WHERE task_id = $1", 2, mm)) {
            rc = SERVICE_RETRY;
            goto out;
        }
    }
    const char *h[13] = { task_id, task_state_name(from), task_state_name(to), actor,
                          data && data->note[0] ? data->note : NULL,
                          nz[0], nz[1], nz[2], nz[3], nz[4], nz[5], nz[6], missing };
    if (db_run(db, "router.history",
               "INSERT INTO task_history (task_id, from_state, to_state, actor, detail, payload)"
               " VALUES ($1, $2, $3, $4, $5, json_strip_nulls(json_build_object("
               "  'reference', $6::text, 'result_doc', $7::text, 'result_kind', $8::text,"
               "  'reason', $9::text, 'when', $10::text, 'where', $11::text, 'missing', $12::text,"
               "  'materials_missing', $13::jsonb)))", 13, h)) {
        rc = SERVICE_RETRY;
        goto out;
    }
    log_info("task.moved", .case_no = PQgetvalue(t, 0, 1), .task = task_id, .dept = PQgetvalue(t, 0, 3),
             .detail = log_fmt("%s -> %s by %s", task_state_name(from), task_state_name(to), actor));
    if ((rc = router_task_tell(svc, t, 0, task_state_name(to), data, NULL)) != SERVICE_OK)
        goto out;
    if (kind == KIND_AGENCY_ITEM || kind == KIND_HELP_ITEM)
        if (task_state_final(to))
            rc = close_companions(svc, PQgetvalue(t, 0, 1));
out:
    free(received);
    free(missing);
    PQclear(t);
    return rc;
}

int router_acked(struct service *svc, int n, const char *const *msg_ids, const char *const *dests,
                 const char *const *types)
{
    /* The agents acknowledge only after they stored their tasks: RECEIVED,
     * a move legal from ASSIGNED for every kind of task, made for all the
     * batch's tasks in one statement with their history entries; it
     * returns what tell_tracker reads. A task no longer ASSIGNED
     * (reassigned, closed) is left as is. */
    const char **ids = calloc((size_t)n * 2, sizeof *ids), **from = ids ? ids + n : NULL;
    int m = 0;
    if (!ids)
        return SERVICE_RETRY;
    for (int i = 0; i < n; i++)
        if (strcmp(types[i], MSG_TASK_ASSIGNED) == 0) {
            ids[m] = msg_ids[i];
            from[m++] = dests[i];
        }
    char *id_arr = m ? db_text_array(ids, m) : NULL, *from_arr = m ? db_text_array(from, m) : NULL;
    free(ids);
    if (m == 0)
        return SERVICE_OK;
    const char *p[2] = { id_arr, from_arr };
    PGresult *t = id_arr && from_arr ? db_exec(service_db(svc), "router.received",
        "WITH a AS (SELECT * FROM unnest($1::uuid[], $2::text[]) WITH ORDINALITY AS a(id, dest, n)),"
        " t AS (UPDATE tasks SET state = 'RECEIVED', updated_at = now() FROM a"
        "       WHERE tasks.assign_msg_id = a.id AND tasks.state = 'ASSIGNED'"
        "       RETURNING task_id, case_no, coalesce(item_code, '') AS item_code, dept, specialist_id, kind,"
        "                 a.dest, a.n),"
        " h AS (INSERT INTO task_history (task_id, from_state, to_state, actor, payload)"
        "       SELECT task_id, 'ASSIGNED', 'RECEIVED', dest, '{}'::json FROM t)"
        " SELECT t.task_id, t.case_no, t.item_code, t.dept, t.specialist_id, t.kind, c.task_count, c.delivery,"
        "        t.dest"
        " FROM t JOIN cases c USING (case_no) ORDER BY t.n", 2, p) : NULL;
    free(id_arr);
    free(from_arr);
    if (!t)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    for (int r = 0; r < PQntuples(t) && rc == SERVICE_OK; r++) {
        log_info("task.moved", .case_no = PQgetvalue(t, r, 1), .task = PQgetvalue(t, r, 0),
                 .dept = PQgetvalue(t, r, 3), .detail = log_fmt("ASSIGNED -> RECEIVED by %s", PQgetvalue(t, r, 8)));
        rc = router_task_tell(svc, t, r, "RECEIVED", NULL, NULL);
    }
    PQclear(t);
    return rc;
}
