/*
 * Socket layer tests (stack/api, simcore/task*.c): each test builds two
 * stack nodes a (10.0.0.1) and b (10.0.0.2) on a 1 ms, 10 Mbit/s Ethernet
 * link, calls the non-blocking API directly between runs of the clock, or
 * runs tasks that block through the POSIX shim, and checks results and
 * errno values (POSIX.1-2017 and Linux where POSIX leaves it open).
 * test_sockets.py runs each test and checks the pcap it writes.
 *
 * Usage: sock_tests --list | sock_tests [--pcap-dir DIR] [--seed N] [NAME ...]
 * Prints "PASS name" or "FAIL name: line: what" per test; exit 1 on a failure.
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
#include "shoal/ip4_addr.h"
#include "shoal/netif.h"
#include "shoal/sockets.h"
#include "shoal/stats.h"

#define NS_PER_MS 1000000ull
#define A_IP "10.0.0.1"
#define B_IP "10.0.0.2"

struct env {
    struct sim *sim;
    struct sim_node *a, *b;
    struct link *l;
    struct stack *sa, *sb;
    struct socket_table ta, tb;
    struct task_sched *ts;
    int wakeups_a;
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

static void count_wakeup(void *arg) { ((struct env *)arg)->wakeups_a++; }

static void env_new(struct env *e, const char *name, bool with_tasks)
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
        fprintf(stderr, "sock_tests: link failed (%d)\n", err);
        exit(2);
    }
    ip4_addr_t mask = ip4_netmask_from_prefix(24), gw = {0};
    ip4_addr_t ia = ip4_addr_make(10, 0, 0, 1), ib = ip4_addr_make(10, 0, 0, 2);
    netif_set_ip4(sim_node_port(e->a, link_ifindex(e->l, e->a))->netif, &ia, &mask, &gw);
    netif_set_ip4(sim_node_port(e->b, link_ifindex(e->l, e->b))->netif, &ib, &mask, &gw);
    e->sa = e->a->stack;
    e->sb = e->b->stack;
    if (with_tasks) {
        e->ts = task_sched_new(e->sim); /* tables come with the first task on each node */
    } else {
        sockets_init(e->sa, &e->ta);
        sockets_init(e->sb, &e->tb);
        sockets_set_wakeup(e->sa, count_wakeup, e);
    }
    sim_node_kick(e->a);
    sim_node_kick(e->b);
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
}

static void run_ms(struct env *e, uint64_t ms)
{
    sim_run_until(e->sim, sim_now(e->sim) + ms * NS_PER_MS);
}

/* After a direct call into a node's stack (what a host must do). */
static void kick(struct env *e)
{
    sim_node_kick(e->a);
    sim_node_kick(e->b);
}

static struct shoal_sockaddr_in sin_of(const char *ip, uint16_t port)
{
    struct shoal_sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = SHOAL_AF_INET;
    sin.sin_port = shoal_htons(port);
    unsigned a, b, c, d;
    if (sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d) == 4)
        sin.sin_addr.s_addr = ip4_addr_make((uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d).addr;
    return sin;
}
#define SA(x) ((const struct shoal_sockaddr *)&(x))
#define SAW(x) ((struct shoal_sockaddr *)&(x))

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
    return UINT64_MAX; /* a misspelt counter never passes */
}

/* A listener on b:port and a connected pair (a's fd, b's accepted fd). */
static int tcp_pair(struct env *e, uint16_t port, int *cfd, int *sfd, int *lfd)
{
    *lfd = sock_socket(e->sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", port), dst = sin_of(B_IP, port);
    if (*lfd < 0 || sock_bind(e->sb, *lfd, SA(any), sizeof(any)) != 0 || sock_listen(e->sb, *lfd, 4) != 0) return -1;
    *cfd = sock_socket(e->sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    if (*cfd < 0 || sock_connect(e->sa, *cfd, SA(dst), sizeof(dst)) != -SHOAL_EINPROGRESS) return -2;
    kick(e);
    run_ms(e, 50);
    *sfd = sock_accept(e->sb, *lfd, NULL, NULL);
    kick(e);
    return *sfd >= 0 ? 0 : -3;
}

/* ================================================================ tests */

/* Every call is safe with bad descriptors, NULL pointers and bad lengths. */
static int t_bad_arguments(void)
{
    struct env e;
    env_new(&e, "bad_arguments", false);
    struct stack *s = e.sa;
    char buf[16];
    struct shoal_sockaddr_in sin = sin_of(B_IP, 7);
    shoal_socklen_t len = sizeof(sin);
    int bad[] = {-1, SHOAL_SOCKET_COUNT, 1000, 3};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int fd = bad[i];
        CHECK_EQ(sock_bind(s, fd, SA(sin), sizeof(sin)), -SHOAL_EBADF);
        CHECK_EQ(sock_listen(s, fd, 1), -SHOAL_EBADF);
        CHECK_EQ(sock_accept(s, fd, NULL, NULL), -SHOAL_EBADF);
        CHECK_EQ(sock_connect(s, fd, SA(sin), sizeof(sin)), -SHOAL_EBADF);
        CHECK_EQ(sock_send(s, fd, buf, 1, 0), -SHOAL_EBADF);
        CHECK_EQ(sock_recv(s, fd, buf, 1, 0), -SHOAL_EBADF);
        CHECK_EQ(sock_sendto(s, fd, buf, 1, 0, SA(sin), sizeof(sin)), -SHOAL_EBADF);
        CHECK_EQ(sock_recvfrom(s, fd, buf, 1, 0, SAW(sin), &len), -SHOAL_EBADF);
        CHECK_EQ(sock_shutdown(s, fd, SHOAL_SHUT_RDWR), -SHOAL_EBADF);
        CHECK_EQ(sock_close(s, fd), -SHOAL_EBADF);
        CHECK_EQ(sopt_int(s, fd, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), -SHOAL_EBADF);
        CHECK_EQ(gopt_int(s, fd, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE), -SHOAL_EBADF);
        CHECK_EQ(sock_fcntl(s, fd, SHOAL_F_GETFL, 0), -SHOAL_EBADF);
        CHECK_EQ(sock_ioctl(s, fd, SHOAL_FIONREAD, buf), -SHOAL_EBADF);
        CHECK_EQ(sock_getsockname(s, fd, SAW(sin), &len), -SHOAL_EBADF);
        CHECK_EQ(sock_getpeername(s, fd, SAW(sin), &len), -SHOAL_EBADF);
        shoal_fd_set r;
        shoal_fd_zero(&r);
        shoal_fd_set_bit(fd, &r);
        if (fd >= 0 && fd < SHOAL_SOCKET_COUNT) CHECK_EQ(sock_select(s, SHOAL_SOCKET_COUNT, &r, NULL, NULL), -SHOAL_EBADF);
        struct shoal_pollfd pf = {fd, SHOAL_POLLIN, 0};
        /* POSIX poll: a negative fd is ignored, an unknown one is POLLNVAL. */
        CHECK_EQ(sock_poll(s, &pf, 1), fd < 0 ? 0 : 1);
        CHECK_EQ(pf.revents, fd < 0 ? 0 : SHOAL_POLLNVAL);
    }
    /* Bad domains, types, protocols. */
    CHECK_EQ(sock_socket(s, 1 /* AF_UNIX */, SHOAL_SOCK_STREAM, 0), -SHOAL_EAFNOSUPPORT);
    CHECK_EQ(sock_socket(s, 99, SHOAL_SOCK_STREAM, 0), -SHOAL_EAFNOSUPPORT);
    CHECK_EQ(sock_socket(s, SHOAL_AF_INET, 99, 0), -SHOAL_ESOCKTNOSUPPORT);
    CHECK_EQ(sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_STREAM, SHOAL_IPPROTO_UDP), -SHOAL_EPROTONOSUPPORT);
    CHECK_EQ(sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, SHOAL_IPPROTO_TCP), -SHOAL_EPROTONOSUPPORT);
    CHECK_EQ(sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_RAW, 0), -SHOAL_EPROTONOSUPPORT);
    /* NULL pointers and short lengths on a real socket. */
    int u = sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int t = sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK(u >= 0 && t >= 0);
    CHECK_EQ(sock_bind(s, u, NULL, sizeof(sin)), -SHOAL_EFAULT);
    CHECK_EQ(sock_bind(s, u, SA(sin), 4), -SHOAL_EINVAL);
    CHECK_EQ(sock_connect(s, t, NULL, 16), -SHOAL_EFAULT);
    CHECK_EQ(sock_connect(s, t, SA(sin), 3), -SHOAL_EINVAL);
    CHECK_EQ(sock_connect(s, u, NULL, 16), -SHOAL_EFAULT);
    CHECK_EQ(sock_connect(s, u, SA(sin), 1), -SHOAL_EINVAL);
    struct shoal_sockaddr_in six = sin;
    six.sin_family = SHOAL_AF_INET6;
    CHECK_EQ(sock_bind(s, u, SA(six), sizeof(six)), -SHOAL_EAFNOSUPPORT);
    CHECK_EQ(sock_sendto(s, u, NULL, 5, 0, SA(sin), sizeof(sin)), -SHOAL_EFAULT);
    CHECK_EQ(sock_sendto(s, u, buf, 1, 0, SA(sin), 2), -SHOAL_EINVAL);
    CHECK_EQ(sock_recv(s, u, NULL, 5, 0), -SHOAL_EFAULT);
    CHECK_EQ(sock_send(s, u, buf, 1, 0), -SHOAL_EDESTADDRREQ);
    CHECK_EQ(sock_setsockopt(s, u, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, NULL, 4), -SHOAL_EFAULT);
    CHECK_EQ(sock_setsockopt(s, u, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, buf, 0), -SHOAL_EINVAL);
    CHECK_EQ(sock_setsockopt(s, u, SHOAL_SOL_SOCKET, SHOAL_SO_RCVTIMEO, buf, 4), -SHOAL_EINVAL);
    CHECK_EQ(sock_setsockopt(s, u, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, buf, 4), -SHOAL_EINVAL);
    CHECK_EQ(sock_setsockopt(s, u, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, NULL, 8), -SHOAL_EFAULT);
    CHECK_EQ(sock_getsockopt(s, u, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE, NULL, &len), -SHOAL_EFAULT);
    CHECK_EQ(sock_getsockopt(s, u, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE, buf, NULL), -SHOAL_EFAULT);
    CHECK_EQ(sock_getsockopt(s, u, 999, 1, buf, &len), -SHOAL_ENOPROTOOPT);
    CHECK_EQ(sock_getsockopt(s, u, SHOAL_SOL_SOCKET, 999, buf, &len), -SHOAL_ENOPROTOOPT);
    CHECK_EQ(sopt_int(s, u, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_NODELAY, 1), -SHOAL_ENOPROTOOPT);
    CHECK_EQ(sock_getsockname(s, u, NULL, &len), -SHOAL_EFAULT);
    CHECK_EQ(sock_getsockname(s, u, SAW(sin), NULL), -SHOAL_EFAULT);
    CHECK_EQ(sock_ioctl(s, u, SHOAL_FIONREAD, NULL), -SHOAL_EFAULT);
    CHECK_EQ(sock_ioctl(s, u, 0x1234, buf), -SHOAL_EINVAL);
    CHECK_EQ(sock_fcntl(s, u, 12345, 0), -SHOAL_EINVAL);
    CHECK_EQ(sock_shutdown(s, t, 7), -SHOAL_EINVAL);
    CHECK_EQ(sock_poll(s, NULL, 3), -SHOAL_EFAULT);
    CHECK_EQ(sock_poll(s, NULL, 0), 0);
    CHECK_EQ(sock_select(s, -1, NULL, NULL, NULL), -SHOAL_EINVAL);
    /* A tiny address buffer gets the truncated address and the full length. */
    shoal_socklen_t tiny = 2;
    struct shoal_sockaddr_in out;
    memset(&out, 0xee, sizeof(out));
    CHECK_EQ(sock_getsockname(s, u, SAW(out), &tiny), 0);
    CHECK_EQ(tiny, sizeof(struct shoal_sockaddr_in));
    CHECK_EQ(((uint8_t *)&out)[2], 0xee);
    /* Listening on a datagram socket; accept on a non-listener. */
    CHECK_EQ(sock_listen(s, u, 1), -SHOAL_EOPNOTSUPP);
    CHECK_EQ(sock_accept(s, t, NULL, NULL), -SHOAL_EINVAL);
    CHECK_EQ(sock_accept(s, u, NULL, NULL), -SHOAL_EOPNOTSUPP);
    /* Close twice. */
    CHECK_EQ(sock_close(s, u), 0);
    CHECK_EQ(sock_close(s, u), -SHOAL_EBADF);
    CHECK_EQ(sock_close(s, t), 0);
    /* The table runs out: EMFILE; then every slot closes. */
    int fds[SHOAL_SOCKET_COUNT + 1], n = 0, rc;
    while ((rc = sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0)) >= 0 && n < SHOAL_SOCKET_COUNT + 1) fds[n++] = rc;
    /* The UDP PCB pool (8) or the table (16), whichever is smaller. */
    CHECK(rc == -SHOAL_EMFILE || rc == -SHOAL_ENOBUFS);
    for (int i = 0; i < n; i++) CHECK_EQ(sock_close(s, fds[i]), 0);
    /* No table attached: every call fails cleanly. */
    CHECK_EQ(sock_socket(NULL, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0), -SHOAL_ENOBUFS);
    CHECK_EQ(sock_close(NULL, 0), -SHOAL_EBADF);
    env_free(&e);
    return 0;
}

/* Non-blocking calls say EAGAIN (POSIX: EAGAIN or EWOULDBLOCK, one value on Linux). */
static int t_nonblocking_eagain(void)
{
    struct env e;
    env_new(&e, "nonblocking_eagain", false);
    int c, sfd, l;
    CHECK_EQ(tcp_pair(&e, 7, &c, &sfd, &l), 0);
    char buf[64];
    CHECK_EQ(sock_accept(e.sb, l, NULL, NULL), -SHOAL_EAGAIN);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    CHECK_EQ(sock_recv(e.sb, sfd, buf, sizeof(buf), SHOAL_MSG_DONTWAIT), -SHOAL_EWOULDBLOCK);
    int u = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM | SHOAL_SOCK_NONBLOCK, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 5000);
    CHECK_EQ(sock_bind(e.sa, u, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_recvfrom(e.sa, u, buf, sizeof(buf), 0, NULL, NULL), -SHOAL_EAGAIN);
    /* Fill the send buffer: the stream takes what fits, then EAGAIN. */
    static uint8_t big[100000];
    long total = 0, r;
    while ((r = sock_send(e.sa, c, big, sizeof(big), 0)) > 0) total += r;
    CHECK_EQ(r, -SHOAL_EAGAIN);
    CHECK(total > 0 && total <= (long)stack_config(e.sa)->tcp_snd_buf);
    struct shoal_pollfd pf = {c, SHOAL_POLLOUT, 0};
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 0);
    kick(&e);
    /* The peer reads: the window moves, the buffer drains, POLLOUT returns. */
    long got = 0;
    for (int i = 0; i < 200 && got < total; i++) {
        run_ms(&e, 10);
        while ((r = sock_recv(e.sb, sfd, buf, sizeof(buf), 0)) > 0) got += r;
        kick(&e);
    }
    CHECK_EQ(got, total);
    run_ms(&e, 50);
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 1);
    CHECK(pf.revents & SHOAL_POLLOUT);
    CHECK(e.wakeups_a > 0);
    env_free(&e);
    return 0;
}

/* connect() on a non-blocking TCP socket: EINPROGRESS, then POLLOUT and
 * SO_ERROR 0 (POSIX connect: "the connection shall be established asynchronously"). */
static int t_connect_inprogress(void)
{
    struct env e;
    env_new(&e, "connect_inprogress", false);
    int l = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 80), dst = sin_of(B_IP, 80);
    CHECK_EQ(sock_bind(e.sb, l, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_listen(e.sb, l, 2), 0);
    CHECK_EQ(gopt_int(e.sb, l, SHOAL_SOL_SOCKET, SHOAL_SO_ACCEPTCONN), 1);
    int c = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sock_fcntl(e.sa, c, SHOAL_F_SETFL, SHOAL_O_NONBLOCK), 0);
    CHECK_EQ(sock_fcntl(e.sa, c, SHOAL_F_GETFL, 0), SHOAL_O_RDWR | SHOAL_O_NONBLOCK);
    CHECK_EQ(sock_connect(e.sa, c, SA(dst), sizeof(dst)), -SHOAL_EINPROGRESS);
    CHECK_EQ(sock_connect(e.sa, c, SA(dst), sizeof(dst)), -SHOAL_EALREADY);
    struct shoal_pollfd pf = {c, SHOAL_POLLOUT | SHOAL_POLLIN, 0};
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 0);
    char buf[8];
    CHECK_EQ(sock_send(e.sa, c, "x", 1, 0), -SHOAL_EAGAIN);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    struct shoal_sockaddr_in peer;
    shoal_socklen_t plen = sizeof(peer);
    CHECK_EQ(sock_getpeername(e.sa, c, SAW(peer), &plen), -SHOAL_ENOTCONN);
    kick(&e);
    run_ms(&e, 50);
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 1);
    CHECK_EQ(pf.revents, SHOAL_POLLOUT);
    CHECK_EQ(gopt_int(e.sa, c, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), 0);
    CHECK_EQ(sock_connect(e.sa, c, SA(dst), sizeof(dst)), -SHOAL_EISCONN);
    CHECK_EQ(sock_getpeername(e.sa, c, SAW(peer), &plen), 0);
    CHECK_EQ(peer.sin_port, shoal_htons(80));
    CHECK_EQ(peer.sin_addr.s_addr, dst.sin_addr.s_addr);
    struct shoal_sockaddr_in me;
    shoal_socklen_t mlen = sizeof(me);
    CHECK_EQ(sock_getsockname(e.sa, c, SAW(me), &mlen), 0);
    CHECK_EQ(me.sin_addr.s_addr, sin_of(A_IP, 0).sin_addr.s_addr);
    CHECK(shoal_ntohs(me.sin_port) >= 49152);
    /* The listener shows the connection as readable; accept returns the peer. */
    struct shoal_pollfd lp = {l, SHOAL_POLLIN, 0};
    CHECK_EQ(sock_poll(e.sb, &lp, 1), 1);
    struct shoal_sockaddr_in from;
    shoal_socklen_t flen = sizeof(from);
    int sfd = sock_accept(e.sb, l, SAW(from), &flen);
    CHECK(sfd >= 0);
    CHECK_EQ(from.sin_port, me.sin_port);
    CHECK_EQ(from.sin_addr.s_addr, me.sin_addr.s_addr);
    CHECK_EQ(sock_fcntl(e.sb, sfd, SHOAL_F_GETFL, 0), SHOAL_O_RDWR); /* O_NONBLOCK not inherited */
    env_free(&e);
    return 0;
}

/* RST in answer to a SYN: ECONNREFUSED (RFC 9293 3.10.7.3; POSIX connect). */
static int t_econnrefused(void)
{
    struct env e;
    env_new(&e, "econnrefused", false);
    int c = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM | SHOAL_SOCK_NONBLOCK, 0);
    struct shoal_sockaddr_in dst = sin_of(B_IP, 81);
    CHECK_EQ(sock_connect(e.sa, c, SA(dst), sizeof(dst)), -SHOAL_EINPROGRESS);
    kick(&e);
    run_ms(&e, 50);
    struct shoal_pollfd pf = {c, SHOAL_POLLOUT, 0};
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 1);
    CHECK(pf.revents & SHOAL_POLLERR);
    CHECK(pf.revents & SHOAL_POLLHUP);
    CHECK_EQ(gopt_int(e.sa, c, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), SHOAL_ECONNREFUSED);
    CHECK_EQ(gopt_int(e.sa, c, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), 0); /* reported once */
    char buf[4];
    CHECK_EQ(sock_send(e.sa, c, "x", 1, 0), -SHOAL_EPIPE);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 0);
    /* A second refused attempt reports through recv as well. */
    CHECK_EQ(sock_connect(e.sa, c, SA(dst), sizeof(dst)), -SHOAL_EINPROGRESS);
    kick(&e);
    run_ms(&e, 50);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), -SHOAL_ECONNREFUSED);
    CHECK_EQ(sock_close(e.sa, c), 0);
    env_free(&e);
    return 0;
}

/* Sending after the peer closed: the data draws a RST (RFC 9293 3.10.7.4 / RFC
 * 1122 4.2.2.13), after which send fails with EPIPE (POSIX send: "the socket is
 * shut down for writing, or the socket is connection-mode and is no longer connected"). */
static int t_epipe_after_peer_close(void)
{
    struct env e;
    env_new(&e, "epipe_after_peer_close", false);
    int c, sfd, l;
    CHECK_EQ(tcp_pair(&e, 7, &c, &sfd, &l), 0);
    CHECK_EQ(sock_close(e.sb, sfd), 0);
    kick(&e);
    run_ms(&e, 20);
    char buf[16];
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 0); /* FIN: end of stream */
    struct shoal_pollfd pf = {c, SHOAL_POLLIN, 0};
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 1);
    CHECK_EQ(sock_send(e.sa, c, "hello", 5, 0), 5); /* CLOSE-WAIT may still send */
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_send(e.sa, c, "again", 5, 0), -SHOAL_EPIPE);
    CHECK_EQ(sock_send(e.sa, c, "again", 5, 0), -SHOAL_EPIPE);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 0);
    pf.events = SHOAL_POLLOUT;
    CHECK_EQ(sock_poll(e.sa, &pf, 1), 1);
    CHECK(pf.revents & SHOAL_POLLHUP);
    env_free(&e);
    return 0;
}

/* Close with unread data resets (RFC 1122 4.2.2.13); the peer reads ECONNRESET once, then EOF. */
static int t_econnreset(void)
{
    struct env e;
    env_new(&e, "econnreset", false);
    int c, sfd, l;
    CHECK_EQ(tcp_pair(&e, 7, &c, &sfd, &l), 0);
    CHECK_EQ(sock_send(e.sa, c, "unread", 6, 0), 6);
    kick(&e);
    run_ms(&e, 20);
    int avail = -1;
    CHECK_EQ(sock_ioctl(e.sb, sfd, SHOAL_FIONREAD, &avail), 0);
    CHECK_EQ(avail, 6);
    CHECK_EQ(sock_close(e.sb, sfd), 0);
    kick(&e);
    run_ms(&e, 20);
    char buf[16];
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), -SHOAL_ECONNRESET);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 0);
    CHECK_EQ(sock_send(e.sa, c, "x", 1, 0), -SHOAL_EPIPE);
    env_free(&e);
    return 0;
}

/* poll and select readiness for datagrams and streams (POSIX poll / pselect). */
static int t_select_poll(void)
{
    struct env e;
    env_new(&e, "select_poll", false);
    int ub = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int ua = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 9000), dst = sin_of(B_IP, 9000);
    CHECK_EQ(sock_bind(e.sb, ub, SA(any), sizeof(any)), 0);
    shoal_fd_set r, w;
    shoal_fd_zero(&r);
    shoal_fd_zero(&w);
    shoal_fd_set_bit(ub, &r);
    shoal_fd_set_bit(ub, &w);
    CHECK_EQ(sock_select(e.sb, ub + 1, &r, &w, NULL), 1); /* writable only */
    CHECK(!shoal_fd_isset(ub, &r));
    CHECK(shoal_fd_isset(ub, &w));
    CHECK_EQ(sock_sendto(e.sa, ua, "one", 3, 0, SA(dst), sizeof(dst)), 3);
    CHECK_EQ(sock_sendto(e.sa, ua, "two!", 4, 0, SA(dst), sizeof(dst)), 4);
    kick(&e);
    run_ms(&e, 30);
    shoal_fd_zero(&r);
    shoal_fd_set_bit(ub, &r);
    CHECK_EQ(sock_select(e.sb, ub + 1, &r, NULL, NULL), 1);
    CHECK(shoal_fd_isset(ub, &r));
    struct shoal_pollfd pf[2] = {{ub, SHOAL_POLLIN, 0}, {-1, SHOAL_POLLIN, 0}};
    CHECK_EQ(sock_poll(e.sb, pf, 2), 1);
    CHECK_EQ(pf[0].revents, SHOAL_POLLIN);
    CHECK_EQ(pf[1].revents, 0);
    /* FIONREAD: the next datagram's size; MSG_PEEK leaves it; datagrams keep their boundaries. */
    int avail = 0;
    CHECK_EQ(sock_ioctl(e.sb, ub, SHOAL_FIONREAD, &avail), 0);
    CHECK_EQ(avail, 3);
    char buf[16];
    CHECK_EQ(sock_recv(e.sb, ub, buf, sizeof(buf), SHOAL_MSG_PEEK), 3);
    struct shoal_sockaddr_in from;
    shoal_socklen_t flen = sizeof(from);
    CHECK_EQ(sock_recvfrom(e.sb, ub, buf, sizeof(buf), 0, SAW(from), &flen), 3);
    CHECK(memcmp(buf, "one", 3) == 0);
    CHECK_EQ(from.sin_addr.s_addr, sin_of(A_IP, 0).sin_addr.s_addr);
    /* A short buffer truncates the datagram; MSG_TRUNC gives its real length. */
    CHECK_EQ(sock_recv(e.sb, ub, buf, 2, SHOAL_MSG_TRUNC), 4);
    CHECK_EQ(sock_recv(e.sb, ub, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    CHECK_EQ(sock_poll(e.sb, pf, 1), 0);
    /* Streams: readable on data, and on end of stream. */
    int c, sfd, l;
    CHECK_EQ(tcp_pair(&e, 7, &c, &sfd, &l), 0);
    struct shoal_pollfd tp = {sfd, SHOAL_POLLIN | SHOAL_POLLOUT, 0};
    CHECK_EQ(sock_poll(e.sb, &tp, 1), 1);
    CHECK_EQ(tp.revents, SHOAL_POLLOUT);
    CHECK_EQ(sock_send(e.sa, c, "abc", 3, 0), 3);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_poll(e.sb, &tp, 1), 1);
    CHECK_EQ(tp.revents, SHOAL_POLLIN | SHOAL_POLLOUT);
    CHECK_EQ(sock_recv(e.sb, sfd, buf, sizeof(buf), 0), 3);
    CHECK_EQ(sock_shutdown(e.sa, c, SHOAL_SHUT_WR), 0);
    kick(&e);
    run_ms(&e, 20);
    shoal_fd_zero(&r);
    shoal_fd_set_bit(sfd, &r);
    CHECK_EQ(sock_select(e.sb, SHOAL_FD_SETSIZE, &r, NULL, NULL), 1);
    CHECK_EQ(sock_recv(e.sb, sfd, buf, sizeof(buf), 0), 0);
    env_free(&e);
    return 0;
}

/* SO_REUSEADDR: without it a second bind of a port is EADDRINUSE (POSIX bind). */
static int t_reuseaddr(void)
{
    struct env e;
    env_new(&e, "reuseaddr", false);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 5353);
    int u1 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int u2 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sock_bind(e.sb, u1, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_bind(e.sb, u1, SA(any), sizeof(any)), -SHOAL_EINVAL); /* already bound */
    CHECK_EQ(sock_bind(e.sb, u2, SA(any), sizeof(any)), -SHOAL_EADDRINUSE);
    /* Only when every socket on the port asked for it. */
    CHECK_EQ(sopt_int(e.sb, u2, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(sock_bind(e.sb, u2, SA(any), sizeof(any)), -SHOAL_EADDRINUSE);
    int u3 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int u4 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in p2 = sin_of("0.0.0.0", 5354);
    CHECK_EQ(sopt_int(e.sb, u3, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(sopt_int(e.sb, u4, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(gopt_int(e.sb, u4, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR), 1);
    CHECK_EQ(sock_bind(e.sb, u3, SA(p2), sizeof(p2)), 0);
    CHECK_EQ(sock_bind(e.sb, u4, SA(p2), sizeof(p2)), 0);
    struct shoal_sockaddr_in n4;
    shoal_socklen_t nlen = sizeof(n4);
    CHECK_EQ(sock_getsockname(e.sb, u4, SAW(n4), &nlen), 0);
    CHECK_EQ(shoal_ntohs(n4.sin_port), 5354);
    /* Binding an address that is not ours. */
    struct shoal_sockaddr_in other = sin_of("10.0.0.99", 0);
    CHECK_EQ(sock_bind(e.sb, u2, SA(other), sizeof(other)), -SHOAL_EADDRNOTAVAIL);

    /* TCP: a port held by an accepted connection (after its listener went)
     * can be listened on again only with SO_REUSEADDR; never twice. */
    int c, sfd, l;
    CHECK_EQ(tcp_pair(&e, 8080, &c, &sfd, &l), 0);
    CHECK_EQ(sock_close(e.sb, l), 0);
    struct shoal_sockaddr_in tany = sin_of("0.0.0.0", 8080);
    int l2 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sock_bind(e.sb, l2, SA(tany), sizeof(tany)), -SHOAL_EADDRINUSE);
    CHECK_EQ(sopt_int(e.sb, l2, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(sock_bind(e.sb, l2, SA(tany), sizeof(tany)), 0);
    CHECK_EQ(sock_listen(e.sb, l2, 2), 0);
    int l3 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sopt_int(e.sb, l3, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(sock_bind(e.sb, l3, SA(tany), sizeof(tany)), -SHOAL_EADDRINUSE);
    /* The new listener works: a second client gets through. */
    int c2 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in dst = sin_of(B_IP, 8080);
    CHECK_EQ(sock_connect(e.sa, c2, SA(dst), sizeof(dst)), -SHOAL_EINPROGRESS);
    kick(&e);
    run_ms(&e, 50);
    CHECK(sock_accept(e.sb, l2, NULL, NULL) >= 0);
    CHECK_EQ(gopt_int(e.sa, c2, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), 0);
    env_free(&e);
    return 0;
}

/* IP_ADD_MEMBERSHIP (RFC 1112 7.1, RFC 2236 3): after joining, datagrams to
 * the group arrive; before joining and after dropping, they do not. */
static int t_multicast(void)
{
    struct env e;
    env_new(&e, "multicast", false);
    int rx = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int tx = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 5000), grp = sin_of("239.1.2.3", 5000);
    CHECK_EQ(sopt_int(e.sb, rx, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(sock_bind(e.sb, rx, SA(any), sizeof(any)), 0);
    CHECK_EQ(gopt_int(e.sa, tx, SHOAL_IPPROTO_IP, SHOAL_IP_MULTICAST_TTL), 1);
    struct shoal_in_addr ifa = {sin_of(A_IP, 0).sin_addr.s_addr}, bad_ifa = {sin_of("10.0.0.77", 0).sin_addr.s_addr};
    CHECK_EQ(sock_setsockopt(e.sa, tx, SHOAL_IPPROTO_IP, SHOAL_IP_MULTICAST_IF, &bad_ifa, sizeof(bad_ifa)),
             -SHOAL_EADDRNOTAVAIL);
    CHECK_EQ(sock_setsockopt(e.sa, tx, SHOAL_IPPROTO_IP, SHOAL_IP_MULTICAST_IF, &ifa, sizeof(ifa)), 0);
    CHECK_EQ(gopt_int(e.sa, tx, SHOAL_IPPROTO_IP, SHOAL_IP_MULTICAST_IF), (int)ifa.s_addr);
    CHECK_EQ(sopt_int(e.sa, tx, SHOAL_IPPROTO_IP, SHOAL_IP_MULTICAST_TTL, 4), 0);
    CHECK_EQ(sock_sendto(e.sa, tx, "before", 6, 0, SA(grp), sizeof(grp)), 6);
    kick(&e);
    run_ms(&e, 20);
    char buf[32];
    CHECK_EQ(sock_recv(e.sb, rx, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    struct shoal_ip_mreq mr = {{grp.sin_addr.s_addr}, {0}};
    CHECK_EQ(sock_setsockopt(e.sb, rx, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), 0);
    CHECK_EQ(sock_setsockopt(e.sb, rx, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, &mr, sizeof(mr)),
             -SHOAL_EADDRINUSE);
    struct shoal_ip_mreq notmc = {{sin_of(B_IP, 0).sin_addr.s_addr}, {0}};
    CHECK_EQ(sock_setsockopt(e.sb, rx, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, &notmc, sizeof(notmc)),
             -SHOAL_EINVAL);
    struct shoal_ip_mreq badif = {{grp.sin_addr.s_addr}, {sin_of("10.9.9.9", 0).sin_addr.s_addr}};
    CHECK_EQ(sock_setsockopt(e.sb, rx, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, &badif, sizeof(badif)),
             -SHOAL_EADDRNOTAVAIL);
    /* A second socket on the port joins as well: each gets its copy. */
    int rx2 = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sopt_int(e.sb, rx2, SHOAL_SOL_SOCKET, SHOAL_SO_REUSEADDR, 1), 0);
    CHECK_EQ(sock_bind(e.sb, rx2, SA(any), sizeof(any)), 0);
    struct shoal_ip_mreq mr_if = {{grp.sin_addr.s_addr}, {sin_of(B_IP, 0).sin_addr.s_addr}};
    CHECK_EQ(sock_setsockopt(e.sb, rx2, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, &mr_if, sizeof(mr_if)), 0);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_sendto(e.sa, tx, "member", 6, 0, SA(grp), sizeof(grp)), 6);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_recv(e.sb, rx, buf, sizeof(buf), 0), 6);
    CHECK(memcmp(buf, "member", 6) == 0);
    CHECK_EQ(sock_recv(e.sb, rx2, buf, sizeof(buf), 0), 6);
    /* Drop both memberships: the interface leaves the group. */
    CHECK_EQ(sock_setsockopt(e.sb, rx, SHOAL_IPPROTO_IP, SHOAL_IP_DROP_MEMBERSHIP, &mr, sizeof(mr)), 0);
    CHECK_EQ(sock_setsockopt(e.sb, rx, SHOAL_IPPROTO_IP, SHOAL_IP_DROP_MEMBERSHIP, &mr, sizeof(mr)),
             -SHOAL_EADDRNOTAVAIL);
    CHECK_EQ(sock_close(e.sb, rx2), 0); /* close leaves its groups */
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_sendto(e.sa, tx, "after", 5, 0, SA(grp), sizeof(grp)), 5);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_recv(e.sb, rx, buf, sizeof(buf), 0), -SHOAL_EAGAIN);
    /* IP_ADD_MEMBERSHIP is for datagram sockets. */
    int t = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sock_setsockopt(e.sb, t, SHOAL_IPPROTO_IP, SHOAL_IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), -SHOAL_EPROTO);
    env_free(&e);
    return 0;
}

/* Broadcast needs SO_BROADCAST: EACCES without it (POSIX sendto, Linux udp_sendmsg). */
static int t_broadcast(void)
{
    struct env e;
    env_new(&e, "broadcast", false);
    int rx = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int tx = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 6000), net = sin_of("10.0.0.255", 6000),
                             lim = sin_of("255.255.255.255", 6000);
    CHECK_EQ(sock_bind(e.sb, rx, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_sendto(e.sa, tx, "x", 1, 0, SA(net), sizeof(net)), -SHOAL_EACCES);
    CHECK_EQ(sock_sendto(e.sa, tx, "x", 1, 0, SA(lim), sizeof(lim)), -SHOAL_EACCES);
    CHECK_EQ(sock_connect(e.sa, tx, SA(net), sizeof(net)), -SHOAL_EACCES);
    CHECK_EQ(gopt_int(e.sa, tx, SHOAL_SOL_SOCKET, SHOAL_SO_BROADCAST), 0);
    CHECK_EQ(sopt_int(e.sa, tx, SHOAL_SOL_SOCKET, SHOAL_SO_BROADCAST, 1), 0);
    CHECK_EQ(gopt_int(e.sa, tx, SHOAL_SOL_SOCKET, SHOAL_SO_BROADCAST), 1);
    CHECK_EQ(sock_sendto(e.sa, tx, "net", 3, 0, SA(net), sizeof(net)), 3);
    CHECK_EQ(sock_sendto(e.sa, tx, "all", 3, 0, SA(lim), sizeof(lim)), 3);
    kick(&e);
    run_ms(&e, 20);
    char buf[8];
    CHECK_EQ(sock_recv(e.sb, rx, buf, sizeof(buf), 0), 3);
    CHECK(memcmp(buf, "net", 3) == 0);
    CHECK_EQ(sock_recv(e.sb, rx, buf, sizeof(buf), 0), 3);
    CHECK(memcmp(buf, "all", 3) == 0);
    /* Connected to the broadcast address, send works too. */
    CHECK_EQ(sock_connect(e.sa, tx, SA(net), sizeof(net)), 0);
    CHECK_EQ(sock_send(e.sa, tx, "con", 3, 0), 3);
    env_free(&e);
    return 0;
}

/* Datagram limits: EMSGSIZE past 65507 bytes of UDP payload (RFC 768 over
 * RFC 791's 65535-byte datagrams); a large datagram goes fragmented. */
static int t_emsgsize(void)
{
    struct env e;
    env_new(&e, "emsgsize", false);
    int tx = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    int rx = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 7000), dst = sin_of(B_IP, 7000);
    CHECK_EQ(sock_bind(e.sb, rx, SA(any), sizeof(any)), 0);
    static uint8_t big[70000];
    for (size_t i = 0; i < sizeof(big); i++) big[i] = (uint8_t)(i * 7);
    CHECK_EQ(sock_sendto(e.sa, tx, big, 65508, 0, SA(dst), sizeof(dst)), -SHOAL_EMSGSIZE);
    CHECK_EQ(sock_sendto(e.sa, tx, big, 4000, 0, SA(dst), sizeof(dst)), 4000);
    CHECK_EQ(sock_sendto(e.sa, tx, big, 0, 0, SA(dst), sizeof(dst)), 0);
    struct shoal_sockaddr_in port0 = sin_of(B_IP, 0);
    CHECK_EQ(sock_sendto(e.sa, tx, big, 1, 0, SA(port0), sizeof(port0)), -SHOAL_EINVAL);
    kick(&e);
    run_ms(&e, 30);
    static uint8_t got[8000];
    CHECK_EQ(sock_recv(e.sb, rx, got, sizeof(got), 0), 4000);
    CHECK(memcmp(got, big, 4000) == 0);
    CHECK_EQ(sock_recv(e.sb, rx, got, sizeof(got), 0), 0); /* the empty datagram */
    /* SO_RCVBUF bounds what waits unread; the rest is dropped. */
    CHECK_EQ(sopt_int(e.sb, rx, SHOAL_SOL_SOCKET, SHOAL_SO_RCVBUF, 1000), 0);
    CHECK_EQ(gopt_int(e.sb, rx, SHOAL_SOL_SOCKET, SHOAL_SO_RCVBUF), 1000);
    for (int i = 0; i < 4; i++) CHECK_EQ(sock_sendto(e.sa, tx, big, 400, 0, SA(dst), sizeof(dst)), 400);
    kick(&e);
    run_ms(&e, 30);
    int n = 0;
    while (sock_recv(e.sb, rx, got, sizeof(got), 0) == 400) n++;
    CHECK_EQ(n, 2);
    env_free(&e);
    return 0;
}

/* Options read back what was set, and reach the wire (IP_TTL). */
static int t_sockopts(void)
{
    struct env e;
    env_new(&e, "sockopts", false);
    int t = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    int u = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE), SHOAL_SOCK_STREAM);
    CHECK_EQ(gopt_int(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE), SHOAL_SOCK_DGRAM);
    CHECK_EQ(gopt_int(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_PROTOCOL), SHOAL_IPPROTO_UDP);
    CHECK_EQ(gopt_int(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_DOMAIN), SHOAL_AF_INET);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), 0);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_NODELAY), 0);
    CHECK_EQ(sopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_NODELAY, 1), 0);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_NODELAY), 1);
    CHECK_EQ(sopt_int(e.sa, t, SHOAL_SOL_SOCKET, SHOAL_SO_KEEPALIVE, 1), 0);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_SOL_SOCKET, SHOAL_SO_KEEPALIVE), 1);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPIDLE), 7200); /* RFC 1122 4.2.3.6 */
    CHECK_EQ(sopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPIDLE, 10), 0);
    CHECK_EQ(sopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPINTVL, 2), 0);
    CHECK_EQ(sopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPCNT, 3), 0);
    CHECK_EQ(sopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPCNT, 0), -SHOAL_EINVAL);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPIDLE), 10);
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_KEEPCNT), 3);
    /* Linux: before a connection, the RFC 9293 3.7.1 default of 536. */
    CHECK_EQ(gopt_int(e.sa, t, SHOAL_IPPROTO_TCP, SHOAL_TCPOPT_MAXSEG), 536);
    CHECK_EQ(sopt_int(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_SNDBUF, 4096), 0);
    CHECK_EQ(gopt_int(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_SNDBUF), 4096);
    CHECK_EQ(gopt_int(e.sa, u, SHOAL_IPPROTO_IP, SHOAL_IP_TTL), 64);
    CHECK_EQ(sopt_int(e.sa, u, SHOAL_IPPROTO_IP, SHOAL_IP_TTL, 0), -SHOAL_EINVAL);
    CHECK_EQ(sopt_int(e.sa, u, SHOAL_IPPROTO_IP, SHOAL_IP_TTL, 256), -SHOAL_EINVAL);
    CHECK_EQ(sopt_int(e.sa, u, SHOAL_IPPROTO_IP, SHOAL_IP_TTL, 7), 0);
    CHECK_EQ(gopt_int(e.sa, u, SHOAL_IPPROTO_IP, SHOAL_IP_TTL), 7);
    CHECK_EQ(sopt_int(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE, 1), -SHOAL_ENOPROTOOPT);
    struct shoal_timeval tv = {1, 500000}, back;
    CHECK_EQ(sock_setsockopt(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    shoal_socklen_t blen = sizeof(back);
    CHECK_EQ(sock_getsockopt(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_RCVTIMEO, &back, &blen), 0);
    CHECK_EQ(back.tv_sec, 1);
    CHECK_EQ(back.tv_usec, 500000);
    struct shoal_timeval badtv = {0, 2000000};
    CHECK_EQ(sock_setsockopt(e.sa, u, SHOAL_SOL_SOCKET, SHOAL_SO_SNDTIMEO, &badtv, sizeof(badtv)), -SHOAL_EDOM);
    /* IP_TTL 7 on the wire (test_sockets.py reads the pcap). */
    struct shoal_sockaddr_in dst = sin_of(B_IP, 4242);
    CHECK_EQ(sock_sendto(e.sa, u, "ttl7", 4, 0, SA(dst), sizeof(dst)), 4);
    /* A short option buffer: the value is cut to it (Linux). */
    uint8_t one = 0xaa;
    shoal_socklen_t olen = 1;
    CHECK_EQ(sock_getsockopt(e.sa, u, SHOAL_IPPROTO_IP, SHOAL_IP_TTL, &one, &olen), 0);
    CHECK_EQ(olen, 1);
    /* Keepalive on an idle connection: probes go out after TCP_KEEPIDLE. */
    int l = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 99), tdst = sin_of(B_IP, 99);
    CHECK_EQ(sock_bind(e.sb, l, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_listen(e.sb, l, 1), 0);
    CHECK_EQ(sock_connect(e.sa, t, SA(tdst), sizeof(tdst)), -SHOAL_EINPROGRESS);
    kick(&e);
    uint64_t before = stat_of(e.sa, "tcp.xmit");
    run_ms(&e, 12000);
    CHECK(stat_of(e.sa, "tcp.xmit") >= before + 2); /* ACK of the handshake + at least one probe */
    env_free(&e);
    return 0;
}

/* shutdown (POSIX): SHUT_WR sends FIN, the peer reads EOF while we still
 * read its data; send after SHUT_WR is EPIPE; unconnected sockets ENOTCONN. */
static int t_shutdown(void)
{
    struct env e;
    env_new(&e, "shutdown", false);
    int u = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_DGRAM, 0);
    CHECK_EQ(sock_shutdown(e.sa, u, SHOAL_SHUT_RD), -SHOAL_ENOTCONN);
    int t = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sock_shutdown(e.sa, t, SHOAL_SHUT_WR), -SHOAL_ENOTCONN);
    char buf[16];
    CHECK_EQ(sock_send(e.sa, t, "x", 1, 0), -SHOAL_ENOTCONN);
    CHECK_EQ(sock_recv(e.sa, t, buf, sizeof(buf), 0), -SHOAL_ENOTCONN);
    int c, sfd, l;
    CHECK_EQ(tcp_pair(&e, 7, &c, &sfd, &l), 0);
    CHECK_EQ(sock_recv(e.sb, l, buf, sizeof(buf), 0), -SHOAL_ENOTCONN);
    CHECK_EQ(sock_shutdown(e.sa, c, SHOAL_SHUT_WR), 0);
    CHECK_EQ(sock_send(e.sa, c, "x", 1, 0), -SHOAL_EPIPE);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_recv(e.sb, sfd, buf, sizeof(buf), 0), 0);
    CHECK_EQ(sock_send(e.sb, sfd, "late", 4, 0), 4);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 4);
    CHECK_EQ(sock_close(e.sb, sfd), 0);
    kick(&e);
    run_ms(&e, 20);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 0);
    /* The connection ended by itself (TIME-WAIT for the side that closed last
     * is the peer's): the socket stays valid and reads EOF. */
    run_ms(&e, 130000);
    CHECK_EQ(sock_recv(e.sa, c, buf, sizeof(buf), 0), 0);
    CHECK_EQ(sock_send(e.sa, c, "x", 1, 0), -SHOAL_EPIPE);
    CHECK_EQ(sock_close(e.sa, c), 0);
    env_free(&e);
    return 0;
}

/* Listen backlog: connections beyond it are reset; closing a listener
 * resets connections never accepted. */
static int t_backlog(void)
{
    struct env e;
    env_new(&e, "backlog", false);
    int l = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 7), dst = sin_of(B_IP, 7);
    CHECK_EQ(sock_bind(e.sb, l, SA(any), sizeof(any)), 0);
    CHECK_EQ(sock_listen(e.sb, l, 1), 0);
    int c1 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    int c2 = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    CHECK_EQ(sock_connect(e.sa, c1, SA(dst), sizeof(dst)), -SHOAL_EINPROGRESS);
    kick(&e);
    run_ms(&e, 30);
    CHECK_EQ(sock_connect(e.sa, c2, SA(dst), sizeof(dst)), -SHOAL_EINPROGRESS);
    kick(&e);
    run_ms(&e, 30);
    char buf[4];
    CHECK_EQ(sock_recv(e.sa, c2, buf, sizeof(buf), 0), -SHOAL_ECONNRESET);
    CHECK_EQ(gopt_int(e.sa, c1, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR), 0);
    CHECK_EQ(sock_close(e.sb, l), 0);
    kick(&e);
    run_ms(&e, 30);
    CHECK_EQ(sock_recv(e.sa, c1, buf, sizeof(buf), 0), -SHOAL_ECONNRESET);
    env_free(&e);
    return 0;
}

/* Raw sockets (IPPROTO_ICMP): an echo request built by hand goes out, the
 * reply comes back with its IP header, and the stack still answers pings. */
static uint16_t csum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static int t_raw_icmp(void)
{
    struct env e;
    env_new(&e, "raw_icmp", false);
    int r = sock_socket(e.sa, SHOAL_AF_INET, SHOAL_SOCK_RAW, SHOAL_IPPROTO_ICMP);
    int rb = sock_socket(e.sb, SHOAL_AF_INET, SHOAL_SOCK_RAW, SHOAL_IPPROTO_ICMP);
    CHECK(r >= 0 && rb >= 0);
    uint8_t req[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g', 'r', 'a', 'w', '!'};
    uint16_t c = csum(req, sizeof(req));
    req[2] = (uint8_t)(c >> 8);
    req[3] = (uint8_t)c;
    struct shoal_sockaddr_in dst = sin_of(B_IP, 0);
    CHECK_EQ(sock_sendto(e.sa, r, req, sizeof(req), 0, SA(dst), sizeof(dst)), (long)sizeof(req));
    kick(&e);
    run_ms(&e, 30);
    uint8_t buf[128];
    struct shoal_sockaddr_in from;
    shoal_socklen_t flen = sizeof(from);
    long n = sock_recvfrom(e.sa, r, buf, sizeof(buf), 0, SAW(from), &flen);
    CHECK_EQ(n, 20 + (long)sizeof(req));
    CHECK_EQ(buf[0], 0x45);
    CHECK_EQ(buf[9], SHOAL_IPPROTO_ICMP);
    CHECK_EQ(buf[20], 0); /* echo reply, from the stack of b */
    CHECK(memcmp(buf + 24, req + 4, sizeof(req) - 4) == 0);
    CHECK_EQ(from.sin_addr.s_addr, dst.sin_addr.s_addr);
    /* b's raw socket saw the request too. */
    n = sock_recv(e.sb, rb, buf, sizeof(buf), 0);
    CHECK_EQ(n, 20 + (long)sizeof(req));
    CHECK_EQ(buf[20], 8);
    env_free(&e);
    return 0;
}

/* ---- blocking calls from tasks ---- */

struct blk {
    struct env *e;
    uint64_t t_timeout_ns, t_sleep_ns, t_accept_ns, t_poll_ns;
    long got;
    int rc_timeout, err_timeout, rc_poll, client_err;
    char line[64];
};

static int blk_server(void *arg)
{
    struct blk *b = arg;
    struct stack *s = task_stack();
    int l = sock_socket(s, SHOAL_AF_INET, SHOAL_SOCK_STREAM, 0);
    struct shoal_sockaddr_in any = sin_of("0.0.0.0", 7);
    if (sock_bind(s, l, SA(any), sizeof(any)) != 0 || sock_listen(s, l, 1) != 0) return 1;
    /* A blocking accept waits for the client that starts 100 ms later. */
    int c;
    while ((c = sock_accept(s, l, NULL, NULL)) == -SHOAL_EAGAIN) task_wait_io(UINT64_MAX);
    b->t_accept_ns = task_now_ns();
    char buf[64];
    long n;
    while ((n = sock_recv(s, c, buf, sizeof(buf), 0)) == -SHOAL_EAGAIN) task_wait_io(UINT64_MAX);
    if (n > 0) sock_send(s, c, buf, (size_t)n, 0);
    sim_node_kick(task_node());
    task_sleep_ns(50 * NS_PER_MS);
    sock_close(s, c);
    sock_close(s, l);
    return 0;
}

#define SHOAL_POSIX_NO_MACROS
#include "shoal_posix.h"

/* The client side uses the POSIX shim, as an application would. */
static int blk_client(void *arg)
{
    struct blk *b = arg;
    uint64_t t0 = task_now_ns();
    sleep(0);
    shoal_posix_sleep(0);
    shoal_posix_usleep(100000);
    b->t_sleep_ns = task_now_ns() - t0;
    int fd = shoal_posix_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in dst;
    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_port = htons(7);
    inet_pton(AF_INET, B_IP, &dst.sin_addr);
    if (shoal_posix_connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) return 10;
    /* recv with SO_RCVTIMEO: EAGAIN after exactly the timeout of virtual time. */
    struct timeval tv = {0, 250000};
    shoal_posix_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char buf[64];
    t0 = task_now_ns();
    b->rc_timeout = (int)shoal_posix_recv(fd, buf, sizeof(buf), 0);
    b->err_timeout = errno;
    b->t_timeout_ns = task_now_ns() - t0;
    /* poll with a timeout and nothing to read: 0 after the timeout. */
    struct pollfd pf = {fd, POLLIN, 0};
    t0 = task_now_ns();
    b->rc_poll = shoal_posix_poll(&pf, 1, 30);
    b->t_poll_ns = task_now_ns() - t0;
    if (shoal_posix_send(fd, "hello\n", 6, 0) != 6) return 11;
    b->got = shoal_posix_recv(fd, b->line, 6, MSG_WAITALL);
    /* The server closes: EOF, then a refused connection to a closed port. */
    if (shoal_posix_recv(fd, buf, sizeof(buf), 0) != 0) return 12;
    shoal_posix_close(fd);
    fd = shoal_posix_socket(AF_INET, SOCK_STREAM, 0);
    dst.sin_port = htons(8);
    if (shoal_posix_connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0) return 13;
    b->client_err = errno;
    shoal_posix_close(fd);
    /* Calls on descriptors that are not sockets. */
    if (shoal_posix_send(SHOAL_POSIX_FD_BASE + 15, "x", 1, 0) != -1 || errno != EBADF) return 14;
    if (shoal_posix_recv(5, buf, 1, 0) != -1 || errno != EBADF) return 15;
    return 0;
}

static int t_blocking_tasks(void)
{
    struct env e;
    env_new(&e, "blocking_tasks", true);
    struct blk b;
    memset(&b, 0, sizeof(b));
    b.e = &e;
    struct task *ts = task_spawn(e.ts, e.b, "server", blk_server, &b, 0);
    struct task *tc = task_spawn(e.ts, e.a, "client", blk_client, &b, 0);
    CHECK(ts != NULL && tc != NULL);
    CHECK(task_sched_run(e.ts, 10ull * 1000 * NS_PER_MS));
    CHECK_EQ(task_result(ts), 0);
    CHECK_EQ(task_result(tc), 0);
    CHECK_EQ(b.t_sleep_ns, 100 * NS_PER_MS);
    CHECK_EQ(b.rc_timeout, -1);
    CHECK_EQ(b.err_timeout, EAGAIN);
    CHECK_EQ(b.t_timeout_ns, 250 * NS_PER_MS);
    CHECK_EQ(b.rc_poll, 0);
    CHECK_EQ(b.t_poll_ns, 30 * NS_PER_MS);
    CHECK_EQ(b.got, 6);
    CHECK(memcmp(b.line, "hello\n", 6) == 0);
    CHECK_EQ(b.client_err, ECONNREFUSED);
    CHECK(b.t_accept_ns >= 100 * NS_PER_MS);
    env_free(&e);
    return 0;
}

/* A task parked forever (blocked in accept) is dropped cleanly at the end. */
static int blk_forever(void *arg)
{
    (void)arg;
    int l = shoal_posix_socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in any;
    memset(&any, 0, sizeof(any));
    any.sin_family = AF_INET;
    any.sin_port = htons(1234);
    shoal_posix_bind(l, (struct sockaddr *)&any, sizeof(any));
    shoal_posix_listen(l, 1);
    shoal_posix_accept(l, NULL, NULL);
    return 1;
}

static int t_task_dropped(void)
{
    struct env e;
    env_new(&e, "task_dropped", true);
    struct task *t = task_spawn(e.ts, e.b, "forever", blk_forever, NULL, 0);
    CHECK(!task_sched_run(e.ts, 1000 * NS_PER_MS));
    CHECK(!task_done(t));
    CHECK_EQ(task_sched_live(e.ts), 1);
    env_free(&e);
    return 0;
}

/* getaddrinfo: numeric hosts, services, flags and errors (RFC 3493 6.1). */
static int t_getaddrinfo_numeric(void)
{
    struct env e;
    env_new(&e, "getaddrinfo_numeric", false);
    struct shoal_addrinfo_result r;
    memset(&r, 0, sizeof(r));
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "7", NULL, &r), 0);
    CHECK_EQ(r.count, 2); /* stream and datagram */
    CHECK_EQ(r.ai[0].ai_socktype, SHOAL_SOCK_STREAM);
    CHECK_EQ(r.ai[0].ai_protocol, SHOAL_IPPROTO_TCP);
    CHECK(r.ai[0].ai_next == &r.ai[1]);
    CHECK(r.ai[1].ai_next == NULL);
    struct shoal_sockaddr_in *sa = (struct shoal_sockaddr_in *)r.ai[0].ai_addr;
    CHECK_EQ(sa->sin_port, shoal_htons(7));
    CHECK_EQ(sa->sin_addr.s_addr, sin_of(B_IP, 0).sin_addr.s_addr);
    struct shoal_addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SHOAL_SOCK_DGRAM;
    hints.ai_flags = SHOAL_AI_PASSIVE;
    CHECK_EQ(sock_getaddrinfo(e.sa, NULL, "http", &hints, &r), 0);
    CHECK_EQ(r.count, 1);
    sa = (struct shoal_sockaddr_in *)r.ai[0].ai_addr;
    CHECK_EQ(sa->sin_port, shoal_htons(80));
    CHECK_EQ(sa->sin_addr.s_addr, 0);
    hints.ai_flags = 0;
    CHECK_EQ(sock_getaddrinfo(e.sa, NULL, "53", &hints, &r), 0);
    sa = (struct shoal_sockaddr_in *)r.ai[0].ai_addr;
    CHECK_EQ(sa->sin_addr.s_addr, sin_of("127.0.0.1", 0).sin_addr.s_addr);
    CHECK_EQ(sock_getaddrinfo(e.sa, NULL, NULL, NULL, &r), SHOAL_EAI_NONAME);
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "nosuchservice", NULL, &r), SHOAL_EAI_SERVICE);
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "99999", NULL, &r), SHOAL_EAI_SERVICE);
    hints.ai_flags = SHOAL_AI_NUMERICSERV;
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "http", &hints, &r), SHOAL_EAI_NONAME);
    hints.ai_flags = SHOAL_AI_NUMERICHOST;
    CHECK_EQ(sock_getaddrinfo(e.sa, "example.test", "80", &hints, &r), SHOAL_EAI_NONAME);
    CHECK_EQ(sock_getaddrinfo(e.sa, "1.2.3", "80", &hints, &r), SHOAL_EAI_NONAME);
    CHECK_EQ(sock_getaddrinfo(e.sa, "1.2.3.256", "80", &hints, &r), SHOAL_EAI_NONAME);
    hints.ai_flags = 0x8000;
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "80", &hints, &r), SHOAL_EAI_BADFLAGS);
    hints.ai_flags = 0;
    hints.ai_family = SHOAL_AF_INET6;
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "80", &hints, &r), SHOAL_EAI_FAMILY);
    hints.ai_family = 0;
    hints.ai_socktype = 77;
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "80", &hints, &r), SHOAL_EAI_SOCKTYPE);
    /* A name without a resolver attached: a plain failure. */
    CHECK_EQ(sock_getaddrinfo(e.sa, "echo.test", "80", NULL, &r), SHOAL_EAI_FAIL);
    CHECK_EQ(sock_getaddrinfo(NULL, B_IP, "80", NULL, &r), SHOAL_EAI_FAIL);
    CHECK_EQ(sock_getaddrinfo(e.sa, B_IP, "80", NULL, NULL), SHOAL_EAI_FAIL);
    env_free(&e);
    return 0;
}

/* getaddrinfo over DNS: b answers A queries from a task with plain sockets
 * (RFC 1035 4.1); a's task resolves a name through the shim. */
static int dns_server(void *arg)
{
    int *answered = arg;
    int fd = shoal_posix_socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any;
    memset(&any, 0, sizeof(any));
    any.sin_family = AF_INET;
    any.sin_port = htons(53);
    if (shoal_posix_bind(fd, (struct sockaddr *)&any, sizeof(any)) != 0) return 1;
    for (;;) {
        uint8_t q[512], a[600];
        struct sockaddr_in from;
        socklen_t flen = sizeof(from);
        ssize_t n = shoal_posix_recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
        if (n < 17) return 2;
        /* Header + the one question, as asked; one A record pointing at the question's name. */
        size_t qend = 12;
        while (qend < (size_t)n && q[qend] != 0) qend += (size_t)q[qend] + 1u;
        qend += 5;
        if (qend > (size_t)n) return 3;
        memcpy(a, q, qend);
        a[2] = 0x81;
        a[3] = 0x80; /* QR, RD, RA, NOERROR */
        a[6] = 0;
        a[7] = 1; /* ANCOUNT */
        a[8] = a[9] = a[10] = a[11] = 0;
        static const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 2};
        memcpy(a + qend, rr, sizeof(rr));
        shoal_posix_sendto(fd, a, qend + sizeof(rr), 0, (struct sockaddr *)&from, flen);
        (*answered)++;
    }
}

struct dns_client_out {
    int rc;
    uint32_t addr;
    uint16_t port;
    uint64_t took_ns;
};

static int dns_client(void *arg)
{
    struct dns_client_out *o = arg;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    uint64_t t0 = task_now_ns();
    o->rc = shoal_posix_getaddrinfo("echo.sim.test", "7", &hints, &res);
    o->took_ns = task_now_ns() - t0;
    if (o->rc != 0 || res == NULL) return 1;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
    o->addr = sin->sin_addr.s_addr;
    o->port = ntohs(sin->sin_port);
    shoal_posix_freeaddrinfo(res);
    /* An unknown top-level name with the server silent would time out: not
     * asked here; a bad name is refused at once. */
    if (shoal_posix_getaddrinfo("bad..name", "7", &hints, &res) != EAI_NONAME) return 2;
    return 0;
}

static int t_getaddrinfo_dns(void)
{
    struct env e;
    env_new(&e, "getaddrinfo_dns", true);
    static struct dns_resolver resolver;
    int answered = 0;
    struct dns_client_out out;
    memset(&out, 0, sizeof(out));
    struct task *srv = task_spawn(e.ts, e.b, "dns_server", dns_server, &answered, 0);
    struct task *cli = task_spawn_at(e.ts, e.a, "dns_client", dns_client, &out, 0, 5 * NS_PER_MS);
    CHECK(srv != NULL && cli != NULL);
    dns_init(e.sa, &resolver);
    ip4_addr_t server = ip4_addr_make(10, 0, 0, 2);
    CHECK_EQ(dns_set_server(e.sa, 0, &server), ERR_OK);
    sim_step(e.sim, 2000 * NS_PER_MS);
    while (!task_done(cli) && sim_step(e.sim, 2000 * NS_PER_MS)) {
    }
    CHECK(task_done(cli));
    CHECK_EQ(task_result(cli), 0);
    CHECK_EQ(out.rc, 0);
    CHECK_EQ(out.addr, sin_of(B_IP, 0).sin_addr.s_addr);
    CHECK_EQ(out.port, 7);
    CHECK_EQ(answered, 1);
    CHECK(out.took_ns >= 2 * NS_PER_MS); /* one round trip at least */
    env_free(&e);
    return 0;
}


/* Random calls with random arguments (bad descriptors, lengths, pointers,
 * addresses, options) on both nodes while traffic flows: every call returns
 * a count or a known negative errno, nothing crashes (run under ASan), and
 * once every socket is closed no pbuf stays held. */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
    /* xorshift32: the test's own deterministic stream */
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 17;
    rnd_state ^= rnd_state << 5;
    return rnd_state;
}
static uint32_t pick(uint32_t n) { return rnd() % n; }

static bool result_ok(long r) { return r >= 0 || (-r >= 1 && -r <= SHOAL_EINPROGRESS); }

static int t_random_calls(void)
{
    struct env e;
    env_new(&e, "random_calls", false);
    rnd_state = 0x12345678u ^ (uint32_t)g_seed;
    static uint8_t buf[70000];
    static const size_t lens[] = {0, 1, 5, 100, 1472, 1473, 4000, 65507, 65508, 70000};
    static const char *const ips[] = {A_IP, B_IP, "10.0.0.255", "255.255.255.255", "239.1.2.3", "0.0.0.0",
                                      "10.0.0.99", "224.0.0.1", "127.0.0.1", "192.168.9.9"};
    static const int levels[] = {SHOAL_SOL_SOCKET, SHOAL_IPPROTO_IP, SHOAL_IPPROTO_TCP, 99, -1};
    for (size_t i = 0; i < sizeof(buf); i++) buf[i] = (uint8_t)i;
    long positive = 0;
    for (int op = 0; op < 20000; op++) {
        struct stack *s = pick(2) ? e.sa : e.sb;
        int fd = (int)pick(SHOAL_SOCKET_COUNT + 3) - 2;
        /* Mostly a socket that exists, so that calls get past the fd check. */
        struct socket_table *tab = s == e.sa ? &e.ta : &e.tb;
        if (pick(4) != 0) {
            int open[SHOAL_SOCKET_COUNT], nopen = 0;
            for (int i = 0; i < SHOAL_SOCKET_COUNT; i++)
                if (tab->socks[i].kind != SOCK_KIND_FREE && !tab->socks[i].pending_accept) open[nopen++] = i;
            if (nopen > 0) fd = open[pick((uint32_t)nopen)];
        }
        size_t len = lens[pick(sizeof(lens) / sizeof(lens[0]))];
        void *p = pick(8) == 0 ? NULL : buf;
        const char *ip = pick(2) ? (s == e.sa ? B_IP : A_IP) : ips[pick(sizeof(ips) / sizeof(ips[0]))];
        struct shoal_sockaddr_in sin = sin_of(ip, (uint16_t)(pick(8) == 0 ? 0 : 7 + pick(3)));
        if (pick(10) == 0) sin.sin_family = (uint16_t)pick(12);
        shoal_socklen_t alen = pick(6) == 0 ? (shoal_socklen_t)pick(20) : sizeof(sin);
        const struct shoal_sockaddr *ap = pick(10) == 0 ? NULL : SA(sin);
        uint8_t opt[24];
        for (size_t i = 0; i < sizeof(opt); i++) opt[i] = (uint8_t)rnd();
        if (pick(2)) {
            int small = (int)pick(70000);
            memcpy(opt, &small, sizeof(small));
        }
        shoal_socklen_t olen = (shoal_socklen_t)pick(20);
        long r = 0;
        int flags = (int)(pick(4) == 0 ? rnd() : 0);
        switch (pick(22)) {
        case 0:
        case 1: {
            int type = (int)pick(4);
            /* Raw sockets send random bytes: only as the experimental
             * protocols of RFC 3692, which no dissector reads as headers. */
            int proto = type == SHOAL_SOCK_RAW ? (pick(8) ? 253 + (int)pick(2) : 0) : (pick(5) ? 0 : (int)pick(20));
            r = sock_socket(s, pick(8) ? SHOAL_AF_INET : (int)pick(12), type | (pick(4) ? 0 : SHOAL_SOCK_NONBLOCK), proto);
            break;
        }
        case 2: r = sock_bind(s, fd, ap, alen); break;
        case 3: r = sock_listen(s, fd, (int)pick(12) - 2); break;
        case 4: {
            shoal_socklen_t l2 = alen;
            r = sock_accept(s, fd, pick(2) ? SAW(sin) : NULL, pick(2) ? &l2 : NULL);
            break;
        }
        case 5: r = sock_connect(s, fd, ap, alen); break;
        case 6: r = sock_send(s, fd, p, len, flags); break;
        case 7: r = sock_sendto(s, fd, p, len, flags, ap, alen); break;
        case 8:
        case 9: {
            shoal_socklen_t l2 = alen;
            r = sock_recvfrom(s, fd, p, len, flags, pick(2) ? SAW(sin) : NULL, pick(2) ? &l2 : NULL);
            break;
        }
        case 10: r = sock_shutdown(s, fd, (int)pick(5) - 1); break;
        case 11: r = pick(3) == 0 ? sock_close(s, fd) : 0; break;
        case 12: r = sock_setsockopt(s, fd, levels[pick(5)], (int)pick(40), pick(8) ? opt : NULL, olen); break;
        case 13: r = sock_getsockopt(s, fd, levels[pick(5)], (int)pick(40), pick(8) ? opt : NULL, pick(8) ? &olen : NULL); break;
        case 14: r = sock_fcntl(s, fd, (int)pick(6), (int)rnd()); break;
        case 15: r = sock_ioctl(s, fd, pick(2) ? SHOAL_FIONREAD : SHOAL_FIONBIO, pick(8) ? (void *)opt : NULL); break;
        case 16: {
            shoal_socklen_t l2 = alen;
            r = pick(2) ? sock_getsockname(s, fd, pick(8) ? SAW(sin) : NULL, &l2)
                        : sock_getpeername(s, fd, SAW(sin), pick(8) ? &l2 : NULL);
            break;
        }
        case 17: {
            struct shoal_pollfd pf[4];
            for (int i = 0; i < 4; i++) {
                pf[i].fd = (int)pick(SHOAL_SOCKET_COUNT + 3) - 2;
                pf[i].events = (short)rnd();
            }
            r = sock_poll(s, pf, pick(5));
            break;
        }
        case 18: {
            shoal_fd_set rs, ws;
            rs.bits[0] = rnd();
            ws.bits[0] = rnd();
            r = sock_select(s, (int)pick(SHOAL_FD_SETSIZE + 4) - 2, pick(2) ? &rs : NULL, pick(2) ? &ws : NULL, NULL);
            break;
        }
        case 19: {
            struct shoal_ip_mreq mr = {{sin.sin_addr.s_addr}, {pick(2) ? 0 : sin_of(ips[pick(3)], 0).sin_addr.s_addr}};
            r = sock_setsockopt(s, fd, SHOAL_IPPROTO_IP, pick(2) ? SHOAL_IP_ADD_MEMBERSHIP : SHOAL_IP_DROP_MEMBERSHIP, &mr,
                                pick(6) ? sizeof(mr) : (shoal_socklen_t)pick(8));
            break;
        }
        case 20: {
            static struct shoal_addrinfo_result res;
            static const char *const names[] = {"10.0.0.2", "x", "", "1.2.3.4.5", "300.1.1.1", NULL, "a.b", "1..2.3"};
            static const char *const servs[] = {"7", "http", "", "65536", NULL, "-1", "echo"};
            r = sock_getaddrinfo(s, names[pick(8)], servs[pick(7)], NULL, &res);
            CHECK(r <= 0);
            r = 0;
            break;
        }
        default: kick(&e); run_ms(&e, pick(30)); break;
        }
        if (r > 0) positive++;
        if (!result_ok(r)) {
            snprintf(g_fail, sizeof(g_fail), "op %d returned %ld", op, r);
            return 1;
        }
        kick(&e);
    }
    fprintf(stderr, "random_calls: %ld calls of 20000 returned > 0, now %.3f s, tcp.xmit a=%llu, udp.xmit a=%llu\n",
            positive, (double)sim_now(e.sim) / 1e9, (unsigned long long)stat_of(e.sa, "tcp.xmit"),
            (unsigned long long)stat_of(e.sa, "udp.xmit"));
    /* Everything closed and the connections' timers run out: no pbuf held. */
    for (int fd = 0; fd < SHOAL_SOCKET_COUNT; fd++) {
        sock_close(e.sa, fd);
        sock_close(e.sb, fd);
    }
    kick(&e);
    run_ms(&e, 400000);
    CHECK_EQ(stat_of(e.sa, "pool.pbuf.used"), 0);
    CHECK_EQ(stat_of(e.sb, "pool.pbuf.used"), 0);
    CHECK_EQ(stat_of(e.sa, "pool.tcp_pcb.used"), 0);
    CHECK_EQ(stat_of(e.sb, "pool.udp_pcb.used"), 0);
    env_free(&e);
    return 0;
}

/* ================================================================ driver */

static const struct {
    const char *name;
    int (*fn)(void);
} tests[] = {
    {"bad_arguments", t_bad_arguments},
    {"nonblocking_eagain", t_nonblocking_eagain},
    {"connect_inprogress", t_connect_inprogress},
    {"econnrefused", t_econnrefused},
    {"epipe_after_peer_close", t_epipe_after_peer_close},
    {"econnreset", t_econnreset},
    {"select_poll", t_select_poll},
    {"reuseaddr", t_reuseaddr},
    {"multicast", t_multicast},
    {"broadcast", t_broadcast},
    {"emsgsize", t_emsgsize},
    {"sockopts", t_sockopts},
    {"shutdown", t_shutdown},
    {"backlog", t_backlog},
    {"raw_icmp", t_raw_icmp},
    {"blocking_tasks", t_blocking_tasks},
    {"task_dropped", t_task_dropped},
    {"getaddrinfo_numeric", t_getaddrinfo_numeric},
    {"getaddrinfo_dns", t_getaddrinfo_dns},
    {"random_calls", t_random_calls},
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
