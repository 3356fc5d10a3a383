/* db.h - the PostgreSQL connection of a daemon, through libpq.
 *
 * Each daemon connects as its own role (bangdai_<service>) with its schema as
 * the search path, so it can touch nothing else. SQL goes only through
 * parameters (PQexecParams); nothing read from outside is pasted into text.
 * Failures are logged here with the statement's name; callers only check
 * the result.
 */
#ifndef BANGDAI_DB_H
#define BANGDAI_DB_H

#include <libpq-fe.h>
#include <stdint.h>
#include <stdbool.h>

#include "config.h"

/* Connects as role `user` (NULL: libpq's default, PGUSER) with search_path
 * set to schema (NULL: leave it). Returns the connection (caller owns,
 * PQfinish) or NULL with the reason in err. */
PGconn *db_connect(const struct config *cfg, const char *user, const char *schema,
                   char *err, size_t errlen);

/* Runs sql with n text parameters (NULL entries are SQL NULL). Returns the
 * result (caller frees with PQclear) when it is PGRES_COMMAND_OK or
 * PGRES_TUPLES_OK, else logs the error naming `what` and returns NULL. */
PGresult *db_exec(PGconn *db, const char *what, const char *sql, int n,
                  const char *const *params);

/* db_exec with per-parameter lengths and formats (NULL: all text) and the
 * result in binary (1) or text (0). Every statement run through db_exec and
 * db_exec_ext is prepared once per connection and then only executed. */
PGresult *db_exec_ext(PGconn *db, const char *what, const char *sql, int n,
                      const char *const *params, const int *lengths, const int *formats,
                      int binary_result);

/* Forgets which statements are prepared (every connection): for a
 * connection that was reset or replaced. db_ensure calls it itself. */
void db_forget_statements(void);

/* db_exec for statements whose rows are not wanted: 0 or -1. */
__attribute__((warn_unused_result))
int db_run(PGconn *db, const char *what, const char *sql, int n, const char *const *params);

/* Number of rows a command touched (from PQcmdTuples). */
int db_affected(PGresult *res);

/* BEGIN / COMMIT / ROLLBACK; 0 or -1. ROLLBACK never fails visibly. */
__attribute__((warn_unused_result)) int db_begin(PGconn *db);
__attribute__((warn_unused_result)) int db_commit(PGconn *db);
void db_rollback(PGconn *db);

/* Makes sure the connection is usable, resetting it once when it broke
 * (PostgreSQL restarted). Returns 0 when usable, -1 when not. */
int db_ensure(PGconn *db);

/* The last statement that failed in db_exec or db_run (or was passed to
 * db_note_error): its SQLSTATE ("" when the connection gave none), the
 * column and constraint PostgreSQL names, if any, and the primary message.
 * Kept until db_clear_error or the next failure. Borrowed. */
struct db_error {
    char sqlstate[6];
    char column[64];
    char constraint[64];
    char message[256];
};
const struct db_error *db_last_error(void);
void db_clear_error(void);

/* Records the error of a failed result res (may be NULL: then the
 * connection's) as the last error. */
void db_note_error(PGconn *db, const PGresult *res);

/* How many statements have failed in this process (db_exec_ext), and how
 * many times a broken connection could not be made good (db_ensure): the
 * metrics' bangdai_database_errors_total. */
uint64_t db_error_count(void);

/* Whether the last error is the data's fault and will not go away by
 * trying again: SQLSTATE class 22 (data exception: bad encoding, value out
 * of range, ...) or 23 (integrity constraint violation: a CHECK, NOT NULL,
 * unique or foreign key). A lost connection (class 08), a serialization
 * failure (40) or a shutdown (57) are not. */
bool db_error_is_data(void);

/* Text of column col of row 0, or NULL when there is no row or it is NULL.
 * Borrowed from res. */
const char *db_value(PGresult *res, int row, int col);

/* Formats names as a PostgreSQL text array literal ({"a","b",NULL}), for a
 * parameter such as $1::text[]: each element quoted, a NULL entry as SQL
 * NULL. Caller frees; NULL when out of memory. */
char *db_text_array(const char *const *names, int n);

/* The n rows of a batch as one text array literal per column, for a
 * statement's unnest($1::text[], ...) WITH ORDINALITY: cell[c * n + i] is
 * row i's column c (NULL: SQL NULL). Fills arr[0..ncols); returns 0, or -1
 * when out of memory. Either way db_arrays_free(arr, ncols) frees them. */
int db_text_arrays(const char *const *cell, size_t n, int ncols, char **arr);
void db_arrays_free(char **arr, int ncols);

/* For the n rows of such a batch, the row of res that came back for each,
 * read from the ordinality (1..n) in column 0 of res; -1 where none came
 * back (the row changed nothing). Caller frees; NULL when out of memory. */
int *db_rows_by_ordinal(const PGresult *res, size_t n);

#endif
