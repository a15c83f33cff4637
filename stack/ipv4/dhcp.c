/*
 * DHCP client (RFC 2131 4.4, options of RFC 2132). See shoal/dhcp.h for the
 * states. Two timers: `timer` for retransmissions and waits, `lease_timer`
 * for T1, T2 and the lease's end.
 */
#include <string.h>

#include "shoal/dhcp.h"
#include "shoal/autoip.h"
#include "shoal/etharp.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/udp.h"
#include "core/stack_priv.h"

/* RFC 2131 4.1: 4 s before the first retransmission, doubled up to 64 s,
 * each randomised by +/- 1 s. */
#define RTX_FIRST_NS (4ull * SHOAL_NS_PER_S)
#define RTX_MAX_NS (64ull * SHOAL_NS_PER_S)
#define RTX_JITTER_NS (1ull * SHOAL_NS_PER_S)
/* REQUESTs sent in REQUESTING before going back to INIT (RFC 2131 3.1.5:
 * "after employing the retransmission algorithm"): the first and 4 more. */
#define REQUEST_TRIES 5u
/* RFC 2131 4.4.5: renewing/rebinding retransmit after half the time left,
 * but not sooner than 60 s. */
#define RENEW_MIN_NS (60ull * SHOAL_NS_PER_S)
/* A RELEASE waiting for the server's MAC: how often and how long to look
 * before the address goes (clearing it would flush the ARP queue). */
#define RELEASE_POLL_NS (20ull * SHOAL_NS_PER_MS)
#define RELEASE_POLLS 250u
/* RFC 2131 3.1.5: wait at least 10 s after a DECLINE. */
#define DECLINE_WAIT_NS (10ull * SHOAL_NS_PER_S)

/* Option 55: what we ask for (RFC 2132 9.8). */
static const uint8_t param_list[] = {DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS, DHCP_OPT_LEASE_TIME,
                                     DHCP_OPT_T1, DHCP_OPT_T2};

static const ip4_addr_t bcast = IP4_ADDR_BROADCAST_INIT;

static void dhcp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port);
static void timer_fire(struct stack *s, void *arg);
static void lease_timer_fire(struct stack *s, void *arg);
static void start_discover(struct dhcp *d);

const char *dhcp_state_name(enum dhcp_state st)
{
    switch (st) {
    case DHCP_STATE_OFF: return "OFF";
    case DHCP_STATE_INIT: return "INIT";
    case DHCP_STATE_SELECTING: return "SELECTING";
    case DHCP_STATE_REQUESTING: return "REQUESTING";
    case DHCP_STATE_CHECKING: return "CHECKING";
    case DHCP_STATE_BOUND: return "BOUND";
    case DHCP_STATE_RENEWING: return "RENEWING";
    case DHCP_STATE_REBINDING: return "REBINDING";
    case DHCP_STATE_BACKING_OFF: return "BACKING_OFF";
    case DHCP_STATE_RELEASING: return "RELEASING";
    }
    return "?";
}

static struct stack *stack_of(const struct dhcp *d) { return d->netif->stack; }
static uint64_t now_of(const struct dhcp *d) { return stack_now(stack_of(d)); }

static bool has_lease(const struct dhcp *d)
{
    return d->state == DHCP_STATE_BOUND || d->state == DHCP_STATE_RENEWING || d->state == DHCP_STATE_REBINDING;
}

/* ---- the shared port-68 PCB ---- */

static struct udp_pcb *pcb_of_others(struct stack *s, const struct dhcp *except)
{
    for (struct netif *n = netif_list(s); n != NULL; n = n->next)
        if (n->dhcp != NULL && n->dhcp != except && n->dhcp->pcb != NULL) return n->dhcp->pcb;
    return NULL;
}

static err_t open_pcb(struct dhcp *d)
{
    struct stack *s = stack_of(d);
    struct udp_pcb *pcb = pcb_of_others(s, d);
    if (pcb == NULL) {
        pcb = udp_new(s);
        if (pcb == NULL) return ERR_MEM;
        err_t err = udp_bind(pcb, NULL, DHCP_CLIENT_PORT);
        if (err != ERR_OK) {
            udp_remove(pcb);
            return err;
        }
        /* Before it has an address a client can only broadcast (RFC 2131 4.1). */
        pcb->flags |= UDP_FLAGS_BROADCAST;
        udp_recv(pcb, dhcp_recv, NULL);
    }
    d->pcb = pcb;
    return ERR_OK;
}

static void close_pcb(struct dhcp *d)
{
    struct udp_pcb *pcb = d->pcb;
    d->pcb = NULL;
    if (pcb != NULL && pcb_of_others(stack_of(d), d) == NULL) udp_remove(pcb);
}

/* ---- timing ---- */

static uint64_t random_below(struct stack *s, uint64_t span)
{
    return ((uint64_t)stack_random32(s) * span) >> 32;
}

/* RFC 2131 4.1: the wait after transmission number `tries` (1-based). */
static uint64_t backoff_ns(struct dhcp *d)
{
    uint64_t base = RTX_FIRST_NS;
    for (uint8_t i = 1; i < d->tries && base < RTX_MAX_NS; i++) base *= 2u;
    if (base > RTX_MAX_NS) base = RTX_MAX_NS;
    return base - RTX_JITTER_NS + random_below(stack_of(d), 2u * RTX_JITTER_NS + 1u);
}

static void arm(struct dhcp *d, uint64_t delay_ns)
{
    stack_timer_arm(stack_of(d), &d->timer, now_of(d) + delay_ns, timer_fire, d);
}

static uint64_t lease_point_ns(const struct dhcp *d, uint32_t secs)
{
    return d->lease_start_ns + (uint64_t)secs * SHOAL_NS_PER_S;
}

/* ---- sending ---- */

static void new_xid(struct dhcp *d)
{
    d->xid = stack_random32(stack_of(d));
    d->tries = 0;
    d->start_ns = now_of(d);
}

static void fill_common(struct dhcp *d, struct dhcp_msg *m, uint8_t type, bool identify)
{
    struct netif *netif = d->netif;
    memset(m, 0, sizeof(*m));
    m->op = DHCP_BOOTREQUEST;
    m->htype = 1; /* Ethernet (RFC 1700) */
    m->hlen = ETH_HWADDR_LEN;
    m->xid = d->xid;
    uint64_t secs = (now_of(d) - d->start_ns) / SHOAL_NS_PER_S;
    m->secs = (uint16_t)(secs > 0xffffu ? 0xffffu : secs);
    memcpy(m->chaddr, netif->hwaddr, ETH_HWADDR_LEN);
    m->type = type;
    if (d->cfg.send_client_id) {
        /* RFC 2132 9.14: hardware type followed by the hardware address. */
        m->client_id[0] = 1;
        memcpy(m->client_id + 1, netif->hwaddr, ETH_HWADDR_LEN);
        m->client_id_len = 1 + ETH_HWADDR_LEN;
        m->have |= DHCP_HAVE_CLIENT_ID;
    }
    if (identify && d->cfg.hostname[0] != '\0') {
        memcpy(m->hostname, d->cfg.hostname, sizeof(m->hostname));
        m->hostname[DHCP_HOSTNAME_MAX] = '\0';
        m->have |= DHCP_HAVE_HOSTNAME;
    }
    /* RFC 2131 4.1: a client that cannot take unicasts before it is
     * configured sets BROADCAST; ours can, unless another address (AutoIP)
     * already sits on the netif and hides what is offered to it. */
    if (netif->ip4.addr != 0 && !has_lease(d)) m->flags = DHCP_FLAG_BROADCAST;
}

/* dst NULL: broadcast out of the netif; else unicast (routed). */
static void send_msg(struct dhcp *d, const struct dhcp_msg *m, bool params, const ip4_addr_t *dst)
{
    struct stack *s = stack_of(d);
    uint8_t buf[DHCP_MIN_MSG_LEN + 64u];
    size_t len = dhcp_emit(m, params ? param_list : NULL, params ? sizeof(param_list) : 0, buf, sizeof(buf));
    if (len == 0 || d->pcb == NULL) {
        STATS_INC(s, STATS_DHCP, err);
        return;
    }
    struct pbuf *p = pbuf_alloc(s, PBUF_TRANSPORT, len);
    if (p == NULL) {
        STATS_INC(s, STATS_DHCP, memerr);
        return;
    }
    pbuf_take(p, buf, len);
    ip_addr_t to = ip_addr_from_ip4(dst == NULL ? bcast : *dst);
    err_t err = dst == NULL ? udp_sendto_if(d->pcb, p, &to, DHCP_SERVER_PORT, d->netif)
                            : udp_sendto(d->pcb, p, &to, DHCP_SERVER_PORT);
    if (err == ERR_OK)
        STATS_INC(s, STATS_DHCP, xmit);
    else
        STATS_INC(s, STATS_DHCP, err);
    pbuf_free(p);
}

static void send_discover(struct dhcp *d)
{
    struct dhcp_msg m;
    fill_common(d, &m, DHCP_DISCOVER, true);
    d->tries++;
    send_msg(d, &m, true, NULL);
}

/* RFC 2131 4.3.2 / table 5: SELECTING carries 50 and 54 with ciaddr 0;
 * RENEWING and REBINDING carry ciaddr and neither option. */
static void send_request(struct dhcp *d)
{
    struct dhcp_msg m;
    fill_common(d, &m, DHCP_REQUEST, true);
    if (d->tries == 0) d->request_ns = now_of(d); /* RFC 2131 4.4.1: the lease counts from here */
    d->tries++;
    if (d->state == DHCP_STATE_REQUESTING) {
        m.requested_ip = d->offered_ip;
        m.server_id = d->server_id;
        m.have |= DHCP_HAVE_REQUESTED_IP | DHCP_HAVE_SERVER_ID;
        send_msg(d, &m, true, NULL);
    } else {
        m.ciaddr = d->offered_ip;
        send_msg(d, &m, true, d->state == DHCP_STATE_RENEWING ? &d->server_id : NULL);
    }
}

/* ---- state changes ---- */

static void forget_lease(struct dhcp *d)
{
    struct netif *netif = d->netif;
    stack_timer_cancel(stack_of(d), &d->lease_timer);
    acd_stop(&d->acd);
    if ((has_lease(d) || d->state == DHCP_STATE_CHECKING || d->state == DHCP_STATE_RELEASING) && netif->ip4.addr == d->offered_ip.addr &&
        d->offered_ip.addr != 0)
        netif_set_ip4(netif, NULL, NULL, NULL);
    d->offered_ip.addr = 0;
    d->server_id.addr = 0;
    d->netmask.addr = 0;
    d->router.addr = 0;
    d->dns_count = 0;
    d->lease_s = d->t1_s = d->t2_s = 0;
}

static void start_discover(struct dhcp *d)
{
    forget_lease(d);
    d->state = DHCP_STATE_SELECTING;
    new_xid(d);
    d->discovers = 0;
    send_discover(d);
    d->discovers++;
    arm(d, backoff_ns(d));
}

static void send_decline(struct dhcp *d, ip4_addr_t addr, ip4_addr_t server)
{
    struct dhcp_msg m;
    fill_common(d, &m, DHCP_DECLINE, false);
    m.flags = 0;
    m.secs = 0; /* RFC 2131 table 5 */
    m.requested_ip = addr;
    m.server_id = server;
    m.have |= DHCP_HAVE_REQUESTED_IP | DHCP_HAVE_SERVER_ID;
    send_msg(d, &m, false, NULL);
    d->declines++;
}

/* RFC 2131 3.1.5: decline a conflicting address, wait 10 s, start over. */
static void decline(struct dhcp *d)
{
    /* Stop using the address first: the DECLINE leaves from 0.0.0.0. */
    ip4_addr_t addr = d->offered_ip, server = d->server_id;
    forget_lease(d);
    send_decline(d, addr, server);
    d->state = DHCP_STATE_BACKING_OFF;
    arm(d, DECLINE_WAIT_NS);
}

static void arm_lease_timer(struct dhcp *d)
{
    struct stack *s = stack_of(d);
    if (d->lease_s == DHCP_LEASE_INFINITE) {
        stack_timer_cancel(s, &d->lease_timer);
        return;
    }
    uint64_t at;
    if (d->state == DHCP_STATE_BOUND)
        at = lease_point_ns(d, d->t1_s);
    else if (d->state == DHCP_STATE_RENEWING)
        at = lease_point_ns(d, d->t2_s);
    else
        at = lease_point_ns(d, d->lease_s);
    stack_timer_arm(s, &d->lease_timer, at, lease_timer_fire, d);
}

static void bind(struct dhcp *d)
{
    struct netif *netif = d->netif;
    stack_timer_cancel(stack_of(d), &d->timer);
    bool was_checking = d->state == DHCP_STATE_CHECKING;
    d->state = DHCP_STATE_BOUND;
    /* RFC 3927 1.9: a DHCP lease replaces a link-local address. */
    if (netif->autoip != NULL && netif->autoip == d->cfg.autoip) autoip_stop(netif);
    if (netif->ip4.addr != d->offered_ip.addr || netif->netmask.addr != d->netmask.addr ||
        netif->gw.addr != d->router.addr)
        netif_set_ip4(netif, &d->offered_ip, &d->netmask, &d->router);
    /* Without the probe, still defend the address from now on (RFC 5227 2.4). */
    if (!was_checking && d->acd.state == ACD_OFF) acd_start_ongoing(netif, &d->acd, &d->offered_ip);
    arm_lease_timer(d);
}

/* Default mask when the server sends none: the address's class (RFC 1122 3.3.1.1 era). */
static ip4_addr_t classful_mask(ip4_addr_t a)
{
    uint32_t h = ip4_addr_to_u32(a);
    if (h < 0x80000000u) return ip4_netmask_from_prefix(8);
    if (h < 0xc0000000u) return ip4_netmask_from_prefix(16);
    return ip4_netmask_from_prefix(24);
}

/* Take an ACK's parameters; RFC 2131 4.4.5 defaults for T1 and T2. */
static void take_lease(struct dhcp *d, const struct dhcp_msg *m)
{
    d->lease_start_ns = d->request_ns;
    d->offered_ip = m->yiaddr;
    if (m->have & DHCP_HAVE_SERVER_ID) d->server_id = m->server_id;
    d->netmask = (m->have & DHCP_HAVE_MASK) ? m->netmask : classful_mask(m->yiaddr);
    d->router.addr = (m->have & DHCP_HAVE_ROUTER) ? m->router.addr : 0;
    d->dns_count = m->dns_count;
    for (uint8_t i = 0; i < m->dns_count && i < DHCP_DNS_MAX; i++) d->dns[i] = m->dns[i];
    uint32_t lease = m->lease_s;
    d->lease_s = lease;
    if (lease == DHCP_LEASE_INFINITE) {
        d->t1_s = d->t2_s = DHCP_LEASE_INFINITE;
        return;
    }
    uint32_t t2 = (m->have & DHCP_HAVE_T2) ? m->t2_s : (uint32_t)((uint64_t)lease * 7u / 8u);
    if (t2 > lease) t2 = (uint32_t)((uint64_t)lease * 7u / 8u);
    uint32_t t1 = (m->have & DHCP_HAVE_T1) ? m->t1_s : lease / 2u;
    if (t1 > t2) t1 = SHOAL_MIN(lease / 2u, t2);
    d->t1_s = t1;
    d->t2_s = t2;
}

static bool usable_addr(ip4_addr_t a)
{
    return a.addr != 0 && !ip4_addr_is_limited_broadcast(&a) && !ip4_addr_is_multicast(&a) &&
           !ip4_addr_is_loopback(&a) && (ip4_addr_to_u32(a) >> 24) != 0;
}

static void acd_event(struct netif *netif, enum acd_event ev, void *arg)
{
    struct dhcp *d = arg;
    (void)netif;
    switch (ev) {
    case ACD_IP_OK:
        if (d->state == DHCP_STATE_CHECKING) bind(d);
        return;
    case ACD_RESTART:
    case ACD_DECLINE:
        /* RFC 2131 3.1.5: the address is in use: DECLINE it. RFC 5227 2.4:
         * an undefendable conflict on a bound address ends its use too. */
        if (d->state == DHCP_STATE_CHECKING || has_lease(d)) decline(d);
        return;
    }
}

/* ---- timers ---- */

/* Where a unicast to the server goes first: the server on-link, else the router. */
static ip4_addr_t release_hop(const struct dhcp *d)
{
    const struct netif *n = d->netif;
    if (ip4_addr_net_eq(&d->server_id, &n->ip4, &n->netmask) || n->gw.addr == 0) return d->server_id;
    return n->gw;
}

static void timer_fire(struct stack *s, void *arg)
{
    struct dhcp *d = arg;
    switch (d->state) {
    case DHCP_STATE_INIT:
    case DHCP_STATE_BACKING_OFF:
        start_discover(d);
        return;
    case DHCP_STATE_SELECTING:
        /* RFC 3927 1.9: no server answers: fall back to a link-local address
         * while still looking for one. */
        if (d->cfg.autoip != NULL && d->cfg.autoip_after_tries > 0 && d->discovers >= d->cfg.autoip_after_tries &&
            d->netif->autoip == NULL) {
            autoip_start(d->netif, d->cfg.autoip);
        }
        send_discover(d);
        if (d->discovers < 0xffu) d->discovers++;
        arm(d, backoff_ns(d));
        return;
    case DHCP_STATE_REQUESTING:
        if (d->tries >= REQUEST_TRIES) {
            start_discover(d);
            return;
        }
        send_request(d);
        arm(d, backoff_ns(d));
        return;
    case DHCP_STATE_RENEWING:
    case DHCP_STATE_REBINDING: {
        /* RFC 2131 4.4.5: half the time to T2 (renewing) or to the lease's
         * end (rebinding), at least 60 s; the lease timer moves us on. */
        send_request(d);
        uint64_t now = now_of(d);
        uint64_t until = lease_point_ns(d, d->state == DHCP_STATE_RENEWING ? d->t2_s : d->lease_s);
        uint64_t wait = until > now ? (until - now) / 2u : 0;
        if (wait < RENEW_MIN_NS) wait = RENEW_MIN_NS;
        if (now + wait < until) arm(d, wait);
        return;
    }
    case DHCP_STATE_RELEASING: {
        ip4_addr_t hop = release_hop(d);
        if (etharp_find(s, d->netif, &hop, NULL) || ++d->tries >= RELEASE_POLLS)
            dhcp_stop(d->netif);
        else
            arm(d, RELEASE_POLL_NS);
        return;
    }
    case DHCP_STATE_OFF:
    case DHCP_STATE_CHECKING:
    case DHCP_STATE_BOUND:
        return;
    }
}

static void enter_renew(struct dhcp *d, enum dhcp_state st)
{
    d->state = st;
    new_xid(d);
    /* The retransmission timer sends the first REQUEST now. */
    stack_timer_cancel(stack_of(d), &d->timer);
    arm_lease_timer(d);
    timer_fire(stack_of(d), d);
}

static void lease_timer_fire(struct stack *s, void *arg)
{
    struct dhcp *d = arg;
    uint64_t now = stack_now(s);
    if (!has_lease(d)) return;
    if (now >= lease_point_ns(d, d->lease_s)) {
        /* RFC 2131 4.4.5: the lease ran out: stop using the address, INIT. */
        start_discover(d);
        return;
    }
    if (now >= lease_point_ns(d, d->t2_s) && d->state != DHCP_STATE_REBINDING) {
        enter_renew(d, DHCP_STATE_REBINDING);
        return;
    }
    if (now >= lease_point_ns(d, d->t1_s) && d->state == DHCP_STATE_BOUND) {
        enter_renew(d, DHCP_STATE_RENEWING);
        return;
    }
    arm_lease_timer(d);
}

/* ---- input ---- */

static void handle(struct dhcp *d, const struct dhcp_msg *m)
{
    struct stack *s = stack_of(d);
    bool from_server = !(m->have & DHCP_HAVE_SERVER_ID) || m->server_id.addr == d->server_id.addr;
    switch (d->state) {
    case DHCP_STATE_SELECTING:
        if (m->type != DHCP_OFFER) break;
        /* RFC 2131 table 3: an OFFER carries yiaddr and the server id. */
        if (!usable_addr(m->yiaddr) || !(m->have & DHCP_HAVE_SERVER_ID)) {
            STATS_DROP(s, STATS_DHCP, proterr);
            return;
        }
        STATS_INC(s, STATS_DHCP, recv);
        /* RFC 2131 4.4.1: the first acceptable offer. */
        d->offered_ip = m->yiaddr;
        d->server_id = m->server_id;
        d->state = DHCP_STATE_REQUESTING;
        d->tries = 0;
        send_request(d);
        arm(d, backoff_ns(d));
        return;
    case DHCP_STATE_REQUESTING:
    case DHCP_STATE_RENEWING:
    case DHCP_STATE_REBINDING:
        if (m->type == DHCP_ACK) {
            /* RFC 2131 table 3: an ACK to a REQUEST has the lease time. */
            if (!usable_addr(m->yiaddr) || !(m->have & DHCP_HAVE_LEASE) || m->lease_s == 0) {
                STATS_DROP(s, STATS_DHCP, proterr);
                return;
            }
            if (d->state == DHCP_STATE_REQUESTING && (!from_server || m->yiaddr.addr != d->offered_ip.addr)) break;
            STATS_INC(s, STATS_DHCP, recv);
            d->leases++;
            bool was_requesting = d->state == DHCP_STATE_REQUESTING;
            bool moved = has_lease(d) && m->yiaddr.addr != d->offered_ip.addr;
            if (moved) forget_lease(d);
            take_lease(d, m);
            stack_timer_cancel(s, &d->timer);
            if (was_requesting && d->cfg.check_address) {
                /* RFC 2131 3.1.5 / RFC 5227 2.1: probe before use. */
                d->state = DHCP_STATE_CHECKING;
                acd_start(d->netif, &d->acd, &d->offered_ip);
                return;
            }
            bind(d);
            return;
        }
        if (m->type == DHCP_NAK) {
            if (d->state == DHCP_STATE_REQUESTING && !from_server) break;
            /* RFC 2131 3.1.4 / 4.4.5: NAK: stop using the address, restart. */
            STATS_INC(s, STATS_DHCP, recv);
            d->naks++;
            start_discover(d);
            return;
        }
        break;
    default:
        break;
    }
    STATS_DROP(s, STATS_DHCP, proterr); /* not expected in this state */
}

static void dhcp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    struct stack *s = pcb->stack;
    (void)arg;
    (void)addr;
    (void)port;
    uint8_t buf[DHCP_MAX_MSG_LEN];
    size_t len = pbuf_copy_partial(p, buf, SHOAL_MIN(p->tot_len, sizeof(buf)), 0);
    pbuf_free(p);
    struct dhcp_msg m;
    switch (dhcp_parse(buf, len, &m)) {
    case DHCP_PARSE_OK: break;
    case DHCP_PARSE_LEN: STATS_DROP(s, STATS_DHCP, lenerr); return;
    case DHCP_PARSE_FORMAT: STATS_DROP(s, STATS_DHCP, proterr); return;
    case DHCP_PARSE_OPTIONS: STATS_DROP(s, STATS_DHCP, opterr); return;
    }
    if (m.op != DHCP_BOOTREPLY || m.htype != 1 || m.hlen != ETH_HWADDR_LEN) {
        STATS_DROP(s, STATS_DHCP, proterr);
        return;
    }
    /* RFC 2131 4.4.1: match our transaction by xid and chaddr. */
    for (struct netif *n = netif_list(s); n != NULL; n = n->next) {
        struct dhcp *d = n->dhcp;
        if (d == NULL || d->state == DHCP_STATE_OFF || d->xid != m.xid ||
            memcmp(m.chaddr, n->hwaddr, ETH_HWADDR_LEN) != 0)
            continue;
        if (m.type == 0) {
            STATS_DROP(s, STATS_DHCP, proterr); /* BOOTP, not DHCP */
            return;
        }
        handle(d, &m);
        return;
    }
    STATS_INC(s, STATS_DHCP, drop);
}

/* ---- API ---- */

void dhcp_init(struct dhcp *dhcp)
{
    if (dhcp == NULL) return;
    memset(dhcp, 0, sizeof(*dhcp));
    dhcp->cfg.check_address = true;
    dhcp->cfg.send_client_id = true;
}

err_t dhcp_start(struct netif *netif, struct dhcp *dhcp)
{
    if (netif == NULL || dhcp == NULL) return ERR_ARG;
    if (netif->kind != NETIF_ETHERNET || netif->hwaddr_len != ETH_HWADDR_LEN) return ERR_VAL;
    if (netif->dhcp != NULL) dhcp_stop(netif);
    struct dhcp_config cfg = dhcp->cfg;
    memset(dhcp, 0, sizeof(*dhcp));
    dhcp->cfg = cfg;
    dhcp->netif = netif;
    netif->dhcp = dhcp;
    err_t err = open_pcb(dhcp);
    if (err == ERR_OK) err = acd_add(netif, &dhcp->acd, acd_event, dhcp);
    if (err != ERR_OK) {
        close_pcb(dhcp);
        netif->dhcp = NULL;
        return err;
    }
    dhcp->state = DHCP_STATE_INIT;
    if (cfg.desync_start) {
        /* RFC 2131 4.4.1: wait 1 to 10 s to desynchronise clients. */
        arm(dhcp, SHOAL_NS_PER_S + random_below(netif->stack, 9u * SHOAL_NS_PER_S + 1u));
    } else {
        start_discover(dhcp);
    }
    return ERR_OK;
}

void dhcp_stop(struct netif *netif)
{
    if (netif == NULL || netif->dhcp == NULL) return;
    struct dhcp *d = netif->dhcp;
    struct stack *s = netif->stack;
    stack_timer_cancel(s, &d->timer);
    forget_lease(d);
    acd_remove(netif, &d->acd);
    if (d->cfg.autoip != NULL && netif->autoip == d->cfg.autoip) autoip_stop(netif);
    close_pcb(d);
    d->state = DHCP_STATE_OFF;
    netif->dhcp = NULL;
}

err_t dhcp_release(struct netif *netif)
{
    if (netif == NULL || netif->dhcp == NULL) return ERR_ARG;
    struct dhcp *d = netif->dhcp;
    if (has_lease(d)) {
        /* RFC 2131 4.4.6: unicast to the server, ciaddr = the address. */
        struct dhcp_msg m;
        new_xid(d);
        fill_common(d, &m, DHCP_RELEASE, false);
        m.secs = 0; /* RFC 2131 table 5 */
        m.flags = 0;
        m.ciaddr = d->offered_ip;
        m.server_id = d->server_id;
        m.have |= DHCP_HAVE_SERVER_ID;
        send_msg(d, &m, false, &d->server_id);
        ip4_addr_t hop = release_hop(d);
        if (!etharp_find(netif->stack, netif, &hop, NULL)) {
            /* Waiting on ARP: keep the address until the RELEASE has left. */
            stack_timer_cancel(netif->stack, &d->lease_timer);
            acd_stop(&d->acd);
            d->state = DHCP_STATE_RELEASING;
            d->tries = 0;
            arm(d, RELEASE_POLL_NS);
            return ERR_OK;
        }
    }
    dhcp_stop(netif);
    return ERR_OK;
}

err_t dhcp_renew(struct netif *netif)
{
    if (netif == NULL || netif->dhcp == NULL) return ERR_ARG;
    struct dhcp *d = netif->dhcp;
    if (d->state != DHCP_STATE_BOUND) return ERR_VAL;
    enter_renew(d, DHCP_STATE_RENEWING);
    return ERR_OK;
}

uint64_t dhcp_lease_left_ns(const struct dhcp *dhcp)
{
    if (dhcp == NULL || dhcp->netif == NULL || !has_lease(dhcp)) return 0;
    if (dhcp->lease_s == DHCP_LEASE_INFINITE) return UINT64_MAX;
    uint64_t end = lease_point_ns(dhcp, dhcp->lease_s);
    uint64_t now = stack_now(dhcp->netif->stack);
    return end > now ? end - now : 0;
}
