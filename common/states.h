/* states.h - the task state machine, one table of allowed moves.
 *
 * ASSIGNED -> RECEIVED (the agent stored it) -> ACCEPTED_ONSITE (上门受理)
 * -> SUBMITTED (uploaded; the approval system's reference is required)
 * -> SUPPLEMENT_REQUESTED <-> SUPPLEMENT_RECEIVED -> APPROVED (result
 * document required) or REJECTED (reason required); CANCELLED on withdrawal.
 * APPROVED, REJECTED and CANCELLED are final.
 *
 * Adding a state: add it to the enum and to names[] and moves[] in
 * states.c, to the CLI words of bangdai-dept (services/dept), and to the
 * tracker's handling of TaskChanged if it stops or restarts the clock.
 */
#ifndef BANGDAI_STATES_H
#define BANGDAI_STATES_H

#include <stdbool.h>

enum task_state {
    TASK_ASSIGNED,
    TASK_RECEIVED,
    TASK_ACCEPTED_ONSITE,
    TASK_SUBMITTED,
    TASK_SUPPLEMENT_REQUESTED,
    TASK_SUPPLEMENT_RECEIVED,
    TASK_APPROVED,
    TASK_REJECTED,
    TASK_CANCELLED,
    TASK_STATE_COUNT
};

/* "ASSIGNED", ...; NULL for an out-of-range value. */
const char *task_state_name(enum task_state s);

/* Parses a stored name ("SUBMITTED") or a command word of bangdai-dept
 * ("submitted", "accepted", "supplement", "resupplied", "approved",
 * "rejected", "received"). Returns 0 or -1. */
int task_state_parse(const char *text, enum task_state *out);

/* 0 when from -> to is an allowed move, -1 when not. */
int task_transition(enum task_state from, enum task_state to);

/* The field a move into `to` must carry ("reference", "result_doc",
 * "reason"), or NULL when none. */
const char *task_required_field(enum task_state to);

bool task_state_final(enum task_state s);

#endif
