/* calendar.h - working days of the Chinese administrative calendar.
 *
 * A working day is a day that is neither a weekend nor a statutory holiday,
 * except the make-up working days (调休) that the State Council publishes with
 * each year's holidays: some Saturdays and Sundays are working days. Dates are
 * kept as day numbers (days since 1970-01-01) so that arithmetic is plain
 * integer arithmetic.
 *
 * The counting rule (行政许可法 §82: limits in working days), the one rule
 * every deadline in bangdai follows:
 *
 *   - Day 0 is the day of 受理 (acceptance), or of the assignment that comes
 *     before it, when that day is a working day.
 *   - A start on a non-working day (weekend, holiday) counts from the next
 *     working day: that working day is day 0.
 *   - Day k (k >= 1) is the k-th working day after day 0; a limit of n
 *     working days ends on day n. Counting thus starts the day after day 0.
 *
 * So n = 0 gives day 0 itself: from a working day, that day; from a Saturday,
 * the following Monday when that is a working day. Accepted on Friday
 * 2024-09-27 with 5 working days: day 1 is the make-up Sunday 09-29, day 2
 * Monday 09-30, 国庆 (10-01 to 10-07) does not count, 10-08..10-10 are days
 * 3 to 5: due Thursday 2024-10-10.
 *
 * Every day the count looks at (from the start to the deadline) must be in a
 * year the calendar has. A year is in the calendar complete or not at all,
 * never guessed: a deadline that needs a missing year is pending until the
 * year is added.
 */
#ifndef BANGDAI_CALENDAR_H
#define BANGDAI_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

typedef int32_t bd_day;             /* days since 1970-01-01 (UTC+8 civil date) */

/* One published year: the holidays and the make-up working days. */
struct cal_year {
    int year;
    char *version;                  /* e.g. "国办发明电〔2025〕7号"; kept with each deadline */
    bd_day *holidays;               /* sorted ascending */
    size_t n_holidays;
    bd_day *workdays;               /* make-up working days on weekends, sorted */
    size_t n_workdays;
};

struct calendar {
    struct cal_year *years;         /* sorted by year */
    size_t n_years;
};

/* Parses "YYYY-MM-DD" (a real calendar date, 1970..9999) into *out.
 * Returns 0, or -1 when the text is not such a date (nothing written). */
__attribute__((warn_unused_result))
int date_parse(const char *text, bd_day *out);

/* Writes "YYYY-MM-DD" into buf (at least 11 bytes). */
void date_format(bd_day day, char buf[static 11]);

/* Day number of a civil date; no validation. */
bd_day date_from_ymd(int year, int month, int day);

/* Splits a day number into year, month (1-12), day (1-31); pointers may be NULL. */
void date_to_ymd(bd_day day, int *year, int *month, int *mday);

/* ISO weekday: 1 = Monday .. 7 = Sunday. */
int date_weekday(bd_day day);

/* The civil date (China, UTC+8) of a Unix time in microseconds. */
bd_day date_from_unix_us(int64_t unix_us);

/* Returns 1 when day is a working day, 0 when it is not, and -1 when the
 * calendar has no entry for day's year (the caller decides what to do: the
 * answer would be a guess). */
int calendar_is_workday(const struct calendar *cal, bd_day day);

/* The deadline of a limit of n >= 0 working days from day `start` (the day
 * of 受理 or of assignment), counted by the rule above: day 0 is the first
 * working day on or after start, the deadline is day n.
 *
 * Returns 0 and writes *due and, when version is not NULL, the version of
 * the calendar year of *due (borrowed from cal; never NULL on success, since
 * the year of *due was looked at). Returns -1 when a day the count must look
 * at falls in a year the calendar does not have: *due and *version are then
 * unchanged and *missing_year (when not NULL) is that year, the first one
 * the count needed and did not find. A negative n, or a count that would run
 * past the last day number, also returns -1, with *missing_year = 0. */
__attribute__((warn_unused_result))
int calendar_add_workdays(const struct calendar *cal, bd_day start, int n, bd_day *due,
                          const char **version, int *missing_year);

/* The working days of a pause: the number of working days d with
 * from <= d < to, written to *n. This is the one rule for every span the
 * clock stands still (行政许可法 §45, 补正):
 *
 *   - A pause from day A (the day the clock stopped: 补正 requested, expert
 *     review begun) to day B (the day it ran again: materials received,
 *     review ended) counts the working days of [A, B): day A counts as
 *     paused, day B as running. A pause ended on the day it began counts 0.
 *   - A deadline is day N of the count above with N = the promised (or
 *     statutory) working days plus the paused working days of every
 *     pause, each counted at most up to the catalog's limit for its kind
 *     (pause_limits; the days beyond run against the deadline).
 *   - Only days after day 0 can be paused: day 0 is never counted, so the
 *     caller clips A to the day after day 0 (tracker_deadline.c).
 *
 * Paused Monday 2026-12-07 and resumed Wednesday 12-09: 2 working days
 * (07, 08). Paused Friday 2026-12-04, resumed Monday 12-07: 1 (the weekend
 * does not count).
 *
 * Returns 0, or -1 when a day of the span is in a year the calendar lacks
 * (*missing_year is that year, the first one met, *n unchanged) or when
 * to < from (*missing_year = 0). */
__attribute__((warn_unused_result))
int calendar_count_workdays(const struct calendar *cal, bd_day from, bd_day to, int *n,
                            int *missing_year);

/* For figures shown to people, never for a deadline: a day of a year the
 * calendar lacks counts as a working day when it is Monday to Friday.
 * calendar_workdays_seen: the working days in (from, to], 0 when to <= from
 * (how many working days a task is overdue). calendar_step_workdays: the
 * day n working days after day (n < 0: before it), e.g. the warning day
 * before a due date. */
int calendar_workdays_seen(const struct calendar *cal, bd_day from, bd_day to);
bd_day calendar_step_workdays(const struct calendar *cal, bd_day day, int n);

/* Frees what the calendar owns (years, lists, versions); leaves it empty. */
void calendar_clear(struct calendar *cal);

#endif
