/*
 * The Ethernet point-to-point link between raw hosts: serialisation and
 * delay, FIFO queueing with tail drop, the MTU, jitter that never reorders
 * (and does when allowed), loss, counters, deterministic MACs, and that the
 * same seed writes a byte-identical pcap (lost frames included, refused
 * ones not).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../stack/tests/check.h"
#include "link_test_pair.h"
#include "eth_p2p.h"
#include "node.h"

static int send_tagged(struct pair *p, uint8_t tag, size_t len)
{
    uint8_t f[2048];
    memset(f, 0, sizeof(f));
    f[14] = tag;
    return sim_port_send(p->x->ports, f, len);
}

static void test_timing_and_queue(void)
{
    /* 1 Mbit/s: a 125-byte frame takes 1 ms on the wire; 1 ms delay. */
    struct eth_p2p_params prm = {.rate_bps = 1000000, .delay_ns = 1000000, .queue_frames = 2};
    struct pair p;
    pair_new(&p, 1, &prm, NULL);
    for (uint8_t i = 0; i < 5; i++) CHECK_EQ(send_tagged(&p, i, 125), 0);
    sim_run_until(p.sim, 100000000);
    /* One on the wire, two waiting, two tail-dropped; FIFO order. */
    uint8_t buf[2048];
    uint64_t t;
    int port;
    for (uint8_t i = 0; i < 3; i++) {
        CHECK_EQ(sim_raw_pop(p.y, buf, sizeof(buf), &t, &port), 125);
        CHECK_EQ(buf[14], i);
        CHECK_EQ(t, 2000000u + i * 1000000u);
        CHECK_EQ(port, 1);
    }
    CHECK_EQ(sim_raw_pop(p.y, buf, sizeof(buf), &t, &port), -1);
    CHECK_EQ(counter(p.link, "drop_queue"), 2);
    CHECK_EQ(counter(p.link, "frames_ab"), 3);
    CHECK_EQ(counter(p.link, "bytes_ab"), 375);
    CHECK_EQ(counter(p.link, "delivered"), 3);
    /* MTU 1500: a 1514-byte frame fits, 1515 does not. */
    CHECK(send_tagged(&p, 9, 1515) < 0);
    CHECK_EQ(send_tagged(&p, 9, 1514), 0);
    CHECK_EQ(counter(p.link, "drop_mtu"), 1);
    CHECK_EQ(counter(p.link, "drop"), 3);
    /* MACs: 02:NN:NN:NN:II:II with creation index and port. */
    static const uint8_t mac_y[6] = {0x02, 0, 0, 2, 0, 1};
    CHECK(memcmp(p.y->ports->mac, mac_y, 6) == 0);
    CHECK_EQ(link_ifindex(p.link, p.x), 1);
    pair_free(&p);
}

static int count_inversions(uint8_t allow_reorder, uint64_t seed)
{
    struct eth_p2p_params prm = {.delay_ns = 1000000, .jitter_ns = 5000000, .allow_reorder = allow_reorder};
    struct pair p;
    pair_new(&p, seed, &prm, NULL);
    for (int i = 0; i < 200; i++) {
        send_tagged(&p, (uint8_t)i, 64);
        sim_run_until(p.sim, (uint64_t)(i + 1) * 100000u);
    }
    sim_run_until(p.sim, 1000000000u);
    uint8_t buf[128];
    uint64_t t, prev_t = 0;
    int port, inversions = 0, n = 0, prev = -1;
    while (sim_raw_pop(p.y, buf, sizeof(buf), &t, &port) >= 0) {
        if (buf[14] < prev) inversions++;
        CHECK(t >= prev_t);
        /* Arrival within [send + delay, send + delay + jitter] unless held
         * back behind an earlier frame. */
        CHECK(t >= (uint64_t)buf[14] * 100000u + 1000000u);
        prev = buf[14];
        prev_t = t;
        n++;
    }
    CHECK_EQ(n, 200);
    pair_free(&p);
    return inversions;
}

static void test_jitter(void)
{
    CHECK_EQ(count_inversions(0, 3), 0);
    CHECK(count_inversions(1, 3) > 0);
}

static void test_loss(void)
{
    struct eth_p2p_params prm = {.loss = 0.25};
    struct pair p;
    pair_new(&p, 11, &prm, NULL);
    for (int i = 0; i < 20000; i++) send_tagged(&p, 0, 60);
    sim_run_until(p.sim, 1);
    uint64_t lost = counter(p.link, "drop_loss");
    CHECK(lost > 4500 && lost < 5500);
    CHECK_EQ(counter(p.link, "delivered") + lost, 20000);
    CHECK_EQ(counter(p.link, "frames"), 20000); /* lost frames were on the wire */
    pair_free(&p);
}

static long file_bytes(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return (long)n;
}

static void pcap_run(const char *path)
{
    struct eth_p2p_params prm = {.rate_bps = 10000000, .delay_ns = 500000, .jitter_ns = 100000, .loss = 0.3,
                                 .queue_frames = 4};
    struct pair p;
    pair_new(&p, 5, &prm, path);
    for (int i = 0; i < 50; i++) {
        send_tagged(&p, (uint8_t)i, 60 + (size_t)i);
        if (i % 3 == 0) sim_port_send(p.y->ports, (const uint8_t *)"\xff\xff\xff\xff\xff\xff\x02\0\0\2\0\1\x08\x06", 14);
        sim_run_until(p.sim, (uint64_t)i * 20000u);
    }
    send_tagged(&p, 0, 3000); /* refused: not captured */
    sim_run_until(p.sim, 1000000000u);
    pair_free(&p);
}

static void test_pcap_deterministic(void)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/shoal_test_eth_p2p_a.pcap", dir);
    snprintf(b, sizeof(b), "%s/shoal_test_eth_p2p_b.pcap", dir);
    pcap_run(a);
    pcap_run(b);
    static uint8_t ba[1 << 16], bb[1 << 16];
    long na = file_bytes(a, ba, sizeof(ba)), nb = file_bytes(b, bb, sizeof(bb));
    CHECK(na > 24);
    CHECK_EQ(na, nb);
    CHECK(na == nb && memcmp(ba, bb, (size_t)na) == 0);
    /* Nanosecond pcap magic, Ethernet link type. */
    CHECK(na > 24 && ba[0] == 0x4d && ba[1] == 0x3c && ba[2] == 0xb2 && ba[3] == 0xa1);
    CHECK(na > 24 && ba[20] == 1);
    remove(a);
    remove(b);
}

int main(void)
{
    test_timing_and_queue();
    test_jitter();
    test_loss();
    test_pcap_deterministic();
    return test_report("test_eth_p2p");
}
