/*
 * IPv6 addresses of a netif and stateless autoconfiguration (RFC 4862):
 * interface identifiers (stable RFC 7217, modified EUI-64, random),
 * Duplicate Address Detection (5.4), addresses from Router Advertisement
 * prefixes with their preferred and valid lifetimes (5.5.3, 5.5.4), and
 * Router Solicitations at start-up (RFC 4861 6.3.7).
 */
#include <string.h>

#include "shoal/nd6.h"
#include "shoal/mld6.h"
#include "shoal/icmp6.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "core/stack_priv.h"
#include "core/siphash.h"
#include "ipv6/ip6_priv.h"
#include "ipv6/nd6_priv.h"

_Static_assert(SHOAL_NETIF_IP6_ADDRS <= 8, "snm_joined holds one bit per address slot");

#define INFINITE_LIFETIME 0xffffffffu
#define TWO_HOURS_NS (7200ull * SHOAL_NS_PER_S) /* RFC 4862 5.5.3 e */
#define IID_LEN 8u

static const ip6_addr_t unspecified = IP6_ADDR_ANY_INIT;

static bool same_addr(const ip6_addr_t *a, const ip6_addr_t *b) { return memcmp(a->addr, b->addr, 16) == 0; }

static uint64_t lifetime_deadline(uint64_t now, uint32_t seconds)
{
    if (seconds == INFINITE_LIFETIME) return SHOAL_TIME_NEVER;
    return now + (uint64_t)seconds * SHOAL_NS_PER_S;
}

/* ---- interface identifiers ---- */

/* RFC 5453: the all-zero identifier and the subnet anycast range
 * fdff:ffff:ffff:ff80 - fdff:ffff:ffff:ffff are reserved. */
static bool iid_reserved(const uint8_t *iid)
{
    static const uint8_t anycast[7] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    bool zero = true;
    for (unsigned i = 0; i < IID_LEN; i++) zero = zero && iid[i] == 0;
    return zero || (memcmp(iid, anycast, 7) == 0 && iid[7] >= 0x80);
}

static void stable_iid(struct netif *netif, const ip6_addr_t *prefix, uint8_t dad_counter, uint8_t *iid)
{
    /* RFC 7217 5: F(Prefix, Net_Iface, Network_ID, DAD_Counter, secret_key),
     * here SipHash keyed by the instance's secret over the /64 prefix, the
     * netif index, its hardware address and the counter. */
    uint8_t in[8 + 1 + NETIF_MAX_HWADDR_LEN + 1];
    size_t n = 0;
    for (unsigned i = 0; i < 8; i++) in[n++] = ip6_addr_byte(prefix, i);
    in[n++] = netif->index;
    memcpy(in + n, netif->hwaddr, netif->hwaddr_len);
    n += netif->hwaddr_len;
    in[n++] = dad_counter;
    uint64_t h = siphash24(netif->stack->nd6.iid_key, in, n);
    for (unsigned i = 0; i < IID_LEN; i++) iid[i] = (uint8_t)(h >> (56 - 8 * i));
}

static void make_iid(struct netif *netif, const ip6_addr_t *prefix, uint8_t dad_counter, uint8_t *iid)
{
    if (netif->nd6.iid_mode == ND6_IID_EUI64 && netif->hwaddr_len == ETH_HWADDR_LEN) {
        /* RFC 4291 2.5.1 and appendix A: insert ff:fe, invert the U/L bit. */
        const uint8_t *m = netif->hwaddr;
        uint8_t e[8] = {(uint8_t)(m[0] ^ 0x02u), m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]};
        memcpy(iid, e, IID_LEN);
        return;
    }
    for (unsigned tries = 0; tries < 4; tries++) {
        if (netif->nd6.iid_mode == ND6_IID_RANDOM) {
            wr32be(iid, stack_random32(netif->stack));
            wr32be(iid + 4, stack_random32(netif->stack));
        } else {
            stable_iid(netif, prefix, (uint8_t)(dad_counter + tries * 16u), iid);
        }
        if (!iid_reserved(iid)) return;
    }
}

void nd6_set_iid_secret(struct stack *s, const uint8_t secret[16])
{
    uint64_t k[2] = {0, 0};
    for (unsigned i = 0; i < 16; i++) k[i / 8] = (k[i / 8] << 8) | secret[i];
    s->nd6.iid_key[0] = k[0];
    s->nd6.iid_key[1] = k[1];
}

static ip6_addr_t form_addr(struct netif *netif, const ip6_addr_t *prefix, uint8_t dad_counter)
{
    uint8_t b[16], iid[IID_LEN];
    ip6_addr_to_bytes(prefix, b);
    make_iid(netif, prefix, dad_counter, iid);
    memcpy(b + 8, iid, IID_LEN);
    ip6_addr_t a;
    ip6_addr_from_bytes(&a, b);
    a.zone = ip6_addr_has_scope(&a) ? netif->index : 0;
    return a;
}

static bool hardware_iid(const struct netif *netif) { return netif->nd6.iid_mode == ND6_IID_EUI64; }

/* ---- solicited-node groups ---- */

static void join_snm(struct netif *netif, int slot)
{
    uint8_t bit = (uint8_t)(1u << slot);
    if (netif->nd6.snm_joined & bit) return;
    ip6_addr_t g = ip6_addr_solicited_node(&netif->ip6[slot].addr);
    g.zone = netif->index;
    if (mld6_join(netif, &g) == ERR_OK) netif->nd6.snm_joined |= bit;
}

static void leave_snm(struct netif *netif, int slot)
{
    uint8_t bit = (uint8_t)(1u << slot);
    if (!(netif->nd6.snm_joined & bit)) return;
    ip6_addr_t g = ip6_addr_solicited_node(&netif->ip6[slot].addr);
    g.zone = netif->index;
    mld6_leave(netif, &g);
    netif->nd6.snm_joined &= (uint8_t)~bit;
}

/* ---- DAD (RFC 4862 5.4) ---- */

static void addr_ready(struct netif *netif, int slot)
{
    struct netif_ip6_addr *a = &netif->ip6[slot];
    uint64_t now = stack_now(netif->stack);
    a->state = a->preferred_until_ns <= now ? NETIF_IP6_DEPRECATED : NETIF_IP6_PREFERRED;
    a->dad_left = 0;
    if (slot == 0) nd6_rtadv_addr_ready(netif);
}

/* Start DAD for slot (or make it valid at once when no DAD is asked for). */
static void dad_start(struct netif *netif, int slot)
{
    struct stack *s = netif->stack;
    struct netif_ip6_addr *a = &netif->ip6[slot];
    if (!netif_is_up(netif)) return; /* nd6_slaac_netif_up() starts it */
    /* 5.4.2: join all-nodes (implicit) and the solicited-node group first. */
    join_snm(netif, slot);
    if ((a->flags & NETIF_IP6_FLAG_NODAD) || stack_config(s)->ip6_dad_transmits == 0) {
        addr_ready(netif, slot);
        return;
    }
    a->state = NETIF_IP6_TENTATIVE;
    a->dad_left = stack_config(s)->ip6_dad_transmits;
    /* 5.4.2: a random delay of 0..MAX_RTR_SOLICITATION_DELAY before the first NS. */
    a->dad_next_ns = stack_now(s) + nd6_random_ms(s, ND6_MAX_RTR_SOLICITATION_DELAY_MS);
}

static void clear_slot(struct netif *netif, int slot)
{
    leave_snm(netif, slot);
    memset(&netif->ip6[slot], 0, sizeof(netif->ip6[slot]));
}

void nd6_dad_conflict(struct netif *netif, int slot, bool from_na)
{
    struct stack *s = netif->stack;
    struct netif_ip6_addr *a = &netif->ip6[slot];
    (void)from_na;
    s->stats.nd6_dad_failures++;
    stack_log(s, STACK_LOG_WARN, "nd6", "duplicate address detected", netif->index);
    bool generated = slot == 0 || (a->flags & NETIF_IP6_FLAG_AUTOCONF);
    if (generated && !hardware_iid(netif) && a->dad_retries < ND6_IDGEN_RETRIES) {
        /* RFC 7217 6: a new identifier with DAD_Counter + 1, up to IDGEN_RETRIES. */
        ip6_addr_t prefix = a->addr;
        uint8_t retries = (uint8_t)(a->dad_retries + 1u);
        leave_snm(netif, slot);
        a->addr = form_addr(netif, &prefix, retries);
        a->dad_retries = retries;
        a->state = NETIF_IP6_TENTATIVE;
        dad_start(netif, slot);
        nd6_timer_update(s);
        return;
    }
    leave_snm(netif, slot);
    a->state = NETIF_IP6_DUPLICATED;
    a->dad_left = 0;
    if (slot == 0 && hardware_iid(netif)) {
        /* RFC 4862 5.4.5: a duplicate link-local made from the hardware
         * address means another node has our MAC: stop IPv6 on this netif. */
        stack_log(s, STACK_LOG_ERROR, "nd6", "link-local duplicate: IPv6 disabled on netif", netif->index);
        netif->nd6.enabled = false;
        netif->nd6.rs_left = 0;
    }
    nd6_timer_update(s);
}

/* ---- Router Solicitation (RFC 4861 6.3.7) ---- */

static void send_rs(struct netif *netif)
{
    struct stack *s = netif->stack;
    /* 6.3.7 / 4.1: from the link-local address with SLLA when it is valid,
     * else from :: without it. */
    bool ll = netif_ip6_usable(&netif->ip6[0]) && ip6_addr_is_linklocal(&netif->ip6[0].addr);
    const ip6_addr_t *src = ll ? &netif->ip6[0].addr : &unspecified;
    size_t opt = ll ? nd6_lladdr_opt_len(netif) : 0;
    uint8_t msg[ND6_RS_LEN + 8];
    memset(msg, 0, sizeof(msg));
    msg[0] = ICMP6_TYPE_RS;
    if (opt) nd6_put_lladdr_opt(netif, ND6_OPT_SLLA, msg + ND6_RS_LEN);
    struct pbuf *p = pbuf_alloc(s, PBUF_IP, ND6_RS_LEN + opt);
    if (p == NULL) {
        STATS_INC(s, STATS_ND6, memerr);
        return;
    }
    pbuf_take(p, msg, ND6_RS_LEN + opt);
    ip6_addr_t dst = ip6_addr_all_routers();
    dst.zone = netif->index;
    nd6_send(netif, p, src, &dst);
}

static void rs_start(struct netif *netif)
{
    struct stack *s = netif->stack;
    if (!netif->nd6.autoconf || stack_config(s)->ip_forwarding || !netif_is_up(netif)) return;
    netif->nd6.rs_left = ND6_MAX_RTR_SOLICITATIONS;
    netif->nd6.rs_next_ns = stack_now(s) + nd6_random_ms(s, ND6_MAX_RTR_SOLICITATION_DELAY_MS);
}

void nd6_slaac_rs_done(struct netif *netif) { netif->nd6.rs_left = 0; }

/* ---- addresses from RA prefixes (RFC 4862 5.5.3) ---- */

static int free_slot(const struct netif *netif)
{
    for (int i = 1; i < (int)SHOAL_NETIF_IP6_ADDRS; i++)
        if (netif->ip6[i].state == NETIF_IP6_INVALID) return i;
    return -1;
}

void nd6_slaac_prefix(struct netif *netif, const struct nd6_opt_prefix *pi)
{
    struct stack *s = netif->stack;
    uint64_t now = stack_now(s);
    if (pi->preferred_lifetime_s > pi->valid_lifetime_s) return; /* 5.5.3 c */
    struct netif_ip6_addr *a = NULL;
    for (int i = 1; i < (int)SHOAL_NETIF_IP6_ADDRS && a == NULL; i++) {
        struct netif_ip6_addr *c = &netif->ip6[i];
        if (c->state != NETIF_IP6_INVALID && (c->flags & NETIF_IP6_FLAG_AUTOCONF) && c->prefix_len == pi->prefix_len &&
            ip6_addr_prefix_eq(&c->addr, &pi->prefix, pi->prefix_len))
            a = c;
    }
    if (a == NULL) {
        /* 5.5.3 d: a new address when the prefix and identifier make 128 bits. */
        if (pi->valid_lifetime_s == 0) return;
        if ((unsigned)pi->prefix_len + IID_LEN * 8u != 128u) {
            stack_log(s, STACK_LOG_INFO, "nd6", "prefix length unfit for SLAAC", pi->prefix_len);
            return;
        }
        int slot = free_slot(netif);
        if (slot < 0) {
            STATS_INC(s, STATS_ND6, memerr);
            return;
        }
        a = &netif->ip6[slot];
        memset(a, 0, sizeof(*a));
        a->addr = form_addr(netif, &pi->prefix, 0);
        a->prefix_len = pi->prefix_len;
        a->flags = NETIF_IP6_FLAG_AUTOCONF | (netif->nd6.iid_mode == ND6_IID_RANDOM ? NETIF_IP6_FLAG_TEMPORARY : 0);
        a->state = NETIF_IP6_TENTATIVE;
        a->preferred_until_ns = lifetime_deadline(now, pi->preferred_lifetime_s);
        a->valid_until_ns = lifetime_deadline(now, pi->valid_lifetime_s);
        dad_start(netif, slot);
        return;
    }
    /* 5.5.3 e: refresh the preferred lifetime; the valid lifetime only as the
     * two-hour rule allows, so a forged RA cannot cut an address short. */
    a->preferred_until_ns = lifetime_deadline(now, pi->preferred_lifetime_s);
    uint64_t received = lifetime_deadline(now, pi->valid_lifetime_s);
    uint64_t remaining = a->valid_until_ns == SHOAL_TIME_NEVER ? SHOAL_TIME_NEVER : a->valid_until_ns - SHOAL_MIN(a->valid_until_ns, now);
    if ((pi->valid_lifetime_s != INFINITE_LIFETIME && (uint64_t)pi->valid_lifetime_s * SHOAL_NS_PER_S > TWO_HOURS_NS) ||
        pi->valid_lifetime_s == INFINITE_LIFETIME || received > a->valid_until_ns)
        a->valid_until_ns = received;
    else if (remaining <= TWO_HOURS_NS)
        ; /* keep it */
    else
        a->valid_until_ns = now + TWO_HOURS_NS;
    /* 5.5.4: a refreshed preferred lifetime makes a deprecated address preferred again. */
    if (a->state == NETIF_IP6_DEPRECATED && a->preferred_until_ns > now) a->state = NETIF_IP6_PREFERRED;
    if (a->state == NETIF_IP6_PREFERRED && a->preferred_until_ns <= now) a->state = NETIF_IP6_DEPRECATED;
}

/* ---- the public address calls ---- */

int netif_find_ip6(const struct netif *netif, const ip6_addr_t *addr)
{
    if (addr == NULL) return -1;
    if (ip6_addr_has_scope(addr) && addr->zone != 0 && addr->zone != netif->index) return -1;
    for (int i = 0; i < (int)SHOAL_NETIF_IP6_ADDRS; i++)
        if (netif->ip6[i].state != NETIF_IP6_INVALID && same_addr(&netif->ip6[i].addr, addr)) return i;
    return -1;
}

err_t nd6_netif_enable(struct netif *netif, enum nd6_iid_mode mode, bool autoconf)
{
    struct stack *s = netif->stack;
    if ((unsigned)mode > ND6_IID_RANDOM) return ERR_ARG;
    bool was_auto = netif->nd6.autoconf;
    netif->nd6.autoconf = autoconf;
    if (netif->nd6.enabled) {
        /* Again: only autoconf changes; turning it on solicits routers. */
        if (autoconf && !was_auto) rs_start(netif);
        nd6_timer_update(s);
        return ERR_OK;
    }
    netif->nd6.enabled = true;
    netif->nd6.iid_mode = (uint8_t)mode;
    nd6_rerandomize_reachable(netif);
    struct netif_ip6_addr *ll = &netif->ip6[0];
    if (ll->state == NETIF_IP6_INVALID || ll->state == NETIF_IP6_DUPLICATED) {
        /* RFC 4862 5.3: fe80::/64 and the interface identifier. */
        ip6_addr_t fe80 = ip6_addr_make(0xfe80, 0, 0, 0, 0, 0, 0, 0);
        memset(ll, 0, sizeof(*ll));
        ll->addr = form_addr(netif, &fe80, 0);
        ll->prefix_len = 64;
        ll->state = NETIF_IP6_TENTATIVE;
        ll->preferred_until_ns = SHOAL_TIME_NEVER;
        ll->valid_until_ns = SHOAL_TIME_NEVER;
    }
    dad_start(netif, 0);
    rs_start(netif);
    nd6_timer_update(s);
    return ERR_OK;
}

err_t netif_add_ip6(struct netif *netif, const ip6_addr_t *addr, uint8_t prefix_len, uint8_t flags)
{
    if (netif == NULL || addr == NULL || ip6_addr_is_any(addr) || ip6_addr_is_multicast(addr) || prefix_len > 128)
        return ERR_VAL;
    if (ip6_addr_has_scope(addr) && addr->zone != 0 && addr->zone != netif->index) return ERR_VAL;
    if (netif_find_ip6(netif, addr) >= 0) return ERR_USE;
    if (!netif->nd6.enabled) {
        err_t err = nd6_netif_enable(netif, (enum nd6_iid_mode)netif->nd6.iid_mode, netif->nd6.autoconf);
        if (err != ERR_OK) return err;
        if (netif_find_ip6(netif, addr) >= 0) return ERR_USE; /* it was the generated link-local */
    }
    int slot = free_slot(netif);
    if (slot < 0) return ERR_MEM;
    struct netif_ip6_addr *a = &netif->ip6[slot];
    memset(a, 0, sizeof(*a));
    a->addr = *addr;
    a->addr.zone = ip6_addr_has_scope(addr) ? netif->index : 0;
    a->prefix_len = prefix_len;
    a->flags = flags;
    a->state = NETIF_IP6_TENTATIVE;
    a->preferred_until_ns = SHOAL_TIME_NEVER;
    a->valid_until_ns = SHOAL_TIME_NEVER;
    dad_start(netif, slot);
    nd6_timer_update(netif->stack);
    return ERR_OK;
}

err_t netif_del_ip6(struct netif *netif, const ip6_addr_t *addr)
{
    int slot = netif_find_ip6(netif, addr);
    if (slot < 0) return ERR_VAL;
    clear_slot(netif, slot);
    nd6_timer_update(netif->stack);
    return ERR_OK;
}

/* ---- netif events ---- */

void nd6_slaac_netif_up(struct netif *netif)
{
    /* RFC 4862 5.4: DAD again whenever the interface is (re)initialised. */
    for (int i = 0; i < (int)SHOAL_NETIF_IP6_ADDRS; i++) {
        uint8_t st = netif->ip6[i].state;
        if (st == NETIF_IP6_INVALID || st == NETIF_IP6_DUPLICATED) continue;
        if (!(netif->ip6[i].flags & NETIF_IP6_FLAG_NODAD)) netif->ip6[i].state = NETIF_IP6_TENTATIVE;
        dad_start(netif, i);
    }
    rs_start(netif);
}

void nd6_slaac_netif_down(struct netif *netif)
{
    for (int i = 0; i < (int)SHOAL_NETIF_IP6_ADDRS; i++) leave_snm(netif, i);
    netif->nd6.rs_left = 0;
}

/* ---- timers ---- */

uint64_t nd6_slaac_next(struct stack *s)
{
    uint64_t next = SHOAL_TIME_NEVER;
    for (struct netif *n = s->netifs; n != NULL; n = n->next) {
        bool up = netif_is_up(n);
        for (unsigned i = 0; i < SHOAL_NETIF_IP6_ADDRS; i++) {
            const struct netif_ip6_addr *a = &n->ip6[i];
            if (a->state == NETIF_IP6_INVALID) continue;
            if (a->state == NETIF_IP6_TENTATIVE && up) next = SHOAL_MIN(next, a->dad_next_ns);
            if (a->state == NETIF_IP6_PREFERRED) next = SHOAL_MIN(next, a->preferred_until_ns);
            next = SHOAL_MIN(next, a->valid_until_ns);
        }
        if (n->nd6.rs_left > 0 && up && n->nd6.enabled) next = SHOAL_MIN(next, n->nd6.rs_next_ns);
    }
    return next;
}

static void addr_tick(struct netif *netif, int slot, uint64_t now)
{
    struct netif_ip6_addr *a = &netif->ip6[slot];
    if (a->state == NETIF_IP6_INVALID) return;
    if (a->valid_until_ns <= now) {
        /* 5.5.4: invalid: removed (a duplicate too, so its slot comes back). */
        clear_slot(netif, slot);
        return;
    }
    if (a->state == NETIF_IP6_DUPLICATED) return;
    if (a->state == NETIF_IP6_TENTATIVE && netif_is_up(netif) && a->dad_next_ns <= now) {
        if (a->dad_left == 0) {
            addr_ready(netif, slot); /* 5.4: RetransTimer after the last NS passed quietly */
        } else {
            /* 5.4.2: NS from ::, to the solicited-node group, no SLLA. */
            ip6_addr_t dst = ip6_addr_solicited_node(&a->addr);
            dst.zone = netif->index;
            a->dad_left--;
            a->dad_next_ns = now + (uint64_t)netif->nd6.retrans_ms * SHOAL_NS_PER_MS;
            nd6_send_ns(netif, &a->addr, &unspecified, &dst);
        }
    }
    /* 5.5.4: past its preferred lifetime an address is deprecated. */
    if (a->state == NETIF_IP6_PREFERRED && a->preferred_until_ns <= now) a->state = NETIF_IP6_DEPRECATED;
}

void nd6_slaac_tick(struct stack *s, uint64_t now)
{
    for (struct netif *n = s->netifs; n != NULL; n = n->next) {
        for (int i = 0; i < (int)SHOAL_NETIF_IP6_ADDRS; i++) addr_tick(n, i, now);
        if (n->nd6.rs_left > 0 && n->nd6.enabled && netif_is_up(n) && n->nd6.rs_next_ns <= now) {
            n->nd6.rs_left--;
            n->nd6.rs_next_ns = now + (uint64_t)ND6_RTR_SOLICITATION_INTERVAL_MS * SHOAL_NS_PER_MS;
            send_rs(n);
        }
    }
}
