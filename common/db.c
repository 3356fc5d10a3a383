/* db.c - libpq helpers; see db.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

PGconn *db_connect(const struct config *cfg, const char *user, const char *schema,
                   char *err, size_t errlen)
{
    const char *keys[8], *vals[8];
    char options[128];
    int n = 0;
    PGconn *db;

    keys[n] = "dbname"; vals[n++] = cfg->database.dbname;
    if (cfg->database.host) { keys[n] = "host"; vals[n++] = cfg->database.host; }
    if (cfg->database.port) { keys[n] = "port"; vals[n++] = cfg->database.port; }
    if (user) { keys[n] = "user"; vals[n++] = user; }
    if (schema) {
        snprintf(options, sizeof options, "-c search_path=%s", schema);
        keys[n] = "options"; vals[n++] = options;
    }
    keys[n] = "application_name"; vals[n++] = user ? user : "bangdai";
    keys[n] = NULL; vals[n] = NULL;
    db = PQconnectdbParams(keys, vals, 0);
    if (!db || PQstatus(db) != CONNECTION_OK) {
        snprintf(err, errlen, "database %s as %s: %s", cfg->database.dbname,
                 user ? user : "(default user)", db ? PQerrorMessage(db) : "out of memory");
        /* libpq ends its messages with a newline; a log line must not. */
        size_t l = strlen(err);
        while (l > 0 && (err[l - 1] == '\n' || err[l - 1] == ' '))
            err[--l] = 0;
        PQfinish(db);
        return NULL;
    }
    return db;
}

static struct db_error last_error;
static uint64_t error_count;

uint64_t db_error_count(void) { return error_count; }

const struct db_error *db_last_error(void) { return &last_error; }
void db_clear_error(void) { memset(&last_error, 0, sizeof last_error); }

static void copy_field(char *dst, size_t len, const PGresult *res, int code)
{
    const char *v = res ? PQresultErrorField(res, code) : NULL;
    snprintf(dst, len, "%s", v ? v : "");
}

void db_note_error(PGconn *db, const PGresult *res)
{
    /* After a failed statement every later one fails with 25P02 until the
     * rollback; the first failure is the one that says what went wrong. */
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (last_error.sqlstate[0] && state && strcmp(state, "25P02") == 0)
        return;
    copy_field(last_error.sqlstate, sizeof last_error.sqlstate, res, PG_DIAG_SQLSTATE);
    copy_field(last_error.column, sizeof last_error.column, res, PG_DIAG_COLUMN_NAME);
    copy_field(last_error.constraint, sizeof last_error.constraint, res, PG_DIAG_CONSTRAINT_NAME);
    if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
        copy_field(last_error.message, sizeof last_error.message, res, PG_DIAG_MESSAGE_PRIMARY);
    else
        snprintf(last_error.message, sizeof last_error.message, "%s", PQerrorMessage(db));
}

bool db_error_is_data(void)
{
    return strncmp(last_error.sqlstate, "22", 2) == 0 || strncmp(last_error.sqlstate, "23", 2) == 0;
}

/* Prepared statements, once per connection. A statement is known by its
 * text: the first time a connection runs it, it is prepared under a name of
 * its own ("bd<slot>"), and from then on only executed, so PostgreSQL parses
 * and plans it once instead of at every call (planning was over half of the
 * database's time). The cache is keyed by the connection and its
 * generation, which db_ensure bumps when it resets the connection (a new
 * session has no prepared statements). A full cache or a failed prepare
 * falls back to PQexecParams. */
#define STMT_SLOTS 512

struct stmt {
    const PGconn *db;
    unsigned gen;
    unsigned long hash;
    char *sql;
};

static struct stmt stmts[STMT_SLOTS];
static unsigned generation = 1;

static unsigned long sql_hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211UL;
    return h;
}

/* The slot of sql on db: found, or taken now (*fresh set), or -1 when the
 * cache is full. */
static int stmt_slot(const PGconn *db, const char *sql, bool *fresh)
{
    unsigned long h = sql_hash(sql);
    *fresh = false;
    for (int probe = 0; probe < STMT_SLOTS; probe++) {
        int i = (int)((h + (unsigned long)probe) % STMT_SLOTS);
        struct stmt *st = &stmts[i];
        if (st->sql && st->db == db && st->hash == h && strcmp(st->sql, sql) == 0) {
            if (st->gen != generation) {
                st->gen = generation;
                *fresh = true;
            }
            return i;
        }
        if (!st->sql || st->gen != generation) {
            free(st->sql);
            st->sql = strdup(sql);
            if (!st->sql)
                return -1;
            st->db = db;
            st->gen = generation;
            st->hash = h;
            *fresh = true;
            return i;
        }
    }
    return -1;
}

static void stmt_forget(int slot)
{
    free(stmts[slot].sql);
    memset(&stmts[slot], 0, sizeof stmts[slot]);
}

void db_forget_statements(void)
{
    generation++;
}

PGresult *db_exec_ext(PGconn *db, const char *what, const char *sql, int n,
                      const char *const *params, const int *lengths, const int *formats,
                      int binary_result)
{
    bool fresh;
    int slot = stmt_slot(db, sql, &fresh);
    PGresult *res = NULL;
    char name[16];
    if (slot >= 0) {
        snprintf(name, sizeof name, "bd%d", slot);
        if (fresh) {
            res = PQprepare(db, name, sql, n, NULL);
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                /* Inside a failed transaction, or a name a reused
                 * connection already has: run it the plain way. */
                stmt_forget(slot);
                slot = -1;
            }
            PQclear(res);
            res = NULL;
        }
    }
    if (slot >= 0) {
        res = PQexecPrepared(db, name, n, params, lengths, formats, binary_result);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state && strcmp(state, "26000") == 0) {
            /* The session lost its prepared statements behind our back
             * (DEALLOCATE ALL, a pooler): forget them all, so that each is
             * prepared again. Outside a transaction this one can simply run
             * again; inside, the error has aborted the transaction, and the
             * caller's rollback and retry will find them prepared anew. */
            db_forget_statements();
            if (PQtransactionStatus(db) == PQTRANS_IDLE) {
                PQclear(res);
                res = NULL;
                slot = -1;
            }
        }
    }
    if (slot < 0)
        res = PQexecParams(db, sql, n, NULL, params, lengths, formats, binary_result);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    db_note_error(db, res);
    error_count++;
    char msg[512];
    snprintf(msg, sizeof msg, "%s: %s", what,
             res ? PQresultErrorMessage(res) : PQerrorMessage(db));
    size_t l = strlen(msg);
    while (l > 0 && msg[l - 1] == '\n')
        msg[--l] = 0;
    log_error("db.error", .detail = msg);
    PQclear(res);
    return NULL;
}

PGresult *db_exec(PGconn *db, const char *what, const char *sql, int n,
                  const char *const *params)
{
    return db_exec_ext(db, what, sql, n, params, NULL, NULL, 0);
}

int db_run(PGconn *db, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res = db_exec(db, what, sql, n, params);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int db_affected(PGresult *res)
{
    const char *t = PQcmdTuples(res);
    return t && *t ? atoi(t) : 0;
}

int db_begin(PGconn *db) { return db_run(db, "begin", "BEGIN", 0, NULL); }
int db_commit(PGconn *db) { return db_run(db, "commit", "COMMIT", 0, NULL); }

void db_rollback(PGconn *db)
{
    PGresult *res = PQexec(db, "ROLLBACK");
    PQclear(res);
}

int db_ensure(PGconn *db)
{
    if (PQstatus(db) == CONNECTION_OK)
        return 0;
    PQreset(db);
    db_forget_statements();
    if (PQstatus(db) == CONNECTION_OK) {
        log_warn("db.reconnected");
        return 0;
    }
    error_count++;
    return -1;
}

const char *db_value(PGresult *res, int row, int col)
{
    if (!res || row >= PQntuples(res) || col >= PQnfields(res) || PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

/* Formats names as a PostgreSQL text array literal, each element quoted, a
 * NULL entry as SQL NULL. Caller frees; NULL when out of memory. */
char *db_text_array(const char *const *names, int n)
{
    size_t cap = 3;
    for (int i = 0; i < n; i++)
        cap += names[i] ? 2 * strlen(names[i]) + 3 : 5;
    char *s = malloc(cap), *p = s;
    if (!s)
        return NULL;
    *p++ = '{';
    for (int i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        if (!names[i]) {
            memcpy(p, "NULL", 4);
            p += 4;
            continue;
        }
        *p++ = '"';
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *p++ = '\\';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = 0;
    return s;
}

int db_text_arrays(const char *const *cell, size_t n, int ncols, char **arr)
{
    for (int c = 0; c < ncols; c++)
        arr[c] = NULL;
    for (int c = 0; c < ncols; c++)
        if (!(arr[c] = db_text_array(cell + (size_t)c * n, (int)n)))
            return -1;
    return 0;
}

void db_arrays_free(char **arr, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        free(arr[c]);
        arr[c] = NULL;
    }
}

int *db_rows_by_ordinal(const PGresult *res, size_t n)
{
    int *row = malloc((n ? n : 1) * sizeof *row);
    if (!row)
        return NULL;
    for (size_t i = 0; i < n; i++)
        row[i] = -1;
    for (int r = 0; r < PQntuples(res); r++) {
        long k = strtol(PQgetvalue(res, r, 0), NULL, 10);
        if (k >= 1 && (size_t)k <= n)
            row[k - 1] = r;
    }
    return row;
}
