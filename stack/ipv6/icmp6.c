/*
 * ICMPv6 (RFC 4443): checksum, type dispatch (ND and MLD go to their
 * modules), echo, Packet Too Big into the PMTU cache (RFC 8201), and error
 * generation with the rules of 2.4 and a token-bucket rate limit (2.4 f).
 * Errors are not reported to the transports yet.
 */
#include <string.h>

#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/ip6_upper.h"
#include "ipv6/ip6_frag_priv.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/mld6_priv.h"

#define ICMP6_ERR_HDR_LEN 8u
/* RFC 4443 2.4 c: an error is at most the minimum IPv6 MTU long. */
#define ICMP6_ERR_MAX_QUOTE (IP6_MIN_MTU - IP6_HDR_LEN - ICMP6_ERR_HDR_LEN)

void icmp6_finish(struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst)
{
    uint8_t zero[2] = {0, 0};
    pbuf_take_at(p, zero, 2, 2);
    uint16_t sum = inet_chksum_pseudo6(p, IP6_NH_ICMP6, p->tot_len, src, dst, p->tot_len);
    uint8_t sum_be[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(p, sum_be, 2, 2);
}

/* Route r to dst, pick a source unless given, checksum and send. */
static void icmp6_send(struct stack *s, struct pbuf *r, const ip6_addr_t *src, const ip6_addr_t *dst)
{
    struct ip6_route_result rt;
    ip6_addr_t from;
    if (ip6_route(s, dst, &rt) != ERR_OK) {
        STATS_DROP(s, STATS_ICMP6, rterr);
        return;
    }
    bool have = src != NULL;
    if (have) from = *src;
    /* RFC 6724 5 rule 5 prefers the outgoing netif; a router may have its
     * global addresses on others only. */
    if (!have) have = ip6_select_source(rt.netif, dst, &from) == ERR_OK;
    /* A link-local source cannot reach a global destination beyond the link. */
    bool narrow = have && src == NULL && ip6_addr_has_scope(&from) && !ip6_addr_has_scope(dst);
    for (struct netif *n = s->netifs; (!have || narrow) && n != NULL; n = n->next) {
        ip6_addr_t other;
        if (n == rt.netif || ip6_addr_has_scope(dst) || ip6_select_source(n, dst, &other) != ERR_OK ||
            ip6_addr_has_scope(&other))
            continue;
        from = other;
        have = true;
        narrow = false;
    }
    if (!have) {
        STATS_DROP(s, STATS_ICMP6, rterr);
        return;
    }
    icmp6_finish(r, &from, dst);
    (void)ip6_output_nexthop(rt.netif, r, &from, dst, &rt.nexthop, 0, 0, IP6_NH_ICMP6); /* counts icmp6.xmit */
}

/* RFC 4443 4.2: same identifier, sequence and data, back to the source. */
static void echo_reply(struct stack *s, struct pbuf *p, const struct ip6_rx_info *info)
{
    if (ip6_addr_is_any(&info->ip.src)) {
        STATS_INC(s, STATS_ICMP6, drop); /* nowhere to answer */
        return;
    }
    struct pbuf *r = pbuf_alloc(s, PBUF_IP, p->tot_len);
    if (r == NULL) {
        STATS_DROP(s, STATS_ICMP6, memerr);
        return;
    }
    size_t off = 0;
    for (const struct pbuf *q = p; q != NULL; q = q->next) {
        pbuf_take_at(r, q->payload, q->len, off);
        off += q->len;
    }
    uint8_t type = ICMP6_TYPE_ECHO_REPLY;
    pbuf_take_at(r, &type, 1, 0);
    /* To a multicast group: a unicast address of ours as the source. */
    icmp6_send(s, r, info->dst_multicast ? NULL : &info->ip.dst, &info->ip.src);
    pbuf_free(r);
}

/* RFC 8201 4: a Packet Too Big lowers the path MTU to the packet's destination. */
static void packet_too_big(struct stack *s, const struct pbuf *p, const struct ip6_rx_info *info)
{
    uint8_t b[ICMP6_ERR_HDR_LEN + IP6_HDR_LEN];
    if (pbuf_copy_partial(p, b, sizeof(b), 0) != sizeof(b)) {
        STATS_DROP(s, STATS_ICMP6, lenerr);
        return;
    }
    ip6_addr_t dst;
    ip6_addr_from_bytes(&dst, b + ICMP6_ERR_HDR_LEN + 24);
    if (ip6_addr_has_scope(&dst)) dst.zone = info->netif->index;
    ip6_pmtu_update(s, &dst, rd32be(b + 4));
    tcp_pmtu_lowered(s, &dst);
}

void icmp6_input(struct pbuf *p, const struct ip6_rx_info *info)
{
    struct stack *s = info->netif->stack;
    int type = pbuf_try_get_at(p, 0);
    if (p->tot_len < ICMP6_HDR_LEN || type < 0) {
        STATS_DROP(s, STATS_ICMP6, lenerr);
        pbuf_free(p);
        return;
    }
    /* RFC 4443 2.3: the checksum covers a pseudo header and is mandatory. */
    if (inet_chksum_pseudo6(p, IP6_NH_ICMP6, p->tot_len, &info->ip.src, &info->ip.dst, p->tot_len) != 0) {
        STATS_DROP(s, STATS_ICMP6, chkerr);
        pbuf_free(p);
        return;
    }
    STATS_INC(s, STATS_ICMP6, recv);
    /* RFC 4443 3, 4: errors and echoes carry 4 more bytes after the checksum. */
    if ((type < 128 || type == ICMP6_TYPE_ECHO_REQUEST || type == ICMP6_TYPE_ECHO_REPLY) &&
        p->tot_len < ICMP6_ERR_HDR_LEN) {
        STATS_DROP(s, STATS_ICMP6, lenerr);
        pbuf_free(p);
        return;
    }
    switch (type) {
    case ICMP6_TYPE_ECHO_REQUEST: echo_reply(s, p, info); break;
    case ICMP6_TYPE_PACKET_TOO_BIG: packet_too_big(s, p, info); break;
    case ICMP6_TYPE_DEST_UNREACH:
    case ICMP6_TYPE_TIME_EXCEEDED:
    case ICMP6_TYPE_PARAM_PROBLEM:
    case ICMP6_TYPE_ECHO_REPLY: break; /* replies reach ping through raw PCBs */
    case ICMP6_TYPE_MLD_QUERY:
    case ICMP6_TYPE_MLD_REPORT:
    case ICMP6_TYPE_MLD_DONE: mld6_input(p, info); return;
    case ICMP6_TYPE_RS:
    case ICMP6_TYPE_RA:
    case ICMP6_TYPE_NS:
    case ICMP6_TYPE_NA:
    case ICMP6_TYPE_REDIRECT: nd6_input(p, info); return;
    case ICMP6_TYPE_MLD2_REPORT: break; /* MLDv1 routers ignore v2 reports */
    default:
        /* RFC 4443 2.4 b: unknown informational messages are dropped
         * silently; unknown errors would go to the upper layer. */
        STATS_INC(s, STATS_ICMP6, drop);
        if (type < 128) STATS_INC(s, STATS_ICMP6, proterr);
        break;
    }
    pbuf_free(p);
}

/* Take one token if the bucket has one; refill by elapsed virtual time. */
static bool ratelimit_allows(struct stack *s)
{
    uint64_t now = stack_now(s);
    uint64_t cap = (uint64_t)s->cfg.icmp_err_burst * SHOAL_NS_PER_S;
    if (now > s->ip6.icmp6_tokens_at_ns) {
        uint64_t elapsed = now - s->ip6.icmp6_tokens_at_ns;
        uint64_t add = elapsed >= cap ? cap : elapsed * s->cfg.icmp_err_rate_per_s;
        s->ip6.icmp6_tokens = SHOAL_MIN(cap, s->ip6.icmp6_tokens + add);
    }
    s->ip6.icmp6_tokens_at_ns = now;
    if (s->ip6.icmp6_tokens < SHOAL_NS_PER_S) return false;
    s->ip6.icmp6_tokens -= SHOAL_NS_PER_S;
    return true;
}

/* RFC 4443 2.4 e.1: is orig itself an ICMPv6 error message? The chain is
 * skipped by the headers' lengths alone: the error may be about one of its
 * options, and still must not answer an error. */
static bool is_icmp6_error(const struct pbuf *orig)
{
    const uint8_t *h = orig->payload;
    size_t len = SHOAL_MIN(orig->len, orig->tot_len), off = IP6_HDR_LEN;
    if (len < IP6_HDR_LEN) return false;
    uint8_t nh = h[6];
    for (unsigned count = 0; count <= IP6_EXT_MAX; count++) {
        if (nh == IP6_NH_ICMP6) {
            int type = pbuf_try_get_at(orig, off);
            return type >= 0 && type < 128;
        }
        if (off + 8u > len) return false;
        if (nh == IP6_NH_FRAGMENT) {
            /* Only the first fragment shows the message type. */
            if ((rd16be(h + off + 2) & 0xfff8u) != 0) return false;
            nh = h[off];
            off += IP6_FRAG_HDR_LEN;
        } else if (nh == IP6_NH_HOPOPTS || nh == IP6_NH_DSTOPTS || nh == IP6_NH_ROUTING) {
            nh = h[off];
            off += ((size_t)h[off + 1] + 1u) * 8u;
        } else {
            return false;
        }
    }
    return false;
}

void icmp6_send_error(struct stack *s, struct netif *in, struct pbuf *orig, uint8_t type, uint8_t code,
                      uint32_t param)
{
    struct ip6_repr ip;
    if (ip6_parse(pbuf_contig(orig, IP6_HDR_LEN), orig->tot_len, &ip) != IP6_OK) return;
    /* RFC 4443 2.4 e: never to an unspecified or multicast source; never
     * about a packet to a multicast address or sent as link-layer multicast
     * or broadcast, except Packet Too Big and unknown-option (code 2). */
    if (ip6_addr_is_any(&ip.src) || ip6_addr_is_multicast(&ip.src)) return;
    bool to_group = ip6_addr_is_multicast(&ip.dst) ||
                    (orig->flags & (PBUF_FLAG_LL_BROADCAST | PBUF_FLAG_LL_MULTICAST)) != 0;
    bool group_ok = type == ICMP6_TYPE_PACKET_TOO_BIG || (type == ICMP6_TYPE_PARAM_PROBLEM && code == ICMP6_PP_OPTION);
    if (to_group && !group_ok) return;
    if (is_icmp6_error(orig)) return;
    if (s->cfg.icmp_err_rate_per_s == 0 || !ratelimit_allows(s)) {
        s->stats.icmp6_ratelimited++;
        return;
    }
    if (ip6_addr_has_scope(&ip.src)) ip.src.zone = in->index;
    if (ip6_addr_has_scope(&ip.dst)) ip.dst.zone = in->index;
    /* RFC 4443 2.4 c: as much of the packet as fits in the minimum MTU. */
    size_t quote = SHOAL_MIN(orig->tot_len, (size_t)ICMP6_ERR_MAX_QUOTE);
    struct pbuf *r = pbuf_alloc(s, PBUF_IP, ICMP6_ERR_HDR_LEN + quote);
    if (r == NULL) {
        STATS_DROP(s, STATS_ICMP6, memerr);
        return;
    }
    uint8_t hdr[ICMP6_ERR_HDR_LEN] = {type, code, 0, 0};
    wr32be(hdr + 4, param);
    pbuf_take_at(r, hdr, sizeof(hdr), 0);
    size_t off = ICMP6_ERR_HDR_LEN, left = quote;
    for (const struct pbuf *q = orig; q != NULL && left > 0; q = q->next) {
        size_t n = SHOAL_MIN(q->len, left);
        pbuf_take_at(r, q->payload, n, off);
        off += n;
        left -= n;
    }
    /* RFC 4443 2.2: from the address the packet was sent to when that is
     * one of our unicast addresses, else chosen for the route back. */
    bool own = !ip6_addr_is_multicast(&ip.dst) && ip6_is_local_addr(s, &ip.dst);
    icmp6_send(s, r, own ? &ip.dst : NULL, &ip.src);
    pbuf_free(r);
}
