/* test_link.c - unit tests of common/link.c, the reliable link of DESIGN.md,
 * against a real PostgreSQL: no mocks, the SQL is what is under test.
 *
 * The harness exports PGHOST, PGPORT and PGUSER (a superuser). The group
 * setup creates a private database bd_unit_link_<pid>, applies every .sql
 * file of deploy/sql in name order and works in schema "router"; the group
 * teardown drops the database. Each test starts from empty outbox and inbox
 * tables. Without PGHOST every test is reported as skipped.
 *
 * Time never passes by sleeping: rows are made due or old with UPDATEs, and
 * back-off delays are read inside the transaction that set them, where now()
 * does not move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "envelope.h"
#include "link.h"
#include "log.h"

#ifndef BANGDAI_SOURCE_DIR
#error "BANGDAI_SOURCE_DIR must name the repository root"
#endif

#define SQL_DIR BANGDAI_SOURCE_DIR "/deploy/sql"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define CASE_NO "BD-500231-20240601-00001"
#define SENDER "intake@router"     /* key name @ bound socket */
#define OTHER_SENDER "tracker@router"

struct fixture {
    PGconn *db;                 /* connected to dbname, search_path router */
    char dbname[64];
};

static struct fixture fixture;

/* ---- database plumbing ---------------------------------------------------- */

static PGconn *connect_to(const char *dbname)
{
    struct config cfg;
    char name[64], err[512];

    memset(&cfg, 0, sizeof cfg);
    snprintf(name, sizeof name, "%s", dbname);
    cfg.database.dbname = name;         /* host, port, user: PGHOST, PGPORT, PGUSER */
    PGconn *db = db_connect(&cfg, NULL, NULL, err, sizeof err);
    if (!db)
        print_error("connect: %s\n", err);
    return db;
}

/* Runs one statement (or a script of several) without parameters. */
static int exec_script(PGconn *db, const char *what, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        print_error("%s: %s", what, PQresultErrorMessage(res));
    PQclear(res);
    return ok ? 0 : -1;
}

static int is_sql_file(const struct dirent *d)
{
    size_t l = strlen(d->d_name);
    return d->d_name[0] != '.' && l > 4 && strcmp(d->d_name + l - 4, ".sql") == 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long size;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        text = malloc((size_t)size + 1);
        if (text && fread(text, 1, (size_t)size, f) == (size_t)size) {
            text[size] = 0;
        } else {
            free(text);
            text = NULL;
        }
    }
    fclose(f);
    return text;
}

/* Applies every .sql file of deploy/sql in name order, as `bangdaictl
 * migrate` does. */
static int apply_migrations(PGconn *db)
{
    struct dirent **list;
    int n = scandir(SQL_DIR, &list, is_sql_file, alphasort);
    int rc = n > 0 ? 0 : -1;

    if (n < 0)
        print_error("%s: cannot list the directory\n", SQL_DIR);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", SQL_DIR, list[i]->d_name);
        if (rc == 0) {
            char *sql = read_file(path);
            if (!sql) {
                print_error("%s: cannot read\n", path);
                rc = -1;
            } else {
                rc = exec_script(db, path, sql);
                free(sql);
            }
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

static int drop_database(const char *dbname)
{
    char sql[128];
    PGconn *admin = connect_to("postgres");
    if (!admin)
        return -1;
    /* No NOTICE when there is nothing to drop; two statements, because a
     * multi-statement string is one transaction and DROP DATABASE refuses
     * to run in one. */
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    int rc = exec_script(admin, "quiet", "SET client_min_messages = warning");
    if (rc == 0)
        rc = exec_script(admin, "drop database", sql);
    PQfinish(admin);
    return rc;
}

static int group_setup(void **state)
{
    const char *host = getenv("PGHOST");
    char sql[128];

    *state = NULL;
    if (!host || !*host) {
        print_message("PGHOST is not set: no PostgreSQL to test the link against, "
                      "every test is skipped\n");
        return 0;
    }
    log_set_service("test_link");
    snprintf(fixture.dbname, sizeof fixture.dbname, "bd_unit_link_%ld", (long)getpid());
    if (drop_database(fixture.dbname) != 0)
        return -1;
    PGconn *admin = connect_to("postgres");
    if (!admin)
        return -1;
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", fixture.dbname);
    int rc = exec_script(admin, "create database", sql);
    PQfinish(admin);
    if (rc != 0)
        return -1;
    fixture.db = connect_to(fixture.dbname);
    if (!fixture.db || apply_migrations(fixture.db) != 0
        || exec_script(fixture.db, "search_path", "SET search_path = router") != 0) {
        PQfinish(fixture.db);
        fixture.db = NULL;
        drop_database(fixture.dbname);
        return -1;
    }
    *state = &fixture;
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    PQfinish(f->db);
    f->db = NULL;
    return drop_database(f->dbname);
}

/* Each test starts outside any transaction, with empty link tables. */
static int test_setup(void **state)
{
    struct fixture *f = *state;
    if (!f)
        return 0;
    if (PQtransactionStatus(f->db) != PQTRANS_IDLE)
        db_rollback(f->db);
    return exec_script(f->db, "truncate", "TRUNCATE outbox, inbox, outbox_seq, link_in RESTART IDENTITY");
}

/* The connection of the fixture, or skips the test when there is none. */
static PGconn *need_db(void **state)
{
    struct fixture *f = *state;
    if (!f)
        skip();
    return f->db;
}

/* ---- query helpers -------------------------------------------------------- */

/* The first column of the first row as a number; -1 for SQL NULL or no row.
 * p1 is the only parameter (NULL: none). */
static long query_long(PGconn *db, const char *sql, const char *p1)
{
    const char *p[1] = { p1 };
    PGresult *res = db_exec(db, "test.query", sql, p1 ? 1 : 0, p1 ? p : NULL);
    assert_non_null(res);
    const char *v = db_value(res, 0, 0);
    long n = v ? atol(v) : -1;
    PQclear(res);
    return n;
}

/* The first column of the first row as text into out ("" for NULL or no
 * row); returns 1 when it was not NULL. */
static int query_text(PGconn *db, const char *sql, const char *p1, char *out, size_t outlen)
{
    const char *p[1] = { p1 };
    PGresult *res = db_exec(db, "test.query", sql, p1 ? 1 : 0, p1 ? p : NULL);
    assert_non_null(res);
    const char *v = db_value(res, 0, 0);
    snprintf(out, outlen, "%s", v ? v : "");
    PQclear(res);
    return v != NULL;
}

static void exec_ok(PGconn *db, const char *sql, const char *p1, const char *p2)
{
    const char *p[2] = { p1, p2 };
    int n = p2 ? 2 : p1 ? 1 : 0;
    assert_int_equal(db_run(db, "test.exec", sql, n, n ? p : NULL), 0);
}

static long outbox_rows(PGconn *db)
{
    return query_long(db, "SELECT count(*) FROM outbox", NULL);
}

/* outbox_append_row for the relay (due now), keeping only the id. */
static int append_row(PGconn *db, const char *source, const char *dest, const char *type,
                      const char *case_no, const char *trace_id, const ProtobufCMessage *msg,
                      char id_out[UUID_STR_LEN])
{
    struct outbox_row row;
    if (outbox_append_row(db, source, dest, type, case_no, trace_id, msg, 0, &row) != 0)
        return -1;
    free(row.frame);
    if (id_out)
        memcpy(id_out, row.id, UUID_STR_LEN);
    return 0;
}

/* Appends one TaskChanged for dest in its own committed transaction. */
static void append_committed(PGconn *db, const char *dest, const char *case_no,
                             const char *task_id, char id[UUID_STR_LEN])
{
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.task_id = (char *)task_id;
    tc.case_no = (char *)(case_no ? case_no : "");
    tc.state = (char *)"ASSIGNED";
    tc.at_us = now_us();
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(append_row(db, "router", dest, MSG_TASK_CHANGED, case_no, NULL,
                                   &tc.base, id), 0);
    assert_int_equal(db_commit(db), 0);
}

/* relay_due(max) must hand out exactly the rows want, in that order. */
static void expect_due(PGconn *db, int max, const char *const *want, size_t n_want)
{
    struct relay_batch b;
    assert_int_equal(relay_due(db, max, 1000, NULL, 0, &b), 0);
    if (b.n != n_want)
        print_error("relay_due(%d): %zu rows, want %zu\n", max, b.n, n_want);
    assert_int_equal(b.n, n_want);
    for (size_t i = 0; i < n_want; i++)
        assert_string_equal(b.rows[i].id, want[i]);
    relay_batch_clear(&b);
    assert_int_equal(b.n, 0);
    assert_null(b.rows);
    assert_null(b.res);
}

static void expect_none_due(PGconn *db)
{
    expect_due(db, 100, NULL, 0);
}

/* A checked Envelope as a consumer would receive it. Caller frees. */
static Bangdai__Envelope *make_envelope(const char *type, const char *source)
{
    char err[256] = "";
    size_t len = 0;
    uint8_t *buf = envelope_pack(type, source, CASE_NO, NULL, NULL, &len, NULL);
    assert_non_null(buf);
    Bangdai__Envelope *env = envelope_unpack(buf, len, err, sizeof err);
    free(buf);
    assert_non_null(env);
    return env;
}

static void hex(const uint8_t *data, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++)
        sprintf(out + 2 * i, "%02x", data[i]);
    out[2 * len] = 0;
}

/* ---- (a) outbox_append_row and relay_due -------------------------------------- */

static void test_append_rolled_back_leaves_nothing(void **state)
{
    PGconn *db = need_db(state);
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    char id[UUID_STR_LEN] = "";

    tc.task_id = (char *)"T-1";
    tc.case_no = (char *)CASE_NO;
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(append_row(db, "router", "tracker", MSG_TASK_CHANGED, CASE_NO, NULL,
                                   &tc.base, id), 0);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(outbox_rows(db), 1);          /* visible in its own transaction */
    db_rollback(db);

    assert_int_equal(outbox_rows(db), 0);
    assert_int_equal(relay_pending(db), 0);
    expect_none_due(db);
}

static void test_append_committed_is_due_with_its_frame(void **state)
{
    PGconn *db = need_db(state);
    char id[UUID_STR_LEN] = "", err[256] = "", stored[8192];
    struct relay_batch b;

    append_committed(db, "tracker", CASE_NO, "T-1", id);
    assert_int_equal(relay_pending(db), 1);
    assert_int_equal(relay_due(db, 10, 1000, NULL, 0, &b), 0);
    assert_int_equal(b.n, 1);
    struct relay_row *r = &b.rows[0];
    assert_string_equal(r->id, id);
    assert_string_equal(r->dest, "tracker");
    assert_string_equal(r->type, MSG_TASK_CHANGED);
    assert_non_null(r->frame);
    assert_true(r->len > 0 && r->len < 4000);

    /* The bytes handed out are the bytes stored, with nothing escaped. */
    char *got = malloc(2 * r->len + 1);
    assert_non_null(got);
    hex(r->frame, r->len, got);
    assert_int_equal(query_long(db, "SELECT length(frame) FROM outbox WHERE id = $1", id),
                     (long)r->len);
    query_text(db, "SELECT encode(frame, 'hex') FROM outbox WHERE id = $1", id,
               stored, sizeof stored);
    assert_string_equal(got, stored);
    free(got);
    assert_true(query_text(db, "SELECT case_no FROM outbox WHERE id = $1", id,
                           stored, sizeof stored));
    assert_string_equal(stored, CASE_NO);
    assert_int_equal(query_long(db, "SELECT attempts FROM outbox WHERE id = $1", id), 0);

    /* And they are the Envelope that was appended. */
    Bangdai__Envelope *env = envelope_unpack(r->frame, r->len, err, sizeof err);
    if (!env)
        print_error("unpack: %s\n", err);
    assert_non_null(env);
    assert_string_equal(env->id, id);
    assert_string_equal(env->type, MSG_TASK_CHANGED);
    assert_string_equal(env->source, "router");
    assert_string_equal(env->case_no, CASE_NO);
    assert_string_equal(env->trace_id, id);
    assert_int_equal(bangdai__envelope__get_packed_size(env), r->len);
    uint8_t *again = malloc(r->len);
    assert_non_null(again);
    bangdai__envelope__pack(env, again);
    assert_memory_equal(again, r->frame, r->len);
    free(again);
    Bangdai__TaskChanged *tc =
        bangdai__task_changed__unpack(NULL, env->payload.len, env->payload.data);
    assert_non_null(tc);
    assert_string_equal(tc->task_id, "T-1");
    assert_string_equal(tc->case_no, CASE_NO);
    assert_string_equal(tc->state, "ASSIGNED");
    bangdai__task_changed__free_unpacked(tc, NULL);
    bangdai__envelope__free_unpacked(env, NULL);
    relay_batch_clear(&b);

    /* Handing out is not sending: still due, still pending. */
    const char *want[] = { id };
    expect_due(db, 10, want, 1);
    assert_int_equal(relay_pending(db), 1);
}

/* A message without a case number is stored with case_no NULL; a failing
 * insert (no destination) reports -1 and writes no id. */
static void test_append_without_case_and_failure(void **state)
{
    PGconn *db = need_db(state);
    char id[UUID_STR_LEN] = "", text[64];

    append_committed(db, "dept:zjw", NULL, "T-2", id);
    assert_false(query_text(db, "SELECT case_no FROM outbox WHERE id = $1", id,
                            text, sizeof text));

    char untouched[UUID_STR_LEN] = "unchanged";
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(append_row(db, "router", NULL, MSG_TASK_CHANGED, CASE_NO, NULL, NULL,
                                   untouched), -1);
    db_rollback(db);
    assert_string_equal(untouched, "unchanged");
    assert_int_equal(outbox_rows(db), 1);
}

/* ---- (b) relay_sent and relay_restart ------------------------------------- */

static void test_sent_defers_and_restart_makes_due(void **state)
{
    PGconn *db = need_db(state);
    const struct cfg_link link = { .resend_initial_ms = 60000, .resend_max_ms = 600000 };
    char id[UUID_STR_LEN] = "";
    struct relay_batch b;

    append_committed(db, "tracker", CASE_NO, "T-1", id);
    assert_int_equal(relay_due(db, 10, 1000, NULL, 0, &b), 0);
    assert_int_equal(b.n, 1);
    const char *ids[] = { b.rows[0].id };
    assert_int_equal(relay_sent(db, ids, 1, &link), 0);
    relay_batch_clear(&b);

    assert_int_equal(query_long(db, "SELECT attempts FROM outbox WHERE id = $1", id), 1);
    assert_in_range(query_long(db, "SELECT (extract(epoch FROM next_at - now()) * 1000)::bigint"
                                   " FROM outbox WHERE id = $1", id),
                    50000, 60000);
    expect_none_due(db);
    assert_int_equal(relay_pending(db), 1);        /* deferred, not forgotten */

    /* Nothing to mark is not an error. */
    assert_int_equal(relay_sent(db, NULL, 0, &link), 0);

    assert_int_equal(relay_restart(db), 0);
    const char *want[] = { id };
    expect_due(db, 10, want, 1);
    assert_int_equal(query_long(db, "SELECT attempts FROM outbox WHERE id = $1", id), 1);
}

struct backoff_case {
    struct cfg_link link;
    int attempts;               /* before relay_sent */
    long want_ms;               /* next_at - now() after it */
};

/* The delay doubles from resend_initial_ms with every attempt and stops at
 * resend_max_ms. Read inside the transaction of relay_sent, where now() is
 * the now() of the UPDATE, so the delay is exact. */
static void test_sent_backoff_doubles_to_cap(void **state)
{
    static const struct backoff_case cases[] = {
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 0, 1000 },
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 1, 2000 },
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 2, 4000 },
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 4, 16000 },
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 5, 30000 },
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 20, 30000 },
        { { .resend_initial_ms = 1000, .resend_max_ms = 30000 }, 1000, 30000 },
        { { .resend_initial_ms = 10, .resend_max_ms = 10 }, 0, 10 },
        { { .resend_initial_ms = 10, .resend_max_ms = 3600000 }, 3, 80 },
        { { .resend_initial_ms = 250, .resend_max_ms = 1000 }, 1, 500 },
        /* Large initial delays must not overflow before the cap applies. */
        { { .resend_initial_ms = 5000, .resend_max_ms = 30000 }, 19, 30000 },
        { { .resend_initial_ms = 600000, .resend_max_ms = 3600000 }, 12, 3600000 },
    };
    PGconn *db = need_db(state);
    char id[UUID_STR_LEN] = "", n[16];

    append_committed(db, "tracker", CASE_NO, "T-1", id);
    const char *ids[] = { id };
    for (size_t i = 0; i < N_OF(cases); i++) {
        const struct backoff_case *c = &cases[i];
        snprintf(n, sizeof n, "%d", c->attempts);
        exec_ok(db, "UPDATE outbox SET attempts = $2::int WHERE id = $1", id, n);
        assert_int_equal(db_begin(db), 0);
        int rc = relay_sent(db, ids, 1, &c->link);
        if (rc != 0)
            print_error("row %zu: relay_sent failed\n", i);
        assert_int_equal(rc, 0);
        long got = query_long(db, "SELECT (extract(epoch FROM next_at - now()) * 1000)::bigint"
                                  " FROM outbox WHERE id = $1", id);
        long attempts = query_long(db, "SELECT attempts FROM outbox WHERE id = $1", id);
        assert_int_equal(db_commit(db), 0);
        if (got != c->want_ms)
            print_error("row %zu: initial %d, max %d, attempts %d: delay %ld ms, want %ld\n",
                        i, c->link.resend_initial_ms, c->link.resend_max_ms, c->attempts,
                        got, c->want_ms);
        assert_int_equal(got, c->want_ms);
        assert_int_equal(attempts, c->attempts + 1);
    }
}

/* ---- (c) relay_acked ------------------------------------------------------ */

static void test_acked_once_then_late_duplicate(void **state)
{
    PGconn *db = need_db(state);
    const struct cfg_link link = { .resend_initial_ms = 1000, .resend_max_ms = 30000 };
    char id[UUID_STR_LEN] = "", dest[64] = "", type[64] = "", text[128];

    append_committed(db, "tracker", CASE_NO, "T-1", id);
    assert_int_equal(relay_pending(db), 1);

    /* An acknowledgement from a peer the row was not sent to counts for nothing. */
    assert_int_equal(relay_acked(db, id, NULL, "dept:fgw", dest, type), 0);
    assert_int_equal(relay_pending(db), 1);

    assert_int_equal(relay_acked(db, id, NULL, "tracker", dest, type), 1);
    assert_string_equal(dest, "tracker");
    assert_string_equal(type, MSG_TASK_CHANGED);
    assert_int_equal(relay_pending(db), 0);
    assert_int_equal(query_long(db, "SELECT count(*) FROM outbox"
                                    " WHERE id = $1 AND acked_at IS NOT NULL", id), 1);
    assert_false(query_text(db, "SELECT error FROM outbox WHERE id = $1", id,
                            text, sizeof text));

    /* The same Ack again (a resend crossed it): not pending any more. */
    assert_int_equal(relay_acked(db, id, NULL, NULL, dest, type), 0);
    expect_none_due(db);

    /* An acknowledged row stays done through a restart and a late
     * relay_sent. */
    assert_int_equal(relay_restart(db), 0);
    const char *ids[] = { id };
    assert_int_equal(relay_sent(db, ids, 1, &link), 0);
    assert_int_equal(query_long(db, "SELECT attempts FROM outbox WHERE id = $1", id), 0);
    expect_none_due(db);
    assert_int_equal(relay_pending(db), 0);
    assert_int_equal(outbox_rows(db), 1);          /* kept until pruned */
}

static void test_acked_with_error_and_unknown_id(void **state)
{
    PGconn *db = need_db(state);
    char a[UUID_STR_LEN] = "", b[UUID_STR_LEN] = "", dest[64] = "", type[64] = "",
         text[128];

    append_committed(db, "tracker", CASE_NO, "T-1", a);
    append_committed(db, "dept:zjw", CASE_NO, "T-2", b);
    assert_int_equal(relay_pending(db), 2);

    /* An Error ends resending just like an Ack, and its text is kept. */
    assert_int_equal(relay_acked(db, b, "invalid: items: unknown item code", NULL, dest, type), 1);
    assert_string_equal(dest, "dept:zjw");
    assert_string_equal(type, MSG_TASK_CHANGED);
    assert_true(query_text(db, "SELECT error FROM outbox WHERE id = $1", b, text, sizeof text));
    assert_string_equal(text, "invalid: items: unknown item code");
    assert_int_equal(relay_pending(db), 1);
    const char *want[] = { a };
    expect_due(db, 10, want, 1);

    /* A late Ack after the Error changes nothing. */
    assert_int_equal(relay_acked(db, b, NULL, NULL, dest, type), 0);
    assert_true(query_text(db, "SELECT error FROM outbox WHERE id = $1", b, text, sizeof text));
    assert_string_equal(text, "invalid: items: unknown item code");

    /* An Ack for a message this outbox never held. */
    char other[UUID_STR_LEN];
    assert_int_equal(uuid_v7(other), 0);
    assert_int_equal(relay_acked(db, other, NULL, NULL, dest, type), 0);
    assert_int_equal(relay_pending(db), 1);
}

/* ---- (d) inbox ------------------------------------------------------------ */

static void test_inbox_new_then_seen(void **state)
{
    PGconn *db = need_db(state);
    struct inbox_refusal prior;
    char text[64];

    Bangdai__Envelope *env = make_envelope(MSG_CASE_OPENED, "intake");
    memset(&prior, 0, sizeof prior);
    assert_int_equal(inbox_record(db, SENDER, env, &prior), INBOX_NEW);
    assert_int_equal(inbox_record(db, SENDER, env, &prior), INBOX_SEEN);
    assert_int_equal(inbox_record(db, SENDER, env, &prior), INBOX_SEEN);
    assert_int_equal(query_long(db, "SELECT count(*) FROM inbox", NULL), 1);
    assert_true(query_text(db, "SELECT type || '/' || source FROM inbox WHERE id = $1",
                           env->id, text, sizeof text));
    assert_string_equal(text, MSG_CASE_OPENED "/intake");
    assert_false(query_text(db, "SELECT error_code FROM inbox WHERE id = $1",
                            env->id, text, sizeof text));

    /* Recorded in a transaction that rolls back: not recorded, so the
     * redelivery is applied. */
    Bangdai__Envelope *other = make_envelope(MSG_CASE_OPENED, "intake");
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(inbox_record(db, SENDER, other, &prior), INBOX_NEW);
    assert_int_equal(inbox_record(db, SENDER, other, &prior), INBOX_SEEN);
    db_rollback(db);
    assert_int_equal(inbox_record(db, SENDER, other, &prior), INBOX_NEW);

    bangdai__envelope__free_unpacked(other, NULL);
    bangdai__envelope__free_unpacked(env, NULL);
}

struct refusal_case {
    const char *code;
    const char *field;          /* may be NULL */
    const char *message;        /* may be NULL */
    const char *want_field;
    const char *want_message;
};

/* A refused message is refused again, with the same Error, however often it
 * comes back; a message that was not refused is still only SEEN. */
static void test_inbox_refused_replays_reason(void **state)
{
    static const struct refusal_case cases[] = {
        { ERR_INVALID, "items", "unknown item code XX-YY", "items", "unknown item code XX-YY" },
        { ERR_NOT_FOUND, "case_no", "没有这个案件", "case_no", "没有这个案件" },
        { ERR_UNKNOWN_TYPE, NULL, NULL, "", "" },
        { ERR_MALFORMED, "", "payload is not a CaseOpened", "", "payload is not a CaseOpened" },
    };
    PGconn *db = need_db(state);

    Bangdai__Envelope *applied = make_envelope(MSG_CASE_OPENED, "intake");
    assert_int_equal(inbox_record(db, SENDER, applied, NULL), INBOX_NEW);
    for (size_t i = 0; i < N_OF(cases); i++) {
        const struct refusal_case *c = &cases[i];
        struct inbox_refusal prior;
        Bangdai__Envelope *env = make_envelope(MSG_CASE_OPENED, "intake");

        assert_int_equal(inbox_refuse(db, SENDER, env, c->code, c->field, c->message), 0);
        for (int round = 0; round < 2; round++) {
            memset(&prior, 0x55, sizeof prior);
            enum inbox_result r = inbox_record(db, SENDER, env, &prior);
            if (r != INBOX_REFUSED)
                print_error("row %zu round %d: %d, want INBOX_REFUSED\n", i, round, (int)r);
            assert_int_equal(r, INBOX_REFUSED);
            assert_string_equal(prior.code, c->code);
            assert_string_equal(prior.field, c->want_field);
            assert_string_equal(prior.message, c->want_message);
        }
        bangdai__envelope__free_unpacked(env, NULL);
    }
    assert_int_equal(inbox_record(db, SENDER, applied, NULL), INBOX_SEEN);
    assert_int_equal(query_long(db, "SELECT count(*) FROM inbox", NULL), 1 + (long)N_OF(cases));
    bangdai__envelope__free_unpacked(applied, NULL);
}

/* A stored message longer than the buffer comes back cut, terminated. */
static void test_inbox_refusal_long_message(void **state)
{
    PGconn *db = need_db(state);
    struct inbox_refusal prior;
    char message[700];

    memset(message, 'm', sizeof message - 1);
    message[sizeof message - 1] = 0;
    Bangdai__Envelope *env = make_envelope(MSG_DEPT_UPDATE, "agent");
    assert_int_equal(inbox_refuse(db, SENDER, env, ERR_INVALID, "note", message), 0);
    assert_int_equal(inbox_record(db, SENDER, env, &prior), INBOX_REFUSED);
    assert_int_equal(strlen(prior.message), sizeof prior.message - 1);
    assert_memory_equal(prior.message, message, sizeof prior.message - 1);
    bangdai__envelope__free_unpacked(env, NULL);
}

/* ---- (e) order and batch limit -------------------------------------------- */

static void test_due_oldest_first_within_limit(void **state)
{
    PGconn *db = need_db(state);
    const struct cfg_link link = { .resend_initial_ms = 60000, .resend_max_ms = 60000 };
    char id[3][UUID_STR_LEN], dest[64], type[64];

    append_committed(db, "tracker", CASE_NO, "T-1", id[0]);
    append_committed(db, "dept:zjw", CASE_NO, "T-2", id[1]);
    append_committed(db, "tracker", NULL, "T-3", id[2]);
    const char *all[] = { id[0], id[1], id[2] };

    expect_due(db, 10, all, 3);
    expect_due(db, 3, all, 3);
    expect_due(db, 2, all, 2);
    expect_due(db, 1, all, 1);
    expect_due(db, 0, all, 0);

    /* The oldest acknowledged: the next two come first. */
    assert_int_equal(relay_acked(db, id[0], NULL, NULL, dest, type), 1);
    expect_due(db, 2, all + 1, 2);

    /* The middle one deferred: only the last is due; after a restart both,
     * again in their order. */
    const char *mid[] = { id[1] };
    assert_int_equal(relay_sent(db, mid, 1, &link), 0);
    expect_due(db, 10, all + 2, 1);
    assert_int_equal(relay_restart(db), 0);
    expect_due(db, 10, all + 1, 2);
    assert_int_equal(relay_pending(db), 2);
}

/* The order is the order of append (seq), not of the ids: rows appended in
 * one transaction keep their order too. */
static void test_due_order_within_one_transaction(void **state)
{
    PGconn *db = need_db(state);
    Bangdai__Ack ack = BANGDAI__ACK__INIT;
    char id[5][UUID_STR_LEN];

    ack.ref_id = (char *)"0190c7d2-7a8b-7c3d-9e4f-0123456789ab";
    assert_int_equal(db_begin(db), 0);
    for (size_t i = 0; i < N_OF(id); i++)
        assert_int_equal(append_row(db, "intake", "router", MSG_ACK, NULL, NULL, &ack.base,
                                       id[i]), 0);
    assert_int_equal(db_commit(db), 0);
    const char *all[] = { id[0], id[1], id[2], id[3], id[4] };
    expect_due(db, 100, all, N_OF(all));
    assert_int_equal(relay_pending(db), (long)N_OF(all));
}

/* ---- (f) link_prune ------------------------------------------------------- */

static void test_prune_keeps_unacked_and_recent(void **state)
{
    PGconn *db = need_db(state);
    char old_acked[UUID_STR_LEN], new_acked[UUID_STR_LEN], unacked[UUID_STR_LEN];
    char dest[64], type[64];

    append_committed(db, "tracker", CASE_NO, "T-1", old_acked);
    append_committed(db, "tracker", CASE_NO, "T-2", new_acked);
    append_committed(db, "tracker", CASE_NO, "T-3", unacked);
    assert_int_equal(relay_acked(db, old_acked, NULL, NULL, dest, type), 1);
    assert_int_equal(relay_acked(db, new_acked, NULL, NULL, dest, type), 1);
    exec_ok(db, "UPDATE outbox SET acked_at = now() - interval '169 hours' WHERE id = $1",
            old_acked, NULL);
    exec_ok(db, "UPDATE outbox SET acked_at = now() - interval '167 hours' WHERE id = $1",
            new_acked, NULL);
    /* Unacknowledged for longer than the window: resent, never pruned. */
    exec_ok(db, "UPDATE outbox SET created_at = now() - interval '1000 hours',"
                " next_at = now() - interval '1000 hours' WHERE id = $1", unacked, NULL);

    Bangdai__Envelope *old_in = make_envelope(MSG_TASK_CHANGED, "router");
    Bangdai__Envelope *new_in = make_envelope(MSG_TASK_CHANGED, "router");
    assert_int_equal(inbox_record(db, SENDER, old_in, NULL), INBOX_NEW);
    assert_int_equal(inbox_record(db, SENDER, new_in, NULL), INBOX_NEW);
    exec_ok(db, "UPDATE inbox SET received_at = now() - interval '169 hours' WHERE id = $1",
            old_in->id, NULL);
    exec_ok(db, "UPDATE inbox SET received_at = now() - interval '167 hours' WHERE id = $1",
            new_in->id, NULL);

    assert_int_equal(link_prune(db, 168), 0);

    assert_int_equal(query_long(db, "SELECT count(*) FROM outbox WHERE id = $1", old_acked), 0);
    assert_int_equal(query_long(db, "SELECT count(*) FROM outbox WHERE id = $1", new_acked), 1);
    assert_int_equal(query_long(db, "SELECT count(*) FROM outbox WHERE id = $1", unacked), 1);
    assert_int_equal(outbox_rows(db), 2);
    assert_int_equal(relay_pending(db), 1);
    const char *want[] = { unacked };
    expect_due(db, 10, want, 1);

    assert_int_equal(query_long(db, "SELECT count(*) FROM inbox WHERE id = $1", old_in->id), 0);
    assert_int_equal(query_long(db, "SELECT count(*) FROM inbox WHERE id = $1", new_in->id), 1);
    assert_int_equal(inbox_record(db, SENDER, new_in, NULL), INBOX_SEEN);

    /* Pruning again with nothing old is a no-op. */
    assert_int_equal(link_prune(db, 168), 0);
    assert_int_equal(outbox_rows(db), 2);
    assert_int_equal(query_long(db, "SELECT count(*) FROM inbox", NULL), 1);

    bangdai__envelope__free_unpacked(old_in, NULL);
    bangdai__envelope__free_unpacked(new_in, NULL);
}

/* ---- (g) numbering, window and per-sender order (issue 6) ----------------- */

/* Each destination numbers its rows 1, 2, 3, ... in commit order; a rolled
 * back append gives its number back, so there is never a gap. */
static void test_numbers_per_destination_without_gaps(void **state)
{
    PGconn *db = need_db(state);
    char id[4][UUID_STR_LEN];

    append_committed(db, "tracker", CASE_NO, "T-1", id[0]);
    append_committed(db, "intake", CASE_NO, "T-1", id[1]);
    /* Rolled back: its number is not used. */
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.task_id = (char *)"T-9";
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(append_row(db, "router", "tracker", MSG_TASK_CHANGED, CASE_NO, NULL,
                                   &tc.base, NULL), 0);
    db_rollback(db);
    append_committed(db, "tracker", CASE_NO, "T-2", id[2]);
    append_committed(db, "tracker", CASE_NO, "T-3", id[3]);

    struct relay_batch b;
    assert_int_equal(relay_due(db, 10, 1000, NULL, 0, &b), 0);
    assert_int_equal(b.n, 4);
    const uint64_t want[] = { 1, 1, 2, 3 };
    for (size_t i = 0; i < b.n; i++) {
        assert_string_equal(b.rows[i].id, id[i]);
        assert_int_equal(b.rows[i].seq, want[i]);
    }
    /* The number travels in the envelope, appended to the stored frame. */
    size_t len;
    uint8_t *numbered = envelope_with_seq(b.rows[3].frame, b.rows[3].len, b.rows[3].seq, &len);
    assert_non_null(numbered);
    char err[128];
    Bangdai__Envelope *env = envelope_unpack(numbered, len, err, sizeof err);
    assert_non_null(env);
    assert_string_equal(env->id, id[3]);
    assert_int_equal(env->seq, 3);
    bangdai__envelope__free_unpacked(env, NULL);
    free(numbered);
    relay_batch_clear(&b);
}

/* A large number survives the varint appended to the frame. */
static void test_seq_large_values_round_trip(void **state)
{
    (void)state;
    const uint64_t values[] = { 1, 127, 128, 300, 16384, 1ull << 35, UINT64_MAX };
    for (size_t i = 0; i < N_OF(values); i++) {
        size_t len, nlen;
        char id[UUID_STR_LEN], err[128];
        uint8_t *frame = envelope_pack(MSG_ACK, "router", NULL, NULL, NULL, &len, id);
        assert_non_null(frame);
        uint8_t *numbered = envelope_with_seq(frame, len, values[i], &nlen);
        assert_non_null(numbered);
        Bangdai__Envelope *env = envelope_unpack(numbered, nlen, err, sizeof err);
        assert_non_null(env);
        assert_true(env->seq == values[i]);
        assert_string_equal(env->id, id);
        bangdai__envelope__free_unpacked(env, NULL);
        free(numbered);
        free(frame);
    }
}

/* Per destination only the first `window` unacknowledged rows go out; an
 * acknowledgement lets the next one in. An unreachable destination left out
 * of the scan does not keep the others waiting. */
static void test_window_and_skipped_destination(void **state)
{
    PGconn *db = need_db(state);
    const struct cfg_link link = { .resend_initial_ms = 60000, .resend_max_ms = 60000 };
    char t[3][UUID_STR_LEN], d[1][UUID_STR_LEN], dest[64], type[64];

    append_committed(db, "tracker", CASE_NO, "T-1", t[0]);
    append_committed(db, "tracker", CASE_NO, "T-2", t[1]);
    append_committed(db, "tracker", CASE_NO, "T-3", t[2]);
    append_committed(db, "dept:zjw", CASE_NO, "T-4", d[0]);

    struct relay_batch b;
    assert_int_equal(relay_due(db, 10, 2, NULL, 0, &b), 0);
    assert_int_equal(b.n, 3);           /* T-1, T-2 of tracker; T-4 of zjw */
    assert_string_equal(b.rows[0].id, t[0]);
    assert_string_equal(b.rows[1].id, t[1]);
    assert_string_equal(b.rows[2].id, d[0]);
    relay_batch_clear(&b);

    /* Both in flight: nothing more for tracker until one is acknowledged,
     * however long T-3 has been due. */
    const char *sent[] = { t[0], t[1] };
    assert_int_equal(relay_sent(db, sent, 2, &link), 0);
    const char *skip[] = { "dept:zjw" };
    assert_int_equal(relay_due(db, 10, 2, skip, 1, &b), 0);
    assert_int_equal(b.n, 0);
    relay_batch_clear(&b);
    assert_int_equal(relay_acked(db, t[0], NULL, "tracker", dest, type), 1);
    assert_int_equal(relay_due(db, 10, 2, skip, 1, &b), 0);
    assert_int_equal(b.n, 1);
    assert_string_equal(b.rows[0].id, t[2]);
    relay_batch_clear(&b);

    /* The consumer reconnected: what it may have lost is due at once, in
     * order, without waiting out the back-off. */
    assert_int_equal(relay_reconnected(db, "tracker", 0), 0);
    assert_int_equal(relay_due(db, 10, 2, skip, 1, &b), 0);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.rows[0].id, t[1]);
    assert_string_equal(b.rows[1].id, t[2]);
    relay_batch_clear(&b);
}

/* After a break, only what went out on the broken connection is sent again
 * at once; what went out on the new one is in flight, not lost. */
static void test_reconnect_resends_only_what_the_break_lost(void **state)
{
    PGconn *db = need_db(state);
    const struct cfg_link link = { .resend_initial_ms = 60000, .resend_max_ms = 60000 };
    char old_row[UUID_STR_LEN], new_row[UUID_STR_LEN];
    append_committed(db, "tracker", CASE_NO, "T-1", old_row);
    append_committed(db, "tracker", CASE_NO, "T-2", new_row);
    const char *ids[] = { old_row, new_row };
    assert_int_equal(relay_sent(db, ids, 2, &link), 0);
    exec_ok(db, "UPDATE outbox SET sent_at = now() - interval '10 seconds' WHERE id = $1", old_row, NULL);
    /* The break was seen 5 s ago: the first row went out before it. */
    int64_t lost_at = now_us() - 5 * 1000000LL;
    assert_int_equal(relay_reconnected(db, "tracker", lost_at), 0);
    const char *want[] = { old_row };
    expect_due(db, 10, want, 1);
}

/* Statements run through db_exec are prepared once per connection and then
 * only executed; one the session lost behind our back is prepared again. */
/* A batch's columns as text arrays (db_text_arrays) come back from
 * PostgreSQL's unnest row by row, each value as it was: quotes, a
 * backslash, a comma, braces, text in Chinese, an empty string and NULL. */
static void test_text_arrays_round_trip(void **state)
{
    PGconn *db = need_db(state);
    enum { N = 4, COLS = 2 };
    const char *cell[COLS * N] = {
        /* column 0 */ "say \"hi\"", "back\\slash", "a,b {c}", NULL,
        /* column 1 */ "县住房城乡建委", "", "NULL", "x",
    };
    char *arr[COLS];
    assert_int_equal(db_text_arrays(cell, N, COLS, arr), 0);
    const char *p[COLS] = { arr[0], arr[1] };
    PGresult *res = db_exec(db, "test.unnest",
                            "SELECT a, b, a IS NULL FROM unnest($1::text[], $2::text[]) WITH ORDINALITY"
                            " AS u(a, b, n) ORDER BY n", COLS, p);
    db_arrays_free(arr, COLS);
    assert_null(arr[0]);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), N);
    for (int i = 0; i < N; i++) {
        if (cell[i])
            assert_string_equal(PQgetvalue(res, i, 0), cell[i]);
        else
            assert_string_equal(PQgetvalue(res, i, 2), "t");
        assert_string_equal(PQgetvalue(res, i, 1), cell[N + i]);
    }
    PQclear(res);
}

static void test_statements_prepared_once(void **state)
{
    PGconn *db = need_db(state);
    const char *sql = "SELECT $1::int + 41";
    for (int i = 0; i < 3; i++) {
        const char *p[1] = { "1" };
        PGresult *res = db_exec(db, "test.prepared", sql, 1, p);
        assert_non_null(res);
        assert_string_equal(PQgetvalue(res, 0, 0), "42");
        PQclear(res);
    }
    assert_int_equal(query_long(db, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", sql), 1);
    PGresult *gone = PQexec(db, "DEALLOCATE ALL");
    PQclear(gone);
    const char *p[1] = { "2" };
    PGresult *res = db_exec(db, "test.prepared", sql, 1, p);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "43");
    PQclear(res);
    res = db_exec(db, "test.prepared", sql, 1, p);
    assert_non_null(res);
    PQclear(res);
    assert_int_equal(query_long(db, "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", sql), 1);
}

/* Acknowledgements in one statement: each counts only from its destination. */
static void test_acked_many(void **state)
{
    PGconn *db = need_db(state);
    char a[UUID_STR_LEN], b[UUID_STR_LEN], c[UUID_STR_LEN];
    append_committed(db, "tracker", CASE_NO, "T-1", a);
    append_committed(db, "dept:fgw", CASE_NO, "T-2", b);
    append_committed(db, "dept:zjw", CASE_NO, "T-3", c);
    const char *ids[] = { a, b, c };
    const char *froms[] = { NULL, "dept:fgw", "dept:fgw" };   /* zjw's row from fgw: no */
    PGresult *res = relay_acked_many(db, ids, froms, 3);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 2);
    PQclear(res);
    assert_int_equal(relay_pending(db), 1);
    assert_int_equal(query_long(db, "SELECT count(*) FROM outbox WHERE acked_at IS NULL AND id = $1", c), 1);
    /* Again: nothing more is marked. */
    res = relay_acked_many(db, ids, froms, 3);
    assert_non_null(res);
    assert_int_equal(PQntuples(res), 0);
    PQclear(res);
}

/* Rows that timed out on a standing connection: only the oldest goes again
 * (the others are on their way, or come next once it is applied); after a
 * break, all of them. */
static void test_timeout_resends_the_oldest_only(void **state)
{
    PGconn *db = need_db(state);
    const struct cfg_link link = { .resend_initial_ms = 60000, .resend_max_ms = 60000 };
    char a[UUID_STR_LEN], b[UUID_STR_LEN], c[UUID_STR_LEN], dest[64], type[64];
    append_committed(db, "tracker", CASE_NO, "T-1", a);
    append_committed(db, "tracker", CASE_NO, "T-2", b);
    append_committed(db, "tracker", CASE_NO, "T-3", c);
    const char *all[] = { a, b, c };
    assert_int_equal(relay_sent(db, all, 3, &link), 0);
    expect_none_due(db);
    /* All three time out. */
    exec_ok(db, "UPDATE outbox SET next_at = now() - interval '1 second'", NULL, NULL);
    expect_due(db, 10, all, 1);
    assert_int_equal(relay_acked(db, a, NULL, "tracker", dest, type), 1);
    expect_due(db, 10, all + 1, 1);
    /* The connection broke before they were sent: all go again. */
    assert_int_equal(relay_reconnected(db, "tracker", now_us()), 0);
    expect_due(db, 10, all + 1, 2);
}

/* A row acknowledged by the wrong destination stays pending. */
static void test_ack_counts_only_from_its_destination(void **state)
{
    PGconn *db = need_db(state);
    char id[UUID_STR_LEN], dest[64], type[64];
    append_committed(db, "delivery", CASE_NO, "T-1", id);
    assert_int_equal(relay_acked(db, id, NULL, "tracker", dest, type), 0);
    assert_int_equal(relay_pending(db), 1);
    assert_int_equal(relay_acked(db, id, NULL, "delivery", dest, type), 1);
    assert_int_equal(relay_pending(db), 0);
}

/* A numbered envelope from sender with the given number. Caller frees. */
static Bangdai__Envelope *numbered_envelope(uint64_t seq)
{
    Bangdai__Envelope *env = make_envelope(MSG_TASK_CHANGED, "router");
    env->seq = seq;
    return env;
}

/* The consumer applies 1, 2, 3 in order; 3 before 2 waits; an old number
 * is a duplicate; a refused one is refused again; another sender has a
 * count of its own; a rolled back transaction does not count. */
static void test_in_order_per_sender(void **state)
{
    PGconn *db = need_db(state);
    struct inbox_refusal prior;
    uint64_t last = 99;
    Bangdai__Envelope *e[4];
    for (int i = 1; i <= 3; i++)
        e[i] = numbered_envelope((uint64_t)i);
    struct link_senders *ls = link_senders_new();
    assert_non_null(ls);
#define CHECK(sender, env) link_senders_check(ls, db, (sender), (env), &last, &prior)

    assert_int_equal(CHECK(SENDER, e[2]), LINK_EARLY);
    assert_int_equal(last, 0);
    assert_int_equal(CHECK(SENDER, e[1]), LINK_NEXT);
    /* Not counted until advanced: 1 is still the next one. */
    assert_int_equal(CHECK(SENDER, e[1]), LINK_NEXT);
    assert_int_equal(db_begin(db), 0);
    link_senders_advance(ls, SENDER, 1);
    assert_int_equal(CHECK(SENDER, e[3]), LINK_EARLY);
    assert_int_equal(last, 1);
    assert_int_equal(CHECK(SENDER, e[1]), LINK_SEEN);
    assert_int_equal(link_senders_flush(ls, db), 0);
    assert_int_equal(db_commit(db), 0);
    link_senders_committed(ls);
    assert_int_equal(query_long(db, "SELECT last_seq FROM link_in WHERE sender = $1", SENDER), 1);

    /* Counted inside a transaction that rolls back: not counted. */
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(CHECK(SENDER, e[2]), LINK_NEXT);
    link_senders_advance(ls, SENDER, 2);
    assert_int_equal(link_senders_flush(ls, db), 0);
    db_rollback(db);
    link_senders_rollback(ls);
    assert_int_equal(CHECK(SENDER, e[3]), LINK_EARLY);
    assert_int_equal(query_long(db, "SELECT last_seq FROM link_in WHERE sender = $1", SENDER), 1);

    /* 2 refused for good: counted, and its Error replayed to a resend. */
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(CHECK(SENDER, e[2]), LINK_NEXT);
    link_senders_advance(ls, SENDER, 2);
    assert_int_equal(inbox_refuse(db, SENDER, e[2], ERR_INVALID, "state", "没有这个状态"), 0);
    memset(&prior, 0, sizeof prior);
    assert_int_equal(CHECK(SENDER, e[2]), LINK_REFUSED);
    assert_string_equal(prior.field, "state");
    assert_string_equal(prior.message, "没有这个状态");
    assert_int_equal(CHECK(SENDER, e[3]), LINK_NEXT);
    link_senders_advance(ls, SENDER, 3);
    assert_int_equal(link_senders_flush(ls, db), 0);
    assert_int_equal(db_commit(db), 0);
    link_senders_committed(ls);

    /* Another sender's numbers are its own, and it cannot replay 2's refusal. */
    assert_int_equal(CHECK(OTHER_SENDER, e[2]), LINK_EARLY);
    assert_int_equal(CHECK(OTHER_SENDER, e[1]), LINK_NEXT);
    link_senders_advance(ls, OTHER_SENDER, 1);
    assert_int_equal(CHECK(OTHER_SENDER, e[2]), LINK_NEXT);
    link_senders_advance(ls, OTHER_SENDER, 2);
    assert_int_equal(CHECK(OTHER_SENDER, e[2]), LINK_SEEN);
    assert_int_equal(link_senders_flush(ls, db), 0);
    link_senders_committed(ls);

    /* What another process (or a new start) finds: the places in link_in. */
    struct link_senders *fresh = link_senders_new();
    assert_non_null(fresh);
    assert_int_equal(link_senders_check(fresh, db, SENDER, e[3], &last, &prior), LINK_SEEN);
    assert_int_equal(last, 3);
    /* Somebody else moved a place: the flush refuses, the place is read again. */
    exec_ok(db, "UPDATE link_in SET last_seq = 5 WHERE sender = $1", SENDER, NULL);
    Bangdai__Envelope *e4 = numbered_envelope(4);
    assert_int_equal(CHECK(SENDER, e4), LINK_NEXT);
    link_senders_advance(ls, SENDER, 4);
    assert_int_equal(link_senders_flush(ls, db), -1);
    link_senders_rollback(ls);
    assert_int_equal(CHECK(SENDER, e4), LINK_SEEN);
    assert_int_equal(last, 5);
#undef CHECK
    bangdai__envelope__free_unpacked(e4, NULL);
    link_senders_destroy(&fresh);
    link_senders_destroy(&ls);
    assert_null(ls);
    for (int i = 1; i <= 3; i++)
        bangdai__envelope__free_unpacked(e[i], NULL);
}

/* Dedupe is per sender: the same id from two keys is two messages, and a
 * refusal stored for one is not the other's answer. */
static void test_inbox_per_sender(void **state)
{
    PGconn *db = need_db(state);
    struct inbox_refusal prior;
    Bangdai__Envelope *env = make_envelope(MSG_DEPT_UPDATE, "dept");
    assert_int_equal(inbox_refuse(db, "dept-fgw@router_dept", env, ERR_FORBIDDEN, "task_id",
                                  "not your department"), 0);
    assert_int_equal(inbox_record(db, "dept-fgw@router_dept", env, &prior), INBOX_REFUSED);
    assert_int_equal(inbox_record(db, "dept-zjw@router_dept", env, &prior), INBOX_NEW);
    assert_int_equal(inbox_record(db, "dept-zjw@router_dept", env, &prior), INBOX_SEEN);
    bangdai__envelope__free_unpacked(env, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_append_rolled_back_leaves_nothing, test_setup),
        cmocka_unit_test_setup(test_append_committed_is_due_with_its_frame, test_setup),
        cmocka_unit_test_setup(test_append_without_case_and_failure, test_setup),
        cmocka_unit_test_setup(test_sent_defers_and_restart_makes_due, test_setup),
        cmocka_unit_test_setup(test_sent_backoff_doubles_to_cap, test_setup),
        cmocka_unit_test_setup(test_acked_once_then_late_duplicate, test_setup),
        cmocka_unit_test_setup(test_acked_with_error_and_unknown_id, test_setup),
        cmocka_unit_test_setup(test_inbox_new_then_seen, test_setup),
        cmocka_unit_test_setup(test_inbox_refused_replays_reason, test_setup),
        cmocka_unit_test_setup(test_inbox_refusal_long_message, test_setup),
        cmocka_unit_test_setup(test_due_oldest_first_within_limit, test_setup),
        cmocka_unit_test_setup(test_due_order_within_one_transaction, test_setup),
        cmocka_unit_test_setup(test_prune_keeps_unacked_and_recent, test_setup),
        cmocka_unit_test_setup(test_numbers_per_destination_without_gaps, test_setup),
        cmocka_unit_test(test_seq_large_values_round_trip),
        cmocka_unit_test_setup(test_window_and_skipped_destination, test_setup),
        cmocka_unit_test_setup(test_ack_counts_only_from_its_destination, test_setup),
        cmocka_unit_test_setup(test_statements_prepared_once, test_setup),
        cmocka_unit_test_setup(test_text_arrays_round_trip, test_setup),
        cmocka_unit_test_setup(test_acked_many, test_setup),
        cmocka_unit_test_setup(test_timeout_resends_the_oldest_only, test_setup),
        cmocka_unit_test_setup(test_reconnect_resends_only_what_the_break_lost, test_setup),
        cmocka_unit_test_setup(test_in_order_per_sender, test_setup),
        cmocka_unit_test_setup(test_inbox_per_sender, test_setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
