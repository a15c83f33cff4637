/*
 * A DHCP server for simulations (RFC 2131 4.3). See shoal/dhcp_server.h.
 * The lease table holds one entry per address ever handed out; an entry
 * whose time ran out is free again but remembers its client, so a client
 * that comes back gets the same address while nobody else took it.
 */
#include <string.h>

#include "shoal/dhcp_server.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/udp.h"
#include "core/stack_priv.h"

#define DEFAULT_LEASE_S 3600u

static const ip4_addr_t bcast = IP4_ADDR_BROADCAST_INIT;

static void server_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port);

const char *dhcp_lease_state_name(enum dhcp_lease_state st)
{
    switch (st) {
    case DHCP_LEASE_FREE: return "FREE";
    case DHCP_LEASE_OFFERED: return "OFFERED";
    case DHCP_LEASE_BOUND: return "BOUND";
    case DHCP_LEASE_DECLINED: return "DECLINED";
    }
    return "?";
}

/* ---- the lease table ---- */

static uint64_t now_of(const struct dhcp_server *srv) { return stack_now(srv->netif->stack); }

/* Offered or bound, and not lapsed. */
static bool active(const struct dhcp_server *srv, const struct dhcp_server_lease *l)
{
    return (l->state == DHCP_LEASE_OFFERED || l->state == DHCP_LEASE_BOUND) && l->expires_ns > now_of(srv);
}

static struct dhcp_server_lease *by_ip(struct dhcp_server *srv, ip4_addr_t ip)
{
    for (size_t i = 0; i < DHCP_SERVER_LEASES; i++)
        if (srv->leases[i].ip.addr != 0 && srv->leases[i].ip.addr == ip.addr) return &srv->leases[i];
    return NULL;
}

static struct dhcp_server_lease *by_mac(struct dhcp_server *srv, const uint8_t *mac)
{
    for (size_t i = 0; i < DHCP_SERVER_LEASES; i++) {
        struct dhcp_server_lease *l = &srv->leases[i];
        if (l->ip.addr != 0 && l->state != DHCP_LEASE_DECLINED && memcmp(l->mac, mac, 6) == 0) return l;
    }
    return NULL;
}

static bool in_pool(const struct dhcp_server *srv, ip4_addr_t ip)
{
    uint32_t h = ip4_addr_to_u32(ip);
    return h >= ip4_addr_to_u32(srv->cfg.pool_first) && h <= ip4_addr_to_u32(srv->cfg.pool_last) &&
           ip.addr != srv->netif->ip4.addr && !netif_is_ip4_broadcast(srv->netif, &ip);
}

/* Free for this client: in the pool, not declined, not someone else's. */
static bool available(struct dhcp_server *srv, ip4_addr_t ip, const uint8_t *mac)
{
    if (!in_pool(srv, ip)) return false;
    struct dhcp_server_lease *l = by_ip(srv, ip);
    if (l == NULL) return true;
    if (l->state == DHCP_LEASE_DECLINED) return false;
    return !active(srv, l) || memcmp(l->mac, mac, 6) == 0;
}

/* A table entry for ip: its own, else a never-used slot, else the
 * longest-lapsed free one. NULL when every entry is in use. */
static struct dhcp_server_lease *entry_for(struct dhcp_server *srv, ip4_addr_t ip)
{
    struct dhcp_server_lease *l = by_ip(srv, ip);
    if (l != NULL) return l;
    struct dhcp_server_lease *best = NULL;
    for (size_t i = 0; i < DHCP_SERVER_LEASES; i++) {
        struct dhcp_server_lease *c = &srv->leases[i];
        if (c->ip.addr == 0) return c;
        if (c->state == DHCP_LEASE_DECLINED || active(srv, c)) continue;
        if (best == NULL || c->expires_ns < best->expires_ns) best = c;
    }
    return best;
}

/* RFC 2131 4.3.1: the client's current or last address, else the one it
 * asks for, else the lowest free one. Only the first table-size + 2 pool
 * addresses can all be taken, so the scan stays short. */
static bool choose(struct dhcp_server *srv, const uint8_t *mac, const struct dhcp_msg *m, ip4_addr_t *out)
{
    struct dhcp_server_lease *l = by_mac(srv, mac);
    if (l != NULL && available(srv, l->ip, mac)) {
        *out = l->ip;
        return true;
    }
    if ((m->have & DHCP_HAVE_REQUESTED_IP) && available(srv, m->requested_ip, mac) && entry_for(srv, m->requested_ip)) {
        *out = m->requested_ip;
        return true;
    }
    uint32_t first = ip4_addr_to_u32(srv->cfg.pool_first), last = ip4_addr_to_u32(srv->cfg.pool_last);
    for (int pass = 0; pass < 2; pass++) {
        uint32_t tried = 0;
        for (uint32_t h = first; h <= last && tried < DHCP_SERVER_LEASES + 3u; h++, tried++) {
            ip4_addr_t ip = ip4_addr_from_u32(h);
            /* First pass: addresses nobody had; second: lapsed ones too. */
            if (available(srv, ip, mac) && (pass == 1 || by_ip(srv, ip) == NULL) && entry_for(srv, ip) != NULL) {
                *out = ip;
                return true;
            }
            if (h == UINT32_MAX) break;
        }
    }
    return false;
}

static void record(struct dhcp_server *srv, ip4_addr_t ip, const uint8_t *mac, enum dhcp_lease_state st, uint32_t secs)
{
    struct dhcp_server_lease *l = entry_for(srv, ip);
    if (l == NULL) return;
    /* The client's older entry for another address is free now. */
    struct dhcp_server_lease *old = by_mac(srv, mac);
    if (old != NULL && old != l) {
        old->state = DHCP_LEASE_FREE;
        memset(old->mac, 0, sizeof(old->mac));
    }
    uint64_t until = now_of(srv) + (uint64_t)secs * SHOAL_NS_PER_S;
    /* Re-offering a bound address (a client that restarted) keeps its lease. */
    if (st == DHCP_LEASE_OFFERED && l->state == DHCP_LEASE_BOUND && active(srv, l) && memcmp(l->mac, mac, 6) == 0)
        return;
    l->ip = ip;
    memcpy(l->mac, mac, 6);
    l->state = st;
    l->expires_ns = secs == DHCP_LEASE_INFINITE ? UINT64_MAX : until;
}

/* ---- replies ---- */

static uint32_t lease_s(const struct dhcp_server *srv) { return srv->cfg.lease_s ? srv->cfg.lease_s : DEFAULT_LEASE_S; }

static void reply(struct dhcp_server *srv, const struct dhcp_msg *req, uint8_t type, ip4_addr_t yiaddr, bool with_lease)
{
    struct netif *netif = srv->netif;
    struct stack *s = netif->stack;
    struct dhcp_msg m;
    memset(&m, 0, sizeof(m));
    m.op = DHCP_BOOTREPLY;
    m.htype = req->htype;
    m.hlen = req->hlen;
    m.xid = req->xid;
    m.flags = req->flags;
    m.giaddr = req->giaddr;
    memcpy(m.chaddr, req->chaddr, sizeof(m.chaddr));
    m.type = type;
    m.server_id = netif->ip4;
    m.have = DHCP_HAVE_SERVER_ID;
    if (type != DHCP_NAK) {
        m.yiaddr = yiaddr;
        if (type == DHCP_ACK) m.ciaddr = req->ciaddr;
        if (with_lease) {
            uint32_t lease = lease_s(srv);
            m.lease_s = lease;
            m.have |= DHCP_HAVE_LEASE;
            if (lease != DHCP_LEASE_INFINITE) {
                /* RFC 2131 4.4.5 defaults, sent explicitly. */
                m.t1_s = lease / 2u;
                m.t2_s = (uint32_t)((uint64_t)lease * 7u / 8u);
                m.have |= DHCP_HAVE_T1 | DHCP_HAVE_T2;
            }
        }
        m.netmask = netif->netmask;
        m.have |= DHCP_HAVE_MASK;
        if (srv->cfg.router.addr != 0) {
            m.router = srv->cfg.router;
            m.have |= DHCP_HAVE_ROUTER;
        }
        if (srv->cfg.dns_count > 0) {
            m.dns_count = (uint8_t)SHOAL_MIN(srv->cfg.dns_count, DHCP_DNS_MAX);
            for (uint8_t i = 0; i < m.dns_count; i++) m.dns[i] = srv->cfg.dns[i];
            m.have |= DHCP_HAVE_DNS;
        }
    }
    uint8_t buf[DHCP_MIN_MSG_LEN + 64u];
    size_t len = dhcp_emit(&m, NULL, 0, buf, sizeof(buf));
    struct pbuf *p = len ? pbuf_alloc(s, PBUF_TRANSPORT, len) : NULL;
    if (p == NULL) {
        STATS_INC(s, STATS_DHCP, memerr);
        return;
    }
    pbuf_take(p, buf, len);
    /* RFC 2131 4.1: a client with an address (ciaddr) gets a unicast; NAKs
     * and everything else are broadcast. */
    const ip4_addr_t *dst = (type != DHCP_NAK && req->ciaddr.addr != 0) ? &req->ciaddr : &bcast;
    ip_addr_t dst_ip = ip_addr_from_ip4(*dst);
    if (udp_sendto_if(srv->pcb, p, &dst_ip, DHCP_CLIENT_PORT, netif) == ERR_OK)
        STATS_INC(s, STATS_DHCP, xmit);
    else
        STATS_INC(s, STATS_DHCP, err);
    pbuf_free(p);
}

static void nak(struct dhcp_server *srv, const struct dhcp_msg *m)
{
    srv->naks++;
    reply(srv, m, DHCP_NAK, m->yiaddr, false);
}

static void ack(struct dhcp_server *srv, const struct dhcp_msg *m, ip4_addr_t ip)
{
    srv->acks++;
    record(srv, ip, m->chaddr, DHCP_LEASE_BOUND, lease_s(srv));
    reply(srv, m, DHCP_ACK, ip, true);
}

/* RFC 2131 4.3.2: REQUEST from a client selecting, in INIT-REBOOT, renewing or rebinding. */
static void on_request(struct dhcp_server *srv, const struct dhcp_msg *m)
{
    const uint8_t *mac = m->chaddr;
    if (m->have & DHCP_HAVE_SERVER_ID) {
        /* SELECTING: another server was chosen: our offer is free again. */
        if (m->server_id.addr != srv->netif->ip4.addr) {
            struct dhcp_server_lease *l = by_mac(srv, mac);
            if (l != NULL && l->state == DHCP_LEASE_OFFERED) l->state = DHCP_LEASE_FREE;
            return;
        }
        ip4_addr_t want = (m->have & DHCP_HAVE_REQUESTED_IP) ? m->requested_ip : m->ciaddr;
        struct dhcp_server_lease *l = by_mac(srv, mac);
        if (l != NULL && l->ip.addr == want.addr && available(srv, want, mac))
            ack(srv, m, want);
        else
            nak(srv, m);
        return;
    }
    if (m->have & DHCP_HAVE_REQUESTED_IP) {
        /* INIT-REBOOT: NAK an address that is wrong for this network. */
        if (available(srv, m->requested_ip, mac) && entry_for(srv, m->requested_ip) != NULL)
            ack(srv, m, m->requested_ip);
        else
            nak(srv, m);
        return;
    }
    if (m->ciaddr.addr != 0) {
        /* RENEWING / REBINDING: extend a lease that is this client's. */
        if (available(srv, m->ciaddr, mac) && entry_for(srv, m->ciaddr) != NULL)
            ack(srv, m, m->ciaddr);
        else
            nak(srv, m);
        return;
    }
    STATS_DROP(srv->netif->stack, STATS_DHCP, proterr);
}

static void handle(struct dhcp_server *srv, const struct dhcp_msg *m)
{
    struct stack *s = srv->netif->stack;
    if (m->op != DHCP_BOOTREQUEST || m->htype != 1 || m->hlen != 6 || m->type == 0) {
        STATS_DROP(s, STATS_DHCP, proterr);
        return;
    }
    STATS_INC(s, STATS_DHCP, recv);
    switch (m->type) {
    case DHCP_DISCOVER: {
        ip4_addr_t ip;
        if (!choose(srv, m->chaddr, m, &ip)) {
            STATS_INC(s, STATS_DHCP, err); /* pool or table exhausted: stay silent */
            return;
        }
        srv->offers++;
        record(srv, ip, m->chaddr, DHCP_LEASE_OFFERED, DHCP_SERVER_OFFER_HOLD_S);
        reply(srv, m, DHCP_OFFER, ip, true);
        return;
    }
    case DHCP_REQUEST: on_request(srv, m); return;
    case DHCP_DECLINE: {
        /* RFC 2131 4.3.3: the address is in use by someone: mark it. */
        if (!(m->have & DHCP_HAVE_REQUESTED_IP)) return;
        if (m->have & DHCP_HAVE_SERVER_ID && m->server_id.addr != srv->netif->ip4.addr) return;
        struct dhcp_server_lease *l = by_ip(srv, m->requested_ip);
        if (l == NULL && in_pool(srv, m->requested_ip)) l = entry_for(srv, m->requested_ip);
        if (l != NULL) {
            srv->declines++;
            l->ip = m->requested_ip;
            l->state = DHCP_LEASE_DECLINED;
            memset(l->mac, 0, sizeof(l->mac));
        }
        return;
    }
    case DHCP_RELEASE: {
        /* RFC 2131 4.3.4: the client's lease of ciaddr ends. */
        struct dhcp_server_lease *l = by_ip(srv, m->ciaddr);
        if (l != NULL && memcmp(l->mac, m->chaddr, 6) == 0 && l->state == DHCP_LEASE_BOUND) {
            srv->releases++;
            l->state = DHCP_LEASE_FREE;
            l->expires_ns = now_of(srv);
        }
        return;
    }
    case DHCP_INFORM:
        /* RFC 2131 4.3.5: configuration only, no lease, no yiaddr. */
        srv->informs++;
        reply(srv, m, DHCP_ACK, (ip4_addr_t){0}, false);
        return;
    default:
        STATS_DROP(s, STATS_DHCP, proterr);
        return;
    }
}

void dhcp_server_input(struct dhcp_server *srv, const uint8_t *msg, size_t len)
{
    if (srv == NULL || !srv->running) return;
    struct stack *s = srv->netif->stack;
    struct dhcp_msg m;
    switch (dhcp_parse(msg, len, &m)) {
    case DHCP_PARSE_OK: handle(srv, &m); return;
    case DHCP_PARSE_LEN: STATS_DROP(s, STATS_DHCP, lenerr); return;
    case DHCP_PARSE_FORMAT: STATS_DROP(s, STATS_DHCP, proterr); return;
    case DHCP_PARSE_OPTIONS: STATS_DROP(s, STATS_DHCP, opterr); return;
    }
}

static void server_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    struct dhcp_server *srv = arg;
    (void)pcb;
    (void)addr;
    (void)port;
    /* The server of the netif it came in on. */
    while (srv != NULL && srv->netif->index != p->if_idx) srv = srv->next;
    if (srv == NULL) {
        STATS_INC(pcb->stack, STATS_DHCP, drop);
        pbuf_free(p);
        return;
    }
    uint8_t buf[DHCP_MAX_MSG_LEN];
    size_t len = pbuf_copy_partial(p, buf, SHOAL_MIN(p->tot_len, sizeof(buf)), 0);
    pbuf_free(p);
    dhcp_server_input(srv, buf, len);
}

/* ---- start / stop: servers of one instance share the port-67 PCB ---- */

static struct udp_pcb *find_shared(struct stack *s)
{
    for (struct udp_pcb *pcb = s->udp_pcbs; pcb != NULL; pcb = pcb->next)
        if (pcb->local_port == DHCP_SERVER_PORT && pcb->recv == server_recv) return pcb;
    return NULL;
}

err_t dhcp_server_start(struct netif *netif, struct dhcp_server *srv, const struct dhcp_server_config *cfg)
{
    if (netif == NULL || srv == NULL || cfg == NULL) return ERR_ARG;
    if (netif->ip4.addr == 0) return ERR_VAL; /* the server identifier */
    if (ip4_addr_to_u32(cfg->pool_first) > ip4_addr_to_u32(cfg->pool_last) || cfg->pool_first.addr == 0) return ERR_VAL;
    struct stack *s = netif->stack;
    struct udp_pcb *pcb = find_shared(s);
    for (struct dhcp_server *o = pcb ? pcb->recv_arg : NULL; o != NULL; o = o->next)
        if (o->netif == netif || o == srv) return ERR_USE;
    memset(srv, 0, sizeof(*srv));
    srv->netif = netif;
    srv->cfg = *cfg;
    if (srv->cfg.dns_count > DHCP_DNS_MAX) srv->cfg.dns_count = DHCP_DNS_MAX;
    if (pcb == NULL) {
        pcb = udp_new(s);
        if (pcb == NULL) return ERR_MEM;
        err_t err = udp_bind(pcb, NULL, DHCP_SERVER_PORT);
        if (err != ERR_OK) {
            udp_remove(pcb);
            return err;
        }
        pcb->flags |= UDP_FLAGS_BROADCAST;
        udp_recv(pcb, server_recv, NULL);
    }
    srv->next = pcb->recv_arg;
    pcb->recv_arg = srv;
    srv->pcb = pcb;
    srv->running = true;
    return ERR_OK;
}

void dhcp_server_stop(struct dhcp_server *srv)
{
    if (srv == NULL || !srv->running) return;
    struct udp_pcb *pcb = srv->pcb;
    struct dhcp_server *head = pcb->recv_arg;
    if (head == srv) {
        pcb->recv_arg = srv->next;
    } else {
        for (struct dhcp_server *o = head; o != NULL; o = o->next) {
            if (o->next == srv) {
                o->next = srv->next;
                break;
            }
        }
    }
    if (pcb->recv_arg == NULL) udp_remove(pcb);
    srv->pcb = NULL;
    srv->next = NULL;
    srv->running = false;
}
