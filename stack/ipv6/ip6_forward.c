/*
 * IPv6 forwarding between netifs (RFC 8200 3, RFC 4443 3): hop limit,
 * scope (RFC 4007, RFC 4291 2.5.6), the link MTU (routers never fragment,
 * RFC 8200 5), redirects (RFC 4861 8.2), and multicast to the netifs with
 * listeners (RFC 2710).
 */
#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/mld6_priv.h"

static void fwd_drop(struct stack *s, struct pbuf *p)
{
    STATS_INC(s, STATS_IP6, drop);
    pbuf_free(p);
}

void ip6_forward(struct pbuf *p, const struct ip6_rx_info *info)
{
    struct netif *in = info->netif;
    struct stack *s = in->stack;
    const struct ip6_repr *ip = &info->ip;
    /* RFC 4291 2.5.2, 2.5.6: an unspecified source or a link-local
     * destination never leaves the link. */
    if (ip6_addr_is_any(&ip->src) || ip6_addr_is_linklocal(&ip->dst) || ip6_addr_is_v4mapped(&ip->dst)) {
        STATS_INC(s, STATS_IP6, proterr);
        fwd_drop(s, p);
        return;
    }
    /* RFC 8200 3, RFC 4443 3.3: the hop limit would reach zero. */
    if (ip->hop_limit <= 1) {
        icmp6_send_error(s, in, p, ICMP6_TYPE_TIME_EXCEEDED, ICMP6_TE_HOP_LIMIT, 0);
        fwd_drop(s, p);
        return;
    }
    struct ip6_route_result rt;
    if (ip6_route(s, &ip->dst, &rt) != ERR_OK) {
        icmp6_send_error(s, in, p, ICMP6_TYPE_DEST_UNREACH, ICMP6_DU_NO_ROUTE, 0);
        STATS_DROP(s, STATS_IP6, rterr);
        pbuf_free(p);
        return;
    }
    /* RFC 4443 3.1 code 2: a link-local source cannot cross to another link. */
    if (ip6_addr_is_linklocal(&ip->src) && rt.netif != in) {
        icmp6_send_error(s, in, p, ICMP6_TYPE_DEST_UNREACH, ICMP6_DU_BEYOND_SCOPE, 0);
        STATS_DROP(s, STATS_IP6, rterr);
        pbuf_free(p);
        return;
    }
    /* RFC 8200 5, RFC 4443 3.2: too big for the next link: tell the source. */
    uint16_t mtu = rt.netif->nd6.link_mtu >= IP6_MIN_MTU ? rt.netif->nd6.link_mtu : (uint16_t)IP6_MIN_MTU;
    if (p->tot_len > mtu) {
        icmp6_send_error(s, in, p, ICMP6_TYPE_PACKET_TOO_BIG, 0, mtu);
        STATS_DROP(s, STATS_IP6, lenerr);
        pbuf_free(p);
        return;
    }
    /* RFC 4861 8.2: back out the link it came in on: a better first hop exists. */
    if (rt.netif == in) nd6_send_redirect(in, p, &rt.nexthop);
    uint8_t *h = p->payload;
    h[7] = (uint8_t)(ip->hop_limit - 1u);
    p->flags = 0;
    if (ip6_link_output(rt.netif, p, &rt.nexthop) == ERR_OK) STATS_INC(s, STATS_IP6, fw);
    pbuf_free(p);
}

void ip6_forward_multicast(struct pbuf *p, const struct ip6_rx_info *info)
{
    struct netif *in = info->netif;
    struct stack *s = in->stack;
    const struct ip6_repr *ip = &info->ip;
    /* RFC 4291 2.7: link-local (and smaller) scopes stay on the link; a
     * link-local or unspecified source cannot leave it either. */
    if (ip6_multicast_scope(&ip->dst) <= 2 || ip6_addr_is_linklocal(&ip->src) || ip6_addr_is_any(&ip->src)) return;
    if (ip->hop_limit <= 1) return; /* no error for multicast hop limit */
    bool too_big_sent = false;
    for (struct netif *n = s->netifs; n != NULL; n = n->next) {
        if (n == in || !n->nd6.enabled || !netif_is_up(n) || !mld6_router_has_listener(s, n, &ip->dst)) continue;
        uint16_t mtu = n->nd6.link_mtu >= IP6_MIN_MTU ? n->nd6.link_mtu : (uint16_t)IP6_MIN_MTU;
        if (p->tot_len > mtu) {
            /* RFC 4443 2.4 e.2: Packet Too Big is sent for multicast too. */
            if (!too_big_sent) icmp6_send_error(s, in, p, ICMP6_TYPE_PACKET_TOO_BIG, 0, mtu);
            too_big_sent = true;
            continue;
        }
        struct pbuf *q = pbuf_clone(s, PBUF_LINK, p);
        if (q == NULL) {
            STATS_DROP(s, STATS_IP6, memerr);
            continue;
        }
        uint8_t hl = (uint8_t)(ip->hop_limit - 1u);
        pbuf_take_at(q, &hl, 1, 7);
        ip6_addr_t group = ip->dst;
        group.zone = n->index;
        if (ip6_link_output(n, q, &group) == ERR_OK) STATS_INC(s, STATS_IP6, fw);
        pbuf_free(q);
    }
}
