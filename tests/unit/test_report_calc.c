/* test_report_calc.c - unit tests of services/ctl/ctl_report_calc.c, the
 * arithmetic of bangdaictl report: periods, percentiles (type 7, as
 * PostgreSQL's percentile_cont), rating scores and the days from
 * application to result net of pauses, over the sample configuration's real
 * 2026 calendar (中秋 09-25..27 with the make-up Sunday 09-20, 国庆
 * 10-01..07 with the make-up Saturday 10-10). Table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "ctl_report_calc.h"

#define SAMPLE BANGDAI_SOURCE_DIR "/deploy/config/dianjiang.yaml"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static bd_day day_of(const char *text)
{
    bd_day d = 0;
    assert_int_equal(date_parse(text, &d), 0);
    return d;
}

static void test_period(void **state)
{
    (void)state;
    static const struct { const char *text, *first, *end; } ok[] = {
        { "2026-Q3", "2026-07-01", "2026-10-01" }, { "2026-Q4", "2026-10-01", "2027-01-01" },
        { "2026-Q1", "2026-01-01", "2026-04-01" }, { "2026-09", "2026-09-01", "2026-10-01" },
        { "2026-12", "2026-12-01", "2027-01-01" }, { "2026-02", "2026-02-01", "2026-03-01" },
        { "2026", "2026-01-01", "2027-01-01" },
    };
    static const char *const bad[] = { "", "2026-Q5", "2026-Q0", "2026-13", "2026-00", "26", "2026-9",
                                       "2026-Q3x", "1969", "2026/09", "abcd" };
    for (size_t i = 0; i < N_OF(ok); i++) {
        struct report_period p;
        assert_int_equal(report_period_parse(ok[i].text, &p), 0);
        assert_string_equal(p.label, ok[i].text);
        assert_int_equal(p.first, day_of(ok[i].first));
        assert_int_equal(p.end, day_of(ok[i].end));
    }
    for (size_t i = 0; i < N_OF(bad); i++) {
        struct report_period p = { .first = 7 };
        assert_int_equal(report_period_parse(bad[i], &p), -1);
        assert_int_equal(p.first, 7);
    }
    struct report_period p;
    assert_int_equal(report_period_parse(NULL, &p), -1);
}

static void test_percentile(void **state)
{
    (void)state;
    double one[] = { 7 }, four[] = { 4, 1, 3, 2 }, ten[] = { 10, 9, 8, 7, 6, 5, 4, 3, 2, 1 };
    report_sort(four, 4);
    report_sort(ten, 10);
    assert_true(four[0] == 1 && four[3] == 4);
    const struct { double *v; size_t n; double p, want; } cases[] = {
        { one, 1, 0.5, 7 }, { one, 1, 0.9, 7 },
        { four, 4, 0.5, 2.5 }, { four, 4, 0.9, 3.7 }, { four, 4, 0, 1 }, { four, 4, 1, 4 },
        { ten, 10, 0.5, 5.5 }, { ten, 10, 0.9, 9.1 }, { ten, 10, 0.25, 3.25 },
        { NULL, 0, 0.5, 0 },
    };
    for (size_t i = 0; i < N_OF(cases); i++)
        assert_float_equal(report_percentile(cases[i].v, cases[i].n, cases[i].p), cases[i].want, 1e-9);
}

static void test_levels(void **state)
{
    (void)state;
    static const struct { const char *level; int score; bool bad; } cases[] = {
        { "非常满意", 5, false }, { "满意", 4, false }, { "基本满意", 3, false },
        { "不满意", 2, true }, { "非常不满意", 1, true }, { "满意 ", 0, false }, { "", 0, false },
        { NULL, 0, false },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        assert_int_equal(report_level_score(cases[i].level), cases[i].score);
        assert_int_equal(report_level_bad(cases[i].level), cases[i].bad);
    }
}

static void test_elapsed(void **state)
{
    (void)state;
    struct config *cfg = NULL;
    char err[256];
    assert_int_equal(config_load(SAMPLE, &cfg, err, sizeof err), 0);
    static const struct {
        const char *applied, *decided;
        const char *pauses[2][2];
        int n, workdays, caldays;
    } cases[] = {
        /* Same day: nothing elapsed. */
        { "2026-07-01", "2026-07-01", { { 0 } }, 0, 0, 0 },
        /* Wednesday to next Wednesday: 5 working days, 7 calendar days. */
        { "2026-07-01", "2026-07-08", { { 0 } }, 0, 5, 7 },
        /* Applied on a Saturday, result on Monday: Monday counts. */
        { "2026-07-04", "2026-07-06", { { 0 } }, 0, 1, 2 },
        /* Over 中秋: 09-21..24 and the make-up Sunday 09-20, not 25..27; 28, 29. */
        { "2026-09-18", "2026-09-29", { { 0 } }, 0, 7, 11 },
        /* Over 国庆: 09-30, then 10-08, 09, the make-up Saturday 10-10, 12. */
        { "2026-09-29", "2026-10-12", { { 0 } }, 0, 5, 13 },
        /* A 补正 of Monday 07-06 to Thursday 07-09: 3 working days, 3 days paused. */
        { "2026-07-01", "2026-07-15", { { "2026-07-06", "2026-07-09" } }, 1, 7, 11 },
        /* Two pauses, one over a weekend (Fri 07-10 .. Mon 07-13: 1 and 3). */
        { "2026-07-01", "2026-07-20", { { "2026-07-03", "2026-07-06" }, { "2026-07-10", "2026-07-13" } }, 2, 11, 13 },
        /* A pause begun on day 0 or running past the result is clipped. */
        { "2026-07-01", "2026-07-03", { { "2026-07-01", "2026-07-10" } }, 1, 0, 0 },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct report_pause p[2];
        for (int k = 0; k < cases[i].n; k++)
            p[k] = (struct report_pause){ day_of(cases[i].pauses[k][0]), day_of(cases[i].pauses[k][1]) };
        int wd = -1, cd = -1;
        assert_int_equal(report_elapsed(&cfg->calendar, day_of(cases[i].applied), day_of(cases[i].decided),
                                        p, (size_t)cases[i].n, &wd, &cd), 0);
        assert_int_equal(wd, cases[i].workdays);
        assert_int_equal(cd, cases[i].caldays);
    }
    int wd = 99, cd = 99;
    /* A result before the application, or a year the calendar lacks. */
    assert_int_equal(report_elapsed(&cfg->calendar, day_of("2026-07-02"), day_of("2026-07-01"), NULL, 0, &wd, &cd), -1);
    assert_int_equal(report_elapsed(&cfg->calendar, day_of("2026-12-30"), day_of("2031-01-05"), NULL, 0, &wd, &cd), -1);
    assert_int_equal(wd, 99);
    config_destroy(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period),
        cmocka_unit_test(test_percentile),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_elapsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
