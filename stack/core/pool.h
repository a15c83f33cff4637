/*
 * Fixed-size element pools carved from the instance's memory (lwIP's memp,
 * per instance). Elements never used are handed out from a high-water mark
 * so that an idle instance touches none of its pool memory.
 */
#ifndef SHOAL_POOL_H
#define SHOAL_POOL_H

#include "shoal/def.h"

enum pool_id { POOL_PBUF, POOL_NETIF, POOL_UDP_PCB, POOL_RAW_PCB, POOL_ARP_QUEUE, POOL_TCP_PCB, POOL_TCP_SEG, POOL_IP4_FRAG, POOL_ND6_QUEUE, POOL_IP6_FRAG, POOL_COUNT };

struct pool {
    const char *name;
    uint8_t *base;
    size_t elem_size;
    uint32_t count;
    uint32_t used;
    uint32_t peak;
    uint32_t err;       /* allocations refused: the pool was empty */
    uint32_t fresh;     /* elements [fresh, count) have never been handed out */
    void *free_list;
    size_t data_size;   /* pbuf pool: bytes of storage per element after the header */
};

void pool_init(struct pool *p, const char *name, void *base, size_t elem_size, uint32_t count);
void *pool_alloc(struct pool *p);
void pool_free(struct pool *p, void *elem);

/* Element sizes are rounded to keep every element aligned for any type. */
#define POOL_ALIGN 16u
static inline size_t pool_align(size_t n) { return (n + POOL_ALIGN - 1u) & ~(size_t)(POOL_ALIGN - 1u); }

#endif
