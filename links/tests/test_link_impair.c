/*
 * The Ethernet point-to-point link's impairments beyond loss and jitter,
 * with fixed seeds and statistical tolerances wide enough for any seed:
 * Gilbert–Elliott bursts (loss rate, run lengths), duplication, reordering,
 * corruption (one bit, bit error rate, header untouched, pcap as sent),
 * changes at scheduled virtual times, link down/up (drops, in-flight and
 * queued frames, the stack's netif link flag), argument checks, and
 * byte-identical pcaps with everything on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../stack/tests/check.h"
#include "link_test_pair.h"
#include "eth_p2p.h"
#include "node.h"
#include "shoal/netif.h"

#define MS 1000000u
#define US 1000u

/* A frame carrying a 16-bit sequence number after the header, the rest a
 * fixed pattern so that corruption is visible. */
static void make_frame(uint8_t *f, size_t len, unsigned seq)
{
    for (size_t i = 0; i < len; i++) f[i] = (uint8_t)(i * 7u + 1u);
    f[14] = (uint8_t)(seq >> 8);
    f[15] = (uint8_t)seq;
}

static int send_seq(struct sim_node *from, unsigned seq, size_t len)
{
    uint8_t f[2048];
    make_frame(f, len, seq);
    return sim_port_send(from->ports, f, len);
}

/* Send n frames x -> y, one every gap_ns; arrivals into seqs/times (the
 * y FIFO order). Returns how many arrived. */
static int run_stream(struct pair *p, int n, uint64_t gap_ns, size_t len, unsigned *seqs, uint64_t *times)
{
    for (int i = 0; i < n; i++) {
        sim_run_until(p->sim, (uint64_t)i * gap_ns);
        send_seq(p->x, (unsigned)i, len);
    }
    sim_run_until(p->sim, (uint64_t)n * gap_ns + 10000u * MS);
    uint8_t buf[2048];
    uint64_t t;
    int port, got = 0;
    while (sim_raw_pop(p->y, buf, sizeof(buf), &t, &port) >= 0) {
        if (seqs) seqs[got] = (unsigned)buf[14] << 8 | buf[15];
        if (times) times[got] = t;
        got++;
    }
    return got;
}

/* Loss runs: lengths of maximal stretches of missing sequence numbers. */
static void loss_runs(const unsigned *seqs, int got, int n, int *runs, double *mean_len)
{
    static unsigned char arrived[65536];
    memset(arrived, 0, sizeof(arrived));
    for (int i = 0; i < got; i++) arrived[seqs[i]] = 1;
    int count = 0, lost = 0;
    for (int i = 0; i < n; i++) {
        if (arrived[i]) continue;
        lost++;
        if (i == 0 || arrived[i - 1]) count++;
    }
    *runs = count;
    *mean_len = count ? (double)lost / count : 0.0;
}

static void test_burst(void)
{
    enum { N = 40000 };
    static unsigned seqs[N];
    /* Gilbert: long-run loss p/(p+r) = 1/6, mean burst 1/r = 4 frames. */
    struct eth_p2p_params prm = {.burst = {.p = 0.05, .r = 0.25, .loss_good = 0.0, .loss_bad = 1.0}};
    struct pair p;
    pair_new(&p, 21, &prm, NULL);
    int got = run_stream(&p, N, 10 * US, 64, seqs, NULL);
    uint64_t lost = counter(p.link, "drop_burst");
    CHECK_EQ((uint64_t)got + lost, N);
    CHECK(lost > N / 6 - 800 && lost < N / 6 + 800);
    int runs;
    double mean;
    loss_runs(seqs, got, N, &runs, &mean);
    CHECK(mean > 3.5 && mean < 4.5);
    CHECK_EQ(counter(p.link, "drop_loss"), 0);
    CHECK_EQ(counter(p.link, "drop"), lost);
    pair_free(&p);

    /* The same loss rate from independent loss comes in short runs:
     * mean 1 / (1 - 1/6) = 1.2 frames. */
    struct eth_p2p_params ind = {.loss = 1.0 / 6.0};
    pair_new(&p, 21, &ind, NULL);
    got = run_stream(&p, N, 10 * US, 64, seqs, NULL);
    loss_runs(seqs, got, N, &runs, &mean);
    CHECK(mean > 1.1 && mean < 1.3);
    pair_free(&p);

    /* The general model: some loss in the good state (10%), half in bad. */
    struct eth_p2p_params ge = {.burst = {.p = 0.02, .r = 0.18, .loss_good = 0.1, .loss_bad = 0.5}};
    pair_new(&p, 22, &ge, NULL);
    got = run_stream(&p, N, 10 * US, 64, seqs, NULL);
    /* Stationary: 10% of frames in bad; loss 0.9 * 0.1 + 0.1 * 0.5 = 0.14. */
    lost = counter(p.link, "drop_burst");
    CHECK(lost > 0.14 * N - 700 && lost < 0.14 * N + 700);
    pair_free(&p);
}

static void test_duplicate(void)
{
    enum { N = 10000 };
    static unsigned seqs[2 * N];
    static uint64_t times[2 * N];
    struct eth_p2p_params prm = {.rate_bps = 100000000, .delay_ns = 1 * MS, .duplicate = 0.1};
    struct pair p;
    pair_new(&p, 31, &prm, NULL);
    int got = run_stream(&p, N, 10 * US, 100, seqs, times);
    uint64_t dup = counter(p.link, "duplicated");
    CHECK(dup > 900 && dup < 1100);
    CHECK_EQ((uint64_t)got, N + dup);
    CHECK_EQ(counter(p.link, "delivered"), N + dup);
    CHECK_EQ(counter(p.link, "frames"), N); /* a copy takes no wire time */
    /* Each copy right after its original, same instant; order kept. */
    int pairs = 0;
    for (int i = 1; i < got; i++) {
        CHECK(seqs[i] >= seqs[i - 1]);
        if (seqs[i] == seqs[i - 1]) {
            CHECK_EQ(times[i], times[i - 1]);
            pairs++;
        }
    }
    CHECK_EQ((uint64_t)pairs, dup);
    pair_free(&p);
}

static void test_reorder(void)
{
    enum { N = 2000 };
    static unsigned seqs[N];
    static uint64_t times[N];
    /* Frames every 100 us; a held-back one waits 1 ms more, so about ten
     * later frames overtake it. Jitter must still not reorder the rest. */
    struct eth_p2p_params prm = {.delay_ns = 2 * MS, .jitter_ns = 300 * US, .reorder = 0.05,
                                 .reorder_delay_ns = 1 * MS};
    struct pair p;
    pair_new(&p, 41, &prm, NULL);
    int got = run_stream(&p, N, 100 * US, 64, seqs, times);
    CHECK_EQ(got, N);
    uint64_t held = counter(p.link, "reordered");
    CHECK(held > 60 && held < 140);
    int inversions = 0;
    for (int i = 1; i < got; i++) {
        CHECK(times[i] >= times[i - 1]); /* the FIFO is in arrival order */
        if (seqs[i] < seqs[i - 1]) inversions++;
    }
    CHECK(inversions > 50);
    /* Every late frame arrived at least reorder_delay after it was due. */
    for (int i = 0; i < got; i++) CHECK(times[i] >= (uint64_t)seqs[i] * 100 * US + 2 * MS);
    /* Without the held-back frames the stream is in order (jitter alone
     * does not reorder without allow_reorder). */
    static unsigned char late[N];
    memset(late, 0, sizeof(late));
    unsigned max_seen = 0;
    for (int i = 0; i < got; i++) {
        if (i > 0 && seqs[i] < max_seen) late[seqs[i]] = 1;
        if (seqs[i] > max_seen) max_seen = seqs[i];
    }
    int prev = -1, in_order = 1;
    for (int i = 0; i < got; i++) {
        if (late[seqs[i]]) continue;
        if ((int)seqs[i] < prev) in_order = 0;
        prev = (int)seqs[i];
    }
    CHECK(in_order);
    CHECK_EQ(counter(p.link, "drop"), 0);
    pair_free(&p);
}

static int bits_differ(const uint8_t *a, const uint8_t *b, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) n += __builtin_popcount((unsigned)(a[i] ^ b[i]));
    return n;
}

static const char *tmp_path(char *buf, size_t cap, const char *leaf)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(buf, cap, "%s/%s", dir, leaf);
    return buf;
}

static long file_bytes(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

static void test_corrupt(void)
{
    /* corrupt = 1: every frame arrives with exactly one bit flipped, never
     * in the Ethernet header; the pcap holds the frame as sent. */
    char path[512];
    tmp_path(path, sizeof(path), "shoal_test_link_corrupt.pcap");
    struct eth_p2p_params all = {.corrupt = 1.0};
    struct pair p;
    pair_new(&p, 51, &all, path);
    uint8_t sent[200], buf[256];
    uint64_t t;
    int port;
    for (unsigned i = 0; i < 200; i++) {
        CHECK_EQ(send_seq(p.x, i, 100), 0);
        sim_run_until(p.sim, (uint64_t)(i + 1) * MS);
        CHECK_EQ(sim_raw_pop(p.y, buf, sizeof(buf), &t, &port), 100);
        make_frame(sent, 100, i);
        CHECK_EQ(bits_differ(sent, buf, 100), 1);
        CHECK(memcmp(sent, buf, 14) == 0);
    }
    CHECK_EQ(counter(p.link, "corrupted"), 200);
    CHECK_EQ(counter(p.link, "bits_flipped"), 200);
    pair_free(&p);
    static uint8_t file[65536];
    long n = file_bytes(path, file, sizeof(file));
    CHECK_EQ(n, 24 + 200 * (16 + 100));
    for (unsigned i = 0; n == 24 + 200 * (16 + 100) && i < 200; i++) {
        make_frame(sent, 100, i);
        CHECK(memcmp(file + 24 + i * 116 + 16, sent, 100) == 0);
    }
    remove(path);

    /* Per frame: about 20% of the frames. */
    struct eth_p2p_params some = {.corrupt = 0.2};
    pair_new(&p, 52, &some, NULL);
    run_stream(&p, 10000, 10 * US, 64, NULL, NULL);
    uint64_t c = counter(p.link, "corrupted");
    CHECK(c > 1800 && c < 2200);
    CHECK_EQ(counter(p.link, "delivered"), 10000);
    pair_free(&p);

    /* A bit error rate of 1e-3 over 7888 bits: about 7.9 flips a frame, and
     * a frame escapes with probability (1 - 1e-3)^7888 = 0.04%. */
    struct eth_p2p_params ber = {.ber = 1e-3};
    pair_new(&p, 53, &ber, NULL);
    uint8_t big[1000];
    int total_flips = 0;
    for (unsigned i = 0; i < 2000; i++) {
        CHECK_EQ(send_seq(p.x, i, 1000), 0);
        sim_run_until(p.sim, (uint64_t)(i + 1) * MS);
        uint8_t rx[1100];
        CHECK_EQ(sim_raw_pop(p.y, rx, sizeof(rx), &t, &port), 1000);
        make_frame(big, 1000, i);
        CHECK(memcmp(big, rx, 14) == 0);
        total_flips += bits_differ(big, rx, 1000);
    }
    CHECK_EQ(counter(p.link, "bits_flipped"), (uint64_t)total_flips);
    double per_frame = total_flips / 2000.0;
    CHECK(fabs(per_frame - 7.888) < 0.3);
    CHECK(counter(p.link, "corrupted") >= 1990);
    pair_free(&p);

    /* A frame with nothing after its header cannot be corrupted. */
    pair_new(&p, 54, &all, NULL);
    send_seq(p.x, 0, 14);
    sim_run_until(p.sim, MS);
    CHECK_EQ(counter(p.link, "corrupted"), 0);
    CHECK_EQ(counter(p.link, "delivered"), 1);
    pair_free(&p);
}

static void test_scheduled_set(void)
{
    struct eth_p2p_params prm = {.delay_ns = 1 * MS};
    struct pair p;
    pair_new(&p, 61, &prm, NULL);
    struct eth_p2p_params v = {.loss = 1.0, .delay_ns = 5 * MS};
    /* From t = 10 ms, x's frames are all lost; from 20 ms y's are 5 ms late. */
    CHECK_EQ(eth_p2p_set(p.link, p.x, ETH_P2P_LOSS, &v, 10 * MS), 0);
    CHECK_EQ(eth_p2p_set(p.link, p.y, ETH_P2P_DELAY, &v, 20 * MS), 0);
    struct eth_p2p_params now;
    CHECK_EQ(eth_p2p_get(p.link, p.x, &now), 0);
    CHECK(now.loss == 0.0);
    uint8_t buf[128];
    uint64_t t;
    int port;
    for (unsigned i = 0; i < 30; i++) {
        sim_run_until(p.sim, (uint64_t)i * MS);
        send_seq(p.x, i, 64);
        send_seq(p.y, i, 64);
    }
    sim_run_until(p.sim, 100 * MS);
    CHECK_EQ(eth_p2p_get(p.link, p.x, &now), 0);
    CHECK(now.loss == 1.0 && now.delay_ns == 1 * MS);
    CHECK_EQ(eth_p2p_get(p.link, p.y, &now), 0);
    CHECK(now.loss == 0.0 && now.delay_ns == 5 * MS);
    int from_x = 0;
    while (sim_raw_pop(p.y, buf, sizeof(buf), &t, &port) >= 0) {
        CHECK(buf[15] < 10);
        from_x++;
    }
    CHECK_EQ(from_x, 10);
    int from_y = 0;
    while (sim_raw_pop(p.x, buf, sizeof(buf), &t, &port) >= 0) {
        CHECK_EQ(t, (uint64_t)buf[15] * MS + (buf[15] < 20 ? 1 : 5) * MS);
        from_y++;
    }
    CHECK_EQ(from_y, 30);
    /* Out of range, unknown fields, a stranger as sender: refused. */
    struct eth_p2p_params bad = {.duplicate = 1.5};
    CHECK_EQ(eth_p2p_set(p.link, NULL, ETH_P2P_DUPLICATE, &bad, 0), LINK_EBADARG);
    bad = (struct eth_p2p_params){.burst = {.p = NAN}};
    CHECK_EQ(eth_p2p_set(p.link, NULL, ETH_P2P_BURST, &bad, 0), LINK_EBADARG);
    CHECK_EQ(eth_p2p_set(p.link, NULL, 1u << 20, &v, 0), LINK_EBADARG);
    int err;
    struct sim_node *z = sim_node_new_raw(p.sim, "z", &err);
    CHECK_EQ(eth_p2p_set(p.link, z, ETH_P2P_LOSS, &v, 0), LINK_EBADARG);
    struct eth_p2p_params bad_new = {.corrupt = -0.1};
    CHECK(eth_p2p_new(p.sim, p.x, z, "x-z", &bad_new, NULL, &err) == NULL && err == LINK_EBADARG);
    pair_free(&p);
}

static void test_down_up(void)
{
    /* 1 Mbit/s: 125-byte frames take 1 ms each; 5 ms delay. */
    struct eth_p2p_params prm = {.rate_bps = 1000000, .delay_ns = 5 * MS};
    struct pair p;
    pair_new(&p, 71, &prm, NULL);
    CHECK(eth_p2p_is_up(p.link));
    /* Three frames at t = 0: on the wire 0-1, 1-2, 2-3 ms; arrivals 6, 7, 8.
     * The link goes down at 1.5 ms and up at 4 ms: frame 0 is in flight,
     * frame 1 on the wire, frame 2 queued: all lost. */
    CHECK_EQ(eth_p2p_set_up(p.link, false, 1500 * US), 0);
    CHECK_EQ(eth_p2p_set_up(p.link, true, 4 * MS), 0);
    for (unsigned i = 0; i < 3; i++) send_seq(p.x, i, 125);
    sim_run_until(p.sim, 2 * MS);
    CHECK(!eth_p2p_is_up(p.link));
    /* Going down flushes the wire and the queue at once: all three are
     * counted at 1.5 ms. */
    CHECK_EQ(counter(p.link, "drop_down"), 3);
    CHECK_EQ(send_seq(p.x, 3, 125), 0); /* while down: dropped, no error */
    CHECK_EQ(counter(p.link, "drop_down"), 4);
    sim_run_until(p.sim, 4 * MS);
    CHECK(eth_p2p_is_up(p.link));
    send_seq(p.x, 4, 125); /* wire free at once: arrives 4 + 1 + 5 */
    sim_run_until(p.sim, 50 * MS);
    uint8_t buf[256];
    uint64_t t;
    int port;
    CHECK_EQ(sim_raw_pop(p.y, buf, sizeof(buf), &t, &port), 125);
    CHECK_EQ(buf[15], 4);
    CHECK_EQ(t, 10 * MS);
    CHECK_EQ(sim_raw_pop(p.y, buf, sizeof(buf), &t, &port), -1);
    CHECK_EQ(counter(p.link, "drop_down"), 4);
    CHECK_EQ(counter(p.link, "down_events"), 1);
    CHECK_EQ(counter(p.link, "frames"), 3); /* 0, 1 and 4 went onto the wire */
    CHECK_EQ(counter(p.link, "drop"), 4);
    /* Down twice is down once. */
    CHECK_EQ(eth_p2p_set_up(p.link, false, 0), 0);
    CHECK_EQ(eth_p2p_set_up(p.link, false, 0), 0);
    CHECK_EQ(counter(p.link, "down_events"), 2);
    pair_free(&p);
}

static void test_down_up_stack(void)
{
    /* A stack node's netif follows the cable: link flag down and up. */
    int err = 0;
    struct sim *sim = sim_new(81);
    struct sim_node *s = sim_node_new_stack(sim, "s", false, &err);
    struct sim_node *r = sim_node_new_raw(sim, "r", &err);
    CHECK(s != NULL && r != NULL);
    struct eth_p2p_params prm = {.delay_ns = 1 * MS};
    struct link *l = eth_p2p_new(sim, s, r, "s-r", &prm, NULL, &err);
    CHECK(l != NULL);
    struct netif *n = s->ports->netif;
    CHECK(netif_is_up(n));
    CHECK_EQ(eth_p2p_set_up(l, false, 5 * MS), 0);
    CHECK_EQ(eth_p2p_set_up(l, true, 10 * MS), 0);
    sim_run_until(sim, 5 * MS);
    CHECK(!netif_is_up(n));
    CHECK(!(n->flags & NETIF_FLAG_LINK_UP) && (n->flags & NETIF_FLAG_UP));
    sim_run_until(sim, 10 * MS);
    CHECK(netif_is_up(n));
    link_free(l);
    sim_free(sim);
}

static void all_impairments_run(const char *path)
{
    uint8_t buf[2048];
    struct eth_p2p_params prm = {.rate_bps = 10000000, .delay_ns = 500 * US, .jitter_ns = 200 * US,
                                 .loss = 0.05, .queue_frames = 8,
                                 .burst = {.p = 0.05, .r = 0.3, .loss_good = 0.01, .loss_bad = 0.9},
                                 .duplicate = 0.05, .reorder = 0.1, .reorder_delay_ns = 2 * MS,
                                 .corrupt = 0.05, .ber = 1e-5};
    struct pair p;
    pair_new(&p, 91, &prm, path);
    memset(buf, 0, sizeof(buf));
    struct eth_p2p_params later = {.loss = 0.2, .delay_ns = 3 * MS};
    eth_p2p_set(p.link, p.y, ETH_P2P_LOSS | ETH_P2P_DELAY, &later, 30 * MS);
    eth_p2p_set_up(p.link, false, 50 * MS);
    eth_p2p_set_up(p.link, true, 60 * MS);
    uint64_t t;
    int port;
    for (unsigned i = 0; i < 400; i++) {
        sim_run_until(p.sim, (uint64_t)i * 200 * US);
        send_seq(p.x, i, 60 + i % 300);
        if (i % 2) send_seq(p.y, i, 100);
        /* Echo what arrives, so both directions carry impaired frames. */
        while (sim_raw_pop(p.y, buf, sizeof(buf), &t, &port) >= 0) sim_port_send(p.y->ports, buf, 64);
    }
    sim_run_until(p.sim, 1000 * MS);
    CHECK(counter(p.link, "duplicated") > 0 && counter(p.link, "reordered") > 0 &&
          counter(p.link, "corrupted") > 0 && counter(p.link, "drop_burst") > 0 &&
          counter(p.link, "drop_down") > 0 && counter(p.link, "drop_loss") > 0);
    pair_free(&p);
}

static void test_pcap_deterministic(void)
{
    char a[512], b[512];
    tmp_path(a, sizeof(a), "shoal_test_link_impair_a.pcap");
    tmp_path(b, sizeof(b), "shoal_test_link_impair_b.pcap");
    all_impairments_run(a);
    all_impairments_run(b);
    static uint8_t ba[1 << 18], bb[1 << 18];
    long na = file_bytes(a, ba, sizeof(ba)), nb = file_bytes(b, bb, sizeof(bb));
    CHECK(na > 10000);
    CHECK_EQ(na, nb);
    CHECK(na == nb && memcmp(ba, bb, (size_t)na) == 0);
    remove(a);
    remove(b);
}

int main(void)
{
    test_burst();
    test_duplicate();
    test_reorder();
    test_corrupt();
    test_scheduled_set();
    test_down_up();
    test_down_up_stack();
    test_pcap_deterministic();
    return test_report("test_link_impair");
}
