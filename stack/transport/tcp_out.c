/* TCP output: segments from the send queue as windows allow (RFC 9293 3.8,
 * Nagle and sender SWS avoidance 3.8.6.2.1), ACKs, RSTs, probes. */
#include <string.h>

#include "shoal/tcp.h"
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/inet_chksum.h"
#include "shoal/opt.h"
#include "core/stack_priv.h"
#include "transport/tcp_priv.h"
#include "transport/ip_pcb.h"
#include "shoal/ip6.h"

/* ---- the network layer, by the connection's family ---- */

/* Checksum from the data's partial sum and the pseudo header (RFC 9293
 * 3.1; RFC 8200 8.1 over IPv6). */
static uint16_t pseudo_sum(uint32_t data_sum, size_t len, const ip_addr_t *src, const ip_addr_t *dst)
{
    if (ip_pcb_is_v6(dst))
        return inet_chksum_pseudo6_sum(data_sum, IP6_NH_TCP, len, ip_2_ip6(src), ip_2_ip6(dst));
    return inet_chksum_pseudo_sum(data_sum, IP_PROTO_TCP, len, ip_2_ip4(src), ip_2_ip4(dst));
}

/* Checksum of the whole segment in p. */
static uint16_t pbuf_pseudo(const struct pbuf *p, const ip_addr_t *src, const ip_addr_t *dst)
{
    if (ip_pcb_is_v6(dst))
        return inet_chksum_pseudo6(p, IP6_NH_TCP, p->tot_len, ip_2_ip6(src), ip_2_ip6(dst), p->tot_len);
    return inet_chksum_pseudo(p, IP_PROTO_TCP, p->tot_len, ip_2_ip4(src), ip_2_ip4(dst), p->tot_len);
}

/* IPv4 with the instance's TTL; IPv6 with the netif's hop limit (0). p
 * stays the caller's. */
static err_t ip_send(struct stack *s, struct pbuf *p, const ip_addr_t *src, const ip_addr_t *dst)
{
    if (ip_pcb_is_v6(dst)) {
        struct ip_pcb_route6 rt;
        if (ip_pcb_route6(s, src, ip_2_ip6(dst), 0, 0, &rt) != ERR_OK) return ERR_RTE;
        return ip_pcb_output6(&rt, p, ip_2_ip6(dst), 0, 0, IP6_NH_TCP);
    }
    return ip4_output(s, p, ip_2_ip4(src), ip_2_ip4(dst), s->cfg.ip_default_ttl, 0, IP_PROTO_TCP);
}

static uint32_t ts_now(struct tcp_pcb *pcb)
{
    /* RFC 7323 5.4: a millisecond clock plus a random per-connection offset. */
    return (uint32_t)(stack_now(pcb->stack) / SHOAL_NS_PER_MS) + pcb->ts_offset;
}

uint32_t tcp_announce_wnd(struct tcp_pcb *pcb)
{
    uint32_t avail = tcp_rcv_wnd_avail(pcb);
    uint32_t edge = pcb->rcv_nxt + avail;
    /* RFC 9293 3.8.6.2.2: move the right edge only by a worthwhile amount,
     * and never back (RFC 9293 3.8.6: do not shrink the window). */
    uint32_t threshold = SHOAL_MIN(pcb->stack->cfg.tcp_wnd / 2u, (uint32_t)pcb->rcv_mss);
    if (seq_geq(edge, pcb->rcv_adv + threshold) || avail == pcb->stack->cfg.tcp_wnd || seq_lt(pcb->rcv_adv, pcb->rcv_nxt))
        pcb->rcv_adv = seq_max(edge, pcb->rcv_adv);
    uint32_t wnd = pcb->rcv_adv - pcb->rcv_nxt;
    uint8_t shift = pcb->wscale_ok ? pcb->rcv_wscale : 0;
    wnd >>= shift;
    return wnd > 0xffffu ? 0xffffu : wnd;
}

/* SACK blocks for an ACK (RFC 2018 4): the block holding the most recent
 * arrival first, then the others from the most recently changed one, so
 * that every block is repeated in several ACKs. */
static uint8_t fill_sack_blocks(const struct tcp_pcb *pcb, struct tcp_sack_block *out, uint8_t max)
{
    struct tcp_sack_block all[TCP_MAX_SACK_BLOCKS * 4];
    uint64_t recency[TCP_MAX_SACK_BLOCKS * 4];
    uint8_t n = 0;
    for (const struct tcp_seg *s = pcb->ooseq; s != NULL; s = s->next) {
        uint32_t left = s->seq, right = s->seq + tcp_seg_seqlen(s);
        if (n > 0 && all[n - 1].right == left) {
            all[n - 1].right = right;
            if (s->arrival > recency[n - 1]) recency[n - 1] = s->arrival;
        } else if (n < (uint8_t)(sizeof(all) / sizeof(all[0]))) {
            all[n] = (struct tcp_sack_block){left, right};
            recency[n] = s->arrival;
            n++;
        } else {
            break;
        }
    }
    uint8_t count = 0;
    bool used[TCP_MAX_SACK_BLOCKS * 4] = {false};
    while (count < max) {
        int best = -1;
        for (uint8_t i = 0; i < n; i++)
            if (!used[i] && (best < 0 || recency[i] > recency[best])) best = i;
        if (best < 0) break;
        used[best] = true;
        out[count++] = all[best];
    }
    return count;
}

static void fill_opts(struct tcp_pcb *pcb, uint8_t flags, bool has_data, struct tcp_out_opts *o)
{
    struct stack *s = pcb->stack;
    memset(o, 0, sizeof(*o));
    if (flags & TCP_SYN) {
        /* Active open: offer what is configured; SYN-ACK: only what the peer offered. */
        bool active = pcb->state == TCP_SYN_SENT || pcb->state == TCP_CLOSED;
        o->mss = true;
        o->mss_val = pcb->rcv_mss;
        o->ws = active ? s->cfg.tcp_wscale : pcb->wscale_ok;
        o->ws_val = pcb->rcv_wscale;
        o->sack_perm = active ? s->cfg.tcp_sack : pcb->sack_ok;
        o->ts = active ? s->cfg.tcp_timestamps : pcb->ts_ok;
    } else {
        o->ts = pcb->ts_ok;
        /* SACK blocks ride on pure ACKs only: data segments are sized to
         * the MSS less the fixed options (RFC 6691). */
        if (pcb->sack_ok && pcb->ooseq != NULL && !has_data)
            o->sack_count = fill_sack_blocks(pcb, o->sack, pcb->ts_ok ? 3 : 4);
    }
    if (o->ts) {
        o->ts_val = ts_now(pcb);
        o->ts_ecr = pcb->ts_recent;
    }
}

/* Prepend a header to p (payload, may be empty) and send it. */
static err_t send_segment(struct tcp_pcb *pcb, struct pbuf *payload, uint32_t seq, uint8_t flags,
                          const uint32_t *payload_sum)
{
    struct stack *s = pcb->stack;
    struct tcp_out_opts o;
    fill_opts(pcb, flags, payload != NULL && payload->tot_len > 0, &o);
    size_t hlen = TCP_HDR_LEN + tcp_opts_len(&o);
    struct pbuf *p = payload, *hdr = NULL;
    if (p == NULL || pbuf_add_header(p, hlen) != ERR_OK) {
        hdr = pbuf_alloc(s, PBUF_IP, hlen);
        if (hdr == NULL) {
            STATS_INC(s, STATS_TCP, memerr);
            return ERR_MEM;
        }
        if (payload != NULL) {
            pbuf_ref(payload);
            pbuf_cat(hdr, payload);
        }
        p = hdr;
    }
    bool syn = (flags & TCP_SYN) != 0;
    uint32_t wnd = tcp_announce_wnd(pcb);
    if (syn) wnd = SHOAL_MIN(pcb->stack->cfg.tcp_wnd, 0xffffu); /* RFC 7323 2.2: never scaled in a SYN */
    bool with_ack = !(syn && pcb->state == TCP_SYN_SENT) && !(flags & TCP_RST && pcb->state == TCP_SYN_SENT);
    struct tcp_repr r = {
        .src_port = pcb->local_port,
        .dst_port = pcb->remote_port,
        .seq = seq,
        .ack = with_ack ? pcb->rcv_nxt : 0,
        .flags = (uint8_t)(flags | (with_ack ? TCP_ACK : 0)),
        .wnd = (uint16_t)wnd,
    };
    uint8_t h[TCP_HDR_LEN + TCP_MAX_OPT_LEN];
    tcp_emit(&r, &o, h);
    pbuf_take(p, h, hlen);
    uint16_t sum;
    if (payload_sum != NULL && hdr == NULL) {
        /* The header (a multiple of 4 bytes) plus the payload's cached sum. */
        uint32_t hs = chksum_partial(h, hlen, 0);
        uint64_t t = (uint64_t)hs + *payload_sum;
        while (t >> 32) t = (t & 0xffffffffu) + (t >> 32);
        sum = pseudo_sum((uint32_t)t, p->tot_len, &pcb->local_ip, &pcb->remote_ip);
    } else {
        sum = pbuf_pseudo(p, &pcb->local_ip, &pcb->remote_ip);
    }
    uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(p, sb, 2, 16);
    err_t err = ip_send(s, p, &pcb->local_ip, &pcb->remote_ip);
    if (hdr != NULL)
        pbuf_free(hdr);
    else
        pbuf_remove_header(p, hlen);
    STATS_INC(s, STATS_TCP, xmit);
    if (with_ack) {
        pcb->flags &= (uint16_t)~(TF_ACK_NOW | TF_ACK_DELAY);
        pcb->delack_at = SHOAL_TIME_NEVER;
        pcb->last_ack_sent = pcb->rcv_nxt;
        pcb->segs_unacked = 0;
    }
    /* Traffic resets the keepalive idle time (RFC 1122 4.2.3.6). */
    return err;
}

err_t tcp_send_seg(struct tcp_pcb *pcb, struct tcp_seg *seg, bool retransmit)
{
    uint64_t now = stack_now(pcb->stack);
    if (retransmit) {
        seg->rtx_count++;
        pcb->n_retransmits++;
        if (pcb->rtt_timing && seq_leq(seg->seq, pcb->rtt_seq) && seq_lt(pcb->rtt_seq, seg->seq + tcp_seg_seqlen(seg)))
            pcb->rtt_timing = false; /* Karn's rule (RFC 6298 3) */
    } else if (!pcb->rtt_timing) {
        pcb->rtt_timing = true;
        pcb->rtt_seq = seg->seq;
        pcb->rtt_start_ns = now;
    }
    seg->sent_ns = now;
    err_t err = send_segment(pcb, seg->p, seg->seq, (uint8_t)(seg->flags & (TCP_SYN | TCP_FIN | TCP_PSH)),
                             seg->sum_valid ? &seg->sum : NULL);
    /* RFC 6298 5.1: start the timer when data goes out and it is not running. */
    if (pcb->rtx_at == SHOAL_TIME_NEVER) pcb->rtx_at = now + pcb->rto_ns;
    return err;
}

err_t tcp_enqueue_flags(struct tcp_pcb *pcb, uint8_t flags)
{
    struct stack *s = pcb->stack;
    struct tcp_seg *seg = pool_alloc(&s->pools[POOL_TCP_SEG]);
    if (seg == NULL) {
        STATS_INC(s, STATS_TCP, memerr);
        return ERR_MEM;
    }
    memset(seg, 0, sizeof(*seg));
    seg->seq = pcb->snd_lbb;
    seg->flags = flags;
    pcb->snd_lbb += 1u;
    if (pcb->unsent_tail != NULL)
        pcb->unsent_tail->next = seg;
    else
        pcb->unsent = seg;
    pcb->unsent_tail = seg;
    return ERR_OK;
}

void tcp_send_ack(struct tcp_pcb *pcb) { send_segment(pcb, NULL, pcb->snd_nxt, 0, NULL); }

void tcp_ack_now(struct tcp_pcb *pcb)
{
    pcb->flags |= TF_ACK_NOW;
    tcp_output(pcb);
}

void tcp_rst_pcb(struct tcp_pcb *pcb) { send_segment(pcb, NULL, pcb->snd_nxt, TCP_RST, NULL); }

void tcp_send_rst(struct stack *s, const ip_addr_t *src, const ip_addr_t *dst, uint16_t sport, uint16_t dport,
                  uint32_t seq, uint32_t ack, bool with_ack)
{
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, TCP_HDR_LEN);
    if (p == NULL) {
        STATS_INC(s, STATS_TCP, memerr);
        return;
    }
    struct tcp_repr r = {.src_port = sport, .dst_port = dport, .seq = seq, .ack = with_ack ? ack : 0,
                         .flags = (uint8_t)(TCP_RST | (with_ack ? TCP_ACK : 0)), .wnd = 0};
    struct tcp_out_opts o;
    memset(&o, 0, sizeof(o));
    uint8_t h[TCP_HDR_LEN];
    tcp_emit(&r, &o, h);
    pbuf_take(p, h, sizeof(h));
    uint16_t sum = pbuf_pseudo(p, src, dst);
    uint8_t sb[2] = {(uint8_t)(sum >> 8), (uint8_t)sum};
    pbuf_take_at(p, sb, 2, 16);
    if (ip_send(s, p, src, dst) == ERR_OK) STATS_INC(s, STATS_TCP, xmit);
    pbuf_free(p);
}

void tcp_send_challenge_ack(struct tcp_pcb *pcb)
{
    struct stack *s = pcb->stack;
    uint64_t now = stack_now(s);
    /* RFC 5961 7: at most a few challenge ACKs per second, instance-wide. */
    if (now - s->tcp_challenge_window_ns >= SHOAL_NS_PER_S) {
        s->tcp_challenge_window_ns = now;
        s->tcp_challenge_count = 0;
    }
    if (s->tcp_challenge_count >= SHOAL_TCP_CHALLENGE_ACK_LIMIT) {
        s->stats.tcp_challenge_limited++;
        return;
    }
    s->tcp_challenge_count++;
    s->stats.tcp_challenge_acks++;
    tcp_send_ack(pcb);
}

void tcp_send_keepalive(struct tcp_pcb *pcb)
{
    /* RFC 1122 4.2.3.6: SEG.SEQ = SND.NXT - 1, no data, elicits an ACK. */
    send_segment(pcb, NULL, pcb->snd_nxt - 1u, 0, NULL);
}

void tcp_send_window_probe(struct tcp_pcb *pcb)
{
    struct tcp_seg *seg = pcb->unsent;
    if (seg == NULL || seg->len == 0) {
        send_segment(pcb, NULL, pcb->snd_nxt - 1u, 0, NULL);
        return;
    }
    /* RFC 9293 3.8.6.1: one octet of new data; if the window opened, the
     * peer keeps it and acknowledges it. */
    struct pbuf *p = pbuf_alloc(pcb->stack, PBUF_TRANSPORT, 1);
    if (p == NULL) return;
    int b = pbuf_try_get_at(seg->p, 0);
    uint8_t byte = (uint8_t)(b < 0 ? 0 : b);
    pbuf_take(p, &byte, 1);
    send_segment(pcb, p, seg->seq, 0, NULL);
    pbuf_free(p);
    /* The octet is not "sent" (snd_nxt and the retransmission timer stay
     * put; the persist timer owns it), but an ACK for it is acceptable. */
    pcb->probe_end = seg->seq + 1u;
    pcb->probe_sent = true;
}

/* ---- the output loop ---- */

static void move_to_unacked(struct tcp_pcb *pcb, struct tcp_seg *seg)
{
    pcb->unsent = seg->next;
    if (pcb->unsent == NULL) pcb->unsent_tail = NULL;
    seg->next = NULL;
    /* Keep unacked sorted by sequence (retransmitted data may come back). */
    if (pcb->unacked_tail != NULL && seq_lt(pcb->unacked_tail->seq, seg->seq)) {
        pcb->unacked_tail->next = seg;
        pcb->unacked_tail = seg;
        return;
    }
    struct tcp_seg **pp = &pcb->unacked;
    while (*pp != NULL && seq_lt((*pp)->seq, seg->seq)) pp = &(*pp)->next;
    seg->next = *pp;
    *pp = seg;
    if (seg->next == NULL) pcb->unacked_tail = seg;
}

/* May the head of unsent go now? Windows, Nagle, SWS. */
static bool can_send_new(struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    uint32_t seqlen = tcp_seg_seqlen(seg);
    uint32_t end = seg->seq + seqlen;
    /* Receive window of the peer (SYN and FIN-only segments always fit). */
    if (seg->len > 0 && seq_gt(end, pcb->snd_una + pcb->snd_wnd)) return false;
    if (!(seg->flags & TCP_SYN)) {
        uint32_t flight = pcb->snd_nxt - pcb->snd_una;
        uint32_t limit = pcb->cwnd;
        if (pcb->in_recovery && pcb->sack_ok) {
            uint32_t pipe = tcp_pipe(pcb);
            if (pipe + seg->len > pcb->cwnd && seg->len > 0) return false;
        } else {
            /* RFC 3042: each of the first two duplicate ACKs lets one new segment out. */
            if (!pcb->in_recovery && pcb->dupacks > 0 && pcb->dupacks < 3) limit += (uint32_t)pcb->dupacks * pcb->mss;
            /* With nothing in flight one segment always goes, even one larger
             * than the loss window (cut before the MSS went down). */
            if (seg->len > 0 && flight > 0 && flight + seg->len > limit) return false;
        }
    }
    /* Nagle (RFC 9293 3.7.4) with sender SWS avoidance: a short segment waits
     * while data is outstanding, unless it carries FIN or Nagle is off. */
    /* Only the last queued segment can be the short one Nagle holds: a short
     * segment with more data queued behind it goes (as in lwIP). */
    if (seg->len < tcp_full_seg(pcb) && seg->next == NULL && !(seg->flags & TCP_FIN) &&
        pcb->snd_nxt != pcb->snd_una && !(pcb->flags & TF_NODELAY))
        return false;
    return true;
}

/* RFC 9293 3.8.6.2.1: when the peer's window holds less than the head
 * segment but at least half the largest window it ever offered, send what
 * fits: cut the segment in two (the tail keeps PSH and FIN). Returns true
 * when the head now fits. All or nothing on a pool shortage. */
static bool split_to_window(struct tcp_pcb *pcb, struct tcp_seg *seg)
{
    struct stack *s = pcb->stack;
    if (seg->len == 0 || (seg->flags & TCP_SYN) || seq_lt(seg->seq, pcb->snd_max) || seg->p == NULL) return false;
    uint32_t right = pcb->snd_una + pcb->snd_wnd;
    if (!seq_gt(right, seg->seq)) return false;
    uint32_t fits = right - seg->seq;
    if (fits >= seg->len || fits < pcb->max_snd_wnd / 2u) return false;
    uint32_t rest = seg->len - fits;
    struct tcp_seg *tail = pool_alloc(&s->pools[POOL_TCP_SEG]);
    struct pbuf *p = tail != NULL ? pbuf_alloc(s, PBUF_TRANSPORT, rest) : NULL;
    if (p == NULL) {
        if (tail != NULL) pool_free(&s->pools[POOL_TCP_SEG], tail);
        return false;
    }
    memset(tail, 0, sizeof(*tail));
    size_t off = 0;
    for (struct pbuf *q = p; q != NULL; q = q->next) {
        pbuf_copy_partial(seg->p, q->payload, q->len, fits + off);
        off += q->len;
    }
    pbuf_realloc(seg->p, fits);
    tail->p = p;
    tail->seq = seg->seq + fits;
    tail->len = rest;
    tail->flags = (uint8_t)(seg->flags & (TCP_PSH | TCP_FIN));
    seg->flags &= (uint8_t)~(TCP_PSH | TCP_FIN);
    seg->len = fits;
    seg->sum_valid = false; /* both halves are summed when sent */
    tail->next = seg->next;
    seg->next = tail;
    if (pcb->unsent_tail == seg) pcb->unsent_tail = tail;
    return true;
}

err_t tcp_output(struct tcp_pcb *pcb)
{
    if (pcb->state == TCP_TIME_WAIT && (pcb->flags & TF_ACK_NOW)) tcp_send_ack(pcb);
    if (pcb->state == TCP_CLOSED || pcb->state == TCP_LISTEN || pcb->state == TCP_TIME_WAIT) {
        tcp_timer_update(pcb);
        return ERR_OK;
    }
    /* Only the SYN goes before the handshake completes. */
    bool synced = pcb->state != TCP_SYN_SENT && pcb->state != TCP_SYN_RCVD;
    bool sent_any = false;

    /* RFC 6675 5 (C): in SACK recovery, lost segments go before new data. */
    if (pcb->in_recovery && pcb->sack_ok) {
        for (;;) {
            struct tcp_seg *lost = tcp_sack_next_lost(pcb);
            if (lost == NULL || tcp_pipe(pcb) + lost->len > pcb->cwnd) break;
            lost->rtx_in_recovery = true;
            tcp_send_seg(pcb, lost, true);
            sent_any = true;
        }
    }
    while (pcb->unsent != NULL) {
        struct tcp_seg *seg = pcb->unsent;
        if (!synced && !(seg->flags & TCP_SYN)) break;
        bool rtx = seq_lt(seg->seq, pcb->snd_max);
        if (!can_send_new(pcb, seg) && !(split_to_window(pcb, seg) && can_send_new(pcb, seg))) break;
        tcp_send_seg(pcb, seg, rtx);
        pcb->snd_nxt = seg->seq + tcp_seg_seqlen(seg);
        pcb->snd_max = seq_max(pcb->snd_max, pcb->snd_nxt);
        move_to_unacked(pcb, seg);
        sent_any = true;
    }
    if (!sent_any && (pcb->flags & TF_ACK_NOW) && synced) tcp_send_ack(pcb);

    /* RFC 9293 3.8.6.1: data waits on a window too small for it and nothing
     * is in flight to bring an update: probe it. */
    if (pcb->unsent != NULL && pcb->unacked == NULL && synced && pcb->rtx_at == SHOAL_TIME_NEVER) {
        if (pcb->persist_at == SHOAL_TIME_NEVER) {
            pcb->persist_backoff = 0;
            pcb->persist_at = stack_now(pcb->stack) + pcb->rto_ns;
        }
    } else {
        pcb->persist_at = SHOAL_TIME_NEVER;
    }
    if ((pcb->flags & TF_ACK_DELAY) && pcb->delack_at == SHOAL_TIME_NEVER)
        pcb->delack_at = stack_now(pcb->stack) + (uint64_t)pcb->stack->cfg.tcp_delack_ms * SHOAL_NS_PER_MS;
    tcp_timer_update(pcb);
    return ERR_OK;
}
