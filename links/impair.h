/*
 * Impairments that any link kind can apply to a frame: the Gilbert–Elliott
 * burst-loss chain and bit corruption. Pure functions of their parameters,
 * a little state and a random stream that the caller owns (one per link
 * direction or port), so a link draws them in a fixed order and the same
 * seed gives the same run. The Ethernet point-to-point link uses them per
 * direction; a switch can use them per port.
 */
#ifndef SHOAL_LINK_IMPAIR_H
#define SHOAL_LINK_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Gilbert–Elliott (Gilbert 1960, Elliott 1963): a two-state Markov chain
 * per direction. Each frame the chain first takes one step (good -> bad
 * with probability p, bad -> good with probability r), then the frame is
 * lost with the loss probability of the state the chain is now in. With
 * loss_good = 0 and loss_bad = 1 this is Gilbert's original model: mean
 * burst length 1/r frames, long-run loss p / (p + r). All zero: off. */
struct ge_params {
    double p;          /* good -> bad, per frame */
    double r;          /* bad -> good, per frame */
    double loss_good;  /* loss probability in the good state (1 - k) */
    double loss_bad;   /* loss probability in the bad state (1 - h) */
};

struct ge_state {
    bool bad;
};

/* Every field a probability in [0, 1] (NaN refused). */
bool ge_params_valid(const struct ge_params *g);
/* Whether the chain can lose anything: otherwise it draws nothing. */
bool ge_enabled(const struct ge_params *g);
/* One frame through the chain: true if it is lost. */
bool ge_frame_lost(const struct ge_params *g, struct ge_state *st, struct rng *r);

/* A probability in [0, 1] (NaN refused). */
static inline bool impair_prob_valid(double p) { return p >= 0.0 && p <= 1.0; }

/* Flip one uniformly chosen bit of data[from, len). Returns how many bits
 * were flipped (0 when the range is empty, else 1). */
size_t impair_flip_one_bit(uint8_t *data, size_t from, size_t len, struct rng *r);

/* Flip each bit of data[from, len) independently with probability ber (a
 * bit error rate). Draws one number per error plus one, not one per bit:
 * the gaps between errors are geometric. Returns the bits flipped. */
size_t impair_bit_errors(uint8_t *data, size_t from, size_t len, double ber, struct rng *r);

#endif
