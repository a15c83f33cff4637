/*
 * getaddrinfo over the instance's resolver (shoal/dns.h): numeric IPv4 and
 * IPv6 hosts at once, names through DNS queries (A, AAAA: RFC 3596) whose
 * answers the result struct keeps
 * (an answer with TTL 0 is not cached, so asking the resolver again would
 * loop). Services: a port number or a few well-known names.
 */
#include <string.h>

#include "api/sockets_priv.h"
#include "shoal/dns.h"
#include "shoal/netif.h"

/* Names as character arrays, not pointers: the table stays in read-only
 * data even in position-independent code. */
static const struct {
    char name[8];
    uint16_t port;
} services[] = {
    {"echo", 7}, {"discard", 9}, {"daytime", 13}, {"ftp", 21}, {"ssh", 22}, {"telnet", 23}, {"smtp", 25},
    {"domain", 53}, {"bootps", 67}, {"bootpc", 68}, {"tftp", 69}, {"http", 80}, {"ntp", 123}, {"snmp", 161},
    {"https", 443}, {"mqtt", 1883},
};

static bool str_eq(const char *a, const char *b)
{
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* A decimal number 0..max, the whole string. */
static bool parse_uint(const char *p, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    if (*p == '\0') return false;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') return false;
        v = v * 10u + (uint32_t)(*p - '0');
        if (v > max) return false;
    }
    *out = v;
    return true;
}

static int parse_service(const char *service, int flags, uint16_t *port)
{
    *port = 0;
    if (service == NULL) return 0;
    uint32_t v;
    if (parse_uint(service, 65535u, &v)) {
        *port = (uint16_t)v;
        return 0;
    }
    if (flags & SHOAL_AI_NUMERICSERV) return SHOAL_EAI_NONAME;
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
        if (str_eq(service, services[i].name)) {
            *port = services[i].port;
            return 0;
        }
    return SHOAL_EAI_SERVICE;
}

/* One sockaddr per address and socket type; IPv4 addresses become
 * ::ffff:a.b.c.d when AF_INET6 asked for them (AI_V4MAPPED, RFC 3493 6.1). */
static void fill(struct shoal_addrinfo_result *res, const struct shoal_addrinfo *hints, const ip_addr_t *addrs,
                 size_t naddrs, uint16_t port)
{
    static const int types[2][2] = {{SHOAL_SOCK_STREAM, SHOAL_IPPROTO_TCP}, {SHOAL_SOCK_DGRAM, SHOAL_IPPROTO_UDP}};
    int want_type = hints != NULL ? hints->ai_socktype : 0;
    int want_proto = hints != NULL ? hints->ai_protocol : 0;
    bool as6 = hints != NULL && hints->ai_family == SHOAL_AF_INET6;
    res->count = 0;
    for (size_t a = 0; a < naddrs; a++)
        for (int t = 0; t < 2; t++) {
            if (want_type != 0 && want_type != types[t][0]) continue;
            if (want_proto != 0 && want_proto != types[t][1]) continue;
            if (res->count >= SHOAL_AI_MAX) return;
            uint8_t i = res->count++;
            struct shoal_addrinfo *ai = &res->ai[i];
            memset(ai, 0, sizeof(*ai));
            memset(&res->sa[i], 0, sizeof(res->sa[i]));
            const ip_addr_t *ip = &addrs[a];
            if (ip->type == IPADDR_TYPE_V4 && !as6) {
                struct shoal_sockaddr_in sa;
                memset(&sa, 0, sizeof(sa));
                sa.sin_family = SHOAL_AF_INET;
                sa.sin_port = shoal_htons(port);
                sa.sin_addr.s_addr = ip->u_addr.ip4.addr;
                memcpy(&res->sa[i], &sa, sizeof(sa));
                ai->ai_family = SHOAL_AF_INET;
                ai->ai_addrlen = sizeof(sa);
            } else {
                struct shoal_sockaddr_in6 *sa6 = &res->sa[i];
                sa6->sin6_family = SHOAL_AF_INET6;
                sa6->sin6_port = shoal_htons(port);
                if (ip->type == IPADDR_TYPE_V4) {
                    sa6->sin6_addr.s6_bytes[10] = 0xff;
                    sa6->sin6_addr.s6_bytes[11] = 0xff;
                    memcpy(sa6->sin6_addr.s6_bytes + 12, &ip->u_addr.ip4.addr, 4);
                } else {
                    ip6_addr_to_bytes(&ip->u_addr.ip6, sa6->sin6_addr.s6_bytes);
                    if (ip6_addr_has_scope(&ip->u_addr.ip6)) sa6->sin6_scope_id = ip->u_addr.ip6.zone;
                }
                ai->ai_family = SHOAL_AF_INET6;
                ai->ai_addrlen = sizeof(*sa6);
            }
            ai->ai_socktype = types[t][0];
            ai->ai_protocol = types[t][1];
            ai->ai_addr = (struct shoal_sockaddr *)&res->sa[i];
            if (i > 0) res->ai[i - 1].ai_next = ai;
        }
}

/* res->wanted: the record types still to ask for. */
#define WANT_A 0x1u
#define WANT_AAAA 0x2u

/* The addresses of one answer; IPv6 ones first (RFC 6724 2.1's default
 * policy prefers IPv6 over IPv4). */
static void take(struct shoal_addrinfo_result *res, const struct dns_result *r)
{
    if (r->status != DNS_OK) {
        if (res->naddrs == 0 && (res->status == DNS_OK || r->status < res->status)) res->status = (uint8_t)r->status;
        return;
    }
    for (uint8_t i = 0; i < r->count && res->naddrs < 4; i++) {
        ip_addr_t a;
        if (r->addrs[i].family == 4) {
            ip4_addr_t a4;
            memcpy(&a4.addr, r->addrs[i].bytes, 4);
            a = ip_addr_from_ip4(a4);
        } else if (r->addrs[i].family == 6) {
            ip6_addr_t a6;
            ip6_addr_from_bytes(&a6, r->addrs[i].bytes);
            a = ip_addr_from_ip6(&a6);
        } else {
            continue;
        }
        /* IPv6 answers go before the IPv4 ones already there. */
        size_t at = res->naddrs;
        if (a.type == IPADDR_TYPE_V6)
            while (at > 0 && res->addrs[at - 1].type == IPADDR_TYPE_V4) at--;
        memmove(&res->addrs[at + 1], &res->addrs[at], (res->naddrs - at) * sizeof(res->addrs[0]));
        res->addrs[at] = a;
        res->naddrs++;
    }
    res->status = DNS_OK;
}

static void on_found(void *arg, const struct dns_result *r)
{
    struct shoal_addrinfo_result *res = arg;
    take(res, r);
    res->state = SOCK_LOOKUP_DONE;
    sock_notify(sockets_table(res->stack));
}

static int status_to_eai(uint8_t status)
{
    switch (status) {
    case DNS_OK: return 0;
    case DNS_NXDOMAIN:
    case DNS_NODATA: return SHOAL_EAI_NONAME;
    case DNS_TIMEOUT: return SHOAL_EAI_AGAIN;
    default: return SHOAL_EAI_FAIL;
    }
}

/* The instance has an address of this family to talk from: RFC 3493 6.1's
 * AI_ADDRCONFIG rule, applied to AF_UNSPEC lookups so that an IPv4-only
 * node never asks for AAAA records (and an IPv6-only one never for A). */
static bool have_family(struct stack *s, bool v6)
{
    for (struct netif *n = netif_list(s); n != NULL; n = n->next) {
        if (!v6) {
            if (n->ip4.addr != 0) return true;
            continue;
        }
        for (unsigned i = 0; SHOAL_IPV6 && i < SHOAL_NETIF_IP6_ADDRS; i++)
            if (netif_ip6_usable(&n->ip6[i]) && !ip6_addr_is_linklocal(&n->ip6[i].addr)) return true;
    }
    return false;
}

/* Ask for the next record type still wanted; answers known at once (the
 * cache) are taken in the loop. */
static int lookup_next(struct stack *s, const char *node, struct shoal_addrinfo_result *res)
{
    while (res->wanted != 0) {
        uint16_t qtype = (res->wanted & WANT_A) ? DNS_RR_A : DNS_RR_AAAA;
        res->wanted &= (uint8_t)~(qtype == DNS_RR_A ? WANT_A : WANT_AAAA);
        struct dns_result now;
        err_t e = dns_gethostbyname(s, node, on_found, res, qtype, &now);
        if (e == ERR_INPROGRESS) {
            res->state = SOCK_LOOKUP_PENDING;
            res->qtype = (uint8_t)qtype;
            return SHOAL_EAI_INPROGRESS;
        }
        if (e == ERR_OK) {
            take(res, &now);
            continue;
        }
        res->state = SOCK_LOOKUP_IDLE;
        if (e == ERR_ARG) return SHOAL_EAI_NONAME;
        if (e == ERR_MEM) return SHOAL_EAI_AGAIN;
        return SHOAL_EAI_FAIL; /* no resolver attached, or no server */
    }
    res->state = SOCK_LOOKUP_IDLE;
    return 1; /* all answers in */
}

static int finish(struct shoal_addrinfo_result *res, const struct shoal_addrinfo *hints, uint16_t port)
{
    int rc = status_to_eai(res->status);
    if (rc == 0 && res->naddrs == 0) rc = SHOAL_EAI_NONAME;
    if (rc == 0) fill(res, hints, res->addrs, res->naddrs, port);
    return rc;
}

/* A numeric IPv6 host, "fe80::1%2" with its zone (RFC 4007 11.2: here the
 * netif index in decimal). */
static bool parse_ip6_host(struct stack *s, const char *node, ip6_addr_t *out)
{
    char text[SHOAL_INET6_ADDRSTRLEN];
    size_t n = 0;
    while (node[n] != '\0' && node[n] != '%') {
        if (n + 1 >= sizeof(text)) return false;
        text[n] = node[n];
        n++;
    }
    text[n] = '\0';
    uint8_t b[16];
    if (sock_inet_pton(SHOAL_AF_INET6, text, b) != 1) return false;
    ip6_addr_from_bytes(out, b);
    if (node[n] == '%') {
        uint32_t zone;
        if (!parse_uint(node + n + 1, 255u, &zone) || zone == 0 || netif_find_by_index(s, (uint8_t)zone) == NULL)
            return false;
        if (ip6_addr_has_scope(out)) out->zone = (uint8_t)zone;
    }
    return true;
}

int sock_getaddrinfo(struct stack *s, const char *node, const char *service, const struct shoal_addrinfo *hints,
                     struct shoal_addrinfo_result *res)
{
    if (s == NULL || res == NULL) return SHOAL_EAI_FAIL;
    if (node == NULL && service == NULL) return SHOAL_EAI_NONAME;
    int flags = hints != NULL ? hints->ai_flags : 0;
    if (flags & ~(SHOAL_AI_PASSIVE | SHOAL_AI_CANONNAME | SHOAL_AI_NUMERICHOST | SHOAL_AI_NUMERICSERV |
                  SHOAL_AI_V4MAPPED))
        return SHOAL_EAI_BADFLAGS;
    int family = hints != NULL ? hints->ai_family : SHOAL_AF_UNSPEC;
    if (family != SHOAL_AF_UNSPEC && family != SHOAL_AF_INET && (family != SHOAL_AF_INET6 || !SHOAL_IPV6))
        return SHOAL_EAI_FAMILY;
    if (hints != NULL && hints->ai_socktype != 0 && hints->ai_socktype != SHOAL_SOCK_STREAM &&
        hints->ai_socktype != SHOAL_SOCK_DGRAM && hints->ai_socktype != SHOAL_SOCK_RAW)
        return SHOAL_EAI_SOCKTYPE;
    uint16_t port;
    int rc = parse_service(service, flags, &port);
    if (rc != 0) return rc;

    if (res->state == SOCK_LOOKUP_PENDING) return SHOAL_EAI_INPROGRESS;
    if (res->state == SOCK_LOOKUP_DONE) {
        rc = lookup_next(s, node, res);
        return rc == 1 ? finish(res, hints, port) : rc;
    }
    memset(res, 0, sizeof(*res));
    res->stack = s;
    ip_addr_t addr;
    if (node == NULL) {
        /* RFC 3493 6.1: the wildcard for a passive socket, else loopback. */
        if (family == SHOAL_AF_INET6) {
            ip6_addr_t a6 = ip6_addr_make(0, 0, 0, 0, 0, 0, 0, (flags & SHOAL_AI_PASSIVE) ? 0 : 1);
            addr = ip_addr_from_ip6(&a6);
        } else {
            addr = ip_addr_from_ip4((flags & SHOAL_AI_PASSIVE) ? ip4_addr_from_u32(0) : ip4_addr_make(127, 0, 0, 1));
        }
        fill(res, hints, &addr, 1, port);
        return 0;
    }
    uint8_t b4[4];
    if (sock_inet_pton(SHOAL_AF_INET, node, b4) == 1) {
        /* An IPv4 literal for AF_INET6: only as ::ffff:a.b.c.d when asked. */
        if (family == SHOAL_AF_INET6 && !(flags & SHOAL_AI_V4MAPPED)) return SHOAL_EAI_FAMILY;
        ip4_addr_t a4;
        memcpy(&a4.addr, b4, 4);
        addr = ip_addr_from_ip4(a4);
        fill(res, hints, &addr, 1, port);
        return 0;
    }
    ip6_addr_t a6;
    if (SHOAL_IPV6 && parse_ip6_host(s, node, &a6)) {
        if (family == SHOAL_AF_INET) return SHOAL_EAI_FAMILY;
        addr = ip_addr_from_ip6(&a6);
        fill(res, hints, &addr, 1, port);
        return 0;
    }
    /* A colon is never in a host name: a numeric IPv6 host that failed. */
    for (const char *p = node; *p != '\0'; p++)
        if (*p == ':') return SHOAL_EAI_NONAME;
    if (flags & SHOAL_AI_NUMERICHOST) return SHOAL_EAI_NONAME;
    if (family == SHOAL_AF_INET)
        res->wanted = WANT_A;
    else if (family == SHOAL_AF_INET6)
        res->wanted = (uint8_t)(WANT_AAAA | ((flags & SHOAL_AI_V4MAPPED) ? WANT_A : 0));
    else
        res->wanted = (uint8_t)((have_family(s, true) ? WANT_AAAA : 0) | (have_family(s, false) ? WANT_A : 0));
    if (res->wanted == 0) res->wanted = WANT_A; /* no address at all: ask as before */
    rc = lookup_next(s, node, res);
    return rc == 1 ? finish(res, hints, port) : rc;
}

void sock_getaddrinfo_cancel(struct stack *s, struct shoal_addrinfo_result *res)
{
    if (s == NULL || res == NULL || res->state != SOCK_LOOKUP_PENDING) return;
    dns_cancel(s, on_found, res);
    res->state = SOCK_LOOKUP_IDLE;
}
