/* Neighbor Discovery (RFC 4861). Placeholder until the implementation lands. */
#include "shoal/netif.h"
#include "core/stack_priv.h"

void nd6_netif_up(struct netif *netif) { (void)netif; }
void nd6_netif_cleanup(struct netif *netif) { (void)netif; }
