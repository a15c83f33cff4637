/*
 * TCP (RFC 9293) with the lwIP-shaped raw API: tcp_new / bind / listen /
 * accept / connect / write / output / recved / close / shutdown / abort, and
 * recv / sent / err / poll callbacks that take a `void *arg`.
 *
 * Beyond lwIP: SACK is used by the sender for loss recovery (RFC 6675), the
 * initial RTO is 1 s (RFC 6298), and RFC 5961's defences are in.
 */
#ifndef SHOAL_TCP_H
#define SHOAL_TCP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip_addr.h"

struct stack;
struct pbuf;
struct tcp_pcb;
struct ip4_rx_info;

enum tcp_state {
    TCP_CLOSED = 0,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RCVD,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT
};
const char *tcp_state_str(enum tcp_state st);

/* A new connection on a listener; `newpcb` is ESTABLISHED. Return ERR_OK
 * to keep it, or call tcp_abort(newpcb) and return ERR_ABRT. */
typedef err_t (*tcp_accept_fn)(void *arg, struct tcp_pcb *newpcb, err_t err);
/* An active open completed. */
typedef err_t (*tcp_connected_fn)(void *arg, struct tcp_pcb *pcb, err_t err);
/* In-order data (the callback owns p and calls tcp_recved() once it has
 * consumed it), or p == NULL when the peer closed its side (FIN). */
typedef err_t (*tcp_recv_fn)(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
/* `len` more bytes were acknowledged (tcp_sndbuf() grew). */
typedef err_t (*tcp_sent_fn)(void *arg, struct tcp_pcb *pcb, size_t len);
/* Called every poll interval while the connection is open. */
typedef err_t (*tcp_poll_fn)(void *arg, struct tcp_pcb *pcb);
/* The connection is gone (reset, aborted, timed out); the PCB is already
 * freed when this runs. */
typedef void (*tcp_err_fn)(void *arg, err_t err);

/* An IPv4 PCB (lwIP's tcp_new). */
struct tcp_pcb *tcp_new(struct stack *s);
/* A PCB of the given family; IPADDR_TYPE_ANY is dual-stack (a listener
 * bound to the wildcard hears both; V6 is IPV6_V6ONLY). */
struct tcp_pcb *tcp_new_ip_type(struct stack *s, enum ip_addr_type type);
void tcp_arg(struct tcp_pcb *pcb, void *arg);
void tcp_recv(struct tcp_pcb *pcb, tcp_recv_fn fn);
void tcp_sent(struct tcp_pcb *pcb, tcp_sent_fn fn);
void tcp_err(struct tcp_pcb *pcb, tcp_err_fn fn);
void tcp_accept(struct tcp_pcb *pcb, tcp_accept_fn fn);
void tcp_poll(struct tcp_pcb *pcb, tcp_poll_fn fn, uint32_t interval_ms);

/* SO_REUSEADDR (RFC 1122 4.2.2.13): a bind may take a port that only
 * connections (no listener, no other bound PCB) hold; set before tcp_bind. */
void tcp_set_reuseaddr(struct tcp_pcb *pcb, bool on);
/* Port 0 picks an ephemeral port. ip NULL: the wildcard of the PCB's
 * family; otherwise the PCB takes ip's type. */
err_t tcp_bind(struct tcp_pcb *pcb, const ip_addr_t *ip, uint16_t port);
/* Turn a bound PCB into a listener with room for `backlog` connections not
 * yet accepted (SYN-RCVD ones count too). Returns the listener (the same
 * PCB here), or NULL. */
struct tcp_pcb *tcp_listen_with_backlog(struct tcp_pcb *pcb, uint8_t backlog);
static inline struct tcp_pcb *tcp_listen(struct tcp_pcb *pcb) { return tcp_listen_with_backlog(pcb, 8); }
err_t tcp_connect(struct tcp_pcb *pcb, const ip_addr_t *ip, uint16_t port, tcp_connected_fn connected);

#define TCP_WRITE_FLAG_COPY 0x01u /* always copied here; accepted for lwIP compatibility */
#define TCP_WRITE_FLAG_MORE 0x02u /* more data follows: no PSH yet */
/* Queue data for sending (copied into the send buffer). ERR_MEM when it
 * does not fit in tcp_sndbuf(); nothing is queued then. */
err_t tcp_write(struct tcp_pcb *pcb, const void *data, size_t len, uint8_t apiflags);
/* Send what the windows and Nagle allow now. */
err_t tcp_output(struct tcp_pcb *pcb);
/* The application consumed len bytes: open the receive window. */
void tcp_recved(struct tcp_pcb *pcb, size_t len);

/* Close both directions (FIN after queued data); the PCB is freed by the
 * stack once closed, and must not be used after this returns ERR_OK. */
err_t tcp_close(struct tcp_pcb *pcb);
err_t tcp_shutdown(struct tcp_pcb *pcb, bool shut_rx, bool shut_tx);
/* Send a RST and free the PCB at once (the err callback is not called). */
void tcp_abort(struct tcp_pcb *pcb);

size_t tcp_sndbuf(const struct tcp_pcb *pcb);
enum tcp_state tcp_get_state(const struct tcp_pcb *pcb);
void tcp_nagle_disable(struct tcp_pcb *pcb);
void tcp_nagle_enable(struct tcp_pcb *pcb);
/* RFC 1122 4.2.3.6: probes after idle_ms without traffic, every intvl_ms,
 * the connection dropped after `count` unanswered probes. */
void tcp_keepalive(struct tcp_pcb *pcb, bool on, uint32_t idle_ms, uint32_t intvl_ms, uint32_t count);

struct tcp_info {
    enum tcp_state state;
    ip_addr_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
    uint32_t snd_una, snd_nxt, rcv_nxt; /* relative to the ISNs */
    uint32_t snd_wnd, rcv_wnd;          /* bytes */
    uint32_t cwnd, ssthresh;            /* bytes */
    uint32_t mss;                       /* effective send MSS */
    uint64_t srtt_ns, rttvar_ns, rto_ns;
    uint8_t snd_wscale, rcv_wscale;
    bool sack_ok, ts_ok;
    bool in_recovery;
    uint32_t retransmits;      /* segments sent again, any cause */
    uint32_t timeouts;         /* RTO expiries */
    uint32_t fast_retransmits; /* recoveries entered on duplicate ACKs or SACK */
    uint32_t dup_acks_rcvd;
    uint32_t ooseq_segs;       /* segments waiting in the out-of-order queue */
    uint64_t bytes_acked;      /* payload acknowledged by the peer */
    uint64_t bytes_received;   /* payload delivered in order to the application */
    size_t unsent_bytes, unacked_bytes;
};
void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_info *out);

/* State of the connection with this 4-tuple, TCP_CLOSED when there is none
 * (for hosts that keep watching a connection after tcp_close()). */
enum tcp_state tcp_lookup_state(struct stack *s, const ip_addr_t *local_ip, uint16_t local_port,
                                const ip_addr_t *remote_ip, uint16_t remote_port);

/* From ip4_input: p's payload is the TCP header. Takes p. */
void tcp_input(struct pbuf *p, const struct ip4_rx_info *info);

#endif
