/*
 * getaddrinfo over the instance's resolver (shoal/dns.h): dotted quads at
 * once, names through a DNS query whose answer the result struct keeps
 * (an answer with TTL 0 is not cached, so asking the resolver again would
 * loop). Services: a port number or a few well-known names.
 */
#include <string.h>

#include "api/sockets_priv.h"
#include "shoal/dns.h"

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

/* inet_aton's strict form: four decimal parts. */
static bool parse_quad(const char *p, ip4_addr_t *out)
{
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        uint32_t v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10u + (uint32_t)(*p - '0');
            if (v > 255 || ++digits > 3) return false;
            p++;
        }
        if (digits == 0) return false;
        addr = (addr << 8) | v;
        if (part < 3) {
            if (*p != '.') return false;
            p++;
        }
    }
    if (*p != '\0') return false;
    *out = ip4_addr_from_u32(addr);
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

static void fill(struct shoal_addrinfo_result *res, const struct shoal_addrinfo *hints, const ip4_addr_t *addrs,
                 size_t naddrs, uint16_t port)
{
    static const int types[2][2] = {{SHOAL_SOCK_STREAM, SHOAL_IPPROTO_TCP}, {SHOAL_SOCK_DGRAM, SHOAL_IPPROTO_UDP}};
    int want_type = hints != NULL ? hints->ai_socktype : 0;
    int want_proto = hints != NULL ? hints->ai_protocol : 0;
    res->count = 0;
    for (size_t a = 0; a < naddrs; a++)
        for (int t = 0; t < 2; t++) {
            if (want_type != 0 && want_type != types[t][0]) continue;
            if (want_proto != 0 && want_proto != types[t][1]) continue;
            if (res->count >= SHOAL_AI_MAX) return;
            uint8_t i = res->count++;
            struct shoal_sockaddr_in *sa = &res->sa[i];
            memset(sa, 0, sizeof(*sa));
            sa->sin_family = SHOAL_AF_INET;
            sa->sin_port = shoal_htons(port);
            sa->sin_addr.s_addr = addrs[a].addr;
            struct shoal_addrinfo *ai = &res->ai[i];
            memset(ai, 0, sizeof(*ai));
            ai->ai_family = SHOAL_AF_INET;
            ai->ai_socktype = types[t][0];
            ai->ai_protocol = types[t][1];
            ai->ai_addrlen = sizeof(*sa);
            ai->ai_addr = (struct shoal_sockaddr *)sa;
            if (i > 0) res->ai[i - 1].ai_next = ai;
        }
}

static void on_found(void *arg, const struct dns_result *r)
{
    struct shoal_addrinfo_result *res = arg;
    res->state = SOCK_LOOKUP_DONE;
    res->status = (uint8_t)r->status;
    res->naddrs = 0;
    for (uint8_t i = 0; i < r->count && res->naddrs < 4; i++) {
        if (r->addrs[i].family != 4) continue;
        memcpy(&res->addrs[res->naddrs++].addr, r->addrs[i].bytes, 4);
    }
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

int sock_getaddrinfo(struct stack *s, const char *node, const char *service, const struct shoal_addrinfo *hints,
                     struct shoal_addrinfo_result *res)
{
    if (s == NULL || res == NULL) return SHOAL_EAI_FAIL;
    if (node == NULL && service == NULL) return SHOAL_EAI_NONAME;
    int flags = hints != NULL ? hints->ai_flags : 0;
    if (flags & ~(SHOAL_AI_PASSIVE | SHOAL_AI_CANONNAME | SHOAL_AI_NUMERICHOST | SHOAL_AI_NUMERICSERV))
        return SHOAL_EAI_BADFLAGS;
    if (hints != NULL && hints->ai_family != SHOAL_AF_UNSPEC && hints->ai_family != SHOAL_AF_INET)
        return SHOAL_EAI_FAMILY;
    if (hints != NULL && hints->ai_socktype != 0 && hints->ai_socktype != SHOAL_SOCK_STREAM &&
        hints->ai_socktype != SHOAL_SOCK_DGRAM && hints->ai_socktype != SHOAL_SOCK_RAW)
        return SHOAL_EAI_SOCKTYPE;
    uint16_t port;
    int rc = parse_service(service, flags, &port);
    if (rc != 0) return rc;

    if (res->state == SOCK_LOOKUP_PENDING) return SHOAL_EAI_INPROGRESS;
    if (res->state == SOCK_LOOKUP_DONE) {
        res->state = SOCK_LOOKUP_IDLE;
        rc = status_to_eai(res->status);
        if (rc == 0 && res->naddrs == 0) rc = SHOAL_EAI_NONAME;
        if (rc == 0) fill(res, hints, res->addrs, res->naddrs, port);
        return rc;
    }
    memset(res, 0, sizeof(*res));
    res->stack = s;
    ip4_addr_t addr;
    if (node == NULL) {
        /* RFC 3493 6.1: the wildcard for a passive socket, else loopback. */
        addr = (flags & SHOAL_AI_PASSIVE) ? ip4_addr_from_u32(0) : ip4_addr_make(127, 0, 0, 1);
        fill(res, hints, &addr, 1, port);
        return 0;
    }
    if (parse_quad(node, &addr)) {
        fill(res, hints, &addr, 1, port);
        return 0;
    }
    if (flags & SHOAL_AI_NUMERICHOST) return SHOAL_EAI_NONAME;
    struct dns_result now;
    err_t e = dns_gethostbyname(s, node, on_found, res, DNS_RR_A, &now);
    if (e == ERR_INPROGRESS) {
        res->state = SOCK_LOOKUP_PENDING;
        return SHOAL_EAI_INPROGRESS;
    }
    if (e == ERR_OK) {
        rc = status_to_eai((uint8_t)now.status);
        if (rc != 0) return rc;
        ip4_addr_t addrs[4];
        size_t n = 0;
        for (uint8_t i = 0; i < now.count && n < 4; i++)
            if (now.addrs[i].family == 4) memcpy(&addrs[n++].addr, now.addrs[i].bytes, 4);
        if (n == 0) return SHOAL_EAI_NONAME;
        fill(res, hints, addrs, n, port);
        return 0;
    }
    if (e == ERR_ARG) return SHOAL_EAI_NONAME;
    if (e == ERR_MEM) return SHOAL_EAI_AGAIN;
    return SHOAL_EAI_FAIL; /* no resolver attached, or no server */
}

void sock_getaddrinfo_cancel(struct stack *s, struct shoal_addrinfo_result *res)
{
    if (s == NULL || res == NULL || res->state != SOCK_LOOKUP_PENDING) return;
    dns_cancel(s, on_found, res);
    res->state = SOCK_LOOKUP_IDLE;
}
