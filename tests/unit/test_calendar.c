/* test_calendar.c - unit tests of calendar.c: civil dates, weekdays, and the
 * working-day count by the rule of calendar.h (day 0 is the day of 受理, or
 * the next working day when that is not one; the deadline of n working days
 * is day n).
 *
 * Two groups. The first builds a 2026-only calendar on the heap the way a
 * loader would, so that calendar_clear() is exercised (and checked by the
 * sanitizers) too. The second loads the real sample configuration
 * deploy/config/dianjiang.yaml and checks real dates of 2023 to 2026, each
 * worked out by hand from the State Council's notices (the dates are in
 * ../shared/calendar-cn-2023-2026.md and in the sample's `calendar:`).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "config.h"

#ifndef BANGDAI_SOURCE_DIR
#error "BANGDAI_SOURCE_DIR must name the repository root"
#endif

#define SAMPLE BANGDAI_SOURCE_DIR "/deploy/config/dianjiang.yaml"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define VERSION_2023 "国办发明电〔2022〕16号"
#define VERSION_2024 "国办发明电〔2023〕7号"
#define VERSION_2025 "国办发明电〔2024〕12号"
#define VERSION_2026 "国办发明电〔2025〕7号"

/* 2026: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆. */
static const char *const holidays_2026[][2] = {
    { "2026-01-01", "2026-01-03" }, { "2026-02-15", "2026-02-23" },
    { "2026-04-04", "2026-04-06" }, { "2026-05-01", "2026-05-05" },
    { "2026-06-19", "2026-06-21" }, { "2026-09-25", "2026-09-27" },
    { "2026-10-01", "2026-10-07" },
};

/* The make-up working days (调休), all on a Saturday or a Sunday. */
static const char *const workdays_2026[] = {
    "2026-01-04", "2026-02-14", "2026-02-28",
    "2026-05-09", "2026-09-20", "2026-10-10",
};

static bd_day day_of(const char *text)
{
    bd_day d = 0;

    assert_int_equal(date_parse(text, &d), 0);
    return d;
}

static int setup_2026(void **state)
{
    struct calendar *cal = calloc(1, sizeof *cal);
    struct cal_year *y;
    size_t n = 0;

    if (!cal || !(cal->years = calloc(1, sizeof *cal->years)))
        return -1;
    cal->n_years = 1;
    y = &cal->years[0];
    y->year = 2026;
    y->version = strdup(VERSION_2026);
    y->holidays = malloc(366 * sizeof *y->holidays);
    y->workdays = malloc(N_OF(workdays_2026) * sizeof *y->workdays);
    if (!y->version || !y->holidays || !y->workdays)
        return -1;
    for (size_t i = 0; i < N_OF(holidays_2026); i++)
        for (bd_day d = day_of(holidays_2026[i][0]); d <= day_of(holidays_2026[i][1]); d++)
            y->holidays[n++] = d;
    y->n_holidays = n;
    for (size_t i = 0; i < N_OF(workdays_2026); i++)
        y->workdays[i] = day_of(workdays_2026[i]);
    y->n_workdays = N_OF(workdays_2026);
    *state = cal;
    return 0;
}

static int teardown_2026(void **state)
{
    struct calendar *cal = *state;

    calendar_clear(cal);
    assert_null(cal->years);
    assert_int_equal(cal->n_years, 0);
    free(cal);
    return 0;
}

static void test_date_parse(void **state)
{
    static const struct {
        const char *text;
        int ok;
    } cases[] = {
        { "2026-11-28", 1 }, { "1970-01-01", 1 }, { "9999-12-31", 1 },
        { "2024-02-29", 1 },                    /* leap year */
        { "2000-02-29", 1 },                    /* divisible by 400 */
        { "2026-02-30", 0 }, { "2026-02-29", 0 }, { "1900-02-29", 0 },
        { "2026-04-31", 0 }, { "2026-13-01", 0 }, { "2026-00-10", 0 },
        { "2026-01-00", 0 }, { "2026-01-32", 0 },
        { "1969-12-31", 0 },                    /* before the epoch */
        { "2026-1-01", 0 }, { "2026-01-1", 0 }, { "26-01-01", 0 },
        { "2026/01/01", 0 }, { "20260101", 0 }, { "2026-01-01 ", 0 },
        { " 2026-01-01", 0 }, { "2026-01-01T00:00", 0 }, { "+026-01-01", 0 },
        { "2026-0x-01", 0 }, { "garbage", 0 }, { "", 0 }, { NULL, 0 },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        bd_day d = -12345;
        int rc = date_parse(cases[i].text, &d);

        if ((rc == 0) != cases[i].ok)
            print_error("\"%s\": got %d\n", cases[i].text ? cases[i].text : "(null)", rc);
        assert_int_equal(rc, cases[i].ok ? 0 : -1);
        if (!cases[i].ok)
            assert_int_equal(d, -12345);       /* nothing written */
    }
}

static void test_known_days(void **state)
{
    static const struct {
        const char *text;
        bd_day day;
        int weekday;
    } cases[] = {
        { "1970-01-01", 0, 4 },                 /* Thursday */
        { "1970-01-02", 1, 5 },
        { "2000-01-01", 10957, 6 },
        { "2000-02-29", 11016, 2 },
        { "2026-01-04", 20457, 7 },             /* make-up Sunday */
        { "2026-02-11", 20495, 3 },
        { "2026-02-14", 20498, 6 },             /* make-up Saturday */
        { "2026-10-01", 20727, 4 },
        { "2026-11-28", 20785, 6 },             /* Saturday */
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        char buf[11];
        int y, m, d;

        assert_int_equal(day_of(cases[i].text), cases[i].day);
        assert_int_equal(date_weekday(cases[i].day), cases[i].weekday);
        date_format(cases[i].day, buf);
        assert_string_equal(buf, cases[i].text);
        date_to_ymd(cases[i].day, &y, &m, &d);
        assert_int_equal(date_from_ymd(y, m, d), cases[i].day);
    }
    /* Before the epoch the arithmetic still holds, though date_parse
     * refuses such dates. */
    assert_int_equal(date_from_ymd(1969, 12, 31), -1);
    assert_int_equal(date_weekday(-1), 3);
    assert_int_equal(date_weekday(-7), 4);
    /* Day numbers at the ends of the type neither overflow nor format as a
     * plausible date. */
    {
        char buf[11];

        date_format(date_from_ymd(10000, 1, 1), buf);
        assert_string_equal(buf, "0000-00-00");
        date_format(INT32_MAX, buf);
        assert_string_equal(buf, "0000-00-00");
        date_format(INT32_MIN, buf);
        assert_string_equal(buf, "0000-00-00");
        assert_in_range(date_weekday(INT32_MAX), 1, 7);
        assert_in_range(date_weekday(INT32_MIN), 1, 7);
    }
}

static void test_round_trip(void **state)
{
    int y, m, d;

    (void)state;
    /* Every day from 1970 to 2100 formats to text that parses back to it. */
    for (bd_day day = 0; day <= date_from_ymd(2100, 12, 31); day++) {
        char buf[11];
        bd_day back = -1;

        date_format(day, buf);
        assert_int_equal(date_parse(buf, &back), 0);
        assert_int_equal(back, day);
        assert_int_equal(date_weekday(day + 7), date_weekday(day));
    }
    /* NULL pointers are allowed in date_to_ymd. */
    date_to_ymd(20785, &y, NULL, NULL);
    assert_int_equal(y, 2026);
    date_to_ymd(20785, NULL, &m, &d);
    assert_int_equal(m, 11);
    assert_int_equal(d, 28);
}

static void test_from_unix_us(void **state)
{
    static const struct {
        int64_t us;
        const char *want;
    } cases[] = {
        { 0, "1970-01-01" },
        /* Midnight in Beijing is 16:00 UTC the day before. */
        { 1767196800LL * 1000000, "2026-01-01" },
        { 1767196800LL * 1000000 - 1, "2025-12-31" },
        /* The last microsecond of 2026-11-28 in Beijing, then the next. */
        { (20786LL * 86400 - 8 * 3600) * 1000000 - 1, "2026-11-28" },
        { (20786LL * 86400 - 8 * 3600) * 1000000, "2026-11-29" },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        char buf[11];

        date_format(date_from_unix_us(cases[i].us), buf);
        assert_string_equal(buf, cases[i].want);
    }
    /* Before the epoch: 1969-12-31 16:00 UTC is already 1970-01-01 in China. */
    assert_int_equal(date_from_unix_us(-8LL * 3600 * 1000000), 0);
    assert_int_equal(date_from_unix_us(-8LL * 3600 * 1000000 - 1), -1);
    /* The extremes must not overflow. */
    assert_true(date_from_unix_us(INT64_MAX) > 0);
    assert_true(date_from_unix_us(INT64_MIN) < 0);
}

static void test_is_workday(void **state)
{
    static const struct {
        const char *text;
        int want;
    } cases[] = {
        { "2026-01-04", 1 },        /* Sunday, make-up day */
        { "2026-02-14", 1 },        /* Saturday, make-up day */
        { "2026-02-28", 1 },
        { "2026-10-10", 1 },
        { "2026-01-01", 0 },        /* Thursday, 元旦 */
        { "2026-02-16", 0 },        /* Monday, 春节 */
        { "2026-05-01", 0 },        /* Friday, 劳动节 */
        { "2026-06-19", 0 },        /* Friday, 端午 */
        { "2026-10-07", 0 },        /* Wednesday, 国庆 */
        { "2026-02-21", 0 },        /* Saturday inside 春节 */
        { "2026-11-28", 0 },        /* ordinary Saturday */
        { "2026-11-29", 0 },        /* ordinary Sunday */
        { "2026-11-30", 1 },        /* ordinary Monday */
        { "2026-02-24", 1 },        /* first day back after 春节 */
        { "2025-12-31", -1 },       /* 2025 is not in the calendar */
        { "2027-01-04", -1 },
    };
    const struct calendar *cal = *state;
    struct calendar empty = { 0 };
    int total = 0;

    for (size_t i = 0; i < N_OF(cases); i++) {
        int got = calendar_is_workday(cal, day_of(cases[i].text));

        if (got != cases[i].want)
            print_error("%s: got %d, want %d\n", cases[i].text, got, cases[i].want);
        assert_int_equal(got, cases[i].want);
    }
    /* 261 weekdays, less 19 holidays on weekdays, plus 6 make-up days. */
    for (bd_day d = day_of("2026-01-01"); d <= day_of("2026-12-31"); d++)
        total += calendar_is_workday(cal, d);
    assert_int_equal(total, 248);
    assert_int_equal(calendar_is_workday(&empty, day_of("2026-11-30")), -1);
}

static void test_add_workdays(void **state)
{
    static const struct {
        const char *start;
        int n;
        const char *want;           /* NULL: the count must fail */
        int missing;                /* then the year it reports */
        const char *why;
    } cases[] = {
        { "2026-11-26", 1, "2026-11-27", 0, "the working day after day 0 is day 1" },
        { "2026-11-27", 1, "2026-11-30", 0, "the weekend does not count" },
        { "2026-11-30", 0, "2026-11-30", 0, "n = 0 from a working day is that day" },
        { "2026-11-28", 0, "2026-11-30", 0, "n = 0 from a Saturday is the Monday" },
        { "2026-11-28", 1, "2026-12-01", 0, "from a Saturday, day 0 is the Monday" },
        { "2026-02-13", 1, "2026-02-14", 0, "a make-up Saturday counts" },
        { "2026-02-14", 0, "2026-02-14", 0, "a make-up Saturday is its own day 0" },
        { "2026-02-11", 7, "2026-02-27", 0, "7 days across 春节 and its make-up days" },
        { "2026-04-30", 1, "2026-05-06", 0, "劳动节 on weekdays does not count" },
        { "2026-06-18", 1, "2026-06-22", 0, "端午 Friday does not count" },
        { "2026-09-30", 3, "2026-10-10", 0, "after 国庆, ending on a make-up day" },
        { "2026-09-18", 15, "2026-10-15", 0, "15 days across 中秋 and 国庆" },
        { "2026-01-30", 20, "2026-03-05", 0, "20 days across 春节" },
        { "2026-10-01", 0, "2026-10-08", 0, "accepted on a holiday: day 0 after it" },
        { "2026-12-28", 3, "2026-12-31", 0, "ends on the last day of the year" },
        { "2025-12-31", 1, NULL, 2025, "day 0 is in 2025, which the calendar lacks" },
        { "2026-12-28", 4, NULL, 2027, "runs into 2027, which the calendar lacks" },
        { "2027-03-01", 0, NULL, 2027, "n = 0 still looks at day 0: 2027 is missing" },
        { "2026-11-30", -1, NULL, 0, "a negative limit" },
    };
    const struct calendar *cal = *state;

    for (size_t i = 0; i < N_OF(cases); i++) {
        bd_day due = -12345;
        const char *version = "unset";
        int missing = -1;
        int rc = calendar_add_workdays(cal, day_of(cases[i].start), cases[i].n, &due,
                                       &version, &missing);

        if (cases[i].want ? rc != 0 || due != day_of(cases[i].want) : rc != -1)
            print_error("%s + %d (%s): rc %d\n", cases[i].start, cases[i].n, cases[i].why, rc);
        if (!cases[i].want) {
            assert_int_equal(rc, -1);
            assert_int_equal(due, -12345);      /* *due unchanged */
            assert_string_equal(version, "unset");
            assert_int_equal(missing, cases[i].missing);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(due, day_of(cases[i].want));
        assert_string_equal(version, VERSION_2026);
        assert_int_equal(missing, -1);          /* untouched on success */
    }
}

static void test_add_workdays_version(void **state)
{
    const struct calendar *cal = *state;
    bd_day due = 0;
    const char *version = "unset";

    /* The version is borrowed from the calendar, not copied. */
    assert_int_equal(calendar_add_workdays(cal, day_of("2026-02-11"), 7, &due, &version, NULL), 0);
    assert_ptr_equal(version, cal->years[0].version);
    /* version and missing_year may be NULL when the caller does not want
     * them. */
    assert_int_equal(calendar_add_workdays(cal, day_of("2026-02-11"), 7, &due, NULL, NULL), 0);
    assert_int_equal(due, day_of("2026-02-27"));
    due = 0;
    assert_int_equal(calendar_add_workdays(cal, day_of("2027-03-01"), 0, &due, NULL, NULL), -1);
    assert_int_equal(due, 0);
    /* An empty calendar has no year at all: the start's year is missing. */
    {
        struct calendar empty = { 0 };
        int missing = 0;

        assert_int_equal(calendar_add_workdays(&empty, day_of("2026-11-30"), 0, &due, &version,
                                               &missing), -1);
        assert_int_equal(missing, 2026);
    }
}

static void test_clear_empty(void **state)
{
    struct calendar empty = { 0 };

    (void)state;
    calendar_clear(&empty);
    calendar_clear(&empty);
    assert_null(empty.years);
    calendar_clear(NULL);
}

/* ---- the sample configuration's calendar, 2023 to 2026 --------------------- */

static int setup_sample(void **state)
{
    struct config *cfg = NULL;
    char err[512] = "";

    if (config_load(SAMPLE, &cfg, err, sizeof err) != 0) {
        print_error("%s\n", err);
        return -1;
    }
    *state = cfg;
    return 0;
}

static int teardown_sample(void **state)
{
    struct config *cfg = *state;

    config_destroy(&cfg);
    return 0;
}

/* The notice behind each year of the sample. */
static const char *version_of(int year)
{
    switch (year) {
    case 2023: return VERSION_2023;
    case 2024: return VERSION_2024;
    case 2025: return VERSION_2025;
    case 2026: return VERSION_2026;
    default: return NULL;
    }
}

/* The sample has exactly 2023..2026, each with its notice's number. No
 * guessed year: 2022 and 2027 are absent. */
static void test_sample_years(void **state)
{
    const struct config *cfg = *state;
    const struct calendar *cal = &cfg->calendar;

    assert_int_equal(cal->n_years, 4);
    for (size_t i = 0; i < cal->n_years; i++) {
        assert_int_equal(cal->years[i].year, 2023 + (int)i);
        assert_string_equal(cal->years[i].version, version_of(cal->years[i].year));
    }
    assert_int_equal(cal->years[0].n_holidays, 26);
    assert_int_equal(cal->years[0].n_workdays, 7);
    assert_int_equal(cal->years[1].n_holidays, 28);
    assert_int_equal(cal->years[1].n_workdays, 8);
    assert_int_equal(cal->years[2].n_holidays, 28);
    assert_int_equal(cal->years[2].n_workdays, 5);
    assert_int_equal(cal->years[3].n_holidays, 33);
    assert_int_equal(cal->years[3].n_workdays, 6);
}

/* calendar_is_workday on the sample: listed days (holidays on weekdays,
 * make-up weekend days) and ordinary weekdays and weekends, a few per year,
 * then the number of working days of each whole year. */
static void test_sample_is_workday(void **state)
{
    static const struct {
        const char *day;
        int want;
        const char *why;
    } cases[] = {
        { "2022-12-30", -1, "Friday of 2022: not in the calendar" },
        /* 2023 */
        { "2023-01-02", 0, "Monday, 元旦 (observed)" },
        { "2023-01-03", 1, "Tuesday, ordinary" },
        { "2023-01-27", 0, "Friday, last day of 春节" },
        { "2023-01-28", 1, "Saturday, make-up for 春节" },
        { "2023-01-29", 1, "Sunday, make-up for 春节" },
        { "2023-03-04", 0, "Saturday, ordinary" },
        { "2023-03-05", 0, "Sunday, ordinary" },
        { "2023-03-06", 1, "Monday, ordinary" },
        { "2023-04-23", 1, "Sunday, make-up for 劳动节" },
        { "2023-07-14", 1, "Friday, ordinary" },
        { "2023-09-29", 0, "Friday, 中秋节" },
        { "2023-10-08", 1, "Sunday, make-up for 国庆节" },
        { "2023-12-30", 0, "Saturday, ordinary" },
        /* 2024 */
        { "2024-01-01", 0, "Monday, 元旦" },
        { "2024-02-03", 0, "Saturday, ordinary (the day before a make-up Sunday)" },
        { "2024-02-04", 1, "Sunday, make-up for 春节" },
        { "2024-02-09", 1, "Friday, 除夕 is not a day off in 2024" },
        { "2024-02-16", 0, "Friday, 春节" },
        { "2024-03-09", 0, "Saturday, ordinary" },
        { "2024-03-11", 1, "Monday, ordinary" },
        { "2024-06-10", 0, "Monday, 端午节" },
        { "2024-07-31", 1, "Wednesday, ordinary" },
        { "2024-10-12", 1, "Saturday, make-up for 国庆节" },
        { "2024-12-29", 0, "Sunday, ordinary" },
        { "2024-12-31", 1, "Tuesday, ordinary" },
        /* 2025 */
        { "2025-01-25", 0, "Saturday, ordinary" },
        { "2025-01-26", 1, "Sunday, make-up for 春节" },
        { "2025-01-27", 1, "Monday, ordinary" },
        { "2025-01-28", 0, "Tuesday, 除夕, first day of 春节" },
        { "2025-02-04", 0, "Tuesday, last day of 春节" },
        { "2025-02-08", 1, "Saturday, make-up for 春节" },
        { "2025-03-15", 0, "Saturday, ordinary" },
        { "2025-06-02", 0, "Monday, 端午节" },
        { "2025-08-20", 1, "Wednesday, ordinary" },
        { "2025-09-27", 0, "Saturday, ordinary" },
        { "2025-10-08", 0, "Wednesday, 国庆节" },
        { "2025-12-31", 1, "Wednesday, ordinary" },
        /* 2026 */
        { "2026-01-02", 0, "Friday, 元旦" },
        { "2026-01-04", 1, "Sunday, make-up for 元旦" },
        { "2026-02-13", 1, "Friday, ordinary" },
        { "2026-02-23", 0, "Monday, last day of 春节" },
        { "2026-03-02", 1, "Monday, ordinary" },
        { "2026-09-20", 1, "Sunday, make-up for 中秋节" },
        { "2026-11-28", 0, "Saturday, ordinary" },
        { "2026-11-29", 0, "Sunday, ordinary" },
        { "2026-12-31", 1, "Thursday, ordinary" },
        { "2027-01-01", -1, "2027 is not published: not in the calendar" },
        { "2027-01-04", -1, "Monday of 2027: not guessed" },
    };
    /* Working days per year: the weekdays, less the holidays on weekdays,
     * plus the make-up days.
     *   2023 starts on a Sunday, 365 days: 260 weekdays; holidays on
     *   weekdays 1 + 5 + 1 + 3 + 2 + 6 = 18; 7 make-up days: 249.
     *   2024 starts on a Monday, 366 days: 262 weekdays; 1 + 5 + 2 + 3 + 1
     *   + 2 + 5 = 19; 8 make-up days: 251.
     *   2025 starts on a Wednesday, 365 days: 261 weekdays; 1 + 6 + 1 + 3
     *   + 1 + 6 = 18; 5 make-up days: 248.
     *   2026 starts on a Thursday, 365 days: 261 weekdays; 19; 6: 248. */
    static const int per_year[][2] = { { 2023, 249 }, { 2024, 251 }, { 2025, 248 }, { 2026, 248 } };
    const struct config *cfg = *state;
    const struct calendar *cal = &cfg->calendar;

    for (size_t i = 0; i < N_OF(cases); i++) {
        int got = calendar_is_workday(cal, day_of(cases[i].day));

        if (got != cases[i].want)
            print_error("%s (%s): got %d, want %d\n", cases[i].day, cases[i].why, got,
                        cases[i].want);
        assert_int_equal(got, cases[i].want);
    }
    for (size_t i = 0; i < N_OF(per_year); i++) {
        int total = 0;

        for (bd_day d = date_from_ymd(per_year[i][0], 1, 1);
             d <= date_from_ymd(per_year[i][0], 12, 31); d++)
            total += calendar_is_workday(cal, d);
        if (total != per_year[i][1])
            print_error("%d: %d working days, want %d\n", per_year[i][0], total, per_year[i][1]);
        assert_int_equal(total, per_year[i][1]);
    }
}

/* Deadlines on the sample, by the rule of calendar.h. Each row is worked out
 * by hand from the notices: the numbers in parentheses are the counted
 * working days (day 1, day 2, ...); "off" days do not count. */
static void test_sample_add_workdays(void **state)
{
    static const struct {
        const char *start;
        int n;
        const char *want;           /* NULL: the deadline is pending */
        int missing;                /* then the year the calendar lacks */
        const char *why;
    } cases[] = {
        /* 2023 */
        { "2023-01-20", 1, "2023-01-28", 0, "Fri; 春节 01-21..27 off; make-up Sat 01-28 (1)" },
        { "2023-01-20", 2, "2023-01-29", 0, "Sat 01-28 (1), make-up Sun 01-29 (2)" },
        { "2023-01-20", 3, "2023-01-30", 0, "01-28 (1), 01-29 (2), Mon 01-30 (3)" },
        { "2023-01-28", 0, "2023-01-28", 0, "make-up Sat 01-28 is a working day: its own day 0" },
        { "2023-01-22", 0, "2023-01-28", 0, "start on a 春节 Sunday: day 0 is make-up Sat 01-28" },
        { "2023-01-22", 1, "2023-01-29", 0, "day 0 Sat 01-28, make-up Sun 01-29 (1)" },
        { "2023-04-21", 1, "2023-04-23", 0, "Fri; Sat 04-22 off; make-up Sun 04-23 (1)" },
        { "2023-06-21", 1, "2023-06-25", 0, "Wed; 端午 06-22..24 off; make-up Sun 06-25 (1)" },
        { "2023-09-28", 1, "2023-10-07", 0, "Thu; 中秋国庆 09-29..10-06 off; make-up Sat 10-07 (1)" },
        { "2023-09-28", 3, "2023-10-09", 0, "10-07 (1), make-up Sun 10-08 (2), Mon 10-09 (3)" },
        { "2023-12-28", 1, "2023-12-29", 0, "Thu; Fri 12-29 (1)" },
        /* 元旦 2023 -> 2024: the deadline carries 2024's version. */
        { "2023-12-29", 1, "2024-01-02", 0, "Fri; 12-30/31 weekend, 元旦 2024-01-01 off; Tue (1)" },
        { "2023-12-31", 0, "2024-01-02", 0, "start on a Sunday; Mon 01-01 元旦: day 0 Tue 01-02" },
        /* 2024 */
        { "2024-02-02", 1, "2024-02-04", 0, "Fri; Sat 02-03 off; make-up Sun 02-04 (1)" },
        { "2024-02-04", 0, "2024-02-04", 0, "make-up Sun 02-04 is its own day 0" },
        { "2024-02-03", 0, "2024-02-04", 0, "ordinary Sat: day 0 is the make-up Sun 02-04" },
        { "2024-02-08", 2, "2024-02-18", 0, "Thu; Fri 02-09 (1); 春节 02-10..17 off; Sun 02-18 (2)" },
        { "2024-04-03", 1, "2024-04-07", 0, "Wed; 清明 04-04..06 off; make-up Sun 04-07 (1)" },
        { "2024-09-27", 5, "2024-10-10", 0,
          "Fri; Sat 09-28 off; Sun 09-29 (1), Mon 09-30 (2); 国庆 10-01..07 off; 10-08 (3), 10-09 (4), 10-10 (5)" },
        { "2024-10-01", 0, "2024-10-08", 0, "start on 国庆: day 0 is Tue 10-08" },
        { "2024-10-01", 1, "2024-10-09", 0, "day 0 10-08, Wed 10-09 (1)" },
        { "2024-10-11", 1, "2024-10-12", 0, "Fri; make-up Sat 10-12 (1)" },
        { "2024-11-23", 0, "2024-11-25", 0, "ordinary Sat, n = 0: the following Monday" },
        { "2024-11-23", 1, "2024-11-26", 0, "ordinary Sat: day 0 Mon 11-25, Tue 11-26 (1)" },
        /* 2025: 春节 01-28..02-04, make-up Sun 01-26 and Sat 02-08. */
        { "2025-01-24", 1, "2025-01-26", 0, "Fri; Sat 01-25 off; make-up Sun 01-26 (1)" },
        { "2025-01-24", 2, "2025-01-27", 0, "01-26 (1), Mon 01-27 (2)" },
        { "2025-01-24", 3, "2025-02-05", 0, "01-26 (1), 01-27 (2); 01-28..02-04 off; Wed 02-05 (3)" },
        { "2025-01-24", 6, "2025-02-08", 0, "02-05 (3), 02-06 (4), 02-07 (5), make-up Sat 02-08 (6)" },
        { "2025-01-28", 0, "2025-02-05", 0, "start on 除夕 (off): day 0 is Wed 02-05" },
        { "2025-02-07", 1, "2025-02-08", 0, "Fri; make-up Sat 02-08 (1)" },
        { "2025-02-08", 0, "2025-02-08", 0, "make-up Sat 02-08 is its own day 0" },
        { "2025-05-30", 1, "2025-06-03", 0, "Fri; 端午 05-31..06-02 off; Tue 06-03 (1)" },
        { "2025-09-26", 1, "2025-09-28", 0, "Fri; Sat 09-27 off; make-up Sun 09-28 (1)" },
        { "2025-09-26", 4, "2025-10-09", 0, "09-28 (1), 09-29 (2), 09-30 (3); 10-01..08 off; 10-09 (4)" },
        { "2025-09-26", 6, "2025-10-11", 0, "10-09 (4), 10-10 (5), make-up Sat 10-11 (6)" },
        /* 元旦 2025 -> 2026. */
        { "2025-12-30", 1, "2025-12-31", 0, "Tue; Wed 12-31 (1), 2025's version" },
        { "2025-12-31", 1, "2026-01-04", 0, "Wed; 元旦 2026-01-01..03 off; make-up Sun 01-04 (1)" },
        /* 2026: 春节 02-15..23, make-up Sat 02-14 and Sat 02-28. */
        { "2026-02-13", 1, "2026-02-14", 0, "Fri; make-up Sat 02-14 (1)" },
        { "2026-02-12", 3, "2026-02-24", 0, "Thu; 02-13 (1), Sat 02-14 (2); 02-15..23 off; Tue 02-24 (3)" },
        { "2026-02-11", 7, "2026-02-27", 0, "02-12 (1), 02-13 (2), 02-14 (3), 02-24..27 (4..7)" },
        { "2026-02-15", 0, "2026-02-24", 0, "start on a 春节 Sunday: day 0 is Tue 02-24" },
        { "2026-02-26", 2, "2026-02-28", 0, "Thu; Fri 02-27 (1), make-up Sat 02-28 (2)" },
        { "2026-12-26", 0, "2026-12-28", 0, "ordinary Sat, n = 0: the following Monday" },
        { "2026-12-28", 3, "2026-12-31", 0, "Mon; 12-29 (1), 12-30 (2), 12-31 (3): last day known" },
        { "2026-12-31", 0, "2026-12-31", 0, "Thu, n = 0: the day itself" },
        /* Pending: the count needs a year the calendar does not have. */
        { "2026-12-28", 4, NULL, 2027, "day 4 would be in 2027, not published" },
        { "2026-12-31", 1, NULL, 2027, "day 1 would be in 2027" },
        { "2026-11-30", 250, NULL, 2027, "a long limit runs past 2026-12-31" },
        { "2027-01-04", 0, NULL, 2027, "start in 2027: day 0 itself is unknown" },
        { "2022-12-31", 1, NULL, 2022, "start in 2022, before the calendar" },
    };
    const struct config *cfg = *state;
    const struct calendar *cal = &cfg->calendar;

    for (size_t i = 0; i < N_OF(cases); i++) {
        bd_day start = day_of(cases[i].start), due = -12345;
        const char *version = "unset";
        int missing = -1;
        int rc = calendar_add_workdays(cal, start, cases[i].n, &due, &version, &missing);
        char got[11] = "-";

        if (rc == 0)
            date_format(due, got);
        if (cases[i].want ? rc != 0 || due != day_of(cases[i].want)
                          : rc != -1 || missing != cases[i].missing)
            print_error("%s + %d (%s): rc %d, due %s, missing %d; want %s\n", cases[i].start,
                        cases[i].n, cases[i].why, rc, got, missing,
                        cases[i].want ? cases[i].want : "pending");
        if (!cases[i].want) {
            assert_int_equal(rc, -1);
            assert_int_equal(missing, cases[i].missing);
            assert_int_equal(due, -12345);      /* *due unchanged */
            assert_string_equal(version, "unset");
            continue;
        }
        assert_int_equal(rc, 0);
        assert_string_equal(got, cases[i].want);
        assert_int_equal(missing, -1);
        /* The version of the due date's year, borrowed from the calendar. */
        int y;
        date_to_ymd(due, &y, NULL, NULL);
        assert_string_equal(version, version_of(y));
        assert_ptr_equal(version, cal->years[y - 2023].version);
    }
}

/* The working days of pause spans on the sample, [from, to) by the rule of
 * calendar.h: the first day counts as paused, the last as running. */
static void test_sample_count_workdays(void **state)
{
    static const struct {
        const char *from, *to;
        int want;                   /* -1: fails */
        int missing;                /* then the year (0: to before from) */
        const char *why;
    } cases[] = {
        { "2026-12-01", "2026-12-03", 2, 0, "Tue 12-01, Wed 12-02; Thu 12-03 runs" },
        { "2026-12-07", "2026-12-09", 2, 0, "Mon 12-07, Tue 12-08" },
        { "2026-12-07", "2026-12-07", 0, 0, "ended the day it began" },
        { "2026-12-04", "2026-12-07", 1, 0, "Fri 12-04; the weekend does not count" },
        { "2026-12-05", "2026-12-07", 0, 0, "a weekend only" },
        { "2026-11-30", "2026-12-28", 20, 0, "four whole weeks" },
        { "2026-09-30", "2026-10-09", 2, 0, "09-30, 10-08; 国庆 10-01..07 off; 10-09 runs (10-10 make-up)" },
        { "2026-10-09", "2026-10-12", 2, 0, "Fri 10-09, make-up Sat 10-10" },
        { "2024-02-02", "2024-02-05", 2, 0, "Fri 02-02, make-up Sun 02-04" },
        { "2025-12-31", "2026-01-05", 2, 0, "Wed 12-31; 元旦 01-01..03 off; make-up Sun 01-04" },
        { "2026-12-30", "2027-01-04", -1, 2027, "runs into 2027, not published" },
        { "2022-12-30", "2023-01-03", -1, 2022, "starts in 2022, before the calendar" },
        { "2026-12-09", "2026-12-07", -1, 0, "ends before it begins" },
    };
    const struct config *cfg = *state;

    for (size_t i = 0; i < N_OF(cases); i++) {
        int n = -12345, missing = -1;
        int rc = calendar_count_workdays(&cfg->calendar, day_of(cases[i].from), day_of(cases[i].to), &n,
                                         &missing);

        if (cases[i].want >= 0 ? rc != 0 || n != cases[i].want : rc != -1 || missing != cases[i].missing)
            print_error("[%s, %s) (%s): rc %d, n %d, missing %d\n", cases[i].from, cases[i].to, cases[i].why,
                        rc, n, missing);
        if (cases[i].want < 0) {
            assert_int_equal(rc, -1);
            assert_int_equal(missing, cases[i].missing);
            assert_int_equal(n, -12345);        /* *n unchanged */
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(n, cases[i].want);
        assert_int_equal(missing, -1);
    }
}

/* A pause moves a deadline by exactly its working days: the deadline of
 * n + paused days equals counting n days with the paused span left out. */
static void test_sample_pause_moves_deadline(void **state)
{
    const struct config *cfg = *state;
    const struct calendar *cal = &cfg->calendar;
    bd_day start = day_of("2026-11-30"), due;
    int p1, p2;

    /* 补正 12-01..12-03 (2) and expert review 12-07..12-09 (2): 10 working
     * days from Monday 11-30 end on 12-14 unpaused, on 12-18 paused. */
    assert_int_equal(calendar_count_workdays(cal, day_of("2026-12-01"), day_of("2026-12-03"), &p1, NULL), 0);
    assert_int_equal(calendar_count_workdays(cal, day_of("2026-12-07"), day_of("2026-12-09"), &p2, NULL), 0);
    assert_int_equal(calendar_add_workdays(cal, start, 10, &due, NULL, NULL), 0);
    assert_int_equal(due, day_of("2026-12-14"));
    assert_int_equal(calendar_add_workdays(cal, start, 10 + p1 + p2, &due, NULL, NULL), 0);
    assert_int_equal(due, day_of("2026-12-18"));
}

/* The estimates for people (overdue days, the warning day): 国庆 and its
 * make-up Saturday count as the calendar says; past the calendar's end,
 * Monday to Friday. */
static void test_sample_workdays_seen(void **state)
{
    const struct config *cfg = *state;
    const struct calendar *cal = &cfg->calendar;
    /* Due Friday 2026-10-09: 10-10 (make-up Saturday) 1, 10-11 Sunday, 10-12 2, 10-13 3. */
    assert_int_equal(calendar_workdays_seen(cal, day_of("2026-10-09"), day_of("2026-10-13")), 3);
    assert_int_equal(calendar_workdays_seen(cal, day_of("2026-10-09"), day_of("2026-10-09")), 0);
    assert_int_equal(calendar_workdays_seen(cal, day_of("2026-10-13"), day_of("2026-10-09")), 0);
    /* 2027 is not in the calendar: Mon 01-04 .. Fri 01-08 count, the weekend not. */
    assert_int_equal(calendar_workdays_seen(cal, day_of("2026-12-31"), day_of("2027-01-10")), 6);
    /* Two working days before 10-09: 10-08, then 09-30 (10-01..07 off). */
    assert_int_equal(calendar_step_workdays(cal, day_of("2026-10-09"), -2), day_of("2026-09-30"));
    assert_int_equal(calendar_step_workdays(cal, day_of("2026-10-09"), 1), day_of("2026-10-10"));
    assert_int_equal(calendar_step_workdays(cal, day_of("2026-10-09"), 0), day_of("2026-10-09"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_known_days),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_unix_us),
        cmocka_unit_test(test_is_workday),
        cmocka_unit_test(test_add_workdays),
        cmocka_unit_test(test_add_workdays_version),
        cmocka_unit_test(test_clear_empty),
    };
    const struct CMUnitTest sample[] = {
        cmocka_unit_test(test_sample_years),
        cmocka_unit_test(test_sample_is_workday),
        cmocka_unit_test(test_sample_add_workdays),
        cmocka_unit_test(test_sample_count_workdays),
        cmocka_unit_test(test_sample_pause_moves_deadline),
        cmocka_unit_test(test_sample_workdays_seen),
    };
    int failed = cmocka_run_group_tests_name("calendar", tests, setup_2026, teardown_2026);

    failed += cmocka_run_group_tests_name("sample calendar", sample, setup_sample, teardown_sample);
    return failed;
}
