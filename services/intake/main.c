/* bangdai-intake - the front door: the hall's submits, queries and
 * withdrawals, and the progress that the later stages report back. Owns
 * projects and cases, and publishes every change it records on the
 * progress feed (intake_feed.c). */
#include "intake.h"

static const struct handler hall_handlers[] = {
    { MSG_SUBMIT, HANDLE_REQUEST, intake_submit, ROLE_HALL },
    { MSG_STATUS, HANDLE_REQUEST, intake_status, ROLE_HALL | ROLE_HALL_MANAGEMENT },
    { MSG_WITHDRAW, HANDLE_REQUEST, intake_withdraw, ROLE_HALL },
    { MSG_PROGRESS, HANDLE_LINK, intake_progress, ROLE_SERVICE },
    { MSG_CASE_EVENT, HANDLE_LINK, intake_case_event, ROLE_SERVICE },
    { MSG_FEED, HANDLE_REQUEST, intake_feed, ROLE_HALL | ROLE_HALL_MANAGEMENT },
    { MSG_RECEIPT, HANDLE_REQUEST, intake_receipt, ROLE_HALL },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "intake", hall_handlers, ROLE_HALL | ROLE_HALL_MANAGEMENT | ROLE_SERVICE },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "router", "delivery", NULL };

static const struct service_def intake = {
    .name = "intake",
    .summary = "Takes the online hall's applications, status queries and withdrawals,\n"
               "stores each case, opens it to the router and tells the hall its expected\n"
               "completion; passes the unit's receipts on to delivery; receives every\n"
               "stage's progress and the router's case events, and publishes every change\n"
               "on the progress feed (endpoints.feed, bangdai-hall watch).",
    .bindings = bindings,
    .dests = dests,
    .feed = "feed",
    .after_message = intake_after_message,
    .on_stop = intake_stop,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &intake);
}
