/*
 * libFuzzer harness: MLDv1 messages (RFC 2710) into a host or a router,
 * through the whole receive path (Ethernet, IPv6, Hop-by-Hop, ICMPv6), mixed
 * with joins, leaves, link changes and the passing of time.
 *
 * Each input gets a fresh instance on the deterministic fake platform with
 * one Ethernet netif, IPv6 on (EUI-64 link-local fe80::ff:fe00:1). The first
 * byte configures it: bit 0 forwarding on (the MLD router side: querier,
 * listeners), bit 1 DAD on (the link-local is tentative for a while, so
 * messages wait for it). The rest is a sequence of records, each starting
 * with a 16-bit big-endian word w:
 *   w & 0xc000 == 0xc000   advance the clock by (w & 0x3ff) s, or ms with
 *                          bit 0x2000, running the timers that fall due
 *   w & 0xc000 == 0x8000   an action, op w & 0xf on group (w >> 4) & 3:
 *                          join, leave, link down, link up, join ff02::1,
 *                          join an interface-local group
 *   otherwise              an ICMPv6 body of (w & 0xff) bytes follows (fewer
 *                          if the input ends), sent by the tester with, by
 *                          the bits of w: 0x100 no Hop-by-Hop Router Alert,
 *                          0x200 hop limit 255, 0x400 the higher link-local
 *                          source (else fe80::1, lower than ours), 0x800 a
 *                          global source, 0x1000 to ff02::1 (else to the
 *                          address in bytes 8..23 when it is multicast),
 *                          0x2000 a wrong checksum (else a right one)
 * Oracles besides ASan/UBSan: frames sent are 60..1514 bytes; every MLD
 * message sent has a link-local source (:: only for a Report while the
 * link-local is tentative), hop limit 1, a Hop-by-Hop header
 * with Router Alert 0 and PadN, 24 bytes, a right checksum; no timer
 * livelocks; pools never over-report; after leaving every group and
 * removing the netif, once every timer ran out, the pools are empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/stack.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "shoal/nd6.h"
#include "shoal/mld6.h"
#include "shoal/ethernet.h"
#include "shoal/inet_chksum.h"
#include "fuzz_platform.h"

#define HARNESS "fuzz_mld6"
#define CONFIG_FORWARDING 0x01u
#define CONFIG_DAD 0x02u
#define MSG_LEN_MASK 0x00ffu
#define MSG_NO_HBH 0x0100u
#define MSG_HOP_LIMIT_255 0x0200u
#define MSG_HIGH_SOURCE 0x0400u
#define MSG_GLOBAL_SOURCE 0x0800u
#define MSG_TO_ALL_NODES 0x1000u
#define MSG_BAD_CHECKSUM 0x2000u
#define ADVANCE_MS 0x2000u
#define ADVANCE_MASK 0x03ffu
#define FRAME_MAX 1514u
#define GROUPS 4u
/* Longer than any MLD or ND timer chain once the netif is gone. */
#define DRAIN_S 4000u

struct harness {
    struct test_platform tp;
    struct stack *stack;
    struct netif *netif;
    unsigned joined[GROUPS];
    unsigned joined_all_nodes, joined_local;
};

static const uint8_t dut_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t tester_mac[6] = {0x02, 0xaa, 0, 0, 0, 0x09};

static void fail(const char *why, unsigned long long value) { fuzz_fail(HARNESS, why, value); }

static ip6_addr_t group_of(unsigned k)
{
    /* site-scope, global-scope and link-scope groups */
    static const uint16_t first[GROUPS] = {0xff15, 0xff0e, 0xff02, 0xff05};
    return ip6_addr_make(first[k], 0, 0, 0, 0, 0, 0, (uint16_t)(0x1234u + k));
}

/* RFC 2710 3 / RFC 2711: how every MLD message must leave. */
static void check_mld(const uint8_t *f, size_t n)
{
    if (n < ETH_HDR_LEN + IP6_HDR_LEN || rd16be(f + 12) != ETHTYPE_IP6) return;
    const uint8_t *ip = f + ETH_HDR_LEN;
    size_t plen = rd16be(ip + 4);
    if (ETH_HDR_LEN + IP6_HDR_LEN + plen > n) fail("sent an IPv6 payload length past the frame", plen);
    const uint8_t *up = ip + IP6_HDR_LEN;
    if (ip[6] == IP6_NH_ICMP6) {
        if (plen >= 1 && up[0] >= ICMP6_TYPE_MLD_QUERY && up[0] <= ICMP6_TYPE_MLD_DONE)
            fail("sent MLD without a Hop-by-Hop Router Alert", up[0]);
        return;
    }
    if (ip[6] != IP6_NH_HOPOPTS || plen < 8u + 1u || up[0] != IP6_NH_ICMP6) return;
    const uint8_t *icmp = up + 8;
    if (icmp[0] < ICMP6_TYPE_MLD_QUERY || icmp[0] > ICMP6_TYPE_MLD_DONE) return;
    static const uint8_t hbh[8] = {IP6_NH_ICMP6, 0, 5, 2, 0, 0, 1, 0};
    if (memcmp(up, hbh, sizeof(hbh)) != 0) fail("MLD Hop-by-Hop header not Router Alert 0 + PadN", up[2]);
    if (plen != 8u + 24u) fail("MLD message not 24 bytes", plen);
    if (ip[7] != 1) fail("MLD hop limit not 1", ip[7]);
    ip6_addr_t src, dst;
    ip6_addr_from_bytes(&src, ip + 8);
    ip6_addr_from_bytes(&dst, ip + 24);
    /* RFC 2710 3: link-local; RFC 3590 4: :: only for a Report during DAD. */
    if (!ip6_addr_is_linklocal(&src) && !(ip6_addr_is_any(&src) && icmp[0] == ICMP6_TYPE_MLD_REPORT))
        fail("MLD source neither link-local nor a Report from ::", ip[8]);
    uint16_t sum = inet_chksum_pseudo6_sum(chksum_partial(icmp, 24, 0), IP6_NH_ICMP6, 24, &src, &dst);
    if (sum != 0) fail("MLD checksum wrong", sum);
}

static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    uint8_t frame[1600];
    size_t n = fuzz_check_sent_frame(HARNESS, p, frame, sizeof(frame));
    check_mld(frame, n);
    return ERR_OK;
}

static void advance(struct harness *h, uint64_t until_ns)
{
    fuzz_advance(HARNESS, &h->tp, h->stack, until_ns);
}

static void feed(struct harness *h, const uint8_t *frame, size_t len)
{
    struct pbuf *p = pbuf_alloc(h->stack, PBUF_RAW, len);
    if (p == NULL) return;
    pbuf_take(p, frame, len);
    netif_input(h->netif, p);
}

static void deliver_msg(struct harness *h, const uint8_t *body, size_t len, uint16_t w)
{
    uint8_t f[FRAME_MAX];
    ip6_addr_t src = (w & MSG_GLOBAL_SOURCE) ? ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)
                     : (w & MSG_HIGH_SOURCE) ? ip6_addr_make(0xfe80, 0, 0, 0, 0xffff, 0xffff, 0xffff, 0xffff)
                                             : ip6_addr_make(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    ip6_addr_t dst = ip6_addr_all_nodes();
    if (!(w & MSG_TO_ALL_NODES) && len >= 24 && body[8] == 0xff) ip6_addr_from_bytes(&dst, body + 8);
    size_t hbh = (w & MSG_NO_HBH) ? 0 : 8;
    size_t n = ETH_HDR_LEN + IP6_HDR_LEN + hbh + len;
    /* 33:33 + the low 32 bits of the group (RFC 2464 7) */
    f[0] = 0x33;
    f[1] = 0x33;
    memcpy(f + 2, ip6_addr_bytes(&dst) + 12, 4);
    memcpy(f + 6, tester_mac, 6);
    wr16be(f + 12, ETHTYPE_IP6);
    uint8_t *ip = f + ETH_HDR_LEN;
    struct ip6_repr r = {.payload_len = (uint16_t)(hbh + len),
                         .next_header = hbh ? IP6_NH_HOPOPTS : IP6_NH_ICMP6,
                         .hop_limit = (w & MSG_HOP_LIMIT_255) ? 255 : 1,
                         .src = src,
                         .dst = dst};
    ip6_emit(&r, ip);
    static const uint8_t router_alert[8] = {IP6_NH_ICMP6, 0, 5, 2, 0, 0, 1, 0};
    if (hbh) memcpy(ip + IP6_HDR_LEN, router_alert, hbh);
    uint8_t *icmp = ip + IP6_HDR_LEN + hbh;
    memcpy(icmp, body, len);
    if (len >= 4) {
        wr16be(icmp + 2, 0);
        uint16_t sum = inet_chksum_pseudo6_sum(chksum_partial(icmp, len, 0), IP6_NH_ICMP6, len, &src, &dst);
        wr16be(icmp + 2, (w & MSG_BAD_CHECKSUM) ? (uint16_t)(sum ^ 0x5a5au) : sum);
    }
    feed(h, f, n);
}

static void action(struct harness *h, unsigned op, unsigned k)
{
    ip6_addr_t g = group_of(k);
    switch (op) {
    case 0:
        if (mld6_join(h->netif, &g) == ERR_OK) h->joined[k]++;
        break;
    case 1:
        if (h->joined[k] > 0 && mld6_leave(h->netif, &g) == ERR_OK) h->joined[k]--;
        break;
    case 2: netif_set_link_down(h->netif); break;
    case 3: netif_set_link_up(h->netif); break;
    case 4: {
        ip6_addr_t all = ip6_addr_all_nodes();
        if (mld6_join(h->netif, &all) == ERR_OK) h->joined_all_nodes++;
        break;
    }
    case 5: {
        ip6_addr_t local = ip6_addr_make(0xff01, 0, 0, 0, 0, 0, 0, 0x77);
        if (mld6_join(h->netif, &local) == ERR_OK) h->joined_local++;
        break;
    }
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct harness *h = calloc(1, sizeof(*h));
    if (h == NULL) return 0;
    test_platform_init(&h->tp, 0x5eed2710u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.ip_forwarding = (data[0] & CONFIG_FORWARDING) != 0;
    cfg.ip6_dad_transmits = (data[0] & CONFIG_DAD) ? 1 : 0;
    h->stack = stack_new(&cfg, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new failed", 0);
    struct netif_init init = {.kind = NETIF_ETHERNET, .name = "eth0", .hwaddr = dut_mac, .hwaddr_len = 6,
                              .mtu = 1500, .linkoutput = capture_output, .state = h};
    h->netif = netif_add(h->stack, &init);
    if (h->netif == NULL) fail("netif_add failed", 0);
    netif_set_up(h->netif);
    netif_set_link_up(h->netif);
    if (nd6_netif_enable(h->netif, ND6_IID_EUI64, false) != ERR_OK) fail("nd6_netif_enable failed", 0);

    size_t at = 1;
    while (at + 2 <= size) {
        uint16_t w = rd16be(data + at);
        at += 2;
        if ((w & 0xc000u) == 0xc000u) {
            uint64_t unit = (w & ADVANCE_MS) ? SHOAL_NS_PER_MS : SHOAL_NS_PER_S;
            advance(h, h->tp.now_ns + (uint64_t)(w & ADVANCE_MASK) * unit);
        } else if ((w & 0xc000u) == 0x8000u) {
            action(h, w & 0xfu, (w >> 4) & 3u);
        } else {
            size_t len = w & MSG_LEN_MASK;
            if (len > size - at) len = size - at;
            deliver_msg(h, data + at, len, w);
            at += len;
        }
        fuzz_check_pools(HARNESS, h->stack, false);
    }

    /* Leave everything, remove the netif; then nothing may stay allocated. */
    for (unsigned k = 0; k < GROUPS; k++) {
        ip6_addr_t g = group_of(k);
        while (h->joined[k] > 0) {
            if (mld6_leave(h->netif, &g) != ERR_OK) fail("leave of a joined group failed", k);
            h->joined[k]--;
        }
    }
    netif_remove(h->netif);
    advance(h, h->tp.now_ns + (uint64_t)DRAIN_S * SHOAL_NS_PER_S);
    fuzz_check_pools(HARNESS, h->stack, true);
    stack_free(h->stack);
    free(h);
    return 0;
}
