/* Counters by index: protocols, then extras, then pools; and their names. */
#include "shoal/stats.h"
#include "shoal/opt.h"
#include "core/stack_priv.h"

#define PROTO_COUNTER_COUNT 11u
#define EXTRA_COUNT 8u
#define POOL_COUNTER_COUNT 4u

#if SHOAL_STATS_NAMES
/* Character arrays, not pointers: they stay in read-only data even in
 * position-independent code (no relocations). */
#define PROTO_COUNTER_NAMES(p)                                                                           \
    p ".xmit", p ".recv", p ".fw", p ".drop", p ".chkerr", p ".lenerr", p ".memerr", p ".rterr", p ".proterr", \
        p ".opterr", p ".err"
static const char proto_counter_names[STATS_PROTO_COUNT][PROTO_COUNTER_COUNT][20] = {
    {PROTO_COUNTER_NAMES("link")},  {PROTO_COUNTER_NAMES("etharp")}, {PROTO_COUNTER_NAMES("ip4")},
    {PROTO_COUNTER_NAMES("ip4_frag")}, {PROTO_COUNTER_NAMES("icmp")}, {PROTO_COUNTER_NAMES("udp")},
    {PROTO_COUNTER_NAMES("raw")},   {PROTO_COUNTER_NAMES("tcp")}, {PROTO_COUNTER_NAMES("igmp")},
    {PROTO_COUNTER_NAMES("udplite")}, {PROTO_COUNTER_NAMES("acd")}, {PROTO_COUNTER_NAMES("dhcp")},
    {PROTO_COUNTER_NAMES("autoip")}, {PROTO_COUNTER_NAMES("dns")}, {PROTO_COUNTER_NAMES("ip6")},
    {PROTO_COUNTER_NAMES("ip6_frag")}, {PROTO_COUNTER_NAMES("icmp6")}, {PROTO_COUNTER_NAMES("nd6")},
    {PROTO_COUNTER_NAMES("mld6")}, {PROTO_COUNTER_NAMES("dhcp6")},
};
static const char extra_names[EXTRA_COUNT][24] = {"icmp.ratelimited",      "etharp.conflicts",
                                                  "tcp.challenge_acks",    "tcp.challenge_limited",
                                                  "tcp.syn_evicted",       "tcp.ooseq_dropped",
                                                  "icmp6.ratelimited",     "nd6.dad_failures"};
#define POOL_COUNTER_NAMES(p) "pool." p ".used", "pool." p ".peak", "pool." p ".avail", "pool." p ".err"
static const char pool_counter_names[POOL_COUNT][POOL_COUNTER_COUNT][24] = {
    {POOL_COUNTER_NAMES("pbuf")},    {POOL_COUNTER_NAMES("netif")},     {POOL_COUNTER_NAMES("udp_pcb")},
    {POOL_COUNTER_NAMES("raw_pcb")}, {POOL_COUNTER_NAMES("arp_queue")}, {POOL_COUNTER_NAMES("tcp_pcb")},
    {POOL_COUNTER_NAMES("tcp_seg")}, {POOL_COUNTER_NAMES("ip4_frag")}, {POOL_COUNTER_NAMES("nd6_queue")},
    {POOL_COUNTER_NAMES("ip6_frag")},
};
#endif

struct stack_stats *stack_stats(struct stack *s) { return &s->stats; }

size_t stack_stats_count(const struct stack *s)
{
    (void)s;
    return STATS_PROTO_COUNT * PROTO_COUNTER_COUNT + EXTRA_COUNT + POOL_COUNT * POOL_COUNTER_COUNT;
}

static uint32_t proto_counter(const struct proto_stats *ps, size_t k)
{
    const uint32_t v[PROTO_COUNTER_COUNT] = {ps->xmit,   ps->recv,  ps->fw,    ps->drop,    ps->chkerr, ps->lenerr,
                                            ps->memerr, ps->rterr, ps->proterr, ps->opterr, ps->err};
    return v[k];
}

bool stack_stats_value(const struct stack *s, size_t i, uint64_t *value)
{
    if (i < STATS_PROTO_COUNT * PROTO_COUNTER_COUNT) {
        *value = proto_counter(&s->stats.proto[i / PROTO_COUNTER_COUNT], i % PROTO_COUNTER_COUNT);
        return true;
    }
    i -= STATS_PROTO_COUNT * PROTO_COUNTER_COUNT;
    if (i < EXTRA_COUNT) {
        const uint32_t v[EXTRA_COUNT] = {s->stats.icmp_ratelimited,      s->stats.arp_conflicts,
                                         s->stats.tcp_challenge_acks,    s->stats.tcp_challenge_limited,
                                         s->stats.tcp_syn_evicted,       s->stats.tcp_ooseq_dropped,
                                         s->stats.icmp6_ratelimited,     s->stats.nd6_dad_failures};
        *value = v[i];
        return true;
    }
    i -= EXTRA_COUNT;
    if (i < POOL_COUNT * POOL_COUNTER_COUNT) {
        const struct pool *pl = &s->pools[i / POOL_COUNTER_COUNT];
        size_t k = i % POOL_COUNTER_COUNT;
        *value = k == 0 ? pl->used : k == 1 ? pl->peak : k == 2 ? pl->count - pl->used : pl->err;
        return true;
    }
    return false;
}

#if SHOAL_STATS_NAMES
bool stack_stats_entry(const struct stack *s, size_t i, const char **name, uint64_t *value)
{
    if (!stack_stats_value(s, i, value)) return false;
    if (i < STATS_PROTO_COUNT * PROTO_COUNTER_COUNT) {
        *name = proto_counter_names[i / PROTO_COUNTER_COUNT][i % PROTO_COUNTER_COUNT];
        return true;
    }
    i -= STATS_PROTO_COUNT * PROTO_COUNTER_COUNT;
    if (i < EXTRA_COUNT) {
        *name = extra_names[i];
        return true;
    }
    i -= EXTRA_COUNT;
    *name = pool_counter_names[i / POOL_COUNTER_COUNT][i % POOL_COUNTER_COUNT];
    return true;
}
#endif
