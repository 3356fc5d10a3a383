/* hall_watch.c - `bangdai-hall watch CASE`: the case's progress, live.
 *
 * The watcher subscribes to the case's topic on intake's progress feed
 * (docs/PROTOCOL.md, "The progress feed") and only then reads the case's
 * status, which names the seq of the last event it includes: every event
 * after it comes on the feed, so nothing is missed between the two. With
 * --from-start it first prints the case's events up to that seq from
 * intake's record (FeedRequest). Then each event is printed as it comes,
 * one line each, in seq order. The feed is best effort (a PUB drops for a
 * subscriber that cannot keep up), so a gap in seq, a reconnection, or
 * intake's record being ahead after a quiet spell makes the watcher read
 * the status again and say so: what it missed is in the status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "cli.h"
#include "envelope.h"
#include "hall.h"
#include "security.h"
#include "sockets.h"
#include "states.h"
#include "validate.h"

#define HANDSHAKE_WAIT_MS 5000      /* the feed must take our key within this */
#define QUIET_CHECK_MS 5000         /* after this long without an event, check the record */
#define SUBSCRIBE_SETTLE_MS 200     /* after the handshake, before the status */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct watch {
    struct cli *cli;
    const char *case_no;
    bool until_final;
    uint64_t last;              /* the last seq shown (or included in a status shown) */
    bool final;                 /* the case reached a final state */
};

static void print_event(const Bangdai__FeedEvent *e)
{
    char when[32];
    time_t t = (time_t)(e->at_us / 1000000) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    printf("#%llu %s %s", (unsigned long long)e->seq, when, e->kind);
    if (strcmp(e->kind, "task") == 0) {
        char due[64];
        printf(" %s %s %s %s %s %s", e->task_id, e->task_kind[0] ? e->task_kind : "item",
               e->item_code[0] ? e->item_code : "-", e->dept[0] ? e->dept : "-",
               e->specialist[0] ? e->specialist : "-", e->state);
        if (e->due_date[0] || e->due_pending_year)
            printf(" due %s", cli_due_text(e->due_date, e->due_pending_year, due));
        if (e->result_doc[0])
            printf(" result %s", e->result_doc);
    } else if (strcmp(e->kind, "log") == 0) {
        printf(" %s %s %s", e->log_kind, e->dept[0] ? e->dept : "-", e->text);
    } else if (e->text[0]) {
        printf(" %s", e->text);
    }
    printf(" (case %s)\n", e->case_state);
    fflush(stdout);
}

/* Reads and prints the status; the events up to its feed_seq are in it.
 * Returns 0 or the exit status of the failed request. */
static int status_again(struct watch *w)
{
    Bangdai__StatusRequest req = BANGDAI__STATUS_REQUEST__INIT;
    Bangdai__StatusReply *s;
    req.case_no = (char *)w->case_no;
    int rc = cli_request(w->cli, w->cli->cfg->endpoints.intake, MSG_STATUS, req.case_no, &req.base, NULL,
                         MSG_STATUS_REPLY, &bangdai__status_reply__descriptor, (ProtobufCMessage **)&s);
    if (rc != 0)
        return rc;
    hall_print_status(s);
    printf("-- status up to #%llu --\n", (unsigned long long)s->feed_seq);
    fflush(stdout);
    if (s->feed_seq > w->last)
        w->last = s->feed_seq;
    w->final = case_state_final(s->state);
    bangdai__status_reply__free_unpacked(s, NULL);
    return 0;
}

/* Prints the recorded events after `after` up to `upto` (FeedRequest, a
 * page at a time). Returns 0 or the exit status of the failed request. */
static int print_record(struct watch *w, uint64_t after, uint64_t upto)
{
    while (after < upto) {
        Bangdai__FeedRequest req = BANGDAI__FEED_REQUEST__INIT;
        Bangdai__FeedReply *r;
        req.case_no = (char *)w->case_no;
        req.after_seq = after;
        req.limit = 500;
        int rc = cli_request(w->cli, w->cli->cfg->endpoints.intake, MSG_FEED, req.case_no, &req.base, NULL,
                             MSG_FEED_REPLY, &bangdai__feed_reply__descriptor, (ProtobufCMessage **)&r);
        if (rc != 0)
            return rc;
        size_t shown = 0;
        for (size_t i = 0; i < r->n_events && r->events[i]->seq <= upto; i++, shown++) {
            print_event(r->events[i]);
            after = r->events[i]->seq;
        }
        bangdai__feed_reply__free_unpacked(r, NULL);
        if (shown == 0)
            break;
    }
    return 0;
}

/* Whether intake's record has events after the last one shown (a lost
 * one the watcher could not see as a gap: the last of a burst). Returns
 * 1, 0, or -1 when intake did not answer. */
static int record_ahead(struct watch *w)
{
    Bangdai__FeedRequest req = BANGDAI__FEED_REQUEST__INIT;
    Bangdai__FeedReply *r;
    req.case_no = (char *)w->case_no;
    req.after_seq = w->last;
    req.limit = 1;
    if (cli_request(w->cli, w->cli->cfg->endpoints.intake, MSG_FEED, req.case_no, &req.base, NULL,
                    MSG_FEED_REPLY, &bangdai__feed_reply__descriptor, (ProtobufCMessage **)&r) != 0)
        return -1;
    int ahead = r->last_seq > w->last;
    bangdai__feed_reply__free_unpacked(r, NULL);
    return ahead;
}

/* Reads one message from the SUB: the topic frame, then the envelope.
 * Returns the event (caller frees) or NULL for anything else. */
static Bangdai__FeedEvent *receive_event(struct watch *w, zsock_t *sub)
{
    zmsg_t *msg = zmsg_recv(sub);
    if (!msg)
        return NULL;
    Bangdai__FeedEvent *ev = NULL;
    char *topic = zmsg_popstr(msg);
    zframe_t *body = zmsg_pop(msg);
    /* The subscription is a prefix: keep the case's own events only. */
    if (topic && body && zmsg_size(msg) == 0 && strcmp(topic, w->case_no) == 0) {
        Bangdai__Envelope *env = bangdai__envelope__unpack(NULL, zframe_size(body), zframe_data(body));
        if (env && strcmp(env->type, MSG_FEED_EVENT) == 0)
            ev = bangdai__feed_event__unpack(NULL, env->payload.len, env->payload.data);
        if (env)
            bangdai__envelope__free_unpacked(env, NULL);
        if (ev && (strcmp(ev->case_no, w->case_no) != 0 || ev->seq == 0)) {
            bangdai__feed_event__free_unpacked(ev, NULL);
            ev = NULL;
        }
    }
    free(topic);
    zframe_destroy(&body);
    zmsg_destroy(&msg);
    return ev;
}

/* Waits until the feed has taken our key (the subscription goes out with
 * the handshake). Returns 0, or -1 when it refused or did not answer. */
static int wait_handshake(zsock_t *mon)
{
    for (int waited = 0; waited < HANDSHAKE_WAIT_MS && !interrupted;) {
        zmq_pollitem_t it = { zsock_resolve(mon), 0, ZMQ_POLLIN, 0 };
        int64_t t0 = zclock_mono();
        if (zmq_poll(&it, 1, 100) > 0 && sockets_monitor_event(mon) == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            return 0;
        waited += (int)(zclock_mono() - t0);
    }
    return -1;
}

int hall_watch(struct cli *cli)
{
    struct watch w = { .cli = cli };
    bool from_start = false;
    for (int i = 1; i < cli->argc; i++) {
        if (strcmp(cli->argv[i], "--from-start") == 0)
            from_start = true;
        else if (strcmp(cli->argv[i], "--until-final") == 0)
            w.until_final = true;
        else if (cli->argv[i][0] == '-' || w.case_no)
            return cli_usage_error(cli, "watch takes one case number [--from-start] [--until-final]");
        else
            w.case_no = cli->argv[i];
    }
    if (!w.case_no || validate_text(w.case_no, 63))
        return cli_usage_error(cli, "watch takes one case number [--from-start] [--until-final]");
    const char *feed = cli->cfg->endpoints.feed;
    if (!feed) {
        fprintf(stderr, "%s: %s has no endpoints.feed: this county publishes no progress feed\n",
                cli->program, cli->config_path);
        return 2;
    }
    /* czmq first: it sets the signal dispositions it found when told to
     * leave them alone, which would undo ours. */
    sockets_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    zsock_t *mon = NULL;
    zsock_t *sub = sockets_connect_sub(cli->cfg, feed, w.case_no,
                                       ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED, &mon);
    if (!sub) {
        fprintf(stderr, "%s: cannot subscribe to %s\n", cli->program, feed);
        return 3;
    }
    int rc = 0;
    if (wait_handshake(mon) != 0) {
        if (!interrupted) {
            fprintf(stderr, "%s: the feed at %s did not take this key (%s) within %d s\n", cli->program, feed,
                    security_key_name() ? security_key_name() : "none", HANDSHAKE_WAIT_MS / 1000);
            rc = 3;
        }
        goto out;
    }
    /* The subscription travels right behind the handshake, and intake's
     * PUB takes it in at its next send (libzmq processes a socket's
     * commands at most about once a millisecond while it is busy): a
     * moment lets it arrive. Subscribed, the status read now includes
     * every event before the first one the feed brings; were one lost
     * all the same, the seq or the quiet check below would tell. */
    zclock_sleep(SUBSCRIBE_SETTLE_MS);
    if ((rc = status_again(&w)) != 0)
        goto out;
    if (from_start) {
        uint64_t upto = w.last;
        printf("-- the case's events #1 to #%llu --\n", (unsigned long long)upto);
        if ((rc = print_record(&w, 0, upto)) != 0)
            goto out;
    }
    printf("-- watching %s from #%llu%s --\n", w.case_no, (unsigned long long)w.last + 1,
           w.until_final ? " until it is final" : "");
    fflush(stdout);

    bool lost = false;
    int64_t quiet_since = zclock_mono();
    while (!interrupted && !(w.until_final && w.final)) {
        zmq_pollitem_t items[2] = { { zsock_resolve(sub), 0, ZMQ_POLLIN, 0 },
                                    { zsock_resolve(mon), 0, ZMQ_POLLIN, 0 } };
        if (zmq_poll(items, 2, 500) < 0)
            continue;           /* EINTR: the loop's test decides */
        bool again = false;
        const char *why = NULL;
        if (items[1].revents & ZMQ_POLLIN) {
            int ev = sockets_monitor_event(mon);
            if (ev == ZMQ_EVENT_DISCONNECTED)
                lost = true;
            else if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && lost) {
                lost = false;
                again = true;
                why = "reconnected";
            }
        }
        if (items[0].revents & ZMQ_POLLIN) {
            Bangdai__FeedEvent *ev = receive_event(&w, sub);
            if (ev && ev->seq > w.last + 1 && !again) {
                printf("-- missed events #%llu to #%llu: status again --\n", (unsigned long long)w.last + 1,
                       (unsigned long long)ev->seq - 1);
                if ((rc = status_again(&w)) != 0) {
                    bangdai__feed_event__free_unpacked(ev, NULL);
                    goto out;
                }
            }
            if (ev && ev->seq > w.last) {
                print_event(ev);
                w.last = ev->seq;
                w.final = case_state_final(ev->case_state);
            }
            if (ev)
                bangdai__feed_event__free_unpacked(ev, NULL);
            quiet_since = zclock_mono();
        } else if (zclock_mono() - quiet_since >= QUIET_CHECK_MS) {
            /* A lost event that nothing followed shows no gap: ask the
             * record whether it is ahead of what was shown. */
            quiet_since = zclock_mono();
            int ahead = record_ahead(&w);
            if (ahead < 0) {
                rc = 3;
                goto out;
            }
            if (ahead) {
                again = true;
                why = "missed events";
            }
        }
        if (again) {
            printf("-- %s: status again --\n", why);
            if ((rc = status_again(&w)) != 0)
                goto out;
        }
    }
out:
    sockets_monitor_stop(sub, &mon);
    zsock_destroy(&sub);
    return rc;
}
