/* client.c - request/reply over a DEALER; see client.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "client.h"
#include "sockets.h"

struct client {
    zsock_t *sock;
};

struct client *client_new(const struct config *cfg, const char *endpoint, const char *identity)
{
    struct client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    sockets_init();
    c->sock = sockets_connect_dealer(cfg, endpoint, identity);
    if (!c->sock) {
        free(c);
        return NULL;
    }
    return c;
}

void client_destroy(struct client **c)
{
    if (!c || !*c)
        return;
    zsock_destroy(&(*c)->sock);
    free(*c);
    *c = NULL;
}

zsock_t *client_socket(struct client *c) { return c->sock; }

/* Whether reply answers the request with id req_id. */
static int answers(const Bangdai__Envelope *reply, const char *req_id)
{
    if (strcmp(reply->trace_id, req_id) == 0)
        return 1;
    if (strcmp(reply->type, MSG_ACK) == 0) {
        Bangdai__Ack *a = bangdai__ack__unpack(NULL, reply->payload.len, reply->payload.data);
        int yes = a && strcmp(a->ref_id, req_id) == 0;
        if (a)
            bangdai__ack__free_unpacked(a, NULL);
        return yes;
    }
    if (strcmp(reply->type, MSG_ERROR) == 0) {
        Bangdai__Error *e = bangdai__error__unpack(NULL, reply->payload.len, reply->payload.data);
        /* An Error that could not name the request (a malformed frame) is
         * still the answer to it: nothing else was sent. */
        int yes = e && (strcmp(e->ref_id, req_id) == 0 || e->ref_id[0] == 0);
        if (e)
            bangdai__error__free_unpacked(e, NULL);
        return yes;
    }
    return 0;
}

Bangdai__Envelope *client_call_packed(struct client *c, const uint8_t *frame, size_t len,
                                      const char *id, int timeout_ms, int tries)
{
    void *s = zsock_resolve(c->sock);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    for (int t = 0; t < tries; t++) {
        if (zmq_send(s, frame, len, 0) < 0)
            continue;               /* nobody connected within the timeout */
        int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
        for (;;) {
            int64_t left = (deadline - now_us()) / 1000;
            if (left <= 0)
                break;
            zmq_pollitem_t pi = { s, 0, ZMQ_POLLIN, 0 };
            if (zmq_poll(&pi, 1, (long)left) <= 0)
                continue;
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, s, 0) < 0) {
                zmq_msg_close(&m);
                continue;
            }
            char err[256];
            Bangdai__Envelope *reply = envelope_unpack(zmq_msg_data(&m), zmq_msg_size(&m), err, sizeof err);
            zmq_msg_close(&m);
            if (reply && answers(reply, id))
                return reply;
            if (reply)
                bangdai__envelope__free_unpacked(reply, NULL);
        }
    }
    return NULL;
}

Bangdai__Envelope *client_call(struct client *c, const char *source, const char *type,
                               const char *case_no, const ProtobufCMessage *msg,
                               int timeout_ms, int tries, char id_out[UUID_STR_LEN])
{
    char id[UUID_STR_LEN];
    size_t len;
    uint8_t *frame = envelope_pack(type, source, case_no, NULL, msg, &len, id);
    if (!frame)
        return NULL;
    if (id_out)
        memcpy(id_out, id, UUID_STR_LEN);
    Bangdai__Envelope *reply = client_call_packed(c, frame, len, id, timeout_ms, tries);
    free(frame);
    return reply;
}

void client_print_error(const char *program, const Bangdai__Envelope *reply)
{
    Bangdai__Error *e = bangdai__error__unpack(NULL, reply->payload.len, reply->payload.data);
    if (!e) {
        fprintf(stderr, "%s: error: unreadable error reply\n", program);
        return;
    }
    fprintf(stderr, "%s: error: %s%s%s (%s)\n", program, e->field, e->field[0] ? ": " : "",
            e->message, e->code);
    bangdai__error__free_unpacked(e, NULL);
}
