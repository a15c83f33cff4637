/* Network interfaces: add/remove, state, addresses, input dispatch by kind. */
#include <string.h>

#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/ethernet.h"
#include "shoal/etharp.h"
#include "shoal/ip4.h"
#include "shoal/igmp.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/igmp_priv.h"
#include "ipv4/features.h"
#if SHOAL_IPV6
#include "shoal/ip6.h"
#include "shoal/dhcp6.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"
#include "ipv6/mld6_priv.h"
#include "ipv6/dhcp6_priv.h"
#endif

struct netif *netif_add(struct stack *s, const struct netif_init *init)
{
    if (init == NULL || init->hwaddr_len > NETIF_MAX_HWADDR_LEN) return NULL;
    if (init->kind == NETIF_ETHERNET && (init->hwaddr == NULL || init->hwaddr_len != ETH_HWADDR_LEN)) return NULL;
    if (s->next_netif_index == 0) return NULL; /* all 255 indexes used up */
    struct netif *n = pool_alloc(&s->pools[POOL_NETIF]);
    if (n == NULL) return NULL;
    memset(n, 0, sizeof(*n));
    n->stack = s;
    n->state = init->state;
    n->linkoutput = init->linkoutput;
    n->kind = init->kind;
    if (init->name != NULL) {
        size_t i = 0;
        for (; i + 1 < NETIF_NAME_LEN && init->name[i] != '\0'; i++) n->name[i] = init->name[i];
    }
    n->index = s->next_netif_index++;
    n->mtu = init->mtu != 0 ? init->mtu : 1500;
    if (init->hwaddr_len) memcpy(n->hwaddr, init->hwaddr, init->hwaddr_len);
    n->hwaddr_len = init->hwaddr_len;
    if (init->kind == NETIF_ETHERNET) n->flags |= NETIF_FLAG_BROADCAST;
    /* RFC 4861 10 defaults until a router says otherwise. */
    n->nd6.cur_hop_limit = 64;
    n->nd6.link_mtu = n->mtu;
    n->nd6.base_reachable_ms = 30000;
    n->nd6.reachable_ms = 30000;
    n->nd6.retrans_ms = 1000;
    /* Append, so that iteration follows creation order (deterministic). */
    struct netif **pp = &s->netifs;
    while (*pp != NULL) pp = &(*pp)->next;
    *pp = n;
    return n;
}

void netif_remove(struct netif *netif)
{
    struct stack *s = netif->stack;
    feat_netif_clients_stop(netif);
#if SHOAL_IPV6 && SHOAL_DHCP6
    if (netif->dhcp6 != NULL) dhcp6_stop(netif);
    dhcp6_server_netif_removed(netif);
#endif
    if (netif->kind == NETIF_ETHERNET) etharp_flush_netif(netif);
    ip4_routes_forget_netif(s, netif);
    feat_igmp_netif_removed(netif);
#if SHOAL_IPV6
    nd6_netif_cleanup(netif);
    mld6_netif_cleanup(netif);
    ip6_routes_forget_netif(s, netif);
#endif
    for (struct netif **pp = &s->netifs; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == netif) {
            *pp = netif->next;
            break;
        }
    }
    pool_free(&s->pools[POOL_NETIF], netif);
}

/* RFC 5227 2.3: announce an address when it comes into use. */
static void announce(struct netif *netif)
{
    if (netif->kind == NETIF_ETHERNET && netif_is_up(netif) && netif->ip4.addr != 0)
        etharp_request(netif, &netif->ip4);
    if (netif_is_up(netif) && netif->ip4.addr != 0) feat_igmp_netif_up(netif);
}

static void set_flags(struct netif *netif, uint8_t flags)
{
    bool was_up = netif_is_up(netif);
    netif->flags = flags;
    bool is_up = netif_is_up(netif);
    if (!was_up && is_up) announce(netif);
    if (was_up && !is_up && netif->kind == NETIF_ETHERNET) etharp_flush_netif(netif);
#if SHOAL_IPV6
    if (!was_up && is_up) nd6_netif_up(netif);
    if (was_up && !is_up) nd6_netif_cleanup(netif);
#endif
}

void netif_set_up(struct netif *netif) { set_flags(netif, (uint8_t)(netif->flags | NETIF_FLAG_UP)); }
void netif_set_down(struct netif *netif) { set_flags(netif, (uint8_t)(netif->flags & ~NETIF_FLAG_UP)); }
void netif_set_link_up(struct netif *netif) { set_flags(netif, (uint8_t)(netif->flags | NETIF_FLAG_LINK_UP)); }
void netif_set_link_down(struct netif *netif) { set_flags(netif, (uint8_t)(netif->flags & ~NETIF_FLAG_LINK_UP)); }

void netif_set_ip4(struct netif *netif, const ip4_addr_t *addr, const ip4_addr_t *netmask, const ip4_addr_t *gw)
{
    ip4_addr_t zero = IP4_ADDR_ANY_INIT;
    if (addr == NULL) addr = &zero;
    bool changed = netif->ip4.addr != addr->addr;
    if (changed && netif->kind == NETIF_ETHERNET) etharp_flush_netif(netif);
    netif->ip4 = *addr;
    netif->netmask = (netmask != NULL && addr->addr != 0) ? *netmask : zero;
    netif->gw = (gw != NULL && addr->addr != 0) ? *gw : zero;
    if (changed) announce(netif);
}

err_t netif_input(struct netif *netif, struct pbuf *p)
{
    if (p == NULL) return ERR_ARG;
    if (netif == NULL || !netif_is_up(netif)) {
        if (netif != NULL) STATS_DROP(netif->stack, STATS_LINK, err);
        pbuf_free(p);
        return ERR_IF;
    }
    p->if_idx = netif->index;
    switch (netif->kind) {
    case NETIF_ETHERNET: return ethernet_input(p, netif);
    case NETIF_POINT_TO_POINT:
#if SHOAL_IPV6
        /* No link header says which IP: the version nibble does. */
        if (p->len > 0 && (p->payload[0] >> 4) == 6) {
            ip6_input(p, netif);
            return ERR_OK;
        }
#endif
        ip4_input(p, netif);
        return ERR_OK;
    }
    pbuf_free(p);
    return ERR_IF;
}

struct netif *netif_find_by_index(struct stack *s, uint8_t index)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        if (n->index == index) return n;
    return NULL;
}

struct netif *netif_list(struct stack *s) { return s->netifs; }
