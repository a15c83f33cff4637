/*
 * The Ethernet switch between raw hosts: learning, flooding of unknown,
 * broadcast and multicast destinations, filtering, ageing on the virtual
 * clock, the bounded table, a hub, partitions (now and scheduled), the
 * flush on carrier loss, invalid sources, reserved addresses, timing
 * across two segments, and byte-identical per-port pcaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../stack/tests/check.h"
#include "eth_p2p.h"
#include "eth_switch.h"
#include "node.h"

#define MS 1000000ull
#define S 1000000000ull
#define HOSTS 4

struct net {
    struct sim *sim;
    struct eth_switch *sw;
    struct sim_node *h[HOSTS];
    struct link *l[HOSTS];
};

static void net_new(struct net *n, const struct eth_switch_params *sp, int hosts, const char *pcap_dir)
{
    int err = 0;
    memset(n, 0, sizeof(*n));
    n->sim = sim_new(7);
    n->sw = eth_switch_new(n->sim, "sw", sp, &err);
    CHECK(n->sw != NULL);
    struct eth_p2p_params prm = {.delay_ns = 1 * MS};
    for (int i = 0; i < hosts; i++) {
        char name[16], lname[16], path[512];
        snprintf(name, sizeof(name), "h%d", i);
        snprintf(lname, sizeof(lname), "h%d-sw", i);
        n->h[i] = sim_node_new_raw(n->sim, name, &err);
        if (pcap_dir) snprintf(path, sizeof(path), "%s/%s.pcap", pcap_dir, lname);
        n->l[i] = eth_p2p_new(n->sim, n->h[i], eth_switch_node(n->sw), lname, &prm, pcap_dir ? path : NULL, &err);
        CHECK(n->l[i] != NULL);
    }
}

static void net_free(struct net *n)
{
    for (int i = 0; i < HOSTS; i++) link_free(n->l[i]);
    sim_free(n->sim);
}

static uint64_t sw_counter(const struct eth_switch *sw, const char *want)
{
    const char *name;
    uint64_t v;
    for (int i = 0; eth_switch_stat(sw, i, &name, &v); i++)
        if (strcmp(name, want) == 0) return v;
    CHECK(!"no such counter");
    return 0;
}

static const uint8_t *mac_of(const struct net *n, int host) { return n->h[host]->ports->mac; }

/* Host `from` sends a 60-byte frame to dst (tag in byte 14). */
static void send_to(struct net *n, int from, const uint8_t dst[6], uint8_t tag)
{
    uint8_t f[60];
    memset(f, 0, sizeof(f));
    memcpy(f, dst, 6);
    memcpy(f + 6, mac_of(n, from), 6);
    f[12] = 0x88;
    f[13] = 0xb5; /* IEEE 802 local experimental ethertype */
    f[14] = tag;
    CHECK_EQ(sim_port_send(n->h[from]->ports, f, sizeof(f)), 0);
}

/* Frames waiting at host i; their tags go to tags[] (up to 16). */
static int drain(struct net *n, int i, uint8_t *tags, uint64_t *last_t)
{
    uint8_t buf[128];
    uint64_t t;
    int port, k = 0;
    while (sim_raw_pop(n->h[i], buf, sizeof(buf), &t, &port) >= 0) {
        if (tags && k < 16) tags[k] = buf[14];
        if (last_t) *last_t = t;
        k++;
    }
    return k;
}

static void run_for(struct net *n, uint64_t ns) { sim_run_until(n->sim, n->sim->now_ns + ns); }

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void test_learning_and_flooding(void)
{
    struct net n;
    net_new(&n, NULL, 3, NULL);
    /* Unknown unicast: flooded to h1 and h2, not back to h0. */
    send_to(&n, 0, mac_of(&n, 1), 1);
    run_for(&n, 10 * MS);
    uint64_t t = 0;
    CHECK_EQ(drain(&n, 1, NULL, &t), 1);
    CHECK_EQ(t, 2 * MS); /* two 1 ms segments, forwarding takes no time */
    CHECK_EQ(drain(&n, 2, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 0);
    CHECK_EQ(sw_counter(n.sw, "flooded"), 1);
    CHECK_EQ(eth_switch_mac_count(n.sw), 1);
    /* h1 answers: h0 was learnt, so only h0 gets it; h1 is learnt too. */
    send_to(&n, 1, mac_of(&n, 0), 2);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 0);
    CHECK_EQ(sw_counter(n.sw, "forwarded"), 1);
    /* Now h0 -> h1 is known: h2 sees nothing. */
    send_to(&n, 0, mac_of(&n, 1), 3);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 0);
    /* The table: h0 on port 1, h1 on port 2 (the switch's numbering). */
    CHECK_EQ(eth_switch_mac_count(n.sw), 2);
    int seen = 0;
    uint8_t mac[6];
    struct sim_port *port;
    uint64_t age;
    for (int i = 0; eth_switch_mac_entry(n.sw, i, mac, &port, &age); i++) {
        for (int h = 0; h < 2; h++) {
            if (memcmp(mac, mac_of(&n, h), 6) == 0) {
                CHECK_EQ(port->index, h + 1);
                CHECK_EQ(port->node, eth_switch_node(n.sw));
                seen |= 1 << h;
            }
        }
        CHECK(age <= 30 * MS);
    }
    CHECK_EQ(seen, 3);
    /* Broadcast and multicast are flooded whatever is learnt. */
    send_to(&n, 2, bcast, 4);
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    send_to(&n, 2, mcast, 5);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 2);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 2);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 0);
    /* A frame for a station on its own ingress port is filtered. */
    send_to(&n, 0, mac_of(&n, 0), 6);
    run_for(&n, 10 * MS);
    CHECK_EQ(sw_counter(n.sw, "filtered"), 1);
    for (int i = 0; i < 3; i++) CHECK_EQ(drain(&n, i, NULL, NULL), 0);
    net_free(&n);
}

static void test_invalid_and_reserved(void)
{
    struct net n;
    net_new(&n, NULL, 2, NULL);
    uint8_t f[60] = {0};
    memcpy(f, bcast, 6);
    f[6] = 0x01; /* group source */
    CHECK_EQ(sim_port_send(n.h[0]->ports, f, sizeof(f)), 0);
    memset(f + 6, 0, 6); /* zero source */
    CHECK_EQ(sim_port_send(n.h[0]->ports, f, sizeof(f)), 0);
    static const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
    send_to(&n, 0, stp, 1);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 0);
    CHECK_EQ(sw_counter(n.sw, "drop_bad_src"), 2);
    CHECK_EQ(sw_counter(n.sw, "drop_reserved"), 1);
    CHECK_EQ(sw_counter(n.sw, "drop"), 3);
    CHECK_EQ(eth_switch_mac_count(n.sw), 1); /* the STP frame's sender */
    net_free(&n);
}

static void test_ageing(void)
{
    struct eth_switch_params sp = {.ageing_ns = 10 * S};
    struct net n;
    net_new(&n, &sp, 3, NULL);
    send_to(&n, 0, bcast, 1);
    run_for(&n, 5 * S);
    for (int i = 0; i < 3; i++) drain(&n, i, NULL, NULL);
    /* 5 s old: known, so h2 does not see h1's frame to h0. */
    send_to(&n, 1, mac_of(&n, 0), 2);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 0);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    CHECK_EQ(eth_switch_mac_count(n.sw), 2);
    /* At 10 s after h0's last frame its entry is gone: flooded again. */
    sim_run_until(n.sim, 10 * S + 1 * MS);
    send_to(&n, 1, mac_of(&n, 0), 3);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    CHECK_EQ(sw_counter(n.sw, "aged"), 1);
    CHECK_EQ(eth_switch_mac_count(n.sw), 1); /* h1, refreshed at 10 s */
    sim_run_until(n.sim, 30 * S);
    CHECK_EQ(eth_switch_mac_count(n.sw), 0);
    CHECK_EQ(sw_counter(n.sw, "aged"), 2);
    net_free(&n);
}

static void test_bounded_table(void)
{
    struct eth_switch_params sp = {.ageing_ns = ETH_SWITCH_DEFAULT_AGEING_NS, .table_size = 2};
    struct net n;
    net_new(&n, &sp, 3, NULL);
    for (int i = 0; i < 3; i++) send_to(&n, i, bcast, (uint8_t)i);
    run_for(&n, 10 * MS);
    CHECK_EQ(eth_switch_mac_count(n.sw), 2);
    CHECK_EQ(sw_counter(n.sw, "table_full"), 1);
    for (int i = 0; i < 3; i++) drain(&n, i, NULL, NULL);
    /* h2 was not learnt: a frame to it is flooded. */
    send_to(&n, 0, mac_of(&n, 2), 9);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 1);
    net_free(&n);
}

static void test_table_churn(void)
{
    /* Many addresses in a small table: removals (backward shift) must keep
     * every other entry findable. Sources are synthetic MACs from one host. */
    struct eth_switch_params sp = {.ageing_ns = 0, .table_size = 64};
    struct net n;
    net_new(&n, &sp, 2, NULL);
    uint8_t f[60] = {0};
    memcpy(f, bcast, 6);
    for (int k = 0; k < 60; k++) {
        f[6] = 0x02;
        f[10] = (uint8_t)(k * 37);
        f[11] = (uint8_t)k;
        sim_port_send(n.h[k % 2]->ports, f, sizeof(f));
    }
    run_for(&n, 10 * MS);
    CHECK_EQ(eth_switch_mac_count(n.sw), 60);
    /* Pull h0's cable: its 30 addresses go, h1's 30 stay and are found. */
    CHECK_EQ(eth_p2p_set_up(n.l[0], false, 0), 0);
    CHECK_EQ(eth_switch_mac_count(n.sw), 30);
    CHECK_EQ(sw_counter(n.sw, "flushed"), 30);
    uint8_t mac[6];
    struct sim_port *port;
    for (int i = 0; eth_switch_mac_entry(n.sw, i, mac, &port, NULL); i++) CHECK_EQ(port->index, 2);
    drain(&n, 1, NULL, NULL);
    uint64_t fwd = sw_counter(n.sw, "forwarded");
    CHECK_EQ(eth_p2p_set_up(n.l[0], true, 0), 0);
    for (int k = 1; k < 60; k += 2) {
        uint8_t dst[6] = {0x02, 0, 0, 0, (uint8_t)(k * 37), (uint8_t)k};
        send_to(&n, 0, dst, (uint8_t)k);
    }
    run_for(&n, 10 * MS);
    CHECK_EQ(sw_counter(n.sw, "forwarded"), fwd + 30);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 30);
    net_free(&n);
}

static void test_hub(void)
{
    struct eth_switch_params sp = {.hub = true};
    struct net n;
    net_new(&n, &sp, 3, NULL);
    send_to(&n, 0, mac_of(&n, 1), 1);
    send_to(&n, 1, mac_of(&n, 0), 2);
    send_to(&n, 0, mac_of(&n, 1), 3);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 2);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 3); /* a hub: everyone hears everything */
    CHECK_EQ(eth_switch_mac_count(n.sw), 0);
    CHECK_EQ(sw_counter(n.sw, "flooded"), 3);
    CHECK(eth_switch_is_hub(n.sw));
    net_free(&n);
}

static void test_partition(void)
{
    struct net n;
    net_new(&n, NULL, 3, NULL);
    for (int i = 0; i < 3; i++) send_to(&n, i, bcast, 0); /* learn everyone */
    run_for(&n, 10 * MS);
    for (int i = 0; i < 3; i++) drain(&n, i, NULL, NULL);
    /* {h0, h1} | {h2}, scheduled at 1 s; before that all talk. */
    const uint32_t groups[3] = {1, 1, 2};
    CHECK_EQ(eth_switch_partition(n.sw, groups, 3, 1 * S), 0);
    send_to(&n, 2, mac_of(&n, 0), 1);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    sim_run_until(n.sim, 1 * S);
    CHECK_EQ(eth_switch_port_group(n.sw, 3), 2);
    send_to(&n, 2, mac_of(&n, 0), 2); /* known unicast across: dropped */
    send_to(&n, 0, bcast, 3);         /* flood stays in {h0, h1} */
    send_to(&n, 1, mac_of(&n, 0), 4); /* inside the group: fine */
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 1, NULL, NULL), 1);
    CHECK_EQ(drain(&n, 2, NULL, NULL), 0);
    CHECK_EQ(sw_counter(n.sw, "drop_partition"), 1);
    /* Heal now. */
    CHECK_EQ(eth_switch_partition(n.sw, NULL, 0, 0), 0);
    send_to(&n, 2, mac_of(&n, 0), 5);
    run_for(&n, 10 * MS);
    CHECK_EQ(drain(&n, 0, NULL, NULL), 1);
    net_free(&n);
}

static long file_bytes(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return -1;
    long n = (long)fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void pcap_run(const char *dir)
{
    struct net n;
    net_new(&n, NULL, 3, dir);
    for (int k = 0; k < 20; k++) {
        send_to(&n, k % 3, k % 4 == 0 ? bcast : mac_of(&n, (k + 1) % 3), (uint8_t)k);
        run_for(&n, 3 * MS);
    }
    run_for(&n, 100 * MS);
    net_free(&n);
}

static void test_pcap_deterministic(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/shoal_test_sw_a", tmp);
    snprintf(b, sizeof(b), "%s/shoal_test_sw_b", tmp);
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "mkdir -p %s %s", a, b);
    CHECK_EQ(system(cmd), 0);
    pcap_run(a);
    pcap_run(b);
    static uint8_t ba[1 << 16], bb[1 << 16];
    for (int i = 0; i < 3; i++) {
        char pa[600], pb[600];
        snprintf(pa, sizeof(pa), "%s/h%d-sw.pcap", a, i);
        snprintf(pb, sizeof(pb), "%s/h%d-sw.pcap", b, i);
        long na = file_bytes(pa, ba, sizeof(ba)), nb = file_bytes(pb, bb, sizeof(bb));
        CHECK(na > 24);
        CHECK(na == nb && memcmp(ba, bb, (size_t)na) == 0);
        remove(pa);
        remove(pb);
    }
}

int main(void)
{
    test_learning_and_flooding();
    test_invalid_and_reserved();
    test_ageing();
    test_bounded_table();
    test_table_churn();
    test_hub();
    test_partition();
    test_pcap_deterministic();
    return test_report("test_eth_switch");
}
