/* rectify.h - the rectification (整改) of a 差评, its state machine.
 *
 * A 差评 (不满意, 非常不满意) opens a rectification for the department of the
 * specialist it is attributed to, VERIFYING. Each step is one event; who
 * may send it is fixed here (rectify_event_roles):
 *
 *   VERIFYING  -verify (hall management: the return visit's finding)->  RECTIFYING
 *   RECTIFYING -done (department: what was rectified)->                 RECTIFIED
 *   RECTIFYING -explain (department: no legal basis, why)->             EXPLAINED
 *   RECTIFIED, EXPLAINED -feedback (hall management: told the unit)->   FED_BACK (final)
 *   VERIFYING, RECTIFYING -appeal (department: mistaken, malicious)->   APPEALED
 *   APPEALED   -uphold (hall management)->  APPEAL_UPHELD (final; the rating is
 *                                           excluded from assessment)
 *   APPEALED   -reject (hall management)->  APPEAL_REJECTED, which the
 *              department then rectifies (done) or explains like RECTIFYING
 *
 * The due date (evaluation.rectify_days working days from the 差评) is
 * chased while the rectification is VERIFYING, RECTIFYING or
 * APPEAL_REJECTED (rectify_is_chased); an appeal waiting for hall
 * management's decision is not the department's delay.
 *
 * Adding a state: the enum and names[] in rectify.c, the moves table, the
 * CHECK of evaluation.rectifications (deploy/sql/011_evaluation.sql),
 * README.md (Evaluation) and docs/PROTOCOL.md (Rectification).
 */
#ifndef BANGDAI_RECTIFY_H
#define BANGDAI_RECTIFY_H

#include <stdbool.h>

enum rectify_state {
    RECT_VERIFYING,
    RECT_RECTIFYING,
    RECT_EXPLAINED,
    RECT_RECTIFIED,
    RECT_FED_BACK,
    RECT_APPEALED,
    RECT_APPEAL_UPHELD,
    RECT_APPEAL_REJECTED,
    RECT_STATE_COUNT
};

enum rectify_event {
    RECT_EV_VERIFY,
    RECT_EV_DONE,
    RECT_EV_EXPLAIN,
    RECT_EV_FEEDBACK,
    RECT_EV_APPEAL,
    RECT_EV_UPHOLD,
    RECT_EV_REJECT,
    RECT_EVENT_COUNT
};

/* The state's name as stored ("verifying", ...); "?" out of range. */
const char *rectify_state_name(enum rectify_state s);

/* Parses a stored name; 0, or -1 when it is none of them. */
int rectify_state_parse(const char *name, enum rectify_state *out);

/* The event's name as a step is recorded ("verify", ..., "uphold", "reject"). */
const char *rectify_event_name(enum rectify_event e);

/* Parses an event name; 0, or -1. */
int rectify_event_parse(const char *name, enum rectify_event *out);

/* The state event leads to from s: 0 and *next set, or -1 when the move is
 * not allowed (*next untouched). */
__attribute__((warn_unused_result))
int rectify_move(enum rectify_state s, enum rectify_event e, enum rectify_state *next);

/* The key roles (enum key_role bits) that may send e. */
unsigned rectify_event_roles(enum rectify_event e);

/* Whether nothing can follow s. */
bool rectify_is_final(enum rectify_state s);

/* Whether the due date is chased (and escalated) in s. */
bool rectify_is_chased(enum rectify_state s);

#endif
