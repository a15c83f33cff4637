/* RFC 5227 address conflict detection: placeholder until the DHCP/AutoIP
 * work lands; ARP input is already routed here. */
#include "shoal/acd.h"
#include "shoal/netif.h"
#include "shoal/etharp.h"

err_t acd_add(struct netif *netif, struct acd *acd, acd_conflict_fn cb, void *arg)
{
    (void)netif;
    (void)acd;
    (void)cb;
    (void)arg;
    return ERR_VAL;
}

void acd_remove(struct netif *netif, struct acd *acd)
{
    (void)netif;
    (void)acd;
}

err_t acd_start(struct netif *netif, struct acd *acd, const ip4_addr_t *ipaddr)
{
    (void)netif;
    (void)acd;
    (void)ipaddr;
    return ERR_VAL;
}

void acd_stop(struct acd *acd) { (void)acd; }

void acd_arp_input(struct netif *netif, const struct arp_repr *arp)
{
    (void)netif;
    (void)arp;
}
