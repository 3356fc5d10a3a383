/* states.h - the task state machine, one table of allowed moves per kind.
 *
 * An item task of a 代办 (agency) case:
 *   ASSIGNED -> RECEIVED (the agent stored it) -> ACCEPTED_ONSITE (上门受理:
 *   when and where required, materials checked) -> SUBMITTED (the approval
 *   system's reference required) -> SUPPLEMENT_REQUESTED (what is missing
 *   required) <-> SUPPLEMENT_RECEIVED -> APPROVED (result document and its
 *   kind required) or REJECTED (reason required).
 * An item task of a 帮办 (help) case is the same, except that the unit files
 * by itself: RECEIVED -> SUBMITTED directly, no on-site acceptance.
 * A coordination task (the zone body's liaison) and a help task (the
 * specialist's help log of one department) go ASSIGNED -> RECEIVED ->
 * CLOSED, the router closing them when every item of the case is decided,
 * from ASSIGNED too when their agent never acknowledged them.
 * Every task can be CANCELLED (withdrawal) until it is final.
 *
 * Adding a state: add it to the enum and to names[], the move tables and
 * required[] in states.c, to the CLI words of bangdai-dept (services/dept),
 * and to the tracker's handling of TaskChanged if it stops or restarts the
 * clock.
 */
#ifndef BANGDAI_STATES_H
#define BANGDAI_STATES_H

#include <stdbool.h>
#include <stddef.h>

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
    TASK_CLOSED,
    TASK_STATE_COUNT
};

enum task_kind {
    KIND_AGENCY_ITEM,           /* an approval item handled for the unit (代办) */
    KIND_HELP_ITEM,             /* an approval item the unit files itself (帮办) */
    KIND_COORDINATION,          /* the zone body's liaison coordinates the case */
    KIND_HELP,                  /* one department's help log of a 帮办 case */
    TASK_KIND_COUNT
};

/* Why a task's clock stands still (行政许可法 §45, and 补正). 补正 is the
 * state SUPPLEMENT_REQUESTED; the others a department records with
 * `bangdai-dept pause TASK --kind KIND` and ends with `resume`. The catalog
 * may limit each of the four (items[].pause_limits); the unit's own time
 * for 补正 has no limit. Adding a kind: here, names[] in states.c, the
 * CHECK of tracker.pauses (deploy/sql), README.md (bangdai-dept pause). */
enum pause_kind {
    PAUSE_SUPPLEMENT,           /* 补正: the unit supplements its materials */
    PAUSE_EXPERT_REVIEW,        /* 专家评审 */
    PAUSE_HEARING,              /* 听证 */
    PAUSE_INSPECTION,           /* 检验、检测、检疫 */
    PAUSE_APPRAISAL,            /* 鉴定 */
    PAUSE_KIND_COUNT
};

/* "supplement", "expert_review", "hearing", "inspection", "appraisal";
 * NULL for an out-of-range value. */
const char *pause_kind_name(enum pause_kind k);

/* The kind's name for the unit: 补正, 专家评审, 听证, 检验检测检疫, 鉴定. */
const char *pause_kind_label(enum pause_kind k);

/* Parses a kind name. Returns 0 or -1. */
int pause_kind_parse(const char *text, enum pause_kind *out);

/* "ASSIGNED", ...; NULL for an out-of-range value. */
const char *task_state_name(enum task_state s);

/* Parses a stored name ("SUBMITTED") or a command word of bangdai-dept
 * ("accepted", "submitted", "supplement", "resupplied", "approved",
 * "rejected"). Returns 0 or -1. */
int task_state_parse(const char *text, enum task_state *out);

/* Parses only the command words an agent may send ("accepted",
 * "submitted", "supplement", "resupplied", "approved", "rejected"): the
 * other states are reached by the router itself (RECEIVED on the agent's
 * acknowledgement, CANCELLED on withdrawal, CLOSED with the case). Returns
 * 0 or -1. */
int task_state_parse_word(const char *word, enum task_state *out);

/* The stored kind names: "item" (both item kinds), "coordination", "help". */
const char *task_kind_name(enum task_kind k);

/* The kind of a task from its stored kind name and the case's service type
 * ("agency" or "help"). Returns 0 or -1. */
int task_kind_parse(const char *kind, const char *service_type, enum task_kind *out);

/* 0 when from -> to is an allowed move for a task of this kind, -1 when not. */
int task_transition(enum task_kind kind, enum task_state from, enum task_state to);

/* The fields a move into `to` must carry, as a NULL-terminated list of the
 * DeptUpdate field names ("when", "where", "reference", "missing",
 * "result_doc", "result_kind", "reason"); never NULL. */
const char *const *task_required_fields(enum task_state to);

bool task_state_final(enum task_state s);

/* The case number in a task id: the router numbers a case's tasks
 * CASE-T<n> (items), CASE-C1 (coordination) and CASE-H<n> (帮办 help), so
 * it is the id without its last part. Writes it into out (len bytes) and
 * returns out, or returns NULL (out empty) when task_id is not shaped so,
 * for log lines that have a task id in hand but not its case. */
const char *task_case_no(const char *task_id, char *out, size_t len);

/* The states of a case as intake holds them: SUBMITTED, IN_PROGRESS (from
 * its first task report), RETURN_VISIT_OPEN (every item delivered: the
 * service has ended and evaluation calls the unit back), WITHDRAWN; CLOSED
 * is kept for a case closed for good. Whether state is one of the final
 * ones (RETURN_VISIT_OPEN, WITHDRAWN, CLOSED), after which no task of the
 * case moves again. */
bool case_state_final(const char *state);

#endif
