/*
 * The Neighbor Discovery option parser (RFC 4861 4.6, RFC 8106 5.1): each
 * option kind, each defect that invalidates the message (length 0, running
 * past the end), known options of a wrong length skipped, unknown options
 * skipped, and random junk at every length (run under ASan: never read
 * past the end).
 */
#include "shoal/ip6.h"
#include "ipv6/nd6_priv.h"
#include "check.h"
#include "test_platform.h"

/* The parser gets exactly `len` heap bytes, so ASan sees any over-read. */
static uint8_t *heap_copy(const uint8_t *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    if (len) memcpy(q, p, len);
    return q;
}

static err_t parse(const uint8_t *p, size_t len, struct nd6_opts *o)
{
    uint8_t *q = heap_copy(p, len);
    err_t err = nd6_parse_options(q, len, o);
    /* Pointers into q must not outlive it: the tests below look only at
     * copied fields after this point, except through `keep`. */
    free(q);
    return err;
}

static void test_empty_and_invalid(void)
{
    struct nd6_opts o;
    CHECK_EQ(parse(NULL, 0, &o), ERR_OK);
    CHECK_EQ(o.prefix_count, 0);
    static const uint8_t zero_len[8] = {ND6_OPT_SLLA, 0, 2, 0, 0, 0, 0, 1};
    CHECK_EQ(parse(zero_len, sizeof(zero_len), &o), ERR_VAL);          /* 4.6: length 0 */
    static const uint8_t past_end[8] = {ND6_OPT_SLLA, 2, 2, 0, 0, 0, 0, 1};
    CHECK_EQ(parse(past_end, sizeof(past_end), &o), ERR_VAL);          /* 16 bytes claimed, 8 there */
    static const uint8_t odd_tail[9] = {ND6_OPT_SLLA, 1, 2, 0, 0, 0, 0, 1, 7};
    CHECK_EQ(parse(odd_tail, sizeof(odd_tail), &o), ERR_VAL);          /* one stray byte */
    static const uint8_t zero_after_good[16] = {ND6_OPT_SLLA, 1, 2, 0, 0, 0, 0, 1, 99, 0};
    CHECK_EQ(parse(zero_after_good, sizeof(zero_after_good), &o), ERR_VAL);
}

static void test_lladdr(void)
{
    struct nd6_opts o;
    static const uint8_t two[16] = {ND6_OPT_SLLA, 1, 2, 0, 0, 0, 0, 1, ND6_OPT_TLLA, 1, 2, 0, 0, 0, 0, 2};
    uint8_t *q = heap_copy(two, sizeof(two));
    CHECK_EQ(nd6_parse_options(q, sizeof(two), &o), ERR_OK);
    CHECK(o.slla == q + 2);
    CHECK_EQ(o.slla_len, 6);
    CHECK(o.tlla == q + 10);
    CHECK_EQ(o.tlla[5], 2);
    free(q);
    /* The first of two SLLA options counts. */
    static const uint8_t dup[16] = {ND6_OPT_SLLA, 1, 2, 0, 0, 0, 0, 1, ND6_OPT_SLLA, 1, 2, 0, 0, 0, 0, 9};
    q = heap_copy(dup, sizeof(dup));
    CHECK_EQ(nd6_parse_options(q, sizeof(dup), &o), ERR_OK);
    CHECK_EQ(o.slla[5], 1);
    free(q);
}

static void put_prefix(uint8_t *o, uint8_t len, uint8_t flags, uint32_t valid, uint32_t pref, uint8_t tag)
{
    memset(o, 0, 32);
    o[0] = ND6_OPT_PREFIX;
    o[1] = 4;
    o[2] = len;
    o[3] = flags;
    wr32be(o + 4, valid);
    wr32be(o + 8, pref);
    o[16] = 0x20;
    o[17] = 0x01;
    o[18] = 0x0d;
    o[19] = 0xb8;
    o[21] = tag;
}

static void test_prefix_mtu_rdnss(void)
{
    struct nd6_opts o;
    uint8_t buf[32 + 8 + 40 + 8 + 24];
    size_t at = 0;
    put_prefix(buf, 64, ND6_PREFIX_FLAG_L | ND6_PREFIX_FLAG_A, 2592000, 604800, 1);
    at += 32;
    uint8_t mtu[8] = {ND6_OPT_MTU, 1, 0, 0, 0, 0, 0x05, 0x78};
    memcpy(buf + at, mtu, 8);
    at += 8;
    /* RDNSS with two servers: length 5. */
    uint8_t rd[40] = {ND6_OPT_RDNSS, 5, 0, 0, 0, 0, 0x07, 0x08};
    rd[8] = 0x20, rd[9] = 0x01, rd[23] = 0x53;
    rd[24] = 0x20, rd[25] = 0x01, rd[39] = 0x54;
    memcpy(buf + at, rd, 40);
    at += 40;
    uint8_t unknown[8] = {200, 1};
    memcpy(buf + at, unknown, 8);
    at += 8;
    /* An RDNSS of even length is malformed (RFC 8106 5.1), skipped. */
    uint8_t bad_rd[24] = {ND6_OPT_RDNSS, 2};
    memcpy(buf + at, bad_rd, 16);
    buf[at + 1] = 2;
    at += 16;
    CHECK_EQ(parse(buf, at, &o), ERR_OK);
    CHECK_EQ(o.prefix_count, 1);
    CHECK_EQ(o.prefixes[0].prefix_len, 64);
    CHECK_EQ(o.prefixes[0].flags, ND6_PREFIX_FLAG_L | ND6_PREFIX_FLAG_A);
    CHECK_EQ(o.prefixes[0].valid_lifetime_s, 2592000u);
    CHECK_EQ(o.prefixes[0].preferred_lifetime_s, 604800u);
    CHECK_EQ(ip6_addr_byte(&o.prefixes[0].prefix, 0), 0x20);
    CHECK_EQ(ip6_addr_byte(&o.prefixes[0].prefix, 5), 1);
    CHECK(o.has_mtu);
    CHECK_EQ(o.mtu, 1400u);
    CHECK_EQ(o.rdnss_count, 2);
    CHECK_EQ(o.rdnss_lifetime_s, 0x0708u);
    CHECK_EQ(ip6_addr_byte(&o.rdnss[0], 15), 0x53);
    CHECK_EQ(ip6_addr_byte(&o.rdnss[1], 15), 0x54);
    CHECK_EQ(o.unknown, 1);
    CHECK_EQ(o.malformed, 1);
    CHECK(o.slla == NULL && o.tlla == NULL && o.redirected == NULL);
}

static void test_wrong_lengths(void)
{
    struct nd6_opts o;
    /* Prefix option of length 3 and MTU of length 2: skipped, counted. */
    uint8_t buf[24 + 16] = {ND6_OPT_PREFIX, 3};
    buf[24] = ND6_OPT_MTU;
    buf[25] = 2;
    CHECK_EQ(parse(buf, sizeof(buf), &o), ERR_OK);
    CHECK_EQ(o.prefix_count, 0);
    CHECK(!o.has_mtu);
    CHECK_EQ(o.malformed, 2);
}

static void test_many_prefixes(void)
{
    struct nd6_opts o;
    enum { N = ND6_OPTS_MAX_PREFIXES + 3 };
    uint8_t buf[N * 32];
    for (unsigned i = 0; i < N; i++) put_prefix(buf + 32 * i, 64, ND6_PREFIX_FLAG_A, 10, 5, (uint8_t)i);
    CHECK_EQ(parse(buf, sizeof(buf), &o), ERR_OK);
    CHECK_EQ(o.prefix_count, ND6_OPTS_MAX_PREFIXES);
    CHECK_EQ(o.prefixes_ignored, 3);
    CHECK_EQ(ip6_addr_byte(&o.prefixes[ND6_OPTS_MAX_PREFIXES - 1].prefix, 5), ND6_OPTS_MAX_PREFIXES - 1);
}

static void test_redirected(void)
{
    struct nd6_opts o;
    uint8_t buf[8 + 48] = {ND6_OPT_REDIRECTED, 7};
    buf[8] = 0x60;
    uint8_t *q = heap_copy(buf, sizeof(buf));
    CHECK_EQ(nd6_parse_options(q, sizeof(buf), &o), ERR_OK);
    CHECK(o.redirected == q + 8);
    CHECK_EQ(o.redirected_len, 48);
    free(q);
}

static void test_junk(struct test_platform *tp)
{
    uint8_t buf[96];
    struct nd6_opts o;
    unsigned ok = 0;
    for (unsigned round = 0; round < 20000; round++) {
        size_t len = test_platform_random32(tp) % sizeof(buf);
        for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)test_platform_random32(tp);
        /* Small length bytes make multi-option inputs likelier. */
        for (size_t i = 1; i < len; i += 8) buf[i] = (uint8_t)(buf[i] % 5u);
        if (parse(buf, len, &o) == ERR_OK) {
            ok++;
            CHECK(o.prefix_count <= ND6_OPTS_MAX_PREFIXES);
            CHECK(o.rdnss_count <= ND6_RDNSS_MAX);
        }
    }
    CHECK(ok > 0);
}

int main(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 4861u);
    test_empty_and_invalid();
    test_lladdr();
    test_prefix_mtu_rdnss();
    test_wrong_lengths();
    test_many_prefixes();
    test_redirected();
    test_junk(&tp);
    return test_report("test_nd6_opts");
}
