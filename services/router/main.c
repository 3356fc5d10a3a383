/* bangdai-router - turns cases into tasks, picks the specialists, and keeps
 * the department agents up to date. Owns tasks, their history, and the
 * specialists' leave set by hall management. */
#include "router.h"

static const struct handler case_handlers[] = {
    { MSG_CASE_OPENED, HANDLE_LINK, router_case_opened, ROLE_SERVICE },
    { MSG_CASE_WITHDRAWN, HANDLE_LINK, router_case_withdrawn, ROLE_SERVICE },
    { MSG_DUE_DATE, HANDLE_LINK, router_due_date, ROLE_SERVICE },
    { MSG_REMINDER, HANDLE_LINK, router_reminder, ROLE_SERVICE },
    { MSG_RECTIFY_NOTICE, HANDLE_LINK, router_rectify_notice, ROLE_SERVICE },
    { MSG_REASSIGN, HANDLE_LINK, router_reassign, ROLE_HALL_MANAGEMENT },
    { MSG_SPECIALIST_AWAY, HANDLE_LINK, router_specialist_away, ROLE_HALL_MANAGEMENT },
    { NULL, 0, NULL, 0 },
};

static const struct handler dept_handlers[] = {
    { MSG_HELLO, HANDLE_NOTICE, router_hello, 0 },
    { MSG_DEPT_UPDATE, HANDLE_LINK, router_dept_update, 0 },
    { MSG_DEPT_NOTE, HANDLE_LINK, router_dept_note, 0 },
    { MSG_TASK_LIST, HANDLE_REQUEST, router_task_list, 0 },
    { MSG_HANDOVER, HANDLE_LINK, router_handover, 0 },
    { MSG_FEE, HANDLE_LINK, router_fee, 0 },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "router", case_handlers, ROLE_SERVICE | ROLE_HALL_MANAGEMENT },
    { "router_dept", dept_handlers, ROLE_DEPARTMENT },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "tracker", "intake", "delivery", NULL };

static const struct service_def router = {
    .name = "router",
    .summary = "Makes the tasks of each case (one per approval item, a coordination task\n"
               "for the zone body, help tasks for 帮办), picks the specialists and the lead\n"
               "(主办专员), sends each task to its department's agent and applies the\n"
               "agents' updates and help-log entries; reassignment, leave and withdrawal.",
    .bindings = bindings,
    .dests = dests,
    .resolve = router_resolve,
    .on_acked = router_acked,
    .after_message = router_due_flush,
    .on_start = router_start,
    .on_stop = router_stop,
    .on_reload = router_reload,
    .on_metrics = router_metrics,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &router);
}
