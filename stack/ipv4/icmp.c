/* ICMP for IPv4: echo (RFC 792), errors with the rules of RFC 1122 3.2.2,
 * and a token-bucket rate limit on errors (RFC 1812 4.3.2.8). */
#include <string.h>

#include "shoal/icmp.h"
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"

/* RFC 1812 4.3.2.3: an error quotes as much of the original as fits in 576 bytes. */
#define ICMP_ERR_MAX_DATAGRAM 576u

static void echo_reply(struct stack *s, struct pbuf *p, const struct ip4_rx_info *info)
{
    /* RFC 1122 3.2.2.6: MAY ignore echo requests to broadcast/multicast. */
    if ((info->dst_broadcast || info->dst_multicast) && !s->cfg.icmp_echo_broadcast) {
        STATS_INC(s, STATS_ICMP, drop);
        return;
    }
    struct pbuf *r = pbuf_alloc(s, PBUF_IP, p->tot_len);
    if (r == NULL) {
        STATS_DROP(s, STATS_ICMP, memerr);
        return;
    }
    size_t off = 0;
    for (const struct pbuf *q = p; q != NULL; q = q->next) {
        pbuf_take_at(r, q->payload, q->len, off);
        off += q->len;
    }
    /* Same identifier, sequence and data; type 0; checksum redone. */
    uint8_t hdr[4] = {ICMP_ECHO_REPLY, 0, 0, 0};
    pbuf_take_at(r, hdr, sizeof(hdr), 0);
    uint16_t sum = inet_chksum_pbuf(r);
    uint8_t sum_be[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(r, sum_be, 2, 2);
    /* RFC 1122 3.2.2.6: the reply's source is the request's specific destination. */
    const ip4_addr_t *src = info->dst_broadcast || info->dst_multicast ? NULL : &info->ip.dst;
    if (ip4_output(s, r, src, &info->ip.src, s->cfg.ip_default_ttl, info->ip.tos, IP_PROTO_ICMP) == ERR_OK)
        STATS_INC(s, STATS_ICMP, xmit);
    pbuf_free(r);
}

void icmp_input(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    const uint8_t *h = pbuf_contig(p, ICMP_HDR_LEN);
    if (p->tot_len < ICMP_HDR_LEN || h == NULL) {
        STATS_DROP(s, STATS_ICMP, lenerr);
        pbuf_free(p);
        return;
    }
    if (inet_chksum_pbuf(p) != 0) {
        STATS_DROP(s, STATS_ICMP, chkerr);
        pbuf_free(p);
        return;
    }
    STATS_INC(s, STATS_ICMP, recv);
    switch (h[0]) {
    case ICMP_ECHO: echo_reply(s, p, info); break;
    default:
        /* Echo replies reach ping through raw PCBs; errors will be reported
         * to transports when they need them (TCP). */
        break;
    }
    pbuf_free(p);
}

/* Take one token if the bucket has one; refill by elapsed virtual time. */
static bool ratelimit_allows(struct stack *s)
{
    uint64_t now = stack_now(s);
    uint64_t cap = (uint64_t)s->cfg.icmp_err_burst * SHOAL_NS_PER_S;
    if (now > s->icmp_tokens_at_ns) {
        uint64_t elapsed = now - s->icmp_tokens_at_ns;
        uint64_t add = elapsed >= cap ? cap : elapsed * s->cfg.icmp_err_rate_per_s;
        s->icmp_tokens = SHOAL_MIN(cap, s->icmp_tokens + add);
    }
    s->icmp_tokens_at_ns = now;
    if (s->icmp_tokens < SHOAL_NS_PER_S) return false;
    s->icmp_tokens -= SHOAL_NS_PER_S;
    return true;
}

static bool is_icmp_error_type(uint8_t type)
{
    return type == ICMP_DEST_UNREACH || type == 4 /* source quench */ || type == 5 /* redirect */ ||
           type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM;
}

void icmp_dest_unreach(struct pbuf *orig, const struct ip4_rx_info *info, uint8_t code)
{
    icmp_error(orig, info, ICMP_DEST_UNREACH, code, 0);
}

void icmp_error(struct pbuf *orig, const struct ip4_rx_info *info, uint8_t type, uint8_t code, uint32_t word)
{
    struct stack *s = info->netif->stack;
    const struct ip4_repr *ip = &info->ip;
    /* RFC 1122 3.2.2: never about an ICMP error, a broadcast or multicast
     * datagram, a non-initial fragment, or an invalid source. */
    if (info->dst_broadcast || info->dst_multicast || (ip->flags_offset & IP4_OFFSET_MASK) != 0) return;
    if (orig->flags & (PBUF_FLAG_LL_BROADCAST | PBUF_FLAG_LL_MULTICAST)) return;
    if (ip->src.addr == 0 || ip4_addr_is_limited_broadcast(&ip->src) || ip4_addr_is_multicast(&ip->src) ||
        ip4_addr_is_loopback(&ip->src))
        return;
    if (ip->proto == IP_PROTO_ICMP) {
        int orig_type = pbuf_try_get_at(orig, 0);
        if (orig_type < 0 || is_icmp_error_type((uint8_t)orig_type)) return;
    }
    if (s->cfg.icmp_err_rate_per_s == 0 || !ratelimit_allows(s)) {
        s->stats.icmp_ratelimited++;
        return;
    }
    size_t quote_data = SHOAL_MIN(orig->tot_len, ICMP_ERR_MAX_DATAGRAM - IP4_HDR_LEN - ICMP_HDR_LEN - ip->ihl_bytes);
    size_t len = ICMP_HDR_LEN + ip->ihl_bytes + quote_data;
    struct pbuf *r = pbuf_alloc(s, PBUF_IP, len);
    if (r == NULL) {
        STATS_DROP(s, STATS_ICMP, memerr);
        return;
    }
    uint8_t hdr[ICMP_HDR_LEN] = {type, code, 0, 0, 0, 0, 0, 0};
    wr32be(hdr + 4, word);
    pbuf_take_at(r, hdr, sizeof(hdr), 0);
    pbuf_take_at(r, info->hdr, ip->ihl_bytes, ICMP_HDR_LEN);
    size_t off = ICMP_HDR_LEN + ip->ihl_bytes, left = quote_data;
    for (const struct pbuf *q = orig; q != NULL && left > 0; q = q->next) {
        size_t n = SHOAL_MIN(q->len, left);
        pbuf_take_at(r, q->payload, n, off);
        off += n;
        left -= n;
    }
    uint16_t sum = inet_chksum_pbuf(r);
    uint8_t sum_be[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(r, sum_be, 2, 2);
    /* Our own address as the source: the datagram's destination when it was
     * for us, else (forwarding) the address of the interface it came in on. */
    const ip4_addr_t *src = ip4_is_local_addr(s, &ip->dst) ? &ip->dst : &info->netif->ip4;
    if (ip4_output(s, r, src, &ip->src, s->cfg.ip_default_ttl, 0, IP_PROTO_ICMP) == ERR_OK)
        STATS_INC(s, STATS_ICMP, xmit);
    pbuf_free(r);
}
