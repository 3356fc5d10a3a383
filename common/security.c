/* security.c - CURVE keys and ZAP authentication; see security.h.
 *
 * Why zauth runs before the first bind, and what the ZAP domain and
 * ZMQ_ZAP_ENFORCE_DOMAIN add. In libzmq 4.3 (curve_server.cpp,
 * process_initiate) a CURVE server asks ZAP when its ZAP domain is set or
 * ZMQ_ZAP_ENFORCE_DOMAIN is off; it then connects to the handler bound at
 * inproc://zeromq.zap.01 in its context and waits for its verdict on the
 * client's key. When no handler is bound it lets any client key in (the
 * "Stonehouse" pattern), unless ZMQ_ZAP_ENFORCE_DOMAIN is on: then the
 * handshake fails. (With the option on and no domain it would not ask ZAP
 * at all, hence the domain is always set.) czmq's zauth binds that handler
 * in czmq's global context, which every zsock shares. So security_start()
 * starts zauth before any server socket exists, and a daemon keeps it
 * until its sockets are closed (security_end): every CURVE client is then
 * checked against the configured keys, with or without the option.
 * ZMQ_ZAP_ENFORCE_DOMAIN (a draft option, 93) is set where libzmq takes it,
 * so that a server whose handler went missing fails closed instead of
 * open; Debian 12's libzmq 4.3.4 takes it, though zmq.h declares it only
 * for draft builds. The test (tests/integration/test_security.sh) checks
 * that a key not in the configuration gets nothing through.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "security.h"

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93   /* zmq.h declares it only for draft builds */
#endif

#define KEY_BYTES 32
#define DENIALS_KEPT 16             /* denied keys kept until their refusal is logged */
/* czmq's log lines (zsys_info and friends) go out on this PUB socket
 * rather than to stdout: zauth's verdicts name the key a refused client
 * offered, which the refusal's log line gives the operator. */
#define ZSYS_LOG_ENDPOINT "inproc://bangdai-czmq-log"
#define PATH_BYTES 256              /* zcert_load() builds "<path>_secret" in 256 bytes */

/* The process's identity and its authenticator. */
static struct {
    char name[64];              /* chosen key, "" when none */
    zcert_t *cert;              /* its certificate, once read */
    zactor_t *auth;             /* zauth, once started */
    bool enforce_warned;        /* ZMQ_ZAP_ENFORCE_DOMAIN refusal logged */
    zsock_t *zlog;              /* SUB reading czmq's log lines (zauth's verdicts) */
    char asking[64];            /* the address of the ZAP request zauth is deciding */
    struct denial {
        char host[64];          /* the client's IP address, as ZAP gives it */
        char key[SECURITY_KEY_TXT];     /* the Z85 public key it offered */
    } denied[DENIALS_KEPT];     /* the latest denials, oldest overwritten */
    unsigned n_denied;          /* denials seen; the slot is n % DENIALS_KEPT */
} self;

static void watch_zauth(void);

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Writes "<dir>/<name><suffix>" into buf (PATH_BYTES). Returns 0, or -1
 * with err when it does not fit. */
static int key_path(const char *dir, const char *name, const char *suffix,
                    char buf[static PATH_BYTES], char *err, size_t errlen)
{
    int n = snprintf(buf, PATH_BYTES, "%s/%s%s", dir, name, suffix);
    if (n < 0 || n >= PATH_BYTES - 8)
        return fail(err, errlen, "%s/%s%s: path too long", dir, name, suffix);
    return 0;
}

/* Whether the 32 bytes are all zero: what zcert_load() gives for the secret
 * key of a file that has none. */
static bool all_zero(const byte *key)
{
    for (int i = 0; i < KEY_BYTES; i++)
        if (key[i])
            return false;
    return true;
}

const char *security_new_key_command(const struct cfg_key *key, char *buf, size_t len)
{
    const char *role = config_role_name(key->role);
    if (key->role == ROLE_DEPARTMENT)
        snprintf(buf, len, "bangdaictl keys new %s %s --dept %s", role ? role : "?", key->name,
                 key->dept ? key->dept : "?");
    else
        snprintf(buf, len, "bangdaictl keys new %s %s", role ? role : "?", key->name);
    return buf;
}

int security_use_key(const struct config *cfg, const char *name, char *err, size_t errlen)
{
    if (!name || !config_key(cfg, name))
        return fail(err, errlen, "security.keys: no key named '%s' in %s", name ? name : "",
                    cfg->path);
    zcert_destroy(&self.cert);
    snprintf(self.name, sizeof self.name, "%s", name);
    return 0;
}

const char *security_key_name(void)
{
    return self.name[0] ? self.name : NULL;
}

/* The process's certificate, read at the first call; see security.h
 * (security_client_socket) for the failures. */
static zcert_t *own_cert(const struct config *cfg, char *err, size_t errlen)
{
    char pub[PATH_BYTES], secret[PATH_BYTES], cmd[160];
    struct stat st;
    if (self.cert)
        return self.cert;
    if (!self.name[0]) {
        fail(err, errlen, "no key chosen for this program; name one of security.keys with --key NAME");
        return NULL;
    }
    const struct cfg_key *key = config_key(cfg, self.name);
    if (!key) {
        fail(err, errlen, "security.keys: no key named '%s' in %s", self.name, cfg->path);
        return NULL;
    }
    const char *dir = cfg->security.certs_dir;
    if (key_path(dir, key->name, ".key", pub, err, errlen) < 0 ||
        key_path(dir, key->name, ".key_secret", secret, err, errlen) < 0)
        return NULL;
    if (stat(secret, &st) != 0) {
        fail(err, errlen,
             "%s: cannot read the secret certificate of key '%s' (%s); create it with '%s' "
             "(or every missing key of the configuration with 'bangdaictl keys init')",
             secret, key->name, strerror(errno), security_new_key_command(key, cmd, sizeof cmd));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fail(err, errlen, "%s: not a regular file", secret);
        return NULL;
    }
    /* Like ssh with its private keys, but recovering: the key still works,
     * and the operator is told how to close the hole. */
    if (st.st_mode & 077)
        log_warn("security.key_mode", .detail = log_fmt("%s can be read by other users (mode %04o); "
                 "run chmod 600 on it", secret, (unsigned)(st.st_mode & 07777)));
    /* zcert_load() reads "<pub>_secret" first and falls back to the public
     * file, whose secret key then reads as zeros: checked below. */
    zcert_t *cert = zcert_load(pub);
    if (!cert || all_zero(zcert_secret_key(cert))) {
        zcert_destroy(&cert);
        fail(err, errlen, "%s: not a secret CURVE certificate (czmq zcert format); recreate it "
             "with '%s' after removing %s and %s", secret,
             security_new_key_command(key, cmd, sizeof cmd), pub, secret);
        return NULL;
    }
    if (key->public_key && strcmp(key->public_key, zcert_public_txt(cert)) != 0) {
        fail(err, errlen, "%s: its public key %s is not security.keys '%s' public_key %s", secret,
             zcert_public_txt(cert), key->name, key->public_key);
        zcert_destroy(&cert);
        return NULL;
    }
    self.cert = cert;
    return cert;
}

int security_public_key(const struct config *cfg, const struct cfg_key *key,
                        char out[SECURITY_KEY_TXT], char *err, size_t errlen)
{
    char path[PATH_BYTES], cmd[160];
    byte bin[KEY_BYTES];
    if (key->public_key) {
        snprintf(out, SECURITY_KEY_TXT, "%s", key->public_key);
        return 0;
    }
    if (key_path(cfg->security.certs_dir, key->name, ".key", path, err, errlen) < 0)
        return -1;
    if (access(path, R_OK) != 0)
        return fail(err, errlen,
                    "%s: cannot read the public certificate of key '%s' (%s); copy it from the "
                    "host that holds the key, write the key inline in security.keys (public_key), "
                    "or create the key with '%s' (every missing key: 'bangdaictl keys init')",
                    path, key->name, strerror(errno), security_new_key_command(key, cmd, sizeof cmd));
    zconfig_t *root = zconfig_load(path);
    const char *txt = root ? zconfig_get(root, "/curve/public-key", NULL) : NULL;
    int rc = 0;
    if (!txt || strlen(txt) != SECURITY_KEY_TXT - 1 || !zmq_z85_decode(bin, txt))
        rc = fail(err, errlen, "%s: no valid curve public-key (czmq zcert format)", path);
    else
        snprintf(out, SECURITY_KEY_TXT, "%s", txt);
    zconfig_destroy(&root);
    return rc;
}

int security_load_public_keys(struct config *cfg, char *err, size_t errlen)
{
    struct cfg_security *sec = &cfg->security;
    for (size_t i = 0; i < sec->n_keys; i++) {
        struct cfg_key *k = &sec->keys[i];
        char txt[SECURITY_KEY_TXT];
        if (k->public_key)
            continue;
        if (security_public_key(cfg, k, txt, err, errlen) < 0)
            return -1;
        if (!(k->public_key = strdup(txt)))
            return fail(err, errlen, "out of memory");
    }
    /* One public key, one role (the loader checks inline keys; files can
     * repeat a key too, when one was copied under two names). */
    for (size_t i = 0; i < sec->n_keys; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(sec->keys[i].public_key, sec->keys[j].public_key) == 0)
                return fail(err, errlen, "security.keys: keys '%s' and '%s' have the same public key",
                            sec->keys[j].name, sec->keys[i].name);
    return 0;
}

/* A store of exactly cfg's public keys (all read by now), for zauth;
 * NULL with err when one does not decode or memory runs out. */
static zcertstore_t *store_of(const struct config *cfg, char *err, size_t errlen)
{
    zcertstore_t *store = zcertstore_new(NULL);
    if (!store) {
        fail(err, errlen, "out of memory");
        return NULL;
    }
    static const byte no_secret[KEY_BYTES];
    for (size_t i = 0; i < cfg->security.n_keys; i++) {
        byte pub[KEY_BYTES];
        zcert_t *cert = NULL;
        if (!zmq_z85_decode(pub, cfg->security.keys[i].public_key)) {
            fail(err, errlen, "security.keys: key '%s': invalid public key", cfg->security.keys[i].name);
        } else if (!(cert = zcert_new_from(pub, no_secret))) {
            fail(err, errlen, "out of memory");
        }
        if (!cert) {
            zcertstore_destroy(&store);
            return NULL;
        }
        zcertstore_insert(store, &cert);
    }
    return store;
}

int security_start(struct config *cfg, char *err, size_t errlen)
{
    if (self.auth)
        return 0;
    if (!zsys_has_curve())
        return fail(err, errlen, "this libzmq has no CURVE support (built without libsodium)");
    if (!own_cert(cfg, err, errlen) || security_load_public_keys(cfg, err, errlen) < 0)
        return -1;
    /* The store holds exactly the configured public keys; zauth takes it
     * over and destroys it with itself. A store in memory, not a folder:
     * zauth would otherwise take whatever certificate lands in the folder. */
    zcertstore_t *store = store_of(cfg, err, errlen);
    if (!store)
        return -1;
    self.auth = zactor_new(zauth, store);
    if (!self.auth) {
        zcertstore_destroy(&store);
        return fail(err, errlen, "cannot start the ZAP authenticator (zauth)");
    }
    watch_zauth();
    log_info("security.started", .detail = log_fmt("key %s; zauth allows %zu CURVE keys, domain %s",
             self.name, cfg->security.n_keys, cfg->security.zap_domain));
    return 0;
}

int security_reload(const struct config *cfg, char *err, size_t errlen)
{
    if (!self.auth)
        return 0;
    /* zauth's store belongs to its thread, and czmq 4.2's zauth takes a
     * new one only as a folder ("CURVE" with a location), which would
     * let in whatever certificate lands there. So the actor is replaced:
     * the new store is built first, then the old zauth stops (unbinding
     * the ZAP handler) and the new one binds it. A handshake in the gap
     * between them fails (ZMQ_ZAP_ENFORCE_DOMAIN), and the client simply
     * tries again; connections already made are not touched (zauth sees
     * only handshakes). */
    zcertstore_t *store = store_of(cfg, err, errlen);
    if (!store)
        return -1;
    zactor_destroy(&self.auth);
    self.auth = zactor_new(zauth, store);
    if (!self.auth) {
        zcertstore_destroy(&store);
        return fail(err, errlen, "cannot start the ZAP authenticator (zauth) again");
    }
    if (self.zlog) {
        zstr_sendx(self.auth, "VERBOSE", NULL);
        zsock_wait(self.auth);
    }
    log_info("security.reloaded", .detail = log_fmt("zauth allows %zu CURVE keys", cfg->security.n_keys));
    return 0;
}

/* Makes czmq's log lines, zauth's included, come to self.zlog and zauth
 * say each verdict (VERBOSE): "zauth: ZAP request mechanism=CURVE
 * ipaddress=A", then "zauth: - denied (CURVE) client_key=K" from its own
 * thread, in that order. (czmq 4.2 publishes them on one PUB socket that
 * only zauth's thread writes to: this process logs nothing else through
 * zsys.) Without it refusals are still logged, only without the key. */
static void watch_zauth(void)
{
    zsys_set_logstream(NULL);
    zsys_set_logsender(ZSYS_LOG_ENDPOINT);
    self.zlog = zsock_new_sub(">" ZSYS_LOG_ENDPOINT, "");
    if (!self.zlog) {
        zsys_set_logsender(NULL);
        zsys_set_logstream(stdout);
        log_warn("security.zauth_unwatched", .detail = "refused connections will be logged without "
                 "the key they offered");
        return;
    }
    zstr_sendx(self.auth, "VERBOSE", NULL);
    zsock_wait(self.auth);
}

zsock_t *security_log_socket(void)
{
    return self.zlog;
}

/* One line of czmq's log ("I: 26-11-29 10:00:00 zauth: ..."). zauth's
 * verdicts are kept (a denial with the address that asked), its other
 * lines dropped; anything else czmq says is logged as czmq.log. */
static void zsys_line(const char *line)
{
    const char *z = strstr(line, "zauth: ");
    const char *p;
    if (!z) {
        log_info("czmq.log", .detail = line);
        return;
    }
    if ((p = strstr(z, "ipaddress=")))
        snprintf(self.asking, sizeof self.asking, "%s", p + strlen("ipaddress="));
    else if (strstr(z, "- denied") && (p = strstr(z, "client_key="))) {
        struct denial *d = &self.denied[self.n_denied++ % DENIALS_KEPT];
        snprintf(d->host, sizeof d->host, "%s", self.asking);
        snprintf(d->key, sizeof d->key, "%.40s", p + strlen("client_key="));
    }
}

void security_log_read(void)
{
    char line[1100];
    for (int n = 0; self.zlog && n < 1000; n++) {
        int len = zmq_recv(zsock_resolve(self.zlog), line, sizeof line - 1, ZMQ_DONTWAIT);
        if (len < 0)
            return;
        line[(size_t)len < sizeof line ? (size_t)len : sizeof line - 1] = 0;
        zsys_line(line);
    }
}

bool security_denied_key(const char *peer, char key[SECURITY_KEY_TXT])
{
    /* peer is "tcp://HOST:PORT" (or ipc://...); ZAP gives HOST alone. */
    char host[64] = "";
    const char *h = peer ? strstr(peer, "://") : NULL;
    if (h) {
        h += 3;
        const char *colon = strrchr(h, ':');
        size_t n = colon ? (size_t)(colon - h) : strlen(h);
        if (n >= sizeof host)
            n = sizeof host - 1;
        memcpy(host, h, n);
        host[n] = 0;
    }
    /* zauth logged its verdict before it answered libzmq, and libzmq
     * reports the failure only after the answer: the line is here. */
    security_log_read();
    unsigned oldest = self.n_denied > DENIALS_KEPT ? self.n_denied - DENIALS_KEPT : 0;
    for (unsigned i = self.n_denied; i > oldest; i--) {
        struct denial *d = &self.denied[(i - 1) % DENIALS_KEPT];
        if (d->key[0] && strcmp(d->host, host) == 0) {
            snprintf(key, SECURITY_KEY_TXT, "%s", d->key);
            d->key[0] = 0;      /* one refusal, one key */
            return true;
        }
    }
    return false;
}

bool security_started(void)
{
    return self.auth != NULL;
}

/* The socket options are set with zmq_setsockopt() rather than czmq's
 * zsock_set_*(), which assert when libzmq refuses an option. */
int security_server_socket(zsock_t *s, const struct config *cfg, char *err, size_t errlen)
{
    const char *domain = cfg->security.zap_domain;
    int one = 1;
    if (!self.auth || !self.cert)
        return fail(err, errlen, "the ZAP authenticator is not running (security_start() must "
                    "come before any bind)");
    void *h = zsock_resolve(s);
    if (zmq_setsockopt(h, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(h, ZMQ_CURVE_SECRETKEY, zcert_secret_key(self.cert), KEY_BYTES) != 0 ||
        zmq_setsockopt(h, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)
        return fail(err, errlen, "cannot make the socket a CURVE server: %s",
                    zmq_strerror(zmq_errno()));
    if (zmq_setsockopt(h, ZMQ_ZAP_ENFORCE_DOMAIN, &one, sizeof one) != 0 && !self.enforce_warned) {
        /* Safe without it while zauth runs: see the top of this file. */
        self.enforce_warned = true;
        log_warn("security.zap_enforce_unavailable",
                 .detail = log_fmt("this libzmq refuses ZMQ_ZAP_ENFORCE_DOMAIN (%s); CURVE still "
                                   "goes through zauth, which runs before any bind",
                                   zmq_strerror(zmq_errno())));
    }
    return 0;
}

int security_client_socket(zsock_t *s, const struct config *cfg, const char *server,
                           char *err, size_t errlen)
{
    char txt[SECURITY_KEY_TXT];
    byte server_key[KEY_BYTES];
    zcert_t *cert = own_cert(cfg, err, errlen);
    if (!cert)
        return -1;
    const struct cfg_key *sk = server ? config_key(cfg, server) : NULL;
    if (!sk)
        return fail(err, errlen, "security.keys: no key named '%s' (the daemon that binds the "
                    "endpoint) in %s", server ? server : "", cfg->path);
    if (security_public_key(cfg, sk, txt, err, errlen) < 0)
        return -1;
    if (!zmq_z85_decode(server_key, txt))
        return fail(err, errlen, "security.keys: key '%s': invalid public key", sk->name);
    void *h = zsock_resolve(s);
    if (zmq_setsockopt(h, ZMQ_CURVE_SERVERKEY, server_key, KEY_BYTES) != 0 ||
        zmq_setsockopt(h, ZMQ_CURVE_PUBLICKEY, zcert_public_key(cert), KEY_BYTES) != 0 ||
        zmq_setsockopt(h, ZMQ_CURVE_SECRETKEY, zcert_secret_key(cert), KEY_BYTES) != 0)
        return fail(err, errlen, "cannot make the socket a CURVE client: %s",
                    zmq_strerror(zmq_errno()));
    return 0;
}

const struct cfg_key *security_peer(const struct config *cfg, zframe_t *frame)
{
    const char *user = frame ? zframe_meta(frame, "User-Id") : NULL;
    return user ? config_key_by_public(cfg, user) : NULL;
}

/* mkdir -p with mode for the folders it creates. */
static int make_dirs(const char *path, mode_t mode)
{
    char buf[PATH_BYTES];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, mode) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, mode) != 0 && errno != EEXIST ? -1 : 0;
}

int security_new_key(const char *dir, const char *name, char pub_out[SECURITY_KEY_TXT],
                     char *err, size_t errlen)
{
    char pub[PATH_BYTES], secret[PATH_BYTES], tmp[PATH_BYTES], tmp_secret[PATH_BYTES];
    char tmp_name[96];
    struct stat st;
    if (!zsys_has_curve())
        return fail(err, errlen, "this libzmq has no CURVE support (built without libsodium)");
    snprintf(tmp_name, sizeof tmp_name, ".%s.tmp", name);
    if (key_path(dir, name, ".key", pub, err, errlen) < 0 ||
        key_path(dir, name, ".key_secret", secret, err, errlen) < 0 ||
        key_path(dir, tmp_name, ".key", tmp, err, errlen) < 0 ||
        key_path(dir, tmp_name, ".key_secret", tmp_secret, err, errlen) < 0)
        return -1;
    if (lstat(pub, &st) == 0 || lstat(secret, &st) == 0)
        return fail(err, errlen, "%s exists; a key is never overwritten (to replace it, remove %s "
                    "and %s first)", lstat(pub, &st) == 0 ? pub : secret, pub, secret);
    if (make_dirs(dir, 0750) != 0)
        return fail(err, errlen, "%s: cannot create the folder: %s", dir, strerror(errno));

    zcert_t *cert = zcert_new();
    if (!cert)
        return fail(err, errlen, "cannot make a CURVE keypair");
    zcert_set_meta(cert, "name", "%s", name);
    /* Written under temporary names, then renamed: the secret first, so
     * that NAME.key (what `keys init` looks for) appears only once both
     * are complete. The umask keeps the secret private from its first byte. */
    unlink(tmp);
    unlink(tmp_secret);
    mode_t old = umask(077);
    int rc = zcert_save(cert, tmp);
    umask(old);
    if (rc != 0 || chmod(tmp_secret, 0600) != 0 || chmod(tmp, 0644) != 0 ||
        rename(tmp_secret, secret) != 0 || rename(tmp, pub) != 0) {
        int e = errno;
        unlink(tmp);
        unlink(tmp_secret);
        unlink(secret);
        zcert_destroy(&cert);
        return fail(err, errlen, "%s: cannot write the keypair: %s", pub, strerror(e));
    }
    snprintf(pub_out, SECURITY_KEY_TXT, "%s", zcert_public_txt(cert));
    zcert_destroy(&cert);
    return 0;
}

void security_end(void)
{
    zactor_destroy(&self.auth);
    if (self.zlog) {
        zsys_set_logsender(NULL);
        zsys_set_logstream(stdout);
        zsock_destroy(&self.zlog);
    }
    self.n_denied = 0;
    zcert_destroy(&self.cert);
    self.name[0] = 0;
}
