/* calendar.h - working days of the Chinese administrative calendar.
 *
 * A working day is a day that is neither a weekend nor a statutory holiday,
 * except the make-up working days (调休) that the State Council publishes with
 * each year's holidays: some Saturdays and Sundays are working days. Limits
 * in the 行政许可法 are counted in working days, starting the day after
 * acceptance (受理). Dates are kept as day numbers (days since 1970-01-01) so
 * that arithmetic is plain integer arithmetic.
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

/* The deadline of a limit of n working days for a matter accepted on
 * `accepted`: the n-th working day after the accepted day (counting starts
 * the day after). n = 0 gives the accepted day itself. On success writes *due
 * and, when version is not NULL, the version of the calendar year of *due
 * (borrowed from cal) and returns 0. Returns -1 when a day to be counted
 * falls in a year the calendar does not have; *due is then unchanged. */
__attribute__((warn_unused_result))
int calendar_add_workdays(const struct calendar *cal, bd_day accepted, int n,
                          bd_day *due, const char **version);

/* Frees what the calendar owns (years, lists, versions); leaves it empty. */
void calendar_clear(struct calendar *cal);

#endif
