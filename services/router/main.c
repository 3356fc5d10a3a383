/* bangdai-router - turns cases into tasks, picks the specialists, and keeps
 * the department agents up to date. Owns tasks and their history. */
#include "router.h"

static const struct handler case_handlers[] = {
    { MSG_CASE_OPENED, HANDLE_LINK, router_case_opened },
    { NULL, 0, NULL },
};

static const struct handler dept_handlers[] = {
    { MSG_HELLO, HANDLE_NOTICE, router_hello },
    { MSG_DEPT_UPDATE, HANDLE_LINK, router_dept_update },
    { NULL, 0, NULL },
};

static const struct binding bindings[] = {
    { "router", case_handlers },
    { "router_dept", dept_handlers },
    { NULL, NULL },
};

static const char *const dests[] = { "tracker", NULL };

static const struct service_def router = {
    .name = "router",
    .summary = "Creates one task per approval item of each case, assigns it to a\n"
               "specialist of the item's department and delivers it to that department's agent.",
    .bindings = bindings,
    .dests = dests,
    .resolve = router_resolve,
    .on_acked = router_acked,
    .on_start = router_start,
    .on_stop = router_stop,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &router);
}
