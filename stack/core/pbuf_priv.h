/* pbuf layout shared by the pool sizing code. */
#ifndef SHOAL_PBUF_PRIV_H
#define SHOAL_PBUF_PRIV_H

#include "shoal/pbuf.h"
#include "core/pool.h"

/* Storage starts this far after the struct, aligned. */
#define PBUF_HDR_SIZE ((sizeof(struct pbuf) + 15u) & ~(size_t)15u)

static inline uint8_t *pbuf_storage(const struct pbuf *p) { return (uint8_t *)p + PBUF_HDR_SIZE; }

#endif
