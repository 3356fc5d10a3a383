/* tracker.h - the handlers of bangdai-tracker. */
#ifndef BANGDAI_TRACKER_H
#define BANGDAI_TRACKER_H

#include "service.h"

/* TaskChanged from the router: start or restart the clock, report the
 * progress to intake, and pass a decision on to delivery (tracker_deadline.c).
 * Runs once per part of the envelope: checks the part and keeps it;
 * tracker_flush applies them. */
int tracker_task_changed(struct service *svc, const struct service_msg *m);

/* CalendarApply from hall management: recompute (or, as a check, list) the
 * open deadlines that are pending or of an older calendar version, with
 * the calendar of the configuration file as it is now (tracker_calendar.c). */
int tracker_calendar_apply(struct service *svc, const struct service_msg *m);

/* on_reload (SIGHUP): recomputes the open deadlines with fresh's calendar
 * as CalendarApply does, in one transaction, before the skeleton puts fresh
 * in force. Returns 0, or -1 when the database failed (logged
 * config.reload_failed; the configuration in force is kept). A broken
 * file never gets here: the skeleton logs it (FILE:LINE) and keeps the
 * configuration in force. */
int tracker_reload(struct service *svc, const struct config *fresh);

/* About once a second: on a working day within office hours, at most once
 * a minute (at once again after a full batch), the reminder scan
 * (tracker_remind.c). */
void tracker_remind_tick(struct service *svc);

/* on_metrics: open tasks by state, the overdue, paused and pending ones
 * (tracker_remind.c, beside the board that lists them). Returns 0 or -1
 * when the database failed. */
int tracker_metrics(struct service *svc, struct metrics_text *out);

/* BoardRequest from hall management: the supervision board. */
int tracker_board(struct service *svc, const struct service_msg *m);
/* A task's due dates from its clock's start: the promised (and, when
 * statutory > 0, the statutory) limit plus the working days of its ended
 * pauses, each at most its kind's limit (tracker_pause.c, the rule in
 * common/calendar.h). A date that needs a year cal lacks is pending: its
 * text stays "" and the year is given. version is borrowed from cal.
 * Returns 0, or -1 when the pauses could not be read (SERVICE_RETRY). */
struct tracker_due {
    char due[11];
    const char *version;
    int pending_year;
    char statutory_due[11];
    int statutory_pending_year;
    int paused_days;            /* the counted working days of the ended pauses */
};
int tracker_due(struct service *svc, const struct calendar *cal, const char *task_id, bd_day start,
                int promised, int statutory, struct tracker_due *out);

/* The due dates of a clock started on start with paused_days working days
 * of ended pauses, as tracker_due counts them once it has read the pauses:
 * a task that has none (one just assigned) needs no read. */
void tracker_due_count(const struct calendar *cal, bd_day start, int promised, int statutory, int paused_days,
                       struct tracker_due *out);

/* service_def.after_message: applies the TaskChanged parts the handler
 * kept (tracker_task_changed) -- runs of them in one statement each -- and
 * sends what each makes, in the parts' order; forgets them when rc is not
 * SERVICE_OK. Returns rc or the first part's failure (tracker_deadline.c). */
int tracker_flush(struct service *svc, int rc);

/* on_stop: frees what tracker_flush keeps between messages. */
void tracker_stop(struct service *svc);

/* The clock of tc's task stops on day for kind (supplement, expert_review,
 * ...) with reason; limit > 0 is the catalog's limit for the kind. A task
 * already paused keeps its open pause (logged). Returns SERVICE_OK or
 * SERVICE_RETRY (tracker_pause.c). */
int tracker_pause_start(struct service *svc, const Bangdai__TaskChanged *tc, const char *kind,
                        const char *reason, bd_day day, int limit);

/* The open pause of tc's task ends on day: its working days are counted
 * (capped by its limit, pause.over_limit beyond it), both due dates move
 * and the router is told (DueDate). decided: the task was decided while
 * paused, the pause only ends. A task not paused changes nothing. Returns
 * SERVICE_OK or SERVICE_RETRY. */
int tracker_pause_end(struct service *svc, const Bangdai__TaskChanged *tc, bd_day day, bool decided);

/* Once a working day: warns (calendar.missing_year) while open deadlines
 * wait for a year the calendar lacks. */
void tracker_tick(struct service *svc);

#endif
