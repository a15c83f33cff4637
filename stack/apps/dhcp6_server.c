/*
 * A stateless DHCPv6 server for simulations (RFC 8415 6.1, 18.3). It
 * listens on All_DHCP_Relay_Agents_and_Servers (ff02::1:2) and answers:
 *  - Information-request: Reply with its Server Identifier (DUID-LL of the
 *    netif's MAC), the client's Client Identifier, DNS servers (RFC 3646),
 *    the domain list and, when set, the information refresh time;
 *  - Solicit: Advertise with status NoAddrsAvail (RFC 8415 18.3.9), since
 *    it has no addresses to lease;
 *  - anything else (Request, Renew, Rebind, Release, Decline, Confirm):
 *    nothing, and requests naming another server are ignored (RFC 8415 16).
 * Servers of one instance share the port-547 PCB and are told apart by the
 * netif a request came in on.
 */
#include <string.h>

#include "shoal/dhcp6_server.h"
#include "shoal/dhcp6.h"
#include "shoal/mld6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/dhcp6_priv.h"
#include "shoal/ip_addr.h"
#include "shoal/udp.h"

static err_t glue_open(struct dhcp6_server *srv);
static void glue_close(struct dhcp6_server *srv);
static struct udp_pcb *find_shared(struct stack *s);

size_t dhcp6_server_answer(struct dhcp6_server *srv, const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    struct stack *s = srv->netif->stack;
    struct dhcp6_msg m;
    switch (dhcp6_parse(msg, len, &m)) {
    case DHCP6_PARSE_OK: break;
    case DHCP6_PARSE_LEN: STATS_DROP(s, STATS_DHCP6, lenerr); return 0;
    case DHCP6_PARSE_FORMAT: STATS_DROP(s, STATS_DHCP6, proterr); return 0;
    case DHCP6_PARSE_OPTIONS: STATS_DROP(s, STATS_DHCP6, opterr); return 0;
    }
    uint8_t duid[DHCP6_DUID_MAX];
    size_t dl = dhcp6_duid_ll(srv->netif->hwaddr, srv->netif->hwaddr_len, duid, sizeof(duid));
    char domain[sizeof(srv->domain) + 1u];
    memcpy(domain, srv->domain, sizeof(srv->domain));
    domain[sizeof(srv->domain)] = '\0';
    struct dhcp6_answer_cfg cfg = {.server_duid = duid,
                                   .server_duid_len = dl,
                                   .dns = srv->dns,
                                   .dns_count = (uint8_t)SHOAL_MIN(srv->dns_count, DHCP6_SERVER_MAX_DNS),
                                   .domain = domain,
                                   .refresh_s = srv->refresh_s};
    size_t n = dhcp6_build_answer(&m, &cfg, out, cap);
    if (n == 0) {
        srv->ignored++;
        STATS_INC(s, STATS_DHCP6, drop);
        return 0;
    }
    STATS_INC(s, STATS_DHCP6, recv);
    if (out[0] == DHCP6_REPLY)
        srv->replies++;
    else
        srv->advertises++;
    return n;
}

err_t dhcp6_server_start(struct netif *netif, struct dhcp6_server *srv)
{
    if (netif == NULL || srv == NULL) return ERR_ARG;
    if (srv->running) return ERR_USE;
    srv->netif = netif;
    srv->next = NULL;
    srv->replies = srv->advertises = srv->ignored = 0;
    if (srv->dns_count > DHCP6_SERVER_MAX_DNS) srv->dns_count = DHCP6_SERVER_MAX_DNS;
    err_t err = glue_open(srv);
    if (err != ERR_OK) return err;
    /* RFC 8415 7.1: clients send to All_DHCP_Relay_Agents_and_Servers. */
    ip6_addr_t agents = ip6_addr_all_dhcp_agents();
    err = mld6_join(netif, &agents);
    if (err != ERR_OK) {
        glue_close(srv);
        return err;
    }
    srv->running = true;
    return ERR_OK;
}

void dhcp6_server_stop(struct dhcp6_server *srv)
{
    if (srv == NULL || !srv->running) return;
    ip6_addr_t agents = ip6_addr_all_dhcp_agents();
    (void)mld6_leave(srv->netif, &agents);
    glue_close(srv);
    srv->running = false;
}

void dhcp6_server_netif_removed(struct netif *netif)
{
    /* Servers keep a pointer to their netif: stop those on this one before
     * it goes back to its pool. */
    struct udp_pcb *pcb = find_shared(netif->stack);
    struct dhcp6_server *srv = pcb != NULL ? pcb->recv_arg : NULL;
    while (srv != NULL) {
        struct dhcp6_server *next = srv->next;
        if (srv->netif == netif) dhcp6_server_stop(srv);
        srv = next;
    }
}

/* ---- the UDP transport ---- */


/* RFC 8415 18.3: the answer goes back to the request's source address and port. */
static void glue_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    struct dhcp6_server *srv = arg;
    while (srv != NULL && srv->netif->index != p->if_idx) srv = srv->next;
    uint8_t buf[DHCP6_MAX_MSG_LEN];
    size_t len = p->tot_len;
    if (srv == NULL || len > sizeof(buf) || !ip_addr_is_v6(addr)) {
        STATS_INC(pcb->stack, STATS_DHCP6, drop);
        pbuf_free(p);
        return;
    }
    pbuf_copy_partial(p, buf, len, 0);
    pbuf_free(p);
    uint8_t out[DHCP6_MAX_MSG_LEN];
    size_t n = dhcp6_server_answer(srv, buf, len, out, sizeof(out));
    if (n == 0) return;
    struct pbuf *q = pbuf_alloc(pcb->stack, PBUF_TRANSPORT, n);
    if (q == NULL) {
        STATS_INC(pcb->stack, STATS_DHCP6, memerr);
        return;
    }
    pbuf_take(q, out, n);
    if (udp_sendto_if(pcb, q, addr, port, srv->netif) == ERR_OK)
        STATS_INC(pcb->stack, STATS_DHCP6, xmit);
    else
        STATS_INC(pcb->stack, STATS_DHCP6, err);
    pbuf_free(q);
}

static struct udp_pcb *find_shared(struct stack *s)
{
    for (struct udp_pcb *pcb = s->udp_pcbs; pcb != NULL; pcb = pcb->next)
        if (pcb->local_port == DHCP6_SERVER_PORT && pcb->recv == glue_recv) return pcb;
    return NULL;
}

static err_t glue_open(struct dhcp6_server *srv)
{
    struct stack *s = srv->netif->stack;
    struct udp_pcb *pcb = find_shared(s);
    for (struct dhcp6_server *o = pcb ? pcb->recv_arg : NULL; o != NULL; o = o->next)
        if (o->netif == srv->netif || o == srv) return ERR_USE;
    if (pcb == NULL) {
        pcb = udp_new_ip_type(s, IPADDR_TYPE_V6);
        if (pcb == NULL) return ERR_MEM;
        ip_addr_t any6 = ip_addr_any(IPADDR_TYPE_V6);
        err_t err = udp_bind(pcb, &any6, DHCP6_SERVER_PORT);
        if (err != ERR_OK) {
            udp_remove(pcb);
            return err;
        }
        udp_recv(pcb, glue_recv, NULL);
    }
    srv->next = pcb->recv_arg;
    pcb->recv_arg = srv;
    srv->pcb = pcb;
    return ERR_OK;
}

static void glue_close(struct dhcp6_server *srv)
{
    struct udp_pcb *pcb = srv->pcb;
    if (pcb == NULL) return;
    struct dhcp6_server *head = pcb->recv_arg;
    if (head == srv) {
        pcb->recv_arg = srv->next;
    } else {
        for (struct dhcp6_server *o = head; o != NULL; o = o->next) {
            if (o->next == srv) {
                o->next = srv->next;
                break;
            }
        }
    }
    if (pcb->recv_arg == NULL) udp_remove(pcb);
    srv->pcb = NULL;
    srv->next = NULL;
}

