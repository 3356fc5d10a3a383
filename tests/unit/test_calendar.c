/* test_calendar.c - unit tests of calendar.c: civil dates, weekdays, and the
 * working-day count against the State Council's real 2026 schedule.
 *
 * The calendar is built on the heap the way a loader would build it, so that
 * calendar_clear() is exercised (and checked by the sanitizers) too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "calendar.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
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
        const char *accepted;
        int n;
        const char *want;           /* NULL: the count must fail */
        const char *why;
    } cases[] = {
        { "2026-11-26", 1, "2026-11-27", "the day after acceptance is day 1" },
        { "2026-11-27", 1, "2026-11-30", "the weekend does not count" },
        { "2026-11-28", 0, "2026-11-28", "n = 0 is the accepted day itself" },
        { "2026-02-13", 1, "2026-02-14", "a make-up Saturday counts" },
        { "2026-02-11", 7, "2026-02-27", "7 days across 春节 and its make-up days" },
        { "2026-04-30", 1, "2026-05-06", "劳动节 on weekdays does not count" },
        { "2026-06-18", 1, "2026-06-22", "端午 Friday does not count" },
        { "2026-09-30", 3, "2026-10-10", "after 国庆, ending on a make-up day" },
        { "2026-09-18", 15, "2026-10-15", "15 days across 中秋 and 国庆" },
        { "2026-01-30", 20, "2026-03-05", "20 days across 春节" },
        { "2025-12-31", 1, "2026-01-04", "accepted in a year not in the calendar" },
        { "2026-12-28", 3, "2026-12-31", "ends on the last day of the year" },
        { "2026-12-28", 4, NULL, "runs into 2027, which the calendar lacks" },
        { "2026-11-30", -1, NULL, "a negative limit" },
    };
    const struct calendar *cal = *state;

    for (size_t i = 0; i < N_OF(cases); i++) {
        bd_day due = -12345;
        const char *version = "unset";
        int rc = calendar_add_workdays(cal, day_of(cases[i].accepted), cases[i].n,
                                       &due, &version);

        if (cases[i].want ? rc != 0 || due != day_of(cases[i].want) : rc != -1)
            print_error("%s + %d (%s): rc %d\n", cases[i].accepted, cases[i].n,
                        cases[i].why, rc);
        if (!cases[i].want) {
            assert_int_equal(rc, -1);
            assert_int_equal(due, -12345);      /* *due unchanged */
            continue;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(due, day_of(cases[i].want));
        assert_string_equal(version, VERSION_2026);
    }
}

static void test_add_workdays_version(void **state)
{
    const struct calendar *cal = *state;
    bd_day due = 0;
    const char *version = "unset";

    /* The version is borrowed from the calendar, not copied. */
    assert_int_equal(calendar_add_workdays(cal, day_of("2026-02-11"), 7, &due, &version), 0);
    assert_ptr_equal(version, cal->years[0].version);
    /* version may be NULL when the caller does not want it. */
    assert_int_equal(calendar_add_workdays(cal, day_of("2026-02-11"), 7, &due, NULL), 0);
    assert_int_equal(due, day_of("2026-02-27"));
    /* n = 0 in a year the calendar lacks: nothing is counted, so the count
     * succeeds, but there is no version to give. */
    assert_int_equal(calendar_add_workdays(cal, day_of("2027-03-01"), 0, &due, &version), 0);
    assert_int_equal(due, day_of("2027-03-01"));
    assert_null(version);
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

    return cmocka_run_group_tests(tests, setup_2026, teardown_2026);
}
