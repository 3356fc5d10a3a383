/* calendar.c - day numbers, civil dates and the working-day count that every
 * deadline in bangdai rests on.
 *
 * The civil-date conversions are Howard Hinnant's days_from_civil and
 * civil_from_days (proleptic Gregorian calendar, exact for any day number).
 * Working days come from the published years in a struct calendar; a year
 * the calendar lacks is reported, never guessed.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"

#define US_PER_DAY   86400000000LL
#define CHINA_OFFSET 28800000000LL      /* UTC+8 in microseconds */

/* Hinnant's days_from_civil. The arithmetic runs in 64 bits so that no
 * year an int can hold overflows it; the caller narrows the result. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + (int64_t)doe - 719468;
}

bd_day date_from_ymd(int year, int month, int day)
{
    return (bd_day)days_from_civil(year, (unsigned)month, (unsigned)day);
}

void date_to_ymd(bd_day day, int *year, int *month, int *mday)
{
    /* Hinnant's civil_from_days. */
    int64_t z = (int64_t)day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);

    if (year)
        *year = (int)y;
    if (month)
        *month = (int)m;
    if (mday)
        *mday = (int)d;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads n decimal digits; -1 if any is not a digit. sscanf would accept
 * signs, spaces and short fields, so the digits are read by hand. */
static int read_digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Writes v as exactly n decimal digits, zero-padded (v must fit). */
static void put_digits(char *s, int v, int n)
{
    while (n-- > 0) {
        s[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

int date_parse(const char *text, bd_day *out)
{
    int y, m, d;

    if (!text || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    y = read_digits(text, 4);
    m = read_digits(text + 5, 2);
    d = read_digits(text + 8, 2);
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *out = date_from_ymd(y, m, d);
    return 0;
}

void date_format(bd_day day, char buf[static 11])
{
    int y, m, d;

    date_to_ymd(day, &y, &m, &d);
    /* A year outside 0..9999 does not fit the format; write something that
     * no parser takes for a date rather than a silently wrong one. */
    if (y < 0 || y > 9999) {
        memcpy(buf, "0000-00-00", 11);
        return;
    }
    put_digits(buf, y, 4);
    buf[4] = '-';
    put_digits(buf + 5, m, 2);
    buf[7] = '-';
    put_digits(buf + 8, d, 2);
    buf[10] = '\0';
}

int date_weekday(bd_day day)
{
    /* 1970-01-01 was a Thursday (4); the modulo is floored so that days
     * before the epoch come out right too. */
    int64_t r = ((int64_t)day + 3) % 7;

    return (int)(r < 0 ? r + 7 : r) + 1;
}

bd_day date_from_unix_us(int64_t unix_us)
{
    /* Split into whole UTC days and the time of day first: adding the offset
     * to unix_us itself could overflow near the ends of int64_t. */
    int64_t days = unix_us / US_PER_DAY;
    int64_t rem = unix_us % US_PER_DAY;

    if (rem < 0) {
        rem += US_PER_DAY;
        days--;
    }
    if (rem + CHINA_OFFSET >= US_PER_DAY)
        days++;
    return (bd_day)days;
}

static int cmp_day(const void *a, const void *b)
{
    bd_day x = *(const bd_day *)a, y = *(const bd_day *)b;

    return (x > y) - (x < y);
}

static int cmp_year(const void *key, const void *elem)
{
    int y = *(const int *)key, e = ((const struct cal_year *)elem)->year;

    return (y > e) - (y < e);
}

static const struct cal_year *find_year(const struct calendar *cal, bd_day day)
{
    int y;

    if (!cal || !cal->years)
        return NULL;
    date_to_ymd(day, &y, NULL, NULL);
    return bsearch(&y, cal->years, cal->n_years, sizeof *cal->years, cmp_year);
}

static int in_list(const bd_day *list, size_t n, bd_day day)
{
    return list && bsearch(&day, list, n, sizeof *list, cmp_day) != NULL;
}

int calendar_is_workday(const struct calendar *cal, bd_day day)
{
    const struct cal_year *cy = find_year(cal, day);

    if (!cy)
        return -1;
    /* Make-up days first: they are the exception to the weekend rule. */
    if (in_list(cy->workdays, cy->n_workdays, day))
        return 1;
    if (in_list(cy->holidays, cy->n_holidays, day))
        return 0;
    return date_weekday(day) <= 5;
}

/* Fails a count: reports the year of the day it could not look at (0 when
 * there is no such year: a negative limit, or the end of the day numbers). */
static int count_fails(int *missing_year, int year)
{
    if (missing_year)
        *missing_year = year;
    return -1;
}

int calendar_add_workdays(const struct calendar *cal, bd_day start, int n, bd_day *due,
                          const char **version, int *missing_year)
{
    bd_day day = start;

    if (n < 0)
        return count_fails(missing_year, 0);
    /* `counted` is the number of the last working day seen: -1 until day 0,
     * the first working day on or after start, has been seen. Each step
     * looks at one day, from start on, until day n. The loop ends at day n
     * or at the first day of a year the calendar lacks, which a calendar of
     * finitely many years always reaches. */
    for (int counted = -1;;) {
        int w = calendar_is_workday(cal, day);

        if (w < 0) {
            int y;

            date_to_ymd(day, &y, NULL, NULL);
            return count_fails(missing_year, y);
        }
        counted += w;
        if (counted == n)
            break;
        if (day == INT32_MAX)
            return count_fails(missing_year, 0);
        day++;
    }
    *due = day;
    if (version)
        *version = find_year(cal, day)->version;   /* looked at: it is there */
    return 0;
}

int calendar_count_workdays(const struct calendar *cal, bd_day from, bd_day to, int *n,
                            int *missing_year)
{
    int count = 0;

    if (to < from)
        return count_fails(missing_year, 0);
    for (bd_day day = from; day < to; day++) {
        int w = calendar_is_workday(cal, day);

        if (w < 0) {
            int y;

            date_to_ymd(day, &y, NULL, NULL);
            return count_fails(missing_year, y);
        }
        count += w;
    }
    *n = count;
    return 0;
}

void calendar_clear(struct calendar *cal)
{
    if (!cal)
        return;
    for (size_t i = 0; i < cal->n_years; i++) {
        free(cal->years[i].version);
        free(cal->years[i].holidays);
        free(cal->years[i].workdays);
    }
    free(cal->years);
    memset(cal, 0, sizeof *cal);
}

/* A working day for calendar_workdays_seen and calendar_step_workdays. */
static bool seen_workday(const struct calendar *cal, bd_day d)
{
    int w = calendar_is_workday(cal, d);
    return w == 1 || (w < 0 && date_weekday(d) <= 5);
}

int calendar_workdays_seen(const struct calendar *cal, bd_day from, bd_day to)
{
    int n = 0;
    for (bd_day d = from + 1; d <= to && d - from < 4000; d++)
        n += seen_workday(cal, d);
    return n;
}

bd_day calendar_step_workdays(const struct calendar *cal, bd_day day, int n)
{
    int step = n < 0 ? -1 : 1;
    for (int left = n < 0 ? -n : n, guard = 0; left > 0 && guard < 4000; guard++) {
        day += step;
        left -= seen_workday(cal, day);
    }
    return day;
}
