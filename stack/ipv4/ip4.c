/* IPv4 input and output (RFC 791; host rules of RFC 1122 3.2.1, 3.3). */
#include <string.h>

#include "shoal/ip4.h"
#include "shoal/icmp.h"
#include "shoal/udp.h"
#include "shoal/tcp.h"
#include "shoal/igmp.h"
#include "shoal/raw.h"
#include "shoal/netif.h"
#include "shoal/etharp.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/ip4_frag_priv.h"
#include "ipv4/igmp_priv.h"
#include "ipv4/features.h"

#define IP4_OPT_EOL 0u
#define IP4_OPT_NOP 1u

/* RFC 791 3.1: options are EOL, NOP, or type-length-value with length >= 2
 * that stays within the header. */
static bool options_valid(const uint8_t *opt, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t type = opt[i];
        if (type == IP4_OPT_EOL) break;
        if (type == IP4_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len) return false;
        uint8_t olen = opt[i + 1];
        if (olen < 2 || olen > len - i) return false;
        i += olen;
    }
    return true;
}

enum ip4_parse_result ip4_parse(const uint8_t *p, size_t len, bool check_sum, struct ip4_repr *out)
{
    if (p == NULL || len < IP4_HDR_LEN) return IP4_ERR_LEN;
    if ((p[0] >> 4) != 4) return IP4_ERR_VERSION;
    size_t ihl = (size_t)(p[0] & 0x0fu) * 4u;
    if (ihl < IP4_HDR_LEN) return IP4_ERR_IHL;
    size_t total = rd16be(p + 2);
    if (ihl > len || total < ihl || total > len) return IP4_ERR_LEN;
    if (check_sum && inet_chksum(p, ihl) != 0) return IP4_ERR_CHECKSUM;
    if (!options_valid(p + IP4_HDR_LEN, ihl - IP4_HDR_LEN)) return IP4_ERR_OPTIONS;
    out->ihl_bytes = (uint8_t)ihl;
    out->tos = p[1];
    out->total_len = (uint16_t)total;
    out->id = rd16be(p + 4);
    out->flags_offset = rd16be(p + 6);
    out->ttl = p[8];
    out->proto = p[9];
    memcpy(&out->src.addr, p + 12, 4);
    memcpy(&out->dst.addr, p + 16, 4);
    return IP4_OK;
}

void ip4_emit(const struct ip4_repr *r, uint8_t *p)
{
    p[0] = 0x45;
    p[1] = r->tos;
    wr16be(p + 2, r->total_len);
    wr16be(p + 4, r->id);
    wr16be(p + 6, r->flags_offset);
    p[8] = r->ttl;
    p[9] = r->proto;
    wr16be(p + 10, 0);
    memcpy(p + 12, &r->src.addr, 4);
    memcpy(p + 16, &r->dst.addr, 4);
    wr16be(p + 10, inet_chksum(p, IP4_HDR_LEN));
}

bool ip4_is_local_addr(struct stack *s, const ip4_addr_t *addr)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        if (netif_is_up(n) && n->ip4.addr != 0 && n->ip4.addr == addr->addr) return true;
    return false;
}

/* Is a packet to dst, received on netif, for this host? (RFC 1122 3.3.4.2:
 * the weak host model: any of our addresses on any interface.) */
static bool accept_dst(struct stack *s, struct netif *netif, const ip4_addr_t *dst, bool *bcast)
{
    *bcast = false;
    if (ip4_addr_is_multicast(dst)) return feat_igmp_is_member(netif, dst); /* RFC 1112 6 */
    if (netif_is_ip4_broadcast(netif, dst)) {
        *bcast = true;
        return true;
    }
    return ip4_is_local_addr(s, dst);
}

static bool invalid_source(struct stack *s, struct netif *netif, const ip4_addr_t *src)
{
    (void)s;
    /* RFC 1122 3.2.1.3: a broadcast or multicast source is never valid. */
    return ip4_addr_is_limited_broadcast(src) || ip4_addr_is_multicast(src) || netif_is_ip4_broadcast(netif, src);
}

void ip4_input(struct pbuf *p, struct netif *netif)
{
    struct stack *s = netif->stack;
    const uint8_t *hdr = pbuf_contig(p, IP4_HDR_LEN);
    /* The whole header must be contiguous to be parsed in place. */
    if (hdr != NULL && p->len < (size_t)(hdr[0] & 0x0fu) * 4u) hdr = NULL;
    struct ip4_rx_info info;
    memset(&info, 0, sizeof(info));
    switch (hdr == NULL ? IP4_ERR_LEN : ip4_parse(hdr, p->tot_len, true, &info.ip)) {
    case IP4_OK: break;
    case IP4_ERR_VERSION: STATS_DROP(s, STATS_IP4, proterr); pbuf_free(p); return;
    case IP4_ERR_LEN:
    case IP4_ERR_IHL: STATS_DROP(s, STATS_IP4, lenerr); pbuf_free(p); return;
    case IP4_ERR_OPTIONS: STATS_DROP(s, STATS_IP4, opterr); pbuf_free(p); return;
    case IP4_ERR_CHECKSUM: STATS_DROP(s, STATS_IP4, chkerr); pbuf_free(p); return;
    }
    /* Link-layer padding after the datagram is not part of it. */
    pbuf_realloc(p, info.ip.total_len);

    if (invalid_source(s, netif, &info.ip.src)) {
        STATS_DROP(s, STATS_IP4, proterr);
        pbuf_free(p);
        return;
    }
    bool bcast;
    bool for_us = accept_dst(s, netif, &info.ip.dst, &bcast);
    /* A DHCP client without an address yet must hear offers unicast to the
     * address it is being offered (RFC 2131 4.1; lwIP does the same). */
    if (!for_us && netif->ip4.addr == 0 && info.ip.proto == IP_PROTO_UDP &&
        (info.ip.flags_offset & (IP4_FLAG_MF | IP4_OFFSET_MASK)) == 0 && p->tot_len >= info.ip.ihl_bytes + 4u &&
        pbuf_try_get_at(p, info.ip.ihl_bytes + 2u) == 0 && pbuf_try_get_at(p, info.ip.ihl_bytes + 3u) == 68)
        for_us = true;
    bool ll_bcast = (p->flags & (PBUF_FLAG_LL_BROADCAST | PBUF_FLAG_LL_MULTICAST)) != 0;
    /* RFC 1122 3.3.6: a link-layer broadcast must carry an IP broadcast or
     * multicast destination; anything else is silently discarded. */
    if (ll_bcast && !bcast && !ip4_addr_is_multicast(&info.ip.dst)) {
        STATS_INC(s, STATS_IP4, drop);
        pbuf_free(p);
        return;
    }
    if (s->cfg.ip_forwarding && ip4_addr_is_multicast(&info.ip.dst)) {
        /* A multicast router copies the datagram on, and keeps it if it is a member. */
        info.netif = netif;
        info.hdr = hdr;
        feat_igmp_router_forward(p, &info);
        /* IGMP itself always reaches the router side. */
        if (info.ip.proto == IP_PROTO_IGMP) for_us = true;
    }
    if (!for_us) {
        info.netif = netif;
        info.hdr = hdr;
        if (s->cfg.ip_forwarding && !ip4_addr_is_multicast(&info.ip.dst) && feat_ip4_forward(p, &info)) return;
        STATS_INC(s, STATS_IP4, drop); /* not for us, and we are a host */
        pbuf_free(p);
        return;
    }
    info.netif = netif;
    info.hdr = hdr;
    if ((info.ip.flags_offset & (IP4_FLAG_MF | IP4_OFFSET_MASK)) != 0) {
        p = feat_ip4_reass(p, &info);
        if (p == NULL) return; /* held for the rest, or dropped */
    }
    STATS_INC(s, STATS_IP4, recv);
    info.dst_broadcast = bcast;
    info.dst_multicast = ip4_addr_is_multicast(&info.ip.dst);
    pbuf_remove_header(p, info.ip.ihl_bytes);

    if (raw_input(p, &info)) return;
    switch (info.ip.proto) {
    case IP_PROTO_ICMP: icmp_input(p, &info); return;
    case IP_PROTO_UDP:
    case IP_PROTO_UDPLITE: udp_input(p, &info); return;
    case IP_PROTO_TCP: tcp_input(p, &info); return;
    case IP_PROTO_IGMP: feat_igmp_input(p, &info); return;
    default:
        /* RFC 1122 3.2.2.1: protocol unreachable for an unknown protocol. */
        STATS_DROP(s, STATS_IP4, proterr);
        icmp_dest_unreach(p, &info, ICMP_DUR_PROTO);
        pbuf_free(p);
        return;
    }
}

err_t ip4_output_nexthop(struct netif *netif, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst,
                         const ip4_addr_t *nexthop, uint8_t ttl, uint8_t tos, uint8_t proto)
{
    struct stack *s = netif->stack;
    if (!netif_is_up(netif)) {
        STATS_DROP(s, STATS_IP4, rterr);
        return ERR_RTE;
    }
    bool fragment = p->tot_len + IP4_HDR_LEN > netif->mtu;
    if (fragment && p->tot_len + IP4_HDR_LEN > 0xffffu) {
        STATS_DROP(s, STATS_IP4, lenerr);
        return ERR_VAL;
    }
    if (!fragment && pbuf_add_header(p, IP4_HDR_LEN) != ERR_OK) {
        STATS_DROP(s, STATS_IP4, err);
        return ERR_BUF;
    }
    struct ip4_repr r = {
        .ihl_bytes = IP4_HDR_LEN,
        .tos = tos,
        .total_len = (uint16_t)(fragment ? p->tot_len + IP4_HDR_LEN : p->tot_len),
        .id = s->ip4_next_id++,
        .flags_offset = 0,
        .ttl = ttl,
        .proto = proto,
        .src = (src != NULL && src->addr != 0) ? *src : netif->ip4,
        .dst = *dst,
    };
    if (fragment) {
        /* RFC 791 3.2: too big for the link: send it in fragments. */
        err_t ferr = feat_ip4_frag_output(netif, p, &r, nexthop);
        if (ferr == ERR_OK) STATS_INC(s, STATS_IP4, xmit);
        return ferr;
    }
    ip4_emit(&r, p->payload);
    err_t err = ip4_link_output(netif, p, nexthop);
    if (err == ERR_OK) STATS_INC(s, STATS_IP4, xmit);
    pbuf_remove_header(p, IP4_HDR_LEN);
    return err;
}

err_t ip4_link_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *nexthop)
{
    if (netif->kind == NETIF_ETHERNET) return etharp_output(netif, p, nexthop);
    return netif->linkoutput != NULL ? netif->linkoutput(netif, p) : ERR_IF;
}

err_t ip4_output_opts(struct netif *netif, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst,
                      const ip4_addr_t *nexthop, uint8_t ttl, uint8_t tos, uint8_t proto, const uint8_t *opts,
                      size_t opts_len)
{
    struct stack *s = netif->stack;
    size_t hlen = IP4_HDR_LEN + opts_len;
    if (opts_len % 4u != 0 || hlen > IP4_MAX_HDR_LEN || p->tot_len + hlen > netif->mtu) return ERR_VAL;
    if (!netif_is_up(netif)) return ERR_RTE;
    if (pbuf_add_header(p, hlen) != ERR_OK) return ERR_BUF;
    uint8_t *h = p->payload;
    struct ip4_repr r = {.ihl_bytes = IP4_HDR_LEN, .tos = tos, .total_len = (uint16_t)p->tot_len,
                         .id = s->ip4_next_id++, .ttl = ttl, .proto = proto,
                         .src = (src != NULL && src->addr != 0) ? *src : netif->ip4, .dst = *dst};
    ip4_emit(&r, h);
    h[0] = (uint8_t)(0x40u | (hlen / 4u));
    memcpy(h + IP4_HDR_LEN, opts, opts_len);
    wr16be(h + 10, 0);
    wr16be(h + 10, inet_chksum(h, hlen));
    err_t err = ip4_link_output(netif, p, nexthop);
    if (err == ERR_OK) STATS_INC(s, STATS_IP4, xmit);
    pbuf_remove_header(p, hlen);
    return err;
}

err_t ip4_output_if(struct netif *netif, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst, uint8_t ttl,
                    uint8_t tos, uint8_t proto)
{
    return ip4_output_nexthop(netif, p, src, dst, dst, ttl, tos, proto);
}

err_t ip4_output(struct stack *s, struct pbuf *p, const ip4_addr_t *src, const ip4_addr_t *dst, uint8_t ttl,
                 uint8_t tos, uint8_t proto)
{
    struct ip4_route_result rt;
    if (ip4_route(s, dst, &rt) != ERR_OK) {
        STATS_DROP(s, STATS_IP4, rterr);
        return ERR_RTE;
    }
    return ip4_output_nexthop(rt.netif, p, src, dst, &rt.nexthop, ttl, tos, proto);
}
