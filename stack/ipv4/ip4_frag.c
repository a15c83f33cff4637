/*
 * IPv4 fragmentation on output and reassembly on input (RFC 791 3.2,
 * RFC 815, RFC 1122 3.3.2).
 *
 * Reassembly is bounded: a few datagrams at once (the oldest gives way), a
 * fixed pool of fragment holders shared by all of them, and a timeout.
 * Fragments must fit together exactly: one that overlaps another (other than
 * an exact duplicate), or disagrees with the datagram's known length,
 * discards the whole datagram, which defeats the overlap tricks of RFC 1858
 * and the "teardrop" family at the cost of refusing what no honest sender
 * produces.
 */
#include <string.h>

#include "shoal/ip4.h"
#include "shoal/icmp.h"
#include "shoal/netif.h"
#include "shoal/etharp.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/ip4_frag_priv.h"

#define IP4_MAX_DATAGRAM 65535u
#define ICMP_TE_REASS 1u /* RFC 792: fragment reassembly time exceeded */

static void reass_free(struct stack *s, struct ip4_reass_entry *e)
{
    while (e->frags != NULL) {
        struct ip4_frag_node *f = e->frags;
        e->frags = f->next;
        pbuf_free(f->p);
        pool_free(&s->pools[POOL_IP4_FRAG], f);
        STATS_INC(s, STATS_IP4_FRAG, drop);
    }
    e->used = false;
}

static void reass_timer_fire(struct stack *s, void *arg);

static void reass_rearm(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.ip4_reass_max; i++)
        if (s->reass[i].used && s->reass[i].deadline_ns < next) next = s->reass[i].deadline_ns;
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->reass_timer);
    else if (!s->reass_timer.armed || s->reass_timer.deadline_ns != next)
        stack_timer_arm(s, &s->reass_timer, next, reass_timer_fire, NULL);
}

static void reass_timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    uint64_t now = stack_now(s);
    for (uint32_t i = 0; i < s->cfg.ip4_reass_max; i++) {
        struct ip4_reass_entry *e = &s->reass[i];
        if (!e->used || e->deadline_ns > now) continue;
        /* RFC 1122 3.3.2: time exceeded (code 1), if the first fragment came. */
        struct netif *netif = netif_find_by_index(s, e->netif_idx);
        if (e->have_first && e->frags != NULL && e->frags->start == 0 && netif != NULL) {
            struct ip4_rx_info info;
            memset(&info, 0, sizeof(info));
            info.netif = netif;
            info.hdr = e->first_hdr;
            if (ip4_parse(e->first_hdr, e->hdr_len + e->frags->p->tot_len, false, &info.ip) == IP4_OK)
                icmp_error(e->frags->p, &info, ICMP_TIME_EXCEEDED, ICMP_TE_REASS, 0);
        }
        STATS_INC(s, STATS_IP4_FRAG, err);
        reass_free(s, e);
    }
    reass_rearm(s);
}

static struct ip4_reass_entry *find_or_new(struct stack *s, const struct ip4_rx_info *info)
{
    struct ip4_reass_entry *free_e = NULL, *oldest = NULL;
    for (uint32_t i = 0; i < s->cfg.ip4_reass_max; i++) {
        struct ip4_reass_entry *e = &s->reass[i];
        if (!e->used) {
            if (free_e == NULL) free_e = e;
            continue;
        }
        /* RFC 791: the datagram is (source, destination, protocol, identification). */
        if (e->src.addr == info->ip.src.addr && e->dst.addr == info->ip.dst.addr && e->proto == info->ip.proto &&
            e->id == info->ip.id)
            return e;
        if (oldest == NULL || e->created_ns < oldest->created_ns) oldest = e;
    }
    struct ip4_reass_entry *e = free_e;
    if (e == NULL) {
        if (oldest == NULL) return NULL;
        STATS_INC(s, STATS_IP4_FRAG, memerr); /* the oldest datagram gives way */
        reass_free(s, oldest);
        e = oldest;
    }
    memset(e, 0, sizeof(*e));
    e->used = true;
    e->src = info->ip.src;
    e->dst = info->ip.dst;
    e->proto = info->ip.proto;
    e->id = info->ip.id;
    e->netif_idx = info->netif->index;
    e->created_ns = stack_now(s);
    e->deadline_ns = e->created_ns + (uint64_t)s->cfg.ip4_reass_timeout_ms * SHOAL_NS_PER_MS;
    return e;
}

/* The datagram is whole: one pbuf with the first fragment's header, fixed up. */
static struct pbuf *reass_complete(struct stack *s, struct ip4_reass_entry *e, struct ip4_rx_info *info)
{
    size_t total = e->hdr_len + e->total;
    struct pbuf *p = pbuf_alloc(s, PBUF_LINK, total);
    if (p == NULL) {
        STATS_INC(s, STATS_IP4_FRAG, memerr);
        reass_free(s, e);
        return NULL;
    }
    uint8_t hdr[IP4_MAX_HDR_LEN];
    memcpy(hdr, e->first_hdr, e->hdr_len);
    wr16be(hdr + 2, (uint16_t)total);
    wr16be(hdr + 6, (uint16_t)(rd16be(hdr + 6) & IP4_FLAG_DF)); /* no MF, offset 0 */
    wr16be(hdr + 10, 0);
    wr16be(hdr + 10, inet_chksum(hdr, e->hdr_len));
    pbuf_take(p, hdr, e->hdr_len);
    for (struct ip4_frag_node *f = e->frags; f != NULL; f = f->next) {
        size_t off = e->hdr_len + f->start;
        for (struct pbuf *q = f->p; q != NULL; q = q->next) {
            pbuf_take_at(p, q->payload, q->len, off);
            off += q->len;
        }
    }
    /* Not counted as drops: free the holders quietly. */
    while (e->frags != NULL) {
        struct ip4_frag_node *f = e->frags;
        e->frags = f->next;
        pbuf_free(f->p);
        pool_free(&s->pools[POOL_IP4_FRAG], f);
    }
    e->used = false;
    info->hdr = pbuf_contig(p, e->hdr_len);
    if (info->hdr == NULL || ip4_parse(info->hdr, p->tot_len, false, &info->ip) != IP4_OK) {
        STATS_DROP(s, STATS_IP4_FRAG, lenerr);
        pbuf_free(p);
        return NULL;
    }
    return p;
}

struct pbuf *ip4_reass(struct pbuf *p, struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    const struct ip4_repr *ip = &info->ip;
    STATS_INC(s, STATS_IP4_FRAG, recv);
    uint32_t start = (uint32_t)(ip->flags_offset & IP4_OFFSET_MASK) * 8u;
    uint32_t len = (uint32_t)ip->total_len - ip->ihl_bytes;
    uint32_t end = start + len;
    bool more = (ip->flags_offset & IP4_FLAG_MF) != 0;
    /* RFC 791: every fragment but the last carries a multiple of 8 bytes;
     * no datagram is longer than 65535 bytes (the "ping of death"). */
    if ((more && (len == 0 || len % 8u != 0)) || end + ip->ihl_bytes > IP4_MAX_DATAGRAM) {
        STATS_DROP(s, STATS_IP4_FRAG, lenerr);
        pbuf_free(p);
        return NULL;
    }
    struct ip4_reass_entry *e = find_or_new(s, info);
    if (e == NULL) {
        STATS_DROP(s, STATS_IP4_FRAG, memerr);
        pbuf_free(p);
        return NULL;
    }
    /* Consistency with the datagram's length, once the last fragment told it. */
    if ((!more && e->total != 0 && e->total != end) || (e->total != 0 && end > e->total) ||
        (!more && e->frags != NULL && e->frags_end_max > end)) {
        STATS_DROP(s, STATS_IP4_FRAG, proterr);
        reass_free(s, e);
        reass_rearm(s);
        pbuf_free(p);
        return NULL;
    }
    /* Where it goes; an exact duplicate is dropped, any other overlap ends it all. */
    struct ip4_frag_node **pp = &e->frags;
    while (*pp != NULL && (*pp)->end <= start) pp = &(*pp)->next;
    if (*pp != NULL && (*pp)->start < end) {
        bool duplicate = (*pp)->start == start && (*pp)->end == end;
        if (duplicate) {
            STATS_INC(s, STATS_IP4_FRAG, drop);
        } else {
            STATS_DROP(s, STATS_IP4_FRAG, proterr);
            reass_free(s, e);
            reass_rearm(s);
        }
        pbuf_free(p);
        return NULL;
    }
    struct ip4_frag_node *f = pool_alloc(&s->pools[POOL_IP4_FRAG]);
    if (f == NULL) {
        /* Out of holders: this datagram cannot complete; give its room back. */
        STATS_DROP(s, STATS_IP4_FRAG, memerr);
        reass_free(s, e);
        reass_rearm(s);
        pbuf_free(p);
        return NULL;
    }
    if (start == 0) {
        memcpy(e->first_hdr, info->hdr, ip->ihl_bytes);
        e->hdr_len = ip->ihl_bytes;
        e->have_first = true;
    }
    pbuf_remove_header(p, ip->ihl_bytes);
    f->p = p;
    f->start = start;
    f->end = end;
    f->next = *pp;
    *pp = f;
    if (!more) e->total = end;
    if (end > e->frags_end_max) e->frags_end_max = end;

    /* Whole when the pieces run from 0 to the known total without a gap;
     * the result, under the first fragment's header, must still be a
     * datagram (at most 65535 bytes, whatever each fragment's header was). */
    if (e->total != 0 && e->have_first && (size_t)e->hdr_len + e->total > IP4_MAX_DATAGRAM) {
        STATS_DROP(s, STATS_IP4_FRAG, lenerr);
        reass_free(s, e);
        reass_rearm(s);
        return NULL;
    }
    if (e->total != 0 && e->have_first) {
        uint32_t next = 0;
        for (const struct ip4_frag_node *q = e->frags; q != NULL && q->start == next; q = q->next) next = q->end;
        if (next == e->total) {
            struct pbuf *whole = reass_complete(s, e, info);
            reass_rearm(s);
            return whole;
        }
    }
    reass_rearm(s);
    return NULL;
}

err_t ip4_frag_output(struct netif *netif, struct pbuf *p, const struct ip4_repr *r, const ip4_addr_t *nexthop)
{
    struct stack *s = netif->stack;
    if (netif->mtu < IP4_HDR_LEN + 8u) return ERR_VAL;
    /* RFC 791 3.2: data per fragment a multiple of 8 bytes. */
    size_t per = ((size_t)netif->mtu - IP4_HDR_LEN) & ~(size_t)7u;
    size_t total = p->tot_len;
    /* A fragment being fragmented again (by a router) keeps its place in the
     * original datagram, and its last piece keeps its MF (RFC 791 3.2). */
    uint16_t base = (uint16_t)(r->flags_offset & IP4_OFFSET_MASK);
    bool more_after = (r->flags_offset & IP4_FLAG_MF) != 0;
    for (size_t off = 0; off < total; off += per) {
        size_t n = SHOAL_MIN(per, total - off);
        bool last = off + n >= total;
        struct pbuf *f = pbuf_alloc(s, PBUF_LINK, IP4_HDR_LEN + n);
        if (f == NULL) {
            STATS_INC(s, STATS_IP4_FRAG, memerr);
            return ERR_MEM;
        }
        struct ip4_repr fr = *r;
        fr.ihl_bytes = IP4_HDR_LEN;
        fr.total_len = (uint16_t)(IP4_HDR_LEN + n);
        fr.flags_offset = (uint16_t)((r->flags_offset & IP4_FLAG_DF) | ((last && !more_after) ? 0u : IP4_FLAG_MF) |
                                     (base + off / 8u));
        uint8_t hdr[IP4_HDR_LEN];
        ip4_emit(&fr, hdr);
        pbuf_take(f, hdr, IP4_HDR_LEN);
        pbuf_copy_range(f, IP4_HDR_LEN, p, off, n);
        err_t err = ip4_link_output(netif, f, nexthop);
        pbuf_free(f);
        if (err != ERR_OK) return err;
        STATS_INC(s, STATS_IP4_FRAG, xmit);
    }
    return ERR_OK;
}
