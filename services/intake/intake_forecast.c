/* intake_forecast.c - the expected completion a unit is given when it
 * applies, and the history it is counted from (common/forecast.h has the
 * rule).
 *
 * The history is intake's own: each item task's start and decision as the
 * Progress reports tell them (item_clock), so that a submit is answered
 * without asking another daemon. Start: the day of 受理 (ACCEPTED_ONSITE)
 * when reported, else the task's first report (its assignment); end: the day
 * it was APPROVED or REJECTED. The working days between are counted with
 * the calendar's rule, paused spans included: the time the unit actually
 * waited. Only the last HISTORY_WINDOW decisions of an item count, so the
 * figure follows the county as it gets faster (or slower).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "forecast.h"
#include "intake.h"
#include "log.h"

#define HISTORY_WINDOW 200

int intake_forecast(struct service *svc, char *const *items, size_t n, const char *items_literal,
                    struct intake_expected *out)
{
    const struct config *cfg = service_config(svc);
    char window[16];
    snprintf(window, sizeof window, "%d", HISTORY_WINDOW);
    const char *p[2] = { items_literal, window };
    memset(out, 0, sizeof *out);
    PGresult *res = db_exec(service_db(svc), "intake.item_history",
        "SELECT i.code, count(h.workdays),"
        " coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY h.workdays), 0),"
        " coalesce(percentile_disc(0.9) WITHIN GROUP (ORDER BY h.workdays), 0)"
        " FROM unnest($1::text[]) AS i(code)"
        " LEFT JOIN LATERAL (SELECT workdays FROM item_clock"
        "   WHERE item_code = i.code AND workdays IS NOT NULL"
        "   ORDER BY decided_on DESC LIMIT $2::int) h ON true"
        " GROUP BY i.code", 2, p);
    if (!res)
        return SERVICE_RETRY;
    struct forecast_item *fi = calloc(n ? n : 1, sizeof *fi);
    if (!fi) {
        PQclear(res);
        return SERVICE_RETRY;
    }
    for (size_t i = 0; i < n; i++) {
        /* Checked against the catalog before: an item is always found. */
        const struct cfg_item *it = config_item(cfg, items[i]);
        fi[i] = (struct forecast_item){ it ? it->stage : NULL, it ? it->promised_days : 0, 0, 0, 0 };
        for (int r = 0; r < PQntuples(res); r++)
            if (strcmp(PQgetvalue(res, r, 0), items[i]) == 0) {
                fi[i].history_n = atoi(PQgetvalue(res, r, 1));
                fi[i].history_median = atoi(PQgetvalue(res, r, 2));
                fi[i].history_p90 = atoi(PQgetvalue(res, r, 3));
            }
    }
    PQclear(res);
    int typical, late, used;
    int rc = forecast_days(fi, n, &typical, &late, &used);
    free(fi);
    if (rc != 0) {
        log_error("forecast.failed", .detail = "an item of the catalog has no stage the forecast knows");
        snprintf(out->basis, sizeof out->basis, "no forecast: the catalog's stages are unknown");
        return SERVICE_OK;
    }
    if (used == 0)
        snprintf(out->basis, sizeof out->basis, "catalog promised days by stage");
    else if ((size_t)used == n)
        snprintf(out->basis, sizeof out->basis, "county history by stage: median working days "
                 "(latest: 90th percentile)");
    else
        snprintf(out->basis, sizeof out->basis, "county history for %d of %zu items (median; latest: "
                 "90th percentile), catalog promised days for the rest, by stage", used, n);

    bd_day today = date_from_unix_us(business_now_us()), due;
    int missing = 0;
    if (calendar_add_workdays(&cfg->calendar, today, typical, &due, NULL, &missing) == 0)
        date_format(due, out->completion);
    else
        out->pending_year = missing ? missing : -1;
    if (!out->pending_year && calendar_add_workdays(&cfg->calendar, today, late, &due, NULL, NULL) == 0)
        date_format(due, out->latest);
    if (out->pending_year < 0) {
        /* Past the last day number: no calendar could count it. */
        out->pending_year = 0;
        snprintf(out->basis, sizeof out->basis, "no forecast: %d working days cannot be counted", typical);
    }
    return SERVICE_OK;
}

int intake_item_decided(struct service *svc, const Bangdai__Progress *p, const char *started, const char *on)
{
    bd_day start, end;
    if (date_parse(started, &start) != 0 || date_parse(on, &end) != 0)
        return SERVICE_OK;
    int n = 0, missing = 0;
    char days[16];
    bool counted = forecast_workdays_taken(&service_config(svc)->calendar, start, end, &n, &missing) == 0;
    snprintf(days, sizeof days, "%d", n);
    const char *dp[3] = { p->task_id, on, counted ? days : NULL };
    if (db_run(service_db(svc), "intake.item_decided",
               "UPDATE item_clock SET decided_on = $2::date, workdays = $3::int WHERE task_id = $1", 3, dp))
        return SERVICE_RETRY;
    if (!counted && missing)
        log_warn("forecast.not_counted", .case_no = p->case_no, .task = p->task_id,
                 .detail = log_fmt("the working days %s took need the %d calendar; left out of the history",
                                   p->item_code, missing));
    else if (!counted)
        log_warn("forecast.not_counted", .case_no = p->case_no, .task = p->task_id,
                 .detail = log_fmt("%s decided on %s, before its start: left out of the history",
                                   p->item_code, on));
    return SERVICE_OK;
}
