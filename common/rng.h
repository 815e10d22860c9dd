/* rng.h: the random number generator behind every seeded result.
 *
 * xoshiro256** seeded through splitmix64: fast, with a 256-bit state that
 * checkpoints save and restore exactly, so a resumed run draws the same
 * numbers as an uninterrupted one. */
#ifndef NASLC_RNG_H
#define NASLC_RNG_H

#include <stdint.h>

typedef struct rng {
  uint64_t s[4];  /* the whole state */
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform in [0, 1). */
double rng_uniform(rng *r);
/* Uniform in [0, n); n > 0. */
uint64_t rng_below(rng *r, uint64_t n);

#endif
