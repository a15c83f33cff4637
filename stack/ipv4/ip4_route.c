/* The routing table: connected subnets from the netifs, static routes, and
 * longest-prefix match over both (RFC 1812 5.2.4.3; connected wins ties). */
#include "shoal/ip4.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"

static unsigned prefix_len_of(const ip4_addr_t *mask)
{
    uint32_t m = ip4_addr_to_u32(*mask);
    unsigned n = 0;
    while (m & 0x80000000u) {
        n++;
        m <<= 1;
    }
    return n;
}

static struct netif *netif_for_gateway(struct stack *s, const ip4_addr_t *gw)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        if (netif_is_up(n) && n->ip4.addr != 0 && ip4_addr_net_eq(gw, &n->ip4, &n->netmask)) return n;
    return NULL;
}

err_t ip4_route(struct stack *s, const ip4_addr_t *dst, struct ip4_route_result *out)
{
    int best_len = -1;
    out->netif = NULL;
    if (ip4_addr_is_limited_broadcast(dst)) {
        /* The limited broadcast leaves through the first interface that is up. */
        for (struct netif *n = s->netifs; n != NULL; n = n->next) {
            if (netif_is_up(n)) {
                out->netif = n;
                out->nexthop = *dst;
                return ERR_OK;
            }
        }
        return ERR_RTE;
    }
    for (struct netif *n = s->netifs; n != NULL; n = n->next) {
        if (!netif_is_up(n) || n->ip4.addr == 0) continue;
        int len = (int)prefix_len_of(&n->netmask);
        if (ip4_addr_net_eq(dst, &n->ip4, &n->netmask) && len > best_len) {
            best_len = len;
            out->netif = n;
            out->nexthop = *dst;
        }
    }
    for (uint32_t i = 0; i < s->cfg.route_count; i++) {
        const struct ip4_route_entry *r = &s->routes[i];
        if (!r->used || (dst->addr & r->mask.addr) != r->prefix.addr || (int)r->prefix_len <= best_len) continue;
        struct netif *n = r->netif_idx ? netif_find_by_index(s, r->netif_idx) : netif_for_gateway(s, &r->gateway);
        if (n == NULL || !netif_is_up(n)) continue;
        best_len = r->prefix_len;
        out->netif = n;
        out->nexthop = r->gateway.addr != 0 ? r->gateway : *dst;
    }
    if (out->netif == NULL) {
        /* A netif's own default gateway is the route of last resort. */
        for (struct netif *n = s->netifs; n != NULL; n = n->next) {
            if (netif_is_up(n) && n->gw.addr != 0) {
                out->netif = n;
                out->nexthop = n->gw;
                break;
            }
        }
    }
    return out->netif != NULL ? ERR_OK : ERR_RTE;
}

err_t ip4_route_add(struct stack *s, const ip4_addr_t *prefix, uint8_t prefix_len, const ip4_addr_t *gateway,
                    struct netif *netif)
{
    if (prefix_len > 32 || (netif == NULL && (gateway == NULL || gateway->addr == 0))) return ERR_ARG;
    ip4_addr_t mask = ip4_netmask_from_prefix(prefix_len);
    ip4_addr_t net = {prefix->addr & mask.addr};
    struct ip4_route_entry *slot = NULL;
    for (uint32_t i = 0; i < s->cfg.route_count; i++) {
        struct ip4_route_entry *r = &s->routes[i];
        if (r->used && r->prefix.addr == net.addr && r->prefix_len == prefix_len) {
            slot = r; /* an equal prefix replaces */
            break;
        }
        if (!r->used && slot == NULL) slot = r;
    }
    if (slot == NULL) return ERR_MEM;
    slot->prefix = net;
    slot->mask = mask;
    slot->prefix_len = prefix_len;
    slot->gateway.addr = gateway != NULL ? gateway->addr : 0;
    slot->netif_idx = netif != NULL ? netif->index : 0;
    slot->used = true;
    return ERR_OK;
}

err_t ip4_route_del(struct stack *s, const ip4_addr_t *prefix, uint8_t prefix_len)
{
    if (prefix_len > 32) return ERR_ARG;
    ip4_addr_t mask = ip4_netmask_from_prefix(prefix_len);
    for (uint32_t i = 0; i < s->cfg.route_count; i++) {
        struct ip4_route_entry *r = &s->routes[i];
        if (r->used && r->prefix.addr == (prefix->addr & mask.addr) && r->prefix_len == prefix_len) {
            r->used = false;
            return ERR_OK;
        }
    }
    return ERR_VAL;
}

void ip4_routes_forget_netif(struct stack *s, const struct netif *netif)
{
    for (uint32_t i = 0; i < s->cfg.route_count; i++)
        if (s->routes[i].used && s->routes[i].netif_idx == netif->index) s->routes[i].used = false;
}
