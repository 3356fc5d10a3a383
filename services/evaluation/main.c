/* bangdai-evaluation - opens the return visit (回访) when a service ends;
 * later: ratings, rectification and staff assessment. Owns return visits. */
#include "evaluation.h"

static const struct handler handlers[] = {
    { MSG_SERVICE_ENDED, HANDLE_LINK, evaluation_service_ended, 0 },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "evaluation", handlers, ROLE_SERVICE },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "intake", NULL };

static const struct service_def evaluation = {
    .name = "evaluation",
    .summary = "Opens the hall management's return visit when a case's service ends.",
    .bindings = bindings,
    .dests = dests,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &evaluation);
}
