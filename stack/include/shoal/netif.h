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
#include "shoal/ip6_addr.h"
#include "shoal/opt.h"

struct stack;
struct netif;
struct pbuf;
struct acd;
struct dhcp;
struct autoip;
struct dhcp6;

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

/* An IPv6 address of a netif (RFC 4862 2: tentative, preferred, deprecated). */
enum netif_ip6_state {
    NETIF_IP6_INVALID = 0,   /* free slot */
    NETIF_IP6_TENTATIVE,     /* DAD running: not used as a source, not ours for input */
    NETIF_IP6_PREFERRED,
    NETIF_IP6_DEPRECATED,    /* valid, but new connections avoid it (RFC 4862 5.5.4) */
    NETIF_IP6_DUPLICATED     /* DAD failed (RFC 4862 5.4.5): never used */
};
#define NETIF_IP6_FLAG_MANUAL 0x01u    /* configured by the user */
#define NETIF_IP6_FLAG_AUTOCONF 0x02u  /* formed by SLAAC from an RA prefix */
#define NETIF_IP6_FLAG_NODAD 0x04u     /* valid at once, no DAD */
#define NETIF_IP6_FLAG_TEMPORARY 0x08u /* random identifier (RFC 8981) */

struct netif_ip6_addr {
    ip6_addr_t addr;          /* zone = netif index for link-local */
    uint8_t state;            /* enum netif_ip6_state */
    uint8_t prefix_len;       /* on-link prefix (64 for SLAAC); 128 = none */
    uint8_t flags;            /* NETIF_IP6_FLAG_* */
    uint8_t dad_left;         /* DAD solicitations still to send */
    uint8_t dad_retries;      /* RFC 7217 DAD_Counter */
    uint64_t dad_next_ns;     /* next DAD step */
    uint64_t preferred_until_ns; /* SHOAL_TIME_NEVER: infinite */
    uint64_t valid_until_ns;
};

/* Per-netif IPv6 and ND variables (RFC 4861 6.3.2, 10; router side 6.2.1). */
struct nd6_ra_prefix_slot {
    ip6_addr_t prefix;
    uint8_t prefix_len;
    uint8_t flags;             /* 0x80 L, 0x40 A */
    bool used;
    uint32_t valid_lifetime_s;
    uint32_t preferred_lifetime_s;
};
struct netif_nd6 {
    bool enabled;              /* IPv6 on: link-local made, groups joined */
    bool autoconf;             /* accept RA prefixes for SLAAC */
    uint8_t iid_mode;          /* enum nd6_iid_mode */
    uint8_t cur_hop_limit;     /* from RAs; default 64 */
    uint16_t link_mtu;         /* IPv6 link MTU (RA MTU option), default = mtu */
    uint32_t base_reachable_ms;/* BaseReachableTime, default 30 s */
    uint32_t reachable_ms;     /* ReachableTime, randomised 0.5..1.5 base */
    uint32_t retrans_ms;       /* RetransTimer, default 1 s */
    uint8_t rs_left;           /* Router Solicitations still to send */
    uint64_t rs_next_ns;
    /* Router mode */
    bool advertising;
    bool ra_final_pending;
    uint8_t initial_ras_left;  /* MAX_INITIAL_RTR_ADVERTISEMENTS */
    uint64_t ra_next_ns;
    uint64_t ra_last_ns;       /* MIN_DELAY_BETWEEN_RAS */
    uint32_t ra_min_ms, ra_max_ms;
    uint16_t ra_router_lifetime_s;
    uint8_t ra_cur_hop_limit;
    uint8_t ra_flags;          /* 0x80 M, 0x40 O */
    uint32_t ra_reachable_ms, ra_retrans_ms, ra_mtu;
    ip6_addr_t ra_rdnss;
    struct nd6_ra_prefix_slot ra_prefixes[SHOAL_ND6_RA_PREFIXES];
    bool ra_groups_joined;     /* ff02::2 joined while advertising */
    uint8_t snm_joined;        /* bit per ip6[] slot: its solicited-node group is joined */
    uint64_t reachable_drawn_ns; /* when ReachableTime was last drawn (RFC 4861 6.3.4) */
    /* RFC 8106 recursive DNS servers from RAs, for the resolver; :: = free */
    ip6_addr_t rdnss[3];
    uint64_t rdnss_expires_ns[3];
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
    /* IPv6 */
    struct netif_ip6_addr ip6[SHOAL_NETIF_IP6_ADDRS]; /* slot 0: link-local */
    struct netif_nd6 nd6;
    struct dhcp6 *dhcp6;      /* stateless DHCPv6 client, when running */
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

/* Add an IPv6 address with its on-link prefix length (128: none). It is
 * tentative while DAD runs (RFC 4862 5.4), unless NETIF_IP6_FLAG_NODAD or the
 * instance's ip6_dad_transmits is 0. Turns IPv6 on for the netif (link-local
 * first) when it is not yet. ERR_MEM when every slot is taken, ERR_VAL for
 * multicast or unspecified addresses, ERR_USE when already present. */
err_t netif_add_ip6(struct netif *netif, const ip6_addr_t *addr, uint8_t prefix_len, uint8_t flags);
err_t netif_del_ip6(struct netif *netif, const ip6_addr_t *addr);
/* The slot holding addr on netif, or -1. */
int netif_find_ip6(const struct netif *netif, const ip6_addr_t *addr);
static inline bool netif_ip6_usable(const struct netif_ip6_addr *a)
{
    return a->state == NETIF_IP6_PREFERRED || a->state == NETIF_IP6_DEPRECATED;
}

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
