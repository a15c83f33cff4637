/*
 * The IPv6 routing table: zones for scoped destinations (RFC 4007 6),
 * longest-prefix match over static routes, the on-link prefixes of the
 * netifs' addresses and ND's prefix list, ND redirects, then a default
 * route or ND's default router (RFC 4861 5.2, 6.3.6).
 */
#include <string.h>

#include "shoal/ip6.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"

static bool netif_usable6(const struct netif *n) { return n != NULL && netif_is_up(n) && n->nd6.enabled; }

/* The only IPv6 netif, for a scoped address given without a zone. */
static struct netif *sole_netif(struct stack *s)
{
    struct netif *found = NULL;
    for (struct netif *n = s->netifs; n != NULL; n = n->next) {
        if (!n->nd6.enabled) continue;
        if (found != NULL) return NULL;
        found = n;
    }
    return found;
}

/* An on-link prefix of one of netif's addresses that holds a. Addresses
 * formed by SLAAC say nothing about on-link (RFC 5942 4): ND's prefix list
 * (L flag) does. */
static int connected_len(const struct netif *n, const ip6_addr_t *a)
{
    int best = -1;
    for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++) {
        const struct netif_ip6_addr *ad = &n->ip6[i];
        if (ad->state == NETIF_IP6_INVALID || ad->prefix_len >= 128 || (ad->flags & NETIF_IP6_FLAG_AUTOCONF)) continue;
        if (ip6_addr_prefix_eq(&ad->addr, a, ad->prefix_len) && (int)ad->prefix_len > best) best = ad->prefix_len;
    }
    return best;
}

/* The netif through which a static route's gateway is reached. */
static struct netif *netif_for_gateway(struct stack *s, const struct ip6_route_entry *r)
{
    if (r->netif_idx != 0) return netif_find_by_index(s, r->netif_idx);
    for (struct netif *n = s->netifs; n != NULL; n = n->next)
        if (netif_usable6(n) && connected_len(n, &r->gateway) >= 0) return n;
    struct netif *n = NULL;
    uint8_t plen;
    if (nd6_on_link(s, &r->gateway, &n, &plen)) return n;
    return NULL;
}

err_t ip6_route(struct stack *s, const ip6_addr_t *dst, struct ip6_route_result *out)
{
    memset(out, 0, sizeof(*out));
    if (ip6_addr_is_loopback(dst) || ip6_addr_is_any(dst)) return ERR_RTE;
    out->nexthop = *dst;
    if (ip6_addr_has_scope(dst)) {
        /* RFC 4007 6: a scoped address means nothing without its zone. */
        struct netif *n = dst->zone != 0 ? netif_find_by_index(s, dst->zone) : sole_netif(s);
        if (!netif_usable6(n)) return ERR_RTE;
        out->netif = n;
        out->nexthop.zone = n->index;
        return ERR_OK;
    }
    int best_len = -1;
    bool multicast = ip6_addr_is_multicast(dst);
    if (!multicast) {
        for (struct netif *n = s->netifs; n != NULL; n = n->next) {
            if (!netif_usable6(n)) continue;
            int len = connected_len(n, dst);
            if (len > best_len) {
                best_len = len;
                out->netif = n;
            }
        }
        struct netif *n = NULL;
        uint8_t plen = 0;
        if (nd6_on_link(s, dst, &n, &plen) && netif_usable6(n) && (int)plen > best_len) {
            best_len = plen;
            out->netif = n;
        }
    }
    /* Static routes win only with a longer prefix (connected wins ties). */
    for (uint32_t i = 0; i < s->cfg.ip6_route_count; i++) {
        const struct ip6_route_entry *r = &s->routes6[i];
        if (!r->used || (int)r->prefix_len <= best_len || !ip6_addr_prefix_eq(&r->prefix, dst, r->prefix_len))
            continue;
        struct netif *n = netif_for_gateway(s, r);
        if (!netif_usable6(n)) continue;
        best_len = r->prefix_len;
        out->netif = n;
        out->nexthop = ip6_addr_is_any(&r->gateway) || multicast ? *dst : r->gateway;
        if (ip6_addr_has_scope(&out->nexthop)) out->nexthop.zone = n->index;
    }
    if (multicast) {
        if (out->netif != NULL) return ERR_OK;
        /* Wider-scope multicast without a route: the first IPv6 netif. */
        for (struct netif *n = s->netifs; n != NULL; n = n->next) {
            if (netif_usable6(n)) {
                out->netif = n;
                return ERR_OK;
            }
        }
        return ERR_RTE;
    }
    /* RFC 4861 8.3: a redirect names a better first hop for this destination. */
    struct netif *rn = NULL;
    ip6_addr_t rnh;
    if (nd6_redirected(s, dst, &rn, &rnh) && netif_usable6(rn)) {
        out->netif = rn;
        out->nexthop = rnh;
        if (ip6_addr_has_scope(&out->nexthop)) out->nexthop.zone = rn->index;
        return ERR_OK;
    }
    if (out->netif != NULL) return ERR_OK;
    /* RFC 4861 6.3.6: else a default router from the router list. */
    ip6_addr_t router;
    if (nd6_default_router(s, &rn, &router) && netif_usable6(rn)) {
        out->netif = rn;
        out->nexthop = router;
        if (ip6_addr_has_scope(&out->nexthop)) out->nexthop.zone = rn->index;
        return ERR_OK;
    }
    return ERR_RTE;
}

/* prefix with the bits past prefix_len cleared. */
static ip6_addr_t masked(const ip6_addr_t *prefix, uint8_t prefix_len)
{
    uint8_t b[IP6_ADDR_LEN];
    ip6_addr_to_bytes(prefix, b);
    for (unsigned i = 0; i < IP6_ADDR_LEN; i++) {
        unsigned bits = prefix_len >= 8u * (i + 1u) ? 8u : prefix_len > 8u * i ? prefix_len - 8u * i : 0u;
        b[i] &= (uint8_t)(0xff00u >> bits);
    }
    ip6_addr_t r;
    ip6_addr_from_bytes(&r, b);
    return r;
}

err_t ip6_route_add(struct stack *s, const ip6_addr_t *prefix, uint8_t prefix_len, const ip6_addr_t *gateway,
                    struct netif *netif)
{
    bool on_link = ip6_addr_is_any(gateway);
    if (prefix == NULL || prefix_len > 128) return ERR_ARG;
    if (netif == NULL && (on_link || ip6_addr_has_scope(gateway))) return ERR_ARG; /* a link-local needs its link */
    if (!on_link && ip6_addr_is_multicast(gateway)) return ERR_ARG;
    ip6_addr_t net = masked(prefix, prefix_len);
    struct ip6_route_entry *slot = NULL;
    for (uint32_t i = 0; i < s->cfg.ip6_route_count; i++) {
        struct ip6_route_entry *r = &s->routes6[i];
        if (r->used && r->prefix_len == prefix_len && ip6_addr_eq(&r->prefix, &net)) {
            slot = r; /* an equal prefix replaces */
            break;
        }
        if (!r->used && slot == NULL) slot = r;
    }
    if (slot == NULL) return ERR_MEM;
    memset(slot, 0, sizeof(*slot));
    slot->prefix = net;
    slot->prefix_len = prefix_len;
    if (!on_link) slot->gateway = *gateway;
    slot->gateway.zone = netif != NULL && ip6_addr_has_scope(&slot->gateway) ? netif->index : 0;
    slot->netif_idx = netif != NULL ? netif->index : 0;
    slot->used = true;
    return ERR_OK;
}

err_t ip6_route_del(struct stack *s, const ip6_addr_t *prefix, uint8_t prefix_len)
{
    if (prefix == NULL || prefix_len > 128) return ERR_ARG;
    ip6_addr_t net = masked(prefix, prefix_len);
    for (uint32_t i = 0; i < s->cfg.ip6_route_count; i++) {
        struct ip6_route_entry *r = &s->routes6[i];
        if (r->used && r->prefix_len == prefix_len && ip6_addr_eq(&r->prefix, &net)) {
            r->used = false;
            return ERR_OK;
        }
    }
    return ERR_VAL;
}

void ip6_routes_forget_netif(struct stack *s, const struct netif *netif)
{
    for (uint32_t i = 0; i < s->cfg.ip6_route_count; i++)
        if (s->routes6[i].used && s->routes6[i].netif_idx == netif->index) s->routes6[i].used = false;
}
