/* ctl_report_calc.h - the arithmetic of the reports (bangdaictl report),
 * apart from the database and the output so that it can be unit-tested:
 * the period a report covers, percentiles, the score of a rating level and
 * the days a task took from application to result, net of its pauses.
 * Every function here is pure: no I/O, no global state.
 */
#ifndef BANGDAI_CTL_REPORT_CALC_H
#define BANGDAI_CTL_REPORT_CALC_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"

/* The days a report covers: [first, end), in China's civil dates. */
struct report_period {
    char label[16];             /* as given: 2026-Q3, 2026-09 or 2026 */
    bd_day first;               /* the first day of the period */
    bd_day end;                 /* the day after its last day */
};

/* Parses a period: a quarter "YYYY-Qn" (n 1..4), a month "YYYY-MM" or a
 * year "YYYY" (1970..9999). Returns 0 and fills *out, or -1 when the text
 * is none of these (*out untouched). */
__attribute__((warn_unused_result))
int report_period_parse(const char *text, struct report_period *out);

/* The p-th quantile (0 <= p <= 1) of n values sorted ascending, by linear
 * interpolation between the closest ranks (the "type 7" rule of R, numpy's
 * default and PostgreSQL's percentile_cont): h = (n - 1) p, the value at
 * floor(h) plus (h - floor(h)) of the step to the next one. Returns 0 when
 * n is 0 (callers show no figure then). */
double report_percentile(const double *sorted, size_t n, double p);

/* Sorts n values ascending in place (for report_percentile). */
void report_sort(double *values, size_t n);

/* The score of a rating level: 非常满意 5, 满意 4, 基本满意 3, 不满意 2,
 * 非常不满意 1; 0 for any other text. */
int report_level_score(const char *level);

/* Whether a level is a 差评 (不满意 or 非常不满意). */
bool report_level_bad(const char *level);

/* A span the clock stood still: [from, to), to the day it ran again. */
struct report_pause {
    bd_day from;
    bd_day to;
};

/* The days from the day of application (day 0) to the day of the result,
 * net of the pauses, by the counting rule of calendar.h: the working days d
 * with applied < d <= decided, less the working days of each pause (each
 * clipped to those days), into *workdays; the calendar days
 * decided - applied less the calendar days of the clipped pauses, into
 * *caldays. Returns 0, or -1 when the calendar lacks a year of the span or
 * decided < applied (outputs untouched). */
__attribute__((warn_unused_result))
int report_elapsed(const struct calendar *cal, bd_day applied, bd_day decided,
                   const struct report_pause *pauses, size_t n_pauses,
                   int *workdays, int *caldays);

#endif
