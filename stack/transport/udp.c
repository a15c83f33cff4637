/* UDP (RFC 768; RFC 1122 4.1): demultiplexing, checksums, the raw API. */
#include <string.h>

#include "shoal/udp.h"
#include "shoal/ip4.h"
#include "shoal/icmp.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "shoal/opt.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/ip6_upper.h"
#include "transport/ip_pcb.h"

err_t udp_parse(const uint8_t *p, size_t len, struct udp_repr *out)
{
    if (p == NULL || len < UDP_HDR_LEN) return ERR_BUF;
    out->src_port = rd16be(p);
    out->dst_port = rd16be(p + 2);
    out->length = rd16be(p + 4);
    out->checksum = rd16be(p + 6);
    if (out->length < UDP_HDR_LEN || out->length > len) return ERR_BUF;
    return ERR_OK;
}

void udp_emit(const struct udp_repr *r, uint8_t *p)
{
    wr16be(p, r->src_port);
    wr16be(p + 2, r->dst_port);
    wr16be(p + 4, r->length);
    wr16be(p + 6, r->checksum);
}

/* ---- input ---- */

static bool is_listed(const struct udp_pcb *pcb);

/* One arriving datagram, whichever family carried it. */
struct udp_rx {
    struct stack *s;
    struct netif *netif;
    ip_addr_t src, dst;
    bool v6;
    bool dst_broadcast;
    bool to_many;        /* broadcast or multicast: every listener gets a copy */
    bool lite;
};

static bool pcb_matches_local(const struct udp_pcb *pcb, const struct udp_rx *rx, uint16_t dst_port)
{
    if (pcb->local_port != dst_port) return false;
    if (!ip_pcb_family_ok(&pcb->local_ip, rx->v6)) return false;
    if (pcb->netif_idx != 0 && pcb->netif_idx != rx->netif->index) return false;
    if (ip_pcb_is_any(&pcb->local_ip)) return true;
    /* A PCB bound to a unicast address also hears its subnet's broadcasts. */
    if (rx->dst_broadcast)
        return ip4_addr_is_limited_broadcast(ip_2_ip4(&rx->dst)) ||
               ip4_addr_net_eq(ip_2_ip4(&pcb->local_ip), ip_2_ip4(&rx->dst), &rx->netif->netmask);
    return ip_pcb_addr_eq(&pcb->local_ip, &rx->dst);
}

/* The UDP-Lite checksum over either pseudo header. */
static uint16_t lite_sum(struct pbuf *p, const struct udp_rx *rx, size_t len, size_t cov)
{
    if (SHOAL_IPV6 && rx->v6)
        return inet_chksum_pseudo6(p, IP6_NH_UDPLITE, len, ip_2_ip6(&rx->src), ip_2_ip6(&rx->dst), cov);
    return inet_chksum_pseudo(p, IP_PROTO_UDPLITE, len, ip_2_ip4(&rx->src), ip_2_ip4(&rx->dst), cov);
}

/* RFC 3828 3.1: the length field is the checksum coverage (0: all), at
 * least the header and at most the datagram; the checksum is mandatory
 * (over IPv6 too, RFC 3828 3.5). */
static bool udplite_check(struct pbuf *p, const struct udp_rx *rx, const struct udp_repr *u, size_t *cov)
{
    size_t len = p->tot_len;
    *cov = u->length == 0 ? len : u->length;
    if (*cov < UDP_HDR_LEN || *cov > len || u->checksum == 0) return false;
    return lite_sum(p, rx, len, *cov) == 0;
}

/* Header checks and checksum; false when p was dropped (and freed). */
static bool udp_check(struct pbuf *p, const struct udp_rx *rx, struct udp_repr *u, size_t *cov)
{
    struct stack *s = rx->s;
    enum stack_proto_id sid = rx->lite ? STATS_UDPLITE : STATS_UDP;
    const uint8_t *h = pbuf_contig(p, UDP_HDR_LEN);
    if (h == NULL || p->tot_len < UDP_HDR_LEN) {
        STATS_DROP(s, sid, lenerr);
        pbuf_free(p);
        return false;
    }
    if (rx->lite) {
        u->src_port = rd16be(h);
        u->dst_port = rd16be(h + 2);
        u->length = rd16be(h + 4);
        u->checksum = rd16be(h + 6);
        if (!udplite_check(p, rx, u, cov)) {
            if (u->length != 0 && (u->length < UDP_HDR_LEN || u->length > p->tot_len))
                STATS_DROP(s, sid, lenerr);
            else
                STATS_DROP(s, sid, chkerr);
            pbuf_free(p);
            return false;
        }
        return true;
    }
    if (udp_parse(h, p->tot_len, u) != ERR_OK) {
        STATS_DROP(s, sid, lenerr);
        pbuf_free(p);
        return false;
    }
    /* RFC 768: bytes past the UDP length are not part of the datagram. */
    pbuf_realloc(p, u->length);
    bool bad;
    if (SHOAL_IPV6 && rx->v6)
        /* RFC 8200 8.1: the checksum is mandatory over IPv6; zero is dropped. */
        bad = u->checksum == 0 || inet_chksum_pseudo6(p, IP6_NH_UDP, u->length, ip_2_ip6(&rx->src),
                                                      ip_2_ip6(&rx->dst), u->length) != 0;
    else
        /* RFC 1122 4.1.3.4: verify a non-zero checksum; zero means none sent. */
        bad = u->checksum != 0 && inet_chksum_pseudo(p, IP_PROTO_UDP, u->length, ip_2_ip4(&rx->src),
                                                     ip_2_ip4(&rx->dst), u->length) != 0;
    if (bad) {
        STATS_DROP(s, sid, chkerr);
        pbuf_free(p);
        return false;
    }
    return true;
}

/* Hands p (at the UDP header, checked) to its PCBs. Returns false when no
 * PCB took it; *refused then says whether one refused the coverage. p is
 * freed or handed on only when it returns true. */
static bool udp_deliver(struct pbuf *p, const struct udp_rx *rx, const struct udp_repr *u, size_t cov,
                        bool *refused)
{
    struct stack *s = rx->s;
    enum stack_proto_id sid = rx->lite ? STATS_UDPLITE : STATS_UDP;
    /* Unicast: a connected PCB for this exact peer, else the first bound one.
     * Broadcast and multicast: every PCB that listens there gets a copy. */
    bool to_many = rx->to_many;
    struct udp_pcb *match = NULL;
    *refused = false;
    for (struct udp_pcb *pcb = s->udp_pcbs; pcb != NULL; pcb = pcb->next) {
        if (((pcb->flags & UDP_FLAGS_UDPLITE) != 0) != rx->lite || !pcb_matches_local(pcb, rx, u->dst_port))
            continue;
        /* RFC 3828 3.1: an application may refuse too little coverage; the
         * whole datagram (coverage field 0) is always enough. */
        if (rx->lite && pcb->chksum_len_rx != 0 && u->length != 0 && cov < pcb->chksum_len_rx) {
            *refused = true;
            continue;
        }
        if (pcb->flags & UDP_FLAGS_CONNECTED) {
            if (!ip_pcb_addr_eq(&pcb->remote_ip, &rx->src) || pcb->remote_port != u->src_port) continue;
            if (!to_many) {
                match = pcb;
                break;
            }
        }
        if (to_many && match != NULL && match->recv != NULL) {
            struct pbuf *copy = pbuf_clone(s, PBUF_RAW, p);
            if (copy != NULL) {
                pbuf_remove_header(copy, UDP_HDR_LEN);
                STATS_INC(s, sid, recv);
                match->recv(match->recv_arg, match, copy, &rx->src, u->src_port);
            } else {
                STATS_INC(s, sid, memerr);
            }
            /* The callback may have removed PCBs: stop at one that is gone. */
            if (!is_listed(pcb)) {
                match = NULL;
                break;
            }
        }
        if (match == NULL || to_many) match = pcb;
    }
    if (match == NULL) {
        STATS_INC(s, sid, drop);
        return false;
    }
    STATS_INC(s, sid, recv);
    pbuf_remove_header(p, UDP_HDR_LEN);
    if (match->recv != NULL)
        match->recv(match->recv_arg, match, p, &rx->src, u->src_port);
    else
        pbuf_free(p);
    return true;
}

void udp_input(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct udp_rx rx = {
        .s = info->netif->stack,
        .netif = info->netif,
        .src = ip_addr_from_ip4(info->ip.src),
        .dst = ip_addr_from_ip4(info->ip.dst),
        .v6 = false,
        .dst_broadcast = info->dst_broadcast,
        .to_many = info->dst_broadcast || info->dst_multicast,
        .lite = info->ip.proto == IP_PROTO_UDPLITE,
    };
    struct udp_repr u;
    size_t cov = 0;
    bool refused;
    if (!udp_check(p, &rx, &u, &cov)) return;
    if (udp_deliver(p, &rx, &u, cov, &refused)) return;
    /* RFC 1122 4.1.3.1: port unreachable, but not for broadcasts (3.2.2),
     * and not when a socket listens but refused the coverage (RFC 3828 3.3). */
    if (!refused) icmp_dest_unreach(p, info, ICMP_DUR_PORT);
    pbuf_free(p);
}

void udp_input_ip6(struct pbuf *p, const struct ip6_rx_info *info)
{
    if (!SHOAL_IPV6) {
        pbuf_free(p);
        return;
    }
    struct udp_rx rx = {
        .s = info->netif->stack,
        .netif = info->netif,
        .src = ip_addr_from_ip6(&info->ip.src),
        .dst = ip_addr_from_ip6(&info->ip.dst),
        .v6 = true,
        .dst_broadcast = false,
        .to_many = info->dst_multicast,
        .lite = info->proto == IP6_NH_UDPLITE,
    };
    struct udp_repr u;
    size_t cov = 0;
    bool refused;
    if (!udp_check(p, &rx, &u, &cov)) return;
    if (udp_deliver(p, &rx, &u, cov, &refused)) return;
    /* RFC 4443 3.1 (code 4) / RFC 1122 4.1.3.1: port unreachable, not for
     * multicast (RFC 4443 2.4 e) nor refused coverage (RFC 3828 3.3). The
     * error quotes the packet from its IPv6 header. */
    if (!refused && !info->dst_multicast && pbuf_add_header(p, info->hdr_len) == ERR_OK)
        icmp6_send_error(rx.s, info->netif, p, ICMP6_TYPE_DEST_UNREACH, ICMP6_DU_PORT_UNREACH, 0);
    pbuf_free(p);
}

/* ---- PCBs ---- */

struct udp_pcb *udp_new_ip_type(struct stack *s, enum ip_addr_type type)
{
    struct udp_pcb *pcb = pool_alloc(&s->pools[POOL_UDP_PCB]);
    if (pcb == NULL) return NULL;
    memset(pcb, 0, sizeof(*pcb));
    pcb->stack = s;
    pcb->local_ip = ip_addr_any(type);
    pcb->remote_ip = ip_addr_any(type);
    /* An IPv6-only PCB leaves the hop limit to the netif (RFC 4861 6.3.4);
     * IPv4 needs a TTL of its own. */
    pcb->ttl = type == IPADDR_TYPE_V6 ? 0 : s->cfg.ip_default_ttl;
    pcb->mcast_ttl = 1;
    return pcb;
}

struct udp_pcb *udp_new(struct stack *s) { return udp_new_ip_type(s, IPADDR_TYPE_V4); }

static bool is_listed(const struct udp_pcb *pcb)
{
    for (const struct udp_pcb *q = pcb->stack->udp_pcbs; q != NULL; q = q->next)
        if (q == pcb) return true;
    return false;
}

static void unlist(struct udp_pcb *pcb)
{
    for (struct udp_pcb **pp = &pcb->stack->udp_pcbs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == pcb) {
            *pp = pcb->next;
            return;
        }
    }
}

void udp_remove(struct udp_pcb *pcb)
{
    if (pcb == NULL) return;
    unlist(pcb);
    pool_free(&pcb->stack->pools[POOL_UDP_PCB], pcb);
}

static bool port_in_use(struct stack *s, uint16_t port, const struct udp_pcb *except)
{
    for (const struct udp_pcb *q = s->udp_pcbs; q != NULL; q = q->next)
        if (q != except && q->local_port == port) return true;
    return false;
}

/* RFC 6056 3.3.2-like: walk the ephemeral range from a random start. */
static uint16_t ephemeral_port(struct stack *s)
{
    uint32_t range = SHOAL_EPHEMERAL_PORT_MAX - SHOAL_EPHEMERAL_PORT_MIN + 1u;
    for (uint32_t n = 0; n < range; n++) {
        uint16_t port = s->udp_next_port;
        s->udp_next_port = (uint16_t)(port == SHOAL_EPHEMERAL_PORT_MAX ? SHOAL_EPHEMERAL_PORT_MIN : port + 1u);
        if (!port_in_use(s, port, NULL)) return port;
    }
    return 0;
}

err_t udp_bind(struct udp_pcb *pcb, const ip_addr_t *ip, uint16_t port)
{
    struct stack *s = pcb->stack;
    ip_addr_t local = ip_pcb_bind_addr(&pcb->local_ip, ip);
    if (port == 0) {
        port = ephemeral_port(s);
        if (port == 0) return ERR_USE;
    } else {
        for (const struct udp_pcb *q = s->udp_pcbs; q != NULL; q = q->next) {
            if (q == pcb || q->local_port != port) continue;
            /* Same port on the same (or the wildcard) address is taken. */
            if (ip_pcb_addrs_overlap(&q->local_ip, &local)) return ERR_USE;
        }
    }
    pcb->local_ip = local;
    pcb->local_port = port;
    if (!is_listed(pcb)) {
        pcb->next = s->udp_pcbs;
        s->udp_pcbs = pcb;
    }
    return ERR_OK;
}

err_t udp_connect(struct udp_pcb *pcb, const ip_addr_t *ip, uint16_t port)
{
    if (ip == NULL || port == 0 || !ip_pcb_dst_ok(&pcb->local_ip, ip)) return ERR_VAL;
    if (pcb->local_port == 0) {
        err_t err = udp_bind(pcb, &pcb->local_ip, 0);
        if (err != ERR_OK) return err;
    }
    pcb->remote_ip = *ip;
    pcb->remote_port = port;
    pcb->flags |= UDP_FLAGS_CONNECTED;
    return ERR_OK;
}

void udp_disconnect(struct udp_pcb *pcb)
{
    pcb->remote_ip = ip_addr_any((enum ip_addr_type)pcb->local_ip.type);
    pcb->remote_port = 0;
    pcb->flags &= (uint8_t)~UDP_FLAGS_CONNECTED;
}

void udp_recv(struct udp_pcb *pcb, udp_recv_fn fn, void *arg)
{
    pcb->recv = fn;
    pcb->recv_arg = arg;
}

/* ---- output ---- */

/* Where a datagram goes and from which address, in either family. */
struct udp_tx {
    struct netif *netif;
    ip_addr_t src;
    const ip_addr_t *dst;
    ip4_addr_t nexthop4;
    struct ip_pcb_route6 rt6;
};

static err_t send_via(struct udp_pcb *pcb, struct pbuf *p, uint16_t port, struct udp_tx *tx)
{
    struct stack *s = pcb->stack;
    bool v6 = ip_pcb_is_v6(tx->dst);
    if (!v6 && netif_is_ip4_broadcast(tx->netif, ip_2_ip4(tx->dst)) && !(pcb->flags & UDP_FLAGS_BROADCAST)) {
        STATS_INC(s, STATS_UDP, err); /* SO_BROADCAST not set */
        return ERR_VAL;
    }
    if (p->tot_len > 0xffffu - UDP_HDR_LEN) return ERR_VAL;
    if (pcb->local_port == 0) {
        err_t err = udp_bind(pcb, &pcb->local_ip, 0);
        if (err != ERR_OK) return err;
    }
    /* The header goes in p's headroom, or in a segment chained in front. */
    struct pbuf *q = p, *hdr_pbuf = NULL;
    if (pbuf_add_header(p, UDP_HDR_LEN) != ERR_OK) {
        hdr_pbuf = pbuf_alloc(s, PBUF_IP, UDP_HDR_LEN);
        if (hdr_pbuf == NULL) {
            STATS_INC(s, STATS_UDP, memerr);
            return ERR_MEM;
        }
        pbuf_ref(p);
        pbuf_cat(hdr_pbuf, p);
        q = hdr_pbuf;
    }
    bool lite = (pcb->flags & UDP_FLAGS_UDPLITE) != 0;
    uint8_t proto = lite ? IP_PROTO_UDPLITE : IP_PROTO_UDP;
    size_t total = q->tot_len;
    /* UDP-Lite's length field is the checksum coverage (RFC 3828 3.1). */
    size_t cov = total;
    if (lite && pcb->chksum_len_tx >= UDP_HDR_LEN && pcb->chksum_len_tx < total) cov = pcb->chksum_len_tx;
    uint16_t len_field = lite ? (uint16_t)(cov == total ? 0u : cov) : (uint16_t)total;
    struct udp_repr u = {.src_port = pcb->local_port, .dst_port = port, .length = len_field, .checksum = 0};
    uint8_t h[UDP_HDR_LEN];
    udp_emit(&u, h);
    pbuf_take(q, h, sizeof(h));
    err_t err;
    if (v6) {
        const ip6_addr_t *dst = ip_2_ip6(tx->dst);
        /* RFC 8200 8.1: the checksum is mandatory over IPv6 (NOCHKSUM ignored). */
        uint16_t sum = inet_chksum_pseudo6(q, proto, total, &tx->rt6.src, dst, cov);
        if (sum == 0) sum = 0xffff;
        uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
        pbuf_take_at(q, sb, 2, 6);
        uint8_t hl = ip6_addr_is_multicast(dst) ? pcb->mcast_ttl : pcb->ttl;
        err = ip_pcb_output6(&tx->rt6, q, dst, hl, pcb->tos, proto);
    } else {
        const ip4_addr_t *dst = ip_2_ip4(tx->dst);
        ip4_addr_t src = pcb->local_ip.type == IPADDR_TYPE_V4 && !ip_pcb_is_any(&pcb->local_ip)
                             ? *ip_2_ip4(&pcb->local_ip)
                             : tx->netif->ip4;
        if (lite || !(pcb->flags & UDP_FLAGS_NOCHKSUM)) {
            uint16_t sum = inet_chksum_pseudo(q, proto, total, &src, dst, cov);
            /* RFC 768 / RFC 3828 3.1: a computed zero is sent as all ones. */
            if (sum == 0) sum = 0xffff;
            uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
            pbuf_take_at(q, sb, 2, 6);
        }
        uint8_t ttl = ip4_addr_is_multicast(dst) ? pcb->mcast_ttl : pcb->ttl;
        err = ip4_output_nexthop(tx->netif, q, &src, dst, &tx->nexthop4, ttl, pcb->tos, proto);
    }
    if (err == ERR_OK) STATS_INC(s, lite ? STATS_UDPLITE : STATS_UDP, xmit);
    if (hdr_pbuf != NULL)
        pbuf_free(hdr_pbuf);
    else
        pbuf_remove_header(p, UDP_HDR_LEN);
    return err;
}

err_t udp_sendto_if(struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *dst, uint16_t port, struct netif *netif)
{
    if (pcb == NULL || p == NULL || dst == NULL || netif == NULL || port == 0) return ERR_ARG;
    if (!ip_pcb_dst_ok(&pcb->local_ip, dst)) return ERR_VAL;
    struct udp_tx tx = {.netif = netif, .dst = dst};
    if (ip_pcb_is_v6(dst)) {
        tx.rt6.netif = netif;
        tx.rt6.nexthop = *ip_2_ip6(dst);
        if (pcb->local_ip.type == IPADDR_TYPE_V6 && !ip_pcb_is_any(&pcb->local_ip))
            tx.rt6.src = *ip_2_ip6(&pcb->local_ip);
        else if (ip6_select_source(netif, ip_2_ip6(dst), &tx.rt6.src) != ERR_OK)
            return ERR_RTE;
    } else {
        tx.nexthop4 = *ip_2_ip4(dst);
    }
    return send_via(pcb, p, port, &tx);
}

err_t udp_sendto(struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *dst, uint16_t port)
{
    if (pcb == NULL || p == NULL || dst == NULL || port == 0) return ERR_ARG;
    if (!ip_pcb_dst_ok(&pcb->local_ip, dst)) return ERR_VAL;
    struct udp_tx tx = {.dst = dst};
    if (ip_pcb_is_v6(dst)) {
        if (ip_pcb_route6(pcb->stack, &pcb->local_ip, ip_2_ip6(dst), pcb->netif_idx, pcb->mcast_netif_idx,
                          &tx.rt6) != ERR_OK) {
            STATS_INC(pcb->stack, STATS_UDP, rterr);
            return ERR_RTE;
        }
        tx.netif = tx.rt6.netif;
        return send_via(pcb, p, port, &tx);
    }
    const ip4_addr_t *dst4 = ip_2_ip4(dst);
    struct ip4_route_result rt;
    if (ip4_addr_is_multicast(dst4)) {
        /* RFC 1112 6.1: multicast leaves by the chosen interface (or the first up). */
        rt.netif = NULL;
        uint8_t want = pcb->mcast_netif_idx ? pcb->mcast_netif_idx : pcb->netif_idx;
        for (struct netif *n = netif_list(pcb->stack); n != NULL && rt.netif == NULL; n = n->next)
            if (netif_is_up(n) && (want == 0 || n->index == want)) rt.netif = n;
        rt.nexthop = *dst4;
        if (rt.netif == NULL) return ERR_RTE;
    } else if (pcb->netif_idx != 0) {
        rt.netif = netif_find_by_index(pcb->stack, pcb->netif_idx);
        rt.nexthop = *dst4;
        if (rt.netif == NULL) return ERR_RTE;
    } else if (ip4_route(pcb->stack, dst4, &rt) != ERR_OK) {
        STATS_INC(pcb->stack, STATS_UDP, rterr);
        return ERR_RTE;
    }
    tx.netif = rt.netif;
    tx.nexthop4 = rt.nexthop;
    return send_via(pcb, p, port, &tx);
}

err_t udp_send(struct udp_pcb *pcb, struct pbuf *p)
{
    if (pcb == NULL || !(pcb->flags & UDP_FLAGS_CONNECTED)) return ERR_CONN;
    return udp_sendto(pcb, p, &pcb->remote_ip, pcb->remote_port);
}
