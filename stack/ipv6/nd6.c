/*
 * Neighbor Discovery (RFC 4861): the neighbor cache with its NUD state
 * machine (7.3), address resolution (7.2), Neighbor Solicitation and
 * Advertisement in and out (7.1, 7.2.3 - 7.2.6), the dispatch of ND
 * messages, and the one timer that serves every ND part.
 *
 * The cache is a fixed table in the instance. Packets to an unresolved
 * neighbor wait as copies in POOL_ND6_QUEUE nodes, at most
 * ND6_QUEUE_PER_NEIGHBOR each (the latest ones). One stack_timer
 * (s->nd6.timer) is armed for the earliest deadline of the cache, the router
 * and prefix lists, router mode and SLAAC; nothing is armed when all is idle.
 */
#include <string.h>

#include "shoal/nd6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/ethernet.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"

#define NA_FLAG_R 0x80u
#define NA_FLAG_S 0x40u
#define NA_FLAG_O 0x20u

static bool same_addr(const ip6_addr_t *a, const ip6_addr_t *b) { return memcmp(a->addr, b->addr, 16) == 0; }

static ip6_addr_t zoned(const ip6_addr_t *a, uint8_t netif_idx)
{
    ip6_addr_t r = *a;
    r.zone = ip6_addr_has_scope(a) ? netif_idx : 0;
    return r;
}

/* ---- the shared timer ---- */

static void nd6_timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    uint64_t now = stack_now(s);
    nd6_cache_tick(s, now);
    nd6_router_tick(s, now);
    nd6_rtadv_tick(s, now);
    nd6_slaac_tick(s, now);
    nd6_timer_update(s);
}

void nd6_timer_update(struct stack *s)
{
    uint64_t next = nd6_cache_next(s);
    next = SHOAL_MIN(next, nd6_router_next(s));
    next = SHOAL_MIN(next, nd6_rtadv_next(s));
    next = SHOAL_MIN(next, nd6_slaac_next(s));
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->nd6.timer);
    else if (!s->nd6.timer.armed || s->nd6.timer.deadline_ns != next)
        stack_timer_arm(s, &s->nd6.timer, next, nd6_timer_fire, NULL);
}

uint64_t nd6_random_ms(struct stack *s, uint32_t max_ms)
{
    if (max_ms == 0) return 0;
    return (uint64_t)(stack_random32(s) % (max_ms + 1u)) * SHOAL_NS_PER_MS;
}

/* ---- sending ---- */

err_t nd6_send(struct netif *netif, struct pbuf *p, const ip6_addr_t *src, const ip6_addr_t *dst)
{
    struct stack *s = netif->stack;
    icmp6_finish(p, src, dst);
    err_t err = ip6_output_if(netif, p, src, dst, ND6_HOP_LIMIT, 0, IP6_NH_ICMP6);
    if (err == ERR_OK) STATS_INC(s, STATS_ND6, xmit);
    else STATS_INC(s, STATS_ND6, err);
    pbuf_free(p);
    return err;
}

size_t nd6_lladdr_opt_len(const struct netif *netif)
{
    /* RFC 2464 8: one 8-byte unit on Ethernet; no link-layer address elsewhere. */
    return netif->kind == NETIF_ETHERNET ? 8u : 0u;
}

size_t nd6_put_lladdr_opt(const struct netif *netif, uint8_t type, uint8_t *at)
{
    if (netif->kind != NETIF_ETHERNET) return 0;
    at[0] = type;
    at[1] = 1;
    memcpy(at + 2, netif->hwaddr, ETH_HWADDR_LEN);
    return 8;
}

err_t nd6_send_ns(struct netif *netif, const ip6_addr_t *target, const ip6_addr_t *src, const ip6_addr_t *dst)
{
    struct stack *s = netif->stack;
    /* RFC 4861 4.3: no SLLA option when the source is unspecified (DAD). */
    size_t opt = ip6_addr_is_any(src) ? 0 : nd6_lladdr_opt_len(netif);
    uint8_t msg[ND6_NS_LEN + 8];
    memset(msg, 0, sizeof(msg));
    msg[0] = ICMP6_TYPE_NS;
    ip6_addr_to_bytes(target, msg + 8);
    if (opt) nd6_put_lladdr_opt(netif, ND6_OPT_SLLA, msg + ND6_NS_LEN);
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, ND6_NS_LEN + opt);
    if (p == NULL) {
        STATS_INC(s, STATS_ND6, memerr);
        return ERR_MEM;
    }
    pbuf_take(p, msg, ND6_NS_LEN + opt);
    return nd6_send(netif, p, src, dst);
}

static void send_na(struct netif *netif, const ip6_addr_t *target, const ip6_addr_t *dst, uint8_t flags)
{
    struct stack *s = netif->stack;
    size_t opt = nd6_lladdr_opt_len(netif);
    uint8_t msg[ND6_NA_LEN + 8];
    memset(msg, 0, sizeof(msg));
    msg[0] = ICMP6_TYPE_NA;
    msg[4] = flags;
    ip6_addr_to_bytes(target, msg + 8);
    if (opt) nd6_put_lladdr_opt(netif, ND6_OPT_TLLA, msg + ND6_NA_LEN);
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, ND6_NA_LEN + opt);
    if (p == NULL) {
        STATS_INC(s, STATS_ND6, memerr);
        return;
    }
    pbuf_take(p, msg, ND6_NA_LEN + opt);
    ip6_addr_t src = zoned(target, netif->index);
    nd6_send(netif, p, &src, dst);
}

/* ---- the cache ---- */

struct nd6_neighbor *nd6_find_neighbor(struct stack *s, uint8_t netif_idx, const ip6_addr_t *ip)
{
    for (uint32_t i = 0; i < s->cfg.nd6_neighbors; i++) {
        struct nd6_neighbor *e = &s->nd6_cache[i];
        if (e->state != ND6_EMPTY && e->netif_idx == netif_idx && same_addr(&e->ip, ip)) return e;
    }
    return NULL;
}

/* Free a detached list of waiting packets. With `netif`, tell each packet's
 * source that the address is unreachable first (RFC 4861 7.2.2) when it came
 * from elsewhere (our own are simply dropped). The list must be detached
 * from its entry: sending the error may resolve its destination and so
 * reuse any cache entry, this one included. */
static void free_queue(struct stack *s, struct nd6_qnode *list, struct netif *netif)
{
    while (list != NULL) {
        struct nd6_qnode *q = list;
        list = q->next;
        if (netif != NULL && q->p->len >= IP6_HDR_LEN) {
            ip6_addr_t src;
            ip6_addr_from_bytes(&src, q->p->payload + 8);
            if (!ip6_is_local_addr(s, &src)) {
                /* A forwarded packet: quote it as it was received (RFC 4443
                 * 2.4 c), before forwarding took one off its hop limit. */
                if (q->p->payload[7] < 255) q->p->payload[7]++;
                icmp6_send_error(s, netif, q->p, ICMP6_TYPE_DEST_UNREACH, ICMP6_DU_ADDR_UNREACH, 0);
            }
        }
        pbuf_free(q->p);
        pool_free(&s->pools[POOL_ND6_QUEUE], q);
        STATS_INC(s, STATS_ND6, drop);
    }
}

static struct nd6_qnode *detach_queue(struct nd6_neighbor *e)
{
    struct nd6_qnode *list = e->queue;
    e->queue = NULL;
    e->queued = 0;
    return list;
}

static void drop_queue(struct stack *s, struct nd6_neighbor *e) { free_queue(s, detach_queue(e), NULL); }

static void clear_entry(struct stack *s, struct nd6_neighbor *e)
{
    drop_queue(s, e);
    if (e->is_router) nd6_router_unreachable(s, e->netif_idx, &e->ip);
    memset(e, 0, sizeof(*e));
}

/* Rank for replacement, lowest goes first (RFC 4861 7.3.1 leaves the policy
 * open): stale entries that are not routers, then other resolved ones,
 * then INCOMPLETE without packets; INCOMPLETE with packets only if all are. */
static unsigned keep_rank(const struct nd6_neighbor *e)
{
    if (e->state == ND6_INCOMPLETE) return e->queue != NULL ? 4u : 3u;
    if (e->state == ND6_STALE && !e->is_router) return 0;
    return e->is_router ? 2u : 1u;
}

static struct nd6_neighbor *new_entry(struct stack *s)
{
    struct nd6_neighbor *victim = NULL;
    for (uint32_t i = 0; i < s->cfg.nd6_neighbors; i++) {
        struct nd6_neighbor *e = &s->nd6_cache[i];
        if (e->state == ND6_EMPTY) return e;
        if (victim == NULL || keep_rank(e) < keep_rank(victim) ||
            (keep_rank(e) == keep_rank(victim) && e->updated_ns < victim->updated_ns))
            victim = e;
    }
    if (victim != NULL) clear_entry(s, victim);
    return victim;
}

static uint64_t ms_ns(uint32_t ms) { return (uint64_t)ms * SHOAL_NS_PER_MS; }

void nd6_rerandomize_reachable(struct netif *netif)
{
    /* RFC 4861 6.3.2: uniformly in [MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR] x base = [0.5, 1.5] x base. */
    struct stack *s = netif->stack;
    uint32_t base = netif->nd6.base_reachable_ms ? netif->nd6.base_reachable_ms : 30000u;
    uint64_t span = base; /* 1.5 base - 0.5 base; 64 bits: no wrap at any base */
    netif->nd6.reachable_ms = (uint32_t)SHOAL_MIN(base / 2u + stack_random32(s) % (span + 1u), 0xffffffffull);
    netif->nd6.reachable_drawn_ns = stack_now(s);
}

static void set_state(struct stack *s, struct netif *netif, struct nd6_neighbor *e, enum nd6_state st)
{
    uint64_t now = stack_now(s);
    e->state = (uint8_t)st;
    e->probes = 0;
    switch (st) {
    case ND6_REACHABLE:
        /* RFC 4861 6.3.4: re-draw ReachableTime at least every few hours. */
        if (netif != NULL && now - netif->nd6.reachable_drawn_ns >= ms_ns(ND6_REACHABLE_RERANDOM_MS))
            nd6_rerandomize_reachable(netif);
        e->deadline_ns = now + ms_ns(netif != NULL ? netif->nd6.reachable_ms : 30000u);
        e->updated_ns = now;
        break;
    case ND6_DELAY: e->deadline_ns = now + ms_ns(ND6_DELAY_FIRST_PROBE_TIME_MS); break;
    case ND6_STALE: e->deadline_ns = SHOAL_TIME_NEVER; e->updated_ns = now; break;
    default: break;
    }
}

static void send_queued(struct netif *netif, struct nd6_neighbor *e)
{
    struct stack *s = netif->stack;
    while (e->queue != NULL) {
        struct nd6_qnode *q = e->queue;
        e->queue = q->next;
        ethernet_output(netif, q->p, (const struct eth_addr *)(const void *)netif->hwaddr, &e->mac, ETHTYPE_IP6);
        pbuf_free(q->p);
        pool_free(&s->pools[POOL_ND6_QUEUE], q);
    }
    e->queued = 0;
}

static bool lladdr_ok(const struct netif *netif, uint8_t len)
{
    return netif->kind == NETIF_ETHERNET && len >= ETH_HWADDR_LEN;
}

void nd6_cache_learn(struct netif *netif, const ip6_addr_t *ip, const uint8_t *lladdr, uint8_t lladdr_len,
                     bool is_router)
{
    struct stack *s = netif->stack;
    if (lladdr == NULL || !lladdr_ok(netif, lladdr_len) || ip6_addr_is_any(ip) || ip6_addr_is_multicast(ip)) return;
    struct nd6_neighbor *e = nd6_find_neighbor(s, netif->index, ip);
    if (e == NULL) {
        e = new_entry(s);
        if (e == NULL) {
            STATS_INC(s, STATS_ND6, memerr);
            return;
        }
        e->ip = zoned(ip, netif->index);
        e->netif_idx = netif->index;
        memcpy(e->mac.addr, lladdr, ETH_HWADDR_LEN);
        set_state(s, netif, e, ND6_STALE);
    } else if (e->state == ND6_INCOMPLETE || memcmp(e->mac.addr, lladdr, ETH_HWADDR_LEN) != 0) {
        /* RFC 4861 7.2.3: a new or different address makes the entry STALE. */
        memcpy(e->mac.addr, lladdr, ETH_HWADDR_LEN);
        set_state(s, netif, e, ND6_STALE);
        send_queued(netif, e);
    }
    if (is_router) e->is_router = true;
    nd6_timer_update(s);
}

uint64_t nd6_cache_next(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.nd6_neighbors; i++) {
        const struct nd6_neighbor *e = &s->nd6_cache[i];
        if (e->state != ND6_EMPTY && e->deadline_ns < next) next = e->deadline_ns;
    }
    return next;
}

/* The source of a solicitation: the waiting packet's source when it is
 * ours on this netif (RFC 4861 7.2.2), else the best usable address. */
static bool ns_source(struct netif *netif, const struct nd6_neighbor *e, ip6_addr_t *src)
{
    if (e->queue != NULL && e->queue->p->len >= IP6_HDR_LEN) {
        ip6_addr_t a;
        ip6_addr_from_bytes(&a, e->queue->p->payload + 8);
        int slot = netif_find_ip6(netif, &a);
        if (slot >= 0 && netif_ip6_usable(&netif->ip6[slot])) {
            *src = netif->ip6[slot].addr;
            return true;
        }
    }
    return ip6_select_source(netif, &e->ip, src) == ERR_OK;
}

static void solicit(struct netif *netif, struct nd6_neighbor *e, bool multicast)
{
    ip6_addr_t src, dst = multicast ? ip6_addr_solicited_node(&e->ip) : e->ip;
    dst.zone = ip6_addr_has_scope(&dst) ? netif->index : 0;
    e->probes++;
    if (!ns_source(netif, e, &src)) {
        STATS_INC(netif->stack, STATS_ND6, rterr);
        return;
    }
    nd6_send_ns(netif, &e->ip, &src, &dst);
}

void nd6_cache_tick(struct stack *s, uint64_t now)
{
    for (uint32_t i = 0; i < s->cfg.nd6_neighbors; i++) {
        struct nd6_neighbor *e = &s->nd6_cache[i];
        if (e->state == ND6_EMPTY || e->deadline_ns > now) continue;
        struct netif *netif = netif_find_by_index(s, e->netif_idx);
        if (netif == NULL) {
            clear_entry(s, e);
            continue;
        }
        uint64_t retrans = ms_ns(netif->nd6.retrans_ms);
        switch (e->state) {
        case ND6_INCOMPLETE:
            if (e->probes >= ND6_MAX_MULTICAST_SOLICIT) {
                /* RFC 4861 7.2.2: resolution failed. The entry goes first:
                 * the errors may need a cache entry of their own. */
                struct nd6_qnode *waiting = detach_queue(e);
                clear_entry(s, e);
                free_queue(s, waiting, netif);
                break;
            }
            e->deadline_ns = now + retrans;
            solicit(netif, e, true);
            break;
        case ND6_REACHABLE: set_state(s, netif, e, ND6_STALE); break; /* 7.3.3 */
        case ND6_DELAY:
            /* 7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME: probe by unicast. */
            set_state(s, netif, e, ND6_PROBE);
            e->deadline_ns = now + retrans;
            solicit(netif, e, false);
            break;
        case ND6_PROBE:
            if (e->probes >= ND6_MAX_UNICAST_SOLICIT) {
                clear_entry(s, e); /* 7.3.3: the neighbor is gone */
                break;
            }
            e->deadline_ns = now + retrans;
            solicit(netif, e, false);
            break;
        default: e->deadline_ns = SHOAL_TIME_NEVER; break;
        }
    }
}

/* ---- output ---- */

static err_t queue_packet(struct stack *s, struct nd6_neighbor *e, struct pbuf *p)
{
    struct nd6_qnode *q = NULL;
    if (e->queued < ND6_QUEUE_PER_NEIGHBOR) q = pool_alloc(&s->pools[POOL_ND6_QUEUE]);
    if (q == NULL && e->queue != NULL) {
        /* RFC 4861 7.2.2: keep the latest packets: the oldest makes room. */
        q = e->queue;
        e->queue = q->next;
        e->queued--;
        pbuf_free(q->p);
        STATS_DROP(s, STATS_ND6, memerr);
    } else if (q == NULL) {
        STATS_DROP(s, STATS_ND6, memerr);
        return ERR_MEM;
    }
    struct pbuf *copy = pbuf_clone(s, PBUF_LINK, p);
    if (copy == NULL) {
        pool_free(&s->pools[POOL_ND6_QUEUE], q);
        STATS_DROP(s, STATS_ND6, memerr);
        return ERR_MEM;
    }
    q->p = copy;
    q->next = NULL;
    struct nd6_qnode **pp = &e->queue;
    while (*pp != NULL) pp = &(*pp)->next;
    *pp = q;
    e->queued++;
    return ERR_OK;
}

err_t nd6_output(struct netif *netif, struct pbuf *p, const ip6_addr_t *nexthop)
{
    struct stack *s = netif->stack;
    const struct eth_addr *own = (const struct eth_addr *)(const void *)netif->hwaddr;
    struct nd6_neighbor *e = nd6_find_neighbor(s, netif->index, nexthop);
    if (e != NULL && e->state != ND6_INCOMPLETE) {
        /* RFC 4861 7.3.3: the first use of a STALE entry starts the DELAY wait. */
        if (e->state == ND6_STALE) {
            set_state(s, netif, e, ND6_DELAY);
            nd6_timer_update(s);
        }
        return ethernet_output(netif, p, own, &e->mac, ETHTYPE_IP6);
    }
    if (e == NULL) {
        e = new_entry(s);
        if (e == NULL) {
            STATS_DROP(s, STATS_ND6, memerr);
            return ERR_MEM;
        }
        e->ip = zoned(nexthop, netif->index);
        e->netif_idx = netif->index;
        e->state = ND6_INCOMPLETE;
        e->updated_ns = stack_now(s);
        err_t err = queue_packet(s, e, p);
        /* RFC 4861 7.2.2: multicast solicitation to the solicited-node group. */
        e->deadline_ns = stack_now(s) + ms_ns(netif->nd6.retrans_ms);
        solicit(netif, e, true);
        nd6_timer_update(s);
        return err;
    }
    return queue_packet(s, e, p);
}

void nd6_reachability_hint(struct stack *s, const ip6_addr_t *ip)
{
    for (uint32_t i = 0; i < s->cfg.nd6_neighbors; i++) {
        struct nd6_neighbor *e = &s->nd6_cache[i];
        if (e->state == ND6_EMPTY || e->state == ND6_INCOMPLETE || !same_addr(&e->ip, ip)) continue;
        if (ip->zone != 0 && e->netif_idx != ip->zone) continue;
        /* RFC 4861 7.3.1: upper-layer forward progress confirms reachability. */
        set_state(s, netif_find_by_index(s, e->netif_idx), e, ND6_REACHABLE);
    }
    nd6_timer_update(s);
}

/* ---- input: Neighbor Solicitation (RFC 4861 7.1.1, 7.2.3, 7.2.4) ---- */

static void ns_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len)
{
    struct netif *netif = info->netif;
    struct stack *s = netif->stack;
    struct nd6_opts opts;
    ip6_addr_t target;
    if (len < ND6_NS_LEN) {
        STATS_DROP(s, STATS_ND6, lenerr);
        return;
    }
    ip6_addr_from_bytes(&target, msg + 8);
    bool src_any = ip6_addr_is_any(&info->ip.src);
    if (nd6_parse_options(msg + ND6_NS_LEN, len - ND6_NS_LEN, &opts) != ERR_OK) {
        STATS_DROP(s, STATS_ND6, opterr);
        return;
    }
    ip6_addr_t snm = ip6_addr_solicited_node(&target);
    bool dst_snm = same_addr(&info->ip.dst, &snm);
    /* 7.1.1: target not multicast; a multicast destination only as the
     * target's solicited-node group; from :: only to that group and without SLLA. */
    if (ip6_addr_is_multicast(&target) || (info->dst_multicast && !dst_snm) ||
        (src_any && (!dst_snm || opts.slla != NULL))) {
        STATS_DROP(s, STATS_ND6, proterr);
        return;
    }
    STATS_INC(s, STATS_ND6, recv);
    int slot = netif_find_ip6(netif, &target);
    if (slot < 0) return; /* not ours: no proxying */
    struct netif_ip6_addr *a = &netif->ip6[slot];
    if (a->state == NETIF_IP6_TENTATIVE) {
        /* RFC 4862 5.4.3: from :: it is another node's DAD for our address;
         * from a unicast source it is resolution, not answered while tentative. */
        if (src_any) nd6_dad_conflict(netif, slot, false);
        return;
    }
    if (!netif_ip6_usable(a)) return;
    if (!src_any) nd6_cache_learn(netif, &info->ip.src, opts.slla, opts.slla_len, false);
    /* 7.2.4: a solicited NA with TLLA, O set when the TLLA is there (no
     * anycast here), R on routers; to all-nodes with S clear when the
     * solicitation came from ::. */
    uint8_t flags = (nd6_lladdr_opt_len(netif) ? NA_FLAG_O : 0) | (stack_config(s)->ip_forwarding ? NA_FLAG_R : 0);
    ip6_addr_t dst;
    if (src_any) {
        dst = ip6_addr_all_nodes();
        dst.zone = netif->index;
    } else {
        dst = info->ip.src;
        flags |= NA_FLAG_S;
    }
    send_na(netif, &a->addr, &dst, flags);
}

/* ---- input: Neighbor Advertisement (RFC 4861 7.1.2, 7.2.5) ---- */

static void na_update(struct netif *netif, struct nd6_neighbor *e, uint8_t flags, const struct nd6_opts *opts)
{
    struct stack *s = netif->stack;
    bool solicited = (flags & NA_FLAG_S) != 0, override = (flags & NA_FLAG_O) != 0;
    bool have_ll = opts->tlla != NULL && lladdr_ok(netif, opts->tlla_len);
    if (e->state == ND6_INCOMPLETE) {
        if (!have_ll) return; /* 7.2.5: nothing to resolve with */
        memcpy(e->mac.addr, opts->tlla, ETH_HWADDR_LEN);
        set_state(s, netif, e, solicited ? ND6_REACHABLE : ND6_STALE);
        e->is_router = (flags & NA_FLAG_R) != 0;
        send_queued(netif, e);
        return;
    }
    bool differs = have_ll && memcmp(e->mac.addr, opts->tlla, ETH_HWADDR_LEN) != 0;
    if (!override && differs) {
        /* 7.2.5: a different address without Override only casts doubt. */
        if (e->state == ND6_REACHABLE) set_state(s, netif, e, ND6_STALE);
        return;
    }
    if (differs) memcpy(e->mac.addr, opts->tlla, ETH_HWADDR_LEN);
    if (solicited) set_state(s, netif, e, ND6_REACHABLE);
    else if (differs) set_state(s, netif, e, ND6_STALE);
    bool was_router = e->is_router;
    e->is_router = (flags & NA_FLAG_R) != 0;
    /* 7.2.5: a router that turns host leaves the default router list. */
    if (was_router && !e->is_router) nd6_router_gone(s, netif->index, &e->ip);
}

static void na_input(const struct ip6_rx_info *info, const uint8_t *msg, size_t len)
{
    struct netif *netif = info->netif;
    struct stack *s = netif->stack;
    struct nd6_opts opts;
    ip6_addr_t target;
    if (len < ND6_NA_LEN) {
        STATS_DROP(s, STATS_ND6, lenerr);
        return;
    }
    uint8_t flags = msg[4];
    ip6_addr_from_bytes(&target, msg + 8);
    if (nd6_parse_options(msg + ND6_NA_LEN, len - ND6_NA_LEN, &opts) != ERR_OK) {
        STATS_DROP(s, STATS_ND6, opterr);
        return;
    }
    /* 7.1.2: target not multicast; S clear when sent to a multicast group. */
    if (ip6_addr_is_multicast(&target) || (info->dst_multicast && (flags & NA_FLAG_S))) {
        STATS_DROP(s, STATS_ND6, proterr);
        return;
    }
    STATS_INC(s, STATS_ND6, recv);
    int slot = netif_find_ip6(netif, &target);
    if (slot >= 0) {
        /* RFC 4862 5.4.4: someone else defends or claims our address. */
        if (netif->ip6[slot].state == NETIF_IP6_TENTATIVE) {
            nd6_dad_conflict(netif, slot, true);
        } else if (opts.tlla == NULL || netif->kind != NETIF_ETHERNET ||
                   memcmp(opts.tlla, netif->hwaddr, ETH_HWADDR_LEN) != 0) {
            stack_log(s, STACK_LOG_WARN, "nd6", "address in use by another node", netif->index);
        }
        return;
    }
    struct nd6_neighbor *e = nd6_find_neighbor(s, netif->index, &target);
    if (e == NULL) return; /* 7.2.5: unsolicited NAs create no entries */
    na_update(netif, e, flags, &opts);
    nd6_timer_update(s);
}

/* ---- dispatch ---- */

void nd6_input(struct pbuf *p, const struct ip6_rx_info *info)
{
    struct stack *s = info->netif->stack;
    /* ND messages are small: whole in the first segment (a chain is refused). */
    const uint8_t *msg = pbuf_contig(p, p->tot_len);
    size_t len = p->tot_len;
    if (msg == NULL || len < 4) {
        STATS_DROP(s, STATS_ND6, lenerr);
        pbuf_free(p);
        return;
    }
    /* RFC 4861 6.1, 7.1, 8.1: hop limit 255 (from this link) and code 0. */
    if (info->ip.hop_limit != ND6_HOP_LIMIT || msg[1] != 0 || !info->netif->nd6.enabled) {
        STATS_DROP(s, STATS_ND6, proterr);
        pbuf_free(p);
        return;
    }
    switch (msg[0]) {
    case ICMP6_TYPE_RS: nd6_rs_input(info, msg, len); break;
    case ICMP6_TYPE_RA: nd6_ra_input(info, msg, len); break;
    case ICMP6_TYPE_NS: ns_input(info, msg, len); break;
    case ICMP6_TYPE_NA: na_input(info, msg, len); break;
    case ICMP6_TYPE_REDIRECT: nd6_redirect_input(info, msg, len); break;
    default: STATS_DROP(s, STATS_ND6, proterr); break;
    }
    pbuf_free(p);
}

/* ---- netif events ---- */

void nd6_netif_up(struct netif *netif)
{
    if (!netif->nd6.enabled) return;
    nd6_slaac_netif_up(netif);
    nd6_rtadv_netif_up(netif);
    nd6_timer_update(netif->stack);
}

void nd6_netif_cleanup(struct netif *netif)
{
    struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.nd6_neighbors; i++) {
        struct nd6_neighbor *e = &s->nd6_cache[i];
        if (e->state != ND6_EMPTY && e->netif_idx == netif->index) {
            drop_queue(s, e);
            memset(e, 0, sizeof(*e));
        }
    }
    nd6_router_netif_cleanup(netif);
    nd6_slaac_netif_down(netif);
    nd6_timer_update(s);
}

/* ---- views ---- */

bool nd6_neighbor_get(struct stack *s, size_t i, struct nd6_neighbor_info *out)
{
    size_t n = 0;
    for (uint32_t k = 0; k < s->cfg.nd6_neighbors; k++) {
        const struct nd6_neighbor *e = &s->nd6_cache[k];
        if (e->state == ND6_EMPTY) continue;
        if (n++ != i) continue;
        out->ip = e->ip;
        out->mac = e->mac;
        out->netif_idx = e->netif_idx;
        out->state = e->state;
        out->is_router = e->is_router;
        return true;
    }
    return false;
}
