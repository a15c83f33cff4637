/*
 * MLDv1 host side (RFC 2710 4, 5), the MLD sender and the one MLD timer.
 * Memberships live in the instance's table s->mld6_groups; each is
 * Non-Listener (free slot), Delaying (a Report is due) or Idle.
 *
 * Source address: every MLD message leaves from a link-local address
 * (RFC 2710 3), except Reports sent while the link-local is still
 * tentative: those leave from :: (RFC 3590 4), so that the Report for a
 * solicited-node group precedes the DAD Neighbor Solicitation as RFC 4862
 * 5.4.2 asks (MLD-snooping switches). Done and Queries wait for a usable
 * link-local. Messages from any source but a link-local are not accepted.
 * MLDv2 Queries (RFC 3810) are answered with MLDv1 Reports; MLDv2 host
 * behaviour (RFC 3810 compatibility modes) is not implemented.
 */
#include <string.h>

#include "shoal/mld6.h"
#include "shoal/icmp6.h"
#include "shoal/inet_chksum.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/mld6_priv.h"

/* RFC 2710 7.10: Unsolicited Report Interval, 10 s. */
#define UNSOLICITED_REPORT_NS (10ull * SHOAL_NS_PER_S)

static bool is_all_nodes(const ip6_addr_t *a)
{
    ip6_addr_t all = ip6_addr_all_nodes();
    return mld6_addr_eq(a, &all);
}

/* RFC 2710 5: no message is ever sent for ff02::1, nor for scope 0 (reserved)
 * or 1 (interface-local) groups. */
static bool reportable(const ip6_addr_t *g)
{
    uint8_t scope = ip6_multicast_scope(g);
    return !is_all_nodes(g) && scope != 0 && scope != 1;
}

static struct mld6_group *find_group(struct stack *s, uint8_t netif_idx, const ip6_addr_t *g)
{
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        struct mld6_group *e = &s->mld6_groups[i];
        if (e->use > 0 && e->netif_idx == netif_idx && mld6_addr_eq(&e->group, g)) return e;
    }
    return NULL;
}

enum mld6_src mld6_source(const struct netif *netif, ip6_addr_t *out)
{
    bool tentative = false;
    for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++) {
        const struct netif_ip6_addr *a = &netif->ip6[i];
        if (!ip6_addr_is_linklocal(&a->addr)) continue;
        if (netif_ip6_usable(a)) {
            *out = a->addr;
            out->zone = netif->index;
            return MLD6_SRC_OK;
        }
        if (a->state == NETIF_IP6_TENTATIVE) tentative = true;
    }
    return tentative ? MLD6_SRC_WAIT : MLD6_SRC_NONE;
}

err_t mld6_send(struct netif *netif, uint8_t type, uint16_t max_delay_ms, const ip6_addr_t *group,
                const ip6_addr_t *dst)
{
    struct stack *s = netif->stack;
    ip6_addr_t src;
    enum mld6_src st = mld6_source(netif, &src);
    if (st == MLD6_SRC_WAIT && type == ICMP6_TYPE_MLD_REPORT)
        src = (ip6_addr_t)IP6_ADDR_ANY_INIT; /* RFC 3590 4: during DAD */
    else if (st != MLD6_SRC_OK)
        return ERR_RTE;
    ip6_addr_t to = *dst;
    if (ip6_addr_has_scope(&to)) to.zone = netif->index;
    /* RFC 2711 / RFC 2710 3: Hop-by-Hop header (next header ICMPv6, length
     * 0) with Router Alert value 0 (MLD) and a PadN to 8 bytes. */
    uint8_t m[MLD6_HBH_LEN + MLD6_MSG_LEN] = {IP6_NH_ICMP6, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00};
    uint8_t *icmp = m + MLD6_HBH_LEN;
    icmp[0] = type;
    wr16be(icmp + 4, max_delay_ms);
    ip6_addr_to_bytes(group, icmp + 8);
    /* RFC 4443 2.3: the checksum covers the ICMPv6 message only; its
     * upper-layer length excludes the extension header (RFC 8200 8.1). */
    uint32_t sum = chksum_partial(icmp, MLD6_MSG_LEN, 0);
    wr16be(icmp + 2, inet_chksum_pseudo6_sum(sum, IP6_NH_ICMP6, MLD6_MSG_LEN, &src, &to));
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, sizeof(m));
    if (p == NULL) {
        STATS_INC(s, STATS_MLD6, memerr);
        return ERR_MEM;
    }
    pbuf_take(p, m, sizeof(m));
    err_t err = ip6_output_if(netif, p, &src, &to, 1, 0, IP6_NH_HOPOPTS);
    if (err == ERR_OK)
        STATS_INC(s, STATS_MLD6, xmit);
    else
        STATS_INC(s, STATS_MLD6, err);
    pbuf_free(p);
    return err;
}

static void timer_fire(struct stack *s, void *arg);

void mld6_rearm(struct stack *s)
{
    uint64_t next = mld6_router_next_deadline(s);
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        const struct mld6_group *g = &s->mld6_groups[i];
        if (g->use > 0 && g->delaying && g->report_at_ns < next) next = g->report_at_ns;
    }
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->mld6.timer);
    else if (!s->mld6.timer.armed || s->mld6.timer.deadline_ns != next)
        stack_timer_arm(s, &s->mld6.timer, next, timer_fire, NULL);
}

/* Uniform in [0, max_ns]. The product of a 32-bit draw and a delay of
 * more than 4.29 s does not fit 64 bits: those take two draws. */
static uint64_t random_upto(struct stack *s, uint64_t max_ns)
{
    if (max_ns < 0xffffffffull) return ((uint64_t)stack_random32(s) * (max_ns + 1u)) >> 32;
    uint64_t r = ((uint64_t)stack_random32(s) << 32) | stack_random32(s);
    return max_ns == UINT64_MAX ? r : r % (max_ns + 1u);
}

/* RFC 2710 5: a Report after a random delay in [0, max]; a running timer
 * is reset only when max is below the time it has left. */
static void delay_report(struct stack *s, struct mld6_group *g, uint64_t max_ns)
{
    uint64_t now = stack_now(s);
    uint64_t left = g->report_at_ns > now ? g->report_at_ns - now : 0;
    if (g->delaying && left <= max_ns) return;
    g->delaying = true;
    g->report_at_ns = now + random_upto(s, max_ns);
}

/* The Report for g (to the group itself, RFC 2710 3), now. */
static void report_now(struct netif *netif, struct mld6_group *g)
{
    g->delaying = false;
    if (mld6_send(netif, ICMP6_TYPE_MLD_REPORT, 0, &g->group, &g->group) == ERR_OK) g->last_reporter = true;
}

static void timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    uint64_t now = stack_now(s);
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        struct mld6_group *g = &s->mld6_groups[i];
        if (g->use == 0 || !g->delaying || g->report_at_ns > now) continue;
        struct netif *netif = netif_find_by_index(s, g->netif_idx);
        if (netif == NULL || !netif_is_up(netif)) {
            g->delaying = false;
            continue;
        }
        report_now(netif, g);
    }
    mld6_router_run(s, now);
    mld6_rearm(s);
}

bool mld6_is_member(const struct netif *netif, const ip6_addr_t *group)
{
    if (is_all_nodes(group)) return true; /* RFC 2710 5: always, on every interface */
    const struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        const struct mld6_group *e = &s->mld6_groups[i];
        if (e->use > 0 && e->netif_idx == netif->index && mld6_addr_eq(&e->group, group)) return true;
    }
    return false;
}

err_t mld6_join(struct netif *netif, const ip6_addr_t *group)
{
    struct stack *s = netif->stack;
    if (!ip6_addr_is_multicast(group)) return ERR_VAL;
    /* Every netif that turns IPv6 on joins groups (all-nodes, solicited-node):
     * on a forwarding instance that is where its querier starts (RFC 2710 4). */
    if (s->cfg.ip_forwarding) mld6_router_start(netif);
    if (is_all_nodes(group)) return ERR_OK; /* always a listener, never reported */
    struct mld6_group *g = find_group(s, netif->index, group);
    if (g != NULL) {
        if (g->use == 0xffu) return ERR_MEM;
        g->use++;
        return ERR_OK;
    }
    for (uint32_t i = 0; i < s->cfg.mld6_groups && g == NULL; i++)
        if (s->mld6_groups[i].use == 0) g = &s->mld6_groups[i];
    if (g == NULL) {
        STATS_INC(s, STATS_MLD6, memerr);
        return ERR_MEM;
    }
    memset(g, 0, sizeof(*g));
    g->netif_idx = netif->index;
    g->group = *group;
    g->group.zone = 0;
    g->use = 1;
    /* RFC 2710 4: on joining, report at once and once more after a random
     * delay up to the Unsolicited Report Interval. */
    if (reportable(group) && netif_is_up(netif)) {
        report_now(netif, g);
        delay_report(s, g, UNSOLICITED_REPORT_NS);
        mld6_rearm(s);
    }
    return ERR_OK;
}

err_t mld6_leave(struct netif *netif, const ip6_addr_t *group)
{
    struct stack *s = netif->stack;
    if (!ip6_addr_is_multicast(group)) return ERR_VAL;
    if (is_all_nodes(group)) return ERR_OK;
    struct mld6_group *g = find_group(s, netif->index, group);
    if (g == NULL) return ERR_VAL;
    if (--g->use > 0) return ERR_OK;
    /* RFC 2710 4: Done to all-routers only if we sent the latest Report. */
    if (g->last_reporter && reportable(group) && netif_is_up(netif)) {
        ip6_addr_t all_routers = ip6_addr_all_routers();
        (void)mld6_send(netif, ICMP6_TYPE_MLD_DONE, 0, group, &all_routers);
    }
    memset(g, 0, sizeof(*g));
    mld6_rearm(s);
    return ERR_OK;
}

void mld6_netif_cleanup(struct netif *netif)
{
    struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++)
        if (s->mld6_groups[i].use > 0 && s->mld6_groups[i].netif_idx == netif->index)
            memset(&s->mld6_groups[i], 0, sizeof(s->mld6_groups[i]));
    mld6_router_netif_cleanup(netif);
    mld6_rearm(s);
}

/* RFC 3810 5.1.3: an MLDv2 Maximum Response Code of 32768 or more is a
 * floating-point value (mantissa 12 bits, exponent 3 bits). */
static uint32_t v2_max_delay_ms(uint16_t code)
{
    if (code < 0x8000u) return code;
    uint32_t mant = code & 0x0fffu, exp = (code >> 12) & 0x7u;
    return (mant | 0x1000u) << (exp + 3u);
}

/* The host's answer to a Query (RFC 2710 5): every group of the netif, or one. */
static void host_query(struct netif *netif, const ip6_addr_t *group, uint32_t max_delay_ms)
{
    struct stack *s = netif->stack;
    bool general = ip6_addr_is_any(group);
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        struct mld6_group *g = &s->mld6_groups[i];
        if (g->use == 0 || g->netif_idx != netif->index || !reportable(&g->group)) continue;
        if (!general && !mld6_addr_eq(&g->group, group)) continue;
        delay_report(s, g, (uint64_t)max_delay_ms * SHOAL_NS_PER_MS);
    }
}

void mld6_input(struct pbuf *p, const struct ip6_rx_info *info)
{
    struct netif *netif = info->netif;
    struct stack *s = netif->stack;
    uint8_t m[MLD6_MSG_LEN];
    size_t len = p->tot_len;
    if (len < MLD6_MSG_LEN || pbuf_copy_partial(p, m, sizeof(m), 0) != sizeof(m)) {
        STATS_DROP(s, STATS_MLD6, lenerr);
        pbuf_free(p);
        return;
    }
    if (inet_chksum_pseudo6(p, IP6_NH_ICMP6, len, &info->ip.src, &info->ip.dst, len) != 0) {
        STATS_DROP(s, STATS_MLD6, chkerr);
        pbuf_free(p);
        return;
    }
    pbuf_free(p);
    /* RFC 2710 3: link-local source, hop limit 1, Router Alert; anything
     * else is not MLD (this also drops Reports sent from :: during DAD). */
    if (!ip6_addr_is_linklocal(&info->ip.src) || info->ip.hop_limit != 1 || !info->router_alert) {
        STATS_DROP(s, STATS_MLD6, proterr);
        return;
    }
    ip6_addr_t group;
    ip6_addr_from_bytes(&group, m + 8);
    uint16_t code = rd16be(m + 4);
    uint32_t max_delay_ms = code;
    switch (m[0]) {
    case ICMP6_TYPE_MLD_QUERY:
        /* RFC 3810 8.1: 24 bytes is MLDv1, 28 or more MLDv2, others are ignored. */
        if (len > MLD6_MSG_LEN && len < MLD6_V2_QUERY_MIN_LEN) {
            STATS_DROP(s, STATS_MLD6, lenerr);
            return;
        }
        if (len >= MLD6_V2_QUERY_MIN_LEN) max_delay_ms = v2_max_delay_ms(code);
        if (!ip6_addr_is_any(&group) && !ip6_addr_is_multicast(&group)) {
            STATS_DROP(s, STATS_MLD6, proterr);
            return;
        }
        break;
    case ICMP6_TYPE_MLD_REPORT:
    case ICMP6_TYPE_MLD_DONE:
        if (!ip6_addr_is_multicast(&group)) {
            STATS_DROP(s, STATS_MLD6, proterr);
            return;
        }
        break;
    default:
        STATS_DROP(s, STATS_MLD6, proterr);
        return;
    }
    STATS_INC(s, STATS_MLD6, recv);
    ip6_addr_t src = info->ip.src;
    mld6_router_input(netif, m[0], max_delay_ms, &group, &src);
    if (m[0] == ICMP6_TYPE_MLD_QUERY) {
        host_query(netif, &group, max_delay_ms);
    } else if (m[0] == ICMP6_TYPE_MLD_REPORT) {
        /* RFC 2710 5: another listener reported: ours is not needed. */
        struct mld6_group *g = find_group(s, netif->index, &group);
        if (g != NULL && g->delaying) {
            g->delaying = false;
            g->last_reporter = false;
        }
    }
    mld6_rearm(s);
}
