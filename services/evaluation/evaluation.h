/* evaluation.h - the handlers of bangdai-evaluation: return visits
 * (evaluation_visits.c), ratings (evaluation_ratings.c), rectification of
 * a 差评 (evaluation_rectify.c) and its escalation (evaluation_escalate.c). */
#ifndef BANGDAI_EVALUATION_H
#define BANGDAI_EVALUATION_H

#include "service.h"

/* TaskDecided from the tracker: remember who served the item. */
int evaluation_task_decided(struct service *svc, const struct service_msg *m);

/* ServiceEnded from delivery: open the return visit, due within the
 * configured working days, and tell intake; deferred until every item of
 * the case is known (TaskDecided). */
int evaluation_service_ended(struct service *svc, const struct service_msg *m);

/* VisitListRequest (hall management): the pending return visits. */
int evaluation_visit_list(struct service *svc, const struct service_msg *m);

/* RateRequest (the hall; hall management for the return visit). */
int evaluation_rate(struct service *svc, const struct service_msg *m);

/* Opens the rectification of the 差评 rating_id (evaluation_rectify.c):
 * due in rectify_days working days from today, the department told.
 * Stores its id in *id. SERVICE_OK or SERVICE_RETRY. */
int evaluation_rectify_open(struct service *svc, long long rating_id, const char *case_no,
                            const char *task_id, const char *dept, const char *specialist,
                            const char *level, const char *actor, long long *id);

/* RectifyRequest: one step (hall management or the department). */
int evaluation_rectify(struct service *svc, const struct service_msg *m);

/* RectifyListRequest (hall management). */
int evaluation_rectify_list(struct service *svc, const struct service_msg *m);

/* Tells the department through the router (RectifyNotice). */
int evaluation_notice(struct service *svc, long long id, const char *case_no, const char *task_id,
                      const char *dept, const char *specialist, const char *kind,
                      const char *level, const char *holder, const char *text);

/* on_tick: the escalation scan of overdue rectifications. */
void evaluation_escalate_tick(struct service *svc);

/* "YYYY-MM-DD" of today's business day. */
void evaluation_today(char out[11]);

#endif
