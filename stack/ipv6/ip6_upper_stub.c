/* Placeholder transports for IPv6 until udp.c, tcp_in.c and raw.c take
 * ip6 input (the dual-stack work deletes this file). */
#include "shoal/pbuf.h"
#include "shoal/netif.h"
#include "core/stack_priv.h"
#include "ipv6/ip6_upper.h"

void udp_input_ip6(struct pbuf *p, const struct ip6_rx_info *info)
{
    STATS_DROP(info->netif->stack, STATS_UDP, proterr);
    pbuf_free(p);
}
void tcp_input_ip6(struct pbuf *p, const struct ip6_rx_info *info)
{
    STATS_DROP(info->netif->stack, STATS_TCP, proterr);
    pbuf_free(p);
}
bool raw_input_ip6(struct pbuf *p, const struct ip6_rx_info *info)
{
    (void)p, (void)info;
    return false;
}
