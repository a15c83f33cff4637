/* Forwarding between interfaces (RFC 1812 5.2 and 5.3): TTL, the checks a
 * router must make, ICMP errors back to the source. Fragmentation of
 * forwarded datagrams comes with the fragmentation module. */
#include "shoal/ip4.h"
#include "shoal/icmp.h"
#include "shoal/netif.h"
#include "shoal/etharp.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/features.h"

/* RFC 1812 5.3.7 / 4.2.2.11: addresses a router never forwards from or
 * to; RFC 3927 2.7: nor link-local 169.254/16. */
static bool martian(const ip4_addr_t *a)
{
    uint32_t v = ip4_addr_to_u32(*a);
    return (v >> 24) == 0 || (v >> 24) == 127 || (v >> 28) == 0xf || (v >> 16) == 0xa9feu;
}

void ip4_forward(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    const struct ip4_repr *ip = &info->ip;
    /* The payload after the header, for ICMP errors that quote it. */
    struct ip4_rx_info rx = *info;
    if (martian(&ip->src) || martian(&ip->dst) || ip4_addr_is_limited_broadcast(&ip->dst)) {
        STATS_DROP(s, STATS_IP4, proterr);
        pbuf_free(p);
        return;
    }
    /* RFC 1812 5.3.7 with 4.2.2.11: a source that is a directed broadcast of
     * any connected subnet is not a host. */
    for (struct netif *n = netif_list(s); n != NULL; n = n->next) {
        if (n->ip4.addr != 0 && netif_is_ip4_broadcast(n, &ip->src)) {
            STATS_DROP(s, STATS_IP4, proterr);
            pbuf_free(p);
            return;
        }
    }
    struct ip4_route_result rt;
    if (ip4_route(s, &ip->dst, &rt) != ERR_OK) {
        pbuf_remove_header(p, ip->ihl_bytes);
        icmp_dest_unreach(p, &rx, ICMP_DUR_NET);
        STATS_DROP(s, STATS_IP4, rterr);
        pbuf_free(p);
        return;
    }
    /* A directed broadcast of the outgoing subnet is not forwarded by default
     * (RFC 2644), and draws no ICMP error (RFC 1812 4.3.2.7): checked before
     * the TTL. */
    if (netif_is_ip4_broadcast(rt.netif, &ip->dst)) {
        STATS_INC(s, STATS_IP4, drop);
        pbuf_free(p);
        return;
    }
    /* RFC 1812 5.3.1: a datagram whose TTL would reach zero is answered with
     * time exceeded, not forwarded. */
    if (ip->ttl <= 1) {
        pbuf_remove_header(p, ip->ihl_bytes);
        icmp_error(p, &rx, ICMP_TIME_EXCEEDED, ICMP_TE_TTL, 0);
        STATS_INC(s, STATS_IP4, drop);
        pbuf_free(p);
        return;
    }
    if (p->tot_len > rt.netif->mtu) {
        pbuf_remove_header(p, ip->ihl_bytes);
        if (ip->flags_offset & IP4_FLAG_DF) {
            /* RFC 1191 / RFC 1812 5.2.7.1: with DF, tell the source the MTU. */
            icmp_error(p, &rx, ICMP_DEST_UNREACH, ICMP_DUR_FRAG, rt.netif->mtu);
            STATS_DROP(s, STATS_IP4, err);
        } else {
            /* RFC 1812 5.2.6: fragment it (options are not copied: our
             * fragments carry a plain 20-byte header). */
            struct ip4_repr fr = *ip;
            fr.ttl = (uint8_t)(ip->ttl - 1u);
            if (feat_ip4_frag_output(rt.netif, p, &fr, &rt.nexthop) == ERR_OK) STATS_INC(s, STATS_IP4, fw);
        }
        pbuf_free(p);
        return;
    }
    /* Decrement TTL and patch the checksum (RFC 1624). */
    uint8_t *h = p->payload;
    uint16_t old_word = rd16be(h + 8);
    h[8] = (uint8_t)(ip->ttl - 1u);
    uint16_t new_word = rd16be(h + 8);
    wr16be(h + 10, chksum_adjust16(rd16be(h + 10), old_word, new_word));
    if (ip4_link_output(rt.netif, p, &rt.nexthop) == ERR_OK) STATS_INC(s, STATS_IP4, fw);
    pbuf_free(p);
}
