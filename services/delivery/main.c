/* bangdai-delivery - records each decided item's result document and how
 * it reached the unit; ends the service when every task is delivered.
 * Owns result documents and delivery records. */
#include "delivery.h"

static const struct handler handlers[] = {
    { MSG_TASK_DECIDED, HANDLE_LINK, delivery_task_decided, 0 },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "delivery", handlers, ROLE_SERVICE },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "evaluation", "intake", NULL };

static const struct service_def delivery = {
    .name = "delivery",
    .summary = "Records the result document of every decided task and its delivery to\n"
               "the unit; when every task of a case is delivered, ends the service.",
    .bindings = bindings,
    .dests = dests,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &delivery);
}
