/* evaluation.h - the handlers of bangdai-evaluation. */
#ifndef BANGDAI_EVALUATION_H
#define BANGDAI_EVALUATION_H

#include "service.h"

/* ServiceEnded from delivery: open the return visit, due within the
 * configured working days, and tell intake (evaluation_visits.c). */
int evaluation_service_ended(struct service *svc, const struct service_msg *m);

#endif
