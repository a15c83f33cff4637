/*
 * DHCPv6 internals shared by the client (ipv6/dhcp6.c) and the small server
 * (apps/dhcp6_server.c): the switch for the UDP transport glue, and the
 * entry points the glue feeds received messages into.
 */
#ifndef SHOAL_DHCP6_PRIV_H
#define SHOAL_DHCP6_PRIV_H

#include "shoal/dhcp6.h"
#include "shoal/dhcp6_server.h"

/* A message that arrived on netif for the client (payload of a UDP datagram to port 546). */
void dhcp6_client_input(struct netif *netif, const uint8_t *msg, size_t len);

/* netif is going away: stop the servers that run on it (netif_remove() must
 * call this, as it calls dhcp6_stop() for the client). */
void dhcp6_server_netif_removed(struct netif *netif);

#endif
