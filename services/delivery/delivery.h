/* delivery.h - the handlers of bangdai-delivery and what they share. */
#ifndef BANGDAI_DELIVERY_H
#define BANGDAI_DELIVERY_H

#include "service.h"

/* TaskDecided from the tracker: record the result; the item now waits for
 * its handover (delivery_results.c). */
int delivery_task_decided(struct service *svc, const struct service_msg *m);

/* Handover from the router (checked there): record how the result reached
 * the unit; deferred while the decision has not arrived from the tracker
 * (delivery_handover.c). */
int delivery_handover(struct service *svc, const struct service_msg *m);

/* ReceiptRequest from intake: the unit confirms receipt, or downloaded an
 * e-licence; may end the service (delivery_handover.c). */
int delivery_receipt(struct service *svc, const struct service_msg *m);

/* Fee from the router (checked there against the catalog): a statutory fee
 * the unit paid (delivery_handover.c). */
int delivery_fee(struct service *svc, const struct service_msg *m);

/* Tells intake how task_id's result reached the unit, as Progress in
 * state (HANDED_OVER or DELIVERED), with the handover written for people
 * from the stored row. Returns SERVICE_OK or SERVICE_RETRY
 * (delivery_handover.c). */
int delivery_tell_intake(struct service *svc, const char *task_id, const char *state);

/* Ends case_no's service when every item of it is confirmed and it has not
 * ended yet: ServiceEnded to evaluation, exactly once (delivery.cases.ended_at
 * guards it). Returns SERVICE_OK or SERVICE_RETRY (delivery_handover.c). */
int delivery_end_if_done(struct service *svc, const char *case_no);

/* About once a second: the scan of handovers overdue (行政许可法 §44:
 * a Reminder to the router) and of handovers not confirmed within
 * delivery.confirm_days (auto-confirmed) (delivery_scan.c). */
void delivery_tick(struct service *svc);

#endif
