/* IPv6 routing table. Placeholder until the implementation lands. */
#include "shoal/netif.h"
#include "core/stack_priv.h"

void ip6_routes_forget_netif(struct stack *s, const struct netif *netif)
{
    (void)s, (void)netif;
}
