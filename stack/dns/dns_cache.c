/*
 * The resolver's answer cache: DNS_CACHE_SIZE entries keyed by (name, type),
 * positive (addresses) and negative (NXDOMAIN / NODATA, RFC 2308), each
 * living for its TTL on the instance's clock. A TTL of 0 is never cached
 * (RFC 1035 3.2.1: "zero values are interpreted to mean that the RR can only
 * be used for the transaction in progress").
 */
#include "dns_priv.h"

const struct dns_cache_entry *dns_cache_lookup(struct dns_resolver *r, const uint8_t *name, size_t name_len,
                                               uint16_t qtype, uint64_t now_ns)
{
    for (size_t i = 0; i < DNS_CACHE_SIZE; i++) {
        struct dns_cache_entry *e = &r->cache[i];
        if (!e->used) continue;
        if (e->expires_ns <= now_ns) {
            e->used = false; /* expired: gone */
            continue;
        }
        if (e->qtype == qtype && dns_name_eq(e->name, e->name_len, name, name_len)) return e;
    }
    return NULL;
}

void dns_cache_insert(struct dns_resolver *r, const uint8_t *name, size_t name_len, uint16_t qtype,
                      const struct dns_result *res, uint64_t now_ns)
{
    if (res->ttl_s == 0 || name_len == 0 || name_len > DNS_NAME_WIRE_MAX) return;
    struct dns_cache_entry *slot = NULL;
    for (size_t i = 0; i < DNS_CACHE_SIZE; i++) {
        struct dns_cache_entry *e = &r->cache[i];
        if (e->used && e->expires_ns <= now_ns) e->used = false;
        if (e->used && e->qtype == qtype && dns_name_eq(e->name, e->name_len, name, name_len)) {
            slot = e; /* a fresher answer replaces the old one */
            break;
        }
        if (!e->used) {
            if (slot == NULL || slot->used) slot = e;
        } else if (slot == NULL || (slot->used && e->expires_ns < slot->expires_ns)) {
            slot = e; /* full: evict whatever would expire first */
        }
    }
    if (slot == NULL) return;
    slot->used = true;
    slot->status = (uint8_t)res->status;
    slot->qtype = qtype;
    slot->count = res->count > DNS_MAX_ADDRS ? (uint8_t)DNS_MAX_ADDRS : res->count;
    for (size_t i = 0; i < slot->count; i++) slot->addrs[i] = res->addrs[i];
    slot->name_len = (uint8_t)name_len;
    for (size_t i = 0; i < name_len; i++) {
        uint8_t c = name[i];
        slot->name[i] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
    }
    slot->expires_ns = now_ns + (uint64_t)res->ttl_s * SHOAL_NS_PER_S;
    r->stats.cache_inserts++;
}

void dns_cache_flush(struct stack *s)
{
    struct dns_resolver *r = dns_get(s);
    if (r == NULL) return;
    for (size_t i = 0; i < DNS_CACHE_SIZE; i++) r->cache[i].used = false;
}
