/*
 * A small DHCP server (RFC 2131 4.3) for simulations: one per netif,
 * caller-owned state with a fixed lease table, an address pool, a lease
 * time, and router / DNS options. Handles DISCOVER (OFFER), REQUEST in
 * every client state (ACK / NAK), DECLINE (the address is marked bad),
 * RELEASE and INFORM. Replies are broadcast (RFC 2131 4.1 allows it), except
 * to a client with an address (ciaddr set: renewing, rebinding, INFORM),
 * which gets a unicast. Address choice is deterministic: the client's
 * current lease or offer, else its requested address if free, else the
 * lowest free address of the pool.
 *
 * The netif must have its own address (the server identifier, option 54).
 * Servers on several netifs of one instance share one UDP PCB on port 67.
 * Counters: dhcp.* (the server counts as the client does).
 */
#ifndef SHOAL_DHCP_SERVER_H
#define SHOAL_DHCP_SERVER_H

#include "shoal/def.h"
#include "shoal/err.h"
#include "shoal/ip4_addr.h"
#include "shoal/dhcp.h"

struct netif;
struct udp_pcb;

#define DHCP_SERVER_LEASES 32u
/* How long an OFFER holds its address for the client. */
#define DHCP_SERVER_OFFER_HOLD_S 60u

enum dhcp_lease_state {
    DHCP_LEASE_FREE = 0,
    DHCP_LEASE_OFFERED,
    DHCP_LEASE_BOUND,
    DHCP_LEASE_DECLINED     /* a client found it in use: never handed out again */
};

struct dhcp_server_lease {
    uint8_t mac[6];
    ip4_addr_t ip;
    enum dhcp_lease_state state;
    uint64_t expires_ns;    /* OFFERED / BOUND: when it lapses */
};

struct dhcp_server_config {
    ip4_addr_t pool_first;  /* inclusive range, on the netif's subnet */
    ip4_addr_t pool_last;
    uint32_t lease_s;       /* 0: 3600 */
    ip4_addr_t router;      /* 0: no option 3 */
    ip4_addr_t dns[DHCP_DNS_MAX];
    uint8_t dns_count;
};

struct dhcp_server {
    struct dhcp_server *next;   /* servers sharing the PCB */
    struct netif *netif;
    struct udp_pcb *pcb;
    struct dhcp_server_config cfg;
    struct dhcp_server_lease leases[DHCP_SERVER_LEASES];
    uint32_t offers, acks, naks, declines, releases, informs;
    bool running;
};

err_t dhcp_server_start(struct netif *netif, struct dhcp_server *srv, const struct dhcp_server_config *cfg);
void dhcp_server_stop(struct dhcp_server *srv);

/* Feed one message as if received on srv's netif (the fuzz harness uses it). */
void dhcp_server_input(struct dhcp_server *srv, const uint8_t *msg, size_t len);

const char *dhcp_lease_state_name(enum dhcp_lease_state st);

#endif
