/* MLDv1 (RFC 2710). Placeholder until the implementation lands. */
#include "shoal/netif.h"
#include "core/stack_priv.h"

void mld6_netif_cleanup(struct netif *netif) { (void)netif; }
