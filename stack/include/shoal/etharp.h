/*
 * ARP (RFC 826) for IPv4 over Ethernet: a bounded cache with timeouts,
 * request retries, a bounded queue of packets waiting on resolution, and
 * gratuitous ARP when an address is set.
 */
#ifndef SHOAL_ETHARP_H
#define SHOAL_ETHARP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/ethernet.h"

struct netif;
struct pbuf;
struct stack;

#define ARP_HDR_LEN 28u
#define ARP_OP_REQUEST 1u
#define ARP_OP_REPLY 2u

/* Validated view of an ARP packet for IPv4 over Ethernet. */
struct arp_repr {
    uint16_t op;
    struct eth_addr sha;
    ip4_addr_t spa;
    struct eth_addr tha;
    ip4_addr_t tpa;
};

/* ERR_BUF: shorter than 28 bytes; ERR_VAL: not Ethernet/IPv4 or unknown op. */
err_t arp_parse(const uint8_t *p, size_t len, struct arp_repr *out);
void arp_emit(const struct arp_repr *r, uint8_t *p);

/* An ARP packet (the Ethernet header already removed). Takes p. */
void etharp_input(struct pbuf *p, struct netif *netif);

/* Send an IPv4 packet to next hop `nexthop` on an Ethernet netif, resolving
 * it first if needed (the packet then waits in the bounded queue). p stays
 * the caller's. */
err_t etharp_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *nexthop);

/* Send an ARP request for `ip` (a gratuitous one when ip is our own address). */
err_t etharp_request(struct netif *netif, const ip4_addr_t *ip);

/* Look up a resolved entry; true and the address in *mac when found. */
bool etharp_find(struct stack *s, struct netif *netif, const ip4_addr_t *ip, struct eth_addr *mac);

/* Add or refresh a permanent entry (never expires). */
err_t etharp_add_static(struct netif *netif, const ip4_addr_t *ip, const struct eth_addr *mac);

/* Forget every entry of a netif (when it goes down or changes address). */
void etharp_flush_netif(struct netif *netif);

#endif
