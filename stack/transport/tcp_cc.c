/*
 * TCP's clocks and congestion control: RTO estimation (RFC 6298), slow start
 * and congestion avoidance (RFC 5681), NewReno fast recovery (RFC 6582), and
 * with SACK the conservative loss recovery of RFC 6675.
 */
#include "shoal/tcp.h"
#include "shoal/opt.h"
#include "core/stack_priv.h"
#include "transport/tcp_priv.h"

#define DUPTHRESH 3u /* RFC 5681 3.2 / RFC 6675 2 */

/* ---- RFC 6298 ---- */

static uint64_t rto_clamp(const struct tcp_pcb *pcb, uint64_t rto)
{
    uint64_t min = (uint64_t)pcb->stack->cfg.tcp_rto_min_ms * SHOAL_NS_PER_MS;
    uint64_t max = (uint64_t)SHOAL_TCP_RTO_MAX_MS * SHOAL_NS_PER_MS;
    return rto < min ? min : rto > max ? max : rto;
}

void tcp_rtt_sample(struct tcp_pcb *pcb, uint64_t r)
{
    if (!pcb->rtt_valid) {
        /* (2.2) SRTT <- R, RTTVAR <- R/2 */
        pcb->srtt_ns = r;
        pcb->rttvar_ns = r / 2u;
        pcb->rtt_valid = true;
    } else {
        /* (2.3) RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT <- 7/8 SRTT + 1/8 R' */
        uint64_t diff = pcb->srtt_ns > r ? pcb->srtt_ns - r : r - pcb->srtt_ns;
        pcb->rttvar_ns = (3u * pcb->rttvar_ns + diff) / 4u;
        pcb->srtt_ns = (7u * pcb->srtt_ns + r) / 8u;
    }
    /* RTO <- SRTT + max(G, K*RTTVAR), K = 4; G: our clock is exact (1 ns). */
    uint64_t var4 = 4u * pcb->rttvar_ns;
    pcb->rto_ns = rto_clamp(pcb, pcb->srtt_ns + (var4 > 0 ? var4 : 1u));
    pcb->rtx_backoff = 0;
}

void tcp_rto_backoff(struct tcp_pcb *pcb)
{
    /* (5.5) RTO <- RTO * 2, up to the maximum. */
    pcb->rto_ns = rto_clamp(pcb, pcb->rto_ns * 2u);
    if (pcb->rtx_backoff < 255) pcb->rtx_backoff++;
}

/* ---- RFC 5681 ---- */

void tcp_cc_init(struct tcp_pcb *pcb)
{
    /* Set again once the MSS is known (RFC 5681 3.1 eq. 3 and RFC 3390). */
    uint32_t mss = pcb->mss;
    pcb->cwnd = mss > 2190 ? 2u * mss : mss > 1095 ? 3u * mss : 4u * mss;
    pcb->ssthresh = 0xffffffffu; /* "arbitrarily high" */
    pcb->ca_acked = 0;
    pcb->dupacks = 0;
    pcb->in_recovery = false;
}

uint32_t tcp_flight_size(const struct tcp_pcb *pcb) { return pcb->snd_max - pcb->snd_una; }

static uint32_t half_flight(const struct tcp_pcb *pcb)
{
    /* RFC 5681 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS) */
    uint32_t h = tcp_flight_size(pcb) / 2u;
    return SHOAL_MAX(h, 2u * pcb->mss);
}

void tcp_cc_on_rto(struct tcp_pcb *pcb)
{
    pcb->ssthresh = half_flight(pcb);
    pcb->cwnd = pcb->mss; /* loss window */
    pcb->ca_acked = 0;
    pcb->dupacks = 0;
    pcb->in_recovery = false;
    /* RFC 6582 4.1 / RFC 6675 5.1: a later fast retransmit needs new data acked first. */
    pcb->recover = pcb->snd_max - 1u;
}

static void grow_cwnd(struct tcp_pcb *pcb, uint32_t acked)
{
    /* RFC 7661-like: a window the sender cannot use does not grow further. */
    uint32_t cap = 2u * SHOAL_MAX(pcb->max_snd_wnd, pcb->stack->cfg.tcp_snd_buf);
    if (pcb->cwnd >= cap) return;
    if (pcb->cwnd < pcb->ssthresh) {
        /* Slow start, RFC 5681 3.1 eq. 2: at most one SMSS per ACK. */
        pcb->cwnd += SHOAL_MIN(acked, (uint32_t)pcb->mss);
    } else {
        /* Congestion avoidance: one MSS per cwnd of data acknowledged. */
        pcb->ca_acked += acked;
        if (pcb->ca_acked >= pcb->cwnd) {
            pcb->ca_acked -= pcb->cwnd;
            pcb->cwnd += pcb->mss;
        }
    }
}

/* The first unacknowledged segment, whole. */
static struct tcp_seg *first_unacked(struct tcp_pcb *pcb) { return pcb->unacked; }

static void enter_recovery(struct tcp_pcb *pcb)
{
    pcb->n_fast_rtx++;
    pcb->in_recovery = true;
    pcb->recover = pcb->snd_max - 1u; /* the highest sequence number sent */
    pcb->ssthresh = half_flight(pcb);
    for (struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next) s->rtx_in_recovery = false;
    struct tcp_seg *seg = first_unacked(pcb);
    if (pcb->sack_ok) {
        /* RFC 6675 5 (4): cwnd = ssthresh, and (4.3) the first hole goes
         * out again at once, whatever the pipe says. */
        pcb->cwnd = pcb->ssthresh;
        if (seg != NULL && !seg->sacked) {
            seg->lost = true;
            seg->rtx_in_recovery = true;
            tcp_send_seg(pcb, seg, true);
        }
    } else {
        /* RFC 6582 3.2 (2): retransmit, cwnd = ssthresh + 3*SMSS. */
        pcb->cwnd = pcb->ssthresh + DUPTHRESH * pcb->mss;
        if (seg != NULL) {
            seg->rtx_in_recovery = true;
            tcp_send_seg(pcb, seg, true);
        }
    }
}

void tcp_cc_on_dupack(struct tcp_pcb *pcb)
{
    pcb->n_dupacks_rcvd++;
    if (pcb->dupacks < 255) pcb->dupacks++;
    if (pcb->in_recovery) {
        /* RFC 6582 3.2 (3): inflate by one segment per further duplicate. */
        if (!pcb->sack_ok) pcb->cwnd += pcb->mss;
        return;
    }
    struct tcp_seg *seg = first_unacked(pcb);
    /* RFC 6582 3.2 (2) / RFC 6675 5 (2): only when the cumulative ACK
     * covers more than `recover`, i.e. the loss is new. */
    bool new_loss = seq_gt(pcb->snd_una, pcb->recover);
    bool trigger = pcb->dupacks >= DUPTHRESH || (pcb->sack_ok && seg != NULL && tcp_sack_is_lost(pcb, seg));
    if (trigger && new_loss) enter_recovery(pcb);
}

void tcp_cc_on_ack(struct tcp_pcb *pcb, uint32_t acked, uint32_t ack)
{
    if (pcb->in_recovery) {
        if (seq_gt(ack, pcb->recover)) {
            /* Full acknowledgment: RFC 6582 3.2 (5) / RFC 6675 5: leave recovery. */
            pcb->in_recovery = false;
            uint32_t flight = pcb->snd_max - ack;
            pcb->cwnd = pcb->sack_ok ? pcb->ssthresh : SHOAL_MIN(pcb->ssthresh, SHOAL_MAX(flight, pcb->mss) + pcb->mss);
            pcb->dupacks = 0;
            pcb->ca_acked = 0;
            return;
        }
        /* Partial acknowledgment. */
        pcb->dupacks = 0;
        if (!pcb->sack_ok) {
            /* RFC 6582 3.2 (4): retransmit the next hole, deflate by what was
             * acked, add one segment back, restart the timer once. */
            struct tcp_seg *seg = first_unacked(pcb);
            if (seg != NULL) {
                tcp_send_seg(pcb, seg, true);
                seg->rtx_in_recovery = true;
            }
            pcb->cwnd = pcb->cwnd > acked ? pcb->cwnd - acked : pcb->mss;
            if (acked >= pcb->mss) pcb->cwnd += pcb->mss;
        }
        return;
    }
    pcb->dupacks = 0;
    grow_cwnd(pcb, acked);
}

/* ---- RFC 6675: the scoreboard ---- */

void tcp_sack_update_scoreboard(struct tcp_pcb *pcb, const struct tcp_repr *r)
{
    for (uint8_t i = 0; i < r->sack_count; i++) {
        uint32_t left = r->sack[i].left, right = r->sack[i].right;
        /* Ignore blocks that are not within what we sent (RFC 2018 / RFC 6675 4). */
        if (!seq_lt(left, right) || seq_leq(right, pcb->snd_una) || seq_gt(right, pcb->snd_max)) continue;
        for (struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next) {
            uint32_t end = s->seq + tcp_seg_seqlen(s);
            if (seq_leq(left, s->seq) && seq_leq(end, right)) {
                s->sacked = true;
                s->lost = false;
            }
        }
    }
    /* Mark what IsLost() now says (RFC 6675 4, rule (C) feeds NextSeg), in
     * one pass: what is SACKed above a segment is the total SACKed minus
     * what was SACKed below it. */
    uint32_t segs_above = 0, bytes_above = 0;
    for (const struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next)
        if (s->sacked) {
            segs_above++;
            bytes_above += s->len;
        }
    for (struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next) {
        if (s->sacked) {
            segs_above--;
            bytes_above -= s->len;
        } else if (!s->lost && (segs_above >= DUPTHRESH || bytes_above > (DUPTHRESH - 1u) * pcb->mss)) {
            s->lost = true;
        }
    }
}

/* IsLost(SeqNum): DupThresh discontiguous SACKed segments above it, or more
 * than (DupThresh - 1) * SMSS bytes SACKed above it. */
bool tcp_sack_is_lost(const struct tcp_pcb *pcb, const struct tcp_seg *seg)
{
    uint32_t sacked_segs = 0, sacked_bytes = 0;
    for (const struct tcp_seg *s = seg->next; s != NULL; s = s->next) {
        if (!s->sacked) continue;
        sacked_segs++;
        sacked_bytes += s->len;
        if (sacked_segs >= DUPTHRESH || sacked_bytes > (DUPTHRESH - 1u) * pcb->mss) return true;
    }
    return false;
}

/* pipe: segments believed in the network (RFC 6675 4, SetPipe). */
uint32_t tcp_pipe(const struct tcp_pcb *pcb)
{
    uint32_t pipe = 0;
    for (const struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next) {
        if (s->sacked) continue;
        if (!s->lost) pipe += s->len;
        if (s->rtx_in_recovery) pipe += s->len;
    }
    return pipe;
}

/* NextSeg() rule (1): the first lost, unsacked segment not yet resent. */
struct tcp_seg *tcp_sack_next_lost(struct tcp_pcb *pcb)
{
    for (struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next)
        if (s->lost && !s->sacked && !s->rtx_in_recovery) return s;
    return NULL;
}
