/* Ethernet II framing (IEEE 802.3 with EtherType). */
#ifndef SHOAL_ETHERNET_H
#define SHOAL_ETHERNET_H

#include "shoal/def.h"
#include "shoal/err.h"

struct netif;
struct pbuf;

#define ETH_HWADDR_LEN 6u
#define ETH_HDR_LEN 14u
#define ETH_MIN_FRAME_LEN 60u /* without FCS; shorter frames are padded with zeros */

#define ETHTYPE_IP4 0x0800u
#define ETHTYPE_ARP 0x0806u
#define ETHTYPE_VLAN 0x8100u
#define ETHTYPE_IP6 0x86ddu

struct eth_addr {
    uint8_t addr[ETH_HWADDR_LEN];
};

/* Validated view of an Ethernet header. */
struct eth_repr {
    struct eth_addr dst;
    struct eth_addr src;
    uint16_t ethertype;
};

/* Parse the first 14 bytes; ERR_BUF when shorter. */
err_t eth_parse(const uint8_t *p, size_t len, struct eth_repr *out);
void eth_emit(const struct eth_repr *r, uint8_t *p);

static inline bool eth_addr_is_broadcast(const struct eth_addr *a)
{
    return (a->addr[0] & a->addr[1] & a->addr[2] & a->addr[3] & a->addr[4] & a->addr[5]) == 0xff;
}
static inline bool eth_addr_is_multicast(const struct eth_addr *a) { return (a->addr[0] & 1u) != 0; }

/* A received frame: demultiplexes by EtherType. Takes p. */
err_t ethernet_input(struct pbuf *p, struct netif *netif);

/* Prepend a header and send, padding to the minimum frame length. p stays
 * the caller's. */
err_t ethernet_output(struct netif *netif, struct pbuf *p, const struct eth_addr *src,
                      const struct eth_addr *dst, uint16_t ethertype);

#endif
