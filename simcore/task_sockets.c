/*
 * The blocking POSIX shim (shoal_posix.h) over the stack's non-blocking
 * sockets (shoal/sockets.h): each call tries the operation on the current
 * task's node and, when it would block on a blocking socket, parks the task
 * until the node's sockets wake it (or SO_RCVTIMEO / SO_SNDTIMEO run out),
 * then tries again. The system's socket types share Linux's layouts with
 * Shoal's, which the asserts below check, so addresses pass by cast.
 */
#define _GNU_SOURCE
#define SHOAL_POSIX_NO_MACROS
#include "shoal_posix.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"
#include "task.h"
#include "shoal/sockets.h"

/* ---- the ABI Shoal mirrors ---- */
_Static_assert(sizeof(struct sockaddr_in) == sizeof(struct shoal_sockaddr_in), "sockaddr_in");
_Static_assert(offsetof(struct sockaddr_in, sin_port) == offsetof(struct shoal_sockaddr_in, sin_port), "sin_port");
_Static_assert(offsetof(struct sockaddr_in, sin_addr) == offsetof(struct shoal_sockaddr_in, sin_addr), "sin_addr");
_Static_assert(sizeof(struct sockaddr_in6) == sizeof(struct shoal_sockaddr_in6), "sockaddr_in6");
_Static_assert(offsetof(struct sockaddr_in6, sin6_port) == offsetof(struct shoal_sockaddr_in6, sin6_port), "sin6_port");
_Static_assert(offsetof(struct sockaddr_in6, sin6_addr) == offsetof(struct shoal_sockaddr_in6, sin6_addr), "sin6_addr");
_Static_assert(offsetof(struct sockaddr_in6, sin6_scope_id) == offsetof(struct shoal_sockaddr_in6, sin6_scope_id),
               "sin6_scope_id");
_Static_assert(sizeof(struct ipv6_mreq) == sizeof(struct shoal_ipv6_mreq), "ipv6_mreq");
_Static_assert(sizeof(struct sockaddr_storage) == sizeof(struct shoal_sockaddr_storage), "sockaddr_storage");
_Static_assert(AF_INET6 == SHOAL_AF_INET6 && IPPROTO_IPV6 == SHOAL_IPPROTO_IPV6 && IPPROTO_ICMPV6 == SHOAL_IPPROTO_ICMPV6 &&
                   IPV6_V6ONLY == SHOAL_IPV6_V6ONLY && IPV6_UNICAST_HOPS == SHOAL_IPV6_UNICAST_HOPS &&
                   IPV6_MULTICAST_IF == SHOAL_IPV6_MULTICAST_IF && IPV6_MULTICAST_HOPS == SHOAL_IPV6_MULTICAST_HOPS &&
                   IPV6_MULTICAST_LOOP == SHOAL_IPV6_MULTICAST_LOOP && IPV6_JOIN_GROUP == SHOAL_IPV6_JOIN_GROUP &&
                   IPV6_LEAVE_GROUP == SHOAL_IPV6_LEAVE_GROUP && IPV6_CHECKSUM == SHOAL_IPV6_CHECKSUM &&
                   IPV6_TCLASS == SHOAL_IPV6_TCLASS && AI_V4MAPPED == SHOAL_AI_V4MAPPED,
               "IPv6 options");
_Static_assert(sizeof(struct pollfd) == sizeof(struct shoal_pollfd), "pollfd");
_Static_assert(sizeof(struct ip_mreq) == sizeof(struct shoal_ip_mreq), "ip_mreq");
_Static_assert(sizeof(struct timeval) == sizeof(struct shoal_timeval), "timeval");
_Static_assert(sizeof(struct addrinfo) == sizeof(struct shoal_addrinfo), "addrinfo");
_Static_assert(offsetof(struct addrinfo, ai_addr) == offsetof(struct shoal_addrinfo, ai_addr), "ai_addr");
_Static_assert(offsetof(struct addrinfo, ai_next) == offsetof(struct shoal_addrinfo, ai_next), "ai_next");
_Static_assert(AF_INET == SHOAL_AF_INET && SOCK_STREAM == SHOAL_SOCK_STREAM && SOCK_DGRAM == SHOAL_SOCK_DGRAM &&
                   SOCK_RAW == SHOAL_SOCK_RAW && SOCK_NONBLOCK == SHOAL_SOCK_NONBLOCK,
               "families and types");
_Static_assert(SOL_SOCKET == SHOAL_SOL_SOCKET && SO_REUSEADDR == SHOAL_SO_REUSEADDR && SO_ERROR == SHOAL_SO_ERROR &&
                   SO_BROADCAST == SHOAL_SO_BROADCAST && SO_RCVBUF == SHOAL_SO_RCVBUF &&
                   SO_SNDBUF == SHOAL_SO_SNDBUF && SO_KEEPALIVE == SHOAL_SO_KEEPALIVE &&
                   SO_RCVTIMEO == SHOAL_SO_RCVTIMEO && SO_SNDTIMEO == SHOAL_SO_SNDTIMEO && SO_TYPE == SHOAL_SO_TYPE,
               "socket options");
_Static_assert(IPPROTO_TCP == SHOAL_IPPROTO_TCP && IP_TTL == SHOAL_IP_TTL && IP_MULTICAST_TTL == SHOAL_IP_MULTICAST_TTL &&
                   IP_ADD_MEMBERSHIP == SHOAL_IP_ADD_MEMBERSHIP && IP_DROP_MEMBERSHIP == SHOAL_IP_DROP_MEMBERSHIP &&
                   TCP_NODELAY == SHOAL_TCPOPT_NODELAY && TCP_KEEPIDLE == SHOAL_TCPOPT_KEEPIDLE &&
                   TCP_KEEPINTVL == SHOAL_TCPOPT_KEEPINTVL && TCP_KEEPCNT == SHOAL_TCPOPT_KEEPCNT,
               "IP and TCP options");
_Static_assert(EAGAIN == SHOAL_EAGAIN && ECONNREFUSED == SHOAL_ECONNREFUSED && ECONNRESET == SHOAL_ECONNRESET &&
                   ENOTCONN == SHOAL_ENOTCONN && EADDRINUSE == SHOAL_EADDRINUSE && EINPROGRESS == SHOAL_EINPROGRESS &&
                   ETIMEDOUT == SHOAL_ETIMEDOUT && EPIPE == SHOAL_EPIPE && EMSGSIZE == SHOAL_EMSGSIZE &&
                   ENOBUFS == SHOAL_ENOBUFS && EACCES == SHOAL_EACCES && EBADF == SHOAL_EBADF,
               "errno values");
_Static_assert(POLLIN == SHOAL_POLLIN && POLLOUT == SHOAL_POLLOUT && POLLERR == SHOAL_POLLERR &&
                   POLLHUP == SHOAL_POLLHUP && POLLNVAL == SHOAL_POLLNVAL,
               "poll bits");
_Static_assert(O_NONBLOCK == SHOAL_O_NONBLOCK && F_GETFL == SHOAL_F_GETFL && F_SETFL == SHOAL_F_SETFL &&
                   MSG_DONTWAIT == SHOAL_MSG_DONTWAIT && MSG_PEEK == SHOAL_MSG_PEEK && MSG_WAITALL == SHOAL_MSG_WAITALL,
               "flags");
_Static_assert(EAI_NONAME == SHOAL_EAI_NONAME && EAI_AGAIN == SHOAL_EAI_AGAIN && EAI_FAIL == SHOAL_EAI_FAIL &&
                   EAI_SERVICE == SHOAL_EAI_SERVICE && EAI_FAMILY == SHOAL_EAI_FAMILY,
               "getaddrinfo codes");

/* ---- helpers ---- */

#define SEND_RETRY_NS 10000000ull /* 10 ms */

static int fail(int neg_errno)
{
    errno = -neg_errno;
    return -1;
}

/* The current task's stack and the stack-level descriptor for fd. */
static bool resolve(int fd, struct stack **s, int *sfd)
{
    *s = task_stack();
    *sfd = fd - SHOAL_POSIX_FD_BASE;
    return *s != NULL && *sfd >= 0 && *sfd < SHOAL_SOCKET_COUNT;
}

static bool is_socket_fd(int fd) { return fd >= SHOAL_POSIX_FD_BASE && fd < SHOAL_POSIX_FD_BASE + SHOAL_SOCKET_COUNT; }

static void kick(void)
{
    struct sim_node *n = task_node();
    if (n != NULL) sim_node_kick(n);
}

/* Absolute deadline from SO_RCVTIMEO / SO_SNDTIMEO (0 there: none). */
static uint64_t io_deadline(struct stack *s, int sfd, bool sending)
{
    struct shoal_timeval tv;
    shoal_socklen_t len = sizeof(tv);
    if (sock_getsockopt(s, sfd, SHOAL_SOL_SOCKET, sending ? SHOAL_SO_SNDTIMEO : SHOAL_SO_RCVTIMEO, &tv, &len) != 0)
        return UINT64_MAX;
    uint64_t ns = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
    return ns == 0 ? UINT64_MAX : task_now_ns() + ns;
}

static bool may_block(struct stack *s, int sfd, int flags)
{
    return !(flags & MSG_DONTWAIT) && !sock_is_nonblocking(s, sfd);
}

static uint64_t timeout_ms_deadline(int timeout_ms)
{
    if (timeout_ms < 0) return UINT64_MAX;
    return task_now_ns() + (uint64_t)timeout_ms * 1000000ull;
}

/* ---- sockets ---- */

int shoal_posix_socket(int domain, int type, int protocol)
{
    struct stack *s = task_stack();
    if (s == NULL) return fail(-EPERM);
    int r = sock_socket(s, domain, type, protocol);
    kick();
    return r < 0 ? fail(r) : r + SHOAL_POSIX_FD_BASE;
}

int shoal_posix_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_bind(s, sfd, (const struct shoal_sockaddr *)addr, len);
    kick();
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_listen(int fd, int backlog)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_listen(s, sfd, backlog);
    kick();
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    uint64_t deadline = io_deadline(s, sfd, false);
    for (;;) {
        int r = sock_accept(s, sfd, (struct shoal_sockaddr *)addr, len);
        kick();
        if (r >= 0) {
            if (flags & SOCK_NONBLOCK) sock_fcntl(s, r, SHOAL_F_SETFL, SHOAL_O_NONBLOCK);
            return r + SHOAL_POSIX_FD_BASE;
        }
        if (r != -EAGAIN || !may_block(s, sfd, 0)) return fail(r);
        if (!task_wait_io(deadline)) return fail(-EAGAIN);
    }
}

int shoal_posix_accept(int fd, struct sockaddr *addr, socklen_t *len) { return shoal_posix_accept4(fd, addr, len, 0); }

int shoal_posix_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_connect(s, sfd, (const struct shoal_sockaddr *)addr, len);
    kick();
    if (r != -EINPROGRESS) return r < 0 ? fail(r) : 0;
    if (!may_block(s, sfd, 0)) return fail(r);
    /* Blocking connect: wait for the handshake's outcome (POLLOUT), then
     * report it as SO_ERROR holds it. */
    uint64_t deadline = io_deadline(s, sfd, true);
    for (;;) {
        struct shoal_pollfd pf = {sfd, SHOAL_POLLOUT, 0};
        sock_poll(s, &pf, 1);
        if (pf.revents != 0) break;
        if (!task_wait_io(deadline)) return fail(-EINPROGRESS);
    }
    int err = 0;
    shoal_socklen_t elen = sizeof(err);
    sock_getsockopt(s, sfd, SHOAL_SOL_SOCKET, SHOAL_SO_ERROR, &err, &elen);
    kick();
    return err != 0 ? fail(-err) : 0;
}

ssize_t shoal_posix_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    uint64_t deadline = io_deadline(s, sfd, true);
    size_t done = 0;
    for (;;) {
        long r = sock_sendto(s, sfd, (const uint8_t *)buf + done, len - done, flags,
                             (const struct shoal_sockaddr *)to, tolen);
        kick();
        if (r >= 0) {
            done += (size_t)r;
            /* A blocking stream send takes everything (POSIX); datagrams go whole. */
            if (done >= len || !may_block(s, sfd, flags)) return (ssize_t)done;
            int type = 0;
            shoal_socklen_t tl = sizeof(type);
            sock_getsockopt(s, sfd, SHOAL_SOL_SOCKET, SHOAL_SO_TYPE, &type, &tl);
            if (type != SOCK_STREAM) return (ssize_t)done;
            continue;
        }
        if (done > 0 && r != -EAGAIN) return (ssize_t)done;
        if (r != -EAGAIN || !may_block(s, sfd, flags)) return done > 0 ? (ssize_t)done : fail((int)r);
        /* Writable yet refused: the pools are short, and no acknowledgment
         * of ours may come to wake us; look again a little later. */
        uint64_t wait_until = deadline;
        struct shoal_pollfd pf = {sfd, SHOAL_POLLOUT, 0};
        if (sock_poll(s, &pf, 1) > 0 && (pf.revents & SHOAL_POLLOUT)) {
            uint64_t soon = task_now_ns() + SEND_RETRY_NS;
            if (soon < wait_until) wait_until = soon;
        }
        if (!task_wait_io(wait_until) && wait_until == deadline) return done > 0 ? (ssize_t)done : fail(-EAGAIN);
    }
}

ssize_t shoal_posix_send(int fd, const void *buf, size_t len, int flags)
{
    return shoal_posix_sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t shoal_posix_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    uint64_t deadline = io_deadline(s, sfd, false);
    size_t got = 0;
    int sflags = flags & ~(MSG_WAITALL | MSG_DONTWAIT);
    for (;;) {
        long r = sock_recvfrom(s, sfd, (uint8_t *)buf + got, len - got, sflags, (struct shoal_sockaddr *)from,
                               fromlen);
        kick();
        if (r > 0) {
            got += (size_t)r;
            /* MSG_WAITALL: a stream read waits for the whole length (or EOF). */
            if (!(flags & MSG_WAITALL) || got >= len || (flags & MSG_PEEK)) return (ssize_t)got;
            continue;
        }
        if (r == 0) return (ssize_t)got;
        if (got > 0 && r != -EAGAIN) return (ssize_t)got;
        if (r != -EAGAIN || !may_block(s, sfd, flags)) return got > 0 ? (ssize_t)got : fail((int)r);
        if (!task_wait_io(deadline)) return got > 0 ? (ssize_t)got : fail(-EAGAIN);
    }
}

ssize_t shoal_posix_recv(int fd, void *buf, size_t len, int flags)
{
    return shoal_posix_recvfrom(fd, buf, len, flags, NULL, NULL);
}

ssize_t shoal_posix_read(int fd, void *buf, size_t len)
{
    if (!is_socket_fd(fd)) return read(fd, buf, len);
    return shoal_posix_recvfrom(fd, buf, len, 0, NULL, NULL);
}

ssize_t shoal_posix_write(int fd, const void *buf, size_t len)
{
    if (!is_socket_fd(fd)) return write(fd, buf, len);
    return shoal_posix_sendto(fd, buf, len, 0, NULL, 0);
}

int shoal_posix_close(int fd)
{
    if (!is_socket_fd(fd)) return close(fd);
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_close(s, sfd);
    kick();
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_shutdown(int fd, int how)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_shutdown(s, sfd, how);
    kick();
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_setsockopt(s, sfd, level, name, val, len);
    kick();
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_getsockopt(s, sfd, level, name, val, len);
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_getsockname(s, sfd, (struct shoal_sockaddr *)addr, len);
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_getpeername(s, sfd, (struct shoal_sockaddr *)addr, len);
    return r < 0 ? fail(r) : 0;
}

int shoal_posix_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    int val = (cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD) ? va_arg(ap, int) : 0;
    va_end(ap);
    if (!is_socket_fd(fd)) return fcntl(fd, cmd, val);
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    if (cmd == F_GETFD || cmd == F_SETFD) return 0; /* FD_CLOEXEC means nothing here */
    int r = sock_fcntl(s, sfd, cmd, val);
    return r < 0 ? fail(r) : r;
}

int shoal_posix_ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *argp = va_arg(ap, void *);
    va_end(ap);
    if (!is_socket_fd(fd)) return ioctl(fd, req, argp);
    struct stack *s;
    int sfd;
    if (!resolve(fd, &s, &sfd)) return fail(-EBADF);
    int r = sock_ioctl(s, sfd, req, argp);
    return r < 0 ? fail(r) : r;
}

/* ---- readiness ---- */

int shoal_posix_poll(struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
    struct stack *s = task_stack();
    if (s == NULL) return fail(-EPERM);
    if (fds == NULL && nfds > 0) return fail(-EFAULT);
    struct shoal_pollfd *sp = calloc(nfds ? nfds : 1, sizeof(*sp));
    if (sp == NULL) return fail(-ENOMEM);
    uint64_t deadline = timeout_ms_deadline(timeout_ms);
    int n;
    for (;;) {
        for (nfds_t i = 0; i < nfds; i++) {
            /* Descriptors that are not sockets read as invalid (POLLNVAL). */
            sp[i].fd = fds[i].fd < 0 ? -1 : is_socket_fd(fds[i].fd) ? fds[i].fd - SHOAL_POSIX_FD_BASE : SHOAL_SOCKET_COUNT;
            sp[i].events = fds[i].events;
        }
        n = sock_poll(s, sp, nfds);
        if (n != 0 || timeout_ms == 0) break;
        if (!task_wait_io(deadline)) {
            n = sock_poll(s, sp, nfds);
            break;
        }
    }
    for (nfds_t i = 0; i < nfds; i++) fds[i].revents = sp[i].revents;
    free(sp);
    return n < 0 ? fail(n) : n;
}

static int to_shoal_set(int nfds, const fd_set *in, shoal_fd_set *out)
{
    shoal_fd_zero(out);
    if (in == NULL) return 0;
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++) {
        if (!FD_ISSET(fd, in)) continue;
        if (!is_socket_fd(fd)) return -EBADF;
        shoal_fd_set_bit(fd - SHOAL_POSIX_FD_BASE, out);
    }
    return 0;
}

static void from_shoal_set(int nfds, const shoal_fd_set *in, fd_set *out)
{
    if (out == NULL) return;
    FD_ZERO(out);
    for (int sfd = 0; sfd < SHOAL_SOCKET_COUNT && sfd + SHOAL_POSIX_FD_BASE < nfds; sfd++)
        if (shoal_fd_isset(sfd, in)) FD_SET(sfd + SHOAL_POSIX_FD_BASE, out);
}

int shoal_posix_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout)
{
    struct stack *s = task_stack();
    if (s == NULL) return fail(-EPERM);
    if (nfds < 0 || nfds > FD_SETSIZE) return fail(-EINVAL);
    shoal_fd_set sr, sw, se;
    int rc;
    if ((rc = to_shoal_set(nfds, r, &sr)) < 0 || (rc = to_shoal_set(nfds, w, &sw)) < 0 ||
        (rc = to_shoal_set(nfds, e, &se)) < 0)
        return fail(rc);
    uint64_t deadline = UINT64_MAX;
    bool poll_only = false;
    if (timeout != NULL) {
        if (timeout->tv_sec < 0 || timeout->tv_usec < 0) return fail(-EINVAL);
        uint64_t ns = (uint64_t)timeout->tv_sec * 1000000000ull + (uint64_t)timeout->tv_usec * 1000ull;
        poll_only = ns == 0;
        deadline = task_now_ns() + ns;
    }
    int snfds = nfds - SHOAL_POSIX_FD_BASE;
    if (snfds < 0) snfds = 0;
    for (;;) {
        shoal_fd_set tr = sr, tw = sw, te = se;
        int n = sock_select(s, snfds, &tr, &tw, &te);
        bool timed_out = false;
        if (n == 0 && !poll_only) timed_out = !task_wait_io(deadline);
        if (n != 0 || poll_only || timed_out) {
            if (n == 0 && timed_out) {
                tr = sr, tw = sw, te = se;
                n = sock_select(s, snfds, &tr, &tw, &te);
            }
            if (n < 0) return fail(n);
            from_shoal_set(nfds, &tr, r);
            from_shoal_set(nfds, &tw, w);
            from_shoal_set(nfds, &te, e);
            return n;
        }
    }
}

/* ---- names ---- */

static void cancel_lookup(void *arg)
{
    struct shoal_addrinfo_result *res = arg;
    sock_getaddrinfo_cancel(res->stack, res);
    free(res);
}

int shoal_posix_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                            struct addrinfo **res)
{
    struct stack *s = task_stack();
    if (s == NULL) return EAI_SYSTEM;
    if (res == NULL) return EAI_FAIL;
    *res = NULL;
    struct shoal_addrinfo_result *r = calloc(1, sizeof(*r));
    if (r == NULL) return EAI_MEMORY;
    int rc;
    for (;;) {
        rc = sock_getaddrinfo(s, node, service, (const struct shoal_addrinfo *)hints, r);
        kick();
        if (rc != SHOAL_EAI_INPROGRESS) break;
        /* The resolver's own retries bound the wait. */
        task_set_cleanup(cancel_lookup, r);
        task_wait_io(UINT64_MAX);
        task_set_cleanup(NULL, NULL);
    }
    if (rc != 0) {
        free(r);
        return rc;
    }
    struct addrinfo *head = NULL, **tail = &head;
    for (uint8_t i = 0; i < r->count; i++) {
        /* One allocation per entry, the address right behind it. */
        struct addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in6));
        if (ai == NULL) {
            shoal_posix_freeaddrinfo(head);
            free(r);
            return EAI_MEMORY;
        }
        const struct shoal_addrinfo *src = &r->ai[i];
        ai->ai_flags = src->ai_flags;
        ai->ai_family = src->ai_family;
        ai->ai_socktype = src->ai_socktype;
        ai->ai_protocol = src->ai_protocol;
        ai->ai_addrlen = src->ai_addrlen; /* a sockaddr_in or a sockaddr_in6 */
        ai->ai_addr = (struct sockaddr *)(ai + 1);
        memcpy(ai->ai_addr, &r->sa[i], src->ai_addrlen);
        *tail = ai;
        tail = &ai->ai_next;
    }
    free(r);
    *res = head;
    return 0;
}

void shoal_posix_freeaddrinfo(struct addrinfo *res)
{
    while (res != NULL) {
        struct addrinfo *next = res->ai_next;
        free(res);
        res = next;
    }
}

/* ---- the virtual clock ---- */

unsigned int shoal_posix_sleep(unsigned int seconds)
{
    if (task_self() == NULL) return sleep(seconds);
    task_sleep_ns((uint64_t)seconds * 1000000000ull);
    return 0;
}

int shoal_posix_usleep(useconds_t usec)
{
    if (task_self() == NULL) return usleep(usec);
    task_sleep_ns((uint64_t)usec * 1000ull);
    return 0;
}

int shoal_posix_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (task_self() == NULL) return nanosleep(req, rem);
    if (req == NULL) return fail(-EFAULT);
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L) return fail(-EINVAL);
    task_sleep_ns((uint64_t)req->tv_sec * 1000000000ull + (uint64_t)req->tv_nsec);
    if (rem != NULL) rem->tv_sec = 0, rem->tv_nsec = 0;
    return 0;
}

int shoal_posix_clock_gettime(clockid_t clk, struct timespec *ts)
{
    /* Outside a task no simulation is running, so there is no clock to read;
     * simcore never reads the wall clock (determinism). */
    (void)clk;
    if (task_self() == NULL) return fail(-EPERM);
    if (ts == NULL) return fail(-EFAULT);
    /* Every clock reads the virtual one (the epoch is the simulation's start). */
    uint64_t now = task_now_ns();
    ts->tv_sec = (time_t)(now / 1000000000ull);
    ts->tv_nsec = (long)(now % 1000000000ull);
    return 0;
}

int shoal_posix_gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    if (task_self() == NULL) return fail(-EPERM); /* as shoal_posix_clock_gettime */
    if (tv == NULL) return fail(-EFAULT);
    uint64_t now = task_now_ns();
    tv->tv_sec = (time_t)(now / 1000000000ull);
    tv->tv_usec = (suseconds_t)(now % 1000000000ull / 1000ull);
    return 0;
}
