/* link.c - outbox, relay and inbox in SQL; see link.h for the rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "db.h"
#include "envelope.h"
#include "link.h"
#include "log.h"

int outbox_pack(const char *source, const char *type, const char *case_no, const char *trace_id,
                const ProtobufCMessage *msg, struct outbox_row *row)
{
    memset(row, 0, sizeof *row);
    row->frame = envelope_pack(type, source, case_no, trace_id, msg, &row->len, row->id);
    if (!row->frame) {
        log_error("outbox.pack_failed", .case_no = case_no, .detail = type);
        return -1;
    }
    return 0;
}

/* Formats n ints as a PostgreSQL int array literal, a negative one as NULL.
 * Caller frees; NULL when out of memory. */
static char *int_array(const int *v, size_t n)
{
    char *s = malloc(n * 12 + 3), *p = s;
    if (!s)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++)
        p += v[i] < 0 ? sprintf(p, "%sNULL", i ? "," : "") : sprintf(p, "%s%d", i ? "," : "", v[i]);
    *p++ = '}';
    *p = 0;
    return s;
}

int outbox_append_many(PGconn *db, struct outbox_msg *msgs, size_t n)
{
    if (n == 0)
        return 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += msgs[i].row.len;
    const char **ids = calloc(n, sizeof *ids), **dests = calloc(n, sizeof *dests);
    const char **types = calloc(n, sizeof *types), **cases = calloc(n, sizeof *cases);
    int *offs = calloc(n, sizeof *offs), *lens = calloc(n, sizeof *lens), *waits = calloc(n, sizeof *waits);
    uint8_t *frames = malloc(total ? total : 1);
    char *a_id = NULL, *a_dest = NULL, *a_type = NULL, *a_case = NULL, *a_off = NULL, *a_len = NULL,
         *a_wait = NULL;
    int rc = -1;
    if (!ids || !dests || !types || !cases || !offs || !lens || !waits || !frames)
        goto out;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = msgs[i].row.id;
        dests[i] = msgs[i].dest;
        types[i] = msgs[i].type;
        cases[i] = msgs[i].case_no && *msgs[i].case_no ? msgs[i].case_no : NULL;
        memcpy(frames + off, msgs[i].row.frame, msgs[i].row.len);
        offs[i] = (int)off;
        lens[i] = (int)msgs[i].row.len;
        waits[i] = msgs[i].inflight_ms > 0 ? msgs[i].inflight_ms : -1;
        off += msgs[i].row.len;
    }
    a_id = db_text_array(ids, (int)n);
    a_dest = db_text_array(dests, (int)n);
    a_type = db_text_array(types, (int)n);
    a_case = db_text_array(cases, (int)n);
    a_off = int_array(offs, n);
    a_len = int_array(lens, n);
    a_wait = int_array(waits, n);
    if (!a_id || !a_dest || !a_type || !a_case || !a_off || !a_len || !a_wait)
        goto out;
    const char *params[8] = { a_id, a_dest, a_type, a_case, a_off, a_len, a_wait, (const char *)frames };
    int lengths[8] = { 0, 0, 0, 0, 0, 0, 0, (int)total };
    int formats[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
    /* One statement for the whole transaction's messages. Each destination's
     * next numbers come from its counter row, moved once by as many as it
     * gets, in this transaction: a rollback gives them back, and a second
     * transaction appending for the same destination waits on the row
     * lock, so the numbers follow commit order without gaps; within the
     * statement they follow the order of the appends. A row the caller
     * sends itself after the commit is stored as sent once, due again only
     * if no Ack comes within its inflight_ms; the others are due now. The
     * frames travel as one binary parameter, cut by offset and length. */
    PGresult *res = db_exec_ext(db, "outbox.append",
        "WITH r AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[],"
        "                                $5::int[], $6::int[], $7::int[])"
        "             WITH ORDINALITY AS r(id, dest, type, case_no, off, len, wait, ord)),"
        " n AS (SELECT dest, count(*) AS k FROM r GROUP BY dest),"
        " s AS (INSERT INTO outbox_seq AS q (dest, last) SELECT dest, k FROM n"
        "       ON CONFLICT (dest) DO UPDATE SET last = q.last + EXCLUDED.last RETURNING dest, last)"
        " INSERT INTO outbox (id, dest, type, case_no, frame, dest_seq, attempts, sent_at, next_at)"
        " SELECT r.id, r.dest, r.type, r.case_no, substring($8::bytea FROM r.off + 1 FOR r.len),"
        "  s.last - n.k + row_number() OVER (PARTITION BY r.dest ORDER BY r.ord),"
        "  CASE WHEN r.wait IS NULL THEN 0 ELSE 1 END,"
        "  CASE WHEN r.wait IS NULL THEN NULL ELSE now() END,"
        "  now() + coalesce(r.wait, 0) * interval '1 millisecond'"
        " FROM r JOIN s USING (dest) JOIN n USING (dest)"
        " RETURNING id::text, dest_seq::text",
        8, params, lengths, formats, 0);
    if (res && (size_t)PQntuples(res) == n) {
        /* RETURNING gives no order: match the rows by id. */
        for (int r = 0; r < PQntuples(res); r++) {
            const char *id = PQgetvalue(res, r, 0);
            for (size_t i = 0; i < n; i++)
                if (strcmp(msgs[i].row.id, id) == 0) {
                    msgs[i].row.seq = strtoull(PQgetvalue(res, r, 1), NULL, 10);
                    break;
                }
        }
        rc = 0;
    } else if (res) {
        log_error("outbox.append_failed", .detail = log_fmt("%d of %zu rows", PQntuples(res), n));
    }
    PQclear(res);
out:
    free(ids); free(dests); free(types); free(cases); free(offs); free(lens); free(waits); free(frames);
    free(a_id); free(a_dest); free(a_type); free(a_case); free(a_off); free(a_len); free(a_wait);
    return rc;
}

int outbox_append_row(PGconn *db, const char *source, const char *dest, const char *type,
                      const char *case_no, const char *trace_id, const ProtobufCMessage *msg,
                      int inflight_ms, struct outbox_row *row)
{
    struct outbox_msg m = { .dest = dest, .type = type, .case_no = case_no, .inflight_ms = inflight_ms };
    if (outbox_pack(source, type, case_no, trace_id, msg, &m.row) != 0)
        return -1;
    int rc = outbox_append_many(db, &m, 1);
    if (rc == 0 && row)
        *row = m.row;
    else
        free(m.row.frame);
    return rc;
}

/* Reads the stored refusal of (sender, id) into *prior. Returns 1 when the
 * message was refused, 0 when it was not (or is unknown), -1 on error. */
static int prior_refusal(PGconn *db, const char *sender, const char *id, struct inbox_refusal *prior)
{
    const char *p[2] = { sender, id };
    PGresult *res = db_exec(db, "inbox.lookup",
        "SELECT error_code, error_field, error_message FROM inbox WHERE sender = $1 AND id = $2",
        2, p);
    if (!res)
        return -1;
    int refused = db_value(res, 0, 0) != NULL;
    if (refused) {
        snprintf(prior->code, sizeof prior->code, "%s", db_value(res, 0, 0));
        snprintf(prior->field, sizeof prior->field, "%s", db_value(res, 0, 1) ? db_value(res, 0, 1) : "");
        snprintf(prior->message, sizeof prior->message, "%s", db_value(res, 0, 2) ? db_value(res, 0, 2) : "");
    }
    PQclear(res);
    return refused;
}

enum inbox_result inbox_record(PGconn *db, const char *sender, const Bangdai__Envelope *env,
                               struct inbox_refusal *prior)
{
    const char *p[4] = { sender, env->id, env->type, env->source };
    PGresult *res = db_exec(db, "inbox.record",
        "INSERT INTO inbox (sender, id, type, source) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (sender, id) DO NOTHING",
        4, p);
    if (!res)
        return INBOX_FAILED;
    int fresh = db_affected(res) == 1;
    PQclear(res);
    if (fresh)
        return INBOX_NEW;
    switch (prior_refusal(db, sender, env->id, prior)) {
    case 1: return INBOX_REFUSED;
    case 0: return INBOX_SEEN;
    default: return INBOX_FAILED;
    }
}

int inbox_refuse(PGconn *db, const char *sender, const Bangdai__Envelope *env, const char *code,
                 const char *field, const char *message)
{
    const char *p[7] = { sender, env->id, env->type, env->source, code, field, message };
    return db_run(db, "inbox.refuse",
        "INSERT INTO inbox (sender, id, type, source, error_code, error_field, error_message)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sender, id) DO UPDATE"
        " SET error_code = $5, error_field = $6, error_message = $7",
        7, p);
}

/* The consumer's place in each sender's numbering. The database row
 * (link_in) is the truth; this process keeps a copy so that checking a
 * message costs no statement: `committed` is the row as of the last commit,
 * `pending` what this transaction has counted since. One statement per
 * sender and batch writes it back (link_senders_flush), and only if the row
 * still holds what this process last committed, so two processes consuming
 * one link could never both count the same number. */
struct sender_place {
    char *sender;
    uint64_t committed, pending;
    bool loaded;
};

struct link_senders {
    struct sender_place *v;
    size_t n, cap;
};

struct link_senders *link_senders_new(void)
{
    return calloc(1, sizeof(struct link_senders));
}

void link_senders_destroy(struct link_senders **lsp)
{
    struct link_senders *ls = *lsp;
    if (!ls)
        return;
    for (size_t i = 0; i < ls->n; i++)
        free(ls->v[i].sender);
    free(ls->v);
    free(ls);
    *lsp = NULL;
}

/* The place of sender, read from link_in the first time. NULL on error. */
static struct sender_place *place_of(struct link_senders *ls, PGconn *db, const char *sender)
{
    struct sender_place *sp = NULL;
    for (size_t i = 0; i < ls->n && !sp; i++)
        if (strcmp(ls->v[i].sender, sender) == 0)
            sp = &ls->v[i];
    if (!sp) {
        void *v = array_grow(ls->v, ls->n, &ls->cap, sizeof *ls->v, 16);
        if (!v)
            return NULL;
        ls->v = v;
        sp = &ls->v[ls->n];
        memset(sp, 0, sizeof *sp);
        if (!(sp->sender = strdup(sender)))
            return NULL;
        ls->n++;
    }
    if (!sp->loaded) {
        const char *p[1] = { sender };
        PGresult *res = db_exec(db, "link.last", "SELECT last_seq FROM link_in WHERE sender = $1", 1, p);
        if (!res)
            return NULL;
        const char *v = db_value(res, 0, 0);
        sp->committed = sp->pending = v ? strtoull(v, NULL, 10) : 0;
        sp->loaded = true;
        PQclear(res);
    }
    return sp;
}

enum link_order link_senders_check(struct link_senders *ls, PGconn *db, const char *sender,
                                   const Bangdai__Envelope *env, uint64_t *last,
                                   struct inbox_refusal *prior)
{
    struct sender_place *sp = place_of(ls, db, sender);
    if (!sp)
        return LINK_ORDER_FAILED;
    *last = sp->pending;
    if (env->seq == sp->pending + 1)
        return LINK_NEXT;
    if (env->seq > sp->pending)
        return LINK_EARLY;
    /* Applied or refused before: answer the same again. */
    switch (prior_refusal(db, sender, env->id, prior)) {
    case 1: return LINK_REFUSED;
    case 0: return LINK_SEEN;
    default: return LINK_ORDER_FAILED;
    }
}

void link_senders_advance(struct link_senders *ls, const char *sender, uint64_t seq)
{
    for (size_t i = 0; i < ls->n; i++)
        if (strcmp(ls->v[i].sender, sender) == 0 && seq > ls->v[i].pending)
            ls->v[i].pending = seq;
}

int link_senders_flush(struct link_senders *ls, PGconn *db)
{
    for (size_t i = 0; i < ls->n; i++) {
        struct sender_place *sp = &ls->v[i];
        if (!sp->loaded || sp->pending == sp->committed)
            continue;
        char to[24], from[24];
        snprintf(to, sizeof to, "%llu", (unsigned long long)sp->pending);
        snprintf(from, sizeof from, "%llu", (unsigned long long)sp->committed);
        const char *p[3] = { sp->sender, to, from };
        PGresult *res = db_exec(db, "link.count",
            "INSERT INTO link_in AS l (sender, last_seq) VALUES ($1, $2::bigint)"
            " ON CONFLICT (sender) DO UPDATE SET last_seq = EXCLUDED.last_seq, updated_at = now()"
            " WHERE l.last_seq = $3::bigint RETURNING 1", 3, p);
        if (!res)
            return -1;
        int ok = PQntuples(res) == 1;
        PQclear(res);
        if (!ok) {
            log_error("link.place_moved", .detail = log_fmt("%s: link_in is no longer at #%s; reloading",
                                                             sp->sender, from));
            sp->loaded = false;
            return -1;
        }
    }
    return 0;
}

void link_senders_committed(struct link_senders *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        ls->v[i].committed = ls->v[i].pending;
}

void link_senders_forget(struct link_senders *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        ls->v[i].loaded = false;
}

uint64_t link_senders_place(const struct link_senders *ls, const char *sender)
{
    for (size_t i = 0; i < ls->n; i++)
        if (strcmp(ls->v[i].sender, sender) == 0)
            return ls->v[i].loaded ? ls->v[i].committed : 0;
    return 0;
}

void link_senders_rollback(struct link_senders *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        ls->v[i].pending = ls->v[i].committed;
}

int relay_due(PGconn *db, int max, int window, const char *const *skip, int n_skip,
              struct relay_batch *batch)
{
    char limit[16], win[16];
    snprintf(limit, sizeof limit, "%d", max);
    snprintf(win, sizeof win, "%d", window);
    char *skipped = db_text_array(skip, n_skip);
    if (!skipped)
        return -1;
    const char *p[3] = { limit, win, skipped };
    memset(batch, 0, sizeof *batch);
    /* Per destination, the window is the `window` numbers from its oldest
     * unacknowledged one; of the rows in it, the ones due go out, oldest
     * first. A row beyond the window waits for acknowledgements, however
     * long it has been due, so a slow or absent consumer holds a bounded
     * amount in flight and order is kept. Rows from before numbering
     * (dest_seq NULL) have no window. A row that went out on a connection
     * that still stands and timed out is sent again only when it is the
     * oldest unacknowledged one: the consumer applies in order, so the
     * ones behind it are either on their way (a busy consumer: resending
     * them would only bury it) or were dropped because of it, and come
     * next. What a break, a restart or a failed send left (sent_at NULL)
     * goes out whole. So the scan reads, per destination, its oldest row
     * and its unsent rows in the window (index outbox_unsent), never the
     * rows in flight, however many time out under a burst. Binary
     * results: the frame comes back as raw bytes. */
    PGresult *res = db_exec_ext(db, "relay.due",
        "WITH d AS (SELECT q.dest, (SELECT min(o.dest_seq) FROM outbox o"
        "                           WHERE o.dest = q.dest AND o.acked_at IS NULL) AS lo"
        "           FROM outbox_seq q WHERE q.dest <> ALL ($3::text[])),"
        " c AS (SELECT o.seq FROM d JOIN outbox o ON o.dest = d.dest AND o.dest_seq = d.lo"
        "       WHERE o.acked_at IS NULL AND o.next_at <= now()"
        "       UNION"
        "       SELECT u.seq FROM d CROSS JOIN LATERAL"
        "        (SELECT o.seq FROM outbox o WHERE o.dest = d.dest AND o.acked_at IS NULL"
        "           AND o.sent_at IS NULL AND o.dest_seq < d.lo + $2::int AND o.next_at <= now()"
        "         ORDER BY o.dest_seq LIMIT $1::int) u"
        "       UNION"
        "       SELECT o.seq FROM outbox o WHERE o.acked_at IS NULL AND o.dest_seq IS NULL"
        "         AND o.next_at <= now() AND o.dest <> ALL ($3::text[]))"
        " SELECT o.id::text, o.dest, o.type, o.frame, coalesce(o.dest_seq, 0)::text, coalesce(o.case_no, ''), o.attempts::text"
        " FROM c JOIN outbox o USING (seq) ORDER BY o.seq LIMIT $1::int",
        3, p, NULL, NULL, 1);
    free(skipped);
    if (!res)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return 0;
    }
    batch->rows = calloc((size_t)n, sizeof *batch->rows);
    if (!batch->rows) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct relay_row *r = &batch->rows[i];
        snprintf(r->id, sizeof r->id, "%.*s", PQgetlength(res, i, 0), PQgetvalue(res, i, 0));
        snprintf(r->dest, sizeof r->dest, "%.*s", PQgetlength(res, i, 1), PQgetvalue(res, i, 1));
        snprintf(r->type, sizeof r->type, "%.*s", PQgetlength(res, i, 2), PQgetvalue(res, i, 2));
        r->frame = (uint8_t *)PQgetvalue(res, i, 3);
        r->len = (size_t)PQgetlength(res, i, 3);
        char seq[24];
        snprintf(seq, sizeof seq, "%.*s", PQgetlength(res, i, 4), PQgetvalue(res, i, 4));
        r->seq = strtoull(seq, NULL, 10);
        snprintf(r->case_no, sizeof r->case_no, "%.*s", PQgetlength(res, i, 5), PQgetvalue(res, i, 5));
        snprintf(seq, sizeof seq, "%.*s", PQgetlength(res, i, 6), PQgetvalue(res, i, 6));
        r->attempts = atoi(seq);
    }
    batch->n = (size_t)n;
    batch->res = res;
    return 0;
}

void relay_batch_clear(struct relay_batch *batch)
{
    free(batch->rows);
    PQclear(batch->res);
    memset(batch, 0, sizeof *batch);
}

/* Formats ids as a PostgreSQL array literal {a,b,c}. UUIDs need no quoting.
 * Caller frees. */
static char *uuid_array(const char *const *ids, int n)
{
    size_t cap = (size_t)n * UUID_STR_LEN + 3;
    char *s = malloc(cap), *p = s;
    if (!s)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        size_t l = strlen(ids[i]);
        if (i)
            *p++ = ',';
        memcpy(p, ids[i], l);
        p += l;
    }
    *p++ = '}';
    *p = 0;
    return s;
}

int relay_sent(PGconn *db, const char *const *ids, int n, const struct cfg_link *link)
{
    char init[16], max[16];
    if (n == 0)
        return 0;
    char *arr = uuid_array(ids, n);
    if (!arr)
        return -1;
    snprintf(init, sizeof init, "%d", link->resend_initial_ms);
    snprintf(max, sizeof max, "%d", link->resend_max_ms);
    const char *p[3] = { arr, init, max };
    int rc = db_run(db, "relay.sent",
        "UPDATE outbox SET attempts = attempts + 1, sent_at = now(),"
        " next_at = now() + least($3::bigint, $2::bigint * (2 ^ least(attempts, 20))::bigint)"
        "           * interval '1 millisecond'"
        " WHERE id = ANY($1::uuid[]) AND acked_at IS NULL",
        3, p);
    free(arr);
    return rc;
}

int relay_acked(PGconn *db, const char *id, const char *error, const char *dest,
                char dest_out[64], char type[64])
{
    const char *p[3] = { id, error, dest };
    PGresult *res = db_exec(db, "relay.acked",
        "UPDATE outbox SET acked_at = now(), error = $2"
        " WHERE id = $1 AND acked_at IS NULL AND ($3::text IS NULL OR dest = $3)"
        " RETURNING dest, type",
        3, p);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(dest_out, 64, "%s", PQgetvalue(res, 0, 0));
        snprintf(type, 64, "%s", PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return found;
}

int relay_unsent(PGconn *db, const char *const *ids, int n)
{
    if (n == 0)
        return 0;
    char *arr = uuid_array(ids, n);
    if (!arr)
        return -1;
    const char *p[1] = { arr };
    int rc = db_run(db, "relay.unsent",
        "UPDATE outbox SET next_at = now(), attempts = greatest(attempts - 1, 0), sent_at = NULL"
        " WHERE id = ANY($1::uuid[]) AND acked_at IS NULL", 1, p);
    free(arr);
    return rc;
}

PGresult *relay_pending_by_dest(PGconn *db)
{
    return db_exec(db, "relay.pending_by_dest",
                   "SELECT dest, count(*) FROM outbox WHERE acked_at IS NULL GROUP BY dest", 0, NULL);
}

PGresult *relay_acked_upto(PGconn *db, const char *dest, uint64_t upto)
{
    char u[24];
    snprintf(u, sizeof u, "%llu", (unsigned long long)upto);
    const char *p[2] = { dest, u };
    return db_exec(db, "relay.acked_upto",
        "UPDATE outbox SET acked_at = now()"
        " WHERE dest = $1 AND acked_at IS NULL AND dest_seq <= $2::bigint"
        " RETURNING id::text, dest, type", 2, p);
}

/* Runs sql, prepared as what, with $1 the ids (uuid[]) and $2 the
 * destinations they came from (text[], NULL entries allowed). */
static PGresult *exec_acks(PGconn *db, const char *what, const char *sql, const char *const *ids,
                           const char *const *froms, int n)
{
    char *idarr = uuid_array(ids, n);
    char *fromarr = db_text_array(froms, n);
    PGresult *res = NULL;
    if (idarr && fromarr) {
        const char *p[2] = { idarr, fromarr };
        res = db_exec(db, what, sql, 2, p);
    }
    free(idarr);
    free(fromarr);
    return res;
}

PGresult *relay_foreign_acks(PGconn *db, const char *const *ids, const char *const *froms, int n)
{
    return exec_acks(db, "relay.foreign_acks",
        "SELECT o.id::text, o.dest, a.dest FROM outbox o"
        " JOIN unnest($1::uuid[], $2::text[]) AS a(id, dest) ON o.id = a.id"
        " WHERE a.dest IS NOT NULL AND o.dest <> a.dest", ids, froms, n);
}

PGresult *relay_acked_many(PGconn *db, const char *const *ids, const char *const *froms, int n)
{
    return exec_acks(db, "relay.acked_many",
        "UPDATE outbox o SET acked_at = now()"
        " FROM unnest($1::uuid[], $2::text[]) AS a(id, dest)"
        " WHERE o.id = a.id AND o.acked_at IS NULL AND (a.dest IS NULL OR o.dest = a.dest)"
        " RETURNING o.id::text, o.dest, o.type", ids, froms, n);
}

int relay_reconnected(PGconn *db, const char *dest, int64_t lost_since_us)
{
    char since[24];
    snprintf(since, sizeof since, "%lld", (long long)lost_since_us);
    const char *p[2] = { dest, lost_since_us ? since : NULL };
    return db_run(db, "relay.reconnected",
        "UPDATE outbox SET next_at = least(next_at, now()), sent_at = NULL"
        " WHERE dest = $1 AND acked_at IS NULL AND sent_at IS NOT NULL"
        " AND ($2::bigint IS NULL OR sent_at <= to_timestamp($2::bigint / 1e6))",
        2, p);
}

int relay_restart(PGconn *db)
{
    return db_run(db, "relay.restart",
        "UPDATE outbox SET next_at = now(), sent_at = NULL WHERE acked_at IS NULL", 0, NULL);
}

int link_prune(PGconn *db, int hours)
{
    char h[16];
    snprintf(h, sizeof h, "%d", hours);
    const char *p[1] = { h };
    if (db_run(db, "link.prune_outbox",
               "DELETE FROM outbox WHERE acked_at < now() - $1::int * interval '1 hour'", 1, p))
        return -1;
    return db_run(db, "link.prune_inbox",
                  "DELETE FROM inbox WHERE received_at < now() - $1::int * interval '1 hour'", 1, p);
}

long relay_pending(PGconn *db)
{
    PGresult *res = db_exec(db, "relay.pending",
                            "SELECT count(*) FROM outbox WHERE acked_at IS NULL", 0, NULL);
    long n = res ? atol(PQgetvalue(res, 0, 0)) : -1;
    PQclear(res);
    return n;
}
