/*
 * Router mode of Neighbor Discovery (RFC 4861 6.2): a forwarding instance
 * advertises itself and its prefixes on chosen netifs, so that simulated
 * hosts autoconfigure without an outside router. Unsolicited RAs (6.2.4),
 * answers to Router Solicitations (6.2.6), the final RA (6.2.5).
 */
#include <string.h>

#include "shoal/nd6.h"
#include "shoal/mld6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"

#define RA_FLAG_M 0x80u
#define RA_FLAG_O 0x40u
#define MAX_RA_LEN (ND6_RA_LEN + 8u + 8u + SHOAL_ND6_RA_PREFIXES * 32u + 24u)

void nd6_ra_config_default(struct nd6_ra_config *cfg)
{
    /* RFC 4861 6.2.1 defaults. */
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_interval_ms = 600000u;
    cfg->min_interval_ms = 198000u;     /* 0.33 x max */
    cfg->router_lifetime_s = 1800u;     /* 3 x max */
    cfg->cur_hop_limit = 64u;
}

static uint64_t ms_ns(uint32_t ms) { return (uint64_t)ms * SHOAL_NS_PER_MS; }

static bool ll_ready(const struct netif *netif)
{
    return netif_ip6_usable(&netif->ip6[0]) && ip6_addr_is_linklocal(&netif->ip6[0].addr);
}

static size_t build_ra(const struct netif *netif, uint8_t *m, bool final)
{
    const struct netif_nd6 *nd = &netif->nd6;
    memset(m, 0, MAX_RA_LEN);
    m[0] = ICMP6_TYPE_RA;
    m[4] = nd->ra_cur_hop_limit;
    m[5] = nd->ra_flags;
    wr16be(m + 6, final ? 0 : nd->ra_router_lifetime_s); /* 6.2.5: lifetime 0 in the final RA */
    wr32be(m + 8, nd->ra_reachable_ms);
    wr32be(m + 12, nd->ra_retrans_ms);
    size_t at = ND6_RA_LEN;
    at += nd6_put_lladdr_opt(netif, ND6_OPT_SLLA, m + at); /* 6.2.3: SHOULD include it */
    if (nd->ra_mtu != 0) {
        m[at] = ND6_OPT_MTU;
        m[at + 1] = 1;
        wr32be(m + at + 4, nd->ra_mtu);
        at += 8;
    }
    for (unsigned i = 0; i < SHOAL_ND6_RA_PREFIXES; i++) {
        const struct nd6_ra_prefix_slot *ps = &nd->ra_prefixes[i];
        if (!ps->used) continue;
        m[at] = ND6_OPT_PREFIX;
        m[at + 1] = 4;
        m[at + 2] = ps->prefix_len;
        m[at + 3] = ps->flags;
        wr32be(m + at + 4, ps->valid_lifetime_s);
        wr32be(m + at + 8, ps->preferred_lifetime_s);
        ip6_addr_to_bytes(&ps->prefix, m + at + 16);
        at += 32;
    }
    if (!ip6_addr_is_any(&nd->ra_rdnss)) {
        /* RFC 8106 5.1: lifetime at least 3 x MaxRtrAdvInterval by default. */
        uint64_t life = 3ull * nd->ra_max_ms / 1000u;
        m[at] = ND6_OPT_RDNSS;
        m[at + 1] = 3;
        wr32be(m + at + 4, final ? 0 : (uint32_t)SHOAL_MIN(life, 0xfffffffeull));
        ip6_addr_to_bytes(&nd->ra_rdnss, m + at + 8);
        at += 24;
    }
    return at;
}

static void send_ra(struct netif *netif, bool final)
{
    struct stack *s = netif->stack;
    uint8_t m[MAX_RA_LEN];
    size_t len = build_ra(netif, m, final);
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, len);
    if (p == NULL) {
        STATS_INC(s, STATS_ND6, memerr);
        return;
    }
    pbuf_take(p, m, len);
    ip6_addr_t dst = ip6_addr_all_nodes();
    dst.zone = netif->index;
    /* 6.2.3 (and 4.2): from the link-local address of the interface. */
    ip6_addr_t src = netif->ip6[0].addr;
    nd6_send(netif, p, &src, &dst);
    netif->nd6.ra_last_ns = stack_now(s);
}

/* The next unsolicited RA (6.2.4): uniform in [min, max], at most 16 s
 * apart for the first MAX_INITIAL_RTR_ADVERTISEMENTS. */
static void schedule_next(struct netif *netif, uint64_t now)
{
    struct netif_nd6 *nd = &netif->nd6;
    uint32_t span = nd->ra_max_ms - nd->ra_min_ms;
    uint32_t interval = nd->ra_min_ms + (span ? stack_random32(netif->stack) % (span + 1u) : 0);
    if (nd->initial_ras_left > 0) {
        nd->initial_ras_left--;
        interval = SHOAL_MIN(interval, ND6_MAX_INITIAL_RTR_ADVERT_INTERVAL_MS);
    }
    nd->ra_next_ns = now + ms_ns(interval);
}

static void join_all_routers(struct netif *netif, bool join)
{
    ip6_addr_t g = ip6_addr_all_routers();
    g.zone = netif->index;
    if (join && !netif->nd6.ra_groups_joined) {
        /* RFC 4861 6.2.2: an advertising interface joins all-routers. */
        if (mld6_join(netif, &g) == ERR_OK) netif->nd6.ra_groups_joined = true;
    } else if (!join && netif->nd6.ra_groups_joined) {
        mld6_leave(netif, &g);
        netif->nd6.ra_groups_joined = false;
    }
}

/* Begin the fast initial phase (6.2.4): the first RA after a short random delay. */
static void start_initial(struct netif *netif)
{
    struct stack *s = netif->stack;
    netif->nd6.initial_ras_left = ND6_MAX_INITIAL_RTR_ADVERTISEMENTS;
    netif->nd6.ra_next_ns = stack_now(s) + nd6_random_ms(s, ND6_MAX_RA_DELAY_TIME_MS);
}

err_t nd6_router_start(struct netif *netif, const struct nd6_ra_config *cfg)
{
    struct stack *s = netif->stack;
    if (!stack_config(s)->ip_forwarding) return ERR_VAL;
    struct nd6_ra_config def;
    if (cfg == NULL) {
        nd6_ra_config_default(&def);
        cfg = &def;
    }
    if (!netif->nd6.enabled) {
        err_t err = nd6_netif_enable(netif, (enum nd6_iid_mode)netif->nd6.iid_mode, false);
        if (err != ERR_OK) return err;
    }
    struct netif_nd6 *nd = &netif->nd6;
    /* 6.2.1: MaxRtrAdvInterval in [4, 1800] s; MinRtrAdvInterval in
     * [3 s, 0.75 x max], by default 0.33 x max (max itself below 9 s). */
    uint32_t max = SHOAL_MIN(SHOAL_MAX(cfg->max_interval_ms, 4000u), 1800000u);
    uint32_t min = cfg->min_interval_ms;
    if (min == 0) min = max >= 9000u ? max / 100u * 33u : max / 4u * 3u; /* with erratum 3154 */
    min = SHOAL_MIN(SHOAL_MAX(min, 3000u), max * 3u / 4u);
    nd->ra_max_ms = max;
    nd->ra_min_ms = min;
    nd->ra_router_lifetime_s = SHOAL_MIN(cfg->router_lifetime_s, 9000u);
    nd->ra_cur_hop_limit = cfg->cur_hop_limit;
    nd->ra_flags = (uint8_t)((cfg->managed ? RA_FLAG_M : 0) | (cfg->other_config ? RA_FLAG_O : 0));
    nd->ra_reachable_ms = SHOAL_MIN(cfg->reachable_time_ms, 3600000u);
    nd->ra_retrans_ms = cfg->retrans_timer_ms;
    nd->ra_mtu = cfg->mtu;
    nd->ra_rdnss = cfg->rdnss;
    nd->advertising = true;
    nd->ra_final_pending = false;
    join_all_routers(netif, true);
    /* 6.2.4: a changed configuration may be announced by a few fast RAs. */
    start_initial(netif);
    nd6_timer_update(s);
    return ERR_OK;
}

err_t nd6_router_add_prefix(struct netif *netif, const struct nd6_ra_prefix *prefix)
{
    if (prefix == NULL || prefix->prefix_len > 128 || ip6_addr_is_linklocal(&prefix->prefix) ||
        ip6_addr_is_multicast(&prefix->prefix))
        return ERR_VAL;
    struct netif_nd6 *nd = &netif->nd6;
    struct nd6_ra_prefix_slot *slot = NULL;
    for (unsigned i = 0; i < SHOAL_ND6_RA_PREFIXES && slot == NULL; i++) {
        struct nd6_ra_prefix_slot *ps = &nd->ra_prefixes[i];
        if (ps->used && ps->prefix_len == prefix->prefix_len &&
            ip6_addr_prefix_eq(&ps->prefix, &prefix->prefix, prefix->prefix_len))
            slot = ps;
    }
    for (unsigned i = 0; i < SHOAL_ND6_RA_PREFIXES && slot == NULL; i++)
        if (!nd->ra_prefixes[i].used) slot = &nd->ra_prefixes[i];
    if (slot == NULL) return ERR_MEM;
    slot->used = true;
    slot->prefix = prefix->prefix;
    slot->prefix.zone = 0;
    slot->prefix_len = prefix->prefix_len;
    slot->flags = (uint8_t)((prefix->on_link ? ND6_PREFIX_FLAG_L : 0) | (prefix->autonomous ? ND6_PREFIX_FLAG_A : 0));
    slot->valid_lifetime_s = prefix->valid_lifetime_s;
    /* RFC 4862 5.5.3 c: hosts ignore preferred > valid, so never send it. */
    slot->preferred_lifetime_s = SHOAL_MIN(prefix->preferred_lifetime_s, prefix->valid_lifetime_s);
    if (nd->advertising) {
        start_initial(netif);
        nd6_timer_update(netif->stack);
    }
    return ERR_OK;
}

void nd6_router_stop(struct netif *netif)
{
    struct netif_nd6 *nd = &netif->nd6;
    if (!nd->advertising) return;
    /* 6.2.5: a final RA with router lifetime 0 tells hosts to stop using us. */
    if (netif_is_up(netif) && ll_ready(netif)) send_ra(netif, true);
    nd->advertising = false;
    nd->ra_final_pending = false;
    nd->initial_ras_left = 0;
    join_all_routers(netif, false);
    nd6_timer_update(netif->stack);
}

void nd6_rtadv_rs_input(struct netif *netif)
{
    struct stack *s = netif->stack;
    struct netif_nd6 *nd = &netif->nd6;
    uint64_t now = stack_now(s);
    /* 6.2.6: answer after a random delay of up to MAX_RA_DELAY_TIME, and no
     * sooner than MIN_DELAY_BETWEEN_RAS after the last multicast RA; an RA
     * already due earlier serves as the answer. */
    uint64_t at = now + nd6_random_ms(s, ND6_MAX_RA_DELAY_TIME_MS);
    uint64_t earliest = nd->ra_last_ns != 0 ? nd->ra_last_ns + ms_ns(ND6_MIN_DELAY_BETWEEN_RAS_MS) : 0;
    if (at < earliest) at = earliest;
    if (at < nd->ra_next_ns) {
        nd->ra_next_ns = at;
        nd6_timer_update(s);
    }
}

void nd6_rtadv_netif_up(struct netif *netif)
{
    if (!netif->nd6.advertising) return;
    join_all_routers(netif, true);
    start_initial(netif);
}

void nd6_rtadv_addr_ready(struct netif *netif)
{
    if (netif->nd6.advertising) nd6_timer_update(netif->stack);
}

uint64_t nd6_rtadv_next(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        if (n->nd6.advertising && netif_is_up(n) && ll_ready(n)) next = SHOAL_MIN(next, n->nd6.ra_next_ns);
    return next;
}

void nd6_rtadv_tick(struct stack *s, uint64_t now)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next) {
        if (!n->nd6.advertising || !netif_is_up(n) || !ll_ready(n) || n->nd6.ra_next_ns > now) continue;
        /* 6.2.6: multicast RAs at most one per MIN_DELAY_BETWEEN_RAS. */
        uint64_t earliest = n->nd6.ra_last_ns + ms_ns(ND6_MIN_DELAY_BETWEEN_RAS_MS);
        if (n->nd6.ra_last_ns != 0 && now < earliest) {
            n->nd6.ra_next_ns = earliest;
            continue;
        }
        send_ra(n, false);
        schedule_next(n, now);
    }
}
