/* bd_rawsend.c - a test client that sends what a well-behaved program never
 * would: garbage bytes, an envelope of an unknown type, a message of two
 * frames, a payload that does not decode. It prints the reply as
 * "TYPE CODE FIELD: MESSAGE", or "no reply", so tests can check that a
 * daemon answers bad input with a clear error and keeps serving.
 *
 * Usage: bd-rawsend ENDPOINT garbage|two-frames|bad-payload TYPE|type TYPE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "envelope.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bd-rawsend ENDPOINT garbage|two-frames|bad-payload TYPE|type TYPE\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = 5000;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(s, argv[1]) != 0) {
        fprintf(stderr, "bd-rawsend: %s: %s\n", argv[1], zmq_strerror(zmq_errno()));
        return 2;
    }
    const char *what = argv[2];
    uint8_t *frame = NULL;
    size_t len = 0;
    if (strcmp(what, "garbage") == 0) {
        static const char junk[] = "\xff\xfe this is not a protobuf envelope \x01\x02";
        zmq_send(s, junk, sizeof junk - 1, 0);
    } else if (strcmp(what, "two-frames") == 0) {
        zmq_send(s, "a", 1, ZMQ_SNDMORE);
        zmq_send(s, "b", 1, 0);
    } else if ((strcmp(what, "type") == 0 || strcmp(what, "bad-payload") == 0) && argc == 4) {
        Bangdai__Envelope env = BANGDAI__ENVELOPE__INIT;
        char id[UUID_STR_LEN];
        static uint8_t bad[] = { 0x0a, 0xff, 0xff, 0xff };  /* a field whose length runs off the end */
        if (uuid_v7(id) != 0)
            return 2;
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
        return 2;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    int rc = 1;
    if (zmq_msg_recv(&m, s, 0) >= 0) {
        char err[256];
        Bangdai__Envelope *rep = envelope_unpack(zmq_msg_data(&m), zmq_msg_size(&m), err, sizeof err);
        if (rep && strcmp(rep->type, MSG_ERROR) == 0) {
            Bangdai__Error *e = bangdai__error__unpack(NULL, rep->payload.len, rep->payload.data);
            if (e) {
                printf("Error %s %s: %s\n", e->code, e->field, e->message);
                bangdai__error__free_unpacked(e, NULL);
                rc = 0;
            }
        } else if (rep) {
            printf("%s\n", rep->type);
            rc = 0;
        } else {
            printf("unreadable reply: %s\n", err);
        }
        if (rep)
            bangdai__envelope__free_unpacked(rep, NULL);
    } else {
        printf("no reply\n");
    }
    zmq_msg_close(&m);
    zmq_close(s);
    zmq_ctx_term(ctx);
    return rc;
}
