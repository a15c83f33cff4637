/*
 * UDP sockets and ping for binding.h. A socket's receive callback copies
 * each datagram out of its pbuf at once into a bounded host-side queue, so a
 * script that never reads cannot exhaust the node's pbuf pool.
 */
#include "binding_internal.h"
#include "binding_ip.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/pbuf.h"
#include "shoal/udp.h"

/* Largest UDP payload over IPv4: 65535 - 20 (IP) - 8 (UDP). */
#define UDP_MAX_PAYLOAD 65507u

struct shoal_udp_dgram {
    ip_addr_t ip;
    uint32_t addr;   /* host order; IPv4 senders only */
    uint16_t port;
    size_t len;
    uint8_t data[];
};

/* ---- handle lists (so shoal_sim_free can detach what Python still holds) ---- */

static void udp_link(struct shoal_sim *s, struct shoal_udp *u)
{
    u->prev = NULL;
    u->next = s->udps;
    if (s->udps) s->udps->prev = u;
    s->udps = u;
}

static void udp_unlink(struct shoal_udp *u)
{
    if (u->owner == NULL) return;
    if (u->prev) u->prev->next = u->next;
    else u->owner->udps = u->next;
    if (u->next) u->next->prev = u->prev;
    u->prev = u->next = NULL;
}

static void ping_link(struct shoal_sim *s, struct shoal_ping *p)
{
    p->prev = NULL;
    p->next = s->pings;
    if (s->pings) s->pings->prev = p;
    s->pings = p;
}

static void ping_unlink(struct shoal_ping *p)
{
    if (p->owner == NULL) return;
    if (p->prev) p->prev->next = p->next;
    else p->owner->pings = p->next;
    if (p->next) p->next->prev = p->prev;
    p->prev = p->next = NULL;
}

static void udp_drain(struct shoal_udp *u)
{
    while (u->count) {
        free(u->queue[u->head]);
        u->head = (u->head + 1) % SHOAL_UDP_QUEUE_MAX;
        u->count--;
    }
}

void shoal_sockets_detach_all(struct shoal_sim *s)
{
    /* The stacks (and their PCBs) are about to go; the handles stay valid
     * memory until Python closes or frees them, but no longer reach a stack. */
    for (struct shoal_udp *u = s->udps, *next; u; u = next) {
        next = u->next;
        udp_drain(u);
        u->pcb = NULL;
        u->node = NULL;
        u->owner = NULL;
        u->prev = u->next = NULL;
    }
    s->udps = NULL;
    for (struct shoal_ping *p = s->pings, *next; p; p = next) {
        next = p->next;
        p->node = NULL;
        p->owner = NULL;
        p->prev = p->next = NULL;
    }
    s->pings = NULL;
}

/* ---- UDP ---- */

static void udp_on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    (void)pcb;
    struct shoal_udp *u = arg;
    if (u->count >= SHOAL_UDP_QUEUE_MAX) {
        u->drops++;
        pbuf_free(p);
        return;
    }
    struct shoal_udp_dgram *d = malloc(sizeof(*d) + p->tot_len);
    if (d == NULL) {
        u->drops++;
        pbuf_free(p);
        return;
    }
    d->ip = *addr;
    d->addr = ip_addr_is_v4(addr) ? ip4_addr_to_u32(*ip_2_ip4(addr)) : 0;
    d->port = port;
    d->len = pbuf_copy_partial(p, d->data, p->tot_len, 0);
    pbuf_free(p);
    u->queue[(u->head + u->count) % SHOAL_UDP_QUEUE_MAX] = d;
    u->count++;
}

static shoal_udp *udp_open(shoal_node *node, const ip_addr_t *ip, uint16_t port, int *err);

shoal_udp *shoal_udp_open(shoal_node *node, uint32_t addr, uint16_t port, int *err)
{
    ip_addr_t ip = ip_addr_from_ip4(ip4_addr_from_u32(addr));
    return udp_open(node, &ip, port, err);
}

shoal_udp *shoal_udp_open_ip(shoal_node *node, int family, const uint8_t *addr16, int zone, uint16_t port, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    ip_addr_t ip;
    int rc = node->n->stack != NULL ? binding_ip_in(node->n->stack, family, addr16, zone, &ip) : SHOAL_EBADARG;
    if (rc != 0) {
        *err = rc;
        return NULL;
    }
    return udp_open(node, &ip, port, err);
}

static shoal_udp *udp_open(shoal_node *node, const ip_addr_t *ip, uint16_t port, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct stack *st = node->n->stack;
    if (st == NULL) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    shoal_udp *u = calloc(1, sizeof(*u));
    if (u == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    u->pcb = udp_new_ip_type(st, (enum ip_addr_type)ip->type);
    if (u->pcb == NULL) {
        free(u);
        *err = ERR_MEM;
        return NULL;
    }
    err_t e = udp_bind(u->pcb, ip, port);
    if (e != ERR_OK) {
        udp_remove(u->pcb);
        free(u);
        sim_node_kick(node->n);
        *err = e;
        return NULL;
    }
    udp_recv(u->pcb, udp_on_recv, u);
    u->node = node;
    u->owner = node->owner;
    udp_link(node->owner, u);
    sim_node_kick(node->n);
    *err = 0;
    return u;
}

uint16_t shoal_udp_port(const shoal_udp *u)
{
    return u->pcb ? u->pcb->local_port : 0;
}

int shoal_udp_connect(shoal_udp *u, uint32_t addr, uint16_t port)
{
    if (u->pcb == NULL) return SHOAL_ECLOSED;
    ip_addr_t ip = ip_addr_from_ip4(ip4_addr_from_u32(addr));
    err_t e = udp_connect(u->pcb, &ip, port);
    sim_node_kick(u->node->n);
    return e;
}

int shoal_udp_connect_ip(shoal_udp *u, int family, const uint8_t *addr16, int zone, uint16_t port)
{
    if (u->pcb == NULL) return SHOAL_ECLOSED;
    ip_addr_t ip;
    int rc = binding_ip_in(u->node->n->stack, family, addr16, zone, &ip);
    if (rc != 0) return rc;
    err_t e = udp_connect(u->pcb, &ip, port);
    sim_node_kick(u->node->n);
    return e;
}

int shoal_udp_set_hops6(shoal_udp *u, int hops, int mcast_hops)
{
    if (u->pcb == NULL) return SHOAL_ECLOSED;
    if (hops < 0 || hops > 255 || mcast_hops < 0 || mcast_hops > 255) return SHOAL_EBADARG;
    /* One field serves both families: IPv6-only sockets take it as is. */
    if (u->pcb->local_ip.type == IPADDR_TYPE_V6) {
        u->pcb->ttl = (uint8_t)hops;
        u->pcb->mcast_ttl = (uint8_t)mcast_hops;
    }
    return 0;
}

int shoal_udp_set_broadcast(shoal_udp *u, int on)
{
    if (u->pcb == NULL) return SHOAL_ECLOSED;
    if (on) u->pcb->flags |= UDP_FLAGS_BROADCAST;
    else u->pcb->flags &= (uint8_t)~UDP_FLAGS_BROADCAST;
    return 0;
}

/* Shared by send and sendto: dst NULL means the connected peer. */
static int udp_out(shoal_udp *u, const uint8_t *data, size_t len, const ip_addr_t *dst, uint16_t port)
{
    if (u->pcb == NULL) return SHOAL_ECLOSED;
    if (len > UDP_MAX_PAYLOAD || (data == NULL && len)) return SHOAL_EBADARG;
    struct pbuf *p = pbuf_alloc(u->node->n->stack, PBUF_TRANSPORT, len);
    if (p == NULL) {
        sim_node_kick(u->node->n);
        return ERR_MEM;
    }
    if (len) pbuf_take(p, data, len);
    err_t e = dst ? udp_sendto(u->pcb, p, dst, port) : udp_send(u->pcb, p);
    pbuf_free(p);
    sim_node_kick(u->node->n);
    return e != ERR_OK ? (int)e : (int)len;
}

int shoal_udp_sendto(shoal_udp *u, const uint8_t *data, size_t len, uint32_t addr, uint16_t port)
{
    ip_addr_t dst = ip_addr_from_ip4(ip4_addr_from_u32(addr));
    return udp_out(u, data, len, &dst, port);
}

int shoal_udp_sendto_ip(shoal_udp *u, const uint8_t *data, size_t len, int family, const uint8_t *addr16, int zone,
                        uint16_t port)
{
    if (u->pcb == NULL) return SHOAL_ECLOSED;
    ip_addr_t dst;
    int rc = binding_ip_in(u->node->n->stack, family, addr16, zone, &dst);
    if (rc != 0) return rc;
    return udp_out(u, data, len, &dst, port);
}

int shoal_udp_send(shoal_udp *u, const uint8_t *data, size_t len)
{
    return udp_out(u, data, len, NULL, 0);
}

int64_t shoal_udp_recvfrom(shoal_udp *u, uint8_t *buf, size_t cap, uint32_t *addr, uint16_t *port)
{
    if (u->count == 0) return -1;
    struct shoal_udp_dgram *d = u->queue[u->head];
    u->head = (u->head + 1) % SHOAL_UDP_QUEUE_MAX;
    u->count--;
    if (buf && cap) memcpy(buf, d->data, d->len < cap ? d->len : cap);
    if (addr) *addr = d->addr;
    if (port) *port = d->port;
    int64_t len = (int64_t)d->len;
    free(d);
    return len;
}

int64_t shoal_udp_recvfrom_ip(shoal_udp *u, uint8_t *buf, size_t cap, int *family, uint8_t *addr16, int *zone,
                              uint16_t *port)
{
    if (u->count == 0) return -1;
    binding_ip_out(&u->queue[u->head]->ip, family, addr16, zone);
    return shoal_udp_recvfrom(u, buf, cap, NULL, port);
}

uint64_t shoal_udp_queue_drops(const shoal_udp *u) { return u->drops; }

void shoal_udp_close(shoal_udp *u)
{
    if (u == NULL) return;
    if (u->pcb) {
        udp_remove(u->pcb);
        sim_node_kick(u->node->n);
    }
    udp_unlink(u);
    udp_drain(u);
    free(u);
}

/* ---- ping ---- */

shoal_ping *shoal_ping_start(shoal_node *node, uint32_t dst, int count, uint64_t interval_ns, int payload_len,
                             uint64_t timeout_ns, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct stack *st = node->n->stack;
    if (st == NULL || count < 1 || count > (int)PING_MAX_COUNT || payload_len < 0 ||
        payload_len > (int)PING_MAX_PAYLOAD) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    shoal_ping *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    ip4_addr_t d = ip4_addr_from_u32(dst);
    err_t e = ping_start(&p->pg, st, &d, (uint16_t)count, interval_ns, (uint16_t)payload_len, timeout_ns);
    sim_node_kick(node->n);
    if (e != ERR_OK) {
        free(p);
        *err = e;
        return NULL;
    }
    p->node = node;
    p->owner = node->owner;
    ping_link(node->owner, p);
    *err = 0;
    return p;
}

int shoal_ping_result(const shoal_ping *p, int seq, uint64_t *rtt_ns)
{
    if (seq < 0 || seq >= (int)p->pg.count) return SHOAL_EBADARG;
    int r = p->pg.result[seq];
    if (rtt_ns) *rtt_ns = r == PING_REPLIED ? p->pg.rtt_ns[seq] : 0;
    return r;
}

int shoal_ping_done(const shoal_ping *p) { return p->pg.done ? 1 : 0; }

int shoal_ping_sent(const shoal_ping *p) { return p->pg.sent; }

void shoal_ping_free(shoal_ping *p)
{
    if (p == NULL) return;
    if (p->owner && !p->pg.done) {
        ping_stop(&p->pg);
        sim_node_kick(p->node->n);
    }
    ping_unlink(p);
    free(p);
}

/* ---- a node's reboot (shoal_node_reboot): its stack and PCBs are gone ---- */

void shoal_sockets_detach_node(struct shoal_sim *s, struct shoal_node *node)
{
    for (struct shoal_udp *u = s->udps, *next; u; u = next) {
        next = u->next;
        if (u->node != node) continue;
        udp_unlink(u);
        udp_drain(u);
        u->pcb = NULL;
        u->node = NULL;
        u->owner = NULL;
    }
    for (struct shoal_ping *p = s->pings, *next; p; p = next) {
        next = p->next;
        if (p->node != node) continue;
        /* Echoes still awaited died with the machine. */
        for (unsigned i = 0; i < p->pg.count; i++)
            if (p->pg.result[i] == PING_PENDING) p->pg.result[i] = PING_LOST;
        p->pg.done = true;
        ping_unlink(p);
        p->node = NULL;
        p->owner = NULL;
    }
}
