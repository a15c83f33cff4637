/*
 * Deterministic random streams. Every node and link draws from its own
 * xoshiro256** stream, derived from the simulation seed and the object's
 * unique name, so adding an object never changes what another one sees and
 * the same seed gives the same run. No wall clock, no libc rand().
 */
#ifndef SHOAL_SIM_RNG_H
#define SHOAL_SIM_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Seed a stream from a single 64-bit value (expanded with splitmix64). */
void rng_seed(struct rng *r, uint64_t seed);

/* Seed the stream of the object called `name` in namespace `domain`
 * ("node", "link", ...) of a simulation seeded with sim_seed. */
void rng_derive(struct rng *r, uint64_t sim_seed, const char *domain, const char *name);

uint64_t rng_next_u64(struct rng *r);
static inline uint32_t rng_next_u32(struct rng *r) { return (uint32_t)(rng_next_u64(r) >> 32); }

/* Uniform double in [0, 1), 53 bits of precision. */
double rng_uniform(struct rng *r);

/* Uniform integer in [lo, hi] (both included), without modulo bias. */
uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi);

/* FNV-1a (64-bit) of a NUL-terminated string, continuing from `h`. */
uint64_t rng_fnv1a(uint64_t h, const char *s);
#define RNG_FNV_OFFSET 0xcbf29ce484222325ull

#endif
