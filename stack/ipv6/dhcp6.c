/*
 * Stateless DHCPv6 client (RFC 8415 6.1, 18.2.6, 18.2.10; RFC 3646): an
 * Information-request to All_DHCP_Relay_Agents_and_Servers, retransmitted
 * as RFC 8415 15 says until a Reply comes, then again after the
 * information refresh time (RFC 8415 21.23). The messages themselves are
 * built and checked by dhcp6_msg.c; the UDP transport is the three small
 * glue functions at the end.
 *
 * Clients on several netifs share one port-546 PCB (a port binds once per
 * instance); replies are matched to the netif they arrived on, then by
 * transaction-id and Client Identifier.
 */
#include <string.h>

#include "shoal/dhcp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "ipv6/dhcp6_priv.h"
#include "shoal/ip_addr.h"
#include "shoal/udp.h"
#include "shoal/dns.h"

/* RFC 8415 7.6: transmission and retransmission parameters. */
#define INF_MAX_DELAY_MS 1000u
#define INF_TIMEOUT_MS 1000u
#define INF_MAX_RT_S 3600u
/* RFC 8415 21.23: information refresh time default and floor. */
#define IRT_DEFAULT_S 86400u
#define IRT_MINIMUM_S 600u
/* RFC 8415 21.25: an INF_MAX_RT outside 60..86400 is ignored. */
#define INF_MAX_RT_MIN_S 60u
#define INF_MAX_RT_MAX_S 86400u
/* How often to look for a usable link-local source before sending. */
#define LL_WAIT_MS 100u
#define NO_IPV6_WAIT_MS 1000u

static err_t glue_open(struct dhcp6 *d);
static void glue_close(struct dhcp6 *d);
static err_t glue_send(struct dhcp6 *d, const uint8_t *msg, size_t len);
static void timer_fire(struct stack *s, void *arg);

static struct stack *stack_of(const struct dhcp6 *d) { return d->netif->stack; }

static uint32_t random_below(struct stack *s, uint32_t span)
{
    return (uint32_t)(((uint64_t)stack_random32(s) * span) >> 32);
}

/* RFC 8415 15: base + RAND * base with RAND uniform in [-0.1, 0.1]. */
static uint32_t jitter(struct stack *s, uint32_t base_ms)
{
    return base_ms - base_ms / 10u + random_below(s, base_ms / 5u + 1u);
}

/* RFC 8415 15: the first RT from IRT, each next one doubled, capped at MRT. */
static uint32_t next_rt_ms(struct dhcp6 *d)
{
    struct stack *s = stack_of(d);
    uint32_t mrt_ms = d->inf_max_rt_s * 1000u;
    uint32_t rt = d->rt_ms == 0 ? jitter(s, INF_TIMEOUT_MS)
                                : 2u * d->rt_ms - d->rt_ms / 10u + random_below(s, d->rt_ms / 5u + 1u);
    if (d->rt_ms >= mrt_ms || rt > mrt_ms) rt = jitter(s, mrt_ms);
    d->rt_ms = rt;
    return rt;
}

static void arm_ms(struct dhcp6 *d, uint64_t delay_ms)
{
    struct stack *s = stack_of(d);
    stack_timer_arm(s, &d->timer, stack_now(s) + delay_ms * SHOAL_NS_PER_MS, timer_fire, d);
}

static size_t our_duid(const struct dhcp6 *d, uint8_t *duid, size_t cap)
{
    return dhcp6_duid_ll(d->netif->hwaddr, d->netif->hwaddr_len, duid, cap);
}

/* RFC 8415 16.1 / 18.2.6: a new transaction: fresh 24-bit id, timers reset. */
static void new_transaction(struct dhcp6 *d)
{
    d->xid = stack_random32(stack_of(d)) & 0xffffffu;
    d->tries = 0;
    d->rt_ms = 0;
}

static bool has_usable_linklocal(const struct netif *netif, bool *tentative)
{
    *tentative = false;
    for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++) {
        const struct netif_ip6_addr *a = &netif->ip6[i];
        if (!ip6_addr_is_linklocal(&a->addr)) continue;
        if (netif_ip6_usable(a)) return true;
        if (a->state == NETIF_IP6_TENTATIVE) *tentative = true;
    }
    return false;
}

static void send_inform(struct dhcp6 *d)
{
    struct stack *s = stack_of(d);
    uint64_t now = stack_now(s);
    /* RFC 8415 21.9: hundredths of a second since the first message of the
     * transaction (0 in that one), 0xffff once it no longer fits. */
    if (d->tries == 0) d->started_ns = now;
    uint64_t cs = (now - d->started_ns) / (10u * SHOAL_NS_PER_MS);
    uint8_t duid[DHCP6_DUID_MAX], buf[64];
    size_t dl = our_duid(d, duid, sizeof(duid));
    size_t len = dhcp6_build_inform(d->xid, duid, dl, (uint16_t)(cs > 0xffffu ? 0xffffu : cs), buf, sizeof(buf));
    d->tries++;
    if (len == 0 || glue_send(d, buf, len) != ERR_OK)
        STATS_INC(s, STATS_DHCP6, err);
    else
        STATS_INC(s, STATS_DHCP6, xmit);
}

static void timer_fire(struct stack *s, void *arg)
{
    struct dhcp6 *d = arg;
    if (d->state == DHCP6_DONE) {
        /* RFC 8415 21.23: the refresh time ran out: a new exchange, its
         * first message spread by INF_MAX_DELAY like the very first one
         * (RFC 8415 18.2.6), so that hosts told the same time do not ask
         * together. */
        d->state = DHCP6_REQUESTING;
        new_transaction(d);
        arm_ms(d, random_below(s, INF_MAX_DELAY_MS + 1u));
        return;
    }
    if (d->state != DHCP6_REQUESTING) return;
    bool tentative = false;
    if (!netif_is_up(d->netif) || !has_usable_linklocal(d->netif, &tentative)) {
        /* The Information-request leaves from our link-local (RFC 8415
         * 18.2.6 / 13.1): wait for DAD to finish, or for IPv6 at all. */
        arm_ms(d, tentative ? LL_WAIT_MS : NO_IPV6_WAIT_MS);
        return;
    }
    send_inform(d);
    /* RFC 8415 7.6: MRC and MRD 0 for Information-request: retry forever. */
    arm_ms(d, next_rt_ms(d));
}

err_t dhcp6_inform(struct netif *netif, struct dhcp6 *d)
{
    if (netif == NULL || d == NULL) return ERR_ARG;
    if (netif->dhcp6 != NULL) dhcp6_stop(netif);
    memset(d, 0, sizeof(*d));
    d->netif = netif;
    d->inf_max_rt_s = INF_MAX_RT_S;
    d->refresh_s = IRT_DEFAULT_S;
    err_t err = glue_open(d);
    if (err != ERR_OK) return err;
    netif->dhcp6 = d;
    d->state = DHCP6_REQUESTING;
    new_transaction(d);
    /* RFC 8415 18.2.6: the first Information-request waits a random time
     * in [0, INF_MAX_DELAY] to spread out hosts that start together. */
    arm_ms(d, random_below(stack_of(d), INF_MAX_DELAY_MS + 1u));
    return ERR_OK;
}

void dhcp6_stop(struct netif *netif)
{
    if (netif == NULL || netif->dhcp6 == NULL) return;
    struct dhcp6 *d = netif->dhcp6;
    stack_timer_cancel(netif->stack, &d->timer);
    glue_close(d);
    d->state = DHCP6_OFF;
    netif->dhcp6 = NULL;
}

/* RFC 8415 18.2.10, 21.23, 21.25; RFC 3646: take a matching Reply. */
static void take_reply(struct dhcp6 *d, const struct dhcp6_msg *m)
{
    d->dns_count = 0;
    for (uint8_t i = 0; i < m->dns_count && i < DHCP6_MAX_DNS; i++) d->dns[d->dns_count++] = m->dns[i];
    /* RFC 3646 / RFC 8415 21.10: the servers go to the instance's resolver,
     * from its first slot on (a scoped server is reached through this netif). */
    if (dns_get(d->netif->stack) != NULL) {
        for (uint8_t i = 0; i < d->dns_count && i < DNS_MAX_SERVERS; i++) {
            ip6_addr_t a6 = d->dns[i];
            if (ip6_addr_has_scope(&a6)) a6.zone = d->netif->index;
            ip_addr_t a = ip_addr_from_ip6(&a6);
            dns_set_server_ip(d->netif->stack, i, &a);
        }
    }
    memcpy(d->domain, m->domain, sizeof(d->domain));
    d->domain[sizeof(d->domain) - 1u] = '\0';
    d->refresh_s = IRT_DEFAULT_S;
    if (m->have & DHCP6_HAVE_REFRESH) d->refresh_s = m->refresh_s < IRT_MINIMUM_S ? IRT_MINIMUM_S : m->refresh_s;
    if ((m->have & DHCP6_HAVE_INF_MAX_RT) && m->inf_max_rt_s >= INF_MAX_RT_MIN_S && m->inf_max_rt_s <= INF_MAX_RT_MAX_S)
        d->inf_max_rt_s = m->inf_max_rt_s;
    d->replies++;
}

void dhcp6_client_input(struct netif *netif, const uint8_t *msg, size_t len)
{
    struct stack *s = netif->stack;
    struct dhcp6_msg m;
    switch (dhcp6_parse(msg, len, &m)) {
    case DHCP6_PARSE_OK: break;
    case DHCP6_PARSE_LEN: STATS_DROP(s, STATS_DHCP6, lenerr); return;
    case DHCP6_PARSE_FORMAT: STATS_DROP(s, STATS_DHCP6, proterr); return;
    case DHCP6_PARSE_OPTIONS: STATS_DROP(s, STATS_DHCP6, opterr); return;
    }
    struct dhcp6 *d = netif->dhcp6;
    uint8_t duid[DHCP6_DUID_MAX];
    size_t dl = d != NULL ? our_duid(d, duid, sizeof(duid)) : 0;
    if (d == NULL || d->state != DHCP6_REQUESTING || !dhcp6_reply_matches(&m, d->xid, duid, dl)) {
        STATS_DROP(s, STATS_DHCP6, proterr); /* RFC 8415 16.10: not an answer to us */
        return;
    }
    /* RFC 8415 18.2.10: a server that failed (UnspecFail, ...) told us
     * nothing: keep retransmitting. */
    if ((m.have & DHCP6_HAVE_STATUS) && m.status != DHCP6_STATUS_SUCCESS) {
        STATS_DROP(s, STATS_DHCP6, err);
        return;
    }
    STATS_INC(s, STATS_DHCP6, recv);
    take_reply(d, &m);
    d->state = DHCP6_DONE;
    stack_timer_cancel(s, &d->timer);
    if (d->refresh_s != DHCP6_INFINITY) arm_ms(d, (uint64_t)d->refresh_s * 1000u);
}

/* ---- the UDP transport ---- */


static void glue_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, uint16_t port)
{
    (void)arg;
    (void)addr;
    (void)port;
    struct netif *netif = netif_find_by_index(pcb->stack, p->if_idx);
    uint8_t buf[DHCP6_MAX_MSG_LEN];
    size_t len = p->tot_len;
    if (netif == NULL || len > sizeof(buf)) {
        STATS_DROP(pcb->stack, STATS_DHCP6, lenerr);
        pbuf_free(p);
        return;
    }
    pbuf_copy_partial(p, buf, len, 0);
    pbuf_free(p);
    dhcp6_client_input(netif, buf, len);
}

static struct udp_pcb *shared_pcb(struct stack *s, const struct dhcp6 *except)
{
    for (struct netif *n = netif_list(s); n != NULL; n = n->next)
        if (n->dhcp6 != NULL && n->dhcp6 != except && n->dhcp6->pcb != NULL) return n->dhcp6->pcb;
    return NULL;
}

static err_t glue_open(struct dhcp6 *d)
{
    struct stack *s = stack_of(d);
    struct udp_pcb *pcb = shared_pcb(s, d);
    if (pcb == NULL) {
        pcb = udp_new_ip_type(s, IPADDR_TYPE_V6);
        if (pcb == NULL) return ERR_MEM;
        ip_addr_t any6 = ip_addr_any(IPADDR_TYPE_V6);
        err_t err = udp_bind(pcb, &any6, DHCP6_CLIENT_PORT);
        if (err != ERR_OK) {
            udp_remove(pcb);
            return err;
        }
        udp_recv(pcb, glue_recv, NULL);
    }
    d->pcb = pcb;
    return ERR_OK;
}

static void glue_close(struct dhcp6 *d)
{
    struct udp_pcb *pcb = d->pcb;
    d->pcb = NULL;
    if (pcb != NULL && shared_pcb(stack_of(d), d) == NULL) udp_remove(pcb);
}

/* RFC 8415 7.1, 18.2.6: to ff02::1:2 port 547 out of the client's netif;
 * the source is the link-local (source selection for a link-scope group). */
static err_t glue_send(struct dhcp6 *d, const uint8_t *msg, size_t len)
{
    struct stack *s = stack_of(d);
    if (d->pcb == NULL) return ERR_CONN;
    struct pbuf *p = pbuf_alloc(s, PBUF_TRANSPORT, len);
    if (p == NULL) return ERR_MEM;
    pbuf_take(p, msg, len);
    ip6_addr_t agents = ip6_addr_all_dhcp_agents();
    agents.zone = d->netif->index;
    ip_addr_t dst = ip_addr_from_ip6(&agents);
    err_t err = udp_sendto_if(d->pcb, p, &dst, DHCP6_SERVER_PORT, d->netif);
    pbuf_free(p);
    return err;
}

