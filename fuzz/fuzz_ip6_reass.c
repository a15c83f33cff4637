/*
 * libFuzzer harness: arbitrary sequences of IPv6 fragments into the
 * reassembler (stack/ipv6/ip6_frag.c; RFC 8200 4.5, RFC 5722, RFC 6946,
 * RFC 7112), through netif_input on an Ethernet netif.
 *
 * Each input gets a fresh instance on the deterministic fake platform with
 * one Ethernet netif, 2001:db8::1/64 (no DAD). Peers 2001:db8::2 and ::3 sit
 * behind one MAC; the harness answers the stack's Neighbor Solicitations
 * for them (RFC 4861 7.2.4) after each record, so echo replies leave.
 * The input's first byte sizes the reassembler small:
 *   bits 0-1  packets in reassembly at once: 1..4
 *   bits 2-5  fragment holders: 1..15, or for 15 a roomy 64 with 160 pbufs
 *   bit 6     timeout 2 s instead of 15 s
 *   bit 7     a pool of only 12 pbufs
 * The rest is a sequence of records; a record's first byte b:
 *   b & 0xc0 == 0xc0   advance the clock by (b & 0x3f) * 500 ms (1 ms for 0)
 *   otherwise          a fragment; 4 more bytes follow: the 16-bit fragment
 *                      offset word (only its offset bits are used) and a
 *                      16-bit length (fragmentable bytes, & 0x7ff, at most
 *                      what the frame holds). b's bits: 0x01 M, 0x0c which of
 *                      4 identifications, 0x10 which of two sources, 0x20 No
 *                      Next Header instead of ICMPv6, 0x40 a hop-by-hop header
 *                      (PadN) in front of the fragment header, 0x80 to ff02::1.
 * A fragment's bytes are not taken from the input: byte k of the
 * fragmentable part of packet (id, src) is an ICMPv6 echo request of
 * total_len(id) bytes whose checksum is right for that length: type 128, code
 * 0, the checksum, then content(k, src). So the stack answers exactly the
 * packets put together right, and its reply must carry content() at every
 * position (checked in every fragment of a fragmented reply too).
 * Oracles, besides ASan/UBSan: that content check; frames sent are sane
 * (fuzz_check_sent_frame, and IPv6 lengths inside the frame); no more
 * fragment holders in use than configured; bounded output per record; and
 * after the clock has run past every timeout, pool.ip6_frag.used,
 * pool.nd6_queue.used and pool.pbuf.used are 0 again.
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
#include "shoal/ethernet.h"
#include "fuzz_platform.h"

#define HARNESS "fuzz_ip6_reass"
#define REC_ADVANCE 0xc0u
#define REC_M 0x01u
#define REC_ID_SHIFT 2u
#define REC_SRC 0x10u
#define REC_NONE 0x20u
#define REC_HBH 0x40u
#define REC_MCAST 0x80u
#define MAX_FRAMES_PER_RECORD 96u
#define DRAIN_MS (200u * 1000u)

struct harness {
    struct test_platform tp;
    struct stack *stack;
    struct netif *netif;
    unsigned frames_out;
    unsigned replies;
    bool solicited[2]; /* an NS for peer 0 / 1 is waiting for our NA */
};

static void fail(const char *why, size_t value) { fuzz_fail(HARNESS, why, value); }

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0xaa};
static const uint16_t total_len_by_id[4] = {1232, 1600, 3000, 5000};

static ip6_addr_t our_addr(void) { return ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1); }
static ip6_addr_t peer_addr(unsigned src) { return ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, (uint16_t)(2u + src)); }

/* Byte k (>= 4) of the ICMPv6 message from source src. */
static uint8_t content(uint32_t k, unsigned src) { return (uint8_t)(k * 131u + (k >> 8) + src * 29u); }

/* The ICMPv6 checksum (RFC 4443 2.3) of buf (len bytes, checksum field zero). */
static uint16_t icmp6_sum(const uint8_t *buf, size_t len, const ip6_addr_t *src, const ip6_addr_t *dst)
{
    uint8_t pseudo[40];
    ip6_addr_to_bytes(src, pseudo);
    ip6_addr_to_bytes(dst, pseudo + 16);
    wr32be(pseudo + 32, (uint32_t)len);
    memset(pseudo + 36, 0, 3);
    pseudo[39] = IP6_NH_ICMP6;
    return chksum_finish(chksum_partial(buf, len, chksum_partial(pseudo, sizeof(pseudo), 0)));
}

/* The whole ICMPv6 echo request of packet (id, src, multicast) into msg. */
static void build_message(uint8_t *msg, size_t len, unsigned src, bool mcast)
{
    ip6_addr_t dst = mcast ? ip6_addr_all_nodes() : our_addr(), from = peer_addr(src);
    msg[0] = ICMP6_TYPE_ECHO_REQUEST;
    msg[1] = 0;
    msg[2] = msg[3] = 0;
    for (size_t k = 4; k < len; k++) msg[k] = content((uint32_t)k, src);
    wr16be(msg + 2, icmp6_sum(msg, len, &from, &dst));
}

/* An echo reply (or a piece of one) the stack sent: every byte from 4 on is content(). */
static void check_reply_bytes(const uint8_t *data, size_t n, uint32_t at, unsigned src)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t k = at + (uint32_t)i;
        if (k == 0 && data[i] != ICMP6_TYPE_ECHO_REPLY) fail("reply of another type", data[i]);
        if (k >= 4 && data[i] != content(k, src)) fail("reply bytes that no fragment carried there", k);
    }
}

static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    struct harness *h = netif->state;
    uint8_t frame[1600];
    h->frames_out++;
    size_t n = fuzz_check_sent_frame(HARNESS, p, frame, sizeof(frame));
    if (rd16be(frame + 12) != ETHTYPE_IP6) return ERR_OK;
    struct ip6_repr ip;
    if (ip6_parse(frame + ETH_HDR_LEN, n - ETH_HDR_LEN, &ip) != IP6_OK) fail("sent an IPv6 packet that does not parse", n);
    const uint8_t *pl = frame + ETH_HDR_LEN + IP6_HDR_LEN;
    size_t plen = ip.payload_len;
    ip6_addr_t peer1 = peer_addr(1);
    unsigned src = ip6_addr_eq(&ip.dst, &peer1) ? 1u : 0u;
    if (ip.next_header == IP6_NH_ICMP6 && plen >= 24 && pl[0] == ICMP6_TYPE_NS) {
        /* A solicitation for a peer: answer after this record. */
        ip6_addr_t target;
        ip6_addr_from_bytes(&target, pl + 8);
        for (unsigned i = 0; i < 2; i++) {
            ip6_addr_t a = peer_addr(i);
            if (ip6_addr_eq(&target, &a)) h->solicited[i] = true;
        }
    } else if (ip.next_header == IP6_NH_ICMP6 && plen >= 4 && pl[0] == ICMP6_TYPE_ECHO_REPLY) {
        if (icmp6_sum(pl, plen, &ip.src, &ip.dst) != 0) fail("sent an echo reply with a bad checksum", plen);
        check_reply_bytes(pl, plen, 0, src);
        h->replies++;
    } else if (ip.next_header == IP6_NH_FRAGMENT) {
        if (plen < 8) fail("sent a fragment without its header", plen);
        uint16_t word = rd16be(pl + 2);
        uint32_t off = (uint32_t)(word >> 3) * 8u;
        if ((word & 1u) && (plen - 8u) % 8u != 0) fail("sent a non-last fragment of a length not a multiple of 8", plen);
        if (pl[0] == IP6_NH_ICMP6) check_reply_bytes(pl + 8, plen - 8u, off, src);
    }
    return ERR_OK;
}

static void feed(struct harness *h, const uint8_t *frame, size_t flen)
{
    struct pbuf *p = pbuf_alloc(h->stack, PBUF_RAW, flen);
    if (p == NULL) return; /* the pool is out: a frame lost before the stack */
    if (pbuf_take(p, frame, flen) != ERR_OK) fail("pbuf_take refused a fitting copy", flen);
    netif_input(h->netif, p);
}

/* RFC 4861 4.4, 7.2.4: a solicited Neighbor Advertisement for peer i. */
static void send_na(struct harness *h, unsigned i)
{
    uint8_t f[ETH_HDR_LEN + IP6_HDR_LEN + 32];
    memcpy(f, our_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    wr16be(f + 12, ETHTYPE_IP6);
    ip6_addr_t from = peer_addr(i), to = our_addr();
    struct ip6_repr r = {.payload_len = 32, .next_header = IP6_NH_ICMP6, .hop_limit = 255, .src = from, .dst = to};
    ip6_emit(&r, f + ETH_HDR_LEN);
    uint8_t *m = f + ETH_HDR_LEN + IP6_HDR_LEN;
    memset(m, 0, 32);
    m[0] = ICMP6_TYPE_NA;
    m[4] = 0x60; /* S and O */
    ip6_addr_to_bytes(&from, m + 8);
    m[24] = 2; /* target link-layer address */
    m[25] = 1;
    memcpy(m + 26, peer_mac, 6);
    wr16be(m + 2, icmp6_sum(m, 32, &from, &to));
    feed(h, f, sizeof(f));
}

static void setup(struct harness *h, uint8_t config)
{
    memset(h, 0, sizeof(*h));
    test_platform_init(&h->tp, 0x6ea55e1du);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.ip6_reass_max = 1u + (config & 3u);
    uint32_t holders = (config >> 2) & 15u;
    cfg.ip6_reass_frags = holders < 15u ? holders + 1u : 64u;
    if (holders == 15u) cfg.pbuf_count = 160u;
    cfg.ip6_reass_timeout_ms = (config & 0x40u) ? 2000u : 15000u;
    if (config & 0x80u) cfg.pbuf_count = 12u;
    cfg.ip6_dad_transmits = 0;
    h->stack = stack_new(&cfg, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new", config);
    struct netif_init ni = {
        .kind = NETIF_ETHERNET, .name = "eth0", .hwaddr = our_mac, .hwaddr_len = 6, .mtu = 1500,
        .linkoutput = capture_output, .state = h,
    };
    h->netif = netif_add(h->stack, &ni);
    if (h->netif == NULL) fail("netif_add", 0);
    netif_set_up(h->netif);
    netif_set_link_up(h->netif);
    ip6_addr_t a = our_addr();
    if (netif_add_ip6(h->netif, &a, 64, NETIF_IP6_FLAG_NODAD) != ERR_OK) fail("netif_add_ip6", 0);
}

/* Build and feed one fragment as the record describes. */
static void send_fragment(struct harness *h, uint8_t b, uint16_t offset_word, uint16_t len_word)
{
    static uint8_t frame[ETH_HDR_LEN + 1500u];
    static uint8_t msg[5000];
    size_t unfrag = IP6_HDR_LEN + ((b & REC_HBH) ? 8u : 0u);
    size_t len = SHOAL_MIN((size_t)(len_word & 0x7ffu), 1500u - unfrag - 8u);
    unsigned id_idx = (b >> REC_ID_SHIFT) & 3u, src = (b & REC_SRC) ? 1u : 0u;
    bool mcast = (b & REC_MCAST) != 0;
    uint32_t offset = (uint32_t)(offset_word & 0xfff8u);
    size_t total = total_len_by_id[id_idx];
    build_message(msg, total, src, mcast);

    memcpy(frame, mcast ? (const uint8_t[]){0x33, 0x33, 0, 0, 0, 1} : our_mac, 6);
    memcpy(frame + 6, peer_mac, 6);
    wr16be(frame + 12, ETHTYPE_IP6);
    uint8_t *ip = frame + ETH_HDR_LEN;
    struct ip6_repr r = {
        .payload_len = (uint16_t)(unfrag - IP6_HDR_LEN + 8u + len),
        .next_header = (b & REC_HBH) ? IP6_NH_HOPOPTS : IP6_NH_FRAGMENT,
        .hop_limit = 64,
        .src = peer_addr(src),
        .dst = mcast ? ip6_addr_all_nodes() : our_addr(),
    };
    ip6_emit(&r, ip);
    uint8_t *x = ip + IP6_HDR_LEN;
    if (b & REC_HBH) {
        static const uint8_t hbh[8] = {IP6_NH_FRAGMENT, 0, 1, 4, 0, 0, 0, 0}; /* PadN */
        memcpy(x, hbh, 8);
        x += 8;
    }
    x[0] = (b & REC_NONE) ? IP6_NH_NONE : IP6_NH_ICMP6;
    x[1] = 0;
    wr16be(x + 2, (uint16_t)(offset | ((b & REC_M) ? 1u : 0u)));
    wr32be(x + 4, 0xf00d0000u + id_idx);
    for (size_t k = 0; k < len; k++) {
        uint32_t at = offset + (uint32_t)k;
        x[8 + k] = at < total ? msg[at] : content(at, src);
    }
    feed(h, frame, ETH_HDR_LEN + unfrag + 8u + len);
}

static void check(const struct harness *h)
{
    fuzz_check_pools(HARNESS, h->stack, false);
    uint64_t held = test_stat(h->stack, "pool.ip6_frag.used");
    if (held > stack_config(h->stack)->ip6_reass_frags) fail("more fragment holders in use than configured", held);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct harness h;
    if (size == 0) return 0;
    setup(&h, data[0]);
    size_t i = 1;
    while (i < size) {
        uint8_t b = data[i++];
        unsigned before = h.frames_out;
        if ((b & REC_ADVANCE) == REC_ADVANCE) {
            uint64_t ms = (b & 0x3fu) ? (uint64_t)(b & 0x3fu) * 500u : 1u;
            fuzz_advance(HARNESS, &h.tp, h.stack, h.tp.now_ns + ms * SHOAL_NS_PER_MS);
        } else {
            if (i + 4 > size) break;
            send_fragment(&h, b, rd16be(data + i), rd16be(data + i + 2));
            i += 4;
        }
        for (unsigned k = 0; k < 2; k++) {
            if (!h.solicited[k]) continue;
            h.solicited[k] = false;
            send_na(&h, k);
        }
        if (h.frames_out - before > MAX_FRAMES_PER_RECORD) fail("unbounded output for one record", h.frames_out);
        check(&h);
    }
    if (getenv("SHOAL_FUZZ_VERBOSE") != NULL) {
        const char *name;
        uint64_t value;
        fprintf(stderr, "frames out %u, echo replies %u;", h.frames_out, h.replies);
        for (size_t k = 0; stack_stats_entry(h.stack, k, &name, &value); k++)
            if (value != 0 && strncmp(name, "pool.", 5) != 0) fprintf(stderr, " %s=%llu", name, (unsigned long long)value);
        fprintf(stderr, "\n");
    }
    /* Every partial packet times out; then nothing may hold a holder or a pbuf. */
    fuzz_advance(HARNESS, &h.tp, h.stack, h.tp.now_ns + (uint64_t)DRAIN_MS * SHOAL_NS_PER_MS);
    if (test_stat(h.stack, "pool.ip6_frag.used") != 0) fail("fragment holders leaked", 0);
    fuzz_check_pools(HARNESS, h.stack, true);
    stack_free(h.stack);
    if (h.tp.allocs != 0) fail("instance memory not returned", h.tp.allocs);
    return 0;
}
