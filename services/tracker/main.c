/* bangdai-tracker - keeps every task against its promised working-day
 * deadline and reports progress. Owns deadlines. */
#include "tracker.h"

static const struct handler handlers[] = {
    { MSG_TASK_CHANGED, HANDLE_LINK, tracker_task_changed, 0 },
    { MSG_CALENDAR_APPLY, HANDLE_REQUEST, tracker_calendar_apply, ROLE_HALL_MANAGEMENT },
    { MSG_BOARD, HANDLE_REQUEST, tracker_board, ROLE_HALL_MANAGEMENT },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "tracker", handlers, ROLE_SERVICE },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "delivery", "evaluation", "intake", "router", NULL };

static const struct service_def tracker = {
    .name = "tracker",
    .summary = "Computes each task's promised deadline in working days, reports\n"
               "progress to intake and hands decided tasks to delivery.",
    .bindings = bindings,
    .dests = dests,
    .on_tick = tracker_tick,
    .on_reload = tracker_reload,
    .on_metrics = tracker_metrics,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &tracker);
}
