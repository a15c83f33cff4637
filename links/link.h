/*
 * What every link kind shares: a unique name (which also seeds the link's
 * random stream), an optional capture file, named counters, and teardown.
 * A kind (eth_p2p.c now; switch, serial line, 802.15.4 radio later) embeds
 * struct link first and fills in link_ops. Changes at scheduled virtual
 * times (cuts, restores, re-impairment) go through link_at() below, and
 * per-frame impairments a kind may share are in impair.h. Links attach to node ports
 * (simcore/node.h) and move frames with simulator events; they never call
 * into a stack directly, so no stack is ever re-entered.
 */
#ifndef SHOAL_LINK_H
#define SHOAL_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "sim.h"

struct link;
struct sim_node;
struct pcap_writer;

struct link_ops {
    const char *kind;
    /* Counter i: its name and value; 0 past the end, 1 otherwise. */
    int (*stat)(const struct link *l, int index, const char **name, uint64_t *value);
    /* Interface index of node's port on this link, or -1. */
    int (*ifindex)(const struct link *l, const struct sim_node *node);
    /* Free the kind's own state, including the struct that embeds l. */
    void (*destroy)(struct link *l);
};

struct link {
    const struct link_ops *ops;
    struct sim *sim;
    char *name;
    struct rng rng;
    struct pcap_writer *pcap;  /* NULL: no capture */
};

/* Errors of link constructors. */
enum link_err { LINK_EBADARG = -1, LINK_ENOMEM = -2, LINK_EPCAP = -3, LINK_ENOPORT = -4 };

/* Fill the shared part; opens the capture when pcap_path is not NULL.
 * Returns 0 or a link_err. */
int link_init(struct link *l, const struct link_ops *ops, struct sim *sim, const char *name, const char *pcap_path,
              int linktype);
/* Release the shared part only (for constructors that fail half way). */
void link_fini(struct link *l);

/* Flush and close the capture, then free the link. */
void link_free(struct link *l);
void link_flush(struct link *l);
static inline int link_stat(const struct link *l, int index, const char **name, uint64_t *value)
{
    return l->ops->stat(l, index, name, value);
}
static inline int link_ifindex(const struct link *l, const struct sim_node *node)
{
    return l->ops->ifindex(l, node);
}

/* A frame in flight: copied once when it leaves a port, carried by events
 * as their owned payload until delivered or dropped. */
struct link_frame {
    struct link_frame *next; /* the kind's own queues */
    uint64_t at_ns;          /* the kind's own use (eth_p2p: start or arrival time) */
    uint64_t ser_ns;         /* the kind's own use (eth_p2p: serialisation time) */
    size_t len;
    uint64_t epoch;  /* the kind's own use (eth_p2p: which carrier period it left in); 0 when new */
    uint8_t data[];
};
struct link_frame *link_frame_new(const uint8_t *data, size_t len);

/*
 * Scheduled changes (scheduled faults): a change to a link, cut, restore or
 * re-impairment, made now or at a later virtual time as a simulator event.
 * A kind embeds struct link_change first in its own change record, which
 * must be one malloc'd block without pointers to other heap memory: if the
 * simulation ends first, the event queue frees it with free().
 */
struct link_change;
typedef void (*link_change_fn)(struct link *l, struct link_change *change);
struct link_change {
    link_change_fn apply;
};

/* Apply `change` at virtual time at_ns: at once when at_ns <= now (so a
 * script sees the effect before its next step), else as an event at at_ns;
 * changes due at the same instant apply in the order they were made. The
 * change is freed after it applied. 0, or LINK_ENOMEM (change freed). */
int link_at(struct link *l, uint64_t at_ns, struct link_change *change);

#endif
