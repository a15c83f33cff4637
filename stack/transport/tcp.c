/*
 * TCP: PCBs, the raw API, connection setup and teardown from the
 * application's side, and the per-connection timer (RFC 9293 3.8).
 */
#include <string.h>

#include "shoal/tcp.h"
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "shoal/ip6.h"
#include "transport/ip_pcb.h"
#include "shoal/pbuf.h"
#include "shoal/opt.h"
#include "shoal/inet_chksum.h"
#include "core/stack_priv.h"
#include "core/siphash.h"
#include "transport/tcp_priv.h"
#include "ipv6/ip6_upper.h"

const char *tcp_state_str(enum tcp_state st)
{
    switch (st) {
    case TCP_CLOSED: return "CLOSED";
    case TCP_LISTEN: return "LISTEN";
    case TCP_SYN_SENT: return "SYN_SENT";
    case TCP_SYN_RCVD: return "SYN_RCVD";
    case TCP_ESTABLISHED: return "ESTABLISHED";
    case TCP_FIN_WAIT_1: return "FIN_WAIT_1";
    case TCP_FIN_WAIT_2: return "FIN_WAIT_2";
    case TCP_CLOSE_WAIT: return "CLOSE_WAIT";
    case TCP_CLOSING: return "CLOSING";
    case TCP_LAST_ACK: return "LAST_ACK";
    case TCP_TIME_WAIT: return "TIME_WAIT";
    }
    return "?";
}

/* ---- PCBs ---- */

/* The PCB to give up when the pool is empty: the oldest in TIME-WAIT (its
 * job is done, lwIP recycles it too), else the oldest half-open connection
 * (SYN-flood resilience across listeners). */
static struct tcp_pcb *reclaimable(struct stack *s)
{
    struct tcp_pcb *tw = NULL, *half = NULL;
    for (struct tcp_pcb *q = s->tcp_pcbs; q != NULL; q = q->next) {
        if (q->flags & TF_IN_INPUT) continue;
        if (q->state == TCP_TIME_WAIT && (tw == NULL || q->close_at < tw->close_at)) tw = q;
        if (q->state == TCP_SYN_RCVD && q->listener != NULL && half == NULL) half = q;
    }
    return tw != NULL ? tw : half;
}

struct tcp_pcb *tcp_alloc_pcb(struct stack *s)
{
    struct tcp_pcb *pcb = pool_alloc(&s->pools[POOL_TCP_PCB]);
    if (pcb == NULL) {
        struct tcp_pcb *victim = reclaimable(s);
        if (victim != NULL) {
            if (victim->state == TCP_SYN_RCVD) s->stats.tcp_syn_evicted++;
            tcp_enter_closed(victim, ERR_OK); /* an application still holding it hears ERR_CLSD */
            pcb = pool_alloc(&s->pools[POOL_TCP_PCB]);
        }
    }
    if (pcb == NULL) {
        STATS_INC(s, STATS_TCP, memerr);
        return NULL;
    }
    memset(pcb, 0, sizeof(*pcb));
    pcb->stack = s;
    pcb->state = TCP_CLOSED;
    pcb->mss = TCP_DEFAULT_MSS;
    pcb->rto_ns = (uint64_t)s->cfg.tcp_rto_init_ms * SHOAL_NS_PER_MS;
    pcb->rtx_at = pcb->persist_at = pcb->delack_at = pcb->keep_at = pcb->close_at = pcb->poll_at = SHOAL_TIME_NEVER;
    pcb->keep_idle_ms = SHOAL_TCP_KEEPIDLE_MS;
    pcb->keep_intvl_ms = SHOAL_TCP_KEEPINTVL_MS;
    pcb->keep_cnt = SHOAL_TCP_KEEPCNT;
    return pcb;
}

struct tcp_pcb *tcp_new_ip_type(struct stack *s, enum ip_addr_type type)
{
    struct tcp_pcb *pcb = tcp_alloc_pcb(s);
    if (pcb != NULL) pcb->local_ip = pcb->remote_ip = ip_addr_any(type);
    return pcb;
}

struct tcp_pcb *tcp_new(struct stack *s) { return tcp_new_ip_type(s, IPADDR_TYPE_V4); }

static bool is_listed(const struct tcp_pcb *pcb)
{
    for (const struct tcp_pcb *q = pcb->stack->tcp_pcbs; q != NULL; q = q->next)
        if (q == pcb) return true;
    return false;
}

static void list_pcb(struct tcp_pcb *pcb)
{
    if (is_listed(pcb)) return;
    /* Append: lookups and timers then follow creation order. */
    struct tcp_pcb **pp = &pcb->stack->tcp_pcbs;
    while (*pp != NULL) pp = &(*pp)->next;
    pcb->next = NULL;
    *pp = pcb;
}

void tcp_seg_free(struct stack *s, struct tcp_seg *seg)
{
    pbuf_free(seg->p);
    pool_free(&s->pools[POOL_TCP_SEG], seg);
}

static void free_list(struct stack *s, struct tcp_seg *seg)
{
    while (seg != NULL) {
        struct tcp_seg *next = seg->next;
        tcp_seg_free(s, seg);
        seg = next;
    }
}

void tcp_pcb_purge(struct tcp_pcb *pcb)
{
    free_list(pcb->stack, pcb->unsent);
    free_list(pcb->stack, pcb->unacked);
    free_list(pcb->stack, pcb->ooseq);
    pcb->stack->tcp_ooseq_total -= pcb->ooseq_count;
    pcb->unsent = pcb->unsent_tail = pcb->unacked = pcb->ooseq = NULL;
    pcb->unacked_tail = NULL;
    pcb->ooseq_count = 0;
    pcb->snd_queued = 0;
}

void tcp_pcb_free(struct tcp_pcb *pcb)
{
    struct stack *s = pcb->stack;
    if (pcb->flags & TF_IN_INPUT) {
        /* tcp_input still holds it: it frees the PCB when it is done. */
        pcb->flags |= TF_FREE_PENDING;
        pcb->state = TCP_CLOSED;
        return;
    }
    stack_timer_cancel(s, &pcb->timer);
    tcp_pcb_purge(pcb);
    if (pcb->listener != NULL && pcb->listener->children > 0) pcb->listener->children--;
    if (pcb->state == TCP_LISTEN) {
        /* Connections nobody accepted yet go with their listener (reset). */
        pcb->state = TCP_CLOSED;
        for (struct tcp_pcb *q = s->tcp_pcbs; q != NULL;) {
            if (q->listener == pcb) {
                q->listener = NULL;
                tcp_abort(q);
                q = s->tcp_pcbs; /* the list changed */
            } else {
                q = q->next;
            }
        }
    }
    for (struct tcp_pcb **pp = &s->tcp_pcbs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == pcb) {
            *pp = pcb->next;
            break;
        }
    }
    pool_free(&s->pools[POOL_TCP_PCB], pcb);
}

void tcp_enter_closed(struct tcp_pcb *pcb, err_t err)
{
    tcp_err_fn errf = pcb->errf;
    void *arg = pcb->arg;
    /* The application hears of every end of a PCB it still holds: a reset or
     * timeout with its cause, a graceful end (LAST-ACK or TIME-WAIT done
     * after tcp_shutdown) with ERR_CLSD. An unaccepted child has no
     * application yet; after tcp_close the application let go. */
    if (err == ERR_OK) err = ERR_CLSD;
    bool notify = errf != NULL && !(pcb->flags & TF_CLOSED_BY_APP) && pcb->listener == NULL;
    tcp_set_state(pcb, TCP_CLOSED);
    tcp_pcb_free(pcb);
    if (notify) errf(arg, err);
}

void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state st) { pcb->state = st; }

/* ---- helpers ---- */

uint32_t tcp_isn(struct stack *s, const struct tcp_pcb *pcb)
{
    /* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
     * M a timer ticking every 4 microseconds. */
    uint8_t tuple[2 * IP6_ADDR_LEN + 4];
    size_t alen = 4;
    if (ip_pcb_is_v6(&pcb->remote_ip)) {
        alen = IP6_ADDR_LEN;
        ip6_addr_to_bytes(ip_2_ip6(&pcb->local_ip), tuple);
        ip6_addr_to_bytes(ip_2_ip6(&pcb->remote_ip), tuple + alen);
    } else {
        memcpy(tuple, &pcb->local_ip.u_addr.ip4.addr, 4);
        memcpy(tuple + 4, &pcb->remote_ip.u_addr.ip4.addr, 4);
    }
    wr16be(tuple + 2 * alen, pcb->local_port);
    wr16be(tuple + 2 * alen + 2, pcb->remote_port);
    uint32_t m = (uint32_t)(stack_now(s) / 4000u);
    return m + (uint32_t)siphash24(s->tcp_isn_key, tuple, 2 * alen + 4);
}

static bool port_in_use(struct stack *s, const ip_addr_t *ip, uint16_t port, const struct tcp_pcb *except)
{
    bool reuse = except != NULL && (except->flags & TF_REUSEADDR);
    for (const struct tcp_pcb *q = s->tcp_pcbs; q != NULL; q = q->next) {
        if (q == except || q->local_port != port) continue;
        if (ip != NULL && !ip_pcb_addrs_overlap(&q->local_ip, ip)) continue;
        /* With SO_REUSEADDR, connections (TIME-WAIT ones above all) do not
         * hold the port; a listener or another bound PCB still does. */
        if (reuse && q->state != TCP_LISTEN && q->state != TCP_CLOSED) continue;
        return true;
    }
    return false;
}

void tcp_set_reuseaddr(struct tcp_pcb *pcb, bool on)
{
    if (on)
        pcb->flags |= TF_REUSEADDR;
    else
        pcb->flags &= (uint16_t)~TF_REUSEADDR;
}

uint16_t tcp_ephemeral_port(struct stack *s)
{
    uint32_t range = SHOAL_EPHEMERAL_PORT_MAX - SHOAL_EPHEMERAL_PORT_MIN + 1u;
    for (uint32_t n = 0; n < range; n++) {
        uint16_t port = s->tcp_next_port;
        s->tcp_next_port = (uint16_t)(port == SHOAL_EPHEMERAL_PORT_MAX ? SHOAL_EPHEMERAL_PORT_MIN : port + 1u);
        if (!port_in_use(s, NULL, port, NULL)) return port;
    }
    return 0;
}

struct netif *tcp_route_netif(struct tcp_pcb *pcb)
{
    if (ip_pcb_is_v6(&pcb->remote_ip)) {
        struct ip6_route_result rt6;
        if (ip6_route(pcb->stack, ip_2_ip6(&pcb->remote_ip), &rt6) != ERR_OK) return NULL;
        return rt6.netif;
    }
    struct ip4_route_result rt;
    if (ip4_route(pcb->stack, ip_2_ip4(&pcb->remote_ip), &rt) != ERR_OK) return NULL;
    return rt.netif;
}

/* RFC 9293 3.7.1 / RFC 6691: MSS = MTU - 40 (IPv4 and TCP headers). */
uint16_t tcp_mss_for_route(struct tcp_pcb *pcb)
{
    uint32_t mss = pcb->stack->cfg.tcp_mss;
    if (ip_pcb_is_v6(&pcb->remote_ip)) {
        /* IPv6: the path MTU (RFC 8201) less 60 (IPv6 and TCP headers). */
        uint32_t pmtu = ip6_path_mtu(pcb->stack, ip_2_ip6(&pcb->remote_ip));
        if (pmtu > 60u) mss = SHOAL_MIN(mss, pmtu - 60u);
        return (uint16_t)mss;
    }
    struct netif *n = tcp_route_netif(pcb);
    if (n != NULL && n->mtu > 40u) mss = SHOAL_MIN(mss, (uint32_t)n->mtu - 40u);
    return (uint16_t)mss;
}

#if SHOAL_IPV6
/* RFC 8201 5.2 / 5.4: the path MTU towards dst went down (a Packet Too Big):
 * connections to dst send smaller segments from now on. Data not yet sent is
 * cut again to the new size; segments already in flight that no longer fit
 * are fragmented by IPv6 at the source if they must be sent again (RFC 8200 5). */
void tcp_pmtu_lowered(struct stack *s, const ip6_addr_t *dst)
{
    for (struct tcp_pcb *pcb = s->tcp_pcbs; pcb != NULL; pcb = pcb->next) {
        if (!ip_pcb_is_v6(&pcb->remote_ip) || !ip6_addr_eq(ip_2_ip6(&pcb->remote_ip), dst)) continue;
        if (pcb->state < TCP_SYN_SENT || pcb->state == TCP_TIME_WAIT) continue;
        uint16_t mss = tcp_mss_for_route(pcb);
        if (mss >= pcb->mss) continue;
        pcb->mss = mss;
        tcp_resegment_unsent(pcb);
    }
}
#endif

uint32_t tcp_rcv_wnd_avail(const struct tcp_pcb *pcb)
{
    uint32_t wnd = pcb->stack->cfg.tcp_wnd;
    return pcb->rcv_unread >= wnd ? 0 : wnd - pcb->rcv_unread;
}

/* Our window scale: the smallest shift that lets the window fit 16 bits. */
static uint8_t wscale_for(uint32_t wnd)
{
    uint8_t shift = 0;
    while (shift < TCP_MAX_WSCALE && (wnd >> shift) > 0xffffu) shift++;
    return shift;
}

/* ---- callbacks ---- */

void tcp_arg(struct tcp_pcb *pcb, void *arg) { pcb->arg = arg; }
void tcp_recv(struct tcp_pcb *pcb, tcp_recv_fn fn) { pcb->recv = fn; }
void tcp_sent(struct tcp_pcb *pcb, tcp_sent_fn fn) { pcb->sent = fn; }
void tcp_err(struct tcp_pcb *pcb, tcp_err_fn fn) { pcb->errf = fn; }
void tcp_accept(struct tcp_pcb *pcb, tcp_accept_fn fn) { pcb->accept = fn; }

void tcp_poll(struct tcp_pcb *pcb, tcp_poll_fn fn, uint32_t interval_ms)
{
    pcb->poll = fn;
    pcb->poll_interval_ms = interval_ms;
    pcb->poll_at = (fn != NULL && interval_ms > 0)
                       ? stack_now(pcb->stack) + (uint64_t)interval_ms * SHOAL_NS_PER_MS
                       : SHOAL_TIME_NEVER;
    tcp_timer_update(pcb);
}

/* ---- opening ---- */

err_t tcp_bind(struct tcp_pcb *pcb, const ip_addr_t *ip, uint16_t port)
{
    struct stack *s = pcb->stack;
    if (pcb->state != TCP_CLOSED) return ERR_VAL;
    ip_addr_t local = ip_pcb_bind_addr(&pcb->local_ip, ip);
    if (port == 0) {
        port = tcp_ephemeral_port(s);
        if (port == 0) return ERR_USE;
    } else if (port_in_use(s, &local, port, pcb)) {
        return ERR_USE;
    }
    pcb->local_ip = local;
    pcb->local_port = port;
    list_pcb(pcb);
    return ERR_OK;
}

struct tcp_pcb *tcp_listen_with_backlog(struct tcp_pcb *pcb, uint8_t backlog)
{
    if (pcb == NULL || pcb->state != TCP_CLOSED) return NULL;
    if (pcb->local_port == 0 && tcp_bind(pcb, &pcb->local_ip, 0) != ERR_OK) return NULL;
    /* A backlog beyond the PCB pool could never be filled: clamp it so that
     * half-open connections cannot take every PCB. */
    uint32_t max_backlog = pcb->stack->cfg.tcp_pcb_count > 1 ? pcb->stack->cfg.tcp_pcb_count - 1u : 1u;
    if (backlog > max_backlog) backlog = (uint8_t)max_backlog;
    pcb->backlog = backlog > 0 ? backlog : 1;
    tcp_set_state(pcb, TCP_LISTEN);
    list_pcb(pcb);
    return pcb;
}

/* Options and windows for a new connection, before its SYN. */
static void init_connection(struct tcp_pcb *pcb)
{
    struct stack *s = pcb->stack;
    pcb->iss = tcp_isn(s, pcb);
    pcb->snd_una = pcb->snd_nxt = pcb->snd_lbb = pcb->iss;
    pcb->snd_max = pcb->iss;
    pcb->rcv_mss = tcp_mss_for_route(pcb);
    pcb->mss = SHOAL_MIN(pcb->rcv_mss, (uint16_t)tcp_default_mss(pcb));
    pcb->rcv_wscale = s->cfg.tcp_wscale ? wscale_for(s->cfg.tcp_wnd) : 0;
    pcb->ts_offset = stack_random32(s);
    tcp_cc_init(pcb);
    pcb->recover = pcb->iss; /* RFC 6582 3.2 (1) */
}

err_t tcp_connect(struct tcp_pcb *pcb, const ip_addr_t *ip, uint16_t port, tcp_connected_fn connected)
{
    struct stack *s = pcb->stack;
    if (pcb->state != TCP_CLOSED) return ERR_ISCONN;
    if (ip == NULL || ip_pcb_is_any(ip) || port == 0 || !ip_pcb_dst_ok(&pcb->local_ip, ip) ||
        ip_addr_is_multicast(ip) || (ip_addr_is_v4(ip) && ip4_addr_is_limited_broadcast(ip_2_ip4(ip))))
        return ERR_VAL;
    pcb->remote_ip = *ip;
    pcb->remote_port = port;
    ip_addr_t local;
    if (ip_pcb_is_v6(ip)) {
        /* RFC 6724 5: the source goes with the route. */
        struct ip_pcb_route6 rt6;
        if (ip_pcb_route6(s, &pcb->local_ip, ip_2_ip6(ip), 0, 0, &rt6) != ERR_OK) {
            STATS_INC(s, STATS_TCP, rterr);
            return ERR_RTE;
        }
        local = ip_addr_from_ip6(&rt6.src);
    } else {
        struct netif *n = tcp_route_netif(pcb);
        if (n == NULL) {
            STATS_INC(s, STATS_TCP, rterr);
            return ERR_RTE;
        }
        local = ip_pcb_is_any(&pcb->local_ip) ? ip_addr_from_ip4(n->ip4) : pcb->local_ip;
    }
    pcb->local_ip = local;
    if (pcb->local_port == 0) {
        pcb->local_port = tcp_ephemeral_port(s);
        if (pcb->local_port == 0) return ERR_USE;
    }
    for (const struct tcp_pcb *q = s->tcp_pcbs; q != NULL; q = q->next) {
        if (q != pcb && q->local_port == pcb->local_port && q->remote_port == port &&
            ip_pcb_addr_eq(&q->remote_ip, ip) && ip_pcb_addr_eq(&q->local_ip, &pcb->local_ip))
            return ERR_USE;
    }
    pcb->connected = connected;
    init_connection(pcb);
    list_pcb(pcb);
    err_t err = tcp_enqueue_flags(pcb, TCP_SYN);
    if (err != ERR_OK) return err;
    tcp_set_state(pcb, TCP_SYN_SENT);
    return tcp_output(pcb);
}

struct tcp_pcb *tcp_listen_input_new(struct tcp_pcb *lpcb, const ip_addr_t *local, const ip_addr_t *remote,
                                     uint16_t remote_port)
{
    struct stack *s = lpcb->stack;
    if (lpcb->children >= lpcb->backlog) {
        /* SYN-flood resilience: the oldest half-open connection makes room. */
        struct tcp_pcb *victim = NULL;
        for (struct tcp_pcb *q = s->tcp_pcbs; q != NULL; q = q->next)
            if (q->listener == lpcb && q->state == TCP_SYN_RCVD) {
                victim = q;
                break;
            }
        if (victim == NULL) return NULL;
        s->stats.tcp_syn_evicted++;
        tcp_pcb_free(victim);
    }
    struct tcp_pcb *pcb = tcp_alloc_pcb(s);
    if (pcb == NULL) return NULL;
    pcb->local_ip = *local;
    pcb->local_port = lpcb->local_port;
    pcb->remote_ip = *remote;
    pcb->remote_port = remote_port;
    pcb->listener = lpcb;
    pcb->arg = lpcb->arg;
    pcb->flags = (uint16_t)(lpcb->flags & (TF_NODELAY | TF_KEEPALIVE));
    pcb->keep_idle_ms = lpcb->keep_idle_ms;
    pcb->keep_intvl_ms = lpcb->keep_intvl_ms;
    pcb->keep_cnt = lpcb->keep_cnt;
    lpcb->children++;
    init_connection(pcb);
    list_pcb(pcb);
    return pcb;
}

void tcp_accept_child(struct tcp_pcb *child)
{
    struct tcp_pcb *lpcb = child->listener;
    if (lpcb == NULL) return;
    child->listener = NULL;
    if (lpcb->children > 0) lpcb->children--;
    if (lpcb->accept == NULL) {
        tcp_abort(child); /* nobody to take it: reset rather than leak it */
        return;
    }
    err_t err = lpcb->accept(lpcb->arg, child, ERR_OK);
    if (err != ERR_OK && err != ERR_ABRT) tcp_abort(child);
    /* ERR_ABRT: the application aborted child itself. */
}

/* ---- sending ---- */

/* Partial sum of n bytes that sit at `offset` in a segment's payload
 * (RFC 1071 2(B): bytes at an odd offset count byte-swapped). */
static uint32_t sum_at(const uint8_t *d, size_t n, size_t offset)
{
    uint32_t part = chksum_partial(d, n, 0);
    while (part >> 16) part = (part & 0xffffu) + (part >> 16);
    if (offset & 1u) part = ((part & 0xffu) << 8) | (part >> 8);
    return part;
}

static uint32_t sum_add(uint32_t a, uint32_t b)
{
    uint64_t t = (uint64_t)a + b;
    while (t >> 16) t = (t & 0xffffu) + (t >> 16);
    return (uint32_t)t;
}

size_t tcp_sndbuf(const struct tcp_pcb *pcb)
{
    size_t cap = pcb->stack->cfg.tcp_snd_buf;
    return pcb->snd_queued >= cap ? 0 : cap - pcb->snd_queued;
}

err_t tcp_write(struct tcp_pcb *pcb, const void *data, size_t len, uint8_t apiflags)
{
    struct stack *s = pcb->stack;
    if (pcb->state != TCP_ESTABLISHED && pcb->state != TCP_CLOSE_WAIT && pcb->state != TCP_SYN_SENT &&
        pcb->state != TCP_SYN_RCVD)
        return ERR_CONN;
    if (pcb->flags & TF_FIN_QUEUED) return ERR_CLSD;
    if (len == 0) return ERR_OK;
    if (len > tcp_sndbuf(pcb)) return ERR_MEM;
    const uint8_t *src = data;
    size_t off = 0;
    /* RFC 6691: the MSS counts no options; room for timestamps comes off it. */
    size_t seg_max = tcp_full_seg(pcb);

    /* New segments go on a private list first: all or nothing. */
    struct tcp_seg *head = NULL, *tail = NULL;
    size_t fill = 0;
    struct tcp_seg *last = pcb->unsent_tail;
    /* Only a segment never sent may grow (after a timeout, sent ones wait in
     * unsent again). */
    if (last != NULL && !(last->flags & (TCP_SYN | TCP_FIN)) && last->rtx_count == 0 && last->len < seg_max &&
        seq_geq(last->seq, pcb->snd_max) &&
        last->p != NULL && last->p->next == NULL)
        fill = SHOAL_MIN(SHOAL_MIN(seg_max - last->len, pbuf_tailroom(last->p)), len);
    uint32_t seq = pcb->snd_lbb + (uint32_t)fill;
    for (off = fill; off < len;) {
        size_t n = SHOAL_MIN(seg_max, len - off);
        struct tcp_seg *seg = pool_alloc(&s->pools[POOL_TCP_SEG]);
        struct pbuf *p = seg != NULL ? pbuf_alloc(s, PBUF_TRANSPORT, n) : NULL;
        if (p == NULL) {
            if (seg != NULL) pool_free(&s->pools[POOL_TCP_SEG], seg);
            free_list(s, head);
            STATS_INC(s, STATS_TCP, memerr);
            return ERR_MEM;
        }
        memset(seg, 0, sizeof(*seg));
        pbuf_take(p, src + off, n);
        /* Sum the payload while it is warm: every (re)transmission reuses it. */
        seg->sum = sum_at(src + off, n, 0);
        seg->sum_valid = true;
        seg->p = p;
        seg->seq = seq;
        seg->len = (uint32_t)n;
        if (tail != NULL)
            tail->next = seg;
        else
            head = seg;
        tail = seg;
        seq += (uint32_t)n;
        off += n;
    }
    if (fill > 0) {
        memcpy(last->p->payload + last->p->len, src, fill);
        last->p->len += fill;
        last->p->tot_len += fill;
        if (last->sum_valid) last->sum = sum_add(last->sum, sum_at(src, fill, last->len));
        last->len += (uint32_t)fill;
    }
    if (head != NULL) {
        if (pcb->unsent_tail != NULL)
            pcb->unsent_tail->next = head;
        else
            pcb->unsent = head;
        pcb->unsent_tail = tail;
    }
    /* RFC 9293 3.9.1: PSH on the last segment of a write, unless more follows. */
    if (!(apiflags & TCP_WRITE_FLAG_MORE) && pcb->unsent_tail != NULL) pcb->unsent_tail->flags |= TCP_PSH;
    pcb->snd_lbb += (uint32_t)len;
    pcb->snd_queued += len;
    return ERR_OK;
}

/* Data written before the handshake was cut to a guessed MSS: cut it again
 * to full segments now that the MSS and options are known (RFC 9293
 * 3.8.6.2.1 sends full-sized segments). All or nothing: on a pool shortage
 * the old segments stay as they were. */
static void resegment(struct tcp_pcb *pcb, bool include_sent);

void tcp_resegment_unsent(struct tcp_pcb *pcb) { resegment(pcb, false); }

/* After the MSS went down (RFC 8201 5.2): data that goes out again after a
 * timeout is cut to the new size too, so that it needs no IP fragments. */
void tcp_resegment_queued(struct tcp_pcb *pcb) { resegment(pcb, true); }

static void resegment(struct tcp_pcb *pcb, bool include_sent)
{
    struct stack *s = pcb->stack;
    size_t full = tcp_full_seg(pcb);
    /* The run of never-sent data segments (the SYN, if still unsent, stays first). */
    struct tcp_seg **start = &pcb->unsent;
    while (*start != NULL && ((*start)->flags & TCP_SYN)) start = &(*start)->next;
    size_t bytes = 0;
    bool needed = false;
    struct tcp_seg *end = *start;
    for (; end != NULL && !(end->flags & (TCP_SYN | TCP_FIN)) && (include_sent || end->rtx_count == 0) &&
           end->p != NULL;
         end = end->next) {
        bytes += end->len;
        if (end->len != full && (end->len > full || end->next != NULL)) needed = true;
    }
    if (!needed || bytes == 0) return;
    struct tcp_seg *head = NULL, *tail = NULL;
    struct tcp_seg *src = *start;
    size_t src_off = 0;
    uint32_t seq = (*start)->seq;
    uint8_t psh = 0;
    uint8_t rtx = 0; /* Karn: new segments carrying resent data count as resent */
    for (size_t done = 0; done < bytes;) {
        size_t n = SHOAL_MIN(full, bytes - done);
        struct tcp_seg *seg = pool_alloc(&s->pools[POOL_TCP_SEG]);
        struct pbuf *p = seg != NULL ? pbuf_alloc(s, PBUF_TRANSPORT, n) : NULL;
        if (p == NULL) {
            if (seg != NULL) pool_free(&s->pools[POOL_TCP_SEG], seg);
            free_list(s, head);
            return;
        }
        memset(seg, 0, sizeof(*seg));
        size_t filled = 0;
        while (filled < n) {
            size_t take = SHOAL_MIN(n - filled, (size_t)src->len - src_off);
            size_t off = 0;
            for (struct pbuf *q = src->p; q != NULL && off < src_off + take; q = q->next) {
                /* copy [src_off, src_off + take) of src's chain into p at `filled` */
                size_t lo = off, hi = off + q->len;
                size_t from = SHOAL_MAX(lo, src_off), to = SHOAL_MIN(hi, src_off + take);
                if (from < to) pbuf_take_at(p, q->payload + (from - lo), to - from, filled + (from - src_off));
                off = hi;
            }
            filled += take;
            src_off += take;
            psh |= (uint8_t)(src->flags & TCP_PSH);
            rtx = SHOAL_MAX(rtx, src->rtx_count);
            if (src_off == src->len) {
                src = src->next;
                src_off = 0;
            }
        }
        seg->p = p;
        seg->seq = seq;
        seg->len = (uint32_t)n;
        seg->rtx_count = rtx;
        uint32_t sum = 0;
        for (struct pbuf *q = p; q != NULL; q = q->next) {
            uint32_t part = chksum_partial(q->payload, q->len, 0);
            sum = sum_add(sum, part);
        }
        seg->sum = sum;
        seg->sum_valid = p->next == NULL;
        seq += (uint32_t)n;
        done += n;
        if (tail != NULL)
            tail->next = seg;
        else
            head = seg;
        tail = seg;
    }
    if (psh) tail->flags |= TCP_PSH;
    /* Swap the old run for the new one. */
    struct tcp_seg *old = *start;
    *start = head;
    tail->next = end;
    if (end == NULL) pcb->unsent_tail = tail;
    while (old != end) {
        struct tcp_seg *next = old->next;
        tcp_seg_free(s, old);
        old = next;
    }
}

void tcp_recved(struct tcp_pcb *pcb, size_t len)
{
    uint32_t before = tcp_rcv_wnd_avail(pcb);
    pcb->rcv_unread = len >= pcb->rcv_unread ? 0 : pcb->rcv_unread - (uint32_t)len;
    if (pcb->state < TCP_ESTABLISHED || pcb->state == TCP_TIME_WAIT) return;
    /* RFC 9293 3.8.6.2.2 moves the right edge once it can by min(half the
     * buffer, one MSS) (tcp_announce_wnd); a pure window update goes out at
     * once only when the announced window had shrunk below one MSS or the
     * window grew by half the buffer: other updates ride on the next ACK. */
    uint32_t after = tcp_rcv_wnd_avail(pcb);
    uint32_t announced = pcb->rcv_adv - pcb->rcv_nxt;
    if (before == 0 || (announced < pcb->rcv_mss && after >= pcb->rcv_mss) ||
        after >= announced + pcb->stack->cfg.tcp_wnd / 2u) {
        pcb->flags |= TF_ACK_NOW;
        tcp_output(pcb);
    }
}

void tcp_nagle_disable(struct tcp_pcb *pcb) { pcb->flags |= TF_NODELAY; }
void tcp_nagle_enable(struct tcp_pcb *pcb) { pcb->flags &= (uint16_t)~TF_NODELAY; }

enum tcp_state tcp_get_state(const struct tcp_pcb *pcb) { return pcb->state; }

void tcp_keepalive(struct tcp_pcb *pcb, bool on, uint32_t idle_ms, uint32_t intvl_ms, uint32_t count)
{
    if (on)
        pcb->flags |= TF_KEEPALIVE;
    else
        pcb->flags &= (uint16_t)~TF_KEEPALIVE;
    if (idle_ms) pcb->keep_idle_ms = idle_ms;
    if (intvl_ms) pcb->keep_intvl_ms = intvl_ms;
    if (count) pcb->keep_cnt = count;
    pcb->keep_sent = 0;
    pcb->keep_at = (on && pcb->state >= TCP_ESTABLISHED)
                       ? stack_now(pcb->stack) + (uint64_t)pcb->keep_idle_ms * SHOAL_NS_PER_MS
                       : SHOAL_TIME_NEVER;
    tcp_timer_update(pcb);
}

/* ---- closing ---- */

static err_t close_tx(struct tcp_pcb *pcb)
{
    switch (pcb->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
        if (tcp_enqueue_flags(pcb, TCP_FIN) != ERR_OK) return ERR_MEM;
        tcp_set_state(pcb, TCP_FIN_WAIT_1);
        break;
    case TCP_CLOSE_WAIT:
        if (tcp_enqueue_flags(pcb, TCP_FIN) != ERR_OK) return ERR_MEM;
        tcp_set_state(pcb, TCP_LAST_ACK);
        break;
    default: return ERR_OK; /* already closing */
    }
    pcb->flags |= TF_FIN_QUEUED;
    return tcp_output(pcb);
}

err_t tcp_close(struct tcp_pcb *pcb)
{
    switch (pcb->state) {
    case TCP_CLOSED:
    case TCP_LISTEN:
    case TCP_SYN_SENT:
        tcp_pcb_free(pcb);
        return ERR_OK;
    default: break;
    }
    /* RFC 1122 4.2.2.13: closing with unread data resets the connection. */
    if (pcb->rcv_unread > 0) {
        tcp_rst_pcb(pcb);
        tcp_pcb_free(pcb);
        return ERR_OK;
    }
    err_t err = close_tx(pcb);
    if (err != ERR_OK) return err; /* still the application's, callbacks and all */
    pcb->flags |= TF_CLOSED_BY_APP | TF_RX_CLOSED;
    pcb->recv = NULL;
    pcb->sent = NULL;
    pcb->errf = NULL;
    pcb->poll = NULL;
    pcb->poll_at = SHOAL_TIME_NEVER;
    if (pcb->state == TCP_FIN_WAIT_2 && pcb->close_at == SHOAL_TIME_NEVER) {
        pcb->close_at = stack_now(pcb->stack) + 2u * (uint64_t)pcb->stack->cfg.tcp_msl_ms * SHOAL_NS_PER_MS;
        tcp_timer_update(pcb);
    }
    return err;
}

err_t tcp_shutdown(struct tcp_pcb *pcb, bool shut_rx, bool shut_tx)
{
    if (pcb->state == TCP_LISTEN) return ERR_CONN;
    if (shut_rx) pcb->flags |= TF_RX_CLOSED;
    if (shut_tx) return close_tx(pcb);
    return ERR_OK;
}

void tcp_abort(struct tcp_pcb *pcb)
{
    if (pcb->state != TCP_CLOSED && pcb->state != TCP_LISTEN && pcb->state != TCP_SYN_SENT &&
        pcb->state != TCP_TIME_WAIT)
        tcp_rst_pcb(pcb);
    tcp_set_state(pcb, TCP_CLOSED);
    tcp_pcb_free(pcb);
}

/* ---- information ---- */

void tcp_get_info(const struct tcp_pcb *pcb, struct tcp_info *out)
{
    memset(out, 0, sizeof(*out));
    out->state = pcb->state;
    out->local_ip = pcb->local_ip;
    out->remote_ip = pcb->remote_ip;
    out->local_port = pcb->local_port;
    out->remote_port = pcb->remote_port;
    out->snd_una = pcb->snd_una - pcb->iss;
    out->snd_nxt = pcb->snd_nxt - pcb->iss;
    out->rcv_nxt = pcb->rcv_nxt - pcb->irs;
    out->snd_wnd = pcb->snd_wnd;
    out->rcv_wnd = pcb->rcv_adv - pcb->rcv_nxt;
    out->cwnd = pcb->cwnd;
    out->ssthresh = pcb->ssthresh;
    out->mss = pcb->mss;
    out->srtt_ns = pcb->srtt_ns;
    out->rttvar_ns = pcb->rttvar_ns;
    out->rto_ns = pcb->rto_ns;
    out->snd_wscale = pcb->snd_wscale;
    out->rcv_wscale = pcb->wscale_ok ? pcb->rcv_wscale : 0;
    out->sack_ok = pcb->sack_ok;
    out->ts_ok = pcb->ts_ok;
    out->in_recovery = pcb->in_recovery;
    out->retransmits = pcb->n_retransmits;
    out->timeouts = pcb->n_timeouts;
    out->fast_retransmits = pcb->n_fast_rtx;
    out->dup_acks_rcvd = pcb->n_dupacks_rcvd;
    out->ooseq_segs = pcb->ooseq_count;
    out->bytes_acked = pcb->bytes_acked;
    out->bytes_received = pcb->bytes_received;
    for (const struct tcp_seg *s = pcb->unsent; s != NULL; s = s->next) out->unsent_bytes += s->len;
    for (const struct tcp_seg *s = pcb->unacked; s != NULL; s = s->next) out->unacked_bytes += s->len;
}

enum tcp_state tcp_lookup_state(struct stack *s, const ip_addr_t *local_ip, uint16_t local_port,
                                const ip_addr_t *remote_ip, uint16_t remote_port)
{
    for (const struct tcp_pcb *q = s->tcp_pcbs; q != NULL; q = q->next)
        if (q->state != TCP_LISTEN && q->local_port == local_port && q->remote_port == remote_port &&
            ip_pcb_addr_eq(&q->local_ip, local_ip) && ip_pcb_addr_eq(&q->remote_ip, remote_ip))
            return q->state;
    return TCP_CLOSED;
}

/* ---- the connection timer ---- */

static void tcp_timer_fire(struct stack *s, void *arg);

void tcp_timer_update(struct tcp_pcb *pcb)
{
    uint64_t next = pcb->rtx_at;
    next = SHOAL_MIN(next, pcb->persist_at);
    next = SHOAL_MIN(next, pcb->delack_at);
    next = SHOAL_MIN(next, pcb->keep_at);
    next = SHOAL_MIN(next, pcb->close_at);
    next = SHOAL_MIN(next, pcb->poll_at);
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(pcb->stack, &pcb->timer);
    else if (!pcb->timer.armed || pcb->timer.deadline_ns != next)
        stack_timer_arm(pcb->stack, &pcb->timer, next, tcp_timer_fire, pcb);
}

static uint64_t persist_interval(const struct tcp_pcb *pcb)
{
    uint64_t t = pcb->rto_ns << SHOAL_MIN(pcb->persist_backoff, 10u);
    uint64_t max = (uint64_t)SHOAL_TCP_RTO_MAX_MS * SHOAL_NS_PER_MS;
    return t > max ? max : t;
}

static void rto_expired(struct tcp_pcb *pcb, uint64_t now)
{
    struct stack *s = pcb->stack;
    pcb->rtx_at = SHOAL_TIME_NEVER;
    struct tcp_seg *seg = pcb->unacked;
    if (seg == NULL) return;
    uint32_t limit = (pcb->state == TCP_SYN_SENT || pcb->state == TCP_SYN_RCVD) ? s->cfg.tcp_syn_max_rtx
                                                                                 : s->cfg.tcp_max_rtx;
    if (seg->rtx_count >= limit) {
        /* RFC 9293 3.8.3 (R2): give up on the connection. */
        if (pcb->state != TCP_SYN_SENT) tcp_rst_pcb(pcb);
        tcp_enter_closed(pcb, ERR_TIMEOUT);
        return;
    }
    pcb->n_timeouts++;
    tcp_rto_backoff(pcb); /* RFC 6298 5.5 */
    tcp_cc_on_rto(pcb);   /* RFC 5681 3.1 eq. 4; loss window of one segment */
    /* Go back to snd_una: everything outstanding is sent again, in order, as
     * the congestion window allows. SACK marks are dropped (RFC 2018 8): the
     * receiver may have reneged, and a skipped segment must never be the one
     * that holds snd_una back. */
    struct tcp_seg *last = pcb->unacked;
    for (struct tcp_seg *q = pcb->unacked; q != NULL; q = q->next) {
        q->sacked = false;
        q->lost = false;
        q->rtx_in_recovery = false;
        last = q;
    }
    last->next = pcb->unsent;
    if (pcb->unsent == NULL) pcb->unsent_tail = last;
    pcb->unsent = pcb->unacked;
    pcb->unacked = NULL;
    pcb->unacked_tail = NULL;
    pcb->snd_nxt = pcb->snd_una;
    pcb->rtt_timing = false; /* Karn */
    /* Segments cut for a larger MSS than the path now allows go out cut again. */
    for (struct tcp_seg *q = pcb->unsent; q != NULL; q = q->next) {
        if (q->len > tcp_full_seg(pcb)) {
            tcp_resegment_queued(pcb);
            break;
        }
    }
    (void)now;
}

static void timer_work(struct stack *s, struct tcp_pcb *pcb);

static void tcp_timer_fire(struct stack *s, void *arg)
{
    struct tcp_pcb *pcb = arg;
    /* Callbacks run from here may close or abort the PCB: free it after. */
    pcb->flags |= TF_IN_INPUT;
    timer_work(s, pcb);
    pcb->flags &= (uint16_t)~TF_IN_INPUT;
    if ((pcb->flags & TF_FREE_PENDING) || pcb->state == TCP_CLOSED)
        tcp_pcb_free(pcb);
    else
        tcp_timer_update(pcb);
}

static void timer_work(struct stack *s, struct tcp_pcb *pcb)
{
    uint64_t now = stack_now(s);

    if (pcb->close_at <= now) {
        /* TIME-WAIT's 2 MSL, or an orphaned FIN-WAIT-2, ran out. */
        pcb->close_at = SHOAL_TIME_NEVER;
        tcp_enter_closed(pcb, ERR_OK);
        return;
    }
    if (pcb->poll_at <= now) {
        pcb->poll_at = now + (uint64_t)pcb->poll_interval_ms * SHOAL_NS_PER_MS;
        if (pcb->poll != NULL) pcb->poll(pcb->arg, pcb);
        if (pcb->state == TCP_CLOSED || (pcb->flags & TF_FREE_PENDING)) return;
    }
    if (pcb->keep_at <= now) {
        if (pcb->keep_sent >= pcb->keep_cnt) {
            /* RFC 1122 4.2.3.6: the peer is gone. */
            tcp_rst_pcb(pcb);
            tcp_enter_closed(pcb, ERR_TIMEOUT);
            return;
        }
        if (pcb->keep_sent > 0 || pcb->state == TCP_ESTABLISHED || pcb->state == TCP_CLOSE_WAIT) {
            tcp_send_keepalive(pcb);
            pcb->keep_sent++;
        }
        pcb->keep_at = now + (uint64_t)pcb->keep_intvl_ms * SHOAL_NS_PER_MS;
    }
    if (pcb->rtx_at <= now) {
        rto_expired(pcb, now);
        if (pcb->state == TCP_CLOSED) return;
    }
    if (pcb->persist_at <= now) {
        /* RFC 1122 4.2.2.17: a closed window may stay closed as long as the
         * peer answers the probes; a peer that stopped answering is gone. */
        if (pcb->persist_unanswered >= pcb->stack->cfg.tcp_max_rtx) {
            tcp_rst_pcb(pcb);
            tcp_enter_closed(pcb, ERR_TIMEOUT);
            return;
        }
        /* RFC 9293 3.8.6.1: probe a zero window, backing off. */
        pcb->persist_unanswered++;
        tcp_send_window_probe(pcb);
        if (pcb->persist_backoff < 16) pcb->persist_backoff++;
        pcb->persist_at = now + persist_interval(pcb);
    }
    if (pcb->delack_at <= now) {
        pcb->delack_at = SHOAL_TIME_NEVER;
        if (pcb->flags & TF_ACK_DELAY) pcb->flags |= TF_ACK_NOW;
    }
    tcp_output(pcb);
}
