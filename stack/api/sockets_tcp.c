/*
 * Stream sockets over the TCP raw API. Received data stays in the pbufs the
 * stack delivered (one chain per socket); the window reopens (tcp_recved)
 * only as the application reads, so an application that stops reading
 * closes its window as it would on any host. Connections the stack accepts
 * take a socket at once and wait in the listener's accept queue.
 */
#include <string.h>

#include "api/sockets_priv.h"
#include "shoal/pbuf.h"
#include "shoal/tcp.h"
#include "transport/tcp_priv.h"

/* ---- the PCB, validated ---- */

/* A PCB is ours only while it is still listed with our socket as its
 * argument: checked on every use, so that a PCB the stack freed is never
 * touched even if a notification was missed (the err callback reports a
 * normal end after shutdown as ERR_CLSD). */
struct tcp_pcb *sock_tcp_pcb(struct sock *k)
{
    struct tcp_pcb *pcb = k->pcb.tcp;
    if (pcb == NULL) return NULL;
    for (struct tcp_pcb *q = k->table->stack->tcp_pcbs; q != NULL; q = q->next) {
        if (q != pcb) continue;
        if (q->arg == k && q->state != TCP_CLOSED) {
            if (k->phase == SOCK_TCP_CONNECTED || k->phase == SOCK_TCP_CONNECTING ||
                k->phase == SOCK_TCP_LISTEN) {
                k->local_ip = q->local_ip;
                k->local_port = q->local_port;
            }
            return q;
        }
        break;
    }
    /* A fresh PCB is not listed until bound: it is ours while NEW. */
    if (k->phase == SOCK_TCP_NEW && pcb->arg == k) return pcb;
    k->pcb.tcp = NULL;
    if (k->phase != SOCK_TCP_NEW) k->phase = SOCK_TCP_DONE;
    return NULL;
}

static void remember_tuple(struct sock *k, struct tcp_pcb *pcb)
{
    k->local_ip = pcb->local_ip;
    k->local_port = pcb->local_port;
    k->remote_ip = pcb->remote_ip;
    k->remote_port = pcb->remote_port;
}

/* ---- stack callbacks ---- */

static void rx_append(struct sock *k, struct pbuf *p)
{
    if (k->rx == NULL) {
        k->rx = p;
        return;
    }
    struct pbuf *last = k->rx;
    while (last->next != NULL) last = last->next;
    /* Small segments are copied into the tail's spare room, so that a
     * trickle of tiny segments does not hold a pbuf each. */
    if (p->next == NULL && p->ref == 1 && last->ref == 1 && pbuf_tailroom(last) >= p->len) {
        memcpy(last->payload + last->len, p->payload, p->len);
        last->len += p->len;
        for (struct pbuf *q = k->rx; q != NULL; q = q->next) q->tot_len += p->len;
        pbuf_free(p);
        return;
    }
    pbuf_cat(k->rx, p);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)err;
    struct sock *k = arg;
    if (k == NULL) {
        if (p != NULL) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (p == NULL) {
        k->flags |= SOCKF_EOF;
    } else if (k->flags & SOCKF_SHUT_RD) {
        /* Read side shut: the data is consumed unseen. */
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    } else {
        rx_append(k, p);
    }
    sock_notify(k->table);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, size_t len)
{
    (void)pcb;
    (void)len;
    struct sock *k = arg;
    if (k != NULL) sock_notify(k->table);
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    struct sock *k = arg;
    if (k == NULL) return;
    k->pcb.tcp = NULL;
    if (err == ERR_CLSD) {
        /* A normal end after shutdown (LAST-ACK done, TIME-WAIT over): no error. */
        k->phase = SOCK_TCP_DONE;
        sock_notify(k->table);
        return;
    }
    int e;
    if (k->phase == SOCK_TCP_CONNECTING)
        e = err == ERR_RST ? SHOAL_ECONNREFUSED : -sock_errno_from_err(err);
    else if (err == ERR_RST && (k->flags & SOCKF_EOF))
        e = SHOAL_EPIPE; /* Linux: a reset in CLOSE-WAIT reads as EPIPE */
    else
        e = -sock_errno_from_err(err);
    k->pending_err = (int16_t)e;
    k->phase = SOCK_TCP_DONE;
    k->flags |= SOCKF_RESET;
    sock_notify(k->table);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)err;
    struct sock *k = arg;
    if (k == NULL) return ERR_OK;
    k->phase = SOCK_TCP_CONNECTED;
    remember_tuple(k, pcb);
    sock_notify(k->table);
    return ERR_OK;
}

static void attach(struct sock *k, struct tcp_pcb *pcb)
{
    tcp_arg(pcb, k);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
}

static void detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_accept(pcb, NULL);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
    (void)err;
    struct sock *l = arg;
    if (l == NULL || l->phase != SOCK_TCP_LISTEN || l->acc_count >= l->backlog) {
        tcp_abort(newpcb); /* the queue is full: the peer sees a reset */
        return ERR_ABRT;
    }
    struct sock *c = sock_alloc(l->table);
    if (c == NULL) {
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    c->kind = SOCK_KIND_TCP;
    c->proto = SHOAL_IPPROTO_TCP;
    c->family = l->family;
    c->v6only = l->v6only;
    c->hops6 = l->hops6;
    c->tclass6 = l->tclass6;
    c->phase = SOCK_TCP_CONNECTED;
    c->pending_accept = true;
    c->listener = (int16_t)sock_index(l->table, l);
    /* Options are inherited from the listener (O_NONBLOCK is not, as on Linux). */
    c->flags = (uint16_t)(SOCKF_BOUND | (l->flags & (SOCKF_NODELAY | SOCKF_KEEPALIVE | SOCKF_REUSEADDR)));
    c->rcvbuf = l->rcvbuf;
    c->sndbuf = l->sndbuf;
    c->rcvtimeo_ms = l->rcvtimeo_ms;
    c->sndtimeo_ms = l->sndtimeo_ms;
    c->keepidle_s = l->keepidle_s;
    c->keepintvl_s = l->keepintvl_s;
    c->keepcnt = l->keepcnt;
    c->ttl = l->ttl;
    c->tos = l->tos;
    c->pcb.tcp = newpcb;
    attach(c, newpcb);
    remember_tuple(c, newpcb);
    l->accq[(l->acc_head + l->acc_count) % SHOAL_SOCK_ACCEPT_QLEN] = (int16_t)sock_index(l->table, c);
    l->acc_count++;
    sock_notify(l->table);
    return ERR_OK;
}

/* ---- calls ---- */

void sock_tcp_apply_opts(struct sock *k)
{
    struct tcp_pcb *pcb = k->pcb.tcp;
    if (pcb == NULL) return;
    if (k->flags & SOCKF_NODELAY)
        tcp_nagle_disable(pcb);
    else
        tcp_nagle_enable(pcb);
    bool keep = (k->flags & SOCKF_KEEPALIVE) != 0;
    /* Unchanged settings pass 0, which keeps the stack's defaults. */
    if (keep || (pcb->flags & TF_KEEPALIVE))
        tcp_keepalive(pcb, keep, k->keepidle_s * 1000u, k->keepintvl_s * 1000u, k->keepcnt);
}

int sock_tcp_open(struct sock *k)
{
    ip_addr_t any = sock_wildcard(k);
    struct tcp_pcb *pcb = tcp_new_ip_type(k->table->stack, (enum ip_addr_type)any.type);
    if (pcb == NULL) return -SHOAL_ENOBUFS;
    k->pcb.tcp = pcb;
    k->phase = SOCK_TCP_NEW;
    k->local_ip = any;
    attach(k, pcb);
    return 0;
}

int sock_tcp_bind(struct sock *k, const ip_addr_t *ip, uint16_t port)
{
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    if (pcb == NULL || k->phase != SOCK_TCP_NEW) return -SHOAL_EINVAL;
    tcp_set_reuseaddr(pcb, (k->flags & SOCKF_REUSEADDR) != 0);
    err_t e = tcp_bind(pcb, ip, port);
    if (e != ERR_OK) return sock_errno_from_err(e);
    k->local_ip = pcb->local_ip;
    k->local_port = pcb->local_port;
    return 0;
}

int sock_tcp_listen(struct sock *k, int backlog)
{
    /* Linux caps the backlog silently, and reads <= 0 as the minimum. */
    if (backlog < 1) backlog = 1;
    if (backlog > SHOAL_SOCK_ACCEPT_QLEN) backlog = SHOAL_SOCK_ACCEPT_QLEN;
    if (k->phase == SOCK_TCP_LISTEN) {
        k->backlog = (uint8_t)backlog;
        return 0;
    }
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    if (pcb == NULL || k->phase != SOCK_TCP_NEW) return -SHOAL_EINVAL;
    /* The stack's backlog counts half-open connections too. */
    struct tcp_pcb *l = tcp_listen_with_backlog(pcb, (uint8_t)backlog);
    if (l == NULL) return -SHOAL_EADDRINUSE;
    k->pcb.tcp = l;
    k->phase = SOCK_TCP_LISTEN;
    k->backlog = (uint8_t)backlog;
    k->flags |= SOCKF_BOUND;
    k->local_ip = l->local_ip;
    k->local_port = l->local_port;
    tcp_accept(l, on_accept);
    return 0;
}

int sock_tcp_accept(struct socket_table *t, struct sock *k)
{
    if (k->acc_count == 0) {
        if (sock_tcp_pcb(k) == NULL) return -SHOAL_EINVAL;
        return -SHOAL_EAGAIN;
    }
    int idx = k->accq[k->acc_head];
    k->acc_head = (uint8_t)((k->acc_head + 1u) % SHOAL_SOCK_ACCEPT_QLEN);
    k->acc_count--;
    struct sock *c = &t->socks[idx];
    c->pending_accept = false;
    c->listener = -1;
    sock_tcp_apply_opts(c);
    return idx;
}

int sock_tcp_connect(struct sock *k, const ip_addr_t *ip, uint16_t port)
{
    switch (k->phase) {
    case SOCK_TCP_LISTEN: return -SHOAL_EISCONN;
    case SOCK_TCP_CONNECTING: return -SHOAL_EALREADY;
    case SOCK_TCP_CONNECTED:
        if (sock_tcp_pcb(k) != NULL || !(k->flags & SOCKF_RESET)) return -SHOAL_EISCONN;
        break;
    default: break;
    }
    struct stack *s = k->table->stack;
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    if (pcb == NULL) {
        /* Linux lets a socket whose connection failed connect again. */
        pcb = tcp_new_ip_type(s, (enum ip_addr_type)sock_wildcard(k).type);
        if (pcb == NULL) return -SHOAL_ENOBUFS;
        k->pcb.tcp = pcb;
        k->phase = SOCK_TCP_NEW;
        k->flags &= (uint16_t)~(SOCKF_RESET | SOCKF_EOF | SOCKF_SHUT_RD | SOCKF_SHUT_WR);
        k->pending_err = 0;
        pbuf_free(k->rx);
        k->rx = NULL;
        attach(k, pcb);
    }
    if (port == 0) return -SHOAL_EADDRNOTAVAIL;
    if (ip_addr_is_multicast(ip) || sock_ip_is_broadcast(s, ip)) return -SHOAL_ENETUNREACH;
    sock_tcp_apply_opts(k);
    err_t e = tcp_connect(pcb, ip, port, on_connected);
    if (e != ERR_OK) {
        if (e == ERR_USE) return -SHOAL_EADDRNOTAVAIL;
        return sock_errno_from_err(e);
    }
    k->phase = SOCK_TCP_CONNECTING;
    k->flags |= SOCKF_BOUND;
    remember_tuple(k, pcb);
    /* The handshake completes as the simulation (or the device) runs. */
    return -SHOAL_EINPROGRESS;
}

long sock_tcp_send(struct sock *k, const void *buf, size_t len, int flags)
{
    (void)flags;
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    if (k->pending_err) return -sock_take_error(k);
    if (k->flags & SOCKF_SHUT_WR) return -SHOAL_EPIPE;
    switch (k->phase) {
    case SOCK_TCP_NEW:
    case SOCK_TCP_LISTEN: return -SHOAL_ENOTCONN;
    case SOCK_TCP_CONNECTING: return -SHOAL_EAGAIN;
    case SOCK_TCP_DONE: return -SHOAL_EPIPE;
    default: break;
    }
    if (pcb == NULL) return -SHOAL_EPIPE;
    if (len == 0) return 0;
    size_t n = tcp_sndbuf(pcb);
    if (n > len) n = len;
    err_t e = ERR_MEM;
    /* The segment or pbuf pools may hold less than the buffer: take what fits. */
    while (n > 0 && (e = tcp_write(pcb, buf, n, TCP_WRITE_FLAG_COPY)) == ERR_MEM) n /= 2;
    if (e == ERR_CONN || e == ERR_CLSD) return -SHOAL_EPIPE;
    if (e != ERR_OK) return -SHOAL_EAGAIN;
    tcp_output(pcb);
    return (long)n;
}

size_t sock_tcp_readable(struct sock *k) { return k->rx != NULL ? k->rx->tot_len : 0; }

/* Drop n bytes from the front of the received chain. */
static void rx_consume(struct sock *k, size_t n)
{
    while (n > 0 && k->rx != NULL) {
        struct pbuf *p = k->rx;
        if (n < p->len) {
            pbuf_remove_header(p, n);
            return;
        }
        n -= p->len;
        k->rx = p->next;
        p->next = NULL;
        p->tot_len = p->len;
        pbuf_free(p);
    }
}

long sock_tcp_recv(struct sock *k, void *buf, size_t len, int flags)
{
    if (k->phase == SOCK_TCP_LISTEN) return -SHOAL_ENOTCONN;
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    size_t have = sock_tcp_readable(k);
    if (have > 0 && len > 0) {
        size_t n = have < len ? have : len;
        pbuf_copy_partial(k->rx, buf, n, 0);
        if (!(flags & SHOAL_MSG_PEEK)) {
            rx_consume(k, n);
            if (pcb != NULL) tcp_recved(pcb, n);
        }
        return (long)n;
    }
    if (k->pending_err) return -sock_take_error(k);
    if (k->flags & (SOCKF_EOF | SOCKF_RESET | SOCKF_SHUT_RD)) return 0;
    if (k->phase == SOCK_TCP_NEW) return -SHOAL_ENOTCONN;
    if (k->phase == SOCK_TCP_DONE) return 0;
    if (len == 0) return 0;
    return -SHOAL_EAGAIN;
}

int sock_tcp_shutdown(struct sock *k, int how)
{
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    if (k->phase != SOCK_TCP_CONNECTED && k->phase != SOCK_TCP_CONNECTING) return -SHOAL_ENOTCONN;
    if (how != SHOAL_SHUT_WR) {
        k->flags |= SOCKF_SHUT_RD;
        size_t n = sock_tcp_readable(k);
        rx_consume(k, n);
        if (pcb != NULL && n > 0) tcp_recved(pcb, n);
    }
    if (how != SHOAL_SHUT_RD && !(k->flags & SOCKF_SHUT_WR)) {
        k->flags |= SOCKF_SHUT_WR;
        if (pcb != NULL) {
            err_t e = tcp_shutdown(pcb, false, true);
            if (e != ERR_OK && e != ERR_CONN) return sock_errno_from_err(e);
        }
    }
    return 0;
}

void sock_tcp_close(struct socket_table *t, struct sock *k)
{
    if (k->phase == SOCK_TCP_LISTEN) {
        /* Connections nobody accepted are reset and their sockets freed. */
        while (k->acc_count > 0) {
            struct sock *c = &t->socks[k->accq[k->acc_head]];
            k->acc_head = (uint8_t)((k->acc_head + 1u) % SHOAL_SOCK_ACCEPT_QLEN);
            k->acc_count--;
            struct tcp_pcb *cp = sock_tcp_pcb(c);
            if (cp != NULL) {
                detach(cp);
                tcp_abort(cp);
            }
            sock_release(c);
        }
    }
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    k->pcb.tcp = NULL;
    if (pcb == NULL) return;
    detach(pcb);
    /* RFC 1122 4.2.2.13: data the application never read makes close reset;
     * the stack sees our unread bytes as not yet tcp_recved. */
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
}

short sock_tcp_poll(struct sock *k)
{
    struct tcp_pcb *pcb = sock_tcp_pcb(k);
    short ev = 0;
    if (k->phase == SOCK_TCP_LISTEN) {
        if (k->acc_count > 0) ev |= SHOAL_POLLIN | SHOAL_POLLRDNORM;
        return ev;
    }
    if (k->pending_err) ev |= SHOAL_POLLERR;
    if (sock_tcp_readable(k) > 0 || (k->flags & (SOCKF_EOF | SOCKF_SHUT_RD)))
        ev |= SHOAL_POLLIN | SHOAL_POLLRDNORM;
    switch (k->phase) {
    case SOCK_TCP_NEW: ev |= SHOAL_POLLOUT | SHOAL_POLLWRNORM | SHOAL_POLLHUP; break;
    case SOCK_TCP_CONNECTING: break;
    case SOCK_TCP_CONNECTED:
        if (pcb != NULL && !(k->flags & SOCKF_SHUT_WR) && tcp_sndbuf(pcb) > 0) ev |= SHOAL_POLLOUT | SHOAL_POLLWRNORM;
        if ((k->flags & SOCKF_SHUT_WR) || pcb == NULL) ev |= SHOAL_POLLOUT | SHOAL_POLLWRNORM;
        if ((k->flags & SOCKF_EOF) && (k->flags & SOCKF_SHUT_WR)) ev |= SHOAL_POLLHUP;
        break;
    case SOCK_TCP_DONE:
        /* Linux: a dead connection is readable (EOF), writable (the error) and hung up. */
        ev |= SHOAL_POLLIN | SHOAL_POLLRDNORM | SHOAL_POLLOUT | SHOAL_POLLWRNORM | SHOAL_POLLHUP;
        break;
    default: break;
    }
    return ev;
}
