/*
 * Addresses of either family as the IPv6 socket calls of binding.h take
 * them: family (4 or 6; 46 = both, for a wildcard bind), 16 bytes in network
 * order (IPv4: the first 4) and a zone (the netif index of a scoped
 * address, 0 = none).
 */
#ifndef SHOAL_BINDING_IP_H
#define SHOAL_BINDING_IP_H

#include <string.h>

#include "shoal/ip_addr.h"
#include "shoal/netif.h"

/* RFC 4007 6: a scoped address without a zone is taken as the node's only
 * interface; with several it is ambiguous (SHOAL_EBADARG). */
static inline int binding_ip_in(struct stack *st, int family, const uint8_t *addr, int zone, ip_addr_t *out)
{
    if (family == 4) {
        ip4_addr_t a4 = {0};
        if (addr != NULL) memcpy(&a4.addr, addr, 4);
        *out = ip_addr_from_ip4(a4);
        return 0;
    }
    if (family != 6 && family != 46) return SHOAL_EBADARG;
    ip6_addr_t a6 = IP6_ADDR_ANY_INIT;
    if (addr != NULL) ip6_addr_from_bytes(&a6, addr);
    if (family == 46) {
        if (!ip6_addr_is_any(&a6)) return SHOAL_EBADARG;
        *out = ip_addr_any(IPADDR_TYPE_ANY);
        return 0;
    }
    if (ip6_addr_is_v4mapped(&a6)) {
        /* RFC 4291 2.5.5.2: an IPv4 peer */
        ip4_addr_t a4;
        memcpy(&a4.addr, ip6_addr_bytes(&a6) + 12, 4);
        *out = ip_addr_from_ip4(a4);
        return 0;
    }
    if (ip6_addr_has_scope(&a6)) {
        if (zone < 0 || zone > 255) return SHOAL_EBADARG;
        if (zone == 0) {
            int n = 0;
            for (struct netif *q = netif_list(st); q != NULL; q = q->next) {
                n++;
                zone = q->index;
            }
            if (n != 1) return SHOAL_EBADARG;
        } else if (netif_find_by_index(st, (uint8_t)zone) == NULL) {
            return SHOAL_ENOTFOUND;
        }
        a6.zone = (uint8_t)zone;
    }
    *out = ip_addr_from_ip6(&a6);
    return 0;
}

static inline void binding_ip_out(const ip_addr_t *ip, int *family, uint8_t *addr16, int *zone)
{
    uint8_t b[16];
    memset(b, 0, sizeof(b));
    int fam = 4, z = 0;
    if (ip->type == IPADDR_TYPE_V4) {
        memcpy(b, &ip->u_addr.ip4.addr, 4);
    } else {
        fam = 6;
        ip6_addr_to_bytes(&ip->u_addr.ip6, b);
        if (ip->type == IPADDR_TYPE_V6 && ip6_addr_has_scope(&ip->u_addr.ip6)) z = ip->u_addr.ip6.zone;
    }
    if (family != NULL) *family = fam;
    if (addr16 != NULL) memcpy(addr16, b, 16);
    if (zone != NULL) *zone = z;
}

#endif
