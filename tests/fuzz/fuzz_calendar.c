/* fuzz_calendar.c - libFuzzer: the working-day arithmetic on the sample
 * county's calendar. Properties: a due date n > 0 working days after a day
 * is a working day, after that day, with exactly n working days in
 * (accepted, due]; n = 0 gives the day itself; a year the calendar lacks
 * is an error, never a guess. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    /* A day from 2022 to 2028 (around the calendar's years) and a limit. */
    bd_day first = date_from_ymd(2022, 1, 1);
    bd_day accepted = first + (bd_day)(((unsigned)data[0] << 8 | data[1]) % (7 * 366));
    int n = data[2] % 250;
    bd_day due;
    const char *version = NULL;
    if (calendar_add_workdays(&cfg->calendar, accepted, n, &due, &version) != 0)
        return 0;
    if (n == 0) {
        assert(due == accepted);
        return 0;
    }
    assert(due > accepted);
    assert(calendar_is_workday(&cfg->calendar, due) == 1);
    int count = 0;
    for (bd_day d = accepted + 1; d <= due; d++) {
        int w = calendar_is_workday(&cfg->calendar, d);
        assert(w >= 0);     /* every day counted is in a year the calendar has */
        count += w;
    }
    assert(count == n);
    assert(version && *version);
    return 0;
}
