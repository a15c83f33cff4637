/*
 * DHCP client, AutoIP and the DHCP server for binding.h. Each handle holds
 * the caller-owned state the stack module keeps (struct dhcp, autoip,
 * dhcp_server), so it must outlive its use by the stack: Python stops a
 * handle while the simulation is open and frees the memory only after the
 * simulation (and with it the stack) is gone; *_free never touches a stack.
 */
#include "binding_internal.h"

#include <stdlib.h>
#include <string.h>

#include "shoal/autoip.h"
#include "shoal/dhcp.h"
#include "shoal/dhcp_server.h"
#include "shoal/netif.h"

struct shoal_dhcp {
    shoal_node *node;
    int ifindex;
    bool running;
    struct dhcp dhcp;
    struct autoip autoip;   /* the fallback's state */
};

struct shoal_autoip {
    shoal_node *node;
    int ifindex;
    bool running;
    struct autoip a;
};

struct shoal_dhcp_server {
    shoal_node *node;
    int ifindex;
    struct dhcp_server srv;
};

static struct netif *netif_of(shoal_node *node, int ifindex)
{
    if (node == NULL || node->n->stack == NULL || ifindex < 1 || ifindex > 255) return NULL;
    return netif_find_by_index(node->n->stack, (uint8_t)ifindex);
}

/* ---- client ---- */

shoal_dhcp *shoal_dhcp_start(shoal_node *node, int ifindex, const char *hostname, int client_id, int check_address,
                             int desync, int autoip_after, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) {
        *err = node != NULL && node->n->stack == NULL ? SHOAL_EBADARG : SHOAL_ENOTFOUND;
        return NULL;
    }
    if (autoip_after < 0 || autoip_after > 255 || (hostname != NULL && strlen(hostname) > DHCP_HOSTNAME_MAX)) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    shoal_dhcp *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    h->node = node;
    h->ifindex = ifindex;
    dhcp_init(&h->dhcp);
    h->dhcp.cfg.send_client_id = client_id != 0;
    h->dhcp.cfg.check_address = check_address != 0;
    h->dhcp.cfg.desync_start = desync != 0;
    if (hostname != NULL) memcpy(h->dhcp.cfg.hostname, hostname, strlen(hostname) + 1);
    if (autoip_after > 0) {
        h->dhcp.cfg.autoip = &h->autoip;
        h->dhcp.cfg.autoip_after_tries = (uint8_t)autoip_after;
    }
    /* A client (or AutoIP) of another handle on this netif stops first. */
    err_t e = dhcp_start(netif, &h->dhcp);
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

static struct netif *live_netif(const shoal_dhcp *h)
{
    if (h == NULL || !h->running) return NULL;
    struct netif *netif = netif_of(h->node, h->ifindex);
    return (netif != NULL && netif->dhcp == &h->dhcp) ? netif : NULL;
}

int shoal_dhcp_stop(shoal_dhcp *h)
{
    struct netif *netif = live_netif(h);
    if (netif != NULL) {
        dhcp_stop(netif);
        sim_node_kick(h->node->n);
    }
    if (h != NULL) h->running = false;
    return 0;
}

int shoal_dhcp_release(shoal_dhcp *h)
{
    struct netif *netif = live_netif(h);
    if (netif == NULL) return SHOAL_ECLOSED;
    err_t e = dhcp_release(netif);
    sim_node_kick(h->node->n);
    return e;
}

int shoal_dhcp_renew(shoal_dhcp *h)
{
    struct netif *netif = live_netif(h);
    if (netif == NULL) return SHOAL_ECLOSED;
    err_t e = dhcp_renew(netif);
    sim_node_kick(h->node->n);
    return e;
}

int shoal_dhcp_info_get(const shoal_dhcp *h, shoal_dhcp_info *out)
{
    if (h == NULL || out == NULL) return SHOAL_EBADARG;
    const struct dhcp *d = &h->dhcp;
    memset(out, 0, sizeof(*out));
    bool live = live_netif(h) != NULL;
    enum dhcp_state st = live ? d->state : DHCP_STATE_OFF;
    out->state = (int)st;
    out->state_name = dhcp_state_name(st);
    bool leased = st == DHCP_STATE_BOUND || st == DHCP_STATE_RENEWING || st == DHCP_STATE_REBINDING;
    if (leased) {
        out->addr = ip4_addr_to_u32(d->offered_ip);
        out->netmask = ip4_addr_to_u32(d->netmask);
        out->router = ip4_addr_to_u32(d->router);
        out->lease_s = d->lease_s;
        out->t1_s = d->t1_s;
        out->t2_s = d->t2_s;
        out->lease_left_ns = dhcp_lease_left_ns(d);
        out->dns_count = d->dns_count;
        for (int i = 0; i < d->dns_count && i < 2; i++) out->dns[i] = ip4_addr_to_u32(d->dns[i]);
    } else if (st != DHCP_STATE_OFF) {
        out->addr = ip4_addr_to_u32(d->offered_ip); /* offered or being checked */
    }
    out->server = ip4_addr_to_u32(d->server_id);
    out->xid = d->xid;
    out->tries = d->tries;
    out->discovers = d->discovers;
    out->leases = d->leases;
    out->naks = d->naks;
    out->declines = d->declines;
    out->autoip_state = (int)h->autoip.state;
    out->autoip_state_name = autoip_state_name(h->autoip.state);
    out->autoip_addr = h->autoip.state != AUTOIP_STATE_OFF ? ip4_addr_to_u32(h->autoip.llipaddr) : 0;
    return 0;
}

void shoal_dhcp_free(shoal_dhcp *h) { free(h); }

/* ---- AutoIP ---- */

shoal_autoip *shoal_autoip_start(shoal_node *node, int ifindex, int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) {
        *err = node != NULL && node->n->stack == NULL ? SHOAL_EBADARG : SHOAL_ENOTFOUND;
        return NULL;
    }
    shoal_autoip *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    h->node = node;
    h->ifindex = ifindex;
    err_t e = autoip_start(netif, &h->a);
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

static struct netif *autoip_netif(const shoal_autoip *h)
{
    if (h == NULL || !h->running) return NULL;
    struct netif *netif = netif_of(h->node, h->ifindex);
    return (netif != NULL && netif->autoip == &h->a) ? netif : NULL;
}

int shoal_autoip_stop(shoal_autoip *h)
{
    struct netif *netif = autoip_netif(h);
    if (netif != NULL) {
        autoip_stop(netif);
        sim_node_kick(h->node->n);
    }
    if (h != NULL) h->running = false;
    return 0;
}

int shoal_autoip_info_get(const shoal_autoip *h, shoal_autoip_info *out)
{
    if (h == NULL || out == NULL) return SHOAL_EBADARG;
    memset(out, 0, sizeof(*out));
    enum autoip_state st = autoip_netif(h) != NULL ? h->a.state : AUTOIP_STATE_OFF;
    out->state = (int)st;
    out->state_name = autoip_state_name(st);
    out->addr = st != AUTOIP_STATE_OFF ? ip4_addr_to_u32(h->a.llipaddr) : 0;
    out->tried = h->a.tried;
    out->conflicts = h->a.acd.conflicts;
    return 0;
}

void shoal_autoip_free(shoal_autoip *h) { free(h); }

/* ---- server ---- */

shoal_dhcp_server *shoal_dhcp_server_start(shoal_node *node, int ifindex, uint32_t first, uint32_t last,
                                           uint32_t lease_s, uint32_t router, const uint32_t *dns, int dns_count,
                                           int *err)
{
    int dummy;
    if (err == NULL) err = &dummy;
    struct netif *netif = netif_of(node, ifindex);
    if (netif == NULL) {
        *err = node != NULL && node->n->stack == NULL ? SHOAL_EBADARG : SHOAL_ENOTFOUND;
        return NULL;
    }
    if (dns_count < 0 || dns_count > (int)DHCP_DNS_MAX || (dns_count > 0 && dns == NULL)) {
        *err = SHOAL_EBADARG;
        return NULL;
    }
    shoal_dhcp_server *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        *err = SHOAL_ENOMEM;
        return NULL;
    }
    h->node = node;
    h->ifindex = ifindex;
    struct dhcp_server_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.pool_first = ip4_addr_from_u32(first);
    cfg.pool_last = ip4_addr_from_u32(last);
    cfg.lease_s = lease_s;
    cfg.router = ip4_addr_from_u32(router);
    cfg.dns_count = (uint8_t)dns_count;
    for (int i = 0; i < dns_count; i++) cfg.dns[i] = ip4_addr_from_u32(dns[i]);
    err_t e = dhcp_server_start(netif, &h->srv, &cfg);
    sim_node_kick(node->n);
    if (e != ERR_OK) {
        free(h);
        *err = e;
        return NULL;
    }
    *err = 0;
    return h;
}

int shoal_dhcp_server_stop(shoal_dhcp_server *h)
{
    if (h == NULL) return SHOAL_EBADARG;
    dhcp_server_stop(&h->srv);
    sim_node_kick(h->node->n);
    return 0;
}

int shoal_dhcp_server_lease(const shoal_dhcp_server *h, int index, shoal_dhcp_lease *out)
{
    if (h == NULL || out == NULL || index < 0) return SHOAL_EBADARG;
    /* Entries in use, in table order. */
    int seen = 0;
    for (size_t i = 0; i < DHCP_SERVER_LEASES; i++) {
        const struct dhcp_server_lease *l = &h->srv.leases[i];
        if (l->ip.addr == 0) continue;
        if (seen++ != index) continue;
        memcpy(out->mac, l->mac, 6);
        out->addr = ip4_addr_to_u32(l->ip);
        out->state = (int)l->state;
        out->state_name = dhcp_lease_state_name(l->state);
        out->expires_ns = l->expires_ns;
        return 1;
    }
    return 0;
}

int shoal_dhcp_server_counts(const shoal_dhcp_server *h, uint32_t *out6)
{
    if (h == NULL || out6 == NULL) return SHOAL_EBADARG;
    out6[0] = h->srv.offers;
    out6[1] = h->srv.acks;
    out6[2] = h->srv.naks;
    out6[3] = h->srv.declines;
    out6[4] = h->srv.releases;
    out6[5] = h->srv.informs;
    return 0;
}

void shoal_dhcp_server_free(shoal_dhcp_server *h) { free(h); }
