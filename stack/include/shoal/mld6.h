/* Multicast Listener Discovery v1 (RFC 2710): joining IPv6 groups. */
#ifndef SHOAL_MLD6_H
#define SHOAL_MLD6_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"

struct netif;

/* Join / leave a group on netif (counted: n joins need n leaves). Joining
 * sends a Report at once and again after a random delay (RFC 2710 4);
 * leaving sends Done when we were the last reporter. ff02::1 needs no join.
 * ERR_MEM when the membership table is full; ERR_VAL for a non-multicast. */
err_t mld6_join(struct netif *netif, const ip6_addr_t *group);
err_t mld6_leave(struct netif *netif, const ip6_addr_t *group);

#endif
