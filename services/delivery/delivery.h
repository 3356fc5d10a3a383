/* delivery.h - the handlers of bangdai-delivery. */
#ifndef BANGDAI_DELIVERY_H
#define BANGDAI_DELIVERY_H

#include "service.h"

/* TaskDecided from the tracker: record the result and its delivery; end the
 * service when it was the case's last task (delivery_results.c). */
int delivery_task_decided(struct service *svc, const struct service_msg *m);

#endif
