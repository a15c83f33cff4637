/*
 * The socket layer over IPv6 (stack/api): AF_INET6 sockets with
 * sockaddr_in6 (RFC 3493 3.3), dual-stack sockets and IPv4-mapped peers
 * (RFC 3493 3.7, RFC 4291 2.5.5.2), IPV6_V6ONLY (RFC 3493 5.3), scope IDs
 * of link-local addresses (RFC 4007 6), the IPPROTO_IPV6 options (RFC 3493
 * 5.1-5.2, RFC 3542 3.1), inet_pton / inet_ntop and getaddrinfo with AAAA
 * answers (RFC 3493 6.1, RFC 3596). One test per function; nodes a and b on
 * one link, 10.0.0.x/24 and 2001:db8:1::x/64 (no DAD). test_sockets6.py
 * runs each one and checks its pcap on the wire.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth_p2p.h"
#include "node.h"
#include "sim.h"
#include "task.h"
#include "shoal/dns.h"
#include "shoal/ip6.h"
#include "shoal/nd6.h"
#include "shoal/netif.h"
#include "shoal/sockets.h"
#include "shoal/stats.h"

#define NS_PER_MS 1000000ull
#define A6 "2001:db8:1::1"
#define B6 "2001:db8:1::2"

struct env {
    struct sim *sim;
    struct sim_node *a, *b, *c;
    struct link *l, *l2;
    struct stack *sa, *sb;
    struct socket_table ta, tb;
    struct task_sched *ts;
};

static const char *g_pcap_dir;
static uint64_t g_seed = 1;
static char g_fail[512];

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            snprintf(g_fail, sizeof(g_fail), "%d: %s", __LINE__, #cond);           \
            return 1;                                                              \
        }                                                                          \
    } while (0)
#define CHECK_EQ(got, want)                                                                          \
    do {                                                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);                                     \
        if (g_ != w_) {                                                                              \
            snprintf(g_fail, sizeof(g_fail), "%d: %s == %lld, want %lld", __LINE__, #got, g_, w_);   \
            return 1;                                                                                \
        }                                                                                            \
    } while (0)

static struct netif *netif_of(struct sim_node *n, struct link *l) { return sim_node_port(n, link_ifindex(l, n))->netif; }

static ip6_addr_t ip6_of(const char *text)
{
    ip6_addr_t a = IP6_ADDR_ANY_INIT;
    uint8_t b[16];
    if (sock_inet_pton(SHOAL_AF_INET6, text, b) == 1) ip6_addr_from_bytes(&a, b);
    return a;
}

static void add_ip6(struct netif *n, const char *text)
{
    ip6_addr_t a = ip6_of(text);
    nd6_netif_enable(n, ND6_IID_STABLE, false);
    netif_add_ip6(n, &a, 64, NETIF_IP6_FLAG_MANUAL | NETIF_IP6_FLAG_NODAD);
}

/* with_third: a second link a-c, so that a has two interfaces. */
static void env_new(struct env *e, const char *name, bool with_tasks, bool with_third)
{
    memset(e, 0, sizeof(*e));
    e->sim = sim_new(g_seed);
    int err = 0;
    e->a = sim_node_new_stack(e->sim, "a", false, &err);
    e->b = sim_node_new_stack(e->sim, "b", false, &err);
    char path[512];
    if (g_pcap_dir != NULL) snprintf(path, sizeof(path), "%s/%s.pcap", g_pcap_dir, name);
    struct eth_p2p_params lp = {.rate_bps = 10000000, .delay_ns = NS_PER_MS};
    e->l = eth_p2p_new(e->sim, e->a, e->b, "a-b", &lp, g_pcap_dir != NULL ? path : NULL, &err);
    if (e->l == NULL) {
        fprintf(stderr, "sock6_tests: link failed (%d)\n", err);
        exit(2);
    }
    ip4_addr_t mask = ip4_netmask_from_prefix(24), gw = {0};
    ip4_addr_t ia = ip4_addr_make(10, 0, 0, 1), ib = ip4_addr_make(10, 0, 0, 2);
    netif_set_ip4(netif_of(e->a, e->l), &ia, &mask, &gw);
    netif_set_ip4(netif_of(e->b, e->l), &ib, &mask, &gw);
    add_ip6(netif_of(e->a, e->l), A6);
    add_ip6(netif_of(e->b, e->l), B6);
    if (with_third) {
        e->c = sim_node_new_stack(e->sim, "c", false, &err);
        e->l2 = eth_p2p_new(e->sim, e->a, e->c, "a-c", &lp, NULL, &err);
        nd6_netif_enable(netif_of(e->a, e->l2), ND6_IID_STABLE, false);
        nd6_netif_enable(netif_of(e->c, e->l2), ND6_IID_STABLE, false);
    }
    e->sa = e->a->stack;
    e->sb = e->b->stack;
    if (with_tasks) {
        e->ts = task_sched_new(e->sim);
    } else {
        sockets_init(e->sa, &e->ta);
        sockets_init(e->sb, &e->tb);
    }
    sim_node_kick(e->a);
    sim_node_kick(e->b);
    if (e->c != NULL) sim_node_kick(e->c);
    /* Link-local addresses past DAD (RFC 4862 5.4: about a second). */
    sim_run_until(e->sim, sim_now(e->sim) + 3000 * NS_PER_MS);
}

static void env_free(struct env *e)
{
    if (e->ts != NULL) task_sched_free(e->ts);
    else {
        sockets_deinit(e->sa);
        sockets_deinit(e->sb);
    }
    sim_free(e->sim);
    link_free(e->l);
    if (e->l2 != NULL) link_free(e->l2);
}

static void run_ms(struct env *e, uint64_t ms)
{
    sim_node_kick(e->a);
    sim_node_kick(e->b);
    sim_run_until(e->sim, sim_now(e->sim) + ms * NS_PER_MS);
}

static struct shoal_sockaddr_in6 sin6_of(const char *ip, uint16_t port, uint32_t scope)
{
    struct shoal_sockaddr_in6 s;
    memset(&s, 0, sizeof(s));
    s.sin6_family = SHOAL_AF_INET6;
    s.sin6_port = shoal_htons(port);
    sock_inet_pton(SHOAL_AF_INET6, ip, s.sin6_addr.s6_bytes);
    s.sin6_scope_id = scope;
    return s;
}
static struct shoal_sockaddr_in sin_of(const char *ip, uint16_t port)
{
    struct shoal_sockaddr_in s;
    memset(&s, 0, sizeof(s));
    s.sin_family = SHOAL_AF_INET;
    s.sin_port = shoal_htons(port);
    sock_inet_pton(SHOAL_AF_INET, ip, &s.sin_addr.s_addr);
    return s;
}
#define SA(x) ((const struct shoal_sockaddr *)&(x))
#define SAW(x) ((struct shoal_sockaddr *)&(x))

/* "addr" of a sockaddr_in6, for comparisons. */
static const char *text6(const struct shoal_sockaddr_in6 *s)
{
    static char buf[SHOAL_INET6_ADDRSTRLEN];
    if (sock_inet_ntop(SHOAL_AF_INET6, s->sin6_addr.s6_bytes, buf, sizeof(buf)) == NULL) return "?";
    return buf;
}

static int sopt_int(struct stack *s, int fd, int level, int name, int v)
{
    return sock_setsockopt(s, fd, level, name, &v, sizeof(v));
}
static int gopt_int(struct stack *s, int fd, int level, int name)
{
    int v = -12345;
    shoal_socklen_t len = sizeof(v);
    int rc = sock_getsockopt(s, fd, level, name, &v, &len);
    return rc < 0 ? rc : v;
}

static uint64_t stat_of(struct stack *s, const char *want)
{
    const char *name;
    uint64_t v;
    for (size_t i = 0; stack_stats_entry(s, i, &name, &v); i++)
        if (strcmp(name, want) == 0) return v;
    return UINT64_MAX;
}

static char g_ll_b[SHOAL_INET6_ADDRSTRLEN];
static const char *linklocal(struct netif *n)
{
    if (!netif_ip6_usable(&n->ip6[0])) return "::";
    ip6_addr_t a = n->ip6[0].addr;
    sock_inet_ntop(SHOAL_AF_INET6, ip6_addr_bytes(&a), g_ll_b, sizeof(g_ll_b));
    return g_ll_b;
}

/* ================================================================ tests */

/* inet_pton / inet_ntop (RFC 4291 2.2 in, RFC 5952 4 out). */
static int t_inet_text(void)
{
    static const struct {
        const char *in, *out;
    } good[] = {
        {"::", "::"},
        {"::1", "::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},   /* the first of equal runs */
        {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},         /* the longest run */
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6"},
        {"2001:db8::1:0", "2001:db8::1:0"},
        {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"},          /* one zero group is not "::" */
        {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},
        {"fe80::1", "fe80::1"},
        {"ff02::1:ff00:2", "ff02::1:ff00:2"},
        {"1::", "1::"},
    };
    static const char *const bad[] = {
        "", ":", ":::", "1:::2", "1::2::3", "12345::", "g::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8::", ":1::", "1::2:", "::1.2.3", "::1.2.3.256", "fe80::1%1", "1.2.3.4",
    };
    uint8_t b[16];
    char t[SHOAL_INET6_ADDRSTRLEN];
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (sock_inet_pton(SHOAL_AF_INET6, good[i].in, b) != 1) {
            snprintf(g_fail, sizeof(g_fail), "pton refused %s", good[i].in);
            return 1;
        }
        CHECK(sock_inet_ntop(SHOAL_AF_INET6, b, t, sizeof(t)) == t);
        if (strcmp(t, good[i].out) != 0) {
            snprintf(g_fail, sizeof(g_fail), "%s -> %s, want %s", good[i].in, t, good[i].out);
            return 1;
        }
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sock_inet_pton(SHOAL_AF_INET6, bad[i], b) != 0) {
            snprintf(g_fail, sizeof(g_fail), "pton took %s", bad[i]);
            return 1;
        }
    CHECK_EQ(sock_inet_pton(SHOAL_AF_INET, "10.0.0.2", b), 1);
    CHECK(b[0] == 10 && b[3] == 2);
    CHECK_EQ(sock_inet_pton(SHOAL_AF_INET, "10.0.0", b), 0);
    CHECK_EQ(sock_inet_pton(99, "::", b), -SHOAL_EAFNOSUPPORT);
    CHECK(sock_inet_ntop(SHOAL_AF_INET, b, t, sizeof(t)) != NULL && strcmp(t, "10.0.0.2") == 0);
    sock_inet_pton(SHOAL_AF_INET6, "2001:db8::1", b);
    CHECK(sock_inet_ntop(SHOAL_AF_INET6, b, t, 11) == NULL); /* POSIX: ENOSPC */
    CHECK(sock_inet_ntop(SHOAL_AF_INET6, b, t, 12) == t);
    return 0;
}

/* AF_INET6 arguments, lengths and options (RFC 3493 3.3, 5; Linux errnos). */
static int t_v6_arguments(void)
{
    struct env e;
    env_new(&e, "v6_arguments", false, false);
    struct stack *s = e.sa;
    int u = sock_socket(s, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    CHECK(u >= 0);
    CHECK_EQ(gopt_int(s, u, SHOAL_SOL_SOCKET, SHOAL_SO_DOMAIN), SHOAL_AF_INET6);
    CHECK_EQ(gopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY), 0); /* RFC 3493 5.3: off */
    CHECK_EQ(gopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_MULTICAST_HOPS), 1);
    CHECK_EQ(gopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS), 64);
    CHECK_EQ(gopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_MULTICAST_LOOP), 1);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS, 256), -SHOAL_EINVAL);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS, -2), -SHOAL_EINVAL);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS, 9), 0);
    CHECK_EQ(gopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS), 9);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS, -1), 0);
    CHECK_EQ(gopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS), 64);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_MULTICAST_IF, 77), -SHOAL_ENODEV);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM, 2), -SHOAL_EINVAL); /* raw only */
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, 999, 1), -SHOAL_ENOPROTOOPT);
    /* Lengths: shorter than RFC 2133's 24 bytes is EINVAL; 24 is enough. */
    struct shoal_sockaddr_in6 any = sin6_of("::", 4000, 0);
    CHECK_EQ(sock_bind(s, u, SA(any), 23), -SHOAL_EINVAL);
    CHECK_EQ(sock_bind(s, u, NULL, sizeof(any)), -SHOAL_EFAULT);
    struct shoal_sockaddr_in v4 = sin_of("0.0.0.0", 4000);
    struct shoal_sockaddr_in6 v4big;
    memset(&v4big, 0, sizeof(v4big));
    memcpy(&v4big, &v4, sizeof(v4));
    CHECK_EQ(sock_bind(s, u, SA(v4big), sizeof(v4big)), -SHOAL_EAFNOSUPPORT);
    struct shoal_sockaddr_in6 other = sin6_of("2001:db8:1::99", 4000, 0);
    CHECK_EQ(sock_bind(s, u, SA(other), sizeof(other)), -SHOAL_EADDRNOTAVAIL);
    struct shoal_sockaddr_in6 ll = sin6_of("fe80::1", 4000, 42);
    CHECK_EQ(sock_bind(s, u, SA(ll), sizeof(ll)), -SHOAL_ENODEV);
    CHECK_EQ(sock_bind(s, u, SA(any), 24), 0);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY, 1), -SHOAL_EINVAL); /* bound */
    struct shoal_sockaddr_in6 name;
    shoal_socklen_t len = sizeof(name);
    CHECK_EQ(sock_getsockname(s, u, SAW(name), &len), 0);
    CHECK_EQ(len, sizeof(struct shoal_sockaddr_in6));
    CHECK_EQ(name.sin6_family, SHOAL_AF_INET6);
    CHECK_EQ(shoal_ntohs(name.sin6_port), 4000);
    CHECK(strcmp(text6(&name), "::") == 0);
    len = 8; /* truncated, full size reported (POSIX) */
    CHECK_EQ(sock_getsockname(s, u, SAW(name), &len), 0);
    CHECK_EQ(len, sizeof(struct shoal_sockaddr_in6));
    CHECK_EQ(sock_getpeername(s, u, SAW(name), &len), -SHOAL_ENOTCONN);
    /* A V6ONLY socket has no IPv4: mapped addresses refused. */
    int v = sock_socket(s, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sopt_int(s, v, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY, 1), 0);
    CHECK_EQ(gopt_int(s, v, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY), 1);
    struct shoal_sockaddr_in6 mapped = sin6_of("::ffff:10.0.0.1", 4001, 0);
    CHECK_EQ(sock_bind(s, v, SA(mapped), sizeof(mapped)), -SHOAL_EINVAL);
    struct shoal_sockaddr_in6 mapped_b = sin6_of("::ffff:10.0.0.2", 7, 0);
    CHECK_EQ(sock_sendto(s, v, "x", 1, 0, SA(mapped_b), sizeof(mapped_b)), -SHOAL_ENETUNREACH);
    /* IPv6 options on an IPv4 socket; ICMPv6 raw only on AF_INET6. */
    int w = sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sopt_int(s, w, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY, 1), -SHOAL_ENOPROTOOPT);
    CHECK_EQ(sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_RAW, SHOAL_IPPROTO_ICMPV6), -SHOAL_EPROTONOSUPPORT);
    CHECK_EQ(sock_socket(s, SHOAL_AF_INET6, SHOAL_SOCK_RAW, SHOAL_IPPROTO_ICMP), -SHOAL_EPROTONOSUPPORT);
    int r = sock_socket(s, SHOAL_AF_INET6, SHOAL_SOCK_RAW, SHOAL_IPPROTO_ICMPV6);
    CHECK(r >= 0);
    CHECK_EQ(gopt_int(s, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM), 2);            /* RFC 3542 3.1 */
    CHECK_EQ(sopt_int(s, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM, -1), -SHOAL_EINVAL); /* always on */
    int r2 = sock_socket(s, SHOAL_AF_INET6, SHOAL_SOCK_RAW, 253);
    CHECK_EQ(gopt_int(s, r2, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM), -1);
    CHECK_EQ(sopt_int(s, r2, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM, 3), -SHOAL_EINVAL); /* odd */
    CHECK_EQ(sopt_int(s, r2, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM, 4), 0);
    CHECK_EQ(gopt_int(s, r2, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_CHECKSUM), 4);
    for (int fd = 0; fd < SHOAL_SOCKET_COUNT; fd++) sock_close(s, fd);
    env_free(&e);
    return 0;
}

/* Dual-stack UDP (RFC 3493 3.7): one AF_INET6 socket on [::]:7 hears an
 * IPv6 and an IPv4 client; the IPv4 one appears as ::ffff:10.0.0.1 and the
 * reply to that address goes over IPv4. IPV6_UNICAST_HOPS 7 is on the wire
 * (the pytest checks). */
static int t_v6_udp_dual(void)
{
    struct env e;
    env_new(&e, "v6_udp_dual", false, false);
    int srv = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 any = sin6_of("::", 7, 0);
    CHECK_EQ(sock_bind(e.sb, srv, SA(any), sizeof(any)), 0);
    int c6 = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sopt_int(e.sa, c6, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_UNICAST_HOPS, 7), 0);
    int c4 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 dst6 = sin6_of(B6, 7, 0);
    struct shoal_sockaddr_in dst4 = sin_of("10.0.0.2", 7);
    CHECK_EQ(sock_sendto(e.sa, c6, "six", 3, 0, SA(dst6), sizeof(dst6)), 3);
    CHECK_EQ(sock_sendto(e.sa, c4, "four", 4, 0, SA(dst4), sizeof(dst4)), 4);
    run_ms(&e, 50);
    char buf[16];
    struct shoal_sockaddr_in6 from;
    shoal_socklen_t flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sb, srv, buf, sizeof(buf), 0, SAW(from), &flen), 3);
    CHECK(memcmp(buf, "six", 3) == 0);
    CHECK_EQ(flen, sizeof(struct shoal_sockaddr_in6));
    CHECK(strcmp(text6(&from), A6) == 0);
    CHECK_EQ(from.sin6_scope_id, 0);
    flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sb, srv, buf, sizeof(buf), 0, SAW(from), &flen), 4);
    CHECK(strcmp(text6(&from), "::ffff:10.0.0.1") == 0);
    /* Answer the mapped address: it leaves as IPv4 to the AF_INET client. */
    CHECK_EQ(sock_sendto(e.sb, srv, "back4", 5, 0, SA(from), flen), 5);
    run_ms(&e, 50);
    struct shoal_sockaddr_in from4;
    flen = sizeof(from4);
    CHECK_EQ(sock_recvfrom(e.sa, c4, buf, sizeof(buf), 0, SAW(from4), &flen), 5);
    CHECK_EQ(flen, sizeof(struct shoal_sockaddr_in));
    CHECK_EQ(from4.sin_addr.s_addr, sin_of("10.0.0.2", 0).sin_addr.s_addr);
    /* connect + send + getpeername / getsockname on the IPv6 client. */
    CHECK_EQ(sock_connect(e.sa, c6, SA(dst6), sizeof(dst6)), 0);
    struct shoal_sockaddr_in6 peer, me;
    shoal_socklen_t plen = sizeof(peer), mlen = sizeof(me);
    CHECK_EQ(sock_getpeername(e.sa, c6, SAW(peer), &plen), 0);
    CHECK(strcmp(text6(&peer), B6) == 0 && shoal_ntohs(peer.sin6_port) == 7);
    CHECK_EQ(sock_getsockname(e.sa, c6, SAW(me), &mlen), 0);
    CHECK(strcmp(text6(&me), A6) == 0); /* the source the route picks (RFC 6724) */
    CHECK_EQ(sock_send(e.sa, c6, "again", 5, 0), 5);
    run_ms(&e, 50);
    flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sb, srv, buf, sizeof(buf), 0, SAW(from), &flen), 5);
    CHECK_EQ(shoal_ntohs(from.sin6_port), shoal_ntohs(me.sin6_port));
    /* Disconnect with AF_UNSPEC (POSIX). */
    struct shoal_sockaddr unspec = {0};
    CHECK_EQ(sock_connect(e.sa, c6, &unspec, sizeof(unspec)), 0);
    CHECK_EQ(sock_getpeername(e.sa, c6, SAW(peer), &plen), -SHOAL_ENOTCONN);
    sock_close(e.sa, c6);
    sock_close(e.sa, c4);
    sock_close(e.sb, srv);
    env_free(&e);
    return 0;
}

/* IPV6_V6ONLY (RFC 3493 5.3): a V6ONLY socket on [::]:9 never sees IPv4,
 * so an AF_INET socket may share port 9; a dual-stack [::]:10 conflicts with
 * 0.0.0.0:10. */
static int t_v6_v6only(void)
{
    struct env e;
    env_new(&e, "v6_v6only", false, false);
    int v6 = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sopt_int(e.sb, v6, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY, 1), 0);
    struct shoal_sockaddr_in6 any9 = sin6_of("::", 9, 0);
    CHECK_EQ(sock_bind(e.sb, v6, SA(any9), sizeof(any9)), 0);
    int c4 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in dst4 = sin_of("10.0.0.2", 9);
    CHECK_EQ(sock_sendto(e.sa, c4, "v4", 2, 0, SA(dst4), sizeof(dst4)), 2);
    run_ms(&e, 50);
    char buf[8];
    CHECK_EQ(sock_recv(e.sb, v6, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    int b4 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in any4 = sin_of("0.0.0.0", 9);
    CHECK_EQ(sock_bind(e.sb, b4, SA(any4), sizeof(any4)), 0);
    CHECK_EQ(sock_sendto(e.sa, c4, "v4", 2, 0, SA(dst4), sizeof(dst4)), 2);
    int c6 = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 dst6 = sin6_of(B6, 9, 0);
    CHECK_EQ(sock_sendto(e.sa, c6, "v6", 2, 0, SA(dst6), sizeof(dst6)), 2);
    run_ms(&e, 50);
    CHECK_EQ(sock_recv(e.sb, b4, buf, sizeof(buf), 0), 2);
    CHECK(memcmp(buf, "v4", 2) == 0);
    CHECK_EQ(sock_recv(e.sb, v6, buf, sizeof(buf), 0), 2);
    CHECK(memcmp(buf, "v6", 2) == 0);
    /* Dual-stack wildcard against the IPv4 wildcard: the same port twice. */
    int d = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 any10 = sin6_of("::", 10, 0);
    CHECK_EQ(sock_bind(e.sb, d, SA(any10), sizeof(any10)), 0);
    int d4 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in any4_10 = sin_of("0.0.0.0", 10);
    CHECK_EQ(sock_bind(e.sb, d4, SA(any4_10), sizeof(any4_10)), -SHOAL_EADDRINUSE);
    /* TCP: a V6ONLY listener; an IPv4 connect to its port is refused. */
    int l = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sopt_int(e.sb, l, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_V6ONLY, 1), 0);
    struct shoal_sockaddr_in6 any80 = sin6_of("::", 80, 0);
    CHECK_EQ(sock_bind(e.sb, l, SA(any80), sizeof(any80)), 0);
    CHECK_EQ(sock_listen(e.sb, l, 4), 0);
    int t4 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in d80 = sin_of("10.0.0.2", 80);
    CHECK_EQ(sock_connect(e.sa, t4, SA(d80), sizeof(d80)), -SHOAL_EINPROGRESS);
    run_ms(&e, 50);
    CHECK_EQ(gopt_int(e.sa, t4, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), SHOAL_ECONNREFUSED);
    for (int fd = 0; fd < SHOAL_SOCKET_COUNT; fd++) {
        sock_close(e.sa, fd);
        sock_close(e.sb, fd);
    }
    env_free(&e);
    return 0;
}

/* TCP over IPv6 and a dual-stack listener: an IPv6 and an IPv4 client on
 * one AF_INET6 listener; accept() reports 2001:db8:1::1 and ::ffff:10.0.0.1. */
static int t_v6_tcp(void)
{
    struct env e;
    env_new(&e, "v6_tcp", false, false);
    int l = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in6 any = sin6_of("::", 80, 0);
    CHECK_EQ(sock_bind(e.sb, l, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_listen(e.sb, l, 4), 0);
    int c6 = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in6 dst6 = sin6_of(B6, 80, 0);
    CHECK_EQ(sock_connect(e.sa, c6, SA(dst6), sizeof(dst6)), -SHOAL_EINPROGRESS);
    run_ms(&e, 50);
    CHECK_EQ(gopt_int(e.sa, c6, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), 0);
    struct shoal_sockaddr_in6 from;
    shoal_socklen_t flen = sizeof(from);
    int s6 = sock_accept(e.sb, l, SAW(from), &flen);
    CHECK(s6 >= 0);
    CHECK_EQ(flen, sizeof(struct shoal_sockaddr_in6));
    CHECK(strcmp(text6(&from), A6) == 0);
    struct shoal_sockaddr_in6 me;
    shoal_socklen_t mlen = sizeof(me);
    CHECK_EQ(sock_getsockname(e.sb, s6, SAW(me), &mlen), 0);
    CHECK(strcmp(text6(&me), B6) == 0 && shoal_ntohs(me.sin6_port) == 80);
    CHECK_EQ(sock_send(e.sa, c6, "hello6", 6, 0), 6);
    run_ms(&e, 50);
    char buf[16];
    CHECK_EQ(sock_recv(e.sb, s6, buf, sizeof(buf), 0), 6);
    CHECK(memcmp(buf, "hello6", 6) == 0);
    CHECK_EQ(gopt_int(e.sa, c6, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_MAXSEG), 1440); /* 1500 - 40 - 20 */
    int c4 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in dst4 = sin_of("10.0.0.2", 80);
    CHECK_EQ(sock_connect(e.sa, c4, SA(dst4), sizeof(dst4)), -SHOAL_EINPROGRESS);
    run_ms(&e, 50);
    flen = sizeof(from);
    int s4 = sock_accept(e.sb, l, SAW(from), &flen);
    CHECK(s4 >= 0);
    CHECK(strcmp(text6(&from), "::ffff:10.0.0.1") == 0);
    CHECK_EQ(sock_send(e.sb, s4, "hello4", 6, 0), 6);
    run_ms(&e, 50);
    CHECK_EQ(sock_recv(e.sa, c4, buf, sizeof(buf), 0), 6);
    CHECK(memcmp(buf, "hello4", 6) == 0);
    CHECK_EQ(gopt_int(e.sa, c4, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_MAXSEG), 1460);
    /* An AF_INET6 client to an IPv4 server through a mapped address. */
    int l4 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in any81 = sin_of("0.0.0.0", 81);
    CHECK_EQ(sock_bind(e.sb, l4, SA(any81), sizeof(any81)), 0);
    CHECK_EQ(sock_listen(e.sb, l4, 4), 0);
    int cm = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in6 mapped = sin6_of("::ffff:10.0.0.2", 81, 0);
    CHECK_EQ(sock_connect(e.sa, cm, SA(mapped), sizeof(mapped)), -SHOAL_EINPROGRESS);
    run_ms(&e, 50);
    struct shoal_sockaddr_in f4;
    shoal_socklen_t f4len = sizeof(f4);
    CHECK(sock_accept(e.sb, l4, SAW(f4), &f4len) >= 0);
    CHECK_EQ(f4.sin_addr.s_addr, sin_of("10.0.0.1", 0).sin_addr.s_addr);
    struct shoal_sockaddr_in6 peer;
    shoal_socklen_t plen = sizeof(peer);
    CHECK_EQ(sock_getpeername(e.sa, cm, SAW(peer), &plen), 0);
    CHECK(strcmp(text6(&peer), "::ffff:10.0.0.2") == 0);
    for (int fd = 0; fd < SHOAL_SOCKET_COUNT; fd++) {
        sock_close(e.sa, fd);
        sock_close(e.sb, fd);
    }
    run_ms(&e, 50);
    env_free(&e);
    return 0;
}

/* Link-local peers and sin6_scope_id (RFC 4007 6, RFC 3493 3.3): with two
 * interfaces a zone-less link-local destination is ambiguous (EINVAL); with
 * the scope ID it goes, and the receiver sees the sender's scope. */
static int t_v6_scope(void)
{
    struct env e;
    env_new(&e, "v6_scope", false, true);
    struct netif *nb = netif_of(e.b, e.l), *na = netif_of(e.a, e.l);
    char llb[SHOAL_INET6_ADDRSTRLEN], lla[SHOAL_INET6_ADDRSTRLEN];
    snprintf(llb, sizeof(llb), "%s", linklocal(nb));
    snprintf(lla, sizeof(lla), "%s", linklocal(na));
    CHECK(strncmp(llb, "fe80:", 5) == 0 && strncmp(lla, "fe80:", 5) == 0);
    int srv = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 any = sin6_of("::", 7, 0);
    CHECK_EQ(sock_bind(e.sb, srv, SA(any), sizeof(any)), 0);
    int c = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 noscope = sin6_of(llb, 7, 0);
    CHECK_EQ(sock_sendto(e.sa, c, "x", 1, 0, SA(noscope), sizeof(noscope)), -SHOAL_EINVAL);
    struct shoal_sockaddr_in6 badscope = sin6_of(llb, 7, 200);
    CHECK_EQ(sock_sendto(e.sa, c, "x", 1, 0, SA(badscope), sizeof(badscope)), -SHOAL_ENODEV);
    struct shoal_sockaddr_in6 scoped = sin6_of(llb, 7, na->index);
    CHECK_EQ(sock_sendto(e.sa, c, "ll", 2, 0, SA(scoped), sizeof(scoped)), 2);
    run_ms(&e, 50);
    char buf[8];
    struct shoal_sockaddr_in6 from;
    shoal_socklen_t flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sb, srv, buf, sizeof(buf), 0, SAW(from), &flen), 2);
    CHECK(strcmp(text6(&from), lla) == 0);
    CHECK_EQ(from.sin6_scope_id, nb->index);
    /* b has one interface: there a zone-less link-local is that one. */
    from.sin6_scope_id = 0;
    CHECK_EQ(sock_sendto(e.sb, srv, "re", 2, 0, SA(from), flen), 2);
    run_ms(&e, 50);
    flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sa, c, buf, sizeof(buf), 0, SAW(from), &flen), 2);
    CHECK(strcmp(text6(&from), llb) == 0);
    CHECK_EQ(from.sin6_scope_id, na->index);
    /* TCP to a scoped address. */
    int l = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in6 any80 = sin6_of("::", 80, 0);
    CHECK_EQ(sock_bind(e.sb, l, SA(any80), sizeof(any80)), 0);
    CHECK_EQ(sock_listen(e.sb, l, 2), 0);
    int t = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in6 d80 = sin6_of(llb, 80, na->index);
    CHECK_EQ(sock_connect(e.sa, t, SA(d80), sizeof(d80)), -SHOAL_EINPROGRESS);
    run_ms(&e, 50);
    flen = sizeof(from);
    CHECK(sock_accept(e.sb, l, SAW(from), &flen) >= 0);
    CHECK(strcmp(text6(&from), lla) == 0 && from.sin6_scope_id == nb->index);
    struct shoal_sockaddr_in6 me;
    shoal_socklen_t mlen = sizeof(me);
    CHECK_EQ(sock_getsockname(e.sa, t, SAW(me), &mlen), 0);
    CHECK(strcmp(text6(&me), lla) == 0 && me.sin6_scope_id == na->index);
    for (int fd = 0; fd < SHOAL_SOCKET_COUNT; fd++) {
        sock_close(e.sa, fd);
        sock_close(e.sb, fd);
    }
    run_ms(&e, 50);
    env_free(&e);
    return 0;
}

/* IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP (RFC 3493 5.2) through MLD (RFC 2710):
 * b hears ff15::1234 after joining (a Report on the wire), and not after
 * leaving; a sends with IPV6_MULTICAST_HOPS 3 and IPV6_MULTICAST_IF. */
static int t_v6_multicast(void)
{
    struct env e;
    env_new(&e, "v6_multicast", false, false);
    struct netif *nb = netif_of(e.b, e.l), *na = netif_of(e.a, e.l);
    int r = sock_socket(e.sb, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in6 any = sin6_of("::", 5000, 0);
    CHECK_EQ(sock_bind(e.sb, r, SA(any), sizeof(any)), 0);
    struct shoal_ipv6_mreq mr;
    memset(&mr, 0, sizeof(mr));
    sock_inet_pton(SHOAL_AF_INET6, "ff15::1234", mr.ipv6mr_multiaddr.s6_bytes);
    mr.ipv6mr_interface = nb->index;
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_JOIN_GROUP, &mr, sizeof(mr)), 0);
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_JOIN_GROUP, &mr, sizeof(mr)), -SHOAL_EADDRINUSE);
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_JOIN_GROUP, &mr, 4), -SHOAL_EINVAL);
    struct shoal_ipv6_mreq bad = mr;
    sock_inet_pton(SHOAL_AF_INET6, B6, bad.ipv6mr_multiaddr.s6_bytes);
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_JOIN_GROUP, &bad, sizeof(bad)), -SHOAL_EINVAL);
    run_ms(&e, 50);
    int s = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sopt_int(e.sa, s, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_MULTICAST_HOPS, 3), 0);
    CHECK_EQ(sopt_int(e.sa, s, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_MULTICAST_IF, na->index), 0);
    CHECK_EQ(gopt_int(e.sa, s, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_MULTICAST_IF), na->index);
    struct shoal_sockaddr_in6 grp = sin6_of("ff15::1234", 5000, 0);
    CHECK_EQ(sock_sendto(e.sa, s, "mc1", 3, 0, SA(grp), sizeof(grp)), 3);
    run_ms(&e, 50);
    char buf[8];
    struct shoal_sockaddr_in6 from;
    shoal_socklen_t flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sb, r, buf, sizeof(buf), 0, SAW(from), &flen), 3);
    CHECK(memcmp(buf, "mc1", 3) == 0);
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_LEAVE_GROUP, &mr, sizeof(mr)), 0);
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_LEAVE_GROUP, &mr, sizeof(mr)),
             -SHOAL_EADDRNOTAVAIL);
    run_ms(&e, 50);
    CHECK_EQ(sock_sendto(e.sa, s, "mc2", 3, 0, SA(grp), sizeof(grp)), 3);
    run_ms(&e, 50);
    CHECK_EQ(sock_recv(e.sb, r, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    /* Close with a membership held: the socket's groups are left. */
    CHECK_EQ(sock_setsockopt(e.sb, r, SHOAL_IPPROTO_IPV6, SHOAL_IPV6_JOIN_GROUP, &mr, sizeof(mr)), 0);
    sock_close(e.sb, r);
    sock_close(e.sa, s);
    run_ms(&e, 50);
    env_free(&e);
    return 0;
}

/* Raw ICMPv6 sockets (RFC 3542 3.1): an Echo Request written by a raw
 * socket gets its checksum from the stack; b answers it, and a's raw socket
 * reads the Echo Reply (from b's address). */
static int t_v6_raw_icmp6(void)
{
    struct env e;
    env_new(&e, "v6_raw_icmp6", false, false);
    int r = sock_socket(e.sa, SHOAL_AF_INET6, SHOAL_SOCK_RAW, SHOAL_IPPROTO_ICMPV6);
    CHECK(r >= 0);
    uint8_t echo[12] = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
    struct shoal_sockaddr_in6 dst = sin6_of(B6, 0, 0);
    CHECK_EQ(sock_sendto(e.sa, r, echo, sizeof(echo), 0, SA(dst), sizeof(dst)), (long)sizeof(echo));
    run_ms(&e, 50);
    uint8_t buf[64];
    struct shoal_sockaddr_in6 from;
    bool got_reply = false;
    for (int i = 0; i < 8 && !got_reply; i++) {
        shoal_socklen_t flen = sizeof(from);
        long n = sock_recvfrom(e.sa, r, buf, sizeof(buf), 0, SAW(from), &flen);
        if (n < 0) break;
        if (n == (long)sizeof(echo) && buf[0] == 129 && memcmp(buf + 4, echo + 4, 8) == 0) {
            got_reply = true;
            CHECK(strcmp(text6(&from), B6) == 0);
        }
    }
    CHECK(got_reply);
    sock_close(e.sa, r);
    env_free(&e);
    return 0;
}

/* getaddrinfo without DNS: numeric IPv6 hosts (with a zone), AI_PASSIVE
 * for AF_INET6, AI_V4MAPPED, family mismatches (RFC 3493 6.1). */
static int t_v6_getaddrinfo_numeric(void)
{
    struct env e;
    env_new(&e, "v6_getaddrinfo_numeric", false, false);
    struct shoal_addrinfo_result r;
    struct shoal_addrinfo hints;
    memset(&r, 0, sizeof(r));
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SHOAL_SOCK_STREAM;
    CHECK_EQ(sock_getaddrinfo(e.sa, B6, "80", &hints, &r), 0);
    CHECK_EQ(r.count, 1);
    CHECK_EQ(r.ai[0].ai_family, SHOAL_AF_INET6);
    CHECK_EQ(r.ai[0].ai_addrlen, sizeof(struct shoal_sockaddr_in6));
    const struct shoal_sockaddr_in6 *sa6 = (const struct shoal_sockaddr_in6 *)r.ai[0].ai_addr;
    CHECK(strcmp(text6(sa6), B6) == 0 && shoal_ntohs(sa6->sin6_port) == 80);
    CHECK_EQ(sock_getaddrinfo(e.sa, "fe80::2%1", "80", &hints, &r), 0);
    sa6 = (const struct shoal_sockaddr_in6 *)r.ai[0].ai_addr;
    CHECK_EQ(sa6->sin6_scope_id, 1);
    CHECK_EQ(sock_getaddrinfo(e.sa, "fe80::2%9", "80", &hints, &r), SHOAL_EAI_NONAME); /* no netif 9 */
    hints.ai_family = SHOAL_AF_INET6;
    hints.ai_flags = SHOAL_AI_PASSIVE;
    CHECK_EQ(sock_getaddrinfo(e.sa, NULL, "7", &hints, &r), 0);
    sa6 = (const struct shoal_sockaddr_in6 *)r.ai[0].ai_addr;
    CHECK(strcmp(text6(sa6), "::") == 0);
    hints.ai_flags = 0;
    CHECK_EQ(sock_getaddrinfo(e.sa, NULL, "7", &hints, &r), 0);
    CHECK(strcmp(text6((const struct shoal_sockaddr_in6 *)r.ai[0].ai_addr), "::1") == 0);
    CHECK_EQ(sock_getaddrinfo(e.sa, "10.0.0.2", "7", &hints, &r), SHOAL_EAI_FAMILY);
    hints.ai_flags = SHOAL_AI_V4MAPPED;
    CHECK_EQ(sock_getaddrinfo(e.sa, "10.0.0.2", "7", &hints, &r), 0);
    CHECK(strcmp(text6((const struct shoal_sockaddr_in6 *)r.ai[0].ai_addr), "::ffff:10.0.0.2") == 0);
    hints.ai_family = SHOAL_AF_INET;
    hints.ai_flags = 0;
    CHECK_EQ(sock_getaddrinfo(e.sa, B6, "7", &hints, &r), SHOAL_EAI_FAMILY);
    hints.ai_family = SHOAL_AF_UNSPEC;
    hints.ai_flags = SHOAL_AI_NUMERICHOST;
    CHECK_EQ(sock_getaddrinfo(e.sa, "host.test", "7", &hints, &r), SHOAL_EAI_NONAME);
    CHECK_EQ(sock_getaddrinfo(e.sa, "2001:db8::1::2", "7", &hints, &r), SHOAL_EAI_NONAME);
    env_free(&e);
    return 0;
}

/* getaddrinfo over an IPv6 DNS server (RFC 3596): b answers A with
 * 10.0.0.2 and AAAA with 2001:db8:1::2 from an AF_INET6 task socket on
 * [::]:53; a's resolver has b's IPv6 address as its only server. AF_INET6
 * asks AAAA only; AF_UNSPEC on a dual-stack node asks both and lists the
 * IPv6 address first (RFC 6724 2.1). */
/* Task code below calls the POSIX shim (blocking calls in virtual time). */
#include "shoal_posix.h"

static int dns6_server(void *arg)
{
    int *answered = arg;
    int fd = shoal_posix_socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 any;
    memset(&any, 0, sizeof(any));
    any.sin6_family = AF_INET6;
    any.sin6_port = htons(53);
    if (shoal_posix_bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0) return 1;
    for (;;) {
        uint8_t q[512], a[600];
        struct sockaddr_in6 from;
        socklen_t flen = sizeof(from);
        ssize_t n = shoal_posix_recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
        if (n < 17) return 2;
        if (flen != sizeof(struct sockaddr_in6) || from.sin6_family != AF_INET6) return 4;
        size_t qend = 12;
        while (qend < (size_t)n && q[qend] != 0) qend += (size_t)q[qend] + 1u;
        qend += 5;
        if (qend > (size_t)n) return 3;
        uint16_t qtype = (uint16_t)(q[qend - 4] << 8 | q[qend - 3]);
        memcpy(a, q, qend);
        a[2] = 0x81;
        a[3] = 0x80;
        a[6] = 0;
        a[7] = 1;
        a[8] = a[9] = a[10] = a[11] = 0;
        size_t len = qend;
        static const uint8_t rr_a[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2};
        static const uint8_t rr_aaaa[] = {0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16,
                                          0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
        if (qtype == 28) {
            memcpy(a + len, rr_aaaa, sizeof(rr_aaaa));
            len += sizeof(rr_aaaa);
        } else {
            memcpy(a + len, rr_a, sizeof(rr_a));
            len += sizeof(rr_a);
        }
        shoal_posix_sendto(fd, a, len, 0, (struct sockaddr *)&from, flen);
        (*answered)++;
    }
}

struct dns6_out {
    int rc6, rc_any, n_any;
    int fam_first, fam_second;
    char first[64];
};

static int dns6_client(void *arg)
{
    struct dns6_out *o = arg;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_family = AF_INET6;
    o->rc6 = shoal_posix_getaddrinfo("echo.sim.test", "7", &hints, &res);
    if (o->rc6 != 0 || res == NULL) return 1;
    if (res->ai_family != AF_INET6 || res->ai_addrlen != sizeof(struct sockaddr_in6)) return 2;
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, o->first, sizeof(o->first));
    shoal_posix_freeaddrinfo(res);
    hints.ai_family = AF_UNSPEC;
    o->rc_any = shoal_posix_getaddrinfo("both.sim.test", "7", &hints, &res);
    if (o->rc_any != 0 || res == NULL) return 3;
    for (struct addrinfo *p = res; p != NULL; p = p->ai_next) o->n_any++;
    o->fam_first = res->ai_family;
    o->fam_second = res->ai_next != NULL ? res->ai_next->ai_family : -1;
    shoal_posix_freeaddrinfo(res);
    return 0;
}

static int t_v6_getaddrinfo_dns(void)
{
    struct env e;
    env_new(&e, "v6_getaddrinfo_dns", true, false);
    static struct dns_resolver resolver;
    int answered = 0;
    struct dns6_out out;
    memset(&out, 0, sizeof(out));
    struct task *srv = task_spawn(e.ts, e.b, "dns6_server", dns6_server, &answered, 0);
    struct task *cli = task_spawn_at(e.ts, e.a, "dns6_client", dns6_client, &out, 0, sim_now(e.sim) + 5 * NS_PER_MS);
    CHECK(srv != NULL && cli != NULL);
    dns_init(e.sa, &resolver);
    ip6_addr_t b6 = ip6_of(B6);
    ip_addr_t server = ip_addr_from_ip6(&b6);
    CHECK_EQ(dns_set_server_ip(e.sa, 0, &server), ERR_OK);
    ip_addr_t back = dns_get_server_ip(e.sa, 0);
    CHECK(back.type == IPADDR_TYPE_V6 && ip6_addr_eq(&back.u_addr.ip6, &b6));
    CHECK_EQ(dns_get_server(e.sa, 0).addr, 0); /* not an IPv4 server */
    ip6_addr_t ll = ip6_of("fe80::53");
    ip_addr_t llserver = ip_addr_from_ip6(&ll);
    CHECK_EQ(dns_set_server_ip(e.sa, 1, &llserver), ERR_ARG); /* a link-local needs its zone */
    uint64_t deadline = sim_now(e.sim) + 10000 * NS_PER_MS;
    while (!task_done(cli) && sim_step(e.sim, deadline)) {
    }
    if (!task_done(cli)) {
        snprintf(g_fail, sizeof(g_fail), "client stuck: answered %d, rc6 %d, server %s (%d) dns.xmit %llu udp.recv %llu ip6.recv %llu",
                 answered, out.rc6, task_done(srv) ? "ended" : "running", task_done(srv) ? task_result(srv) : 0,
                 (unsigned long long)stat_of(e.sa, "dns.xmit"), (unsigned long long)stat_of(e.sb, "udp.recv"),
                 (unsigned long long)stat_of(e.sb, "ip6.recv"));
        return 1;
    }
    CHECK_EQ(task_result(cli), 0);
    CHECK_EQ(out.rc6, 0);
    CHECK(strcmp(out.first, B6) == 0);
    CHECK_EQ(out.rc_any, 0);
    CHECK_EQ(out.n_any, 2);
    CHECK_EQ(out.fam_first, AF_INET6);
    CHECK_EQ(out.fam_second, AF_INET);
    CHECK_EQ(answered, 3); /* AAAA; then A and AAAA */
    env_free(&e);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(void);
} tests[] = {
    {"inet_text", t_inet_text},
    {"v6_arguments", t_v6_arguments},
    {"v6_udp_dual", t_v6_udp_dual},
    {"v6_v6only", t_v6_v6only},
    {"v6_tcp", t_v6_tcp},
    {"v6_scope", t_v6_scope},
    {"v6_multicast", t_v6_multicast},
    {"v6_raw_icmp6", t_v6_raw_icmp6},
    {"v6_getaddrinfo_numeric", t_v6_getaddrinfo_numeric},
    {"v6_getaddrinfo_dns", t_v6_getaddrinfo_dns},
};

int main(int argc, char **argv)
{
    size_t ntests = sizeof(tests) / sizeof(tests[0]);
    bool want_any = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--list") == 0) {
            for (size_t t = 0; t < ntests; t++) printf("%s\n", tests[t].name);
            return 0;
        }
        if (strcmp(argv[i], "--pcap-dir") == 0 && i + 1 < argc) g_pcap_dir = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) g_seed = strtoull(argv[++i], NULL, 0);
        else want_any = true;
    }
    int failed = 0, ran = 0;
    for (size_t t = 0; t < ntests; t++) {
        if (want_any) {
            bool want = false;
            for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--pcap-dir") == 0 || strcmp(argv[i], "--seed") == 0) {
                    i++;
                    continue;
                }
                if (strcmp(argv[i], tests[t].name) == 0) want = true;
            }
            if (!want) continue;
        }
        g_fail[0] = '\0';
        int rc = tests[t].fn();
        ran++;
        if (rc == 0) {
            printf("PASS %s\n", tests[t].name);
        } else {
            printf("FAIL %s: %s\n", tests[t].name, g_fail);
            failed++;
        }
        fflush(stdout);
    }
    printf("%d tests, %d failed\n", ran, failed);
    return failed == 0 && ran > 0 ? 0 : 1;
}
