/* sockets.h - ZeroMQ sockets with the settings that keep the link reliable
 * (DESIGN.md): ROUTER_MANDATORY on routers so that nothing is silently
 * dropped, IMMEDIATE on connecting sockets so that nothing queues for a peer
 * that is not there, a bounded LINGER, ZMTP heartbeats, a frame size limit
 * (ZMQ_MAXMSGSIZE), and high-water marks that block rather than drop.
 *
 * Every socket is CURVE (security.h): a bound ROUTER is a CURVE server with
 * the process's key and the ZAP domain, behind zauth; a connecting DEALER
 * authenticates with the process's key and accepts only the key of the
 * daemon that binds its endpoint.
 */
#ifndef BANGDAI_SOCKETS_H
#define BANGDAI_SOCKETS_H

#include <stdint.h>
#include <czmq.h>

#include "config.h"

/* Prepares czmq for a program that handles its own signals. Call once,
 * before any socket. */
void sockets_init(void);

/* The endpoint named `name` in the config ("intake", "router",
 * "router_dept", "tracker", "delivery", "evaluation", "feed"); NULL when
 * unknown or not configured (feed is optional). */
const char *sockets_endpoint(const struct config *cfg, const char *name);

/* The daemon whose socket binds the endpoint address (one of the config's
 * endpoints): "router" for endpoints.router and endpoints.router_dept,
 * "intake" for endpoints.feed, else the endpoint's own name. Its key (security.keys) is the server key its
 * clients expect. NULL for an address that is none of the endpoints. */
const char *sockets_endpoint_owner(const struct config *cfg, const char *endpoint);

/* A bound ROUTER reads frames up to this many times link.max_frame_bytes
 * (at most SOCKETS_FRAME_HARD_MAX bytes), so that one over the limit is
 * refused with an Error (too_large) and logged rather than dropped. */
#define SOCKETS_FRAME_SLACK 4
#define SOCKETS_FRAME_HARD_MAX (1 << 30)

/* A ROUTER bound at endpoint, a CURVE server (security_server_socket; so
 * security_start() must have run). Returns the socket (caller owns,
 * zsock_destroy) or NULL with zmq_errno() set; a security failure is
 * logged (security.unusable) and leaves EACCES. */
zsock_t *sockets_bind_router(const struct config *cfg, const char *endpoint);

/* A DEALER connected to endpoint, with routing id `identity` when not NULL,
 * a CURVE client of the daemon that binds endpoint (sockets_endpoint_owner)
 * using the process's key (security_use_key). Returns the socket (caller
 * owns) or NULL; a security failure (no key chosen, a certificate missing:
 * the log line names the file and the command that creates it) is logged
 * as security.unusable. */
zsock_t *sockets_connect_dealer(const struct config *cfg, const char *endpoint,
                                const char *identity);

/* sockets_connect_dealer, with the socket's connection events (`events`,
 * as for sockets_monitor) watched from before the connect, so that none is
 * missed: *monitor receives the watching socket (caller owns; stop it with
 * sockets_monitor_stop before destroying the DEALER). Returns the DEALER
 * (caller owns) or NULL, and then *monitor is NULL. */
zsock_t *sockets_connect_watched(const struct config *cfg, const char *endpoint,
                                 const char *identity, int events, zsock_t **monitor);

/* Messages a progress-feed socket queues per subscriber before a PUB
 * drops (and a SUB stops reading): the feed never blocks its publisher. */
#define SOCKETS_FEED_HWM 10000

/* A PUB bound at endpoint (the progress feed), a CURVE server behind zauth
 * like every bound socket (so security_start() must have run): any
 * configured key may subscribe, since a PUB cannot tell its subscribers
 * apart per message. High-water mark SOCKETS_FEED_HWM, then it drops.
 * Returns the socket (caller owns) or NULL with zmq_errno() set. */
zsock_t *sockets_bind_pub(const struct config *cfg, const char *endpoint);

/* A SUB connected to endpoint (a CURVE client of the daemon that binds it,
 * with the process's key), subscribed to topic; with events not 0 its
 * connection events are watched from before the connect into *monitor
 * (caller owns; sockets_monitor_stop). Returns the SUB (caller owns) or
 * NULL, and then *monitor is NULL. */
zsock_t *sockets_connect_sub(const struct config *cfg, const char *endpoint, const char *topic,
                             int events, zsock_t **monitor);

/* Watches the connection events of s: `events` is an OR of ZMQ_EVENT_*
 * bits (for instance ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED).
 * Returns a PAIR socket (caller owns; stop with sockets_monitor_stop) that
 * becomes readable when one happens, or NULL with zmq_errno() set. Events
 * that came before the call are not reported. */
zsock_t *sockets_monitor(zsock_t *s, int events);

/* Reads one pending event from a socket made by sockets_monitor, without
 * waiting. Returns the ZMQ_EVENT_* value, 0 when none is pending, -1 when the
 * event could not be read. */
int sockets_monitor_event(zsock_t *monitor);

/* sockets_monitor_event, and the event's value into *value (when not NULL):
 * a file descriptor, an errno or a ZAP status code, by event; and its
 * address into addr (when not NULL): for a connection to a bound socket,
 * the peer's, e.g. "tcp://10.1.2.3:50122". */
int sockets_monitor_event_value(zsock_t *monitor, uint32_t *value, char *addr, size_t addrlen);

/* Stops watching s and destroys *monitor (nulled); s stays usable.
 * Harmless when *monitor is NULL. */
void sockets_monitor_stop(zsock_t *s, zsock_t **monitor);

#endif
