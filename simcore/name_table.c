/* Open-addressing string map; see name_table.h. No deletion is needed:
 * objects live as long as their simulation. */
#include "name_table.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

void name_table_init(struct name_table *t)
{
    t->slots = NULL;
    t->cap = 0;
    t->count = 0;
}

void name_table_destroy(struct name_table *t)
{
    free(t->slots);
    name_table_init(t);
}

static size_t find_slot(const struct name_table_slot *slots, size_t cap, const char *key)
{
    size_t i = (size_t)rng_fnv1a(RNG_FNV_OFFSET, key) & (cap - 1);
    while (slots[i].key != NULL && strcmp(slots[i].key, key) != 0) i = (i + 1) & (cap - 1);
    return i;
}

void *name_table_get(const struct name_table *t, const char *key)
{
    if (t->cap == 0) return NULL;
    size_t i = find_slot(t->slots, t->cap, key);
    return t->slots[i].key ? t->slots[i].value : NULL;
}

static int grow(struct name_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    struct name_table_slot *ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL) return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].key == NULL) continue;
        ns[find_slot(ns, ncap, t->slots[i].key)] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return 0;
}

int name_table_put(struct name_table *t, const char *key, void *value)
{
    /* Keep the load factor under one half so probes stay short. */
    if ((t->count + 1) * 2 > t->cap && grow(t) != 0) return -1;
    size_t i = find_slot(t->slots, t->cap, key);
    if (t->slots[i].key != NULL) return -1;
    t->slots[i].key = key;
    t->slots[i].value = value;
    t->count++;
    return 0;
}
