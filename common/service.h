/* service.h - the one skeleton every daemon runs on (Postfix's single_server).
 *
 * service_main() owns option parsing (--config, --help, --version,
 * --log-level), configuration, logging, signals, the database connection,
 * the ZeroMQ sockets and poll loop, the reliable link (inbox, outbox relay,
 * acknowledgements) and shutdown. A daemon hands it a service_def: the
 * endpoints it binds with a handler table for each, the destinations it
 * sends to, and a few callbacks. A daemon's main.c is a service_def and a
 * call to service_main.
 *
 * Message handling. Messages waiting on a bound socket are drained (up to
 * link.batch) and applied in one transaction, one savepoint each:
 *   HANDLE_LINK     reliable link: inbox dedupe, then the handler; Ack after
 *                   commit. A refusal (handler returns SERVICE_REFUSE) is
 *                   stored in the inbox and answered with Error, which ends
 *                   the producer's resending.
 *   HANDLE_REQUEST  request/reply (the hall): the handler sets a reply with
 *                   service_reply(); it is sent after commit. A refusal is
 *                   answered with Error.
 *   HANDLE_NOTICE   no transaction, no reply (Hello).
 * Ack and Error envelopes arriving on any socket acknowledge outbox rows.
 * Messages between daemons are numbered per link (Envelope.seq); the
 * skeleton applies each sender's messages in number order and holds an
 * early one, unanswered, until the gap before it fills (link.h).
 * A handler returning SERVICE_DEFER (via service_defer) lacks something
 * that will come: its message alone is undone and not answered, so it comes
 * again; one still deferred after link.defer_limit_s is refused for good.
 * A handler returning SERVICE_RETRY rolls the whole batch back and nothing
 * is acknowledged, so the producers send it again -- unless the statement
 * that failed was refused for the data's sake (SQLSTATE class 22 or 23,
 * db_error_is_data): then that message alone is refused, naming the column
 * or constraint, and the rest of the batch commits. So only a lost
 * connection, a serialization failure or a shutdown undoes a batch.
 *
 * Security. service_main() takes the key named after the daemon and starts
 * ZAP (security.h) before it binds; every bound socket is a CURVE server
 * that lets in only the configured keys. Each message on a bound socket
 * carries its sender's key (service_msg.peer). A message whose key's role
 * is not among the roles allowed (handler.roles, else binding.roles; 0
 * allows every configured key) is refused with Error "forbidden", naming
 * the role, and logged as message.forbidden, before any handler runs; an
 * Ack or Error from such a key is dropped and logged the same way.
 */
#ifndef BANGDAI_SERVICE_H
#define BANGDAI_SERVICE_H

#include <czmq.h>
#include <libpq-fe.h>

#include "bangdai.pb-c.h"
#include "config.h"
#include "envelope.h"
#include "metrics.h"

#define SERVICE_OK       0
#define SERVICE_REFUSE  (-1)    /* this message is wrong: refuse it, keep serving */
#define SERVICE_RETRY   (-2)    /* the environment failed: roll back, let it come again */
#define SERVICE_DEFER   (-3)    /* something this message needs has not come yet: undo
                                 * it alone, answer nothing, let it come again */

struct service;

/* What a handler sees of one message. */
struct service_msg {
    const Bangdai__Envelope *env;
    zframe_t *identity;         /* the peer's routing id on the bound socket */
    const char *binding;        /* name of the socket it came in on */
    const struct cfg_key *peer; /* the key the peer authenticated with (CURVE
                                 * + ZAP); its role and department come from
                                 * the configuration, never from the message */
};

enum handler_kind { HANDLE_LINK, HANDLE_REQUEST, HANDLE_NOTICE };

struct handler {
    const char *type;           /* MSG_* */
    enum handler_kind kind;
    /* Returns SERVICE_OK, SERVICE_REFUSE (after service_refuse) or
     * SERVICE_RETRY. Runs inside the batch transaction unless NOTICE. */
    int (*fn)(struct service *svc, const struct service_msg *m);
    unsigned roles;             /* enum key_role bits allowed to send this type;
                                 * 0: as the binding */
};

/* A socket the daemon binds (ROUTER). */
struct binding {
    const char *name;           /* endpoint name in the config, e.g. "intake" */
    const struct handler *handlers;     /* ends with { NULL } */
    unsigned roles;             /* enum key_role bits allowed; 0: any authenticated key */
};

struct service_def {
    const char *name;           /* "intake"; also the schema and the role bangdai_<name> */
    const char *summary;        /* what it does, the first paragraph of --help */
    const struct binding *bindings;     /* ends with { NULL } */
    const char *const *dests;   /* endpoint names this daemon sends to; ends with NULL */
    /* Optional. For outbox destinations that are not endpoint names
     * ("dept:zjw"): the bound socket and peer identity to send to. Returns 0,
     * or -1 when the peer is not connected now (the row waits). */
    int (*resolve)(struct service *svc, const char *dest, zsock_t **sock, zframe_t **identity);
    /* Optional. Called inside a transaction with the n outbox rows of this
     * daemon that one statement found acknowledged by their consumers: ids,
     * destinations and types, in the order of the Acks. Returns 0 or
     * SERVICE_RETRY. */
    int (*on_acked)(struct service *svc, int n, const char *const *msg_ids, const char *const *dests,
                    const char *const *types);
    /* Optional. Called once a message's handler has run on the payload and
     * every part of Envelope.more, inside the message's savepoint, with
     * the outcome: what the handler gathered across the parts is done in
     * one go, or, when rc is not SERVICE_OK, forgotten. Returns the
     * message's outcome (rc, or SERVICE_RETRY). */
    int (*after_message)(struct service *svc, int rc);
    /* Optional. The endpoint name of a PUB socket the daemon binds, where
     * service_publish() sends (intake: "feed", the progress feed). A CURVE
     * server like every bound socket; not bound when the configuration
     * lacks the endpoint. */
    const char *feed;
    int (*on_start)(struct service *svc);   /* optional, after connect and bind */
    void (*on_tick)(struct service *svc);   /* optional, about once a second */
    void (*on_stop)(struct service *svc);   /* optional */
    /* Optional. SIGHUP: the skeleton has read the file again into fresh
     * (valid, its public keys read, the restart-only parts set back to the
     * running values) and is about to put it in force for everything it
     * and the handlers read through service_config(). Here the daemon
     * does its own part (the tracker recomputes deadlines with the new
     * calendar) and rebuilds any state that points into the configuration
     * in force, which is freed right after. Returns 0, or -1 (the reason
     * logged) to keep the configuration in force instead. */
    int (*on_reload)(struct service *svc, const struct config *fresh);
    /* Optional. With a metrics address (config: metrics.<name>), about
     * once a second from the loop, outside any transaction: appends the
     * daemon's own families to out (metrics_family, metrics_sample), read
     * with service_db() -- the tracker's open tasks, the router's agents.
     * Returns 0, or -1 when the database failed (out is then published
     * without them, and /healthz says the database is down). */
    int (*on_metrics)(struct service *svc, struct metrics_text *out);
};

/* Runs the daemon; returns the process exit status. */
int service_main(int argc, char **argv, const struct service_def *def);

/* Accessors; borrowed. */
PGconn *service_db(struct service *svc);
const struct config *service_config(struct service *svc);
const char *service_name(struct service *svc);

/* Puts cal (a calendar read again from the configuration file) in place of
 * the configuration's calendar, which is freed; cal is left empty. */
void service_take_calendar(struct service *svc, struct calendar *cal);
zsock_t *service_socket(struct service *svc, const char *binding);
void *service_state(struct service *svc);
void service_set_state(struct service *svc, void *state);

/* Appends a message to the outbox inside the current transaction, with the
 * trace id of the message being handled; the relay sends it after commit.
 * The new message id goes to id_out when not NULL. Returns 0 or
 * SERVICE_RETRY. */
__attribute__((warn_unused_result))
int service_emit(struct service *svc, const char *dest, const char *type,
                 const char *case_no, const ProtobufCMessage *msg,
                 char id_out[UUID_STR_LEN]);

/* Like service_emit, for messages a consumer may take several of in one
 * envelope (Envelope.more): when the transaction's last message to dest
 * about case_no is of the same type and was emitted by this function (and
 * a rollback to the current message's savepoint would undo both), msg is
 * appended to it instead of making a message of its own: one outbox row,
 * one send, one inbox entry and one Ack for the lot; else as service_emit.
 * The consumer's handler runs once per part, in order; a refusal or defer
 * of one part is the whole envelope's. No id is given out: a message whose
 * id the caller keeps goes through service_emit. Returns 0 or
 * SERVICE_RETRY. */
__attribute__((warn_unused_result))
int service_emit_more(struct service *svc, const char *dest, const char *type,
                      const char *case_no, const ProtobufCMessage *msg);

/* Queues msg for the daemon's PUB socket (service_def.feed) as two frames:
 * topic, then msg's Envelope. It goes out after the batch commits, in the
 * order queued, and is forgotten with the message's savepoint or with the
 * batch when either rolls back, so that no subscriber ever sees what was
 * not committed. Best effort past that: a PUB drops for a subscriber whose
 * queue is full (sockets.h, SOCKETS_FEED_HWM). For handlers (LINK and
 * REQUEST) only. Returns 0 (also when the daemon has no feed bound) or
 * SERVICE_RETRY. */
__attribute__((warn_unused_result))
int service_publish(struct service *svc, const char *topic, const char *type,
                    const char *case_no, const ProtobufCMessage *msg);

/* Whether the daemon's PUB socket is bound (service_def.feed configured). */
bool service_publishes(struct service *svc);

/* Sets the reply of a HANDLE_REQUEST handler (packed now; msg may be freed
 * after). Returns 0 or SERVICE_RETRY. */
__attribute__((warn_unused_result))
int service_reply(struct service *svc, const char *type, const char *case_no,
                  const ProtobufCMessage *msg);

/* Records why the current message is refused and returns SERVICE_REFUSE, so
 * a handler can `return service_refuse(svc, ERR_INVALID, "unit.credit_code",
 * "check character ...")`. The message is logged and sent as Error. */
int service_refuse(struct service *svc, const char *code, const char *field,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records what the current message waits for and returns SERVICE_DEFER:
 * `return service_defer(svc, ERR_NOT_FOUND, "task_id", "no deadline for
 * task %s yet", id)`. The reason becomes the refusal if the wait outlasts
 * link.defer_limit_s. */
int service_defer(struct service *svc, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Decodes the payload of the message being handled as a desc message and
 * checks every string in it on the wire: UTF-8, no NUL, no control
 * character but newline and tab, at most WIRE_MAX_STRING bytes. Returns it
 * (caller frees with protobuf_c_message_free_unpacked(msg, NULL)) or NULL
 * after refusing the message: as malformed, naming the payload type, or as
 * invalid, naming the first field at fault and why. */
void *service_decode(struct service *svc, const struct service_msg *m,
                     const ProtobufCMessageDescriptor *desc);

/* Runs fn(svc, arg) in a transaction of its own, for work the daemon
 * starts itself (a scan on a timer, a reload): what fn emits with
 * service_emit is stored with the commit and sent after it, and what it
 * publishes (service_publish) goes out after it, as a handler's do. fn returns SERVICE_OK to commit; anything else rolls it
 * all back (logged work.rolled_back unless SERVICE_REFUSE). Returns
 * SERVICE_OK, or fn's code, or SERVICE_RETRY when the database failed.
 * Not to be called from a handler. */
int service_work(struct service *svc, const char *what, int (*fn)(struct service *, void *), void *arg);

/* The timer of a daemon's own periodic scan (the tracker's reminders,
 * evaluation's escalations, delivery's handovers): at most once every
 * every_s seconds of business time, at once again after a full batch
 * (set `again`), and only on working days -- within the configuration's
 * office hours too when office_hours is set (config_office_closed). Why it
 * does not run is logged once at debug under idle_event. */
struct scan_clock {
    const char *idle_event;     /* e.g. "reminder.idle" */
    int every_s;
    bool office_hours;
    int64_t last_us;
    bool again;
    const char *idle_said;
};

/* Whether the scan of c is due now (business time, written to *now);
 * call from on_tick. */
bool service_scan_due(struct service *svc, struct scan_clock *c, int64_t *now);

/* Makes the relay scan the outbox at the next turn of the loop. */
void service_kick(struct service *svc);

/* dest's consumer has (re)connected (an agent's new Hello): everything
 * unacknowledged for it is due now, and new messages for it queue behind
 * those until the relay has sent them. Returns 0 or -1. */
__attribute__((warn_unused_result))
int service_resend(struct service *svc, const char *dest);

#endif
