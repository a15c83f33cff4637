/*
 * DHCPv6 messages (stack/ipv6/dhcp6_msg.c): the Information-request as
 * built, the Reply check of RFC 8415 16.10, the server's answers and what
 * it ignores (RFC 8415 16.2, 16.12), option parsing with bad lengths, every
 * truncation, and random junk (run under ASan: no read past the end).
 */
#include "shoal/dhcp6.h"
#include "check.h"
#include "test_platform.h"

static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t server_mac[6] = {0x02, 0, 0, 0, 0, 0x02};

static size_t opt(uint8_t *p, uint16_t code, const void *v, uint16_t len)
{
    wr16be(p, code);
    wr16be(p + 2, len);
    memcpy(p + 4, v, len);
    return 4u + len;
}

static void test_duid(void)
{
    uint8_t duid[DHCP6_DUID_MAX];
    CHECK_EQ(dhcp6_duid_ll(mac, 6, duid, sizeof(duid)), 10);
    static const uint8_t want[10] = {0, 3, 0, 1, 2, 0, 0, 0, 0, 1};
    CHECK(memcmp(duid, want, 10) == 0);
    CHECK_EQ(dhcp6_duid_ll(mac, 6, duid, 9), 0);
}

static void test_inform(void)
{
    uint8_t duid[16], buf[128];
    size_t dl = dhcp6_duid_ll(mac, 6, duid, sizeof(duid));
    size_t n = dhcp6_build_inform(0xabcdef12u, duid, dl, 250, buf, sizeof(buf));
    /* header 4 + client id 14 + elapsed 6 + ORO 4+8 */
    CHECK_EQ(n, 36);
    CHECK_EQ(buf[0], DHCP6_INFORMATION_REQUEST);
    CHECK_EQ(buf[1], 0xcd); /* 24-bit transaction-id */
    CHECK_EQ(buf[3], 0x12);
    struct dhcp6_msg m;
    CHECK_EQ(dhcp6_parse(buf, n, &m), DHCP6_PARSE_OK);
    CHECK_EQ(m.type, DHCP6_INFORMATION_REQUEST);
    CHECK_EQ(m.xid, 0xcdef12u);
    CHECK(m.have & DHCP6_HAVE_CLIENTID);
    CHECK_EQ(m.client_id_len, 10);
    CHECK(memcmp(m.client_id, duid, 10) == 0);
    CHECK_EQ(m.elapsed_cs, 250);
    CHECK_EQ(m.oro_count, 4);
    CHECK_EQ(m.oro[0], 23);
    CHECK_EQ(m.oro[1], 24);
    CHECK_EQ(m.oro[2], 32);
    CHECK_EQ(m.oro[3], 83);
    CHECK(!(m.have & (DHCP6_HAVE_SERVERID | DHCP6_HAVE_IA)));
    /* Without a DUID: no Client Identifier. */
    n = dhcp6_build_inform(1, NULL, 0, 0, buf, sizeof(buf));
    CHECK_EQ(n, 22);
    CHECK_EQ(dhcp6_parse(buf, n, &m), DHCP6_PARSE_OK);
    CHECK(!(m.have & DHCP6_HAVE_CLIENTID));
    /* Too small a buffer: nothing. */
    CHECK_EQ(dhcp6_build_inform(1, duid, dl, 0, buf, 35), 0);
}

static ip6_addr_t dns1, dns2;

static size_t server_answer(const uint8_t *req, size_t req_len, uint8_t *out, size_t cap, uint32_t refresh,
                            const char *domain)
{
    uint8_t sduid[16];
    size_t sl = dhcp6_duid_ll(server_mac, 6, sduid, sizeof(sduid));
    ip6_addr_t dns[2] = {dns1, dns2};
    struct dhcp6_answer_cfg cfg = {.server_duid = sduid, .server_duid_len = sl, .dns = dns, .dns_count = 2,
                                   .domain = domain, .refresh_s = refresh};
    struct dhcp6_msg m;
    if (dhcp6_parse(req, req_len, &m) != DHCP6_PARSE_OK) return 0;
    return dhcp6_build_answer(&m, &cfg, out, cap);
}

static void test_exchange(void)
{
    uint8_t duid[16], req[128], rep[512];
    size_t dl = dhcp6_duid_ll(mac, 6, duid, sizeof(duid));
    size_t n = dhcp6_build_inform(0x123456u, duid, dl, 0, req, sizeof(req));
    size_t r = server_answer(req, n, rep, sizeof(rep), 7200, "example.test");
    CHECK(r > 0);
    struct dhcp6_msg m;
    CHECK_EQ(dhcp6_parse(rep, r, &m), DHCP6_PARSE_OK);
    CHECK_EQ(m.type, DHCP6_REPLY);
    CHECK(dhcp6_reply_matches(&m, 0x123456u, duid, dl));
    CHECK(!dhcp6_reply_matches(&m, 0x123457u, duid, dl));         /* another transaction */
    CHECK(!dhcp6_reply_matches(&m, 0x123456u, NULL, 0));          /* we sent no Client ID */
    uint8_t other[10];
    memcpy(other, duid, 10);
    other[9] ^= 1;
    CHECK(!dhcp6_reply_matches(&m, 0x123456u, other, 10));        /* another client's */
    CHECK_EQ(m.dns_count, 2);
    CHECK(ip6_addr_eq(&m.dns[0], &dns1));
    CHECK(ip6_addr_eq(&m.dns[1], &dns2));
    CHECK(strcmp(m.domain, "example.test") == 0);
    CHECK(m.have & DHCP6_HAVE_REFRESH);
    CHECK_EQ(m.refresh_s, 7200);
    CHECK_EQ(m.server_id_len, 10);
    CHECK_EQ(m.server_id[9], 2);

    /* No Client ID asked: none echoed, and the Reply still matches. */
    n = dhcp6_build_inform(0x42u, NULL, 0, 0, req, sizeof(req));
    r = server_answer(req, n, rep, sizeof(rep), 0, NULL);
    CHECK_EQ(dhcp6_parse(rep, r, &m), DHCP6_PARSE_OK);
    CHECK(dhcp6_reply_matches(&m, 0x42u, NULL, 0));
    CHECK(!(m.have & (DHCP6_HAVE_REFRESH | DHCP6_HAVE_DOMAIN)));

    /* A Reply without a Server Identifier is discarded (RFC 8415 16.10). */
    uint8_t bad[64] = {DHCP6_REPLY, 0, 0, 0x42};
    CHECK_EQ(dhcp6_parse(bad, 4, &m), DHCP6_PARSE_OK);
    CHECK(!dhcp6_reply_matches(&m, 0x42u, NULL, 0));
}

static void test_server_ignores(void)
{
    uint8_t duid[16], req[256], rep[512];
    size_t dl = dhcp6_duid_ll(mac, 6, duid, sizeof(duid));
    /* Information-request for another server: ignored; for us: answered. */
    size_t n = dhcp6_build_inform(7, duid, dl, 0, req, sizeof(req));
    uint8_t sduid[10] = {0, 3, 0, 1, 2, 0, 0, 0, 0, 9};
    size_t with_other = n + opt(req + n, DHCP6_OPT_SERVERID, sduid, sizeof(sduid));
    CHECK_EQ(server_answer(req, with_other, rep, sizeof(rep), 0, NULL), 0);
    sduid[9] = 2;
    n = dhcp6_build_inform(7, duid, dl, 0, req, sizeof(req));
    size_t with_ours = n + opt(req + n, DHCP6_OPT_SERVERID, sduid, sizeof(sduid));
    CHECK(server_answer(req, with_ours, rep, sizeof(rep), 0, NULL) > 0);
    /* With an IA_NA (RFC 8415 16.12): ignored. */
    uint8_t ia[12] = {0};
    size_t with_ia = n + opt(req + n, DHCP6_OPT_IA_NA, ia, sizeof(ia));
    CHECK_EQ(server_answer(req, with_ia, rep, sizeof(rep), 0, NULL), 0);

    /* Solicit: Advertise with NoAddrsAvail; without Client ID: ignored. */
    size_t s = 0;
    req[s++] = DHCP6_SOLICIT;
    req[s++] = 1;
    req[s++] = 2;
    req[s++] = 3;
    size_t bare = s;
    s += opt(req + s, DHCP6_OPT_CLIENTID, duid, (uint16_t)dl);
    s += opt(req + s, DHCP6_OPT_IA_NA, ia, sizeof(ia));
    size_t r = server_answer(req, s, rep, sizeof(rep), 0, NULL);
    struct dhcp6_msg m;
    CHECK_EQ(dhcp6_parse(rep, r, &m), DHCP6_PARSE_OK);
    CHECK_EQ(m.type, DHCP6_ADVERTISE);
    CHECK_EQ(m.xid, 0x010203u);
    CHECK(m.have & DHCP6_HAVE_STATUS);
    CHECK_EQ(m.status, DHCP6_STATUS_NO_ADDRS_AVAIL);
    CHECK_EQ(m.client_id_len, dl);
    CHECK_EQ(server_answer(req, bare, rep, sizeof(rep), 0, NULL), 0);
    /* Request, Renew, Reply...: nothing from a stateless server. */
    req[0] = DHCP6_REQUEST;
    CHECK_EQ(server_answer(req, s, rep, sizeof(rep), 0, NULL), 0);
    req[0] = DHCP6_REPLY;
    CHECK_EQ(server_answer(req, s, rep, sizeof(rep), 0, NULL), 0);
}

static void test_options(void)
{
    uint8_t p[300];
    struct dhcp6_msg m;
    p[0] = DHCP6_REPLY;
    p[1] = p[2] = p[3] = 0;
    /* Relay messages and unknown types are not ours. */
    uint8_t relay[4] = {DHCP6_RELAY_FORW, 0, 0, 0};
    CHECK_EQ(dhcp6_parse(relay, 4, &m), DHCP6_PARSE_FORMAT);
    relay[0] = 0;
    CHECK_EQ(dhcp6_parse(relay, 4, &m), DHCP6_PARSE_FORMAT);
    CHECK_EQ(dhcp6_parse(relay, 3, &m), DHCP6_PARSE_LEN);
    /* DNS servers: a multiple of 16. */
    uint8_t addrs[17] = {0x20, 0x01, 0x0d, 0xb8};
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DNS_SERVERS, addrs, 17), &m), DHCP6_PARSE_OPTIONS);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DNS_SERVERS, addrs, 16), &m), DHCP6_PARSE_OK);
    CHECK_EQ(m.dns_count, 1);
    /* Fixed lengths. */
    uint8_t four[4] = {0, 0, 1, 0};
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_ELAPSED_TIME, four, 3), &m), DHCP6_PARSE_OPTIONS);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_INFORMATION_REFRESH_TIME, four, 2), &m), DHCP6_PARSE_OPTIONS);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_INFORMATION_REFRESH_TIME, four, 4), &m), DHCP6_PARSE_OK);
    CHECK_EQ(m.refresh_s, 256);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_ORO, four, 3), &m), DHCP6_PARSE_OPTIONS);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_STATUS_CODE, four, 1), &m), DHCP6_PARSE_OPTIONS);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_CLIENTID, four, 2), &m), DHCP6_PARSE_OPTIONS);
    /* An option header cut short, and one that claims more than is there. */
    CHECK_EQ(dhcp6_parse(p, 4 + 3, &m), DHCP6_PARSE_OPTIONS);
    wr16be(p + 4, 99);
    wr16be(p + 6, 10);
    CHECK_EQ(dhcp6_parse(p, 4 + 4 + 9, &m), DHCP6_PARSE_OPTIONS);
    CHECK_EQ(dhcp6_parse(p, 4 + 4 + 10, &m), DHCP6_PARSE_OK); /* unknown option: skipped */
    /* Domain list: several names, the first kept; bad encodings refused. */
    static const uint8_t names[] = {3, 'f', 'o', 'o', 4, 't', 'e', 's', 't', 0, 3, 'b', 'a', 'r', 0};
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DOMAIN_LIST, names, sizeof(names)), &m), DHCP6_PARSE_OK);
    CHECK(strcmp(m.domain, "foo.test") == 0);
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DOMAIN_LIST, names, sizeof(names) - 1), &m), DHCP6_PARSE_OPTIONS);
    static const uint8_t pointer[] = {0xc0, 0x0c};
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DOMAIN_LIST, pointer, 2), &m), DHCP6_PARSE_OPTIONS);
    /* A name too long for our field is accepted but not kept. */
    uint8_t longname[80];
    longname[0] = 63;
    memset(longname + 1, 'a', 63);
    longname[64] = 3;
    memcpy(longname + 65, "com", 3);
    longname[68] = 0;
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DOMAIN_LIST, longname, 69), &m), DHCP6_PARSE_OK);
    CHECK(m.domain[0] == '\0');
    /* The root name alone: nothing. */
    uint8_t root = 0;
    CHECK_EQ(dhcp6_parse(p, 4 + opt(p + 4, DHCP6_OPT_DOMAIN_LIST, &root, 1), &m), DHCP6_PARSE_OK);
    CHECK(m.domain[0] == '\0');
}

static void test_truncations(void)
{
    uint8_t duid[16], req[128], rep[512];
    size_t dl = dhcp6_duid_ll(mac, 6, duid, sizeof(duid));
    size_t n = dhcp6_build_inform(9, duid, dl, 0, req, sizeof(req));
    size_t r = server_answer(req, n, rep, sizeof(rep), 600, "example.test");
    CHECK(r > 0);
    for (size_t len = 0; len < r; len++) {
        uint8_t *q = malloc(len ? len : 1);
        memcpy(q, rep, len);
        struct dhcp6_msg m;
        enum dhcp6_parse_result res = dhcp6_parse(q, len, &m);
        /* Only cuts at an option boundary parse. */
        if (len < 4)
            CHECK_EQ(res, DHCP6_PARSE_LEN);
        else
            CHECK(res == DHCP6_PARSE_OK || res == DHCP6_PARSE_OPTIONS);
        free(q);
    }
    /* Building into every too-small buffer fails cleanly. */
    for (size_t cap = 0; cap < r; cap++) CHECK_EQ(server_answer(req, n, rep, cap, 600, "example.test"), 0);
}

static void test_junk(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 11);
    uint8_t duid[16], base[512], out[DHCP6_MAX_MSG_LEN];
    size_t dl = dhcp6_duid_ll(mac, 6, duid, sizeof(duid));
    size_t bn = dhcp6_build_inform(5, duid, dl, 0, base, sizeof(base));
    bn = server_answer(base, bn, base, sizeof(base), 600, "a.example");
    for (unsigned i = 0; i < 20000; i++) {
        size_t len = test_platform_random32(&tp) % (bn + 40);
        uint8_t *q = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++)
            q[k] = (k < bn && (test_platform_random32(&tp) & 7)) ? base[k] : (uint8_t)test_platform_random32(&tp);
        if (len > 0 && (i & 1)) q[0] = (uint8_t)(1 + i % 11);
        struct dhcp6_msg m;
        enum dhcp6_parse_result res = dhcp6_parse(q, len, &m);
        CHECK(res <= DHCP6_PARSE_OPTIONS);
        if (res == DHCP6_PARSE_OK) {
            CHECK(m.dns_count <= DHCP6_MAX_DNS && m.oro_count <= DHCP6_ORO_MAX);
            CHECK(m.client_id_len <= DHCP6_DUID_MAX && m.server_id_len <= DHCP6_DUID_MAX);
            CHECK(memchr(m.domain, 0, sizeof(m.domain)) != NULL);
            size_t r = server_answer(q, len, out, sizeof(out), 600, "a.example");
            if (r > 0) {
                struct dhcp6_msg a;
                CHECK_EQ(dhcp6_parse(out, r, &a), DHCP6_PARSE_OK);
                CHECK_EQ(a.xid, m.xid);
            }
        }
        free(q);
    }
}

int main(void)
{
    dns1 = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53);
    dns2 = ip6_addr_make(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x54);
    test_duid();
    test_inform();
    test_exchange();
    test_server_ignores();
    test_options();
    test_truncations();
    test_junk();
    return test_report("test_dhcp6_msg");
}
