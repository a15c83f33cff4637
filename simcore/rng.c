/*
 * xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, which
 * the generator's authors recommend for expanding one 64-bit seed into the
 * 256-bit state (an all-zero state is then practically impossible).
 */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

uint64_t rng_fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

void rng_derive(struct rng *r, uint64_t sim_seed, const char *domain, const char *name)
{
    /* The domain and a separator keep node "x" and link "x" apart. */
    uint64_t h = rng_fnv1a(RNG_FNV_OFFSET, domain);
    h = rng_fnv1a(h, "\x1f");
    h = rng_fnv1a(h, name);
    uint64_t x = sim_seed;
    uint64_t mixed = splitmix64(&x) ^ h;
    rng_seed(r, splitmix64(&mixed));
}

uint64_t rng_next_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_uniform(struct rng *r)
{
    return (double)(rng_next_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
    if (hi <= lo) return lo;
    uint64_t span = hi - lo;
    if (span == UINT64_MAX) return rng_next_u64(r);
    uint64_t n = span + 1;
    /* Reject the top partial block so every value is equally likely. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t v;
    do {
        v = rng_next_u64(r);
    } while (v >= limit);
    return lo + v % n;
}
