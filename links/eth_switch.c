/*
 * Ethernet switch and hub; see eth_switch.h.
 *
 * The MAC table is an open-addressing hash table (linear probing, deletion
 * by backward shift, so no tombstones) with room for twice table_size, so
 * probes stay short. Ageing is lazy: an entry older than ageing_ns counts
 * as absent when it is looked up or listed, and is removed then (aged);
 * the switch schedules no events of its own apart from partition changes,
 * so an idle switch costs nothing.
 */
#include "eth_switch.h"

#include <stdlib.h>
#include <string.h>

#include "node.h"

#define ETH_HEADER_LEN 14u

enum sw_counter {
    C_FRAMES_IN,      /* frames that reached the switch */
    C_FORWARDED,      /* sent out of one port (known unicast) */
    C_FLOODED,        /* sent out of every other port of the group */
    C_FILTERED,       /* destination learnt on the ingress port: not sent */
    C_DROP,           /* all drops, any cause */
    C_DROP_PARTITION, /* known unicast to a port in another group */
    C_DROP_BAD_SRC,   /* group or zero source address */
    C_DROP_RESERVED,  /* 01-80-C2-00-00-0X */
    C_DROP_RUNT,      /* shorter than an Ethernet header */
    C_LEARNED,        /* new entries */
    C_MOVED,          /* an address seen on another port than learnt */
    C_AGED,           /* entries forgotten after ageing_ns */
    C_FLUSHED,        /* entries forgotten when their port lost carrier */
    C_TABLE_FULL,     /* addresses not learnt for lack of room */
    C_COUNT
};

static const char *const counter_names[C_COUNT] = {
    "frames_in", "forwarded", "flooded", "filtered", "drop", "drop_partition", "drop_bad_src",
    "drop_reserved", "drop_runt", "learned", "moved", "aged", "flushed", "table_full",
};

struct mac_entry {
    uint8_t mac[6];
    bool used;
    struct sim_port *port;
    uint64_t seen_ns;
};

struct eth_switch {
    struct sim_node *node;
    bool hub;
    uint64_t ageing_ns;
    uint32_t table_size;
    struct mac_entry *table;
    size_t cap;            /* a power of two */
    size_t used;
    uint32_t *groups;      /* by port index - 1 */
    size_t groups_len;
    uint64_t counters[C_COUNT];
};

static void count_drop(struct eth_switch *sw, enum sw_counter cause)
{
    sw->counters[cause]++;
    sw->counters[C_DROP]++;
}

/* ---- the MAC table ---- */

static size_t mac_hash(const uint8_t mac[6], size_t cap)
{
    /* FNV-1a: fixed, so the table's order is the same every run. */
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < 6; i++) {
        h ^= mac[i];
        h *= 1099511628211ull;
    }
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static bool entry_expired(const struct eth_switch *sw, const struct mac_entry *e)
{
    uint64_t now = sw->node->sim->now_ns;
    return sw->ageing_ns != 0 && now - e->seen_ns >= sw->ageing_ns;
}

/* Remove slot i and shift the probe chain after it back (Knuth 6.4 R). */
static void table_remove(struct eth_switch *sw, size_t i)
{
    size_t mask = sw->cap - 1;
    sw->table[i].used = false;
    sw->used--;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!sw->table[j].used) return;
        size_t home = mac_hash(sw->table[j].mac, sw->cap);
        /* Move j into the hole when its home is not cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            sw->table[i] = sw->table[j];
            sw->table[j].used = false;
            i = j;
        }
    }
}

/* The slot holding mac, or the empty slot where it would go (*found false). */
static size_t table_probe(const struct eth_switch *sw, const uint8_t mac[6], bool *found)
{
    size_t mask = sw->cap - 1;
    for (size_t i = mac_hash(mac, sw->cap);; i = (i + 1) & mask) {
        if (!sw->table[i].used) {
            *found = false;
            return i;
        }
        if (memcmp(sw->table[i].mac, mac, 6) == 0) {
            *found = true;
            return i;
        }
    }
}

/* The live entry for mac, or NULL (an aged one is removed on the way). */
static struct mac_entry *table_find(struct eth_switch *sw, const uint8_t mac[6])
{
    bool found;
    size_t i = table_probe(sw, mac, &found);
    if (!found) return NULL;
    if (entry_expired(sw, &sw->table[i])) {
        table_remove(sw, i);
        sw->counters[C_AGED]++;
        return NULL;
    }
    return &sw->table[i];
}

static void table_sweep_aged(struct eth_switch *sw)
{
    if (sw->ageing_ns == 0) return;
    for (size_t i = 0; i < sw->cap;) {
        if (sw->table[i].used && entry_expired(sw, &sw->table[i])) {
            table_remove(sw, i); /* slot i may now hold a shifted entry */
            sw->counters[C_AGED]++;
        } else {
            i++;
        }
    }
}

static void learn(struct eth_switch *sw, const uint8_t mac[6], struct sim_port *port)
{
    uint64_t now = sw->node->sim->now_ns;
    struct mac_entry *e = table_find(sw, mac);
    if (e != NULL) {
        if (e->port != port) {
            e->port = port;
            sw->counters[C_MOVED]++;
        }
        e->seen_ns = now;
        return;
    }
    if (sw->used >= sw->table_size) {
        table_sweep_aged(sw);
        if (sw->used >= sw->table_size) {
            sw->counters[C_TABLE_FULL]++;
            return;
        }
    }
    bool found;
    size_t i = table_probe(sw, mac, &found);
    sw->table[i] = (struct mac_entry){.used = true, .port = port, .seen_ns = now};
    memcpy(sw->table[i].mac, mac, 6);
    sw->used++;
    sw->counters[C_LEARNED]++;
}

static void flush_port(struct eth_switch *sw, const struct sim_port *port)
{
    for (size_t i = 0; i < sw->cap;) {
        if (sw->table[i].used && sw->table[i].port == port) {
            table_remove(sw, i);
            sw->counters[C_FLUSHED]++;
        } else {
            i++;
        }
    }
}

/* ---- forwarding ---- */

uint32_t eth_switch_port_group(const struct eth_switch *sw, int port_index)
{
    if (port_index < 1 || (size_t)port_index > sw->groups_len) return 0;
    return sw->groups[port_index - 1];
}

static bool is_group_addr(const uint8_t mac[6]) { return (mac[0] & 1u) != 0; }

static bool is_reserved(const uint8_t mac[6])
{
    /* IEEE 802.1D-2004 7.12.6: 01-80-C2-00-00-00 .. 0F are never relayed. */
    return mac[0] == 0x01 && mac[1] == 0x80 && mac[2] == 0xc2 && mac[3] == 0 && mac[4] == 0 && (mac[5] & 0xf0) == 0;
}

static bool is_zero(const uint8_t mac[6])
{
    static const uint8_t zero[6];
    return memcmp(mac, zero, 6) == 0;
}

static void flood(struct eth_switch *sw, struct sim_port *in, const uint8_t *frame, size_t len)
{
    uint32_t group = eth_switch_port_group(sw, in->index);
    sw->counters[C_FLOODED]++;
    /* Port order, so the copies leave in the same order every run. */
    for (struct sim_port *p = sw->node->ports; p; p = p->next) {
        if (p == in || eth_switch_port_group(sw, p->index) != group) continue;
        (void)sim_port_send(p, frame, len); /* refusals count on the egress link */
    }
}

static int sw_deliver(void *dev, struct sim_port *in, const uint8_t *frame, size_t len)
{
    struct eth_switch *sw = dev;
    sw->counters[C_FRAMES_IN]++;
    if (len < ETH_HEADER_LEN) {
        count_drop(sw, C_DROP_RUNT);
        return 0;
    }
    const uint8_t *dst = frame, *src = frame + 6;
    if (sw->hub) {
        flood(sw, in, frame, len);
        return 0;
    }
    if (is_group_addr(src) || is_zero(src)) {
        count_drop(sw, C_DROP_BAD_SRC);
        return 0;
    }
    learn(sw, src, in);
    if (is_reserved(dst)) {
        count_drop(sw, C_DROP_RESERVED);
        return 0;
    }
    const struct mac_entry *e = is_group_addr(dst) ? NULL : table_find(sw, dst);
    if (e == NULL) {
        flood(sw, in, frame, len);
    } else if (e->port == in) {
        sw->counters[C_FILTERED]++;
    } else if (eth_switch_port_group(sw, e->port->index) != eth_switch_port_group(sw, in->index)) {
        count_drop(sw, C_DROP_PARTITION);
    } else {
        sw->counters[C_FORWARDED]++;
        (void)sim_port_send(e->port, frame, len);
    }
    return 0;
}

static void sw_carrier(void *dev, struct sim_port *port, bool up)
{
    /* 802.1D 17.11 (topology change): what was learnt on a port that lost
     * its link is stale; forget it rather than send into a dead port. */
    if (!up) flush_port(dev, port);
}

static int sw_stat(const void *dev, int index, const char **name, uint64_t *value)
{
    return eth_switch_stat(dev, index, name, value);
}

static void sw_destroy(void *dev)
{
    struct eth_switch *sw = dev;
    free(sw->table);
    free(sw->groups);
    free(sw);
}

static const struct sim_device_ops switch_ops = {
    .kind = "eth_switch",
    .deliver = sw_deliver,
    .carrier = sw_carrier,
    .stat = sw_stat,
    .destroy = sw_destroy,
};

/* ---- partitions ---- */

struct partition_change {
    size_t n;
    uint32_t groups[];
};

static void apply_partition(struct eth_switch *sw, const struct partition_change *c)
{
    /* The new array is sized at scheduling time; ports added later are in group 0. */
    if (sw->groups_len) memset(sw->groups, 0, sw->groups_len * sizeof(*sw->groups));
    if (c->n > sw->groups_len) {
        uint32_t *g = realloc(sw->groups, c->n * sizeof(*g));
        if (g == NULL) return; /* keeps the old (healed) state */
        sw->groups = g;
        sw->groups_len = c->n;
    }
    if (c->n) memcpy(sw->groups, c->groups, c->n * sizeof(*c->groups));
}

static void partition_event(void *arg, void *payload, uint64_t aux)
{
    (void)aux;
    apply_partition(arg, payload);
    free(payload);
}

int eth_switch_partition(struct eth_switch *sw, const uint32_t *groups, size_t n, uint64_t at_ns)
{
    if (sw == NULL || (n && groups == NULL) || n > 0xffffu) return -1;
    struct partition_change *c = malloc(sizeof(*c) + n * sizeof(uint32_t));
    if (c == NULL) return -2;
    c->n = n;
    if (n) memcpy(c->groups, groups, n * sizeof(uint32_t));
    struct sim *sim = sw->node->sim;
    if (at_ns <= sim->now_ns) {
        apply_partition(sw, c);
        free(c);
        return 0;
    }
    return sim_schedule(sim, at_ns, partition_event, sw, c, 0) == 0 ? 0 : -2;
}

/* ---- the rest ---- */

int eth_switch_stat(const struct eth_switch *sw, int index, const char **name, uint64_t *value)
{
    if (index < 0 || index >= C_COUNT) return 0;
    *name = counter_names[index];
    *value = sw->counters[index];
    return 1;
}

int eth_switch_mac_entry(struct eth_switch *sw, int index, uint8_t mac[6], struct sim_port **port, uint64_t *age_ns)
{
    if (index < 0) return 0;
    table_sweep_aged(sw);
    int k = 0;
    for (size_t i = 0; i < sw->cap; i++) {
        if (!sw->table[i].used) continue;
        if (k++ != index) continue;
        if (mac) memcpy(mac, sw->table[i].mac, 6);
        if (port) *port = sw->table[i].port;
        if (age_ns) *age_ns = sw->node->sim->now_ns - sw->table[i].seen_ns;
        return 1;
    }
    return 0;
}

size_t eth_switch_mac_count(struct eth_switch *sw)
{
    table_sweep_aged(sw);
    return sw->used;
}

struct sim_node *eth_switch_node(const struct eth_switch *sw) { return sw->node; }

struct eth_switch *eth_switch_of(const struct sim_node *node)
{
    return node != NULL && node->dev_ops == &switch_ops ? node->dev : NULL;
}

bool eth_switch_is_hub(const struct eth_switch *sw) { return sw->hub; }

struct eth_switch *eth_switch_new(struct sim *sim, const char *name, const struct eth_switch_params *params, int *err)
{
    struct eth_switch_params def = {.ageing_ns = ETH_SWITCH_DEFAULT_AGEING_NS};
    if (params == NULL) params = &def;
    uint32_t size = params->table_size ? params->table_size : ETH_SWITCH_DEFAULT_TABLE;
    if (sim == NULL || size > ETH_SWITCH_MAX_TABLE) {
        *err = -1;
        return NULL;
    }
    struct eth_switch *sw = calloc(1, sizeof(*sw));
    if (sw == NULL) {
        *err = -2;
        return NULL;
    }
    sw->hub = params->hub;
    sw->ageing_ns = params->ageing_ns;
    sw->table_size = size;
    sw->cap = 16;
    while (sw->cap < 2u * (size_t)size) sw->cap *= 2;
    sw->table = calloc(sw->cap, sizeof(*sw->table));
    if (sw->table == NULL) {
        free(sw);
        *err = -2;
        return NULL;
    }
    sw->node = sim_node_new_device(sim, name, &switch_ops, sw, err);
    if (sw->node == NULL) {
        sw_destroy(sw);
        return NULL;
    }
    return sw;
}
