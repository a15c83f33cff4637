/*
 * The IPv6 fixed header parser and the extension header walker (RFC 8200
 * 3, 4): every verdict, each unknown-option action with unicast and
 * multicast destinations, padding, truncation at every length, the bound on
 * the number of headers, and routing header type 0 (RFC 5095).
 */
#include "shoal/ip6.h"
#include "shoal/icmp6.h"
#include "check.h"
#include "test_platform.h"

/* The walker gets exactly `len` heap bytes, so ASan sees any over-read. */
static uint8_t *heap_copy(const uint8_t *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    if (len) memcpy(q, p, len);
    return q;
}

/* A packet: fixed header with next header nh, then `ext` (ext_len bytes). */
static size_t build(uint8_t *pkt, uint8_t nh, const uint8_t *ext, size_t ext_len)
{
    struct ip6_repr r = {.tclass = 0, .flow = 0, .payload_len = (uint16_t)ext_len, .next_header = nh, .hop_limit = 64,
                         .src = ip6_addr_make(0xfe80, 0, 0, 0, 0, 0, 0, 1),
                         .dst = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)};
    ip6_emit(&r, pkt);
    memcpy(pkt + IP6_HDR_LEN, ext, ext_len);
    return IP6_HDR_LEN + ext_len;
}

static void walk(uint8_t nh, const uint8_t *ext, size_t ext_len, bool mcast, struct ip6_ext_result *out)
{
    uint8_t pkt[512];
    size_t len = build(pkt, nh, ext, ext_len);
    uint8_t *q = heap_copy(pkt, len);
    ip6_ext_walk(q, len, mcast, out);
    free(q);
}

static void test_parse(void)
{
    uint8_t pkt[64];
    struct ip6_repr r = {.tclass = 0xb8, .flow = 0xabcde, .payload_len = 8, .next_header = IP6_NH_UDP,
                         .hop_limit = 255, .src = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                         .dst = ip6_addr_make(0xff02, 0, 0, 0, 0, 0, 0, 1)};
    ip6_emit(&r, pkt);
    memset(pkt + 40, 0, 8);
    struct ip6_repr o;
    for (size_t len = 0; len < IP6_HDR_LEN + 8; len++) {
        uint8_t *q = heap_copy(pkt, len);
        CHECK_EQ(ip6_parse(q, len, &o), IP6_ERR_LEN); /* short, or payload length beyond the end */
        free(q);
    }
    CHECK_EQ(ip6_parse(pkt, 48, &o), IP6_OK);
    CHECK_EQ(o.tclass, 0xb8);
    CHECK_EQ(o.flow, 0xabcde);
    CHECK_EQ(o.payload_len, 8);
    CHECK_EQ(o.next_header, IP6_NH_UDP);
    CHECK_EQ(o.hop_limit, 255);
    CHECK(ip6_addr_eq(&o.src, &r.src));
    CHECK(ip6_addr_eq(&o.dst, &r.dst));
    CHECK_EQ(o.src.zone, 0);
    CHECK_EQ(ip6_parse(pkt, 60, &o), IP6_OK); /* trailing link padding is fine */
    uint8_t v4[48];
    memcpy(v4, pkt, 48);
    v4[0] = 0x45;
    CHECK_EQ(ip6_parse(v4, 48, &o), IP6_ERR_VERSION);
    CHECK_EQ(ip6_parse(NULL, 48, &o), IP6_ERR_LEN);
}

static void test_upper_and_none(void)
{
    struct ip6_ext_result e;
    uint8_t udp[8] = {0};
    walk(IP6_NH_UDP, udp, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
    CHECK_EQ(e.nh, IP6_NH_UDP);
    CHECK_EQ(e.offset, 40);
    walk(IP6_NH_NONE, udp, 0, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_NONE);
    /* An unknown upper layer: reported with the Next Header that named it. */
    walk(99, udp, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
    CHECK_EQ(e.nh, 99);
    CHECK_EQ(e.pointer, 6);
    uint8_t dst_then_99[16] = {99, 1, 1, 4, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0};
    walk(IP6_NH_DSTOPTS, dst_then_99, 16, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
    CHECK_EQ(e.nh, 99);
    CHECK_EQ(e.offset, 56);
    CHECK_EQ(e.pointer, 40);
    /* Less than a fixed header. */
    uint8_t pkt[40] = {0x60};
    ip6_ext_walk(pkt, 39, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
}

static void test_padding_and_router_alert(void)
{
    struct ip6_ext_result e;
    /* HBH: Pad1, PadN(3 bytes of data), Pad1; then UDP. */
    uint8_t hbh[8] = {IP6_NH_UDP, 0, 0x00, 0x01, 0x01, 0, 0x00, 0x00};
    hbh[2] = 0x00;
    hbh[3] = 0x01;
    hbh[4] = 0x02; /* PadN length 2 */
    hbh[5] = 0;
    hbh[6] = 0;
    hbh[7] = 0x00;
    walk(IP6_NH_HOPOPTS, hbh, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
    CHECK_EQ(e.offset, 48);
    CHECK_EQ(e.hbh_count, 1);
    CHECK(!e.router_alert);
    /* Router Alert (RFC 2711): MLD wants to know. */
    uint8_t ra[8] = {IP6_NH_ICMP6, 0, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00};
    walk(IP6_NH_HOPOPTS, ra, 8, true, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
    CHECK_EQ(e.nh, IP6_NH_ICMP6);
    CHECK(e.router_alert);
    /* All Pad1. */
    uint8_t pad1[8] = {IP6_NH_UDP, 0, 0, 0, 0, 0, 0, 0};
    walk(IP6_NH_DSTOPTS, pad1, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
}

/* Destination options with one unknown option of type `type` at offset 42. */
static void opt_case(uint8_t type, bool mcast, struct ip6_ext_result *e)
{
    uint8_t d[8] = {IP6_NH_UDP, 0, type, 4, 0, 0, 0, 0};
    walk(IP6_NH_DSTOPTS, d, 8, mcast, e);
}

static void test_option_actions(void)
{
    struct ip6_ext_result e;
    for (int m = 0; m < 2; m++) {
        bool mcast = m == 1;
        opt_case(0x1e, mcast, &e); /* 00: skip */
        CHECK_EQ(e.verdict, IP6_EXT_UPPER);
        opt_case(0x5e, mcast, &e); /* 01: discard */
        CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
        opt_case(0x9e, mcast, &e); /* 10: parameter problem, also for multicast */
        CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
        CHECK_EQ(e.icmp_code, ICMP6_PP_OPTION);
        CHECK_EQ(e.pointer, 42);
        CHECK(!e.icmp_if_unicast);
        opt_case(0xde, mcast, &e); /* 11: parameter problem unless multicast */
        CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
        CHECK_EQ(e.icmp_code, ICMP6_PP_OPTION);
        CHECK_EQ(e.pointer, 42);
        CHECK(e.icmp_if_unicast);
    }
    /* In a hop-by-hop header the same rules hold. */
    uint8_t h[8] = {IP6_NH_UDP, 0, 0x01, 0x00, 0x9e, 0x00, 0x00, 0x00};
    walk(IP6_NH_HOPOPTS, h, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
    CHECK_EQ(e.pointer, 44);
}

static void test_hbh_not_first(void)
{
    struct ip6_ext_result e;
    uint8_t d[16] = {IP6_NH_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, IP6_NH_UDP, 0, 1, 4, 0, 0, 0, 0};
    walk(IP6_NH_DSTOPTS, d, 16, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
    CHECK_EQ(e.icmp_code, ICMP6_PP_NEXT_HEADER);
    CHECK_EQ(e.pointer, 40);
    /* Two hop-by-hop headers: the second is not first either. */
    uint8_t hh[16] = {IP6_NH_HOPOPTS, 0, 1, 4, 0, 0, 0, 0, IP6_NH_UDP, 0, 1, 4, 0, 0, 0, 0};
    walk(IP6_NH_HOPOPTS, hh, 16, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
    CHECK_EQ(e.pointer, 40);
}

static void test_truncated(void)
{
    struct ip6_ext_result e;
    /* Header says 16 bytes, 8 are there. */
    uint8_t d[8] = {IP6_NH_UDP, 1, 1, 4, 0, 0, 0, 0};
    walk(IP6_NH_DSTOPTS, d, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
    /* An option longer than its header. */
    uint8_t o[8] = {IP6_NH_UDP, 0, 1, 5, 0, 0, 0, 0};
    walk(IP6_NH_DSTOPTS, o, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
    /* A type byte without its length at the end of the header. */
    uint8_t t[8] = {IP6_NH_UDP, 0, 1, 3, 0, 0, 0, 0x1e};
    walk(IP6_NH_DSTOPTS, t, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
    /* One byte of an extension header, and a short fragment header. */
    walk(IP6_NH_DSTOPTS, d, 1, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
    walk(IP6_NH_FRAGMENT, d, 7, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_DISCARD);
    /* Every prefix of a valid chain is refused without an over-read. */
    uint8_t chain[40] = {IP6_NH_ROUTING, 0, 1, 4, 0, 0, 0, 0, IP6_NH_DSTOPTS, 0, 0, 0, 0, 0, 0, 0,
                         IP6_NH_FRAGMENT, 0, 1, 4, 0, 0, 0, 0, IP6_NH_UDP, 0, 0, 0, 0, 0, 0, 1};
    uint8_t pkt[128];
    size_t full = build(pkt, IP6_NH_HOPOPTS, chain, 32);
    for (size_t len = 0; len <= full; len++) {
        uint8_t *q = heap_copy(pkt, len);
        ip6_ext_walk(q, len, false, &e);
        CHECK_EQ(e.verdict, len == full ? IP6_EXT_FRAGMENT : IP6_EXT_DISCARD);
        free(q);
    }
    CHECK_EQ(e.offset, 64);
}

static void test_fragment_and_routing(void)
{
    struct ip6_ext_result e;
    uint8_t f[16] = {IP6_NH_UDP, 0, 0, 1, 0, 0, 0, 7};
    walk(IP6_NH_FRAGMENT, f, 16, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_FRAGMENT);
    CHECK_EQ(e.nh, IP6_NH_FRAGMENT);
    CHECK_EQ(e.offset, 40);
    CHECK_EQ(e.pointer, 6);
    /* RFC 5095 3 / RFC 8200 4.4: type 0 with segments left: parameter
     * problem code 0 at the Routing Type field. */
    uint8_t rh0[24] = {IP6_NH_UDP, 2, 0, 1, 0, 0, 0, 0};
    walk(IP6_NH_ROUTING, rh0, 24, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
    CHECK_EQ(e.icmp_code, ICMP6_PP_FIELD);
    CHECK_EQ(e.pointer, 42);
    /* Segments left 0: ignored, go on. */
    rh0[3] = 0;
    walk(IP6_NH_ROUTING, rh0, 24, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
    CHECK_EQ(e.offset, 64);
    /* An unknown type: the same two answers. */
    uint8_t rhx[8] = {IP6_NH_UDP, 0, 253, 1, 0, 0, 0, 0};
    walk(IP6_NH_ROUTING, rhx, 8, true, &e);
    CHECK_EQ(e.verdict, IP6_EXT_PARAM_PROB);
    CHECK_EQ(e.pointer, 42);
    CHECK(!e.icmp_if_unicast);
    rhx[3] = 0;
    walk(IP6_NH_ROUTING, rhx, 8, false, &e);
    CHECK_EQ(e.verdict, IP6_EXT_UPPER);
}

static void test_bound(void)
{
    struct ip6_ext_result e;
    uint8_t chain[8 * (IP6_EXT_MAX + 1)];
    for (unsigned n = 1; n <= IP6_EXT_MAX + 1; n++) {
        for (unsigned i = 0; i < n; i++) {
            uint8_t *h = chain + 8 * i;
            memset(h, 0, 8);
            h[0] = i + 1 == n ? IP6_NH_UDP : IP6_NH_DSTOPTS;
        }
        walk(IP6_NH_DSTOPTS, chain, 8 * n, false, &e);
        CHECK_EQ(e.verdict, n <= IP6_EXT_MAX ? IP6_EXT_UPPER : IP6_EXT_DISCARD);
    }
}

/* Junk of every length must never be read past its end (run under ASan). */
static void test_junk(void)
{
    uint32_t x = 12345;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 200);
        uint8_t *q = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            q[i] = (uint8_t)(x >> 16);
        }
        if (len > 6 && round % 2) q[6] = (uint8_t)(round % 4 == 1 ? IP6_NH_HOPOPTS : IP6_NH_DSTOPTS);
        struct ip6_ext_result e;
        ip6_ext_walk(q, len, round % 3 == 0, &e);
        CHECK(e.offset <= len || len < IP6_HDR_LEN);
        struct ip6_repr r;
        (void)ip6_parse(q, len, &r);
        free(q);
    }
}

int main(void)
{
    test_parse();
    test_upper_and_none();
    test_padding_and_router_alert();
    test_option_actions();
    test_hbh_not_first();
    test_truncated();
    test_fragment_and_routing();
    test_bound();
    test_junk();
    return test_report("test_ip6_parse");
}
