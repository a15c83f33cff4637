/* IPv6 fragmentation and reassembly state (RFC 8200 4.5, RFC 5722, RFC 6946). */
#ifndef SHOAL_IP6_FRAG_PRIV_H
#define SHOAL_IP6_FRAG_PRIV_H

#include "shoal/ip6.h"

struct pbuf;
struct netif;
struct stack;

#define IP6_FRAG_HDR_LEN 8u

/* A fragment being held: its fragmentable part and where it goes. The
 * offset-0 fragment keeps its headers in front of the payload (unfrag_len +
 * 8 bytes), so that they can be put back for the result or a time exceeded. */
struct ip6_frag_node {
    struct ip6_frag_node *next;
    struct pbuf *p;
    uint32_t start, end;   /* byte range in the original fragmentable part */
};

struct ip6_reass_entry {
    bool used;
    bool dead;             /* overlap seen (RFC 5722): drop the rest quietly until the deadline */
    ip6_addr_t src, dst;
    uint32_t id;
    uint8_t netif_idx;
    uint8_t next_header;   /* from the first fragment's fragment header */
    bool have_first;
    uint16_t unfrag_len;   /* first fragment: fixed header + unfragmentable ext headers */
    uint16_t prev_nh_off;  /* first fragment: the Next Header field that named the fragment header */
    uint32_t total;        /* fragmentable length, from the last fragment; 0 before */
    uint64_t created_ns;
    uint64_t deadline_ns;
    struct ip6_frag_node *frags; /* sorted by start, never overlapping */
};

/* A fragment for us: p's payload at the IPv6 header, the fragment header at
 * frag_offset (within p's first segment). Takes p. Returns the whole packet
 * (payload at the IPv6 header, no fragment header, payload length fixed)
 * when complete, else NULL. An atomic fragment comes back at once. */
struct pbuf *ip6_reass(struct pbuf *p, struct netif *netif, uint32_t frag_offset);

/* Send p (payload at the IPv6 header) in fragments that fit mtu. */
err_t ip6_frag_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop, uint16_t mtu);

/* Drop reassemblies past their deadline (time exceeded code 1 when the first
 * fragment arrived). Returns the next deadline, SHOAL_TIME_NEVER if none. */
uint64_t ip6_reass_tick(struct stack *s, uint64_t now_ns);

#endif
