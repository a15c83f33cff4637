/*
 * Pcap replay: address rewriting keeps right checksums right and wrong ones
 * wrong by the same amount (RFC 1624), leaves what it must not touch alone
 * (zero UDP checksums, later fragments, broadcasts, short frames), and a
 * replayed capture reaches a port at its recorded relative times and lands
 * in the link's capture.
 */
/* mkdtemp is POSIX, hidden by strict C11. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../stack/tests/check.h"
#include "eth_p2p.h"
#include "node.h"
#include "pcap_replay.h"
#include "pcap_writer.h"

static const uint8_t PORT_MAC[6] = {0x02, 0, 0, 0x01, 0, 0x01};
static const uint8_t FIELD_MAC[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t PEER_MAC[6] = {0x00, 0x66, 0x77, 0x88, 0x99, 0xaa};

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* The one's complement sum over a header including its checksum: 0xffff if right. */
static uint16_t ip_hdr_sum(const uint8_t *ip) { return fold(sum16(ip, 20, 0)); }

static uint16_t l4_sum(const uint8_t *ip, size_t l4len)
{
    uint32_t s = sum16(ip + 12, 8, 0); /* pseudo-header: addresses, */
    s += ip[9];                        /* protocol, */
    s += (uint32_t)l4len;              /* length */
    return fold(sum16(ip + 20, l4len, s));
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 (no options) + a transport header and payload, checksums right. */
static size_t build_ip(uint8_t *f, uint8_t proto, uint32_t src, uint32_t dst, uint16_t frag)
{
    memset(f, 0, 128);
    memcpy(f, FIELD_MAC, 6);
    memcpy(f + 6, PEER_MAC, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    size_t l4len = proto == 6 ? 20 + 5 : 8 + 5;
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)(20 + l4len));
    put16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    put16(ip + 12, (uint16_t)(src >> 16));
    put16(ip + 14, (uint16_t)src);
    put16(ip + 16, (uint16_t)(dst >> 16));
    put16(ip + 18, (uint16_t)dst);
    uint8_t *l4 = ip + 20;
    put16(l4, 1234);
    put16(l4 + 2, 80);
    if (proto == 6) l4[12] = 5 << 4;
    else put16(l4 + 4, (uint16_t)l4len);
    memcpy(l4 + l4len - 5, "hello", 5);
    put16(ip + 10, (uint16_t)~ip_hdr_sum(ip));
    uint8_t *c = proto == 6 ? l4 + 16 : l4 + 6;
    put16(c, (uint16_t)~l4_sum(ip, l4len));
    return 14 + 20 + l4len;
}

static struct pcap_replay_opts opts_map(uint32_t from, uint32_t to)
{
    struct pcap_replay_opts o;
    memset(&o, 0, sizeof(o));
    o.rewrite_mac = true;
    o.ip_map_count = 1;
    o.ip_from[0] = from;
    o.ip_to[0] = to;
    return o;
}

static void test_rewrite_checksums(void)
{
    const uint32_t field = 0xc0a8070a, lab = 0x0a000001, peer = 0xc0a80714;
    struct pcap_replay_opts o = opts_map(field, lab);
    uint8_t f[128];
    for (int proto = 6; proto <= 17; proto += 11) {
        size_t len = build_ip(f, (uint8_t)proto, peer, field, 0);
        CHECK_EQ(replay_rewrite(f, len, PORT_MAC, &o), REPLAY_REWROTE_MAC | REPLAY_REWROTE_IP);
        CHECK(memcmp(f, PORT_MAC, 6) == 0);
        CHECK(f[14 + 16] == 10 && f[14 + 19] == 1);
        CHECK_EQ(ip_hdr_sum(f + 14), 0xffff);
        CHECK_EQ(l4_sum(f + 14, len - 34), 0xffff);
    }
    /* A wrong IP header checksum stays exactly as wrong. */
    size_t len = build_ip(f, 17, peer, field, 0);
    f[14 + 10] ^= 0x01;
    uint16_t before = ip_hdr_sum(f + 14);
    replay_rewrite(f, len, PORT_MAC, &o);
    CHECK_EQ(ip_hdr_sum(f + 14), before);
    CHECK_EQ(l4_sum(f + 14, len - 34), 0xffff);
    /* No UDP checksum (0) stays none. */
    len = build_ip(f, 17, peer, field, 0);
    put16(f + 34 + 6, 0);
    replay_rewrite(f, len, PORT_MAC, &o);
    CHECK(f[40] == 0 && f[41] == 0);
    /* A later fragment has no transport header: only IP changes. */
    len = build_ip(f, 17, peer, field, 0x0010);
    uint8_t l4[16];
    memcpy(l4, f + 34, sizeof(l4));
    replay_rewrite(f, len, PORT_MAC, &o);
    CHECK(memcmp(l4, f + 34, sizeof(l4)) == 0);
    CHECK_EQ(ip_hdr_sum(f + 14), 0xffff);
    /* Source addresses are mapped too (both directions of a conversation). */
    struct pcap_replay_opts both = opts_map(peer, 0x0a000002);
    len = build_ip(f, 6, peer, field, 0);
    CHECK_EQ(replay_rewrite(f, len, PORT_MAC, &both), REPLAY_REWROTE_MAC | REPLAY_REWROTE_IP);
    CHECK(f[14 + 12] == 10 && f[14 + 15] == 2);
    CHECK_EQ(l4_sum(f + 14, len - 34), 0xffff);
}

static void test_rewrite_arp_and_broadcast(void)
{
    const uint32_t field = 0xc0a8070a, lab = 0x0a000001;
    struct pcap_replay_opts o = opts_map(field, lab);
    uint8_t f[60];
    memset(f, 0, sizeof(f));
    memcpy(f, FIELD_MAC, 6); /* an ARP reply to the field device */
    memcpy(f + 6, PEER_MAC, 6);
    put16(f + 12, 0x0806);
    uint8_t *a = f + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 2);
    memcpy(a + 8, PEER_MAC, 6);
    memcpy(a + 18, FIELD_MAC, 6);
    put16(a + 24, (uint16_t)(field >> 16));
    put16(a + 26, (uint16_t)field);
    CHECK_EQ(replay_rewrite(f, sizeof(f), PORT_MAC, &o), REPLAY_REWROTE_MAC | REPLAY_REWROTE_IP);
    CHECK(memcmp(f, PORT_MAC, 6) == 0 && memcmp(a + 18, PORT_MAC, 6) == 0);
    CHECK(a[24] == 10 && a[27] == 1);
    /* Broadcast destinations are left alone. */
    memset(f, 0xff, 6);
    replay_rewrite(f, sizeof(f), PORT_MAC, &o);
    CHECK(f[0] == 0xff && f[5] == 0xff);
    /* Short and garbage frames: nothing happens, nothing breaks. */
    uint8_t junk[64];
    for (size_t len = 0; len < sizeof(junk); len++) {
        for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (uint8_t)(i * 37u + len);
        put16(junk + 12, len & 1 ? 0x0800 : 0x0806);
        if (len > 14) junk[14] = 0x4f; /* IHL 15: longer than the frame */
        (void)replay_rewrite(junk, len, PORT_MAC, &o);
    }
}

/* Frames at 1.000, 1.002 and 1.010 s in the file arrive 0, 2 and 10 ms
 * after the start, skipping the port's own frame, into the link's pcap. */
static void test_replay_timing(void)
{
    char dir[] = "/tmp/shoal_replay_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char src[64], out[64];
    snprintf(src, sizeof(src), "%s/in.pcap", dir);
    snprintf(out, sizeof(out), "%s/out.pcap", dir);
    int err = 0;
    struct sim *sim = sim_new(1);
    struct sim_node *x = sim_node_new_raw(sim, "x", &err);
    struct sim_node *y = sim_node_new_raw(sim, "y", &err);
    struct eth_p2p_params prm = {0};
    struct link *l = eth_p2p_new(sim, x, y, "x-y", &prm, out, &err);
    CHECK(l != NULL);
    struct pcap_writer *w = pcap_writer_open(src, 1);
    uint8_t f[60];
    const uint64_t times[4] = {1000000000u, 1002000000u, 1005000000u, 1010000000u};
    for (int i = 0; i < 4; i++) {
        memset(f, 0, sizeof(f));
        memcpy(f, x->ports->mac, 6);
        memcpy(f + 6, i == 2 ? x->ports->mac : PEER_MAC, 6); /* frame 2: x's own */
        f[14] = (uint8_t)i;
        pcap_writer_write(w, times[i], f, sizeof(f));
    }
    pcap_writer_close(w);
    sim_run_until(sim, 500000000u);
    struct pcap_replay_opts o;
    memset(&o, 0, sizeof(o));
    o.skip_own = true;
    o.start_ns = 0; /* earlier than now: starts now */
    char errbuf[256] = "";
    struct pcap_replay *r = pcap_replay_start(sim, x->ports, l, src, &o, errbuf, sizeof(errbuf));
    CHECK(r != NULL);
    sim_run_until(sim, 2000000000u);
    CHECK(pcap_replay_done(r));
    uint8_t buf[64];
    uint64_t t;
    int idx;
    const uint64_t want[3] = {500000000u, 502000000u, 510000000u};
    const uint8_t tags[3] = {0, 1, 3};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(sim_raw_pop(x, buf, sizeof(buf), &t, &idx), 60);
        CHECK_EQ(t, want[i]);
        CHECK_EQ(buf[14], tags[i]);
    }
    CHECK(sim_raw_pop(x, buf, sizeof(buf), &t, &idx) < 0);
    const char *name;
    uint64_t v;
    for (int i = 0; pcap_replay_stat(r, i, &name, &v); i++) {
        if (strcmp(name, "injected") == 0) CHECK_EQ(v, 3);
        if (strcmp(name, "skipped_own") == 0) CHECK_EQ(v, 1);
        if (strcmp(name, "read") == 0) CHECK_EQ(v, 4);
    }
    /* A missing file and an unsupported link type are refused with a reason. */
    CHECK(pcap_replay_start(sim, x->ports, l, "/nonexistent.pcap", &o, errbuf, sizeof(errbuf)) == NULL);
    CHECK(errbuf[0] != '\0');
    w = pcap_writer_open(src, 195); /* IEEE 802.15.4 */
    pcap_writer_write(w, 0, f, sizeof(f));
    pcap_writer_close(w);
    CHECK(pcap_replay_start(sim, x->ports, l, src, &o, errbuf, sizeof(errbuf)) == NULL);
    CHECK(strstr(errbuf, "not replayable") != NULL);
    sim_free(sim);
    link_free(l);
    pcap_replay_free(r);
    /* The link's capture got the three replayed frames (24-byte header,
     * then 16 + 60 bytes each). */
    FILE *fp = fopen(out, "rb");
    CHECK(fp != NULL);
    if (fp) {
        fseek(fp, 0, SEEK_END);
        CHECK_EQ(ftell(fp), 24 + 3 * (16 + 60));
        fclose(fp);
    }
    unlink(src);
    unlink(out);
    rmdir(dir);
}

int main(void)
{
    test_rewrite_checksums();
    test_rewrite_arp_and_broadcast();
    test_replay_timing();
    return test_report("test_pcap_replay");
}
