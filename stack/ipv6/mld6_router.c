/*
 * The router side of MLDv1 (RFC 2710 4, 7) for instances with forwarding
 * on: the querier (lowest link-local address wins), General Queries, and
 * which groups have listeners on which netif, for multicast forwarding
 * (mld6_router_has_listener). Shares the MLD timer with the host side.
 */
#include <string.h>

#include "shoal/mld6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"
#include "ipv6/mld6_priv.h"

/* RFC 2710 7: default timer values (Robustness Variable 2). */
#define ROBUSTNESS 2u
#define QUERY_INTERVAL_NS (125ull * SHOAL_NS_PER_S)
#define QUERY_RESPONSE_MS 10000u
#define LISTENER_INTERVAL_NS (ROBUSTNESS * QUERY_INTERVAL_NS + QUERY_RESPONSE_MS * SHOAL_NS_PER_MS)      /* 260 s */
#define OTHER_QUERIER_NS (ROBUSTNESS * QUERY_INTERVAL_NS + QUERY_RESPONSE_MS * SHOAL_NS_PER_MS / 2u)   /* 255 s */
#define STARTUP_QUERY_INTERVAL_NS (QUERY_INTERVAL_NS / 4u)                                             /* 31.25 s */
#define STARTUP_QUERY_COUNT ROBUSTNESS
#define LAST_LISTENER_QUERY_MS 1000u
#define LAST_LISTENER_QUERY_COUNT ROBUSTNESS
/* Retry while the link-local is still tentative: queries need it (RFC 2710 3). */
#define LL_WAIT_NS (100ull * SHOAL_NS_PER_MS)

static bool router_on(const struct stack *s, uint8_t idx)
{
    return s->cfg.ip_forwarding && idx >= 1 && idx <= MLD6_ROUTER_MAX_IFS && s->mld6.router_on[idx - 1u];
}

static struct mld6_listener *find_listener(struct stack *s, uint8_t idx, const ip6_addr_t *g)
{
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        struct mld6_listener *l = &s->mld6_listeners[i];
        if (l->used && l->netif_idx == idx && mld6_addr_eq(&l->group, g)) return l;
    }
    return NULL;
}

void mld6_router_start(struct netif *netif)
{
    struct stack *s = netif->stack;
    if (!s->cfg.ip_forwarding || netif->index < 1 || netif->index > MLD6_ROUTER_MAX_IFS) return;
    unsigned i = netif->index - 1u;
    if (s->mld6.router_on[i]) return;
    /* RFC 2710 4: a router starts as Querier, with Startup Query Count
     * General Queries Startup Query Interval apart. */
    s->mld6.router_on[i] = true;
    s->mld6.startup_queries_left[i] = STARTUP_QUERY_COUNT;
    s->mld6.other_querier_until_ns[i] = 0;
    s->mld6.next_query_ns[i] = stack_now(s);
    mld6_rearm(s);
}

void mld6_router_netif_cleanup(struct netif *netif)
{
    struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++)
        if (s->mld6_listeners[i].used && s->mld6_listeners[i].netif_idx == netif->index)
            memset(&s->mld6_listeners[i], 0, sizeof(s->mld6_listeners[i]));
    if (netif->index >= 1 && netif->index <= MLD6_ROUTER_MAX_IFS) {
        unsigned i = netif->index - 1u;
        s->mld6.router_on[i] = false;
        s->mld6.startup_queries_left[i] = 0;
        s->mld6.other_querier_until_ns[i] = 0;
    }
}

bool mld6_router_has_listener(struct stack *s, const struct netif *netif, const ip6_addr_t *group)
{
    const struct mld6_listener *l = find_listener(s, netif->index, group);
    return l != NULL && l->expires_ns > stack_now(s);
}

uint64_t mld6_router_next_deadline(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (unsigned i = 0; i < MLD6_ROUTER_MAX_IFS; i++)
        if (s->mld6.router_on[i] && s->mld6.next_query_ns[i] < next) next = s->mld6.next_query_ns[i];
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        const struct mld6_listener *l = &s->mld6_listeners[i];
        if (!l->used) continue;
        if (l->expires_ns < next) next = l->expires_ns;
        if (l->llq_left > 0 && l->llq_next_ns < next) next = l->llq_next_ns;
    }
    return next;
}

static bool is_querier(const struct stack *s, unsigned i, uint64_t now)
{
    return s->mld6.other_querier_until_ns[i] <= now;
}

static void run_querier(struct stack *s, unsigned i, uint64_t now)
{
    if (!s->mld6.router_on[i] || s->mld6.next_query_ns[i] > now) return;
    struct netif *netif = netif_find_by_index(s, (uint8_t)(i + 1u));
    if (netif == NULL || !s->cfg.ip_forwarding) {
        s->mld6.router_on[i] = false;
        return;
    }
    if (!is_querier(s, i, now)) {
        /* RFC 2710 4: when the Other Querier Present timer runs out we
         * become Querier again and query at once. */
        s->mld6.next_query_ns[i] = s->mld6.other_querier_until_ns[i];
        return;
    }
    ip6_addr_t src;
    enum mld6_src st = mld6_source(netif, &src);
    if (!netif_is_up(netif) || st != MLD6_SRC_OK) {
        /* Down or no link-local yet: look again later; a netif without
         * IPv6 (NONE) is looked at again a Query Interval later. */
        s->mld6.next_query_ns[i] = now + (st == MLD6_SRC_WAIT && netif_is_up(netif) ? LL_WAIT_NS : QUERY_INTERVAL_NS);
        return;
    }
    ip6_addr_t any = IP6_ADDR_ANY_INIT, all_nodes = ip6_addr_all_nodes();
    (void)mld6_send(netif, ICMP6_TYPE_MLD_QUERY, QUERY_RESPONSE_MS, &any, &all_nodes);
    if (s->mld6.startup_queries_left[i] > 0) s->mld6.startup_queries_left[i]--;
    bool startup = s->mld6.startup_queries_left[i] > 0;
    s->mld6.next_query_ns[i] = now + (startup ? STARTUP_QUERY_INTERVAL_NS : QUERY_INTERVAL_NS);
}

void mld6_router_run(struct stack *s, uint64_t now_ns)
{
    for (unsigned i = 0; i < MLD6_ROUTER_MAX_IFS; i++) run_querier(s, i, now_ns);
    for (uint32_t i = 0; i < s->cfg.mld6_groups; i++) {
        struct mld6_listener *l = &s->mld6_listeners[i];
        if (!l->used) continue;
        if (l->expires_ns <= now_ns) {
            memset(l, 0, sizeof(*l)); /* RFC 2710 4: no Report in time: no listeners left */
            continue;
        }
        if (l->llq_left > 0 && l->llq_next_ns <= now_ns) {
            /* RFC 2710 4: Multicast-Address-Specific Queries to the group,
             * Max Response Delay = Last Listener Query Interval. */
            struct netif *netif = netif_find_by_index(s, l->netif_idx);
            if (netif != NULL && netif_is_up(netif))
                (void)mld6_send(netif, ICMP6_TYPE_MLD_QUERY, LAST_LISTENER_QUERY_MS, &l->group, &l->group);
            l->llq_left--;
            l->llq_next_ns = now_ns + LAST_LISTENER_QUERY_MS * SHOAL_NS_PER_MS;
        }
    }
}

/* Is src below our own link-local on netif (RFC 2710 4: the lowest address
 * is Querier)? Without a link-local of ours, anyone else is. */
static bool lower_than_us(const struct netif *netif, const ip6_addr_t *src)
{
    ip6_addr_t ours;
    if (mld6_source(netif, &ours) != MLD6_SRC_OK) return true;
    return memcmp(ip6_addr_bytes(src), ip6_addr_bytes(&ours), IP6_ADDR_LEN) < 0;
}

void mld6_router_input(struct netif *netif, uint8_t type, uint32_t max_delay_ms, const ip6_addr_t *group,
                       const ip6_addr_t *src)
{
    struct stack *s = netif->stack;
    if (!s->cfg.ip_forwarding || netif->index < 1 || netif->index > MLD6_ROUTER_MAX_IFS) return;
    /* Forwarding netifs normally start from nd6; start lazily otherwise. */
    if (!router_on(s, netif->index)) mld6_router_start(netif);
    unsigned i = netif->index - 1u;
    uint64_t now = stack_now(s);
    switch (type) {
    case ICMP6_TYPE_MLD_QUERY: {
        if (lower_than_us(netif, src)) {
            s->mld6.other_querier_until_ns[i] = now + OTHER_QUERIER_NS;
            s->mld6.startup_queries_left[i] = 0;
            s->mld6.next_query_ns[i] = s->mld6.other_querier_until_ns[i];
        }
        /* RFC 2710 4: a Non-Querier hearing a Multicast-Address-Specific
         * Query lowers its timer to Last Listener Query Count times the
         * query's Maximum Response Delay. */
        if (!ip6_addr_is_any(group) && !is_querier(s, i, now)) {
            struct mld6_listener *l = find_listener(s, netif->index, group);
            uint64_t until = now + (uint64_t)LAST_LISTENER_QUERY_COUNT * max_delay_ms * SHOAL_NS_PER_MS;
            if (l != NULL && l->expires_ns > until) l->expires_ns = until;
        }
        break;
    }
    case ICMP6_TYPE_MLD_REPORT: {
        /* Listener state only serves forwarding: interface- and link-local
         * groups (solicited-node among them) never leave the link (RFC 4291
         * 2.7), so they would only crowd the table. */
        if (ip6_multicast_scope(group) <= 2u) return;
        struct mld6_listener *l = find_listener(s, netif->index, group);
        for (uint32_t k = 0; k < s->cfg.mld6_groups && l == NULL; k++)
            if (!s->mld6_listeners[k].used) l = &s->mld6_listeners[k];
        if (l == NULL) {
            STATS_INC(s, STATS_MLD6, memerr);
            return;
        }
        l->used = true;
        l->netif_idx = netif->index;
        l->group = *group;
        l->group.zone = 0;
        l->expires_ns = now + LISTENER_INTERVAL_NS;
        l->llq_left = 0;
        break;
    }
    case ICMP6_TYPE_MLD_DONE: {
        /* RFC 2710 4: the Querier checks for remaining listeners; a
         * Non-Querier ignores Done. */
        struct mld6_listener *l = find_listener(s, netif->index, group);
        if (l == NULL || !is_querier(s, i, now)) return;
        l->llq_left = LAST_LISTENER_QUERY_COUNT;
        l->llq_next_ns = now;
        uint64_t until = now + (uint64_t)LAST_LISTENER_QUERY_COUNT * LAST_LISTENER_QUERY_MS * SHOAL_NS_PER_MS;
        if (l->expires_ns > until) l->expires_ns = until;
        break;
    }
    default: break;
    }
}
