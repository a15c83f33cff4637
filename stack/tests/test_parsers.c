/*
 * The wire parsers (Ethernet, ARP, IPv4, UDP): a valid input of each kind,
 * each class of malformed input with exactly one defect, emit/parse round
 * trips, and random junk at every length (which must never be read past its
 * end: run under ASan).
 */
#include "shoal/ethernet.h"
#include "shoal/etharp.h"
#include "shoal/ip4.h"
#include "shoal/udp.h"
#include "shoal/inet_chksum.h"
#include "check.h"
#include "test_platform.h"

/* Parsers get exactly `len` heap bytes, so ASan sees any over-read. */
static uint8_t *heap_copy(const uint8_t *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    if (len) memcpy(q, p, len);
    return q;
}

static void test_eth(void)
{
    static const uint8_t frame[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01,
                                      0x08, 0x06, 0xaa, 0xbb};
    struct eth_repr r;
    for (size_t len = 0; len < ETH_HDR_LEN; len++) {
        uint8_t *q = heap_copy(frame, len);
        CHECK_EQ(eth_parse(q, len, &r), ERR_BUF);
        free(q);
    }
    CHECK_EQ(eth_parse(frame, 14, &r), ERR_OK);
    CHECK_EQ(r.ethertype, ETHTYPE_ARP);
    CHECK(eth_addr_is_broadcast(&r.dst));
    CHECK(!eth_addr_is_broadcast(&r.src));
    CHECK(!eth_addr_is_multicast(&r.src));
    CHECK_EQ(r.src.addr[5], 0x01);
    uint8_t out[14];
    eth_emit(&r, out);
    CHECK(memcmp(out, frame, 14) == 0);
    CHECK_EQ(eth_parse(frame, sizeof(frame), &r), ERR_OK);
}

static const uint8_t arp_request[28] = {
    0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,   /* Ethernet, IPv4, request */
    0x02, 0x00, 0x00, 0x00, 0x00, 0x02,         /* sha */
    10, 0, 0, 2,                                /* spa */
    0, 0, 0, 0, 0, 0,                           /* tha */
    10, 0, 0, 1                                 /* tpa */
};

static void test_arp(void)
{
    struct arp_repr r;
    uint8_t buf[28];
    for (size_t len = 0; len < ARP_HDR_LEN; len++) {
        uint8_t *q = heap_copy(arp_request, len);
        CHECK_EQ(arp_parse(q, len, &r), ERR_BUF);
        free(q);
    }
    CHECK_EQ(arp_parse(arp_request, sizeof(arp_request), &r), ERR_OK);
    CHECK_EQ(r.op, ARP_OP_REQUEST);
    CHECK_EQ(ip4_addr_to_u32(r.spa), 0x0a000002u);
    CHECK_EQ(ip4_addr_to_u32(r.tpa), 0x0a000001u);
    CHECK_EQ(r.sha.addr[0], 0x02);
    CHECK_EQ(r.sha.addr[5], 0x02);
    arp_emit(&r, buf);
    CHECK(memcmp(buf, arp_request, sizeof(buf)) == 0);

    /* A reply round-trips too. */
    memcpy(buf, arp_request, sizeof(buf));
    buf[7] = 2;
    CHECK_EQ(arp_parse(buf, sizeof(buf), &r), ERR_OK);
    CHECK_EQ(r.op, ARP_OP_REPLY);

    /* One wrong field at a time (RFC 826: hardware/protocol type and lengths
     * must be ours; op is request or reply). */
    static const struct { size_t at; uint8_t value; } defects[] = {
        {0, 0x01}, {1, 0x06}, /* hardware type 0x0101, 6 (IEEE 802) */
        {2, 0x86}, {3, 0x01}, /* protocol type 0x8601, 0x0801 */
        {4, 8}, {4, 0}, {5, 16}, {5, 0},
        {7, 0}, {7, 3}, {6, 0x01}, /* op 0, 3 (RARP), 0x0101 */
    };
    for (size_t i = 0; i < sizeof(defects) / sizeof(defects[0]); i++) {
        memcpy(buf, arp_request, sizeof(buf));
        buf[defects[i].at] = defects[i].value;
        CHECK_EQ(arp_parse(buf, sizeof(buf), &r), ERR_VAL);
    }
}

/* A valid 20-byte IPv4 header for `payload` bytes, plus options. */
static size_t make_ip4(uint8_t *p, const uint8_t *opts, size_t opt_len, size_t payload)
{
    size_t ihl = 20 + opt_len;
    memset(p, 0, ihl + payload);
    p[0] = (uint8_t)(0x40 | (ihl / 4));
    wr16be(p + 2, (uint16_t)(ihl + payload));
    wr16be(p + 4, 0x1234);
    wr16be(p + 6, IP4_FLAG_DF);
    p[8] = 64;
    p[9] = IP_PROTO_UDP;
    wr32be(p + 12, 0x0a000002u);
    wr32be(p + 16, 0x0a000001u);
    if (opt_len) memcpy(p + 20, opts, opt_len);
    wr16be(p + 10, inet_chksum(p, ihl));
    for (size_t i = 0; i < payload; i++) p[ihl + i] = (uint8_t)(i + 1);
    return ihl + payload;
}
static void ip4_resum(uint8_t *p)
{
    size_t ihl = (size_t)(p[0] & 0x0fu) * 4u;
    if (ihl < 20) ihl = 20;
    wr16be(p + 10, 0);
    wr16be(p + 10, inet_chksum(p, ihl));
}
static enum ip4_parse_result ip4_parse_exact(const uint8_t *p, size_t len, bool check_sum, struct ip4_repr *r)
{
    uint8_t *q = heap_copy(p, len);
    enum ip4_parse_result res = ip4_parse(q, len, check_sum, r);
    free(q);
    return res;
}

static void test_ip4(void)
{
    uint8_t pkt[128];
    struct ip4_repr r;
    size_t len = make_ip4(pkt, NULL, 0, 8);

    CHECK_EQ(ip4_parse_exact(pkt, len, true, &r), IP4_OK);
    CHECK_EQ(r.ihl_bytes, 20);
    CHECK_EQ(r.total_len, 28);
    CHECK_EQ(r.id, 0x1234);
    CHECK_EQ(r.flags_offset, IP4_FLAG_DF);
    CHECK_EQ(r.ttl, 64);
    CHECK_EQ(r.proto, IP_PROTO_UDP);
    CHECK_EQ(ip4_addr_to_u32(r.src), 0x0a000002u);
    CHECK_EQ(ip4_addr_to_u32(r.dst), 0x0a000001u);

    /* Emit and parse agree; emit writes a valid checksum. */
    uint8_t hdr[20];
    ip4_emit(&r, hdr);
    CHECK_EQ(inet_chksum(hdr, 20), 0);
    CHECK_EQ(memcmp(hdr, pkt, 20), 0);

    /* Ethernet padding after the total length is not an error. */
    CHECK_EQ(ip4_parse_exact(pkt, len + 18, true, &r), IP4_OK);
    CHECK_EQ(r.total_len, 28);

    /* Truncated: shorter than 20 bytes, at every length. */
    for (size_t l = 0; l < 20; l++) CHECK_EQ(ip4_parse_exact(pkt, l, true, &r), IP4_ERR_LEN);
    /* Total length lies: more than is present. */
    CHECK_EQ(ip4_parse_exact(pkt, len - 1, true, &r), IP4_ERR_LEN);
    uint8_t bad[128];
    memcpy(bad, pkt, len);
    wr16be(bad + 2, 0xffff);
    ip4_resum(bad);
    CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_LEN);
    /* Total length shorter than the header. */
    memcpy(bad, pkt, len);
    wr16be(bad + 2, 19);
    ip4_resum(bad);
    CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_LEN);
    /* Version. */
    static const uint8_t versions[] = {0, 5, 6, 15};
    for (size_t i = 0; i < sizeof(versions); i++) {
        memcpy(bad, pkt, len);
        bad[0] = (uint8_t)((versions[i] << 4) | 5);
        ip4_resum(bad);
        CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_VERSION);
    }
    /* IHL below 5. */
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        memcpy(bad, pkt, len);
        bad[0] = (uint8_t)(0x40 | ihl);
        ip4_resum(bad);
        CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_IHL);
    }
    /* IHL beyond the total length, and beyond the bytes present. */
    memcpy(bad, pkt, len);
    bad[0] = 0x47; /* 28 bytes of header: all of the 28-byte packet */
    ip4_resum(bad);
    {
        enum ip4_parse_result res = ip4_parse_exact(bad, len, true, &r);
        /* 8 "option" bytes 01 02 03 ...: malformed options or a bad sum */
        CHECK(res != IP4_OK);
    }
    memcpy(bad, pkt, len);
    bad[0] = 0x48; /* 32 bytes of header, 28 present */
    ip4_resum(bad);
    CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_LEN);
    memcpy(bad, pkt, len);
    bad[0] = 0x4f; /* 60 bytes of header */
    ip4_resum(bad);
    CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_LEN);

    /* Header checksum: each single bit flipped is caught; unless asked not to. */
    for (size_t bit = 0; bit < 20 * 8; bit++) {
        if (bit / 8 == 0 || bit / 8 == 2 || bit / 8 == 3) continue; /* version/IHL/length: other classes */
        memcpy(bad, pkt, len);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK_EQ(ip4_parse_exact(bad, len, true, &r), IP4_ERR_CHECKSUM);
        CHECK_EQ(ip4_parse_exact(bad, len, false, &r), IP4_OK);
    }

    /* Options (RFC 791 3.1): well formed ones are skipped... */
    static const uint8_t good_opts[][8] = {
        {1, 1, 1, 1},                       /* NOPs */
        {0, 0, 0, 0},                       /* EOL */
        {0, 0xff, 0x00, 0x07},              /* EOL, then anything */
        {7, 7, 4, 0, 0, 0, 0, 0},           /* record route, one slot, then EOL */
        {1, 0x94, 4, 0, 0},                 /* NOP, router alert (RFC 2113), EOL... */
        {0x88, 4, 0x12, 0x34},              /* stream id, exactly filling */
    };
    static const size_t good_len[] = {4, 4, 4, 8, 8, 4};
    for (size_t i = 0; i < sizeof(good_len) / sizeof(good_len[0]); i++) {
        size_t l = make_ip4(bad, good_opts[i], good_len[i], 4);
        CHECK_EQ(ip4_parse_exact(bad, l, true, &r), IP4_OK);
        CHECK_EQ(r.ihl_bytes, 20 + good_len[i]);
    }
    /* ...malformed ones are refused. */
    static const uint8_t bad_opts[][8] = {
        {7, 0, 0, 0},                       /* length 0 */
        {7, 1, 0, 0},                       /* length 1 */
        {1, 1, 1, 7},                       /* no room for the length byte */
        {7, 5, 4, 0},                       /* runs past the header */
        {0x44, 12, 5, 0, 0, 0, 0, 0},       /* timestamp longer than the header */
        {1, 0x94, 0xff, 0, 0, 0, 0, 0},     /* length 255 */
    };
    static const size_t bad_len[] = {4, 4, 4, 4, 8, 8};
    for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
        size_t l = make_ip4(bad, bad_opts[i], bad_len[i], 4);
        CHECK_EQ(ip4_parse_exact(bad, l, true, &r), IP4_ERR_OPTIONS);
    }
}

static void test_udp(void)
{
    static const uint8_t dgram[12] = {0x9c, 0x40, 0x00, 0x07, 0x00, 0x0c, 0xbe, 0xef, 'a', 'b', 'c', 'd'};
    struct udp_repr r;
    for (size_t len = 0; len < UDP_HDR_LEN; len++) {
        uint8_t *q = heap_copy(dgram, len);
        CHECK_EQ(udp_parse(q, len, &r), ERR_BUF);
        free(q);
    }
    CHECK_EQ(udp_parse(dgram, sizeof(dgram), &r), ERR_OK);
    CHECK_EQ(r.src_port, 40000);
    CHECK_EQ(r.dst_port, 7);
    CHECK_EQ(r.length, 12);
    CHECK_EQ(r.checksum, 0xbeef);
    uint8_t out[8];
    udp_emit(&r, out);
    CHECK(memcmp(out, dgram, 8) == 0);

    uint8_t bad[16];
    /* Bytes after the UDP length (e.g. Ethernet padding) are not an error. */
    memcpy(bad, dgram, sizeof(dgram));
    wr16be(bad + 4, 9);
    CHECK_EQ(udp_parse(bad, sizeof(dgram), &r), ERR_OK);
    CHECK_EQ(r.length, 9);
    wr16be(bad + 4, 8);
    CHECK_EQ(udp_parse(bad, sizeof(dgram), &r), ERR_OK);
    /* Length field below the header size, and beyond the bytes present. */
    static const uint16_t lies[] = {0, 1, 7, 13, 0xffff};
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        memcpy(bad, dgram, sizeof(dgram));
        wr16be(bad + 4, lies[i]);
        CHECK_EQ(udp_parse(bad, sizeof(dgram), &r), ERR_BUF);
    }
    /* Checksum 0 means "none" and is reported as such. */
    memcpy(bad, dgram, sizeof(dgram));
    wr16be(bad + 6, 0);
    CHECK_EQ(udp_parse(bad, sizeof(dgram), &r), ERR_OK);
    CHECK_EQ(r.checksum, 0);
}

/* Junk of every length up to 96 bytes and random longer ones: the parsers
 * must answer without reading past the end (ASan) and never accept an input
 * their own rules forbid. */
static void test_junk(struct test_platform *tp)
{
    uint8_t buf[300];
    for (int round = 0; round < 20000; round++) {
        size_t len = round < 9700 ? (size_t)(round % 97) : test_platform_random32(tp) % sizeof(buf);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)test_platform_random32(tp);
        /* Bias towards plausible headers so deeper checks get reached. */
        if (len > 0 && (round & 1)) buf[0] = (uint8_t)(0x45 + (round % 3));
        if (len > 3 && (round & 2)) wr16be(buf + 2, (uint16_t)(len - (size_t)(round % 5)));
        uint8_t *q = heap_copy(buf, len);
        struct eth_repr er;
        struct arp_repr ar;
        struct ip4_repr ir;
        struct udp_repr ur;
        CHECK_EQ(eth_parse(q, len, &er) == ERR_OK, len >= ETH_HDR_LEN);
        if (arp_parse(q, len, &ar) == ERR_OK) CHECK(len >= ARP_HDR_LEN && (ar.op == 1 || ar.op == 2));
        if (ip4_parse(q, len, round & 4, &ir) == IP4_OK) {
            CHECK(len >= 20 && (q[0] >> 4) == 4);
            CHECK(ir.ihl_bytes >= 20 && ir.ihl_bytes <= ir.total_len && ir.total_len <= len);
            if (round & 4) CHECK_EQ(inet_chksum(q, ir.ihl_bytes), 0);
        }
        if (udp_parse(q, len, &ur) == ERR_OK) CHECK(ur.length >= 8 && ur.length <= len);
        free(q);
    }
}

int main(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 4242u);
    test_eth();
    test_arp();
    test_ip4();
    test_udp();
    test_junk(&tp);
    return test_report("test_parsers");
}
