/*
 * TCP connections for binding.h. Received data is copied into a host-side
 * buffer at once, but the stack's window reopens (tcp_recved) only when the
 * script takes the bytes, so an unread connection closes its window as a
 * slow application would. Accepted connections wait on their listener until
 * shoal_tcp_accept takes them.
 */
#include "binding_internal.h"
#include "binding_ip.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/pbuf.h"
#include "shoal/tcp.h"

struct shoal_tcp {
    struct shoal_sim *owner;      /* NULL once detached */
    struct shoal_node *node;
    struct tcp_pcb *pcb;          /* NULL once closed by us or freed by the stack */
    struct shoal_tcp *prev, *next;
    bool listener;
    /* the 4-tuple, to follow the state after close() */
    ip_addr_t local_ip, remote_ip;
    uint16_t local_port, remote_port;
    /* received bytes not yet taken: buf[head, head + len) */
    uint8_t *buf;
    size_t head, len, cap;
    bool eof;
    int error;
    /* listener: established connections not yet accepted */
    struct shoal_tcp **accq;
    size_t acc_head, acc_count, acc_cap;
};

static void tcp_list_add(struct shoal_sim *s, struct shoal_tcp *t)
{
    t->prev = NULL;
    t->next = s->tcps;
    if (s->tcps) s->tcps->prev = t;
    s->tcps = t;
}

static void tcp_list_remove(struct shoal_tcp *t)
{
    if (t->owner == NULL) return;
    if (t->prev) t->prev->next = t->next;
    else t->owner->tcps = t->next;
    if (t->next) t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

static struct shoal_tcp *handle_new(struct shoal_node *node, struct tcp_pcb *pcb)
{
    struct shoal_tcp *t = calloc(1, sizeof(*t));
    if (t == NULL) return NULL;
    t->owner = node->owner;
    t->node = node;
    t->pcb = pcb;
    tcp_list_add(node->owner, t);
    return t;
}

static void remember_tuple(struct shoal_tcp *t)
{
    struct tcp_info info;
    tcp_get_info(t->pcb, &info);
    t->local_ip = info.local_ip;
    t->remote_ip = info.remote_ip;
    t->local_port = info.local_port;
    t->remote_port = info.remote_port;
}

static void kick(struct shoal_tcp *t)
{
    if (t->node != NULL) sim_node_kick(t->node->n);
}

/* ---- stack callbacks ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)pcb;
    (void)err;
    struct shoal_tcp *t = arg;
    if (p == NULL) {
        t->eof = true;
        return ERR_OK;
    }
    size_t n = p->tot_len;
    if (t->head > 0 && t->head + t->len + n > t->cap) {
        memmove(t->buf, t->buf + t->head, t->len);
        t->head = 0;
    }
    if (t->head + t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n) cap *= 2;
        uint8_t *nb = realloc(t->buf, cap);
        if (nb == NULL) {
            /* Host memory gone: let the bytes go, but keep the window honest. */
            tcp_recved(pcb, n);
            pbuf_free(p);
            return ERR_OK;
        }
        t->buf = nb;
        t->cap = cap;
    }
    pbuf_copy_partial(p, t->buf + t->head + t->len, n, 0);
    t->len += n;
    pbuf_free(p);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    struct shoal_tcp *t = arg;
    t->pcb = NULL; /* the stack freed it */
    t->error = err == ERR_CLSD ? 0 : err; /* ERR_CLSD: it ended gracefully */
}

static void attach_callbacks(struct shoal_tcp *t)
{
    tcp_arg(t->pcb, t);
    tcp_recv(t->pcb, on_recv);
    tcp_err(t->pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    (void)err;
    struct shoal_tcp *l = arg;
    if (l->acc_count == l->acc_cap) {
        size_t cap = l->acc_cap ? 2 * l->acc_cap : 8;
        struct shoal_tcp **q = malloc(cap * sizeof(*q));
        if (q == NULL) {
            tcp_abort(newpcb);
            return ERR_ABRT;
        }
        for (size_t i = 0; i < l->acc_count; i++) q[i] = l->accq[(l->acc_head + i) % l->acc_cap];
        free(l->accq);
        l->accq = q;
        l->acc_head = 0;
        l->acc_cap = cap;
    }
    struct shoal_tcp *t = handle_new(l->node, newpcb);
    if (t == NULL) {
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    attach_callbacks(t);
    remember_tuple(t);
    l->accq[(l->acc_head + l->acc_count) % l->acc_cap] = t;
    l->acc_count++;
    return ERR_OK;
}

/* ---- API ---- */

static shoal_tcp *tcp_listen_ip(shoal_node *node, const ip_addr_t *ip, uint16_t port, int backlog, int *err);
static shoal_tcp *tcp_connect_ip(shoal_node *node, const ip_addr_t *ip, uint16_t port, uint16_t local_port,
                                 int *err);

shoal_tcp *shoal_tcp_listen(shoal_node *node, uint32_t addr, uint16_t port, int backlog, int *err)
{
    ip_addr_t ip = ip_addr_from_ip4(ip4_addr_from_u32(addr));
    return tcp_listen_ip(node, &ip, port, backlog, err);
}

shoal_tcp *shoal_tcp_listen_ip(shoal_node *node, int family, const uint8_t *addr16, int zone, uint16_t port,
                               int backlog, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    ip_addr_t ip;
    int rc = node != NULL && node->n->stack != NULL ? binding_ip_in(node->n->stack, family, addr16, zone, &ip)
                                                     : SHOAL_EBADARG;
    if (rc != 0) {
        *err = rc;
        return NULL;
    }
    return tcp_listen_ip(node, &ip, port, backlog, err);
}

shoal_tcp *shoal_tcp_connect_ip(shoal_node *node, int family, const uint8_t *addr16, int zone, uint16_t port,
                                uint16_t local_port, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    ip_addr_t ip;
    int rc = node != NULL && node->n->stack != NULL ? binding_ip_in(node->n->stack, family, addr16, zone, &ip)
                                                     : SHOAL_EBADARG;
    if (rc != 0) {
        *err = rc;
        return NULL;
    }
    return tcp_connect_ip(node, &ip, port, local_port, err);
}

int shoal_tcp_endpoint_ip(const shoal_tcp *t, int remote, int *family, uint8_t *addr16, int *zone, uint16_t *port)
{
    if (t == NULL || t->owner == NULL) return SHOAL_ECLOSED;
    binding_ip_out(remote ? &t->remote_ip : &t->local_ip, family, addr16, zone);
    if (port != NULL) *port = remote ? t->remote_port : t->local_port;
    return 0;
}

static shoal_tcp *tcp_listen_ip(shoal_node *node, const ip_addr_t *ip, uint16_t port, int backlog, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    if (node == NULL || node->n->stack == NULL || backlog < 1 || backlog > 255) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    struct stack *st = node->n->stack;
    struct tcp_pcb *pcb = tcp_new_ip_type(st, (enum ip_addr_type)ip->type);
    if (pcb == NULL) {
        *err = ERR_MEM;
        return NULL;
    }
    err_t e = tcp_bind(pcb, ip, port);
    if (e != ERR_OK) {
        tcp_close(pcb);
        *err = e;
        return NULL;
    }
    struct tcp_pcb *lpcb = tcp_listen_with_backlog(pcb, (uint8_t)backlog);
    if (lpcb == NULL) {
        tcp_close(pcb);
        *err = ERR_VAL;
        return NULL;
    }
    struct shoal_tcp *t = handle_new(node, lpcb);
    if (t == NULL) {
        tcp_close(lpcb);
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    t->listener = true;
    t->local_ip = *ip;
    t->local_port = port;
    tcp_arg(lpcb, t);
    tcp_accept(lpcb, on_accept);
    *err = 0;
    return t;
}

shoal_tcp *shoal_tcp_accept(shoal_tcp *l)
{
    if (l == NULL || !l->listener || l->acc_count == 0) return NULL;
    struct shoal_tcp *t = l->accq[l->acc_head];
    l->acc_head = (l->acc_head + 1) % l->acc_cap;
    l->acc_count--;
    return t;
}

shoal_tcp *shoal_tcp_connect(shoal_node *node, uint32_t dst, uint16_t port, uint16_t local_port, int *err)
{
    ip_addr_t ip = ip_addr_from_ip4(ip4_addr_from_u32(dst));
    return tcp_connect_ip(node, &ip, port, local_port, err);
}

static shoal_tcp *tcp_connect_ip(shoal_node *node, const ip_addr_t *ip, uint16_t port, uint16_t local_port,
                                 int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    if (node == NULL || node->n->stack == NULL || port == 0) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    struct tcp_pcb *pcb = tcp_new_ip_type(node->n->stack, (enum ip_addr_type)ip->type);
    if (pcb == NULL) {
        *err = ERR_MEM;
        return NULL;
    }
    if (local_port != 0) {
        err_t e = tcp_bind(pcb, NULL, local_port);
        if (e != ERR_OK) {
            tcp_close(pcb);
            *err = e;
            return NULL;
        }
    }
    struct shoal_tcp *t = handle_new(node, pcb);
    if (t == NULL) {
        tcp_close(pcb);
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    attach_callbacks(t);
    err_t e = tcp_connect(pcb, ip, port, NULL);
    if (e != ERR_OK) {
        t->pcb = NULL;
        tcp_close(pcb);
        shoal_tcp_free(t);
        *err = e;
        return NULL;
    }
    remember_tuple(t);
    kick(t);
    *err = 0;
    return t;
}

int64_t shoal_tcp_send(shoal_tcp *t, const uint8_t *data, size_t len)
{
    if (t == NULL || t->owner == NULL) return SHOAL_ECLOSED;
    if (t->pcb == NULL) return t->error ? t->error : SHOAL_ECLOSED;
    size_t n = tcp_sndbuf(t->pcb);
    if (n > len) n = len;
    err_t e = ERR_OK;
    /* The segment pool may hold less than the buffer: take what fits. */
    while (n > 0 && (e = tcp_write(t->pcb, data, n, TCP_WRITE_FLAG_COPY)) == ERR_MEM) n /= 2;
    if (e != ERR_OK && e != ERR_MEM) return e;
    tcp_output(t->pcb);
    kick(t);
    return (int64_t)n;
}

int64_t shoal_tcp_recv(shoal_tcp *t, uint8_t *buf, size_t cap)
{
    if (t == NULL) return SHOAL_ECLOSED;
    if (t->len == 0) return t->eof ? -1 : 0;
    size_t n = t->len < cap ? t->len : cap;
    memcpy(buf, t->buf + t->head, n);
    t->head += n;
    t->len -= n;
    if (t->len == 0) t->head = 0;
    if (t->pcb != NULL) {
        tcp_recved(t->pcb, n);
        kick(t);
    }
    return (int64_t)n;
}

uint64_t shoal_tcp_pending(const shoal_tcp *t) { return t != NULL ? t->len : 0; }

int shoal_tcp_close(shoal_tcp *t)
{
    if (t == NULL || t->owner == NULL) return SHOAL_ECLOSED;
    if (t->pcb == NULL) return 0;
    struct tcp_pcb *pcb = t->pcb;
    /* Bytes we hold unread count as unread for the stack too (RFC 1122
     * 4.2.2.13: closing with unread data resets). */
    err_t e = tcp_close(pcb);
    if (e != ERR_OK) return e;
    t->pcb = NULL;
    kick(t);
    return 0;
}

int shoal_tcp_shutdown(shoal_tcp *t, int rx, int tx)
{
    if (t == NULL || t->owner == NULL) return SHOAL_ECLOSED;
    if (t->pcb == NULL) return t->error ? t->error : SHOAL_ECLOSED;
    err_t e = tcp_shutdown(t->pcb, rx != 0, tx != 0);
    kick(t);
    return e;
}

int shoal_tcp_abort(shoal_tcp *t)
{
    if (t == NULL || t->owner == NULL) return SHOAL_ECLOSED;
    if (t->pcb == NULL) return 0;
    tcp_abort(t->pcb);
    t->pcb = NULL;
    t->error = ERR_ABRT;
    kick(t);
    return 0;
}

int shoal_tcp_set_nodelay(shoal_tcp *t, int on)
{
    if (t == NULL || t->pcb == NULL) return SHOAL_ECLOSED;
    if (on)
        tcp_nagle_disable(t->pcb);
    else
        tcp_nagle_enable(t->pcb);
    return 0;
}

int shoal_tcp_set_keepalive(shoal_tcp *t, int on, uint64_t idle_ns, uint64_t intvl_ns, int count)
{
    if (t == NULL || t->pcb == NULL) return SHOAL_ECLOSED;
    if (count < 0) return SHOAL_EBADARG;
    tcp_keepalive(t->pcb, on != 0, (uint32_t)(idle_ns / 1000000u), (uint32_t)(intvl_ns / 1000000u), (uint32_t)count);
    kick(t);
    return 0;
}

const char *shoal_tcp_state(const shoal_tcp *t)
{
    if (t == NULL || t->owner == NULL) return "CLOSED";
    if (t->pcb != NULL) return tcp_state_str(tcp_get_state(t->pcb));
    if (t->listener || t->node == NULL) return "CLOSED";
    return tcp_state_str(
        tcp_lookup_state(t->node->n->stack, &t->local_ip, t->local_port, &t->remote_ip, t->remote_port));
}

int shoal_tcp_error(const shoal_tcp *t) { return t != NULL ? t->error : 0; }

int shoal_tcp_info_get(const shoal_tcp *t, shoal_tcp_info *out)
{
    if (t == NULL || t->pcb == NULL || t->owner == NULL) return SHOAL_ECLOSED;
    struct tcp_info i;
    tcp_get_info(t->pcb, &i);
    memset(out, 0, sizeof(*out));
    out->local_addr = ip_addr_is_v4(&i.local_ip) ? ip4_addr_to_u32(*ip_2_ip4(&i.local_ip)) : 0;
    out->remote_addr = ip_addr_is_v4(&i.remote_ip) ? ip4_addr_to_u32(*ip_2_ip4(&i.remote_ip)) : 0;
    out->local_port = i.local_port;
    out->remote_port = i.remote_port;
    out->snd_una = i.snd_una;
    out->snd_nxt = i.snd_nxt;
    out->rcv_nxt = i.rcv_nxt;
    out->snd_wnd = i.snd_wnd;
    out->rcv_wnd = i.rcv_wnd;
    out->cwnd = i.cwnd;
    out->ssthresh = i.ssthresh;
    out->mss = i.mss;
    out->srtt_ns = i.srtt_ns;
    out->rttvar_ns = i.rttvar_ns;
    out->rto_ns = i.rto_ns;
    out->snd_wscale = i.snd_wscale;
    out->rcv_wscale = i.rcv_wscale;
    out->sack_ok = i.sack_ok;
    out->ts_ok = i.ts_ok;
    out->in_recovery = i.in_recovery;
    out->retransmits = i.retransmits;
    out->timeouts = i.timeouts;
    out->fast_retransmits = i.fast_retransmits;
    out->dup_acks_rcvd = i.dup_acks_rcvd;
    out->ooseq_segs = i.ooseq_segs;
    out->bytes_acked = i.bytes_acked;
    out->bytes_received = i.bytes_received;
    out->unsent_bytes = i.unsent_bytes;
    out->unacked_bytes = i.unacked_bytes;
    return 0;
}

void shoal_tcp_free(shoal_tcp *t)
{
    if (t == NULL) return;
    if (t->owner != NULL && t->pcb != NULL) {
        if (t->listener) {
            tcp_close(t->pcb);
        } else {
            tcp_arg(t->pcb, NULL);
            tcp_recv(t->pcb, NULL);
            tcp_err(t->pcb, NULL);
            if (tcp_close(t->pcb) != ERR_OK) tcp_abort(t->pcb);
        }
        kick(t);
    }
    /* Connections accepted but never taken go with their listener. */
    for (size_t i = 0; i < t->acc_count; i++) shoal_tcp_free(t->accq[(t->acc_head + i) % t->acc_cap]);
    tcp_list_remove(t);
    free(t->accq);
    free(t->buf);
    free(t);
}

void shoal_tcp_detach_all(struct shoal_sim *s)
{
    for (struct shoal_tcp *t = s->tcps, *next; t; t = next) {
        next = t->next;
        t->pcb = NULL;
        t->node = NULL;
        t->owner = NULL;
        t->prev = t->next = NULL;
    }
    s->tcps = NULL;
}

/* A node's reboot: its PCBs are gone; handles read CLOSED from now on. */
void shoal_tcp_detach_node(struct shoal_sim *s, struct shoal_node *node)
{
    for (struct shoal_tcp *t = s->tcps, *next; t; t = next) {
        next = t->next;
        if (t->node != node) continue;
        tcp_list_remove(t);
        t->pcb = NULL;
        t->node = NULL;
        t->owner = NULL;
    }
}
