/* fuzz_envelope.c - libFuzzer: any frame a peer could send, through the
 * envelope decoder, the boundary check of every string and every payload's
 * decoder. Property: a payload that passes the boundary check decodes to
 * strings that are valid UTF-8 with no control character but \n and \t. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "envelope.h"
#include "validate.h"

static const ProtobufCMessageDescriptor *const payloads[] = {
    &bangdai__submit_request__descriptor, &bangdai__status_request__descriptor,
    &bangdai__withdraw_request__descriptor, &bangdai__dept_update__descriptor,
    &bangdai__dept_note__descriptor, &bangdai__task_list_request__descriptor,
    &bangdai__hello__descriptor, &bangdai__case_opened__descriptor,
    &bangdai__task_changed__descriptor, &bangdai__progress__descriptor,
    &bangdai__task_assigned__descriptor, &bangdai__reassign__descriptor, &bangdai__ack__descriptor,
    &bangdai__error__descriptor,
};

/* Every string field of msg, recursively: UTF-8 without control characters
 * but newline and tab. */
static void strings_clean(const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *member = (const char *)msg + f->offset;
        size_t n = 1;
        void *const *values = (void *const *)member;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            n = *(const size_t *)((const char *)msg + f->quantifier_offset);
            values = *(void *const *const *)member;
        }
        for (size_t j = 0; j < n && values; j++) {
            if (!values[j])
                continue;
            if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
                strings_clean(values[j]);
                continue;
            }
            const unsigned char *s = values[j];
            assert(validate_utf8((const char *)s) == 0);
            for (; *s; s++)
                assert(*s >= 0x20 || *s == '\n' || *s == '\t');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256], path[160];
    const char *why;
    Bangdai__Envelope *env = envelope_unpack(data, size, err, sizeof err);
    if (env) {
        assert(validate_uuid(env->id) == 0);
        strings_clean(&env->base);
        for (size_t i = 0; i < sizeof payloads / sizeof payloads[0]; i++) {
            ProtobufCMessage *m = protobuf_c_message_unpack(payloads[i], NULL, env->payload.len, env->payload.data);
            int ok = envelope_check_strings(payloads[i], env->payload.data, env->payload.len, path, sizeof path,
                                            &why) == 0;
            if (m && ok)
                strings_clean(m);
            if (m)
                protobuf_c_message_free_unpacked(m, NULL);
        }
        bangdai__envelope__free_unpacked(env, NULL);
    }
    /* The raw input as the hall's message itself. */
    Bangdai__SubmitRequest *r = bangdai__submit_request__unpack(NULL, size, data);
    if (r && envelope_check_strings(&bangdai__submit_request__descriptor, data, size, path, sizeof path, &why) == 0)
        strings_clean(&r->base);
    if (r)
        bangdai__submit_request__free_unpacked(r, NULL);
    return 0;
}
