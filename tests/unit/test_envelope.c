/* test_envelope.c - unit tests of common/envelope.c: the one frame on every
 * link.
 *
 * A packed envelope must come back field for field, with a fresh UUIDv7 id
 * and its payload intact; ids of later envelopes sort after earlier ones; and
 * envelope_unpack must refuse, with a reason, every frame a peer could send
 * that is not a usable Envelope (garbage, an empty frame, a bad id, a bad
 * type).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers -------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Checks that id is a lower-case UUIDv7 text (8-4-4-4-12, version 7,
 * variant 10) and returns its 48-bit Unix-millisecond timestamp. */
static int64_t check_uuid_v7(const char *id)
{
    int64_t ms = 0;
    int digits = 0;

    assert_non_null(id);
    assert_int_equal(strlen(id), 36);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            assert_int_equal(id[i], '-');
            continue;
        }
        int v = hex_value(id[i]);
        if (v < 0)
            print_error("id \"%s\": character %d is not lower-case hex\n", id, i);
        assert_true(v >= 0);
        if (digits < 12)
            ms = ms * 16 + v;
        digits++;
    }
    assert_int_equal(id[14], '7');                  /* version nibble */
    assert_non_null(strchr("89ab", id[19]));        /* variant 10xx */
    return ms;
}

/* Waits, without sleeping, until the real-time clock has entered a later
 * millisecond than the one it is in now. */
static void next_millisecond(void)
{
    int64_t start = now_us() / 1000;
    while (now_us() / 1000 == start)
        ;
}

/* Packs a bare Envelope (not through envelope_pack) with the given id and
 * type, so that the refusals of envelope_unpack can be tried. Caller frees. */
static uint8_t *pack_raw(const char *id, const char *type, size_t *len)
{
    Bangdai__Envelope env = BANGDAI__ENVELOPE__INIT;
    env.id = (char *)id;
    env.type = (char *)type;
    env.source = (char *)"test";
    env.created_at_us = now_us();
    *len = bangdai__envelope__get_packed_size(&env);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    bangdai__envelope__pack(&env, buf);
    return buf;
}

/* ---- round trip ----------------------------------------------------------- */

static void test_round_trip(void **state)
{
    static const char *items[] = { "SG-XK", "GH-XK", "JG-YS" };
    Bangdai__SubmitRequest req = BANGDAI__SUBMIT_REQUEST__INIT;
    Bangdai__Unit unit = BANGDAI__UNIT__INIT;
    Bangdai__Contact contact = BANGDAI__CONTACT__INIT;
    char id[UUID_STR_LEN] = "", err[256] = "";
    size_t len = 0;

    (void)state;
    unit.name = (char *)"重庆市垫江县某建设有限公司";
    unit.credit_code = (char *)"91500231MA5U12345Y";
    contact.name = (char *)"张三";
    contact.phone = (char *)"138" "0000" "1234";
    req.request_id = (char *)"0190c7d2-7a8b-7c3d-9e4f-0123456789ab";
    req.unit = &unit;
    req.contact = &contact;
    req.service_type = (char *)"agency";
    req.items = (char **)items;
    req.n_items = N_OF(items);
    req.delivery = (char *)"post";
    req.channel = (char *)"hall";

    int64_t before = now_us();
    uint8_t *buf = envelope_pack(MSG_SUBMIT, "hall", "BD-500231-20240601-00001", NULL,
                                 &req.base, &len, id);
    int64_t after = now_us();
    assert_non_null(buf);
    assert_true(len > 0);
    int64_t id_ms = check_uuid_v7(id);
    assert_in_range(id_ms, before / 1000, after / 1000);

    Bangdai__Envelope *env = envelope_unpack(buf, len, err, sizeof err);
    free(buf);
    if (!env)
        print_error("unpack: %s\n", err);
    assert_non_null(env);
    assert_string_equal(env->id, id);
    assert_string_equal(env->type, MSG_SUBMIT);
    assert_string_equal(env->source, "hall");
    assert_string_equal(env->case_no, "BD-500231-20240601-00001");
    assert_string_equal(env->trace_id, id);         /* NULL trace: the id */
    assert_in_range(env->created_at_us, before, after);
    assert_in_range(env->created_at_us / 1000 - id_ms, 0, 1000);

    Bangdai__SubmitRequest *got =
        bangdai__submit_request__unpack(NULL, env->payload.len, env->payload.data);
    assert_non_null(got);
    assert_string_equal(got->request_id, req.request_id);
    assert_non_null(got->unit);
    assert_string_equal(got->unit->name, unit.name);
    assert_string_equal(got->unit->credit_code, unit.credit_code);
    assert_non_null(got->contact);
    assert_string_equal(got->contact->phone, contact.phone);
    assert_null(got->project);
    assert_string_equal(got->service_type, "agency");
    assert_int_equal(got->n_items, N_OF(items));
    for (size_t i = 0; i < N_OF(items); i++)
        assert_string_equal(got->items[i], items[i]);
    assert_string_equal(got->delivery, "post");
    assert_string_equal(got->channel, "hall");
    bangdai__submit_request__free_unpacked(got, NULL);
    bangdai__envelope__free_unpacked(env, NULL);
}

/* The optional arguments: case_no and payload may be absent, a trace id
 * passed in is kept, an empty one is replaced by the id, and id_out may be
 * NULL. */
static void test_optional_fields(void **state)
{
    static const struct {
        const char *case_no;    /* argument */
        const char *trace_id;   /* argument */
        const char *want_case;
        const char *want_trace; /* NULL: the envelope's own id */
    } cases[] = {
        { NULL, NULL, "", NULL },
        { NULL, "", "", NULL },
        { "", "0190c7d2-0000-7000-8000-000000000001", "",
          "0190c7d2-0000-7000-8000-000000000001" },
        { "BD-500231-20240601-00002", "trace-from-hall", "BD-500231-20240601-00002",
          "trace-from-hall" },
    };
    Bangdai__Ack ack = BANGDAI__ACK__INIT;

    (void)state;
    ack.ref_id = (char *)"0190c7d2-7a8b-7c3d-9e4f-0123456789ab";
    for (size_t i = 0; i < N_OF(cases); i++) {
        char id[UUID_STR_LEN] = "", err[256] = "";
        size_t len = 0;
        /* Even rows without a payload, odd rows with one. */
        const ProtobufCMessage *payload = i % 2 ? &ack.base : NULL;
        uint8_t *buf = envelope_pack(MSG_ACK, "router", cases[i].case_no, cases[i].trace_id,
                                     payload, &len, id);
        assert_non_null(buf);
        Bangdai__Envelope *env = envelope_unpack(buf, len, err, sizeof err);
        free(buf);
        if (!env)
            print_error("row %zu: unpack: %s\n", i, err);
        assert_non_null(env);
        assert_string_equal(env->id, id);
        assert_string_equal(env->case_no, cases[i].want_case);
        assert_string_equal(env->trace_id, cases[i].want_trace ? cases[i].want_trace : id);
        if (payload) {
            Bangdai__Ack *a = bangdai__ack__unpack(NULL, env->payload.len, env->payload.data);
            assert_non_null(a);
            assert_string_equal(a->ref_id, ack.ref_id);
            bangdai__ack__free_unpacked(a, NULL);
        } else {
            assert_int_equal(env->payload.len, 0);
        }
        bangdai__envelope__free_unpacked(env, NULL);
    }

    /* id_out NULL: still a valid frame with an id. */
    size_t len = 0;
    char err[256] = "";
    uint8_t *buf = envelope_pack(MSG_HELLO, "agent", NULL, NULL, NULL, &len, NULL);
    assert_non_null(buf);
    Bangdai__Envelope *env = envelope_unpack(buf, len, err, sizeof err);
    free(buf);
    assert_non_null(env);
    check_uuid_v7(env->id);
    bangdai__envelope__free_unpacked(env, NULL);
}

/* ---- ids ------------------------------------------------------------------ */

/* Two envelopes get different ids; one packed in a later millisecond sorts
 * after the earlier one as a string (UUIDv7 order). Within one millisecond
 * the order of the random bits is not promised, so the second pack waits for
 * the clock to move on. */
static void test_ids_unique_and_time_ordered(void **state)
{
    char prev[UUID_STR_LEN] = "";

    (void)state;
    for (int i = 0; i < 5; i++) {
        char a[UUID_STR_LEN] = "", b[UUID_STR_LEN] = "";
        size_t la = 0, lb = 0;
        uint8_t *fa = envelope_pack(MSG_HELLO, "agent", NULL, NULL, NULL, &la, a);
        uint8_t *fb = envelope_pack(MSG_HELLO, "agent", NULL, NULL, NULL, &lb, b);
        assert_non_null(fa);
        assert_non_null(fb);
        free(fa);
        free(fb);
        check_uuid_v7(a);
        check_uuid_v7(b);
        assert_string_not_equal(a, b);              /* same millisecond or not */
        if (*prev) {
            if (strcmp(prev, a) >= 0)
                print_error("id %s does not sort after %s\n", a, prev);
            assert_true(strcmp(prev, a) < 0);
        }
        memcpy(prev, b, sizeof prev);
        next_millisecond();
    }
}

/* Ids made back to back, thousands within a millisecond, sort in the
 * order they were made (an agent lists its spool by message id). */
static void test_ids_in_order_within_a_millisecond(void **state)
{
    (void)state;
    char prev[UUID_STR_LEN] = "", id[UUID_STR_LEN];
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(uuid_v7(id), 0);
        if (i % 1000 == 0)
            check_uuid_v7(id);
        if (strcmp(prev, id) >= 0)
            print_error("id #%d %s does not sort after %s\n", i, id, prev);
        assert_true(strcmp(prev, id) < 0);
        memcpy(prev, id, sizeof prev);
    }
}

/* ---- refusals ------------------------------------------------------------- */

struct refusal_case {
    const char *name;
    const char *id;             /* NULL: field left unset */
    const char *type;
    int want_ok;
};

/* envelope_unpack over a table of Envelopes whose id or type is wrong, with
 * a valid one in between so the table cannot pass by refusing everything. */
static void test_unpack_checks_id_and_type(void **state)
{
    static const char long_type[] =
        "T1234567890123456789012345678901234567890123456789012345678901234"; /* 65 */
    static const struct refusal_case cases[] = {
        { "valid v7", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab", MSG_ACK, 1 },
        { "valid, other version", "6ba7b810-9dad-41d1-80b4-00c04fd430c8", MSG_ERROR, 1 },
        { "type of 64 bytes", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab",
          long_type + 1, 1 },
        { "id missing", NULL, MSG_ACK, 0 },
        { "id empty", "", MSG_ACK, 0 },
        { "id not a uuid", "not-a-uuid", MSG_ACK, 0 },
        { "id one short", "0190c7d2-7a8b-7c3d-9e4f-0123456789a", MSG_ACK, 0 },
        { "id one long", "0190c7d2-7a8b-7c3d-9e4f-0123456789abc", MSG_ACK, 0 },
        { "id non-hex", "0190c7d2-7a8b-7c3d-9e4f-0123456789ag", MSG_ACK, 0 },
        { "id dash moved", "0190c7d27-a8b-7c3d-9e4f-0123456789ab", MSG_ACK, 0 },
        { "id without dashes", "0190c7d27a8b7c3d9e4f0123456789ab", MSG_ACK, 0 },
        { "id braced", "{0190c7d2-7a8b-7c3d-9e4f-0123456789}", MSG_ACK, 0 },
        { "id with sql", "'; DROP TABLE outbox; --aaaaaaaaaaaa", MSG_ACK, 0 },
        { "type missing", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab", NULL, 0 },
        { "type empty", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab", "", 0 },
        { "type control char", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab", "Ack\n", 0 },
        { "type bad utf-8", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab", "Ack\xff", 0 },
        { "type of 65 bytes", "0190c7d2-7a8b-7c3d-9e4f-0123456789ab", long_type, 0 },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        const struct refusal_case *c = &cases[i];
        char err[256] = "";
        size_t len = 0;
        uint8_t *buf = pack_raw(c->id, c->type, &len);
        Bangdai__Envelope *env = envelope_unpack(buf, len, err, sizeof err);
        free(buf);
        if ((env != NULL) != c->want_ok)
            print_error("row \"%s\": %s\n", c->name,
                        env ? "accepted, want refused" : err);
        if (c->want_ok) {
            assert_non_null(env);
            assert_string_equal(env->id, c->id);
            assert_string_equal(env->type, c->type);
            bangdai__envelope__free_unpacked(env, NULL);
        } else {
            assert_null(env);
            if (!*err)
                print_error("row \"%s\": refused without a reason\n", c->name);
            assert_true(err[0] != 0);
        }
    }
}

struct bytes_case {
    const char *name;
    const uint8_t *data;
    size_t len;
};

/* Frames that are not an Envelope at all, or an empty one. */
static void test_unpack_refuses_bad_frames(void **state)
{
    static const uint8_t empty[1] = { 0 };
    /* Field 1 (id) says 16 bytes follow, only one does. */
    static const uint8_t truncated[] = { 0x0a, 0x10, 'a' };
    /* A varint of eleven bytes: longer than any 64-bit value. */
    static const uint8_t long_varint[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff, 0xff, 0xff };
    /* Wire type 7 does not exist. */
    static const uint8_t bad_wire[] = { 0x0f, 0x00 };
    /* Field number 0 is reserved. */
    static const uint8_t field_zero[] = { 0x00, 0x01 };
    /* A valid tag for id with the length missing. */
    static const uint8_t no_length[] = { 0x0a };
    static const struct bytes_case cases[] = {
        { "empty frame", empty, 0 },
        { "truncated string", truncated, sizeof truncated },
        { "overlong varint", long_varint, sizeof long_varint },
        { "wire type 7", bad_wire, sizeof bad_wire },
        { "field number 0", field_zero, sizeof field_zero },
        { "tag without length", no_length, sizeof no_length },
    };

    (void)state;
    for (size_t i = 0; i < N_OF(cases); i++) {
        char err[256] = "";
        Bangdai__Envelope *env = envelope_unpack(cases[i].data, cases[i].len, err, sizeof err);
        if (env) {
            print_error("row \"%s\": accepted, want refused\n", cases[i].name);
            bangdai__envelope__free_unpacked(env, NULL);
        }
        assert_null(env);
        if (!*err)
            print_error("row \"%s\": refused without a reason\n", cases[i].name);
        assert_true(err[0] != 0);
    }

    /* A valid frame cut anywhere short of its end is refused too, or, when
     * the cut falls between fields, still checked: never a crash. */
    char id[UUID_STR_LEN];
    size_t len = 0;
    uint8_t *buf = envelope_pack(MSG_ACK, "router", "BD-500231-20240601-00003", NULL, NULL,
                                 &len, id);
    assert_non_null(buf);
    for (size_t cut = 0; cut < len; cut++) {
        char err[256] = "";
        Bangdai__Envelope *env = envelope_unpack(buf, cut, err, sizeof err);
        if (env) {
            /* Only a cut after the id and type fields can leave a valid
             * Envelope; then both must be whole. */
            assert_string_equal(env->id, id);
            assert_string_equal(env->type, MSG_ACK);
            bangdai__envelope__free_unpacked(env, NULL);
        } else {
            assert_true(err[0] != 0);
        }
    }
    free(buf);
}

/* A short err buffer is filled without overflow and stays terminated. */
static void test_unpack_short_err_buffer(void **state)
{
    static const uint8_t truncated[] = { 0x0a, 0x10, 'a' };
    char err[8];

    (void)state;
    memset(err, 'x', sizeof err);
    assert_null(envelope_unpack(truncated, sizeof truncated, err, sizeof err));
    assert_int_equal(strlen(err), sizeof err - 1);
}

/* The boundary check reads the strings as they came on the wire, where a
 * NUL, a control character or bytes that are not UTF-8 are still there. */
static void test_wire_strings(void **state)
{
    (void)state;
#define RAW(s) s, sizeof s - 1
    static const struct { const char *value; size_t len; const char *why; } cases[] = {
        { RAW("重庆澄岚\0有限公司"), "contains a NUL byte" },
        { RAW("LX-BA\0x"), "contains a NUL byte" },
        { RAW("a\x1b" "[31mb"), "contains a control character" },
        { RAW("a\x01" "b"), "contains a control character" },
        { RAW("\xb9\xfa\xbc\xd2"), "is not valid UTF-8" },
        { RAW("\xc0\x80"), "is not valid UTF-8" },          /* overlong NUL */
        { RAW("\xed\xa0\x80"), "is not valid UTF-8" },     /* a surrogate */
        { RAW("line\nnext\tcol"), NULL },
        { RAW("重庆澄岚"), NULL },
    };
#undef RAW
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* A SubmitRequest with items[0] ok and items[1] the value. */
        Bangdai__SubmitRequest r = BANGDAI__SUBMIT_REQUEST__INIT;
        char *items[2] = { "LX-BA", "PLACEHOLDER" };
        r.n_items = 2;
        r.items = items;
        r.request_id = "x";
        size_t len = bangdai__submit_request__get_packed_size(&r);
        uint8_t *buf = malloc(len + 64);
        assert_non_null(buf);
        bangdai__submit_request__pack(&r, buf);
        /* Replace the 11-byte PLACEHOLDER with the raw value. */
        uint8_t *at = memmem(buf, len, "PLACEHOLDER", 11);
        assert_non_null(at);
        at[-1] = (uint8_t)cases[i].len;
        memmove(at + cases[i].len, at + 11, (size_t)(buf + len - (at + 11)));
        memcpy(at, cases[i].value, cases[i].len);
        len = len - 11 + cases[i].len;
        char path[64] = "";
        const char *why = NULL;
        int rc = envelope_check_strings(&bangdai__submit_request__descriptor, buf, len, path, sizeof path, &why);
        if (cases[i].why) {
            assert_int_equal(rc, -1);
            assert_string_equal(path, "items[1]");
            assert_string_equal(why, cases[i].why);
        } else {
            assert_int_equal(rc, 0);
        }
        free(buf);
    }
    /* An empty payload comes as NULL and 0 (found by fuzz_envelope: the
     * check offset a null pointer, undefined behaviour). */
    char p0[8];
    const char *w0;
    assert_int_equal(envelope_check_strings(&bangdai__submit_request__descriptor, NULL, 0, p0, sizeof p0, &w0), 0);
    /* Nested: a NUL in unit.name names the path. */
    Bangdai__SubmitRequest r = BANGDAI__SUBMIT_REQUEST__INIT;
    Bangdai__Unit u = BANGDAI__UNIT__INIT;
    u.name = "ABCD";
    r.unit = &u;
    size_t len = bangdai__submit_request__get_packed_size(&r);
    uint8_t buf[64];
    bangdai__submit_request__pack(&r, buf);
    uint8_t *at = memmem(buf, len, "ABCD", 4);
    at[2] = 0;
    char path[64] = "";
    const char *why = NULL;
    assert_int_equal(envelope_check_strings(&bangdai__submit_request__descriptor, buf, len, path, sizeof path, &why), -1);
    assert_string_equal(path, "unit.name");
}

/* envelope_with_more: each appended message is one more part, in order,
 * the first payload and every other field kept, the protocol raised to 2
 * (and a number appended after it still counts). */
static void test_with_more(void **state)
{
    static const char *const tasks[] = { "BD-1-T1", "BD-1-T2", "BD-1-T3" };
    char id[UUID_STR_LEN], err[256];
    size_t len = 0;
    (void)state;
    Bangdai__TaskChanged tc = BANGDAI__TASK_CHANGED__INIT;
    tc.case_no = (char *)"BD-1";
    tc.task_id = (char *)tasks[0];
    tc.state = (char *)"ASSIGNED";
    uint8_t *frame = envelope_pack(MSG_TASK_CHANGED, "router", "BD-1", NULL, &tc.base, &len, id);
    assert_non_null(frame);
    for (size_t i = 1; i < N_OF(tasks); i++) {
        size_t n;
        tc.task_id = (char *)tasks[i];
        uint8_t *more = envelope_with_more(frame, len, &tc.base, &n);
        assert_non_null(more);
        assert_true(n > len);
        free(frame);
        frame = more;
        len = n;
    }
    size_t n;
    uint8_t *numbered = envelope_with_seq(frame, len, 42, &n);
    free(frame);
    assert_non_null(numbered);
    Bangdai__Envelope *env = envelope_unpack(numbered, n, err, sizeof err);
    free(numbered);
    if (!env)
        print_error("unpack: %s\n", err);
    assert_non_null(env);
    assert_string_equal(env->id, id);
    assert_string_equal(env->type, MSG_TASK_CHANGED);
    assert_string_equal(env->case_no, "BD-1");
    assert_int_equal(env->seq, 42);
    assert_int_equal(env->protocol, BANGDAI_PROTOCOL_MORE);
    assert_int_equal(env->n_more, N_OF(tasks) - 1);
    for (size_t i = 0; i < N_OF(tasks); i++) {
        const ProtobufCBinaryData *b = i == 0 ? &env->payload : &env->more[i - 1];
        Bangdai__TaskChanged *got = bangdai__task_changed__unpack(NULL, b->len, b->data);
        assert_non_null(got);
        assert_string_equal(got->task_id, tasks[i]);
        assert_string_equal(got->state, "ASSIGNED");
        bangdai__task_changed__free_unpacked(got, NULL);
    }
    bangdai__envelope__free_unpacked(env, NULL);

    /* A plain envelope says 1: what halls and agents see is unchanged. */
    frame = envelope_pack(MSG_TASK_CHANGED, "router", "BD-1", NULL, &tc.base, &len, NULL);
    env = envelope_unpack(frame, len, err, sizeof err);
    free(frame);
    assert_non_null(env);
    assert_int_equal(env->protocol, BANGDAI_PROTOCOL_PLAIN);
    assert_int_equal(env->n_more, 0);
    bangdai__envelope__free_unpacked(env, NULL);
}

/* created_at_us out of range, and a newer protocol, are refused. */
static void test_unpack_time_and_version(void **state)
{
    (void)state;
    Bangdai__Envelope env = BANGDAI__ENVELOPE__INIT;
    env.id = "0190f3a2-7b1c-7d4e-9a55-3c2b1a000001";
    env.type = "Ack";
    uint8_t buf[256];
    char err[128];
    const int64_t times[] = { INT64_MIN, -1, ENVELOPE_MAX_TIME_US + 1 };
    for (size_t i = 0; i < 3; i++) {
        env.created_at_us = times[i];
        size_t len = bangdai__envelope__pack(&env, buf);
        assert_null(envelope_unpack(buf, len, err, sizeof err));
        assert_non_null(strstr(err, "created_at_us"));
    }
    env.created_at_us = 0;
    env.protocol = BANGDAI_PROTOCOL + 1;
    size_t len = bangdai__envelope__pack(&env, buf);
    assert_null(envelope_unpack(buf, len, err, sizeof err));
    assert_non_null(strstr(err, "protocol"));
    env.protocol = 0;
    len = bangdai__envelope__pack(&env, buf);
    Bangdai__Envelope *ok = envelope_unpack(buf, len, err, sizeof err);
    assert_non_null(ok);
    bangdai__envelope__free_unpacked(ok, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_optional_fields),
        cmocka_unit_test(test_ids_unique_and_time_ordered),
        cmocka_unit_test(test_ids_in_order_within_a_millisecond),
        cmocka_unit_test(test_unpack_checks_id_and_type),
        cmocka_unit_test(test_unpack_refuses_bad_frames),
        cmocka_unit_test(test_unpack_short_err_buffer),
        cmocka_unit_test(test_wire_strings),
        cmocka_unit_test(test_unpack_time_and_version),
        cmocka_unit_test(test_with_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
