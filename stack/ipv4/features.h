/*
 * The calls from always-built code (ip4.c, netif.c, etharp.c) into optional
 * features, as inline helpers that become no-ops when a feature is left
 * out (opt.h). This keeps the feature switches out of the functions.
 */
#ifndef SHOAL_IPV4_FEATURES_H
#define SHOAL_IPV4_FEATURES_H

#include "shoal/opt.h"
#include "shoal/pbuf.h"
#include "shoal/ip4.h"
#include "shoal/igmp.h"
#include "shoal/acd.h"
#include "shoal/dhcp.h"
#include "shoal/autoip.h"
#include "core/stack_priv.h"
#include "ipv4/ip4_priv.h"
#include "ipv4/ip4_frag_priv.h"
#include "ipv4/igmp_priv.h"

static inline struct pbuf *feat_ip4_reass(struct pbuf *p, struct ip4_rx_info *info)
{
#if SHOAL_IP4_FRAG
    return ip4_reass(p, info);
#else
    STATS_INC(info->netif->stack, STATS_IP4_FRAG, drop); /* fragments are dropped */
    STATS_INC(info->netif->stack, STATS_IP4, drop);
    pbuf_free(p);
    return NULL;
#endif
}

static inline err_t feat_ip4_frag_output(struct netif *netif, struct pbuf *p, const struct ip4_repr *r,
                                         const ip4_addr_t *nexthop)
{
#if SHOAL_IP4_FRAG
    return ip4_frag_output(netif, p, r, nexthop);
#else
    (void)netif, (void)p, (void)r, (void)nexthop;
    return ERR_VAL; /* too big, and no fragmentation */
#endif
}

static inline bool feat_ip4_forward(struct pbuf *p, const struct ip4_rx_info *info)
{
#if SHOAL_IP4_FORWARD
    ip4_forward(p, info);
    return true;
#else
    (void)p, (void)info;
    return false;
#endif
}

static inline bool feat_igmp_is_member(const struct netif *netif, const ip4_addr_t *group)
{
#if SHOAL_IGMP
    return igmp_is_member(netif, group);
#else
    (void)netif;
    return ip4_addr_to_u32(*group) == 0xe0000001u; /* 224.0.0.1 */
#endif
}

static inline void feat_igmp_input(struct pbuf *p, const struct ip4_rx_info *info)
{
#if SHOAL_IGMP
    igmp_input(p, info);
#else
    (void)info;
    pbuf_free(p);
#endif
}

static inline void feat_igmp_router_forward(struct pbuf *p, const struct ip4_rx_info *info)
{
#if SHOAL_IGMP
    igmp_router_forward(p, info);
#else
    (void)p, (void)info;
#endif
}

static inline void feat_igmp_netif_up(struct netif *netif)
{
#if SHOAL_IGMP
    igmp_router_netif_up(netif);
#else
    (void)netif;
#endif
}

static inline void feat_igmp_netif_removed(struct netif *netif)
{
#if SHOAL_IGMP
    igmp_netif_removed(netif);
#else
    (void)netif;
#endif
}

static inline void feat_acd_arp_input(struct netif *netif, const struct arp_repr *arp)
{
#if SHOAL_ACD
    acd_arp_input(netif, arp);
#else
    (void)netif, (void)arp;
#endif
}

/* A netif goes away: the clients that keep timers on it stop first. */
static inline void feat_netif_clients_stop(struct netif *netif)
{
#if SHOAL_DHCP
    if (netif->dhcp != NULL) dhcp_stop(netif);
#endif
#if SHOAL_AUTOIP
    if (netif->autoip != NULL) autoip_stop(netif);
#endif
#if SHOAL_ACD
    while (netif->acd_list != NULL) acd_remove(netif, netif->acd_list);
#else
    netif->acd_list = NULL;
#endif
}

#endif
