/*
 * Datagram sockets: UDP (and UDP-Lite) over udp_pcb, raw IP over raw_pcb.
 * Each received datagram stays in its pbuf in a bounded ring (count and
 * SO_RCVBUF bytes); what does not fit is dropped and counted, as a full
 * socket buffer drops on any host. Raw sockets see copies: the stack still
 * handles the packet itself (an ICMP echo is still answered), as on Linux.
 */
#include <string.h>

#include "api/sockets_priv.h"
#include "shoal/igmp.h"
#include "shoal/ip4.h"
#include "shoal/ip6.h"
#include "shoal/mld6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/raw.h"
#include "shoal/udp.h"

/* Largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define SOCK_UDP_MAX_PAYLOAD 65507u
#define SOCK_RAW_MAX_PAYLOAD 65515u

/* ---- the receive ring ---- */

static bool dq_push(struct sock *k, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    struct stack *s = k->table->stack;
    const struct pool *pool = &s->pools[POOL_PBUF];
    uint32_t avail = pool->count - pool->used;
    if ((k->flags & SOCKF_SHUT_RD) || k->dq_count >= SHOAL_SOCK_DGRAM_QLEN ||
        k->dq_bytes + p->tot_len > k->rcvbuf || avail < SHOAL_SOCK_PBUF_RESERVE) {
        k->rx_dropped++;
        return false;
    }
    struct sock_dgram *d = &k->dq[(k->dq_head + k->dq_count) % SHOAL_SOCK_DGRAM_QLEN];
    d->p = p;
    d->addr = *addr;
    d->port = port;
    k->dq_count++;
    k->dq_bytes += (uint32_t)p->tot_len;
    sock_notify(k->table);
    return true;
}

static void on_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    (void)pcb;
    struct sock *k = arg;
    if (k == NULL || !dq_push(k, p, addr, port)) pbuf_free(p);
}

static bool on_raw_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct sock *k = arg;
    if (k == NULL || (k->flags & SOCKF_SHUT_RD)) return false;
    /* A copy: the stack goes on to handle the original. */
    struct pbuf *copy = pbuf_clone(k->table->stack, PBUF_RAW, p);
    if (copy != NULL && !dq_push(k, copy, addr, 0)) pbuf_free(copy);
    return false;
}

size_t sock_dgram_readable(struct sock *k) { return k->dq_count > 0 ? k->dq[k->dq_head].p->tot_len : 0; }

/* ---- calls ---- */

int sock_dgram_open(struct sock *k)
{
    struct stack *s = k->table->stack;
    ip_addr_t any = sock_wildcard(k);
    enum ip_addr_type type = (enum ip_addr_type)any.type;
    k->local_ip = any;
    if (k->kind == SOCK_KIND_UDP) {
        struct udp_pcb *pcb = udp_new_ip_type(s, type);
        if (pcb == NULL) return -SHOAL_ENOBUFS;
        if (k->proto == SHOAL_IPPROTO_UDPLITE) pcb->flags |= UDP_FLAGS_UDPLITE;
        udp_recv(pcb, on_udp_recv, k);
        k->pcb.udp = pcb;
    } else {
        struct raw_pcb *pcb = raw_new_ip_type(s, type, k->proto);
        if (pcb == NULL) return -SHOAL_ENOBUFS;
        raw_recv(pcb, on_raw_recv, k);
        k->pcb.raw = pcb;
    }
    return 0;
}

/* SO_REUSEADDR on datagram sockets: several sockets share a port (a
 * multicast group's listeners) when every one of them asked for it. */
static bool udp_reuse_allowed(struct sock *k, const ip_addr_t *ip, uint16_t port)
{
    struct stack *s = k->table->stack;
    for (const struct udp_pcb *q = s->udp_pcbs; q != NULL; q = q->next) {
        if (q == k->pcb.udp || q->local_port != port) continue;
        if (!ip_addr_is_any(&q->local_ip) && !ip_addr_is_any(ip) && !ip_addr_eq(&q->local_ip, ip)) continue;
        const struct sock *o = q->recv == on_udp_recv ? q->recv_arg : NULL;
        if (o == NULL || !(o->flags & SOCKF_REUSEADDR)) return false;
    }
    return true;
}

int sock_dgram_bind(struct sock *k, const ip_addr_t *ip, uint16_t port)
{
    ip_addr_t a = *ip;
    if (k->kind == SOCK_KIND_RAW) {
        err_t e = raw_bind(k->pcb.raw, &a);
        if (e != ERR_OK) return sock_errno_from_err(e);
        k->local_ip = *ip;
        return 0;
    }
    struct udp_pcb *pcb = k->pcb.udp;
    err_t e = udp_bind(pcb, &a, port);
    if (e == ERR_USE && port != 0 && (k->flags & SOCKF_REUSEADDR) && udp_reuse_allowed(k, ip, port)) {
        /* udp_bind knows no SO_REUSEADDR: bind any port, then take this one. */
        e = udp_bind(pcb, &a, 0);
        if (e == ERR_OK) pcb->local_port = port;
    }
    if (e != ERR_OK) return sock_errno_from_err(e);
    k->local_ip = pcb->local_ip;
    k->local_port = pcb->local_port;
    return 0;
}

int sock_dgram_connect(struct sock *k, const struct shoal_sockaddr *addr, shoal_socklen_t len)
{
    if (addr == NULL) return -SHOAL_EFAULT;
    if (len < sizeof(uint16_t)) return -SHOAL_EINVAL;
    uint16_t family;
    memcpy(&family, addr, sizeof(family));
    if (family == SHOAL_AF_UNSPEC) {
        /* POSIX: connecting to AF_UNSPEC dissolves the association. */
        if (k->kind == SOCK_KIND_UDP) udp_disconnect(k->pcb.udp);
        else k->pcb.raw->connected = false;
        k->flags &= (uint16_t)~SOCKF_CONNECTED;
        k->remote_ip = ip_addr_any(IPADDR_TYPE_V4);
        k->remote_port = 0;
        return 0;
    }
    ip_addr_t ip;
    uint16_t port;
    int rc = sock_addr_in(k, addr, len, SOCK_ADDR_PEER, &ip, &port);
    if (rc < 0) return rc;
    struct stack *s = k->table->stack;
    if (sock_ip_is_broadcast(s, &ip) && !(k->flags & SOCKF_BROADCAST)) return -SHOAL_EACCES;
    if (k->kind == SOCK_KIND_UDP) {
        if (port == 0) return -SHOAL_EINVAL;
        err_t e = udp_connect(k->pcb.udp, &ip, port);
        if (e != ERR_OK) return sock_errno_from_err(e);
        k->local_port = k->pcb.udp->local_port;
        /* Linux fills in the source address the route picks. */
        if (ip_addr_is_any(&k->local_ip) && !ip_addr_is_multicast(&ip)) {
            if (ip.type == IPADDR_TYPE_V4) {
                struct ip4_route_result rt;
                if (ip4_route(s, &ip.u_addr.ip4, &rt) == ERR_OK) k->local_ip = ip_addr_from_ip4(rt.netif->ip4);
            } else {
                struct ip6_route_result rt6;
                ip6_addr_t src;
                struct netif *n = ip.u_addr.ip6.zone != 0 ? netif_find_by_index(s, ip.u_addr.ip6.zone) : NULL;
                if (n == NULL && ip6_route(s, &ip.u_addr.ip6, &rt6) == ERR_OK) n = rt6.netif;
                if (n != NULL && ip6_select_source(n, &ip.u_addr.ip6, &src) == ERR_OK)
                    k->local_ip = ip_addr_from_ip6(&src);
            }
        }
    } else {
        err_t e = raw_connect(k->pcb.raw, &ip);
        if (e != ERR_OK) return sock_errno_from_err(e);
    }
    k->flags |= SOCKF_CONNECTED | SOCKF_BOUND;
    k->remote_ip = ip;
    k->remote_port = port;
    return 0;
}

long sock_dgram_sendto(struct sock *k, const void *buf, size_t len, const struct shoal_sockaddr *to,
                       shoal_socklen_t tolen)
{
    struct stack *s = k->table->stack;
    ip_addr_t ip;
    uint16_t port = 0;
    if (to != NULL) {
        int rc = sock_addr_in(k, to, tolen, SOCK_ADDR_PEER, &ip, &port);
        if (rc < 0) return rc;
        if (k->kind == SOCK_KIND_UDP && port == 0) return -SHOAL_EINVAL;
    } else if (k->flags & SOCKF_CONNECTED) {
        ip = k->remote_ip;
        port = k->remote_port;
    } else {
        return -SHOAL_EDESTADDRREQ;
    }
    if (len > (k->kind == SOCK_KIND_UDP ? SOCK_UDP_MAX_PAYLOAD : SOCK_RAW_MAX_PAYLOAD)) return -SHOAL_EMSGSIZE;
    /* POSIX sendto: broadcast needs SO_BROADCAST. */
    if (sock_ip_is_broadcast(s, &ip) && !(k->flags & SOCKF_BROADCAST)) return -SHOAL_EACCES;
    if (ip_addr_is_any(&ip)) return -SHOAL_EINVAL;
    sock_dgram_prepare(k, &ip);
    struct pbuf *p = pbuf_alloc(s, k->kind == SOCK_KIND_UDP ? PBUF_TRANSPORT : PBUF_IP, len);
    if (p == NULL) return -SHOAL_ENOBUFS;
    if (len > 0) pbuf_take(p, buf, len);
    err_t e;
    if (k->kind == SOCK_KIND_UDP) {
        e = udp_sendto(k->pcb.udp, p, &ip, port);
        if (e == ERR_OK || k->local_port == 0) k->local_port = k->pcb.udp->local_port;
        if (k->pcb.udp->local_port != 0) k->flags |= SOCKF_BOUND;
    } else {
        e = raw_sendto(k->pcb.raw, p, &ip);
    }
    pbuf_free(p);
    if (e != ERR_OK) return sock_errno_from_err(e);
    return (long)len;
}

long sock_dgram_recvfrom(struct sock *k, void *buf, size_t len, int flags, struct shoal_sockaddr *from,
                         shoal_socklen_t *fromlen)
{
    if (k->dq_count == 0) {
        if (k->flags & SOCKF_SHUT_RD) return 0;
        return -SHOAL_EAGAIN;
    }
    struct sock_dgram *d = &k->dq[k->dq_head];
    size_t dlen = d->p->tot_len;
    size_t n = dlen < len ? dlen : len;
    if (n > 0) pbuf_copy_partial(d->p, buf, n, 0);
    if (from != NULL && fromlen != NULL) sock_addr_out(k, &d->addr, d->port, from, fromlen);
    if (!(flags & SHOAL_MSG_PEEK)) {
        /* What did not fit in buf is lost with the datagram (POSIX). */
        pbuf_free(d->p);
        d->p = NULL;
        k->dq_bytes -= (uint32_t)dlen;
        k->dq_head = (uint8_t)((k->dq_head + 1u) % SHOAL_SOCK_DGRAM_QLEN);
        k->dq_count--;
    }
    /* MSG_TRUNC (Linux): return the datagram's real length. */
    return (long)((flags & SHOAL_MSG_TRUNC) ? dlen : n);
}

void sock_dgram_close(struct sock *k)
{
    struct stack *s = k->table->stack;
    for (int i = 0; i < SHOAL_SOCK_MCAST_MAX; i++) {
        struct sock_mship *m = &k->mships[i];
        if (m->netif_idx == 0) continue;
        struct netif *n = netif_find_by_index(s, m->netif_idx);
        if (n != NULL) igmp_leavegroup_netif(n, &m->group);
        m->netif_idx = 0;
    }
    for (int i = 0; i < SHOAL_SOCK_MCAST_MAX; i++) {
        struct sock_mship6 *m = &k->mships6[i];
        if (m->netif_idx == 0) continue;
        struct netif *n = netif_find_by_index(s, m->netif_idx);
        if (n != NULL && SHOAL_IPV6) mld6_leave(n, &m->group);
        m->netif_idx = 0;
    }
    if (k->kind == SOCK_KIND_UDP) {
        udp_recv(k->pcb.udp, NULL, NULL);
        udp_remove(k->pcb.udp);
    } else if (k->kind == SOCK_KIND_RAW) {
        raw_recv(k->pcb.raw, NULL, NULL);
        raw_remove(k->pcb.raw);
    }
    k->pcb.udp = NULL;
}

short sock_dgram_poll(struct sock *k)
{
    short ev = 0;
    if (k->dq_count > 0 || (k->flags & SOCKF_SHUT_RD)) ev |= SHOAL_POLLIN | SHOAL_POLLRDNORM;
    ev |= SHOAL_POLLOUT | SHOAL_POLLWRNORM;
    if (k->pending_err) ev |= SHOAL_POLLERR;
    return ev;
}

/* ---- multicast membership (RFC 1112 7.1: per socket, per interface) ---- */

static struct netif *mcast_netif(struct stack *s, const struct shoal_ip_mreq *mr)
{
    ip4_addr_t ifaddr = {mr->imr_interface.s_addr};
    if (ifaddr.addr != 0) {
        for (struct netif *n = netif_list(s); n != NULL; n = n->next)
            if (n->ip4.addr == ifaddr.addr) return n;
        return NULL;
    }
    /* Any interface: the one a route to the group picks, else the first up. */
    ip4_addr_t group = {mr->imr_multiaddr.s_addr};
    struct ip4_route_result rt;
    if (ip4_route(s, &group, &rt) == ERR_OK) return rt.netif;
    for (struct netif *n = netif_list(s); n != NULL; n = n->next)
        if (netif_is_up(n)) return n;
    return NULL;
}

int sock_mcast_join(struct sock *k, const struct shoal_ip_mreq *mr, bool join)
{
    struct stack *s = k->table->stack;
    ip4_addr_t group = {mr->imr_multiaddr.s_addr};
    if (!ip4_addr_is_multicast(&group)) return -SHOAL_EINVAL;
    struct netif *n = mcast_netif(s, mr);
    if (n == NULL) return -SHOAL_EADDRNOTAVAIL;
    struct sock_mship *slot = NULL, *found = NULL;
    for (int i = 0; i < SHOAL_SOCK_MCAST_MAX; i++) {
        struct sock_mship *m = &k->mships[i];
        if (m->netif_idx == 0) {
            if (slot == NULL) slot = m;
        } else if (m->netif_idx == n->index && m->group.addr == group.addr) {
            found = m;
        }
    }
    if (join) {
        if (found != NULL) return -SHOAL_EADDRINUSE; /* Linux: already a member */
        if (slot == NULL) return -SHOAL_ENOBUFS;
        err_t e = igmp_joingroup_netif(n, &group);
        if (e != ERR_OK) return e == ERR_MEM ? -SHOAL_ENOBUFS : sock_errno_from_err(e);
        slot->group = group;
        slot->netif_idx = n->index;
        return 0;
    }
    if (found == NULL) return -SHOAL_EADDRNOTAVAIL;
    igmp_leavegroup_netif(n, &group);
    found->netif_idx = 0;
    return 0;
}

/* ---- IPv6 multicast membership (RFC 3493 5.2, through MLD: RFC 2710) ---- */

int sock_mcast_join6(struct sock *k, const struct shoal_ipv6_mreq *mr, bool join)
{
    struct stack *s = k->table->stack;
    ip6_addr_t group;
    ip6_addr_from_bytes(&group, mr->ipv6mr_multiaddr.s6_bytes);
    if (!ip6_addr_is_multicast(&group)) return -SHOAL_EINVAL;
    struct netif *n = NULL;
    if (mr->ipv6mr_interface != 0) {
        if (mr->ipv6mr_interface > 255) return -SHOAL_ENODEV;
        n = netif_find_by_index(s, (uint8_t)mr->ipv6mr_interface);
        if (n == NULL) return -SHOAL_ENODEV;
    } else {
        /* Any interface: the one a route to the group picks, else the first up. */
        struct ip6_route_result rt;
        if (!ip6_addr_has_scope(&group) && ip6_route(s, &group, &rt) == ERR_OK) n = rt.netif;
        for (struct netif *q = netif_list(s); q != NULL && n == NULL; q = q->next)
            if (netif_is_up(q)) n = q;
        if (n == NULL) return -SHOAL_ENODEV;
    }
    group.zone = ip6_addr_has_scope(&group) ? n->index : 0;
    struct sock_mship6 *slot = NULL, *found = NULL;
    for (int i = 0; i < SHOAL_SOCK_MCAST_MAX; i++) {
        struct sock_mship6 *m = &k->mships6[i];
        if (m->netif_idx == 0) {
            if (slot == NULL) slot = m;
        } else if (m->netif_idx == n->index && memcmp(m->group.addr, group.addr, IP6_ADDR_LEN) == 0) {
            found = m;
        }
    }
    if (join) {
        if (found != NULL) return -SHOAL_EADDRINUSE;
        if (slot == NULL) return -SHOAL_ENOBUFS;
        err_t e = mld6_join(n, &group);
        if (e != ERR_OK) return e == ERR_MEM ? -SHOAL_ENOBUFS : sock_errno_from_err(e);
        slot->group = group;
        slot->netif_idx = n->index;
        return 0;
    }
    if (found == NULL) return -SHOAL_EADDRNOTAVAIL;
    mld6_leave(n, &group);
    found->netif_idx = 0;
    return 0;
}

/* One PCB serves both families on a dual-stack socket: the TTL (IP_TTL)
 * or the hop limit (IPV6_UNICAST_HOPS, RFC 3493 5.1) goes in per datagram. */
void sock_dgram_prepare(struct sock *k, const ip_addr_t *dst)
{
    bool v6 = dst->type == IPADDR_TYPE_V6;
    if (k->kind == SOCK_KIND_UDP) {
        struct udp_pcb *u = k->pcb.udp;
        if (k->family == SHOAL_AF_INET6) {
            u->ttl = v6 ? k->hops6 : k->ttl;
            u->mcast_ttl = v6 ? k->mcast_hops6 : k->mcast_ttl;
            u->tos = v6 ? k->tclass6 : k->tos;
            if (v6) u->mcast_netif_idx = k->mcast_if6;
        }
    } else if (k->kind == SOCK_KIND_RAW && k->family == SHOAL_AF_INET6) {
        k->pcb.raw->ttl = ip_addr_is_multicast(dst) ? k->mcast_hops6 : k->hops6;
        k->pcb.raw->tos = k->tclass6;
    }
}
