/*
 * Names to objects (nodes, links): open addressing with linear probing. The
 * table stores the caller's key pointer, which must outlive its entry.
 * Lookups stay O(1) with 10,000 nodes, where a list scan would not.
 */
#ifndef SHOAL_SIM_NAME_TABLE_H
#define SHOAL_SIM_NAME_TABLE_H

#include <stddef.h>

struct name_table_slot {
    const char *key;
    void *value;
};

struct name_table {
    struct name_table_slot *slots;
    size_t cap;   /* power of two, or 0 */
    size_t count;
};

void name_table_init(struct name_table *t);
void name_table_destroy(struct name_table *t);
void *name_table_get(const struct name_table *t, const char *key);
/* 0 on success, -1 when the key exists already or memory ran out. */
int name_table_put(struct name_table *t, const char *key, void *value);

#endif
