/*
 * The DNS resolver for binding.h. A node's resolver lives in a block that
 * the caller (python/shoal/dns.py) allocates, zeroed and 8-byte aligned, of
 * shoal_dns_block_size() bytes, and keeps alive as long as the node: the
 * stack's resolver (caller-owned by design) plus SHOAL_DNS_SLOTS lookup
 * slots that the callbacks fill. Every call names the block; calls check
 * that it is still the node's resolver.
 */
#include "binding_internal.h"
#include "binding_ip.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "shoal/dns.h"
#include "shoal/timer.h"

#define SHOAL_DNS_SLOTS 64
#define SHOAL_DNS_ADDR_BYTES 17 /* family octet + 16 address octets */

enum slot_state { SLOT_FREE = 0, SLOT_PENDING, SLOT_DONE };

struct shoal_dns_block;

struct shoal_dns_slot {
    struct shoal_dns_block *blk;
    struct stack_timer deadline; /* the script's own time limit, if any */
    int state;
    struct dns_result res;
};

struct shoal_dns_block {
    struct dns_resolver r; /* first: dns_get() points here */
    struct shoal_dns_slot slots[SHOAL_DNS_SLOTS];
};

size_t shoal_dns_block_size(void) { return sizeof(struct shoal_dns_block); }

static struct stack *node_stack(shoal_node *node) { return node != NULL && node->n != NULL ? node->n->stack : NULL; }

/* The block, if it is node's attached resolver. */
static struct shoal_dns_block *block_of(shoal_node *node, void *block)
{
    struct stack *s = node_stack(node);
    if (s == NULL || block == NULL) return NULL;
    struct shoal_dns_block *b = block;
    return dns_get(s) == &b->r ? b : NULL;
}

int shoal_dns_attach(shoal_node *node, void *block)
{
    struct stack *s = node_stack(node);
    if (s == NULL || block == NULL) return SHOAL_EBADARG;
    struct shoal_dns_block *b = block;
    memset(b, 0, sizeof(*b));
    dns_init(s, &b->r);
    for (int i = 0; i < SHOAL_DNS_SLOTS; i++) b->slots[i].blk = b;
    sim_node_kick(node->n);
    return 0;
}

int shoal_dns_set_server(shoal_node *node, void *block, int idx, uint32_t addr)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    if (idx < 0 || idx >= (int)DNS_MAX_SERVERS) return SHOAL_EBADARG;
    ip4_addr_t a = ip4_addr_from_u32(addr);
    return dns_set_server(node_stack(node), (uint8_t)idx, &a);
}

int shoal_dns_get_server(shoal_node *node, void *block, int idx, uint32_t *addr)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    if (idx < 0 || idx >= (int)DNS_MAX_SERVERS) return SHOAL_EBADARG;
    *addr = ip4_addr_to_u32(dns_get_server(node_stack(node), (uint8_t)idx));
    return 0;
}

int shoal_dns_set_server_ip(shoal_node *node, void *block, int idx, int family, const uint8_t *addr16, int zone)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    if (idx < 0 || idx >= (int)DNS_MAX_SERVERS) return SHOAL_EBADARG;
    if (family == 0) return dns_set_server_ip(node_stack(node), (uint8_t)idx, NULL);
    ip_addr_t ip;
    int rc = binding_ip_in(node_stack(node), family, addr16, zone, &ip);
    if (rc != 0) return rc;
    return dns_set_server_ip(node_stack(node), (uint8_t)idx, &ip);
}

int shoal_dns_get_server_ip(shoal_node *node, void *block, int idx, int *family, uint8_t *addr16, int *zone)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    if (idx < 0 || idx >= (int)DNS_MAX_SERVERS) return SHOAL_EBADARG;
    ip_addr_t ip = dns_get_server_ip(node_stack(node), (uint8_t)idx);
    binding_ip_out(&ip, family, addr16, zone);
    if (ip_addr_is_any(&ip) && family != NULL) *family = 0;
    return 0;
}

int shoal_dns_configure(shoal_node *node, void *block, int64_t timeout_ms, int rounds, int64_t ttl_min_s,
                        int64_t ttl_max_s, int64_t neg_ttl_max_s)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    if (timeout_ms == 0 || timeout_ms > 3600000 || rounds == 0 || rounds > 32 || ttl_min_s > UINT32_MAX ||
        ttl_max_s > UINT32_MAX || neg_ttl_max_s > UINT32_MAX)
        return SHOAL_EBADARG;
    if (timeout_ms > 0) b->r.timeout_ms = (uint32_t)timeout_ms;
    if (rounds > 0) b->r.rounds = (uint8_t)rounds;
    if (ttl_min_s >= 0) b->r.ttl_min_s = (uint32_t)ttl_min_s;
    if (ttl_max_s >= 0) b->r.ttl_max_s = (uint32_t)ttl_max_s;
    if (neg_ttl_max_s >= 0) b->r.neg_ttl_max_s = (uint32_t)neg_ttl_max_s;
    return 0;
}

static void slot_found(void *arg, const struct dns_result *res)
{
    struct shoal_dns_slot *sl = arg;
    if (sl->state != SLOT_PENDING) return;
    stack_timer_cancel(sl->blk->r.stack, &sl->deadline);
    sl->res = *res;
    sl->state = SLOT_DONE;
}

static void slot_deadline(struct stack *s, void *arg)
{
    struct shoal_dns_slot *sl = arg;
    if (sl->state != SLOT_PENDING) return;
    dns_cancel(s, slot_found, sl);
    memset(&sl->res, 0, sizeof(sl->res));
    sl->res.status = DNS_TIMEOUT;
    sl->state = SLOT_DONE;
}

int shoal_dns_resolve(shoal_node *node, void *block, const char *name, int qtype, uint64_t timeout_ns, int *done)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    if (name == NULL || qtype < 0 || qtype > 65535) return SHOAL_EBADARG;
    struct shoal_dns_slot *sl = NULL;
    int idx = -1;
    for (int i = 0; i < SHOAL_DNS_SLOTS && sl == NULL; i++) {
        if (b->slots[i].state == SLOT_FREE) {
            sl = &b->slots[i];
            idx = i;
        }
    }
    if (sl == NULL) return SHOAL_ENOMEM;
    struct stack *s = node_stack(node);
    memset(&sl->res, 0, sizeof(sl->res));
    memset(&sl->deadline, 0, sizeof(sl->deadline));
    sl->state = SLOT_PENDING;
    err_t e = dns_gethostbyname(s, name, slot_found, sl, (uint16_t)qtype, &sl->res);
    if (e == ERR_OK) {
        sl->state = SLOT_DONE;
    } else if (e == ERR_INPROGRESS) {
        if (timeout_ns > 0) stack_timer_arm(s, &sl->deadline, stack_now(s) + timeout_ns, slot_deadline, sl);
    } else {
        sl->state = SLOT_FREE;
        sim_node_kick(node->n);
        return e;
    }
    if (done != NULL) *done = sl->state == SLOT_DONE;
    sim_node_kick(node->n);
    return idx;
}

int shoal_dns_result(void *block, int slot, int *status, uint32_t *ttl_s, int *count, uint8_t *addrs, int cap)
{
    struct shoal_dns_block *b = block;
    if (b == NULL || slot < 0 || slot >= SHOAL_DNS_SLOTS) return SHOAL_EBADARG;
    struct shoal_dns_slot *sl = &b->slots[slot];
    if (sl->state != SLOT_DONE) return 0;
    *status = (int)sl->res.status;
    *ttl_s = sl->res.ttl_s;
    int n = sl->res.count;
    if (n > cap) n = cap;
    for (int i = 0; i < n; i++) {
        addrs[i * SHOAL_DNS_ADDR_BYTES] = sl->res.addrs[i].family;
        memcpy(addrs + i * SHOAL_DNS_ADDR_BYTES + 1, sl->res.addrs[i].bytes, 16);
    }
    *count = n;
    return 1;
}

void shoal_dns_release(shoal_node *node, void *block, int slot)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL || slot < 0 || slot >= SHOAL_DNS_SLOTS) return;
    struct shoal_dns_slot *sl = &b->slots[slot];
    if (sl->state == SLOT_PENDING) {
        struct stack *s = node_stack(node);
        dns_cancel(s, slot_found, sl);
        stack_timer_cancel(s, &sl->deadline);
        sim_node_kick(node->n);
    }
    sl->state = SLOT_FREE;
}

int shoal_dns_cache_entry(shoal_node *node, void *block, int index, char *name, size_t name_cap, int *qtype,
                          int *status, uint64_t *expires_ns, int *count, uint8_t *addrs, int cap)
{
    struct shoal_dns_block *b = block_of(node, block);
    if (b == NULL) return SHOAL_ENOTFOUND;
    uint64_t now = stack_now(node_stack(node));
    int seen = 0;
    for (size_t i = 0; i < DNS_CACHE_SIZE; i++) {
        const struct dns_cache_entry *e = &b->r.cache[i];
        if (!e->used || e->expires_ns <= now) continue;
        if (seen++ != index) continue;
        dns_name_to_text(e->name, e->name_len, name, name_cap);
        *qtype = e->qtype;
        *status = e->status;
        *expires_ns = e->expires_ns;
        int n = e->count < cap ? e->count : cap;
        for (int k = 0; k < n; k++) {
            addrs[k * SHOAL_DNS_ADDR_BYTES] = e->addrs[k].family;
            memcpy(addrs + k * SHOAL_DNS_ADDR_BYTES + 1, e->addrs[k].bytes, 16);
        }
        *count = n;
        return 1;
    }
    return 0;
}

int shoal_dns_cache_flush(shoal_node *node, void *block)
{
    if (block_of(node, block) == NULL) return SHOAL_ENOTFOUND;
    dns_cache_flush(node_stack(node));
    return 0;
}

static const struct {
    const char *name;
    size_t off;
} dns_counters[] = {
#define C(f) {#f, offsetof(struct dns_resolver_stats, f)}
    C(queries),  C(sent),     C(retransmits), C(responses), C(mismatched),    C(malformed), C(truncated),
    C(server_errors), C(nxdomain), C(nodata), C(timeouts), C(cache_hits), C(cache_inserts), C(restarts),
    C(table_full),
#undef C
};

int shoal_dns_stat(void *block, int index, const char **name, uint64_t *value)
{
    struct shoal_dns_block *b = block;
    if (b == NULL || index < 0 || index >= (int)(sizeof(dns_counters) / sizeof(dns_counters[0]))) return 0;
    uint32_t v;
    memcpy(&v, (const uint8_t *)&b->r.stats + dns_counters[index].off, sizeof(v));
    *name = dns_counters[index].name;
    *value = v;
    return 1;
}

const char *shoal_dns_status_str(int status) { return dns_status_str((enum dns_status)status); }
