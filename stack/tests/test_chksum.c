/*
 * The Internet checksum (RFC 1071) against a plain reference: flat buffers
 * of every small length and random ones, odd lengths, chains cut at odd
 * offsets, the IPv4 pseudo header (RFC 768), and incremental update
 * (RFC 1624 eqn. 3) against recomputation.
 */
#include "shoal/inet_chksum.h"
#include "shoal/pbuf.h"
#include "check.h"
#include "test_platform.h"

/* Reference: 16-bit big-endian words, a lone last byte padded with zero,
 * carries folded back in, complemented (RFC 1071 section 1). */
static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)((p[i] << 8) | p[i + 1]);
    if (len & 1u) sum += (uint32_t)p[len - 1] << 8;
    return sum;
}
static uint16_t ref_finish(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
static uint16_t ref_chksum(const uint8_t *p, size_t len) { return ref_finish(ref_sum(p, len, 0)); }

static void fill_random(struct test_platform *tp, uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) p[i] = (uint8_t)test_platform_random32(tp);
}

static void test_known_vectors(void)
{
    /* RFC 1071 section 3: these bytes sum to 0xddf2, so the checksum is ~0xddf2. */
    static const uint8_t rfc1071[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_EQ(inet_chksum(rfc1071, sizeof(rfc1071)), (uint16_t)~0xddf2u);
    CHECK_EQ(chksum_finish(chksum_partial(rfc1071, sizeof(rfc1071), 0)), 0x220du);

    /* An IPv4 header with its checksum field zeroed; 0xb861 is its checksum. */
    uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    CHECK_EQ(inet_chksum(ip, sizeof(ip)), 0xb861u);
    /* With the checksum stored, the header sums to 0 (RFC 1071: verification). */
    wr16be(ip + 10, 0xb861u);
    CHECK_EQ(inet_chksum(ip, sizeof(ip)), 0u);

    /* Edge cases: nothing, one byte (padded on the right), all zeros, all ones. */
    static const uint8_t one[1] = {0xab};
    static const uint8_t zeros[6] = {0};
    static const uint8_t ones[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(inet_chksum(one, 0), 0xffffu);
    CHECK_EQ(inet_chksum(one, 1), (uint16_t)~0xab00u);
    CHECK_EQ(inet_chksum(zeros, sizeof(zeros)), 0xffffu);
    CHECK_EQ(inet_chksum(ones, sizeof(ones)), 0x0000u);
}

static void test_flat_random(struct test_platform *tp)
{
    static uint8_t buf[4096 + 8];
    /* Every length up to 300 at every starting alignment, then long random ones. */
    fill_random(tp, buf, sizeof(buf));
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 300; len++) CHECK_EQ(inet_chksum(buf + off, len), ref_chksum(buf + off, len));
    for (int round = 0; round < 500; round++) {
        size_t len = test_platform_random32(tp) % 4097u;
        size_t off = test_platform_random32(tp) % 8u;
        fill_random(tp, buf + off, len);
        CHECK_EQ(inet_chksum(buf + off, len), ref_chksum(buf + off, len));
        /* Partial sums of two even-length pieces add up to the whole. */
        size_t cut = (test_platform_random32(tp) % (len + 1u)) & ~(size_t)1u;
        uint32_t s = chksum_partial(buf + off, cut, 0);
        s = chksum_partial(buf + off + cut, len - cut, s);
        CHECK_EQ(chksum_finish(s), ref_chksum(buf + off, len));
    }
    /* Large buffers must not overflow the 32-bit accumulator. */
    static uint8_t big[65536];
    memset(big, 0xff, sizeof(big));
    CHECK_EQ(inet_chksum(big, sizeof(big)), ref_chksum(big, sizeof(big)));
    CHECK_EQ(inet_chksum(big, sizeof(big) - 1), ref_chksum(big, sizeof(big) - 1));
}

/* Build a chain whose segments have the given (often odd) lengths by
 * concatenating separate allocations, so cuts fall at odd offsets. */
static struct pbuf *chain_of(struct stack *s, const uint8_t *data, const size_t *lens, size_t nlens)
{
    struct pbuf *head = NULL;
    size_t off = 0;
    for (size_t i = 0; i < nlens; i++) {
        struct pbuf *q = pbuf_alloc(s, PBUF_RAW, lens[i]);
        if (q == NULL) {
            pbuf_free(head);
            return NULL;
        }
        pbuf_take(q, data + off, lens[i]);
        off += lens[i];
        if (head == NULL)
            head = q;
        else
            pbuf_cat(head, q);
    }
    return head;
}

static void test_chains(struct test_platform *tp, struct stack *s)
{
    static uint8_t data[3000];
    size_t lens[8];
    for (int round = 0; round < 400; round++) {
        size_t nlens = 1 + test_platform_random32(tp) % 8u, total = 0;
        for (size_t i = 0; i < nlens; i++) {
            /* Mostly short odd pieces, sometimes empty or long ones. */
            uint32_t r = test_platform_random32(tp);
            lens[i] = (r & 3u) == 0 ? 0 : (r & 3u) == 1 ? 300 + (r >> 8) % 64u : 1 + 2 * ((r >> 8) % 20u);
            total += lens[i];
        }
        fill_random(tp, data, total);
        struct pbuf *p = chain_of(s, data, lens, nlens);
        CHECK(p != NULL);
        if (p == NULL) return;
        CHECK_EQ(p->tot_len, total);
        CHECK_EQ(inet_chksum_pbuf(p), ref_chksum(data, total));

        /* Pseudo header: src, dst, zero, protocol, length (RFC 768), then the
         * covered bytes (all, or a prefix as UDP-lite does). */
        ip4_addr_t src = ip4_addr_make(10, 0, 0, (uint8_t)test_platform_random32(tp));
        ip4_addr_t dst = ip4_addr_make(192, 168, (uint8_t)test_platform_random32(tp), 7);
        size_t covered = (round & 1) ? total : test_platform_random32(tp) % (total + 1u);
        uint8_t ph[12];
        wr32be(ph, ip4_addr_to_u32(src));
        wr32be(ph + 4, ip4_addr_to_u32(dst));
        ph[8] = 0;
        ph[9] = 17;
        wr16be(ph + 10, (uint16_t)total);
        uint16_t want = ref_finish(ref_sum(data, covered, ref_sum(ph, sizeof(ph), 0)));
        CHECK_EQ(inet_chksum_pseudo(p, 17, total, &src, &dst, covered), want);

        CHECK_EQ(pbuf_free(p), nlens);
    }
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
}

static void test_adjust(struct test_platform *tp)
{
    uint8_t buf[64];
    for (int round = 0; round < 2000; round++) {
        size_t len = 8 + 2 * (test_platform_random32(tp) % 28u);
        fill_random(tp, buf, len);
        buf[0] |= 1u; /* never all zeros: then 0x0000 and 0xffff would both be right */
        uint16_t before = inet_chksum(buf, len);
        size_t at = 2 + 2 * (test_platform_random32(tp) % ((len - 2) / 2));
        uint16_t old_word = rd16be(buf + at);
        uint16_t new_word;
        switch (round % 4) {
        case 0: new_word = 0x0000u; break;
        case 1: new_word = 0xffffu; break;
        case 2: new_word = (uint16_t)(old_word - 0x0100u); break; /* a TTL decrement */
        default: new_word = (uint16_t)test_platform_random32(tp); break;
        }
        wr16be(buf + at, new_word);
        CHECK_EQ(chksum_adjust16(before, old_word, new_word), inet_chksum(buf, len));
    }
    /* RFC 1624 section 4's case: a header whose checksum is 0xdd2f, where
     * a field changes from 0x5555 to 0x3285, gets checksum 0x0000 (eqn. 3;
     * eqn. 2 would give 0xffff). */
    CHECK_EQ(chksum_adjust16(0xdd2fu, 0x5555u, 0x3285u), 0x0000u);
}

int main(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 12345u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.pbuf_count = 32;
    struct stack *s = stack_new(&cfg, &tp.platform);
    CHECK(s != NULL);
    if (s == NULL) return test_report("test_chksum");

    test_known_vectors();
    test_flat_random(&tp);
    test_chains(&tp, s);
    test_adjust(&tp);

    stack_free(s);
    CHECK_EQ(tp.allocs, 0);
    return test_report("test_chksum");
}
