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
    uint8_t queued;           /* packets in queue */
    uint64_t deadline_ns;     /* next event for this state; SHOAL_TIME_NEVER in STALE */
    uint64_t updated_ns;      /* last confirmation or use: the least useful entry goes first */
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
    uint64_t redirect_tokens_at_ns; /* RFC 4861 8.2: redirects are rate limited */
    uint32_t redirect_tokens;
};

/* RFC 4861 10 protocol constants (times in ms). */
#define ND6_MAX_RTR_SOLICITATION_DELAY_MS 1000u
#define ND6_RTR_SOLICITATION_INTERVAL_MS 4000u
#define ND6_MAX_RTR_SOLICITATIONS 3u
#define ND6_MAX_INITIAL_RTR_ADVERT_INTERVAL_MS 16000u
#define ND6_MAX_INITIAL_RTR_ADVERTISEMENTS 3u
#define ND6_MAX_FINAL_RTR_ADVERTISEMENTS 3u
#define ND6_MIN_DELAY_BETWEEN_RAS_MS 3000u
#define ND6_MAX_RA_DELAY_TIME_MS 500u
#define ND6_MAX_MULTICAST_SOLICIT 3u
#define ND6_MAX_UNICAST_SOLICIT 3u
#define ND6_DELAY_FIRST_PROBE_TIME_MS 5000u
#define ND6_REACHABLE_RERANDOM_MS (2u * 3600u * 1000u) /* re-draw ReachableTime this often (6.3.4) */
#define ND6_QUEUE_PER_NEIGHBOR 3u   /* packets kept per unresolved neighbor (7.2.2: the latest) */
#define ND6_IDGEN_RETRIES 3u        /* RFC 7217 6 */
#define ND6_REDIRECTS_PER_S 10u     /* RFC 4861 8.2 rate limit */
#define ND6_HOP_LIMIT 255u

/* ICMPv6 ND message lengths without options (RFC 4861 4). */
#define ND6_RS_LEN 8u
#define ND6_RA_LEN 16u
#define ND6_NS_LEN 24u
#define ND6_NA_LEN 24u
#define ND6_REDIRECT_LEN 40u

/* ND options (RFC 4861 4.6, RFC 8106 5.1). */
#define ND6_OPT_SLLA 1u
#define ND6_OPT_TLLA 2u
#define ND6_OPT_PREFIX 3u
#define ND6_OPT_REDIRECTED 4u
#define ND6_OPT_MTU 5u
#define ND6_OPT_RDNSS 25u
#define ND6_OPTS_MAX_PREFIXES 8u
#define ND6_RDNSS_MAX 3u
#define ND6_PREFIX_FLAG_L 0x80u
#define ND6_PREFIX_FLAG_A 0x40u

struct nd6_opt_prefix {
    ip6_addr_t prefix;
    uint8_t prefix_len;
    uint8_t flags;              /* ND6_PREFIX_FLAG_* */
    uint32_t valid_lifetime_s;  /* 0xffffffff = infinity */
    uint32_t preferred_lifetime_s;
};

/* A bounds-checked view of the options of one ND message. Pointers point
 * into the parsed bytes. Known options with a wrong length are skipped and
 * counted in `malformed`; unknown ones are skipped (RFC 4861 4.6). */
struct nd6_opts {
    const uint8_t *slla, *tlla; /* link-layer address bytes (option length * 8 - 2 of them) */
    uint8_t slla_len, tlla_len;
    bool has_mtu;
    uint32_t mtu;
    uint8_t prefix_count;       /* kept, at most ND6_OPTS_MAX_PREFIXES */
    uint8_t prefixes_ignored;   /* beyond the array */
    struct nd6_opt_prefix prefixes[ND6_OPTS_MAX_PREFIXES];
    const uint8_t *redirected;  /* the redirected header's IP packet bytes */
    size_t redirected_len;
    uint8_t rdnss_count;
    uint32_t rdnss_lifetime_s;
    ip6_addr_t rdnss[ND6_RDNSS_MAX];
    uint8_t malformed;          /* known options of a wrong length, skipped */
    uint8_t unknown;            /* unknown options, skipped */
};

/* Walk `len` bytes of options. ERR_VAL when an option has length 0 or runs
 * past the end (the whole message is then invalid, RFC 4861 4.6, 6.1, 7.1). */
err_t nd6_parse_options(const uint8_t *p, size_t len, struct nd6_opts *out);

/* ---- shared between nd6.c, nd6_router.c, nd6_rtadv.c, nd6_slaac.c ---- */

/* Re-arm s->nd6.timer for the earliest deadline of every ND part. */
void nd6_timer_update(struct stack *s);
/* Each part's next deadline and its timer work (called by nd6.c's timer). */
uint64_t nd6_cache_next(struct stack *s);
void nd6_cache_tick(struct stack *s, uint64_t now);
uint64_t nd6_router_next(struct stack *s);
void nd6_router_tick(struct stack *s, uint64_t now);
uint64_t nd6_rtadv_next(struct stack *s);
void nd6_rtadv_tick(struct stack *s, uint64_t now);
uint64_t nd6_slaac_next(struct stack *s);
void nd6_slaac_tick(struct stack *s, uint64_t now);

/* A uniformly random duration in [0, max_ms] ms, in ns, from the instance's RNG. */
uint64_t nd6_random_ms(struct stack *s, uint32_t max_ms);
/* Send an ND message (p: payload at the ICMPv6 header, taken) with hop limit 255. */
err_t nd6_send(struct netif *netif, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst);
/* Append a link-layer address option of this netif's hwaddr at `at`
 * (type SLLA or TLLA); returns bytes written (0 on non-Ethernet netifs). */
size_t nd6_put_lladdr_opt(const struct netif *netif, uint8_t type, uint8_t *at);
size_t nd6_lladdr_opt_len(const struct netif *netif);

/* Neighbor cache (nd6.c). */
struct nd6_neighbor *nd6_find_neighbor(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip);
/* RFC 4861 7.2.3 / 6.3.4 / 8.3: a link-layer address learnt from an
 * unsolicited NS, an RS, an RA or a redirect: create STALE, or STALE if changed. */
void nd6_cache_learn(struct netif *netif, const ip6_addr_t *ip, const uint8_t *lladdr, uint8_t lladdr_len,
                     bool is_router);
/* Draw a new ReachableTime from BaseReachableTime (RFC 4861 6.3.2). */
void nd6_rerandomize_reachable(struct netif *netif);
/* Send a Neighbor Solicitation for target (dst: solicited-node group or the
 * neighbor itself; src :: for DAD, then no SLLA). */
err_t nd6_send_ns(struct netif *netif, const ip6_addr_t *target, const ip6_addr_t *src, const ip6_addr_t *dst);

/* Router and prefix lists (nd6_router.c). */
void nd6_rs_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len);
void nd6_ra_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len);
void nd6_redirect_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len);
/* A neighbor stopped being a router (7.2.5) or its entry went away. */
void nd6_router_gone(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip);
/* A default router's neighbor entry failed resolution: try another one next (6.3.6). */
void nd6_router_unreachable(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip);
void nd6_router_netif_cleanup(struct netif *netif);

/* Router mode (nd6_rtadv.c). */
void nd6_rtadv_rs_input(struct netif *netif);
void nd6_rtadv_netif_up(struct netif *netif);
/* The netif's link-local address became usable. */
void nd6_rtadv_addr_ready(struct netif *netif);

/* SLAAC (nd6_slaac.c). */
/* A prefix information option with the A flag (RFC 4862 5.5.3). */
void nd6_slaac_prefix(struct netif *netif, const struct nd6_opt_prefix *pi);
/* An NS from :: or an NA for target, which is tentative or ours (RFC 4862 5.4.3, 5.4.4). */
void nd6_dad_conflict(struct netif *netif, int slot, bool from_na);
/* Stop Router Solicitations: a valid RA came (RFC 4861 6.3.7). */
void nd6_slaac_rs_done(struct netif *netif);
void nd6_slaac_netif_up(struct netif *netif);
void nd6_slaac_netif_down(struct netif *netif);

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
