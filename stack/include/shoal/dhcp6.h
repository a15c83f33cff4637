/*
 * Stateless DHCPv6 client (RFC 8415 6.1, 18.2.6): Information-request for
 * DNS servers (RFC 3646) and the domain search list. State is caller-owned,
 * one per netif, like struct dhcp.
 */
#ifndef SHOAL_DHCP6_H
#define SHOAL_DHCP6_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"
#include "shoal/timer.h"

struct netif;
struct udp_pcb;

#define DHCP6_CLIENT_PORT 546u
#define DHCP6_SERVER_PORT 547u
#define DHCP6_MAX_DNS 3u
#define DHCP6_DOMAIN_MAX 64u

enum dhcp6_state { DHCP6_OFF = 0, DHCP6_REQUESTING, DHCP6_DONE };

struct dhcp6 {
    struct netif *netif;
    struct udp_pcb *pcb;
    struct stack_timer timer;
    uint8_t state;              /* enum dhcp6_state */
    uint32_t xid;               /* 24 bits */
    uint32_t rt_ms;             /* current retransmission timeout (RFC 8415 15) */
    uint64_t started_ns;        /* for the Elapsed Time option */
    uint32_t tries;
    ip6_addr_t dns[DHCP6_MAX_DNS];
    uint8_t dns_count;
    char domain[DHCP6_DOMAIN_MAX]; /* first search domain, dotted, NUL-terminated */
    uint32_t refresh_s;         /* RFC 8415 21.23 information refresh time (default 86400) */
};

/* Send Information-requests on netif until a Reply arrives; the DNS servers
 * it carries go to the instance's resolver when one is attached. */
err_t dhcp6_inform(struct netif *netif, struct dhcp6 *d);
void dhcp6_stop(struct netif *netif);

#endif
