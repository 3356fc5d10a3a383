/* test_forecast.c - unit tests of forecast.c: the stage arithmetic of a
 * case's expected completion (items of one stage in parallel, stages in
 * order, history replacing the catalog from FORECAST_MIN_HISTORY finished
 * tasks), the working days a finished task took, and the expected date of
 * the sample application on the sample calendar. Table-driven.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "config.h"
#include "forecast.h"

#ifndef BANGDAI_SOURCE_DIR
#error "BANGDAI_SOURCE_DIR must name the repository root"
#endif

#define SAMPLE BANGDAI_SOURCE_DIR "/deploy/config/dianjiang.yaml"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ITEMS 6

struct days_case {
    const char *what;
    struct forecast_item items[MAX_ITEMS];
    size_t n;
    int rc, typical, late, from_history;
};

static const struct days_case days_cases[] = {
    { "no item", { { 0 } }, 0, 0, 0, 0, 0 },
    { "one item", { { "land", 1, 0, 0, 0 } }, 1, 0, 1, 1, 0 },
    { "one stage in parallel: the longest",
      { { "works", 10, 0, 0, 0 }, { "works", 5, 0, 0, 0 }, { "works", 7, 0, 0, 0 } }, 3, 0, 10, 10, 0 },
    { "stages in order: summed (the sample application: 1 + 10 + 3)",
      { { "land", 1, 0, 0, 0 }, { "works", 10, 0, 0, 0 }, { "construction", 3, 0, 0, 0 } }, 3, 0, 14, 14, 0 },
    { "order of the input does not matter",
      { { "construction", 3, 0, 0, 0 }, { "land", 1, 0, 0, 0 }, { "works", 10, 0, 0, 0 },
        { "land", 15, 0, 0, 0 } }, 4, 0, 28, 28, 0 },
    { "all four stages",
      { { "completion", 20, 0, 0, 0 }, { "land", 10, 0, 0, 0 }, { "works", 10, 0, 0, 0 },
        { "construction", 15, 0, 0, 0 }, { "construction", 7, 0, 0, 0 } }, 5, 0, 55, 55, 0 },
    { "history of 4 tasks is not enough",
      { { "land", 10, 4, 2, 3 } }, 1, 0, 10, 10, 0 },
    { "history of 5 tasks replaces the catalog",
      { { "land", 10, 5, 2, 6 } }, 1, 0, 2, 6, 1 },
    { "history can take longer than the promise",
      { { "land", 10, 50, 12, 18 }, { "works", 5, 0, 0, 0 } }, 2, 0, 17, 23, 1 },
    { "history shortens one item; the stage keeps its longest",
      { { "works", 10, 9, 3, 4 }, { "works", 5, 0, 0, 0 } }, 2, 0, 5, 5, 1 },
    { "zero working days from history",
      { { "land", 1, 5, 0, 0 }, { "works", 10, 0, 0, 0 }, { "construction", 3, 0, 0, 0 } }, 3, 0, 13, 13, 1 },
    { "unknown stage", { { "design", 5, 0, 0, 0 } }, 1, -1, 0, 0, 0 },
    { "no stage", { { NULL, 5, 0, 0, 0 } }, 1, -1, 0, 0, 0 },
    { "negative promise", { { "land", -1, 0, 0, 0 } }, 1, -1, 0, 0, 0 },
    { "90th percentile below the median", { { "land", 5, 6, 4, 3 } }, 1, -1, 0, 0, 0 },
};

static void test_days(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(days_cases); i++) {
        const struct days_case *c = &days_cases[i];
        int typical = -7, late = -7, used = -7;
        print_message("%s\n", c->what);
        int rc = forecast_days(c->items, c->n, &typical, &late, &used);
        assert_int_equal(rc, c->rc);
        if (rc != 0) {
            assert_int_equal(typical, -7);      /* nothing written */
            continue;
        }
        assert_int_equal(typical, c->typical);
        assert_int_equal(late, c->late);
        assert_int_equal(used, c->from_history);
    }
}

static bd_day day_of(const char *text)
{
    bd_day d = 0;
    assert_int_equal(date_parse(text, &d), 0);
    return d;
}

static int setup_sample(void **state)
{
    struct config *cfg = NULL;
    char err[1024];
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

/* The sample application (LX-BA, GC-SBFA, SG-XK: land 1, works 10,
 * construction 3) submitted on the tests' business day, Monday 2026-11-30:
 * 14 working days, Friday 2026-12-18. Before 元旦 and into 2027, which the
 * sample calendar lacks: pending. */
static void test_sample_dates(void **state)
{
    const struct config *cfg = *state;
    const char *codes[] = { "LX-BA", "GC-SBFA", "SG-XK" };
    struct forecast_item items[3];
    for (size_t i = 0; i < N_OF(codes); i++) {
        const struct cfg_item *it = config_item(cfg, codes[i]);
        assert_non_null(it);
        items[i] = (struct forecast_item){ it->stage, it->promised_days, 0, 0, 0 };
    }
    int typical, late, used, missing = 0;
    assert_int_equal(forecast_days(items, 3, &typical, &late, &used), 0);
    assert_int_equal(typical, 14);
    bd_day due;
    char text[11];
    assert_int_equal(calendar_add_workdays(&cfg->calendar, day_of("2026-11-30"), typical, &due, NULL,
                                           &missing), 0);
    date_format(due, text);
    assert_string_equal(text, "2026-12-18");
    /* From 2026-12-20 (a Sunday) 14 working days cross into 2027. */
    assert_int_not_equal(calendar_add_workdays(&cfg->calendar, day_of("2026-12-20"), typical, &due, NULL,
                                               &missing), 0);
    assert_int_equal(missing, 2027);
}

struct taken_case {
    const char *start, *end;
    int rc, n, missing;
};

static const struct taken_case taken_cases[] = {
    { "2026-11-30", "2026-11-30", 0, 0, 0 },        /* decided the day it started */
    { "2026-11-30", "2026-12-01", 0, 1, 0 },
    { "2026-11-30", "2026-12-18", 0, 14, 0 },       /* the inverse of calendar_add_workdays */
    { "2026-11-28", "2026-11-30", 0, 0, 0 },        /* started on a Saturday: Monday is day 0 */
    { "2026-11-27", "2026-11-29", 0, 0, 0 },        /* Friday to Sunday: nothing after day 0 */
    { "2026-09-30", "2026-10-09", 0, 2, 0 },        /* 国庆 2026 (10-01..10-07) does not count: 10-08, 10-09 */
    { "2026-02-13", "2026-02-14", 0, 1, 0 },        /* 2026-02-14, a Saturday, is a make-up working day */
    { "2026-12-30", "2027-01-04", -1, 0, 2027 },    /* the count needs 2027 */
    { "2026-12-02", "2026-12-01", -1, 0, 0 },       /* ends before it starts */
};

static void test_taken(void **state)
{
    const struct config *cfg = *state;
    for (size_t i = 0; i < N_OF(taken_cases); i++) {
        const struct taken_case *c = &taken_cases[i];
        int n = -7, missing = -7;
        print_message("%s .. %s\n", c->start, c->end);
        assert_int_equal(forecast_workdays_taken(&cfg->calendar, day_of(c->start), day_of(c->end), &n,
                                                 &missing), c->rc);
        assert_int_equal(missing, c->missing);
        if (c->rc == 0) {
            assert_int_equal(n, c->n);
            /* Counting n working days from start ends on end, when end is a working day. */
            bd_day due;
            if (calendar_is_workday(&cfg->calendar, day_of(c->end)) == 1) {
                assert_int_equal(calendar_add_workdays(&cfg->calendar, day_of(c->start), n, &due, NULL, NULL), 0);
                assert_int_equal(due, day_of(c->end));
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
    };
    const struct CMUnitTest sample[] = {
        cmocka_unit_test(test_sample_dates),
        cmocka_unit_test(test_taken),
    };
    int failed = cmocka_run_group_tests_name("forecast", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("forecast on the sample calendar", sample, setup_sample,
                                          teardown_sample);
    return failed;
}
