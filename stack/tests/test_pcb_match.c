/*
 * Dual-stack PCB rules: which family a UDP, TCP or raw PCB hears (V4 only
 * IPv4, V6 only IPv6 = IPV6_V6ONLY, ANY both), port conflicts across the
 * families, and IPv6 delivery through udp_input_ip6 / tcp_input_ip6 /
 * raw_input_ip6 with hand-made packets (no IPv6 layer needed).
 */
#include "shoal/ip_addr.h"
#include "shoal/inet_chksum.h"
#include "shoal/ip6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/raw.h"
#include "shoal/tcp.h"
#include "shoal/udp.h"
#include "ipv6/ip6_upper.h"
#include "transport/ip_pcb.h"
#include "check.h"
#include "test_platform.h"

static err_t drop_frame(struct netif *netif, struct pbuf *p)
{
    (void)netif, (void)p;
    return ERR_OK;
}

static ip_addr_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return ip_addr_from_ip4(ip4_addr_make(a, b, c, d)); }
static ip_addr_t v6(uint16_t g0, uint16_t g7, uint8_t zone)
{
    ip6_addr_t a = ip6_addr_make(g0, 0, 0, 0, 0, 0, 0, g7);
    a.zone = zone;
    return ip_addr_from_ip6(&a);
}

static void test_rules(void)
{
    ip_addr_t any4 = ip_addr_any(IPADDR_TYPE_V4), any6 = ip_addr_any(IPADDR_TYPE_V6);
    ip_addr_t dual = ip_addr_any(IPADDR_TYPE_ANY);
    /* A V6 wildcard is V6ONLY: it leaves IPv4 to a V4 wildcard. */
    CHECK(!ip_pcb_addrs_overlap(&any4, &any6));
    CHECK(ip_pcb_addrs_overlap(&any4, &dual));
    CHECK(ip_pcb_addrs_overlap(&any6, &dual));
    CHECK(ip_pcb_addrs_overlap(&dual, &dual));
    ip_addr_t a = v4(10, 0, 0, 1), b = v4(10, 0, 0, 2);
    CHECK(!ip_pcb_addrs_overlap(&a, &b));
    CHECK(ip_pcb_addrs_overlap(&a, &a));
    CHECK(ip_pcb_addrs_overlap(&a, &any4));
    CHECK(!ip_pcb_addrs_overlap(&a, &any6));
    ip_addr_t g1 = v6(0x2001, 1, 0), g2 = v6(0x2001, 2, 0);
    CHECK(!ip_pcb_addrs_overlap(&g1, &g2));
    CHECK(ip_pcb_addrs_overlap(&g1, &dual));
    CHECK(!ip_pcb_addrs_overlap(&g1, &any4));
    /* The same link-local address on two links is two addresses (RFC 4007 6). */
    ip_addr_t l1 = v6(0xfe80, 1, 1), l2 = v6(0xfe80, 1, 2);
    CHECK(!ip_pcb_addrs_overlap(&l1, &l2));

    CHECK(ip_pcb_family_ok(&any4, false) && !ip_pcb_family_ok(&any4, true));
    CHECK(!ip_pcb_family_ok(&any6, false) && ip_pcb_family_ok(&any6, true));
    CHECK(ip_pcb_family_ok(&dual, false) && ip_pcb_family_ok(&dual, true));
    CHECK(ip_pcb_dst_ok(&dual, &a) && ip_pcb_dst_ok(&dual, &g1));
    CHECK(!ip_pcb_dst_ok(&any4, &g1) && !ip_pcb_dst_ok(&any6, &a));
    CHECK(!ip_pcb_dst_ok(&dual, &dual));
}

static void test_udp_bind(struct stack *s)
{
    struct udp_pcb *p4 = udp_new(s), *p6 = udp_new_ip_type(s, IPADDR_TYPE_V6);
    struct udp_pcb *pa = udp_new_ip_type(s, IPADDR_TYPE_ANY);
    CHECK(p4 != NULL && p6 != NULL && pa != NULL);
    CHECK_EQ(p4->local_ip.type, IPADDR_TYPE_V4);
    CHECK_EQ(udp_bind(p4, NULL, 53), ERR_OK);
    CHECK_EQ(udp_bind(p6, NULL, 53), ERR_OK);  /* V6ONLY: no conflict with 0.0.0.0 */
    CHECK_EQ(p6->local_ip.type, IPADDR_TYPE_V6);
    CHECK_EQ(udp_bind(pa, NULL, 53), ERR_USE); /* dual-stack wants both */
    CHECK_EQ(udp_bind(pa, NULL, 54), ERR_OK);
    CHECK_EQ(pa->local_ip.type, IPADDR_TYPE_ANY);
    /* Sending needs a destination of the PCB's family. */
    struct pbuf *p = pbuf_alloc(s, PBUF_TRANSPORT, 4);
    ip_addr_t g = v6(0x2001, 1, 0), a = v4(10, 0, 0, 9);
    CHECK_EQ(udp_sendto(p4, p, &g, 9), ERR_VAL);
    CHECK_EQ(udp_sendto(p6, p, &a, 9), ERR_VAL);
    pbuf_free(p);
    udp_remove(p4);
    udp_remove(p6);
    udp_remove(pa);
}

/* ---- hand-made IPv6 packets ---- */

static struct netif *nif;

/* p at the upper-layer header, with 40 bytes of IPv6 header in front of it. */
static struct pbuf *ip6_packet(struct stack *s, uint8_t proto, const ip_addr_t *src, const ip_addr_t *dst,
                               const uint8_t *upper, size_t len, struct ip6_rx_info *info)
{
    struct pbuf *p = pbuf_alloc(s, PBUF_RAW, IP6_HDR_LEN + len);
    if (p == NULL) return NULL;
    memset(info, 0, sizeof(*info));
    info->netif = nif;
    info->ip.payload_len = (uint16_t)len;
    info->ip.next_header = proto;
    info->ip.hop_limit = 64;
    info->ip.src = src->u_addr.ip6;
    info->ip.dst = dst->u_addr.ip6;
    uint8_t h[IP6_HDR_LEN] = {0x60, 0, 0, 0};
    wr16be(h + 4, (uint16_t)len);
    h[6] = proto;
    h[7] = 64;
    ip6_addr_to_bytes(&info->ip.src, h + 8);
    ip6_addr_to_bytes(&info->ip.dst, h + 24);
    pbuf_take(p, h, sizeof(h));
    pbuf_take_at(p, upper, len, IP6_HDR_LEN);
    info->hdr = p->payload;
    info->proto = proto;
    info->hdr_len = IP6_HDR_LEN;
    info->dst_multicast = ip6_addr_is_multicast(&info->ip.dst);
    pbuf_remove_header(p, IP6_HDR_LEN);
    return p;
}

/* A UDP datagram with its checksum (or `force_sum`, when not -1). */
static struct pbuf *udp6(struct stack *s, const ip_addr_t *src, const ip_addr_t *dst, uint16_t sport, uint16_t dport,
                         int force_sum, struct ip6_rx_info *info)
{
    uint8_t d[12] = {0, 0, 0, 0, 0, 12, 0, 0, 'p', 'i', 'n', 'g'};
    wr16be(d, sport);
    wr16be(d + 2, dport);
    struct pbuf *p = ip6_packet(s, IP6_NH_UDP, src, dst, d, sizeof(d), info);
    uint16_t sum = force_sum >= 0 ? (uint16_t)force_sum
                                  : inet_chksum_pseudo6(p, IP6_NH_UDP, sizeof(d), &info->ip.src, &info->ip.dst,
                                                        sizeof(d));
    uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(p, sb, 2, 6);
    return p;
}

struct heard {
    unsigned count;
    ip_addr_t addr;
    uint16_t port;
};

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    (void)pcb;
    struct heard *h = arg;
    h->count++;
    h->addr = *addr;
    h->port = port;
    pbuf_free(p);
}

static void test_udp_input6(struct stack *s)
{
    struct heard h4 = {0}, h6 = {0}, ha = {0}, m1 = {0}, m2 = {0};
    struct udp_pcb *p4 = udp_new(s), *p6 = udp_new_ip_type(s, IPADDR_TYPE_V6);
    struct udp_pcb *pa = udp_new_ip_type(s, IPADDR_TYPE_ANY);
    udp_bind(p4, NULL, 1000);
    udp_bind(p6, NULL, 1001);
    udp_bind(pa, NULL, 1002);
    udp_recv(p4, on_udp, &h4);
    udp_recv(p6, on_udp, &h6);
    udp_recv(pa, on_udp, &ha);
    ip_addr_t peer = v6(0xfe80, 2, nif->index), me = v6(0xfe80, 1, nif->index);
    struct ip6_rx_info info;
    uint64_t drops = test_stat(s, "udp.drop");

    udp_input_ip6(udp6(s, &peer, &me, 7, 1000, -1, &info), &info); /* a V4 PCB does not hear IPv6 */
    CHECK_EQ(h4.count, 0);
    CHECK_EQ(test_stat(s, "udp.drop"), drops + 1);
    udp_input_ip6(udp6(s, &peer, &me, 7, 1001, -1, &info), &info);
    CHECK_EQ(h6.count, 1);
    udp_input_ip6(udp6(s, &peer, &me, 7, 1002, -1, &info), &info);
    CHECK_EQ(ha.count, 1);
    CHECK_EQ(ha.addr.type, IPADDR_TYPE_V6);
    CHECK(ip_addr_eq(&ha.addr, &peer));
    CHECK_EQ(ha.addr.u_addr.ip6.zone, nif->index); /* scope ID of a link-local sender */
    CHECK_EQ(ha.port, 7);

    /* RFC 8200 8.1: a zero checksum over IPv6 is dropped; so is a wrong one. */
    uint64_t chk = test_stat(s, "udp.chkerr");
    udp_input_ip6(udp6(s, &peer, &me, 7, 1002, 0, &info), &info);
    udp_input_ip6(udp6(s, &peer, &me, 7, 1002, 0x1234, &info), &info);
    CHECK_EQ(ha.count, 1);
    CHECK_EQ(test_stat(s, "udp.chkerr"), chk + 2);

    /* A connected PCB hears only its peer. */
    ip_addr_t other = v6(0xfe80, 3, nif->index);
    CHECK_EQ(udp_connect(pa, &other, 7), ERR_OK);
    udp_input_ip6(udp6(s, &peer, &me, 7, 1002, -1, &info), &info);
    CHECK_EQ(ha.count, 1);
    udp_input_ip6(udp6(s, &other, &me, 7, 1002, -1, &info), &info);
    CHECK_EQ(ha.count, 2);
    udp_disconnect(pa);

    /* Multicast: every listener on the port gets a copy (two PCBs share it
     * the way SO_REUSEADDR does). */
    struct udp_pcb *q1 = udp_new_ip_type(s, IPADDR_TYPE_ANY), *q2 = udp_new_ip_type(s, IPADDR_TYPE_V6);
    udp_bind(q1, NULL, 0);
    udp_bind(q2, NULL, 0);
    q1->local_port = q2->local_port = 1003;
    udp_recv(q1, on_udp, &m1);
    udp_recv(q2, on_udp, &m2);
    ip_addr_t all = v6(0xff02, 1, nif->index);
    udp_input_ip6(udp6(s, &peer, &all, 7, 1003, -1, &info), &info);
    CHECK_EQ(m1.count, 1);
    CHECK_EQ(m2.count, 1);

    /* IPv4 still reaches V4 and dual-stack PCBs, never V6-only ones. */
    CHECK_EQ(h6.count, 1);
    udp_remove(p4);
    udp_remove(p6);
    udp_remove(pa);
    udp_remove(q1);
    udp_remove(q2);
}

static void test_tcp_input6(struct stack *s)
{
    struct tcp_pcb *l = tcp_new_ip_type(s, IPADDR_TYPE_ANY), *l4 = tcp_new(s);
    CHECK_EQ(tcp_bind(l, NULL, 80), ERR_OK);
    CHECK_EQ(tcp_bind(l4, NULL, 80), ERR_USE); /* the dual-stack listener holds IPv4 too */
    CHECK_EQ(tcp_bind(l4, NULL, 81), ERR_OK);
    l = tcp_listen(l);
    l4 = tcp_listen(l4);
    CHECK(l != NULL && l4 != NULL);
    ip_addr_t peer = v6(0xfe80, 2, nif->index), me = v6(0xfe80, 1, nif->index);
    for (uint16_t port = 80; port <= 81; port++) {
        uint8_t syn[20] = {0};
        wr16be(syn, 4000);
        wr16be(syn + 2, port);
        wr32be(syn + 4, 1000);
        syn[12] = 5u << 4;
        syn[13] = 0x02; /* SYN */
        wr16be(syn + 14, 8192);
        struct ip6_rx_info info;
        struct pbuf *p = ip6_packet(s, IP6_NH_TCP, &peer, &me, syn, sizeof(syn), &info);
        uint16_t sum = inet_chksum_pseudo6(p, IP6_NH_TCP, sizeof(syn), &info.ip.src, &info.ip.dst, sizeof(syn));
        uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
        pbuf_take_at(p, sb, 2, 16);
        uint64_t drops = test_stat(s, "tcp.drop");
        tcp_input_ip6(p, &info);
        if (port == 80) {
            /* RFC 9293 3.10.7.2: the dual-stack listener makes a SYN-RCVD
             * connection with the IPv6 addresses, zones included. */
            CHECK_EQ(tcp_lookup_state(s, &me, 80, &peer, 4000), TCP_SYN_RCVD);
            ip_addr_t other_link = v6(0xfe80, 2, (uint8_t)(nif->index + 1));
            CHECK_EQ(tcp_lookup_state(s, &me, 80, &other_link, 4000), TCP_CLOSED);
        } else {
            /* An IPv4 listener does not hear IPv6: no PCB, a RST is tried. */
            CHECK_EQ(tcp_lookup_state(s, &me, 81, &peer, 4000), TCP_CLOSED);
            CHECK_EQ(test_stat(s, "tcp.drop"), drops + 1);
        }
    }
    tcp_abort(l);
    tcp_abort(l4);
}

static bool on_raw(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct heard *h = arg;
    h->count++;
    h->addr = *addr;
    /* RFC 3542 3: the payload starts after the IPv6 header: an echo request. */
    uint8_t t = 0;
    pbuf_copy_partial(p, &t, 1, 0);
    h->port = t;
    pbuf_free(p);
    return true;
}

static void test_raw_input6(struct stack *s)
{
    struct heard h4 = {0}, h6 = {0};
    struct raw_pcb *r4 = raw_new(s, IP6_NH_ICMP6), *r6 = raw_new_ip_type(s, IPADDR_TYPE_V6, IP6_NH_ICMP6);
    CHECK_EQ(r4->chksum_offset, -1);
    CHECK_EQ(r6->chksum_offset, 2); /* RFC 3542 3.1: ICMPv6 is always checksummed */
    raw_recv(r4, on_raw, &h4);
    raw_recv(r6, on_raw, &h6);
    ip_addr_t peer = v6(0xfe80, 2, nif->index), me = v6(0xfe80, 1, nif->index);
    uint8_t echo[8] = {128, 0, 0, 0, 0, 1, 0, 1};
    struct ip6_rx_info info;
    struct pbuf *p = ip6_packet(s, IP6_NH_ICMP6, &peer, &me, echo, sizeof(echo), &info);
    uint16_t sum = inet_chksum_pseudo6(p, IP6_NH_ICMP6, sizeof(echo), &info.ip.src, &info.ip.dst, sizeof(echo));
    uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(p, sb, 2, 2);
    CHECK(raw_input_ip6(p, &info));
    CHECK_EQ(h4.count, 0);
    CHECK_EQ(h6.count, 1);
    CHECK_EQ(h6.port, 128);
    CHECK(ip_addr_eq(&h6.addr, &peer));
    /* A bad checksum is not offered to a PCB that checks it. */
    p = ip6_packet(s, IP6_NH_ICMP6, &peer, &me, echo, sizeof(echo), &info);
    CHECK(!raw_input_ip6(p, &info));
    CHECK_EQ(h6.count, 1);
    pbuf_free(p);
    raw_remove(r4);
    raw_remove(r6);
}

int main(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 4242u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    struct stack *s = stack_new(&cfg, &tp.platform);
    CHECK(s != NULL);
    if (s == NULL) return test_report("test_pcb_match");
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    struct netif_init ni = {.kind = NETIF_ETHERNET, .name = "e0", .hwaddr = mac, .hwaddr_len = 6, .mtu = 1500,
                            .linkoutput = drop_frame};
    nif = netif_add(s, &ni);
    CHECK(nif != NULL);
    if (nif == NULL) return test_report("test_pcb_match");

    test_rules();
    test_udp_bind(s);
    test_udp_input6(s);
    test_tcp_input6(s);
    test_raw_input6(s);

    CHECK_EQ(test_stat(s, "pool.udp_pcb.used"), 0);
    CHECK_EQ(test_stat(s, "pool.raw_pcb.used"), 0);
    stack_free(s);
    CHECK_EQ(tp.allocs, 0);
    return test_report("test_pcb_match");
}
