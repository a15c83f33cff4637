/* IPv4 fragmentation and reassembly state (one table per instance). */
#ifndef SHOAL_IP4_FRAG_PRIV_H
#define SHOAL_IP4_FRAG_PRIV_H

#include "shoal/ip4.h"

struct pbuf;

/* A fragment being held: its data (IP header removed) and where it goes. */
struct ip4_frag_node {
    struct ip4_frag_node *next;
    struct pbuf *p;
    uint32_t start, end;   /* byte range in the datagram's payload */
};

struct ip4_reass_entry {
    bool used;
    ip4_addr_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint8_t netif_idx;
    uint8_t hdr_len;       /* of the first fragment's header, once seen */
    bool have_first;
    uint32_t total;        /* payload length, known from the last fragment; 0 before */
    uint32_t frags_end_max;/* furthest byte any fragment reached */
    uint64_t deadline_ns;
    uint64_t created_ns;
    struct ip4_frag_node *frags; /* sorted by start, never overlapping */
    uint8_t first_hdr[IP4_MAX_HDR_LEN];
};

/* A fragment addressed to us (p: payload at the IP header; takes p).
 * Returns the whole datagram when this fragment completed it (payload at
 * its IP header, *info describing it), else NULL. */
struct pbuf *ip4_reass(struct pbuf *p, struct ip4_rx_info *info);

/* Send a datagram too big for netif's MTU in fragments (RFC 791 3.2);
 * p holds the payload after the header, r the header to repeat. */
err_t ip4_frag_output(struct netif *netif, struct pbuf *p, const struct ip4_repr *r, const ip4_addr_t *nexthop);

#endif
