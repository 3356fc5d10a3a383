/* config_reload.c - what a SIGHUP may change in a running daemon's
 * configuration and what only a restart can (service.c's reload).
 *
 * A daemon has bound and connected its endpoints, opened its database
 * connection and set its sockets' options (frame limit, heartbeat, ZAP
 * domain) and its own certificate once, at start. A new file may name
 * others; they take effect at the next start. Until then the running
 * values stay in the configuration in force, so that what the daemon does
 * (reconnecting to the database, say) and what its configuration says
 * never disagree. Everything else is read where it is used and may change.
 *
 * Adding a restart-only key: a line in restart_only() below, and the
 * README's SIGHUP section.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void swap_str(char **a, char **b)
{
    char *t = *a;
    *a = *b;
    *b = t;
}

static void swap_int(int *a, int *b)
{
    int t = *a;
    *a = *b;
    *b = t;
}

/* Appends key to buf (comma-separated), counting it. */
static void note(char *buf, size_t len, size_t *used, int *n, const char *key)
{
    if (len && *used < len) {
        int w = snprintf(buf + *used, len - *used, "%s%s", *n ? ", " : "", key);
        *used += w > 0 ? (size_t)w : 0;
    }
    (*n)++;
}

/* Walks the restart-only keys: lists those that differ into buf and, when
 * keep, puts the running value (run's) into fresh and fresh's into run. */
static int restart_only(struct config *run, struct config *fresh, const char *own_key, bool keep,
                        char *buf, size_t len)
{
    size_t used = 0;
    int n = 0;
    if (len)
        buf[0] = 0;
#define STR(field, key) do { \
        if (!same(run->field, fresh->field)) { \
            note(buf, len, &used, &n, key); \
            if (keep) swap_str(&run->field, &fresh->field); \
        } } while (0)
#define INT(field, key) do { \
        if (run->field != fresh->field) { \
            note(buf, len, &used, &n, key); \
            if (keep) swap_int(&run->field, &fresh->field); \
        } } while (0)
    STR(endpoints.intake, "endpoints.intake");
    STR(endpoints.router, "endpoints.router");
    STR(endpoints.router_dept, "endpoints.router_dept");
    STR(endpoints.tracker, "endpoints.tracker");
    STR(endpoints.delivery, "endpoints.delivery");
    STR(endpoints.evaluation, "endpoints.evaluation");
    STR(endpoints.feed, "endpoints.feed");
    STR(database.host, "database.host");
    STR(database.port, "database.port");
    STR(database.dbname, "database.dbname");
    STR(metrics.intake, "metrics.intake");
    STR(metrics.router, "metrics.router");
    STR(metrics.tracker, "metrics.tracker");
    STR(metrics.delivery, "metrics.delivery");
    STR(metrics.evaluation, "metrics.evaluation");
    INT(link.max_frame_bytes, "link.max_frame_bytes");
    INT(link.heartbeat_ms, "link.heartbeat_ms");
    STR(security.certs_dir, "security.certs_dir");
    STR(security.zap_domain, "security.zap_domain");
#undef STR
#undef INT
    /* The daemon's own key: its certificate was read at start. Validation
     * guarantees both files list it; an inline public key that changed (a
     * file's is read only at start) means a new certificate. */
    const struct cfg_key *a = own_key ? config_key(run, own_key) : NULL;
    const struct cfg_key *b = own_key ? config_key(fresh, own_key) : NULL;
    if (a && b && b->public_key && !same(a->public_key, b->public_key)) {
        char key[96];
        snprintf(key, sizeof key, "security.keys[%s]", own_key);
        note(buf, len, &used, &n, key);
    }
    return n;
}

int config_restart_changes(const struct config *run, const struct config *fresh, const char *own_key,
                           char *buf, size_t len)
{
    /* Not kept: the casts only let one walker serve both. */
    return restart_only((struct config *)run, (struct config *)fresh, own_key, false, buf, len);
}

void config_keep_restart_only(struct config *run, struct config *fresh)
{
    char unused[1];
    restart_only(run, fresh, NULL, true, unused, 0);
}
