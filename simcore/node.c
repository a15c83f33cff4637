/* Stack nodes and raw hosts: platform, wake-ups, ports; see node.h. */
/* mmap and MAP_ANONYMOUS are POSIX/BSD, hidden by strict C11. */
#define _DEFAULT_SOURCE
#include "node.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/netif.h"
#include "shoal/pbuf.h"
#include "shoal/nd6.h"

/* ---- the platform a stack instance runs on ---- */

static uint64_t plat_now(void *ctx)
{
    const struct sim_node *n = ctx;
    return n->sim->now_ns;
}

static uint32_t plat_random32(void *ctx)
{
    struct sim_node *n = ctx;
    return rng_next_u32(&n->rng);
}

/* Instances at least this big get their own anonymous mapping, except
 * under AddressSanitizer, whose redzones around a calloc'd block catch an
 * instance writing past its end (the slack of a mapping's last page would
 * hide that). */
#if defined(__SANITIZE_ADDRESS__)
#define NODE_USE_MMAP 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NODE_USE_MMAP 0
#endif
#endif
#ifndef NODE_USE_MMAP
#define NODE_USE_MMAP 1
#endif
#define NODE_MMAP_MIN_BYTES (32u * 1024u)

static void *plat_alloc(void *ctx, size_t size)
{
    struct sim_node *n = ctx;
    /* Zeroed memory whose untouched pages stay unresident: most of an idle
     * instance is its pbuf pool, which it never writes, and that is what
     * lets ten thousand nodes fit. calloc does not promise this (glibc
     * clears recycled heap memory, and only mmaps above 128 KiB), so large
     * instances map their own pages. */
    if (NODE_USE_MMAP && size >= NODE_MMAP_MIN_BYTES && n->mapped == NULL) {
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            n->mapped = p;
            n->mapped_size = size;
            return p;
        }
    }
    return calloc(1, size);
}

static void plat_free(void *ctx, void *ptr)
{
    struct sim_node *n = ctx;
    if (ptr != NULL && ptr == n->mapped) {
        munmap(ptr, n->mapped_size);
        n->mapped = NULL;
        n->mapped_size = 0;
        return;
    }
    free(ptr);
}

static void plat_log(void *ctx, enum stack_log_level level, const char *module, const char *msg, uint32_t value)
{
    const struct sim_node *n = ctx;
    static const char *const names[] = {"error", "warn", "info", "debug"};
    uint64_t t = n->sim->now_ns;
    fprintf(stderr, "[%llu.%09llu] %s %s %s: %s (%lu)\n", (unsigned long long)(t / 1000000000u),
            (unsigned long long)(t % 1000000000u), n->name, (unsigned)level < 4 ? names[level] : "?",
            module ? module : "-", msg ? msg : "", (unsigned long)value);
}

/* ---- creation ---- */

static char *copy_name(const char *name)
{
    size_t len = strlen(name);
    char *c = malloc(len + 1);
    if (c) memcpy(c, name, len + 1);
    return c;
}

static struct sim_node *node_new(struct sim *sim, const char *name, enum sim_node_kind kind, int *err)
{
    *err = -2;
    if (name == NULL || name[0] == '\0') {
        *err = -1;
        return NULL;
    }
    if (name_table_get(&sim->node_names, name) != NULL) {
        *err = -1;
        return NULL;
    }
    if (sim->node_count == sim->node_cap) {
        size_t ncap = sim->node_cap ? sim->node_cap * 2 : 16;
        struct sim_node **nn = realloc(sim->nodes, ncap * sizeof(*nn));
        if (nn == NULL) return NULL;
        sim->nodes = nn;
        sim->node_cap = ncap;
    }
    /* The creation index goes into 3 bytes of every MAC of the node. */
    if (sim->node_count >= 0xffffffu) return NULL;
    struct sim_node *n = calloc(1, sizeof(*n));
    if (n == NULL) return NULL;
    n->name = copy_name(name);
    if (n->name == NULL) {
        free(n);
        return NULL;
    }
    n->sim = sim;
    n->kind = kind;
    n->index = (uint32_t)sim->node_count + 1;
    rng_derive(&n->rng, sim->seed, "node", name);
    /* Its own stream, so the key does not shift what the node draws. */
    struct rng key_rng;
    rng_derive(&key_rng, sim->seed, "iid-secret", name);
    for (unsigned i = 0; i < sizeof(n->iid_secret); i += 4) {
        uint32_t v = rng_next_u32(&key_rng);
        memcpy(n->iid_secret + i, &v, 4);
    }
    return n;
}

static int node_register(struct sim *sim, struct sim_node *n)
{
    if (name_table_put(&sim->node_names, n->name, n) != 0) return -1;
    sim->nodes[sim->node_count++] = n;
    return 0;
}

static void node_discard(struct sim_node *n)
{
    if (n->stack) stack_free(n->stack);
    free(n->name);
    free(n);
}

void sim_node_config_default(struct stack_config *cfg, bool forwarding)
{
    stack_config_default(cfg);
    cfg->ip_forwarding = forwarding;
    /* opt.h sizes the netif pool for a microcontroller (4); a simulated
     * router or multi-homed host joins more links than that, and a netif
     * costs well under 100 bytes. */
    if (cfg->netif_count < SIM_NODE_NETIF_COUNT) cfg->netif_count = SIM_NODE_NETIF_COUNT;
}

struct sim_node *sim_node_new_stack_cfg(struct sim *sim, const char *name, const struct stack_config *cfg,
                                        int *err)
{
    struct sim_node *n = node_new(sim, name, SIM_NODE_STACK, err);
    if (n == NULL) return NULL;
    n->platform.ctx = n;
    n->platform.now_ns = plat_now;
    n->platform.random32 = plat_random32;
    n->platform.log = sim->log_enabled ? plat_log : NULL;
    n->platform.alloc = plat_alloc;
    n->platform.free = plat_free;
    n->stack = stack_new(cfg, &n->platform);
    if (n->stack != NULL) nd6_set_iid_secret(n->stack, n->iid_secret);
    if (n->stack == NULL || node_register(sim, n) != 0) {
        node_discard(n);
        return NULL;
    }
    sim_node_kick(n);
    return n;
}

struct sim_node *sim_node_new_stack(struct sim *sim, const char *name, bool forwarding, int *err)
{
    struct stack_config cfg;
    sim_node_config_default(&cfg, forwarding);
    return sim_node_new_stack_cfg(sim, name, &cfg, err);
}

struct sim_node *sim_node_new_raw(struct sim *sim, const char *name, int *err)
{
    struct sim_node *n = node_new(sim, name, SIM_NODE_RAW, err);
    if (n == NULL) return NULL;
    if (node_register(sim, n) != 0) {
        node_discard(n);
        return NULL;
    }
    return n;
}

struct sim_node *sim_node_new_device(struct sim *sim, const char *name, const struct sim_device_ops *ops, void *dev,
                                     int *err)
{
    if (ops == NULL || ops->deliver == NULL) {
        *err = -1;
        return NULL;
    }
    struct sim_node *n = node_new(sim, name, SIM_NODE_DEVICE, err);
    if (n == NULL) return NULL;
    n->dev_ops = ops;
    n->dev = dev;
    if (node_register(sim, n) != 0) {
        n->dev_ops = NULL; /* the caller still owns dev */
        node_discard(n);
        return NULL;
    }
    return n;
}

struct sim_node *sim_node_find(const struct sim *sim, const char *name)
{
    return name_table_get(&sim->node_names, name);
}

void sim_node_free(struct sim_node *n)
{
    if (n == NULL) return;
    /* The stack goes first: it may still call linkoutput while tearing down
     * (it must not, but the ports are still valid if it does). */
    if (n->stack) {
        stack_free(n->stack);
        n->stack = NULL;
    }
    struct sim_port *p = n->ports;
    while (p) {
        struct sim_port *next = p->next;
        free(p);
        p = next;
    }
    struct raw_frame *f = n->rx_head;
    while (f) {
        struct raw_frame *next = f->next;
        free(f);
        f = next;
    }
    if (n->dev_ops && n->dev_ops->destroy) n->dev_ops->destroy(n->dev);
    free(n->name);
    free(n);
}

/* ---- timers ---- */

static void node_wake(void *arg, void *payload, uint64_t gen)
{
    (void)payload;
    struct sim_node *n = arg;
    if (!n->wake_pending || gen != n->wake_gen) return; /* superseded */
    n->wake_pending = false;
    if (n->stopped) return;
    stack_run_timers(n->stack, n->sim->now_ns);
    sim_node_kick(n);
}

void sim_node_kick(struct sim_node *n)
{
    if (n->stack == NULL || n->stopped) return;
    uint64_t d = stack_next_deadline(n->stack);
    if (d == SHOAL_TIME_NEVER) return;
    if (d < n->sim->now_ns) d = n->sim->now_ns;
    if (n->wake_pending && n->wake_ns <= d) return;
    n->wake_gen++;
    n->wake_pending = true;
    n->wake_ns = d;
    if (sim_schedule(n->sim, d, node_wake, n, NULL, n->wake_gen) != 0) n->wake_pending = false;
}

/* ---- ports ---- */

static err_t port_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct sim_port *port = netif->state;
    if (port->tx == NULL) return ERR_IF;
    if (port->node->stopped) {
        /* A stopped node's frames go nowhere (a script may still call
         * into its stack); not the stack's error. */
        port->node->tx_stopped++;
        return ERR_OK;
    }
    const uint8_t *data;
    size_t len = p->tot_len;
    if (p->next == NULL && p->len == len) {
        data = p->payload;
    } else {
        uint8_t *buf = sim_scratch(port->node->sim, len ? len : 1);
        if (buf == NULL) return ERR_MEM;
        pbuf_copy_partial(p, buf, len, 0);
        data = buf;
    }
    /* Drops on the wire or in the link's queue are not the stack's business,
     * as with a real NIC; only a frame the link can never carry is an error. */
    return port->tx(port->link, port, data, len) < 0 ? ERR_IF : ERR_OK;
}

static void make_mac(uint8_t mac[6], uint32_t node_index, int port_index)
{
    /* 02:NN:NN:NN:II:II: locally administered, unicast, and readable. */
    mac[0] = 0x02;
    mac[1] = (uint8_t)(node_index >> 16);
    mac[2] = (uint8_t)(node_index >> 8);
    mac[3] = (uint8_t)node_index;
    mac[4] = (uint8_t)((unsigned)port_index >> 8);
    mac[5] = (uint8_t)port_index;
}

/* The stack netif of a port: the position-th of its node ("eth0", ...). */
static struct netif *port_netif_add(struct sim_node *n, struct sim_port *port, uint32_t position)
{
    char name[NETIF_NAME_LEN];
    snprintf(name, sizeof(name), "eth%u", (unsigned)(position % 1000u));
    struct netif_init init = {
        .kind = NETIF_ETHERNET,
        .name = name,
        .hwaddr = port->mac,
        .hwaddr_len = 6,
        .mtu = (uint16_t)(port->mtu > 0xffffu ? 0xffffu : port->mtu),
        .linkoutput = port_linkoutput,
        .state = port,
    };
    return netif_add(n->stack, &init);
}

struct sim_port *sim_node_attach(struct sim_node *n, uint32_t mtu, sim_port_tx_fn tx, void *link)
{
    if (n->port_count >= 0xffffu) return NULL;
    struct sim_port *port = calloc(1, sizeof(*port));
    if (port == NULL) return NULL;
    port->node = n;
    port->mtu = mtu;
    port->tx = tx;
    port->link = link;
    if (n->stack) {
        make_mac(port->mac, n->index, 0);
        struct netif *netif = port_netif_add(n, port, n->port_count);
        if (netif == NULL) {
            free(port);
            sim_node_kick(n);
            return NULL;
        }
        /* The index is the stack's to choose; the MAC carries it, so it is
         * completed once known (the netif is still down: nothing was sent). */
        port->netif = netif;
        port->index = netif->index;
        make_mac(port->mac, n->index, port->index);
        memcpy(netif->hwaddr, port->mac, 6);
    } else {
        port->index = (int)n->port_count + 1;
        make_mac(port->mac, n->index, port->index);
    }
    if (n->ports_tail) n->ports_tail->next = port;
    else n->ports = port;
    n->ports_tail = port;
    n->port_count++;
    return port;
}

void sim_port_set_up(struct sim_port *port)
{
    if (port->netif == NULL) return;
    netif_set_up(port->netif);
    netif_set_link_up(port->netif);
    sim_node_kick(port->node);
}

void sim_node_detach_last(struct sim_node *n, struct sim_port *port)
{
    if (port == NULL || port != n->ports_tail) return;
    struct sim_port *prev = NULL;
    for (struct sim_port *p = n->ports; p != port; p = p->next) prev = p;
    if (prev) prev->next = NULL;
    else n->ports = NULL;
    n->ports_tail = prev;
    n->port_count--;
    if (port->netif) {
        netif_remove(port->netif);
        sim_node_kick(n);
    }
    free(port);
}

struct sim_port *sim_node_port(const struct sim_node *n, int index)
{
    for (struct sim_port *p = n->ports; p; p = p->next)
        if (p->index == index) return p;
    return NULL;
}

int sim_port_deliver(struct sim_port *port, const uint8_t *frame, size_t len)
{
    struct sim_node *n = port->node;
    if (n->stopped) {
        n->rx_stopped++;
        return 0; /* a powered-off NIC: the link delivered, nobody listened */
    }
    if (n->dev_ops) return n->dev_ops->deliver(n->dev, port, frame, len);
    if (n->stack) {
        struct pbuf *p = pbuf_alloc(n->stack, PBUF_RAW, len);
        if (p == NULL) return -1; /* the pool counted its own error */
        pbuf_take(p, frame, len);
        netif_input(port->netif, p);
        sim_node_kick(n);
        return 0;
    }
    if (n->rx_queued >= SIM_RAW_FIFO_MAX) {
        n->rx_overflow++;
        return 0;
    }
    struct raw_frame *f = malloc(sizeof(*f) + len);
    if (f == NULL) {
        n->rx_overflow++;
        return 0;
    }
    f->next = NULL;
    f->time_ns = n->sim->now_ns;
    f->ifindex = port->index;
    f->len = len;
    memcpy(f->data, frame, len);
    if (n->rx_tail) n->rx_tail->next = f;
    else n->rx_head = f;
    n->rx_tail = f;
    n->rx_queued++;
    n->rx_frames++;
    return 0;
}

int sim_port_send(struct sim_port *port, const uint8_t *frame, size_t len)
{
    if (port->tx == NULL) return -1;
    port->node->tx_frames++;
    return port->tx(port->link, port, frame, len);
}

int64_t sim_raw_pop(struct sim_node *n, uint8_t *buf, size_t cap, uint64_t *time_ns, int *ifindex)
{
    struct raw_frame *f = n->rx_head;
    if (f == NULL) return -1;
    n->rx_head = f->next;
    if (n->rx_head == NULL) n->rx_tail = NULL;
    n->rx_queued--;
    if (buf && cap) memcpy(buf, f->data, f->len < cap ? f->len : cap);
    if (time_ns) *time_ns = f->time_ns;
    if (ifindex) *ifindex = f->ifindex;
    int64_t len = (int64_t)f->len;
    free(f);
    return len;
}

/* ---- carrier ---- */

void sim_port_set_carrier(struct sim_port *port, bool up)
{
    port->carrier_down = !up;
    struct sim_node *n = port->node;
    if (port->netif != NULL) {
        if (up) netif_set_link_up(port->netif);
        else netif_set_link_down(port->netif);
        sim_node_kick(n);
    } else if (n->dev_ops && n->dev_ops->carrier) {
        n->dev_ops->carrier(n->dev, port, up);
    }
}

/* ---- scheduled faults: stop, start, reboot ---- */

enum node_fault { FAULT_STOP, FAULT_START, FAULT_REBOOT };

static void node_set_running_now(struct sim_node *n, bool running)
{
    if (n->stopped == !running) return;
    n->stopped = !running;
    if (!running) {
        /* The pending wake-up becomes void; start re-arms it. */
        n->wake_pending = false;
        n->wake_gen++;
    } else {
        sim_node_kick(n);
    }
}

static void raw_fifo_clear(struct sim_node *n)
{
    while (n->rx_head != NULL) {
        struct raw_frame *f = n->rx_head;
        n->rx_head = f->next;
        free(f);
    }
    n->rx_tail = NULL;
    n->rx_queued = 0;
}

/* Destroy the stack and make a fresh one with the same configuration and
 * interfaces. netif_add numbers netifs 1, 2, ... in a fresh instance, and
 * the ports are re-added in their order, so every port gets its index back. */
static void node_reboot_now(struct sim_node *n)
{
    n->boots++;
    n->wake_pending = false;
    n->wake_gen++;
    if (n->stack == NULL) {
        raw_fifo_clear(n);
        n->stopped = false;
        return;
    }
    for (unsigned i = 0; i < SIM_NODE_REBOOT_HOOKS; i++)
        if (n->reboot_hooks[i].fn) n->reboot_hooks[i].fn(n->reboot_hooks[i].arg, n);
    struct stack_config cfg = *stack_config(n->stack);
    for (struct sim_port *p = n->ports; p; p = p->next) p->netif = NULL;
    stack_free(n->stack);
    n->stack = stack_new(&cfg, &n->platform);
    if (n->stack == NULL) {
        /* Out of memory: the node stays dead, as a machine that failed to boot. */
        n->stopped = true;
        return;
    }
    /* Stable addresses stay stable across reboots (RFC 7217 5). */
    nd6_set_iid_secret(n->stack, n->iid_secret);
    uint32_t position = 0;
    for (struct sim_port *p = n->ports; p; p = p->next, position++) {
        struct netif *netif = port_netif_add(n, p, position);
        if (netif == NULL || netif->index != p->index) {
            /* Cannot happen with the same configuration; a port without
             * its netif just stays silent. */
            if (netif) netif_remove(netif);
            continue;
        }
        p->netif = netif;
        netif_set_up(netif);
        if (!p->carrier_down) netif_set_link_up(netif);
    }
    n->stopped = false;
    sim_node_kick(n);
}

static void node_fault_apply(struct sim_node *n, enum node_fault what)
{
    switch (what) {
    case FAULT_STOP: node_set_running_now(n, false); break;
    case FAULT_START: node_set_running_now(n, true); break;
    case FAULT_REBOOT: node_reboot_now(n); break;
    }
}

static void node_fault_event(void *arg, void *payload, uint64_t what)
{
    (void)payload;
    node_fault_apply(arg, (enum node_fault)what);
}

static int node_fault_at(struct sim_node *n, enum node_fault what, uint64_t at_ns)
{
    if (n == NULL || n->kind == SIM_NODE_DEVICE) return -1;
    if (at_ns <= n->sim->now_ns) {
        node_fault_apply(n, what);
        return 0;
    }
    return sim_schedule(n->sim, at_ns, node_fault_event, n, NULL, (uint64_t)what) == 0 ? 0 : -2;
}

int sim_node_set_running(struct sim_node *n, bool running, uint64_t at_ns)
{
    return node_fault_at(n, running ? FAULT_START : FAULT_STOP, at_ns);
}

int sim_node_reboot(struct sim_node *n, uint64_t at_ns)
{
    return node_fault_at(n, FAULT_REBOOT, at_ns);
}

int sim_node_add_reboot_hook(struct sim_node *n, sim_node_reboot_fn fn, void *arg)
{
    for (unsigned i = 0; i < SIM_NODE_REBOOT_HOOKS; i++) {
        if (n->reboot_hooks[i].fn == NULL) {
            n->reboot_hooks[i].fn = fn;
            n->reboot_hooks[i].arg = arg;
            return 0;
        }
    }
    return -1;
}
