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

int64_t clock_shift_s(void)
{
    static int64_t shift;
    static bool read;
    if (!read) {
        const char *s = getenv("BANGDAI_CLOCK_SHIFT_S");
        char *end = NULL;
        long long v = s && *s ? strtoll(s, &end, 10) : 0;
        /* At most a century either way; anything else is ignored. */
        shift = end && !*end && v > -3155760000LL && v < 3155760000LL ? (int64_t)v : 0;
        read = true;
    }
    return shift;
}

int64_t business_now_us(void)
{
    return now_us() + clock_shift_s() * 1000000;
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
    env.protocol = BANGDAI_PROTOCOL_PLAIN;
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

/* Writes v as a protobuf varint at out; returns its length. */
static size_t put_varint(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        out[n++] = v ? (uint8_t)(b | 0x80) : b;
    } while (v);
    return n;
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
    n += put_varint(out + n, seq);
    *out_len = n;
    return out;
}

uint8_t *envelope_with_more(const uint8_t *frame, size_t len, const ProtobufCMessage *payload,
                            size_t *out_len)
{
    /* Field 10, wire type 2 (length-delimited): tag 10 << 3 | 2 = 0x52,
     * the length, the bytes; then field 9 (protocol), wire type 0: 0x48. */
    size_t body = protobuf_c_message_get_packed_size(payload);
    uint8_t *out = malloc(len + 1 + 10 + body + 2 + 10);
    if (!out)
        return NULL;
    memcpy(out, frame, len);
    size_t n = len;
    out[n++] = 0x52;
    n += put_varint(out + n, body);
    n += protobuf_c_message_pack(payload, out + n);
    out[n++] = 0x48;
    n += put_varint(out + n, BANGDAI_PROTOCOL_MORE);
    *out_len = n;
    return out;
}

Bangdai__Envelope *envelope_unpack(const uint8_t *data, size_t len, char *err, size_t errlen)
{
    Bangdai__Envelope *env = bangdai__envelope__unpack(NULL, len, data);
    char path[160];
    const char *why;
    if (!env) {
        snprintf(err, errlen, "frame of %zu bytes is not a protobuf Envelope", len);
        return NULL;
    }
    if (envelope_check_strings(&bangdai__envelope__descriptor, data, len, path, sizeof path, &why) != 0) {
        snprintf(err, errlen, "envelope %s %s", path, why);
        bangdai__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    if (env->protocol > BANGDAI_PROTOCOL) {
        snprintf(err, errlen, "envelope protocol %u is newer than this program's (%d)",
                 env->protocol, BANGDAI_PROTOCOL);
        bangdai__envelope__free_unpacked(env, NULL);
        return NULL;
    }
    if (env->created_at_us < 0 || env->created_at_us > ENVELOPE_MAX_TIME_US) {
        snprintf(err, errlen, "envelope created_at_us is not a time (microseconds since 1970, before 2100)");
        bangdai__envelope__free_unpacked(env, NULL);
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

/* ---- the boundary check of every string on the wire ------------------- */

static int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* What is wrong with the string s of n bytes, or NULL. */
static const char *wire_string_fault(const uint8_t *s, size_t n)
{
    if (n > WIRE_MAX_STRING)
        return "is longer than " WIRE_MAX_STRING_TEXT " bytes";
    if (memchr(s, 0, n))
        return "contains a NUL byte";
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
        if (k == 0 || i + k > n)
            return "is not valid UTF-8";
        uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return "is not valid UTF-8";
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        /* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000)
            || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return "is not valid UTF-8";
        if ((cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
            return "contains a control character";
        i += k;
    }
    return NULL;
}

static int wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end,
                      int depth, char *path, size_t pathlen, const char **why)
{
    unsigned seen[64] = { 0 };  /* occurrences per field index, for items[2] */
    while (p < end) {
        uint64_t key, v;
        if (wire_varint(&p, end, &key) != 0)
            return 0;           /* not protobuf: the decoder says so */
        uint32_t id = (uint32_t)(key >> 3);
        switch (key & 7) {
        case 0:
            if (wire_varint(&p, end, &v) != 0)
                return 0;
            continue;
        case 1:
            p += 8;
            continue;
        case 5:
            p += 4;
            continue;
        case 2:
            break;
        default:
            return 0;
        }
        if (wire_varint(&p, end, &v) != 0 || v > (uint64_t)(end - p))
            return 0;
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(desc, id);
        const uint8_t *val = p;
        p += v;
        if (!f)
            continue;
        unsigned idx = (unsigned)(f - desc->fields), nth = idx < 64 ? seen[idx]++ : 0;
        char here[96];
        if (f->label == PROTOBUF_C_LABEL_REPEATED)
            snprintf(here, sizeof here, "%s[%u]", f->name, nth);
        else
            snprintf(here, sizeof here, "%s", f->name);
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *fault = wire_string_fault(val, (size_t)v);
            if (fault) {
                snprintf(path, pathlen, "%s", here);
                *why = fault;
                return -1;
            }
        } else if (f->type == PROTOBUF_C_TYPE_MESSAGE && depth < 8) {
            char inner[160];
            if (wire_check(f->descriptor, val, val + v, depth + 1, inner, sizeof inner, why) != 0) {
                snprintf(path, pathlen, "%s.%s", here, inner);
                return -1;
            }
        }
    }
    return 0;
}

int envelope_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                           char *path, size_t pathlen, const char **why)
{
    if (!data || len == 0)
        return 0;       /* nothing to check (and no pointer to offset) */
    return wire_check(desc, data, data + len, 0, path, pathlen, why);
}
