/* ctl.h - the commands of bangdaictl. */
#ifndef BANGDAI_CTL_H
#define BANGDAI_CTL_H

#include "cli.h"

/* Applies deploy/sql/NNN_*.sql not yet applied, each in its own
 * transaction, then the per-daemon grants (ctl_migrate.c). */
int ctl_migrate(struct cli *cli);

/* The links' backlog per daemon schema (ctl_migrate.c). */
int ctl_links(struct cli *cli);

#endif
