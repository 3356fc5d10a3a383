/* intake_feed.c - the progress feed (docs/PROTOCOL.md, "The progress feed").
 *
 * Every change intake records of a case or one of its tasks (the submit,
 * each Progress that changed something, each CaseEvent, the withdrawal)
 * becomes a FeedEvent: numbered per case in the transaction that records
 * the change (cases.feed_seq), kept in feed_events, and published on the
 * PUB socket under the case number only after that transaction commits
 * (service_publish). The PUB is best effort; the record is not: a watcher
 * that missed events reads them again with a FeedRequest, or reads the case
 * again with a StatusRequest, whose feed_seq says which events it includes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "db.h"
#include "intake.h"
#include "log.h"
#include "validate.h"

#define FEED_PAGE_DEFAULT 100
#define FEED_PAGE_MAX 500

static const char *nz(const char *s) { return s && *s ? s : NULL; }

int intake_feed_record(struct service *svc, Bangdai__FeedEvent *ev)
{
    char at[24], pending[16];
    snprintf(at, sizeof at, "%lld", (long long)(ev->at_us ? ev->at_us : business_now_us()));
    snprintf(pending, sizeof pending, "%d", ev->due_pending_year);
    const char *p[14] = { ev->case_no, at, ev->kind, nz(ev->task_id), nz(ev->task_kind),
                          nz(ev->item_code), nz(ev->dept), nz(ev->specialist), nz(ev->state),
                          nz(ev->due_date), ev->due_pending_year ? pending : NULL,
                          nz(ev->result_doc), nz(ev->log_kind), nz(ev->text) };
    /* The number comes from the case's row, which the update locks until
     * the commit: two transactions (two intake processes) recording a
     * change of one case number them one after the other. The case's state
     * is read as this transaction leaves it. */
    PGresult *res = db_exec(service_db(svc), "intake.feed_record",
        "WITH s AS (UPDATE cases SET feed_seq = feed_seq + 1 WHERE case_no = $1 RETURNING feed_seq, state)"
        " INSERT INTO feed_events (case_no, seq, at_us, kind, task_id, task_kind, item_code, dept,"
        "  specialist, state, due_date, due_pending_year, result_doc, case_state, log_kind, text)"
        " SELECT $1, s.feed_seq, $2::bigint, $3, $4, $5, $6, $7, $8, $9, $10::date, $11::int, $12,"
        "  s.state, $13, $14 FROM s"
        " RETURNING seq, case_state", 14, p);
    if (!res)
        return SERVICE_RETRY;
    if (PQntuples(res) != 1) {
        /* Every caller has just found the case. */
        PQclear(res);
        log_error("feed.no_case", .case_no = ev->case_no, .detail = ev->kind);
        return SERVICE_RETRY;
    }
    char state[64];
    ev->seq = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(state, sizeof state, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    ev->at_us = atoll(at);
    ev->case_state = state;
    int rc = service_publish(svc, ev->case_no, MSG_FEED_EVENT, ev->case_no, &ev->base);
    ev->case_state = "";
    if (rc == 0)
        log_debug("feed.recorded", .case_no = ev->case_no, .task = nz(ev->task_id),
                  .detail = log_fmt("#%llu %s %s", (unsigned long long)ev->seq, ev->kind,
                                    ev->state[0] ? ev->state : state));
    return rc ? SERVICE_RETRY : SERVICE_OK;
}

/* The task reports' events of the message being applied, kept until its
 * handler has run on every part (intake_feed_flush); held in the service's
 * intake_pending. Each string is a copy. */
struct feed_queue {
    Bangdai__FeedEvent *ev;
    size_t n, cap;
};

static void queue_clear(struct feed_queue *q)
{
    for (size_t i = 0; q && i < q->n; i++) {
        Bangdai__FeedEvent *e = &q->ev[i];
        char **s[] = { &e->case_no, &e->kind, &e->task_id, &e->task_kind, &e->item_code, &e->dept,
                       &e->specialist, &e->state, &e->due_date, &e->result_doc, &e->log_kind, &e->text };
        for (size_t k = 0; k < sizeof s / sizeof *s; k++)
            free(*s[k]);
    }
    if (q)
        q->n = 0;
}

int intake_feed_queue(struct service *svc, const Bangdai__FeedEvent *ev)
{
    struct intake_pending *ip = intake_pending(svc);
    if (ip && !ip->feed)
        ip->feed = calloc(1, sizeof *ip->feed);
    struct feed_queue *q = ip ? ip->feed : NULL;
    if (!q)
        return SERVICE_RETRY;
    void *v = array_grow(q->ev, q->n, &q->cap, sizeof *q->ev, 8);
    if (!v)
        return SERVICE_RETRY;
    q->ev = v;
    Bangdai__FeedEvent *e = &q->ev[q->n];
    bangdai__feed_event__init(e);
    e->at_us = ev->at_us ? ev->at_us : business_now_us();
    e->due_pending_year = ev->due_pending_year;
    const char *from[] = { ev->case_no, ev->kind, ev->task_id, ev->task_kind, ev->item_code, ev->dept,
                           ev->specialist, ev->state, ev->due_date, ev->result_doc, ev->log_kind, ev->text };
    char **to[] = { &e->case_no, &e->kind, &e->task_id, &e->task_kind, &e->item_code, &e->dept,
                    &e->specialist, &e->state, &e->due_date, &e->result_doc, &e->log_kind, &e->text };
    bool ok = true;
    for (size_t k = 0; k < sizeof to / sizeof *to; k++)
        ok &= (*to[k] = strdup(from[k] ? from[k] : "")) != NULL;
    q->n++;
    return ok ? SERVICE_OK : SERVICE_RETRY;
}

/* Records the n events at ev, all of one case, in one statement; see
 * intake_feed_flush. */
static int record_case(struct service *svc, Bangdai__FeedEvent *ev, size_t n)
{
    enum { AT, KIND, TASK, TASK_KIND, ITEM, DEPT, SPEC, STATE, DUE, PENDING, DOC, LOG_KIND, TEXT, N_COLS };
    const char **col = calloc(n * N_COLS, sizeof *col);
    char (*num)[24] = calloc(n * 2, sizeof *num), *arr[N_COLS] = { 0 }, count[16];
    int rc = SERVICE_RETRY;
    PGresult *res = NULL;
    if (!col || !num)
        goto out;
    for (size_t i = 0; i < n; i++) {
        snprintf(num[2 * i], sizeof num[0], "%lld", (long long)ev[i].at_us);
        snprintf(num[2 * i + 1], sizeof num[0], "%d", ev[i].due_pending_year);
        const char *v[N_COLS] = { num[2 * i], ev[i].kind, nz(ev[i].task_id), nz(ev[i].task_kind),
                                  nz(ev[i].item_code), nz(ev[i].dept), nz(ev[i].specialist), nz(ev[i].state),
                                  nz(ev[i].due_date), ev[i].due_pending_year ? num[2 * i + 1] : NULL,
                                  nz(ev[i].result_doc), nz(ev[i].log_kind), nz(ev[i].text) };
        for (int c = 0; c < N_COLS; c++)
            col[(size_t)c * n + i] = v[c];
    }
    if (db_text_arrays(col, n, N_COLS, arr))
        goto out;
    snprintf(count, sizeof count, "%zu", n);
    const char *p[15] = { ev[0].case_no, count, arr[AT], arr[KIND], arr[TASK], arr[TASK_KIND], arr[ITEM],
                          arr[DEPT], arr[SPEC], arr[STATE], arr[DUE], arr[PENDING], arr[DOC], arr[LOG_KIND],
                          arr[TEXT] };
    /* As intake_feed_record, for n events: the case's row numbers them
     * in the order they were kept, under its lock until the commit. */
    res = db_exec(service_db(svc), "intake.feed_record_many",
        "WITH s AS (UPDATE cases SET feed_seq = feed_seq + $2::int WHERE case_no = $1"
        "           RETURNING feed_seq, state)"
        " INSERT INTO feed_events (case_no, seq, at_us, kind, task_id, task_kind, item_code, dept,"
        "  specialist, state, due_date, due_pending_year, result_doc, case_state, log_kind, text)"
        " SELECT $1, s.feed_seq - $2::int + e.n, e.at_us, e.kind, e.task_id, e.task_kind, e.item_code,"
        "  e.dept, e.specialist, e.state, e.due_date, e.due_pending_year, e.result_doc, s.state,"
        "  e.log_kind, e.text"
        " FROM s, unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"
        "                $9::text[], $10::text[], $11::date[], $12::int[], $13::text[], $14::text[],"
        "                $15::text[])"
        "   WITH ORDINALITY AS e(at_us, kind, task_id, task_kind, item_code, dept, specialist, state,"
        "                        due_date, due_pending_year, result_doc, log_kind, text, n)"
        " RETURNING seq, case_state", 15, p);
    if (!res)
        goto out;
    if ((size_t)PQntuples(res) != n) {
        /* Every caller has just found the case. */
        log_error("feed.no_case", .case_no = ev[0].case_no, .detail = ev[0].kind);
        goto out;
    }
    uint64_t first = UINT64_MAX;
    for (size_t r = 0; r < n; r++) {
        uint64_t seq = strtoull(PQgetvalue(res, (int)r, 0), NULL, 10);
        if (seq < first)
            first = seq;
    }
    char *state = PQgetvalue(res, 0, 1);     /* one statement: one state of the case */
    rc = SERVICE_OK;
    for (size_t i = 0; i < n && rc == SERVICE_OK; i++) {
        ev[i].seq = first + i;
        ev[i].case_state = state;
        if (service_publish(svc, ev[i].case_no, MSG_FEED_EVENT, ev[i].case_no, &ev[i].base) != 0)
            rc = SERVICE_RETRY;
        ev[i].case_state = NULL;
        log_debug("feed.recorded", .case_no = ev[i].case_no, .task = nz(ev[i].task_id),
                  .detail = log_fmt("#%llu %s %s", (unsigned long long)ev[i].seq, ev[i].kind,
                                    ev[i].state[0] ? ev[i].state : state));
    }
out:
    PQclear(res);
    db_arrays_free(arr, N_COLS);
    free(col);
    free(num);
    return rc;
}

int intake_feed_flush(struct service *svc, int rc)
{
    struct intake_pending *ip = service_state(svc);
    struct feed_queue *q = ip ? ip->feed : NULL;
    if (!q || q->n == 0)
        return rc;
    /* Runs of one case (a Progress envelope is about one case). */
    for (size_t i = 0, j; rc == SERVICE_OK && i < q->n; i = j) {
        for (j = i + 1; j < q->n && strcmp(q->ev[j].case_no, q->ev[i].case_no) == 0; j++)
            ;
        rc = record_case(svc, &q->ev[i], j - i);
    }
    queue_clear(q);
    return rc;
}

void intake_feed_free(struct service *svc)
{
    struct intake_pending *ip = service_state(svc);
    struct feed_queue *q = ip ? ip->feed : NULL;
    queue_clear(q);
    if (q)
        free(q->ev);
    free(q);
    if (ip)
        ip->feed = NULL;
}

/* The feed_events columns FeedReply carries, in the order of event_from. */
#define EVENT_COLUMNS \
    "seq, at_us, kind, coalesce(task_id, ''), coalesce(task_kind, ''), coalesce(item_code, '')," \
    " coalesce(dept, ''), coalesce(specialist, ''), coalesce(state, '')," \
    " coalesce(to_char(due_date, 'YYYY-MM-DD'), ''), coalesce(due_pending_year, 0)," \
    " coalesce(result_doc, ''), case_state, coalesce(log_kind, ''), coalesce(text, '')"

/* Row r of res (EVENT_COLUMNS) into ev, borrowing res's strings. */
static void event_from(Bangdai__FeedEvent *ev, const char *case_no, PGresult *res, int r)
{
    int c = 0;
    bangdai__feed_event__init(ev);
    ev->case_no = (char *)case_no;
    ev->seq = strtoull(PQgetvalue(res, r, c++), NULL, 10);
    ev->at_us = atoll(PQgetvalue(res, r, c++));
    ev->kind = PQgetvalue(res, r, c++);
    ev->task_id = PQgetvalue(res, r, c++);
    ev->task_kind = PQgetvalue(res, r, c++);
    ev->item_code = PQgetvalue(res, r, c++);
    ev->dept = PQgetvalue(res, r, c++);
    ev->specialist = PQgetvalue(res, r, c++);
    ev->state = PQgetvalue(res, r, c++);
    ev->due_date = PQgetvalue(res, r, c++);
    ev->due_pending_year = atoi(PQgetvalue(res, r, c++));
    ev->result_doc = PQgetvalue(res, r, c++);
    ev->case_state = PQgetvalue(res, r, c++);
    ev->log_kind = PQgetvalue(res, r, c++);
    ev->text = PQgetvalue(res, r, c++);
}

int intake_feed(struct service *svc, const struct service_msg *m)
{
    Bangdai__FeedRequest *r = service_decode(svc, m, &bangdai__feed_request__descriptor);
    if (!r)
        return SERVICE_REFUSE;
    int rc = SERVICE_RETRY;
    PGresult *c = NULL, *e = NULL;
    Bangdai__FeedEvent *events = NULL, **eptr = NULL;
    char after[24], limit[16];

    if (validate_text(r->case_no, 64)) {
        rc = service_refuse(svc, ERR_INVALID, "case_no", "a case number is required");
        goto out;
    }
    if (r->limit > FEED_PAGE_MAX) {
        rc = service_refuse(svc, ERR_INVALID, "limit", "at most %d events a page", FEED_PAGE_MAX);
        goto out;
    }
    if (r->after_seq > (uint64_t)INT64_MAX) {
        rc = service_refuse(svc, ERR_INVALID, "after_seq", "out of range");
        goto out;
    }
    snprintf(after, sizeof after, "%llu", (unsigned long long)r->after_seq);
    snprintf(limit, sizeof limit, "%u", r->limit ? r->limit : FEED_PAGE_DEFAULT);
    const char *p[3] = { r->case_no, after, limit };
    c = db_exec(service_db(svc), "intake.feed_case", "SELECT feed_seq FROM cases WHERE case_no = $1", 1, p);
    if (!c)
        goto out;
    if (PQntuples(c) == 0) {
        rc = service_refuse(svc, ERR_NOT_FOUND, "case_no", "no case %.64s", r->case_no);
        goto out;
    }
    e = db_exec(service_db(svc), "intake.feed_events",
                "SELECT " EVENT_COLUMNS " FROM feed_events WHERE case_no = $1 AND seq > $2::bigint"
                " ORDER BY seq LIMIT $3::int", 3, p);
    if (!e)
        goto out;
    size_t n = (size_t)PQntuples(e);
    events = calloc(n + 1, sizeof *events);
    eptr = calloc(n + 1, sizeof *eptr);
    if (!events || !eptr)
        goto out;
    for (size_t i = 0; i < n; i++) {
        event_from(&events[i], r->case_no, e, (int)i);
        eptr[i] = &events[i];
    }
    Bangdai__FeedReply rep = BANGDAI__FEED_REPLY__INIT;
    rep.case_no = r->case_no;
    rep.n_events = n;
    rep.events = eptr;
    rep.last_seq = strtoull(PQgetvalue(c, 0, 0), NULL, 10);
    rc = service_reply(svc, MSG_FEED_REPLY, r->case_no, &rep.base);
out:
    free(events);
    free(eptr);
    PQclear(c);
    PQclear(e);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return rc;
}
