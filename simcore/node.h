/*
 * Nodes of the simulation. A stack node owns a stack instance and is its
 * platform (time from the virtual clock, randomness from the node's own
 * stream, memory from calloc); it wakes the instance exactly at
 * stack_next_deadline(), so an idle node schedules nothing. A raw host has
 * no stack: frames it receives wait in a bounded FIFO for the script.
 *
 * Ports are where links attach. On a stack node a port is an Ethernet netif;
 * on a raw host it is just a numbered endpoint. Links give each port a tx
 * callback and deliver frames with sim_port_deliver().
 */
#ifndef SHOAL_SIM_NODE_H
#define SHOAL_SIM_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "sim.h"
#include "shoal/stack.h"

struct netif;
struct sim_port;

/* A device is a node without a stack whose ports feed a frame handler of
 * its own: an Ethernet switch (links/eth_switch.h). */
enum sim_node_kind { SIM_NODE_STACK, SIM_NODE_RAW, SIM_NODE_DEVICE };

/* A frame out of a port, handed to the attached link, which copies what it
 * keeps. Returns 0, or a negative SHOAL_E*-style code when the link refuses
 * the frame outright (too big for it). */
typedef int (*sim_port_tx_fn)(void *link, struct sim_port *from, const uint8_t *frame, size_t len);

struct sim_port {
    struct sim_node *node;
    struct sim_port *next;     /* the node's next port */
    int index;                 /* netif index (stack) or 1, 2, ... (raw host) */
    uint8_t mac[6];
    uint32_t mtu;
    struct netif *netif;       /* stack nodes only */
    sim_port_tx_fn tx;
    void *link;
    bool carrier_down;         /* the link said its carrier is gone (sim_port_set_carrier) */
};

/* What a device node does with its ports (SIM_NODE_DEVICE). */
struct sim_device_ops {
    const char *kind;
    /* A frame arrived at one of the device's ports now. 0, or -1 when the
     * device had no memory for it (the link counts rx_nomem). */
    int (*deliver)(void *dev, struct sim_port *port, const uint8_t *frame, size_t len);
    /* A port's carrier came or went (optional). */
    void (*carrier)(void *dev, struct sim_port *port, bool up);
    /* Counter i: its name and value; 0 past the end (optional). */
    int (*stat)(const void *dev, int index, const char **name, uint64_t *value);
    /* Free the device (from sim_node_free). */
    void (*destroy)(void *dev);
};

/* Called just before a node's stack instance is destroyed by a reboot, so
 * whoever holds pointers into it (sockets, PCBs, netifs) lets go. */
typedef void (*sim_node_reboot_fn)(void *arg, struct sim_node *node);
#define SIM_NODE_REBOOT_HOOKS 4u

/* A frame waiting in a raw host's receive FIFO. */
struct raw_frame {
    struct raw_frame *next;
    uint64_t time_ns;
    int ifindex;
    size_t len;
    uint8_t data[];
};

#define SIM_RAW_FIFO_MAX 1000000u
/* Interfaces a stack node may have (links it can join). */
#define SIM_NODE_NETIF_COUNT 16u

struct sim_node {
    struct sim *sim;
    char *name;
    uint32_t index;            /* creation index, 1-based (goes into MACs) */
    enum sim_node_kind kind;
    struct rng rng;
    struct stack *stack;       /* NULL for a raw host */
    uint8_t iid_secret[16];    /* RFC 7217 key: the machine's, kept across reboots */
    struct stack_platform platform;
    void *mapped;              /* the instance's own pages (see plat_alloc) */
    size_t mapped_size;
    /* Wake-up bookkeeping: at most one live wake-up event; older ones carry
     * a stale generation and are ignored when they fire. */
    bool wake_pending;
    uint64_t wake_ns;
    uint64_t wake_gen;
    struct sim_port *ports;
    struct sim_port *ports_tail;
    uint32_t port_count;
    /* Raw host receive FIFO and counters. */
    struct raw_frame *rx_head;
    struct raw_frame *rx_tail;
    uint64_t rx_queued;
    uint64_t rx_frames;
    uint64_t rx_overflow;
    uint64_t tx_frames;
    void *user;                /* the binding's own pointer */
    /* Devices (SIM_NODE_DEVICE). */
    const struct sim_device_ops *dev_ops;
    void *dev;
    /* Scheduled faults: a stopped node drops every frame in and out and
     * runs no timers; boots counts reboots (the stack instance's generation). */
    bool stopped;
    uint32_t boots;
    uint64_t rx_stopped;       /* frames that arrived while stopped (dropped) */
    uint64_t tx_stopped;       /* frames the stack sent while stopped (dropped) */
    struct {
        sim_node_reboot_fn fn;
        void *arg;
    } reboot_hooks[SIM_NODE_REBOOT_HOOKS];
};

/* The configuration a simulated stack node gets by default: the stack's own
 * defaults (opt.h) with the simulator's adjustments and the forwarding flag. */
void sim_node_config_default(struct stack_config *cfg, bool forwarding);

/* NULL when the name is taken (*err = -1) or memory / the stack failed (-2;
 * stack_new also refuses an invalid configuration). */
struct sim_node *sim_node_new_stack(struct sim *sim, const char *name, bool forwarding, int *err);
/* The same with an explicit configuration (from sim_node_config_default,
 * then changed). */
struct sim_node *sim_node_new_stack_cfg(struct sim *sim, const char *name, const struct stack_config *cfg,
                                        int *err);
struct sim_node *sim_node_new_raw(struct sim *sim, const char *name, int *err);
/* A device node (ops and dev are the device's; sim_node_free calls
 * ops->destroy(dev)). Same errors as above. */
struct sim_node *sim_node_new_device(struct sim *sim, const char *name, const struct sim_device_ops *ops, void *dev,
                                     int *err);
struct sim_node *sim_node_find(const struct sim *sim, const char *name);
/* Only sim_free() calls this. */
void sim_node_free(struct sim_node *node);

/* After any call into the node's stack: make sure a wake-up is scheduled
 * for its next deadline. */
void sim_node_kick(struct sim_node *node);

/* Attach a new port for a link (mtu: largest payload after the Ethernet
 * header), still down. NULL when the stack has no free netif or memory ran out. */
struct sim_port *sim_node_attach(struct sim_node *node, uint32_t mtu, sim_port_tx_fn tx, void *link);
/* Bring an attached port up (a stack netif: up and link up), once the link
 * is ready to carry what the stack sends at that moment. */
void sim_port_set_up(struct sim_port *port);
struct sim_port *sim_node_port(const struct sim_node *node, int index);
/* Undo the most recent sim_node_attach() of this node (a link constructor
 * that failed half way); removes the netif. */
void sim_node_detach_last(struct sim_node *node, struct sim_port *port);

/* A link reports that a port's carrier came (up) or went: a stack netif
 * sees link up/down (ARP caches flush; on link up it announces its
 * addresses), a device its carrier callback. Recorded, so a rebooted stack
 * starts with the carrier its links have. */
void sim_port_set_carrier(struct sim_port *port, bool up);

/* ---- scheduled faults: stop, start, reboot (at_ns <= now: at once) ----
 * Stop: the node drops every frame that arrives or that its stack sends
 * and runs no timers; its state stays. Start: it resumes (timers that fell
 * due meanwhile run at once). Reboot: the stack instance is destroyed and a
 * fresh one made with the same configuration and the same interfaces
 * (indexes, MACs, MTUs, carrier) but no addresses, routes or sockets; the
 * reboot hooks run first; the node runs afterwards even if it was stopped.
 * A raw host's reboot empties its receive FIFO. Devices refuse (-1).
 * 0, -1 (bad argument) or -2 (out of memory). */
int sim_node_set_running(struct sim_node *node, bool running, uint64_t at_ns);
int sim_node_reboot(struct sim_node *node, uint64_t at_ns);
/* Register a hook (up to SIM_NODE_REBOOT_HOOKS per node); -1 when full. */
int sim_node_add_reboot_hook(struct sim_node *node, sim_node_reboot_fn fn, void *arg);

/* A frame arriving at a port now. Returns 0, or -1 when the stack's pbuf
 * pool had no room (the frame is dropped). */
int sim_port_deliver(struct sim_port *port, const uint8_t *frame, size_t len);

/* A raw host sends a frame out of a port: the link's answer. */
int sim_port_send(struct sim_port *port, const uint8_t *frame, size_t len);

/* Oldest frame in a raw host's FIFO: copies up to cap bytes, returns its
 * full length (the frame is consumed), or -1 when the FIFO is empty. */
int64_t sim_raw_pop(struct sim_node *node, uint8_t *buf, size_t cap, uint64_t *time_ns, int *ifindex);

#endif
