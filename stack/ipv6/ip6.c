/* IPv6 input and output (RFC 8200). Placeholder until the implementation lands. */
#include "shoal/pbuf.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"

void ip6_input(struct pbuf *p, struct netif *netif)
{
    STATS_DROP(netif->stack, STATS_IP6, proterr);
    pbuf_free(p);
}
