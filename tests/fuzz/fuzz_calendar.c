/* fuzz_calendar.c - libFuzzer: the working-day arithmetic on the sample
 * county's calendar, by the rule of calendar.h (day 0 is the first working
 * day on or after the start; the deadline is day n). Properties: a due date
 * is a working day on or after the start; every day from the start to day 0
 * but day 0 is a non-working day; there are exactly n working days in
 * (day 0, due]; the version is the one of the due date's year. A failed
 * count names a year the calendar does not have, never guesses one. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "config.h"
#include "log.h"

static struct config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    const char *root = getenv("BANGDAI_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/deploy/config/dianjiang.yaml", root ? root : ".");
    log_set_level(BD_LOG_FATAL);
    if (config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_calendar: %s (set BANGDAI_ROOT)\n", err);
        exit(1);
    }
    return 0;
}

/* The year of day when the calendar has it, NULL otherwise. */
static const struct cal_year *year_of(bd_day day)
{
    int y;
    date_to_ymd(day, &y, NULL, NULL);
    for (size_t i = 0; i < cfg->calendar.n_years; i++)
        if (cfg->calendar.years[i].year == y)
            return &cfg->calendar.years[i];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    /* A day from 2022 to 2028 (around the calendar's years) and a limit. */
    bd_day first = date_from_ymd(2022, 1, 1);
    bd_day start = first + (bd_day)(((unsigned)data[0] << 8 | data[1]) % (7 * 366));
    int n = data[2] % 250;
    bd_day due = -1;
    const char *version = NULL;
    int missing = -1;
    if (calendar_add_workdays(&cfg->calendar, start, n, &due, &version, &missing) != 0) {
        int y0;
        date_to_ymd(start, &y0, NULL, NULL);
        assert(due == -1 && version == NULL);   /* nothing written */
        /* A year the calendar lacks, at or after the start's year. */
        assert(missing >= y0);
        for (size_t i = 0; i < cfg->calendar.n_years; i++)
            assert(cfg->calendar.years[i].year != missing);
        /* Every year before it that the count went through is there: it is
         * the first year missing from the start on. */
        for (int y = y0; y < missing; y++)
            assert(year_of(date_from_ymd(y, 1, 1)) != NULL);
        return 0;
    }
    assert(missing == -1);
    assert(due >= start);
    assert(calendar_is_workday(&cfg->calendar, due) == 1);
    bd_day day0 = start;
    while (calendar_is_workday(&cfg->calendar, day0) == 0)
        day0++;
    assert(calendar_is_workday(&cfg->calendar, day0) == 1);
    assert(day0 <= due);
    int count = 0;
    for (bd_day d = day0 + 1; d <= due; d++) {
        int w = calendar_is_workday(&cfg->calendar, d);
        assert(w >= 0);     /* every day counted is in a year the calendar has */
        count += w;
    }
    assert(count == n);
    assert(version && *version);
    assert(version == year_of(due)->version);
    return 0;
}
