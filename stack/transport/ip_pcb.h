/*
 * Address rules shared by the UDP, TCP and raw PCBs of both families, and
 * the IPv6 output path they share. A PCB's family is its local address's
 * type: V4 hears IPv4 only, V6 IPv6 only (IPV6_V6ONLY), ANY both (a
 * dual-stack PCB bound to the wildcard).
 */
#ifndef SHOAL_IP_PCB_H
#define SHOAL_IP_PCB_H

#include "shoal/ip_addr.h"
#include "shoal/err.h"
#include "shoal/opt.h"

struct stack;
struct netif;
struct pbuf;

/* An IPv6 address, in a build with IPv6 (SHOAL_IPV6 0 folds the IPv6
 * paths of the transports away). */
static inline bool ip_pcb_is_v6(const ip_addr_t *a) { return SHOAL_IPV6 && a->type == IPADDR_TYPE_V6; }

/* ip_addr_eq / ip_addr_is_any, with the IPv6 half folded away in an
 * IPv4-only build. */
static inline bool ip_pcb_addr_eq(const ip_addr_t *a, const ip_addr_t *b)
{
    if (!SHOAL_IPV6) return a->type == b->type && a->u_addr.ip4.addr == b->u_addr.ip4.addr;
    return ip_addr_eq(a, b);
}
static inline bool ip_pcb_is_any(const ip_addr_t *a)
{
    if (!SHOAL_IPV6) return a == NULL || a->type == IPADDR_TYPE_ANY || a->u_addr.ip4.addr == 0;
    return ip_addr_is_any(a);
}

/* A PCB with this local address takes packets of this family. */
static inline bool ip_pcb_family_ok(const ip_addr_t *local, bool v6)
{
    return local->type == IPADDR_TYPE_ANY || local->type == (v6 ? IPADDR_TYPE_V6 : IPADDR_TYPE_V4);
}

/* The PCB's local address accepts a packet to dst (same family assumed
 * checked): the wildcard, or the same address. */
static inline bool ip_pcb_local_eq(const ip_addr_t *local, const ip_addr_t *dst)
{
    return ip_pcb_is_any(local) || ip_pcb_addr_eq(local, dst);
}

/* Two bound local addresses claim the same port: their families meet, and
 * one is the wildcard or both are the same address. A V6 wildcard and a V4
 * wildcard do not meet (the V6 one is V6ONLY); ANY meets both. */
static inline bool ip_pcb_addrs_overlap(const ip_addr_t *a, const ip_addr_t *b)
{
    bool a4 = a->type != IPADDR_TYPE_V6, a6 = a->type != IPADDR_TYPE_V4;
    bool b4 = b->type != IPADDR_TYPE_V6, b6 = b->type != IPADDR_TYPE_V4;
    if (!((a4 && b4) || (a6 && b6))) return false;
    return ip_pcb_is_any(a) || ip_pcb_is_any(b) || ip_pcb_addr_eq(a, b);
}

/* The address a bind stores: NULL keeps the PCB's family as a wildcard;
 * otherwise the given address and its type (as lwIP). */
static inline ip_addr_t ip_pcb_bind_addr(const ip_addr_t *cur, const ip_addr_t *ip)
{
    if (ip == NULL) return ip_addr_any((enum ip_addr_type)cur->type);
    return *ip;
}

/* The PCB may send to dst: a concrete family its own family admits. */
static inline bool ip_pcb_dst_ok(const ip_addr_t *local, const ip_addr_t *dst)
{
    if (dst->type == IPADDR_TYPE_ANY || (!SHOAL_IPV6 && dst->type == IPADDR_TYPE_V6)) return false;
    return ip_pcb_family_ok(local, dst->type == IPADDR_TYPE_V6);
}

/* Where an IPv6 datagram from a PCB goes. */
struct ip_pcb_route6 {
    struct netif *netif;
    ip6_addr_t nexthop;
    ip6_addr_t src;
};
/* Multicast leaves by mcast_netif_idx, else netif_idx, else dst's zone,
 * else the first netif up; unicast by the bound netif or the routing table.
 * The source is the PCB's local address, or RFC 6724's choice when that is
 * the wildcard. ERR_RTE when there is no way or no source. */
err_t ip_pcb_route6(struct stack *s, const ip_addr_t *local, const ip6_addr_t *dst, uint8_t netif_idx,
                    uint8_t mcast_netif_idx, struct ip_pcb_route6 *out);

/* Hop limit for a PCB's ttl field: 0 leaves it to the netif (RA's CurHopLimit). */
err_t ip_pcb_output6(const struct ip_pcb_route6 *rt, struct pbuf *p, const ip6_addr_t *dst, uint8_t hop_limit,
                     uint8_t tclass, uint8_t proto);

#endif
