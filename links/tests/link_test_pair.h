/* What the link unit tests share: two raw hosts joined by one point-to-point
 * link, and counter lookup by name. Include after check.h. */
#ifndef SHOAL_LINK_TEST_PAIR_H
#define SHOAL_LINK_TEST_PAIR_H

#include <stdio.h>
#include <string.h>

#include "eth_p2p.h"
#include "node.h"

struct pair {
    struct sim *sim;
    struct sim_node *x;
    struct sim_node *y;
    struct link *link;
};

static inline void pair_new(struct pair *p, uint64_t seed, const struct eth_p2p_params *params, const char *pcap)
{
    int err = 0;
    p->sim = sim_new(seed);
    p->x = sim_node_new_raw(p->sim, "x", &err);
    p->y = sim_node_new_raw(p->sim, "y", &err);
    p->link = eth_p2p_new(p->sim, p->x, p->y, "x-y", params, pcap, &err);
    CHECK(p->link != NULL);
}

static inline void pair_free(struct pair *p)
{
    link_free(p->link);
    sim_free(p->sim);
}

static inline uint64_t counter(const struct link *l, const char *want)
{
    const char *name;
    uint64_t v;
    for (int i = 0; link_stat(l, i, &name, &v); i++)
        if (strcmp(name, want) == 0) return v;
    fprintf(stderr, "no counter %s\n", want);
    CHECK(!"no such counter");
    return 0;
}

#endif
