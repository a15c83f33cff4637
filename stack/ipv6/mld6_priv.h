/* MLDv1 (RFC 2710) internals: host memberships and, on routers, listeners. */
#ifndef SHOAL_MLD6_PRIV_H
#define SHOAL_MLD6_PRIV_H

#include "shoal/ip6.h"
#include "shoal/timer.h"

struct pbuf;
struct netif;
struct ip6_rx_info;

/* A membership of one netif (RFC 2710 5: Non-Listener / Delaying / Idle). */
struct mld6_group {
    ip6_addr_t group;
    uint8_t netif_idx;
    uint8_t use;            /* joins not yet left; 0 = free slot */
    bool delaying;
    bool last_reporter;
    uint64_t report_at_ns;
};

/* A router's view: some listener for group on netif (RFC 2710 7), until expires_ns. */
struct mld6_listener {
    ip6_addr_t group;
    uint8_t netif_idx;
    bool used;
    uint64_t expires_ns;
};

#define MLD6_ROUTER_MAX_IFS 8u

struct mld6_state {
    struct stack_timer timer;
    /* Querier (RFC 2710 7), per netif index: another querier heard until. */
    uint64_t other_querier_until_ns[MLD6_ROUTER_MAX_IFS];
    uint64_t next_query_ns[MLD6_ROUTER_MAX_IFS];
    uint8_t startup_queries_left[MLD6_ROUTER_MAX_IFS];
};

/* ICMPv6 types 130..132 from icmp6.c. Takes p (payload at the ICMPv6 header). */
void mld6_input(struct pbuf *p, const struct ip6_rx_info *info);
/* Should netif accept packets to group? (ff02::1 always.) */
bool mld6_is_member(const struct netif *netif, const ip6_addr_t *group);
/* Router: does any listener for group sit on netif (forward there)? */
bool mld6_router_has_listener(struct stack *s, const struct netif *netif, const ip6_addr_t *group);
/* Router mode started / stopped on netif (called when forwarding netifs come up). */
void mld6_router_start(struct netif *netif);
void mld6_netif_cleanup(struct netif *netif);

#endif
