/* router.h - the handlers of bangdai-router and what they share. */
#ifndef BANGDAI_ROUTER_H
#define BANGDAI_ROUTER_H

/* The final states, as SQL: a task in none of them is open (task_state_final). */
#define FINAL_STATES "('APPROVED', 'REJECTED', 'CANCELLED', 'CLOSED')"

#include "service.h"
#include "states.h"

/* CaseOpened from intake: one task per item for the item's department, a
 * coordination task for the zone body when the project lies in a zone, a
 * help task per department of a 帮办 case; a lead specialist (router_tasks.c). */
int router_case_opened(struct service *svc, const struct service_msg *m);

/* Agents acknowledged n outbox rows (service_def.on_acked): each task
 * whose TaskAssigned is among them and is still ASSIGNED is RECEIVED, all
 * in one statement (router_tasks.c). Returns SERVICE_OK or SERVICE_RETRY. */
int router_acked(struct service *svc, int n, const char *const *msg_ids, const char *const *dests,
                 const char *const *types);

/* Moves a task to `to` with its data after checking the move against the
 * task's kind and the fields the new state needs; records the history and
 * tells the tracker; closes the case's companion tasks when its last item
 * is decided. actor names who moved it. Returns SERVICE_OK, SERVICE_REFUSE
 * (unknown task, illegal move, missing field) or SERVICE_RETRY
 * (router_tasks.c). */
int router_move(struct service *svc, const char *task_id, const char *to_name,
                const char *actor, const Bangdai__DeptUpdate *data);

/* The task row as router_move and router_task_tell read it: task_id,
 * case_no, item_code, dept, specialist_id, kind, item count, delivery (0-7),
 * state, service_type, assign_msg_id, assigned day (8-11), paused_kind,
 * paused_since (12-13, "" while the clock runs). Caller PQclears; NULL
 * when the statement failed (router_tasks.c). */
PGresult *router_task_load(struct service *svc, const char *task_id, bool for_update);

/* Tells the tracker the task of row `row` of t (as router_task_load) is
 * in state, with data's fields; clock "pause" or "resume" for a pause
 * (NULL for a move). Returns SERVICE_OK or SERVICE_RETRY (router_tasks.c). */
int router_task_tell(struct service *svc, const PGresult *t, int row, const char *state,
                     const Bangdai__DeptUpdate *data, const char *clock);

/* An agent's pause (resume false) or resume of an item task's clock
 * (行政许可法 §45): checked (an open item task whose clock has started, one
 * pause at a time, a kind and a reason; a resume only of an open pause),
 * recorded in the task's history and told to the tracker. The caller has
 * checked the department owns the task. Returns SERVICE_OK, SERVICE_REFUSE
 * or SERVICE_RETRY (router_pause.c). */
int router_pause(struct service *svc, const char *task_id, const char *actor, const Bangdai__DeptUpdate *u,
                 bool resume);

/* Sends TaskAssigned for task_id (as stored) to its department's agent and
 * stores the message id as the task's assignment (router_tasks.c). */
int router_send_task(struct service *svc, const char *task_id, const char *previous,
                     const char *reason);

/* Tells the tracker a task's stored state and specialist (TaskChanged), as
 * after its creation or a reassignment (router_tasks.c). */
int router_tell_tracker(struct service *svc, const char *task_id);

/* Tells a department's agent about a task with a TaskNotice. */
/* RectifyNotice from evaluation: hands it to the department's agent as a
 * TaskNotice "rectify:KIND" (router_ops.c). */
int router_rectify_notice(struct service *svc, const struct service_msg *m);

int router_notice(struct service *svc, const char *task_id, const char *case_no,
                  const char *dept, const char *kind, const char *specialist, const char *text);

/* Tells intake an event the unit sees (lead, help log, reassignment). */
int router_case_event(struct service *svc, const char *case_no, const char *task_id,
                      const char *dept, const char *kind, const char *text,
                      const char *specialist);

/* The department a message from an agent speaks for: the department of its
 * key. NULL when the key is not a department's (router_dept.c). */
const char *router_peer_dept(const struct service_msg *m, const char *claimed);

/* Checks that task_id is a task of dept; SERVICE_OK, or the refusal
 * (forbidden naming the key or the task, not_found). The task's kind goes
 * to kind_out (at least 16 bytes) when not NULL (router_dept.c). */
int router_own_task(struct service *svc, const char *task_id, const char *dept, char *kind_out);

/* Handover and Fee from agents: checked (the key's department owns the
 * item task; a handover of a decided task, once, with its method's fields;
 * a fee only for an item whose catalog entry has a statutory fee, amount,
 * payee and day), recorded in the task's history and forwarded to
 * delivery (router_delivery.c). */
int router_handover(struct service *svc, const struct service_msg *m);
int router_fee(struct service *svc, const struct service_msg *m);

/* Hello, DeptUpdate, DeptNote and TaskListRequest from agents (router_dept.c). */
int router_hello(struct service *svc, const struct service_msg *m);
int router_dept_update(struct service *svc, const struct service_msg *m);
int router_dept_note(struct service *svc, const struct service_msg *m);
int router_task_list(struct service *svc, const struct service_msg *m);

/* Outbox destination "dept:<code>": the agent's socket and identity. */
int router_resolve(struct service *svc, const char *dest, zsock_t **sock, zframe_t **identity);

/* on_metrics: which departments' agents are connected (heard from within
 * the last few seconds), and how many. Returns 0. */
int router_metrics(struct service *svc, struct metrics_text *out);

/* From hall management, intake and tracker (router_ops.c). */
int router_reassign(struct service *svc, const struct service_msg *m);
int router_specialist_away(struct service *svc, const struct service_msg *m);
int router_case_withdrawn(struct service *svc, const struct service_msg *m);
/* DueDate from the tracker, once per part of the envelope: checks the
 * part (a refusal names the field at fault) and keeps it, decoded, for
 * router_due_flush. */
int router_due_date(struct service *svc, const struct service_msg *m);

/* service_def.after_message: writes the due dates router_due_date kept, the
 * parts of distinct tasks in one statement, and tells the specialists of
 * the ones a revised calendar moved, in the parts' order; forgets them when
 * rc is not SERVICE_OK. Returns rc, or SERVICE_RETRY. */
int router_due_flush(struct service *svc, int rc);

/* Frees what router_due_flush keeps between messages (on_stop). */
void router_due_free(void);

/* Reminder from the tracker: to the task's department agent as a
 * TaskNotice (kind warn, due, overdue or escalation:LEVEL). */
int router_reminder(struct service *svc, const struct service_msg *m);

int router_start(struct service *svc);
void router_stop(struct service *svc);
/* on_reload (SIGHUP): rebuilds the table of agents for fresh's
 * departments, keeping where each was heard from unless its department's
 * keys changed. Returns 0, or -1 when out of memory (logged). */
int router_reload(struct service *svc, const struct config *fresh);

/* A JSON array of the strings (json_escape'd). Caller frees. NULL when out
 * of memory (router_tasks.c). */
char *router_json_array(char *const *items, size_t n);

#endif
