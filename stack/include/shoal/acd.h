/*
 * Address conflict detection (RFC 5227): probe an address before using it,
 * announce it, and defend it; DHCP (decline on conflict) and AutoIP use it.
 * Caller-owned state (struct acd), registered per netif.
 *
 * Timing (RFC 5227 1.1, same values in RFC 3927 9): wait PROBE_WAIT (random
 * 0-1 s), send 3 probes 1-2 s apart (random), wait ANNOUNCE_WAIT (2 s) after
 * the last; no conflict -> ACD_IP_OK (the user sets the address, which the
 * netif announces), then a second announcement 2 s later. After 10 conflicts
 * (MAX_CONFLICTS) each new probe sequence waits RATE_LIMIT_INTERVAL (60 s).
 * Ongoing: one defence per DEFEND_INTERVAL (10 s), a second conflict within
 * it -> ACD_DECLINE.
 *
 * Counters (acd.*): xmit = probes, announcements and defences sent; recv =
 * ARP packets examined while active; err = conflicts seen.
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
    bool defended;          /* last_defend_ns is valid */
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
/* The address is in use (the user set it): a conflict from now on is
 * defended or reported as ACD_DECLINE; no probing. */
err_t acd_start_ongoing(struct netif *netif, struct acd *acd, const ip4_addr_t *ipaddr);

/* From etharp_input: every valid ARP packet received on the netif. */
void acd_arp_input(struct netif *netif, const struct arp_repr *arp);

#endif
