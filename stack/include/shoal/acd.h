/*
 * Address conflict detection (RFC 5227): probe an address before using it,
 * announce it, and defend it; DHCP (decline on conflict) and AutoIP use it.
 * Caller-owned state (struct acd), registered per netif.
 */
#ifndef SHOAL_ACD_H
#define SHOAL_ACD_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/timer.h"

struct netif;
struct arp_repr;

enum acd_event {
    ACD_IP_OK,        /* probing found no conflict: the address may be used */
    ACD_RESTART,      /* conflict while probing: choose another address */
    ACD_DECLINE       /* conflict that could not be defended: stop using it */
};
typedef void (*acd_conflict_fn)(struct netif *netif, enum acd_event ev, void *arg);

enum acd_state { ACD_OFF = 0, ACD_PROBE_WAIT, ACD_PROBING, ACD_ANNOUNCE_WAIT, ACD_ANNOUNCING, ACD_ONGOING };

struct acd {
    struct acd *next;       /* the netif's list */
    struct netif *netif;
    ip4_addr_t ipaddr;
    enum acd_state state;
    uint8_t sent;           /* probes or announcements sent */
    uint8_t conflicts;      /* rate limiting after many conflicts (RFC 5227 2.1.1) */
    uint64_t last_defend_ns;
    struct stack_timer timer;
    acd_conflict_fn cb;
    void *cb_arg;
};

/* Register / unregister caller-owned state on a netif. */
err_t acd_add(struct netif *netif, struct acd *acd, acd_conflict_fn cb, void *arg);
void acd_remove(struct netif *netif, struct acd *acd);
/* Start probing ipaddr (RFC 5227 2.1); the callback reports the outcome. */
err_t acd_start(struct netif *netif, struct acd *acd, const ip4_addr_t *ipaddr);
void acd_stop(struct acd *acd);

/* From etharp_input: every valid ARP packet received on the netif. */
void acd_arp_input(struct netif *netif, const struct arp_repr *arp);

#endif
