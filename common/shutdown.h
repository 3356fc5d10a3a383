/* shutdown.h - SIGINT and SIGTERM for the long-running programs (the five
 * daemons and the department agent): a flag their loops look at between
 * batches, and a bound on how long the way out may take.
 *
 * A loop that sees shutdown_requested takes no new input, finishes the
 * batch in hand (commit or roll back, then its acknowledgements), closes
 * its sockets (LINGER bounded, sockets.c) and returns. Should that take
 * more than SHUTDOWN_LIMIT_S seconds (a statement waiting on a lock, a
 * database that stopped answering, an agent's --exec hook that hangs), the
 * process logs service.stop_timeout and exits with status 1 at once: what
 * was not committed is rolled back by PostgreSQL when the connection
 * drops, and since nothing is acknowledged before its commit, its
 * producers send it again after the restart. */
#ifndef BANGDAI_SHUTDOWN_H
#define BANGDAI_SHUTDOWN_H

#include <signal.h>

#define SHUTDOWN_LIMIT_S 5

/* Set by the first SIGINT or SIGTERM. */
extern volatile sig_atomic_t shutdown_requested;

/* Installs the SIGINT, SIGTERM and SIGALRM handlers (see above); program
 * names the process in the stop_timeout line (borrowed, must outlive it). */
void shutdown_install(const char *program);

#endif
