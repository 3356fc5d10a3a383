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
    .summary = "Keeps the promised and statutory deadline of every item in working days\n"
               "(the calendar, pauses), reports progress to intake, passes decisions on to\n"
               "delivery, sends the reminders and escalations (催办) and answers\n"
               "bangdaictl board and calendar check|apply.",
    .bindings = bindings,
    .dests = dests,
    .after_message = tracker_flush,
    .on_tick = tracker_tick,
    .on_stop = tracker_stop,
    .on_reload = tracker_reload,
    .on_metrics = tracker_metrics,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &tracker);
}
