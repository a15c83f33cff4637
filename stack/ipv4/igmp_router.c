/*
 * The router side of IGMPv2 (RFC 2236 7) and multicast forwarding for a
 * node with forwarding on: it queries each interface (electing the
 * lowest-addressed querier), learns which groups have members where, and
 * copies a multicast datagram to every other interface with members of its
 * group while its TTL allows. No multicast routing protocol: enough for a
 * group that spans routers of one simulated site.
 */
#include <string.h>

#include "shoal/igmp.h"
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/etharp.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/igmp_priv.h"

/* RFC 2236 8: default timer values. */
#define QUERY_INTERVAL_NS (125u * SHOAL_NS_PER_S)
#define QUERY_RESPONSE_DS 100u /* 10 s, in tenths */
#define MEMBERSHIP_INTERVAL_NS (2u * QUERY_INTERVAL_NS + 10u * SHOAL_NS_PER_S)
#define OTHER_QUERIER_NS (2u * QUERY_INTERVAL_NS + 5u * SHOAL_NS_PER_S)
#define STARTUP_QUERY_INTERVAL_NS (QUERY_INTERVAL_NS / 4u)
#define STARTUP_QUERY_COUNT 2u
#define LAST_MEMBER_QUERY_NS (1u * SHOAL_NS_PER_S)
#define LAST_MEMBER_QUERY_COUNT 2u

static void router_timer_fire(struct stack *s, void *arg);

static void rearm(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.netif_count && i < IGMP_ROUTER_MAX_IFS; i++) {
        const struct igmp_querier *q = &s->igmp_rt.querier[i];
        if (q->active && q->next_query_ns < next) next = q->next_query_ns;
    }
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++) {
        const struct igmp_rt_member *m = &s->igmp_rt.members[i];
        if (m->used) {
            if (m->expires_ns < next) next = m->expires_ns;
            if (m->gsq_left > 0 && m->gsq_next_ns < next) next = m->gsq_next_ns;
        }
    }
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->igmp_rt.timer);
    else if (!s->igmp_rt.timer.armed || s->igmp_rt.timer.deadline_ns != next)
        stack_timer_arm(s, &s->igmp_rt.timer, next, router_timer_fire, NULL);
}

static void send_query(struct netif *netif, const ip4_addr_t *group, uint8_t max_ds)
{
    struct stack *s = netif->stack;
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, IGMP_MSG_LEN);
    if (p == NULL) return;
    uint8_t m[IGMP_MSG_LEN] = {IGMP_MEMBERSHIP_QUERY, max_ds, 0, 0, 0, 0, 0, 0};
    memcpy(m + 4, &group->addr, 4);
    wr16be(m + 2, inet_chksum(m, sizeof(m)));
    pbuf_take(p, m, sizeof(m));
    /* General queries go to all systems, group-specific ones to the group. */
    ip4_addr_t dst = group->addr == 0 ? ip4_addr_make(224, 0, 0, 1) : *group;
    static const uint8_t router_alert[4] = {0x94, 0x04, 0x00, 0x00};
    if (ip4_output_opts(netif, p, NULL, &dst, &dst, 1, 0xc0, IP_PROTO_IGMP, router_alert, sizeof(router_alert)) ==
        ERR_OK)
        STATS_INC(s, STATS_IGMP, xmit);
    pbuf_free(p);
}

static struct igmp_rt_member *find_member(struct stack *s, uint8_t idx, const ip4_addr_t *g)
{
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++) {
        struct igmp_rt_member *m = &s->igmp_rt.members[i];
        if (m->used && m->netif_idx == idx && m->group.addr == g->addr) return m;
    }
    return NULL;
}

void igmp_router_netif_up(struct netif *netif)
{
    struct stack *s = netif->stack;
    if (!s->cfg.ip_forwarding || netif->index > IGMP_ROUTER_MAX_IFS || netif->ip4.addr == 0) return;
    struct igmp_querier *q = &s->igmp_rt.querier[netif->index - 1];
    /* RFC 2236 7: a router starts as querier with startup queries. */
    q->active = true;
    q->startup_left = STARTUP_QUERY_COUNT;
    q->next_query_ns = stack_now(s);
    rearm(s);
}

static void router_timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    uint64_t now = stack_now(s);
    for (uint32_t i = 0; i < IGMP_ROUTER_MAX_IFS; i++) {
        struct igmp_querier *q = &s->igmp_rt.querier[i];
        if (!q->active || q->next_query_ns > now) continue;
        struct netif *netif = netif_find_by_index(s, (uint8_t)(i + 1u));
        if (netif == NULL || !netif_is_up(netif) || netif->ip4.addr == 0) {
            q->active = false;
            continue;
        }
        if (q->other_querier_until_ns > now) {
            q->next_query_ns = q->other_querier_until_ns;
            continue;
        }
        ip4_addr_t general = IP4_ADDR_ANY_INIT;
        send_query(netif, &general, QUERY_RESPONSE_DS);
        if (q->startup_left > 0) q->startup_left--;
        q->next_query_ns = now + (q->startup_left > 0 ? STARTUP_QUERY_INTERVAL_NS : QUERY_INTERVAL_NS);
    }
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++) {
        struct igmp_rt_member *m = &s->igmp_rt.members[i];
        if (!m->used) continue;
        if (m->expires_ns <= now) {
            memset(m, 0, sizeof(*m)); /* no member answered: the group is gone there */
            continue;
        }
        if (m->gsq_left > 0 && m->gsq_next_ns <= now) {
            struct netif *netif = netif_find_by_index(s, m->netif_idx);
            if (netif != NULL) send_query(netif, &m->group, (uint8_t)(LAST_MEMBER_QUERY_NS / (100u * SHOAL_NS_PER_MS)));
            m->gsq_left--;
            m->gsq_next_ns = now + LAST_MEMBER_QUERY_NS;
        }
    }
    rearm(s);
}

void igmp_router_input(struct netif *netif, uint8_t type, const ip4_addr_t *group, const ip4_addr_t *src)
{
    struct stack *s = netif->stack;
    if (!s->cfg.ip_forwarding || netif->index > IGMP_ROUTER_MAX_IFS) return;
    uint64_t now = stack_now(s);
    switch (type) {
    case IGMP_MEMBERSHIP_QUERY: {
        /* RFC 2236 7: the router with the lowest address is the querier. */
        struct igmp_querier *q = &s->igmp_rt.querier[netif->index - 1];
        if (netif->ip4.addr != 0 && ip4_addr_to_u32(*src) < ip4_addr_to_u32(netif->ip4))
            q->other_querier_until_ns = now + OTHER_QUERIER_NS;
        break;
    }
    case IGMP_V1_MEMBERSHIP_REPORT:
    case IGMP_V2_MEMBERSHIP_REPORT: {
        if (!ip4_addr_is_multicast(group)) return;
        struct igmp_rt_member *m = find_member(s, netif->index, group);
        for (uint32_t i = 0; i < s->cfg.igmp_groups && m == NULL; i++)
            if (!s->igmp_rt.members[i].used) m = &s->igmp_rt.members[i];
        if (m == NULL) {
            STATS_INC(s, STATS_IGMP, memerr);
            return;
        }
        m->used = true;
        m->netif_idx = netif->index;
        m->group = *group;
        m->expires_ns = now + MEMBERSHIP_INTERVAL_NS;
        m->gsq_left = 0;
        break;
    }
    case IGMP_LEAVE_GROUP: {
        /* RFC 2236 7: the querier asks whether members remain and forgets them
         * if none answer; a non-querier leaves that to the querier. */
        struct igmp_rt_member *m = find_member(s, netif->index, group);
        if (m == NULL || s->igmp_rt.querier[netif->index - 1].other_querier_until_ns > now) return;
        m->gsq_left = LAST_MEMBER_QUERY_COUNT;
        m->gsq_next_ns = now;
        uint64_t until = now + LAST_MEMBER_QUERY_COUNT * LAST_MEMBER_QUERY_NS;
        if (m->expires_ns > until) m->expires_ns = until;
        break;
    }
    default: break;
    }
    rearm(s);
}

void igmp_router_forward(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    const struct ip4_repr *ip = &info->ip;
    uint32_t g = ip4_addr_to_u32(ip->dst);
    /* 224.0.0.0/24 is link-local (RFC 5771); TTL 1 stays on the link. */
    if ((g & 0xffffff00u) == 0xe0000000u || ip->ttl <= 1) return;
    for (uint32_t i = 0; i < s->cfg.igmp_groups; i++) {
        const struct igmp_rt_member *m = &s->igmp_rt.members[i];
        if (!m->used || m->group.addr != ip->dst.addr || m->netif_idx == info->netif->index) continue;
        struct netif *out = netif_find_by_index(s, m->netif_idx);
        if (out == NULL || !netif_is_up(out) || p->tot_len > out->mtu) continue;
        struct pbuf *q = pbuf_clone(s, PBUF_LINK, p);
        if (q == NULL) {
            STATS_INC(s, STATS_IP4, memerr);
            continue;
        }
        uint8_t *h = q->payload;
        uint16_t old_word = rd16be(h + 8);
        h[8] = (uint8_t)(ip->ttl - 1u);
        wr16be(h + 10, chksum_adjust16(rd16be(h + 10), old_word, rd16be(h + 8)));
        if (ip4_link_output(out, q, &ip->dst) == ERR_OK) STATS_INC(s, STATS_IP4, fw);
        pbuf_free(q);
    }
}
