/*
 * BSD-like sockets over the raw API (stack/api): the calls an application
 * knows (socket, bind, listen, accept, connect, send, recv, sendto,
 * recvfrom, shutdown, close, setsockopt, getsockopt, fcntl, poll, select,
 * getaddrinfo) for one stack instance, never blocking.
 *
 * The socket table is caller-owned (lwIP's dhcp_set_struct style):
 * sockets_init(s, &table) attaches a fixed number of sockets to an
 * instance. Every call returns a non-negative result or a negative POSIX
 * errno value (-SHOAL_EAGAIN when it would block). A host that runs blocking
 * application code (simcore/task.c) sets a wakeup callback, called whenever
 * a socket may have become readable, writable or errored, and retries.
 *
 * Freestanding: the stack cannot include libc headers, so the structs and
 * constants below are Shoal's own, with Linux's numeric values and layouts
 * (struct shoal_sockaddr_in is struct sockaddr_in byte for byte, and
 * shoal_sockaddr_in6 sockaddr_in6), so that a host converts by casting.
 *
 * IPv6 (RFC 3493): AF_INET6 sockets are dual-stack unless IPV6_V6ONLY is
 * set before bind; their IPv4 peers appear as ::ffff:a.b.c.d and sending to
 * such an address goes over IPv4. A link-local address takes its zone from
 * sin6_scope_id (0 on a single-interface instance means that interface;
 * with several it is EINVAL).
 */
#ifndef SHOAL_SOCKETS_H
#define SHOAL_SOCKETS_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/ip_addr.h"

struct stack;
struct pbuf;
struct tcp_pcb;
struct udp_pcb;
struct raw_pcb;

/* ---- sizes ---- */

/* Sockets per instance (accepted connections take one each). */
#ifndef SHOAL_SOCKET_COUNT
#define SHOAL_SOCKET_COUNT 16
#endif
/* Datagrams a UDP or raw socket holds unread (and SO_RCVBUF bytes). */
#ifndef SHOAL_SOCK_DGRAM_QLEN
#define SHOAL_SOCK_DGRAM_QLEN 8
#endif
/* Connections waiting for accept(); listen()'s backlog is capped to it. */
#ifndef SHOAL_SOCK_ACCEPT_QLEN
#define SHOAL_SOCK_ACCEPT_QLEN 8
#endif
/* Multicast groups one socket may join. */
#ifndef SHOAL_SOCK_MCAST_MAX
#define SHOAL_SOCK_MCAST_MAX 4
#endif
/* Default SO_RCVBUF of datagram sockets, bytes. */
#ifndef SHOAL_SOCK_DGRAM_RCVBUF
#define SHOAL_SOCK_DGRAM_RCVBUF 16384u
#endif
/* Datagram receive queues leave at least this many pbufs in the pool, so
 * that unread sockets cannot starve the stack's own input. */
#ifndef SHOAL_SOCK_PBUF_RESERVE
#define SHOAL_SOCK_PBUF_RESERVE 8u
#endif

/* ---- errno values (Linux numbering) ---- */
#define SHOAL_EPERM 1
#define SHOAL_ENOENT 2
#define SHOAL_EINTR 4
#define SHOAL_EIO 5
#define SHOAL_ENODEV 19
#define SHOAL_EBADF 9
#define SHOAL_EAGAIN 11
#define SHOAL_EWOULDBLOCK SHOAL_EAGAIN
#define SHOAL_ENOMEM 12
#define SHOAL_EACCES 13
#define SHOAL_EFAULT 14
#define SHOAL_EINVAL 22
#define SHOAL_EMFILE 24
#define SHOAL_EPIPE 32
#define SHOAL_EDOM 33
#define SHOAL_EPROTO 71
#define SHOAL_ENOTSOCK 88
#define SHOAL_EDESTADDRREQ 89
#define SHOAL_EMSGSIZE 90
#define SHOAL_EPROTOTYPE 91
#define SHOAL_ENOPROTOOPT 92
#define SHOAL_EPROTONOSUPPORT 93
#define SHOAL_ESOCKTNOSUPPORT 94
#define SHOAL_EOPNOTSUPP 95
#define SHOAL_EAFNOSUPPORT 97
#define SHOAL_EADDRINUSE 98
#define SHOAL_EADDRNOTAVAIL 99
#define SHOAL_ENETDOWN 100
#define SHOAL_ENETUNREACH 101
#define SHOAL_ECONNABORTED 103
#define SHOAL_ECONNRESET 104
#define SHOAL_ENOBUFS 105
#define SHOAL_EISCONN 106
#define SHOAL_ENOTCONN 107
#define SHOAL_ETIMEDOUT 110
#define SHOAL_ECONNREFUSED 111
#define SHOAL_EHOSTUNREACH 113
#define SHOAL_EALREADY 114
#define SHOAL_EINPROGRESS 115

/* ---- address families, types, levels, options ---- */
#define SHOAL_AF_UNSPEC 0
#define SHOAL_AF_INET 2
#define SHOAL_AF_INET6 10
#define SHOAL_PF_INET SHOAL_AF_INET
#define SHOAL_PF_INET6 SHOAL_AF_INET6

#define SHOAL_SOCK_STREAM 1
#define SHOAL_SOCK_DGRAM 2
#define SHOAL_SOCK_RAW 3
#define SHOAL_SOCK_NONBLOCK 0x800     /* may be or-ed into the type */
#define SHOAL_SOCK_CLOEXEC 0x80000    /* accepted and ignored */

#define SHOAL_IPPROTO_IP 0
#define SHOAL_IPPROTO_ICMP 1
#define SHOAL_IPPROTO_IGMP 2
#define SHOAL_IPPROTO_TCP 6
#define SHOAL_IPPROTO_UDP 17
#define SHOAL_IPPROTO_IPV6 41
#define SHOAL_IPPROTO_ICMPV6 58
#define SHOAL_IPPROTO_UDPLITE 136
#define SHOAL_IPPROTO_RAW 255

#define SHOAL_SOL_SOCKET 1
#define SHOAL_SO_REUSEADDR 2
#define SHOAL_SO_TYPE 3
#define SHOAL_SO_ERROR 4
#define SHOAL_SO_BROADCAST 6
#define SHOAL_SO_SNDBUF 7
#define SHOAL_SO_RCVBUF 8
#define SHOAL_SO_KEEPALIVE 9
#define SHOAL_SO_LINGER 13
#define SHOAL_SO_REUSEPORT 15
#define SHOAL_SO_RCVTIMEO 20
#define SHOAL_SO_SNDTIMEO 21
#define SHOAL_SO_ACCEPTCONN 30
#define SHOAL_SO_PROTOCOL 38
#define SHOAL_SO_DOMAIN 39

#define SHOAL_IP_TOS 1
#define SHOAL_IP_TTL 2
#define SHOAL_IP_MULTICAST_IF 32
#define SHOAL_IP_MULTICAST_TTL 33
#define SHOAL_IP_MULTICAST_LOOP 34
#define SHOAL_IP_ADD_MEMBERSHIP 35
#define SHOAL_IP_DROP_MEMBERSHIP 36

/* IPPROTO_IPV6 level (RFC 3493 5.1-5.2, RFC 3542 3.1; Linux numbers) */
#define SHOAL_IPV6_CHECKSUM 7
#define SHOAL_IPV6_UNICAST_HOPS 16
#define SHOAL_IPV6_MULTICAST_IF 17
#define SHOAL_IPV6_MULTICAST_HOPS 18
#define SHOAL_IPV6_MULTICAST_LOOP 19
#define SHOAL_IPV6_JOIN_GROUP 20
#define SHOAL_IPV6_LEAVE_GROUP 21
#define SHOAL_IPV6_V6ONLY 26
#define SHOAL_IPV6_TCLASS 67

#define SHOAL_TCPOPT_NODELAY 1
#define SHOAL_TCPOPT_MAXSEG 2
#define SHOAL_TCPOPT_KEEPIDLE 4
#define SHOAL_TCPOPT_KEEPINTVL 5
#define SHOAL_TCPOPT_KEEPCNT 6

#define SHOAL_SHUT_RD 0
#define SHOAL_SHUT_WR 1
#define SHOAL_SHUT_RDWR 2

#define SHOAL_MSG_PEEK 0x2
#define SHOAL_MSG_TRUNC 0x20
#define SHOAL_MSG_DONTWAIT 0x40
#define SHOAL_MSG_WAITALL 0x100
#define SHOAL_MSG_NOSIGNAL 0x4000

#define SHOAL_F_GETFL 3
#define SHOAL_F_SETFL 4
#define SHOAL_O_RDWR 2
#define SHOAL_O_NONBLOCK 0x800
#define SHOAL_FIONREAD 0x541B
#define SHOAL_FIONBIO 0x5421

#define SHOAL_POLLIN 0x001
#define SHOAL_POLLPRI 0x002
#define SHOAL_POLLOUT 0x004
#define SHOAL_POLLERR 0x008
#define SHOAL_POLLHUP 0x010
#define SHOAL_POLLNVAL 0x020
#define SHOAL_POLLRDNORM 0x040
#define SHOAL_POLLWRNORM 0x100

#define SHOAL_INADDR_ANY 0x00000000u
#define SHOAL_INADDR_BROADCAST 0xffffffffu

/* ---- structs (Linux layouts) ---- */
typedef uint32_t shoal_socklen_t;

struct shoal_in_addr {
    uint32_t s_addr;              /* network byte order */
};
struct shoal_sockaddr {
    uint16_t sa_family;
    char sa_data[14];
};
struct shoal_sockaddr_in {
    uint16_t sin_family;          /* SHOAL_AF_INET */
    uint16_t sin_port;            /* network byte order */
    struct shoal_in_addr sin_addr;
    uint8_t sin_zero[8];
};
/* RFC 3493 3.3, 3.4 (Linux layout: 28 bytes) */
struct shoal_in6_addr {
    uint8_t s6_bytes[16]; /* s6_addr (a libc macro name) */
};
struct shoal_sockaddr_in6 {
    uint16_t sin6_family;         /* SHOAL_AF_INET6 */
    uint16_t sin6_port;           /* network byte order */
    uint32_t sin6_flowinfo;
    struct shoal_in6_addr sin6_addr;
    uint32_t sin6_scope_id;       /* the netif index of a link-local address */
};
/* Shortest sockaddr_in6 accepted (RFC 2133's, without sin6_scope_id). */
#define SHOAL_SIN6_LEN_MIN 24u
/* Room for either family (sockaddr_storage's size). */
struct shoal_sockaddr_storage {
    uint16_t ss_family;
    uint8_t ss_data[126];
};
/* RFC 3493 5.2 */
struct shoal_ipv6_mreq {
    struct shoal_in6_addr ipv6mr_multiaddr;
    uint32_t ipv6mr_interface;    /* 0: the interface the route picks */
};
struct shoal_ip_mreq {
    struct shoal_in_addr imr_multiaddr;
    struct shoal_in_addr imr_interface; /* 0: the interface the route picks */
};
struct shoal_linger {
    int l_onoff;
    int l_linger;
};
/* SO_RCVTIMEO / SO_SNDTIMEO: `long` as in the ABI's struct timeval. */
struct shoal_timeval {
    long tv_sec;
    long tv_usec;
};
struct shoal_pollfd {
    int fd;
    short events;
    short revents;
};
#define SHOAL_FD_SETSIZE SHOAL_SOCKET_COUNT
/* select() sets over this table's descriptors 0 .. SHOAL_FD_SETSIZE-1. */
typedef struct {
    uint32_t bits[(SHOAL_FD_SETSIZE + 31) / 32];
} shoal_fd_set;
static inline void shoal_fd_zero(shoal_fd_set *s)
{
    for (unsigned i = 0; i < sizeof(s->bits) / sizeof(s->bits[0]); i++) s->bits[i] = 0;
}
static inline void shoal_fd_set_bit(int fd, shoal_fd_set *s)
{
    if (fd >= 0 && fd < SHOAL_FD_SETSIZE) s->bits[fd / 32] |= 1u << (fd % 32);
}
static inline bool shoal_fd_isset(int fd, const shoal_fd_set *s)
{
    return fd >= 0 && fd < SHOAL_FD_SETSIZE && (s->bits[fd / 32] >> (fd % 32)) & 1u;
}

/* ---- the socket table (caller-owned; fields are private to stack/api) ---- */

enum sock_kind { SOCK_KIND_FREE = 0, SOCK_KIND_TCP, SOCK_KIND_UDP, SOCK_KIND_RAW };
/* Where a TCP socket is in its life, as the application sees it. */
enum sock_tcp_phase {
    SOCK_TCP_NEW = 0,      /* not connected, not listening */
    SOCK_TCP_LISTEN,
    SOCK_TCP_CONNECTING,
    SOCK_TCP_CONNECTED,    /* established (or closing with the PCB still there) */
    SOCK_TCP_DONE          /* the PCB is gone: closed, reset, timed out */
};

struct sock_dgram {
    struct pbuf *p;
    ip_addr_t addr;
    uint16_t port;
};

struct sock_mship {
    ip4_addr_t group;
    uint8_t netif_idx;     /* 0: free slot */
};
struct sock_mship6 {
    ip6_addr_t group;
    uint8_t netif_idx;     /* 0: free slot */
};

struct socket_table;
struct sock {
    struct socket_table *table;
    uint8_t kind;          /* enum sock_kind */
    uint8_t phase;         /* enum sock_tcp_phase (TCP) */
    uint8_t proto;         /* IP protocol (raw), IPPROTO_UDP / UDPLITE */
    bool pending_accept;   /* accepted by the stack, not yet by accept(): no fd yet */
    uint16_t flags;        /* SOCKF_* (sockets_priv.h) */
    int16_t pending_err;   /* SO_ERROR: a positive errno, reported once */
    int16_t listener;      /* pending_accept: the listener's index */
    union {
        struct tcp_pcb *tcp;
        struct udp_pcb *udp;
        struct raw_pcb *raw;
    } pcb;
    ip_addr_t local_ip, remote_ip; /* an AF_INET6 socket's IPv4 peers are V4 here */
    uint16_t local_port, remote_port;
    uint8_t family;        /* SHOAL_AF_INET or SHOAL_AF_INET6 */
    bool v6only;           /* IPV6_V6ONLY (RFC 3493 5.3) */
    /* TCP: the received byte stream, one pbuf chain */
    struct pbuf *rx;
    /* UDP / raw: datagrams, a ring */
    struct sock_dgram dq[SHOAL_SOCK_DGRAM_QLEN];
    uint8_t dq_head, dq_count;
    uint32_t dq_bytes;
    uint32_t rx_dropped;   /* datagrams refused: queue or SO_RCVBUF full */
    /* listener: accepted connections, as table indices */
    int16_t accq[SHOAL_SOCK_ACCEPT_QLEN];
    uint8_t acc_head, acc_count, backlog;
    /* options */
    uint32_t rcvbuf, sndbuf;
    uint32_t rcvtimeo_ms, sndtimeo_ms; /* 0: wait forever (read by blocking hosts) */
    uint32_t keepidle_s, keepintvl_s, keepcnt;
    uint8_t ttl, tos, mcast_ttl;
    uint8_t hops6;         /* IPV6_UNICAST_HOPS, 0 = the netif's CurHopLimit */
    uint8_t mcast_hops6;   /* IPV6_MULTICAST_HOPS (RFC 3493 5.2: default 1) */
    uint8_t tclass6;       /* IPV6_TCLASS */
    uint8_t mcast_if6;     /* IPV6_MULTICAST_IF, 0 = the default */
    struct sock_mship mships[SHOAL_SOCK_MCAST_MAX];
    struct sock_mship6 mships6[SHOAL_SOCK_MCAST_MAX];
};

typedef void (*sockets_wakeup_fn)(void *arg);

struct socket_table {
    struct stack *stack;
    sockets_wakeup_fn wakeup;
    void *wakeup_arg;
    struct sock socks[SHOAL_SOCKET_COUNT];
};

/* Attach mem (zeroed here) to s. Replaces (closes) a table already there. */
void sockets_init(struct stack *s, struct socket_table *mem);
/* Close every socket and detach the table (the instance may outlive it). */
void sockets_deinit(struct stack *s);
struct socket_table *sockets_get(struct stack *s);
/* fn(arg) whenever a socket may have changed readiness (from inside stack
 * processing: the callback must not call back into the stack). */
void sockets_set_wakeup(struct stack *s, sockets_wakeup_fn fn, void *arg);

/* err_t -> negative errno, the one mapping every call uses. */
int sock_errno_from_err(err_t err);

/* ---- the calls: fds are 0 .. SHOAL_SOCKET_COUNT-1 ---- */

int sock_socket(struct stack *s, int domain, int type, int protocol);
int sock_bind(struct stack *s, int fd, const struct shoal_sockaddr *addr, shoal_socklen_t addrlen);
int sock_listen(struct stack *s, int fd, int backlog);
/* addr / addrlen may be NULL. */
int sock_accept(struct stack *s, int fd, struct shoal_sockaddr *addr, shoal_socklen_t *addrlen);
/* TCP: -SHOAL_EINPROGRESS while the handshake runs (poll for POLLOUT, then SO_ERROR). */
int sock_connect(struct stack *s, int fd, const struct shoal_sockaddr *addr, shoal_socklen_t addrlen);
/* Bytes taken or read (0 from recv: end of stream), or a negative errno. */
long sock_send(struct stack *s, int fd, const void *buf, size_t len, int flags);
long sock_sendto(struct stack *s, int fd, const void *buf, size_t len, int flags, const struct shoal_sockaddr *to,
                 shoal_socklen_t tolen);
long sock_recv(struct stack *s, int fd, void *buf, size_t len, int flags);
long sock_recvfrom(struct stack *s, int fd, void *buf, size_t len, int flags, struct shoal_sockaddr *from,
                   shoal_socklen_t *fromlen);
int sock_shutdown(struct stack *s, int fd, int how);
int sock_close(struct stack *s, int fd);
int sock_setsockopt(struct stack *s, int fd, int level, int optname, const void *optval, shoal_socklen_t optlen);
int sock_getsockopt(struct stack *s, int fd, int level, int optname, void *optval, shoal_socklen_t *optlen);
/* F_GETFL / F_SETFL (O_NONBLOCK). */
int sock_fcntl(struct stack *s, int fd, int cmd, int val);
/* FIONREAD (int *: bytes readable) and FIONBIO (int *: non-blocking on/off). */
int sock_ioctl(struct stack *s, int fd, unsigned long cmd, void *argp);
int sock_getsockname(struct stack *s, int fd, struct shoal_sockaddr *addr, shoal_socklen_t *addrlen);
int sock_getpeername(struct stack *s, int fd, struct shoal_sockaddr *addr, shoal_socklen_t *addrlen);
/* Readiness now (never waits): revents filled, returns how many fds have
 * any. Negative fds are skipped; unknown ones get SHOAL_POLLNVAL. */
int sock_poll(struct stack *s, struct shoal_pollfd *fds, size_t nfds);
/* Readiness now over fds 0 .. nfds-1: sets are replaced by the ready
 * subsets; returns how many bits are set, -SHOAL_EBADF for an unknown fd. */
int sock_select(struct stack *s, int nfds, shoal_fd_set *readfds, shoal_fd_set *writefds, shoal_fd_set *exceptfds);
/* True when fd is a socket with O_NONBLOCK. */
bool sock_is_nonblocking(struct stack *s, int fd);

/* ---- address text (inet_pton.c) ---- */

/* Longest text inet_ntop writes, NUL included. */
#define SHOAL_INET_ADDRSTRLEN 16
#define SHOAL_INET6_ADDRSTRLEN 46
/* POSIX inet_pton: 1 and dst filled (4 or 16 bytes, network order), 0 when
 * src is not an address of af, -SHOAL_EAFNOSUPPORT for another af. */
int sock_inet_pton(int af, const char *src, void *dst);
/* POSIX inet_ntop (RFC 5952 form for IPv6): dst, or NULL when size is too small. */
const char *sock_inet_ntop(int af, const void *src, char *dst, shoal_socklen_t size);

/* ---- getaddrinfo over the resolver (shoal/dns.h) ---- */

#define SHOAL_AI_PASSIVE 0x1
#define SHOAL_AI_CANONNAME 0x2
#define SHOAL_AI_NUMERICHOST 0x4
#define SHOAL_AI_V4MAPPED 0x8
#define SHOAL_AI_NUMERICSERV 0x400
/* glibc's values */
#define SHOAL_EAI_BADFLAGS (-1)
#define SHOAL_EAI_NONAME (-2)
#define SHOAL_EAI_AGAIN (-3)
#define SHOAL_EAI_FAIL (-4)
#define SHOAL_EAI_FAMILY (-6)
#define SHOAL_EAI_SOCKTYPE (-7)
#define SHOAL_EAI_SERVICE (-8)
#define SHOAL_EAI_MEMORY (-10)
/* Shoal's own: a DNS query is out; call again (same arguments, same
 * result struct) after the wakeup callback. */
#define SHOAL_EAI_INPROGRESS (-100)

/* struct addrinfo's layout. */
struct shoal_addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    shoal_socklen_t ai_addrlen;
    struct shoal_sockaddr *ai_addr;
    char *ai_canonname;
    struct shoal_addrinfo *ai_next;
};

/* Results: addresses x socket types (stream, datagram), linked from ai[0]. */
#define SHOAL_AI_MAX 8
enum sock_lookup_state { SOCK_LOOKUP_IDLE = 0, SOCK_LOOKUP_PENDING, SOCK_LOOKUP_DONE };
struct shoal_addrinfo_result {
    struct shoal_addrinfo ai[SHOAL_AI_MAX];
    struct shoal_sockaddr_in6 sa[SHOAL_AI_MAX]; /* a sockaddr_in or a sockaddr_in6 (ai_addrlen) */
    uint8_t count;
    /* private: an asynchronous lookup */
    uint8_t state;         /* enum sock_lookup_state */
    uint8_t status;        /* enum dns_status once DONE */
    uint8_t naddrs;
    uint8_t qtype;         /* DNS_RR_A or DNS_RR_AAAA in flight */
    uint8_t wanted;        /* the families still to ask for (AF_UNSPEC: A, then AAAA) */
    ip_addr_t addrs[4];
    struct stack *stack;
};

/* Resolve node (dotted quad, or a name through the instance's resolver;
 * NULL with AI_PASSIVE: 0.0.0.0, without: 127.0.0.1) and service (a port
 * number or one of a few well-known names). 0 and res filled (res->ai[0] is
 * the list head, res->count entries), a SHOAL_EAI_* code, or
 * SHOAL_EAI_INPROGRESS: a query went out; call again with the same res after
 * a wakeup. res must stay put while a query is out. */
int sock_getaddrinfo(struct stack *s, const char *node, const char *service, const struct shoal_addrinfo *hints,
                     struct shoal_addrinfo_result *res);
/* Forget a lookup still in flight for res (no callback follows). */
void sock_getaddrinfo_cancel(struct stack *s, struct shoal_addrinfo_result *res);

#endif
