/* service.c - the daemon skeleton; see service.h for the contract.
 *
 * The loop, in one thread: poll the bound ROUTER sockets and the DEALER
 * sockets to the consumers; drain what is waiting and apply it in one
 * transaction; after commit send the replies and acknowledgements; then let
 * the relay send whatever the outbox holds that is due. Nothing is kept in
 * memory that PostgreSQL does not also hold, so a crash anywhere loses
 * nothing: the inbox makes a resent message harmless and the outbox resends
 * what was not acknowledged.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "array.h"
#include "db.h"
#include "link.h"
#include "log.h"
#include "security.h"
#include "service.h"
#include "shutdown.h"
#include "sockets.h"
#include "validate.h"

#define MAX_BOUND 4
#define MAX_DESTS 8
#define RELAY_IDLE_SCAN_MS 250
#define PRUNE_EVERY_MS (3600 * 1000)
#define METRICS_EVERY_MS 1000

/* At most this many lines of one kind of warning (a refused connection,
 * an oversized frame) are logged a minute per socket, so that an attack
 * cannot fill the disk; the rest are counted. */
#define WARNINGS_LOGGED_PER_MIN 10

struct log_cap {
    int64_t window_at;          /* start of the current minute */
    int logged, suppressed;     /* lines logged in it, and the ones left out */
};

struct bound {
    const struct binding *b;
    zsock_t *sock;
    zsock_t *monitor;           /* its failed handshakes; NULL when not watched */
    struct log_cap refusals;    /* link.refused lines */
    struct log_cap oversized;   /* message.oversized lines */
};

struct dest {
    const char *name;
    zsock_t *sock;
    zsock_t *monitor;           /* PAIR reading the socket's connection events */
    int64_t lost_at;            /* when the connection was last seen to break, µs; 0: never */
};

/* What the relay knows of one destination between scans of the outbox. */
struct dest_state {
    char name[64];
    long unacked;               /* committed rows not acknowledged yet */
    long pending_new;           /* rows appended in the open transaction */
    bool backlog;               /* rows may wait unsent: new ones queue behind them */
};

/* A message emitted in the open transaction, held in memory until the
 * batch stores them all in one statement just before its commit
 * (emitted_store). A direct one the loop sends itself right after the
 * commit, from memory, without a scan of the outbox; the others wait in
 * the outbox for the relay. Kept in order, so that a rollback to a
 * message's savepoint forgets what it emitted. */
struct emitted {
    long dest;                  /* index in service.ds; -1 when out of memory */
    bool direct;
    bool more;                  /* by service_emit_more: more may ride along */
    char dest_name[64];
    char type[64];
    char case_no[64];
    struct outbox_row row;      /* packed; seq once stored */
};

/* A frame for the PUB socket queued in the open transaction
 * (service_publish), sent after its commit; kept in order like the
 * emitted messages, and forgotten with them. */
struct published {
    char topic[64];
    uint8_t *frame;
    size_t len;
};

/* One message of a batch, from receipt to reply. */
struct item {
    zframe_t *identity;         /* NULL on DEALER sockets */
    bool req;                   /* a REQ peer: its message came after an empty delimiter */
    Bangdai__Envelope *env;
    const struct handler *h;
    const char *binding;        /* name of the bound socket, NULL on DEALERs */
    const struct cfg_key *peer; /* the sender's key; on bound sockets only */
    char sender[160];           /* key name @ binding: whose ids and numbers these are */
    int outcome;
    bool duplicate;             /* applied before: acknowledged again, not applied */
    char code[32], field[128], message[512];
    uint8_t *reply;             /* packed reply envelope, for REQUEST */
    size_t reply_len;
};

struct service {
    const struct service_def *def;
    struct config *cfg;
    PGconn *db;
    struct bound bound[MAX_BOUND];
    int n_bound;
    struct dest dests[MAX_DESTS];
    int n_dests;
    struct item *cur;           /* the message being handled */
    char role[64];
    bool kicked;
    bool crash_before_ack;      /* BANGDAI_FAULT=crash-before-ack, tests only */
    bool crash_after_work;      /* BANGDAI_FAULT=crash-after-work: SIGKILL after service_work's commit */
    int lose_acks;              /* BANGDAI_FAULT=lose-acks:N: the next N link Acks are not sent */
    bool lone;                  /* the batch being applied is one message */
    bool savepoints;            /* a savepoint per message (the batch's second pass) */
    struct link_senders *senders;   /* our place in each sender's numbering */
    struct dest_state *ds;      /* one per destination seen; grows */
    size_t n_ds, cap_ds;
    struct emitted *em;         /* this transaction's appends, in order */
    size_t n_em, cap_em;
    size_t em_mark;             /* n_em when the current message's savepoint was set */
    struct bound pub;           /* the PUB socket (def->feed); pub.sock NULL when none */
    struct binding feed_binding;    /* its name, for the log lines of pub */
    struct published *pq;       /* this transaction's frames for it, in order */
    size_t n_pq, cap_pq;
    size_t pq_mark;             /* n_pq when the current message's savepoint was set */
    struct metrics m;           /* what the loop counts (metrics.h) */
    struct metrics_server *http;    /* /metrics and /healthz; NULL without metrics.<name> */
    struct metrics_text text;   /* the exposition being rendered */
    void *state;
};

/* SIGINT and SIGTERM: shutdown_requested (shutdown.h). */
static volatile sig_atomic_t reloading;

static void on_hangup(int sig)
{
    (void)sig;
    reloading = 1;
}

PGconn *service_db(struct service *svc) { return svc->db; }
const struct config *service_config(struct service *svc) { return svc->cfg; }
const char *service_name(struct service *svc) { return svc->def->name; }

void service_take_calendar(struct service *svc, struct calendar *cal)
{
    calendar_clear(&svc->cfg->calendar);
    svc->cfg->calendar = *cal;
    memset(cal, 0, sizeof *cal);
}
void *service_state(struct service *svc) { return svc->state; }
void service_set_state(struct service *svc, void *state) { svc->state = state; }
void service_kick(struct service *svc) { svc->kicked = true; }

static struct dest_state *dest_state(struct service *svc, const char *name);

int service_resend(struct service *svc, const char *dest)
{
    struct dest_state *d = dest_state(svc, dest);
    if (d)
        d->backlog = true;
    svc->kicked = true;
    return relay_reconnected(svc->db, dest, 0);
}

zsock_t *service_socket(struct service *svc, const char *binding)
{
    for (int i = 0; i < svc->n_bound; i++)
        if (strcmp(svc->bound[i].b->name, binding) == 0)
            return svc->bound[i].sock;
    return NULL;
}

/* The state of destination name, made (nothing known to wait) the first
 * time. NULL when out of memory. */
static struct dest_state *dest_state(struct service *svc, const char *name)
{
    for (size_t i = 0; i < svc->n_ds; i++)
        if (strcmp(svc->ds[i].name, name) == 0)
            return &svc->ds[i];
    void *v = array_grow(svc->ds, svc->n_ds, &svc->cap_ds, sizeof *svc->ds, 16);
    if (!v)
        return NULL;
    svc->ds = v;
    struct dest_state *d = &svc->ds[svc->n_ds++];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", name);
    return d;
}

/* At start: how many rows wait for each destination; all of them are due
 * (relay_restart), so each destination with any is backlogged. */
static int load_unacked(struct service *svc)
{
    PGresult *res = relay_pending_by_dest(svc->db);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        struct dest_state *d = dest_state(svc, PQgetvalue(res, i, 0));
        if (!d) {
            PQclear(res);
            return -1;
        }
        d->unacked = atol(PQgetvalue(res, i, 1));
        d->backlog = true;
    }
    PQclear(res);
    svc->kicked = true;
    return 0;
}

/* Every destination's rows are due now (a start, a database reconnect):
 * new messages queue behind them until a scan has sent them. */
static void all_backlogged(struct service *svc)
{
    for (size_t i = 0; i < svc->n_ds; i++)
        svc->ds[i].backlog = true;
    svc->kicked = true;
}

int service_emit(struct service *svc, const char *dest, const char *type,
                 const char *case_no, const ProtobufCMessage *msg,
                 char id_out[UUID_STR_LEN])
{
    const char *trace = svc->cur && svc->cur->env ? svc->cur->env->trace_id : NULL;
    struct dest_state *d = dest_state(svc, dest);
    /* The fast path: nothing older waits for this destination and its
     * window has room, so the loop sends the message itself after the
     * commit. Otherwise it waits in the outbox for the relay's scan. */
    bool direct = d && !d->backlog && d->unacked + d->pending_new < svc->cfg->link.window;
    void *v = array_grow(svc->em, svc->n_em, &svc->cap_em, sizeof *svc->em, 64);
    if (!v)
        return SERVICE_RETRY;
    svc->em = v;
    struct emitted *e = &svc->em[svc->n_em];
    if (strlen(dest) >= sizeof e->dest_name || strlen(type) >= sizeof e->type
        || (case_no && strlen(case_no) >= sizeof e->case_no)) {
        log_error("outbox.name_too_long", .case_no = case_no, .detail = log_fmt("%s to %s", type, dest));
        return SERVICE_RETRY;
    }
    if (outbox_pack(svc->def->name, type, case_no, trace, msg, &e->row) != 0)
        return SERVICE_RETRY;
    if (id_out)
        memcpy(id_out, e->row.id, UUID_STR_LEN);
    e->dest = d ? d - svc->ds : -1;
    e->direct = direct;
    e->more = false;
    snprintf(e->dest_name, sizeof e->dest_name, "%s", dest);
    snprintf(e->type, sizeof e->type, "%s", type);
    snprintf(e->case_no, sizeof e->case_no, "%s", case_no ? case_no : "");
    svc->n_em++;
    if (!direct) {
        if (d)
            d->backlog = true;
        svc->kicked = true;
    }
    if (d)
        d->pending_new++;
    return 0;
}

/* The envelope a message of type about case_no to dest may ride in: the
 * transaction's last message to dest about the same case, when it is of
 * the same type, was emitted by service_emit_more, and would be undone
 * with this one (with a savepoint per message, it must be the current
 * message's own; without, any rollback discards them all). NULL when none. */
static struct emitted *emitted_ride(struct service *svc, const char *dest, const char *type,
                                    const char *case_no)
{
    size_t floor = svc->savepoints ? svc->em_mark : 0;
    for (size_t i = svc->n_em; i > floor; i--) {
        struct emitted *e = &svc->em[i - 1];
        if (strcmp(e->dest_name, dest) != 0 || strcmp(e->case_no, case_no) != 0)
            continue;
        /* Only messages of other cases are passed over: the order of one
         * case's messages on a link is kept. */
        return e->more && strcmp(e->type, type) == 0 ? e : NULL;
    }
    return NULL;
}

int service_emit_more(struct service *svc, const char *dest, const char *type,
                      const char *case_no, const ProtobufCMessage *msg)
{
    struct emitted *e = case_no && case_no[0] ? emitted_ride(svc, dest, type, case_no) : NULL;
    size_t len = e ? protobuf_c_message_get_packed_size(msg) : 0;
    /* A bounded envelope: far under the frame limit, whatever the case. */
    if (!e || e->row.len + len + 32 > (size_t)svc->cfg->link.max_frame_bytes / 4) {
        int rc = service_emit(svc, dest, type, case_no, msg, NULL);
        if (rc == 0)
            svc->em[svc->n_em - 1].more = true;
        return rc;
    }
    size_t n;
    uint8_t *frame = envelope_with_more(e->row.frame, e->row.len, msg, &n);
    if (!frame)
        return SERVICE_RETRY;
    free(e->row.frame);
    e->row.frame = frame;
    e->row.len = n;
    return 0;
}

int service_publish(struct service *svc, const char *topic, const char *type,
                    const char *case_no, const ProtobufCMessage *msg)
{
    if (!svc->pub.sock)
        return 0;
    if (strlen(topic) >= sizeof svc->pq->topic)
        return SERVICE_RETRY;
    void *v = array_grow(svc->pq, svc->n_pq, &svc->cap_pq, sizeof *svc->pq, 16);
    if (!v)
        return SERVICE_RETRY;
    svc->pq = v;
    struct published *p = &svc->pq[svc->n_pq];
    const char *trace = svc->cur && svc->cur->env ? svc->cur->env->trace_id : NULL;
    p->frame = envelope_pack(type, svc->def->name, case_no, trace, msg, &p->len, NULL);
    if (!p->frame)
        return SERVICE_RETRY;
    snprintf(p->topic, sizeof p->topic, "%s", topic);
    svc->n_pq++;
    return 0;
}

bool service_publishes(struct service *svc) { return svc->pub.sock != NULL; }

/* Forgets the frames queued after the first `mark`: rolled back. */
static void published_truncate(struct service *svc, size_t mark)
{
    while (svc->n_pq > mark) {
        struct published *p = &svc->pq[--svc->n_pq];
        free(p->frame);
        p->frame = NULL;
    }
}

/* After the commit: what the transaction queued goes out, in order. A PUB
 * never blocks; a frame a subscriber cannot take is dropped for it. */
static void published_send(struct service *svc)
{
    void *s = svc->pub.sock ? zsock_resolve(svc->pub.sock) : NULL;
    for (size_t i = 0; s && i < svc->n_pq; i++) {
        struct published *p = &svc->pq[i];
        if (zmq_send(s, p->topic, strlen(p->topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
            zmq_send(s, p->frame, p->len, ZMQ_DONTWAIT) < 0)
            log_warn("feed.not_sent", .case_no = p->topic, .detail = zmq_strerror(zmq_errno()));
    }
    published_truncate(svc, 0);
}

/* Stores what the transaction emitted, in one statement. Returns 0 or -1. */
static int emitted_store(struct service *svc)
{
    if (svc->n_em == 0)
        return 0;
    struct outbox_msg *m = calloc(svc->n_em, sizeof *m);
    if (!m)
        return -1;
    for (size_t i = 0; i < svc->n_em; i++) {
        struct emitted *e = &svc->em[i];
        m[i] = (struct outbox_msg){ .dest = e->dest_name, .type = e->type, .case_no = e->case_no,
                                    .inflight_ms = e->direct ? svc->cfg->link.resend_initial_ms : 0,
                                    .row = e->row };
    }
    int rc = outbox_append_many(svc->db, m, svc->n_em);
    for (size_t i = 0; rc == 0 && i < svc->n_em; i++)
        svc->em[i].row.seq = m[i].row.seq;
    free(m);
    return rc;
}

/* Forgets what was appended after the first `mark` appends of the
 * transaction: rolled back to a savepoint. */
static void emitted_truncate(struct service *svc, size_t mark)
{
    while (svc->n_em > mark) {
        struct emitted *e = &svc->em[--svc->n_em];
        if (e->dest >= 0 && svc->ds[e->dest].pending_new > 0)
            svc->ds[e->dest].pending_new--;
        free(e->row.frame);
        e->row.frame = NULL;
    }
}

int service_reply(struct service *svc, const char *type, const char *case_no,
                  const ProtobufCMessage *msg)
{
    struct item *it = svc->cur;
    if (!it)
        return SERVICE_RETRY;
    free(it->reply);
    it->reply = envelope_pack(type, svc->def->name, case_no, it->env->trace_id, msg,
                              &it->reply_len, NULL);
    return it->reply ? 0 : SERVICE_RETRY;
}

/* Records code, field and the formatted reason on the message being
 * handled. The reason often quotes what was received, maybe cut by a
 * precision in the middle of a character: it is stored, logged and sent
 * back, so it is made UTF-8 whatever came in. */
static void set_reason(struct item *it, const char *code, const char *field, const char *fmt,
                       va_list ap)
{
    snprintf(it->code, sizeof it->code, "%s", code);
    snprintf(it->field, sizeof it->field, "%s", field ? field : "");
    vsnprintf(it->message, sizeof it->message, fmt, ap);
    utf8_scrub(it->field);
    privacy_mask(utf8_scrub(it->message));
}

int service_refuse(struct service *svc, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    if (!svc->cur)
        return SERVICE_REFUSE;
    va_start(ap, fmt);
    set_reason(svc->cur, code, field, fmt, ap);
    va_end(ap);
    return SERVICE_REFUSE;
}

int service_defer(struct service *svc, const char *code, const char *field, const char *fmt, ...)
{
    va_list ap;
    if (!svc->cur)
        return SERVICE_DEFER;
    va_start(ap, fmt);
    set_reason(svc->cur, code, field, fmt, ap);
    va_end(ap);
    return SERVICE_DEFER;
}

/* Decodes the payload as desc; see service.h. Every string is checked as
 * it came on the wire (envelope_check_strings): protobuf-c would hand C a
 * string cut at a NUL, and PostgreSQL would refuse text that is not UTF-8
 * without naming the field. */
void *service_decode(struct service *svc, const struct service_msg *m,
                     const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, m->env->payload.len,
                                                      m->env->payload.data);
    char bad[160];
    const char *why;
    if (!msg) {
        service_refuse(svc, ERR_MALFORMED, "payload", "payload is not a valid %s", desc->short_name);
    } else if (envelope_check_strings(desc, m->env->payload.data, m->env->payload.len, bad, sizeof bad,
                                      &why) != 0) {
        /* The value is not echoed: it is what is wrong. */
        service_refuse(svc, ERR_INVALID, bad, "%s %s", bad, why);
        protobuf_c_message_free_unpacked(msg, NULL);
        msg = NULL;
    }
    return msg;
}

/* ---- options ---------------------------------------------------------- */

/* The --help text, which help2man also makes the man page of (docs/man):
 * "Options:", "Exit status:", "Signals:", "Environment:" and "Files:" are
 * its headings, and each entry's description starts after two spaces.
 * README.md, "The daemons" and "Reloading (SIGHUP) and stopping (SIGTERM)",
 * says the same; tests/integration/test_programs.sh checks that every option
 * README names is here. */
static void usage(const struct service_def *def, FILE *out)
{
    const char *n = def->name;
    fprintf(out,
        "Usage: bangdai-%s [--config FILE] [--log-level LEVEL]\n"
        "%s\n\n"
        "A daemon of bangdai. It connects to PostgreSQL as the role\n"
        "bangdai_%s, with its own schema %s as search path, from the\n"
        "configuration's database section (libpq's PG* variables fill in what it\n"
        "leaves out); a database not up yet is retried for 30 s. It speaks with\n"
        "the key %s of security.keys (its certificate in security.certs_dir),\n"
        "reads it and starts ZAP before it binds anything. It logs one JSON object\n"
        "per line on stderr. Under systemd (Type=notify) it says READY=1 once its\n"
        "database, keys and sockets are up, pets the watchdog from its loop when\n"
        "WATCHDOG_USEC is set and says STOPPING=1 on its way out; without\n"
        "NOTIFY_SOCKET none of this does anything.\n\n"
        "Options:\n"
        "  -c, --config FILE      the configuration (default $BANGDAI_CONFIG, else\n"
        "                         /etc/bangdai/bangdai.yaml), checked whole at start:\n"
        "                         the first error stops the daemon (status 2) and\n"
        "                         names the file, the line and the key\n"
        "  -l, --log-level LEVEL  debug, info, warn or error (default info); only a\n"
        "                         restart changes it\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n\n"
        "Exit status:\n"
        "  0  after SIGINT or SIGTERM\n"
        "  1  the environment failed (a missing certificate, the database, a bind),\n"
        "     after a fatal log line; or the way out after SIGTERM took more than\n"
        "     %d s (service.stop_timeout)\n"
        "  2  a usage or configuration error\n\n"
        "Signals:\n"
        "  SIGHUP            read the configuration file again, between two batches:\n"
        "                    a good file is put in force (config.reloaded; keys added\n"
        "                    or removed: security.reloaded), what only a restart\n"
        "                    changes keeps its value (config.restart_needed names it),\n"
        "                    a broken file is logged (config.reload_failed, FILE:LINE)\n"
        "                    and the one in force stays. The tracker also recomputes\n"
        "                    the open deadlines with the new calendar, as bangdaictl\n"
        "                    calendar apply does\n"
        "  SIGTERM, SIGINT   stop after the batch in hand: no new batch or scan, the\n"
        "                    batch committed or rolled back, then service.stopping and\n"
        "                    status 0; bounded: past %d s, service.stop_timeout and\n"
        "                    status 1\n\n"
        "Environment:\n"
        "  BANGDAI_CONFIG    the configuration file when --config is not given\n"
        "  PGHOST, PGPORT, PGPASSFILE, ...\n"
        "                    libpq's variables, for what the database section leaves\n"
        "                    out; passwords go in ~/.pgpass or PGPASSFILE, never in the\n"
        "                    configuration\n"
        "  NOTIFY_SOCKET, WATCHDOG_USEC\n"
        "                    set by systemd: READY=1, STOPPING=1 and the watchdog\n\n"
        "Files:\n"
        "  /etc/bangdai/bangdai.yaml\n"
        "                    the configuration by default\n"
        "  CERTS_DIR/%s.key, CERTS_DIR/%s.key_secret\n"
        "                    the daemon's CURVE certificate (security.certs_dir,\n"
        "                    relative to the working directory; bangdaictl keys init\n"
        "                    makes it)\n"
        "  CERTS_DIR/NAME.key\n"
        "                    the public key of each key of security.keys without an\n"
        "                    inline public_key\n",
        n, def->summary, n, n, n, SHUTDOWN_LIMIT_S, SHUTDOWN_LIMIT_S, n, n);
}

/* Returns the config path, or NULL after printing when the program should
 * exit with *status. */
static const char *parse_options(int argc, char **argv, const struct service_def *def,
                                 int *status)
{
    static const struct option opts[] = {
        { "config", required_argument, NULL, 'c' },
        { "log-level", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *path = getenv("BANGDAI_CONFIG");
    enum log_level level;
    int c;

    if (!path || !*path)
        path = "/etc/bangdai/bangdai.yaml";
    while ((c = getopt_long(argc, argv, "c:l:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'l':
            if (log_parse_level(optarg, &level) != 0) {
                fprintf(stderr, "bangdai-%s: --log-level: unknown level '%s'\n", def->name, optarg);
                *status = 2;
                return NULL;
            }
            log_set_level(level);
            break;
        case 'h': usage(def, stdout); *status = 0; return NULL;
        case 'V': printf("bangdai-%s %s\n", def->name, BANGDAI_VERSION); *status = 0; return NULL;
        default: usage(def, stderr); *status = 2; return NULL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bangdai-%s: unexpected argument '%s'\n", def->name, argv[optind]);
        *status = 2;
        return NULL;
    }
    return path;
}

/* ---- sockets ---------------------------------------------------------- */

static int open_sockets(struct service *svc)
{
    const struct service_def *def = svc->def;
    for (const struct binding *b = def->bindings; b && b->name; b++) {
        if (svc->n_bound == MAX_BOUND)
            return -1;
        const char *ep = sockets_endpoint(svc->cfg, b->name);
        zsock_t *s = ep ? sockets_bind_router(svc->cfg, ep) : NULL;
        if (!s) {
            log_fatal("service.bind_failed", .detail = log_fmt("%s at %s: %s", b->name,
                      ep ? ep : "(no endpoint)", zmq_strerror(zmq_errno())));
            return -1;
        }
        /* Connections refused before any message: a key not in the
         * configuration, a client without CURVE or with a wrong server key. */
        zsock_t *m = sockets_monitor(s, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
        if (!m)
            log_warn("service.monitor_failed", .detail = log_fmt("%s: connection refusals will not be logged", b->name));
        svc->bound[svc->n_bound++] = (struct bound){ .b = b, .sock = s, .monitor = m };
        log_info("service.bound", .detail = log_fmt("%s at %s", b->name, ep));
    }
    const char *feed = def->feed ? sockets_endpoint(svc->cfg, def->feed) : NULL;
    if (def->feed && !feed)
        log_info("service.feed_off", .detail = log_fmt("no endpoints.%s in the configuration: "
                                                       "nothing is published", def->feed));
    if (feed) {
        zsock_t *s = sockets_bind_pub(svc->cfg, feed);
        if (!s) {
            log_fatal("service.bind_failed", .detail = log_fmt("%s at %s: %s", def->feed, feed,
                                                              zmq_strerror(zmq_errno())));
            return -1;
        }
        /* A subscriber's key is checked like any client's: one not in the
         * configuration fails its handshake, and is logged link.refused. */
        zsock_t *m = sockets_monitor(s, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
        if (!m)
            log_warn("service.monitor_failed", .detail = log_fmt("%s: connection refusals will not be logged", def->feed));
        svc->feed_binding = (struct binding){ .name = def->feed };
        svc->pub = (struct bound){ .b = &svc->feed_binding, .sock = s, .monitor = m };
        log_info("service.bound", .detail = log_fmt("%s at %s (PUB)", def->feed, feed));
    }
    for (const char *const *d = def->dests; d && *d; d++) {
        if (svc->n_dests == MAX_DESTS)
            return -1;
        const char *ep = sockets_endpoint(svc->cfg, *d);
        /* The socket's own events say when the consumer is reachable again
         * (ZMQ_EVENT_HANDSHAKE_SUCCEEDED: the CURVE handshake is done, so a
         * message sent now goes through); watched from before the connect. */
        zsock_t *m = NULL;
        zsock_t *s = ep ? sockets_connect_watched(svc->cfg, ep, NULL,
                                                ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED, &m)
                        : NULL;
        if (!s) {
            log_fatal("service.connect_failed", .detail = log_fmt("%s at %s", *d, ep ? ep : "(no endpoint)"));
            return -1;
        }
        svc->dests[svc->n_dests++] = (struct dest){ *d, s, m, 0 };
    }
    return 0;
}

/* Makes sure the database connection is usable (db_ensure). When it had
 * broken -- PostgreSQL restarted -- and is back, every unacknowledged row is
 * made due at once: while the database was away the consumers could not
 * commit, so what we sent then earned back-off for nothing, and the
 * consumers are reachable again now. Returns 0 when usable, -1 when not. */
static int ensure_db(struct service *svc)
{
    bool was_broken = PQstatus(svc->db) != CONNECTION_OK;
    if (db_ensure(svc->db) != 0)
        return -1;
    if (was_broken) {
        if (svc->senders)
            link_senders_forget(svc->senders);
        if (relay_restart(svc->db) != 0)
            return -1;
        all_backlogged(svc);
    }
    return 0;
}

/* Why a handshake failed, in words, from its monitor event and value;
 * written into buf. */
static const char *handshake_fault(int ev, uint32_t value, char *buf, size_t len)
{
    if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400)
        snprintf(buf, len, "its key is not in the configuration (ZAP 400)");
    else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        snprintf(buf, len, "authentication failed (ZAP %u)", value);
    else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        snprintf(buf, len, "the client does not speak CURVE");
    else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        snprintf(buf, len, "CURVE failed: the client has a wrong server key, or the frames were forged");
    else if (ev == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        snprintf(buf, len, "protocol error 0x%08x", value);
    else
        snprintf(buf, len, "the handshake broke off (%s; a client without CURVE, or one that left)",
                 zmq_strerror((int)value));
    return buf;
}

/* Whether one more line of event may be logged under cap now (at most
 * WARNINGS_LOGGED_PER_MIN a minute); when a minute with lines left out is
 * over, logs how many, naming the socket. */
static bool log_cap_allow(struct log_cap *cap, const char *event, const char *socket_name)
{
    int64_t now = now_us();
    if (now - cap->window_at >= 60 * 1000000LL) {
        if (cap->suppressed)
            log_warn(event, .detail = log_fmt("%s: %d more in the last minute, not logged",
                                              socket_name, cap->suppressed));
        cap->window_at = now;
        cap->logged = cap->suppressed = 0;
    }
    if (cap->logged >= WARNINGS_LOGGED_PER_MIN) {
        cap->suppressed++;
        return false;
    }
    cap->logged++;
    return true;
}

/* Reads one event from a bound socket's monitor: a connection refused
 * before any message. Logged (link.refused, warn, rate-limited), with the
 * key the client offered when zauth denied it. */
static void on_bound_event(struct bound *b)
{
    uint32_t value = 0;
    char peer[128], key[SECURITY_KEY_TXT];
    int ev = sockets_monitor_event_value(b->monitor, &value, peer, sizeof peer);
    if (ev <= 0)
        return;
    /* Taken even when the line is left out, so that it never names the
     * key of another refusal. */
    bool has_key = ev == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && security_denied_key(peer, key);
    if (!log_cap_allow(&b->refusals, "link.refused", b->b->name))
        return;
    char why[160];
    log_warn("link.refused", .detail = log_fmt("%s: a connection from %s refused: %s%s%s", b->b->name,
                                               peer[0] ? peer : "an unknown address",
                                               handshake_fault(ev, value, why, sizeof why),
                                               has_key ? "; it offered the key " : "", has_key ? key : ""));
}

/* Reads one event from dest's monitor; when the consumer has just become
 * reachable, makes what waits for it due now. */
static void on_monitor_event(struct service *svc, struct dest *d)
{
    int ev = sockets_monitor_event(d->monitor);
    if (ev == ZMQ_EVENT_DISCONNECTED) {
        /* What went out before now may have been lost with the connection. */
        d->lost_at = now_us();
        log_warn("link.disconnected", .detail = log_fmt("%s unreachable; its messages wait", d->name));
    } else if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        log_info("link.connected", .detail = log_fmt("%s reachable%s", d->name,
                 d->lost_at ? "; resending what was sent before the break" : ""));
        /* The first connection needs nothing: everything unacknowledged
         * was made due at start. */
        if (d->lost_at) {
            if (ensure_db(svc) != 0 || relay_reconnected(svc->db, d->name, d->lost_at) != 0)
                log_warn("link.resend_not_scheduled", .detail = d->name);
            d->lost_at = 0;
            struct dest_state *ds = dest_state(svc, d->name);
            if (ds)
                ds->backlog = true;
        }
        svc->kicked = true;
    }
}

/* ---- relay ------------------------------------------------------------ */

/* Sends one row (with its number) to its consumer without blocking.
 * Returns 0, or -1 when it could not be handed over now: no connection,
 * the queue full, an agent not connected. */
static int send_row(struct service *svc, const struct relay_row *row)
{
    size_t len = row->len;
    uint8_t *numbered = NULL;
    const uint8_t *frame = row->frame;
    if (row->seq) {
        numbered = envelope_with_seq(row->frame, row->len, row->seq, &len);
        if (!numbered)
            return -1;
        frame = numbered;
    }
    int rc = -1;
    bool direct = false;
    for (int i = 0; i < svc->n_dests; i++)
        if (strcmp(svc->dests[i].name, row->dest) == 0) {
            rc = zmq_send(zsock_resolve(svc->dests[i].sock), frame, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
            direct = true;
            break;
        }
    zsock_t *sock = NULL;
    zframe_t *identity = NULL;
    if (!direct && svc->def->resolve && svc->def->resolve(svc, row->dest, &sock, &identity) == 0) {
        rc = zmq_send(zsock_resolve(sock), zframe_data(identity), zframe_size(identity),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc >= 0)
            rc = zmq_send(zsock_resolve(sock), frame, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
        else
            rc = -1;
    }
    free(numbered);
    return rc;
}

#define MAX_BLOCKED 64

static bool listed(const char *const *list, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Sends what is due, a batch at a time, until nothing more is due. A
 * destination that refuses a send (its consumer unreachable) is skipped for
 * the rest of this run: its later rows must not overtake the one that did
 * not go, and its rows must not keep the other destinations waiting. Only
 * rows that went out are charged a back-off. */
/* The scan found nothing more due, except for the destinations in skip
 * (unreachable): the others have nothing waiting unsent -- none due, and
 * none behind a full window -- so new messages may go to them directly. */
static void scan_complete(struct service *svc, const char *const *skip, int n_skip)
{
    for (size_t i = 0; i < svc->n_ds; i++) {
        struct dest_state *d = &svc->ds[i];
        if (d->backlog && !listed(skip, n_skip, d->name) && d->unacked < svc->cfg->link.window)
            d->backlog = false;
    }
}

static void relay_run(struct service *svc)
{
    char blocked[MAX_BLOCKED][64];
    const char *skip[MAX_BLOCKED];
    int n_blocked = 0;
    for (int round = 0; round < 100; round++) {
        struct relay_batch batch;
        if (relay_due(svc->db, svc->cfg->link.batch, svc->cfg->link.window, skip, n_blocked,
                      &batch) != 0)
            return;
        if (batch.n == 0) {
            relay_batch_clear(&batch);
            scan_complete(svc, skip, n_blocked);
            return;
        }
        const char **ids = malloc(batch.n * sizeof *ids);
        int sent = 0, tried_blocked = n_blocked;
        for (size_t i = 0; ids && i < batch.n; i++) {
            const struct relay_row *row = &batch.rows[i];
            if (listed(skip, n_blocked, row->dest))
                continue;
            if (send_row(svc, row) == 0) {
                ids[sent++] = row->id;
                struct metrics_dest *md = metrics_dest(&svc->m, row->dest);
                if (md) {
                    md->sent++;
                    /* Sent before (its attempts count real sends only):
                     * no Ack in time, a reconnect or a restart. */
                    md->resent += row->attempts > 0;
                }
                log_debug("relay.sent", .case_no = row->case_no, .msg_id = row->id,
                          .detail = log_fmt("%s to %s, #%llu", row->type, row->dest,
                                            (unsigned long long)row->seq));
            } else if (n_blocked < MAX_BLOCKED) {
                snprintf(blocked[n_blocked], sizeof blocked[n_blocked], "%s", row->dest);
                skip[n_blocked] = blocked[n_blocked];
                n_blocked++;
                log_debug("relay.waiting", .case_no = row->case_no, .msg_id = row->id,
                          .detail = log_fmt("%s unreachable; %s waits", row->dest, row->type));
            }
        }
        int rc = ids ? relay_sent(svc->db, ids, sent, &svc->cfg->link) : -1;
        free(ids);
        size_t n = batch.n;
        relay_batch_clear(&batch);
        /* A full batch may hide more behind it: go on while something went
         * out or a destination was found unreachable (the next scan leaves
         * it out). */
        if (rc == 0 && n < (size_t)svc->cfg->link.batch)
            scan_complete(svc, skip, n_blocked);
        if (rc != 0 || n < (size_t)svc->cfg->link.batch || n_blocked == MAX_BLOCKED ||
            (sent == 0 && n_blocked == tried_blocked))
            return;
    }
}

/* ---- messages --------------------------------------------------------- */

static const struct handler *find_handler(const struct binding *b, const char *type)
{
    for (const struct handler *h = b ? b->handlers : NULL; h && h->type; h++)
        if (strcmp(h->type, type) == 0)
            return h;
    return NULL;
}

static void item_clear(struct item *it)
{
    zframe_destroy(&it->identity);
    if (it->env)
        bangdai__envelope__free_unpacked(it->env, NULL);
    free(it->reply);
    memset(it, 0, sizeof *it);
}

/* Sends the frames that address a reply to the sender of it: its identity
 * on a ROUTER socket, then the empty delimiter a REQ peer put before its
 * message. Returns 0 or -1. */
static int reply_prefix(zsock_t *sock, const struct item *it)
{
    void *s = zsock_resolve(sock);
    if (it->identity && zmq_send(s, zframe_data(it->identity), zframe_size(it->identity),
                                 ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    if (it->req && zmq_send(s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return 0;
}

static void send_reply(struct service *svc, zsock_t *sock, struct item *it)
{
    int rc = 0;
    /* A deferred message gets no answer: its producer sends it again. */
    if (it->outcome == SERVICE_DEFER)
        return;
    if (it->outcome == SERVICE_OK && it->h && it->h->kind == HANDLE_REQUEST && it->reply) {
        rc = reply_prefix(sock, it);
        if (rc >= 0)
            rc = zmq_send(zsock_resolve(sock), it->reply, it->reply_len, ZMQ_DONTWAIT);
    } else if (it->outcome == SERVICE_OK) {
        Bangdai__Ack ack = BANGDAI__ACK__INIT;
        ack.ref_id = it->env->id;
        rc = reply_prefix(sock, it);
        if (rc >= 0)
            rc = envelope_send(sock, NULL, MSG_ACK, svc->def->name, it->env->case_no, &ack.base);
    } else {
        rc = reply_prefix(sock, it);
        if (rc >= 0)
            rc = envelope_send_error(sock, NULL, svc->def->name, it->env ? it->env->id : "",
                                     it->code, it->field, it->message);
    }
    if (rc < 0)
        log_warn("service.reply_failed", .case_no = it->env ? it->env->case_no : NULL,
                 .detail = zmq_strerror(zmq_errno()));
}

/* Reads one message from sock into it. Returns 0, or -1 when it was
 * malformed (already answered and logged) or nothing could be read. */
static int receive(struct service *svc, zsock_t *sock, bool router, struct item *it)
{
    char err[256];
    zmsg_t *msg = zmsg_recv(sock);
    if (!msg)
        return -1;
    memset(it, 0, sizeof *it);
    if (router)
        it->identity = zmsg_pop(msg);
    /* A REQ peer puts an empty delimiter before the body; its reply must
     * have one too (reply_prefix). */
    zframe_t *body = zmsg_pop(msg);
    if (body && zframe_size(body) == 0 && zmsg_size(msg) > 0) {
        zframe_destroy(&body);
        body = zmsg_pop(msg);
        it->req = true;
    }
    size_t limit = (size_t)svc->cfg->link.max_frame_bytes;
    if (!body || zmsg_size(msg) != 0) {
        snprintf(err, sizeof err, "expected one envelope frame, got %zu", zmsg_size(msg) + (body ? 1 : 0));
        it->env = NULL;
    } else if (zframe_size(body) > limit) {
        /* The socket takes up to SOCKETS_FRAME_SLACK times the limit, so
         * that such a frame is answered and logged here; a larger one
         * only cuts the connection (libzmq says nothing of it). */
        const struct cfg_key *k = router ? security_peer(svc->cfg, body) : NULL;
        struct bound *bd = NULL;
        for (int i = 0; i < svc->n_bound; i++)
            if (svc->bound[i].sock == sock)
                bd = &svc->bound[i];
        snprintf(err, sizeof err, "a frame of %zu bytes; at most %zu", zframe_size(body), limit);
        svc->m.rejected[REJECT_OVERSIZED]++;
        if (!bd || log_cap_allow(&bd->oversized, "message.oversized", bd->b->name))
            log_warn("message.oversized", .detail = log_fmt("%s: key %s sent %s", bd ? bd->b->name : "reply",
                                                            k ? k->name : "(unknown)", err));
        zframe_destroy(&body);
        zmsg_destroy(&msg);
        if (router && reply_prefix(sock, it) == 0)
            (void)envelope_send_error(sock, NULL, svc->def->name, "", ERR_TOO_LARGE, "frame", err);
        item_clear(it);
        return -1;
    } else {
        it->env = envelope_unpack(zframe_data(body), zframe_size(body), err, sizeof err);
    }
    /* Who sent it: the key its connection authenticated with. */
    if (router && body)
        it->peer = security_peer(svc->cfg, body);
    zframe_destroy(&body);
    zmsg_destroy(&msg);
    if (!it->env) {
        svc->m.rejected[REJECT_MALFORMED]++;
        log_error("message.malformed", .detail = err);
        if (router && reply_prefix(sock, it) == 0)
            (void)envelope_send_error(sock, NULL, svc->def->name, "", ERR_MALFORMED, "envelope", err);
        item_clear(it);
        return -1;
    }
    return 0;
}

static bool is_ack(const Bangdai__Envelope *env)
{
    return strcmp(env->type, MSG_ACK) == 0 || strcmp(env->type, MSG_ERROR) == 0;
}

/* Whether the sender of it, read from the bound socket sock of binding b,
 * may send it: its key must be one of the configuration's, with a role
 * among those allowed (h->roles when h has some, else b->roles; 0 allows
 * every key). When not, logs message.forbidden with the key's name and,
 * unless the message is an Ack or Error, answers with Error "forbidden"
 * naming the role; the caller drops the message. */
static bool peer_allowed(struct service *svc, zsock_t *sock, const struct binding *b,
                         const struct handler *h, const struct item *it)
{
    unsigned roles = h && h->roles ? h->roles : b->roles;
    const struct cfg_key *k = it->peer;
    char why[256];
    if (k && (roles == 0 || (roles & (unsigned)k->role)))
        return true;
    /* With ZAP no unknown key gets this far; refuse it all the same. */
    if (k)
        snprintf(why, sizeof why, "a key of role %s may not send %.64s to %s",
                 config_role_name(k->role), it->env->type, b->name);
    else
        snprintf(why, sizeof why, "the sender's key is not in the configuration");
    svc->m.rejected[REJECT_FORBIDDEN]++;
    log_warn("message.forbidden", .case_no = it->env->case_no, .msg_id = it->env->id,
             .dept = k ? k->dept : NULL,
             .detail = log_fmt("key %s: %s", k ? k->name : "(unknown)", why));
    if (!is_ack(it->env) && reply_prefix(sock, it) == 0)
        (void)envelope_send_error(sock, NULL, svc->def->name, it->env->id, ERR_FORBIDDEN, "key", why);
    return false;
}

/* Ack or Error from a consumer: which outbox row, the refusal if any, and
 * (upto, may be NULL) the number a cumulative Ack covers, else 0. */
static int ack_ref(const Bangdai__Envelope *env, char id[UUID_STR_LEN], char *error, size_t errlen,
                   uint64_t *upto)
{
    error[0] = 0;
    if (upto)
        *upto = 0;
    if (strcmp(env->type, MSG_ACK) == 0) {
        Bangdai__Ack *a = bangdai__ack__unpack(NULL, env->payload.len, env->payload.data);
        if (!a)
            return -1;
        snprintf(id, UUID_STR_LEN, "%s", a->ref_id);
        if (upto)
            *upto = a->upto_seq;
        bangdai__ack__free_unpacked(a, NULL);
    } else {
        Bangdai__Error *e = bangdai__error__unpack(NULL, env->payload.len, env->payload.data);
        if (!e)
            return -1;
        snprintf(id, UUID_STR_LEN, "%s", e->ref_id);
        snprintf(error, errlen, "%s %s: %s", e->code, e->field, e->message);
        bangdai__error__free_unpacked(e, NULL);
    }
    return validate_uuid(id) == 0 ? 0 : -1;
}

/* A row for dest was acknowledged (or refused): one less in its window.
 * If that frees room for rows waiting behind the window, the relay runs.
 * (Counted at once, though the transaction could still roll back: then the
 * Ack comes again and the count is one low, which only lets one more row go
 * directly; the relay's scan stays the truth.) */
static void acked_one(struct service *svc, const char *dest)
{
    struct dest_state *d = dest_state(svc, dest);
    if (d && d->unacked > 0)
        d->unacked--;
    if (!d || d->backlog)
        svc->kicked = true;
}

static int apply_ack(struct service *svc, struct item *it, const char *dealer_dest)
{
    char id[UUID_STR_LEN], error[700], dest[64], type[64];
    if (ack_ref(it->env, id, error, sizeof error, NULL) != 0) {
        log_warn("relay.bad_ack", .detail = "acknowledgement without a valid ref_id");
        return 0;
    }
    /* On a bound socket the acknowledgement comes from an agent: it counts
     * only for what was sent to that agent's department. */
    char only[64];
    const char *from = dealer_dest;     /* on a DEALER: the consumer it connects to */
    if (it->peer) {
        snprintf(only, sizeof only, "dept:%s", it->peer->dept ? it->peer->dept : "");
        from = only;
    }
    int found = relay_acked(svc->db, id, error[0] ? error : NULL, from, dest, type);
    if (found < 0)
        return SERVICE_RETRY;
    if (found == 0)
        return 0;
    acked_one(svc, dest);
    if (error[0])
        log_error("relay.refused", .case_no = it->env->case_no, .msg_id = id,
                  .detail = log_fmt("%s to %s refused: %s", type, dest, utf8_scrub(error)));
    if (svc->def->on_acked && !error[0]) {
        const char *ids[1] = { id }, *dests[1] = { dest }, *types[1] = { type };
        return svc->def->on_acked(svc, 1, ids, dests, types);
    }
    return 0;
}

/* The rows a statement acknowledged (id, dest, type): counted out of their
 * window, and given to the service's on_acked all at once. Returns 0 or
 * SERVICE_RETRY. */
static int acked_rows(struct service *svc, PGresult *res)
{
    int n = res ? PQntuples(res) : 0;
    for (int r = 0; r < n; r++)
        acked_one(svc, PQgetvalue(res, r, 1));
    if (!svc->def->on_acked || n == 0)
        return 0;
    const char **col = calloc((size_t)n * 3, sizeof *col);
    if (!col)
        return SERVICE_RETRY;
    for (int r = 0; r < n; r++) {
        col[r] = PQgetvalue(res, r, 0);
        col[n + r] = PQgetvalue(res, r, 1);
        col[2 * n + r] = PQgetvalue(res, r, 2);
    }
    int rc = svc->def->on_acked(svc, n, col, col + n, col + 2 * n);
    free(col);
    return rc;
}

/* Some Acks from agents matched no row of their department: a resend of
 * one already acknowledged, or an Ack of another department's message (a
 * forged one: it acknowledges nothing). Logs the second kind
 * (relay.foreign_ack, warn, at most 10 a minute). */
static void foreign_acks(struct service *svc, const char *const *ids, const char *const *froms, int n)
{
    static struct log_cap cap;
    PGresult *res = relay_foreign_acks(svc->db, ids, froms, n);
    for (int r = 0; res && r < PQntuples(res); r++) {
        if (!log_cap_allow(&cap, "relay.foreign_ack", svc->def->name))
            continue;
        log_warn("relay.foreign_ack", .msg_id = PQgetvalue(res, r, 0),
                 .detail = log_fmt("%s acknowledged a message for %s: ignored",
                                   PQgetvalue(res, r, 2), PQgetvalue(res, r, 1)));
    }
    PQclear(res);
}

/* Applies a run of n consecutive acknowledgements of a batch: the Acks in
 * one statement (relay_acked_many), a consumer's cumulative Acks in one
 * more (relay_acked_upto, the highest number), each Error (a refusal) on
 * its own. Returns 0 or SERVICE_RETRY. */
static int apply_acks(struct service *svc, struct item *run, int n, const char *dealer_dest)
{
    const char **ids = calloc((size_t)n, sizeof *ids);
    const char **froms = calloc((size_t)n, sizeof *froms);
    char (*idbuf)[UUID_STR_LEN] = calloc((size_t)n, sizeof *idbuf);
    char (*frombuf)[64] = calloc((size_t)n, sizeof *frombuf);
    int m = 0, rc = 0;
    uint64_t upto_max = 0;
    if (!ids || !froms || !idbuf || !frombuf)
        rc = SERVICE_RETRY;
    for (int i = 0; i < n && rc == 0; i++) {
        struct item *it = &run[i];
        if (strcmp(it->env->type, MSG_ACK) != 0) {
            rc = apply_ack(svc, it, dealer_dest) == SERVICE_RETRY ? SERVICE_RETRY : 0;
            continue;
        }
        char error[8];
        uint64_t upto;
        if (ack_ref(it->env, idbuf[m], error, sizeof error, &upto) != 0) {
            log_warn("relay.bad_ack", .detail = "acknowledgement without a valid ref_id");
            continue;
        }
        /* Cumulative: only from the consumer a DEALER connects to (an
         * agent's count would not be of its department's rows alone). */
        if (upto && dealer_dest && !it->peer) {
            if (upto > upto_max)
                upto_max = upto;
            continue;
        }
        /* As in apply_ack: from an agent, only its department's rows. */
        froms[m] = dealer_dest;
        if (it->peer) {
            snprintf(frombuf[m], sizeof frombuf[m], "dept:%s", it->peer->dept ? it->peer->dept : "");
            froms[m] = frombuf[m];
        }
        ids[m] = idbuf[m];
        m++;
    }
    PGresult *res = rc == 0 && m > 0 ? relay_acked_many(svc->db, ids, froms, m) : NULL;
    if (rc == 0 && m > 0 && !res)
        rc = SERVICE_RETRY;
    if (rc == 0 && !dealer_dest && PQntuples(res) < m)
        foreign_acks(svc, ids, froms, m);
    if (rc == 0)
        rc = acked_rows(svc, res);
    PQclear(res);
    res = rc == 0 && upto_max ? relay_acked_upto(svc->db, dealer_dest, upto_max) : NULL;
    if (rc == 0 && upto_max && !res)
        rc = SERVICE_RETRY;
    if (rc == 0)
        rc = acked_rows(svc, res);
    PQclear(res);
    free(ids);
    free(froms);
    free(idbuf);
    free(frombuf);
    return rc;
}

static int run_utility(PGconn *db, const char *verb)
{
    PGresult *r = PQexec(db, verb);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok ? 0 : -1;
}

/* The savepoint of one message. The first pass over a batch sets none:
 * nearly every message is applied, and two round trips per message are
 * the price of a savepoint. When one message has to be undone (refused,
 * deferred, or the database refused its data), a lone message is undone
 * with its transaction (a fresh one then takes what is recorded after, the
 * refusal); in a batch of several the whole transaction is rolled back and
 * applied again, this time with a savepoint per message (SAVEPOINT_REDO).
 * savepoint() starts it, its "RELEASE" and "ROLLBACK TO" ends it; each
 * returns 0, -1 (the database failed) or SAVEPOINT_REDO. */
#define SAVEPOINT_REDO 1
/* apply_one's outcome when the batch must be applied again with savepoints. */
#define SERVICE_REDO (-100)
static int savepoint(struct service *svc, const char *verb)
{
    bool undo = strcmp(verb, "ROLLBACK TO SAVEPOINT m") == 0;
    /* What the message appended goes with its savepoint: it must neither be
     * sent nor stored. */
    if (strcmp(verb, "SAVEPOINT m") == 0) {
        svc->em_mark = svc->n_em;
        svc->pq_mark = svc->n_pq;
    } else if (undo) {
        emitted_truncate(svc, svc->em_mark);
        published_truncate(svc, svc->pq_mark);
    }
    if (svc->savepoints)
        return run_utility(svc->db, verb);
    if (!undo)
        return 0;
    if (!svc->lone)
        return SAVEPOINT_REDO;
    return run_utility(svc->db, "ROLLBACK") == 0 && db_begin(svc->db) == 0 ? 0 : -1;
}

/* Refuses it for good inside its savepoint (already rolled back to): counts
 * its number, so the sender's later messages go on, and stores the refusal
 * under its id, so a resend gets the same Error. Logs message.refused, the
 * one line a refusal makes. */
static int refuse_one(struct service *svc, struct item *it)
{
    if (!it->code[0])
        snprintf(it->code, sizeof it->code, "%s", ERR_INVALID);
    log_error("message.refused", .case_no = it->env->case_no, .msg_id = it->env->id,
              .detail = log_fmt("%s: %s %s: %s", it->env->type, it->code, it->field, it->message));
    if (it->h->kind != HANDLE_LINK)
        return SERVICE_REFUSE;
    if (it->env->seq)
        link_senders_advance(svc->senders, it->sender, it->env->seq);
    if (inbox_refuse(svc->db, it->sender, it->env, it->code, it->field, it->message) != 0)
        return SERVICE_RETRY;
    return SERVICE_REFUSE;
}

/* Seconds on the monotonic clock, for the handlers' latency. */
static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void observe_latency(struct service *svc, const char *type, double seconds)
{
    struct metrics_type *mt = metrics_type(&svc->m, type);
    if (mt)
        metrics_observe(&mt->latency, seconds);
}

/* How long it has waited since its producer made it, in seconds. */
static double age_s(const Bangdai__Envelope *env)
{
    int64_t now = now_us();
    if (env->created_at_us <= 0 || env->created_at_us > now)
        return 0;
    return (double)(now - env->created_at_us) / 1e6;
}

/* Runs its handler on the payload and then on each of Envelope.more (the
 * same type, the same case: service_emit_more), in order, until one is not
 * SERVICE_OK; that outcome, through def->after_message, is the whole
 * message's. */
static int call_handler(struct service *svc, struct item *it)
{
    Bangdai__Envelope part = *it->env;
    struct service_msg sm = { &part, it->identity, it->binding, it->peer };
    int rc;
    svc->cur = it;
    rc = it->h->fn(svc, &sm);
    for (size_t i = 0; i < it->env->n_more && rc == SERVICE_OK; i++) {
        part.payload = it->env->more[i];
        rc = it->h->fn(svc, &sm);
    }
    if (svc->def->after_message)
        rc = svc->def->after_message(svc, rc);
    svc->cur = NULL;
    return rc;
}

/* Applies one message inside the batch transaction, in a savepoint of its
 * own. Returns its outcome: SERVICE_OK (acknowledge), SERVICE_REFUSE
 * (answer with the Error in it), SERVICE_DEFER (undone, no answer) or
 * SERVICE_RETRY (the batch must be rolled back). */
static int apply_one(struct service *svc, struct item *it)
{
    if (savepoint(svc, "SAVEPOINT m") != 0)
        return SERVICE_RETRY;
    int rc;
    struct inbox_refusal prior;
    if (it->h->kind == HANDLE_LINK && it->env->seq) {
        uint64_t last = 0;
        switch (link_senders_check(svc->senders, svc->db, it->sender, it->env, &last, &prior)) {
        case LINK_NEXT:
            break;
        case LINK_SEEN:
            it->duplicate = true;
            log_info("message.duplicate", .case_no = it->env->case_no, .msg_id = it->env->id,
                     .detail = log_fmt("%s #%llu from %s", it->env->type,
                                       (unsigned long long)it->env->seq, it->sender));
            return savepoint(svc, "RELEASE SAVEPOINT m") ? SERVICE_RETRY : SERVICE_OK;
        case LINK_REFUSED:
            snprintf(it->code, sizeof it->code, "%s", prior.code);
            snprintf(it->field, sizeof it->field, "%s", prior.field);
            snprintf(it->message, sizeof it->message, "%s", prior.message);
            return savepoint(svc, "RELEASE SAVEPOINT m") ? SERVICE_RETRY : SERVICE_REFUSE;
        case LINK_EARLY:
            /* Something before it was lost on the way (a connection that
             * broke, a batch rolled back): hold it until the gap fills. */
            log_debug("message.early", .case_no = it->env->case_no, .msg_id = it->env->id,
                      .detail = log_fmt("%s #%llu from %s waits for #%llu", it->env->type,
                                        (unsigned long long)it->env->seq, it->sender,
                                        (unsigned long long)last + 1));
            return savepoint(svc, "RELEASE SAVEPOINT m") ? SERVICE_RETRY : SERVICE_DEFER;
        case LINK_ORDER_FAILED:
            return SERVICE_RETRY;
        }
    } else if (it->h->kind == HANDLE_LINK) {
        switch (inbox_record(svc->db, it->sender, it->env, &prior)) {
        case INBOX_SEEN:
            it->duplicate = true;
            log_info("message.duplicate", .case_no = it->env->case_no, .msg_id = it->env->id,
                     .detail = log_fmt("%s from %s", it->env->type, it->sender));
            return savepoint(svc, "RELEASE SAVEPOINT m") ? SERVICE_RETRY : SERVICE_OK;
        case INBOX_REFUSED:
            snprintf(it->code, sizeof it->code, "%s", prior.code);
            snprintf(it->field, sizeof it->field, "%s", prior.field);
            snprintf(it->message, sizeof it->message, "%s", prior.message);
            return savepoint(svc, "RELEASE SAVEPOINT m") ? SERVICE_RETRY : SERVICE_REFUSE;
        case INBOX_FAILED:
            return SERVICE_RETRY;
        case INBOX_NEW:
            break;
        }
    }
    db_clear_error();
    double started = mono_s();
    rc = call_handler(svc, it);
    observe_latency(svc, it->env->type, mono_s() - started);
    if (rc == SERVICE_RETRY && PQstatus(svc->db) == CONNECTION_OK && db_error_is_data()) {
        /* The data's fault, not the environment's: trying again would fail
         * again and take the rest of the batch with it every time. */
        const struct db_error *e = db_last_error();
        snprintf(it->code, sizeof it->code, "%s", ERR_INVALID);
        snprintf(it->field, sizeof it->field, "%s",
                 e->column[0] ? e->column : e->constraint[0] ? e->constraint : "payload");
        snprintf(it->message, sizeof it->message, "the database refused the data (SQLSTATE %s): %s",
                 e->sqlstate, e->message);
        utf8_scrub(it->message);
        rc = SERVICE_REFUSE;
    }
    if (rc == SERVICE_RETRY)
        return rc;
    if (rc == SERVICE_DEFER || rc == SERVICE_REFUSE) {
        int u = savepoint(svc, "ROLLBACK TO SAVEPOINT m");
        if (u == SAVEPOINT_REDO)
            return SERVICE_REDO;
        if (u != 0)
            return SERVICE_RETRY;
    }
    if (rc == SERVICE_DEFER && (it->h->kind != HANDLE_LINK ||
                                age_s(it->env) > svc->cfg->link.defer_limit_s)) {
        /* What it waits for has not come in link.defer_limit_s: it will
         * not, and holding it longer would hold its sender's later
         * messages too. */
        size_t l = strlen(it->message);
        snprintf(it->message + l, sizeof it->message - l, " (waited %.0f s)", age_s(it->env));
        rc = SERVICE_REFUSE;
    } else if (rc == SERVICE_DEFER) {
        log_info("message.deferred", .case_no = it->env->case_no, .msg_id = it->env->id,
                 .detail = log_fmt("%s: waits: %s %s: %s", it->env->type, it->code, it->field,
                                   it->message));
    }
    if (rc == SERVICE_REFUSE)
        rc = refuse_one(svc, it);
    if (rc == SERVICE_RETRY)
        return rc;
    if (rc == SERVICE_OK && it->h->kind == HANDLE_LINK && it->env->seq)
        link_senders_advance(svc->senders, it->sender, it->env->seq);
    return savepoint(svc, "RELEASE SAVEPOINT m") ? SERVICE_RETRY : rc;
}

/* After a rollback: nothing of the transaction was appended. */
static void emitted_discard(struct service *svc)
{
    emitted_truncate(svc, 0);
    published_truncate(svc, 0);
    for (size_t i = 0; i < svc->n_ds; i++)
        svc->ds[i].pending_new = 0;
}

/* After the commit: the appended rows count as unacknowledged, and the
 * direct ones go out now, in order. One that cannot go (the consumer
 * unreachable) is made due again in the outbox, with the ones behind it,
 * for the relay; its destination queues new messages until then. */
static void emitted_send(struct service *svc)
{
    for (size_t i = 0; i < svc->n_ds; i++) {
        svc->ds[i].unacked += svc->ds[i].pending_new;
        svc->ds[i].pending_new = 0;
    }
    const char **unsent = svc->n_em ? malloc(svc->n_em * sizeof *unsent) : NULL;
    int n_unsent = 0;
    for (size_t i = 0; i < svc->n_em; i++) {
        struct emitted *e = &svc->em[i];
        if (!e->direct || e->dest < 0)
            continue;       /* waits in the outbox for the relay */
        struct dest_state *d = &svc->ds[e->dest];
        struct relay_row r = { .frame = e->row.frame, .len = e->row.len, .seq = e->row.seq };
        snprintf(r.id, sizeof r.id, "%s", e->row.id);
        snprintf(r.dest, sizeof r.dest, "%s", d->name);
        snprintf(r.type, sizeof r.type, "%s", e->type);
        snprintf(r.case_no, sizeof r.case_no, "%s", e->case_no);
        if (!d->backlog && send_row(svc, &r) == 0) {
            struct metrics_dest *md = metrics_dest(&svc->m, d->name);
            if (md)
                md->sent++;
            log_debug("relay.sent", .case_no = r.case_no, .msg_id = r.id,
                      .detail = log_fmt("%s to %s, #%llu (direct)", r.type, r.dest, (unsigned long long)r.seq));
            continue;
        }
        d->backlog = true;
        if (unsent)
            unsent[n_unsent++] = e->row.id;
    }
    if (n_unsent) {
        if (relay_unsent(svc->db, unsent, n_unsent) != 0)
            log_warn("relay.unsent_not_marked", .detail = "they go out when their back-off ends");
        svc->kicked = true;
    }
    free(unsent);
    for (size_t i = 0; i < svc->n_em; i++)
        free(svc->em[i].row.frame);
    svc->n_em = 0;
}

/* Whether it is answered by its producer's one cumulative Ack of the batch:
 * a numbered link message, applied (or a duplicate), from a producer on a
 * bound socket. */
static bool acked_cumulatively(const struct item *it)
{
    return it->h && it->h->kind == HANDLE_LINK && it->env->seq && it->identity
           && it->outcome == SERVICE_OK;
}

/* One Ack per producer for its numbered messages of the batch: the last
 * one's id, and the producer's place (every number up to it applied or
 * refused), so that an Ack lost on the way (a ROUTER socket drops what a
 * full pipe cannot take) is made good by the next. */
static void send_cumulative_acks(struct service *svc, zsock_t *sock, struct item *items, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        if (!acked_cumulatively(&items[i]))
            continue;
        bool later = false;
        for (int j = i + 1; j < n && !later; j++)
            later = acked_cumulatively(&items[j]) && strcmp(items[j].sender, items[i].sender) == 0;
        if (later)
            continue;
        /* Fault injection for the tests (tests/integration): an Ack lost
         * on its way back, as a full pipe would lose it. */
        if (svc->lose_acks > 0) {
            svc->lose_acks--;
            log_warn("service.fault_injected", .case_no = items[i].env->case_no, .msg_id = items[i].env->id,
                     .detail = log_fmt("BANGDAI_FAULT=lose-acks: the Ack up to #%llu not sent",
                                       (unsigned long long)link_senders_place(svc->senders, items[i].sender)));
            continue;
        }
        Bangdai__Ack ack = BANGDAI__ACK__INIT;
        ack.ref_id = items[i].env->id;
        ack.upto_seq = link_senders_place(svc->senders, items[i].sender);
        if (ack.upto_seq < items[i].env->seq)
            ack.upto_seq = items[i].env->seq;
        if (reply_prefix(sock, &items[i]) < 0
            || envelope_send(sock, NULL, MSG_ACK, svc->def->name, items[i].env->case_no, &ack.base) < 0)
            log_warn("service.reply_failed", .case_no = items[i].env->case_no,
                     .detail = zmq_strerror(zmq_errno()));
    }
}

/* ---- metrics ----------------------------------------------------------- */

/* After a batch's commit: its size, and each message's outcome by type. */
static void count_batch(struct service *svc, const struct item *items, int n)
{
    metrics_observe(&svc->m.batch_size, n);
    for (int i = 0; i < n; i++) {
        struct metrics_type *mt = items[i].h ? metrics_type(&svc->m, items[i].env->type) : NULL;
        if (!mt)
            continue;
        if (items[i].outcome == SERVICE_OK && items[i].duplicate)
            mt->duplicated++;
        else if (items[i].outcome == SERVICE_OK)
            mt->applied++;
        else if (items[i].outcome == SERVICE_REFUSE)
            mt->refused++;
        else if (items[i].outcome == SERVICE_DEFER)
            mt->deferred++;
    }
}

/* The outbox's unacknowledged rows per destination, their number and the
 * oldest one's age: every destination the outbox has numbered and every
 * one the daemon names, so that a destination whose backlog is gone shows
 * 0 rather than nothing. Returns 0 or -1 (the database failed). */
static int render_outbox(struct service *svc, struct metrics_text *t)
{
    const char *names[MAX_DESTS];
    int n = 0;
    for (const char *const *d = svc->def->dests; d && *d && n < MAX_DESTS; d++)
        names[n++] = *d;
    char *arr = db_text_array(names, n);
    if (!arr)
        return -1;
    const char *p[1] = { arr };
    PGresult *res = db_exec(svc->db, "metrics.outbox",
        "SELECT d.dest, count(o.seq),"
        " coalesce(extract(epoch FROM now() - min(o.created_at)), 0)::float8"
        " FROM (SELECT dest FROM outbox_seq UNION SELECT unnest($1::text[])) d"
        " LEFT JOIN outbox o ON o.dest = d.dest AND o.acked_at IS NULL"
        " GROUP BY d.dest ORDER BY d.dest", 1, p);
    free(arr);
    if (!res)
        return -1;
    metrics_family(t, "outbox_depth", "gauge", "Outbox messages not acknowledged yet, by destination.");
    for (int r = 0; r < PQntuples(res); r++)
        metrics_sample(t, "outbox_depth", atof(PQgetvalue(res, r, 1)), "dest", PQgetvalue(res, r, 0), NULL);
    metrics_family(t, "outbox_oldest_unacked_age_seconds", "gauge",
                   "Age of the oldest outbox message not acknowledged yet, by destination (0: none waits).");
    for (int r = 0; r < PQntuples(res); r++)
        metrics_sample(t, "outbox_oldest_unacked_age_seconds", atof(PQgetvalue(res, r, 2)),
                       "dest", PQgetvalue(res, r, 0), NULL);
    PQclear(res);
    return 0;
}

/* About once a second: renders the whole exposition (the counters, the
 * outbox, the daemon's own figures) and the health, and hands them to the
 * HTTP thread (metrics.h). Healthy means the database answered just now;
 * the sockets are bound and connected before the loop starts, and a
 * daemon that loses them exits. */
static void metrics_refresh(struct service *svc)
{
    struct metrics_text *t = &svc->text;
    metrics_text_clear(t);
    metrics_render(t, &svc->m, db_error_count());
    const char *reason = NULL;
    char why[256];
    if (ensure_db(svc) != 0) {
        snprintf(why, sizeof why, "database: %.200s", PQerrorMessage(svc->db));
        reason = why;
    } else if (render_outbox(svc, t) != 0 || (svc->def->on_metrics && svc->def->on_metrics(svc, t) != 0)) {
        snprintf(why, sizeof why, "database: %.200s", db_last_error()->message);
        reason = why;
    }
    if (reason) {
        /* libpq's messages end with a newline; the reason is one line. */
        for (char *c = why; *c; c++)
            if (*c == '\n')
                *c = ' ';
        for (size_t l = strlen(why); l > 0 && why[l - 1] == ' ';)
            why[--l] = 0;
    }
    metrics_family(t, "up", "gauge", "1 when the daemon's database answered at the last refresh, else 0.");
    metrics_sample(t, "up", reason ? 0 : 1, NULL);
    metrics_server_publish(svc->http, t, reason == NULL, reason);
}

/* Drains sock and applies what it read; see service.h. */
static void handle_batch(struct service *svc, zsock_t *sock, const struct binding *b,
                         const char *dealer_dest)
{
    int max = svc->cfg->link.batch;
    struct item *items = calloc((size_t)max, sizeof *items);
    int n = 0, in_txn = 0;
    bool router = b != NULL;

    if (!items)
        return;
    /* What was received before a SIGTERM is applied; nothing more is taken. */
    while (n < max && !shutdown_requested && (zsock_events(sock) & ZMQ_POLLIN)) {
        struct item *it = &items[n];
        if (receive(svc, sock, router, it) != 0)
            continue;
        if (is_ack(it->env)) {
            if (router && !peer_allowed(svc, sock, b, NULL, it)) {
                item_clear(it);
                continue;
            }
            n++;
            in_txn = 1;
            continue;
        }
        it->h = find_handler(b, it->env->type);
        /* Roles first: a key that may not send here learns nothing more,
         * not even which types exist. */
        if (router && !peer_allowed(svc, sock, b, it->h, it)) {
            item_clear(it);
            continue;
        }
        if (!it->h) {
            svc->m.rejected[REJECT_UNKNOWN_TYPE]++;
            log_error("message.unknown_type", .case_no = it->env->case_no, .msg_id = it->env->id,
                      .detail = it->env->type);
            if (router && reply_prefix(sock, it) == 0)
                (void)envelope_send_error(sock, NULL, svc->def->name, it->env->id,
                                          ERR_UNKNOWN_TYPE, "type",
                                          log_fmt("unknown message type '%s'", it->env->type));
            item_clear(it);
            continue;
        }
        if (it->env->n_more && it->h->kind != HANDLE_LINK) {
            /* Several messages in one envelope travel on links only: a
             * request has one reply, a notice no transaction. */
            log_error("message.malformed", .case_no = it->env->case_no, .msg_id = it->env->id,
                      .detail = log_fmt("%s with more: only link messages may carry more", it->env->type));
            if (router && reply_prefix(sock, it) == 0)
                (void)envelope_send_error(sock, NULL, svc->def->name, it->env->id, ERR_MALFORMED, "more",
                                          log_fmt("%s carries one message; more is for links between "
                                                  "daemons", it->env->type));
            item_clear(it);
            continue;
        }
        it->binding = b->name;
        snprintf(it->sender, sizeof it->sender, "%s@%s", it->peer ? it->peer->name : "?", b->name);
        if (it->h->kind == HANDLE_NOTICE) {
            struct service_msg sm = { it->env, it->identity, it->binding, it->peer };
            svc->cur = it;
            double started = mono_s();
            int nrc = it->h->fn(svc, &sm);
            observe_latency(svc, it->env->type, mono_s() - started);
            svc->cur = NULL;
            struct metrics_type *mt = metrics_type(&svc->m, it->env->type);
            if (mt && nrc == SERVICE_OK)
                mt->applied++;
            else if (mt)
                mt->refused++;
            item_clear(it);
            continue;
        }
        n++;
        in_txn = 1;
    }
    if (!in_txn)
        goto done;

    int failed = ensure_db(svc) != 0 || db_begin(svc->db) != 0;
    svc->lone = n == 1;
    svc->savepoints = false;
    long *unacked = malloc((svc->n_ds ? svc->n_ds : 1) * sizeof *unacked);
    size_t n_unacked = svc->n_ds;
    if (!unacked)
        failed = 1;
    for (size_t d = 0; unacked && d < n_unacked; d++)
        unacked[d] = svc->ds[d].unacked;
    for (int i = 0; i < n && !failed;) {
        struct item *it = &items[i];
        if (!it->h) {
            /* A run of acknowledgements, in one statement; in their place
             * among the messages, so that an Ack that moves a task comes
             * before an update that follows it. */
            int run = 1;
            while (i + run < n && !items[i + run].h)
                run++;
            failed = apply_acks(svc, it, run, dealer_dest) == SERVICE_RETRY;
            i += run;
            continue;
        }
        it->outcome = apply_one(svc, it);
        failed = it->outcome == SERVICE_RETRY;
        i++;
        if (it->outcome != SERVICE_REDO)
            continue;
        /* One message must be undone alone: the batch again from its
         * start, a savepoint per message (see savepoint()). */
        log_debug("batch.redo", .case_no = it->env->case_no, .msg_id = it->env->id,
                  .detail = log_fmt("%s undone: %d messages again with savepoints", it->env->type, n));
        db_rollback(svc->db);
        failed = db_begin(svc->db) != 0;
        link_senders_rollback(svc->senders);
        emitted_discard(svc);
        for (size_t d = 0; d < n_unacked; d++)
            svc->ds[d].unacked = unacked[d];
        for (int j = 0; j < n; j++) {
            items[j].outcome = SERVICE_OK;
            items[j].duplicate = false;
            items[j].code[0] = items[j].field[0] = items[j].message[0] = 0;
            free(items[j].reply);
            items[j].reply = NULL;
            items[j].reply_len = 0;
        }
        svc->savepoints = true;
        i = 0;
    }
    free(unacked);
    if (!failed)
        failed = emitted_store(svc) != 0;
    if (!failed)
        failed = link_senders_flush(svc->senders, svc->db) != 0;
    if (!failed)
        failed = db_commit(svc->db) != 0;
    if (failed) {
        db_rollback(svc->db);
        link_senders_rollback(svc->senders);
        emitted_discard(svc);
        svc->m.batches_rolled_back++;
        log_error("batch.rolled_back", .detail = log_fmt("%d messages; producers will resend", n));
        /* Link messages come again by themselves; a requester is told. */
        for (int i = 0; i < n; i++)
            if (items[i].h && items[i].h->kind == HANDLE_REQUEST) {
                items[i].outcome = SERVICE_REFUSE;
                snprintf(items[i].code, sizeof items[i].code, "%s", ERR_INTERNAL);
                snprintf(items[i].message, sizeof items[i].message, "the database is unavailable; try again");
                send_reply(svc, sock, &items[i]);
            }
        goto done;
    }
    link_senders_committed(svc->senders);
    /* Fault injection for the crash tests (tests/integration): die between
     * the commit and the acknowledgements, the window the inbox exists for. */
    if (svc->crash_before_ack) {
        log_warn("service.fault_injected", .detail = "BANGDAI_FAULT=crash-before-ack: SIGKILL after commit");
        raise(SIGKILL);
    }
    count_batch(svc, items, n);
    for (int i = 0; i < n; i++) {
        if (!items[i].h)
            continue;
        if (!acked_cumulatively(&items[i]))
            send_reply(svc, sock, &items[i]);
        if (items[i].outcome == SERVICE_OK)
            log_debug("message.applied", .case_no = items[i].env->case_no, .msg_id = items[i].env->id,
                      .detail = items[i].env->type,
                      .latency_ms = age_s(items[i].env) * 1000.0);
    }
    send_cumulative_acks(svc, sock, items, n);
    emitted_send(svc);
    published_send(svc);
done:
    for (int i = 0; i < max; i++)
        item_clear(&items[i]);
    free(items);
}

bool service_scan_due(struct service *svc, struct scan_clock *c, int64_t *now)
{
    *now = business_now_us();
    if (!c->again && *now - c->last_us < c->every_s * 1000000LL && c->last_us <= *now)
        return false;
    c->last_us = *now;
    c->again = false;
    const struct config *cfg = svc->cfg;
    const char *idle = c->office_hours ? config_office_closed(cfg, *now)
                     : calendar_is_workday(&cfg->calendar, date_from_unix_us(*now)) != 1 ? "not a working day"
                     : NULL;
    if (idle && idle != c->idle_said)
        log_debug(c->idle_event, .detail = log_fmt("no scan now: %s", idle));
    c->idle_said = idle;
    return idle == NULL;
}

int service_work(struct service *svc, const char *what, int (*fn)(struct service *, void *), void *arg)
{
    if (ensure_db(svc) != 0 || db_begin(svc->db) != 0)
        return SERVICE_RETRY;
    svc->lone = true;
    svc->savepoints = false;
    int rc = fn(svc, arg);
    int failed = rc != SERVICE_OK || emitted_store(svc) != 0 || db_commit(svc->db) != 0;
    if (failed) {
        db_rollback(svc->db);
        emitted_discard(svc);
        if (rc != SERVICE_REFUSE)
            log_warn("work.rolled_back", .detail = log_fmt("%s: rolled back; it runs again later", what));
        return rc == SERVICE_OK ? SERVICE_RETRY : rc;
    }
    if (svc->crash_after_work && svc->n_em) {
        log_warn("service.fault_injected", .detail = log_fmt("BANGDAI_FAULT=crash-after-work: SIGKILL after %s "
                                                             "committed, before its messages went out", what));
        raise(SIGKILL);
    }
    emitted_send(svc);
    published_send(svc);
    return SERVICE_OK;
}

/* ---- main ------------------------------------------------------------- */

static int connect_db(struct service *svc)
{
    char err[512];
    snprintf(svc->role, sizeof svc->role, "bangdai_%s", svc->def->name);
    /* PostgreSQL may still be starting: wait for it a while before giving up. */
    for (int attempt = 0; attempt < 30 && !shutdown_requested; attempt++) {
        svc->db = db_connect(svc->cfg, svc->role, svc->def->name, err, sizeof err);
        if (svc->db)
            return 0;
        if (attempt == 0)
            log_warn("db.connect_retry", .detail = err);
        sleep(1);
    }
    log_fatal("db.connect_failed", .detail = err);
    return -1;
}

/* SIGHUP, between batches (no message, so no pointer into the
 * configuration, is in hand): reads the file again and puts it in force,
 * or keeps the configuration in force when the file is broken, a key file
 * is missing or the daemon's on_reload refuses it. The parts only a
 * restart can change keep their running values (config_keep_restart_only)
 * and are logged. Returns 0, or -1 when zauth could not be started again:
 * no handshake can succeed then, and the supervisor's restart is the cure. */
static int reload(struct service *svc)
{
    const struct service_def *def = svc->def;
    struct config *fresh = NULL;
    char err[1024], changed[512];
    if (config_load(svc->cfg->path, &fresh, err, sizeof err) != 0) {
        log_error("config.reload_failed", .detail = log_fmt("%s; the configuration in force is kept", err));
        return 0;
    }
    if (config_restart_changes(svc->cfg, fresh, def->name, changed, sizeof changed) > 0)
        log_warn("config.restart_needed", .detail = log_fmt("%s changed in %s: the running values stay "
                 "until bangdai-%s is restarted", changed, fresh->path, def->name));
    config_keep_restart_only(svc->cfg, fresh);
    if (security_started() && security_load_public_keys(fresh, err, sizeof err) != 0) {
        log_error("config.reload_failed", .detail = log_fmt("%s; the configuration in force is kept", err));
        config_destroy(&fresh);
        return 0;
    }
    if (def->on_reload && def->on_reload(svc, fresh) != 0) {
        log_error("config.reload_failed", .detail = "the daemon could not take the new configuration "
                  "(logged above); the configuration in force is kept");
        config_destroy(&fresh);
        return 0;
    }
    /* Nothing keeps a pointer into the configuration across turns of the
     * loop (service_msg.peer lives for one batch; a daemon's own state
     * copies what it needs, or rebuilds it in on_reload), so the old one
     * can go now. */
    struct config *old = svc->cfg;
    svc->cfg = fresh;
    config_destroy(&old);
    log_info("config.reloaded", .detail = log_fmt("%s: %zu departments, %zu items, %zu keys, calendar of "
             "%zu years", fresh->path, fresh->n_depts, fresh->n_items, fresh->security.n_keys,
             fresh->calendar.n_years));
    if (security_reload(fresh, err, sizeof err) != 0) {
        log_fatal("security.unusable", .detail = err);
        return -1;
    }
    return 0;
}

int service_main(int argc, char **argv, const struct service_def *def)
{
    struct service svc = { .def = def };
    char err[1024];
    int status = 1;
    struct sigaction sa;

    log_set_service(def->name);
    const char *path = parse_options(argc, argv, def, &status);
    if (!path)
        return status;
    if (config_load(path, &svc.cfg, err, sizeof err) != 0) {
        log_fatal("config.invalid", .detail = err);
        fprintf(stderr, "bangdai-%s: %s\n", def->name, err);
        return 2;
    }
    shutdown_install(def->name);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_hangup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sockets_init();
    /* The daemon's identity is the key named after it; ZAP runs before the
     * first bind (security.c says why that matters). */
    if (security_use_key(svc.cfg, def->name, err, sizeof err) != 0 ||
        security_start(svc.cfg, err, sizeof err) != 0) {
        log_fatal("security.unusable", .detail = err);
        fprintf(stderr, "bangdai-%s: %s\n", def->name, err);
        goto out;
    }
    const char *fault = getenv("BANGDAI_FAULT");
    svc.crash_before_ack = fault && strcmp(fault, "crash-before-ack") == 0;
    svc.crash_after_work = fault && strcmp(fault, "crash-after-work") == 0;
    if (fault && strncmp(fault, "lose-acks:", 10) == 0)
        svc.lose_acks = atoi(fault + 10);

    metrics_init(&svc.m);
    /* Every type the daemon handles, counted from 0. */
    for (const struct binding *b = def->bindings; b && b->name; b++)
        for (const struct handler *h = b->handlers; h && h->type; h++)
            (void)metrics_type(&svc.m, h->type);
    /* Before the database, so that /healthz says why the daemon is not
     * ready while it waits for PostgreSQL. */
    const char *maddr = config_metrics_address(svc.cfg, def->name);
    if (maddr && !(svc.http = metrics_server_start(maddr, err, sizeof err))) {
        log_fatal("service.bind_failed", .detail = log_fmt("metrics.%s: %s", def->name, err));
        fprintf(stderr, "bangdai-%s: metrics.%s: %s\n", def->name, def->name, err);
        goto out;
    }
    if (maddr)
        log_info("service.metrics", .detail = log_fmt("/metrics and /healthz at http://%s", maddr));
    if (connect_db(&svc) != 0 || open_sockets(&svc) != 0)
        goto out;
    if (relay_restart(svc.db) != 0 || load_unacked(&svc) != 0)
        goto out;
    if (!(svc.senders = link_senders_new()))
        goto out;
    if (def->on_start && def->on_start(&svc) != 0)
        goto out;
    if (clock_shift_s())
        log_warn("service.clock_shifted", .detail = log_fmt("BANGDAI_CLOCK_SHIFT_S=%lld: business days (reports, "
                 "deadlines, leave) go by a clock %lld s off the real one; for tests only",
                 (long long)clock_shift_s(), (long long)clock_shift_s()));
    log_info("service.started", .detail = log_fmt("version %s, config %s, %ld unacknowledged outbox rows",
             BANGDAI_VERSION, path, relay_pending(svc.db)));
    /* Under systemd (Type=notify): ready only now that the database, the
     * keys and the sockets are up, and a watchdog petted from the loop at
     * half its period. Outside systemd NOTIFY_SOCKET is unset and these do
     * nothing. */
    sd_notifyf(0, "READY=1\nSTATUS=serving, %ld unacknowledged outbox rows", relay_pending(svc.db));
    uint64_t watchdog_us = 0;
    if (sd_watchdog_enabled(0, &watchdog_us) <= 0)
        watchdog_us = 0;
    int64_t last_pet = 0;
    svc.kicked = true;

    zmq_pollitem_t items[2 * MAX_BOUND + 2 * MAX_DESTS + 2];
    int n_items = 0, mon_dest[MAX_DESTS], mon_bound[MAX_BOUND], n_mon_dest = 0;
    for (int i = 0; i < svc.n_bound; i++)
        items[n_items++] = (zmq_pollitem_t){ zsock_resolve(svc.bound[i].sock), 0, ZMQ_POLLIN, 0 };
    for (int i = 0; i < svc.n_dests; i++)
        items[n_items++] = (zmq_pollitem_t){ zsock_resolve(svc.dests[i].sock), 0, ZMQ_POLLIN, 0 };
    for (int i = 0; i < svc.n_dests; i++)
        if (svc.dests[i].monitor) {
            mon_dest[n_mon_dest++] = i;
            items[n_items++] = (zmq_pollitem_t){ zsock_resolve(svc.dests[i].monitor), 0, ZMQ_POLLIN, 0 };
        }
    int first_mon_bound = n_items;
    for (int i = 0, m = 0; i < svc.n_bound; i++)
        if (svc.bound[i].monitor) {
            mon_bound[m++] = i;
            items[n_items++] = (zmq_pollitem_t){ zsock_resolve(svc.bound[i].monitor), 0, ZMQ_POLLIN, 0 };
        }
    int pub_mon_item = -1;
    if (svc.pub.monitor) {
        pub_mon_item = n_items;
        items[n_items++] = (zmq_pollitem_t){ zsock_resolve(svc.pub.monitor), 0, ZMQ_POLLIN, 0 };
    }
    /* czmq's log lines, zauth's verdicts among them (security.c). */
    int zlog_item = -1;
    if (security_log_socket()) {
        zlog_item = n_items;
        items[n_items++] = (zmq_pollitem_t){ zsock_resolve(security_log_socket()), 0, ZMQ_POLLIN, 0 };
    }

    int64_t last_scan = 0, last_tick = 0, last_prune = now_us(), last_metrics = 0;
    /* SIGTERM: no new batch is taken and no scan started once it came; the
     * batch in hand was committed (its acknowledgements and messages sent)
     * or rolled back before the loop looks at the flag again. */
    while (!shutdown_requested) {
        int rc = zmq_poll(items, n_items, svc.kicked ? 0 : 100);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            log_fatal("service.poll_failed", .detail = zmq_strerror(zmq_errno()));
            goto out;
        }
        for (int i = 0; i < n_items && !shutdown_requested; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (i < svc.n_bound)
                handle_batch(&svc, svc.bound[i].sock, svc.bound[i].b, NULL);
            else if (i < svc.n_bound + svc.n_dests)
                handle_batch(&svc, svc.dests[i - svc.n_bound].sock, NULL, svc.dests[i - svc.n_bound].name);
            else if (i < first_mon_bound)
                on_monitor_event(&svc, &svc.dests[mon_dest[i - svc.n_bound - svc.n_dests]]);
            else if (i == zlog_item)
                security_log_read();
            else if (i == pub_mon_item)
                on_bound_event(&svc.pub);
            else
                on_bound_event(&svc.bound[mon_bound[i - first_mon_bound]]);
        }
        if (shutdown_requested)
            break;
        int64_t now = now_us();
        if (watchdog_us && now - last_pet >= (int64_t)(watchdog_us / 2)) {
            last_pet = now;
            sd_notify(0, "WATCHDOG=1");
        }
        if (svc.kicked || now - last_scan >= RELAY_IDLE_SCAN_MS * 1000) {
            svc.kicked = false;
            last_scan = now;
            if (ensure_db(&svc) == 0)
                relay_run(&svc);
        }
        if (reloading) {
            reloading = 0;
            if (reload(&svc) != 0)
                goto out;
        }
        if (now - last_tick >= 1000000) {
            last_tick = now;
            if (def->on_tick)
                def->on_tick(&svc);
        }
        if (svc.http && now - last_metrics >= METRICS_EVERY_MS * 1000) {
            last_metrics = now;
            metrics_refresh(&svc);
        }
        if (now - last_prune >= (int64_t)PRUNE_EVERY_MS * 1000) {
            last_prune = now;
            if (link_prune(svc.db, svc.cfg->link.retention_hours) != 0)
                log_warn("link.prune_failed");
        }
    }
    status = 0;
    log_info("service.stopping", .detail = log_fmt("signal received: the batch in hand is done; closing "
             "(at most %d s)", SHUTDOWN_LIMIT_S));
out:
    /* On every way out, a failed start included: systemd then waits for the
     * exit instead of a READY=1 that will not come. */
    sd_notify(0, "STOPPING=1");
    if (def->on_stop)
        def->on_stop(&svc);
    for (int i = 0; i < svc.n_bound; i++) {
        sockets_monitor_stop(svc.bound[i].sock, &svc.bound[i].monitor);
        zsock_destroy(&svc.bound[i].sock);
    }
    for (int i = 0; i < svc.n_dests; i++) {
        sockets_monitor_stop(svc.dests[i].sock, &svc.dests[i].monitor);
        zsock_destroy(&svc.dests[i].sock);
    }
    sockets_monitor_stop(svc.pub.sock, &svc.pub.monitor);
    zsock_destroy(&svc.pub.sock);
    link_senders_destroy(&svc.senders);
    emitted_discard(&svc);
    free(svc.em);
    free(svc.pq);
    free(svc.ds);
    /* The HTTP thread first: it reads nothing of the loop's, but it must
     * not answer for a daemon that is gone. */
    metrics_server_stop(&svc.http);
    metrics_text_free(&svc.text);
    metrics_free(&svc.m);
    security_end();
    PQfinish(svc.db);
    config_destroy(&svc.cfg);
    return status;
}
