/* IPv4 extras for binding.h: multicast group membership (IGMP) and UDP
 * socket options (multicast TTL and interface, UDP-Lite coverage). */
#include "binding_internal.h"

#include "shoal/igmp.h"
#include "shoal/netif.h"
#include "shoal/udp.h"

int shoal_iface_igmp(shoal_node *node, int ifindex, uint32_t group, int join)
{
    if (node == NULL || node->n->stack == NULL || ifindex < 1 || ifindex > 255) return SHOAL_EBADARG;
    struct netif *netif = netif_find_by_index(node->n->stack, (uint8_t)ifindex);
    if (netif == NULL) return SHOAL_ENOTFOUND;
    ip4_addr_t g = ip4_addr_from_u32(group);
    err_t e = join ? igmp_joingroup_netif(netif, &g) : igmp_leavegroup_netif(netif, &g);
    sim_node_kick(node->n);
    return e;
}

int shoal_udp_set_multicast(shoal_udp *sock, int ttl, int ifindex)
{
    if (sock == NULL || sock->pcb == NULL) return SHOAL_ECLOSED;
    if (ttl < 0 || ttl > 255 || ifindex < 0 || ifindex > 255) return SHOAL_EBADARG;
    sock->pcb->mcast_ttl = (uint8_t)ttl;
    sock->pcb->mcast_netif_idx = (uint8_t)ifindex;
    return 0;
}

int shoal_udp_set_lite(shoal_udp *sock, int on, int tx_coverage, int rx_min_coverage)
{
    if (sock == NULL || sock->pcb == NULL) return SHOAL_ECLOSED;
    if (tx_coverage < 0 || tx_coverage > 65535 || rx_min_coverage < 0 || rx_min_coverage > 65535) return SHOAL_EBADARG;
    if (on)
        sock->pcb->flags |= UDP_FLAGS_UDPLITE;
    else
        sock->pcb->flags &= (uint8_t)~UDP_FLAGS_UDPLITE;
    sock->pcb->chksum_len_tx = (uint16_t)tx_coverage;
    sock->pcb->chksum_len_rx = (uint16_t)rx_min_coverage;
    return 0;
}
