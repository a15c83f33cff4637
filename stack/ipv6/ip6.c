/*
 * IPv6 input and output (RFC 8200): the fixed header, the extension header
 * chain, delivery to the upper layers, source selection (RFC 6724) and the
 * hand-off to the link (RFC 2464 7, RFC 4861 7.2).
 */
#include <string.h>

#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/ethernet.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/ip6_frag_priv.h"
#include "ipv6/ip6_upper.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/mld6_priv.h"

#define IP6_OPT_PAD1 0x00u
#define IP6_OPT_PADN 0x01u
#define IP6_OPT_ROUTER_ALERT 0x05u /* RFC 2711 */

enum ip6_parse_result ip6_parse(const uint8_t *p, size_t len, struct ip6_repr *out)
{
    if (p == NULL || len < IP6_HDR_LEN) return IP6_ERR_LEN;
    if ((p[0] >> 4) != 6) return IP6_ERR_VERSION;
    uint16_t plen = rd16be(p + 4);
    if ((size_t)plen > len - IP6_HDR_LEN) return IP6_ERR_LEN;
    out->tclass = (uint8_t)((p[0] << 4) | (p[1] >> 4));
    out->flow = ((uint32_t)(p[1] & 0x0fu) << 16) | rd16be(p + 2);
    out->payload_len = plen;
    out->next_header = p[6];
    out->hop_limit = p[7];
    ip6_addr_from_bytes(&out->src, p + 8);
    ip6_addr_from_bytes(&out->dst, p + 24);
    return IP6_OK;
}

void ip6_emit(const struct ip6_repr *r, uint8_t *p)
{
    p[0] = (uint8_t)(0x60u | (r->tclass >> 4));
    p[1] = (uint8_t)((r->tclass << 4) | ((r->flow >> 16) & 0x0fu));
    wr16be(p + 2, (uint16_t)r->flow);
    wr16be(p + 4, r->payload_len);
    p[6] = r->next_header;
    p[7] = r->hop_limit;
    ip6_addr_to_bytes(&r->src, p + 8);
    ip6_addr_to_bytes(&r->dst, p + 24);
}

/* RFC 8200 4.2: the options of a hop-by-hop or destination options header
 * at hdr[off .. off+hlen). Returns false when the packet is to be discarded
 * or answered (out filled), true to go on. */
static bool walk_options(const uint8_t *hdr, uint32_t off, uint32_t hlen, bool is_hbh, struct ip6_ext_result *out)
{
    uint32_t i = off + 2u, end = off + hlen;
    while (i < end) {
        uint8_t type = hdr[i];
        if (type == IP6_OPT_PAD1) {
            i++;
            continue;
        }
        /* Every other option is type, length, data, inside the header. */
        if (i + 2u > end || i + 2u + hdr[i + 1] > end) {
            out->verdict = IP6_EXT_DISCARD;
            return false;
        }
        uint32_t olen = 2u + hdr[i + 1];
        if (type == IP6_OPT_PADN) {
            i += olen;
            continue;
        }
        if (type == IP6_OPT_ROUTER_ALERT && is_hbh) {
            out->router_alert = true;
            i += olen;
            continue;
        }
        /* Unrecognised: the two high-order bits of the type decide. */
        switch (type >> 6) {
        case 0: break; /* 00: skip over it */
        case 1: out->verdict = IP6_EXT_DISCARD; return false;
        case 2:
        case 3:
            /* 10: always a parameter problem (even to multicast); 11: only
             * when the destination was not multicast. */
            out->verdict = IP6_EXT_PARAM_PROB;
            out->icmp_code = ICMP6_PP_OPTION;
            out->pointer = i;
            out->icmp_if_unicast = (type >> 6) == 3;
            return false;
        }
        i += olen;
    }
    return true;
}

void ip6_ext_walk(const uint8_t *hdr, size_t hdr_len, bool dst_multicast, struct ip6_ext_result *out)
{
    /* Actions 10 and 11 both yield a parameter problem verdict; icmp_if_unicast
     * tells the caller, who knows the destination, whether to send it. */
    (void)dst_multicast;
    memset(out, 0, sizeof(*out));
    if (hdr == NULL || hdr_len < IP6_HDR_LEN) {
        out->verdict = IP6_EXT_DISCARD;
        return;
    }
    uint32_t len = hdr_len > 0xffffffu ? 0xffffffu : (uint32_t)hdr_len;
    uint8_t nh = hdr[6];
    uint32_t nh_field = 6; /* where the Next Header naming `nh` sits */
    uint32_t off = IP6_HDR_LEN;
    for (unsigned count = 0;; count++) {
        out->nh = nh;
        out->offset = off;
        out->pointer = nh_field;
        switch (nh) {
        case IP6_NH_NONE: out->verdict = IP6_EXT_NONE; return; /* RFC 8200 4.7 */
        case IP6_NH_FRAGMENT:
            out->verdict = off + 8u <= len ? IP6_EXT_FRAGMENT : IP6_EXT_DISCARD;
            return;
        case IP6_NH_HOPOPTS:
        case IP6_NH_DSTOPTS:
        case IP6_NH_ROUTING: break;
        default: out->verdict = IP6_EXT_UPPER; return;
        }
        if (count >= IP6_EXT_MAX) {
            out->verdict = IP6_EXT_DISCARD; /* a bounded walk: more headers than any honest packet */
            return;
        }
        /* RFC 8200 4.1: hop-by-hop only right after the fixed header. */
        if (nh == IP6_NH_HOPOPTS && off != IP6_HDR_LEN) {
            out->verdict = IP6_EXT_PARAM_PROB;
            out->icmp_code = ICMP6_PP_NEXT_HEADER;
            return;
        }
        if (off + 2u > len || off + ((uint32_t)hdr[off + 1] + 1u) * 8u > len) {
            out->verdict = IP6_EXT_DISCARD;
            return;
        }
        uint32_t hlen = ((uint32_t)hdr[off + 1] + 1u) * 8u;
        if (nh == IP6_NH_HOPOPTS) out->hbh_count++;
        if (nh == IP6_NH_ROUTING) {
            /* RFC 8200 4.4: we know no routing type (type 0 is deprecated,
             * RFC 5095 3): with segments left, a parameter problem at the
             * type; without, ignore the header. */
            if (hdr[off + 3] != 0) {
                out->verdict = IP6_EXT_PARAM_PROB;
                out->icmp_code = ICMP6_PP_FIELD;
                out->pointer = off + 2u;
                return;
            }
        } else if (!walk_options(hdr, off, hlen, nh == IP6_NH_HOPOPTS, out)) {
            return;
        }
        nh_field = off;
        nh = hdr[off];
        off += hlen;
    }
}

bool ip6_is_local_addr(struct stack *s, const ip6_addr_t *addr)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++)
            if (netif_ip6_usable(&n->ip6[i]) && ip6_addr_eq(&n->ip6[i].addr, addr)) return true;
    return false;
}

#if SHOAL_IP6_FORWARD
/* One of our addresses in any state (tentative, duplicated too). */
static bool is_any_own_addr(struct stack *s, const ip6_addr_t *addr)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++)
            if (n->ip6[i].state != NETIF_IP6_INVALID && ip6_addr_eq(&n->ip6[i].addr, addr)) return true;
    return false;
}
#endif

/* RFC 6724 3.1: scope of an address, multicast by its field. */
static unsigned addr_scope(const ip6_addr_t *a)
{
    if (ip6_addr_is_multicast(a)) return ip6_multicast_scope(a);
    if (ip6_addr_is_linklocal(a) || ip6_addr_is_loopback(a)) return 2;
    return 0xe;
}

err_t ip6_select_source(struct netif *netif, const ip6_addr_t *dst, ip6_addr_t *out)
{
    unsigned dscope = addr_scope(dst);
    const struct netif_ip6_addr *best = NULL;
    for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++) {
        const struct netif_ip6_addr *c = &netif->ip6[i];
        if (!netif_ip6_usable(c)) continue; /* never tentative or duplicated (RFC 4862 5.4) */
        unsigned cs = addr_scope(&c->addr);
        if (ip6_addr_eq(&c->addr, dst)) { /* rule 1 */
            best = c;
            break;
        }
        if (best == NULL) {
            best = c;
            continue;
        }
        unsigned bs = addr_scope(&best->addr);
        if (bs != cs) { /* rule 2: the smallest scope that still covers dst, else the largest */
            bool take = bs < cs ? bs < dscope : cs >= dscope;
            if (take) best = c;
            continue;
        }
        bool bdep = best->state == NETIF_IP6_DEPRECATED, cdep = c->state == NETIF_IP6_DEPRECATED;
        if (bdep != cdep) { /* rule 3 */
            if (bdep) best = c;
            continue;
        }
        /* Rule 5 holds by construction (only netif's addresses); rule 8. */
        if (ip6_addr_common_prefix(&c->addr, dst) > ip6_addr_common_prefix(&best->addr, dst)) best = c;
    }
    if (best == NULL) return ERR_RTE;
    *out = best->addr;
    out->zone = ip6_addr_has_scope(out) ? netif->index : 0;
    return ERR_OK;
}

/* Should netif accept a packet to dst (RFC 4291 2.7, RFC 4862 5.4)? */
static bool accept_dst(struct stack *s, struct netif *netif, const ip6_addr_t *dst)
{
    if (ip6_addr_is_multicast(dst)) return mld6_is_member(netif, dst);
    return ip6_is_local_addr(s, dst); /* the weak host model; link-local only by its zone */
}

#if SHOAL_IP6_FORWARD
/* A multicast router hears every MLD message, whatever group it is sent to
 * (RFC 2710 4: routers listen to all multicast addresses). */
static bool is_mld(const struct pbuf *p)
{
    struct ip6_ext_result ext;
    ip6_ext_walk(p->payload, SHOAL_MIN(p->len, p->tot_len), true, &ext);
    if (ext.verdict != IP6_EXT_UPPER || ext.nh != IP6_NH_ICMP6) return false;
    int type = pbuf_try_get_at(p, ext.offset);
    return type == ICMP6_TYPE_MLD_QUERY || type == ICMP6_TYPE_MLD_REPORT || type == ICMP6_TYPE_MLD_DONE ||
           type == ICMP6_TYPE_MLD2_REPORT;
}
#endif

static void drop(struct pbuf *p, struct stack *s)
{
    STATS_INC(s, STATS_IP6, drop);
    pbuf_free(p);
}

/* p's payload at the IPv6 header: answer with a parameter problem, drop. */
static void param_problem(struct pbuf *p, struct netif *netif, const struct ip6_ext_result *ext, bool dst_multicast)
{
    struct stack *s = netif->stack;
    if (!ext->icmp_if_unicast || !dst_multicast)
        icmp6_send_error(s, netif, p, ICMP6_TYPE_PARAM_PROBLEM, ext->icmp_code, ext->pointer);
    if (ext->icmp_code == ICMP6_PP_OPTION)
        STATS_DROP(s, STATS_IP6, opterr);
    else
        STATS_DROP(s, STATS_IP6, proterr);
    pbuf_free(p);
}

static void deliver(struct pbuf *p, struct ip6_rx_info *info, uint32_t nh_field)
{
    struct stack *s = info->netif->stack;
    STATS_INC(s, STATS_IP6, recv);
    pbuf_remove_header(p, info->hdr_len);
    if (raw_input_ip6(p, info)) return;
    switch (info->proto) {
    case IP6_NH_ICMP6: icmp6_input(p, info); return;
    case IP6_NH_UDP:
    case IP6_NH_UDPLITE: udp_input_ip6(p, info); return;
    case IP6_NH_TCP: tcp_input_ip6(p, info); return;
    default: {
        /* RFC 8200 4: an unknown Next Header draws a parameter problem, code
         * 1, at the field that named it. */
        struct ip6_ext_result ext = {.icmp_code = ICMP6_PP_NEXT_HEADER, .pointer = nh_field};
        pbuf_add_header(p, info->hdr_len);
        param_problem(p, info->netif, &ext, info->dst_multicast);
        return;
    }
    }
}

/* The calls into optional features (opt.h), no-ops when left out. */
static struct pbuf *feat_reass(struct pbuf *p, struct netif *netif, uint32_t frag_offset)
{
#if SHOAL_IP6_FRAG
    return ip6_reass(p, netif, frag_offset);
#else
    (void)frag_offset;
    STATS_INC(netif->stack, STATS_IP6_FRAG, drop); /* fragments are dropped */
    drop(p, netif->stack);
    return NULL;
#endif
}

/* Forward a unicast packet not for us; false (p untouched) when we do not. */
static bool feat_forward(struct pbuf *p, struct ip6_rx_info *info)
{
#if SHOAL_IP6_FORWARD
    /* Not for a tentative or duplicated address of ours either (RFC 4862 5.4). */
    if (is_any_own_addr(info->netif->stack, &info->ip.dst)) return false;
    ip6_forward(p, info);
    return true;
#else
    (void)p, (void)info;
    return false;
#endif
}

/* Copy a multicast packet on to other links; true when a router must also
 * take it in (MLD). */
static bool feat_forward_multicast(struct pbuf *p, struct ip6_rx_info *info)
{
#if SHOAL_IP6_FORWARD
    ip6_forward_multicast(p, info);
    return is_mld(p);
#else
    (void)p, (void)info;
    return false;
#endif
}

void ip6_input(struct pbuf *p, struct netif *netif)
{
    struct stack *s = netif->stack;
    if (!netif->nd6.enabled) { /* IPv6 is off on this netif */
        STATS_DROP(s, STATS_IP6, proterr);
        pbuf_free(p);
        return;
    }
    struct ip6_rx_info info;
    memset(&info, 0, sizeof(info));
    info.netif = netif;
    switch (ip6_parse(pbuf_contig(p, IP6_HDR_LEN), p->tot_len, &info.ip)) {
    case IP6_OK: break;
    case IP6_ERR_VERSION: STATS_DROP(s, STATS_IP6, proterr); pbuf_free(p); return;
    case IP6_ERR_LEN: STATS_DROP(s, STATS_IP6, lenerr); pbuf_free(p); return;
    }
    /* Link-layer padding after the packet is not part of it. */
    pbuf_realloc(p, IP6_HDR_LEN + (size_t)info.ip.payload_len);
    const ip6_addr_t *src = &info.ip.src, *dst = &info.ip.dst;
    /* RFC 4291 2.7: never a multicast source; 2.5.3: loopback never on a
     * link; 2.7: multicast scope 0 is reserved and interface-local scope
     * never leaves the node. */
    if (ip6_addr_is_multicast(src) || ip6_addr_is_loopback(src) || ip6_addr_is_loopback(dst) ||
        (ip6_addr_is_multicast(dst) && ip6_multicast_scope(dst) <= 1)) {
        STATS_DROP(s, STATS_IP6, proterr);
        pbuf_free(p);
        return;
    }
    /* RFC 4007 6: scoped addresses belong to the zone they arrived in. */
    if (ip6_addr_has_scope(src)) info.ip.src.zone = netif->index;
    if (ip6_addr_has_scope(dst)) info.ip.dst.zone = netif->index;
    info.dst_multicast = ip6_addr_is_multicast(dst);
    info.hdr = p->payload;
    bool for_us = accept_dst(s, netif, dst);
    if (s->cfg.ip_forwarding && info.dst_multicast && feat_forward_multicast(p, &info)) for_us = true;
    if (!for_us) {
        if (!s->cfg.ip_forwarding || info.dst_multicast || !feat_forward(p, &info)) drop(p, s);
        return;
    }
    bool reassembled = false;
    for (;;) {
        struct ip6_ext_result ext;
        /* The chain must lie in the first segment (whole frames always do). */
        ip6_ext_walk(p->payload, SHOAL_MIN(p->len, p->tot_len), info.dst_multicast, &ext);
        switch (ext.verdict) {
        case IP6_EXT_DISCARD:
            /* A chain cut short by the packet's end, or an option asking it. */
            STATS_DROP(s, STATS_IP6, opterr);
            pbuf_free(p);
            return;
        case IP6_EXT_PARAM_PROB: param_problem(p, netif, &ext, info.dst_multicast); return;
        case IP6_EXT_NONE:
            STATS_INC(s, STATS_IP6, recv); /* RFC 8200 4.7: nothing follows */
            pbuf_free(p);
            return;
        case IP6_EXT_FRAGMENT:
            if (reassembled) { /* a fragment header inside a reassembled packet */
                STATS_INC(s, STATS_IP6_FRAG, drop);
                drop(p, s);
                return;
            }
            p = feat_reass(p, netif, ext.offset);
            if (p == NULL) return; /* held for the rest, or dropped */
            reassembled = true;
            info.hdr = p->payload;
            info.ip.payload_len = (uint16_t)(p->tot_len - IP6_HDR_LEN);
            continue;
        case IP6_EXT_UPPER:
            info.proto = ext.nh;
            info.hdr_len = (uint16_t)ext.offset;
            info.router_alert = ext.router_alert;
            deliver(p, &info, ext.pointer);
            return;
        }
    }
}

err_t ip6_link_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop)
{
    struct stack *s = netif->stack;
    err_t err;
    if (netif->kind == NETIF_POINT_TO_POINT) {
        err = netif->linkoutput != NULL ? netif->linkoutput(netif, p) : ERR_IF;
    } else if (ip6_addr_is_multicast(nexthop)) {
        /* RFC 2464 7: 33:33 and the group's last 32 bits. */
        struct eth_addr mac = {{0x33, 0x33, ip6_addr_byte(nexthop, 12), ip6_addr_byte(nexthop, 13),
                                ip6_addr_byte(nexthop, 14), ip6_addr_byte(nexthop, 15)}};
        struct eth_addr own;
        memcpy(own.addr, netif->hwaddr, ETH_HWADDR_LEN);
        err = ethernet_output(netif, p, &own, &mac, ETHTYPE_IP6);
    } else {
        err = nd6_output(netif, p, nexthop);
    }
    if (err == ERR_OK) STATS_INC(s, STATS_IP6, xmit);
    return err;
}

static err_t feat_frag_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop, uint16_t mtu)
{
#if SHOAL_IP6_FRAG
    return ip6_frag_output(netif, p, nexthop, mtu);
#else
    (void)p, (void)nexthop, (void)mtu;
    STATS_DROP(netif->stack, STATS_IP6, lenerr); /* too big, and no fragmentation */
    return ERR_VAL;
#endif
}

/* The path MTU for a packet out of netif to dst. */
static uint16_t out_mtu(struct stack *s, struct netif *netif, const ip6_addr_t *dst)
{
    uint16_t mtu = netif->nd6.link_mtu >= IP6_MIN_MTU ? netif->nd6.link_mtu : IP6_MIN_MTU;
    if (ip6_addr_is_multicast(dst)) return mtu;
    uint16_t pmtu = ip6_path_mtu(s, dst);
    return pmtu < mtu ? pmtu : mtu;
}

err_t ip6_output_nexthop(struct netif *netif, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst,
                         const ip6_addr_t *nexthop, uint8_t hop_limit, uint8_t tclass, uint8_t proto)
{
    struct stack *s = netif->stack;
    if (!netif_is_up(netif) || !netif->nd6.enabled) {
        STATS_DROP(s, STATS_IP6, rterr);
        return ERR_RTE;
    }
    if (p->tot_len > 0xffffu) {
        STATS_DROP(s, STATS_IP6, lenerr);
        return ERR_VAL;
    }
    struct ip6_repr r = {
        .tclass = tclass,
        .payload_len = (uint16_t)p->tot_len,
        .next_header = proto,
        .hop_limit = hop_limit != 0 ? hop_limit
                     : netif->nd6.cur_hop_limit != 0 ? netif->nd6.cur_hop_limit
                                                     : (uint8_t)IP6_DEFAULT_HOP_LIMIT,
        .dst = *dst,
    };
    if (src != NULL) {
        r.src = *src;
    } else if (ip6_select_source(netif, dst, &r.src) != ERR_OK) {
        STATS_DROP(s, STATS_IP6, rterr);
        return ERR_RTE;
    }
    /* icmp6.xmit counts every ICMPv6 message sent, ND's and MLD's (behind
     * their hop-by-hop header) too, as icmp6.recv counts every one received. */
    bool is_icmp6 = proto == IP6_NH_ICMP6 || (proto == IP6_NH_HOPOPTS && pbuf_try_get_at(p, 0) == IP6_NH_ICMP6);
    if (pbuf_add_header(p, IP6_HDR_LEN) != ERR_OK) {
        STATS_DROP(s, STATS_IP6, err);
        return ERR_BUF;
    }
    ip6_emit(&r, p->payload);
    uint16_t mtu = out_mtu(s, netif, dst);
    err_t err;
    if (p->tot_len > mtu) {
        /* RFC 8200 4.5: the source fragments what exceeds the path MTU. */
        err = feat_frag_output(netif, p, nexthop, mtu);
    } else {
        err = ip6_link_output(netif, p, nexthop);
    }
    pbuf_remove_header(p, IP6_HDR_LEN);
    if (err == ERR_OK && is_icmp6) STATS_INC(s, STATS_ICMP6, xmit);
    return err;
}

err_t ip6_output_if(struct netif *netif, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst,
                    uint8_t hop_limit, uint8_t tclass, uint8_t proto)
{
    ip6_addr_t d = *dst;
    if (ip6_addr_has_scope(&d)) d.zone = netif->index;
    return ip6_output_nexthop(netif, p, src, &d, &d, hop_limit, tclass, proto);
}

err_t ip6_output(struct stack *s, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst, uint8_t hop_limit,
                 uint8_t tclass, uint8_t proto)
{
    struct ip6_route_result rt;
    if (ip6_route(s, dst, &rt) != ERR_OK) {
        STATS_DROP(s, STATS_IP6, rterr);
        return ERR_RTE;
    }
    ip6_addr_t d = *dst;
    if (ip6_addr_has_scope(&d)) d.zone = rt.netif->index;
    return ip6_output_nexthop(rt.netif, p, ip6_addr_is_any(src) ? NULL : src, &d, &rt.nexthop, hop_limit, tclass,
                              proto);
}
