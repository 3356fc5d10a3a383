/* security.h - CURVE keys and ZAP authentication (DESIGN.md, Security).
 *
 * Every TCP endpoint uses CURVE. A process has one identity, the key of
 * security.keys it was told to use (security_use_key): a daemon uses the key
 * named after it, a command-line program its default or --key NAME (cli.h).
 * A process that binds runs czmq's zauth, started by security_start()
 * before any bind, which lets in exactly the public keys of the
 * configuration; the peer of every message is then looked up by the public
 * key it authenticated with (security_peer), and its role and department
 * come from the configuration, never from the message.
 *
 * Key material is read when first needed, never by config_load(), so that
 * `bangdaictl keys new` and `keys init` work before any key exists. The
 * files are czmq certificates (zcert_save): <certs_dir>/NAME.key holds the
 * public key, <certs_dir>/NAME.key_secret both keys (mode 0600).
 *
 * The module holds the process's identity and its zauth actor; both live
 * until security_end(). One thread uses it (the programs' main thread).
 */
#ifndef BANGDAI_SECURITY_H
#define BANGDAI_SECURITY_H

#include <stdbool.h>
#include <stddef.h>

#include <czmq.h>

#include "config.h"

/* Room for a Z85 public key and its NUL. */
#define SECURITY_KEY_TXT 41

/* Chooses the process's own key: the entry `name` of security.keys. Its
 * secret certificate is read at first use (security_start or the first
 * socket), not now. Replaces an earlier choice and frees a certificate
 * loaded for it. Returns 0, or -1 with "security.keys: no key named 'x'"
 * in err (when errlen > 0) when the configuration lists no such key. */
__attribute__((warn_unused_result))
int security_use_key(const struct config *cfg, const char *name, char *err, size_t errlen);

/* The name of the chosen key, NULL before any choice. Borrowed. */
const char *security_key_name(void);

/* Reads every public key of security.keys that is not inline from
 * <certs_dir>/NAME.key into cfg (so that config_key_by_public finds every
 * key) and checks that no two keys are the same. Returns 0, or -1 with err
 * naming the missing or unreadable file and the command that creates it. */
__attribute__((warn_unused_result))
int security_load_public_keys(struct config *cfg, char *err, size_t errlen);

/* For a process that binds (a daemon), before its first bind: reads its own
 * secret certificate and every public key (security_load_public_keys), then
 * starts zauth allowing exactly the configured public keys for CURVE.
 * Needs a chosen key. Returns 0, or -1 with the reason in err; nothing is
 * left running then. A second call after success does nothing. */
__attribute__((warn_unused_result))
int security_start(struct config *cfg, char *err, size_t errlen);

/* After SIGHUP, with cfg the configuration now in force (its public keys
 * read: security_load_public_keys): replaces zauth by one that allows
 * exactly cfg's keys, so that a removed key's next handshake is refused
 * and an added one's accepted. Connections already made stay open; their
 * messages are refused by the skeleton when security_peer() no longer
 * finds their key (service.h). Does nothing before security_start().
 * Returns 0, or -1 with err: zauth could not be started again, and no
 * handshake succeeds until it is (the caller should exit). */
__attribute__((warn_unused_result))
int security_reload(const struct config *cfg, char *err, size_t errlen);
/* Whether security_start() succeeded (zauth runs). */
bool security_started(void);

/* Makes s, not yet bound, a CURVE server with the process's certificate,
 * the configured ZAP domain and ZMQ_ZAP_ENFORCE_DOMAIN (where libzmq takes
 * it; see security.c). Needs security_start(). Returns 0, or -1 with err. */
__attribute__((warn_unused_result))
int security_server_socket(zsock_t *s, const struct config *cfg, char *err, size_t errlen);

/* Makes s, not yet connected, a CURVE client with the process's
 * certificate (read now if not yet) that accepts only the server holding
 * the key named server (the daemon that binds the endpoint). Returns 0, or
 * -1 with err (no key chosen, a certificate missing: the message names the
 * file and the command that creates it). */
__attribute__((warn_unused_result))
int security_client_socket(zsock_t *s, const struct config *cfg, const char *server,
                           char *err, size_t errlen);

/* The Z85 public key of key into out: the inline one, else the one in
 * <certs_dir>/NAME.key. Returns 0, or -1 with err naming the file. */
__attribute__((warn_unused_result))
int security_public_key(const struct config *cfg, const struct cfg_key *key,
                        char out[SECURITY_KEY_TXT], char *err, size_t errlen);

/* The configured key that sent frame, a frame received on a CURVE server
 * socket: zauth sets the connection's "User-Id" to the client's Z85 public
 * key, which config_key_by_public() maps to its entry. NULL when the frame
 * carries no User-Id or an unknown one. Borrowed from cfg. */
const struct cfg_key *security_peer(const struct config *cfg, zframe_t *frame);

/* Creates a new keypair as dir/NAME.key and dir/NAME.key_secret (mode
 * 0600), creating dir when missing. Never overwrites: refuses when either
 * file exists. The public key goes to pub_out. Returns 0, or -1 with err. */
__attribute__((warn_unused_result))
int security_new_key(const char *dir, const char *name, char pub_out[SECURITY_KEY_TXT],
                     char *err, size_t errlen);

/* The command that creates key, for messages: "bangdaictl keys new hall x"
 * (with " --dept CODE" for a department key). Returns buf. */
const char *security_new_key_command(const struct cfg_key *key, char *buf, size_t len);

/* The socket to poll for czmq's log lines (zauth's verdicts), NULL when
 * security_start() has not run or could not watch zauth; read with
 * security_log_read() when it has input. */
zsock_t *security_log_socket(void);

/* Reads czmq's pending log lines: keeps zauth's denials, logs anything
 * else czmq says as czmq.log. */
void security_log_read(void);

/* The Z85 public key that the client at peer (a monitor event's address,
 * "tcp://HOST:PORT") offered when zauth last denied it, into key; each
 * denial is given once. Returns false when none is known. */
bool security_denied_key(const char *peer, char key[SECURITY_KEY_TXT]);

/* Stops zauth and frees the process's certificate and choice. Call after
 * the last socket is closed. Safe to call more than once. */
void security_end(void);

#endif
