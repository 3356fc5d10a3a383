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
 * of each task and of the case. Checks the part and keeps it; the kept
 * parts of a message are applied together, in one statement, when that
 * gives what applying them one by one gives, at the latest by
 * intake_after_message (intake_progress.c). */
int intake_progress(struct service *svc, const struct service_msg *m);

/* What intake gathers across the parts of one message until its
 * after_message (the service's state): the task reports not yet applied
 * (intake_progress.c) and the feed events not yet recorded (intake_feed.c). */
struct intake_pending {
    struct progress_queue *progress;
    struct feed_queue *feed;
};

/* The service's intake_pending, made on first use; NULL when out of
 * memory. Owned by the service; intake_stop frees it (intake_progress.c). */
struct intake_pending *intake_pending(struct service *svc);

/* service_def.after_message: applies the Progress parts still kept, then
 * records the feed events (intake_feed_flush); when rc is not SERVICE_OK,
 * forgets both. Returns rc, SERVICE_RETRY, or the refusal of a Progress
 * about an unknown case (intake_progress.c). */
int intake_after_message(struct service *svc, int rc);

/* service_def.on_stop: frees what intake_pending holds (intake_progress.c). */
void intake_stop(struct service *svc);

/* ReceiptRequest from the hall: the unit confirms receipt of handed-over
 * results or downloaded an e-licence; checked, forwarded to delivery,
 * answered with the tasks it covers (intake_receipt.c). */
int intake_receipt(struct service *svc, const struct service_msg *m);

/* WithdrawRequest from the hall: the case is withdrawn and the router told
 * to cancel its open tasks (intake_submit.c). */
int intake_withdraw(struct service *svc, const struct service_msg *m);

/* CaseEvent from the router: the lead specialist, help-log entries,
 * reassignments, shown by status (intake_status.c). */
int intake_case_event(struct service *svc, const struct service_msg *m);

/* Numbers ev in its case (ev->seq), records it in feed_events and queues
 * it for the progress feed, sent after the commit. ev->case_state is set
 * from the case as this transaction leaves it; ev->at_us 0 means now.
 * Returns SERVICE_OK or SERVICE_RETRY (intake_feed.c). */
int intake_feed_record(struct service *svc, Bangdai__FeedEvent *ev);

/* Keeps a copy of ev (a task report's event) to be recorded with the
 * message's other events by intake_feed_flush: one statement for all the
 * task reports of a Progress envelope. Returns SERVICE_OK or
 * SERVICE_RETRY (intake_feed.c). */
int intake_feed_queue(struct service *svc, const Bangdai__FeedEvent *ev);

/* Part of intake_after_message: records the events intake_feed_queue kept
 * for the message, numbered in order in their case, in one statement per
 * case, each with the case's state as the transaction leaves it, and
 * queues them for the progress feed as intake_feed_record does; forgets
 * them when rc is not SERVICE_OK. Returns rc or SERVICE_RETRY. */
int intake_feed_flush(struct service *svc, int rc);

/* Part of intake_stop: frees what intake_feed_queue kept (intake_feed.c). */
void intake_feed_free(struct service *svc);

/* FeedRequest from the hall: a page of the feed's record of one case
 * (intake_feed.c). */
int intake_feed(struct service *svc, const struct service_msg *m);

/* The expectation of a case given when it was submitted (intake_forecast.c). */
struct intake_expected {
    char completion[11];        /* YYYY-MM-DD, or "" while pending */
    char latest[11];            /* the same with the 90th percentiles */
    int pending_year;           /* not 0: completion needs this year's calendar */
    char basis[200];
};

/* Counts the expected completion of a case of items (n catalog codes,
 * items_literal the same as a PostgreSQL text array) submitted today (the
 * business day) into *out. Returns SERVICE_OK or SERVICE_RETRY. */
int intake_forecast(struct service *svc, char *const *items, size_t n, const char *items_literal,
                    struct intake_expected *out);

/* Records the decision of p's item task (APPROVED or REJECTED on the day
 * on, YYYY-MM-DD) in its item_clock row, whose start (its first report, or
 * the day of 受理: intake_progress.c stores it) is started, with the
 * working days it took (intake_forecast.c). Returns SERVICE_OK or
 * SERVICE_RETRY. */
int intake_item_decided(struct service *svc, const Bangdai__Progress *p, const char *started, const char *on);

#endif
