/* forecast.c - the stage arithmetic of a case's expected completion; see
 * forecast.h for the rule. */
#include <string.h>

#include "forecast.h"

/* The stages in the order a project goes through them (config.c has the
 * same four codes with their names). */
static const char *const stage_order[] = { "land", "works", "construction", "completion" };
enum { N_STAGES = sizeof stage_order / sizeof stage_order[0] };

static int stage_index(const char *stage)
{
    for (int i = 0; stage && i < N_STAGES; i++)
        if (strcmp(stage_order[i], stage) == 0)
            return i;
    return -1;
}

int forecast_days(const struct forecast_item *items, size_t n, int *typical, int *late,
                  int *from_history)
{
    int longest[N_STAGES] = { 0 }, longest_late[N_STAGES] = { 0 }, used = 0;
    for (size_t i = 0; i < n; i++) {
        const struct forecast_item *it = &items[i];
        int s = stage_index(it->stage);
        if (s < 0 || it->promised_days < 0 || it->history_n < 0)
            return -1;
        int d = it->promised_days, dl = it->promised_days;
        if (it->history_n >= FORECAST_MIN_HISTORY) {
            if (it->history_median < 0 || it->history_p90 < it->history_median)
                return -1;
            d = it->history_median;
            dl = it->history_p90;
            used++;
        }
        if (d > longest[s])
            longest[s] = d;
        if (dl > longest_late[s])
            longest_late[s] = dl;
    }
    int sum = 0, sum_late = 0;
    for (int s = 0; s < N_STAGES; s++) {
        sum += longest[s];
        sum_late += longest_late[s];
    }
    *typical = sum;
    *late = sum_late;
    if (from_history)
        *from_history = used;
    return 0;
}

int forecast_workdays_taken(const struct calendar *cal, bd_day start, bd_day end, int *n,
                            int *missing_year)
{
    if (missing_year)
        *missing_year = 0;
    if (end < start)
        return -1;
    /* Day 0: the first working day on or after start; then each working
     * day after it up to end counts one. */
    int count = -1;
    for (bd_day d = start; d <= end; d++) {
        int w = calendar_is_workday(cal, d);
        if (w < 0) {
            if (missing_year)
                date_to_ymd(d, missing_year, NULL, NULL);
            return -1;
        }
        count += w;
    }
    *n = count < 0 ? 0 : count;
    return 0;
}
