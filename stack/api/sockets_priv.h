/* What the socket layer's files share (stack/api). */
#ifndef SHOAL_SOCKETS_PRIV_H
#define SHOAL_SOCKETS_PRIV_H

#include "shoal/sockets.h"
#include "core/stack_priv.h"
#include "shoal/ip_addr.h"

/* struct sock.flags */
#define SOCKF_NONBLOCK 0x0001u
#define SOCKF_REUSEADDR 0x0002u
#define SOCKF_BROADCAST 0x0004u
#define SOCKF_KEEPALIVE 0x0008u
#define SOCKF_NODELAY 0x0010u
#define SOCKF_SHUT_RD 0x0020u
#define SOCKF_SHUT_WR 0x0040u
#define SOCKF_EOF 0x0080u      /* TCP: the peer's FIN arrived */
#define SOCKF_RESET 0x0100u    /* TCP: the connection ended abnormally */
#define SOCKF_BOUND 0x0200u
#define SOCKF_CONNECTED 0x0400u /* UDP / raw: a default peer */
#define SOCKF_MCAST_NOLOOP 0x0800u

/* The IPv4 half of a dual address (0.0.0.0 for IPv6 or the wildcard). */
static inline ip4_addr_t sock_ip4_of(const ip_addr_t *a)
{
    ip4_addr_t r = {0};
    if (a->type == IPADDR_TYPE_V4) r = a->u_addr.ip4;
    return r;
}

static inline struct socket_table *sockets_table(struct stack *s) { return s != NULL ? s->sockets : NULL; }
static inline int sock_index(const struct socket_table *t, const struct sock *k) { return (int)(k - t->socks); }

/* The socket behind fd, or NULL (fd out of range, free, not yet accepted). */
struct sock *sock_lookup(struct stack *s, int fd);
void sock_notify(struct socket_table *t);
struct sock *sock_alloc(struct socket_table *t);
/* Return a slot to the table (queues freed; the PCB is the caller's). */
void sock_release(struct sock *k);
int sock_take_error(struct sock *k);

/* What a sockaddr is used for: IPv4-mapped addresses on a V6ONLY socket
 * are refused differently (RFC 3493 5.3). */
enum sock_addr_use { SOCK_ADDR_BIND, SOCK_ADDR_PEER };
/* A sockaddr of k's family -> ip (an IPv4-mapped one becomes V4; a
 * link-local gets its zone from sin6_scope_id) and port. Negative errno. */
int sock_addr_in(const struct sock *k, const struct shoal_sockaddr *addr, shoal_socklen_t len, enum sock_addr_use use,
                 ip_addr_t *ip, uint16_t *port);
/* ip and port as a sockaddr of k's family (IPv4 as ::ffff:a.b.c.d on AF_INET6). */
void sock_addr_out(const struct sock *k, const ip_addr_t *ip, uint16_t port, struct shoal_sockaddr *addr,
                   shoal_socklen_t *len);
/* The wildcard an unbound socket of k's kind stands for (V4, V6 or ANY). */
ip_addr_t sock_wildcard(const struct sock *k);
/* dst is an IPv4 broadcast address for this instance (limited or a netif's directed). */
bool sock_ip_is_broadcast(struct stack *s, const ip_addr_t *dst);
/* dst is a broadcast address for this instance (limited or a netif's directed). */
bool sock_is_broadcast(struct stack *s, const ip4_addr_t *dst);

/* sockets_tcp.c */
int sock_tcp_open(struct sock *k);
int sock_tcp_bind(struct sock *k, const ip_addr_t *ip, uint16_t port);
int sock_tcp_listen(struct sock *k, int backlog);
int sock_tcp_accept(struct socket_table *t, struct sock *k);
int sock_tcp_connect(struct sock *k, const ip_addr_t *ip, uint16_t port);
long sock_tcp_send(struct sock *k, const void *buf, size_t len, int flags);
long sock_tcp_recv(struct sock *k, void *buf, size_t len, int flags);
int sock_tcp_shutdown(struct sock *k, int how);
void sock_tcp_close(struct socket_table *t, struct sock *k);
short sock_tcp_poll(struct sock *k);
size_t sock_tcp_readable(struct sock *k);
/* The PCB, or NULL once the stack freed it (validated on every use). */
struct tcp_pcb *sock_tcp_pcb(struct sock *k);
void sock_tcp_apply_opts(struct sock *k);

/* sockets_udp.c (UDP and raw) */
int sock_dgram_open(struct sock *k);
int sock_dgram_bind(struct sock *k, const ip_addr_t *ip, uint16_t port);
int sock_dgram_connect(struct sock *k, const struct shoal_sockaddr *addr, shoal_socklen_t len);
long sock_dgram_sendto(struct sock *k, const void *buf, size_t len, const struct shoal_sockaddr *to,
                       shoal_socklen_t tolen);
long sock_dgram_recvfrom(struct sock *k, void *buf, size_t len, int flags, struct shoal_sockaddr *from,
                         shoal_socklen_t *fromlen);
void sock_dgram_close(struct sock *k);
short sock_dgram_poll(struct sock *k);
size_t sock_dgram_readable(struct sock *k);
int sock_mcast_join(struct sock *k, const struct shoal_ip_mreq *mr, bool join);
/* IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP (RFC 3493 5.2) through MLD. */
int sock_mcast_join6(struct sock *k, const struct shoal_ipv6_mreq *mr, bool join);
/* Give the PCB the hop limit / TTL for a datagram to dst's family. */
void sock_dgram_prepare(struct sock *k, const ip_addr_t *dst);

/* sockopt.c */
/* The PCB family after IPV6_V6ONLY (before bind). */
void sock_apply_v6only(struct sock *k);

#endif
