/*
 * libFuzzer harness: arbitrary DNS responses to pending lookups.
 *
 * Each input gets a fresh instance on the deterministic fake platform (eth0
 * 10.0.0.1/24; static ARP entries for the servers 10.0.0.53 and 10.0.0.54
 * and the stranger 10.0.0.99) with a resolver attached and a lookup of
 * "www.example.com" in flight. The harness watches the queries the stack
 * sends, so by default every message the input carries goes to the latest
 * query as its answer: from the server it was sent to, from port 53, to the
 * query's random port, with the query's random ID written over the first two
 * octets. The input's first byte configures the resolver (bit 0: two servers;
 * bit 1: ttl_min 5 s; bit 2: one round only; bit 3: every lookup asks for
 * AAAA instead of A); the rest is a sequence of
 * records, each starting with a control byte c:
 *   c & 0x80   advance the clock by (c & 0x7f) * 100 ms (retries, timeouts,
 *              cache expiry); no payload
 *   otherwise  a 16-bit big-endian length and that many bytes of DNS message
 *              (fewer if the input ends), delivered as a UDP datagram; the
 *              low bits bend the delivery: 0x01 keep the message's own ID,
 *              0x02 send it from 10.0.0.99, 0x04 from port 5353, 0x08 to
 *              another port; 0x10 start another lookup afterwards (name
 *              (c >> 5) & 3 of a small list, which includes a repeat of the
 *              first name and a dotted quad)
 * Every message is also fed to dns_parse() directly, from a heap copy of
 * exactly its length, and each record of the result is walked again.
 * Oracles, besides ASan/UBSan: every lookup that returned ERR_INPROGRESS gets
 * exactly one callback, with a valid status and at most DNS_MAX_ADDRS
 * addresses (at least one when the status is DNS_OK); every query the stack
 * sends is a well-formed standard query; and once the clock has run past the
 * last retry, no lookup is left pending, no UDP PCB is left in use and every
 * pool is empty.
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
#include "shoal/dns.h"
#include "shoal/etharp.h"
#include "shoal/ethernet.h"
#include "shoal/inet_chksum.h"
#include "fuzz_platform.h"

#define HARNESS "fuzz_dns"
#define MAX_LOOKUPS 16u
/* Longer than any retry schedule: 2 servers x 4 rounds, backing off to 8 s. */
#define DRAIN_MS (120u * 1000u)

struct lookup {
    bool pending;
    uint8_t family; /* of the addresses it may return */
    unsigned callbacks;
};

struct harness {
    struct test_platform tp;
    struct stack *stack;
    struct netif *netif;
    struct dns_resolver resolver;
    struct lookup lookups[MAX_LOOKUPS];
    unsigned lookup_count;
    uint16_t qtype;
    /* The latest query sent. */
    bool have_query;
    uint16_t query_id;
    uint16_t query_port;
    uint8_t query_server[4];
};

static void fail(const char *why, unsigned long long value) { fuzz_fail(HARNESS, why, value); }

static const uint8_t our_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x35};

/* Every frame out: sane IPv4; a UDP datagram to port 53 must be a standard
 * query with one question, which the harness remembers. */
static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    struct harness *h = netif->state;
    uint8_t f[1600];
    size_t n = fuzz_check_sent_frame(HARNESS, p, f, sizeof(f));
    if (rd16be(f + 12) != ETHTYPE_IP4 || f[ETH_HDR_LEN + 9] != IP_PROTO_UDP) return ERR_OK;
    size_t ihl = (size_t)(f[ETH_HDR_LEN] & 0x0fu) * 4u;
    const uint8_t *u = f + ETH_HDR_LEN + ihl;
    size_t total = rd16be(f + ETH_HDR_LEN + 2);
    if (total < ihl + 8u || rd16be(u + 2) != DNS_SERVER_PORT) return ERR_OK;
    size_t dlen = total - ihl - 8u;
    const uint8_t *d = u + 8;
    struct dns_msg_repr m;
    if (dlen < DNS_HDR_LEN || dns_parse(d, dlen, &m) != ERR_OK) fail("sent an unparsable query", dlen);
    if (m.flags != DNS_FLAG_RD || m.qdcount != 1 || m.ancount || m.nscount || m.arcount || m.qclass != DNS_CLASS_IN)
        fail("sent a query that is not a standard query with one question", m.flags);
    h->have_query = true;
    h->query_id = m.id;
    h->query_port = rd16be(u);
    memcpy(h->query_server, f + ETH_HDR_LEN + 16, 4);
    return ERR_OK;
}

static void found(void *arg, const struct dns_result *res)
{
    struct lookup *l = arg;
    l->callbacks++;
    if (!l->pending) fail("callback for a lookup that was not pending", l->callbacks);
    l->pending = false;
    if (res->status > DNS_CANCELLED) fail("callback with an invalid status", res->status);
    if (res->count > DNS_MAX_ADDRS) fail("callback with too many addresses", res->count);
    if (res->status == DNS_OK && res->count == 0) fail("DNS_OK without an address", 0);
    for (unsigned i = 0; i < res->count; i++)
        if (res->addrs[i].family != l->family) fail("an address of the wrong family", res->addrs[i].family);
}

static void start_lookup(struct harness *h, unsigned which)
{
    static const char *const names[4] = {"www.example.com", "WWW.Example.COM.", "alias.example.net", "192.0.2.7"};
    if (h->lookup_count == MAX_LOOKUPS) return;
    struct lookup *l = &h->lookups[h->lookup_count++];
    struct dns_result res;
    l->pending = true;
    l->family = h->qtype == DNS_RR_AAAA ? 6 : 4;
    err_t e = dns_gethostbyname(h->stack, names[which & 3u], found, l, h->qtype, &res);
    if (e == ERR_OK) {
        l->pending = false;
        if (res.status == DNS_OK && (res.count == 0 || res.count > DNS_MAX_ADDRS)) fail("bad immediate answer", res.count);
    } else if (e != ERR_INPROGRESS) {
        l->pending = false; /* table full or no PCB: refused, fine */
        /* ERR_ARG: a dotted quad asked for AAAA. */
        if (e != ERR_MEM && !(e == ERR_ARG && h->qtype == DNS_RR_AAAA))
            fail("unexpected dns_gethostbyname error", (unsigned long long)(-e));
    }
}

/* The parser on its own, from an exact-length heap copy. */
static void parse_alone(const uint8_t *data, size_t len)
{
    uint8_t *msg = malloc(len ? len : 1);
    if (msg == NULL) return;
    if (len) memcpy(msg, data, len);
    struct dns_msg_repr m;
    if (dns_parse(msg, len, &m) == ERR_OK) {
        if (m.rr_count > DNS_PARSE_MAX_RR) fail("more records kept than the bound", m.rr_count);
        for (unsigned i = 0; i < m.rr_count; i++) {
            const struct dns_rr_repr *rr = &m.rr[i];
            uint8_t name[DNS_NAME_WIRE_MAX];
            char text[4 * DNS_NAME_WIRE_MAX + 2];
            size_t next, nlen;
            if ((size_t)rr->rdata_off + rr->rdlen > len) fail("RDATA past the end accepted", rr->rdata_off);
            if (dns_name_read(msg, len, rr->name_off, &next, name, &nlen) != ERR_OK)
                fail("a record name that parsed once does not parse again", rr->name_off);
            if (nlen == 0 || nlen > DNS_NAME_WIRE_MAX) fail("name length out of range", nlen);
            dns_name_to_text(name, nlen, text, sizeof(text));
            if (rr->type == DNS_RR_A && rr->rclass == DNS_CLASS_IN && rr->rdlen != 4) fail("A with RDLENGTH != 4", rr->rdlen);
            if (rr->type == DNS_RR_AAAA && rr->rclass == DNS_CLASS_IN && rr->rdlen != 16)
                fail("AAAA with RDLENGTH != 16", rr->rdlen);
        }
    }
    free(msg);
}

static void deliver(struct harness *h, uint8_t c, const uint8_t *msg, size_t len)
{
    static const uint8_t stranger[4] = {10, 0, 0, 99};
    static const uint8_t ours[4] = {10, 0, 0, 1};
    uint8_t f[ETH_HDR_LEN + IP4_HDR_LEN + 8 + 1472];
    if (len > 1472) len = 1472;
    memcpy(f, our_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    wr16be(f + 12, ETHTYPE_IP4);
    uint8_t *ip = f + ETH_HDR_LEN;
    memset(ip, 0, IP4_HDR_LEN);
    ip[0] = 0x45;
    wr16be(ip + 2, (uint16_t)(IP4_HDR_LEN + 8 + len));
    ip[8] = 64;
    ip[9] = IP_PROTO_UDP;
    memcpy(ip + 12, (c & 0x02u) || !h->have_query ? stranger : h->query_server, 4);
    memcpy(ip + 16, ours, 4);
    wr16be(ip + 10, inet_chksum(ip, IP4_HDR_LEN));
    uint8_t *u = ip + IP4_HDR_LEN;
    wr16be(u, (c & 0x04u) ? 5353 : DNS_SERVER_PORT);
    wr16be(u + 2, (uint16_t)((c & 0x08u) || !h->have_query ? 40000 : h->query_port));
    wr16be(u + 4, (uint16_t)(8 + len));
    wr16be(u + 6, 0); /* no checksum (RFC 768) */
    memcpy(u + 8, msg, len);
    if (!(c & 0x01u) && h->have_query && len >= 2) wr16be(u + 8, h->query_id);
    size_t flen = ETH_HDR_LEN + IP4_HDR_LEN + 8 + len;
    struct pbuf *p = pbuf_alloc(h->stack, PBUF_RAW, flen);
    if (p == NULL) return;
    if (pbuf_take(p, f, flen) != ERR_OK) fail("pbuf_take refused a fitting copy", flen);
    netif_input(h->netif, p);
}

static void setup(struct harness *h, uint8_t config)
{
    memset(h, 0, sizeof(*h));
    test_platform_init(&h->tp, 0xd45eedu);
    h->stack = stack_new(NULL, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new", 0);
    struct netif_init ni = {
        .kind = NETIF_ETHERNET, .name = "eth0", .hwaddr = our_mac, .hwaddr_len = 6, .mtu = 1500,
        .linkoutput = capture_output, .state = h,
    };
    h->netif = netif_add(h->stack, &ni);
    if (h->netif == NULL) fail("netif_add", 0);
    netif_set_up(h->netif);
    netif_set_link_up(h->netif);
    ip4_addr_t addr = ip4_addr_make(10, 0, 0, 1), mask = ip4_addr_make(255, 255, 255, 0);
    ip4_addr_t gw = ip4_addr_make(10, 0, 0, 254);
    netif_set_ip4(h->netif, &addr, &mask, &gw);
    struct eth_addr pm;
    memcpy(pm.addr, peer_mac, 6);
    static const uint8_t peers[3] = {53, 54, 99};
    for (unsigned i = 0; i < 3; i++) {
        ip4_addr_t a = ip4_addr_make(10, 0, 0, peers[i]);
        if (etharp_add_static(h->netif, &a, &pm) != ERR_OK) fail("etharp_add_static", i);
    }
    dns_init(h->stack, &h->resolver);
    ip4_addr_t s1 = ip4_addr_make(10, 0, 0, 53), s2 = ip4_addr_make(10, 0, 0, 54);
    dns_set_server(h->stack, 0, &s1);
    if (config & 0x01u) dns_set_server(h->stack, 1, &s2);
    if (config & 0x02u) h->resolver.ttl_min_s = 5;
    if (config & 0x04u) h->resolver.rounds = 1;
    h->qtype = (config & 0x08u) ? DNS_RR_AAAA : DNS_RR_A;
    start_lookup(h, 0);
}

static void advance_ms(struct harness *h, uint64_t ms)
{
    fuzz_advance(HARNESS, &h->tp, h->stack, h->tp.now_ns + ms * SHOAL_NS_PER_MS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct harness h; /* big (the resolver's cache): off the C stack */
    if (size == 0) return 0;
    setup(&h, data[0]);
    size_t i = 1;
    while (i < size) {
        uint8_t c = data[i++];
        if (c & 0x80u) {
            advance_ms(&h, (uint64_t)(c & 0x7fu) * 100u);
        } else {
            if (i + 2 > size) break;
            size_t len = rd16be(data + i);
            i += 2;
            if (len > size - i) len = size - i;
            parse_alone(data + i, len);
            deliver(&h, c, data + i, len);
            i += len;
            if (c & 0x10u) start_lookup(&h, (c >> 5) & 3u);
        }
        fuzz_check_pools(HARNESS, h.stack, false);
    }
    if (getenv("SHOAL_FUZZ_VERBOSE") != NULL) {
        const struct dns_resolver_stats *st = &h.resolver.stats;
        fprintf(stderr, "queries=%u sent=%u responses=%u mismatched=%u malformed=%u truncated=%u server_errors=%u "
                        "nxdomain=%u nodata=%u timeouts=%u cache_hits=%u inserts=%u restarts=%u pending=%u\n",
                st->queries, st->sent, st->responses, st->mismatched, st->malformed, st->truncated, st->server_errors,
                st->nxdomain, st->nodata, st->timeouts, st->cache_hits, st->cache_inserts, st->restarts,
                (unsigned)(h.lookups[0].pending));
    }
    advance_ms(&h, DRAIN_MS);
    for (unsigned k = 0; k < h.lookup_count; k++) {
        if (h.lookups[k].pending) fail("a lookup never completed", k);
        if (h.lookups[k].callbacks > 1) fail("a lookup completed twice", k);
    }
    if (test_stat(h.stack, "pool.udp_pcb.used") != 0)
        fail("a query's UDP PCB outlived it", test_stat(h.stack, "pool.udp_pcb.used"));
    fuzz_check_pools(HARNESS, h.stack, true);
    stack_free(h.stack);
    if (h.tp.allocs != 0) fail("instance memory not returned", h.tp.allocs);
    return 0;
}
