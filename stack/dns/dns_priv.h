/* What the resolver's files share. Private to stack/dns/. */
#ifndef SHOAL_DNS_PRIV_H
#define SHOAL_DNS_PRIV_H

#include "shoal/dns.h"

/* The live entry for (name, type), or NULL; drops expired entries it meets. */
const struct dns_cache_entry *dns_cache_lookup(struct dns_resolver *r, const uint8_t *name, size_t name_len,
                                               uint16_t qtype, uint64_t now_ns);
/* Remember res (res->ttl_s seconds; 0: not at all) under (name, type). */
void dns_cache_insert(struct dns_resolver *r, const uint8_t *name, size_t name_len, uint16_t qtype,
                      const struct dns_result *res, uint64_t now_ns);

#endif
