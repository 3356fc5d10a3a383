/* metrics.h - Prometheus text exposition and /healthz for a daemon.
 *
 * Two halves, two threads:
 *   - the daemon's loop (one thread, service.c) counts what happens in
 *     plain memory (struct metrics: messages per type, histograms of batch
 *     sizes and handler latency, the relay's sends and resends per
 *     destination) and, about once a second, renders the whole exposition
 *     text -- those counters, the database figures it reads itself (outbox
 *     depth and age, a daemon's own gauges) -- and its health into a
 *     metrics_text, which it hands to the server (metrics_server_publish);
 *   - the HTTP server (libmicrohttpd, in its own internal thread) answers
 *     GET /metrics and GET /healthz from the last text published, copied
 *     under a mutex. It never touches the loop's counters or its database
 *     connection.
 * So a scrape sees figures at most about a second old, and a loop that
 * stopped publishing (stuck, or the database unreachable for long) is
 * unhealthy: /healthz answers 503 once the last publication is older than
 * METRICS_STALE_S.
 *
 * Names are prefixed bangdai_; every family has its HELP and TYPE lines
 * (metrics_family), as `promtool check metrics` requires.
 */
#ifndef BANGDAI_METRICS_H
#define BANGDAI_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* /healthz says 503 when the loop has not published for this long. */
#define METRICS_STALE_S 10

/* ---- the exposition text ---------------------------------------------- */

/* A growing text buffer. A failed allocation marks it (oom) and further
 * appends do nothing; the text is then not published. */
struct metrics_text {
    char *buf;
    size_t len, cap;
    bool oom;
};

void metrics_text_clear(struct metrics_text *t);      /* empties, keeps the memory */
void metrics_text_free(struct metrics_text *t);

/* Appends printf-style text. */
void metrics_printf(struct metrics_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The HELP and TYPE lines of a family: type is "counter", "gauge" or
 * "histogram". name without the bangdai_ prefix, which is added. */
void metrics_family(struct metrics_text *t, const char *name, const char *type, const char *help);

/* One sample: bangdai_NAME{k1="v1",...} value, the labels given as pairs
 * of strings ending with NULL (none: just NULL). Label values are escaped
 * as the format requires (\\, \", \n). */
void metrics_sample(struct metrics_text *t, const char *name, double value, ...)
    __attribute__((sentinel));

/* ---- histograms -------------------------------------------------------- */

#define METRICS_MAX_BUCKETS 16

/* Counts of observations at or below each bound (not cumulative; the
 * rendering sums them), the ones above the last, their sum and count. */
struct metrics_histogram {
    const double *bounds;       /* ascending; static */
    int n_bounds;
    uint64_t counts[METRICS_MAX_BUCKETS + 1];
    double sum;
    uint64_t count;
};

void metrics_observe(struct metrics_histogram *h, double v);

/* Writes h's _bucket (cumulative, le="+Inf" last), _sum and _count
 * samples under name, with one more label (key = value) when key is not
 * NULL. The family's HELP and TYPE lines are the caller's. */
void metrics_histogram_render(struct metrics_text *t, const char *name, const struct metrics_histogram *h,
                              const char *key, const char *value);

/* ---- what the loop counts ---------------------------------------------- */

/* Per message type the daemon handles. */
struct metrics_type {
    char type[64];
    uint64_t applied, refused, duplicated, deferred;
    struct metrics_histogram latency;   /* the handler's run, seconds */
};

/* Per outbox destination. */
struct metrics_dest {
    char dest[64];
    uint64_t sent, resent;
};

/* Messages dropped before any handler, by why. */
enum metrics_reject { REJECT_MALFORMED, REJECT_UNKNOWN_TYPE, REJECT_FORBIDDEN, REJECT_OVERSIZED, N_REJECTS };

struct metrics {
    struct metrics_type *types;
    size_t n_types, cap_types;
    struct metrics_dest *dests;
    size_t n_dests, cap_dests;
    uint64_t rejected[N_REJECTS];
    uint64_t batches_rolled_back;
    struct metrics_histogram batch_size;
};

/* Sets m up empty (its histograms' bounds set). */
void metrics_init(struct metrics *m);
void metrics_free(struct metrics *m);

/* The counters of type / dest, made at their first use; NULL when out of
 * memory (the event is then not counted). */
struct metrics_type *metrics_type(struct metrics *m, const char *type);
struct metrics_dest *metrics_dest(struct metrics *m, const char *dest);

/* Renders m's counters and histograms into t, with db_errors (db.h:
 * db_error_count) as bangdai_database_errors_total. */
void metrics_render(struct metrics_text *t, const struct metrics *m, uint64_t db_errors);

/* ---- the HTTP server --------------------------------------------------- */

struct metrics_server;

/* Starts serving on address "HOST:PORT" (config.h, metrics: section) in
 * libmicrohttpd's own thread. Until the first metrics_server_publish,
 * /metrics and /healthz answer 503 "starting". Returns the server (caller
 * owns, stop with metrics_server_stop), or NULL with the reason in err. */
struct metrics_server *metrics_server_start(const char *address, char *err, size_t errlen);

/* Puts text (copied) in place of the last text published, with the health
 * /healthz answers: healthy, or not with reason (copied). A text marked
 * oom is not taken (the last one stays) but the health is. */
void metrics_server_publish(struct metrics_server *s, const struct metrics_text *text, bool healthy,
                            const char *reason);

/* Stops the thread and frees the server; sets *s to NULL. NULL-safe. */
void metrics_server_stop(struct metrics_server **s);

#endif
