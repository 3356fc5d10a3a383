/* states.c - the task state machine; see states.h. */
#include <string.h>

#include "states.h"

static const char *const names[TASK_STATE_COUNT] = {
    [TASK_ASSIGNED] = "ASSIGNED",
    [TASK_RECEIVED] = "RECEIVED",
    [TASK_ACCEPTED_ONSITE] = "ACCEPTED_ONSITE",
    [TASK_SUBMITTED] = "SUBMITTED",
    [TASK_SUPPLEMENT_REQUESTED] = "SUPPLEMENT_REQUESTED",
    [TASK_SUPPLEMENT_RECEIVED] = "SUPPLEMENT_RECEIVED",
    [TASK_APPROVED] = "APPROVED",
    [TASK_REJECTED] = "REJECTED",
    [TASK_CANCELLED] = "CANCELLED",
};

static const struct { const char *word; enum task_state state; } words[] = {
    { "received", TASK_RECEIVED },
    { "accepted", TASK_ACCEPTED_ONSITE },
    { "submitted", TASK_SUBMITTED },
    { "supplement", TASK_SUPPLEMENT_REQUESTED },
    { "resupplied", TASK_SUPPLEMENT_RECEIVED },
    { "approved", TASK_APPROVED },
    { "rejected", TASK_REJECTED },
};

/* moves[from][to]: the allowed moves. Cancelling is allowed from every
 * state that is not final. */
static const bool moves[TASK_STATE_COUNT][TASK_STATE_COUNT] = {
    [TASK_ASSIGNED] = { [TASK_RECEIVED] = true, [TASK_CANCELLED] = true },
    [TASK_RECEIVED] = { [TASK_ACCEPTED_ONSITE] = true, [TASK_CANCELLED] = true },
    [TASK_ACCEPTED_ONSITE] = { [TASK_SUBMITTED] = true, [TASK_CANCELLED] = true },
    [TASK_SUBMITTED] = { [TASK_SUPPLEMENT_REQUESTED] = true, [TASK_APPROVED] = true,
                         [TASK_REJECTED] = true, [TASK_CANCELLED] = true },
    [TASK_SUPPLEMENT_REQUESTED] = { [TASK_SUPPLEMENT_RECEIVED] = true, [TASK_REJECTED] = true,
                                    [TASK_CANCELLED] = true },
    [TASK_SUPPLEMENT_RECEIVED] = { [TASK_SUPPLEMENT_REQUESTED] = true, [TASK_APPROVED] = true,
                                   [TASK_REJECTED] = true, [TASK_CANCELLED] = true },
};

const char *task_state_name(enum task_state s)
{
    return (unsigned)s < TASK_STATE_COUNT ? names[s] : NULL;
}

int task_state_parse(const char *text, enum task_state *out)
{
    if (!text)
        return -1;
    for (int i = 0; i < TASK_STATE_COUNT; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (enum task_state)i;
            return 0;
        }
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(text, words[i].word) == 0) {
            *out = words[i].state;
            return 0;
        }
    return -1;
}

int task_transition(enum task_state from, enum task_state to)
{
    if ((unsigned)from >= TASK_STATE_COUNT || (unsigned)to >= TASK_STATE_COUNT)
        return -1;
    return moves[from][to] ? 0 : -1;
}

const char *task_required_field(enum task_state to)
{
    switch (to) {
    case TASK_SUBMITTED: return "reference";
    case TASK_APPROVED: return "result_doc";
    case TASK_REJECTED: return "reason";
    default: return NULL;
    }
}

bool task_state_final(enum task_state s)
{
    return s == TASK_APPROVED || s == TASK_REJECTED || s == TASK_CANCELLED;
}
