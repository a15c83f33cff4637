/*
 * ARP for IPv4 over Ethernet (RFC 826, RFC 1122 2.3.2).
 *
 * The cache is a fixed table in the instance. One timer serves it, armed for
 * the earliest entry deadline: a retry of a pending request, or the expiry of
 * a resolved entry. Packets to an unresolved next hop wait as copies in a
 * bounded queue (POOL_ARP_QUEUE) and are sent when the reply comes, or
 * dropped when the last retry goes unanswered.
 */
#include <string.h>

#include "shoal/etharp.h"
#include "shoal/acd.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/opt.h"
#include "core/stack_priv.h"
#include "ipv4/etharp_priv.h"
#include "ipv4/features.h"

static const struct eth_addr eth_broadcast = {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const struct eth_addr eth_zero = {{0, 0, 0, 0, 0, 0}};

err_t arp_parse(const uint8_t *p, size_t len, struct arp_repr *out)
{
    if (p == NULL || len < ARP_HDR_LEN) return ERR_BUF;
    /* Only Ethernet (1) hardware and IPv4 (0x0800) protocol addresses. */
    if (rd16be(p) != 1 || rd16be(p + 2) != ETHTYPE_IP4 || p[4] != ETH_HWADDR_LEN || p[5] != 4) return ERR_VAL;
    out->op = rd16be(p + 6);
    if (out->op != ARP_OP_REQUEST && out->op != ARP_OP_REPLY) return ERR_VAL;
    memcpy(out->sha.addr, p + 8, ETH_HWADDR_LEN);
    memcpy(&out->spa.addr, p + 14, 4);
    memcpy(out->tha.addr, p + 18, ETH_HWADDR_LEN);
    memcpy(&out->tpa.addr, p + 24, 4);
    return ERR_OK;
}

void arp_emit(const struct arp_repr *r, uint8_t *p)
{
    wr16be(p, 1);
    wr16be(p + 2, ETHTYPE_IP4);
    p[4] = ETH_HWADDR_LEN;
    p[5] = 4;
    wr16be(p + 6, r->op);
    memcpy(p + 8, r->sha.addr, ETH_HWADDR_LEN);
    memcpy(p + 14, &r->spa.addr, 4);
    memcpy(p + 18, r->tha.addr, ETH_HWADDR_LEN);
    memcpy(p + 24, &r->tpa.addr, 4);
}

static const struct eth_addr *netif_mac(const struct netif *n) { return (const struct eth_addr *)(const void *)n->hwaddr; }

static err_t send_arp(struct netif *netif, uint16_t op, const struct eth_addr *eth_dst, const struct eth_addr *tha,
                      const ip4_addr_t *spa, const ip4_addr_t *tpa)
{
    struct stack *s = netif->stack;
    struct pbuf *p = pbuf_alloc(s, PBUF_LINK, ARP_HDR_LEN);
    if (p == NULL) {
        STATS_INC(s, STATS_ETHARP, memerr);
        return ERR_MEM;
    }
    struct arp_repr r = {.op = op, .sha = *netif_mac(netif), .spa = *spa, .tha = *tha, .tpa = *tpa};
    uint8_t buf[ARP_HDR_LEN];
    arp_emit(&r, buf);
    pbuf_take(p, buf, sizeof(buf));
    err_t err = ethernet_output(netif, p, netif_mac(netif), eth_dst, ETHTYPE_ARP);
    if (err == ERR_OK) STATS_INC(s, STATS_ETHARP, xmit);
    pbuf_free(p);
    return err;
}

err_t etharp_request(struct netif *netif, const ip4_addr_t *ip)
{
    return send_arp(netif, ARP_OP_REQUEST, &eth_broadcast, &eth_zero, &netif->ip4, ip);
}

/* ---- the cache ---- */

static struct arp_entry *find_entry(struct stack *s, uint8_t netif_idx, const ip4_addr_t *ip)
{
    for (uint32_t i = 0; i < s->cfg.arp_table_size; i++) {
        struct arp_entry *e = &s->arp_table[i];
        if (e->state != ARP_EMPTY && e->netif_idx == netif_idx && e->ip.addr == ip->addr) return e;
    }
    return NULL;
}

static void drop_queue(struct stack *s, struct arp_entry *e)
{
    while (e->queue != NULL) {
        struct arp_qnode *q = e->queue;
        e->queue = q->next;
        pbuf_free(q->p);
        pool_free(&s->pools[POOL_ARP_QUEUE], q);
        STATS_INC(s, STATS_ETHARP, drop);
    }
}

static void clear_entry(struct stack *s, struct arp_entry *e)
{
    drop_queue(s, e);
    memset(e, 0, sizeof(*e));
}

/* A free slot: an empty one, else the stable entry closest to expiry, else
 * the pending entry with the fewest packets waiting (lwIP's policy too). */
static struct arp_entry *new_entry(struct stack *s)
{
    struct arp_entry *victim = NULL;
    for (uint32_t i = 0; i < s->cfg.arp_table_size; i++) {
        struct arp_entry *e = &s->arp_table[i];
        if (e->state == ARP_EMPTY) return e;
        if (e->state == ARP_STABLE && !e->is_static && (victim == NULL || e->deadline_ns < victim->deadline_ns))
            victim = e;
    }
    if (victim == NULL) {
        for (uint32_t i = 0; i < s->cfg.arp_table_size; i++) {
            struct arp_entry *e = &s->arp_table[i];
            if (e->state == ARP_PENDING && e->queue == NULL) {
                victim = e;
                break;
            }
        }
    }
    if (victim != NULL) clear_entry(s, victim);
    return victim;
}

static void arp_timer_fire(struct stack *s, void *arg);

static void rearm_timer(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (uint32_t i = 0; i < s->cfg.arp_table_size; i++) {
        const struct arp_entry *e = &s->arp_table[i];
        if (e->state != ARP_EMPTY && !e->is_static && e->deadline_ns < next) next = e->deadline_ns;
    }
    if (next == SHOAL_TIME_NEVER)
        stack_timer_cancel(s, &s->arp_timer);
    else if (!s->arp_timer.armed || s->arp_timer.deadline_ns != next)
        stack_timer_arm(s, &s->arp_timer, next, arp_timer_fire, NULL);
}

static uint64_t lifetime_ns(const struct stack *s) { return (uint64_t)s->cfg.arp_entry_lifetime_ms * SHOAL_NS_PER_MS; }
static uint64_t interval_ns(const struct stack *s) { return (uint64_t)s->cfg.arp_request_interval_ms * SHOAL_NS_PER_MS; }

static void send_queued(struct stack *s, struct netif *netif, struct arp_entry *e)
{
    while (e->queue != NULL) {
        struct arp_qnode *q = e->queue;
        e->queue = q->next;
        ethernet_output(netif, q->p, netif_mac(netif), &e->mac, ETHTYPE_IP4);
        pbuf_free(q->p);
        pool_free(&s->pools[POOL_ARP_QUEUE], q);
    }
}

/* Record ip -> mac as resolved and release what waited for it. */
static void update_entry(struct stack *s, struct netif *netif, struct arp_entry *e, const ip4_addr_t *ip,
                         const struct eth_addr *mac)
{
    if (e->is_static) return;
    e->ip = *ip;
    e->netif_idx = netif->index;
    e->mac = *mac;
    e->state = ARP_STABLE;
    e->tries = 0;
    e->rerequested = false;
    e->deadline_ns = stack_now(s) + lifetime_ns(s);
    send_queued(s, netif, e);
    rearm_timer(s);
}

static void arp_timer_fire(struct stack *s, void *arg)
{
    (void)arg;
    uint64_t now = stack_now(s);
    for (uint32_t i = 0; i < s->cfg.arp_table_size; i++) {
        struct arp_entry *e = &s->arp_table[i];
        if (e->state == ARP_EMPTY || e->is_static || e->deadline_ns > now) continue;
        struct netif *netif = netif_find_by_index(s, e->netif_idx);
        if (e->state == ARP_STABLE || netif == NULL || e->tries >= s->cfg.arp_max_tries) {
            /* Expired, or RFC 1122 2.3.2.1: give up after the last retry. */
            clear_entry(s, e);
            continue;
        }
        e->tries++;
        e->deadline_ns = now + interval_ns(s);
        etharp_request(netif, &e->ip);
    }
    rearm_timer(s);
}

bool etharp_find(struct stack *s, struct netif *netif, const ip4_addr_t *ip, struct eth_addr *mac)
{
    struct arp_entry *e = find_entry(s, netif->index, ip);
    if (e == NULL || e->state != ARP_STABLE) return false;
    if (mac != NULL) *mac = e->mac;
    return true;
}

err_t etharp_add_static(struct netif *netif, const ip4_addr_t *ip, const struct eth_addr *mac)
{
    struct stack *s = netif->stack;
    struct arp_entry *e = find_entry(s, netif->index, ip);
    if (e == NULL) e = new_entry(s);
    if (e == NULL) return ERR_MEM;
    e->is_static = false;
    update_entry(s, netif, e, ip, mac);
    e->is_static = true;
    rearm_timer(s);
    return ERR_OK;
}

void etharp_flush_netif(struct netif *netif)
{
    struct stack *s = netif->stack;
    for (uint32_t i = 0; i < s->cfg.arp_table_size; i++) {
        struct arp_entry *e = &s->arp_table[i];
        if (e->state != ARP_EMPTY && e->netif_idx == netif->index) clear_entry(s, e);
    }
    rearm_timer(s);
}

/* ---- input: RFC 826 "Packet Reception" ---- */

static bool valid_sender_ip(const ip4_addr_t *a)
{
    return a->addr != 0 && !ip4_addr_is_limited_broadcast(a) && !ip4_addr_is_multicast(a);
}

void etharp_input(struct pbuf *p, struct netif *netif)
{
    struct stack *s = netif->stack;
    struct arp_repr r;
    err_t perr = arp_parse(pbuf_contig(p, ARP_HDR_LEN), p->len, &r);
    if (perr != ERR_OK) {
        if (perr == ERR_BUF)
            STATS_DROP(s, STATS_ETHARP, lenerr);
        else
            STATS_DROP(s, STATS_ETHARP, proterr);
        pbuf_free(p);
        return;
    }
    pbuf_free(p);
    if (eth_addr_is_multicast(&r.sha)) {
        STATS_DROP(s, STATS_ETHARP, proterr);
        return;
    }
    STATS_INC(s, STATS_ETHARP, recv);
    if (netif->acd_list != NULL) feat_acd_arp_input(netif, &r);

    bool have_addr = netif->ip4.addr != 0;
    /* Someone else claims our address (RFC 5227 2.4 conflict detection). */
    if (have_addr && r.spa.addr == netif->ip4.addr &&
        memcmp(r.sha.addr, netif->hwaddr, ETH_HWADDR_LEN) != 0) {
        s->stats.arp_conflicts++;
        stack_log(s, STACK_LOG_WARN, "etharp", "address conflict", ip4_addr_to_u32(r.spa));
        return;
    }

    /* "If the pair <protocol type, sender protocol address> is already in
     * my translation table, update the sender hardware address" (merge). */
    bool merged = false;
    if (valid_sender_ip(&r.spa)) {
        struct arp_entry *e = find_entry(s, netif->index, &r.spa);
        if (e != NULL) {
            update_entry(s, netif, e, &r.spa, &r.sha);
            merged = true;
        }
    }
    bool for_us = have_addr && r.tpa.addr == netif->ip4.addr;
    if (!for_us) return;
    /* "Am I the target protocol address? If Merge_flag is false, add the triplet." */
    if (!merged && valid_sender_ip(&r.spa)) {
        struct arp_entry *e = new_entry(s);
        if (e != NULL)
            update_entry(s, netif, e, &r.spa, &r.sha);
        else
            STATS_INC(s, STATS_ETHARP, memerr);
    }
    if (r.op == ARP_OP_REQUEST) {
        /* RFC 3927 2.5: replies from a link-local (169.254/16) address are
         * broadcast, so other hosts see conflicts early. */
        bool ll = (ip4_addr_to_u32(netif->ip4) >> 16) == 0xa9feu;
        send_arp(netif, ARP_OP_REPLY, ll ? &eth_broadcast : &r.sha, &r.sha, &netif->ip4, &r.spa);
    }
}

/* ---- output ---- */

static err_t queue_packet(struct stack *s, struct arp_entry *e, struct pbuf *p)
{
    struct arp_qnode *q = pool_alloc(&s->pools[POOL_ARP_QUEUE]);
    if (q == NULL && e->queue != NULL) {
        /* RFC 1122 2.3.2.2: keep at least the latest packet for an address:
         * when the queue is full, the oldest one for it makes room. */
        q = e->queue;
        e->queue = q->next;
        pbuf_free(q->p);
        STATS_DROP(s, STATS_ETHARP, memerr);
    } else if (q == NULL) {
        STATS_DROP(s, STATS_ETHARP, memerr);
        return ERR_MEM;
    }
    /* A copy: the caller may reuse its pbuf (and its headroom) at once. */
    struct pbuf *copy = pbuf_clone(s, PBUF_LINK, p);
    if (copy == NULL) {
        pool_free(&s->pools[POOL_ARP_QUEUE], q);
        STATS_DROP(s, STATS_ETHARP, memerr);
        return ERR_MEM;
    }
    q->p = copy;
    q->next = NULL;
    struct arp_qnode **pp = &e->queue;
    while (*pp != NULL) pp = &(*pp)->next;
    *pp = q;
    return ERR_OK;
}

err_t etharp_output(struct netif *netif, struct pbuf *p, const ip4_addr_t *nexthop)
{
    struct stack *s = netif->stack;
    struct eth_addr dst;
    if (netif_is_ip4_broadcast(netif, nexthop)) {
        return ethernet_output(netif, p, netif_mac(netif), &eth_broadcast, ETHTYPE_IP4);
    }
    if (ip4_addr_is_multicast(nexthop)) {
        /* RFC 1112 6.4: 01:00:5e + the low 23 bits of the group. */
        uint32_t g = ip4_addr_to_u32(*nexthop);
        struct eth_addr m = {{0x01, 0x00, 0x5e, (uint8_t)((g >> 16) & 0x7f), (uint8_t)(g >> 8), (uint8_t)g}};
        return ethernet_output(netif, p, netif_mac(netif), &m, ETHTYPE_IP4);
    }
    struct arp_entry *e = find_entry(s, netif->index, nexthop);
    if (e != NULL && e->state == ARP_STABLE) {
        dst = e->mac;
        /* Refresh an entry in use shortly before it expires, by unicast. */
        uint64_t now = stack_now(s);
        uint64_t before = (uint64_t)SHOAL_ARP_REREQUEST_BEFORE_MS * SHOAL_NS_PER_MS;
        if (!e->is_static && !e->rerequested && e->deadline_ns <= now + before) {
            e->rerequested = true;
            send_arp(netif, ARP_OP_REQUEST, &dst, &eth_zero, &netif->ip4, nexthop);
        }
        return ethernet_output(netif, p, netif_mac(netif), &dst, ETHTYPE_IP4);
    }
    if (e == NULL) {
        e = new_entry(s);
        if (e == NULL) {
            STATS_DROP(s, STATS_ETHARP, memerr);
            return ERR_MEM;
        }
        e->ip = *nexthop;
        e->netif_idx = netif->index;
        e->state = ARP_PENDING;
        e->tries = 1;
        e->deadline_ns = stack_now(s) + interval_ns(s);
        etharp_request(netif, nexthop);
        rearm_timer(s);
    }
    return queue_packet(s, e, p);
}
