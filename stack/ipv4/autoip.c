/*
 * IPv4 link-local address configuration (RFC 3927) over RFC 5227 ACD.
 */
#include <string.h>

#include "shoal/autoip.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"

/* RFC 3927 2.1: 169.254.1.0 .. 169.254.254.255 (the first and last 256
 * addresses of 169.254/16 are reserved). */
#define LL_FIRST 0xa9fe0100u
#define LL_COUNT (254u * 256u)

static ip4_addr_t pick_address(struct autoip *a)
{
    struct netif *netif = a->netif;
    uint32_t x;
    if (a->tried == 0) {
        /* RFC 3927 2.1: seeded from the interface's MAC, so the same host
         * tends to choose the same address (FNV-1a, with the netif index). */
        x = 2166136261u;
        for (uint8_t i = 0; i < netif->hwaddr_len; i++) x = (x ^ netif->hwaddr[i]) * 16777619u;
        x = (x ^ netif->index) * 16777619u;
    } else {
        x = stack_random32(netif->stack);
    }
    a->tried++;
    STATS_INC(netif->stack, STATS_AUTOIP, xmit);
    return ip4_addr_from_u32(LL_FIRST + x % LL_COUNT);
}

static void clear_if_ours(struct autoip *a)
{
    if (a->state == AUTOIP_STATE_BOUND && a->netif->ip4.addr == a->llipaddr.addr) netif_set_ip4(a->netif, NULL, NULL, NULL);
}

static void try_next(struct autoip *a)
{
    a->llipaddr = pick_address(a);
    a->state = AUTOIP_STATE_CHECKING;
    acd_start(a->netif, &a->acd, &a->llipaddr);
}

static void acd_event(struct netif *netif, enum acd_event ev, void *arg)
{
    struct autoip *a = arg;
    struct stack *s = netif->stack;
    switch (ev) {
    case ACD_IP_OK:
        if (a->state != AUTOIP_STATE_CHECKING) return;
        /* RFC 3927 2.1 / 2.6.1: a /16 on-link, no router. */
        {
            ip4_addr_t mask = ip4_netmask_from_prefix(16);
            a->state = AUTOIP_STATE_BOUND;
            STATS_INC(s, STATS_AUTOIP, recv);
            netif_set_ip4(netif, &a->llipaddr, &mask, NULL);
        }
        return;
    case ACD_RESTART: /* RFC 3927 2.2.1: conflict while probing: a new address */
    case ACD_DECLINE: /* RFC 3927 2.5 (b): could not defend it: give it up */
        STATS_INC(s, STATS_AUTOIP, err);
        clear_if_ours(a);
        try_next(a);
        return;
    }
}

err_t autoip_start(struct netif *netif, struct autoip *autoip)
{
    if (netif == NULL || autoip == NULL) return ERR_ARG;
    if (netif->kind != NETIF_ETHERNET) return ERR_VAL;
    if (netif->autoip != NULL) autoip_stop(netif);
    memset(autoip, 0, sizeof(*autoip));
    autoip->netif = netif;
    err_t err = acd_add(netif, &autoip->acd, acd_event, autoip);
    if (err != ERR_OK) return err;
    netif->autoip = autoip;
    try_next(autoip);
    return ERR_OK;
}

void autoip_stop(struct netif *netif)
{
    if (netif == NULL || netif->autoip == NULL) return;
    struct autoip *a = netif->autoip;
    acd_remove(netif, &a->acd);
    clear_if_ours(a);
    a->state = AUTOIP_STATE_OFF;
    netif->autoip = NULL;
}

const char *autoip_state_name(enum autoip_state st)
{
    switch (st) {
    case AUTOIP_STATE_OFF: return "OFF";
    case AUTOIP_STATE_CHECKING: return "CHECKING";
    case AUTOIP_STATE_BOUND: return "BOUND";
    }
    return "?";
}
