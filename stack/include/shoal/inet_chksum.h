/*
 * The Internet checksum (RFC 1071): ones' complement sum of 16-bit words.
 * Safe for odd lengths, odd starting offsets across pbuf chains, and
 * incremental updates (RFC 1624).
 */
#ifndef SHOAL_INET_CHKSUM_H
#define SHOAL_INET_CHKSUM_H

#include "shoal/def.h"
#include "shoal/ip4_addr.h"
#include "shoal/ip6_addr.h"

struct pbuf;

/* 32-bit partial sum of len bytes, as if they started at an even offset. */
uint32_t chksum_partial(const void *data, size_t len, uint32_t sum);
/* Fold a partial sum to 16 bits and complement it: the checksum field value
 * (in network byte order when stored with wr16be). */
uint16_t chksum_finish(uint32_t sum);

/* Checksum of a flat buffer. */
uint16_t inet_chksum(const void *data, size_t len);
/* Checksum of a pbuf chain; segments may have odd lengths. */
uint16_t inet_chksum_pbuf(const struct pbuf *p);
/* Checksum of `len` bytes of a chain plus the IPv4 pseudo header (RFC 768,
 * RFC 9293 3.1). len may be shorter than the chain (UDP-lite coverage). */
uint16_t inet_chksum_pseudo(const struct pbuf *p, uint8_t proto, size_t proto_len, const ip4_addr_t *src,
                            const ip4_addr_t *dst, size_t covered_len);

/* Checksum from a partial sum of the data plus the IPv4 pseudo header, for
 * callers that summed the data already (TCP caches its segments' sums). */
uint16_t inet_chksum_pseudo_sum(uint32_t data_sum, uint8_t proto, size_t proto_len, const ip4_addr_t *src,
                                const ip4_addr_t *dst);

/* The same over the IPv6 pseudo header (RFC 8200 8.1): 128-bit addresses,
 * 32-bit upper-layer length, next header. Mandatory for UDP, TCP, ICMPv6. */
uint16_t inet_chksum_pseudo6(const struct pbuf *p, uint8_t proto, size_t proto_len, const ip6_addr_t *src,
                             const ip6_addr_t *dst, size_t covered_len);
uint16_t inet_chksum_pseudo6_sum(uint32_t data_sum, uint8_t proto, size_t proto_len, const ip6_addr_t *src,
                                 const ip6_addr_t *dst);

/* RFC 1624 eqn. 3: new checksum after a 16-bit field changed from old to new. */
uint16_t chksum_adjust16(uint16_t chksum, uint16_t old_word, uint16_t new_word);

#endif
