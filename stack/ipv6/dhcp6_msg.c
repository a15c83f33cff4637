/*
 * DHCPv6 messages on the wire (RFC 8415 8, 21; RFC 3646): a bounds-checked
 * parser into struct dhcp6_msg, the client's Information-request and Reply
 * check, and the stateless server's answers. Pure functions: no instance.
 */
#include <string.h>

#include "shoal/dhcp6.h"
#include "shoal/dns.h"

/* ---- parsing ---- */

/* RFC 8415 10 / RFC 1035 3.1: one uncompressed name starting at p[0],
 * within len. Returns its wire length (with the final zero), 0 if bad. */
static size_t name_len(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t l = p[i];
        if (l == 0) return i + 1u <= DNS_NAME_WIRE_MAX ? i + 1u : 0;
        if (l > 63u) return 0; /* also refuses compression pointers (RFC 8415 10) */
        i += 1u + l;
        if (i + 1u > DNS_NAME_WIRE_MAX) return 0;
    }
    return 0; /* no terminating zero inside the option */
}

/* RFC 3646 4: a list of names filling the option exactly. The first, dotted,
 * goes to out when it fits; the root name gives nothing. */
static bool take_domain_list(const uint8_t *v, size_t len, struct dhcp6_msg *out)
{
    size_t i = 0;
    bool first = !(out->have & DHCP6_HAVE_DOMAIN);
    while (i < len) {
        size_t n = name_len(v + i, len - i);
        if (n == 0) return false;
        if (first && n > 1u) {
            char text[DNS_NAME_WIRE_MAX + 1u];
            size_t t = dns_name_to_text(v + i, n, text, sizeof(text));
            if (t < DHCP6_DOMAIN_MAX && t < DNS_NAME_WIRE_MAX) memcpy(out->domain, text, t + 1u);
            first = false;
        }
        i += n;
    }
    out->have |= DHCP6_HAVE_DOMAIN;
    return true;
}

/* One option; false when its length or content is wrong (RFC 8415 21). The
 * first of a repeated option counts; unknown options are skipped. */
static bool take_option(uint16_t code, const uint8_t *v, size_t len, struct dhcp6_msg *out)
{
    switch (code) {
    case DHCP6_OPT_CLIENTID:
    case DHCP6_OPT_SERVERID: {
        /* RFC 8415 11.1: a 2-octet type and at most 128 octets. */
        if (len < 3u || len > DHCP6_DUID_MAX) return false;
        bool client = code == DHCP6_OPT_CLIENTID;
        uint16_t bit = client ? DHCP6_HAVE_CLIENTID : DHCP6_HAVE_SERVERID;
        if (!(out->have & bit)) {
            memcpy(client ? out->client_id : out->server_id, v, len);
            if (client)
                out->client_id_len = (uint8_t)len;
            else
                out->server_id_len = (uint8_t)len;
        }
        out->have |= bit;
        return true;
    }
    case DHCP6_OPT_ORO: /* RFC 8415 21.7: a list of 16-bit codes */
        if (len % 2u != 0) return false;
        if (!(out->have & DHCP6_HAVE_ORO))
            for (size_t i = 0; i + 1u < len && out->oro_count < DHCP6_ORO_MAX; i += 2u)
                out->oro[out->oro_count++] = rd16be(v + i);
        out->have |= DHCP6_HAVE_ORO;
        return true;
    case DHCP6_OPT_ELAPSED_TIME: /* RFC 8415 21.9 */
        if (len != 2u) return false;
        if (!(out->have & DHCP6_HAVE_ELAPSED)) out->elapsed_cs = rd16be(v);
        out->have |= DHCP6_HAVE_ELAPSED;
        return true;
    case DHCP6_OPT_STATUS_CODE: /* RFC 8415 21.13: code, then a UTF-8 message */
        if (len < 2u) return false;
        if (!(out->have & DHCP6_HAVE_STATUS)) out->status = rd16be(v);
        out->have |= DHCP6_HAVE_STATUS;
        return true;
    case DHCP6_OPT_DNS_SERVERS: /* RFC 3646 3: addresses, in order of preference */
        if (len % IP6_ADDR_LEN != 0) return false;
        if (!(out->have & DHCP6_HAVE_DNS))
            for (size_t i = 0; i < len && out->dns_count < DHCP6_MAX_DNS; i += IP6_ADDR_LEN)
                ip6_addr_from_bytes(&out->dns[out->dns_count++], v + i);
        out->have |= DHCP6_HAVE_DNS;
        return true;
    case DHCP6_OPT_DOMAIN_LIST: return take_domain_list(v, len, out);
    case DHCP6_OPT_INFORMATION_REFRESH_TIME: /* RFC 8415 21.23 */
    case DHCP6_OPT_INF_MAX_RT: {             /* RFC 8415 21.25 */
        if (len != 4u) return false;
        bool refresh = code == DHCP6_OPT_INFORMATION_REFRESH_TIME;
        uint16_t bit = refresh ? DHCP6_HAVE_REFRESH : DHCP6_HAVE_INF_MAX_RT;
        if (!(out->have & bit)) {
            if (refresh)
                out->refresh_s = rd32be(v);
            else
                out->inf_max_rt_s = rd32be(v);
        }
        out->have |= bit;
        return true;
    }
    case DHCP6_OPT_IA_NA: /* RFC 8415 21.4, 21.5, 21.21: IAID (+ T1, T2) first */
    case DHCP6_OPT_IA_PD:
        if (len < 12u) return false;
        out->have |= DHCP6_HAVE_IA;
        return true;
    case DHCP6_OPT_IA_TA:
        if (len < 4u) return false;
        out->have |= DHCP6_HAVE_IA;
        return true;
    default: return true;
    }
}

enum dhcp6_parse_result dhcp6_parse(const uint8_t *p, size_t len, struct dhcp6_msg *out)
{
    if (p == NULL || out == NULL || len < DHCP6_HDR_LEN) return DHCP6_PARSE_LEN;
    memset(out, 0, sizeof(*out));
    out->type = p[0];
    out->xid = ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    /* RFC 8415 8 / 9: relay messages have another layout; we are no relay. */
    if (out->type < DHCP6_SOLICIT || out->type > DHCP6_INFORMATION_REQUEST) return DHCP6_PARSE_FORMAT;
    size_t i = DHCP6_HDR_LEN;
    while (i < len) {
        if (len - i < 4u) return DHCP6_PARSE_OPTIONS;
        uint16_t code = rd16be(p + i);
        size_t olen = rd16be(p + i + 2);
        if (olen > len - i - 4u) return DHCP6_PARSE_OPTIONS;
        if (!take_option(code, p + i + 4, olen, out)) return DHCP6_PARSE_OPTIONS;
        i += 4u + olen;
    }
    return DHCP6_PARSE_OK;
}

/* ---- building ---- */

/* Appends one option; false when it does not fit. */
static bool put(uint8_t *buf, size_t cap, size_t *at, uint16_t code, const void *v, size_t len)
{
    if (len > 0xffffu || *at > cap || cap - *at < 4u + len) return false;
    wr16be(buf + *at, code);
    wr16be(buf + *at + 2, (uint16_t)len);
    if (len) memcpy(buf + *at + 4, v, len);
    *at += 4u + len;
    return true;
}

static bool put_header(uint8_t *buf, size_t cap, size_t *at, uint8_t type, uint32_t xid)
{
    if (cap < DHCP6_HDR_LEN) return false;
    buf[0] = type;
    buf[1] = (uint8_t)(xid >> 16);
    buf[2] = (uint8_t)(xid >> 8);
    buf[3] = (uint8_t)xid;
    *at = DHCP6_HDR_LEN;
    return true;
}

size_t dhcp6_duid_ll(const uint8_t *hwaddr, size_t hwaddr_len, uint8_t *out, size_t cap)
{
    if (4u + hwaddr_len > cap || 4u + hwaddr_len > DHCP6_DUID_MAX) return 0;
    wr16be(out, DHCP6_DUID_LL);
    wr16be(out + 2, 1); /* hardware type: Ethernet (RFC 826 / IANA) */
    if (hwaddr_len) memcpy(out + 4, hwaddr, hwaddr_len);
    return 4u + hwaddr_len;
}

size_t dhcp6_build_inform(uint32_t xid, const uint8_t *duid, size_t duid_len, uint16_t elapsed_cs, uint8_t *buf,
                          size_t cap)
{
    /* RFC 8415 18.2.6 / 21.7: ask for the refresh time and INF_MAX_RT along
     * with what we want (RFC 3646: DNS servers and the domain list). */
    static const uint16_t oro[] = {DHCP6_OPT_DNS_SERVERS, DHCP6_OPT_DOMAIN_LIST, DHCP6_OPT_INFORMATION_REFRESH_TIME,
                                   DHCP6_OPT_INF_MAX_RT};
    uint8_t oro_wire[sizeof(oro)];
    for (size_t i = 0; i < sizeof(oro) / sizeof(oro[0]); i++) wr16be(oro_wire + 2u * i, oro[i]);
    uint8_t elapsed[2];
    wr16be(elapsed, elapsed_cs);
    size_t at;
    bool ok = buf != NULL && put_header(buf, cap, &at, DHCP6_INFORMATION_REQUEST, xid & 0xffffffu);
    if (ok && duid_len > 0) ok = put(buf, cap, &at, DHCP6_OPT_CLIENTID, duid, duid_len);
    ok = ok && put(buf, cap, &at, DHCP6_OPT_ELAPSED_TIME, elapsed, sizeof(elapsed));
    ok = ok && put(buf, cap, &at, DHCP6_OPT_ORO, oro_wire, sizeof(oro_wire));
    return ok ? at : 0;
}

bool dhcp6_reply_matches(const struct dhcp6_msg *m, uint32_t xid, const uint8_t *duid, size_t duid_len)
{
    /* RFC 8415 16.10: a Server Identifier, our transaction-id, and a Client
     * Identifier equal to ours exactly when we sent one. */
    if (m->type != DHCP6_REPLY || m->xid != (xid & 0xffffffu) || !(m->have & DHCP6_HAVE_SERVERID)) return false;
    if (duid_len == 0) return !(m->have & DHCP6_HAVE_CLIENTID);
    return (m->have & DHCP6_HAVE_CLIENTID) && m->client_id_len == duid_len &&
           memcmp(m->client_id, duid, duid_len) == 0;
}

static bool put_config(const struct dhcp6_answer_cfg *cfg, uint8_t *buf, size_t cap, size_t *at)
{
    bool ok = true;
    if (cfg->dns != NULL && cfg->dns_count > 0) {
        uint8_t v[IP6_ADDR_LEN * DHCP6_MAX_DNS];
        size_t n = SHOAL_MIN(cfg->dns_count, DHCP6_MAX_DNS);
        for (size_t i = 0; i < n; i++) ip6_addr_to_bytes(&cfg->dns[i], v + IP6_ADDR_LEN * i);
        ok = put(buf, cap, at, DHCP6_OPT_DNS_SERVERS, v, IP6_ADDR_LEN * n);
    }
    if (ok && cfg->domain != NULL && cfg->domain[0] != '\0') {
        uint8_t wire[DNS_NAME_WIRE_MAX];
        size_t wire_len;
        /* RFC 3646 4: uncompressed wire-form names (RFC 8415 10). */
        if (dns_name_from_text(cfg->domain, wire, &wire_len) == ERR_OK)
            ok = put(buf, cap, at, DHCP6_OPT_DOMAIN_LIST, wire, wire_len);
    }
    return ok;
}

size_t dhcp6_build_answer(const struct dhcp6_msg *req, const struct dhcp6_answer_cfg *cfg, uint8_t *buf, size_t cap)
{
    if (req == NULL || cfg == NULL || buf == NULL || cfg->server_duid_len == 0) return 0;
    bool has_server_id = (req->have & DHCP6_HAVE_SERVERID) != 0;
    bool ours = has_server_id && req->server_id_len == cfg->server_duid_len &&
                memcmp(req->server_id, cfg->server_duid, cfg->server_duid_len) == 0;
    size_t at;
    bool ok;
    switch (req->type) {
    case DHCP6_INFORMATION_REQUEST: {
        /* RFC 8415 16.12: not for another server, and no IA options. */
        if ((has_server_id && !ours) || (req->have & DHCP6_HAVE_IA)) return 0;
        /* RFC 8415 18.3.6: Server Identifier, the Client Identifier when
         * sent, the configuration, and the information refresh time. */
        ok = put_header(buf, cap, &at, DHCP6_REPLY, req->xid);
        ok = ok && put(buf, cap, &at, DHCP6_OPT_SERVERID, cfg->server_duid, cfg->server_duid_len);
        if (ok && (req->have & DHCP6_HAVE_CLIENTID))
            ok = put(buf, cap, &at, DHCP6_OPT_CLIENTID, req->client_id, req->client_id_len);
        ok = ok && put_config(cfg, buf, cap, &at);
        if (ok && cfg->refresh_s != 0) {
            uint8_t v[4];
            wr32be(v, cfg->refresh_s);
            ok = put(buf, cap, &at, DHCP6_OPT_INFORMATION_REFRESH_TIME, v, sizeof(v));
        }
        return ok ? at : 0;
    }
    case DHCP6_SOLICIT: {
        /* RFC 8415 16.2: a Solicit names its client and no server. */
        if (!(req->have & DHCP6_HAVE_CLIENTID) || has_server_id) return 0;
        /* RFC 8415 18.3.9: no addresses here: Advertise with NoAddrsAvail. */
        static const char text[] = "no addresses: stateless server";
        uint8_t status[2 + sizeof(text) - 1];
        wr16be(status, DHCP6_STATUS_NO_ADDRS_AVAIL);
        memcpy(status + 2, text, sizeof(text) - 1);
        ok = put_header(buf, cap, &at, DHCP6_ADVERTISE, req->xid);
        ok = ok && put(buf, cap, &at, DHCP6_OPT_SERVERID, cfg->server_duid, cfg->server_duid_len);
        ok = ok && put(buf, cap, &at, DHCP6_OPT_CLIENTID, req->client_id, req->client_id_len);
        ok = ok && put(buf, cap, &at, DHCP6_OPT_STATUS_CODE, status, sizeof(status));
        return ok ? at : 0;
    }
    default: return 0; /* Request, Renew, ...: nothing to lease */
    }
}
