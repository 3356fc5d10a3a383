/* envelope.c - packing, checking and sending Envelopes; see envelope.h. */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <zmq.h>

#include "envelope.h"
#include "validate.h"

int64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

uint8_t *envelope_pack_with_id(const char *id, const char *type, const char *source,
                               const char *case_no, const char *trace_id,
                               const ProtobufCMessage *payload, size_t *len)
{
    Bangdai__Envelope env = BANGDAI__ENVELOPE__INIT;
    uint8_t *body = NULL, *out;
    size_t body_len = 0;

    if (payload) {
        body_len = protobuf_c_message_get_packed_size(payload);
        body = malloc(body_len ? body_len : 1);
        if (!body)
            return NULL;
        protobuf_c_message_pack(payload, body);
    }
    env.id = (char *)id;
    env.type = (char *)type;
    env.source = (char *)source;
    env.case_no = (char *)(case_no ? case_no : "");
    env.trace_id = (char *)(trace_id && *trace_id ? trace_id : id);
    env.created_at_us = now_us();
    env.payload.data = body;
    env.payload.len = body_len;
    *len = bangdai__envelope__get_packed_size(&env);
    out = malloc(*len ? *len : 1);
    if (out)
        bangdai__envelope__pack(&env, out);
    free(body);
    return out;
}

uint8_t *envelope_pack(const char *type, const char *source, const char *case_no,
                       const char *trace_id, const ProtobufCMessage *payload,
                       size_t *len, char id_out[UUID_STR_LEN])
{
    char id[UUID_STR_LEN];
    if (uuid_v7(id) != 0)
        return NULL;
    uint8_t *out = envelope_pack_with_id(id, type, source, case_no, trace_id, payload, len);
    if (out && id_out)
        memcpy(id_out, id, UUID_STR_LEN);
    return out;
}

uint8_t *envelope_with_seq(const uint8_t *frame, size_t len, uint64_t seq, size_t *out_len)
{
    /* Field 8, wire type 0 (varint): tag byte 8 << 3 = 0x40, then the value
     * in base-128 groups, low first. A field that appears again later in a
     * protobuf message replaces the earlier value, so this is exact. */
    uint8_t *out = malloc(len + 11);
    if (!out)
        return NULL;
    memcpy(out, frame, len);
    size_t n = len;
    out[n++] = 0x40;
    do {
        uint8_t b = seq & 0x7f;
        seq >>= 7;
        out[n++] = seq ? (uint8_t)(b | 0x80) : b;
    } while (seq);
    *out_len = n;
    return out;
}

Bangdai__Envelope *envelope_unpack(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    Bangdai__Envelope *env = bangdai__envelope__unpack(NULL, len, data);
    if (!env) {
        snprintf(err, errlen, "frame of %zu bytes is not a protobuf Envelope", len);
        return NULL;
    }
    if (validate_uuid(env->id) != 0) {
        snprintf(err, errlen, "envelope id is not a UUID");
        bangdai__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    if (validate_text(env->type, 64) != 0) {
        snprintf(err, errlen, "envelope type is empty or not text");
        bangdai__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    return env;
}

int envelope_send(zsock_t *sock, zframe_t *identity, const char *type, const char *source,
                  const char *case_no, const ProtobufCMessage *payload)
{
    size_t len;
    uint8_t *buf = envelope_pack(type, source, case_no, NULL, payload, &len, NULL);
    int rc;
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    rc = 0;
    if (identity)
        rc = zmq_send(zsock_resolve(sock), zframe_data(identity), zframe_size(identity),
                      ZMQ_SNDMORE | ZMQ_DONTWAIT);
    if (rc >= 0)
        rc = zmq_send(zsock_resolve(sock), buf, len, ZMQ_DONTWAIT);
    free(buf);
    return rc < 0 ? -1 : 0;
}

int envelope_send_error(zsock_t *sock, zframe_t *identity, const char *source,
                        const char *ref_id, const char *code, const char *field,
                        const char *message)
{
    Bangdai__Error e = BANGDAI__ERROR__INIT;
    e.ref_id = (char *)(ref_id ? ref_id : "");
    e.code = (char *)code;
    e.field = (char *)(field ? field : "");
    e.message = (char *)(message ? message : "");
    return envelope_send(sock, identity, MSG_ERROR, source, NULL, &e.base);
}
