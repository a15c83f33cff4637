/* Burst loss and bit corruption; see impair.h. */
#include "impair.h"

#include <math.h>

bool ge_params_valid(const struct ge_params *g)
{
    return impair_prob_valid(g->p) && impair_prob_valid(g->r) && impair_prob_valid(g->loss_good) &&
           impair_prob_valid(g->loss_bad);
}

bool ge_enabled(const struct ge_params *g)
{
    /* Without p the chain never leaves the good state, so only loss_good
     * can lose frames. */
    return g->loss_good > 0.0 || (g->p > 0.0 && g->loss_bad > 0.0);
}

bool ge_frame_lost(const struct ge_params *g, struct ge_state *st, struct rng *r)
{
    double u = rng_uniform(r);
    if (st->bad) {
        if (u < g->r) st->bad = false;
    } else if (u < g->p) {
        st->bad = true;
    }
    double loss = st->bad ? g->loss_bad : g->loss_good;
    /* Certain outcomes draw nothing more: loss_bad = 1 is the common case. */
    if (loss <= 0.0) return false;
    if (loss >= 1.0) return true;
    return rng_uniform(r) < loss;
}

static void flip(uint8_t *data, size_t bit)
{
    data[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
}

size_t impair_flip_one_bit(uint8_t *data, size_t from, size_t len, struct rng *r)
{
    if (len <= from) return 0;
    uint64_t bits = (uint64_t)(len - from) * 8u;
    flip(data + from, (size_t)rng_range(r, 0, bits - 1));
    return 1;
}

size_t impair_bit_errors(uint8_t *data, size_t from, size_t len, double ber, struct rng *r)
{
    if (len <= from || !(ber > 0.0)) return 0;
    uint64_t bits = (uint64_t)(len - from) * 8u;
    size_t flipped = 0;
    if (ber >= 1.0) {
        for (uint64_t b = 0; b < bits; b++) flip(data + from, (size_t)b);
        return (size_t)bits;
    }
    /* The number of intact bits before the next error is geometric:
     * floor(ln U / ln(1 - ber)) with U uniform in (0, 1]. */
    double log_keep = log1p(-ber);
    uint64_t pos = 0;
    for (;;) {
        double u = 1.0 - rng_uniform(r); /* (0, 1]: ln is finite */
        double gap = floor(log(u) / log_keep);
        if (!(gap < (double)(bits - pos))) break;
        pos += (uint64_t)gap;
        flip(data + from, (size_t)pos);
        flipped++;
        pos++;
        if (pos >= bits) break;
    }
    return flipped;
}
