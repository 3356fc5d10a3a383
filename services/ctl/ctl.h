/* ctl.h - the commands of bangdaictl. */
#ifndef BANGDAI_CTL_H
#define BANGDAI_CTL_H

#include "cli.h"

/* Applies deploy/sql/NNN_*.sql not yet applied, each in its own
 * transaction, then the per-daemon grants (ctl_migrate.c). */
int ctl_migrate(struct cli *cli);

/* The links' backlog per daemon schema (ctl_migrate.c). */
int ctl_links(struct cli *cli);

/* status [--json] [DAEMON...]: each daemon's /healthz and /metrics in one
 * table (ctl_status.c). Returns 0 when every daemon asked that has a
 * metrics address is up, 3 when one is down or unhealthy, 2 when none has
 * an address. */
int ctl_status(struct cli *cli);

/* keys new ROLE NAME [--dept CODE] [--dir DIR], keys init [--dir DIR],
 * keys list: the CURVE keypairs (ctl_keys.c). */
int ctl_keys(struct cli *cli);

/* Hall management's orders to the router (ctl_ops.c). */
int ctl_reassign(struct cli *cli);
int ctl_specialist(struct cli *cli);

/* calendar check | apply: the open deadlines a revised calendar changes,
 * listed or recomputed by the tracker (ctl_ops.c). */
int ctl_calendar(struct cli *cli);

/* board [--dept CODE] [--json]: the supervision board, from the tracker. */
int ctl_board(struct cli *cli);

/* report assessment|bready|summary --period P [--format F]: the figures of
 * a period from the stored events, read-only (ctl_report.c). */
int ctl_report(struct cli *cli);

/* visit list | visit record CASE --rating LEVEL [--comment TEXT]: the
 * return visits, from and to bangdai-evaluation (ctl_eval.c). */
int ctl_visit(struct cli *cli);

/* rectify list [--dept CODE] [--all] | verify ID --finding TEXT |
 * feedback ID --text TEXT | decide ID --uphold|--reject --reason TEXT
 * (ctl_eval.c). */
int ctl_rectify(struct cli *cli);

#endif
