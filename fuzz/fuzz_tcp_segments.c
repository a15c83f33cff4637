/*
 * libFuzzer harness: TCP segments into connections in every state.
 *
 * Each input gets a fresh instance on the deterministic fake platform
 * (fuzz_platform.h): Ethernet netif eth0 10.0.0.1/24, a static ARP entry for
 * the peer 10.0.0.2 (so every reply leaves at once, through a linkoutput that
 * parses it), and a listener on port 80. The harness plays the peer. It sets
 * up eight "slots", each a 4-tuple it can send segments on:
 *   0, 6  peer 4000k -> 80   nothing yet (a listener's view)
 *   1     peer 40001 -> 80   SYN sent: the stack is in SYN-RCVD
 *   2     peer 40002 -> 80   handshake done, accepted: ESTABLISHED
 *   3     stack 6003 -> 5003 active open answered: ESTABLISHED
 *   4     stack 6004 -> 5004 active open unanswered: SYN-SENT
 *   5     peer 40005 -> 80   ESTABLISHED with 6000 bytes of ours in flight
 *   7     peer 40007 -> 81   a port nobody listens on
 * From what the stack sends the harness learns, per slot, the stack's ISN,
 * the highest sequence number it sent, its last ACK and timestamp, so the
 * input can give sequence and acknowledgment numbers relative to the live
 * connection and most segments land in the window.
 *
 * Input: three configuration bytes, then records.
 *   c0  stack config: 0x01 no SACK, 0x02 no timestamps, 0x04 no window
 *       scaling, 0x08 no delayed ACK, 0x10 a 2920-byte receive window,
 *       0x20 small pools (24 pbufs, 16 segments), 0x40 a 4 KiB send buffer,
 *       0x80 an out-of-order queue of 2 segments
 *   c1  the peer's SYN options: 0x01 MSS, 0x02 SACK-permitted, 0x04
 *       timestamps, 0x08 window scale with shift c1 >> 4 (over 14 allowed)
 *   c2  the peer's MSS: 0 -> 1460, else c2 * 8
 * Records, by their first byte op:
 *   op < 0x80   a segment on slot op & 7. Bit 0x08: seq relative to the
 *               highest sequence the peer sent on the slot (else to the
 *               stack's last ACK); 0x10: ack relative to the peer's last ack
 *               (else to the highest sequence the stack sent); 0x20: relocate
 *               options (each SACK edge is taken relative to the ack base,
 *               a timestamp's TSval to the peer's clock and TSecr to the
 *               stack's last TSval); 0x40: a control byte and an urgent
 *               pointer follow. Then: flags (1), seq offset (2, signed),
 *               ack offset (2, signed), window (2), options length (1, & 0x3f,
 *               at most 40; padded with EOL to 4 bytes), the options, the
 *               payload length (2, & 0x7ff, at most what fits in 1500), and
 *               with 0x40: control (1) and urgent pointer (2). Control: 0x01
 *               spoil the TCP checksum, 0x02 data offset = control >> 4 as
 *               given, 0x04 IP total length shortened by control >> 4 bytes,
 *               0x08 reserved bits = control >> 4. The payload's byte at
 *               sequence number s is peer_byte(s), so the harness can check
 *               what the stack delivers.
 *   0x80..0xbf  advance the clock by v = ((op & 0x3f) << 8 | next byte) ms,
 *               or with v & 0x2000, (v & 0x1fff) * 64 ms, running timers.
 *   0xc0..0xff  an application call on slot (op >> 3) & 7, argument = next
 *               byte: op & 7 = write, recved, close, shutdown, abort, mode,
 *               output/poll, connect/listen (see app_call()).
 *
 * Oracles (abort() on violation), besides ASan/UBSan:
 *   - every frame sent is well formed: lengths, IPv4 and TCP checksums,
 *     data offset, options (MSS/WS/SACK-permitted on SYNs only, SACK blocks
 *     only on segments without data), no RST in answer to a RST;
 *   - the stack's data is what the application wrote, at the right offset
 *     from its ISN; it never acknowledges beyond what the peer sent; what it
 *     delivers is the peer's bytes in order, with nothing after the FIN;
 *   - a PCB the application holds (not closed, no err callback) is still
 *     known to the stack (tcp_lookup_state): the stack did not free it
 *     behind the application's back; its send queue holds exactly what was
 *     written and not yet acknowledged, and its bytes_received is what the
 *     application got;
 *   - no pool over capacity; after each record no timer is left due and the
 *     next one is not absurdly far; no timer livelock;
 *   - at the end, once the application's PCBs are aborted, the listener is
 *     closed and every timer has run out: every pool is empty, nothing is
 *     scheduled, and the instance's memory is returned.
 * SHOAL_FUZZ_ALLOW="stuck,silent_free" downgrades the two oracles about
 * connections that never die or die unannounced (to fuzz past known bugs).
 * With SHOAL_FUZZ_VERBOSE set, a summary of each input goes to stderr; with
 * SHOAL_FUZZ_TRACE, every segment in and out (after the setup).
 */
#include "fuzz_platform.h"

#include "shoal/netif.h"
#include "shoal/etharp.h"
#include "shoal/tcp.h"

#define HARNESS "fuzz_tcp_segments"
#define SLOTS 8u
#define LISTEN_PORT 80u
#define CLOSED_PORT 81u
#define SLOT_SYN_RCVD 1u
#define SLOT_PASSIVE_EST 2u
#define SLOT_ACTIVE_EST 3u
#define SLOT_SYN_SENT 4u
#define SLOT_IN_FLIGHT 5u
#define SLOT_CLOSED_PORT 7u
#define PEER_WND 65535u
/* Past every timer chain an orphaned connection can have: keepalive's 2 h
 * idle plus probes, 12 retransmissions backing off to 60 s, 2 MSL. */
#define DRAIN_MS (3ull * 3600ull * 1000ull)

/* TCP header bits (RFC 9293 3.1). */
#define F_FIN 0x01u
#define F_SYN 0x02u
#define F_RST 0x04u
#define F_PSH 0x08u
#define F_ACK 0x10u

/* Segment record bits. */
#define SEG_SEQ_FROM_PEER 0x08u
#define SEG_ACK_FROM_PEER 0x10u
#define SEG_RELOCATE 0x20u
#define SEG_EXTRA 0x40u
#define CTL_BAD_SUM 0x01u
#define CTL_DATA_OFFSET 0x02u
#define CTL_SHORT_IP 0x04u
#define CTL_RESERVED 0x08u

/* Application behaviour per slot (the mode call). */
#define MODE_AUTO_RECVED 0x01u  /* tcp_recved() as data arrives */
#define MODE_ECHO 0x02u         /* write back as much as arrives */
#define MODE_CLOSE_ON_FIN 0x04u /* tcp_close() when the peer's FIN arrives */
#define MODE_CLOSE_IN_RECV 0x08u /* tcp_close() from the recv callback on data */
#define MODE_ABORT_IN_RECV 0x10u /* tcp_abort() from the recv callback on data */
#define MODE_WRITE_IN_SENT 0x20u /* write more from the sent and poll callbacks */
#define MODE_NODELAY 0x40u
#define MODE_KEEPALIVE 0x80u

struct slot {
    uint16_t stack_port, peer_port;
    bool active;          /* the stack opens it */
    struct tcp_pcb *pcb;  /* the application's: accepted or connected, not closed */
    uint8_t mode;
    /* what the stack sent on this 4-tuple */
    bool isn_known;
    uint32_t stack_isn, stack_hi, stack_ack, stack_tsval;
    /* what the peer sent */
    bool peer_known;
    uint32_t peer_isn, peer_hi, peer_ack, peer_ts;
    /* the stream the stack delivers starts at irs + 1 */
    bool irs_known;
    uint32_t irs;
    uint64_t delivered, written, unread;
    bool fin_delivered;
    unsigned accepted, errs, sent_cbs;
};

struct harness {
    bool trace;           /* SHOAL_FUZZ_TRACE: every segment both ways to stderr */
    struct test_platform tp;
    struct stack *stack;
    struct netif *netif;
    struct tcp_pcb *listener;
    struct slot slot[SLOTS];
    bool input_rst;       /* the segment being input carries RST */
    unsigned frames_out, segs_in;
};

static const ip4_addr_t *host_ip(void)
{
    static ip4_addr_t a;
    a = ip4_addr_make(10, 0, 0, 1);
    return &a;
}

static const ip4_addr_t *peer_ip(void)
{
    static ip4_addr_t a;
    a = ip4_addr_make(10, 0, 0, 2);
    return &a;
}

static const uint8_t host_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* The application's byte at offset k of what it writes, and the peer's
 * byte at sequence number s: fixed functions, so both directions can be
 * checked without keeping copies. */
static uint8_t app_byte(uint64_t k) { return (uint8_t)(((uint32_t)k * 2654435761u) >> 24); }
static uint8_t peer_byte(uint32_t s) { return (uint8_t)((s * 2246822519u + 0x5bd1e995u) >> 24); }

static void fail(const char *why, unsigned long long value) { fuzz_fail(HARNESS, why, value); }

/* SHOAL_FUZZ_ALLOW="stuck,silent_free" tolerates known stack bugs of those
 * kinds (see the oracles), so that fuzzing can go on past them. */
static bool allowed(const char *kind)
{
    const char *a = getenv("SHOAL_FUZZ_ALLOW");
    return a != NULL && strstr(a, kind) != NULL;
}

static struct slot *slot_by_ports(struct harness *h, uint16_t stack_port, uint16_t peer_port)
{
    for (unsigned i = 0; i < SLOTS; i++)
        if (h->slot[i].stack_port == stack_port && h->slot[i].peer_port == peer_port) return &h->slot[i];
    return NULL;
}

static enum tcp_state slot_state(const struct harness *h, const struct slot *sl)
{
    ip_addr_t host = ip_addr_from_ip4(*host_ip()), peer = ip_addr_from_ip4(*peer_ip());
    return tcp_lookup_state(h->stack, &host, sl->stack_port, &peer, sl->peer_port);
}

/* ---- what the stack sends ---- */

/* Walk a sent segment's options; fail on malformed ones. Fills the
 * timestamp value when there is one. */
static void check_sent_options(const uint8_t *o, size_t len, uint8_t flags, uint32_t payload, bool *has_ts,
                               uint32_t *tsval)
{
    size_t i = 0;
    while (i < len) {
        uint8_t kind = o[i];
        if (kind == 0) break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i) fail("sent a malformed option", kind);
        uint8_t olen = o[i + 1];
        switch (kind) {
        case 2: /* MSS */
        case 3: /* window scale */
        case 4: /* SACK-permitted: RFC 9293 3.1, RFC 7323 2.2, RFC 2018 2: SYN only */
            if (!(flags & F_SYN)) fail("sent a SYN-only option without SYN", kind);
            if (olen != (kind == 2 ? 4 : kind == 3 ? 3 : 2)) fail("sent an option of the wrong length", kind);
            break;
        case 5: /* SACK (RFC 2018 3) */
            if (olen < 10 || (olen - 2) % 8 != 0) fail("sent a SACK option of a bad length", olen);
            if (payload > 0) fail("sent SACK blocks on a data segment", payload);
            for (size_t b = i + 2; b < i + olen; b += 8)
                if ((int32_t)(rd32be(o + b + 4) - rd32be(o + b)) <= 0) fail("sent an empty or inverted SACK block", b);
            break;
        case 8: /* timestamps (RFC 7323 3) */
            if (olen != 10) fail("sent a timestamp option of a bad length", olen);
            *has_ts = true;
            *tsval = rd32be(o + i + 2);
            break;
        default: fail("sent an option of an unknown kind", kind);
        }
        i += olen;
    }
}

static void check_sent_tcp(struct harness *h, const uint8_t *ip, size_t ihl, size_t total)
{
    const uint8_t *t = ip + ihl;
    size_t tlen = total - ihl;
    if (tlen < 20) fail("sent a TCP segment shorter than its header", tlen);
    size_t doff = (size_t)(t[12] >> 4) * 4u;
    if (doff < 20 || doff > tlen) fail("sent a TCP data offset out of range", doff);
    if (fuzz_transport_sum(ip, IP_PROTO_TCP, t, tlen) != 0) fail("sent a bad TCP checksum", tlen);
    uint8_t flags = t[13];
    uint32_t seq = rd32be(t + 4), ack = rd32be(t + 8), payload = (uint32_t)(tlen - doff);
    bool has_ts = false;
    uint32_t tsval = 0;
    check_sent_options(t + 20, doff - 20, flags, payload, &has_ts, &tsval);
    /* RFC 9293 3.10.7: a RST is never sent in answer to a RST. */
    if ((flags & F_RST) && h->input_rst) fail("sent a RST in answer to a RST", seq);
    if ((flags & F_SYN) && (flags & (F_RST | F_FIN))) fail("sent SYN with RST or FIN", flags);

    if (h->trace)
        fprintf(stderr, "  out %u->%u flags %02x seq %u ack %u wnd %u len %u\n", rd16be(t), rd16be(t + 2), flags, seq, ack,
                rd16be(t + 14), payload);
    struct slot *sl = slot_by_ports(h, rd16be(t), rd16be(t + 2));
    if (sl == NULL) fail("sent a segment on a 4-tuple nobody used", rd16be(t + 2));
    uint32_t seqlen = payload + ((flags & F_SYN) ? 1u : 0u) + ((flags & F_FIN) ? 1u : 0u);
    if (flags & F_SYN) {
        sl->stack_isn = seq;
        sl->stack_hi = seq + 1u;
        sl->isn_known = true;
    }
    if (sl->isn_known && !(flags & F_RST)) {
        if ((int32_t)(seq + seqlen - sl->stack_hi) > 0) sl->stack_hi = seq + seqlen;
        /* Data must be what the application wrote, where it wrote it. */
        if (payload > 0) {
            uint32_t off = seq - sl->stack_isn - 1u;
            if ((uint64_t)off + payload > sl->written) fail("sent data the application never wrote", off);
            for (uint32_t k = 0; k < payload; k++)
                if (t[doff + k] != app_byte((uint64_t)off + k)) fail("sent data that differs from what was written", off + k);
        }
    }
    if ((flags & F_ACK) && !(flags & F_RST)) {
        /* Never acknowledge what the peer did not send. */
        if (sl->peer_known && (int32_t)(ack - sl->peer_hi) > 0) fail("acknowledged beyond what the peer sent", ack - sl->peer_hi);
        sl->stack_ack = ack;
    }
    if (has_ts) sl->stack_tsval = tsval;
}

static err_t capture_output(struct netif *netif, struct pbuf *p)
{
    struct harness *h = netif->state;
    uint8_t frame[1600];
    h->frames_out++;
    size_t n = fuzz_check_sent_frame(HARNESS, p, frame, sizeof(frame));
    if (rd16be(frame + 12) != ETHTYPE_IP4) return ERR_OK;
    const uint8_t *ip = frame + ETH_HDR_LEN;
    size_t ihl = (size_t)(ip[0] & 0x0fu) * 4u, total = rd16be(ip + 2);
    (void)n;
    if (ip[9] == IP_PROTO_TCP) check_sent_tcp(h, ip, ihl, total);
    return ERR_OK;
}

/* ---- what the peer sends ---- */

struct seg_out {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t wnd, urg;
    const uint8_t *opts;
    size_t opt_len;
    size_t payload;
    uint8_t ctl;
};

/* Build the frame, remember what the peer sent, and input it. */
static void peer_send(struct harness *h, struct slot *sl, const struct seg_out *s)
{
    static uint8_t f[ETH_HDR_LEN + 1500u];
    size_t opt_pad = (s->opt_len + 3u) & ~(size_t)3u;
    size_t payload = SHOAL_MIN(s->payload, 1500u - 40u - opt_pad);
    size_t tlen = 20u + opt_pad + payload, total = 20u + tlen;
    memcpy(f, host_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    wr16be(f + 12, ETHTYPE_IP4);
    uint8_t *ip = f + ETH_HDR_LEN, *t = ip + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    wr16be(ip + 2, (uint16_t)total);
    wr16be(ip + 4, (uint16_t)h->segs_in);
    wr16be(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = IP_PROTO_TCP;
    memcpy(ip + 12, &peer_ip()->addr, 4);
    memcpy(ip + 16, &host_ip()->addr, 4);
    wr16be(t, sl->peer_port);
    wr16be(t + 2, sl->stack_port);
    wr32be(t + 4, s->seq);
    wr32be(t + 8, s->ack);
    t[12] = (uint8_t)(((20u + opt_pad) / 4u) << 4);
    t[13] = s->flags;
    wr16be(t + 14, s->wnd);
    wr16be(t + 16, 0);
    wr16be(t + 18, s->urg);
    memset(t + 20, 0, opt_pad);
    if (s->opt_len > 0) memcpy(t + 20, s->opts, s->opt_len);
    /* The payload follows the data offset, which the control byte may move
     * (options then become data, or data options): wherever the stack will
     * find data, it is the peer's byte for its sequence number, which
     * starts after the SYN's (RFC 9293 3.4). */
    if (s->ctl & CTL_DATA_OFFSET) t[12] = (uint8_t)(s->ctl & 0xf0u);
    size_t doff = (size_t)(t[12] >> 4) * 4u;
    uint32_t data_seq = s->seq + ((s->flags & F_SYN) ? 1u : 0u);
    if (doff >= 20u && doff <= tlen) {
        payload = tlen - doff;
        for (size_t k = 0; k < payload; k++) t[doff + k] = peer_byte(data_seq + (uint32_t)k);
    }
    if (s->ctl & CTL_RESERVED) t[12] = (uint8_t)((t[12] & 0xf0u) | (s->ctl >> 4));
    if (s->ctl & CTL_SHORT_IP) wr16be(ip + 2, (uint16_t)(total - SHOAL_MIN((size_t)(s->ctl >> 4), total)));
    fuzz_fix_checksums(f, ETH_HDR_LEN + total);
    if (s->ctl & CTL_BAD_SUM) t[16] ^= 0x5au;

    /* What the stack will make of it, for the oracles. */
    enum tcp_state st = slot_state(h, sl);
    uint8_t syn_ack_rst = s->flags & (F_SYN | F_ACK | F_RST);
    if ((st == TCP_CLOSED && syn_ack_rst == F_SYN) || (st == TCP_SYN_SENT && (s->flags & F_SYN) && !(s->flags & F_RST))) {
        /* A new incarnation (LISTEN) or the peer's SYN (SYN-SENT): its ISN. */
        sl->irs = s->seq;
        sl->irs_known = true;
        sl->peer_isn = s->seq;
        sl->peer_hi = s->seq;
        sl->peer_known = true;
        if (st == TCP_CLOSED) sl->isn_known = false; /* the stack picks a new ISN */
    }
    uint32_t end = s->seq + (uint32_t)payload + ((s->flags & F_SYN) ? 1u : 0u) + ((s->flags & F_FIN) ? 1u : 0u);
    if (sl->peer_known && (int32_t)(end - sl->peer_hi) > 0) sl->peer_hi = end;
    if (s->flags & F_ACK) sl->peer_ack = s->ack;
    sl->peer_ts++;

    struct pbuf *p = pbuf_alloc(h->stack, PBUF_RAW, ETH_HDR_LEN + total);
    if (p == NULL) return; /* the pool is exhausted: as a lost frame */
    if (pbuf_take(p, f, ETH_HDR_LEN + total) != ERR_OK) fail("pbuf_take refused a fitting copy", total);
    h->segs_in++;
    if (h->trace)
        fprintf(stderr, "in  %u->%u flags %02x seq %u ack %u wnd %u opts %zu len %zu ctl %02x (%s)\n", sl->peer_port,
                sl->stack_port, s->flags, s->seq, s->ack, s->wnd, s->opt_len, payload, s->ctl, tcp_state_str(st));
    h->input_rst = (s->flags & F_RST) != 0;
    netif_input(h->netif, p);
    h->input_rst = false;
}

/* A SYN or SYN-ACK from the peer with the options the configuration asks for. */
static void peer_syn(struct harness *h, struct slot *sl, uint8_t c1, uint8_t c2, bool ack)
{
    uint8_t o[40];
    size_t n = 0;
    if (c1 & 0x01u) {
        uint16_t mss = c2 == 0 ? 1460u : (uint16_t)(c2 * 8u);
        o[n++] = 2;
        o[n++] = 4;
        wr16be(o + n, mss);
        n += 2;
    }
    if (c1 & 0x02u) {
        o[n++] = 4;
        o[n++] = 2;
    }
    if (c1 & 0x04u) {
        o[n++] = 8;
        o[n++] = 10;
        wr32be(o + n, sl->peer_ts);
        wr32be(o + n + 4, ack ? sl->stack_tsval : 0);
        n += 8;
    }
    if (c1 & 0x08u) {
        o[n++] = 1;
        o[n++] = 3;
        o[n++] = 3;
        o[n++] = (uint8_t)(c1 >> 4);
    }
    struct seg_out s = {.flags = (uint8_t)(F_SYN | (ack ? F_ACK : 0)), .seq = sl->peer_isn,
                        .ack = ack ? sl->stack_isn + 1u : 0, .wnd = PEER_WND, .opts = o, .opt_len = n};
    peer_send(h, sl, &s);
}

static void peer_ack(struct harness *h, struct slot *sl)
{
    struct seg_out s = {.flags = F_ACK, .seq = sl->peer_hi, .ack = sl->stack_hi, .wnd = PEER_WND};
    peer_send(h, sl, &s);
}

/* ---- the application ---- */

static err_t app_write(struct slot *sl, size_t len, uint8_t apiflags)
{
    static uint8_t buf[16384];
    if (sl->pcb == NULL) return ERR_CONN;
    len = SHOAL_MIN(len, sizeof(buf));
    for (size_t k = 0; k < len; k++) buf[k] = app_byte(sl->written + k);
    err_t err = tcp_write(sl->pcb, buf, len, apiflags);
    if (err == ERR_OK) sl->written += len;
    return err;
}

/* The application lets go of the PCB: tcp_close(), or tcp_abort() when
 * that fails. Returns the value a callback must return. */
static err_t app_close(struct slot *sl, struct tcp_pcb *pcb)
{
    sl->pcb = NULL;
    if (tcp_close(pcb) == ERR_OK) return ERR_OK;
    tcp_abort(pcb);
    return ERR_ABRT;
}

static void apply_mode(struct slot *sl)
{
    if (sl->pcb == NULL) return;
    if (sl->mode & MODE_NODELAY)
        tcp_nagle_disable(sl->pcb);
    else
        tcp_nagle_enable(sl->pcb);
    tcp_keepalive(sl->pcb, (sl->mode & MODE_KEEPALIVE) != 0, 1000u, 500u, 3u);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct slot *sl = arg;
    (void)err;
    if (pcb != sl->pcb) fail("recv callback for a PCB the slot does not hold", sl->peer_port);
    if (p == NULL) {
        if (sl->fin_delivered) fail("the peer's FIN delivered twice", sl->peer_port);
        sl->fin_delivered = true;
        if (sl->mode & MODE_CLOSE_ON_FIN) return app_close(sl, pcb);
        return ERR_OK;
    }
    if (sl->fin_delivered) fail("data delivered after the FIN", p->tot_len);
    size_t len = p->tot_len;
    if (sl->irs_known) {
        uint8_t buf[2048];
        for (size_t off = 0; off < len; off += sizeof(buf)) {
            size_t n = pbuf_copy_partial(p, buf, sizeof(buf), off);
            for (size_t k = 0; k < n; k++) {
                uint32_t seq = sl->irs + 1u + (uint32_t)(sl->delivered + off + k);
                if (buf[k] != peer_byte(seq)) {
                    fprintf(stderr, HARNESS ": port %u, stream offset %llu\n", sl->peer_port,
                            (unsigned long long)(sl->delivered + off + k));
                    fail("delivered a byte the peer did not send there", seq - sl->irs);
                }
            }
        }
    }
    pbuf_free(p);
    sl->delivered += len;
    sl->unread += len;
    if (sl->mode & MODE_AUTO_RECVED) {
        tcp_recved(pcb, len);
        sl->unread -= len;
    }
    if (sl->mode & MODE_ECHO) {
        size_t room = tcp_sndbuf(pcb);
        if (room > 0) app_write(sl, SHOAL_MIN(room, len), 0);
    }
    if (sl->mode & MODE_ABORT_IN_RECV) {
        sl->pcb = NULL;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    if (sl->mode & MODE_CLOSE_IN_RECV) return app_close(sl, pcb);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, size_t len)
{
    struct slot *sl = arg;
    if (pcb != sl->pcb) fail("sent callback for a PCB the slot does not hold", sl->peer_port);
    sl->sent_cbs++;
    if (sl->mode & MODE_WRITE_IN_SENT) app_write(sl, SHOAL_MIN(len, tcp_sndbuf(pcb)), 0);
    return ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct slot *sl = arg;
    if (pcb != sl->pcb) fail("poll callback for a PCB the slot does not hold", sl->peer_port);
    if (sl->mode & MODE_WRITE_IN_SENT) app_write(sl, SHOAL_MIN((size_t)100u, tcp_sndbuf(pcb)), 0);
    if ((sl->mode & MODE_CLOSE_ON_FIN) && sl->fin_delivered) return app_close(sl, pcb);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    struct slot *sl = arg;
    (void)err;
    if (sl->pcb == NULL) fail("err callback for a connection the application let go", sl->peer_port);
    sl->pcb = NULL; /* already freed */
    sl->errs++;
}

static void adopt(struct slot *sl, struct tcp_pcb *pcb)
{
    sl->pcb = pcb;
    sl->delivered = sl->written = sl->unread = 0;
    sl->fin_delivered = false;
    tcp_arg(pcb, sl);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    apply_mode(sl);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    struct harness *h = arg;
    struct tcp_info info;
    tcp_get_info(newpcb, &info);
    struct slot *sl = slot_by_ports(h, info.local_port, info.remote_port);
    if (sl == NULL) fail("accepted a connection on a 4-tuple nobody used", info.remote_port);
    if (info.state != TCP_ESTABLISHED) fail("accepted a connection that is not ESTABLISHED", info.state);
    if (sl->pcb != NULL) fail("accepted a second connection on a held 4-tuple", info.remote_port);
    if (err != ERR_OK || (sl->mode & MODE_ABORT_IN_RECV && sl->mode & MODE_CLOSE_IN_RECV)) {
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    sl->accepted++;
    adopt(sl, newpcb);
    return ERR_OK;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct slot *sl = arg;
    (void)err;
    if (pcb != sl->pcb) fail("connected callback for a PCB the slot does not hold", sl->peer_port);
    return ERR_OK;
}

static void app_listen(struct harness *h, uint8_t backlog)
{
    struct tcp_pcb *t = tcp_new(h->stack);
    if (t == NULL) return;
    if (tcp_bind(t, NULL, LISTEN_PORT) != ERR_OK) {
        tcp_abort(t);
        return;
    }
    h->listener = tcp_listen_with_backlog(t, backlog);
    if (h->listener == NULL) {
        tcp_abort(t);
        return;
    }
    tcp_arg(h->listener, h);
    tcp_accept(h->listener, on_accept);
}

static void app_connect(struct harness *h, struct slot *sl)
{
    struct tcp_pcb *c = tcp_new(h->stack);
    if (c == NULL) return;
    if (tcp_bind(c, NULL, sl->stack_port) != ERR_OK) {
        tcp_abort(c);
        return;
    }
    adopt(sl, c);
    sl->isn_known = sl->irs_known = sl->peer_known = false;
    ip_addr_t peer = ip_addr_from_ip4(*peer_ip());
    if (tcp_connect(c, &peer, sl->peer_port, on_connected) != ERR_OK) {
        sl->pcb = NULL;
        tcp_abort(c);
    }
}

enum app_op { APP_WRITE, APP_RECVED, APP_CLOSE, APP_SHUTDOWN, APP_ABORT, APP_MODE, APP_OUTPUT, APP_OPEN };

static void app_call(struct harness *h, unsigned op, struct slot *sl, uint8_t arg)
{
    struct tcp_pcb *pcb = sl->pcb;
    switch ((enum app_op)op) {
    case APP_WRITE: /* ((arg >> 1) + 1) * 97 bytes; arg & 1: TCP_WRITE_FLAG_MORE, no tcp_output */
        if (app_write(sl, ((size_t)(arg >> 1) + 1u) * 97u, (arg & 1u) ? TCP_WRITE_FLAG_MORE : 0) == ERR_OK &&
            !(arg & 1u))
            tcp_output(sl->pcb);
        return;
    case APP_RECVED: { /* arg 0: all that is unread, else up to arg * 64 bytes */
        if (pcb == NULL) return;
        uint64_t n = arg == 0 ? sl->unread : SHOAL_MIN(sl->unread, (uint64_t)arg * 64u);
        sl->unread -= n;
        tcp_recved(pcb, (size_t)n);
        return;
    }
    case APP_CLOSE:
        if (pcb == NULL) return;
        if (arg & 1u) {
            /* An application that retries later keeps the PCB. */
            if (tcp_close(pcb) == ERR_OK) sl->pcb = NULL;
        } else {
            app_close(sl, pcb);
        }
        return;
    case APP_SHUTDOWN:
        if (pcb != NULL) tcp_shutdown(pcb, (arg & 1u) != 0, (arg & 2u) != 0);
        return;
    case APP_ABORT:
        if (pcb == NULL) return;
        sl->pcb = NULL;
        tcp_abort(pcb);
        return;
    case APP_MODE:
        sl->mode = arg;
        apply_mode(sl);
        return;
    case APP_OUTPUT: /* arg & 0x80: poll every (arg & 0x7f) * 50 ms (0: off), else tcp_output */
        if (pcb == NULL) return;
        if (arg & 0x80u)
            tcp_poll(pcb, on_poll, (uint32_t)(arg & 0x7fu) * 50u);
        else
            tcp_output(pcb);
        return;
    case APP_OPEN: /* connect again on an active slot; else close (arg & 1) or reopen the listener */
        if (sl->active) {
            if (pcb == NULL) app_connect(h, sl);
        } else if (arg & 1u) {
            if (h->listener != NULL && tcp_close(h->listener) == ERR_OK) h->listener = NULL;
        } else if (h->listener == NULL) {
            app_listen(h, (uint8_t)(1u + ((arg >> 1) & 7u)));
        }
        return;
    }
}

/* ---- oracles between records ---- */

static void check_between(struct harness *h)
{
    fuzz_advance(HARNESS, &h->tp, h->stack, h->tp.now_ns); /* timers due now, then deadline checks */
    fuzz_check_pools(HARNESS, h->stack, false);
    for (unsigned i = 0; i < SLOTS; i++) {
        struct slot *sl = &h->slot[i];
        if (sl->pcb == NULL) continue;
        /* The application holds it: the stack must still have it (it may
         * free a PCB only after tcp_close, tcp_abort or the err callback). */
        if (slot_state(h, sl) == TCP_CLOSED) {
            if (!allowed("silent_free"))
                fail("the stack freed a connection the application still holds (no err callback)", sl->peer_port);
            sl->pcb = NULL;
            continue;
        }
        /* The send queue holds exactly what was written and not yet
         * acknowledged; the stack counts what it delivered as we do. */
        struct tcp_info info;
        tcp_get_info(sl->pcb, &info);
        uint64_t queued = (uint64_t)info.unsent_bytes + info.unacked_bytes;
        if (sl->written - info.bytes_acked != queued)
            fail("send queue out of step with written minus acknowledged bytes", queued);
        if (info.bytes_received != sl->delivered) fail("bytes_received differs from what was delivered", info.bytes_received);
    }
}

/* ---- the run ---- */

static void setup(struct harness *h, uint8_t c0, uint8_t c1, uint8_t c2)
{
    memset(h, 0, sizeof(*h));
    test_platform_init(&h->tp, 0x7c9d1e55u);
    struct stack_config cfg;
    stack_config_default(&cfg);
    cfg.tcp_sack = !(c0 & 0x01u);
    cfg.tcp_timestamps = !(c0 & 0x02u);
    cfg.tcp_wscale = !(c0 & 0x04u);
    if (c0 & 0x08u) cfg.tcp_delack_ms = 0;
    if (c0 & 0x10u) cfg.tcp_wnd = 2920u;
    if (c0 & 0x20u) {
        cfg.pbuf_count = 24u;
        cfg.tcp_seg_count = 16u;
    }
    if (c0 & 0x40u) cfg.tcp_snd_buf = 4096u;
    if (c0 & 0x80u) cfg.tcp_ooseq_max = 2u;
    h->stack = stack_new(&cfg, &h->tp.platform);
    if (h->stack == NULL) fail("stack_new", c0);

    struct netif_init ni = {
        .kind = NETIF_ETHERNET, .name = "eth0", .hwaddr = host_mac, .hwaddr_len = 6, .mtu = 1500,
        .linkoutput = capture_output, .state = h,
    };
    h->netif = netif_add(h->stack, &ni);
    if (h->netif == NULL) fail("netif_add", 0);
    netif_set_up(h->netif);
    netif_set_link_up(h->netif);
    ip4_addr_t mask = ip4_addr_make(255, 255, 255, 0);
    netif_set_ip4(h->netif, host_ip(), &mask, NULL);
    struct eth_addr pm;
    memcpy(&pm, peer_mac, sizeof(pm));
    if (etharp_add_static(h->netif, peer_ip(), &pm) != ERR_OK) fail("etharp_add_static", 0);
    app_listen(h, 4);
    if (h->listener == NULL) fail("listen", 0);

    for (unsigned i = 0; i < SLOTS; i++) {
        struct slot *sl = &h->slot[i];
        sl->active = i == SLOT_ACTIVE_EST || i == SLOT_SYN_SENT;
        sl->stack_port = sl->active ? (uint16_t)(6000u + i) : (uint16_t)(i == SLOT_CLOSED_PORT ? CLOSED_PORT : LISTEN_PORT);
        sl->peer_port = (uint16_t)((sl->active ? 5000u : 40000u) + i);
        sl->peer_isn = 1000000u * (i + 1u);
        sl->peer_hi = sl->peer_isn;
        sl->stack_ack = sl->peer_isn; /* so that seq offset 0 is a plausible ISN */
        sl->peer_ts = 100u + i;
    }
    /* Passive opens: SYN-RCVD, then two complete handshakes. */
    const unsigned passive[] = {SLOT_SYN_RCVD, SLOT_PASSIVE_EST, SLOT_IN_FLIGHT};
    for (unsigned k = 0; k < 3; k++) {
        struct slot *sl = &h->slot[passive[k]];
        peer_syn(h, sl, c1, c2, false);
        if (passive[k] != SLOT_SYN_RCVD) peer_ack(h, sl);
    }
    /* Active opens: one answered, one left in SYN-SENT. */
    struct slot *act = &h->slot[SLOT_ACTIVE_EST];
    app_connect(h, act);
    act->irs_known = true;
    act->irs = act->peer_isn;
    if (act->isn_known) {
        peer_syn(h, act, c1, c2, true);
        act->peer_hi = act->peer_isn + 1u;
    }
    app_connect(h, &h->slot[SLOT_SYN_SENT]);
    /* Data of ours in flight on one connection. */
    struct slot *fl = &h->slot[SLOT_IN_FLIGHT];
    if (fl->pcb != NULL && app_write(fl, 6000u, 0) == ERR_OK) tcp_output(fl->pcb);
    check_between(h);
}

static void segment_record(struct harness *h, uint8_t op, const uint8_t *d, size_t size, size_t *at)
{
    size_t i = *at;
    struct slot *sl = &h->slot[op & 7u];
    if (i + 8 > size) {
        *at = size;
        return;
    }
    struct seg_out s = {0};
    s.flags = d[i];
    int16_t seq_off = (int16_t)rd16be(d + i + 1), ack_off = (int16_t)rd16be(d + i + 3);
    s.wnd = rd16be(d + i + 5);
    size_t opt_len = SHOAL_MIN((size_t)(d[i + 7] & 0x3fu), (size_t)40u);
    i += 8;
    opt_len = SHOAL_MIN(opt_len, size - i);
    uint8_t opts[40];
    memcpy(opts, d + i, opt_len);
    i += opt_len;
    if (i + 2 <= size) {
        s.payload = rd16be(d + i) & 0x7ffu;
        i += 2;
    }
    if ((op & SEG_EXTRA) && i + 3 <= size) {
        s.ctl = d[i];
        s.urg = rd16be(d + i + 1);
        i += 3;
    }
    *at = i;
    uint32_t seq_base = (op & SEG_SEQ_FROM_PEER) ? sl->peer_hi : sl->stack_ack;
    uint32_t ack_base = (op & SEG_ACK_FROM_PEER) ? sl->peer_ack : sl->stack_hi;
    s.seq = seq_base + (uint32_t)(int32_t)seq_off;
    s.ack = ack_base + (uint32_t)(int32_t)ack_off;
    if (op & SEG_RELOCATE) {
        /* Make SACK edges and timestamps relative to the live connection. */
        for (size_t k = 0; k < opt_len;) {
            uint8_t kind = opts[k];
            if (kind == 0) break;
            if (kind == 1 || k + 1 >= opt_len || opts[k + 1] < 2) {
                k++;
                continue;
            }
            size_t olen = SHOAL_MIN((size_t)opts[k + 1], opt_len - k);
            if (kind == 5)
                for (size_t b = k + 2; b + 4 <= k + olen; b += 4) wr32be(opts + b, rd32be(opts + b) + ack_base);
            if (kind == 8 && olen >= 10) {
                wr32be(opts + k + 2, rd32be(opts + k + 2) + sl->peer_ts);
                wr32be(opts + k + 6, rd32be(opts + k + 6) + sl->stack_tsval);
            }
            k += olen;
        }
    }
    s.opts = opts;
    s.opt_len = opt_len;
    peer_send(h, sl, &s);
}

static void print_summary(const struct harness *h)
{
    const char *name;
    uint64_t value;
    fprintf(stderr, "segments in: %u, frames out: %u\n", h->segs_in, h->frames_out);
    for (unsigned i = 0; i < SLOTS; i++) {
        const struct slot *sl = &h->slot[i];
        fprintf(stderr, "  slot %u %u->%u: %s held=%d accepted=%u errs=%u delivered=%llu written=%llu fin=%d\n", i,
                sl->peer_port, sl->stack_port,
                tcp_state_str(slot_state(h, sl)),
                sl->pcb != NULL, sl->accepted, sl->errs, (unsigned long long)sl->delivered,
                (unsigned long long)sl->written, sl->fin_delivered);
    }
    for (size_t i = 0; stack_stats_entry(h->stack, i, &name, &value); i++)
        if (value != 0 && strncmp(name, "tcp.", 4) == 0) fprintf(stderr, " %s=%llu", name, (unsigned long long)value);
    fprintf(stderr, "\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct harness h;
    if (size < 3) return 0;
    setup(&h, data[0], data[1], data[2]);
    h.trace = getenv("SHOAL_FUZZ_TRACE") != NULL;
    size_t i = 3;
    while (i < size) {
        uint8_t op = data[i++];
        if (op < 0x80u) {
            segment_record(&h, op, data, size, &i);
        } else if (i < size) {
            unsigned v = ((unsigned)(op & 0x3fu) << 8) | data[i++];
            if (op < 0xc0u) {
                uint64_t ms = (v & 0x2000u) ? (uint64_t)(v & 0x1fffu) * 64u : v;
                fuzz_advance(HARNESS, &h.tp, h.stack, h.tp.now_ns + ms * SHOAL_NS_PER_MS);
            } else {
                app_call(&h, op & 7u, &h.slot[(op >> 3) & 7u], (uint8_t)(v & 0xffu));
            }
        }
        check_between(&h);
    }
    if (getenv("SHOAL_FUZZ_VERBOSE") != NULL) print_summary(&h);

    /* Let go of everything and let every timer run out: then nothing may
     * hold a pbuf, a segment or a PCB, and nothing may be scheduled. */
    for (unsigned k = 0; k < SLOTS; k++) {
        struct tcp_pcb *pcb = h.slot[k].pcb;
        h.slot[k].pcb = NULL;
        if (pcb != NULL) tcp_abort(pcb);
    }
    if (h.listener != NULL && tcp_close(h.listener) != ERR_OK) tcp_abort(h.listener);
    fuzz_advance(HARNESS, &h.tp, h.stack, h.tp.now_ns + DRAIN_MS * SHOAL_NS_PER_MS);
    if (test_stat(h.stack, "pool.tcp_pcb.used") != 0) {
        /* A connection outlived every timer with a silent peer. When that
         * is allowed, the peer resets each one, and then nothing may be left. */
        if (!allowed("stuck"))
            fail("a connection outlived every timer with a silent peer (stuck PCBs)",
                 test_stat(h.stack, "pool.tcp_pcb.used"));
        for (unsigned k = 0; k < SLOTS; k++) {
            struct seg_out rst = {.flags = F_RST, .seq = h.slot[k].stack_ack};
            if (slot_state(&h, &h.slot[k]) != TCP_CLOSED) peer_send(&h, &h.slot[k], &rst);
        }
        fuzz_advance(HARNESS, &h.tp, h.stack, h.tp.now_ns + DRAIN_MS * SHOAL_NS_PER_MS);
    }
    fuzz_check_pools(HARNESS, h.stack, true);
    if (stack_next_deadline(h.stack) != SHOAL_TIME_NEVER)
        fail("a timer is still scheduled after draining (ms ahead)",
             (stack_next_deadline(h.stack) - h.tp.now_ns) / SHOAL_NS_PER_MS);
    stack_free(h.stack);
    if (h.tp.allocs != 0) fail("instance memory not returned", h.tp.allocs);
    return 0;
}
