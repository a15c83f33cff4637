/*
 * BSD-like sockets: the table, descriptors, errno mapping and the calls that
 * dispatch to TCP (sockets_tcp.c) or datagrams (sockets_udp.c). Options are
 * in sockopt.c, readiness in poll.c, name lookup in getaddrinfo.c.
 */
#include <string.h>

#include "api/sockets_priv.h"
#include "shoal/ip4.h"
#include "shoal/ip6.h"
#include "shoal/netif.h"
#include "shoal/opt.h"
#include "shoal/pbuf.h"

/* ---- the table ---- */

void sockets_init(struct stack *s, struct socket_table *mem)
{
    if (s == NULL || mem == NULL) return;
    if (s->sockets != NULL && s->sockets != mem) sockets_deinit(s);
    memset(mem, 0, sizeof(*mem));
    mem->stack = s;
    for (size_t i = 0; i < SHOAL_SOCKET_COUNT; i++) mem->socks[i].table = mem;
    s->sockets = mem;
}

void sockets_deinit(struct stack *s)
{
    struct socket_table *t = sockets_table(s);
    if (t == NULL) return;
    t->wakeup = NULL;
    /* Listeners first: they release the connections they hold. */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < SHOAL_SOCKET_COUNT; i++) {
            struct sock *k = &t->socks[i];
            if (k->kind == SOCK_KIND_FREE || k->pending_accept) continue;
            if (pass == 0 && !(k->kind == SOCK_KIND_TCP && k->phase == SOCK_TCP_LISTEN)) continue;
            sock_close(s, i);
        }
    s->sockets = NULL;
}

struct socket_table *sockets_get(struct stack *s) { return sockets_table(s); }

void sockets_set_wakeup(struct stack *s, sockets_wakeup_fn fn, void *arg)
{
    struct socket_table *t = sockets_table(s);
    if (t == NULL) return;
    t->wakeup = fn;
    t->wakeup_arg = arg;
}

void sock_notify(struct socket_table *t)
{
    if (t != NULL && t->wakeup != NULL) t->wakeup(t->wakeup_arg);
}

struct sock *sock_lookup(struct stack *s, int fd)
{
    struct socket_table *t = sockets_table(s);
    if (t == NULL || fd < 0 || fd >= SHOAL_SOCKET_COUNT) return NULL;
    struct sock *k = &t->socks[fd];
    if (k->kind == SOCK_KIND_FREE || k->pending_accept) return NULL;
    return k;
}

struct sock *sock_alloc(struct socket_table *t)
{
    for (int i = 0; i < SHOAL_SOCKET_COUNT; i++) {
        struct sock *k = &t->socks[i];
        if (k->kind != SOCK_KIND_FREE) continue;
        memset(k, 0, sizeof(*k));
        k->table = t;
        k->listener = -1;
        k->ttl = t->stack->cfg.ip_default_ttl;
        k->mcast_ttl = 1; /* RFC 1112 6.1 */
        k->mcast_hops6 = 1; /* RFC 3493 5.2 */
        k->family = SHOAL_AF_INET;
        k->rcvbuf = SHOAL_SOCK_DGRAM_RCVBUF;
        k->sndbuf = t->stack->cfg.tcp_snd_buf;
        return k;
    }
    return NULL;
}

void sock_release(struct sock *k)
{
    pbuf_free(k->rx);
    k->rx = NULL;
    while (k->dq_count > 0) {
        pbuf_free(k->dq[k->dq_head].p);
        k->dq_head = (uint8_t)((k->dq_head + 1u) % SHOAL_SOCK_DGRAM_QLEN);
        k->dq_count--;
    }
    struct socket_table *t = k->table;
    memset(k, 0, sizeof(*k));
    k->table = t;
    k->kind = SOCK_KIND_FREE;
}

int sock_take_error(struct sock *k)
{
    int e = k->pending_err;
    k->pending_err = 0;
    return e;
}

/* ---- errors ---- */

int sock_errno_from_err(err_t err)
{
    switch (err) {
    case ERR_OK: return 0;
    case ERR_MEM: return -SHOAL_ENOBUFS;
    case ERR_BUF: return -SHOAL_ENOBUFS;
    case ERR_TIMEOUT: return -SHOAL_ETIMEDOUT;
    case ERR_RTE: return -SHOAL_ENETUNREACH;
    case ERR_INPROGRESS: return -SHOAL_EINPROGRESS;
    case ERR_VAL: return -SHOAL_EINVAL;
    case ERR_WOULDBLOCK: return -SHOAL_EWOULDBLOCK;
    case ERR_USE: return -SHOAL_EADDRINUSE;
    case ERR_ALREADY: return -SHOAL_EALREADY;
    case ERR_ISCONN: return -SHOAL_EISCONN;
    case ERR_CONN: return -SHOAL_ENOTCONN;
    case ERR_IF: return -SHOAL_EIO;
    case ERR_ABRT: return -SHOAL_ECONNABORTED;
    case ERR_RST: return -SHOAL_ECONNRESET;
    case ERR_CLSD: return -SHOAL_ENOTCONN;
    case ERR_ARG: return -SHOAL_EINVAL;
    }
    return -SHOAL_EIO;
}

/* ---- addresses ---- */

/* RFC 4007 6: a scoped address means nothing without its zone. Without a
 * sin6_scope_id a stack with a single interface has only one choice; with
 * several the application must say (Linux: EINVAL). */
static int sock_scope(struct stack *s, ip6_addr_t *a, uint32_t scope_id)
{
    if (!ip6_addr_has_scope(a)) {
        a->zone = 0;
        return 0;
    }
    if (scope_id != 0) {
        if (scope_id > 255 || netif_find_by_index(s, (uint8_t)scope_id) == NULL) return -SHOAL_ENODEV;
        a->zone = (uint8_t)scope_id;
        return 0;
    }
    struct netif *only = NULL;
    for (struct netif *n = netif_list(s); n != NULL; n = n->next) {
        if (only != NULL) return -SHOAL_EINVAL;
        only = n;
    }
    if (only == NULL) return -SHOAL_ENETUNREACH;
    a->zone = only->index;
    return 0;
}

int sock_addr_in(const struct sock *k, const struct shoal_sockaddr *addr, shoal_socklen_t len, enum sock_addr_use use,
                 ip_addr_t *ip, uint16_t *port)
{
    if (addr == NULL) return -SHOAL_EFAULT;
    if (k->family == SHOAL_AF_INET) {
        if (len < sizeof(struct shoal_sockaddr_in)) return -SHOAL_EINVAL;
        struct shoal_sockaddr_in sin;
        memcpy(&sin, addr, sizeof(sin)); /* the caller's buffer may be unaligned */
        if (sin.sin_family != SHOAL_AF_INET) return -SHOAL_EAFNOSUPPORT;
        *ip = ip_addr_from_ip4((ip4_addr_t){sin.sin_addr.s_addr});
        *port = shoal_ntohs(sin.sin_port);
        return 0;
    }
    /* RFC 3493 3.3: sockaddr_in6; the RFC 2133 form (no scope id) too. */
    if (len < SHOAL_SIN6_LEN_MIN) return -SHOAL_EINVAL;
    struct shoal_sockaddr_in6 sin6;
    memset(&sin6, 0, sizeof(sin6));
    memcpy(&sin6, addr, len < sizeof(sin6) ? len : sizeof(sin6));
    if (sin6.sin6_family != SHOAL_AF_INET6) return -SHOAL_EAFNOSUPPORT;
    *port = shoal_ntohs(sin6.sin6_port);
    ip6_addr_t a6;
    ip6_addr_from_bytes(&a6, sin6.sin6_addr.s6_bytes);
    if (ip6_addr_is_v4mapped(&a6)) {
        /* RFC 3493 3.7: an IPv4 peer as ::ffff:a.b.c.d goes over IPv4;
         * 5.3: a V6ONLY socket has none (Linux: EINVAL to bind, ENETUNREACH
         * to reach). */
        if (k->v6only) return use == SOCK_ADDR_BIND ? -SHOAL_EINVAL : -SHOAL_ENETUNREACH;
        ip4_addr_t a4;
        memcpy(&a4.addr, sin6.sin6_addr.s6_bytes + 12, 4);
        *ip = ip_addr_from_ip4(a4);
        return 0;
    }
    if (ip6_addr_is_any(&a6)) {
        *ip = use == SOCK_ADDR_BIND ? sock_wildcard(k) : ip_addr_from_ip6(&a6);
        return 0;
    }
    int rc = sock_scope(k->table->stack, &a6, sin6.sin6_scope_id);
    if (rc < 0) return rc;
    *ip = ip_addr_from_ip6(&a6);
    return 0;
}

void sock_addr_out(const struct sock *k, const ip_addr_t *ip, uint16_t port, struct shoal_sockaddr *addr,
                   shoal_socklen_t *len)
{
    if (addr == NULL || len == NULL) return;
    union {
        struct shoal_sockaddr_in sin;
        struct shoal_sockaddr_in6 sin6;
    } u;
    size_t size;
    memset(&u, 0, sizeof(u));
    if (k->family == SHOAL_AF_INET) {
        u.sin.sin_family = SHOAL_AF_INET;
        u.sin.sin_port = shoal_htons(port);
        u.sin.sin_addr.s_addr = sock_ip4_of(ip).addr;
        size = sizeof(u.sin);
    } else {
        u.sin6.sin6_family = SHOAL_AF_INET6;
        u.sin6.sin6_port = shoal_htons(port);
        if (ip->type == IPADDR_TYPE_V4) {
            /* RFC 4291 2.5.5.2: ::ffff:a.b.c.d (the wildcard stays ::) */
            if (ip->u_addr.ip4.addr != 0) {
                u.sin6.sin6_addr.s6_bytes[10] = 0xff;
                u.sin6.sin6_addr.s6_bytes[11] = 0xff;
                memcpy(u.sin6.sin6_addr.s6_bytes + 12, &ip->u_addr.ip4.addr, 4);
            }
        } else if (ip->type == IPADDR_TYPE_V6) {
            ip6_addr_to_bytes(&ip->u_addr.ip6, u.sin6.sin6_addr.s6_bytes);
            if (ip6_addr_has_scope(&ip->u_addr.ip6)) u.sin6.sin6_scope_id = ip->u_addr.ip6.zone;
        }
        size = sizeof(u.sin6);
    }
    /* POSIX: truncated to the caller's room; *len says the full size. */
    size_t n = *len < size ? *len : size;
    memcpy(addr, &u, n);
    *len = (shoal_socklen_t)size;
}

ip_addr_t sock_wildcard(const struct sock *k)
{
    if (k->family == SHOAL_AF_INET) return ip_addr_any(IPADDR_TYPE_V4);
    /* Raw IPv6 sockets hear IPv6 only, as on Linux. */
    if (k->v6only || k->kind == SOCK_KIND_RAW) return ip_addr_any(IPADDR_TYPE_V6);
    return ip_addr_any(IPADDR_TYPE_ANY);
}

bool sock_ip_is_broadcast(struct stack *s, const ip_addr_t *dst)
{
    if (dst->type != IPADDR_TYPE_V4) return false;
    const ip4_addr_t *d = &dst->u_addr.ip4;
    if (ip4_addr_is_limited_broadcast(d)) return true;
    for (struct netif *n = netif_list(s); n != NULL; n = n->next)
        if (netif_is_ip4_broadcast(n, d)) return true;
    return false;
}

/* ---- the calls ---- */

int sock_socket(struct stack *s, int domain, int type, int protocol)
{
    struct socket_table *t = sockets_table(s);
    if (t == NULL) return -SHOAL_ENOBUFS;
    if (domain != SHOAL_AF_INET && (domain != SHOAL_AF_INET6 || !SHOAL_IPV6)) return -SHOAL_EAFNOSUPPORT;
    bool nonblock = (type & SHOAL_SOCK_NONBLOCK) != 0;
    type &= ~(SHOAL_SOCK_NONBLOCK | SHOAL_SOCK_CLOEXEC);
    uint8_t kind;
    switch (type) {
    case SHOAL_SOCK_STREAM:
        if (protocol != 0 && protocol != SHOAL_IPPROTO_TCP) return -SHOAL_EPROTONOSUPPORT;
        kind = SOCK_KIND_TCP;
        protocol = SHOAL_IPPROTO_TCP;
        break;
    case SHOAL_SOCK_DGRAM:
        if (protocol != 0 && protocol != SHOAL_IPPROTO_UDP && protocol != SHOAL_IPPROTO_UDPLITE)
            return -SHOAL_EPROTONOSUPPORT;
        kind = SOCK_KIND_UDP;
        if (protocol == 0) protocol = SHOAL_IPPROTO_UDP;
        break;
    case SHOAL_SOCK_RAW:
        /* IPPROTO_RAW (send-only with IP_HDRINCL on Linux) is not offered. */
        if (protocol <= 0 || protocol >= SHOAL_IPPROTO_RAW) return -SHOAL_EPROTONOSUPPORT;
        /* ICMPv6 is IPv6's, ICMP IPv4's. */
        if ((domain == SHOAL_AF_INET6) != (protocol == SHOAL_IPPROTO_ICMPV6) &&
            (protocol == SHOAL_IPPROTO_ICMPV6 || protocol == SHOAL_IPPROTO_ICMP))
            return -SHOAL_EPROTONOSUPPORT;
        kind = SOCK_KIND_RAW;
        break;
    default: return -SHOAL_ESOCKTNOSUPPORT;
    }
    struct sock *k = sock_alloc(t);
    if (k == NULL) return -SHOAL_EMFILE;
    k->kind = kind;
    k->proto = (uint8_t)protocol;
    k->family = (uint8_t)domain;
    if (nonblock) k->flags |= SOCKF_NONBLOCK;
    int rc = kind == SOCK_KIND_TCP ? sock_tcp_open(k) : sock_dgram_open(k);
    if (rc < 0) {
        sock_release(k);
        return rc;
    }
    return sock_index(t, k);
}

int sock_bind(struct stack *s, int fd, const struct shoal_sockaddr *addr, shoal_socklen_t addrlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    ip_addr_t ip;
    uint16_t port;
    int rc = sock_addr_in(k, addr, addrlen, SOCK_ADDR_BIND, &ip, &port);
    if (rc < 0) return rc;
    if (k->flags & SOCKF_BOUND) return -SHOAL_EINVAL; /* POSIX: already bound */
    /* Only our own addresses (or multicast groups, for datagrams). */
    bool local;
    if (ip_addr_is_any(&ip))
        local = true;
    else if (ip.type == IPADDR_TYPE_V4)
        local = ip4_is_local_addr(s, &ip.u_addr.ip4);
    else
        local = SHOAL_IPV6 && ip6_is_local_addr(s, &ip.u_addr.ip6);
    if (!local && !(k->kind != SOCK_KIND_TCP && (ip_addr_is_multicast(&ip) || sock_ip_is_broadcast(s, &ip))))
        return -SHOAL_EADDRNOTAVAIL;
    rc = k->kind == SOCK_KIND_TCP ? sock_tcp_bind(k, &ip, port) : sock_dgram_bind(k, &ip, port);
    if (rc == 0) k->flags |= SOCKF_BOUND;
    return rc;
}

int sock_listen(struct stack *s, int fd, int backlog)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (k->kind != SOCK_KIND_TCP) return -SHOAL_EOPNOTSUPP;
    return sock_tcp_listen(k, backlog);
}

int sock_accept(struct stack *s, int fd, struct shoal_sockaddr *addr, shoal_socklen_t *addrlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (k->kind != SOCK_KIND_TCP) return -SHOAL_EOPNOTSUPP;
    if (k->phase != SOCK_TCP_LISTEN) return -SHOAL_EINVAL;
    int nfd = sock_tcp_accept(k->table, k);
    if (nfd >= 0 && addr != NULL && addrlen != NULL) {
        struct sock *c = &k->table->socks[nfd];
        sock_addr_out(c, &c->remote_ip, c->remote_port, addr, addrlen);
    }
    return nfd;
}

int sock_connect(struct stack *s, int fd, const struct shoal_sockaddr *addr, shoal_socklen_t addrlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (k->kind != SOCK_KIND_TCP) return sock_dgram_connect(k, addr, addrlen);
    ip_addr_t ip;
    uint16_t port;
    int rc = sock_addr_in(k, addr, addrlen, SOCK_ADDR_PEER, &ip, &port);
    if (rc < 0) return rc;
    return sock_tcp_connect(k, &ip, port);
}

long sock_sendto(struct stack *s, int fd, const void *buf, size_t len, int flags, const struct shoal_sockaddr *to,
                 shoal_socklen_t tolen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (buf == NULL && len > 0) return -SHOAL_EFAULT;
    if (k->kind == SOCK_KIND_TCP) return sock_tcp_send(k, buf, len, flags); /* POSIX: address ignored */
    if (k->flags & SOCKF_SHUT_WR) return -SHOAL_EPIPE;
    return sock_dgram_sendto(k, buf, len, to, tolen);
}

long sock_send(struct stack *s, int fd, const void *buf, size_t len, int flags)
{
    return sock_sendto(s, fd, buf, len, flags, NULL, 0);
}

long sock_recvfrom(struct stack *s, int fd, void *buf, size_t len, int flags, struct shoal_sockaddr *from,
                   shoal_socklen_t *fromlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (buf == NULL && len > 0) return -SHOAL_EFAULT;
    if (k->kind == SOCK_KIND_TCP) {
        long n = sock_tcp_recv(k, buf, len, flags);
        if (n > 0 && from != NULL && fromlen != NULL) sock_addr_out(k, &k->remote_ip, k->remote_port, from, fromlen);
        return n;
    }
    return sock_dgram_recvfrom(k, buf, len, flags, from, fromlen);
}

long sock_recv(struct stack *s, int fd, void *buf, size_t len, int flags)
{
    return sock_recvfrom(s, fd, buf, len, flags, NULL, NULL);
}

int sock_shutdown(struct stack *s, int fd, int how)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (how != SHOAL_SHUT_RD && how != SHOAL_SHUT_WR && how != SHOAL_SHUT_RDWR) return -SHOAL_EINVAL;
    int rc;
    if (k->kind == SOCK_KIND_TCP) {
        rc = sock_tcp_shutdown(k, how);
    } else {
        if (!(k->flags & SOCKF_CONNECTED)) return -SHOAL_ENOTCONN;
        if (how != SHOAL_SHUT_WR) k->flags |= SOCKF_SHUT_RD;
        if (how != SHOAL_SHUT_RD) k->flags |= SOCKF_SHUT_WR;
        rc = 0;
    }
    sock_notify(k->table); /* readers blocked on this socket see the change */
    return rc;
}

int sock_close(struct stack *s, int fd)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    struct socket_table *t = k->table;
    if (k->kind == SOCK_KIND_TCP)
        sock_tcp_close(t, k);
    else
        sock_dgram_close(k);
    sock_release(k);
    sock_notify(t);
    return 0;
}

int sock_fcntl(struct stack *s, int fd, int cmd, int val)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    switch (cmd) {
    case SHOAL_F_GETFL: return SHOAL_O_RDWR | ((k->flags & SOCKF_NONBLOCK) ? SHOAL_O_NONBLOCK : 0);
    case SHOAL_F_SETFL:
        if (val & SHOAL_O_NONBLOCK)
            k->flags |= SOCKF_NONBLOCK;
        else
            k->flags &= (uint16_t)~SOCKF_NONBLOCK;
        return 0;
    default: return -SHOAL_EINVAL;
    }
}

int sock_ioctl(struct stack *s, int fd, unsigned long cmd, void *argp)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (argp == NULL) return -SHOAL_EFAULT;
    int v;
    switch (cmd) {
    case SHOAL_FIONREAD: {
        size_t n = k->kind == SOCK_KIND_TCP ? sock_tcp_readable(k) : sock_dgram_readable(k);
        v = n > 0x7fffffff ? 0x7fffffff : (int)n;
        memcpy(argp, &v, sizeof(v));
        return 0;
    }
    case SHOAL_FIONBIO:
        memcpy(&v, argp, sizeof(v));
        if (v)
            k->flags |= SOCKF_NONBLOCK;
        else
            k->flags &= (uint16_t)~SOCKF_NONBLOCK;
        return 0;
    default: return -SHOAL_EINVAL;
    }
}

bool sock_is_nonblocking(struct stack *s, int fd)
{
    struct sock *k = sock_lookup(s, fd);
    return k != NULL && (k->flags & SOCKF_NONBLOCK) != 0;
}

int sock_getsockname(struct stack *s, int fd, struct shoal_sockaddr *addr, shoal_socklen_t *addrlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (addr == NULL || addrlen == NULL) return -SHOAL_EFAULT;
    if (k->kind == SOCK_KIND_TCP) sock_tcp_pcb(k); /* refreshes the remembered addresses */
    sock_addr_out(k, &k->local_ip, k->local_port, addr, addrlen);
    return 0;
}

int sock_getpeername(struct stack *s, int fd, struct shoal_sockaddr *addr, shoal_socklen_t *addrlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (addr == NULL || addrlen == NULL) return -SHOAL_EFAULT;
    bool connected = k->kind == SOCK_KIND_TCP ? k->phase == SOCK_TCP_CONNECTED && !(k->flags & SOCKF_RESET)
                                               : (k->flags & SOCKF_CONNECTED) != 0;
    if (!connected) return -SHOAL_ENOTCONN;
    sock_addr_out(k, &k->remote_ip, k->remote_port, addr, addrlen);
    return 0;
}
