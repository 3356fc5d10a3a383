/* router_dept.c - the department agents' side of the router.
 *
 * Each agent connects to the router_dept endpoint with its department's
 * key and says Hello on connect and then every few seconds; the router
 * remembers the routing identity each department was last heard from, and
 * the relay sends "dept:<code>" outbox rows there. The department a message
 * speaks for is the department of the key it came with, never a field of
 * the message: an agent sees and changes only its own department's tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
#include "link.h"
#include "log.h"
#include "router.h"
#include "validate.h"

#define LIST_DEFAULT 100     /* tasks a page when the request names no limit */
#define LIST_MAX 500         /* at most, so that a reply stays far below the 1 MiB frame limit */

/* Where each department's agent was last heard from. The codes are
 * copies, not pointers into the configuration, which SIGHUP replaces. */
struct agents {
    size_t n;
    char (*code)[33];           /* department codes (config_code_ok: at most 32) */
    zframe_t **identity;        /* last identity heard from, or NULL */
    int64_t *heard_us;          /* when its last Hello came (real clock, µs); 0: never */
};

/* An agent says Hello every 2 s while connected (services/dept): one not
 * heard from for this long counts as not connected in the metrics. */
#define AGENT_SILENT_US (6 * 1000000LL)

static void agents_free(struct agents **ap)
{
    struct agents *a = *ap;
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        zframe_destroy(&a->identity[i]);
    free(a->code);
    free(a->identity);
    free(a->heard_us);
    free(a);
    *ap = NULL;
}

/* A table of cfg's departments, nobody heard from yet; NULL when out of
 * memory. */
static struct agents *agents_new(const struct config *cfg)
{
    struct agents *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->n = cfg->n_depts;
    a->code = calloc(a->n ? a->n : 1, sizeof *a->code);
    a->identity = calloc(a->n ? a->n : 1, sizeof *a->identity);
    a->heard_us = calloc(a->n ? a->n : 1, sizeof *a->heard_us);
    if (!a->code || !a->identity || !a->heard_us) {
        agents_free(&a);
        return NULL;
    }
    for (size_t i = 0; i < a->n; i++)
        snprintf(a->code[i], sizeof a->code[i], "%s", cfg->depts[i].code);
    return a;
}

int router_start(struct service *svc)
{
    struct agents *a = agents_new(service_config(svc));
    if (!a)
        return -1;
    service_set_state(svc, a);
    return 0;
}

void router_stop(struct service *svc)
{
    struct agents *a = service_state(svc);
    agents_free(&a);
    service_set_state(svc, NULL);
    router_due_free();
}

/* Whether dept's department keys are the same in both configurations. */
static bool same_keys(const struct config *x, const struct config *y, const char *dept)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct config *from = pass ? y : x, *to = pass ? x : y;
        for (size_t i = 0; i < from->security.n_keys; i++) {
            const struct cfg_key *k = &from->security.keys[i];
            if (k->role != ROLE_DEPARTMENT || strcmp(k->dept, dept) != 0)
                continue;
            const struct cfg_key *o = k->public_key ? config_key_by_public(to, k->public_key) : NULL;
            if (!o || o->role != ROLE_DEPARTMENT || strcmp(o->dept, dept) != 0)
                return false;
        }
    }
    return true;
}

int router_reload(struct service *svc, const struct config *fresh)
{
    struct agents *old = service_state(svc), *a = agents_new(fresh);
    if (!a) {
        log_error("router.reload_failed", .detail = "out of memory");
        return -1;
    }
    /* An agent stays known where its department and its keys stay. Where
     * a department's key was removed or changed, the connection it came
     * on may be the removed key's: it is forgotten, and the agent that
     * still holds a valid key is found again at its next Hello (every few
     * seconds), while a removed key's Hello is refused (forbidden). */
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = 0; old && j < old->n; j++)
            if (strcmp(a->code[i], old->code[j]) == 0 && old->identity[j]) {
                if (same_keys(service_config(svc), fresh, a->code[i])) {
                    a->identity[i] = old->identity[j];
                    a->heard_us[i] = old->heard_us[j];
                    old->identity[j] = NULL;
                } else {
                    log_info("agent.forgotten", .dept = a->code[i], .detail = "the department's keys changed "
                             "(SIGHUP): its agent is known again at its next Hello");
                }
            }
    agents_free(&old);
    service_set_state(svc, a);
    return 0;
}

static long find(struct agents *a, const char *code)
{
    for (size_t i = 0; a && code && i < a->n; i++)
        if (strcmp(a->code[i], code) == 0)
            return (long)i;
    return -1;
}

const char *router_peer_dept(const struct service_msg *m, const char *claimed)
{
    if (m->peer)
        return m->peer->role == ROLE_DEPARTMENT ? m->peer->dept : NULL;
    /* Without an authenticated key (CURVE off) the message's own claim is
     * all there is. */
    return claimed && claimed[0] ? claimed : NULL;
}

int router_hello(struct service *svc, const struct service_msg *m)
{
    struct agents *a = service_state(svc);
    Bangdai__Hello *h = service_decode(svc, m, &bangdai__hello__descriptor);
    if (!h) {
        log_warn("agent.bad_hello", .detail = "Hello payload unreadable");
        return SERVICE_REFUSE;
    }
    const char *dept = router_peer_dept(m, h->dept);
    long i = find(a, dept);
    if (i < 0) {
        log_warn("agent.unknown_department", .dept = h->dept, .detail = "Hello from a key of no department");
    } else {
        bool fresh = !a->identity[i] || !zframe_eq(a->identity[i], m->identity);
        zframe_destroy(&a->identity[i]);
        a->identity[i] = zframe_dup(m->identity);
        a->heard_us[i] = now_us();
        if (fresh) {
            /* An agent (re)connected: what waits for it goes out now, not
             * after the back-off its earlier attempts earned. */
            char dest[64];
            snprintf(dest, sizeof dest, "dept:%s", dept);
            if (service_resend(svc, dest))
                log_warn("agent.resend_not_scheduled", .dept = dept);
            /* The Hello's id lets an agent's log show which of its Hellos
             * the router took. */
            log_info("agent.connected", .dept = dept, .msg_id = m->env->id);
        }
    }
    protobuf_c_message_free_unpacked(&h->base, NULL);
    return SERVICE_OK;
}

int router_metrics(struct service *svc, struct metrics_text *out)
{
    struct agents *a = service_state(svc);
    int64_t now = now_us();
    size_t connected = 0;
    metrics_family(out, "agent_connected", "gauge",
                   "1 when the department's agent said Hello within the last 6 s (it says it every 2 s), else 0.");
    for (size_t i = 0; a && i < a->n; i++) {
        bool up = a->identity[i] && now - a->heard_us[i] < AGENT_SILENT_US;
        connected += up;
        metrics_sample(out, "agent_connected", up, "dept", a->code[i], NULL);
    }
    metrics_family(out, "agents_connected", "gauge", "Department agents connected (see bangdai_agent_connected).");
    metrics_sample(out, "agents_connected", (double)connected, NULL);
    return 0;
}

int router_resolve(struct service *svc, const char *dest, zsock_t **sock, zframe_t **identity)
{
    struct agents *a = service_state(svc);
    if (strncmp(dest, "dept:", 5) != 0)
        return -1;
    long i = find(a, dest + 5);
    if (i < 0 || !a->identity[i])
        return -1;
    *sock = service_socket(svc, "router_dept");
    *identity = a->identity[i];
    return 0;
}

int router_own_task(struct service *svc, const char *task_id, const char *dept, char *kind_out)
{
    const char *p[1] = { task_id };
    if (!dept)
        return service_refuse(svc, ERR_FORBIDDEN, "key", "only a department's key may change tasks");
    PGresult *res = db_exec(service_db(svc), "router.task_dept",
                            "SELECT dept, kind FROM tasks WHERE task_id = $1", 1, p);
    if (!res)
        return SERVICE_RETRY;
    int rc = SERVICE_OK;
    if (PQntuples(res) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "task_id", "no task %.96s", task_id);
    } else if (strcmp(PQgetvalue(res, 0, 0), dept) != 0) {
        char case_no[64];
        log_warn("agent.forbidden", .case_no = task_case_no(task_id, case_no, sizeof case_no),
                 .dept = dept, .task = task_id,
                 .detail = "a department tried to touch another department's task");
        rc = service_refuse(svc, ERR_FORBIDDEN, "task_id", "task %.96s is not a task of department %.20s",
                            task_id, dept);
    } else if (kind_out) {
        snprintf(kind_out, 16, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return rc;
}

int router_dept_update(struct service *svc, const struct service_msg *m)
{
    Bangdai__DeptUpdate *u = service_decode(svc, m, &bangdai__dept_update__descriptor);
    if (!u)
        return SERVICE_REFUSE;
    const char *dept = router_peer_dept(m, u->dept);
    enum task_state to;
    int rc = router_own_task(svc, u->task_id, dept, NULL);
    bool pause = strcmp(u->state, "pause") == 0, resume = strcmp(u->state, "resume") == 0;
    if (rc == SERVICE_OK && (pause || resume)) {
        char actor[160];
        snprintf(actor, sizeof actor, "%s", m->peer ? m->peer->name : log_fmt("dept:%s", dept));
        rc = router_pause(svc, u->task_id, actor, u, resume);
        goto out;
    }
    if (rc == SERVICE_OK && task_state_parse_word(u->state, &to))
        rc = service_refuse(svc, ERR_INVALID, "state",
                            "'%.40s' is not a move an agent reports: accepted, submitted, supplement,"
                            " resupplied, approved or rejected (or pause, resume)", u->state);
    if (rc == SERVICE_OK) {
        char actor[160];
        snprintf(actor, sizeof actor, "%s", m->peer ? m->peer->name : log_fmt("dept:%s", dept));
        rc = router_move(svc, u->task_id, task_state_name(to), actor, u);
    }
out:
    protobuf_c_message_free_unpacked(&u->base, NULL);
    return rc;
}

static int need(struct service *svc, const char *field, const char *value)
{
    if (!value || !value[0] || validate_text(value, 1000))
        return service_refuse(svc, ERR_INVALID, field, "required, at most 1000 bytes of text");
    return SERVICE_OK;
}

/* Checks a help-log entry and writes the line the unit will read. */
static int note_text(struct service *svc, const Bangdai__DeptNote *n, char *out, size_t cap)
{
    const struct config *cfg = service_config(svc);
    int rc;
    if (strcmp(n->kind, "consultation") == 0) {
        if ((rc = need(svc, "question", n->question)) || (rc = need(svc, "answer", n->answer)))
            return rc;
        snprintf(out, cap, "咨询 问: %s 答: %s", n->question, n->answer);
    } else if (strcmp(n->kind, "guidance") == 0) {
        if ((rc = need(svc, "text", n->text)))
            return rc;
        snprintf(out, cap, "指导 %s", n->text);
    } else if (strcmp(n->kind, "contact") == 0) {
        const struct cfg_department *d = config_dept(cfg, n->contact_dept);
        if (!d)
            return service_refuse(svc, ERR_INVALID, "contact_dept", "'%.40s' is not a department", n->contact_dept);
        if ((rc = need(svc, "text", n->text)))
            return rc;
        snprintf(out, cap, "联系 %s: %s", d->name, n->text);
    } else if (strcmp(n->kind, "meeting") == 0) {
        bd_day day;
        char date[11], invited[512] = "";
        snprintf(date, sizeof date, "%s", n->at);
        if (date_parse(date, &day))
            return service_refuse(svc, ERR_INVALID, "at", "'%.40s' does not start with a date YYYY-MM-DD", n->at);
        if (n->n_invited == 0)
            return service_refuse(svc, ERR_INVALID, "invited", "a meeting invites at least one department");
        for (size_t i = 0; i < n->n_invited; i++) {
            const struct cfg_department *d = config_dept(cfg, n->invited[i]);
            if (!d)
                return service_refuse(svc, ERR_INVALID, log_fmt("invited[%zu]", i),
                                      "'%.40s' is not a department", n->invited[i]);
            size_t l = strlen(invited);
            snprintf(invited + l, sizeof invited - l, "%s%s", i ? "、" : "", d->name);
        }
        if ((rc = need(svc, "topic", n->topic)) || (rc = need(svc, "decisions", n->decisions)))
            return rc;
        snprintf(out, cap, "协调会 %s 议题: %s; 参会: %s; 议定: %s", n->at, n->topic, invited, n->decisions);
    } else {
        return service_refuse(svc, ERR_INVALID, "kind",
                              "'%.20s' is not consultation, guidance, contact or meeting", n->kind);
    }
    return SERVICE_OK;
}

int router_dept_note(struct service *svc, const struct service_msg *m)
{
    Bangdai__DeptNote *n = service_decode(svc, m, &bangdai__dept_note__descriptor);
    if (!n)
        return SERVICE_REFUSE;
    const char *dept = router_peer_dept(m, n->dept);
    char kind[16] = "", text[2048];
    int rc = router_own_task(svc, n->task_id, dept, kind);
    if (rc == SERVICE_OK && strcmp(kind, "item") == 0)
        rc = service_refuse(svc, ERR_INVALID, "task_id",
                            "notes go on the case's help or coordination task, not on item task %.96s", n->task_id);
    if (rc == SERVICE_OK)
        rc = note_text(svc, n, text, sizeof text);
    if (rc != SERVICE_OK)
        goto out;
    char *invited = router_json_array(n->invited, n->n_invited);
    const char *actor = m->peer ? m->peer->name : dept;
    const char *p[11] = { n->task_id, actor, n->kind, n->question, n->answer, n->text, n->contact_dept,
                          n->at, invited ? invited : "[]", n->topic, n->decisions };
    PGresult *res = db_exec(service_db(svc), "router.note",
        "INSERT INTO task_history (task_id, from_state, to_state, actor, event, payload)"
        " SELECT task_id, state, state, $2, 'note', json_strip_nulls(json_build_object("
        "  'kind', $3::text, 'question', nullif($4::text, ''), 'answer', nullif($5::text, ''),"
        "  'text', nullif($6::text, ''), 'contact_dept', nullif($7::text, ''), 'at', nullif($8::text, ''),"
        "  'invited', $9::jsonb, 'topic', nullif($10::text, ''), 'decisions', nullif($11::text, '')))"
        " FROM tasks WHERE task_id = $1 RETURNING (SELECT case_no FROM tasks WHERE task_id = $1)", 11, p);
    free(invited);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    char case_no[96];
    snprintf(case_no, sizeof case_no, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    log_info("task.note", .case_no = case_no, .task = n->task_id, .dept = dept, .detail = n->kind);
    rc = router_case_event(svc, case_no, n->task_id, dept, n->kind, text, NULL);
out:
    protobuf_c_message_free_unpacked(&n->base, NULL);
    return rc;
}

int router_task_list(struct service *svc, const struct service_msg *m)
{
    Bangdai__TaskListRequest *r = service_decode(svc, m, &bangdai__task_list_request__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    const char *dept = router_peer_dept(m, r->dept);
    int rc = SERVICE_OK;
    PGresult *res = NULL;
    Bangdai__TaskInfo *infos = NULL, **ptrs = NULL;
    if (!dept) {
        rc = service_refuse(svc, ERR_FORBIDDEN, "key", "only a department's key may list tasks");
        goto out;
    }
    /* Keyset pagination: the page after (due day, task id) of the last row
     * of the page before, through the index tasks_open_by_dept_due
     * (deploy/sql/005_scale.sql), so a page costs the same on the first
     * page and the thousandth, however many tasks are open. */
    unsigned limit = r->limit ? r->limit : LIST_DEFAULT;
    char after_day[16] = "-infinity", after_task[128] = "", lim[16];
    if (limit > LIST_MAX) {
        rc = service_refuse(svc, ERR_INVALID, "limit", "at most %d tasks a page, not %u", LIST_MAX, limit);
        goto out;
    }
    if (r->after[0]) {
        const char *bar = strchr(r->after, '|');
        bd_day d;
        size_t dl = bar ? (size_t)(bar - r->after) : 0;
        if (!bar || dl >= sizeof after_day || strlen(bar + 1) >= sizeof after_task || !bar[1]
            || (!(dl == 8 && strncmp(r->after, "infinity", 8) == 0)
                && (dl != 10 || date_parse(log_fmt("%.10s", r->after), &d)))) {
            rc = service_refuse(svc, ERR_INVALID, "after", "not a cursor of this list; start again without one");
            goto out;
        }
        snprintf(after_day, sizeof after_day, "%.*s", (int)dl, r->after);
        snprintf(after_task, sizeof after_task, "%s", bar + 1);
    }
    snprintf(lim, sizeof lim, "%u", limit + 1);
    const char *p[5] = { dept, r->specialist[0] ? r->specialist : NULL, after_day, after_task, lim };
    res = db_exec(service_db(svc), "router.list",
        "SELECT task_id, case_no, kind, coalesce(item_code, ''), specialist_id, state,"
        " coalesce(to_char(due_on, 'YYYY-MM-DD'), ''),"
        " coalesce(to_char(due_on, 'YYYY-MM-DD'), 'infinity') || '|' || task_id,"
        " coalesce(due_pending_year, 0), coalesce(to_char(statutory_due_on, 'YYYY-MM-DD'), ''),"
        " coalesce(statutory_pending_year, 0), coalesce(paused_kind, ''),"
        " coalesce(to_char(paused_since, 'YYYY-MM-DD'), '')"
        " FROM tasks"
        " WHERE dept = $1 AND state NOT IN " FINAL_STATES
        "  AND ($2::text IS NULL OR specialist_id = $2)"
        "  AND (coalesce(due_on, 'infinity'::date), task_id) > ($3::date, $4::text)"
        " ORDER BY coalesce(due_on, 'infinity'::date), task_id LIMIT $5::int", 5, p);
    if (!res) {
        rc = SERVICE_RETRY;
        goto out;
    }
    size_t n = (size_t)PQntuples(res);
    bool more = n > limit;
    if (more)
        n = limit;
    infos = calloc(n + 1, sizeof *infos);
    ptrs = calloc(n + 1, sizeof *ptrs);
    if (!infos || !ptrs) {
        rc = SERVICE_RETRY;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bangdai__task_info__init(&infos[i]);
        infos[i].task_id = PQgetvalue(res, (int)i, 0);
        infos[i].case_no = PQgetvalue(res, (int)i, 1);
        infos[i].kind = PQgetvalue(res, (int)i, 2);
        infos[i].item_code = PQgetvalue(res, (int)i, 3);
        infos[i].specialist = PQgetvalue(res, (int)i, 4);
        infos[i].state = PQgetvalue(res, (int)i, 5);
        infos[i].due_date = PQgetvalue(res, (int)i, 6);
        infos[i].due_pending_year = atoi(PQgetvalue(res, (int)i, 8));
        infos[i].statutory_due_date = PQgetvalue(res, (int)i, 9);
        infos[i].statutory_pending_year = atoi(PQgetvalue(res, (int)i, 10));
        infos[i].paused_kind = PQgetvalue(res, (int)i, 11);
        infos[i].paused_since = PQgetvalue(res, (int)i, 12);
        ptrs[i] = &infos[i];
    }
    Bangdai__TaskListReply rep = BANGDAI__TASK_LIST_REPLY__INIT;
    rep.dept = (char *)dept;
    rep.n_tasks = n;
    rep.tasks = ptrs;
    rep.next_after = more ? PQgetvalue(res, (int)n - 1, 7) : "";
    /* The count the workload trigger keeps, not a count of the rows. */
    PGresult *total = db_exec(service_db(svc), "router.list_total",
        "SELECT coalesce(sum(open_tasks), 0) FROM specialist_load WHERE dept = $1", 1, p);
    if (!total) {
        rc = SERVICE_RETRY;
        goto out;
    }
    rep.open_total = (uint32_t)strtoul(PQgetvalue(total, 0, 0), NULL, 10);
    PQclear(total);
    rc = service_reply(svc, MSG_TASK_LIST_REPLY, NULL, &rep.base);
out:
    free(infos);
    free(ptrs);
    PQclear(res);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}
