/*
 * pbuf: headroom per layer, chains of small segments, header add/remove
 * bounds, shrinking, concatenation, copies in and out at every offset,
 * clones, reference counts, pool exhaustion and the pool counters.
 */
#include "shoal/opt.h"
#include "shoal/pbuf.h"
#include "check.h"
#include "test_platform.h"

#define SEG 200u   /* small segments, so that chains form */
#define COUNT 16u

static size_t headroom_of(enum pbuf_layer layer)
{
    switch (layer) {
    case PBUF_TRANSPORT: return SHOAL_PBUF_LINK_HLEN + SHOAL_PBUF_IP_HLEN + SHOAL_PBUF_TRANSPORT_HLEN;
    case PBUF_IP: return SHOAL_PBUF_LINK_HLEN + SHOAL_PBUF_IP_HLEN;
    case PBUF_LINK: return SHOAL_PBUF_LINK_HLEN;
    case PBUF_RAW: return 0;
    }
    return 0;
}

/* A chain's lengths agree with each other: tot_len of every segment is its
 * len plus the tot_len of the rest, and the last one's equals its len. */
static bool chain_consistent(const struct pbuf *p)
{
    for (; p != NULL; p = p->next) {
        size_t rest = p->next != NULL ? p->next->tot_len : 0;
        if (p->tot_len != p->len + rest) return false;
    }
    return true;
}

static void test_headroom(struct stack *s)
{
    static const enum pbuf_layer layers[] = {PBUF_TRANSPORT, PBUF_IP, PBUF_LINK, PBUF_RAW};
    for (size_t i = 0; i < sizeof(layers) / sizeof(layers[0]); i++) {
        size_t h = headroom_of(layers[i]);
        struct pbuf *p = pbuf_alloc(s, layers[i], 10);
        CHECK(p != NULL);
        if (p == NULL) continue;
        CHECK_EQ(p->len, 10);
        CHECK_EQ(p->tot_len, 10);
        CHECK_EQ(p->ref, 1);
        CHECK(p->next == NULL);
        CHECK_EQ(pbuf_tailroom(p), SEG - h - 10);
        /* Exactly the layer's headroom can be claimed, not a byte more. */
        CHECK_EQ(pbuf_add_header(p, h), ERR_OK);
        CHECK_EQ(p->len, 10 + h);
        CHECK_EQ(p->tot_len, 10 + h);
        CHECK_EQ(pbuf_add_header(p, 1), ERR_BUF);
        CHECK_EQ(p->len, 10 + h);
        CHECK_EQ(pbuf_remove_header(p, h), ERR_OK);
        CHECK_EQ(p->len, 10);
        /* Removing more than the first segment holds fails and changes nothing. */
        CHECK_EQ(pbuf_remove_header(p, 11), ERR_BUF);
        CHECK_EQ(p->len, 10);
        CHECK_EQ(pbuf_remove_header(p, 10), ERR_OK);
        CHECK_EQ(p->len, 0);
        CHECK_EQ(p->tot_len, 0);
        CHECK_EQ(pbuf_add_header(p, 10 + h), ERR_OK);
        CHECK_EQ(pbuf_free(p), 1);
    }
    CHECK_EQ(pbuf_add_header(NULL, 1), ERR_BUF);
    CHECK_EQ(pbuf_remove_header(NULL, 1), ERR_BUF);
    CHECK_EQ(pbuf_free(NULL), 0);
}

static void test_chain_alloc(struct stack *s)
{
    /* PBUF_IP: the first segment holds SEG - 64 bytes, the next SEG each. */
    size_t h = headroom_of(PBUF_IP);
    size_t len = (SEG - h) + SEG + SEG + 7;
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, len);
    CHECK(p != NULL);
    if (p == NULL) return;
    CHECK_EQ(pbuf_clen(p), 4);
    CHECK_EQ(p->tot_len, len);
    CHECK_EQ(p->len, SEG - h);
    CHECK_EQ(p->next->len, SEG);
    CHECK_EQ(p->next->next->next->len, 7);
    CHECK(chain_consistent(p));
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 4);
    /* Only the first segment has headroom. */
    CHECK_EQ(pbuf_add_header(p->next, 1), ERR_BUF);
    /* A header wider than the first segment's data cannot be removed. */
    CHECK(pbuf_contig(p, SEG - h) == p->payload);
    CHECK(pbuf_contig(p, SEG - h + 1) == NULL);
    CHECK_EQ(pbuf_remove_header(p, SEG - h + 1), ERR_BUF);

    /* Copy in a pattern, then read it back at every offset and length class. */
    static uint8_t pattern[4 * SEG], out[4 * SEG];
    for (size_t i = 0; i < len; i++) pattern[i] = (uint8_t)(i * 7 + 3);
    CHECK_EQ(pbuf_take(p, pattern, len), ERR_OK);
    for (size_t off = 0; off <= len; off += 13) {
        size_t want = len - off;
        memset(out, 0, sizeof(out));
        CHECK_EQ(pbuf_copy_partial(p, out, want, off), want);
        CHECK(memcmp(out, pattern + off, want) == 0);
        /* Asking for more than there is copies what there is. */
        CHECK_EQ(pbuf_copy_partial(p, out, want + 50, off), want);
        CHECK_EQ(pbuf_try_get_at(p, off), off < len ? pattern[off] : -1);
    }
    CHECK_EQ(pbuf_copy_partial(p, out, 10, len + 1), 0);
    CHECK_EQ(pbuf_try_get_at(p, len), -1);
    CHECK_EQ(pbuf_try_get_at(p, len - 1), pattern[len - 1]);
    CHECK_EQ(pbuf_try_get_at(p, (size_t)-1), -1);

    /* take_at: across segment boundaries; refuses to run past the end. */
    static const uint8_t mark[5] = {0xde, 0xad, 0xbe, 0xef, 0x99};
    size_t cut = SEG - h - 2;
    CHECK_EQ(pbuf_take_at(p, mark, sizeof(mark), cut), ERR_OK);
    CHECK_EQ(pbuf_try_get_at(p, cut + 4), 0x99);
    CHECK_EQ(pbuf_take_at(p, mark, sizeof(mark), len - 4), ERR_BUF);
    CHECK_EQ(pbuf_take_at(p, mark, 1, len), ERR_BUF);
    CHECK_EQ(pbuf_take_at(p, mark, 0, len), ERR_OK);
    CHECK_EQ(pbuf_take_at(p, mark, sizeof(mark), (size_t)-2), ERR_BUF);
    CHECK_EQ(pbuf_take_at(p, mark, (size_t)-2, 3), ERR_BUF);
    CHECK_EQ(pbuf_take_at(p, mark, sizeof(mark), len - 5), ERR_OK);
    memcpy(pattern + cut, mark, sizeof(mark));
    memcpy(pattern + len - 5, mark, sizeof(mark));
    CHECK_EQ(pbuf_copy_partial(p, out, len, 0), len);
    CHECK(memcmp(out, pattern, len) == 0);

    /* Shrink into the second segment: the last two go back to the pool. */
    size_t new_len = (SEG - h) + 5;
    pbuf_realloc(p, new_len);
    CHECK_EQ(p->tot_len, new_len);
    CHECK_EQ(pbuf_clen(p), 2);
    CHECK(chain_consistent(p));
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 2);
    CHECK_EQ(pbuf_copy_partial(p, out, len, 0), new_len);
    CHECK(memcmp(out, pattern, new_len) == 0);
    /* Never grows. */
    pbuf_realloc(p, new_len + 100);
    CHECK_EQ(p->tot_len, new_len);
    /* Shrink to exactly the first segment. */
    pbuf_realloc(p, SEG - h);
    CHECK_EQ(pbuf_clen(p), 1);
    CHECK_EQ(p->tot_len, SEG - h);
    CHECK(p->next == NULL);
    pbuf_realloc(p, 0);
    CHECK_EQ(p->tot_len, 0);
    CHECK_EQ(pbuf_free(p), 1);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
}

static void test_cat_clone_ref(struct stack *s)
{
    struct pbuf *a = pbuf_alloc(s, PBUF_RAW, 3);
    struct pbuf *b = pbuf_alloc(s, PBUF_TRANSPORT, 5);
    struct pbuf *c = pbuf_alloc(s, PBUF_RAW, SEG + 1); /* two segments */
    CHECK(a != NULL && b != NULL && c != NULL);
    if (a == NULL || b == NULL || c == NULL) return;
    pbuf_take(a, "abc", 3);
    pbuf_take(b, "defgh", 5);
    static uint8_t big[SEG + 1];
    memset(big, 'z', sizeof(big));
    pbuf_take(c, big, sizeof(big));
    pbuf_cat(a, b);
    pbuf_cat(a, c);
    CHECK_EQ(a->tot_len, 3 + 5 + SEG + 1);
    CHECK_EQ(pbuf_clen(a), 4);
    CHECK(chain_consistent(a));
    uint8_t out[16];
    CHECK_EQ(pbuf_copy_partial(a, out, 9, 0), 9);
    CHECK(memcmp(out, "abcdefghz", 9) == 0);
    /* Reads straddling the odd-length segment boundaries. */
    CHECK_EQ(pbuf_copy_partial(a, out, 4, 2), 4);
    CHECK(memcmp(out, "cdef", 4) == 0);
    CHECK_EQ(pbuf_try_get_at(a, 7), 'h');
    CHECK_EQ(pbuf_try_get_at(a, 8), 'z');

    /* A clone is a separate copy with the requested headroom. */
    a->if_idx = 3;
    a->flags = PBUF_FLAG_LL_BROADCAST;
    struct pbuf *k = pbuf_clone(s, PBUF_LINK, a);
    CHECK(k != NULL);
    if (k != NULL) {
        CHECK_EQ(k->tot_len, a->tot_len);
        CHECK(chain_consistent(k));
        CHECK_EQ(k->if_idx, 3);
        CHECK_EQ(k->flags, PBUF_FLAG_LL_BROADCAST);
        CHECK_EQ(pbuf_add_header(k, headroom_of(PBUF_LINK)), ERR_OK);
        CHECK_EQ(pbuf_remove_header(k, headroom_of(PBUF_LINK)), ERR_OK);
        static uint8_t x[SEG + 16], y[SEG + 16];
        CHECK_EQ(pbuf_copy_partial(k, x, sizeof(x), 0), a->tot_len);
        CHECK_EQ(pbuf_copy_partial(a, y, sizeof(y), 0), a->tot_len);
        CHECK(memcmp(x, y, a->tot_len) == 0);
        pbuf_take(k, "XYZ", 3);
        CHECK_EQ(pbuf_try_get_at(a, 0), 'a');
        unsigned segs = pbuf_clen(k);
        CHECK_EQ(segs, 2); /* 176 bytes after the link headroom, then 33 */
        CHECK_EQ(pbuf_free(k), segs);
    }

    /* References: the chain survives until the last reference goes. */
    unsigned used = (unsigned)test_stat(s, "pool.pbuf.used");
    pbuf_ref(a);
    CHECK_EQ(a->ref, 2);
    CHECK_EQ(pbuf_free(a), 0);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), used);
    CHECK_EQ(a->ref, 1);
    /* A second holder of a later segment keeps that part alive. */
    struct pbuf *tail = a->next->next; /* c's first segment */
    pbuf_ref(tail);
    CHECK_EQ(pbuf_free(a), 2);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 2);
    CHECK_EQ(tail->tot_len, SEG + 1);
    CHECK_EQ(pbuf_free(tail), 2);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
}

/* pbuf_copy_range between two chains with different segment boundaries:
 * every byte lands where it should, and out-of-range requests copy nothing. */
static void test_copy_range(struct stack *s)
{
    size_t len = 2 * SEG + 11;
    struct pbuf *src = pbuf_alloc(s, PBUF_IP, len), *dst = pbuf_alloc(s, PBUF_RAW, len + 5);
    CHECK(src != NULL && dst != NULL);
    if (src == NULL || dst == NULL) {
        pbuf_free(src);
        pbuf_free(dst);
        return;
    }
    static uint8_t pattern[3 * SEG], out[3 * SEG];
    for (size_t i = 0; i < len; i++) pattern[i] = (uint8_t)(i * 13 + 1);
    CHECK_EQ(pbuf_take(src, pattern, len), ERR_OK);
    for (size_t off = 0; off < len; off += 97) {
        size_t n = SHOAL_MIN(len - off, (size_t)SEG + 31);
        memset(out, 0xee, sizeof(out));
        CHECK_EQ(pbuf_take(dst, out, dst->tot_len), ERR_OK);
        CHECK_EQ(pbuf_copy_range(dst, 5, src, off, n), ERR_OK);
        CHECK_EQ(pbuf_copy_partial(dst, out, dst->tot_len, 0), dst->tot_len);
        CHECK(memcmp(out + 5, pattern + off, n) == 0);
        CHECK_EQ(out[4], 0xee);
        if (5 + n < dst->tot_len) CHECK_EQ(out[5 + n], 0xee);
    }
    CHECK_EQ(pbuf_copy_range(dst, 0, src, len - 3, 4), ERR_BUF);
    CHECK_EQ(pbuf_copy_range(dst, dst->tot_len - 3, src, 0, 4), ERR_BUF);
    CHECK_EQ(pbuf_copy_range(dst, 0, src, len + 1, 0), ERR_BUF);
    pbuf_free(src);
    pbuf_free(dst);
}

static void test_exhaustion(struct stack *s)
{
    struct pbuf *held[COUNT];
    uint64_t err0 = test_stat(s, "pool.pbuf.err");
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
    CHECK_EQ(test_stat(s, "pool.pbuf.avail"), COUNT);
    for (unsigned i = 0; i < COUNT; i++) {
        held[i] = pbuf_alloc(s, PBUF_RAW, 1);
        CHECK(held[i] != NULL);
    }
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), COUNT);
    CHECK_EQ(test_stat(s, "pool.pbuf.avail"), 0);
    CHECK_EQ(test_stat(s, "pool.pbuf.peak"), COUNT);
    CHECK(pbuf_alloc(s, PBUF_RAW, 1) == NULL);
    CHECK_EQ(test_stat(s, "pool.pbuf.err"), err0 + 1);

    /* A chain that needs more segments than are free fails as a whole and
     * gives back the segments it had taken. */
    for (unsigned i = 0; i < 3; i++) pbuf_free(held[i]);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), COUNT - 3);
    CHECK(pbuf_alloc(s, PBUF_RAW, 4 * SEG) == NULL);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), COUNT - 3);
    CHECK(test_stat(s, "pool.pbuf.err") > err0 + 1);
    struct pbuf *three = pbuf_alloc(s, PBUF_RAW, 3 * SEG);
    CHECK(three != NULL);
    CHECK_EQ(pbuf_clen(three), 3);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), COUNT);
    /* A clone into a full pool fails cleanly too. */
    CHECK(pbuf_clone(s, PBUF_RAW, three) == NULL);
    pbuf_free(three);
    for (unsigned i = 3; i < COUNT; i++) pbuf_free(held[i]);

    /* Back to empty; the peak remembers. */
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
    CHECK_EQ(test_stat(s, "pool.pbuf.avail"), COUNT);
    CHECK_EQ(test_stat(s, "pool.pbuf.peak"), COUNT);
    /* Every element is usable again after the churn. */
    for (unsigned i = 0; i < COUNT; i++) held[i] = pbuf_alloc(s, PBUF_TRANSPORT, 16);
    for (unsigned i = 0; i < COUNT; i++) {
        CHECK(held[i] != NULL);
        CHECK_EQ(pbuf_free(held[i]), 1);
    }
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
}

static void test_random_ops(struct test_platform *tp, struct stack *s)
{
    /* Random chains, shrinks and reads against a flat model. */
    static uint8_t model[6 * SEG], out[6 * SEG];
    for (int round = 0; round < 300; round++) {
        size_t len = test_platform_random32(tp) % (5 * SEG);
        enum pbuf_layer layer = (enum pbuf_layer)(test_platform_random32(tp) % 4u);
        struct pbuf *p = pbuf_alloc(s, layer, len);
        CHECK(p != NULL);
        if (p == NULL) return;
        for (size_t i = 0; i < len; i++) model[i] = (uint8_t)test_platform_random32(tp);
        CHECK_EQ(pbuf_take(p, model, len), ERR_OK);
        size_t new_len = len ? test_platform_random32(tp) % (len + 1) : 0;
        pbuf_realloc(p, new_len);
        CHECK_EQ(p->tot_len, new_len);
        CHECK(chain_consistent(p));
        size_t off = new_len ? test_platform_random32(tp) % (new_len + 1) : 0;
        CHECK_EQ(pbuf_copy_partial(p, out, new_len - off, off), new_len - off);
        CHECK(memcmp(out, model + off, new_len - off) == 0);
        pbuf_free(p);
        CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);
    }
}

int main(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 777u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.pbuf_seg_size = SEG;
    cfg.pbuf_count = COUNT;
    struct stack *s = stack_new(&cfg, &tp.platform);
    CHECK(s != NULL);
    if (s == NULL) return test_report("test_pbuf");
    CHECK_EQ(stack_memory_size(&cfg) >= COUNT * SEG, 1);

    test_headroom(s);
    test_chain_alloc(s);
    test_cat_clone_ref(s);
    test_copy_range(s);
    test_exhaustion(s);
    test_random_ops(&tp, s);
    CHECK_EQ(test_stat(s, "pool.pbuf.used"), 0);

    /* A segment size that cannot hold the transport headroom is refused. */
    cfg.pbuf_seg_size = 64;
    CHECK(stack_new(&cfg, &tp.platform) == NULL);

    stack_free(s);
    CHECK_EQ(tp.allocs, 0);
    return test_report("test_pbuf");
}
