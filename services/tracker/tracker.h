/* tracker.h - the handlers of bangdai-tracker. */
#ifndef BANGDAI_TRACKER_H
#define BANGDAI_TRACKER_H

#include "service.h"

/* TaskChanged from the router: start or restart the clock, report the
 * progress to intake, and pass a decision on to delivery (tracker_deadline.c). */
int tracker_task_changed(struct service *svc, const struct service_msg *m);

#endif
