/* setsockopt / getsockopt: SOL_SOCKET, IPPROTO_IP and IPPROTO_TCP options. */
#include <string.h>

#include "api/sockets_priv.h"
#include "shoal/netif.h"
#include "shoal/opt.h"
#include "shoal/raw.h"
#include "shoal/tcp.h"
#include "shoal/udp.h"
#include "transport/tcp_priv.h"

static int get_int(const void *optval, shoal_socklen_t optlen, int *out)
{
    if (optval == NULL) return -SHOAL_EFAULT;
    if (optlen >= sizeof(int)) {
        memcpy(out, optval, sizeof(int));
        return 0;
    }
    /* Linux takes a single byte for the IP_* byte options too. */
    if (optlen == 1) {
        *out = *(const uint8_t *)optval;
        return 0;
    }
    return -SHOAL_EINVAL;
}

static int put_bytes(void *optval, shoal_socklen_t *optlen, const void *v, size_t n)
{
    if (optval == NULL || optlen == NULL) return -SHOAL_EFAULT;
    size_t m = *optlen < n ? *optlen : n;
    memcpy(optval, v, m);
    *optlen = (shoal_socklen_t)m;
    return 0;
}

static int put_int(void *optval, shoal_socklen_t *optlen, int v) { return put_bytes(optval, optlen, &v, sizeof(v)); }

static void set_flag(struct sock *k, uint16_t flag, int on)
{
    if (on)
        k->flags |= flag;
    else
        k->flags &= (uint16_t)~flag;
}

static uint32_t timeval_ms(const struct shoal_timeval *tv)
{
    if (tv->tv_sec < 0 || tv->tv_usec < 0) return 0;
    uint64_t ms = (uint64_t)tv->tv_sec * 1000u + (uint64_t)tv->tv_usec / 1000u;
    /* A timeout under a millisecond still times out. */
    if (ms == 0 && tv->tv_usec > 0) ms = 1;
    return ms > 0xffffffffu ? 0xffffffffu : (uint32_t)ms;
}

static void apply_ip(struct sock *k)
{
    if (k->kind == SOCK_KIND_UDP) {
        struct udp_pcb *u = k->pcb.udp;
        u->ttl = k->ttl;
        u->tos = k->tos;
        u->mcast_ttl = k->mcast_ttl;
        if (k->flags & SOCKF_BROADCAST)
            u->flags |= UDP_FLAGS_BROADCAST;
        else
            u->flags &= (uint8_t)~UDP_FLAGS_BROADCAST;
    } else if (k->kind == SOCK_KIND_RAW) {
        k->pcb.raw->ttl = k->ttl;
        k->pcb.raw->tos = k->tos;
    }
    /* TCP PCBs take the instance's TTL: IP_TTL is remembered, not applied. */
}

static int set_socket_level(struct sock *k, int optname, const void *optval, shoal_socklen_t optlen)
{
    int v = 0;
    int rc;
    switch (optname) {
    case SHOAL_SO_RCVTIMEO:
    case SHOAL_SO_SNDTIMEO: {
        if (optval == NULL) return -SHOAL_EFAULT;
        if (optlen < sizeof(struct shoal_timeval)) return -SHOAL_EINVAL;
        struct shoal_timeval tv;
        memcpy(&tv, optval, sizeof(tv));
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -SHOAL_EDOM;
        if (optname == SHOAL_SO_RCVTIMEO)
            k->rcvtimeo_ms = timeval_ms(&tv);
        else
            k->sndtimeo_ms = timeval_ms(&tv);
        return 0;
    }
    case SHOAL_SO_LINGER:
        if (optval == NULL) return -SHOAL_EFAULT;
        if (optlen < sizeof(struct shoal_linger)) return -SHOAL_EINVAL;
        return 0; /* accepted; close() never blocks here */
    default: break;
    }
    if ((rc = get_int(optval, optlen, &v)) < 0) return rc;
    switch (optname) {
    case SHOAL_SO_REUSEADDR:
    case SHOAL_SO_REUSEPORT: set_flag(k, SOCKF_REUSEADDR, v); return 0;
    case SHOAL_SO_BROADCAST:
        if (k->kind == SOCK_KIND_TCP) return 0; /* meaningless for streams, accepted */
        set_flag(k, SOCKF_BROADCAST, v);
        apply_ip(k);
        return 0;
    case SHOAL_SO_KEEPALIVE:
        set_flag(k, SOCKF_KEEPALIVE, v);
        if (k->kind == SOCK_KIND_TCP && sock_tcp_pcb(k) != NULL) sock_tcp_apply_opts(k);
        return 0;
    case SHOAL_SO_RCVBUF:
        if (v < 0) return -SHOAL_EINVAL;
        k->rcvbuf = v < 256 ? 256u : (uint32_t)v;
        return 0;
    case SHOAL_SO_SNDBUF:
        if (v < 0) return -SHOAL_EINVAL;
        k->sndbuf = v < 256 ? 256u : (uint32_t)v;
        return 0;
    case SHOAL_SO_TYPE:
    case SHOAL_SO_ERROR:
    case SHOAL_SO_ACCEPTCONN:
    case SHOAL_SO_PROTOCOL:
    case SHOAL_SO_DOMAIN: return -SHOAL_ENOPROTOOPT; /* read-only */
    default: return -SHOAL_ENOPROTOOPT;
    }
}

static int set_ip_level(struct sock *k, int optname, const void *optval, shoal_socklen_t optlen)
{
    if (optname == SHOAL_IP_ADD_MEMBERSHIP || optname == SHOAL_IP_DROP_MEMBERSHIP) {
        if (k->kind != SOCK_KIND_UDP && k->kind != SOCK_KIND_RAW) return -SHOAL_EPROTO;
        if (optval == NULL) return -SHOAL_EFAULT;
        if (optlen < sizeof(struct shoal_ip_mreq)) return -SHOAL_EINVAL;
        struct shoal_ip_mreq mr;
        memcpy(&mr, optval, sizeof(mr));
        return sock_mcast_join(k, &mr, optname == SHOAL_IP_ADD_MEMBERSHIP);
    }
    if (optname == SHOAL_IP_MULTICAST_IF) {
        /* RFC 1112 6.1: the interface multicast datagrams leave by, named by
         * its address (an in_addr, or the first field of an ip_mreq). */
        if (k->kind != SOCK_KIND_UDP) return -SHOAL_EPROTO;
        if (optval == NULL) return -SHOAL_EFAULT;
        if (optlen < sizeof(struct shoal_in_addr)) return -SHOAL_EINVAL;
        ip4_addr_t a;
        memcpy(&a.addr, optval, sizeof(a.addr));
        if (optlen >= sizeof(struct shoal_ip_mreq)) memcpy(&a.addr, (const uint8_t *)optval + 4, sizeof(a.addr));
        uint8_t idx = 0;
        if (a.addr != 0) {
            for (struct netif *n = netif_list(k->table->stack); n != NULL && idx == 0; n = n->next)
                if (n->ip4.addr == a.addr) idx = n->index;
            if (idx == 0) return -SHOAL_EADDRNOTAVAIL;
        }
        k->pcb.udp->mcast_netif_idx = idx;
        return 0;
    }
    int v = 0;
    int rc = get_int(optval, optlen, &v);
    if (rc < 0) return rc;
    switch (optname) {
    case SHOAL_IP_TTL:
        /* Linux: -1 means the default; 0 is refused. */
        if (v == -1) v = k->table->stack->cfg.ip_default_ttl;
        if (v < 1 || v > 255) return -SHOAL_EINVAL;
        k->ttl = (uint8_t)v;
        break;
    case SHOAL_IP_TOS: k->tos = (uint8_t)v; break;
    case SHOAL_IP_MULTICAST_TTL:
        if (v == -1) v = 1;
        if (v < 0 || v > 255) return -SHOAL_EINVAL;
        k->mcast_ttl = (uint8_t)v;
        break;
    case SHOAL_IP_MULTICAST_LOOP: set_flag(k, SOCKF_MCAST_NOLOOP, !v); return 0;
    default: return -SHOAL_ENOPROTOOPT;
    }
    apply_ip(k);
    return 0;
}

static int set_tcp_level(struct sock *k, int optname, const void *optval, shoal_socklen_t optlen)
{
    if (k->kind != SOCK_KIND_TCP) return -SHOAL_ENOPROTOOPT;
    int v = 0;
    int rc = get_int(optval, optlen, &v);
    if (rc < 0) return rc;
    switch (optname) {
    case SHOAL_TCPOPT_NODELAY: set_flag(k, SOCKF_NODELAY, v); break;
    case SHOAL_TCPOPT_KEEPIDLE:
        if (v < 1 || v > 32767) return -SHOAL_EINVAL;
        k->keepidle_s = (uint32_t)v;
        break;
    case SHOAL_TCPOPT_KEEPINTVL:
        if (v < 1 || v > 32767) return -SHOAL_EINVAL;
        k->keepintvl_s = (uint32_t)v;
        break;
    case SHOAL_TCPOPT_KEEPCNT:
        if (v < 1 || v > 127) return -SHOAL_EINVAL;
        k->keepcnt = (uint32_t)v;
        break;
    case SHOAL_TCPOPT_MAXSEG: return 0; /* accepted: the MSS follows the route (RFC 9293 3.7.1) */
    default: return -SHOAL_ENOPROTOOPT;
    }
    if (sock_tcp_pcb(k) != NULL) sock_tcp_apply_opts(k);
    return 0;
}

void sock_apply_v6only(struct sock *k)
{
    ip_addr_t any = sock_wildcard(k);
    k->local_ip = any;
    switch (k->kind) {
    case SOCK_KIND_TCP:
        if (k->pcb.tcp != NULL) k->pcb.tcp->local_ip = any;
        break;
    case SOCK_KIND_UDP: k->pcb.udp->local_ip = any; break;
    case SOCK_KIND_RAW: k->pcb.raw->local_ip = any; break;
    default: break;
    }
}

/* IPPROTO_IPV6 (RFC 3493 5, RFC 3542 3.1): AF_INET6 sockets only. */
static int set_ipv6_level(struct sock *k, int optname, const void *optval, shoal_socklen_t optlen)
{
    if (k->family != SHOAL_AF_INET6) return -SHOAL_ENOPROTOOPT;
    if (optname == SHOAL_IPV6_JOIN_GROUP || optname == SHOAL_IPV6_LEAVE_GROUP) {
        if (k->kind != SOCK_KIND_UDP && k->kind != SOCK_KIND_RAW) return -SHOAL_EPROTO;
        if (optval == NULL) return -SHOAL_EFAULT;
        if (optlen < sizeof(struct shoal_ipv6_mreq)) return -SHOAL_EINVAL;
        struct shoal_ipv6_mreq mr;
        memcpy(&mr, optval, sizeof(mr));
        return sock_mcast_join6(k, &mr, optname == SHOAL_IPV6_JOIN_GROUP);
    }
    int v = 0;
    int rc = get_int(optval, optlen, &v);
    if (rc < 0) return rc;
    switch (optname) {
    case SHOAL_IPV6_V6ONLY:
        /* RFC 3493 5.3; Linux refuses a change once bound. */
        if (k->flags & SOCKF_BOUND) return -SHOAL_EINVAL;
        if (k->kind == SOCK_KIND_TCP && k->phase != SOCK_TCP_NEW) return -SHOAL_EINVAL;
        k->v6only = v != 0;
        sock_apply_v6only(k);
        return 0;
    case SHOAL_IPV6_UNICAST_HOPS:
        /* RFC 3493 5.1: -1 is the default (the netif's CurHopLimit). */
        if (v < -1 || v > 255) return -SHOAL_EINVAL;
        k->hops6 = v == -1 ? 0 : (uint8_t)v;
        return 0;
    case SHOAL_IPV6_MULTICAST_HOPS:
        if (v < -1 || v > 255) return -SHOAL_EINVAL;
        k->mcast_hops6 = v == -1 ? 1 : (uint8_t)v;
        return 0;
    case SHOAL_IPV6_TCLASS:
        if (v < -1 || v > 255) return -SHOAL_EINVAL;
        k->tclass6 = v == -1 ? 0 : (uint8_t)v;
        return 0;
    case SHOAL_IPV6_MULTICAST_LOOP:
        if (v != 0 && v != 1) return -SHOAL_EINVAL;
        set_flag(k, SOCKF_MCAST_NOLOOP, !v);
        return 0;
    case SHOAL_IPV6_MULTICAST_IF:
        /* RFC 3493 5.2: an interface index, 0 = the default. */
        if (k->kind != SOCK_KIND_UDP && k->kind != SOCK_KIND_RAW) return -SHOAL_EPROTO;
        if (v < 0 || v > 255 || (v != 0 && netif_find_by_index(k->table->stack, (uint8_t)v) == NULL))
            return -SHOAL_ENODEV;
        k->mcast_if6 = (uint8_t)v;
        return 0;
    case SHOAL_IPV6_CHECKSUM:
        /* RFC 3542 3.1: raw sockets; ICMPv6's is always on, at 2. Even offsets only. */
        if (k->kind != SOCK_KIND_RAW) return -SHOAL_EINVAL;
        if (k->proto == SHOAL_IPPROTO_ICMPV6) return -SHOAL_EINVAL;
        if (v < -1 || (v >= 0 && (v & 1)) || v > 0x7ffe) return -SHOAL_EINVAL;
        k->pcb.raw->chksum_offset = (int16_t)v;
        return 0;
    default: return -SHOAL_ENOPROTOOPT;
    }
}

static int get_ipv6_level(struct sock *k, int optname, void *optval, shoal_socklen_t *optlen)
{
    if (k->family != SHOAL_AF_INET6) return -SHOAL_ENOPROTOOPT;
    switch (optname) {
    case SHOAL_IPV6_V6ONLY: return put_int(optval, optlen, k->v6only);
    case SHOAL_IPV6_UNICAST_HOPS: {
        if (k->hops6 != 0) return put_int(optval, optlen, k->hops6);
        /* The default in force: the CurHopLimit of the first netif up. */
        int hl = 64;
        for (struct netif *n = netif_list(k->table->stack); n != NULL; n = n->next)
            if (netif_is_up(n) && n->nd6.cur_hop_limit != 0) {
                hl = n->nd6.cur_hop_limit;
                break;
            }
        return put_int(optval, optlen, hl);
    }
    case SHOAL_IPV6_MULTICAST_HOPS: return put_int(optval, optlen, k->mcast_hops6);
    case SHOAL_IPV6_TCLASS: return put_int(optval, optlen, k->tclass6);
    case SHOAL_IPV6_MULTICAST_LOOP: return put_int(optval, optlen, !(k->flags & SOCKF_MCAST_NOLOOP));
    case SHOAL_IPV6_MULTICAST_IF: return put_int(optval, optlen, k->mcast_if6);
    case SHOAL_IPV6_CHECKSUM:
        if (k->kind != SOCK_KIND_RAW) return -SHOAL_ENOPROTOOPT;
        return put_int(optval, optlen, k->pcb.raw->chksum_offset);
    default: return -SHOAL_ENOPROTOOPT;
    }
}

int sock_setsockopt(struct stack *s, int fd, int level, int optname, const void *optval, shoal_socklen_t optlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    switch (level) {
    case SHOAL_SOL_SOCKET: return set_socket_level(k, optname, optval, optlen);
    case SHOAL_IPPROTO_IP: return set_ip_level(k, optname, optval, optlen);
    case SHOAL_IPPROTO_TCP: return set_tcp_level(k, optname, optval, optlen);
    case SHOAL_IPPROTO_IPV6: return set_ipv6_level(k, optname, optval, optlen);
    default: return -SHOAL_ENOPROTOOPT;
    }
}

static int sock_type_of(const struct sock *k)
{
    switch (k->kind) {
    case SOCK_KIND_TCP: return SHOAL_SOCK_STREAM;
    case SOCK_KIND_UDP: return SHOAL_SOCK_DGRAM;
    default: return SHOAL_SOCK_RAW;
    }
}

int sock_getsockopt(struct stack *s, int fd, int level, int optname, void *optval, shoal_socklen_t *optlen)
{
    struct sock *k = sock_lookup(s, fd);
    if (k == NULL) return -SHOAL_EBADF;
    if (optval == NULL || optlen == NULL) return -SHOAL_EFAULT;
    if (k->kind == SOCK_KIND_TCP) sock_tcp_pcb(k); /* notices a connection the stack ended */
    if (level == SHOAL_SOL_SOCKET) {
        switch (optname) {
        case SHOAL_SO_RCVTIMEO:
        case SHOAL_SO_SNDTIMEO: {
            uint32_t ms = optname == SHOAL_SO_RCVTIMEO ? k->rcvtimeo_ms : k->sndtimeo_ms;
            struct shoal_timeval tv;
            tv.tv_sec = (long)(ms / 1000u);
            tv.tv_usec = (long)((ms % 1000u) * 1000u);
            return put_bytes(optval, optlen, &tv, sizeof(tv));
        }
        case SHOAL_SO_LINGER: {
            struct shoal_linger l = {0, 0};
            return put_bytes(optval, optlen, &l, sizeof(l));
        }
        case SHOAL_SO_REUSEADDR:
        case SHOAL_SO_REUSEPORT: return put_int(optval, optlen, (k->flags & SOCKF_REUSEADDR) != 0);
        case SHOAL_SO_BROADCAST: return put_int(optval, optlen, (k->flags & SOCKF_BROADCAST) != 0);
        case SHOAL_SO_KEEPALIVE: return put_int(optval, optlen, (k->flags & SOCKF_KEEPALIVE) != 0);
        case SHOAL_SO_RCVBUF:
            return put_int(optval, optlen,
                           (int)(k->kind == SOCK_KIND_TCP ? s->cfg.tcp_wnd : k->rcvbuf));
        case SHOAL_SO_SNDBUF: return put_int(optval, optlen, (int)k->sndbuf);
        case SHOAL_SO_TYPE: return put_int(optval, optlen, sock_type_of(k));
        case SHOAL_SO_ERROR: return put_int(optval, optlen, sock_take_error(k));
        case SHOAL_SO_ACCEPTCONN:
            return put_int(optval, optlen, k->kind == SOCK_KIND_TCP && k->phase == SOCK_TCP_LISTEN);
        case SHOAL_SO_PROTOCOL: return put_int(optval, optlen, k->proto);
        case SHOAL_SO_DOMAIN: return put_int(optval, optlen, k->family);
        default: return -SHOAL_ENOPROTOOPT;
        }
    }
    if (level == SHOAL_IPPROTO_IP) {
        switch (optname) {
        case SHOAL_IP_TTL: return put_int(optval, optlen, k->ttl);
        case SHOAL_IP_TOS: return put_int(optval, optlen, k->tos);
        case SHOAL_IP_MULTICAST_TTL: return put_int(optval, optlen, k->mcast_ttl);
        case SHOAL_IP_MULTICAST_LOOP: return put_int(optval, optlen, !(k->flags & SOCKF_MCAST_NOLOOP));
        case SHOAL_IP_MULTICAST_IF: {
            struct shoal_in_addr a = {0};
            struct netif *n = k->kind == SOCK_KIND_UDP && k->pcb.udp->mcast_netif_idx != 0
                                  ? netif_find_by_index(s, k->pcb.udp->mcast_netif_idx)
                                  : NULL;
            if (n != NULL) a.s_addr = n->ip4.addr;
            return put_bytes(optval, optlen, &a, sizeof(a));
        }
        default: return -SHOAL_ENOPROTOOPT;
        }
    }
    if (level == SHOAL_IPPROTO_IPV6) return get_ipv6_level(k, optname, optval, optlen);
    if (level == SHOAL_IPPROTO_TCP && k->kind == SOCK_KIND_TCP) {
        switch (optname) {
        case SHOAL_TCPOPT_NODELAY: return put_int(optval, optlen, (k->flags & SOCKF_NODELAY) != 0);
        case SHOAL_TCPOPT_KEEPIDLE:
            return put_int(optval, optlen, (int)(k->keepidle_s ? k->keepidle_s : SHOAL_TCP_KEEPIDLE_MS / 1000u));
        case SHOAL_TCPOPT_KEEPINTVL:
            return put_int(optval, optlen, (int)(k->keepintvl_s ? k->keepintvl_s : SHOAL_TCP_KEEPINTVL_MS / 1000u));
        case SHOAL_TCPOPT_KEEPCNT: return put_int(optval, optlen, (int)(k->keepcnt ? k->keepcnt : SHOAL_TCP_KEEPCNT));
        case SHOAL_TCPOPT_MAXSEG: {
            struct tcp_pcb *pcb = sock_tcp_pcb(k);
            struct tcp_info info;
            if (pcb == NULL) return put_int(optval, optlen, (int)s->cfg.tcp_mss);
            tcp_get_info(pcb, &info);
            return put_int(optval, optlen, (int)info.mss);
        }
        default: return -SHOAL_ENOPROTOOPT;
        }
    }
    return -SHOAL_ENOPROTOOPT;
}
