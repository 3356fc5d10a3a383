/* rectify.c - the rectification state machine: names and the table of
 * allowed moves (rectify.h). */
#include <string.h>

#include "config.h"
#include "rectify.h"

static const char *const state_names[RECT_STATE_COUNT] = {
    [RECT_VERIFYING] = "verifying",
    [RECT_RECTIFYING] = "rectifying",
    [RECT_EXPLAINED] = "explained",
    [RECT_RECTIFIED] = "rectified",
    [RECT_FED_BACK] = "fed_back",
    [RECT_APPEALED] = "appealed",
    [RECT_APPEAL_UPHELD] = "appeal_upheld",
    [RECT_APPEAL_REJECTED] = "appeal_rejected",
};

static const char *const event_names[RECT_EVENT_COUNT] = {
    [RECT_EV_VERIFY] = "verify",
    [RECT_EV_DONE] = "done",
    [RECT_EV_EXPLAIN] = "explain",
    [RECT_EV_FEEDBACK] = "feedback",
    [RECT_EV_APPEAL] = "appeal",
    [RECT_EV_UPHOLD] = "uphold",
    [RECT_EV_REJECT] = "reject",
};

/* moves[state][event]: the next state plus one, 0 where not allowed. */
#define TO(s) ((s) + 1)
static const unsigned char moves[RECT_STATE_COUNT][RECT_EVENT_COUNT] = {
    [RECT_VERIFYING] = {
        [RECT_EV_VERIFY] = TO(RECT_RECTIFYING),
        [RECT_EV_APPEAL] = TO(RECT_APPEALED),
    },
    [RECT_RECTIFYING] = {
        [RECT_EV_DONE] = TO(RECT_RECTIFIED),
        [RECT_EV_EXPLAIN] = TO(RECT_EXPLAINED),
        [RECT_EV_APPEAL] = TO(RECT_APPEALED),
    },
    [RECT_RECTIFIED] = { [RECT_EV_FEEDBACK] = TO(RECT_FED_BACK) },
    [RECT_EXPLAINED] = { [RECT_EV_FEEDBACK] = TO(RECT_FED_BACK) },
    [RECT_APPEALED] = {
        [RECT_EV_UPHOLD] = TO(RECT_APPEAL_UPHELD),
        [RECT_EV_REJECT] = TO(RECT_APPEAL_REJECTED),
    },
    [RECT_APPEAL_REJECTED] = {
        [RECT_EV_DONE] = TO(RECT_RECTIFIED),
        [RECT_EV_EXPLAIN] = TO(RECT_EXPLAINED),
    },
};

const char *rectify_state_name(enum rectify_state s)
{
    return (unsigned)s < RECT_STATE_COUNT ? state_names[s] : "?";
}

int rectify_state_parse(const char *name, enum rectify_state *out)
{
    for (int i = 0; name && i < RECT_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum rectify_state)i;
            return 0;
        }
    return -1;
}

const char *rectify_event_name(enum rectify_event e)
{
    return (unsigned)e < RECT_EVENT_COUNT ? event_names[e] : "?";
}

int rectify_event_parse(const char *name, enum rectify_event *out)
{
    for (int i = 0; name && i < RECT_EVENT_COUNT; i++)
        if (strcmp(name, event_names[i]) == 0) {
            *out = (enum rectify_event)i;
            return 0;
        }
    return -1;
}

int rectify_move(enum rectify_state s, enum rectify_event e, enum rectify_state *next)
{
    if ((unsigned)s >= RECT_STATE_COUNT || (unsigned)e >= RECT_EVENT_COUNT || !moves[s][e])
        return -1;
    *next = (enum rectify_state)(moves[s][e] - 1);
    return 0;
}

unsigned rectify_event_roles(enum rectify_event e)
{
    switch (e) {
    case RECT_EV_DONE:
    case RECT_EV_EXPLAIN:
    case RECT_EV_APPEAL:
        return ROLE_DEPARTMENT;
    case RECT_EV_VERIFY:
    case RECT_EV_FEEDBACK:
    case RECT_EV_UPHOLD:
    case RECT_EV_REJECT:
        return ROLE_HALL_MANAGEMENT;
    default:
        return 0;
    }
}

bool rectify_is_final(enum rectify_state s)
{
    return s == RECT_FED_BACK || s == RECT_APPEAL_UPHELD;
}

bool rectify_is_chased(enum rectify_state s)
{
    return s == RECT_VERIFYING || s == RECT_RECTIFYING || s == RECT_APPEAL_REJECTED;
}
