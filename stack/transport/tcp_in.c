/*
 * TCP input: a segment's way through the state machine, in the order of
 * RFC 9293 3.10.7 ("SEGMENT ARRIVES"), with the RFC 5961 defences, PAWS
 * (RFC 7323 5), SACK scoreboard updates and the out-of-order queue.
 */
#include <string.h>

#include "shoal/tcp.h"
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "transport/tcp_priv.h"
#include "transport/ip_pcb.h"
#include "shoal/ip6.h"
#include "ipv6/ip6_upper.h"
#include "ipv6/nd6_priv.h"

/* What one arriving segment is, once its header is checked. */
struct seg_in {
    struct tcp_repr r;
    struct pbuf *p;   /* payload; NULL once handed on or freed */
    uint32_t len;     /* payload bytes */
};

/* The addresses that carried a segment, whichever the family. Link-local
 * IPv6 addresses carry their zone (the receiving netif). */
struct tcp_rx {
    ip_addr_t src, dst;
};

static uint32_t seg_seqlen(const struct seg_in *in)
{
    return in->len + ((in->r.flags & TCP_SYN) ? 1u : 0u) + ((in->r.flags & TCP_FIN) ? 1u : 0u);
}

static uint64_t two_msl_ns(const struct stack *s) { return 2u * (uint64_t)s->cfg.tcp_msl_ms * SHOAL_NS_PER_MS; }

/* Drop the first n payload bytes; returns the (possibly new) pbuf or NULL. */
static struct pbuf *trim_front(struct stack *s, struct pbuf *p, size_t n)
{
    if (n == 0) return p;
    if (n <= p->len) {
        pbuf_remove_header(p, n);
        return p;
    }
    struct pbuf *q = pbuf_alloc(s, PBUF_RAW, p->tot_len - n);
    if (q != NULL) {
        size_t off = 0;
        for (struct pbuf *r = q; r != NULL; r = r->next) {
            pbuf_copy_partial(p, r->payload, r->len, n + off);
            off += r->len;
        }
    }
    pbuf_free(p);
    return q;
}

/* ---- RST for segments that belong to no connection (RFC 9293 3.10.7.1) ---- */

static void reset_closed(struct stack *s, const struct tcp_rx *info, const struct seg_in *in)
{
    if (in->r.flags & TCP_RST) return;
    if (in->r.flags & TCP_ACK)
        tcp_send_rst(s, &info->dst, &info->src, in->r.dst_port, in->r.src_port, in->r.ack, 0, false);
    else
        tcp_send_rst(s, &info->dst, &info->src, in->r.dst_port, in->r.src_port, 0,
                     in->r.seq + seg_seqlen(in), true);
}

/* ---- options from a SYN (RFC 9293 3.7.1, RFC 7323 1.3, RFC 2018 2) ---- */

static void take_syn_options(struct tcp_pcb *pcb, const struct tcp_repr *r)
{
    const struct stack_config *c = &pcb->stack->cfg;
    uint32_t peer_mss = r->has_mss && r->mss > 0 ? r->mss : tcp_default_mss(pcb);
    pcb->mss = (uint16_t)SHOAL_MAX(64u, SHOAL_MIN(peer_mss, (uint32_t)pcb->rcv_mss));
    pcb->wscale_ok = c->tcp_wscale && r->has_ws;
    /* RFC 7323 2.3: a shift over 14 is taken as 14. */
    pcb->snd_wscale = pcb->wscale_ok ? (uint8_t)SHOAL_MIN(r->ws, TCP_MAX_WSCALE) : 0;
    if (!pcb->wscale_ok) pcb->rcv_wscale = 0;
    pcb->sack_ok = c->tcp_sack && r->sack_perm;
    pcb->ts_ok = c->tcp_timestamps && r->has_ts;
    if (pcb->ts_ok) pcb->ts_recent = r->ts_val;
    tcp_cc_init(pcb);
}

/* ---- LISTEN (RFC 9293 3.10.7.2) ---- */

static void listen_input(struct tcp_pcb *lpcb, const struct tcp_rx *info, struct seg_in *in)
{
    struct stack *s = lpcb->stack;
    if (in->r.flags & TCP_RST) return;
    if (in->r.flags & TCP_ACK) {
        tcp_send_rst(s, &info->dst, &info->src, in->r.dst_port, in->r.src_port, in->r.ack, 0, false);
        return;
    }
    if (!(in->r.flags & TCP_SYN)) return;
    struct tcp_pcb *pcb = tcp_listen_input_new(lpcb, &info->dst, &info->src, in->r.src_port);
    if (pcb == NULL) {
        STATS_DROP(s, STATS_TCP, memerr);
        return;
    }
    pcb->irs = in->r.seq;
    pcb->rcv_nxt = in->r.seq + 1u;
    pcb->rcv_adv = pcb->rcv_nxt;
    pcb->last_ack_sent = pcb->rcv_nxt;
    take_syn_options(pcb, &in->r);
    pcb->snd_wnd = in->r.wnd; /* never scaled in a SYN (RFC 7323 2.2) */
    pcb->max_snd_wnd = pcb->snd_wnd;
    pcb->snd_wl1 = in->r.seq;
    pcb->snd_wl2 = pcb->iss;
    /* Data on the SYN is not kept: the peer sends it again once we are synchronized. */
    tcp_set_state(pcb, TCP_SYN_RCVD);
    if (tcp_enqueue_flags(pcb, TCP_SYN) != ERR_OK) {
        tcp_pcb_free(pcb);
        return;
    }
    tcp_output(pcb);
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ---- */

static void syn_sent_input(struct tcp_pcb *pcb, const struct tcp_rx *info, struct seg_in *in)
{
    struct stack *s = pcb->stack;
    const struct tcp_repr *r = &in->r;
    bool ack_ok = false;
    if (r->flags & TCP_ACK) {
        if (seq_leq(r->ack, pcb->iss) || seq_gt(r->ack, pcb->snd_max)) {
            if (!(r->flags & TCP_RST))
                tcp_send_rst(s, &info->dst, &info->src, r->dst_port, r->src_port, r->ack, 0, false);
            return;
        }
        ack_ok = true;
    }
    if (r->flags & TCP_RST) {
        if (ack_ok) tcp_enter_closed(pcb, ERR_RST); /* connection refused */
        return;
    }
    if (!(r->flags & TCP_SYN)) return;
    pcb->irs = r->seq;
    pcb->rcv_nxt = r->seq + 1u;
    pcb->rcv_adv = pcb->rcv_nxt;
    bool syn_retransmitted = pcb->unacked != NULL && pcb->unacked->rtx_count > 0;
    take_syn_options(pcb, r);
    pcb->snd_wnd = r->wnd;
    pcb->max_snd_wnd = pcb->snd_wnd;
    pcb->snd_wl1 = r->seq;
    pcb->snd_wl2 = r->ack;
    if (!ack_ok) {
        /* Simultaneous open: SYN-RECEIVED, and our SYN goes again with an ACK. */
        tcp_set_state(pcb, TCP_SYN_RCVD);
        if (pcb->unacked != NULL) tcp_send_seg(pcb, pcb->unacked, true);
        return;
    }
    /* Our SYN is acknowledged. */
    uint64_t now = stack_now(s);
    if (pcb->rtt_timing && !syn_retransmitted) tcp_rtt_sample(pcb, now - pcb->rtt_start_ns);
    pcb->rtt_timing = false;
    /* RFC 6298 5.7: after a lost SYN the initial window is one segment, and
     * an RTO below 3 s goes back to 3 s. */
    if (syn_retransmitted) {
        pcb->cwnd = pcb->mss;
        if (pcb->rto_ns < 3u * SHOAL_NS_PER_S) pcb->rto_ns = 3u * SHOAL_NS_PER_S;
    }
    struct tcp_seg *syn = pcb->unacked;
    if (syn != NULL) {
        pcb->unacked = syn->next;
        pcb->unacked_tail = NULL;
        tcp_seg_free(s, syn);
    }
    pcb->snd_una = r->ack;
    if (seq_lt(pcb->snd_nxt, r->ack)) pcb->snd_nxt = r->ack;
    pcb->rtx_at = SHOAL_TIME_NEVER;
    tcp_set_state(pcb, TCP_ESTABLISHED);
    tcp_resegment_unsent(pcb); /* written before the MSS was known */
    if (pcb->flags & TF_KEEPALIVE) pcb->keep_at = now + (uint64_t)pcb->keep_idle_ms * SHOAL_NS_PER_MS;
    pcb->flags |= TF_ACK_NOW;
    if (pcb->connected != NULL) pcb->connected(pcb->arg, pcb, ERR_OK);
}

/* ---- the out-of-order queue ---- */

static void ooseq_insert(struct tcp_pcb *pcb, struct seg_in *in)
{
    struct stack *s = pcb->stack;
    uint32_t seq = in->r.seq, end = in->r.seq + seg_seqlen(in);
    pcb->sack_recent_left = seq;
    struct tcp_seg **pp = &pcb->ooseq;
    while (*pp != NULL && seq_leq((*pp)->seq + tcp_seg_seqlen(*pp), seq)) pp = &(*pp)->next;
    /* Already held entirely: nothing new. */
    if (*pp != NULL && seq_leq((*pp)->seq, seq) && seq_leq(end, (*pp)->seq + tcp_seg_seqlen(*pp))) {
        pcb->sack_recent_left = (*pp)->seq;
        (*pp)->arrival = ++pcb->ooseq_arrivals;
        return;
    }
    /* Keep it simple and safe: a segment overlapping a held one is not kept
     * (the sender will fill the gap again); only clean fits go in. */
    if (*pp != NULL && seq_lt((*pp)->seq, end)) {
        s->stats.tcp_ooseq_dropped++;
        return;
    }
    /* Bounded per connection, and across the instance to a quarter of the
     * pbuf pool, so that held segments can never starve reception (the
     * segment that fills the gap must still be receivable). */
    if (pcb->ooseq_count >= s->cfg.tcp_ooseq_max || s->tcp_ooseq_total >= s->cfg.pbuf_count / 4u) {
        s->stats.tcp_ooseq_dropped++;
        return;
    }
    struct tcp_seg *seg = pool_alloc(&s->pools[POOL_TCP_SEG]);
    if (seg == NULL) {
        s->stats.tcp_ooseq_dropped++;
        return;
    }
    memset(seg, 0, sizeof(*seg));
    seg->p = in->p;
    in->p = NULL;
    seg->seq = seq;
    seg->len = in->len;
    seg->flags = (uint8_t)(in->r.flags & TCP_FIN);
    seg->arrival = ++pcb->ooseq_arrivals;
    seg->next = *pp;
    *pp = seg;
    pcb->ooseq_count++;
    s->tcp_ooseq_total++;
}

/* ---- delivery ---- */

static void deliver(struct tcp_pcb *pcb, struct pbuf *p, uint32_t len)
{
    pcb->rcv_nxt += len;
    pcb->bytes_received += len;
    pcb->rcv_unread += len;
    if (pcb->recv != NULL) {
        pcb->recv(pcb->arg, pcb, p, ERR_OK);
    } else {
        pbuf_free(p);
        pcb->rcv_unread -= len;
    }
}

/* Our FIN is acknowledged once everything up to snd_lbb is. */
static bool our_fin_acked(const struct tcp_pcb *pcb)
{
    return (pcb->flags & TF_FIN_QUEUED) && pcb->snd_una == pcb->snd_lbb;
}

static void enter_time_wait(struct tcp_pcb *pcb)
{
    tcp_set_state(pcb, TCP_TIME_WAIT);
    tcp_pcb_purge(pcb);
    pcb->rtx_at = pcb->persist_at = pcb->keep_at = pcb->delack_at = pcb->poll_at = SHOAL_TIME_NEVER;
    pcb->close_at = stack_now(pcb->stack) + two_msl_ns(pcb->stack);
}

static void fin_received(struct tcp_pcb *pcb)
{
    pcb->rcv_nxt += 1u;
    pcb->flags |= TF_FIN_RCVD | TF_ACK_NOW;
    switch (pcb->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED: tcp_set_state(pcb, TCP_CLOSE_WAIT); break;
    case TCP_FIN_WAIT_1:
        if (our_fin_acked(pcb))
            enter_time_wait(pcb);
        else
            tcp_set_state(pcb, TCP_CLOSING);
        break;
    case TCP_FIN_WAIT_2: enter_time_wait(pcb); break;
    default: break;
    }
    if (pcb->recv != NULL) pcb->recv(pcb->arg, pcb, NULL, ERR_OK);
}

/* In-order data, then whatever the out-of-order queue now continues. */
static void receive_text(struct tcp_pcb *pcb, struct seg_in *in)
{
    struct stack *s = pcb->stack;
    bool had_ooseq = pcb->ooseq != NULL;
    bool fin = (in->r.flags & TCP_FIN) != 0;
    if (in->len > 0) {
        struct pbuf *p = in->p;
        in->p = NULL;
        deliver(pcb, p, in->len);
        if (pcb->state == TCP_CLOSED) return;
    }
    if (fin) {
        fin_received(pcb);
        return;
    }
    while (pcb->ooseq != NULL && seq_leq(pcb->ooseq->seq, pcb->rcv_nxt)) {
        struct tcp_seg *seg = pcb->ooseq;
        pcb->ooseq = seg->next;
        pcb->ooseq_count--;
        s->tcp_ooseq_total--;
        uint32_t end = seg->seq + seg->len;
        if (seq_gt(end, pcb->rcv_nxt)) {
            uint32_t skip = pcb->rcv_nxt - seg->seq;
            struct pbuf *p = trim_front(s, seg->p, skip);
            seg->p = NULL;
            if (p != NULL) deliver(pcb, p, seg->len - skip);
            if (pcb->state == TCP_CLOSED) {
                pool_free(&s->pools[POOL_TCP_SEG], seg);
                return;
            }
        }
        bool seg_fin = (seg->flags & TCP_FIN) != 0 && pcb->rcv_nxt == end;
        tcp_seg_free(s, seg);
        if (seg_fin) {
            fin_received(pcb);
            return;
        }
    }
    /* RFC 5681 4.2: ACK at once when a gap fills; otherwise at least every
     * second full segment, the rest delayed (RFC 1122 4.2.3.2). */
    if (had_ooseq || s->cfg.tcp_delack_ms == 0 || ++pcb->segs_unacked >= 2)
        pcb->flags |= TF_ACK_NOW;
    else
        pcb->flags |= TF_ACK_DELAY;
}

/* ---- ACK processing (RFC 9293 3.10.7.4, fifth check) ---- */

/* Drop acknowledged segments from the queue heads; returns payload bytes freed. */
static uint32_t release_acked(struct tcp_pcb *pcb, struct tcp_seg **head, uint32_t ack)
{
    struct stack *s = pcb->stack;
    uint32_t freed = 0;
    while (*head != NULL) {
        struct tcp_seg *seg = *head;
        uint32_t end = seg->seq + tcp_seg_seqlen(seg);
        if (seq_leq(end, ack)) {
            *head = seg->next;
            freed += seg->len;
            tcp_seg_free(s, seg);
            continue;
        }
        if (seq_lt(seg->seq, ack) && seg->len > 0 && !(seg->flags & TCP_SYN)) {
            /* Partly acknowledged (a window probe's byte, or a resend after an RTO). */
            uint32_t n = ack - seg->seq;
            if (n < seg->len) {
                seg->p = trim_front(s, seg->p, n);
                seg->sum_valid = false;
                seg->seq += n;
                seg->len -= n;
                freed += n;
            }
        }
        break;
    }
    return freed;
}

static bool process_ack(struct tcp_pcb *pcb, struct seg_in *in)
{
    struct stack *s = pcb->stack;
    const struct tcp_repr *r = &in->r;
    uint32_t ack = r->ack;
    uint64_t now = stack_now(s);

    /* RFC 5961 5.2: an ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] is
     * answered with an ACK and dropped. */
    uint32_t highest = pcb->probe_sent ? seq_max(pcb->snd_max, pcb->probe_end) : pcb->snd_max;
    if (seq_gt(ack, highest) || seq_lt(ack, pcb->snd_una - SHOAL_MAX(pcb->max_snd_wnd, 1u))) {
        tcp_send_challenge_ack(pcb);
        return false;
    }
    if (pcb->state == TCP_SYN_RCVD) {
        if (!seq_gt(ack, pcb->snd_una)) {
            tcp_send_rst(s, &pcb->local_ip, &pcb->remote_ip, pcb->local_port, pcb->remote_port, ack, 0, false);
            return false;
        }
        tcp_set_state(pcb, TCP_ESTABLISHED);
        pcb->snd_wnd = (uint32_t)r->wnd << pcb->snd_wscale;
        pcb->max_snd_wnd = SHOAL_MAX(pcb->max_snd_wnd, pcb->snd_wnd);
        pcb->snd_wl1 = r->seq;
        pcb->snd_wl2 = ack;
        if (pcb->flags & TF_KEEPALIVE) pcb->keep_at = now + (uint64_t)pcb->keep_idle_ms * SHOAL_NS_PER_MS;
        /* Hand it to the application before its data is processed, so that
         * the accept callback can install the recv callback first. */
        if (pcb->listener != NULL)
            tcp_accept_child(pcb);
        else if (pcb->connected != NULL)
            pcb->connected(pcb->arg, pcb, ERR_OK); /* simultaneous open completed */
        if (pcb->state == TCP_CLOSED) return false;
    }
    pcb->persist_unanswered = 0; /* the peer answers */
    if (pcb->sack_ok && r->sack_count > 0) tcp_sack_update_scoreboard(pcb, r);

    uint32_t scaled_wnd = (uint32_t)r->wnd << pcb->snd_wscale;
    if (seq_gt(ack, pcb->snd_una)) {
        if (pcb->rtt_timing && seq_gt(ack, pcb->rtt_seq)) {
            tcp_rtt_sample(pcb, now - pcb->rtt_start_ns);
            pcb->rtt_timing = false;
        }
        uint32_t freed = release_acked(pcb, &pcb->unacked, ack);
        if (pcb->unacked == NULL) pcb->unacked_tail = NULL;
        freed += release_acked(pcb, &pcb->unsent, ack);
        if (pcb->unsent == NULL) pcb->unsent_tail = NULL;
        pcb->snd_una = ack;
        /* RFC 4861 7.3.1: new data acknowledged confirms the neighbor is reachable. */
        if (ip_pcb_is_v6(&pcb->remote_ip)) nd6_reachability_hint(pcb->stack, ip_2_ip6(&pcb->remote_ip));
        if (seq_lt(pcb->snd_nxt, ack)) pcb->snd_nxt = ack;
        if (seq_lt(pcb->snd_max, ack)) pcb->snd_max = ack; /* a window probe's octet got in */
        if (pcb->probe_sent && seq_geq(ack, pcb->probe_end)) pcb->probe_sent = false;
        pcb->snd_queued = pcb->snd_queued >= freed ? pcb->snd_queued - freed : 0;
        pcb->bytes_acked += freed;
        /* Only data grows the window: the SYN's and FIN's octets do not
         * (RFC 5681 3.1, RFC 3390 1: the handshake leaves IW as it is). */
        tcp_cc_on_ack(pcb, freed, ack);
        /* RFC 6298 5.2 / 5.3 */
        pcb->rtx_at = pcb->unacked == NULL ? SHOAL_TIME_NEVER : now + pcb->rto_ns;
        pcb->persist_backoff = 0;
        if (freed > 0 && pcb->sent != NULL) {
            pcb->flags |= TF_IN_INPUT;
            pcb->sent(pcb->arg, pcb, freed);
        }
        if (pcb->state == TCP_CLOSED) return false;
    } else if (ack == pcb->snd_una && in->len == 0 && !(r->flags & (TCP_SYN | TCP_FIN)) &&
               pcb->snd_max != pcb->snd_una && (scaled_wnd == pcb->snd_wnd || r->sack_count > 0)) {
        /* RFC 5681 2: a duplicate acknowledgment. */
        tcp_cc_on_dupack(pcb);
    }
    /* Window update (RFC 9293 3.10.7.4: SND.WL1 / SND.WL2 guard old segments). */
    if (seq_lt(pcb->snd_wl1, r->seq) || (pcb->snd_wl1 == r->seq && seq_leq(pcb->snd_wl2, ack))) {
        pcb->snd_wnd = scaled_wnd;
        pcb->snd_wl1 = r->seq;
        pcb->snd_wl2 = ack;
        pcb->max_snd_wnd = SHOAL_MAX(pcb->max_snd_wnd, scaled_wnd);
    }

    switch (pcb->state) {
    case TCP_FIN_WAIT_1:
        if (our_fin_acked(pcb)) {
            tcp_set_state(pcb, TCP_FIN_WAIT_2);
            /* An orphaned FIN-WAIT-2 does not wait for the peer forever. */
            if (pcb->flags & TF_CLOSED_BY_APP) pcb->close_at = now + two_msl_ns(s);
        }
        break;
    case TCP_CLOSING:
        if (our_fin_acked(pcb)) enter_time_wait(pcb);
        break;
    case TCP_LAST_ACK:
        if (our_fin_acked(pcb)) {
            tcp_enter_closed(pcb, ERR_OK);
            return false;
        }
        break;
    default: break;
    }
    return true;
}

/* ---- synchronized states ---- */

static bool seq_acceptable(const struct tcp_pcb *pcb, const struct seg_in *in)
{
    uint32_t wnd = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
    uint32_t len = seg_seqlen(in), seq = in->r.seq;
    /* RFC 9293 3.10.7.4, the four cases. */
    if (len == 0) {
        if (wnd == 0) return seq == pcb->rcv_nxt;
        return seq_leq(pcb->rcv_nxt, seq) && seq_lt(seq, pcb->rcv_nxt + wnd);
    }
    if (wnd == 0) return false;
    uint32_t last = seq + len - 1u;
    return (seq_leq(pcb->rcv_nxt, seq) && seq_lt(seq, pcb->rcv_nxt + wnd)) ||
           (seq_leq(pcb->rcv_nxt, last) && seq_lt(last, pcb->rcv_nxt + wnd));
}

static void established_input(struct tcp_pcb *pcb, struct seg_in *in)
{
    struct stack *s = pcb->stack;
    struct tcp_repr *r = &in->r;

    /* A retransmitted SYN while we wait in SYN-RECEIVED: our SYN-ACK went missing. */
    if (pcb->state == TCP_SYN_RCVD && (r->flags & TCP_SYN) && !(r->flags & TCP_ACK) && r->seq == pcb->irs) {
        if (pcb->unacked != NULL) tcp_send_seg(pcb, pcb->unacked, true);
        return;
    }
    /* Simultaneous open (RFC 9293 figure 8, line 6): the peer's SYN,ACK repeats
     * its SYN, which we already hold; its ACK of our SYN completes the
     * handshake, so take it as that ACK. */
    if (pcb->state == TCP_SYN_RCVD && (r->flags & TCP_SYN) && (r->flags & TCP_ACK) && r->seq == pcb->irs &&
        seq_gt(r->ack, pcb->snd_una) && seq_leq(r->ack, pcb->snd_max)) {
        r->flags &= (uint8_t)~TCP_SYN;
        r->seq += 1u;
    }
        /* RFC 7323 3.2: once timestamps are in use, a segment without one
     * (other than a RST) is dropped silently. */
    if (pcb->ts_ok && !r->has_ts && !(r->flags & TCP_RST) && pcb->state != TCP_SYN_RCVD) {
        STATS_DROP(s, STATS_TCP, opterr);
        return;
    }
    /* RFC 7323 5.3: PAWS, before the sequence check. */
    if (pcb->ts_ok && r->has_ts && !(r->flags & TCP_RST) && (int32_t)(r->ts_val - pcb->ts_recent) < 0) {
        tcp_ack_now(pcb);
        STATS_INC(s, STATS_TCP, drop);
        return;
    }
    /* RFC 9293 3.10.7.4: with our window at zero no data is acceptable, but
     * the ACK (and RST) of a segment at RCV.NXT still counts: keep the
     * header, drop the text, and answer with the (still zero) window. */
    if (seq_leq(pcb->rcv_adv, pcb->rcv_nxt) && r->seq == pcb->rcv_nxt && (in->len > 0 || (r->flags & TCP_FIN))) {
        if (in->p != NULL) pbuf_free(in->p);
        in->p = NULL;
        in->len = 0;
        r->flags &= (uint8_t)~TCP_FIN;
        pcb->flags |= TF_ACK_NOW;
    }
    /* First: the sequence number. */
    if (!seq_acceptable(pcb, in)) {
        if (!(r->flags & TCP_RST)) {
            if (pcb->state == TCP_TIME_WAIT && (r->flags & TCP_FIN))
                pcb->close_at = stack_now(s) + two_msl_ns(s); /* the peer lost our ACK of its FIN */
            pcb->flags |= TF_ACK_NOW;
        }
        return;
    }
    /* RFC 7323 4.3: remember the timestamp to echo. */
    if (pcb->ts_ok && r->has_ts && seq_leq(r->seq, pcb->last_ack_sent)) pcb->ts_recent = r->ts_val;
    /* Second: RST (RFC 5961 3.2). RFC 1337: TIME-WAIT ignores RSTs, so an
     * old duplicate cannot cut the wait short. */
    if ((r->flags & TCP_RST) && pcb->state == TCP_TIME_WAIT) return;
    if (r->flags & TCP_RST) {
        if (r->seq != pcb->rcv_nxt) {
            tcp_send_challenge_ack(pcb);
            return;
        }
        if (pcb->state == TCP_SYN_RCVD && pcb->listener != NULL) {
            tcp_pcb_free(pcb); /* back to LISTEN for the listener */
            return;
        }
        tcp_enter_closed(pcb, ERR_RST);
        return;
    }
    /* Fourth: a SYN in a synchronized state (RFC 5961 4.2). */
    if (r->flags & TCP_SYN) {
        tcp_send_challenge_ack(pcb);
        return;
    }
    /* Fifth: the ACK. */
    if (!(r->flags & TCP_ACK)) return;
    if (!process_ack(pcb, in)) return;
    if (pcb->state == TCP_CLOSED || pcb->state == TCP_TIME_WAIT) {
        if (pcb->state == TCP_TIME_WAIT && (r->flags & TCP_FIN)) pcb->flags |= TF_ACK_NOW;
        return;
    }
    /* Sixth: URG. Urgent data is delivered inline as ordinary data (RFC 6093
     * recommends not relying on it); the pointer is only bounds-checked. */

    /* Seventh: segment text. */
    if (in->len == 0 && !(r->flags & TCP_FIN)) return;
    if (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_FIN_WAIT_1 && pcb->state != TCP_FIN_WAIT_2) {
        return; /* CLOSE-WAIT, CLOSING, LAST-ACK: the peer already sent its FIN */
    }
    if ((pcb->flags & TF_RX_CLOSED) && in->len > 0) {
        /* Data for an application that closed: reset (RFC 9293 3.10.7.4, RFC 1122 4.2.2.13). */
        tcp_rst_pcb(pcb);
        tcp_enter_closed(pcb, ERR_RST);
        return;
    }
    /* Trim what we already have and what is beyond the window. */
    if (seq_lt(r->seq, pcb->rcv_nxt)) {
        uint32_t dup = pcb->rcv_nxt - r->seq;
        if (dup >= in->len) {
            dup = in->len;
        }
        if (in->p != NULL && dup > 0) in->p = trim_front(s, in->p, dup);
        in->len -= dup;
        r->seq += dup;
        if (in->len > 0 && in->p == NULL) return; /* out of memory while trimming */
    }
    uint32_t right = pcb->rcv_adv;
    if (seq_gt(r->seq + in->len, right)) {
        uint32_t keep = seq_gt(right, r->seq) ? right - r->seq : 0;
        if (in->p != NULL) pbuf_realloc(in->p, keep);
        in->len = keep;
        r->flags &= (uint8_t)~TCP_FIN;
    }
    if (in->len == 0 && !(r->flags & TCP_FIN)) {
        pcb->flags |= TF_ACK_NOW;
        return;
    }
    if (r->seq == pcb->rcv_nxt) {
        receive_text(pcb, in);
    } else {
        ooseq_insert(pcb, in);
        pcb->flags |= TF_ACK_NOW; /* RFC 5681 4.2: a duplicate ACK at once */
    }
}

/* ---- entry ---- */

static struct tcp_pcb *find_pcb(struct stack *s, const struct tcp_rx *rx, const struct tcp_repr *r)
{
    bool v6 = ip_pcb_is_v6(&rx->dst);
    struct tcp_pcb *listener = NULL;
    for (struct tcp_pcb *pcb = s->tcp_pcbs; pcb != NULL; pcb = pcb->next) {
        if (pcb->local_port != r->dst_port) continue;
        if (pcb->state == TCP_LISTEN) {
            if (listener == NULL && ip_pcb_family_ok(&pcb->local_ip, v6) && ip_pcb_local_eq(&pcb->local_ip, &rx->dst))
                listener = pcb;
            continue;
        }
        if (pcb->state == TCP_CLOSED) continue;
        if (pcb->remote_port == r->src_port && ip_pcb_addr_eq(&pcb->remote_ip, &rx->src) &&
            ip_pcb_addr_eq(&pcb->local_ip, &rx->dst))
            return pcb;
    }
    return listener;
}

/* A segment whose checksum was verified: header, then the state machine. */
static void tcp_input_checked(struct stack *s, struct pbuf *p, size_t hlen, const struct tcp_rx *rx)
{
    struct seg_in in;
    const uint8_t *h = pbuf_contig(p, hlen);
    if (h == NULL) {
        STATS_DROP(s, STATS_TCP, lenerr);
        pbuf_free(p);
        return;
    }
    switch (tcp_parse(h, hlen, &in.r)) {
    case TCP_PARSE_OK: break;
    case TCP_PARSE_LEN: STATS_DROP(s, STATS_TCP, lenerr); pbuf_free(p); return;
    case TCP_PARSE_OPT: STATS_DROP(s, STATS_TCP, opterr); pbuf_free(p); return;
    }
    STATS_INC(s, STATS_TCP, recv);
    in.len = (uint32_t)(p->tot_len - hlen);
    pbuf_remove_header(p, hlen);
    in.p = p;

    struct tcp_pcb *pcb = find_pcb(s, rx, &in.r);
    if (pcb == NULL) {
        STATS_INC(s, STATS_TCP, drop);
        reset_closed(s, rx, &in);
    } else if (pcb->state == TCP_LISTEN) {
        listen_input(pcb, rx, &in);
    } else {
        pcb->flags |= TF_IN_INPUT;
        if (pcb->state == TCP_SYN_SENT)
            syn_sent_input(pcb, rx, &in);
        else
            established_input(pcb, &in);
        /* Any segment shows the peer is alive (RFC 1122 4.2.3.6). */
        if ((pcb->flags & TF_KEEPALIVE) && pcb->state != TCP_CLOSED && pcb->state != TCP_TIME_WAIT) {
            pcb->keep_sent = 0;
            pcb->keep_at = stack_now(s) + (uint64_t)pcb->keep_idle_ms * SHOAL_NS_PER_MS;
        }
        pcb->flags &= (uint16_t)~TF_IN_INPUT;
        if ((pcb->flags & TF_FREE_PENDING) || pcb->state == TCP_CLOSED)
            tcp_pcb_free(pcb);
        else
            tcp_output(pcb);
    }
    if (in.p != NULL) pbuf_free(in.p);
}

/* The data offset of the header at p, or 0 when it is not all there. */
static size_t header_len(struct pbuf *p)
{
    const uint8_t *h = pbuf_contig(p, TCP_HDR_LEN);
    size_t hlen = h != NULL ? (size_t)(h[12] >> 4) * 4u : 0;
    if (h == NULL || hlen < TCP_HDR_LEN || hlen > p->len) return 0;
    return hlen;
}

void tcp_input(struct pbuf *p, const struct ip4_rx_info *info)
{
    struct stack *s = info->netif->stack;
    /* RFC 9293 3.9.1 / RFC 1122 4.2.3.10: no TCP to broadcast or multicast. */
    if (info->dst_broadcast || info->dst_multicast) {
        STATS_DROP(s, STATS_TCP, proterr);
        pbuf_free(p);
        return;
    }
    size_t hlen = header_len(p);
    if (hlen == 0) {
        STATS_DROP(s, STATS_TCP, lenerr);
        pbuf_free(p);
        return;
    }
    if (inet_chksum_pseudo(p, IP_PROTO_TCP, p->tot_len, &info->ip.src, &info->ip.dst, p->tot_len) != 0) {
        STATS_DROP(s, STATS_TCP, chkerr);
        pbuf_free(p);
        return;
    }
    struct tcp_rx rx = {.src = ip_addr_from_ip4(info->ip.src), .dst = ip_addr_from_ip4(info->ip.dst)};
    tcp_input_checked(s, p, hlen, &rx);
}

void tcp_input_ip6(struct pbuf *p, const struct ip6_rx_info *info)
{
    if (!SHOAL_IPV6) {
        pbuf_free(p);
        return;
    }
    struct stack *s = info->netif->stack;
    /* RFC 9293 3.9.1: TCP is unicast only. */
    if (info->dst_multicast) {
        STATS_DROP(s, STATS_TCP, proterr);
        pbuf_free(p);
        return;
    }
    size_t hlen = header_len(p);
    if (hlen == 0) {
        STATS_DROP(s, STATS_TCP, lenerr);
        pbuf_free(p);
        return;
    }
    /* RFC 8200 8.1: the pseudo header with 128-bit addresses. */
    if (inet_chksum_pseudo6(p, IP6_NH_TCP, p->tot_len, &info->ip.src, &info->ip.dst, p->tot_len) != 0) {
        STATS_DROP(s, STATS_TCP, chkerr);
        pbuf_free(p);
        return;
    }
    struct tcp_rx rx = {.src = ip_addr_from_ip6(&info->ip.src), .dst = ip_addr_from_ip6(&info->ip.dst)};
    tcp_input_checked(s, p, hlen, &rx);
}
