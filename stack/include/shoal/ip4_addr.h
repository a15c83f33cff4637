/* IPv4 addresses. Stored in network byte order, as on the wire (lwIP's convention). */
#ifndef SHOAL_IP4_ADDR_H
#define SHOAL_IP4_ADDR_H

#include "shoal/def.h"

typedef struct {
    uint32_t addr; /* network byte order */
} ip4_addr_t;

static inline ip4_addr_t ip4_addr_make(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    ip4_addr_t r;
    r.addr = shoal_htonl(((uint32_t)a << 24) | ((uint32_t)b << 16) | ((uint32_t)c << 8) | d);
    return r;
}
/* From / to a host-order 32-bit number (10.0.0.1 == 0x0a000001). */
static inline ip4_addr_t ip4_addr_from_u32(uint32_t host_order)
{
    ip4_addr_t r;
    r.addr = shoal_htonl(host_order);
    return r;
}
static inline uint32_t ip4_addr_to_u32(ip4_addr_t a) { return shoal_ntohl(a.addr); }

static inline bool ip4_addr_eq(const ip4_addr_t *a, const ip4_addr_t *b) { return a->addr == b->addr; }
static inline bool ip4_addr_is_any(const ip4_addr_t *a) { return a == NULL || a->addr == 0; }
static inline bool ip4_addr_is_limited_broadcast(const ip4_addr_t *a) { return a->addr == 0xffffffffu; }
static inline bool ip4_addr_is_multicast(const ip4_addr_t *a) { return (ip4_addr_to_u32(*a) >> 28) == 0xe; }
static inline bool ip4_addr_is_loopback(const ip4_addr_t *a) { return (ip4_addr_to_u32(*a) >> 24) == 127; }
/* True when a and b share the network of `mask`. */
static inline bool ip4_addr_net_eq(const ip4_addr_t *a, const ip4_addr_t *b, const ip4_addr_t *mask)
{
    return (a->addr & mask->addr) == (b->addr & mask->addr);
}
/* Netmask for a prefix length 0..32. */
static inline ip4_addr_t ip4_netmask_from_prefix(unsigned prefix_len)
{
    ip4_addr_t r;
    r.addr = prefix_len == 0 ? 0 : shoal_htonl(0xffffffffu << (32 - (prefix_len > 32 ? 32 : prefix_len)));
    return r;
}

#define IP4_ADDR_ANY_INIT {0}
#define IP4_ADDR_BROADCAST_INIT {0xffffffffu}

#endif
