/*
 * Neighbor Discovery, SLAAC and MLD inside one instance on the fake
 * platform, for rules a pure parser test cannot reach:
 *  - RFC 4862 5.5.3 e: the two-hour rule on a SLAAC address's valid lifetime;
 *  - RFC 4862 5.4.5 / 5.5.4: a duplicated SLAAC address gives its slot back
 *    when its valid lifetime ends (it used to sit there for ever);
 *  - RFC 4861 7.2.2: when resolution fails, the ICMPv6 errors for the
 *    waiting packets may themselves need the cache entry that just failed
 *    (a one-entry cache): their resolution must not be wiped out;
 *  - RFC 2710 5: Report delays cover [0, max] also past 4.29 s (a 64-bit
 *    product used to wrap), and a running Report timer is reset by a Query
 *    only when the Query's Maximum Response Delay is below its time left;
 *  - a DHCPv6 server on a netif that goes away stops (it keeps a pointer to it).
 */
#include "shoal/ip6.h"
#include "shoal/nd6.h"
#include "shoal/mld6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/icmp6.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/mld6_priv.h"
#include "ipv6/dhcp6_priv.h"
#include "check.h"
#include "test_platform.h"

static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};

struct bench {
    struct test_platform tp;
    struct stack *s;
    struct netif *n;
    unsigned ns_sent, mld_reports;
};

static err_t capture(struct netif *netif, struct pbuf *p)
{
    struct bench *b = netif->state;
    uint8_t f[200];
    size_t len = pbuf_copy_partial(p, f, sizeof(f), 0);
    if (len < 14 + 40 + 1 || rd16be(f + 12) != ETHTYPE_IP6) return ERR_OK;
    const uint8_t *ip = f + 14;
    if (ip[6] == IP6_NH_ICMP6 && ip[40] == ICMP6_TYPE_NS) b->ns_sent++;
    if (ip[6] == IP6_NH_HOPOPTS && len >= 14 + 48 + 1 && ip[48] == ICMP6_TYPE_MLD_REPORT) b->mld_reports++;
    return ERR_OK;
}

static void advance(struct bench *b, uint64_t by_ns) { test_platform_advance(&b->tp, b->s, b->tp.now_ns + by_ns); }

/* A Prefix Information option as nd6_ra_input() hands it on (it re-arms the timer after). */
static void slaac_prefix(struct bench *b, const struct nd6_opt_prefix *pi)
{
    nd6_slaac_prefix(b->n, pi);
    nd6_timer_update(b->s);
}

static void bench_up(struct bench *b, uint32_t neighbors)
{
    test_platform_init(&b->tp, 4862u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.ip6_dad_transmits = 1;
    if (neighbors) cfg.nd6_neighbors = neighbors;
    b->s = stack_new(&cfg, &b->tp.platform);
    CHECK(b->s != NULL);
    struct netif_init ni = {.kind = NETIF_ETHERNET, .name = "eth0", .hwaddr = mac, .hwaddr_len = 6, .mtu = 1500,
                            .linkoutput = capture, .state = b};
    b->n = netif_add(b->s, &ni);
    CHECK(b->n != NULL);
    netif_set_up(b->n);
    netif_set_link_up(b->n);
    CHECK_EQ(nd6_netif_enable(b->n, ND6_IID_EUI64, false), ERR_OK);
    advance(b, 3 * SHOAL_NS_PER_S); /* the link-local's DAD */
    CHECK_EQ(b->n->ip6[0].state, NETIF_IP6_PREFERRED);
}

static void bench_down(struct bench *b)
{
    stack_free(b->s);
    CHECK_EQ(b->tp.allocs, 0);
}

static int autoconf_slot(const struct netif *n, uint16_t g2)
{
    for (int i = 1; i < (int)SHOAL_NETIF_IP6_ADDRS; i++)
        if (n->ip6[i].state != NETIF_IP6_INVALID && (n->ip6[i].flags & NETIF_IP6_FLAG_AUTOCONF) &&
            rd16be(ip6_addr_bytes(&n->ip6[i].addr) + 4) == g2)
            return i;
    return -1;
}

static struct nd6_opt_prefix pio(uint16_t g2, uint32_t valid_s, uint32_t preferred_s)
{
    struct nd6_opt_prefix pi;
    memset(&pi, 0, sizeof(pi));
    pi.prefix = ip6_addr_make(0x2001, 0xdb8, g2, 0, 0, 0, 0, 0);
    pi.prefix_len = 64;
    pi.flags = ND6_PREFIX_FLAG_A | ND6_PREFIX_FLAG_L;
    pi.valid_lifetime_s = valid_s;
    pi.preferred_lifetime_s = preferred_s;
    return pi;
}

static void test_two_hour_rule(void)
{
    struct bench b;
    bench_up(&b, 0);
    const uint64_t S = SHOAL_NS_PER_S;
    struct nd6_opt_prefix pi = pio(1, 10000, 5000);
    slaac_prefix(&b, &pi);
    int k = autoconf_slot(b.n, 1);
    CHECK(k > 0);
    struct netif_ip6_addr *a = &b.n->ip6[k];
    CHECK_EQ(a->valid_until_ns, b.tp.now_ns + 10000 * S);
    advance(&b, 3 * S);
    CHECK_EQ(a->state, NETIF_IP6_PREFERRED);
    /* e.3: 100 s offered, 10000 - 3 s left (> 2 h): cut to 2 h, not to 100 s. */
    pi = pio(1, 100, 50);
    slaac_prefix(&b, &pi);
    CHECK_EQ(a->valid_until_ns, b.tp.now_ns + 7200 * S);
    CHECK_EQ(a->preferred_until_ns, b.tp.now_ns + 50 * S);
    /* e.2: 2 h or less left: a shorter offer leaves the valid lifetime alone. */
    advance(&b, 10 * S);
    uint64_t before = a->valid_until_ns;
    pi = pio(1, 60, 10);
    slaac_prefix(&b, &pi);
    CHECK_EQ(a->valid_until_ns, before);
    /* e.1: longer than what is left: taken, infinity included. */
    pi = pio(1, 0xffffffffu, 0xffffffffu);
    slaac_prefix(&b, &pi);
    CHECK_EQ(a->valid_until_ns, SHOAL_TIME_NEVER);
    CHECK_EQ(a->preferred_until_ns, SHOAL_TIME_NEVER);
    /* An infinite address offered 30 s, preferred 0: 2 h left, deprecated now (5.5.4). */
    pi = pio(1, 30, 0);
    slaac_prefix(&b, &pi);
    CHECK_EQ(a->valid_until_ns, b.tp.now_ns + 7200 * S);
    CHECK_EQ(a->state, NETIF_IP6_DEPRECATED);
    /* c: preferred above valid: ignored. */
    pi = pio(1, 100000, 200000);
    slaac_prefix(&b, &pi);
    CHECK_EQ(a->valid_until_ns, b.tp.now_ns + 7200 * S);
    advance(&b, 7200 * S);
    CHECK_EQ(a->state, NETIF_IP6_INVALID);
    bench_down(&b);
}

static void test_duplicate_slot_returns(void)
{
    struct bench b;
    bench_up(&b, 0);
    struct nd6_opt_prefix pi = pio(2, 100, 100);
    slaac_prefix(&b, &pi);
    int k = autoconf_slot(b.n, 2);
    CHECK(k > 0);
    CHECK_EQ(b.n->ip6[k].state, NETIF_IP6_TENTATIVE);
    /* An EUI-64 identifier is not regenerated: the address stays duplicated. */
    nd6_dad_conflict(b.n, k, true);
    CHECK_EQ(b.n->ip6[k].state, NETIF_IP6_DUPLICATED);
    advance(&b, 99 * SHOAL_NS_PER_S);
    CHECK_EQ(b.n->ip6[k].state, NETIF_IP6_DUPLICATED);
    advance(&b, 2 * SHOAL_NS_PER_S);
    CHECK_EQ(b.n->ip6[k].state, NETIF_IP6_INVALID); /* 5.5.4: invalid, the slot is free */
    CHECK_EQ(stack_next_deadline(b.s), SHOAL_TIME_NEVER); /* idle: nothing armed */
    bench_down(&b);
}

static void test_failed_resolution_errors(void)
{
    struct bench b;
    bench_up(&b, 1); /* a one-entry neighbor cache */
    ip6_addr_t own = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    CHECK_EQ(netif_add_ip6(b.n, &own, 64, NETIF_IP6_FLAG_MANUAL | NETIF_IP6_FLAG_NODAD), ERR_OK);
    uint64_t pbufs = test_stat(b.s, "pool.pbuf.used");
    /* A packet forwarded from on-link 2001:db8::99 waits for 2001:db8::50. */
    uint8_t pkt[48];
    memset(pkt, 0, sizeof(pkt));
    pkt[0] = 0x60;
    wr16be(pkt + 4, 8);
    pkt[6] = 59; /* no next header */
    pkt[7] = 63;
    ip6_addr_t src = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x99);
    ip6_addr_t dst = ip6_addr_make(0x2001, 0xdb8, 5, 0, 0, 0, 0, 1);
    ip6_addr_t hop = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x50);
    ip6_addr_to_bytes(&src, pkt + 8);
    ip6_addr_to_bytes(&dst, pkt + 24);
    struct pbuf *p = pbuf_alloc(b.s, PBUF_LINK, sizeof(pkt));
    CHECK(p != NULL);
    pbuf_take(p, pkt, sizeof(pkt));
    b.ns_sent = 0;
    nd6_output(b.n, p, &hop);
    pbuf_free(p);
    CHECK_EQ(b.ns_sent, 1);
    advance(&b, 3 * SHOAL_NS_PER_S + 1); /* 7.2.2: three solicitations, then failure */
    /* The Address Unreachable error for ::99 now resolves ::99 in the one
     * entry there is: that resolution must be under way, not wiped out. */
    struct nd6_neighbor_info ni;
    CHECK(nd6_neighbor_get(b.s, 0, &ni));
    CHECK(memcmp(ip6_addr_bytes(&ni.ip), ip6_addr_bytes(&src), 16) == 0);
    CHECK_EQ(ni.state, ND6_INCOMPLETE);
    CHECK_EQ(b.ns_sent, 4);
    advance(&b, 5 * SHOAL_NS_PER_S);
    CHECK(!nd6_neighbor_get(b.s, 0, &ni));
    CHECK_EQ(test_stat(b.s, "pool.nd6_queue.used"), 0);
    CHECK_EQ(test_stat(b.s, "pool.pbuf.used"), pbufs);
    CHECK_EQ(stack_next_deadline(b.s), SHOAL_TIME_NEVER);
    bench_down(&b);
}

static void feed_query(struct bench *b, uint16_t max_delay_ms)
{
    uint8_t m[MLD6_MSG_LEN];
    memset(m, 0, sizeof(m));
    m[0] = ICMP6_TYPE_MLD_QUERY;
    wr16be(m + 4, max_delay_ms);
    struct ip6_rx_info info;
    memset(&info, 0, sizeof(info));
    info.netif = b->n;
    info.ip.src = ip6_addr_make(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    info.ip.src.zone = b->n->index;
    info.ip.dst = ip6_addr_all_nodes();
    info.ip.hop_limit = 1;
    info.ip.next_header = IP6_NH_HOPOPTS;
    info.proto = IP6_NH_ICMP6;
    info.dst_multicast = true;
    info.router_alert = true;
    struct pbuf *p = pbuf_alloc(b->s, PBUF_IP, sizeof(m));
    CHECK(p != NULL);
    pbuf_take(p, m, sizeof(m));
    wr16be(m + 2, inet_chksum_pseudo6(p, IP6_NH_ICMP6, sizeof(m), &info.ip.src, &info.ip.dst, sizeof(m)));
    pbuf_take(p, m, sizeof(m));
    mld6_input(p, &info);
}

static struct mld6_group *group_entry(struct bench *b)
{
    for (uint32_t i = 0; i < b->s->cfg.mld6_groups; i++)
        if (b->s->mld6_groups[i].use > 0 && ip6_multicast_scope(&b->s->mld6_groups[i].group) == 5)
            return &b->s->mld6_groups[i];
    return NULL;
}

static void test_mld_report_delays(void)
{
    struct bench b;
    bench_up(&b, 0);
    ip6_addr_t g = ip6_addr_make(0xff05, 0, 0, 0, 0, 0, 1, 3);
    /* 7.10 / 4: the repeated unsolicited Report falls in [0, 10 s]. */
    uint64_t longest = 0;
    for (unsigned round = 0; round < 40; round++) {
        CHECK_EQ(mld6_join(b.n, &g), ERR_OK);
        struct mld6_group *e = group_entry(&b);
        CHECK(e != NULL && e->delaying);
        uint64_t d = e->report_at_ns - b.tp.now_ns;
        CHECK(d <= 10 * SHOAL_NS_PER_S);
        if (d > longest) longest = d;
        CHECK_EQ(mld6_leave(b.n, &g), ERR_OK);
    }
    CHECK(longest > 5 * SHOAL_NS_PER_S); /* a wrapped product never gets past 4.29 s */
    /* 5: a Query resets a running timer only when its delay is below the time left. */
    CHECK_EQ(mld6_join(b.n, &g), ERR_OK);
    struct mld6_group *e = group_entry(&b);
    e->delaying = true;
    e->report_at_ns = b.tp.now_ns + 2 * SHOAL_NS_PER_S;
    mld6_rearm(b.s);
    feed_query(&b, 10000);
    CHECK_EQ(e->report_at_ns, b.tp.now_ns + 2 * SHOAL_NS_PER_S);
    feed_query(&b, 1000);
    CHECK(e->delaying && e->report_at_ns <= b.tp.now_ns + SHOAL_NS_PER_S);
    unsigned reports = b.mld_reports;
    advance(&b, SHOAL_NS_PER_S);
    CHECK(b.mld_reports >= reports + 1); /* ours, and the solicited-node group's */
    CHECK(!e->delaying);
    bench_down(&b);
}

static void test_dhcp6_server_netif_removed(void)
{
    struct bench b;
    bench_up(&b, 0);
    struct dhcp6_server srv;
    memset(&srv, 0, sizeof(srv));
    CHECK_EQ(dhcp6_server_start(b.n, &srv), ERR_OK);
    uint64_t pcbs = test_stat(b.s, "pool.udp_pcb.used");
    CHECK(pcbs >= 1);
    dhcp6_server_netif_removed(b.n);
    CHECK(!srv.running);
    CHECK_EQ(test_stat(b.s, "pool.udp_pcb.used"), pcbs - 1);
    netif_remove(b.n);
    bench_down(&b);
}

int main(void)
{
    test_two_hour_rule();
    test_duplicate_slot_returns();
    test_failed_resolution_errors();
    test_mld_report_delays();
    test_dhcp6_server_netif_removed();
    return test_report("test_nd6_mld6");
}
