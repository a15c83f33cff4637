/* A small stateless DHCPv6 server for simulations (RFC 8415 18.3.6): answers
 * Information-request (and Solicit, with NoAddrsAvail) with DNS servers and a
 * search domain. State is caller-owned. */
#ifndef SHOAL_DHCP6_SERVER_H
#define SHOAL_DHCP6_SERVER_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"

struct netif;
struct udp_pcb;

#define DHCP6_SERVER_MAX_DNS 3u

struct dhcp6_server {
    struct netif *netif;
    struct udp_pcb *pcb;
    ip6_addr_t dns[DHCP6_SERVER_MAX_DNS];
    uint8_t dns_count;
    char domain[64];
    uint32_t replies;           /* Replies sent */
};

/* Listen on netif (joins ff02::1:2). */
err_t dhcp6_server_start(struct netif *netif, struct dhcp6_server *srv);
void dhcp6_server_stop(struct dhcp6_server *srv);

#endif
