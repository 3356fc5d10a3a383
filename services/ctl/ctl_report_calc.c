/* ctl_report_calc.c - the reports' arithmetic: periods, percentiles, rating
 * scores, elapsed days net of pauses (see ctl_report_calc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_report_calc.h"

/* Reads exactly len decimal digits at s into *out. */
static bool digits(const char *s, size_t len, int *out)
{
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int report_period_parse(const char *text, struct report_period *out)
{
    size_t len = text ? strlen(text) : 0;
    int year, n, first_month, months;
    if (len < 4 || !digits(text, 4, &year) || year < 1970 || year > 9999)
        return -1;
    if (len == 4) {
        first_month = 1;
        months = 12;
    } else if (len == 7 && text[4] == '-' && text[5] == 'Q' && digits(text + 6, 1, &n) && n >= 1 && n <= 4) {
        first_month = 3 * (n - 1) + 1;
        months = 3;
    } else if (len == 7 && text[4] == '-' && digits(text + 5, 2, &n) && n >= 1 && n <= 12) {
        first_month = n;
        months = 1;
    } else {
        return -1;
    }
    int last = first_month + months;         /* the month after the period, maybe 13 */
    snprintf(out->label, sizeof out->label, "%s", text);
    out->first = date_from_ymd(year, first_month, 1);
    out->end = last > 12 ? date_from_ymd(year + 1, 1, 1) : date_from_ymd(year, last, 1);
    return 0;
}

double report_percentile(const double *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    if (p <= 0)
        return sorted[0];
    if (p >= 1)
        return sorted[n - 1];
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)h;
    if (lo + 1 >= n)
        return sorted[n - 1];
    return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void report_sort(double *values, size_t n)
{
    if (n > 1)
        qsort(values, n, sizeof *values, by_value);
}

static const char *const levels[] = { "非常不满意", "不满意", "基本满意", "满意", "非常满意" };

int report_level_score(const char *level)
{
    for (int i = 0; level && i < 5; i++)
        if (strcmp(level, levels[i]) == 0)
            return i + 1;
    return 0;
}

bool report_level_bad(const char *level)
{
    int s = report_level_score(level);
    return s == 1 || s == 2;
}

int report_elapsed(const struct calendar *cal, bd_day applied, bd_day decided,
                   const struct report_pause *pauses, size_t n_pauses,
                   int *workdays, int *caldays)
{
    int total, missing, paused_work = 0, paused_cal = 0;
    if (decided < applied)
        return -1;
    /* Day 0 (the day of application) never counts, the day of the result
     * does: the working days of [applied + 1, decided + 1). */
    if (calendar_count_workdays(cal, applied + 1, decided + 1, &total, &missing) != 0)
        return -1;
    for (size_t i = 0; i < n_pauses; i++) {
        bd_day from = pauses[i].from > applied + 1 ? pauses[i].from : applied + 1;
        bd_day to = pauses[i].to < decided + 1 ? pauses[i].to : decided + 1;
        int w;
        if (to <= from)
            continue;
        if (calendar_count_workdays(cal, from, to, &w, &missing) != 0)
            return -1;
        paused_work += w;
        paused_cal += to - from;
    }
    *workdays = total - paused_work;
    *caldays = (decided - applied) - paused_cal;
    return 0;
}
