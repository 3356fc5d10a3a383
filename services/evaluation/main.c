/* bangdai-evaluation - the evaluation (事后评价): opens the return visit
 * (回访) when a service ends, takes the ratings (好差评: the unit's through
 * the hall, hall management's at the return visit), runs the rectification
 * of every 差评 and escalates an overdue one. Owns return visits, ratings
 * and rectifications. */
#include "evaluation.h"

/* The binding lets every configured key in; each handler says whose
 * messages it takes (the daemons', the hall's, hall management's, the
 * departments'; a department's key only for its own rectifications). */
static const struct handler handlers[] = {
    { MSG_SERVICE_ENDED, HANDLE_LINK, evaluation_service_ended, ROLE_SERVICE },
    { MSG_TASK_DECIDED, HANDLE_LINK, evaluation_task_decided, ROLE_SERVICE },
    { MSG_RATE, HANDLE_REQUEST, evaluation_rate, ROLE_HALL | ROLE_HALL_MANAGEMENT },
    { MSG_VISIT_LIST, HANDLE_REQUEST, evaluation_visit_list, ROLE_HALL_MANAGEMENT },
    { MSG_RECTIFY, HANDLE_REQUEST, evaluation_rectify, ROLE_HALL_MANAGEMENT | ROLE_DEPARTMENT },
    { MSG_RECTIFY_LIST, HANDLE_REQUEST, evaluation_rectify_list, ROLE_HALL_MANAGEMENT },
    { NULL, 0, NULL, 0 },
};

static const struct binding bindings[] = {
    { "evaluation", handlers, ROLE_SERVICE | ROLE_HALL | ROLE_HALL_MANAGEMENT | ROLE_DEPARTMENT },
    { NULL, NULL, 0 },
};

static const char *const dests[] = { "intake", "router", NULL };

static const struct service_def evaluation = {
    .name = "evaluation",
    .summary = "Opens the return visit (回访) when a service ends; takes the ratings\n"
               "(好差评) of the unit and of the return visit; runs the rectification of\n"
               "every 差评 (verification, rectification or explanation, feedback, appeal)\n"
               "and escalates an overdue one.",
    .bindings = bindings,
    .dests = dests,
    .on_tick = evaluation_escalate_tick,
};

int main(int argc, char **argv)
{
    return service_main(argc, argv, &evaluation);
}
