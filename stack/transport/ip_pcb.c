/* The IPv6 output path shared by UDP, TCP and raw PCBs (ip_pcb.h). */
#include "transport/ip_pcb.h"
#include "shoal/ip6.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"

err_t ip_pcb_route6(struct stack *s, const ip_addr_t *local, const ip6_addr_t *dst, uint8_t netif_idx,
                    uint8_t mcast_netif_idx, struct ip_pcb_route6 *out)
{
    if (!SHOAL_IPV6) return ERR_RTE;
    out->netif = NULL;
    out->nexthop = *dst;
    if (ip6_addr_is_multicast(dst)) {
        uint8_t want = mcast_netif_idx ? mcast_netif_idx : netif_idx ? netif_idx : dst->zone;
        for (struct netif *n = netif_list(s); n != NULL && out->netif == NULL; n = n->next)
            if (netif_is_up(n) && (want == 0 || n->index == want)) out->netif = n;
    } else {
        struct ip6_route_result rt;
        if (ip6_route(s, dst, &rt) == ERR_OK) {
            out->netif = rt.netif;
            out->nexthop = rt.nexthop;
        }
        /* A PCB tied to one netif (SO_BINDTODEVICE) sends there, on-link
         * unless the route agrees. */
        if (netif_idx != 0 && (out->netif == NULL || out->netif->index != netif_idx)) {
            out->netif = netif_find_by_index(s, netif_idx);
            out->nexthop = *dst;
        }
    }
    if (out->netif == NULL) return ERR_RTE;
    if (local != NULL && local->type == IPADDR_TYPE_V6 && !ip6_addr_is_any(&local->u_addr.ip6)) {
        out->src = local->u_addr.ip6;
        return ERR_OK;
    }
    /* RFC 6724 5: the source follows the destination and the outgoing netif. */
    return ip6_select_source(out->netif, dst, &out->src);
}

err_t ip_pcb_output6(const struct ip_pcb_route6 *rt, struct pbuf *p, const ip6_addr_t *dst, uint8_t hop_limit,
                     uint8_t tclass, uint8_t proto)
{
    if (!SHOAL_IPV6) return ERR_RTE;
    return ip6_output_nexthop(rt->netif, p, &rt->src, dst, &rt->nexthop, hop_limit, tclass, proto);
}
