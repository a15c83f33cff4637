/* MLDv1 (RFC 2710) internals: host memberships and, on routers, listeners.
 * mld6.c is the host side and owns the one MLD timer and the sender;
 * mld6_router.c is the querier and the listener table. */
#ifndef SHOAL_MLD6_PRIV_H
#define SHOAL_MLD6_PRIV_H

#include "shoal/ip6.h"
#include "shoal/timer.h"

struct pbuf;
struct netif;
struct ip6_rx_info;

/* RFC 2710 3: type, code, checksum, Maximum Response Delay, reserved, address. */
#define MLD6_MSG_LEN 24u
/* RFC 3810 8.1: a Query of 28 bytes or more is an MLDv2 Query. */
#define MLD6_V2_QUERY_MIN_LEN 28u
/* Hop-by-Hop header carrying Router Alert (RFC 2711) in front of every MLD message. */
#define MLD6_HBH_LEN 8u

/* A membership of one netif (RFC 2710 5: Non-Listener / Delaying / Idle). */
struct mld6_group {
    ip6_addr_t group;
    uint8_t netif_idx;
    uint8_t use;            /* joins not yet left; 0 = free slot */
    bool delaying;          /* a Report is due at report_at_ns */
    bool last_reporter;     /* we sent the latest Report: we send Done */
    uint64_t report_at_ns;
};

/* A router's view: some listener for group on netif (RFC 2710 7), until expires_ns. */
struct mld6_listener {
    ip6_addr_t group;
    uint8_t netif_idx;
    bool used;
    uint8_t llq_left;       /* Last Listener Queries still to send after a Done (RFC 2710 4) */
    uint64_t llq_next_ns;
    uint64_t expires_ns;
};

#define MLD6_ROUTER_MAX_IFS 8u

/* Same group, whatever the zones say (tables are per netif already). */
static inline bool mld6_addr_eq(const ip6_addr_t *a, const ip6_addr_t *b)
{
    return a->addr[0] == b->addr[0] && a->addr[1] == b->addr[1] && a->addr[2] == b->addr[2] &&
           a->addr[3] == b->addr[3];
}

struct mld6_state {
    struct stack_timer timer;  /* host reports, queries and listener expiry together */
    /* Querier (RFC 2710 7), per netif index: another querier heard until. */
    uint64_t other_querier_until_ns[MLD6_ROUTER_MAX_IFS];
    uint64_t next_query_ns[MLD6_ROUTER_MAX_IFS];
    uint8_t startup_queries_left[MLD6_ROUTER_MAX_IFS];
    bool router_on[MLD6_ROUTER_MAX_IFS];
};

/* ICMPv6 types 130..132 from icmp6.c. Takes p (payload at the ICMPv6 header).
 * On a forwarding instance ip6_input must hand MLD (ICMPv6 with a Router
 * Alert) to icmp6 even for groups we did not join: Reports go to the group. */
void mld6_input(struct pbuf *p, const struct ip6_rx_info *info);
/* Should netif accept packets to group? (ff02::1 always.) */
bool mld6_is_member(const struct netif *netif, const ip6_addr_t *group);
/* Router: does any listener for group sit on netif (forward there)? */
bool mld6_router_has_listener(struct stack *s, const struct netif *netif, const ip6_addr_t *group);
/* Router mode started / stopped on netif (called when forwarding netifs come up). */
void mld6_router_start(struct netif *netif);
void mld6_netif_cleanup(struct netif *netif);

/* Between mld6.c and mld6_router.c. */
enum mld6_src { MLD6_SRC_OK, MLD6_SRC_WAIT, MLD6_SRC_NONE };
/* The link-local source MLD needs (RFC 2710 3): WAIT while it is tentative
 * (Reports then leave from ::, RFC 3590 4). */
enum mld6_src mld6_source(const struct netif *netif, ip6_addr_t *out);
/* Send one MLD message (hop limit 1, Router Alert). ERR_RTE without a usable
 * link-local (for a Report: without a tentative one either). */
err_t mld6_send(struct netif *netif, uint8_t type, uint16_t max_delay_ms, const ip6_addr_t *group,
                const ip6_addr_t *dst);
/* Recompute the one timer's deadline after any change. */
void mld6_rearm(struct stack *s);
uint64_t mld6_router_next_deadline(struct stack *s);
void mld6_router_run(struct stack *s, uint64_t now_ns);
/* A validated MLD message for the router side (Query, Report or Done). */
void mld6_router_input(struct netif *netif, uint8_t type, uint32_t max_delay_ms, const ip6_addr_t *group,
                       const ip6_addr_t *src);
void mld6_router_netif_cleanup(struct netif *netif);

#endif
