/* bd_rawsend.c - a test client that sends what a well-behaved program never
 * would: garbage bytes, an envelope of an unknown type, a message of two
 * frames, a payload that does not decode. It prints the reply as
 * "TYPE CODE FIELD: MESSAGE", or "no reply", so tests can check that a
 * daemon answers bad input with a clear error and keeps serving.
 *
 * It connects like the endpoint's usual client does, over CURVE with a key
 * of the configuration ($BANGDAI_CONFIG): $BANGDAI_KEY, else the key of the
 * endpoint's normal sender (intake: hall; router: intake; router_dept: the
 * first department key; tracker: router; delivery: tracker; evaluation:
 * delivery), so that what is tested is the bad input, not the key.
 *
 * "updates TASK NOTE [TASK NOTE...]" connects, waits for the CURVE
 * handshake, prints "connected", waits for a line on stdin, then sends back
 * to back on that connection one DeptUpdate per pair (on-site acceptance
 * with that note), and prints one line per reply as above, in the order
 * they come. With the consumer stopped (SIGSTOP) between "connected" and
 * the line, they wait together in its socket and it reads them in one
 * batch.
 *
 * "big BYTES" sends one frame of BYTES bytes: over link.max_frame_bytes it
 * is refused (too_large); over 4 times that the connection is cut and
 * nothing comes back ("no reply" after 3 s).
 *
 * "ack ID" sends an Ack of message ID (as if the sender's key had received
 * it) and waits a second: an Ack gets no reply.
 *
 * "progress PART [PART...]" sends one Progress envelope as the tracker's
 * link does (the first PART in the payload, the others in Envelope.more;
 * run it with BANGDAI_KEY=tracker): each PART is key=value pairs separated
 * by commas, the keys case, task, item, dept, state, kind, at (Unix
 * microseconds), due, case_state and sets_due (1). Prints Ack or the Error.
 *
 * "changed CASE PART [PART...]" sends one TaskChanged about CASE, as the
 * router does (to the tracker), its PARTs after the first riding in
 * Envelope.more; a PART is key=value pairs joined by ';' (task, item,
 * dept, specialist, state, at_us, clock, pause_kind, pause_reason,
 * accepted_on). Tests send what the router would not: an older report
 * after a newer one, one task's reports back to back in one envelope.
 *
 * "ack ID" sends an Ack of message ID (as if the sender's key had received
 * it) and waits a second: an Ack gets no reply.
 *
 * Usage: bd-rawsend ENDPOINT garbage|two-frames|bad-payload TYPE|type TYPE
 *        bd-rawsend ENDPOINT updates TASK NOTE [TASK NOTE...]
 *        bd-rawsend ENDPOINT progress PART [PART...]
 *        bd-rawsend ENDPOINT changed CASE PART [PART...]
 *        bd-rawsend ENDPOINT ack ID
 *        bd-rawsend ENDPOINT big BYTES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "config.h"
#include "envelope.h"
#include "security.h"
#include "sockets.h"

/* The key of the endpoint's normal sender; see the top of the file. */
static const char *sender_key(const struct config *cfg, const char *endpoint)
{
    static const char *const senders[][2] = {
        {"intake", "hall"}, {"router", "intake"}, {"tracker", "router"},
        {"delivery", "tracker"}, {"evaluation", "delivery"},
    };
    const char *env = getenv("BANGDAI_KEY");
    if (env && *env)
        return env;
    if (cfg->endpoints.router_dept && strcmp(cfg->endpoints.router_dept, endpoint) == 0) {
        for (size_t i = 0; i < cfg->security.n_keys; i++)
            if (cfg->security.keys[i].role == ROLE_DEPARTMENT)
                return cfg->security.keys[i].name;
        return NULL;
    }
    for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
        const char *ep = sockets_endpoint(cfg, senders[i][0]);
        if (ep && strcmp(ep, endpoint) == 0)
            return senders[i][1];
    }
    return NULL;
}

/* A TaskChanged from a PART of "changed" (see the top of the file), packed
 * into *out; the strings point into part, which is changed. Returns 0, or
 * -1 naming the key it does not know. */
static int task_changed(char *part, const char *case_no, ProtobufCBinaryData *out)
{
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.case_no = (char *)case_no;
    tc.kind = "item";
    char *save = NULL, *kv;
    for (kv = strtok_r(part, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *v = strchr(kv, '=');
        if (!v)
            goto bad;
        *v++ = 0;
        static const char *const keys[] = { "task", "item", "dept", "specialist", "state", "clock", "pause_kind",
                                            "pause_reason", "accepted_on", "at_us" };
        char **to[] = { &tc.task_id, &tc.item_code, &tc.dept, &tc.specialist, &tc.state, &tc.clock,
                        &tc.pause_kind, &tc.pause_reason, &tc.accepted_on };
        size_t k = 0;
        while (k < sizeof keys / sizeof *keys && strcmp(kv, keys[k]) != 0)
            k++;
        if (k == sizeof keys / sizeof *keys)
            goto bad;
        if (k < sizeof to / sizeof *to)
            *to[k] = v;
        else
            tc.at_us = strtoll(v, NULL, 10);
    }
    out->len = bangdai__task_changed__get_packed_size(&tc);
    if (!(out->data = malloc(out->len ? out->len : 1)))
        return -1;
    bangdai__task_changed__pack(&tc, out->data);
    return 0;
bad:
    fprintf(stderr, "bd-rawsend: '%s' is not one of task, item, dept, specialist, state, at_us, clock, "
            "pause_kind, pause_reason, accepted_on (key=value)\n", kv);
    return -1;
}

/* Sends one envelope of type from source about case_no as a link sends
 * it: parts[0] in the payload, the others in Envelope.more. Frees the
 * parts. Returns 0, or -1 when it could not be sent. */
static int send_parts(void *s, const char *type, const char *source, const char *case_no,
                      ProtobufCBinaryData *parts, size_t n)
{
    Bangdai__Envelope env = BANGDAI__ENVELOPE__INIT;
    char id[UUID_STR_LEN];
    uint8_t *frame = NULL;
    size_t len = 0;
    bool ok = uuid_v7(id) == 0;
    if (ok) {
        env.id = id;
        env.type = (char *)type;
        env.source = (char *)source;
        env.case_no = (char *)case_no;
        env.trace_id = id;
        env.created_at_us = business_now_us();
        env.payload = parts[0];
        env.protocol = BANGDAI_PROTOCOL_MORE;
        env.n_more = n - 1;
        env.more = parts + 1;
        len = bangdai__envelope__get_packed_size(&env);
        ok = (frame = malloc(len)) != NULL;
    }
    if (ok) {
        bangdai__envelope__pack(&env, frame);
        ok = zmq_send(s, frame, len, 0) >= 0;
    }
    free(frame);
    for (size_t i = 0; i < n; i++)
        free(parts[i].data);
    free(parts);
    return ok ? 0 : -1;
}

/* PART (see the top) into *p, whose strings point into PART (cut at the
 * commas and equal signs). Returns 0, or -1 naming the key it does not know. */
static int progress_part(char *part, Bangdai__Progress *p)
{
    bangdai__progress__init(p);
    for (char *kv = part, *next; kv && *kv; kv = next) {
        next = strchr(kv, ',');
        if (next)
            *next++ = 0;
        char *v = strchr(kv, '=');
        if (!v) {
            fprintf(stderr, "bd-rawsend: '%s' is not key=value\n", kv);
            return -1;
        }
        *v++ = 0;
        if (strcmp(kv, "case") == 0) p->case_no = v;
        else if (strcmp(kv, "task") == 0) p->task_id = v;
        else if (strcmp(kv, "item") == 0) p->item_code = v;
        else if (strcmp(kv, "dept") == 0) p->dept = v;
        else if (strcmp(kv, "state") == 0) p->state = v;
        else if (strcmp(kv, "kind") == 0) p->kind = v;
        else if (strcmp(kv, "at") == 0) p->at_us = strtoll(v, NULL, 10);
        else if (strcmp(kv, "due") == 0) p->due_date = v;
        else if (strcmp(kv, "case_state") == 0) p->case_state = v;
        else if (strcmp(kv, "sets_due") == 0) p->sets_due = strcmp(v, "1") == 0;
        else {
            fprintf(stderr, "bd-rawsend: unknown key '%s' of a Progress part\n", kv);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bd-rawsend ENDPOINT garbage|two-frames|bad-payload TYPE|type TYPE|updates TASK NOTE...|ack ID|big BYTES|more TYPE\n");
        return 2;
    }
    const char *path = getenv("BANGDAI_CONFIG");
    struct config *cfg = NULL;
    char cfg_err[1024];
    if (!path || config_load(path, &cfg, cfg_err, sizeof cfg_err) != 0) {
        fprintf(stderr, "bd-rawsend: %s\n", path ? cfg_err : "BANGDAI_CONFIG is not set");
        return 2;
    }
    sockets_init();
    zsock_t *sock = NULL;
    int rc = 2;
    if (security_use_key(cfg, sender_key(cfg, argv[1]), cfg_err, sizeof cfg_err) != 0) {
        fprintf(stderr, "bd-rawsend: %s: %s\n", argv[1], cfg_err);
        goto out;
    }
    bool updates = strcmp(argv[2], "updates") == 0;
    zsock_t *monitor = NULL;
    if (updates)
        sock = sockets_connect_watched(cfg, argv[1], NULL, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &monitor);
    else
        sock = sockets_connect_dealer(cfg, argv[1], NULL);
    if (!sock) {
        fprintf(stderr, "bd-rawsend: %s: cannot connect (the log line says why)\n", argv[1]);
        goto out;
    }
    void *s = zsock_resolve(sock);
    int linger = 0, timeout = 5000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    const char *what = argv[2];
    uint8_t *frame = NULL;
    size_t len = 0;
    int replies = 1;
    if (updates && argc >= 5 && argc % 2 == 1) {
        replies = 0;
        zpoller_t *p = zpoller_new(monitor, NULL);
        bool up = p && zpoller_wait(p, 5000) == monitor
                  && sockets_monitor_event(monitor) == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        zpoller_destroy(&p);
        if (!up) {
            fprintf(stderr, "bd-rawsend: no handshake with %s in 5 s\n", argv[1]);
            goto out;
        }
        printf("connected\n");
        fflush(stdout);
        char line[16];
        if (!fgets(line, sizeof line, stdin))
            goto out;
        for (int i = 3; i + 1 < argc; i += 2) {
            Bangdai__DeptUpdate u = BANGDAI__DEPT_UPDATE__INIT;
            u.task_id = argv[i];
            u.state = "accepted";
            u.when = "2026-11-30 09:00";
            u.where = "项目现场";
            u.note = argv[i + 1];
            frame = envelope_pack(MSG_DEPT_UPDATE, "test", NULL, NULL, &u.base, &len, NULL);
            if (!frame || zmq_send(s, frame, len, 0) < 0) {
                fprintf(stderr, "bd-rawsend: could not send update %d\n", replies + 1);
                free(frame);
                goto out;
            }
            free(frame);
            replies++;
        }
    } else if (strcmp(what, "ack") == 0 && argc == 4) {
        /* An Ack of message id argv[3]: a consumer's answer, which gets no
         * reply; waits a second to show there is none. */
        Bangdai__Ack a = BANGDAI__ACK__INIT;
        a.ref_id = argv[3];
        frame = envelope_pack(MSG_ACK, "test", NULL, NULL, &a.base, &len, NULL);
        if (!frame || zmq_send(s, frame, len, 0) < 0) {
            free(frame);
            goto out;
        }
        free(frame);
        timeout = 1000;
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    } else if (strcmp(what, "progress") == 0 && argc >= 4) {
        /* One Progress per PART, packed as the link packs them. */
        size_t n = (size_t)argc - 3;
        ProtobufCBinaryData *bin = calloc(n, sizeof *bin);
        const char *case_no = "";
        bool ok = bin != NULL;
        for (size_t i = 0; ok && i < n; i++) {
            Bangdai__Progress p;
            ok = progress_part(argv[3 + i], &p) == 0 && (bin[i].data = malloc(bangdai__progress__get_packed_size(&p)));
            if (ok)
                bin[i].len = bangdai__progress__pack(&p, bin[i].data);
            if (ok && i == 0)
                case_no = p.case_no;
        }
        if (!ok) {
            for (size_t i = 0; bin && i < n; i++)
                free(bin[i].data);
            free(bin);
            goto out;
        }
        if (send_parts(s, MSG_PROGRESS, "tracker", case_no, bin, n))
            goto out;
    } else if (strcmp(what, "changed") == 0 && argc >= 5) {
        /* One TaskChanged envelope, parts 2.. in Envelope.more. */
        size_t n = (size_t)argc - 4;
        ProtobufCBinaryData *parts = calloc(n, sizeof *parts);
        bool ok = parts != NULL;
        for (size_t i = 0; ok && i < n; i++)
            ok = task_changed(argv[4 + i], argv[3], &parts[i]) == 0;
        if (!ok) {
            for (size_t i = 0; parts && i < n; i++)
                free(parts[i].data);
            free(parts);
            goto out;
        }
        if (send_parts(s, MSG_TASK_CHANGED, "router", argv[3], parts, n))
            goto out;
    } else if (strcmp(what, "garbage") == 0) {
        static const char junk[] = "\xff\xfe this is not a protobuf envelope \x01\x02";
        zmq_send(s, junk, sizeof junk - 1, 0);
    } else if (strcmp(what, "big") == 0 && argc == 4) {
        /* One frame of argv[3] bytes (over the frame limit is the point;
         * the size is refused before anything is decoded). */
        size_t n = strtoul(argv[3], NULL, 10);
        char *big = n ? malloc(n) : NULL;
        if (!big)
            goto out;
        memset(big, 'x', n);
        zmq_send(s, big, n, 0);
        free(big);
        timeout = 3000;     /* over 4 times the limit gets no reply */
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    } else if (strcmp(what, "two-frames") == 0) {
        zmq_send(s, "a", 1, ZMQ_SNDMORE);
        zmq_send(s, "b", 1, 0);
    } else if (strcmp(what, "more") == 0 && argc == 4) {
        /* A message of type argv[3] with a second one riding in
         * Envelope.more, as daemons send them on their links. */
        ProtobufCBinaryData *parts = calloc(2, sizeof *parts);
        if (!parts || send_parts(s, argv[3], "test", "", parts, 2))
            goto out;
    } else if ((strcmp(what, "type") == 0 || strcmp(what, "bad-payload") == 0) && argc == 4) {
        Bangdai__Envelope env = BANGDAI__ENVELOPE__INIT;
        char id[UUID_STR_LEN];
        static uint8_t bad[] = { 0x0a, 0xff, 0xff, 0xff };  /* a field whose length runs off the end */
        if (uuid_v7(id) != 0)
            goto out;
        env.id = id;
        env.type = argv[3];
        env.source = "test";
        env.trace_id = id;
        if (strcmp(what, "bad-payload") == 0) {
            env.payload.data = bad;
            env.payload.len = sizeof bad;
        }
        len = bangdai__envelope__get_packed_size(&env);
        frame = malloc(len);
        bangdai__envelope__pack(&env, frame);
        zmq_send(s, frame, len, 0);
        free(frame);
    } else {
        fprintf(stderr, "bd-rawsend: unknown kind '%s'\n", what);
        goto out;
    }
    rc = 0;
    for (int i = 0; i < replies; i++) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, s, 0) >= 0) {
            char err[256];
            Bangdai__Envelope *rep = envelope_unpack(zmq_msg_data(&m), zmq_msg_size(&m), err, sizeof err);
            if (rep && strcmp(rep->type, MSG_ERROR) == 0) {
                Bangdai__Error *e = bangdai__error__unpack(NULL, rep->payload.len, rep->payload.data);
                if (e) {
                    printf("Error %s %s: %s\n", e->code, e->field, e->message);
                    bangdai__error__free_unpacked(e, NULL);
                } else {
                    rc = 1;
                }
            } else if (rep) {
                printf("%s\n", rep->type);
            } else {
                printf("unreadable reply: %s\n", err);
                rc = 1;
            }
            if (rep)
                bangdai__envelope__free_unpacked(rep, NULL);
        } else {
            printf("no reply\n");
            rc = 1;
        }
        zmq_msg_close(&m);
    }
out:
    if (sock)
        sockets_monitor_stop(sock, &monitor);
    zsock_destroy(&sock);
    security_end();
    config_destroy(&cfg);
    return rc;
}
