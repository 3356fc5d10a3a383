/* link.c - outbox, relay and inbox in SQL; see link.h for the rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "envelope.h"
#include "link.h"
#include "log.h"

int outbox_append(PGconn *db, const char *source, const char *dest, const char *type,
                  const char *case_no, const char *trace_id, const ProtobufCMessage *msg,
                  char id_out[UUID_STR_LEN])
{
    char id[UUID_STR_LEN];
    size_t len;
    uint8_t *frame = envelope_pack(type, source, case_no, trace_id, msg, &len, id);
    if (!frame) {
        log_error("outbox.pack_failed", .case_no = case_no, .detail = type);
        return -1;
    }
    const char *params[5] = { id, dest, type, case_no && *case_no ? case_no : NULL,
                              (const char *)frame };
    int lengths[5] = { 0, 0, 0, 0, (int)len };
    int formats[5] = { 0, 0, 0, 0, 1 };
    PGresult *res = PQexecParams(db,
        "INSERT INTO outbox (id, dest, type, case_no, frame) VALUES ($1, $2, $3, $4, $5)",
        5, NULL, params, lengths, formats, 0);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        log_error("outbox.append_failed", .case_no = case_no, .detail = PQresultErrorMessage(res));
    PQclear(res);
    free(frame);
    if (ok && id_out)
        memcpy(id_out, id, UUID_STR_LEN);
    return ok ? 0 : -1;
}

enum inbox_result inbox_record(PGconn *db, const Bangdai__Envelope *env,
                               struct inbox_refusal *prior)
{
    const char *p[3] = { env->id, env->type, env->source };
    PGresult *res = db_exec(db, "inbox.record",
        "INSERT INTO inbox (id, type, source) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        3, p);
    if (!res)
        return INBOX_FAILED;
    int fresh = db_affected(res) == 1;
    PQclear(res);
    if (fresh)
        return INBOX_NEW;
    res = db_exec(db, "inbox.lookup",
        "SELECT error_code, error_field, error_message FROM inbox WHERE id = $1", 1, p);
    if (!res)
        return INBOX_FAILED;
    enum inbox_result r = INBOX_SEEN;
    if (db_value(res, 0, 0)) {
        r = INBOX_REFUSED;
        snprintf(prior->code, sizeof prior->code, "%s", db_value(res, 0, 0));
        snprintf(prior->field, sizeof prior->field, "%s", db_value(res, 0, 1) ? db_value(res, 0, 1) : "");
        snprintf(prior->message, sizeof prior->message, "%s", db_value(res, 0, 2) ? db_value(res, 0, 2) : "");
    }
    PQclear(res);
    return r;
}

int inbox_refuse(PGconn *db, const Bangdai__Envelope *env, const char *code,
                 const char *field, const char *message)
{
    const char *p[6] = { env->id, env->type, env->source, code, field, message };
    return db_run(db, "inbox.refuse",
        "INSERT INTO inbox (id, type, source, error_code, error_field, error_message)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE"
        " SET error_code = $4, error_field = $5, error_message = $6",
        6, p);
}

int relay_due(PGconn *db, int max, struct relay_batch *batch)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max);
    const char *p[1] = { limit };
    memset(batch, 0, sizeof *batch);
    /* Binary results: the frame comes back as raw bytes, no unescaping. */
    PGresult *res = PQexecParams(db,
        "SELECT id::text, dest, type, frame FROM outbox"
        " WHERE acked_at IS NULL AND next_at <= now() ORDER BY seq LIMIT $1",
        1, NULL, p, NULL, NULL, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_error("relay.scan_failed", .detail = PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
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
        "UPDATE outbox SET attempts = attempts + 1,"
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

int relay_restart(PGconn *db)
{
    return db_run(db, "relay.restart",
        "UPDATE outbox SET next_at = now() WHERE acked_at IS NULL", 0, NULL);
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
