/*
 * What binding.c and binding_sockets.c share: the structs behind the
 * opaque handles of binding.h. Not part of the CFFI cdef.
 */
#ifndef SHOAL_BINDING_INTERNAL_H
#define SHOAL_BINDING_INTERNAL_H

#include <stdbool.h>

#include "binding.h"
#include "link.h"
#include "name_table.h"
#include "node.h"
#include "shoal/ping.h"

struct shoal_udp_dgram;

struct shoal_sim {
    struct sim *sim;
    struct shoal_node **nodes;
    size_t node_count;
    size_t node_cap;
    struct shoal_link **links;
    size_t link_count;
    size_t link_cap;
    struct name_table link_names;
    /* Live socket and ping handles: detached (not freed) when the
     * simulation goes, so a late close from Python stays safe. */
    struct shoal_udp *udps;
    struct shoal_ping *pings;
    struct shoal_tcp *tcps;      /* live TCP handles (binding_tcp.c) */
};

struct shoal_node {
    struct shoal_sim *owner;
    struct sim_node *n;
};

struct shoal_link {
    struct link *l;
};

#define SHOAL_UDP_QUEUE_MAX 256u

struct shoal_udp {
    struct shoal_sim *owner;     /* NULL once detached */
    struct shoal_node *node;
    struct udp_pcb *pcb;
    struct shoal_udp *prev;
    struct shoal_udp *next;
    struct shoal_udp_dgram *queue[SHOAL_UDP_QUEUE_MAX];
    unsigned head;
    unsigned count;
    uint64_t drops;
};

struct shoal_ping {
    struct ping pg;
    struct shoal_sim *owner;     /* NULL once detached */
    struct shoal_node *node;
    struct shoal_ping *prev;
    struct shoal_ping *next;
};

/* Register a new sim node with the binding (NULL if n is NULL or memory ran out). */
shoal_node *shoal_wrap_node(struct shoal_sim *sim, struct sim_node *n);

/* Called by shoal_sim_free before the stacks go. */
void shoal_sockets_detach_all(struct shoal_sim *sim);
void shoal_tcp_detach_all(struct shoal_sim *sim);
/* Called when a node reboots, before its stack goes: its UDP sockets, pings
 * and TCP handles let go of their PCBs (calls then report SHOAL_ECLOSED). */
void shoal_sockets_detach_node(struct shoal_sim *sim, struct shoal_node *node);
void shoal_tcp_detach_node(struct shoal_sim *sim, struct shoal_node *node);

#endif
