/*
 * The flat C API of binding.h: simulation, nodes, links, interfaces, raw
 * hosts, errors. Sockets and ping are in binding_sockets.c. Every call that
 * enters a stack ends with sim_node_kick(), so the node's next wake-up
 * follows whatever the call armed.
 */
#include "binding_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eth_p2p.h"
#include "eth_switch.h"
#include "shoal/ip4.h"
#include "shoal/ip4_addr.h"
#include "shoal/netif.h"
#include "shoal/stats.h"

/* ---- errors ---- */

const char *shoal_strerror(int code)
{
    switch (code) {
    case SHOAL_EBADARG: return "argument out of range";
    case SHOAL_ENOTFOUND: return "no such port or interface";
    case SHOAL_ERUNT: return "frame shorter than an Ethernet header";
    case SHOAL_ETOOBIG: return "frame longer than the link allows";
    case SHOAL_ECLOSED: return "socket already closed";
    case SHOAL_ENOMEM: return "host allocation failed";
    case SHOAL_EPCAP: return "pcap file could not be opened";
    default: break;
    }
    if (code <= 0 && code >= ERR_ARG) return err_str((err_t)code);
    return "unknown error";
}

/* ---- simulation ---- */

shoal_sim *shoal_sim_new(uint64_t seed)
{
    shoal_sim *s = calloc(1, sizeof(*s));
    if (s == NULL) return NULL;
    s->sim = sim_new(seed);
    if (s->sim == NULL) {
        free(s);
        return NULL;
    }
    name_table_init(&s->link_names);
    return s;
}

void shoal_sim_free(shoal_sim *s)
{
    if (s == NULL) return;
    shoal_sockets_detach_all(s);
    shoal_tcp_detach_all(s);
    /* Stacks (inside the nodes) before links: a port's link must outlive
     * anything that could still send through it. */
    sim_free(s->sim);
    for (size_t i = 0; i < s->node_count; i++) free(s->nodes[i]);
    free(s->nodes);
    for (size_t i = 0; i < s->link_count; i++) {
        link_free(s->links[i]->l);
        free(s->links[i]);
    }
    free(s->links);
    name_table_destroy(&s->link_names);
    free(s);
}

uint64_t shoal_sim_now(const shoal_sim *s) { return sim_now(s->sim); }
void shoal_sim_run_until(shoal_sim *s, uint64_t until_ns) { sim_run_until(s->sim, until_ns); }
int shoal_sim_step(shoal_sim *s, uint64_t limit_ns) { return sim_step(s->sim, limit_ns); }
uint64_t shoal_sim_next_event(const shoal_sim *s) { return sim_next_event(s->sim); }
uint64_t shoal_sim_events_run(const shoal_sim *s) { return sim_events_run(s->sim); }

/* ---- nodes ---- */

static void node_rebooting(void *arg, struct sim_node *n)
{
    shoal_sim *s = arg;
    shoal_sockets_detach_node(s, n->user);
    shoal_tcp_detach_node(s, n->user);
}

shoal_node *shoal_wrap_node(shoal_sim *s, struct sim_node *n)
{
    if (n == NULL) return NULL;
    if (s->node_count == s->node_cap) {
        size_t ncap = s->node_cap ? s->node_cap * 2 : 16;
        shoal_node **nn = realloc(s->nodes, ncap * sizeof(*nn));
        if (nn == NULL) return NULL; /* the sim still frees n */
        s->nodes = nn;
        s->node_cap = ncap;
    }
    shoal_node *w = calloc(1, sizeof(*w));
    if (w == NULL) return NULL;
    w->owner = s;
    w->n = n;
    n->user = w;
    if (n->stack) (void)sim_node_add_reboot_hook(n, node_rebooting, s);
    s->nodes[s->node_count++] = w;
    return w;
}

shoal_node *shoal_node_new(shoal_sim *s, const char *name, int forwarding)
{
    int err;
    return shoal_wrap_node(s, sim_node_new_stack(s->sim, name, forwarding != 0, &err));
}

shoal_node *shoal_raw_host_new(shoal_sim *s, const char *name)
{
    int err;
    return shoal_wrap_node(s, sim_node_new_raw(s->sim, name, &err));
}

uint64_t shoal_node_memory(const shoal_node *node)
{
    const struct stack *st = node->n->stack;
    return st ? stack_memory_size(stack_config(st)) : 0;
}

/* Raw hosts have no stack; they report their own frame counters. */
static int raw_host_stat(const struct sim_node *n, int index, const char **name, uint64_t *value)
{
    switch (index) {
    case 0: *name = "host.rx"; *value = n->rx_frames; return 1;
    case 1: *name = "host.tx"; *value = n->tx_frames; return 1;
    case 2: *name = "host.rx_overflow"; *value = n->rx_overflow; return 1;
    case 3: *name = "host.rx_queued"; *value = n->rx_queued; return 1;
    default: return 0;
    }
}

int shoal_node_stat(const shoal_node *node, int index, const char **name, uint64_t *value)
{
    if (index < 0) return 0;
    const struct sim_node *n = node->n;
    if (n->dev_ops) return n->dev_ops->stat ? n->dev_ops->stat(n->dev, index, name, value) : 0;
    if (n->stack == NULL) return raw_host_stat(n, index, name, value);
    return stack_stats_entry(n->stack, (size_t)index, name, value) ? 1 : 0;
}

static struct netif *find_netif(const shoal_node *node, int ifindex)
{
    if (node->n->stack == NULL || ifindex < 1 || ifindex > 255) return NULL;
    return netif_find_by_index(node->n->stack, (uint8_t)ifindex);
}

int shoal_node_route_add(shoal_node *node, uint32_t prefix, int prefix_len, uint32_t via, int ifindex)
{
    if (node->n->stack == NULL || prefix_len < 0 || prefix_len > 32) return SHOAL_EBADARG;
    struct netif *netif = NULL;
    if (ifindex != 0) {
        netif = find_netif(node, ifindex);
        if (netif == NULL) return SHOAL_ENOTFOUND;
    } else if (via == 0) {
        return SHOAL_EBADARG; /* neither a gateway nor an interface */
    }
    ip4_addr_t mask = ip4_netmask_from_prefix((unsigned)prefix_len);
    ip4_addr_t pfx = ip4_addr_from_u32(prefix);
    pfx.addr &= mask.addr;
    ip4_addr_t gw = ip4_addr_from_u32(via);
    err_t e = ip4_route_add(node->n->stack, &pfx, (uint8_t)prefix_len, &gw, netif);
    sim_node_kick(node->n);
    return e;
}

int shoal_node_route_del(shoal_node *node, uint32_t prefix, int prefix_len)
{
    if (node->n->stack == NULL || prefix_len < 0 || prefix_len > 32) return SHOAL_EBADARG;
    ip4_addr_t mask = ip4_netmask_from_prefix((unsigned)prefix_len);
    ip4_addr_t pfx = ip4_addr_from_u32(prefix);
    pfx.addr &= mask.addr;
    err_t e = ip4_route_del(node->n->stack, &pfx, (uint8_t)prefix_len);
    sim_node_kick(node->n);
    return e;
}

/* ---- links ---- */

shoal_link *shoal_link_new(shoal_sim *s, shoal_node *a, shoal_node *b, const char *name,
                           const shoal_link_params *params, const char *pcap_path)
{
    if (a == NULL || b == NULL || a->owner != s || b->owner != s) return NULL;
    char auto_name[256];
    if (name == NULL) {
        /* "a-b", then "a-b-2", "a-b-3", ... like the Python API's default. */
        snprintf(auto_name, sizeof(auto_name), "%s-%s", a->n->name, b->n->name);
        size_t base_len = strlen(auto_name);
        for (unsigned k = 2; name_table_get(&s->link_names, auto_name) != NULL; k++)
            snprintf(auto_name + base_len, sizeof(auto_name) - base_len, "-%u", k);
        name = auto_name;
    }
    if (name_table_get(&s->link_names, name) != NULL) return NULL;
    struct eth_p2p_params p = {0};
    if (params) {
        p.rate_bps = params->rate_bps;
        p.delay_ns = params->delay_ns;
        p.jitter_ns = params->jitter_ns;
        p.loss = params->loss;
        p.mtu = params->mtu;
        p.queue_frames = params->queue_frames;
        p.allow_reorder = params->allow_reorder != 0;
    }
    if (s->link_count == s->link_cap) {
        size_t ncap = s->link_cap ? s->link_cap * 2 : 16;
        shoal_link **nl = realloc(s->links, ncap * sizeof(*nl));
        if (nl == NULL) return NULL;
        s->links = nl;
        s->link_cap = ncap;
    }
    shoal_link *w = calloc(1, sizeof(*w));
    if (w == NULL) return NULL;
    int err = 0;
    w->l = eth_p2p_new(s->sim, a->n, b->n, name, &p, pcap_path, &err);
    if (w->l == NULL) {
        /* binding.h has no error out-parameter here: NULL says it all
         * (bad argument, no free netif, pcap not writable). */
        free(w);
        return NULL;
    }
    /* The ports now point at the link, so it stays registered even if the
     * name table cannot grow (then only the uniqueness check is lost). */
    (void)name_table_put(&s->link_names, w->l->name, w);
    s->links[s->link_count++] = w;
    return w;
}

int shoal_link_ifindex(const shoal_link *link, const shoal_node *node)
{
    int idx = link_ifindex(link->l, node->n);
    return idx > 0 ? idx : SHOAL_ENOTFOUND;
}

int shoal_link_stat(const shoal_link *link, int index, const char **name, uint64_t *value)
{
    return link_stat(link->l, index, name, value);
}

void shoal_link_flush(shoal_link *link) { link_flush(link->l); }

/* The binding's field bits are the link's own, named for Python. */
_Static_assert((unsigned)SHOAL_LINK_RATE == (unsigned)ETH_P2P_RATE && (unsigned)SHOAL_LINK_DELAY == (unsigned)ETH_P2P_DELAY &&
                   (unsigned)SHOAL_LINK_JITTER == (unsigned)ETH_P2P_JITTER && (unsigned)SHOAL_LINK_LOSS == (unsigned)ETH_P2P_LOSS &&
                   (unsigned)SHOAL_LINK_QUEUE == (unsigned)ETH_P2P_QUEUE && (unsigned)SHOAL_LINK_ALLOW_REORDER == (unsigned)ETH_P2P_ALLOW_REORDER &&
                   (unsigned)SHOAL_LINK_BURST == (unsigned)ETH_P2P_BURST && (unsigned)SHOAL_LINK_DUPLICATE == (unsigned)ETH_P2P_DUPLICATE &&
                   (unsigned)SHOAL_LINK_REORDER == (unsigned)ETH_P2P_REORDER && (unsigned)SHOAL_LINK_CORRUPT == (unsigned)ETH_P2P_CORRUPT &&
                   (unsigned)SHOAL_LINK_BER == (unsigned)ETH_P2P_BER,
               "binding.h and eth_p2p.h disagree on link field bits");

static int link_err_code(int rc)
{
    switch (rc) {
    case 0: return 0;
    case LINK_ENOMEM: return SHOAL_ENOMEM;
    default: return SHOAL_EBADARG;
    }
}

int shoal_link_set_impairments(shoal_link *link, const shoal_node *sender, const shoal_link_impair *imp,
                               uint64_t at_ns)
{
    if (link == NULL || imp == NULL) return SHOAL_EBADARG;
    if (sender != NULL && link_ifindex(link->l, sender->n) < 0) return SHOAL_ENOTFOUND;
    struct eth_p2p_params v = {
        .rate_bps = imp->rate_bps,
        .delay_ns = imp->delay_ns,
        .jitter_ns = imp->jitter_ns,
        .loss = imp->loss,
        .queue_frames = imp->queue_frames,
        .allow_reorder = imp->allow_reorder != 0,
        .burst = {.p = imp->burst_p, .r = imp->burst_r, .loss_good = imp->burst_loss_good,
                  .loss_bad = imp->burst_loss_bad},
        .duplicate = imp->duplicate,
        .reorder = imp->reorder,
        .reorder_delay_ns = imp->reorder_delay_ns,
        .corrupt = imp->corrupt,
        .ber = imp->ber,
    };
    int rc = eth_p2p_set(link->l, sender ? sender->n : NULL, imp->fields, &v, at_ns);
    return link_err_code(rc);
}

int shoal_link_get_impairments(const shoal_link *link, const shoal_node *sender, shoal_link_impair *out)
{
    if (link == NULL || out == NULL) return SHOAL_EBADARG;
    if (sender != NULL && link_ifindex(link->l, sender->n) < 0) return SHOAL_ENOTFOUND;
    struct eth_p2p_params v;
    int rc = eth_p2p_get(link->l, sender ? sender->n : NULL, &v);
    if (rc != 0) return link_err_code(rc);
    *out = (shoal_link_impair){
        .fields = ETH_P2P_ALL_FIELDS,
        .rate_bps = v.rate_bps,
        .delay_ns = v.delay_ns,
        .jitter_ns = v.jitter_ns,
        .loss = v.loss,
        .queue_frames = v.queue_frames,
        .allow_reorder = v.allow_reorder,
        .burst_p = v.burst.p,
        .burst_r = v.burst.r,
        .burst_loss_good = v.burst.loss_good,
        .burst_loss_bad = v.burst.loss_bad,
        .duplicate = v.duplicate,
        .reorder = v.reorder,
        .reorder_delay_ns = v.reorder_delay_ns,
        .corrupt = v.corrupt,
        .ber = v.ber,
    };
    return 0;
}

int shoal_link_set_up(shoal_link *link, int up, uint64_t at_ns)
{
    if (link == NULL) return SHOAL_EBADARG;
    return link_err_code(eth_p2p_set_up(link->l, up != 0, at_ns));
}

int shoal_link_is_up(const shoal_link *link)
{
    return link != NULL && eth_p2p_is_up(link->l) ? 1 : 0;
}

/* ---- interfaces ---- */

int shoal_iface_set_ip4(shoal_node *node, int ifindex, uint32_t addr, int prefix_len, uint32_t gateway)
{
    if (node->n->stack == NULL) return SHOAL_EBADARG;
    if (prefix_len < 0 || prefix_len > 32) return SHOAL_EBADARG;
    struct netif *netif = find_netif(node, ifindex);
    if (netif == NULL) return SHOAL_ENOTFOUND;
    ip4_addr_t a = ip4_addr_from_u32(addr);
    ip4_addr_t m = ip4_netmask_from_prefix((unsigned)prefix_len);
    ip4_addr_t g = ip4_addr_from_u32(gateway);
    netif_set_ip4(netif, &a, &m, &g);
    sim_node_kick(node->n);
    return 0;
}

static int prefix_len_of(uint32_t mask_host_order)
{
    int n = 0;
    while (mask_host_order & 0x80000000u) {
        n++;
        mask_host_order <<= 1;
    }
    return n;
}

int shoal_iface_ip4(const shoal_node *node, int ifindex, uint32_t *addr, int *prefix_len)
{
    if (node->n->stack == NULL) {
        /* A raw host's port has no address, but it exists. */
        if (sim_node_port(node->n, ifindex) == NULL) return SHOAL_ENOTFOUND;
        if (addr) *addr = 0;
        if (prefix_len) *prefix_len = 0;
        return 0;
    }
    struct netif *netif = find_netif(node, ifindex);
    if (netif == NULL) return SHOAL_ENOTFOUND;
    if (addr) *addr = ip4_addr_to_u32(netif->ip4);
    if (prefix_len) *prefix_len = netif->ip4.addr ? prefix_len_of(ip4_addr_to_u32(netif->netmask)) : 0;
    return 0;
}

int shoal_iface_mac(const shoal_node *node, int ifindex, uint8_t *mac6)
{
    if (node->n->stack) {
        struct netif *netif = find_netif(node, ifindex);
        if (netif == NULL) return SHOAL_ENOTFOUND;
        memcpy(mac6, netif->hwaddr, 6);
        return 0;
    }
    const struct sim_port *p = sim_node_port(node->n, ifindex);
    if (p == NULL) return SHOAL_ENOTFOUND;
    memcpy(mac6, p->mac, 6);
    return 0;
}

/* ---- raw hosts ---- */

int shoal_raw_send(shoal_node *host, int ifindex, const uint8_t *frame, size_t len)
{
    struct sim_node *n = host->n;
    if (n->kind != SIM_NODE_RAW || (frame == NULL && len)) return SHOAL_EBADARG;
    if (len < 14) return SHOAL_ERUNT;
    struct sim_port *port;
    if (ifindex == 0) /* the host's only port */
        port = n->port_count == 1 ? n->ports : NULL;
    else
        port = sim_node_port(n, ifindex);
    if (port == NULL) return SHOAL_ENOTFOUND;
    return sim_port_send(port, frame, len) < 0 ? SHOAL_ETOOBIG : 0;
}

int64_t shoal_raw_recv(shoal_node *host, uint8_t *buf, size_t cap, uint64_t *time_ns, int *ifindex)
{
    if (host->n->kind != SIM_NODE_RAW) return -1;
    return sim_raw_pop(host->n, buf, cap, time_ns, ifindex);
}

/* ---- switches ---- */

shoal_node *shoal_switch_new(shoal_sim *s, const char *name, int hub, uint64_t ageing_ns, uint32_t table_size)
{
    struct eth_switch_params p = {.hub = hub != 0, .ageing_ns = ageing_ns, .table_size = table_size};
    int err;
    struct eth_switch *sw = eth_switch_new(s->sim, name, &p, &err);
    return sw ? shoal_wrap_node(s, eth_switch_node(sw)) : NULL;
}

int shoal_switch_mac_entry(shoal_node *node, int index, uint8_t *mac6, int *port_ifindex, uint64_t *age_ns)
{
    struct eth_switch *sw = eth_switch_of(node->n);
    if (sw == NULL) return SHOAL_EBADARG;
    struct sim_port *port = NULL;
    uint8_t mac[6];
    if (!eth_switch_mac_entry(sw, index, mac, &port, age_ns)) return 0;
    if (mac6) memcpy(mac6, mac, 6);
    if (port_ifindex) *port_ifindex = port->index;
    return 1;
}

int shoal_switch_partition(shoal_node *node, const uint32_t *groups, int n, uint64_t at_ns)
{
    struct eth_switch *sw = eth_switch_of(node->n);
    if (sw == NULL || n < 0 || (n > 0 && groups == NULL)) return SHOAL_EBADARG;
    int rc = eth_switch_partition(sw, groups, (size_t)n, at_ns);
    return rc == 0 ? 0 : rc == -2 ? SHOAL_ENOMEM : SHOAL_EBADARG;
}

/* ---- node faults ---- */

static int node_fault_code(int rc) { return rc == 0 ? 0 : rc == -2 ? SHOAL_ENOMEM : SHOAL_EBADARG; }

int shoal_node_set_running(shoal_node *node, int running, uint64_t at_ns)
{
    return node_fault_code(sim_node_set_running(node->n, running != 0, at_ns));
}

int shoal_node_reboot(shoal_node *node, uint64_t at_ns)
{
    return node_fault_code(sim_node_reboot(node->n, at_ns));
}

int shoal_node_state(const shoal_node *node, uint32_t *boots, uint64_t *rx_dropped, uint64_t *tx_dropped)
{
    const struct sim_node *n = node->n;
    if (boots) *boots = n->boots;
    if (rx_dropped) *rx_dropped = n->rx_stopped;
    if (tx_dropped) *tx_dropped = n->tx_stopped;
    return n->stopped ? 0 : 1;
}
