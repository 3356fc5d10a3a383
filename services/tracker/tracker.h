/* tracker.h - the handlers of bangdai-tracker. */
#ifndef BANGDAI_TRACKER_H
#define BANGDAI_TRACKER_H

#include "service.h"

/* TaskChanged from the router: start or restart the clock, report the
 * progress to intake, and pass a decision on to delivery (tracker_deadline.c). */
int tracker_task_changed(struct service *svc, const struct service_msg *m);

/* CalendarApply from hall management: recompute (or, as a check, list) the
 * open deadlines that are pending or of an older calendar version, with
 * the calendar of the configuration file as it is now (tracker_calendar.c). */
int tracker_calendar_apply(struct service *svc, const struct service_msg *m);

/* SIGHUP: reads the calendar of the configuration file again and
 * recomputes as CalendarApply does; a broken file is logged
 * (config.reload_failed, FILE:LINE) and changes nothing. */
void tracker_reload(struct service *svc);

/* About once a second: on a working day within office hours, at most once
 * a minute (at once again after a full batch), the reminder scan
 * (tracker_remind.c). */
void tracker_remind_tick(struct service *svc);

/* BoardRequest from hall management: the supervision board. */
int tracker_board(struct service *svc, const struct service_msg *m);

/* Once a working day: warns (calendar.missing_year) while open deadlines
 * wait for a year the calendar lacks. */
void tracker_tick(struct service *svc);

#endif
