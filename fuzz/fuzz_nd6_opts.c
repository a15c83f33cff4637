/*
 * libFuzzer harness: Neighbor Discovery (RFC 4861, RFC 4862).
 *
 * Two surfaces per input. First the option parser alone:
 * nd6_parse_options() over the whole input (bounds: ASan). Then whole ND
 * messages through a fresh instance on the deterministic fake platform:
 * Ethernet netifs eth0 (02:00:00:00:00:01) and eth1 (..:01:01), IPv6 on
 * with modified EUI-64 identifiers (so seeds can name the stack's own
 * addresses: fe80::ff:fe00:1 and fe80::ff:fe00:101), one DAD probe, SLAAC on,
 * and 2001:db8::1/64 on eth0 without DAD. The input's first byte configures
 * it (0x01: forwarding, eth0 advertises 2001:db8::/64 as a router; 0x02:
 * no SLAAC; 0x04: a one-entry neighbor cache). The rest is a sequence of
 * records, each starting with a 16-bit big-endian word w:
 *   w & 0xc000 == 0xc000   advance the clock by (w & 0x3fff) ms
 *   w & 0xc000 == 0x8000   an action: op w & 0xf, argument (w >> 4) & 0x3ff
 *                          (see action(): send to an address, which starts
 *                          resolution; netif up/down; add/remove addresses;
 *                          reachability hints; router mode; lookups)
 *   otherwise              an ICMPv6 message of (w & 0x7ff) bytes follows,
 *                          after one selector byte (low nibble: source,
 *                          high nibble: destination, from addrs[] below) and,
 *                          with bit 0x4000, a hop limit byte (else 255). The
 *                          harness wraps it in IPv6 and Ethernet headers and,
 *                          with bit 0x0800, writes the right ICMPv6 checksum;
 *                          bit 0x1000 feeds it to eth1.
 * Oracles, besides ASan/UBSan: frames sent are 60..1514 bytes; IPv6 frames
 * carry a payload length that fits; ND messages the stack sends have hop
 * limit 255 and a right checksum; pools never over-report; after the
 * netifs go down and the clock runs out every queued packet is freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/stack.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/ip6.h"
#include "shoal/nd6.h"
#include "shoal/icmp6.h"
#include "shoal/ethernet.h"
#include "shoal/inet_chksum.h"
#include "fuzz_platform.h"
#include "../stack/ipv6/nd6_priv.h"

#define HARNESS "fuzz_nd6_opts"
#define FRAME_LEN_MASK 0x07ffu
#define FRAME_FIX_SUM 0x0800u
#define FRAME_ON_ETH1 0x1000u
#define FRAME_HOP_LIMIT 0x4000u
#define CONFIG_ROUTER 0x01u
#define CONFIG_NO_SLAAC 0x02u
#define CONFIG_ONE_NEIGHBOR 0x04u
#define DRAIN_MS (10u * 60u * 1000u)
/* Router, prefix and address lifetimes reach 2^32 s: the harness's bound
 * for "implausibly far" is that, not the 2 h of the TCP harnesses. */
#define MAX_WAIT_NS (0x100000000ull * SHOAL_NS_PER_S)

static void fail(const char *why, unsigned long long value) { fuzz_fail(HARNESS, why, value); }

/* Addresses the selector byte picks from. */
static const uint16_t addrs[16][8] = {
    {0, 0, 0, 0, 0, 0, 0, 0},                        /* 0 :: */
    {0xfe80, 0, 0, 0, 0, 0, 0, 1},                   /* 1 neighbor fe80::1 */
    {0xfe80, 0, 0, 0, 0, 0, 0, 2},                   /* 2 neighbor (router) fe80::2 */
    {0xfe80, 0, 0, 0, 0, 0x00ff, 0xfe00, 0x0001},    /* 3 our link-local on eth0 */
    {0x2001, 0xdb8, 0, 0, 0, 0, 0, 1},               /* 4 our manual address */
    {0xff02, 0, 0, 0, 0, 0, 0, 1},                   /* 5 all-nodes */
    {0xff02, 0, 0, 0, 0, 0, 0, 2},                   /* 6 all-routers */
    {0xff02, 0, 0, 0, 0, 1, 0xff00, 0x0001},         /* 7 solicited-node of 3 (and 4, 14) */
    {0xff02, 0, 0, 0, 0, 1, 0xff00, 0x0002},         /* 8 solicited-node of 1's peer ::2 */
    {0x2001, 0xdb8, 0, 0, 0, 0, 0, 2},               /* 9 on-link neighbor */
    {0x2001, 0xdb8, 5, 0, 0, 0, 0, 9},               /* 10 off-link */
    {0xfe80, 0, 0, 0, 0, 0x00ff, 0xfe00, 0x0101},    /* 11 our link-local on eth1 */
    {0xff02, 0, 0, 0, 0, 1, 0xff00, 0x0101},         /* 12 solicited-node of 11 */
    {0x2001, 0xdb8, 0, 0, 0, 0x00ff, 0xfe00, 0x0001},/* 13 SLAAC address in 2001:db8::/64 */
    {0x2001, 0xdb8, 1, 0, 0, 0x00ff, 0xfe00, 0x0001},/* 14 SLAAC address in 2001:db8:1::/64 */
    {0xff05, 0, 0, 0, 0, 0, 0, 0x1234},              /* 15 site multicast */
};

static ip6_addr_t addr_at(unsigned i)
{
    const uint16_t *g = addrs[i & 15u];
    return ip6_addr_make(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7]);
}

struct harness {
    struct test_platform tp;
    struct stack *stack;
    struct netif *netif[2];
    unsigned frames_out;
};

/* ---- the wire ---- */

static uint16_t icmp6_sum(const uint8_t *ip6, const uint8_t *msg, size_t len)
{
    uint32_t sum = chksum_partial(ip6 + 8, 32, 0);
    sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffffu);
    sum += IP6_NH_ICMP6;
    return chksum_finish(chksum_partial(msg, len, sum));
}

static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    struct harness *h = netif->state;
    uint8_t f[1600];
    h->frames_out++;
    size_t n = fuzz_check_sent_frame(HARNESS, p, f, sizeof(f));
    if (rd16be(f + 12) != ETHTYPE_IP6) return ERR_OK;
    if (n < ETH_HDR_LEN + IP6_HDR_LEN || (f[ETH_HDR_LEN] >> 4) != 6) fail("sent a bad IPv6 header", n);
    const uint8_t *ip = f + ETH_HDR_LEN;
    size_t plen = rd16be(ip + 4);
    if (ETH_HDR_LEN + IP6_HDR_LEN + plen > n) fail("sent an IPv6 payload length past the frame", plen);
    if (ip[6] != IP6_NH_ICMP6 || plen < 4) return ERR_OK;
    const uint8_t *m = ip + IP6_HDR_LEN;
    if (m[0] >= ICMP6_TYPE_RS && m[0] <= ICMP6_TYPE_REDIRECT) {
        if (ip[7] != 255) fail("sent an ND message with hop limit other than 255", ip[7]);
        if (icmp6_sum(ip, m, plen) != 0) fail("sent an ND message with a bad checksum", m[0]);
    }
    return ERR_OK;
}

static void feed(struct harness *h, const uint8_t *sel_msg, size_t len, uint16_t w, uint8_t hop_limit)
{
    static uint8_t f[ETH_HDR_LEN + IP6_HDR_LEN + FRAME_LEN_MASK + 1];
    uint8_t sel = sel_msg[0];
    const uint8_t *msg = sel_msg + 1;
    size_t mlen = len - 1;
    ip6_addr_t src = addr_at(sel & 15u), dst = addr_at(sel >> 4);
    bool on_eth1 = (w & FRAME_ON_ETH1) != 0;
    /* Ethernet: to 33:33 + the group's low 32 bits (RFC 2464 7), else to us. */
    uint8_t *e = f;
    if (ip6_addr_is_multicast(&dst)) {
        e[0] = 0x33, e[1] = 0x33;
        for (int i = 0; i < 4; i++) e[2 + i] = ip6_addr_byte(&dst, 12u + (unsigned)i);
    } else {
        memcpy(e, h->netif[on_eth1 ? 1 : 0]->hwaddr, 6);
    }
    const uint8_t smac[6] = {0x02, 0, 0, 0, 0x99, (uint8_t)(sel & 15u)};
    memcpy(e + 6, smac, 6);
    wr16be(e + 12, ETHTYPE_IP6);
    uint8_t *ip = f + ETH_HDR_LEN;
    memset(ip, 0, IP6_HDR_LEN);
    ip[0] = 0x60;
    wr16be(ip + 4, (uint16_t)mlen);
    ip[6] = IP6_NH_ICMP6;
    ip[7] = hop_limit;
    ip6_addr_to_bytes(&src, ip + 8);
    ip6_addr_to_bytes(&dst, ip + 24);
    uint8_t *m = ip + IP6_HDR_LEN;
    memcpy(m, msg, mlen);
    if ((w & FRAME_FIX_SUM) && mlen >= 4) {
        wr16be(m + 2, 0);
        wr16be(m + 2, icmp6_sum(ip, m, mlen));
    }
    size_t total = ETH_HDR_LEN + IP6_HDR_LEN + mlen;
    struct pbuf *p = pbuf_alloc(h->stack, PBUF_RAW, total);
    if (p == NULL) return;
    if (pbuf_take(p, f, total) != ERR_OK) fail("pbuf_take refused a fitting copy", total);
    netif_input(h->netif[on_eth1 ? 1 : 0], p);
}

/* ---- actions ---- */

enum action_op { ACT_SEND, ACT_FLAGS, ACT_ADD_ADDR, ACT_DEL_ADDR, ACT_HINT, ACT_ROUTER, ACT_ENABLE, ACT_LOOKUP,
                 ACT_REDIRECT };

static void send_echo(struct harness *h, unsigned arg)
{
    size_t len = 8u + (arg >> 4) * 4u;
    struct pbuf *p = pbuf_alloc(h->stack, PBUF_IP, len);
    if (p == NULL) return;
    uint8_t echo[8] = {ICMP6_TYPE_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1};
    pbuf_take(p, echo, sizeof(echo));
    ip6_addr_t dst = addr_at(arg);
    if (ip6_addr_has_scope(&dst)) dst.zone = h->netif[0]->index;
    ip6_output(h->stack, p, NULL, &dst, 0, 0, IP6_NH_ICMP6);
    pbuf_free(p);
}

static void lookups(struct harness *h, unsigned arg)
{
    struct nd6_neighbor_info ni;
    struct nd6_router_info ri;
    struct nd6_prefix_info pi;
    for (size_t i = 0; nd6_neighbor_get(h->stack, i, &ni); i++)
        if (i > stack_config(h->stack)->nd6_neighbors) fail("more neighbors than the cache holds", i);
    for (size_t i = 0; nd6_router_get(h->stack, i, &ri); i++)
        if (i > stack_config(h->stack)->nd6_routers) fail("more routers than the list holds", i);
    for (size_t i = 0; nd6_prefix_get(h->stack, i, &pi); i++)
        if (i > stack_config(h->stack)->nd6_prefixes) fail("more prefixes than the list holds", i);
    ip6_addr_t a = addr_at(arg), out;
    struct netif *n;
    uint8_t plen;
    struct ip6_route_result rr;
    nd6_default_router(h->stack, &n, &out);
    nd6_on_link(h->stack, &a, &n, &plen);
    nd6_redirected(h->stack, &a, &n, &out);
    ip6_route(h->stack, &a, &rr);
}

static void router_action(struct harness *h, unsigned arg)
{
    struct netif *n = h->netif[arg & 1u];
    if (arg & 2u) {
        nd6_router_stop(n);
        return;
    }
    struct nd6_ra_config cfg;
    nd6_ra_config_default(&cfg);
    cfg.max_interval_ms = 4000u + (arg >> 4) * 1000u;
    cfg.mtu = (arg & 4u) ? 1400u : 0u;
    cfg.rdnss = (arg & 8u) ? addr_at(9) : addr_at(0);
    if (nd6_router_start(n, &cfg) != ERR_OK) return;
    struct nd6_ra_prefix pfx = {.prefix = addr_at(10), .prefix_len = (uint8_t)(48u + (arg >> 6)), .on_link = true,
                                .autonomous = true, .valid_lifetime_s = 3600, .preferred_lifetime_s = 1800};
    nd6_router_add_prefix(n, &pfx);
}

static void redirect_action(struct harness *h, unsigned arg)
{
    /* A packet from neighbor 9 to off-link 10, forwarded back out of eth0. */
    uint8_t pkt[IP6_HDR_LEN + 16];
    memset(pkt, 0, sizeof(pkt));
    pkt[0] = 0x60;
    wr16be(pkt + 4, 16);
    pkt[6] = IP6_NH_NONE;
    pkt[7] = 64;
    ip6_addr_t src = addr_at(arg & 1u ? 1 : 9), dst = addr_at(10), target = addr_at(arg >> 4);
    ip6_addr_to_bytes(&src, pkt + 8);
    ip6_addr_to_bytes(&dst, pkt + 24);
    struct pbuf *p = pbuf_alloc(h->stack, PBUF_RAW, sizeof(pkt));
    if (p == NULL) return;
    pbuf_take(p, pkt, sizeof(pkt));
    if (ip6_addr_has_scope(&target)) target.zone = h->netif[0]->index;
    nd6_send_redirect(h->netif[0], p, &target);
    pbuf_free(p);
}

static void action(struct harness *h, unsigned op, unsigned arg)
{
    struct netif *n = h->netif[arg & 1u];
    ip6_addr_t a = addr_at(arg >> 1);
    switch ((enum action_op)op) {
    case ACT_SEND: send_echo(h, arg); return;
    case ACT_FLAGS:
        if (arg & 2u) {
            if (arg & 4u) netif_set_link_down(n); else netif_set_link_up(n);
        } else {
            if (arg & 4u) netif_set_down(n); else netif_set_up(n);
        }
        return;
    case ACT_ADD_ADDR: {
        ip6_addr_t g = ip6_addr_make(0x2001, 0xdb8, (uint16_t)(arg >> 4), 0, 0, 0, 0, 1);
        netif_add_ip6(n, (arg & 2u) ? &a : &g, (arg & 4u) ? 128 : 64, (arg & 8u) ? NETIF_IP6_FLAG_NODAD : 0);
        return;
    }
    case ACT_DEL_ADDR: netif_del_ip6(n, &a); return;
    case ACT_HINT: nd6_reachability_hint(h->stack, &a); return;
    case ACT_ROUTER: router_action(h, arg); return;
    case ACT_ENABLE: nd6_netif_enable(n, (enum nd6_iid_mode)((arg >> 1) % 3u), (arg & 8u) != 0); return;
    case ACT_LOOKUP: lookups(h, arg); return;
    case ACT_REDIRECT: redirect_action(h, arg); return;
    }
}

/* ---- the run ---- */

static void advance_ms(struct harness *h, uint64_t ms)
{
    uint64_t until = h->tp.now_ns + ms * SHOAL_NS_PER_MS;
    unsigned runs = 0;
    for (;;) {
        uint64_t next = stack_next_deadline(h->stack);
        if (next > until) break;
        if (++runs > FUZZ_MAX_TIMER_RUNS) fail("timer livelock: deadline never moves past", next);
        if (next > h->tp.now_ns) h->tp.now_ns = next;
        stack_run_timers(h->stack, h->tp.now_ns);
    }
    h->tp.now_ns = until;
    uint64_t next = stack_next_deadline(h->stack);
    if (next != SHOAL_TIME_NEVER && next - h->tp.now_ns > MAX_WAIT_NS)
        fail("next deadline implausibly far ahead (s)", (next - h->tp.now_ns) / SHOAL_NS_PER_S);
}

static struct netif *add_netif(struct harness *h, uint8_t n, bool slaac)
{
    const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, n, 0x01};
    struct netif_init ni = {
        .kind = NETIF_ETHERNET, .name = n ? "eth1" : "eth0", .hwaddr = mac, .hwaddr_len = 6, .mtu = 1500,
        .linkoutput = capture_output, .state = h,
    };
    struct netif *netif = netif_add(h->stack, &ni);
    if (netif == NULL) fail("netif_add", n);
    netif_set_up(netif);
    netif_set_link_up(netif);
    if (nd6_netif_enable(netif, ND6_IID_EUI64, slaac) != ERR_OK) fail("nd6_netif_enable", n);
    return netif;
}

static void setup(struct harness *h, uint8_t config)
{
    memset(h, 0, sizeof(*h));
    test_platform_init(&h->tp, 0x4861u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.ip_forwarding = (config & CONFIG_ROUTER) != 0;
    cfg.ip6_dad_transmits = 1;
    /* Small tables: replacement runs often. One entry: the errors for the
     * packets of a failed resolution need the entry that just failed. */
    cfg.nd6_neighbors = (config & CONFIG_ONE_NEIGHBOR) ? 1 : 6;
    cfg.nd6_routers = 2;
    cfg.nd6_prefixes = 3;
    cfg.nd6_dests = 3;
    cfg.nd6_queue_len = 5;
    h->stack = stack_new(&cfg, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new", 0);
    bool slaac = (config & CONFIG_NO_SLAAC) == 0;
    h->netif[0] = add_netif(h, 0, slaac);
    h->netif[1] = add_netif(h, 1, slaac);
    ip6_addr_t a = addr_at(4);
    if (netif_add_ip6(h->netif[0], &a, 64, NETIF_IP6_FLAG_MANUAL | NETIF_IP6_FLAG_NODAD) != ERR_OK)
        fail("netif_add_ip6", 0);
    if (config & CONFIG_ROUTER) router_action(h, 0);
    /* Past DAD (at most 1 s delay + 1 s RetransTimer): addresses are usable. */
    advance_ms(h, 2500);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nd6_opts opts;
    struct harness h;
    if (size == 0) return 0;
    /* Surface 1: the option parser on the raw bytes. */
    if (nd6_parse_options(data + 1, size - 1, &opts) == ERR_OK &&
        (opts.prefix_count > ND6_OPTS_MAX_PREFIXES || opts.rdnss_count > ND6_RDNSS_MAX))
        fail("option parser overfilled its arrays", opts.prefix_count);

    /* Surface 2: whole messages through an instance. */
    setup(&h, data[0]);
    size_t i = 1;
    while (i + 2 <= size) {
        uint16_t w = rd16be(data + i);
        i += 2;
        if ((w & 0xc000u) == 0xc000u) {
            advance_ms(&h, w & 0x3fffu);
        } else if ((w & 0xc000u) == 0x8000u) {
            action(&h, w & 0xfu, (w >> 4) & 0x3ffu);
        } else {
            uint8_t hop = 255;
            if ((w & FRAME_HOP_LIMIT) && i < size) hop = data[i++];
            size_t len = SHOAL_MIN((size_t)(w & FRAME_LEN_MASK) + 1u, size - i);
            if (len >= 1) feed(&h, data + i, len, w, hop);
            i += len;
        }
        fuzz_check_pools(HARNESS, h.stack, false);
    }
    if (getenv("SHOAL_FUZZ_VERBOSE") != NULL) {
        const char *name;
        uint64_t value;
        fprintf(stderr, "frames out: %u;", h.frames_out);
        for (size_t k = 0; stack_stats_entry(h.stack, k, &name, &value); k++)
            if (value != 0 && strncmp(name, "pool.", 5) != 0) fprintf(stderr, " %s=%llu", name, (unsigned long long)value);
        fprintf(stderr, "\n");
    }
    /* Stop advertising, take the netifs down, let every timer run out: no
     * packet may still wait for resolution. */
    for (unsigned k = 0; k < 2; k++) {
        nd6_router_stop(h.netif[k]);
        netif_set_down(h.netif[k]);
    }
    advance_ms(&h, DRAIN_MS);
    fuzz_check_pools(HARNESS, h.stack, true);
    stack_free(h.stack);
    if (h.tp.allocs != 0) fail("instance memory not returned", h.tp.allocs);
    return 0;
}
