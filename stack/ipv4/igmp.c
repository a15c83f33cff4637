/*
 * IGMPv2 host (RFC 2236). Membership lives in a per-instance table; one
 * timer serves every delayed report. Messages go out with TTL 1 and the
 * Router Alert option (RFC 2236 2, RFC 2113).
 */
#include <string.h>

#include "shoal/igmp.h"
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/igmp_priv.h"

/* RFC 2236 8.10: Unsolicited Report Interval, 10 s. */
#define IGMP_UNSOLICITED_INTERVAL_MS 10000u
/* RFC 2236 2.2: a Max Response Time of 0 comes from an IGMPv1 router: 10 s. */
#define IGMP_V1_MAX_RESP_DS 100u

/* 224.0.0.1 (all systems) and 224.0.0.2 (all routers), RFC 1112 / RFC 2236. */
static inline bool is_all_hosts(const ip4_addr_t *a) { return ip4_addr_to_u32(*a) == 0xe0000001u; }

static struct igmp_group *find_group(struct stack *s, uint8_t netif_idx, const ip4_addr_t *g)
{
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++) {
        struct igmp_group *e = &s->igmp[i];
        if (e->use > 0 && e->netif_idx == netif_idx && e->group.addr == g->addr) return e;
    }
    return NULL;
}

/* RFC 2236 4: Version 1 Router Present Timeout, 400 s. */
#define IGMP_V1_ROUTER_PRESENT_NS (400u * SHOAL_NS_PER_S)

static bool v1_router_present(const struct netif *netif)
{
    const struct stack *s = netif->stack;
    return netif->index >= 1 && netif->index <= IGMP_ROUTER_MAX_IFS &&
           s->igmp_v1_router_until_ns[netif->index - 1] > s->platform.now_ns(s->platform.ctx);
}

static void send_msg(struct netif *netif, uint8_t type, const ip4_addr_t *group, const ip4_addr_t *dst)
{
    /* With a v1 router on the link, reports are Version 1 (RFC 2236 4). */
    if (type == IGMP_V2_MEMBERSHIP_REPORT && v1_router_present(netif)) type = IGMP_V1_MEMBERSHIP_REPORT;
    struct stack *s = netif->stack;
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, IGMP_MSG_LEN);
    if (p == NULL) {
        STATS_INC(s, STATS_IGMP, memerr);
        return;
    }
    uint8_t m[IGMP_MSG_LEN] = {type, 0, 0, 0, 0, 0, 0, 0};
    memcpy(m + 4, &group->addr, 4);
    wr16be(m + 2, inet_chksum(m, sizeof(m)));
    pbuf_take(p, m, sizeof(m));
    /* RFC 2113: Router Alert, value 0 ("examine this packet"). */
    static const uint8_t router_alert[4] = {0x94, 0x04, 0x00, 0x00};
    if (ip4_output_opts(netif, p, NULL, dst, dst, 1, 0xc0, IP_PROTO_IGMP, router_alert, sizeof(router_alert)) ==
        ERR_OK)
        STATS_INC(s, STATS_IGMP, xmit);
    pbuf_free(p);
}

static void igmp_timer_fire(struct stack *s, void *arg);

static void rearm(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++)
        if (s->igmp[i].use > 0 && s->igmp[i].delaying && s->igmp[i].report_at_ns < next)
            next = s->igmp[i].report_at_ns;
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->igmp_timer);
    else if (!s->igmp_timer.armed || s->igmp_timer.deadline_ns != next)
        stack_timer_arm(s, &s->igmp_timer, next, igmp_timer_fire, NULL);
}

/* RFC 2236 3: a report after a random delay in [0, max]. */
static void delay_report(struct stack *s, struct igmp_group *g, uint64_t max_ns)
{
    uint64_t now = stack_now(s);
    uint64_t at = now + (max_ns > 0 ? (uint64_t)stack_random32(s) % max_ns : 0);
    if (!g->delaying || at < g->report_at_ns) {
        g->delaying = true;
        g->report_at_ns = at;
    }
}

static void igmp_timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    uint64_t now = stack_now(s);
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++) {
        struct igmp_group *g = &s->igmp[i];
        if (g->use == 0 || !g->delaying || g->report_at_ns > now) continue;
        g->delaying = false;
        struct netif *netif = netif_find_by_index(s, g->netif_idx);
        if (netif == NULL || !netif_is_up(netif)) continue;
        send_msg(netif, IGMP_V2_MEMBERSHIP_REPORT, &g->group, &g->group);
        g->last_reporter = true;
    }
    rearm(s);
}

bool igmp_is_member(const struct netif *netif, const ip4_addr_t *group)
{
    if (is_all_hosts(group)) return true;
    return find_group(netif->stack, netif->index, group) != NULL;
}

err_t igmp_joingroup_netif(struct netif *netif, const ip4_addr_t *group)
{
    struct stack *s = netif->stack;
    if (!ip4_addr_is_multicast(group)) return ERR_VAL;
    if (is_all_hosts(group)) return ERR_OK; /* always a member, never reported */
    struct igmp_group *g = find_group(s, netif->index, group);
    if (g != NULL) {
        g->use++;
        return ERR_OK;
    }
    for (uint32_t i = 0; i < s->cfg.igmp_groups && g == NULL; i++)
        if (s->igmp[i].use == 0) g = &s->igmp[i];
    if (g == NULL) {
        STATS_INC(s, STATS_IGMP, memerr);
        return ERR_MEM;
    }
    memset(g, 0, sizeof(*g));
    g->netif_idx = netif->index;
    g->group = *group;
    g->use = 1;
    /* RFC 2236 3: on joining, report at once and repeat once a little later. */
    if (netif_is_up(netif)) {
        send_msg(netif, IGMP_V2_MEMBERSHIP_REPORT, group, group);
        g->last_reporter = true;
        delay_report(s, g, (uint64_t)IGMP_UNSOLICITED_INTERVAL_MS * SHOAL_NS_PER_MS);
        rearm(s);
    }
    return ERR_OK;
}

err_t igmp_leavegroup_netif(struct netif *netif, const ip4_addr_t *group)
{
    struct stack *s = netif->stack;
    if (is_all_hosts(group)) return ERR_OK;
    struct igmp_group *g = find_group(s, netif->index, group);
    if (g == NULL) return ERR_VAL;
    if (--g->use > 0) return ERR_OK;
    /* RFC 2236 3: Leave only if we were the last host to report, and (4)
     * never while a v1 router is present. */
    ip4_addr_t all_routers = ip4_addr_make(224, 0, 0, 2);
    if (g->last_reporter && netif_is_up(netif) && !v1_router_present(netif))
        send_msg(netif, IGMP_LEAVE_GROUP, group, &all_routers);
    memset(g, 0, sizeof(*g));
    rearm(s);
    return ERR_OK;
}

void igmp_netif_removed(struct netif *netif)
{
    struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++)
        if (s->igmp[i].netif_idx == netif->index) memset(&s->igmp[i], 0, sizeof(s->igmp[i]));
    rearm(s);
}

void igmp_input(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    uint8_t m[IGMP_MSG_LEN];
    if (p->tot_len < IGMP_MSG_LEN || pbuf_copy_partial(p, m, sizeof(m), 0) != sizeof(m)) {
        STATS_DROP(s, STATS_IGMP, lenerr);
        pbuf_free(p);
        return;
    }
    if (inet_chksum_pbuf(p) != 0) {
        STATS_DROP(s, STATS_IGMP, chkerr);
        pbuf_free(p);
        return;
    }
    pbuf_free(p);
    STATS_INC(s, STATS_IGMP, recv);
    ip4_addr_t group;
    memcpy(&group.addr, m + 4, 4);
    struct netif *netif = info->netif;
    igmp_router_input(netif, m[0], &group, &info->ip.src);
    switch (m[0]) {
    case IGMP_MEMBERSHIP_QUERY: {
        if (m[1] == 0 && netif->index >= 1 && netif->index <= IGMP_ROUTER_MAX_IFS) /* a v1 query (RFC 2236 4) */
            s->igmp_v1_router_until_ns[netif->index - 1] = stack_now(s) + IGMP_V1_ROUTER_PRESENT_NS;
        uint32_t max_ds = m[1] != 0 ? m[1] : IGMP_V1_MAX_RESP_DS;
        uint64_t max_ns = (uint64_t)max_ds * 100u * SHOAL_NS_PER_MS;
        if (group.addr == 0) {
            /* General query (to 224.0.0.1): every group of this interface. */
            if (!is_all_hosts(&info->ip.dst)) {
                STATS_DROP(s, STATS_IGMP, proterr);
                return;
            }
            for (uint32_t i = 0; i < s->cfg.igmp_groups; i++)
                if (s->igmp[i].use > 0 && s->igmp[i].netif_idx == netif->index) delay_report(s, &s->igmp[i], max_ns);
        } else {
            struct igmp_group *g = find_group(s, netif->index, &group);
            if (g != NULL) delay_report(s, g, max_ns);
        }
        rearm(s);
        break;
    }
    case IGMP_V1_MEMBERSHIP_REPORT:
    case IGMP_V2_MEMBERSHIP_REPORT: {
        /* Another member answered: ours is not needed (RFC 2236 3). */
        struct igmp_group *g = find_group(s, netif->index, &group);
        if (g != NULL && g->delaying) {
            g->delaying = false;
            g->last_reporter = false;
            rearm(s);
        }
        break;
    }
    default: break; /* Leave and unknown types: for routers */
    }
}
