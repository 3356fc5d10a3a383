/* sockets.c - socket construction with bangdai's settings; see sockets.h. */
#include <string.h>
#include <zmq.h>

#include "sockets.h"

#define LINGER_MS 1000

void sockets_init(void)
{
    /* The skeleton handles SIGINT and SIGTERM itself; czmq must not. */
    zsys_handler_set(NULL);
    zsys_init();
}

const char *sockets_endpoint(const struct config *cfg, const char *name)
{
    const struct cfg_endpoints *e = &cfg->endpoints;
    const struct { const char *name; const char *value; } table[] = {
        { "intake", e->intake }, { "router", e->router }, { "router_dept", e->router_dept },
        { "tracker", e->tracker }, { "delivery", e->delivery }, { "evaluation", e->evaluation },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].value;
    return NULL;
}

static void common_options(zsock_t *s, const struct config *cfg)
{
    zsock_set_linger(s, LINGER_MS);
    zsock_set_maxmsgsize(s, cfg->link.max_frame_bytes);
    zsock_set_heartbeat_ivl(s, cfg->link.heartbeat_ms);
    zsock_set_heartbeat_timeout(s, cfg->link.heartbeat_ms * 3);
    zsock_set_sndhwm(s, 10000);
    zsock_set_rcvhwm(s, 10000);
}

zsock_t *sockets_bind_router(const struct config *cfg, const char *endpoint)
{
    zsock_t *s = zsock_new(ZMQ_ROUTER);
    if (!s)
        return NULL;
    common_options(s, cfg);
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

zsock_t *sockets_connect_dealer(const struct config *cfg, const char *endpoint,
                                const char *identity)
{
    zsock_t *s = zsock_new(ZMQ_DEALER);
    if (!s)
        return NULL;
    common_options(s, cfg);
    zsock_set_immediate(s, 1);
    zsock_set_reconnect_ivl(s, 100);
    zsock_set_reconnect_ivl_max(s, 5000);
    if (identity)
        zsock_set_identity(s, identity);
    if (zsock_connect(s, "%s", endpoint) < 0) {
        zsock_destroy(&s);
        return NULL;
    }
    return s;
}
