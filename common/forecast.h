/* forecast.h - the expected completion of a case (issue 9: 办理时间可预期).
 *
 * The rule, written down once:
 *   - Each item takes some working days: the catalog's promised days
 *     (承诺时限), or, once the county has finished at least
 *     FORECAST_MIN_HISTORY tasks of the item, the median of the working days
 *     they actually took (and their 90th percentile for the "latest" date).
 *   - Items of one stage run in parallel: a stage takes as long as its
 *     longest item. The stages (land, works, construction, completion, in
 *     the order of 国办发〔2019〕11号) run one after another: the case takes
 *     the sum of its stages.
 *   - The date is that many working days from the day of submission, by the
 *     calendar's counting rule (calendar.h, calendar_add_workdays); when the
 *     count needs a year the calendar lacks, there is no date: "pending the
 *     YYYY calendar", never a guess.
 */
#ifndef BANGDAI_FORECAST_H
#define BANGDAI_FORECAST_H

#include <stddef.h>

#include "calendar.h"

/* Finished tasks of an item before its history replaces the catalog. */
#define FORECAST_MIN_HISTORY 5

/* One item of a case. */
struct forecast_item {
    const char *stage;          /* land, works, construction or completion */
    int promised_days;          /* the catalog's 承诺时限, working days */
    int history_n;              /* finished tasks of the item on record */
    int history_median;         /* their working days: median ... */
    int history_p90;            /* ... and 90th percentile (used when history_n is enough) */
};

/* The case's working days: *typical (median or promised per item) and
 * *late (90th percentile or promised), each the sum over the stages in
 * order of the stage's longest item; *from_history counts the items whose
 * history was used. Returns 0, or -1 when an item names no known stage or
 * has a negative figure (nothing written). */
__attribute__((warn_unused_result))
int forecast_days(const struct forecast_item *items, size_t n, int *typical, int *late,
                  int *from_history);

/* The working days from day `start` to day `end` by the counting rule: the
 * n such that calendar_add_workdays(cal, start, n) would be the first
 * working day on or after end (0 when end is day 0 or before it). Returns
 * 0 and *n, or -1 when a day between is in a year the calendar lacks
 * (*missing_year, when not NULL, names it) or end is before start. */
__attribute__((warn_unused_result))
int forecast_workdays_taken(const struct calendar *cal, bd_day start, bd_day end, int *n,
                            int *missing_year);

#endif
