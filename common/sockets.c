/* sockets.c - socket construction with bangdai's settings; see sockets.h. */
#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "log.h"
#include "security.h"
#include "sockets.h"

#define LINGER_MS 1000

void sockets_init(void)
{
    /* The skeleton handles SIGINT and SIGTERM itself; czmq must not. */
    zsys_handler_set(NULL);
    zsys_init();
}

/* The endpoints: name in the config, address, and the daemon that binds it
 * (whose key its clients expect). Adding an endpoint: a row here, one more
 * in N_ENDPOINTS. */
struct endpoint_row {
    const char *name;
    const char *value;
    const char *owner;
};
enum { N_ENDPOINTS = 6 };

static void endpoint_table(const struct config *cfg, struct endpoint_row t[N_ENDPOINTS])
{
    const struct cfg_endpoints *e = &cfg->endpoints;
    t[0] = (struct endpoint_row){ "intake", e->intake, "intake" };
    t[1] = (struct endpoint_row){ "router", e->router, "router" };
    t[2] = (struct endpoint_row){ "router_dept", e->router_dept, "router" };
    t[3] = (struct endpoint_row){ "tracker", e->tracker, "tracker" };
    t[4] = (struct endpoint_row){ "delivery", e->delivery, "delivery" };
    t[5] = (struct endpoint_row){ "evaluation", e->evaluation, "evaluation" };
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
    zsock_set_sndhwm(s, 10000);
    zsock_set_rcvhwm(s, 10000);
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
