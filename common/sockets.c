/* sockets.c - socket construction with bangdai's settings; see sockets.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "security.h"
#include "sockets.h"

#ifndef ZMQ_ZERO_COPY_RECV
#define ZMQ_ZERO_COPY_RECV 10       /* zmq.h declares it only for draft builds */
#endif

#define LINGER_MS 1000

void sockets_init(void)
{
    /* The skeleton handles SIGINT and SIGTERM itself; czmq must not. */
    zsys_handler_set(NULL);
    void *ctx = zsys_init();
    /* A received message is copied out of the buffer it was read into.
     * By default (zero copy) a message of more than 33 bytes points into
     * that buffer, an 18 kB block per read (ZMQ_IN_BATCH_SIZE 8 kB and
     * its counters), which stays allocated while any message read into it
     * is queued: messages that arrive one at a time, such as the hall's
     * submits, each held a block of their own, and intake's peak under
     * load (massif: 321 blocks, 5.8 MB, the io thread's largest
     * allocation) came from it. Copying costs a memcpy of the message.
     * Without the option (a libzmq that refuses it) only memory is lost. */
    if (ctx && zmq_ctx_set(ctx, ZMQ_ZERO_COPY_RECV, 0) != 0)
        log_warn("sockets.zero_copy", .detail = log_fmt("libzmq keeps zero-copy receive: %s",
                                                         zmq_strerror(zmq_errno())));
}

/* The endpoints: name in the config, address, and the daemon that binds it
 * (whose key its clients expect). Adding an endpoint: a row here, one more
 * in N_ENDPOINTS. */
struct endpoint_row {
    const char *name;
    const char *value;
    const char *owner;
};
enum { N_ENDPOINTS = 7 };

static void endpoint_table(const struct config *cfg, struct endpoint_row t[N_ENDPOINTS])
{
    const struct cfg_endpoints *e = &cfg->endpoints;
    t[0] = (struct endpoint_row){ "intake", e->intake, "intake" };
    t[1] = (struct endpoint_row){ "router", e->router, "router" };
    t[2] = (struct endpoint_row){ "router_dept", e->router_dept, "router" };
    t[3] = (struct endpoint_row){ "tracker", e->tracker, "tracker" };
    t[4] = (struct endpoint_row){ "delivery", e->delivery, "delivery" };
    t[5] = (struct endpoint_row){ "evaluation", e->evaluation, "evaluation" };
    t[6] = (struct endpoint_row){ "feed", e->feed, "intake" };
}

const char *sockets_endpoint(const struct config *cfg, const char *name)
{
    struct endpoint_row t[N_ENDPOINTS];
    endpoint_table(cfg, t);
    for (size_t i = 0; i < N_ENDPOINTS; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].value;
    return NULL;
}

const char *sockets_endpoint_owner(const struct config *cfg, const char *endpoint)
{
    struct endpoint_row t[N_ENDPOINTS];
    endpoint_table(cfg, t);
    for (size_t i = 0; endpoint && i < N_ENDPOINTS; i++)
        if (t[i].value && strcmp(t[i].value, endpoint) == 0)
            return t[i].owner;
    return NULL;
}

static void common_options(zsock_t *s, const struct config *cfg)
{
    zsock_set_linger(s, LINGER_MS);
    zsock_set_maxmsgsize(s, cfg->link.max_frame_bytes);
    zsock_set_heartbeat_ivl(s, cfg->link.heartbeat_ms);
    zsock_set_heartbeat_timeout(s, cfg->link.heartbeat_ms * 3);
    /* A link has at most `link.window` messages in flight, so its queues
     * never need more; a queue that held more would only hold memory (an
     * overloaded daemon's inbound queues grew to tens of MB at 10 000). A
     * full queue makes a send fail, and the relay waits its turn. */
    zsock_set_sndhwm(s, cfg->link.window);
    zsock_set_rcvhwm(s, cfg->link.window);
}

zsock_t *sockets_bind_router(const struct config *cfg, const char *endpoint)
{
    char err[1024];
    zsock_t *s = zsock_new(ZMQ_ROUTER);
    if (!s)
        return NULL;
    common_options(s, cfg);
    if (security_server_socket(s, cfg, err, sizeof err) != 0) {
        log_error("security.unusable", .detail = log_fmt("%s: %s", endpoint, err));
        zsock_destroy(&s);
        errno = EACCES;
        return NULL;
    }
    /* A frame over the limit but within SOCKETS_FRAME_SLACK times it is
     * read, so that the service refuses it with an answer and a log line;
     * only a larger one cuts the connection unannounced. */
    int64_t slack = (int64_t)cfg->link.max_frame_bytes * SOCKETS_FRAME_SLACK;
    zsock_set_maxmsgsize(s, (int)(slack < SOCKETS_FRAME_HARD_MAX ? slack : SOCKETS_FRAME_HARD_MAX));
    zsock_set_router_mandatory(s, 1);
    /* A department agent that reconnects under the same id takes its place. */
    zsock_set_router_handover(s, 1);
    if (zsock_bind(s, "%s", endpoint) < 0) {
        int e = zmq_errno();
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    return s;
}

zsock_t *sockets_bind_pub(const struct config *cfg, const char *endpoint)
{
    char err[1024];
    zsock_t *s = zsock_new(ZMQ_PUB);
    if (!s)
        return NULL;
    zsock_set_linger(s, 0);
    zsock_set_maxmsgsize(s, cfg->link.max_frame_bytes);
    zsock_set_heartbeat_ivl(s, cfg->link.heartbeat_ms);
    zsock_set_heartbeat_timeout(s, cfg->link.heartbeat_ms * 3);
    /* A PUB drops what a subscriber's full queue cannot take and never
     * blocks the sender: a slow or stuck watcher costs intake nothing but
     * this much memory per subscriber. Its gap shows in the events' seq. */
    zsock_set_sndhwm(s, SOCKETS_FEED_HWM);
    if (security_server_socket(s, cfg, err, sizeof err) != 0) {
        log_error("security.unusable", .detail = log_fmt("%s: %s", endpoint, err));
        zsock_destroy(&s);
        errno = EACCES;
        return NULL;
    }
    if (zsock_bind(s, "%s", endpoint) < 0) {
        int e = zmq_errno();
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    return s;
}

zsock_t *sockets_connect_sub(const struct config *cfg, const char *endpoint, const char *topic,
                             int events, zsock_t **monitor)
{
    char err[1024];
    *monitor = NULL;
    const char *owner = sockets_endpoint_owner(cfg, endpoint);
    if (!owner) {
        log_error("security.unusable",
                  .detail = log_fmt("%s is none of the configuration's endpoints, so its server "
                                    "key is unknown", endpoint));
        errno = EINVAL;
        return NULL;
    }
    zsock_t *s = zsock_new(ZMQ_SUB);
    if (!s)
        return NULL;
    zsock_set_linger(s, 0);
    zsock_set_maxmsgsize(s, cfg->link.max_frame_bytes);
    zsock_set_heartbeat_ivl(s, cfg->link.heartbeat_ms);
    zsock_set_heartbeat_timeout(s, cfg->link.heartbeat_ms * 3);
    zsock_set_rcvhwm(s, SOCKETS_FEED_HWM);
    zsock_set_reconnect_ivl(s, 100);
    zsock_set_reconnect_ivl_max(s, 1000);
    if (security_client_socket(s, cfg, owner, err, sizeof err) != 0) {
        log_error("security.unusable", .detail = err);
        zsock_destroy(&s);
        errno = EACCES;
        return NULL;
    }
    /* A topic is a prefix: the frame after it must be the case number
     * exactly, which the subscriber checks (BD-...-00001 is a prefix of
     * BD-...-000010 only if numbers grew a digit). */
    zsock_set_subscribe(s, topic);
    if (events && !(*monitor = sockets_monitor(s, events))) {
        int e = zmq_errno();
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    if (zsock_connect(s, "%s", endpoint) < 0) {
        int e = zmq_errno();
        sockets_monitor_stop(s, monitor);
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    return s;
}

zsock_t *sockets_monitor(zsock_t *s, int events)
{
    char endpoint[64];
    /* One inproc endpoint per watched socket; czmq's sockets share one
     * context, so the PAIR below reaches it. */
    snprintf(endpoint, sizeof endpoint, "inproc://bangdai-monitor-%p", (void *)s);
    if (zmq_socket_monitor(zsock_resolve(s), endpoint, events) != 0)
        return NULL;
    zsock_t *m = zsock_new(ZMQ_PAIR);
    if (!m || zsock_connect(m, "%s", endpoint) < 0) {
        int e = zmq_errno();
        zsock_destroy(&m);
        (void)zmq_socket_monitor(zsock_resolve(s), NULL, 0);
        errno = e;
        return NULL;
    }
    return m;
}

int sockets_monitor_event(zsock_t *monitor)
{
    return sockets_monitor_event_value(monitor, NULL, NULL, 0);
}

int sockets_monitor_event_value(zsock_t *monitor, uint32_t *value, char *addr, size_t addrlen)
{
    if (addr && addrlen)
        addr[0] = 0;
    /* libzmq 4.x sends two frames per event: 2 bytes of event number and 4
     * of value, then the endpoint's address. */
    zmq_msg_t m;
    uint16_t event = 0;
    int rc = 0;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, zsock_resolve(monitor), ZMQ_DONTWAIT) < 0) {
        rc = zmq_errno() == EAGAIN ? 0 : -1;
    } else if (zmq_msg_size(&m) < sizeof event) {
        rc = -1;
    } else {
        memcpy(&event, zmq_msg_data(&m), sizeof event);
        if (value && zmq_msg_size(&m) >= sizeof event + sizeof *value)
            memcpy(value, (const char *)zmq_msg_data(&m) + sizeof event, sizeof *value);
        rc = event;
    }
    /* The rest of the event is the address (for a bound socket's
     * connection, the peer's); read it all, so the next read starts at the
     * next event. */
    while (zmq_msg_more(&m)) {
        zmq_msg_close(&m);
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zsock_resolve(monitor), 0) < 0)
            break;
        if (addr && addrlen && !addr[0])
            snprintf(addr, addrlen, "%.*s", (int)zmq_msg_size(&m), (const char *)zmq_msg_data(&m));
    }
    zmq_msg_close(&m);
    return rc;
}

void sockets_monitor_stop(zsock_t *s, zsock_t **monitor)
{
    if (!*monitor)
        return;
    if (s)
        (void)zmq_socket_monitor(zsock_resolve(s), NULL, 0);
    zsock_destroy(monitor);
}

/* sockets_connect_dealer, and when monitor is not NULL the watch of
 * sockets_connect_watched, set up before the connect. */
static zsock_t *connect_dealer(const struct config *cfg, const char *endpoint, const char *identity,
                               int events, zsock_t **monitor)
{
    char err[1024];
    const char *owner = sockets_endpoint_owner(cfg, endpoint);
    if (!owner) {
        log_error("security.unusable",
                  .detail = log_fmt("%s is none of the configuration's endpoints, so its server "
                                    "key is unknown", endpoint));
        errno = EINVAL;
        return NULL;
    }
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s)
        return NULL;
    common_options(s, cfg);
    if (security_client_socket(s, cfg, owner, err, sizeof err) != 0) {
        log_error("security.unusable", .detail = err);
        zsock_destroy(&s);
        errno = EACCES;
        return NULL;
    }
    zsock_set_immediate(s, 1);
    /* Reconnect attempts back off from 100 ms to at most 500 ms: a consumer
     * that comes back is found within half a second, which bounds how long
     * its backlog waits after it is reachable again (the link's resends
     * start on the handshake). An attempt on a dead port is one refused
     * TCP connect, cheap enough twice a second. */
    zsock_set_reconnect_ivl(s, 100);
    zsock_set_reconnect_ivl_max(s, 500);
    if (identity)
        zsock_set_identity(s, identity);
    /* The watch starts before the connect: an event of the first connection
     * that came before it would be lost. */
    if (monitor && !(*monitor = sockets_monitor(s, events))) {
        int e = zmq_errno();
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    if (zsock_connect(s, "%s", endpoint) < 0) {
        int e = zmq_errno();
        if (monitor)
            sockets_monitor_stop(s, monitor);
        zsock_destroy(&s);
        errno = e;
        return NULL;
    }
    return s;
}

zsock_t *sockets_connect_dealer(const struct config *cfg, const char *endpoint,
                                const char *identity)
{
    return connect_dealer(cfg, endpoint, identity, 0, NULL);
}

zsock_t *sockets_connect_watched(const struct config *cfg, const char *endpoint,
                                 const char *identity, int events, zsock_t **monitor)
{
    *monitor = NULL;
    return connect_dealer(cfg, endpoint, identity, events, monitor);
}
