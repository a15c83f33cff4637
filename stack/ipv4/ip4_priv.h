#ifndef SHOAL_IP4_PRIV_H
#define SHOAL_IP4_PRIV_H

#include "shoal/ip4.h"

/* Send with an explicit next hop (route already looked up). */
err_t ip4_output_nexthop(struct netif *netif, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst,
                         const ip4_addr_t *nexthop, uint8_t ttl, uint8_t tos, uint8_t proto);

/* A datagram for another host on a router (RFC 1812 5.2, 5.3). Takes p,
 * whose payload is the IP header. */
struct ip4_rx_info;
void ip4_forward(struct pbuf *p, const struct ip4_rx_info *info);

/* Send with IP options (already padded to a multiple of 4, at most 40 bytes). */
err_t ip4_output_opts(struct netif *netif, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst,
                      const ip4_addr_t *nexthop, uint8_t ttl, uint8_t tos, uint8_t proto, const uint8_t *opts,
                      size_t opts_len);

/* A finished IP packet to its next hop: ARP-resolved on Ethernet, straight
 * to the driver on point-to-point links. p stays the caller's. */
err_t ip4_link_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *nexthop);

/* Remove static routes through a netif that goes away. */
void ip4_routes_forget_netif(struct stack *s, const struct netif *netif);

#endif
