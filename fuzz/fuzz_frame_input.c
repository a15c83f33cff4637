/*
 * libFuzzer harness: arbitrary Ethernet frames into a configured instance.
 *
 * Each input gets a fresh instance (so that any finding reproduces from its
 * input alone) on a deterministic fake platform: Ethernet netifs eth0
 * 10.0.0.1/24 and eth1 10.0.1.1/24, a UDP echo PCB on port 7, a TCP echo
 * listener on port 80, a raw PCB for protocol 253 that takes what it sees,
 * and a ping to 10.0.0.2 in flight. The input's first byte configures the
 * instance (0x01: forward between the netifs as a router; 0x02: answer pings
 * to broadcast addresses); the rest is a sequence of records, each starting
 * with a 16-bit big-endian word w:
 *   w & 0xc000 == 0xc000   advance the clock by (w & 0x3fff) ms, running the
 *                          timers that fall due (ARP retries, ping, TCP, ...)
 *   w & 0xc000 == 0x8000   an application action: op w & 0xf, argument
 *                          (w >> 4) & 0x3ff (see app_action(): TCP connect,
 *                          write, shutdown, close, abort, options; UDP send;
 *                          netif up/down; address change)
 *   otherwise              a frame of (w & 0x7ff) bytes follows (fewer if the
 *                          input ends), fed through netif_input() of eth0, or
 *                          of eth1 with bit 0x2000 set. With bit 0x0800 set
 *                          the harness first fixes the frame's IPv4 header
 *                          checksum and its ICMP/UDP/TCP checksum, so that
 *                          mutated frames still reach the transports; with
 *                          bit 0x1000 set, a TCP segment's ack field is taken
 *                          as an offset from the next sequence number the
 *                          stack last sent, so handshakes and data transfers
 *                          need no guessing of the stack's ISN.
 * Oracles (fuzz_platform.h), besides ASan/UBSan: every frame the stack sends
 * is 60..1514 bytes with a sane IPv4 header when it is IPv4; no pool ever
 * reports more in use than it holds; timers neither livelock nor lie absurdly
 * far ahead; and once the harness has aborted its connections and the clock
 * has run long enough for every timer to expire (ARP retries, TCP
 * retransmissions and TIME-WAIT), every pool is empty again.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/stack.h"
#include "shoal/netif.h"
#include "shoal/nd6.h"
#include "shoal/pbuf.h"
#include "shoal/ip4.h"
#include "shoal/udp.h"
#include "shoal/tcp.h"
#include "shoal/raw.h"
#include "shoal/ping.h"
#include "shoal/ethernet.h"
#include "fuzz_platform.h"

#define RAW_PROTO_TAKEN 253u
#define FRAME_LEN_MASK 0x07ffu
#define FRAME_FIX_SUMS 0x0800u
#define FRAME_REL_ACK 0x1000u
#define FRAME_ON_ETH1 0x2000u
#define CONFIG_FORWARDING 0x01u
#define CONFIG_ECHO_BROADCAST 0x02u
#define MAX_CONNS 8u
/* Longer than any timer chain: 12 retransmissions backing off to 60 s,
 * 2 MSL of TIME-WAIT, ARP's 5 tries. */
#define DRAIN_MS (30u * 60u * 1000u)

struct harness {
    struct test_platform tp;
    struct stack *stack;
    struct netif *netif[2];
    struct tcp_pcb *listener;
    struct udp_pcb *udp;
    struct tcp_pcb *conns[MAX_CONNS]; /* accepted or opened, not yet closed or gone */
    unsigned frames_out;
    uint32_t tcp_next_seq; /* seq + length (+ SYN, FIN) of the stack's last TCP segment */
};

#define HARNESS "fuzz_frame_input"

static void fail(const char *why, size_t value) { fuzz_fail(HARNESS, why, value); }

/* ---- the wire ---- */

/* Count frames, check what the stack puts on the wire, and note where its
 * TCP sequence space has got to. */
static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    struct harness *h = netif->state;
    uint8_t frame[1600];
    h->frames_out++;
    size_t n = fuzz_check_sent_frame(HARNESS, p, frame, sizeof(frame));
    if (rd16be(frame + 12) == ETHTYPE_IP4) {
        size_t ihl = (size_t)(frame[14] & 0x0fu) * 4u, total = rd16be(frame + 16);
        const uint8_t *t = frame + ETH_HDR_LEN + ihl;
        if (frame[ETH_HDR_LEN + 9] == IP_PROTO_TCP && total >= ihl + 20u && (size_t)(t[12] >> 4) * 4u <= total - ihl &&
            ETH_HDR_LEN + total <= n) {
            uint32_t seg_len = (uint32_t)(total - ihl - (size_t)(t[12] >> 4) * 4u);
            seg_len += (t[13] & 0x02u) ? 1u : 0u; /* SYN */
            seg_len += (t[13] & 0x01u) ? 1u : 0u; /* FIN */
            h->tcp_next_seq = rd32be(t + 4) + seg_len;
        }
    }
    return ERR_OK;
}

/* Turn a TCP segment's ack field into an offset from what the stack sent. */
static void relative_ack(const struct harness *h, uint8_t *f, size_t len)
{
    if (len < ETH_HDR_LEN + IP4_HDR_LEN || rd16be(f + 12) != ETHTYPE_IP4 || f[ETH_HDR_LEN + 9] != IP_PROTO_TCP) return;
    size_t ihl = (size_t)(f[ETH_HDR_LEN] & 0x0fu) * 4u;
    if (ihl < IP4_HDR_LEN || ETH_HDR_LEN + ihl + 12u > len) return;
    uint8_t *ack = f + ETH_HDR_LEN + ihl + 8;
    wr32be(ack, rd32be(ack) + h->tcp_next_seq);
}

/* ---- the applications ---- */

static void udp_echo(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    (void)arg;
    udp_sendto(pcb, p, addr, port);
    pbuf_free(p);
}

static bool raw_take(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)arg;
    (void)pcb;
    (void)addr;
    pbuf_free(p);
    return true;
}

static struct tcp_pcb **conn_slot(struct harness *h, const struct tcp_pcb *pcb)
{
    for (unsigned i = 0; i < MAX_CONNS; i++)
        if (h->conns[i] == pcb) return &h->conns[i];
    return NULL;
}

static void tcp_gone(void *arg, err_t err)
{
    (void)err;
    /* arg is the slot: the PCB is already freed. */
    *(struct tcp_pcb **)arg = NULL;
}

/* Echo what arrives (as much as the send buffer takes); close on FIN. */
static err_t tcp_echo(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct tcp_pcb **slot = arg;
    (void)err;
    if (p == NULL) {
        *slot = NULL;
        if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
            return ERR_ABRT;
        }
        return ERR_OK;
    }
    uint8_t buf[2048];
    size_t n = pbuf_copy_partial(p, buf, SHOAL_MIN(sizeof(buf), tcp_sndbuf(pcb)), 0);
    size_t consumed = p->tot_len;
    pbuf_free(p);
    if (n > 0 && tcp_write(pcb, buf, n, TCP_WRITE_FLAG_COPY) == ERR_OK) tcp_output(pcb);
    tcp_recved(pcb, consumed);
    return ERR_OK;
}

static err_t tcp_accepted(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    struct harness *h = arg;
    struct tcp_pcb **slot = conn_slot(h, NULL);
    if (err != ERR_OK || slot == NULL) {
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    *slot = newpcb;
    tcp_arg(newpcb, slot);
    tcp_recv(newpcb, tcp_echo);
    tcp_err(newpcb, tcp_gone);
    return ERR_OK;
}

static err_t tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    (void)pcb;
    (void)err;
    return ERR_OK;
}

/* Application calls, as the input asks. Slots hold the connections the
 * harness owns (accepted or opened); actions on an empty slot do nothing. */
enum app_op {
    APP_CONNECT, APP_WRITE, APP_OUTPUT, APP_SHUTDOWN, APP_CLOSE, APP_ABORT, APP_TCP_OPTIONS,
    APP_UDP_SEND, APP_NETIF_FLAGS, APP_SET_ADDR
};

static void app_action(struct harness *h, unsigned op, unsigned arg)
{
    static const uint8_t pattern[4800] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    struct tcp_pcb **slot = &h->conns[arg & (MAX_CONNS - 1u)];
    struct tcp_pcb *pcb = *slot;
    ip_addr_t peer = ip_addr_from_ip4(ip4_addr_make(10, 0, (uint8_t)(arg & 1u), 2));
    switch ((enum app_op)op) {
    case APP_CONNECT: { /* to 10.0.<arg & 1>.2, port 5000 + ((arg >> 1) & 3) */
        struct tcp_pcb **free_slot = conn_slot(h, NULL);
        if (free_slot == NULL) return;
        struct tcp_pcb *c = tcp_new(h->stack);
        if (c == NULL) return;
        /* A known local port (6000 + k) unless asked for an ephemeral one,
         * so that seed inputs can answer the SYN. */
        uint16_t local_port = (arg & 0x40u) ? 0 : (uint16_t)(6000u + ((arg >> 3) & 7u));
        if (tcp_bind(c, NULL, local_port) != ERR_OK) {
            tcp_abort(c);
            return;
        }
        tcp_arg(c, free_slot);
        tcp_recv(c, tcp_echo);
        tcp_err(c, tcp_gone);
        *free_slot = c;
        if (tcp_connect(c, &peer, (uint16_t)(5000u + ((arg >> 1) & 3u)), tcp_connected) != ERR_OK) {
            *free_slot = NULL;
            tcp_abort(c);
        }
        return;
    }
    case APP_WRITE:
        if (pcb == NULL) return;
        if (tcp_write(pcb, pattern, SHOAL_MIN(sizeof(pattern), ((arg >> 3) + 1u) * 37u),
                      (arg & 0x200u) ? TCP_WRITE_FLAG_MORE : 0) == ERR_OK &&
            !(arg & 0x100u))
            tcp_output(pcb);
        return;
    case APP_OUTPUT:
        if (pcb != NULL) tcp_output(pcb);
        return;
    case APP_SHUTDOWN:
        if (pcb != NULL) tcp_shutdown(pcb, (arg & 0x10u) != 0, (arg & 0x20u) != 0 || !(arg & 0x10u));
        return;
    case APP_CLOSE:
        if (pcb == NULL) return;
        *slot = NULL; /* the stack's from here on */
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
        return;
    case APP_ABORT:
        if (pcb == NULL) return;
        *slot = NULL;
        tcp_abort(pcb);
        return;
    case APP_TCP_OPTIONS:
        if (pcb == NULL) return;
        if (arg & 0x10u)
            tcp_nagle_disable(pcb);
        else
            tcp_nagle_enable(pcb);
        tcp_keepalive(pcb, (arg & 0x20u) != 0, 1000u, 500u, 3u);
        return;
    case APP_UDP_SEND: {
        struct pbuf *p = pbuf_alloc(h->stack, PBUF_TRANSPORT, arg);
        if (p == NULL) return;
        ip_addr_t dst = (arg & 2u) ? ip_addr_from_ip4(ip4_addr_make(10, 0, 0, 255)) : peer;
        udp_sendto(h->udp, p, &dst, (uint16_t)(9u + (arg & 1u)));
        pbuf_free(p);
        return;
    }
    case APP_NETIF_FLAGS: {
        struct netif *n = h->netif[arg & 1u];
        if (arg & 2u) {
            if (arg & 4u) netif_set_link_down(n); else netif_set_link_up(n);
        } else {
            if (arg & 4u) netif_set_down(n); else netif_set_up(n);
        }
        return;
    }
    case APP_SET_ADDR: {
        ip4_addr_t addr = ip4_addr_make(10, 0, 0, (uint8_t)arg), mask = ip4_addr_make(255, 255, 255, 0);
        netif_set_ip4(h->netif[0], &addr, &mask, NULL);
        return;
    }
    }
}

/* ---- the run ---- */

static void advance_ms(struct harness *h, uint64_t ms)
{
    fuzz_advance(HARNESS, &h->tp, h->stack, h->tp.now_ns + ms * SHOAL_NS_PER_MS);
}

static void check_pools(const struct harness *h, bool must_be_empty)
{
    fuzz_check_pools(HARNESS, h->stack, must_be_empty);
}

/* With SHOAL_FUZZ_VERBOSE set (when replaying a few inputs by hand): what
 * the input did, as the non-zero counters. */
static void print_summary(const struct harness *h)
{
    const char *name;
    uint64_t value;
    fprintf(stderr, "frames out: %u;", h->frames_out);
    for (size_t i = 0; stack_stats_entry(h->stack, i, &name, &value); i++)
        if (value != 0 && strncmp(name, "pool.", 5) != 0) fprintf(stderr, " %s=%llu", name, (unsigned long long)value);
    fprintf(stderr, "\n");
}

static struct netif *add_netif(struct harness *h, uint8_t n)
{
    const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, n, 0x01};
    struct netif_init ni = {
        .kind = NETIF_ETHERNET, .name = n ? "eth1" : "eth0", .hwaddr = mac, .hwaddr_len = 6, .mtu = 1500,
        .linkoutput = capture_output, .state = h,
    };
    struct netif *netif = netif_add(h->stack, &ni);
    if (netif == NULL) fail("netif_add", n);
    netif_set_up(netif);
    netif_set_link_up(netif);
    ip4_addr_t addr = ip4_addr_make(10, 0, n, 1), mask = ip4_addr_make(255, 255, 255, 0);
    ip4_addr_t gw = ip4_addr_make(10, 0, n, 254);
    netif_set_ip4(netif, &addr, &mask, &gw);
    /* IPv6 too: an EUI-64 link-local (fe80::ff:fe00:<n>01 style, from the MAC)
     * and 2001:db8:<n>::1/64, valid at once (the config turns DAD off), so
     * IPv6 frames reach ND, ICMPv6 and the transports. */
    nd6_netif_enable(netif, ND6_IID_EUI64, true);
    ip6_addr_t a6 = ip6_addr_make(0x2001, 0xdb8, n, 0, 0, 0, 0, 1);
    netif_add_ip6(netif, &a6, 64, NETIF_IP6_FLAG_NODAD);
    return netif;
}

static void setup(struct harness *h, struct ping *pg, uint8_t config)
{
    memset(h, 0, sizeof(*h));
    test_platform_init(&h->tp, 0x5eed1234u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.ip_forwarding = (config & CONFIG_FORWARDING) != 0;
    cfg.icmp_echo_broadcast = (config & CONFIG_ECHO_BROADCAST) != 0;
    cfg.ip6_dad_transmits = 0;
    h->stack = stack_new(&cfg, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new", 0);
    h->netif[0] = add_netif(h, 0);
    h->netif[1] = add_netif(h, 1);

    struct udp_pcb *u = udp_new(h->stack);
    if (u == NULL || udp_bind(u, NULL, 7) != ERR_OK) fail("udp setup", 0);
    udp_recv(u, udp_echo, h);
    h->udp = u;
    struct raw_pcb *r = raw_new(h->stack, RAW_PROTO_TAKEN);
    if (r == NULL) fail("raw setup", 0);
    raw_recv(r, raw_take, h);
    struct tcp_pcb *t = tcp_new(h->stack);
    if (t == NULL || tcp_bind(t, NULL, 80) != ERR_OK) fail("tcp setup", 0);
    h->listener = tcp_listen_with_backlog(t, 4);
    if (h->listener == NULL) fail("tcp_listen", 0);
    tcp_arg(h->listener, h);
    tcp_accept(h->listener, tcp_accepted);

    ip4_addr_t peer = ip4_addr_make(10, 0, 0, 2);
    memset(pg, 0, sizeof(*pg));
    if (ping_start(pg, h->stack, &peer, 3, 200 * SHOAL_NS_PER_MS, 56, SHOAL_NS_PER_S) != ERR_OK) fail("ping", 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[FRAME_LEN_MASK + 1];
    struct harness h;
    struct ping pg;
    if (size == 0) return 0;
    setup(&h, &pg, data[0]);

    size_t i = 1;
    while (i + 2 <= size) {
        uint16_t w = rd16be(data + i);
        i += 2;
        if ((w & 0xc000u) == 0xc000u) {
            advance_ms(&h, w & 0x3fffu);
            check_pools(&h, false);
            continue;
        }
        if ((w & 0xc000u) == 0x8000u) {
            app_action(&h, w & 0xfu, (w >> 4) & 0x3ffu);
            check_pools(&h, false);
            continue;
        }
        size_t len = SHOAL_MIN((size_t)(w & FRAME_LEN_MASK), size - i);
        memcpy(frame, data + i, len);
        i += len;
        if (w & FRAME_REL_ACK) relative_ack(&h, frame, len);
        if (w & FRAME_FIX_SUMS) fuzz_fix_checksums(frame, len);
        struct pbuf *p = pbuf_alloc(h.stack, PBUF_RAW, len);
        if (p != NULL) {
            if (pbuf_take(p, frame, len) != ERR_OK) fail("pbuf_take refused a fitting copy", len);
            netif_input(h.netif[(w & FRAME_ON_ETH1) ? 1 : 0], p);
        }
        check_pools(&h, false);
    }
    if (getenv("SHOAL_FUZZ_VERBOSE") != NULL) print_summary(&h);

    /* Tear down what the harness owns, let every timer run out, and then
     * nothing may still hold a pbuf, a queued packet or a PCB. */
    for (unsigned k = 0; k < MAX_CONNS; k++)
        if (h.conns[k] != NULL) tcp_abort(h.conns[k]);
    if (tcp_close(h.listener) != ERR_OK) tcp_abort(h.listener);
    advance_ms(&h, DRAIN_MS);
    if (!pg.done) ping_stop(&pg);
    check_pools(&h, true);
    stack_free(h.stack);
    if (h.tp.allocs != 0) fail("instance memory not returned", h.tp.allocs);
    return 0;
}
