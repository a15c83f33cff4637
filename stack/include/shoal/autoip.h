/*
 * IPv4 link-local addresses (RFC 3927, "AutoIP"): pick an address in
 * 169.254.1.0-169.254.254.255, probe and announce it with ACD (RFC 5227
 * timing, RFC 3927 2.2-2.4), defend it, and pick another on a conflict.
 * Caller-owned struct autoip, one per netif.
 *
 * The first candidate comes from a hash of the netif's MAC and index (so a
 * host tends to get the same address each time, RFC 3927 2.1); later ones
 * from the instance's RNG. After 10 conflicts ACD slows new attempts to one
 * per minute (RFC 3927 2.2.1 MAX_CONFLICTS, RATE_LIMIT_INTERVAL).
 *
 * Fallback from DHCP (RFC 3927 1.9): set dhcp->cfg.autoip and
 * cfg.autoip_after_tries before dhcp_start(); the client starts AutoIP when
 * that many DISCOVERs went unanswered and stops it once it gets a lease.
 *
 * Counters (autoip.*): xmit = addresses chosen; recv = addresses taken into
 * use; err = conflicts that made us choose again.
 */
#ifndef SHOAL_AUTOIP_H
#define SHOAL_AUTOIP_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/acd.h"

struct netif;

enum autoip_state {
    AUTOIP_STATE_OFF = 0,
    AUTOIP_STATE_CHECKING,  /* probing a candidate */
    AUTOIP_STATE_BOUND      /* the address is set on the netif (and defended) */
};

struct autoip {
    struct netif *netif;
    enum autoip_state state;
    ip4_addr_t llipaddr;    /* the candidate, or the address in use */
    uint32_t tried;         /* candidates chosen since autoip_start */
    struct acd acd;
};

err_t autoip_start(struct netif *netif, struct autoip *autoip);
/* Stop; the link-local address is removed if AutoIP had set it. */
void autoip_stop(struct netif *netif);
const char *autoip_state_name(enum autoip_state st);

/* 169.254.0.0/16 (RFC 3927 2.1). */
static inline bool ip4_addr_is_link_local(const ip4_addr_t *a) { return (ip4_addr_to_u32(*a) >> 16) == 0xa9feu; }

#endif
