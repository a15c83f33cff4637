/*
 * A platform for tests and fuzz harnesses: heap memory from calloc/free, a
 * fake clock that only moves when the test says so, and a seeded xorshift
 * generator, so every run sees the same times and the same "random" numbers.
 * Hosted code (libc allowed): never part of the stack itself.
 */
#ifndef SHOAL_TEST_PLATFORM_H
#define SHOAL_TEST_PLATFORM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shoal/stack.h"
#include "shoal/stats.h"

struct test_platform {
    struct stack_platform platform; /* hand &tp->platform to stack_new() */
    uint64_t now_ns;
    uint32_t rng;                   /* xorshift32 state, never 0 */
    unsigned allocs;                /* blocks handed out and not yet freed */
    bool verbose_log;               /* print the stack's log lines to stderr */
};

static inline uint64_t test_platform_now(void *ctx) { return ((struct test_platform *)ctx)->now_ns; }

/* xorshift32 (Marsaglia 2003): plenty for tests, and reproducible. */
static inline uint32_t test_platform_random32(void *ctx)
{
    struct test_platform *tp = ctx;
    uint32_t x = tp->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    tp->rng = x;
    return x;
}

static inline void test_platform_log(void *ctx, enum stack_log_level level, const char *module, const char *msg,
                                     uint32_t value)
{
    struct test_platform *tp = ctx;
    if (tp->verbose_log) fprintf(stderr, "[%d] %s: %s (%u)\n", (int)level, module, msg, (unsigned)value);
}

static inline void *test_platform_alloc(void *ctx, size_t size)
{
    struct test_platform *tp = ctx;
    void *p = calloc(1, size);
    if (p != NULL) tp->allocs++;
    return p;
}

static inline void test_platform_free(void *ctx, void *ptr)
{
    struct test_platform *tp = ctx;
    if (ptr != NULL) tp->allocs--;
    free(ptr);
}

static inline void test_platform_init(struct test_platform *tp, uint32_t seed)
{
    memset(tp, 0, sizeof(*tp));
    tp->rng = seed != 0 ? seed : 0x9e3779b9u;
    tp->now_ns = 1000000000ull; /* start at 1 s, so "time 0" bugs show */
    tp->platform.ctx = tp;
    tp->platform.now_ns = test_platform_now;
    tp->platform.random32 = test_platform_random32;
    tp->platform.log = test_platform_log;
    tp->platform.alloc = test_platform_alloc;
    tp->platform.free = test_platform_free;
}

/* Move the fake clock to `until_ns`, running every timer that falls due on
 * the way at its own deadline (as the simulator does). */
static inline void test_platform_advance(struct test_platform *tp, struct stack *s, uint64_t until_ns)
{
    for (unsigned guard = 0; guard < 100000u; guard++) {
        uint64_t next = stack_next_deadline(s);
        if (next > until_ns) break;
        if (next > tp->now_ns) tp->now_ns = next;
        stack_run_timers(s, tp->now_ns);
    }
    if (until_ns > tp->now_ns) tp->now_ns = until_ns;
}

/* A named counter ("pool.pbuf.used"); aborts on an unknown name so that a
 * renamed counter cannot make a test pass silently. */
static inline uint64_t test_stat(const struct stack *s, const char *name)
{
    const char *n;
    uint64_t v;
    for (size_t i = 0; stack_stats_entry(s, i, &n, &v); i++)
        if (strcmp(n, name) == 0) return v;
    fprintf(stderr, "no counter named %s\n", name);
    abort();
}

#endif
