/*
 * The simulator's pending events: a binary min-heap ordered by (time,
 * insertion sequence), so events of the same instant run in the order they
 * were scheduled, identically on every run. Events are stored by value in
 * one array (no allocation per event); this is the simulator's hot path.
 */
#ifndef SHOAL_SIM_EVENT_QUEUE_H
#define SHOAL_SIM_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An event's action. `payload` (may be NULL) belongs to the event: the
 * callback takes it over (frees it or passes it on). `aux` is a free word
 * (a generation counter, an index) that saves an allocation. */
typedef void (*sim_event_fn)(void *arg, void *payload, uint64_t aux);

struct sim_event {
    uint64_t time_ns;
    uint64_t seq;
    sim_event_fn fn;
    void *arg;
    void *payload;
    uint64_t aux;
};

struct event_queue {
    struct sim_event *heap;
    size_t len;
    size_t cap;
    uint64_t next_seq;
};

void eq_init(struct event_queue *q);
/* Frees the payload of every event still pending (their callbacks never run). */
void eq_destroy(struct event_queue *q);

/* Add an event; returns 0, or -1 when memory ran out (the payload is then
 * freed here, so callers need no cleanup path). */
int eq_push(struct event_queue *q, uint64_t time_ns, sim_event_fn fn, void *arg, void *payload, uint64_t aux);

/* Remove the earliest event into *out; false when empty. */
bool eq_pop(struct event_queue *q, struct sim_event *out);

/* Time of the earliest event, UINT64_MAX when empty. */
static inline uint64_t eq_peek_time(const struct event_queue *q)
{
    return q->len ? q->heap[0].time_ns : UINT64_MAX;
}

#endif
