/*
 * Path MTU discovery for IPv6 (RFC 8201): a small cache of destinations
 * whose Packet Too Big messages lowered the MTU, aged back to the link MTU,
 * and the IPv6 timer that also drives reassembly deadlines.
 */
#include <string.h>

#include "shoal/ip6.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/ip6_frag_priv.h"

/* RFC 8201 4: try a larger PMTU again no sooner than 5 minutes after a
 * decrease; 10 minutes recommended. */
#define IP6_PMTU_AGE_NS (600ull * SHOAL_NS_PER_S)

static struct ip6_pmtu_entry *pmtu_find(struct stack *s, const ip6_addr_t *dst)
{
    uint64_t now = stack_now(s);
    for (unsigned i = 0; i < IP6_PMTU_ENTRIES; i++) {
        struct ip6_pmtu_entry *e = &s->ip6.pmtu[i];
        if (e->used && e->expires_ns > now && ip6_addr_eq(&e->dst, dst)) return e;
    }
    return NULL;
}

uint16_t ip6_path_mtu(struct stack *s, const ip6_addr_t *dst)
{
    uint16_t mtu = IP6_MIN_MTU;
    struct ip6_route_result rt;
    if (ip6_route(s, dst, &rt) == ERR_OK && rt.netif->nd6.link_mtu > mtu) mtu = rt.netif->nd6.link_mtu;
    const struct ip6_pmtu_entry *e = pmtu_find(s, dst);
    if (e != NULL && e->mtu < mtu) mtu = e->mtu;
    return mtu < IP6_MIN_MTU ? (uint16_t)IP6_MIN_MTU : mtu;
}

void ip6_pmtu_update(struct stack *s, const ip6_addr_t *dst, uint32_t mtu)
{
    /* RFC 8200 5, RFC 8201 4: never below the IPv6 minimum link MTU (and no
     * atomic fragments for a smaller one, RFC 8021). */
    if (mtu < IP6_MIN_MTU) mtu = IP6_MIN_MTU;
    /* RFC 8201 4: a PTB never raises the estimate. */
    if (mtu >= ip6_path_mtu(s, dst)) return;
    struct ip6_pmtu_entry *e = pmtu_find(s, dst);
    for (unsigned i = 0; e == NULL && i < IP6_PMTU_ENTRIES; i++)
        if (!s->ip6.pmtu[i].used || s->ip6.pmtu[i].expires_ns <= stack_now(s)) e = &s->ip6.pmtu[i];
    if (e == NULL) { /* full: the entry closest to expiry gives way */
        e = &s->ip6.pmtu[0];
        for (unsigned i = 1; i < IP6_PMTU_ENTRIES; i++)
            if (s->ip6.pmtu[i].expires_ns < e->expires_ns) e = &s->ip6.pmtu[i];
    }
    e->used = true;
    e->dst = *dst;
    e->mtu = (uint16_t)mtu;
    e->expires_ns = stack_now(s) + IP6_PMTU_AGE_NS;
    ip6_timer_update(s);
}

static void timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    ip6_timer_update(s);
}

void ip6_timer_update(struct stack *s)
{
    uint64_t now = stack_now(s);
    uint64_t next = SHOAL_TIME_NEVER;
    for (unsigned i = 0; i < IP6_PMTU_ENTRIES; i++) {
        struct ip6_pmtu_entry *e = &s->ip6.pmtu[i];
        if (e->used && e->expires_ns <= now) e->used = false; /* RFC 8201 4: back to the link MTU */
        if (e->used && e->expires_ns < next) next = e->expires_ns;
    }
#if SHOAL_IP6_FRAG
    uint64_t reass = ip6_reass_tick(s, now);
    if (reass < next) next = reass;
#endif
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->ip6.timer);
    else if (!s->ip6.timer.armed || s->ip6.timer.deadline_ns != next)
        stack_timer_arm(s, &s->ip6.timer, next, timer_fire, NULL);
}
