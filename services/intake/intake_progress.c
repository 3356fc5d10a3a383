/* intake_progress.c - what the later stages report of each task and of the
 * case (Progress from the tracker, delivery and evaluation), applied to
 * intake's own tables, which the hall's status and feed are answered from.
 *
 * One transaction of the tracker tells intake of several tasks of a case in
 * one envelope (Envelope.more). The handler checks each part as it comes (a
 * bad part is refused before anything of the message is written) and keeps
 * it; the kept parts are applied together, in one statement (apply_parts):
 * the case check, the case's move to IN_PROGRESS, every task's upsert and
 * every changed item task's clock (item_clock). What follows each part (the
 * rare decision count, the log lines, the case state, the feed event) is
 * then done part by part, in order.
 *
 * The outcome must be the one applying the parts one by one gives. An
 * ON CONFLICT statement cannot touch one row twice, so a part about a task
 * already kept, or about another case, first applies what is kept; a part
 * that sets the case's state is applied at once with what is kept, so that
 * the state is set after every task report before it and before every one
 * after it. What is kept at the end of the message is applied by
 * intake_after_message (the skeleton's after_message), and forgotten when
 * the message failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "db.h"
#include "intake.h"
#include "log.h"
#include "validate.h"

/* The Progress parts of the message being applied, not yet applied; each
 * owned (freed when applied or forgotten). */
struct progress_queue {
    Bangdai__Progress **part;
    size_t n, cap;
};

struct intake_pending *intake_pending(struct service *svc)
{
    struct intake_pending *ip = service_state(svc);
    if (!ip && (ip = calloc(1, sizeof *ip)) != NULL)
        service_set_state(svc, ip);
    return ip;
}

static const char *nz(const char *s) { return s && *s ? s : NULL; }

static const char *kind_of(const Bangdai__Progress *p) { return p->kind[0] ? p->kind : "item"; }

static void queue_clear(struct progress_queue *q)
{
    for (size_t i = 0; q && i < q->n; i++)
        protobuf_c_message_free_unpacked(&q->part[i]->base, NULL);
    if (q)
        q->n = 0;
}

/* Whether p is a task report that can be stored: SERVICE_OK, or the
 * refusal naming what is wrong. */
static int check_part(struct service *svc, const Bangdai__Progress *p)
{
    if (!p->task_id[0])
        return SERVICE_OK;
    const char *kind = kind_of(p);
    bd_day d;
    if (!p->state[0] || !p->dept[0] || (strcmp(kind, "item") == 0 && !p->item_code[0]))
        return service_refuse(svc, ERR_INVALID, "state", "a task report needs task, item, department and state");
    if (p->due_date[0] && date_parse(p->due_date, &d))
        return service_refuse(svc, ERR_INVALID, "due_date", "'%.20s' is not a date", p->due_date);
    if ((p->statutory_due_date[0] && date_parse(p->statutory_due_date, &d))
        || (p->paused_since[0] && date_parse(p->paused_since, &d)))
        return service_refuse(svc, ERR_INVALID, p->paused_since[0] ? "paused_since" : "statutory_due_date",
                              "not a date YYYY-MM-DD");
    if (p->statutory_pending_year && (p->statutory_due_date[0] || p->statutory_pending_year < 1970
                                      || p->statutory_pending_year > 9999))
        return service_refuse(svc, ERR_INVALID, "statutory_pending_year", "%d is not a year a due date can wait for",
                              p->statutory_pending_year);
    if (p->paused_days < 0 || (p->paused_kind[0] && validate_text(p->paused_kind, 32) < 0)
        || !p->paused_kind[0] != !p->paused_since[0])
        return service_refuse(svc, ERR_INVALID, "paused_kind", "a pause has a kind, a day, a reason and a number of "
                              "days not below 0");
    if (p->due_pending_year && (p->due_date[0] || p->due_pending_year < 1970 || p->due_pending_year > 9999))
        return service_refuse(svc, ERR_INVALID, "due_pending_year", "%d is not a year a due date can wait for%s",
                              p->due_pending_year, p->due_date[0] ? " (the report has a due date)" : "");
    if ((p->handover[0] && validate_text(p->handover, 2000))
        || (p->handover_method[0] && strcmp(p->handover_method, "in_person") != 0
            && strcmp(p->handover_method, "post") != 0 && strcmp(p->handover_method, "e_licence") != 0))
        return service_refuse(svc, ERR_INVALID, "handover", "at most 2000 bytes of text, by in_person, post or e_licence");
    return SERVICE_OK;
}

/* The day a report counts for an item's clock: the day of its report, or
 * today (the business day) when it has none. */
static void clock_day(const Bangdai__Progress *p, char on[static 11])
{
    date_format(date_from_unix_us(p->at_us ? p->at_us : business_now_us()), on);
}

/* What the statement tells of one part, after it (see apply_parts). */
struct outcome {
    bool changed;               /* the report changed its task (a late, older one does not) */
    char held_due[11];          /* the due date the task has after it: the feed shows what intake holds */
    int held_pending;
    char started[11];           /* the item's clock start, "" when not an item task it changed */
    bool was_decided;           /* the item's clock already had its decision */
};

/* After the statement, part p in order: the decision's working days, the
 * log lines, the case's state and the feed event, as applying p alone did. */
static int after_part(struct service *svc, const Bangdai__Progress *p, const struct outcome *o, const char *on)
{
    int rc;
    bool decided = strcmp(p->state, "APPROVED") == 0 || strcmp(p->state, "REJECTED") == 0;
    if (o->changed && o->started[0] && decided && !o->was_decided
        && (rc = intake_item_decided(svc, p, o->started, on)) != SERVICE_OK)
        return rc;
    if (p->task_id[0])
        log_info("case.task_progress", .case_no = p->case_no, .task = p->task_id, .dept = p->dept,
                 .detail = log_fmt("%s%s%s", p->state, p->due_date[0] ? ", due " : "", p->due_date));
    bool case_moved = false;
    if (p->case_state[0]) {
        const char *sp[2] = { p->case_no, p->case_state };
        /* A withdrawn case stays withdrawn, whatever report comes late. */
        PGresult *res = db_exec(service_db(svc), "intake.case_state",
                                "UPDATE cases SET state = $2, updated_at = now()"
                                " WHERE case_no = $1 AND state <> 'WITHDRAWN' RETURNING 1", 2, sp);
        if (!res)
            return SERVICE_RETRY;
        case_moved = PQntuples(res) == 1;
        PQclear(res);
        if (case_moved)
            log_info("case.state", .case_no = p->case_no, .detail = p->case_state);
        else
            log_warn("case.state_kept", .case_no = p->case_no,
                     .detail = log_fmt("WITHDRAWN kept; %s reported after the withdrawal", p->case_state));
    }
    if (!o->changed && !case_moved)
        return SERVICE_OK;
    Bangdai__FeedEvent ev = BANGDAI__FEED_EVENT__INIT;
    ev.case_no = p->case_no;
    ev.at_us = p->at_us;
    ev.kind = o->changed ? "task" : "case";
    if (o->changed) {
        ev.task_id = p->task_id;
        ev.task_kind = (char *)kind_of(p);
        ev.item_code = p->item_code;
        ev.dept = p->dept;
        ev.specialist = p->specialist;
        ev.state = p->state;
        ev.due_date = (char *)o->held_due;
        ev.due_pending_year = o->held_pending;
        ev.result_doc = p->result_doc;
    }
    return intake_feed_queue(svc, &ev);
}

/* Applies the n parts at part, all of one case, in one statement, then
 * after_part on each in order. Returns SERVICE_OK, SERVICE_RETRY, or the
 * refusal of an unknown case. */
static int apply_parts(struct service *svc, Bangdai__Progress *const *part, size_t n)
{
    /* The columns of the statement's unnest, in its order. */
    enum { TASK, ITEM, DEPT, SPEC, STATE, DUE, DOC, UPDATED, KIND, SETS_DUE, PENDING, SDUE, SPENDING,
           PKIND, PREASON, PSINCE, PDAYS, HANDOVER, HMETHOD, CLOCK_ON, ACCEPTED, N_COLS };
    enum { NUM_UPDATED, NUM_PENDING, NUM_SPENDING, NUM_PDAYS, N_NUMS };
    const char **col = calloc(n * N_COLS, sizeof *col);
    char (*num)[24] = calloc(n * N_NUMS, sizeof *num), (*on)[11] = calloc(n, sizeof *on);
    char *arr[N_COLS] = { 0 };
    struct outcome *o = calloc(n, sizeof *o);
    int rc = SERVICE_RETRY;
    PGresult *res = NULL;
    if (!col || !num || !on || !o)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const Bangdai__Progress *p = part[i];
        char (*v)[24] = &num[i * N_NUMS];
        snprintf(v[NUM_UPDATED], sizeof v[0], "%lld", (long long)p->at_us);
        snprintf(v[NUM_PENDING], sizeof v[0], "%d", p->due_pending_year);
        snprintf(v[NUM_SPENDING], sizeof v[0], "%d", p->statutory_pending_year);
        snprintf(v[NUM_PDAYS], sizeof v[0], "%d", p->paused_days);
        clock_day(p, on[i]);
        bool task = p->task_id[0] != 0;
        /* A case-level part (no task) is only the case check. */
        const char *c[N_COLS] = {
            [TASK] = nz(p->task_id), [ITEM] = nz(p->item_code), [DEPT] = nz(p->dept), [SPEC] = nz(p->specialist),
            [STATE] = nz(p->state), [DUE] = nz(p->due_date), [DOC] = nz(p->result_doc),
            [UPDATED] = task ? v[NUM_UPDATED] : NULL, [KIND] = task ? kind_of(p) : NULL,
            [SETS_DUE] = p->sets_due ? "t" : "f", [PENDING] = p->due_pending_year ? v[NUM_PENDING] : NULL,
            [SDUE] = nz(p->statutory_due_date), [SPENDING] = p->statutory_pending_year ? v[NUM_SPENDING] : NULL,
            [PKIND] = nz(p->paused_kind), [PREASON] = nz(p->paused_reason), [PSINCE] = nz(p->paused_since),
            [PDAYS] = task ? v[NUM_PDAYS] : NULL, [HANDOVER] = nz(p->handover),
            [HMETHOD] = nz(p->handover_method), [CLOCK_ON] = on[i],
            [ACCEPTED] = strcmp(p->state, "ACCEPTED_ONSITE") == 0 ? "t" : "f",
        };
        for (int k = 0; k < N_COLS; k++)
            col[(size_t)k * n + i] = c[k];
    }
    if (db_text_arrays(col, n, N_COLS, arr))
        goto out;
    const char *prm[1 + N_COLS] = { part[0]->case_no };
    for (int k = 0; k < N_COLS; k++)
        prm[1 + k] = arr[k];
    /* One statement: the case must exist; each task is stored, but only a
     * newer report changes it (an older one arriving late is dropped); the
     * case is in progress from its first task report; each item task a
     * report changed has its clock: the start is the first report's day,
     * moved once to the day of 受理. The parts' task ids are distinct (see
     * the top of the file). */
    res = db_exec(service_db(svc), "intake.progress_parts",
        "WITH c AS (SELECT case_no FROM cases WHERE case_no = $1),"
        " r AS (SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[],"
        "        $8::text[], $9::bigint[], $10::text[], $11::bool[], $12::int[], $13::date[], $14::int[],"
        "        $15::text[], $16::text[], $17::date[], $18::int[], $19::text[], $20::text[], $21::date[],"
        "        $22::bool[])"
        "       WITH ORDINALITY AS r(task_id, item_code, dept, specialist, state, due_date, result_doc,"
        "        updated_us, kind, sets_due, due_pending_year, statutory_due_date, statutory_pending_year,"
        "        paused_kind, paused_reason, paused_since, paused_days, handover, handover_method,"
        "        clock_on, accepted, n)),"
        " u AS (UPDATE cases SET state = 'IN_PROGRESS', updated_at = now()"
        "       WHERE case_no = $1 AND state = 'SUBMITTED'"
        "       AND EXISTS (SELECT 1 FROM r WHERE r.task_id IS NOT NULL)),"
        " t AS (INSERT INTO case_tasks AS t (task_id, case_no, item_code, dept, specialist, state,"
        "        due_date, result_doc, updated_us, kind, due_pending_year, statutory_due_date,"
        "        statutory_pending_year, paused_kind, paused_reason, paused_since, paused_days,"
        "        handover, handover_method)"
        "       SELECT r.task_id, c.case_no, r.item_code, r.dept, r.specialist, r.state, r.due_date,"
        "        r.result_doc, r.updated_us, r.kind, r.due_pending_year, r.statutory_due_date,"
        "        r.statutory_pending_year, r.paused_kind, r.paused_reason, r.paused_since, r.paused_days,"
        "        r.handover, r.handover_method FROM r, c WHERE r.task_id IS NOT NULL"
        "       ON CONFLICT (task_id) DO UPDATE SET"
        "        specialist = coalesce(EXCLUDED.specialist, t.specialist),"
        "        state = EXCLUDED.state,"
        /* The tracker owns the deadline (the report's sets_due): what it
         * says replaces what is held, a date that became pending
         * included. */
        "        (due_date, due_pending_year, statutory_due_date, statutory_pending_year, paused_kind,"
        "         paused_reason, paused_since, paused_days) ="
        "        (SELECT CASE WHEN s.sets_due THEN EXCLUDED.due_date ELSE t.due_date END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.due_pending_year ELSE t.due_pending_year END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.statutory_due_date ELSE t.statutory_due_date END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.statutory_pending_year"
        "                     ELSE t.statutory_pending_year END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.paused_kind ELSE t.paused_kind END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.paused_reason ELSE t.paused_reason END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.paused_since ELSE t.paused_since END,"
        "                CASE WHEN s.sets_due THEN EXCLUDED.paused_days ELSE t.paused_days END"
        "         FROM r s WHERE s.task_id = EXCLUDED.task_id),"
        "        result_doc = coalesce(EXCLUDED.result_doc, t.result_doc),"
        /* Delivery owns the handover: only its reports carry one. */
        "        handover = coalesce(EXCLUDED.handover, t.handover),"
        "        handover_method = coalesce(EXCLUDED.handover_method, t.handover_method),"
        "        updated_us = EXCLUDED.updated_us"
        "       WHERE t.updated_us <= EXCLUDED.updated_us"
        "       RETURNING t.task_id, t.due_date, t.due_pending_year),"
        " k AS (INSERT INTO item_clock AS k (task_id, item_code, started_on, accepted)"
        "       SELECT r.task_id, r.item_code, r.clock_on, r.accepted FROM t JOIN r USING (task_id)"
        "       WHERE r.kind = 'item'"
        "       ON CONFLICT (task_id) DO UPDATE SET"
        "        started_on = CASE WHEN EXCLUDED.accepted AND NOT k.accepted THEN EXCLUDED.started_on"
        "                     ELSE k.started_on END,"
        "        accepted = k.accepted OR EXCLUDED.accepted"
        "       RETURNING k.task_id, k.started_on, k.decided_on IS NOT NULL AS decided)"
        " SELECT (SELECT count(*) FROM c), t.task_id IS NOT NULL,"
        "  coalesce(to_char(t.due_date, 'YYYY-MM-DD'), ''), coalesce(t.due_pending_year, 0),"
        "  coalesce(to_char(k.started_on, 'YYYY-MM-DD'), ''), coalesce(k.decided, false)"
        " FROM r LEFT JOIN t USING (task_id) LEFT JOIN k USING (task_id) ORDER BY r.n", 1 + N_COLS, prm);
    if (!res)
        goto out;
    if ((size_t)PQntuples(res) != n) {
        log_error("progress.rows", .case_no = part[0]->case_no,
                  .detail = log_fmt("%d rows for %zu parts", PQntuples(res), n));
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", part[0]->case_no);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        o[i].changed = strcmp(PQgetvalue(res, (int)i, 1), "t") == 0;
        snprintf(o[i].held_due, sizeof o[i].held_due, "%s", PQgetvalue(res, (int)i, 2));
        o[i].held_pending = atoi(PQgetvalue(res, (int)i, 3));
        snprintf(o[i].started, sizeof o[i].started, "%s", PQgetvalue(res, (int)i, 4));
        o[i].was_decided = strcmp(PQgetvalue(res, (int)i, 5), "t") == 0;
    }
    PQclear(res);
    res = NULL;
    rc = SERVICE_OK;
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++)
        rc = after_part(svc, part[i], &o[i], on[i]);
out:
    PQclear(res);
    db_arrays_free(arr, N_COLS);
    free(col);
    free(num);
    free(on);
    free(o);
    return rc;
}

/* Applies what is kept, in order, and forgets it. Returns as apply_parts. */
static int flush(struct service *svc)
{
    struct intake_pending *ip = service_state(svc);
    struct progress_queue *q = ip ? ip->progress : NULL;
    int rc = SERVICE_OK;
    if (q && q->n)
        rc = apply_parts(svc, q->part, q->n);
    queue_clear(q);
    return rc;
}

/* Whether applying p after what is kept, in the same statement, could
 * differ from applying it alone: another case, or a task already kept. */
static bool must_flush_before(const struct progress_queue *q, const Bangdai__Progress *p)
{
    if (!q || q->n == 0)
        return false;
    if (strcmp(q->part[0]->case_no, p->case_no) != 0)
        return true;
    for (size_t i = 0; p->task_id[0] && i < q->n; i++)
        if (strcmp(q->part[i]->task_id, p->task_id) == 0)
            return true;
    return false;
}

int intake_progress(struct service *svc, const struct service_msg *m)
{
    Bangdai__Progress *p = service_decode(svc, m, &bangdai__progress__descriptor);
    int rc = p ? check_part(svc, p) : SERVICE_REFUSE;
    if (rc != SERVICE_OK) {
        /* The parts before it are applied first, so that the refusal is
         * the one applying them one by one gave (an unknown case is
         * refused at its first part); all of it is undone anyway. */
        int before = flush(svc);
        if (p)
            protobuf_c_message_free_unpacked(&p->base, NULL);
        return before != SERVICE_OK ? before : rc;
    }
    struct intake_pending *ip = intake_pending(svc);
    if (ip && !ip->progress)
        ip->progress = calloc(1, sizeof *ip->progress);
    struct progress_queue *q = ip ? ip->progress : NULL;
    void *v = q ? array_grow(q->part, q->n, &q->cap, sizeof *q->part, 8) : NULL;
    if (!v) {
        protobuf_c_message_free_unpacked(&p->base, NULL);
        return SERVICE_RETRY;
    }
    q->part = v;
    if (must_flush_before(q, p) && (rc = flush(svc)) != SERVICE_OK) {
        protobuf_c_message_free_unpacked(&p->base, NULL);
        return rc;
    }
    q->part[q->n++] = p;
    /* The case's state is set after its own part and those before it. */
    return p->case_state[0] ? flush(svc) : SERVICE_OK;
}

int intake_after_message(struct service *svc, int rc)
{
    if (rc == SERVICE_OK)
        rc = flush(svc);
    else {
        struct intake_pending *ip = service_state(svc);
        queue_clear(ip ? ip->progress : NULL);
    }
    return intake_feed_flush(svc, rc);
}

void intake_stop(struct service *svc)
{
    struct intake_pending *ip = service_state(svc);
    if (!ip)
        return;
    if (ip->progress) {
        queue_clear(ip->progress);
        free(ip->progress->part);
        free(ip->progress);
    }
    intake_feed_free(svc);
    free(ip);
    service_set_state(svc, NULL);
}
