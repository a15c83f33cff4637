/*
 * Packet buffers: chains of fixed-size segments drawn from the instance's
 * pbuf pool, with headroom in front of the payload so that each layer can
 * prepend its header without copying (lwIP's PBUF_POOL, without its heap).
 *
 * A pbuf knows the pool it came from, so pbuf_free() needs no instance.
 * Reference counted: pbuf_ref() adds a reference, pbuf_free() drops one and
 * returns the segments of the chain whose count reached zero.
 */
#ifndef SHOAL_PBUF_H
#define SHOAL_PBUF_H

#include "shoal/def.h"
#include "shoal/err.h"

struct stack;
struct pool;

/* How much headroom to leave in front of the payload. */
enum pbuf_layer {
    PBUF_TRANSPORT, /* link + IP + transport headers to come */
    PBUF_IP,        /* link + IP headers to come */
    PBUF_LINK,      /* link header to come */
    PBUF_RAW        /* none: the payload is the whole frame */
};

struct pbuf {
    struct pbuf *next;   /* next segment of this packet, or NULL */
    uint8_t *payload;    /* first byte of this segment's data */
    size_t len;          /* bytes of data in this segment */
    size_t tot_len;      /* bytes in this segment and all that follow */
    struct pool *pool;   /* where the segment goes back to */
    uint16_t ref;        /* references to this segment */
    uint8_t if_idx;      /* netif the packet came in on (1-based), 0 if none */
    uint8_t flags;       /* PBUF_FLAG_* */
    /* storage of pool seg_size bytes follows */
};

#define PBUF_FLAG_LL_BROADCAST 0x01u /* received as link-layer broadcast */
#define PBUF_FLAG_LL_MULTICAST 0x02u /* received as link-layer multicast */

/* A chain able to hold `length` bytes after the layer's headroom; NULL (and
 * the pool's error counter bumped) when the pool runs out. */
struct pbuf *pbuf_alloc(struct stack *s, enum pbuf_layer layer, size_t length);

/* Drop one reference to each segment from p on; returns segments freed. NULL is fine. */
unsigned pbuf_free(struct pbuf *p);
void pbuf_ref(struct pbuf *p);

/* Segments in the chain. */
unsigned pbuf_clen(const struct pbuf *p);

/* Move the payload pointer of the first segment back (add) or forward
 * (remove) by n bytes, adjusting the lengths. ERR_BUF when it does not fit. */
err_t pbuf_add_header(struct pbuf *p, size_t n);
err_t pbuf_remove_header(struct pbuf *p, size_t n);

/* Shrink the chain to new_len bytes (never grows), freeing unused segments. */
void pbuf_realloc(struct pbuf *p, size_t new_len);

/* Append t to h (h takes over the caller's reference to t). */
void pbuf_cat(struct pbuf *h, struct pbuf *t);

/* Bytes of storage after the last byte of this segment's data. */
size_t pbuf_tailroom(const struct pbuf *p);

/* Pointer to the first n bytes when they are contiguous in the first
 * segment, else NULL. Parsers use this to bounds-check headers once. */
const uint8_t *pbuf_contig(const struct pbuf *p, size_t n);

/* Copy `len` bytes starting at `offset` out of the chain; returns bytes copied. */
size_t pbuf_copy_partial(const struct pbuf *p, void *dst, size_t len, size_t offset);

/* Copy `len` bytes into the chain starting at `offset`; ERR_BUF if it is too short. */
err_t pbuf_take_at(struct pbuf *p, const void *src, size_t len, size_t offset);
/* Copy len bytes of chain src from src_off into chain dst at dst_off, segment
 * by segment (no bounce buffer). ERR_BUF, copying nothing, when either range
 * runs past its chain. */
err_t pbuf_copy_range(struct pbuf *dst, size_t dst_off, const struct pbuf *src, size_t src_off, size_t len);
static inline err_t pbuf_take(struct pbuf *p, const void *src, size_t len) { return pbuf_take_at(p, src, len, 0); }

/* Byte at offset, or -1 beyond the end. */
int pbuf_try_get_at(const struct pbuf *p, size_t offset);

/* A new chain in s's pool with a copy of p's data and the given headroom. */
struct pbuf *pbuf_clone(struct stack *s, enum pbuf_layer layer, const struct pbuf *p);

#endif
