/*
 * Neighbor Discovery internals (RFC 4861) and SLAAC (RFC 4862). Owner:
 * nd6.c (neighbor cache, NUD), nd6_router.c (router list, prefixes, RA
 * processing and router mode), nd6_slaac.c (addresses, DAD, lifetimes).
 */
#ifndef SHOAL_ND6_PRIV_H
#define SHOAL_ND6_PRIV_H

#include "shoal/ip6.h"
#include "shoal/ethernet.h"
#include "shoal/timer.h"

struct pbuf;
struct netif;
struct ip6_rx_info;

/* RFC 4861 7.3.2 */
enum nd6_state { ND6_EMPTY = 0, ND6_INCOMPLETE, ND6_REACHABLE, ND6_STALE, ND6_DELAY, ND6_PROBE };

struct nd6_qnode {            /* a packet waiting for resolution (POOL_ND6_QUEUE) */
    struct nd6_qnode *next;
    struct pbuf *p;
};

struct nd6_neighbor {
    ip6_addr_t ip;
    struct eth_addr mac;
    uint8_t netif_idx;
    uint8_t state;            /* enum nd6_state */
    uint8_t probes;           /* solicitations sent in INCOMPLETE / PROBE */
    bool is_router;
    uint64_t deadline_ns;     /* next event for this state */
    struct nd6_qnode *queue;
};

struct nd6_router {
    ip6_addr_t ip;            /* link-local */
    uint8_t netif_idx;
    bool used;
    uint64_t expires_ns;      /* router lifetime */
};

struct nd6_prefix {
    ip6_addr_t prefix;
    uint8_t prefix_len;
    uint8_t netif_idx;
    bool used;
    uint64_t expires_ns;      /* on-link valid lifetime; SHOAL_TIME_NEVER = infinite */
};

struct nd6_dest {             /* redirects (RFC 4861 8.3) */
    ip6_addr_t dst;
    ip6_addr_t nexthop;
    uint8_t netif_idx;
    bool used;
    uint64_t used_ns;
};

struct nd6_state_all {
    struct stack_timer timer;
    uint64_t iid_key[2];      /* RFC 7217 secret, from the instance's RNG */
    uint8_t router_rr;        /* round robin among unreachable routers (RFC 4861 6.3.6) */
};

/* ICMPv6 types 133..137 from icmp6.c. Takes p (payload at the ICMPv6 header). */
void nd6_input(struct pbuf *p, const struct ip6_rx_info *info);

/* Unicast p (payload at the IPv6 header) to nexthop on an Ethernet netif:
 * send now when the neighbor is known, else queue and solicit. p stays the
 * caller's (queued packets are copied or referenced). */
err_t nd6_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop);

/* Routing help for ip6_route(): is dst on-link by the prefix list (netif and
 * prefix length out)? Which default router (RFC 4861 6.3.6)? A redirect for dst? */
bool nd6_on_link(struct stack *s, const ip6_addr_t *dst, struct netif **netif, uint8_t *prefix_len);
bool nd6_default_router(struct stack *s, struct netif **netif, ip6_addr_t *router);
bool nd6_redirected(struct stack *s, const ip6_addr_t *dst, struct netif **netif, ip6_addr_t *nexthop);

/* A router forwarded a packet back out of the netif it came in on: tell
 * the source of a better first hop (RFC 4861 8.2). orig: payload at the IPv6 header. */
void nd6_send_redirect(struct netif *in, struct pbuf *orig, const ip6_addr_t *target);

/* Upper layers saw forward progress with a neighbor (RFC 4861 7.3.1). */
void nd6_reachability_hint(struct stack *s, const ip6_addr_t *ip);

/* Netif came up: restart DAD of its addresses and Router Solicitations
 * (RFC 4862 5.4, RFC 4861 6.3.7). */
void nd6_netif_up(struct netif *netif);

/* Netif going down / away: forget its neighbors, routers, prefixes, addresses' timers. */
void nd6_netif_cleanup(struct netif *netif);

#endif
