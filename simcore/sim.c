/* Clock and run loop of the simulation; see sim.h. */
#include "sim.h"
#include "node.h"

#include <stdlib.h>

struct sim *sim_new(uint64_t seed)
{
    struct sim *sim = calloc(1, sizeof(*sim));
    if (sim == NULL) return NULL;
    sim->seed = seed;
    eq_init(&sim->queue);
    name_table_init(&sim->node_names);
    const char *log = getenv("SHOAL_LOG");
    sim->log_enabled = log != NULL && log[0] != '\0' && log[0] != '0';
    return sim;
}

void sim_free(struct sim *sim)
{
    if (sim == NULL) return;
    /* Events first: their callbacks may point at nodes. */
    eq_destroy(&sim->queue);
    for (size_t i = 0; i < sim->node_count; i++) sim_node_free(sim->nodes[i]);
    free(sim->nodes);
    name_table_destroy(&sim->node_names);
    free(sim->scratch);
    if (sim->pacer != NULL) sim->pacer->free(sim);
    free(sim);
}

int sim_schedule(struct sim *sim, uint64_t t_ns, sim_event_fn fn, void *arg, void *payload, uint64_t aux)
{
    if (t_ns < sim->now_ns) t_ns = sim->now_ns;
    return eq_push(&sim->queue, t_ns, fn, arg, payload, aux);
}

static inline void run_one(struct sim *sim)
{
    struct sim_event ev;
    eq_pop(&sim->queue, &ev);
    sim->now_ns = ev.time_ns;
    sim->events_run++;
    ev.fn(ev.arg, ev.payload, ev.aux);
}

void sim_run_until(struct sim *sim, uint64_t until_ns)
{
    if (sim->pacer != NULL) { /* e.g. a TAP is attached: keep pace with the wall */
        sim->pacer->run_until(sim, until_ns);
        return;
    }
    while (sim->queue.len != 0 && eq_peek_time(&sim->queue) <= until_ns) run_one(sim);
    if (until_ns > sim->now_ns) sim->now_ns = until_ns;
}

int sim_step(struct sim *sim, uint64_t limit_ns)
{
    if (sim->pacer != NULL) return sim->pacer->step(sim, limit_ns);
    return sim_step_virtual(sim, limit_ns);
}

int sim_step_virtual(struct sim *sim, uint64_t limit_ns)
{
    uint64_t t = eq_peek_time(&sim->queue);
    if (sim->queue.len == 0 || t > limit_ns) {
        if (limit_ns > sim->now_ns) sim->now_ns = limit_ns;
        return 0;
    }
    while (sim->queue.len != 0 && eq_peek_time(&sim->queue) == t) run_one(sim);
    return 1;
}

uint8_t *sim_scratch(struct sim *sim, size_t len)
{
    if (len > sim->scratch_cap) {
        uint8_t *n = realloc(sim->scratch, len);
        if (n == NULL) return NULL;
        sim->scratch = n;
        sim->scratch_cap = len;
    }
    return sim->scratch;
}
