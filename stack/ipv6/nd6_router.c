/*
 * Neighbor Discovery, host side of routers (RFC 4861 6.3): Router
 * Advertisement processing, the default router list and its selection
 * (6.3.6), the prefix list and on-link determination (5.2, 6.3.4),
 * Redirects received (8.1, 8.3) and sent by routers (8.2), and RDNSS
 * (RFC 8106) kept for the resolver.
 */
#include <string.h>

#include "shoal/nd6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"

#define INFINITE_LIFETIME 0xffffffffu
#define REDIRECT_MAX_LEN 1280u /* RFC 4861 8.2: the redirect must not exceed the minimum MTU */

static bool same_addr(const ip6_addr_t *a, const ip6_addr_t *b) { return memcmp(a->addr, b->addr, 16) == 0; }

static uint64_t lifetime_deadline(uint64_t now, uint32_t seconds)
{
    if (seconds == INFINITE_LIFETIME) return SHOAL_TIME_NEVER;
    return now + (uint64_t)seconds * SHOAL_NS_PER_S;
}

/* ---- default router list ---- */

static struct nd6_router *find_router(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip)
{
    for (uint32_t i = 0; i < s->cfg.nd6_routers; i++) {
        struct nd6_router *r = &s->nd6_routers[i];
        if (r->used && r->netif_idx == netif_idx && same_addr(&r->ip, ip)) return r;
    }
    return NULL;
}

/* Destinations redirected through a router that left (RFC 4861 7.2.5: update the destination cache). */
static void forget_dests_via(struct stack *s, uint8_t netif_idx, const ip6_addr_t *nexthop)
{
    for (uint32_t i = 0; i < s->cfg.nd6_dests; i++) {
        struct nd6_dest *d = &s->nd6_dests[i];
        if (d->used && d->netif_idx == netif_idx && (nexthop == NULL || same_addr(&d->nexthop, nexthop)))
            memset(d, 0, sizeof(*d));
    }
}

void nd6_router_gone(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip)
{
    struct nd6_router *r = find_router(s, netif_idx, ip);
    if (r != NULL) memset(r, 0, sizeof(*r));
    forget_dests_via(s, netif_idx, ip);
}

void nd6_router_unreachable(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip)
{
    /* RFC 4861 6.3.6: cycle to the next router when this one stops answering. */
    if (find_router(s, netif_idx, ip) != NULL) s->nd6.router_rr++;
}

static bool router_reachable(struct stack *s, const struct nd6_router *r)
{
    const struct nd6_neighbor *e = nd6_find_neighbor(s, r->netif_idx, &r->ip);
    return e != NULL && e->state != ND6_INCOMPLETE;
}

bool nd6_default_router(struct stack *s, struct netif **netif, ip6_addr_t *router)
{
    const struct nd6_router *pick = NULL;
    uint32_t count = 0;
    /* RFC 4861 6.3.6: a router in any state but INCOMPLETE (reachable or
     * probably so) first, in list order so the choice is stable. */
    for (uint32_t i = 0; i < s->cfg.nd6_routers; i++) {
        const struct nd6_router *r = &s->nd6_routers[i];
        if (!r->used) continue;
        count++;
        if (pick == NULL && router_reachable(s, r)) pick = r;
    }
    if (count == 0) return false;
    if (pick == NULL) {
        /* None known reachable: round robin, advanced when one fails. */
        uint32_t want = s->nd6.router_rr % count, k = 0;
        for (uint32_t i = 0; i < s->cfg.nd6_routers && pick == NULL; i++) {
            const struct nd6_router *r = &s->nd6_routers[i];
            if (r->used && k++ == want) pick = r;
        }
    }
    struct netif *n = netif_find_by_index(s, pick->netif_idx);
    if (n == NULL) return false;
    if (netif != NULL) *netif = n;
    if (router != NULL) {
        *router = pick->ip;
        router->zone = pick->netif_idx;
    }
    return true;
}

static void update_router(struct netif *netif, const ip6_addr_t *src, uint16_t lifetime_s, uint64_t now)
{
    struct stack *s = netif->stack;
    struct nd6_router *r = find_router(s, netif->index, src);
    if (lifetime_s == 0) {
        /* 6.3.4: a zero lifetime times the router out at once. */
        if (r != NULL) nd6_router_gone(s, netif->index, src);
        return;
    }
    if (r == NULL) {
        for (uint32_t i = 0; i < s->cfg.nd6_routers && r == NULL; i++)
            if (!s->nd6_routers[i].used) r = &s->nd6_routers[i];
        if (r == NULL) {
            STATS_INC(s, STATS_ND6, memerr);
            return;
        }
        r->used = true;
        r->ip = *src;
        r->ip.zone = netif->index;
        r->netif_idx = netif->index;
    }
    r->expires_ns = now + (uint64_t)lifetime_s * SHOAL_NS_PER_S;
}

/* ---- prefix list (on-link) ---- */

static struct nd6_prefix *find_prefix(struct stack *s, uint8_t netif_idx, const ip6_addr_t *prefix, uint8_t len)
{
    for (uint32_t i = 0; i < s->cfg.nd6_prefixes; i++) {
        struct nd6_prefix *p = &s->nd6_prefixes[i];
        if (p->used && p->netif_idx == netif_idx && p->prefix_len == len && ip6_addr_prefix_eq(&p->prefix, prefix, len))
            return p;
    }
    return NULL;
}

static void update_onlink(struct netif *netif, const struct nd6_opt_prefix *pi, uint64_t now)
{
    struct stack *s = netif->stack;
    struct nd6_prefix *p = find_prefix(s, netif->index, &pi->prefix, pi->prefix_len);
    if (pi->valid_lifetime_s == 0) {
        if (p != NULL) memset(p, 0, sizeof(*p)); /* 6.3.4: time it out now */
        return;
    }
    if (p == NULL) {
        for (uint32_t i = 0; i < s->cfg.nd6_prefixes && p == NULL; i++)
            if (!s->nd6_prefixes[i].used) p = &s->nd6_prefixes[i];
        if (p == NULL) {
            STATS_INC(s, STATS_ND6, memerr);
            return;
        }
        p->used = true;
        p->netif_idx = netif->index;
        p->prefix_len = pi->prefix_len;
        /* Keep only the prefix bits. */
        memset(&p->prefix, 0, sizeof(p->prefix));
        uint8_t *d = (uint8_t *)p->prefix.addr;
        for (unsigned i = 0; i < 16; i++) {
            unsigned bits = pi->prefix_len > i * 8 ? SHOAL_MIN(8u, pi->prefix_len - i * 8) : 0;
            d[i] = (uint8_t)(ip6_addr_byte(&pi->prefix, i) & (uint8_t)(0xffu << (8 - bits)));
        }
    }
    p->expires_ns = lifetime_deadline(now, pi->valid_lifetime_s);
}

bool nd6_on_link(struct stack *s, const ip6_addr_t *dst, struct netif **netif, uint8_t *prefix_len)
{
    const struct nd6_prefix *best = NULL;
    for (uint32_t i = 0; i < s->cfg.nd6_prefixes; i++) {
        const struct nd6_prefix *p = &s->nd6_prefixes[i];
        if (p->used && ip6_addr_prefix_eq(&p->prefix, dst, p->prefix_len) &&
            (best == NULL || p->prefix_len > best->prefix_len))
            best = p;
    }
    if (best == NULL) return false;
    struct netif *n = netif_find_by_index(s, best->netif_idx);
    if (n == NULL) return false;
    if (netif != NULL) *netif = n;
    if (prefix_len != NULL) *prefix_len = best->prefix_len;
    return true;
}

/* ---- RDNSS (RFC 8106 5.1): stored for the resolver ---- */

static void update_rdnss(struct netif *netif, const struct nd6_opts *o, uint64_t now)
{
    struct netif_nd6 *nd = &netif->nd6;
    for (uint8_t k = 0; k < o->rdnss_count; k++) {
        const ip6_addr_t *a = &o->rdnss[k];
        if (ip6_addr_is_multicast(a) || ip6_addr_is_any(a)) continue;
        int slot = -1, free_slot = -1;
        for (int i = 0; i < 3; i++) {
            if (ip6_addr_is_any(&nd->rdnss[i])) {
                if (free_slot < 0) free_slot = i;
            } else if (same_addr(&nd->rdnss[i], a)) {
                slot = i;
            }
        }
        if (o->rdnss_lifetime_s == 0) { /* 5.1: lifetime 0 removes the server */
            if (slot >= 0) memset(&nd->rdnss[slot], 0, sizeof(nd->rdnss[slot]));
            continue;
        }
        if (slot < 0) slot = free_slot;
        if (slot < 0) continue; /* full: keep the servers we know (RFC 8106 5.3.1 allows it) */
        nd->rdnss[slot] = *a;
        if (ip6_addr_is_linklocal(a)) nd->rdnss[slot].zone = netif->index;
        nd->rdnss_expires_ns[slot] = lifetime_deadline(now, o->rdnss_lifetime_s);
    }
}

/* ---- Router Advertisement input (RFC 4861 6.1.2, 6.3.4) ---- */

void nd6_ra_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len)
{
    struct netif *netif = info->netif;
    struct stack *s = netif->stack;
    struct nd6_opts opts;
    if (len < ND6_RA_LEN) {
        STATS_DROP(s, STATS_ND6, lenerr);
        return;
    }
    if (!ip6_addr_is_linklocal(&info->ip.src)) { /* 6.1.2 */
        STATS_DROP(s, STATS_ND6, proterr);
        return;
    }
    if (nd6_parse_options(msg + ND6_RA_LEN, len - ND6_RA_LEN, &opts) != ERR_OK) {
        STATS_DROP(s, STATS_ND6, opterr);
        return;
    }
    STATS_INC(s, STATS_ND6, recv);
    uint64_t now = stack_now(s);
    struct netif_nd6 *nd = &netif->nd6;
    uint8_t cur_hop_limit = msg[4];
    uint16_t router_lifetime = rd16be(msg + 6);
    uint32_t reachable = rd32be(msg + 8), retrans = rd32be(msg + 12);
    if (stack_config(s)->ip_forwarding) {
        /* 6.2.7: a router takes no configuration from other routers' RAs,
         * but says when they disagree with its own (values both specify). */
        if (nd->advertising &&
            ((cur_hop_limit && nd->ra_cur_hop_limit && cur_hop_limit != nd->ra_cur_hop_limit) ||
             (msg[5] & 0xc0u) != nd->ra_flags || (reachable && nd->ra_reachable_ms && reachable != nd->ra_reachable_ms) ||
             (retrans && nd->ra_retrans_ms && retrans != nd->ra_retrans_ms) ||
             (opts.has_mtu && nd->ra_mtu && opts.mtu != nd->ra_mtu)))
            stack_log(s, STACK_LOG_WARN, "nd6", "inconsistent RA from another router", netif->index);
        return;
    }

    update_router(netif, &info->ip.src, router_lifetime, now);
    if (router_lifetime != 0) nd6_slaac_rs_done(netif); /* 6.3.7 */
    if (cur_hop_limit != 0) nd->cur_hop_limit = cur_hop_limit;
    reachable = SHOAL_MIN(reachable, 3600000u); /* MAX_REACHABLE_TIME (6.2.1) */
    if (reachable != 0 && reachable != nd->base_reachable_ms) {
        /* 6.3.4: a new BaseReachableTime draws a new ReachableTime. */
        nd->base_reachable_ms = reachable;
        nd6_rerandomize_reachable(netif);
    }
    if (retrans != 0) nd->retrans_ms = retrans;
    /* The sender is a router: learn its link-layer address (6.3.4, 7.2.3). */
    nd6_cache_learn(netif, &info->ip.src, opts.slla, opts.slla_len, true);
    struct nd6_neighbor *e = nd6_find_neighbor(s, netif->index, &info->ip.src);
    if (e != NULL) e->is_router = true;
    /* MTU option: only within what the link can carry (6.3.4). */
    if (opts.has_mtu && opts.mtu >= IP6_MIN_MTU && opts.mtu <= netif->mtu) nd->link_mtu = (uint16_t)opts.mtu;
    for (uint8_t i = 0; i < opts.prefix_count; i++) {
        const struct nd6_opt_prefix *pi = &opts.prefixes[i];
        /* 6.3.4 and RFC 4862 5.5.3 a: the link-local prefix is never taken. */
        if (ip6_addr_is_linklocal(&pi->prefix) || pi->prefix_len > 128) continue;
        if (pi->flags & ND6_PREFIX_FLAG_L) update_onlink(netif, pi, now);
        if ((pi->flags & ND6_PREFIX_FLAG_A) && nd->autoconf) nd6_slaac_prefix(netif, pi);
    }
    update_rdnss(netif, &opts, now);
    nd6_timer_update(s);
}

/* RS on a host: silently ignored (6.2.6); routers answer in nd6_rtadv.c. */
void nd6_rs_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len)
{
    struct netif *netif = info->netif;
    struct stack *s = netif->stack;
    struct nd6_opts opts;
    if (len < ND6_RS_LEN) {
        STATS_DROP(s, STATS_ND6, lenerr);
        return;
    }
    if (nd6_parse_options(msg + ND6_RS_LEN, len - ND6_RS_LEN, &opts) != ERR_OK) {
        STATS_DROP(s, STATS_ND6, opterr);
        return;
    }
    bool src_any = ip6_addr_is_any(&info->ip.src);
    if (src_any && opts.slla != NULL) { /* 6.1.1 */
        STATS_DROP(s, STATS_ND6, proterr);
        return;
    }
    STATS_INC(s, STATS_ND6, recv);
    if (!stack_config(s)->ip_forwarding || !netif->nd6.advertising) return;
    if (!src_any) nd6_cache_learn(netif, &info->ip.src, opts.slla, opts.slla_len, false); /* 6.2.6 */
    nd6_rtadv_rs_input(netif);
}

/* ---- Redirects (RFC 4861 8) ---- */

static struct nd6_dest *dest_slot(struct stack *s, const ip6_addr_t *dst)
{
    struct nd6_dest *oldest = NULL;
    for (uint32_t i = 0; i < s->cfg.nd6_dests; i++) {
        struct nd6_dest *d = &s->nd6_dests[i];
        if (d->used && same_addr(&d->dst, dst)) return d;
    }
    for (uint32_t i = 0; i < s->cfg.nd6_dests; i++) {
        struct nd6_dest *d = &s->nd6_dests[i];
        if (!d->used) return d;
        if (oldest == NULL || d->used_ns < oldest->used_ns) oldest = d;
    }
    return oldest;
}

bool nd6_redirected(struct stack *s, const ip6_addr_t *dst, struct netif **netif, ip6_addr_t *nexthop)
{
    for (uint32_t i = 0; i < s->cfg.nd6_dests; i++) {
        struct nd6_dest *d = &s->nd6_dests[i];
        if (!d->used || !same_addr(&d->dst, dst)) continue;
        struct netif *n = netif_find_by_index(s, d->netif_idx);
        if (n == NULL) return false;
        d->used_ns = stack_now(s);
        if (netif != NULL) *netif = n;
        if (nexthop != NULL) *nexthop = d->nexthop;
        return true;
    }
    return false;
}

void nd6_redirect_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len)
{
    struct netif *netif = info->netif;
    struct stack *s = netif->stack;
    struct nd6_opts opts;
    ip6_addr_t target, dst;
    if (len < ND6_REDIRECT_LEN) {
        STATS_DROP(s, STATS_ND6, lenerr);
        return;
    }
    ip6_addr_from_bytes(&target, msg + 8);
    ip6_addr_from_bytes(&dst, msg + 24);
    if (nd6_parse_options(msg + ND6_REDIRECT_LEN, len - ND6_REDIRECT_LEN, &opts) != ERR_OK) {
        STATS_DROP(s, STATS_ND6, opterr);
        return;
    }
    /* 8.1: from a link-local address, destination not multicast, target
     * link-local (a router) or the destination itself (on-link). */
    bool target_is_dst = same_addr(&target, &dst);
    if (!ip6_addr_is_linklocal(&info->ip.src) || ip6_addr_is_multicast(&dst) ||
        (!ip6_addr_is_linklocal(&target) && !target_is_dst)) {
        STATS_DROP(s, STATS_ND6, proterr);
        return;
    }
    /* 8.1: the source must be the current first hop for dst. Routers
     * ignore redirects (8.2 is their side). */
    struct ip6_route_result rr;
    if (stack_config(s)->ip_forwarding || ip6_route(s, &dst, &rr) != ERR_OK || rr.netif != netif ||
        !same_addr(&rr.nexthop, &info->ip.src)) {
        STATS_DROP(s, STATS_ND6, proterr);
        return;
    }
    STATS_INC(s, STATS_ND6, recv);
    struct nd6_dest *d = dest_slot(s, &dst);
    if (d != NULL) {
        memset(d, 0, sizeof(*d));
        d->used = true;
        d->dst = dst;
        if (ip6_addr_has_scope(&dst)) d->dst.zone = netif->index;
        d->nexthop = target;
        if (ip6_addr_has_scope(&target)) d->nexthop.zone = netif->index;
        d->netif_idx = netif->index;
        d->used_ns = stack_now(s);
    }
    /* 8.3: the target's link-layer address, and a target other than the
     * destination is a router. */
    nd6_cache_learn(netif, &target, opts.tlla, opts.tlla_len, !target_is_dst);
    struct nd6_neighbor *e = nd6_find_neighbor(s, netif->index, &target);
    if (e != NULL && !target_is_dst) e->is_router = true;
}

static bool redirect_allowed(struct stack *s)
{
    /* 8.2: rate limited; a token bucket of ND6_REDIRECTS_PER_S per second. */
    uint64_t now = stack_now(s);
    if (now - s->nd6.redirect_tokens_at_ns >= SHOAL_NS_PER_S || s->nd6.redirect_tokens_at_ns == 0) {
        s->nd6.redirect_tokens_at_ns = now;
        s->nd6.redirect_tokens = ND6_REDIRECTS_PER_S;
    }
    if (s->nd6.redirect_tokens == 0) return false;
    s->nd6.redirect_tokens--;
    return true;
}

void nd6_send_redirect(struct netif *in, struct pbuf *orig, const ip6_addr_t *target)
{
    struct stack *s = in->stack;
    uint8_t hdr[IP6_HDR_LEN];
    if (!in->nd6.enabled || pbuf_copy_partial(orig, hdr, IP6_HDR_LEN, 0) != IP6_HDR_LEN) return;
    ip6_addr_t src, dst, own;
    ip6_addr_from_bytes(&src, hdr + 8);
    ip6_addr_from_bytes(&dst, hdr + 24);
    /* 8.2: only to a unicast neighbor (link-local source or on an on-link
     * prefix of this netif), never about multicast. */
    if (ip6_addr_is_any(&src) || ip6_addr_is_multicast(&src) || ip6_addr_is_multicast(&dst)) return;
    bool neighbor = ip6_addr_is_linklocal(&src);
    for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS && !neighbor; i++) {
        const struct netif_ip6_addr *a = &in->ip6[i];
        if (netif_ip6_usable(a) && a->prefix_len < 128 && ip6_addr_prefix_eq(&a->addr, &src, a->prefix_len))
            neighbor = true;
    }
    if (!neighbor) return;
    /* RFC 4861 8.2: sent from the link-local address of the interface. */
    if (!netif_ip6_usable(&in->ip6[0]) || !ip6_addr_is_linklocal(&in->ip6[0].addr)) return;
    own = in->ip6[0].addr;
    if (!redirect_allowed(s)) {
        STATS_INC(s, STATS_ND6, err);
        return;
    }
    const struct nd6_neighbor *e = nd6_find_neighbor(s, in->index, target);
    size_t tlla = (e != NULL && e->state != ND6_INCOMPLETE && in->kind == NETIF_ETHERNET) ? 8u : 0u;
    size_t fixed = ND6_REDIRECT_LEN + tlla + 8u;
    /* 4.6.3: as much of the packet as keeps the redirect within 1280
     * bytes, zero-padded to a multiple of 8. */
    size_t room = (REDIRECT_MAX_LEN - IP6_HDR_LEN - fixed) & ~(size_t)7u;
    size_t carry = SHOAL_MIN(orig->tot_len, room);
    size_t padded = (carry + 7u) & ~(size_t)7u;
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, fixed + padded);
    if (p == NULL) {
        STATS_INC(s, STATS_ND6, memerr);
        return;
    }
    uint8_t head[ND6_REDIRECT_LEN + 16];
    memset(head, 0, sizeof(head));
    head[0] = ICMP6_TYPE_REDIRECT;
    ip6_addr_to_bytes(target, head + 8);
    ip6_addr_to_bytes(&dst, head + 24);
    size_t at = ND6_REDIRECT_LEN;
    if (tlla) {
        head[at] = ND6_OPT_TLLA;
        head[at + 1] = 1;
        memcpy(head + at + 2, e->mac.addr, ETH_HWADDR_LEN);
        at += 8;
    }
    head[at] = ND6_OPT_REDIRECTED;
    head[at + 1] = (uint8_t)((padded + 8u) / 8u);
    at += 8;
    pbuf_take(p, head, at);
    uint8_t zeros[8];
    memset(zeros, 0, sizeof(zeros));
    pbuf_take_at(p, zeros, padded - carry, at + carry); /* the padding */
    pbuf_copy_range(p, at, orig, 0, carry);
    src.zone = ip6_addr_has_scope(&src) ? in->index : 0;
    nd6_send(in, p, &own, &src);
}

/* ---- timers and cleanup ---- */

uint64_t nd6_router_next(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.nd6_routers; i++)
        if (s->nd6_routers[i].used) next = SHOAL_MIN(next, s->nd6_routers[i].expires_ns);
    for (uint32_t i = 0; i < s->cfg.nd6_prefixes; i++)
        if (s->nd6_prefixes[i].used) next = SHOAL_MIN(next, s->nd6_prefixes[i].expires_ns);
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        for (int k = 0; k < 3; k++)
            if (!ip6_addr_is_any(&n->nd6.rdnss[k])) next = SHOAL_MIN(next, n->nd6.rdnss_expires_ns[k]);
    return next;
}

void nd6_router_tick(struct stack *s, uint64_t now)
{
    for (uint32_t i = 0; i < s->cfg.nd6_routers; i++) {
        struct nd6_router *r = &s->nd6_routers[i];
        if (r->used && r->expires_ns <= now) nd6_router_gone(s, r->netif_idx, &r->ip);
    }
    for (uint32_t i = 0; i < s->cfg.nd6_prefixes; i++) {
        struct nd6_prefix *p = &s->nd6_prefixes[i];
        if (p->used && p->expires_ns <= now) memset(p, 0, sizeof(*p));
    }
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        for (int k = 0; k < 3; k++)
            if (!ip6_addr_is_any(&n->nd6.rdnss[k]) && n->nd6.rdnss_expires_ns[k] <= now)
                memset(&n->nd6.rdnss[k], 0, sizeof(n->nd6.rdnss[k]));
}

void nd6_router_netif_cleanup(struct netif *netif)
{
    struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.nd6_routers; i++)
        if (s->nd6_routers[i].used && s->nd6_routers[i].netif_idx == netif->index)
            memset(&s->nd6_routers[i], 0, sizeof(s->nd6_routers[i]));
    for (uint32_t i = 0; i < s->cfg.nd6_prefixes; i++)
        if (s->nd6_prefixes[i].used && s->nd6_prefixes[i].netif_idx == netif->index)
            memset(&s->nd6_prefixes[i], 0, sizeof(s->nd6_prefixes[i]));
    forget_dests_via(s, netif->index, NULL);
    memset(netif->nd6.rdnss, 0, sizeof(netif->nd6.rdnss));
}

/* ---- views ---- */

bool nd6_router_get(struct stack *s, size_t i, struct nd6_router_info *out)
{
    size_t n = 0;
    for (uint32_t k = 0; k < s->cfg.nd6_routers; k++) {
        const struct nd6_router *r = &s->nd6_routers[k];
        if (!r->used || n++ != i) continue;
        out->ip = r->ip;
        out->netif_idx = r->netif_idx;
        out->expires_ns = r->expires_ns;
        return true;
    }
    return false;
}

bool nd6_prefix_get(struct stack *s, size_t i, struct nd6_prefix_info *out)
{
    size_t n = 0;
    for (uint32_t k = 0; k < s->cfg.nd6_prefixes; k++) {
        const struct nd6_prefix *p = &s->nd6_prefixes[k];
        if (!p->used || n++ != i) continue;
        out->prefix = p->prefix;
        out->prefix_len = p->prefix_len;
        out->netif_idx = p->netif_idx;
        out->expires_ns = p->expires_ns;
        return true;
    }
    return false;
}
