/* dept.h - the commands of bangdai-dept. */
#ifndef BANGDAI_DEPT_H
#define BANGDAI_DEPT_H

#include "cli.h"

struct dept_opts {
    const char *dept, *spool, *exec;
    const char *ref, *doc, *kind, *reason, *note;
    const char *when, *where, *materials, *missing, *id;      /* update */
    const char *accepted_on;    /* update submitted, 帮办 item */
    const char *question, *answer, *text, *contact, *at, *invited, *topic, *decisions;  /* note */
    const char *specialist, *after;                          /* list */
    const char *done, *explain;                              /* rectify */
    const char *method, *receiver, *receipt, *carrier, *tracking, *address, *licence;    /* deliver */
    const char *amount, *payee, *paid_on;                    /* fee */
    unsigned limit;
    bool all;
    char **args;                /* positional arguments after the command */
    int n_args;
};

/* The agent's loop (dept_agent.c). Returns the exit status. */
int dept_run(struct cli *cli, const struct dept_opts *o);

/* The department's open tasks, asked of the router (dept_update.c). */
int dept_list(struct cli *cli, const struct dept_opts *o);

/* The tasks and notices in the spool (dept_agent.c). */
int dept_spool(struct cli *cli, const struct dept_opts *o);

/* One progress report, sent until the router answers (dept_update.c). */
int dept_update(struct cli *cli, const struct dept_opts *o);

/* One help-log entry of a 帮办 case (dept_update.c). */
int dept_note(struct cli *cli, const struct dept_opts *o);

/* deliver TASK --method ...: a decided item's result was handed over
 * (dept_update.c). */
int dept_deliver(struct cli *cli, const struct dept_opts *o);

/* fee TASK --amount YUAN --payee NAME --paid-on DAY: a statutory fee the
 * unit paid (dept_update.c). */
int dept_fee(struct cli *cli, const struct dept_opts *o);

/* pause TASK --kind KIND --reason TEXT, or resume TASK (resume true): the
 * item's clock stops for an expert review, hearing, inspection or
 * appraisal, or runs again (行政许可法 §45). */
int dept_pause(struct cli *cli, const struct dept_opts *o, bool resume);

/* rectify ID --done TEXT | --explain TEXT, or appeal ID --reason TEXT
 * (appeal true): one step of a rectification, a request to
 * bangdai-evaluation (dept_update.c). */
int dept_rectify(struct cli *cli, const struct dept_opts *o, bool appeal);

#endif
