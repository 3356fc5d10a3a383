/* router.h - the handlers of bangdai-router. */
#ifndef BANGDAI_ROUTER_H
#define BANGDAI_ROUTER_H

#include "service.h"

/* CaseOpened from intake: one task per item, each with a specialist of the
 * item's department, sent to that department's agent (router_tasks.c). */
int router_case_opened(struct service *svc, const struct service_msg *m);

/* An agent acknowledged a TaskAssigned: the task is RECEIVED (router_tasks.c). */
int router_acked(struct service *svc, const char *msg_id, const char *dest, const char *type);

/* Moves a task to `to` with its data, records the history and tells the
 * tracker. Returns SERVICE_OK, SERVICE_REFUSE (illegal move, missing field)
 * or SERVICE_RETRY (router_tasks.c). */
int router_move(struct service *svc, const char *task_id, const char *to_name,
                const char *actor, const Bangdai__DeptUpdate *data);

/* Hello from an agent: remember where its department is (router_dept.c). */
int router_hello(struct service *svc, const struct service_msg *m);

/* DeptUpdate from an agent: progress of one of its tasks (router_dept.c). */
int router_dept_update(struct service *svc, const struct service_msg *m);

/* Outbox destination "dept:<code>": the agent's socket and identity. */
int router_resolve(struct service *svc, const char *dest, zsock_t **sock, zframe_t **identity);

int router_start(struct service *svc);
void router_stop(struct service *svc);

#endif
