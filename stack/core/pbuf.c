/* Packet buffers: pool segments with headroom, chains, reference counts. */
#include <string.h>

#include "shoal/opt.h"
#include "core/pbuf_priv.h"
#include "core/stack_priv.h"

static size_t layer_headroom(enum pbuf_layer layer)
{
    switch (layer) {
    case PBUF_TRANSPORT: return SHOAL_PBUF_LINK_HLEN + SHOAL_PBUF_IP_HLEN + SHOAL_PBUF_TRANSPORT_HLEN;
    case PBUF_IP: return SHOAL_PBUF_LINK_HLEN + SHOAL_PBUF_IP_HLEN;
    case PBUF_LINK: return SHOAL_PBUF_LINK_HLEN;
    case PBUF_RAW: return 0;
    }
    return 0;
}

static struct pbuf *segment_alloc(struct pool *pool, size_t headroom, size_t len)
{
    struct pbuf *p = pool_alloc(pool);
    if (p == NULL) return NULL;
    p->next = NULL;
    p->payload = pbuf_storage(p) + headroom;
    p->len = len;
    p->tot_len = len;
    p->pool = pool;
    p->ref = 1;
    p->if_idx = 0;
    p->flags = 0;
    return p;
}

struct pbuf *pbuf_alloc(struct stack *s, enum pbuf_layer layer, size_t length)
{
    struct pool *pool = &s->pools[POOL_PBUF];
    size_t headroom = layer_headroom(layer);
    size_t seg = pool->data_size;
    size_t first = SHOAL_MIN(length, seg - headroom);
    struct pbuf *head = segment_alloc(pool, headroom, first);
    if (head == NULL) return NULL;
    head->tot_len = length;
    struct pbuf *last = head;
    size_t rest = length - first;
    while (rest > 0) {
        size_t n = SHOAL_MIN(rest, seg);
        struct pbuf *q = segment_alloc(pool, 0, n);
        if (q == NULL) {
            pbuf_free(head);
            return NULL;
        }
        q->tot_len = rest;
        last->next = q;
        last = q;
        rest -= n;
    }
    return head;
}

unsigned pbuf_free(struct pbuf *p)
{
    unsigned freed = 0;
    while (p != NULL) {
        if (--p->ref > 0) break; /* still referenced: so is the rest of its chain */
        struct pbuf *next = p->next;
        pool_free(p->pool, p);
        freed++;
        p = next;
    }
    return freed;
}

void pbuf_ref(struct pbuf *p)
{
    if (p != NULL) p->ref++;
}

unsigned pbuf_clen(const struct pbuf *p)
{
    unsigned n = 0;
    for (; p != NULL; p = p->next) n++;
    return n;
}

err_t pbuf_add_header(struct pbuf *p, size_t n)
{
    if (p == NULL || (size_t)(p->payload - pbuf_storage(p)) < n) return ERR_BUF;
    p->payload -= n;
    p->len += n;
    p->tot_len += n;
    return ERR_OK;
}

err_t pbuf_remove_header(struct pbuf *p, size_t n)
{
    if (p == NULL || n > p->len) return ERR_BUF;
    p->payload += n;
    p->len -= n;
    p->tot_len -= n;
    return ERR_OK;
}

void pbuf_realloc(struct pbuf *p, size_t new_len)
{
    if (p == NULL || new_len >= p->tot_len) return;
    size_t shrink = p->tot_len - new_len;
    size_t rem = new_len;
    struct pbuf *q = p;
    while (rem > q->len) {
        rem -= q->len;
        q->tot_len -= shrink;
        q = q->next;
    }
    q->len = rem;
    q->tot_len = rem;
    if (q->next != NULL) pbuf_free(q->next);
    q->next = NULL;
}

void pbuf_cat(struct pbuf *h, struct pbuf *t)
{
    if (h == NULL || t == NULL) return;
    struct pbuf *q = h;
    for (; q->next != NULL; q = q->next) q->tot_len += t->tot_len;
    q->tot_len += t->tot_len;
    q->next = t;
}

size_t pbuf_tailroom(const struct pbuf *p)
{
    const uint8_t *end = pbuf_storage(p) + p->pool->data_size;
    return (size_t)(end - (p->payload + p->len));
}

const uint8_t *pbuf_contig(const struct pbuf *p, size_t n)
{
    return (p != NULL && n <= p->len) ? p->payload : NULL;
}

size_t pbuf_copy_partial(const struct pbuf *p, void *dst, size_t len, size_t offset)
{
    uint8_t *out = dst;
    size_t copied = 0;
    for (; p != NULL && copied < len; p = p->next) {
        if (offset >= p->len) {
            offset -= p->len;
            continue;
        }
        size_t n = SHOAL_MIN(p->len - offset, len - copied);
        memcpy(out + copied, p->payload + offset, n);
        copied += n;
        offset = 0;
    }
    return copied;
}

err_t pbuf_take_at(struct pbuf *p, const void *src, size_t len, size_t offset)
{
    const uint8_t *in = src;
    if (p == NULL || offset > p->tot_len || len > p->tot_len - offset) return ERR_BUF;
    size_t done = 0;
    for (; p != NULL && done < len; p = p->next) {
        if (offset >= p->len) {
            offset -= p->len;
            continue;
        }
        size_t n = SHOAL_MIN(p->len - offset, len - done);
        memcpy(p->payload + offset, in + done, n);
        done += n;
        offset = 0;
    }
    return ERR_OK;
}

err_t pbuf_copy_range(struct pbuf *dst, size_t dst_off, const struct pbuf *src, size_t src_off, size_t len)
{
    if (dst == NULL || src == NULL || dst_off > dst->tot_len || len > dst->tot_len - dst_off ||
        src_off > src->tot_len || len > src->tot_len - src_off)
        return ERR_BUF;
    size_t done = 0;
    for (; src != NULL && done < len; src = src->next) {
        if (src_off >= src->len) {
            src_off -= src->len;
            continue;
        }
        size_t n = SHOAL_MIN(src->len - src_off, len - done);
        pbuf_take_at(dst, src->payload + src_off, n, dst_off + done);
        done += n;
        src_off = 0;
    }
    return ERR_OK;
}

int pbuf_try_get_at(const struct pbuf *p, size_t offset)
{
    for (; p != NULL; p = p->next) {
        if (offset < p->len) return p->payload[offset];
        offset -= p->len;
    }
    return -1;
}

struct pbuf *pbuf_clone(struct stack *s, enum pbuf_layer layer, const struct pbuf *p)
{
    struct pbuf *q = pbuf_alloc(s, layer, p->tot_len);
    if (q == NULL) return NULL;
    size_t off = 0;
    for (const struct pbuf *r = p; r != NULL; r = r->next) {
        pbuf_take_at(q, r->payload, r->len, off);
        off += r->len;
    }
    q->if_idx = p->if_idx;
    q->flags = p->flags;
    return q;
}
