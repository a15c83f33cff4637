/*
 * The instance: every byte of an instance's state, in one struct. Modules
 * keep their state here (not in file statics) so that any number of
 * instances live in one process. Private to stack/.
 */
#ifndef SHOAL_STACK_PRIV_H
#define SHOAL_STACK_PRIV_H

#include "shoal/stack.h"
#include "shoal/timer.h"
#include "shoal/stats.h"
#include "shoal/ip4_addr.h"
#include "shoal/ethernet.h"
#include "core/pool.h"
#include "ipv4/igmp_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/mld6_priv.h"

struct netif;
struct udp_pcb;
struct raw_pcb;
struct tcp_pcb;
struct dns_resolver;
struct socket_table;
struct ip4_reass_entry;
struct arp_qnode;

enum arp_state { ARP_EMPTY = 0, ARP_PENDING, ARP_STABLE };

struct arp_entry {
    ip4_addr_t ip;
    struct eth_addr mac;
    uint8_t netif_idx;
    uint8_t state;          /* enum arp_state */
    uint8_t tries;          /* requests sent while pending */
    bool is_static;
    bool rerequested;       /* a refresh request went out for this lifetime */
    uint64_t deadline_ns;   /* pending: next retry; stable: expiry */
    struct arp_qnode *queue;
};

/* An IGMP membership of one netif (RFC 2236 6: Non-Member / Delaying / Idle). */
struct igmp_group {
    ip4_addr_t group;
    uint8_t netif_idx;
    uint8_t use;            /* joins not yet left; 0 = free slot */
    bool delaying;          /* a report is due at report_at_ns */
    bool last_reporter;     /* we sent the latest report: we send Leave */
    uint64_t report_at_ns;
};

struct ip4_route_entry {
    ip4_addr_t prefix;
    ip4_addr_t mask;
    ip4_addr_t gateway;
    uint8_t prefix_len;
    uint8_t netif_idx;      /* 0: the netif whose subnet holds the gateway */
    bool used;
};

struct stack {
    struct stack_platform platform;
    struct stack_config cfg;
    void *mem;              /* from platform.alloc, or NULL if caller-provided */
    size_t mem_size;

    struct pool pools[POOL_COUNT];
    struct stack_stats stats;
    struct stack_timer *timers; /* armed timers, sorted by deadline */

    struct netif *netifs;
    uint8_t next_netif_index;

    /* IPv4 */
    uint16_t ip4_next_id;
    struct ip4_route_entry *routes;   /* cfg.route_count entries */
    struct ip4_reass_entry *reass;    /* cfg.ip4_reass_max entries */
    struct igmp_group *igmp;          /* cfg.igmp_groups entries */
    uint64_t igmp_v1_router_until_ns[IGMP_ROUTER_MAX_IFS]; /* RFC 2236 4: per netif index, v1 querier heard until */
    struct stack_timer igmp_timer;
    struct igmp_router igmp_rt;       /* querier and memberships, when forwarding */
    struct stack_timer reass_timer;

    /* ARP */
    struct arp_entry *arp_table;      /* cfg.arp_table_size entries */
    struct stack_timer arp_timer;

    /* ICMP error rate limiting: token bucket, one token = SHOAL_NS_PER_S units */
    uint64_t icmp_tokens;
    uint64_t icmp_tokens_at_ns;

    /* transports */
    struct udp_pcb *udp_pcbs;
    uint16_t udp_next_port;
    struct raw_pcb *raw_pcbs;
    struct tcp_pcb *tcp_pcbs;          /* every bound, listening or connected PCB */
    uint16_t tcp_next_port;
    uint32_t tcp_ooseq_total;          /* segments held out of order, all connections */
    uint64_t tcp_isn_key[2];           /* RFC 6528 secret */
    uint64_t tcp_challenge_window_ns;  /* RFC 5961 7: start of the current second */
    /* Services with caller-owned state, attached at run time. */
    struct dns_resolver *dns;          /* the resolver sockets and apps share */
    struct socket_table *sockets;      /* the BSD-like socket layer */
    uint32_t tcp_challenge_count;

    /* IPv6: tables sized by the config, and each module's scalar state. */
    struct ip6_route_entry *routes6;      /* cfg.ip6_route_count */
    struct ip6_reass_entry *reass6;       /* cfg.ip6_reass_max */
    struct nd6_neighbor *nd6_cache;       /* cfg.nd6_neighbors */
    struct nd6_router *nd6_routers;       /* cfg.nd6_routers */
    struct nd6_prefix *nd6_prefixes;      /* cfg.nd6_prefixes */
    struct nd6_dest *nd6_dests;           /* cfg.nd6_dests: redirects and path MTUs */
    struct mld6_group *mld6_groups;       /* cfg.mld6_groups */
    struct mld6_listener *mld6_listeners; /* cfg.mld6_groups, routers only */
    struct ip6_state ip6;
    struct nd6_state_all nd6;
    struct mld6_state mld6;
};

/* Shorthand for counting into a protocol's stats. */
static inline struct proto_stats *stack_proto_stats(struct stack *s, enum stack_proto_id id)
{
    return &s->stats.proto[id];
}
#define STATS_INC(s, id, field) ((s)->stats.proto[(id)].field++)
/* A drop of a given class: counted in the class and in drop. */
#define STATS_DROP(s, id, field)        \
    do {                                \
        (s)->stats.proto[(id)].field++; \
        (s)->stats.proto[(id)].drop++;  \
    } while (0)

#endif
