/*
 * The DHCP message parser and builder (stack/ipv4/dhcp_msg.c): emit/parse
 * round trip, every truncation of a valid message, option overload, pad and
 * end, bad lengths, and random junk (run under ASan: no read past the end).
 */
#include "shoal/dhcp.h"
#include "check.h"
#include "test_platform.h"

static uint8_t *heap_copy(const uint8_t *p, size_t len)
{
    uint8_t *q = malloc(len ? len : 1);
    if (len) memcpy(q, p, len);
    return q;
}

static size_t sample(uint8_t *buf, size_t cap)
{
    struct dhcp_msg m;
    memset(&m, 0, sizeof(m));
    m.op = DHCP_BOOTREPLY;
    m.htype = 1;
    m.hlen = 6;
    m.xid = 0x12345678u;
    m.yiaddr = ip4_addr_make(10, 0, 0, 50);
    m.chaddr[0] = 2;
    m.chaddr[5] = 9;
    m.type = DHCP_ACK;
    m.server_id = ip4_addr_make(10, 0, 0, 2);
    m.netmask = ip4_netmask_from_prefix(24);
    m.router = ip4_addr_make(10, 0, 0, 254);
    m.dns[0] = ip4_addr_make(10, 0, 0, 53);
    m.dns[1] = ip4_addr_make(10, 0, 0, 54);
    m.dns_count = 2;
    m.lease_s = 3600;
    m.t1_s = 1800;
    m.t2_s = 3150;
    memcpy(m.hostname, "host", 5);
    m.have = DHCP_HAVE_SERVER_ID | DHCP_HAVE_MASK | DHCP_HAVE_ROUTER | DHCP_HAVE_DNS | DHCP_HAVE_LEASE | DHCP_HAVE_T1 |
             DHCP_HAVE_T2 | DHCP_HAVE_HOSTNAME;
    static const uint8_t params[] = {1, 3, 6};
    return dhcp_emit(&m, params, sizeof(params), buf, cap);
}

static void test_round_trip(void)
{
    uint8_t buf[600];
    size_t n = sample(buf, sizeof(buf));
    CHECK(n >= DHCP_MIN_MSG_LEN);
    CHECK_EQ(buf[DHCP_OPTIONS_OFS], DHCP_OPT_MSG_TYPE);
    struct dhcp_msg m;
    CHECK_EQ(dhcp_parse(buf, n, &m), DHCP_PARSE_OK);
    CHECK_EQ(m.op, DHCP_BOOTREPLY);
    CHECK_EQ(m.xid, 0x12345678u);
    CHECK_EQ(m.type, DHCP_ACK);
    CHECK_EQ(ip4_addr_to_u32(m.yiaddr), 0x0a000032u);
    CHECK_EQ(ip4_addr_to_u32(m.server_id), 0x0a000002u);
    CHECK_EQ(ip4_addr_to_u32(m.router), 0x0a0000feu);
    CHECK_EQ(m.dns_count, 2);
    CHECK_EQ(ip4_addr_to_u32(m.dns[1]), 0x0a000036u);
    CHECK_EQ(m.lease_s, 3600);
    CHECK_EQ(m.t1_s, 1800);
    CHECK_EQ(m.t2_s, 3150);
    CHECK(strcmp(m.hostname, "host") == 0);
    CHECK((m.have & DHCP_HAVE_PARAM_LIST) != 0);
    /* Exactly enough room builds it; one byte less builds nothing. */
    CHECK_EQ(sample(buf, n), n);
    CHECK_EQ(sample(buf, n - 1), 0);
    CHECK_EQ(sample(buf, 299), 0);
}

static void test_truncations(void)
{
    uint8_t buf[600];
    size_t n = sample(buf, sizeof(buf));
    struct dhcp_msg m;
    for (size_t len = 0; len < n; len++) {
        uint8_t *q = heap_copy(buf, len);
        enum dhcp_parse_result r = dhcp_parse(q, len, &m);
        if (len < DHCP_OPTIONS_OFS)
            CHECK_EQ(r, DHCP_PARSE_LEN);
        else
            CHECK(r == DHCP_PARSE_OK || r == DHCP_PARSE_OPTIONS);
        free(q);
    }
}

static void test_overload_and_errors(void)
{
    uint8_t buf[400];
    size_t n = sample(buf, sizeof(buf));
    struct dhcp_msg m;
    /* Options: 53, 52 = 3, end; the file field: 54; sname: 51. */
    uint8_t *o = buf + DHCP_OPTIONS_OFS;
    memset(o, 0, n - DHCP_OPTIONS_OFS);
    const uint8_t opts[] = {53, 1, 2, 0, 52, 1, 3, 255};
    memcpy(o, opts, sizeof(opts));
    const uint8_t file[] = {0, 54, 4, 10, 0, 0, 7, 255};
    memcpy(buf + DHCP_FILE_OFS, file, sizeof(file));
    const uint8_t sname[] = {51, 4, 0, 0, 1, 0, 255};
    memcpy(buf + DHCP_SNAME_OFS, sname, sizeof(sname));
    CHECK_EQ(dhcp_parse(buf, n, &m), DHCP_PARSE_OK);
    CHECK_EQ(ip4_addr_to_u32(m.server_id), 0x0a000007u);
    CHECK_EQ(m.lease_s, 256);
    /* Overload inside the file field is refused. */
    buf[DHCP_FILE_OFS] = 52;
    buf[DHCP_FILE_OFS + 1] = 1;
    buf[DHCP_FILE_OFS + 2] = 1;
    CHECK_EQ(dhcp_parse(buf, n, &m), DHCP_PARSE_OPTIONS);
    /* Bad cookie, op, hlen. */
    sample(buf, sizeof(buf));
    buf[DHCP_FIXED_LEN] ^= 1;
    CHECK_EQ(dhcp_parse(buf, n, &m), DHCP_PARSE_FORMAT);
    sample(buf, sizeof(buf));
    buf[0] = 3;
    CHECK_EQ(dhcp_parse(buf, n, &m), DHCP_PARSE_FORMAT);
    sample(buf, sizeof(buf));
    buf[2] = 17;
    CHECK_EQ(dhcp_parse(buf, n, &m), DHCP_PARSE_FORMAT);
    /* An option whose length runs past the end of the data. */
    uint8_t *q = heap_copy(buf, DHCP_OPTIONS_OFS + 3);
    sample(buf, sizeof(buf));
    memcpy(q, buf, DHCP_OPTIONS_OFS);
    q[DHCP_OPTIONS_OFS] = 51;
    q[DHCP_OPTIONS_OFS + 1] = 4;
    q[DHCP_OPTIONS_OFS + 2] = 0;
    CHECK_EQ(dhcp_parse(q, DHCP_OPTIONS_OFS + 3, &m), DHCP_PARSE_OPTIONS);
    free(q);
}

static void test_junk(void)
{
    struct test_platform tp;
    test_platform_init(&tp, 7);
    uint8_t base[600];
    size_t n = sample(base, sizeof(base));
    struct dhcp_msg m;
    for (unsigned i = 0; i < 20000; i++) {
        size_t len = test_platform_random32(&tp) % (n + 40);
        uint8_t *q = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++)
            q[k] = (k < n && (test_platform_random32(&tp) & 7)) ? base[k] : (uint8_t)test_platform_random32(&tp);
        enum dhcp_parse_result r = dhcp_parse(q, len, &m);
        CHECK(r <= DHCP_PARSE_OPTIONS);
        if (r == DHCP_PARSE_OK) CHECK(m.dns_count <= DHCP_DNS_MAX && m.client_id_len <= DHCP_CLIENT_ID_MAX);
        free(q);
    }
}

int main(void)
{
    test_round_trip();
    test_truncations();
    test_overload_and_errors();
    test_junk();
    return test_report("test_dhcp_parse");
}
