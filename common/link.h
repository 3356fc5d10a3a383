/* link.h - the reliable link of DESIGN.md: outbox, relay and inbox.
 *
 * 1. A producer changes its state and appends the outgoing message to its
 *    own outbox table in the same transaction (outbox_append).
 * 2. After commit the relay sends every unacknowledged row that is due,
 *    oldest first (relay_due / relay_sent); a row not acknowledged is sent
 *    again with doubling back-off, and all of them again after a restart
 *    (relay_restart).
 * 3. The consumer records the message id in its inbox table in the same
 *    transaction as the effect (inbox_record); a duplicate is not applied
 *    again, only acknowledged again.
 * 4. After the consumer's commit comes Ack(id) (or Error(id), a refusal for
 *    good) and the producer marks the row (relay_acked).
 * Acknowledged outbox rows and old inbox ids are pruned after the retention
 * window (link_prune).
 *
 * Every function here works inside the caller's connection; none opens or
 * ends a transaction. The tables are "outbox" and "inbox" of the daemon's
 * own schema (deploy/sql).
 */
#ifndef BANGDAI_LINK_H
#define BANGDAI_LINK_H

#include <libpq-fe.h>
#include <protobuf-c/protobuf-c.h>

#include "bangdai.pb-c.h"
#include "config.h"
#include "uuid.h"

/* Appends one message for dest (an endpoint name such as "router", or
 * "dept:<code>") to the outbox, inside the caller's open transaction.
 * Writes the new message id into id_out when not NULL. Returns 0 or -1
 * (logged; the caller must roll back). */
__attribute__((warn_unused_result))
int outbox_append(PGconn *db, const char *source, const char *dest, const char *type,
                  const char *case_no, const char *trace_id, const ProtobufCMessage *msg,
                  char id_out[UUID_STR_LEN]);

/* Outcome of inbox_record. */
enum inbox_result {
    INBOX_NEW = 1,              /* first time: apply it */
    INBOX_SEEN = 0,             /* applied before: acknowledge again */
    INBOX_REFUSED = 2,          /* refused before: send the same Error again */
    INBOX_FAILED = -1,          /* database error: roll back */
};

struct inbox_refusal {
    char code[32];
    char field[128];
    char message[512];
};

/* Records env's id in the inbox. On INBOX_REFUSED fills *prior with the
 * stored refusal. */
enum inbox_result inbox_record(PGconn *db, const Bangdai__Envelope *env,
                               struct inbox_refusal *prior);

/* Records env's id as refused for good, with the reason replayed to any
 * duplicate. Returns 0 or -1. */
__attribute__((warn_unused_result))
int inbox_refuse(PGconn *db, const Bangdai__Envelope *env, const char *code,
                 const char *field, const char *message);

/* One due outbox row, as relay_due hands it out. */
struct relay_row {
    char id[UUID_STR_LEN];
    char dest[64];
    char type[64];
    uint8_t *frame;             /* the packed Envelope; owned by the batch */
    size_t len;
};

struct relay_batch {
    struct relay_row *rows;
    size_t n;
    PGresult *res;              /* backing store of the frames */
};

/* Loads up to max due rows, oldest first. Returns 0 (batch may be empty) or
 * -1. Free with relay_batch_clear. */
__attribute__((warn_unused_result))
int relay_due(PGconn *db, int max, struct relay_batch *batch);
void relay_batch_clear(struct relay_batch *batch);

/* Pushes the next attempt of the given rows back by the back-off (initial
 * doubling up to max, in ms). Called for every row handed out, sent or not. */
__attribute__((warn_unused_result))
int relay_sent(PGconn *db, const char *const *ids, int n, const struct cfg_link *link);

/* Marks one row acknowledged (error NULL) or refused (error text). When
 * dest is not NULL, only a row for that destination is marked: an
 * acknowledgement counts only from the peer the row was sent to. Returns 1
 * when a pending row was marked, 0 when none was (a late duplicate Ack, or
 * somebody else's), -1 on error. Writes the row's dest and type when found. */
int relay_acked(PGconn *db, const char *id, const char *error, const char *dest,
                char dest_out[64], char type[64]);

/* Makes every unacknowledged row due now: called at start so that all of
 * them are resent. Returns 0 or -1. */
__attribute__((warn_unused_result))
int relay_restart(PGconn *db);

/* Deletes acknowledged outbox rows and inbox ids older than hours. Returns
 * 0 or -1. */
__attribute__((warn_unused_result))
int link_prune(PGconn *db, int hours);

/* Number of unacknowledged outbox rows, or -1. */
long relay_pending(PGconn *db);

#endif
