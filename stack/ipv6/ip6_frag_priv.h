/* IPv6 fragmentation and reassembly state (RFC 8200 4.5, RFC 5722, RFC 6946). */
#ifndef SHOAL_IP6_FRAG_PRIV_H
#define SHOAL_IP6_FRAG_PRIV_H

#include "shoal/ip6.h"

struct pbuf;
struct netif;

/* A fragment being held: its fragmentable part and where it goes. */
struct ip6_frag_node {
    struct ip6_frag_node *next;
    struct pbuf *p;
    uint32_t start, end;   /* byte range in the original fragmentable part */
};

#define IP6_REASS_UNFRAG_MAX 128u /* unfragmentable part kept from the first fragment */

struct ip6_reass_entry {
    bool used;
    ip6_addr_t src, dst;
    uint32_t id;
    uint8_t netif_idx;
    uint8_t next_header;   /* from the first fragment's fragment header */
    bool have_first;
    uint16_t unfrag_len;   /* bytes of first_hdr: fixed header + unfragmentable ext headers */
    uint32_t total;        /* fragmentable length, from the last fragment; 0 before */
    uint64_t deadline_ns;
    struct ip6_frag_node *frags; /* sorted by start, never overlapping */
    uint8_t first_hdr[IP6_REASS_UNFRAG_MAX];
};

/* A fragment for us: p's payload at the IPv6 header, the fragment header at
 * frag_offset. Takes p. Returns the whole packet (payload at the IPv6
 * header, no fragment header, payload length fixed) when complete, else NULL. */
struct pbuf *ip6_reass(struct pbuf *p, struct netif *netif, uint32_t frag_offset);

/* Send p (payload at the IPv6 header) in fragments that fit mtu. */
err_t ip6_frag_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop, uint16_t mtu);

/* Drop reassemblies past their deadline (time exceeded code 1 when the first
 * fragment arrived). Returns the next deadline, SHOAL_TIME_NEVER if none. */
uint64_t ip6_reass_tick(struct stack *s, uint64_t now_ns);

#endif
