/* bangdai-delivery - 统一送达: records each decided item's result, its
 * handover to the unit (in person, by post, e-licence), the unit's
 * confirmation and the statutory fees it paid; ends the service when every
 * item is handed over and confirmed. Owns result documents, handovers,
 * receipts and fees. */
#include "delivery.h"

static const struct handler handlers[] = {
    { MSG_TASK_DECIDED, HANDLE_LINK, delivery_task_decided, 0 },
    { MSG_HANDOVER, HANDLE_LINK, delivery_handover, 0 },
    { MSG_FEE, HANDLE_LINK, delivery_fee, 0 },
    { MSG_RECEIPT, HANDLE_LINK, delivery_receipt, 0 },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "delivery", handlers, ROLE_SERVICE },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "evaluation", "intake", "router", NULL };

static const struct service_def delivery = {
    .name = "delivery",
    .summary = "Records the result of every decided item, its handover to the unit and\n"
               "the unit's confirmation, and statutory fees; reminds a department of a\n"
               "result not handed over in time (行政许可法 §44); when every item of a case\n"
               "is handed over and confirmed, ends the service.",
    .bindings = bindings,
    .dests = dests,
    .on_tick = delivery_tick,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &delivery);
}
