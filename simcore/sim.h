/*
 * The simulation: one virtual clock (unsigned 64-bit nanoseconds), the event
 * queue, the seed every random stream is derived from, and the nodes. The
 * engine knows no links: links schedule events and attach to node ports
 * (node.h) through callbacks.
 */
#ifndef SHOAL_SIM_H
#define SHOAL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event_queue.h"
#include "name_table.h"

struct sim_node;
struct sim;
struct sim_realtime;

/* Something outside the simulation that the clock must keep pace with
 * (links/realtime.c: the wall clock, once a TAP bridge is attached) takes
 * over running; the engine itself never reads a clock. */
struct sim_pacer {
    int (*step)(struct sim *sim, uint64_t limit_ns);
    void (*run_until)(struct sim *sim, uint64_t until_ns);
    void (*free)(struct sim *sim);
};

struct sim {
    uint64_t now_ns;
    uint64_t seed;
    uint64_t events_run;
    struct event_queue queue;
    struct sim_node **nodes;   /* in creation order; index i has creation index i + 1 */
    size_t node_count;
    size_t node_cap;
    struct name_table node_names;
    bool log_enabled;          /* stack log lines to stderr (env SHOAL_LOG) */
    uint8_t *scratch;          /* flattening buffer for chained frames */
    size_t scratch_cap;
    /* Pacing (NULL: pure virtual time), and the realtime pacer's state
     * (links/realtime.h), set only once a host descriptor such as a TAP is
     * attached. */
    const struct sim_pacer *pacer;
    struct sim_realtime *realtime;
};

struct sim *sim_new(uint64_t seed);
/* Drops pending events (freeing their payloads) and frees every node. */
void sim_free(struct sim *sim);

static inline uint64_t sim_now(const struct sim *sim) { return sim->now_ns; }

/* Schedule fn at absolute time t (times in the past mean now). 0, or -1 when
 * out of memory (payload freed). */
int sim_schedule(struct sim *sim, uint64_t t_ns, sim_event_fn fn, void *arg, void *payload, uint64_t aux);

/* Run every event due at or before until_ns; afterwards now == until_ns
 * (unless the clock is already past it). */
void sim_run_until(struct sim *sim, uint64_t until_ns);

/* Run all events of the next instant (including ones scheduled for that
 * instant while it runs) if it is <= limit_ns and return 1; otherwise move
 * the clock to limit_ns and return 0. */
int sim_step(struct sim *sim, uint64_t limit_ns);
/* sim_step() in pure virtual time, whatever the pacer (which paces its
 * calls to this). */
int sim_step_virtual(struct sim *sim, uint64_t limit_ns);

static inline uint64_t sim_next_event(const struct sim *sim) { return eq_peek_time(&sim->queue); }
static inline uint64_t sim_events_run(const struct sim *sim) { return sim->events_run; }

/* A buffer of at least `len` bytes owned by the simulation, valid until the
 * next call; NULL when out of memory. */
uint8_t *sim_scratch(struct sim *sim, size_t len);

#endif
