/*
 * IPv6 fragmentation and reassembly (RFC 8200 4.5).
 *
 * Reassembly is bounded: a few packets at once (the oldest gives way), a
 * fixed pool of fragment holders shared by all, and a deadline. Any overlap
 * abandons the packet (RFC 5722); an exact duplicate is dropped alone (RFC
 * 8200 4.5 allows it). A fragment with offset 0 and M clear is processed at
 * once without reassembly state (RFC 6946). The first fragment must carry
 * the whole header chain (RFC 7112, RFC 8200 4.5).
 */
#include <string.h>

#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/ip6_frag_priv.h"

#define IP6_MAX_PAYLOAD 65535u

/* The Next Header field that names the header at `target` (the chain up to
 * it was walked and bounds-checked already). */
static uint32_t nh_field_before(const uint8_t *hdr, uint32_t target)
{
    uint32_t field = 6, off = IP6_HDR_LEN;
    while (off < target) {
        field = off;
        off += ((uint32_t)hdr[off + 1] + 1u) * 8u;
    }
    return field;
}

/* RFC 7112 5 / RFC 8200 4.5: does the first fragment's data (after its
 * fragment header) hold every extension header and the upper-layer header? */
static bool chain_complete(const uint8_t *d, size_t len, uint8_t nh)
{
    size_t off = 0;
    for (unsigned count = 0; count <= IP6_EXT_MAX; count++) {
        switch (nh) {
        case IP6_NH_NONE: return true;
        case IP6_NH_HOPOPTS:
        case IP6_NH_DSTOPTS:
        case IP6_NH_ROUTING:
            if (off + 2u > len || off + ((size_t)d[off + 1] + 1u) * 8u > len) return false;
            nh = d[off];
            off += ((size_t)d[off + 1] + 1u) * 8u;
            continue;
        case IP6_NH_FRAGMENT: return false; /* a fragment inside a fragment */
        case IP6_NH_TCP: return off + 20u <= len;
        case IP6_NH_UDP:
        case IP6_NH_UDPLITE: return off + 8u <= len;
        case IP6_NH_ICMP6: return off + 4u <= len;
        default: return true; /* an upper layer we cannot size: its start is enough */
        }
    }
    return false;
}

static void node_free(struct stack *s, struct ip6_frag_node *f)
{
    pbuf_free(f->p);
    pool_free(&s->pools[POOL_IP6_FRAG], f);
}

/* Drop the fragments held; the entry stays in use when `keep` (dead). */
static void reass_clear(struct stack *s, struct ip6_reass_entry *e, bool count)
{
    while (e->frags != NULL) {
        struct ip6_frag_node *f = e->frags;
        e->frags = f->next;
        node_free(s, f);
        if (count) STATS_INC(s, STATS_IP6_FRAG, drop);
    }
}

static void reass_free(struct stack *s, struct ip6_reass_entry *e)
{
    reass_clear(s, e, true);
    e->used = false;
}

/* RFC 5722: overlapping fragments end the packet quietly; its later
 * fragments are dropped until the deadline. */
static void reass_kill(struct stack *s, struct ip6_reass_entry *e)
{
    reass_clear(s, e, true);
    e->dead = true;
}

/* The first fragment as it arrived (payload back at its IPv6 header). */
static struct pbuf *first_fragment(struct ip6_reass_entry *e)
{
    if (!e->have_first || e->frags == NULL || e->frags->start != 0) return NULL;
    struct pbuf *p = e->frags->p;
    if (pbuf_add_header(p, (size_t)e->unfrag_len + IP6_FRAG_HDR_LEN) != ERR_OK) return NULL;
    return p;
}

uint64_t ip6_reass_tick(struct stack *s, uint64_t now_ns)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.ip6_reass_max; i++) {
        struct ip6_reass_entry *e = &s->reass6[i];
        if (!e->used) continue;
        if (e->deadline_ns > now_ns) {
            if (e->deadline_ns < next) next = e->deadline_ns;
            continue;
        }
        /* RFC 8200 4.5: time exceeded code 1 to the source, only when the
         * first fragment arrived. */
        struct netif *netif = netif_find_by_index(s, e->netif_idx);
        struct pbuf *first = e->dead ? NULL : first_fragment(e);
        if (first != NULL && netif != NULL)
            icmp6_send_error(s, netif, first, ICMP6_TYPE_TIME_EXCEEDED, ICMP6_TE_REASSEMBLY, 0);
        if (!e->dead) STATS_INC(s, STATS_IP6_FRAG, err);
        reass_free(s, e);
    }
    return next;
}

static struct ip6_reass_entry *find_or_new(struct stack *s, const struct ip6_repr *ip, uint32_t id, uint8_t netif_idx)
{
    struct ip6_reass_entry *free_e = NULL, *oldest = NULL;
    for (uint32_t i = 0; i < s->cfg.ip6_reass_max; i++) {
        struct ip6_reass_entry *e = &s->reass6[i];
        if (!e->used) {
            if (free_e == NULL) free_e = e;
            continue;
        }
        /* RFC 8200 4.5: a packet is (source, destination, identification). */
        if (e->id == id && e->netif_idx == netif_idx && ip6_addr_eq(&e->src, &ip->src) &&
            ip6_addr_eq(&e->dst, &ip->dst))
            return e;
        if (oldest == NULL || e->created_ns < oldest->created_ns) oldest = e;
    }
    struct ip6_reass_entry *e = free_e;
    if (e == NULL) {
        if (oldest == NULL) return NULL;
        STATS_INC(s, STATS_IP6_FRAG, memerr); /* the oldest packet gives way */
        reass_free(s, oldest);
        e = oldest;
    }
    memset(e, 0, sizeof(*e));
    e->used = true;
    e->src = ip->src;
    e->dst = ip->dst;
    e->src.zone = e->dst.zone = 0;
    e->id = id;
    e->netif_idx = netif_idx;
    e->created_ns = stack_now(s);
    e->deadline_ns = e->created_ns + (uint64_t)s->cfg.ip6_reass_timeout_ms * SHOAL_NS_PER_MS;
    return e;
}

/* The packet is whole: the first fragment's headers, without the fragment
 * header, then every fragment's data. */
static struct pbuf *reass_complete(struct stack *s, struct ip6_reass_entry *e)
{
    size_t total = (size_t)e->unfrag_len + e->total;
    struct pbuf *first = first_fragment(e);
    struct pbuf *p = first != NULL && total - IP6_HDR_LEN <= IP6_MAX_PAYLOAD ? pbuf_alloc(s, PBUF_LINK, total) : NULL;
    if (p == NULL) {
        /* Larger than the pbuf pool can hold now (or impossible). */
        STATS_DROP(s, STATS_IP6_FRAG, memerr);
        reass_free(s, e);
        return NULL;
    }
    /* Headers: the unfragmentable part of the first fragment. */
    uint8_t buf[256];
    for (size_t off = 0; off < e->unfrag_len;) {
        size_t n = pbuf_copy_partial(first, buf, SHOAL_MIN(sizeof(buf), (size_t)e->unfrag_len - off), off);
        pbuf_take_at(p, buf, n, off);
        off += n;
    }
    pbuf_remove_header(first, (size_t)e->unfrag_len + IP6_FRAG_HDR_LEN);
    for (const struct ip6_frag_node *f = e->frags; f != NULL; f = f->next) {
        size_t off = e->unfrag_len + f->start;
        for (const struct pbuf *q = f->p; q != NULL; q = q->next) {
            pbuf_take_at(p, q->payload, q->len, off);
            off += q->len;
        }
    }
    /* Fix the payload length and the Next Header that named the fragment header. */
    uint8_t plen[2] = {(uint8_t)((total - IP6_HDR_LEN) >> 8), (uint8_t)(total - IP6_HDR_LEN)};
    pbuf_take_at(p, plen, 2, 4);
    pbuf_take_at(p, &e->next_header, 1, e->prev_nh_off);
    p->if_idx = first->if_idx;
    p->flags = first->flags;
    reass_clear(s, e, false);
    e->used = false;
    STATS_INC(s, STATS_IP6_FRAG, recv);
    return p;
}

/* RFC 6946: offset 0 and M clear: the packet is complete as it is; take
 * the fragment header out. */
static struct pbuf *atomic_fragment(struct stack *s, struct pbuf *p, uint32_t frag_offset)
{
    uint8_t *h = p->payload;
    uint8_t nh = h[frag_offset];
    h[nh_field_before(h, frag_offset)] = nh;
    wr16be(h + 4, (uint16_t)(rd16be(h + 4) - IP6_FRAG_HDR_LEN));
    memmove(h + IP6_FRAG_HDR_LEN, h, frag_offset);
    pbuf_remove_header(p, IP6_FRAG_HDR_LEN);
    STATS_INC(s, STATS_IP6_FRAG, recv);
    return p;
}

static void frag_error(struct stack *s, struct netif *netif, struct pbuf *p, uint8_t code, uint32_t pointer)
{
    icmp6_send_error(s, netif, p, ICMP6_TYPE_PARAM_PROBLEM, code, pointer);
    STATS_DROP(s, STATS_IP6_FRAG, proterr);
    pbuf_free(p);
}

struct pbuf *ip6_reass(struct pbuf *p, struct netif *netif, uint32_t frag_offset)
{
    struct stack *s = netif->stack;
    struct ip6_repr ip;
    const uint8_t *h = p->payload;
    if (frag_offset + IP6_FRAG_HDR_LEN > p->len || ip6_parse(h, p->tot_len, &ip) != IP6_OK) {
        STATS_DROP(s, STATS_IP6_FRAG, lenerr);
        pbuf_free(p);
        return NULL;
    }
    const uint8_t *fh = h + frag_offset;
    uint16_t word = rd16be(fh + 2);
    uint32_t start = (uint32_t)(word >> 3) * 8u;
    bool more = (word & 1u) != 0;
    uint32_t id = rd32be(fh + 4);
    uint32_t len = (uint32_t)p->tot_len - frag_offset - IP6_FRAG_HDR_LEN;
    if (start == 0 && !more) return atomic_fragment(s, p, frag_offset);
    /* RFC 8200 4.5: a fragment other than the last carries a multiple of 8
     * bytes (pointer: Payload Length), and none reaches past 65535 (pointer:
     * Fragment Offset). */
    if (more && len % 8u != 0) {
        frag_error(s, netif, p, ICMP6_PP_FIELD, 4);
        return NULL;
    }
    if (len == 0) { /* adds nothing (a last one would say the length is its offset: void) */
        STATS_DROP(s, STATS_IP6_FRAG, lenerr);
        pbuf_free(p);
        return NULL;
    }
    if (start + len + frag_offset - IP6_HDR_LEN > IP6_MAX_PAYLOAD) {
        frag_error(s, netif, p, ICMP6_PP_FIELD, frag_offset + 2u);
        return NULL;
    }
    if (start == 0 && !chain_complete(fh + IP6_FRAG_HDR_LEN, p->len - frag_offset - IP6_FRAG_HDR_LEN, fh[0])) {
        /* RFC 7112 5: code 3, pointer 0. */
        frag_error(s, netif, p, ICMP6_PP_FIRST_FRAG_INCOMPLETE, 0);
        return NULL;
    }
    STATS_INC(s, STATS_IP6_FRAG, recv);
    struct ip6_reass_entry *e = find_or_new(s, &ip, id, netif->index);
    if (e == NULL) {
        STATS_DROP(s, STATS_IP6_FRAG, memerr);
        pbuf_free(p);
        return NULL;
    }
    uint32_t end = start + len;
    bool bad_len = (!more && e->total != 0 && e->total != end) || (e->total != 0 && end > e->total);
    for (const struct ip6_frag_node *f = e->frags; f != NULL && !bad_len; f = f->next)
        if (!more && f->end > end) bad_len = true;
    if (e->dead || bad_len) {
        /* Inconsistent with the length the last fragment gave: the packet is void. */
        if (!e->dead) STATS_INC(s, STATS_IP6_FRAG, proterr);
        if (bad_len) reass_kill(s, e);
        STATS_INC(s, STATS_IP6_FRAG, drop);
        pbuf_free(p);
        ip6_timer_update(s);
        return NULL;
    }
    struct ip6_frag_node **pp = &e->frags;
    while (*pp != NULL && (*pp)->end <= start) pp = &(*pp)->next;
    if (*pp != NULL && (*pp)->start < end) {
        if ((*pp)->start == start && (*pp)->end == end) {
            STATS_INC(s, STATS_IP6_FRAG, drop); /* an exact duplicate */
        } else {
            STATS_INC(s, STATS_IP6_FRAG, proterr); /* RFC 5722: overlap */
            reass_kill(s, e);
            STATS_INC(s, STATS_IP6_FRAG, drop);
        }
        pbuf_free(p);
        ip6_timer_update(s);
        return NULL;
    }
    struct ip6_frag_node *f = pool_alloc(&s->pools[POOL_IP6_FRAG]);
    if (f == NULL) {
        /* Out of holders: this packet cannot complete; give its room back. */
        STATS_DROP(s, STATS_IP6_FRAG, memerr);
        reass_free(s, e);
        pbuf_free(p);
        ip6_timer_update(s);
        return NULL;
    }
    if (start == 0) {
        /* RFC 8200 4.5: only the offset-0 fragment's Next Header counts. */
        e->have_first = true;
        e->unfrag_len = (uint16_t)frag_offset;
        e->prev_nh_off = (uint16_t)nh_field_before(h, frag_offset);
        e->next_header = fh[0];
    }
    pbuf_remove_header(p, frag_offset + IP6_FRAG_HDR_LEN);
    f->p = p;
    f->start = start;
    f->end = end;
    f->next = *pp;
    *pp = f;
    if (!more) e->total = end;
    struct pbuf *whole = NULL;
    if (e->total != 0 && e->have_first) {
        uint32_t next = 0;
        for (const struct ip6_frag_node *q = e->frags; q != NULL && q->start == next; q = q->next) next = q->end;
        if (next == e->total) whole = reass_complete(s, e);
    }
    ip6_timer_update(s);
    return whole;
}

err_t ip6_frag_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop, uint16_t mtu)
{
    struct stack *s = netif->stack;
    if (mtu < IP6_MIN_MTU) mtu = IP6_MIN_MTU;
    uint8_t hdr[IP6_HDR_LEN + IP6_FRAG_HDR_LEN];
    if (pbuf_copy_partial(p, hdr, IP6_HDR_LEN, 0) != IP6_HDR_LEN) return ERR_VAL;
    /* Only the fixed header is unfragmentable for what we originate; data
     * per fragment a multiple of 8 bytes. */
    size_t per = ((size_t)mtu - IP6_HDR_LEN - IP6_FRAG_HDR_LEN) & ~(size_t)7u;
    size_t total = p->tot_len - IP6_HDR_LEN;
    uint32_t id = s->ip6.next_frag_id++;
    uint8_t nh = hdr[6];
    hdr[6] = IP6_NH_FRAGMENT;
    for (size_t off = 0; off < total; off += per) {
        size_t n = SHOAL_MIN(per, total - off);
        bool last = off + n >= total;
        struct pbuf *f = pbuf_alloc(s, PBUF_LINK, IP6_HDR_LEN + IP6_FRAG_HDR_LEN + n);
        if (f == NULL) {
            STATS_INC(s, STATS_IP6_FRAG, memerr);
            return ERR_MEM;
        }
        wr16be(hdr + 4, (uint16_t)(IP6_FRAG_HDR_LEN + n));
        hdr[IP6_HDR_LEN] = nh;
        hdr[IP6_HDR_LEN + 1] = 0;
        wr16be(hdr + IP6_HDR_LEN + 2, (uint16_t)(off | (last ? 0u : 1u)));
        wr32be(hdr + IP6_HDR_LEN + 4, id);
        pbuf_take(f, hdr, sizeof(hdr));
        pbuf_copy_range(f, sizeof(hdr), p, IP6_HDR_LEN + off, n);
        err_t err = ip6_link_output(netif, f, nexthop);
        pbuf_free(f);
        if (err != ERR_OK) return err;
        STATS_INC(s, STATS_IP6_FRAG, xmit);
    }
    return ERR_OK;
}
