/* IGMP state shared by igmp.c (host) and igmp_router.c (router side). */
#ifndef SHOAL_IGMP_PRIV_H
#define SHOAL_IGMP_PRIV_H

#include "shoal/ip4_addr.h"
#include "shoal/timer.h"

struct netif;
struct pbuf;
struct ip4_rx_info;

#define IGMP_ROUTER_MAX_IFS 16u

struct igmp_querier {
    bool active;
    uint8_t startup_left;
    uint64_t next_query_ns;
    uint64_t other_querier_until_ns;
};

/* A group with members on one interface, as the router learned it. */
struct igmp_rt_member {
    bool used;
    uint8_t netif_idx;
    uint8_t gsq_left;       /* group-specific queries still to send after a Leave */
    ip4_addr_t group;
    uint64_t expires_ns;
    uint64_t gsq_next_ns;
};

struct igmp_router {
    struct igmp_querier querier[IGMP_ROUTER_MAX_IFS];
    struct igmp_rt_member *members; /* cfg.igmp_groups entries */
    struct stack_timer timer;
};

/* Router side, active only with forwarding on. */
void igmp_router_netif_up(struct netif *netif);
void igmp_router_input(struct netif *netif, uint8_t type, const ip4_addr_t *group, const ip4_addr_t *src);
/* Copy a multicast datagram (payload at its IP header) to the other
 * interfaces with members; p stays the caller's. */
void igmp_router_forward(struct pbuf *p, const struct ip4_rx_info *info);

#endif
