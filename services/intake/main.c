/* bangdai-intake - the front door: the hall's submits, queries and the
 * progress that the later stages report back. Owns projects and cases. */
#include "intake.h"

static const struct handler hall_handlers[] = {
    { MSG_SUBMIT, HANDLE_REQUEST, intake_submit },
    { MSG_STATUS, HANDLE_REQUEST, intake_status },
    { MSG_PROGRESS, HANDLE_LINK, intake_progress },
    { NULL, 0, NULL },
};

static const struct binding bindings[] = {
    { "intake", hall_handlers },
    { NULL, NULL },
};

static const char *const dests[] = { "router", NULL };

static const struct service_def intake = {
    .name = "intake",
    .summary = "Takes applications from the online hall, stores each case and opens it\n"
               "to the router; answers the hall's status queries.",
    .bindings = bindings,
    .dests = dests,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &intake);
}
