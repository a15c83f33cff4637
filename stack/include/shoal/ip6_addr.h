/*
 * IPv6 addresses (RFC 4291). Stored as on the wire: addr[] holds the 16
 * bytes in network order (read them as bytes with ip6_addr_byte()). A
 * link-local (or other scoped) address carries its zone, the 1-based index
 * of the netif it belongs to (RFC 4007 6); 0 = no zone.
 */
#ifndef SHOAL_IP6_ADDR_H
#define SHOAL_IP6_ADDR_H

#include "shoal/def.h"

typedef struct {
    uint32_t addr[4]; /* network byte order, as 16 bytes on the wire */
    uint8_t zone;     /* netif index for scoped addresses, 0 = none */
} ip6_addr_t;

#define IP6_ADDR_LEN 16u
#define IP6_ADDR_ANY_INIT {{0, 0, 0, 0}, 0}

static inline const uint8_t *ip6_addr_bytes(const ip6_addr_t *a) { return (const uint8_t *)a->addr; }
static inline uint8_t ip6_addr_byte(const ip6_addr_t *a, unsigned i) { return ip6_addr_bytes(a)[i]; }

/* From / to 16 bytes in network order (zone cleared). */
static inline void ip6_addr_from_bytes(ip6_addr_t *a, const uint8_t *b)
{
    uint8_t *d = (uint8_t *)a->addr;
    for (unsigned i = 0; i < IP6_ADDR_LEN; i++) d[i] = b[i];
    a->zone = 0;
}
static inline void ip6_addr_to_bytes(const ip6_addr_t *a, uint8_t *b)
{
    for (unsigned i = 0; i < IP6_ADDR_LEN; i++) b[i] = ip6_addr_byte(a, i);
}
/* From eight 16-bit groups in host order: ip6_addr_make(0xfe80,0,0,0,0,0,0,1). */
static inline ip6_addr_t ip6_addr_make(uint16_t g0, uint16_t g1, uint16_t g2, uint16_t g3, uint16_t g4,
                                       uint16_t g5, uint16_t g6, uint16_t g7)
{
    ip6_addr_t r;
    uint16_t g[8] = {g0, g1, g2, g3, g4, g5, g6, g7};
    uint8_t *d = (uint8_t *)r.addr;
    for (unsigned i = 0; i < 8; i++) wr16be(d + 2 * i, g[i]);
    r.zone = 0;
    return r;
}

/* Same 128 bits; zones compared only when both are set. */
static inline bool ip6_addr_eq(const ip6_addr_t *a, const ip6_addr_t *b)
{
    return a->addr[0] == b->addr[0] && a->addr[1] == b->addr[1] && a->addr[2] == b->addr[2] &&
           a->addr[3] == b->addr[3] && (a->zone == 0 || b->zone == 0 || a->zone == b->zone);
}
static inline bool ip6_addr_is_any(const ip6_addr_t *a)
{
    return a == NULL || (a->addr[0] == 0 && a->addr[1] == 0 && a->addr[2] == 0 && a->addr[3] == 0);
}
static inline bool ip6_addr_is_loopback(const ip6_addr_t *a)
{
    return a->addr[0] == 0 && a->addr[1] == 0 && a->addr[2] == 0 && a->addr[3] == shoal_htonl(1);
}
static inline bool ip6_addr_is_multicast(const ip6_addr_t *a) { return ip6_addr_byte(a, 0) == 0xff; }
/* fe80::/10 */
static inline bool ip6_addr_is_linklocal(const ip6_addr_t *a)
{
    return ip6_addr_byte(a, 0) == 0xfe && (ip6_addr_byte(a, 1) & 0xc0) == 0x80;
}
/* ::ffff:0:0/96, IPv4-mapped (RFC 4291 2.5.5.2) */
static inline bool ip6_addr_is_v4mapped(const ip6_addr_t *a)
{
    return a->addr[0] == 0 && a->addr[1] == 0 && a->addr[2] == shoal_htonl(0x0000ffffu);
}
/* Multicast scope (RFC 4291 2.7): 1 interface-local, 2 link-local, 5 site, 0xe global. */
static inline uint8_t ip6_multicast_scope(const ip6_addr_t *a) { return ip6_addr_byte(a, 1) & 0x0f; }
/* A scoped address needs a zone to be meaningful: link-local unicast, and
 * interface- or link-local multicast. */
static inline bool ip6_addr_has_scope(const ip6_addr_t *a)
{
    return ip6_addr_is_linklocal(a) ||
           (ip6_addr_is_multicast(a) && (ip6_multicast_scope(a) == 1 || ip6_multicast_scope(a) == 2));
}
/* The first prefix_len bits of a and b agree. */
static inline bool ip6_addr_prefix_eq(const ip6_addr_t *a, const ip6_addr_t *b, unsigned prefix_len)
{
    for (unsigned i = 0; i < IP6_ADDR_LEN && prefix_len > 0; i++) {
        unsigned bits = prefix_len >= 8 ? 8 : prefix_len;
        uint8_t mask = (uint8_t)(0xffu << (8 - bits));
        if ((ip6_addr_byte(a, i) ^ ip6_addr_byte(b, i)) & mask) return false;
        prefix_len -= bits;
    }
    return true;
}
/* Leading bits a and b share (0..128), for longest-match and RFC 6724 rule 8. */
static inline unsigned ip6_addr_common_prefix(const ip6_addr_t *a, const ip6_addr_t *b)
{
    unsigned n = 0;
    for (unsigned i = 0; i < IP6_ADDR_LEN; i++) {
        uint8_t x = (uint8_t)(ip6_addr_byte(a, i) ^ ip6_addr_byte(b, i));
        if (x == 0) {
            n += 8;
            continue;
        }
        while ((x & 0x80u) == 0) {
            n++;
            x = (uint8_t)(x << 1);
        }
        return n;
    }
    return n;
}
/* Solicited-node multicast address of a unicast address (RFC 4291 2.7.1):
 * ff02::1:ffXX:XXXX with the last 24 bits of `a`. */
static inline ip6_addr_t ip6_addr_solicited_node(const ip6_addr_t *a)
{
    ip6_addr_t r = ip6_addr_make(0xff02, 0, 0, 0, 0, 1, 0xff00, 0);
    uint8_t *d = (uint8_t *)r.addr;
    d[13] = ip6_addr_byte(a, 13);
    d[14] = ip6_addr_byte(a, 14);
    d[15] = ip6_addr_byte(a, 15);
    r.zone = a->zone;
    return r;
}
/* Well-known multicast groups (RFC 4291 2.7.1, RFC 8415 7.1). */
static inline ip6_addr_t ip6_addr_all_nodes(void) { return ip6_addr_make(0xff02, 0, 0, 0, 0, 0, 0, 1); }
static inline ip6_addr_t ip6_addr_all_routers(void) { return ip6_addr_make(0xff02, 0, 0, 0, 0, 0, 0, 2); }
static inline ip6_addr_t ip6_addr_all_mld_routers(void) { return ip6_addr_make(0xff02, 0, 0, 0, 0, 0, 0, 0x16); }
static inline ip6_addr_t ip6_addr_all_dhcp_agents(void) { return ip6_addr_make(0xff02, 0, 0, 0, 0, 0, 1, 2); }

#endif
