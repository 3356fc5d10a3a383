/* client.h - one request, one reply, for the command-line programs (hall,
 * dept, ctl) and the department agent.
 *
 * A request keeps its envelope id across resends, so a consumer that dedupes
 * on it (inbox) or on a request id (intake's submit) applies it once however
 * often it is sent.
 */
#ifndef BANGDAI_CLIENT_H
#define BANGDAI_CLIENT_H

#include "config.h"
#include "envelope.h"

struct client;

/* A DEALER connected to endpoint, which must be one of the configuration's
 * endpoints: a CURVE client with the program's key (cli.h, security.h).
 * identity may be NULL. Returns the client (caller owns, client_destroy)
 * or NULL; why is logged (security.unusable names a missing certificate
 * and the command that creates it). */
struct client *client_new(const struct config *cfg, const char *endpoint, const char *identity);
void client_destroy(struct client **c);

/* The socket, for programs that also wait for unsolicited messages. */
zsock_t *client_socket(struct client *c);

/* Sends a request and waits up to timeout_ms for its reply; when none comes,
 * sends the same envelope again, `tries` times in all. The reply is the first
 * envelope whose trace id or ref_id names the request. Returns it (caller
 * frees with bangdai__envelope__free_unpacked) or NULL on timeout. When
 * id_out is not NULL it receives the request's id. */
Bangdai__Envelope *client_call(struct client *c, const char *source, const char *type,
                               const char *case_no, const ProtobufCMessage *msg,
                               int timeout_ms, int tries, char id_out[UUID_STR_LEN]);

/* Same, resending an envelope already packed (frame, len) whose id is id. */
Bangdai__Envelope *client_call_packed(struct client *c, const uint8_t *frame, size_t len,
                                      const char *id, int timeout_ms, int tries);

/* Prints an Error envelope's code, field and message to stderr as
 * "PROGRAM: error: FIELD: MESSAGE (CODE)". */
void client_print_error(const char *program, const Bangdai__Envelope *reply);

#endif
