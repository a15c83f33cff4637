/*
 * IPv6 internals shared by the ipv6/ files (owner: ip6.c, ip6_route.c,
 * ip6_forward.c, ip6_frag.c, icmp6.c). Private to stack/.
 */
#ifndef SHOAL_IP6_PRIV_H
#define SHOAL_IP6_PRIV_H

#include "shoal/ip6.h"
#include "shoal/timer.h"

struct pbuf;
struct netif;

struct ip6_route_entry {
    ip6_addr_t prefix;
    ip6_addr_t gateway;     /* :: = on-link */
    uint8_t prefix_len;
    uint8_t netif_idx;      /* 0: the netif that reaches the gateway */
    bool used;
};

/* A Packet Too Big lowered the path MTU towards dst (RFC 8201 4). */
struct ip6_pmtu_entry {
    ip6_addr_t dst;
    uint16_t mtu;
    bool used;
    uint64_t expires_ns;            /* then the link MTU applies again */
};
#define IP6_PMTU_ENTRIES 8u

/* Per-instance IPv6 state that is not a table (embedded in struct stack). */
struct ip6_state {
    uint32_t next_frag_id;          /* RFC 7739: start random, per-instance counter */
    uint64_t icmp6_tokens;          /* ICMPv6 error rate limit (RFC 4443 2.4 f) */
    uint64_t icmp6_tokens_at_ns;
    struct stack_timer timer;       /* reassembly timeouts, PMTU aging */
    struct ip6_pmtu_entry pmtu[IP6_PMTU_ENTRIES];
};

/* A finished packet to its next hop: multicast mapped to 33:33:xx (RFC 2464
 * 7), unicast resolved by ND on Ethernet, straight to the driver on
 * point-to-point netifs. p's payload is the IPv6 header; p stays the caller's. */
err_t ip6_link_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop);

/* Send with a next hop already chosen; fragments when p is larger than the
 * path MTU. src NULL selects a source; a given :: is sent as is (DAD,
 * RFC 4862 5.4.2), unlike ip6_output() where :: also selects. */
err_t ip6_output_nexthop(struct netif *netif, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst,
                         const ip6_addr_t *nexthop, uint8_t hop_limit, uint8_t tclass, uint8_t proto);

/* A packet for another host on a router (RFC 8200 3, RFC 4443 3). Takes p,
 * whose payload is the IPv6 header. */
void ip6_forward(struct pbuf *p, const struct ip6_rx_info *info);
/* A router copies a multicast packet of wider than link-local scope to the
 * other netifs with listeners (RFC 2710 7). p stays the caller's. */
void ip6_forward_multicast(struct pbuf *p, const struct ip6_rx_info *info);

/* ICMPv6 (icmp6.c). Takes p (payload at the ICMPv6 header). */
void icmp6_input(struct pbuf *p, const struct ip6_rx_info *info);
/* An error about the packet `orig` (payload at its IPv6 header, stays the
 * caller's), rate limited, never about an ICMPv6 error, a multicast
 * destination (except PTB and param problem code 2) or an unspecified /
 * multicast source (RFC 4443 2.4 e). `param`: MTU for PTB, pointer for
 * parameter problem, 0 otherwise. */
void icmp6_send_error(struct stack *s, struct netif *in, struct pbuf *orig, uint8_t type, uint8_t code,
                      uint32_t param);
/* Checksum the ICMPv6 message in p (payload at the ICMPv6 header) for src/dst
 * and write it in (ND, MLD and echo all use this). */
void icmp6_finish(struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst);

/* Path MTU cache (RFC 8201): a PTB lowered the MTU towards dst. */
void ip6_pmtu_update(struct stack *s, const ip6_addr_t *dst, uint32_t mtu);

/* Rearm s->ip6.timer for the earliest reassembly deadline or PMTU expiry;
 * cancelled when nothing is pending (ip6_pmtu.c). */
void ip6_timer_update(struct stack *s);

/* Static routes through a netif that goes away. */
void ip6_routes_forget_netif(struct stack *s, const struct netif *netif);

#endif
