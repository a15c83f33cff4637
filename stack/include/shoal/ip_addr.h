/*
 * Dual-stack addresses: an IPv4 or an IPv6 address with its type, as lwIP's
 * ip_addr_t. The raw API (udp, tcp, raw) and sockets take these, so one PCB
 * type serves both families. IPADDR_TYPE_ANY (bound to "::" with V6ONLY off)
 * accepts both.
 */
#ifndef SHOAL_IP_ADDR_H
#define SHOAL_IP_ADDR_H

#include "shoal/def.h"
#include "shoal/ip4_addr.h"
#include "shoal/ip6_addr.h"

enum ip_addr_type { IPADDR_TYPE_V4 = 0u, IPADDR_TYPE_V6 = 6u, IPADDR_TYPE_ANY = 46u };

typedef struct {
    union {
        ip6_addr_t ip6;
        ip4_addr_t ip4;
    } u_addr;
    uint8_t type; /* enum ip_addr_type */
} ip_addr_t;

static inline ip_addr_t ip_addr_from_ip4(ip4_addr_t a)
{
    ip_addr_t r;
    r.u_addr.ip6 = (ip6_addr_t)IP6_ADDR_ANY_INIT;
    r.u_addr.ip4 = a;
    r.type = IPADDR_TYPE_V4;
    return r;
}
static inline ip_addr_t ip_addr_from_ip6(const ip6_addr_t *a)
{
    ip_addr_t r;
    r.u_addr.ip6 = *a;
    r.type = IPADDR_TYPE_V6;
    return r;
}
static inline ip_addr_t ip_addr_any(enum ip_addr_type type)
{
    ip_addr_t r;
    r.u_addr.ip6 = (ip6_addr_t)IP6_ADDR_ANY_INIT;
    r.type = (uint8_t)type;
    return r;
}
static inline bool ip_addr_is_v4(const ip_addr_t *a) { return a->type == IPADDR_TYPE_V4; }
static inline bool ip_addr_is_v6(const ip_addr_t *a) { return a->type == IPADDR_TYPE_V6; }
static inline const ip4_addr_t *ip_2_ip4(const ip_addr_t *a) { return &a->u_addr.ip4; }
static inline const ip6_addr_t *ip_2_ip6(const ip_addr_t *a) { return &a->u_addr.ip6; }
/* NULL, 0.0.0.0, :: and the ANY type are all "any". */
static inline bool ip_addr_is_any(const ip_addr_t *a)
{
    if (a == NULL || a->type == IPADDR_TYPE_ANY) return true;
    return a->type == IPADDR_TYPE_V4 ? a->u_addr.ip4.addr == 0 : ip6_addr_is_any(&a->u_addr.ip6);
}
static inline bool ip_addr_eq(const ip_addr_t *a, const ip_addr_t *b)
{
    if (a->type != b->type) return false;
    return a->type == IPADDR_TYPE_V4 ? a->u_addr.ip4.addr == b->u_addr.ip4.addr
                                     : ip6_addr_eq(&a->u_addr.ip6, &b->u_addr.ip6);
}
static inline bool ip_addr_is_multicast(const ip_addr_t *a)
{
    return a->type == IPADDR_TYPE_V4 ? ip4_addr_is_multicast(&a->u_addr.ip4) : ip6_addr_is_multicast(&a->u_addr.ip6);
}

#endif
