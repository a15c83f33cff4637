/*
 * Neighbor Discovery (RFC 4861) and stateless address autoconfiguration
 * (RFC 4862): what hosts and routers outside the stack may call.
 */
#ifndef SHOAL_ND6_H
#define SHOAL_ND6_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"
#include "shoal/ethernet.h"

struct stack;
struct netif;

/* How interface identifiers are made (RFC 4862 5.3, RFC 7217, RFC 8981). */
enum nd6_iid_mode {
    ND6_IID_STABLE = 0,  /* RFC 7217: a keyed hash of prefix and netif, key from the instance's RNG */
    ND6_IID_EUI64,       /* modified EUI-64 from the MAC (RFC 4291 2.5.1, appendix A) */
    ND6_IID_RANDOM       /* a fresh random identifier per address */
};

/*
 * Turn IPv6 on for a netif: make the link-local address fe80::IID (DAD
 * first unless the instance's ip6_dad_transmits is 0), join all-nodes and the
 * solicited-node groups, and, when `autoconf` is true, send Router
 * Solicitations (RFC 4861 6.3.7) and form addresses from RA prefixes with
 * the A flag (RFC 4862 5.5.3). Calling it again changes autoconf.
 */
err_t nd6_netif_enable(struct netif *netif, enum nd6_iid_mode mode, bool autoconf);

/* RFC 7217 5: the secret key of stable identifiers. An instance draws one
 * from its RNG when it is made; a platform that keeps the key across
 * reboots (so stable addresses stay stable) sets it here before IPv6 is
 * turned on for any netif. */
void nd6_set_iid_secret(struct stack *s, const uint8_t secret[16]);

/* Router mode (RFC 4861 6.2): the netif sends unsolicited RAs every
 * [min, max] interval and answers RSs. Needs ip_forwarding on the instance. */
struct nd6_ra_prefix {
    ip6_addr_t prefix;
    uint8_t prefix_len;
    bool on_link;              /* L flag */
    bool autonomous;           /* A flag */
    uint32_t valid_lifetime_s;     /* 0xffffffff = infinity */
    uint32_t preferred_lifetime_s;
};
struct nd6_ra_config {
    uint32_t min_interval_ms;  /* MinRtrAdvInterval, default 0.33 * max */
    uint32_t max_interval_ms;  /* MaxRtrAdvInterval, default 600 s */
    uint16_t router_lifetime_s;/* 0: not a default router; default 3 * max */
    uint8_t cur_hop_limit;     /* 0: unspecified */
    bool managed;              /* M flag */
    bool other_config;         /* O flag: DHCPv6 for other configuration */
    uint32_t reachable_time_ms;
    uint32_t retrans_timer_ms;
    uint32_t mtu;              /* 0: no MTU option */
    ip6_addr_t rdnss;          /* RFC 8106 recursive DNS server, :: for none */
};
void nd6_ra_config_default(struct nd6_ra_config *cfg);
/* Start (or update) advertising on netif with cfg (NULL: defaults); add a
 * prefix with nd6_router_add_prefix. ERR_VAL unless forwarding is on. */
err_t nd6_router_start(struct netif *netif, const struct nd6_ra_config *cfg);
err_t nd6_router_add_prefix(struct netif *netif, const struct nd6_ra_prefix *prefix);
/* Stop advertising: a final RA with router lifetime 0 (RFC 4861 6.2.5). */
void nd6_router_stop(struct netif *netif);

/* Read-only views for tools and tests. */
struct nd6_neighbor_info {
    ip6_addr_t ip;
    struct eth_addr mac;
    uint8_t netif_idx;
    uint8_t state;             /* 1 INCOMPLETE, 2 REACHABLE, 3 STALE, 4 DELAY, 5 PROBE */
    bool is_router;
};
bool nd6_neighbor_get(struct stack *s, size_t i, struct nd6_neighbor_info *out);
struct nd6_router_info {
    ip6_addr_t ip;
    uint8_t netif_idx;
    uint64_t expires_ns;
};
bool nd6_router_get(struct stack *s, size_t i, struct nd6_router_info *out);
struct nd6_prefix_info {
    ip6_addr_t prefix;
    uint8_t prefix_len;
    uint8_t netif_idx;
    uint64_t expires_ns;
};
bool nd6_prefix_get(struct stack *s, size_t i, struct nd6_prefix_info *out);

#endif
