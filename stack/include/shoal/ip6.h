/*
 * IPv6 (RFC 8200): header validation, the extension header chain, input
 * demultiplexing, output with source selection and next-hop choice,
 * forwarding, and the IPv6 routing table.
 */
#ifndef SHOAL_IP6_H
#define SHOAL_IP6_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"

struct stack;
struct netif;
struct pbuf;

#define IP6_HDR_LEN 40u
#define IP6_MIN_MTU 1280u       /* RFC 8200 5 */
#define IP6_DEFAULT_HOP_LIMIT 64u

/* Next Header values (IANA). */
#define IP6_NH_HOPOPTS 0u
#define IP6_NH_TCP 6u
#define IP6_NH_UDP 17u
#define IP6_NH_ROUTING 43u
#define IP6_NH_FRAGMENT 44u
#define IP6_NH_ESP 50u
#define IP6_NH_AH 51u
#define IP6_NH_ICMP6 58u
#define IP6_NH_NONE 59u
#define IP6_NH_DSTOPTS 60u
#define IP6_NH_UDPLITE 136u

/* Validated view of the fixed header. */
struct ip6_repr {
    uint8_t tclass;
    uint32_t flow;          /* 20 bits */
    uint16_t payload_len;
    uint8_t next_header;
    uint8_t hop_limit;
    ip6_addr_t src;         /* zone set on input to the receiving netif for scoped addresses */
    ip6_addr_t dst;
};

enum ip6_parse_result { IP6_OK, IP6_ERR_LEN, IP6_ERR_VERSION };
/* Version 6, payload length within len - 40. Zones are left 0. */
enum ip6_parse_result ip6_parse(const uint8_t *p, size_t len, struct ip6_repr *out);
void ip6_emit(const struct ip6_repr *r, uint8_t *p);

/*
 * The extension header chain, walked with bounds checks (RFC 8200 4).
 * ip6_ext_walk() looks at the bytes after the fixed header (`p`, `len`
 * bytes, starting with header type `first_nh`) and stops at the first
 * upper-layer header, fragment header or error. It never reads past len and
 * takes at most IP6_EXT_MAX headers.
 */
#define IP6_EXT_MAX 8u
enum ip6_ext_verdict {
    IP6_EXT_UPPER,      /* reached upper-layer header `nh` at `offset` */
    IP6_EXT_FRAGMENT,   /* a fragment header at `offset` (its 8 bytes are there) */
    IP6_EXT_NONE,       /* No Next Header (59): nothing to deliver */
    IP6_EXT_DISCARD,    /* drop silently (truncated, too many headers, option action 00/01 asked it) */
    IP6_EXT_PARAM_PROB  /* send Parameter Problem code `icmp_code` pointing at `pointer` (offset from the
                           fixed header's start), unless `icmp_if_unicast` and the packet was multicast */
};
struct ip6_ext_result {
    enum ip6_ext_verdict verdict;
    uint8_t nh;            /* the header type found at `offset` */
    uint32_t offset;       /* from the start of the fixed header */
    uint8_t icmp_code;     /* parameter problem: 0 erroneous field, 1 unknown NH, 2 unknown option */
    uint32_t pointer;
    bool icmp_if_unicast;  /* option action 11: error only for non-multicast destinations */
    bool router_alert;     /* a hop-by-hop Router Alert option (RFC 2711) was seen: MLD */
    uint8_t hbh_count;
};
/* `hdr`: the whole packet from the fixed header on (hdr_len bytes).
 * `dst_multicast` decides action 10/11 options. */
void ip6_ext_walk(const uint8_t *hdr, size_t hdr_len, bool dst_multicast, struct ip6_ext_result *out);

/* What upper-layer input handlers learn about the packet that carried them. */
struct ip6_rx_info {
    struct netif *netif;    /* where it came in */
    const uint8_t *hdr;     /* the fixed IPv6 header, still in the pbuf (may be a copy after reassembly) */
    struct ip6_repr ip;
    uint8_t proto;          /* the upper-layer protocol (after extension headers) */
    uint16_t hdr_len;       /* fixed header + extension headers before the upper layer */
    bool dst_multicast;
    bool router_alert;      /* hop-by-hop Router Alert present (MLD checks it) */
};

/* An IPv6 packet from a netif (link header removed). Takes p. */
void ip6_input(struct pbuf *p, struct netif *netif);

/*
 * Send p (upper-layer header and payload) to dst. Route lookup picks the
 * netif and next hop; src NULL or :: selects a source (RFC 6724). Packets
 * larger than the path MTU are fragmented (RFC 8200 4.5). p stays the
 * caller's. hop_limit 0 means the netif's current hop limit (from RAs).
 */
err_t ip6_output(struct stack *s, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst, uint8_t hop_limit,
                 uint8_t tclass, uint8_t proto);
/* Same, out of a given netif (multicast, link-local, ND). */
err_t ip6_output_if(struct netif *netif, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst,
                    uint8_t hop_limit, uint8_t tclass, uint8_t proto);

/* Routing: the netif and next hop for dst. Order: dst's zone for scoped
 * addresses; longest match over static routes, on-link prefixes of the
 * netifs' addresses and ND's prefix list; then ND's default router
 * (RFC 4861 6.3.6). ERR_RTE when nothing matches. */
struct ip6_route_result {
    struct netif *netif;
    ip6_addr_t nexthop;     /* dst itself when on-link */
};
err_t ip6_route(struct stack *s, const ip6_addr_t *dst, struct ip6_route_result *out);

/* Static routes. `gateway` :: means on-link through `netif`; a link-local
 * gateway needs `netif`. Prefix ::/0 is the default route. ERR_MEM when full;
 * an equal prefix replaces. */
err_t ip6_route_add(struct stack *s, const ip6_addr_t *prefix, uint8_t prefix_len, const ip6_addr_t *gateway,
                    struct netif *netif);
err_t ip6_route_del(struct stack *s, const ip6_addr_t *prefix, uint8_t prefix_len);

/* Source address selection (RFC 6724 5, the rules that matter for one host:
 * same address, scope, avoid deprecated, outgoing netif, longest match).
 * ERR_RTE when the netif has no usable (preferred or deprecated, not
 * tentative) address; a smaller scope than dst's is chosen only when
 * nothing else is there (rule 2). */
err_t ip6_select_source(struct netif *netif, const ip6_addr_t *dst, ip6_addr_t *out);

/* True if addr is a valid (not tentative) address of some netif; with a
 * netif, of that one. */
bool ip6_is_local_addr(struct stack *s, const ip6_addr_t *addr);

/* Path MTU towards dst (RFC 8201): the route's link MTU, lowered by Packet
 * Too Big messages, at least 1280, aged back up after 10 minutes. */
uint16_t ip6_path_mtu(struct stack *s, const ip6_addr_t *dst);

#endif
