/*
 * DHCP messages on the wire (RFC 2131 2, RFC 2132): a bounds-checked parser
 * into struct dhcp_msg and the builder, shared by the client and the
 * simulation server.
 */
#include <string.h>

#include "shoal/dhcp.h"

static ip4_addr_t rd_addr(const uint8_t *p)
{
    ip4_addr_t a;
    memcpy(&a.addr, p, 4);
    return a;
}

static void wr_addr(uint8_t *p, ip4_addr_t a) { memcpy(p, &a.addr, 4); }

/* One option; false when its length is wrong for its code (RFC 2132). */
static bool take_option(uint8_t code, const uint8_t *v, uint8_t len, struct dhcp_msg *out)
{
    switch (code) {
    case DHCP_OPT_MSG_TYPE:
        if (len != 1) return false;
        if (out->type == 0) out->type = v[0];
        return true;
    case DHCP_OPT_SUBNET_MASK:
        if (len != 4) return false;
        if (!(out->have & DHCP_HAVE_MASK)) out->netmask = rd_addr(v);
        out->have |= DHCP_HAVE_MASK;
        return true;
    case DHCP_OPT_ROUTER: /* RFC 2132 3.5: a list, first preferred */
        if (len < 4 || len % 4 != 0) return false;
        if (!(out->have & DHCP_HAVE_ROUTER)) out->router = rd_addr(v);
        out->have |= DHCP_HAVE_ROUTER;
        return true;
    case DHCP_OPT_DNS: /* RFC 2132 3.8: a list, in order of preference */
        if (len < 4 || len % 4 != 0) return false;
        if (!(out->have & DHCP_HAVE_DNS)) {
            for (uint8_t i = 0; i < len / 4u && out->dns_count < DHCP_DNS_MAX; i++)
                out->dns[out->dns_count++] = rd_addr(v + 4u * i);
        }
        out->have |= DHCP_HAVE_DNS;
        return true;
    case DHCP_OPT_REQUESTED_IP:
    case DHCP_OPT_SERVER_ID:
        if (len != 4) return false;
        if (code == DHCP_OPT_REQUESTED_IP) {
            if (!(out->have & DHCP_HAVE_REQUESTED_IP)) out->requested_ip = rd_addr(v);
            out->have |= DHCP_HAVE_REQUESTED_IP;
        } else {
            if (!(out->have & DHCP_HAVE_SERVER_ID)) out->server_id = rd_addr(v);
            out->have |= DHCP_HAVE_SERVER_ID;
        }
        return true;
    case DHCP_OPT_LEASE_TIME:
    case DHCP_OPT_T1:
    case DHCP_OPT_T2: {
        if (len != 4) return false;
        uint32_t t = rd32be(v);
        uint32_t bit = code == DHCP_OPT_LEASE_TIME ? DHCP_HAVE_LEASE : code == DHCP_OPT_T1 ? DHCP_HAVE_T1 : DHCP_HAVE_T2;
        if (!(out->have & bit)) {
            if (code == DHCP_OPT_LEASE_TIME) out->lease_s = t;
            else if (code == DHCP_OPT_T1) out->t1_s = t;
            else out->t2_s = t;
        }
        out->have |= bit;
        return true;
    }
    case DHCP_OPT_CLIENT_ID: /* RFC 2132 9.14: type + at least one byte */
        if (len < 2) return false;
        if (!(out->have & DHCP_HAVE_CLIENT_ID)) {
            out->client_id_len = (uint8_t)SHOAL_MIN(len, DHCP_CLIENT_ID_MAX);
            memcpy(out->client_id, v, out->client_id_len);
        }
        out->have |= DHCP_HAVE_CLIENT_ID;
        return true;
    case DHCP_OPT_HOSTNAME: /* RFC 2132 3.14: at least one byte */
        if (len < 1) return false;
        if (!(out->have & DHCP_HAVE_HOSTNAME)) {
            size_t n = SHOAL_MIN(len, DHCP_HOSTNAME_MAX);
            memcpy(out->hostname, v, n);
            out->hostname[n] = '\0';
        }
        out->have |= DHCP_HAVE_HOSTNAME;
        return true;
    case DHCP_OPT_PARAM_LIST:
        if (len < 1) return false;
        out->have |= DHCP_HAVE_PARAM_LIST;
        return true;
    default:
        return true; /* RFC 2131 4.1 / 2132 2: unknown options are skipped */
    }
}

/* Options in one field. overload: set from option 52 (only allowed in the
 * options field itself). RFC 2132 2: pad and end carry no length. */
static bool parse_field(const uint8_t *p, size_t len, struct dhcp_msg *out, uint8_t *overload)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = p[i];
        if (code == DHCP_OPT_PAD) {
            i++;
            continue;
        }
        if (code == DHCP_OPT_END) return true;
        if (i + 2u > len) return false;
        uint8_t olen = p[i + 1];
        if ((size_t)olen > len - i - 2u) return false;
        const uint8_t *v = p + i + 2;
        if (code == DHCP_OPT_OVERLOAD) {
            /* RFC 2132 9.3: 1 = file, 2 = sname, 3 = both. */
            if (overload == NULL || olen != 1 || v[0] < 1 || v[0] > 3) return false;
            *overload = v[0];
        } else if (!take_option(code, v, olen, out)) {
            return false;
        }
        i += 2u + olen;
    }
    return true; /* no end option: the data's end ends the field */
}

enum dhcp_parse_result dhcp_parse(const uint8_t *p, size_t len, struct dhcp_msg *out)
{
    if (p == NULL || out == NULL || len < DHCP_OPTIONS_OFS) return DHCP_PARSE_LEN;
    memset(out, 0, sizeof(*out));
    out->op = p[0];
    out->htype = p[1];
    out->hlen = p[2];
    out->hops = p[3];
    out->xid = rd32be(p + 4);
    out->secs = rd16be(p + 8);
    out->flags = rd16be(p + 10);
    out->ciaddr = rd_addr(p + 12);
    out->yiaddr = rd_addr(p + 16);
    out->siaddr = rd_addr(p + 20);
    out->giaddr = rd_addr(p + 24);
    memcpy(out->chaddr, p + 28, sizeof(out->chaddr));
    if (out->op != DHCP_BOOTREQUEST && out->op != DHCP_BOOTREPLY) return DHCP_PARSE_FORMAT;
    if (out->hlen > sizeof(out->chaddr)) return DHCP_PARSE_FORMAT;
    if (rd32be(p + DHCP_FIXED_LEN) != DHCP_MAGIC_COOKIE) return DHCP_PARSE_FORMAT;
    uint8_t overload = 0;
    if (!parse_field(p + DHCP_OPTIONS_OFS, len - DHCP_OPTIONS_OFS, out, &overload)) return DHCP_PARSE_OPTIONS;
    /* RFC 2131 4.1: with option overload, file then sname hold options too. */
    if ((overload & 1u) && !parse_field(p + DHCP_FILE_OFS, DHCP_FILE_LEN, out, NULL)) return DHCP_PARSE_OPTIONS;
    if ((overload & 2u) && !parse_field(p + DHCP_SNAME_OFS, DHCP_SNAME_LEN, out, NULL)) return DHCP_PARSE_OPTIONS;
    return DHCP_PARSE_OK;
}

/* Appends one option; false when it does not fit (one byte stays for end). */
static bool put(uint8_t *buf, size_t cap, size_t *at, uint8_t code, const void *v, size_t len)
{
    if (len > 255u || *at + 2u + len + 1u > cap) return false;
    buf[*at] = code;
    buf[*at + 1] = (uint8_t)len;
    if (len) memcpy(buf + *at + 2, v, len);
    *at += 2u + len;
    return true;
}

static bool put_addr(uint8_t *buf, size_t cap, size_t *at, uint8_t code, ip4_addr_t a)
{
    uint8_t v[4];
    wr_addr(v, a);
    return put(buf, cap, at, code, v, 4);
}

static bool put_u32(uint8_t *buf, size_t cap, size_t *at, uint8_t code, uint32_t x)
{
    uint8_t v[4];
    wr32be(v, x);
    return put(buf, cap, at, code, v, 4);
}

size_t dhcp_emit(const struct dhcp_msg *m, const uint8_t *param_list, size_t param_len, uint8_t *buf, size_t cap)
{
    if (m == NULL || buf == NULL || cap < DHCP_MIN_MSG_LEN) return 0;
    memset(buf, 0, DHCP_MIN_MSG_LEN);
    buf[0] = m->op;
    buf[1] = m->htype;
    buf[2] = m->hlen;
    buf[3] = m->hops;
    wr32be(buf + 4, m->xid);
    wr16be(buf + 8, m->secs);
    wr16be(buf + 10, m->flags);
    wr_addr(buf + 12, m->ciaddr);
    wr_addr(buf + 16, m->yiaddr);
    wr_addr(buf + 20, m->siaddr);
    wr_addr(buf + 24, m->giaddr);
    memcpy(buf + 28, m->chaddr, sizeof(m->chaddr));
    wr32be(buf + DHCP_FIXED_LEN, DHCP_MAGIC_COOKIE);
    size_t at = DHCP_OPTIONS_OFS;
    bool ok = true;
    /* RFC 2131 4.1: 53 first is customary and what relays expect. */
    if (m->type != 0) ok = ok && put(buf, cap, &at, DHCP_OPT_MSG_TYPE, &m->type, 1);
    if (m->have & DHCP_HAVE_CLIENT_ID) ok = ok && put(buf, cap, &at, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
    if (m->have & DHCP_HAVE_REQUESTED_IP) ok = ok && put_addr(buf, cap, &at, DHCP_OPT_REQUESTED_IP, m->requested_ip);
    if (m->have & DHCP_HAVE_SERVER_ID) ok = ok && put_addr(buf, cap, &at, DHCP_OPT_SERVER_ID, m->server_id);
    if (m->have & DHCP_HAVE_LEASE) ok = ok && put_u32(buf, cap, &at, DHCP_OPT_LEASE_TIME, m->lease_s);
    if (m->have & DHCP_HAVE_T1) ok = ok && put_u32(buf, cap, &at, DHCP_OPT_T1, m->t1_s);
    if (m->have & DHCP_HAVE_T2) ok = ok && put_u32(buf, cap, &at, DHCP_OPT_T2, m->t2_s);
    if (m->have & DHCP_HAVE_MASK) ok = ok && put_addr(buf, cap, &at, DHCP_OPT_SUBNET_MASK, m->netmask);
    if (m->have & DHCP_HAVE_ROUTER) ok = ok && put_addr(buf, cap, &at, DHCP_OPT_ROUTER, m->router);
    if ((m->have & DHCP_HAVE_DNS) && m->dns_count > 0) {
        uint8_t v[4u * DHCP_DNS_MAX];
        uint8_t n = (uint8_t)SHOAL_MIN(m->dns_count, DHCP_DNS_MAX);
        for (uint8_t i = 0; i < n; i++) wr_addr(v + 4u * i, m->dns[i]);
        ok = ok && put(buf, cap, &at, DHCP_OPT_DNS, v, 4u * n);
    }
    if ((m->have & DHCP_HAVE_HOSTNAME) && m->hostname[0] != '\0') {
        size_t n = 0;
        while (n < DHCP_HOSTNAME_MAX && m->hostname[n] != '\0') n++;
        ok = ok && put(buf, cap, &at, DHCP_OPT_HOSTNAME, m->hostname, n);
    }
    if (param_list != NULL && param_len > 0) ok = ok && put(buf, cap, &at, DHCP_OPT_PARAM_LIST, param_list, param_len);
    if (!ok) return 0;
    buf[at++] = DHCP_OPT_END;
    if (at < DHCP_MIN_MSG_LEN) {
        memset(buf + at, 0, DHCP_MIN_MSG_LEN - at); /* pad options (RFC 2132 3.1) */
        at = DHCP_MIN_MSG_LEN;
    }
    return at;
}
