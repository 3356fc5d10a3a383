/* sockets.h - ZeroMQ sockets with the settings that keep the link reliable
 * (DESIGN.md): ROUTER_MANDATORY on routers so that nothing is silently
 * dropped, IMMEDIATE on connecting sockets so that nothing queues for a peer
 * that is not there, a bounded LINGER, ZMTP heartbeats, a frame size limit
 * (ZMQ_MAXMSGSIZE), and high-water marks that block rather than drop.
 */
#ifndef BANGDAI_SOCKETS_H
#define BANGDAI_SOCKETS_H

#include <czmq.h>

#include "config.h"

/* Prepares czmq for a program that handles its own signals. Call once,
 * before any socket. */
void sockets_init(void);

/* The endpoint named `name` in the config ("intake", "router",
 * "router_dept", "tracker", "delivery", "evaluation"); NULL when unknown. */
const char *sockets_endpoint(const struct config *cfg, const char *name);

/* A ROUTER bound at endpoint. Returns the socket (caller owns,
 * zsock_destroy) or NULL with zmq_errno() set. */
zsock_t *sockets_bind_router(const struct config *cfg, const char *endpoint);

/* A DEALER connected to endpoint, with routing id `identity` when not NULL.
 * Returns the socket (caller owns) or NULL. */
zsock_t *sockets_connect_dealer(const struct config *cfg, const char *endpoint,
                                const char *identity);

#endif
