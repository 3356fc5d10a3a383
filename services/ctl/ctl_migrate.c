/* ctl_migrate.c - versioned migrations and the per-daemon rights.
 *
 * Each file deploy/sql/NNN_name.sql (installed: share/bangdai/sql) is applied once, in name order, inside
 * one transaction together with its row in public.bangdai_migrations, so a
 * failed migration leaves nothing half done and a second run applies
 * nothing. The migration files are ours, not input: they are sent as they
 * are. After the files, every daemon role gets rights on its own schema's
 * tables and sequences, and nothing else.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "db.h"
#include "log.h"

static const char *const schemas[] = { "intake", "router", "tracker", "delivery", "evaluation", NULL };

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = 0;
    fclose(f);
    return s;
}

static int is_migration(const struct dirent *d)
{
    size_t l = strlen(d->d_name);
    return l > 8 && d->d_name[0] >= '0' && d->d_name[0] <= '9' && strcmp(d->d_name + l - 4, ".sql") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int apply_file(PGconn *db, const char *dir, const char *name)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *sql = slurp(path);
    if (!sql) {
        fprintf(stderr, "bangdaictl: cannot read %s\n", path);
        return -1;
    }
    int rc = -1;
    if (db_begin(db) == 0) {
        PGresult *res = PQexec(db, sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            fprintf(stderr, "bangdaictl: %s: %s", name, PQresultErrorMessage(res));
        } else {
            const char *p[1] = { name };
            rc = db_run(db, "migrate.record",
                        "INSERT INTO public.bangdai_migrations (version) VALUES ($1)", 1, p);
        }
        PQclear(res);
        if (rc == 0)
            rc = db_commit(db);
        if (rc != 0)
            db_rollback(db);
    }
    free(sql);
    return rc;
}

static int grant(PGconn *db)
{
    char sql[1024];
    for (const char *const *s = schemas; *s; s++) {
        snprintf(sql, sizeof sql,
                 "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO bangdai_%s;"
                 "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO bangdai_%s", *s, *s, *s, *s);
        PGresult *res = PQexec(db, sql);
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            fprintf(stderr, "bangdaictl: grants on %s: %s", *s, PQresultErrorMessage(res));
        PQclear(res);
        if (!ok)
            return -1;
    }
    return 0;
}

/* The migrations' folder when neither --sql-dir nor BANGDAI_SQL_DIR names
 * one: run from the build tree (this program's folder is the build's
 * services/), the source tree's deploy/sql; installed, DATADIR/bangdai/sql
 * beside this program's BINDIR (so a tree installed with
 * cmake --install --prefix P finds P's SQL), else the configured install
 * path. Writes into buf (len bytes) when it builds a path; returns a
 * string the caller does not own. */
static const char *default_sql_dir(char *buf, size_t len)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return BANGDAI_SQL_DIR;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return BANGDAI_SQL_DIR;
    *slash = 0;
    if (strcmp(exe, BANGDAI_BUILD_SERVICES_DIR) == 0)
        return BANGDAI_SOURCE_SQL_DIR;
    struct stat st;
    if ((size_t)snprintf(buf, len, "%s/%s", exe, BANGDAI_SQL_DIR_FROM_BIN) < len && stat(buf, &st) == 0 &&
        S_ISDIR(st.st_mode))
        return buf;
    return BANGDAI_SQL_DIR;
}

int ctl_migrate(struct cli *cli)
{
    const char *dir = getenv("BANGDAI_SQL_DIR");
    char err[512], found[1100];
    if (!dir || !*dir)
        dir = default_sql_dir(found, sizeof found);
    if (cli->argc == 3 && strcmp(cli->argv[1], "--sql-dir") == 0)
        dir = cli->argv[2];
    else if (cli->argc != 1)
        return cli_usage_error(cli, "migrate takes only --sql-dir DIR");

    PGconn *db = db_connect(cli->cfg, NULL, NULL, err, sizeof err);
    if (!db) {
        fprintf(stderr, "bangdaictl: %s\n", err);
        return 1;
    }
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_migration, by_name), applied = 0, rc = 0;
    if (n < 0) {
        fprintf(stderr, "bangdaictl: %s: cannot read the migrations\n", dir);
        PQfinish(db);
        return 1;
    }
    PGresult *res = PQexec(db, "SET client_min_messages = warning;"
                               "CREATE TABLE IF NOT EXISTS public.bangdai_migrations ("
                               " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bangdaictl: %s", PQresultErrorMessage(res));
        rc = 1;
    }
    PQclear(res);
    for (int i = 0; i < n; i++) {
        if (rc == 0) {
            const char *p[1] = { names[i]->d_name };
            res = db_exec(db, "migrate.applied", "SELECT 1 FROM public.bangdai_migrations WHERE version = $1", 1, p);
            if (!res) {
                rc = 1;
            } else if (PQntuples(res) == 0) {
                if (apply_file(db, dir, names[i]->d_name) == 0) {
                    printf("applied %s\n", names[i]->d_name);
                    applied++;
                } else {
                    rc = 1;
                }
            }
            PQclear(res);
        }
        free(names[i]);
    }
    free(names);
    if (rc == 0 && grant(db) != 0)
        rc = 1;
    if (rc == 0)
        printf("%d migration%s applied (from %s); the database is up to date\n", applied, applied == 1 ? "" : "s",
               dir);
    PQfinish(db);
    return rc;
}

int ctl_links(struct cli *cli)
{
    char err[512], sql[512];
    PGconn *db = db_connect(cli->cfg, NULL, NULL, err, sizeof err);
    if (!db) {
        fprintf(stderr, "bangdaictl: %s\n", err);
        return 1;
    }
    printf("%-11s %10s %12s %8s\n", "DAEMON", "UNACKED", "OLDEST_S", "REFUSED");
    int rc = 0;
    for (const char *const *s = schemas; *s && rc == 0; s++) {
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FILTER (WHERE acked_at IS NULL),"
                 " coalesce(extract(epoch from now() - min(created_at) FILTER (WHERE acked_at IS NULL))::bigint, 0),"
                 " count(*) FILTER (WHERE error IS NOT NULL) FROM %s.outbox", *s);
        PGresult *res = db_exec(db, "ctl.links", sql, 0, NULL);
        if (!res) {
            rc = 1;
            break;
        }
        printf("%-11s %10s %12s %8s\n", *s, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
        PQclear(res);
    }
    PQfinish(db);
    return rc;
}
