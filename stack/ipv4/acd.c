/*
 * IPv4 address conflict detection (RFC 5227): probing, announcing and
 * ongoing defence, on caller-owned state listed per netif. etharp_input
 * hands every valid ARP packet here while the netif's list is not empty.
 */
#include <string.h>

#include "shoal/acd.h"
#include "shoal/etharp.h"
#include "shoal/ethernet.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"

/* RFC 5227 1.1 constants (RFC 3927 9 uses the same ones). */
#define PROBE_WAIT_NS (1ull * SHOAL_NS_PER_S)
#define PROBE_NUM 3u
#define PROBE_MIN_NS (1ull * SHOAL_NS_PER_S)
#define PROBE_MAX_NS (2ull * SHOAL_NS_PER_S)
#define ANNOUNCE_WAIT_NS (2ull * SHOAL_NS_PER_S)
#define ANNOUNCE_NUM 2u
#define ANNOUNCE_INTERVAL_NS (2ull * SHOAL_NS_PER_S)
#define MAX_CONFLICTS 10u
#define RATE_LIMIT_INTERVAL_NS (60ull * SHOAL_NS_PER_S)
#define DEFEND_INTERVAL_NS (10ull * SHOAL_NS_PER_S)

static const struct eth_addr eth_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

/* A uniformly random duration in [lo, hi] from the instance's RNG. */
static uint64_t random_between(struct stack *s, uint64_t lo, uint64_t hi)
{
    uint64_t span = hi - lo;
    return lo + (((uint64_t)stack_random32(s) * (span + 1u)) >> 32);
}

/* An ARP request out of the netif: a probe (spa 0) or an announcement
 * (spa = tpa = the address), always broadcast with tha zero (RFC 5227 2.1.1, 2.3). */
static void send_arp_request(struct acd *acd, const ip4_addr_t *spa)
{
    struct netif *netif = acd->netif;
    struct stack *s = netif->stack;
    if (!netif_is_up(netif)) return;
    struct pbuf *p = pbuf_alloc(s, PBUF_LINK, ARP_HDR_LEN);
    if (p == NULL) {
        STATS_INC(s, STATS_ACD, memerr);
        return;
    }
    struct arp_repr r;
    memset(&r, 0, sizeof(r));
    r.op = ARP_OP_REQUEST;
    memcpy(r.sha.addr, netif->hwaddr, ETH_HWADDR_LEN);
    r.spa = *spa;
    r.tpa = acd->ipaddr;
    uint8_t buf[ARP_HDR_LEN];
    arp_emit(&r, buf);
    pbuf_take(p, buf, sizeof(buf));
    if (ethernet_output(netif, p, &r.sha, &eth_broadcast, ETHTYPE_ARP) == ERR_OK) {
        STATS_INC(s, STATS_ACD, xmit);
        STATS_INC(s, STATS_ETHARP, xmit);
    }
    pbuf_free(p);
}

static void send_probe(struct acd *acd)
{
    ip4_addr_t zero = IP4_ADDR_ANY_INIT;
    send_arp_request(acd, &zero);
}

static void send_announce(struct acd *acd) { send_arp_request(acd, &acd->ipaddr); }

static void acd_timer_fire(struct stack *s, void *arg);

static void arm(struct acd *acd, uint64_t delay_ns)
{
    struct stack *s = acd->netif->stack;
    stack_timer_arm(s, &acd->timer, stack_now(s) + delay_ns, acd_timer_fire, acd);
}

static void acd_timer_fire(struct stack *s, void *arg)
{
    struct acd *acd = arg;
    switch (acd->state) {
    case ACD_PROBE_WAIT:
    case ACD_PROBING:
        /* PROBE_WAIT over: the first probe goes now; then the others. */
        if (acd->state == ACD_PROBE_WAIT) {
            acd->state = ACD_PROBING;
            acd->sent = 0;
        }
        send_probe(acd);
        acd->sent++;
        if (acd->sent < PROBE_NUM) {
            arm(acd, random_between(s, PROBE_MIN_NS, PROBE_MAX_NS));
        } else {
            acd->state = ACD_ANNOUNCE_WAIT;
            arm(acd, ANNOUNCE_WAIT_NS);
        }
        return;
    case ACD_ANNOUNCE_WAIT: {
        /* RFC 5227 2.1.1: no conflict by ANNOUNCE_WAIT after the last probe:
         * the address may be used. The user normally sets it now, and the
         * netif's gratuitous ARP is then the first announcement (2.3). */
        acd->state = ACD_ANNOUNCING;
        acd->sent = 0;
        acd->defended = false;
        struct netif *netif = acd->netif;
        if (acd->cb != NULL) acd->cb(netif, ACD_IP_OK, acd->cb_arg);
        if (acd->state != ACD_ANNOUNCING) return; /* the callback stopped us */
        if (netif->ip4.addr == acd->ipaddr.addr && netif_is_up(netif))
            STATS_INC(s, STATS_ACD, xmit); /* the netif announced it */
        else
            send_announce(acd);
        acd->sent = 1;
        arm(acd, ANNOUNCE_INTERVAL_NS);
        return;
    }
    case ACD_ANNOUNCING:
        send_announce(acd);
        acd->sent++;
        if (acd->sent < ANNOUNCE_NUM)
            arm(acd, ANNOUNCE_INTERVAL_NS);
        else
            acd->state = ACD_ONGOING;
        return;
    case ACD_OFF:
    case ACD_ONGOING:
        return;
    }
}

err_t acd_add(struct netif *netif, struct acd *acd, acd_conflict_fn cb, void *arg)
{
    if (netif == NULL || acd == NULL) return ERR_ARG;
    if (netif->kind != NETIF_ETHERNET) return ERR_VAL;
    for (struct acd *a = netif->acd_list; a != NULL; a = a->next)
        if (a == acd) return ERR_ALREADY;
    memset(acd, 0, sizeof(*acd));
    acd->netif = netif;
    acd->cb = cb;
    acd->cb_arg = arg;
    acd->next = netif->acd_list;
    netif->acd_list = acd;
    return ERR_OK;
}

void acd_remove(struct netif *netif, struct acd *acd)
{
    if (netif == NULL || acd == NULL) return;
    for (struct acd **pp = &netif->acd_list; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == acd) {
            acd_stop(acd);
            *pp = acd->next;
            acd->next = NULL;
            acd->netif = NULL;
            return;
        }
    }
}

static bool is_listed(const struct netif *netif, const struct acd *acd)
{
    for (const struct acd *a = netif->acd_list; a != NULL; a = a->next)
        if (a == acd) return true;
    return false;
}

err_t acd_start(struct netif *netif, struct acd *acd, const ip4_addr_t *ipaddr)
{
    if (netif == NULL || acd == NULL || ipaddr == NULL || ipaddr->addr == 0) return ERR_ARG;
    if (!is_listed(netif, acd)) return ERR_VAL;
    struct stack *s = netif->stack;
    acd_stop(acd);
    acd->ipaddr = *ipaddr;
    acd->sent = 0;
    acd->state = ACD_PROBE_WAIT;
    /* RFC 5227 2.1.1: after MAX_CONFLICTS, at most one new address per
     * RATE_LIMIT_INTERVAL; otherwise a random PROBE_WAIT desynchronises hosts. */
    uint64_t wait = acd->conflicts >= MAX_CONFLICTS ? RATE_LIMIT_INTERVAL_NS : random_between(s, 0, PROBE_WAIT_NS);
    arm(acd, wait);
    return ERR_OK;
}

err_t acd_start_ongoing(struct netif *netif, struct acd *acd, const ip4_addr_t *ipaddr)
{
    if (netif == NULL || acd == NULL || ipaddr == NULL || ipaddr->addr == 0) return ERR_ARG;
    if (!is_listed(netif, acd)) return ERR_VAL;
    acd_stop(acd);
    acd->ipaddr = *ipaddr;
    acd->state = ACD_ONGOING;
    acd->defended = false;
    return ERR_OK;
}

void acd_stop(struct acd *acd)
{
    if (acd == NULL) return;
    if (acd->netif != NULL) stack_timer_cancel(acd->netif->stack, &acd->timer);
    acd->state = ACD_OFF;
}

/* RFC 5227 2.4 (b): defend once per DEFEND_INTERVAL, else give the address up. */
static void ongoing_conflict(struct acd *acd)
{
    struct netif *netif = acd->netif;
    struct stack *s = netif->stack;
    uint64_t now = stack_now(s);
    if (acd->defended && now - acd->last_defend_ns < DEFEND_INTERVAL_NS) {
        acd_stop(acd);
        if (acd->cb != NULL) acd->cb(netif, ACD_DECLINE, acd->cb_arg);
        return;
    }
    acd->defended = true;
    acd->last_defend_ns = now;
    send_announce(acd);
}

static void handle(struct acd *acd, const struct arp_repr *arp)
{
    struct netif *netif = acd->netif;
    struct stack *s = netif->stack;
    bool from_us = memcmp(arp->sha.addr, netif->hwaddr, ETH_HWADDR_LEN) == 0;
    if (from_us) return; /* our own probe or announcement looped back */
    STATS_INC(s, STATS_ACD, recv);
    bool sender_conflict = arp->spa.addr == acd->ipaddr.addr;
    switch (acd->state) {
    case ACD_PROBE_WAIT:
    case ACD_PROBING:
    case ACD_ANNOUNCE_WAIT:
        /* RFC 5227 2.1.1: any ARP packet whose sender address is the one
         * probed, or a probe (sender 0) from another host for it. */
        if (sender_conflict || (arp->op == ARP_OP_REQUEST && arp->spa.addr == 0 && arp->tpa.addr == acd->ipaddr.addr)) {
            STATS_INC(s, STATS_ACD, err);
            if (acd->conflicts < 0xffu) acd->conflicts++;
            acd_stop(acd);
            if (acd->cb != NULL) acd->cb(netif, ACD_RESTART, acd->cb_arg);
        }
        return;
    case ACD_ANNOUNCING:
    case ACD_ONGOING:
        /* RFC 5227 2.4: a packet claiming our address from another host. */
        if (sender_conflict) {
            STATS_INC(s, STATS_ACD, err);
            ongoing_conflict(acd);
        }
        return;
    case ACD_OFF:
        return;
    }
}

void acd_arp_input(struct netif *netif, const struct arp_repr *arp)
{
    struct acd *a = netif->acd_list;
    while (a != NULL) {
        /* The callback may remove this entry; take the next one first. */
        struct acd *next = a->next;
        handle(a, arp);
        a = next;
    }
}
