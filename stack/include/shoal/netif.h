/*
 * Network interfaces. A driver adds a netif with its kind, hardware address
 * and a link-output callback; received frames go to netif_input(). The kind
 * decides how IP packets are framed: Ethernet resolves next hops with ARP,
 * point-to-point kinds (PPP, later) hand IP packets straight to the driver.
 */
#ifndef SHOAL_NETIF_H
#define SHOAL_NETIF_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"

struct stack;
struct netif;
struct pbuf;
struct acd;
struct dhcp;
struct autoip;

#define NETIF_MAX_HWADDR_LEN 8u
#define NETIF_NAME_LEN 8u

enum netif_kind {
    NETIF_ETHERNET,       /* Ethernet II framing, ARP */
    NETIF_POINT_TO_POINT  /* IP packets straight to and from the driver */
};

#define NETIF_FLAG_UP 0x01u        /* administratively up */
#define NETIF_FLAG_LINK_UP 0x02u   /* the driver says the link works */
#define NETIF_FLAG_BROADCAST 0x04u /* the link can broadcast */

/* Frame (or, point-to-point, IP packet) out to the driver. The driver copies
 * what it needs; the pbuf stays the caller's. */
typedef err_t (*netif_linkoutput_fn)(struct netif *netif, struct pbuf *p);

struct netif_init {
    enum netif_kind kind;
    const char *name;        /* up to 7 characters, copied */
    const uint8_t *hwaddr;   /* Ethernet: 6 bytes */
    uint8_t hwaddr_len;
    uint16_t mtu;            /* IP MTU: 1500 for Ethernet */
    netif_linkoutput_fn linkoutput;
    void *state;             /* the driver's own pointer */
};

struct netif {
    struct netif *next;
    struct stack *stack;
    void *state;
    netif_linkoutput_fn linkoutput;
    enum netif_kind kind;
    char name[NETIF_NAME_LEN];
    uint8_t index;           /* 1-based, stable for the instance's life */
    uint8_t flags;
    uint16_t mtu;
    uint8_t hwaddr[NETIF_MAX_HWADDR_LEN];
    uint8_t hwaddr_len;
    ip4_addr_t ip4;
    ip4_addr_t netmask;
    ip4_addr_t gw;
    /* Clients that keep caller-owned state per netif (lwIP's client data). */
    struct acd *acd_list;     /* RFC 5227 conflict detection users */
    struct dhcp *dhcp;        /* DHCP client, when running */
    struct autoip *autoip;    /* AutoIP, when running */
};

/* Add an interface (down, no address); NULL when the netif pool is empty. */
struct netif *netif_add(struct stack *s, const struct netif_init *init);
void netif_remove(struct netif *netif);

void netif_set_up(struct netif *netif);
void netif_set_down(struct netif *netif);
void netif_set_link_up(struct netif *netif);
void netif_set_link_down(struct netif *netif);
static inline bool netif_is_up(const struct netif *n)
{
    return (n->flags & (NETIF_FLAG_UP | NETIF_FLAG_LINK_UP)) == (NETIF_FLAG_UP | NETIF_FLAG_LINK_UP);
}

/* Set (or with a zero address, clear) the IPv4 address. On an Ethernet netif
 * that is up, a gratuitous ARP announces the new address (RFC 5227 2.3). */
void netif_set_ip4(struct netif *netif, const ip4_addr_t *addr, const ip4_addr_t *netmask, const ip4_addr_t *gw);

/* A frame (or packet) from the driver; the stack takes the pbuf. */
err_t netif_input(struct netif *netif, struct pbuf *p);

struct netif *netif_find_by_index(struct stack *s, uint8_t index);
struct netif *netif_list(struct stack *s);

/* The directed broadcast address of the netif's subnet. */
static inline bool netif_is_ip4_broadcast(const struct netif *n, const ip4_addr_t *a)
{
    if (ip4_addr_is_limited_broadcast(a)) return true;
    if (n->ip4.addr == 0 || n->netmask.addr == 0xffffffffu) return false;
    return ip4_addr_net_eq(a, &n->ip4, &n->netmask) && (a->addr & ~n->netmask.addr) == ~n->netmask.addr;
}

#endif
