/* Byte order and small helpers shared by every module. Freestanding: no libc. */
#ifndef SHOAL_DEF_H
#define SHOAL_DEF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

static inline uint16_t shoal_htons(uint16_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return x;
#else
    return (uint16_t)((x << 8) | (x >> 8));
#endif
}
static inline uint16_t shoal_ntohs(uint16_t x) { return shoal_htons(x); }

static inline uint32_t shoal_htonl(uint32_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return x;
#else
    return ((x & 0xffu) << 24) | ((x & 0xff00u) << 8) | ((x >> 8) & 0xff00u) | (x >> 24);
#endif
}
static inline uint32_t shoal_ntohl(uint32_t x) { return shoal_htonl(x); }

/* Unaligned big-endian reads and writes for wire formats. */
static inline uint16_t rd16be(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t rd32be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void wr16be(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#define SHOAL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SHOAL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SHOAL_NS_PER_MS 1000000ull
#define SHOAL_NS_PER_S 1000000000ull
#define SHOAL_TIME_NEVER UINT64_MAX

#endif
