/*
 * libFuzzer harness: arbitrary DHCP messages into the DHCP client in every
 * state it can reach, and into the simulation DHCP server.
 *
 * Each input gets a fresh instance on the deterministic fake platform with
 * two Ethernet netifs: eth0 runs the DHCP client (with the AutoIP fallback
 * after 2 DISCOVERs; the first input byte's bit 0 turns the RFC 5227 probe
 * of the offered address on), eth1 is 10.0.0.1/24 and runs the DHCP server
 * (pool 10.0.0.100-10.0.0.200, lease 600 s). The rest of the input is a
 * sequence of records, each starting with a 16-bit big-endian word w:
 *   w & 0xc000 == 0xc000   advance the clock by (w & 0x3ff) s, or ms with
 *                          bit 0x2000 set, running the timers that fall due
 *                          (retransmissions, T1, T2, lease expiry, ACD
 *                          probes and announcements)
 *   w & 0xc000 == 0x8000   an action, op w & 0xf: renew, release, restart
 *                          the client, link down / up, an ARP packet from
 *                          another host claiming the client's address (a
 *                          conflict), a probe for it, stop / restart the
 *                          server, start AutoIP
 *   otherwise              a DHCP message of (w & 0x7ff) bytes follows (fewer
 *                          if the input ends), wrapped in Ethernet/IPv4/UDP
 *                          with right checksums and fed through netif_input:
 *                          to the client (from 10.0.0.2:67, broadcast), or,
 *                          with bit 0x1000, to the server (from 0.0.0.0:68).
 *                          With bit 0x0800 the harness first writes the
 *                          client's current xid and MAC into it, so replies
 *                          get past the transaction match and drive the
 *                          state machine on.
 * Oracles besides ASan/UBSan: frames sent are 60..1514 bytes with a sane
 * IPv4 header (fuzz_platform.h); while the client holds a lease (and AutoIP
 * is off) the netif's address is the leased one; no timer livelocks or lies
 * beyond 2^32 s ahead; pools never over-report; and once the client,
 * AutoIP and the server are stopped and every timer has expired, the netif
 * has no address and every pool is empty.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/stack.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/ip4.h"
#include "shoal/udp.h"
#include "shoal/etharp.h"
#include "shoal/ethernet.h"
#include "shoal/dhcp.h"
#include "shoal/dhcp_server.h"
#include "shoal/autoip.h"
#include "fuzz_platform.h"

#define HARNESS "fuzz_dhcp"
#define MSG_LEN_MASK 0x07ffu
#define MSG_PATCH_XID 0x0800u
#define MSG_TO_SERVER 0x1000u
#define CONFIG_CHECK_ADDRESS 0x01u
#define ADVANCE_MS 0x2000u
#define ADVANCE_MASK 0x03ffu
#define FRAME_MAX 1514u
/* Longer than any DHCP or ACD timer chain once everything is stopped. */
#define DRAIN_S 4000u
/* The furthest a timer may legitimately lie ahead: a lease of 2^32-1 s. */
#define MAX_AHEAD_NS (0x100000000ull * SHOAL_NS_PER_S)

struct harness {
    struct test_platform tp;
    struct stack *stack;
    struct netif *client_if;
    struct netif *server_if;
    struct dhcp dhcp;
    struct autoip autoip_fallback;
    struct autoip autoip;
    struct dhcp_server server;
    struct dhcp_server_config server_cfg;
    bool server_on;
};

static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t server_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t peer_mac[6] = {0x02, 0xaa, 0, 0, 0, 0x09};

static void fail(const char *why, unsigned long long value) { fuzz_fail(HARNESS, why, value); }

static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    uint8_t frame[1600];
    fuzz_check_sent_frame(HARNESS, p, frame, sizeof(frame));
    return ERR_OK;
}

static void advance(struct harness *h, uint64_t until_ns)
{
    unsigned runs = 0;
    for (;;) {
        uint64_t next = stack_next_deadline(h->stack);
        if (next > until_ns) break;
        if (++runs > FUZZ_MAX_TIMER_RUNS) fail("timer livelock: deadline never moves past", next);
        if (next > h->tp.now_ns) h->tp.now_ns = next;
        stack_run_timers(h->stack, h->tp.now_ns);
    }
    if (until_ns > h->tp.now_ns) h->tp.now_ns = until_ns;
    uint64_t next = stack_next_deadline(h->stack);
    if (next != SHOAL_TIME_NEVER && next - h->tp.now_ns > MAX_AHEAD_NS)
        fail("next deadline implausibly far ahead (s)", (next - h->tp.now_ns) / SHOAL_NS_PER_S);
}

static bool leased(const struct dhcp *d)
{
    return d->state == DHCP_STATE_BOUND || d->state == DHCP_STATE_RENEWING || d->state == DHCP_STATE_REBINDING;
}

static void check_invariants(struct harness *h)
{
    fuzz_check_pools(HARNESS, h->stack, false);
    if (h->client_if->dhcp == &h->dhcp && leased(&h->dhcp) && h->client_if->autoip == NULL &&
        h->client_if->ip4.addr != h->dhcp.offered_ip.addr)
        fail("bound, but the netif's address is not the lease's", ip4_addr_to_u32(h->client_if->ip4));
}

/* ---- frames in ---- */

static void put_ip(uint8_t *p, uint32_t a) { wr32be(p, a); }

/* Ethernet/IPv4/UDP around a DHCP message, with right checksums. */
static size_t wrap(uint8_t *f, const uint8_t *msg, size_t len, bool to_server)
{
    memset(f, 0, ETH_HDR_LEN + IP4_HDR_LEN + UDP_HDR_LEN);
    memset(f, 0xff, 6); /* broadcast */
    memcpy(f + 6, to_server ? peer_mac : server_mac, 6);
    wr16be(f + 12, ETHTYPE_IP4);
    uint8_t *ip = f + ETH_HDR_LEN;
    size_t total = IP4_HDR_LEN + UDP_HDR_LEN + len;
    ip[0] = 0x45;
    wr16be(ip + 2, (uint16_t)total);
    ip[8] = 64;
    ip[9] = IP_PROTO_UDP;
    put_ip(ip + 12, to_server ? 0 : 0x0a000002u);
    put_ip(ip + 16, 0xffffffffu);
    uint8_t *u = ip + IP4_HDR_LEN;
    wr16be(u, to_server ? DHCP_CLIENT_PORT : DHCP_SERVER_PORT);
    wr16be(u + 2, to_server ? DHCP_SERVER_PORT : DHCP_CLIENT_PORT);
    wr16be(u + 4, (uint16_t)(UDP_HDR_LEN + len));
    memcpy(u + UDP_HDR_LEN, msg, len);
    size_t n = ETH_HDR_LEN + total;
    fuzz_fix_checksums(f, n);
    return n;
}

static void feed(struct netif *netif, const uint8_t *frame, size_t len)
{
    struct pbuf *p = pbuf_alloc(netif->stack, PBUF_RAW, len);
    if (p == NULL) return;
    pbuf_take(p, frame, len);
    netif_input(netif, p);
}

static void deliver_msg(struct harness *h, const uint8_t *data, size_t len, uint16_t w)
{
    uint8_t msg[DHCP_MAX_MSG_LEN];
    if (len > sizeof(msg)) len = sizeof(msg);
    memcpy(msg, data, len);
    /* The pure parser sees the bytes as they came. */
    struct dhcp_msg m;
    (void)dhcp_parse(msg, len, &m);
    bool to_server = (w & MSG_TO_SERVER) != 0;
    if ((w & MSG_PATCH_XID) && len >= 34) {
        if (!to_server) wr32be(msg + 4, h->dhcp.xid);
        memcpy(msg + 28, to_server ? peer_mac : client_mac, 6);
    }
    uint8_t frame[FRAME_MAX];
    size_t n = wrap(frame, msg, len, to_server);
    feed(to_server ? h->server_if : h->client_if, frame, n);
}

static void arp_claim(struct harness *h, bool probe)
{
    ip4_addr_t target = h->dhcp.offered_ip.addr ? h->dhcp.offered_ip : h->client_if->ip4;
    if (target.addr == 0 && h->client_if->autoip != NULL) target = h->client_if->autoip->llipaddr;
    uint8_t f[ETH_HDR_LEN + ARP_HDR_LEN];
    memset(f, 0xff, 6);
    memcpy(f + 6, peer_mac, 6);
    wr16be(f + 12, ETHTYPE_ARP);
    struct arp_repr r;
    memset(&r, 0, sizeof(r));
    r.op = probe ? ARP_OP_REQUEST : ARP_OP_REPLY;
    memcpy(r.sha.addr, peer_mac, 6);
    if (!probe) r.spa = target;
    r.tpa = probe ? target : h->client_if->ip4;
    arp_emit(&r, f + ETH_HDR_LEN);
    feed(h->client_if, f, sizeof(f));
}

/* ---- actions ---- */

static void action(struct harness *h, unsigned op)
{
    struct netif *c = h->client_if;
    switch (op) {
    case 0: dhcp_renew(c); break;
    case 1: dhcp_release(c); break;
    case 2: dhcp_start(c, &h->dhcp); break;
    case 3: netif_set_link_down(c); break;
    case 4: netif_set_link_up(c); break;
    case 5: arp_claim(h, false); break;
    case 6: arp_claim(h, true); break;
    case 7:
        if (h->server_on) dhcp_server_stop(&h->server);
        h->server_on = false;
        break;
    case 8:
        if (!h->server_on) h->server_on = dhcp_server_start(h->server_if, &h->server, &h->server_cfg) == ERR_OK;
        break;
    case 9: autoip_start(c, &h->autoip); break;
    case 10: autoip_stop(c); break;
    case 11: dhcp_stop(c); break;
    default: break;
    }
}

static struct netif *add_netif(struct harness *h, const char *name, const uint8_t *mac)
{
    struct netif_init init = {.kind = NETIF_ETHERNET, .name = name, .hwaddr = mac, .hwaddr_len = 6, .mtu = 1500,
                              .linkoutput = capture_output, .state = h};
    struct netif *n = netif_add(h->stack, &init);
    if (n == NULL) fail("netif_add failed", 0);
    netif_set_up(n);
    netif_set_link_up(n);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct harness *h = calloc(1, sizeof(*h));
    if (h == NULL) return 0;
    test_platform_init(&h->tp, 0x5eed1234u);
    h->stack = stack_new(NULL, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new failed", 0);
    h->client_if = add_netif(h, "eth0", client_mac);
    h->server_if = add_netif(h, "eth1", server_mac);
    ip4_addr_t sa = ip4_addr_make(10, 0, 0, 1), mask = ip4_netmask_from_prefix(24);
    netif_set_ip4(h->server_if, &sa, &mask, NULL);
    h->server_cfg.pool_first = ip4_addr_make(10, 0, 0, 100);
    h->server_cfg.pool_last = ip4_addr_make(10, 0, 0, 200);
    h->server_cfg.lease_s = 600;
    h->server_cfg.router = sa;
    h->server_cfg.dns[0] = sa;
    h->server_cfg.dns_count = 1;
    h->server_on = dhcp_server_start(h->server_if, &h->server, &h->server_cfg) == ERR_OK;
    if (!h->server_on) fail("dhcp_server_start failed", 0);

    dhcp_init(&h->dhcp);
    h->dhcp.cfg.check_address = (data[0] & CONFIG_CHECK_ADDRESS) != 0;
    memcpy(h->dhcp.cfg.hostname, "fuzz", 5);
    h->dhcp.cfg.autoip = &h->autoip_fallback;
    h->dhcp.cfg.autoip_after_tries = 2;
    if (dhcp_start(h->client_if, &h->dhcp) != ERR_OK) fail("dhcp_start failed", 0);

    size_t at = 1;
    while (at + 2 <= size) {
        uint16_t w = rd16be(data + at);
        at += 2;
        if ((w & 0xc000u) == 0xc000u) {
            uint64_t unit = (w & ADVANCE_MS) ? SHOAL_NS_PER_MS : SHOAL_NS_PER_S;
            advance(h, h->tp.now_ns + (uint64_t)(w & ADVANCE_MASK) * unit);
        } else if ((w & 0xc000u) == 0x8000u) {
            action(h, w & 0xfu);
        } else {
            size_t len = w & MSG_LEN_MASK;
            if (len > size - at) len = size - at;
            deliver_msg(h, data + at, len, w);
            at += len;
        }
        check_invariants(h);
    }

    /* Stop everything; then nothing may stay configured or allocated. */
    dhcp_stop(h->client_if);
    autoip_stop(h->client_if);
    if (h->server_on) dhcp_server_stop(&h->server);
    if (h->client_if->acd_list != NULL) fail("an ACD user is still registered after stop", 0);
    advance(h, h->tp.now_ns + (uint64_t)DRAIN_S * SHOAL_NS_PER_S);
    if (h->client_if->ip4.addr != 0) fail("the client netif keeps an address after stop", ip4_addr_to_u32(h->client_if->ip4));
    if (stack_next_deadline(h->stack) != SHOAL_TIME_NEVER) fail("a timer is still armed after draining", 0);
    fuzz_check_pools(HARNESS, h->stack, true);
    if (test_stat(h->stack, "pool.udp_pcb.used") != 0) fail("a DHCP PCB outlived its client or server", 0);
    stack_free(h->stack);
    free(h);
    return 0;
}
