/*
 * IPv6 for binding.h: interface addresses and SLAAC, ND views, router mode,
 * MLD groups, static routes, stateless DHCPv6 (client and server) and ICMPv6
 * echo. Addresses cross as 16 bytes in network order. The DHCPv6 handles
 * hold caller-owned stack state, as binding_dhcp.c's do: Python stops them
 * while the simulation is open and frees the memory only after it is gone.
 */
#include "binding_internal.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/dhcp6.h"
#include "shoal/dhcp6_server.h"
#include "shoal/ip6.h"
#include "shoal/mld6.h"
#include "shoal/nd6.h"
#include "shoal/netif.h"
#include "shoal/stack.h"

struct shoal_dhcp6 {
    shoal_node *node;
    int ifindex;
    bool running;
    struct dhcp6 d;
};

struct shoal_dhcp6_server {
    shoal_node *node;
    int ifindex;
    bool running;
    struct dhcp6_server srv;
};

static struct netif *netif_of(const shoal_node *node, int ifindex)
{
    if (node == NULL || node->n->stack == NULL || ifindex < 1 || ifindex > 255) return NULL;
    return netif_find_by_index(node->n->stack, (uint8_t)ifindex);
}

/* SHOAL_EBADARG for a raw host (no stack), SHOAL_ENOTFOUND for a missing netif. */
static int netif_err(const shoal_node *node)
{
    return node != NULL && node->n->stack != NULL ? SHOAL_ENOTFOUND : SHOAL_EBADARG;
}

static ip6_addr_t addr_in(const uint8_t *b, int zone)
{
    ip6_addr_t a = IP6_ADDR_ANY_INIT;
    if (b != NULL) ip6_addr_from_bytes(&a, b);
    a.zone = (uint8_t)zone;
    return a;
}

static int addr_out(const ip6_addr_t *a, uint8_t *b)
{
    ip6_addr_to_bytes(a, b);
    return ip6_addr_has_scope(a) ? a->zone : 0;
}

static uint64_t left_ns(uint64_t until_ns, uint64_t now)
{
    if (until_ns == SHOAL_TIME_NEVER) return UINT64_MAX;
    return until_ns > now ? until_ns - now : 0;
}

/* ---- interface addresses ---- */

int shoal_iface_add_ip6(shoal_node *node, int ifindex, const uint8_t *addr16, int prefix_len, int dad)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (addr16 == NULL || prefix_len < 0 || prefix_len > 128) return SHOAL_EBADARG;
    ip6_addr_t a = addr_in(addr16, 0);
    if (ip6_addr_has_scope(&a)) a.zone = netif->index;
    uint8_t flags = NETIF_IP6_FLAG_MANUAL | (dad ? 0u : NETIF_IP6_FLAG_NODAD);
    err_t e = netif_add_ip6(netif, &a, (uint8_t)prefix_len, flags);
    sim_node_kick(node->n);
    return e;
}

int shoal_iface_del_ip6(shoal_node *node, int ifindex, const uint8_t *addr16)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (addr16 == NULL) return SHOAL_EBADARG;
    ip6_addr_t a = addr_in(addr16, 0);
    if (ip6_addr_has_scope(&a)) a.zone = netif->index;
    err_t e = netif_del_ip6(netif, &a);
    sim_node_kick(node->n);
    return e;
}

int shoal_iface_enable_ip6(shoal_node *node, int ifindex, int iid_mode, int autoconf)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (iid_mode < ND6_IID_STABLE || iid_mode > ND6_IID_RANDOM) return SHOAL_EBADARG;
    err_t e = nd6_netif_enable(netif, (enum nd6_iid_mode)iid_mode, autoconf != 0);
    sim_node_kick(node->n);
    return e;
}

int shoal_iface_ip6_addr(const shoal_node *node, int ifindex, int index, shoal_ip6_addr_info *out)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (index < 0 || out == NULL) return SHOAL_EBADARG;
    uint64_t now = stack_now(node->n->stack);
    int seen = 0;
    for (size_t i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++) {
        const struct netif_ip6_addr *a = &netif->ip6[i];
        if (a->state == NETIF_IP6_INVALID || seen++ != index) continue;
        memset(out, 0, sizeof(*out));
        out->zone = addr_out(&a->addr, out->addr);
        if (out->zone == 0 && ip6_addr_has_scope(&a->addr)) out->zone = netif->index;
        out->prefix_len = a->prefix_len;
        out->state = a->state;
        out->flags = a->flags;
        out->preferred_left_ns = left_ns(a->preferred_until_ns, now);
        out->valid_left_ns = left_ns(a->valid_until_ns, now);
        return 1;
    }
    return 0;
}

int shoal_iface_ip6_info_get(const shoal_node *node, int ifindex, shoal_iface_ip6_info *out)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (out == NULL) return SHOAL_EBADARG;
    const struct netif_nd6 *nd = &netif->nd6;
    memset(out, 0, sizeof(*out));
    out->enabled = nd->enabled;
    out->autoconf = nd->autoconf;
    out->iid_mode = nd->iid_mode;
    out->hop_limit = nd->cur_hop_limit;
    out->mtu = nd->link_mtu ? nd->link_mtu : netif->mtu;
    out->base_reachable_ms = nd->base_reachable_ms;
    out->reachable_ms = nd->reachable_ms;
    out->retrans_ms = nd->retrans_ms;
    out->advertising = nd->advertising;
    return 0;
}

/* ---- router mode (RFC 4861 6.2) ---- */

int shoal_iface_advertise(shoal_node *node, int ifindex, const shoal_ra_config *cfg, int has_prefix,
                          const uint8_t *prefix16, int prefix_len, int on_link, int autonomous, uint32_t valid_s,
                          uint32_t preferred_s)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (cfg == NULL || cfg->router_lifetime_s > 0xffffu || cfg->cur_hop_limit < 0 || cfg->cur_hop_limit > 255)
        return SHOAL_EBADARG;
    if (has_prefix && (prefix16 == NULL || prefix_len < 1 || prefix_len > 128)) return SHOAL_EBADARG;
    struct nd6_ra_config c;
    nd6_ra_config_default(&c);
    c.min_interval_ms = cfg->min_interval_ms;
    c.max_interval_ms = cfg->max_interval_ms;
    c.router_lifetime_s = (uint16_t)cfg->router_lifetime_s;
    c.cur_hop_limit = (uint8_t)cfg->cur_hop_limit;
    c.managed = cfg->managed != 0;
    c.other_config = cfg->other_config != 0;
    c.reachable_time_ms = cfg->reachable_ms;
    c.retrans_timer_ms = cfg->retrans_ms;
    c.mtu = cfg->mtu;
    c.rdnss = addr_in(cfg->rdnss, 0);
    err_t e = nd6_router_start(netif, &c);
    if (e == ERR_OK && has_prefix) {
        struct nd6_ra_prefix pfx = {
            .prefix = addr_in(prefix16, 0),
            .prefix_len = (uint8_t)prefix_len,
            .on_link = on_link != 0,
            .autonomous = autonomous != 0,
            .valid_lifetime_s = valid_s,
            .preferred_lifetime_s = preferred_s,
        };
        e = nd6_router_add_prefix(netif, &pfx);
    }
    sim_node_kick(node->n);
    return e;
}

int shoal_iface_advertise_stop(shoal_node *node, int ifindex)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    nd6_router_stop(netif);
    sim_node_kick(node->n);
    return 0;
}

/* ---- multicast (MLDv1, RFC 2710) ---- */

int shoal_iface_mld6(shoal_node *node, int ifindex, const uint8_t *group16, int join)
{
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) return netif_err(node);
    if (group16 == NULL) return SHOAL_EBADARG;
    ip6_addr_t g = addr_in(group16, 0);
    if (ip6_addr_has_scope(&g)) g.zone = netif->index;
    err_t e = join ? mld6_join(netif, &g) : mld6_leave(netif, &g);
    sim_node_kick(node->n);
    return e;
}

/* ---- static routes ---- */

int shoal_node_route6_add(shoal_node *node, const uint8_t *prefix16, int prefix_len, const uint8_t *via16,
                          int ifindex)
{
    if (node == NULL || node->n->stack == NULL || prefix16 == NULL || prefix_len < 0 || prefix_len > 128)
        return SHOAL_EBADARG;
    struct netif *netif = NULL;
    if (ifindex != 0) {
        netif = netif_of(node, ifindex);
        if (netif == NULL) return SHOAL_ENOTFOUND;
    }
    ip6_addr_t via = addr_in(via16, 0);
    if (ip6_addr_is_any(&via) && netif == NULL) return SHOAL_EBADARG; /* neither a gateway nor an interface */
    if (ip6_addr_has_scope(&via)) {
        if (netif == NULL) return SHOAL_EBADARG; /* a link-local next hop names its link */
        via.zone = netif->index;
    }
    ip6_addr_t pfx = addr_in(prefix16, 0);
    err_t e = ip6_route_add(node->n->stack, &pfx, (uint8_t)prefix_len, &via, netif);
    sim_node_kick(node->n);
    return e;
}

int shoal_node_route6_del(shoal_node *node, const uint8_t *prefix16, int prefix_len)
{
    if (node == NULL || node->n->stack == NULL || prefix16 == NULL || prefix_len < 0 || prefix_len > 128)
        return SHOAL_EBADARG;
    ip6_addr_t pfx = addr_in(prefix16, 0);
    err_t e = ip6_route_del(node->n->stack, &pfx, (uint8_t)prefix_len);
    sim_node_kick(node->n);
    return e;
}

/* ---- ND views: the index-th entry in use, whatever the table's layout ---- */

int shoal_node_neighbor6(const shoal_node *node, int index, shoal_nd6_neighbor *out)
{
    struct stack *st = node != NULL ? node->n->stack : NULL;
    if (st == NULL || index < 0 || out == NULL) return SHOAL_EBADARG;
    size_t slots = stack_config(st)->nd6_neighbors;
    int seen = 0;
    for (size_t i = 0; i < slots; i++) {
        struct nd6_neighbor_info info;
        if (!nd6_neighbor_get(st, i, &info) || info.state == 0 || seen++ != index) continue;
        memset(out, 0, sizeof(*out));
        out->zone = addr_out(&info.ip, out->ip);
        if (out->zone == 0 && ip6_addr_has_scope(&info.ip)) out->zone = info.netif_idx;
        memcpy(out->mac, info.mac.addr, 6);
        out->ifindex = info.netif_idx;
        out->state = info.state;
        out->is_router = info.is_router;
        return 1;
    }
    return 0;
}

int shoal_node_router6(const shoal_node *node, int index, shoal_nd6_entry *out)
{
    struct stack *st = node != NULL ? node->n->stack : NULL;
    if (st == NULL || index < 0 || out == NULL) return SHOAL_EBADARG;
    size_t slots = stack_config(st)->nd6_routers;
    uint64_t now = stack_now(st);
    int seen = 0;
    for (size_t i = 0; i < slots; i++) {
        struct nd6_router_info info;
        if (!nd6_router_get(st, i, &info) || seen++ != index) continue;
        memset(out, 0, sizeof(*out));
        out->zone = addr_out(&info.ip, out->ip);
        if (out->zone == 0 && ip6_addr_has_scope(&info.ip)) out->zone = info.netif_idx;
        out->ifindex = info.netif_idx;
        out->left_ns = left_ns(info.expires_ns, now);
        return 1;
    }
    return 0;
}

int shoal_node_prefix6(const shoal_node *node, int index, shoal_nd6_entry *out)
{
    struct stack *st = node != NULL ? node->n->stack : NULL;
    if (st == NULL || index < 0 || out == NULL) return SHOAL_EBADARG;
    size_t slots = stack_config(st)->nd6_prefixes;
    uint64_t now = stack_now(st);
    int seen = 0;
    for (size_t i = 0; i < slots; i++) {
        struct nd6_prefix_info info;
        if (!nd6_prefix_get(st, i, &info) || seen++ != index) continue;
        memset(out, 0, sizeof(*out));
        ip6_addr_to_bytes(&info.prefix, out->ip);
        out->ifindex = info.netif_idx;
        out->prefix_len = info.prefix_len;
        out->left_ns = left_ns(info.expires_ns, now);
        return 1;
    }
    return 0;
}

/* ---- stateless DHCPv6 client ---- */

shoal_dhcp6 *shoal_dhcp6_start(shoal_node *node, int ifindex, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) {
        *err = netif_err(node);
        return NULL;
    }
    shoal_dhcp6 *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    h->node = node;
    h->ifindex = ifindex;
    err_t e = dhcp6_inform(netif, &h->d);
    sim_node_kick(node->n);
    if (e != ERR_OK) {
        free(h);
        *err = e;
        return NULL;
    }
    h->running = true;
    *err = 0;
    return h;
}

static struct netif *dhcp6_live(const shoal_dhcp6 *h)
{
    if (h == NULL || !h->running) return NULL;
    struct netif *netif = netif_of(h->node, h->ifindex);
    return (netif != NULL && netif->dhcp6 == &h->d) ? netif : NULL;
}

int shoal_dhcp6_stop(shoal_dhcp6 *h)
{
    struct netif *netif = dhcp6_live(h);
    if (netif != NULL) {
        dhcp6_stop(netif);
        sim_node_kick(h->node->n);
    }
    if (h != NULL) h->running = false;
    return 0;
}

int shoal_dhcp6_info_get(const shoal_dhcp6 *h, shoal_dhcp6_info *out)
{
    if (h == NULL || out == NULL) return SHOAL_EBADARG;
    memset(out, 0, sizeof(*out));
    /* A client replaced or stopped keeps what it learnt but is off. */
    out->state = dhcp6_live(h) != NULL ? h->d.state : DHCP6_OFF;
    out->dns_count = h->d.dns_count < DHCP6_MAX_DNS ? h->d.dns_count : (int)DHCP6_MAX_DNS;
    for (int i = 0; i < out->dns_count; i++) ip6_addr_to_bytes(&h->d.dns[i], out->dns[i]);
    _Static_assert(sizeof(out->domain) >= DHCP6_DOMAIN_MAX, "domain buffer too small");
    memcpy(out->domain, h->d.domain, DHCP6_DOMAIN_MAX);
    out->domain[DHCP6_DOMAIN_MAX - 1] = '\0';
    out->tries = h->d.tries;
    return 0;
}

void shoal_dhcp6_free(shoal_dhcp6 *h) { free(h); }

/* ---- stateless DHCPv6 server ---- */

shoal_dhcp6_server *shoal_dhcp6_server_start(shoal_node *node, int ifindex, const uint8_t *dns16, int dns_count,
                                             const char *domain, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) {
        *err = netif_err(node);
        return NULL;
    }
    if (dns_count < 0 || dns_count > (int)DHCP6_SERVER_MAX_DNS || (dns_count > 0 && dns16 == NULL) ||
        (domain != NULL && strlen(domain) >= sizeof(((struct dhcp6_server *)0)->domain))) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    shoal_dhcp6_server *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    h->node = node;
    h->ifindex = ifindex;
    for (int i = 0; i < dns_count; i++) h->srv.dns[i] = addr_in(dns16 + 16 * i, 0);
    h->srv.dns_count = (uint8_t)dns_count;
    if (domain != NULL) memcpy(h->srv.domain, domain, strlen(domain) + 1);
    err_t e = dhcp6_server_start(netif, &h->srv);
    sim_node_kick(node->n);
    if (e != ERR_OK) {
        free(h);
        *err = e;
        return NULL;
    }
    h->running = true;
    *err = 0;
    return h;
}

int shoal_dhcp6_server_stop(shoal_dhcp6_server *h)
{
    if (h == NULL) return SHOAL_EBADARG;
    if (h->running) {
        dhcp6_server_stop(&h->srv);
        sim_node_kick(h->node->n);
        h->running = false;
    }
    return 0;
}

uint32_t shoal_dhcp6_server_replies(const shoal_dhcp6_server *h) { return h != NULL ? h->srv.replies : 0; }

void shoal_dhcp6_server_free(shoal_dhcp6_server *h) { free(h); }

/* ---- ICMPv6 echo (RFC 4443 4.1) ---- */

/* The handle joins the simulation's ping list (binding_sockets.c's), so
 * shoal_ping_result/_done/_free, a reboot and shoal_sim_free treat it as
 * any other ping. */
shoal_ping *shoal_ping6_start(shoal_node *node, const uint8_t *dst16, int zone, int count, uint64_t interval_ns,
                              int payload_len, uint64_t timeout_ns, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct stack *st = node != NULL ? node->n->stack : NULL;
    if (st == NULL || dst16 == NULL || zone < 0 || zone > 255 || count < 1 || count > (int)PING_MAX_COUNT ||
        payload_len < 0 || payload_len > (int)PING6_MAX_PAYLOAD) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    shoal_ping *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    ip6_addr_t d = addr_in(dst16, 0);
    d.zone = ip6_addr_has_scope(&d) ? (uint8_t)zone : 0;
    err_t e = ping6_start(&p->pg, st, &d, (uint16_t)count, interval_ns, (uint16_t)payload_len, timeout_ns);
    sim_node_kick(node->n);
    if (e != ERR_OK) {
        free(p);
        *err = e;
        return NULL;
    }
    p->node = node;
    p->owner = node->owner;
    p->prev = NULL;
    p->next = node->owner->pings;
    if (p->next) p->next->prev = p;
    node->owner->pings = p;
    *err = 0;
    return p;
}
