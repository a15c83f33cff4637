/* Instance creation and destruction, and the platform services. */
#include <string.h>

#include "shoal/opt.h"
#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/udp.h"
#include "shoal/raw.h"
#include "core/stack_priv.h"
#include "core/pbuf_priv.h"
#include "ipv4/etharp_priv.h"
#include "transport/tcp_priv.h"
#include "ipv4/ip4_frag_priv.h"
#include "ipv6/ip6_frag_priv.h"

void stack_config_default(struct stack_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->pbuf_count = SHOAL_PBUF_COUNT;
    cfg->pbuf_seg_size = SHOAL_PBUF_SEG_SIZE;
    cfg->netif_count = SHOAL_NETIF_COUNT;
    cfg->udp_pcb_count = SHOAL_UDP_PCB_COUNT;
    cfg->raw_pcb_count = SHOAL_RAW_PCB_COUNT;
    cfg->arp_table_size = SHOAL_ARP_TABLE_SIZE;
    cfg->arp_queue_len = SHOAL_ARP_QUEUE_LEN;
    cfg->route_count = SHOAL_ROUTE_COUNT;
    cfg->ip_default_ttl = SHOAL_IP_DEFAULT_TTL;
    cfg->ip_forwarding = false;
    cfg->ip4_reass_max = SHOAL_IP4_REASS_MAX;
    cfg->ip4_reass_frags = SHOAL_IP4_REASS_FRAGS;
    cfg->ip4_reass_timeout_ms = SHOAL_IP4_REASS_TIMEOUT_MS;
    cfg->igmp_groups = SHOAL_IGMP_GROUPS;
    cfg->arp_entry_lifetime_ms = SHOAL_ARP_ENTRY_LIFETIME_MS;
    cfg->arp_request_interval_ms = SHOAL_ARP_REQUEST_INTERVAL_MS;
    cfg->arp_max_tries = SHOAL_ARP_MAX_TRIES;
    cfg->icmp_err_rate_per_s = SHOAL_ICMP_ERR_RATE_PER_S;
    cfg->icmp_err_burst = SHOAL_ICMP_ERR_BURST;
    cfg->icmp_echo_broadcast = false;
    cfg->tcp_pcb_count = SHOAL_TCP_PCB_COUNT;
    cfg->tcp_seg_count = SHOAL_TCP_SEG_COUNT;
    cfg->tcp_mss = SHOAL_TCP_MSS;
    cfg->tcp_snd_buf = SHOAL_TCP_SND_BUF;
    cfg->tcp_wnd = SHOAL_TCP_WND;
    cfg->tcp_ooseq_max = SHOAL_TCP_OOSEQ_MAX;
    cfg->tcp_msl_ms = SHOAL_TCP_MSL_MS;
    cfg->tcp_rto_init_ms = SHOAL_TCP_RTO_INIT_MS;
    cfg->tcp_rto_min_ms = SHOAL_TCP_RTO_MIN_MS;
    cfg->tcp_max_rtx = SHOAL_TCP_MAX_RTX;
    cfg->tcp_syn_max_rtx = SHOAL_TCP_SYN_MAX_RTX;
    cfg->tcp_delack_ms = SHOAL_TCP_DELACK_MS;
    cfg->tcp_sack = true;
    cfg->tcp_timestamps = true;
    cfg->tcp_wscale = true;
    cfg->ip6_route_count = SHOAL_IP6_ROUTE_COUNT;
    cfg->ip6_reass_max = SHOAL_IP6_REASS_MAX;
    cfg->ip6_reass_frags = SHOAL_IP6_REASS_FRAGS;
    cfg->ip6_reass_timeout_ms = SHOAL_IP6_REASS_TIMEOUT_MS;
    cfg->nd6_neighbors = SHOAL_ND6_NEIGHBORS;
    cfg->nd6_routers = SHOAL_ND6_ROUTERS;
    cfg->nd6_prefixes = SHOAL_ND6_PREFIXES;
    cfg->nd6_dests = SHOAL_ND6_DESTS;
    cfg->nd6_queue_len = SHOAL_ND6_QUEUE_LEN;
    cfg->mld6_groups = SHOAL_MLD6_GROUPS;
    cfg->ip6_dad_transmits = 1;
}

/* Where each part of an instance's memory block starts. */
struct stack_layout {
    size_t routes;
    size_t arp_table;
    size_t reass;
    size_t igmp;
    size_t igmp_rt;
    size_t routes6, reass6, nd6_cache, nd6_routers, nd6_prefixes, nd6_dests, mld6_groups, mld6_listeners;
    size_t pool_base[POOL_COUNT];
    size_t pool_elem[POOL_COUNT];
    uint32_t pool_count[POOL_COUNT];
    size_t total;
};

static const char pool_names[POOL_COUNT][12] = {"pbuf", "netif", "udp_pcb", "raw_pcb", "arp_queue", "tcp_pcb", "tcp_seg", "ip4_frag", "nd6_queue", "ip6_frag"};

static bool config_valid(const struct stack_config *c)
{
    return c->pbuf_count > 0 && c->pbuf_seg_size >= 64 && c->pbuf_seg_size <= 65536 &&
           c->pbuf_seg_size > SHOAL_PBUF_LINK_HLEN + SHOAL_PBUF_IP_HLEN + SHOAL_PBUF_TRANSPORT_HLEN &&
           c->netif_count > 0 && c->netif_count < 255 && c->arp_table_size > 0 && c->arp_table_size < 65536 &&
           c->route_count < 65536 && c->ip_default_ttl > 0 && c->arp_request_interval_ms > 0 &&
           c->tcp_mss >= 64 && c->tcp_mss <= 65495 && c->tcp_wnd >= c->tcp_mss && c->tcp_wnd <= (65535u << 14) &&
           c->tcp_snd_buf >= c->tcp_mss && c->tcp_rto_init_ms > 0 && c->tcp_rto_min_ms > 0 && c->tcp_max_rtx > 0 &&
           c->tcp_syn_max_rtx > 0 && c->ip4_reass_timeout_ms > 0 &&
           c->ip6_reass_timeout_ms > 0 && c->nd6_neighbors > 0;
}

static void compute_layout(const struct stack_config *c, struct stack_layout *l)
{
    size_t off = pool_align(sizeof(struct stack));
    l->routes = off;
    off += pool_align(sizeof(struct ip4_route_entry) * c->route_count);
    l->arp_table = off;
    off += pool_align(sizeof(struct arp_entry) * c->arp_table_size);
    l->reass = off;
    off += pool_align(sizeof(struct ip4_reass_entry) * c->ip4_reass_max);
    l->igmp = off;
    off += pool_align(sizeof(struct igmp_group) * c->igmp_groups);
    l->igmp_rt = off;
    off += pool_align(sizeof(struct igmp_rt_member) * c->igmp_groups);
#if SHOAL_IPV6
#define LAYOUT_TABLE(field, type, n) \
    l->field = off;                  \
    off += pool_align(sizeof(type) * (n))
    LAYOUT_TABLE(routes6, struct ip6_route_entry, c->ip6_route_count);
    LAYOUT_TABLE(reass6, struct ip6_reass_entry, c->ip6_reass_max);
    LAYOUT_TABLE(nd6_cache, struct nd6_neighbor, c->nd6_neighbors);
    LAYOUT_TABLE(nd6_routers, struct nd6_router, c->nd6_routers);
    LAYOUT_TABLE(nd6_prefixes, struct nd6_prefix, c->nd6_prefixes);
    LAYOUT_TABLE(nd6_dests, struct nd6_dest, c->nd6_dests);
    LAYOUT_TABLE(mld6_groups, struct mld6_group, c->mld6_groups);
    LAYOUT_TABLE(mld6_listeners, struct mld6_listener, c->mld6_groups);
#undef LAYOUT_TABLE
#endif

    l->pool_elem[POOL_PBUF] = pool_align(PBUF_HDR_SIZE + c->pbuf_seg_size);
    l->pool_count[POOL_PBUF] = c->pbuf_count;
    l->pool_elem[POOL_NETIF] = pool_align(sizeof(struct netif));
    l->pool_count[POOL_NETIF] = c->netif_count;
    l->pool_elem[POOL_UDP_PCB] = pool_align(sizeof(struct udp_pcb));
    l->pool_count[POOL_UDP_PCB] = c->udp_pcb_count;
    l->pool_elem[POOL_RAW_PCB] = pool_align(sizeof(struct raw_pcb));
    l->pool_count[POOL_RAW_PCB] = c->raw_pcb_count;
    l->pool_elem[POOL_ARP_QUEUE] = pool_align(sizeof(struct arp_qnode));
    l->pool_count[POOL_ARP_QUEUE] = c->arp_queue_len;
    l->pool_elem[POOL_TCP_PCB] = pool_align(sizeof(struct tcp_pcb));
    l->pool_count[POOL_TCP_PCB] = c->tcp_pcb_count;
    l->pool_elem[POOL_TCP_SEG] = pool_align(sizeof(struct tcp_seg));
    l->pool_count[POOL_TCP_SEG] = c->tcp_seg_count;
    l->pool_elem[POOL_IP4_FRAG] = pool_align(sizeof(struct ip4_frag_node));
    l->pool_count[POOL_IP4_FRAG] = c->ip4_reass_frags;
    l->pool_elem[POOL_ND6_QUEUE] = pool_align(sizeof(struct nd6_qnode));
    l->pool_count[POOL_ND6_QUEUE] = SHOAL_IPV6 ? c->nd6_queue_len : 0;
    l->pool_elem[POOL_IP6_FRAG] = pool_align(sizeof(struct ip6_frag_node));
    l->pool_count[POOL_IP6_FRAG] = SHOAL_IPV6 ? c->ip6_reass_frags : 0;
    /* Small pools first, the big pbuf pool last: an idle instance touches
     * only the front of its block. */
    for (int i = POOL_COUNT - 1; i >= 0; i--) {
        l->pool_base[i] = off;
        off += l->pool_elem[i] * l->pool_count[i];
    }
    l->total = off;
}

size_t stack_memory_size(const struct stack_config *cfg)
{
    struct stack_config def;
    struct stack_layout l;
    if (cfg == NULL) {
        stack_config_default(&def);
        cfg = &def;
    }
    if (!config_valid(cfg)) return 0;
    compute_layout(cfg, &l);
    return l.total;
}

struct stack *stack_init_in(void *mem, size_t size, const struct stack_config *cfg,
                            const struct stack_platform *platform)
{
    struct stack_config def;
    struct stack_layout l;
    if (mem == NULL || platform == NULL || platform->now_ns == NULL || platform->random32 == NULL) return NULL;
    if (cfg == NULL) {
        stack_config_default(&def);
        cfg = &def;
    }
    if (!config_valid(cfg)) return NULL;
    compute_layout(cfg, &l);
    if (size < l.total) return NULL;

    uint8_t *base = mem;
    struct stack *s = mem;
    memset(s, 0, sizeof(*s));
    s->platform = *platform;
    s->cfg = *cfg;
    s->mem_size = l.total;
    s->next_netif_index = 1;
    s->routes = (struct ip4_route_entry *)(void *)(base + l.routes);
    memset(s->routes, 0, sizeof(struct ip4_route_entry) * cfg->route_count);
    s->arp_table = (struct arp_entry *)(void *)(base + l.arp_table);
    memset(s->arp_table, 0, sizeof(struct arp_entry) * cfg->arp_table_size);
    s->reass = (struct ip4_reass_entry *)(void *)(base + l.reass);
    memset(s->reass, 0, sizeof(struct ip4_reass_entry) * cfg->ip4_reass_max);
    s->igmp = (struct igmp_group *)(void *)(base + l.igmp);
    memset(s->igmp, 0, sizeof(struct igmp_group) * cfg->igmp_groups);
    s->igmp_rt.members = (struct igmp_rt_member *)(void *)(base + l.igmp_rt);
    memset(s->igmp_rt.members, 0, sizeof(struct igmp_rt_member) * cfg->igmp_groups);
#if SHOAL_IPV6
#define SET_TABLE(field, type, n)                                  \
    s->field = (type *)(void *)(base + l.field);                   \
    memset(s->field, 0, sizeof(type) * (n))
    SET_TABLE(routes6, struct ip6_route_entry, cfg->ip6_route_count);
    SET_TABLE(reass6, struct ip6_reass_entry, cfg->ip6_reass_max);
    SET_TABLE(nd6_cache, struct nd6_neighbor, cfg->nd6_neighbors);
    SET_TABLE(nd6_routers, struct nd6_router, cfg->nd6_routers);
    SET_TABLE(nd6_prefixes, struct nd6_prefix, cfg->nd6_prefixes);
    SET_TABLE(nd6_dests, struct nd6_dest, cfg->nd6_dests);
    SET_TABLE(mld6_groups, struct mld6_group, cfg->mld6_groups);
    SET_TABLE(mld6_listeners, struct mld6_listener, cfg->mld6_groups);
#undef SET_TABLE
#endif
    for (int i = 0; i < POOL_COUNT; i++)
        pool_init(&s->pools[i], pool_names[i], base + l.pool_base[i], l.pool_elem[i], l.pool_count[i]);
    s->pools[POOL_PBUF].data_size = cfg->pbuf_seg_size;
    /* RFC 6056 3.3.1: start the ephemeral port search at a random point. */
    s->udp_next_port = (uint16_t)(SHOAL_EPHEMERAL_PORT_MIN +
                                  stack_random32(s) % (SHOAL_EPHEMERAL_PORT_MAX - SHOAL_EPHEMERAL_PORT_MIN + 1u));
    s->ip4_next_id = (uint16_t)stack_random32(s);
    s->tcp_next_port = (uint16_t)(SHOAL_EPHEMERAL_PORT_MIN +
                                  stack_random32(s) % (SHOAL_EPHEMERAL_PORT_MAX - SHOAL_EPHEMERAL_PORT_MIN + 1u));
    for (int i = 0; i < 2; i++)
        s->tcp_isn_key[i] = ((uint64_t)stack_random32(s) << 32) | stack_random32(s);
    s->icmp_tokens = (uint64_t)cfg->icmp_err_burst * SHOAL_NS_PER_S;
    s->icmp_tokens_at_ns = stack_now(s);
#if SHOAL_IPV6
    s->ip6.next_frag_id = stack_random32(s);
    s->ip6.icmp6_tokens = (uint64_t)cfg->icmp_err_burst * SHOAL_NS_PER_S;
    s->ip6.icmp6_tokens_at_ns = stack_now(s);
    for (int i = 0; i < 2; i++)
        s->nd6.iid_key[i] = ((uint64_t)stack_random32(s) << 32) | stack_random32(s);
#endif
    return s;
}

struct stack *stack_new(const struct stack_config *cfg, const struct stack_platform *platform)
{
    if (platform == NULL || platform->alloc == NULL) return NULL;
    size_t size = stack_memory_size(cfg);
    if (size == 0) return NULL;
    void *mem = platform->alloc(platform->ctx, size);
    if (mem == NULL) return NULL;
    struct stack *s = stack_init_in(mem, size, cfg, platform);
    if (s == NULL) {
        if (platform->free != NULL) platform->free(platform->ctx, mem);
        return NULL;
    }
    s->mem = mem;
    return s;
}

void stack_free(struct stack *s)
{
    if (s == NULL) return;
    /* Every pbuf, PCB and netif lives inside the block: releasing the block
     * releases them all. Packets waiting on ARP are dropped with it. */
    if (s->mem != NULL && s->platform.free != NULL) s->platform.free(s->platform.ctx, s->mem);
}

const struct stack_config *stack_config(const struct stack *s) { return &s->cfg; }

uint64_t stack_now(struct stack *s) { return s->platform.now_ns(s->platform.ctx); }

uint32_t stack_random32(struct stack *s) { return s->platform.random32(s->platform.ctx); }

void stack_log(struct stack *s, enum stack_log_level level, const char *module, const char *msg, uint32_t value)
{
    if (s->platform.log != NULL) s->platform.log(s->platform.ctx, level, module, msg, value);
}

const char *err_str(err_t err)
{
    switch (err) {
    case ERR_OK: return "ok";
    case ERR_MEM: return "out of memory";
    case ERR_BUF: return "buffer error";
    case ERR_TIMEOUT: return "timeout";
    case ERR_RTE: return "no route to host";
    case ERR_INPROGRESS: return "operation in progress";
    case ERR_VAL: return "illegal value";
    case ERR_WOULDBLOCK: return "operation would block";
    case ERR_USE: return "address in use";
    case ERR_ALREADY: return "already connecting";
    case ERR_ISCONN: return "already connected";
    case ERR_CONN: return "not connected";
    case ERR_IF: return "low-level netif error";
    case ERR_ABRT: return "connection aborted";
    case ERR_RST: return "connection reset";
    case ERR_CLSD: return "connection closed";
    case ERR_ARG: return "illegal argument";
    }
    return "unknown error";
}
