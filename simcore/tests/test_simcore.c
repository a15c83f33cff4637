/*
 * The simulator's engine without any stack: event order (time, then
 * scheduling order), run_until/step semantics, random streams (same seed
 * and name -> same stream; other names and seeds -> other streams; ranges
 * in bounds), and the name table.
 */
#include <stdlib.h>
#include <string.h>

#include "../../stack/tests/check.h"
#include "name_table.h"
#include "rng.h"
#include "sim.h"

struct trace {
    uint64_t times[4096];
    uint64_t tags[4096];
    size_t n;
    struct sim *sim;
};

static void record(void *arg, void *payload, uint64_t tag)
{
    struct trace *t = arg;
    free(payload);
    if (t->n < 4096) {
        t->times[t->n] = t->sim->now_ns;
        t->tags[t->n] = tag;
        t->n++;
    }
}

/* Schedules a follow-up for the same instant while that instant runs. */
static void chain(void *arg, void *payload, uint64_t tag)
{
    struct trace *t = arg;
    record(arg, payload, tag);
    if (tag < 3) sim_schedule(t->sim, t->sim->now_ns, chain, t, NULL, tag + 1);
}

static void test_order(void)
{
    struct trace t = {0};
    struct sim *sim = sim_new(1);
    t.sim = sim;
    struct rng r;
    rng_seed(&r, 42);
    /* Many events on few distinct times: ties must keep scheduling order. */
    for (uint64_t i = 0; i < 2000; i++) {
        uint64_t when = rng_range(&r, 0, 20) * 1000u;
        CHECK_EQ(sim_schedule(sim, when, record, &t, malloc(8), when * 10000u + i), 0);
    }
    sim_run_until(sim, UINT64_MAX - 1);
    CHECK_EQ(t.n, 2000);
    for (size_t i = 1; i < t.n; i++) {
        CHECK(t.times[i - 1] <= t.times[i]);
        if (t.times[i - 1] == t.times[i]) CHECK(t.tags[i - 1] < t.tags[i]);
        CHECK_EQ(t.tags[i] / 10000u, t.times[i]); /* each ran at its own time */
    }
    CHECK_EQ(sim->events_run, 2000);
    /* Pending events with payloads are freed by sim_free (ASan checks). */
    sim_schedule(sim, UINT64_MAX - 1, record, &t, malloc(32), 0);
    sim_free(sim);
}

static void test_run_and_step(void)
{
    struct trace t = {0};
    struct sim *sim = sim_new(1);
    t.sim = sim;
    CHECK_EQ(sim_next_event(sim), UINT64_MAX);
    CHECK_EQ(sim_step(sim, 500), 0);
    CHECK_EQ(sim_now(sim), 500);
    sim_schedule(sim, 100, record, &t, NULL, 1); /* in the past: runs now */
    CHECK_EQ(sim_next_event(sim), 500);
    sim_schedule(sim, 1000, chain, &t, NULL, 0);
    sim_schedule(sim, 2000, record, &t, NULL, 9);
    CHECK_EQ(sim_step(sim, 10000), 1);
    CHECK_EQ(t.n, 1);
    /* One step runs the whole instant, including what it schedules for itself. */
    CHECK_EQ(sim_step(sim, 10000), 1);
    CHECK_EQ(sim_now(sim), 1000);
    CHECK_EQ(t.n, 5);
    CHECK_EQ(t.tags[4], 3);
    CHECK_EQ(sim_step(sim, 1500), 0);
    CHECK_EQ(sim_now(sim), 1500);
    sim_run_until(sim, 2000);
    CHECK_EQ(t.n, 6);
    CHECK_EQ(sim_now(sim), 2000);
    sim_run_until(sim, 1000); /* the clock never goes back */
    CHECK_EQ(sim_now(sim), 2000);
    sim_run_until(sim, UINT64_MAX);
    CHECK_EQ(sim_now(sim), UINT64_MAX);
    sim_free(sim);
}

static void test_rng(void)
{
    struct rng a, b, c, d;
    rng_derive(&a, 7, "node", "alpha");
    rng_derive(&b, 7, "node", "alpha");
    rng_derive(&c, 7, "node", "beta");
    rng_derive(&d, 8, "node", "alpha");
    int same_b = 1, same_c = 0, same_d = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = rng_next_u64(&a);
        same_b &= x == rng_next_u64(&b);
        same_c += x == rng_next_u64(&c);
        same_d += x == rng_next_u64(&d);
    }
    CHECK(same_b);
    CHECK_EQ(same_c, 0);
    CHECK_EQ(same_d, 0);
    /* Domains keep node "x" and link "x" apart. */
    rng_derive(&a, 7, "node", "x");
    rng_derive(&b, 7, "link", "x");
    CHECK(rng_next_u64(&a) != rng_next_u64(&b));

    struct rng r;
    rng_seed(&r, 1);
    unsigned hist[7] = {0};
    double sum = 0;
    for (int i = 0; i < 70000; i++) {
        uint64_t v = rng_range(&r, 10, 16);
        CHECK(v >= 10 && v <= 16);
        if (v >= 10 && v <= 16) hist[v - 10]++;
        double u = rng_uniform(&r);
        CHECK(u >= 0.0 && u < 1.0);
        sum += u;
    }
    for (int i = 0; i < 7; i++) CHECK(hist[i] > 9000 && hist[i] < 11000);
    CHECK(sum / 70000 > 0.49 && sum / 70000 < 0.51);
    CHECK_EQ(rng_range(&r, 5, 5), 5);
    CHECK_EQ(rng_range(&r, 9, 3), 9);
    (void)rng_range(&r, 0, UINT64_MAX);
}

static void test_name_table(void)
{
    struct name_table t;
    name_table_init(&t);
    static char names[1000][8];
    for (int i = 0; i < 1000; i++) {
        snprintf(names[i], sizeof(names[i]), "n%d", i);
        CHECK_EQ(name_table_put(&t, names[i], names[i]), 0);
    }
    CHECK_EQ(name_table_put(&t, "n5", NULL), -1);
    for (int i = 0; i < 1000; i++) CHECK(name_table_get(&t, names[i]) == names[i]);
    CHECK(name_table_get(&t, "n1000") == NULL);
    name_table_destroy(&t);
    CHECK(name_table_get(&t, "n1") == NULL);
}

int main(void)
{
    test_order();
    test_run_and_step();
    test_rng();
    test_name_table();
    return test_report("test_simcore");
}
