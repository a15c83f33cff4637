/* The Internet checksum (RFC 1071), over buffers and pbuf chains. */
#include "shoal/inet_chksum.h"
#include "shoal/pbuf.h"

uint32_t chksum_partial(const void *data, size_t len, uint32_t sum)
{
    const uint8_t *p = data;
    /* RFC 1071 2(B): the sum is byte-order independent, so add native
     * 32-bit words into 64 bits and swap the folded result once. */
    uint64_t acc = 0;
    while (len >= 16) {
        uint32_t w[4];
        __builtin_memcpy(w, p, 16);
        acc += (uint64_t)w[0] + w[1] + w[2] + w[3];
        p += 16;
        len -= 16;
    }
    while (len >= 4) {
        uint32_t w;
        __builtin_memcpy(&w, p, 4);
        acc += w;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t h;
        __builtin_memcpy(&h, p, 2);
        acc += h;
        p += 2;
        len -= 2;
    }
    while (acc >> 16) acc = (acc & 0xffffu) + (acc >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    acc = ((acc & 0xffu) << 8) | (acc >> 8);
#endif
    if (len) acc += (uint32_t)p[0] << 8;
    uint64_t total = (uint64_t)sum + acc;
    while (total >> 32) total = (total & 0xffffffffu) + (total >> 32);
    return (uint32_t)total;
}

uint16_t chksum_finish(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t inet_chksum(const void *data, size_t len) { return chksum_finish(chksum_partial(data, len, 0)); }

/* Sum over the first `len` bytes of a chain. A segment that ends on an odd
 * byte leaves the next one starting mid-word: sum that one byte-swapped
 * (RFC 1071 2(B): the sum is byte-order independent up to a swap). */
static uint32_t chain_sum(const struct pbuf *p, size_t len)
{
    uint32_t sum = 0;
    bool odd = false;
    for (; p != NULL && len > 0; p = p->next) {
        size_t n = SHOAL_MIN(p->len, len);
        uint32_t part = chksum_partial(p->payload, n, 0);
        while (part >> 16) part = (part & 0xffffu) + (part >> 16);
        if (odd) part = ((part & 0xffu) << 8) | (part >> 8);
        sum += part;
        if (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
        if (n & 1u) odd = !odd;
        len -= n;
    }
    return sum;
}

uint16_t inet_chksum_pbuf(const struct pbuf *p) { return chksum_finish(chain_sum(p, p->tot_len)); }

uint16_t inet_chksum_pseudo(const struct pbuf *p, uint8_t proto, size_t proto_len, const ip4_addr_t *src,
                            const ip4_addr_t *dst, size_t covered_len)
{
    uint32_t sum = chain_sum(p, covered_len);
    uint32_t s = ip4_addr_to_u32(*src), d = ip4_addr_to_u32(*dst);
    sum += (s >> 16) + (s & 0xffffu) + (d >> 16) + (d & 0xffffu);
    sum += proto;
    sum += (uint32_t)(proto_len & 0xffffu);
    return chksum_finish(sum);
}

uint16_t inet_chksum_pseudo_sum(uint32_t data_sum, uint8_t proto, size_t proto_len, const ip4_addr_t *src,
                                const ip4_addr_t *dst)
{
    uint64_t sum = data_sum;
    uint32_t s = ip4_addr_to_u32(*src), d = ip4_addr_to_u32(*dst);
    sum += (s >> 16) + (s & 0xffffu) + (d >> 16) + (d & 0xffffu) + proto + (uint32_t)(proto_len & 0xffffu);
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Sum of the IPv6 pseudo header (RFC 8200 8.1) without the data. */
static uint64_t pseudo6_sum(uint8_t proto, size_t proto_len, const ip6_addr_t *src, const ip6_addr_t *dst)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < IP6_ADDR_LEN; i += 2) {
        sum += rd16be(ip6_addr_bytes(src) + i);
        sum += rd16be(ip6_addr_bytes(dst) + i);
    }
    uint32_t len = (uint32_t)proto_len;
    sum += (len >> 16) + (len & 0xffffu) + proto;
    return sum;
}

uint16_t inet_chksum_pseudo6_sum(uint32_t data_sum, uint8_t proto, size_t proto_len, const ip6_addr_t *src,
                                 const ip6_addr_t *dst)
{
    uint64_t sum = data_sum + pseudo6_sum(proto, proto_len, src, dst);
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t inet_chksum_pseudo6(const struct pbuf *p, uint8_t proto, size_t proto_len, const ip6_addr_t *src,
                             const ip6_addr_t *dst, size_t covered_len)
{
    return inet_chksum_pseudo6_sum(chain_sum(p, covered_len), proto, proto_len, src, dst);
}

uint16_t chksum_adjust16(uint16_t chksum, uint16_t old_word, uint16_t new_word)
{
    /* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
    uint32_t sum = (uint16_t)~chksum;
    sum += (uint16_t)~old_word;
    sum += new_word;
    while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}
