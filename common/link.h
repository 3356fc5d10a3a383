/* link.h - the reliable link of DESIGN.md: outbox, relay and inbox.
 *
 * 1. A producer changes its state and appends the outgoing message to its
 *    own outbox table in the same transaction (outbox_append_row).
 *    Each row gets the next number of its destination (dest_seq: 1, 2, 3,
 *    ... without gaps, in commit order), carried as Envelope.seq.
 * 2. After commit the relay sends, per destination and in number order, the
 *    due rows among the first `window` unacknowledged ones (relay_due /
 *    relay_sent); a row sent and not acknowledged is sent again with
 *    doubling back-off, counted only for real sends; all of them again
 *    after a restart (relay_restart) and when the peer's connection is
 *    (re)established (relay_reconnected).
 * 3. The consumer applies a sender's number n only right after n - 1
 *    (link_senders_check): an older number is a duplicate, answered again as
 *    before; a later one is early, not applied and not answered, so it comes
 *    again once the gap has filled. Unsequenced messages (the CLIs' orders,
 *    agents' reports) are deduplicated by id in the inbox (inbox_record).
 *    Both are keyed by the sender's authenticated key, so one sender can
 *    neither acknowledge nor poison another's messages.
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
#include <stdint.h>

#include "bangdai.pb-c.h"
#include "config.h"
#include "uuid.h"

/* A row just appended, for a caller that sends it itself after the commit. */
struct outbox_row {
    char id[UUID_STR_LEN];
    uint64_t seq;               /* its number for dest */
    uint8_t *frame;             /* the packed Envelope (seq 0); caller frees */
    size_t len;
};

/* A message for the outbox: its destination (an endpoint name such as
 * "router", or "dept:<code>"), type, case and, packed by outbox_pack, its
 * row. With inflight_ms > 0 the row is stored as sent once (the caller
 * sends it right after the commit; it is due again only if no Ack comes
 * within inflight_ms); with 0 it is due now, for the relay. */
struct outbox_msg {
    const char *dest, *type, *case_no;
    int inflight_ms;
    struct outbox_row row;      /* id and frame from outbox_pack, seq from the append */
};

/* Packs msg in a new Envelope into row (id, frame; caller frees frame).
 * Returns 0 or -1 (logged). */
__attribute__((warn_unused_result))
int outbox_pack(const char *source, const char *type, const char *case_no, const char *trace_id,
                const ProtobufCMessage *msg, struct outbox_row *row);

/* Appends n packed messages to the outbox in one statement, inside the
 * caller's open transaction, each with its destination's next number (in
 * the order given), written to msgs[i].row.seq. Returns 0 or -1 (roll
 * back). */
__attribute__((warn_unused_result))
int outbox_append_many(PGconn *db, struct outbox_msg *msgs, size_t n);

/* Packs and appends one message (outbox_pack, outbox_append_many). When
 * row is not NULL it receives the id, the number and the frame (caller
 * frees row->frame). Returns 0 or -1 (logged; roll back). */
__attribute__((warn_unused_result))
int outbox_append_row(PGconn *db, const char *source, const char *dest, const char *type,
                      const char *case_no, const char *trace_id, const ProtobufCMessage *msg,
                      int inflight_ms, struct outbox_row *row);

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

/* Records env's id in the inbox under sender (the name of the key it came
 * with). On INBOX_REFUSED fills *prior with the stored refusal. */
enum inbox_result inbox_record(PGconn *db, const char *sender, const Bangdai__Envelope *env,
                               struct inbox_refusal *prior);

/* Records env's id under sender as refused for good, with the reason
 * replayed to any duplicate. Returns 0 or -1. */
__attribute__((warn_unused_result))
int inbox_refuse(PGconn *db, const char *sender, const Bangdai__Envelope *env, const char *code,
                 const char *field, const char *message);

/* Where env (env->seq > 0) stands in the order of sender's messages. */
enum link_order {
    LINK_NEXT = 1,              /* the next one: apply it, then link_senders_advance */
    LINK_SEEN = 0,              /* applied before: acknowledge again */
    LINK_REFUSED = 2,           /* refused before: *prior holds the Error to repeat */
    LINK_EARLY = 3,             /* an older one is missing: hold this one */
    LINK_ORDER_FAILED = -1,     /* database error: roll back */
};

/* The consumer's place in each sender's numbering (link_in), kept in memory
 * between statements: checking a message costs no statement, and one per
 * sender and batch writes the new place back. Use: link_senders_check each
 * numbered message; link_senders_advance when it was applied or refused for
 * good; link_senders_flush before the commit; link_senders_committed after
 * it, or link_senders_rollback after a rollback. */
struct link_senders;
struct link_senders *link_senders_new(void);        /* caller owns; NULL when out of memory */
void link_senders_destroy(struct link_senders **ls);

/* Compares env->seq with the sender's place as of this transaction (read
 * from link_in the first time). Writes the place to *last; on LINK_REFUSED
 * fills *prior with the stored refusal. */
enum link_order link_senders_check(struct link_senders *ls, PGconn *db, const char *sender,
                                   const Bangdai__Envelope *env, uint64_t *last,
                                   struct inbox_refusal *prior);

/* Counts seq as applied or refused, in this transaction. */
void link_senders_advance(struct link_senders *ls, const char *sender, uint64_t seq);

/* The place of sender as of the last commit (0 when unknown). */
uint64_t link_senders_place(const struct link_senders *ls, const char *sender);

/* Writes every changed place to link_in, inside the caller's transaction.
 * Returns 0, or -1 on error or when a place was moved by somebody else (the
 * caller rolls back and calls link_senders_rollback; it is read again). */
__attribute__((warn_unused_result))
int link_senders_flush(struct link_senders *ls, PGconn *db);

/* After the commit: the counted places are the database's. */
void link_senders_committed(struct link_senders *ls);

/* After a rollback: back to the places of the last commit. */
void link_senders_rollback(struct link_senders *ls);

/* Reads every place from link_in again at its next use: after the
 * connection was lost, when a COMMIT may have been applied unanswered. */
void link_senders_forget(struct link_senders *ls);

/* One due outbox row, as relay_due hands it out. */
struct relay_row {
    char id[UUID_STR_LEN];
    char dest[64];
    char type[64];
    char case_no[64];           /* the case it concerns, for the log; "" when none */
    uint8_t *frame;             /* the packed Envelope (seq 0); owned by the batch */
    size_t len;
    uint64_t seq;               /* its number for dest; 0 for rows from before numbering */
    int attempts;               /* real sends so far: > 0 means this is a resend */
};

struct relay_batch {
    struct relay_row *rows;
    size_t n;
    PGresult *res;              /* backing store of the frames */
};

/* Loads up to max due rows, oldest first, taking per destination only rows
 * numbered below its oldest unacknowledged number + window, of the rows
 * that timed out on a standing connection only that oldest one, and none
 * for the n_skip
 * destinations in skip (found unreachable just now). Returns 0 (batch may
 * be empty) or -1. Free with relay_batch_clear. */
__attribute__((warn_unused_result))
int relay_due(PGconn *db, int max, int window, const char *const *skip, int n_skip,
              struct relay_batch *batch);
void relay_batch_clear(struct relay_batch *batch);

/* Pushes the next attempt of the given rows back by the back-off (initial
 * doubling up to max, in ms). Called only for rows that really went out: a
 * row that could not be handed to the socket (no peer, queue full) has not
 * been tried and stays due. */
__attribute__((warn_unused_result))
int relay_sent(PGconn *db, const char *const *ids, int n, const struct cfg_link *link);

/* Marks one row acknowledged (error NULL) or refused (error text). When
 * dest is not NULL, only a row for that destination is marked: an
 * acknowledgement counts only from the peer the row was sent to. Returns 1
 * when a pending row was marked, 0 when none was (a late duplicate Ack, or
 * somebody else's), -1 on error. Writes the row's dest and type when found. */
int relay_acked(PGconn *db, const char *id, const char *error, const char *dest,
                char dest_out[64], char type[64]);

/* Rows stored as sent (outbox_append_row) whose send failed after all: due
 * now again, that attempt not counted. Returns 0 or -1. */
__attribute__((warn_unused_result))
int relay_unsent(PGconn *db, const char *const *ids, int n);

/* The unacknowledged rows per destination: (dest, count) text columns
 * (caller PQclears), or NULL on error. */
PGresult *relay_pending_by_dest(PGconn *db);

/* relay_acked for n acknowledgements (no refusals) in one statement: row i
 * is ids[i], counted only when its dest is froms[i] (NULL: any). Returns the
 * rows marked now, as (id, dest, type) text columns (caller PQclears), or
 * NULL on error. */
/* A cumulative Ack: every unacknowledged row for dest numbered up to upto
 * is acknowledged. Returns the rows acknowledged now (id, dest, type;
 * caller clears) or NULL on error. */
PGresult *relay_acked_upto(PGconn *db, const char *dest, uint64_t upto);

/* Of the Acks (ids[i] from froms[i], a destination such as "dept:fgw"),
 * those of a row for another destination: a consumer acknowledging what
 * was not sent to it. Returns id, dest, the Ack's from (caller clears), or
 * NULL on error. */
PGresult *relay_foreign_acks(PGconn *db, const char *const *ids, const char *const *froms, int n);

PGresult *relay_acked_many(PGconn *db, const char *const *ids, const char *const *froms, int n);

/* Makes unacknowledged rows for dest due now: its consumer has just
 * (re)connected, so whatever it may have lost goes out at once. With
 * lost_since_us (µs since the epoch), only the rows last sent at or before
 * that moment, when the old connection was seen to break: what went out on
 * the new connection is in flight, not lost, and is not sent twice. 0: every
 * row. Returns 0 or -1. */
__attribute__((warn_unused_result))
int relay_reconnected(PGconn *db, const char *dest, int64_t lost_since_us);

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
