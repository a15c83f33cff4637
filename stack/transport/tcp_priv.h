/*
 * TCP internals shared by tcp.c (API, PCBs, timers), tcp_in.c (segment
 * arrival, RFC 9293 3.10.7), tcp_out.c (segment transmission), tcp_cc.c (RTO
 * estimation, congestion control, SACK loss recovery) and tcp_wire.c (header
 * and option parsing and emission).
 */
#ifndef SHOAL_TCP_PRIV_H
#define SHOAL_TCP_PRIV_H

#include "shoal/tcp.h"
#include "shoal/timer.h"
#include "shoal/ip_addr.h"

struct netif;

#define TCP_HDR_LEN 20u
#define TCP_MAX_OPT_LEN 40u

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u
#define TCP_URG 0x20u
#define TCP_ECE 0x40u
#define TCP_CWR 0x80u

#define TCP_OPT_EOL 0u
#define TCP_OPT_NOP 1u
#define TCP_OPT_MSS 2u
#define TCP_OPT_WS 3u
#define TCP_OPT_SACK_PERM 4u
#define TCP_OPT_SACK 5u
#define TCP_OPT_TS 8u

#define TCP_MAX_SACK_BLOCKS 4u
#define TCP_MAX_WSCALE 14u /* RFC 7323 2.3 */
#define TCP_DEFAULT_MSS 536u /* RFC 9293 3.7.1: without the option */

/* Sequence number comparisons modulo 2^32 (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_gt(a, b) ? a : b; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

struct tcp_sack_block {
    uint32_t left;  /* first sequence number of the block */
    uint32_t right; /* sequence number after the block */
};

/* Validated view of a TCP header and its options. */
struct tcp_repr {
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t hdr_len;   /* data offset in bytes */
    uint8_t flags;
    uint16_t wnd;      /* as on the wire (unscaled) */
    uint16_t checksum;
    uint16_t urg_ptr;
    /* options */
    bool has_mss, has_ws, sack_perm, has_ts;
    uint16_t mss;
    uint8_t ws;
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count;
    struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
};

enum tcp_parse_result { TCP_PARSE_OK, TCP_PARSE_LEN, TCP_PARSE_OPT };
/* Header and options from `len` contiguous bytes (no checksum check). */
enum tcp_parse_result tcp_parse(const uint8_t *p, size_t len, struct tcp_repr *out);
/* Options to put in an outgoing segment. */
struct tcp_out_opts {
    bool mss, ws, sack_perm, ts;
    uint16_t mss_val;
    uint8_t ws_val;
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count;
    struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
};
/* Bytes the options take (a multiple of 4, at most 40). */
size_t tcp_opts_len(const struct tcp_out_opts *o);
/* Header (20 bytes + options) into p; checksum left 0. */
void tcp_emit(const struct tcp_repr *r, const struct tcp_out_opts *o, uint8_t *p);

/* A segment on the send queues or the out-of-order queue. */
struct tcp_seg {
    struct tcp_seg *next;
    struct pbuf *p;      /* payload (PBUF_TRANSPORT headroom), NULL when none */
    uint32_t seq;
    uint32_t len;        /* payload bytes */
    uint8_t flags;       /* TCP_SYN / TCP_FIN / TCP_PSH carried by this segment */
    bool sacked;         /* RFC 6675 scoreboard: the peer holds it */
    bool lost;           /* deemed lost: to be (or being) retransmitted */
    bool rtx_in_recovery;/* retransmitted during the current recovery */
    uint8_t rtx_count;
    bool sum_valid;      /* `sum` is the payload's partial checksum */
    uint32_t sum;
    union {
        uint64_t sent_ns;  /* send queues: when it last went out */
        uint64_t arrival;  /* out-of-order queue: arrival number, for SACK recency */
    };
};
/* Payload bytes in a full-sized segment: the MSS less fixed options. */
static inline uint32_t tcp_full_seg(const struct tcp_pcb *pcb);
static inline uint32_t tcp_seg_seqlen(const struct tcp_seg *s)
{
    return s->len + ((s->flags & TCP_SYN) ? 1u : 0u) + ((s->flags & TCP_FIN) ? 1u : 0u);
}

#define TF_ACK_NOW 0x0001u    /* send an ACK at the next output */
#define TF_ACK_DELAY 0x0002u  /* an ACK is owed, delayed */
#define TF_NODELAY 0x0004u    /* Nagle off */
#define TF_FIN_QUEUED 0x0008u /* the application closed its sending side */
#define TF_RX_CLOSED 0x0010u  /* the application will read no more */
#define TF_CLOSED_BY_APP 0x0020u /* tcp_close() was called: the stack frees the PCB */
#define TF_FIN_RCVD 0x0040u   /* the peer's FIN was processed */
#define TF_KEEPALIVE 0x0080u
#define TF_IN_INPUT 0x0100u   /* input or a timer is working on this PCB: defer freeing */
#define TF_FREE_PENDING 0x0200u
#define TF_REUSEADDR 0x0400u    /* SO_REUSEADDR */

struct tcp_pcb {
    struct tcp_pcb *next;
    struct stack *stack;
    enum tcp_state state;
    ip_addr_t local_ip, remote_ip; /* local_ip's type is the PCB's family */
    uint16_t local_port, remote_port;
    uint16_t flags;

    void *arg;
    tcp_recv_fn recv;
    tcp_sent_fn sent;
    tcp_err_fn errf;
    tcp_accept_fn accept;
    tcp_connected_fn connected;
    tcp_poll_fn poll;
    uint32_t poll_interval_ms;

    /* passive open */
    struct tcp_pcb *listener;   /* for children not yet accepted */
    uint8_t backlog;
    uint8_t children;           /* SYN-RCVD + established-not-accepted */

    /* send sequence space (RFC 9293 3.3.1) */
    uint32_t iss, snd_una, snd_nxt, snd_lbb; /* snd_lbb: sequence of the next byte written */
    uint32_t snd_max;           /* highest sequence ever sent (snd_nxt goes back after an RTO) */
    uint32_t probe_end;         /* after a window probe's octet: ACKs up to here are fine */
    bool probe_sent;
    uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    size_t snd_queued;          /* payload bytes in unsent + unacked */
    /* receive sequence space */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge of the window we announced */
    uint32_t rcv_unread;        /* delivered to the application, not yet tcp_recved */
    uint32_t last_ack_sent;

    /* options */
    uint16_t mss;               /* effective send MSS */
    uint16_t rcv_mss;           /* what we announced */
    uint8_t snd_wscale, rcv_wscale;
    bool wscale_ok, sack_ok, ts_ok;
    uint32_t ts_recent;
    uint32_t ts_offset;         /* RFC 7323 5.4: per-connection random offset */

    /* queues */
    struct tcp_seg *unsent, *unsent_tail, *unacked, *ooseq;
    struct tcp_seg *unacked_tail; /* last of unacked, or NULL: unknown */
    uint32_t ooseq_count;
    uint32_t sack_recent_left;  /* block holding the latest out-of-order arrival */
    uint64_t ooseq_arrivals;    /* numbers out-of-order arrivals (tcp_seg.arrival) */

    /* RTT and RTO (RFC 6298) */
    uint64_t srtt_ns, rttvar_ns, rto_ns;
    bool rtt_valid, rtt_timing;
    uint32_t rtt_seq;
    uint64_t rtt_start_ns;
    uint8_t rtx_backoff;        /* consecutive RTO expiries */

    /* congestion control (RFC 5681, 6582, 6675, 3042) */
    uint32_t cwnd, ssthresh, ca_acked;
    uint8_t dupacks;
    bool in_recovery;
    uint32_t recover;           /* highest sequence sent when recovery began */

    /* timers: one stack timer, armed for the earliest of these */
    struct stack_timer timer;
    uint64_t rtx_at, persist_at, delack_at, keep_at, close_at, poll_at;
    uint8_t persist_backoff;
    uint8_t persist_unanswered; /* window probes with no ACK since */
    uint8_t keep_sent;
    uint32_t keep_idle_ms, keep_intvl_ms, keep_cnt;
    uint8_t segs_unacked;       /* full segments received since our last ACK */

    /* counters (struct tcp_info) */
    uint32_t n_retransmits, n_timeouts, n_fast_rtx, n_dupacks_rcvd;
    uint64_t bytes_acked, bytes_received;
};

static inline uint32_t tcp_full_seg(const struct tcp_pcb *pcb) { return pcb->mss - (pcb->ts_ok ? 12u : 0u); }
/* RFC 9293 3.7.1: the send MSS without the option, 536 over IPv4, 1220 over IPv6. */
#define TCP_DEFAULT_MSS6 1220u
static inline uint32_t tcp_default_mss(const struct tcp_pcb *pcb)
{
    return ip_addr_is_v6(&pcb->remote_ip) ? TCP_DEFAULT_MSS6 : TCP_DEFAULT_MSS;
}

/* tcp.c */
struct tcp_pcb *tcp_alloc_pcb(struct stack *s);
void tcp_pcb_purge(struct tcp_pcb *pcb);               /* free all segments */
void tcp_pcb_free(struct tcp_pcb *pcb);                /* unlist, purge, return to the pool */
void tcp_enter_closed(struct tcp_pcb *pcb, err_t err); /* notify err (if err != ERR_OK) and free */
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st);
void tcp_timer_update(struct tcp_pcb *pcb);
uint32_t tcp_isn(struct stack *s, const struct tcp_pcb *pcb);
uint16_t tcp_ephemeral_port(struct stack *s);
struct netif *tcp_route_netif(struct tcp_pcb *pcb);
uint16_t tcp_mss_for_route(struct tcp_pcb *pcb);
void tcp_seg_free(struct stack *s, struct tcp_seg *seg);
void tcp_accept_child(struct tcp_pcb *child);
void tcp_resegment_unsent(struct tcp_pcb *pcb);
void tcp_resegment_queued(struct tcp_pcb *pcb);
/* A SYN on a listener: a new PCB for SYN-RCVD (RFC 9293 3.10.7.2), or NULL. */
struct tcp_pcb *tcp_listen_input_new(struct tcp_pcb *lpcb, const ip_addr_t *local, const ip_addr_t *remote,
                                     uint16_t remote_port);
uint32_t tcp_rcv_wnd_avail(const struct tcp_pcb *pcb);

/* tcp_out.c */
err_t tcp_enqueue_flags(struct tcp_pcb *pcb, uint8_t flags); /* SYN or FIN as a segment */
void tcp_send_ack(struct tcp_pcb *pcb);
void tcp_ack_now(struct tcp_pcb *pcb);
/* A RST outside any connection (RFC 9293 3.10.7.1): seq/ack as given. */
void tcp_send_rst(struct stack *s, const ip_addr_t *src, const ip_addr_t *dst, uint16_t sport, uint16_t dport,
                  uint32_t seq, uint32_t ack, bool with_ack);
void tcp_rst_pcb(struct tcp_pcb *pcb);               /* RST for a synchronized connection */
void tcp_send_challenge_ack(struct tcp_pcb *pcb);     /* RFC 5961 7 (rate limited) */
err_t tcp_send_seg(struct tcp_pcb *pcb, struct tcp_seg *seg, bool retransmit);
void tcp_send_keepalive(struct tcp_pcb *pcb);
void tcp_send_window_probe(struct tcp_pcb *pcb);
uint32_t tcp_announce_wnd(struct tcp_pcb *pcb);

/* tcp_cc.c */
void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t rtt_ns);
void tcp_rto_backoff(struct tcp_pcb *pcb);
void tcp_cc_init(struct tcp_pcb *pcb);
void tcp_cc_on_ack(struct tcp_pcb *pcb, uint32_t acked, uint32_t ack);
void tcp_cc_on_dupack(struct tcp_pcb *pcb);
void tcp_cc_on_rto(struct tcp_pcb *pcb);
uint32_t tcp_flight_size(const struct tcp_pcb *pcb);
uint32_t tcp_pipe(const struct tcp_pcb *pcb);
void tcp_sack_update_scoreboard(struct tcp_pcb *pcb, const struct tcp_repr *r);
struct tcp_seg *tcp_sack_next_lost(struct tcp_pcb *pcb);
bool tcp_sack_is_lost(const struct tcp_pcb *pcb, const struct tcp_seg *seg);

#endif
