/* ctl_report.c - bangdaictl report assessment | bready | summary.
 *
 * Every figure is computed from the stored events of the period, read by
 * SQL in one read-only transaction as the database owner (as `links` does):
 * the decisions in router.task_history, the deadlines and pauses of the
 * tracker, the cases of intake, the handovers and fees of delivery, the
 * ratings, rectifications and return visits of evaluation. Nothing is
 * counted on the side, so a report of a past period made again gives the
 * same numbers. The arithmetic is in ctl_report_calc.c, the formats in
 * ctl_report_out.c; this file reads the rows and groups them.
 *
 * The rules, one place each:
 *   - A task belongs to the period by the China date of its first APPROVED
 *     or REJECTED move (its result); only item tasks count.
 *   - On time: the result on or before tracker.deadlines.due_on, which is
 *     the promised limit plus the paused working days (net of pauses).
 *   - Elapsed days: from the case's submitted_at to the result, net of the
 *     task's pauses (report_elapsed).
 *   - Ratings, 差评, return visits and fees belong to the period by the China
 *     date of rated_at, done_at and paid_on; an excluded rating (an upheld
 *     appeal) counts nowhere. A 差评 is rectified when its rectification is
 *     in state rectified or fed_back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_report_calc.h"
#include "ctl_report_out.h"
#include "db.h"

#define MAX_PAUSES 16

struct task_fact {
    char *task, *case_no, *item, *dept, *specialist, *decision, *channel, *project, *method;
    bd_day applied, decided, due;
    bool has_due, on_time, counted;     /* counted: elapsed days known */
    int promised, events, workdays, caldays;
};

struct rating_fact {
    char *case_no, *level, *dept, *specialist, *month, *rect_state;
    bool excluded, bad, rectified;
};

struct visit_fact {
    char *case_no, *dept, *specialist;
};

struct fee_fact {
    char *case_no, *project;
    long long fen;
};

struct facts {
    struct task_fact *tasks;
    size_t n_tasks;
    struct rating_fact *ratings;
    size_t n_ratings;
    struct visit_fact *visits;
    size_t n_visits;
    struct fee_fact *fees;
    size_t n_fees;
};

/* The first APPROVED or REJECTED move of each task is its result. */
static const char sql_tasks[] =
    "WITH result AS ("
    "  SELECT DISTINCT ON (task_id) task_id, to_state, at FROM router.task_history"
    "   WHERE to_state IN ('APPROVED', 'REJECTED') ORDER BY task_id, at, id)"
    " SELECT t.task_id, t.case_no, t.item_code, t.dept, t.specialist_id, r.to_state, c.channel,"
    "  c.project_code, (c.submitted_at AT TIME ZONE 'Asia/Shanghai')::date,"
    "  (r.at AT TIME ZONE 'Asia/Shanghai')::date, d.due_on, d.promised_days,"
    "  (SELECT count(*) FROM router.task_history h WHERE h.task_id = t.task_id),"
    "  (SELECT string_agg(p.from_day || ' ' || coalesce(p.to_day, (r.at AT TIME ZONE 'Asia/Shanghai')::date + 1), ','"
    "     ORDER BY p.from_day) FROM tracker.pauses p WHERE p.task_id = t.task_id),"
    "  (SELECT hd.method FROM delivery.handovers hd WHERE hd.task_id = t.task_id)"
    " FROM router.tasks t JOIN result r ON r.task_id = t.task_id"
    " JOIN intake.cases c ON c.case_no = t.case_no"
    " LEFT JOIN tracker.deadlines d ON d.task_id = t.task_id"
    " WHERE t.kind = 'item' AND (r.at AT TIME ZONE 'Asia/Shanghai')::date >= $1::date"
    "  AND (r.at AT TIME ZONE 'Asia/Shanghai')::date < $2::date"
    " ORDER BY t.item_code COLLATE \"C\", t.task_id COLLATE \"C\"";

static const char sql_ratings[] =
    "SELECT r.case_no, r.level, r.dept, r.specialist,"
    "  to_char(r.rated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM'), r.excluded,"
    "  (SELECT x.state FROM evaluation.rectifications x WHERE x.rating_id = r.id"
    "    ORDER BY x.opened_at DESC, x.id DESC LIMIT 1)"
    " FROM evaluation.ratings r"
    " WHERE (r.rated_at AT TIME ZONE 'Asia/Shanghai')::date >= $1::date"
    "  AND (r.rated_at AT TIME ZONE 'Asia/Shanghai')::date < $2::date"
    " ORDER BY r.rated_at, r.id";

/* A return visit counts for every department and specialist that had an
 * item of the case. */
static const char sql_visits[] =
    "SELECT DISTINCT v.case_no, t.dept, t.specialist_id FROM evaluation.return_visits v"
    " JOIN router.tasks t ON t.case_no = v.case_no AND t.kind = 'item'"
    " WHERE (v.done_at AT TIME ZONE 'Asia/Shanghai')::date >= $1::date"
    "  AND (v.done_at AT TIME ZONE 'Asia/Shanghai')::date < $2::date"
    " ORDER BY 1, 2, 3";

static const char sql_fees[] =
    "SELECT f.case_no, c.project_code, f.amount_fen FROM delivery.fees f"
    " JOIN intake.cases c ON c.case_no = f.case_no"
    " WHERE f.paid_on >= $1::date AND f.paid_on < $2::date ORDER BY f.id";

static char *dup_value(PGresult *res, int row, int col)
{
    const char *v = db_value(res, row, col);
    return strdup(v ? v : "");
}

static bd_day day_value(PGresult *res, int row, int col, bool *ok)
{
    bd_day d = 0;
    const char *v = db_value(res, row, col);
    *ok = v && date_parse(v, &d) == 0;
    return d;
}

/* "from to,from to" into pauses; returns how many. */
static size_t parse_pauses(const char *text, struct report_pause *p)
{
    size_t n = 0;
    char from[11], to[11];
    while (text && *text && n < MAX_PAUSES && sscanf(text, "%10s %10s", from, to) == 2) {
        if (date_parse(from, &p[n].from) == 0 && date_parse(to, &p[n].to) == 0)
            n++;
        text = strchr(text, ',');
        if (text)
            text++;
    }
    return n;
}

static int load_tasks(PGconn *db, const struct config *cfg, const char *const *params, struct facts *f)
{
    PGresult *res = db_exec(db, "report.tasks", sql_tasks, 2, params);
    if (!res)
        return -1;
    int n = PQntuples(res);
    f->tasks = calloc((size_t)n + 1, sizeof *f->tasks);
    if (!f->tasks) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct task_fact *t = &f->tasks[f->n_tasks++];
        struct report_pause pauses[MAX_PAUSES];
        bool ok_applied, ok_decided;
        t->task = dup_value(res, i, 0);
        t->case_no = dup_value(res, i, 1);
        t->item = dup_value(res, i, 2);
        t->dept = dup_value(res, i, 3);
        t->specialist = dup_value(res, i, 4);
        t->decision = dup_value(res, i, 5);
        t->channel = dup_value(res, i, 6);
        t->project = dup_value(res, i, 7);
        t->applied = day_value(res, i, 8, &ok_applied);
        t->decided = day_value(res, i, 9, &ok_decided);
        t->due = day_value(res, i, 10, &t->has_due);
        t->promised = db_value(res, i, 11) ? atoi(db_value(res, i, 11)) : 0;
        t->events = atoi(PQgetvalue(res, i, 12));
        size_t np = parse_pauses(db_value(res, i, 13), pauses);
        t->method = dup_value(res, i, 14);
        t->on_time = t->has_due && ok_decided && t->decided <= t->due;
        t->counted = ok_applied && ok_decided
            && report_elapsed(&cfg->calendar, t->applied, t->decided, pauses, np, &t->workdays, &t->caldays) == 0;
    }
    PQclear(res);
    return 0;
}

static int load_rest(PGconn *db, const char *const *params, struct facts *f)
{
    PGresult *res = db_exec(db, "report.ratings", sql_ratings, 2, params);
    if (!res)
        return -1;
    int n = PQntuples(res);
    f->ratings = calloc((size_t)n + 1, sizeof *f->ratings);
    for (int i = 0; f->ratings && i < n; i++) {
        struct rating_fact *r = &f->ratings[f->n_ratings++];
        r->case_no = dup_value(res, i, 0);
        r->level = dup_value(res, i, 1);
        r->dept = dup_value(res, i, 2);
        r->specialist = dup_value(res, i, 3);
        r->month = dup_value(res, i, 4);
        r->excluded = strcmp(PQgetvalue(res, i, 5), "t") == 0;
        r->rect_state = dup_value(res, i, 6);
        r->bad = !r->excluded && report_level_bad(r->level);
        r->rectified = r->bad && (strcmp(r->rect_state, "rectified") == 0 || strcmp(r->rect_state, "fed_back") == 0);
    }
    PQclear(res);
    if (!f->ratings || !(res = db_exec(db, "report.visits", sql_visits, 2, params)))
        return -1;
    n = PQntuples(res);
    f->visits = calloc((size_t)n + 1, sizeof *f->visits);
    for (int i = 0; f->visits && i < n; i++) {
        struct visit_fact *v = &f->visits[f->n_visits++];
        v->case_no = dup_value(res, i, 0);
        v->dept = dup_value(res, i, 1);
        v->specialist = dup_value(res, i, 2);
    }
    PQclear(res);
    if (!f->visits || !(res = db_exec(db, "report.fees", sql_fees, 2, params)))
        return -1;
    n = PQntuples(res);
    f->fees = calloc((size_t)n + 1, sizeof *f->fees);
    for (int i = 0; f->fees && i < n; i++) {
        struct fee_fact *x = &f->fees[f->n_fees++];
        x->case_no = dup_value(res, i, 0);
        x->project = dup_value(res, i, 1);
        x->fen = atoll(PQgetvalue(res, i, 2));
    }
    PQclear(res);
    return f->fees ? 0 : -1;
}

static void facts_free(struct facts *f)
{
    for (size_t i = 0; i < f->n_tasks; i++) {
        struct task_fact *t = &f->tasks[i];
        char *s[] = { t->task, t->case_no, t->item, t->dept, t->specialist, t->decision, t->channel, t->project, t->method };
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            free(s[k]);
    }
    for (size_t i = 0; i < f->n_ratings; i++) {
        struct rating_fact *r = &f->ratings[i];
        char *s[] = { r->case_no, r->level, r->dept, r->specialist, r->month, r->rect_state };
        for (size_t k = 0; k < sizeof s / sizeof s[0]; k++)
            free(s[k]);
    }
    for (size_t i = 0; i < f->n_visits; i++) {
        free(f->visits[i].case_no);
        free(f->visits[i].dept);
        free(f->visits[i].specialist);
    }
    for (size_t i = 0; i < f->n_fees; i++) {
        free(f->fees[i].case_no);
        free(f->fees[i].project);
    }
    free(f->tasks);
    free(f->ratings);
    free(f->visits);
    free(f->fees);
    memset(f, 0, sizeof *f);
}

/* ---- grouping ---------------------------------------------------------- */

/* A sorted set of distinct strings (group keys, case numbers). */
struct strset {
    const char **v;
    size_t n, cap;
};

static bool set_has(const struct strset *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], x) == 0)
            return true;
    return false;
}

/* Adds x (borrowed) unless present or empty; returns whether it was added. */
static bool set_add(struct strset *s, const char *x)
{
    if (!x || !*x || set_has(s, x))
        return false;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 32;
        const char **v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return true;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void set_sort(struct strset *s)
{
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, by_string);
}

static void set_free(struct strset *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* NULL matches anything. */
static bool is(const char *want, const char *have)
{
    return !want || strcmp(want, have) == 0;
}

static void cell_rate(struct rtable *t, size_t part, size_t whole)
{
    if (whole)
        rtable_cell(t, "%.4f", (double)part / (double)whole);
    else
        rtable_cell(t, "%s", "");
}

/* ---- assessment -------------------------------------------------------- */

static const char assess_cols[] =
    "services# items# on_time# on_time_rate# ratings# mean_rating# bad# rectified# visits_done#";

/* The assessment figures of one department and specialist (NULL: all). */
static void assess_cells(struct rtable *t, const struct facts *f, const char *dept, const char *spec)
{
    struct strset cases = { 0 }, visited = { 0 };
    size_t items = 0, on_time = 0, ratings = 0, score = 0, bad = 0, rectified = 0;
    for (size_t i = 0; i < f->n_tasks; i++) {
        const struct task_fact *x = &f->tasks[i];
        if (is(dept, x->dept) && is(spec, x->specialist)) {
            set_add(&cases, x->case_no);
            items++;
            on_time += x->on_time;
        }
    }
    for (size_t i = 0; i < f->n_ratings; i++) {
        const struct rating_fact *r = &f->ratings[i];
        if (r->excluded || !is(dept, r->dept) || !is(spec, r->specialist))
            continue;
        ratings++;
        score += (size_t)report_level_score(r->level);
        bad += r->bad;
        rectified += r->rectified;
    }
    for (size_t i = 0; i < f->n_visits; i++)
        if (is(dept, f->visits[i].dept) && is(spec, f->visits[i].specialist))
            set_add(&visited, f->visits[i].case_no);
    rtable_cell(t, "%zu", cases.n);
    rtable_cell(t, "%zu", items);
    rtable_cell(t, "%zu", on_time);
    cell_rate(t, on_time, items);
    rtable_cell(t, "%zu", ratings);
    if (ratings)
        rtable_cell(t, "%.2f", (double)score / (double)ratings);
    else
        rtable_cell(t, "%s", "");
    rtable_cell(t, "%zu", bad);
    rtable_cell(t, "%zu", rectified);
    rtable_cell(t, "%zu", visited.n);
    set_free(&cases);
    set_free(&visited);
}

/* "dept specialist" keys of everyone with a task, a rating or a visit. */
static void people(const struct facts *f, struct strset *depts, struct strset *pairs, char ***owned, size_t *n_owned)
{
    size_t cap = f->n_tasks + f->n_ratings + f->n_visits + 1;
    char **keys = calloc(cap, sizeof *keys);
    size_t n = 0;
    for (size_t i = 0; keys && i < cap - 1; i++) {
        const char *d, *s;
        if (i < f->n_tasks) {
            d = f->tasks[i].dept;
            s = f->tasks[i].specialist;
        } else if (i < f->n_tasks + f->n_ratings) {
            d = f->ratings[i - f->n_tasks].dept;
            s = f->ratings[i - f->n_tasks].specialist;
        } else {
            d = f->visits[i - f->n_tasks - f->n_ratings].dept;
            s = f->visits[i - f->n_tasks - f->n_ratings].specialist;
        }
        set_add(depts, d);
        if (*d && *s && asprintf(&keys[n], "%s %s", d, s) > 0 && !set_add(pairs, keys[n]))
            free(keys[n]);
        else if (*d && *s)
            n++;
    }
    set_sort(depts);
    set_sort(pairs);
    *owned = keys;
    *n_owned = n;
}

static int chart_tables(struct report *r, const struct facts *f, const struct config *cfg);

static int report_assessment(struct report *r, const struct facts *f, const struct config *cfg)
{
    struct strset depts = { 0 }, pairs = { 0 };
    char **keys = NULL, cols[256];
    size_t n_keys = 0;
    people(f, &depts, &pairs, &keys, &n_keys);
    snprintf(cols, sizeof cols, "dept specialist %s", assess_cols);
    struct rtable *ts = report_table(r, "specialists", "Per specialist", false, cols);
    snprintf(cols, sizeof cols, "dept %s", assess_cols);
    struct rtable *td = report_table(r, "departments", "Per department", false, cols);
    struct rtable *tt = report_table(r, "total", "All departments", false, assess_cols);
    int rc = ts && td && tt ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < pairs.n; i++) {
        char d[64], s[64];
        if (sscanf(pairs.v[i], "%63s %63s", d, s) != 2 || (rc = rtable_row(ts)) != 0)
            continue;
        rtable_cell(ts, "%s", d);
        rtable_cell(ts, "%s", s);
        assess_cells(ts, f, d, s);
    }
    for (size_t i = 0; rc == 0 && i < depts.n; i++) {
        if ((rc = rtable_row(td)) != 0)
            break;
        rtable_cell(td, "%s", depts.v[i]);
        assess_cells(td, f, depts.v[i], NULL);
    }
    if (rc == 0 && (rc = rtable_row(tt)) == 0)
        assess_cells(tt, f, NULL, NULL);
    for (size_t i = 0; i < n_keys; i++)
        free(keys[i]);
    free(keys);
    set_free(&depts);
    set_free(&pairs);
    return rc == 0 ? chart_tables(r, f, cfg) : rc;
}

/* ---- elapsed days (bready) --------------------------------------------- */

/* The median and 90th percentile of working and of calendar days of the
 * tasks matching item, dept and stage (NULL: any), into four cells. */
static size_t elapsed_cells(struct rtable *t, const struct facts *f, const struct config *cfg,
                            const char *item, const char *dept, const char *stage)
{
    double *wd = calloc(f->n_tasks + 1, sizeof *wd), *cd = calloc(f->n_tasks + 1, sizeof *cd);
    size_t n = 0;
    for (size_t i = 0; wd && cd && i < f->n_tasks; i++) {
        const struct task_fact *x = &f->tasks[i];
        const struct cfg_item *ci = config_item(cfg, x->item);
        if (!x->counted || !is(item, x->item) || !is(dept, x->dept) || !is(stage, ci ? ci->stage : ""))
            continue;
        wd[n] = x->workdays;
        cd[n++] = x->caldays;
    }
    report_sort(wd, n);
    report_sort(cd, n);
    double v[4] = { report_percentile(wd, n, 0.5), report_percentile(wd, n, 0.9),
                    report_percentile(cd, n, 0.5), report_percentile(cd, n, 0.9) };
    for (int k = 0; k < 4; k++)
        if (n)
            rtable_cell(t, "%.2f", v[k]);
        else
            rtable_cell(t, "%s", "");
    free(wd);
    free(cd);
    return n;
}

static void count_tasks(const struct facts *f, const struct config *cfg, const char *item, const char *dept,
                        const char *stage, size_t *n, size_t *on_time)
{
    *n = *on_time = 0;
    for (size_t i = 0; i < f->n_tasks; i++) {
        const struct config *c = cfg;
        const struct cfg_item *ci = config_item(c, f->tasks[i].item);
        if (is(item, f->tasks[i].item) && is(dept, f->tasks[i].dept) && is(stage, ci ? ci->stage : "")) {
            (*n)++;
            *on_time += f->tasks[i].on_time;
        }
    }
}

static const char elapsed_cols[] = "tasks# on_time_rate# wd_median# wd_p90# cd_median# cd_p90#";

static void group_row(struct rtable *t, const struct facts *f, const struct config *cfg,
                      const char *item, const char *dept, const char *stage)
{
    size_t n, on_time;
    count_tasks(f, cfg, item, dept, stage, &n, &on_time);
    rtable_cell(t, "%zu", n);
    cell_rate(t, on_time, n);
    elapsed_cells(t, f, cfg, item, dept, stage);
}

static long long fees_of(const struct facts *f, const char *project, size_t *count)
{
    long long fen = 0;
    *count = 0;
    for (size_t i = 0; i < f->n_fees; i++)
        if (is(project, f->fees[i].project)) {
            fen += f->fees[i].fen;
            (*count)++;
        }
    return fen;
}

static int report_bready(struct report *r, const struct facts *f, const struct config *cfg)
{
    struct strset items = { 0 }, depts = { 0 }, stages = { 0 }, cases = { 0 }, projects = { 0 };
    char cols[256];
    size_t online = 0, delivered = 0, e_licence = 0, on_time = 0, events = 0, count;
    for (size_t i = 0; i < f->n_tasks; i++) {
        const struct task_fact *x = &f->tasks[i];
        const struct cfg_item *ci = config_item(cfg, x->item);
        set_add(&items, x->item);
        set_add(&depts, x->dept);
        set_add(&stages, ci ? ci->stage : "");
        set_add(&projects, x->project);
        if (set_add(&cases, x->case_no))
            online += strcmp(x->channel, "online") == 0;
        delivered += *x->method != 0;
        e_licence += strcmp(x->method, "e_licence") == 0;
        on_time += x->on_time;
        events += (size_t)x->events;
    }
    set_sort(&items);
    set_sort(&depts);
    set_sort(&stages);
    set_sort(&projects);

    int rc = -1;
    struct rtable *tf = report_table(r, "figures", "B-READY figures", false,
        "cases# projects# items# procedures_per_project# interactions_per_project# share_online#"
        " share_e_licence# share_on_time# fees# fees_yuan#");
    snprintf(cols, sizeof cols, "item stage dept promised_days# %s", elapsed_cols);
    struct rtable *ti = report_table(r, "items", "Per item: days from application to result, net of pauses", false, cols);
    snprintf(cols, sizeof cols, "dept %s", elapsed_cols);
    struct rtable *td = report_table(r, "departments", "Per department", false, cols);
    snprintf(cols, sizeof cols, "stage %s", elapsed_cols);
    struct rtable *tg = report_table(r, "stages", "Per stage", false, cols);
    struct rtable *tp = report_table(r, "projects", "Per project", false,
                                     "project cases# procedures# interactions# fees# fees_yuan#");
    if (!tf || !ti || !td || !tg || !tp || rtable_row(tf) != 0)
        goto out;
    long long fen = fees_of(f, NULL, &count);
    rtable_cell(tf, "%zu", cases.n);
    rtable_cell(tf, "%zu", projects.n);
    rtable_cell(tf, "%zu", f->n_tasks);
    if (projects.n) {
        rtable_cell(tf, "%.2f", (double)f->n_tasks / (double)projects.n);
        rtable_cell(tf, "%.2f", (double)events / (double)projects.n);
    } else {
        rtable_cell(tf, "%s", "");
        rtable_cell(tf, "%s", "");
    }
    cell_rate(tf, online, cases.n);
    cell_rate(tf, e_licence, delivered);
    cell_rate(tf, on_time, f->n_tasks);
    rtable_cell(tf, "%zu", count);
    rtable_cell(tf, "%lld.%02lld", fen / 100, fen % 100);
    for (size_t i = 0; i < items.n; i++) {
        const struct cfg_item *ci = config_item(cfg, items.v[i]);
        if (rtable_row(ti) != 0)
            goto out;
        rtable_cell(ti, "%s", items.v[i]);
        rtable_cell(ti, "%s", ci ? ci->stage : "");
        rtable_cell(ti, "%s", ci ? ci->dept : "");
        rtable_cell(ti, "%d", ci ? ci->promised_days : 0);
        group_row(ti, f, cfg, items.v[i], NULL, NULL);
    }
    for (size_t i = 0; i < depts.n; i++) {
        if (rtable_row(td) != 0)
            goto out;
        rtable_cell(td, "%s", depts.v[i]);
        group_row(td, f, cfg, NULL, depts.v[i], NULL);
    }
    for (size_t i = 0; i < stages.n; i++) {
        if (rtable_row(tg) != 0)
            goto out;
        rtable_cell(tg, "%s", stages.v[i]);
        group_row(tg, f, cfg, NULL, NULL, stages.v[i]);
    }
    for (size_t i = 0; i < projects.n; i++) {
        struct strset pc = { 0 };
        size_t procs = 0, ev = 0;
        for (size_t k = 0; k < f->n_tasks; k++)
            if (strcmp(f->tasks[k].project, projects.v[i]) == 0) {
                set_add(&pc, f->tasks[k].case_no);
                procs++;
                ev += (size_t)f->tasks[k].events;
            }
        long long pf = fees_of(f, projects.v[i], &count);
        if (rtable_row(tp) != 0) {
            set_free(&pc);
            goto out;
        }
        rtable_cell(tp, "%s", projects.v[i]);
        rtable_cell(tp, "%zu", pc.n);
        rtable_cell(tp, "%zu", procs);
        rtable_cell(tp, "%zu", ev);
        rtable_cell(tp, "%zu", count);
        rtable_cell(tp, "%lld.%02lld", pf / 100, pf % 100);
        set_free(&pc);
    }
    rc = chart_tables(r, f, cfg);
out:
    set_free(&items);
    set_free(&depts);
    set_free(&stages);
    set_free(&cases);
    set_free(&projects);
    return rc;
}

/* ---- the charts' data, in every report ---------------------------------- */

static const char *const level_names[] = { "非常满意", "满意", "基本满意", "不满意", "非常不满意" };

static int chart_tables(struct report *r, const struct facts *f, const struct config *cfg)
{
    struct strset depts = { 0 }, months = { 0 };
    struct rtable *to = report_table(r, "chart_on_time", "On-time rate per department", true,
                                     "dept items# on_time# on_time_rate#");
    struct rtable *tw = report_table(r, "chart_workdays",
                                     "Working days per item against the promised limit (red line)", true,
                                     "item limit# task workdays#");
    struct rtable *tr = report_table(r, "chart_ratings", "Ratings per month", true, "month level score# count#");
    int rc = to && tw && tr ? 0 : -1;
    for (size_t i = 0; i < f->n_tasks; i++)
        set_add(&depts, f->tasks[i].dept);
    set_sort(&depts);
    for (size_t i = 0; rc == 0 && i < depts.n; i++) {
        size_t n, on_time;
        count_tasks(f, cfg, NULL, depts.v[i], NULL, &n, &on_time);
        if ((rc = rtable_row(to)) != 0)
            break;
        rtable_cell(to, "%s", depts.v[i]);
        rtable_cell(to, "%zu", n);
        rtable_cell(to, "%zu", on_time);
        cell_rate(to, on_time, n);
    }
    /* The tasks come ordered by item and task id. */
    for (size_t i = 0; rc == 0 && i < f->n_tasks; i++) {
        const struct task_fact *x = &f->tasks[i];
        const struct cfg_item *ci = config_item(cfg, x->item);
        if (!x->counted)
            continue;
        if ((rc = rtable_row(tw)) != 0)
            break;
        rtable_cell(tw, "%s", x->item);
        rtable_cell(tw, "%d", ci ? ci->promised_days : x->promised);
        rtable_cell(tw, "%s", x->task);
        rtable_cell(tw, "%d", x->workdays);
    }
    for (size_t i = 0; i < f->n_ratings; i++)
        set_add(&months, f->ratings[i].month);
    set_sort(&months);
    for (size_t m = 0; rc == 0 && m < months.n; m++)
        for (int l = 0; rc == 0 && l < 5; l++) {
            size_t count = 0;
            for (size_t i = 0; i < f->n_ratings; i++)
                count += !f->ratings[i].excluded && strcmp(f->ratings[i].month, months.v[m]) == 0
                    && strcmp(f->ratings[i].level, level_names[l]) == 0;
            if ((rc = rtable_row(tr)) != 0)
                break;
            rtable_cell(tr, "%s", months.v[m]);
            rtable_cell(tr, "%s", level_names[l]);
            rtable_cell(tr, "%d", 5 - l);
            rtable_cell(tr, "%zu", count);
        }
    set_free(&depts);
    set_free(&months);
    return rc;
}

/* ---- summary ----------------------------------------------------------- */

static const char sql_submitted[] =
    "SELECT count(*), count(*) FILTER (WHERE channel = 'online'), count(*) FILTER (WHERE channel = 'hall')"
    " FROM intake.cases WHERE (submitted_at AT TIME ZONE 'Asia/Shanghai')::date >= $1::date"
    "  AND (submitted_at AT TIME ZONE 'Asia/Shanghai')::date < $2::date";

static const char sql_reminders[] =
    "SELECT kind, level, count(*), count(DISTINCT task_id) FROM tracker.reminders"
    " WHERE kind IN ('overdue', 'escalation') AND day >= $1::date AND day < $2::date"
    " GROUP BY kind, level ORDER BY kind, level";

static int summary_volumes(struct report *r, PGconn *db, const char *const *params, const struct facts *f)
{
    struct rtable *t = report_table(r, "volumes", "Volumes", false,
        "cases_submitted# online# hall# items_decided# approved# rejected# on_time# late# ratings# bad#");
    PGresult *res = t ? db_exec(db, "report.submitted", sql_submitted, 2, params) : NULL;
    if (!res || rtable_row(t) != 0) {
        PQclear(res);
        return -1;
    }
    size_t approved = 0, on_time = 0, ratings = 0, bad = 0;
    for (size_t i = 0; i < f->n_tasks; i++) {
        approved += strcmp(f->tasks[i].decision, "APPROVED") == 0;
        on_time += f->tasks[i].on_time;
    }
    for (size_t i = 0; i < f->n_ratings; i++) {
        ratings += !f->ratings[i].excluded;
        bad += f->ratings[i].bad;
    }
    for (int c = 0; c < 3; c++)
        rtable_cell(t, "%s", PQgetvalue(res, 0, c));
    PQclear(res);
    rtable_cell(t, "%zu", f->n_tasks);
    rtable_cell(t, "%zu", approved);
    rtable_cell(t, "%zu", f->n_tasks - approved);
    rtable_cell(t, "%zu", on_time);
    rtable_cell(t, "%zu", f->n_tasks - on_time);
    rtable_cell(t, "%zu", ratings);
    rtable_cell(t, "%zu", bad);
    return 0;
}

static int summary_reminders(struct report *r, PGconn *db, const char *const *params)
{
    struct rtable *t = report_table(r, "reminders", "Overdue reminders and escalations", false,
                                    "kind level reminders# tasks#");
    PGresult *res = t ? db_exec(db, "report.reminders", sql_reminders, 2, params) : NULL;
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        if ((rc = rtable_row(t)) != 0)
            break;
        for (int c = 0; c < 4; c++)
            rtable_cell(t, "%s", PQgetvalue(res, i, c));
    }
    PQclear(res);
    return rc;
}

/* The 差评 of the period, with the state their rectification has reached. */
static int summary_bad(struct report *r, const struct facts *f)
{
    struct rtable *t = report_table(r, "bad_ratings", "差评 and their rectification", false,
                                    "case_no dept specialist level rectification");
    int rc = t ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < f->n_ratings; i++) {
        const struct rating_fact *x = &f->ratings[i];
        if (!x->bad || (rc = rtable_row(t)) != 0)
            continue;
        rtable_cell(t, "%s", x->case_no);
        rtable_cell(t, "%s", x->dept);
        rtable_cell(t, "%s", x->specialist);
        rtable_cell(t, "%s", x->level);
        rtable_cell(t, "%s", *x->rect_state ? x->rect_state : "none");
    }
    return rc;
}

struct ranked {
    double key;
    size_t index;
    const char *name;
};

static int by_rank(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;        /* larger first */
    return strcmp(x->name, y->name);
}

#define SUMMARY_TOP 5

/* The slowest items (by median working days) and the tasks furthest past
 * their promised limit. */
static int summary_slowest(struct report *r, const struct facts *f, const struct config *cfg)
{
    struct strset items = { 0 };
    for (size_t i = 0; i < f->n_tasks; i++)
        set_add(&items, f->tasks[i].item);
    struct ranked *rk = calloc(items.n + f->n_tasks + 1, sizeof *rk);
    struct rtable *ts = report_table(r, "slowest_items", "The slowest items (median working days)", false,
                                     "item dept promised_days# tasks# wd_median# on_time_rate#");
    struct rtable *tn = report_table(r, "notable", "Notable cases: furthest past the promised limit", false,
                                     "case_no task item dept workdays# promised_days# over#");
    int rc = rk && ts && tn ? 0 : -1;
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < items.n; i++) {
        double *wd = calloc(f->n_tasks + 1, sizeof *wd);
        size_t k = 0;
        for (size_t j = 0; wd && j < f->n_tasks; j++)
            if (f->tasks[j].counted && strcmp(f->tasks[j].item, items.v[i]) == 0)
                wd[k++] = f->tasks[j].workdays;
        report_sort(wd, k);
        if (k)
            rk[n++] = (struct ranked){ report_percentile(wd, k, 0.5), i, items.v[i] };
        free(wd);
    }
    qsort(rk, n, sizeof *rk, by_rank);
    for (size_t i = 0; rc == 0 && i < n && i < SUMMARY_TOP; i++) {
        const struct cfg_item *ci = config_item(cfg, rk[i].name);
        size_t count, on_time;
        count_tasks(f, cfg, rk[i].name, NULL, NULL, &count, &on_time);
        if ((rc = rtable_row(ts)) != 0)
            break;
        rtable_cell(ts, "%s", rk[i].name);
        rtable_cell(ts, "%s", ci ? ci->dept : "");
        rtable_cell(ts, "%d", ci ? ci->promised_days : 0);
        rtable_cell(ts, "%zu", count);
        rtable_cell(ts, "%.2f", rk[i].key);
        cell_rate(ts, on_time, count);
    }
    n = 0;
    for (size_t j = 0; rc == 0 && j < f->n_tasks; j++) {
        const struct task_fact *x = &f->tasks[j];
        const struct cfg_item *ci = config_item(cfg, x->item);
        int limit = ci ? ci->promised_days : x->promised;
        if (x->counted && x->workdays > limit)
            rk[n++] = (struct ranked){ x->workdays - limit, j, x->task };
    }
    qsort(rk, n, sizeof *rk, by_rank);
    for (size_t i = 0; rc == 0 && i < n && i < SUMMARY_TOP; i++) {
        const struct task_fact *x = &f->tasks[rk[i].index];
        if ((rc = rtable_row(tn)) != 0)
            break;
        rtable_cell(tn, "%s", x->case_no);
        rtable_cell(tn, "%s", x->task);
        rtable_cell(tn, "%s", x->item);
        rtable_cell(tn, "%s", x->dept);
        rtable_cell(tn, "%d", x->workdays);
        rtable_cell(tn, "%d", x->workdays - (int)rk[i].key);
        rtable_cell(tn, "%d", (int)rk[i].key);
    }
    free(rk);
    set_free(&items);
    return rc;
}

static int report_summary(struct report *r, PGconn *db, const char *const *params,
                          const struct facts *f, const struct config *cfg)
{
    r->notes[r->n_notes++] = "The periodic experience summary for the special-group office: what came in, "
                             "what was late or escalated, the 差评 and their rectification, the slowest items "
                             "and the cases furthest past their promised limit.";
    if (summary_volumes(r, db, params, f) != 0 || summary_reminders(r, db, params) != 0
        || summary_bad(r, f) != 0 || summary_slowest(r, f, cfg) != 0)
        return -1;
    return chart_tables(r, f, cfg);
}

/* ---- the command -------------------------------------------------------- */

int ctl_report(struct cli *cli)
{
    /* report KIND --period P [--format F] */
    const char *kind = cli->argc >= 2 ? cli->argv[1] : "", *period = NULL, *format = NULL;
    for (int i = 2; i + 1 < cli->argc; i += 2) {
        if (strcmp(cli->argv[i], "--period") == 0)
            period = cli->argv[i + 1];
        else if (strcmp(cli->argv[i], "--format") == 0)
            format = cli->argv[i + 1];
        else
            return cli_usage_error(cli, "report: unknown option '%s'", cli->argv[i]);
    }
    bool summary = strcmp(kind, "summary") == 0;
    if (cli->argc % 2 != 0 || !period || (!summary && strcmp(kind, "assessment") != 0 && strcmp(kind, "bready") != 0))
        return cli_usage_error(cli, "report takes assessment|bready|summary --period P [--format F]");
    if (!format)
        format = summary ? "md" : "table";
    if (summary && strcmp(format, "table") == 0)
        format = "md";                  /* the summary is Markdown */
    if (strcmp(format, "table") != 0 && strcmp(format, "md") != 0 && strcmp(format, "csv") != 0
        && strcmp(format, "json") != 0 && strcmp(format, "html") != 0)
        return cli_usage_error(cli, "report: --format is table, csv, json or html, not '%s'", format);
    struct report_period p;
    if (report_period_parse(period, &p) != 0)
        return cli_usage_error(cli, "report: --period is YYYY-Qn, YYYY-MM or YYYY, not '%s'", period);

    char err[512], first[11], end[11];
    PGconn *db = db_connect(cli->cfg, NULL, NULL, err, sizeof err);
    if (!db) {
        fprintf(stderr, "bangdaictl: %s\n", err);
        return 1;
    }
    /* One snapshot for every statement, and nothing written. */
    PGresult *res = PQexec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    date_format(p.first, first);
    date_format(p.end, end);
    const char *params[2] = { first, end };
    struct facts f = { 0 };
    struct report r = { .kind = summary ? "summary" : kind };
    snprintf(r.period, sizeof r.period, "%s", p.label);
    snprintf(r.first, sizeof r.first, "%s", first);
    date_format(p.end - 1, r.last);
    int rc = ok && load_tasks(db, cli->cfg, params, &f) == 0 && load_rest(db, params, &f) == 0 ? 0 : -1;
    if (rc == 0) {
        if (summary)
            rc = report_summary(&r, db, params, &f, cli->cfg);
        else if (strcmp(kind, "assessment") == 0)
            rc = report_assessment(&r, &f, cli->cfg);
        else
            rc = report_bready(&r, &f, cli->cfg);
    }
    if (rc == 0)
        rc = report_write(&r, format, stdout);
    else
        fprintf(stderr, "bangdaictl: report %s %s: could not read the figures (see the log)\n", kind, period);
    db_rollback(db);
    report_clear(&r);
    facts_free(&f);
    PQfinish(db);
    return rc == 0 ? 0 : 1;
}
