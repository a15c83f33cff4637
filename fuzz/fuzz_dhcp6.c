/*
 * libFuzzer harness: arbitrary bytes as a DHCPv6 message (the UDP payload)
 * into the pure message functions of stack/ipv6/dhcp6_msg.c, as the client
 * and the small server see them.
 *
 * Input: the message itself. Oracles besides ASan/UBSan:
 *  - dhcp6_parse() either fails with a known result or gives a
 *    representation whose counts and lengths stay within their arrays and
 *    whose domain string is terminated;
 *  - a Reply accepted by dhcp6_reply_matches() really carries our
 *    transaction-id and our Client Identifier (RFC 8415 16.10);
 *  - whatever the server answers parses again, with the same
 *    transaction-id, its Server Identifier, the client's Client Identifier,
 *    and the type that fits the request (Reply to Information-request,
 *    Advertise to Solicit); a request naming another server gets nothing;
 *  - the answer never exceeds the buffer it was given, for every size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/dhcp6.h"

#define HARNESS "fuzz_dhcp6"

static void fail(const char *why, unsigned long long value)
{
    fprintf(stderr, "%s: %s (%llu)\n", HARNESS, why, value);
    abort();
}

static const uint8_t client_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t server_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static void check_repr(const struct dhcp6_msg *m)
{
    if (m->dns_count > DHCP6_MAX_DNS) fail("dns_count past its array", m->dns_count);
    if (m->oro_count > DHCP6_ORO_MAX) fail("oro_count past its array", m->oro_count);
    if (m->client_id_len > DHCP6_DUID_MAX) fail("client id too long", m->client_id_len);
    if (m->server_id_len > DHCP6_DUID_MAX) fail("server id too long", m->server_id_len);
    if (memchr(m->domain, 0, sizeof(m->domain)) == NULL) fail("domain not terminated", 0);
    if (m->xid > 0xffffffu) fail("transaction-id over 24 bits", m->xid);
    if (m->type < DHCP6_SOLICIT || m->type > DHCP6_INFORMATION_REQUEST) fail("parsed a type we refuse", m->type);
}

static void check_client(const struct dhcp6_msg *m)
{
    uint8_t duid[DHCP6_DUID_MAX];
    size_t dl = dhcp6_duid_ll(client_mac, sizeof(client_mac), duid, sizeof(duid));
    if (dhcp6_reply_matches(m, m->xid, duid, dl)) {
        if (m->type != DHCP6_REPLY || !(m->have & DHCP6_HAVE_SERVERID)) fail("matched a non-Reply", m->type);
        if (m->client_id_len != dl || memcmp(m->client_id, duid, dl) != 0) fail("matched another client's Reply", 0);
    }
    if (dhcp6_reply_matches(m, m->xid ^ 1u, duid, dl)) fail("matched another transaction", m->xid);
}

static void check_server(const struct dhcp6_msg *req)
{
    uint8_t sduid[DHCP6_DUID_MAX];
    size_t sl = dhcp6_duid_ll(server_mac, sizeof(server_mac), sduid, sizeof(sduid));
    ip6_addr_t dns[2] = {ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53),
                         ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x54)};
    struct dhcp6_answer_cfg cfg = {.server_duid = sduid, .server_duid_len = sl, .dns = dns, .dns_count = 2,
                                   .domain = "example.test", .refresh_s = 3600};
    static uint8_t out[DHCP6_MAX_MSG_LEN + 8];
    memset(out, 0xa5, sizeof(out));
    size_t n = dhcp6_build_answer(req, &cfg, out, DHCP6_MAX_MSG_LEN);
    if (n > DHCP6_MAX_MSG_LEN) fail("answer longer than its buffer", n);
    for (size_t i = DHCP6_MAX_MSG_LEN; i < sizeof(out); i++)
        if (out[i] != 0xa5) fail("answer wrote past its buffer", i);
    bool other_server = (req->have & DHCP6_HAVE_SERVERID) &&
                        (req->server_id_len != sl || memcmp(req->server_id, sduid, sl) != 0);
    if (n == 0) return;
    if (other_server) fail("answered a request for another server", req->type);
    struct dhcp6_msg a;
    if (dhcp6_parse(out, n, &a) != DHCP6_PARSE_OK) fail("own answer does not parse", n);
    if (a.xid != req->xid) fail("answer with another transaction-id", a.xid);
    if (a.server_id_len != sl || memcmp(a.server_id, sduid, sl) != 0) fail("answer without our Server ID", 0);
    if ((req->have & DHCP6_HAVE_CLIENTID) &&
        (a.client_id_len != req->client_id_len || memcmp(a.client_id, req->client_id, a.client_id_len) != 0))
        fail("answer without the client's Client ID", 0);
    if (req->type == DHCP6_INFORMATION_REQUEST && a.type != DHCP6_REPLY)
        fail("Information-request not answered by Reply", a.type);
    if (req->type == DHCP6_SOLICIT && a.type != DHCP6_ADVERTISE) fail("Solicit not answered by Advertise", a.type);
    /* Every shorter buffer: nothing, never a partial message. */
    for (size_t cap = n > 64 ? n - 64 : 0; cap < n; cap++)
        if (dhcp6_build_answer(req, &cfg, out, cap) != 0) fail("built an answer into a too-small buffer", cap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A heap copy of exactly size bytes, so ASan sees any over-read. */
    uint8_t *msg = malloc(size ? size : 1);
    if (msg == NULL) return 0;
    if (size) memcpy(msg, data, size);
    struct dhcp6_msg m;
    enum dhcp6_parse_result r = dhcp6_parse(msg, size, &m);
    if (r > DHCP6_PARSE_OPTIONS) fail("unknown parse result", r);
    if (r == DHCP6_PARSE_LEN && size >= DHCP6_HDR_LEN) fail("length error for a full header", size);
    if (r == DHCP6_PARSE_OK) {
        check_repr(&m);
        check_client(&m);
        check_server(&m);
    }
    free(msg);
    return 0;
}
