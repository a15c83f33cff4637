/* A small stateless DHCPv6 server for simulations (RFC 8415 18.3.6): answers
 * Information-request (and Solicit, with NoAddrsAvail) with DNS servers and a
 * search domain. State is caller-owned: fill dns, dns_count, domain and
 * refresh_s, then start. */
#ifndef SHOAL_DHCP6_SERVER_H
#define SHOAL_DHCP6_SERVER_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip6_addr.h"

struct netif;
struct udp_pcb;

#define DHCP6_SERVER_MAX_DNS 3u

struct dhcp6_server {
    struct netif *netif;
    struct udp_pcb *pcb;
    ip6_addr_t dns[DHCP6_SERVER_MAX_DNS];
    uint8_t dns_count;
    char domain[64];
    uint32_t replies;           /* Replies sent */
    /* Additions (engineer C): */
    uint32_t refresh_s;         /* Information Refresh Time to hand out; 0: none (client default 86400 s) */
    uint32_t advertises;        /* Advertises (NoAddrsAvail) sent to Solicits */
    uint32_t ignored;           /* requests not answered (RFC 8415 16: wrong server, IA options, ...) */
    struct dhcp6_server *next;  /* servers of one instance sharing the port-547 PCB */
    bool running;
};

/* Listen on netif (joins ff02::1:2). The configuration fields stay as the
 * caller set them. ERR_USE when a server already runs on netif. */
err_t dhcp6_server_start(struct netif *netif, struct dhcp6_server *srv);
void dhcp6_server_stop(struct dhcp6_server *srv);

/* The answer to one request that arrived for srv (the UDP payload): a Reply
 * or an Advertise in out, its length returned; 0 when nothing is to be sent.
 * Counts into the server and the instance's dhcp6 stats. */
size_t dhcp6_server_answer(struct dhcp6_server *srv, const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

#endif
