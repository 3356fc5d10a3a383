/* envelope.h - the one frame on every link: a protobuf Envelope around a
 * typed payload (proto/bangdai.proto).
 *
 * Adding a message type: add it to proto/bangdai.proto, add its MSG_ name
 * here, handle it in the consumer's handler table (services/<daemon>/main.c)
 * and mention it in docs/ARCHITECTURE.md.
 */
#ifndef BANGDAI_ENVELOPE_H
#define BANGDAI_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <czmq.h>

#include "bangdai.pb-c.h"
#include "uuid.h"

#define MSG_ACK            "Ack"
#define MSG_ERROR          "Error"
#define MSG_SUBMIT         "SubmitRequest"
#define MSG_SUBMIT_REPLY   "SubmitReply"
#define MSG_STATUS         "StatusRequest"
#define MSG_STATUS_REPLY   "StatusReply"
#define MSG_CASE_OPENED    "CaseOpened"
#define MSG_HELLO          "Hello"
#define MSG_TASK_ASSIGNED  "TaskAssigned"
#define MSG_DEPT_UPDATE    "DeptUpdate"
#define MSG_TASK_CHANGED   "TaskChanged"
#define MSG_TASK_DECIDED   "TaskDecided"
#define MSG_PROGRESS       "Progress"
#define MSG_SERVICE_ENDED  "ServiceEnded"
#define MSG_WITHDRAW       "WithdrawRequest"
#define MSG_WITHDRAW_REPLY "WithdrawReply"
#define MSG_CASE_WITHDRAWN "CaseWithdrawn"
#define MSG_TASK_NOTICE    "TaskNotice"
#define MSG_DEPT_NOTE      "DeptNote"
#define MSG_TASK_LIST      "TaskListRequest"
#define MSG_TASK_LIST_REPLY "TaskListReply"
#define MSG_REASSIGN       "Reassign"
#define MSG_SPECIALIST_AWAY "SpecialistAway"
#define MSG_DUE_DATE       "DueDate"
#define MSG_CALENDAR_APPLY "CalendarApply"
#define MSG_CALENDAR_REPLY "CalendarReply"
#define MSG_REMINDER       "Reminder"
#define MSG_BOARD          "BoardRequest"
#define MSG_BOARD_REPLY    "BoardReply"
#define MSG_CASE_EVENT     "CaseEvent"
#define MSG_FEED_EVENT     "FeedEvent"
#define MSG_FEED           "FeedRequest"
#define MSG_FEED_REPLY     "FeedReply"
#define MSG_RATE           "RateRequest"
#define MSG_RATE_REPLY     "RateReply"
#define MSG_VISIT_LIST     "VisitListRequest"
#define MSG_VISIT_LIST_REPLY "VisitListReply"
#define MSG_RECTIFY        "RectifyRequest"
#define MSG_RECTIFY_REPLY  "RectifyReply"
#define MSG_RECTIFY_LIST   "RectifyListRequest"
#define MSG_RECTIFY_LIST_REPLY "RectifyListReply"
#define MSG_RECTIFY_NOTICE "RectifyNotice"
#define MSG_HANDOVER       "Handover"
#define MSG_FEE            "Fee"
#define MSG_RECEIPT        "ReceiptRequest"
#define MSG_RECEIPT_REPLY  "ReceiptReply"

/* Error codes carried in Error.code. */
#define ERR_MALFORMED      "malformed"
#define ERR_UNKNOWN_TYPE   "unknown_type"
#define ERR_INVALID        "invalid"
#define ERR_NOT_FOUND      "not_found"
#define ERR_FORBIDDEN      "forbidden"
#define ERR_CONFLICT       "conflict"
#define ERR_INTERNAL       "internal"
#define ERR_TOO_LARGE      "too_large"

/* Microseconds since the Unix epoch, from the real-time clock. */
int64_t now_us(void);

/* The time business rules go by: the day of a report, of an assignment,
 * the day 0 of a deadline, what is due today. It is now_us() unless the
 * environment has BANGDAI_CLOCK_SHIFT_S (seconds, may be negative), which
 * the tests set to run every daemon on a chosen day; the link's own
 * timing (retries, heartbeats, what the database stamps) stays on the real
 * clock. A daemon logs service.clock_shifted at start when it is set. */
int64_t business_now_us(void);

/* The shift business_now_us() applies, in seconds (0 in production). */
int64_t clock_shift_s(void);

/* Packs payload (any generated protobuf-c message, may be NULL for an empty
 * payload) into a new Envelope with a fresh UUIDv7 id. case_no and trace_id
 * may be NULL. When id_out is not NULL the new id is copied there. Returns a
 * new malloc'd buffer the caller owns (free()) and its length in *len, or
 * NULL when memory or the random source failed. */
uint8_t *envelope_pack(const char *type, const char *source, const char *case_no,
                       const char *trace_id, const ProtobufCMessage *payload,
                       size_t *len, char id_out[UUID_STR_LEN]);

/* Same as envelope_pack, with the id chosen by the caller (a UUID): a
 * command run again with the same id is the same message, applied once. */
uint8_t *envelope_pack_with_id(const char *id, const char *type, const char *source,
                               const char *case_no, const char *trace_id,
                               const ProtobufCMessage *payload, size_t *len);

/* Returns a copy of frame (a packed Envelope with seq 0) with seq set to
 * seq: the encoding of field 8 appended, which protobuf merges into the
 * message. Writes the new length to *out_len. Caller frees; NULL when out
 * of memory. */
uint8_t *envelope_with_seq(const uint8_t *frame, size_t len, uint64_t seq, size_t *out_len);

/* Returns a copy of frame (a packed Envelope) with payload, a generated
 * protobuf-c message of the envelope's type, appended to Envelope.more and
 * the protocol raised to BANGDAI_PROTOCOL_MORE: fields appended to a
 * protobuf message merge into it (a repeated field grows, a scalar's last
 * value wins), so nothing is unpacked. Writes the new length to *out_len.
 * Caller frees; NULL when out of memory. */
uint8_t *envelope_with_more(const uint8_t *frame, size_t len, const ProtobufCMessage *payload,
                            size_t *out_len);

/* Decodes and checks one frame: a valid Envelope with a UUID id and a
 * non-empty type. Returns the envelope (caller frees with
 * bangdai__envelope__free_unpacked(env, NULL)) or NULL with the reason in
 * err. */
Bangdai__Envelope *envelope_unpack(const uint8_t *data, size_t len, char *err, size_t errlen);

/* Sends one envelope built from the arguments on sock, prefixed by the
 * routing identity frame when identity is not NULL (ROUTER sockets). Does not
 * block (ZMQ_DONTWAIT). Returns 0, or -1 with errno set by ZeroMQ. */
int envelope_send(zsock_t *sock, zframe_t *identity, const char *type, const char *source,
                  const char *case_no, const ProtobufCMessage *payload);

/* Sends an Error reply naming the refused envelope, the code, the field and
 * the reason. Returns as envelope_send. */
int envelope_send_error(zsock_t *sock, zframe_t *identity, const char *source,
                        const char *ref_id, const char *code, const char *field,
                        const char *message);

/* The longest string any message may carry, in bytes (a handler's own
 * limit is usually lower). */
#define WIRE_MAX_STRING 4096
#define WIRE_MAX_STRING_TEXT "4096"
/* created_at_us beyond this (2100-01-01) is not a time. */
#define ENVELOPE_MAX_TIME_US 4102444800000000LL

/* The boundary check of every string of a message as it came on the wire
 * (data, len bytes, a desc message), before protobuf-c hands it to C as a
 * NUL-terminated string: valid UTF-8, no NUL byte (C would see the string
 * cut there), no control character but newline and tab, at most
 * WIRE_MAX_STRING bytes; nested messages too. On a fault writes the field's
 * path (e.g. "items[2]", "application.unit_name") and sets *why, and
 * returns -1; else 0. A frame that is not protobuf passes (the decoder
 * refuses it). */
int envelope_check_strings(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
                           char *path, size_t pathlen, const char **why);

/* The contract version this build speaks (Envelope.protocol): the highest
 * it reads. 2 adds Envelope.more between daemons; every envelope without
 * it is stamped 1 (BANGDAI_PROTOCOL_PLAIN), which is all the hall, the
 * agents and the CLIs ever see. */
#define BANGDAI_PROTOCOL 2
#define BANGDAI_PROTOCOL_PLAIN 1
/* The version an envelope with Envelope.more carries, so that a receiver
 * that would skip the field (and lose what it carries) refuses it. */
#define BANGDAI_PROTOCOL_MORE 2

#endif
