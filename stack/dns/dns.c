/*
 * The stub resolver: lookups, retransmission across servers, matching of
 * responses, CNAME chains, and the glue to the cache (dns_cache.c) and the
 * parser (dns_parse.c).
 *
 * Retransmission (RFC 1035 4.2.1, RFC 1123 6.1.3.3, RFC 1536 1): attempt k
 * goes to the k-th configured server in turn, and waits timeout_ms << round
 * (round = k / servers) before the next attempt, so each server is asked in
 * turn with exponential backoff, `rounds` times at most. A server that
 * answers with an error (or a truncated answer: we have no TCP fallback) is
 * skipped for the rest of that lookup (RFC 1035 7.2 / 7.3).
 *
 * Spoofing resistance (RFC 5452 9): a fresh PCB on a random port and a random
 * ID per query; a response is accepted only from port 53 of a server this
 * query was sent to, with our ID, QR set, opcode QUERY and our question
 * (name case-insensitively, type, class). Anything else is dropped and
 * counted (dns.proterr, stats.mismatched); malformed messages are dropped
 * and counted (dns.lenerr, stats.malformed). A dropped response never ends a
 * lookup: the retries continue.
 */
#include "dns_priv.h"

#include "core/stack_priv.h"
#include "shoal/pbuf.h"
#include "shoal/sockets.h"
#include "shoal/udp.h"
#include "shoal/opt.h"

#include <string.h>

/* Random-port tries before falling back to the stack's ephemeral picker. */
#define DNS_PORT_TRIES 8u

static void query_free(struct dns_query *q)
{
    struct stack *s = q->r->stack;
    stack_timer_cancel(s, &q->timer);
    if (q->pcb != NULL) udp_remove(q->pcb);
    q->pcb = NULL;
    q->state = DNS_Q_FREE;
}

/* End a lookup: the slot is free again before the callback runs, so the
 * callback may start new lookups. */
static void query_finish(struct dns_query *q, const struct dns_result *res)
{
    dns_found_fn fn = q->fn;
    void *arg = q->arg;
    query_free(q);
    if (fn != NULL) fn(arg, res);
}

static void query_fail(struct dns_query *q, enum dns_status st)
{
    struct dns_result res;
    memset(&res, 0, sizeof(res));
    res.status = st;
    if (st == DNS_TIMEOUT) q->r->stats.timeouts++;
    query_finish(q, &res);
}

const char *dns_status_str(enum dns_status st)
{
    switch (st) {
    case DNS_OK: return "OK";
    case DNS_NXDOMAIN: return "NXDOMAIN";
    case DNS_NODATA: return "NODATA";
    case DNS_SERVFAIL: return "SERVFAIL";
    case DNS_TIMEOUT: return "TIMEOUT";
    case DNS_CANCELLED: return "CANCELLED";
    default: return "?";
    }
}

struct dns_resolver *dns_get(struct stack *s) { return s != NULL ? s->dns : NULL; }

static unsigned server_count(const struct dns_resolver *r)
{
    unsigned n = 0;
    for (unsigned i = 0; i < DNS_MAX_SERVERS; i++)
        if (!ip_addr_is_any(&r->servers[i])) n++;
    return n;
}

/* Slot index of the n-th configured server, or -1. */
static int nth_server(const struct dns_resolver *r, unsigned n)
{
    for (unsigned i = 0; i < DNS_MAX_SERVERS; i++) {
        if (ip_addr_is_any(&r->servers[i])) continue;
        if (n-- == 0) return (int)i;
    }
    return -1;
}

/* RFC 5452 9.1: replies only from a server asked (a link-local server's
 * zone included). */
static int server_index(const struct dns_resolver *r, const ip_addr_t *addr)
{
    for (unsigned i = 0; i < DNS_MAX_SERVERS; i++) {
        const ip_addr_t *sv = &r->servers[i];
        if (ip_addr_is_any(sv) || sv->type != addr->type) continue;
        if (sv->type == IPADDR_TYPE_V4 ? sv->u_addr.ip4.addr == addr->u_addr.ip4.addr
                                       : ip6_addr_eq(&sv->u_addr.ip6, &addr->u_addr.ip6))
            return (int)i;
    }
    return -1;
}

static void query_timeout(struct stack *s, void *arg);

/* Send attempt q->attempt and arm the timer for the next one. */
static void query_send(struct dns_query *q)
{
    struct dns_resolver *r = q->r;
    struct stack *s = r->stack;
    unsigned n = server_count(r);
    int idx = n ? nth_server(r, q->attempt % n) : -1;
    if (idx < 0) {
        query_fail(q, DNS_TIMEOUT);
        return;
    }
    unsigned round = q->attempt / n;
    uint8_t msg[DNS_HDR_LEN + DNS_NAME_WIRE_MAX + 4];
    size_t len = dns_query_emit(q->id, q->name, q->name_len, q->qtype, msg, sizeof(msg));
    struct pbuf *p = len ? pbuf_alloc(s, PBUF_TRANSPORT, len) : NULL;
    if (p == NULL) {
        STATS_INC(s, STATS_DNS, memerr);
    } else {
        pbuf_take(p, msg, len);
        err_t e = udp_sendto(q->pcb, p, &r->servers[idx], DNS_SERVER_PORT);
        pbuf_free(p);
        if (e == ERR_OK) {
            STATS_INC(s, STATS_DNS, xmit);
            r->stats.sent++;
            if (q->attempt > 0) r->stats.retransmits++;
        } else {
            STATS_INC(s, STATS_DNS, err);
        }
    }
    /* Sent or not, the query counts as asked there: a failed send just
     * waits like a lost one, so there is no tight loop. */
    q->sent_mask = (uint8_t)(q->sent_mask | (1u << idx));
    uint64_t wait_ms = (uint64_t)r->timeout_ms << (round > 16 ? 16 : round);
    if (wait_ms > DNS_MAX_WAIT_MS) wait_ms = SHOAL_MAX((uint64_t)r->timeout_ms, (uint64_t)DNS_MAX_WAIT_MS);
    stack_timer_arm(s, &q->timer, stack_now(s) + wait_ms * SHOAL_NS_PER_MS, query_timeout, q);
}

/* Move on to the next attempt (skipping servers that failed this lookup),
 * or give up. */
static void query_next(struct dns_query *q)
{
    struct dns_resolver *r = q->r;
    unsigned n = server_count(r);
    unsigned max = n * (r->rounds ? r->rounds : 1u);
    for (;;) {
        if (n == 0 || (unsigned)q->attempt + 1 >= max) {
            query_fail(q, (enum dns_status)q->fail_status);
            return;
        }
        q->attempt++;
        int idx = nth_server(r, q->attempt % n);
        if (idx >= 0 && !(q->failed_mask & (1u << idx))) break;
    }
    query_send(q);
}

static void query_timeout(struct stack *s, void *arg)
{
    (void)s;
    struct dns_query *q = arg;
    if (q->state != DNS_Q_PENDING) return;
    query_next(q);
}

/* ---- responses ---- */

static bool question_matches(const struct dns_query *q, const uint8_t *msg, size_t len, const struct dns_msg_repr *m)
{
    uint8_t name[DNS_NAME_WIRE_MAX];
    size_t name_len, next;
    if (m->qdcount != 1 || m->qtype != q->qtype || m->qclass != DNS_CLASS_IN) return false;
    if (dns_name_read(msg, len, m->qname_off, &next, name, &name_len) != ERR_OK) return false;
    return dns_name_eq(name, name_len, q->name, q->name_len);
}

static bool owner_is(const uint8_t *msg, size_t len, const struct dns_rr_repr *rr, const uint8_t *name,
                     size_t name_len)
{
    uint8_t owner[DNS_NAME_WIRE_MAX];
    size_t owner_len, next;
    if (dns_name_read(msg, len, rr->name_off, &next, owner, &owner_len) != ERR_OK) return false;
    return dns_name_eq(owner, owner_len, name, name_len);
}

static uint32_t clamp_ttl(const struct dns_resolver *r, uint32_t ttl, uint32_t max)
{
    if (ttl == 0) return 0; /* RFC 1035 3.2.1: only for this transaction */
    if (ttl < r->ttl_min_s) ttl = r->ttl_min_s;
    if (ttl > max) ttl = max;
    return ttl;
}

/* RFC 2308 5: a negative answer lives min(SOA TTL, SOA MINIMUM); without an
 * SOA in the authority section it is not cached. */
static uint32_t negative_ttl(const struct dns_resolver *r, const uint8_t *msg, const struct dns_msg_repr *m)
{
    for (unsigned i = 0; i < m->rr_count; i++) {
        const struct dns_rr_repr *rr = &m->rr[i];
        if (rr->section != 2 || rr->type != DNS_RR_SOA || rr->rclass != DNS_CLASS_IN) continue;
        /* dns_parse checked that the SOA's RDATA ends with 20 octets. */
        uint32_t minimum = rd32be(msg + rr->rdata_off + rr->rdlen - 4);
        if (minimum & 0x80000000u) minimum = 0;
        uint32_t ttl = SHOAL_MIN(rr->ttl, minimum);
        return clamp_ttl(r, ttl, SHOAL_MIN(r->neg_ttl_max_s, r->ttl_max_s));
    }
    return 0;
}

static bool has_soa(const struct dns_msg_repr *m)
{
    for (unsigned i = 0; i < m->rr_count; i++)
        if (m->rr[i].section == 2 && m->rr[i].type == DNS_RR_SOA) return true;
    return false;
}

static void answer_negative(struct dns_query *q, const uint8_t *msg, const struct dns_msg_repr *m,
                            enum dns_status st)
{
    struct dns_resolver *r = q->r;
    struct dns_result res;
    memset(&res, 0, sizeof(res));
    res.status = st;
    res.ttl_s = negative_ttl(r, msg, m);
    if (st == DNS_NXDOMAIN)
        r->stats.nxdomain++;
    else
        r->stats.nodata++;
    dns_cache_insert(r, q->key, q->key_len, q->qtype, &res, stack_now(r->stack));
    query_finish(q, &res);
}

/* RCODE NOERROR: follow CNAMEs from the name asked (RFC 1034 3.6.2, 4.3.2)
 * through the answer section, and collect the records of the type asked. */
static void answer_positive(struct dns_query *q, const uint8_t *msg, size_t len, const struct dns_msg_repr *m)
{
    struct dns_resolver *r = q->r;
    struct dns_result res;
    memset(&res, 0, sizeof(res));
    uint8_t cur[DNS_NAME_WIRE_MAX];
    size_t cur_len = q->name_len;
    memcpy(cur, q->name, cur_len);
    uint32_t ttl = q->chain_ttl_s;
    bool followed = false, chain_ok = false;

    for (unsigned hop = 0; hop <= DNS_MAX_CNAME_HOPS; hop++) {
        uint8_t next[DNS_NAME_WIRE_MAX];
        size_t next_len = 0;
        bool cname = false;
        uint32_t cname_ttl = 0;
        for (unsigned i = 0; i < m->rr_count; i++) {
            const struct dns_rr_repr *rr = &m->rr[i];
            if (rr->section != 1 || rr->rclass != DNS_CLASS_IN) continue;
            if (rr->type != q->qtype && rr->type != DNS_RR_CNAME) continue;
            if (!owner_is(msg, len, rr, cur, cur_len)) continue;
            if (rr->type == q->qtype) {
                if (res.count < DNS_MAX_ADDRS) {
                    struct dns_addr *a = &res.addrs[res.count++];
                    a->family = rr->type == DNS_RR_AAAA ? 6 : 4;
                    memcpy(a->bytes, msg + rr->rdata_off, rr->type == DNS_RR_AAAA ? 16u : 4u);
                }
                ttl = SHOAL_MIN(ttl, rr->ttl);
            } else if (!cname) {
                size_t nx;
                if (dns_name_read(msg, len, rr->rdata_off, &nx, next, &next_len) != ERR_OK) continue;
                cname = true;
                cname_ttl = rr->ttl;
            }
        }
        if (res.count > 0 || !cname) {
            chain_ok = true;
            break;
        }
        /* RFC 1034 3.6.2: an alias has no other data; go on with its target. */
        ttl = SHOAL_MIN(ttl, cname_ttl);
        memcpy(cur, next, next_len);
        cur_len = next_len;
        followed = true;
    }

    if (res.count > 0) {
        res.status = DNS_OK;
        res.ttl_s = clamp_ttl(r, ttl, r->ttl_max_s);
        dns_cache_insert(r, q->key, q->key_len, q->qtype, &res, stack_now(r->stack));
        query_finish(q, &res);
        return;
    }
    if (!chain_ok) {
        /* A CNAME loop or a chain longer than we follow: a broken answer. */
        STATS_INC(r->stack, STATS_DNS, err);
        q->fail_status = DNS_SERVFAIL;
        q->failed_mask = (uint8_t)(q->failed_mask | q->last_server_mask);
        query_next(q);
        return;
    }
    if (followed && !has_soa(m) && q->restarts < DNS_MAX_RESTARTS) {
        /* RFC 1034 5.3.3 step 3: the server gave the alias but not the data
         * of its target: ask again for the canonical name. */
        r->stats.restarts++;
        q->restarts++;
        memcpy(q->name, cur, cur_len);
        q->name_len = (uint8_t)cur_len;
        q->chain_ttl_s = ttl;
        q->id = (uint16_t)stack_random32(r->stack);
        q->attempt = 0;
        q->sent_mask = 0;
        q->failed_mask = 0;
        q->fail_status = DNS_TIMEOUT;
        query_send(q);
        return;
    }
    answer_negative(q, msg, m, DNS_NODATA);
}

static void dns_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    struct dns_query *q = arg;
    struct dns_resolver *r = q->r;
    struct stack *s = r->stack;
    if (q->state != DNS_Q_PENDING || q->pcb != pcb) {
        pbuf_free(p);
        return;
    }
    /* RFC 5452 9.1: the source must be a server we asked, from port 53. */
    int from = server_index(r, addr);
    if (port != DNS_SERVER_PORT || from < 0 || !(q->sent_mask & (1u << from))) {
        r->stats.mismatched++;
        STATS_DROP(s, STATS_DNS, proterr);
        pbuf_free(p);
        return;
    }
    size_t len = p->tot_len;
    if (len > DNS_MSG_MAX) {
        r->stats.malformed++;
        STATS_DROP(s, STATS_DNS, lenerr);
        pbuf_free(p);
        return;
    }
    pbuf_copy_partial(p, r->buf, len, 0);
    pbuf_free(p);
    const uint8_t *msg = r->buf;
    struct dns_msg_repr *m = &r->rx;
    err_t e = dns_parse(msg, len, m);
    if (e != ERR_OK) {
        r->stats.malformed++;
        if (e == ERR_VAL)
            STATS_DROP(s, STATS_DNS, proterr);
        else
            STATS_DROP(s, STATS_DNS, lenerr);
        return;
    }
    if (!(m->flags & DNS_FLAG_QR) || DNS_OPCODE(m->flags) != 0 || m->id != q->id ||
        !question_matches(q, msg, len, m)) {
        r->stats.mismatched++;
        STATS_DROP(s, STATS_DNS, proterr);
        return;
    }
    STATS_INC(s, STATS_DNS, recv);
    r->stats.responses++;
    q->last_server_mask = (uint8_t)(1u << from);
    if (m->flags & DNS_FLAG_TC) {
        /* RFC 1035 4.2.1 wants a retry over TCP; we have none, so this
         * server cannot answer us: try the next one. */
        r->stats.truncated++;
        STATS_INC(s, STATS_DNS, err);
        q->fail_status = DNS_SERVFAIL;
        q->failed_mask = (uint8_t)(q->failed_mask | (1u << from));
        query_next(q);
        return;
    }
    switch (DNS_RCODE(m->flags)) {
    case DNS_RCODE_NOERROR:
        answer_positive(q, msg, len, m);
        return;
    case DNS_RCODE_NXDOMAIN:
        answer_negative(q, msg, m, DNS_NXDOMAIN);
        return;
    default:
        /* SERVFAIL, REFUSED, NOTIMP, FORMERR...: RFC 1035 7.3, leave this
         * server out and go on with the others. */
        r->stats.server_errors++;
        STATS_INC(s, STATS_DNS, err);
        q->fail_status = DNS_SERVFAIL;
        q->failed_mask = (uint8_t)(q->failed_mask | (1u << from));
        query_next(q);
        return;
    }
}

/* ---- the API ---- */

static void cancel_all(struct dns_resolver *r)
{
    for (size_t i = 0; i < DNS_TABLE_SIZE; i++)
        if (r->queries[i].state == DNS_Q_PENDING) query_free(&r->queries[i]);
}

void dns_init(struct stack *s, struct dns_resolver *r)
{
    if (s == NULL || r == NULL) return;
    if (s->dns != NULL) cancel_all(s->dns);
    memset(r, 0, sizeof(*r));
    r->stack = s;
    r->timeout_ms = DNS_DEFAULT_TIMEOUT_MS;
    r->rounds = DNS_DEFAULT_ROUNDS;
    r->ttl_min_s = DNS_DEFAULT_TTL_MIN_S;
    r->ttl_max_s = DNS_DEFAULT_TTL_MAX_S;
    r->neg_ttl_max_s = DNS_DEFAULT_NEG_TTL_MAX_S;
    for (size_t i = 0; i < DNS_TABLE_SIZE; i++) r->queries[i].r = r;
    s->dns = r;
}

err_t dns_set_server(struct stack *s, uint8_t idx, const ip4_addr_t *addr)
{
    struct dns_resolver *r = dns_get(s);
    if (r == NULL) return ERR_VAL;
    if (idx >= DNS_MAX_SERVERS) return ERR_ARG;
    r->servers[idx] = ip_addr_from_ip4(addr != NULL ? *addr : ip4_addr_from_u32(0));
    return ERR_OK;
}

ip4_addr_t dns_get_server(struct stack *s, uint8_t idx)
{
    ip_addr_t a = dns_get_server_ip(s, idx);
    ip4_addr_t none = IP4_ADDR_ANY_INIT;
    return a.type == IPADDR_TYPE_V4 ? a.u_addr.ip4 : none;
}

err_t dns_set_server_ip(struct stack *s, uint8_t idx, const ip_addr_t *addr)
{
    struct dns_resolver *r = dns_get(s);
    if (r == NULL) return ERR_VAL;
    if (idx >= DNS_MAX_SERVERS) return ERR_ARG;
    if (addr == NULL || ip_addr_is_any(addr)) {
        r->servers[idx] = ip_addr_any(IPADDR_TYPE_V4);
        return ERR_OK;
    }
    if (addr->type == IPADDR_TYPE_V6 &&
        (!SHOAL_IPV6 || ip6_addr_is_multicast(&addr->u_addr.ip6) ||
         (ip6_addr_has_scope(&addr->u_addr.ip6) && addr->u_addr.ip6.zone == 0)))
        return ERR_ARG;
    if (addr->type != IPADDR_TYPE_V4 && addr->type != IPADDR_TYPE_V6) return ERR_ARG;
    r->servers[idx] = *addr;
    if (addr->type == IPADDR_TYPE_V6 && !ip6_addr_has_scope(&addr->u_addr.ip6)) r->servers[idx].u_addr.ip6.zone = 0;
    return ERR_OK;
}

ip_addr_t dns_get_server_ip(struct stack *s, uint8_t idx)
{
    struct dns_resolver *r = dns_get(s);
    if (r == NULL || idx >= DNS_MAX_SERVERS) return ip_addr_any(IPADDR_TYPE_V4);
    return r->servers[idx];
}

/* Exactly four decimal parts 0..255 of one to three digits. */
static bool parse_dotted_quad(const char *t, ip4_addr_t *out)
{
    uint32_t v = 0;
    for (unsigned part = 0; part < 4; part++) {
        unsigned digits = 0, x = 0;
        while (*t >= '0' && *t <= '9') {
            if (++digits > 3) return false;
            x = x * 10u + (unsigned)(*t - '0');
            t++;
        }
        if (digits == 0 || x > 255) return false;
        v = (v << 8) | x;
        if (part < 3) {
            if (*t != '.') return false;
            t++;
        }
    }
    if (*t != '\0') return false;
    *out = ip4_addr_from_u32(v);
    return true;
}

/* A random port in the ephemeral range (RFC 5452 9.2, RFC 6056). */
static err_t bind_random_port(struct stack *s, struct udp_pcb *pcb)
{
    uint32_t range = SHOAL_EPHEMERAL_PORT_MAX - SHOAL_EPHEMERAL_PORT_MIN + 1u;
    for (unsigned i = 0; i < DNS_PORT_TRIES; i++) {
        uint16_t port = (uint16_t)(SHOAL_EPHEMERAL_PORT_MIN + stack_random32(s) % range);
        if (udp_bind(pcb, NULL, port) == ERR_OK) return ERR_OK;
    }
    return udp_bind(pcb, NULL, 0);
}

err_t dns_gethostbyname(struct stack *s, const char *name, dns_found_fn fn, void *arg, uint16_t qtype,
                        struct dns_result *out)
{
    struct dns_resolver *r = dns_get(s);
    if (r == NULL) return ERR_VAL;
    if (name == NULL || (qtype != DNS_RR_A && qtype != DNS_RR_AAAA)) return ERR_ARG;

    ip4_addr_t lit;
    if (parse_dotted_quad(name, &lit)) {
        if (qtype != DNS_RR_A) return ERR_ARG;
        if (out != NULL) {
            memset(out, 0, sizeof(*out));
            out->status = DNS_OK;
            out->count = 1;
            out->addrs[0].family = 4;
            memcpy(out->addrs[0].bytes, &lit.addr, 4);
        }
        return ERR_OK;
    }
    uint8_t lit6[16];
    if (sock_inet_pton(SHOAL_AF_INET6, name, lit6) == 1) {
        /* An IPv6 literal (RFC 4291 2.2) answers AAAA at once, never A. */
        if (qtype != DNS_RR_AAAA) return ERR_ARG;
        if (out != NULL) {
            memset(out, 0, sizeof(*out));
            out->status = DNS_OK;
            out->count = 1;
            out->addrs[0].family = 6;
            memcpy(out->addrs[0].bytes, lit6, 16);
        }
        return ERR_OK;
    }
    uint8_t wire[DNS_NAME_WIRE_MAX];
    size_t wire_len;
    if (dns_name_from_text(name, wire, &wire_len) != ERR_OK) return ERR_ARG;

    uint64_t now = stack_now(s);
    const struct dns_cache_entry *e = dns_cache_lookup(r, wire, wire_len, qtype, now);
    if (e != NULL) {
        r->stats.cache_hits++;
        if (out != NULL) {
            memset(out, 0, sizeof(*out));
            out->status = (enum dns_status)e->status;
            out->count = e->count;
            memcpy(out->addrs, e->addrs, sizeof(out->addrs));
            /* What is left of it, rounded up: never 0 for a live entry. */
            out->ttl_s = (uint32_t)((e->expires_ns - now + SHOAL_NS_PER_S - 1) / SHOAL_NS_PER_S);
        }
        return ERR_OK;
    }
    if (server_count(r) == 0) return ERR_RTE;

    struct dns_query *q = NULL;
    for (size_t i = 0; i < DNS_TABLE_SIZE && q == NULL; i++)
        if (r->queries[i].state == DNS_Q_FREE) q = &r->queries[i];
    if (q == NULL) {
        r->stats.table_full++;
        STATS_INC(s, STATS_DNS, memerr);
        return ERR_MEM;
    }
    /* Dual-stack: each server is asked over its own family. */
    struct udp_pcb *pcb = udp_new_ip_type(s, SHOAL_IPV6 ? IPADDR_TYPE_ANY : IPADDR_TYPE_V4);
    if (pcb == NULL) {
        STATS_INC(s, STATS_DNS, memerr);
        return ERR_MEM;
    }
    if (bind_random_port(s, pcb) != ERR_OK) {
        udp_remove(pcb);
        STATS_INC(s, STATS_DNS, memerr);
        return ERR_MEM;
    }
    memset(&q->timer, 0, sizeof(q->timer));
    q->r = r;
    q->pcb = pcb;
    q->fn = fn;
    q->arg = arg;
    q->state = DNS_Q_PENDING;
    q->id = (uint16_t)stack_random32(s);
    q->qtype = qtype;
    q->attempt = 0;
    q->sent_mask = 0;
    q->failed_mask = 0;
    q->last_server_mask = 0;
    q->restarts = 0;
    q->fail_status = DNS_TIMEOUT;
    q->chain_ttl_s = UINT32_MAX;
    memcpy(q->name, wire, wire_len);
    q->name_len = (uint8_t)wire_len;
    memcpy(q->key, wire, wire_len);
    q->key_len = (uint8_t)wire_len;
    udp_recv(pcb, dns_recv, q);
    r->stats.queries++;
    query_send(q);
    return ERR_INPROGRESS;
}

unsigned dns_cancel(struct stack *s, dns_found_fn fn, void *arg)
{
    struct dns_resolver *r = dns_get(s);
    unsigned n = 0;
    if (r == NULL) return 0;
    for (size_t i = 0; i < DNS_TABLE_SIZE; i++) {
        struct dns_query *q = &r->queries[i];
        if (q->state == DNS_Q_PENDING && q->fn == fn && q->arg == arg) {
            query_free(q);
            n++;
        }
    }
    return n;
}
