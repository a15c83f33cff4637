#include "core/pool.h"

void pool_init(struct pool *p, const char *name, void *base, size_t elem_size, uint32_t count)
{
    p->name = name;
    p->base = base;
    p->elem_size = elem_size;
    p->count = count;
    p->used = 0;
    p->peak = 0;
    p->err = 0;
    p->fresh = 0;
    p->free_list = NULL;
    p->data_size = 0;
}

void *pool_alloc(struct pool *p)
{
    void *e;
    if (p->free_list != NULL) {
        e = p->free_list;
        p->free_list = *(void **)e;
    } else if (p->fresh < p->count) {
        e = p->base + (size_t)p->fresh * p->elem_size;
        p->fresh++;
    } else {
        p->err++;
        return NULL;
    }
    p->used++;
    if (p->used > p->peak) p->peak = p->used;
    return e;
}

void pool_free(struct pool *p, void *elem)
{
    if (elem == NULL) return;
    *(void **)elem = p->free_list;
    p->free_list = elem;
    p->used--;
}
