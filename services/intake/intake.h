/* intake.h - the handlers of bangdai-intake. */
#ifndef BANGDAI_INTAKE_H
#define BANGDAI_INTAKE_H

#include "service.h"

/* SubmitRequest from the hall: validate, store the case and open it to the
 * router in one transaction; reply with the case number (intake_submit.c). */
int intake_submit(struct service *svc, const struct service_msg *m);

/* StatusRequest from the hall: the case and its tasks (intake_status.c). */
int intake_status(struct service *svc, const struct service_msg *m);

/* Progress from tracker, delivery and evaluation: what the hall will see
 * of each task and of the case (intake_status.c). */
int intake_progress(struct service *svc, const struct service_msg *m);

/* WithdrawRequest from the hall: the case is withdrawn and the router told
 * to cancel its open tasks (intake_submit.c). */
int intake_withdraw(struct service *svc, const struct service_msg *m);

/* CaseEvent from the router: the lead specialist, help-log entries,
 * reassignments, shown by status (intake_status.c). */
int intake_case_event(struct service *svc, const struct service_msg *m);

#endif
